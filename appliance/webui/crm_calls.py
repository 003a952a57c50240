"""The CRM on the phone (CRM-4, CRM-5, CRM-8): click to dial a contact's number, the note
an agent writes on the desk during a call, and campaign hand-offs taken at once.

- `POST /crm/calls/dial`: Asterisk rings the signed-in user's phone, then the contact's
  number (jns-calld's "dial" action, the same as the desk's "Call a number").  Only a
  number of that contact is dialled: the form cannot be turned into a free dialler.
- `POST /crm/calls/note` (JSON for the desk's screen pop, static/crm_desk.js): a note on the
  contact with the call's id and the author's own extension (never taken from the form),
  so appliance.crm.calls attaches the call's recording to it when the call is indexed.
- the hand-off hook: a contact an agent moves to the CRM from a campaign call lands in the
  CRM before the page answers (appliance.crm.calls.take_handoff); if that fails the row
  waits for jns-reports' next CRM round.

The screen pop's data is the CRM blueprint's /crm/pop; this module holds no telephony
logic (jns-calld dials) and no SQL (appliance.crm).
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, request,
                   url_for)

from ..campaigns import desk
from ..crm import calls as crm_calls
from ..crm import contacts
from ..store import live as store_live
from ..store.db import StoreError
from .agent import NOT_LINKED
from .auth import db, role_required
from .i18n import _
from .livefeed import act

bp = Blueprint("crm_calls", __name__, url_prefix="/crm/calls")
ALL = ("admin", "supervisor", "agent")


def my_phone() -> str | None:
    return store_live.phone_of(db(), g.user["username"])


def _contact_or_404(contact_id) -> dict:
    try:
        c = contacts.get_contact(db(), int(contact_id))
    except (TypeError, ValueError):
        c = None
    if c is None:
        abort(404)
    return c


@bp.route("/dial", methods=["POST"])
@role_required(*ALL)
def dial():
    c = _contact_or_404(request.values.get("contact_id"))
    number = request.values.get("number", "")
    card = url_for("crm.card", contact_id=c["id"])
    if number not in {p["number"] for p in c["phones"]}:
        flash("That number is not one of this contact's numbers.", "error")
        return redirect(card)
    phone = my_phone()
    if not phone:
        flash(NOT_LINKED, "error")
        return redirect(card)
    act("dial", "Your phone rings; pick it up to call the number.", agent=phone,
        number=number)
    return redirect(card)


@bp.route("/note", methods=["POST"])
@role_required(*ALL)
def note():
    data = request.get_json(silent=True) or request.form
    c = _contact_or_404(data.get("contact_id"))
    try:
        template_id = int(data.get("template_id") or 0) or None
    except (TypeError, ValueError):
        template_id = None
    try:
        note_id = contacts.add_note(
            db(), c["id"], g.user, str(data.get("body") or ""), template_id=template_id,
            private=bool(data.get("private")), call_id=str(data.get("call_id") or "")[:64],
            agent=my_phone() or "")
    except StoreError as exc:
        return jsonify(ok=False, error=_(str(exc))), 400
    return jsonify(ok=True, note_id=note_id, message=_("Note saved."),
                   url=url_for("crm.card", contact_id=c["id"]) + "#timeline")


def _take_at_once(handoff: dict) -> None:
    """desk.CRM_HANDOFF hook: runs in the request that set the disposition, after its
    transaction committed; outside a request (the dialer, a test) the round takes it."""
    from flask import has_app_context
    if not has_app_context() or "jns_db" not in current_app.extensions:
        return
    crm_calls.take_handoff(current_app.extensions["jns_db"].get(), handoff["handoff_id"])


def init_app(app) -> None:
    if _take_at_once not in desk.CRM_HANDOFF:
        desk.CRM_HANDOFF.append(_take_at_once)
