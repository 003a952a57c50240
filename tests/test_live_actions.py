"""Call-control actions of the live call center (appliance.telephony.actions) on a real
Asterisk 22 with real SIPp phones: desk login and pauses, click to call, listen / whisper /
barge, transfer, hang up, park and conference.

Every assertion reads what a user would notice from Asterisk itself: queue membership
(QueueStatus), queue_log lines, the channels that exist (CoreShowChannels), parked calls
(ParkedCalls), conference rooms (ConfbridgeList), the CDR, and which SIPp phone answered.
One box for the whole module: each Asterisk start costs seconds.
"""
from __future__ import annotations

import time

import pytest

from appliance.devbox import DevBox, free_port
from appliance.store import config, live, users
from appliance.telephony import render
from appliance.telephony.actions import ActionError, Actions, normalise_number
from tests.conftest import require_rootfs
from tests.test_skeleton_call import cdr_rows, queue_log, wait_for

pytestmark = pytest.mark.asterisk

PW = "a-long-password"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """The demo box plus: 103 a supervisor's phone, 104 an agent who logs in at the desk
    (queue support), 105 a phone nobody answers (contact on a silent port), 106 a desk
    agent who keeps queue "waitq" staffed but paused (so callers wait there), 107 a phone
    that never registered; DID 200 -> queue waitq; a trunk to a SIPp "carrier"."""
    require_rootfs()
    ports = {ext: free_port() for ext in ("101", "102", "103", "104", "105", "106", "trunk")}
    contact = lambda ext: f"sip:{ext}@127.0.0.1:{ports[ext]}"  # noqa: E731
    b = DevBox(tmp_path_factory.mktemp("live") / "box",
               demo_agent_contacts={"101": contact("101"), "102": contact("102")})
    db = b.db
    config.add_agent(db, "103", "Supervisor Phone", contact=contact("103"), login=False)
    config.add_agent(db, "104", "Ola Desk", contact=contact("104"))
    config.add_agent(db, "105", "Nobody", contact=contact("105"), login=False)
    config.add_agent(db, "106", "Keeper", contact=contact("106"))
    config.add_agent(db, "107", "Unplugged", login=False)
    config.set_queue_members(db, "support", {"101": 0, "102": 0, "104": 3})
    config.save_queue(db, "sales", "Sales", members=["101"])
    config.save_queue(db, "waitq", "Waiting", members=["106"], max_wait=120,
                      announce_position=0, announce_holdtime=0)
    config.save_route(db, "200", "queue", "waitq")
    config.save_route(db, "201", "queue", "sales")
    config.add_trunk(db, "testtrunk", "127.0.0.1", port=ports["trunk"])
    users.create_user(db, "sup1", PW, "supervisor", agent="103")
    users.create_user(db, "sup2", PW, "supervisor", agent="105")
    users.create_user(db, "sup3", PW, "supervisor", agent="107")
    b.ports = ports
    # parked calls come back after 8 s here (PARK_TIMEOUT_S on the box)
    park_timeout, render.PARK_TIMEOUT_S = render.PARK_TIMEOUT_S, 8
    b.start()
    # a phone nobody answers rings 4 s here (30 s on the box) before "did not answer"
    b.actions = Actions(b.ami, str(b.db_path), ring_s=4)
    yield b
    b.stop()
    render.PARK_TIMEOUT_S = park_timeout


@pytest.fixture(autouse=True)
def clean_asterisk_log(request):
    """Whatever an action does, Asterisk must not complain about our dialplan or files."""
    yield
    if "box" not in request.fixturenames:
        return
    box = request.getfixturevalue("box")
    bad = [line for line in box.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


# -- reading Asterisk ---------------------------------------------------------------------

def members(box, queue: str) -> dict[str, dict]:
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Queue=queue)
    return {e.get("StateInterface") or e.get("Interface"): e for e in events
            if e.get("Event") == "QueueMember"}


def log_lines(box, event: str) -> list[list[str]]:
    return [e for e in queue_log(box) if len(e) > 4 and e[4] == event]


