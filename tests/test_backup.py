"""Encrypted backup and restore (IMG-5): real files, real SQLite, a real HTTP server and a
real OpenSSH sshd on loopback.  A "box" here is a data directory laid out like /data/jns."""
from __future__ import annotations

import base64
import fcntl
import getpass
import hashlib
import http.server
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.devbox import free_port
from appliance.lifecycle import backup
from appliance.lifecycle.backup import BackupError
from appliance.store import config, db as store, users

ROOT = Path(__file__).resolve().parents[1]
PASS = "correct horse battery"
SECRETS = {"https.crt": "CERT {name}", "https.key": "KEY {name}", "console.pw": "pw {name}",
           "ssh/ssh_host_ed25519_key": "SSH PRIVATE {name}",
           "ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA {name}"}


def make_box(data: Path, name: str, *, prompt_bytes: int = 3 << 20, agent: bool = False) -> Path:
    """A box's data directory: configured database, prompts, music, secrets, network,
    recordings, logs (what `appliance.box prepare` and a few weeks of use leave)."""
    db = store.open_db(data / "jns.db")
    config.seed_demo(db)
    users.create_user(db, f"admin-{name}", "Secret-pass-1", "admin")
    if agent:
        users.create_user(db, f"ola-{name}", "Secret-pass-2", "agent", agent="101")
    config.add_queue(db, f"sales-{name}", "Sales", members=["101", "102"], strategy="ringall")
    config.save_prompt(db, "welcome", "pl", "upload", seconds=2.5)
    db.conn.close()
    rnd = hashlib.sha256(name.encode()).digest()
    files = {
        "asterisk/prompts/pl/welcome.wav": os.urandom(prompt_bytes),
        "asterisk/prompts/en/welcome.wav": rnd * 1000,
        f"asterisk/moh/sales-{name}/music.wav": rnd * 5000,
        "network.json": json.dumps({"mode": "static", "address": f"192.0.2.{len(name)}/24"}).encode(),
        f"asterisk/spool/monitor/2026/11/{name}-1.wav": rnd * 300,
        f"archive/recordings/2025/{name}-0.wav": rnd * 200,
        "asterisk/log/queue_log": f"1|NONE|NONE|NONE|QUEUESTART|{name}\n".encode(),
        "alarms.log": f"2026-11-01 10:00:00 WARNING disk: {name}\n".encode(),
        "asterisk/etc/gen-1/extensions.conf": f"; rendered on {name}\n".encode(),
    }
    for rel, text in SECRETS.items():
        files[f"secrets/{rel}"] = text.format(name=name).encode()
    for rel, content in files.items():
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    os.symlink("gen-1", data / "asterisk" / "etc" / "current")     # as render.install does
    os.chmod(data / "secrets", 0o700)
    for rel in SECRETS:
        os.chmod(data / "secrets" / rel, 0o600 if "pub" not in rel else 0o644)
    return data


def tree_hash(root: Path) -> str:
    """Everything a user could notice: names, kinds, modes, contents, link targets."""
    h = hashlib.sha256()
    for dirpath, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(dirpath) / name
            st = path.lstat()
            h.update(f"{path.relative_to(root)}|{st.st_mode:o}|".encode())
            if path.is_symlink():
                h.update(os.readlink(path).encode())
            elif path.is_file():
                h.update(path.read_bytes())
    return h.hexdigest()


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def snapshot_of(data: Path) -> dict:
    db = store.open_db(data / "jns.db")
    try:
        return {"users": users.list_users(db), "config": config.snapshot(db)}
    finally:
        db.conn.close()


# -- backup and restore ------------------------------------------------------------------------

