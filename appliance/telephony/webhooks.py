"""Webhooks for integrators (issue 12, item 5): call, agent and campaign events POSTed,
signed, to addresses on the LAN, retried with backoff, every attempt in a delivery log.

What an event is: the same changes that drive the wallboard.  jns-calld's CallService
publishes LiveState's (kind, id, data) changes; `EventMapper` turns the calls' and agents'
changes into integrator events:
    call.started, call.queued, call.answered (with the agent's extension), call.ended,
    agent.login, agent.logout, agent.paused, agent.ready (the pause ended),
and the campaign dialer adds campaign.call_ended (with the outcome) when it closes a call.
The panel's "Send a test event" makes webhook.test.

Each event becomes one row of webhook_deliveries per active webhook that asked for it (the
producer writes them); `Sender` POSTs due rows:
    body    {"id": event id, "event": name, "at": ISO 8601 UTC, "data": {...}}
    headers X-JNS-Event, X-JNS-Delivery (the row id), X-JNS-Timestamp (unix seconds),
            X-JNS-Signature: "sha256=" + hex HMAC-SHA256(secret, f"{timestamp}.{body}")
A 2xx answer delivers; anything else (a redirect too: none is followed) is tried again
after BACKOFF_S, then the row is failed.  Both threads run in jns-calld beside the dialer
and never hold its event loop: the producer reads its own subscription of the change
stream, HTTP goes through a small pool with a 5 s timeout.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import os
import queue
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from typing import Callable, Iterable

from ..store import db as store

log = logging.getLogger(__name__)

KINDS = ("call", "agent", "campaign")
EVENTS = ("call.started", "call.queued", "call.answered", "call.ended",
          "agent.login", "agent.logout", "agent.paused", "agent.ready",
          "campaign.call_ended")
TEST_EVENT = "webhook.test"
BACKOFF_S = (10, 60, 300, 1800, 7200)   # after attempt 1..5; attempt 6 failing: failed
TIMEOUT_S = 5.0
KEEP_DELIVERED_DAYS = 7
KEEP_FAILED_DAYS = 30
BATCH = 50
POLL_S = 1.0                            # rows written by the panel are seen within this
USER_AGENT = "jns-webhooks/1"

# refusals (catalogue ids: the panel shows them in the user's language)
E_URL_EMPTY = "Enter the receiver's address."
E_URL_LONG = "The address is too long (at most 500 characters)."
E_URL_CHARS = "The address must not contain spaces or control characters."
E_URL_SCHEME = "Only http:// and https:// addresses are allowed."
E_URL_USERINFO = "Put no user name or password in the address; check the signature instead."
E_URL_HOST = "The address has no valid host name."
E_URL_PORT = "The address has an invalid port."
E_URL_FRAGMENT = "The address must not contain a # fragment."
E_URL_ADDRESS = "This IP address cannot receive webhooks (multicast, link-local or unspecified)."
E_EVENTS = "Choose at least one kind of event."
E_DESCRIPTION = "The description is too long (at most 200 characters)."

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


class WebhookError(store.StoreError):
    """A webhook the box refuses to store (message: a catalogue id)."""


# -- webhooks: the admin's subscriptions ------------------------------------------------------

def check_url(url: str) -> str:
    """The address stripped, or WebhookError: http/https to a host name or a unicast IP,
    no credentials, no fragment, no spaces or control characters (header injection)."""
    url = (url or "").strip()
    if not url:
        raise WebhookError(E_URL_EMPTY)
    if len(url) > 500:
        raise WebhookError(E_URL_LONG)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise WebhookError(E_URL_CHARS)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookError(E_URL_SCHEME)
    if "@" in parts.netloc:
        raise WebhookError(E_URL_USERINFO)
    if parts.fragment or "#" in url:
        raise WebhookError(E_URL_FRAGMENT)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise WebhookError(E_URL_PORT) from None
    if port == 0:
        raise WebhookError(E_URL_PORT)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host) or host.replace(".", "").isdigit():
            raise WebhookError(E_URL_HOST) from None
    else:
        if ip.is_multicast or ip.is_unspecified or ip.is_link_local or ip.is_reserved \
                or str(ip) == "255.255.255.255":
            raise WebhookError(E_URL_ADDRESS)
    return url


def check_events(events: Iterable[str]) -> list[str]:
    chosen = [e for e in dict.fromkeys(events or ()) if e in KINDS or e in EVENTS]
    if not chosen:
        raise WebhookError(E_EVENTS)
    return chosen


def new_secret() -> str:
    """A signing secret made on this box (shown to the admin once)."""
    return "whsec_" + secrets.token_urlsafe(24)


def add_webhook(db, url: str, events: Iterable[str], description: str = "",
                active: bool = True, user: str = "") -> tuple[int, str]:
    """A new webhook: (its id, its secret)."""
    url, chosen = check_url(url), check_events(events)
    description = _description(description)
    secret = new_secret()
    with store.transaction(db):
        cur = db.conn.execute(
            "INSERT INTO webhooks (url, secret, events, active, description, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [url, secret, json.dumps(chosen), int(bool(active)), description, time.time(), user])
    return cur.lastrowid, secret


def update_webhook(db, wid: int, url: str, events: Iterable[str], description: str = "",
                   active: bool = True) -> None:
    url, chosen = check_url(url), check_events(events)
    with store.transaction(db):
        db.conn.execute("UPDATE webhooks SET url = ?, events = ?, description = ?, active = ? "
                        "WHERE id = ?", [url, json.dumps(chosen), _description(description),
                                         int(bool(active)), wid])


def rotate_secret(db, wid: int) -> str:
    secret = new_secret()
    with store.transaction(db):
        db.conn.execute("UPDATE webhooks SET secret = ? WHERE id = ?", [secret, wid])
    return secret


def delete_webhook(db, wid: int) -> None:
    """The webhook and its delivery log."""
    with store.transaction(db):
        db.conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", [wid])
        db.conn.execute("DELETE FROM webhooks WHERE id = ?", [wid])


def _description(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 200:
        raise WebhookError(E_DESCRIPTION)
    return text


def webhooks(db) -> list[dict]:
    """Every webhook with its delivery counts (secret not included)."""
    rows = []
    for r in db.query(
            "SELECT w.id, w.url, w.events, w.active, w.description, w.created_at, w.created_by, "
            "sum(d.status = 'pending') AS pending, sum(d.status = 'delivered') AS delivered, "
            "sum(d.status = 'failed') AS failed, max(d.delivered_at) AS last_delivered "
            "FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id "
            "GROUP BY w.id ORDER BY w.id"):
        rows.append({**r, "events": json.loads(r["events"]), "pending": r["pending"] or 0,
                     "delivered": r["delivered"] or 0, "failed": r["failed"] or 0})
    return rows


def webhook(db, wid: int) -> dict | None:
    r = next(db.query("SELECT * FROM webhooks WHERE id = ?", [wid]), None)
    return {**r, "events": json.loads(r["events"])} if r else None


def deliveries(db, wid: int, limit: int = 200) -> list[dict]:
    """The webhook's delivery log, newest first."""
    return list(db.query("SELECT * FROM webhook_deliveries WHERE webhook_id = ? "
                         "ORDER BY id DESC LIMIT ?", [wid, limit]))


