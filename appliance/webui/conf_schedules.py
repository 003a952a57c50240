"""Scheduled conferences and group calls, polls, attendance reports (CONF-3, AUTO-2).  (Being built: issue 11.)"""
from __future__ import annotations

from flask import Blueprint

from .auth import role_required

bp = Blueprint("conf_schedules", __name__, url_prefix="/conferences/schedules")


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    return "not built yet", 404
