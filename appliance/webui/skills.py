"""Skills `/admin/skills/` (BEY-3): the skills agents have (a name, a title, and the IVR
language one stands for), and one matrix form of agents × skills with their levels.

A queue asks for skills in its own form (`queues.py`: the skill rule).  Each save here is
one call of appliance.telephony.skills (all or nothing); the new levels reach Asterisk's
files with the next apply (agents logged in at the desk: at their next login).  Admin only;
no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import webqueries
from ..store.config import agent_skill_levels
from ..store.db import StoreError
from ..telephony import skills as store
from .auth import db, role_required
from .i18n import _

bp = Blueprint("skills", __name__, url_prefix="/admin/skills")

LANGUAGE_LABELS = {"": "no language", "pl": "Polish callers", "en": "English callers"}


def _skill_or_404(name: str) -> dict:
    skill = next((s for s in store.skills(db()) if s["name"] == name), None)
    if skill is None:
        abort(404)
    return skill


def _skill_form() -> dict:
    f = request.form
    return {"name": (f.get("name") or "").strip(), "title": (f.get("title") or "").strip(),
            "language": f.get("language") or ""}


def _levels_from_form(form, agents: list[dict], skills: list[dict]) -> dict:
    """{extension: {skill: level or None}} from the matrix; a cell that is not a whole
    number 1-100 raises with the agent and the skill named."""
    out: dict[str, dict[str, int | None]] = {}
    for a in agents:
        for s in skills:
            raw = str(form.get(f"level-{a['extension']}-{s['name']}", "")).strip()
            if not raw:
                out.setdefault(a["extension"], {})[s["name"]] = None
                continue
            if not raw.isdigit() or not 1 <= int(raw) <= 100:
                raise StoreError(_(
                    "Agent {agent}, skill {skill}: a level is a whole number 1-100 (empty: the agent does not have it).",  # noqa: E501 - one catalogue id
                    agent=a["extension"], skill=s["name"]))
            out.setdefault(a["extension"], {})[s["name"]] = int(raw)
    return out


def _page(*, f=None, error=None, levels_error=None, levels=None, status=200):
    skills = store.skills(db())
    agents = webqueries.agents(db())
    if levels is None:
        known = agent_skill_levels(db())
        levels = {f"level-{a['extension']}-{s['name']}":
                  known.get(a["extension"], {}).get(s["name"], "")
                  for a in agents for s in skills}
    return render_template("skills.html", skills=skills, agents=agents, levels=levels,
                           f=f or {"name": "", "title": "", "language": ""}, error=error,
                           levels_error=levels_error, languages=LANGUAGE_LABELS), status


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    if request.method == "POST":
        form = _skill_form()
        try:
            store.save_skill(db(), form["name"], form["title"], form["language"])
        except StoreError as exc:
            return _page(f=form, error=str(exc), status=400)
        flash(_("Skill {name} added.", name=form["name"]), "ok")
        return redirect(url_for(".index"))
    return _page()


@bp.route("/levels", methods=["POST"])
@role_required("admin")
def levels():
    try:
        store.set_levels(db(), _levels_from_form(request.form, webqueries.agents(db()),
                                                 store.skills(db())))
    except StoreError as exc:
        # the posted matrix comes back as typed: nothing the admin entered is lost
        posted = {k: request.form.get(k, "") for k in request.form if k.startswith("level-")}
        return _page(levels_error=str(exc), levels=posted, status=400)
    flash(_("Agents' skill levels saved."), "ok")
    return redirect(url_for(".index"))


@bp.route("/<name>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str):
    skill = _skill_or_404(name)
    f, error = dict(skill), None
    if request.method == "POST":
        f = _skill_form()
        try:
            store.save_skill(db(), f["name"], f["title"], f["language"], old_name=name)
        except StoreError as exc:
            error = str(exc)
        else:
            flash(_("Skill {name} saved.", name=f["name"]), "ok")
            return redirect(url_for(".index"))
    return render_template("skill_edit.html", skill=skill, f=f, error=error,
                           languages=LANGUAGE_LABELS), 400 if error else 200


@bp.route("/<name>/delete", methods=["POST"])
@role_required("admin")
def delete(name: str):
    _skill_or_404(name)
    try:
        store.delete_skill(db(), name)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=str(exc)), "error")
        return redirect(url_for(".edit", name=name))
    flash(_("Skill {name} deleted.", name=name), "ok")
    return redirect(url_for(".index"))
