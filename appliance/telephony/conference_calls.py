"""Conferences the box sets up itself (CONF-3) and group calls (AUTO-2): schedules and their
members, the occurrences, the caller that dials members into the room, the attendance log,
keypad polls and the meeting report.

The panel saves a schedule with `save_schedule` (every rule checked here, so the caller can
trust the rows), starts a group call with `start_now` and opens/closes polls; it never
speaks to Asterisk.  `ConferenceCaller` runs in jns-calld with an AMI session of its own,
like the campaign dialer (appliance.campaigns.dialer, whose number and cause readings it
shares): each tick it turns due occurrences into conf_meetings rows and dials the members
not yet in, writing every call to conf_dials before its Originate into [jns-conf-invite].
It also writes conf_attendance for everybody in a room (dial-in too) from ConfbridgeJoin /
ConfbridgeLeave, and conf_votes from the rooms' JnsConf vote events.

StoreError messages are fixed English texts the panel's catalogue translates; values go in
`StoreError.values` (see `refuse`), never into the text.  No Flask here.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable

from ..campaigns.dialer import dial_number, outcome_by_cause
from ..store.db import StoreError, transaction
from .ami import AmiWorker

log = logging.getLogger(__name__)

ROLES = ("talker", "listener", "leader")
# the members textarea also takes the roles in Polish (the panel's default language)
ROLE_WORDS = {"mówca": "talker", "rozmówca": "talker", "słuchacz": "listener",
              "prowadzący": "leader", "prowadzacy": "leader", "mowca": "talker",
              "sluchacz": "listener"}
KINDS = ("meeting", "group")
REPEATS = ("none", "daily", "weekdays", "weekly", "monthly")
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
OUTCOMES = ("joined", "declined", "wrong_pin", "noanswer", "busy", "failed", "invalid",
            "cancelled")
RETRY_OUTCOMES = ("noanswer", "busy", "failed", "declined")   # dialled again after retry_s
MAX_MEMBERS = 500
NAME_MAX = 80
LATE_S = 15 * 60            # an occurrence missed by more than this (box off) is not dialled
MEETING_MAX_S = 6 * 3600    # a meeting is closed this long after its start whatever happens
TICK_S = 0.5
EVENT_MASK = "call,user"    # channels, originates, ConfbridgeJoin/Leave, our UserEvents
RECONCILE_AFTER_S = 2.0
FAILED_ORIGINATE_GRACE_S = 2.0
UID_PREFIX = "jnsf-"
KEY_SOUNDS = {"*": "digits/star", "#": "digits/pound"}

E_ROOM = "Choose a conference room."
E_TITLE = "The title is at most 80 characters."
E_KIND = "Unknown kind of conference."
E_REPEAT = "Unknown repeat."
E_WHEN = "Enter the start as a date (YYYY-MM-DD) and a time (HH:MM)."
E_PAST = "A one-off conference cannot start in the past."
E_UNTIL = "The end date must be a date (YYYY-MM-DD) on or after the first start."
E_KEY = "The confirm key must be one of 0-9, * or #."
E_RANGE = "{field} must be a whole number from {low} to {high}."
E_LIST = "Unknown contact list."
E_NO_MEMBERS = "Add members (one per line) or choose a contact list."
E_MEMBER_LINE = "Members, line {line}: {problem}"
E_MEMBER_NUMBER = "the number must be 2 to 20 digits (an extension or a phone number, '+' allowed)"
E_MEMBER_NAME = "the name is at most 80 characters, without control characters"
E_MEMBER_ROLE = "the role must be talker, listener or leader"
E_MEMBER_TWICE = "this number is already on an earlier line"
E_MEMBER_FIELDS = "write number;name;role"
E_TOO_MANY = "At most {count} members."
E_NO_SCHEDULE = "Unknown scheduled conference."
E_RUNNING = "This conference is being dialled now; wait until it ends."
E_QUESTION = "The question must be 1 to 200 characters."
E_CHOICES = "A poll has 2 to 9 choices."
E_POLL_OPEN = "This room already has an open poll; close it first."
E_NO_POLL = "Unknown poll."
E_NO_VOTING = "Keypad voting is off in this room; turn it on in the room's settings first."


def refuse(text: str, **values) -> StoreError:
    """A StoreError whose message is `text` filled in; the panel translates `text` and fills
    the same values (`exc.template`, `exc.values`)."""
    exc = StoreError(text.format(**values) if values else text)
    exc.template, exc.values = text, values
    return exc


# -- members ------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_number(raw: str) -> str | None:
    """'+48 600-100-200' -> '+48600100200'; None when it is not a number we can dial."""
    number = re.sub(r"[\s\-().]", "", raw or "")
    if not re.fullmatch(r"\+?[0-9]{2,19}", number) or len(number) > 20:
        return None
    return number


def parse_members(text: str) -> list[dict]:
    """The members textarea: `number;name;role` per line (name and role optional, role
    talker by default, in English or Polish: mówca, słuchacz, prowadzący); blank lines and
    lines starting with # are skipped.  Every line is
    checked; the first bad one is refused with its line number."""
    members, seen = [], set()
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) > 3:
            raise refuse(E_MEMBER_LINE, line=n, problem=E_MEMBER_FIELDS)
        number = clean_number(parts[0])
        if number is None:
            raise refuse(E_MEMBER_LINE, line=n, problem=E_MEMBER_NUMBER)
        name = parts[1] if len(parts) > 1 else ""
        if len(name) > NAME_MAX or _CONTROL.search(name):
            raise refuse(E_MEMBER_LINE, line=n, problem=E_MEMBER_NAME)
        role = (parts[2] if len(parts) > 2 else "").lower() or "talker"
        role = ROLE_WORDS.get(role, role)
        if role not in ROLES:
            raise refuse(E_MEMBER_LINE, line=n, problem=E_MEMBER_ROLE)
        if number in seen:
            raise refuse(E_MEMBER_LINE, line=n, problem=E_MEMBER_TWICE)
        seen.add(number)
        members.append({"number": number, "name": name, "role": role})
    if len(members) > MAX_MEMBERS:
        raise refuse(E_TOO_MANY, count=MAX_MEMBERS)
    return members


def members_text(members: Iterable[dict]) -> str:
    """The textarea's text of stored members (parse_members reads it back)."""
    lines = []
    for m in members:
        fields = [m["number"], m.get("name") or ""]
        if m.get("role") != "talker":
            fields.append(m["role"])
        lines.append(";".join(fields).rstrip(";"))
    return "\n".join(lines)


