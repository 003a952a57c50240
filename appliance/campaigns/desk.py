"""The agent's side of campaigns (AG-4, CRM-8): preview contacts, requested calls,
dispositions, callbacks and the hand-off of won contacts to the CRM.

The panel calls these functions; the dialer (dialer.py, the only one that speaks to
Asterisk) acts on what they write.  A preview or callback call is an intent: a
campaign_calls row with requested_at set and started_at NULL, which the dialer places
agent-first.  A disposition changes the contact's progress in campaign_contacts at once
(retry time, callback, do-not-call, done) so the dialer's next tick already sees it.

A preview reservation is `campaign_contacts.agent` set on a contact in state new/retry whose
next_at lies in the future (now + RESERVE_S): the dialer only takes due contacts, other
agents only free ones, and an expired reservation is simply due again.  Requesting the call
clears `agent`, so a contact the dialer later sets to 'retry' is never taken for a
reservation.

Each write is one transaction; bad input raises StoreError with an English catalogue id
that says what to do.  No Flask, no Asterisk.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Callable

import sqlite_utils

from ..store.db import StoreError, transaction
from . import lists, pacer

log = logging.getLogger(__name__)

RESERVE_S = 600                 # a preview contact stays the agent's for 10 minutes
NOTE_MAX = 500
TITLE_MAX = 60
CODE = re.compile(r"[a-z0-9_-]{1,20}")
ACTIONS = ("done", "retry", "callback", "dnc_campaign", "dnc_global", "crm", "machine")
SUPERVISING = ("admin", "supervisor")
PLACEHOLDER = re.compile(r"\{([^{}\n]{1,60})\}")
# the CRM hook (CRM-8): callables(payload) run after a crm_handoffs row is committed
CRM_HANDOFF: list[Callable[[dict], None]] = []


class NotYours(StoreError):
    """The call or contact belongs to another agent (the panel answers 403)."""


# -- who and what ----------------------------------------------------------------------

def _user(db: sqlite_utils.Database, username: str) -> tuple[str, str | None]:
    """(role, extension or None) of a panel user."""
    row = db.execute("SELECT u.role, a.extension FROM users u LEFT JOIN agents a "
                     "ON a.id = u.agent_id WHERE u.username = ?", [username]).fetchone()
    if not row:
        raise StoreError(f"no panel user {username!r}")
    return row[0], row[1]


def campaign_row(db: sqlite_utils.Database, campaign_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
    return rows[0] if rows else None


def is_member(db: sqlite_utils.Database, campaign_id: int, ext: str) -> bool:
    """The extension is in the campaign's agent group (its queue)."""
    return db.execute(
        "SELECT 1 FROM campaigns c JOIN queue_members m ON m.queue_id = c.queue_id "
        "JOIN agents a ON a.id = m.agent_id WHERE c.id = ? AND a.extension = ?",
        [campaign_id, ext]).fetchone() is not None


def campaign_agents(db: sqlite_utils.Database, campaign_id: int) -> list[dict]:
    """The agents a callback can be given to: the campaign's queue members."""
    return list(db.query(
        "SELECT a.extension, a.name FROM campaigns c JOIN queue_members m ON m.queue_id = "
        "c.queue_id JOIN agents a ON a.id = m.agent_id WHERE c.id = ? ORDER BY a.extension",
        [campaign_id]))


def agent_campaigns(db: sqlite_utils.Database, ext: str) -> list[dict]:
    """Running campaigns whose agent group the extension belongs to."""
    return list(db.query(
        "SELECT c.* FROM campaigns c JOIN queue_members m ON m.queue_id = c.queue_id "
        "JOIN agents a ON a.id = m.agent_id WHERE a.extension = ? AND c.status = 'running' "
        "ORDER BY c.title COLLATE NOCASE, c.name", [ext]))


# -- the contact card and the script ---------------------------------------------------

