"""Webhooks `/admin/webhooks/` (issue 12, item 5): where the box POSTs call, agent and
campaign events for integrators.

- `/admin/webhooks/`: every webhook with its delivery counts; add one (address, kinds of
  events, description); its signing secret is shown once, on the page that answers the
  form (never in a cookie or a redirect), and again only when the admin makes a new one;
- `/<id>/`: edit, switch off, delete, "Send a test event", "New secret", and the delivery
  log (status, attempts, HTTP code, error) with "Retry now" for a pending or failed row.

Admin only.  The panel writes webhooks and delivery rows; jns-calld's sender POSTs them.

`GET /api/v1/events` is the same events as a read-only stream of server-sent events for
integrators who would rather pull: a CRM API token (`Authorization: Bearer`, the CRM API's
own authentication: the view is added to crm_api's blueprint) of an admin or a supervisor
(agents 403).  Each event is `id: <event id>`, `event: <name>`, `data: {id, event, at, data}`;
`: keepalive` every 15 s; an `event: down` while jns-calld or Asterisk is away.
"""
from __future__ import annotations

import time

import json

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, stream_with_context, url_for)

from ..telephony import webhooks as store
from . import crm_api, livefeed
from .auth import db, role_required

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

KIND_LABELS = {"call": "Calls: started, queued, answered, ended",
               "agent": "Agents: login, logout, pause, ready",
               "campaign": "Campaigns: each call's outcome"}
STATUS_LABELS = {"pending": "webhook_status:pending", "delivered": "webhook_status:delivered",
                 "failed": "webhook_status:failed"}


def _when(epoch) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else ""


def _form() -> dict:
    f = request.form
    return {"url": f.get("url", "").strip(), "description": f.get("description", "").strip(),
            "events": [k for k in store.KINDS if f.get(f"kind_{k}")],
            "active": bool(f.get("active"))}


def _hook_or_404(wid: int) -> dict:
    hook = store.webhook(db(), wid)
    if hook is None:
        abort(404)
    return hook


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    form, error, secret = {"url": "", "description": "", "events": list(store.KINDS),
                           "active": True}, None, None
    if request.method == "POST":
        form = _form()
        try:
            wid, secret = store.add_webhook(db(), form["url"], form["events"], form["description"],
                                            form["active"], user=g.user["username"])
        except store.WebhookError as exc:
            error = str(exc)
        else:
            return render_template("webhooks/secret.html", hook=store.webhook(db(), wid),
                                   secret=secret, created=True)
    return render_template("webhooks/index.html", hooks=store.webhooks(db()), f=form,
                           error=error, kinds=KIND_LABELS, when=_when), 400 if error else 200


@bp.route("/<int:wid>/", methods=["GET", "POST"])
@role_required("admin")
def view(wid: int):
    hook = _hook_or_404(wid)
    form, error = {**hook, "events": [e for e in hook["events"] if e in store.KINDS]}, None
    if request.method == "POST":
        form = _form()
        # names of single events a webhook was given outside the panel are kept
        events = form["events"] + [e for e in hook["events"] if e not in store.KINDS
                                   and e.split(".")[0] not in form["events"]]
        try:
            store.update_webhook(db(), wid, form["url"], events, form["description"],
                                 form["active"])
        except store.WebhookError as exc:
            error = str(exc)
        else:
            flash("Webhook saved.", "ok")
            return redirect(url_for(".view", wid=wid))
    return render_template("webhooks/view.html", hook=hook, f=form, error=error,
                           kinds=KIND_LABELS, statuses=STATUS_LABELS, when=_when,
                           log=store.deliveries(db(), wid)), 400 if error else 200


@bp.post("/<int:wid>/delete")
@role_required("admin")
def delete(wid: int):
    _hook_or_404(wid)
    store.delete_webhook(db(), wid)
    flash("Webhook deleted.", "ok")
    return redirect(url_for(".index"))


@bp.post("/<int:wid>/secret")
@role_required("admin")
def new_secret(wid: int):
    _hook_or_404(wid)
    secret = store.rotate_secret(db(), wid)
    return render_template("webhooks/secret.html", hook=store.webhook(db(), wid), secret=secret,
                           created=False)


@bp.post("/<int:wid>/test")
@role_required("admin")
def send_test(wid: int):
    hook = _hook_or_404(wid)
    store.send_test(db(), wid)
    if hook["active"]:
        flash("Test event queued: it is sent within seconds; see the delivery log.", "ok")
    else:
        flash("Test event queued; it is sent when the webhook is switched on.", "ok")
    return redirect(url_for(".view", wid=wid))


@bp.post("/<int:wid>/deliveries/<int:did>/retry")
@role_required("admin")
def retry(wid: int, did: int):
    _hook_or_404(wid)
    if store.retry_now(db(), wid, did):
        flash("The delivery is sent again now.", "ok")
    else:
        flash("This delivery was already delivered.", "error")
    return redirect(url_for(".view", wid=wid))


# -- the event stream for integrators ---------------------------------------------------------

@crm_api._route("/events")
def event_stream():
    """Server-sent integrator events from the panel's one live feed (see the docstring)."""
    if g.user["role"] not in ("admin", "supervisor"):
        return jsonify(error="the event stream is for admins and supervisors"), 403
    live = livefeed.feed()
    keepalive = float(current_app.config.get("LIVE_KEEPALIVE_S", livefeed.KEEPALIVE_S))

    def stream():
        if live is None:
            yield livefeed.sse("down", {"error": "the live call-center service is not configured"})
            return
        if live.subscribers >= livefeed.MAX_STREAMS:   # the panel's threads stay free for pages
            yield "retry: 30000\n" + livefeed.sse("down", {"error": livefeed.TOO_MANY})
            return
        sub = live.subscribe()
        mapper = None
        yield ": JNS Call Center events\n\n"   # the headers go out now, not at the first event
        try:
            while not sub.closed:
                message = sub.get(timeout=keepalive)
                if message is None:
                    yield ": keepalive\n\n"
                    continue
                kind, data = message
                if kind == "snapshot":
                    events = mapper.resnapshot(data) if mapper else []
                    mapper = mapper or store.EventMapper(data)
                elif kind == "change" and mapper is not None:
                    events = mapper.feed([(data["kind"], data["id"], data["data"])])
                elif kind == "down":
                    if mapper is not None:
                        mapper.feed([("asterisk", "", {"connected": False})])
                    yield livefeed.sse("down", data)
                    continue
                else:
                    continue
                for name, payload in events:
                    env = store.envelope(name, payload, time.time())
                    yield (f"id: {env['id']}\nevent: {name}\n"
                           f"data: {json.dumps(env, separators=(',', ':'))}\n\n")
        finally:
            live.unsubscribe(sub)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response
