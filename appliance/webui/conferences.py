"""Conference rooms, live participants, the leader's controls (CONF-1, CONF-2).  (Being built: issue 11.)"""
from __future__ import annotations

from flask import Blueprint

from .auth import role_required

bp = Blueprint("conferences", __name__, url_prefix="/conferences")


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    return "not built yet", 404
