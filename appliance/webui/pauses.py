"""Pause reasons `/admin/pause-reasons/` (AG-1): the list agents pick from when they pause.

Admins add, change (title, position, active) and delete reasons; the code goes to
Asterisk's queue_log and the reports, so it is fixed once made.  Each change is one call
to appliance.store.live; a refusal shows the store's message with the input kept.  This
module never talks to Asterisk.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..store import live as store_live
from ..store.db import StoreError
from .auth import db, role_required
from .forms import whole_number

bp = Blueprint("pause_reasons", __name__, url_prefix="/admin/pause-reasons")


def _page(error: str | None = None, form: dict | None = None, editing: str = "",
          status: int = 200):
    return render_template("pause_reasons.html", reasons=store_live.pause_reasons(
        db(), active_only=False), error=error, f=form or {"position": "0", "active": "1"},
        editing=editing), status


def _save(code: str, form) -> None:
    position = whole_number(form, "position", "Position") if form.get("position", "").strip() \
        else 0
    store_live.save_pause_reason(db(), code, form.get("title", ""), position=position,
                                 active=bool(form.get("active")))


@bp.route("/")
@role_required("admin")
def index():
    return _page()


@bp.route("/", methods=["POST"])
@role_required("admin")
def add():
    code = request.form.get("code", "").strip()
    if any(r["code"] == code for r in store_live.pause_reasons(db(), active_only=False)):
        return _page(f"pause reason code {code!r} exists already; change it in the list",
                     request.form, status=400)
    try:
        _save(code, request.form)
    except StoreError as exc:
        return _page(str(exc), request.form, status=400)
    flash("Pause reason saved.", "ok")
    return redirect(url_for("pause_reasons.index"))


@bp.route("/<code>", methods=["POST"])
@role_required("admin")
def save(code: str):
    if not any(r["code"] == code for r in store_live.pause_reasons(db(), active_only=False)):
        return _page(f"no pause reason with code {code!r}; reload the list", status=404)
    try:
        _save(code, request.form)
    except StoreError as exc:
        return _page(str(exc), request.form, editing=code, status=400)
    flash("Pause reason saved.", "ok")
    return redirect(url_for("pause_reasons.index"))


@bp.route("/<code>/delete", methods=["POST"])
@role_required("admin")
def delete(code: str):
    try:
        store_live.delete_pause_reason(db(), code)
    except StoreError as exc:
        return _page(str(exc), status=400)
    flash("Pause reason deleted.", "ok")
    return redirect(url_for("pause_reasons.index"))
