"""Who may use the panel: first-start setup, login/logout, roles, CSRF, language choice.

- `/setup` exists only while the box has no admin; until then every URL leads there.
- `/login` asks `users.login_delay()` first and, while it is positive, refuses with 429
  without looking at the password.  `/logout` is POST only.
- `role_required(*roles)` guards every non-public view on the server side; the roles it
  was given are kept on the view so the navigation shows only links the user may open.
- Every state-changing request (anything but GET/HEAD/OPTIONS) must carry the session's
  CSRF token (form field `csrf_token` or header X-CSRF-Token), or it is refused with 400.
- Bodies over MAX_CONTENT_LENGTH are refused (413), except on views marked for uploads
  (prompts, hold music), which take up to UPLOAD_MAX_BYTES from a user allowed to use them.

The session cookie holds only the user id, a stamp of the user's password
(`users.session_stamp`: a new password, e.g. reset by an admin, ends the user's other
sessions), the CSRF token and the chosen language; the user's role is read from the
database on every request.  This module never stores a password or a password hash in the
session and never talks to Asterisk.
"""
from __future__ import annotations

import functools
import hmac
import math
import secrets
from typing import Callable
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from werkzeug.exceptions import BadRequest

from ..store import users
from ..store.db import StoreError, transaction
from .i18n import LANGS, _

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.setup", "auth.login", "auth.logout", "auth.set_language", "static",
                    "crm_planner.ical"}   # a calendar feed: its token is the credential
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_MESSAGE = ("The form was refused: its security token (CSRF) is missing or wrong. "
                "Reload the page and send the form again.")


class CSRFError(BadRequest):
    description = CSRF_MESSAGE


def db():
    """This thread's connection to the box's database."""
    return current_app.extensions["jns_db"].get()


# -- request hooks -----------------------------------------------------------------------

def init_app(app) -> None:
    """Install the hooks; order matters: user first, then the upload limit (it must be
    raised before CSRF reads the form), then CSRF, then the setup redirect."""
    app.before_request(_load_user)
    app.before_request(_upload_limit)
    app.before_request(_check_csrf)
    app.before_request(_require_setup)
    app.jinja_env.globals.update(csrf_token=csrf_token, can_open=can_open)


def _load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = users.get_user(db(), uid)
        stamp = users.session_stamp(db(), uid) or ""
        if user is None or not hmac.compare_digest(str(session.get("stamp", "")), stamp):
            _reset_session()  # user deleted, or given a new password, since this login
        else:
            g.user = user


def _upload_limit() -> None:
    """Big bodies only for views marked `forms.upload_allowed`, and only for users whose
    role may open them: everyone else keeps the app's MAX_CONTENT_LENGTH."""
    view = current_app.view_functions.get(request.endpoint or "")
    user = g.get("user")
    if (getattr(view, "accepts_upload", False) and user is not None
            and user["role"] in getattr(view, "allowed_roles", ())):
        request.max_content_length = (getattr(view, "upload_max_bytes", None)
                                      or current_app.config["UPLOAD_MAX_BYTES"])


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "token_auth", False):   # the JSON API: a bearer token, never the cookie
        return
    expected = session.get("csrf", "")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CSRFError()


def _require_setup():
    if request.endpoint in ("auth.setup", "auth.set_language", "static"):
        return None
    if users.needs_setup(db()):
        return redirect(url_for("auth.setup"))
    return None


def _reset_session() -> None:
    """Drop everything (new login, logout) except the language the person picked."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGS:
        session["lang"] = lang


# -- roles ----------------------------------------------------------------------------------

def role_required(*roles: str) -> Callable:
    """Allow the view only to logged-in users with one of `roles`.

    Anonymous: redirect to the login page (401 JSON under /api/).  Wrong role: 403.
    """
    unknown = set(roles) - set(users.ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required: bad roles {roles!r}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                if request.path.startswith("/api/"):
                    return jsonify(error="login required"), 401
                flash("Please log in to see this page.", "info")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if g.user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def can_open(endpoint: str) -> bool:
    """True when the current user may open `endpoint` (used to build the navigation)."""
    view = current_app.view_functions.get(endpoint)
    user = g.get("user")
    return bool(view and user and user["role"] in getattr(view, "allowed_roles", ()))


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never let ?next= send someone to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


def _start_session(user: dict) -> None:
    _reset_session()  # new session on login: no fixation, fresh CSRF token
    session["uid"] = user["id"]
    session["stamp"] = users.session_stamp(db(), user["id"])


# -- views ------------------------------------------------------------------------------------

@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not users.needs_setup(db()):
        abort(404)
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = "The passwords do not match."
        else:
            try:
                with transaction(db()):  # check and create atomically: exactly one first admin
                    if not users.needs_setup(db()):
                        abort(404)
                    uid = users.create_user(db(), username, password, "admin",
                                            lang=_lang_choice())
            except StoreError as exc:
                error = str(exc)
            else:
                _start_session(users.get_user(db(), uid))
                flash("Administrator account created.", "ok")
                return redirect(url_for("dashboard.index"))
    return render_template("setup.html", error=error, username=username,
                           min_password=users.MIN_PASSWORD), 400 if error else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET" and g.user is not None:
        return redirect(_safe_next(next_url))
    error, status, username = None, 200, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        addr = request.remote_addr or "unknown"
        delay = users.login_delay(db(), username, addr)
        if delay > 0:
            error = _("Too many failed attempts, try again in {n} s.", n=math.ceil(delay))
            status = 429
        else:
            user = users.authenticate(db(), username, request.form.get("password", ""), addr)
            if user is None:
                error, status = _("Wrong user name or password."), 401
            else:
                _start_session(user)
                return redirect(_safe_next(next_url))
    return render_template("login.html", error=error, username=username, next=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    _reset_session()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in LANGS:
        session["lang"] = lang
        if g.user is not None and g.user["lang"] != lang:
            _save_user_lang(g.user["id"], lang)
    return redirect(_safe_next(request.form.get("next")))


def _lang_choice() -> str:
    lang = session.get("lang") or request.accept_languages.best_match(LANGS)
    return lang if lang in LANGS else "pl"


def _save_user_lang(user_id: int, lang: str) -> None:
    users.set_lang(db(), user_id, lang)
