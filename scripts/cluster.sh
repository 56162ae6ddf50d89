#!/usr/bin/env bash
# The multi-node shape on one machine, loopback only: PostgreSQL, Redis, N app processes,
# M job workers and HAProxy in front with health checks (docs/deploy.md maps each piece to
# real machines).
#
#   scripts/cluster.sh up [--apps N] [--workers M] [--port P] [--seed]   (defaults 2, 1, 8080)
#   scripts/cluster.sh status
#   scripts/cluster.sh down
#
# Everything lives under var/cluster/ (data, logs, pid files, haproxy.cfg, env), or under
# $MOTORMALL_CLUSTER_STATE; ports: MOTORMALL_CLUSTER_PG_PORT, _REDIS_PORT, _APP_PORT. `up` runs
# `motormall db upgrade` once before any app process starts, as a rolling deploy must.
# Needs Debian's postgresql, redis-server and haproxy (scripts/setup.sh does not install them:
# `apt-get install postgresql redis-server haproxy`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=${MOTORMALL_CLUSTER_STATE:-$ROOT/var/cluster}  # the drills use one of their own
VAR_DIR=$ROOT/var; [ -n "${MOTORMALL_CLUSTER_STATE:-}" ] && VAR_DIR=$STATE/var  # files, jobs
PG_PORT=${MOTORMALL_CLUSTER_PG_PORT:-55432}
REDIS_PORT=${MOTORMALL_CLUSTER_REDIS_PORT:-56379}
APP_BASE_PORT=${MOTORMALL_CLUSTER_APP_PORT:-8101}
APPS=2 WORKERS=1 PORT=8080 SEED=0
MM=${MOTORMALL_BIN:-$ROOT/.venv/bin/motormall}

say() { echo "cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

need() {
  [ -x "$MM" ] || die "$MM not found: run scripts/setup.sh first"
  [ -n "$(pg_bin)" ] || die "PostgreSQL is not installed: apt-get install postgresql"
  command -v redis-server >/dev/null || die "Redis is not installed: apt-get install redis-server"
  command -v haproxy >/dev/null || die "HAProxy is not installed: apt-get install haproxy"
}

wait_http() {  # url seconds
  local i
  for i in $(seq 1 $(($2 * 5))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$STATE"
  if [ ! -d "$STATE/pg/data" ]; then
    mkdir -p "$STATE/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$STATE/pg"
    as_pg "$bin/initdb" -D "$STATE/pg/data" -A trust -U postgres >"$STATE/pg-init.log"
  fi
  as_pg "$bin/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE/pg -c max_connections=300" >/dev/null
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='motormall'" | grep -q 1 ||
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres motormall
  say "PostgreSQL on 127.0.0.1:$PG_PORT"
}

start_redis() {
  # append-only: queued jobs survive a Redis restart
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$STATE" \
    --appendonly yes --save "" --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  say "Redis on 127.0.0.1:$REDIS_PORT"
}

write_env() {
  if [ ! -f "$STATE/env" ]; then
    umask 077
    {
      echo "MOTORMALL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/motormall"
      echo "MOTORMALL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
      echo "MOTORMALL_SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
      echo "MOTORMALL_VAR_DIR=$VAR_DIR"
      echo "MOTORMALL_EMBEDDED_WORKER=false"
      echo "MOTORMALL_TRUST_PROXY=true"
    } >"$STATE/env"
  fi
  set -a; . "$STATE/env"; set +a
}

write_haproxy() {
  {
    cat <<CFG
global
    maxconn 4096
    pidfile $STATE/haproxy.pid
    # runtime API: take a server out before stopping it (rolling restart, docs/deploy.md)
    stats socket $STATE/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    option forwardfor
frontend motormall
    bind 127.0.0.1:$PORT
    default_backend apps
backend apps
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 slowstart 5s
CFG
    local i
    for i in $(seq 1 "$APPS"); do
      echo "    server app$i 127.0.0.1:$((APP_BASE_PORT + i - 1)) check"
    done
  } >"$STATE/haproxy.cfg"
}

up() {
  need
  [ -f "$STATE/haproxy.pid" ] && die "already up (scripts/cluster.sh down first)"
  mkdir -p "$STATE/logs"
  start_postgres
  start_redis
  write_env
  "$MM" db upgrade 2>>"$STATE/logs/migrate.log"
  say "migrated once, before any app process"
  [ "$SEED" = 1 ] && "$MM" demo seed >>"$STATE/logs/seed.log" 2>&1 && say "demo data loaded"
  local i port
  for i in $(seq 1 "$APPS"); do
    port=$((APP_BASE_PORT + i - 1))
    setsid "$MM" serve --host 127.0.0.1 --port "$port" >"$STATE/logs/app$i.log" 2>&1 &
    echo $! >"$STATE/app$i.pid"
  done
  for i in $(seq 1 "$WORKERS"); do
    setsid "$MM" worker >"$STATE/logs/worker$i.log" 2>&1 &
    echo $! >"$STATE/worker$i.pid"
  done
  for i in $(seq 1 "$APPS"); do
    port=$((APP_BASE_PORT + i - 1))
    wait_http "http://127.0.0.1:$port/healthz" 60 || die "app$i did not come up: $STATE/logs/app$i.log"
    say "app$i on 127.0.0.1:$port"
  done
  write_haproxy
  haproxy -D -f "$STATE/haproxy.cfg"
  wait_http "http://127.0.0.1:$PORT/healthz" 20 || die "HAProxy did not come up"
  say "$APPS app(s), $WORKERS worker(s) behind http://127.0.0.1:$PORT"
}

stop_pidfile() {  # file
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

down() {
  [ -d "$STATE" ] || { say "nothing to stop"; return 0; }
  [ -f "$STATE/haproxy.pid" ] && { kill "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true; rm -f "$STATE/haproxy.pid"; }
  local f
  for f in "$STATE"/app*.pid "$STATE"/worker*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  [ -f "$STATE/redis.pid" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local bin; bin=$(pg_bin)
  [ -d "$STATE/pg/data" ] && as_pg "$bin/pg_ctl" -D "$STATE/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  say "stopped (data kept under $STATE; rm -rf it for a fresh cluster)"
}

status() {
  local f name
  for f in "$STATE"/app*.pid "$STATE"/worker*.pid "$STATE"/redis.pid "$STATE"/haproxy.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name up (pid $(cat "$f"))"; else echo "$name DOWN"; fi
  done
  as_pg "$(pg_bin)/pg_ctl" -D "$STATE/pg/data" status >/dev/null 2>&1 && echo "postgresql up" || echo "postgresql DOWN"
}

cmd=${1:-}; shift || true
while [ $# -gt 0 ]; do
  case $1 in
    --apps) APPS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --seed) SEED=1; shift ;;
    *) die "unknown option $1 (see the top of $0)" ;;
  esac
done
case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/cluster.sh up|down|status [--apps N] [--workers M] [--port P] [--seed]" ;;
esac
