"""The CRM's side of the telephone (CRM-4, CRM-5, CRM-6, CRM-8): which calls were with which
contact, the recording of a call on the note written during it, a task for the owner of a
customer whose call nobody answered, and contacts won in campaigns.

`sync(db)` does it all, a bounded round at a time; jns-reports runs it after each reading of
Asterisk's queue_log and CDR (appliance.reports.service), so the CRM sees a call a few
seconds after it ends.  Every step is idempotent (unique keys, upserts), so a round that is
cut short, or one run twice, counts nothing twice:

- inbound calls: the journeys of `report_calls` (all parts of a caller's visit to the
  queues, once every part has ended) whose caller's number matches a contact phone become
  `crm_calls` rows; a journey nobody answered from a customer with an owner becomes a
  task for the owner, saying what the owner was doing then (on another call, paused and
  why, not logged in);
- outbound calls: the CDR's outbound rows (an agent's click to dial, a call typed on the
  phone) whose number matches a contact;
- recordings: a note written during a call (crm_notes.call_id, the call's linkedid as the
  agent desk knows it) gets that call's recording once the recording is indexed;
- campaign hand-offs (crm_handoffs) not taken yet: the contact is created or merged by
  number, with the campaign's fields, the campaign calls and the agent's note;
- incoming SMS from a contact's number and reminders: the work and planner modules' own
  steps (messages.py, planner.py), run from here so one loop drives the CRM.

It never talks to Asterisk and never changes the report tables; it reads them.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

import sqlite_utils

from ..store.db import get_setting, set_setting, transaction
from .contacts import match_key

log = logging.getLogger(__name__)

MAX_CALL_S = 6 * 3600         # a call's rows are looked for this far back from the mark
ROUND_ROWS = 2000             # calls looked at per round (a backlog: more rounds)
NOTE_RECORDING_WAIT_S = 86400  # a note waits this long for its call's recording
HWM_QUEUE = "crm.sync.calls_ended"
HWM_CDR = "crm.sync.cdr_end"


# -- matching numbers to contacts -------------------------------------------------------

def contacts_for_number(db: sqlite_utils.Database, number: str) -> list[dict]:
    """The contacts (id, name, owner_id) that have this number, in any format."""
    key = match_key(number)
    if len(key) < 6:        # an extension or an empty caller ID matches nobody
        return []
    return [dict(r) for r in db.query(
        "SELECT DISTINCT c.id, c.name, c.owner_id FROM crm_phones p "
        "JOIN crm_contacts c ON c.id = p.contact_id WHERE p.match_key = ? ORDER BY c.id",
        [key])]


def _upsert_call(db, contact_id: int, call: dict) -> None:
    db.execute(
        "INSERT INTO crm_calls (contact_id, callid, direction, number, started_at, answered, "
        "agent, talk_s, queue, campaign_id, recording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (contact_id, callid) DO UPDATE SET answered = excluded.answered, "
        "agent = excluded.agent, talk_s = excluded.talk_s, queue = excluded.queue, "
        "recording = excluded.recording",
        [contact_id, call["callid"], call["direction"], call["number"], call["started_at"],
         1 if call["answered"] else 0, call.get("agent", ""), int(call.get("talk_s", 0)),
         call.get("queue", ""), call.get("campaign_id"), call.get("recording", "")])


# -- inbound calls and missed-call tasks ---------------------------------------------------

def match_queue_calls(db: sqlite_utils.Database, *, limit: int = ROUND_ROWS) -> int:
    """Journeys through the queues that ended since the last round -> crm_calls, and a task
    for the owner of each customer nobody answered.  Returns the journeys matched."""
    mark = int(get_setting(db, HWM_QUEUE, "0") or 0)
    rows = [dict(r) for r in db.query(
        "SELECT callid, ended FROM report_calls WHERE entered >= ? AND ended IS NOT NULL "
        "AND ended >= ? ORDER BY ended, id LIMIT ?", [mark - MAX_CALL_S, mark, limit])]
    if not rows:
        return 0
    callids = sorted({r["callid"] for r in rows})
    # a journey still waiting or talking in another queue (an overflow) is not over yet
    open_ids = {r[0] for r in db.execute(
        "SELECT DISTINCT callid FROM report_calls WHERE ended IS NULL AND callid IN "
        f"({','.join('?' * len(callids))})", callids).fetchall()}
    parts: dict[str, list[dict]] = {}
    for r in db.query(
            "SELECT callid, part, queue, entered, connected, ended, caller, status, agent, "
            f"talk, recording FROM report_calls WHERE callid IN ({','.join('?' * len(callids))}) "
            "ORDER BY callid, part", callids):
        parts.setdefault(r["callid"], []).append(dict(r))
    new_mark = max(r["ended"] for r in rows)
    if open_ids:
        new_mark = min([new_mark] + [r["ended"] for r in rows if r["callid"] in open_ids])
    if len(rows) == limit:   # more of the last second may follow: read it again next round
        new_mark = min(new_mark, rows[-1]["ended"])
    matched = 0
    with transaction(db):
        for callid, journey in parts.items():
            if callid in open_ids:
                continue
            caller = journey[0]["caller"]
            contacts = contacts_for_number(db, caller)
            if not contacts:
                continue
            answered = [p for p in journey if p["status"] == "answered"]
            first = answered[0] if answered else journey[-1]
            call = {"callid": callid, "direction": "in", "number": caller,
                    "started_at": journey[0]["entered"], "answered": bool(answered),
                    "agent": first["agent"] if answered else "",
                    "talk_s": sum(p["talk"] for p in answered),
                    "queue": first["queue"], "recording": first["recording"] or ""}
            for contact in contacts:
                _upsert_call(db, contact["id"], call)
                if not answered and contact["owner_id"]:
                    _missed_call_task(db, contact, call, journey[-1]["ended"])
            matched += 1
        set_setting(db, HWM_QUEUE, str(new_mark))
    return matched


def owner_state(db: sqlite_utils.Database, user_id: int, at: float) -> tuple[str, str]:
    """(extension, what the owner was doing at `at`) for a missed-call task: 'busy on
    another call', 'paused: <reason>', 'not logged in to the queues', 'did not answer', or
    'has no phone extension'."""
    row = db.execute("SELECT a.extension FROM users u JOIN agents a ON a.id = u.agent_id "
                     "WHERE u.id = ?", [user_id]).fetchone()
    if row is None:
        return "", "has no phone extension"
    ext = row[0]
    t = int(at)
    if db.execute("SELECT 1 FROM report_calls WHERE agent = ? AND connected <= ? "
                  "AND coalesce(ended, ?) >= ? LIMIT 1", [ext, t, t + 1, t]).fetchone():
        return ext, "busy on another call"
    if db.execute("SELECT 1 FROM report_cdr WHERE direction = 'out' AND agent = ? "
                  "AND answer <= ? AND end >= ? LIMIT 1", [ext, t, t]).fetchone():
        return ext, "busy on another call"
    pause = db.execute("SELECT p.reason, coalesce(r.title, p.reason) FROM report_agent_time p "
                       "LEFT JOIN pause_reasons r ON r.code = p.reason WHERE p.agent = ? "
                       "AND p.kind = 'pause' AND p.start <= ? AND coalesce(p.end, ?) >= ? "
                       "ORDER BY p.start DESC LIMIT 1", [ext, t, t + 1, t]).fetchone()
    if pause is not None:
        return ext, f"paused: {pause[1]}" if pause[1] else "paused"
    session = db.execute("SELECT 1 FROM report_agent_time WHERE agent = ? AND kind = 'session' "
                         "AND start <= ? AND coalesce(end, ?) >= ? LIMIT 1",
                         [ext, t, t + 1, t]).fetchone()
    desk_login = db.execute("SELECT login FROM agents WHERE extension = ?", [ext]).fetchone()
    if session is None and desk_login and desk_login[0]:
        return ext, "not logged in to the queues"
    return ext, "did not answer"


def _missed_call_task(db, contact: dict, call: dict, ended: float) -> None:
    from . import planner
    ext, reason = owner_state(db, contact["owner_id"], call["started_at"])
    planner.missed_call_task(db, contact_id=contact["id"], owner_id=contact["owner_id"],
                             number=call["number"], call_id=call["callid"],
                             at=call["started_at"], reason=reason)


# -- outbound calls -------------------------------------------------------------------------

def match_outbound_calls(db: sqlite_utils.Database, *, limit: int = ROUND_ROWS) -> int:
    """The CDR's outbound calls that ended since the last round whose number is a
    contact's -> crm_calls."""
    mark = int(get_setting(db, HWM_CDR, "0") or 0)
    rows = [dict(r) for r in db.query(
        "SELECT start, answer, end, dst, billsec, disposition, uniqueid, userfield, agent "
        "FROM report_cdr WHERE direction = 'out' AND start >= ? AND end >= ? "
        "ORDER BY end LIMIT ?", [mark - MAX_CALL_S, mark, limit])]
    if not rows:
        return 0
    matched = 0
    with transaction(db):
        for r in rows:
            contacts = contacts_for_number(db, r["dst"])
            if not contacts:
                continue
            call = {"callid": r["uniqueid"] or f"cdr-{r['start']}-{r['dst']}", "direction": "out",
                    "number": r["dst"], "started_at": r["start"],
                    "answered": r["disposition"] == "ANSWERED", "agent": r["agent"],
                    "talk_s": r["billsec"] if r["disposition"] == "ANSWERED" else 0,
                    "recording": _userfield(r["userfield"]).get("rec", "")}
            for contact in contacts:
                _upsert_call(db, contact["id"], call)
            matched += 1
        new_mark = rows[-1]["end"] if len(rows) == limit else rows[-1]["end"] + 1
        set_setting(db, HWM_CDR, str(new_mark))
    return matched