def fill_script(script: str, values: dict[str, str]) -> str:
    """The script with {name}, {phone} and {<field>} filled in.  Unknown placeholders stay
    as written (the admin sees the typo); never str.format, which would let a script reach
    attributes and indexes of the values."""
    lowered = {k.casefold(): v for k, v in values.items()}

    def one(match: re.Match) -> str:
        key = match.group(1).strip()
        if key in values:
            return values[key]
        return lowered.get(key.casefold(), match.group(0))

    return PLACEHOLDER.sub(one, script or "")


def contact_card(db: sqlite_utils.Database, contact_id: int, campaign: dict | None) -> dict | None:
    """{id, phone, name, list, fields: [(label, value)], script} of one contact; fields in
    the order the list defines them, then any others the row holds."""
    rows = list(db.query("SELECT c.id, c.phone, c.name, c.fields, l.id AS list_id, "
                         "l.name AS list_name, l.fields AS list_fields FROM contacts c "
                         "JOIN contact_lists l ON l.id = c.list_id WHERE c.id = ?", [contact_id]))
    if not rows:
        return None
    row = rows[0]
    values = _json(row["fields"], {})
    order = [f for f in _json(row["list_fields"], []) if isinstance(f, str)]
    order += [k for k in values if k not in order]
    fields = [(label, "" if values.get(label) is None else str(values.get(label)))
              for label in order]
    filled = {label: value for label, value in fields}
    filled.update(name=row["name"], phone=row["phone"])
    return {"id": row["id"], "phone": row["phone"], "name": row["name"],
            "list": {"id": row["list_id"], "name": row["list_name"]}, "fields": fields,
            "values": {label: value for label, value in fields},
            "script": fill_script((campaign or {}).get("script", ""), filled)}


def _json(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text or "")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


# -- preview ---------------------------------------------------------------------------

def next_preview(db: sqlite_utils.Database, campaign_id: int, agent: str,
                 now: float | None = None) -> dict | None:
    """The contact card the agent should call next in a running preview campaign,
    reserved for them (two agents never get the same contact), or None: not a member,
    outside the calling window, nothing due.  Do-not-call numbers are set to 'dnc' on the
    way; the 72-hour rule lets an abandoned number through because a preview call rings
    the agent first (an agent is guaranteed)."""
    now = time.time() if now is None else now
    campaign = campaign_row(db, campaign_id)
    if (not campaign or campaign["status"] != "running" or campaign["mode"] != "preview"
            or not is_member(db, campaign_id, agent)):
        return None
    if not pacer.in_window(pacer.Rules.from_row(campaign), now):
        return None
    with transaction(db):
        held = db.execute("SELECT contact_id FROM campaign_contacts WHERE campaign_id = ? "
                          "AND agent = ? AND state IN ('new', 'retry') AND next_at > ? "
                          "ORDER BY contact_id LIMIT 1", [campaign_id, agent, now]).fetchone()
        if held:
            db.conn.execute("UPDATE campaign_contacts SET next_at = ? WHERE campaign_id = ? "
                            "AND contact_id = ?", [now + RESERVE_S, campaign_id, held[0]])
            return contact_card(db, held[0], campaign)
        while True:
            rows = db.execute(
                "SELECT cc.contact_id, c.phone, cc.last_abandon_at FROM campaign_contacts cc "
                "JOIN contacts c ON c.id = cc.contact_id WHERE cc.campaign_id = ? "
                "AND cc.state IN ('new', 'retry') AND cc.next_at <= ? "
                "ORDER BY cc.next_at, cc.contact_id LIMIT 50", [campaign_id, now]).fetchall()
            if not rows:
                return None
            skipped_dnc = False
            for contact_id, phone, last_abandon_at in rows:
                if lists.dnc_blocked(db, phone, campaign_id):
                    db.conn.execute("UPDATE campaign_contacts SET state = 'dnc', agent = NULL "
                                    "WHERE campaign_id = ? AND contact_id = ?",
                                    [campaign_id, contact_id])
                    skipped_dnc = True
                    continue
                if not pacer.may_redial_abandoned(last_abandon_at, now, True):
                    continue
                db.conn.execute("UPDATE campaign_contacts SET agent = ?, next_at = ? "
                                "WHERE campaign_id = ? AND contact_id = ?",
                                [agent, now + RESERVE_S, campaign_id, contact_id])
                return contact_card(db, contact_id, campaign)
            if not skipped_dnc:
                return None     # only contacts the 72-hour rule holds back


