"""Scheduled conferences and group calls `/conferences/schedules/` (CONF-3, AUTO-2): the
schedules, "Start now", the meeting reports with CSV, and keypad polls with live results.

- `/`: every schedule (room, repeat, next start, members), the latest meetings, the polls
  and the form to open one;
- `/new`, `/<sid>/edit`: the form; a save is one `conference_calls.save_schedule` call, a
  refusal shows the store's reason with everything typed kept;
- `/<sid>/start`: a group call now (a meeting row the caller in jns-calld dials);
- `/meetings/<mid>`: who was called, how often, what became of it, when they joined and
  left and how long they stayed (dial-in participants too), `/meetings/<mid>.csv`;
- `/polls/<pid>`: the live results as bars, refreshed from `results.json` every 2 s by
  static/conf_poll.js.

Admins and supervisors; agents get 403.  Nothing here speaks to Asterisk: the caller reads
the rows on its next tick.
"""
from __future__ import annotations

import time

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template,
                   request, url_for)

from ..store.db import StoreError
from ..telephony import conference_calls as store
from .auth import db, role_required
from .i18n import _

bp = Blueprint("conf_schedules", __name__, url_prefix="/conferences/schedules")

ROLES = ("admin", "supervisor")
POLL_MS = 2000
REPEATS = {"none": "Once", "daily": "Every day", "weekdays": "Every weekday (Mon-Fri)",
           "weekly": "Every week", "monthly": "Every month"}
KINDS = {"meeting": "Meeting (named members)", "group": "Group call (a contact list)"}
OUTCOMES = {"joined": "Joined", "declined": "Answered, no key", "wrong_pin": "Wrong PIN",
            "noanswer": "No answer", "busy": "Busy", "failed": "Failed",
            "invalid": "Invalid number", "cancelled": "Withdrawn", "calling": "Being called"}
FORM_FIELDS = ("title", "kind", "repeat", "until_date", "list_id", "confirm_key", "ring_s",
               "retries", "retry_s", "max_lines")


def message(exc: StoreError) -> str:
    """The store's refusal in the page's language, its values filled in."""
    template = getattr(exc, "template", None)
    if template is None:
        return _(str(exc))
    values = {k: _(v) if isinstance(v, str) else v for k, v in exc.values.items()}
    return _(template, **values)


def _schedule_or_404(sid: int) -> dict:
    found = store.schedule(db(), sid)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@role_required(*ROLES)
def index():
    rooms = list(db().query("SELECT id, number, title, voting FROM conf_rooms ORDER BY number"))
    return render_template("conf_schedules/index.html", schedules=store.schedules(db()),
                           meetings=store.meetings(db(), limit=20), polls=store.polls(db(), 20),
                           rooms=rooms, repeats=REPEATS, kinds=KINDS, when=_when)


# -- the form --------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new():
    if request.method == "POST":
        return _save(None)
    start = time.time() + 3600
    f = dict(store.SCHEDULE_DEFAULTS, room_id="", members="", active=1,
             date=time.strftime("%Y-%m-%d", time.localtime(start)),
             time=time.strftime("%H:00", time.localtime(start)))
    f["until_date"], f["list_id"] = "", ""
    return _form(f, None)


