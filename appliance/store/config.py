"""Call-center configuration in the database: agents, queues, IVR menus, routes, trunks.

The web panel, the console and the demo seed change configuration only through these
functions; the renderer reads it only through `snapshot()`.  Each function that writes
is one transaction, so a half-done save never reaches Asterisk.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from typing import Any, Iterable

import sqlite_utils

from . import hardware, security
from .db import StoreError, transaction

# Where a call can be sent: action -> what its target names.  One list for IVR keys,
# timeouts, fallbacks, routes, caller rules, closed hours and queue overflow, so every
# "what then?" in the panel offers the same choices and is checked the same way.
DESTINATIONS: dict[str, str] = {
    "menu": "IVR menu",
    "queue": "queue",
    "extension": "agent extension",
    "external": "external number (through the first trunk)",
    "voicemail": "mailbox (agent extension)",
    "announcement": "prompt played, then the call ends",
    "hangup": "",
    "operator": "",            # the operator destination set in settings
    "conference": "conference room (its number)",   # CONF-1: telephony.conferences
    # BEY-2: "press 1 to be called back" (closing time): telephony.callbacks
    "callback": "queue (the caller presses 1 to be called back from it when it opens)",
    # only inside a menu: they change the call and stay in the IVR
    "language": "language (pl or en); the same menu is played again in it",
    "pin": "IVR menu for callers who typed their PIN",
}
MENU_ONLY = ("language", "pin")
IVR_ACTIONS = tuple(DESTINATIONS)
ROUTE_ACTIONS = tuple(a for a in DESTINATIONS if a not in MENU_ONLY)
LANGS = ("pl", "en")
REC_MODES = ("all", "inbound", "outbound", "list", "none")

def _insert(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """INSERT one row and return its id.

    Plain SQL on purpose: some sqlite-utils versions (Debian's among them) commit inside
    `Table.insert`, which would end our transaction half-way.  Constraint failures become
    a StoreError that names what was rejected.
    """
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    try:
        cur = db.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"{table}: rejected {row!r}: {exc}") from exc
    return cur.lastrowid


def add_agent(db: sqlite_utils.Database, extension: str, name: str, *, contact: str | None = None,
              dtmf_mode: str = "rfc4733", login: bool = True) -> int:
    """Create an agent with its SIP endpoint; the SIP secret is generated on this box.

    `login`: the agent logs in to its queues at the desk (True) or is always in them and
    cannot log out (False: a static queue member).
    """
    with transaction(db):
        return _insert(db, "agents", {
            "extension": extension, "name": name, "secret": secrets.token_urlsafe(18),
            "contact": contact, "dtmf_mode": dtmf_mode, "login": 1 if login else 0})


def set_agent_contact(db: sqlite_utils.Database, extension: str, contact: str | None) -> None:
    """A fixed SIP URI for a phone that does not register (None: registration only)."""
    if contact is not None and not contact.startswith(("sip:", "sips:")):
        raise StoreError(f"contact must be a SIP URI like sip:101@192.0.2.10:5060, not {contact!r}")
    with transaction(db):
        cur = db.conn.execute("UPDATE agents SET contact = ? WHERE extension = ?", [contact, extension])
        if cur.rowcount != 1:
            raise StoreError(f"no agent with extension {extension!r}")


AGENT_PHONES = ("sip", "webrtc")   # a desk/soft phone over SIP, or the panel's browser softphone


def set_agent_phone(db: sqlite_utils.Database, extension: str, phone: str) -> None:
    """'sip': the agent's own SIP phone; 'webrtc': the softphone on the agent desk (the
    browser registers over a WebSocket).  Takes effect when Asterisk's files are applied."""
    if phone not in AGENT_PHONES:
        raise StoreError(f"phone kind {phone!r}: choose one of {', '.join(AGENT_PHONES)}")
    with transaction(db):
        cur = db.conn.execute("UPDATE agents SET phone = ? WHERE extension = ?", [phone, extension])
        if cur.rowcount != 1:
            raise StoreError(f"no agent with extension {extension!r}")


def set_agent_login(db: sqlite_utils.Database, extension: str, login: bool) -> None:
    """True: the agent logs in to its queues at the desk; False: always in them (a static
    queue member that cannot log out).  Takes effect when Asterisk's files are applied."""
    with transaction(db):
        cur = db.conn.execute("UPDATE agents SET login = ? WHERE extension = ?",
                              [1 if login else 0, extension])
        if cur.rowcount != 1:
            raise StoreError(f"no agent with extension {extension!r}")


