"""E-mail and SMS to and from a contact (CRM-2): message templates, sending, delivery, inbox.

- E-mail goes through the SMTP server the admin set for alerts (store.alerts notify
  settings, sent by watchdog.notify.send_email).  A crm_messages row is written 'queued'
  before the server is asked, then 'sent' or 'failed' with the server's reason, so a
  failure stays on the contact's timeline.  Subject and address never hold CR/LF: no
  header injection.
- SMS goes into the modem service's outbox (store.sms.queue_sms, purpose 'crm') in the same
  transaction as its crm_messages row; `sync_sms_status` copies the outbox's status
  (sent, delivered by the network's report, failed) onto the row.
- Inbound SMS: `take_inbound_sms` files complete sms_inbox rows under every contact whose
  phone has the sender's match key (a periodic job calls it; idempotent).
- Templates: {name}, {company}, {agent}, {date} are filled on use; an unknown placeholder
  stays visible and is reported, never an error.

This module never speaks AT, never opens a socket except through `send` (SMTP) and knows
nothing of Flask.
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable

import sqlite_utils

from ..store import alerts as store_alerts
from ..store import sms as store_sms
from ..store.db import StoreError, set_setting, transaction

from .contacts import match_key

CHANNELS = ("email", "sms")
PLACEHOLDERS = ("name", "company", "agent", "date")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
EMAIL_RE = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"'.]+$")
MAX_SUBJECT = 200
MAX_BODY = 50_000
SEEN_KEY = "crm.sms_inbox_seen"
# fixed texts (the panel shows them in Polish: webui/i18n_crm_work.py)
NO_SMTP = "no SMTP server is set: an admin sets it on the alarms page (notifications)"
BAD_ADDRESS = "not an e-mail address"
NOT_CONTACTS_ADDRESS = ("this address is not one of the contact's: tick \"save it on the "
                        "contact\" to use a new one")
NOT_CONTACTS_NUMBER = ("this number is not one of the contact's: tick \"save it on the "
                       "contact\" to use a new one")
NEWLINE_IN_SUBJECT = "the subject must be one line (no line breaks)"
SUBJECT_LENGTH = f"the subject must be 1 to {MAX_SUBJECT} characters"
BODY_LENGTH = f"the message must be 1 to {MAX_BODY} characters"
NO_CONTACT = "no such contact"
TEMPLATE_NAME = "a template's name is 1 to 60 characters"
TEMPLATE_BODY = "a template needs a text"
TEMPLATE_EXISTS = "a template with this name already exists"
NO_TEMPLATE = "no such template"

_MSG_COLS = ("id, contact_id, channel, direction, address, subject, body, status, error, "
             "sms_outbox_id, sms_inbox_id, user, at")


def _rows(cur) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _contact(db: sqlite_utils.Database, contact_id: int) -> dict:
    rows = _rows(db.execute(
        "SELECT c.id, c.kind, c.name, co.name AS company FROM crm_contacts c "
        "LEFT JOIN crm_contacts co ON co.id = c.company_id WHERE c.id = ?", [contact_id]))
    if not rows:
        raise StoreError(NO_CONTACT)
    row = rows[0]
    if row["kind"] == "company" and not row["company"]:
        row["company"] = row["name"]
    return row


# -- templates -------------------------------------------------------------------------------

def fill(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """Put `values` in for their {placeholders}; unknown ones stay as typed and are listed."""
    unknown: list[str] = []

    def put(m: re.Match) -> str:
        if m.group(1) in values:
            return values[m.group(1)]
        if m.group(1) not in unknown:
            unknown.append(m.group(1))
        return m.group(0)

    return PLACEHOLDER_RE.sub(put, text or ""), unknown


def placeholder_values(db: sqlite_utils.Database, contact_id: int, user: dict,
                       now: float | None = None) -> dict[str, str]:
    """{name}: the contact; {company}: their company (a company: itself); {agent}: the
    sending user's agent name, else their user name; {date}: today, local time."""
    contact = _contact(db, contact_id)
    agent = db.execute("SELECT a.name FROM users u JOIN agents a ON a.id = u.agent_id "
                       "WHERE u.id = ?", [user.get("id")]).fetchone()
    return {"name": contact["name"], "company": contact["company"] or "",
            "agent": agent[0] if agent else user.get("username", ""),
            "date": time.strftime("%Y-%m-%d", time.localtime(now or time.time()))}


