"""Campaigns `/campaigns/` (CMP-2, CMP-4): the list, the form, live progress and the report.

- `/campaigns/`: every campaign with its mode, status, progress and today's calls, with the
  start / pause / stop buttons its status allows;
- `/campaigns/new`, `/campaigns/<id>/edit`: the whole form; a save is one
  `campaigns.save_campaign` call, a refusal shows the store's reason with what was typed;
- `/campaigns/<id>/`: live progress (contacts by state, today's calls, the dialer's view and
  why it is not dialing), refreshed from `/campaigns/<id>/progress.json` every 2 s by
  static/campaign.js, or by the page's refresh link without JavaScript;
- `/campaigns/<id>/report`: per day in a date range (appliance.campaigns.report), with CSV
  and XLSX downloads of the same tables; a voice mailing campaign (AUTO-1) shows its totals
  and one row per number first;
- `/campaigns/<id>/listen.wav`: a voice mailing campaign's message as a sample contact hears
  it (spoken now, into a temporary file: nothing is kept).

Admins and supervisors; agents get 403.  The panel never speaks to Asterisk: a start or
stop is a status written here that the dialer (jns-calld) reads on its next tick.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import tempfile
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)

from ..campaigns import campaigns as store
from ..campaigns import report as creport
from ..campaigns import voicecast
from ..telephony import sounds
from ..store.db import StoreError
from . import charts
from .auth import db, role_required
from .i18n import _

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

ROLES = ("admin", "supervisor")
POLL_MS = 2000
WEEKDAYS = (("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri"),
            ("6", "Sat"), ("7", "Sun"))
MODES = {"preview": "Preview: the agent sees the contact, then clicks to call",
         "progressive": "Progressive: one call per free agent",
         "predictive": "Predictive: more calls than free agents, paced to the abandon cap"}
RULES = {"day": "Per day (UK Ofcom)", "30d": "Per 30 days (US FTC)"}
# retry delay field -> label; the form shows minutes, the store keeps seconds
RETRIES = {"retry_noanswer_s": "Retry after no answer (min)",
           "retry_busy_s": "Retry after busy (min)",
           "retry_failed_s": "Retry after a failed call (min)",
           "retry_machine_s": "Retry after an answering machine (min)"}
STATUS_ACTIONS = {"running": "Start", "paused": "Pause the campaign", "stopped": "Stop"}
STATE_LABELS = {"new": "Not called yet", "dialing": "Being dialed", "retry": "Waiting to retry",
                "callback": "Callback booked", "done": "Done", "failed": "Failed",
                "dnc": "Do not call"}
OUTCOME_LABELS = {"connected": "Connected to an agent", "abandoned": "Abandoned",
                  "machine": "Answering machine", "noanswer": "Not answered", "busy": "Busy",
                  "failed": "Failed", "invalid": "Invalid number", "cancelled": "Withdrawn"}
# the dialer's idle_reason in plain words
WHY = {"": "Dialing.",
       "paused": "The campaign is paused.",
       "outside_window": "Outside the campaign's calling hours, days or dates.",
       "no_agents": "No agent of the queue is logged in, so nothing is dialed.",
       "no_contacts": "No contact is due now: every one is called or waits for its retry time.",
       "abandon_cap": "The abandon rate reached the cap: only one call per free agent.",
       "no_trunk": "There is no trunk to dial out on.",
       "asterisk_down": "Asterisk does not answer; dialing resumes when it is back."}
NOT_RUNNING = {"draft": "Not started yet.", "stopped": "Stopped.",
               "finished": "Finished: every contact has been called.",
               "dialer_down":
                   "The dialer is not running (service jns-calld), so nothing is dialed."}
MAX_REPORT_DAYS = creport.MAX_DAYS
KINDS = {"agents": "Agents: answered calls go to the agents",
         "voice": "Voice mailing: a message, a key to reach an agent"}
MACHINE_ACTIONS = {"short": "Leave the short message", "retry": "Hang up and call again later",
                   "hangup": "Hang up for good"}
MESSAGE_LANGS = {"pl": "Polish", "en": "English"}
# a voice campaign's calls today (the page's table)
VOICE_OUTCOME_LABELS = {k: creport.VOICE_OUTCOME_LABELS[k] for k in (
    "listened", "pressed", "connected", "answered", "machine", "noanswer", "busy", "failed",
    "invalid", "cancelled")}
NO_PROMPT_FILE = ("The recorded message is one of Asterisk's own sounds: "
                  "there is no file here to play.")
VOICE_FIELDS = ("message_prompt", "message_text", "message_lang", "connect_key", "repeat_key",
                "max_repeats", "machine_action", "machine_prompt", "machine_text", "max_lines")


# -- list and status --------------------------------------------------------------------

@bp.route("/")
@role_required(*ROLES)
def index():
    rows = []
    for c in store.campaigns(db()):
        rows.append({**c, "progress": store.progress(db(), c["id"]),
                     "actions": [s for s in STATUS_ACTIONS if store.can_go(c["status"], s)]})
    return render_template("campaigns.html", campaigns=rows, modes=MODES,
                           status_actions=STATUS_ACTIONS)


@bp.route("/<int:cid>/status", methods=["POST"])
@role_required(*ROLES)
def set_status(cid: int):
    _campaign_or_404(cid)
    status = request.form.get("status", "")
    try:
        store.set_status(db(), cid, status, g.user["username"])
    except StoreError as exc:
        flash(_("Not changed: {error}", error=_(str(exc))), "error")
    else:
        flash({"running": "Campaign started.", "paused": "Campaign paused.",
               "stopped": "Campaign stopped."}.get(status, "Saved."), "ok")
    target = request.form.get("next", "")
    if target == "view":
        return redirect(url_for(".view", cid=cid))
    return redirect(url_for(".index"))


# -- the form ---------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new():
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if name and store.campaign(db(), name) is not None:
            return _form(_posted(), None, store.E_EXISTS)
        return _save(name, None)
    return _form(_values(dict(store.DEFAULTS, lists=[], queue="")), None)


@bp.route("/<int:cid>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit(cid: int):
    row = _campaign_or_404(cid)
    if request.method == "POST":
        return _save(row["name"], row)
    return _form(_values(row), row)


def _values(row: dict) -> dict:
    """The form's values from a stored campaign (retry delays in minutes)."""
    f = {k: row.get(k) for k in store.DEFAULTS}
    for key in RETRIES:
        minutes = (row.get(key) or 0) / 60
        f[key] = int(minutes) if float(minutes).is_integer() else round(minutes, 2)
    f["weekdays"] = list(row.get("weekdays") or "")
    f["lists"] = [str(i) for i in row.get("lists") or []]
    f["queue"] = row.get("queue") or ""
    f["name"] = row.get("name", "")
    f["start_date"], f["end_date"] = row.get("start_date") or "", row.get("end_date") or ""
    f["abandon_cap"] = _number_text(row.get("abandon_cap"))
    f["max_ratio"] = _number_text(row.get("max_ratio"))
    return f


