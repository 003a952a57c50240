"""The CRM planner's pages: tasks, the group calendar, booking a meeting with a salesperson,
the iCalendar feed, reminders and the planner settings (CRM-1, CRM-6, CRM-7).

- `/crm/tasks/`: my tasks (all of them for supervisors and admins), open/done/overdue
  filters, the reminders due now; new/edit task (contact picker by search, assignee),
  done/cancel buttons;
- `/crm/calendar/?view=day|week|month&date=YYYY-MM-DD&users=1&users=2`: the group calendar
  (day: people as columns, week: days as columns, both as a time grid; month: a grid);
- `/crm/calendar/book?contact_id=&user_id=&date=`: pick a salesperson, see their free
  slots on a day, pick one, save; a clash shows the form again with the message;
- `/crm/calendar/feed`: the user's iCalendar subscription address (shown once; a new one
  revokes the old); `/crm/ical/<token>.ics` serves it WITHOUT a session, throttled like
  logins for repeated wrong tokens;
- `/crm/settings`: working hours and days, slot length, the missed-call task's due time
  (admin).

Every role uses the planner; what a user may change is decided by appliance.crm.planner
(PermissionError -> 403).  A task or meeting that does not exist answers 404.  This module
holds no logic of its own beyond reading forms, and never talks to Asterisk.
"""
from __future__ import annotations

import calendar
import datetime as dt
import time

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   url_for)

from ..crm import planner
from ..store import users
from ..store.db import StoreError, transaction
from .auth import _safe_next, db, role_required
from .forms import FormError
from .i18n import _
from .i18n_crm_planner import CLASH   # the refusal of an overlapping meeting

bp = Blueprint("crm_planner", __name__, url_prefix="/crm")

ROLES = ("admin", "supervisor", "agent")
VIEWS = ("day", "week", "month")
STATUS_FILTERS = ("open", "overdue", "done", "cancelled", "all")
PERSON_COLOURS = 8
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@bp.app_context_processor
def _reminder_badge():
    """`crm_reminder_count()` for the navigation: my reminders due now (two indexed queries,
    only when a page asks)."""
    def crm_reminder_count() -> int:
        user = g.get("user")
        if not user:
            return 0
        try:
            return planner.reminder_count(db(), user["id"], time.time())
        except Exception:   # noqa: BLE001 - a badge must never break a page
            return 0

    def crm_card_planner(contact_id: int) -> dict:
        """The contact card's panel: open tasks and upcoming meetings of `contact_id`."""
        now = time.time()
        return {"tasks": planner.list_tasks(db(), g.user, mine=False, contact_id=contact_id),
                "events": planner.list_events(db(), now - 3600, now + 366 * 86400,
                                              contact_id=contact_id),
                "can_change": lambda t: planner.can_change_task(g.user, t)}
    return {"crm_reminder_count": crm_reminder_count, "crm_card_planner": crm_card_planner}