def channels(box) -> list[dict]:
    _, events = box.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
    return [e for e in events if e.get("Event") == "CoreShowChannel"]


def waiting(box, queue: str) -> list[str]:
    """Channels of the callers waiting in a queue, first come first."""
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Queue=queue)
    entries = [e for e in events if e.get("Event") == "QueueEntry"]
    return [e["Channel"] for e in sorted(entries, key=lambda e: int(e.get("Position", 0)))]


def parked(box) -> dict[str, str]:
    """{space: channel} of the parked calls."""
    _, events = box.ami.action_list("ParkedCalls", "ParkedCallsComplete")
    return {e["ParkingSpace"]: e.get("ParkeeChannel", "") for e in events
            if e.get("Event") == "ParkedCall"}


def in_room(box, room: str) -> set[str]:
    try:
        _, events = box.ami.action_list("ConfbridgeList", "ConfbridgeListComplete",
                                        Conference=room)
    except Exception:   # "No Conference by that name found": nobody in it
        return set()
    return {e["Channel"] for e in events if e.get("Event") == "ConfbridgeList"}


def audit_rows(box, action: str) -> list[dict]:
    return [r for r in live.audit_log(box.db) if r["action"] == action]


def caller(box, sipp, number: str = "48600100200"):
    """A caller on DID 200 (queue waitq) who stays until Asterisk hangs up."""
    return sipp.call_keys(box.layout.sip_port, "200", [(60000, "5")], caller=number,
                          wait=False, timeout_s=100)


@pytest.fixture
def staffed_waitq(box):
    """Queue waitq with its only agent logged in and paused: callers wait there."""
    box.actions.login("106", None, user="test")
    box.actions.pause("106", "break", user="test")
    yield
    box.actions.logout("106", user="test")


def gone(box, channel: str) -> bool:
    return not any(c["Channel"] == channel for c in channels(box))


# -- number normalisation (pure) ----------------------------------------------------------

def test_typed_numbers_become_dialable_or_are_refused_with_the_reason():
    exts = ["101", "102"]
    assert normalise_number(" 600-100 200 ", exts) == "+48600100200"
    assert normalise_number("(22) 123 45 67", exts) == "+48221234567"
    assert normalise_number("+49 30 1234567", exts) == "+49301234567"
    assert normalise_number("0049301234567", exts) == "0049301234567"
    assert normalise_number("48 600 100 200", exts) == "+48600100200"
    assert normalise_number("102", exts) == "102"
    assert normalise_number("701", exts) == "701"          # a parked call
    for bad, why in (("", "type the number"), ("600 1OO 2OO", "not a phone number"),
                     ("555", "no extension 555"), ("12345678", "not a number we can call"),
                     ("+4812", "too short")):
        with pytest.raises(ActionError, match=why):
            normalise_number(bad, exts)


# -- agent desk ---------------------------------------------------------------------------

def test_desk_login_pause_with_reason_unpause_and_logout(box):
    act = box.actions
    assert "PJSIP/104" not in members(box, "support")
    assert act.login("104", None, user="ola") == {"ok": True, "queues": ["support"]}
    member = members(box, "support")["PJSIP/104"]
    assert member["Name" if "Name" in member else "MemberName"] == "Ola Desk"
    assert member["Penalty"] == "3" and member["Membership"] == "dynamic"
    assert wait_for(lambda: [e for e in log_lines(box, "ADDMEMBER") if e[2] == "support"
                             and e[3] == "PJSIP/104"])   # log_membername_as_agent=no
    # logging in again is not an error and changes nothing
    act.login("104", ["support"], user="ola")
    assert len([e for e in log_lines(box, "ADDMEMBER") if e[3] == "PJSIP/104"]) == 1

    act.pause("104", "lunch", user="ola")
    member = members(box, "support")["PJSIP/104"]
    assert member["Paused"] == "1" and member["PausedReason"] == "lunch"
    assert wait_for(lambda: [e for e in log_lines(box, "PAUSE") if e[3] == "Ola Desk"
                             and e[5:6] == ["lunch"]]), queue_log(box)
    act.unpause("104", user="ola")
    assert members(box, "support")["PJSIP/104"]["Paused"] == "0"
    assert wait_for(lambda: [e for e in log_lines(box, "UNPAUSE") if e[3] == "Ola Desk"])

    assert act.logout("104", user="ola") == {"ok": True, "queues": ["support"]}
    assert "PJSIP/104" not in members(box, "support")
    assert wait_for(lambda: [e for e in log_lines(box, "REMOVEMEMBER") if e[3] == "PJSIP/104"])
    assert [r["action"] for r in live.audit_log(box.db)[:5]] == [
        "logout", "unpause", "pause", "login", "login"]