def test_backup_restores_everything_onto_another_box(tmp_path):
    old = make_box(tmp_path / "old" / "jns", "old", agent=True)
    new = make_box(tmp_path / "new" / "jns", "new", agent=True)
    fractions = []
    info = backup.create_backup(tmp_path / "box.jnsbak", PASS, data_dir=old,
                                progress=lambda f, _what: fractions.append(f))
    assert info["items"] == ["jns.db", "asterisk/prompts", "asterisk/moh", "secrets",
                             "network.json"]
    assert info["includes_recordings"] is False and info["schema_version"] == store.SCHEMA_VERSION
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    header = backup.read_info(tmp_path / "box.jnsbak")
    assert header["hostname"] == socket.gethostname() and header["created"].endswith("Z")
    assert header["size"] == (tmp_path / "box.jnsbak").stat().st_size
    raw = (tmp_path / "box.jnsbak").read_bytes()
    assert raw.startswith(b"JNSBACKUP1\n") and b"Secret" not in raw and b"SSH PRIVATE" not in raw

    new_recordings = files_under(new / "asterisk/spool/monitor")
    done = backup.restore_backup(tmp_path / "box.jnsbak", PASS, data_dir=new)
    assert done["next"] == "restart services"
    assert done["restored"] == info["items"]
    assert snapshot_of(new) == snapshot_of(old)
    assert {u["username"] for u in snapshot_of(new)["users"]} == {"admin-old", "ola-old"}
    for part in ("asterisk/prompts", "asterisk/moh", "secrets"):
        assert files_under(new / part) == files_under(old / part), part
    assert (new / "network.json").read_bytes() == (old / "network.json").read_bytes()
    assert oct((new / "secrets" / "https.key").stat().st_mode & 0o777) == "0o600"
    assert oct((new / "secrets").stat().st_mode & 0o777) == "0o700"
    assert oct((new / "jns.db").stat().st_mode & 0o777) == "0o600"
    # what the backup does not hold stays the new box's own
    assert files_under(new / "asterisk/spool/monitor") == new_recordings
    assert b"new" in (new / "alarms.log").read_bytes()
    assert os.readlink(new / "asterisk/etc/current") == "gen-1"
    assert b"rendered on new" in (new / "asterisk/etc/current/extensions.conf").read_bytes()
    assert not (tmp_path / "new" / ".restore-tmp").exists()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [".jns-backup.lock", "jns"]
    db = store.open_db(new / "jns.db")           # a working database in WAL mode again
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert users.authenticate(db, "admin-old", "Secret-pass-1", "127.0.0.1")


def test_recordings_only_when_asked(tmp_path):
    box = make_box(tmp_path / "box" / "jns", "box")
    backup.create_backup(tmp_path / "plain.jnsbak", PASS, data_dir=box)
    info = backup.create_backup(tmp_path / "full.jnsbak", PASS, data_dir=box, recordings=True)
    assert info["includes_recordings"] is True
    assert {"asterisk/spool/monitor", "archive/recordings"} <= set(info["items"])
    assert backup.read_info(tmp_path / "plain.jnsbak")["includes_recordings"] is False
    # a new box before its first boot: no data directory at all
    plain, full = tmp_path / "a" / "jns", tmp_path / "b" / "jns"
    backup.restore_backup(tmp_path / "plain.jnsbak", PASS, data_dir=plain)
    backup.restore_backup(tmp_path / "full.jnsbak", PASS, data_dir=full)
    assert not (plain / "asterisk/spool/monitor").exists()
    assert not (plain / "archive").exists()
    for part in ("asterisk/spool/monitor", "archive/recordings"):
        assert files_under(full / part) == files_under(box / part) != {}
    assert snapshot_of(plain) == snapshot_of(box)


def test_bad_passphrase_or_damaged_file_changes_nothing(tmp_path):
    box = make_box(tmp_path / "old" / "jns", "old")
    src = tmp_path / "box.jnsbak"
    backup.create_backup(src, PASS, data_dir=box)
    raw = src.read_bytes()
    head = raw.index(b"\n", len(b"JNSBACKUP1\n")) + 1
    chunk = backup.CHUNK + 16
    assert len(raw) - head > 2 * chunk, "the test needs a backup of several chunks"
    target = make_box(tmp_path / "target" / "jns", "target")
    before = tree_hash(target)
    flipped = bytearray(raw)
    flipped[head + chunk + 1000] ^= 0x01
    header_changed = raw.replace(b'"hostname":"', b'"hostname":"x', 1)
    cases = {
        "wrong passphrase": (raw, "wrong horse battery", "wrong passphrase or damaged file"),
        "flipped byte": (bytes(flipped), PASS, "damaged or truncated file"),
        "header changed": (header_changed, PASS, "wrong passphrase or damaged file"),
        "cut in a chunk": (raw[:head + chunk + 5000], PASS, "damaged or truncated file"),
        "cut at a chunk's end": (raw[:head + 2 * chunk], PASS, "damaged or truncated file"),
        "last byte missing": (raw[:-1], PASS, "damaged or truncated file"),
        "header only": (raw[:head], PASS, "wrong passphrase or damaged file"),
        "bytes appended": (raw + b"\0" * 100, PASS, "damaged or truncated file"),
        "not a backup": (b"PK\x03\x04" + raw[4:], PASS, "not a JNS backup file"),
        "header cut": (raw[:40], PASS, "damaged file: the header cannot be read"),
    }
    for what, (content, passphrase, message) in cases.items():
        bad = tmp_path / "bad.jnsbak"
        bad.write_bytes(content)
        with pytest.raises(BackupError, match=message):
            backup.restore_backup(bad, passphrase, data_dir=target)
        assert tree_hash(target) == before, what
        assert not (target.parent / ".restore-tmp").exists(), what
    with pytest.raises(BackupError, match="at least 8 characters"):
        backup.create_backup(tmp_path / "short.jnsbak", "seven77", data_dir=box)
    assert not (tmp_path / "short.jnsbak").exists()
    with pytest.raises(BackupError, match="cannot be written inside"):
        backup.create_backup(box / "secrets" / "x.jnsbak", PASS, data_dir=box)
    with pytest.raises(BackupError, match="no database"):
        backup.create_backup(tmp_path / "x.jnsbak", PASS, data_dir=tmp_path / "empty")
    backup.restore_backup(src, PASS, data_dir=target)         # the good file still restores
    assert snapshot_of(target) == snapshot_of(box)


