"""Call-center alarms `/supervisor/alarms/` (SUP-3): what the supervisor decides.

- the open call-center alarms (acknowledged through the alarms page's own action),
- the all-queues rule of each call-center check (store.alerts.CALLD_CHECKS: agents
  taking calls, callers waiting, longest wait, service level, agent paused): on/off,
  warning and critical levels, hysteresis, repeat, escalation, channels (SMS, e-mail,
  LED, banner),
- per-queue rules: add one for a queue and a queue check (it starts as a copy of the
  all-queues rule with the levels typed), change it in its row, remove it (the queue goes
  back to the all-queues rule).

Admins and supervisors; the box-fault rules (disk, trunks, modems...) are not reachable
here: a rule id that is not a call-center check is 404.  Every change is one call to
appliance.store.alerts; a refusal shows the store's message with the input kept (400).
Where notifications go (SMTP, recipients) stays the admin's, on /admin/alarms/.  This
module never sends a notification and never talks to Asterisk or jns-calld.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import alerts as store_alerts
from ..store.db import StoreError
from .alerts import RULE_FLAGS, RULE_NUMBERS, num
from .auth import db, role_required
from .dashboard import since as when
from .i18n import _

bp = Blueprint("queue_alarms", __name__, url_prefix="/supervisor/alarms")

ROLES = ("admin", "supervisor")
NEW_OVERRIDE_NUMBERS = ("warning", "critical", "hysteresis")


def _rule_id_allowed(rule_id: str) -> bool:
    check, sep, queue = rule_id.partition(":")
    if not sep:
        return check in store_alerts.CALLD_CHECKS
    return check in store_alerts.QUEUE_CHECKS and bool(queue)


@bp.route("/")
@role_required(*ROLES)
def index():
    return _page()


@bp.route("/rules/<rule_id>", methods=["POST"])
@role_required(*ROLES)
def save_rule(rule_id: str):
    """One row of the page: an all-queues rule ("queue_waiting") or a queue's own rule
    ("queue_waiting:support"; it must exist already: new ones come through `add`)."""
    if not _rule_id_allowed(rule_id):
        abort(404)
    if ":" in rule_id and rule_id not in {r["check"] for r in store_alerts.overrides(db())}:
        abort(404)
    form = request.form
    fields: dict = {f: form[f].strip() for f in RULE_NUMBERS if f in form}
    fields.update({f: f in form for f in RULE_FLAGS})   # unticked boxes are not sent
    try:
        store_alerts.save_rule(db(), rule_id, **fields)
    except StoreError as exc:
        return _page(error=(rule_id, str(exc)), kept=(rule_id, form))
    flash(_("Alarm rule saved."), "ok")
    return redirect(url_for(".index") + f"#rule-{rule_id.replace(':', '-')}")


@bp.route("/overrides", methods=["POST"])
@role_required(*ROLES)
def add_override():
    form = request.form
    check, queue = form.get("check", ""), form.get("queue", "")
    try:
        if check not in store_alerts.QUEUE_CHECKS:
            raise StoreError("choose what to watch (a queue check)")
        if not queue:
            raise StoreError("choose a queue")
        fields = {f: form.get(f, "").strip() for f in NEW_OVERRIDE_NUMBERS
                  if form.get(f, "").strip()}     # empty: the all-queues value
        store_alerts.save_rule(db(), f"{check}:{queue}", enabled="enabled" in form, **fields)
    except StoreError as exc:
        return _page(error=("new", str(exc)), kept=("new", form))
    flash(_("Queue {queue} now has its own rule.", queue=queue), "ok")
    return redirect(url_for(".index") + f"#rule-{check}-{queue}")


@bp.route("/overrides/delete", methods=["POST"])
@role_required(*ROLES)
def delete_override():
    check, queue = request.form.get("check", ""), request.form.get("queue", "")
    if check not in store_alerts.QUEUE_CHECKS:
        abort(404)
    try:
        store_alerts.delete_override(db(), check, queue)
    except StoreError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Queue {queue} follows the rule for all queues again.", queue=queue), "ok")
    return redirect(url_for(".index") + "#overrides")


def _page(error: tuple[str, str] | None = None, kept: tuple[str, object] | None = None):
    book = store_alerts.rule_book(db())
    defaults = [book[c] for c in store_alerts.CALLD_CHECKS]
    overrides = store_alerts.overrides(db())
    new = {"check": "", "queue": "", "enabled": True, "warning": "", "critical": "",
           "hysteresis": ""}
    if kept:
        rule_id, form = kept
        if rule_id == "new":
            new.update({k: form.get(k, "") for k in ("check", "queue", *NEW_OVERRIDE_NUMBERS)})
            new["enabled"] = "enabled" in form
        for r in defaults + overrides:
            if r["check"] == rule_id:
                r.update({f: form.get(f, "") for f in RULE_NUMBERS if f in form})
                r.update({f: f in form for f in RULE_FLAGS})
    active = [a for a in store_alerts.active_alerts(db())
              if a["check"] in store_alerts.CALLD_CHECKS]
    queues = [dict(r) for r in db().query("SELECT name, title FROM queues ORDER BY name")]
    return render_template(
        "queue_alarms.html", active=active, defaults=defaults, overrides=overrides,
        queues=queues, queue_checks=store_alerts.QUEUE_CHECKS, new=new, error=error,
        when=when, num=num, titles={c: store_alerts.CHECKS[c]["title"]
                                    for c in store_alerts.CALLD_CHECKS}), 400 if error else 200
