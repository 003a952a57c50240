"""Every call-center report as SQL over the report tables (RPT-1..8, AT-1..4, SUP-4).

The panel, the exports and the monthly report take every number from here; this module
reads only what appliance/reports/ingest.py wrote (report_calls, report_agent_time,
report_cdr, ql_events), the hourly sums of report_calls appliance/reports/rollup.py made
from them (report_calls_hourly) plus the thresholds in settings.  It must never write call data,
never load the rows of a period into Python (it aggregates in SQL, one pass per table
where it can, and pages details with LIMIT/OFFSET), and never divide by zero: an average
or a percentage without a denominator is None, never an invented 0.

Calls are queue visits (report_calls rows) chosen by the time they entered the queue;
agent time is clipped to the period.  DEFINITIONS says exactly how each figure is made,
in words a supervisor can check against a call they remember.

Row and figure values: times as epoch seconds (int), durations as whole seconds (int),
percentages as floats 0..100.  Details rows of calls carry, besides their columns,
`recording_id` (the recordings-table id of the call's recording, or None).  A Chart's
optional `drill` = {"report": details name, "where": [where dict per label],
"series": [extra where dict per series]} lets the panel link a bar to its calls.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import sqlite_utils

from ..store.db import StoreError, get_setting, set_setting, transaction
from .rollup import ATTEMPTS, WAIT_EDGES

# -- filter and thresholds ----------------------------------------------------------------

THRESHOLDS = {          # setting key, default, lowest, highest (seconds)
    "sl_seconds": ("report_sl_seconds", 20, 1, 3600),
    "short_abandon_s": ("report_short_abandon_s", 5, 0, 600),
    "short_call_s": ("report_short_call_s", 5, 0, 600),
}


@dataclass(frozen=True)
class Filter:
    start: int                      # epoch s, inclusive
    end: int                        # epoch s, exclusive
    queues: tuple[str, ...] = ()    # empty = all queues
    agents: tuple[str, ...] = ()    # agent extensions; empty = all
    sl_seconds: int = 20            # service level threshold T
    short_abandon_s: int = 5        # abandons shorter than this are "short"
    short_call_s: int = 5           # answered calls with talk shorter than this are "short"


def thresholds(db: sqlite_utils.Database) -> dict:
    """The report thresholds from settings (defaults when never set or unreadable)."""
    out = {}
    for name, (key, default, low, high) in THRESHOLDS.items():
        raw = get_setting(db, key)
        try:
            value = int(raw) if raw is not None else default
        except ValueError:
            value = default
        out[name] = value if low <= value <= high else default
    return out


def save_thresholds(db: sqlite_utils.Database, **values: Any) -> None:
    """Store thresholds (sl_seconds, short_abandon_s, short_call_s); all or nothing."""
    clean = {}
    for name, raw in values.items():
        if name not in THRESHOLDS:
            raise StoreError(f"unknown report threshold {name!r}; known: {', '.join(THRESHOLDS)}")
        key, _default, low, high = THRESHOLDS[name]
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise StoreError(f"{name}: {raw!r} is not a whole number of seconds") from None
        if not low <= value <= high:
            raise StoreError(f"{name}: {value} s is out of range; use {low} to {high} s")
        clean[key] = str(value)
    with transaction(db):
        for key, value in clean.items():
            set_setting(db, key, value)     # joins this transaction


def make_filter(db: sqlite_utils.Database, start: int, end: int, queues: tuple[str, ...] | list = (),
                agents: tuple[str, ...] | list = ()) -> Filter:
    """A Filter for [start, end) with the thresholds from settings."""
    start, end = int(start), int(end)
    if end <= start:
        raise ValueError("the period ends before it starts; pick an end date after the start date")
    return Filter(start, end, tuple(str(q) for q in queues), tuple(str(a) for a in agents),
                  **thresholds(db))


# -- what reports return ------------------------------------------------------------------

@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"   # text | int | number | seconds | percent | datetime | date | recording | callid
    sortable: bool = True


@dataclass
class Figure:
    key: str
    label: str
    value: float | int | None
    kind: str
    drill: dict | None = None


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    drill: dict | None = None


@dataclass
class Chart:
    key: str
    title: str
    kind: str                               # bars | stacked | histogram | line
    labels: list[str]
    series: list[tuple[str, list[float]]]
    unit: str = ""
    drill: dict | None = None


@dataclass
class Report:
    name: str
    title: str
    features: tuple[str, ...]
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class ReportInfo:
    name: str
    title: str
    kind: str                 # details | summary
    features: tuple[str, ...]
    description: str


REPORTS: dict[str, ReportInfo] = {r.name: r for r in (
    ReportInfo("overview", "Overview", "summary", ("RPT-9", "SUP-4"),
               "Headline figures, calls per hour and per day, service level per day and the "
               "wait-time distribution (agent occupancy is in Agent time)."),
    ReportInfo("answered", "Answered calls", "details", ("RPT-1",),
               "Every answered call: time, queue, caller, wait, talk time, agent, recording."),
    ReportInfo("answered_summary", "Answered calls summary", "summary", ("RPT-3",),
               "Talk and wait times, agents available, per agent, per queue, who hung up, "
               "calls per caller number."),
    ReportInfo("unanswered", "Unanswered calls", "details", ("RPT-2",),
               "Every unanswered call: time, queue, reason, wait before hangup, position, "
               "key pressed."),
    ReportInfo("unanswered_summary", "Unanswered calls summary", "summary", ("RPT-4",),
               "Time before hangup, position at hangup, reasons, per queue, abandon rate."),
    ReportInfo("calls", "All queue calls", "details", ("RPT-1", "RPT-2"),
               "Every visit of a caller to a queue, answered or not."),
    ReportInfo("outbound", "Outbound calls summary", "summary", ("RPT-5",),
               "Outbound calls placed by agents: answered, unanswered, durations, per agent."),
    ReportInfo("outbound_calls", "Outbound calls", "details", ("RPT-5",),
               "Every outbound call from the CDR: agent, number, result, duration."),
    ReportInfo("all_calls", "All calls per number", "summary", ("RPT-6",),
               "Calls (journeys) per caller number with % answered and % unanswered."),
    ReportInfo("journeys", "Calls (journeys)", "details", ("RPT-6",),
               "Every call as the caller lived it: all the queues it passed, answered or not."),
    ReportInfo("numbers", "Caller numbers", "details", ("RPT-6",),
               "Every caller number with its calls, % answered and % unanswered."),
    ReportInfo("agents", "Agents", "summary", ("RPT-7",),
               "Agents available, work time, session lengths, calls answered per queue."),
    ReportInfo("attempts", "ACD attempts", "summary", ("RPT-8",),
               "How many agents were rung per call, for answered and unanswered calls."),
    ReportInfo("agent_time", "Agent time", "summary", ("AT-1", "AT-2", "AT-3", "AT-4"),
               "Work time with pauses, pause time per reason, sessions, calls and call times, "
               "share of all answered calls, occupancy."),
    ReportInfo("sessions", "Agent sessions", "details", ("AT-3",),
               "Every agent session (login to logout) with its pauses."),
    ReportInfo("pauses", "Agent pauses", "details", ("AT-1",),
               "Every pause with its reason and length."),
    ReportInfo("queues", "Queues", "summary", ("SUP-4",),
               "Per queue: offered, answered, unanswered, average wait and talk, service level, "
               "ASA, abandon rate."),
    ReportInfo("callbacks", "Callbacks", "details", ("BEY-2",),
               "Every callback a waiting caller asked for: queue, number, result, the agent "
               "who called back and after how long."),
)}

# -- validated drill-down (where) ---------------------------------------------------------

STATUSES = ("answered", "unanswered", "waiting", "talking")
JOURNEY_STATUSES = ("answered", "unanswered", "in_progress")
REASONS = ("caller", "agent", "transfer", "abandon", "timeout", "key", "empty", "full",
           "joinempty", "withdraw", "unknown", "callback")
# a callback's own end (queue_callbacks.status, appliance.telephony.callbacks.STATUSES)
CALLBACK_RESULTS = ("requested", "waiting", "dialling", "connected", "failed", "expired",
                    "cancelled")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
WHERE_KEYS = ("status", "reason", "queue", "agent", "caller", "did", "sl", "short", "hour",
              "day", "wait_from", "wait_to", "attempts", "disposition")
_TEXT_RE = re.compile(r"^[^\x00-\x1f]{0,80}$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bad(key: str, value: Any, why: str) -> ValueError:
    return ValueError(f"drill-down {key}={value!r}: {why}")


def _int_value(key: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _bad(key, value, "not a whole number") from None
    if not low <= number <= high:
        raise _bad(key, value, f"must be {low}..{high}")
    return number


def _text_value(key: str, value: Any) -> str:
    text = str(value)
    if not _TEXT_RE.match(text):
        raise _bad(key, value, "too long or has control characters")
    return text


def day_range(day: str) -> tuple[int, int]:
    """Epoch [start, end) of a local calendar day 'YYYY-MM-DD'."""
    if not _DAY_RE.match(str(day)):
        raise _bad("day", day, "use YYYY-MM-DD")
    try:
        first = dt.date.fromisoformat(str(day))
    except ValueError:
        raise _bad("day", day, "no such date") from None
    nxt = first + dt.timedelta(days=1)
    return (int(time.mktime((first.year, first.month, first.day, 0, 0, 0, 0, 0, -1))),
            int(time.mktime((nxt.year, nxt.month, nxt.day, 0, 0, 0, 0, 0, -1))))


_LOCAL_HOUR = "CAST(strftime('%H', {t}, 'unixepoch', 'localtime') AS INTEGER)"


def _short_sql(a: str, f: Filter) -> str:
    return (f"(({a}.status = 'answered' AND {a}.talk < {int(f.short_call_s)}) OR "
            f"({a}.status = 'unanswered' AND {a}.reason = 'abandon' "
            f"AND {a}.wait < {int(f.short_abandon_s)}))")


def _call_where(f: Filter, where: dict | None, allowed: tuple[str, ...], *, alias: str = "c",
                time_col: str = "entered", status_sql: str | None = None,
                ) -> tuple[list[str], list]:
    """SQL conditions (and parameters) of a drill-down on report_calls-like rows."""
    a = alias
    clauses: list[str] = []
    params: list = []
    for key, value in (where or {}).items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            raise ValueError(f"drill-down key {key!r} is not known for this report; known: {known}")
        if value is None or value == "":
            raise _bad(key, value, "empty value")
        if key == "status":
            choices = JOURNEY_STATUSES if status_sql else STATUSES
            if value not in choices:
                raise _bad(key, value, f"use one of {', '.join(choices)}")
            clauses.append(f"{status_sql or a + '.status'} = ?")
            params.append(value)
        elif key == "reason":
            if value not in REASONS:
                raise _bad(key, value, f"use one of {', '.join(REASONS)}")
            clauses.append(f"{a}.reason = ?")
            params.append(value)
        elif key in ("queue", "agent", "caller", "did"):
            clauses.append(f"{a}.{key} = ?")
            params.append(_text_value(key, value))
        elif key == "sl":
            if value not in ("within", "over"):
                raise _bad(key, value, "use within or over")
            clauses.append(f"{a}.wait {'<=' if value == 'within' else '>'} {int(f.sl_seconds)}")
        elif key == "short":
            if value not in ("yes", "no"):
                raise _bad(key, value, "use yes or no")
            clauses.append(_short_sql(a, f) if value == "yes" else f"NOT {_short_sql(a, f)}")
        elif key == "hour":
            clauses.append(_LOCAL_HOUR.format(t=f"{a}.{time_col}") + " = ?")
            params.append(_int_value(key, value, 0, 23))
        elif key == "day":
            low, high = day_range(value)
            clauses.append(f"{a}.{time_col} >= ? AND {a}.{time_col} < ?")
            params += [low, high]
        elif key in ("wait_from", "wait_to"):
            clauses.append(f"{a}.wait {'>=' if key == 'wait_from' else '<'} ?")
            params.append(_int_value(key, value, 0, 10 ** 7))
        elif key == "attempts":
            clauses.append(f"{a}.attempts = ?")
            params.append(_int_value(key, value, 0, 10 ** 4))
        elif key == "disposition":
            if value not in DISPOSITIONS:
                raise _bad(key, value, f"use one of {', '.join(DISPOSITIONS)}")
            clauses.append(f"{a}.disposition = ?")
            params.append(value)
    return clauses, params


def _in(column: str, values: tuple[str, ...]) -> tuple[str, list]:
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def _calls_filter(f: Filter, alias: str = "c", *, agents: bool = True) -> tuple[list[str], list]:
    """The Filter on report_calls: entered in the period, queues, agents who answered."""
    clauses = [f"{alias}.entered >= ?", f"{alias}.entered < ?"]
    params: list = [int(f.start), int(f.end)]
    if f.queues:
        sql, p = _in(f"{alias}.queue", f.queues)
        clauses.append(sql)
        params += p
    if agents and f.agents:
        sql, p = _in(f"{alias}.agent", f.agents)
        clauses.append(sql)
        params += p
    return clauses, params


def _journey_filter(f: Filter) -> tuple[list[str], list]:
    """Journeys: their first part entered in the period; queue filter = any part was in one
    of the queues; agent filter = any part was answered by one of the agents."""
    clauses = ["c.part = 1", "c.entered >= ?", "c.entered < ?"]
    params: list = [int(f.start), int(f.end)]
    for column, values in (("queue", f.queues), ("agent", f.agents)):
        if values:
            marks = ", ".join("?" for _ in values)
            clauses.append(f"(c.{column} IN ({marks}) OR EXISTS (SELECT 1 FROM report_calls y "
                           f"WHERE y.callid = c.callid AND y.part > 1 AND y.{column} IN ({marks})))")
            params += list(values) * 2
    return clauses, params


# an abandon ends the journey (the caller hung up): only other ends need the other parts
_JOURNEY_STATUS = ("(CASE WHEN c.status = 'answered' THEN 'answered' "
                   "WHEN c.status = 'unanswered' AND c.reason = 'abandon' THEN 'unanswered' ELSE "
                   "(SELECT CASE WHEN max(x.status = 'answered') THEN 'answered' "
                   "WHEN max(x.status IN ('waiting', 'talking')) THEN 'in_progress' "
                   "ELSE 'unanswered' END FROM report_calls x WHERE x.callid = c.callid) END)")


def _agent_time_filter(f: Filter, kind: str, now: int) -> tuple[list[str], list]:
    """report_agent_time rows of a kind overlapping the period (open ones last until now);
    queue filter = agents who had a session covering one of the queues in the period."""
    clauses = ["t.kind = ?", "t.start < ?", "coalesce(t.\"end\", ?) > ?"]
    params: list = [kind, int(f.end), now, int(f.start)]
    if f.agents:
        sql, p = _in("t.agent", f.agents)
        clauses.append(sql)
        params += p
    if f.queues:
        likes = " OR ".join("(',' || s.queues || ',') LIKE ?" for _ in f.queues)
        clauses.append("t.agent IN (SELECT s.agent FROM report_agent_time s WHERE "
                       "s.kind = 'session' AND s.start < ? AND coalesce(s.\"end\", ?) > ? "
                       f"AND ({likes}))")
        params += [int(f.end), now, int(f.start)] + [f"%,{q},%" for q in f.queues]
    return clauses, params


def _clipped(f: Filter, now: int, alias: str = "t") -> str:
    """Seconds of an agent-time row inside the period (open rows end now)."""
    return (f"max(0, min(coalesce({alias}.\"end\", {int(now)}), {int(f.end)}) "
            f"- max({alias}.start, {int(f.start)}))")


# -- details ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Details:
    columns: tuple[Column, ...]
    exprs: dict[str, str]           # column key -> SQL
    source: str
    filter: Callable[[Filter, int], tuple[list[str], list]]
    where_keys: tuple[str, ...]
    order: str                      # default order (time ascending)
    status_sql: str | None = None   # journeys: computed status
    time_col: str = "entered"


def _c(key: str, label: str, kind: str = "text", sortable: bool = True) -> Column:
    return Column(key, label, kind, sortable)


_CALL_WHERE = ("status", "reason", "queue", "agent", "caller", "did", "sl", "short", "hour",
               "day", "wait_from", "wait_to", "attempts")
_CALL_EXPRS = {k: f"c.{k}" for k in (
    "entered", "queue", "caller", "did", "ivr", "wait", "talk", "agent", "reason", "attempts",
    "recording", "callid", "position", "origposition", "key", "status", "part", "transfer")}
# the result of the callback the caller asked for (only a visit that ended 'callback' looks)
_CALL_EXPRS["callback"] = ("(CASE WHEN c.reason = 'callback' THEN (SELECT k.status FROM "
                           "queue_callbacks k WHERE k.caller_uniqueid = c.callid AND "
                           "k.queue = c.queue ORDER BY k.id DESC LIMIT 1) END)")

_DETAILS: dict[str, _Details] = {
    "answered": _Details(
        (_c("entered", "Entered queue", "datetime"), _c("queue", "Queue"), _c("caller", "Caller"),
         _c("did", "Number dialled"), _c("wait", "Wait", "seconds"), _c("talk", "Talk time", "seconds"),
         _c("agent", "Agent"), _c("reason", "Ended by"), _c("attempts", "Attempts", "int"),
         _c("recording", "Recording", "recording"), _c("callid", "Call", "callid")),
        _CALL_EXPRS, "report_calls c",
        lambda f, now: _calls_filter(f), _CALL_WHERE, "c.entered, c.id"),
    "unanswered": _Details(
        (_c("entered", "Entered queue", "datetime"), _c("queue", "Queue"), _c("caller", "Caller"),
         _c("did", "Number dialled"), _c("ivr", "IVR keys"), _c("reason", "Reason"),
         _c("wait", "Wait before hangup", "seconds"), _c("position", "Position at hangup", "int"),
         _c("origposition", "Position on entry", "int"), _c("key", "Key pressed"),
         _c("attempts", "Attempts", "int"), _c("callback", "Callback"),
         _c("callid", "Call", "callid")),
        _CALL_EXPRS, "report_calls c",
        lambda f, now: _calls_filter(f), _CALL_WHERE, "c.entered, c.id"),
    "calls": _Details(
        (_c("entered", "Entered queue", "datetime"), _c("queue", "Queue"), _c("part", "Part", "int"),
         _c("caller", "Caller"), _c("did", "Number dialled"), _c("ivr", "IVR keys"),
         _c("status", "Status"), _c("reason", "Reason"), _c("agent", "Agent"),
         _c("wait", "Wait", "seconds"), _c("talk", "Talk time", "seconds"),
         _c("attempts", "Attempts", "int"), _c("position", "Position at hangup", "int"),
         _c("key", "Key pressed"), _c("recording", "Recording", "recording"),
         _c("callid", "Call", "callid")),
        _CALL_EXPRS, "report_calls c",
        lambda f, now: _calls_filter(f), _CALL_WHERE, "c.entered, c.id"),
    "journeys": _Details(
        (_c("entered", "Entered", "datetime"), _c("caller", "Caller"), _c("did", "Number dialled"),
         _c("status", "Status"), _c("queues", "Queues", sortable=False),
         _c("parts", "Queues visited", "int", sortable=False),
         _c("agent", "Agent", sortable=False), _c("callid", "Call", "callid")),
        {"entered": "c.entered", "caller": "c.caller", "did": "c.did", "callid": "c.callid",
         "status": _JOURNEY_STATUS,
         "queues": "(SELECT group_concat(queue, ' > ') FROM (SELECT x.queue FROM report_calls x "
                   "WHERE x.callid = c.callid ORDER BY x.part))",
         "parts": "(SELECT count(*) FROM report_calls x WHERE x.callid = c.callid)",
         "agent": "(SELECT group_concat(x.agent, ', ') FROM report_calls x WHERE x.callid = c.callid "
                  "AND x.agent != '')"},
        "report_calls c", lambda f, now: _journey_filter(f),
        ("status", "caller", "did", "hour", "day"), "c.entered, c.id",
        status_sql=_JOURNEY_STATUS),
    "numbers": _Details(
        (_c("caller", "Caller"), _c("calls", "Calls", "int"), _c("answered", "Answered", "int"),
         _c("unanswered", "Unanswered", "int"), _c("answered_pct", "Answered %", "percent"),
         _c("unanswered_pct", "Unanswered %", "percent")),
        {"caller": "caller", "calls": "calls", "answered": "answered", "unanswered": "unanswered",
         "answered_pct": "answered_pct", "unanswered_pct": "unanswered_pct"},
        "", lambda f, now: ([], []), ("caller",), "calls DESC, caller"),
    "outbound_calls": _Details(
        (_c("start", "Started", "datetime"), _c("agent", "Agent"), _c("dst", "Number"),
         _c("disposition", "Result"), _c("duration", "Duration", "seconds"),
         _c("billsec", "Talk time", "seconds"), _c("uniqueid", "Call id")),
        {k: f"c.{k}" for k in ("start", "agent", "dst", "disposition", "duration", "billsec",
                               "uniqueid")},
        "report_cdr c", lambda f, now: _outbound_filter(f), ("status", "agent", "disposition",
                                                             "day", "hour"),
        "c.start, c.id", time_col="start"),
    "sessions": _Details(
        (_c("agent", "Agent"), _c("start", "Logged in", "datetime"), _c("end", "Logged out", "datetime"),
         _c("length", "Length in period", "seconds"), _c("pauses", "Pauses", "int", sortable=False),
         _c("pause_time", "Pause time in period", "seconds", sortable=False), _c("queues", "Queues")),
        {}, "report_agent_time t", lambda f, now: _agent_time_filter(f, "session", now),
        ("agent",), "t.start, t.id", time_col="start"),
    "pauses": _Details(
        (_c("agent", "Agent"), _c("start", "Paused", "datetime"), _c("end", "Unpaused", "datetime"),
         _c("length", "Length in period", "seconds"), _c("reason", "Pause reason")),
        {}, "report_agent_time t", lambda f, now: _agent_time_filter(f, "pause", now),
        ("agent", "reason"), "t.start, t.id", time_col="start"),
    "callbacks": _Details(
        (_c("requested_at", "Requested", "datetime"), _c("queue", "Queue"),
         _c("number", "Number to call back"), _c("status", "Result"), _c("agent", "Agent"),
         _c("after", "Called back after", "seconds"), _c("attempts", "Attempts", "int"),
         _c("callid", "Call", "callid")),
        {"requested_at": "c.requested_at", "queue": "c.queue", "number": "c.number",
         "status": "c.status", "agent": "c.agent", "attempts": "c.attempts",
         "after": "CAST(c.connected_at - coalesce(c.due_at, c.requested_at) AS INTEGER)",
         "callid": "c.caller_uniqueid"},
        "queue_callbacks c", lambda f, now: _callbacks_filter(f),
        ("status", "queue", "agent", "day", "hour"), "c.requested_at, c.id",
        time_col="requested_at"),
}


def _callbacks_filter(f: Filter) -> tuple[list[str], list]:
    """Callbacks asked for in the period, in the queues, called back by the agents."""
    clauses = ["c.requested_at >= ?", "c.requested_at < ?"]
    params: list = [int(f.start), int(f.end)]
    for column, values in (("c.queue", f.queues), ("c.agent", f.agents)):
        if values:
            sql, p = _in(column, values)
            clauses.append(sql)
            params += p
    return clauses, params


def _callback_counts(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Per queue: callbacks asked for, connected, failed, expired, still open, and the
    average time from the request (closing time: from the opening it was due at) to the
    customer on the line."""
    clauses, params = _callbacks_filter(f)
    cur = db.conn.execute(
        "SELECT c.queue, count(*), sum(c.status = 'connected'), sum(c.status = 'failed'), "
        "sum(c.status = 'expired'), sum(c.status IN ('requested', 'waiting', 'dialling')), "
        "avg(CASE WHEN c.status = 'connected' THEN c.connected_at - "
        "coalesce(c.due_at, c.requested_at) END) "
        f"FROM queue_callbacks c WHERE {' AND '.join(clauses)} GROUP BY c.queue ORDER BY c.queue",
        params)
    return [{"queue": q, "requested": n, "connected": ok, "failed": bad, "expired": old,
             "open": waiting, "avg_after": after}
            for q, n, ok, bad, old, waiting, after in cur]


