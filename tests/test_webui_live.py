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

import time
import json
import re

import pytest

from appliance.store import live as store_live
from appliance.store import users
from appliance.store.config import seed_demo
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token as csrf, page_text as text, use_english as english
from tests.test_webui_browser import page  # noqa: F401 (fixture)
from tests.test_webui import ADMIN_PW, login


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
    r = admin.post("/admin/pause-reasons/coffee", data={"csrf_token": token,
                                                        "title": "Kawa i herbata", "position": "8"})
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


# -- with a real jns-calld ---------------------------------------------------------------------

CALL_WAITING = "1764140000.1"     # a caller waiting in "support"
CALL_TALKING = "1764140000.2"     # a caller talking to agent 101


def newchannel(uid: str, channel: str, caller: str, *, linkedid: str | None = None,
               context: str = "from-trunk", exten: str = "100") -> dict:
    return {"Event": "Newchannel", "Channel": channel, "ChannelState": "4",
            "ChannelStateDesc": "Ring", "CallerIDNum": caller, "CallerIDName": "",
            "Context": context, "Exten": exten, "Priority": "1", "Uniqueid": uid,
            "Linkedid": linkedid or uid}


def member(event: str, ext: str, *, paused: bool = False, reason: str = "") -> dict:
    return {"Event": event, "Queue": "support", "Interface": f"PJSIP/{ext}",
            "MemberName": f"Agent {ext}", "StateInterface": f"PJSIP/{ext}",
            "Membership": "static", "Penalty": "0", "CallsTaken": "0", "LastCall": "0",
            "LastPause": "0", "LoginTime": "0", "InCall": "0", "Status": "1",
            "Paused": "1" if paused else "0", "PausedReason": reason, "Wrapuptime": "0"}


PICTURE = [
    member("QueueMemberAdded", "101"),
    member("QueueMemberAdded", "102"),
    member("QueueMemberPause", "102", paused=True, reason="lunch"),
    newchannel(CALL_WAITING, "PJSIP/trunk-00000001", "48600100200"),
    {"Event": "QueueCallerJoin", "Queue": "support", "Position": "1", "Count": "1",
     "Channel": "PJSIP/trunk-00000001", "Uniqueid": CALL_WAITING, "Linkedid": CALL_WAITING,
     "CallerIDNum": "48600100200"},
    newchannel(CALL_TALKING, "PJSIP/trunk-00000002", "48500999888"),
    {"Event": "QueueCallerJoin", "Queue": "support", "Position": "2", "Count": "2",
     "Channel": "PJSIP/trunk-00000002", "Uniqueid": CALL_TALKING, "Linkedid": CALL_TALKING,
     "CallerIDNum": "48500999888"},
    newchannel("1764140000.3", "PJSIP/101-00000003", "48500999888", linkedid=CALL_TALKING,
               context="jns-agents", exten="101"),
    {"Event": "AgentConnect", "Queue": "support", "Interface": "PJSIP/101",
     "MemberName": "Agent 101", "Channel": "PJSIP/trunk-00000002", "Uniqueid": CALL_TALKING,
     "Linkedid": CALL_TALKING, "DestChannel": "PJSIP/101-00000003",
     "DestUniqueid": "1764140000.3", "HoldTime": "4", "RingTime": "2"},
    {"Event": "QueueCallerLeave", "Queue": "support", "Position": "2", "Count": "1",
     "Channel": "PJSIP/trunk-00000002", "Uniqueid": CALL_TALKING, "Linkedid": CALL_TALKING},
    {"Event": "BridgeEnter", "BridgeUniqueid": "b-1", "Channel": "PJSIP/trunk-00000002",
     "ChannelState": "6", "Uniqueid": CALL_TALKING, "Linkedid": CALL_TALKING},
    {"Event": "BridgeEnter", "BridgeUniqueid": "b-1", "Channel": "PJSIP/101-00000003",
     "ChannelState": "6", "Uniqueid": "1764140000.3", "Linkedid": CALL_TALKING},
]


def closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def calld(app, db, admin, tmp_path):
    """The real jns-calld on a free port of 127.0.0.1, its AMI client pointing where no
    Asterisk listens; the panel's LIVE_CLIENT points at it."""
    from appliance.store.db import ensure_secret
    from appliance.telephony.ami import AMIClient
    from appliance.telephony.calld import CallService, LiveClient
    secret = ensure_secret(db, "calld_secret")
    ami = AMIClient("127.0.0.1", closed_port(), "jns", "nobody-listens", name="test-calld")
    service = CallService(app.extensions["jns_db"].path, ami, queue_log=tmp_path / "queue_log",
                          bind=("127.0.0.1", 0), secret=secret).start()
    service.reload_config()
    for event in PICTURE:
        service._on_event(event)   # what calld does with each event it reads from AMI
    app.config["LIVE_CLIENT"] = LiveClient(f"http://127.0.0.1:{service.port}", secret)
    app.config["LIVE_KEEPALIVE_S"] = 0.5
    yield service
    feed = app.extensions.get("jns_live_feed")
    if feed is not None:
        feed.stop()
    service.stop()
    ami.close()


