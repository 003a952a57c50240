"""Opening hours `/admin/schedules/` (IVR-8): per weekday up to INTERVALS open periods,
and holidays (one date, or a month-day every year) when the call center is closed.

A save is one `config.save_schedule` call, a delete one `config.delete_schedule` call
(refused, with the store's message, while a route still uses the schedule).  Routes choose
a schedule and where calls go while it is closed (the routes page).  Admin only; no
telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import config, webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .forms import FormError
from .i18n import _

bp = Blueprint("schedules", __name__, url_prefix="/admin/schedules")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INTERVALS = 2   # open periods per day (e.g. 08:00-12:00 and 13:00-17:00)
NEW_SCHEDULE = {**{f"open_{d}_0": "08:00" for d in range(5)},
                **{f"close_{d}_0": "16:00" for d in range(5)}}


@bp.route("/")
@role_required("admin")
def index():
    return render_template("schedules.html", schedules=webqueries.schedules(db()),
                           weekdays=WEEKDAYS)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if name and webqueries.schedule(db(), name) is not None:
            return _form(request.form, None,
                         _("Opening hours named {name} already exist.", name=name))
        return _save(name, None)
    return _form(dict(NEW_SCHEDULE), None)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str):
    schedule = webqueries.schedule(db(), name)
    if schedule is None:
        abort(404)
    if request.method == "POST":
        return _save(name, schedule)
    values = {"name": name, "title": schedule["title"],
              "holidays": "\n".join(f"{day} {title}".rstrip()
                                    for day, title in schedule["holidays"])}
    count = [0] * 7
    for weekday, opens, closes in schedule["hours"]:
        values[f"open_{weekday}_{count[weekday]}"] = opens
        values[f"close_{weekday}_{count[weekday]}"] = closes
        count[weekday] += 1
    return _form(values, schedule)


@bp.route("/<name>/delete", methods=["POST"])
@role_required("admin")
def delete(name: str):
    if webqueries.schedule(db(), name) is None:
        abort(404)
    try:
        config.delete_schedule(db(), name)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=_(str(exc))), "error")
        return redirect(url_for(".edit", name=name))
    flash(_("Opening hours {name} deleted.", name=name), "ok")
    return redirect(url_for(".index"))


def _hours(form) -> list[tuple[int, str, str]]:
    hours = []
    for weekday, day_name in enumerate(WEEKDAYS):
        for i in range(INTERVALS + 4):  # stored schedules may hold more than the form shows
            opens = (form.get(f"open_{weekday}_{i}") or "").strip()
            closes = (form.get(f"close_{weekday}_{i}") or "").strip()
            if opens and closes:
                hours.append((weekday, opens, closes))
            elif opens or closes:
                raise FormError(_("{day}: give both the opening and the closing time.",
                                  day=_(day_name)))
    return hours


def _holidays(form) -> list[tuple[str, str]]:
    out = []
    for line in (form.get("holidays") or "").splitlines():
        day, _sep, title = line.strip().partition(" ")
        if day:
            out.append((day, title.strip()))
    return out


def _save(name: str, schedule: dict | None):
    form = request.form
    try:
        config.save_schedule(db(), name, _hours(form), _holidays(form),
                             title=(form.get("title") or "").strip())
    except StoreError as exc:
        return _form(form, schedule, str(exc))
    flash(_("Opening hours {name} saved.", name=name), "ok")
    return redirect(url_for(".index"))


def _form(values, schedule: dict | None, error: str | None = None):
    rows = max([INTERVALS] + [sum(1 for h in schedule["hours"] if h[0] == d)
                              for d in range(7)] if schedule else [INTERVALS])
    return render_template("schedule_edit.html", f=values, schedule=schedule, error=error,
                           weekdays=WEEKDAYS, intervals=range(rows)), 400 if error else 200
