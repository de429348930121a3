#!/usr/bin/env bash
# A team deployment on one machine: scripts/team.sh start|stop|status
#
#   start   PostgreSQL (a cluster that keeps its data, under $SC_TEAM_DIR/postgres),
#           the migrations and the demo canvas if the database is empty, two app
#           processes (`streamlit run app.py`, each on 127.0.0.1), and nginx in front of
#           them on $SC_TEAM_ADDRESS:$SC_TEAM_PORT; prints the address
#   stop    stop nginx, the app processes and PostgreSQL (the data stays)
#   status  exit 0 if nginx and both app processes are running
#
# nginx (Debian's package, installed by scripts/ensure-nginx.sh when absent) keeps each
# browser on one app process (a Streamlit session lives in one process): a cookie,
# sc_backend=a|b, set on the first answer and followed afterwards; it passes the
# websocket through, and the live event stream (/api/live/events) unbuffered. A change
# made through one process reaches the screens of the other through PostgreSQL's
# LISTEN/NOTIFY (docs/ARCHITECTURE.md, "Live sync").
#
# Settings (environment):
#   SC_TEAM_DIR           where the cluster, the logs and nginx's files live
#                         (default <project>/db/team)
#   SC_TEAM_ADDRESS       where nginx listens (default 127.0.0.1; 0.0.0.0 for the network)
#   SC_TEAM_PORT          nginx's port (default 8600)
#   SC_TEAM_APP_PORTS     the two app processes' ports (default "8601 8602")
#   SC_TEAM_PG_PORT       PostgreSQL's port (default 54350)
#   SC_TEAM_DATABASE_URL  use this database instead of starting PostgreSQL (the tests)
#   STRATEGY_CANVAS_MODE  passed to the app (default shared: a team server is reachable
#                         by others; set the admin passcode to see the canvas list)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${SC_TEAM_DIR:-$ROOT/db/team}"
ADDRESS="${SC_TEAM_ADDRESS:-127.0.0.1}"
PORT="${SC_TEAM_PORT:-8600}"
read -r -a APP_PORTS <<<"${SC_TEAM_APP_PORTS:-8601 8602}"
PG_PORT="${SC_TEAM_PG_PORT:-54350}"
NAMES=(a b)
VENV_BIN="${SC_VENV_BIN:-$ROOT/.venv/bin}"

log() { printf 'team: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pg() {
    PGPORT_TEST="$PG_PORT" SC_PG_DIR="$DIR/postgres" SC_PG_DATABASE=strategy_canvas \
        SC_PG_DURABLE=1 "$ROOT/scripts/ensure-postgres.sh" "$@"
}

nginx_conf() {
    local a="${APP_PORTS[0]}" b="${APP_PORTS[1]}"
    cat <<EOF
worker_processes 1;
pid $DIR/run/nginx.pid;
error_log $DIR/log/nginx-error.log warn;
events { worker_connections 2048; }
http {
    access_log off;
    client_body_temp_path $DIR/run/nginx-body;
    proxy_temp_path $DIR/run/nginx-proxy;
    fastcgi_temp_path $DIR/run/nginx-fastcgi;
    uwsgi_temp_path $DIR/run/nginx-uwsgi;
    scgi_temp_path $DIR/run/nginx-scgi;
    client_max_body_size 12m;

    upstream sc_a { server 127.0.0.1:$a; }
    upstream sc_b { server 127.0.0.1:$b; }
    # a new browser is sent to either process at random; the cookie keeps it there
    split_clients "\${remote_addr}\${request_id}" \$sc_new { 50% a; * b; }
    map \$cookie_sc_backend \$sc_pick { a a; b b; default \$sc_new; }
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }

    server {
        listen $ADDRESS:$PORT;
        proxy_http_version 1.1;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        add_header Set-Cookie "sc_backend=\$sc_pick; Path=/; HttpOnly; SameSite=Lax" always;
        add_header X-Strategy-Canvas-Backend \$sc_pick always;

        location /api/live/events {
            proxy_pass http://sc_\$sc_pick;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }
        location / {
            proxy_pass http://sc_\$sc_pick;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 1h;
        }
    }
}
EOF
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_healthy() {
    local url="$1" deadline=$((SECONDS + 90))
    until curl -fsS -o /dev/null "$url/_stcore/health" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || die "no answer from $url (see $DIR/log)"
        sleep 0.3
    done
}

start() {
    mkdir -p "$DIR/run" "$DIR/log"
    cd "$ROOT"
    local url="${SC_TEAM_DATABASE_URL:-}"
    if [ -z "$url" ]; then
        url="$(pg start)"
    fi
    DATABASE_URL="$url" "$VENV_BIN/strategy-canvas" migrate >&2
    DATABASE_URL="$url" "$VENV_BIN/strategy-canvas" demo --if-empty >/dev/null
    local i
    for i in 0 1; do
        local name="${NAMES[$i]}" port="${APP_PORTS[$i]}"
        if alive "$DIR/run/app-$name.pid"; then
            log "app $name already running on 127.0.0.1:$port"
            continue
        fi
        # started from here (not a subshell), so the pid file names the app process
        DATABASE_URL="$url" STRATEGY_CANVAS_MODE="${STRATEGY_CANVAS_MODE:-shared}" \
            PYTHONUNBUFFERED=1 nohup "$VENV_BIN/python" -m streamlit run app.py \
            --server.port "$port" --server.address 127.0.0.1 --server.headless true \
            --server.fileWatcherType none --browser.gatherUsageStats false \
            </dev/null >"$DIR/log/app-$name.log" 2>&1 &
        echo $! >"$DIR/run/app-$name.pid"
    done
    for port in "${APP_PORTS[@]}"; do
        wait_healthy "http://127.0.0.1:$port"
    done
    NGINX="$("$ROOT/scripts/ensure-nginx.sh")"
    nginx_conf >"$DIR/nginx.conf"
    # nginx's own output goes to its log: a daemon holding our stderr would keep
    # whoever reads it (a test, a pipe) waiting
    "$NGINX" -t -q -c "$DIR/nginx.conf" -p "$DIR" -g "daemon on;" \
        </dev/null >>"$DIR/log/nginx.out" 2>&1 || die "nginx refused $DIR/nginx.conf"
    if alive "$DIR/run/nginx.pid"; then
        "$NGINX" -c "$DIR/nginx.conf" -p "$DIR" -s reload </dev/null >>"$DIR/log/nginx.out" 2>&1
    else
        "$NGINX" -c "$DIR/nginx.conf" -p "$DIR" -g "daemon on;" \
            </dev/null >>"$DIR/log/nginx.out" 2>&1
    fi
    wait_healthy "http://$ADDRESS:$PORT"
    log "two app processes behind nginx; data in PostgreSQL"
    echo "http://$ADDRESS:$PORT"
}

stop() {
    if alive "$DIR/run/nginx.pid"; then
        kill "$(cat "$DIR/run/nginx.pid")"
    fi
    local name pid
    for name in "${NAMES[@]}"; do
        if alive "$DIR/run/app-$name.pid"; then
            pid="$(cat "$DIR/run/app-$name.pid")"
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        fi
        rm -f "$DIR/run/app-$name.pid"
    done
    [ -n "${SC_TEAM_DATABASE_URL:-}" ] || pg stop
}

status() {
    alive "$DIR/run/nginx.pid" && alive "$DIR/run/app-a.pid" && alive "$DIR/run/app-b.pid"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
