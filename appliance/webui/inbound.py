"""Inbound routes `/admin/routes/` (IVR-8, IVR-2): per dialled number (DID) where calls
go, in which language, and, with opening hours, where they go while closed.

A save is one `config.save_route` call, a delete one `config.delete_route` call.  The
store refuses a destination that does not exist or a schedule without a closed
destination.  Admin only; no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import config, webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .forms import destination, put_destination, targets
from .i18n import _

bp = Blueprint("inbound", __name__, url_prefix="/admin/routes")


@bp.route("/")
@role_required("admin")
def index():
    return render_template("routes.html", routes=webqueries.routes(db()))


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "POST":
        did = (request.form.get("did") or "").strip()
        if did and webqueries.route(db(), did) is not None:
            return _form(request.form, None, _("Number {did} already has a route.", did=did))
        return _save(did, None)
    return _form({"action": "menu"}, None)


@bp.route("/<did>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(did: str):
    route = webqueries.route(db(), did)
    if route is None:
        abort(404)
    if request.method == "POST":
        return _save(did, route)
    values = {"did": route["did"], "title": route["title"], "lang": route["lang"] or "",
              "schedule": route["schedule"] or ""}
    put_destination(values, "dest", route["action"], route["target"])
    put_destination(values, "closed", route["closed_action"], route["closed_target"])
    return _form(values, route)


@bp.route("/<did>/delete", methods=["POST"])
@role_required("admin")
def delete(did: str):
    if webqueries.route(db(), did) is None:
        abort(404)
    try:
        config.delete_route(db(), did)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=str(exc)), "error")
        return redirect(url_for(".edit", did=did))
    flash(_("Route of number {did} deleted.", did=did), "ok")
    return redirect(url_for(".index"))


def _save(did: str, route: dict | None):
    form = request.form
    dest = destination(form, "dest") or ("", "")
    try:
        config.save_route(db(), did, dest[0], dest[1], title=(form.get("title") or "").strip(),
                          lang=form.get("lang") or None, schedule=form.get("schedule") or None,
                          closed=destination(form, "closed"))
    except StoreError as exc:
        return _form(form, route, str(exc))
    flash(_("Route of number {did} saved.", did=did), "ok")
    return redirect(url_for(".index"))


def _form(values, route: dict | None, error: str | None = None):
    return render_template(
        "route_edit.html", f=values, route=route, error=error, targets=targets(db()),
        actions=config.ROUTE_ACTIONS, langs=config.LANGS,
        schedules=[s["name"] for s in webqueries.schedules(db())]), 400 if error else 200
