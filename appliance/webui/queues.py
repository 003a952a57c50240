"""Queues `/admin/queues/` (ACD-1..3, IVR-7): strategy, members with penalties, waiting
limits, announcements, overflow destination, recording, and hold music per queue.

A save is one `config.save_queue` call with every option from the form; a delete is one
`config.delete_queue` call (refused while a route, key or setting still leads there).
Hold music: the upload is converted by `sounds.store_moh` into <MOH_DIR>/<queue>/; when the
queue still plays the default music it is then switched to its own folder (one
`save_queue` call with its other values unchanged).  Deleting a file is one
`sounds.delete_moh_file` call; deleting the last one switches a queue that played its own
folder back to the default music first, and is refused while another queue plays that
folder.  Admin only; no telephony here.
"""
from __future__ import annotations

from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from werkzeug.security import safe_join

from ..store import config, webqueries
from ..store.db import StoreError, transaction
from ..telephony import callbacks, skills
from .auth import db, role_required
from .forms import (FormError, destination, put_destination, saved_upload, targets,
                    upload_allowed, whole_number)
from .i18n import _

bp = Blueprint("queues", __name__, url_prefix="/admin/queues")

STRATEGIES = {
    "rrmemory": "Round robin, starting after the agent who answered last",
    "ringall": "Ring every free agent at once",
    "leastrecent": "The agent whose last call ended longest ago",
    "fewestcalls": "The agent with the fewest calls",
    "random": "A random agent",
    "linear": "Always in the order of the members",
    "wrandom": "Random, weighted by penalty",
}
# form field -> label (catalogue id); each a whole number the store checks
NUMBERS = {"member_timeout": "Ring an agent for (s)",
           "max_wait": "Longest wait in queue (s)",
           "wrapup_time": "Wrap-up time after a call (s)",
           "weight": "Priority against other queues",
           "max_callers": "Most callers waiting (0: no limit)",
           "announce_frequency": "Announce every (s, 0: never)"}
NEW_QUEUE = {"strategy": "rrmemory", "musiconhold": "default", "member_timeout": 15,
             "max_wait": 300, "wrapup_time": 0, "weight": 0, "record": "all", "max_callers": 0,
             "announce_position": 1, "announce_holdtime": 1, "announce_frequency": 30,
             "callback_key": "", "callback_retries": 2, "callback_expiry_min": 120,
             "skill_rule": "", "overflow_ewt_s": 0, "overflow_per_agent": 0}


@bp.route("/")
@role_required("admin")
def index():
    return render_template("queues.html", queues=config.snapshot(db())["queues"],
                           strategies=STRATEGIES)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if name and webqueries.queue(db(), name) is not None:
            return _form(request.form, None, _("A queue named {name} already exists.", name=name))
        return _save(name, None)
    return _form(dict(NEW_QUEUE), None)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str):
    queue = _queue_or_404(name)
    if request.method == "POST":
        return _save(name, queue)
    return _form(_values(queue), queue)


@bp.route("/<name>/delete", methods=["POST"])
@role_required("admin")
def delete(name: str):
    _queue_or_404(name)
    try:
        config.delete_queue(db(), name)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=str(exc)), "error")
        return redirect(url_for(".edit", name=name))
    flash(_("Queue {name} deleted.", name=name), "ok")
    return redirect(url_for(".index"))


@bp.route("/<name>/moh", methods=["POST"])
@role_required("admin")
@upload_allowed
def upload_moh(name: str):
    queue = _queue_or_404(name)
    moh_dir = current_app.config["MOH_DIR"]
    if not moh_dir:
        abort(404)
    from ..telephony import sounds
    try:
        with saved_upload(request.files.get("music")) as path:
            sounds.store_moh(moh_dir, name, path, request.files["music"].filename or "")
        if queue["musiconhold"] in ("", "default"):
            _store_queue(name, {**_values(queue), "musiconhold": name})
    except (StoreError, sounds.SoundError) as exc:
        return _form(_values(queue), queue, moh_error=str(exc))
    flash(_("Hold music added to queue {name}.", name=name), "ok")
    return redirect(url_for(".edit", name=name) + "#moh")


@bp.route("/<name>/moh/<filename>")
@role_required("admin")
def moh_file(name: str, filename: str):
    _queue_or_404(name)
    moh_dir = current_app.config["MOH_DIR"]
    path = safe_join(moh_dir, name, filename) if moh_dir else None
    if path is None or not Path(path).is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav")


@bp.route("/<name>/moh/<filename>/delete", methods=["POST"])
@role_required("admin")
def delete_moh(name: str, filename: str):
    queue = _queue_or_404(name)
    moh_dir = current_app.config["MOH_DIR"]
    if not moh_dir or filename not in _moh_files(name):
        abort(404)
    from ..telephony import sounds
    try:
        with transaction(db()):  # the switch to default music is undone if the file stays
            if _moh_files(name) == [filename]:
                _stop_playing_folder(queue)
            sounds.delete_moh_file(moh_dir, name, filename)
    except (StoreError, sounds.SoundError) as exc:
        return _form(_values(queue), queue, moh_error=str(exc))
    flash(_("Hold music {file} deleted from queue {name}.", file=filename, name=name), "ok")
    return redirect(url_for(".edit", name=name) + "#moh")


