"""Alarms `/admin/alarms/` and security `/admin/security/` (WD-1, WD-3, WD-4).

- `/admin/alarms/`: active alarms (acknowledge), and for admins the rules per check
  (enabled, thresholds, hysteresis, repeat, escalation, channels) and where notifications
  go (SMTP server, security, user, password - never shown back -, sender, e-mail and SMS
  recipients, minimum severities).
- `/admin/alarms/history`: alarms and metric samples over a chosen time range (dates or
  the presets 24 h / 7 d / 30 d), as server-drawn SVG charts with the alarms as marks, a
  table, and a CSV export.
- `/admin/security/`: blocked sources (unblock), recent failed logins by source, the
  blocking limits and the allow-list.
- `alarm_banner()` (a Jinja global): the active unacknowledged alarms for base.html's
  banner, most serious first, for admins and supervisors only.

Admins change everything; supervisors see and acknowledge alarms and see the history.
Every change is one call to appliance.store.alerts or appliance.store.security; a refusal
shows the store's message with the input kept.  This module never sends a notification,
never talks to Asterisk and never shows the SMTP password.
"""
from __future__ import annotations

import csv
import datetime
import io
import time

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   url_for)

from ..store import alerts as store_alerts
from ..store import security
from ..store.db import StoreError
from . import charts
from .auth import db, role_required
from .dashboard import since as when
from .i18n import _

bp = Blueprint("alarms", __name__, url_prefix="/admin/alarms")
security_bp = Blueprint("security", __name__, url_prefix="/admin/security")

VIEWERS = ("admin", "supervisor")
PRESETS = {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
FAILURES_SINCE_S = 24 * 3600
MAX_RANGE_S = 400 * 86400
FAILURE_BUCKETS = 48
MAX_CSV_POINTS = 200_000
NOTIFY_TEXT = ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "mail_from",
               "min_severity_email", "min_severity_sms")
RULE_NUMBERS = ("warning", "critical", "hysteresis", "repeat_min", "escalate_min")
RULE_FLAGS = ("enabled", "notify_sms", "notify_email", "notify_led", "notify_banner")

# metric sample name -> (title, unit, the alert check whose events are marked on it)
METRICS = {
    "cpu_pct": ("CPU busy", "%", "cpu"),
    "memory_used_pct": ("Memory used", "%", "memory"),
    "disk_used_pct": ("Data partition used", "%", "disk"),
    "disk_free_mb": ("Free space on the data partition", "MB", "disk"),
    "load_per_core": ("Load per CPU core", "", "load"),
    "cpu_temp_c": ("CPU temperature", "°C", "temperature"),
    "calls": ("Active calls", "", "channels"),
    "channels": ("Active channels", "", "channels"),
    "ami_rtt_ms": ("Asterisk answer time (AMI ping)", "ms", "ami_rtt"),
    "trunks_registered": ("Trunks registered", "", "trunk_registration"),
}
PREFIXED = {"sensor_": ("Sensor {name}", "°C", "sensor"),
            "gsm_rssi_": ("GSM signal {name} (0-31)", "", "gsm_signal")}


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(security_bp)
    app.jinja_env.globals.update(alarm_banner=alarm_banner, check_title=check_title)


def alarm_banner() -> list[dict]:
    """Active, unacknowledged alarms whose rule shows a banner, most serious first; only
    for admins and supervisors (empty for everyone else, and if the store fails)."""
    user = g.get("user")
    if not user or user["role"] not in VIEWERS:
        return []
    try:
        banner = {r["check"]: r["notify_banner"] for r in store_alerts.rules(db())}
        return [a for a in store_alerts.active_alerts(db())
                if not a["acknowledged_by"] and banner.get(a["check"], True)]
    except Exception:   # the banner must never take a page down
        return []


# -- alarms -------------------------------------------------------------------------------

@bp.route("/")
@role_required(*VIEWERS)
def index():
    return _page()


@bp.route("/<int:alert_id>/ack", methods=["POST"])
@role_required(*VIEWERS)
def acknowledge(alert_id: int):
    try:
        store_alerts.acknowledge(db(), alert_id, g.user["username"])
    except StoreError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Alarm acknowledged."), "ok")
    return redirect(_back(url_for(".index")))


@bp.route("/rules/<check>", methods=["POST"])
@role_required("admin")
def save_rule(check: str):
    if check not in store_alerts.CHECKS:
        abort(404)
    form = request.form
    fields: dict = {f: form[f].strip() for f in RULE_NUMBERS if f in form}
    fields.update({f: f in form for f in RULE_FLAGS})   # unticked boxes are not sent
    try:
        store_alerts.save_rule(db(), check, **fields)
    except StoreError as exc:
        return _page(rule_error=(check, str(exc)), rule_input=(check, form))
    flash(_("Rule for {check} saved.", check=_(store_alerts.CHECKS[check]["title"])), "ok")
    return redirect(url_for(".index") + f"#rule-{check}")