QUEUE_STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear",
                    "wrandom")
QUEUE_RANGES = {"member_timeout": (5, 120, "ring time per agent (s)"),
                "max_wait": (10, 7200, "longest wait (s)"),
                "wrapup_time": (0, 600, "wrap-up time (s)"),
                "max_callers": (0, 1000, "most callers waiting"),
                "announce_frequency": (0, 600, "announcement every (s)")}
QUEUE_OPTIONS = ("strategy", "musiconhold", "member_timeout", "max_wait", "wrapup_time",
                 "weight", "record", "max_callers", "announce_position", "announce_holdtime",
                 "announce_frequency")


def add_queue(db: sqlite_utils.Database, name: str, title: str, *, members: Iterable[str] = (),
              **options: Any) -> int:
    """Create a queue; `members` are agent extensions, `options` columns of `queues`."""
    return save_queue(db, name, title, members=members, **options)


def save_queue(db: sqlite_utils.Database, name: str, title: str, *,
               members: Iterable[str] | dict[str, int] = (),
               overflow: tuple[str, str] | None = None, **options: Any) -> int:
    """Create or change a queue.  `members`: agent extensions, or {extension: penalty}
    (lower penalty is offered calls first).  `overflow`: where callers go when the wait is
    over, the queue is full, or no agent can take calls; without it they go to goodbye."""
    if not re.fullmatch(r"[a-z0-9_-]+", name or ""):
        raise StoreError(f"queue name {name!r}: use lowercase letters, digits, - and _")
    unknown = set(options) - set(QUEUE_OPTIONS)
    if unknown:
        raise StoreError(f"queue {name!r}: unknown options {', '.join(sorted(unknown))}")
    for option, (low, high, what) in QUEUE_RANGES.items():
        if option in options:
            _in_range(f"queue {name!r}: {what}", options[option], low, high)
    if "strategy" in options and options["strategy"] not in QUEUE_STRATEGIES:
        raise StoreError(f"queue {name!r}: strategy is one of {', '.join(QUEUE_STRATEGIES)}")
    values = {"title": title or name, **options,
              "overflow_action": overflow[0] if overflow else None,
              "overflow_target": overflow[1] if overflow else ""}
    with transaction(db):
        row = db.execute("SELECT id FROM queues WHERE name = ?", [name]).fetchone()
        if row:
            try:
                db.conn.execute("UPDATE queues SET " + ", ".join(f"{k} = ?" for k in values)
                                + " WHERE id = ?", [*values.values(), row[0]])
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"queue {name!r}: {exc}") from exc
            queue_id = row[0]
        else:
            queue_id = _insert(db, "queues", {"name": name, **values})
        if overflow:
            check_destination(db, overflow[0], overflow[1], where=f"queue {name!r}, overflow")
        set_queue_members(db, name, members)
    return queue_id


def delete_queue(db: sqlite_utils.Database, name: str) -> None:
    with transaction(db):
        db.execute("DELETE FROM queues WHERE name = ?", [name])
        _check_all(db, f"queue {name!r} is still used")
        cfg = settings(db)
        if cfg["operator_action"] == "queue" and cfg["operator_target"] == name:
            raise StoreError(f"queue {name!r} is the operator's destination")


def set_queue_members(db: sqlite_utils.Database, queue: str,
                      extensions: Iterable[str] | dict[str, int]) -> None:
    penalties = dict(extensions) if isinstance(extensions, dict) else dict.fromkeys(extensions, 0)
    with transaction(db):
        row = db.execute("SELECT id FROM queues WHERE name = ?", [queue]).fetchone()
        if not row:
            raise StoreError(f"no queue named {queue!r}")
        db.execute("DELETE FROM queue_members WHERE queue_id = ?", [row[0]])
        for ext, penalty in penalties.items():
            agent = db.execute("SELECT id FROM agents WHERE extension = ?", [ext]).fetchone()
            if not agent:
                raise StoreError(f"queue {queue!r}: no agent with extension {ext!r}")
            if not 0 <= int(penalty) <= 100:
                raise StoreError(f"queue {queue!r}: penalty of {ext} must be 0-100")
            db.execute("INSERT INTO queue_members(queue_id, agent_id, penalty) VALUES (?, ?, ?)",
                       [row[0], agent[0], int(penalty)])


def _in_range(what: str, value: Any, low: int, high: int) -> None:
    try:
        ok = low <= int(value) <= high
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise StoreError(f"{what}: a whole number from {low} to {high}, not {value!r}")


