"""Projects per customer, the time spent on them, and documents (CRM-3).

- A project belongs to one contact; while it is open (from started_at to ended_at or now)
  every answered call with that contact counts as its time, each call rounded up to whole
  minutes; manual time entries (day, minutes, note) add to it.  `project_time` gives the
  totals, per user and the calls.
- Files belong to a contact, a project or a note.  They are kept under the box's data
  partition by a random name (written to a temporary file, then renamed), checked by
  content AND extension against a short list of document types, with their SHA-256.  A
  private file (or a file on a private note) is seen only by its uploader (the note's
  author) and admins; `file_for(user)` answers None to anyone else, exactly as for a
  missing file.

This module never knows about Flask or HTTP and never deletes a file it did not store.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import secrets
import time
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import sqlite_utils

from ..store.db import StoreError, get_setting, transaction

MAX_FILE_MB_KEY = "crm.file_max_mb"
DEFAULT_FILE_MAX_MB = 10
FILE_MAX_MB_LIMIT = 100
# fixed texts (in Polish in webui/i18n_crm_work.py)
NO_CONTACT = "no such contact"
NO_PROJECT = "no such project"
PROJECT_NAME = "a project's name is 1 to 120 characters"
MINUTES_ERROR = "time: minutes (90) or hours:minutes (1:30), from 1 minute to 24 hours"
DAY_ERROR = "day: a date like 2026-03-31"
NOT_YOURS = "only its author, a supervisor or an admin may do this"
EMPTY_FILE = "the file is empty"
NO_FILE = "choose a file to upload"
TYPE_ERROR = ("this type of file is not accepted: upload a PDF, PNG, JPEG, GIF, text, CSV, "
              "ODT/ODS, DOCX/XLSX or EML file")
CONTENT_ERROR = "the file's content does not match its extension .{ext}"
TOO_BIG = "the file is larger than {mb} MB"

# extension -> stored mime type
FILE_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "txt": "text/plain", "csv": "text/csv", "eml": "message/rfc822",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_MAGIC = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
          "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a")}
_OOXML_MAIN = {"docx": "wordprocessingml.document.main", "xlsx": "spreadsheetml.sheet.main"}
_BINARY_STARTS = (b"MZ", b"\x7fELF", b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xff\xd8\xff",
                  b"GIF8", b"#!")
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+:[ \t])")
_PROJECT_COLS = ("id, contact_id, name, status, started_at, ended_at, created_at, created_by")


def _rows(cur) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _is_boss(user: dict) -> bool:
    return user.get("role") in ("admin", "supervisor")


# -- projects --------------------------------------------------------------------------------

def _project_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise StoreError(PROJECT_NAME)
    return name


def create_project(db: sqlite_utils.Database, user: dict, contact_id: int, name: str, *,
                   started_at: float | None = None) -> int:
    """A new open project of the contact; calls from `started_at` (default now) count."""
    name = _project_name(name)
    now = time.time()
    with transaction(db):
        if not db.execute("SELECT 1 FROM crm_contacts WHERE id = ?", [contact_id]).fetchone():
            raise StoreError(NO_CONTACT)
        return db.conn.execute(
            "INSERT INTO crm_projects (contact_id, name, started_at, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [contact_id, name, started_at if started_at is not None else now, now,
             user.get("username", "")]).lastrowid


def project(db: sqlite_utils.Database, project_id: int) -> dict | None:
    rows = _rows(db.execute(
        "SELECT p.id, p.contact_id, p.name, p.status, p.started_at, p.ended_at, p.created_at, "
        "p.created_by, c.name AS contact_name FROM crm_projects p "
        "JOIN crm_contacts c ON c.id = p.contact_id WHERE p.id = ?", [project_id]))
    return rows[0] if rows else None


def contact_projects(db: sqlite_utils.Database, contact_id: int) -> list[dict]:
    """The contact's projects, open ones first, each with its `total_min`."""
    rows = _rows(db.execute(f"SELECT {_PROJECT_COLS} FROM crm_projects WHERE contact_id = ? "
                            "ORDER BY status = 'done', started_at DESC, id DESC", [contact_id]))
    for row in rows:
        row["total_min"] = project_time(db, row["id"])["total_min"]
    return rows


def rename_project(db: sqlite_utils.Database, user: dict, project_id: int, name: str) -> None:
    name = _project_name(name)
    with transaction(db):
        if db.conn.execute("UPDATE crm_projects SET name = ? WHERE id = ?",
                           [name, project_id]).rowcount != 1:
            raise StoreError(NO_PROJECT)


