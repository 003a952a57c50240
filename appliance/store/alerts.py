"""Alerts in the database: rules the admin sets, where notifications go, active alerts,
their history, and metric samples for the charts (WD-3, WD-4).

The watchdog writes alerts and samples here; the panel, the console menu and `jns alerts`
read them and change rules/settings only through these functions.  One alert row is one
episode of one fault (`check` + `subject`, e.g. disk of /data, trunk "provider"): it is
raised, may change severity, is repeated/escalated, and is resolved; `since` is when the
fault was seen (or started, when known), so detection latency stays observable.

Call-center checks (SUP-3: queue_agents, queue_waiting, queue_longest_wait,
queue_service_level, agent_paused) have `"owner": "calld"`: jns-calld evaluates them on
its live picture (appliance.telephony.queue_alarms) and the watchdog leaves them alone.
A supervisor may give one queue its own rule for a queue check: an override, stored in
alert_rules under the id "<check>:<queue>" (`save_rule(db, "queue_waiting:support", ...)`,
`overrides(db)`, `delete_override(db, check, queue)`); `rule_book(db)` gives the checks'
rules and the overrides in one dict for watchdog.rules.evaluate, which prefers an
override over the all-queues rule.  An override is a complete rule (levels, hysteresis,
repeat, escalation, channels) that starts as a copy of the all-queues rule; it is kept
while its queue exists (a deleted queue's override is not shown or used).

This module never sends anything and never talks to Asterisk; it never returns the SMTP
password.
"""
from __future__ import annotations

import math
import re
import time
from typing import Any

import sqlite_utils

from .db import StoreError, get_setting, transaction

SEVERITIES = ("info", "warning", "critical")

# check id -> what it watches.  "warning"/"critical" are default thresholds (None: the check
# is a yes/no fault and "severity" says how bad it is); "above": True when high values are bad.
CHECKS: dict[str, dict[str, Any]] = {
    "asterisk": {"title": "Asterisk running and answering", "unit": "", "warning": None,
                 "critical": None, "above": True, "severity": "critical"},
    "ami_rtt": {"title": "Asterisk answer time (AMI ping)", "unit": "ms", "warning": 500.0,
                "critical": 2000.0, "above": True},
    "channels": {"title": "Active channels", "unit": "channels", "warning": 200.0,
                 "critical": 300.0, "above": True},
    "trunk_registration": {"title": "Trunk registration", "unit": "", "warning": None,
                           "critical": None, "above": True, "severity": "warning"},
    "disk": {"title": "Data partition used", "unit": "%", "warning": 85.0, "critical": 95.0,
             "above": True},
    "memory": {"title": "Memory used", "unit": "%", "warning": 90.0, "critical": 97.0,
               "above": True},
    "cpu": {"title": "CPU busy", "unit": "%", "warning": 90.0, "critical": 98.0, "above": True},
    "load": {"title": "Load per CPU core", "unit": "", "warning": 2.0, "critical": 4.0,
             "above": True},
    "temperature": {"title": "CPU temperature", "unit": "°C", "warning": 80.0,
                    "critical": 90.0, "above": True},
    "sensor": {"title": "Environment sensors", "unit": "°C", "warning": 45.0, "critical": 55.0,
               "above": True},
    "gsm": {"title": "GSM modem ready (SIM, network)", "unit": "", "warning": None,
            "critical": None, "above": True, "severity": "warning"},
    "gsm_signal": {"title": "GSM signal (0-31)", "unit": "", "warning": 8.0, "critical": 3.0,
                   "above": False},
    "dahdi": {"title": "DAHDI span alarms", "unit": "", "warning": None, "critical": None,
              "above": True, "severity": "critical"},
    "security": {"title": "Failed logins and blocked sources", "unit": "", "warning": None,
                 "critical": None, "above": True, "severity": "warning"},
    "service": {"title": "Box services running", "unit": "", "warning": None, "critical": None,
                "above": True, "severity": "critical"},
    "reboot": {"title": "Restart by the hardware watchdog", "unit": "", "warning": None,
               "critical": None, "above": True, "severity": "warning"},
    # the call center (SUP-3), evaluated by jns-calld (owner) on its live picture; "rule":
    # this check's own defaults where the box-wide ones (_RULE_DEFAULTS) do not fit.
    # Counts of people take no hysteresis: 2 agents after 1 is a real change, and a margin
    # of 1 would keep a 2-agent queue in alarm after the pause ends.
    "queue_agents": {"title": "Agents answering in a queue", "unit": "", "warning": 1.0,
                     "critical": 0.0, "above": False, "owner": "calld", "subject": "queue",
                     "rule": {"hysteresis": 0.0, "repeat_min": 30}},
    "queue_waiting": {"title": "Callers waiting in a queue", "unit": "", "warning": 3.0,
                      "critical": 10.0, "above": True, "owner": "calld", "subject": "queue",
                      "rule": {"hysteresis": 1.0, "repeat_min": 15}},
    "queue_longest_wait": {"title": "Longest wait in a queue", "unit": "s", "warning": 60.0,
                           "critical": 180.0, "above": True, "owner": "calld",
                           "subject": "queue", "rule": {"hysteresis": 10.0, "repeat_min": 15}},
    "queue_service_level": {"title": "Service level of a queue today", "unit": "%",
                            "warning": 80.0, "critical": 60.0, "above": False,
                            "owner": "calld", "subject": "queue",
                            "rule": {"hysteresis": 2.0, "repeat_min": 60}},
    "agent_paused": {"title": "Agent paused for long", "unit": "s", "warning": 900.0,
                     "critical": 1800.0, "above": True, "owner": "calld", "subject": "agent",
                     "rule": {"hysteresis": 0.0, "repeat_min": 30}},
}
# the checks jns-calld evaluates (the watchdog neither evaluates, resumes nor resolves them)
CALLD_CHECKS = tuple(c for c, meta in CHECKS.items() if meta.get("owner") == "calld")
# the checks whose subject is a queue: only these take per-queue overrides
QUEUE_CHECKS = tuple(c for c in CALLD_CHECKS if CHECKS[c].get("subject") == "queue")