def schedule_members(db, schedule: dict) -> list[dict]:
    """Everybody a schedule dials: its named members, then its contact list's contacts
    (talkers) not already named."""
    out = [dict(r) for r in db.query(
        "SELECT number, name, role FROM conf_schedule_members WHERE schedule_id = ? "
        "ORDER BY rowid", [schedule["id"]])]
    if schedule.get("list_id"):
        named = {m["number"] for m in out}
        for r in db.query("SELECT phone, name FROM contacts WHERE list_id = ? ORDER BY id",
                          [schedule["list_id"]]):
            if r["phone"] not in named:
                named.add(r["phone"])
                out.append({"number": r["phone"], "name": r["name"], "role": "talker"})
    return out


# -- when: local wall-clock times, DST-safe ----------------------------------------------

def local_start(date_text: str, time_text: str) -> float:
    """'2026-03-29' + '09:30' in the box's local time -> epoch seconds."""
    try:
        day = dt.date.fromisoformat((date_text or "").strip())
        clock = dt.time.fromisoformat((time_text or "").strip()[:5])
    except ValueError:
        raise refuse(E_WHEN) from None
    return _epoch(day, clock)


def _epoch(day: dt.date, clock: dt.time) -> float:
    """A local date and wall-clock time -> epoch (the clock time stays the same across a
    DST change; a time skipped by the change moves forward by the hour)."""
    return time.mktime((day.year, day.month, day.day, clock.hour, clock.minute, 0, 0, 0, -1))


def _local(epoch: float) -> tuple[dt.date, dt.time]:
    t = time.localtime(epoch)
    return dt.date(t.tm_year, t.tm_mon, t.tm_mday), dt.time(t.tm_hour, t.tm_min)