def _outbound_filter(f: Filter) -> tuple[list[str], list]:
    clauses = ["c.direction = 'out'", "c.start >= ?", "c.start < ?"]
    params: list = [int(f.start), int(f.end)]
    if f.agents:
        sql, p = _in("c.agent", f.agents)
        clauses.append(sql)
        params += p
    return clauses, params


def details_columns(name: str) -> list[Column]:
    """The columns of a details report, in display order."""
    spec = _DETAILS.get(name)
    if spec is None:
        raise ValueError(f"no details report {name!r}; known: {', '.join(_DETAILS)}")
    return list(spec.columns)


def _agent_exprs(f: Filter, now: int) -> dict[str, str]:
    length = _clipped(f, now)
    exprs = {"agent": "t.agent", "start": "t.start", "end": "t.\"end\"", "length": length,
             "reason": "t.reason", "queues": "t.queues"}
    inside = ("FROM report_agent_time p WHERE p.kind = 'pause' AND p.agent = t.agent "
              "AND p.start < min(coalesce(t.\"end\", {now}), {end}) "
              "AND coalesce(p.\"end\", {now}) > max(t.start, {start})").format(
                  now=int(now), end=int(f.end), start=int(f.start))
    exprs["pauses"] = f"(SELECT count(*) {inside})"
    # the pause's part inside both the session and the period
    exprs["pause_time"] = (
        f"(SELECT coalesce(sum(max(0, min(coalesce(p.\"end\", {int(now)}), {int(f.end)}, "
        f"coalesce(t.\"end\", {int(now)})) - max(p.start, {int(f.start)}, t.start))), 0) {inside})")
    return exprs


