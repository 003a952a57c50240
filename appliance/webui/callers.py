"""Known callers `/admin/callers/` (IVR-3, IVR-4, IVR-9, ACD-3): a number or a number
prefix with its language, VIP priority, where it is routed and a PIN for IVR checks.

A save is one `config.save_caller_rule` call (the same number, match and dialled number
replace the rule), a delete one `config.delete_caller_rule` call.  The store keeps only a
hash of the PIN, so a PIN is never shown; saving a rule again without typing the PIN
removes it (the store has no "keep the PIN" option).  Admin only; no telephony here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..store import config, webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .forms import FormError, destination, put_destination, targets
from .i18n import _

bp = Blueprint("callers", __name__, url_prefix="/admin/callers")


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    rule = None
    if request.method == "POST":
        rule = _rule_or_404(request.form.get("id"))
        return _save(rule)
    values: dict = {"match": "exact"}
    if request.args.get("edit"):
        rule = _rule_or_404(request.args["edit"])
        values = {k: rule[k] or "" for k in ("id", "pattern", "match", "did", "name", "lang")}
        values["vip"] = rule["vip"]
        put_destination(values, "dest", rule["action"], rule["target"])
    return _page(values, rule)


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@role_required("admin")
def delete(rule_id: int):
    rule = _rule_or_404(rule_id)
    config.delete_caller_rule(db(), rule_id)
    flash(_("Rule for {pattern} deleted.", pattern=rule["pattern"]), "ok")
    return redirect(url_for(".index"))


def _rule_or_404(rule_id) -> dict | None:
    """The rule being edited (None for a new one); 404 when the id names none."""
    if rule_id in (None, ""):
        return None
    try:
        rule = webqueries.caller_rule(db(), int(rule_id))
    except ValueError:
        abort(404)
    if rule is None:
        abort(404)
    return rule


def _save(rule: dict | None):
    form = request.form
    try:
        if rule:  # the number, match and dialled number identify the rule: kept as they were
            pattern, match, did = rule["pattern"], rule["match"], rule["did"]
        else:
            pattern = (form.get("pattern") or "").strip()
            match, did = form.get("match") or "", (form.get("did") or "").strip() or None
        pin = (form.get("pin") or "").strip() or None
        if pin and pin != (form.get("pin2") or "").strip():
            raise FormError(_("The two PINs differ; type the same PIN twice."))
        config.save_caller_rule(db(), pattern, match=match, did=did,
                                name=(form.get("name") or "").strip(),
                                lang=form.get("lang") or None, vip=bool(form.get("vip")),
                                destination=destination(form, "dest"), pin=pin)
    except StoreError as exc:
        return _page(form, rule, str(exc))
    flash(_("Rule for {pattern} saved.", pattern=pattern), "ok")
    return redirect(url_for(".index"))


def _page(values, rule: dict | None, error: str | None = None):
    return render_template(
        "callers.html", f=values, rule=rule, error=error, rules=webqueries.caller_rules(db()),
        targets=targets(db()), actions=config.ROUTE_ACTIONS, langs=config.LANGS), \
        400 if error else 200