_RULE_DEFAULTS = {"enabled": True, "hysteresis": 2.0, "repeat_min": 60, "escalate_min": 0,
                  "notify_sms": True, "notify_email": True, "notify_led": True,
                  "notify_banner": True}
_RULE_FIELDS = ("enabled", "warning", "critical", "hysteresis", "repeat_min", "escalate_min",
                "notify_sms", "notify_email", "notify_led", "notify_banner")
_BOOL_FIELDS = ("enabled", "notify_sms", "notify_email", "notify_led", "notify_banner")

_NOTIFY_DEFAULTS: dict[str, Any] = {
    "smtp_host": "", "smtp_port": 587, "smtp_security": "starttls", "smtp_user": "",
    "mail_from": "", "email_to": [], "sms_to": [], "min_severity_email": "warning",
    "min_severity_sms": "critical"}
SMTP_SECURITY = ("none", "starttls", "ssl")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


# -- rules -------------------------------------------------------------------------------

def rules(db: sqlite_utils.Database) -> list[dict]:
    """One rule per check: the admin's values over the defaults (no per-queue overrides:
    see `overrides` and `rule_book`)."""
    saved = {r["check_id"]: r for r in _rows(db, "SELECT * FROM alert_rules")}
    out = []
    for check, meta in CHECKS.items():
        rule = {"check": check, "title": meta["title"], "unit": meta["unit"],
                "above": meta["above"], "severity": meta.get("severity"),
                "warning": meta["warning"], "critical": meta["critical"], **_RULE_DEFAULTS,
                **meta.get("rule", {})}
        if check in saved:
            _apply_row(rule, saved[check], meta)
        out.append(rule)
    return out


def _apply_row(rule: dict, row: dict, meta: dict) -> None:
    for field in _RULE_FIELDS:
        if field in ("warning", "critical") and meta[field] is None:
            continue
        rule[field] = bool(row[field]) if field in _BOOL_FIELDS else row[field]