def test_desk_login_survives_an_asterisk_restart_and_ends_when_unassigned(box):
    act = box.actions
    act.login("104", None, user="ola")
    box.asterisk.stop()
    box.asterisk.start()
    box.asterisk.wait_fully_booted(timeout=60)
    assert wait_for(lambda: box.ami.connected and "PJSIP/104" in members(box, "support"),
                    timeout=30), "the desk login was lost with the restart"
    # the admin takes 104 out of queue support: the login there ends too
    config.set_queue_members(box.db, "support", {"101": 0, "102": 0})
    assert wait_for(lambda: box.applier.in_sync(box.db), timeout=20)
    try:
        assert act.drop_unassigned() == [("104", "support")]
        assert "PJSIP/104" not in members(box, "support")
        assert "PJSIP/101" in members(box, "support")           # static members stay
        assert act.drop_unassigned() == []
    finally:
        config.set_queue_members(box.db, "support", {"101": 0, "102": 0, "104": 3})
        assert wait_for(lambda: box.applier.in_sync(box.db), timeout=20)


def test_desk_refusals_say_why_and_change_nothing(box):
    act = box.actions
    with pytest.raises(ActionError, match="always logged in .* cannot log out"):
        act.logout("101", user="ola")
    assert "PJSIP/101" in members(box, "support")            # still answering calls
    with pytest.raises(ActionError, match="always logged in"):
        act.login("101", None, user="ola")
    with pytest.raises(ActionError, match="not assigned to queue 'sales'"):
        act.login("104", ["sales"], user="ola")
    assert "PJSIP/104" not in members(box, "sales") and "PJSIP/104" not in members(box, "support")
    with pytest.raises(ActionError, match="no agent with extension '999'"):
        act.login("999", None, user="ola")
    act.login("104", None, user="ola")
    try:
        with pytest.raises(ActionError, match="'coffee' is not a pause reason"):
            act.pause("104", "coffee", user="ola")
        assert members(box, "support")["PJSIP/104"]["Paused"] == "0"
    finally:
        act.logout("104", user="ola")
    with pytest.raises(ActionError, match="not logged in to any queue"):
        act.pause("104", "break", user="ola")
    refused = [r for r in live.audit_log(box.db) if r["result"] != "ok"]
    assert any("cannot log out" in r["result"] and r["target"] == "101" for r in refused)
    assert any("not a pause reason" in r["result"] for r in refused)


# -- click to call ------------------------------------------------------------------------

def test_click_to_call_rings_the_agent_then_the_colleague_showing_the_agent(box, sipp):
    # the colleague hangs up first (the agent's SIPp phone then gets Asterisk's BYE)
    sipp.agent(box.ports["104"], talk_ms=20000)
    colleague = sipp.agent(box.ports["102"], talk_ms=1500)
    time.sleep(0.3)
    assert box.actions.dial("104", "102", user="ola") == {"ok": True, "number": "102"}
    colleague.wait(timeout=30)
    assert colleague.returncode == 0, colleague.stderr.read()
    rows = wait_for(lambda: [r for r in cdr_rows(box) if r[5].startswith("PJSIP/104-")
                             and r[6].startswith("PJSIP/102-") and r[14] == "ANSWERED"])
    assert rows, cdr_rows(box)
    assert rows[0][1] == "104" and '"Ola Desk" <104>' in rows[0][4]   # 102 saw who called


