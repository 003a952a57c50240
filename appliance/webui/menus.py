"""IVR menus `/admin/menus/` (IVR-1, IVR-2, IVR-5): the call flow as a tree from the
dialled numbers down through sub-menus, and one form per menu (prompt, 12 keys, timeout,
tries, what a timeout / a wrong key / the last try leads to).

Each save is one `config.save_menu` call; each delete one `config.delete_menu` call.  The
store refuses a key that leads nowhere or a delete that would strand a caller; the form
then shows why, with what was typed.  Admin only; no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import config, webqueries
from ..store.db import StoreError
from . import menutree
from .auth import db, role_required
from .forms import (BUILTIN_PROMPTS, KEY_FIELDS, KEYS, FormError, destination, prompt_names,
                    put_destination, targets, whole_number)
from .i18n import _

bp = Blueprint("menus", __name__, url_prefix="/admin/menus")

NEW_MENU = {"timeout_s": 5, "max_tries": 3, "fallback_action": "operator", "prompt": "hello-world"}


@bp.route("/")
@role_required("admin")
def index():
    snap = config.snapshot(db())
    tree = menutree.build(webqueries.routes(db()), snap["menus"])
    return render_template("menus.html", tree=tree, menus=snap["menus"])


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if name and config.ivr_menu(db(), name) is not None:
            return _form(request.form, None, _("A menu named {name} already exists.", name=name))
        return _save(name, None)
    return _form({**NEW_MENU, "name": request.args.get("name", "")}, None)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str):
    menu = config.ivr_menu(db(), name)
    if menu is None:
        abort(404)
    if request.method == "POST":
        return _save(name, menu)
    return _form(_values(menu), menu)


@bp.route("/<name>/delete", methods=["POST"])
@role_required("admin")
def delete(name: str):
    if config.ivr_menu(db(), name) is None:
        abort(404)
    try:
        config.delete_menu(db(), name)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=str(exc)), "error")
        return redirect(url_for(".edit", name=name))
    flash(_("Menu {name} deleted.", name=name), "ok")
    return redirect(url_for(".index"))


def _values(menu: dict) -> dict:
    values = {k: menu[k] for k in ("name", "title", "prompt", "timeout_s", "max_tries")}
    for kind in ("fallback", "timeout", "invalid"):
        put_destination(values, kind, menu[f"{kind}_action"], menu[f"{kind}_target"])
    for key, (action, target) in menu["options"].items():
        put_destination(values, f"key_{KEY_FIELDS[key]}", action, target)
    return values


def _save(name: str, menu: dict | None):
    form = request.form
    try:
        options = {}
        for key in KEYS:
            dest = destination(form, f"key_{KEY_FIELDS[key]}")
            if dest:
                options[key] = dest
        fallback = destination(form, "fallback")
        if fallback is None:
            raise FormError(_("Choose where callers go after the last try (fallback)."))
        config.save_menu(
            db(), name, (form.get("prompt") or "").strip(), options, fallback=fallback,
            title=(form.get("title") or "").strip(),
            timeout_s=whole_number(form, "timeout_s", "Seconds to wait for a key"),
            max_tries=whole_number(form, "max_tries", "Tries"),
            on_timeout=destination(form, "timeout"), on_invalid=destination(form, "invalid"))
    except StoreError as exc:
        return _form(form, menu, str(exc))
    flash(_("Menu {name} saved.", name=name), "ok")
    return redirect(url_for(".edit", name=name))


def _form(values, menu: dict | None, error: str | None = None):
    own = prompt_names(db())
    current = values.get("prompt") or ""
    if current and current not in own and current not in BUILTIN_PROMPTS:
        own.append(current)
    return render_template(
        "menu_edit.html", f=values, menu=menu, error=error, keys=KEYS, key_fields=KEY_FIELDS,
        own_prompts=own, builtin_prompts=BUILTIN_PROMPTS, targets=targets(db()),
        actions=config.IVR_ACTIONS, route_actions=config.ROUTE_ACTIONS), 400 if error else 200
