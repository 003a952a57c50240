"""The panel's inbound call-flow pages and recordings, through Flask's test client on a real
SQLite file (the demo configuration of store.config.seed_demo).

For every configuration page: an admin creates, changes and deletes, and the database
shows it; a refused value (a destination that does not exist, hostile strings) shows the
store's message, keeps what was typed and changes nothing; other roles get 403; a POST
without the CSRF token is refused.  Prompts and hold music are real sound files made with
sox and converted by appliance.telephony.sounds.  Recordings: who may list, play and
download which, with an audit row for each play and download.  No Asterisk here.
"""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from flask import url_for

from appliance.store import config, users, webqueries
from appliance.store.db import transaction
from appliance.telephony import sounds
from appliance.webui import admin, create_app, queues, recordings, schedules, settings
from appliance.webui.i18n import CATALOG
from tests.test_webui import ADMIN_PW, do_setup, login, text

HOSTILE = ["<script>alert(1)</script>", "'; DROP TABLE ivr_menus; --"]


# -- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture
def dirs(tmp_path):
    d = {"PROMPTS_DIR": tmp_path / "ast" / "prompts", "MOH_DIR": tmp_path / "ast" / "moh",
         "RECORDINGS_DIR": tmp_path / "ast" / "spool" / "monitor"}
    for path in d.values():
        path.mkdir(parents=True)
    return d


@pytest.fixture
def app(tmp_path, dirs):
    app = create_app(str(tmp_path / "box.db"), config={k: str(v) for k, v in dirs.items()})
    app.config["TESTING"] = True
    config.seed_demo(app.extensions["jns_db"].get())
    return app


@pytest.fixture
def db(app):
    return app.extensions["jns_db"].get()


@pytest.fixture
def admin_client(app):
    c = app.test_client()
    assert do_setup(c).status_code == 302
    return c


def client_for(app, db, role: str, agent_ext: str | None = None):
    """A logged-in client of a new user with `role`, linked to an agent if given."""
    name = f"{role}{agent_ext or ''}x"
    users.create_user(db, name, ADMIN_PW, role)
    if agent_ext:
        with transaction(db):
            db.execute("UPDATE users SET agent_id = (SELECT id FROM agents WHERE extension = ?) "
                       "WHERE username = ?", [agent_ext, name])
    c = app.test_client()
    assert login(c, name, ADMIN_PW).status_code == 302
    return c


def csrf(client, path="/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(path)))
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def post(client, path, data=None, *, form_page=None, **kwargs):
    data = dict(data or {})
    data["csrf_token"] = csrf(client, form_page or "/")
    return client.post(path, data=data, **kwargs)


def english(client):
    client.post("/lang", data={"csrf_token": csrf(client), "lang": "en"})


def dump(db) -> str:
    """The whole database as SQL: equal dumps mean nothing was written."""
    return "\n".join(db.conn.iterdump())


def form_value(body: str, name: str) -> str | None:
    m = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', body) or \
        re.search(rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', body)
    return m.group(1) if m else None


def assert_refused(response, db, before: str, message: str):
    """A refused save: 400, the store's message on the page, nothing written."""
    body = text(response)
    assert response.status_code == 400, body[:2000]
    assert "alert-error" in body
    assert message in body, f"{message!r} not on the page"
    assert "<script>alert" not in body
    assert dump(db) == before


def make_wav(path: Path, seconds: float, rate: int = 8000, channels: int = 1) -> Path:
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path),
                    "synth", str(seconds), "sine", "440"], check=True)
    return path


def menu_form(**over) -> dict:
    """The menu form as the browser posts it: every key row, blank ones included."""
    data = {"prompt": "hello-world", "title": "", "timeout_s": "5", "max_tries": "3",
            "fallback_action": "queue", "fallback_target": "support",
            "timeout_action": "", "timeout_target": "", "invalid_action": "", "invalid_target": ""}
    for field in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "star", "hash"):
        data[f"key_{field}_action"] = data[f"key_{field}_target"] = ""
    data.update(over)
    return data


def queue_form(**over) -> dict:
    data = {"title": "Sales", "strategy": "ringall", "musiconhold": "default",
            "member_timeout": "20", "max_wait": "120", "wrapup_time": "5", "weight": "2",
            "record": "all", "max_callers": "10", "announce_position": "1",
            "announce_frequency": "45", "member_101": "1", "penalty_101": "2",
            "penalty_102": "0", "overflow_action": "menu", "overflow_target": "main"}
    data.update(over)
    return data


# -- pages, roles and CSRF ---------------------------------------------------------------------

CONFIG_GETS = ["/admin/", "/admin/menus/", "/admin/menus/new", "/admin/menus/main/edit",
               "/admin/queues/", "/admin/queues/new", "/admin/queues/support/edit",
               "/admin/routes/", "/admin/routes/new", "/admin/routes/100/edit",
               "/admin/schedules/", "/admin/schedules/new", "/admin/callers/",
               "/admin/blacklist/", "/admin/settings/", "/admin/prompts/", "/admin/users/",
               "/admin/users/1/edit"]
CONFIG_POSTS = ["/admin/menus/new", "/admin/menus/main/edit", "/admin/menus/main/delete",
                "/admin/queues/new", "/admin/queues/support/edit", "/admin/queues/support/delete",
                "/admin/queues/support/moh", "/admin/routes/new", "/admin/routes/100/edit",
                "/admin/routes/100/delete", "/admin/schedules/new", "/admin/callers/",
                "/admin/callers/1/delete", "/admin/blacklist/", "/admin/blacklist/1/delete",
                "/admin/settings/", "/admin/prompts/upload", "/admin/prompts/speak",
                "/admin/schedules/x/delete", "/admin/prompts/x/delete",
                "/admin/prompts/pl/x/delete", "/admin/queues/support/moh/x.wav/delete",
                "/admin/users/", "/admin/users/1/edit", "/admin/users/1/password",
                "/admin/users/1/delete"]