def close_project(db: sqlite_utils.Database, user: dict, project_id: int, *,
                  at: float | None = None) -> None:
    """Done: calls after now no longer count."""
    with transaction(db):
        if db.conn.execute("UPDATE crm_projects SET status = 'done', ended_at = ? WHERE id = ?",
                           [at or time.time(), project_id]).rowcount != 1:
            raise StoreError(NO_PROJECT)


def reopen_project(db: sqlite_utils.Database, user: dict, project_id: int) -> None:
    """Open again: calls count up to now again (the time between included)."""
    with transaction(db):
        if db.conn.execute("UPDATE crm_projects SET status = 'open', ended_at = NULL "
                           "WHERE id = ?", [project_id]).rowcount != 1:
            raise StoreError(NO_PROJECT)


# -- time ------------------------------------------------------------------------------------

def parse_minutes(text: str | int) -> int:
    """'90', '1:30', '1h30', '1,5 h', '2h', '45 min' -> minutes (1..1440); StoreError else."""
    raw = str(text if text is not None else "").strip().lower().replace(" ", "")
    minutes: float | None = None
    if m := re.fullmatch(r"(\d{1,4})(m|min)?", raw):
        minutes = int(m.group(1))
    elif m := re.fullmatch(r"(\d{1,2}):([0-5]\d)", raw):
        minutes = int(m.group(1)) * 60 + int(m.group(2))
    elif m := re.fullmatch(r"(\d{1,2})(?:h|godz\.?)(?:(\d{1,2})(?:m|min)?)?", raw):
        minutes = int(m.group(1)) * 60 + int(m.group(2) or 0)
    elif m := re.fullmatch(r"(\d{1,2})[.,](\d{1,2})(?:h|godz\.?)?", raw):
        minutes = round(float(f"{m.group(1)}.{m.group(2)}") * 60)
    if minutes is None or not 1 <= minutes <= 1440:
        raise StoreError(MINUTES_ERROR)
    return int(minutes)


def _day(day: str | None) -> str:
    day = (day or "").strip() or time.strftime("%Y-%m-%d")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise StoreError(DAY_ERROR) from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise StoreError(DAY_ERROR)
    return day


def add_time(db: sqlite_utils.Database, user: dict, project_id: int, day: str | None,
             minutes: str | int, note: str = "") -> int:
    """A manual time entry of `user` (day 'YYYY-MM-DD', default today)."""
    day, mins = _day(day), parse_minutes(minutes)
    with transaction(db):
        if not db.execute("SELECT 1 FROM crm_projects WHERE id = ?", [project_id]).fetchone():
            raise StoreError(NO_PROJECT)
        return db.conn.execute(
            "INSERT INTO crm_time_entries (project_id, user, day, minutes, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", [project_id, user.get("username", ""), day, mins,
                                          (note or "").strip()[:500], time.time()]).lastrowid


def delete_time(db: sqlite_utils.Database, user: dict, entry_id: int) -> int | None:
    """Delete an entry: its author, supervisors and admins (PermissionError for others).
    Returns its project id, None when there was no such entry."""
    with transaction(db):
        row = db.execute("SELECT project_id, user FROM crm_time_entries WHERE id = ?",
                         [entry_id]).fetchone()
        if row is None:
            return None
        if not _is_boss(user) and row[1].lower() != user.get("username", "").lower():
            raise PermissionError(NOT_YOURS)
        db.conn.execute("DELETE FROM crm_time_entries WHERE id = ?", [entry_id])
        return row[0]


def time_entries(db: sqlite_utils.Database, project_id: int) -> list[dict]:
    return _rows(db.execute("SELECT id, project_id, user, day, minutes, note, created_at "
                            "FROM crm_time_entries WHERE project_id = ? "
                            "ORDER BY day DESC, id DESC", [project_id]))