def check_destination(db: sqlite_utils.Database, action: str | None, target: str, *,
                      where: str, menu_only: bool = False) -> None:
    """Refuse a destination that leads nowhere (unknown action, missing queue/menu/...)."""
    if action not in DESTINATIONS or (action in MENU_ONLY and not menu_only):
        allowed = [a for a in DESTINATIONS if menu_only or a not in MENU_ONLY]
        raise StoreError(f"{where}: unknown action {action!r} (one of {', '.join(allowed)})")
    target = target or ""
    exists = {
        "menu": "SELECT 1 FROM ivr_menus WHERE name = ?",
        "pin": "SELECT 1 FROM ivr_menus WHERE name = ?",
        "queue": "SELECT 1 FROM queues WHERE name = ?",
        "extension": "SELECT 1 FROM agents WHERE extension = ?",
        "voicemail": "SELECT 1 FROM agents WHERE extension = ?",
        "announcement": "SELECT 1 FROM prompts WHERE name = ?",
        "conference": "SELECT 1 FROM conf_rooms WHERE number = ?",
        "callback": "SELECT 1 FROM queues WHERE name = ?",
    }
    if action in exists and not db.execute(exists[action], [target]).fetchone():
        raise StoreError(f"{where}: there is no {DESTINATIONS[action].split(' (')[0]} "
                         f"named {target!r}")
    if action == "external" and not re.fullmatch(r"\+?[0-9]{2,20}", target):
        raise StoreError(f"{where}: {target!r} is not a phone number")
    if action == "language" and target not in LANGS:
        raise StoreError(f"{where}: language must be one of {', '.join(LANGS)}")


def save_menu(db: sqlite_utils.Database, name: str, prompt: str,
              options: dict[str, tuple[str, str]], *, fallback: tuple[str, str],
              title: str = "", timeout_s: int = 5, max_tries: int = 3,
              on_timeout: tuple[str, str] | None = None,
              on_invalid: tuple[str, str] | None = None) -> int:
    """Create or replace a menu.  `options` maps a key to (action, target); `fallback` is
    where the caller goes after `max_tries` timeouts or invalid keys, so no caller is
    stranded.  `on_timeout` / `on_invalid`, when set, act at once instead of asking again.
    Menus may name each other (sub-menus), so targets are checked after all are written."""
    if not re.fullmatch(r"[a-z0-9_-]+", name or ""):
        raise StoreError(f"menu name {name!r}: use lowercase letters, digits, - and _")
    if not prompt:
        raise StoreError(f"menu {name!r}: choose a prompt")
    _in_range(f"menu {name!r}: waiting time for a key (s)", timeout_s, 1, 60)
    _in_range(f"menu {name!r}: tries", max_tries, 1, 10)
    for key in options:
        if key not in tuple("0123456789*#"):
            raise StoreError(f"menu {name!r}: {key!r} is not a phone key")
    with transaction(db):
        row = db.execute("SELECT id FROM ivr_menus WHERE name = ?", [name]).fetchone()
        values = {"title": title, "prompt": prompt, "timeout_s": timeout_s,
                  "max_tries": max_tries, "fallback_action": fallback[0],
                  "fallback_target": fallback[1] or "",
                  "timeout_action": on_timeout[0] if on_timeout else None,
                  "timeout_target": on_timeout[1] if on_timeout else "",
                  "invalid_action": on_invalid[0] if on_invalid else None,
                  "invalid_target": on_invalid[1] if on_invalid else ""}
        if row:
            menu_id = row[0]
            try:
                db.conn.execute("UPDATE ivr_menus SET " + ", ".join(f"{k} = ?" for k in values)
                                + " WHERE id = ?", [*values.values(), menu_id])
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"menu {name!r}: {exc}") from exc
            db.execute("DELETE FROM ivr_options WHERE menu_id = ?", [menu_id])
        else:
            menu_id = _insert(db, "ivr_menus", {"name": name, **values})
        for key, (action, target) in options.items():
            _insert(db, "ivr_options",
                    {"menu_id": menu_id, "key": key, "action": action, "target": target or ""})
        check_menus(db)
    return menu_id


def add_ivr_menu(db: sqlite_utils.Database, name: str, prompt: str,
                 options: dict[str, tuple[str, str]], **kwargs: Any) -> int:
    return save_menu(db, name, prompt, options, **kwargs)


