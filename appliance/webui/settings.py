"""Inbound-flow settings `/admin/settings` (IVR-3, IVR-4, IVR-5, REC-2, REC-4): the
operator key and where it leads, the default language, the recording policy (mode,
numbers, on-demand key), retention, the disk-space guard and the PIN limits.

A save is one `config.save_settings` call with every field; the store checks them all
before writing any.  Admin only; no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..store import config
from ..store.db import StoreError
from .auth import db, role_required
from .forms import targets
from .i18n import _

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")

REC_MODES = {"all": "Every call", "inbound": "Inbound calls only",
             "outbound": "Outbound calls only", "list": "Only calls with the numbers below",
             "none": "No automatic recording"}
# whole-number fields: name -> label
NUMBERS = {"rec_retention_days": "Keep recordings for (days, 0: forever)",
           "rec_min_free_mb": "Stop recording below this free space (MB)",
           "pin_max_tries": "PIN tries before the caller is locked out",
           "pin_lockout_minutes": "Lockout after wrong PINs (minutes)"}


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    if request.method == "POST":
        form = request.form
        values = {key: form.get(key, "") for key in config.DEFAULT_SETTINGS}
        if values["operator_action"] in ("hangup", "operator"):
            values["operator_target"] = ""
        try:
            config.save_settings(db(), **values)
        except StoreError as exc:
            return _page(form, str(exc))
        flash(_("Settings saved."), "ok")
        return redirect(url_for(".index"))
    return _page(config.settings(db()))


def _page(values, error: str | None = None):
    actions = [a for a in config.ROUTE_ACTIONS if a != "operator"]
    return render_template("settings.html", f=values, error=error, targets=targets(db()),
                           actions=actions, langs=config.LANGS, rec_modes=REC_MODES,
                           numbers=NUMBERS), 400 if error else 200
