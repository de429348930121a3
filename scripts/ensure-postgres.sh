#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: scripts/ensure-postgres.sh start|stop|url|status
#
#   start   install PostgreSQL if its server binaries are absent, start a cluster of our
#           own (reused if it is already running) and print its SQLAlchemy URL on stdout
#   stop    stop that cluster and delete it (a no-op if it is not running)
#   url     print the URL (does not start anything)
#   status  exit 0 if the cluster is running
#
# The cluster is ours alone: a data dir under /tmp, a port of its own, listening on
# 127.0.0.1 only, its unix socket in its own dir, trust authentication, fsync off. It
# never touches the system's clusters (pg_ctlcluster, /var/lib/postgresql, port 5432).
#
# How it decides what to install: it looks for initdb, pg_ctl and postgres in the
# directories matched by $SC_PG_BIN_GLOB (default /usr/lib/postgresql/*/bin, Debian's
# layout), preferring major version $SC_PG_PREFER (15). If none has all three, it runs
# `$SC_APT_GET install -y $SC_PG_PACKAGE` (apt-get, postgresql: Debian's package of its
# current major version), after `apt-get update` only when apt does not know the package
# yet (fresh images ship with no package lists) or the first install attempt failed (stale
# lists), and looks again. It uses sudo for apt-get when not root.
#
# initdb refuses to run as root: as root, the server runs as the `postgres` system user
# (created if missing) and the cluster's dir is owned by it.
#
# Settings (environment):
#   PGPORT_TEST      port (default 54329)
#   SC_PG_DIR        the cluster's dir (default /tmp/strategy-canvas-pg-$PORT); as root it
#                    must be reachable by the postgres user (so not under a 0700 dir)
#   SC_PG_DATABASE   database to create (default strategy_canvas_test)
#   SC_PG_BIN_GLOB   where to look for the server binaries (default above)
#   SC_PG_PREFER     preferred major version (default 15)
#   SC_PG_PACKAGE    Debian package to install when absent (default postgresql)
#   SC_APT_GET       the apt-get to run (default apt-get; the tests point it at a wrapper)
#   SC_PG_DURABLE    1: a cluster that keeps its data (`make team`): fsync and full page
#                    writes on, never re-initialised over existing data, and `stop` stops
#                    the server without deleting anything
set -euo pipefail

PORT="${PGPORT_TEST:-54329}"
DIR="${SC_PG_DIR:-/tmp/strategy-canvas-pg-${PORT}}"
DATA="$DIR/data"
LOG="$DIR/server.log"
DATABASE="${SC_PG_DATABASE:-strategy_canvas_test}"
BIN_GLOB="${SC_PG_BIN_GLOB:-/usr/lib/postgresql/*/bin}"
PREFER="${SC_PG_PREFER:-15}"
PACKAGE="${SC_PG_PACKAGE:-postgresql}"
APT_GET="${SC_APT_GET:-apt-get}"
DURABLE="${SC_PG_DURABLE:-0}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DATABASE}"
PG_USER=postgres

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# as_root, apt_knows, apt_install
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

is_root() { [ "$(id -u)" = 0 ]; }


# Run a PostgreSQL server program as the user that owns the cluster.
as_pg() {
    if is_root; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

# ---------------------------------------------------------------- finding binaries

BIN=""

# "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> 15
pg_major() { "$1/postgres" --version 2>/dev/null | awk '{split($3, v, "."); print v[1]}'; }

find_bin() {
    BIN=""
    local dir best="" best_major=-1 major
    # shellcheck disable=SC2086  # the glob is meant to expand
    for dir in $BIN_GLOB; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] \
            && [ -x "$dir/psql" ] || continue
        major=$(pg_major "$dir")
        [ -n "$major" ] || continue
        if [ "$major" = "$PREFER" ]; then
            BIN="$dir"
            return 0
        fi
        if [ "$major" -gt "$best_major" ]; then
            best="$dir"
            best_major="$major"
        fi
    done
    BIN="$best"
    [ -n "$BIN" ]
}

ensure_binaries() {
    if find_bin; then
        return 0
    fi
    log "no PostgreSQL server binaries in $BIN_GLOB"
    apt_install "$PACKAGE"
    find_bin || die "installed $PACKAGE but still found no initdb/pg_ctl/postgres/psql in $BIN_GLOB"
}

ensure_pg_user() {
    is_root || return 0
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        log "creating the system user $PG_USER"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_USER"
    fi
}

# ----------------------------------------------------------------------- the cluster

running() {
    [ -f "$DATA/PG_VERSION" ] || return 1
    [ -n "$BIN" ] || find_bin || return 1
    as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

psql_q() {
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres \
        -d postgres -tA -c "$1"
}

init_cluster() {
    local major
    major=$(pg_major "$BIN")
    if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" = "$major" ]; then
        return 0
    fi
    if [ "$DURABLE" = 1 ] && [ -f "$DATA/PG_VERSION" ]; then
        die "$DATA holds a PostgreSQL $(cat "$DATA/PG_VERSION") cluster; this server is $major (upgrade it with pg_upgrade; nothing was touched)"
    fi
    # A half-made cluster, or one of another major version: it is throwaway, start over.
    rm -rf "$DATA"
    mkdir -p "$DIR"
    if is_root; then
        chown "$PG_USER": "$DIR"
        runuser -u "$PG_USER" -- test -w "$DIR" \
            || die "$DIR is not reachable by the $PG_USER user (is a parent dir private?)"
    fi
    log "initdb in $DATA ($BIN)"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
}

start() {
    mkdir -p "$(dirname "$DIR")"
    exec 9>"$DIR.lock"
    flock 9
    ensure_binaries
    if running; then
        log "reusing the server already running on port $PORT ($DATA)"
    else
        ensure_pg_user
        init_cluster
        log "starting PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
        local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        [ "$DURABLE" = 1 ] && speed=""
        if ! as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 -o \
            "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 $speed -c max_connections=200" \
            >/dev/null 9>&-; then
            tail -n 20 "$LOG" >&2 || true
            die "the server did not start (is port $PORT taken?)"
        fi
    fi
    if [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
        psql_q "CREATE DATABASE \"$DATABASE\"" >/dev/null
    fi
    echo "$URL"
}

stop() {
    if [ -e "$DIR.lock" ]; then
        exec 9>"$DIR.lock"
        flock 9
    fi
    if running; then
        log "stopping the server on port $PORT"
        as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
    fi
    [ "$DURABLE" = 1 ] && return 0  # a team's data stays
    rm -rf "$DIR"
    rm -f "$DIR.lock"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$URL" ;;
    status) running ;;
    *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
