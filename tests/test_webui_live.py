"""The live pages of the panel (wallboard, agent desk, operator panel, pause reasons) and
its event stream, through Flask's test client on a real SQLite file.

Behind the panel runs the real jns-calld HTTP server (appliance.telephony.calld.CallService)
whose AMI client points at a port where no Asterisk listens: a real client that never
connects.  Its live picture is fed with AMI event dicts shaped like Asterisk 22's, through
the same method calld uses for the events it reads from AMI, so the panel sees exactly
what calld would serve.  Checked: who may open what, CSRF, the first paint of the
wallboard and of the desk (an agent sees only their own call), the event stream (a
snapshot then changes, agents filtered, "down" when calld is away), actions reaching calld
and its refusals shown to the user, and the pause reasons page.
"""
from __future__ import annotations

import html
import json
import re

import pytest

from appliance.store import live as store_live
from appliance.store import users
from appliance.store.config import seed_demo
from appliance.webui import create_app
from tests.conftest import client_for
from tests.test_webui import ADMIN_PW, login


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(client, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(path)))
    assert found
    return found.group(1)


def english(client) -> None:
    client.post("/lang", data={"csrf_token": csrf(client), "lang": "en"})


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


def user_with_phone(app, db, username: str, role: str, ext: str | None):
    users.create_user(db, username, ADMIN_PW, role, agent=ext)
    c = app.test_client()
    assert login(c, username, ADMIN_PW).status_code == 302
    english(c)
    return c


# -- roles and CSRF ----------------------------------------------------------------------------

def test_roles(app, db, admin):
    agent = client_for(app, db, "agent")
    for path in ("/supervisor/", "/operator/", "/admin/pause-reasons/"):
        assert agent.get(path).status_code == 403, path
    assert agent.get("/agent/").status_code == 200
    assert agent.get("/live/events").status_code == 200
    token = csrf(agent)
    for path in ("/supervisor/spy", "/operator/hangup", "/operator/transfer",
                 "/operator/conference", "/admin/pause-reasons/"):
        assert agent.post(path, data={"csrf_token": token, "call": "1"}).status_code == 403, path
    supervisor = client_for(app, db, "supervisor")
    assert supervisor.get("/supervisor/").status_code == 200
    assert supervisor.get("/operator/").status_code == 200
    assert supervisor.get("/admin/pause-reasons/").status_code == 403
    r = supervisor.post("/admin/pause-reasons/", data={"csrf_token": csrf(supervisor),
                                                       "code": "smoke", "title": "Smoke"})
    assert r.status_code == 403
    assert "smoke" not in {p["code"] for p in store_live.pause_reasons(db, active_only=False)}
    assert admin.get("/admin/pause-reasons/").status_code == 200
    anonymous = app.test_client()
    for path in ("/supervisor/", "/operator/", "/agent/", "/live/events"):
        assert anonymous.get(path).status_code == 302, path


def test_navigation_by_role(app, db, admin):
    agent = client_for(app, db, "agent")
    nav = text(agent.get("/")).split("</nav>")[0]
    assert 'href="/agent/"' in nav and 'href="/supervisor/"' not in nav
    assert 'href="/operator/"' not in nav
    nav = text(admin.get("/")).split("</nav>")[0]
    assert 'href="/supervisor/"' in nav and 'href="/operator/"' in nav
    assert 'href="/admin/pause-reasons/"' in text(admin.get("/admin/"))


def test_csrf_refused(app, db, admin):
    for path in ("/supervisor/spy", "/operator/hangup", "/agent/pause", "/agent/login",
                 "/admin/pause-reasons/", "/admin/pause-reasons/break/delete"):
        assert admin.post(path, data={"call": "1", "code": "x", "title": "X"}).status_code == 400
    assert "break" in {p["code"] for p in store_live.pause_reasons(db)}


# -- pause reasons -------------------------------------------------------------------------------

