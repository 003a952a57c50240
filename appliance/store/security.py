"""Failed logins and blocked sources in the database (WD-1, security part).

The watchdog's AuthGuard (appliance.watchdog.security) writes failed SIP/AMI
authentications here and blocks a source that fails too often; the panel's failed logins
are already in `login_failures` (appliance.store.users).  A block is one row of
`blocked_sources`: the renderer turns the rows into a PJSIP ACL (Asterisk refuses the
address), the panel refuses logins from it, and the row is deleted when it expires or an
admin unblocks it.

Never blocked, whatever anyone asks: 127.0.0.1 and ::1 (the box itself) and the networks on
the admin's allow-list, so nobody can lock the box out of itself or its admin out of it.
This module never talks to Asterisk and never sends anything.
"""
from __future__ import annotations

import ipaddress
import time
from typing import Any, Iterable

import sqlite_utils

from .db import StoreError, get_setting, transaction

ALWAYS_ALLOWED = ("127.0.0.1", "::1")
DEFAULTS = {"threshold": 10, "window_s": 60, "block_s": 3600}
LIMITS = {"threshold": (3, 10000), "window_s": (10, 86400), "block_s": (60, 30 * 86400)}
LABELS = {"threshold": "failed attempts before blocking", "window_s": "counting window (s)",
          "block_s": "block time (s)"}
KEEP_FAILURES_S = 7 * 86400


# -- addresses ----------------------------------------------------------------------------