def _number_text(value) -> str:
    if value is None or value == "":
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def _posted(row: dict | None = None) -> dict:
    """The form as typed, for showing it again after a refusal (a form without the kind or
    voice mailing fields, as older pages post it, keeps the stored values or the defaults)."""
    form = request.form
    f = {k: form.get(k, "") for k in store.DEFAULTS if k not in ("weekdays", "amd")}
    for key in ("kind",) + VOICE_FIELDS:
        if key not in form:
            f[key] = (row or store.DEFAULTS)[key]
    f["name"] = form.get("name", "")
    f["queue"] = form.get("queue", "")
    f["weekdays"] = form.getlist("weekdays")
    f["lists"] = form.getlist("lists")
    f["amd"] = 1 if form.get("amd") else 0
    return f


def _save(name: str, row: dict | None):
    f = _posted(row)
    fields = {k: f[k] for k in store.DEFAULTS if k not in RETRIES}
    fields["weekdays"] = "".join(f["weekdays"])
    fields["start_date"] = f["start_date"] or None
    fields["end_date"] = f["end_date"] or None
    for key in RETRIES:
        fields[key] = _minutes_to_seconds(f[key])
    try:
        lists = [int(i) for i in f["lists"]]
    except ValueError:
        return _form(f, row, store.E_NO_LIST)
    try:
        cid = store.save_campaign(db(), name, user=g.user["username"], queue=f["queue"],
                                  lists=lists, **fields)
    except StoreError as exc:
        return _form(f, row, _error_text(str(exc)))
    saved = store.campaign(db(), cid)
    flash(_("Campaign {name} saved.", name=saved["name"]), "ok")
    for warning in store.warnings(saved):
        flash(warning, "info")
    return redirect(url_for(".view", cid=cid))


def _error_text(error: str) -> str:
    """A refusal that names a value ("<fixed text>: {amount}"): the fixed text translated,
    the value as typed."""
    head, sep, value = error.partition(": {")
    if sep and head in store.ERRORS:
        return _("{error}: {value}", error=_(head), value="{" + value)
    return error


def _minutes_to_seconds(raw: str):
    """Minutes as typed -> whole seconds; anything else goes to the store to be refused."""
    try:
        return round(float(str(raw).strip().replace(",", ".")) * 60)
    except ValueError:
        return raw


