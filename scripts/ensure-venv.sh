#!/usr/bin/env bash
# Create .venv if it is missing (or broken) and install the project into it from
# requirements.lock -- only when the lock, pyproject.toml or the Python changed since
# the last install, which a stamp file in .venv records (a hash of the three).
#
#   pip install -r requirements.lock      every runtime and dev dependency, exact pins
#   pip install --no-deps -e .            the project itself, editable
#   pip check                             the pins agree with each other
#
# Settings (environment): PYTHON (default python3, at least 3.11), VENV (default .venv),
# SC_APT_GET (default apt-get: used only if `python3 -m venv` lacks ensurepip, as on a
# Debian system Python without python3-venv).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
STAMP="$VENV/.strategy-canvas-install"
APT_GET="${SC_APT_GET:-apt-get}"
PIP_VERSION=26.3

log() { printf 'ensure-venv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: install Python 3.11 or newer"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is $("$PYTHON" --version 2>&1); the project needs Python 3.11 or newer"

# as_root, apt_install
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

make_venv() {
    rm -rf "$VENV"
    if "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        return 0
    fi
    # Debian's own python3 has no ensurepip until python3-venv (or python3.X-venv) is in.
    rm -rf "$VENV"
    local pkg
    pkg="python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    log "$PYTHON -m venv failed; installing $pkg"
    apt_install "$pkg"
    "$PYTHON" -m venv "$VENV"
}

if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "creating $VENV with $("$PYTHON" --version 2>&1)"
    make_venv
    # The pip a Python bundles can be years old; this one is the pip the lock was made with.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pip==$PIP_VERSION"
fi

want=$({ cat requirements.lock pyproject.toml; "$VENV/bin/python" -VV; echo "$PWD"; } \
       | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
# The editable install must point at this checkout (a moved or copied tree breaks it).
installed_here() {
    "$VENV/bin/python" - "$PWD/src" <<'EOF' >/dev/null 2>&1
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("strategy_canvas")
sys.exit(spec is None or pathlib.Path(sys.argv[1]).resolve()
         not in pathlib.Path(spec.origin).resolve().parents)
EOF
}

if [ "$want" = "$have" ] && installed_here; then
    exit 0
fi

log "installing requirements.lock and the project into $VENV"
rm -f "$STAMP"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install -q -r requirements.lock
"$VENV/bin/python" -m pip install -q --no-deps -e .
"$VENV/bin/python" -m pip check >&2
echo "$want" >"$STAMP"
log "done"
