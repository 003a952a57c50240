"""SMS campaigns (AUTO-3): a text with the contacts' {fields} sent to contact lists through
the GSM modems, with do-not-call honoured, a per-modem rate, delivery and replies.

- Store: `save_campaign` checks every field (placeholders against the attached lists'
  fields) before anything is written; `set_status` moves draft -> running <-> paused ->
  stopped (finished is set by `sync`).
- `preview`: the whole audience after do-not-call, each personalised text's encoding and
  parts (one Polish letter makes a message UCS-2: 70/67 characters a part instead of
  160/153), total parts and the cost estimate parts x price_per_part, and a sample text.
- `feed(db, now)`: materialises one sms_campaign_messages row per number of the running
  campaigns, skips do-not-call numbers (state 'dnc'), and inside the sending window queues
  due messages into sms_outbox (store.sms.queue_sms, purpose 'campaign') pinned to the
  ready modems round-robin, never more than per_modem_per_min per modem and minute (counted
  from queued_at of that campaign's messages in the last 60 s); messages waiting for a
  modem that is no longer ready (and not yet picked up) go back to be spread again.
- `sync(db)`: copies sms_outbox statuses back, finishes campaigns whose messages are all
  handed over or skipped, files replies (sms_inbox rows from a number the campaign wrote
  to within reply_days) and puts a number that replied STOP / NIE on the global
  do-not-call list.

jns-modemd calls `run(db)` (feed + sync) every few seconds.  This module never speaks AT
and knows nothing of Flask: the modem service sends, the panel only calls these functions.
"""
from __future__ import annotations

import csv
import json
import re
import time
import unicodedata
from typing import Any, Iterable, TextIO

import sqlite_utils

from ..hal import pdu
from ..store import sms as store_sms
from ..store.db import StoreError, set_setting, transaction
from . import campaigns as _campaigns
from . import lists

STATUSES = _campaigns.STATUSES   # the same life cycle's names; fewer ways back (below)
TRANSITIONS = {"draft": ("running",), "running": ("paused", "stopped"),
               "paused": ("running", "stopped"), "stopped": (), "finished": ()}
EDITABLE = ("draft", "paused")
MESSAGE_STATES = ("pending", "queued", "sent", "delivered", "failed", "dnc")
FINAL_STATES = ("sent", "delivered", "failed", "dnc")   # nothing left for the feeder to do
DEFAULTS: dict[str, Any] = {
    "title": "", "text": "", "window_start": "09:00", "window_end": "20:00",
    "weekdays": "12345", "per_modem_per_min": 6, "price_per_part": 0.0, "reply_days": 7,
}
PURPOSE = "campaign"
INBOX_SEEN_KEY = "smscamp.inbox_seen"
OPT_OUT_WORDS = ("STOP", "NIE")
MAX_TEXT = 1600
MAX_PRICE = 100.0
PLACEHOLDER_RE = re.compile(r"\{([^{}\n]{1,40})\}")

# Every refusal, fixed texts the panel translates (webui/i18n_smscamp.py)
E_NAME = "campaign name: 1-40 lowercase letters, digits, - and _"
E_EXISTS = "an SMS campaign with this name already exists"
E_TITLE = "title: at most 80 characters, one line"
E_TEXT = f"message text: 1 to {MAX_TEXT} characters"
E_TEXT_CONTROL = "message text: control characters are not allowed (line breaks are)"
E_PLACEHOLDER = "message text: {placeholder} is not a field of every attached list"
E_WINDOW_FORMAT = "sending window: times as HH:MM, e.g. 09:00"
E_WINDOW_ORDER = "sending window: the start must be before the end"
E_WEEKDAYS = "sending days: choose at least one day of the week"
E_RATE = "messages per modem and minute: a whole number from 1 to 60"
E_PRICE = f"price per SMS part: a number from 0 to {MAX_PRICE:g}"
E_REPLY_DAYS = "replies count for: a whole number of days from 1 to 90"
# the same words as the agent campaigns' (one translation each)
E_NO_LIST, E_STATUS = _campaigns.E_NO_LIST, _campaigns.E_STATUS
E_START_LISTS = _campaigns.E_START_LISTS
E_NO_CAMPAIGN = "no such SMS campaign"
E_TRANSITION = "this SMS campaign cannot go to that status from its current one"
E_NOT_EDITABLE = "only a draft or a paused SMS campaign can be changed"
E_UNKNOWN_FIELD = "SMS campaign: unknown field"
ERRORS = tuple(v for k, v in dict(globals()).items() if k.startswith("E_"))
# what the report says when a message went nowhere
WHY_DNC = "on the do-not-call list"
WHY_VANISHED = "the message was removed from the SMS queue"
WHY_CANNOT_SEND = "the personalised text cannot be sent as an SMS"