def test_admin_opens_every_page_in_both_languages(admin_client):
    for lang in ("pl", "en"):
        admin_client.post("/lang", data={"csrf_token": csrf(admin_client), "lang": lang})
        for path in CONFIG_GETS + ["/recordings/"]:
            r = admin_client.get(path)
            assert r.status_code == 200, path
    body = text(admin_client.get("/admin/menus/"))
    assert "Call flow" in body and "Przebieg" not in body
    subnav = body.split('class="subnav"')[1].split("</nav>")[0]
    with admin_client.application.test_request_context():
        for endpoint, label in admin.PAGES:  # the sub-navigation links every page
            assert f'<a href="{url_for(endpoint)}"' in subnav and label in subnav


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_non_admins_get_403_on_every_config_page(app, db, admin_client, role):
    c = client_for(app, db, role)
    before = dump(db)
    for path in CONFIG_GETS:
        assert c.get(path).status_code == 403, path
    for path in CONFIG_POSTS:
        r = post(c, path, {"name": "x", "pattern": "123", "operator_key": "5"})
        assert r.status_code == 403, path
    assert dump(db) == before
    nav = text(c.get("/")).split("</nav>")[0]
    # no configuration page; supervisors get the alarms page, which they may only view
    assert re.findall(r'href="(/admin/[^"]*)"', nav) == (
        ["/admin/alarms/"] if role == "supervisor" else [])
    assert 'href="/recordings/"' in nav


def test_posts_without_csrf_are_refused(admin_client, db):
    before = dump(db)
    for path in CONFIG_POSTS:
        r = admin_client.post(path, data={"name": "x", "pattern": "123", "operator_key": "5"})
        assert r.status_code == 400, path
        assert "CSRF" in text(r)
        r = admin_client.post(path, data={"csrf_token": "forged", "name": "x"})
        assert r.status_code == 400, path
    assert dump(db) == before


def test_anonymous_is_sent_to_login(app, admin_client):
    c = app.test_client()
    for path in CONFIG_GETS + ["/recordings/", "/recordings/1/play", "/admin/prompts/pl/x.wav"]:
        r = c.get(path)
        assert r.status_code == 302 and "/login" in r.location, path


# -- IVR menus ---------------------------------------------------------------------------------

def test_menu_create_edit_tree_delete(admin_client, db):
    c = admin_client
    r = post(c, "/admin/menus/new", menu_form(
        name="sales", title="Sales desk", key_1_action="queue", key_1_target="support",
        key_star_action="menu", key_star_target="main", key_9_action="language",
        key_9_target="en", timeout_action="operator", invalid_action="hangup",
        fallback_action="operator", fallback_target=""))
    assert r.status_code == 302 and r.location.endswith("/admin/menus/sales/edit")
    sales = config.ivr_menu(db, "sales")
    assert sales["title"] == "Sales desk"
    assert sales["options"] == {"1": ("queue", "support"), "*": ("menu", "main"),
                                "9": ("language", "en")}
    assert (sales["timeout_action"], sales["invalid_action"]) == ("operator", "hangup")
    assert (sales["fallback_action"], sales["fallback_target"]) == ("operator", "")

    # the edit form shows what is stored
    body = text(c.get("/admin/menus/sales/edit"))
    assert form_value(body, "key_star_target") == "main"
    assert re.search(r'name="key_9_action".*?<option value="language" selected', body, re.S)

    # point key 2 of main at the sub-menu, keeping key 1 and 0
    main = config.ivr_menu(db, "main")
    r = post(c, "/admin/menus/main/edit", menu_form(
        title=main["title"], key_1_action="queue", key_1_target="support",
        key_0_action="operator", key_2_action="menu", key_2_target="sales"))
    assert r.status_code == 302
    assert config.ivr_menu(db, "main")["options"]["2"] == ("menu", "sales")
    assert "Zapisano menu main." in text(c.get("/admin/menus/main/edit"))

    # the tree: route 100 -> main -> key 2 -> sales -> key * back to main (a loop, not again)
    tree = text(c.get("/admin/menus/"))
    flow = tree.split('id="call-flow"')[1]
    assert flow.index("Numer 100") < flow.index("<code>main</code>") \
        < flow.index("<code>sales</code>")
    assert 'data-key="2"' in flow and "powrót do menu wyżej" in flow
    assert "unreached" not in tree

    # a menu still used cannot go; after key 2 is gone it can
    r = post(c, "/admin/menus/sales/delete")
    assert r.status_code == 302
    page = text(c.get(r.location))
    assert "Nie usunięto: menu &#39;sales&#39; is still used" in page
    assert config.ivr_menu(db, "sales") is not None
    post(c, "/admin/menus/main/edit", menu_form(key_1_action="queue", key_1_target="support",
                                                key_0_action="operator"))
    assert "sales" in text(c.get("/admin/menus/")).split('id="unreached"')[1]
    r = post(c, "/admin/menus/sales/delete")
    assert r.status_code == 302 and config.ivr_menu(db, "sales") is None
    assert c.get("/admin/menus/sales/edit").status_code == 404


@pytest.mark.parametrize("hostile", HOSTILE)
def test_menu_refused_values_keep_input_and_write_nothing(admin_client, db, hostile):
    c = admin_client
    english(c)
    before = dump(db)
    # a key leading to a queue that does not exist
    r = post(c, "/admin/menus/main/edit", menu_form(
        title="Changed", key_1_action="queue", key_1_target=hostile))
    assert_refused(r, db, before, "there is no queue named")
    body = text(r)
    assert form_value(body, "title") == "Changed"
    assert form_value(body, "key_1_target") in (hostile.replace("<", "&lt;").replace(">", "&gt;"),
                                               hostile.replace("'", "&#39;"))
    # a hostile menu name
    r = post(c, "/admin/menus/new", menu_form(name=hostile))
    assert_refused(r, db, before, "use lowercase letters, digits, - and _")
    # letters where a number goes, and a number out of range
    r = post(c, "/admin/menus/main/edit", menu_form(timeout_s="soon"))
    assert_refused(r, db, before, "Seconds to wait for a key: enter a whole number")
    r = post(c, "/admin/menus/main/edit", menu_form(max_tries="99"))
    assert_refused(r, db, before, "tries: a whole number from 1 to 10, not 99")
    # a fallback is required; a menu name that exists is not silently replaced
    r = post(c, "/admin/menus/main/edit", menu_form(fallback_action=""))
    assert_refused(r, db, before, "Choose where callers go after the last try")
    r = post(c, "/admin/menus/new", menu_form(name="main"))
    assert_refused(r, db, before, "A menu named main already exists.")


def test_hostile_title_is_stored_and_shown_escaped(admin_client, db):
    r = post(admin_client, "/admin/menus/main/edit", menu_form(
        title=HOSTILE[0], key_1_action="queue", key_1_target="support"))
    assert r.status_code == 302
    assert config.ivr_menu(db, "main")["title"] == HOSTILE[0]
    for path in ("/admin/menus/", "/admin/menus/main/edit"):
        body = text(admin_client.get(path))
        assert "<script>alert" not in body and "&lt;script&gt;alert(1)" in body, path


# -- queues --------------------------------------------------------------------------------------

