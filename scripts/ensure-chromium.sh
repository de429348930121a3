#!/usr/bin/env bash
# Make sure the browser tests' tools are installed; print the Chromium binary's path.
#
# Playwright cannot download its own browsers here, so the browser tests launch Debian's
# Chromium (Playwright's `executable_path`). The PDF tests read reports with poppler's
# pdftotext/pdftoppm, and pages render with the DejaVu fonts.
#
# How it decides what to install, package by package:
#   chromium           when neither $CHROMIUM_PATH nor $SC_SYSROOT/usr/bin/chromium is an
#                      executable file
#   poppler-utils      when $SC_SYSROOT/usr/bin/pdftotext or .../pdftoppm is missing
#   fonts-dejavu-core  when $SC_SYSROOT/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf is
#                      missing
# and installs whatever is missing with one `$SC_APT_GET install -y ...` (sudo when not
# root), after `apt-get update` only when apt does not know a package yet (fresh images
# ship with no package lists) or the first attempt failed (stale lists). With nothing
# missing it touches nothing and needs no root.
#
# Settings (environment):
#   CHROMIUM_PATH   a Chromium binary to use instead of Debian's
#   SC_SYSROOT      prefix of the paths checked above (default empty: the real system;
#                   the tests point it at an empty dir to exercise the install path)
#   SC_APT_GET      the apt-get to run (default apt-get; the tests point it at a wrapper)
set -euo pipefail

ROOT="${SC_SYSROOT:-}"
APT_GET="${SC_APT_GET:-apt-get}"
DEBIAN_CHROMIUM="$ROOT/usr/bin/chromium"

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# as_root, apt_knows, apt_install
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"


chromium_path() {
    if [ -n "${CHROMIUM_PATH:-}" ] && [ -f "$CHROMIUM_PATH" ] && [ -x "$CHROMIUM_PATH" ]; then
        echo "$CHROMIUM_PATH"
    elif [ -f "$DEBIAN_CHROMIUM" ] && [ -x "$DEBIAN_CHROMIUM" ]; then
        echo "$DEBIAN_CHROMIUM"
    else
        return 1
    fi
}

if [ -n "${CHROMIUM_PATH:-}" ] && ! [ -x "$CHROMIUM_PATH" ]; then
    log "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; using Debian's chromium"
fi

missing=()
chromium_path >/dev/null || missing+=(chromium)
{ [ -x "$ROOT/usr/bin/pdftotext" ] && [ -x "$ROOT/usr/bin/pdftoppm" ]; } || missing+=(poppler-utils)
[ -f "$ROOT/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ] || missing+=(fonts-dejavu-core)

if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

path=$(chromium_path) || die "installed chromium but found no binary at $DEBIAN_CHROMIUM"
version=$("$path" --version 2>/dev/null) || die "$path does not run"
log "$version"
echo "$path"
