"""Reports `/reports/` (RPT-1..9, AT-1..4, SUP-4, OPS-1): what the supervisor reads.

- `/reports/`: the catalogue and the filter shared by every report (a date range from two
  calendar fields or a preset, queues, agents) — all GET parameters, so a report's address
  can be bookmarked;
- `/reports/<name>`: one report: a summary (figures, each linked to the calls behind it,
  charts, small tables sorted here) or a details list (sorted and paged by the database,
  drill-down filters shown as removable chips, recordings and call journeys linked);
  `?print=1` is the same page without navigation, for printing;
- exports to CSV / XLSX run in a background thread (appliance.reports.export) with a
  progress page; only the user who asked (or an admin) downloads the file;
- `/reports/call/<callid>`: one call's journey (its queue visits, events, recording);
- `/reports/definitions`: how every number is computed, and the thresholds (admins change);
- `/reports/monthly`: the monthly operations reports (OPS-1).

Admins and supervisors only; agents get 403.  Every figure comes from
appliance.reports.queries (or monthly.py for the monthly documents): this module never
reads the report tables itself and never computes a figure of its own.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import threading
from typing import Any

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   send_file, url_for)
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..reports import export, monthly, queries
from ..store.db import StoreError, get_setting, set_setting
from . import charts
from .auth import db, role_required
from .dashboard import clock
from .i18n import CATALOG, _, current_lang
from .i18n_reports import REPORTS_ENGLISH
from .i18n_callbacks import CALLBACKS_ENGLISH

bp = Blueprint("reports", __name__, url_prefix="/reports")

ROLES = ("admin", "supervisor")
PER_PAGE = 50
PRINT_MAX = 10000        # rows on a printable details page; more: export the file
MAX_DAYS = 366
VALUE_IDS = frozenset(k for k in (*REPORTS_ENGLISH, *CALLBACKS_ENGLISH)
                      if k.startswith("value:"))   # translated values
PRESETS = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month")
PRESET_LABELS = {"today": "Today", "yesterday": "Yesterday", "this_week": "This week",
                 "last_week": "Last week", "this_month": "This month",
                 "last_month": "Last month"}
FILTER_KEYS = ("from", "to", "preset", "queue", "agent")
EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


# -- the filter -----------------------------------------------------------------------------

def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a preset, weeks from Monday."""
    if preset == "today":
        return today, today
    if preset == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if preset == "this_week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday, today
    if preset == "last_week":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(preset)


def _midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day).timestamp())


