"""Contact lists `/campaigns/lists/` and do-not-call `/campaigns/dnc/` (CMP-1).

- `/campaigns/lists/`: the lists with their counts, a new list;
- `/campaigns/lists/<id>`: one list: search, records with paging, add / edit / delete a
  record, custom fields, rename, delete, upload a CSV/XLSX file;
- an upload is saved next to the database (list-uploads/) and opens the mapping page (the
  first rows, a select per column); the chosen mapping starts the import in a background
  thread (appliance.campaigns.lists.run_import) and the import's page shows a <progress>
  that static/lists.js updates from a JSON endpoint (a meta refresh does it without
  JavaScript), then the result with every row not imported, downloadable as CSV;
- `/campaigns/dnc/`: global and per-campaign do-not-call entries: add, remove, import,
  export.

Admins and supervisors; agents get 403.  Every change is one call into
appliance.campaigns.lists; this module never talks to Asterisk.
"""
from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from werkzeug.utils import secure_filename

from ..campaigns import lists
from ..store.db import StoreError
from .auth import db, role_required
from .forms import upload_allowed
from .i18n import _

bp = Blueprint("campaign_lists", __name__, url_prefix="/campaigns")

ROLES = ("admin", "supervisor")
PER_PAGE = 50
PROBLEMS_SHOWN = 200
LIST_UPLOAD_MAX = 50 * 1024 * 1024      # a 100 000-row CSV is ~5 MB
DNC_PER_PAGE = 100
TOO_BIG = "The file is larger than {n} MB; split it into smaller files."


def uploads_dir() -> str:
    configured = current_app.config.get("LIST_UPLOADS_DIR")
    if configured:
        return configured
    return os.path.join(os.path.dirname(current_app.extensions["jns_db"].path), "list-uploads")


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _list_or_404(list_id: int) -> dict:
    lst = lists.get_list(db(), list_id)
    if lst is None:
        abort(404)
    return lst


def _import_or_404(import_id: int) -> dict:
    imp = lists.get_import(db(), import_id)
    if imp is None:
        abort(404)
    return imp


def _too_big() -> bool:
    return (request.content_length or 0) > LIST_UPLOAD_MAX


