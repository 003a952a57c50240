"""Blacklist `/admin/blacklist/` (BL-1): numbers and prefixes whose calls are refused,
how many calls each entry blocked, and the last blocked calls.

Adding is one `config.blacklist_add` call, removing one `config.blacklist_remove` call.
The counts come from `blocked_calls`, which the IVR writes.  Admin only; no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import config, webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .dashboard import since
from .i18n import _

bp = Blueprint("blacklist", __name__, url_prefix="/admin/blacklist")
LAST_BLOCKED = 50


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    form = request.form
    if request.method == "POST":
        pattern = (form.get("pattern") or "").strip()
        try:
            config.blacklist_add(db(), pattern, match=form.get("match") or "",
                                 note=(form.get("note") or "").strip())
        except StoreError as exc:
            return _page(form, str(exc))
        flash(_("{pattern} is now blocked.", pattern=pattern), "ok")
        return redirect(url_for(".index"))
    return _page({"match": "exact"})


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@role_required("admin")
def delete(entry_id: int):
    entry = next((e for e in webqueries.blacklist(db()) if e["id"] == entry_id), None)
    if entry is None:
        abort(404)
    config.blacklist_remove(db(), entry_id)
    flash(_("{pattern} is no longer blocked.", pattern=entry["pattern"]), "ok")
    return redirect(url_for(".index"))


def _page(values, error: str | None = None):
    return render_template("blacklist.html", f=values, error=error,
                           entries=webqueries.blacklist(db()),
                           blocked=webqueries.blocked_calls(db(), LAST_BLOCKED),
                           when=since), 400 if error else 200
