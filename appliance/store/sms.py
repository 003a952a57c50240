"""GSM modems and SMS in the database: the persistent outbound queue, its parts, the inbox.

Who writes what: the panel and the watchdog queue messages (`queue_sms`), add ports and
enter PINs; the modem service (appliance.hal.modemd, one owner process per port) claims
messages, records each part's +CMGS message reference (mr), matches delivery reports,
stores inbound messages and writes each modem's state.  Exactly-once as far as a modem
lets us know: a part with an mr was accepted by the network and is never sent again; a
part marked 'sending' whose +CMGS never came back is sent again.

Every write is one transaction.  This module never opens a serial port or speaks AT.
"""
from __future__ import annotations

import re
import sqlite3
import time
from typing import Any, Iterable

import sqlite_utils

from .db import StoreError, get_setting, transaction

MODEM_STATES = ("absent", "starting", "ready", "pin_required", "pin_rejected", "puk_required",
                "no_sim", "not_registered", "error")
OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "failed")
NUMBER_RE = re.compile(r"\+?[0-9]{3,20}")
MAX_TEXT = 1600
PIN_RE = re.compile(r"[0-9]{4,8}")
# fixed texts, so the panel can show them in Polish (webui/i18n_gsm.py)
NUMBER_ERROR = "phone number must be 3 to 20 digits, optionally starting with +"
TEXT_ERROR = f"message text must be 1 to {MAX_TEXT} characters"
PORT_ERROR = "port must be a device path like /dev/ttyUSB2 or /dev/serial/by-id/..."
PIN_ERROR = "a SIM PIN is 4 to 8 digits"

# service settings (settings table, key "gsm.<name>") and their defaults
SETTINGS: dict[str, float] = {
    "min_interval_s": 2.0,        # at least this long between two messages of one modem
    "max_per_hour": 120.0,        # messages per modem and hour
    "max_attempts": 6.0,          # temporary failures before a message is given up
    "retry_base_s": 15.0,         # back-off: base * 3^(attempt-1), at most retry_max_s
    "retry_max_s": 900.0,
    "fragment_timeout_s": 3600.0, # a multi-part message missing parts is stored after this
    "poll_s": 2.0,                # how often an idle modem looks for queued messages
    "status_every_s": 60.0,       # signal/operator refresh
}

_MODEM_FIELDS = ("id", "port", "name", "configured", "state", "operator", "rssi", "dbm",
                 "registration", "imei", "imsi", "iccid", "manufacturer", "model", "last_error",
                 "pin_state", "updated_at")
_OWNER_FIELDS = {"state", "operator", "rssi", "dbm", "registration", "imei", "imsi", "iccid",
                 "manufacturer", "model", "last_error"}


def _now() -> float:
    return time.time()


def gsm_settings(db: sqlite_utils.Database) -> dict[str, float]:
    """The service's tunables with their defaults filled in."""
    out = {}
    for key, default in SETTINGS.items():
        raw = get_setting(db, "gsm." + key)
        try:
            out[key] = float(raw) if raw is not None else default
        except ValueError:
            out[key] = default
    return out


def normalise_number(number: str) -> str:
    """'+48 600-100-200' -> '+48600100200'; StoreError when it is not a phone number."""
    cleaned = re.sub(r"[\s\-()]", "", number or "")
    if not NUMBER_RE.fullmatch(cleaned):
        raise StoreError(NUMBER_ERROR)
    return cleaned


# -- the outbound queue ---------------------------------------------------------------------

def queue_sms(db: sqlite_utils.Database, number: str, text: str, *, purpose: str = "manual",
              modem_id: int | None = None) -> int:
    """Put a message in the outbound queue; returns its outbox id.  The modem service
    sends it when a modem is ready (nothing is lost while none is)."""
    number = normalise_number(number)
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
        raise StoreError(TEXT_ERROR)
    purpose = (purpose or "manual").strip()[:32] or "manual"
    with transaction(db):
        if modem_id is not None and db.execute("SELECT 1 FROM modems WHERE id = ?",
                                               [modem_id]).fetchone() is None:
            raise StoreError(f"no modem with id {modem_id}")
        cur = db.conn.execute(
            "INSERT INTO sms_outbox (number, text, purpose, modem_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)", [number, text, purpose, modem_id, _now()])
        return cur.lastrowid


