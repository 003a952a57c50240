"""Campaign reports (CMP-4): per campaign and day, what was dialed and what came of it.

Everything is SQL over `campaign_calls` (one row per attempt, written by the dialer and the
desk), `dispositions` (which outcomes are effective contacts) and `agent_sessions` (the
agents' logged-in time in the campaign's queue).  Days are the box's local days.
"""
from __future__ import annotations

import csv
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import IO, Any, Callable

import sqlite_utils

from ..store.db import StoreError

from ..reports.export import header   # the column titles as the call reports' files have them
from .pacer import AbandonCounts, abandon_rate as _pacer_rate


def abandon_rate(abandoned: int, live: int, machine_marked: int) -> float:
    """Ofcom's adjusted abandon rate in percent (pacer.abandon_rate: the report and the dialer
    use one formula).  D: abandoned calls, L: live calls connected to an agent, AM: connected
    calls the agent marked as an answering machine."""
    return _pacer_rate(AbandonCounts(abandoned=abandoned, live=live, machine_marked=machine_marked))


def abandon_counts(db: sqlite_utils.Database, campaign_id: int, since: float,
                   until: float) -> dict[str, int]:
    """D, L and AM of `abandon_rate` for calls started in [since, until)."""
    row = db.execute(
        "SELECT count(*) FILTER (WHERE cc.outcome = 'abandoned'), "
        "count(*) FILTER (WHERE cc.outcome = 'connected' AND coalesce(d.action, '') != 'machine'), "
        "count(*) FILTER (WHERE cc.outcome = 'connected' AND d.action = 'machine') "
        "FROM campaign_calls cc LEFT JOIN dispositions d ON d.code = cc.disposition "
        "WHERE cc.campaign_id = ? AND cc.started_at >= ? AND cc.started_at < ?",
        [campaign_id, since, until]).fetchone()
    return {"abandoned": row[0], "live": row[1], "machine_marked": row[2]}


# -- the per-day report ---------------------------------------------------------------------

WRAP_CAP_S = 300         # after-call work longer than this is a forgotten disposition, not work
MAX_DAYS = 366
OUTCOME_KEYS = ("connected", "abandoned", "machine", "noanswer", "busy", "failed", "invalid",
                "cancelled")


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"        # text | int | number | percent | seconds | date


# label ids are English catalogue entries (appliance/webui/i18n_campaigns.py)
DAY_COLUMNS = [
    Column("day", "Day", "date"),
    Column("dialed", "Dialed"),
    Column("answered", "Answered"),
    Column("connected", "Connected to an agent"),
    Column("noanswer", "Not answered"),
    Column("busy", "Busy"),
    Column("failed", "Failed"),
    Column("invalid", "Invalid number"),
    Column("machine", "Answering machine"),
    Column("abandoned", "Abandoned"),
    Column("cancelled", "Withdrawn"),
    Column("in_progress", "In progress"),
    Column("machine_marked", "Marked machine by agent"),
    Column("abandon_rate", "Abandon rate", "percent"),
    Column("effective", "Effective contacts"),
    Column("agent_hours", "Agent hours", "number"),
    Column("contacts_per_hour", "Contacts per agent hour", "number"),
    Column("occupancy", "Occupancy", "percent"),
]
AGENT_COLUMNS = [
    Column("agent", "Agent", "text"),
    Column("name", "Name", "text"),
    Column("connected", "Connected to an agent"),
    Column("effective", "Effective contacts"),
    Column("talk_s", "Talk time", "seconds"),
    Column("wrap_s", "Wrap-up time", "seconds"),
    Column("agent_hours", "Agent hours", "number"),
    Column("contacts_per_hour", "Contacts per agent hour", "number"),
    Column("occupancy", "Occupancy", "percent"),
]
# voice mailing (AUTO-1): each number once, by its final outcome (appliance.campaigns.voicecast)
VOICE_TOTAL_COLUMNS = [
    Column("numbers", "Numbers"),
    Column("dialed", "Dialed"),
    Column("answered", "Answered"),
    Column("listened", "Listened to the end"),
    Column("pressed", "Pressed the key"),
    Column("connected", "Connected to an agent"),
    Column("noanswer", "Not answered"),
    Column("busy", "Busy"),
    Column("failed", "Failed"),
    Column("machine", "Answering machine"),
    Column("dnc", "Do not call"),
    Column("waiting", "Still to call"),
]
NUMBER_COLUMNS = [
    Column("phone", "Number", "text"),
    Column("name", "Name", "text"),
    Column("outcome", "Final outcome", "outcome"),
    Column("attempts", "Attempts"),
    Column("heard_s", "Message heard (s)", "number"),
    Column("listened", "Listened to the end", "text"),
    Column("pressed", "Keys pressed", "text"),
    Column("agent", "Agent", "text"),
]
# a number's final outcome in words (the page and the files)
VOICE_OUTCOME_LABELS = {
    "connected": "Connected to an agent", "pressed": "Pressed the key, no agent took it",
    "listened": "Listened to the end", "answered": "Hung up during the message",
    "machine": "Answering machine", "noanswer": "Not answered", "busy": "Busy",
    "failed": "Failed", "invalid": "Invalid number", "cancelled": "Withdrawn",
    "dnc": "Do not call", "": "Not called yet"}
