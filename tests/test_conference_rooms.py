"""Conference rooms (CONF-1, CONF-2) on a real Asterisk 22 with real SIPp callers.

Callers come from the carrier side on DID 300, routed to conference room 800, and type
their PIN as SIP INFO digits; a desk phone dials room 801 by its number.  Every assertion
reads Asterisk's own state: ConfbridgeList (who is in, Muted, Talking), ConfbridgeListRooms
(Locked), ConfbridgeTalking and the JnsConf UserEvents, and the recording ConfBridge wrote.
The leader's controls are clicked in the panel (Flask test client) and go through the real
jns-calld to Asterisk, as on the box.  One box for the module: each Asterisk start costs
seconds.
"""
from __future__ import annotations

import re
import subprocess
import threading

import pytest

from appliance.devbox import DevBox, free_port
from appliance.store import config, live, users
from appliance.store import db as store
from appliance.telephony import conferences
from appliance.telephony.calld import LiveClient, LiveError
from appliance.webui import create_app
from tests.conftest import csrf_token, require_rootfs, use_english
from tests.test_skeleton_call import wait_for
from tests.test_webui import ADMIN_PW, do_setup, login
from tests.test_webui_browser import page  # noqa: F401 (fixture)

try:
    from playwright.sync_api import expect
except ImportError:   # the page fixture fails with the reason
    expect = None

pytestmark = pytest.mark.asterisk

ROOM = {"number": "800", "title": "Board", "talker_pin": "1111", "listener_pin": "2222",
        "leader_pin": "3333", "pin_tries": 2, "record": 1}


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """The demo box with room 800 (PINs, 2 tries, recorded) behind DID 300, room 801
    without a PIN, jns-calld, and the panel (its LIVE_CLIENT is that calld)."""
    require_rootfs()
    b = DevBox(tmp_path_factory.mktemp("rooms") / "box",
               demo_agent_contacts={"101": f"sip:101@127.0.0.1:{free_port()}"})
    b.room_id = conferences.save_room(b.db, ROOM, user="admin")
    b.open_room_id = conferences.save_room(b.db, {"number": "801", "title": "Open"})
    config.save_route(b.db, "300", "conference", "800")
    b.start()
    b.events = []
    b.ami.on_event("*", lambda e: b.events.append(e) if e.get("Event") in (
        "UserEvent", "ConfbridgeJoin", "ConfbridgeTalking") else None)
    b.calld = b.start_calld()
    b.live = LiveClient(f"http://127.0.0.1:{b.layout.calld_port}",
                        store.ensure_secret(b.db, "calld_secret"))
    app = create_app(str(b.db_path), config={"LIVE_CLIENT": b.live,
                                             "RECORDINGS_DIR": str(b.asterisk.recordings_dir)})
    app.config["TESTING"] = True
    b.app = app
    yield b
    b.calld.stop()
    b.stop()