def _details_sql(name: str, f: Filter, where: dict | None, now: int,
                 ) -> tuple[_Details, dict[str, str], str, list]:
    spec = _DETAILS.get(name)
    if spec is None:
        raise ValueError(f"no details report {name!r}; known: {', '.join(_DETAILS)}")
    if name == "numbers":
        return spec, spec.exprs, *_numbers_sql(f, where)
    exprs = spec.exprs if spec.exprs else _agent_exprs(f, now)
    alias = "t" if spec.source.endswith(" t") else "c"
    clauses, params = spec.filter(f, now)
    if name == "outbound_calls":
        where = dict(where or {})
        status = where.pop("status", None)
        if status is not None:
            if status not in ("answered", "unanswered"):
                raise _bad("status", status, "use answered or unanswered")
            clauses.append("c.disposition = 'ANSWERED'" if status == "answered"
                           else "c.disposition != 'ANSWERED'")
    if name == "callbacks":                     # a callback's status is its own result
        where = dict(where or {})
        status = where.pop("status", None)
        if status is not None:
            if status not in CALLBACK_RESULTS:
                raise _bad("status", status, f"use one of {', '.join(CALLBACK_RESULTS)}")
            clauses.append("c.status = ?")
            params = [*params, status]
    if name in ("sessions", "pauses"):          # pause reasons are free text
        more, more_params = _pause_where(f, where or {}, spec.where_keys)
    else:
        more, more_params = _call_where(f, where, spec.where_keys, alias=alias,
                                        time_col=spec.time_col, status_sql=spec.status_sql)
    if name in ("answered", "unanswered"):
        clauses.append(f"c.status = '{name}'")
    select = ", ".join(f"{sql} AS \"{col.key}\"" for col in spec.columns
                       for sql in [exprs[col.key]])
    body = f"FROM {spec.source} WHERE {' AND '.join(clauses + more)}"
    return spec, exprs, f"SELECT {select} {{extra}} {body}", params + more_params


def _pause_where(f: Filter, where: dict, allowed: tuple[str, ...]) -> tuple[list[str], list]:
    clauses, params = [], []
    for key, value in where.items():
        if key not in allowed:
            raise ValueError(f"drill-down key {key!r} is not known for this report; "
                             f"known: {', '.join(allowed)}")
        if value is None or value == "":
            raise _bad(key, value, "empty value")
        clauses.append(f"t.{key} = ?")
        params.append(_text_value(key, value))
    return clauses, params


# the journey's status as one packed counter: answered 1, unanswered 1 << 21, in progress 1 << 42
_JOURNEY_CODE = ("(CASE WHEN c.status = 'answered' THEN 1 "
                 "WHEN c.status = 'unanswered' AND c.reason = 'abandon' THEN 2097152 ELSE "
                 "(SELECT CASE WHEN max(x.status = 'answered') THEN 1 "
                 "WHEN max(x.status IN ('waiting', 'talking')) THEN 4398046511104 "
                 "ELSE 2097152 END FROM report_calls x WHERE x.callid = c.callid) END)")


def _numbers_sql(f: Filter, where: dict | None) -> tuple[str, list]:
    """Per caller number: journeys, answered, unanswered (RPT-6); one pass, one sort."""
    clauses, params = _journey_filter(f)
    for key, value in (where or {}).items():
        if key != "caller":
            raise ValueError(f"drill-down key {key!r} is not known for this report; known: caller")
        clauses.append("c.caller = ?")
        params.append(_text_value(key, value))
    packed = (f"SELECT c.caller AS caller, count(*) AS calls, sum({_JOURNEY_CODE}) AS p "
              f"FROM report_calls c WHERE {' AND '.join(clauses)} GROUP BY c.caller")
    inner = ("SELECT caller, calls, p & 2097151 AS answered, (p >> 21) & 2097151 AS unanswered, "
             f"p >> 42 AS in_progress FROM ({packed})")
    sql = ("SELECT caller, calls, answered, unanswered, "
           "round(100.0 * answered / calls, 6) AS answered_pct, "
           "round(100.0 * unanswered / calls, 6) AS unanswered_pct {extra} "
           f"FROM ({inner})")
    return sql, params


def _order(spec: _Details, exprs: dict[str, str], name: str, sort: str, desc: bool) -> str:
    if not sort:
        return spec.order
    column = next((c for c in spec.columns if c.key == sort), None)
    if column is None or not column.sortable:
        sortable = ", ".join(c.key for c in spec.columns if c.sortable)
        raise ValueError(f"cannot sort {name} by {sort!r}; sort by one of: {sortable}")
    tie = "caller" if name == "numbers" else spec.order.split(",")[-1].strip()
    return f"\"{sort}\" {'DESC' if desc else 'ASC'}, {tie}"


def _with_recordings(db: sqlite_utils.Database, rows: list[dict]) -> list[dict]:
    """Add recording_id to rows of calls that have a recording (one lookup per page)."""
    if not rows or "recording" not in rows[0]:
        return rows
    wanted = [r["callid"] for r in rows if r.get("recording")]
    ids: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        marks = ", ".join("?" for _ in chunk)
        for uniqueid, rec_id in db.conn.execute(
                f"SELECT uniqueid, id FROM recordings WHERE uniqueid IN ({marks})", chunk):
            ids[uniqueid] = rec_id
    for row in rows:
        row["recording_id"] = ids.get(row["callid"]) if row.get("recording") else None
    return rows


def details(db: sqlite_utils.Database, name: str, f: Filter, *, where: dict | None = None,
            sort: str = "", desc: bool = False, offset: int = 0, limit: int = 50,
            ) -> tuple[list[dict], int]:
    """One page of a details report and the number of rows in all pages."""
    if int(offset) < 0 or not 1 <= int(limit) <= 10000:
        raise ValueError("page out of range: offset must be >= 0 and limit 1..10000")
    now = int(time.time())
    spec, exprs, sql, params = _details_sql(name, f, where, now)
    order = _order(spec, exprs, name, sort, desc)
    keys = [c.key for c in spec.columns]
    if name == "numbers":       # grouped rows: count them in the same pass as the page
        got = db.conn.execute(f"{sql.format(extra=', count(*) OVER ()')} ORDER BY {order} "
                              "LIMIT ? OFFSET ?", params + [int(limit), int(offset)]).fetchall()
        if got or not offset:
            return [dict(zip(keys, row)) for row in got], (got[0][-1] if got else 0)
    total = db.conn.execute(f"SELECT count(*) FROM ({sql.format(extra='')})", params).fetchone()[0]
    cur = db.conn.execute(f"{sql.format(extra='')} ORDER BY {order} LIMIT ? OFFSET ?",
                          params + [int(limit), int(offset)])
    rows = [dict(zip(keys, row)) for row in cur]
    return _with_recordings(db, rows), total


def iter_details(db: sqlite_utils.Database, name: str, f: Filter, *, where: dict | None = None,
                 sort: str = "", desc: bool = False) -> Iterator[dict]:
    """Every row of a details report, streamed in chunks (for exports)."""
    now = int(time.time())
    spec, exprs, sql, params = _details_sql(name, f, where, now)
    order = _order(spec, exprs, name, sort, desc)
    keys = [c.key for c in spec.columns]
    cur = db.conn.execute(f"{sql.format(extra='')} ORDER BY {order}", params)
    while True:
        chunk = cur.fetchmany(1000)
        if not chunk:
            return
        yield from _with_recordings(db, [dict(zip(keys, row)) for row in chunk])


# -- summaries: aggregates in SQL, one pass per table -------------------------------------

_ANS = "status = 'answered'"
_UNA = "status = 'unanswered'"
WAIT_BUCKETS = (0, *WAIT_EDGES)   # wait-time histogram edges (s); the rollup sums by them


def _call_aggs(f: Filter) -> dict[str, tuple[str, str, str]]:
    """name -> (SQL, kind, rollup SQL).  kind 'count:<status>': the SQL is a 0/1 condition
    on calls of that status (any status when empty), counted three to one SQL sum (21-bit
    fields: see _calls_pass), and the rollup SQL the number of such calls in a
    report_calls_hourly row; 'sum' / 'min' / 'max': an aggregate over report_calls, and the
    same aggregate over report_calls_hourly rows."""
    t, s, c = int(f.sl_seconds), int(f.short_abandon_s), int(f.short_call_s)
    A, U = "count:answered", "count:unanswered"
    aggs = {
        "ans": ("1", A, "n"),
        "una": ("1", U, "n"),
        "waiting": ("1", "count:waiting", "n"),
        "talking": ("1", "count:talking", "n"),
        "sl": (f"wait <= {t}", A, "sl_n"),
        "short_calls": (f"talk < {c}", A, "short_call_n"),
        "abandon": ("reason = 'abandon'", U, "CASE WHEN reason = 'abandon' THEN n ELSE 0 END"),
        "abandon_short": (f"reason = 'abandon' AND wait < {s}", U,
                          "CASE WHEN reason = 'abandon' THEN short_wait_n ELSE 0 END"),
        "abandon_sl": (f"reason = 'abandon' AND wait <= {t}", U,
                       "CASE WHEN reason = 'abandon' THEN sl_n ELSE 0 END"),
        "wait_all": (f"sum(CASE WHEN {_ANS} OR {_UNA} THEN wait END)", "sum",
                     f"sum(CASE WHEN {_ANS} OR {_UNA} THEN wait_sum END)"),
        "pos": (f"sum(CASE WHEN {_UNA} THEN position END)", "sum",
                f"sum(CASE WHEN {_UNA} THEN pos_sum END)"),
        "pos_n": (f"count(CASE WHEN {_UNA} THEN position END)", "sum",
                  f"coalesce(sum(CASE WHEN {_UNA} THEN pos_n END), 0)"),
        "pos_min": (f"min(CASE WHEN {_UNA} THEN position END)", "min",
                    f"min(CASE WHEN {_UNA} THEN pos_min END)"),
        "pos_max": (f"max(CASE WHEN {_UNA} THEN position END)", "max",
                    f"max(CASE WHEN {_UNA} THEN pos_max END)"),
    }
    for name, status, column, short in (("ans_wait", _ANS, "wait", "wait"),
                                        ("una_wait", _UNA, "wait", "wait"),
                                        ("talk", _ANS, "talk", "talk"),
                                        ("att_ans", _ANS, "attempts", "att"),
                                        ("att_una", _UNA, "attempts", "att")):
        aggs[name] = (f"sum(CASE WHEN {status} THEN {column} END)", "sum",
                      f"sum(CASE WHEN {status} THEN {short}_sum END)")
        aggs[name + "_min"] = (f"min(CASE WHEN {status} THEN {column} END)", "min",
                               f"min(CASE WHEN {status} THEN {short}_min END)")
        aggs[name + "_max"] = (f"max(CASE WHEN {status} THEN {column} END)", "max",
                               f"max(CASE WHEN {status} THEN {short}_max END)")
    for reason in ("caller", "agent", "transfer", "unknown"):
        aggs["a_" + reason] = (f"reason = '{reason}'", A,
                               f"CASE WHEN reason = '{reason}' THEN n ELSE 0 END")
    for reason in ("timeout", "key", "empty", "full", "joinempty", "withdraw", "unknown",
                   "callback"):
        aggs["r_" + reason] = (f"reason = '{reason}'", U,
                               f"CASE WHEN reason = '{reason}' THEN n ELSE 0 END")
    for high in WAIT_BUCKETS[1:]:       # cumulative: calls with wait < edge (one compare)
        aggs[f"lt_ans_{high}"] = (f"wait < {high}", A, f"lt_{high}")
        aggs[f"lt_una_{high}"] = (f"wait < {high}", U, f"lt_{high}")
    for n in range(ATTEMPTS_PACKED):
        aggs[f"at_ans_{n}"] = (f"attempts = {n}", A, f"at_{n}")
        aggs[f"at_una_{n}"] = (f"attempts = {n}", U, f"at_{n}")
        aggs[f"at_all_{n}"] = (f"attempts = {n}", "count:", f"at_{n}")
    aggs["at_max"] = ("max(attempts)", "max", "max(att_max)")
    return aggs


