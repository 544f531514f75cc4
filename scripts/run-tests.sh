#!/usr/bin/env bash
# The whole suite: everything on SQLite (browser journeys included), then every database-facing
# test again on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

echo "== Tests on SQLite (with browser journeys in Chromium) =="
"$bin/pytest" -q -p no:cacheprovider "$@"

echo "== Tests on PostgreSQL =="
pgdir=$(mktemp -d /tmp/qa-portal-pg.XXXXXX)
port=$((20000 + RANDOM % 20000))
trap 'scripts/pg-cluster.sh stop "$pgdir"' EXIT
scripts/pg-cluster.sh start "$pgdir" "$port"
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/qa_portal_test" \
TEST_MIGRATIONS_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/qa_portal_migrations" \
  "$bin/pytest" -q -p no:cacheprovider -m "not browser" "$@"
