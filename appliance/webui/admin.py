"""Admin area `/admin/`: the call-center configuration as the database holds it.

Read-only for now (agents, queues with members, IVR menus, inbound routes from
`store.config.snapshot()`); editing comes in later issues and will go through the store
functions, one transaction per save.  Admin only.  Never shows SIP or trunk secrets and
never renders or reloads Asterisk configuration itself.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from ..store.config import snapshot
from .auth import db, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@role_required("admin")
def index():
    config = snapshot(db())
    config.pop("trunks", None)  # not shown yet; holds credentials
    for agent in config["agents"]:
        agent.pop("secret", None)
    return render_template("admin.html", config=config)
