#!/usr/bin/env bash
# Vendor the browser softphone's SIP library into the panel's static files (the box has no
# internet, so the browser loads it from the panel).  SIP.js: MIT, no dependencies, shipped
# by npm as plain ES modules the browser imports as they are (JsSIP 3.13 ships no browser
# bundle, only CommonJS that would need a bundler).  The tarball is checked against the
# sha512 pinned here; a second run with the files in place costs nothing.
set -euo pipefail
NAME=sip.js
VERSION=0.21.2
INTEGRITY="sha512-tSqTcIgrOd2IhP/rd70JablvAp+fSfLSxO4hGNY6LkWRY1SKygTO7OtJEV/BQb8oIxtMRx0LE7nUF2MaqGbFzA=="

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${JNS_NPM_CACHE:-$here/build/npm}
dest=$here/appliance/webui/static/vendor/$NAME
tarball=$cache/$NAME-$VERSION.tgz

if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$VERSION" ]; then
    exit 0
fi
integrity() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
mkdir -p "$cache"
if [ ! -f "$tarball" ] || [ "$(integrity "$tarball")" != "$INTEGRITY" ]; then
    command -v npm >/dev/null || { echo "vendor-js: npm is missing (scripts/host-deps.sh installs it)" >&2; exit 1; }
    echo "vendor-js: fetching $NAME@$VERSION with npm pack"
    (cd "$cache" && npm pack --silent "$NAME@$VERSION" >/dev/null)
fi
got=$(integrity "$tarball")
if [ "$got" != "$INTEGRITY" ]; then
    echo "vendor-js: $tarball has integrity $got, expected $INTEGRITY; not using it" >&2
    rm -f "$tarball"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp"
mkdir -p "$tmp/out"
# only what the browser runs: the ES modules (no type declarations, no source maps)
tar -C "$tmp/package" -cf - --exclude='*.d.ts' --exclude='*.map' lib | tar -xf - -C "$tmp/out"
cp "$tmp/package/LICENSE.md" "$tmp/out/LICENSE.md"
echo "$VERSION" > "$tmp/out/VERSION"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/out" "$dest"
echo "vendor-js: $NAME $VERSION in ${dest#$here/}"