def test_queue_create_edit_delete(admin_client, db):
    c = admin_client
    r = post(c, "/admin/queues/new", queue_form(name="sales"))
    assert r.status_code == 302 and r.location.endswith("/admin/queues/sales/edit")
    snap = {q["name"]: q for q in config.snapshot(db)["queues"]}
    q = snap["sales"]
    assert (q["title"], q["strategy"], q["member_timeout"], q["max_wait"], q["wrapup_time"],
            q["weight"], q["max_callers"], q["announce_frequency"]) == \
        ("Sales", "ringall", 20, 120, 5, 2, 10, 45)
    assert (q["announce_position"], q["announce_holdtime"]) == (1, 0)
    assert q["penalties"] == {"101": 2}
    assert (q["overflow_action"], q["overflow_target"]) == ("menu", "main")

    body = text(c.get("/admin/queues/sales/edit"))
    assert re.search(r'name="member_101" value="1" checked', body)
    assert not re.search(r'name="member_102" value="1" checked', body)
    assert form_value(body, "penalty_101") == "2"

    r = post(c, "/admin/queues/sales/edit", queue_form(
        strategy="leastrecent", member_102="1", penalty_102="7", overflow_action="",
        announce_holdtime="1"))
    assert r.status_code == 302
    q = {q["name"]: q for q in config.snapshot(db)["queues"]}["sales"]
    assert q["strategy"] == "leastrecent" and q["penalties"] == {"101": 2, "102": 7}
    assert q["overflow_action"] is None and q["announce_holdtime"] == 1

    assert "sales" in text(c.get("/admin/queues/"))
    r = post(c, "/admin/queues/sales/delete")
    assert r.status_code == 302
    assert "sales" not in {q["name"] for q in config.snapshot(db)["queues"]}


def test_queue_refused_values(admin_client, db):
    c = admin_client
    english(c)
    before = dump(db)
    r = post(c, "/admin/queues/support/edit", queue_form(overflow_action="queue",
                                                         overflow_target="nowhere"))
    assert_refused(r, db, before, "there is no queue named &#39;nowhere&#39;")
    assert form_value(text(r), "title") == "Sales" and form_value(text(r), "penalty_101") == "2"
    r = post(c, "/admin/queues/support/edit", queue_form(member_timeout="1"))
    assert_refused(r, db, before, "a whole number from")
    r = post(c, "/admin/queues/support/edit", queue_form(penalty_101="500"))
    assert_refused(r, db, before, "penalty of 101 must be 0-100")
    r = post(c, "/admin/queues/support/edit", queue_form(max_wait="'; DROP TABLE queues; --"))
    assert_refused(r, db, before, "Longest wait in queue (s): enter a whole number")
    r = post(c, "/admin/queues/new", queue_form(name=HOSTILE[0]))
    assert_refused(r, db, before, "use lowercase letters, digits, - and _")
    r = post(c, "/admin/queues/new", queue_form(name="support"))
    assert_refused(r, db, before, "A queue named support already exists.")
    # the demo's menu and the operator lead to support: it cannot be deleted
    r = post(c, "/admin/queues/support/delete")
    assert "Not deleted: queue &#39;support&#39; is still used" in text(c.get(r.location))
    assert dump(db) == before


