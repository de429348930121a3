#!/usr/bin/env bash
# The whole pytest suite with what it needs, as `make test` runs it:
#   scripts/ensure-chromium.sh        Chromium (+ poppler, fonts), installed if absent -> CHROMIUM_PATH
#   scripts/ensure-postgres.sh start  a throwaway PostgreSQL, installed if absent -> TEST_DATABASE_URL
#   pytest -m "not browser" -n N      services, pages under AppTest, CLI: N processes (pytest-xdist),
#                                     each with its own PostgreSQL database (tests/conftest.py)
#   pytest -m browser                 the headless-Chromium journeys, one at a time: each starts a
#                                     server and browsers of its own, and measures what users wait for
# and the PostgreSQL cluster is stopped and deleted at the end, whatever happened.
#
# Arguments go to both pytest runs (`make test PYTEST_ARGS="-k export"`); a run that selects
# no test is not a failure unless neither selects any. SC_TEST_WORKERS sets N (default: the
# number of CPUs, at least 1; 0 runs everything in this process).
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

workers="${SC_TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"

# pytest exits 5 when it selected no test.
run_phase() {
    local name=$1
    shift
    local t status=0
    t=$(seconds)
    echo "run-tests: $name" >&2
    .venv/bin/python -m pytest "$@" || status=$?
    echo "run-tests: $name finished with status $status ($(elapsed "$t"))" >&2
    return "$status"
}

status=0
fast=0
run_phase "services, pages and CLI ($workers workers)" -m "not browser" -n "$workers" "$@" \
    || fast=$?
slow=0
run_phase "browser journeys" -m browser "$@" || slow=$?
for phase in "$fast" "$slow"; do
    if [ "$phase" != 0 ] && [ "$phase" != 5 ]; then status=$phase; fi
done
if [ "$fast" = 5 ] && [ "$slow" = 5 ]; then status=5; fi
exit "$status"