def test_click_to_call_an_outside_number_goes_out_through_the_trunk(box, sipp):
    sipp.agent(box.ports["104"], talk_ms=20000)
    carrier = sipp.agent(box.ports["trunk"], talk_ms=1500)
    time.sleep(0.3)
    assert box.actions.dial("104", "600 100 200", user="ola")["number"] == "+48600100200"
    carrier.wait(timeout=30)
    assert carrier.returncode == 0, carrier.stderr.read()
    rows = wait_for(lambda: [r for r in cdr_rows(box) if r[5].startswith("PJSIP/104-")
                             and r[6].startswith("PJSIP/testtrunk-")])
    assert rows and rows[0][2] == "+48600100200" and rows[0][14] == "ANSWERED", cdr_rows(box)


def test_click_to_call_refusals(box):
    with pytest.raises(ActionError, match="not a phone number"):
        box.actions.dial("104", "call me", user="ola")
    with pytest.raises(ActionError, match=r"your phone \(extension 107\) is not registered"):
        box.actions.dial("107", "102", user="ola")
    # the phone has an address but nothing answers there
    with pytest.raises(ActionError, match=r"your phone \(extension 105\) did not answer: pick it up"):
        box.actions.dial("105", "102", user="ola")
    assert not [c for c in channels(box) if c["Channel"].startswith("PJSIP/102-")]


# -- supervision --------------------------------------------------------------------------

def test_supervisor_listens_whispers_and_barges_on_a_live_call_then_hangs_it_up(box, sipp):
    agent = sipp.agent(box.ports["101"], talk_ms=60000)
    supervisor = sipp.agent(box.ports["103"], talk_ms=60000, calls=3)
    time.sleep(0.3)
    cust = sipp.call_keys(box.layout.sip_port, "201", [(60000, "5")], wait=False, timeout_s=100)
    talking = wait_for(lambda: [c for c in channels(box) if c["Channel"].startswith("PJSIP/101-")
                                and c.get("BridgeId")], timeout=30)
    assert talking, channels(box)
    agent_channel = talking[0]["Channel"]
    for mode, letter in (("listen", ""), ("whisper", "w"), ("barge", "B")):
        assert box.actions.spy(live.phone_of(box.db, "sup1"), agent_channel, mode,
                               user="sup1", call="c1") == {"ok": True}
        spy = wait_for(lambda: [c for c in channels(box) if c["Channel"].startswith("PJSIP/103-")
                                and c.get("Application") == "ChanSpy"])
        assert spy, channels(box)
        assert spy[0]["ApplicationData"] == f"{agent_channel},qEu{letter}"
        assert spy[0]["CallerIDNum"] == "103"
        box.ami.action("Hangup", Channel=spy[0]["Channel"])    # the supervisor hangs up
        assert wait_for(lambda: gone(box, spy[0]["Channel"]))
    assert [(r["username"], r["channel"], r["result"]) for r in audit_rows(box, "barge")] == [
        ("sup1", agent_channel, "ok")]
    # the operator ends the call: every channel of it is gone
    customer = [c for c in channels(box) if c.get("BridgeId") == talking[0]["BridgeId"]
                and c["Channel"] != agent_channel][0]["Channel"]
    assert box.actions.hangup(customer, user="sup1", call="c1") == {"ok": True}
    assert wait_for(lambda: gone(box, customer) and gone(box, agent_channel))
    cust.wait(timeout=30)
    with pytest.raises(ActionError, match="just ended"):
        box.actions.hangup(customer, user="sup1", call="c1")


