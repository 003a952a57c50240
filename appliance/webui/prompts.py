"""Prompts `/admin/prompts/` (IVR-3, IVR-6): the box's own recorded or synthesised
announcements, per language, with their length and a player.

An upload (any format sox reads, any length: the size limit is raised for this view) is
saved to a private temporary file and handed to `sounds.store_prompt`, which converts it
and writes the prompts row in one go; typed text goes to the same function for speech
synthesis.  A delete (one language, or all) is one `config.delete_prompt` call, refused
while a menu or an announcement would be left without the prompt; only after the rows are
gone are the files of exactly those languages removed (`sounds.delete_prompt_files`).
Admin only.  Sounds are only read here to play them back to the admin.
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)

from ..store import config, webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .forms import saved_upload, upload_allowed
from .i18n import _

bp = Blueprint("prompts", __name__, url_prefix="/admin/prompts")


@bp.route("/")
@role_required("admin")
def index():
    return _page({"lang": "pl"})


@bp.route("/upload", methods=["POST"])
@role_required("admin")
@upload_allowed
def upload():
    return _store(request.form, upload=True)


@bp.route("/speak", methods=["POST"])
@role_required("admin")
def speak():
    return _store(request.form, upload=False)


@bp.route("/<lang>/<name>.wav")
@role_required("admin")
def audio(lang: str, name: str):
    prompts_dir = current_app.config["PROMPTS_DIR"]
    if not prompts_dir or lang not in config.LANGS:
        abort(404)
    from ..telephony import sounds
    try:
        path = sounds.prompt_path(prompts_dir, name, lang)
    except sounds.SoundError:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", conditional=True)


@bp.route("/<name>/delete", methods=["POST"])
@role_required("admin")
def delete(name: str):
    return _delete(name, None)


@bp.route("/<lang>/<name>/delete", methods=["POST"])
@role_required("admin")
def delete_lang(lang: str, name: str):
    return _delete(name, lang)


def _delete(name: str, lang: str | None):
    prompts_dir = current_app.config["PROMPTS_DIR"]
    langs = config.prompt_langs(db(), name)
    if not prompts_dir or not langs or (lang is not None and lang not in langs):
        abort(404)
    from ..telephony import sounds
    try:
        config.delete_prompt(db(), name, lang)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=_(str(exc))), "error")
        return redirect(url_for(".index"))
    sounds.delete_prompt_files(prompts_dir, name, lang)
    if lang:
        flash(_("Prompt {name} ({lang}) deleted.", name=name, lang=lang), "ok")
    else:
        flash(_("Prompt {name} deleted.", name=name), "ok")
    return redirect(url_for(".index"))


def _store(form, *, upload: bool):
    prompts_dir = current_app.config["PROMPTS_DIR"]
    if not prompts_dir:
        abort(404)
    from ..telephony import sounds
    name, lang = (form.get("name") or "").strip(), form.get("lang") or ""
    try:
        if upload:
            with saved_upload(request.files.get("sound")) as path:
                seconds = sounds.store_prompt(db(), prompts_dir, name, lang, upload=path)
        else:
            seconds = sounds.store_prompt(db(), prompts_dir, name, lang,
                                          text=form.get("text") or "")
    except (StoreError, sounds.SoundError) as exc:
        return _page(form, str(exc), "upload" if upload else "speak")
    flash(_("Prompt {name} ({lang}) saved: {seconds} s.", name=name, lang=lang,
            seconds=f"{seconds:.1f}"), "ok")
    return redirect(url_for(".index"))


def _page(values, error: str | None = None, failed: str | None = None):
    rows = webqueries.prompts(db())
    by_name: dict[str, dict] = {}
    for row in rows:
        by_name.setdefault(row["name"], {})[row["lang"]] = row
    return render_template("prompts.html", f=values, error=error, failed=failed,
                           prompts=by_name, langs=config.LANGS,
                           enabled=bool(current_app.config["PROMPTS_DIR"])), \
        400 if error else 200