def _form(f: dict, row: dict | None, error: str | None = None):
    lists = list(db().query(
        "SELECT l.id, l.name, l.fields, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) "
        "AS contacts FROM contact_lists l ORDER BY l.name"))
    fields: list[str] = []
    for item in lists:
        try:
            for name in json.loads(item["fields"] or "[]"):
                if isinstance(name, str) and name not in fields:
                    fields.append(name)
        except ValueError:
            pass
    queues = list(db().query("SELECT name, title FROM queues ORDER BY name"))
    return render_template(
        "campaign_edit.html", f=f, campaign=row, error=error, lists=lists, queues=queues,
        prompts=store.prompt_choices(db()), modes=MODES, rules=RULES, retries=RETRIES,
        weekdays=WEEKDAYS, placeholders=["name"] + fields, kinds=KINDS,
        machine_actions=MACHINE_ACTIONS, message_langs=MESSAGE_LANGS,
        connect_keys=store.CONNECT_KEYS, repeat_keys=store.REPEAT_KEYS,
        warnings=store.warnings(row) if row else []), 200 if error is None else 400


# -- live progress --------------------------------------------------------------------------

@bp.route("/<int:cid>/")
@role_required(*ROLES)
def view(cid: int):
    row = _campaign_or_404(cid)
    voice = row["kind"] == "voice"
    return render_template("campaign.html", campaign=row, p=_progress(cid), poll_ms=POLL_MS,
                           state_labels=STATE_LABELS,
                           outcome_labels=VOICE_OUTCOME_LABELS if voice else OUTCOME_LABELS,
                           sample=_sample(row) if voice else None,
                           modes=MODES, status_actions=STATUS_ACTIONS,
                           actions=[s for s in STATUS_ACTIONS if store.can_go(row["status"], s)],
                           warnings=store.warnings(row))


@bp.route("/<int:cid>/progress.json")
@role_required(*ROLES)
def progress_json(cid: int):
    _campaign_or_404(cid)
    return jsonify(_progress(cid))


def _progress(cid: int) -> dict:
    """store.progress with what the page shows in words: status, why, rates as text."""
    p = store.progress(db(), cid)
    dialer = p["dialer"] or {}
    if p["status"] != "running" and p["status"] != "paused":
        why = NOT_RUNNING[p["status"]]
    elif not p["dialer_running"]:
        why = NOT_RUNNING["dialer_down"]
    elif p["status"] == "paused":
        why = WHY["paused"]
    else:
        why = WHY.get(p["idle_reason"], p["idle_reason"])
    p["why"] = _(why)
    p["status_text"] = _("campaign_status:" + p["status"])
    p["abandon_text"] = f"{p['abandon']['rate']:.1f} %"
    p["cap_text"] = f"{p['abandon']['cap']:.1f} %"
    p["over_cap"] = p["abandon"]["rate"] > p["abandon"]["cap"]
    p["percent_text"] = f"{p['percent']:.1f} %"
    p["dial_level_text"] = (f"{float(dialer['dial_level']):.2f}"
                            if isinstance(dialer.get("dial_level"), (int, float)) else "—")
    for key in ("logged_in", "free", "ringing", "waiting", "lines"):
        p[key] = dialer.get(key, "—") if p["dialer_running"] else "—"
    p["message_error"] = dialer.get("error", "") if p["dialer_running"] else ""
    return p


# -- voice mailing: the message as a contact hears it --------------------------------------

def _sample(row: dict, contact_id: int | None = None) -> dict | None:
    """A contact of the campaign's lists (the first, or `contact_id`) and its message text."""
    if contact_id is None:
        found = db().execute(
            "SELECT c.id FROM contacts c JOIN campaign_lists cl ON cl.list_id = c.list_id "
            "WHERE cl.campaign_id = ? ORDER BY c.id LIMIT 1", [row["id"]]).fetchone()
    else:
        found = db().execute(
            "SELECT c.id FROM contacts c JOIN campaign_lists cl ON cl.list_id = c.list_id "
            "WHERE cl.campaign_id = ? AND c.id = ?", [row["id"], contact_id]).fetchone()
    if not found:
        return None
    values = voicecast.contact_values(db(), found[0])
    return {"id": found[0], "name": values.get("name") or values.get("phone"),
            "text": voicecast.personal_text(row["message_text"], values)
            if not row["message_prompt"] else ""}