def retry_now(db, wid: int, delivery_id: int) -> bool:
    """Send a pending or failed delivery again at once (a failed one gets fresh attempts)."""
    with store.transaction(db):
        cur = db.conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', next_at = ?, "
            "attempts = CASE WHEN status = 'failed' THEN 0 ELSE attempts END "
            "WHERE id = ? AND webhook_id = ? AND status != 'delivered'",
            [time.time(), delivery_id, wid])
    return cur.rowcount == 1


# -- events -> delivery rows ------------------------------------------------------------------

def wants(events: list[str], name: str) -> bool:
    return name in events or name.split(".", 1)[0] in events


def enqueue(db, events: list[tuple[str, dict]], at: float | None = None,
            only: int | None = None) -> list[int]:
    """One delivery row per event and matching active webhook (`only`: that webhook,
    whatever it asked for: the test event).  Returns the new rows' ids."""
    if not events:
        return []
    written = time.time()   # due now, whatever time the event carries
    at = written if at is None else at
    if only is None:
        hooks = [(r[0], json.loads(r[1])) for r in
                 db.execute("SELECT id, events FROM webhooks WHERE active = 1").fetchall()]
    else:
        hooks = [(only, None)]
    ids = []
    if not hooks:
        return ids
    with store.transaction(db):
        for name, data in events:
            body = json.dumps(envelope(name, data, at), separators=(",", ":"), ensure_ascii=False)
            for wid, wanted in hooks:
                if wanted is not None and not wants(wanted, name):
                    continue
                cur = db.conn.execute(
                    "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_at, "
                    "created_at) VALUES (?, ?, ?, ?, ?)", [wid, name, body, written, written])
                ids.append(cur.lastrowid)
    return ids