def _saved_upload(import_hint: str) -> tuple[Path, str]:
    """The posted file saved under uploads_dir() (a temporary name); (path, its name)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise lists.ListError("Choose a CSV or XLSX file to upload.")
    name = upload.filename
    suffix = Path(secure_filename(name)).suffix.lower()
    if suffix not in lists.UPLOAD_SUFFIXES:
        raise lists.ListError("Upload a CSV or an XLSX file (.csv, .txt or .xlsx).")
    Path(uploads_dir()).mkdir(parents=True, exist_ok=True)
    path = Path(uploads_dir()) / f"{import_hint}{suffix}"
    upload.save(path)
    return path, name


# -- lists ------------------------------------------------------------------------------------

@bp.route("/lists/", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    values: dict = {"country": "48"}
    error = None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name", "description", "country")}
        try:
            list_id = lists.create_list(db(), values["name"], description=values["description"],
                                        country=values["country"] or "48",
                                        user=g.user["username"])
        except StoreError as exc:
            error = str(exc)
        else:
            flash(_("List {name} created.", name=values["name"].strip()), "ok")
            return redirect(url_for(".view", list_id=list_id))
    return render_template("lists.html", lists=lists.all_lists(db()), f=values,
                           error=error), 400 if error else 200


@bp.route("/lists/<int:list_id>")
@role_required(*ROLES)
def view(list_id: int, error: str | None = None, record: dict | None = None, status: int = 200):
    lst = _list_or_404(list_id)
    search = request.args.get("q", "").strip()
    page = _page_arg()
    rows, total = lists.contacts(db(), list_id, search=search, offset=(page - 1) * PER_PAGE,
                                 limit=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("lists_view.html", lst=lst, rows=rows, total=total, page=page,
                           pages=pages, q=search, error=error, r=record or {},
                           imports=lists.list_imports(db(), list_id)), status


@bp.route("/lists/<int:list_id>/edit", methods=["POST"])
@role_required(*ROLES)
def edit(list_id: int):
    _list_or_404(list_id)
    form = request.form
    try:
        lists.update_list(db(), list_id, name=form.get("name", ""),
                          description=form.get("description", ""),
                          country=form.get("country", "48"))
    except StoreError as exc:
        return view(list_id, error=str(exc), status=400)
    flash(_("List saved."), "ok")
    return redirect(url_for(".view", list_id=list_id))


@bp.route("/lists/<int:list_id>/delete", methods=["POST"])
@role_required(*ROLES)
def delete(list_id: int):
    lst = _list_or_404(list_id)
    try:
        lists.delete_list(db(), list_id)
    except StoreError as exc:
        return view(list_id, error=str(exc), status=400)
    flash(_("List {name} deleted.", name=lst["name"]), "ok")
    return redirect(url_for(".index"))


@bp.route("/lists/<int:list_id>/fields", methods=["POST"])
@role_required(*ROLES)
def add_field(list_id: int):
    _list_or_404(list_id)
    try:
        lists.add_fields(db(), list_id, [request.form.get("field", "")])
    except StoreError as exc:
        return view(list_id, error=str(exc), status=400)
    flash(_("Field added."), "ok")
    return redirect(url_for(".view", list_id=list_id))


@bp.route("/lists/<int:list_id>/fields/delete", methods=["POST"])
@role_required(*ROLES)
def remove_field(list_id: int):
    _list_or_404(list_id)
    try:
        lists.remove_field(db(), list_id, request.form.get("field", ""))
    except StoreError as exc:
        return view(list_id, error=str(exc), status=400)
    flash(_("Field removed."), "ok")
    return redirect(url_for(".view", list_id=list_id))


# -- records ------------------------------------------------------------------------------------

def _record_form(lst: dict) -> dict:
    form = request.form
    return {"phone": form.get("phone", ""), "name": form.get("name", ""),
            "fields": {f: form.get(f"field_{i}", "") for i, f in enumerate(lst["fields"])}}


@bp.route("/lists/<int:list_id>/records", methods=["POST"])
@role_required(*ROLES)
def add_record(list_id: int):
    lst = _list_or_404(list_id)
    record = _record_form(lst)
    try:
        lists.add_contact(db(), list_id, record["phone"], record["name"], record["fields"])
    except StoreError as exc:
        return view(list_id, error=str(exc), record=record, status=400)
    flash(_("Record added."), "ok")
    return redirect(url_for(".view", list_id=list_id))


@bp.route("/lists/<int:list_id>/records/<int:contact_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def record(list_id: int, contact_id: int):
    lst = _list_or_404(list_id)
    contact = lists.get_contact(db(), contact_id)
    if contact is None or contact["list_id"] != list_id:
        abort(404)
    error = None
    values = contact
    if request.method == "POST":
        values = _record_form(lst)
        try:
            lists.update_contact(db(), contact_id, values["phone"], values["name"],
                                 values["fields"])
        except StoreError as exc:
            error = str(exc)
        else:
            flash(_("Record saved."), "ok")
            return redirect(url_for(".view", list_id=list_id))
    return render_template("lists_record.html", lst=lst, contact=contact, r=values,
                           error=error), 400 if error else 200


@bp.route("/lists/<int:list_id>/records/<int:contact_id>/delete", methods=["POST"])
@role_required(*ROLES)
def delete_record(list_id: int, contact_id: int):
    _list_or_404(list_id)
    contact = lists.get_contact(db(), contact_id)
    if contact is None or contact["list_id"] != list_id:
        abort(404)
    lists.delete_contact(db(), contact_id)
    flash(_("Record {phone} deleted.", phone=contact["phone"]), "ok")
    return redirect(url_for(".view", list_id=list_id))


# -- imports ------------------------------------------------------------------------------------

@bp.route("/lists/<int:list_id>/upload", methods=["POST"])
@role_required(*ROLES)
@upload_allowed(max_bytes=LIST_UPLOAD_MAX + 64 * 1024)   # the file and the form
def upload(list_id: int):
    _list_or_404(list_id)
    if _too_big():
        return view(list_id, error=_(TOO_BIG, n=LIST_UPLOAD_MAX // (1024 * 1024)), status=413)
    lists.cleanup_uploads(db(), uploads_dir())
    hint = f"upload-{os.getpid()}-{threading.get_ident()}"
    path = None
    try:
        path, name = _saved_upload(hint)
        sheet = lists.read_file(path, name)
        sheet.close()
        import_id = lists.create_import(db(), list_id, name, sheet, g.user["username"])
    except StoreError as exc:
        if path is not None:
            path.unlink(missing_ok=True)
        return view(list_id, error=str(exc), status=400)
    final = path.with_name(f"import-{import_id}{path.suffix}")
    os.replace(path, final)
    return redirect(url_for(".mapping", import_id=import_id))


def _import_file(imp: dict) -> Path | None:
    found = sorted(Path(uploads_dir()).glob(f"import-{imp['id']}.*"))
    return found[0] if found else None


@bp.route("/lists/imports/<int:import_id>/mapping", methods=["GET", "POST"])
@role_required(*ROLES)
def mapping(import_id: int):
    imp = _import_or_404(import_id)
    if imp["status"] != "queued":
        return redirect(url_for(".import_status", import_id=import_id))
    lst = _list_or_404(imp["list_id"])
    path = _import_file(imp)
    if path is None:
        lists.fail_import(db(), import_id, "The uploaded file is gone; upload it again.")
        return redirect(url_for(".import_status", import_id=import_id))
    try:
        sheet = lists.read_file(path, imp["filename"])
    except StoreError as exc:
        lists.fail_import(db(), import_id, str(exc))
        return redirect(url_for(".import_status", import_id=import_id))
    try:
        preview = lists.preview(sheet)
        targets = lists.guess_mapping(sheet.header, sheet)
    finally:
        sheet.close()
    error = None
    has_header = sheet.has_header
    if request.method == "POST":
        targets = []
        for i in range(len(sheet.header)):
            choice = request.form.get(f"col_{i}", "skip")
            if choice == "field":
                choice = request.form.get(f"new_{i}", "").strip()
            targets.append(choice)
        has_header = request.form.get("header") == "1"
        try:
            lists.set_mapping(db(), import_id, targets, has_header)
        except StoreError as exc:
            error = str(exc)
        else:
            worker = threading.Thread(
                target=lists.run_import, name=IMPORT_THREAD.format(id=import_id), daemon=True,
                args=(current_app.extensions["jns_db"].path, import_id, str(path)))
            worker.start()
            return redirect(url_for(".import_status", import_id=import_id))
    return render_template("lists_mapping.html", imp=imp, lst=lst, header=sheet.header,
                           rows=preview, targets=targets, has_header=has_header,
                           error=error), 400 if error else 200


def _percent(imp: dict) -> int:
    if imp["status"] == "done":
        return 100
    if not imp["total_rows"]:
        return 0
    return min(99, int(imp["done_rows"] * 100 / imp["total_rows"]))


def problem_text(p: dict) -> str:
    """Why a row was not imported, in the user's language."""
    reason = p["reason"]
    if reason == "invalid":
        return _("Invalid number: {why}", why=_(p["detail"]))
    if reason == "duplicate":
        return _("The same number as line {line}", line=p["detail"])
    if reason == "exists":
        return _("{phone} is already in the list", phone=p["detail"])
    if reason == "empty":
        return _("Empty line")
    if reason == "encoding":
        return _("Unreadable characters (not UTF-8, Windows-1250 or ISO-8859-2)")
    return reason