def _userfield(text: str) -> dict[str, str]:
    """Our CDR userfield '&rec=2026/11/26/1.wav&queue=...' -> {'rec': ..., ...}."""
    out = {}
    for part in (text or "").split("&"):
        key, sep, value = part.partition("=")
        if sep and key and value:
            out.setdefault(key, value)
    return out


# -- the recording on the note written during the call ------------------------------------

def attach_recordings(db: sqlite_utils.Database, now: float | None = None) -> int:
    """Notes written during a call get the call's recording once it is indexed: the
    recording of that very call (the caller's uniqueid is the call's linkedid), else the
    author's recording of a call with the contact's number around the note's time."""
    now = time.time() if now is None else now
    waiting = [dict(r) for r in db.query(
        "SELECT id, contact_id, call_id, agent, created_at FROM crm_notes "
        "WHERE call_id != '' AND recording_id IS NULL AND created_at >= ?",
        [now - NOTE_RECORDING_WAIT_S])]
    done = 0
    for note in waiting:
        rec = db.execute("SELECT id FROM recordings WHERE uniqueid = ?",
                         [note["call_id"]]).fetchone()
        if rec is None and note["agent"]:
            keys = [r[0] for r in db.execute(
                "SELECT match_key FROM crm_phones WHERE contact_id = ?", [note["contact_id"]])]
            for cand in db.query(
                    "SELECT id, caller, called FROM recordings WHERE agent = ? AND "
                    "started_at BETWEEN ? AND ? ORDER BY abs(started_at - ?)",
                    [note["agent"], note["created_at"] - 4 * 3600, note["created_at"] + 60,
                     note["created_at"]]):
                if match_key(cand["caller"]) in keys or match_key(cand["called"]) in keys:
                    rec = (cand["id"],)
                    break
        if rec is not None:
            with transaction(db):
                db.execute("UPDATE crm_notes SET recording_id = ? WHERE id = ? "
                           "AND recording_id IS NULL", [rec[0], note["id"]])
            done += 1
    return done