def check_menus(db: sqlite_utils.Database) -> None:
    """Every key, timeout and fallback of every menu leads somewhere that exists."""
    for m in db.query("SELECT * FROM ivr_menus"):
        where = f"menu {m['name']!r}"
        check_destination(db, m["fallback_action"], m["fallback_target"],
                          where=f"{where}, fallback")
        for kind in ("timeout", "invalid"):
            if m[f"{kind}_action"]:
                check_destination(db, m[f"{kind}_action"], m[f"{kind}_target"],
                                  where=f"{where}, {kind}", menu_only=True)
        for o in db.query("SELECT * FROM ivr_options WHERE menu_id = ?", [m["id"]]):
            check_destination(db, o["action"], o["target"], where=f"{where}, key {o['key']}",
                              menu_only=True)


def delete_menu(db: sqlite_utils.Database, name: str) -> None:
    with transaction(db):
        db.execute("DELETE FROM ivr_menus WHERE name = ?", [name])
        _check_all(db, f"menu {name!r} is still used")


def _check_all(db: sqlite_utils.Database, why: str) -> None:
    """After a delete: nothing may point at what is gone (the transaction rolls back)."""
    try:
        check_menus(db)
        for r in db.query("SELECT * FROM inbound_routes"):
            check_destination(db, r["action"], r["target"], where=f"route {r['did']}")
            if r["closed_action"]:
                check_destination(db, r["closed_action"], r["closed_target"],
                                  where=f"route {r['did']}, closed")
        for q in db.query("SELECT * FROM queues WHERE overflow_action IS NOT NULL"):
            check_destination(db, q["overflow_action"], q["overflow_target"],
                              where=f"queue {q['name']}, overflow")
        for c in db.query("SELECT * FROM caller_rules WHERE action IS NOT NULL"):
            check_destination(db, c["action"], c["target"], where=f"caller rule {c['pattern']}")
    except StoreError as exc:
        raise StoreError(f"{why}: {exc}") from exc


def save_route(db: sqlite_utils.Database, did: str, action: str, target: str = "", *,
               title: str = "", lang: str | None = None, schedule: str | None = None,
               closed: tuple[str, str] | None = None) -> int:
    """Create or replace the route of one dialled number (DID).  With a `schedule`, calls
    outside its opening hours and on its holidays go to `closed` instead."""
    if not re.fullmatch(r"\+?[0-9]{1,20}", did or ""):
        raise StoreError(f"dialled number {did!r}: digits only (a leading + is allowed)")
    if lang is not None and lang not in LANGS:
        raise StoreError(f"route {did}: language must be one of {', '.join(LANGS)}")
    with transaction(db):
        check_destination(db, action, target, where=f"route {did}")
        schedule_id = None
        if schedule:
            row = db.execute("SELECT id FROM schedules WHERE name = ?", [schedule]).fetchone()
            if not row:
                raise StoreError(f"route {did}: no schedule named {schedule!r}")
            schedule_id = row[0]
            if not closed:
                raise StoreError(f"route {did}: say where calls go when closed")
        if closed:
            check_destination(db, closed[0], closed[1], where=f"route {did}, closed")
        db.execute("DELETE FROM inbound_routes WHERE did = ?", [did])
        return _insert(db, "inbound_routes", {
            "did": did, "title": title, "action": action, "target": target or "", "lang": lang,
            "schedule_id": schedule_id, "closed_action": closed[0] if closed else None,
            "closed_target": closed[1] if closed else ""})


def add_inbound_route(db: sqlite_utils.Database, did: str, action: str, target: str) -> int:
    return save_route(db, did, "menu" if action == "ivr" else action, target)


def delete_route(db: sqlite_utils.Database, did: str) -> None:
    with transaction(db):
        db.execute("DELETE FROM inbound_routes WHERE did = ?", [did])


def add_trunk(db: sqlite_utils.Database, name: str, host: str, *, port: int = 5060,
              username: str | None = None, secret: str | None = None) -> int:
    with transaction(db):
        return _insert(db, "trunks",
                       {"name": name, "host": host, "port": port, "username": username, "secret": secret})


# -- opening hours -----------------------------------------------------------------------

