"""Agent area `/agent/`: placeholder until the live-state service exists.

The agent panel (pause, log in to queues, current call) will go through the live-state
service, never AMI directly.  Open to every logged-in role.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from .auth import role_required

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.route("/")
@role_required("admin", "supervisor", "agent")
def index():
    return render_template("placeholder.html", title="Agent panel",
                           message="The agent panel comes with the live-state service.")
