#!/usr/bin/env bash
# `make bundle`: a signed firmware update bundle, images/jns-pbx-x86_64-<version>.jnsupd,
# from the root slot image of the last `make image` (build/image/rootA.img).
#   JNS_BUNDLE_VERSION=1.0.400   give the bundle another version than the image (its
#                                /etc/jns-release is rewritten inside the file system)
#   JNS_SIGNING_KEY=...          the private key (default /var/cache/jns-pbx/keys/...)
# The bundle holds the slot's ext4 image, zstd-compressed, and a manifest signed with
# Ed25519 (appliance/lifecycle/update.py).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${JNS_CACHE:-/var/cache/jns-pbx}
key=${JNS_SIGNING_KEY:-$cache/keys/update-signing.pem}
slot="$here/build/image/rootA.img"
py="$here/.venv/bin/python"
[ -f "$slot" ] || { echo "$slot missing: run make image first" >&2; exit 1; }
[ -f "$key" ] || { echo "$key missing: run make update-keys (and rebuild the image)" >&2; exit 1; }
work="$here/build/bundle"
mkdir -p "$work" "$here/images"
release=$(debugfs -R "cat /etc/jns-release" "$slot" 2>/dev/null)
image_version=$(sed -n 's/^JNS_VERSION=//p' <<<"$release")
build=$(sed -n 's/^JNS_BUILD=//p' <<<"$release")
version=${JNS_BUNDLE_VERSION:-$image_version}
raw="$work/rootfs-$version.img"
cp --sparse=always "$slot" "$raw"
if [ "$version" != "$image_version" ]; then
    sed "s/^JNS_VERSION=.*/JNS_VERSION=$version/" <<<"$release" > "$work/jns-release"
    debugfs -w -R "rm /etc/jns-release" "$raw" >/dev/null 2>&1
    debugfs -w -R "write $work/jns-release /etc/jns-release" "$raw" >/dev/null 2>&1
    debugfs -R "cat /etc/jns-release" "$raw" 2>/dev/null | grep -qx "JNS_VERSION=$version"
fi
out="$here/images/jns-pbx-x86_64-$version.jnsupd"
(cd "$here" && "$py" -m appliance.lifecycle.update build --image "$raw" --version "$version" \
    --key "$key" --build "$build" --output "$out")
rm -f "$raw"
