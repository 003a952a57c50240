"""Keeping recordings within the admin's policy and the disk's size.

- Retention: recordings older than `rec_retention_days` (0 = keep forever) are deleted, or
  archived: moved under the archive directory (which an installer may mount on a USB disk
  or a NAS) and marked archived, so the index still knows them.
- Disk-space guard: if the recordings' filesystem has less than `rec_min_free_mb` free,
  the oldest recordings go first (archived ones before live ones, then live ones deleted)
  until the space is back: a full disk would stop every new recording and the database.

Runs from the FastAGI service's housekeeping loop; every removal is written to the audit
table with the user "retention" or "disk-guard" (a deleted row keeps no audit trail, so
the count is logged too).
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from ..store import config
from ..store.db import transaction

log = logging.getLogger(__name__)


def _free_mb(path: Path) -> float:
    return shutil.disk_usage(path).free / 2**20


def _remove(db, row: dict, monitor: Path, archive: Path, *, to_archive: bool, who: str) -> None:
    src = (archive if row["archived_at"] else monitor) / row["path"]
    if to_archive:
        dest = archive / row["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.exists():
            shutil.move(src, dest)
        with transaction(db):
            db.execute("UPDATE recordings SET archived_at = ? WHERE id = ?", [time.time(), row["id"]])
            db.execute("INSERT INTO recording_audit(recording_id, username, action, at) "
                       "VALUES (?, ?, 'archive', ?)", [row["id"], who, time.time()])
    else:
        src.unlink(missing_ok=True)
        with transaction(db):
            db.execute("DELETE FROM recordings WHERE id = ?", [row["id"]])


def apply_policy(db, monitor_dir: str | os.PathLike, archive_dir: str | os.PathLike,
                 *, now: float | None = None) -> dict[str, int]:
    """One pass of retention and the disk guard; returns what it did, by kind."""
    monitor, archive = Path(monitor_dir), Path(archive_dir)
    cfg = config.settings(db)
    now = time.time() if now is None else now
    done = {"archived": 0, "deleted": 0, "guard_archived_deleted": 0, "guard_deleted": 0}
    days = int(cfg["rec_retention_days"])
    if days:
        to_archive = cfg["rec_retention_action"] == "archive"
        old = list(db.query("SELECT * FROM recordings WHERE started_at < ? AND archived_at IS NULL "
                            "ORDER BY started_at", [now - days * 86400]))
        for row in old:
            _remove(db, row, monitor, archive, to_archive=to_archive, who="retention")
        done["archived" if to_archive else "deleted"] = len(old)
    minimum = int(cfg["rec_min_free_mb"])
    if minimum and monitor.exists() and _free_mb(monitor) < minimum:
        # oldest first: archived copies, then live recordings
        for kind, query in (("guard_archived_deleted", "archived_at IS NOT NULL"),
                            ("guard_deleted", "archived_at IS NULL")):
            # read the list first: deleting while its cursor is open would turn this
            # connection's read into a write, which SQLite refuses at once ("database is
            # locked") when another connection wrote meanwhile (the notifier does, right then)
            rows = list(db.query(f"SELECT * FROM recordings WHERE {query} ORDER BY started_at"))
            for row in rows:
                if _free_mb(monitor) >= minimum:
                    break
                _remove(db, row, monitor, archive, to_archive=False, who="disk-guard")
                done[kind] += 1
        log.warning("disk guard: less than %d MB free for recordings; removed %d oldest",
                    minimum, done["guard_archived_deleted"] + done["guard_deleted"])
    if any(done.values()):
        log.info("recordings policy: %s", done)
    return done