DISPOSITION_COLUMNS = [
    Column("code", "Code", "text"),
    Column("title", "Disposition", "text"),
    Column("effective_flag", "Effective", "text"),
    Column("calls", "Calls"),
]


@dataclass
class Report:
    campaign: dict
    first: dt.date
    last: dt.date
    days: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    agents: list[dict] = field(default_factory=list)
    dispositions: list[dict] = field(default_factory=list)
    numbers: list[dict] = field(default_factory=list)       # voice mailing only
    voice_totals: dict = field(default_factory=dict)

    @property
    def voice(self) -> bool:
        return (self.campaign or {}).get("kind") == "voice"

    def tables(self) -> list[tuple[str, list[Column], list[dict]]]:
        """(title id, columns, rows) in the order the page and the files show them."""
        if self.voice:
            return [("Voice mailing totals", VOICE_TOTAL_COLUMNS, [self.voice_totals]),
                    ("Per number", NUMBER_COLUMNS, self.numbers),
                    ("Calls per day", DAY_COLUMNS, self.days + [self.totals])]
        return [("Calls per day", DAY_COLUMNS, self.days + [self.totals]),
                ("Agents", AGENT_COLUMNS, self.agents),
                ("Dispositions", DISPOSITION_COLUMNS, self.dispositions)]


def _midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day).timestamp()


def build(db: sqlite_utils.Database, campaign_id: int, first: dt.date, last: dt.date,
          now: float | None = None) -> Report:
    """The campaign's report for the days first..last (inclusive, local days)."""
    from .campaigns import campaign as get_campaign
    row = get_campaign(db, campaign_id)
    if row is None:
        raise StoreError("no such campaign")
    if last < first:
        raise StoreError("the end date is before the start date")
    if (last - first).days + 1 > MAX_DAYS:
        raise StoreError("a report covers at most 366 days; choose a shorter range")
    now = time.time() if now is None else now
    rep = Report(row, first, last)
    day = first
    while day <= last:
        since, until = _midnight(day), _midnight(day + dt.timedelta(days=1))
        figures = _calls(db, campaign_id, since, until)
        rule_since = since if row["abandon_rule"] == "day" else until - 30 * 86400
        counts = abandon_counts(db, campaign_id, rule_since, until)
        figures["abandon_rate"] = abandon_rate(**counts)
        figures["logged_s"] = sum(_logged_in(db, row["queue"], since, until, now).values())
        _ratios(figures)
        rep.days.append({"day": day.isoformat(), **figures})
        day += dt.timedelta(days=1)
    since, until = _midnight(first), _midnight(last + dt.timedelta(days=1))
    totals = {k: sum(d[k] for d in rep.days) for k in rep.days[0]
              if k not in ("day", "abandon_rate", "contacts_per_hour", "occupancy")}
    totals["abandon_rate"] = abandon_rate(totals["abandoned"], totals["live"],
                                          totals["machine_marked"])
    _ratios(totals)
    rep.totals = {"day": "Total", **totals}
    rep.agents = _agents(db, row, since, until, now)
    rep.dispositions = _dispositions(db, campaign_id, since, until)
    if rep.voice:     # per number over the whole campaign, whatever the days chosen
        from . import voicecast
        rep.numbers = voicecast.numbers(db, campaign_id)
        rep.voice_totals = voicecast.totals(rep.numbers)
    return rep


