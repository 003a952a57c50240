"""Conference rooms `/conferences/` (CONF-1, CONF-2): the rooms, their PINs, the live
participants and the leader's controls.

Admins create, change and delete rooms (one call to telephony.conferences each; a refusal
is shown with the input kept).  Admins and supervisors see the rooms with the PINs they
hand out, the live page (static/conferences.js asks live.json every 2 s) and mute, unmute,
kick, lock and mute everybody; agents get 403.  Every live read and control goes through
jns-calld (LiveClient.action), which speaks AMI and audits the controls; this module never
speaks AMI and never writes Asterisk files.
"""
from __future__ import annotations

import re
import time

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect,
                   render_template, request, send_file, url_for)
from werkzeug.security import safe_join

from ..store.db import StoreError
from ..telephony import conferences as rooms_store
from .auth import db, role_required
from .i18n import _
from .livefeed import client

bp = Blueprint("conferences", __name__, url_prefix="/conferences")

VIEWERS = ("admin", "supervisor")
CONTROLS = {"mute": "conf_mute", "unmute": "conf_unmute", "kick": "conf_kick",
            "lock": "conf_lock", "unlock": "conf_unlock", "mute_all": "conf_mute_all",
            "unmute_all": "conf_unmute_all"}
DONE = {"mute": "Participant muted.", "unmute": "Participant unmuted.",
        "kick": "Participant removed from the conference.", "lock": "Room locked.",
        "unlock": "Room unlocked.", "mute_all": "Everybody but the leaders muted.",
        "unmute_all": "Talkers unmuted."}
CHANNEL_RE = re.compile(r"[A-Za-z0-9/_.@:;+-]{1,120}")
NOT_CONFIGURED = "the live call-center service is not configured"


def _room_or_404(room_id: int) -> dict:
    found = rooms_store.room(db(), room_id)
    if found is None:
        abort(404)
    return found


def _calld(name: str, **params) -> dict:
    """One calld action; LiveError (or a plain message) when it cannot be done."""
    live = client()
    if live is None:
        raise RuntimeError(NOT_CONFIGURED)
    return live.action(name, user=g.user["username"], **params)


@bp.get("/")
@role_required(*VIEWERS)
def index():
    error, members = None, {}
    try:
        members = _calld("conf_rooms").get("rooms", {})
    except Exception as exc:   # noqa: BLE001 - the message says why (calld down, Asterisk away)
        error = str(exc) or type(exc).__name__
    return render_template("conferences/index.html", rooms=rooms_store.rooms(db()),
                           members=members, live_error=error)


def _form_page(f: dict, room: dict | None, error: str | None = None, status: int = 200):
    return render_template("conferences/edit.html", f=f, room=room, error=error), status


def _posted() -> dict:
    form = request.form
    out = {k: form.get(k, "") for k in rooms_store.FIELDS}
    for flag in ("record", "wait_for_leader", "voting"):
        out[flag] = "1" if form.get(flag) else ""
    return out


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "GET":
        return _form_page({"pin_tries": 3, "max_members": 30}, None)
    f = _posted()
    try:
        room_id = rooms_store.save_room(db(), f, user=_username())
    except StoreError as exc:
        return _form_page(f, None, str(exc), 400)
    flash("Conference room saved.", "ok")
    return redirect(url_for("conferences.live", room_id=room_id))


@bp.route("/<int:room_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(room_id: int):
    room = _room_or_404(room_id)
    if request.method == "GET":
        return _form_page(dict(room), room)
    f = _posted()
    try:
        rooms_store.save_room(db(), f, room_id=room_id)
    except StoreError as exc:
        return _form_page(f, room, str(exc), 400)
    flash("Conference room saved.", "ok")
    return redirect(url_for("conferences.live", room_id=room_id))


@bp.post("/<int:room_id>/delete")
@role_required("admin")
def delete(room_id: int):
    room = _room_or_404(room_id)
    try:
        rooms_store.delete_room(db(), room_id)
    except StoreError as exc:
        return _form_page(dict(room), room, str(exc), 400)
    flash("Conference room deleted.", "ok")
    return redirect(url_for("conferences.index"))


@bp.get("/<int:room_id>/")
@role_required(*VIEWERS)
def live(room_id: int):
    room = _room_or_404(room_id)
    state, error = _live_state(room)
    return render_template(
        "conferences/live.html", room=room, state=state, live_error=error,
        recordings=[{**r, "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(r["at"]))}
                    for r in rooms_store.recordings(current_app.config["RECORDINGS_DIR"],
                                                    room["number"])])


def _live_state(room: dict) -> tuple[dict, str | None]:
    """calld's list of the room's participants, each with the clock time they joined."""
    try:
        state = _calld("conf_list", room=room["number"])
        now = time.time()
        for p in state.get("participants", []):
            p["joined_clock"] = time.strftime("%H:%M", time.localtime(now - p["joined_s"]))
        return state, None
    except Exception as exc:   # noqa: BLE001 - shown as it is: calld says what to do
        return {"participants": [], "locked": False}, _(str(exc) or type(exc).__name__)


@bp.get("/<int:room_id>/live.json")
@role_required(*VIEWERS)
def live_json(room_id: int):
    room = _room_or_404(room_id)
    state, error = _live_state(room)
    if error:
        error = _("Live participants unavailable: {error}", error=error)
    return jsonify({"error": error, "locked": bool(state.get("locked")),
                    "participants": state.get("participants", [])})


@bp.post("/<int:room_id>/control")
@role_required(*VIEWERS)
def control(room_id: int):
    """A leader's control from the live page: a form post (flash, back to the page) or a
    fetch asking for JSON (the answer says ok or why not)."""
    room = _room_or_404(room_id)
    what = request.form.get("do", "")
    channel = request.form.get("channel", "").strip()
    wants_json = request.accept_mimetypes.best == "application/json"
    error = None
    if what not in CONTROLS:
        error = _("Unknown conference action.")
    elif what in ("mute", "unmute", "kick") and not CHANNEL_RE.fullmatch(channel):
        error = _("Choose a participant from the list.")
    else:
        params = {"room": room["number"]}
        if what in ("mute", "unmute", "kick"):
            params["channel"] = channel
        try:
            _calld(CONTROLS[what], **params)
        except Exception as exc:   # noqa: BLE001 - calld's refusal is the user's message
            error = _(str(exc) or type(exc).__name__)
    if wants_json:
        return jsonify({"ok": error is None, "error": error,
                        "done": None if error else _(DONE[what])}), 200 if error is None else 409
    if error:
        flash(error, "error")
    else:
        flash(DONE[what], "ok")
    return redirect(url_for("conferences.live", room_id=room_id))


@bp.get("/<int:room_id>/recordings/<name>")
@role_required(*VIEWERS)
def recording(room_id: int, name: str):
    room = _room_or_404(room_id)
    base = current_app.config["RECORDINGS_DIR"]
    if not base or name not in {r["name"] for r in rooms_store.recordings(base, room["number"])}:
        abort(404)
    path = safe_join(base, "conference", name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="audio/wav", as_attachment=True, download_name=name)


def _username() -> str:
    return g.user["username"]