# -- contacts won in campaigns (CRM-8) ------------------------------------------------------

def take_handoff(db: sqlite_utils.Database, handoff_id: int) -> int | None:
    """Move one campaign hand-off into the CRM: the contact with the same number (in any
    format) gets the campaign's fields it does not have yet and the campaign as a tag, or a
    new contact is made; the campaign calls go on its timeline and the winning call's
    disposition and note become a note.  Returns the CRM contact id (None: already taken
    or gone)."""
    with transaction(db):
        row = db.execute("SELECT payload, created_at, created_by FROM crm_handoffs "
                         "WHERE id = ? AND taken_at IS NULL", [handoff_id]).fetchone()
        if row is None:
            return None
        payload = json.loads(row[0])
        created_at, by = row[1], row[2]
        person = payload.get("contact") or {}
        campaign = payload.get("campaign") or {}
        phone = person.get("phone") or ""
        fields = {str(k): str(v) for k, v in (person.get("fields") or {}).items()
                  if v not in (None, "")}
        fields = _as_custom_fields(db, fields)
        existing = contacts_for_number(db, phone)
        now = time.time()
        if existing:
            contact_id = existing[0]["id"]
            current = json.loads(db.execute("SELECT fields FROM crm_contacts WHERE id = ?",
                                            [contact_id]).fetchone()[0] or "{}")
            merged = {**fields, **current}
            db.execute("UPDATE crm_contacts SET fields = ?, updated_at = ? WHERE id = ?",
                       [json.dumps(merged, ensure_ascii=False), now, contact_id])
        else:
            name = (person.get("name") or "").strip() or phone
            owner = db.execute("SELECT id FROM users WHERE username = ?", [by]).fetchone()
            contact_id = db.conn.execute(
                "INSERT INTO crm_contacts (kind, name, owner_id, fields, source, created_at, "
                "created_by, updated_at) VALUES ('person', ?, ?, ?, 'campaign', ?, ?, ?)",
                [name[:200], owner[0] if owner else None,
                 json.dumps(fields, ensure_ascii=False), now, by, now]).lastrowid
            db.execute("INSERT INTO crm_phones (contact_id, label, number, match_key) "
                       "VALUES (?, 'mobile', ?, ?)", [contact_id, phone, match_key(phone)])
        tag = (campaign.get("title") or campaign.get("name") or "").strip()[:40]
        if tag:
            db.execute("INSERT OR IGNORE INTO crm_tags (contact_id, tag) VALUES (?, ?)",
                       [contact_id, tag])
        for c in payload.get("calls") or []:
            if not c.get("started_at"):
                continue
            talk = (c["ended_at"] - c["connected_at"]) if c.get("connected_at") and \
                c.get("ended_at") else 0
            _upsert_call(db, contact_id, {
                "callid": f"campaign-call-{c['id']}", "direction": "out", "number": phone,
                "started_at": c["started_at"], "answered": bool(c.get("connected_at")),
                "agent": c.get("agent") or "", "talk_s": max(0, int(talk)),
                "queue": c.get("campaign") or "", "campaign_id": c.get("campaign_id"),
                "recording": c.get("recording") or ""})
        lines = [f"Won in the campaign {campaign.get('title') or campaign.get('name') or ''}"
                 f" ({payload.get('disposition') or ''}) by {by}."]
        if payload.get("note"):
            lines.append(str(payload["note"]))
        author = db.execute("SELECT id FROM users WHERE username = ?", [by]).fetchone()
        db.execute("INSERT INTO crm_notes (contact_id, author_id, author, body, agent, "
                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [contact_id, author[0] if author else None, by or "campaign",
                    "\n".join(lines), payload.get("agent") or "", created_at, created_at])
        db.execute("UPDATE crm_handoffs SET taken_at = ?, crm_contact_id = ? WHERE id = ?",
                   [now, contact_id, handoff_id])
    return contact_id


