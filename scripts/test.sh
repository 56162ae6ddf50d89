#!/usr/bin/env bash
# The README's second command: set up and run the whole suite (lint, SQLite, PostgreSQL,
# browser journeys). Extra arguments go to pytest, e.g. scripts/test.sh -k search
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

echo "==> ruff" >&2
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench

# A throwaway PostgreSQL on loopback for the whole run.
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$(mktemp -d /tmp/motormall-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
stop_pg() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
export MOTORMALL_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port"
echo "==> PostgreSQL on 127.0.0.1:$port" >&2

echo "==> pytest (SQLite and PostgreSQL)" >&2
set +e
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi
exit $rc
