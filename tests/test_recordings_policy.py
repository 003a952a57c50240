"""Retention and the disk-space guard on real files (a small tmpfs plays the full disk)."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from appliance.store import config, db as store
from appliance.telephony import recordings

DAY = 86400


def add(db, monitor, name: str, age_days: float, size: int = 16044) -> str:
    path = f"2026/01/01/{name}.wav"
    (monitor / path).parent.mkdir(parents=True, exist_ok=True)
    (monitor / path).write_bytes(b"\0" * size)
    config.index_recording(db, uniqueid=name, path=path, started_at=time.time() - age_days * DAY,
                           direction="in", caller="48600100200", called="100", queue="support",
                           agent="101", seconds=1.0)
    return path


@pytest.fixture
def db(tmp_path):
    d = store.open_db(tmp_path / "jns.db")
    config.seed_demo(d)
    return d


def test_retention_deletes_only_recordings_older_than_the_policy(db, tmp_path):
    monitor, archive = tmp_path / "monitor", tmp_path / "archive"
    old, new = add(db, monitor, "old", 40), add(db, monitor, "new", 1)
    assert recordings.apply_policy(db, monitor, archive)["deleted"] == 0   # 0 days: keep all
    config.save_settings(db, rec_retention_days="30", rec_retention_action="delete")
    assert recordings.apply_policy(db, monitor, archive)["deleted"] == 1
    assert not (monitor / old).exists() and (monitor / new).exists()
    assert [r["uniqueid"] for r in db.query("SELECT uniqueid FROM recordings")] == ["new"]


def test_archiving_moves_old_recordings_and_keeps_them_indexed(db, tmp_path):
    monitor, archive = tmp_path / "monitor", tmp_path / "archive"
    old = add(db, monitor, "old", 40)
    config.save_settings(db, rec_retention_days="30", rec_retention_action="archive")
    assert recordings.apply_policy(db, monitor, archive)["archived"] == 1
    assert not (monitor / old).exists() and (archive / old).exists()
    row = db.execute("SELECT archived_at FROM recordings WHERE uniqueid = 'old'").fetchone()
    assert row[0] is not None
    assert config.find_recordings(db) == []        # the live list no longer shows it
    audit = db.execute("SELECT username, action FROM recording_audit").fetchall()
    assert audit == [("retention", "archive")]
    assert recordings.apply_policy(db, monitor, archive)["archived"] == 0   # done once


def test_disk_guard_removes_the_oldest_until_there_is_room(db, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs and needs root (CI runs as root)")
    monitor, archive = tmp_path / "monitor", tmp_path / "archive"
    monitor.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "jns-test", str(monitor)], check=True)
    try:
        mb = 2**20
        paths = [add(db, monitor, f"r{i}", age_days=10 - i, size=mb - 4096) for i in range(3)]
        config.save_settings(db, rec_min_free_mb="2")
        done = recordings.apply_policy(db, monitor, archive)
        assert done["guard_deleted"] >= 1
        assert not (monitor / paths[0]).exists(), "the oldest goes first"
        assert (monitor / paths[2]).exists(), "the newest stays"
        assert recordings._free_mb(monitor) >= 2
    finally:
        subprocess.run(["umount", str(monitor)], check=True)
