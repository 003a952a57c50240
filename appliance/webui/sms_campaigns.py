"""SMS campaigns: text, lists, preview with parts and cost, progress, report (AUTO-3).  (Being built: issue 11.)"""
from __future__ import annotations

from flask import Blueprint

from .auth import role_required

bp = Blueprint("sms_campaigns", __name__, url_prefix="/campaigns/sms")


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    return "not built yet", 404
