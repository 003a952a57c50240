"""Conference rooms in the database and in Asterisk's files (CONF-1, CONF-2), no Asterisk:
what an admin may save (and the reason when not, with nothing written), rooms as a
destination of routes and IVR keys, and the dialplan and ConfBridge profiles rendered from
a room (the PIN decides the role; a listener's menu has no key to unmute)."""
from __future__ import annotations

import re

import pytest

from appliance.store import config, db as store
from appliance.store.db import StoreError
from appliance.telephony import conferences, render

ROOM = {"number": "800", "title": "Board", "talker_pin": "1111", "listener_pin": "2222",
        "leader_pin": "3333", "pin_tries": "2", "max_members": "12"}


@pytest.fixture
def db(tmp_path):
    d = store.open_db(tmp_path / "jns.db")
    config.seed_demo(d, {"101": "sip:101@127.0.0.1:5070"})   # agents 101, 102; DID 100
    return d


def files(db) -> dict[str, str]:
    return render.render_files(config.snapshot(db), render.Layout(ami_secret="x" * 16))


def section(text: str, name: str) -> str:
    """One [section] of an ini or dialplan file, up to the next one."""
    found = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert found, f"no [{name}]"
    return found.group(1)


def count(db) -> int:
    return db.execute("SELECT count(*) FROM conf_rooms").fetchone()[0]


@pytest.mark.parametrize("change, reason", [
    ({"number": "8"}, "room number: 2 to 8 digits"),
    ({"number": "80a"}, "room number: 2 to 8 digits"),
    ({"number": "700"}, "parking spaces"),
    ({"number": "720"}, "parking spaces"),
    ({"number": "101"}, "101 is an agent's extension"),
    ({"number": "100"}, "100 is a dialled number (DID) with a route"),
    ({"talker_pin": "12a4"}, "talker PIN: 4 to 12 digits"),
    ({"listener_pin": "123"}, "listener PIN: 4 to 12 digits"),
    ({"leader_pin": "1" * 13}, "leader PIN: 4 to 12 digits"),
    ({"leader_pin": "1111"}, "must differ from each other"),
    ({"talker_pin": ""}, "talker PIN: set it too"),
    ({"pin_tries": "0"}, "PIN tries: enter a whole number from 1 to 5"),
    ({"pin_tries": "three"}, "PIN tries: enter a whole number from 1 to 5"),
    ({"max_members": "1"}, "most participants"),
    ({"title": "Board\x1b[2J"}, "no control characters"),
    ({"title": "x" * 81}, "at most 80 characters"),
    ({"leader_pin": "", "wait_for_leader": "1"}, "set a leader PIN"),
])
def test_a_bad_room_is_refused_with_the_reason_and_nothing_is_saved(db, change, reason):
    with pytest.raises(StoreError, match=re.escape(reason)):
        conferences.save_room(db, {**ROOM, **change})
    assert count(db) == 0


def test_room_numbers_are_unique_and_a_room_keeps_its_own_number_when_changed(db):
    rid = conferences.save_room(db, ROOM, user="admin")
    with pytest.raises(StoreError, match="room 800 exists already"):
        conferences.save_room(db, {**ROOM, "title": "Twin"})
    conferences.save_room(db, {**ROOM, "title": "Board (new)", "record": "1"}, room_id=rid)
    saved = conferences.room(db, rid)
    assert (saved["title"], saved["record"], saved["pin_tries"], saved["created_by"]) == \
        ("Board (new)", 1, 2, "admin")
    assert count(db) == 1


def test_a_room_is_a_destination_and_cannot_be_lost_while_something_leads_into_it(db):
    with pytest.raises(StoreError, match="there is no conference room named '800'"):
        config.save_route(db, "300", "conference", "800")
    rid = conferences.save_room(db, ROOM)
    config.save_route(db, "300", "conference", "800")
    assert "conference" in config.ROUTE_ACTIONS and "conference" in config.IVR_ACTIONS
    with pytest.raises(StoreError, match="route 300 lead"):
        conferences.delete_room(db, rid)
    with pytest.raises(StoreError, match="cannot change the number of room 800"):
        conferences.save_room(db, {**ROOM, "number": "801"}, room_id=rid)
    assert conferences.room(db, rid)["number"] == "800"
    config.delete_route(db, "300")
    config.save_menu(db, "rooms", "hello-world", {"5": ("conference", "800")},
                     fallback=("hangup", ""))
    with pytest.raises(StoreError, match="menu rooms key 5"):
        conferences.delete_room(db, rid)
    config.delete_menu(db, "rooms")
    conferences.delete_room(db, rid)
    assert count(db) == 0