@pytest.fixture(autouse=True)
def clean_asterisk_log(box):
    """Whatever happens in the rooms, Asterisk must not complain about our files."""
    yield
    bad = [line for line in box.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


@pytest.fixture(autouse=True)
def empty_rooms(box):
    """Every test starts and ends with nobody in the rooms (its SIPp callers are gone)."""
    yield
    for room in ("800", "801"):
        for e in members(box, room):
            try:
                box.ami.action("Hangup", Channel=e["Channel"])
            except Exception:   # noqa: BLE001 - left on its own meanwhile
                pass
    assert wait_for(lambda: not members(box, "800") and not members(box, "801"))


@pytest.fixture
def panel(box):
    """A supervisor signed in to the panel, in English."""
    users_there = {u for (u,) in box.db.execute("SELECT username FROM users")}
    c = box.app.test_client()
    if "admin" not in users_there:
        assert do_setup(c).status_code == 302
        c = box.app.test_client()
    if "boss" not in users_there:
        users.create_user(box.db, "boss", ADMIN_PW, "supervisor")
    assert login(c, "boss", ADMIN_PW).status_code == 302
    use_english(c)
    return c


def members(box, room: str) -> list[dict]:
    """ConfbridgeList of a room: Asterisk's own word on who is in it."""
    try:
        _, events = box.ami.action_list("ConfbridgeList", "ConfbridgeListComplete",
                                        Conference=f"conf-{room}")
    except Exception:   # "No Conference by that name found": nobody in it
        return []
    return [e for e in events if e.get("Event") == "ConfbridgeList"]


def by_number(box, room: str) -> dict[str, dict]:
    return {e["CallerIDNum"]: e for e in members(box, room)}


def dial_in(box, sipp, pin: str, caller: str):
    """A carrier-side caller on DID 300 who types `pin` and # and stays on the line."""
    keys = [(1500, pin[0])] + [(250, k) for k in pin[1:]] + [(250, "#")]
    return sipp.call_keys(box.layout.sip_port, "300", keys, caller=caller, wait=False,
                          timeout_s=60)


def events(box, name: str, **match) -> list[dict]:
    return [e for e in list(box.events) if e.get("Event") == name
            and all(e.get(k) == v for k, v in match.items())]


def test_talkers_hear_each_other_and_a_listener_cannot_talk(box, sipp):
    first = dial_in(box, sipp, "1111", "48600100001")
    second = dial_in(box, sipp, "1111", "48600100002")
    listener = dial_in(box, sipp, "2222", "48600100009")
    inside = wait_for(lambda: len(members(box, "800")) == 3 and by_number(box, "800"), timeout=30)
    assert inside, "three callers with good PINs are not all in the room"
    assert inside["48600100009"]["Muted"] == "Yes"
    assert inside["48600100001"]["Muted"] == "No" and inside["48600100002"]["Muted"] == "No"
    # every SIPp caller sends a tone: ConfBridge hears the talkers, never the listener
    talkers = {inside["48600100001"]["Channel"], inside["48600100002"]["Channel"]}
    assert wait_for(lambda: talkers <= {e["Channel"] for e in events(
        box, "ConfbridgeTalking", Conference="conf-800", TalkingStatus="on")})
    now = by_number(box, "800")
    assert now["48600100001"]["Talking"] == "Yes" and now["48600100002"]["Talking"] == "Yes"
    assert now["48600100009"]["Talking"] == "No"
    assert not events(box, "ConfbridgeTalking", Channel=inside["48600100009"]["Channel"])
    # the roles the PINs gave, as the panel's live list shows them
    state = box.live.action("conf_list", room="800", user="test")
    roles = {p["number"]: p["role"] for p in state["participants"]}
    assert roles == {"48600100001": "talker", "48600100002": "talker", "48600100009": "listener"}
    assert {e["Role"] for e in events(box, "UserEvent", UserEvent="JnsConf", Kind="join",
                                      Room="800")} == {"talker", "listener"}
    # listen-only is a promise: calld refuses to unmute the listener, Asterisk keeps it muted
    with pytest.raises(LiveError, match="listen-only participant cannot be unmuted"):
        box.live.action("conf_unmute", room="800", channel=inside["48600100009"]["Channel"],
                        user="boss")
    assert by_number(box, "800")["48600100009"]["Muted"] == "Yes"
    for proc in (first, second, listener):
        box.ami.action("Hangup", Channel=inside[proc_number(proc)]["Channel"])
        proc.wait(timeout=30)
    # the room is recorded: ConfBridge's mix of the talkers' tones, listed on the room's page
    recs = wait_for(lambda: conferences.recordings(box.asterisk.recordings_dir, "800"))
    assert recs, "no recording of room 800"
    stat = subprocess.run(["sox", str(box.asterisk.recordings_dir / "conference" / recs[0]["name"]),
                           "-n", "stat"], capture_output=True, text=True).stderr
    assert float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat).group(1)) > 0.01, stat


def proc_number(proc) -> str:
    return proc.args[proc.args.index("-key") + 2]


def test_a_wrong_pin_is_refused_after_the_tries(box, sipp):
    before = len(events(box, "ConfbridgeJoin"))
    keys = [(1500, "9"), (250, "9"), (250, "9"), (250, "9"), (250, "#"),
            (2500, "2"), (250, "2"), (250, "2"), (250, "#")]
    result = sipp.call_keys(box.layout.sip_port, "300", keys, caller="48600100077", timeout_s=40)
    assert result.returncode == 0, result.stdout[-2000:]   # Asterisk hung up on the caller
    bad = wait_for(lambda: events(box, "UserEvent", UserEvent="JnsConf", Kind="badpin",
                                  Room="800", CallerIDNum="48600100077"))
    assert bad, "no JnsConf badpin event"
    assert not [e for e in events(box, "ConfbridgeJoin")[before:]
                if e.get("CallerIDNum") == "48600100077"]
    assert "48600100077" not in by_number(box, "800")