class PlaceholderError(StoreError):
    """A {placeholder} in the text that is not {name} or a field of every attached list."""

    def __init__(self, placeholder: str) -> None:
        self.placeholder = "{" + placeholder + "}"
        super().__init__(E_PLACEHOLDER.replace("{placeholder}", self.placeholder))


def _rows(cur) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# -- texts: placeholders, encoding, parts -------------------------------------------------------

def placeholders(text: str) -> list[str]:
    """The {names} in a text, each once, in order."""
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(text or "")))


def personalise(text: str, contact: dict) -> str:
    """{name} and the list's {fields} filled from the contact (a missing value: empty)."""
    values = dict(contact.get("fields") or {})
    values["name"] = contact.get("name") or ""
    return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), "")), text)


def text_info(text: str) -> dict[str, Any]:
    """How `text` goes out: characters, encoding (gsm7 / ucs2), parts, the characters per
    part, and the characters that forced UCS-2 (each once)."""
    try:
        encoding, texts = pdu.split(text)
        parts = len(texts) if text else 0
    except pdu.PduError:
        encoding, parts = "ucs2", None
    ucs2_chars = [ch for ch in dict.fromkeys(text) if pdu.encoding_for(ch) == "ucs2"]
    single, per_part = ((pdu.SINGLE_GSM7, pdu.PART_GSM7) if encoding == "gsm7"
                        else (pdu.SINGLE_UCS2, pdu.PART_UCS2))
    return {"chars": len(text), "encoding": encoding, "parts": parts, "single": single,
            "per_part": per_part, "ucs2_chars": ucs2_chars}


# -- the store ------------------------------------------------------------------------------------

def _hhmm(value: Any) -> str:
    text = str(value or "").strip()
    match = re.fullmatch(r"([01]?[0-9]|2[0-4]):([0-5][0-9])", text)
    if not match or (match[1] == "24" and match[2] != "00"):
        raise StoreError(E_WINDOW_FORMAT)
    return f"{int(match[1]):02d}:{match[2]}"


