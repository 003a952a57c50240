"""Failed-authentication floods: count them per source and block the source for a while.

`AuthGuard` is fed every AMI event by the watchdog (Asterisk's security events:
InvalidAccountID, InvalidPassword, ChallengeResponseFailed, FailedACL, ... with a
RemoteAddress like "IPV4/UDP/203.0.113.5/5060") and reads the panel's failed logins from
the database (`login_failures`, written by appliance.store.users).  A source with
`threshold` failures within `window_s` seconds (panel logins: within the panel's own
throttling window, users.WINDOW_S, because the panel already slows each address down) is
blocked for `block_s` seconds: one row in `blocked_sources`.  From there the renderer puts
the address into a PJSIP ACL, the config applier reloads res_pjsip, and the panel refuses
logins from it.  `check()` expires old blocks and says what is wrong now, for the
watchdog's alerts.

It never blocks 127.0.0.1, ::1 or the admin's allow-list (store.security.is_allowed), and it
never talks to Asterisk itself: blocks reach Asterisk only through the database.

Threads: feed() may run on the AMI client's thread and check() on the watchdog's; both
use the guard's database connection under one lock, so give the guard a connection of its
own (store.db.open_db) that nothing else writes through.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Iterable

import sqlite_utils

from ..store import security, users
from ..store.db import StoreError

log = logging.getLogger(__name__)

# Asterisk security events (AMI class "security") that mean a failed attempt
FAILURE_EVENTS = frozenset({
    "InvalidAccountID", "InvalidPassword", "ChallengeResponseFailed", "FailedACL",
    "RequestNotAllowed", "AuthMethodNotAllowed", "RequestBadFormat", "UnexpectedAddress",
    "InvalidTransport", "RequestNotSupported"})
SERVICE_NAMES = {"PJSIP": "sip", "SIP": "sip", "AMI": "ami", "IAX2": "iax"}
LABELS = {"sip": "SIP", "ami": "AMI", "panel": "panel", "iax": "IAX"}
PANEL_WINDOW_S = users.WINDOW_S


class Problem(tuple):
    """(check, severity, text) as the watchdog's alerts take it; `.subject` is the source
    address, so each source is its own alert episode."""

    def __new__(cls, check: str, severity: str, text: str, subject: str = ""):
        obj = super().__new__(cls, (check, severity, text))
        obj.subject = subject
        return obj

    @property
    def check(self) -> str:
        return self[0]

    @property
    def severity(self) -> str:
        return self[1]

    @property
    def text(self) -> str:
        return self[2]


def remote_address(value: str | None) -> str | None:
    """The IP address in an Asterisk security event's RemoteAddress
    ("IPV4/UDP/203.0.113.5/5060", "IPV6/TCP/[2001:db8::5]/5061"); None if there is none."""
    if not value:
        return None
    parts = value.split("/")
    candidate = "/".join(parts[2:-1]) if len(parts) >= 4 else value
    candidate = candidate.strip().strip("[]")
    try:
        return security.normalise_address(candidate)
    except StoreError:
        return None


class AuthGuard:
    def __init__(self, db: sqlite_utils.Database, *, threshold: int | None = None,
                 window_s: float | None = None, block_s: float | None = None,
                 now: Callable[[], float] = time.time):
        """threshold/window_s/block_s: fixed values, or None to follow the admin's settings
        (store.security.security_settings, read again at every check())."""
        self.db = db
        self.now = now
        self._fixed = {"threshold": threshold, "window_s": window_s, "block_s": block_s}
        self._lock = threading.RLock()
        self._seen: dict[str, collections.deque] = {}   # address -> deque[(at, service)]
        self._pending: list[tuple[str, str, float, str]] = []
        self._blocked: dict[str, float] = {}   # address -> until, as of the last look
        self.blocked_count = 0       # blocks this guard made (status, tests)
        self.refused: collections.Counter = collections.Counter()  # failures while blocked
        with self._lock:
            self._load_settings()
            self._resume()

    # -- input --------------------------------------------------------------------------

    def attach(self, ami) -> "AuthGuard":
        """Feed every event of an AMIClient (appliance.telephony.ami) to this guard."""
        ami.on_event("*", self.feed)
        return self

    def feed(self, event: dict) -> None:
        """One AMI event; everything but a failed-authentication security event is ignored."""
        name = event.get("Event", "")
        if name not in FAILURE_EVENTS:
            return
        address = remote_address(event.get("RemoteAddress"))
        if address is None:
            return
        service = SERVICE_NAMES.get(event.get("Service", ""), (event.get("Service") or "sip").lower())
        detail = f"{name} {event.get('AccountID', '')}".strip()
        self.failure(service, address, detail)

    def failure(self, service: str, address: str, detail: str = "",
                at: float | None = None) -> None:
        """One failed authentication from `address`; blocks it when over the threshold."""
        at = self.now() if at is None else at
        with self._lock:
            if self._blocked.get(address, 0) > at:
                # already refused by Asterisk/the panel: count it, store nothing, so a
                # blocked attacker's packets cannot fill the database
                self.refused[address] += 1
                return
            if service != "panel":
                self._pending.append((service, address, at, detail[:200]))
            self._count(address, service, at)

    def poll_panel(self) -> None:
        """Take the panel's failed logins written since the last look."""
        with self._lock:
            rows = self.db.execute(
                "SELECT id, remote_addr, at, username FROM login_failures WHERE id > ? "
                "ORDER BY id", [self._panel_last_id]).fetchall()
            for row_id, address, at, _username in rows:
                self._panel_last_id = row_id
                try:
                    address = security.normalise_address(address)
                except StoreError:
                    continue
                self._count(address, "panel", at)

    # -- output -------------------------------------------------------------------------

    def check(self) -> list[Problem]:
        """Store what was seen, expire old blocks, take panel failures; then the problems
        now: one per blocked source, and one per never-blocked source over the threshold."""
        with self._lock:
            self._load_settings()
            self.flush()
            self.poll_panel()
            now = self.now()
            for address in security.expire_blocks(self.db, now):
                log.info("block on %s expired", address)
            problems = []
            blocks = security.list_blocks(self.db, now)
            self._blocked = {b["address"]: b["until"] for b in blocks}
            for address in list(self.refused):
                if address not in self._blocked:
                    del self.refused[address]
            for block in blocks:
                until = time.strftime("%H:%M", time.localtime(block["until"]))
                problems.append(Problem("security", "warning",
                                        f"{block['reason']}; blocked until {until}",
                                        block["address"]))
            for address in list(self._seen):
                count, services = self._window(address, now)
                if not count:
                    del self._seen[address]
                elif count >= self.threshold and security.is_allowed(address, self.allow_list):
                    problems.append(Problem(
                        "security", "warning",
                        f"{self._sentence(services, count, address)}; not blocked: the box "
                        "itself or on the allow-list", address))
            return problems

    def flush(self) -> None:
        """Write the failures seen since the last flush (one transaction)."""
        with self._lock:
            rows, self._pending = self._pending, []
            if rows:
                security.record_failures(self.db, rows)

    # -- inside -------------------------------------------------------------------------

    def _load_settings(self) -> None:
        saved = security.security_settings(self.db)
        self.threshold = int(self._fixed["threshold"] or saved["threshold"])
        self.window_s = float(self._fixed["window_s"] or saved["window_s"])
        self.block_s = float(self._fixed["block_s"] or saved["block_s"])
        self.allow_list = saved["allow_list"]

    def _resume(self) -> None:
        """After a restart: count what happened within the windows before it."""
        now = self.now()
        self._blocked = {b["address"]: b["until"] for b in security.list_blocks(self.db, now)}
        row = self.db.execute("SELECT max(id) FROM login_failures").fetchone()
        self._panel_last_id = row[0] or 0
        since = now - max(self.window_s, PANEL_WINDOW_S)
        for f in security.failures_since(self.db, since):
            try:
                address = security.normalise_address(f["address"])
            except StoreError:
                continue
            self._seen.setdefault(address, collections.deque()).append((f["at"], f["service"]))

    def _window(self, address: str, now: float) -> tuple[int, list[str]]:
        seen = self._seen.get(address)
        if not seen:
            return 0, []
        oldest = now - max(self.window_s, PANEL_WINDOW_S)
        while seen and seen[0][0] < oldest:
            seen.popleft()
        hits = [s for at, s in seen
                if at >= now - (PANEL_WINDOW_S if s == "panel" else self.window_s)]
        return len(hits), sorted(set(hits))

    def _sentence(self, services: Iterable[str], count: int, address: str) -> str:
        services = list(services)
        label = "/".join(LABELS.get(s, s) for s in services) or "SIP"
        window = PANEL_WINDOW_S if services == ["panel"] else self.window_s
        return f"{label}: {count} failed authentications from {address} in {window:g} s"

    def _count(self, address: str, service: str, at: float) -> None:
        self._seen.setdefault(address, collections.deque()).append((at, service))
        now = max(self.now(), at)
        count, services = self._window(address, now)
        if count < self.threshold or security.is_allowed(address, self.allow_list):
            return
        until = security.blocked_until(self.db, address, now)   # e.g. blocked by another guard
        if until is not None:
            self._blocked[address] = until
            return
        reason = self._sentence(services, count, address)
        try:
            security.block_source(self.db, address, now + self.block_s, reason)
        except StoreError as exc:   # allow-listed meanwhile
            log.info("not blocking %s: %s", address, exc)
            return
        self.blocked_count += 1
        self._blocked[address] = now + self.block_s
        self._seen.pop(address, None)   # after the block, counting starts afresh
        log.warning("blocked %s for %g s: %s", address, self.block_s, reason)
