"""Supervisor area `/supervisor/`: placeholder until the live-state service exists.

The wallboard (agents' states, queue waits) will read the live-state service, never AMI
directly.  Open to admins and supervisors; agents get 403.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from .auth import role_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.route("/")
@role_required("admin", "supervisor")
def index():
    return render_template("placeholder.html", title="Supervisor",
                           message="The wallboard comes with the live-state service.")
