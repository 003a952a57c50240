#!/usr/bin/env bash
# Build (or reuse) the appliance root filesystem from Debian forky with mmdebstrap.
#
# The result is cached outside the clone, keyed by a hash of rootfs/packages.txt and
# the RECIPE number below, so CI and later runs on the same machine reuse it; build/rootfs is a
# symlink to the cached tree.  A new machine builds it from scratch (~2-3 min).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${JNS_CACHE:-/var/cache/jns-pbx}
. "$here/scripts/lib.sh"
# Bump RECIPE when the way the tree is made changes; the package list is hashed anyway.
RECIPE=1
pkgs=$(package_list "$here/rootfs/packages.txt")
key=$( (cat "$here/rootfs/packages.txt"; echo "recipe $RECIPE") | sha256sum | cut -c1-16)
dest="$cache/rootfs-$key"
mkdir -p "$here/build" "$cache"

if [ ! -f "$dest/.complete" ]; then
    mirror=$(debian_mirror)
    echo "building rootfs $dest from $mirror (forky)"
    rm -rf "$dest.tmp"
    mmdebstrap --variant=apt --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$pkgs" forky "$dest.tmp" "deb $mirror forky main"
    # pyst2 is not packaged in Debian; it is pure Python, so the host's pip can place it.
    pydir=$(ls -d "$dest.tmp"/usr/lib/python3.*/ | head -1)
    PIP_ROOT_USER_ACTION=ignore pip_cmd install --quiet --no-deps --no-compile --target "$dest.tmp/usr/local/lib/$(basename "$pydir")/dist-packages" pyst2==0.5.1
    chroot "$dest.tmp" dpkg-query -W -f='${Package}\t${Version}\n' > "$dest.tmp/.packages.tsv"
    touch "$dest.tmp/.complete"
    mv "$dest.tmp" "$dest"
fi
ln -sfn "$dest" "$here/build/rootfs"
echo "rootfs: $here/build/rootfs -> $dest ($(grep -P '^asterisk\t' "$dest/.packages.tsv" | cut -f2))"
