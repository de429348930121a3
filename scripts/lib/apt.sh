# Installing Debian packages from the ensure-*.sh scripts (sourced, not run).
#
# The sourcing script defines log and die and sets APT_GET (apt-get, or the tests'
# wrapper) before calling these.

# Run a command as root: directly when root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# True if apt has an install candidate for every package named (one apt-cache call: on
# images without apt's binary cache each call re-reads all the package lists).
apt_knows() {
    apt-cache policy "$@" 2>/dev/null | awk -v want="$*" '
        /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1); sub(/:.*/, "", name) }
        /^ +Candidate:/ && $2 != "(none)" { known[name] = 1 }
        END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (!(w[i] in known)) exit 1 }'
}

# Install the packages named, after `apt-get update` only when apt does not know one of
# them yet (fresh images ship with no package lists) or the first attempt failed (stale
# lists).
apt_install() {
    local -a cmd=(env DEBIAN_FRONTEND=noninteractive "$APT_GET"
                  -o DPkg::Lock::Timeout=300 install -y "$@")
    if ! apt_knows "$@"; then
        log "apt does not know all of $* yet: apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive "$APT_GET" -o DPkg::Lock::Timeout=300 \
            update -q >&2
    fi
    log "installing $*"
    if ! as_root "${cmd[@]}" >&2; then
        log "install failed; refreshing the package lists and trying once more"
        as_root env DEBIAN_FRONTEND=noninteractive "$APT_GET" -o DPkg::Lock::Timeout=300 \
            update -q >&2
        as_root "${cmd[@]}" >&2
    fi
}
