"""The CRM pages `/crm/` (CRM-1, CRM-4 notes, CRM-6 owner): a thin layer over appliance.crm.

- `/crm/`: search (name, number in any format, company, e-mail), tag and owner filters,
  paging; new contact; export (CSV, vCard) and import for admins and supervisors;
- `/crm/<id>`: the contact card: details, phones (a Call button when the click-to-dial
  endpoint `crm_calls.dial` exists), e-mails, tags, custom fields, owner, company/people,
  the note form (a template fills the text; private; the desk's call_id/agent), the
  timeline (recordings playable through /recordings/ for who may hear them), and the
  include-points crm_card_planner.html and crm_card_work.html of the other CRM parts;
- `/crm/new`, `/crm/<id>/edit`, `/crm/<id>/delete` (admin, supervisor);
- notes: add, edit, delete (own; admins any); a private note answers 404 to others;
- `/crm/fields`, `/crm/note-templates` (admin); `/crm/import` (upload -> mapping ->
  result with every row not imported), `/crm/export.csv`, `/crm/export.vcf`;
- `/crm/pop?number=` JSON for the screen pop; `/crm/tokens`: the user's API tokens.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect,
                   render_template, request, session, stream_with_context, url_for)
from werkzeug.utils import secure_filename

from ..campaigns.lists import preview
from ..crm import contacts, transfer
from ..store import webqueries
from ..store.db import StoreError
from .auth import db, role_required
from .forms import upload_allowed
from .i18n import _

bp = Blueprint("crm", __name__, url_prefix="/crm")

ALL = ("admin", "supervisor", "agent")
MANAGERS = ("admin", "supervisor")
PER_PAGE = 50
IMPORT_MAX = 20 * 1024 * 1024
IMPORT_SUFFIXES = (".csv", ".txt", ".xlsx", ".vcf", ".vcard")
PROBLEMS_SHOWN = 1000


def uploads_dir() -> str:
    configured = current_app.config.get("CRM_UPLOADS_DIR")
    if configured:
        return configured
    return os.path.join(os.path.dirname(current_app.extensions["jns_db"].path), "crm-uploads")


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _error(exc: Exception) -> str:
    """A store's error in the user's language."""
    return contacts.error_text(exc, _)


def _contact_or_404(contact_id: int) -> dict:
    c = contacts.get_contact(db(), contact_id)
    if c is None:
        abort(404)
    return c


def _filters() -> dict:
    return {"q": request.args.get("q", "").strip(), "tag": request.args.get("tag", "").strip(),
            "owner": _int(request.args.get("owner")) or None}


# -- the list -------------------------------------------------------------------------------

@bp.route("/")
@role_required(*ALL)
def index():
    f = _filters()
    page = max(1, _int(request.args.get("page"), 1))
    rows, total = contacts.search(db(), f["q"], tag=f["tag"] or None, owner_id=f["owner"],
                                  limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    for r in rows:
        r["phones"] = [contacts.display_number(p) for p in r["phones"]]
    return render_template("crm_contacts.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), f=f,
                           tags=contacts.all_tags(db()), owners=contacts.owners(db()),
                           manager=g.user["role"] in MANAGERS)


# -- one contact ----------------------------------------------------------------------------

def _may_play(rec_agent: str | None) -> bool:
    if g.user["role"] in MANAGERS:
        return True
    ext = webqueries.agent_extension(db(), g.user["id"])
    return bool(ext and rec_agent == ext)


def _dial_url(contact_id: int, number: str) -> str | None:
    if "crm_calls.dial" not in current_app.view_functions:
        return None
    try:
        return url_for("crm_calls.dial", contact_id=contact_id, number=number)
    except Exception:   # noqa: BLE001 - the endpoint takes other arguments
        return None


@bp.route("/<int:contact_id>")
@role_required(*ALL)
def card(contact_id: int, note: dict | None = None, error: str | None = None,
         status: int = 200):
    c = _contact_or_404(contact_id)
    items = contacts.timeline(db(), contact_id, g.user, limit=200)
    for item in items:
        item["playable"] = bool(item.get("recording_id")) and _may_play(item.get("recording_agent"))
        if item["kind"] == "note":
            item["mine"] = contacts.may_change_note(item, g.user)
    for p in c["phones"]:
        p["dial_url"] = _dial_url(contact_id, p["number"])
    note = note or {"call_id": request.args.get("call_id", "")}
    fields = contacts.list_fields(db())
    return render_template("crm_contact.html", c=c, items=items, fields=fields,
                           templates=contacts.note_templates(db()), note=note, error=error,
                           manager=g.user["role"] in MANAGERS), status


def _contact_form() -> dict:
    form = request.form
    phones = list(zip(form.getlist("phone_label"), form.getlist("phone_number")))
    emails = list(zip(form.getlist("email_label"), form.getlist("email_address")))
    fields = {f["name"]: form.get(f"field_{f['id']}", "") for f in contacts.list_fields(db())}
    return {"kind": form.get("kind", "person"), "name": form.get("name", ""),
            "company_id": _int(form.get("company_id")) or None,
            "job_title": form.get("job_title", ""), "owner_id": _int(form.get("owner_id")) or None,
            "address": form.get("address", ""), "about": form.get("about", ""),
            "phones": phones, "emails": emails, "fields": fields,
            "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()]}


def _error_field(message: str, fields: list[dict]) -> str:
    """Which form field a store error belongs to (the error is shown next to it)."""
    for prefix, key in (("name", "name"), ("phone number", "phones"),
                        ("at most 20 phone", "phones"), ("e-mail", "emails"),
                        ("company", "company_id"), ("owner", "owner_id"), ("tag", "tags"),
                        ("kind", "kind")):
        if message.startswith(prefix):
            return key
    for f in fields:
        if message.startswith(f["name"] + ":"):
            return f"field_{f['id']}"
    return ""


def _edit_page(values: dict, contact_id: int | None, exc: StoreError | None = None):
    fields = contacts.list_fields(db())
    error = _error(exc) if exc else None
    values.setdefault("phones", [])
    values.setdefault("emails", [])
    return render_template(
        "crm_contact_edit.html", v=values, contact_id=contact_id, fields=fields,
        companies=[c for c in contacts.companies(db()) if c["id"] != contact_id],
        owners=contacts.owners(db()), phone_labels=contacts.PHONE_LABELS,
        email_labels=contacts.EMAIL_LABELS, error=error,
        error_field=_error_field(str(exc or ""), fields)), 400 if error else 200


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ALL)
def new():
    if request.method == "GET":
        values = {"kind": request.args.get("kind", "person"),
                  "company_id": _int(request.args.get("company")),
                  "owner_id": g.user["id"], "fields": {}, "tags": [],
                  "phones": [("mobile", request.args.get("number", ""))]
                  if request.args.get("number") else []}
        return _edit_page(values, None)
    values = _contact_form()
    try:
        contact_id = contacts.create_contact(db(), values, user=g.user["username"])
    except StoreError as exc:
        return _edit_page(values, None, exc)
    flash(_("Contact {name} saved.", name=" ".join(values["name"].split())), "ok")
    return redirect(url_for(".card", contact_id=contact_id))


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@role_required(*ALL)
def edit(contact_id: int):
    c = _contact_or_404(contact_id)
    if request.method == "GET":
        return _edit_page(contacts.contact_data(c), contact_id)
    values = _contact_form()
    try:
        contacts.update_contact(db(), contact_id, values)
    except StoreError as exc:
        return _edit_page(values, contact_id, exc)
    flash(_("Contact {name} saved.", name=" ".join(values["name"].split())), "ok")
    return redirect(url_for(".card", contact_id=contact_id))


@bp.route("/<int:contact_id>/delete", methods=["POST"])
@role_required(*MANAGERS)
def delete(contact_id: int):
    c = _contact_or_404(contact_id)
    contacts.delete_contact(db(), contact_id)
    flash(_("Contact {name} deleted.", name=c["name"]), "ok")
    return redirect(url_for(".index"))


# -- notes ----------------------------------------------------------------------------------

@bp.route("/<int:contact_id>/notes", methods=["POST"])
@role_required(*ALL)
def add_note(contact_id: int):
    _contact_or_404(contact_id)
    form = request.form
    note = {"body": form.get("body", ""), "template_id": _int(form.get("template_id")),
            "private": bool(form.get("private")), "call_id": form.get("call_id", ""),
            # the author's own extension, never the form's: it finds the call's recording
            "agent": webqueries.agent_extension(db(), g.user["id"]) or ""}
    try:
        contacts.add_note(db(), contact_id, g.user, note["body"],
                          template_id=note["template_id"], private=note["private"],
                          call_id=note["call_id"], agent=note["agent"])
    except StoreError as exc:
        return card(contact_id, note=note, error=_error(exc), status=400)
    flash(_("Note saved."), "ok")
    return redirect(url_for(".card", contact_id=contact_id) + "#timeline")


def _note_or_404(note_id: int) -> dict:
    note = contacts.get_note(db(), note_id, g.user)
    if note is None:
        abort(404)
    return note


@bp.route("/notes/<int:note_id>", methods=["GET", "POST"])
@role_required(*ALL)
def note(note_id: int):
    n = _note_or_404(note_id)
    error = None
    if request.method == "POST":
        if not contacts.may_change_note(n, g.user):
            abort(404)
        n = dict(n, body=request.form.get("body", ""),
                 private=int(bool(request.form.get("private"))))
        try:
            contacts.update_note(db(), note_id, g.user, n["body"], bool(n["private"]))
        except StoreError as exc:
            error = _error(exc)
        else:
            flash(_("Note saved."), "ok")
            return redirect(url_for(".card", contact_id=n["contact_id"]) + "#timeline")
    c = _contact_or_404(n["contact_id"])
    return render_template("crm_note.html", n=n, c=c, error=error,
                           mine=contacts.may_change_note(n, g.user)), 400 if error else 200


@bp.route("/notes/<int:note_id>/delete", methods=["POST"])
@role_required(*ALL)
def delete_note(note_id: int):
    try:
        contact_id = contacts.delete_note(db(), note_id, g.user)
    except StoreError:
        abort(404)
    flash(_("Note deleted."), "ok")
    return redirect(url_for(".card", contact_id=contact_id) + "#timeline")


# -- the screen pop -------------------------------------------------------------------------

@bp.route("/pop")
@role_required(*ALL)
def pop():
    found = contacts.find_by_number(db(), request.args.get("number", ""))
    out = contacts.pop_info(db(), [c["id"] for c in found], g.user)
    for c in out:
        c["url"] = url_for(".card", contact_id=c["id"])
    return jsonify(contacts=out)


# -- admin: custom fields, note templates -----------------------------------------------------

@bp.route("/fields", methods=["GET", "POST"])
@role_required("admin")
def fields():
    error, values = None, {"kind": "text"}
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("id", "name", "kind", "choices", "position")}
        try:
            contacts.save_field(db(), _int(values["id"]), values["name"], values["kind"] or "text",
                                values["choices"], _int(values["position"]))
        except StoreError as exc:
            error = _error(exc)
        else:
            flash(_("Field saved."), "ok")
            return redirect(url_for(".fields"))
    return render_template("crm_fields.html", fields=contacts.list_fields(db()), v=values,
                           kinds=contacts.FIELD_KINDS, error=error), 400 if error else 200


@bp.route("/fields/<int:field_id>/delete", methods=["POST"])
@role_required("admin")
def delete_field(field_id: int):
    try:
        contacts.delete_field(db(), field_id)
    except StoreError:
        abort(404)
    flash(_("Field removed."), "ok")
    return redirect(url_for(".fields"))


@bp.route("/note-templates", methods=["GET", "POST"])
@role_required("admin")
def note_templates():
    error, values = None, {"active": True}
    if request.method == "POST":
        form = request.form
        values = {"id": form.get("id", ""), "name": form.get("name", ""),
                  "body": form.get("body", ""), "position": form.get("position", ""),
                  "active": bool(form.get("active"))}
        try:
            contacts.save_note_template(db(), _int(values["id"]), values["name"], values["body"],
                                        position=_int(values["position"]),
                                        active=values["active"])
        except StoreError as exc:
            error = _error(exc)
        else:
            flash(_("Template saved."), "ok")
            return redirect(url_for(".note_templates"))
    return render_template("crm_note_templates.html", v=values, error=error,
                           templates=contacts.note_templates(db(), active_only=False)), \
        400 if error else 200


@bp.route("/note-templates/<int:template_id>/delete", methods=["POST"])
@role_required("admin")
def delete_note_template(template_id: int):
    try:
        contacts.delete_note_template(db(), template_id)
    except StoreError:
        abort(404)
    flash(_("Template deleted."), "ok")
    return redirect(url_for(".note_templates"))


# -- import ---------------------------------------------------------------------------------

def _upload_path(token: str) -> Path | None:
    pending = session.get("crm_import") or {}
    if pending.get("token") != token:
        return None
    path = Path(uploads_dir()) / f"{token}{pending.get('suffix', '')}"
    return path if path.is_file() else None


def _forget_old_uploads(max_age_s: float = 86400) -> None:
    """Uploads whose mapping was never chosen are removed after a day."""
    for path in Path(uploads_dir()).iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < time.time() - max_age_s:
                path.unlink()
        except OSError:
            pass


@bp.route("/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
@upload_allowed(max_bytes=IMPORT_MAX)
def import_start():
    if request.method == "GET":
        return render_template("crm_import.html", step="upload", error=None)
    upload = request.files.get("file")
    duplicates = request.form.get("duplicates", "skip")
    try:
        if upload is None or not upload.filename:
            raise StoreError("Choose a CSV, XLSX or vCard file to upload.")
        suffix = Path(secure_filename(upload.filename)).suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise StoreError("Upload a CSV, XLSX or vCard file (.csv, .txt, .xlsx, .vcf).")
        if suffix in (".vcf", ".vcard"):
            result = transfer.import_vcards(db(), upload.read(), duplicates=duplicates,
                                            user=g.user["username"])
            return _result_page(upload.filename, result)
        token = secrets.token_urlsafe(16)
        Path(uploads_dir()).mkdir(parents=True, exist_ok=True)
        _forget_old_uploads()
        path = Path(uploads_dir()) / f"{token}{suffix}"
        upload.save(path)
        try:
            sheet = transfer.open_sheet(path, upload.filename)
        except StoreError:
            path.unlink(missing_ok=True)
            raise
    except StoreError as exc:
        return render_template("crm_import.html", step="upload", error=_error(exc)), 400
    try:
        rows = preview(sheet)
        header, encoding, total = sheet.header, sheet.encoding, sheet.total
    finally:
        sheet.close()
    session["crm_import"] = {"token": token, "suffix": suffix, "name": upload.filename,
                             "duplicates": duplicates}
    names = [f["name"] for f in contacts.list_fields(db())]
    return render_template("crm_import.html", step="mapping", token=token, header=header,
                           rows=rows, total=total, encoding=encoding, filename=upload.filename,
                           targets=transfer.guess_targets(header, names), field_names=names,
                           choices=transfer.TARGETS, duplicates=duplicates, error=None)


@bp.route("/import/<token>", methods=["POST"])
@role_required(*MANAGERS)
def import_run(token: str):
    path = _upload_path(token)
    if path is None:
        flash(_("The uploaded file is gone; upload it again."), "error")
        return redirect(url_for(".import_start"))
    pending = session["crm_import"]
    duplicates = request.form.get("duplicates", pending.get("duplicates", "skip"))
    sheet = None
    try:
        sheet = transfer.open_sheet(path, pending["name"])
        targets = [request.form.get(f"col_{i}", "") for i in range(len(sheet.header))]
        result = transfer.import_sheet(db(), sheet, targets, duplicates=duplicates,
                                       user=g.user["username"])
    except StoreError as exc:
        if sheet is None:
            return render_template("crm_import.html", step="upload", error=_error(exc)), 400
        names = [f["name"] for f in contacts.list_fields(db())]
        page = render_template("crm_import.html", step="mapping", token=token,
                               header=sheet.header, rows=preview(sheet), total=sheet.total,
                               encoding=sheet.encoding, filename=pending["name"],
                               targets=targets, field_names=names, choices=transfer.TARGETS,
                               duplicates=duplicates, error=_error(exc))
        sheet.close()
        return page, 400
    sheet.close()
    path.unlink(missing_ok=True)
    session.pop("crm_import", None)
    return _result_page(pending["name"], result)


def _result_page(filename: str, result: transfer.Result):
    return render_template("crm_import.html", step="result", filename=filename, r=result,
                           problems=result.problems[:PROBLEMS_SHOWN], error=None)


# -- export ---------------------------------------------------------------------------------

def _export_ids() -> list[int]:
    f = _filters()
    return contacts.search_ids(db(), f["q"], tag=f["tag"] or None, owner_id=f["owner"])


@bp.route("/export.csv")
@role_required(*MANAGERS)
def export_csv():
    delimiter = ";" if request.args.get("sep") == ";" else ","
    ids = _export_ids()
    database = db()
    body = stream_with_context(transfer.export_csv(database, ids, delimiter=delimiter))
    name = time.strftime("kontakty-%Y%m%d.csv")
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/export.vcf")
@role_required(*MANAGERS)
def export_vcf():
    ids = _export_ids()
    body = stream_with_context(transfer.export_vcards(db(), ids))
    name = time.strftime("kontakty-%Y%m%d.vcf")
    return Response(body, mimetype="text/vcard; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- API tokens -----------------------------------------------------------------------------

@bp.route("/tokens", methods=["GET", "POST"])
@role_required(*ALL)
def tokens():
    error, new_token, label = None, None, ""
    if request.method == "POST":
        label = request.form.get("label", "")
        try:
            new_token = contacts.create_token(db(), g.user["id"], "api", label)
        except StoreError as exc:
            error = _error(exc)
    return render_template("crm_tokens.html", tokens=contacts.list_tokens(db(), g.user["id"]),
                           new_token=new_token, label="" if new_token else label,
                           error=error), 400 if error else 200


@bp.route("/tokens/<int:token_id>/delete", methods=["POST"])
@role_required(*ALL)
def revoke_token(token_id: int):
    try:
        contacts.revoke_token(db(), g.user["id"], token_id)
    except StoreError:
        abort(404)
    flash(_("Token revoked."), "ok")
    return redirect(url_for(".tokens"))


@bp.app_template_filter("crm_time")
def crm_time(value) -> str:
    if not value:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(float(value)))


@bp.app_template_filter("crm_number")
def crm_number(value) -> str:
    return contacts.display_number(value or "")