@bp.route("/notify", methods=["POST"])
@role_required("admin")
def save_notify():
    form = request.form
    fields = {k: form.get(k, "").strip() for k in NOTIFY_TEXT}
    fields["email_to"] = form.get("email_to", "")
    fields["sms_to"] = form.get("sms_to", "")
    fields["smtp_password"] = form.get("smtp_password", "")   # empty: keep the stored one
    try:
        store_alerts.save_notify_settings(db(), **fields)
    except StoreError as exc:
        kept = dict(form)
        kept.pop("smtp_password", None)
        return _page(notify_error=str(exc), notify_input=kept)
    flash(_("Notification settings saved."), "ok")
    return redirect(url_for(".index") + "#notify")


def num(value) -> str:
    """A stored number as an admin types it (70, not 70.0); typed text stays as it is."""
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def check_title(check: str) -> str:
    meta = store_alerts.CHECKS.get(check)
    return _(meta["title"]) if meta else check


def _page(rule_error=None, rule_input=None, notify_error=None, notify_input=None):
    admin = g.user["role"] == "admin"
    rules = store_alerts.rules(db()) if admin else []
    if rule_input:
        for r in rules:
            if r["check"] == rule_input[0]:
                form = rule_input[1]
                r.update({f: form.get(f, "") for f in RULE_NUMBERS if f in form})
                r.update({f: f in form for f in RULE_FLAGS})
    notify = store_alerts.notify_settings(db()) if admin else {}
    if notify_input:
        notify.update(notify_input)
        for key in ("email_to", "sms_to"):
            notify[key] = [x for x in notify_input.get(key, "").replace(",", " ").split() if x]
    status = 400 if (rule_error or notify_error) else 200
    return render_template(
        "alerts.html", active=store_alerts.active_alerts(db()), rules=rules, notify=notify,
        rule_error=rule_error, notify_error=notify_error, admin=admin, when=when, num=num,
        severities=store_alerts.SEVERITIES, smtp_security=store_alerts.SMTP_SECURITY), status


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


# -- history ----------------------------------------------------------------------------------