def overrides(db: sqlite_utils.Database) -> list[dict]:
    """The per-queue rules of queue checks, by check then queue.  Each is a whole rule
    like `rules()` gives, with "check" = "<check>:<queue>", "base" = the check and
    "queue" = the queue's name; overrides of queues that no longer exist are left out."""
    queues = {r[0] for r in db.execute("SELECT name FROM queues")}
    base = {r["check"]: r for r in rules(db)}
    out = []
    for row in _rows(db, "SELECT * FROM alert_rules WHERE check_id LIKE '%:%' "
                         "ORDER BY check_id"):
        check, _, queue = row["check_id"].partition(":")
        if check not in QUEUE_CHECKS or queue not in queues:
            continue
        rule = {**base[check], "check": row["check_id"], "base": check, "queue": queue}
        _apply_row(rule, row, CHECKS[check])
        out.append(rule)
    out.sort(key=lambda r: (QUEUE_CHECKS.index(r["base"]), r["queue"]))
    return out


def rule_book(db: sqlite_utils.Database) -> dict[str, dict]:
    """Every rule by id, for watchdog.rules.evaluate: "<check>" and "<check>:<queue>"."""
    book = {r["check"]: r for r in rules(db)}
    book.update({r["check"]: r for r in overrides(db)})
    return book


def _split_rule_id(db: sqlite_utils.Database, rule_id: str) -> tuple[str, str | None]:
    """("disk", None) or ("queue_waiting", "support"); StoreError for an unknown check,
    a check that takes no per-queue rule, or a queue that does not exist."""
    check, sep, queue = rule_id.partition(":")
    if check not in CHECKS:
        raise StoreError(f"no alert check named {check!r} (one of {', '.join(CHECKS)})")
    if not sep:
        return check, None
    if check not in QUEUE_CHECKS:
        raise StoreError(f"{CHECKS[check]['title']}: only queue checks "
                         f"({', '.join(QUEUE_CHECKS)}) can have a rule for one queue")
    if not db.execute("SELECT 1 FROM queues WHERE name = ?", [queue]).fetchone():
        raise StoreError(f"no queue named {queue!r}")
    return check, queue


def rule(db: sqlite_utils.Database, check: str) -> dict:
    """One check's rule, or one queue's override ("queue_waiting:support"); a queue
    without its own rule gets the all-queues rule (with "queue" set)."""
    base, queue = _split_rule_id(db, check)
    if queue is not None:
        for r in overrides(db):
            if r["check"] == check:
                return r
        return {**rule(db, base), "check": check, "base": base, "queue": queue}
    for r in rules(db):
        if r["check"] == check:
            return r
    raise StoreError(f"no alert check named {check!r} (one of {', '.join(CHECKS)})")


def delete_override(db: sqlite_utils.Database, check: str, queue: str) -> None:
    """The queue goes back to the all-queues rule of this check."""
    with transaction(db):
        gone = db.conn.execute("DELETE FROM alert_rules WHERE check_id = ?",
                               [f"{check}:{queue}"]).rowcount
    if not gone:
        raise StoreError(f"queue {queue!r} has no rule of its own for "
                         f"{CHECKS[check]['title'] if check in CHECKS else check!r}")