def _add_months(day: dt.date, months: int, wanted_day: int) -> dt.date:
    """The same day of the month `months` later; the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(wanted_day, last))


def occurrences(schedule: dict, since: float, until: float) -> list[float]:
    """Start times (epoch) of a schedule's occurrences with since <= start <= until, in
    order, by its repeat rule and until_date (inclusive, local date)."""
    first_day, clock = _local(schedule["starts_at"])
    repeat = schedule.get("repeat") or "none"
    end_day = dt.date.fromisoformat(schedule["until_date"]) if schedule.get("until_date") else None
    if repeat == "none":
        start = float(schedule["starts_at"])
        return [start] if since <= start <= until else []
    since_day, _ = _local(max(since, schedule["starts_at"]))
    out: list[float] = []
    if repeat == "monthly":
        months = max(0, (since_day.year - first_day.year) * 12
                     + since_day.month - first_day.month - 1)
        day = _add_months(first_day, months, first_day.day)
    else:
        step = 7 if repeat == "weekly" else 1
        skip = max(0, (since_day - first_day).days // step - 1)
        day = first_day + dt.timedelta(days=skip * step)
        months = 0
    while True:
        if end_day and day > end_day:
            break
        start = _epoch(day, clock)
        if start > until:
            break
        if start >= since and not (repeat == "weekdays" and day.weekday() >= 5):
            out.append(start)
        if repeat == "monthly":
            months += 1
            day = _add_months(first_day, months, first_day.day)
        else:
            day += dt.timedelta(days=7 if repeat == "weekly" else 1)
    return out


def next_start(schedule: dict, after: float) -> float | None:
    """The first occurrence at or after `after` (within ~13 months), or None."""
    found = occurrences(schedule, after, after + 400 * 86400)
    return found[0] if found else None


# -- schedules ------------------------------------------------------------------------------

SCHEDULE_DEFAULTS = {"title": "", "kind": "meeting", "repeat": "none", "until_date": None,
                     "list_id": None, "confirm_key": "1", "require_pin": 0, "ring_s": 30,
                     "retries": 2, "retry_s": 120, "max_lines": 10, "active": 1}
RANGES = {"ring_s": ("Ring time (s)", 10, 120), "retries": ("Retries", 0, 10),
          "retry_s": ("Retry after (s)", 10, 3600), "max_lines": ("Calls at once", 1, 100)}


def schedule(db, schedule_id: int) -> dict | None:
    row = db.execute(
        "SELECT s.*, r.number AS room_number, r.title AS room_title, r.voting AS room_voting "
        "FROM conf_schedules s JOIN conf_rooms r ON r.id = s.room_id WHERE s.id = ?",
        [schedule_id])
    found = row.fetchone()
    return dict(zip([d[0] for d in row.description], found)) if found else None


def schedules(db, now: float | None = None) -> list[dict]:
    """Every schedule with its room, member count, next start and last meeting."""
    now = time.time() if now is None else now
    out = []
    for r in db.query(
            "SELECT s.*, r.number AS room_number, r.title AS room_title, "
            "(SELECT count(*) FROM conf_schedule_members m WHERE m.schedule_id = s.id) "
            "+ coalesce((SELECT count(*) FROM contacts c WHERE c.list_id = s.list_id), 0) "
            "AS members, "
            "(SELECT max(id) FROM conf_meetings g WHERE g.schedule_id = s.id) AS last_meeting "
            "FROM conf_schedules s JOIN conf_rooms r ON r.id = s.room_id ORDER BY s.starts_at"):
        r = dict(r)
        r["next_start"] = next_start(r, now) if r["active"] else None
        out.append(r)
    return out


def save_schedule(db, schedule_id: int | None, *, room_id, starts_at: float, user: str = "",
                  members: str | list[dict] = "", now: float | None = None, **fields) -> int:
    """Create (schedule_id None) or change a schedule and replace its named members, in one
    transaction; every value checked first, nothing written on a refusal."""
    now = time.time() if now is None else now
    values = dict(SCHEDULE_DEFAULTS)
    if schedule_id is not None:
        old = schedule(db, schedule_id)
        if old is None:
            raise refuse(E_NO_SCHEDULE)
        values.update({k: old[k] for k in SCHEDULE_DEFAULTS})
    values.update({k: v for k, v in fields.items() if k in SCHEDULE_DEFAULTS})
    try:
        room_id = int(room_id)
    except (TypeError, ValueError):
        raise refuse(E_ROOM) from None
    if not db.execute("SELECT 1 FROM conf_rooms WHERE id = ?", [room_id]).fetchone():
        raise refuse(E_ROOM)
    title = str(values["title"] or "").strip()
    if len(title) > NAME_MAX or _CONTROL.search(title):
        raise refuse(E_TITLE)
    if values["kind"] not in KINDS:
        raise refuse(E_KIND)
    if values["repeat"] not in REPEATS:
        raise refuse(E_REPEAT)
    try:
        starts_at = float(starts_at)
    except (TypeError, ValueError):
        raise refuse(E_WHEN) from None
    if values["repeat"] == "none" and starts_at < now - 60 and (
            schedule_id is None or starts_at != old["starts_at"]):
        raise refuse(E_PAST)
    until = values["until_date"] or None
    if until is not None:
        try:
            until_day = dt.date.fromisoformat(str(until).strip())
        except ValueError:
            raise refuse(E_UNTIL) from None
        if until_day < _local(starts_at)[0]:
            raise refuse(E_UNTIL)
        until = until_day.isoformat()
    if str(values["confirm_key"]) not in KEYS:
        raise refuse(E_KEY)
    for key, (label, low, high) in RANGES.items():
        try:
            number = int(str(values[key]).strip())
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise refuse(E_RANGE, field=label, low=low, high=high)
        values[key] = number
    list_id = values["list_id"] or None
    if list_id is not None:
        try:
            list_id = int(list_id)
        except (TypeError, ValueError):
            raise refuse(E_LIST) from None
        if not db.execute("SELECT 1 FROM contact_lists WHERE id = ?", [list_id]).fetchone():
            raise refuse(E_LIST)
    named = parse_members(members) if isinstance(members, str) else parse_members(
        members_text(members))
    if not named and list_id is None:
        raise refuse(E_NO_MEMBERS)
    row = {"room_id": room_id, "title": title, "kind": values["kind"], "starts_at": starts_at,
           "repeat": values["repeat"], "until_date": until, "list_id": list_id,
           "confirm_key": str(values["confirm_key"]),
           "require_pin": 1 if values["require_pin"] in (1, "1", True, "on") else 0,
           "ring_s": values["ring_s"], "retries": values["retries"],
           "retry_s": values["retry_s"], "max_lines": values["max_lines"],
           "active": 1 if values["active"] in (1, "1", True, "on") else 0}
    with transaction(db):
        if schedule_id is None:
            schedule_id = db.conn.execute(
                "INSERT INTO conf_schedules (" + ", ".join(row) + ", created_at, created_by) "
                "VALUES (" + ", ".join("?" * len(row)) + ", ?, ?)",
                [*row.values(), now, user]).lastrowid
        else:
            db.conn.execute("UPDATE conf_schedules SET " + ", ".join(f"{k} = ?" for k in row)
                            + " WHERE id = ?", [*row.values(), schedule_id])
            db.conn.execute("DELETE FROM conf_schedule_members WHERE schedule_id = ?",
                            [schedule_id])
        db.conn.executemany(
            "INSERT INTO conf_schedule_members (schedule_id, number, name, role) "
            "VALUES (?, ?, ?, ?)",
            [(schedule_id, m["number"], m["name"], m["role"]) for m in named])
    return schedule_id


def delete_schedule(db, schedule_id: int) -> None:
    """Gone with its meetings and their report (the calls in flight are hung up by the
    caller when it no longer finds their meeting)."""
    with transaction(db):
        if not db.conn.execute("DELETE FROM conf_schedules WHERE id = ?",
                               [schedule_id]).rowcount:
            raise refuse(E_NO_SCHEDULE)


def start_now(db, schedule_id: int, now: float | None = None) -> int:
    """A group call started at once: a new meeting the caller dials on its next tick."""
    now = time.time() if now is None else now
    with transaction(db):
        row = db.execute("SELECT room_id FROM conf_schedules WHERE id = ?",
                         [schedule_id]).fetchone()
        if row is None:
            raise refuse(E_NO_SCHEDULE)
        if db.execute("SELECT 1 FROM conf_meetings WHERE schedule_id = ? AND ended_at IS NULL",
                      [schedule_id]).fetchone():
            raise refuse(E_RUNNING)
        return db.conn.execute(
            "INSERT INTO conf_meetings (schedule_id, room_id, starts_at) VALUES (?, ?, ?)",
            [schedule_id, row[0], now]).lastrowid


def meetings(db, schedule_id: int | None = None, limit: int = 50) -> list[dict]:
    where, args = ("WHERE g.schedule_id = ?", [schedule_id]) if schedule_id else ("", [])
    return [dict(r) for r in db.query(
        "SELECT g.*, s.title, r.number AS room_number, "
        "(SELECT count(DISTINCT number) FROM conf_dials d WHERE d.meeting_id = g.id "
        " AND d.outcome = 'joined') AS joined "
        "FROM conf_meetings g LEFT JOIN conf_schedules s ON s.id = g.schedule_id "
        f"JOIN conf_rooms r ON r.id = g.room_id {where} ORDER BY g.starts_at DESC LIMIT ?",
        [*args, limit])]


# -- polls ----------------------------------------------------------------------------------

def open_poll(db, room_id: int, question: str, choices, user: str = "",
              now: float | None = None) -> int:
    """A keypad poll in a room: keys 1..choices vote until it is closed."""
    now = time.time() if now is None else now
    question = (question or "").strip()
    if not 1 <= len(question) <= 200 or _CONTROL.search(question):
        raise refuse(E_QUESTION)
    try:
        choices = int(str(choices).strip())
    except ValueError:
        raise refuse(E_CHOICES) from None
    if not 2 <= choices <= 9:
        raise refuse(E_CHOICES)
    with transaction(db):
        voting = db.execute("SELECT voting FROM conf_rooms WHERE id = ?", [room_id]).fetchone()
        if voting is None:
            raise refuse(E_ROOM)
        if not voting[0]:
            raise refuse(E_NO_VOTING)
        if db.execute("SELECT 1 FROM conf_polls WHERE room_id = ? AND closed_at IS NULL",
                      [room_id]).fetchone():
            raise refuse(E_POLL_OPEN)
        meeting = db.execute("SELECT id FROM conf_meetings WHERE room_id = ? AND ended_at IS "
                             "NULL ORDER BY id DESC LIMIT 1", [room_id]).fetchone()
        return db.conn.execute(
            "INSERT INTO conf_polls (room_id, meeting_id, question, choices, opened_at, "
            "opened_by) VALUES (?, ?, ?, ?, ?, ?)",
            [room_id, meeting[0] if meeting else None, question, choices, now, user]).lastrowid


def close_poll(db, poll_id: int, now: float | None = None) -> None:
    with transaction(db):
        if not db.conn.execute("UPDATE conf_polls SET closed_at = coalesce(closed_at, ?) "
                               "WHERE id = ?", [time.time() if now is None else now,
                                                poll_id]).rowcount:
            raise refuse(E_NO_POLL)


def record_vote(db, room_number: str, uniqueid: str, number: str, choice, at: float) -> bool:
    """A key pressed in a room: the vote of that call in the room's open poll (the last key
    wins); False when no poll is open or the key is not one of its choices."""
    try:
        choice = int(choice)
    except (TypeError, ValueError):
        return False
    poll = db.execute(
        "SELECT p.id, p.choices FROM conf_polls p JOIN conf_rooms r ON r.id = p.room_id "
        "WHERE r.number = ? AND p.closed_at IS NULL ORDER BY p.id DESC LIMIT 1",
        [room_number]).fetchone()
    if poll is None or not 1 <= choice <= poll[1]:
        return False
    with transaction(db):
        db.conn.execute("INSERT OR REPLACE INTO conf_votes (poll_id, uniqueid, number, choice, at) "
                        "VALUES (?, ?, ?, ?, ?)", [poll[0], uniqueid, number, choice, at])
    return True


def poll_results(db, poll_id: int) -> dict | None:
    """The poll with a count and share per choice (every choice listed, zero or not)."""
    row = db.execute("SELECT p.*, r.number AS room_number, r.title AS room_title FROM "
                     "conf_polls p JOIN conf_rooms r ON r.id = p.room_id WHERE p.id = ?",
                     [poll_id])
    found = row.fetchone()
    if found is None:
        return None
    poll = dict(zip([d[0] for d in row.description], found))
    counts = dict(db.execute("SELECT choice, count(*) FROM conf_votes WHERE poll_id = ? "
                             "GROUP BY choice", [poll_id]).fetchall())
    total = sum(counts.values())
    poll["total"] = total
    poll["results"] = [{"choice": c, "votes": counts.get(c, 0),
                        "percent": round(100.0 * counts.get(c, 0) / total, 1) if total else 0.0}
                       for c in range(1, poll["choices"] + 1)]
    return poll


def polls(db, limit: int = 50) -> list[dict]:
    return [dict(r) for r in db.query(
        "SELECT p.*, r.number AS room_number, r.title AS room_title, "
        "(SELECT count(*) FROM conf_votes v WHERE v.poll_id = p.id) AS votes "
        "FROM conf_polls p JOIN conf_rooms r ON r.id = p.room_id "
        "ORDER BY p.closed_at IS NOT NULL, p.id DESC LIMIT ?", [limit])]


# -- the report -----------------------------------------------------------------------------

REPORT_COLUMNS = ("number", "name", "role", "how", "attempts", "outcome", "confirmed_at",
                  "joined_at", "left_at", "minutes")


def meeting_report(db, meeting_id: int, now: float | None = None) -> list[dict]:
    """One row per member dialled (attempts, last outcome, confirmed, in the room from / to,
    minutes in the room), then one per participant who dialled in."""
    now = time.time() if now is None else now
    stay: dict[str, list] = {}
    for a in db.query("SELECT * FROM conf_attendance WHERE meeting_id = ? ORDER BY joined_at",
                      [meeting_id]):
        stay.setdefault(a["uniqueid"], []).append(dict(a))
    rows: dict[str, dict] = {}
    for d in db.query("SELECT * FROM conf_dials WHERE meeting_id = ? ORDER BY id", [meeting_id]):
        r = rows.setdefault(d["number"], {
            "number": d["number"], "name": d["name"], "role": d["role"], "how": "out",
            "attempts": 0, "outcome": None, "confirmed_at": None, "joined_at": None,
            "left_at": None, "seconds": 0.0})
        if d["outcome"] != "cancelled":
            r["attempts"] += 1
        if r["outcome"] != "joined":
            r["outcome"] = d["outcome"] or "calling"
        r["confirmed_at"] = r["confirmed_at"] or d["confirmed_at"]
        for a in stay.pop(d["uniqueid"], []):
            _add_stay(r, a, now)
    for uid, spans in stay.items():
        first = spans[0]
        r = rows.setdefault(f"in:{uid}", {
            "number": first["number"], "name": first["name"], "role": first["role"],
            "how": first["how"], "attempts": 0, "outcome": "joined", "confirmed_at": None,
            "joined_at": None, "left_at": None, "seconds": 0.0})
        for a in spans:
            _add_stay(r, a, now)
    out = list(rows.values())
    for r in out:
        r["minutes"] = round(r.pop("seconds") / 60.0, 1)
    return out


def _add_stay(row: dict, a: dict, now: float) -> None:
    row["joined_at"] = min(x for x in (row["joined_at"], a["joined_at"]) if x is not None)
    row["left_at"] = a["left_at"] if a["left_at"] is None or row["left_at"] is None \
        else max(row["left_at"], a["left_at"])
    row["seconds"] += max(0.0, (a["left_at"] or now) - a["joined_at"])
    row["outcome"] = "joined"


def report_csv(rows: list[dict]) -> str:
    """The report as CSV (local times as YYYY-MM-DD HH:MM:SS), one line per row."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPORT_COLUMNS)
    for r in rows:
        w.writerow([_csv_safe(_when(r[c]) if c.endswith("_at") else r[c]) for c in REPORT_COLUMNS])
    return buf.getvalue()


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else ""