def _stop_playing_folder(queue: dict) -> None:
    """Before a queue's music folder becomes empty: its own queue goes back to the default
    music; any other queue still playing the folder refuses the delete."""
    name = queue["name"]
    others = [q["name"] for q in config.snapshot(db())["queues"]
              if q["musiconhold"] == name and q["name"] != name]
    if others:
        raise FormError(_("Queue {queues} still plays this music; choose other music there.",
                          queues=", ".join(others)))
    if queue["musiconhold"] == name:
        _store_queue(name, {**_values(queue), "musiconhold": "default"})


def _queue_or_404(name: str) -> dict:
    queue = webqueries.queue(db(), name)
    if queue is None:
        abort(404)
    return queue


def _values(queue: dict) -> dict:
    values = {k: queue[k] for k in ("name", "title", *config.QUEUE_OPTIONS,
                                    "callback_key", "callback_retries")}
    values["callback_expiry_min"] = queue["callback_expiry_s"] // 60
    for k in ("skill_rule", "overflow_ewt_s", "overflow_per_agent"):    # BEY-3
        values[k] = queue[k]
    values["overflow_per_agent"] = f"{queue['overflow_per_agent']:g}"
    put_destination(values, "overflow", queue["overflow_action"], queue["overflow_target"])
    for ext, penalty in queue["penalties"].items():
        values[f"member_{ext}"] = "1"
        values[f"penalty_{ext}"] = penalty
    return values


def _save(name: str, queue: dict | None):
    try:
        _store_queue(name, request.form)
    except skills.RuleError as exc:     # each bad line of the skill rule under the field
        return _form(request.form, queue, _("The skill rule has mistakes; see below."),
                     rule_problems=exc.problems)
    except StoreError as exc:
        return _form(request.form, queue, str(exc))
    flash(_("Queue {name} saved.", name=name), "ok")
    return redirect(url_for(".edit", name=name))


def _store_queue(name: str, form) -> None:
    """One save_queue call from form values (posted, or a stored queue's `_values`)."""
    members = {}
    for agent in webqueries.agents(db()):
        ext = agent["extension"]
        if form.get(f"member_{ext}"):
            has_penalty = str(form.get(f"penalty_{ext}", "")).strip()
            members[ext] = whole_number(form, f"penalty_{ext}", "Penalty") if has_penalty else 0
    options = {field: whole_number(form, field, label) for field, label in NUMBERS.items()}
    strategy = form.get("strategy") or ""
    if strategy not in STRATEGIES:
        raise FormError(_("Choose a strategy from the list."))
    record = form.get("record") or ""
    if record not in ("all", "none"):
        raise FormError(_("Choose whether the queue's calls are recorded."))
    # a post without the callback fields (an older form) leaves those settings as they are
    has_callback = "callback_key" in form
    expiry_min = (whole_number(form, "callback_expiry_min", "Callback expires after (min)")
                  if has_callback else 0)
    with transaction(db()):     # the queue and its callback settings, or nothing
        config.save_queue(
            db(), name, str(form.get("title") or "").strip(), members=members,
            overflow=destination(form, "overflow"), strategy=strategy,
            musiconhold=str(form.get("musiconhold") or "default").strip(), record=record,
            announce_position=1 if form.get("announce_position") else 0,
            announce_holdtime=1 if form.get("announce_holdtime") else 0, **options)
        if has_callback:
            callbacks.set_queue_callback(db(), name, key=str(form.get("callback_key") or ""),
                                         retries=form.get("callback_retries"),
                                         expiry_s=expiry_min * 60)
        if "skill_rule" in form:    # skills routing and overflow thresholds (BEY-3)
            skills.set_queue_routing(
                db(), name, rule=str(form.get("skill_rule") or ""),
                overflow_ewt_s=whole_number(
                    form, "overflow_ewt_s", "Overflow when the estimated wait is over (s, 0: never)"),
                overflow_per_agent=_per_agent(form))


def _per_agent(form) -> float:
    raw = str(form.get("overflow_per_agent") or "0").strip().replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        raise FormError(_("{field}: enter a number like 2 or 1.5, not {value!r}",
                          field=_("Overflow above callers waiting per logged-in agent (0: never)"),
                          value=raw)) from None


def _moh_folders() -> list[str]:
    """Folders holding music (an emptied queue folder is no choice)."""
    moh_dir = current_app.config["MOH_DIR"]
    if not moh_dir or not Path(moh_dir).is_dir():
        return []
    return sorted(p.name for p in Path(moh_dir).iterdir() if p.is_dir() and _moh_files(p.name))


def _moh_files(name: str) -> list[str]:
    moh_dir = current_app.config["MOH_DIR"]
    folder = Path(moh_dir) / name if moh_dir else None
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".wav" and p.is_file())


def _form(values, queue: dict | None, error: str | None = None, moh_error: str | None = None,
          rule_problems: list | None = None):
    folders = _moh_folders()
    current = str(values.get("musiconhold") or "")
    if current and current != "default" and current not in folders:
        folders.append(current)  # keep a choice whose folder is not there (yet)
    return render_template(
        "queue_edit.html", f=values, queue=queue, error=error, moh_error=moh_error,
        strategies=STRATEGIES, numbers=NUMBERS, agents=webqueries.agents(db()),
        targets=targets(db()), actions=config.ROUTE_ACTIONS, moh_folders=folders,
        moh_files=_moh_files(queue["name"]) if queue else [],
        moh_enabled=bool(current_app.config["MOH_DIR"]), callback_keys=callbacks.KEYS,
        rule_problems=rule_problems or [],
        skill_names=[s["name"] for s in skills.skills(db())]), 400 if error or moh_error else 200
