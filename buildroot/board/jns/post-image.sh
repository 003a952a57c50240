#!/bin/sh
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): the flashable disk
# images/jns-pbx-x86_64.img, laid out like the Debian image (scripts/mkdisk.py):
#   1 bios   1 MiB   GRUB core for BIOS boot (boot code in the MBR)
#   2 esp   64 MiB   FAT32 "JNSESP": GRUB for UEFI, grub.cfg, grubenv (jns_slot=A)
#   3 rootA  ext4    "jns-rootA": Buildroot's rootfs.ext4
#   4 rootB  ext4    empty until the first update writes it
#   5 data   ext4    "jns-data": /overlay/{A,B}/var/{upper,work} and /jns
# Buildroot calls it with BINARIES_DIR as $1 and HOST_DIR, TARGET_DIR, BUILD_DIR set.
set -eu

binaries=${1:-${BINARIES_DIR:?}}
: "${HOST_DIR:?HOST_DIR not set: run from Buildroot}" "${BUILD_DIR:?BUILD_DIR not set}"
board_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$board_dir/../../.." && pwd)
cfg=$board_dir/genimage.cfg

die() { echo "post-image.sh: $*" >&2; exit 1; }

[ -f "$binaries/rootfs.ext4" ] || die "$binaries/rootfs.ext4 missing: BR2_TARGET_ROOTFS_EXT2_4"
[ -f "$binaries/grub.img" ] || die "$binaries/grub.img missing: BR2_TARGET_GRUB2_I386_PC"

stage=$binaries/jns-stage
rm -rf "$stage"
mkdir -p "$stage/esp" "$stage/data/jns"

# ESP: GRUB for UEFI, the shared boot menu with this disk's partition UUIDs, grubenv
"$board_dir/make-esp.sh" "$stage/esp" "$binaries/efi-part/EFI/BOOT/bootx64.efi" "$cfg" \
    "$repo/rootfs/grub/grub.cfg.in"

# data: per-slot /var overlays and the appliance's data directory (mkdisk.py's data tree)
for slot in A B; do
    for dir in upper work; do
        mkdir -p "$stage/data/overlay/$slot/var/$dir"
    done
done

# BIOS boot: boot.img from GRUB's i386-pc build, patched to load the core image from
# the BIOS boot partition (1 MiB into the disk: sector 2048, as in genimage.cfg)
boot_img=
for candidate in "${TARGET_DIR:-/nonexistent}/lib/grub/i386-pc/boot.img" "$BUILD_DIR"/grub2-*/build-i386-pc/grub-core/boot.img; do
    if [ -f "$candidate" ]; then boot_img=$candidate; break; fi
done
[ -n "$boot_img" ] || die "GRUB's i386-pc boot.img not found under $BUILD_DIR/grub2-*"
"$HOST_DIR/bin/python3" "$board_dir/bios-boot.py" --boot-img "$boot_img" \
    --core-img "$binaries/grub.img" --core-lba 2048 \
    --out-boot "$binaries/jns-bios-boot.img" --out-core "$binaries/jns-bios-core.img"

# genimage under fakeroot, so the data partition's files belong to root as on the box
tmp=$BUILD_DIR/jns-genimage.tmp
rm -rf "$tmp"
"$HOST_DIR/bin/fakeroot" -- sh -ec '
    chown -R 0:0 "$1"
    genimage --rootpath "$1" --tmppath "$2" --inputpath "$3" --outputpath "$3" --config "$4"
' sh "$stage" "$tmp" "$binaries" "$cfg"
rm -rf "$tmp" "$stage"

(cd "$binaries" && sha256sum jns-pbx-x86_64.img > jns-pbx-x86_64.sha256)
echo "post-image.sh: $binaries/jns-pbx-x86_64.img"
