"""The monthly operations report (OPS-1): one standalone, printable HTML document per month.

`build()` writes the document from queries.summary over the whole month (traffic, service
levels, abandon rates, per-queue and per-agent figures, charts as inline SVG) and the
watchdog's incidents of the month (store.alerts.alert_history); `save()` keeps it in
`monthly_reports`; `ensure_previous_month()` (called hourly by jns-reports) makes last
month's report an hour after the month is over and e-mails a short text with its figures to the
addresses in the setting `monthly_report_email`, through the SMTP server the watchdog uses.

The document carries no script and no style sheet (the panel's CSP forbids inline styles):
only HTML attributes and SVG presentation attributes, so it looks the same in the panel,
printed, or saved.  This module never changes a report table; a stored month is replaced
only by an explicit `save()`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import time
from typing import Callable

import sqlite_utils
from markupsafe import Markup, escape

from ..store import alerts as store_alerts
from ..store.db import StoreError, get_setting, transaction
from . import queries

log = logging.getLogger(__name__)

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SETTING_EMAIL = "monthly_report_email"
# the summaries the document shows, in order
SECTIONS = ("overview", "queues", "agents", "unanswered_summary")
NUMERIC = ("int", "number", "seconds", "percent")
GRACE_S = 3600   # calls that straddle midnight have ended (and been read) before the 1st's report


def month_range(month: str) -> tuple[int, int]:
    """Local midnight of the month's first day and of the next month's first day."""
    m = MONTH_RE.match(month or "")
    if not m:
        raise StoreError(f"a month is written like 2026-03, not {month!r}")
    year, mon = int(m.group(1)), int(m.group(2))
    first = dt.datetime(year, mon, 1)
    after = dt.datetime(year + (mon == 12), mon % 12 + 1, 1)
    return int(first.timestamp()), int(after.timestamp())


def _translator(lang: str) -> Callable[[str], str]:
    if lang != "pl":
        return lambda text: text
    from ..webui.i18n import CATALOG   # the panel's one catalogue; plain dict, no request
    return lambda text: CATALOG.get(text, text)


def _show(value, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == "seconds":   # as the panel shows it: m:ss, an average with its tenth
        tenths = round(float(value) * 10)
        hours, rest = divmod(tenths // 10, 3600)
        minutes, secs = divmod(rest, 60)
        tenths %= 10
        return (f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}") \
            + (f".{tenths}" if tenths else "")
    if kind == "percent":
        return f"{float(value):.1f} %"
    if kind == "number":
        return f"{float(value):.1f}"
    if kind in ("datetime", "date"):
        moment = dt.datetime.fromtimestamp(float(value))
        return moment.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M")
    return str(value)


def build(db: sqlite_utils.Database, month: str, lang: str = "pl") -> str:
    """The month's report as a standalone HTML document."""
    from ..webui import charts   # pure drawing, no database
    start, end = month_range(month)
    if start > time.time():
        raise StoreError(f"{month} has not started yet")
    t = _translator(lang)
    f = queries.make_filter(db, start, end)
    out = [f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
           f'<title>{escape(t("Monthly operations report"))} {escape(month)}</title></head>'
           f'<body><h1>{escape(t("Monthly operations report"))} {escape(month)}</h1>'
           f'<p>{escape(t("Period"))}: {escape(_show(start, "date"))} – '
           f'{escape(_show(end - 1, "date"))}. {escape(t("Made"))}: '
           f'{escape(_show(time.time(), "datetime"))}. '
           f'{escape(t("Service level threshold T (s)"))}: {f.sl_seconds}; '
           f'{escape(t("Short abandon: shorter than (s)"))}: {f.short_abandon_s}.</p>']
    for name in SECTIONS:
        if name not in queries.REPORTS:
            continue
        report = queries.summary(db, name, f)
        out.append(f'<h2 id="{escape(name)}">{escape(t(report.title))}</h2>')
        if report.figures:
            out.append('<table border="1" cellpadding="4" cellspacing="0" class="figures">')
            for fig in report.figures:
                out.append(f'<tr><th align="left">{escape(t(fig.label))}</th>'
                           f'<td align="right" data-key="{escape(fig.key)}">'
                           f'{escape(_show(fig.value, fig.kind))}</td></tr>')
            out.append("</table>")
        for chart in report.charts:
            series = [(t(n), v) for n, v in chart.series]
            kind = chart.kind if chart.kind in ("bars", "stacked", "histogram") else "bars"
            svg = charts.bar_chart(chart.labels, series, title=t(chart.title), unit=chart.unit,
                                   kind=kind)
            out.append(f"<p>{svg}</p>")
        for table in report.tables:
            out.append(f'<h3>{escape(t(table.title))}</h3>')
            if not table.rows:
                out.append(f'<p>{escape(t("No calls in this period."))}</p>')
                continue
            out.append('<table border="1" cellpadding="4" cellspacing="0"><tr>'
                       + "".join(f"<th>{escape(t(c.label))}</th>" for c in table.columns)
                       + "</tr>")
            for row in table.rows:
                out.append("<tr>" + "".join(
                    f'<td{" align=right" if c.kind in NUMERIC else ""}>'
                    f'{escape(_show(row.get(c.key), c.kind))}</td>' for c in table.columns)
                    + "</tr>")
            out.append("</table>")
    out.append(f'<h2 id="incidents">{escape(t("Incidents"))}</h2>')
    incidents = sorted(store_alerts.alert_history(db, start, end - 1, limit=10000),
                       key=lambda a: a["since"])
    if incidents:
        out.append('<table border="1" cellpadding="4" cellspacing="0" class="incidents"><tr>'
                   + "".join(f"<th>{escape(t(h))}</th>" for h in
                             ("Check", "Severity", "What", "Since", "Resolved")) + "</tr>")
        for a in incidents:
            resolved = _show(a["resolved_at"], "datetime") if a["resolved_at"] else \
                t("still active")
            out.append(f'<tr><td>{escape(a["check"])}</td><td>{escape(a["severity"])}</td>'
                       f'<td>{escape(a["text"])}</td><td>{escape(_show(a["since"], "datetime"))}'
                       f'</td><td>{escape(resolved)}</td></tr>')
        out.append("</table>")
    else:
        out.append(f'<p>{escape(t("No incidents in this month."))}</p>')
    out.append("</body></html>")
    return str(Markup("\n".join(out)))


