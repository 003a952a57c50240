"""Panel users: hashed passwords, roles, login throttling, the admin's user management.

Shared by the web panel (login, first-start setup, the users page) and the serial console
(reset the admin password).  There is no default user and no default password:
`needs_setup()` stays true until someone sets the first admin's password on the box.

Every change is one transaction and refuses bad input with a StoreError saying what to do;
the box always keeps at least one admin.  A user of any role may be linked to one
extension (users.agent_id), one user per extension: for an agent user it is their desk
(the panel shows that agent's recordings to them), for a supervisor or an admin their own
phone (listen, whisper and barge in ring it; the operator picks calls up on it).  No
function here returns a password hash except `authenticate`'s own check, and none logs one.
"""
from __future__ import annotations

import hashlib
import time

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from . import security
from .db import StoreError, now, transaction

ROLES = ("admin", "supervisor", "agent")
MIN_PASSWORD = 10
# Throttling: after FREE_FAILURES failed logins for one user name (from anywhere) or one
# address within WINDOW_S, each further try must wait 2**(n-FREE_FAILURES) s, capped.
FREE_FAILURES = 5
WINDOW_S = 15 * 60
MAX_DELAY_S = 15 * 60


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StoreError(f"password too short: at least {MIN_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        raise StoreError("password must not start or end with spaces")


def needs_setup(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0] == 0


def create_user(db: sqlite_utils.Database, username: str, password: str, role: str,
                lang: str = "pl", agent: str | None = None) -> int:
    """A new user; `agent` (an extension) links the user to that extension: an agent's
    desk, a supervisor's or admin's own phone."""
    _check_role(role)
    _check_lang(lang)
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise StoreError("user name: 1-64 letters, digits, '.', '_' or '-'")
    check_password_rules(password)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise StoreError(f"user {username!r} already exists")
        cur = db.conn.execute(
            "INSERT INTO users(username, password_hash, role, lang, created_at) VALUES (?, ?, ?, ?, ?)",
            [username, generate_password_hash(password), role, lang, now()])
        _link_agent(db, cur.lastrowid, role, agent)
        return cur.lastrowid


def set_password(db: sqlite_utils.Database, username: str, password: str) -> None:
    check_password_rules(password)
    with transaction(db):
        cur = db.conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                              [generate_password_hash(password), username])
        if cur.rowcount != 1:
            raise StoreError(f"no user named {username!r}")
        db.conn.execute("DELETE FROM login_failures WHERE username = ?", [username])


def set_lang(db: sqlite_utils.Database, user_id: int, lang: str) -> None:
    _check_lang(lang)
    with transaction(db):
        db.conn.execute("UPDATE users SET lang = ? WHERE id = ?", [lang, user_id])