def _db_at_version(path: Path, version: int) -> None:
    """A database as an older firmware left it (cf. tests/test_store.py)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for v, script in enumerate(store.MIGRATIONS[:version]):
        for statement in store._split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={v + 1}")
    conn.execute("INSERT INTO agents (extension, name, secret) VALUES ('201', 'Ola', 's')")
    conn.commit()
    conn.close()


def test_backup_of_an_older_schema_is_migrated_forward(tmp_path):
    old = tmp_path / "old" / "jns"
    _db_at_version(old / "jns.db", 3)
    info = backup.create_backup(tmp_path / "v3.jnsbak", PASS, data_dir=old)
    assert info["schema_version"] == 3
    conn = sqlite3.connect(old / "jns.db")     # the backup never migrates the box's own
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()
    target = make_box(tmp_path / "new" / "jns", "new")
    done = backup.restore_backup(tmp_path / "v3.jnsbak", PASS, data_dir=target)
    assert (done["schema_from"], done["schema_now"]) == (3, store.SCHEMA_VERSION)
    db = store.open_db(target / "jns.db")
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert [(r["extension"], r["name"]) for r in db.query("SELECT * FROM agents")] == [("201", "Ola")]
    assert db.execute("SELECT login FROM agents").fetchone()[0] == 0   # migration 4 ran


def test_backup_from_a_newer_firmware_is_refused(tmp_path):
    newer = tmp_path / "newer" / "jns"
    store.open_db(newer / "jns.db").execute(f"PRAGMA user_version={store.SCHEMA_VERSION + 1}")
    backup.create_backup(tmp_path / "newer.jnsbak", PASS, data_dir=newer)
    target = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=1000)
    before = tree_hash(target)
    with pytest.raises(BackupError, match="newer than this firmware knows .* update the firmware"):
        backup.restore_backup(tmp_path / "newer.jnsbak", PASS, data_dir=target)
    assert tree_hash(target) == before


def test_database_copy_is_consistent_while_the_box_writes(tmp_path):
    box = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=1000)
    db = store.open_db(box / "jns.db")
    db.execute("CREATE TABLE pairs (grp INTEGER, n INTEGER)")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        w = store.open_db(box / "jns.db")
        while not stop.is_set():
            with store.transaction(w):        # two rows or none: never one
                w.execute("INSERT INTO pairs VALUES (?, 1)", [written[0]])
                w.execute("INSERT INTO pairs VALUES (?, 2)", [written[0]])
            written[0] += 1
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 50:
            time.sleep(0.01)
        backup.create_backup(tmp_path / "live.jnsbak", PASS, data_dir=box)
    finally:
        stop.set()
        thread.join()
    backup.restore_backup(tmp_path / "live.jnsbak", PASS, data_dir=tmp_path / "r" / "jns")
    conn = sqlite3.connect(tmp_path / "r" / "jns" / "jns.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    groups = conn.execute("SELECT grp, count(*) FROM pairs GROUP BY grp").fetchall()
    assert len(groups) >= 50 and {c for _g, c in groups} == {2}


def test_power_cut_during_restore_leaves_old_or_new(tmp_path):
    """A restore killed (SIGKILL) at many points: the data directory is always the whole
    old one or the whole new one, and the next restore cleans up and succeeds."""
    old = make_box(tmp_path / "src" / "jns", "old", prompt_bytes=2 << 20)
    other = make_box(tmp_path / "other" / "jns", "other", prompt_bytes=2 << 20)
    backup.create_backup(tmp_path / "b.jnsbak", PASS, data_dir=other)
    ref = tmp_path / "ref" / "jns"
    shutil.copytree(old, ref, symlinks=True)
    backup.restore_backup(tmp_path / "b.jnsbak", PASS, data_dir=ref)
    old_hash, new_hash = tree_hash(old), tree_hash(ref)
    fork = multiprocessing.get_context("fork")

    def run(data: Path, kill_after: float | None) -> float:
        proc = fork.Process(target=backup.restore_backup,
                            args=(tmp_path / "b.jnsbak", PASS), kwargs={"data_dir": data})
        t0 = time.monotonic()
        proc.start()
        if kill_after is None:
            proc.join(60)
            assert proc.exitcode == 0
        else:
            time.sleep(kill_after)
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(60)
        return time.monotonic() - t0
    shutil.copytree(old, tmp_path / "timing" / "jns", symlinks=True)
    duration = run(tmp_path / "timing" / "jns", None)
    seen = set()
    for i, fraction in enumerate((0.2, 0.5, 0.7, 0.85, 0.95, 1.1)):
        data = tmp_path / f"cut{i}" / "jns"
        shutil.copytree(old, data, symlinks=True)
        run(data, duration * fraction)
        state = {old_hash: "old", new_hash: "new"}.get(tree_hash(data))
        assert state, f"killed at {fraction:.0%} of a restore: neither the old nor the new data"
        seen.add(state)
        backup.cleanup_stale(data)              # what the next backup or restore does first
        assert not (data.parent / ".restore-tmp").exists()
        assert tree_hash(data) == {"old": old_hash, "new": new_hash}[state]
    print("\nstates after the kills:", seen)
    assert "old" in seen
    backup.restore_backup(tmp_path / "b.jnsbak", PASS, data_dir=data)
    assert tree_hash(data) == new_hash


def test_interrupted_two_rename_swap_is_put_right(tmp_path):
    """Where the atomic exchange is missing, the swap is two renames with a marker; after a
    power cut between them, recover_interrupted() puts the complete tree in place."""
    def tree(path: Path, name: str) -> None:
        db = store.open_db(path / "jns.db")
        store.set_setting(db, "which", name)
        db.conn.close()
        (path / "secrets").mkdir()
        (path / "secrets" / "https.key").write_text(name)
    for complete in (True, False):
        base = tmp_path / f"case{complete}"
        stage = base / ".restore-tmp"
        tree(stage / "old", "old")
        if complete:
            tree(stage / "jns", "new")
        (stage / "restore-state.json").write_text(json.dumps({"phase": "fallback"}))
        data = base / "jns"
        assert not data.exists()
        assert backup.cleanup_stale(data) == (
            "restore completed" if complete else "restore undone: the old data is back")
        assert not stage.exists()
        expected = "new" if complete else "old"
        assert store.get_setting(store.open_db(data / "jns.db"), "which") == expected
        assert (data / "secrets" / "https.key").read_text() == expected
        assert backup.recover_interrupted(data) is None        # nothing left to do


# -- scheduled backups -----------------------------------------------------------------------

def local(y, mo, d, h, mi=0) -> float:
    return time.mktime((y, mo, d, h, mi, 0, 0, 0, -1))


def test_due_logic_follows_the_box_clock(warsaw):
    daily = {**backup.SETTING_DEFAULTS, "backup_schedule": "daily", "backup_hour": "2"}
    weekly = {**daily, "backup_schedule": "weekly", "backup_hour": "3", "backup_weekday": "6"}
    off = backup.SETTING_DEFAULTS
    last = local(2026, 11, 10, 2, 5)                       # Tuesday 02:05
    assert backup.is_due(daily, None, local(2026, 11, 10, 14)) is True   # never: at once
    assert backup.is_due(daily, last, local(2026, 11, 10, 23, 59)) is False
    assert backup.is_due(daily, last, local(2026, 11, 11, 1, 59)) is False
    assert backup.is_due(daily, last, local(2026, 11, 11, 2, 0)) is True
    assert backup.is_due(daily, last, local(2026, 11, 13, 9)) is True    # box was off: catch up
    assert backup.is_due(off, None, local(2026, 11, 13, 9)) is False
    sunday = local(2026, 11, 15, 3, 1)
    assert backup.is_due(weekly, last, local(2026, 11, 14, 23)) is False  # Saturday
    assert backup.is_due(weekly, last, local(2026, 11, 15, 2, 59)) is False
    assert backup.is_due(weekly, last, local(2026, 11, 15, 3, 0)) is True
    assert backup.is_due(weekly, sunday, local(2026, 11, 21, 12)) is False
    assert backup.is_due(weekly, sunday, local(2026, 11, 22, 3, 30)) is True
    # 2026-03-29: Warsaw skips 02:00-03:00; the backup still happens once that night
    assert backup.is_due(daily, local(2026, 3, 28, 2, 5), local(2026, 3, 29, 3, 30)) is True
    assert backup.is_due(daily, local(2026, 3, 29, 3, 30), local(2026, 3, 29, 4, 30)) is False
    # 2026-10-25: 02:00-03:00 happens twice; one backup
    assert backup.is_due(daily, local(2026, 10, 25, 2, 10), local(2026, 10, 25, 2, 10) + 3600) \
        is False


def scheduled_box(tmp_path: Path, target: dict, **extra) -> tuple[Path, object]:
    box = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=200_000)
    db = store.open_db(box / "jns.db")
    backup.save_settings(db, schedule="daily", hour=2, keep=3, target=target, passphrase=PASS,
                         **extra)
    return box, db


def test_scheduled_backups_to_usb_keep_the_newest(tmp_path, warsaw):
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "jns-backup-otherbox-20260101-010000.jnsbak").write_bytes(b"another box's")
    (usb / "holiday.jpg").write_bytes(b"not ours")
    box, db = scheduled_box(tmp_path, {"kind": "usb", "path": str(usb)})
    assert backup.run_scheduled(db, data_dir=box, now=local(2026, 11, 1, 1, 30))["ran"]
    days = [local(2026, 11, d, 2, 10) for d in range(2, 7)]
    for at in days:
        result = backup.run_scheduled(db, data_dir=box, now=at)
        assert result["ran"] and result["ok"], result["message"]
        assert "sent to USB" in result["message"]
        later = backup.run_scheduled(db, data_dir=box, now=at + 3600)
        assert later == {"ran": False, "message": later["message"]}
        assert later["message"].startswith("not due; next at ")
    host = backup.hostname()
    kept = sorted(p.name for p in usb.iterdir())
    assert kept == sorted(["holiday.jpg", "jns-backup-otherbox-20260101-010000.jnsbak"]
                          + [backup.backup_filename(host, at) for at in days[-3:]])
    last = json.loads(store.get_setting(db, "backup_last_result"))
    assert last["ok"] is True and last["size"] == (usb / last["file"]).stat().st_size
    assert float(store.get_setting(db, "backup_last_ok")) == int(days[-1])
    restored = tmp_path / "restored" / "jns"
    backup.restore_backup(usb / last["file"], PASS, data_dir=restored)
    assert snapshot_of(restored)["users"] == snapshot_of(box)["users"]

    with open(box.parent / ".jns-backup.lock", "w") as lock:   # a backup from the panel
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = backup.run_scheduled(db, data_dir=box, now=local(2026, 11, 7, 2, 10))
        assert busy == {"ran": False, "message": "another backup or restore is running; "
                                                 "try again when it has finished"}
        with pytest.raises(BackupError, match="another backup or restore is running"):
            backup.restore_backup(usb / last["file"], PASS, data_dir=box)
    assert json.loads(store.get_setting(db, "backup_last_result")) == last
    shutil.rmtree(usb)                          # the stick was pulled
    failed = backup.run_scheduled(db, data_dir=box, now=local(2026, 11, 7, 2, 10))
    assert failed["ran"] and not failed["ok"]
    assert f"there is no folder {usb}" in failed["message"]
    assert json.loads(store.get_setting(db, "backup_last_result"))["ok"] is False
    assert float(store.get_setting(db, "backup_last_ok")) == int(days[-1])
    assert f"WARNING backup: there is no folder {usb}" in (box / "alarms.log").read_text()
    usb.mkdir()
    again = backup.run_scheduled(db, data_dir=box, now=local(2026, 11, 7, 3, 10))
    assert again["ok"], again["message"]
    assert "OK backup: " in (box / "alarms.log").read_text().splitlines()[-1]
    assert not list(tmp_path.glob("box/.backup-*"))


class PutHandler(http.server.BaseHTTPRequestHandler):
    store: dict = {}
    auth = "Basic " + base64.b64encode(b"boxuser:box-secret").decode()

    def do_PUT(self):
        if self.headers.get("Authorization") != self.auth:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="backups"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        left = int(self.headers["Content-Length"])
        out = self.server.folder / Path(self.path).name
        with open(out, "wb") as fh:
            while left:
                block = self.rfile.read(min(left, 1 << 16))
                if not block:
                    break
                fh.write(block)
                left -= len(block)
        self.store[self.path] = out
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_scheduled_backup_over_http_put(tmp_path):
    folder = tmp_path / "server"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PutHandler)
    server.folder = folder
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/backups/pbx"
    try:
        box, db = scheduled_box(tmp_path, {"kind": "http", "url": url + "/",
                                           "username": "boxuser", "password": "box-secret"})
        result = backup.run_scheduled(db, data_dir=box, force=True)
        assert result["ok"], result["message"]
        (path, got), = PutHandler.store.items()
        assert path == f"/backups/pbx/{result['file']}"
        assert got.stat().st_size == result["size"]
        restored = tmp_path / "restored" / "jns"
        backup.restore_backup(got, PASS, data_dir=restored)
        assert snapshot_of(restored) == snapshot_of(box)
        assert files_under(restored / "asterisk/prompts") == files_under(box / "asterisk/prompts")
        # the panel shows no password; saving the target again without one keeps it
        shown = backup.settings(db)["target"]
        assert shown == {"kind": "http", "url": url, "username": "boxuser", "password_set": True}
        backup.save_settings(db, target={"kind": "http", "url": url, "username": "boxuser"})
        assert backup.run_scheduled(db, data_dir=box, force=True)["ok"]
        backup.save_settings(db, target={"kind": "http", "url": url, "username": "boxuser",
                                         "password": "wrong-one"})
        refused = backup.run_scheduled(db, data_dir=box, force=True)
        assert not refused["ok"] and "HTTP 401" in refused["message"]
        assert not list((tmp_path / "box").glob(".backup-*"))
    finally:
        server.shutdown()
        server.server_close()


SSHD = "/usr/sbin/sshd"


def start_sshd(tmp: Path, port: int, authorized: str) -> subprocess.Popen:
    tmp.mkdir(parents=True, exist_ok=True)
    if not Path(SSHD).exists():
        pytest.fail(f"{SSHD} is missing: the SFTP backup test needs OpenSSH's server "
                    "(apt-get install openssh-server; scripts/host-deps.sh should list it)")
    key = tmp / "host_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (tmp / "authorized_keys").write_text(authorized + "\n")
    (tmp / "sshd_config").write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {key}
PidFile {tmp}/sshd.pid
AuthorizedKeysFile {tmp}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers {getpass.getuser()}
Subsystem sftp internal-sftp
LogLevel ERROR
""")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)     # sshd's privilege separation dir
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(tmp / "sshd_config")],
                            stderr=open(tmp / "sshd.log", "ab"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            pytest.fail(f"sshd did not start: {(tmp / 'sshd.log').read_text()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("sshd did not listen within 10 s")


def test_scheduled_backups_over_sftp(tmp_path, warsaw):
    box = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=200_000)
    public = backup.ensure_sftp_key(box)
    assert public.startswith("ssh-ed25519 ") and (box / "secrets" / "backup_id_ed25519").exists()
    assert backup.ensure_sftp_key(box) == public                 # made once
    port = free_port()
    sshd = start_sshd(tmp_path / "sshd", port, public)
    remote = tmp_path / "remote" / "backups"
    try:
        db = store.open_db(box / "jns.db")
        backup.save_settings(db, schedule="daily", hour=2, keep=2, passphrase=PASS, target={
            "kind": "sftp", "host": "127.0.0.1", "port": port, "username": getpass.getuser(),
            "path": str(remote)})
        days = [local(2026, 11, d, 2, 15) for d in (2, 3, 4)]
        for at in days:
            result = backup.run_scheduled(db, data_dir=box, now=at)
            assert result["ok"], result["message"]
        assert "1 older removed" in result["message"]
        assert sorted(p.name for p in remote.iterdir()) == [
            backup.backup_filename(backup.hostname(), at) for at in days[1:]]
        server_key = (tmp_path / "sshd" / "host_key.pub").read_text().split()[1]
        assert server_key in (box / "secrets" / "backup_known_hosts").read_text()
        restored = tmp_path / "restored" / "jns"
        backup.restore_backup(remote / result["file"], PASS, data_dir=restored)
        assert snapshot_of(restored) == snapshot_of(box)
        # a server whose host key changed is refused (no silent man in the middle)
        sshd.terminate()
        sshd.wait(10)
        (tmp_path / "sshd" / "host_key").unlink()
        (tmp_path / "sshd" / "host_key.pub").unlink()
        sshd = start_sshd(tmp_path / "sshd", port, public)
        refused = backup.run_scheduled(db, data_dir=box, force=True)
        assert not refused["ok"]
        assert "Host key verification failed" in refused["message"], refused["message"]
        assert len(list(remote.iterdir())) == 2
    finally:
        sshd.terminate()
        sshd.wait(10)


def test_targets_and_settings_are_checked(tmp_path):
    ok = {
        "usb": ({"kind": "usb", "path": "/media/usb/"}, {"kind": "usb", "path": "/media/usb"}),
        "http": ({"kind": "http", "url": "https://nas.example/b/"},
                 {"kind": "http", "url": "https://nas.example/b", "username": "", "password": ""}),
        "sftp": ({"kind": "sftp", "host": "backup.example", "username": "jns"},
                 {"kind": "sftp", "host": "backup.example", "port": 22, "username": "jns",
                  "path": "."}),
        "smb": ({"kind": "smb", "share": "//nas/backups", "username": "u", "password": "p",
                 "path": "/pbx/"},
                {"kind": "smb", "share": "//nas/backups", "username": "u", "password": "p",
                 "path": "pbx"}),
    }
    for given, stored in ok.values():
        assert backup.validate_target(given) == stored
    bad = [
        ({"kind": "ftp"}, "kind must be one of usb, http, sftp, smb"),
        ({"kind": "usb", "path": "media"}, "absolute folder"),
        ({"kind": "http", "url": "nas.example/b"}, "must start with https://"),
        ({"kind": "http", "url": "https://"}, "must start with https://"),
        ({"kind": "http", "url": "https://u:p@nas/b"}, "must not carry"),
        ({"kind": "http", "url": "https://nas/b", "password": "p"}, "needs a user name"),
        ({"kind": "sftp", "username": "jns"}, "SFTP needs a server"),
        ({"kind": "sftp", "host": "-oProxyCommand=x", "username": "jns"}, "SFTP needs a server"),
        ({"kind": "sftp", "host": "h"}, "SFTP needs a user name"),
        ({"kind": "sftp", "host": "h", "username": "jns", "port": 70000}, "port must be 1-65535"),
        ({"kind": "sftp", "host": "h", "username": "jns", "path": 'a"b'}, "must not contain"),
        ({"kind": "smb", "share": "nas/backups"}, "//server/share"),
        ({"kind": "smb", "share": "//nas/b", "path": "../x"}, "must not contain .."),
        ({"kind": "usb", "path": "/media/usb\n"}, "one line"),
    ]
    for target, message in bad:
        with pytest.raises(BackupError, match=message):
            backup.validate_target(target)
    db = store.open_db(tmp_path / "jns.db")
    with pytest.raises(BackupError, match="choose where the backups go"):
        backup.save_settings(db, schedule="daily", passphrase=PASS)
    with pytest.raises(BackupError, match="set a backup passphrase"):
        backup.save_settings(db, schedule="weekly", target={"kind": "usb", "path": "/media/usb"})
    with pytest.raises(BackupError, match="at least 8"):
        backup.save_settings(db, passphrase="short")
    with pytest.raises(BackupError, match="hour must be 0-23"):
        backup.save_settings(db, hour=24)
    with pytest.raises(BackupError, match="schedule must be one of"):
        backup.save_settings(db, schedule="hourly")
    assert backup.settings(db)["schedule"] == "off"               # nothing half-saved
    assert store.get_setting(db, "backup_passphrase") is None
    backup.save_settings(db, schedule="weekly", hour=23, weekday=6, keep=10, recordings=True,
                         target={"kind": "usb", "path": "/media/usb"}, passphrase=PASS)
    shown = backup.settings(db)
    assert {k: shown[k] for k in ("schedule", "hour", "weekday", "keep", "recordings",
                                  "passphrase_set", "target_text")} == {
        "schedule": "weekly", "hour": 23, "weekday": 6, "keep": 10, "recordings": True,
        "passphrase_set": True, "target_text": "USB /media/usb"}
    assert PASS not in json.dumps(shown)
    stick = tmp_path / "no-stick"
    backup.save_settings(db, target={"kind": "usb", "path": str(stick)})
    result = backup.run_scheduled(db, data_dir=tmp_path / "nothing", force=True)
    assert not result["ok"]
    assert result["message"] == f"there is no folder {stick} (is the disk plugged in and mounted?)"


# -- command line and memory ---------------------------------------------------------------------

def jns(*args: str, data: Path, passphrase: str | None = PASS,
        module: str = "appliance.lifecycle.backup") -> subprocess.CompletedProcess:
    env = {**os.environ, "JNS_DATA": str(data), "PYTHONPATH": str(ROOT)}
    env.pop("JNS_BACKUP_PASSPHRASE", None)
    if passphrase is not None:
        env["JNS_BACKUP_PASSPHRASE"] = passphrase
    return subprocess.run([sys.executable, "-m", module, *args], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_command_line(tmp_path):
    box = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=100_000)
    made = jns("backup", "create", str(tmp_path / "cli.jnsbak"), "--recordings", data=box,
               module="appliance.cli")                     # `jns backup ...`
    assert made.returncode == 0, made.stderr
    assert "backup written: " in made.stdout
    info = jns("info", str(tmp_path / "cli.jnsbak"), data=box, passphrase=None)
    assert json.loads(info.stdout)["includes_recordings"] is True
    target = make_box(tmp_path / "target" / "jns", "target", prompt_bytes=1000)
    before = tree_hash(target)
    unconfirmed = jns("restore", str(tmp_path / "cli.jnsbak"), data=target)
    assert unconfirmed.returncode == 1 and "add --yes" in unconfirmed.stderr
    wrong = jns("restore", str(tmp_path / "cli.jnsbak"), "--yes", data=target,
                passphrase="not the one")
    assert wrong.returncode == 1
    assert "jns backup: wrong passphrase or damaged file" in wrong.stderr
    assert tree_hash(target) == before
    done = jns("restore", str(tmp_path / "cli.jnsbak"), "--yes", data=target)
    assert done.returncode == 0, done.stderr
    assert "reboot the box" in done.stdout
    assert snapshot_of(target) == snapshot_of(box)
    db = store.open_db(box / "jns.db")
    backup.save_settings(db, schedule="daily", target={"kind": "usb", "path": str(tmp_path)},
                         passphrase=PASS)
    ran = jns("run-scheduled", data=box, passphrase=None)
    assert ran.returncode == 0 and "sent to USB" in ran.stdout, ran.stderr
    assert backup.settings(db)["last_result"]["ok"] is True


MEMORY_PROBE = """
import json, re, sys
from pathlib import Path
from appliance.lifecycle import backup
def status(key):
    return int(re.search(key + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) // 1024
def reset_peak():                  # VmHWM := VmRSS (Linux >= 4.0)
    Path("/proc/self/clear_refs").write_text("5")
data, out = sys.argv[1], sys.argv[2]
base = status("VmRSS")
reset_peak()
backup.create_backup(out + ".small", "correct horse battery", data_dir=data)
small = status("VmHWM")
before_big = status("VmRSS")
reset_peak()
info = backup.create_backup(out, "correct horse battery", data_dir=data, recordings=True)
print(json.dumps({"base_mb": base, "small_mb": small, "before_big_mb": before_big,
                  "peak_mb": status("VmHWM"), "size": info["size"],
                  "content": info["content_bytes"], "seconds": info["seconds"]}))
"""


def test_memory_stays_flat_with_200_mb_of_recordings(tmp_path):
    box = make_box(tmp_path / "box" / "jns", "box", prompt_bytes=1000)
    monitor = box / "asterisk" / "spool" / "monitor" / "2026" / "11"
    block = os.urandom(1 << 20)
    for i in range(100):                    # 100 recordings of 2 MiB (incompressible)
        with open(monitor / f"call-{i:03d}.wav", "wb") as fh:
            fh.write(block[i:] + block[:i])
            fh.write(block[:i] + block[i:])
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(box), str(tmp_path / "m.jnsbak")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    growth = got["peak_mb"] - got["before_big_mb"]
    over_small = got["peak_mb"] - got["small_mb"]
    print(f"\nRSS {got['base_mb']} MiB before; a backup of a few MiB peaks at "
          f"{got['small_mb']} MiB; the backup of {got['content'] / 2 ** 20:.0f} MiB peaks at "
          f"{got['peak_mb']} MiB: +{growth} MiB (scrypt's 32 MiB included), "
          f"{over_small:+} MiB over the small one ({got['seconds']} s)")
    assert got["content"] > 200 * 10 ** 6
    assert got["size"] > 200 * 10 ** 6       # random data: nothing to compress
    assert growth < 64, f"RSS grew {growth} MiB while streaming {got['content']} bytes"
    assert over_small < 16, f"200 MiB took {over_small} MiB more than a small backup"