def save_rule(db: sqlite_utils.Database, check: str, **fields: Any) -> None:
    """Change some fields of one check's rule; the rest keep their values.  `check` may
    be "<queue check>:<queue>": that queue's override, created as a copy of the
    all-queues rule the first time."""
    current = rule(db, check)
    unknown = set(fields) - set(_RULE_FIELDS)
    if unknown:
        raise StoreError(f"rule {check}: unknown fields {', '.join(sorted(unknown))} "
                         f"(one of {', '.join(_RULE_FIELDS)})")
    meta = CHECKS[current.get("base", check)]
    new = {f: current[f] for f in _RULE_FIELDS}
    for field, value in fields.items():
        if field in _BOOL_FIELDS:
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise StoreError(f"rule {check}: {field} is yes or no, not {value!r}")
                value = value.lower() in ("1", "true", "yes", "on")
            new[field] = bool(value)
        elif field in ("warning", "critical"):
            if meta[field] is None:
                if value not in (None, ""):
                    raise StoreError(f"rule {check}: this check is a yes/no fault and has no "
                                     f"{field} threshold")
                continue
            new[field] = _number(check, field, value, -1e9, 1e9)
        elif field == "hysteresis":
            new[field] = _number(check, field, value, 0, 1e6)
        else:   # repeat_min, escalate_min
            number = _number(check, field, value, 0, 7 * 24 * 60)
            if number != int(number):
                raise StoreError(f"rule {check}: {field} is whole minutes, not {value!r}")
            new[field] = int(number)
    if meta["warning"] is not None:
        w, c = new["warning"], new["critical"]
        if meta["above"] and w > c:
            raise StoreError(f"rule {check}: the warning level ({w:g}) must not be above the "
                             f"critical level ({c:g})")
        if not meta["above"] and w < c:
            raise StoreError(f"rule {check}: lower values are worse here, so the warning level "
                             f"({w:g}) must not be below the critical level ({c:g})")
    cols = ["check_id", *_RULE_FIELDS]
    values = [check] + [int(new[f]) if f in _BOOL_FIELDS else new[f] for f in _RULE_FIELDS]
    with transaction(db):
        db.conn.execute(
            f"INSERT INTO alert_rules ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            "ON CONFLICT(check_id) DO UPDATE SET "
            + ", ".join(f"{f} = excluded.{f}" for f in _RULE_FIELDS), values)


def _number(check: str, field: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreError(f"rule {check}: {field} must be a number, not {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise StoreError(f"rule {check}: {field} must be from {low:g} to {high:g}, not {value!r}")
    return number


# -- where notifications go ----------------------------------------------------------------

def notify_settings(db: sqlite_utils.Database) -> dict:
    """SMTP server and recipients; the password only as `smtp_password_set`."""
    out: dict[str, Any] = {}
    for key, default in _NOTIFY_DEFAULTS.items():
        raw = get_setting(db, f"alerts.{key}")
        if raw is None:
            out[key] = list(default) if isinstance(default, list) else default
        elif isinstance(default, list):
            out[key] = [x for x in raw.split(",") if x]
        elif isinstance(default, int):
            out[key] = int(raw)
        else:
            out[key] = raw
    out["smtp_password_set"] = bool(get_setting(db, "alerts.smtp_password"))
    return out


def smtp_password(db: sqlite_utils.Database) -> str:
    """For the notifier only; never shown anywhere."""
    return get_setting(db, "alerts.smtp_password") or ""


def save_notify_settings(db: sqlite_utils.Database, **fields: Any) -> None:
    """Change some settings; `smtp_password=""` keeps the stored one."""
    allowed = set(_NOTIFY_DEFAULTS) | {"smtp_password"}
    unknown = set(fields) - allowed
    if unknown:
        raise StoreError(f"notification settings: unknown fields {', '.join(sorted(unknown))}")
    values: dict[str, str] = {}
    for key, value in fields.items():
        if key == "smtp_password":
            if value:
                values[key] = str(value)
        elif key == "smtp_port":
            try:
                port = int(value)
            except (TypeError, ValueError):
                port = 0
            if not 1 <= port <= 65535:
                raise StoreError(f"SMTP port is a number from 1 to 65535, not {value!r}")
            values[key] = str(port)
        elif key == "smtp_security":
            if value not in SMTP_SECURITY:
                raise StoreError(f"SMTP security is one of {', '.join(SMTP_SECURITY)}, "
                                 f"not {value!r}")
            values[key] = value
        elif key in ("email_to", "sms_to"):
            items = _list(value)
            pattern, what = (_EMAIL, "an e-mail address") if key == "email_to" else \
                (_PHONE, "a phone number (digits, a leading + allowed)")
            for item in items:
                if not pattern.match(item):
                    raise StoreError(f"{item!r} is not {what}")
            values[key] = ",".join(items)
        elif key in ("min_severity_email", "min_severity_sms"):
            if value not in SEVERITIES:
                raise StoreError(f"{key.replace('_', ' ')} is one of {', '.join(SEVERITIES)}, "
                                 f"not {value!r}")
            values[key] = value
        elif key == "mail_from":
            value = str(value or "").strip()
            if value and not _EMAIL.match(value):
                raise StoreError(f"sender {value!r} is not an e-mail address")
            values[key] = value
        else:   # smtp_host, smtp_user
            value = str(value or "").strip()
            if any(c.isspace() for c in value):
                raise StoreError(f"{key.replace('_', ' ')} must not contain spaces: {value!r}")
            values[key] = value
    with transaction(db):
        for key, value in values.items():
            db.conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                            "DO UPDATE SET value = excluded.value", [f"alerts.{key}", value])


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,;\s]+", value)
    return [str(v).strip() for v in value or [] if str(v).strip()]


