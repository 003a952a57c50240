"""Staffing forecast `/reports/staffing/` (issue 12, item 4): agents needed vs logged in.

- `/reports/staffing/`: for a chosen queue and day of the week, per hour of the day the
  measured calls per hour, the agents Erlang C and Erlang A say are needed for the target
  service level, and the agents measured logged in; a bar chart of the same; how it is
  computed, with the worked example.  Admins change the target SL (POST, CSRF).
- `/reports/staffing/now.json`: per queue the agents needed now (last hour's calls) beside
  the agents logged in and not paused from jns-calld's live state; the wallboard polls it
  (static/staffing.js).

Admins and supervisors only.  Every figure comes from appliance.reports.staffing; this
module never computes one and never speaks to Asterisk.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..reports import staffing
from ..store.db import StoreError
from . import charts
from .auth import db, role_required
from .i18n import _
from .livefeed import fetch_state

bp = Blueprint("staffing", __name__, url_prefix="/reports/staffing")

ROLES = ("admin", "supervisor")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@bp.route("/")
@role_required(*ROLES)
def index():
    queues = staffing.queue_names(db())
    names = [n for n, _t in queues]
    queue = request.args.get("queue") or (names[0] if names else "")
    raw_day = request.args.get("weekday", "")
    weekday = int(raw_day) if raw_day.isdigit() and int(raw_day) <= 6 else dt.date.today().weekday()
    plan = chart = None
    if queue in names:
        plan = staffing.by_hour(db(), queue, weekday)
        hours = [f"{h['hour']:02d}" for h in plan["hours"]]
        series = [(_("Needed (Erlang C)"), [h["needed_c"] for h in plan["hours"]]),
                  (_("Needed (Erlang A)"), [h["needed_a"] for h in plan["hours"]])]
        if any(h["logged_in"] is not None for h in plan["hours"]):
            series.append((_("Logged in (average)"), [h["logged_in"] for h in plan["hours"]]))
        chart = charts.bar_chart(hours, series, title=_("Agents per hour of the day"))
    elif queue:
        flash("There is no such queue; choose one from the list.", "error")
    return render_template("staffing/index.html", queues=queues, queue=queue, weekday=weekday,
                           weekdays=WEEKDAYS, plan=plan, chart=chart,
                           goal=staffing.target(db()), weeks=staffing.WEEKS)


@bp.route("/target", methods=["POST"])
@role_required("admin")
def save_target():
    try:
        staffing.save_target(db(), request.form.get("target", ""))
    except StoreError as exc:
        flash(str(exc), "error")      # base.html translates flashed catalogue ids
    else:
        flash("Target service level saved.", "ok")
    return redirect(url_for("staffing.index", queue=request.form.get("queue") or None))


@bp.route("/now.json")
@role_required(*ROLES)
def now():
    snap, error = fetch_state()
    live = (snap or {}).get("queues") or {}
    out = []
    for q in staffing.now(db()):
        tile = live.get(q["queue"])
        available = tile["logged_in"] - tile.get("paused", 0) if tile else None
        needed = q["needed_c"]
        colour = "" if available is None or needed is None else \
            ("red" if available < needed else "green")
        out.append({"queue": q["queue"], "title": q["title"],
                    "calls_per_hour": q["calls_per_hour"],
                    "aht_s": round(q["aht_s"]) if q["aht_s"] else None,
                    "patience_s": round(q["patience_s"]) if q["patience_s"] else None,
                    "needed_c": needed, "needed_a": q["needed_a"],
                    "logged_in": tile["logged_in"] if tile else None, "available": available,
                    "colour": colour})
    goal = staffing.target(db())
    return jsonify(queues=out, target_pct=goal["pct"], target_t=goal["t"], live_error=error)