def _rows(cur) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def outbox(db: sqlite_utils.Database, *, limit: int = 100,
           status: str | None = None) -> list[dict]:
    """Newest first: id, number, text, purpose, status, parts, attempts, created_at,
    sent_at, delivered_at, error (and modem_id, claimed_by, encoding)."""
    sql = ("SELECT id, number, text, purpose, status, parts, attempts, created_at, sent_at, "
           "delivered_at, error, modem_id, claimed_by, encoding FROM sms_outbox")
    args: list[Any] = []
    if status is not None:
        if status not in OUTBOX_STATUSES:
            raise StoreError(f"unknown message status {status!r}")
        sql += " WHERE status = ?"
        args.append(status)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(int(limit))
    return _rows(db.execute(sql, args))


def parts_of(db: sqlite_utils.Database, outbox_id: int) -> list[dict]:
    return _rows(db.execute("SELECT * FROM sms_parts WHERE outbox_id = ? ORDER BY seq",
                            [outbox_id]))


def claim_next(db: sqlite_utils.Database, modem_id: int,
               now: float | None = None) -> dict | None:
    """Atomically take the oldest due queued message for this modem (or for any modem);
    None when there is none.  Only one modem can win a message."""
    now = _now() if now is None else now
    with transaction(db):
        row = db.execute(
            "SELECT id FROM sms_outbox WHERE status = 'queued' AND next_try_at <= ? "
            "AND (modem_id IS NULL OR modem_id = ?) ORDER BY next_try_at, id LIMIT 1",
            [now, modem_id]).fetchone()
        if row is None:
            return None
        cur = db.conn.execute(
            "UPDATE sms_outbox SET status = 'sending', claimed_by = ? "
            "WHERE id = ? AND status = 'queued'", [modem_id, row[0]])
        if cur.rowcount != 1:
            return None
        return _rows(db.execute("SELECT * FROM sms_outbox WHERE id = ?", [row[0]]))[0]


def store_parts(db: sqlite_utils.Database, outbox_id: int, encoding: str,
                parts: Iterable[tuple[str, int]]) -> list[dict]:
    """Record the encoded parts (pdu hex, AT+CMGS length) of a message the first time it
    is sent; later attempts reuse them, so a resent part has the same concatenation ref."""
    parts = list(parts)
    with transaction(db):
        if not db.execute("SELECT 1 FROM sms_parts WHERE outbox_id = ?", [outbox_id]).fetchone():
            for seq, (pdu, length) in enumerate(parts, 1):
                db.conn.execute("INSERT INTO sms_parts (outbox_id, seq, pdu, length) "
                                "VALUES (?, ?, ?, ?)", [outbox_id, seq, pdu, length])
            db.conn.execute("UPDATE sms_outbox SET encoding = ?, parts = ? WHERE id = ?",
                            [encoding, len(parts), outbox_id])
    return parts_of(db, outbox_id)


def part_sending(db: sqlite_utils.Database, part_id: int, modem_id: int) -> None:
    """Written before AT+CMGS: if we die now the part is sent again later."""
    with transaction(db):
        db.conn.execute("UPDATE sms_parts SET status = 'sending', modem_id = ? "
                        "WHERE id = ? AND status IN ('pending', 'sending')", [modem_id, part_id])


def part_sent(db: sqlite_utils.Database, part_id: int, modem_id: int, mr: int) -> None:
    """+CMGS: <mr> came back: the network has the part; never send it again."""
    with transaction(db):
        db.conn.execute("UPDATE sms_parts SET status = 'sent', modem_id = ?, mr = ?, sent_at = ? "
                        "WHERE id = ?", [modem_id, mr % 256, _now(), part_id])


def message_sent(db: sqlite_utils.Database, outbox_id: int) -> None:
    """All parts confirmed: the message is 'sent' (delivered comes with the reports)."""
    with transaction(db):
        db.conn.execute(
            "UPDATE sms_outbox SET status = 'sent', sent_at = ?, error = NULL, "
            "attempts = attempts + 1 WHERE id = ? AND status = 'sending'", [_now(), outbox_id])
        _settle_delivery(db, outbox_id)


def defer(db: sqlite_utils.Database, outbox_id: int, error: str, *, permanent: bool = False,
          count_attempt: bool = True) -> str:
    """A send failed: back to the queue with back-off, or 'failed' for good (permanent
    error, or too many attempts).  Parts not confirmed go back to pending.  Returns the
    new status."""
    cfg = gsm_settings(db)
    with transaction(db):
        row = db.execute("SELECT attempts FROM sms_outbox WHERE id = ?", [outbox_id]).fetchone()
        if row is None:
            return "failed"
        attempts = row[0] + (1 if count_attempt else 0)
        db.conn.execute("UPDATE sms_parts SET status = 'pending' "
                        "WHERE outbox_id = ? AND status = 'sending'", [outbox_id])
        if permanent or attempts >= cfg["max_attempts"]:
            if not permanent:
                error = f"{error} (gave up after {attempts} attempts)"
            db.conn.execute("UPDATE sms_outbox SET status = 'failed', attempts = ?, error = ?, "
                            "claimed_by = NULL WHERE id = ?", [attempts, error, outbox_id])
            return "failed"
        delay = min(cfg["retry_base_s"] * 3 ** max(attempts - 1, 0), cfg["retry_max_s"])
        db.conn.execute("UPDATE sms_outbox SET status = 'queued', attempts = ?, error = ?, "
                        "claimed_by = NULL, next_try_at = ? WHERE id = ?",
                        [attempts, error, _now() + delay, outbox_id])
        return "queued"


