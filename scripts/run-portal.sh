#!/usr/bin/env bash
# The portal for development: the email worker in the background (so email reaches the log
# within seconds), gunicorn in the foreground; the worker stops when the server does.
#   scripts/run-portal.sh        (PORT, default 5000; BIN, default .venv/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5000}
bin=${BIN:-.venv/bin}
export FLASK_APP=${FLASK_APP:-wsgi.py} PORT=$port
"$bin/flask" send-email --loop --interval 2 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$bin/gunicorn" --config gunicorn.conf.py --bind "127.0.0.1:$port" --workers 2 --threads 4 --access-logfile - wsgi:app
