#!/bin/sh
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT): what scripts/build-image.sh
# does to the Debian root filesystem, done to Buildroot's target directory.  Runs after
# the shared overlay (rootfs/overlay) is copied in and before the ext4 image is made.
#
#   JNS_VERSION       firmware version (default 1.0.<commits>, as build-image.sh)
#   JNS_BOARD         board name update bundles must match (default x86_64-buildroot: a
#                     Debian bundle does not fit this image's root slots)
#   JNS_SIGNING_KEY   update signing key (default /var/cache/jns-pbx/keys/update-signing.pem);
#                     only its public half, update-signing.pub.pem beside it, goes in
set -eu

target=${1:?usage: post-build.sh TARGET_DIR}
board_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$board_dir/../../.." && pwd)
cache=${JNS_CACHE:-/var/cache/jns-pbx}

die() { echo "post-build.sh: $*" >&2; exit 1; }

# -- release file (appliance.lifecycle.update reads it) -----------------------------------
version=${JNS_VERSION:-1.0.$(git -C "$repo" rev-list --count HEAD 2>/dev/null || echo 0)}
build=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo dev)
board=${JNS_BOARD:-x86_64-buildroot}
printf 'JNS_VERSION=%s\nJNS_BOARD=%s\nJNS_BUILD=%s\nJNS_BUILT=%s\n' \
    "$version" "$board" "$build" "$(date -u +%FT%TZ)" > "$target/etc/jns-release"

# -- the public key update bundles are verified with ----------------------------------------
key=${JNS_SIGNING_KEY:-$cache/keys/update-signing.pem}
pub=${key%.pem}.pub.pem
mkdir -p "$target/etc/jns/update-keys"
if [ -f "$pub" ]; then
    cp "$pub" "$target/etc/jns/update-keys/update-signing.pub.pem"
elif [ -f "$key" ]; then
    openssl pkey -in "$key" -pubout -out "$target/etc/jns/update-keys/update-signing.pub.pem"
else
    die "no update signing key at $key: run 'make update-keys' (or set JNS_SIGNING_KEY)"
fi

# -- services: enable every jns-* unit of the overlay that has an [Install] section -------
# Buildroot runs `systemctl preset-all` after this script, so the units go into a preset
# file as well as getting their links here.
units=$target/etc/systemd/system
preset=$target/usr/lib/systemd/system-preset/50-jns.preset
mkdir -p "$units/multi-user.target.wants" "$(dirname "$preset")"
{
    echo "# JNS Call Center (buildroot/board/jns/post-build.sh)"
    for unit in systemd-networkd.service systemd-resolved.service systemd-timesyncd.service; do
        echo "enable $unit"
    done
} > "$preset"
found=0
for path in "$units"/jns-*.service; do
    [ -f "$path" ] || continue
    name=$(basename "$path")
    grep -q '^WantedBy=multi-user.target' "$path" || continue
    ln -sf "../$name" "$units/multi-user.target.wants/$name"
    echo "enable $name" >> "$preset"
    found=$((found + 1))
done
# timers (scheduled backups) are wanted by timers.target
mkdir -p "$units/timers.target.wants"
for path in "$units"/jns-*.timer; do
    [ -f "$path" ] || continue
    name=$(basename "$path")
    grep -q '^WantedBy=timers.target' "$path" || continue
    ln -sf "../$name" "$units/timers.target.wants/$name"
    echo "enable $name" >> "$preset"
done
[ "$found" -gt 0 ] || die "no jns-*.service in $units: is BR2_ROOTFS_OVERLAY set?"
# Asterisk runs as jns-asterisk (configuration rendered from the database), never as the
# package's own unit
echo "disable asterisk.service" >> "$preset"
ln -sf /dev/null "$units/asterisk.service"

# OpenSSH: Buildroot's unit is sshd.service (Debian's ssh.service gets the overlay's
# drop-in); host keys are made by jns-firstboot on /data, not by ssh-keygen -A on the
# read-only root
if [ -d "$units/ssh.service.d" ]; then
    mkdir -p "$units/sshd.service.d"
    cp "$units/ssh.service.d/"*.conf "$units/sshd.service.d/"
    printf '[Service]\nExecStartPre=\n' > "$units/sshd.service.d/jns-hostkeys.conf"
fi
if [ -f "$target/etc/ssh/sshd_config" ] && ! grep -q '^Include /etc/ssh/sshd_config.d/' "$target/etc/ssh/sshd_config"; then
    sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' "$target/etc/ssh/sshd_config"
fi
if [ -f "$target/etc/sudoers" ] && ! grep -Eq '^[@#]includedir /etc/sudoers.d' "$target/etc/sudoers"; then
    echo '@includedir /etc/sudoers.d' >> "$target/etc/sudoers"
fi

# -- the technician's login shell (users.txt makes the account) ------------------------------
grep -qx /usr/local/sbin/jns-console "$target/etc/shells" 2>/dev/null \
    || echo /usr/local/sbin/jns-console >> "$target/etc/shells"

ln -sf ../run/systemd/resolve/stub-resolv.conf "$target/etc/resolv.conf"
mkdir -p "$target/data"

# -- paths the appliance expects from the Debian packages ------------------------------------
# Asterisk: Buildroot installs modules and sounds under /usr/lib/asterisk;
# appliance.telephony.render's Layout uses Debian's locations.
if [ -d "$target/usr/lib/asterisk/modules" ]; then
    mkdir -p "$target/usr/lib/x86_64-linux-gnu/asterisk" "$target/usr/share"
    ln -sfn ../../asterisk/modules "$target/usr/lib/x86_64-linux-gnu/asterisk/modules"
    [ -e "$target/usr/share/asterisk" ] || ln -s ../lib/asterisk "$target/usr/share/asterisk"
fi
# Typed prompts: Buildroot has espeak, not espeak-ng; the options appliance.telephony.sounds
# uses (-v, -b 1, -w, text on stdin) are the same
if [ ! -e "$target/usr/bin/espeak-ng" ] && [ -x "$target/usr/bin/espeak" ]; then
    ln -s espeak "$target/usr/bin/espeak-ng"
fi

# -- boot files the shared grub.cfg names (rootfs/grub/grub.cfg.in) ---------------------------
[ -f "$target/boot/bzImage" ] || die "$target/boot/bzImage missing: BR2_LINUX_KERNEL_INSTALL_TARGET"
ln -sf bzImage "$target/boot/vmlinuz"
# The kernel has what it needs built in (board/jns/linux.fragment) and mounts root=PARTUUID
# itself; GRUB's menu still loads /boot/initrd.img, so it is an empty initramfs: a newc
# archive holding only its trailer (no /init, so the kernel mounts the root slot as it
# would without one).  110-byte header, "TRAILER!!!" and its NUL, padded to 4 bytes.
printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08XTRAILER!!!\000\000\000\000' \
    0 0 0 0 1 0 0 0 0 0 0 11 0 | gzip -9n > "$target/boot/initrd.img"
# Buildroot's sample menu for the i386-pc GRUB: the real one is on the ESP
rm -f "$target/boot/grub/grub.cfg"
rmdir "$target/boot/grub" 2>/dev/null || true
