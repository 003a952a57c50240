"""Operator panel `/operator/` (OP-1, OP-2, OP-3).

Every live call with its durations; per call: transfer to an extension or a queue (chosen
from the database), pick up to the operator's own phone, hang up, park; several calls
ticked -> one conference.  static/live.js keeps the table current and lets a call be
dragged onto an agent or queue chip (it then sends the same transfer form); the plain
forms work without JavaScript.

Admins and supervisors only.  Every action goes through jns-calld (LiveClient.action),
which audits it and refuses with a message the page shows; this module never speaks AMI.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..store import live as store_live
from ..store import webqueries
from ..store.config import snapshot as config_snapshot
from .auth import db, role_required
from .i18n import _
from .livefeed import act, page_context

bp = Blueprint("operator", __name__, url_prefix="/operator")

ROLES = ("admin", "supervisor")


def _phone() -> str | None:
    return store_live.phone_of(db(), g.user["username"])


def _back():
    return redirect(url_for("operator.index"))


@bp.route("/")
@role_required(*ROLES)
def index():
    queues = [(q["name"], q["title"]) for q in config_snapshot(db())["queues"]]
    agents = [(a["extension"], a["name"]) for a in webqueries.agents(db())]
    return render_template("operator.html", phone=_phone(), queues=queues, agents=agents,
                           **page_context())


@bp.route("/transfer", methods=["POST"])
@role_required(*ROLES)
def transfer():
    kind, _sep, target = request.form.get("target", "").partition(":")
    if kind not in ("extension", "queue") or not target:
        flash("Choose an extension or a queue to transfer the call to.", "error")
    else:
        act("transfer", "Call transferred.", call=request.form.get("call", ""), kind=kind,
            target=target)
    return _back()


@bp.route("/pickup", methods=["POST"])
@role_required(*ROLES)
def pickup():
    phone = _phone()
    if not phone:
        flash("Link your phone in Users to pick up calls.", "error")
    else:
        act("pickup", "Your phone rings with the call.", call=request.form.get("call", ""),
            phone=phone)
    return _back()


@bp.route("/hangup", methods=["POST"])
@role_required(*ROLES)
def hangup():
    act("hangup", "Call hung up.", call=request.form.get("call", ""))
    return _back()


@bp.route("/park", methods=["POST"])
@role_required(*ROLES)
def park():
    result = act("park", "", call=request.form.get("call", ""))
    if result is not None:
        flash(_("Call parked on space {space}.", space=result.get("space") or "?"), "ok")
    return _back()


@bp.route("/conference", methods=["POST"])
@role_required(*ROLES)
def conference():
    calls = request.form.getlist("calls")
    if len(calls) + (1 if request.form.get("with_me") else 0) < 2:
        flash("Tick at least two calls (or one call and your own phone) for a conference.",
              "error")
        return _back()
    phone = _phone() if request.form.get("with_me") else None
    if request.form.get("with_me") and not phone:
        flash("Link your phone in Users to join a conference.", "error")
        return _back()
    act("conference", "Conference started.", calls=calls, phone=phone)
    return _back()