def skip_preview(db: sqlite_utils.Database, campaign_id: int, contact_id: int, agent: str,
                 now: float | None = None) -> None:
    """Give a reserved contact back: due again at once, behind the others already due."""
    now = time.time() if now is None else now
    with transaction(db):
        cur = db.conn.execute(
            "UPDATE campaign_contacts SET agent = NULL, next_at = ? WHERE campaign_id = ? "
            "AND contact_id = ? AND agent = ? AND state IN ('new', 'retry') AND next_at > ?",
            [now, campaign_id, contact_id, agent, now])
        if cur.rowcount != 1:
            raise StoreError("this contact is not reserved for you any more; reload the desk")


# -- calls the agent asks for -----------------------------------------------------------

def _open_call(db: sqlite_utils.Database, agent: str) -> dict | None:
    rows = list(db.query(
        "SELECT id, disposition, connected_at, outcome FROM campaign_calls WHERE agent = ? "
        "AND disposition IS NULL AND (connected_at IS NOT NULL OR outcome = 'connected' "
        "OR (outcome IS NULL AND ended_at IS NULL)) ORDER BY id LIMIT 1", [agent]))
    return rows[0] if rows else None


def request_call(db: sqlite_utils.Database, campaign_id: int, contact_id: int, agent: str,
                 mode: str = "preview", now: float | None = None) -> int:
    """Ask the dialer to call a contact for the agent (agent-first): a preview contact
    reserved for (or free for) the agent, or a due callback of theirs or anyone's.  Writes
    the campaign_calls row (requested_at, uniqueid 'jnsc-<hex>'), sets the contact to
    'dialing' and marks the callback done.  Returns the call's id."""
    now = time.time() if now is None else now
    if mode not in ("preview", "callback"):
        raise StoreError(f"unknown call mode {mode!r}")
    campaign = campaign_row(db, campaign_id)
    if not campaign:
        raise StoreError("no such campaign; reload the desk")
    if campaign["status"] != "running":
        raise StoreError("the campaign is not running; calls wait until it is started")
    if not is_member(db, campaign_id, agent):
        raise NotYours("you are not in this campaign's agent group")
    row = db.execute("SELECT cc.state, cc.agent, cc.next_at, cc.attempts, c.phone "
                     "FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id "
                     "WHERE cc.campaign_id = ? AND cc.contact_id = ?",
                     [campaign_id, contact_id]).fetchone()
    if not row:
        raise StoreError("this contact is not in the campaign; reload the desk")
    state, held_by, next_at, attempts, phone = row
    if lists.dnc_blocked(db, phone, campaign_id):
        with transaction(db):
            db.conn.execute("UPDATE campaign_contacts SET state = 'dnc', agent = NULL "
                            "WHERE campaign_id = ? AND contact_id = ?", [campaign_id, contact_id])
        raise StoreError("this number is on the do-not-call list; it is not called")
    with transaction(db):
        if _open_call(db, agent):
            raise StoreError("finish your current campaign call (and set its disposition) "
                             "first")
        callback_id = None
        if mode == "preview":
            mine = held_by == agent and next_at > now
            free = next_at <= now
            if state not in ("new", "retry") or not (mine or free):
                raise StoreError("this contact is not available any more (another agent has "
                               "it or it was called); reload the desk")
        else:
            cb = db.execute("SELECT id, due_at FROM callbacks WHERE campaign_id = ? "
                            "AND contact_id = ? AND done_at IS NULL AND (agent IS NULL "
                            "OR agent = ?) ORDER BY due_at LIMIT 1",
                            [campaign_id, contact_id, agent]).fetchone()
            if not cb:
                raise StoreError("there is no open callback of yours for this contact; reload "
                               "the desk")
            if cb[1] > now:
                raise StoreError("this callback is not due yet")
            callback_id = cb[0]
        cur = db.conn.execute(
            "INSERT INTO campaign_calls (campaign_id, contact_id, phone, attempt, mode, "
            "uniqueid, agent, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [campaign_id, contact_id, phone, attempts + 1, mode, f"jnsc-{uuid.uuid4().hex}",
             agent, now])
        call_id = cur.lastrowid
        db.conn.execute("UPDATE campaign_contacts SET state = 'dialing', agent = NULL "
                        "WHERE campaign_id = ? AND contact_id = ?", [campaign_id, contact_id])
        if callback_id:
            db.conn.execute("UPDATE callbacks SET done_at = ?, call_id = ? WHERE id = ?",
                            [now, call_id, callback_id])
    return call_id