# -- alerts ----------------------------------------------------------------------------------

_ALERT_COLS = ("id, check_id AS 'check', subject, severity, text, since, last_seen, "
               "resolved_at, acknowledged_by, acknowledged_at, notified, value, detected_at")


def active_alerts(db: sqlite_utils.Database) -> list[dict]:
    """Unresolved alerts, most serious first, then oldest first."""
    return _rows(db, f"SELECT {_ALERT_COLS} FROM alerts WHERE resolved_at IS NULL "
                     "ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 "
                     "ELSE 2 END, since")


def acknowledge(db: sqlite_utils.Database, alert_id: int, username: str) -> None:
    """Someone has seen it: repeats stop (escalation and "resolved" still come)."""
    with transaction(db):
        row = db.execute("SELECT resolved_at FROM alerts WHERE id = ?", [alert_id]).fetchone()
        if row is None:
            raise StoreError(f"no alert with number {alert_id}")
        if row[0] is not None:
            raise StoreError(f"alert {alert_id} is already resolved")
        db.conn.execute("UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? "
                        "WHERE id = ?", [username, time.time(), alert_id])


def alert_history(db: sqlite_utils.Database, since: float, until: float, *,
                  check: str | None = None, severity: str | None = None,
                  limit: int = 1000) -> list[dict]:
    """Alerts that were open at some moment in [since, until], newest first."""
    where = ["since <= ?", "(resolved_at IS NULL OR resolved_at >= ?)"]
    args: list[Any] = [until, since]
    if check:
        if check not in CHECKS:
            raise StoreError(f"no alert check named {check!r} (one of {', '.join(CHECKS)})")
        where.append("check_id = ?")
        args.append(check)
    if severity:
        if severity not in SEVERITIES:
            raise StoreError(f"severity is one of {', '.join(SEVERITIES)}, not {severity!r}")
        where.append("severity = ?")
        args.append(severity)
    return _rows(db, f"SELECT {_ALERT_COLS} FROM alerts WHERE {' AND '.join(where)} "
                     "ORDER BY since DESC, id DESC LIMIT ?", [*args, int(limit)])


def open_alert(db: sqlite_utils.Database, check: str, subject: str, severity: str, text: str,
               *, since: float, value: float | None = None,
               detected_at: float | None = None) -> int:
    """The watchdog saw a new fault: one new row.  `since` = when it started (or was seen)."""
    if check not in CHECKS or severity not in SEVERITIES:
        raise StoreError(f"alert {check}/{severity}: unknown check or severity")
    detected = time.time() if detected_at is None else detected_at
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO alerts (check_id, subject, severity, text, since, last_seen, value, "
            "detected_at, notified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')",
            [check, subject, severity, text, since, detected, value, detected])
        return cur.lastrowid


