"""E-mail and SMS from the contact, projects with time, files (CRM-2, CRM-3): a thin layer
over appliance.crm.messages and appliance.crm.projects.

- `/crm/<id>/email`, `/crm/<id>/sms`: the send forms (a template fills them; the contact's
  addresses/numbers to pick, or a new one saved on the contact) with the channel's history
  below; a failed e-mail is said on the form and stays on the timeline;
- `/crm/<id>/projects` (POST): a new project; `/crm/projects/<id>`: totals, a bar per
  user, the calls and entries counted, time entries, files; rename, close/reopen;
  `/crm/projects/<id>/time.csv`: the entries;
- `/crm/<id>/files`, `/crm/projects/<id>/files` (POST, multipart): upload;
  `/crm/files/<id>`: download (attachment, nosniff, the stored type) for who may see it,
  404 for everyone else; `/crm/files/<id>/delete`;
- `/crm/message-templates` (admin): e-mail and SMS templates, the file size limit.

Every panel role uses the forms; deleting a file: its uploader, supervisors, admins.
Files live in CRM_FILES_DIR (default: crm-files/ next to the database).  The contact card
(webui/crm.py) includes crm_card_work.html, which calls the `crm_work_card(contact_id)`
template global.  This module holds no telephony logic and never talks to a modem.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect,
                   render_template, request, send_file, url_for)

from ..crm import messages, projects
from ..store.db import StoreError
from .auth import db, role_required
from .dashboard import since
from .forms import upload_allowed
from .i18n import _

bp = Blueprint("crm_work", __name__, url_prefix="/crm")

ALL = ("admin", "supervisor", "agent")
UPLOAD_CAP = projects.FILE_MAX_MB_LIMIT * 1024 * 1024 + 64 * 1024   # the form around the file


def files_dir() -> str:
    configured = current_app.config.get("CRM_FILES_DIR")
    if configured:
        return configured
    return os.path.join(os.path.dirname(current_app.extensions["jns_db"].path), "crm-files")


def _contact_or_404(contact_id: int) -> dict:
    row = db().execute("SELECT id, name, kind FROM crm_contacts WHERE id = ?",
                       [contact_id]).fetchone()
    if row is None:
        abort(404)
    return {"id": row[0], "name": row[1], "kind": row[2]}


def _project_or_404(project_id: int) -> dict:
    proj = projects.project(db(), project_id)
    if proj is None:
        abort(404)
    return proj


def card_url(contact_id: int) -> str:
    try:
        return url_for("crm.card", contact_id=contact_id)
    except Exception:   # the contacts blueprint is not there (tests of this part alone)
        return f"/crm/{contact_id}"


def _back(default: str) -> str:
    """The form's `next` when it is a path on this site, else `default`."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def minutes_text(minutes: int | None) -> str:
    """90 -> '1:30'."""
    m = int(minutes or 0)
    return f"{m // 60}:{m % 60:02d}"


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} kB"


def error_text(error: str) -> str:
    """A store message in the user's language, the ones with a number or extension too."""
    if m := re.fullmatch(r"the file is larger than (\d+) MB", error):
        return _(projects.TOO_BIG, mb=m.group(1))
    if m := re.fullmatch(r"the file's content does not match its extension \.(\w+)", error):
        return _(projects.CONTENT_ERROR, ext=m.group(1))
    return _(error)


