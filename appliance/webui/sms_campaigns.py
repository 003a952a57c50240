"""SMS campaigns `/campaigns/sms/` (AUTO-3): the list, the form, the preview, the report.

- `/campaigns/sms/`: every SMS campaign with a bar of its messages (delivered, sent,
  queued, failed, skipped of the total) and the buttons its status allows;
- `/campaigns/sms/new`, `/<id>/edit`: the form (a draft or a paused campaign); the text box
  counts characters, encoding and parts as typed (static/sms_campaign.js), the server's
  preview is the truth;
- `/<id>/`: the preview over the whole audience (recipients, do-not-call, GSM 7-bit vs
  UCS-2 and why, parts, cost, a sample text) next to Start, and the progress;
- `/<id>/report` and `/<id>/report.csv`: per number state, parts, times, error and reply.

Admins and supervisors; agents get 403.  The panel writes the campaign and its status only:
jns-modemd's round (appliance.campaigns.sms_campaigns.run) queues and sends.
"""
from __future__ import annotations

import io
import time

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   url_for)
from markupsafe import Markup, escape

from ..campaigns import sms_campaigns as store
from ..hal import pdu
from ..store.db import StoreError
from . import charts
from .auth import db, role_required
from .i18n import _

bp = Blueprint("sms_campaigns", __name__, url_prefix="/campaigns/sms")

ROLES = ("admin", "supervisor")
WEEKDAYS = (("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri"),
            ("6", "Sat"), ("7", "Sun"))
STATUS_ACTIONS = {"running": "Start", "paused": "Pause the campaign", "stopped": "Stop"}
FLASHES = {"running": "SMS campaign started.", "paused": "SMS campaign paused.",
           "stopped": "SMS campaign stopped."}
# the bar's segments: state, colour
SEGMENTS = (("delivered", "#2e8b57"), ("sent", "#2f6fb3"), ("queued", "#8fb8de"),
            ("failed", "#c0392b"), ("dnc", "#9aa3ab"))
REPORT_ROWS = 2000


# -- list and status --------------------------------------------------------------------------

@bp.route("/")
@role_required(*ROLES)
def index():
    rows = [{**c, "actions": [s for s in STATUS_ACTIONS if store.can_go(c["status"], s)],
             "bar": progress_bar(c["progress"])} for c in store.campaigns(db())]
    return render_template("sms_campaigns/index.html", campaigns=rows,
                           status_actions=STATUS_ACTIONS, modem_ready=_modem_ready())


@bp.route("/<int:cid>/status", methods=["POST"])
@role_required(*ROLES)
def set_status(cid: int):
    _campaign_or_404(cid)
    status = request.form.get("status", "")
    try:
        store.set_status(db(), cid, status)
    except StoreError as exc:
        flash(_("Not changed: {error}", error=error_text(exc)), "error")
    else:
        flash(FLASHES.get(status, "Saved."), "ok")
    if request.form.get("next") == "view":
        return redirect(url_for(".view", cid=cid))
    return redirect(url_for(".index"))


def error_text(exc: StoreError) -> str:
    """The store's refusal in the page's language (a placeholder's name filled in)."""
    if isinstance(exc, store.PlaceholderError):
        return _(store.E_PLACEHOLDER, placeholder=exc.placeholder)
    return _(str(exc))


def _modem_ready() -> bool:
    return bool(store.ready_modems(db()))


def progress_bar(p: dict, width: int = 240, height: int = 14) -> Markup:
    """The messages as one stacked SVG bar (no inline styles: the panel's CSP), each
    segment with its count as a tooltip; the empty rest is what is still to send."""
    total = p["total"] or 1
    x, marks = 0.0, []
    for state, colour in SEGMENTS:
        n = p.get(state, 0)
        if not n:
            continue
        w = width * n / total
        label = escape(f"{_('smscamp_state:' + state)}: {n}")
        marks.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" '
                     f'fill="{colour}"><title>{label}</title></rect>')
        x += w
    summary = escape(_("{done} of {total} messages done", done=p["finished"], total=p["total"]))
    return Markup(f'<svg class="smsbar" role="img" aria-label="{summary}" width="{width}" '
                  f'height="{height}" viewBox="0 0 {width} {height}">'
                  f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef1f4" '
                  f'stroke="#c9d0d6"/>{"".join(marks)}</svg>')