def test_spy_refused_without_a_reachable_phone_and_audited(box, sipp):
    sipp.agent(box.ports["101"], talk_ms=90000)
    time.sleep(0.3)
    cust = sipp.call_keys(box.layout.sip_port, "201", [(60000, "5")], wait=False, timeout_s=100)
    talking = wait_for(lambda: [c for c in channels(box) if c["Channel"].startswith("PJSIP/101-")
                                and c.get("BridgeId")], timeout=30)
    assert talking, channels(box)
    agent_channel = talking[0]["Channel"]
    with pytest.raises(ActionError, match="not linked to a phone"):
        box.actions.spy(live.phone_of(box.db, "admin-nobody"), agent_channel, "listen",
                        user="admin-nobody")
    with pytest.raises(ActionError, match=r"your phone \(extension 107\) is not registered"):
        box.actions.spy(live.phone_of(box.db, "sup3"), agent_channel, "listen", user="sup3")
    with pytest.raises(ActionError, match=r"your phone \(extension 105\) did not answer: pick it up"):
        box.actions.spy(live.phone_of(box.db, "sup2"), agent_channel, "whisper", user="sup2",
                        call="c9")
    assert not [c for c in channels(box) if c.get("Application") == "ChanSpy"]
    refused = {r["username"]: r for r in live.audit_log(box.db) if r["result"] != "ok"
               and r["action"] in ("listen", "whisper")}
    assert set(refused) >= {"admin-nobody", "sup3", "sup2"}
    assert refused["sup2"]["call"] == "c9" and refused["sup2"]["channel"] == agent_channel
    assert "extension 105" in refused["sup2"]["result"]
    box.actions.hangup(agent_channel, user="test")
    cust.wait(timeout=30)


# -- the operator -------------------------------------------------------------------------

def withdrawn_not_abandoned(box, before: dict[str, int], n: int) -> bool:
    """n more callers left queue waitq as WITHDRAW (the operator took them), none as ABANDON
    (which the reports would count as lost calls)."""
    return waitq_exits(box) == {"WITHDRAW": before["WITHDRAW"] + n,
                                "ABANDON": before["ABANDON"]}


def waitq_exits(box) -> dict[str, int]:
    return {ev: len([e for e in log_lines(box, ev) if e[2] == "waitq"])
            for ev in ("WITHDRAW", "ABANDON")}


def test_operator_transfers_a_waiting_caller_to_an_extension_that_answers(box, sipp,
                                                                         staffed_waitq):
    colleague = sipp.agent(box.ports["102"], talk_ms=1500)
    cust = caller(box, sipp)
    ch = wait_for(lambda: waiting(box, "waitq"), timeout=30)
    assert ch, channels(box)
    before = waitq_exits(box)
    with pytest.raises(ActionError, match="no extension '999'"):
        box.actions.transfer(ch[0], "extension", "999", user="op")
    assert waiting(box, "waitq") == ch                      # still waiting, nothing lost
    assert box.actions.transfer(ch[0], "extension", "102", user="op", call="c2") == {"ok": True}
    colleague.wait(timeout=30)
    assert colleague.returncode == 0                        # 102 answered the caller
    cust.wait(timeout=30)
    assert not waiting(box, "waitq")
    assert wait_for(lambda: withdrawn_not_abandoned(box, before, 1)), queue_log(box)[-5:]
    assert audit_rows(box, "transfer")[0]["target"] == "extension:102"


def test_operator_transfers_a_waiting_caller_to_another_queue(box, sipp, staffed_waitq):
    agent = sipp.agent(box.ports["101"], talk_ms=1500)
    cust = caller(box, sipp, "48600000009")
    ch = wait_for(lambda: waiting(box, "waitq"), timeout=30)
    assert ch
    with pytest.raises(ActionError, match="no queue 'nosuch'"):
        box.actions.transfer(ch[0], "queue", "nosuch", user="op")
    box.actions.transfer(ch[0], "queue", "sales", user="op")
    agent.wait(timeout=30)
    assert agent.returncode == 0                            # the sales agent took it
    cust.wait(timeout=30)
    assert [e for e in log_lines(box, "ENTERQUEUE") if e[2] == "sales" and e[6] == "48600000009"]


def test_operator_picks_up_a_waiting_caller_on_their_own_phone(box, sipp, staffed_waitq):
    own = sipp.agent(box.ports["103"], talk_ms=1500)
    cust = caller(box, sipp)
    ch = wait_for(lambda: waiting(box, "waitq"), timeout=30)
    assert ch
    with pytest.raises(ActionError, match="not linked to a phone"):
        box.actions.pickup(ch[0], live.phone_of(box.db, "nobody"), user="nobody")
    box.actions.pickup(ch[0], live.phone_of(box.db, "sup1"), user="sup1", call="c5")
    own.wait(timeout=30)
    assert own.returncode == 0                              # rang on 103 and was answered
    cust.wait(timeout=30)


