"""Alert rules as a pure function: what the monitors saw + the admin's rules + what was
already open -> what changed (raised, worse/better, repeated, escalated, resolved).

Thresholds have hysteresis (a value must fall `hysteresis` below a level to leave it, so
a disk at 85.0/84.9/85.1 % does not flap); a fault that is still there is repeated every
`repeat_min` minutes until someone acknowledges it; a warning that lasts `escalate_min`
minutes becomes critical and also goes out by SMS.  A value the monitors could not read
(None) changes nothing: an unknown is never a "resolved".  A rule with the id
"<check>:<subject>" (a queue's own rule, store.alerts.overrides) wins over the check's.

This module never touches the database, the network or the clock: the service passes
`now` and keeps the state between calls.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from ..store.alerts import CHECKS, SEVERITIES

OK = "ok"
# what it means when a checked subject is no longer reported
GONE = {"dahdi": "DAHDI span {subject}: alarm cleared",
        "security": "{subject}: no longer blocked or flooding",
        "gsm": "GSM modem {subject} is no longer present",
        "trunk_registration": "trunk {subject} no longer registers (removed)",
        "queue_agents": "queue {subject}: nobody logged in and no caller waiting "
                        "(or the queue was removed)",
        "queue_waiting": "queue {subject} no longer exists",
        "queue_longest_wait": "queue {subject} no longer exists",
        "queue_service_level": "queue {subject}: fewer than 10 calls today "
                               "(or the queue was removed)",
        "agent_paused": "agent {subject} is no longer paused"}


@dataclass(frozen=True)
class Observation:
    """One thing a monitor saw.  Threshold checks fill `value`; yes/no checks fill `ok`
    (False = fault, None = could not tell) and may carry their own `severity`."""
    check: str
    subject: str = ""
    value: float | None = None
    ok: bool | None = None
    text: str = ""
    severity: str | None = None
    started: float | None = None     # when the fault began, if the monitor knows


@dataclass
class AlertState:
    """An open alert as the service remembers it between rounds."""
    check: str
    subject: str
    severity: str
    since: float
    text: str
    last_notified: float
    peak: str = "info"
    escalated: bool = False
    acknowledged: bool = False
    alert_id: int | None = None
    value: float | None = None


@dataclass(frozen=True)
class Transition:
    kind: str                      # raised | changed | repeat | escalated | resolved
    check: str
    subject: str
    severity: str                  # the alert's severity now (for resolved: its peak)
    text: str
    since: float
    value: float | None = None
    previous: str | None = None    # severity before a change
    sms: bool = False
    email: bool = False
    led: bool = False
    banner: bool = False
    alert_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.check, self.subject)


@dataclass
class Result:
    state: dict[tuple[str, str], AlertState]
    transitions: list[Transition] = field(default_factory=list)


def level(value: float, rule: dict, previous: str = OK) -> str:
    """ok / warning / critical for a measured value, with hysteresis around both levels."""
    warning, critical = rule["warning"], rule["critical"]
    hyst = float(rule.get("hysteresis") or 0)
    above = rule.get("above", True)

    def beyond(limit: float, margin: float) -> bool:
        return value >= limit - margin if above else value <= limit + margin

    if critical is not None and beyond(critical, hyst if previous == "critical" else 0):
        return "critical"
    if warning is not None and beyond(warning, hyst if previous in ("warning", "critical") else 0):
        return "warning"
    return OK


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def evaluate(observations: Iterable[Observation], rules: dict[str, dict],
             state: dict[tuple[str, str], AlertState], now: float, *,
             checked: Iterable[str] | None = None) -> Result:
    """One round.  `checked`: the checks that ran this round (default: those observed);
    an open alert of a checked check whose subject was not observed is resolved (the
    modem or trunk is gone), alerts of checks that did not run stay as they are."""
    observations = list(observations)
    checked = set(checked) if checked is not None else {o.check for o in observations}
    new_state = {k: dataclasses.replace(v) for k, v in state.items()}
    out: list[Transition] = []
    seen: set[tuple[str, str]] = set()

    for obs in observations:
        rule = rules.get(f"{obs.check}:{obs.subject}") or rules.get(obs.check)
        if rule is None:
            continue
        key = (obs.check, obs.subject)
        seen.add(key)
        current = new_state.get(key)
        if not rule["enabled"]:
            if current:
                out.append(_resolved(current, rule, "check switched off", now))
                del new_state[key]
            continue
        meta = CHECKS[obs.check]
        if meta["warning"] is None:          # yes/no fault
            if obs.ok is None:
                continue
            severity = OK if obs.ok else (obs.severity or meta.get("severity") or "warning")
        else:
            if obs.value is None:
                continue
            severity = level(obs.value, rule, current.severity if current else OK)
        if current and current.escalated and severity == "warning":
            severity = "critical"            # an escalated warning stays critical until fixed
        text = _describe(obs, rule, severity)

        if severity == OK:
            if current:
                out.append(_resolved(current, rule, text, now, value=obs.value))
                del new_state[key]
            continue

        if current is None:
            since = obs.started if obs.started is not None else now
            new_state[key] = AlertState(obs.check, obs.subject, severity, since, text, now,
                                        peak=severity, value=obs.value)
            out.append(_transition("raised", new_state[key], rule, value=obs.value))
            continue

        current.text, current.value = text, obs.value
        if severity != current.severity:
            previous = current.severity
            current.severity = severity
            current.last_notified = now
            if _rank(severity) > _rank(current.peak):
                current.peak = severity
            out.append(_transition("changed", current, rule, value=obs.value, previous=previous))
            continue

        escalate_s = float(rule.get("escalate_min") or 0) * 60
        if (escalate_s and severity == "warning" and not current.escalated
                and now - current.since >= escalate_s):
            current.escalated, current.severity, current.peak = True, "critical", "critical"
            current.last_notified = now
            current.text = f"{text} (for {int((now - current.since) // 60)} min)"
            t = _transition("escalated", current, rule, value=obs.value, previous="warning")
            out.append(dataclasses.replace(t, sms=True))
            continue

        repeat_s = float(rule.get("repeat_min") or 0) * 60
        if repeat_s and not current.acknowledged and now - current.last_notified >= repeat_s:
            current.last_notified = now
            out.append(_transition("repeat", current, rule, value=obs.value))

    for key, current in list(new_state.items()):
        if key[0] in checked and key not in seen:
            rule = rules.get(f"{key[0]}:{key[1]}") or rules.get(key[0]) or {}
            gone = GONE.get(key[0], "{subject} is no longer present")
            out.append(_resolved(current, rule, gone.format(subject=current.subject or key[0]),
                                 now))
            del new_state[key]
    return Result(new_state, out)


def _transition(kind: str, st: AlertState, rule: dict, *, value: float | None = None,
                previous: str | None = None) -> Transition:
    return Transition(kind, st.check, st.subject, st.severity, st.text, st.since, value,
                      previous, sms=bool(rule.get("notify_sms")),
                      email=bool(rule.get("notify_email")), led=bool(rule.get("notify_led")),
                      banner=bool(rule.get("notify_banner")), alert_id=st.alert_id)


def _resolved(st: AlertState, rule: dict, text: str, now: float, *,
              value: float | None = None) -> Transition:
    peak = st.peak if _rank(st.peak) >= _rank(st.severity) else st.severity
    return Transition("resolved", st.check, st.subject, peak, text, st.since, value,
                      st.severity, sms=bool(rule.get("notify_sms")),
                      email=bool(rule.get("notify_email")), led=bool(rule.get("notify_led")),
                      banner=bool(rule.get("notify_banner")), alert_id=st.alert_id)


def _describe(obs: Observation, rule: dict, severity: str) -> str:
    """The monitor's own words when it has them; a threshold check adds the level."""
    title = CHECKS[obs.check]["title"]
    where = f" ({obs.subject})" if obs.subject else ""
    if obs.value is None:
        return obs.text or f"{title}{where}: {'fault' if severity != OK else 'back to normal'}"
    unit = CHECKS[obs.check]["unit"]
    shown = f"{obs.value:.0f}" if abs(obs.value) >= 10 else f"{obs.value:.2g}"
    head = obs.text or f"{title}{where}: {shown}{unit}"
    if severity == OK:
        return f"{head}; back to normal"
    limit = rule[severity] if severity in ("warning", "critical") else None
    word = "above" if rule.get("above", True) else "below"
    if limit is not None and obs.value == limit:
        word = "at"
    return f"{head} ({word} the {severity} level of {limit:g}{unit})" if limit is not None \
        else head


def most_serious(state: dict[tuple[str, str], AlertState]) -> str:
    """ok / info / warning / critical over all open alerts (the LED and the banner)."""
    worst = OK
    for st in state.values():
        if worst == OK or _rank(st.severity) > _rank(worst):
            worst = st.severity
    return worst