def project_time(db: sqlite_utils.Database, project_id: int,
                 now: float | None = None) -> dict:
    """{manual_min, calls_min, total_min, by_user: {user: {manual_min, calls_min,
    total_min}}, calls: [{id, callid, direction, number, started_at, agent, user, talk_s,
    minutes}]}.  Calls: the contact's answered calls from started_at to ended_at (or now),
    each rounded up to whole minutes; a call's user is the panel user linked to its agent
    extension, else 'ext. <agent>'."""
    proj = db.execute("SELECT contact_id, started_at, ended_at FROM crm_projects WHERE id = ?",
                      [project_id]).fetchone()
    if proj is None:
        raise StoreError(NO_PROJECT)
    contact_id, start, end = proj
    end = end if end is not None else (now or time.time())
    by_user: dict[str, dict[str, int]] = {}

    def add(who: str, kind: str, mins: int) -> None:
        slot = by_user.setdefault(who, {"manual_min": 0, "calls_min": 0, "total_min": 0})
        slot[kind] += mins
        slot["total_min"] += mins

    manual = 0
    for who, mins in db.execute("SELECT user, sum(minutes) FROM crm_time_entries "
                                "WHERE project_id = ? GROUP BY user COLLATE NOCASE",
                                [project_id]):
        manual += mins
        add(who, "manual_min", mins)
    calls = _rows(db.execute(
        "SELECT c.id, c.callid, c.direction, c.number, c.started_at, c.agent, c.talk_s, "
        "(SELECT u.username FROM users u JOIN agents a ON a.id = u.agent_id "
        " WHERE a.extension = c.agent ORDER BY u.id LIMIT 1) AS user "
        "FROM crm_calls c WHERE c.contact_id = ? AND c.talk_s > 0 AND c.started_at >= ? "
        "AND c.started_at <= ? ORDER BY c.started_at", [contact_id, start, end]))
    calls_min = 0
    for call in calls:
        call["minutes"] = math.ceil(call["talk_s"] / 60)
        call["user"] = call["user"] or (f"ext. {call['agent']}" if call["agent"] else "?")
        calls_min += call["minutes"]
        add(call["user"], "calls_min", call["minutes"])
    return {"manual_min": manual, "calls_min": calls_min, "total_min": manual + calls_min,
            "by_user": dict(sorted(by_user.items(), key=lambda kv: -kv[1]["total_min"])),
            "calls": calls}


def time_csv(db: sqlite_utils.Database, project_id: int) -> str:
    """The project's time as CSV (UTF-8 text; the caller adds a BOM for Excel): manual
    entries and counted calls, one line each."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["kind", "day", "user", "minutes", "note"])
    for e in sorted(time_entries(db, project_id), key=lambda e: (e["day"], e["id"])):
        w.writerow(["manual", e["day"], e["user"], e["minutes"], e["note"]])
    for c in project_time(db, project_id)["calls"]:
        day = time.strftime("%Y-%m-%d", time.localtime(c["started_at"]))
        w.writerow(["call", day, c["user"], c["minutes"],
                    f"{c['direction']} {c['number']} {c['talk_s']} s"])
    return out.getvalue()


# -- files -----------------------------------------------------------------------------------

def file_max_bytes(db: sqlite_utils.Database) -> int:
    try:
        mb = int(float(get_setting(db, MAX_FILE_MB_KEY, str(DEFAULT_FILE_MAX_MB)) or 0))
    except ValueError:
        mb = DEFAULT_FILE_MAX_MB
    return max(1, min(mb, FILE_MAX_MB_LIMIT)) * 1024 * 1024


def set_file_max_mb(db: sqlite_utils.Database, mb: str | int) -> None:
    try:
        value = int(str(mb).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= FILE_MAX_MB_LIMIT:
        raise StoreError(f"the file size limit is 1 to {FILE_MAX_MB_LIMIT} MB")
    with transaction(db):
        db.conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                        "DO UPDATE SET value = excluded.value", [MAX_FILE_MB_KEY, str(value)])


def safe_name(name: str) -> str:
    """The uploaded name as shown and offered on download: no folders, no control chars."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    name = name.strip(" .")[:150]
    return name or "file"


