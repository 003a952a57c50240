"""The browser softphone on the agent desk (BEY-1) and the agents' phone kind.

`GET /agent/softphone.json` gives the signed-in user's own extension what static/softphone.js
needs to register with Asterisk: the extension, its SIP password and the WebSocket address
built from the host the browser used to reach the panel (JNS_SOFTPHONE_WS, "{host}" filled
in; on the box wss://<host>:8089/ws, Asterisk's TLS port with the panel's certificate).
Only for the user's own agent, never cached.  `POST /admin/agents/<ext>/phone` sets an
agent's phone kind (admin only).  Calls themselves run between the browser and Asterisk:
this module holds no telephony logic, it only reads and writes the database.
"""
from __future__ import annotations

import os
import urllib.parse

from flask import Blueprint, current_app, flash, g, jsonify, redirect, request, url_for

from ..store import config, live as store_live
from ..store.db import StoreError
from . import admin as admin_page
from .agent import NOT_LINKED
from .auth import db, role_required
from .i18n import _

bp = Blueprint("softphone", __name__)

BOX_WS = "wss://{host}:8089/ws"   # the box's Asterisk (appliance.box.layout): TLS on 8089
NOT_WEBRTC = ("Your extension uses a SIP phone, not the browser softphone; an admin changes "
              "this on the Configuration page.")

# what the softphone shows and says, in the user's language (softphone.js reads them)
LABELS = (
    "Softphone", "Registering...", "Ready", "Error", "Connecting to the telephone system...",
    "Incoming call from {number}", "Calling {number}...", "In a call with {number}",
    "On hold", "Call ended", "Answer", "Reject", "Hang up", "Hold", "Resume", "Mute", "Unmute",
    "Keypad", "Transfer to", "Transfer", "Number to call", "Call", "Microphone", "Speaker",
    "Default", "The browser blocks the microphone: allow it in the address bar and reload",
    "The browser found no microphone: connect one and reload",
    "This browser cannot make calls (no WebRTC); use a current Chrome, Edge or Firefox",
    "The softphone cannot reach the telephone system over the WebSocket.",
    "Open {link} once and accept the box's certificate (it is self-signed), then reload this page.",
    "The telephone system refused the registration: {reason}",
    "Enter a number: digits, + * #", "Transferred", "The call failed: {reason}",
    "The speaker cannot be chosen in this browser",
)


def ws_url(host: str) -> str:
    """The WebSocket address for a browser that reached the panel at `host` (Host header)."""
    template = (current_app.config.get("SOFTPHONE_WS") or os.environ.get("JNS_SOFTPHONE_WS")
                or BOX_WS)
    name = urllib.parse.urlsplit("//" + host).hostname or "127.0.0.1"
    if ":" in name:   # an IPv6 literal
        name = f"[{name}]"
    return template.format(host=name)


def _agent(extension: str | None) -> dict | None:
    if not extension:
        return None
    return db().execute("SELECT extension, name, secret, phone FROM agents WHERE extension = ?",
                        [extension]).fetchone()


def uses_softphone(extension: str | None) -> bool:
    """True when this extension's phone is the browser softphone."""
    row = _agent(extension)
    return bool(row) and row[3] == "webrtc"


@bp.app_context_processor
def _desk_helpers():
    return {"softphone_for": uses_softphone, "softphone_labels": _labels}


def _labels() -> dict[str, str]:
    return {label: _(label) for label in LABELS}


@bp.after_app_request
def _allow_websocket(response):
    """The desk with the softphone may open the WebSocket to Asterisk's own port (another
    origin than the panel's, so the panel's CSP must name it)."""
    if request.endpoint == "agent.index" and g.get("softphone_ws"):
        parts = urllib.parse.urlsplit(g.softphone_ws)
        csp = response.headers.get("Content-Security-Policy")
        if csp:
            response.headers["Content-Security-Policy"] = \
                f"{csp}; connect-src 'self' {parts.scheme}://{parts.netloc}"
    return response


@bp.app_template_global()
def softphone_ws() -> str:
    """The desk's WebSocket address (also remembered for the CSP header of this page)."""
    g.softphone_ws = ws_url(request.host)
    return g.softphone_ws


@bp.route("/agent/softphone.json")
@role_required("admin", "supervisor", "agent")
def credentials():
    extension = store_live.phone_of(db(), g.user["username"])
    row = _agent(extension)
    if row is None:
        return _no_store(jsonify(error=_(NOT_LINKED))), 404
    if row[3] != "webrtc":
        return _no_store(jsonify(error=_(NOT_WEBRTC))), 409
    url = ws_url(request.host)
    parts = urllib.parse.urlsplit(url)
    status = f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}/httpstatus"
    host = urllib.parse.urlsplit("//" + request.host).hostname or "127.0.0.1"
    return _no_store(jsonify(extension=row[0], name=row[1], password=row[2], ws_url=url,
                             domain=host, status_url=status))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/agents/<extension>/phone", methods=["POST"])
@role_required("admin")
def set_phone(extension: str):
    phone = request.form.get("phone") or ""
    try:
        config.set_agent_phone(db(), extension, phone)
    except StoreError as exc:
        flash(_("Not saved: {error}", error=str(exc)), "error")
        return admin_page.index(), 400   # the overview again, with the reason
    flash(_("Phone of extension {ext} saved: {kind}.", ext=extension,
            kind=_("phone:" + phone)), "ok")
    return redirect(url_for("admin.index"))