def message_templates(db: sqlite_utils.Database, channel: str | None = None) -> list[dict]:
    sql, args = "SELECT id, channel, name, subject, body FROM crm_message_templates", []
    if channel:
        sql += " WHERE channel = ?"
        args.append(channel)
    return _rows(db.execute(sql + " ORDER BY channel, name COLLATE NOCASE", args))


def message_template(db: sqlite_utils.Database, template_id: int) -> dict | None:
    rows = _rows(db.execute("SELECT id, channel, name, subject, body FROM "
                            "crm_message_templates WHERE id = ?", [template_id]))
    return rows[0] if rows else None


def save_message_template(db: sqlite_utils.Database, *, channel: str, name: str,
                          subject: str = "", body: str, template_id: int | None = None) -> int:
    """Create (template_id None) or change a template; StoreError with what is wrong."""
    if channel not in CHANNELS:
        raise StoreError(f"channel is one of {', '.join(CHANNELS)}")
    name = (name or "").strip()
    subject = (subject or "").strip() if channel == "email" else ""
    body = (body or "").replace("\r\n", "\n")
    if not 1 <= len(name) <= 60:
        raise StoreError(TEMPLATE_NAME)
    if not body.strip():
        raise StoreError(TEMPLATE_BODY)
    _check_subject(subject, required=False)
    with transaction(db):
        clash = db.execute("SELECT id FROM crm_message_templates WHERE channel = ? AND name = ? "
                           "AND id IS NOT ?", [channel, name, template_id]).fetchone()
        if clash:
            raise StoreError(TEMPLATE_EXISTS)
        if template_id is None:
            return db.conn.execute(
                "INSERT INTO crm_message_templates (channel, name, subject, body) "
                "VALUES (?, ?, ?, ?)", [channel, name, subject, body]).lastrowid
        cur = db.conn.execute("UPDATE crm_message_templates SET channel = ?, name = ?, "
                              "subject = ?, body = ? WHERE id = ?",
                              [channel, name, subject, body, template_id])
        if cur.rowcount != 1:
            raise StoreError(NO_TEMPLATE)
        return template_id


def delete_message_template(db: sqlite_utils.Database, template_id: int) -> None:
    with transaction(db):
        db.conn.execute("DELETE FROM crm_message_templates WHERE id = ?", [template_id])


def use_template(db: sqlite_utils.Database, template_id: int, contact_id: int,
                 user: dict) -> dict:
    """A template filled for this contact: {subject, body, unknown: [placeholder, ...]}."""
    tpl = message_template(db, template_id)
    if tpl is None:
        raise StoreError(NO_TEMPLATE)
    values = placeholder_values(db, contact_id, user)
    subject, u1 = fill(tpl["subject"], values)
    body, u2 = fill(tpl["body"], values)
    return {"channel": tpl["channel"], "subject": subject, "body": body,
            "unknown": u1 + [u for u in u2 if u not in u1]}


# -- e-mail ----------------------------------------------------------------------------------

def _check_subject(subject: str, *, required: bool = True) -> None:
    if "\r" in subject or "\n" in subject:
        raise StoreError(NEWLINE_IN_SUBJECT)
    if len(subject) > MAX_SUBJECT or (required and not subject.strip()):
        raise StoreError(SUBJECT_LENGTH)


def check_address(address: str) -> str:
    """A plain address (no name, no CR/LF, no second recipient), lower-cased domain kept."""
    address = (address or "").strip()
    if not EMAIL_RE.match(address) or len(address) > 254:
        raise StoreError(BAD_ADDRESS)
    return address


def contact_addresses(db: sqlite_utils.Database, contact_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT address FROM crm_emails WHERE contact_id = ? "
                                     "ORDER BY id", [contact_id])]


def contact_numbers(db: sqlite_utils.Database, contact_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT number FROM crm_phones WHERE contact_id = ? "
                                     "ORDER BY id", [contact_id])]