IMPORT_THREAD = "list-import-{id}"
INTERRUPTED = ("The panel restarted during the import; the rows imported so far are kept. "
               "Upload the file again to import the rest: numbers already in the list are "
               "skipped.")


def _running_import(import_id: int) -> dict:
    """The import, marked failed when it says running but no thread of this process works
    on it (the panel restarted mid-import; jns-web runs one worker)."""
    imp = _import_or_404(import_id)
    if imp["status"] == "running":
        name = IMPORT_THREAD.format(id=import_id)
        if not any(t.name == name and t.is_alive() for t in threading.enumerate()):
            imp = lists.get_import(db(), import_id)     # it may have ended just now
            if imp["status"] == "running":
                lists.fail_import(db(), import_id, INTERRUPTED)
                imp = lists.get_import(db(), import_id)
    return imp


@bp.route("/lists/imports/<int:import_id>")
@role_required(*ROLES)
def import_status(import_id: int):
    imp = _running_import(import_id)
    lst = lists.get_list(db(), imp["list_id"])
    problems = lists.import_problems(db(), import_id, limit=PROBLEMS_SHOWN)
    return render_template("lists_import.html", imp=imp, lst=lst, percent=_percent(imp),
                           problems=problems, problem_text=problem_text,
                           problem_count=lists.count_problems(db(), import_id))


