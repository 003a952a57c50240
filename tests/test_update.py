"""Firmware update bundles and the A/B install, on this host with files for the slots and
GRUB's environment block (the qemu tests in test_update_image.py do it on the real disk).

Real parts: an ext4 slot image made by mkfs.ext4, bundles signed with real Ed25519 keys,
GRUB's own grub-editenv reading what we write, a real SQLite database and its snapshot, a
real install process killed half-way like a power cut.
"""
from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from appliance.lifecycle import update
from appliance.store import db as store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def box(firmware_box):
    """conftest.firmware_box, with /var layers per slot (B's left by an older firmware)
    and a database holding a marker."""
    overlay = firmware_box["data"].parent / "overlay"
    for s in ("A", "B"):
        (overlay / s / "var" / "upper").mkdir(parents=True)
    (overlay / "B" / "var" / "upper" / "stale-from-old-firmware").write_text("x")
    db = store.open_db(firmware_box["data"] / "jns.db")
    store.set_setting(db, "marker", "before the update")
    db.conn.close()
    return firmware_box


def slot_image(tmp_path: Path, version: str, size_mib: int = 24) -> Path:
    """A small ext4 root file system like the image's slot (its own /etc/jns-release)."""
    tree = tmp_path / f"tree-{version}"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "jns-release").write_text(f"JNS_VERSION={version}\n")
    (tree / "usr").mkdir()
    (tree / "usr" / "payload.bin").write_bytes(os.urandom(3 << 20))
    img = tmp_path / f"rootfs-{version}.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "jns-rootA", "-d", str(tree), str(img),
                    f"{size_mib}M"], check=True)
    return img


def make_bundle(box, version: str, **kw) -> tuple[Path, Path]:
    img = slot_image(box["tmp"], version)
    out = box["tmp"] / f"jns-{version}.jnsupd"
    update.build_bundle(img, out, version=version, key=kw.pop("key", box["key"]), **kw)
    return out, img


