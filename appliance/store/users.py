"""Panel users: hashed passwords, roles, login throttling.

Shared by the web panel (login, first-start setup) and the serial console (reset the admin
password).  There is no default user and no default password: `needs_setup()` stays true
until someone sets the first admin's password on the box.
"""
from __future__ import annotations

import time

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

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
                lang: str = "pl") -> int:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
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
    if lang not in ("pl", "en"):
        raise StoreError(f"unknown language {lang!r}; choose pl or en")
    with transaction(db):
        db.conn.execute("UPDATE users SET lang = ? WHERE id = ?", [lang, user_id])


def get_user(db: sqlite_utils.Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT id, username, role, lang FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def login_delay(db: sqlite_utils.Database, username: str, remote_addr: str,
                at: float | None = None) -> float:
    """Seconds the caller must still wait before another login try is even checked."""
    at = time.time() if at is None else at
    since = at - WINDOW_S
    worst = 0.0
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
