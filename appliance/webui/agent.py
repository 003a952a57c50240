"""Agent desk `/agent/` (AG-1, AG-2, AG-3).

The signed-in user's own extension (users.agent_id; agents, and supervisors or admins with
a linked phone): log in to the queues (assigned ones preselected) and log out (not for a
static agent: always logged in), pause with a reason from the admin's list and unpause,
the current call (caller number, DID, queue, wait, talk) with the CRM's screen pop under it
(static/crm_desk.js: the caller's contact and a note form), click to call, and today's own
numbers.  Everything shown is filtered to the user's
own extension (livefeed.AgentView); every change goes through jns-calld
(LiveClient.action), which refuses with a message the page shows.  Never speaks AMI.

CRM hook: `CARD_PROVIDERS` holds callables(number) -> dict | None (title -> value); the
first one that knows the caller gives the card.  None are registered yet.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from ..store import live as store_live
from . import campaign_desk
from .auth import db, role_required
from .i18n import _
from .livefeed import AgentView, act, page_context

bp = Blueprint("agent", __name__, url_prefix="/agent")

NOT_LINKED = ("Your user is not linked to a phone extension; an admin links it on the Users "
              "page.")
CARD_PROVIDERS: list[Callable[[str], dict | None]] = []


def customer_card(number: str) -> dict | None:
    """The first card a CRM provider gives for the caller's number, or None."""
    for provider in CARD_PROVIDERS:
        card = provider(number)
        if card:
            return card
    return None


def my_phone() -> str | None:
    return store_live.phone_of(db(), g.user["username"])


@bp.route("/")
@role_required("admin", "supervisor", "agent")
def index():
    phone = my_phone()
    if not phone:
        return render_template("agent_desk.html", phone=None, snap=None, error=None)
    context = page_context()
    assigned = store_live.assigned_queues(db(), phone)
    snap = context["snap"]
    if snap:
        context["snap"] = AgentView(phone, assigned).snapshot(snap)
    me = (context["snap"] or {}).get("agents", {}).get(phone)
    calls = list(((context["snap"] or {}).get("calls") or {}).items())
    cards = {cid: customer_card(c.get("caller") or "") for cid, c in calls}
    return render_template("agent_desk.html", phone=phone, me=me, assigned=assigned,
                           reasons=store_live.pause_reasons(db()), cards=cards,
                           campaign=campaign_desk.panel(phone), crm_pop=crm_pop(),
                           **context)


POP_LABELS = ("Note template", "No template", "Note", "Private note (only you and admins)",
              "Save note", "Saving...", "The panel did not answer; try again.",
              "The call's recording is attached when the call ends.", "Not saved:", "Company",
              "Owner", "Tags", "Open tasks", "Caller", "Close",
              "Looking the caller up in the CRM...", "This number is not in the CRM.",
              "New contact with this number",
              "The CRM could not be asked; open it from the menu.")


def crm_pop() -> dict | None:
    """What the desk's screen pop (static/crm_desk.js) needs: the CRM's addresses, the
    note templates and its labels in the user's language; None without the CRM."""
    if "crm.pop" not in current_app.view_functions or \
            "crm_calls.note" not in current_app.view_functions:
        return None
    from ..crm import contacts
    return {"pop_url": url_for("crm.pop"), "note_url": url_for("crm_calls.note"),
            "new_url": url_for("crm.new"),
            "templates": [{"id": t["id"], "name": t["name"], "body": t["body"]}
                          for t in contacts.note_templates(db())],
            "labels": {k: _(k) for k in POP_LABELS}}


def _back():
    return redirect(url_for("agent.index"))


def _linked_or_back() -> str | None:
    phone = my_phone()
    if not phone:
        flash(NOT_LINKED, "error")
    return phone


@bp.route("/login", methods=["POST"])
@role_required("admin", "supervisor", "agent")
def login():
    phone = _linked_or_back()
    if phone:
        chosen = request.form.getlist("queue")
        if not chosen and store_live.assigned_queues(db(), phone):
            flash("Tick the queues to log in to.", "error")
        else:
            act("login", "You are logged in.", agent=phone, queues=chosen or None)
    return _back()


@bp.route("/logout", methods=["POST"])
@role_required("admin", "supervisor", "agent")
def logout():
    phone = _linked_or_back()
    if phone:
        act("logout", "You are logged out of the queues.", agent=phone)
    return _back()


@bp.route("/pause", methods=["POST"])
@role_required("admin", "supervisor", "agent")
def pause():
    phone = _linked_or_back()
    if phone:
        act("pause", "You are paused.", agent=phone, reason=request.form.get("reason", ""))
    return _back()


@bp.route("/unpause", methods=["POST"])
@role_required("admin", "supervisor", "agent")
def unpause():
    phone = _linked_or_back()
    if phone:
        act("unpause", "You are ready for calls again.", agent=phone)
    return _back()


@bp.route("/dial", methods=["POST"])
@role_required("admin", "supervisor", "agent")
def dial():
    phone = _linked_or_back()
    if phone:
        act("dial", "Your phone rings; pick it up to call the number.", agent=phone,
            number=request.form.get("number", "").strip())
    return _back()