def envelope(name: str, data: dict, at: float) -> dict:
    """What a receiver gets: {id, event, at (ISO 8601 UTC), data}."""
    stamp = datetime.datetime.fromtimestamp(at, datetime.timezone.utc) \
        .isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"id": uuid.uuid4().hex, "event": name, "at": stamp, "data": data}


def send_test(db, wid: int) -> int:
    """Queue a webhook.test event for this webhook only; the delivery's id."""
    return enqueue(db, [(TEST_EVENT, {"message": "a test event from the JNS Call Center panel",
                                      "webhook": wid})], only=wid)[0]


def campaign_call_ended(db, call, outcome: str, ended_at: float) -> None:
    """The dialer closed a campaign call (appliance.campaigns.dialer `_finish`): queue
    campaign.call_ended.  Never raises: the dialer goes on whatever happens here."""
    try:
        row = db.execute("SELECT name FROM campaigns WHERE id = ?", [call.campaign_id]).fetchone()
        enqueue(db, [("campaign.call_ended", {
            "campaign": call.campaign_id, "campaign_name": row[0] if row else "",
            "call": call.id, "contact": call.contact_id, "phone": call.phone,
            "outcome": outcome, "agent": call.agent, "started_at": call.started_at,
            "answered_at": call.answered_at, "ended_at": ended_at})], at=ended_at)
    except Exception:
        log.exception("queueing the campaign.call_ended webhook failed")