def current_calls(db: sqlite_utils.Database, agent: str) -> list[dict]:
    """The agent's campaign calls still waiting for a disposition (connected ones, also
    after hang-up) and the call they asked for that is still being placed; each with its
    campaign, the contact card and `disposable` (connected: a disposition can be set)."""
    out = []
    for call in db.query(
            "SELECT * FROM campaign_calls WHERE agent = ? AND disposition IS NULL AND "
            "(connected_at IS NOT NULL OR outcome = 'connected' OR (outcome IS NULL AND "
            "ended_at IS NULL)) ORDER BY id", [agent]):
        campaign = campaign_row(db, call["campaign_id"])
        card = contact_card(db, call["contact_id"], campaign) if call["contact_id"] else None
        out.append(dict(call, campaign=campaign, card=card,
                        disposable=bool(call["connected_at"] or call["outcome"] == "connected")))
    return out


# -- dispositions: the admin's list ----------------------------------------------------

def dispositions(db: sqlite_utils.Database, active_only: bool = True) -> list[dict]:
    where = "WHERE active = 1 " if active_only else ""
    return [dict(r, effective=bool(r["effective"]), active=bool(r["active"])) for r in db.query(
        f"SELECT code, title, effective, action, position, active FROM dispositions {where}"
        "ORDER BY position, title COLLATE NOCASE")]


def save_disposition(db: sqlite_utils.Database, code: str, title: str, *,
                     effective: bool = False, action: str = "done", position: int = 0,
                     active: bool = True) -> None:
    """Create or change a disposition.  The code is kept in calls and reports, so it is
    short and plain; the title is what the agent picks from."""
    code = (code or "").strip()
    title = (title or "").strip()
    if not CODE.fullmatch(code):
        raise StoreError(f"disposition code {code!r}: 1-20 lowercase letters, digits, - and _")
    if not 1 <= len(title) <= TITLE_MAX:
        raise StoreError(f"disposition {code!r}: the title must have 1-{TITLE_MAX} characters")
    if action not in ACTIONS:
        raise StoreError(f"disposition {code!r}: unknown action {action!r}")
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise StoreError(f"disposition {code!r}: the position must be a whole number") from None
    with transaction(db):
        db.conn.execute(
            "INSERT INTO dispositions (code, title, effective, action, position, active) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET title = excluded.title, "
            "effective = excluded.effective, action = excluded.action, "
            "position = excluded.position, active = excluded.active",
            [code, title, 1 if effective else 0, action, position, 1 if active else 0])


