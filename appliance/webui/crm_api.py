"""The CRM's JSON API `/api/v1/` (issue 10, item 7): contacts, notes and tasks.

- Authentication only by a token: `Authorization: Bearer <token>` (made and revoked by the
  user on /crm/tokens; only its SHA-256 is stored).  The session cookie never authorises
  an API request, so another site cannot use the API through a logged-in browser; this is
  also why the API needs no CSRF token (its views are marked `token_auth`).
- Failed tokens are throttled per address like failed logins (429 while waiting).
- The same role rules as the panel: every role reads and writes contacts, notes and tasks;
  deleting a contact needs admin or supervisor (403); a private note is only its author's
  and the admins' (404 for others); an agent changes a task assigned to them, created by
  them or unassigned, and does not reassign it to someone else (appliance.crm.planner
  decides, as on the panel's task pages).
- Errors are JSON {"error": "..."} with 400, 401, 403, 404 or 429.
"""
from __future__ import annotations

import math

from flask import Blueprint, g, jsonify, request, url_for

from ..crm import contacts, planner
from ..store import users
from ..store.db import StoreError, transaction
from .auth import db

bp = Blueprint("crm_api", __name__, url_prefix="/api/v1")

MANAGERS = ("admin", "supervisor")
MAX_LIMIT = 500


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return jsonify(error=exc.message), exc.status


def _route(rule: str, **options):
    """bp.route for a token-authenticated view (no cookie, no CSRF); every role may call
    it (`allowed_roles`, as role_required marks views), the view checks the rest."""
    def decorator(view):
        view.token_auth = True
        view.allowed_roles = frozenset(users.ROLES)
        return bp.route(rule, **options)(view)
    return decorator


@bp.before_request
def _authenticate():
    g.user = None       # the session cookie's user never counts here
    addr = request.remote_addr or "unknown"
    delay = contacts.token_delay(db(), addr)
    if delay > 0:
        response = jsonify(error=f"too many failed tokens, try again in {math.ceil(delay)} s")
        response.headers["Retry-After"] = str(math.ceil(delay))
        return response, 429
    header = request.headers.get("Authorization", "")
    scheme, _sp, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = jsonify(error="login required")   # as every /api/ URL says
        response.headers["WWW-Authenticate"] = 'Bearer realm="JNS Call Center API"'
        return response, 401
    user = contacts.user_by_token(db(), token.strip())
    if user is None:
        contacts.record_token_failure(db(), addr)
        return jsonify(error="wrong or revoked API token"), 401
    g.user = user
    return None


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object (Content-Type: application/json)")
    return data


def _int_arg(name: str, default: int, low: int = 0, high: int = 10**9) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(low, min(high, int(raw)))
    except ValueError:
        raise ApiError(400, f"{name}: a whole number") from None


def _contact_json(c: dict) -> dict:
    return {"id": c["id"], "kind": c["kind"], "name": c["name"], "company_id": c["company_id"],
            "company": c["company"], "job_title": c["job_title"], "owner_id": c["owner_id"],
            "owner": c["owner"], "fields": c["fields"], "address": c["address"],
            "about": c["about"], "source": c["source"],
            "phones": [{"label": p["label"], "number": p["number"]} for p in c["phones"]],
            "emails": [{"label": e["label"], "address": e["address"]} for e in c["emails"]],
            "tags": c["tags"], "created_at": c["created_at"], "updated_at": c["updated_at"],
            "url": url_for("crm.card", contact_id=c["id"])}


def _contact_or_404(contact_id: int) -> dict:
    c = contacts.get_contact(db(), contact_id)
    if c is None:
        raise ApiError(404, "no such contact")
    return c


def _pairs(value, key: str, default_label: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"{key}: a list")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append((default_label, item))
        elif isinstance(item, dict):
            out.append((str(item.get("label") or default_label),
                        str(item.get("number" if key == "phones" else "address") or "")))
        else:
            raise ApiError(400, f"{key}: strings or objects")
    return out