class EventMapper:
    """The wallboard's call and agent changes -> integrator events.

    Keeps a mirror of the calls and agents last seen.  While Asterisk is away (every call
    dropped, every desk agent logged out) nothing is said; after the rebuild the picture
    is compared with the mirror, so a call that went on says nothing and one that ended
    meanwhile says call.ended.  The first connection after jns-calld starts is the baseline.
    """

    def __init__(self, snapshot: dict, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.calls: dict[str, dict] = dict(snapshot.get("calls") or {})
        self.agents: dict[str, dict] = dict(snapshot.get("agents") or {})
        # call -> (the agent who answered last, when the call was first answered)
        self.answered_by: dict[str, tuple[str, float]] = {
            lid: (c["agent"], c["answered_at"]) for lid, c in self.calls.items()
            if c.get("answered_at") and c.get("agent")}
        self.away = not (snapshot.get("asterisk") or {}).get("connected")
        self.baseline = self.away
        self.pending: dict[tuple[str, str], dict | None] = {}

    def feed(self, changes: Iterable[tuple[str, str, dict | None]]) -> list[tuple[str, dict]]:
        """The events one published batch of changes makes, in order."""
        events: list[tuple[str, dict]] = []
        reconnected = False
        for kind, key, data in changes:
            if kind == "asterisk":
                if not (data or {}).get("connected"):
                    self.away, reconnected = True, False
                elif self.away:
                    reconnected = True
            elif kind in ("call", "agent"):
                if self.away or reconnected:
                    self.pending[(kind, key)] = data
                else:
                    events += self._change(kind, key, data)
        if reconnected:
            self.away = False
            pending, self.pending = self.pending, {}
            found = {key for (kind, key) in pending if kind == "call"}
            for lid in list(self.calls):   # views were cleared: a call not re-listed ended
                if lid not in found:
                    pending[("call", lid)] = None
            for (kind, key), data in pending.items():
                made = self._change(kind, key, data)
                if not self.baseline:
                    events += made
            self.baseline = False
        return events

    def resnapshot(self, snapshot: dict) -> list[tuple[str, dict]]:
        """A fresh snapshot after the stream was cut off: what changed meanwhile."""
        if not (snapshot.get("asterisk") or {}).get("connected"):
            return self.feed([("asterisk", "", {"connected": False})])
        calls, agents = snapshot.get("calls") or {}, snapshot.get("agents") or {}
        return self.feed([("call", k, v) for k, v in calls.items()]
                         + [("call", k, None) for k in list(self.calls) if k not in calls]
                         + [("agent", k, v) for k, v in agents.items()]
                         + [("asterisk", "", {"connected": True})])

    def _change(self, kind: str, key: str, data: dict | None) -> list[tuple[str, dict]]:
        return self._call(key, data) if kind == "call" else self._agent(key, data)

    def _call(self, lid: str, new: dict | None) -> list[tuple[str, dict]]:
        old = self.calls.get(lid)
        out = []
        if new is None:
            if old is not None:
                del self.calls[lid]
                agent, answered_at = self.answered_by.pop(lid, (None, None))
                now = self.clock()
                out.append(("call.ended", {
                    **_call_data(old), "agent": agent, "answered": agent is not None,
                    "answered_at": answered_at, "ended_at": now,
                    "duration_s": round(max(0.0, now - (old["started"] or now)), 1),
                    "talk_s": round(max(0.0, now - answered_at), 1) if answered_at else None}))
            return out
        self.calls[lid] = new
        if old is None:
            out.append(("call.started", _call_data(new)))
        if new["state"] == "queued" and new.get("queue") and (
                old is None or old["state"] != "queued" or old.get("queue") != new["queue"]):
            out.append(("call.queued", _call_data(new)))
        agent = new.get("agent")
        if new.get("answered_at") and agent and self.answered_by.get(lid, ("",))[0] != agent:
            first = self.answered_by.get(lid, (None, new["answered_at"]))[1]
            self.answered_by[lid] = (agent, first)
            out.append(("call.answered", _call_data(new)))
        return out

    def _agent(self, ext: str, new: dict | None) -> list[tuple[str, dict]]:
        old = self.agents.get(ext)
        if new is None:
            self.agents.pop(ext, None)
        else:
            self.agents[ext] = new
        was = old["state"] if old else "logged_out"
        now = new["state"] if new else "logged_out"
        view = new or old
        out = []
        if was == "logged_out" and now != "logged_out":
            out.append(("agent.login", _agent_data(view)))
        if now == "logged_out" and was != "logged_out":
            out.append(("agent.logout", _agent_data(view)))
        if new and new.get("paused") and not (old and old.get("paused")):
            out.append(("agent.paused", _agent_data(new)))
        elif new and not new.get("paused") and old and old.get("paused") and now != "logged_out":
            out.append(("agent.ready", _agent_data(new)))
        return out


def _call_data(c: dict) -> dict:
    return {"call": c["id"], "direction": c.get("direction"), "caller": c.get("caller"),
            "caller_name": c.get("caller_name"), "did": c.get("did"), "queue": c.get("queue"),
            "agent": c.get("agent"), "state": c.get("state"), "started_at": c.get("started"),
            "queued_at": c.get("queued_at"), "answered_at": c.get("answered_at")}


def _agent_data(a: dict) -> dict:
    return {"agent": a["ext"], "name": a.get("name"), "user": a.get("user"),
            "state": a.get("state"), "queues": a.get("queues") or [],
            "pause_reason": a.get("pause_reason") or None}


def parse_changes(blob: bytes) -> list[tuple[str, str, dict | None]]:
    """calld's server-sent change messages -> (kind, id, data)."""
    out = []
    for message in blob.split(b"\n\n"):
        lines = message.decode().splitlines()
        if "event: change" not in lines:
            continue
        for line in lines:
            if line.startswith("data:"):
                c = json.loads(line[5:])
                out.append((c["kind"], c["id"], c["data"]))
    return out


# -- sending ----------------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """The X-JNS-Signature a receiver recomputes: HMAC-SHA256 of "<timestamp>.<body>"."""
    if isinstance(body, str):
        body = body.encode()
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post(url: str, secret: str, event: str, delivery_id: int, body: str,
         timeout: float = TIMEOUT_S, now: float | None = None) -> tuple[int | None, str]:
    """One attempt: (HTTP status or None, error text; '' when delivered)."""
    parts = urllib.parse.urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    stamp = str(int(time.time() if now is None else now))
    data = body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-JNS-Event": event, "X-JNS-Delivery": str(delivery_id),
               "X-JNS-Timestamp": stamp, "X-JNS-Signature": sign(secret, stamp, data)}
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kwargs = {}
    if parts.scheme == "https":
        import ssl
        # receivers on the LAN mostly have their own certificates; the signature is the proof
        kwargs["context"] = ssl._create_unverified_context()
    conn = conn_class(parts.hostname, parts.port, timeout=timeout, **kwargs)
    try:
        conn.request("POST", path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read(300).decode(errors="replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        return None, (f"{type(exc).__name__}: {exc}")[:300]
    finally:
        conn.close()
    if 200 <= resp.status < 300:
        return resp.status, ""
    return resp.status, (f"HTTP {resp.status} {resp.reason}" + (f": {text}" if text else ""))[:300]


class Sender:
    """POSTs due deliveries; retries after `backoff` seconds, then marks them failed.
    `clock` and `backoff` are injectable for tests."""

    def __init__(self, db_path, *, clock: Callable[[], float] = time.time,
                 backoff: tuple[float, ...] = BACKOFF_S, timeout: float = TIMEOUT_S,
                 workers: int = 4) -> None:
        self.db = store.open_db(db_path)
        self.clock, self.backoff, self.timeout = clock, tuple(backoff), timeout
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="webhook-post")
        self.wake = threading.Event()
        self._last_prune = 0.0

    def run_once(self) -> int:
        """Try every due delivery once (one receiver's rows in order, receivers in
        parallel); how many were tried."""
        now = self.clock()
        rows = list(self.db.query(
            "SELECT d.id, d.webhook_id, d.event, d.payload, d.attempts, w.url, w.secret "
            "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
            "WHERE d.status = 'pending' AND d.next_at <= ? AND w.active = 1 "
            "ORDER BY d.next_at, d.id LIMIT ?", [now, BATCH]))
        by_hook: dict[int, list[dict]] = {}
        for r in rows:
            by_hook.setdefault(r["webhook_id"], []).append(r)
        results = list(self.pool.map(self._send_all, by_hook.values()))   # no lock held while posting
        tried = 0
        with store.transaction(self.db):
            for outcomes in results:
                for row, code, error in outcomes:
                    tried += 1
                    self._record(row, code, error)
        if now - self._last_prune > 3600:
            self._last_prune = now
            prune(self.db, now)
        return tried

    def _send_all(self, rows: list[dict]) -> list[tuple[dict, int | None, str]]:
        out = []
        for row in rows:
            code, error = post(row["url"], row["secret"], row["event"], row["id"], row["payload"],
                               timeout=self.timeout, now=self.clock())
            out.append((row, code, error))
            if code is None:
                break   # the receiver is down: its other rows wait for their turn
        return out

    def _record(self, row: dict, code: int | None, error: str) -> None:
        now = self.clock()
        attempts = row["attempts"] + 1
        if not error:
            self.db.conn.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, last_code = ?, "
                "last_error = '', delivered_at = ? WHERE id = ?", [attempts, code, now, row["id"]])
        elif attempts > len(self.backoff):
            self.db.conn.execute(
                "UPDATE webhook_deliveries SET status = 'failed', attempts = ?, last_code = ?, "
                "last_error = ? WHERE id = ?", [attempts, code, error, row["id"]])
            log.warning("webhook delivery %s (%s) failed after %d attempts: %s",
                        row["id"], row["event"], attempts, error)
        else:
            self.db.conn.execute(
                "UPDATE webhook_deliveries SET attempts = ?, last_code = ?, last_error = ?, "
                "next_at = ? WHERE id = ?",
                [attempts, code, error, now + self.backoff[attempts - 1], row["id"]])

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("sending webhooks failed; trying again")
                stop.wait(5)
            self.wake.wait(POLL_S)
            self.wake.clear()

    def close(self) -> None:
        self.pool.shutdown(wait=False)


