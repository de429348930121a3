#!/usr/bin/env bash
# The whole pytest suite with what it needs, as `make test` runs it:
#   scripts/ensure-chromium.sh        Chromium (+ poppler, fonts), installed if absent -> CHROMIUM_PATH
#   scripts/ensure-postgres.sh start  a throwaway PostgreSQL, installed if absent -> TEST_DATABASE_URL
#   pytest "$@"                       every test, on SQLite and on PostgreSQL
# and the PostgreSQL cluster is stopped and deleted at the end, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f s", b - a }'; }

t=$(seconds)
CHROMIUM_PATH=$(scripts/ensure-chromium.sh)
export CHROMIUM_PATH
echo "run-tests: Chromium at $CHROMIUM_PATH ($(elapsed "$t"))" >&2

trap 'scripts/ensure-postgres.sh stop || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t=$(seconds)
TEST_DATABASE_URL=$(scripts/ensure-postgres.sh start)
export TEST_DATABASE_URL
echo "run-tests: PostgreSQL at $TEST_DATABASE_URL ($(elapsed "$t"))" >&2

.venv/bin/python -m pytest "$@"