ATTEMPTS_PACKED = ATTEMPTS   # attempts 0..5 counted in the pass (and the rollup); more: one GROUP BY
_FIELD = 21                  # bits per packed counter: a pass over < 2**21 rows cannot overflow
_FIGS = ("ans", "una", "waiting", "talking", "wait_all", "sl", "short_calls", "abandon",
         "abandon_short", "ans_wait", "talk")


def _distinct(db: sqlite_utils.Database, column: str) -> list[str]:
    """Every value of an indexed report_calls column, one index seek each (not a scan)."""
    assert column in ("queue", "agent")
    sql = (f"WITH RECURSIVE k(v) AS (SELECT min({column}) FROM report_calls UNION ALL "
           f"SELECT (SELECT min({column}) FROM report_calls WHERE {column} > k.v) FROM k "
           f"WHERE k.v IS NOT NULL) SELECT v FROM k WHERE v IS NOT NULL")
    return [row[0] for row in db.conn.execute(sql)]


def _hours(f: Filter) -> list[int]:
    """Local hour boundaries in [start, end], with start and end themselves."""
    out = [int(f.start)]
    t = int(f.start) - int(f.start) % 900 + 900        # every time zone is whole quarters
    while t < f.end:
        if time.localtime(t).tm_min == 0:
            out.append(t)
        t += 900
    out.append(int(f.end))
    return out