def get_user(db: sqlite_utils.Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT id, username, role, lang FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def session_stamp(db: sqlite_utils.Database, user_id: int) -> str | None:
    """A short digest of the user's password hash (None: no such user).  The panel keeps it
    in the session, so a new password ends the user's other sessions.  It reveals nothing
    about the password: the hash it digests is salted and never leaves the box."""
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return hashlib.sha256(row[0].encode()).hexdigest()[:16] if row else None


def find_user(db: sqlite_utils.Database, username: str) -> dict | None:
    """The user with this name (compared as the login compares it), or None."""
    rows = list(db.query("SELECT id, username, role, lang FROM users WHERE username = ?",
                         [username.strip()]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Every user by name with role, language and the linked agent (extension and name,
    None when not linked); never a password hash."""
    return list(db.query(
        "SELECT u.id, u.username, u.role, u.lang, u.agent_id, a.extension AS agent, "
        "a.name AS agent_name FROM users u LEFT JOIN agents a ON a.id = u.agent_id "
        "ORDER BY u.username COLLATE NOCASE"))


def update_user(db: sqlite_utils.Database, user_id: int, *, role: str, lang: str,
                agent: str | None = None) -> None:
    """Change a user's role, language and linked extension (or None: no link).

    Refused when it would leave the box without an admin.
    """
    _check_role(role)
    _check_lang(lang)
    with transaction(db):
        old = _user_role(db, user_id)
        if old == "admin" and role != "admin" and _admins(db) == 1:
            raise StoreError(LAST_ADMIN)
        db.conn.execute("UPDATE users SET role = ?, lang = ? WHERE id = ?", [role, lang, user_id])
        _link_agent(db, user_id, role, agent)


def reset_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    """Set a user's new password (same rules as at first start) and forget their failed
    logins, so a locked-out user can log in at once."""
    check_password_rules(password)
    with transaction(db):
        row = db.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise StoreError(NO_USER)
        username = row[0]
        db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                        [generate_password_hash(password), user_id])
        db.conn.execute("DELETE FROM login_failures WHERE username = ?", [username])


def delete_user(db: sqlite_utils.Database, user_id: int, acting_user_id: int) -> None:
    """Delete a user; refused for the acting user themselves and for the last admin."""
    with transaction(db):
        role = _user_role(db, user_id)
        if user_id == acting_user_id:
            raise StoreError(SELF_DELETE)
        if role == "admin" and _admins(db) == 1:
            raise StoreError(LAST_ADMIN)
        db.conn.execute("DELETE FROM users WHERE id = ?", [user_id])


LAST_ADMIN = ("the box must keep at least one administrator: make another user an "
              "administrator first")
SELF_DELETE = "you cannot delete the user you are logged in as; ask another administrator"
NO_USER = "this user no longer exists; reload the list of users"
NO_AGENT = "no agent has that extension; choose one from the list"
AGENT_TAKEN = "that agent extension is already linked to another user; unlink it there first"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")


def _check_lang(lang: str) -> None:
    if lang not in ("pl", "en"):
        raise StoreError(f"unknown language {lang!r}; choose pl or en")


def _user_role(db: sqlite_utils.Database, user_id: int) -> str:
    row = db.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise StoreError(NO_USER)
    return row[0]


def _admins(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]


def _link_agent(db: sqlite_utils.Database, user_id: int, role: str, agent: str | None) -> None:
    """Link a user of any role to the extension `agent` (None or "": no link); inside the
    caller's transaction.  One user per extension."""
    agent_id = None
    if agent:
        row = db.execute("SELECT id FROM agents WHERE extension = ?", [agent]).fetchone()
        if row is None:
            raise StoreError(NO_AGENT)
        agent_id = row[0]
        if db.execute("SELECT 1 FROM users WHERE agent_id = ? AND id != ?",
                      [agent_id, user_id]).fetchone():
            raise StoreError(AGENT_TAKEN)
    db.conn.execute("UPDATE users SET agent_id = ? WHERE id = ?", [agent_id, user_id])


def login_delay(db: sqlite_utils.Database, username: str, remote_addr: str,
                at: float | None = None) -> float:
    """Seconds the caller must still wait before another login try is even checked
    (also while the watchdog has blocked the address: store.security)."""
    at = time.time() if at is None else at
    since = at - WINDOW_S
    worst = 0.0
    blocked = security.blocked_until(db, remote_addr, at)  # the watchdog blocked this source
    if blocked is not None:
        worst = blocked - at
    for column, value in (("username", username), ("remote_addr", remote_addr)):
        count, last = db.execute(
            f"SELECT count(*), max(at) FROM login_failures WHERE {column} = ? AND at > ?",
            [value, since]).fetchone()
        if count >= FREE_FAILURES:
            wait = min(MAX_DELAY_S, 2 ** (count - FREE_FAILURES + 1))
            worst = max(worst, last + wait - at)
    return max(0.0, worst)


def authenticate(db: sqlite_utils.Database, username: str, password: str,
                 remote_addr: str) -> dict | None:
    """The user row when the password matches; None otherwise (the failure is recorded).

    The caller must check `login_delay()` first and refuse without calling this while
    it is positive, so a throttled attacker learns nothing about the password.
    """
    rows = list(db.query("SELECT id, username, role, lang, password_hash FROM users WHERE username = ?",
                         [username]))
    # Hash even for unknown users so response time does not reveal which names exist.
    ok = check_password_hash(rows[0]["password_hash"] if rows else _DUMMY_HASH, password)
    with transaction(db):
        if ok and rows:
            db.conn.execute("DELETE FROM login_failures WHERE username = ?", [username])
        else:
            db.conn.execute("INSERT INTO login_failures(username, remote_addr, at) VALUES (?, ?, ?)",
                            [username, remote_addr, time.time()])
            db.conn.execute("DELETE FROM login_failures WHERE at < ?", [time.time() - 2 * WINDOW_S])
    if ok and rows:
        user = rows[0]
        del user["password_hash"]
        return user
    return None


_DUMMY_HASH = generate_password_hash("not-a-real-password-only-for-timing")