@bp.route("/<int:cid>/listen.wav")
@role_required(*ROLES)
def listen(cid: int):
    """The message for a sample contact (?contact=<id>, default the first), spoken now."""
    row = _campaign_or_404(cid)
    if row["kind"] != "voice":
        abort(404)
    try:
        wanted = int(request.args["contact"]) if request.args.get("contact") else None
    except ValueError:
        abort(400, _("No such contact in this campaign's lists."))
    if row["message_prompt"]:
        prompts_dir = current_app.config.get("PROMPTS_DIR")
        for lang in (row["message_lang"], "pl", "en"):
            path = Path(prompts_dir or "/nonexistent") / lang / f"{row['message_prompt']}.wav"
            if prompts_dir and path.is_file():
                return Response(path.read_bytes(), mimetype="audio/wav")
        abort(404, _(NO_PROMPT_FILE))
    sample = _sample(row, wanted)
    if sample is None:
        abort(404, _("No such contact in this campaign's lists."))
    with tempfile.TemporaryDirectory(prefix="jns-listen-") as tmp:
        path = Path(tmp) / "message.wav"
        try:
            sounds.synthesize(sample["text"], row["message_lang"], path)
        except sounds.SoundError as exc:
            abort(503, str(exc))
        body = path.read_bytes()
    return Response(body, mimetype="audio/wav")


# -- the report -----------------------------------------------------------------------------

@bp.route("/<int:cid>/report")
@role_required(*ROLES)
def report(cid: int):
    row = _campaign_or_404(cid)
    first, last, error = _range(row)
    rep = None
    if error is None:
        try:
            rep = creport.build(db(), cid, first, last)
        except StoreError as exc:
            error = _(str(exc))
    chart = None
    if rep is not None and rep.voice:
        t = rep.voice_totals
        keys = [c for c in creport.VOICE_TOTAL_COLUMNS if c.key not in ("numbers", "waiting")]
        chart = charts.bar_chart([_(c.label) for c in keys],
                                 [(_("Numbers"), [t.get(c.key, 0) for c in keys])],
                                 title=_("Numbers by what came of them"), width=900)
    elif rep is not None:
        keys = ("connected", "abandoned", "machine", "noanswer", "busy", "failed", "invalid",
                "cancelled")
        chart = charts.bar_chart([d["day"][5:] for d in rep.days],
                                 [(_(OUTCOME_LABELS[k]), [d[k] for d in rep.days]) for k in keys],
                                 title=_("Calls per day by outcome"), kind="stacked")
    return render_template("campaign_report.html", campaign=row, rep=rep, chart=chart,
                           error=error, first=request.args.get("from", first.isoformat()),
                           last=request.args.get("to", last.isoformat()), fmt=_show), \
        200 if error is None else 400


@bp.route("/<int:cid>/report.<fmt>")
@role_required(*ROLES)
def report_file(cid: int, fmt: str):
    row = _campaign_or_404(cid)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    first, last, error = _range(row)
    if error is not None:
        abort(400, error)
    try:
        rep = creport.build(db(), cid, first, last)
    except StoreError as exc:
        abort(400, _(str(exc)))
    name = f"campaign-{row['name']}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        out = io.StringIO()
        creport.write_csv(rep, out, _)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers=headers)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        creport.write_xlsx(rep, path, _)
        with open(path, "rb") as data:
            body = data.read()
    finally:
        os.unlink(path)
    return Response(body, headers=headers, mimetype="application/vnd.openxmlformats-"
                    "officedocument.spreadsheetml.sheet")


def _range(row: dict) -> tuple[dt.date, dt.date, str | None]:
    """The report's days from ?from=&to= (default: the last 7 days up to today)."""
    today = dt.date.today()
    first, last = today - dt.timedelta(days=6), today
    try:
        if request.args.get("from"):
            first = dt.date.fromisoformat(request.args["from"].strip())
        if request.args.get("to"):
            last = dt.date.fromisoformat(request.args["to"].strip())
    except ValueError:
        return first, last, _("Dates: use YYYY-MM-DD, e.g. 2025-03-01.")
    if last < first:
        return first, last, _("The end date is before the start date.")
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        return first, last, _("A report covers at most {n} days; choose a shorter range.",
                              n=MAX_REPORT_DAYS)
    return first, last, None


def _show(value, kind: str) -> str:
    """A report value as the page shows it (report.cell gives the files the same number)."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{float(value):.1f} %"
    if kind == "number":
        return f"{float(value):.1f}"
    if kind == "seconds":
        seconds = int(round(float(value)))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if kind == "int":
        return str(int(value))
    if kind == "outcome":
        return creport.outcome_text(value, _)
    return _(str(value)) if value in ("Total", "yes", "no", "(none yet)") else str(value)


def _campaign_or_404(cid: int) -> dict:
    row = store.campaign(db(), cid)
    if row is None:
        abort(404)
    return row