def row(page: str, attr: str, key: str) -> str:
    """The HTML of the element marked data-<attr>="<key>" (a table row or a tile)."""
    found = re.search(rf'<(tr|article)[^>]*data-{attr}="{re.escape(key)}"[^>]*>(.*?)</\1>',
                      page, re.S)
    assert found, f"no data-{attr}={key!r} on the page"
    return found.group(2)


def cell_text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_wallboard_first_paint(app, db, calld):
    boss = user_with_phone(app, db, "boss", "supervisor", None)
    page = text(boss.get("/supervisor/"))
    assert 'id="live-down" class="alert alert-error" role="status" hidden' in page
    # this calld's AMI never connected: the page says so (its calls come from fed events)
    assert re.search(r'id="asterisk-down" class="alert alert-error" role="status">\s*'
                     r'Asterisk is not connected to the live service', page)
    waiting = cell_text(row(page, "call", CALL_WAITING))
    assert "48600100200" in waiting and "waiting in queue" in waiting and "support" in waiting
    talking = cell_text(row(page, "call", CALL_TALKING))
    assert "48500999888" in talking and "talking" in talking and talking.endswith("101")
    assert "Agent 102 102 paused Lunch" in cell_text(row(page, "agent", "102"))
    tile = row(page, "queue", "support")
    assert re.search(r'class="waiting" data-f="waiting">1<', tile)
    assert re.search(r'class="free" data-f="free">0<', tile)      # 101 talks, 102 paused
    assert re.search(r'class="paused" data-f="paused">1<', tile)
    assert re.search(r'class="answered" data-f="answered_today">1<', tile)
    assert 'data-queue="support" data-colour="red"' in page        # waiting, nobody free
    # no phone linked: no listen buttons, a note instead
    assert "Link your phone in Users to listen to calls." in page
    assert 'value="listen"' not in page.split("<template")[0]


def test_agent_desk_shows_only_the_agents_own_call(app, db, calld):
    anna = user_with_phone(app, db, "anna", "agent", "101")
    page = text(anna.get("/agent/"))
    card = cell_text(row(page.replace("<article class=\"card call-card\"", "<article"),
                         "call", CALL_TALKING))
    assert "48500999888" in card and "talking" in card
    assert "48600100200" not in page and CALL_WAITING not in page   # another caller
    assert 'data-agent="102"' not in page and "Agent 102" not in page
    assert "You are always logged in to your queues." in page       # 101 is static
    assert 'id="logout-form"' not in page
    assert 'id="crm-pops"' in page and "crm_desk.js" in page     # the CRM's screen pop
    for reason in ("Przerwa", "Lunch", "Szkolenie", "Praca biurowa"):
        assert f">{reason}</option>" in page


def sse_messages(response, wanted, limit: int = 60) -> list[tuple[str, object]]:
    """Read the stream message by message until `wanted(event, data)` is true; returns
    everything read.  (Keepalives come every 0.5 s, so a missing message ends the loop.)"""
    seen = []
    for chunk, _n in zip(response.response, range(limit)):
        chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
        if chunk.startswith(":"):
            seen.append(("keepalive", None))
            continue
        found = re.match(r"event: (\w+)\ndata: (.*)\n\n$", chunk, re.S)
        assert found, chunk
        seen.append((found.group(1), json.loads(found.group(2))))
        if wanted(*seen[-1]):
            return seen
    raise AssertionError(f"not in the stream: {seen}")


def is_gone(call_id):
    return lambda event, data: (event == "change" and data["kind"] == "call"
                                and data["id"] == call_id and data["data"] is None)


def hangup(service, uid: str, channel: str) -> None:
    service._on_event({"Event": "Hangup", "Channel": channel, "Uniqueid": uid,
                       "Linkedid": uid, "Cause": "16"})


