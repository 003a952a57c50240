"""Supervisor wallboard `/supervisor/` (SUP-1, SUP-2, SUP-5, MON-1, MON-2).

Per-queue tiles with a colour state, the live calls (with Listen / Whisper / Barge for a
supervisor whose own phone is linked), every agent with state, pause reason and today's
numbers, and the alarms of the live service.  The first paint comes from jns-calld's
`/state`; static/live.js then keeps it current from `/live/events`.

Admins and supervisors only (agents get 403).  Listening goes through jns-calld
(LiveClient.action "spy"), which audits it; this module never speaks AMI.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from ..store import live as store_live
from .auth import db, role_required
from .livefeed import act, page_context

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

SPY_MODES = {"listen": "Listening started: your phone rings.",
             "whisper": "Whisper started: your phone rings.",
             "barge": "Barge-in started: your phone rings."}


@bp.route("/")
@role_required("admin", "supervisor")
def index():
    return render_template(
        "wallboard.html", phone=store_live.phone_of(db(), g.user["username"]),
        alarm_rules="queue_alarms.index" in current_app.view_functions, **page_context())


@bp.route("/spy", methods=["POST"])
@role_required("admin", "supervisor")
def spy():
    mode = request.form.get("mode", "")
    act("spy", SPY_MODES.get(mode, "Done."), call=request.form.get("call", ""), mode=mode,
        phone=store_live.phone_of(db(), g.user["username"]) or "")
    return redirect(url_for("supervisor.index"))
