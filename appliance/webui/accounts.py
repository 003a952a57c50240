"""Panel users `/admin/users/`: who may log in, with which role, language and which
extension is theirs (users.agent_id, one user per extension): an agent user's desk (they
see only that agent's recordings), a supervisor's or admin's own phone (listen, whisper,
barge in and operator pick-up ring it).

Each change is one call into `appliance.store.users` (create_user, update_user,
reset_password, delete_user), which hashes passwords, checks the password rules of the
first-start setup and refuses to leave the box without an admin or to delete the user who
is logged in.  The page checks only what the store cannot: that a new password was typed
the same twice.  A new password ends the user's other sessions (auth.py).  A password or
its hash is never shown, logged or put back into a form.
Admin only; no telephony here.
"""
from __future__ import annotations

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, session,
                   url_for)

from ..store import users, webqueries
from ..crm import planner
from ..store.db import StoreError, transaction
from .auth import db, role_required
from .forms import FormError
from .i18n import LANGS, _

bp = Blueprint("users", __name__, url_prefix="/admin/users")

NEW_USER = {"role": "agent", "lang": "pl", "agent": ""}


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    if request.method == "GET":
        return _list(dict(NEW_USER))
    form = request.form
    username = (form.get("username") or "").strip()
    try:
        if username and users.find_user(db(), username) is not None:
            raise FormError(_("A user named {name} already exists.", name=username))
        password = _new_password(form)
        users.create_user(db(), username, password, form.get("role") or "",
                          lang=form.get("lang") or "", agent=form.get("agent") or None)
    except StoreError as exc:
        return _list(form, str(exc))
    flash(_("User {name} created.", name=username), "ok")
    return redirect(url_for(".index"))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(user_id: int):
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _form(user, {k: user[k] or "" for k in ("role", "lang", "agent")})
    form = request.form
    try:
        with transaction(db()):   # role and the CRM's e-mail/"takes meetings" together
            users.update_user(db(), user_id, role=form.get("role") or "",
                              lang=form.get("lang") or "", agent=form.get("agent") or None)
            planner.set_calendar_profile(db(), user_id, email=form.get("email", ""),
                                         bookable=form.get("bookable") == "1")
    except StoreError as exc:
        return _form(user, form, error=str(exc))
    flash(_("User {name} saved.", name=user["username"]), "ok")
    if user_id == g.user["id"] and form.get("role") != "admin":
        return redirect(url_for("dashboard.index"))  # no longer allowed on this page
    return redirect(url_for(".index"))


@bp.route("/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def password(user_id: int):
    user = _user_or_404(user_id)
    try:
        users.reset_password(db(), user_id, _new_password(request.form))
    except StoreError as exc:
        return _form(user, {k: user[k] or "" for k in ("role", "lang", "agent")},
                     password_error=str(exc))
    if user_id == g.user["id"]:  # other sessions of this user end; this one goes on
        session["stamp"] = users.session_stamp(db(), user_id)
    flash(_("New password of {name} saved.", name=user["username"]), "ok")
    return redirect(url_for(".index"))


@bp.route("/<int:user_id>/delete", methods=["POST"])
@role_required("admin")
def delete(user_id: int):
    user = _user_or_404(user_id)
    try:
        users.delete_user(db(), user_id, g.user["id"])
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=_(str(exc))), "error")
        return redirect(url_for(".edit", user_id=user_id))
    flash(_("User {name} deleted.", name=user["username"]), "ok")
    return redirect(url_for(".index"))


def _new_password(form) -> str:
    password = form.get("password") or ""
    if password != (form.get("password2") or ""):
        raise FormError(_("The passwords do not match."))
    return password


def _user_or_404(user_id: int) -> dict:
    user = next((u for u in users.list_users(db()) if u["id"] == user_id), None)
    if user is None:
        abort(404)
    return user


def _agents() -> list[dict]:
    """Agents to link, each with the user already linked to it (or None)."""
    linked = {u["agent"]: u["username"] for u in users.list_users(db()) if u["agent"]}
    return [{**a, "user": linked.get(a["extension"])} for a in webqueries.agents(db())]


def _list(values, error: str | None = None):
    return render_template("users.html", f=values, error=error, users=users.list_users(db()),
                           roles=users.ROLES, langs=LANGS, agents=_agents(),
                           min_password=users.MIN_PASSWORD), 400 if error else 200


def _form(user: dict, values, error: str | None = None, password_error: str | None = None):
    if "email" not in values:   # the stored CRM e-mail and "takes meetings" (crm.planner)
        profile = planner.calendar_profile(db(), user["id"]) or {}
        values = {**values, "email": profile.get("email", ""),
                  "bookable": profile.get("bookable", 0)}
    return render_template("user_edit.html", user=user, f=values, error=error,
                           password_error=password_error, roles=users.ROLES, langs=LANGS,
                           agents=_agents(), min_password=users.MIN_PASSWORD,
                           myself=user["id"] == g.user["id"]), \
        400 if error or password_error else 200