def check_type(path: str | os.PathLike, name: str) -> str:
    """The mime type for a file of this name and content; StoreError when the extension is
    not accepted or the content is something else (an .exe renamed .pdf)."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in FILE_TYPES:
        raise StoreError(TYPE_ERROR)
    with open(path, "rb") as f:
        head = f.read(65536)
    bad = StoreError(CONTENT_ERROR.format(ext=ext))
    if ext in _MAGIC:
        if not head.startswith(_MAGIC[ext]):
            raise bad
    elif ext in ("txt", "csv", "eml"):
        if b"\x00" in head or head.startswith(_BINARY_STARTS):
            raise bad
        if ext == "eml":
            first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
            if not _HEADER_LINE.match(first):
                raise bad
    else:   # zip containers
        try:
            with zipfile.ZipFile(path) as zf:
                if ext in ("odt", "ods"):
                    info = zf.getinfo("mimetype")
                    if info.file_size > 100 or zf.read(info).decode("ascii", "replace") \
                            != FILE_TYPES[ext]:
                        raise bad
                else:
                    info = zf.getinfo("[Content_Types].xml")
                    if info.file_size > 1_000_000 or _OOXML_MAIN[ext] not in \
                            zf.read(info).decode("utf-8", "replace"):
                        raise bad
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
            raise bad from None
    return FILE_TYPES[ext]


def store_file(db: sqlite_utils.Database, user: dict, files_dir: str | os.PathLike,
               stream: BinaryIO, name: str, *, contact_id: int | None = None,
               project_id: int | None = None, note_id: int | None = None,
               private: bool = False, max_bytes: int | None = None) -> int:
    """Copy `stream` into files_dir under a random name (temp file, checked, renamed) and
    record it; returns the crm_files id.  StoreError (nothing kept) when it is too big,
    empty or not an accepted type."""
    limit = max_bytes or file_max_bytes(db)
    name = safe_name(name)
    if project_id is not None:
        row = db.execute("SELECT contact_id FROM crm_projects WHERE id = ?",
                         [project_id]).fetchone()
        if row is None:
            raise StoreError(NO_PROJECT)
        contact_id = contact_id or row[0]
    if contact_id is None or not db.execute("SELECT 1 FROM crm_contacts WHERE id = ?",
                                            [contact_id]).fetchone():
        raise StoreError(NO_CONTACT)
    folder = Path(files_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    tmp = folder / f".upload-{stored}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "xb") as out:
            while chunk := stream.read(65536):
                size += len(chunk)
                if size > limit:
                    raise StoreError(TOO_BIG.format(mb=limit // (1024 * 1024)))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise StoreError(EMPTY_FILE)
        mime = check_type(tmp, name)
        os.replace(tmp, folder / stored)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        with transaction(db):
            return db.conn.execute(
                "INSERT INTO crm_files (contact_id, project_id, note_id, name, stored, mime, "
                "size, sha256, private, uploaded_by_id, uploaded_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [contact_id, project_id, note_id, name, stored, mime, size, digest.hexdigest(),
                 int(bool(private)), user.get("id"), user.get("username", ""),
                 time.time()]).lastrowid
    except BaseException:
        (folder / stored).unlink(missing_ok=True)
        raise


_FILE_COLS = ("f.id, f.contact_id, f.project_id, f.note_id, f.name, f.stored, f.mime, f.size, "
              "f.sha256, f.private, f.uploaded_by_id, f.uploaded_by, f.created_at, "
              "n.private AS note_private, n.author_id AS note_author_id")
# who may see a file: admins all; others the non-private ones, and private ones of their own
_VISIBLE = ("(? = 'admin' OR ((f.private = 0 OR f.uploaded_by_id = ?) AND "
            "(n.id IS NULL OR n.private = 0 OR n.author_id = ?)))")


def _visible_args(user: dict) -> list:
    return [user.get("role"), user.get("id"), user.get("id")]


def file_for(db: sqlite_utils.Database, user: dict, file_id: int) -> dict | None:
    """The file's row if `user` may see it; None when missing OR not theirs to see."""
    rows = _rows(db.execute(f"SELECT {_FILE_COLS} FROM crm_files f LEFT JOIN crm_notes n "
                            f"ON n.id = f.note_id WHERE f.id = ? AND {_VISIBLE}",
                            [file_id, *_visible_args(user)]))
    return rows[0] if rows else None


def files_of(db: sqlite_utils.Database, user: dict, *, contact_id: int | None = None,
             project_id: int | None = None) -> list[dict]:
    """The files of a contact (all of them, its projects' too) or of a project that `user`
    may see, newest first."""
    if project_id is not None:
        where, arg = "f.project_id = ?", project_id
    else:
        where, arg = "f.contact_id = ?", contact_id
    return _rows(db.execute(f"SELECT {_FILE_COLS} FROM crm_files f LEFT JOIN crm_notes n "
                            f"ON n.id = f.note_id WHERE {where} AND {_VISIBLE} "
                            "ORDER BY f.created_at DESC, f.id DESC", [arg, *_visible_args(user)]))


def may_delete_file(user: dict, row: dict) -> bool:
    return _is_boss(user) or (row["uploaded_by_id"] is not None
                              and row["uploaded_by_id"] == user.get("id"))


def delete_file(db: sqlite_utils.Database, user: dict, files_dir: str | os.PathLike,
                file_id: int) -> dict | None:
    """Delete a file: its uploader, supervisors, admins (PermissionError for others who may
    see it); None when it is missing or hidden from `user`.  Returns the deleted row."""
    row = file_for(db, user, file_id)
    if row is None:
        return None
    if not may_delete_file(user, row):
        raise PermissionError(NOT_YOURS)
    with transaction(db):
        db.conn.execute("DELETE FROM crm_files WHERE id = ?", [file_id])
    path = Path(files_dir) / row["stored"]
    if re.fullmatch(r"[0-9a-f]{32}", row["stored"]):
        path.unlink(missing_ok=True)
    return row
