"""The CRM's planner: tasks, missed-call tasks, the group calendar with free slots,
reminders and iCalendar feeds (CRM-1 tasks and calendar, CRM-6 missed calls, CRM-7).

- tasks: anyone creates one; an agent changes the tasks assigned to them, created by them
  or unassigned, supervisors and admins change any and reassign (PermissionError else);
- `missed_call_task()`: one task per missed call (crm_tasks' unique index on call_id) for the
  contact's owner agent, due after the setting crm.missed_call_due_min;
- meetings (crm_events) live in one user's calendar; `book()` refuses an overlap with that
  person's other meetings, naming the clash; `free_slots()` offers the working hours
  (crm.work_start, crm.work_end, crm.work_days) minus booked time and the past;
- reminders: `due_reminders()` for the panel, `send_reminders()` for the periodic job
  (marks reminded_at first, then e-mails; a dead SMTP server loses nothing in the panel);
- `ical_feed()`: a user's meetings (VEVENT) and open tasks with a due date (VTODO) as
  RFC 5545 text; feed tokens are user_tokens of kind 'ical', only their SHA-256 kept.

Times are epoch seconds; days, working hours and the forms' times are the box's local
time.  Functions take the acting user as a dict (id, username, role) and raise StoreError
with a message the user can act on.  No Flask, no telephony here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import sqlite3
import time
import uuid
from typing import Any, Callable, Iterable

import sqlite_utils

from ..store.db import StoreError, get_setting, transaction

log = logging.getLogger(__name__)

TASK_STATUSES = ("open", "done", "cancelled")
MANAGERS = ("admin", "supervisor")
SETTINGS_DEFAULTS = {"work_start": "09:00", "work_end": "17:00", "work_days": "1-5",
                     "slot_min": "30", "missed_call_due_min": "60"}
SLOT_CHOICES = (15, 20, 30, 45, 60, 90, 120)
PAST_GRACE_S = 300          # a meeting may start up to 5 minutes ago (the form was slow)
FEED_PAST_DAYS = 90         # the iCalendar feed carries meetings from 90 days back on

NO_TASK = "this task no longer exists; reload the list of tasks"
NO_EVENT = "this meeting no longer exists; reload the calendar"
NOT_YOURS_TASK = ("you may change only the tasks assigned to you, created by you or not "
                  "assigned to anyone; ask a supervisor")
NO_REASSIGN = "only a supervisor or an administrator may give a task to someone else"
NOT_YOURS_EVENT = ("only the person who booked the meeting, the owner of the calendar, a "
                   "supervisor or an administrator may change it")
NOT_BOOKABLE = ("this person does not take meetings; an administrator marks salespeople as "
                "\"takes meetings\" on the users page")
NO_USER = "no such user; choose one from the list"
NO_CONTACT = "no such contact; it may have been deleted"
IN_PAST = "the meeting would start in the past; choose a later time"
ENDS_BEFORE = "the meeting must end after it starts"
BAD_TIME = "a time is written as HH:MM, e.g. 09:00"
BAD_DAYS = "working days: write them like 1-5 or 1,2,3,4,5 (1 = Monday, 7 = Sunday)"
BAD_SLOT = f"slot length: one of {', '.join(map(str, SLOT_CHOICES))} minutes"


class Clash(StoreError):
    """A meeting would overlap `event` (a dict of get_event) in the same calendar."""

    def __init__(self, event: dict):
        self.event = event
        super().__init__(
            f"{event['username']} already has a meeting \"{event['title']}\" on "
            f"{fmt_local(event['starts_at'], '%Y-%m-%d')} from "
            f"{fmt_local(event['starts_at'], '%H:%M')} to "
            f"{fmt_local(event['ends_at'], '%H:%M')}; choose a free slot")


# -- small helpers ------------------------------------------------------------------------------

def match_key(number: str) -> str:
    """The last nine digits of a number (all of them when fewer): how numbers are compared."""
    try:
        from .contacts import match_key as contacts_match_key
    except ImportError:
        digits = re.sub(r"\D", "", number or "")
        return digits[-9:]
    return contacts_match_key(number)


def _rows(db: sqlite_utils.Database, sql: str, args: Iterable = ()) -> list[dict]:
    return list(db.query(sql, list(args)))


def _is_manager(user: dict) -> bool:
    return user.get("role") in MANAGERS


def local_day_start(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day).timestamp()


def local_epoch(day: dt.date, hhmm: str) -> float:
    """Epoch seconds of `hhmm` ("09:30") on `day` in the box's local time."""
    hours, minutes = parse_hhmm(hhmm)
    return dt.datetime(day.year, day.month, day.day, hours, minutes).timestamp()