def _csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "@", "-") and not re.fullmatch(r"-?[0-9.]+", text) \
        else text


# -- dialplan -------------------------------------------------------------------------------

def dialplan(snap: dict, lay) -> list[str]:
    """extensions.conf lines of the calls to members (jns-conf-invite) and the rooms' keypad
    votes (jns-conf-vote).

    The caller's Originate sets JNS_CONF_DIAL (conf_dials id), JNS_CONF_ROOM, JNS_CONF_ROLE,
    JNS_CONF_KEY (the confirm key), JNS_CONF_KEYSOUND (how it is said) and JNS_CONF_SECURE
    (1: the room's PIN is asked, jns-confroom); facts come back as UserEvent JnsConf.
    """
    ev = "UserEvent(JnsConf,Dial: ${JNS_CONF_DIAL},Kind: "
    return [
        "; a member the box called for a scheduled conference or group call: the confirm",
        "; key puts them in the room (through the PIN in secure mode); no key twice: declined",
        "[jns-conf-invite]",
        f"exten => s,1,{ev}answered)",
        " same => n,Set(JNS_TRY=0)",
        " same => n(ask),Set(JNS_TRY=$[${JNS_TRY} + 1])",
        " same => n,Read(JNS_PRESSED,conf-placeintoconf&vm-press&${JNS_CONF_KEYSOUND},1,t,1,6)",
        ' same => n,GotoIf($["${JNS_PRESSED}" = "${JNS_CONF_KEY}"]?yes)',
        " same => n,GotoIf($[${JNS_TRY} < 2]?ask)",
        f" same => n,{ev}declined)",
        " same => n,Playback(vm-goodbye)",
        " same => n,Hangup()",
        f" same => n(yes),{ev}confirmed)",
        ' same => n,GotoIf($["${JNS_CONF_SECURE}" = "1"]?secure)',
        " same => n,Goto(jns-conf-enter,${JNS_CONF_ROOM},1)",
        " same => n(secure),Goto(jns-confroom,${JNS_CONF_ROOM},1)",
        "", "; a key 1-9 pressed in a room with voting (the room's ConfBridge menu runs this and",
        "; takes the caller back into the room when it ends)",
        "[jns-conf-vote]",
        "exten => _[1-9],1,UserEvent(JnsConf,Kind: vote,Room: ${JNS_CONF_ROOM},Choice: ${EXTEN})",
        " same => n,Playback(beep)", "",
    ]