def _apply(data: dict, body: dict) -> dict:
    for key in ("kind", "name", "company_id", "job_title", "owner_id", "address", "about"):
        if key in body:
            data[key] = body[key]
    if "phones" in body:
        data["phones"] = _pairs(body["phones"], "phones", "mobile")
    if "emails" in body:
        data["emails"] = _pairs(body["emails"], "emails", "work")
    if "tags" in body:
        if not isinstance(body["tags"], list):
            raise ApiError(400, "tags: a list of strings")
        data["tags"] = [str(t) for t in body["tags"]]
    if "fields" in body:
        if not isinstance(body["fields"], dict):
            raise ApiError(400, "fields: an object of field name -> value")
        data["fields"] = dict(data.get("fields") or {}, **body["fields"])
        data["fields"] = {k: v for k, v in data["fields"].items() if v not in (None, "")}
    return data


# -- contacts -------------------------------------------------------------------------------

@_route("/contacts", methods=["GET"])
def list_contacts():
    limit = _int_arg("limit", 50, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0)
    owner = _int_arg("owner", 0) or None
    rows, total = contacts.search(db(), request.args.get("q", ""),
                                  tag=request.args.get("tag") or None, owner_id=owner,
                                  limit=limit, offset=offset)
    return jsonify(total=total, limit=limit, offset=offset,
                   contacts=[{"id": r["id"], "kind": r["kind"], "name": r["name"],
                              "company_id": r["company_id"], "company": r["company"],
                              "job_title": r["job_title"], "owner_id": r["owner_id"],
                              "owner": r["owner"], "phones": r["phones"],
                              "emails": r["emails"], "tags": r["tags"]} for r in rows])


@_route("/contacts", methods=["POST"])
def create_contact():
    data = _apply({"fields": {}, "phones": [], "emails": [], "tags": []}, _body())
    try:
        contact_id = contacts.create_contact(db(), data, user=g.user["username"], source="api")
    except StoreError as exc:
        raise ApiError(400, str(exc)) from None
    return jsonify(contact=_contact_json(contacts.get_contact(db(), contact_id))), 201


@_route("/contacts/<int:contact_id>", methods=["GET"])
def get_contact(contact_id: int):
    return jsonify(contact=_contact_json(_contact_or_404(contact_id)))


@_route("/contacts/<int:contact_id>", methods=["PATCH"])
def patch_contact(contact_id: int):
    c = _contact_or_404(contact_id)
    data = _apply(contacts.contact_data(c), _body())
    try:
        contacts.update_contact(db(), contact_id, data)
    except StoreError as exc:
        raise ApiError(400, str(exc)) from None
    return jsonify(contact=_contact_json(contacts.get_contact(db(), contact_id)))


@_route("/contacts/<int:contact_id>", methods=["DELETE"])
def delete_contact(contact_id: int):
    _contact_or_404(contact_id)
    if g.user["role"] not in MANAGERS:
        raise ApiError(403, "deleting a contact needs the admin or supervisor role")
    contacts.delete_contact(db(), contact_id)
    return jsonify(deleted=contact_id)


# -- notes ----------------------------------------------------------------------------------

def _note_json(n: dict) -> dict:
    return {"id": n["id"], "contact_id": n["contact_id"], "author": n["author"],
            "body": n["body"], "template": n.get("template"), "private": bool(n["private"]),
            "call_id": n["call_id"], "recording_id": n["recording_id"],
            "created_at": n["created_at"], "updated_at": n["updated_at"]}


@_route("/contacts/<int:contact_id>/notes", methods=["GET"])
def list_notes(contact_id: int):
    _contact_or_404(contact_id)
    notes = contacts.visible_notes(db(), contact_id, g.user,
                                   limit=_int_arg("limit", 100, 1, MAX_LIMIT),
                                   offset=_int_arg("offset", 0))
    return jsonify(notes=[_note_json(n) for n in notes])


@_route("/contacts/<int:contact_id>/notes", methods=["POST"])
def add_note(contact_id: int):
    _contact_or_404(contact_id)
    body = _body()
    try:
        note_id = contacts.add_note(db(), contact_id, g.user, str(body.get("body") or ""),
                                    template_id=body.get("template_id"),
                                    private=bool(body.get("private")),
                                    call_id=str(body.get("call_id") or ""))
    except StoreError as exc:
        raise ApiError(400, str(exc)) from None
    return jsonify(note=_note_json(contacts.get_note(db(), note_id, g.user))), 201