def parse_hhmm(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value or "")
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or \
            (int(m.group(1)) == 24 and int(m.group(2)) != 0):
        raise StoreError(BAD_TIME)
    return int(m.group(1)), int(m.group(2))


def parse_days(value: str) -> set[int]:
    """Working days "1-5", "1,3,5" or "1-3,6" (1 = Monday ... 7 = Sunday) as a set."""
    days: set[int] = set()
    for part in (value or "").replace(" ", "").split(","):
        m = re.fullmatch(r"([1-7])(?:-([1-7]))?", part)
        if not m:
            raise StoreError(BAD_DAYS)
        low, high = int(m.group(1)), int(m.group(2) or m.group(1))
        if high < low:
            raise StoreError(BAD_DAYS)
        days.update(range(low, high + 1))
    return days


def fmt_local(ts: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.datetime.fromtimestamp(ts).strftime(fmt)


# -- settings --------------------------------------------------------------------------------------

def planner_settings(db: sqlite_utils.Database) -> dict:
    """Working hours and days, slot length and the missed-call task's due time."""
    out: dict[str, Any] = {k: get_setting(db, f"crm.{k}", v) for k, v in SETTINGS_DEFAULTS.items()}
    for key in ("slot_min", "missed_call_due_min"):
        try:
            out[key] = int(out[key])
        except ValueError:
            out[key] = int(SETTINGS_DEFAULTS[key])
    return out


def save_settings(db: sqlite_utils.Database, user: dict, *, work_start: str, work_end: str,
                  work_days: str, slot_min: Any, missed_call_due_min: Any) -> None:
    """The admin's CRM planner settings; all checked before anything is written."""
    if user.get("role") != "admin":
        raise PermissionError("only an administrator changes the CRM settings")
    start, end = parse_hhmm(work_start), parse_hhmm(work_end)
    if end <= start:
        raise StoreError("the working day must end after it starts")
    days = parse_days(work_days)
    try:
        slot = int(slot_min)
    except (TypeError, ValueError):
        slot = 0
    if slot not in SLOT_CHOICES:
        raise StoreError(BAD_SLOT)
    due = _minutes(missed_call_due_min, "missed-call task due time: 0 to 10080 minutes (a week)")
    values = {"work_start": "%02d:%02d" % start, "work_end": "%02d:%02d" % end,
              "work_days": _days_text(days), "slot_min": str(slot),
              "missed_call_due_min": str(due)}
    with transaction(db):
        for key, value in values.items():
            db.conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                            "DO UPDATE SET value = excluded.value", [f"crm.{key}", value])


def _minutes(value, refusal: str) -> int:
    """0..10080 whole minutes (up to a week), else StoreError(refusal)."""
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not 0 <= minutes <= 10080:
        raise StoreError(refusal)
    return minutes


def _days_text(days: set[int]) -> str:
    parts, run = [], []
    for d in sorted(days) + [99]:
        if run and d != run[-1] + 1:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run = []
        run.append(d)
    return ",".join(parts)


# -- users: e-mail and "takes meetings" ---------------------------------------------------------

def calendar_profile(db: sqlite_utils.Database, user_id: int) -> dict | None:
    rows = _rows(db, "SELECT id, username, role, lang, email, bookable FROM users WHERE id = ?",
                 [user_id])
    return rows[0] if rows else None


def set_calendar_profile(db: sqlite_utils.Database, user_id: int, *, email: str,
                         bookable: bool) -> None:
    """A user's e-mail (reminders go there) and whether others book meetings with them."""
    email = (email or "").strip()
    if email and not re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", email):
        raise StoreError(f"{email!r} is not an e-mail address")
    with transaction(db):
        cur = db.conn.execute("UPDATE users SET email = ?, bookable = ? WHERE id = ?",
                              [email, 1 if bookable else 0, user_id])
        if cur.rowcount != 1:
            raise StoreError(NO_USER)


def all_users(db: sqlite_utils.Database) -> list[dict]:
    return _rows(db, "SELECT id, username, role, email, bookable FROM users "
                     "ORDER BY username COLLATE NOCASE")


def bookable_users(db: sqlite_utils.Database) -> list[dict]:
    return [u for u in all_users(db) if u["bookable"]]