def _calls(db: sqlite_utils.Database, campaign_id: int, since: float, until: float) -> dict:
    """Counts and times of the calls started in [since, until)."""
    outcomes = ", ".join(f"count(*) FILTER (WHERE cc.outcome = '{o}')" for o in OUTCOME_KEYS)
    r = db.execute(
        f"SELECT count(*), {outcomes}, count(*) FILTER (WHERE cc.outcome IS NULL), "
        "count(*) FILTER (WHERE cc.outcome = 'connected' AND d.action = 'machine'), "
        "count(*) FILTER (WHERE cc.outcome = 'connected' AND d.effective = 1), "
        "coalesce(sum(CASE WHEN cc.connected_at IS NOT NULL AND cc.ended_at IS NOT NULL "
        "    THEN max(cc.ended_at - cc.connected_at, 0) END), 0), "
        "coalesce(sum(CASE WHEN cc.connected_at IS NOT NULL AND cc.ended_at IS NOT NULL "
        "    AND cc.disposed_at IS NOT NULL "
        f"    THEN min(max(cc.disposed_at - cc.ended_at, 0), {WRAP_CAP_S}) END), 0) "
        "FROM campaign_calls cc LEFT JOIN dispositions d ON d.code = cc.disposition "
        "WHERE cc.campaign_id = ? AND cc.started_at >= ? AND cc.started_at < ?",
        [campaign_id, since, until]).fetchone()
    out = {"dialed": r[0], **dict(zip(OUTCOME_KEYS, r[1:9])), "in_progress": r[9],
           "machine_marked": r[10], "effective": r[11], "talk_s": r[12], "wrap_s": r[13]}
    voice = db.execute("SELECT count(*) FROM campaign_calls WHERE campaign_id = ? AND "
                       "started_at >= ? AND started_at < ? AND outcome IN "
                       "('pressed', 'listened', 'answered')", [campaign_id, since, until]
                       ).fetchone()[0]      # voice mailing's answered calls with no agent
    out["answered"] = out["connected"] + out["abandoned"] + out["machine"] + voice
    out["live"] = out["connected"] - out["machine_marked"]
    return out


def _ratios(figures: dict) -> None:
    """Agent hours, contacts per agent hour and occupancy from the sums (None: no agent time)."""
    logged = figures["logged_s"]
    figures["agent_hours"] = logged / 3600.0
    figures["contacts_per_hour"] = figures["connected"] / (logged / 3600.0) if logged else None
    figures["occupancy"] = (100.0 * (figures["talk_s"] + figures["wrap_s"]) / logged
                            if logged else None)


def _logged_in(db: sqlite_utils.Database, queue: str, since: float, until: float,
               now: float) -> dict[str, float]:
    """Seconds each agent was logged in to `queue` within [since, until) (open sessions
    count up to now)."""
    out: dict[str, float] = {}
    for agent, login, logout in db.execute(
            "SELECT agent, login_at, logout_at FROM agent_sessions WHERE queue = ? "
            "AND login_at < ? AND (logout_at IS NULL OR logout_at > ?)", [queue, until, since]):
        end = min(until, now if logout is None else logout)
        seconds = end - max(since, login)
        if seconds > 0:
            out[agent] = out.get(agent, 0.0) + seconds
    return out


def _agents(db: sqlite_utils.Database, row: dict, since: float, until: float,
            now: float) -> list[dict]:
    """Per agent over the whole range: their campaign calls and their time in its queue."""
    logged: dict[str, float] = {}
    day = dt.date.fromtimestamp(since)
    while _midnight(day) < until:
        start, end = _midnight(day), _midnight(day + dt.timedelta(days=1))
        for agent, seconds in _logged_in(db, row["queue"], start, end, now).items():
            logged[agent] = logged.get(agent, 0.0) + seconds
        day += dt.timedelta(days=1)
    calls = {r[0]: r[1:] for r in db.execute(
        "SELECT cc.agent, count(*) FILTER (WHERE cc.outcome = 'connected'), "
        "count(*) FILTER (WHERE cc.outcome = 'connected' AND d.effective = 1), "
        "coalesce(sum(CASE WHEN cc.connected_at IS NOT NULL AND cc.ended_at IS NOT NULL "
        "    THEN max(cc.ended_at - cc.connected_at, 0) END), 0), "
        "coalesce(sum(CASE WHEN cc.connected_at IS NOT NULL AND cc.ended_at IS NOT NULL "
        "    AND cc.disposed_at IS NOT NULL "
        f"    THEN min(max(cc.disposed_at - cc.ended_at, 0), {WRAP_CAP_S}) END), 0) "
        "FROM campaign_calls cc LEFT JOIN dispositions d ON d.code = cc.disposition "
        "WHERE cc.campaign_id = ? AND cc.started_at >= ? AND cc.started_at < ? "
        "AND cc.agent IS NOT NULL GROUP BY cc.agent", [row["id"], since, until])}
    names = {r[0]: r[1] for r in db.execute("SELECT extension, name FROM agents")}
    out = []
    for agent in sorted(set(logged) | set(calls), key=lambda a: (len(a), a)):
        connected, effective, talk, wrap = calls.get(agent, (0, 0, 0, 0))
        figures = {"agent": agent, "name": names.get(agent, ""), "connected": connected,
                   "effective": effective, "talk_s": talk, "wrap_s": wrap,
                   "logged_s": logged.get(agent, 0.0)}
        _ratios(figures)
        out.append(figures)
    return out