# -- the caller -----------------------------------------------------------------------------

def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Dial:
    """One call to a member in flight (the conf_dials row is the record)."""
    id: int
    meeting_id: int
    uniqueid: str
    number: str
    started_at: float
    answered: bool = False
    confirmed: bool = False
    joined: bool = False
    declined: bool = False
    wrong_pin: bool = False
    reason: str | None = None
    originate_failed_at: float | None = None
    withdrawn: bool = False


class ConferenceCaller(AmiWorker):
    """The thread that dials conference members; see the module docstring (the thread, its
    events and its ticks: telephony.ami.AmiWorker, as for the campaign dialer)."""

    name = "conference-caller"
    follow = ("OriginateResponse", "Hangup", "UserEvent", "ConfbridgeJoin", "ConfbridgeLeave")
    event_mask = EVENT_MASK

    def __init__(self, db_path: str | os.PathLike, ami, *, tick_s: float = TICK_S,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(db_path, ami, tick_s=tick_s, clock=clock)
        self.dials: dict[str, Dial] = {}             # uniqueid -> call in flight
        self.roles: dict[str, str] = {}              # uniqueid -> role (JnsConf join)

    def wants(self, ev: dict) -> bool:
        """Only what concerns conferences (AMI reader thread)."""
        name = ev.get("Event")
        if name == "UserEvent" and ev.get("UserEvent") != "JnsConf":
            return False
        if name == "Hangup" and not ev.get("Uniqueid", "").startswith(UID_PREFIX):
            return False
        if name == "OriginateResponse" and not ev.get("ActionID", "").startswith("jnsf-"):
            return False
        if name in ("ConfbridgeJoin", "ConfbridgeLeave") and \
                not ev.get("Conference", "").startswith("conf-"):
            return False
        return True

    # -- events ---------------------------------------------------------------------------

    def _dial_by_id(self, dial_id) -> Dial | None:
        for d in self.dials.values():
            if str(d.id) == str(dial_id):
                return d
        return None

    def _apply(self, ev: dict, at: float) -> None:
        name = ev.get("Event")
        if name == "OriginateResponse":
            d = self._dial_by_id(ev.get("ActionID", "")[5:])
            if d is not None and ev.get("Response") != "Success":
                d.reason = ev.get("Reason")
                d.originate_failed_at = at
        elif name == "Hangup":
            d = self.dials.get(ev.get("Uniqueid", ""))
            if d is not None:
                self._finish(d, at, cause=_int(ev.get("Cause")))
        elif name == "UserEvent":
            self._user_event(ev, at)
        elif name == "ConfbridgeJoin":
            self._joined(ev, at)
        elif name == "ConfbridgeLeave":
            uid = ev.get("Uniqueid", "")
            self.roles.pop(uid, None)
            with transaction(self.db):
                self.db.conn.execute("UPDATE conf_attendance SET left_at = ? WHERE uniqueid = ? "
                                     "AND left_at IS NULL", [at, uid])

    def _user_event(self, ev: dict, at: float) -> None:
        kind = ev.get("Kind", "")
        uid = ev.get("Uniqueid", "")
        if kind == "join":
            if ev.get("Role") in ROLES:
                self.roles[uid] = ev["Role"]
            return
        if kind == "vote":
            number = ev.get("CallerIDNum", "")
            row = self.db.execute("SELECT number FROM conf_attendance WHERE uniqueid = ?",
                                  [uid]).fetchone()
            record_vote(self.db, ev.get("Room", ""), uid, row[0] if row else number,
                        ev.get("Choice"), at)
            return
        d = self._dial_by_id(ev.get("Dial")) if ev.get("Dial") else self.dials.get(uid)
        if d is None:
            return
        if kind == "answered":
            d.answered = True
            self.db.conn.execute("UPDATE conf_dials SET answered_at = ? WHERE id = ?", [at, d.id])
        elif kind == "confirmed":
            d.confirmed = True
            self.db.conn.execute("UPDATE conf_dials SET confirmed_at = ? WHERE id = ?", [at, d.id])
        elif kind == "declined":
            d.declined = True
        elif kind == "badpin":
            d.wrong_pin = True

    def _joined(self, ev: dict, at: float) -> None:
        number = ev.get("Conference", "")[5:]
        room = self.db.execute("SELECT id FROM conf_rooms WHERE number = ?", [number]).fetchone()
        if room is None:
            return
        uid = ev.get("Uniqueid", "")
        d = self.dials.get(uid)
        dial = self.db.execute("SELECT meeting_id, number, name, role FROM conf_dials WHERE "
                               "uniqueid = ?", [uid]).fetchone()
        if dial is not None:
            meeting_id, who, name, role = dial
            how = "out"
        else:
            meeting = self.db.execute(
                "SELECT id FROM conf_meetings WHERE room_id = ? AND ended_at IS NULL AND "
                "starts_at <= ? ORDER BY starts_at DESC LIMIT 1", [room[0], at]).fetchone()
            meeting_id, how = (meeting[0] if meeting else None), "in"
            who, name = ev.get("CallerIDNum", ""), ev.get("CallerIDName", "")
            role = "leader" if ev.get("Admin") == "Yes" else "talker"
        role = self.roles.get(uid, role)
        if who in ("<unknown>", None):
            who = ""
        if name in ("<unknown>", None):
            name = ""
        with transaction(self.db):
            self.db.conn.execute(
                "INSERT OR IGNORE INTO conf_attendance (room_id, meeting_id, uniqueid, number, "
                "name, role, how, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [room[0], meeting_id, uid, who[:20], name[:NAME_MAX], role, how, at])
            if d is not None:
                d.joined = True
                self.db.conn.execute("UPDATE conf_dials SET outcome = 'joined', confirmed_at = "
                                     "coalesce(confirmed_at, ?) WHERE id = ?", [at, d.id])

    def _finish(self, d: Dial, at: float, *, cause: int | None = None,
                outcome: str | None = None) -> None:
        """The call ended: its outcome (the dialer's reading of causes when unanswered)."""
        self.dials.pop(d.uniqueid, None)
        if outcome is None:
            if d.joined:
                outcome = "joined"
            elif d.wrong_pin:
                outcome = "wrong_pin"
            elif d.answered:
                outcome = "failed" if d.confirmed else "declined"
            elif d.withdrawn:
                outcome = "cancelled"
            else:
                outcome = outcome_by_cause(cause, d.reason)
        with transaction(self.db):
            self.db.conn.execute("UPDATE conf_dials SET outcome = ?, ended_at = ?, cause = ? "
                                 "WHERE id = ?", [outcome, at, cause, d.id])

    # -- the tick ---------------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock()
        self.ticks += 1
        for d in list(self.dials.values()):
            if d.originate_failed_at and now - d.originate_failed_at >= FAILED_ORIGINATE_GRACE_S:
                self._finish(d, now)
        if not self.ami.connected:
            return
        if self._reconcile.is_set():
            self._reconcile.clear()
            self._reconcile_calls(now)
        self._make_meetings(now)
        trunk = self.db.execute("SELECT name FROM trunks ORDER BY id LIMIT 1").fetchone()
        open_meetings = set()
        for m in list(self.db.query(
                "SELECT g.*, s.confirm_key, s.require_pin, s.ring_s, s.retries, s.retry_s, "
                "s.max_lines, s.list_id, s.active, r.number AS room_number "
                "FROM conf_meetings g JOIN conf_schedules s ON s.id = g.schedule_id "
                "JOIN conf_rooms r ON r.id = g.room_id WHERE g.ended_at IS NULL")):
            open_meetings.add(m["id"])
            self._meeting_tick(dict(m), trunk[0] if trunk else None, now)
        # calls of a meeting that is gone (its schedule or room deleted) are hung up
        self._withdraw([d for d in self.dials.values() if d.meeting_id not in open_meetings])

    def _make_meetings(self, now: float) -> None:
        """Occurrences due now become meetings: not those missed by more than LATE_S (the
        box was off) nor those before the schedule was made."""
        for s in list(self.db.query("SELECT * FROM conf_schedules WHERE active = 1")):
            for start in occurrences(dict(s), max(now - LATE_S, s["created_at"] - 60), now):
                with transaction(self.db):
                    self.db.conn.execute(
                        "INSERT OR IGNORE INTO conf_meetings (schedule_id, room_id, starts_at) "
                        "VALUES (?, ?, ?)", [s["id"], s["room_id"], start])

    def _meeting_tick(self, m: dict, trunk: str | None, now: float) -> None:
        mine = [d for d in self.dials.values() if d.meeting_id == m["id"]]
        members = schedule_members(self.db, {"id": m["schedule_id"], "list_id": m["list_id"]})
        dials: dict[str, list] = {}
        for r in self.db.query("SELECT number, outcome, ended_at FROM conf_dials WHERE "
                               "meeting_id = ? ORDER BY id", [m["id"]]):
            dials.setdefault(r["number"], []).append(r)
        flying = {d.number for d in mine}
        due, waiting = [], False
        for member in members:
            tries = [r for r in dials.get(member["number"], []) if r["outcome"] != "cancelled"]
            if member["number"] in flying or any(r["outcome"] == "joined" for r in tries):
                continue
            if not tries:
                due.append((member, 1))
                continue
            last = tries[-1]
            if last["outcome"] not in RETRY_OUTCOMES or len(tries) > m["retries"]:
                continue
            if now >= (last["ended_at"] or now) + m["retry_s"]:
                due.append((member, len(tries) + 1))
            else:
                waiting = True
        room = self.db.execute("SELECT count(*) FROM conf_attendance WHERE meeting_id = ? "
                               "AND left_at IS NULL", [m["id"]]).fetchone()[0]
        everybody_done = not due and not waiting and not mine and not room
        if everybody_done or now - m["starts_at"] > MEETING_MAX_S:
            self._withdraw(mine)
            self.db.conn.execute("UPDATE conf_meetings SET ended_at = ? WHERE id = ? AND "
                                 "ended_at IS NULL", [now, m["id"]])
            return
        free = m["max_lines"] - len(mine)
        for member, attempt in due[:max(0, free)]:
            if not self._originate(m, member, attempt, trunk, now):
                break

    def _dial_string(self, number: str, trunk: str | None) -> str | None:
        if not number.startswith("+") and self.db.execute(
                "SELECT 1 FROM agents WHERE extension = ?", [number]).fetchone():
            return f"PJSIP/{number}"
        return f"PJSIP/{dial_number(number)}@{trunk}" if trunk else None

    def _originate(self, m: dict, member: dict, attempt: int, trunk: str | None,
                   now: float) -> bool:
        uniqueid = f"{UID_PREFIX}{uuid.uuid4().hex}"
        channel = self._dial_string(member["number"], trunk)
        with transaction(self.db):
            dial_id = self.db.conn.execute(
                "INSERT INTO conf_dials (meeting_id, number, name, role, attempt, uniqueid, "
                "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [m["id"], member["number"], member["name"], member["role"], attempt, uniqueid,
                 now]).lastrowid
            self.db.conn.execute("UPDATE conf_meetings SET started_at = coalesce(started_at, ?) "
                                 "WHERE id = ?", [now, m["id"]])
        d = Dial(dial_id, m["id"], uniqueid, member["number"], now)
        if channel is None:      # an outside number and no trunk to call it on
            self._finish(d, now, outcome="failed")
            return True
        self.dials[uniqueid] = d
        key = m["confirm_key"]
        variables = {"JNS_CONF_DIAL": dial_id, "JNS_CONF_ROOM": m["room_number"],
                     "JNS_CONF_ROLE": member["role"], "JNS_CONF_KEY": key,
                     "JNS_CONF_KEYSOUND": KEY_SOUNDS.get(key, f"digits/{key}"),
                     "JNS_CONF_SECURE": int(m["require_pin"])}
        try:
            self.ami.action("Originate", timeout=5, retry=False, Async="true",
                            ChannelId=uniqueid, ActionID=f"jnsf-{dial_id}", Channel=channel,
                            Context="jns-conf-invite", Exten="s", Priority="1",
                            Timeout=str(int(m["ring_s"]) * 1000),
                            Variable=",".join(f"{k}={v}" for k, v in variables.items()))
            return True
        except Exception as exc:
            self.last_error = f"Originate refused: {exc}"
            log.warning("conference caller: Originate of %s refused: %s", dial_id, exc)
            self._finish(d, now, outcome="failed")
            return False

    def _withdraw(self, dials: list[Dial]) -> None:
        for d in dials:
            if d.withdrawn:
                continue
            d.withdrawn = True
            try:
                self.ami.action("Hangup", timeout=5, Channel=d.uniqueid)
            except Exception as exc:
                log.info("conference caller: withdrawing %s: %s", d.id, exc)

    def _reconcile_calls(self, now: float) -> None:
        """After a (re)connect: calls and attendance left open without a live channel are
        closed; calls still up are followed again."""
        _, events = self.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
        live = {e.get("Uniqueid") for e in events if e.get("Event") == "CoreShowChannel"}
        for d in list(self.dials.values()):
            if d.uniqueid not in live and now - d.started_at > RECONCILE_AFTER_S:
                self._finish(d, now, outcome="joined" if d.joined else "failed")
        for r in list(self.db.query("SELECT * FROM conf_dials WHERE ended_at IS NULL")):
            if r["uniqueid"] in self.dials:
                continue
            d = Dial(r["id"], r["meeting_id"], r["uniqueid"], r["number"], r["started_at"] or now,
                     answered=r["answered_at"] is not None,
                     confirmed=r["confirmed_at"] is not None, joined=r["outcome"] == "joined")
            if r["uniqueid"] in live:
                self.dials[d.uniqueid] = d
            else:
                self._finish(d, now, outcome="joined" if d.joined else "failed")
        with transaction(self.db):
            for (uid,) in self.db.execute("SELECT uniqueid FROM conf_attendance WHERE "
                                          "left_at IS NULL").fetchall():
                if uid not in live:
                    self.db.conn.execute("UPDATE conf_attendance SET left_at = ? WHERE "
                                         "uniqueid = ?", [now, uid])
