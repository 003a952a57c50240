"""The start page `/` and `/api/status`: what Asterisk says about itself, right now.

Both call the app's `status_provider()` on every request (it speaks AMI and returns a
dict: version, startup, uptime_s, active_channels, active_calls, queues).  Any exception
from it means "Asterisk is not reachable": the page still renders (200) with a red
message, the API answers 503.  This module never talks to Asterisk itself and never
caches status: it only calls the provider it was given.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify, render_template

from .auth import role_required
from .i18n import _

bp = Blueprint("dashboard", __name__)
log = logging.getLogger(__name__)
REFRESH_S = 30
NOT_CONFIGURED = "not configured"


def fetch_status() -> tuple[dict | None, str | None]:
    """(status, None), or (None, error text) when there is no provider or it failed."""
    provider = current_app.extensions.get("jns_status_provider")
    if provider is None:
        return None, NOT_CONFIGURED
    try:
        status = provider()
        if not isinstance(status, dict):
            raise TypeError(f"status provider returned {type(status).__name__}, not a dict")
    except Exception as exc:  # Asterisk down, AMI refused, timeout... the page must still render
        log.warning("status provider failed: %r", exc)
        return None, str(exc) or type(exc).__name__
    return status, None


def human_duration(seconds: object) -> str:
    """e.g. 93784 -> '1 d 2 h 3 min' (Polish: '1 d 2 godz. 3 min'); under a minute in s."""
    try:
        total = max(0, int(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if total < 60:
        return f"{total} {_('unit:s')}"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [(days, "unit:d"), (hours, "unit:h"), (rest // 60, "unit:min")]
    shown = [f"{n} {_(unit)}" for n, unit in parts if n]
    return " ".join(shown)


def clock(seconds: object) -> str:
    """Seconds as m:ss (h:mm:ss from an hour on), '—' when unknown."""
    try:
        total = max(0, int(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def since(epoch: object) -> str | None:
    try:
        when = time.localtime(float(epoch))  # type: ignore[arg-type]
        return time.strftime("%Y-%m-%d %H:%M", when)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@bp.route("/")
@role_required("admin", "supervisor", "agent")
def index():
    status, error = fetch_status()
    configured = current_app.extensions.get("jns_status_provider") is not None
    return render_template("dashboard.html", status=status, error=error, configured=configured,
                           refresh_s=REFRESH_S,
                           human_duration=human_duration, clock=clock, since=since)


@bp.route("/api/status")
@role_required("admin", "supervisor", "agent")
def api_status():
    status, error = fetch_status()
    if error is not None:
        return jsonify(error=error), 503
    return jsonify(status)
