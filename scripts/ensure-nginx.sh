#!/usr/bin/env bash
# Print the path of an nginx binary, installing Debian's `nginx` package when there is
# none (with sudo when not root): scripts/ensure-nginx.sh
#
# Only the binary is used (`make team` runs it with a configuration of its own, under
# db/team); Debian's own service is stopped and left disabled if the install started
# it, so it does not hold port 80 or serve anything.
#
# Settings (environment):
#   SC_NGINX      an nginx binary to use instead (skips the look-up and the install)
#   SC_SYSROOT    prefix of /usr/sbin/nginx and /usr/sbin/service, where Debian puts
#                 them (default empty: the real system; the tests point it at an empty
#                 folder)
#   SC_APT_GET    the apt-get to run (default apt-get; the tests point it at a wrapper)
set -euo pipefail

ROOT="${SC_SYSROOT:-}"
APT_GET="${SC_APT_GET:-apt-get}"

log() { printf 'ensure-nginx: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# as_root, apt_knows, apt_install
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

find_nginx() {
    if [ -n "${SC_NGINX:-}" ]; then
        [ -f "$SC_NGINX" ] && [ -x "$SC_NGINX" ] && echo "$SC_NGINX"
        return
    fi
    if [ -x "$ROOT/usr/sbin/nginx" ]; then
        echo "$ROOT/usr/sbin/nginx"
    elif [ -z "$ROOT" ]; then
        command -v nginx 2>/dev/null
    else
        return 1
    fi
}

found="$(find_nginx || true)"
if [ -z "$found" ]; then
    [ -z "${SC_NGINX:-}" ] || die "SC_NGINX=$SC_NGINX is not an executable"
    log "no nginx found"
    apt_install nginx
    # Debian starts its own nginx on port 80 after the install: stop it and keep it off
    if command -v systemctl >/dev/null 2>&1; then
        as_root systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
    service="$(command -v service 2>/dev/null || echo "$ROOT/usr/sbin/service")"
    if [ -x "$service" ]; then
        as_root "$service" nginx stop >/dev/null 2>&1 || true
    fi
    found="$(find_nginx || true)"
    [ -n "$found" ] || die "installed nginx but found no nginx binary"
fi
echo "$found"
