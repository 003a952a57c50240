"""Scheduled conferences and keypad polls on a real Asterisk 22 with SIPp members (CONF-3,
AUTO-2).

One scheduled conference, set a few seconds ahead, with four members (desk phones 201-204,
each a SIPp phone of its own): at the set time the caller (appliance.telephony.
conference_calls.ConferenceCaller, as jns-calld runs it) dials them; 201-203 answer and
press the confirm key, land in room 800 and press keys there to vote in the room's open
poll; 204 rings without answering and is called once more after retry_s.  The report
lists all four from the rows the caller wrote from Asterisk's own events.

One secure group call (AUTO-2) started at once in room 810 (PINs): a contact list's number
is called through the trunk and types the talker PIN; desk phone 205 types a wrong PIN
twice; 206 answers and presses nothing; a caller dials in from outside (DID 310) with the
listener PIN.  The report has all four with what became of each.
"""
from __future__ import annotations

import subprocess
import time

import pytest

from appliance.campaigns import lists
from appliance.devbox import DevBox, free_port
from appliance.store import config
from appliance.telephony import conference_calls as cc
from appliance.telephony.ami import AMIClient
from tests.conftest import Sipp, require_rootfs, require_sipp
from tests.test_skeleton_call import wait_for

pytestmark = pytest.mark.asterisk

MEMBERS = {"201": "Ala", "202": "Bob", "203": "Cezary", "204": "Dorota"}
SECURE_MEMBERS = {"205": "Edward", "206": "Filip"}


@pytest.fixture
def box(tmp_path):
    require_rootfs()
    require_sipp()
    ports = {ext: free_port() for ext in {**MEMBERS, **SECURE_MEMBERS}}
    b = DevBox(tmp_path / "box")
    for ext, name in {**MEMBERS, **SECURE_MEMBERS}.items():
        config.add_agent(b.db, ext, name, contact=f"sip:{ext}@127.0.0.1:{ports[ext]}",
                         dtmf_mode="auto", login=False)
    b.db.execute("INSERT INTO conf_rooms (number, title, voting, created_at) VALUES "
                 "('800', 'Board', 1, ?)", [time.time()])
    b.db.execute("INSERT INTO conf_rooms (number, title, talker_pin, listener_pin, pin_tries, "
                 "created_at) VALUES ('810', 'Drivers', '1111', '2222', 2, ?)", [time.time()])
    config.save_route(b.db, "310", "conference", "810")
    ports["carrier"] = free_port()
    config.add_trunk(b.db, "carrier", "127.0.0.1", port=ports["carrier"])
    b.ports = ports
    b.start()
    ami = AMIClient("127.0.0.1", b.layout.ami_port, b.layout.ami_user, b.layout.ami_secret,
                    name="conference-caller").start()
    assert ami.wait_connected(20)
    b.caller = cc.ConferenceCaller(b.db_path, ami).start()
    try:
        yield b
    finally:
        b.caller.stop()
        ami.close()
        bad = [line for line in b.log_text().splitlines()
               if " WARNING[" in line or " ERROR[" in line]
        b.stop()
    # the invitation and vote dialplan run without Asterisk complaining
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