def normalise_address(text: str) -> str:
    """One IP address in its canonical form; StoreError for anything else."""
    value = str(text or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise StoreError(f"{value!r} is not an IP address (like 203.0.113.5 or 2001:db8::5)") from None


def normalise_network(text: str) -> str:
    """An address or a network (203.0.113.0/24) in canonical form; StoreError otherwise."""
    value = str(text or "").strip()
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise StoreError(f"{value!r} is not an IP address or network "
                         "(like 192.168.1.10 or 192.168.1.0/24)") from None


def is_allowed(address: str, allow_list: Iterable[str]) -> bool:
    """True when `address` must never be blocked (the box itself or the allow-list)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if str(ip) in ALWAYS_ALLOWED:
        return True
    for net in allow_list:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


# -- settings ------------------------------------------------------------------------------

def security_settings(db: sqlite_utils.Database) -> dict[str, Any]:
    """threshold (failures), window_s, block_s and the allow-list (networks)."""
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = get_setting(db, f"security.{key}")
        out[key] = int(raw) if raw is not None else default
    raw = get_setting(db, "security.allow_list") or ""
    out["allow_list"] = [x for x in raw.split(",") if x]
    return out


def save_security_settings(db: sqlite_utils.Database, **fields: Any) -> None:
    """Change some of threshold, window_s, block_s, allow_list (a list or text with one
    address/network per line or comma); all or nothing."""
    unknown = set(fields) - set(DEFAULTS) - {"allow_list"}
    if unknown:
        raise StoreError(f"security settings: unknown fields {', '.join(sorted(unknown))}")
    values: dict[str, str] = {}
    for key, value in fields.items():
        if key == "allow_list":
            items = value.replace(",", "\n").split() if isinstance(value, str) else list(value or [])
            nets = []
            for item in items:
                net = normalise_network(item)
                if net not in nets:
                    nets.append(net)
            values[key] = ",".join(nets)
            continue
        low, high = LIMITS[key]
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise StoreError(f"{LABELS[key]}: enter a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise StoreError(f"{LABELS[key]}: from {low} to {high}, not {number}")
        values[key] = str(number)
    with transaction(db):
        for key, value in values.items():
            db.conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                            "DO UPDATE SET value = excluded.value", [f"security.{key}", value])


# -- blocks -----------------------------------------------------------------------------------

def block_source(db: sqlite_utils.Database, address: str, until: float, reason: str,
                 by: str = "watchdog") -> None:
    """Refuse `address` until the epoch time `until` (a later block replaces an earlier
    one).  Refused for the box itself and the allow-list."""
    address = normalise_address(address)
    with transaction(db):
        if is_allowed(address, security_settings(db)["allow_list"]):
            raise StoreError(f"{address} is never blocked: it is the box itself or on the "
                             "allow-list")
        db.conn.execute(
            "INSERT INTO blocked_sources(address, until, reason, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET until = excluded.until, "
            "reason = excluded.reason, created_at = excluded.created_at, "
            "created_by = excluded.created_by",
            [address, float(until), reason, time.time(), by])


def unblock_source(db: sqlite_utils.Database, address: str) -> bool:
    """Lift a block at once; False when the address was not blocked."""
    address = normalise_address(address)
    with transaction(db):
        return db.conn.execute("DELETE FROM blocked_sources WHERE address = ?",
                               [address]).rowcount > 0


def list_blocks(db: sqlite_utils.Database, at: float | None = None) -> list[dict]:
    """Blocks still in force at `at` (now), the one ending last first."""
    at = time.time() if at is None else at
    return _rows(db, "SELECT address, until, reason, created_at, created_by FROM blocked_sources "
                     "WHERE until > ? ORDER BY until DESC, address", [at])


def expire_blocks(db: sqlite_utils.Database, at: float | None = None) -> list[str]:
    """Delete the blocks that have run out; returns their addresses."""
    at = time.time() if at is None else at
    with transaction(db):
        gone = [r[0] for r in db.execute(
            "SELECT address FROM blocked_sources WHERE until <= ? ORDER BY address", [at])]
        if gone:
            db.conn.execute("DELETE FROM blocked_sources WHERE until <= ?", [at])
    return gone


def blocked_until(db: sqlite_utils.Database, address: str, at: float | None = None) -> float | None:
    """When the block on `address` ends, or None when it is not blocked now."""
    at = time.time() if at is None else at
    try:
        address = normalise_address(address)
    except StoreError:
        return None
    row = db.execute("SELECT until FROM blocked_sources WHERE address = ? AND until > ?",
                     [address, at]).fetchone()
    return row[0] if row else None


def blocked_addresses(db: sqlite_utils.Database) -> list[str]:
    """Every blocked address for the renderer (rows are deleted when they expire)."""
    return [r[0] for r in db.execute("SELECT address FROM blocked_sources ORDER BY address")]


# -- failures ----------------------------------------------------------------------------------

def record_failures(db: sqlite_utils.Database,
                    rows: Iterable[tuple[str, str, float, str]]) -> None:
    """Store failed authentications (service, address, at, detail) in one transaction and
    forget those older than a week."""
    rows = list(rows)
    with transaction(db):
        if rows:
            db.conn.executemany(
                "INSERT INTO auth_failures(service, address, at, detail) VALUES (?, ?, ?, ?)", rows)
        db.conn.execute("DELETE FROM auth_failures WHERE at < ?", [time.time() - KEEP_FAILURES_S])


def failures_since(db: sqlite_utils.Database, since: float) -> list[dict]:
    """Every failure after `since`, SIP/AMI and panel, oldest first: service, address, at."""
    return _rows(db, "SELECT service, address, at, detail FROM auth_failures WHERE at > ? "
                     "UNION ALL SELECT 'panel', remote_addr, at, username FROM login_failures "
                     "WHERE at > ? ORDER BY at", [since, since])


def failures_by_source(db: sqlite_utils.Database, since: float) -> list[dict]:
    """Failed authentications per source address since `since`, most first: address,
    services (e.g. "panel, sip"), count, last (epoch), blocked_until (None if not)."""
    out: dict[str, dict] = {}
    for row in failures_since(db, since):
        entry = out.setdefault(row["address"], {"address": row["address"], "services": set(),
                                                "count": 0, "last": 0.0})
        entry["services"].add(row["service"])
        entry["count"] += 1
        entry["last"] = max(entry["last"], row["at"])
    blocks = {b["address"]: b["until"] for b in list_blocks(db)}
    result = []
    for entry in out.values():
        entry["services"] = ", ".join(sorted(entry["services"]))
        entry["blocked_until"] = blocks.get(entry["address"])
        result.append(entry)
    result.sort(key=lambda e: (-e["count"], -e["last"]))
    return result


def _rows(db: sqlite_utils.Database, sql: str, args: list | None = None) -> list[dict]:
    cur = db.execute(sql, args or [])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]
