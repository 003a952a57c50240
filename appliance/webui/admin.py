"""Admin area `/admin/`: the overview of the call-center configuration and the menu of
the pages that change it (IVR menus, queues, routes, schedules, caller rules, blacklist,
prompts, settings, panel users), each in its own blueprint under /admin/.

The overview is read-only (agents, queues with members, IVR menus, inbound routes from
`store.config.snapshot()`).  Admin only.  Never shows SIP or trunk secrets and never
renders or reloads Asterisk configuration itself.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from ..store.config import snapshot
from .auth import db, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

# the configuration pages in the order an admin builds the inbound flow: (endpoint, label)
PAGES = (
    ("admin.index", "Overview"),
    ("prompts.index", "Prompts"),
    ("queues.index", "Queues"),
    ("skills.index", "Skills"),
    ("pause_reasons.index", "Pause reasons"),
    ("menus.index", "IVR menus"),
    ("schedules.index", "Opening hours"),
    ("inbound.index", "Inbound routes"),
    ("callers.index", "Known callers"),
    ("blacklist.index", "Blacklist"),
    ("settings.index", "Settings"),
    ("users.index", "Users"),
    ("modems.index", "Modems"),
    ("hardware.index", "Hardware"),
    ("alarms.index", "Alarms"),
    ("security.index", "Security"),
    ("webhooks.index", "Webhooks"),
    ("system.index", "System"),
)
AREAS = frozenset(endpoint.split(".")[0] for endpoint, _label in PAGES)


@bp.route("/")
@role_required("admin")
def index():
    config = snapshot(db())
    config.pop("trunks", None)  # not shown yet; holds credentials
    for agent in config["agents"]:
        agent.pop("secret", None)
    return render_template("admin.html", config=config)