@bp.app_template_global("crm_work_card")
def crm_work_card(contact_id: int) -> dict:
    """What crm_card_work.html shows on the contact card."""
    d = db()
    return {"projects": projects.contact_projects(d, contact_id),
            "files": projects.files_of(d, g.user, contact_id=contact_id),
            "emails": messages.contact_addresses(d, contact_id),
            "numbers": messages.contact_numbers(d, contact_id),
            "smtp": messages.smtp_ready(d), "minutes": minutes_text, "size": size_text,
            "when": since, "may_delete": lambda f: projects.may_delete_file(g.user, f),
            "max_mb": projects.file_max_bytes(d) // (1024 * 1024)}


@bp.before_app_request
def _sms_status_for_card() -> None:
    """The card's timeline reads crm_messages: bring its SMS statuses up to date first."""
    if request.endpoint == "crm.card" and request.method == "GET":
        contact_id = (request.view_args or {}).get("contact_id")
        if isinstance(contact_id, int):
            messages.sync_sms_status(db(), contact_id)


# -- e-mail and SMS --------------------------------------------------------------------------

def _message_page(contact: dict, channel: str, f: dict, *, error: str | None = None,
                  unknown: list[str] | None = None, result: dict | None = None,
                  status: int = 200):
    d = db()
    return render_template(
        "crm_message_form.html", contact=contact, channel=channel, f=f, error=error,
        unknown=unknown or [], unknown_text=", ".join("{" + u + "}" for u in unknown or []),
        result=result, card_url=card_url(contact["id"]),
        templates=messages.message_templates(d, channel),
        choices=(messages.contact_addresses(d, contact["id"]) if channel == "email"
                 else messages.contact_numbers(d, contact["id"])),
        history=messages.contact_messages(d, contact["id"], channel=channel, limit=20),
        smtp=messages.smtp_ready(d), when=since,
        placeholders=", ".join("{" + p + "}" for p in messages.PLACEHOLDERS)), status


def _message_view(contact_id: int, channel: str):
    contact = _contact_or_404(contact_id)
    target = "address" if channel == "email" else "number"
    if request.method == "GET":
        f = {target: request.args.get(target, "")}
        tpl_id = request.args.get("template", type=int)
        if tpl_id:
            return _fill_from_template(contact, channel, tpl_id, f)
        return _message_page(contact, channel, f)
    form = request.form
    f = {k: form.get(k, "") for k in (target, "subject", "body", "template", "save")}
    if form.get("action") == "template":
        tpl_id = form.get("template", type=int)
        if tpl_id:
            return _fill_from_template(contact, channel, tpl_id, f)
        return _message_page(contact, channel, f)
    try:
        if channel == "email":
            msg = messages.send_email_to_contact(
                db(), g.user, contact_id, f["address"], f["subject"], f["body"],
                template_id=form.get("template", type=int) or None, save_address=bool(f["save"]))
        else:
            msg = messages.send_sms_to_contact(db(), g.user, contact_id, f["number"], f["body"],
                                               save_number=bool(f["save"]))
    except StoreError as exc:
        return _message_page(contact, channel, f, error=str(exc), status=400)
    if msg["status"] == "failed":      # the form again, with the server's reason
        return _message_page(contact, channel, f, result=msg, status=502)
    flash(_("E-mail sent to {address}.", address=msg["address"]) if channel == "email"
          else _("SMS to {number} queued; its delivery shows on the timeline.",
                 number=msg["address"]), "ok")
    return redirect(card_url(contact_id))


def _fill_from_template(contact: dict, channel: str, tpl_id: int, f: dict):
    tpl = messages.message_template(db(), tpl_id)
    if tpl is None or tpl["channel"] != channel:
        return _message_page(contact, channel, f, error=messages.NO_TEMPLATE, status=404)
    filled = messages.use_template(db(), tpl_id, contact["id"], g.user)
    f.update(subject=filled["subject"], body=filled["body"], template=str(tpl_id))
    return _message_page(contact, channel, f, unknown=filled["unknown"])


@bp.route("/<int:contact_id>/email", methods=["GET", "POST"])
@role_required(*ALL)
def email(contact_id: int):
    return _message_view(contact_id, "email")


@bp.route("/<int:contact_id>/sms", methods=["GET", "POST"])
@role_required(*ALL)
def sms(contact_id: int):
    return _message_view(contact_id, "sms")


# -- templates and settings (admin) ----------------------------------------------------------

def _templates_page(f: dict | None = None, error: str | None = None, edit_id: int | None = None,
                    settings_error: str | None = None, max_mb: str | None = None,
                    status: int = 200):
    return render_template(
        "crm_message_templates.html", templates=messages.message_templates(db()),
        f=f or {"channel": "email"}, error=error, edit_id=edit_id,
        settings_error=settings_error,
        max_mb=max_mb if max_mb is not None else projects.file_max_bytes(db()) // (1024 * 1024),
        placeholders=", ".join("{" + p + "}" for p in messages.PLACEHOLDERS)), status


@bp.route("/message-templates", methods=["GET", "POST"])
@role_required("admin")
def templates():
    if request.method == "GET":
        return _templates_page()
    f = {k: request.form.get(k, "") for k in ("channel", "name", "subject", "body")}
    try:
        messages.save_message_template(db(), **f)
    except StoreError as exc:
        return _templates_page(f, str(exc), status=400)
    flash(_("Template {name} saved.", name=f["name"].strip()), "ok")
    return redirect(url_for(".templates"))


@bp.route("/message-templates/<int:template_id>", methods=["GET", "POST"])
@role_required("admin")
def template_edit(template_id: int):
    tpl = messages.message_template(db(), template_id)
    if tpl is None:
        abort(404)
    if request.method == "GET":
        return _templates_page(tpl, edit_id=template_id)
    f = {k: request.form.get(k, "") for k in ("channel", "name", "subject", "body")}
    try:
        messages.save_message_template(db(), template_id=template_id, **f)
    except StoreError as exc:
        return _templates_page(f, str(exc), edit_id=template_id, status=400)
    flash(_("Template {name} saved.", name=f["name"].strip()), "ok")
    return redirect(url_for(".templates"))


@bp.route("/message-templates/<int:template_id>/delete", methods=["POST"])
@role_required("admin")
def template_delete(template_id: int):
    messages.delete_message_template(db(), template_id)
    flash(_("Template deleted."), "ok")
    return redirect(url_for(".templates"))


@bp.route("/message-templates/settings", methods=["POST"])
@role_required("admin")
def file_settings():
    try:
        projects.set_file_max_mb(db(), request.form.get("file_max_mb", ""))
    except StoreError as exc:
        return _templates_page(settings_error=str(exc),
                               max_mb=request.form.get("file_max_mb", ""), status=400)
    flash(_("Settings saved."), "ok")
    return redirect(url_for(".templates"))


# -- projects and time -----------------------------------------------------------------------

@bp.route("/<int:contact_id>/projects", methods=["POST"])
@role_required(*ALL)
def project_new(contact_id: int):
    _contact_or_404(contact_id)
    try:
        project_id = projects.create_project(db(), g.user, contact_id, request.form.get("name", ""))
    except StoreError as exc:
        flash(_("Not saved: {error}", error=_(str(exc))), "error")
        return redirect(card_url(contact_id))
    return redirect(url_for(".project", project_id=project_id))


def _project_page(project_id: int, *, error: str | None = None, f: dict | None = None,
                  form: str = "", status: int = 200):
    proj = _project_or_404(project_id)
    d = db()
    totals = projects.project_time(d, project_id)
    top = max([u["total_min"] for u in totals["by_user"].values()] or [1]) or 1
    return render_template(
        "crm_project.html", p=proj, t=totals, top=top, entries=projects.time_entries(d, project_id),
        files=projects.files_of(d, g.user, project_id=project_id), f=f or {}, error=error,
        form=form, card_url=card_url(proj["contact_id"]), minutes=minutes_text,
        size=size_text, when=since, today=time.strftime("%Y-%m-%d"),
        may_delete=lambda fl: projects.may_delete_file(g.user, fl),
        may_delete_entry=lambda e: g.user["role"] in ("admin", "supervisor")
        or e["user"].lower() == g.user["username"].lower(),
        max_mb=projects.file_max_bytes(d) // (1024 * 1024)), status


@bp.route("/projects/<int:project_id>")
@role_required(*ALL)
def project(project_id: int):
    return _project_page(project_id)


@bp.route("/projects/<int:project_id>/<any(rename, close, reopen):action>", methods=["POST"])
@role_required(*ALL)
def project_change(project_id: int, action: str):
    _project_or_404(project_id)
    name = request.form.get("name", "")
    try:
        if action == "rename":
            projects.rename_project(db(), g.user, project_id, name)
        elif action == "close":
            projects.close_project(db(), g.user, project_id)
        else:
            projects.reopen_project(db(), g.user, project_id)
    except StoreError as exc:
        return _project_page(project_id, error=str(exc), f={"name": name}, form="rename",
                             status=400)
    return redirect(url_for(".project", project_id=project_id))


@bp.route("/projects/<int:project_id>/time", methods=["POST"])
@role_required(*ALL)
def time_add(project_id: int):
    _project_or_404(project_id)
    f = {k: request.form.get(k, "") for k in ("day", "minutes", "note")}
    try:
        projects.add_time(db(), g.user, project_id, f["day"], f["minutes"], f["note"])
    except StoreError as exc:
        return _project_page(project_id, error=str(exc), f=f, form="time", status=400)
    flash(_("Time saved."), "ok")
    return redirect(url_for(".project", project_id=project_id))


@bp.route("/time/<int:entry_id>/delete", methods=["POST"])
@role_required(*ALL)
def time_delete(entry_id: int):
    try:
        project_id = projects.delete_time(db(), g.user, entry_id)
    except PermissionError:
        abort(403)
    if project_id is None:
        abort(404)
    flash(_("Time entry deleted."), "ok")
    return redirect(url_for(".project", project_id=project_id))


@bp.route("/projects/<int:project_id>/time.csv")
@role_required(*ALL)
def time_csv(project_id: int):
    proj = _project_or_404(project_id)
    body = "\ufeff" + projects.time_csv(db(), project_id)
    name = f"project-{proj['id']}-time.csv"
    return Response(body.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- files -----------------------------------------------------------------------------------

def _upload(contact_id: int | None, project_id: int | None, back: str):
    upload = request.files.get("file")
    limit = projects.file_max_bytes(db())
    error = None
    if upload is None or not upload.filename:
        error = projects.NO_FILE
    elif (request.content_length or 0) > limit + 64 * 1024:
        error = projects.TOO_BIG.format(mb=limit // (1024 * 1024))
    else:
        try:
            projects.store_file(db(), g.user, files_dir(), upload.stream, upload.filename,
                                contact_id=contact_id, project_id=project_id,
                                private=bool(request.form.get("private")), max_bytes=limit)
        except StoreError as exc:
            error = str(exc)
    if error:
        flash(_("File not uploaded: {error}", error=error_text(error)), "error")
        return redirect(_back(back), 303)
    flash(_("File {name} uploaded.", name=projects.safe_name(upload.filename)), "ok")
    return redirect(_back(back), 303)


@bp.route("/<int:contact_id>/files", methods=["POST"])
@role_required(*ALL)
@upload_allowed(max_bytes=UPLOAD_CAP)
def contact_upload(contact_id: int):
    _contact_or_404(contact_id)
    return _upload(contact_id, None, card_url(contact_id))


@bp.route("/projects/<int:project_id>/files", methods=["POST"])
@role_required(*ALL)
@upload_allowed(max_bytes=UPLOAD_CAP)
def project_upload(project_id: int):
    _project_or_404(project_id)
    return _upload(None, project_id, url_for(".project", project_id=project_id))


@bp.route("/files/<int:file_id>", endpoint="file")
@role_required(*ALL)
def download(file_id: int):
    row = projects.file_for(db(), g.user, file_id)
    if row is None:
        abort(404)
    path = Path(files_dir()) / row["stored"]
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row["mime"], as_attachment=True,
                         download_name=row["name"], conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/files/<int:file_id>/delete", methods=["POST"])
@role_required(*ALL)
def file_delete(file_id: int):
    try:
        row = projects.delete_file(db(), g.user, files_dir(), file_id)
    except PermissionError:
        abort(403)
    if row is None:
        abort(404)
    flash(_("File {name} deleted.", name=row["name"]), "ok")
    default = (url_for(".project", project_id=row["project_id"]) if row["project_id"]
               else card_url(row["contact_id"]))
    return redirect(_back(default))
