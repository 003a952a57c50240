#!/usr/bin/env bash
# Build the flashable disk image images/jns-pbx-x86_64.img (+ .zst, .sha256, .packages.tsv).
#
#  1. the build rootfs (scripts/build-rootfs.sh) has dahdi-dkms: its compiled DAHDI modules
#     are packaged as jns-dahdi-modules (Provides: dahdi-dkms), so the image gets the modules
#     without gcc, dkms and kernel headers;
#  2. the image rootfs = rootfs/packages.txt + rootfs/image-packages.txt + that package,
#     installed by mmdebstrap and cached by hash like the build rootfs;
#  3. a staging copy gets our Python package, pyst2, the rootfs/overlay tree and the users;
#  4. scripts/mkdisk.py assembles the GPT disk: BIOS boot, EFI system partition (GRUB for
#     BIOS and UEFI with an environment block), root slots A and B, data partition.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${JNS_CACHE:-/var/cache/jns-pbx}
out="$here/images"
work="$here/build/image"
# Versions are numbers that only grow (update bundles refuse an older one): 1.0.<commits>.
version=${JNS_VERSION:-1.0.$(cd "$here" && git rev-list --count HEAD 2>/dev/null || echo 0)}
build=$(cd "$here" && git describe --always --dirty 2>/dev/null || echo dev)
# The update signing key (Ed25519) stays outside the repository; its public half goes into
# the image, which then accepts only bundles signed with it (`make update-keys`).
signing_key=${JNS_SIGNING_KEY:-$cache/keys/update-signing.pem}
. "$here/scripts/lib.sh"

"$here/scripts/build-rootfs.sh"
if [ ! -f "$signing_key" ]; then
    echo "no update signing key at $signing_key: making one (make update-keys)"
    "$here/scripts/update-keys.sh" "$(dirname "$signing_key")"
fi
base=$(readlink -f "$here/build/rootfs")
kver=$(ls "$base/usr/lib/modules" | head -1)
dahdi_ver=$(chroot "$base" dpkg-query -W -f='${Version}' dahdi-dkms)

# -- 1. DAHDI modules as a package ---------------------------------------------------------
mkdir -p "$cache/debs"
modver="${dahdi_ver#*:}+k${kver%%-*}"
moddeb="$cache/debs/jns-dahdi-modules_${modver}_amd64.deb"
if [ ! -f "$moddeb" ]; then
    pkg=$(mktemp -d)
    mkdir -p "$pkg/DEBIAN" "$pkg/usr/lib/modules/$kver/updates/dkms"
    cp "$base/usr/lib/modules/$kver/updates/dkms/"*.ko* "$pkg/usr/lib/modules/$kver/updates/dkms/"
    cat > "$pkg/DEBIAN/control" <<EOF
Package: jns-dahdi-modules
Version: $modver
Architecture: amd64
Maintainer: JNS Call Center <noreply@invalid>
Provides: dahdi-dkms
Depends: linux-image-$kver
Section: kernel
Priority: optional
Description: DAHDI kernel modules prebuilt for $kver
 Built by dkms in the build rootfs; shipped without compiler and headers.
EOF
    printf '#!/bin/sh\nset -e\n[ "$1" = configure ] && depmod -a %s || true\n' "$kver" > "$pkg/DEBIAN/postinst"
    chmod 755 "$pkg/DEBIAN/postinst"
    SOURCE_DATE_EPOCH=0 dpkg-deb --root-owner-group -Zxz --build "$pkg" "$moddeb.tmp" >/dev/null
    mv "$moddeb.tmp" "$moddeb"
    rm -rf "$pkg"
fi

# -- 2. image rootfs (cached) ----------------------------------------------------------------
# dahdi and asterisk-dahdi come last, after jns-dahdi-modules, so apt takes that package
# for "dahdi-dkms | dahdi-source" instead of pulling the compiler in.
late="dahdi asterisk-dahdi"
pkgs=$(package_list "$here/rootfs/packages.txt" "$here/rootfs/image-packages.txt" | tr , '\n' \
       | grep -vxE "$(echo $late | tr ' ' '|')" | paste -sd, -)
# Bump IMAGE_RECIPE when the steps below change; the package lists are hashed anyway.
IMAGE_RECIPE=1
key=$( (cat "$here/rootfs/packages.txt" "$here/rootfs/image-packages.txt"; echo "$modver recipe $IMAGE_RECIPE") \
       | sha256sum | cut -c1-16)