# -- the form -----------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new():
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if name and store.campaign(db(), name) is not None:
            return _form(_posted(), None, store.E_EXISTS)
        return _save(name, None)
    return _form({**store.DEFAULTS, "weekdays": list(store.DEFAULTS["weekdays"]),
                  "price_per_part": "0", "lists": [], "name": ""}, None)


@bp.route("/<int:cid>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit(cid: int):
    row = _campaign_or_404(cid)
    if row["status"] not in store.EDITABLE:
        flash(store.E_NOT_EDITABLE, "error")
        return redirect(url_for(".view", cid=cid))
    if request.method == "POST":
        return _save(row["name"], row)
    f = {k: row[k] for k in store.DEFAULTS}
    f["weekdays"] = list(row["weekdays"])
    f["lists"] = [str(i) for i in row["lists"]]
    f["price_per_part"] = _number_text(row["price_per_part"])
    return _form(f, row)


def _number_text(value) -> str:
    value = float(value or 0)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _posted() -> dict:
    """The form as typed, for showing it again after a refusal."""
    form = request.form
    f = {k: form.get(k, "") for k in store.DEFAULTS}
    f["name"] = form.get("name", "")
    f["weekdays"] = form.getlist("weekdays")
    f["lists"] = form.getlist("lists")
    return f


def _save(name: str, row: dict | None):
    f = _posted()
    fields = {k: f[k] for k in store.DEFAULTS}
    fields["weekdays"] = "".join(f["weekdays"])
    try:
        list_ids = [int(i) for i in f["lists"]]
    except ValueError:
        return _form(f, row, store.E_NO_LIST)
    try:
        cid = store.save_campaign(db(), name, user=g.user["username"], lists=list_ids, **fields)
    except StoreError as exc:
        return _form(f, row, error_text(exc))
    flash(_("SMS campaign {name} saved: check the preview, then start it.", name=name), "ok")
    return redirect(url_for(".view", cid=cid))


def _form(f: dict, row: dict | None, error: str | None = None):
    contact_lists = list(db().query(
        "SELECT l.id, l.name, l.fields, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) "
        "AS contacts FROM contact_lists l ORDER BY l.name COLLATE NOCASE"))
    fields: list[str] = []
    for item in contact_lists:
        for name in store.list_fields(db(), [item["id"]])[0]:
            if name not in fields:
                fields.append(name)
    return render_template(
        "sms_campaigns/edit.html", f=f, campaign=row, error=error, lists=contact_lists,
        placeholders=["name"] + sorted(fields), weekdays=WEEKDAYS,
        gsm7=pdu.GSM7_DEFAULT.replace("\x1b", ""), gsm7_ext="".join(pdu.GSM7_EXTENSION.values()),
        max_text=store.MAX_TEXT), 200 if error is None else 400


# -- the campaign: preview and progress ------------------------------------------------------------

@bp.route("/<int:cid>/")
@role_required(*ROLES)
def view(cid: int):
    row = _campaign_or_404(cid)
    p = store.progress(db(), cid)
    return render_template(
        "sms_campaigns/view.html", campaign=row, p=p, bar=progress_bar(p, width=480, height=18),
        preview=store.preview(db(), cid), modem_ready=_modem_ready(),
        in_window=store.in_window(row, time.time()), status_actions=STATUS_ACTIONS,
        actions=[s for s in STATUS_ACTIONS if store.can_go(row["status"], s)],
        weekdays=dict(WEEKDAYS))


# -- the report -----------------------------------------------------------------------------------

@bp.route("/<int:cid>/report")
@role_required(*ROLES)
def report(cid: int):
    _campaign_or_404(cid)
    rep = store.report(db(), cid)
    t = rep["totals"]
    states = [s for s, _c in SEGMENTS] + ["pending"]
    chart = charts.bar_chart([_("smscamp_state:" + s) for s in states],
                             [(_("Messages"), [t[s] for s in states])],
                             title=_("Messages by state"))
    return render_template("sms_campaigns/report.html", campaign=rep["campaign"], rep=rep,
                           numbers=rep["numbers"][:REPORT_ROWS], limit=REPORT_ROWS,
                           chart=chart, when=_when)


@bp.route("/<int:cid>/report.csv")
@role_required(*ROLES)
def report_csv(cid: int):
    row = _campaign_or_404(cid)
    out = io.StringIO()
    store.write_csv(store.report(db(), cid), out, _)
    name = f"sms-campaign-{row['name']}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _when(at) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else "—"


def _campaign_or_404(cid: int) -> dict:
    row = store.campaign(db(), cid)
    if row is None:
        abort(404)
    return row
