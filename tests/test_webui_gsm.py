"""The GSM pages through Flask's test client on a real SQLite file: /admin/modems/ for
admins, /sms/ for admins and supervisors.

Queueing through the form lands in the outbox the modem service reads; a refused number
keeps what was typed and queues nothing; the counter says UCS-2 and 2 parts for a long
Polish text; a PIN saved in the panel is waiting for the service; who may open what;
CSRF missing -> refused.  No modem here: the pages only read and write the database.
"""
from __future__ import annotations

import pytest

from appliance.store import sms
from appliance.webui import create_app
from tests.conftest import client_for
from tests.test_webui import text
from tests.test_webui_inbound import csrf, dump, english

POLISH = "Zażółć gęślą jaźń – awaria centrali, prosimy o kontakt z serwisem. " * 2


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    return app


def test_modems_page_shows_what_the_service_wrote(admin, db):
    mid = sms.ensure_modem(db, "/dev/ttyUSB2")
    sms.update_modem(db, mid, state="ready", operator="Plus", rssi=18, dbm=-77,
                     registration="home network", imei="860000000000001",
                     imsi="260010000000001", model="SIM800", last_error=None)
    english(admin)
    body = text(admin.get("/admin/modems/"))
    for fact in ("/dev/ttyUSB2", "ready", "Plus", "-77 dBm", "home network", "860000000000001",
                 "260010000000001", "SIM800", "▮▮▮▮▯"):
        assert fact in body, fact
    assert "pin" not in sms.modems(db)[0]   # the PIN itself never leaves the store
    assert "Modems" in text(admin.get("/admin/"))   # in the configuration menu


def test_pin_from_the_panel_waits_for_the_service_once(admin, db):
    mid = sms.ensure_modem(db, "/dev/ttyUSB0")
    r = admin.post(f"/admin/modems/{mid}/pin", data={"csrf_token": csrf(admin, "/admin/modems/"),
                                                     "pin": "12ab"})
    assert r.status_code == 400 and sms.pin_to_enter(db, mid, None) is None
    r = admin.post(f"/admin/modems/{mid}/pin", data={"csrf_token": csrf(admin, "/admin/modems/"),
                                                     "pin": "4321"})
    assert r.status_code == 302
    assert sms.pin_to_enter(db, mid, "8948") == "4321"
    assert sms.pin_to_enter(db, mid, "8948") is None   # handed out once, never again
    assert "4321" not in text(admin.get("/admin/modems/"))


def test_add_port_by_hand(admin, db):
    r = admin.post("/admin/modems/", data={"csrf_token": csrf(admin, "/admin/modems/"),
                                           "port": "/dev/ttyS1; rm -rf /", "name": "x"})
    assert r.status_code == 400 and sms.configured_ports(db) == []
    r = admin.post("/admin/modems/", data={"csrf_token": csrf(admin, "/admin/modems/"),
                                           "port": "/dev/ttyACM0", "name": "Alarm modem"})
    assert r.status_code == 302 and sms.configured_ports(db) == ["/dev/ttyACM0"]
    assert "Alarm modem" in text(admin.get("/admin/modems/"))


def test_sms_form_queues_into_the_outbox(admin, db):
    english(admin)
    r = admin.post("/sms/", data={"csrf_token": csrf(admin, "/sms/"), "number": "+48 600 100 200",
                                  "text": POLISH}, follow_redirects=True)
    body = text(r)
    assert r.status_code == 200
    assert "UCS-2, 2 part(s)" in body   # 134 characters with Polish letters: 67 per part
    [msg] = sms.outbox(db)
    assert (msg["number"], msg["text"], msg["status"], msg["purpose"]) == (
        "+48600100200", POLISH, "queued", "manual")
    assert "+48600100200" in body and "queued" in body


def test_counter_tells_encoding_and_parts(admin, db):
    english(admin)
    token = csrf(admin, "/sms/")
    body = text(admin.post("/sms/", data={"csrf_token": token, "number": "", "text": "x" * 161,
                                          "action": "count"}))
    assert "161 characters, GSM 7-bit, 2 part(s)" in body
    body = text(admin.post("/sms/", data={"csrf_token": token, "number": "", "text": "ąę" * 35,
                                          "action": "count"}))
    assert "70 characters, UCS-2, 1 part(s)" in body
    assert sms.outbox(db) == []


def test_bad_number_is_refused_and_kept(admin, db):
    before = dump(db)
    r = admin.post("/sms/", data={"csrf_token": csrf(admin, "/sms/"), "number": "12ab",
                                  "text": "Test"})
    assert r.status_code == 400
    assert "12ab" in text(r) and "Test" in text(r)
    assert "Numer telefonu to od 3 do 20 cyfr" in text(r)     # the store's reason, in Polish
    assert dump(db) == before


def test_inbox_and_delivery_shown(admin, db):
    mid = sms.ensure_modem(db, "/dev/ttyUSB0")
    sms.store_inbound(db, mid, "+48500600700", "Część pierwsza", concat=(9, 2, 1))
    sms.expire_fragments(db, -1)
    english(admin)
    body = text(admin.get("/sms/"))
    assert "Część pierwsza[part 2 of 2 missing]" in body and "incomplete" in body


def test_roles(app, db, admin):
    sup = client_for(app, db, "supervisor")
    assert sup.get("/sms/").status_code == 200
    assert sup.get("/admin/modems/").status_code == 403
    r = sup.post("/sms/", data={"csrf_token": csrf(sup, "/sms/"), "number": "+48600100200",
                                "text": "od koordynatora"})
    assert r.status_code == 302 and sms.outbox(db)[0]["text"] == "od koordynatora"
    agent = client_for(app, db, "agent")
    assert agent.get("/sms/").status_code == 403
    assert agent.get("/admin/modems/").status_code == 403
    r = agent.post("/sms/", data={"csrf_token": csrf(agent, "/"), "number": "+48600100200",
                                  "text": "nie wolno"})
    assert r.status_code == 403 and len(sms.outbox(db)) == 1


def test_csrf_missing_is_refused(admin, db):
    before = dump(db)
    r = admin.post("/sms/", data={"number": "+48600100200", "text": "bez tokenu"})
    assert r.status_code == 400 and sms.outbox(db) == []
    mid = sms.ensure_modem(db, "/dev/ttyUSB0")
    before = dump(db)
    assert admin.post(f"/admin/modems/{mid}/pin", data={"pin": "1234"}).status_code == 400
    assert admin.post("/admin/modems/", data={"port": "/dev/ttyUSB5"}).status_code == 400
    assert dump(db) == before