def test_rooms_reach_the_dialplan_pin_decides_the_role(db):
    conferences.save_room(db, ROOM)
    conferences.save_room(db, {"number": "801", "title": "Open room"})
    config.save_route(db, "300", "conference", "800")
    ext = files(db)["extensions.conf"]
    internal = section(ext, "from-internal")
    assert internal.index("include => jns-confroom") < internal.index("include => parkedcalls")
    assert "exten => 300,1,Goto(jns-confroom,800,1)" in section(ext, "jns-static-route")
    assert "exten => conference,1,Goto(jns-confroom,${JNS_TARGET},1)" in section(ext, "jns-route")
    room = section(ext, "jns-confroom")
    assert "Read(JNS_CONF_PIN,conf-getpin,12,,1," in room
    for pin, role in (("1111", "talker"), ("2222", "listener"), ("3333", "leader")):
        assert f'GotoIf($["${{JNS_CONF_PIN}}" = "{pin}"]?{role})' in room
        assert f"same => n({role}),Set(JNS_CONF_ROLE={role})" in room
    assert "GotoIf($[${JNS_CONF_TRIES} >= 2]?bad)" in room
    assert "UserEvent(JnsConf,Kind: badpin,Room: 800)" in room
    # the open room: no PIN asked, straight in as a talker
    open_room = room[room.index("exten => 801,"):]
    assert "Read(" not in open_room and "Goto(jns-conf-enter,801,1)" in open_room
    enter = section(ext, "jns-conf-enter")
    assert "ConfBridge(conf-800,jns-room-800,jns-room-800-${JNS_CONF_ROLE}," \
           "jns-room-800-${JNS_CONF_ROLE}-menu)" in enter
    assert "UserEvent(JnsConf,Kind: join,Room: 800,Role: ${JNS_CONF_ROLE})" in enter


def test_confbridge_profiles_listen_only_leader_voting_and_recording(db):
    conferences.save_room(db, {**ROOM, "record": "1", "wait_for_leader": "1"})
    conferences.save_room(db, {"number": "802", "voting": "1"})
    conf = files(db)["confbridge.conf"]
    assert "max_members = 20" in section(conf, "jns-operator")   # the operator's rooms stay
    assert "quiet = yes" in section(conf, "jns-member")
    bridge = section(conf, "jns-room-800")
    assert "max_members = 12" in bridge and "record_conference = yes" in bridge
    assert "record_file = /var/lib/jns/asterisk/spool/monitor/conference/800.wav" in bridge
    listener = section(conf, "jns-room-800-listener")
    assert "startmuted = yes" in listener and "wait_marked = yes" in listener
    assert "admin" not in listener
    assert "unmute" not in section(conf, "jns-room-800-listener-menu")
    assert "toggle_mute" not in section(conf, "jns-room-800-listener-menu")
    leader = section(conf, "jns-room-800-leader")
    assert "admin = yes" in leader and "marked = yes" in leader and "wait_marked" not in leader
    menu = section(conf, "jns-room-800-leader-menu")
    for action in ("admin_toggle_mute_participants", "admin_toggle_conference_lock",
                   "admin_kick_last"):
        assert action in menu
    assert "1 = toggle_mute" in section(conf, "jns-room-800-talker-menu")
    assert "talk_detection_events = yes" in section(conf, "jns-room-800-talker")
    voting = section(conf, "jns-room-802-talker-menu")
    assert "*1 = toggle_mute" in voting and "\n1 = toggle_mute" not in voting
    assert "9 = dialplan_exec(jns-conf-vote,9,1)" in voting
    assert "1 = dialplan_exec(jns-conf-vote,1,1)" in section(conf, "jns-room-802-listener-menu")
    assert "record_conference" not in section(conf, "jns-room-802")


def test_participants_from_confbridge_list():
    events = [
        {"Event": "ConfbridgeList", "Channel": "PJSIP/carrier-1", "CallerIDNum": "48600100200",
         "CallerIDName": "Caller", "Admin": "No", "Muted": "Yes", "Talking": "No",
         "AnsweredTime": "75"},
        {"Event": "ConfbridgeList", "Channel": "PJSIP/101-2", "CallerIDNum": "101",
         "CallerIDName": "<unknown>", "Admin": "Yes", "Muted": "No", "Talking": "Yes",
         "AnsweredTime": "x"},
        {"Event": "ConfbridgeList", "Channel": "PJSIP/carrier-3", "Muted": "Yes"},
        {"Event": "ConfbridgeListComplete"},
    ]
    rows = conferences.participants(events, {"PJSIP/carrier-3": "talker"})
    assert [(p["role"], p["muted"], p["talking"], p["joined_s"], p["name"]) for p in rows] == [
        ("listener", True, False, 75, "Caller"), ("leader", False, True, 0, ""),
        ("talker", True, False, 0, "")]


def test_recordings_of_a_room_newest_first(tmp_path):
    folder = tmp_path / "conference"
    folder.mkdir()
    for name in ("800-1700000000.wav", "800-1800000000.wav", "8000-1900000000.wav", "800-x.wav"):
        (folder / name).write_bytes(b"RIFF")
    assert [r["name"] for r in conferences.recordings(tmp_path, "800")] == \
        ["800-1800000000.wav", "800-1700000000.wav"]
    assert conferences.recordings(None, "800") == []

