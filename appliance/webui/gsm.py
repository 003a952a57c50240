"""GSM pages (IMG-8): `/admin/modems/` (admin) and `/sms/` (admin and supervisor).

Modems: each modem's state, SIM, operator, signal (bars and dBm), registration, IMEI/IMSI,
model and last error as the modem service wrote them; a PIN form (`sms.set_pin`: the
service enters it once) and a form to add a port by hand (`sms.add_modem`).
SMS: compose (number, text; the page counts characters, encoding and parts, and the
server says the same when the message is queued), the outbox with each message's status
and delivery, and the inbox.  Queueing is one `sms.queue_sms` call.

Only store functions here: the web layer never opens a serial port or talks to a modem.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..hal import pdu
from ..store import sms
from ..store.db import StoreError
from .auth import db, role_required
from .dashboard import since
from .i18n import _

bp = Blueprint("modems", __name__, url_prefix="/admin/modems")
sms_bp = Blueprint("sms", __name__, url_prefix="/sms")

LIST_LIMIT = 100


def signal_bars(rssi: int | None) -> int:
    """+CSQ rssi 0..31 -> 0..5 bars (None, i.e. unknown, shows no bars)."""
    if rssi is None:
        return 0
    for bars, floor in ((5, 20), (4, 15), (3, 10), (2, 6), (1, 2)):
        if rssi >= floor:
            return bars
    return 0


def text_info(text: str) -> dict:
    """Characters, encoding and parts of `text` as it will be sent (pdu.split decides)."""
    try:
        encoding, parts = pdu.split(text)
    except pdu.PduError:
        return {"chars": len(text), "encoding": "ucs2", "parts": None}
    return {"chars": len(text), "encoding": encoding, "parts": len(parts) if text else 0}


# -- modems ----------------------------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    if request.method == "POST":
        port = (request.form.get("port") or "").strip()
        try:
            sms.add_modem(db(), port, (request.form.get("name") or "").strip())
        except StoreError as exc:
            return _modems_page(request.form, str(exc))
        flash(_("Port {port} added; the modem service will probe it.", port=port), "ok")
        return redirect(url_for(".index"))
    return _modems_page({})


@bp.route("/<int:modem_id>/pin", methods=["POST"])
@role_required("admin")
def pin(modem_id: int):
    if sms.modem(db(), modem_id) is None:
        abort(404)
    try:
        sms.set_pin(db(), modem_id, request.form.get("pin") or "")
    except StoreError as exc:
        return _modems_page({}, str(exc), pin_for=modem_id)
    flash(_("PIN saved; the modem service enters it once."), "ok")
    return redirect(url_for(".index"))


def _modems_page(form, error: str | None = None, pin_for: int | None = None):
    return render_template("gsm_modems.html", modems=sms.modems(db()), f=form, error=error,
                           pin_for=pin_for, bars=signal_bars, when=since), 400 if error else 200


# -- SMS -------------------------------------------------------------------------------------

@sms_bp.route("/", methods=["GET", "POST"])
@role_required("admin", "supervisor")
def index():
    if request.method == "POST" and request.form.get("action") == "count":
        return _sms_page(request.form)   # the counter, computed here (no script in pages)
    if request.method == "POST":
        number = (request.form.get("number") or "").strip()
        text = request.form.get("text") or ""
        try:
            sms.queue_sms(db(), number, text, purpose="manual")
        except StoreError as exc:
            return _sms_page(request.form, str(exc))
        info = text_info(text)
        flash(_("Message to {number} queued: {encoding}, {parts} part(s).", number=number,
                encoding=_("encoding:" + info["encoding"]), parts=info["parts"]), "ok")
        return redirect(url_for(".index"))
    return _sms_page({})


def _sms_page(form, error: str | None = None):
    text = form.get("text") or ""
    return render_template("gsm_sms.html", f=form, error=error, info=text_info(text),
                           outbox=sms.outbox(db(), limit=LIST_LIMIT),
                           inbox=sms.inbox(db(), limit=LIST_LIMIT), when=since,
                           modems=sms.modems(db()), max_text=sms.MAX_TEXT), \
        400 if error else 200