def test_scheduled_conference_dials_members_at_its_time_retries_and_reports(box, tmp_path):
    db = box.db
    sipp = Sipp(tmp_path / "sipp")
    try:
        room = db.execute("SELECT id FROM conf_rooms WHERE number = '800'").fetchone()[0]
        poll = cc.open_poll(db, room, "Move the meeting to Friday?", 3, user="sup")
        # each phone answers, presses the confirm key 1 during the invitation, then votes
        # in the room; 202 changes its mind (the last key counts); 203 only listens in.
        # The votes come 7 s after the confirm key: a key pressed while ConfBridge still
        # plays its joining sounds is not a vote yet (a person presses it again)
        sipp.agent_keys(box.ports["201"], [(1500, "1"), (7000, "2")], end_ms=4000)
        sipp.agent_keys(box.ports["202"], [(1500, "1"), (7000, "3"), (1500, "1")], end_ms=3000)
        sipp.agent_keys(box.ports["203"], [(1500, "1")], end_ms=16000)
        noanswer = subprocess.Popen(
            [require_sipp(), "-sf", "agent_noanswer.xml", "-i", "127.0.0.1", "-p",
             str(box.ports["204"]), "-mp", str(free_port()), "-m", "2", "-nostdin",
             "-timeout", "120s", "-trace_err"],
            cwd=sipp.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sipp.procs.append(noanswer)

        starts_at = time.time() + 6
        sid = cc.save_schedule(db, None, room_id=room, title="Weekly board", starts_at=starts_at,
                               members="\n".join(f"{e};{n}" for e, n in MEMBERS.items()),
                               ring_s=10, retries=1, retry_s=10, confirm_key="1")
        time.sleep(3)
        assert db.execute("SELECT count(*) FROM conf_dials").fetchone()[0] == 0   # not yet

        def done():
            rows = {r["number"]: r for r in cc.meeting_report(db, meeting_id())} \
                if meeting_id() else {}
            ended = db.execute("SELECT ended_at FROM conf_meetings").fetchone()
            return rows if ended and ended[0] else None

        def meeting_id():
            row = db.execute("SELECT id FROM conf_meetings WHERE schedule_id = ?", [sid]).fetchone()
            return row[0] if row else None

        rows = wait_for(done, timeout=90, step=0.5)
        dials = [dict(r) for r in db.query("SELECT * FROM conf_dials ORDER BY id")]
        assert rows, (dials, list(db.query("SELECT * FROM conf_attendance")), box.caller.last_error)
        assert min(d["started_at"] for d in dials) >= starts_at     # dialled at the set time
        for ext in ("201", "202", "203"):
            r = rows[ext]
            assert (r["name"], r["outcome"], r["attempts"], r["how"]) == \
                (MEMBERS[ext], "joined", 1, "out"), r
            assert r["confirmed_at"] and r["joined_at"] and r["left_at"], r
            assert r["confirmed_at"] <= r["joined_at"] < r["left_at"]
            assert r["minutes"] > 0
        # 203 stayed longest: it was in the room after the other two had left
        assert rows["203"]["left_at"] > max(rows["201"]["left_at"], rows["202"]["left_at"])
        lost = rows["204"]
        assert (lost["outcome"], lost["attempts"], lost["joined_at"]) == ("noanswer", 2, None)
        tries = [d for d in dials if d["number"] == "204"]
        assert [d["attempt"] for d in tries] == [1, 2]
        assert tries[1]["started_at"] >= tries[0]["ended_at"] + 10   # after retry_s
        # Asterisk saw the room: its attendance is in the log with the members' numbers
        seen = {r["number"] for r in db.query("SELECT number FROM conf_attendance WHERE "
                                              "room_id = ? AND how = 'out'", [room])}
        assert seen == {"201", "202", "203"}
        result = cc.poll_results(db, poll)
        assert [(x["choice"], x["votes"]) for x in result["results"]] == [(1, 1), (2, 1), (3, 0)]
        votes = dict(db.execute("SELECT number, choice FROM conf_votes").fetchall())
        assert votes == {"201": 2, "202": 1}
        csv_text = cc.report_csv(list(rows.values()))
        assert "204,Dorota,talker,out,2,noanswer" in csv_text
    finally:
        sipp.stop()


def pin(keys: str, first_ms: int) -> list[tuple[int, str]]:
    return [(first_ms if i == 0 else 150, k) for i, k in enumerate(keys)]


def test_secure_group_call_with_a_list_wrong_pins_silence_and_a_dial_in(box, tmp_path):
    db = box.db
    sipp = Sipp(tmp_path / "sipp")
    try:
        room = db.execute("SELECT id FROM conf_rooms WHERE number = '810'").fetchone()[0]
        list_id = lists.create_list(db, "Drivers")
        lists.add_contact(db, list_id, "+48600100300", name="Kierowca Jan")
        # the driver (behind the trunk): confirm key 5, then the talker PIN
        sipp.agent_keys(box.ports["carrier"], [(1500, "5"), *pin("1111#", 2500)], end_ms=8000)
        # 205: confirm, then a wrong PIN twice (the room allows 2 tries)
        sipp.agent_keys(box.ports["205"], [(1500, "5"), *pin("9999#", 2500), *pin("8888#", 3000)],
                        end_ms=15000)
        # 206: answers and never presses a key
        sipp.agent_keys(box.ports["206"], [], end_ms=30000)
        sid = cc.save_schedule(db, None, room_id=room, kind="group", title="Drivers' call",
                               starts_at=time.time() + 3600, list_id=list_id,
                               members="205;Edward\n206;Filip", confirm_key="5",
                               require_pin=1, retries=0, ring_s=20)
        mid = cc.start_now(db, sid)
        # somebody dials in from outside with the listener PIN while the box calls out
        guest = sipp.call_keys(box.layout.sip_port, "310", pin("2222#", 3000),
                               caller="48221234567", timeout_s=60, wait=False)

        def settled():
            rows = {r["number"]: r for r in cc.meeting_report(db, mid)}
            dials = db.execute("SELECT count(*) FROM conf_dials WHERE meeting_id = ? AND "
                               "ended_at IS NULL AND outcome IS NULL", [mid]).fetchone()[0]
            ready = len(rows) == 4 and not dials and all(
                r["outcome"] not in (None, "calling") for r in rows.values())
            return rows if ready else None

        rows = wait_for(settled, timeout=60, step=0.5)
        assert rows, (list(db.query("SELECT * FROM conf_dials")),
                      list(db.query("SELECT * FROM conf_attendance")), box.caller.last_error)
        driver = rows["+48600100300"]
        assert (driver["name"], driver["outcome"], driver["how"]) == \
            ("Kierowca Jan", "joined", "out")
        assert driver["confirmed_at"] and driver["joined_at"]
        assert (rows["205"]["outcome"], rows["205"]["attempts"]) == ("wrong_pin", 1)
        assert rows["205"]["joined_at"] is None
        assert (rows["206"]["outcome"], rows["206"]["attempts"]) == ("declined", 1)
        caller = rows["48221234567"]
        assert (caller["how"], caller["role"], caller["attempts"]) == ("in", "listener", 0)
        assert caller["joined_at"] and caller["left_at"] is None      # still in the room
        # the dial-in guest hangs up: the meeting ends once the room is empty
        guest.kill()
        for e in box.ami.action_list("ConfbridgeList", "ConfbridgeListComplete",
                                     Conference="conf-810")[1]:
            if e.get("Event") == "ConfbridgeList":
                box.ami.action("Hangup", Channel=e["Channel"])
        ended = wait_for(lambda: db.execute("SELECT ended_at FROM conf_meetings WHERE id = ?",
                                            [mid]).fetchone()[0], timeout=30)
        assert ended
        rows = {r["number"]: r for r in cc.meeting_report(db, mid)}
        assert rows["48221234567"]["left_at"] and rows["+48600100300"]["left_at"]
    finally:
        sipp.stop()
