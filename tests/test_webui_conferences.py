"""The conference rooms' pages `/conferences/` (CONF-1, CONF-2) through Flask's test client
on a real SQLite file: who may open and change what, CSRF, hostile fields refused with the
input kept and nothing saved, PINs shown to those who hand them out, recordings download,
the page when jns-calld is not running (its LIVE_CLIENT points at a port where nothing
listens), rooms as a destination in the route form, and Polish for every text.
The live list and the controls against a real Asterisk: tests/test_conference_rooms.py."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.devbox import free_port
from appliance.store import config
from appliance.telephony import conferences
from appliance.telephony.calld import LiveClient
from appliance.webui import create_app
from appliance.webui.i18n import CATALOG
from tests.conftest import client_for, csrf_token, page_text as text, use_english

WEBUI = Path(__file__).resolve().parents[1] / "appliance" / "webui"
ROOM = {"number": "800", "title": "Board", "talker_pin": "1111", "listener_pin": "2222",
        "leader_pin": "3333", "pin_tries": "3", "max_members": "30"}


@pytest.fixture
def app(tmp_path):
    recordings = tmp_path / "monitor"
    (recordings / "conference").mkdir(parents=True)
    app = create_app(str(tmp_path / "box.db"), config={
        "RECORDINGS_DIR": str(recordings),
        "LIVE_CLIENT": LiveClient(f"http://127.0.0.1:{free_port()}", "nobody-listens")})
    app.config["TESTING"] = True
    config.seed_demo(app.extensions["jns_db"].get())
    return app


@pytest.fixture
def room_id(db):
    return conferences.save_room(db, ROOM)


def rooms(db) -> list[dict]:
    return conferences.rooms(db)


def test_agents_get_403_supervisors_see_but_do_not_change(app, db, admin, room_id):
    agent = client_for(app, db, "agent")
    token = csrf_token(agent)
    for path in ("/conferences/", f"/conferences/{room_id}/", f"/conferences/{room_id}/live.json",
                 "/conferences/new", f"/conferences/{room_id}/edit"):
        assert agent.get(path).status_code == 403, path
    for path in (f"/conferences/{room_id}/control", f"/conferences/{room_id}/delete",
                 "/conferences/new"):
        assert agent.post(path, data={"csrf_token": token, "do": "lock"}).status_code == 403, path
    sup = client_for(app, db, "supervisor")
    assert sup.get("/conferences/").status_code == 200
    page = text(sup.get(f"/conferences/{room_id}/"))
    assert "1111" in page and "2222" in page and "3333" in page   # they hand the PINs out
    assert sup.get("/conferences/new").status_code == 403
    assert sup.get(f"/conferences/{room_id}/edit").status_code == 403
    token = csrf_token(sup)
    r = sup.post(f"/conferences/{room_id}/edit", data={**ROOM, "csrf_token": token,
                                                        "title": "Hijacked"})
    assert r.status_code == 403
    assert sup.post(f"/conferences/{room_id}/delete", data={"csrf_token": token}).status_code == 403
    assert [r["title"] for r in rooms(db)] == ["Board"]
    anonymous = app.test_client()
    assert anonymous.get("/conferences/").status_code == 302


def test_admin_creates_changes_and_deletes_a_room(app, db, admin):
    use_english(admin)
    assert 'href="/conferences/"' in text(admin.get("/")).split("</nav>")[0]
    r = admin.post("/conferences/new", data={**ROOM, "csrf_token": csrf_token(admin),
                                             "record": "1"})
    assert r.status_code == 302
    (saved,) = rooms(db)
    assert (saved["number"], saved["record"], saved["created_by"]) == ("800", 1, "admin")
    listing = text(admin.get("/conferences/"))
    assert "800" in listing and "Board" in listing
    r = admin.post(f"/conferences/{saved['id']}/edit",
                   data={**ROOM, "csrf_token": csrf_token(admin), "title": "Board room",
                         "listener_pin": ""})
    assert r.status_code == 302
    (changed,) = rooms(db)
    assert (changed["title"], changed["listener_pin"], changed["record"]) == ("Board room", "", 0)
    r = admin.post(f"/conferences/{saved['id']}/delete", data={"csrf_token": csrf_token(admin)})
    assert r.status_code == 302 and rooms(db) == []


def test_without_csrf_nothing_is_saved(app, db, admin, room_id):
    assert admin.post("/conferences/new", data={**ROOM, "number": "801"}).status_code == 400
    assert admin.post(f"/conferences/{room_id}/delete").status_code == 400
    assert admin.post(f"/conferences/{room_id}/control", data={"do": "lock"}).status_code == 400
    assert [r["number"] for r in rooms(db)] == ["800"]


@pytest.mark.parametrize("field, value, message", [
    ("number", "80; DROP TABLE conf_rooms", "room number: 2 to 8 digits"),
    ("number", "101", "101 is an agent&#39;s extension"),
    ("number", "705", "parking spaces"),
    ("talker_pin", "12ab", "talker PIN: 4 to 12 digits"),
    ("leader_pin", "1111", "must differ from each other"),
    ("title", "Board\r\nSet-Cookie: x=1", "no control characters"),
    ("max_members", "lots", "most participants"),
])
def test_hostile_fields_are_refused_with_the_input_kept(app, db, admin, field, value, message):
    use_english(admin)
    r = admin.post("/conferences/new", data={**ROOM, "csrf_token": csrf_token(admin),
                                             field: value})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and message in page, page[:3000]
    assert 'value="Board"' in page or field == "title"   # what was typed stays in the form
    assert rooms(db) == []


def test_a_title_with_markup_is_shown_as_text(app, db, admin):
    conferences.save_room(db, {**ROOM, "title": "<script>alert(1)</script>"})
    page = admin.get("/conferences/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_room_a_route_leads_into_is_not_deleted(app, db, admin, room_id):
    use_english(admin)
    config.save_route(db, "300", "conference", "800")
    r = admin.post(f"/conferences/{room_id}/delete", data={"csrf_token": csrf_token(admin)})
    assert r.status_code == 400 and "route 300 lead(s) into it" in text(r)
    assert [r["number"] for r in rooms(db)] == ["800"]


def test_the_route_form_offers_conference_rooms(app, db, admin, room_id):
    page = text(admin.get("/admin/routes/new"))
    assert '<option value="conference">pokój konferencyjny</option>' in page
    r = admin.post("/admin/routes/new", data={"csrf_token": csrf_token(admin), "did": "300",
                                              "dest_action": "conference", "dest_target": "800"})
    assert r.status_code == 302, text(r)[:2000]
    assert db.execute("SELECT action, target FROM inbound_routes WHERE did = '300'").fetchone() \
        == ("conference", "800")


def test_when_calld_is_not_running_the_live_page_says_so(app, db, admin, room_id):
    use_english(admin)
    page = text(admin.get(f"/conferences/{room_id}/"))
    assert "Live participants unavailable" in page and "not running" in page
    assert "Dial 800 from a desk phone" in page
    assert "not running" in admin.get(f"/conferences/{room_id}/live.json").get_json()["error"]
    r = admin.post(f"/conferences/{room_id}/control",
                   data={"csrf_token": csrf_token(admin), "do": "lock"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 409 and "not running" in r.get_json()["error"]
    r = admin.post(f"/conferences/{room_id}/control",
                   data={"csrf_token": csrf_token(admin), "do": "kick", "channel": "x y;<b>"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 409 and r.get_json()["error"] == "Choose a participant from the list."
    r = admin.post(f"/conferences/{room_id}/control",
                   data={"csrf_token": csrf_token(admin), "do": "shutdown"})
    assert r.status_code == 302
    assert "Unknown conference action." in text(admin.get(f"/conferences/{room_id}/"))
    assert "not known" in text(admin.get("/conferences/"))


def test_recordings_are_listed_and_downloaded_by_supervisors_only(app, db, admin, room_id):
    folder = Path(app.config["RECORDINGS_DIR"]) / "conference"
    (folder / "800-1790000000.wav").write_bytes(b"RIFF-recording")
    (folder / "801-1790000000.wav").write_bytes(b"RIFF-other-room")
    conferences.save_room(db, {**ROOM, "record": "1"}, room_id=room_id)
    sup = client_for(app, db, "supervisor")
    page = text(sup.get(f"/conferences/{room_id}/"))
    assert "800-1790000000.wav" in page and "801-1790000000.wav" not in page
    r = sup.get(f"/conferences/{room_id}/recordings/800-1790000000.wav")
    assert r.status_code == 200 and r.data == b"RIFF-recording"
    for name in ("801-1790000000.wav", "..%2F..%2Fbox.db", "800-1790000000.wav%00"):
        assert sup.get(f"/conferences/{room_id}/recordings/{name}").status_code == 404, name
    agent = client_for(app, db, "agent")
    assert agent.get(f"/conferences/{room_id}/recordings/800-1790000000.wav").status_code == 403


def test_every_text_of_the_conference_pages_has_polish():
    pattern = re.compile(r"""(?:\b_\(|flash\(|title=|message=)\s*(["'])((?:(?!\1).)+)\1""")
    ids = set()
    for path in [*WEBUI.glob("templates/conferences/*.html"), WEBUI / "conferences.py"]:
        ids |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))
                if "{{" not in m.group(2) and not m.group(2).endswith(":")}
    ids |= {"role:talker", "role:listener", "role:leader", "action:conference", "Conferences"}
    ids |= set(__import__("appliance.webui.conferences", fromlist=["DONE"]).DONE.values())
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, f"no Polish text for: {missing}"
    assert len(ids) > 50
