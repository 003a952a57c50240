"""Call-center configuration in the database: agents, queues, IVR menus, routes, trunks.

The web panel, the console and the demo seed change configuration only through these
functions; the renderer reads it only through `snapshot()`.  Each function that writes
is one transaction, so a half-done save never reaches Asterisk.
"""
from __future__ import annotations

import secrets
import sqlite3
from typing import Any, Iterable

import sqlite_utils

from .db import StoreError, transaction

IVR_ACTIONS = ("queue", "extension", "menu", "hangup")
ROUTE_ACTIONS = ("ivr", "queue", "extension")


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
              dtmf_mode: str = "rfc4733") -> int:
    """Create an agent with its SIP endpoint; the SIP secret is generated on this box."""
    with transaction(db):
        return _insert(db, "agents", {
            "extension": extension, "name": name, "secret": secrets.token_urlsafe(18),
            "contact": contact, "dtmf_mode": dtmf_mode})


def set_agent_contact(db: sqlite_utils.Database, extension: str, contact: str | None) -> None:
    """A fixed SIP URI for a phone that does not register (None: registration only)."""
    if contact is not None and not contact.startswith(("sip:", "sips:")):
        raise StoreError(f"contact must be a SIP URI like sip:101@192.0.2.10:5060, not {contact!r}")
    with transaction(db):
        cur = db.conn.execute("UPDATE agents SET contact = ? WHERE extension = ?", [contact, extension])
        if cur.rowcount != 1:
            raise StoreError(f"no agent with extension {extension!r}")


def add_queue(db: sqlite_utils.Database, name: str, title: str, *, members: Iterable[str] = (),
              **options: Any) -> int:
    """Create a queue; `members` are agent extensions, `options` columns of `queues`."""
    with transaction(db):
        queue_id = _insert(db, "queues", {"name": name, "title": title, **options})
        set_queue_members(db, name, members)
    return queue_id


def set_queue_members(db: sqlite_utils.Database, queue: str, extensions: Iterable[str]) -> None:
    with transaction(db):
        row = db.execute("SELECT id FROM queues WHERE name = ?", [queue]).fetchone()
        if not row:
            raise StoreError(f"no queue named {queue!r}")
        db.execute("DELETE FROM queue_members WHERE queue_id = ?", [row[0]])
        for ext in extensions:
            agent = db.execute("SELECT id FROM agents WHERE extension = ?", [ext]).fetchone()
            if not agent:
                raise StoreError(f"queue {queue!r}: no agent with extension {ext!r}")
            db.execute("INSERT INTO queue_members(queue_id, agent_id) VALUES (?, ?)", [row[0], agent[0]])


def add_ivr_menu(db: sqlite_utils.Database, name: str, prompt: str, options: dict[str, tuple[str, str]],
                 *, fallback: tuple[str, str], timeout_s: int = 5, max_tries: int = 3) -> int:
    """Create a menu.  `options` maps a key to (action, target); `fallback` is where the
    caller goes after `max_tries` timeouts or invalid keys, so no caller is stranded."""
    if fallback[0] not in IVR_ACTIONS:
        raise StoreError(f"menu {name!r}: unknown fallback action {fallback[0]!r}")
    with transaction(db):
        menu_id = _insert(db, "ivr_menus", {
            "name": name, "prompt": prompt, "timeout_s": timeout_s, "max_tries": max_tries,
            "fallback_action": fallback[0], "fallback_target": fallback[1]})
        for key, (action, target) in options.items():
            _insert(db, "ivr_options",
                    {"menu_id": menu_id, "key": key, "action": action, "target": target})
    return menu_id


def add_inbound_route(db: sqlite_utils.Database, did: str, action: str, target: str) -> int:
    with transaction(db):
        return _insert(db, "inbound_routes", {"did": did, "action": action, "target": target})


def add_trunk(db: sqlite_utils.Database, name: str, host: str, *, port: int = 5060,
              username: str | None = None, secret: str | None = None) -> int:
    with transaction(db):
        return _insert(db, "trunks",
                       {"name": name, "host": host, "port": port, "username": username, "secret": secret})


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
        menus = [ivr_menu(db, r["name"]) for r in db.query("SELECT name FROM ivr_menus ORDER BY name")]
        return {
            "agents": list(db.query("SELECT * FROM agents ORDER BY extension")),
            "queues": queues,
            "menus": menus,
            "routes": list(db.query("SELECT * FROM inbound_routes ORDER BY did")),
            "trunks": list(db.query("SELECT * FROM trunks ORDER BY name")),
        }


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
            add_agent(db, ext, name, contact=contacts.get(ext), dtmf_mode="auto")
        add_queue(db, "support", "Support", members=["101", "102"], strategy="rrmemory")
        add_ivr_menu(db, "main", "hello-world", {"1": ("queue", "support"), "0": ("queue", "support")},
                     fallback=("queue", "support"))
        add_inbound_route(db, "100", "ivr", "main")