def save_schedule(db: sqlite_utils.Database, name: str, hours: Iterable[tuple[int, str, str]],
                  holidays: Iterable[tuple[str, str]] = (), *, title: str = "") -> int:
    """Opening hours: (weekday 0=Monday, "08:00", "16:00") rows, plus holidays ("2026-12-24"
    once, or "12-25" every year) when the call center is closed all day."""
    if not re.fullmatch(r"[a-z0-9_-]+", name or ""):
        raise StoreError(f"schedule name {name!r}: use lowercase letters, digits, - and _")
    with transaction(db):
        row = db.execute("SELECT id FROM schedules WHERE name = ?", [name]).fetchone()
        if row:
            sid = row[0]
            db.execute("UPDATE schedules SET title = ? WHERE id = ?", [title, sid])
            db.execute("DELETE FROM schedule_hours WHERE schedule_id = ?", [sid])
            db.execute("DELETE FROM schedule_holidays WHERE schedule_id = ?", [sid])
        else:
            sid = _insert(db, "schedules", {"name": name, "title": title})
        for weekday, opens, closes in hours:
            for t in (opens, closes):
                if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", t or ""):
                    raise StoreError(f"schedule {name!r}: {t!r} is not a time like 08:00")
            if not opens < closes:
                raise StoreError(f"schedule {name!r}: {opens}-{closes}: closing must come after opening")
            if not 0 <= int(weekday) <= 6:
                raise StoreError(f"schedule {name!r}: weekday is 0 (Monday) to 6 (Sunday)")
            _insert(db, "schedule_hours", {"schedule_id": sid, "weekday": int(weekday),
                                           "opens": opens, "closes": closes})
        for day, day_title in holidays:
            try:
                datetime.date.fromisoformat(day if len(day) == 10 else f"2000-{day}")
            except ValueError:
                raise StoreError(f"schedule {name!r}: holiday {day!r} is not a date like "
                                 "2026-12-24 (once) or 12-25 (every year)") from None
            _insert(db, "schedule_holidays", {"schedule_id": sid, "day": day, "title": day_title})
    return sid


def delete_schedule(db: sqlite_utils.Database, name: str) -> None:
    with transaction(db):
        used = [r[0] for r in db.execute(
            "SELECT r.did FROM inbound_routes r JOIN schedules s ON s.id = r.schedule_id "
            "WHERE s.name = ?", [name])]
        if used:
            raise StoreError(f"schedule {name!r} is used by the routes of {', '.join(used)}")
        db.execute("DELETE FROM schedules WHERE name = ?", [name])


def is_open(db: sqlite_utils.Database, schedule_id: int, when: datetime.datetime) -> bool:
    """Open at `when` (the box's local time)?  Holidays close the whole day."""
    day = when.strftime("%Y-%m-%d")
    if db.execute("SELECT 1 FROM schedule_holidays WHERE schedule_id = ? AND day IN (?, ?)",
                  [schedule_id, day, day[5:]]).fetchone():
        return False
    hhmm = when.strftime("%H:%M")
    return bool(db.execute(
        "SELECT 1 FROM schedule_hours WHERE schedule_id = ? AND weekday = ? "
        "AND opens <= ? AND ? < closes", [schedule_id, when.weekday(), hhmm, hhmm]).fetchone())


# -- who calls: caller rules and blacklist ------------------------------------------------

def _number(value: str, where: str) -> str:
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if not re.fullmatch(r"\+?[0-9]{1,20}", value):
        raise StoreError(f"{where}: {value!r} is not a phone number or prefix")
    return value


def save_caller_rule(db: sqlite_utils.Database, pattern: str, *, match: str = "exact",
                     name: str = "", lang: str | None = None, vip: bool = False,
                     destination: tuple[str, str] | None = None, did: str | None = None,
                     pin: str | None = None) -> int:
    """A known caller (exact number) or a number range (prefix): their language, VIP
    priority in queues, where they are routed, and an optional PIN for IVR verification."""
    pattern = _number(pattern, "caller rule")
    if match not in ("exact", "prefix"):
        raise StoreError("caller rule: match is exact or prefix")
    if lang is not None and lang not in LANGS:
        raise StoreError(f"caller rule {pattern}: language must be one of {', '.join(LANGS)}")
    if pin is not None and not re.fullmatch(r"[0-9]{4,12}", pin):
        raise StoreError(f"caller rule {pattern}: a PIN is 4 to 12 digits")
    with transaction(db):
        if destination:
            check_destination(db, destination[0], destination[1], where=f"caller rule {pattern}")
        db.execute("DELETE FROM caller_rules WHERE pattern = ? AND match = ? AND did IS ?",
                   [pattern, match, did])
        return _insert(db, "caller_rules", {
            "pattern": pattern, "match": match, "did": did, "name": name, "lang": lang,
            "vip": int(bool(vip)), "action": destination[0] if destination else None,
            "target": destination[1] if destination else "",
            "pin_hash": _hash_pin(pin) if pin else None})