@bp.route("/lists/imports/<int:import_id>.json")
@role_required(*ROLES)
def import_json(import_id: int):
    imp = _running_import(import_id)
    return {"status": imp["status"], "done_rows": imp["done_rows"],
            "total_rows": imp["total_rows"], "percent": _percent(imp),
            "imported": imp["imported"], "invalid": imp["invalid"],
            "duplicates": imp["duplicates"], "error": imp["error"]}


@bp.route("/lists/imports/<int:import_id>/problems.csv")
@role_required(*ROLES)
def import_problems_csv(import_id: int):
    imp = _import_or_404(import_id)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow([_("Line"), _("Reason"), _("Row as read")])
    for p in lists.import_problems(db(), import_id):
        w.writerow([p["line"], problem_text(p), p["raw"]])
    name = secure_filename(Path(imp["filename"]).stem) or "import"
    return Response(buf.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}-problems.csv"'})


# -- do not call ----------------------------------------------------------------------------------

def _campaigns() -> list[dict]:
    return [dict(zip(("id", "name", "title"), r)) for r in db().execute(
        "SELECT id, name, title FROM campaigns ORDER BY name")]


def _campaign_arg(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise lists.ListError("There is no such campaign.")
    return int(value)


@bp.route("/dnc/", methods=["GET", "POST"])
@role_required(*ROLES)
def dnc():
    error, values, result = None, {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("phone", "campaign", "note")}
        try:
            lists.dnc_add(db(), values["phone"], _campaign_arg(values["campaign"]),
                          values["note"], g.user["username"])
        except StoreError as exc:
            error = str(exc)
        else:
            flash(_("{phone} will not be called.", phone=values["phone"].strip()), "ok")
            return redirect(url_for(".dnc"))
    return _dnc_page(values, error, result)


def _dnc_page(values: dict, error: str | None, result: dict | None, status: int | None = None):
    scope = request.args.get("scope", "")
    search = request.args.get("q", "")
    page = _page_arg()
    rows, total = lists.dnc_entries(db(), scope=scope, search=search,
                                    offset=(page - 1) * DNC_PER_PAGE, limit=DNC_PER_PAGE)
    pages = max(1, -(-total // DNC_PER_PAGE))
    code = status or (400 if error else 200)
    return render_template("dnc.html", rows=rows, total=total, page=page, pages=pages,
                           scope=scope, q=search, campaigns=_campaigns(), f=values,
                           error=error, result=result), code


@bp.route("/dnc/<int:dnc_id>/delete", methods=["POST"])
@role_required(*ROLES)
def dnc_delete(dnc_id: int):
    row = db().execute("SELECT phone FROM dnc WHERE id = ?", [dnc_id]).fetchone()
    if row is None:
        abort(404)
    lists.dnc_remove(db(), dnc_id)
    flash(_("{phone} may be called again.", phone=row[0]), "ok")
    return redirect(url_for(".dnc"))


@bp.route("/dnc/import", methods=["POST"])
@role_required(*ROLES)
@upload_allowed(max_bytes=LIST_UPLOAD_MAX + 64 * 1024)   # the file and the form
def dnc_import():
    if _too_big():
        return _dnc_page({}, _(TOO_BIG, n=LIST_UPLOAD_MAX // (1024 * 1024)), None, 413)
    hint = f"dnc-{os.getpid()}-{threading.get_ident()}"
    path = None
    try:
        campaign_id = _campaign_arg(request.form.get("campaign", ""))
        path, name = _saved_upload(hint)
        result = lists.dnc_import(db(), path, name, campaign_id=campaign_id,
                                  note=request.form.get("note", ""), user=g.user["username"])
    except StoreError as exc:
        return _dnc_page({}, str(exc), None)
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    return _dnc_page({}, None, result)


@bp.route("/dnc/export.csv")
@role_required(*ROLES)
def dnc_export():
    return Response(lists.dnc_csv(db(), request.args.get("scope", "")),
                    mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="do-not-call.csv"'})