def retry_now(db: sqlite_utils.Database) -> int:
    """Network came back: queued messages waiting out a back-off may go at once."""
    with transaction(db):
        return db.conn.execute("UPDATE sms_outbox SET next_try_at = 0 WHERE status = 'queued' "
                               "AND next_try_at > 0").rowcount


def release_claims(db: sqlite_utils.Database, modem_id: int | None = None) -> int:
    """Messages a dead owner process held go back to the queue (not counted as an
    attempt); their unconfirmed parts go back to pending, confirmed ones stay sent."""
    where, args = ("status = 'sending'", [])
    if modem_id is not None:
        where += " AND claimed_by = ?"
        args.append(modem_id)
    with transaction(db):
        ids = [r[0] for r in db.execute(f"SELECT id FROM sms_outbox WHERE {where}", args)]
        for oid in ids:
            db.conn.execute("UPDATE sms_parts SET status = 'pending' "
                            "WHERE outbox_id = ? AND status = 'sending'", [oid])
            db.conn.execute("UPDATE sms_outbox SET status = 'queued', claimed_by = NULL "
                            "WHERE id = ?", [oid])
    return len(ids)


def sent_since(db: sqlite_utils.Database, modem_id: int, since: float) -> tuple[int, float | None]:
    """(messages this modem sent since `since`, time of its last send) for the rate limit."""
    row = db.execute("SELECT count(DISTINCT outbox_id), max(sent_at) FROM sms_parts "
                     "WHERE modem_id = ? AND sent_at >= ?", [modem_id, since]).fetchone()
    last = db.execute("SELECT max(sent_at) FROM sms_parts WHERE modem_id = ?",
                      [modem_id]).fetchone()[0]
    return row[0] or 0, last


def match_report(db: sqlite_utils.Database, modem_id: int, mr: int, *, delivered: bool,
                 final: bool, status: int) -> int | None:
    """A delivery report for message reference `mr` on this modem: the most recent part
    with that mr still waiting for its report (mr wraps at 256).  Returns the outbox id."""
    if not final:
        return None
    with transaction(db):
        row = db.execute("SELECT id, outbox_id FROM sms_parts WHERE modem_id = ? AND mr = ? "
                         "AND status = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1",
                         [modem_id, mr % 256]).fetchone()
        if row is None:
            return None
        part_id, outbox_id = row
        db.conn.execute("UPDATE sms_parts SET status = ?, delivered_at = ?, report_status = ? "
                        "WHERE id = ?", ["delivered" if delivered else "failed", _now(),
                                         status, part_id])
        _settle_delivery(db, outbox_id)
    return outbox_id


def _settle_delivery(db: sqlite_utils.Database, outbox_id: int) -> None:
    """Inside a transaction: every part delivered -> message delivered; a part the network
    reported as undeliverable -> message failed with the report's status."""
    states = [r[0] for r in db.execute("SELECT status FROM sms_parts WHERE outbox_id = ?",
                                       [outbox_id])]
    if not states:
        return
    if "failed" in states:
        code = db.execute("SELECT report_status FROM sms_parts WHERE outbox_id = ? AND "
                          "status = 'failed' LIMIT 1", [outbox_id]).fetchone()[0]
        db.conn.execute("UPDATE sms_outbox SET status = 'failed', error = ? WHERE id = ? "
                        "AND status IN ('sent', 'sending')",
                        [f"the network could not deliver it (report status {code})", outbox_id])
    elif all(s == "delivered" for s in states):
        db.conn.execute("UPDATE sms_outbox SET status = 'delivered', delivered_at = ? "
                        "WHERE id = ? AND status = 'sent'", [_now(), outbox_id])


# -- inbound --------------------------------------------------------------------------------