@_route("/notes/<int:note_id>", methods=["GET"])
def get_note(note_id: int):
    n = contacts.get_note(db(), note_id, g.user)
    if n is None:
        raise ApiError(404, "no such note")
    return jsonify(note=_note_json(n))


# -- tasks (the logic is appliance.crm.planner's, as on the panel's task pages) ------------

TASK_COLUMNS = ("id", "contact_id", "project_id", "title", "details", "assignee_id", "status",
                "due_at", "remind_at", "source", "number", "created_at", "created_by",
                "done_at")
TASK_FIELDS = ("title", "details", "contact_id", "assignee_id", "due_at", "remind_at")


def _task_json(t: dict) -> dict:
    return {k: t[k] for k in TASK_COLUMNS} | {"assignee": t.get("assignee")}


def _time_value(body: dict, key: str) -> float | None:
    value = body.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError(400, f"{key}: epoch seconds (a number)")
    return float(value)


def _id_value(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{key}: a whole number or null")
    return value


def _task_values(body: dict, old: dict | None) -> dict:
    t = {k: (old or {}).get(k) for k in TASK_FIELDS}
    t["title"] = t["title"] or ""
    t["details"] = t["details"] or ""
    for key in ("title", "details"):
        if key in body:
            if not isinstance(body[key], str):
                raise ApiError(400, f"{key}: a string")
            t[key] = body[key]
    for key in ("contact_id", "assignee_id"):
        if key in body:
            t[key] = _id_value(body, key)
    for key in ("due_at", "remind_at"):
        if key in body:
            t[key] = _time_value(body, key)
    status = body.get("status")
    if status is not None and status not in planner.TASK_STATUSES:
        raise ApiError(400, "status: open, done or cancelled")
    return t


def _task_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except PermissionError as exc:
        raise ApiError(403, str(exc)) from None
    except StoreError as exc:
        raise ApiError(404 if str(exc) == planner.NO_TASK else 400, str(exc)) from None


@_route("/tasks", methods=["GET"])
def list_tasks():
    where, args = [], []
    if request.args.get("contact_id"):
        where.append("t.contact_id = ?")
        args.append(_int_arg("contact_id", 0))
    if request.args.get("assignee") == "me":
        where.append("t.assignee_id = ?")
        args.append(g.user["id"])
    elif request.args.get("assignee_id"):
        where.append("t.assignee_id = ?")
        args.append(_int_arg("assignee_id", 0))
    if request.args.get("status"):
        where.append("t.status = ?")
        args.append(request.args["status"])
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = db().query(
        "SELECT t.*, u.username AS assignee FROM crm_tasks t "
        f"LEFT JOIN users u ON u.id = t.assignee_id{clause} "
        "ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT ? OFFSET ?",
        args + [_int_arg("limit", 100, 1, MAX_LIMIT), _int_arg("offset", 0)])
    return jsonify(tasks=[_task_json(t) for t in rows])


@_route("/tasks", methods=["POST"])
def create_task():
    body = _body()
    t = _task_values(body, None)
    with transaction(db()):
        task_id = _task_call(planner.create_task, db(), g.user, source="api", **t)
        if body.get("status", "open") != "open":
            _task_call(planner.set_task_status, db(), g.user, task_id, body["status"])
    return jsonify(task=_task_json(planner.get_task(db(), task_id))), 201


@_route("/tasks/<int:task_id>", methods=["GET"])
def get_task(task_id: int):
    t = planner.get_task(db(), task_id)
    if t is None:
        raise ApiError(404, "no such task")
    return jsonify(task=_task_json(t))


@_route("/tasks/<int:task_id>", methods=["PATCH"])
def patch_task(task_id: int):
    old = planner.get_task(db(), task_id)
    if old is None:
        raise ApiError(404, "no such task")
    if not planner.can_change_task(g.user, old):
        raise ApiError(403, planner.NOT_YOURS_TASK)
    body = _body()
    t = _task_values(body, old)
    with transaction(db()):
        if any(k in body for k in TASK_FIELDS):
            _task_call(planner.update_task, db(), g.user, task_id, **t)
        if body.get("status") not in (None, old["status"]):
            _task_call(planner.set_task_status, db(), g.user, task_id, body["status"])
    return jsonify(task=_task_json(planner.get_task(db(), task_id)))
