"""Hardware `/admin/hardware/` (HAL-1, HAL-2, IMG-7): sensors, the LED pattern, DAHDI cards
with their ports and alarms, and the DAHDI configuration of each span.

What the box has and how it is doing comes from the hardware snapshot the watchdog writes
(`appliance.hal.status`: the app's HARDWARE_STATUS callable, else the file
HARDWARE_STATUS_FILE, else the box's default path); this page never reads I2C, sysfs or
DAHDI itself.  Saving a span or its ports is one transaction of `appliance.store.hardware`
calls; the service that applies configuration writes system.conf, runs dahdi_cfg and
reloads chan_dahdi - never this page.
Admins change; supervisors may look.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from ..hal import dahdi as hal_dahdi
from ..hal import leds as hal_leds
from ..hal import status as hal_status
from ..hal.sensors import Threshold
from ..store import alerts, hardware
from ..store.db import StoreError, transaction
from .auth import db, role_required
from .forms import FormError, whole_number
from .i18n import _

bp = Blueprint("hardware", __name__, url_prefix="/admin/hardware")

# LED pattern -> what a technician sees and what it means (catalogue ids)
LED_TEXT = {
    "ok": "Green steady: everything is fine",
    "warning": "Red blinking slowly: a warning (see Alarms)",
    "fault": "Red blinking fast: a fault needs attention now",
    "no_network": "Modem LED flashing briefly: no mobile network or no modem",
    "update": "Green pulsing (heartbeat): a firmware update is in progress",
}
PORT_STATES = {"OK": "port:ok", "No module": "port:no_module", "FAILED": "port:failed",
               "Not configured": "port:not_configured", "Not readable": "port:not_readable"}


def _status() -> dict[str, Any] | None:
    provider = current_app.config.get("HARDWARE_STATUS")
    if callable(provider):
        return provider()
    # the box's file (JNS_HARDWARE_STATUS, default /run/jns/hardware.json) unless configured
    return hal_status.read(current_app.config.get("HARDWARE_STATUS_FILE"))


def _spans(status: dict | None) -> list[dict[str, Any]]:
    """Detected spans joined with their stored configuration; configured spans whose card
    is not detected are listed too (marked), so nothing configured is hidden."""
    configured = {s["span"]: s for s in hardware.dahdi_config(db())}
    detected = {s["number"]: s for s in (status or {}).get("dahdi", [])}
    out = []
    for number in sorted(set(configured) | set(detected)):
        span = dict(detected.get(number) or {"number": number, "ports": [], "alarms": [],
                                             "kind": configured[number]["kind"]})
        span["detected"] = number in detected
        span["config"] = configured.get(number)
        out.append(span)
    return out


@bp.route("/")
@role_required("admin", "supervisor")
def index():
    status = _status()
    names = hardware.sensor_names(db())
    limits = {r["check"]: r for r in alerts.rules(db())}
    readings = [dict(r, name=names.get(r["source"], ""), **_level(r, limits))
                for r in (status or {}).get("sensors", [])]
    led = (status or {}).get("leds") or ""
    return render_template("hardware.html", status=status, readings=readings, led=led,
                           led_text=LED_TEXT.get(led, ""), spans=_spans(status),
                           alarm_text=hal_dahdi.ALARM_TEXT, port_states=PORT_STATES,
                           patterns=hal_leds.PRIORITY)


@bp.route("/sensors", methods=["POST"])
@role_required("admin")
def name_sensor():
    source = (request.form.get("source") or "").strip()
    try:
        hardware.set_sensor_name(db(), source, request.form.get("name") or "")
    except StoreError as exc:
        flash(_("Not saved: {error}", error=_(str(exc))), "error")
    else:
        flash(_("Sensor name saved."), "ok")
    return redirect(url_for(".index") + "#sensors")


@bp.route("/dahdi/<int:number>", methods=["GET", "POST"])
@role_required("admin")
def span(number: int):
    spans = {s["number"]: s for s in _spans(_status())}
    if number not in spans:
        abort(404)
    span = spans[number]
    if request.method == "POST":
        try:
            _save(span, request.form)
        except StoreError as exc:
            return _form(span, request.form, str(exc))
        flash(_("Span {n} saved; the box applies it to the card and the telephone system.",
                n=number), "ok")
        return redirect(url_for(".span", number=number))
    return _form(span, _values(span))


@bp.route("/dahdi/<int:number>/delete", methods=["POST"])
@role_required("admin")
def delete_span(number: int):
    try:
        hardware.delete_span(db(), number)
    except StoreError as exc:
        flash(_("Not deleted: {error}", error=_(str(exc))), "error")
    else:
        flash(_("The configuration of span {n} was removed.", n=number), "ok")
    return redirect(url_for(".index") + "#dahdi")


def _level(reading: dict, limits: dict[str, dict]) -> dict[str, Any]:
    """The reading against the watchdog's limits for it (Alarms page): temperatures of
    I2C chips are "sensor", other temperatures "temperature"; no limits for the rest."""
    if reading["kind"] != "temperature" or reading["value"] is None:
        return {"level": "", "limits": None}
    where = reading["source"] + reading["sensor"]
    rule = limits.get("sensor" if "i2c-" in where else "temperature")
    if not rule or not rule["enabled"]:
        return {"level": "", "limits": None}
    level = Threshold(rule["warning"], rule["critical"], 0, rule["above"]).update(reading["value"])
    return {"level": level, "limits": (rule["warning"], rule["critical"])}


def _kind(span: dict) -> str:
    """analog, or the line type to offer first for a digital span."""
    if span["config"]:
        return span["config"]["kind"]
    return span["kind"] if span["kind"] in ("analog", *hardware.SPAN_KINDS) else "E1"


def _ports(span: dict) -> list[dict[str, Any]]:
    """Analog ports: detected ones (module from the card), else the configured ones."""
    stored = {p["channel"]: p for p in (span["config"] or {}).get("ports", [])}
    if span["detected"]:
        ports = [{"channel": p["channel"], "module": p["signalling"], "state": p["state"]}
                 for p in span["ports"]]
    else:
        ports = [{"channel": c, "module": p["module"], "state": ""} for c, p in stored.items()]
    for port in ports:
        port["config"] = stored.get(port["channel"])
    return ports


def _values(span: dict) -> dict[str, Any]:
    cfg = span["config"]
    kind = _kind(span)
    if kind == "analog":
        values: dict[str, Any] = {}
        for port in _ports(span):
            c, p = port["channel"], port["config"]
            module = port["module"]
            values.update({f"use_{c}": "1" if (p["enabled"] if p else False) else "",
                           f"title_{c}": p["title"] if p else "",
                           f"group_{c}": p["group"] if p else 0,
                           f"context_{c}": p["context"] if p else
                           hardware.PORT_CONTEXT.get(module, "from-trunk"),
                           f"lang_{c}": p["lang"] if p else "pl"})
        return values
    if cfg:
        return {k: cfg[k] for k in ("kind", "framing", "coding", "crc4", "timing", "signalling",
                                    "switchtype", "group", "context", "lang", "enabled")}
    return {"kind": kind, **hardware.SPAN_DEFAULTS[kind], "timing": 1,
            "switchtype": "euroisdn", "group": 0, "context": "from-trunk", "lang": "pl",
            "enabled": 1}


def _save(span: dict, form) -> None:
    number = span["number"]
    first, count = span.get("basechan") or 0, span.get("totchans") or 0
    if span["config"]:
        first, count = span["config"]["first_channel"], span["config"]["channels"]
    if _kind(span) == "analog":
        with transaction(db()):   # every port or none
            for port in _ports(span):
                c = port["channel"]
                if port["module"] not in hardware.MODULES:
                    continue
                hardware.save_port(
                    db(), c, span=number, first_channel=first, channels=count,
                    module=port["module"], enabled=bool(form.get(f"use_{c}")),
                    group=whole_number(form, f"group_{c}", "Group"),
                    context=form.get(f"context_{c}") or "", lang=form.get(f"lang_{c}") or "",
                    title=(form.get(f"title_{c}") or "").strip(),
                    description=span.get("description", ""))
        return
    kind = form.get("kind") or ""
    if kind not in hardware.SPAN_KINDS:
        raise FormError(_("Choose the line type: E1, T1 or BRI."))
    hardware.save_span(
        db(), number, kind, first_channel=first, channels=count,
        description=span.get("description", ""), enabled=bool(form.get("enabled")),
        framing=form.get("framing") or "", coding=form.get("coding") or "",
        crc4=bool(form.get("crc4")), timing=whole_number(form, "timing", "Clock source priority"),
        signalling=form.get("signalling") or "", switchtype=form.get("switchtype") or "",
        group=whole_number(form, "group", "Group"), context=form.get("context") or "",
        lang=form.get("lang") or "")


def _form(span: dict, values, error: str | None = None):
    kind = _kind(span)
    return render_template(
        "dahdi_span.html", span=span, f=values, error=error, kind=kind,
        ports=_ports(span) if kind == "analog" else [], kinds=hardware.SPAN_KINDS,
        framings=hardware.FRAMINGS, codings=hardware.CODINGS, signallings=hardware.SIGNALLINGS,
        switchtypes=hardware.SWITCHTYPES, contexts=hardware.CONTEXTS, langs=hardware.LANGS,
        alarm_text=hal_dahdi.ALARM_TEXT, port_states=PORT_STATES), 400 if error else 200