def test_the_panel_mutes_everybody_kicks_and_locks(box, sipp, panel):
    leader = dial_in(box, sipp, "3333", "48600100050")
    talker = dial_in(box, sipp, "1111", "48600100051")
    other = dial_in(box, sipp, "1111", "48600100052")
    inside = wait_for(lambda: len(members(box, "800")) == 3 and by_number(box, "800"), timeout=30)
    assert inside, "leader and talkers are not all in the room"
    assert inside["48600100050"]["Admin"] == "Yes"
    # everybody is heard in the bridge (SIPp sends a tone)
    assert wait_for(lambda: all(e["Talking"] == "Yes" for e in members(box, "800")), timeout=20)
    page = panel.get(f"/conferences/{box.room_id}/")
    assert page.status_code == 200 and "48600100051" in page.get_data(as_text=True)
    token = csrf_token(panel, f"/conferences/{box.room_id}/")
    url = f"/conferences/{box.room_id}/control"

    r = panel.post(url, data={"csrf_token": token, "do": "mute_all"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json()["ok"], r.get_json()
    now = by_number(box, "800")
    assert now["48600100051"]["Muted"] == "Yes" and now["48600100052"]["Muted"] == "Yes"
    assert now["48600100050"]["Muted"] == "No"
    audit = [a for a in live.audit_log(box.db) if a["action"] == "conf_mute_all"]
    assert audit and audit[0]["username"] == "boss" and audit[0]["result"] == "ok"

    r = panel.post(url, data={"csrf_token": token, "do": "kick",
                              "channel": inside["48600100052"]["Channel"]})
    assert r.status_code == 302
    kicks = [a for a in live.audit_log(box.db) if a["action"] == "conf_kick"]
    assert kicks and kicks[0]["result"] == "ok", kicks
    assert wait_for(lambda: "48600100052" not in by_number(box, "800"))
    other.wait(timeout=30)
    assert other.returncode == 0   # Asterisk hung up the removed caller

    r = panel.post(url, data={"csrf_token": token, "do": "lock"},
                   headers={"Accept": "application/json"})
    assert r.get_json()["ok"], r.get_json()
    _, rooms = box.ami.action_list("ConfbridgeListRooms", "ConfbridgeListRoomsComplete")
    assert [e["Locked"] for e in rooms if e.get("Conference") == "conf-800"] == ["Yes"]
    late = dial_in(box, sipp, "1111", "48600100053")   # a good PIN, but the room is locked
    late.wait(timeout=40)
    assert "48600100053" not in by_number(box, "800")
    assert by_number(box, "800").keys() == {"48600100050", "48600100051"}
    live_json = panel.get(f"/conferences/{box.room_id}/live.json").get_json()
    assert live_json["locked"] is True and {p["role"] for p in live_json["participants"]} == \
        {"leader", "talker"}
    for proc in (leader, talker):
        box.ami.action("Hangup", Channel=inside[proc_number(proc)]["Channel"])


def test_a_desk_phone_dials_a_room_by_its_number(box, sipp, panel):
    # an empty room is an empty list, an unknown one a clear refusal
    assert box.live.action("conf_list", room="801", user="boss")["participants"] == []
    with pytest.raises(LiveError, match="there is no conference room '999'"):
        box.live.action("conf_list", room="999", user="boss")
    secret = box.db.execute("SELECT secret FROM agents WHERE extension = '101'").fetchone()[0]
    results: list = []
    thread = threading.Thread(target=lambda: results.append(sipp.phone_call(
        box.layout.sip_port, "101", secret, "801", talk_ms=300)), daemon=True)
    thread.start()
    inside = wait_for(lambda: by_number(box, "801"), timeout=20)
    assert list(inside) == ["101"] and inside["101"]["Muted"] == "No"   # no PIN: a talker
    token = csrf_token(panel, f"/conferences/{box.open_room_id}/")
    r = panel.post(f"/conferences/{box.open_room_id}/control",
                   data={"csrf_token": token, "do": "kick", "channel": inside["101"]["Channel"]},
                   headers={"Accept": "application/json"})
    assert r.get_json()["ok"], r.get_json()
    thread.join(timeout=60)
    assert results and results[0].returncode == 0, results


@pytest.mark.browser
def test_the_live_page_in_a_browser_shows_who_joins_and_mutes_them(box, sipp, panel, page,
                                                                     tmp_path):
    """The real panel (gunicorn) in Chromium: the participants table fills by itself when a
    caller joins, and the mute button mutes them in Asterisk."""
    from tests.test_webui_browser import running_panel
    with running_panel(box.web_env(), tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "boss")
        page.fill("#password", ADMIN_PW)
        page.click("button.primary")
        page.goto(f"{url}/conferences/{box.room_id}/")
        expect(page.locator("#conf-empty")).to_be_visible()
        expect(page.locator("#room-facts")).to_contain_text("2222")   # PINs to hand out
        caller = dial_in(box, sipp, "1111", "48600100061")
        row = page.locator("#participants tbody tr", has_text="48600100061")
        expect(row).to_contain_text("talker")      # boss chose English (the panel fixture)
        expect(page.locator("#conf-empty")).to_be_hidden()
        channel = row.get_attribute("data-channel")
        row.locator('button[data-do="mute"]').click()
        expect(page.locator("#conf-message")).to_contain_text("Participant muted.")
        assert by_number(box, "800")["48600100061"]["Muted"] == "Yes"
        expect(row.locator("td.muted")).to_have_text("yes")
        box.ami.action("Hangup", Channel=channel)
        caller.wait(timeout=30)
        expect(page.locator("#conf-empty")).to_be_visible()
        assert not page.console_errors, page.console_errors