def _as_custom_fields(db, fields: dict[str, str]) -> dict[str, str]:
    """The campaign's fields under the CRM's custom field names: a field the CRM does not
    have yet is added (text), so editing the contact later keeps it."""
    known = {r[0].lower(): r[0] for r in db.execute("SELECT name FROM crm_fields")}
    position = db.execute("SELECT coalesce(max(position), 0) FROM crm_fields").fetchone()[0]
    out = {}
    for name, value in fields.items():
        name = " ".join(name.split())[:40]
        if not name:
            continue
        if name.lower() not in known:
            position += 1
            db.execute("INSERT INTO crm_fields (name, kind, position) VALUES (?, 'text', ?)",
                       [name, position])
            known[name.lower()] = name
        out[known[name.lower()]] = value[:1000]
    return out


def take_handoffs(db: sqlite_utils.Database) -> int:
    """Every hand-off not taken yet (the hook at disposition time failed, or the panel was
    away); returns how many were taken."""
    ids = [r[0] for r in db.execute("SELECT id FROM crm_handoffs WHERE taken_at IS NULL "
                                    "ORDER BY id LIMIT 500")]
    taken = 0
    for hid in ids:
        try:
            if take_handoff(db, hid) is not None:
                taken += 1
        except Exception:   # noqa: BLE001 - one bad payload must not stop the others
            log.exception("campaign hand-off %s could not be moved into the CRM", hid)
    return taken


# -- the round ------------------------------------------------------------------------------

def sync(db: sqlite_utils.Database, now: float | None = None, *,
         send_email: Callable | None = None) -> dict:
    """One round of every CRM step; a failing step is logged and tried again next round."""
    now = time.time() if now is None else now
    from . import messages, planner
    steps: list[tuple[str, Callable[[], int]]] = [
        ("inbound", lambda: match_queue_calls(db)),
        ("outbound", lambda: match_outbound_calls(db)),
        ("recordings", lambda: attach_recordings(db, now)),
        ("handoffs", lambda: take_handoffs(db)),
        ("sms", lambda: messages.take_inbound_sms(db)),
        ("sms_status", lambda: messages.sync_sms_status(db)),
        ("reminders", lambda: planner.send_reminders(db, now, send_email)),
    ]
    done: dict = {}
    for name, step in steps:
        try:
            result = step()
            done[name] = result if isinstance(result, dict) else int(result or 0)
        except Exception:   # noqa: BLE001 - the loop goes on; the next round retries
            log.exception("CRM step %s failed; retrying next round", name)
            done[name] = -1
    return done
