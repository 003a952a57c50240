#!/usr/bin/env bash
# Install the host packages that building and testing need (Debian 12+, as root).
# Only missing packages are installed, so a second run costs a second.
set -euo pipefail
pkgs=(mmdebstrap uidmap arch-test debian-archive-keyring sip-tester sox util-linux
      python3 python3-venv chromium iputils-ping openssl openssh-client
      # the SFTP backup target is tested against a real sshd on loopback
      openssh-server
      # IVR prompts and hold music: mp3 uploads and speech synthesis (appliance/telephony/sounds.py)
      libsox-fmt-mp3 espeak-ng
      # the disk image and booting it
      fdisk dosfstools mtools e2fsprogs grub-pc-bin grub-efi-amd64-bin grub2-common zstd
      qemu-system-x86 qemu-utils ovmf)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# the browser softphone's SIP library is fetched with npm at build time (scripts/vendor-js.sh);
# a host with Node.js from elsewhere (nodesource bundles npm) keeps it
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
