"""The web panel of the box: a Flask app factory in the style of Flask's flaskr tutorial.

`create_app(db_path, status_provider, config)` opens the box's database once per process
(app.extensions["jns_db"], one connection per thread), takes the session key from the database (generated on the
box the first time, never in the repository), registers the blueprints and puts security
headers on every response.

Directories (config keys, None when the box has none, e.g. in unit tests; the pages that
need one then say the feature is unavailable): PROMPTS_DIR (IVR prompts, one folder per
language), MOH_DIR (hold music, one folder per queue), RECORDINGS_DIR (call recordings;
the database holds paths relative to it).

The web layer holds no telephony logic: pages only call `status_provider()` (live state
from Asterisk), functions of `appliance.store` and, for sound files,
`appliance.telephony.sounds`.  It must never write Asterisk files, send AMI actions or
run shell commands; a background service applies database changes to Asterisk.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from ..store.db import PerThread, ensure_secret
from . import (accounts, admin, agent, auth, blacklist, callers, dashboard, gsm, inbound, menus,
               prompts, queues, recordings, schedules, settings, supervisor)
from . import alerts
from . import hardware
from . import queue_alarms
from . import livefeed, operator, pauses
from . import reports, staffing
from . import campaign_desk, campaign_lists, campaigns
from . import system
from . import crm, crm_api
from . import crm_calls
from . import crm_work
from . import crm_planner
from . import conf_schedules, conferences, sms_campaigns
from . import webhooks
from . import softphone
from . import skills
from .forms import UPLOAD_MAX_BYTES
from .i18n import current_lang, gettext

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

# HTTP status -> (title, explanation); both are catalogue ids
ERRORS = {
    400: ("Bad request", "The request could not be understood."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Request too large", "The data sent is larger than the panel accepts."),
    500: ("Internal error", "Something went wrong on the box; the error has been logged."),
}


def create_app(db_path: str, status_provider: Callable[[], dict] | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.extensions["jns_db"] = PerThread(db_path)
    db = app.extensions["jns_db"].get()
    app.extensions["jns_status_provider"] = status_provider
    app.config.update(
        SECRET_KEY=ensure_secret(db, "web_secret_key", 32),
        SESSION_COOKIE_NAME="jns_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        UPLOAD_MAX_BYTES=UPLOAD_MAX_BYTES,
        PROMPTS_DIR=None,
        MOH_DIR=None,
        RECORDINGS_DIR=None,
        CRM_FILES_DIR=None,   # CRM documents; None: crm-files/ next to the database
    )
    app.config.update(config or {})

    auth.init_app(app)
    alerts.init_app(app)   # alarms and security pages, the alarm banner
    for module in (auth, dashboard, admin, menus, queues, inbound, schedules, callers,
                   blacklist, prompts, settings, accounts, recordings, supervisor, agent, gsm):
        app.register_blueprint(module.bp)
    app.register_blueprint(gsm.sms_bp)   # /sms/ (gsm.bp is /admin/modems/)
    app.register_blueprint(hardware.bp)   # /admin/hardware/: sensors, LEDs, DAHDI
    app.register_blueprint(queue_alarms.bp)   # /supervisor/alarms/: call-center alarms
    for module in (livefeed, operator, pauses):   # /live/events, /operator/, pause reasons
        app.register_blueprint(module.bp)
    app.register_blueprint(reports.bp)   # /reports/: call and agent reports, exports, monthly
    app.register_blueprint(staffing.bp)   # /reports/staffing/: Erlang C/A agents needed
    app.register_blueprint(campaign_lists.bp)   # /campaigns/lists/, /campaigns/dnc/: CMP-1
    app.register_blueprint(campaign_desk.bp)   # campaign calls on the desk, dispositions, callbacks
    app.register_blueprint(campaigns.bp)   # /campaigns/: campaigns, live progress, reports
    app.register_blueprint(system.bp)   # /admin/system/: firmware update, backup, factory reset
    app.register_blueprint(crm.bp)   # /crm/: contacts, notes, import/export (CRM-1, CRM-4, CRM-6)
    app.register_blueprint(crm_api.bp)   # /api/v1/: the CRM's JSON API (token auth)
    app.register_blueprint(crm_calls.bp)   # /crm/calls/: click to dial, the desk's call notes
    crm_calls.init_app(app)   # campaign hand-offs land in the CRM at once
    app.register_blueprint(crm_work.bp)   # /crm/: e-mail and SMS, projects and time, files
    app.register_blueprint(crm_planner.bp)   # /crm/tasks/, /crm/calendar/: tasks, meetings, feeds
    app.register_blueprint(conferences.bp)   # /conferences/: rooms, live participants (CONF-1, 2)
    app.register_blueprint(conf_schedules.bp)   # /conferences/schedules/: CONF-3, AUTO-2
    app.register_blueprint(sms_campaigns.bp)   # /campaigns/sms/: SMS campaigns (AUTO-3)
    app.register_blueprint(webhooks.bp)   # /admin/webhooks/: integrators' webhooks (issue 12)
    app.register_blueprint(softphone.bp)   # the desk's browser softphone, agents' phone kind
    app.register_blueprint(skills.bp)   # /admin/skills/: skills and agents' levels (BEY-3)
    app.jinja_env.globals.update(_=gettext, current_lang=current_lang,
                                 admin_pages=admin.PAGES, admin_areas=admin.AREAS)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(403, _forbidden)
    return app


def _security_headers(response):
    h = response.headers
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Content-Security-Policy"] = CSP
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"  # pages show live and per-user data
    return response


def _forbidden(exc):
    return render_template("403.html"), 403


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    if exc.code == 403:
        return _forbidden(exc)
    if request.path.startswith("/api/"):
        return {"error": exc.description}, exc.code
    if isinstance(exc, auth.CSRFError):
        title, message = "Bad request", auth.CSRF_MESSAGE
    else:
        title, message = ERRORS.get(exc.code, (exc.name, exc.description))
    if "user" not in g:  # raised before the user was loaded (e.g. 413 while reading the form)
        g.user = None
    return render_template("error.html", title=title, message=message), exc.code