def prune(db, now: float | None = None) -> int:
    """Keep the log bounded: delivered rows older than KEEP_DELIVERED_DAYS, failed ones
    older than KEEP_FAILED_DAYS."""
    now = time.time() if now is None else now
    with store.transaction(db):
        cur = db.conn.execute(
            "DELETE FROM webhook_deliveries WHERE (status = 'delivered' AND created_at < ?) "
            "OR (status = 'failed' AND created_at < ?)",
            [now - KEEP_DELIVERED_DAYS * 86400, now - KEEP_FAILED_DAYS * 86400])
    return cur.rowcount


# -- in jns-calld -----------------------------------------------------------------------------

class WebhookService:
    """The producer (calld's change stream -> delivery rows) and the sender, two threads."""

    def __init__(self, service, db_path, **sender_options) -> None:
        self.service = service
        self.db = store.open_db(db_path)
        self.sender = Sender(db_path, **sender_options)
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> "WebhookService":
        for target, name in ((self._produce, "webhooks-events"),
                             (lambda: self.sender.run(self.stop_event), "webhooks-send")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    @property
    def alive(self) -> bool:
        return all(t.is_alive() for t in self.threads)

    def stop(self) -> None:
        self.stop_event.set()
        self.sender.wake.set()
        for t in self.threads:
            t.join(timeout=10)
        self.sender.close()

    def _produce(self) -> None:
        service = self.service
        mapper = None
        while not self.stop_event.is_set():
            snap_blob, sub = service.subscribe()
            snapshot = json.loads(snap_blob.decode().split("data: ", 1)[1])
            if mapper is None:
                mapper = EventMapper(snapshot)
            else:   # cut off for falling behind: compare the mirror with the new picture
                self._write(mapper.resnapshot(snapshot))
            try:
                while not self.stop_event.is_set():
                    try:
                        blob = sub.get(timeout=1.0)
                    except queue.Empty:
                        if sub not in service._subscribers:
                            break
                        continue
                    if blob is None:
                        return
                    try:
                        self._write(mapper.feed(parse_changes(blob)))
                    except Exception:
                        log.exception("turning live changes into webhook events failed")
            finally:
                service.unsubscribe(sub)

    def _write(self, events: list[tuple[str, dict]]) -> None:
        if events and enqueue(self.db, events):
            self.sender.wake.set()


def start_in_calld(service, db_path) -> WebhookService | None:
    """jns-calld's webhooks; if they cannot start the rest goes on (logged)."""
    try:
        return WebhookService(service, os.fspath(db_path)).start()
    except Exception:
        log.exception("webhooks could not start; integrators get no events")
        return None