def _calls_pass(db: sqlite_utils.Database, f: Filter, names: tuple[str, ...] | list[str], *,
                by: str | tuple[str, ...] | None = None, extra: tuple[str, ...] = (),
                agents: bool = True, more_aggs: dict[str, tuple] | None = None,
                hourly: bool = False) -> list[dict]:
    """The named aggregates over the period's report_calls: one row, or one per value of
    the `by` column(s) (queue, agent, reason), and with `hourly` per local hour too (row key
    "b" = the hour's first second).  Hours are index range queries (no sort);
    0/1 counters ride three to one SQL sum() in 21-bit fields, and a range holding 2**21
    rows or more is split in two, so a counter never overflows into its neighbour.
    Whole hours the rollup has summed with the Filter's thresholds come from
    report_calls_hourly (appliance/reports/rollup.py), the rest of the period (its edges,
    hours written since) from report_calls: the same figures, a month in a fraction."""
    aggs = {**_call_aggs(f), **(more_aggs or {})}
    plain = [n for n in names if not aggs[n][1].startswith("count")]
    by_status: dict[str, list[str]] = {}
    for n in names:
        if aggs[n][1].startswith("count"):
            by_status.setdefault(aggs[n][1][6:], []).append(n)
    counts, packed = [], []
    for status, fields in by_status.items():     # the status is tested once per sum
        for i in range(0, len(fields), 3):
            group = fields[i:i + 3]
            counts += group + [""] * (3 - len(group))
            terms = " + ".join(f"(({aggs[n][0]}) << {_FIELD * j})" if j else f"({aggs[n][0]})"
                               for j, n in enumerate(group))
            packed.append(f"sum(CASE WHEN status = '{status}' THEN {terms} END)" if status
                          else f"sum({terms})")
    clauses, params = _calls_filter(f, agents=agents)
    if by == "hour":
        by, hourly = None, True
    keys = (by,) if isinstance(by, str) else tuple(by or ())
    assert all(k in ("queue", "agent", "reason") for k in keys)
    group = ", ".join(f"c.{k}" for k in keys)
    select = ", ".join([*([group] if group else []), "count(*)", *packed,
                        *(aggs[n][0] for n in plain)])
    # the entered index reads the period in time order (the table's own order): a sort of
    # the period's rows is cheaper than jumping around the table by agent or queue
    sql = (f"SELECT {select} FROM report_calls c INDEXED BY report_calls_entered "
           f"WHERE {' AND '.join([*clauses, *extra])}" + (f" GROUP BY {group}" if group else ""))
    if hourly:
        edges = _hours(f)
        ranges = list(zip(edges, edges[1:]))
    else:
        ranges = [(f.start, f.end)]
    results: dict[Any, list[dict]] = {}
    plan = _rollup_plan(db, f, names, aggs)
    if plan is not None:        # whole clean hours from the rollup, the rest from report_calls
        clean, dirty = plan
        if hourly:
            # local hours that are the rollup's hours (not in zones half an hour off UTC)
            served = [a for a, b in ranges if b - a == _HOUR and a % _HOUR == 0
                      and clean[0] <= a < clean[1] and a not in dirty]
            done = set(served)
            ranges = [(a, b) for a, b in ranges if a not in done]
        else:
            served = [h for h in range(*clean, _HOUR) if h not in dirty]
            ranges = _raw_ranges(f.start, f.end, clean, dirty)
        if served:
            _rollup_pass(db, f, names, aggs, keys, hourly, agents, extra, served, results)
    mask = (1 << _FIELD) - 1
    skip = len(keys)
    while ranges:
        a, b = ranges.pop()
        rows = db.conn.execute(sql, [a, b, *params[2:]]).fetchall()
        if any(row[skip] >= mask for row in rows) and b - a > 1:   # too many for the counters
            ranges += [(a, (a + b) // 2), ((a + b) // 2, b)]
            continue
        for row in rows:
            values: dict[str, Any] = {"n": row[skip]}
            for i, n in enumerate(counts):
                if n:
                    values[n] = ((row[skip + 1 + i // 3] or 0) >> (_FIELD * (i % 3))) & mask
            for i, n in enumerate(plain):
                values[n] = row[skip + 1 + len(packed) + i]
            key = (*row[:skip], *([a] if hourly else []))
            results.setdefault(key, []).append(values)
    out = []
    for key in sorted(results):
        got = results[key]
        values = _merge(got, ["n", *names], aggs) if len(got) > 1 else got[0]
        if values["n"]:
            out.append({**dict(zip((*keys, *(["b"] if hourly else [])), key)), **values})
    if not out and not keys and not hourly:
        out.append(_combine([], ["n", *names], f, more_aggs))
    return out


_HOUR = 3600
ROLLUP = True       # read whole hours from report_calls_hourly (False: always report_calls)
_ROLLUP_MIN_HOURS = 3      # shorter periods: report_calls is quick enough


def _rollup_plan(db: sqlite_utils.Database, f: Filter, names: tuple[str, ...] | list[str],
                 aggs: dict[str, tuple]) -> tuple[tuple[int, int], set[int]] | None:
    """The whole hours [first, end) of the period the rollup may give, and which of them
    are dirty (written since it summed them: read from report_calls); None when the
    rollup cannot serve (other thresholds than its own, an aggregate it does not hold)."""
    if not ROLLUP:
        return None
    first = -(-int(f.start) // _HOUR) * _HOUR
    last = int(f.end) // _HOUR * _HOUR
    if last - first < _ROLLUP_MIN_HOURS * _HOUR or any(len(aggs[n]) < 3 for n in names):
        return None
    state = db.conn.execute("SELECT sl_seconds, short_abandon_s, short_call_s "
                            "FROM report_rollup_state").fetchone()
    if state is None or tuple(state) != (f.sl_seconds, f.short_abandon_s, f.short_call_s):
        return None
    dirty = {h for (h,) in db.conn.execute(
        "SELECT hour FROM report_rollup_dirty WHERE hour >= ? AND hour < ?", [first, last])}
    return (first, last), dirty


def _raw_ranges(start: int, end: int, clean: tuple[int, int], dirty: set[int],
                ) -> list[tuple[int, int]]:
    """The parts of [start, end) outside the clean whole hours: the edges and the dirty
    hours, neighbours joined."""
    out: list[list[int]] = []
    for a, b in [(start, clean[0]), *((h, h + _HOUR) for h in sorted(dirty)), (clean[1], end)]:
        if a >= b:
            continue
        if out and out[-1][1] == a:
            out[-1][1] = b
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _rollup_pass(db: sqlite_utils.Database, f: Filter, names: tuple[str, ...] | list[str],
                 aggs: dict[str, tuple], keys: tuple[str, ...], hourly: bool, agents: bool,
                 extra: tuple[str, ...], hours: list[int], results: dict) -> None:
    """The aggregates of _calls_pass over the given clean hours of report_calls_hourly,
    added to results as partials (per key, and per hour with `hourly`)."""
    terms = []
    for n in names:
        _sql, kind, rolled = aggs[n][:3]
        if kind.startswith("count"):
            status = kind[6:]
            terms.append(f"sum(CASE WHEN c.status = '{status}' THEN {rolled} END)" if status
                         else f"sum({rolled})")
        else:
            terms.append(rolled)
    cols = [*(f"c.{k}" for k in keys), *(["c.hour"] if hourly else [])]
    clauses, params = _calls_filter(f, agents=agents)
    clauses, params = clauses[2:], params[2:]          # the hours replace entered
    sql = (f"SELECT {', '.join([*cols, 'coalesce(sum(c.n), 0)', *terms])} "
           f"FROM report_calls_hourly c WHERE c.hour IN (SELECT value FROM json_each(?)) "
           + "".join(f" AND {c}" for c in [*clauses, *extra])
           + (f" GROUP BY {', '.join(cols)}" if cols else ""))
    skip = len(cols)
    for row in db.conn.execute(sql, [json.dumps(hours), *params]):
        values: dict[str, Any] = {"n": row[skip]}
        for i, n in enumerate(names):
            value = row[skip + 1 + i]
            values[n] = (value or 0) if aggs[n][1].startswith("count") else value
        results.setdefault(tuple(row[:skip]), []).append(values)


def _merge(parts: list[dict], names: list[str], aggs: dict[str, tuple]) -> dict:
    """Partial aggregates of one group (per range of the period) as one: what a single
    pass over the whole period would give (a sum with no values stays None)."""
    out: dict[str, Any] = {}
    for name in names:
        values = [r[name] for r in parts if r.get(name) is not None]
        kind = aggs[name][1] if name in aggs else "sum"
        if kind == "min":
            out[name] = min(values) if values else None
        elif kind == "max":
            out[name] = max(values) if values else None
        elif kind.startswith("count") or name == "n":
            out[name] = sum(values)
        else:
            out[name] = sum(values) if values else None
    return out


def _combine(rows: list[dict], names: tuple[str, ...] | list[str], f: Filter,
             more_aggs: dict[str, tuple] | None = None) -> dict:
    """Roll partial aggregates (per partition) up into one."""
    how = {**_call_aggs(f), **(more_aggs or {})}
    out: dict[str, Any] = {}
    for name in names:
        values = [r[name] for r in rows if r.get(name) is not None]
        kind = how[name][1] if name in how else "sum"
        if kind == "sum" or kind.startswith("count"):
            out[name] = sum(values)
        elif kind == "min":
            out[name] = min(values) if values else None
        else:
            out[name] = max(values) if values else None
    return out


def _rollup(rows: list[dict], key: str, names: tuple[str, ...] | list[str], f: Filter,
            ) -> list[dict]:
    """Partial aggregates combined per value of one key (e.g. per agent from per agent+queue)."""
    groups: dict[Any, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return [{key: k, **_combine(groups[k], ["n", *names], f)} for k in sorted(groups)]


def _ratio(part: float | None, whole: float | None, scale: float = 1.0) -> float | None:
    if part is None or not whole:
        return None
    return scale * part / whole


def _pct(part: float | None, whole: float | None) -> float | None:
    return _ratio(part, whole, 100.0)


def _derived(a: dict) -> dict:
    """Service levels, ASA, abandon rate, averages from one set of aggregates."""
    g = {k: (a.get(k) or 0) for k in ("ans", "una", "sl", "abandon", "abandon_short", "ans_wait",
                                       "talk", "wait_all")}
    counted_abandons = g["abandon"] - g["abandon_short"]
    return {
        "sl_pct": _pct(g["sl"], g["ans"]),
        "sl_incl_pct": _pct(g["sl"], g["ans"] + g["una"] - g["abandon_short"]),
        "asa": _ratio(g["ans_wait"], g["ans"]),
        "abandon_rate": _pct(counted_abandons, g["ans"] + counted_abandons),
        "avg_talk": _ratio(g["talk"], g["ans"]),
        "avg_wait": _ratio(g["wait_all"], g["ans"] + g["una"]),
    }


def _fig(key: str, label: str, value: Any, kind: str = "int", report: str | None = None,
         where: dict | None = None) -> Figure:
    drill = {"report": report, "where": dict(where or {})} if report else None
    return Figure(key, label, value, kind, drill)


def _drill(report: str, where: dict[str, str], column: str) -> dict:
    return {"report": report, "where": where, "column": column}


def _local(at: int) -> tuple[str, int]:
    moment = time.localtime(at)
    return time.strftime("%Y-%m-%d", moment), moment.tm_hour


def _days(f: Filter) -> list[str]:
    """Every local calendar day the period touches."""
    first = dt.date.fromisoformat(_local(f.start)[0])
    last = dt.date.fromisoformat(_local(max(f.start, f.end - 1))[0])
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _headline(a: dict, d: dict, report: str = "calls") -> list[Figure]:
    return [
        _fig("offered", "Calls offered", a["n"], "int", "calls"),
        _fig("answered", "Answered", a["ans"], "int", "answered"),
        _fig("unanswered", "Unanswered", a["una"], "int", "unanswered"),
        _fig("waiting", "Waiting now", a["waiting"], "int", "calls", {"status": "waiting"}),
        _fig("talking", "Talking now", a["talking"], "int", "calls", {"status": "talking"}),
        _fig("service_level", "Service level", d["sl_pct"], "percent", "answered", {"sl": "within"}),
        _fig("service_level_inclusive", "Service level (inclusive)", d["sl_incl_pct"], "percent",
             "answered", {"sl": "within"}),
        _fig("asa", "Average speed of answer", d["asa"], "seconds", "answered"),
        _fig("abandon_rate", "Abandon rate", d["abandon_rate"], "percent", "unanswered",
             {"reason": "abandon", "short": "no"}),
        _fig("short_abandons", "Short abandons", a["abandon_short"], "int", "unanswered",
             {"reason": "abandon", "short": "yes"}),
        _fig("short_calls", "Short calls", a["short_calls"], "int", "answered", {"short": "yes"}),
        _fig("avg_wait", "Average wait", d["avg_wait"], "seconds", "calls"),
        _fig("avg_talk", "Average talk time", d["avg_talk"], "seconds", "answered"),
    ]


def _overview(db: sqlite_utils.Database, f: Filter) -> Report:
    hist = [f"lt_{s}_{high}" for high in WAIT_BUCKETS[1:] for s in ("ans", "una")]
    names = [*_FIGS, *hist]
    rows = _calls_pass(db, f, names, hourly=True)
    total = _combine(rows, ["n", *names], f)
    d = _derived(total)
    days = _days(f)
    per_day: dict[str, list[dict]] = {day: [] for day in days}
    per_hour: dict[int, list[dict]] = {h: [] for h in range(24)}
    for r in rows:
        day, hour = _local(r["b"])
        per_day.setdefault(day, []).append(r)
        per_hour[hour].append(r)
    day_aggs = {day: _combine(rs, ("ans", "una", "sl", "abandon", "abandon_short"), f)
                for day, rs in per_day.items()}
    hour_aggs = {h: _combine(rs, ("ans", "una"), f) for h, rs in per_hour.items()}
    by_status = [{"status": "answered"}, {"status": "unanswered"}]
    charts = [
        Chart("calls_per_hour", "Calls per hour", "stacked", [str(h) for h in range(24)],
              [("Answered", [hour_aggs[h]["ans"] for h in range(24)]),
               ("Unanswered", [hour_aggs[h]["una"] for h in range(24)])], "calls",
              {"report": "calls", "where": [{"hour": str(h)} for h in range(24)],
               "series": by_status}),
        Chart("calls_per_day", "Calls per day", "stacked", days,
              [("Answered", [day_aggs[x]["ans"] for x in days]),
               ("Unanswered", [day_aggs[x]["una"] for x in days])], "calls",
              {"report": "calls", "where": [{"day": x} for x in days], "series": by_status}),
        Chart("service_level_per_day", "Service level per day", "line", days,
              [("Service level", [_pct(day_aggs[x]["sl"], day_aggs[x]["ans"]) for x in days])], "%",
              {"report": "answered", "where": [{"day": x, "sl": "within"} for x in days],
               "series": [{}]}),
    ]
    labels, wheres = [], []
    for i, low in enumerate(WAIT_BUCKETS):
        high = WAIT_BUCKETS[i + 1] if i + 1 < len(WAIT_BUCKETS) else None
        labels.append(f"{low}-{high - 1} s" if high is not None else f"{low}+ s")
        wheres.append({"wait_from": str(low), **({"wait_to": str(high)} if high else {})})

    def buckets(s: str, count: int) -> list[int]:
        below = [0, *(total[f"lt_{s}_{high}"] for high in WAIT_BUCKETS[1:]), count]
        return [b - a for a, b in zip(below, below[1:])]

    charts.append(Chart(
        "wait_histogram", "Wait time distribution", "histogram", labels,
        [("Answered", buckets("ans", total["ans"])), ("Unanswered", buckets("una", total["una"]))],
        "calls",
        {"report": "calls", "where": wheres, "series": by_status}))
    return Report("overview", REPORTS["overview"].title, REPORTS["overview"].features,
                  _headline(total, d), [], charts)


def _queues(db: sqlite_utils.Database, f: Filter) -> Report:
    names = [*_FIGS, "abandon_sl"]
    rows = _calls_pass(db, f, names, by="queue")
    total = _combine(rows, ["n", *names], f)
    out = []
    for r in sorted(rows, key=lambda r: r["queue"]):
        d = _derived(r)
        out.append({"queue": r["queue"], "offered": r["n"], "answered": r["ans"],
                    "unanswered": r["una"], "avg_wait": d["avg_wait"], "avg_talk": d["avg_talk"],
                    "service_level": d["sl_pct"], "service_level_inclusive": d["sl_incl_pct"],
                    "asa": d["asa"], "abandon_rate": d["abandon_rate"],
                    "short_abandons": r["abandon_short"], "short_calls": r["short_calls"]})
    columns = [Column("queue", "Queue"), Column("offered", "Calls offered", "int"),
               Column("answered", "Answered", "int"), Column("unanswered", "Unanswered", "int"),
               Column("avg_wait", "Average wait", "seconds"),
               Column("avg_talk", "Average talk time", "seconds"),
               Column("service_level", "Service level", "percent"),
               Column("service_level_inclusive", "Service level (inclusive)", "percent"),
               Column("asa", "Average speed of answer", "seconds"),
               Column("abandon_rate", "Abandon rate", "percent"),
               Column("short_abandons", "Short abandons", "int"),
               Column("short_calls", "Short calls", "int")]
    table = Table("per_queue", "Per queue", columns, out, _drill("calls", {"queue": "queue"}, "queue"))
    return Report("queues", REPORTS["queues"].title, REPORTS["queues"].features,
                  _headline(total, _derived(total)), [table], [])


def _agent_rows(db: sqlite_utils.Database, f: Filter, now: int | None = None, *,
                calls: list[dict] | None = None) -> list[dict]:
    """Per agent: sessions, work and pause time (clipped to the period), calls answered,
    talk times, share of all answered calls, occupancy (AT-1..4, RPT-7)."""
    now = int(time.time()) if now is None else int(now)
    length = _clipped(f, now)
    agents: dict[str, dict] = {}

    def agent(ext: str) -> dict:
        return agents.setdefault(ext, {
            "agent": ext, "sessions": 0, "work": 0, "session_min": None, "session_max": None,
            "pauses": 0, "pause": 0, "calls": 0, "talk": 0, "talk_min": None, "talk_max": None,
            "wait": 0})

    clauses, params = _agent_time_filter(f, "session", now)
    for ext, count, work, low, high in db.conn.execute(
            f"SELECT t.agent, count(*), sum({length}), min({length}), max({length}) "
            f"FROM report_agent_time t WHERE {' AND '.join(clauses)} GROUP BY t.agent", params):
        agent(ext).update(sessions=count, work=work, session_min=low, session_max=high)
    clauses, params = _agent_time_filter(f, "pause", now)
    for ext, count, paused in db.conn.execute(
            f"SELECT t.agent, count(*), sum({length}) FROM report_agent_time t "
            f"WHERE {' AND '.join(clauses)} GROUP BY t.agent", params):
        agent(ext).update(pauses=count, pause=paused)
    names = ("ans", "talk", "talk_min", "talk_max", "ans_wait")
    rows = calls if calls is not None else _calls_pass(db, f, names, by="agent",
                                                       extra=(f"c.{_ANS}",), agents=False)
    all_answered = sum(r["ans"] for r in rows)
    for r in rows:
        if r["agent"] and (not f.agents or r["agent"] in f.agents):
            agent(r["agent"]).update(calls=r["ans"], talk=r["talk"], talk_min=r.get("talk_min"),
                                     talk_max=r.get("talk_max"), wait=r["ans_wait"])
    out = []
    for ext in sorted(agents, key=lambda e: (len(e), e)):
        a = agents[ext]
        measured = a["sessions"] > 0
        productive = a["work"] - a["pause"] if measured else None
        a.update(
            productive=productive,
            session_avg=_ratio(a["work"], a["sessions"]),
            talk_avg=_ratio(a["talk"], a["calls"]),
            share=_pct(a["calls"], all_answered),
            occupancy=_pct(a["talk"], productive) if productive else None,
            work=a["work"] if measured else None,
        )
        out.append(a)
    return out


def _available(db: sqlite_utils.Database, f: Filter, rows: list[dict]) -> list[dict]:
    """Agents available in the period: logged in (a session) or answered a call."""
    return [a for a in rows if a["sessions"] or a["calls"]]


def _answered_summary(db: sqlite_utils.Database, f: Filter) -> Report:
    names = ("ans", "ans_wait", "ans_wait_min", "ans_wait_max", "talk", "talk_min", "talk_max",
             "sl", "short_calls", "a_caller", "a_agent", "a_transfer", "a_unknown")
    answered = (f"c.{_ANS}",)
    pairs = _calls_pass(db, f, names, by=("agent", "queue"), extra=answered)
    per_agent, per_queue = _rollup(pairs, "agent", names, f), _rollup(pairs, "queue", names, f)
    total = _combine(pairs, ["n", *names], f)
    d = _derived(total)
    agent_rows = _agent_rows(db, f, calls=per_agent)
    available = _available(db, f, agent_rows)

    def rollup(key: str, rows: list[dict]) -> list[dict]:
        out = []
        for a in sorted(rows, key=lambda r: (len(r[key]), r[key])):
            dd = _derived(a)
            out.append({key: a[key], "calls": a["ans"], "share": _pct(a["ans"], total["ans"]),
                        "talk": a["talk"], "avg_talk": dd["avg_talk"], "min_talk": a["talk_min"],
                        "max_talk": a["talk_max"], "avg_wait": dd["asa"],
                        "max_wait": a["ans_wait_max"], "service_level": dd["sl_pct"]})
        return out

    reasons = [{"reason": r, "calls": total["a_" + r], "share": _pct(total["a_" + r], total["ans"])}
               for r in ("caller", "agent", "transfer", "unknown") if total["a_" + r]]

    def columns(first: Column) -> list[Column]:
        return [first, Column("calls", "Answered", "int"), Column("share", "Share", "percent"),
                Column("talk", "Total talk time", "seconds"),
                Column("avg_talk", "Average talk time", "seconds"),
                Column("min_talk", "Shortest talk time", "seconds"),
                Column("max_talk", "Longest talk time", "seconds"),
                Column("avg_wait", "Average wait", "seconds"),
                Column("max_wait", "Longest wait", "seconds"),
                Column("service_level", "Service level", "percent")]

    callers = _top_callers(db, f)
    figures = [
        _fig("answered", "Answered", total["ans"], "int", "answered"),
        _fig("talk_total", "Total talk time", total["talk"], "seconds", "answered"),
        _fig("talk_avg", "Average talk time", d["avg_talk"], "seconds", "answered"),
        _fig("talk_min", "Shortest talk time", total["talk_min"], "seconds"),
        _fig("talk_max", "Longest talk time", total["talk_max"], "seconds"),
        _fig("wait_total", "Total wait", total["ans_wait"], "seconds", "answered"),
        _fig("asa", "Average speed of answer", d["asa"], "seconds", "answered"),
        _fig("wait_min", "Shortest wait", total["ans_wait_min"], "seconds"),
        _fig("wait_max", "Longest wait", total["ans_wait_max"], "seconds"),
        _fig("service_level", "Service level", d["sl_pct"], "percent", "answered", {"sl": "within"}),
        _fig("answered_within_sl", "Answered within service level", total["sl"], "int",
             "answered", {"sl": "within"}),
        _fig("answered_over_sl", "Answered after service level", total["ans"] - total["sl"], "int",
             "answered", {"sl": "over"}),
        _fig("short_calls", "Short calls", total["short_calls"], "int", "answered", {"short": "yes"}),
        _fig("agents_available", "Agents available", len(available), "int"),
    ]
    tables = [
        Table("per_agent", "Per agent", columns(Column("agent", "Agent")),
              rollup("agent", per_agent), _drill("answered", {"agent": "agent"}, "agent")),
        Table("per_queue", "Per queue", columns(Column("queue", "Queue")),
              rollup("queue", per_queue), _drill("answered", {"queue": "queue"}, "queue")),
        Table("reasons", "Who ended the call",
              [Column("reason", "Ended by"), Column("calls", "Answered", "int"),
               Column("share", "Share", "percent")],
              reasons, _drill("answered", {"reason": "reason"}, "reason")),
        Table("callers", "Calls per caller number (top 20)",
              [Column("caller", "Caller"), Column("calls", "Answered", "int"),
               Column("talk", "Total talk time", "seconds"),
               Column("avg_talk", "Average talk time", "seconds")],
              callers, _drill("answered", {"caller": "caller"}, "caller")),
        Table("agents_available", "Agents available",
              [Column("agent", "Agent"), Column("work", "Work time", "seconds"),
               Column("calls", "Answered", "int")],
              [{"agent": a["agent"], "work": a["work"], "calls": a["calls"]} for a in available],
              _drill("answered", {"agent": "agent"}, "agent")),
    ]
    return Report("answered_summary", REPORTS["answered_summary"].title,
                  REPORTS["answered_summary"].features, figures, tables, [])


TOP_CALLERS = 20


def _most_of_the_calls(db: sqlite_utils.Database, f: Filter) -> bool:
    """Whether the period spans most of the time report_calls holds (then reading a whole
    index in another order beats a range of the entered index and a sort)."""
    # one each: min() and max() together would scan the table, each alone is an index seek
    low = db.conn.execute("SELECT min(entered) FROM report_calls").fetchone()[0]
    high = db.conn.execute("SELECT max(entered) FROM report_calls").fetchone()[0]
    if low is None:
        return False
    inside = min(int(f.end), high + 1) - max(int(f.start), low)
    return inside * 3 > high + 1 - low


def _top_callers(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    clauses, params = _calls_filter(f)
    # all queues and agents over most of the data: the answered calls' own index, already
    # in caller order (no sort of the period's calls); else what the planner picks (the
    # entered, queue or agent index)
    whole = not f.queues and not f.agents and _most_of_the_calls(db, f)
    source = "report_calls c INDEXED BY report_calls_answered_caller" if whole else "report_calls c"
    sql = (f"SELECT c.caller, count(*) AS n, sum(c.talk) FROM {source} "
           f"WHERE {' AND '.join(clauses)} AND c.{_ANS} GROUP BY c.caller {{having}}"
           f"ORDER BY n DESC, c.caller LIMIT {TOP_CALLERS}")
    rows: list = []
    if whole:   # numbers that called twice or more rank above all who called once: when
        # there are enough of them, the many single calls need not be sorted at all
        rows = db.conn.execute(sql.format(having="HAVING n >= 2 "), params).fetchall()
    if len(rows) < TOP_CALLERS:
        rows = db.conn.execute(sql.format(having=""), params).fetchall()
    return [{"caller": caller, "calls": calls, "talk": talk, "avg_talk": _ratio(talk, calls)}
            for caller, calls, talk in rows]


def _unanswered_summary(db: sqlite_utils.Database, f: Filter) -> Report:
    names = ("ans", "una", "una_wait", "una_wait_min", "una_wait_max", "pos", "pos_n", "pos_min",
             "pos_max", "abandon", "abandon_short", "abandon_sl")
    # the unanswered calls per queue and reason (a sort of those only), and the answered
    # per queue (for the abandon rate) as counters in one pass without a sort
    pairs = _calls_pass(db, f, names, by=("queue", "reason"), extra=(f"c.{_UNA}",))
    queues = sorted({r["queue"] for r in pairs})
    answered = {f"q_{i}": (f"queue = '{q.replace(chr(39), chr(39) * 2)}'", "count:answered",
                           f"CASE WHEN queue = '{q.replace(chr(39), chr(39) * 2)}' THEN n ELSE 0 END")
                for i, q in enumerate(queues)}
    [counted] = _calls_pass(db, f, ["ans", *answered], more_aggs=answered)
    rows = _rollup(pairs, "queue", names, f)
    for row in rows:
        row["ans"] = counted[f"q_{queues.index(row['queue'])}"]
    total = {**_combine(pairs, ["n", *names], f), "ans": counted["ans"]}
    d = _derived(total)
    una = [r for r in _rollup(pairs, "reason", names, f) if r["una"]]

    def rollup(key: str, source: list[dict]) -> list[dict]:
        groups: dict[str, list[dict]] = {}
        for r in source:
            groups.setdefault(r[key], []).append(r)
        out = []
        for value in sorted(groups):
            a = _combine(groups[value], names, f)
            row = {key: value, "calls": a["una"], "share": _pct(a["una"], total["una"]),
                   "avg_wait": _ratio(a["una_wait"], a["una"]), "min_wait": a["una_wait_min"],
                   "max_wait": a["una_wait_max"], "total_wait": a["una_wait"],
                   "avg_position": _ratio(a["pos"], a["pos_n"]), "max_position": a["pos_max"]}
            if key == "queue":
                row.update(abandons=a["abandon"], short_abandons=a["abandon_short"],
                           abandon_rate=_derived(a)["abandon_rate"])
            if row["calls"]:
                out.append(row)
        return out

    base = [Column("calls", "Unanswered", "int"), Column("share", "Share", "percent"),
            Column("total_wait", "Total wait before hangup", "seconds"),
            Column("avg_wait", "Average wait before hangup", "seconds"),
            Column("min_wait", "Shortest wait before hangup", "seconds"),
            Column("max_wait", "Longest wait before hangup", "seconds"),
            Column("avg_position", "Average position at hangup", "number"),
            Column("max_position", "Highest position at hangup", "int")]
    figures = [
        _fig("unanswered", "Unanswered", total["una"], "int", "unanswered"),
        _fig("wait_total", "Total wait before hangup", total["una_wait"], "seconds", "unanswered"),
        _fig("wait_avg", "Average wait before hangup", _ratio(total["una_wait"], total["una"]),
             "seconds", "unanswered"),
        _fig("wait_min", "Shortest wait before hangup", total["una_wait_min"], "seconds"),
        _fig("wait_max", "Longest wait before hangup", total["una_wait_max"], "seconds"),
        _fig("position_avg", "Average position at hangup", _ratio(total["pos"], total["pos_n"]),
             "number"),
        _fig("position_min", "Lowest position at hangup", total["pos_min"], "int"),
        _fig("position_max", "Highest position at hangup", total["pos_max"], "int"),
        _fig("abandoned", "Abandoned", total["abandon"], "int", "unanswered", {"reason": "abandon"}),
        _fig("short_abandons", "Short abandons", total["abandon_short"], "int", "unanswered",
             {"reason": "abandon", "short": "yes"}),
        _fig("abandoned_within_sl", "Abandoned within service level", total["abandon_sl"], "int",
             "unanswered", {"reason": "abandon", "sl": "within"}),
        _fig("abandon_rate", "Abandon rate", d["abandon_rate"], "percent", "unanswered",
             {"reason": "abandon", "short": "no"}),
    ]
    by_reason = {r["reason"]: r["calls"] for r in rollup("reason", una)}
    for reason, label in (("timeout", "Timed out"), ("key", "Left with a key"),
                          ("empty", "No agents"), ("full", "Queue full"),
                          ("joinempty", "Refused, no agents"),
                          ("withdraw", "Taken out of the queue"), ("unknown", "Unknown end"),
                          ("callback", "Asked for a callback")):
        figures.append(_fig(reason, label, by_reason.get(reason, 0), "int", "unanswered",
                            {"reason": reason}))
    callbacks = _callback_counts(db, f)
    for key, label in (("requested", "Callbacks"), ("connected", "Callbacks connected"),
                       ("failed", "Callbacks failed"), ("expired", "Callbacks expired")):
        figures.append(_fig("callbacks_" + key, label, sum(r[key] for r in callbacks), "int",
                            "callbacks", {"status": key} if key != "requested" else {}))
    tables = [
        Table("reasons", "Reasons", [Column("reason", "Reason"), *base], rollup("reason", una),
              _drill("unanswered", {"reason": "reason"}, "reason")),
        Table("per_queue", "Per queue",
              [Column("queue", "Queue"), *base, Column("abandons", "Abandoned", "int"),
               Column("short_abandons", "Short abandons", "int"),
               Column("abandon_rate", "Abandon rate", "percent")],
              rollup("queue", rows), _drill("unanswered", {"queue": "queue"}, "queue")),
        Table("callbacks", "Callbacks per queue",
              [Column("queue", "Queue"), Column("requested", "Callbacks", "int"),
               Column("connected", "Connected", "int"), Column("failed", "Failed", "int"),
               Column("expired", "Expired", "int"), Column("open", "Still open", "int"),
               Column("avg_after", "Average time to call back", "seconds")],
              callbacks, _drill("callbacks", {"queue": "queue"}, "queue")),
    ]
    return Report("unanswered_summary", REPORTS["unanswered_summary"].title,
                  REPORTS["unanswered_summary"].features, figures, tables, [])


def _attempts(db: sqlite_utils.Database, f: Filter) -> Report:
    k = ATTEMPTS_PACKED
    names = ("ans", "una", "at_max", *(f"at_{s}_{n}" for n in range(k) for s in ("ans", "una", "all")))
    [total] = _calls_pass(db, f, names)
    rows = [{"attempts": n, "ans": total[f"at_ans_{n}"], "una": total[f"at_una_{n}"],
             "n": total[f"at_all_{n}"]} for n in range(k) if total[f"at_all_{n}"]]
    if (total["at_max"] or 0) >= k:           # rare: calls that rang more agents
        clauses, params = _calls_filter(f)
        rows += [dict(zip(("attempts", "ans", "una", "n"), row)) for row in db.conn.execute(
            f"SELECT c.attempts, sum(c.{_ANS}), sum(c.{_UNA}), count(*) FROM report_calls c "
            f"WHERE {' AND '.join(clauses)} AND c.attempts >= {k} GROUP BY c.attempts "
            "ORDER BY c.attempts", params)]

    def stats(status: str) -> tuple[float | None, int | None, int | None, int]:
        counts = [(r["attempts"], r[status]) for r in rows if r[status]]
        calls = sum(n for _a, n in counts)
        attempts = sum(a * n for a, n in counts)
        return (_ratio(attempts, calls), min((a for a, _n in counts), default=None),
                max((a for a, _n in counts), default=None), attempts)

    ans_avg, ans_min, ans_max, ans_att = stats("ans")
    una_avg, una_min, una_max, una_att = stats("una")
    figures = [
        _fig("attempts_total", "ACD attempts", ans_att + una_att, "int"),
        _fig("answered", "Answered", total["ans"], "int", "answered"),
        _fig("answered_attempts_avg", "Average attempts, answered calls", ans_avg, "number"),
        _fig("answered_attempts_min", "Fewest attempts, answered calls", ans_min, "int"),
        _fig("answered_attempts_max", "Most attempts, answered calls", ans_max, "int"),
        _fig("unanswered", "Unanswered", total["una"], "int", "unanswered"),
        _fig("unanswered_attempts_avg", "Average attempts, unanswered calls", una_avg, "number"),
        _fig("unanswered_attempts_min", "Fewest attempts, unanswered calls", una_min, "int"),
        _fig("unanswered_attempts_max", "Most attempts, unanswered calls", una_max, "int"),
    ]
    table = Table("distribution", "Calls by number of attempts",
                  [Column("attempts", "Attempts", "int"), Column("answered", "Answered", "int"),
                   Column("unanswered", "Unanswered", "int"),
                   Column("calls", "Calls (also those still in progress)", "int")],
                  [{"attempts": r["attempts"], "answered": r["ans"], "unanswered": r["una"],
                    "calls": r["n"]} for r in rows],
                  _drill("calls", {"attempts": "attempts"}, "attempts"))
    return Report("attempts", REPORTS["attempts"].title, REPORTS["attempts"].features,
                  figures, [table], [])


def _all_calls(db: sqlite_utils.Database, f: Filter) -> Report:
    sql, p = _numbers_sql(f, None)
    keys = ("caller", "calls", "answered", "unanswered", "answered_pct", "unanswered_pct")
    # the top numbers and, over all numbers (window), the journeys: one pass, one sort
    n = ans = una = busy = numbers = 0
    top = []
    for row in db.conn.execute(
            f"SELECT *, count(*) OVER (), sum(calls) OVER (), sum(answered) OVER (), "
            f"sum(unanswered) OVER (), sum(in_progress) OVER () "
            f"FROM ({sql.format(extra=', in_progress')}) ORDER BY calls DESC, caller "
            f"LIMIT {TOP_CALLERS}", p):
        top.append(dict(zip(keys, row[:6])))
        numbers, n, ans, una, busy = row[7:]
    figures = [
        _fig("calls", "Calls", n, "int", "journeys"),
        _fig("answered", "Answered", ans, "int", "journeys", {"status": "answered"}),
        _fig("unanswered", "Unanswered", una, "int", "journeys", {"status": "unanswered"}),
        _fig("in_progress", "In progress", busy, "int", "journeys", {"status": "in_progress"}),
        _fig("answered_pct", "Answered %", _pct(ans, n), "percent", "journeys",
             {"status": "answered"}),
        _fig("unanswered_pct", "Unanswered %", _pct(una, n), "percent", "journeys",
             {"status": "unanswered"}),
        _fig("numbers", "Caller numbers", numbers, "int"),
    ]
    table = Table("numbers", "Calls per caller number (top 20; all in Caller numbers)",
                  details_columns("numbers"), top, _drill("journeys", {"caller": "caller"}, "caller"))
    return Report("all_calls", REPORTS["all_calls"].title, REPORTS["all_calls"].features,
                  figures, [table], [])


def _outbound(db: sqlite_utils.Database, f: Filter) -> Report:
    clauses, params = _outbound_filter(f)
    rows = [dict(zip(("agent", "disposition", "n", "billsec", "bill_min", "bill_max",
                      "duration"), r))
            for r in db.conn.execute(
                "SELECT c.agent, c.disposition, count(*), sum(c.billsec), min(c.billsec), "
                "max(c.billsec), sum(c.duration) FROM report_cdr c "
                f"WHERE {' AND '.join(clauses)} GROUP BY c.agent, c.disposition", params)]
    answered = [r for r in rows if r["disposition"] == "ANSWERED"]
    n = sum(r["n"] for r in rows)
    ans = sum(r["n"] for r in answered)
    talk = sum(r["billsec"] for r in answered)
    figures = [
        _fig("calls", "Outbound calls", n, "int", "outbound_calls"),
        _fig("answered", "Answered", ans, "int", "outbound_calls", {"status": "answered"}),
        _fig("unanswered", "Unanswered", n - ans, "int", "outbound_calls", {"status": "unanswered"}),
        _fig("talk_total", "Total talk time", talk, "seconds", "outbound_calls",
             {"status": "answered"}),
        _fig("talk_avg", "Average talk time", _ratio(talk, ans), "seconds", "outbound_calls",
             {"status": "answered"}),
        _fig("talk_min", "Shortest talk time", min((r["bill_min"] for r in answered), default=None),
             "seconds"),
        _fig("talk_max", "Longest talk time", max((r["bill_max"] for r in answered), default=None),
             "seconds"),
    ]
    per_agent: dict[str, dict] = {}
    per_disp: dict[str, int] = {}
    for r in rows:
        a = per_agent.setdefault(r["agent"], {"agent": r["agent"], "calls": 0, "answered": 0,
                                              "unanswered": 0, "talk": 0})
        a["calls"] += r["n"]
        if r["disposition"] == "ANSWERED":
            a["answered"] += r["n"]
            a["talk"] += r["billsec"]
        else:
            a["unanswered"] += r["n"]
        per_disp[r["disposition"]] = per_disp.get(r["disposition"], 0) + r["n"]
    agent_rows = [dict(a, avg_talk=_ratio(a["talk"], a["answered"]))
                  for _k, a in sorted(per_agent.items())]
    tables = [
        Table("per_agent", "Per agent",
              [Column("agent", "Agent"), Column("calls", "Outbound calls", "int"),
               Column("answered", "Answered", "int"), Column("unanswered", "Unanswered", "int"),
               Column("talk", "Total talk time", "seconds"),
               Column("avg_talk", "Average talk time", "seconds")],
              agent_rows, _drill("outbound_calls", {"agent": "agent"}, "agent")),
        Table("dispositions", "Results",
              [Column("disposition", "Result"), Column("calls", "Outbound calls", "int"),
               Column("share", "Share", "percent")],
              [{"disposition": k, "calls": v, "share": _pct(v, n)} for k, v in sorted(per_disp.items())],
              _drill("outbound_calls", {"disposition": "disposition"}, "disposition")),
    ]
    return Report("outbound", REPORTS["outbound"].title, REPORTS["outbound"].features,
                  figures, tables, [])


def _agent_columns() -> list[Column]:
    return [Column("agent", "Agent"), Column("sessions", "Sessions", "int"),
            Column("work", "Work time", "seconds"), Column("pause", "Pause time", "seconds"),
            Column("productive", "Work time without pauses", "seconds"),
            Column("session_avg", "Average session", "seconds"),
            Column("session_min", "Shortest session", "seconds"),
            Column("session_max", "Longest session", "seconds"),
            Column("calls", "Answered", "int"), Column("talk", "Total talk time", "seconds"),
            Column("talk_avg", "Average talk time", "seconds"),
            Column("talk_min", "Shortest talk time", "seconds"),
            Column("talk_max", "Longest talk time", "seconds"),
            Column("share", "Share of answered calls", "percent"),
            Column("occupancy", "Occupancy", "percent")]


def _agent_figures(rows: list[dict]) -> list[Figure]:
    measured = [a for a in rows if a["sessions"]]
    lows = [a["session_min"] for a in measured]
    highs = [a["session_max"] for a in measured]
    sessions = sum(a["sessions"] for a in measured)
    work = sum(a["work"] for a in measured)
    return [
        _fig("agents_available", "Agents available", sum(1 for a in rows if a["sessions"] or a["calls"])),
        _fig("sessions", "Sessions", sessions, "int", "sessions"),
        _fig("work", "Work time", work, "seconds", "sessions"),
        _fig("pause", "Pause time", sum(a["pause"] for a in rows), "seconds", "pauses"),
        _fig("session_avg", "Average session", _ratio(work, sessions), "seconds"),
        _fig("session_min", "Shortest session", min(lows, default=None), "seconds"),
        _fig("session_max", "Longest session", max(highs, default=None), "seconds"),
        _fig("answered", "Answered", sum(a["calls"] for a in rows), "int", "answered"),
    ]


def _agents(db: sqlite_utils.Database, f: Filter) -> Report:
    queues = list(f.queues or _distinct(db, "queue"))
    per_queue = {f"q_{i}": (f"queue = '{name.replace(chr(39), chr(39) * 2)}'", "count:answered",
                            f"CASE WHEN queue = '{name.replace(chr(39), chr(39) * 2)}' "
                            "THEN n ELSE 0 END")
                 for i, name in enumerate(queues)}
    names = ("ans", "talk", "talk_min", "talk_max", "ans_wait", *per_queue)
    calls = _calls_pass(db, f, names, by="agent", extra=(f"c.{_ANS}",), agents=False,
                        more_aggs=per_queue)
    rows = _agent_rows(db, f, calls=calls)
    pairs = [{"queue": queue, "agent": r["agent"], "ans": r[f"q_{i}"]}
             for i, queue in enumerate(queues) for r in calls
             if r[f"q_{i}"] and (not f.agents or r["agent"] in f.agents)]
    pairs.sort(key=lambda r: (r["queue"], len(r["agent"]), r["agent"]))
    tables = [
        Table("per_agent", "Per agent", _agent_columns()[:10], rows,
              _drill("sessions", {"agent": "agent"}, "agent")),
        Table("per_queue_agent", "Calls answered per queue and agent",
              [Column("queue", "Queue"), Column("agent", "Agent"), Column("calls", "Answered", "int")],
              [{"queue": r["queue"], "agent": r["agent"], "calls": r["ans"]} for r in pairs],
              _drill("answered", {"queue": "queue", "agent": "agent"}, "calls")),
    ]
    return Report("agents", REPORTS["agents"].title, REPORTS["agents"].features,
                  _agent_figures(rows), tables, [])


def _agent_time(db: sqlite_utils.Database, f: Filter) -> Report:
    now = int(time.time())
    rows = _agent_rows(db, f, now)
    clauses, params = _agent_time_filter(f, "pause", now)
    length = _clipped(f, now)
    reasons = [dict(zip(("agent", "reason", "pauses", "pause"), r)) for r in db.conn.execute(
        f"SELECT t.agent, t.reason, count(*), sum({length}) FROM report_agent_time t "
        f"WHERE {' AND '.join(clauses)} GROUP BY t.agent, t.reason", params)]
    reasons.sort(key=lambda r: (len(r["agent"]), r["agent"], r["reason"]))
    tables = [
        Table("per_agent", "Per agent", _agent_columns(), rows,
              _drill("sessions", {"agent": "agent"}, "agent")),
        Table("pause_reasons", "Pause time per reason",
              [Column("agent", "Agent"), Column("reason", "Pause reason"),
               Column("pauses", "Pauses", "int"), Column("pause", "Pause time", "seconds")],
              reasons, _drill("pauses", {"agent": "agent", "reason": "reason"}, "pauses")),
    ]
    return Report("agent_time", REPORTS["agent_time"].title, REPORTS["agent_time"].features,
                  _agent_figures(rows), tables, [_occupancy_chart(rows)])


def _occupancy_chart(agents: list[dict]) -> Chart:
    occupied = [a for a in agents if a["occupancy"] is not None]
    return Chart("occupancy", "Agent occupancy", "bars", [a["agent"] for a in occupied],
                 [("Occupancy", [a["occupancy"] for a in occupied])], "%",
                 {"report": "sessions", "where": [{"agent": a["agent"]} for a in occupied],
                  "series": [{}]})


_SUMMARIES: dict[str, Callable[[sqlite_utils.Database, Filter], Report]] = {
    "overview": _overview, "answered_summary": _answered_summary,
    "unanswered_summary": _unanswered_summary, "outbound": _outbound, "all_calls": _all_calls,
    "agents": _agents, "attempts": _attempts, "agent_time": _agent_time, "queues": _queues,
}


def summary(db: sqlite_utils.Database, name: str, f: Filter) -> Report:
    """One summary report over the Filter's period."""
    build = _SUMMARIES.get(name)
    if build is None:
        raise ValueError(f"no summary report {name!r}; known: {', '.join(_SUMMARIES)}")
    return build(db, f)


def journey(db: sqlite_utils.Database, callid: str) -> dict | None:
    """One caller's journey: its queue visits, its queue_log events, its recording."""
    cur = db.conn.execute("SELECT * FROM report_calls WHERE callid = ? ORDER BY part, entered",
                          [str(callid)])
    cols = [c[0] for c in cur.description]
    parts = [dict(zip(cols, row)) for row in cur]
    if not parts:
        return None
    first = min(p["entered"] for p in parts) - 3600         # DID/IVR events come before
    last = max((p["ended"] or int(time.time())) for p in parts) + 3600
    cur = db.conn.execute("SELECT id, at, callid, queue, agent, event, data FROM ql_events "
                          "WHERE id >= ? AND id < ? AND callid = ? ORDER BY id",
                          [first << 32, (last + 1) << 32, str(callid)])
    events = [dict(zip(("id", "at", "callid", "queue", "agent", "event", "data"), row))
              for row in cur]
    recording = None
    row = db.conn.execute("SELECT id, path FROM recordings WHERE uniqueid = ?",
                          [str(callid)]).fetchone()
    if row:
        recording = {"id": row[0], "path": row[1]}
    else:
        path = next((p["recording"] for p in parts if p["recording"]), "")
        if path:
            recording = {"id": None, "path": path}
    return {"callid": str(callid), "parts": parts, "events": events, "recording": recording}


# -- definitions (the definitions page states exactly these) -------------------------------

DEFINITIONS: list[dict] = [
    {"key": "call", "title": "Call (in queue reports)", "features": ("RPT-1", "RPT-2", "RPT-3", "RPT-4"),
     "text": "One caller's visit to one queue, counted in the period by the second it entered "
             "the queue (ENTERQUEUE in Asterisk's queue_log). A call that overflows from one queue "
             "to another is two visits, one per queue. Calls still waiting or talking are shown "
             "as such and are in neither answered nor unanswered until they end."},
    {"key": "journey", "title": "Call as the caller lived it (journey)", "features": ("RPT-6",),
     "text": "All visits of one caller's call (one Asterisk call id) to queues, counted by the "
             "time it entered its first queue. It is answered when any of its visits was "
             "answered, in progress while a visit is still waiting or talking, else unanswered. "
             "% answered and % unanswered are of all journeys; calls in progress are in neither, "
             "so the two may not add up to 100 % while calls are in progress. A queue filter "
             "keeps journeys that visited one of the queues; an agent filter keeps journeys "
             "answered by one of the agents."},
    {"key": "answered", "title": "Answered", "features": ("RPT-1", "RPT-3"),
     "text": "An agent took the call (CONNECT) and it has ended: the caller hung up "
             "(COMPLETECALLER), the agent hung up (COMPLETEAGENT) or the agent transferred it "
             "(TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER). \"Ended by\" tells which."},
    {"key": "unanswered", "title": "Unanswered and the reason", "features": ("RPT-2", "RPT-4"),
     "text": "The caller left the queue without an agent: abandon = hung up while waiting "
             "(ABANDON); timeout = the queue's maximum wait was reached (EXITWITHTIMEOUT); "
             "key = left by pressing a key (EXITWITHKEY, the key is shown); empty = no agent "
             "could take calls (EXITEMPTY); full / joinempty = the queue refused the caller "
             "before they entered (full, or no agents logged in); withdraw = an operator took the "
             "caller out of the queue (WITHDRAW); unknown = Asterisk logged no "
             "end (e.g. it restarted) and the call was closed 6 hours after its last event."},
    {"key": "callback", "title": "Callback instead of waiting", "features": ("BEY-2",),
     "text": "callback = the caller pressed the queue's callback key and was promised a call "
             "back (EXITWITHKEY, then our INFO CALLBACK|requested line). It is an unanswered "
             "visit but not an abandon: it is outside the abandon rate and the answered-only "
             "service level, and in the inclusive service level's calls like every unanswered "
             "visit. The placeholder that keeps the caller's place and the call back itself are "
             "not queue calls of their own; the Callbacks report lists every callback once, "
             "counted by the time it was asked for, with its result: connected (the customer "
             "answered the agent's call back, after the time shown), failed (not answered after "
             "the retries), expired (no agent took it in time), or still open. Asking again "
             "while one is open adds a visit ended 'callback', not a second callback. A "
             "callback asked for at closing time (the destination 'callback': press 1) has no "
             "queue visit; it is due when the dialled number opens again, and its time to call "
             "back counts from then."},
    {"key": "wait", "title": "Wait", "features": ("RPT-1", "RPT-2", "RPT-3", "RPT-4"),
     "text": "Seconds in the queue as Asterisk counted them: for an answered call from entering "
             "the queue to the agent answering (CONNECT holdtime; IVR time before the queue is "
             "not included); for an unanswered call the time before the caller left (waittime "
             "of ABANDON / EXITWITHTIMEOUT / EXITWITHKEY / EXITEMPTY); 0 when refused at the "
             "door. Average wait = wait of answered and unanswered calls / their number."},
    {"key": "talk", "title": "Talk time", "features": ("RPT-1", "RPT-3", "AT-2"),
     "text": "Seconds from the agent answering to the end of the call or the transfer "
             "(calltime of COMPLETECALLER / COMPLETEAGENT / TRANSFER). Total, average, shortest "
             "and longest are over answered calls."},
    {"key": "position", "title": "Position at hangup", "features": ("RPT-2", "RPT-4"),
     "text": "The caller's place in the queue when they left (1 = next to be answered), as "
             "logged by Asterisk; averages are over unanswered calls that have a position."},
    {"key": "service_level", "title": "Service level", "features": ("RPT-3", "SUP-4"),
     "text": "Answered calls with wait <= T seconds / answered calls x 100 %. T is set below "
             "(default 20 s). Drill-down: the answered calls with wait <= T."},
    {"key": "service_level_inclusive", "title": "Service level (inclusive)", "features": ("RPT-3", "SUP-4"),
     "text": "Answered calls with wait <= T / (answered + unanswered calls other than short "
             "abandons) x 100 %: callers who gave up count against it."},
    {"key": "asa", "title": "Average speed of answer (ASA)", "features": ("RPT-3", "SUP-4"),
     "text": "Sum of the wait of answered calls / answered calls, in seconds."},
    {"key": "abandon_rate", "title": "Abandon rate", "features": ("RPT-4", "SUP-4"),
     "text": "Abandons with wait >= S / (answered + abandons with wait >= S) x 100 %. Abandons "
             "shorter than S seconds (short abandons, default S = 5 s; mostly wrong numbers) are "
             "left out of it; timeouts, keys and refused calls are not abandons."},
    {"key": "short", "title": "Short abandons and short calls", "features": ("RPT-3", "RPT-4"),
     "text": "A short abandon is an abandon with wait < S seconds; a short call is an answered "
             "call with talk time < C seconds (default 5 s). Both thresholds are set below."},
    {"key": "attempts", "title": "ACD attempts", "features": ("RPT-8",),
     "text": "Agents rung for one call: each ring that was not answered (RINGNOANSWER, also "
             "logged when a phone answers busy) or was cut short when the caller left "
             "(RINGCANCELED), plus 1 for the agent who answered (CONNECT). Agents the queue "
             "skipped (paused, busy) are not rung and not counted. Averages, minimum and maximum "
             "are per call, for answered and for unanswered calls separately; 0 = nobody was rung."},
    {"key": "agent_filter", "title": "Agent filter", "features": ("RPT-1", "RPT-2", "RPT-3", "RPT-4"),
     "text": "In queue-call reports an agent filter keeps the calls those agents answered. "
             "Unanswered calls have no agent, so with an agent filter they are not shown and "
             "unanswered counts, abandon rate and inclusive service level are about the chosen "
             "agents' calls only. In agent-time reports it keeps those agents."},
    {"key": "queue_filter", "title": "Queue filter", "features": ("RPT-1", "AT-1", "SUP-4"),
     "text": "In queue-call reports: visits to those queues. In agent-time reports: agents who "
             "had a session that covered one of those queues during the period, with all their "
             "sessions and pauses. Outbound calls are not in queues, so the filter does not "
             "change them."},
    {"key": "agents_available", "title": "Agents available", "features": ("RPT-3", "RPT-7"),
     "text": "Agents who were logged in (had a session) at any moment of the period, or "
             "answered at least one call in it (agents who are always members of their queues "
             "have no sessions; they count when they answered)."},
    {"key": "session", "title": "Agent session and work time", "features": ("AT-1", "AT-3", "RPT-7"),
     "text": "From the ADDMEMBER that put the agent in their first queue to the REMOVEMEMBER "
             "that took them out of the last one. Work time = the seconds of sessions inside the "
             "period (a session still open counts up to now; one that began before the period "
             "counts from its start). Session lengths (average, shortest, longest) are these "
             "in-period lengths. Agents who are always members of their queues have no sessions: "
             "their work time is not measured and shows empty, not 0."},
    {"key": "pause", "title": "Pause time", "features": ("AT-1",),
     "text": "From PAUSE / PAUSEALL to UNPAUSE / UNPAUSEALL (paused in any queue = paused), "
             "with the reason the agent chose; seconds inside the period. Work time without "
             "pauses = work time - pause time."},
    {"key": "agent_calls", "title": "Agent calls and share", "features": ("AT-2", "AT-4", "RPT-7"),
     "text": "Calls the agent answered in the period (by the time the call entered the queue), "
             "their talk time total, average, shortest and longest, and their share = the "
             "agent's answered calls / all answered calls of the period and queues x 100 %."},
    {"key": "occupancy", "title": "Occupancy", "features": ("AT-1",),
     "text": "Talk time of the agent's answered calls / (work time - pause time) x 100 %. "
             "Empty for agents without sessions. After-call work is not separated from ready "
             "time, so it counts as not occupied."},
    {"key": "outbound", "title": "Outbound calls", "features": ("RPT-5",),
     "text": "Calls agents placed to outside numbers, from Asterisk's CDR, by the time they "
             "started. Answered = the CDR disposition ANSWERED; unanswered = any other result "
             "(NO ANSWER, BUSY, FAILED, CONGESTION). Talk time = billsec (from answer to "
             "hangup), over answered calls."},
    {"key": "time", "title": "Days and hours", "features": ("RPT-9",),
     "text": "The period runs from local midnight of the first day to local midnight after the "
             "last. Calls per hour and per day use the box's local time."},
]


# every English msgid the reports use (titles, labels, descriptions, definitions),
# for the Polish catalogue; test_every_label_is_in_the_catalogue keeps it complete
LABELS: tuple[str, ...] = (
    'Overview',
    'Headline figures, calls per hour and per day, service level per day and the wait-time distribution (agent occupancy is in Agent time).',
    'Calls offered',
    'Answered',
    'Unanswered',
    'Waiting now',
    'Talking now',
    'Service level',
    'Service level (inclusive)',
    'Average speed of answer',
    'Abandon rate',
    'Short abandons',
    'Short calls',
    'Average wait',
    'Average talk time',
    'Calls per hour',
    'Calls per day',
    'Service level per day',
    'Wait time distribution',
    'Agent occupancy',
    'Occupancy',
    'Answered calls',
    'Every answered call: time, queue, caller, wait, talk time, agent, recording.',
    'Entered queue',
    'Queue',
    'Caller',
    'Number dialled',
    'Wait',
    'Talk time',
    'Agent',
    'Ended by',
    'Attempts',
    'Recording',
    'Call',
    'Answered calls summary',
    'Talk and wait times, agents available, per agent, per queue, who hung up, calls per caller number.',
    'Total talk time',
    'Shortest talk time',
    'Longest talk time',
    'Total wait',
    'Shortest wait',
    'Longest wait',
    'Answered within service level',
    'Answered after service level',
    'Agents available',
    'Per agent',
    'Share',
    'Per queue',
    'Who ended the call',
    'Calls per caller number (top 20)',
    'Work time',
    'Unanswered calls',
    'Every unanswered call: time, queue, reason, wait before hangup, position, key pressed.',
    'IVR keys',
    'Reason',
    'Wait before hangup',
    'Position at hangup',
    'Position on entry',
    'Key pressed',
    'Unanswered calls summary',
    'Time before hangup, position at hangup, reasons, per queue, abandon rate.',
    'Total wait before hangup',
    'Average wait before hangup',
    'Shortest wait before hangup',
    'Longest wait before hangup',
    'Average position at hangup',
    'Lowest position at hangup',
    'Highest position at hangup',
    'Abandoned',
    'Abandoned within service level',
    'Timed out',
    'Left with a key',
    'No agents',
    'Queue full',
    'Refused, no agents',
    'Taken out of the queue',
    'Unknown end',
    'Reasons',
    'All queue calls',
    'Every visit of a caller to a queue, answered or not.',
    'Part',
    'Status',
    'Outbound calls summary',
    'Outbound calls placed by agents: answered, unanswered, durations, per agent.',
    'Outbound calls',
    'Results',
    'Result',
    'Every outbound call from the CDR: agent, number, result, duration.',
    'Started',
    'Number',
    'Duration',
    'Call id',
    'All calls per number',
    'Calls (journeys) per caller number with % answered and % unanswered.',
    'Calls',
    'In progress',
    'Answered %',
    'Unanswered %',
    'Caller numbers',
    'Calls per caller number (top 20; all in Caller numbers)',
    'Calls (journeys)',
    'Every call as the caller lived it: all the queues it passed, answered or not.',
    'Entered',
    'Queues',
    'Queues visited',
    'Every caller number with its calls, % answered and % unanswered.',
    'Agents',
    'Agents available, work time, session lengths, calls answered per queue.',
    'Sessions',
    'Pause time',
    'Average session',
    'Shortest session',
    'Longest session',
    'Work time without pauses',
    'Calls answered per queue and agent',
    'ACD attempts',
    'How many agents were rung per call, for answered and unanswered calls.',
    'Average attempts, answered calls',
    'Fewest attempts, answered calls',
    'Most attempts, answered calls',
    'Average attempts, unanswered calls',
    'Fewest attempts, unanswered calls',
    'Most attempts, unanswered calls',
    'Calls by number of attempts',
    'Calls (also those still in progress)',
    'Agent time',
    'Work time with pauses, pause time per reason, sessions, calls and call times, share of all answered calls, occupancy.',
    'Share of answered calls',
    'Pause time per reason',
    'Pause reason',
    'Pauses',
    'Agent sessions',
    'Every agent session (login to logout) with its pauses.',
    'Logged in',
    'Logged out',
    'Length in period',
    'Pause time in period',
    'Agent pauses',
    'Every pause with its reason and length.',
    'Paused',
    'Unpaused',
    'Per queue: offered, answered, unanswered, average wait and talk, service level, ASA, abandon rate.',
    'Call (in queue reports)',
    'Call as the caller lived it (journey)',
    'Unanswered and the reason',
    'Average speed of answer (ASA)',
    'Short abandons and short calls',
    'Agent filter',
    'Queue filter',
    'Agent session and work time',
    'Agent calls and share',
    'Days and hours',
) + tuple(d["text"] for d in DEFINITIONS) + (
    # callback instead of waiting (BEY-2)
    "Callback instead of waiting", "Callbacks", "Every callback a waiting caller asked for: queue, number, result, the agent "
    "who called back and after how long.", "Requested", "Number to call back", "Called back after",
    "Callback", "Asked for a callback", "Callbacks connected", "Callbacks failed",
    "Callbacks expired", "Callbacks per queue", "Connected", "Failed", "Expired", "Still open",
    "Average time to call back")