def time_range(args) -> tuple[float, float, str, str | None]:
    """(since, until, preset, error) from ?preset=24h|7d|30d or ?from=&to= (YYYY-MM-DD,
    local days, both included).  A bad range falls back to the last 24 h with an error."""
    now = time.time()
    preset = args.get("preset", "")
    start, end = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if (start or end) and not preset:
        try:
            first = datetime.datetime.strptime(start, "%Y-%m-%d") if start else None
            last = datetime.datetime.strptime(end, "%Y-%m-%d") if end else None
        except ValueError:
            return now - PRESETS["24h"], now, "24h", _(
                "Dates are year-month-day, like 2026-03-31; showing the last 24 hours.")
        until = (last + datetime.timedelta(days=1)).timestamp() if last else now
        since = first.timestamp() if first else until - PRESETS["24h"]
        if since >= until:
            return now - PRESETS["24h"], now, "24h", _(
                "The start date is after the end date; showing the last 24 hours.")
        if until - since > MAX_RANGE_S:
            return now - PRESETS["24h"], now, "24h", _(
                "Choose at most {days} days; showing the last 24 hours.", days=MAX_RANGE_S // 86400)
        return since, until, "", None
    preset = preset if preset in PRESETS else "24h"
    return now - PRESETS[preset], now, preset, None


def metric_info(name: str) -> tuple[str, str, str | None]:
    if name in METRICS:
        title, unit, check = METRICS[name]
        return _(title), unit, check
    for prefix, (title, unit, check) in PREFIXED.items():
        if name.startswith(prefix):
            return _(title, name=name[len(prefix):]), unit, check
    return name, "", None


@bp.route("/history")
@role_required(*VIEWERS)
def history():
    since, until, preset, error = time_range(request.args)
    history = store_alerts.alert_history(db(), since, until)
    names = store_alerts.metric_names(db())
    order = list(METRICS) + sorted(n for n in names if n not in METRICS)
    names = [n for n in order if n in names]
    data = store_alerts.samples(db(), names, since, until) if names else {}
    marks_by_check: dict[str, list] = {}
    for a in history:
        marks_by_check.setdefault(a["check"], []).append(
            (max(a["since"], since), a["severity"], a["text"]))
        if a["resolved_at"] and a["resolved_at"] <= until:
            marks_by_check[a["check"]].append((a["resolved_at"], "info",
                                              _("resolved: {text}", text=a["text"])))
    chart_list = []
    for name in names:
        title, unit, check = metric_info(name)
        chart_list.append({"name": name, "svg": charts.line_chart(
            data.get(name, []), since, until, title=title, unit=unit,
            marks=marks_by_check.get(check or "", []))})
    failures = failure_counts(since, until)
    if failures:
        chart_list.append({"name": "failed_logins", "svg": charts.line_chart(
            failures, since, until, title=_("Failed logins (SIP, AMI, panel)"),
            unit=_("per {minutes} min", minutes=round((until - since) / FAILURE_BUCKETS / 60)),
            marks=marks_by_check.get("security", []))})
    return render_template(
        "alerts_history.html", history=history, charts=chart_list, preset=preset, error=error,
        presets=PRESETS, when=when, since=since, until=until,
        day_from=time.strftime("%Y-%m-%d", time.localtime(since)),
        day_to=time.strftime("%Y-%m-%d", time.localtime(until - 1))), 400 if error else 200


def failure_counts(since: float, until: float) -> list[tuple[float, float]]:
    """Failed logins per time bucket (FAILURE_BUCKETS over the range); [] when none."""
    rows = security.failures_since(db(), since)
    if not rows:
        return []
    width = (until - since) / FAILURE_BUCKETS
    counts = [0] * FAILURE_BUCKETS
    for row in rows:
        if row["at"] <= until:
            counts[min(FAILURE_BUCKETS - 1, int((row["at"] - since) / width))] += 1
    return [(since + (i + 0.5) * width, float(n)) for i, n in enumerate(counts)]


@bp.route("/samples.csv")
@role_required(*VIEWERS)
def samples_csv():
    """Every stored measurement in the range: metric, time, value."""
    since, until, _preset, error = time_range(request.args)
    if error:
        abort(400, error)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "time", "value"])
    names = store_alerts.metric_names(db())
    data = store_alerts.samples(db(), names, since, until, max_points=MAX_CSV_POINTS)
    for name in names:
        for at, value in data.get(name, []):
            writer.writerow([name, _iso(at), f"{value:g}"])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_csv_name("measurements", since, until)}"'})


@bp.route("/history.csv")
@role_required(*VIEWERS)
def history_csv():
    since, until, _preset, error = time_range(request.args)
    if error:
        abort(400, error)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "check", "subject", "severity", "text", "since", "resolved_at",
                     "acknowledged_by", "notified"])
    for a in store_alerts.alert_history(db(), since, until, limit=100000):
        writer.writerow([a["id"], a["check"], a.get("subject", ""), a["severity"], a["text"],
                         _iso(a["since"]), _iso(a["resolved_at"]), a["acknowledged_by"] or "",
                         (a.get("notified") or "").strip().replace("\n", " | ")])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_csv_name("alarms", since, until)}"'})


def _csv_name(what: str, since: float, until: float) -> str:
    return (time.strftime(f"{what}-%Y%m%d", time.localtime(since))
            + time.strftime("-%Y%m%d.csv", time.localtime(until - 1)))


def _iso(epoch) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(epoch)))


# -- security -------------------------------------------------------------------------------

@security_bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    if request.method == "POST":
        form = request.form
        try:
            security.save_security_settings(
                db(), threshold=form.get("threshold", ""), window_s=form.get("window_s", ""),
                block_s=form.get("block_s", ""), allow_list=form.get("allow_list", ""))
        except StoreError as exc:
            return _security_page(form, str(exc))
        flash(_("Security settings saved."), "ok")
        return redirect(url_for(".index"))
    saved = security.security_settings(db())
    return _security_page({**saved, "allow_list": "\n".join(saved["allow_list"])})


@security_bp.route("/unblock", methods=["POST"])
@role_required("admin")
def unblock():
    address = request.form.get("address", "")
    try:
        removed = security.unblock_source(db(), address)
    except StoreError as exc:
        flash(str(exc), "error")
    else:
        if removed:
            flash(_("{address} is no longer blocked.", address=address), "ok")
        else:
            flash(_("{address} was not blocked.", address=address), "info")
    return redirect(url_for(".index"))


def _security_page(values, error: str | None = None):
    return render_template(
        "security.html", f=values, error=error, blocks=security.list_blocks(db()),
        failures=security.failures_by_source(db(), time.time() - FAILURES_SINCE_S),
        always=security.ALWAYS_ALLOWED, when=when), 400 if error else 200