def delete_caller_rule(db: sqlite_utils.Database, rule_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM caller_rules WHERE id = ?", [rule_id])


def caller_rule_for(db: sqlite_utils.Database, caller: str, did: str) -> dict | None:
    """The most specific rule for this caller: an exact number before the longest prefix,
    a rule for this DID before a rule for any DID."""
    rows = list(db.query(
        "SELECT * FROM caller_rules WHERE (did IS NULL OR did = ?) AND "
        "((match = 'exact' AND pattern = ?) OR (match = 'prefix' AND substr(?, 1, length(pattern)) = pattern)) "
        "ORDER BY match = 'exact' DESC, length(pattern) DESC, did IS NULL LIMIT 1",
        [did, caller, caller]))
    return rows[0] if rows else None


def _hash_pin(pin: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.scrypt(pin.encode(), salt=salt.encode(), n=2**12, r=8, p=1).hex()
    return f"scrypt${salt}${digest}"


def check_pin(pin_hash: str, pin: str) -> bool:
    try:
        _, salt, digest = pin_hash.split("$")
    except ValueError:
        return False
    got = hashlib.scrypt(pin.encode(), salt=salt.encode(), n=2**12, r=8, p=1).hex()
    return hmac.compare_digest(got, digest)


def blacklist_add(db: sqlite_utils.Database, pattern: str, *, match: str = "exact",
                  note: str = "") -> int:
    pattern = _number(pattern, "blacklist")
    if match not in ("exact", "prefix"):
        raise StoreError("blacklist: match is exact or prefix")
    with transaction(db):
        if db.execute("SELECT 1 FROM blacklist WHERE pattern = ? AND match = ?",
                      [pattern, match]).fetchone():
            raise StoreError(f"{pattern} is already on the blacklist")
        return _insert(db, "blacklist", {"pattern": pattern, "match": match, "note": note,
                                         "created_at": int(time.time())})


def blacklist_remove(db: sqlite_utils.Database, rule_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM blacklist WHERE id = ?", [rule_id])


def blacklist_match(db: sqlite_utils.Database, caller: str) -> dict | None:
    rows = list(db.query(
        "SELECT * FROM blacklist WHERE (match = 'exact' AND pattern = ?) OR "
        "(match = 'prefix' AND substr(?, 1, length(pattern)) = pattern) "
        "ORDER BY match = 'exact' DESC, length(pattern) DESC LIMIT 1", [caller, caller]))
    return rows[0] if rows else None


def log_blocked_call(db: sqlite_utils.Database, uniqueid: str, caller: str, did: str,
                     rule_id: int | None) -> None:
    with transaction(db):
        _insert(db, "blocked_calls", {"at": time.time(), "uniqueid": uniqueid,
                                      "caller": caller, "did": did, "rule_id": rule_id})


# -- settings of the inbound flow -------------------------------------------------------------

DEFAULT_SETTINGS = {
    "operator_key": "0",            # pressed during any IVR prompt or queue wait
    "operator_action": "queue",
    "operator_target": "",          # empty: the first queue
    "default_lang": "pl",
    "rec_mode": "all",              # all | inbound | outbound | list | none
    "rec_numbers": "",              # for rec_mode=list: numbers/prefixes, one per line
    "rec_ondemand_key": "*1",       # toggles recording during a call (empty: off)
    "rec_retention_days": "0",      # 0: keep forever
    "rec_retention_action": "delete",   # delete | archive
    "rec_min_free_mb": "500",       # the disk-space guard
    "pin_max_tries": "3",
    "pin_lockout_minutes": "15",
}


def settings(db: sqlite_utils.Database) -> dict[str, str]:
    out = dict(DEFAULT_SETTINGS)
    keys = list(DEFAULT_SETTINGS)
    out.update({r["key"]: r["value"] for r in db.query(
        f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' for _ in keys)})", keys)})
    return out


def save_settings(db: sqlite_utils.Database, **values: str) -> None:
    """Change inbound-flow settings; all are checked before any is written."""
    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise StoreError(f"unknown settings: {', '.join(sorted(unknown))}")
    merged = {**settings(db), **{k: str(v).strip() for k, v in values.items()}}
    if not re.fullmatch(r"[0-9*#]", merged["operator_key"]):
        raise StoreError("operator key: one key, 0-9, * or #")
    if merged["default_lang"] not in LANGS:
        raise StoreError(f"default language: one of {', '.join(LANGS)}")
    if merged["rec_mode"] not in REC_MODES:
        raise StoreError(f"recording mode: one of {', '.join(REC_MODES)}")
    for line in merged["rec_numbers"].split():
        _number(line, "numbers to record")
    if merged["rec_ondemand_key"] and not re.fullmatch(r"[*#]?[0-9]{1,3}", merged["rec_ondemand_key"]):
        raise StoreError("on-demand recording key: like *1 (a star or hash and 1-3 digits)")
    for key in ("rec_retention_days", "rec_min_free_mb", "pin_max_tries", "pin_lockout_minutes"):
        if not merged[key].isdigit():
            raise StoreError(f"{key.replace('_', ' ')}: a whole number")
    if merged["rec_retention_action"] not in ("delete", "archive"):
        raise StoreError("retention: delete or archive")
    if merged["operator_action"] in ("operator",) + MENU_ONLY:
        raise StoreError("operator: choose where the operator's calls go (a queue, an extension, ...)")
    with transaction(db):
        if merged["operator_target"] or merged["operator_action"] in ("hangup",):
            check_destination(db, merged["operator_action"], merged["operator_target"],
                              where="operator")
        for key, value in merged.items():
            if key in values:
                db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                           "DO UPDATE SET value = excluded.value", [key, value])


def record_numbers_match(cfg: dict[str, str], number: str) -> bool:
    return any(number.startswith(p) for p in cfg["rec_numbers"].split())


# -- prompts ------------------------------------------------------------------------------

def save_prompt(db: sqlite_utils.Database, name: str, lang: str, source: str, *,
                text: str = "", seconds: float = 0.0) -> int:
    """The row of a prompt whose sound file (appliance.telephony.sounds) is in place."""
    if lang not in LANGS:
        raise StoreError(f"prompt {name!r}: language must be one of {', '.join(LANGS)}")
    if not re.fullmatch(r"[a-z0-9_-]+", name or ""):
        raise StoreError(f"prompt name {name!r}: use lowercase letters, digits, - and _")
    with transaction(db):
        db.execute("DELETE FROM prompts WHERE name = ? AND lang = ?", [name, lang])
        return _insert(db, "prompts", {"name": name, "lang": lang, "source": source,
                                       "text": text, "seconds": seconds,
                                       "updated_at": int(time.time())})


def delete_prompt(db: sqlite_utils.Database, name: str, lang: str | None = None) -> None:
    """Remove a prompt (one language, or all); refused while a menu or an announcement
    still plays it and no other language of it would be left."""
    with transaction(db):
        if lang:
            db.execute("DELETE FROM prompts WHERE name = ? AND lang = ?", [name, lang])
        else:
            db.execute("DELETE FROM prompts WHERE name = ?", [name])
        if prompt_langs(db, name):
            return
        menus = [r[0] for r in db.execute("SELECT name FROM ivr_menus WHERE prompt = ?", [name])]
        if menus:
            raise StoreError(f"prompt {name!r} is played by menu {', '.join(menus)}")
        _check_all(db, f"prompt {name!r} is still used")


def prompt_langs(db: sqlite_utils.Database, name: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT lang FROM prompts WHERE name = ? ORDER BY lang",
                                      [name])]


# -- recordings ---------------------------------------------------------------------------

def index_recording(db: sqlite_utils.Database, **row: Any) -> int:
    """One recorded call (uniqueid, path, started_at, direction, caller, called, queue,
    agent, seconds); indexing the same call again updates it."""
    with transaction(db):
        db.execute("DELETE FROM recordings WHERE uniqueid = ?", [row["uniqueid"]])
        return _insert(db, "recordings", row)


def find_recordings(db: sqlite_utils.Database, *, since: float | None = None,
                    until: float | None = None, number: str = "", agent: str | None = None,
                    limit: int = 200, offset: int = 0) -> list[dict]:
    """Recordings newest first; `agent` limits to one agent's calls (what an agent may see)."""
    where, args = ["archived_at IS NULL"], []
    if since is not None:
        where.append("started_at >= ?")
        args.append(since)
    if until is not None:
        where.append("started_at < ?")
        args.append(until)
    if number:
        where.append("(caller LIKE ? OR called LIKE ?)")
        args += [f"%{number}%", f"%{number}%"]
    if agent is not None:
        where.append("agent = ?")
        args.append(agent)
    return list(db.query(f"SELECT * FROM recordings WHERE {' AND '.join(where)} "
                         "ORDER BY started_at DESC LIMIT ? OFFSET ?", [*args, limit, offset]))


def audit_recording(db: sqlite_utils.Database, recording_id: int, username: str, action: str,
                    remote_addr: str = "") -> None:
    with transaction(db):
        _insert(db, "recording_audit", {"recording_id": recording_id, "username": username,
                                        "action": action, "at": time.time(),
                                        "remote_addr": remote_addr})


# -- for the IVR and the renderer -------------------------------------------------------

def ivr_menu(db: sqlite_utils.Database, name: str) -> dict | None:
    """One menu with its options, as the FastAGI IVR needs it for a call."""
    rows = list(db.query("SELECT * FROM ivr_menus WHERE name = ?", [name]))
    if not rows:
        return None
    menu = rows[0]
    menu["options"] = {r["key"]: (r["action"], r["target"]) for r in db.query(
        "SELECT key, action, target FROM ivr_options WHERE menu_id = ?", [menu["id"]])}
    return menu


def snapshot(db: sqlite_utils.Database) -> dict[str, Any]:
    """Everything the Asterisk renderer needs, read in one transaction (a consistent view)."""
    with transaction(db):
        queues = list(db.query("SELECT * FROM queues ORDER BY name"))
        for q in queues:
            q["members"] = [r["extension"] for r in db.query(
                "SELECT a.extension FROM queue_members m JOIN agents a ON a.id = m.agent_id "
                "WHERE m.queue_id = ? ORDER BY a.extension", [q["id"]])]
            q["penalties"] = {r["extension"]: r["penalty"] for r in db.query(
                "SELECT a.extension, m.penalty FROM queue_members m JOIN agents a "
                "ON a.id = m.agent_id WHERE m.queue_id = ?", [q["id"]])}
        menus = [ivr_menu(db, r["name"]) for r in db.query("SELECT name FROM ivr_menus ORDER BY name")]
        return {
            "agents": list(db.query("SELECT * FROM agents ORDER BY extension")),
            "queues": queues,
            "menus": menus,
            "routes": list(db.query("SELECT * FROM inbound_routes ORDER BY did")),
            "trunks": list(db.query("SELECT * FROM trunks ORDER BY name")),
            "settings": settings(db),
            "prompts": {name: prompt_langs(db, name) for name in
                        [r[0] for r in db.execute("SELECT DISTINCT name FROM prompts")]},
            # sources the watchdog blocked (store.security): refused by a PJSIP ACL
            "blocked_sources": security.blocked_addresses(db),
            # DAHDI spans and analog ports (store.hardware): chan_dahdi.conf
            "dahdi": hardware.dahdi_config(db),
            # conference rooms (telephony.conferences): dialplan and confbridge.conf
            "conf_rooms": list(db.query("SELECT * FROM conf_rooms ORDER BY number")),
            # skills routing (telephony.skills): skills and agents' levels {ext: {skill: level}}
            "skills": list(db.query("SELECT * FROM skills ORDER BY name")),
            "agent_skills": agent_skill_levels(db),
        }


def agent_skill_levels(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """Agents' skill levels: {extension: {skill name: level}} (skills routing, BEY-3)."""
    out: dict[str, dict[str, int]] = {}
    for ext, skill, level in db.execute(
            "SELECT a.extension, s.name, x.level FROM agent_skills x JOIN agents a "
            "ON a.id = x.agent_id JOIN skills s ON s.id = x.skill_id"):
        out.setdefault(ext, {})[skill] = level
    return out


def seed_demo(db: sqlite_utils.Database, agent_contacts: dict[str, str] | None = None) -> None:
    """The embedded default: one IVR, one queue, two agents, DID 100 -> IVR.

    Key 1 -> queue "support"; key 0 (operator) -> queue "support" too; after three timeouts
    or wrong keys the caller also goes to "support".  Nothing happens if already seeded.
    """
    if db.execute("SELECT count(*) FROM agents").fetchone()[0]:
        return
    contacts = agent_contacts or {}
    with transaction(db):
        for ext, name in (("101", "Agent 101"), ("102", "Agent 102")):
            # static: the demo answers calls without anyone logging in
            add_agent(db, ext, name, contact=contacts.get(ext), dtmf_mode="auto", login=False)
        add_queue(db, "support", "Support", members=["101", "102"], strategy="rrmemory")
        save_menu(db, "main", "hello-world", {"1": ("queue", "support"), "0": ("operator", "")},
                  fallback=("queue", "support"), title="Main menu")
        save_route(db, "100", "menu", "main", title="Hotline")
        save_settings(db, operator_action="queue", operator_target="support")