def grub_list(path: Path) -> dict:
    out = subprocess.run(["grub-editenv", str(path), "list"], capture_output=True, text=True,
                         check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_install_writes_other_slot_and_arms_one_trial_boot(box):
    bundle, img = make_bundle(box, "1.0.101")
    manifest = update.install(bundle)
    assert manifest["version"] == "1.0.101"
    written = box["slot_b"].read_bytes()
    assert written == img.read_bytes()
    # GRUB's own tool reads the block we wrote: slot A stays the good one, B is on trial
    env = grub_list(box["grubenv"])
    assert env["jns_slot"] == "A" and env["jns_try"] == "B" and env.get("jns_trying", "") == ""
    assert box["grubenv"].stat().st_size == 1024
    # slot B's /var layer from the old firmware is gone; the database was snapshotted
    upper = box["data"].parent / "overlay" / "B" / "var" / "upper"
    assert upper.is_dir() and not any(upper.iterdir())
    snaps = list((box["data"] / "update" / "snapshots").glob("schema-*.db"))
    assert len(snaps) == 1
    con = sqlite3.connect(snaps[0])
    assert con.execute("SELECT value FROM settings WHERE key='marker'").fetchone()[0] == \
        "before the update"
    st = update.status()
    assert st["state"] == "ready" and st["other_version"] == "1.0.101" and st["slot"] == "A"


def test_bad_signature_is_refused_and_nothing_is_written(box, tmp_path):
    stranger, _ = update.keygen(tmp_path / "stranger")
    bundle, _ = make_bundle(box, "1.0.102", key=stranger)
    before_slot, before_env = box["slot_b"].read_bytes(), box["grubenv"].read_bytes()
    with pytest.raises(update.UpdateError, match="signature is not valid"):
        update.install(bundle)
    assert box["slot_b"].read_bytes() == before_slot
    assert box["grubenv"].read_bytes() == before_env
    st = update.status()
    assert st["state"] == "failed" and "signature" in st["message"]
    assert st["history"][0]["result"] == "refused"


def test_a_changed_manifest_or_image_is_refused(box, tmp_path):
    bundle, _ = make_bundle(box, "1.0.103")
    # the manifest edited after signing (a higher version claimed)
    members = {}
    with tarfile.open(bundle) as tar:
        for m in tar.getmembers():
            members[m.name] = tar.extractfile(m).read()
    forged = json.loads(members["manifest.json"])
    forged["version"] = "9.9.9"
    members["manifest.json"] = json.dumps(forged).encode()
    bad = tmp_path / "forged.jnsupd"
    with tarfile.open(bad, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name in ("manifest.json", "manifest.sig", "rootfs.img.zst"):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            tar.addfile(info, io.BytesIO(members[name]))
    with pytest.raises(update.UpdateError, match="signature is not valid"):
        update.verify_bundle(bad)
    # one flipped byte in the image: the signature holds, the checksum does not
    raw = bytearray(bundle.read_bytes())
    raw[-4096] ^= 0xFF
    flipped = tmp_path / "flipped.jnsupd"
    flipped.write_bytes(bytes(raw))
    with pytest.raises(update.UpdateError, match="damaged"):
        update.install(flipped)
    assert grub_list(box["grubenv"]).get("jns_try", "") == ""
    # not a bundle at all
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff" + os.urandom(5000))
    with pytest.raises(update.UpdateError, match="not a firmware bundle"):
        update.verify_bundle(junk)


def test_older_version_and_other_board_are_refused(box):
    old, _ = make_bundle(box, "1.0.99")
    with pytest.raises(update.UpdateError, match="older than the running 1.0.100"):
        update.verify_bundle(old)
    assert update.verify_bundle(old, force=True)["version"] == "1.0.99"
    other_board, _ = make_bundle(box, "1.0.104", board="arm64-rpi4")
    with pytest.raises(update.UpdateError, match="board 'arm64-rpi4'"):
        update.verify_bundle(other_board)
    assert update.parse_version("1.0.312+gabc") == (1, 0, 312)
    assert update.parse_version("1.0.312.1") > update.parse_version("1.0.312")
    with pytest.raises(ValueError):
        update.parse_version("a9299ae")


def test_power_cut_while_writing_leaves_the_boot_loader_alone(box):
    """The install process killed half-way (as a power cut would stop it): GRUB still boots
    slot A, and the panel says the install stopped."""
    bundle, _ = make_bundle(box, "1.0.105")
    # a slow reader: a FIFO feeds the bundle so the process is surely mid-write when killed
    fifo = box["tmp"] / "bundle.fifo"
    os.mkfifo(fifo)
    env = {**os.environ, **box["env"]}
    proc = subprocess.Popen([sys.executable, "-m", "appliance.lifecycle.update", "install",
                             str(fifo)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    # the install reads the bundle twice (verify, then write): feed both passes, but
    # only half of the second one
    data = bundle.read_bytes()
    with open(fifo, "wb") as fh:
        fh.write(data)
    state = box["data"] / "update" / "state.json"
    deadline = time.monotonic() + 30       # the first pass has closed the file when it says so
    while "is genuine" not in (state.read_text() if state.exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
        time.sleep(0.05)
    with open(fifo, "wb") as fh:
        fh.write(data[:len(data) // 2])
        fh.flush()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if state.exists() and json.loads(state.read_text()).get("state") == "writing":
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert json.loads(state.read_text())["state"] == "writing"
    env_now = grub_list(box["grubenv"])
    assert env_now["jns_slot"] == "A" and env_now.get("jns_try", "") == ""
    st = update.status()
    assert st["state"] == "failed" and "nothing was changed" in st["message"]
    assert st["other_version"] is None      # slot B is known to hold no good firmware now


def test_rollback_is_recorded_and_the_database_snapshot_comes_back(box):
    bundle, _ = make_bundle(box, "1.0.106")
    update.install(bundle)
    # the trial boot (slot B): the new firmware migrates the database one step further
    db_path = box["data"] / "jns.db"
    con = sqlite3.connect(db_path)
    con.execute("UPDATE settings SET value='written by the new firmware' WHERE key='marker'")
    con.execute(f"PRAGMA user_version={store.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    update.Reporter(box["data"])("failed", 0.0, "x", gate_failure="jns-web keeps crashing")
    # GRUB found jns_trying=1 and booted slot A again
    update.update_grubenv(jns_try="", jns_trying="", jns_rolled_back="B")
    snap = update.restore_snapshot_if_newer(db_path, store.SCHEMA_VERSION)
    assert snap is not None
    db = store.open_db(db_path)
    assert store.get_setting(db, "marker") == "before the update"
    db.conn.close()
    aside = list((box["data"] / "update" / "snapshots").glob("newer-schema-*/jns.db"))
    assert len(aside) == 1       # the newer database is kept, not deleted
    entry = update.record_boot(box["data"])
    assert entry["result"] == "rolled_back" and entry["version"] == "1.0.106"
    assert entry["reason"] == "jns-web keeps crashing"
    assert grub_list(box["grubenv"]).get("jns_rolled_back", "") == ""
    st = update.status()
    assert st["rolled_back"]["version"] == "1.0.106" and "went back" in st["message"]
    assert update.record_boot(box["data"]) is None      # said once


def test_grubenv_written_by_grub_editenv_is_read_and_kept(box):
    subprocess.run(["grub-editenv", str(box["grubenv"]), "set", "saved_entry=slotA",
                    "jns_try=B"], check=True)
    env = update.read_grubenv()
    assert env["saved_entry"] == "slotA" and env["jns_try"] == "B"
    update.update_grubenv(jns_try="", jns_slot="B")
    listed = grub_list(box["grubenv"])
    assert listed["saved_entry"] == "slotA" and listed["jns_slot"] == "B"
    with pytest.raises(ValueError):
        update.format_grubenv({"jns_slot": "B\nevil=1"})


def test_jns_update_command_line(box):
    bundle, _ = make_bundle(box, "1.0.107")
    env = {**os.environ, **box["env"]}
    run = lambda *a: subprocess.run([sys.executable, "-m", "appliance.cli", "update", *a],
                                    cwd=ROOT, env=env, capture_output=True, text=True)
    ok = run("check", str(bundle))
    assert ok.returncode == 0 and "OK: version 1.0.107" in ok.stdout
    bad = run("check", str(box["release"]))
    assert bad.returncode == 2 and "not a firmware bundle" in bad.stderr
    st = run("status")
    assert json.loads(st.stdout)["version"] == "1.0.100"