imgroot="$cache/image-rootfs-$key"
if [ ! -f "$imgroot/.complete" ]; then
    mirror=$(debian_mirror)
    echo "building image rootfs $imgroot (forky, kernel $kver)"
    rm -rf "$imgroot.tmp"
    mmdebstrap --variant=apt --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$pkgs" \
        --customize-hook="copy-in $moddeb /tmp" \
        --customize-hook="chroot \"\$1\" sh -ec 'dpkg -i /tmp/$(basename "$moddeb") && rm /tmp/*.deb && apt-get install -y -q --no-install-recommends $late'" \
        forky "$imgroot.tmp" "deb $mirror forky main"
    if chroot "$imgroot.tmp" dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null \
            | grep -qE '^installed (dahdi-dkms|dkms|gcc|linux-headers-.*)$'; then
        echo "image rootfs carries dahdi-dkms/gcc/dkms; refusing" >&2; exit 1
    fi
    touch "$imgroot.tmp/.complete"
    mv "$imgroot.tmp" "$imgroot"
fi

# -- 3. staging ------------------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work" "$out"
root="$work/root"
cp -a "$imgroot" "$root"
rm -f "$root/.complete"
pydir=/usr/lib/python3/dist-packages
PIP_ROOT_USER_ACTION=ignore pip_cmd install --quiet --no-deps --no-compile --target "$root$pydir" pyst2==0.5.1
test -f "$root$pydir/asterisk/manager.py"
rm -rf "$root$pydir"/*.dist-info/RECORD
(cd "$here" && tar --exclude=__pycache__ -cf - appliance) | tar -xf - -C "$root$pydir"
cp -a "$here/rootfs/overlay/." "$root/"
printf 'JNS_VERSION=%s\nJNS_BOARD=x86_64-pc\nJNS_BUILD=%s\nJNS_BUILT=%s\n' \
    "$version" "$build" "$(date -u +%FT%TZ)" > "$root/etc/jns-release"
mkdir -p "$root/etc/jns/update-keys"
openssl pkey -in "$signing_key" -pubout -out "$root/etc/jns/update-keys/update-signing.pub.pem"
chroot "$root" python3 -m compileall -q "$pydir/appliance" "$pydir/asterisk"
chroot "$root" /bin/sh -e <<'EOF'
# the technician's account: getty login without a PAM password; the menu has its own
useradd --system --create-home --home-dir /var/lib/tech --shell /usr/local/sbin/jns-console tech
passwd -d tech >/dev/null
grep -qx /usr/local/sbin/jns-console /etc/shells || echo /usr/local/sbin/jns-console >> /etc/shells
usermod -L root
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
systemctl mask asterisk.service >/dev/null 2>&1
systemctl enable systemd-networkd systemd-resolved systemd-timesyncd \
    jns-firstboot jns-network jns-asterisk jns-agid jns-calld jns-reports jns-web jns-watchdog jns-modemd jns-health jns-backup.timer >/dev/null 2>&1
ln -sf ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
ln -sf "$(ls /boot/vmlinuz-* | head -1 | xargs basename)" /boot/vmlinuz
ln -sf "$(ls /boot/initrd.img-* | head -1 | xargs basename)" /boot/initrd.img
EOF
chroot "$root" dpkg-query -W -f='${Package}\t${Version}\n' > "$out/jns-pbx-x86_64.packages.tsv"
# Trim what a call-center box never uses; the package list above still names every package.
rm -rf "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"* "$root/usr/share/man" "$root/usr/share/info"
find "$root/usr/share/doc" -type f ! -name copyright -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'pl*' ! -name 'en*' ! -name locale.alias -exec rm -rf {} +
find "$root/usr/lib/x86_64-linux-gnu/espeak-ng-data" -maxdepth 1 -name '*_dict' ! -name pl_dict ! -name en_dict -delete
mods="$root/usr/lib/modules/$kver/kernel"
rm -rf "$mods/sound" "$mods/drivers/gpu" "$mods/drivers/media" "$mods/drivers/infiniband" \
       "$mods/drivers/net/wireless" "$mods/drivers/staging" "$mods/drivers/iio" "$mods/net/bluetooth" \
       "$mods/net/mac80211" "$mods/net/wireless" "$mods/drivers/bluetooth"
chroot "$root" depmod -a "$kver"

# -- 4. disk ---------------------------------------------------------------------------------
python3 "$here/scripts/mkdisk.py" --root "$root" --work "$work" --output "$out/jns-pbx-x86_64.img"
zstd -q -T0 -15 -f "$out/jns-pbx-x86_64.img" -o "$out/jns-pbx-x86_64.img.zst"
(cd "$out" && sha256sum jns-pbx-x86_64.img jns-pbx-x86_64.img.zst > jns-pbx-x86_64.sha256)
ls -l "$out"
