#!/usr/bin/env python3
"""Prepare GRUB's BIOS boot code for a GPT disk, as grub-bios-setup (and mkdisk.py) do.

genimage places the two outputs: the first 440 bytes of the MBR (boot.img pointing at
the core image; the disk signature and partition table after them stay genimage's) and
the core image for the BIOS boot partition (its first sector's block list pointing at
the rest of itself).  Same patch as scripts/mkdisk.py's install_bios_boot, so both
images boot the same way; tests/test_buildroot.py compares the bytes.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

SECTOR = 512
MBR_CODE = 0x1B8                 # boot code area; disk signature and partition table follow
KERNEL_SECTOR = 0x5C             # GRUB_BOOT_MACHINE_KERNEL_SECTOR in boot.img
DRIVE_CHECK = slice(0x66, 0x68)  # "jmp" over the boot-drive check: NOPs for hard disks
PARTITION_MAX = 1024 * 1024      # the BIOS boot partition is 1 MiB


def patch(boot: bytes, core: bytes, core_lba: int) -> tuple[bytes, bytes]:
    """(MBR boot code, core image) for a core image written at core_lba."""
    if len(boot) != SECTOR:
        raise ValueError(f"boot.img is {len(boot)} bytes, not one {SECTOR}-byte sector")
    if not core:
        raise ValueError("the core image is empty")
    sectors = (len(core) + SECTOR - 1) // SECTOR
    if sectors * SECTOR > PARTITION_MAX:
        raise ValueError(f"the core image is {len(core)} bytes, larger than the 1 MiB "
                         "BIOS boot partition")
    mbr = bytearray(boot)
    struct.pack_into("<Q", mbr, KERNEL_SECTOR, core_lba)
    mbr[DRIVE_CHECK] = b"\x90\x90"
    data = bytearray(core)
    # diskboot.img's block list (last 12 bytes of the core's first sector): the rest of core
    struct.pack_into("<QH", data, SECTOR - 12, core_lba + 1, sectors - 1)
    return bytes(mbr[:MBR_CODE]), bytes(data)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boot-img", type=Path, required=True, help="GRUB's i386-pc boot.img")
    ap.add_argument("--core-img", type=Path, required=True, help="grub-mkimage -O i386-pc output")
    ap.add_argument("--core-lba", type=int, required=True,
                    help="first sector of the BIOS boot partition")
    ap.add_argument("--out-boot", type=Path, required=True)
    ap.add_argument("--out-core", type=Path, required=True)
    args = ap.parse_args(argv)
    try:
        mbr, core = patch(args.boot_img.read_bytes(), args.core_img.read_bytes(), args.core_lba)
    except (OSError, ValueError) as exc:
        print(f"bios-boot: {exc}", file=sys.stderr)
        return 1
    _write(args.out_boot, mbr)
    _write(args.out_core, core)
    return 0


if __name__ == "__main__":
    sys.exit(main())
