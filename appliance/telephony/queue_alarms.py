"""Call-center alarms with thresholds (SUP-3): the live picture -> queue and agent alarms,
raised, repeated, escalated and resolved by the watchdog's own rule engine
(appliance.watchdog.rules) and sent through its notifier (e-mail, SMS through the modem
service's outbox, the LED pattern; the panel's banner is the open alert rows).

jns-calld owns these checks (store.alerts.CALLD_CHECKS); the watchdog never evaluates or
resolves them.  What each check measures, from the snapshot of appliance.telephony.live:

- queue_agents: agents logged in to the queue who can take its calls now (not paused, not
  unreachable; busy on a call counts).  Lower is worse (default: warning at 1 = "one agent
  left", critical at 0).  Evaluated only while the queue is staffed or called: some agent
  is logged in to it (paused ones too) or a caller waits in it.  A queue nobody works and
  nobody calls (before opening, after closing, never staffed today) raises nothing, and an
  open alarm of it resolves when the last agent logs out and no caller is left: going home
  is not an emergency, a caller waiting with nobody to answer is (value 0: critical).
- queue_waiting: callers waiting in the queue.
- queue_longest_wait: seconds the oldest waiting caller has waited (0 when nobody waits).
- queue_service_level: today's service level in %, lower is worse; observed only once the
  queue had MIN_CALLS_FOR_SERVICE_LEVEL (10) answered + abandoned calls today (a morning's
  first unlucky call is no statistic).
- agent_paused: seconds an agent has been paused, one observation per paused agent
  (subject = the extension); unpausing or logging out resolves it.

While Asterisk is away (`asterisk.connected` false) nothing is observed and nothing
changes: an unknown is never a "resolved".  A queue's own rule (store.alerts.overrides)
wins over the all-queues rule.  `QueueAlarms.evaluate` works at most once a second
(MIN_INTERVAL_S); calls in between get the last answer.

This module never talks to Asterisk and never changes rules; `observations` is pure.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from ..store import alerts as store_alerts
from ..store.db import open_db
from ..watchdog import rules
from ..watchdog.notify import Notifier
from ..watchdog.rules import AlertState, Observation, Transition

log = logging.getLogger("jns.calld.alarms")

MIN_CALLS_FOR_SERVICE_LEVEL = 10
MIN_INTERVAL_S = 1.0
NOT_TAKING_CALLS = ("logged_out", "unavailable")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _queue_label(name: str, queue: dict) -> str:
    title = queue.get("title") or ""
    return f"Queue {name}" + (f" ({title})" if title and title != name else "")


def observations(snapshot: dict, now: float) -> list[Observation]:
    """What the live picture says, one observation per queue per queue check and one per
    paused agent; [] while Asterisk is not connected.  Pure."""
    if not (snapshot.get("asterisk") or {}).get("connected"):
        return []
    agents: dict[str, dict] = snapshot.get("agents") or {}
    out: list[Observation] = []
    for name, queue in sorted((snapshot.get("queues") or {}).items()):
        label = _queue_label(name, queue)
        members = [a for a in agents.values() if name in (a.get("queues") or [])
                   and a.get("state") not in NOT_TAKING_CALLS]
        taking = [a for a in members if not a.get("paused") and a.get("state") != "paused"]
        waiting = int(queue.get("waiting") or 0)
        if members or waiting:
            n = len(taking)
            paused = len(members) - n
            out.append(Observation(
                "queue_agents", name, value=float(n),
                text=f"{label}: {_plural(n, 'agent', 'agents')} taking calls"
                     + (f", {paused} paused" if paused else "")
                     + (f", {_plural(waiting, 'caller', 'callers')} waiting" if waiting else "")))
        out.append(Observation("queue_waiting", name, value=float(waiting),
                               text=f"{label}: {_plural(waiting, 'caller', 'callers')} waiting"))
        oldest = queue.get("longest_wait_since")
        wait = max(0.0, now - float(oldest)) if oldest is not None and waiting else 0.0
        out.append(Observation("queue_longest_wait", name, value=float(round(wait)),
                               text=f"{label}: the longest waiting caller has waited "
                                    f"{wait:.0f} s" if wait else f"{label}: nobody waiting"))
        calls = int(queue.get("answered_today") or 0) + int(queue.get("abandoned_today") or 0)
        level = queue.get("service_level_today")
        if level is not None and calls >= MIN_CALLS_FOR_SERVICE_LEVEL:
            sl_s = queue.get("sl_seconds")
            within = f" answered within {sl_s} s" if sl_s else ""
            out.append(Observation("queue_service_level", name, value=float(level),
                                   text=f"{label}: service level today {float(level):.0f}%"
                                        f"{within} ({calls} calls)"))
    for ext, agent in sorted(agents.items()):
        if not agent.get("paused") or agent.get("state") == "logged_out":
            continue
        since = agent.get("paused_since")
        if since is None:
            continue
        paused_s = max(0.0, now - float(since))
        who = f"Agent {ext}" + (f" ({agent['name']})" if agent.get("name") else "")
        reason = f", reason: {agent['pause_reason']}" if agent.get("pause_reason") else ""
        out.append(Observation("agent_paused", ext, value=float(round(paused_s)),
                               text=f"{who}: paused for {int(paused_s // 60)} min{reason}"))
    return out


class QueueAlarms:
    """The call-center alarms of one box, kept between calls of `evaluate` (jns-calld calls
    it at most once a second and at least every 5 s).  Alerts left open by a previous run
    are taken over from the database: no duplicate rows or messages after a restart."""

    def __init__(self, db_path: str | os.PathLike, *, leds_root: str | None = "/sys/class/leds",
                 hostname: str | None = None, smtp_timeout: float = 15.0,
                 min_interval_s: float = MIN_INTERVAL_S) -> None:
        self.db_path = os.fspath(db_path)
        self.db = open_db(self.db_path)
        self.notifier = Notifier(self.db_path, leds_root=leds_root, hostname=hostname,
                                 smtp_timeout=smtp_timeout)
        self.min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._last_round = float("-inf")
        self.state: dict[tuple[str, str], AlertState] = self._resume()
        self._open = self._alarms()
        self._show_leds()

    def evaluate(self, snapshot: dict, now: float | None = None) -> list[dict]:
        """One round over the live picture; the open call-center alarms for the wallboard,
        most serious first: [{"check", "subject", "severity", "text", "since"}].  Never
        raises: a failed round is logged and the last answer stands."""
        now = time.time() if now is None else now
        with self._lock:
            if 0 <= now - self._last_round < self.min_interval_s:
                return list(self._open)
            self._last_round = now
            try:
                self._round(snapshot, now)
            except Exception:
                log.exception("call-center alarm round failed; the next one continues")
            return list(self._open)

    def alarms(self) -> list[dict]:
        """The open call-center alarms as the last round left them."""
        with self._lock:
            return list(self._open)

    def close(self) -> None:
        self.notifier.flush(10)
        self.notifier.close()
        self.db.conn.close()

    # -- one round ---------------------------------------------------------------------

    def _round(self, snapshot: dict, now: float) -> None:
        book = store_alerts.rule_book(self.db)
        acked = {a["id"] for a in store_alerts.active_alerts(self.db) if a["acknowledged_by"]}
        for st in self.state.values():
            st.acknowledged = st.alert_id in acked
        connected = bool((snapshot.get("asterisk") or {}).get("connected"))
        checked = set(store_alerts.CALLD_CHECKS) if connected else set()
        result = rules.evaluate(observations(snapshot, now), book, self.state, now,
                                checked=checked)
        self.state = result.state
        for t in result.transitions:
            self._record(t, now)
        if result.transitions:
            self._show_leds(book)
        self._open = self._alarms()

    def _record(self, t: Transition, now: float) -> None:
        """One transition into the alert rows (as the watchdog does), then out to people."""
        if t.kind == "raised":
            alert_id = store_alerts.open_alert(self.db, t.check, t.subject, t.severity, t.text,
                                               since=t.since, value=t.value, detected_at=now)
            self.state[t.key].alert_id = alert_id
        else:
            alert_id = t.alert_id
            if alert_id is None:
                log.warning("transition %s for %s without an alert row", t.kind, t.key)
                return
            if t.kind == "resolved":
                store_alerts.resolve_alert(self.db, alert_id, at=now, text=t.text)
            else:
                store_alerts.update_alert(self.db, alert_id, severity=t.severity, text=t.text,
                                          value=t.value, at=now)
        (log.info if t.kind == "resolved" else log.warning)(
            "%s %s/%s: %s", "OK" if t.kind == "resolved" else t.severity.upper(), t.check,
            t.subject, t.text)
        self.notifier.deliver(t, alert_id)

    def _resume(self) -> dict[tuple[str, str], AlertState]:
        state = {}
        for a in store_alerts.active_alerts(self.db):
            if a["check"] not in store_alerts.CALLD_CHECKS:
                continue
            state[(a["check"], a["subject"])] = AlertState(
                a["check"], a["subject"], a["severity"], a["since"], a["text"],
                last_notified=a["last_seen"], peak=a["severity"],
                acknowledged=bool(a["acknowledged_by"]), alert_id=a["id"], value=a["value"])
        return state

    def _alarms(self) -> list[dict[str, Any]]:
        order = {"critical": 0, "warning": 1, "info": 2}
        return [{"check": s.check, "subject": s.subject, "severity": s.severity,
                 "text": s.text, "since": s.since}
                for s in sorted(self.state.values(),
                                key=lambda s: (order.get(s.severity, 3), s.since, s.subject))]

    def _show_leds(self, book: dict[str, dict] | None = None) -> None:
        """The LEDs show every open alert whose rule wants them, the watchdog's too (it
        does the same with ours), so the two services never undo each other's pattern."""
        try:
            book = book or store_alerts.rule_book(self.db)
            shown = []
            for a in store_alerts.active_alerts(self.db):
                rule = book.get(f"{a['check']}:{a['subject']}") or book.get(a["check"]) or {}
                if rule.get("notify_led", True):
                    shown.append({"check": a["check"], "severity": a["severity"]})
            self.notifier.show_leds(shown)
        except Exception:
            log.exception("setting the LEDs for the call-center alarms failed")