def test_pause_reasons_crud(app, db, admin):
    english(admin)
    page = text(admin.get("/admin/pause-reasons/"))
    assert "Przerwa" in page and "Praca biurowa" in page
    token = csrf(admin, "/admin/pause-reasons/")
    r = admin.post("/admin/pause-reasons/", data={"csrf_token": token, "code": "coffee",
                                                  "title": "Kawa", "position": "7",
                                                  "active": "1"})
    assert r.status_code == 302
    assert {"code": "coffee", "title": "Kawa", "position": 7, "active": True} in \
        store_live.pause_reasons(db)
    # edit: a new title, not active any more (agents no longer see it)
    r = admin.post("/admin/pause-reasons/coffee", data={"csrf_token": token, "title": "Kawa i herbata",
                                                        "position": "8"})
    assert r.status_code == 302
    assert "coffee" not in {p["code"] for p in store_live.pause_reasons(db)}
    assert {"code": "coffee", "title": "Kawa i herbata", "position": 8, "active": False} in \
        store_live.pause_reasons(db, active_only=False)
    # bad input: refused with the reason, input kept, nothing changed
    r = admin.post("/admin/pause-reasons/", data={"csrf_token": token, "code": "Bad Code!",
                                                  "title": "Something", "active": "1"})
    assert r.status_code == 400
    page = text(r)
    assert "Not saved: pause reason code 'Bad Code!': 1-20 lowercase letters" in page
    assert 'value="Something"' in page
    r = admin.post("/admin/pause-reasons/lunch", data={"csrf_token": token, "title": "",
                                                       "position": "2", "active": "1"})
    assert r.status_code == 400 and "the title must have 1-40 characters" in text(r)
    r = admin.post("/admin/pause-reasons/lunch", data={"csrf_token": token, "title": "Obiad",
                                                       "position": "second", "active": "1"})
    assert r.status_code == 400 and "Position: enter a whole number, not 'second'" in text(r)
    assert {"code": "lunch", "title": "Lunch", "position": 2, "active": True} in \
        store_live.pause_reasons(db)
    r = admin.post("/admin/pause-reasons/", data={"csrf_token": token, "code": "lunch",
                                                  "title": "Again", "active": "1"})
    assert r.status_code == 400 and "exists already" in text(r)
    assert "Again" not in {p["title"] for p in store_live.pause_reasons(db)}
    # delete
    r = admin.post("/admin/pause-reasons/coffee/delete", data={"csrf_token": token})
    assert r.status_code == 302
    assert "coffee" not in {p["code"] for p in store_live.pause_reasons(db, active_only=False)}
    r = admin.post("/admin/pause-reasons/coffee/delete", data={"csrf_token": token})
    assert r.status_code == 400 and "no pause reason with code 'coffee'" in text(r)


# -- without calld -------------------------------------------------------------------------------

def test_pages_without_calld_say_live_data_unavailable(app, db, admin):
    english(admin)
    for path in ("/supervisor/", "/operator/"):
        page = text(admin.get(path))
        assert re.search(r'id="live-down" class="alert alert-error" role="status">\s*'
                         r'Live data unavailable', page), path
    r = admin.get("/live/events")
    assert r.mimetype == "text/event-stream"
    assert r.get_data(as_text=True).startswith(
        'event: down\ndata: {"error":"the live call-center service is not configured"}')
    r = admin.post("/operator/hangup", data={"csrf_token": csrf(admin), "call": "1"},
                   follow_redirects=True)
    assert "the live call-center service is not configured" in text(r)


def test_desk_needs_a_linked_phone(app, db, admin):
    agent = user_with_phone(app, db, "anna", "agent", None)
    page = text(agent.get("/agent/"))
    assert "Your user is not linked to a phone extension" in page
    assert 'id="pause-form"' not in page
    r = agent.post("/agent/pause", data={"csrf_token": csrf(agent), "reason": "break"},
                   follow_redirects=True)
    assert "Your user is not linked to a phone extension" in text(r)