@bp.route("/<int:sid>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit(sid: int):
    row = _schedule_or_404(sid)
    if request.method == "POST":
        return _save(row)
    f = {k: row[k] for k in store.SCHEDULE_DEFAULTS}
    f.update(room_id=row["room_id"], until_date=row["until_date"] or "",
             list_id=row["list_id"] or "",
             date=time.strftime("%Y-%m-%d", time.localtime(row["starts_at"])),
             time=time.strftime("%H:%M", time.localtime(row["starts_at"])),
             members=store.members_text(db().query(
                 "SELECT number, name, role FROM conf_schedule_members WHERE schedule_id = ? "
                 "ORDER BY rowid", [sid])))
    return _form(f, row)


def _posted() -> dict:
    form = request.form
    f = {k: (form.get(k) or "").strip() for k in FORM_FIELDS}
    f.update(room_id=form.get("room_id", ""), members=form.get("members", ""),
             date=form.get("date", ""), time=form.get("time", ""),
             require_pin=1 if form.get("require_pin") else 0,
             active=1 if form.get("active") else 0)
    return f


def _save(row: dict | None):
    f = _posted()
    try:
        starts_at = store.local_start(f["date"], f["time"])
        sid = store.save_schedule(
            db(), row["id"] if row else None, room_id=f["room_id"], starts_at=starts_at,
            members=f["members"], user=g.user["username"],
            **{k: f[k] for k in (*FORM_FIELDS, "require_pin", "active")})
    except StoreError as exc:
        return _form(f, row, message(exc))
    flash("Scheduled conference saved.", "ok")
    return redirect(url_for(".index", _anchor=f"schedule-{sid}"))


def _form(f: dict, row: dict | None, error: str | None = None):
    rooms = list(db().query("SELECT id, number, title FROM conf_rooms ORDER BY number"))
    lists = list(db().query(
        "SELECT l.id, l.name, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) "
        "AS contacts FROM contact_lists l ORDER BY l.name"))
    return render_template("conf_schedules/edit.html", f=f, schedule=row, error=error,
                           rooms=rooms, lists=lists, repeats=REPEATS, kinds=KINDS,
                           keys=store.KEYS), 400 if error else 200


@bp.post("/<int:sid>/delete")
@role_required(*ROLES)
def delete(sid: int):
    _schedule_or_404(sid)
    store.delete_schedule(db(), sid)
    flash("Scheduled conference deleted.", "ok")
    return redirect(url_for(".index"))


@bp.post("/<int:sid>/start")
@role_required(*ROLES)
def start(sid: int):
    _schedule_or_404(sid)
    try:
        mid = store.start_now(db(), sid)
    except StoreError as exc:
        flash(_("Not started: {error}", error=message(exc)), "error")
        return redirect(url_for(".index"))
    flash("Dialling the members now.", "ok")
    return redirect(url_for(".meeting", mid=mid))


# -- the report ------------------------------------------------------------------------------

def _meeting_or_404(mid: int) -> dict:
    rows = [m for m in db().query(
        "SELECT g.*, s.title, r.number AS room_number, r.title AS room_title FROM conf_meetings g "
        "LEFT JOIN conf_schedules s ON s.id = g.schedule_id JOIN conf_rooms r ON r.id = g.room_id "
        "WHERE g.id = ?", [mid])]
    if not rows:
        abort(404)
    return dict(rows[0])


def _when(epoch) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else ""


@bp.get("/meetings/<int:mid>")
@role_required(*ROLES)
def meeting(mid: int):
    m = _meeting_or_404(mid)
    rows = store.meeting_report(db(), mid)
    totals = {"members": sum(1 for r in rows if r["how"] == "out" and r["attempts"]),
              "joined": sum(1 for r in rows if r["outcome"] == "joined"),
              "dialled_in": sum(1 for r in rows if r["how"] == "in"),
              "minutes": round(sum(r["minutes"] for r in rows), 1)}
    return render_template("conf_schedules/meeting.html", meeting=m, rows=rows, totals=totals,
                           outcomes=OUTCOMES, when=_when)


@bp.get("/meetings/<int:mid>.csv")
@role_required(*ROLES)
def meeting_csv(mid: int):
    _meeting_or_404(mid)
    body = store.report_csv(store.meeting_report(db(), mid))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=conference-{mid}.csv"})


# -- polls -----------------------------------------------------------------------------------

@bp.post("/polls")
@role_required(*ROLES)
def poll_open():
    try:
        room_id = int(request.form.get("room_id") or 0)
    except ValueError:
        room_id = 0
    try:
        pid = store.open_poll(db(), room_id, request.form.get("question", ""),
                              request.form.get("choices", ""), user=g.user["username"])
    except StoreError as exc:
        flash(_("Poll not opened: {error}", error=message(exc)), "error")
        return redirect(url_for(".index", _anchor="polls"))
    flash("Poll opened: the room's participants vote with keys 1 to the number of choices.", "ok")
    return redirect(url_for(".poll", pid=pid))


@bp.post("/polls/<int:pid>/close")
@role_required(*ROLES)
def poll_close(pid: int):
    try:
        store.close_poll(db(), pid)
    except StoreError:
        abort(404)
    flash("Poll closed.", "ok")
    return redirect(url_for(".poll", pid=pid))


@bp.get("/polls/<int:pid>")
@role_required(*ROLES)
def poll(pid: int):
    p = store.poll_results(db(), pid)
    if p is None:
        abort(404)
    return render_template("conf_schedules/poll.html", poll=p, poll_ms=POLL_MS, when=_when)


@bp.get("/polls/<int:pid>/results.json")
@role_required(*ROLES)
def poll_json(pid: int):
    p = store.poll_results(db(), pid)
    if p is None:
        abort(404)
    return jsonify({"question": p["question"], "open": p["closed_at"] is None,
                    "total": p["total"], "results": p["results"]})
