# Shared by the build scripts (source it).

# The Debian mirror this host's apt uses: no host name is written into the repository.
debian_mirror() {
    local m
    m=$(grep -rhoE '^(URIs:|deb) *[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
    [ -n "$m" ] || { echo "no Debian mirror found in /etc/apt sources" >&2; return 1; }
    echo "$m"
}

# Package names of a list file: comments and blank lines dropped, comma-separated.
package_list() {
    grep -hv '^\s*#' "$@" | grep -v '^\s*$' | paste -sd, -
}

# pip for placing pure-Python packages (pyst2) into a root tree: the project's venv
# (make builds it first), else the host's.
pip_cmd() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    if [ -x "$here/.venv/bin/pip" ]; then "$here/.venv/bin/pip" "$@"; else python3 -m pip "$@"; fi
}