def store_inbound(db: sqlite_utils.Database, modem_id: int | None, sender: str, text: str, *,
                  sent_at: str | None = None,
                  concat: tuple[int, int, int] | None = None) -> int | None:
    """Store one received message or part.  A part waits for its siblings (duplicates are
    ignored); when the last arrives the whole text goes to the inbox.  Returns the inbox
    id once a message is complete, else None."""
    now = _now()
    with transaction(db):
        if not concat or concat[1] <= 1:
            dup = db.execute("SELECT id FROM sms_inbox WHERE modem_id IS ? AND sender = ? AND "
                             "sent_at IS ? AND text = ?", [modem_id, sender, sent_at, text])
            if sent_at is not None and dup.fetchone():
                return None      # the same message read twice (e.g. killed before AT+CMGD)
            return db.conn.execute(
                "INSERT INTO sms_inbox (modem_id, sender, text, sent_at, received_at) "
                "VALUES (?, ?, ?, ?, ?)", [modem_id, sender, text, sent_at, now]).lastrowid
        ref, total, seq = concat
        if not 1 <= seq <= total:
            seq = max(1, min(seq, total))
        db.conn.execute(
            "INSERT OR IGNORE INTO sms_inbox_parts (modem_id, sender, ref, total, seq, text, "
            "sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [modem_id, sender, ref, total, seq, text, sent_at, now])
        have = db.execute("SELECT count(*) FROM sms_inbox_parts WHERE modem_id IS ? AND "
                          "sender = ? AND ref = ? AND total = ?",
                          [modem_id, sender, ref, total]).fetchone()[0]
        if have < total:
            return None
        return _assemble(db, modem_id, sender, ref, total, now)


def _assemble(db, modem_id, sender, ref, total, now) -> int:
    rows = db.execute("SELECT seq, text, sent_at, received_at FROM sms_inbox_parts WHERE "
                      "modem_id IS ? AND sender = ? AND ref = ? AND total = ? ORDER BY seq",
                      [modem_id, sender, ref, total]).fetchall()
    by_seq = {r[0]: r[1] for r in rows}
    pieces = [by_seq.get(i, f"[part {i} of {total} missing]") for i in range(1, total + 1)]
    first = min(rows, key=lambda r: r[0])
    inbox_id = db.conn.execute(
        "INSERT INTO sms_inbox (modem_id, sender, text, sent_at, received_at, parts, complete) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [modem_id, sender, "".join(pieces), first[2], min(r[3] for r in rows), total,
         int(len(by_seq) == total)]).lastrowid
    db.conn.execute("DELETE FROM sms_inbox_parts WHERE modem_id IS ? AND sender = ? AND ref = ? "
                    "AND total = ?", [modem_id, sender, ref, total])
    return inbox_id


def expire_fragments(db: sqlite_utils.Database, older_than_s: float) -> int:
    """Multi-part messages still missing parts whose latest part came more than
    `older_than_s` ago go to the inbox as they are, each gap marked "[part 2 of 3
    missing]".  Counting from the latest part keeps a message whose parts still trickle in
    (a busy modem, a slow network) from being cut in two."""
    cutoff = _now() - older_than_s
    with transaction(db):
        groups = db.execute("SELECT modem_id, sender, ref, total FROM sms_inbox_parts "
                            "GROUP BY modem_id, sender, ref, total HAVING max(received_at) < ?",
                            [cutoff]).fetchall()
        for modem_id, sender, ref, total in groups:
            _assemble(db, modem_id, sender, ref, total, _now())
    return len(groups)


def received_after(db: sqlite_utils.Database, mark: str, limit: int = 5000) -> list[tuple]:
    """Received messages after a reader's high-water mark (the id kept in setting `mark`:
    the CRM's, the SMS campaigns'), oldest first, as (id, sender, text, received_at,
    complete).  The reader files them and moves its mark to the last id in the same
    transaction, so nothing is filed twice or skipped."""
    try:
        seen = int(get_setting(db, mark, "0") or 0)
    except ValueError:
        seen = 0
    return db.execute("SELECT id, sender, text, received_at, complete FROM sms_inbox "
                      "WHERE id > ? ORDER BY id LIMIT ?", [seen, limit]).fetchall()


def inbox(db: sqlite_utils.Database, *, limit: int = 100) -> list[dict]:
    """Newest first: id, modem_id, sender, text, sent_at, received_at, parts, complete."""
    return _rows(db.execute("SELECT id, modem_id, sender, text, sent_at, received_at, parts, "
                            "complete FROM sms_inbox ORDER BY received_at DESC, id DESC LIMIT ?",
                            [int(limit)]))


# -- modems ---------------------------------------------------------------------------------

