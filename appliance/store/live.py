"""The live call center in the database: pause reasons, desk login history, action audit.

Used by jns-calld (it records logins and logouts as Asterisk reports them), by the call
actions (appliance.telephony.actions: every supervision and operator action is audited,
refused ones too) and by the panel (pause reasons page, audit list).  Asterisk owns who is
logged in right now; this module only keeps history and configuration and never talks to
Asterisk.  Each write is one transaction and bad input is refused with a StoreError saying
what to do.
"""
from __future__ import annotations

import re
import time

import sqlite_utils

from .db import StoreError, transaction

PAUSE_CODE = re.compile(r"[a-z0-9_-]{1,20}")
TITLE_MAX = 40


# -- pause reasons ----------------------------------------------------------------------

def pause_reasons(db: sqlite_utils.Database, active_only: bool = True) -> list[dict]:
    """Pause reasons in the order the agent sees them: {code, title, position, active}."""
    where = "WHERE active = 1 " if active_only else ""
    return [dict(r, active=bool(r["active"])) for r in db.query(
        f"SELECT code, title, position, active FROM pause_reasons {where}"
        "ORDER BY position, title COLLATE NOCASE")]


def save_pause_reason(db: sqlite_utils.Database, code: str, title: str, *, position: int = 0,
                      active: bool = True) -> None:
    """Create or change a pause reason.  The code goes to Asterisk's queue_log and reports,
    so it is short and plain; the title is what the agent picks from."""
    code = (code or "").strip()
    title = (title or "").strip()
    if not PAUSE_CODE.fullmatch(code):
        raise StoreError(f"pause reason code {code!r}: 1-20 lowercase letters, digits, - and _")
    if not 1 <= len(title) <= TITLE_MAX:
        raise StoreError(f"pause reason {code!r}: the title must have 1-{TITLE_MAX} characters")
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise StoreError(f"pause reason {code!r}: the position must be a whole number") from None
    with transaction(db):
        db.conn.execute(
            "INSERT INTO pause_reasons (code, title, position, active) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(code) DO UPDATE SET title = excluded.title, "
            "position = excluded.position, active = excluded.active",
            [code, title, position, 1 if active else 0])


def delete_pause_reason(db: sqlite_utils.Database, code: str) -> None:
    """Delete a pause reason.  Past pauses keep their code in queue_log and reports."""
    with transaction(db):
        cur = db.conn.execute("DELETE FROM pause_reasons WHERE code = ?", [code])
        if cur.rowcount != 1:
            raise StoreError(f"no pause reason with code {code!r}; reload the list")


# -- desk logins -----------------------------------------------------------------------

def session_started(db: sqlite_utils.Database, agent: str, queue: str, at: float) -> None:
    """The agent logged in to the queue at `at` (epoch).  An open session for the same
    agent and queue (a repeated event, a resync) is kept, not doubled."""
    with transaction(db):
        if db.execute("SELECT 1 FROM agent_sessions WHERE agent = ? AND queue = ? "
                      "AND logout_at IS NULL", [agent, queue]).fetchone():
            return
        db.conn.execute("INSERT INTO agent_sessions (agent, queue, login_at) VALUES (?, ?, ?)",
                        [agent, queue, at])


def session_ended(db: sqlite_utils.Database, agent: str, queue: str, at: float) -> None:
    """The agent left the queue at `at`: closes the open session (if there is none, e.g.
    the login happened while jns-calld was down, a zero-length one is recorded)."""
    with transaction(db):
        cur = db.conn.execute("UPDATE agent_sessions SET logout_at = ? WHERE agent = ? "
                              "AND queue = ? AND logout_at IS NULL", [at, agent, queue])
        if cur.rowcount == 0:
            db.conn.execute("INSERT INTO agent_sessions (agent, queue, login_at, logout_at) "
                            "VALUES (?, ?, ?, ?)", [agent, queue, at, at])


def last_sessions(db: sqlite_utils.Database) -> dict[str, dict]:
    """{extension: {"last_login": epoch|None, "last_logout": epoch|None}} for every agent
    that ever logged in at the desk."""
    return {r["agent"]: {"last_login": r["last_login"], "last_logout": r["last_logout"]}
            for r in db.query("SELECT agent, max(login_at) AS last_login, "
                              "max(logout_at) AS last_logout FROM agent_sessions GROUP BY agent")}


# -- audit of supervision and operator actions -----------------------------------------

def audit(db: sqlite_utils.Database, username: str, action: str, *, call: str = "",
          channel: str = "", target: str = "", result: str = "ok") -> None:
    """Record one action (result "ok" or why it was refused)."""
    with transaction(db):
        db.conn.execute(
            "INSERT INTO live_audit (at, username, action, call, channel, target, result) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [time.time(), username or "", action, call or "", channel or "", target or "",
             result or "ok"])


def audit_log(db: sqlite_utils.Database, limit: int = 200) -> list[dict]:
    """The newest actions first."""
    return list(db.query("SELECT at, username, action, call, channel, target, result "
                         "FROM live_audit ORDER BY at DESC, id DESC LIMIT ?", [int(limit)]))


# -- who is where ----------------------------------------------------------------------

def phone_of(db: sqlite_utils.Database, username: str) -> str | None:
    """The extension linked to a panel user (their own phone), or None."""
    row = db.execute("SELECT a.extension FROM users u JOIN agents a ON a.id = u.agent_id "
                     "WHERE u.username = ?", [username]).fetchone()
    return row[0] if row else None


def assigned_queues(db: sqlite_utils.Database, extension: str) -> list[str]:
    """Names of the queues the admin assigned the agent to."""
    return [r[0] for r in db.execute(
        "SELECT q.name FROM queue_members m JOIN queues q ON q.id = m.queue_id "
        "JOIN agents a ON a.id = m.agent_id WHERE a.extension = ? ORDER BY q.name", [extension])]


def agent_user(db: sqlite_utils.Database) -> dict[str, str]:
    """{extension: panel username} for every extension linked to a user."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT a.extension, u.username FROM users u JOIN agents a ON a.id = u.agent_id")}