def save(db: sqlite_utils.Database, month: str, html: str, emailed_to: str = "") -> None:
    """Keep (or replace) the month's document."""
    month_range(month)
    with transaction(db):
        db.execute("INSERT INTO monthly_reports (month, created_at, html, emailed_to) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET "
                   "created_at = excluded.created_at, html = excluded.html, "
                   "emailed_to = excluded.emailed_to", [month, time.time(), html, emailed_to])


def months(db: sqlite_utils.Database) -> list[dict]:
    """The stored months, newest first: month, created_at, created (text), emailed_to."""
    rows = db.execute("SELECT month, created_at, emailed_to FROM monthly_reports "
                      "ORDER BY month DESC").fetchall()
    return [{"month": m, "created_at": c, "created": _show(c, "datetime"), "emailed_to": e}
            for m, c, e in rows]


def get(db: sqlite_utils.Database, month: str) -> str | None:
    row = db.execute("SELECT html FROM monthly_reports WHERE month = ?", [month]).fetchone()
    return row[0] if row else None


def recipients(db: sqlite_utils.Database) -> list[str]:
    raw = get_setting(db, SETTING_EMAIL, "") or ""
    return [a for a in re.split(r"[\s,;]+", raw) if a]


def _text_summary(db: sqlite_utils.Database, month: str) -> str:
    start, end = month_range(month)
    f = queries.make_filter(db, start, end)
    lines = [f"Monthly operations report {month}", ""]
    if "overview" in queries.REPORTS:
        for fig in queries.summary(db, "overview", f).figures:
            lines.append(f"{fig.label}: {_show(fig.value, fig.kind)}")
    lines += ["", f"The full report (charts, queues, agents, incidents) is in the panel: "
              f"Reports > Monthly reports > {month}."]
    return "\n".join(lines) + "\n"


def ensure_previous_month(db: sqlite_utils.Database, now: float | None = None) -> str | None:
    """From GRACE_S after midnight of the 1st: make last month's report if it is missing
    (and e-mail it when `monthly_report_email` has addresses).  The month made, or None
    when nothing to do.  A failed e-mail is logged; the report is kept, the mail not retried."""
    now = time.time() if now is None else now
    today = dt.date.fromtimestamp(now)
    last = today.replace(day=1) - dt.timedelta(days=1)
    month = last.strftime("%Y-%m")
    if now < month_range(month)[1] + GRACE_S or get(db, month) is not None:
        return None
    html = build(db, month)
    emailed = ""
    to = recipients(db)
    if to:
        from ..watchdog.notify import send_email
        settings = store_alerts.notify_settings(db)
        try:
            send_email(settings, store_alerts.smtp_password(db), to,
                 f"[JNS {socket.gethostname()}] monthly report {month}",
                 _text_summary(db, month))
            emailed = ",".join(to)
        except Exception as exc:   # the report is kept; the mail is tried no more
            log.warning("monthly report %s not e-mailed: %s: %s", month, type(exc).__name__, exc)
    save(db, month, html, emailed)
    return month
