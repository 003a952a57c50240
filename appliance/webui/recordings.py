"""Recordings `/recordings/` (REC-3): search by date range and number, play, download.

Who sees what: admins and supervisors every recording; an agent only the recordings whose
`agent` is the extension of the agent linked to their panel user (users.agent_id), and
none while no agent is linked.  Another's recording is a 404 to an agent, exactly like a
missing one, so ids reveal nothing.  Every play and download writes a
`config.audit_recording` row before the file is sent.  Files are read only from inside
RECORDINGS_DIR.  This module never changes or deletes a recording.
"""
from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path

from flask import (Blueprint, abort, current_app, g, render_template, request, send_file,
                   url_for)
from werkzeug.security import safe_join

from ..store import config, webqueries
from .auth import db, role_required
from .dashboard import clock, since
from .i18n import _

bp = Blueprint("recordings", __name__, url_prefix="/recordings")
PER_PAGE = 50
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
               ".opus": "audio/ogg", ".gsm": "audio/x-gsm", ".flac": "audio/flac"}
DIRECTIONS = {"in": "inbound", "out": "outbound", "internal": "internal"}
NOBODY = object()   # an agent without a linked agent extension sees nothing


@bp.route("/")
@role_required("admin", "supervisor", "agent")
def index():
    args = request.args
    error = None
    try:
        start = _day(args.get("since", ""), "From")
        end = _day(args.get("until", ""), "To")
    except ValueError as exc:
        error, start, end = str(exc), None, None
    try:
        page = max(1, int(args.get("page", "1")))
    except ValueError:
        page = 1
    agent = _agent_filter()
    rows: list[dict] = []
    if agent is not NOBODY:
        rows = config.find_recordings(
            db(), since=start, until=end + 86400 if end is not None else None,
            number=(args.get("number") or "").strip(), agent=agent,
            limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    more = len(rows) > PER_PAGE
    query = {k: v for k, v in args.items() if k in ("since", "until", "number") and v}
    return render_template(
        "recordings.html", rows=rows[:PER_PAGE], f=args, error=error, page=page,
        prev_url=url_for(".index", **query, page=page - 1) if page > 1 else None,
        next_url=url_for(".index", **query, page=page + 1) if more else None,
        no_agent=agent is NOBODY, enabled=bool(current_app.config["RECORDINGS_DIR"]),
        directions=DIRECTIONS, when=since, clock=clock)


@bp.route("/<int:recording_id>/play")
@role_required("admin", "supervisor", "agent")
def play(recording_id: int):
    return _send(recording_id, "play")


@bp.route("/<int:recording_id>/download")
@role_required("admin", "supervisor", "agent")
def download(recording_id: int):
    return _send(recording_id, "download")


def _agent_filter():
    """None: every recording; an extension: only that agent's; NOBODY: none."""
    if g.user["role"] in ("admin", "supervisor"):
        return None
    ext = webqueries.agent_extension(db(), g.user["id"])
    return ext if ext else NOBODY


def _day(value: str, label: str) -> float | None:
    """A yyyy-mm-dd date field as the epoch of that local midnight (None when empty)."""
    value = value.strip()
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").timestamp()
    except ValueError:
        raise ValueError(_("{field}: a date like 2026-03-31, not {value!r}",
                           field=_(label), value=value)) from None


def _send(recording_id: int, action: str):
    rec = webqueries.recording(db(), recording_id)
    agent = _agent_filter()
    if rec is None or rec["archived_at"] is not None or agent is NOBODY \
            or (agent is not None and rec["agent"] != agent):
        abort(404)
    base = current_app.config["RECORDINGS_DIR"]
    path = safe_join(base, rec["path"]) if base else None
    if path is None or not Path(path).is_file():
        abort(404)
    # a player asks for the rest of a file in ranges: one audit row per listening, not per range
    first_request = request.range is None or request.range.ranges[0][0] == 0
    if action == "download" or first_request:
        config.audit_recording(db(), recording_id, g.user["username"], action,
                               request.remote_addr or "")
    suffix = Path(path).suffix.lower()
    mimetype = (AUDIO_TYPES.get(suffix) or mimetypes.guess_type(path)[0]
                or "application/octet-stream")
    started = dt.datetime.fromtimestamp(rec["started_at"]).strftime("%Y%m%d-%H%M%S")
    name = f"{started}-{rec['caller'] or 'unknown'}-{rec['id']}{suffix}"
    return send_file(path, mimetype=mimetype, as_attachment=action == "download",
                     download_name=name, conditional=True)