def delete_disposition(db: sqlite_utils.Database, code: str) -> None:
    """Delete a disposition nobody used yet; a used one stays (calls and reports name it)
    and can only be deactivated."""
    with transaction(db):
        used = db.execute("SELECT (SELECT count(*) FROM campaign_calls WHERE disposition = ?) "
                          "+ (SELECT count(*) FROM campaign_contacts WHERE disposition = ?)",
                          [code, code]).fetchone()[0]
        if used:
            raise StoreError(f"disposition {code!r} is in use by calls; deactivate it instead")
        cur = db.conn.execute("DELETE FROM dispositions WHERE code = ?", [code])
        if cur.rowcount != 1:
            raise StoreError(f"no disposition with code {code!r}; reload the list")


# -- setting a disposition ---------------------------------------------------------------

def set_disposition(db: sqlite_utils.Database, call_id: int, code: str, *, user: str,
                    callback_at: float | None = None, callback_agent: str | None = None,
                    note: str = "", now: float | None = None) -> list[str]:
    """Record the agent's disposition of a connected call and apply its action to the
    contact.  Only the agent who had the call, a supervisor or an admin may; a call gets
    one disposition.  Returns warnings (catalogue ids) the agent should see."""
    now = time.time() if now is None else now
    role, ext = _user(db, user)
    calls = list(db.query("SELECT * FROM campaign_calls WHERE id = ?", [call_id]))
    if not calls:
        raise StoreError("no such campaign call; reload the desk")
    call = calls[0]
    if call["agent"] != ext and role not in SUPERVISING:
        raise NotYours("this call is another agent's; only they or a supervisor can set its "
                       "disposition")
    if call["disposition"]:
        raise StoreError(f"this call already has a disposition ({call['disposition']}); it "
                         "cannot be set twice")
    if not (call["connected_at"] or call["outcome"] == "connected"):
        raise StoreError("this call was not connected to an agent; it needs no disposition")
    chosen = [d for d in dispositions(db) if d["code"] == code]
    if not chosen:
        raise StoreError("choose one of the dispositions in the list")
    action = chosen[0]["action"]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise StoreError(f"the note is too long: at most {NOTE_MAX} characters")
    campaign = campaign_row(db, call["campaign_id"])
    rules = pacer.Rules.from_row(campaign)
    warnings: list[str] = []
    if action == "callback":
        if callback_at is None:
            raise StoreError("enter the date and time of the callback")
        if callback_at <= now:
            raise StoreError("the callback time must be in the future")
        callback_agent = (callback_agent or "").strip() or None
        if callback_agent and not is_member(db, campaign["id"], callback_agent):
            raise StoreError(f"agent {callback_agent} is not in this campaign's agent group")
        if not pacer.in_window(rules, callback_at):
            warnings.append("the callback time is outside the campaign's calling window; "
                            "it is called when the agent clicks Call")
    handoff = None
    with transaction(db):
        cur = db.conn.execute("UPDATE campaign_calls SET disposition = ?, disposed_at = ?, "
                              "disposed_by = ?, note = ? WHERE id = ? AND disposition IS NULL",
                              [code, now, user, note, call_id])
        if cur.rowcount != 1:
            raise StoreError("this call already has a disposition; it cannot be set twice")
        contact_id = call["contact_id"]
        if contact_id is not None:
            warnings += _apply(db, campaign, rules, call, contact_id, code, action, user,
                               note, callback_at, callback_agent, now)
            if action == "crm":
                payload = handoff_payload(db, campaign, contact_id, call_id, user)
                cur = db.conn.execute("INSERT INTO crm_handoffs (campaign_id, contact_id, "
                                      "payload, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                                      [campaign["id"], contact_id, json.dumps(payload), now, user])
                handoff = dict(payload, handoff_id=cur.lastrowid)
    if handoff:
        for hook in CRM_HANDOFF:
            try:
                hook(handoff)
            except Exception:   # noqa: BLE001 - the row stays for the CRM to take later
                log.exception("CRM hand-off hook %r failed for handoff %s", hook,
                              handoff["handoff_id"])
                warnings.append("the CRM did not take the contact yet; it stays in the "
                                "hand-off list")
    return warnings


def _apply(db, campaign: dict, rules, call: dict, contact_id: int, code: str, action: str,
           user: str, note: str, callback_at: float | None, callback_agent: str | None,
           now: float) -> list[str]:
    """The disposition's effect on the contact's progress (inside set_disposition's
    transaction)."""
    cid = campaign["id"]
    row = db.execute("SELECT attempts FROM campaign_contacts WHERE campaign_id = ? AND "
                     "contact_id = ?", [cid, contact_id]).fetchone()
    attempts = row[0] if row else call["attempt"]
    state, next_at, agent, warnings = "done", None, None, []
    if action in ("retry", "machine"):
        at = pacer.retry_at(rules, "machine" if action == "machine" else "noanswer",
                            attempts, now)
        if at is None:
            warnings.append("all attempts are used up: the contact is not called again")
        else:
            state, next_at = "retry", at
    elif action == "callback":
        db.conn.execute("INSERT INTO callbacks (campaign_id, contact_id, agent, due_at, note, "
                        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [cid, contact_id, callback_agent, callback_at, note, now, user])
        state, next_at, agent = "callback", callback_at, callback_agent
    elif action in ("dnc_campaign", "dnc_global"):
        scope = cid if action == "dnc_campaign" else None
        phone = db.execute("SELECT phone FROM contacts WHERE id = ?", [contact_id]).fetchone()
        phone = phone[0] if phone else call["phone"]
        lists.dnc_add(db, phone, campaign_id=scope, note=note or f"disposition {code}",
                      user=user)
        state = "dnc"
    if row:
        db.conn.execute(
            "UPDATE campaign_contacts SET state = ?, next_at = coalesce(?, next_at), agent = ?, "
            "disposition = ? WHERE campaign_id = ? AND contact_id = ?",
            [state, next_at, agent, code, cid, contact_id])
    return warnings


def handoff_payload(db: sqlite_utils.Database, campaign: dict, contact_id: int, call_id: int,
                    user: str) -> dict:
    """What the CRM gets for a won contact: the contact with its list's fields, the
    campaign, the winning call and every campaign call to this contact (recordings too)."""
    card = contact_card(db, contact_id, campaign) or {}
    calls = [dict(r) for r in db.query(
        "SELECT cc.id, cc.campaign_id, c.name AS campaign, cc.mode, cc.attempt, cc.agent, "
        "cc.requested_at, cc.started_at, cc.answered_at, cc.connected_at, cc.ended_at, "
        "cc.outcome, cc.disposition, cc.note, cc.recording FROM campaign_calls cc "
        "JOIN campaigns c ON c.id = cc.campaign_id WHERE cc.contact_id = ? ORDER BY cc.id",
        [contact_id])]
    won = next((c for c in calls if c["id"] == call_id), {})
    return {"contact": {"id": contact_id, "phone": card.get("phone"), "name": card.get("name"),
                        "list": card.get("list"), "fields": card.get("values", {})},
            "campaign": {"id": campaign["id"], "name": campaign["name"],
                         "title": campaign["title"]},
            "call_id": call_id, "disposition": won.get("disposition"), "note": won.get("note"),
            "agent": won.get("agent"), "by": user, "calls": calls}


def machine_marked(db: sqlite_utils.Database, campaign_id: int, since: float,
                   until: float | None = None) -> int:
    """Connected calls an agent marked as an answering machine (a disposition with action
    'machine'): the AM term of Ofcom's adjusted abandon rate."""
    return db.execute(
        "SELECT count(*) FROM campaign_calls cc JOIN dispositions d ON d.code = cc.disposition "
        "WHERE cc.campaign_id = ? AND d.action = 'machine' AND coalesce(cc.connected_at, "
        "cc.started_at) >= ? AND coalesce(cc.connected_at, cc.started_at) < ?",
        [campaign_id, since, until if until is not None else float("inf")]).fetchone()[0]


# -- callbacks ---------------------------------------------------------------------------

CALLBACK_SELECT = (
    "SELECT b.id, b.campaign_id, c.name AS campaign, c.title AS campaign_title, "
    "c.status AS campaign_status, b.contact_id, k.name, k.phone, b.agent, b.due_at, b.note, "
    "b.created_at, b.created_by FROM callbacks b JOIN campaigns c ON c.id = b.campaign_id "
    "JOIN contacts k ON k.id = b.contact_id ")


def callbacks_for(db: sqlite_utils.Database, agent: str, now: float | None = None,
                  horizon_s: float = 86400) -> list[dict]:
    """Open callbacks of the agent's running campaigns, theirs or anyone's, due by now +
    horizon_s; `due` says which may be called now."""
    now = time.time() if now is None else now
    rows = db.query(
        CALLBACK_SELECT + "JOIN queue_members m ON m.queue_id = c.queue_id "
        "JOIN agents a ON a.id = m.agent_id WHERE a.extension = ? AND c.status = 'running' "
        "AND b.done_at IS NULL AND (b.agent IS NULL OR b.agent = ?) AND b.due_at <= ? "
        "ORDER BY b.due_at, b.id", [agent, agent, now + horizon_s])
    return [dict(r, due=r["due_at"] <= now) for r in rows]


def open_callbacks(db: sqlite_utils.Database, now: float | None = None) -> list[dict]:
    """Every callback not yet called, oldest due first; `overdue` when past its time."""
    now = time.time() if now is None else now
    return [dict(r, overdue=r["due_at"] <= now) for r in db.query(
        CALLBACK_SELECT + "WHERE b.done_at IS NULL ORDER BY b.due_at, b.id")]


def _open_callback(db, callback_id: int) -> dict:
    rows = list(db.query("SELECT * FROM callbacks WHERE id = ? AND done_at IS NULL",
                         [callback_id]))
    if not rows:
        raise StoreError("this callback was called or cancelled already; reload the list")
    return rows[0]


def reschedule_callback(db: sqlite_utils.Database, callback_id: int, due_at: float, *,
                        agent: str | None, now: float | None = None) -> None:
    """Move a callback to another time and/or agent (None: anyone of the campaign)."""
    now = time.time() if now is None else now
    cb = _open_callback(db, callback_id)
    if due_at <= now:
        raise StoreError("the callback time must be in the future")
    agent = (agent or "").strip() or None
    if agent and not is_member(db, cb["campaign_id"], agent):
        raise StoreError(f"agent {agent} is not in this campaign's agent group")
    with transaction(db):
        db.conn.execute("UPDATE callbacks SET due_at = ?, agent = ? WHERE id = ?",
                        [due_at, agent, callback_id])
        db.conn.execute("UPDATE campaign_contacts SET next_at = ?, agent = ? WHERE "
                        "campaign_id = ? AND contact_id = ? AND state = 'callback'",
                        [due_at, agent, cb["campaign_id"], cb["contact_id"]])


def cancel_callback(db: sqlite_utils.Database, callback_id: int, *, user: str,
                    now: float | None = None) -> None:
    """Drop a callback: the contact is done (it keeps its disposition) unless another
    callback of it is still open."""
    now = time.time() if now is None else now
    cb = _open_callback(db, callback_id)
    with transaction(db):
        note = (cb["note"] + " " if cb["note"] else "") + f"[cancelled by {user}]"
        db.conn.execute("UPDATE callbacks SET done_at = ?, note = ? WHERE id = ?",
                        [now, note[:NOTE_MAX + 40], callback_id])
        if not db.execute("SELECT 1 FROM callbacks WHERE campaign_id = ? AND contact_id = ? "
                          "AND done_at IS NULL", [cb["campaign_id"], cb["contact_id"]]).fetchone():
            db.conn.execute("UPDATE campaign_contacts SET state = 'done', agent = NULL WHERE "
                            "campaign_id = ? AND contact_id = ? AND state = 'callback'",
                            [cb["campaign_id"], cb["contact_id"]])