def _int(value: Any, error: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise StoreError(error) from None
    if not low <= number <= high:
        raise StoreError(error)
    return number


def list_fields(db: sqlite_utils.Database, list_ids: Iterable[int]) -> list[set[str]]:
    """Each list's own field names."""
    out = []
    for list_id in list_ids:
        row = db.execute("SELECT fields FROM contact_lists WHERE id = ?", [list_id]).fetchone()
        if row is None:
            raise StoreError(E_NO_LIST)
        out.append(set(json.loads(row[0] or "[]")))
    return out


def check_text(db: sqlite_utils.Database, text: Any, list_ids: Iterable[int]) -> str:
    """The text as stored (CR LF -> LF), or the StoreError saying what is wrong with it:
    its length, a control character, a placeholder that is not {name} or a field of every
    attached list."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() or len(text) > MAX_TEXT:
        raise StoreError(E_TEXT)
    if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text):
        raise StoreError(E_TEXT_CONTROL)
    fields = list_fields(db, list_ids)
    for name in placeholders(text):
        if name != "name" and (not fields or not all(name in f for f in fields)):
            raise PlaceholderError(name)
    return text


def _checked(db: sqlite_utils.Database, row: dict[str, Any], list_ids: list[int]) -> dict:
    out = dict(row)
    out["title"] = str(out["title"] or "").strip()
    if len(out["title"]) > 80 or any(unicodedata.category(ch) == "Cc" for ch in out["title"]):
        raise StoreError(E_TITLE)
    out["text"] = check_text(db, out["text"], list_ids)
    for key in ("window_start", "window_end"):
        out[key] = _hhmm(out[key])
    if out["window_start"] >= out["window_end"]:
        raise StoreError(E_WINDOW_ORDER)
    days = "".join(sorted(set(str(out["weekdays"] or ""))))
    if not days or not re.fullmatch(r"[1-7]+", days):
        raise StoreError(E_WEEKDAYS)
    out["weekdays"] = days
    out["per_modem_per_min"] = _int(out["per_modem_per_min"], E_RATE, 1, 60)
    out["reply_days"] = _int(out["reply_days"], E_REPLY_DAYS, 1, 90)
    try:
        price = float(str(out["price_per_part"]).strip().replace(",", ".") or 0)
    except ValueError:
        raise StoreError(E_PRICE) from None
    if not 0 <= price <= MAX_PRICE or price != price:
        raise StoreError(E_PRICE)
    out["price_per_part"] = price
    return out


def save_campaign(db: sqlite_utils.Database, name: str, *, user: str = "",
                  lists: Iterable[int] | None = None, **fields: Any) -> int:
    """Create the SMS campaign `name` or change the fields given (a draft or a paused one
    only); `lists` replaces its contact lists.  Every rule is checked before anything is
    written: one transaction."""
    name = (name or "").strip()
    if not re.fullmatch(r"[a-z0-9_-]{1,40}", name):
        raise StoreError(E_NAME)
    unknown = set(fields) - set(DEFAULTS)
    if unknown:
        raise StoreError(f"{E_UNKNOWN_FIELD}: {', '.join(sorted(unknown))}")
    try:
        list_ids = None if lists is None else sorted({int(i) for i in lists})
    except (TypeError, ValueError):
        raise StoreError(E_NO_LIST) from None
    with transaction(db):
        old = campaign(db, name)
        if old and old["status"] not in EDITABLE:
            raise StoreError(E_NOT_EDITABLE)
        row = {k: (old[k] if old else v) for k, v in DEFAULTS.items()}
        row.update(fields)
        if list_ids is None:
            list_ids = old["lists"] if old else []
        row = _checked(db, row, list_ids)
        now = time.time()
        if old:
            db.conn.execute("UPDATE sms_campaigns SET " + ", ".join(f"{c} = ?" for c in row)
                            + ", updated_at = ? WHERE id = ?", [*row.values(), now, old["id"]])
            cid = old["id"]
        else:
            cid = db.conn.execute(
                f"INSERT INTO sms_campaigns (name, {', '.join(row)}, created_at, created_by, "
                f"updated_at) VALUES (?, {', '.join('?' for _ in row)}, ?, ?, ?)",
                [name, *row.values(), now, user or "", now]).lastrowid
        db.conn.execute("DELETE FROM sms_campaign_lists WHERE campaign_id = ?", [cid])
        for list_id in list_ids:
            db.conn.execute("INSERT INTO sms_campaign_lists (campaign_id, list_id) VALUES (?, ?)",
                            [cid, list_id])
    return cid


def campaign(db: sqlite_utils.Database, key: int | str) -> dict | None:
    """One campaign by id or name, with `lists` (ids) and `list_names`."""
    col = "id" if isinstance(key, int) else "name"
    rows = _rows(db.execute(f"SELECT * FROM sms_campaigns WHERE {col} = ?", [key]))
    if not rows:
        return None
    row = rows[0]
    attached = db.execute("SELECT l.id, l.name FROM sms_campaign_lists s JOIN contact_lists l "
                          "ON l.id = s.list_id WHERE s.campaign_id = ? ORDER BY l.name",
                          [row["id"]]).fetchall()
    row["lists"] = [r[0] for r in attached]
    row["list_names"] = [r[1] for r in attached]
    return row


def campaigns(db: sqlite_utils.Database) -> list[dict]:
    """Every SMS campaign, newest first, with its message counts by state."""
    rows = _rows(db.execute("SELECT * FROM sms_campaigns ORDER BY created_at DESC, id DESC"))
    for row in rows:
        row["progress"] = progress(db, row["id"])
    return rows


def can_go(status: str, new: str) -> bool:
    return new in TRANSITIONS.get(status, ())


def set_status(db: sqlite_utils.Database, cid: int, status: str) -> None:
    """Start, pause, resume or stop.  Starting checks the lists and the text again (a
    list's fields may have changed); pausing and stopping take back the messages queued
    for a modem but not yet picked up, so nothing more goes out."""
    if status not in STATUSES:
        raise StoreError(E_STATUS)
    with transaction(db):
        row = campaign(db, cid)
        if row is None:
            raise StoreError(E_NO_CAMPAIGN)
        if not can_go(row["status"], status):
            raise StoreError(E_TRANSITION)
        now = time.time()
        if status == "running":
            if not audience_size(db, cid):
                raise StoreError(E_START_LISTS)
            check_text(db, row["text"], row["lists"])
            db.conn.execute("UPDATE sms_campaigns SET status = 'running', started_at = "
                            "coalesce(started_at, ?), updated_at = ? WHERE id = ?",
                            [now, now, cid])
            return
        _take_back_unsent(db, cid)
        db.conn.execute("UPDATE sms_campaigns SET status = ?, updated_at = ?, finished_at = "
                        "CASE WHEN ? = 'stopped' THEN ? ELSE finished_at END WHERE id = ?",
                        [status, now, status, now, cid])


def _take_back_unsent(db: sqlite_utils.Database, cid: int,
                      except_modems: list[int] | None = None) -> int:
    """Inside a transaction: this campaign's outbox rows no modem holds now and of which
    the network has no part yet go away, their messages back to pending (a modem claims a
    row atomically, so a row is either taken back here or sent, never both).  With
    `except_modems`, only rows pinned to other modems (ones no longer ready)."""
    where, args = "", [cid]
    if except_modems is not None:
        where = f" AND m.modem_id NOT IN ({', '.join('?' for _ in except_modems)})"
        args += except_modems
    rows = db.execute("SELECT m.id, m.outbox_id FROM sms_campaign_messages m JOIN sms_outbox o "
                      "ON o.id = m.outbox_id WHERE m.campaign_id = ? AND m.state = 'queued' "
                      "AND o.status = 'queued' AND NOT EXISTS (SELECT 1 FROM sms_parts p "
                      "WHERE p.outbox_id = o.id AND p.mr IS NOT NULL)" + where, args).fetchall()
    for message_id, outbox_id in rows:
        if db.conn.execute("DELETE FROM sms_outbox WHERE id = ? AND status = 'queued'",
                           [outbox_id]).rowcount:
            db.conn.execute("UPDATE sms_campaign_messages SET state = 'pending', outbox_id = NULL, "
                            "modem_id = NULL, queued_at = NULL WHERE id = ?", [message_id])
    return len(rows)


# -- the audience and the preview -----------------------------------------------------------------

_AUDIENCE = ("SELECT c.id, c.phone, c.name, c.fields FROM contacts c WHERE c.id IN ("
             "SELECT min(k.id) FROM contacts k JOIN sms_campaign_lists s ON s.list_id = k.list_id "
             "WHERE s.campaign_id = ? GROUP BY k.phone) ORDER BY c.id")


def audience(db: sqlite_utils.Database, cid: int) -> list[dict]:
    """One contact per number of the campaign's lists (the first one when a number is on
    two lists): id, phone, name, fields."""
    out = []
    for contact_id, phone, name, fields in db.execute(_AUDIENCE, [cid]):
        out.append({"id": contact_id, "phone": phone, "name": name,
                    "fields": json.loads(fields or "{}")})
    return out


def audience_size(db: sqlite_utils.Database, cid: int) -> int:
    return db.execute("SELECT count(DISTINCT k.phone) FROM contacts k JOIN sms_campaign_lists s "
                      "ON s.list_id = k.list_id WHERE s.campaign_id = ?", [cid]).fetchone()[0]


def _global_dnc(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT phone FROM dnc WHERE campaign_id IS NULL")}


def preview(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
    """What sending now would do, over the whole audience: recipients, numbers skipped by
    do-not-call, messages in GSM 7-bit and in UCS-2 (with the characters that forced it),
    total parts, the cost estimate and one personalised sample."""
    row = campaign(db, cid)
    if row is None:
        raise StoreError(E_NO_CAMPAIGN)
    blocked = _global_dnc(db)
    out: dict[str, Any] = {"audience": 0, "recipients": 0, "dnc": 0, "gsm7": 0, "ucs2": 0,
                           "parts": 0, "too_long": 0, "max_parts": 0, "ucs2_chars": [],
                           "price_per_part": row["price_per_part"], "sample": None,
                           "template": text_info(row["text"])}
    forced: dict[str, None] = {}
    for contact in audience(db, cid):
        out["audience"] += 1
        if contact["phone"] in blocked:
            out["dnc"] += 1
            continue
        out["recipients"] += 1
        text = personalise(row["text"], contact)
        info = text_info(text)
        if info["parts"] is None or len(text) > MAX_TEXT:
            out["too_long"] += 1
            continue
        out[info["encoding"]] += 1
        out["parts"] += info["parts"]
        out["max_parts"] = max(out["max_parts"], info["parts"])
        forced.update(dict.fromkeys(info["ucs2_chars"]))
        if out["sample"] is None:
            out["sample"] = {"phone": contact["phone"], "name": contact["name"], "text": text,
                             **info}
    out["ucs2_chars"] = list(forced)[:40]
    out["cost"] = round(out["parts"] * row["price_per_part"], 2)
    return out


# -- the feeder ---------------------------------------------------------------------------------

def in_window(row: dict, now: float) -> bool:
    """Inside the campaign's weekdays and daily window, in the box's local time."""
    lt = time.localtime(now)
    if str(lt.tm_wday + 1) not in row["weekdays"]:
        return False
    return row["window_start"] <= time.strftime("%H:%M", lt) < row["window_end"]


def ready_modems(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM modems WHERE state = 'ready' ORDER BY id")]


# campaign id -> its lists' contacts (list, count, highest id) when last materialised: the
# modem service's round every few seconds skips the work while nothing was added
_materialised: dict[int, tuple] = {}


def _audience_changed(db: sqlite_utils.Database, cid: int) -> tuple | None:
    """The lists' signature when it differs from the last materialised one, else None."""
    made = db.execute("SELECT created_at FROM sms_campaigns WHERE id = ?", [cid]).fetchone()
    sig = (made, *db.execute(   # created_at: a deleted campaign's id may come back
        "SELECT s.list_id, count(k.id), max(k.id) FROM sms_campaign_lists s LEFT JOIN "
        "contacts k ON k.list_id = s.list_id WHERE s.campaign_id = ? GROUP BY s.list_id "
        "ORDER BY s.list_id", [cid]).fetchall())
    return None if _materialised.get(cid) == sig else sig


def materialise(db: sqlite_utils.Database, cid: int) -> int:
    """One pending message per number of the campaign's lists (numbers added to a list
    later join in); numbers on the global do-not-call list are marked 'dnc'.  Returns how
    many messages were added."""
    with transaction(db):
        added = db.conn.execute(
            "INSERT OR IGNORE INTO sms_campaign_messages (campaign_id, contact_id, phone) "
            "SELECT ?, min(k.id), k.phone FROM contacts k JOIN sms_campaign_lists s "
            "ON s.list_id = k.list_id WHERE s.campaign_id = ? GROUP BY k.phone",
            [cid, cid]).rowcount
        db.conn.execute("UPDATE sms_campaign_messages SET state = 'dnc', error = ? "
                        "WHERE campaign_id = ? AND state = 'pending' AND phone IN "
                        "(SELECT phone FROM dnc WHERE campaign_id IS NULL)", [WHY_DNC, cid])
    return added


def _slots(db: sqlite_utils.Database, row: dict, modems: list[int], now: float) -> list[int]:
    """Modem ids in round-robin order, each as often as it may still take a message of this
    campaign in the current minute (per_modem_per_min minus what it got in the last 60 s)."""
    room = {}
    for mid in modems:
        used = db.execute("SELECT count(*) FROM sms_campaign_messages WHERE campaign_id = ? "
                          "AND modem_id = ? AND queued_at > ?",
                          [row["id"], mid, now - 60]).fetchone()[0]
        room[mid] = max(0, row["per_modem_per_min"] - used)
    order = sorted(modems, key=lambda m: (-room[m], m))
    slots = []
    for turn in range(max(room.values(), default=0)):
        slots += [m for m in order if room[m] > turn]
    return slots


def feed(db: sqlite_utils.Database, now: float | None = None) -> dict[str, int]:
    """One round for every running campaign: materialise, then queue what the window and
    the per-modem rate allow.  Safe to run from two processes at once (each campaign's
    round is one transaction).  Returns {campaign name: messages queued}."""
    now = time.time() if now is None else now
    done: dict[str, int] = {}
    for (cid,) in db.execute("SELECT id FROM sms_campaigns WHERE status = 'running' "
                             "ORDER BY id").fetchall():
        sig = _audience_changed(db, cid)
        if sig is not None:
            materialise(db, cid)
            _materialised[cid] = sig
        row = campaign(db, cid)
        if row is None or row["status"] != "running" or not in_window(row, now):
            continue
        modems = ready_modems(db)
        if not modems:
            done[row["name"]] = 0          # the panel says: no modem ready, nothing is sent
            continue
        with transaction(db):
            if db.execute("SELECT status FROM sms_campaigns WHERE id = ?",
                          [cid]).fetchone()[0] != "running":
                continue                    # paused from the panel a moment ago
            _take_back_unsent(db, cid, except_modems=modems)   # a modem went away: re-spread
            slots = _slots(db, row, modems, now)
            due = db.execute(
                "SELECT m.id, m.phone, c.name, c.fields FROM sms_campaign_messages m "
                "LEFT JOIN contacts c ON c.id = m.contact_id WHERE m.campaign_id = ? AND "
                "m.state = 'pending' ORDER BY m.id LIMIT ?", [cid, len(slots)]).fetchall()
            for (message_id, phone, name, fields), modem_id in zip(due, slots):
                _queue_one(db, row, message_id, phone, name, fields, modem_id, now)
        done[row["name"]] = len(due)
    return done


def _queue_one(db, row, message_id, phone, name, fields, modem_id, now) -> None:
    if lists.dnc_blocked(db, phone, None):      # put on the list a moment ago
        db.conn.execute("UPDATE sms_campaign_messages SET state = 'dnc', error = ? "
                        "WHERE id = ?", [WHY_DNC, message_id])
        return
    text = personalise(row["text"], {"name": name or "",
                                     "fields": json.loads(fields or "{}")})
    info = text_info(text)
    try:
        if info["parts"] is None:
            raise StoreError(WHY_CANNOT_SEND)
        outbox_id = store_sms.queue_sms(db, phone, text, purpose=PURPOSE, modem_id=modem_id)
    except StoreError as exc:
        db.conn.execute("UPDATE sms_campaign_messages SET state = 'failed', text = ?, error = ? "
                        "WHERE id = ?", [text, str(exc), message_id])
        return
    db.conn.execute(
        "UPDATE sms_campaign_messages SET state = 'queued', outbox_id = ?, modem_id = ?, "
        "queued_at = ?, text = ?, encoding = ?, parts = ? WHERE id = ?",
        [outbox_id, modem_id, now, text, info["encoding"], info["parts"], message_id])


# -- sync: statuses, finishing, replies ---------------------------------------------------------

def sync(db: sqlite_utils.Database, now: float | None = None) -> dict[str, int]:
    """Bring the messages up to date from the outbox, finish campaigns with nothing left,
    file replies.  Returns counts of what changed."""
    now = time.time() if now is None else now
    return {"statuses": sync_statuses(db), "finished": finish_done(db, now),
            "replies": take_replies(db)}


def sync_statuses(db: sqlite_utils.Database) -> int:
    """Copy sms_outbox's sent / delivered / failed (and the error) onto the messages."""
    rows = db.execute(
        "SELECT m.id, m.state, o.status, o.sent_at, o.delivered_at, o.error, o.parts, "
        "o.encoding, m.outbox_id FROM sms_campaign_messages m LEFT JOIN sms_outbox o "
        "ON o.id = m.outbox_id WHERE m.state IN ('queued', 'sent')").fetchall()
    changed = 0
    with transaction(db):
        for mid, state, status, sent_at, delivered_at, error, parts, encoding, oid in rows:
            if oid is None:
                new, error = "failed", WHY_VANISHED
            elif status in ("queued", "sending"):
                continue
            else:
                new = status
            if new == state:
                continue
            db.conn.execute(
                "UPDATE sms_campaign_messages SET state = ?, sent_at = coalesce(?, sent_at), "
                "delivered_at = ?, error = ?, parts = CASE WHEN ? > 0 THEN ? ELSE parts END, "
                "encoding = coalesce(?, encoding) WHERE id = ?",
                [new, sent_at, delivered_at if new == "delivered" else None,
                 (error or "") if new == "failed" else "", parts or 0, parts or 0, encoding,
                 mid])
            changed += 1
    return changed


def finish_done(db: sqlite_utils.Database, now: float) -> int:
    """Running campaigns whose every message is handed to the network or skipped (and
    whose audience is all there) become 'finished'."""
    done = 0
    for (cid,) in db.execute("SELECT id FROM sms_campaigns WHERE status = 'running'").fetchall():
        open_ = db.execute("SELECT count(*) FROM sms_campaign_messages WHERE campaign_id = ? "
                           "AND state IN ('pending', 'queued')", [cid]).fetchone()[0]
        total = db.execute("SELECT count(*) FROM sms_campaign_messages WHERE campaign_id = ?",
                           [cid]).fetchone()[0]
        if open_ or total < audience_size(db, cid):
            continue
        with transaction(db):
            done += db.conn.execute("UPDATE sms_campaigns SET status = 'finished', "
                                    "finished_at = ?, updated_at = ? WHERE id = ? AND "
                                    "status = 'running'", [now, now, cid]).rowcount
    return done


def is_opt_out(text: str) -> bool:
    """STOP or NIE, in any case, with any spaces and punctuation around or inside."""
    return re.sub(r"[\W_]+", "", text or "").upper() in OPT_OUT_WORDS


def take_replies(db: sqlite_utils.Database) -> int:
    """File inbox rows newer than the high-water mark (setting smscamp.inbox_seen) under the
    campaign that last wrote to the sender before the message came, if within its
    reply_days; a STOP / NIE reply puts the number on the global do-not-call list."""
    rows = store_sms.received_after(db, INBOX_SEEN_KEY)
    if not rows:
        return 0
    added = 0
    with transaction(db):
        for inbox_id, sender, text, received_at, _complete in rows:
            key = re.sub(r"\D", "", sender or "")[-9:]
            if len(key) < 6:
                continue
            hit = db.execute(
                "SELECT m.id, m.campaign_id, m.phone, c.name FROM sms_campaign_messages m "
                "JOIN sms_campaigns c ON c.id = m.campaign_id WHERE substr(m.phone, -9) = ? "
                "AND m.queued_at IS NOT NULL AND m.queued_at <= ? AND m.state != 'failed' "
                "AND ? <= m.queued_at + c.reply_days * 86400 ORDER BY m.queued_at DESC LIMIT 1",
                [key, received_at, received_at]).fetchone()
            if hit is None:
                continue
            message_id, cid, phone, name = hit
            opt_out = is_opt_out(text)
            added += db.conn.execute(
                "INSERT OR IGNORE INTO sms_campaign_replies (campaign_id, message_id, inbox_id, "
                "phone, text, opt_out, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [cid, message_id, inbox_id, phone, text, int(opt_out), received_at]).rowcount
            if opt_out:
                lists.dnc_add(db, phone, None, note=f"replied {text.strip()[:20]!r} to the SMS "
                              f"campaign {name}", user="sms-campaign")
        set_setting(db, INBOX_SEEN_KEY, str(rows[-1][0]))
    return added


def run(db: sqlite_utils.Database, now: float | None = None) -> dict:
    """One round of the modem service: feed, then sync."""
    return {"queued": feed(db, now), **sync(db, now)}


# -- progress and the report -------------------------------------------------------------------

def progress(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
    """Messages by state, the total (the audience until the feeder has run), how many are
    finished (sent, delivered, failed or skipped), replies and opt-outs."""
    counts = dict.fromkeys(MESSAGE_STATES, 0)
    for state, n in db.execute("SELECT state, count(*) FROM sms_campaign_messages "
                               "WHERE campaign_id = ? GROUP BY state", [cid]):
        counts[state] = n
    made = sum(counts.values())
    total = max(made, audience_size(db, cid))
    replies, opt_outs = db.execute("SELECT count(*), coalesce(sum(opt_out), 0) FROM "
                                   "sms_campaign_replies WHERE campaign_id = ?",
                                   [cid]).fetchone()
    counts["pending"] += total - made
    finished = sum(counts[s] for s in FINAL_STATES)
    return {**counts, "total": total, "finished": finished, "replies": replies,
            "opt_outs": opt_outs,
            "percent": round(100.0 * finished / total, 1) if total else 0.0}


REPORT_COLUMNS = ("phone", "name", "state", "encoding", "parts", "modem", "queued_at",
                  "sent_at", "delivered_at", "error", "reply", "replied_at", "opt_out")


def report(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
    """Per number: state, parts, modem, when queued / sent / delivered, error, the last
    reply; and the totals with the cost of the parts handed to the network."""
    row = campaign(db, cid)
    if row is None:
        raise StoreError(E_NO_CAMPAIGN)
    numbers = _rows(db.execute(
        "SELECT m.id, m.phone, coalesce(c.name, '') AS name, m.state, m.encoding, m.parts, "
        "coalesce(nullif(d.name, ''), d.port, '') AS modem, m.queued_at, m.sent_at, "
        "m.delivered_at, "
        "m.error, m.text, r.text AS reply, r.received_at AS replied_at, "
        "coalesce(r.opt_out, 0) AS opt_out FROM sms_campaign_messages m "
        "LEFT JOIN contacts c ON c.id = m.contact_id LEFT JOIN modems d ON d.id = m.modem_id "
        "LEFT JOIN sms_campaign_replies r ON r.id = (SELECT max(id) FROM sms_campaign_replies "
        "WHERE message_id = m.id) WHERE m.campaign_id = ? ORDER BY m.id", [cid]))
    replies = _rows(db.execute("SELECT phone, text, opt_out, received_at FROM "
                               "sms_campaign_replies WHERE campaign_id = ? ORDER BY "
                               "received_at DESC, id DESC", [cid]))
    p = progress(db, cid)
    parts = sum(n["parts"] or 0 for n in numbers if n["state"] in ("queued", "sent",
                                                                    "delivered"))
    return {"campaign": row, "numbers": numbers, "replies": replies, "totals": p,
            "parts": parts, "cost": round(parts * row["price_per_part"], 2)}


def write_csv(rep: dict, out: TextIO, translate=lambda s: s) -> None:
    """The report's numbers as CSV (`translate` gives the header and states in the page's
    language); times as YYYY-MM-DD HH:MM:SS in the box's time zone."""
    def when(t):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""
    w = csv.writer(out)
    w.writerow([translate(f"smscamp_col:{c}") for c in REPORT_COLUMNS])
    for n in rep["numbers"]:
        w.writerow([n["phone"], csv_safe(n["name"]), translate(f"smscamp_state:{n['state']}"),
                    n["encoding"], n["parts"], csv_safe(n["modem"]), when(n["queued_at"]),
                    when(n["sent_at"]), when(n["delivered_at"]), csv_safe(n["error"]),
                    csv_safe(n["reply"]), when(n["replied_at"]), int(n["opt_out"] or 0)])


def csv_safe(value: Any) -> str:
    """No formula injection when the file is opened in a spreadsheet: a reply is written by
    anyone with a phone."""
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
