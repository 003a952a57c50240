#!/usr/bin/env bash
# `make update-keys`: the Ed25519 key pair that signs firmware update bundles.
#   scripts/update-keys.sh [FOLDER]      (default /var/cache/jns-pbx/keys)
# Keep update-signing.pem secret and OUT of the repository: whoever holds it can update
# every box built with the public half (images built afterwards carry it in
# /etc/jns/update-keys/).  Refuses to replace an existing key.
set -euo pipefail
dir=${1:-${JNS_CACHE:-/var/cache/jns-pbx}/keys}
key="$dir/update-signing.pem"
if [ -e "$key" ]; then
    echo "$key exists; not replacing it (boxes in the field trust it)"; exit 0
fi
mkdir -p "$dir"
chmod 700 "$dir"
(umask 077 && openssl genpkey -algorithm ed25519 -out "$key.tmp")
mv "$key.tmp" "$key"
openssl pkey -in "$key" -pubout -out "$dir/update-signing.pub.pem"
echo "signing key:  $key (secret)"
echo "public key:   $dir/update-signing.pub.pem (goes into the image)"