def _dispositions(db: sqlite_utils.Database, campaign_id: int, since: float,
                  until: float) -> list[dict]:
    """Every disposition of the admin's list with its calls in the range, then any code
    since removed from the list, then connected calls with none set yet."""
    used = {r[0]: r[1] for r in db.execute(
        "SELECT disposition, count(*) FROM campaign_calls WHERE campaign_id = ? "
        "AND started_at >= ? AND started_at < ? AND disposition IS NOT NULL "
        "GROUP BY disposition", [campaign_id, since, until])}
    out = []
    for code, title, effective in db.execute(
            "SELECT code, title, effective FROM dispositions ORDER BY position, code"):
        out.append({"code": code, "title": title, "effective": effective,
                    "effective_flag": "yes" if effective else "no", "calls": used.pop(code, 0)})
    for code, n in sorted(used.items()):
        out.append({"code": code, "title": code, "effective": 0, "effective_flag": "no",
                    "calls": n})
    pending = db.execute(
        "SELECT count(*) FROM campaign_calls WHERE campaign_id = ? AND started_at >= ? "
        "AND started_at < ? AND outcome = 'connected' AND disposition IS NULL",
        [campaign_id, since, until]).fetchone()[0]
    out.append({"code": "", "title": "(none yet)", "effective": 0, "effective_flag": "",
                "calls": pending})
    return out


# -- files ----------------------------------------------------------------------------------

def cell(value: Any, kind: str, *, xlsx: bool) -> Any:
    """A value as the files hold it: numbers stay numbers, rounded to what the page shows."""
    if value is None:
        return None if xlsx else ""
    if kind in ("percent", "number") and isinstance(value, (int, float)):
        return round(float(value), 1)
    if kind == "seconds" and isinstance(value, (int, float)):
        return int(round(value))
    return value


def outcome_text(value: Any, translate: Callable[[str], str] = str) -> str:
    """A voice number's final outcome (or yes/no) in words."""
    if value in ("yes", "no"):
        return translate(value)
    return translate(VOICE_OUTCOME_LABELS.get(value, str(value or "")))


def write_csv(rep: Report, out: IO[str], translate: Callable[[str], str] = str) -> None:
    """Every table, one after another, each under its title (open `out` as utf-8-sig)."""
    writer = csv.writer(out)
    for n, (title, columns, rows) in enumerate(rep.tables()):
        if n:
            writer.writerow([])
        writer.writerow([translate(title)])
        writer.writerow([header(c, translate) for c in columns])
        for row in rows:
            writer.writerow([_text(row, c, translate) for c in columns])


def write_xlsx(rep: Report, path: str, translate: Callable[[str], str] = str) -> None:
    """One sheet per table; numbers as numbers."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    for title, columns, rows in rep.tables():
        sheet = book.create_sheet(translate(title)[:31])
        sheet.append([header(c, translate) for c in columns])
        for row in rows:
            value = [outcome_text(row.get(c.key), translate)
                     if c.kind == "outcome" or c.key == "listened"
                     else cell(row.get(c.key), c.kind, xlsx=True) for c in columns]
            if columns[0].key == "day" and row is rep.totals:
                value[0] = translate("Total")
            sheet.append(value)
    book.save(path)


def _text(row: dict, column: Column, translate: Callable[[str], str]) -> Any:
    value = cell(row.get(column.key), column.kind, xlsx=False)
    if column.kind == "outcome" or column.key == "listened":
        return outcome_text(value, translate)
    if column.key in ("day", "title", "effective_flag") and isinstance(value, str) and (
            value in ("Total", "yes", "no", "(none yet)")):
        return translate(value)
    return value
