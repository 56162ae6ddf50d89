#!/usr/bin/env bash
# The README's first command: set up, load the demo network, serve on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/motormall db upgrade
.venv/bin/motormall demo seed
exec .venv/bin/motormall serve --host "${MOTORMALL_HOST:-127.0.0.1}" --port "${MOTORMALL_PORT:-8000}"