def test_hold_music_upload_per_queue(admin_client, db, dirs, tmp_path):
    c = admin_client
    wav = make_wav(tmp_path / "Jazz Loop.wav", 2, rate=44100, channels=2)
    with wav.open("rb") as fh:
        r = post(c, "/admin/queues/support/moh", {"music": (fh, "Jazz Loop.wav")},
                 content_type="multipart/form-data")
    assert r.status_code == 302, text(r)[:2000]
    stored = dirs["MOH_DIR"] / "support" / "jazz-loop.wav"
    with wave.open(str(stored)) as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
    queue = {q["name"]: q for q in config.snapshot(db)["queues"]}["support"]
    assert queue["musiconhold"] == "support"           # switched to its own folder
    assert queue["members"] == ["101", "102"]           # nothing else changed
    body = text(c.get("/admin/queues/support/edit"))
    assert "jazz-loop.wav" in body and '<option value="support" selected' in body
    r = c.get("/admin/queues/support/moh/jazz-loop.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and r.data == stored.read_bytes()
    assert c.get("/admin/queues/support/moh/..%2f..%2fbox.db").status_code == 404
    # not audio: refused with sox's reason, nothing stored
    with open(__file__, "rb") as fh:
        r = post(c, "/admin/queues/support/moh", {"music": (fh, "notes.txt")},
                 content_type="multipart/form-data")
    assert r.status_code == 400 and "Nie zapisano: the file is not audio" in text(r)
    assert sorted(p.name for p in (dirs["MOH_DIR"] / "support").iterdir()) == ["jazz-loop.wav"]


def test_hold_music_delete(admin_client, db, dirs, tmp_path):
    c = admin_client
    folder = dirs["MOH_DIR"] / "support"
    for name in ("One.wav", "Two.wav"):
        with make_wav(tmp_path / name, 1).open("rb") as fh:
            r = post(c, "/admin/queues/support/moh", {"music": (fh, name)},
                     content_type="multipart/form-data")
        assert r.status_code == 302
    assert sorted(p.name for p in folder.iterdir()) == ["one.wav", "two.wav"]
    body = text(c.get("/admin/queues/support/edit"))
    assert 'action="/admin/queues/support/moh/one.wav/delete"' in body

    r = post(c, "/admin/queues/support/moh/one.wav/delete")
    assert r.status_code == 302
    assert "Usunięto muzykę w oczekiwaniu one.wav z kolejki support." in text(c.get(r.location))
    assert sorted(p.name for p in folder.iterdir()) == ["two.wav"]
    assert webqueries.queue(db, "support")["musiconhold"] == "support"

    # the last file while another queue plays this folder: refused, nothing changes
    r = post(c, "/admin/queues/new", queue_form(name="sales", musiconhold="support"))
    assert r.status_code == 302
    before = dump(db)
    r = post(c, "/admin/queues/support/moh/two.wav/delete")
    assert r.status_code == 400
    assert "Nie zapisano: Kolejka sales wciąż odtwarza tę muzykę" in text(r)
    assert dump(db) == before and (folder / "two.wav").is_file()
    # once nobody else plays it: the file goes and support plays the default music again
    post(c, "/admin/queues/sales/edit", queue_form(musiconhold="default"))
    r = post(c, "/admin/queues/support/moh/two.wav/delete")
    assert r.status_code == 302
    assert list(folder.iterdir()) == []
    support = webqueries.queue(db, "support")
    assert support["musiconhold"] == "default" and support["strategy"] == "rrmemory"
    body = text(c.get("/admin/queues/support/edit"))
    assert "katalog support" not in body                  # an empty folder is no choice
    # path tricks and names that are not there: 404, nothing removed
    (folder / "keep.wav").write_bytes(b"RIFF")
    for path in ("/admin/queues/support/moh/..%2f..%2fbox.db/delete",
                 "/admin/queues/support/moh/missing.wav/delete",
                 "/admin/queues/nowhere/moh/keep.wav/delete"):
        assert post(c, path).status_code == 404, path
    assert (folder / "keep.wav").is_file() and (tmp_path / "box.db").is_file()


def test_delete_moh_file_refuses_path_tricks(dirs, tmp_path):
    moh = dirs["MOH_DIR"]
    (moh / "support").mkdir()
    (moh / "support" / "loop.wav").write_bytes(b"RIFF")
    (moh / "other").mkdir()
    (moh / "other" / "x.wav").write_bytes(b"RIFF")
    (moh / "support" / ".hidden.wav").write_bytes(b"RIFF")
    for queue, filename in [("support", "../other/x.wav"), ("support", "..%2fother%2fx.wav"),
                            ("../support", "loop.wav"), ("support", "/etc/passwd"),
                            ("support", ".hidden.wav"), ("support", "loop.txt"),
                            ("support", "missing.wav"), ("support", ""), ("other", "loop.wav"),
                            ("support", "loop.wav\x00")]:
        with pytest.raises(sounds.SoundError):
            sounds.delete_moh_file(moh, queue, filename)
    assert sorted(p.name for p in (moh / "support").iterdir()) == [".hidden.wav", "loop.wav"]
    assert (moh / "other" / "x.wav").is_file()
    sounds.delete_moh_file(moh, "support", "loop.wav")
    assert not (moh / "support" / "loop.wav").exists()
    with pytest.raises(sounds.SoundError, match="no hold-music file"):
        sounds.delete_moh_file(moh, "support", "loop.wav")


# -- inbound routes ----------------------------------------------------------------------------

def test_route_create_edit_delete(admin_client, db):
    c = admin_client
    config.save_schedule(db, "office", [(0, "08:00", "16:00")])
    r = post(c, "/admin/routes/new", {"did": "+48221234567", "title": "Sales line",
                                      "dest_action": "queue", "dest_target": "support",
                                      "lang": "en", "schedule": "office",
                                      "closed_action": "menu", "closed_target": "main"})
    assert r.status_code == 302
    route = {r["did"]: r for r in config.snapshot(db)["routes"]}["+48221234567"]
    assert (route["action"], route["target"], route["lang"], route["title"]) == \
        ("queue", "support", "en", "Sales line")
    assert (route["closed_action"], route["closed_target"]) == ("menu", "main")
    body = text(c.get("/admin/routes/+48221234567/edit"))
    assert '<option value="office" selected' in body and form_value(body, "closed_target") == "main"

    r = post(c, "/admin/routes/+48221234567/edit", {"title": "Sales", "dest_action": "menu",
                                                    "dest_target": "main", "lang": "",
                                                    "schedule": "", "closed_action": ""})
    assert r.status_code == 302
    route = {r["did"]: r for r in config.snapshot(db)["routes"]}["+48221234567"]
    assert (route["action"], route["lang"], route["schedule_id"], route["closed_action"]) == \
        ("menu", None, None, None)
    assert "+48221234567" in text(c.get("/admin/routes/"))
    r = post(c, "/admin/routes/+48221234567/delete")
    assert r.status_code == 302
    assert "+48221234567" not in {r["did"] for r in config.snapshot(db)["routes"]}


def test_route_refused_values(admin_client, db):
    c = admin_client
    english(c)
    config.save_schedule(db, "office", [(0, "08:00", "16:00")])
    before = dump(db)
    r = post(c, "/admin/routes/new", {"did": "200", "title": "Kept", "dest_action": "queue",
                                      "dest_target": "'; DROP TABLE queues; --"})
    assert_refused(r, db, before, "route 200: there is no queue named")
    assert form_value(text(r), "title") == "Kept" and form_value(text(r), "did") == "200"
    r = post(c, "/admin/routes/new", {"did": HOSTILE[0], "dest_action": "hangup"})
    assert_refused(r, db, before, "digits only")
    r = post(c, "/admin/routes/100/edit", {"dest_action": "menu", "dest_target": "main",
                                           "schedule": "office", "closed_action": ""})
    assert_refused(r, db, before, "say where calls go when closed")
    r = post(c, "/admin/routes/new", {"did": "100", "dest_action": "hangup"})
    assert_refused(r, db, before, "Number 100 already has a route.")


# -- opening hours -------------------------------------------------------------------------------

def test_schedule_create_edit(admin_client, db):
    c = admin_client
    data = {"name": "office", "title": "Office", "open_0_0": "08:00", "close_0_0": "12:00",
            "open_0_1": "13:00", "close_0_1": "17:00", "open_4_0": "09:00", "close_4_0": "14:00",
            "holidays": "2026-12-24 Wigilia\n12-25 Boże Narodzenie\n\n"}
    r = post(c, "/admin/schedules/new", data)
    assert r.status_code == 302
    body = text(c.get("/admin/schedules/"))
    assert "poniedziałek 08:00–12:00" in body and "Boże Narodzenie" in body
    sid = db.execute("SELECT id FROM schedules WHERE name = 'office'").fetchone()[0]
    assert [tuple(r) for r in db.execute("SELECT weekday, opens, closes FROM schedule_hours "
                                         "WHERE schedule_id = ? ORDER BY weekday, opens", [sid])] \
        == [(0, "08:00", "12:00"), (0, "13:00", "17:00"), (4, "09:00", "14:00")]
    assert [tuple(r) for r in db.execute("SELECT day, title FROM schedule_holidays ORDER BY day")] \
        == [("12-25", "Boże Narodzenie"), ("2026-12-24", "Wigilia")]
    body = text(c.get("/admin/schedules/office/edit"))
    assert form_value(body, "open_0_1") == "13:00" and "12-25 Boże Narodzenie" in body

    r = post(c, "/admin/schedules/office/edit", {"title": "Office", "open_1_0": "10:00",
                                                 "close_1_0": "11:00", "holidays": ""})
    assert r.status_code == 302
    assert [tuple(r) for r in db.execute("SELECT weekday, opens, closes FROM schedule_hours")] \
        == [(1, "10:00", "11:00")]
    assert db.execute("SELECT count(*) FROM schedule_holidays").fetchone()[0] == 0


def test_schedule_refused_values(admin_client, db):
    c = admin_client
    english(c)
    config.save_schedule(db, "office", [(0, "08:00", "16:00")], title="Office")
    before = dump(db)
    r = post(c, "/admin/schedules/office/edit", {"title": "Kept", "open_0_0": "16:00",
                                                 "close_0_0": "08:00"})
    assert_refused(r, db, before, "16:00-08:00: closing must come after opening")
    assert form_value(text(r), "title") == "Kept" and form_value(text(r), "open_0_0") == "16:00"
    r = post(c, "/admin/schedules/office/edit", {"open_2_0": "08:00"})
    assert_refused(r, db, before, "Wednesday: give both the opening and the closing time.")
    r = post(c, "/admin/schedules/office/edit", {"holidays": "'; DROP TABLE schedules; -- x"})
    assert_refused(r, db, before, "is not a date like")
    r = post(c, "/admin/schedules/new", {"name": HOSTILE[0]})
    assert_refused(r, db, before, "use lowercase letters, digits, - and _")


def test_schedule_delete_refused_while_a_route_uses_it(admin_client, db):
    c = admin_client
    config.save_schedule(db, "office", [(0, "08:00", "16:00")], title="Office")
    config.save_route(db, "200", "menu", "main", schedule="office", closed=("hangup", ""))
    assert "Usuń godziny pracy office" in text(c.get("/admin/schedules/office/edit"))
    before = dump(db)
    r = post(c, "/admin/schedules/office/delete")
    assert r.status_code == 302 and r.location.endswith("/admin/schedules/office/edit")
    assert "Nie usunięto: schedule &#39;office&#39; is used by the routes of 200" in \
        text(c.get(r.location))
    assert dump(db) == before
    config.save_route(db, "200", "menu", "main")
    r = post(c, "/admin/schedules/office/delete")
    assert r.status_code == 302 and r.location.endswith("/admin/schedules/")
    assert "Usunięto godziny pracy office." in text(c.get(r.location))
    assert db.execute("SELECT count(*) FROM schedules").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM schedule_hours").fetchone()[0] == 0
    assert post(c, "/admin/schedules/office/delete").status_code == 404
    assert post(c, "/admin/schedules/<script>/delete").status_code == 404


# -- known callers -----------------------------------------------------------------------------

def test_caller_rules(admin_client, db):
    c = admin_client
    r = post(c, "/admin/callers/", {"pattern": "48600100200", "match": "exact", "name": "ACME",
                                    "lang": "en", "vip": "1", "dest_action": "queue",
                                    "dest_target": "support", "pin": "4321", "pin2": "4321"})
    assert r.status_code == 302
    rule = config.caller_rule_for(db, "48600100200", "100")
    assert (rule["name"], rule["lang"], rule["vip"], rule["action"], rule["target"]) == \
        ("ACME", "en", 1, "queue", "support")
    assert config.check_pin(rule["pin_hash"], "4321")
    body = text(c.get("/admin/callers/"))
    assert "ACME" in body and "4321" not in body and rule["pin_hash"] not in body

    post(c, "/admin/callers/", {"pattern": "4822", "match": "prefix", "did": "100", "lang": "pl"})
    prefix = config.caller_rule_for(db, "48221112233", "100")
    assert (prefix["match"], prefix["did"], prefix["action"], prefix["pin_hash"]) == \
        ("prefix", "100", None, None)

    # edit: the number stays, the rest changes (the PIN, left empty, is removed)
    body = text(c.get(f"/admin/callers/?edit={rule['id']}"))
    assert form_value(body, "name") == "ACME" and "wpisz go ponownie, aby go zachować" in body
    r = post(c, "/admin/callers/", {"id": str(rule["id"]), "pattern": "999", "name": "ACME Ltd",
                                    "lang": "", "dest_action": ""})
    assert r.status_code == 302
    changed = config.caller_rule_for(db, "48600100200", "100")
    assert (changed["name"], changed["lang"], changed["vip"], changed["action"],
            changed["pin_hash"]) == ("ACME Ltd", None, 0, None, None)
    assert config.caller_rule_for(db, "999", "100") is None

    r = post(c, f"/admin/callers/{changed['id']}/delete")
    assert r.status_code == 302 and config.caller_rule_for(db, "48600100200", "200") is None
    assert post(c, "/admin/callers/9999/delete").status_code == 404


def test_caller_rule_refused_values(admin_client, db):
    c = admin_client
    english(c)
    before = dump(db)
    r = post(c, "/admin/callers/", {"pattern": HOSTILE[0], "match": "exact", "name": "Kept"})
    assert_refused(r, db, before, "is not a phone number or prefix")
    assert form_value(text(r), "name") == "Kept"
    r = post(c, "/admin/callers/", {"pattern": "123", "match": "exact", "pin": "12", "pin2": "12"})
    assert_refused(r, db, before, "a PIN is 4 to 12 digits")
    assert 'name="pin" type="password" inputmode="numeric" autocomplete="off">' in text(r)
    r = post(c, "/admin/callers/", {"pattern": "123", "match": "exact", "pin": "1234",
                                    "pin2": "1235"})
    assert_refused(r, db, before, "The two PINs differ")
    r = post(c, "/admin/callers/", {"pattern": "123", "match": "exact", "dest_action": "menu",
                                    "dest_target": "'; DROP TABLE caller_rules; --"})
    assert_refused(r, db, before, "there is no IVR menu named")
    r = post(c, "/admin/callers/", {"pattern": "123", "match": "everything"})
    assert_refused(r, db, before, "match is exact or prefix")


# -- blacklist -----------------------------------------------------------------------------------

def test_blacklist_with_blocked_counts(admin_client, db):
    c = admin_client
    r = post(c, "/admin/blacklist/", {"pattern": "48700", "match": "prefix", "note": "spam"})
    assert r.status_code == 302
    entry = config.blacklist_match(db, "48700111222")
    assert (entry["pattern"], entry["match"], entry["note"]) == ("48700", "prefix", "spam")
    config.log_blocked_call(db, "1.1", "48700111222", "100", entry["id"])
    config.log_blocked_call(db, "1.2", "48700333444", "100", entry["id"])
    body = text(c.get("/admin/blacklist/"))
    row = body.split('id="blacklist"')[1].split("</table>")[0]
    assert '<td class="num">2</td>' in row and "spam" in row
    blocked = body.split('id="blocked"')[1]
    assert "48700333444" in blocked and "48700111222" in blocked

    english(c)
    before = dump(db)
    r = post(c, "/admin/blacklist/", {"pattern": "48700", "match": "prefix"})
    assert_refused(r, db, before, "48700 is already on the blacklist")
    r = post(c, "/admin/blacklist/", {"pattern": "'; DROP TABLE blacklist; --", "match": "exact",
                                      "note": "kept note"})
    assert_refused(r, db, before, "is not a phone number or prefix")
    assert form_value(text(r), "note") == "kept note"

    r = post(c, f"/admin/blacklist/{entry['id']}/delete")
    assert r.status_code == 302 and config.blacklist_match(db, "48700111222") is None
    assert "a removed entry" in text(c.get("/admin/blacklist/"))


# -- settings ------------------------------------------------------------------------------------

def settings_form(**over) -> dict:
    data = dict(config.DEFAULT_SETTINGS)
    data.update(operator_action="queue", operator_target="support")
    data.update(over)
    return data


def test_settings_save(admin_client, db):
    c = admin_client
    r = post(c, "/admin/settings/", settings_form(
        operator_key="9", operator_action="menu", operator_target="main", default_lang="en",
        rec_mode="list", rec_numbers="48600\r\n+48221234567", rec_ondemand_key="*2",
        rec_retention_days="90", rec_retention_action="archive", rec_min_free_mb="1000",
        pin_max_tries="5", pin_lockout_minutes="30"))
    assert r.status_code == 302
    s = config.settings(db)
    assert (s["operator_key"], s["operator_action"], s["operator_target"], s["default_lang"]) == \
        ("9", "menu", "main", "en")
    assert (s["rec_mode"], s["rec_numbers"].split(), s["rec_ondemand_key"]) == \
        ("list", ["48600", "+48221234567"], "*2")
    assert (s["rec_retention_days"], s["rec_retention_action"], s["rec_min_free_mb"],
            s["pin_max_tries"], s["pin_lockout_minutes"]) == ("90", "archive", "1000", "5", "30")
    body = text(c.get("/admin/settings/"))
    assert form_value(body, "operator_key") == "9" and "+48221234567" in body
    # hang-up as operator needs no target
    assert post(c, "/admin/settings/", settings_form(operator_action="hangup",
                                                    operator_target="x")).status_code == 302
    assert config.settings(db)["operator_target"] == ""


def test_settings_refused_values(admin_client, db):
    c = admin_client
    english(c)
    before = dump(db)
    r = post(c, "/admin/settings/", settings_form(operator_key="12", rec_numbers="48600"))
    assert_refused(r, db, before, "operator key: one key")
    assert form_value(text(r), "operator_key") == "12" and ">48600</textarea>" in text(r)
    r = post(c, "/admin/settings/", settings_form(rec_retention_days="'; DROP TABLE settings; --"))
    assert_refused(r, db, before, "rec retention days: a whole number")
    r = post(c, "/admin/settings/", settings_form(operator_target="nowhere"))
    assert_refused(r, db, before, "operator: there is no queue named &#39;nowhere&#39;")
    r = post(c, "/admin/settings/", settings_form(rec_numbers=HOSTILE[0]))
    assert_refused(r, db, before, "is not a phone number or prefix")
    # the app's 1 MiB limit still holds everywhere but the upload endpoints
    r = post(c, "/admin/settings/", settings_form(rec_numbers="1\n" * 600_000))
    assert r.status_code == 413 and dump(db) == before


# -- prompts -------------------------------------------------------------------------------------

def test_prompt_upload_small_and_big(admin_client, db, dirs, tmp_path):
    c = admin_client
    small = make_wav(tmp_path / "welcome.wav", 1.5)
    with small.open("rb") as fh:
        r = post(c, "/admin/prompts/upload", {"name": "welcome", "lang": "pl",
                                              "sound": (fh, "welcome.wav")},
                 content_type="multipart/form-data", form_page="/admin/prompts/")
    assert r.status_code == 302, text(r)[:3000]
    row = db.execute("SELECT source, seconds FROM prompts WHERE name = 'welcome' AND lang = 'pl'"
                     ).fetchone()
    assert row[0] == "upload" and abs(row[1] - 1.5) < 0.05
    path = sounds.prompt_path(dirs["PROMPTS_DIR"], "welcome", "pl")
    assert path.is_file()
    assert "Zapisano komunikat welcome (pl): 1.5 s." in text(c.get("/admin/prompts/"))

    big = make_wav(tmp_path / "long.wav", 12, rate=44100, channels=2)   # ~2 MiB
    assert big.stat().st_size > 2 * 1024 * 1024
    with big.open("rb") as fh:
        r = post(c, "/admin/prompts/upload", {"name": "welcome", "lang": "en",
                                              "sound": (fh, "Long Recording.WAV")},
                 content_type="multipart/form-data")
    assert r.status_code == 302, text(r)[:3000]
    seconds = db.execute("SELECT seconds FROM prompts WHERE name = 'welcome' AND lang = 'en'"
                         ).fetchone()[0]
    assert abs(seconds - 12) < 0.05

    body = text(c.get("/admin/prompts/"))
    listing = body.split('id="prompt-list"')[1].split("</table>")[0]
    assert listing.count("<audio") == 2 and "12.0 s" in listing
    r = c.get("/admin/prompts/en/welcome.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    assert r.data == sounds.prompt_path(dirs["PROMPTS_DIR"], "welcome", "en").read_bytes()
    assert c.get("/admin/prompts/en/nothing.wav").status_code == 404
    assert c.get("/admin/prompts/de/welcome.wav").status_code == 404
    # the new prompt is offered in the menu form
    assert '<option value="welcome">welcome</option>' in text(c.get("/admin/menus/main/edit"))


def test_prompt_upload_refused(app, admin_client, db, tmp_path):
    c = admin_client
    english(c)
    agent = client_for(app, db, "agent")
    before = dump(db)
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not a sound")
    with bogus.open("rb") as fh:
        r = post(c, "/admin/prompts/upload", {"name": "hello", "lang": "pl",
                                              "sound": (fh, "notes.wav")},
                 content_type="multipart/form-data")
    assert_refused(r, db, before, "Not saved: the file is not audio")
    assert form_value(text(r).split('id="upload-form"')[1], "name") == "hello"
    r = post(c, "/admin/prompts/upload", {"name": HOSTILE[0], "lang": "pl",
                                          "sound": (make_wav(tmp_path / "a.wav", 1).open("rb"),
                                                    "a.wav")},
             content_type="multipart/form-data")
    assert_refused(r, db, before, "use lowercase letters, digits, - and _")
    r = post(c, "/admin/prompts/upload", {"name": "hello", "lang": "pl"},
             content_type="multipart/form-data")
    assert_refused(r, db, before, "Choose a sound file to upload.")
    # a big upload from a user who may not upload is refused before anything is read
    big = make_wav(tmp_path / "big.wav", 12, rate=44100, channels=2)
    with big.open("rb") as fh:
        r = post(agent, "/admin/prompts/upload", {"name": "x", "lang": "pl",
                                                  "sound": (fh, "big.wav")},
                 content_type="multipart/form-data")
    assert r.status_code == 413
    assert dump(db) == before


def test_prompt_from_text(admin_client, db, dirs):
    c = admin_client
    r = post(c, "/admin/prompts/speak", {"name": "closed", "lang": "pl",
                                         "text": "Zapraszamy od poniedziałku do piątku."})
    assert r.status_code == 302, text(r)[:3000]
    row = db.execute("SELECT source, text, seconds FROM prompts WHERE name = 'closed'").fetchone()
    assert row[0] == "tts" and row[1].startswith("Zapraszamy") and row[2] > 1
    assert sounds.prompt_path(dirs["PROMPTS_DIR"], "closed", "pl").is_file()
    before = dump(db)
    r = post(c, "/admin/prompts/speak", {"name": "closed", "lang": "en", "text": "   "})
    assert_refused(r, db, before, "type the text the prompt should say")


def test_prompt_delete_per_language_and_refused_while_played(admin_client, db, dirs, tmp_path):
    c = admin_client
    wav = make_wav(tmp_path / "w.wav", 1)
    for lang in ("pl", "en"):
        sounds.store_prompt(db, dirs["PROMPTS_DIR"], "welcome", lang, upload=wav)
        sounds.store_prompt(db, dirs["PROMPTS_DIR"], "spare", lang, upload=wav)
    files = {lang: sounds.prompt_path(dirs["PROMPTS_DIR"], "welcome", lang)
             for lang in ("pl", "en")}
    r = post(c, "/admin/menus/main/edit", menu_form(prompt="welcome", key_1_action="queue",
                                                    key_1_target="support"))
    assert r.status_code == 302
    listing = text(c.get("/admin/prompts/")).split('id="prompt-list"')[1].split("</table>")[0]
    assert 'action="/admin/prompts/pl/welcome/delete"' in listing
    assert 'action="/admin/prompts/welcome/delete"' in listing

    # one language of a prompt that menu main plays: the other language is left, so allowed
    r = post(c, "/admin/prompts/pl/welcome/delete")
    assert r.status_code == 302 and "Usunięto komunikat welcome (pl)." in text(c.get(r.location))
    assert config.prompt_langs(db, "welcome") == ["en"]
    assert not files["pl"].exists() and files["en"].is_file()
    # its last language: refused with the store's message, row and file stay
    before = dump(db)
    r = post(c, "/admin/prompts/en/welcome/delete")
    assert "Nie usunięto: prompt &#39;welcome&#39; is played by menu main" in \
        text(c.get(r.location))
    r = post(c, "/admin/prompts/welcome/delete")
    assert "is played by menu main" in text(c.get(r.location))
    assert dump(db) == before and files["en"].is_file()
    # not played any more: every language goes, rows and files
    post(c, "/admin/menus/main/edit", menu_form(key_1_action="queue", key_1_target="support"))
    r = post(c, "/admin/prompts/welcome/delete")
    assert "Usunięto komunikat welcome." in text(c.get(r.location))
    assert config.prompt_langs(db, "welcome") == [] and not files["en"].exists()
    assert config.prompt_langs(db, "spare") == ["en", "pl"]
    assert sounds.prompt_path(dirs["PROMPTS_DIR"], "spare", "pl").is_file()
    for path in ("/admin/prompts/welcome/delete", "/admin/prompts/de/spare/delete",
                 "/admin/prompts/..%2fspare/delete", "/admin/prompts/pl/nothing/delete"):
        assert post(c, path).status_code == 404, path
    assert config.prompt_langs(db, "spare") == ["en", "pl"]


def test_delete_prompt_files_of_one_language(dirs, tmp_path):
    prompts = dirs["PROMPTS_DIR"]
    for lang in ("pl", "en"):
        sounds.convert(make_wav(tmp_path / "a.wav", 1), sounds.prompt_path(prompts, "hi", lang))
    sounds.delete_prompt_files(prompts, "hi", "en")
    assert sounds.prompt_path(prompts, "hi", "pl").is_file()
    assert not sounds.prompt_path(prompts, "hi", "en").exists()
    sounds.delete_prompt_files(prompts, "hi", "en")          # already gone: no error
    with pytest.raises(sounds.SoundError):
        sounds.delete_prompt_files(prompts, "hi", "de")
    with pytest.raises(sounds.SoundError):
        sounds.delete_prompt_files(prompts, "../pl/hi", "pl")
    assert sounds.prompt_path(prompts, "hi", "pl").is_file()
    sounds.delete_prompt_files(prompts, "hi")
    assert not sounds.prompt_path(prompts, "hi", "pl").exists()


def test_pages_without_folders_say_unavailable(tmp_path):
    app = create_app(str(tmp_path / "plain.db"))
    app.config["TESTING"] = True
    c = app.test_client()
    do_setup(c)
    english(c)
    assert "is not available" in text(c.get("/admin/prompts/"))
    assert "is not available" in text(c.get("/recordings/"))
    r = post(c, "/admin/prompts/speak", {"name": "a", "lang": "pl", "text": "x"})
    assert r.status_code == 404


# -- recordings ----------------------------------------------------------------------------------

@pytest.fixture
def recs(db, dirs):
    """Three recordings: agent 101's, agent 102's, and one nobody answered; plus files."""
    base = dirs["RECORDINGS_DIR"]
    day = time.mktime(time.strptime("2026-03-10 10:00", "%Y-%m-%d %H:%M"))
    rows = [("u1", "2026/03/10/u1.wav", day, "in", "48600100200", "100", "support", "101"),
            ("u2", "2026/03/11/u2.wav", day + 86400, "in", "48511222333", "100", "support", "102"),
            ("u3", "2026/03/12/u3.wav", day + 2 * 86400, "out", "101", "48999888777", "", "")]
    ids = {}
    for i, (uid, rel, at, direction, caller, called, queue, agent) in enumerate(rows):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_bytes(b"RIFF" + bytes([i]) * 2000)
        ids[uid] = config.index_recording(db, uniqueid=uid, path=rel, started_at=at,
                                          direction=direction, caller=caller, called=called,
                                          queue=queue, agent=agent, seconds=61 + i)
    return ids


def audits(db) -> list[tuple]:
    return [tuple(r) for r in db.execute(
        "SELECT recording_id, username, action FROM recording_audit ORDER BY id")]


def test_agent_sees_and_plays_only_own_recordings(app, db, admin_client, recs, dirs):
    agent = client_for(app, db, "agent", "101")
    body = text(agent.get("/recordings/"))
    table = body.split('id="recordings"')[1]
    assert f'data-id="{recs["u1"]}"' in table
    assert f'data-id="{recs["u2"]}"' not in table and f'data-id="{recs["u3"]}"' not in table

    r = agent.get(f"/recordings/{recs['u1']}/play")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    assert r.data == (dirs["RECORDINGS_DIR"] / "2026/03/10/u1.wav").read_bytes()
    r = agent.get(f"/recordings/{recs['u1']}/download")
    assert r.status_code == 200 and r.data == (dirs["RECORDINGS_DIR"] / "2026/03/10/u1.wav"
                                               ).read_bytes()
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "48600100200" in r.headers["Content-Disposition"]
    assert audits(db) == [(recs["u1"], "agent101x", "play"), (recs["u1"], "agent101x", "download")]

    for other in (recs["u2"], recs["u3"], 9999):
        assert agent.get(f"/recordings/{other}/play").status_code == 404
        assert agent.get(f"/recordings/{other}/download").status_code == 404
    assert len(audits(db)) == 2

    # an agent user linked to no agent sees nothing at all
    lonely = client_for(app, db, "agent")
    body = text(lonely.get("/recordings/"))
    assert 'id="recordings"' not in body and "nie jest powiązane" in body
    assert lonely.get(f"/recordings/{recs['u3']}/play").status_code == 404


def test_supervisor_and_admin_see_all(app, db, admin_client, recs, dirs):
    sup = client_for(app, db, "supervisor")
    table = text(sup.get("/recordings/")).split('id="recordings"')[1]
    assert all(f'data-id="{i}"' in table for i in recs.values())
    # newest first
    assert table.index(f'data-id="{recs["u3"]}"') < table.index(f'data-id="{recs["u1"]}"')
    r = sup.get(f"/recordings/{recs['u2']}/play")
    u2 = (dirs["RECORDINGS_DIR"] / "2026/03/11/u2.wav").read_bytes()
    assert r.status_code == 200 and r.data == u2
    r = admin_client.get(f"/recordings/{recs['u3']}/download")
    assert r.status_code == 200
    assert audits(db) == [(recs["u2"], "supervisorx", "play"), (recs["u3"], "admin", "download")]
    # a player asking for the rest of the file does not count as another listening
    r = sup.get(f"/recordings/{recs['u2']}/play", headers={"Range": "bytes=1000-"})
    assert r.status_code == 206 and r.data == u2[1000:]
    assert len(audits(db)) == 2


def test_recordings_search_and_pages(app, db, admin_client, recs, dirs, monkeypatch):
    c = admin_client

    def shown(query):
        body = text(c.get("/recordings/" + query))
        return {int(i) for i in re.findall(r'<tr data-id="(\d+)"', body)}

    assert shown("?number=48511") == {recs["u2"]}
    assert shown("?number=48999888777") == {recs["u3"]}
    assert shown("?since=2026-03-11") == {recs["u2"], recs["u3"]}
    assert shown("?until=2026-03-11") == {recs["u1"], recs["u2"]}
    assert shown("?since=2026-03-11&until=2026-03-11") == {recs["u2"]}
    english(c)
    body = text(c.get("/recordings/?since=yesterday"))
    assert "From: a date like 2026-03-31, not &#39;yesterday&#39;" in body
    assert "&#39;<script>" not in text(c.get("/recordings/?number=<script>x"))

    monkeypatch.setattr(recordings, "PER_PAGE", 2)
    body = text(c.get("/recordings/?number=4"))
    assert len(re.findall(r"<tr data-id=", body)) == 2 and 'rel="next"' in body
    next_url = re.search(r'href="([^"]+)" rel="next"', body).group(1).replace("&amp;", "&")
    assert "number=4" in next_url and "page=2" in next_url
    body = text(c.get(next_url))
    assert len(re.findall(r"<tr data-id=", body)) == 1
    assert 'rel="prev"' in body and 'rel="next"' not in body


def test_recording_files_only_from_the_recordings_folder(db, admin_client, dirs, tmp_path):
    (tmp_path / "secret.wav").write_bytes(b"secret")
    evil = config.index_recording(db, uniqueid="evil", path="../../../secret.wav",
                                  started_at=time.time(), direction="in")
    absolute = config.index_recording(db, uniqueid="abs", path=str(tmp_path / "secret.wav"),
                                      started_at=time.time(), direction="in")
    missing = config.index_recording(db, uniqueid="gone", path="gone.wav",
                                     started_at=time.time(), direction="in")
    for rid in (evil, absolute, missing):
        assert admin_client.get(f"/recordings/{rid}/play").status_code == 404
        assert admin_client.get(f"/recordings/{rid}/download").status_code == 404
    assert audits(db) == []


# -- catalogue, wsgi -------------------------------------------------------------------------

def test_labels_kept_in_python_have_polish():
    labels = [label for _e, label in admin.PAGES] + list(queues.STRATEGIES.values()) + \
        list(queues.NUMBERS.values()) + list(settings.REC_MODES.values()) + \
        list(settings.NUMBERS.values()) + list(schedules.WEEKDAYS) + \
        list(recordings.DIRECTIONS.values()) + ["Penalty", "From", "To", "Recordings"] + \
        [f"lang:{lang}" for lang in config.LANGS] + ["match:exact", "match:prefix"] + \
        ["source:upload", "source:tts", "source:phone"]
    assert [label for label in labels if label not in CATALOG] == []
    assert set(queues.STRATEGIES) == {"ringall", "leastrecent", "fewestcalls", "random",
                                      "rrmemory", "linear", "wrandom"}
    assert set(settings.REC_MODES) == set(config.REC_MODES)


def test_wsgi_takes_folders_from_jns_asterisk_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JNS_DB", str(tmp_path / "wsgi.db"))
    monkeypatch.setenv("JNS_ASTERISK_DIR", str(tmp_path / "ast"))
    monkeypatch.setitem(sys.modules, "appliance.telephony.status", None)
    monkeypatch.delitem(sys.modules, "appliance.webui.wsgi", raising=False)
    wsgi = importlib.import_module("appliance.webui.wsgi")
    assert wsgi.app.config["PROMPTS_DIR"] == str(tmp_path / "ast" / "prompts")
    assert wsgi.app.config["MOH_DIR"] == str(tmp_path / "ast" / "moh")
    assert wsgi.app.config["RECORDINGS_DIR"] == str(tmp_path / "ast" / "spool" / "monitor")
    monkeypatch.delenv("JNS_ASTERISK_DIR")
    monkeypatch.delitem(sys.modules, "appliance.webui.wsgi")
    wsgi = importlib.import_module("appliance.webui.wsgi")
    assert wsgi.app.config["PROMPTS_DIR"] is None