def _parse_day(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(_("{field}: a date like 2026-03-31, not {value!r}",
                           field=_(label), value=value)) from None


def parse_filter(args: MultiDict) -> tuple[dict, str | None]:
    """The form's values (for the page) and an error text; values["filter"] is the
    queries.Filter, or None when the dates were refused (the page still shows)."""
    today = dt.date.today()
    preset = args.get("preset", "")
    values: dict[str, Any] = {"preset": preset if preset in PRESETS else "",
                              "queues": [q for q in args.getlist("queue") if q],
                              "agents": [a for a in args.getlist("agent") if a],
                              "filter": None}
    error = None
    try:
        if values["preset"]:
            first, last = preset_range(preset, today)
        else:
            raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
            first = _parse_day(raw_from, "From") if raw_from else today
            last = _parse_day(raw_to, "To") if raw_to else first
        values["from"], values["to"] = first.isoformat(), last.isoformat()
        if last < first:
            raise ValueError(_("The end date {to} is before the start date {start}.",
                               to=last.isoformat(), start=first.isoformat()))
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(_("A report covers at most {n} days; choose a shorter range.",
                               n=MAX_DAYS))
        values["filter"] = queries.make_filter(
            db(), _midnight(first), _midnight(last + dt.timedelta(days=1)),
            tuple(values["queues"]), tuple(values["agents"]))
    except (ValueError, StoreError) as exc:
        error = str(exc)
        values.setdefault("from", args.get("from", ""))
        values.setdefault("to", args.get("to", ""))
    return values, error


def filter_args(values: dict) -> dict:
    """The GET parameters that reproduce the filter (for links)."""
    out: dict[str, Any] = {}
    if values.get("preset"):
        out["preset"] = values["preset"]
    else:
        out["from"], out["to"] = values.get("from", ""), values.get("to", "")
    if values.get("queues"):
        out["queue"] = values["queues"]
    if values.get("agents"):
        out["agent"] = values["agents"]
    return out


def where_args(where: dict) -> dict:
    return {f"w_{k}": v for k, v in where.items()}


def parse_where(args: MultiDict) -> dict:
    return {k[2:]: v for k, v in args.items() if k.startswith("w_") and v != ""}


def _choices() -> tuple[list[dict], list[dict]]:
    queues = [dict(r) for r in db().query("SELECT name, title FROM queues ORDER BY name")]
    agents = [dict(r) for r in db().query(
        "SELECT extension, name FROM agents ORDER BY CAST(extension AS INTEGER), extension")]
    return queues, agents


# -- showing values -------------------------------------------------------------------------

def show(value: Any, kind: str) -> str:
    """A value as the page shows it (export.cell gives the same numbers to the files)."""
    if value is None or value == "":
        return "—"
    if kind == "seconds":   # an average keeps its tenth: 0:15.7 (the export says 15.7)
        tenths = round(float(value) * 10)
        return clock(tenths // 10) + (f".{tenths % 10}" if tenths % 10 else "")
    if kind == "percent":
        return f"{float(value):.1f} %"
    if kind == "number":
        return f"{float(value):.1f}"
    if kind == "int":
        return str(int(value))
    if kind in ("datetime", "date"):
        moment = dt.datetime.fromtimestamp(float(value))
        return moment.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S")
    return str(value)


def recording_id(value: Any) -> int | None:
    """The recordings-table id behind a recording cell, when it has one."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _chart_svg(chart: "queries.Chart", report_url) -> Markup:
    """The chart as SVG; with the chart's drill, each bar links to the calls behind it."""
    title = _(chart.title)
    series = [(_(name), values) for name, values in chart.series]
    links = None
    drill = getattr(chart, "drill", None)
    if drill and drill.get("report") in queries.REPORTS:
        per_label = drill.get("where") or []
        per_series = drill.get("series") or []
        links = []
        for i in range(len(chart.labels)):
            base = per_label[i] if i < len(per_label) else None
            if base is None:
                links.append(None)
            elif per_series:
                links.append([report_url(drill["report"], {**base, **(extra or {})})
                              for extra in per_series])
            else:
                links.append(report_url(drill["report"], base))
    kind = chart.kind if chart.kind in ("bars", "stacked", "histogram") else "bars"
    return charts.bar_chart(chart.labels, series, title=title, unit=chart.unit, kind=kind,
                            links=links)


def _sort_rows(rows: list[dict], key: str, desc: bool) -> list[dict]:
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    try:
        present.sort(key=lambda r: r[key], reverse=desc)
    except TypeError:
        present.sort(key=lambda r: str(r[key]), reverse=desc)
    return present + missing


# -- pages ----------------------------------------------------------------------------------

@bp.route("/")
@role_required(*ROLES)
def index():
    values, error = parse_filter(request.args)
    queues, agents = _choices()
    return render_template("reports.html", reports=queries.REPORTS, v=values, error=error,
                           queues=queues, agents=agents, presets=PRESETS,
                           preset_labels=PRESET_LABELS, fargs=filter_args(values),
                           name=None), 400 if error else 200


@bp.route("/<name>")
@role_required(*ROLES)
def report(name: str):
    info = queries.REPORTS.get(name)
    if info is None:
        abort(404)
    values, error = parse_filter(request.args)
    where = parse_where(request.args)
    fargs = filter_args(values)
    queues, agents = _choices()

    def report_url(report_name: str, where: dict | None = None, **extra: Any) -> str:
        """A report's address with this page's filter, a drill-down and more parameters."""
        args = {**fargs, **where_args(where or {}), **{k: v for k, v in extra.items() if v}}
        return url_for(".report", name=report_name, **args)

    ctx: dict[str, Any] = dict(info=info, name=name, v=values, error=error, where=where,
                               fargs=fargs, queues=queues, agents=agents, presets=PRESETS,
                               preset_labels=PRESET_LABELS, show=show, report_url=report_url,
                               recording_id=recording_id, where_args=where_args,
                               value_ids=VALUE_IDS,
                               print_view=request.args.get("print") == "1",
                               reports=queries.REPORTS)
    f = values["filter"]
    sort = request.args.get("sort", "")
    desc = request.args.get("desc") == "1"
    ctx.update(sort=sort, desc=desc)
    if f is not None:
        try:
            if info.kind == "details":
                _details(ctx, name, f, where, sort, desc)
            else:
                _summary(ctx, name, f, sort, desc)
        except (ValueError, StoreError) as exc:
            ctx["error"] = str(exc)
    status = 400 if ctx["error"] else 200
    template = "reports_details.html" if info.kind == "details" else "reports_summary.html"
    return render_template(template, **ctx), status


def _details(ctx: dict, name: str, f: "queries.Filter", where: dict, sort: str,
             desc: bool) -> None:
    columns = queries.details_columns(name)
    if sort not in {c.key for c in columns if c.sortable}:
        sort = ""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    per_page = PER_PAGE
    if ctx["print_view"]:    # the printable list holds every row (up to PRINT_MAX)
        page, per_page = 1, PRINT_MAX
    rows, total = queries.details(db(), name, f, where=where or None, sort=sort, desc=desc,
                                  offset=(page - 1) * per_page, limit=per_page)
    pages = max(1, -(-total // per_page))
    ctx.update(columns=columns, rows=rows, total=total, page=page, pages=pages, sort=sort,
               page_numbers=_page_numbers(page, pages))


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: None is a gap."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for n in wanted:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def _summary(ctx: dict, name: str, f: "queries.Filter", sort: str, desc: bool) -> None:
    rep = queries.summary(db(), name, f)
    table_key, _sep, column = sort.partition(".")
    for table in rep.tables:
        if table.key == table_key and column in {c.key for c in table.columns if c.sortable}:
            table.rows = _sort_rows(table.rows, column, desc)
    ctx.update(rep=rep, charts=[(c, _chart_svg(c, ctx["report_url"])) for c in rep.charts])


@bp.route("/call/<callid>")
@role_required(*ROLES)
def call(callid: str):
    journey = queries.journey(db(), callid)
    if journey is None:
        abort(404)
    return render_template("reports_call.html", j=journey, show=show, value_ids=VALUE_IDS,
                           recording_id=recording_id, name=None,
                           print_view=request.args.get("print") == "1")


# -- exports --------------------------------------------------------------------------------

def exports_dir() -> str:
    configured = current_app.config.get("REPORT_EXPORTS_DIR")
    if configured:
        return configured
    return os.path.join(os.path.dirname(current_app.extensions["jns_db"].path), "exports")


def _translator(lang: str):
    if lang == "pl":
        return lambda text: CATALOG.get(text, text)
    return lambda text: text


@bp.route("/<name>/export", methods=["POST"])
@role_required(*ROLES)
def start_export(name: str):
    info = queries.REPORTS.get(name)
    if info is None:
        abort(404)
    form = request.form
    values, error = parse_filter(form)
    fmt = form.get("fmt", "")
    if error or values["filter"] is None:
        flash(error or "bad filter", "error")
        return redirect(url_for(".report", name=name, **filter_args(values)))
    where = parse_where(form)
    sort = form.get("sort", "")
    if info.kind == "details" and sort not in {c.key for c in queries.details_columns(name)}:
        sort = ""
    try:
        if info.kind != "details":
            where = {}   # a summary has no drill-down of its own
        elif where:    # refused here, with the query's own message, not in the thread
            queries.details(db(), name, values["filter"], where=where, limit=1)
        export.cleanup(db())
        export_id = export.create(db(), g.user["username"], name, values["filter"], fmt,
                                  where=where, sort=sort, desc=form.get("desc") == "1",
                                  lang=current_lang())
    except (ValueError, StoreError) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".report", name=name, **filter_args(values), **where_args(where)))
    worker = threading.Thread(
        target=export.run, name=f"report-export-{export_id}", daemon=True,
        args=(current_app.extensions["jns_db"].path, export_id, exports_dir(),
              _translator(current_lang())))
    worker.start()
    return redirect(url_for(".export_status", export_id=export_id))


def _own_export(export_id: int) -> dict:
    row = export.get(db(), export_id)
    if row is None or (row["username"] != g.user["username"] and g.user["role"] != "admin"):
        abort(404)
    return row


def _percent_done(row: dict) -> int:
    if row["status"] == "done":
        return 100
    if not row["total_rows"]:
        return 0
    return min(99, int(row["done_rows"] * 100 / row["total_rows"]))


@bp.route("/exports/<int:export_id>")
@role_required(*ROLES)
def export_status(export_id: int):
    row = _own_export(export_id)
    info = queries.REPORTS.get(row["report"])
    return render_template("reports_export.html", x=row, percent=_percent_done(row), info=info,
                           file_name=export.file_name(row), name=None)


@bp.route("/exports/<int:export_id>.json")
@role_required(*ROLES)
def export_json(export_id: int):
    row = _own_export(export_id)
    return {"status": row["status"], "done_rows": row["done_rows"],
            "total_rows": row["total_rows"], "percent": _percent_done(row),
            "error": row["error"],
            "download": url_for(".export_download", export_id=export_id)
            if row["status"] == "done" else None}


@bp.route("/exports/<int:export_id>/download")
@role_required(*ROLES)
def export_download(export_id: int):
    row = _own_export(export_id)
    if row["status"] != "done" or not row["path"] or not os.path.isfile(row["path"]):
        abort(404)
    mimetype = "text/csv; charset=utf-8" if row["fmt"] == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(row["path"], mimetype=mimetype, as_attachment=True,
                     download_name=export.file_name(row))


# -- definitions and thresholds ---------------------------------------------------------------

@bp.route("/definitions", methods=["GET", "POST"])
@role_required(*ROLES)
def definitions():
    error, kept = None, None
    if request.method == "POST":
        if g.user["role"] != "admin":
            abort(403)
        kept = {k: request.form.get(k, "").strip()
                for k in ("sl_seconds", "short_abandon_s", "short_call_s")}
        try:
            queries.save_thresholds(db(), **kept)
        except (StoreError, ValueError) as exc:
            error = str(exc)
        else:
            flash(_("Report thresholds saved."), "ok")
            return redirect(url_for(".definitions"))
    return render_template("reports_definitions.html", definitions=queries.DEFINITIONS,
                           t=kept or queries.thresholds(db()), error=error,
                           name=None), 400 if error else 200


# -- monthly operations reports (OPS-1) -------------------------------------------------------

@bp.route("/monthly")
@role_required(*ROLES)
def monthly_list():
    return _monthly_page()


def _monthly_page(error: str | None = None, kept_month: str = "", kept_email: str | None = None):
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    email = kept_email if kept_email is not None else get_setting(db(), "monthly_report_email", "")
    return render_template("reports_monthly.html", months=monthly.months(db()), error=error,
                           month=kept_month or last.strftime("%Y-%m"), email=email,
                           name=None), 400 if error else 200


@bp.route("/monthly/<month>")
@role_required(*ROLES)
def monthly_view(month: str):
    html = monthly.get(db(), month)
    if html is None:
        abort(404)
    return current_app.response_class(html, mimetype="text/html")


@bp.route("/monthly", methods=["POST"])
@role_required("admin")
def monthly_make():
    month = request.form.get("month", "").strip()
    try:
        html = monthly.build(db(), month, lang=current_lang())
        monthly.save(db(), month, html)
    except (StoreError, ValueError) as exc:
        return _monthly_page(error=str(exc), kept_month=month)
    flash(_("The monthly report for {month} is ready.", month=month), "ok")
    return redirect(url_for(".monthly_list"))


@bp.route("/monthly/email", methods=["POST"])
@role_required("admin")
def monthly_email():
    raw = request.form.get("email", "")
    addresses = [a for a in re.split(r"[\s,;]+", raw) if a]
    bad = [a for a in addresses if not EMAIL_RE.match(a)]
    if bad:
        return _monthly_page(error=_("Not an e-mail address: {value}", value=bad[0]),
                             kept_email=raw)
    set_setting(db(), "monthly_report_email", ",".join(addresses))
    flash(_("Recipients of the monthly report saved."), "ok")
    return redirect(url_for(".monthly_list"))