def test_operator_parks_a_caller_and_the_parked_call_can_be_ended(box, sipp, staffed_waitq):
    cust = caller(box, sipp)
    ch = wait_for(lambda: waiting(box, "waitq"), timeout=30)
    assert ch
    before = waitq_exits(box)
    assert box.actions.park(ch[0], user="op", call="c3") == {"ok": True, "space": "701"}
    assert wait_for(lambda: parked(box)) == {"701": ch[0]}
    assert not waiting(box, "waitq")
    assert wait_for(lambda: withdrawn_not_abandoned(box, before, 1)), queue_log(box)[-5:]
    box.actions.hangup(ch[0], user="op")
    assert wait_for(lambda: not parked(box))
    cust.wait(timeout=30)


def test_a_parked_call_nobody_picks_up_comes_back_to_the_operator(box, sipp, staffed_waitq):
    operator = sipp.agent(box.ports["102"], talk_ms=1500)   # the demo's operator: queue support
    cust = caller(box, sipp, "48600000077")
    ch = wait_for(lambda: waiting(box, "waitq"), timeout=30)
    assert ch
    box.actions.park(ch[0], user="op")
    assert wait_for(lambda: parked(box)) == {"701": ch[0]}
    assert wait_for(lambda: [e for e in log_lines(box, "ENTERQUEUE") if e[2] == "support"
                             and e[6] == "48600000077"], timeout=30), queue_log(box)[-5:]
    operator.wait(timeout=30)
    assert operator.returncode == 0
    assert not parked(box)
    cust.wait(timeout=30)


def test_operator_parks_a_caller_who_talks_to_an_agent(box, sipp):
    sipp.agent(box.ports["101"], talk_ms=60000)
    cust = sipp.call_keys(box.layout.sip_port, "201", [(60000, "5")], wait=False, timeout_s=100)
    talking = wait_for(lambda: [c for c in channels(box) if c["Channel"].startswith("PJSIP/101-")
                                and c.get("BridgeId")], timeout=30)
    assert talking, channels(box)
    customer = [c for c in channels(box) if c.get("BridgeId") == talking[0]["BridgeId"]
                and c["Channel"] != talking[0]["Channel"]][0]["Channel"]
    assert box.actions.park(customer, user="op")["space"] == "701"
    assert wait_for(lambda: parked(box)) == {"701": customer}
    assert wait_for(lambda: gone(box, talking[0]["Channel"]))   # the agent is free again
    box.actions.hangup(customer, user="op")
    assert wait_for(lambda: not parked(box))
    cust.wait(timeout=30)


def test_operator_joins_two_callers_and_their_own_phone_in_a_conference(box, sipp,
                                                                       staffed_waitq):
    own = sipp.agent(box.ports["103"], talk_ms=60000)
    first, second = caller(box, sipp, "48600000001"), caller(box, sipp, "48600000002")
    chans = wait_for(lambda: len(waiting(box, "waitq")) == 2 and waiting(box, "waitq"), timeout=30)
    assert chans, channels(box)
    before = waitq_exits(box)
    with pytest.raises(ActionError, match="needs two calls"):
        box.actions.conference(chans[:1], phone=None, user="op")
    room = box.actions.conference(chans, phone="103", user="sup1")["room"]
    assert room == "op-1"
    members_now = wait_for(lambda: len(in_room(box, room)) == 3 and in_room(box, room))
    assert members_now, in_room(box, room)
    assert set(chans) < members_now and [c for c in members_now if c.startswith("PJSIP/103-")]
    assert not waiting(box, "waitq")
    assert wait_for(lambda: withdrawn_not_abandoned(box, before, 2)), queue_log(box)[-5:]
    for ch in in_room(box, room):
        box.ami.action("Hangup", Channel=ch)
    assert wait_for(lambda: not in_room(box, room))
    first.wait(timeout=30)
    second.wait(timeout=30)