def _user_exists(db: sqlite_utils.Database, user_id: int | None) -> bool:
    return user_id is not None and db.execute(
        "SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is not None


def _check_contact(db: sqlite_utils.Database, contact_id: int | None) -> None:
    if contact_id is not None and db.execute(
            "SELECT 1 FROM crm_contacts WHERE id = ?", [contact_id]).fetchone() is None:
        raise StoreError(NO_CONTACT)


def find_contacts(db: sqlite_utils.Database, q: str, limit: int = 20) -> list[dict]:
    """Contacts for a picker: by name (any case) or by number in any format."""
    q = (q or "").strip()
    if not q:
        return []
    key = match_key(q)
    if len(key) >= 3 and len(re.sub(r"[\d\s+()./-]", "", q)) == 0:
        return _rows(db, "SELECT DISTINCT c.id, c.name FROM crm_contacts c "
                         "JOIN crm_phones p ON p.contact_id = c.id "
                         "WHERE p.match_key LIKE ? ORDER BY c.name COLLATE NOCASE LIMIT ?",
                     [f"%{key}", limit])
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return _rows(db, "SELECT id, name FROM crm_contacts WHERE name LIKE ? ESCAPE '\\' "
                     "ORDER BY name COLLATE NOCASE LIMIT ?", [like, limit])


def contact_name(db: sqlite_utils.Database, contact_id: int | None) -> str:
    if contact_id is None:
        return ""
    row = db.execute("SELECT name FROM crm_contacts WHERE id = ?", [contact_id]).fetchone()
    return row[0] if row else ""


# -- tasks -----------------------------------------------------------------------------------------

_TASK_SELECT = (
    "SELECT t.*, c.name AS contact_name, u.username AS assignee "
    "FROM crm_tasks t LEFT JOIN crm_contacts c ON c.id = t.contact_id "
    "LEFT JOIN users u ON u.id = t.assignee_id ")


def _task_flags(task: dict, now: float) -> dict:
    due = task.get("due_at")
    task["overdue"] = task["status"] == "open" and due is not None and due < now
    task["due_soon"] = (task["status"] == "open" and due is not None
                        and now <= due < now + 24 * 3600)
    return task


def get_task(db: sqlite_utils.Database, task_id: int, now: float | None = None) -> dict | None:
    rows = _rows(db, _TASK_SELECT + "WHERE t.id = ?", [task_id])
    return _task_flags(rows[0], time.time() if now is None else now) if rows else None


def can_change_task(user: dict, task: dict) -> bool:
    return (_is_manager(user) or task["assignee_id"] is None
            or task["assignee_id"] == user["id"] or task["created_by"] == user["username"])


def _task_values(db: sqlite_utils.Database, title: str, details: str, contact_id: int | None,
                 assignee_id: int | None, due_at: float | None,
                 remind_at: float | None) -> dict:
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise StoreError("task title: 1 to 200 characters")
    if len(details or "") > 20000:
        raise StoreError("task details: at most 20000 characters")
    if assignee_id is not None and not _user_exists(db, assignee_id):
        raise StoreError(NO_USER)
    _check_contact(db, contact_id)
    if remind_at is not None and due_at is not None and remind_at > due_at:
        raise StoreError("the reminder must come before the task is due")
    return {"title": title, "details": details or "", "contact_id": contact_id,
            "assignee_id": assignee_id, "due_at": due_at, "remind_at": remind_at}


def create_task(db: sqlite_utils.Database, user: dict, *, title: str, details: str = "",
                contact_id: int | None = None, assignee_id: int | None = None,
                due_at: float | None = None, remind_at: float | None = None,
                project_id: int | None = None, source: str = "manual",
                now: float | None = None) -> int:
    """A new open task; anyone may create one for anyone (or for nobody)."""
    values = _task_values(db, title, details, contact_id, assignee_id, due_at, remind_at)
    values.update(project_id=project_id, source=source, status="open",
                  created_at=time.time() if now is None else now, created_by=user["username"])
    with transaction(db):
        cols = ", ".join(values)
        cur = db.conn.execute(f"INSERT INTO crm_tasks ({cols}) VALUES "
                              f"({', '.join('?' for _ in values)})", list(values.values()))
        return int(cur.lastrowid)


def _task_for_change(db: sqlite_utils.Database, user: dict, task_id: int) -> dict:
    task = get_task(db, task_id)
    if task is None:
        raise StoreError(NO_TASK)
    if not can_change_task(user, task):
        raise PermissionError(NOT_YOURS_TASK)
    return task


def update_task(db: sqlite_utils.Database, user: dict, task_id: int, *, title: str,
                details: str = "", contact_id: int | None = None,
                assignee_id: int | None = None, due_at: float | None = None,
                remind_at: float | None = None) -> None:
    """Change a task.  An agent may give it only to themselves (or keep its assignee)."""
    with transaction(db):
        task = _task_for_change(db, user, task_id)
        if (assignee_id != task["assignee_id"] and assignee_id != user["id"]
                and not _is_manager(user)):
            raise PermissionError(NO_REASSIGN)
        values = _task_values(db, title, details, contact_id, assignee_id, due_at, remind_at)
        if due_at != task["due_at"] or remind_at != task["remind_at"]:
            values["reminded_at"] = None     # a new time: remind again
        sets = ", ".join(f"{k} = ?" for k in values)
        db.conn.execute(f"UPDATE crm_tasks SET {sets} WHERE id = ?", [*values.values(), task_id])


def set_task_status(db: sqlite_utils.Database, user: dict, task_id: int, status: str,
                    now: float | None = None) -> None:
    """Done, cancelled or open again."""
    if status not in TASK_STATUSES:
        raise StoreError(f"task status: one of {', '.join(TASK_STATUSES)}")
    now = time.time() if now is None else now
    with transaction(db):
        _task_for_change(db, user, task_id)
        db.conn.execute("UPDATE crm_tasks SET status = ?, done_at = ? WHERE id = ?",
                        [status, now if status != "open" else None, task_id])


def complete_task(db, user, task_id, now=None) -> None:
    set_task_status(db, user, task_id, "done", now)


def cancel_task(db, user, task_id, now=None) -> None:
    set_task_status(db, user, task_id, "cancelled", now)


def reassign_task(db: sqlite_utils.Database, user: dict, task_id: int,
                  assignee_id: int | None) -> None:
    """Give a task to someone else (supervisors and admins; an agent only to themselves)."""
    with transaction(db):
        task = _task_for_change(db, user, task_id)
        if assignee_id != user["id"] and not _is_manager(user):
            raise PermissionError(NO_REASSIGN)
        if assignee_id is not None and not _user_exists(db, assignee_id):
            raise StoreError(NO_USER)
        if assignee_id != task["assignee_id"]:
            db.conn.execute("UPDATE crm_tasks SET assignee_id = ?, reminded_at = NULL "
                            "WHERE id = ?", [assignee_id, task_id])


def list_tasks(db: sqlite_utils.Database, user: dict, *, mine: bool = True,
               status: str | None = "open", contact_id: int | None = None,
               overdue: bool | None = None, assignee_id: int | None = None,
               now: float | None = None, limit: int = 500) -> list[dict]:
    """Tasks, soonest due first (no due date last).

    mine: assigned to the user, or unassigned and created by them.  Everyone sees all the
    tasks of one contact (contact_id); all tasks otherwise only supervisors and admins.
    status: 'open', 'done', 'cancelled' or None (any).  overdue: open and past due.
    """
    now = time.time() if now is None else now
    if not mine and contact_id is None and not _is_manager(user):
        raise PermissionError("only supervisors and administrators see everyone's tasks")
    where, args = [], []
    if mine:
        where.append("(t.assignee_id = ? OR (t.assignee_id IS NULL AND t.created_by = ?))")
        args += [user["id"], user["username"]]
    if assignee_id is not None:
        where.append("t.assignee_id = ?")
        args.append(assignee_id)
    if status is not None:
        if status not in TASK_STATUSES:
            raise StoreError(f"task status: one of {', '.join(TASK_STATUSES)}")
        where.append("t.status = ?")
        args.append(status)
    if contact_id is not None:
        where.append("t.contact_id = ?")
        args.append(contact_id)
    if overdue is True:
        where.append("t.status = 'open' AND t.due_at IS NOT NULL AND t.due_at < ?")
        args.append(now)
    elif overdue is False:
        where.append("NOT (t.status = 'open' AND t.due_at IS NOT NULL AND t.due_at < ?)")
        args.append(now)
    sql = _TASK_SELECT + (("WHERE " + " AND ".join(where)) if where else "")
    sql += " ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT ?"
    return [_task_flags(t, now) for t in _rows(db, sql, args + [limit])]


def missed_call_task(db: sqlite_utils.Database, *, contact_id: int | None, owner_id: int | None,
                     number: str, call_id: str, at: float, reason: str,
                     now: float | None = None) -> int:
    """The task "Missed call from <number>" for the contact's owner (CRM-6); one per call:
    called again for the same call_id it returns the existing task's id."""
    if not call_id:
        raise StoreError("a missed-call task needs the call's id")
    row = db.execute("SELECT id FROM crm_tasks WHERE source = 'missed_call' AND call_id = ?",
                     [call_id]).fetchone()
    if row:
        return int(row[0])
    now = time.time() if now is None else now
    due_min = planner_settings(db)["missed_call_due_min"]
    details = (f"Missed call from {number} at {fmt_local(at)}"
               + (f": {reason}" if reason else "") + ". Call the customer back.")
    values = {"contact_id": contact_id, "title": f"Missed call from {number}",
              "details": details, "assignee_id": owner_id if _user_exists(db, owner_id) else None,
              "status": "open", "due_at": max(at, now) + due_min * 60, "source": "missed_call",
              "call_id": call_id, "number": number, "created_at": now, "created_by": "system"}
    try:
        with transaction(db):
            cur = db.conn.execute(
                f"INSERT INTO crm_tasks ({', '.join(values)}) VALUES "
                f"({', '.join('?' for _ in values)})", list(values.values()))
            return int(cur.lastrowid)
    except sqlite3.IntegrityError:      # the same call, saved by another process just now
        row = db.execute("SELECT id FROM crm_tasks WHERE source = 'missed_call' AND "
                         "call_id = ?", [call_id]).fetchone()
        if row is None:
            raise
        return int(row[0])


# -- meetings (the group calendar) ----------------------------------------------------------------

_EVENT_SELECT = (
    "SELECT e.*, u.username AS username, c.name AS contact_name FROM crm_events e "
    "JOIN users u ON u.id = e.user_id LEFT JOIN crm_contacts c ON c.id = e.contact_id ")


def get_event(db: sqlite_utils.Database, event_id: int) -> dict | None:
    rows = _rows(db, _EVENT_SELECT + "WHERE e.id = ?", [event_id])
    return rows[0] if rows else None


def can_change_event(user: dict, event: dict) -> bool:
    return (_is_manager(user) or event["user_id"] == user["id"]
            or event["created_by"] == user["username"])


def _clash(db: sqlite_utils.Database, user_id: int, starts_at: float, ends_at: float,
           skip_id: int | None = None) -> dict | None:
    rows = _rows(db, _EVENT_SELECT + "WHERE e.user_id = ? AND e.cancelled_at IS NULL "
                 "AND e.starts_at < ? AND e.ends_at > ? AND e.id != ? ORDER BY e.starts_at "
                 "LIMIT 1", [user_id, ends_at, starts_at, skip_id or 0])
    return rows[0] if rows else None


def _event_values(title: str, starts_at: float, ends_at: float, location: str, details: str,
                  remind_min: Any) -> dict:
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise StoreError("meeting title: 1 to 200 characters")
    if ends_at <= starts_at:
        raise StoreError(ENDS_BEFORE)
    if ends_at - starts_at > 24 * 3600:
        raise StoreError("a meeting lasts at most 24 hours")
    remind = _minutes(remind_min, "reminder: 0 to 10080 minutes before the meeting")
    return {"title": title, "starts_at": float(starts_at), "ends_at": float(ends_at),
            "location": (location or "").strip()[:200], "details": details or "",
            "remind_min": remind}


def book(db: sqlite_utils.Database, user: dict, *, user_id: int, contact_id: int | None,
         title: str, starts_at: float, ends_at: float, location: str = "", details: str = "",
         remind_min: int = 15, now: float | None = None) -> int:
    """A meeting in `user_id`'s calendar.  Refused when it overlaps another (not cancelled)
    meeting of that person, when it starts in the past, or when the person does not take
    meetings (unless it is the user's own calendar or a supervisor/admin books it)."""
    now = time.time() if now is None else now
    values = _event_values(title, starts_at, ends_at, location, details, remind_min)
    with transaction(db):
        owner = calendar_profile(db, user_id)
        if owner is None:
            raise StoreError(NO_USER)
        if not owner["bookable"] and user_id != user["id"] and not _is_manager(user):
            raise StoreError(NOT_BOOKABLE)
        _check_contact(db, contact_id)
        if starts_at < now - PAST_GRACE_S:
            raise StoreError(IN_PAST)
        clash = _clash(db, user_id, starts_at, ends_at)
        if clash:
            raise Clash(clash)
        values.update(uid=f"{uuid.uuid4()}@jns", user_id=user_id, contact_id=contact_id,
                      created_at=now, created_by=user["username"], updated_at=now)
        cur = db.conn.execute(f"INSERT INTO crm_events ({', '.join(values)}) VALUES "
                              f"({', '.join('?' for _ in values)})", list(values.values()))
        return int(cur.lastrowid)


def update_event(db: sqlite_utils.Database, user: dict, event_id: int, *, title: str,
                 starts_at: float, ends_at: float, location: str = "", details: str = "",
                 remind_min: int = 15, contact_id: int | None = None,
                 now: float | None = None) -> None:
    """Change a meeting (its creator, the calendar's owner, supervisors, admins)."""
    now = time.time() if now is None else now
    values = _event_values(title, starts_at, ends_at, location, details, remind_min)
    with transaction(db):
        event = get_event(db, event_id)
        if event is None:
            raise StoreError(NO_EVENT)
        if not can_change_event(user, event):
            raise PermissionError(NOT_YOURS_EVENT)
        if event["cancelled_at"] is not None:
            raise StoreError("this meeting was cancelled; book a new one")
        _check_contact(db, contact_id)
        moved = starts_at != event["starts_at"] or ends_at != event["ends_at"]
        if moved and starts_at < now - PAST_GRACE_S:
            raise StoreError(IN_PAST)
        clash = _clash(db, event["user_id"], starts_at, ends_at, skip_id=event_id)
        if clash:
            raise Clash(clash)
        values.update(contact_id=contact_id, updated_at=now)
        if moved or values["remind_min"] != event["remind_min"]:
            values["reminded_at"] = None
        sets = ", ".join(f"{k} = ?" for k in values)
        db.conn.execute(f"UPDATE crm_events SET {sets} WHERE id = ?", [*values.values(), event_id])


def cancel_event(db: sqlite_utils.Database, user: dict, event_id: int,
                 now: float | None = None) -> None:
    now = time.time() if now is None else now
    with transaction(db):
        event = get_event(db, event_id)
        if event is None:
            raise StoreError(NO_EVENT)
        if not can_change_event(user, event):
            raise PermissionError(NOT_YOURS_EVENT)
        if event["cancelled_at"] is None:
            db.conn.execute("UPDATE crm_events SET cancelled_at = ?, updated_at = ? WHERE id = ?",
                            [now, now, event_id])


def list_events(db: sqlite_utils.Database, start: float, end: float,
                user_ids: Iterable[int] | None = None, *, contact_id: int | None = None,
                include_cancelled: bool = False) -> list[dict]:
    """Meetings overlapping [start, end), by start time."""
    where, args = ["e.starts_at < ?", "e.ends_at > ?"], [end, start]
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return []
        where.append(f"e.user_id IN ({', '.join('?' for _ in ids)})")
        args += ids
    if contact_id is not None:
        where.append("e.contact_id = ?")
        args.append(contact_id)
    if not include_cancelled:
        where.append("e.cancelled_at IS NULL")
    return _rows(db, _EVENT_SELECT + "WHERE " + " AND ".join(where) +
                 " ORDER BY e.starts_at, e.id", args)


def working_hours(db: sqlite_utils.Database, day: dt.date) -> tuple[float, float] | None:
    """(start, end) epoch seconds of the working hours on `day`, None on a day off."""
    s = planner_settings(db)
    if day.isoweekday() not in parse_days(s["work_days"]):
        return None
    return local_epoch(day, s["work_start"]), local_epoch(day, s["work_end"])


def free_slots(db: sqlite_utils.Database, user_id: int, day: dt.date, *,
               slot_min: int | None = None, duration_min: int | None = None,
               now: float | None = None) -> list[tuple[float, float]]:
    """Start and end of every free slot of `user_id` on `day`: every `slot_min` minutes from
    the start of the working day, `duration_min` long (default: one slot), inside the
    working hours, not overlapping a meeting and not in the past."""
    now = time.time() if now is None else now
    hours = working_hours(db, day)
    if hours is None:
        return []
    step = (slot_min or planner_settings(db)["slot_min"]) * 60
    length = (duration_min or step // 60) * 60
    busy = [(e["starts_at"], e["ends_at"]) for e in list_events(db, *hours, [user_id])]
    out, start = [], hours[0]
    while start + length <= hours[1]:
        end = start + length
        if start >= now and not any(b0 < end and b1 > start for b0, b1 in busy):
            out.append((start, end))
        start += step
    return out


# -- reminders -----------------------------------------------------------------------------------

def due_reminders(db: sqlite_utils.Database, user_id: int, now: float) -> dict:
    """What the panel reminds `user_id` of now: open tasks (theirs, or unassigned and made
    by them) whose reminder time, or else due time, has passed; meetings in their calendar
    starting within their reminder time (until they end)."""
    row = db.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
    username = row[0] if row else ""
    tasks = _rows(db, _TASK_SELECT + "WHERE t.status = 'open' AND (t.assignee_id = ? OR "
                  "(t.assignee_id IS NULL AND t.created_by = ?)) AND "
                  "coalesce(t.remind_at, t.due_at) <= ? ORDER BY coalesce(t.due_at, t.remind_at)",
                  [user_id, username, now])
    events = _rows(db, _EVENT_SELECT + "WHERE e.user_id = ? AND e.cancelled_at IS NULL AND "
                   "e.starts_at - e.remind_min * 60 <= ? AND e.ends_at > ? ORDER BY e.starts_at",
                   [user_id, now, now])
    return {"tasks": [_task_flags(t, now) for t in tasks], "events": events}


def reminder_count(db: sqlite_utils.Database, user_id: int, now: float) -> int:
    """How many reminders `due_reminders` lists (two counts on indexed columns: the nav
    badge asks on every page)."""
    tasks = db.execute(
        "SELECT count(*) FROM crm_tasks t WHERE t.status = 'open' AND (t.assignee_id = ? OR "
        "(t.assignee_id IS NULL AND t.created_by = (SELECT username FROM users WHERE id = ?))) "
        "AND coalesce(t.remind_at, t.due_at) <= ?", [user_id, user_id, now]).fetchone()[0]
    events = db.execute(
        "SELECT count(*) FROM crm_events e WHERE e.user_id = ? AND e.cancelled_at IS NULL AND "
        "e.starts_at - e.remind_min * 60 <= ? AND e.ends_at > ?", [user_id, now, now]).fetchone()[0]
    return int(tasks) + int(events)


_MAIL_TEXT = {
    "en": {"task": "Reminder: {title}", "event": "Meeting at {time}: {title}",
           "due": "Due: {when}", "contact": "Customer: {name}", "where": "Where: {where}",
           "starts": "Starts: {when}, ends: {end}"},
    "pl": {"task": "Przypomnienie: {title}", "event": "Spotkanie o {time}: {title}",
           "due": "Termin: {when}", "contact": "Klient: {name}", "where": "Miejsce: {where}",
           "starts": "Początek: {when}, koniec: {end}"},
}


def send_reminders(db: sqlite_utils.Database, now: float,
                   send_email: Callable[..., None] | None) -> dict:
    """The periodic job: every task whose remind_at passed and every meeting inside its
    reminder time, not reminded yet, is marked reminded (first, in one transaction) and
    e-mailed to its person when they have an e-mail and SMTP is set up.  A failing server
    is logged and counted; the panel still lists the reminder (due_reminders)."""
    from ..store import alerts
    with transaction(db):
        tasks = _rows(db, _TASK_SELECT + "WHERE t.status = 'open' AND t.remind_at IS NOT NULL "
                      "AND t.remind_at <= ? AND t.reminded_at IS NULL", [now])
        events = _rows(db, _EVENT_SELECT + "WHERE e.cancelled_at IS NULL AND "
                       "e.reminded_at IS NULL AND e.starts_at - e.remind_min * 60 <= ? AND "
                       "e.ends_at > ?", [now, now])
        for t in tasks:
            db.conn.execute("UPDATE crm_tasks SET reminded_at = ? WHERE id = ?", [now, t["id"]])
        for e in events:
            db.conn.execute("UPDATE crm_events SET reminded_at = ? WHERE id = ?", [now, e["id"]])
    result = {"tasks": len(tasks), "events": len(events), "emailed": 0, "failed": 0}
    settings = alerts.notify_settings(db)
    if send_email is None or not settings.get("smtp_host"):
        return result
    password = alerts.smtp_password(db)
    mails = []
    for t in tasks:
        person = calendar_profile(db, t["assignee_id"]) if t["assignee_id"] else None
        if person and person["email"]:
            mails.append((person, _task_mail(t, person["lang"])))
    for e in events:
        person = calendar_profile(db, e["user_id"])
        if person and person["email"]:
            mails.append((person, _event_mail(e, person["lang"])))
    for person, (subject, body) in mails:
        try:
            send_email(settings, password, [person["email"]], subject, body)
        except Exception as exc:  # noqa: BLE001 - any server failure: log, go on
            result["failed"] += 1
            log.warning("reminder to %s not e-mailed: %s", person["email"], exc)
        else:
            result["emailed"] += 1
    return result


def _task_mail(task: dict, lang: str) -> tuple[str, str]:
    text = _MAIL_TEXT.get(lang, _MAIL_TEXT["en"])
    lines = []
    if task["due_at"]:
        lines.append(text["due"].format(when=fmt_local(task["due_at"])))
    if task["contact_name"]:
        lines.append(text["contact"].format(name=task["contact_name"]))
    if task["details"]:
        lines += ["", task["details"]]
    return text["task"].format(title=task["title"]), "\n".join(lines) + "\n"


def _event_mail(event: dict, lang: str) -> tuple[str, str]:
    text = _MAIL_TEXT.get(lang, _MAIL_TEXT["en"])
    lines = [text["starts"].format(when=fmt_local(event["starts_at"]),
                                   end=fmt_local(event["ends_at"], "%H:%M"))]
    if event["contact_name"]:
        lines.append(text["contact"].format(name=event["contact_name"]))
    if event["location"]:
        lines.append(text["where"].format(where=event["location"]))
    if event["details"]:
        lines += ["", event["details"]]
    subject = text["event"].format(time=fmt_local(event["starts_at"], "%H:%M"),
                                   title=event["title"])
    return subject, "\n".join(lines) + "\n"


# -- iCalendar feeds -------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ical_token_create(db: sqlite_utils.Database, user_id: int,
                      now: float | None = None) -> str:
    """A new feed token for the user (shown once); the old one stops working."""
    token = secrets.token_urlsafe(24)
    with transaction(db):
        db.conn.execute("DELETE FROM user_tokens WHERE user_id = ? AND kind = 'ical'", [user_id])
        db.conn.execute("INSERT INTO user_tokens (user_id, kind, label, token_hash, created_at) "
                        "VALUES (?, 'ical', 'calendar feed', ?, ?)",
                        [user_id, _token_hash(token), time.time() if now is None else now])
    return token


def ical_token_revoke(db: sqlite_utils.Database, user_id: int) -> None:
    with transaction(db):
        db.conn.execute("DELETE FROM user_tokens WHERE user_id = ? AND kind = 'ical'", [user_id])


def ical_token_info(db: sqlite_utils.Database, user_id: int) -> dict | None:
    rows = _rows(db, "SELECT created_at, last_used_at FROM user_tokens "
                     "WHERE user_id = ? AND kind = 'ical'", [user_id])
    return rows[0] if rows else None


def ical_user_for_token(db: sqlite_utils.Database, token: str,
                        now: float | None = None) -> int | None:
    """The user whose feed token this is (its use noted), or None."""
    if not token or len(token) > 200:
        return None
    row = db.execute("SELECT id, user_id FROM user_tokens WHERE kind = 'ical' AND "
                     "token_hash = ?", [_token_hash(token)]).fetchone()
    if row is None:
        return None
    with transaction(db):
        db.conn.execute("UPDATE user_tokens SET last_used_at = ? WHERE id = ?",
                        [time.time() if now is None else now, row[0]])
    return int(row[1])


def ical_escape(text: str) -> str:
    """TEXT value escaping of RFC 5545 3.3.11: backslash, semicolon, comma, newlines."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def ical_fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ical_feed(db: sqlite_utils.Database, user_id: int, now: float) -> str:
    """The user's calendar as text/calendar: meetings from FEED_PAST_DAYS back on (cancelled
    ones with STATUS:CANCELLED, a VALARM when remind_min > 0) and open tasks with a due date
    (VTODO)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//JNS//JNS Call Center CRM//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    profile = calendar_profile(db, user_id)
    if profile:
        lines.append("X-WR-CALNAME:" + ical_escape(f"JNS: {profile['username']}"))
    events = _rows(db, _EVENT_SELECT + "WHERE e.user_id = ? AND e.ends_at > ? "
                   "ORDER BY e.starts_at", [user_id, now - FEED_PAST_DAYS * 86400])
    for e in events:
        description = e["details"]
        if e["contact_name"]:
            description = f"{e['contact_name']}\n{description}".strip()
        lines += ["BEGIN:VEVENT", f"UID:{ical_escape(e['uid'])}", f"DTSTAMP:{_utc(now)}",
                  f"LAST-MODIFIED:{_utc(e['updated_at'])}", f"CREATED:{_utc(e['created_at'])}",
                  f"DTSTART:{_utc(e['starts_at'])}", f"DTEND:{_utc(e['ends_at'])}",
                  f"SUMMARY:{ical_escape(e['title'])}"]
        if description:
            lines.append(f"DESCRIPTION:{ical_escape(description)}")
        if e["location"]:
            lines.append(f"LOCATION:{ical_escape(e['location'])}")
        lines.append("STATUS:CANCELLED" if e["cancelled_at"] else "STATUS:CONFIRMED")
        if e["remind_min"] and not e["cancelled_at"]:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY",
                      f"DESCRIPTION:{ical_escape(e['title'])}",
                      f"TRIGGER:-PT{int(e['remind_min'])}M", "END:VALARM"]
        lines.append("END:VEVENT")
    for t in list_tasks(db, {"id": user_id, "username": profile["username"] if profile else "",
                             "role": "agent"}, now=now):
        if t["due_at"] is None:
            continue
        lines += ["BEGIN:VTODO", f"UID:task-{t['id']}@jns",
                  f"DTSTAMP:{_utc(now)}", f"CREATED:{_utc(t['created_at'])}",
                  f"DUE:{_utc(t['due_at'])}", f"SUMMARY:{ical_escape(t['title'])}",
                  "STATUS:NEEDS-ACTION"]
        description = t["details"]
        if t["contact_name"]:
            description = f"{t['contact_name']}\n{description}".strip()
        if description:
            lines.append(f"DESCRIPTION:{ical_escape(description)}")
        lines.append("END:VTODO")
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
