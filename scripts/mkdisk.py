#!/usr/bin/env python3
"""Assemble the appliance's GPT disk image from a staged root tree, without loop devices.

Partitions (all sizes fixed at build, the data partition grows on the box):
  1 bios   1 MiB   GRUB core for BIOS boot (SeaBIOS, legacy PCs)
  2 esp   64 MiB   FAT32: GRUB for UEFI (EFI/BOOT/BOOTX64.EFI), grub.cfg, grubenv
  3 rootA  ext4    root slot A (read-only at run time; kernel and initrd in /boot)
  4 rootB  ext4    root slot B (empty until the first update writes it)
  5 data   ext4    /data: database, recordings, prompts, logs, secrets, /var overlays

Each filesystem is made as a file (mkfs.ext4 -d, mkfs.vfat + mtools) and copied into place.
The BIOS boot code is placed the way grub-bios-setup places it: boot.img in the MBR
(keeping the protective partition table) pointing at core.img in the BIOS boot partition.
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

MIB = 1024 * 1024
SECTOR = 512
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
GRUB_MODULES = ["part_gpt", "fat", "ext2", "search", "search_fs_file", "search_label",
                "normal", "configfile", "linux", "echo", "test", "loadenv", "serial",
                "terminal", "cat", "ls", "reboot", "sleep"]
ESP_MARK = "/boot/grub/jns-esp.id"


def run(*cmd: str, **kw) -> None:
    subprocess.run(cmd, check=True, **kw)


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", "--exclude=./proc", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return int(out.split()[0])


def make_ext4(image: Path, label: str, size: int, content: Path | None) -> str:
    fs_uuid = str(uuid.uuid4())
    if image.exists():
        image.unlink()
    args = ["mkfs.ext4", "-q", "-F", "-L", label, "-U", fs_uuid, "-i", "16384",
            "-E", "lazy_itable_init=0,lazy_journal_init=0"]
    if content is not None:
        args += ["-d", str(content)]
    run(*args, str(image), f"{size // 1024}k")
    return fs_uuid


GRUB_CFG = Path(__file__).resolve().parents[1] / "rootfs" / "grub" / "grub.cfg.in"

EARLY_CFG = f"""\
search --no-floppy --file --set=root {ESP_MARK}
set prefix=($root)/boot/grub
"""


def make_esp(work: Path, size: int, part_a: str, part_b: str) -> Path:
    esp = work / "esp.img"
    if esp.exists():
        esp.unlink()
    run("mkfs.vfat", "-F", "32", "-n", "JNSESP", "-C", str(esp), str(size // 1024),
        stdout=subprocess.DEVNULL)
    early = work / "early.cfg"
    early.write_text(EARLY_CFG)
    efi = work / "BOOTX64.EFI"
    run("grub-mkimage", "-O", "x86_64-efi", "-o", str(efi), "-c", str(early), "-p", "/boot/grub",
        *GRUB_MODULES, "efi_gop", "all_video")
    (work / "grub.cfg").write_text(GRUB_CFG.read_text().replace("@PARTUUID_A@", part_a)
                                 .replace("@PARTUUID_B@", part_b))
    (work / "jns-esp.id").write_text("JNS Call Center EFI system partition\n")
    env = work / "grubenv"
    if env.exists():
        env.unlink()
    run("grub-editenv", str(env), "create")
    run("grub-editenv", str(env), "set", "jns_slot=A")
    mtools = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for d in ("::/EFI", "::/EFI/BOOT", "::/boot", "::/boot/grub"):
        run("mmd", "-i", str(esp), d, env=mtools)
    run("mcopy", "-i", str(esp), str(efi), "::/EFI/BOOT/BOOTX64.EFI", env=mtools)
    for name in ("grub.cfg", "grubenv", "jns-esp.id"):
        run("mcopy", "-i", str(esp), str(work / name), f"::/boot/grub/{name}", env=mtools)
    return esp


def make_bios_core(work: Path) -> Path:
    early = work / "early.cfg"
    core = work / "core.img"
    run("grub-mkimage", "-O", "i386-pc", "-o", str(core), "-c", str(early), "-p", "/boot/grub",
        "biosdisk", *GRUB_MODULES)
    return core


def install_bios_boot(disk: Path, core: Path, core_lba: int) -> None:
    """What grub-bios-setup does for a GPT disk with a BIOS boot partition."""
    boot = bytearray(Path("/usr/lib/grub/i386-pc/boot.img").read_bytes())
    assert len(boot) == SECTOR
    struct.pack_into("<Q", boot, 0x5C, core_lba)        # GRUB_BOOT_MACHINE_KERNEL_SECTOR
    boot[0x66:0x68] = b"\x90\x90"                      # hard disk: skip the boot-drive check
    data = bytearray(core.read_bytes())
    sectors = (len(data) + SECTOR - 1) // SECTOR
    if sectors * SECTOR > MIB:
        raise SystemExit(f"core.img is {len(data)} bytes, larger than the BIOS boot partition")
    # diskboot.img's blocklist (last 12 bytes of core.img's first sector): the rest of core
    struct.pack_into("<QH", data, SECTOR - 12, core_lba + 1, sectors - 1)
    with open(disk, "r+b") as fh:
        mbr = bytearray(fh.read(SECTOR))
        mbr[:0x1B8] = boot[:0x1B8]                     # keep disk signature + partition table
        fh.seek(0)
        fh.write(mbr)
        fh.seek(core_lba * SECTOR)
        fh.write(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, required=True, help="staged root tree for slot A")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--data-mib", type=int, default=512)
    ap.add_argument("--esp-mib", type=int, default=64)
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)

    (args.root / "data").mkdir(exist_ok=True)
    used = du_bytes(args.root)
    slot = ((int(used * 1.25) + 128 * MIB) // (64 * MIB) + 1) * 64 * MIB  # headroom for updates
    part_a, part_b = str(uuid.uuid4()), str(uuid.uuid4())

    root_a = work / "rootA.img"
    make_ext4(root_a, "jns-rootA", slot, args.root)
    data_tree = work / "data"
    shutil.rmtree(data_tree, ignore_errors=True)
    for s in ("A", "B"):
        for d in ("upper", "work"):
            (data_tree / "overlay" / s / "var" / d).mkdir(parents=True)
    (data_tree / "jns").mkdir()
    data = work / "data.img"
    make_ext4(data, "jns-data", args.data_mib * MIB, data_tree)
    esp = make_esp(work, args.esp_mib * MIB, part_a, part_b)
    core = make_bios_core(work)

    layout = [("bios", 1 * MIB, BIOS_BOOT, None, None), ("esp", args.esp_mib * MIB, ESP, None, esp),
              ("rootA", slot, LINUX, part_a, root_a), ("rootB", slot, LINUX, part_b, None),
              ("data", args.data_mib * MIB, LINUX, None, data)]
    start = 1 * MIB
    lines = ["label: gpt", "unit: sectors", "first-lba: 2048"]
    placed = []
    for name, size, ptype, puuid, image in layout:
        extra = f", uuid={puuid}" if puuid else ""
        lines.append(f"start={start // SECTOR}, size={size // SECTOR}, type={ptype}, name=\"{name}\"{extra}")
        placed.append((start, image))
        start += size
    total = start + 1 * MIB
    out = args.output
    tmp = out.with_suffix(".img.tmp")
    if tmp.exists():
        tmp.unlink()
    with open(tmp, "wb") as fh:
        fh.truncate(total)
    run("sfdisk", "-q", "--no-reread", "--no-tell-kernel", str(tmp), input="\n".join(lines) + "\n",
        text=True)
    for offset, image in placed:
        if image is not None:
            run("dd", f"if={image}", f"of={tmp}", "bs=4M", f"seek={offset}", "oflag=seek_bytes",
                "conv=notrunc,sparse", "status=none")
    install_bios_boot(tmp, core, core_lba=placed[0][0] // SECTOR)
    os.replace(tmp, out)
    print(f"{out}: {total // MIB} MiB (slots {slot // MIB} MiB, root uses {used // MIB} MiB)")


if __name__ == "__main__":
    main()