def smtp_ready(db: sqlite_utils.Database) -> bool:
    return bool(store_alerts.notify_settings(db)["smtp_host"])


def _default_send(settings: dict, password: str, to: list[str], subject: str, body: str, *,
                  timeout: float = 15.0) -> None:
    from ..watchdog.notify import send_email
    send_email(settings, password, to, subject, body, timeout=timeout)


def send_email_to_contact(db: sqlite_utils.Database, user: dict, contact_id: int, address: str,
                          subject: str, body: str, *, template_id: int | None = None,
                          save_address: bool = False, send: Callable | None = None,
                          timeout: float = 15.0, now: float | None = None) -> dict:
    """Send one e-mail to the contact now; returns its crm_messages row ('sent' or 'failed'
    with the server's reason in `error`).  StoreError (nothing written) when the input is
    wrong or no SMTP server is set.  With `template_id`, an empty subject or body is taken
    from that template; placeholders are filled in both either way."""
    _contact(db, contact_id)
    contact_addrs = contact_addresses(db, contact_id)
    address = check_address(address)
    known = address.lower() in (a.lower() for a in contact_addrs)
    if not known and not save_address:
        raise StoreError(NOT_CONTACTS_ADDRESS)
    if template_id is not None and (not (subject or "").strip() or not (body or "").strip()):
        tpl = message_template(db, template_id)
        if tpl is None or tpl["channel"] != "email":
            raise StoreError(NO_TEMPLATE)
        subject = subject if (subject or "").strip() else tpl["subject"]
        body = body if (body or "").strip() else tpl["body"]
    values = placeholder_values(db, contact_id, user, now)
    subject = fill((subject or "").strip(), values)[0]
    body = fill((body or "").replace("\r\n", "\n"), values)[0]
    _check_subject(subject)
    if not body.strip() or len(body) > MAX_BODY:
        raise StoreError(BODY_LENGTH)
    settings = store_alerts.notify_settings(db)
    if not settings["smtp_host"]:
        raise StoreError(NO_SMTP)
    at = now or time.time()
    with transaction(db):
        if not known:
            db.conn.execute("INSERT OR IGNORE INTO crm_emails (contact_id, label, address) "
                            "VALUES (?, '', ?)", [contact_id, address])
        msg_id = db.conn.execute(
            "INSERT INTO crm_messages (contact_id, channel, direction, address, subject, body, "
            "status, user, at) VALUES (?, 'email', 'out', ?, ?, ?, 'queued', ?, ?)",
            [contact_id, address, subject, body, user.get("username", ""), at]).lastrowid
    status, error = "sent", ""
    try:
        (send or _default_send)(settings, store_alerts.smtp_password(db), [address], subject,
                                body, timeout=timeout)
    except Exception as exc:   # the server's reason goes on the timeline
        status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
    with transaction(db):
        db.conn.execute("UPDATE crm_messages SET status = ?, error = ? WHERE id = ?",
                        [status, error, msg_id])
    return message(db, msg_id)


# -- SMS -------------------------------------------------------------------------------------

def _sms_number(raw: str) -> str:
    """E.164 when the campaign rules accept it ('600 100 200' -> '+48600100200'), else the
    modem service's own check of the number as typed."""
    from ..campaigns.lists import PhoneError, normalise_phone
    try:
        return normalise_phone(raw)
    except PhoneError:
        return store_sms.normalise_number(raw)


