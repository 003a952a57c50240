"""The Buildroot tree (buildroot/) is checked offline, since CI cannot download what
Buildroot builds: scripts/check-buildroot.py passes on the tree, and fails, saying where
and why, on each kind of fault a maintainer could make.  The ESP and BIOS boot pieces
post-image.sh assembles are checked against the Debian image's tools (grub-editenv,
scripts/mkdisk.py)."""
from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / "buildroot"
BOARD = TREE / "board" / "jns"
CHECK = ROOT / "scripts" / "check-buildroot.py"
BOOT_IMG = Path("/usr/lib/grub/i386-pc/boot.img")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


checker = _load("check_buildroot", CHECK)


def test_the_tree_passes_the_offline_check():
    run = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("check-buildroot: OK (8 packages"), run.stdout


def test_a_failed_check_exits_1_and_lists_the_problems(tmp_path):
    tree = _copy(tmp_path)
    _append(tree / "configs" / "jns_x86_64_defconfig", "BR2_PACKAGE_NO_SUCH_THING=y\n")
    run = subprocess.run([sys.executable, str(CHECK), "--tree", str(tree)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[-1].startswith("check-buildroot: FAILED, 1 problem(s)")
    assert re.match(r"buildroot/configs/jns_x86_64_defconfig:\d+: BR2_PACKAGE_NO_SUCH_THING: "
                    r"not defined by this tree's Config.in and not in "
                    r"known-buildroot-symbols.txt", lines[0]), lines


def _copy(tmp_path: Path) -> Path:
    """A copy of the tree beside the repository's rootfs/, scripts/ and appliance/."""
    shutil.copytree(TREE, tmp_path / "buildroot", symlinks=True)
    for name in ("rootfs", "scripts", "appliance"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path / "buildroot"


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _sub(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _clone_as_buildroot_package(tree: Path) -> None:
    """python-tabulate copied under the name of one Buildroot already has (python-click)."""
    src, dst = tree / "package" / "python-tabulate", tree / "package" / "python-click"
    dst.mkdir()
    for f in src.iterdir():
        text = f.read_text().replace("TABULATE", "CLICK").replace("python-tabulate", "python-click")
        (dst / f.name.replace("tabulate", "click")).write_text(text)
    _sub(tree / "Config.in", 'source "$BR2_EXTERNAL_JNS_PATH/package/python-tabulate/Config.in"',
         'source "$BR2_EXTERNAL_JNS_PATH/package/python-tabulate/Config.in"\n'
         'source "$BR2_EXTERNAL_JNS_PATH/package/python-click/Config.in"')


def _unit_without_install_section(tree: Path) -> None:
    """The shared overlay (copied for this test) with jns-calld no longer installable."""
    rootfs = tree.parent / "rootfs"
    rootfs.unlink()
    shutil.copytree(ROOT / "rootfs", rootfs)
    unit = rootfs / "overlay/etc/systemd/system/jns-calld.service"
    unit.write_text(unit.read_text().split("[Install]")[0])


PKG = "package/{0}/{0}"
FAULTS = {
    "mk without endef": (
        lambda t: _sub(t / "package/jns-appliance/jns-appliance.mk", "endef\n", "\n"),
        "buildroot/package/jns-appliance/jns-appliance.mk:23: define "
        "JNS_APPLIANCE_INSTALL_TARGET_CMDS has no endef"),
    "mk with an unclosed ifeq": (
        lambda t: _sub(t / (PKG.format("python-tabulate") + ".mk"), "\n$(eval",
                       "\nifeq ($(BR2_PACKAGE_PYTHON3),y)\n$(eval"),
        "ifeq has no endif"),
    "mk variable named after another package": (
        lambda t: _sub(t / (PKG.format("python-pyst2") + ".mk"), "PYTHON_PYST2_LICENSE =",
                       "PYST2_LICENSE ="),
        "PYST2_LICENSE: variables of package python-pyst2 start with PYTHON_PYST2_"),
    "mk without its eval line": (
        lambda t: _sub(t / (PKG.format("python-openpyxl") + ".mk"), "$(eval $(python-package))", ""),
        "python-openpyxl.mk: no $(eval $(<infra>-package)) line"),
    "mk with a removed python setup type": (
        lambda t: _sub(t / (PKG.format("python-pyst2") + ".mk"), "SETUP_TYPE = setuptools",
                       "SETUP_TYPE = distutils"),
        "PYTHON_PYST2_SETUP_TYPE = distutils: Buildroot's python-package takes"),
    "hash without the source": (
        lambda t: _sub(t / (PKG.format("python-pyst2") + ".hash"), "pyst2-0.5.1.tar.gz", "pyst2.tgz"),
        "python-pyst2.hash: no sha256 line for pyst2-0.5.1.tar.gz"),
    "hash with a short digest": (
        lambda t: _sub(t / (PKG.format("python-tabulate") + ".hash"), "0095b12bf59", "0095b"),
        "sha256 of tabulate-0.9.0.tar.gz is not 64 hex digits"),
    "hash file missing": (
        lambda t: (t / (PKG.format("python-et-xmlfile") + ".hash")).unlink(),
        "python-et-xmlfile.hash: missing: a downloaded package needs sha256 hashes"),
    "defconfig symbol nobody defines": (
        lambda t: _append(t / "configs/jns_x86_64_defconfig", "BR2_PACKAGE_ESPEAK_NG=y\n"),
        "BR2_PACKAGE_ESPEAK_NG: not defined by this tree's Config.in"),
    "select of an unknown symbol": (
        lambda t: _sub(t / "package/python-pyst2/Config.in", "BR2_PACKAGE_PYTHON_SIX",
                       "BR2_PACKAGE_PYTHON_SEVEN"),
        "buildroot/package/python-pyst2/Config.in:4: select BR2_PACKAGE_PYTHON_SEVEN: not "
        "defined by this tree and not in known-buildroot-symbols.txt"),
    "Config.in sourcing a missing file": (
        lambda t: _append(t / "Config.in",
                          'source "$BR2_EXTERNAL_JNS_PATH/package/ghost/Config.in"\n'),
        "source $BR2_EXTERNAL_JNS_PATH/package/ghost/Config.in: the file does not exist"),
    "package left out of Config.in": (
        lambda t: _sub(t / "Config.in",
                       'source "$BR2_EXTERNAL_JNS_PATH/package/python-openpyxl/Config.in"\n', ""),
        "buildroot/package/python-openpyxl/Config.in: not sourced from Config.in"),
    "menu never closed": (
        lambda t: _sub(t / "Config.in", "endmenu", ""),
        "buildroot/Config.in:4: 'menu' is never closed (endmenu missing)"),
    "misspelt Kconfig keyword": (
        lambda t: _sub(t / "package/python-tabulate/Config.in", "\tbool ", "\tboool "),
        "unknown Kconfig keyword 'boool'"),
    "package Buildroot already has": (
        _clone_as_buildroot_package,
        "BR2_PACKAGE_PYTHON_CLICK is Buildroot's own (package/python-click/Config.in)"),
    "overlay copied into the tree": (
        lambda t: (_sub(t / "configs/jns_x86_64_defconfig", "/../rootfs/overlay",
                        "/board/jns/overlay"),
                   (t / "board/jns/overlay/etc").mkdir(parents=True),
                   shutil.copy(ROOT / "rootfs/overlay/etc/fstab", t / "board/jns/overlay/etc/fstab")),
        "buildroot/board/jns/overlay/etc/fstab: a copy of a file of rootfs/overlay"),
    "root slot renamed": (
        lambda t: _sub(t / "board/jns/genimage.cfg", "partition rootB {", "partition root2 {"),
        "partitions ['bios', 'esp', 'rootA', 'root2', 'data'] differ from scripts/mkdisk.py's "
        "['bios', 'esp', 'rootA', 'rootB', 'data']"),
    "slot B smaller than slot A": (
        lambda t: _sub(t / "board/jns/genimage.cfg", "size = 1G\n\t\tpartition-type-uuid = L\n"
                       "\t\tpartition-uuid = ac12", "size = 512M\n\t\tpartition-type-uuid = L\n"
                       "\t\tpartition-uuid = ac12"),
        "partition rootB: size 512M, expected 1073741824 bytes (BR2_TARGET_ROOTFS_EXT2_SIZE)"),
    "ESP labelled differently": (
        lambda t: _sub(t / "board/jns/genimage.cfg", 'label = "JNSESP"', 'label = "BOOT"'),
        "the esp image must be vfat labelled 'JNSESP'"),
    "unit build-image.sh enables but post-build.sh would not": (
        _unit_without_install_section,
        "build-image.sh enables jns-calld, but post-build.sh enables only overlay units with "
        "WantedBy=multi-user.target"),
    "GRUB without loadenv": (
        lambda t: _sub(t / "configs/jns_x86_64_defconfig", "loadenv serial terminal cat ls reboot "
                       "sleep efi_gop", "serial terminal cat ls reboot sleep efi_gop"),
        "BR2_TARGET_GRUB2_BUILTIN_MODULES_EFI lacks loadenv (scripts/mkdisk.py)"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_check_fails_on_a_fault_and_says_where(tmp_path, fault):
    mutate, expected = FAULTS[fault]
    tree = _copy(tmp_path)
    mutate(tree)
    problems, _ = checker.check(tree)
    assert any(expected in p for p in problems), "\n".join(problems) or "no problem found"


def _genimage_uuid(part: str) -> str:
    text = (BOARD / "genimage.cfg").read_text()
    m = re.search(r"partition " + part + r" \{[^}]*?partition-uuid = ([0-9a-f-]+)", text)
    assert m, part
    return m.group(1)


def test_esp_holds_the_shared_menu_with_this_disks_uuids_and_grubs_own_env_block(tmp_path):
    efi = tmp_path / "bootx64.efi"
    efi.write_bytes(b"MZ grub")
    out = tmp_path / "esp"
    subprocess.run([str(BOARD / "make-esp.sh"), str(out), str(efi), str(BOARD / "genimage.cfg"),
                    str(ROOT / "rootfs/grub/grub.cfg.in")], check=True, timeout=30)
    template = (ROOT / "rootfs/grub/grub.cfg.in").read_text()
    part_a, part_b = _genimage_uuid("rootA"), _genimage_uuid("rootB")
    menu = (out / "boot/grub/grub.cfg").read_text()
    assert menu == template.replace("@PARTUUID_A@", part_a).replace("@PARTUUID_B@", part_b)
    assert f"root=PARTUUID={part_a} jns.slot=A" in menu
    assert f"root=PARTUUID={part_b} jns.slot=B" in menu
    assert (out / "EFI/BOOT/BOOTX64.EFI").read_bytes() == b"MZ grub"
    assert (out / "boot/grub/jns-esp.id").is_file()
    grubenv = (out / "boot/grub/grubenv").read_bytes()
    assert len(grubenv) == 1024
    editenv = shutil.which("grub-editenv")
    if editenv is None:
        pytest.fail("grub-editenv is not installed (make deps installs GRUB)")
    listed = subprocess.run([editenv, str(out / "boot/grub/grubenv"), "list"],
                            capture_output=True, text=True, check=True).stdout
    assert listed == "jns_slot=A\n"
    ref = tmp_path / "ref"
    subprocess.run([editenv, str(ref), "create"], check=True)
    subprocess.run([editenv, str(ref), "set", "jns_slot=A"], check=True)
    assert grubenv == ref.read_bytes()       # byte for byte what mkdisk.py puts on the ESP


def test_esp_staging_refuses_a_layout_without_slot_b_uuid(tmp_path):
    cfg = tmp_path / "genimage.cfg"
    cfg.write_text(re.sub(r"(partition rootB \{[^}]*?)partition-uuid = [0-9a-f-]+\n", r"\1",
                          (BOARD / "genimage.cfg").read_text()))
    efi = tmp_path / "bootx64.efi"
    efi.write_bytes(b"MZ")
    run = subprocess.run([str(BOARD / "make-esp.sh"), str(tmp_path / "esp"), str(efi), str(cfg),
                          str(ROOT / "rootfs/grub/grub.cfg.in")], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode != 0
    assert "no partition-uuid for rootB" in run.stderr
    assert not (tmp_path / "esp/boot/grub/grub.cfg").exists()


def test_bios_boot_code_is_what_mkdisk_writes(tmp_path):
    if not BOOT_IMG.is_file():
        pytest.fail(f"{BOOT_IMG} missing (make deps installs GRUB)")
    core = tmp_path / "core.img"
    core.write_bytes(bytes((i * 7 + 3) % 251 for i in range(5 * 512 + 300)))
    out_boot, out_core = tmp_path / "mbr.bin", tmp_path / "core-patched.img"
    subprocess.run([sys.executable, str(BOARD / "bios-boot.py"), "--boot-img", str(BOOT_IMG),
                    "--core-img", str(core), "--core-lba", "2048", "--out-boot", str(out_boot),
                    "--out-core", str(out_core)], check=True, timeout=30)
    mkdisk = _load("jns_mkdisk_for_test", ROOT / "scripts/mkdisk.py")
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * (2 * 1024 * 1024))
    mkdisk.install_bios_boot(disk, core, core_lba=2048)
    raw = disk.read_bytes()
    assert len(out_boot.read_bytes()) == 440
    assert raw[:440] == out_boot.read_bytes()
    patched = out_core.read_bytes()
    assert raw[2048 * 512:2048 * 512 + len(patched)] == patched
    assert patched != core.read_bytes()      # the block list now points past sector 2048


def test_bios_boot_refuses_a_core_larger_than_its_partition(tmp_path):
    boot = tmp_path / "boot.img"
    boot.write_bytes(b"\0" * 512)
    core = tmp_path / "core.img"
    core.write_bytes(b"\1" * (1024 * 1024 + 1))
    out_boot = tmp_path / "mbr.bin"
    run = subprocess.run([sys.executable, str(BOARD / "bios-boot.py"), "--boot-img", str(boot),
                          "--core-img", str(core), "--core-lba", "2048", "--out-boot", str(out_boot),
                          "--out-core", str(tmp_path / "out.img")], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 1
    assert "larger than the 1 MiB BIOS boot partition" in run.stderr
    assert not out_boot.exists()


def test_board_scripts_are_executable_and_parse():
    for script in ("post-build.sh", "post-image.sh", "make-esp.sh", "bios-boot.py"):
        assert os.access(BOARD / script, os.X_OK), script
    for script in ("post-build.sh", "post-image.sh", "make-esp.sh"):
        subprocess.run(["sh", "-n", str(BOARD / script)], check=True)


def _fake_target(tmp_path: Path) -> Path:
    """Buildroot's target directory as post-build.sh finds it: packages installed, the
    shared overlay copied in."""
    target = tmp_path / "target"
    shutil.copytree(ROOT / "rootfs/overlay", target)
    for rel in ("boot", "usr/bin", "usr/lib/asterisk/modules", "etc/ssh", "boot/grub"):
        (target / rel).mkdir(parents=True, exist_ok=True)
    (target / "boot/bzImage").write_bytes(b"kernel")
    (target / "boot/grub/grub.cfg").write_text("buildroot's sample menu\n")
    (target / "usr/bin/espeak").write_text("#!/bin/sh\n")
    (target / "usr/bin/espeak").chmod(0o755)
    (target / "etc/ssh/sshd_config").write_text("#Port 22\nSubsystem sftp internal-sftp\n")
    (target / "etc/sudoers").write_text("root ALL=(ALL:ALL) ALL\n")
    (target / "etc/shells").write_text("/bin/sh\n")
    return target


def _keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "update-signing.pem").write_text("PRIVATE: never copied\n")
    (keys / "update-signing.pub.pem").write_text("-----BEGIN PUBLIC KEY-----\nMCowBQ==\n")
    return keys / "update-signing.pem"


def _post_build(target: Path, key: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JNS_VERSION": "1.0.7", "JNS_SIGNING_KEY": str(key)}
    env.pop("JNS_BOARD", None)
    return subprocess.run([str(BOARD / "post-build.sh"), str(target)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_post_build_prepares_the_target_as_build_image_does(tmp_path):
    target, key = _fake_target(tmp_path), _keys(tmp_path)
    run = _post_build(target, key)
    assert run.returncode == 0, run.stderr
    release = dict(line.split("=", 1) for line in (target / "etc/jns-release").read_text().split())
    assert release["JNS_VERSION"] == "1.0.7"
    assert release["JNS_BOARD"] == "x86_64-buildroot"
    assert (target / "etc/jns/update-keys/update-signing.pub.pem").read_text() == \
        key.with_name("update-signing.pub.pem").read_text()
    assert not any("PRIVATE" in p.read_text() for p in (target / "etc/jns").rglob("*.pem"))
    # every jns unit build-image.sh enables is enabled, by link and by preset
    build_image = (ROOT / "scripts/build-image.sh").read_text()
    enable = re.search(r"systemctl enable((?:\\\n|[^\n])*)", build_image).group(1)
    units = set(re.findall(r"\bjns-[a-z]+(?:\.timer)?", enable))
    assert {"jns-web", "jns-asterisk", "jns-firstboot", "jns-backup.timer"} <= units
    preset = (target / "usr/lib/systemd/system-preset/50-jns.preset").read_text().splitlines()
    for unit in units:
        name = unit if unit.endswith(".timer") else f"{unit}.service"
        wants = target / "etc/systemd/system" / ("timers.target.wants" if unit.endswith(".timer")
                                                 else "multi-user.target.wants")
        assert os.readlink(wants / name) == f"../{name}"
        assert f"enable {name}" in preset
    assert os.readlink(target / "etc/systemd/system/asterisk.service") == "/dev/null"
    assert "disable asterisk.service" in preset
    # OpenSSH: the overlay's ordering drop-in on Buildroot's unit name, no host keys on /
    drop_ins = target / "etc/systemd/system/sshd.service.d"
    assert (drop_ins / "jns.conf").read_text() == \
        (ROOT / "rootfs/overlay/etc/systemd/system/ssh.service.d/jns.conf").read_text()
    assert "ExecStartPre=\n" in (drop_ins / "jns-hostkeys.conf").read_text()
    assert (target / "etc/ssh/sshd_config").read_text().startswith(
        "Include /etc/ssh/sshd_config.d/*.conf\n")
    assert "@includedir /etc/sudoers.d" in (target / "etc/sudoers").read_text()
    assert "/usr/local/sbin/jns-console" in (target / "etc/shells").read_text().split()
    # what the appliance and the boot menu expect at Debian's paths
    assert os.readlink(target / "usr/bin/espeak-ng") == "espeak"
    assert (target / "usr/lib/x86_64-linux-gnu/asterisk/modules").resolve() == \
        (target / "usr/lib/asterisk/modules").resolve()
    assert (target / "usr/share/asterisk/modules").resolve() == \
        (target / "usr/lib/asterisk/modules").resolve()
    assert os.readlink(target / "boot/vmlinuz") == "bzImage"
    assert (target / "data").is_dir()
    assert not (target / "boot/grub").exists()
    initrd = gzip.decompress((target / "boot/initrd.img").read_bytes())
    # newc: magic, 13 hex fields (nlink 1, name size 11), "TRAILER!!!" NUL, 4-byte padding
    assert initrd[:6] == b"070701" and len(initrd) % 4 == 0
    fields = [int(initrd[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    assert fields[4] == 1 and fields[11] == 11 and fields[6] == 0
    assert initrd[110:121] == b"TRAILER!!!\0"
    # a second run (make rebuilds) gives the same result, nothing doubled
    assert _post_build(target, key).returncode == 0
    assert (target / "etc/ssh/sshd_config").read_text().count("Include") == 1
    assert (target / "etc/shells").read_text().count("jns-console") == 1


def test_post_build_refuses_to_ship_without_an_update_key(tmp_path):
    target = _fake_target(tmp_path)
    run = _post_build(target, tmp_path / "nowhere" / "update-signing.pem")
    assert run.returncode != 0
    assert "no update signing key" in run.stderr and "make update-keys" in run.stderr
    assert not (target / "etc/jns/update-keys/update-signing.pub.pem").exists()