def update_alert(db: sqlite_utils.Database, alert_id: int, *, severity: str | None = None,
                 text: str | None = None, value: float | None = None,
                 at: float | None = None) -> None:
    """Still there (maybe worse or better): refresh last_seen, severity and text."""
    sets, args = ["last_seen = ?"], [time.time() if at is None else at]
    if severity is not None:
        sets.append("severity = ?")
        args.append(severity)
    if text is not None:
        sets.append("text = ?")
        args.append(text)
    if value is not None:
        sets.append("value = ?")
        args.append(value)
    with transaction(db):
        db.conn.execute(f"UPDATE alerts SET {', '.join(sets)} WHERE id = ?", [*args, alert_id])


def resolve_alert(db: sqlite_utils.Database, alert_id: int, *, at: float | None = None,
                  text: str | None = None) -> None:
    with transaction(db):
        db.conn.execute("UPDATE alerts SET resolved_at = ?, last_seen = ?, "
                        "text = coalesce(?, text) WHERE id = ? AND resolved_at IS NULL",
                        [at or time.time(), at or time.time(), text, alert_id])


def note_notified(db: sqlite_utils.Database, alert_id: int, line: str) -> None:
    """Append what was sent for this alert (channel, result) to its `notified` text."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with transaction(db):
        db.conn.execute("UPDATE alerts SET notified = notified || ? WHERE id = ?",
                        [f"{stamp} {line}\n", alert_id])


def alert(db: sqlite_utils.Database, alert_id: int) -> dict | None:
    rows = _rows(db, f"SELECT {_ALERT_COLS} FROM alerts WHERE id = ?", [alert_id])
    return rows[0] if rows else None


# -- metric samples for charts -------------------------------------------------------------

def record_samples(db: sqlite_utils.Database, samples: dict[str, float],
                   at: float | None = None) -> None:
    at = time.time() if at is None else at
    rows = [(name, at, float(v)) for name, v in samples.items()
            if v is not None and math.isfinite(float(v))]
    with transaction(db):
        db.conn.executemany("INSERT INTO metric_samples (name, at, value) VALUES (?, ?, ?)", rows)


def samples(db: sqlite_utils.Database, names: list[str], since: float, until: float,
            max_points: int = 300) -> dict[str, list[tuple[float, float]]]:
    """Each metric's samples in [since, until], averaged into at most `max_points` buckets."""
    max_points = max(1, int(max_points))
    width = max((until - since) / max_points, 1e-9)
    out: dict[str, list[tuple[float, float]]] = {}
    for name in names:
        rows = db.execute(
            "SELECT CAST((at - ?) / ? AS INTEGER) AS bucket, avg(at), avg(value) "
            "FROM metric_samples WHERE name = ? AND at >= ? AND at <= ? "
            "GROUP BY bucket ORDER BY bucket", [since, width, name, since, until]).fetchall()
        out[name] = [(r[1], r[2]) for r in rows]
    return out


def metric_names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT name FROM metric_samples ORDER BY name")]


def prune_samples(db: sqlite_utils.Database, older_than: float) -> int:
    """Drop samples older than a moment (the watchdog keeps about a year)."""
    with transaction(db):
        return db.conn.execute("DELETE FROM metric_samples WHERE at < ?", [older_than]).rowcount


def _rows(db: sqlite_utils.Database, sql: str, args: list | None = None) -> list[dict]:
    cur = db.execute(sql, args or [])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def touch_open(db: sqlite_utils.Database, at: float | None = None) -> None:
    """The watchdog still sees every open alert: move their last_seen to `at`."""
    with transaction(db):
        db.conn.execute("UPDATE alerts SET last_seen = ? WHERE resolved_at IS NULL",
                        [time.time() if at is None else at])


def sample_stats(db: sqlite_utils.Database, since: float,
                 until: float) -> dict[str, tuple[float, float, float, int]]:
    """Each metric's (min, avg, max, number of samples) in [since, until], for reports."""
    rows = db.execute("SELECT name, min(value), avg(value), max(value), count(*) "
                      "FROM metric_samples WHERE at >= ? AND at <= ? GROUP BY name "
                      "ORDER BY name", [since, until]).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
