"""The agent's side of campaigns in the panel (AG-4, CRM-8) and its two admin pages.

- the campaign section of the agent desk (`panel()`, included by agent_desk.html): the
  agent's current campaign call with the contact's fields, the filled script and the
  disposition form ("Move to CRM" for the dispositions that hand off); the next preview
  contact with Call / Skip; due callbacks with Call.  Its POST routes live under
  `/agent/campaign/` and each checks on the server that the signed-in user's extension
  owns the call, contact or callback;
- `/campaigns/dispositions/` (admins): the list agents pick from, with what each does;
- `/campaigns/callbacks/` (admins, supervisors): upcoming and overdue callbacks, reassign
  to another agent or time, cancel.

Every change is one call to appliance.campaigns.desk; a refusal shows its message.  The
panel never speaks to Asterisk: a Call writes an intent the dialer in jns-calld places.
"""
from __future__ import annotations

import hashlib
import time

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from ..campaigns import desk, pacer
from ..store import live as store_live
from ..store.db import StoreError
from .auth import db, role_required
from .forms import FormError, whole_number

bp = Blueprint("campaign_desk", __name__)

DESK_ROLES = ("admin", "supervisor", "agent")
NOT_LINKED = ("Your user is not linked to a phone extension; an admin links it on the Users "
              "page.")
# what a disposition does to the contact, as the admin reads it (catalogue ids)
ACTION_LABELS = {
    "done": "Done: not called again",
    "retry": "Call again by the campaign's retry rules",
    "callback": "Call back at a date and time",
    "dnc_campaign": "Do not call in this campaign",
    "dnc_global": "Do not call ever",
    "crm": "Done and moved to the CRM",
    "machine": "Answering machine: call again later",
}


# -- the desk section --------------------------------------------------------------------

def panel(phone: str | None) -> dict:
    """What campaign_desk_panel.html shows for the agent's extension."""
    if not phone:
        return {"campaigns": [], "calls": [], "callbacks": [], "key": ""}
    base, now = db(), time.time()
    calls = desk.current_calls(base, phone)
    items = []
    for campaign in desk.agent_campaigns(base, phone):
        preview, idle = None, ""
        if campaign["mode"] == "preview" and not calls:
            preview = desk.next_preview(base, campaign["id"], phone, now)
            if preview is None:
                idle = ("outside_window" if not pacer.in_window(
                    pacer.Rules.from_row(campaign), now) else "no_contacts")
        items.append({"campaign": campaign, "preview": preview, "idle": idle})
    agents = {c["campaign_id"]: desk.campaign_agents(base, c["campaign_id"]) for c in calls}
    return {"campaigns": items, "calls": calls, "callbacks": desk.callbacks_for(base, phone, now),
            "dispositions": desk.dispositions(base), "agents": agents, "me": phone,
            "busy": bool(calls), "key": state_key(phone, now)}


def state_key(phone: str, now: float) -> str:
    """Changes when the section would show other calls or callbacks (the page's script
    polls it and reloads)."""
    base = db()
    calls = [(c["id"], c["disposable"]) for c in desk.current_calls(base, phone)]
    due = [(c["id"], c["due"]) for c in desk.callbacks_for(base, phone, now)]
    running = [c["id"] for c in desk.agent_campaigns(base, phone)]
    return hashlib.sha1(repr((calls, due, running)).encode()).hexdigest()[:16]


def _phone() -> str | None:
    phone = store_live.phone_of(db(), g.user["username"])
    if not phone:
        flash(NOT_LINKED, "error")
    return phone


def _back():
    return redirect(url_for("agent.index"))


def _form_int(field: str) -> int:
    try:
        return int(request.form.get(field, ""))
    except ValueError:
        abort(400)


def _refused(exc: StoreError):
    """A refusal for the desk: another agent's call is 403, anything else a message."""
    if isinstance(exc, desk.NotYours):
        abort(403)
    flash(str(exc), "error")
    return _back()


@bp.route("/agent/campaign/state")
@role_required(*DESK_ROLES)
def state():
    phone = store_live.phone_of(db(), g.user["username"])
    return jsonify(key=state_key(phone, time.time()) if phone else "")


@bp.route("/agent/campaign/<int:campaign_id>/call", methods=["POST"])
@role_required(*DESK_ROLES)
def call(campaign_id: int):
    phone = _phone()
    if phone:
        try:
            desk.request_call(db(), campaign_id, _form_int("contact"), phone, "preview")
        except StoreError as exc:
            return _refused(exc)
        flash("The call is being placed: your phone rings first, then the customer's.", "ok")
    return _back()


@bp.route("/agent/campaign/<int:campaign_id>/skip", methods=["POST"])
@role_required(*DESK_ROLES)
def skip(campaign_id: int):
    phone = _phone()
    if phone:
        try:
            desk.skip_preview(db(), campaign_id, _form_int("contact"), phone)
        except StoreError as exc:
            return _refused(exc)
    return _back()


@bp.route("/agent/campaign/callback/<int:callback_id>/call", methods=["POST"])
@role_required(*DESK_ROLES)
def call_back(callback_id: int):
    phone = _phone()
    if phone:
        row = db().execute("SELECT campaign_id, contact_id, agent FROM callbacks WHERE id = ?",
                           [callback_id]).fetchone()
        if not row:
            abort(404)
        if row[2] not in (None, phone):
            abort(403)
        try:
            desk.request_call(db(), row[0], row[1], phone, "callback")
        except StoreError as exc:
            return _refused(exc)
        flash("The call is being placed: your phone rings first, then the customer's.", "ok")
    return _back()