def send_sms_to_contact(db: sqlite_utils.Database, user: dict, contact_id: int, number: str,
                        text: str, *, save_number: bool = False,
                        now: float | None = None) -> dict:
    """Queue an SMS to the contact (the modem service sends it); returns its crm_messages
    row, status 'queued'.  The number must be one of the contact's (same match key) unless
    `save_number` adds it to the contact.  Placeholders in `text` are filled."""
    _contact(db, contact_id)
    number = _sms_number(number)
    key = match_key(number)
    known = any(match_key(n) == key for n in contact_numbers(db, contact_id)) if key else False
    if not known and not save_number:
        raise StoreError(NOT_CONTACTS_NUMBER)
    text = fill((text or "").replace("\r\n", "\n"), placeholder_values(db, contact_id, user,
                                                                       now))[0]
    with transaction(db):
        if not known:
            db.conn.execute("INSERT OR IGNORE INTO crm_phones (contact_id, label, number, "
                            "match_key) VALUES (?, 'mobile', ?, ?)", [contact_id, number, key])
        outbox_id = store_sms.queue_sms(db, number, text, purpose="crm")
        msg_id = db.conn.execute(
            "INSERT INTO crm_messages (contact_id, channel, direction, address, body, status, "
            "sms_outbox_id, user, at) VALUES (?, 'sms', 'out', ?, ?, 'queued', ?, ?, ?)",
            [contact_id, number, text, outbox_id, user.get("username", ""),
             now or time.time()]).lastrowid
    return message(db, msg_id)


_OUTBOX_TO_MESSAGE = "CASE o.status WHEN 'sending' THEN 'queued' ELSE o.status END"


def sync_sms_status(db: sqlite_utils.Database, contact_id: int | None = None) -> int:
    """Copy the outbox's status (and failure reason) onto outbound SMS rows still on their
    way; returns how many changed.  Cheap when nothing changed (no write)."""
    where, args = "", []
    if contact_id is not None:
        where, args = " AND m.contact_id = ?", [contact_id]
    sql = (f"SELECT m.id, {_OUTBOX_TO_MESSAGE}, coalesce(o.error, '') FROM crm_messages m "
           "JOIN sms_outbox o ON o.id = m.sms_outbox_id WHERE m.channel = 'sms' AND "
           f"m.direction = 'out' AND m.status IN ('queued', 'sent'){where} AND "
           f"m.status != {_OUTBOX_TO_MESSAGE}")
    changed = db.execute(sql, args).fetchall()
    if not changed:
        return 0
    with transaction(db):
        for msg_id, status, error in changed:
            db.conn.execute("UPDATE crm_messages SET status = ?, error = ? WHERE id = ?",
                            [status, error if status == "failed" else "", msg_id])
    return len(changed)


def take_inbound_sms(db: sqlite_utils.Database) -> int:
    """File received SMS under the contacts whose phone has the sender's match key: one
    crm_messages row (direction 'in', status 'received') per contact and message.  Reads
    sms_inbox rows after the high-water mark (setting crm.sms_inbox_seen); incomplete ones
    are skipped.  Returns how many rows were added; running it again adds nothing."""
    rows = store_sms.received_after(db, SEEN_KEY)
    if not rows:
        return 0
    added = 0
    with transaction(db):
        for inbox_id, sender, text, received_at, complete in rows:
            key = match_key(sender)
            if not complete or not key:
                continue
            for (contact_id,) in db.execute("SELECT DISTINCT contact_id FROM crm_phones "
                                            "WHERE match_key = ?", [key]).fetchall():
                added += db.conn.execute(
                    "INSERT OR IGNORE INTO crm_messages (contact_id, channel, direction, "
                    "address, body, status, sms_inbox_id, at) VALUES (?, 'sms', 'in', ?, ?, "
                    "'received', ?, ?)", [contact_id, sender, text, inbox_id,
                                          received_at]).rowcount
        set_setting(db, SEEN_KEY, str(rows[-1][0]))
    return added


# -- reading ---------------------------------------------------------------------------------

def message(db: sqlite_utils.Database, message_id: int) -> dict | None:
    rows = _rows(db.execute(f"SELECT {_MSG_COLS} FROM crm_messages WHERE id = ?",
                            [message_id]))
    return rows[0] if rows else None


def contact_messages(db: sqlite_utils.Database, contact_id: int, *,
                     channel: str | None = None, limit: int = 50) -> list[dict]:
    """Newest first, SMS statuses brought up to date from the outbox first."""
    sync_sms_status(db, contact_id)
    sql, args = f"SELECT {_MSG_COLS} FROM crm_messages WHERE contact_id = ?", [contact_id]
    if channel:
        sql += " AND channel = ?"
        args.append(channel)
    return _rows(db.execute(sql + " ORDER BY at DESC, id DESC LIMIT ?", [*args, int(limit)]))