def test_event_stream_snapshot_then_changes(app, db, admin, calld):
    r = admin.get("/live/events", buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    first = sse_messages(r, lambda event, data: True)
    event, snap = first[-1]
    assert event == "snapshot"
    assert set(snap["calls"]) == {CALL_WAITING, CALL_TALKING}
    assert snap["agents"]["102"]["pause_reason"] == "lunch"
    hangup(calld, CALL_WAITING, "PJSIP/trunk-00000001")   # the waiting caller gives up
    seen = sse_messages(r, lambda event, data: (
        event == "change" and data["kind"] == "queue" and data["data"]["waiting"] == 0))
    r.close()
    assert any(is_gone(CALL_WAITING)(event, data) for event, data in seen)
    seqs = [d["seq"] for e, d in seen if e == "change"]
    assert seqs == sorted(seqs) and seqs[0] > snap["seq"]
    # the page drawn now shows it gone too
    assert CALL_WAITING not in text(admin.get("/supervisor/"))


def test_event_stream_of_an_agent_is_filtered(app, db, calld):
    anna = user_with_phone(app, db, "anna", "agent", "101")
    r = anna.get("/live/events", buffered=False)
    event, snap = sse_messages(r, lambda event, data: True)[-1]
    assert event == "snapshot"
    assert list(snap["calls"]) == [CALL_TALKING] and list(snap["agents"]) == ["101"]
    assert list(snap["queues"]) == ["support"] and snap["alarms"] == []
    # another caller leaves: not the agent's business; then the agent's own call ends
    hangup(calld, CALL_WAITING, "PJSIP/trunk-00000001")
    calld._on_event({"Event": "BridgeLeave", "BridgeUniqueid": "b-1", "Uniqueid": "1764140000.3",
                     "Channel": "PJSIP/101-00000003", "Linkedid": CALL_TALKING})
    hangup(calld, "1764140000.3", "PJSIP/101-00000003")
    hangup(calld, CALL_TALKING, "PJSIP/trunk-00000002")
    seen = sse_messages(r, is_gone(CALL_TALKING))
    r.close()
    for event, data in seen:
        if event == "change":
            assert data["kind"] in ("call", "agent", "queue", "asterisk"), data
            assert data["kind"] != "call" or data["id"] == CALL_TALKING, data
            assert data["kind"] != "agent" or data["id"] == "101", data
            assert "48600100200" not in json.dumps(data)


def test_event_stream_says_down_when_calld_stops(app, db, admin, calld):
    r = admin.get("/live/events", buffered=False)
    assert sse_messages(r, lambda event, data: True)[-1][0] == "snapshot"
    calld.stop()
    seen = sse_messages(r, lambda event, data: event == "down")
    assert seen[-1][1]["error"]
    english(admin)
    page = text(admin.get("/supervisor/"))
    assert "Live data unavailable: the live call-center service is not running (jns-calld)" \
        in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "48600100200" not in page
    # calld comes back (e.g. restarted by systemd) on its port: a fresh snapshot follows
    from appliance.telephony.calld import CallService
    again = CallService(calld.db_path, calld.ami, queue_log=calld.queue_log,
                        bind=("127.0.0.1", calld.port), secret=calld.secret).start()
    try:
        again.reload_config()
        again._on_event(PICTURE[0])
        seen = sse_messages(r, lambda event, data: event == "snapshot")
        assert seen[-1][1]["agents"]["101"]["queues"] == ["support"]
        assert seen[-1][1]["calls"] == {}
    finally:
        r.close()
        again.stop()


def test_actions_reach_calld_and_its_refusals_are_shown(app, db, calld):
    boss = user_with_phone(app, db, "boss", "supervisor", "102")
    page = text(boss.get("/supervisor/"))
    assert "Listen" in row(page, "call", CALL_WAITING)
    token = csrf(boss, "/supervisor/")
    r = boss.post("/supervisor/spy", data={"csrf_token": token, "call": CALL_WAITING,
                                           "mode": "listen"}, follow_redirects=True)
    assert "no agent is on this call yet; nothing to listen to" in text(r)
    r = boss.post("/operator/hangup", data={"csrf_token": token, "call": "1764139999.9"},
                  follow_redirects=True)
    assert "this call has already ended" in text(r)
    r = boss.post("/operator/transfer", data={"csrf_token": token, "call": CALL_WAITING,
                                              "target": ""}, follow_redirects=True)
    assert "Choose an extension or a queue to transfer the call to." in text(r)
    r = boss.post("/operator/conference", data={"csrf_token": token, "calls": [CALL_WAITING]},
                  follow_redirects=True)
    assert "Tick at least two calls" in text(r)


def test_desk_actions_reach_calld(app, db, calld):
    anna = user_with_phone(app, db, "anna", "agent", "101")
    token = csrf(anna, "/agent/")
    r = anna.post("/agent/pause", data={"csrf_token": token, "reason": "nap"},
                  follow_redirects=True)
    assert "'nap' is not a pause reason; choose one from the list" in text(r)
    refused = store_live.audit_log(db)[0]
    assert (refused["username"], refused["action"]) == ("anna", "pause")
    assert "not a pause reason" in refused["result"]
    r = anna.post("/agent/dial", data={"csrf_token": token, "number": " "},
                  follow_redirects=True)
    assert "dial: 'number' is missing" in text(r)


# -- live.js in a real headless Chromium -----------------------------------------------------------

@pytest.mark.browser
def test_wallboard_in_the_browser_follows_calld(app, db, calld, page, tmp_path):
    """The real panel (gunicorn) and the real calld; the wallboard updates without reloads:
    a new caller appears with its wait counting up, an agent's pause shows with the reason,
    a caller who hangs up disappears, and when calld stops the page says the live data is
    unavailable and shows no calls."""
    from playwright.sync_api import expect

    from tests.test_webui_browser import signed_in_panel
    users.create_user(db, "boss", ADMIN_PW, "supervisor", lang="en")
    with signed_in_panel(page, app, calld, tmp_path / "gunicorn.log", "boss",
                         ADMIN_PW) as url:
        page.goto(url + "/supervisor/")
        waiting = page.locator(f'#calls tr[data-call="{CALL_WAITING}"]')
        expect(waiting.locator(".caller")).to_have_text("48600100200")
        expect(page.locator("#live-down")).to_be_hidden()

        # a new caller: the row appears, its wait counts up from the server's clock
        new_call = "1764140000.9"
        calld._on_event(newchannel(new_call, "PJSIP/trunk-00000009", "48222333444"))
        calld._on_event({"Event": "QueueCallerJoin", "Queue": "support", "Position": "2",
                         "Count": "2", "Channel": "PJSIP/trunk-00000009", "Uniqueid": new_call,
                         "Linkedid": new_call, "CallerIDNum": "48222333444"})
        row = page.locator(f'#calls tr[data-call="{new_call}"]')
        expect(row.locator(".caller")).to_have_text("48222333444")
        expect(row.locator(".state")).to_have_text("waiting in queue")
        expect(row.locator(".wait")).to_have_text(re.compile(r"0:0[2-9]"))
        expect(page.locator('[data-queue="support"] .waiting')).to_have_text("2")
        # its forms carry the call id (the row was cloned from the template)
        assert row.locator('input[name="call"]').count() == 0   # no phone: no spy forms

        # agent 101 pauses for training: the agents table says so
        calld._on_event(member("QueueMemberPause", "101", paused=True, reason="training"))
        agent = page.locator('#agents tr[data-agent="101"]')
        expect(agent.locator(".state")).to_have_text("paused")
        expect(agent.locator(".reason")).to_have_text("Szkolenie")
        expect(page.locator('[data-queue="support"] .paused')).to_have_text("2")

        # the first caller hangs up: gone from the table and the tile
        hangup(calld, CALL_WAITING, "PJSIP/trunk-00000001")
        expect(waiting).to_have_count(0)
        expect(page.locator('[data-queue="support"] .waiting')).to_have_text("1")

        # calld stops: "live data unavailable", no calls shown
        expect(page.locator("#asterisk-down")).to_be_visible()   # AMI never connected
        calld.stop()
        expect(page.locator("#asterisk-down")).to_be_hidden()
        expect(page.locator("#live-down")).to_be_visible()
        expect(page.locator("#live-down")).to_contain_text("Live data unavailable")
        expect(page.locator("#calls tbody tr")).to_have_count(0)
        assert page.console_errors == []


def test_operator_panel(app, db, calld):
    boss = user_with_phone(app, db, "boss", "supervisor", None)
    page = text(boss.get("/operator/"))
    for call_id, caller in ((CALL_WAITING, "48600100200"), (CALL_TALKING, "48500999888")):
        cells = row(page, "call", call_id)
        assert caller in cell_text(cells)
        assert f'name="call" value="{call_id}"' in cells          # transfer, park, hang up
        assert f'name="calls" form="conf-form" value="{call_id}"' in cells
        assert '<option value="extension:102">102 Agent 102</option>' in cells
        assert '<option value="queue:support">' in cells
        assert "Pick up" not in cells            # no phone linked to pick up with
    assert 'data-target="queue:support"' in page and 'data-target="extension:101"' in page
    # a queue deleted since the page was drawn: calld refuses, the operator reads why
    r = boss.post("/operator/transfer", data={"csrf_token": csrf(boss, "/operator/"),
                                              "call": CALL_WAITING, "target": "queue:sales"},
                  follow_redirects=True)
    assert "there is no queue 'sales'; choose one from the list" in text(r)
    refused = store_live.audit_log(db)[0]
    assert (refused["username"], refused["action"], refused["call"]) == \
        ("boss", "transfer", CALL_WAITING)


def test_event_stream_ends_with_the_session(app, db, calld):
    anna = user_with_phone(app, db, "anna", "agent", "101")
    r = anna.get("/live/events", buffered=False)
    assert sse_messages(r, lambda event, data: True)[-1][0] == "snapshot"
    users.set_password(db, "anna", "a-new-password-42")   # e.g. reset by an admin
    rest = [chunk for chunk, _n in zip(r.response, range(100))]
    assert len(rest) < 100          # the stream ended by itself
    r.close()
    assert anna.get("/live/events").status_code == 302    # and the session is gone


def test_desk_of_an_agent_who_logs_in(app, db, calld):
    from appliance.store import config
    config.add_agent(db, "103", "Agent 103", login=True)
    config.save_queue(db, "support", "Support", members=["101", "102", "103"])
    calld.reload_config()
    ola = user_with_phone(app, db, "ola", "agent", "103")
    page = text(ola.get("/agent/"))
    assert 'name="queue" value="support" checked' in page
    assert 'id="logout-form"' in page and "always logged in" not in page
    assert "logged out" in cell_text(page.split('id="me"')[1].split("</section>")[0])
    token = csrf(ola, "/agent/")
    r = ola.post("/agent/login", data={"csrf_token": token}, follow_redirects=True)
    assert "Tick the queues to log in to." in text(r)
    r = ola.post("/agent/login", data={"csrf_token": token, "queue": "sales"},
                 follow_redirects=True)
    assert "agent 103 is not assigned to queue 'sales'" in text(r)


@pytest.mark.browser
def test_desk_in_the_browser_shows_the_agents_own_calls(app, db, calld, page, tmp_path):
    from playwright.sync_api import expect

    from tests.test_webui_browser import signed_in_panel
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en", agent="101")
    with signed_in_panel(page, app, calld, tmp_path / "gunicorn.log", "anna",
                         ADMIN_PW) as url:
        page.goto(url + "/agent/")
        mine = page.locator(f'#my-calls [data-call="{CALL_TALKING}"]')
        expect(mine.locator(".caller")).to_have_text("48500999888")
        expect(mine.locator(".talk")).to_have_text(re.compile(r"\d+:\d\d"))
        expect(page.locator("#me .state")).to_have_text("on a call")

        # agent 102 answers the waiting caller: not shown on 101's desk
        calld._on_event(member("QueueMemberPause", "102"))
        calld._on_event(newchannel("1764140000.4", "PJSIP/102-00000004", "48600100200",
                                   linkedid=CALL_WAITING, context="jns-agents", exten="102"))
        calld._on_event({"Event": "AgentConnect", "Queue": "support", "Interface": "PJSIP/102",
                         "MemberName": "Agent 102", "Channel": "PJSIP/trunk-00000001",
                         "Uniqueid": CALL_WAITING, "Linkedid": CALL_WAITING,
                         "DestChannel": "PJSIP/102-00000004", "DestUniqueid": "1764140000.4",
                         "HoldTime": "9", "RingTime": "1"})
        expect(page.locator('[data-queue="support"] .answered')).to_have_text("2")
        # the agent's own call ends: the card goes, "no call" shows, 101 is not on a call
        calld._on_event({"Event": "BridgeLeave", "BridgeUniqueid": "b-1",
                         "Uniqueid": "1764140000.3", "Channel": "PJSIP/101-00000003",
                         "Linkedid": CALL_TALKING})
        hangup(calld, "1764140000.3", "PJSIP/101-00000003")
        hangup(calld, CALL_TALKING, "PJSIP/trunk-00000002")
        expect(mine).to_have_count(0)
        expect(page.locator('[data-empty="calls"]')).to_be_visible()
        expect(page.locator("#me .state")).not_to_have_text("on a call")
        assert page.locator("#my-calls [data-call]").count() == 0
        assert "48600100200" not in page.content()
        assert page.console_errors == []


def test_a_slow_browser_is_dropped_and_never_blocks_the_others(app, calld):
    from appliance.webui.livefeed import LiveFeed
    feed = LiveFeed(app.config["LIVE_CLIENT"].events, queue_size=5)
    try:
        slow, quick = feed.subscribe(), feed.subscribe()
        assert slow.get(timeout=5)[0] == quick.get(timeout=5)[0] == "snapshot"
        for n in range(10):     # ten callers come in; `slow` never reads, `quick` does
            uid = f"1764140100.{n}"
            calld._on_event(newchannel(uid, f"PJSIP/trunk-0000010{n}", f"4860010030{n}"))
            while True:
                message = quick.get(timeout=5)
                assert message is not None, f"quick subscriber stalled at caller {n}"
                if message[0] == "change" and message[1]["id"] == uid:
                    break
        assert slow.closed and not quick.closed
        assert feed.subscribers == 1
    finally:
        feed.stop()


def test_too_many_live_screens_leave_the_panel_usable(app, db, admin, calld):
    app.config["LIVE_MAX_STREAMS"] = 1
    first = admin.get("/live/events", buffered=False)
    assert sse_messages(first, lambda event, data: True)[-1][0] == "snapshot"
    second = admin.get("/live/events")
    assert second.get_data(as_text=True) == (
        'retry: 30000\nevent: down\ndata: {"error":"too many live screens are open; '
        'close one or try again later"}\n\n')
    first.close()
    third = admin.get("/live/events", buffered=False)
    assert sse_messages(third, lambda event, data: True)[-1][0] == "snapshot"
    third.close()


# -- end to end: real Asterisk, SIPp, jns-calld, gunicorn and Chromium ---------------------------

def _spy_started(devbox, options: str, timeout: float = 20) -> bool:
    """A ChanSpy channel with these options appears in Asterisk's channel list."""
    deadline = time.monotonic() + timeout
    while True:
        _, channels = devbox.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
        running = sorted(c["ApplicationData"].split(",")[1] for c in channels
                         if c.get("Application") == "ChanSpy")
        if options in running:
            return True
        if time.monotonic() > deadline:
            raise AssertionError(f"no ChanSpy with {options!r}; channels: {channels}")
        time.sleep(0.2)


def _log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", ADMIN_PW)
    page.click("button.primary")


@pytest.mark.asterisk
@pytest.mark.browser
def test_wallboard_and_desk_with_real_asterisk(devbox, sipp, agent_port, page, tmp_path):
    """A SIPp caller waits in "support" (agent 101's phone is not running yet, 102 has
    none): the supervisor's wallboard shows them with the wait counting up.  Agent 101
    pauses for lunch from the desk (a real click, through calld to Asterisk): the wallboard
    shows it with the reason, without a reload.  101 ends the pause and its phone (SIPp)
    answers: the call turns to talking with agent 101 on the wallboard."""
    import threading

    from playwright.sync_api import expect

    from tests.test_webui_browser import running_panel
    db = devbox.db
    users.create_user(db, "admin", ADMIN_PW, "admin")
    users.create_user(db, "boss", ADMIN_PW, "supervisor", lang="en")
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en", agent="101")
    calld = devbox.start_calld()
    try:
        with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as url:
            _log_in(page, url, "boss")
            page.goto(url + "/supervisor/")
            expect(page.locator("#asterisk-down")).to_be_hidden()
            expect(page.locator('#agents tr[data-agent="101"] .state')).to_have_text("ready")

            results: list = []
            caller = threading.Thread(target=lambda: results.append(
                sipp.call(devbox.layout.sip_port, did="100", digit="1", timeout_s=90)),
                daemon=True)
            caller.start()
            row = page.locator("#calls tbody tr", has_text="48600100200")
            expect(row.locator(".state")).to_have_text("waiting in queue", timeout=30_000)
            expect(row.locator(".wait")).to_have_text(re.compile(r"0:0[2-9]|0:[1-5]\d"))
            expect(page.locator('[data-queue="support"] .waiting')).to_have_text("1")
            expect(page.locator('[data-queue="support"]')).to_have_attribute(
                "data-colour", "red")

            desk = page.context.browser.new_context(locale="en-GB").new_page()
            _log_in(desk, url, "anna")
            desk.goto(url + "/agent/")
            desk.select_option("#reason", "lunch")
            desk.click("#pause-form button")
            expect(desk.locator(".alert-ok")).to_have_text("You are paused.")
            agent = page.locator('#agents tr[data-agent="101"]')
            expect(agent.locator(".state")).to_have_text("paused")
            expect(agent.locator(".reason")).to_have_text("Lunch")
            expect(desk.locator("#me .state")).to_have_text("paused")

            desk.click("#unpause-form button")
            expect(desk.locator(".alert-ok")).to_have_text("You are ready for calls again.")
            sipp.agent(agent_port, talk_ms=4000)
            expect(row.locator(".state")).to_have_text("talking", timeout=30_000)
            expect(row.locator(".agent")).to_have_text("101")
            expect(agent.locator(".state")).to_have_text("on a call")
            expect(desk.locator("#my-calls .caller")).to_have_text("48600100200")
            caller.join(60)
            expect(row).to_have_count(0, timeout=30_000)
            assert results and results[0].returncode == 0, results

            # "one agent left" (the default rule: warning at 1 agent able to take calls):
            # 101 is the only one (102's phone has no contact), so it shows; 102's phone
            # gets one -> two agents -> it clears; 101 pauses -> it fires again; back -> clears
            alarm = page.locator("#live-alarms li", has_text="support")
            expect(alarm).to_have_count(1)
            expect(alarm).to_have_class(re.compile("severity-warning"))
            from appliance.devbox import free_port
            from appliance.store import config
            config.set_agent_contact(db, "102", f"sip:102@127.0.0.1:{free_port()}")
            expect(alarm).to_have_count(0, timeout=30_000)
            desk.select_option("#reason", "break")
            desk.click("#pause-form button")
            expect(agent.locator(".reason")).to_have_text("Przerwa")   # the admin's own title
            expect(alarm).to_have_count(1)
            desk.click("#unpause-form button")
            expect(alarm).to_have_count(0)
            assert page.console_errors == []
    finally:
        calld.stop()


@pytest.mark.asterisk
@pytest.mark.browser
def test_operator_transfer_and_supervisor_listening_with_real_asterisk(devbox, sipp, page,
                                                                        tmp_path):
    """A caller waits in "support"; the operator drags the call onto extension 103's chip
    (live.js sends the row's transfer form): 103's phone (SIPp) answers and the call shows
    as talking with 103.  The supervisor, whose own phone is 104 (SIPp), clicks Listen: the
    phone rings and Asterisk runs ChanSpy on 103's channel; Whisper adds one that speaks
    to the agent only.  Another supervisor whose phone
    (102) is not registered is refused with the reason.  The operator hangs the call up."""
    import threading

    from playwright.sync_api import expect

    from appliance.devbox import free_port
    from appliance.store import config
    from tests.test_webui_browser import running_panel
    db = devbox.db
    port_103, port_104 = free_port(), free_port()
    config.add_agent(db, "103", "Agent 103", contact=f"sip:103@127.0.0.1:{port_103}", login=True)
    config.add_agent(db, "104", "Agent 104", contact=f"sip:104@127.0.0.1:{port_104}", login=True)
    deadline = time.monotonic() + 30
    while not devbox.applier.in_sync(db):
        assert time.monotonic() < deadline, "configuration not applied"
        time.sleep(0.2)
    users.create_user(db, "admin", ADMIN_PW, "admin")
    users.create_user(db, "boss", ADMIN_PW, "supervisor", lang="en", agent="104")
    users.create_user(db, "nora", ADMIN_PW, "supervisor", lang="en", agent="102")
    calld = devbox.start_calld()
    try:
        with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as url:
            sipp.agent(port_103, talk_ms=30_000)
            sipp.agent(port_104, talk_ms=8_000, calls=3)
            results: list = []
            caller = threading.Thread(target=lambda: results.append(
                sipp.call(devbox.layout.sip_port, did="100", digit="1", timeout_s=90)),
                daemon=True)
            caller.start()

            _log_in(page, url, "boss")
            page.goto(url + "/operator/")
            row = page.locator("#calls tbody tr", has_text="48600100200")
            expect(row.locator(".state")).to_have_text("waiting in queue", timeout=30_000)
            row.drag_to(page.locator('#targets [data-target="extension:103"]'))
            expect(page.locator(".alert-ok")).to_have_text("Call transferred.")
            row = page.locator("#calls tbody tr", has_text="48600100200")
            expect(row.locator(".state")).to_have_text("talking", timeout=30_000)
            expect(row.locator(".agent")).to_have_text("103")

            page.goto(url + "/supervisor/")
            row = page.locator("#calls tbody tr", has_text="48600100200")
            row.locator('button[value="listen"]').click()
            expect(page.locator(".alert-ok")).to_have_text("Listening started: your phone rings.")
            deadline = time.monotonic() + 20
            while True:
                _, channels = devbox.ami.action_list("CoreShowChannels",
                                                     "CoreShowChannelsComplete")
                spying = [c for c in channels if c.get("Application") == "ChanSpy"]
                if spying or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert spying and spying[0]["Channel"].startswith("PJSIP/104-"), channels
            assert re.fullmatch(r"PJSIP/103-\w+,qEu", spying[0]["ApplicationData"])
            # whisper: a second ChanSpy from the same phone, speaking to the agent only (w)
            row.locator('button[value="whisper"]').click()
            expect(page.locator(".alert-ok")).to_have_text("Whisper started: your phone rings.")
            assert _spy_started(devbox, "qEuw")
            # barge: the supervisor speaks to both sides (B)
            row.locator('button[value="barge"]').click()
            expect(page.locator(".alert-ok")).to_have_text("Barge-in started: your phone rings.")
            assert _spy_started(devbox, "qEuB")

            nora = page.context.browser.new_context(locale="en-GB").new_page()
            _log_in(nora, url, "nora")
            nora.goto(url + "/supervisor/")
            nora.locator("#calls tbody tr", has_text="48600100200").locator(
                'button[value="barge"]').click()
            expect(nora.locator("p.alert-error:not([role=status])")).to_contain_text(
                "your phone (extension 102) is not registered or not reachable")
            audit = [(a["username"], a["action"], a["result"]) for a in store_live.audit_log(db)]
            assert ("boss", "transfer", "ok") in audit and ("boss", "listen", "ok") in audit
            assert ("boss", "whisper", "ok") in audit and ("boss", "barge", "ok") in audit
            assert any(u == "nora" and act == "barge" and "not registered" in res
                       for u, act, res in audit)
            # the operator hangs the call up
            page.goto(url + "/operator/")
            row = page.locator("#calls tbody tr", has_text="48600100200")
            row.locator("button.danger").click()
            expect(page.locator(".alert-ok")).to_have_text("Call hung up.")
            expect(page.locator("#calls tbody tr")).to_have_count(0)
            caller.join(30)
            assert results and results[0].returncode == 0, results
            assert page.console_errors == []
    finally:
        calld.stop()


@pytest.mark.asterisk
@pytest.mark.browser
def test_desk_click_to_call_and_operator_conference_and_park_with_real_asterisk(
        devbox, sipp, page, tmp_path):
    """The agent types a colleague's number on the desk: their own phone (103, SIPp) rings
    first, then the colleague's (104) - both end up talking.  Three callers wait in
    "support" (101's phone is not running): the operator ticks two and makes a conference
    of them (both in the ConfBridge room, as Asterisk lists it), and parks the third (it
    waits on a parking space, as Asterisk lists it)."""
    import threading

    from playwright.sync_api import expect

    from appliance.devbox import free_port
    from appliance.store import config
    from tests.test_webui_browser import running_panel
    db = devbox.db
    port_103, port_104 = free_port(), free_port()
    config.add_agent(db, "103", "Anna", contact=f"sip:103@127.0.0.1:{port_103}", login=True)
    config.add_agent(db, "104", "Ola", contact=f"sip:104@127.0.0.1:{port_104}", login=True)
    deadline = time.monotonic() + 30
    while not devbox.applier.in_sync(db):
        assert time.monotonic() < deadline, "configuration not applied"
        time.sleep(0.2)
    users.create_user(db, "admin", ADMIN_PW, "admin")
    users.create_user(db, "boss", ADMIN_PW, "supervisor", lang="en")
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en", agent="103")
    calld = devbox.start_calld()

    def channels() -> list[dict]:
        return devbox.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")[1]

    def listed(action: str, **headers) -> list[dict]:
        """An AMI list, empty when Asterisk says there is nothing (yet)."""
        from appliance.telephony.ami import AMIError
        try:
            return devbox.ami.action_list(action, action + "Complete", **headers)[1]
        except AMIError:
            return []

    def until(predicate, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.3)

    try:
        with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as url:
            phone_103 = sipp.agent(port_103, talk_ms=6_000)
            phone_104 = sipp.agent(port_104, talk_ms=6_000)
            _log_in(page, url, "anna")
            page.goto(url + "/agent/")
            page.fill("#number", "104")
            page.click("#dial-form button")
            expect(page.locator(".alert-ok")).to_have_text(
                "Your phone rings; pick it up to call the number.")
            up = until(lambda: {c["Channel"].split("-")[0] for c in channels()
                                if c.get("ChannelStateDesc") == "Up"} >= {"PJSIP/103", "PJSIP/104"})
            assert up, channels()
            phone_103.wait(30)   # the first to hang up ends it; the other gets the BYE
            phone_104.wait(30)

            results: list = []
            callers = [threading.Thread(target=lambda n=n: results.append(
                sipp.call(devbox.layout.sip_port, did="100", digit="1",
                          caller=f"4860010020{n}", timeout_s=60)), daemon=True)
                for n in range(3)]
            for t in callers:
                t.start()
            op = page.context.browser.new_context(locale="en-GB").new_page()
            op.console_errors = []
            op.on("console", lambda m: m.type == "error" and op.console_errors.append(m.text))
            _log_in(op, url, "boss")
            op.goto(url + "/operator/")
            rows = [op.locator("#calls tbody tr", has_text=f"4860010020{n}") for n in range(3)]
            for row in rows:
                expect(row.locator(".state")).to_have_text("waiting in queue", timeout=30_000)
            rows[0].locator('input[name="calls"]').check()
            rows[1].locator('input[name="calls"]').check()
            op.click("#conf-form button")
            expect(op.locator(".alert-ok")).to_have_text("Conference started.")
            rooms = until(lambda: listed("ConfbridgeListRooms"))
            assert rooms and rooms[0]["Conference"].startswith("op-"), rooms
            members = until(lambda: sorted(m["CallerIDNum"] for m in listed(
                "ConfbridgeList", Conference=rooms[0]["Conference"])) == [
                    "48600100200", "48600100201"])
            assert members, listed("ConfbridgeList", Conference=rooms[0]["Conference"])

            rows[2].locator("form", has_text="Park").locator("button").click()
            expect(op.locator(".alert-ok")).to_have_text(re.compile(r"Call parked on space 7\d\d\."))
            parked = until(lambda: [p for p in listed("ParkedCalls") if p.get("Event") == "ParkedCall"])
            assert parked and parked[0]["ParkeeCallerIDNum"] == "48600100202", parked
            expect(rows[2].locator(".state")).to_have_text("parked")
            assert op.console_errors == [] and page.console_errors == []
    finally:
        calld.stop()


def test_todays_pause_and_talk_time_count_the_pause_and_call_going_on_now():
    """calld counts finished pauses and calls; the pages add the one going on, so an agent
    on a 10-minute lunch does not show 0:00 of pause today."""
    from appliance.webui.livefeed import derive
    snap = {"now": 1000.0, "alarms": [], "queues": {},
            "calls": {"c1": {"started": 900.0, "queued_at": 910.0, "answered_at": 940.0}},
            "agents": {"101": {"paused": True, "paused_since": 900.0, "call": None,
                               "state_since": 900.0, "today": {"pause_s": 50, "talk_s": 30}},
                       "102": {"paused": False, "paused_since": None, "call": "c1",
                               "state_since": 940.0, "today": {"pause_s": 0, "talk_s": 30}}}}
    shown = derive(snap)["agents"]
    assert shown["101"]["today"] == {"pause_s": 150, "talk_s": 30}
    assert shown["102"]["today"] == {"pause_s": 0, "talk_s": 90}
    assert snap["agents"]["101"]["today"]["pause_s"] == 50   # the feed's picture is untouched