@bp.app_template_filter("crm_when")
def _when(ts: float | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return planner.fmt_local(ts, fmt) if ts else ""


@bp.app_template_filter("task_title")
def _task_title(task: dict) -> str:
    """A missed-call task's title in the reader's language (it is stored in English)."""
    if task.get("source") == "missed_call" and task.get("number"):
        return _("Missed call from {number}", number=task["number"])
    return task.get("title") or ""


# -- form helpers ---------------------------------------------------------------------------------

def _local_datetime(value: str, label: str) -> float | None:
    """A datetime-local field ("2026-11-27T10:00"; a space works too) -> epoch or None."""
    value = (value or "").strip().replace(" ", "T")
    if not value:
        return None
    try:
        return dt.datetime.strptime(value[:16], "%Y-%m-%dT%H:%M").timestamp()
    except ValueError:
        raise FormError(_("{field}: enter a date and time like 2026-11-27 10:00, not {value!r}",
                          field=_(label), value=value)) from None


def _date_arg(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return dt.date.today()


def _date_field(value: str | None) -> dt.date:
    """A posted date (YYYY-MM-DD) or FormError: a save never lands on a guessed day."""
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise FormError(_("Day: enter a date like 2026-11-27, not {value!r}",
                          value=value or "")) from None


def _int_or_none(value) -> int | None:
    try:
        return int(value) if str(value or "").strip() else None
    except ValueError:
        return None


def _input_dt(ts: float | None) -> str:
    return planner.fmt_local(ts, "%Y-%m-%dT%H:%M") if ts else ""


def _error_text(exc: Exception) -> str:
    """A refusal in the page's language (a clash names the other meeting)."""
    if isinstance(exc, planner.Clash):
        e = exc.event
        return _(CLASH, user=e["username"], title=e["title"],
                 day=planner.fmt_local(e["starts_at"], "%Y-%m-%d"),
                 start=planner.fmt_local(e["starts_at"], "%H:%M"),
                 end=planner.fmt_local(e["ends_at"], "%H:%M"))
    return str(exc)


def _back(default: str) -> str:
    target = request.values.get("next")
    return _safe_next(target) if target else default


def _contact_choices(values: dict) -> list[dict]:
    """The contact picker: the chosen contact first, then the search's matches."""
    out = []
    chosen = _int_or_none(values.get("contact_id"))
    if chosen is not None:
        name = planner.contact_name(db(), chosen)
        if name:
            out.append({"id": chosen, "name": name})
    q = (values.get("contact_q") or "").strip()
    if q:
        out += [c for c in planner.find_contacts(db(), q) if c["id"] != chosen]
    return out


# -- tasks ----------------------------------------------------------------------------------------

@bp.route("/tasks/")
@role_required(*ROLES)
def tasks():
    manager = g.user["role"] in planner.MANAGERS
    scope = request.args.get("scope", "mine")
    if scope != "all" or not manager:
        scope = "mine"
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    now = time.time()
    items = planner.list_tasks(
        db(), g.user, mine=scope == "mine", now=now,
        status={"overdue": "open", "all": None}.get(status, status),
        overdue=True if status == "overdue" else None)
    return render_template("crm_tasks.html", items=items, scope=scope, status=status,
                           manager=manager, statuses=STATUS_FILTERS, now=now,
                           reminders=planner.due_reminders(db(), g.user["id"], now),
                           can_change=lambda t: planner.can_change_task(g.user, t))


def _task_form(values: dict, task: dict | None, error: str | None = None):
    return render_template(
        "crm_task_edit.html", f=values, task=task, error=error,
        contacts=_contact_choices(values), users=planner.all_users(db()),
        manager=g.user["role"] in planner.MANAGERS), 400 if error else 200


def _task_args(form) -> dict:
    return {"title": form.get("title", ""), "details": form.get("details", ""),
            "contact_id": _int_or_none(form.get("contact_id")),
            "assignee_id": _int_or_none(form.get("assignee_id")),
            "due_at": _local_datetime(form.get("due", ""), "Due"),
            "remind_at": _local_datetime(form.get("remind", ""), "Reminder")}


@bp.route("/tasks/new", methods=["GET", "POST"])
@role_required(*ROLES)
def task_new():
    if request.method == "GET":
        contact_id = _int_or_none(request.args.get("contact_id"))
        if contact_id is not None and not planner.contact_name(db(), contact_id):
            abort(404)
        return _task_form({"contact_id": contact_id or "", "assignee_id": g.user["id"],
                           "next": request.args.get("next", "")}, None)
    form = request.form
    if form.get("action") == "find":
        return _task_form(form.to_dict(), None)
    try:
        task_id = planner.create_task(db(), g.user, **_task_args(form))
    except StoreError as exc:
        return _task_form(form.to_dict(), None, str(exc))
    flash(_("Task saved."), "ok")
    return redirect(_back(url_for(".tasks", _anchor=f"task-{task_id}")))


def _task_or_404(task_id: int) -> dict:
    task = planner.get_task(db(), task_id)
    if task is None:
        abort(404)
    return task


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def task_edit(task_id: int):
    task = _task_or_404(task_id)
    if not planner.can_change_task(g.user, task):
        abort(403)
    if request.method == "GET":
        values = {k: task[k] if task[k] is not None else "" for k in
                  ("title", "details", "contact_id", "assignee_id")}
        values.update(due=_input_dt(task["due_at"]), remind=_input_dt(task["remind_at"]),
                      next=request.args.get("next", ""))
        return _task_form(values, task)
    form = request.form
    if form.get("action") == "find":
        return _task_form(form.to_dict(), task)
    try:
        planner.update_task(db(), g.user, task_id, **_task_args(form))
    except (PermissionError, StoreError) as exc:
        return _task_form(form.to_dict(), task, str(exc))
    flash(_("Task saved."), "ok")
    return redirect(_back(url_for(".tasks")))


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
@role_required(*ROLES)
def task_status(task_id: int):
    _task_or_404(task_id)
    status = request.form.get("status", "")
    try:
        planner.set_task_status(db(), g.user, task_id, status)
    except PermissionError:
        abort(403)
    except StoreError as exc:
        flash(_("Not saved: {error}", error=_(str(exc))), "error")
    else:
        flash({"done": "Task done.", "cancelled": "Task cancelled.",
               "open": "Task opened again."}[status], "ok")
    return redirect(_back(url_for(".tasks")))


# -- the calendar ---------------------------------------------------------------------------------

def _selected_users(all_users: list[dict]) -> list[dict]:
    ids = {i for i in (_int_or_none(v) for v in request.args.getlist("users")) if i}
    if not ids:
        ids = {u["id"] for u in all_users if u["bookable"]} | {g.user["id"]}
    return [u for u in all_users if u["id"] in ids]


def _grid_rows(events: list[dict], days: list[dt.date], slot: int) -> list[int]:
    """The rows of a time grid: minutes from midnight, every `slot` minutes, over the
    working hours widened to every meeting shown."""
    s = planner.planner_settings(db())
    first = sum(x * m for x, m in zip(planner.parse_hhmm(s["work_start"]), (60, 1)))
    last = sum(x * m for x, m in zip(planner.parse_hhmm(s["work_end"]), (60, 1)))
    for e in events:
        start = dt.datetime.fromtimestamp(e["starts_at"])
        end = dt.datetime.fromtimestamp(e["ends_at"])
        if start.date() in days:
            first = min(first, start.hour * 60 + start.minute)
            last = max(last, (end.hour * 60 + end.minute) if end.date() == start.date() else 1440)
    first -= first % slot
    return list(range(first, max(last, first + slot), slot))


def _cells(events: list[dict], day: dt.date, rows: list[int], slot: int) -> list[dict]:
    """One cell per row: the meetings starting in it, and whether a meeting covers it."""
    base = planner.local_day_start(day)
    out = []
    for minute in rows:
        start, end = base + minute * 60, base + (minute + slot) * 60
        out.append({"minute": minute,
                    "starts": [e for e in events if start <= e["starts_at"] < end
                               or (minute == rows[0] and e["starts_at"] < start < e["ends_at"])],
                    "busy": any(e["starts_at"] < end and e["ends_at"] > start for e in events)})
    return out


@bp.route("/calendar/")
@role_required(*ROLES)
def calendar_view():
    view = request.args.get("view", "week")
    if view not in VIEWS:
        view = "week"
    day = _date_arg(request.args.get("date"))
    everyone = planner.all_users(db())
    shown = _selected_users(everyone)
    colour = {u["id"]: i % PERSON_COLOURS for i, u in enumerate(everyone)}
    slot = planner.planner_settings(db())["slot_min"]
    if view == "day":
        first, days, step = day, [day], dt.timedelta(days=1)
    elif view == "week":
        first = day - dt.timedelta(days=day.weekday())
        days, step = [first + dt.timedelta(days=i) for i in range(7)], dt.timedelta(days=7)
    else:
        first = day.replace(day=1)
        weeks = calendar.Calendar().monthdatescalendar(day.year, day.month)
        days = [d for w in weeks for d in w]
        step = None
    start = planner.local_day_start(days[0])
    end = planner.local_day_start(days[-1] + dt.timedelta(days=1))
    events = planner.list_events(db(), start, end, [u["id"] for u in shown])
    for e in events:
        e["colour"] = colour.get(e["user_id"], 0)
        e["mine"] = planner.can_change_event(g.user, e)
    if view == "month":
        prev_day = (first - dt.timedelta(days=1)).replace(day=1)
        next_day = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        prev_day, next_day = first - step, first + step
    grid = {}
    if view in ("day", "week"):
        rows = _grid_rows(events, days, slot)
        if view == "day":
            columns = [{"user": u, "cells": _cells([e for e in events if e["user_id"] == u["id"]],
                                                   day, rows, slot)} for u in shown]
        else:
            columns = [{"day": d, "cells": _cells(
                [e for e in events if dt.datetime.fromtimestamp(e["starts_at"]).date() <= d
                 and planner.local_day_start(d) < e["ends_at"]], d, rows, slot)} for d in days]
        grid = {"rows": rows, "columns": columns}
    else:
        by_day: dict[dt.date, list[dict]] = {}
        for e in events:
            by_day.setdefault(dt.datetime.fromtimestamp(e["starts_at"]).date(), []).append(e)
        grid = {"weeks": [days[i:i + 7] for i in range(0, len(days), 7)], "by_day": by_day}
    return render_template(
        "crm_calendar.html", view=view, day=day, days=days, grid=grid, everyone=everyone,
        shown=shown, colour=colour, prev_day=prev_day, next_day=next_day,
        today=dt.date.today(), day_names=DAY_NAMES, slot=slot,
        user_args=[u["id"] for u in shown] if request.args.getlist("users") else [])


def _book_values(args) -> dict:
    contact_id = _int_or_none(args.get("contact_id"))
    values = {"contact_id": contact_id or "", "user_id": args.get("user_id", ""),
              "date": args.get("date") or (dt.date.today() + dt.timedelta(days=1)).isoformat(),
              "duration_min": args.get("duration_min") or "",
              "remind_min": args.get("remind_min", "15"), "next": args.get("next", "")}
    name = planner.contact_name(db(), contact_id)
    values["title"] = args.get("title") or (_("Meeting with {name}", name=name) if name else "")
    for key in ("location", "details", "start", "start_other", "contact_q"):
        values[key] = args.get(key, "")
    return values


def _book_form(values: dict, error: str | None = None, status: int | None = None):
    people = planner.all_users(db()) if g.user["role"] in planner.MANAGERS \
        else planner.bookable_users(db())
    me = planner.calendar_profile(db(), g.user["id"])
    if me and all(p["id"] != me["id"] for p in people):
        people = people + [me]
    settings = planner.planner_settings(db())
    duration = _int_or_none(values.get("duration_min")) or settings["slot_min"]
    values["duration_min"] = duration
    day = _date_arg(values.get("date"))
    values["date"] = day.isoformat()
    user_id = _int_or_none(values.get("user_id"))
    slots, day_events = [], []
    if user_id is not None and any(p["id"] == user_id for p in people):
        slots = planner.free_slots(db(), user_id, day, duration_min=duration)
        day_events = planner.list_events(db(), planner.local_day_start(day),
                                         planner.local_day_start(day + dt.timedelta(days=1)),
                                         [user_id])
    durations = sorted(set(planner.SLOT_CHOICES) | {duration})
    return render_template("crm_event_edit.html", mode="book", f=values, error=error,
                           people=people, slots=slots, day_events=day_events,
                           durations=durations, contacts=_contact_choices(values),
                           working=planner.working_hours(db(), day) is not None,
                           event=None), status or (400 if error else 200)


@bp.route("/calendar/book", methods=["GET", "POST"])
@role_required(*ROLES)
def book():
    if request.method == "GET":
        values = _book_values(request.args)
        if values["contact_id"] and not planner.contact_name(db(), values["contact_id"]):
            abort(404)
        return _book_form(values)
    form = request.form
    values = _book_values(form)
    if form.get("action") != "save":      # "show free slots", "find contact": no save
        values["start"] = "" if form.get("action") == "slots" else values["start"]
        return _book_form(values)
    try:
        user_id = _int_or_none(form.get("user_id"))
        if user_id is None:
            raise FormError(_("Choose the salesperson."))
        day = _date_field(form.get("date"))
        start_text = (form.get("start_other") or form.get("start") or "").strip()
        if not start_text:
            raise FormError(_("Choose a free slot or type a time."))
        starts_at = planner.local_epoch(day, start_text)
        duration = _int_or_none(form.get("duration_min")) or \
            planner.planner_settings(db())["slot_min"]
        event_id = planner.book(
            db(), g.user, user_id=user_id, contact_id=_int_or_none(form.get("contact_id")),
            title=form.get("title", ""), starts_at=starts_at, ends_at=starts_at + duration * 60,
            location=form.get("location", ""), details=form.get("details", ""),
            remind_min=form.get("remind_min", "15"))
    except StoreError as exc:
        return _book_form(values, _error_text(exc))
    event = planner.get_event(db(), event_id)
    flash(_("Meeting booked: {who}, {when}.", who=event["username"],
            when=planner.fmt_local(event["starts_at"])), "ok")
    return redirect(_back(url_for(".calendar_view", view="week", date=values["date"])))


def _event_or_404(event_id: int) -> dict:
    event = planner.get_event(db(), event_id)
    if event is None:
        abort(404)
    return event


@bp.route("/calendar/events/<int:event_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def event_edit(event_id: int):
    event = _event_or_404(event_id)
    may_change = planner.can_change_event(g.user, event)
    if request.method == "GET":
        values = {k: event[k] for k in ("title", "location", "details", "remind_min",
                                        "contact_id")}
        values.update(date=planner.fmt_local(event["starts_at"], "%Y-%m-%d"),
                      start=planner.fmt_local(event["starts_at"], "%H:%M"),
                      end=planner.fmt_local(event["ends_at"], "%H:%M"))
        return _event_form(event, values, may_change)
    if not may_change:
        abort(403)
    form = request.form
    values = form.to_dict()
    try:
        day = _date_field(form.get("date"))
        starts_at = planner.local_epoch(day, form.get("start", ""))
        ends_at = planner.local_epoch(day, form.get("end", ""))
        planner.update_event(db(), g.user, event_id, title=form.get("title", ""),
                             starts_at=starts_at, ends_at=ends_at,
                             location=form.get("location", ""), details=form.get("details", ""),
                             remind_min=form.get("remind_min", "15"),
                             contact_id=event["contact_id"])
    except StoreError as exc:
        return _event_form(event, values, may_change, _error_text(exc))
    flash(_("Meeting saved."), "ok")
    return redirect(url_for(".calendar_view", view="week", date=form.get("date")))


def _event_form(event: dict, values: dict, may_change: bool, error: str | None = None):
    return render_template("crm_event_edit.html", mode="edit", event=event, f=values,
                           error=error, may_change=may_change), 400 if error else 200


@bp.route("/calendar/events/<int:event_id>/cancel", methods=["POST"])
@role_required(*ROLES)
def event_cancel(event_id: int):
    event = _event_or_404(event_id)
    try:
        planner.cancel_event(db(), g.user, event_id)
    except PermissionError:
        abort(403)
    flash(_("Meeting cancelled."), "ok")
    return redirect(_back(url_for(".calendar_view", view="week",
                                  date=planner.fmt_local(event["starts_at"], "%Y-%m-%d"))))


# -- the iCalendar feed ---------------------------------------------------------------------------

@bp.route("/calendar/feed", methods=["GET", "POST"])
@role_required(*ROLES)
def feed():
    url = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            planner.ical_token_revoke(db(), g.user["id"])
            flash(_("The calendar feed is switched off; its address no longer works."), "ok")
            return redirect(url_for(".feed"))
        token = planner.ical_token_create(db(), g.user["id"])
        url = url_for(".ical", token=token, _external=True)
    return render_template("crm_feed.html", url=url,
                           info=planner.ical_token_info(db(), g.user["id"]))


def _feed_delay(addr: str) -> float:
    return users.login_delay(db(), f"ical:{addr}", addr)


@bp.route("/ical/<token>.ics")
def ical(token: str):
    """The feed for calendar apps: the token is the only credential (no session)."""
    addr = request.remote_addr or "unknown"
    if _feed_delay(addr) > 0:
        return Response("Too many wrong addresses; try again later.\n", status=429,
                        mimetype="text/plain")
    user_id = planner.ical_user_for_token(db(), token)
    if user_id is None:
        with transaction(db()):
            db().conn.execute("INSERT INTO login_failures(username, remote_addr, at) "
                              "VALUES (?, ?, ?)", [f"ical:{addr}", addr, time.time()])
        abort(404)
    body = planner.ical_feed(db(), user_id, time.time())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="jns-calendar.ics"'})


# -- reminders and settings -----------------------------------------------------------------------

@bp.route("/reminders")
@role_required(*ROLES)
def reminders():
    return render_template("crm_reminders.html",
                           due=planner.due_reminders(db(), g.user["id"], time.time()))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    error = None
    values = {k: str(v) for k, v in planner.planner_settings(db()).items()}
    if request.method == "POST":
        form = request.form
        days = ",".join(d for d in form.getlist("work_days") if d in "1234567" and d)
        values = {k: form.get(k, "") for k in ("work_start", "work_end", "slot_min",
                                               "missed_call_due_min")}
        values["work_days"] = days
        try:
            if not days:
                raise FormError(_("Choose at least one working day."))
            planner.save_settings(db(), g.user, **values)
        except StoreError as exc:
            error = str(exc)
        else:
            flash(_("CRM settings saved."), "ok")
            return redirect(url_for(".settings"))
    try:
        chosen = planner.parse_days(values["work_days"])
    except StoreError:
        chosen = set()
    return render_template("crm_planner_settings.html", f=values, error=error,
                           chosen_days=chosen, day_names=DAY_NAMES,
                           slot_choices=planner.SLOT_CHOICES), 400 if error else 200