@bp.route("/agent/campaign/call/<int:call_id>/disposition", methods=["POST"])
@role_required(*DESK_ROLES)
def dispose(call_id: int):
    if not store_live.phone_of(db(), g.user["username"]) and g.user["role"] == "agent":
        flash(NOT_LINKED, "error")
        return _back()
    form = request.form
    code = (form.get("crm") or form.get("code") or "").strip()
    try:
        callback_at = None
        if form.get("callback_date", "").strip() or form.get("callback_time", "").strip():
            callback_at = local_time(form.get("callback_date", ""), form.get("callback_time", ""))
        warnings = desk.set_disposition(db(), call_id, code, user=g.user["username"],
                                        callback_at=callback_at,
                                        callback_agent=form.get("callback_agent"),
                                        note=form.get("note", ""))
    except StoreError as exc:
        return _refused(exc)
    flash("Disposition saved.", "ok")
    for warning in warnings:
        flash(warning, "info")
    return _back()


@bp.app_template_filter("desk_when")
def when(epoch: float | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An epoch in the box's local time, as the date and time fields take it."""
    return "" if epoch is None else time.strftime(fmt, time.localtime(epoch))


def local_time(date: str, clock: str) -> float:
    """Epoch of a date (YYYY-MM-DD) and time (HH:MM) typed in the box's local time."""
    try:
        parsed = time.strptime(f"{date.strip()} {clock.strip()}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise FormError("enter the callback date as YYYY-MM-DD and the time as HH:MM") from None
    return time.mktime(parsed)


# -- dispositions (admins) ------------------------------------------------------------------

def _dispositions_page(error: str | None = None, form=None, editing: str = "", status=200):
    return render_template("dispositions.html", items=desk.dispositions(db(), active_only=False),
                           actions=ACTION_LABELS, error=error,
                           f=form or {"position": "0", "active": "1", "action": "done"},
                           editing=editing), status


def _save_disposition(code: str, form) -> None:
    position = whole_number(form, "position", "Position") \
        if form.get("position", "").strip() else 0
    desk.save_disposition(db(), code, form.get("title", ""), effective=bool(form.get("effective")),
                          action=form.get("action", ""), position=position,
                          active=bool(form.get("active")))


def _known(code: str) -> bool:
    return any(d["code"] == code for d in desk.dispositions(db(), active_only=False))


@bp.route("/campaigns/dispositions/")
@role_required("admin")
def dispositions():
    return _dispositions_page()


@bp.route("/campaigns/dispositions/", methods=["POST"])
@role_required("admin")
def add_disposition():
    code = request.form.get("code", "").strip()
    if _known(code):
        return _dispositions_page(f"disposition code {code!r} exists already; change it in "
                                  "the list", request.form, status=400)
    try:
        _save_disposition(code, request.form)
    except StoreError as exc:
        return _dispositions_page(str(exc), request.form, status=400)
    flash("Disposition saved.", "ok")
    return redirect(url_for("campaign_desk.dispositions"))


@bp.route("/campaigns/dispositions/<code>", methods=["POST"])
@role_required("admin")
def save_disposition(code: str):
    if not _known(code):
        return _dispositions_page(f"no disposition with code {code!r}; reload the list",
                                  status=404)
    try:
        _save_disposition(code, request.form)
    except StoreError as exc:
        return _dispositions_page(str(exc), request.form, editing=code, status=400)
    flash("Disposition saved.", "ok")
    return redirect(url_for("campaign_desk.dispositions"))


@bp.route("/campaigns/dispositions/<code>/delete", methods=["POST"])
@role_required("admin")
def delete_disposition(code: str):
    try:
        desk.delete_disposition(db(), code)
    except StoreError as exc:
        return _dispositions_page(str(exc), status=400)
    flash("Disposition deleted.", "ok")
    return redirect(url_for("campaign_desk.dispositions"))


# -- callbacks (admins, supervisors) --------------------------------------------------------

def _callbacks_page(error: str | None = None, status: int = 200):
    base = db()
    items = desk.open_callbacks(base)
    agents = {cid: desk.campaign_agents(base, cid) for cid in {c["campaign_id"] for c in items}}
    return render_template("campaign_desk_callbacks.html", items=items, agents=agents,
                           error=error), status


@bp.route("/campaigns/callbacks/")
@role_required("admin", "supervisor")
def callbacks():
    return _callbacks_page()


@bp.route("/campaigns/callbacks/<int:callback_id>", methods=["POST"])
@role_required("admin", "supervisor")
def reschedule(callback_id: int):
    form = request.form
    try:
        due = local_time(form.get("date", ""), form.get("time", ""))
        desk.reschedule_callback(db(), callback_id, due, agent=form.get("agent"))
    except StoreError as exc:
        return _callbacks_page(str(exc), status=400)
    flash("Callback changed.", "ok")
    return redirect(url_for("campaign_desk.callbacks"))


@bp.route("/campaigns/callbacks/<int:callback_id>/cancel", methods=["POST"])
@role_required("admin", "supervisor")
def cancel(callback_id: int):
    try:
        desk.cancel_callback(db(), callback_id, user=g.user["username"])
    except StoreError as exc:
        return _callbacks_page(str(exc), status=400)
    flash("Callback cancelled.", "ok")
    return redirect(url_for("campaign_desk.callbacks"))