def modems(db: sqlite_utils.Database) -> list[dict]:
    """Every known modem: id, port, name, state, operator, rssi (0..31 or None), dbm,
    registration, imei, imsi, model, last_error, updated_at (and configured, iccid,
    manufacturer, pin_state).  Never the PIN itself."""
    return _rows(db.execute(f"SELECT {', '.join(_MODEM_FIELDS)} FROM modems ORDER BY port"))


def modem(db: sqlite_utils.Database, modem_id: int) -> dict | None:
    rows = _rows(db.execute(f"SELECT {', '.join(_MODEM_FIELDS)} FROM modems WHERE id = ?",
                            [modem_id]))
    return rows[0] if rows else None


def add_modem(db: sqlite_utils.Database, port: str, name: str = "") -> int:
    """A port added by hand in the panel: the service probes it even when it is silent."""
    port = (port or "").strip()
    if not re.fullmatch(r"/dev/[A-Za-z0-9_./:+-]{1,200}", port) or ".." in port:
        raise StoreError(PORT_ERROR)
    with transaction(db):
        existing = db.execute("SELECT id FROM modems WHERE port = ?", [port]).fetchone()
        if existing:
            db.conn.execute("UPDATE modems SET configured = 1, name = ? WHERE id = ?",
                            [name.strip()[:64], existing[0]])
            return existing[0]
        return db.conn.execute("INSERT INTO modems (port, name, configured) VALUES (?, ?, 1)",
                               [port, name.strip()[:64]]).lastrowid


def ensure_modem(db: sqlite_utils.Database, port: str) -> int:
    """The modem service found a modem on `port` (auto-detected): its row id."""
    with transaction(db):
        row = db.execute("SELECT id FROM modems WHERE port = ?", [port]).fetchone()
        if row:
            return row[0]
        return db.conn.execute("INSERT INTO modems (port, state, updated_at) "
                               "VALUES (?, 'starting', ?)", [port, _now()]).lastrowid


def configured_ports(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT port FROM modems WHERE configured = 1 ORDER BY port")]


def update_modem(db: sqlite_utils.Database, modem_id: int, **fields: Any) -> None:
    """The owner process writes what it learnt (state, operator, signal, identity...)."""
    unknown = set(fields) - _OWNER_FIELDS
    if unknown:
        raise StoreError(f"not a modem status field: {', '.join(sorted(unknown))}")
    if "state" in fields and fields["state"] not in MODEM_STATES:
        raise StoreError(f"unknown modem state {fields['state']!r}")
    if not fields:
        return
    cols = ", ".join(f"{k} = ?" for k in fields)
    with transaction(db):
        db.conn.execute(f"UPDATE modems SET {cols}, updated_at = ? WHERE id = ?",
                        [*fields.values(), _now(), modem_id])


def set_pin(db: sqlite_utils.Database, modem_id: int, pin: str) -> None:
    """The admin's PIN for this modem's SIM; the service enters it once."""
    pin = (pin or "").strip()
    if not PIN_RE.fullmatch(pin):
        raise StoreError(PIN_ERROR)
    with transaction(db):
        cur = db.conn.execute("UPDATE modems SET pin = ?, pin_state = 'new' WHERE id = ?",
                              [pin, modem_id])
        if cur.rowcount != 1:
            raise StoreError(f"no modem with id {modem_id}")


def pin_to_enter(db: sqlite_utils.Database, modem_id: int, iccid: str | None) -> str | None:
    """The PIN the service may enter now: a new one never tried, or one this very SIM
    accepted before (after a modem restart).  Marks a new PIN 'tried' before it is sent,
    so even a crash mid-attempt never makes us enter it twice."""
    with transaction(db):
        row = db.execute("SELECT pin, pin_state, pin_iccid FROM modems WHERE id = ?",
                         [modem_id]).fetchone()
        if row is None or not row[0]:
            return None
        pin, state, pin_iccid = row
        if state == "new":
            db.conn.execute("UPDATE modems SET pin_state = 'tried' WHERE id = ?", [modem_id])
            return pin
        if state == "accepted" and pin_iccid == iccid:
            return pin
        return None


def pin_result(db: sqlite_utils.Database, modem_id: int, accepted: bool,
               iccid: str | None) -> None:
    """Accepted: remembered for this SIM.  Rejected: the PIN is erased; the service waits
    until the admin enters a new one."""
    with transaction(db):
        if accepted:
            db.conn.execute("UPDATE modems SET pin_state = 'accepted', pin_iccid = ? "
                            "WHERE id = ?", [iccid, modem_id])
        else:
            db.conn.execute("UPDATE modems SET pin = NULL, pin_state = 'rejected', "
                            "pin_iccid = NULL WHERE id = ?", [modem_id])
