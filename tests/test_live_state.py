"""The live picture a supervisor sees, from AMI event sequences shaped as Asterisk 22 sends
them (field names and order copied from events recorded with the devbox and SIPp: a
carrier call to DID 100 that waits in queue "support" and is answered by agent 101).

Pure and fast: appliance.telephony.live.LiveState without sockets.
"""
from __future__ import annotations

import time

from appliance.telephony.live import LiveState

T0 = time.mktime((2026, 11, 26, 10, 0, 0, 0, 0, -1))   # a local morning
CALLER_UID, AGENT_UID = "1795677787.0", "1795677788.1"
CALLER_CH, AGENT_CH = "PJSIP/carrier-0-00000000", "PJSIP/101-00000001"


def chan(name, uid, linkedid, num, cname, context, exten, state="6", **extra):
    return {"Channel": name, "ChannelState": state, "ChannelStateDesc": "Up" if state == "6" else "Ring",
            "CallerIDNum": num, "CallerIDName": cname, "ConnectedLineNum": "<unknown>",
            "ConnectedLineName": "<unknown>", "Language": "pl", "AccountCode": "",
            "Context": context, "Exten": exten, "Priority": "1", "Uniqueid": uid,
            "Linkedid": linkedid, **extra}


def caller(event, **extra):
    return {"Event": event, **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200", "Caller",
                                   "jns-queue", "support", **extra)}


def dest(**extra):
    return {"DestChannel": AGENT_CH, "DestChannelState": "6", "DestCallerIDNum": "101",
            "DestCallerIDName": "Agent 101", "DestContext": "from-internal", "DestExten": "support",
            "DestUniqueid": AGENT_UID, "DestLinkedid": CALLER_UID, **extra}


def member(event, ext="101", *, status="1", paused="0", reason="", lastcall="0",
           membership="static", queue="support"):
    return {"Event": event, "Queue": queue, "MemberName": f"Agent {ext}",
            "Interface": f"PJSIP/{ext}", "StateInterface": f"PJSIP/{ext}",
            "Membership": membership, "Penalty": "0", "CallsTaken": "0", "LastCall": lastcall,
            "LastPause": "0", "LoginTime": str(int(T0 - 3600)), "InCall": "0", "Status": status,
            "Paused": paused, "PausedReason": reason, "Ringinuse": "0", "Wrapuptime": "0"}


def base_state(wrapup: int = 0) -> LiveState:
    st = LiveState()
    st.set_connected(True, T0 - 100)
    st.set_agents([{"ext": "101", "name": "Agent 101", "user": "anna", "static": True,
                    "assigned": ["support"], "last_login": None, "last_logout": None},
                   {"ext": "103", "name": "Agent 103", "user": None, "static": False,
                    "assigned": ["support"], "last_login": T0 - 86400, "last_logout": T0 - 80000}],
                  now=T0 - 100)
    st.set_queues([{"name": "support", "title": "Support", "sl_seconds": 20, "wrapup_time": wrapup}],
                  now=T0 - 100)
    st.apply(member("QueueMemberStatus"), T0 - 90)
    return st


def assert_nothing_missed(st: LiveState, now: float) -> None:
    """What the wallboards were sent (the model updates only what each event touches)
    is what a full rebuild at the same moment shows."""
    st._full = True
    assert st.tick(now) == []


def queued_call(st: LiveState) -> None:
    st.apply({"Event": "Newchannel", **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200",
                                            "Caller", "from-trunk", "100", state="4")}, T0)
    st.apply({"Event": "Newstate", **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200",
                                          "Caller", "jns-inbound", "100")}, T0 + 0.01)
    st.apply({**caller("QueueCallerJoin"), "Queue": "support", "Position": "1", "Count": "1"}, T0 + 1.5)


def agent_rings(st: LiveState) -> None:
    st.apply({"Event": "Newchannel", **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101",
                                            "from-internal", "s", state="0")}, T0 + 1.6)
    st.apply({**caller("AgentCalled"), **dest(), "Queue": "support", "Interface": "PJSIP/101",
              "MemberName": "Agent 101"}, T0 + 1.6)
    st.apply({**caller("DialBegin"), **dest(DestExten="s"), "DialString": "PJSIP/101"}, T0 + 1.6)
    st.apply({"Event": "Newstate", **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101",
                                          "from-internal", "support", state="5")}, T0 + 8)
    st.apply(member("QueueMemberStatus", status="6"), T0 + 8)


def agent_answers(st: LiveState, at: float = T0 + 9) -> None:
    st.apply({"Event": "Newstate", **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101",
                                          "from-internal", "support")}, at)
    st.apply({**caller("DialEnd"), **dest(), "DialStatus": "ANSWER"}, at)
    st.apply(member("QueueMemberStatus", status="2"), at)
    st.apply({**caller("QueueCallerLeave"), "Queue": "support", "Position": "1", "Count": "0"}, at)
    st.apply({**caller("AgentConnect"), **dest(), "Queue": "support", "Interface": "PJSIP/101",
              "MemberName": "Agent 101", "HoldTime": str(int(at - T0 - 1.5)), "RingTime": "7"}, at)
    bridge = {"BridgeUniqueid": "b1", "BridgeType": "basic", "BridgeTechnology": "simple_bridge",
              "BridgeCreator": "<unknown>", "BridgeName": "<unknown>", "BridgeVideoSourceMode": "none"}
    st.apply({"Event": "BridgeEnter", **bridge, "BridgeNumChannels": "1",
              **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101", "from-internal", "support")}, at)
    st.apply({**caller("BridgeEnter"), **bridge, "BridgeNumChannels": "2"}, at)


def hang_up(st: LiveState, at: float, talk: int) -> None:
    st.apply({**caller("AgentComplete"), **dest(), "Queue": "support", "Interface": "PJSIP/101",
              "MemberName": "Agent 101", "HoldTime": "7", "TalkTime": str(talk), "Reason": "agent"}, at)
    for uid, ch in ((AGENT_UID, AGENT_CH), (CALLER_UID, CALLER_CH)):
        st.apply({"Event": "BridgeLeave", "BridgeUniqueid": "b1", "Channel": ch, "Uniqueid": uid,
                  "Linkedid": CALLER_UID}, at)
    st.apply({"Event": "Hangup", **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101",
                                        "from-internal", "support"), "Cause": "16"}, at)
    st.apply(member("QueueMemberStatus", status="1", lastcall=str(int(at))), at)
    st.apply({"Event": "Hangup", **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200", "Caller",
                                        "jns-queue", "support"), "Cause": "16"}, at)


def test_a_waiting_caller_shows_with_number_did_and_the_time_it_joined_the_queue():
    st = base_state()
    queued_call(st)
    snap = st.snapshot(T0 + 5)
    call = snap["calls"][CALLER_UID]
    assert call["caller"] == "48600100200" and call["did"] == "100"
    assert call["direction"] == "in" and call["state"] == "queued"
    assert call["queue"] == "support" and call["queued_at"] == T0 + 1.5 and call["started"] == T0
    assert call["position"] == 1 and call["answered_at"] is None and call["agent"] is None
    q = snap["queues"]["support"]
    assert q["waiting"] == 1 and q["callers"] == [CALLER_UID] and q["longest_wait_since"] == T0 + 1.5
    assert q["title"] == "Support" and q["logged_in"] == 1 and q["free"] == 1


def test_the_agent_rings_then_answers_and_the_call_is_talking_with_that_agent():
    st = base_state()
    queued_call(st)
    agent_rings(st)
    assert st.snapshot(T0 + 8)["agents"]["101"]["state"] == "ringing"
    assert st.snapshot(T0 + 8)["queues"]["support"]["busy"] == 1
    agent_answers(st)
    assert_nothing_missed(st, T0 + 9)
    snap = st.snapshot(T0 + 12)
    call = snap["calls"][CALLER_UID]
    assert call["state"] == "talking" and call["agent"] == "101" and call["answered_at"] == T0 + 9
    assert call["agent_channel"] == AGENT_CH and call["caller_channel"] == CALLER_CH
    agent = snap["agents"]["101"]
    assert agent["state"] == "on_call" and agent["call"] == CALLER_UID and agent["state_since"] == T0 + 9
    q = snap["queues"]["support"]
    assert q["waiting"] == 0 and q["callers"] == [] and q["busy"] == 1 and q["free"] == 0
    assert q["answered_today"] == 1 and q["service_level_today"] == 100.0


def test_changes_name_what_moved_and_gone_is_none():
    st = base_state()
    queued_call(st)
    agent_rings(st)
    agent_answers(st)
    changes = []
    seq0 = st.seq
    original = st.apply
    st.apply = lambda ev, now: changes.extend(original(ev, now)) or changes
    hang_up(st, T0 + 30, talk=21)
    assert st.seq == seq0 + len(changes)
    assert ("call", CALLER_UID, None) in changes
    agent_changes = [c for c in changes if c[0] == "agent" and c[1] == "101"]
    assert agent_changes[-1][2]["state"] == "ready" and agent_changes[-1][2]["call"] is None


def test_after_hangup_the_call_is_gone_and_today_counts_it():
    st = base_state()
    queued_call(st)
    agent_rings(st)
    agent_answers(st)
    hang_up(st, T0 + 30, talk=21)
    assert_nothing_missed(st, T0 + 30)
    snap = st.snapshot(T0 + 31)
    assert snap["calls"] == {}
    assert snap["agents"]["101"]["today"]["answered"] == 1
    assert snap["agents"]["101"]["today"]["talk_s"] == 21
    assert snap["queues"]["support"]["answered_today"] == 1


def test_wrap_up_then_ready_when_the_queue_has_wrap_up_time():
    st = base_state(wrapup=10)
    queued_call(st)
    agent_rings(st)
    agent_answers(st)
    hang_up(st, T0 + 30, talk=21)
    assert st.snapshot(T0 + 31)["agents"]["101"]["state"] == "wrap_up"
    assert st.snapshot(T0 + 31)["queues"]["support"]["free"] == 0
    changes = st.tick(T0 + 41)
    assert [c[2]["state"] for c in changes if c[0] == "agent"] == ["ready"]
    assert st.snapshot(T0 + 41)["agents"]["101"]["state_since"] == T0 + 41


def test_a_desk_login_pause_with_reason_and_logout():
    st = base_state()
    assert st.snapshot(T0)["agents"]["103"]["state"] == "logged_out"
    st.apply(member("QueueMemberAdded", "103", membership="dynamic"), T0 + 1)
    snap = st.snapshot(T0 + 1)
    a = snap["agents"]["103"]
    assert a["state"] == "ready" and a["queues"] == ["support"] and a["last_login"] == T0 + 1
    assert snap["queues"]["support"]["logged_in"] == 2 and snap["queues"]["support"]["free"] == 2
    st.apply(member("QueueMemberPause", "103", membership="dynamic", paused="1", reason="lunch"), T0 + 5)
    a = st.snapshot(T0 + 6)["agents"]["103"]
    assert a["state"] == "paused" and a["paused"] and a["pause_reason"] == "lunch"
    assert a["paused_since"] == T0 + 5
    assert st.snapshot(T0 + 6)["queues"]["support"]["paused"] == 1
    st.apply(member("QueueMemberPause", "103", membership="dynamic"), T0 + 65)
    a = st.snapshot(T0 + 66)["agents"]["103"]
    assert a["state"] == "ready" and a["today"]["pause_s"] == 60 and a["pause_reason"] == ""
    st.apply(member("QueueMemberRemoved", "103", membership="dynamic"), T0 + 70)
    assert_nothing_missed(st, T0 + 70)
    a = st.snapshot(T0 + 70)["agents"]["103"]
    assert a["state"] == "logged_out" and a["queues"] == [] and a["last_logout"] == T0 + 70
    assert st.snapshot(T0 + 70)["queues"]["support"]["logged_in"] == 1


def test_an_abandoned_caller_is_counted_and_lowers_the_service_level():
    st = base_state()
    queued_call(st)
    st.apply({**caller("QueueCallerAbandon"), "Queue": "support", "Position": "1",
              "OriginalPosition": "1", "HoldTime": "12"}, T0 + 14)
    st.apply({**caller("QueueCallerLeave"), "Queue": "support", "Position": "1", "Count": "0"}, T0 + 14)
    st.apply({"Event": "Hangup", **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200", "Caller",
                                        "jns-queue", "support"), "Cause": "16"}, T0 + 14)
    assert_nothing_missed(st, T0 + 14)
    q = st.snapshot(T0 + 15)["queues"]["support"]
    assert q["abandoned_today"] == 1 and q["waiting"] == 0 and q["service_level_today"] == 0.0


def test_queue_log_gives_todays_numbers_once_even_when_ami_reported_them_too():
    st = base_state()
    queued_call(st)
    agent_rings(st)
    agent_answers(st, at=T0 + 40)          # waited 38 s: outside the 20 s service level
    hang_up(st, T0 + 60, talk=20)
    yesterday = T0 - 86400
    lines = [f"{yesterday:.0f}|1.1|support|Agent 101|CONNECT|3|1.2|2",
             f"{T0 + 1.5:.3f}|{CALLER_UID}|support|NONE|ENTERQUEUE||48600100200|1",
             f"{T0 + 40:.3f}|{CALLER_UID}|support|Agent 101|CONNECT|38|{AGENT_UID}|7",
             f"{T0 + 60:.3f}|{CALLER_UID}|support|Agent 101|COMPLETEAGENT|38|20|1",
             f"{T0 + 61:.3f}|9.1|support|Agent 101|CONNECT|5|9.2|2",
             f"{T0 + 70:.3f}|9.1|support|Agent 101|COMPLETECALLER|5|30|1",
             f"{T0 + 80:.3f}|9.3|support|NONE|EXITWITHTIMEOUT|1|1|300",
             f"{T0 + 90:.3f}|NONE|support|Agent 101|PAUSE|break",
             f"{T0 + 150:.3f}|NONE|support|Agent 101|UNPAUSE|"]
    st.load_queue_log(lines, T0 + 200)
    snap = st.snapshot(T0 + 200)
    q = snap["queues"]["support"]
    assert q["answered_today"] == 2 and q["abandoned_today"] == 1
    assert q["service_level_today"] == round(100 * 1 / 3, 1)
    t = snap["agents"]["101"]["today"]
    assert t == {"answered": 2, "talk_s": 50, "outbound": 0, "pause_s": 60}


def test_a_rebuild_after_reconnect_keeps_the_waiting_caller_and_drops_what_is_gone():
    st = base_state()
    queued_call(st)
    other = "1795677700.5"
    st.apply({"Event": "Newchannel", **chan("PJSIP/carrier-0-0000000a", other, other, "48500",
                                            "Gone", "from-trunk", "100")}, T0)
    assert set(st.snapshot(T0 + 1)["calls"]) == {CALLER_UID, other}
    st.set_connected(False, T0 + 2)
    down = st.snapshot(T0 + 3)
    assert down["asterisk"]["connected"] is False and down["calls"] == {}
    assert down["queues"]["support"]["waiting"] == 0 and down["agents"]["101"]["queues"] == []
    st.set_connected(True, T0 + 10)
    queue_status = [
        {"Event": "QueueParams", "Queue": "support", "Max": "0", "Strategy": "rrmemory", "Calls": "1"},
        {"Event": "QueueMember", "Queue": "support", "Name": "Agent 101", "Location": "PJSIP/101",
         "StateInterface": "PJSIP/101", "Membership": "static", "Penalty": "0", "CallsTaken": "0",
         "LastCall": "0", "LastPause": "0", "LoginTime": str(int(T0 + 9)), "InCall": "0",
         "Status": "1", "Paused": "0", "PausedReason": "", "Wrapuptime": "0"},
        {"Event": "QueueEntry", "Queue": "support", "Position": "1", "Channel": CALLER_CH,
         "Uniqueid": CALLER_UID, "CallerIDNum": "48600100200", "CallerIDName": "Caller",
         "ConnectedLineNum": "101", "ConnectedLineName": "Agent 101", "Wait": "9", "Priority": "0"}]
    channels = [{"Event": "CoreShowChannel", **chan(CALLER_CH, CALLER_UID, CALLER_UID, "48600100200",
                                                     "Caller", "jns-queue", "support"),
                 "Application": "Queue", "ApplicationData": "support,t,,,300,,jns-agent-leg",
                 "Duration": "00:00:11", "BridgeId": ""}]
    changes = st.load_status(queue_status, channels, T0 + 11, dids={CALLER_UID: "100"})
    snap = st.snapshot(T0 + 11)
    assert set(snap["calls"]) == {CALLER_UID}
    call = snap["calls"][CALLER_UID]
    assert call["state"] == "queued" and call["queued_at"] == T0 + 2 and call["did"] == "100"
    assert call["started"] == T0
    assert snap["queues"]["support"]["callers"] == [CALLER_UID]
    assert snap["agents"]["101"]["state"] == "ready"
    assert ("call", CALLER_UID, call) in changes


def test_an_agents_call_to_an_outside_number_counts_as_outbound_for_the_agent_and_queue():
    st = base_state()
    agent, trunk, lid = "PJSIP/101-00000010", "PJSIP/carrier-0-00000011", "1795678000.16"
    st.apply({"Event": "Newchannel", **chan(agent, lid, lid, "101", "Agent 101", "from-internal",
                                            "0048500600700", state="4")}, T0)
    st.apply({"Event": "Newchannel", **chan(trunk, "1795678000.17", lid, "48500600700", "",
                                            "from-trunk", "s", state="0")}, T0 + 0.1)
    st.apply({"Event": "DialBegin", **chan(agent, lid, lid, "101", "Agent 101", "jns-outbound",
                                           "48500600700"),
              "DestChannel": trunk, "DestUniqueid": "1795678000.17", "DestLinkedid": lid,
              "DialString": "48500600700@carrier"}, T0 + 0.1)
    dialing = st.snapshot(T0 + 1)
    call = dialing["calls"][lid]
    assert call["direction"] == "out" and call["state"] == "dialing"
    assert call["caller"] == "48500600700" and call["did"] is None
    assert call["agent"] == "101" and call["agent_channel"] == agent and call["caller_channel"] == trunk
    assert dialing["agents"]["101"]["state"] == "on_call"
    st.apply({"Event": "Newstate", **chan(trunk, "1795678000.17", lid, "48500600700", "",
                                          "from-trunk", "s")}, T0 + 5)
    for ch, uid, n in ((agent, lid, "1"), (trunk, "1795678000.17", "2")):
        st.apply({"Event": "BridgeEnter", "BridgeUniqueid": "b9", "BridgeNumChannels": n,
                  **chan(ch, uid, lid, "x", "", "jns-outbound", "s")}, T0 + 5)
    assert_nothing_missed(st, T0 + 5)
    talking = st.snapshot(T0 + 6)
    assert talking["calls"][lid]["state"] == "talking" and talking["calls"][lid]["answered_at"] == T0 + 5
    assert talking["agents"]["101"]["today"]["outbound"] == 1
    assert talking["queues"]["support"]["outbound_today"] == 1
    assert talking["queues"]["support"]["answered_today"] == 0


def test_a_parked_call_shows_its_space_and_a_conference_its_room():
    st = base_state()
    queued_call(st)
    agent_rings(st)
    agent_answers(st)
    parkee = {"ParkeeChannel": CALLER_CH, "ParkeeChannelState": "6", "ParkeeCallerIDNum": "48600100200",
              "ParkeeUniqueid": CALLER_UID, "ParkeeLinkedid": CALLER_UID, "Parkinglot": "default",
              "ParkerDialString": "PJSIP/101", "ParkingTimeout": "45", "ParkingDuration": "0"}
    st.apply({"Event": "ParkedCall", **parkee, "ParkingSpace": "701"}, T0 + 20)
    st.apply({"Event": "Hangup", **chan(AGENT_CH, AGENT_UID, CALLER_UID, "101", "Agent 101",
                                        "from-internal", "support"), "Cause": "16"}, T0 + 20)
    call = st.snapshot(T0 + 21)["calls"][CALLER_UID]
    assert call["state"] == "parked" and call["parked_at"] == "701"
    assert st.snapshot(T0 + 21)["agents"]["101"]["call"] is None
    st.apply({"Event": "UnParkedCall", **parkee, "ParkingSpace": "701"}, T0 + 30)
    st.apply({**caller("ConfbridgeJoin"), "Conference": "op-1", "BridgeUniqueid": "c1",
              "Admin": "No", "Muted": "No"}, T0 + 31)
    assert_nothing_missed(st, T0 + 31)
    call = st.snapshot(T0 + 32)["calls"][CALLER_UID]
    assert call["state"] == "conference" and call["conference"] == "op-1" and call["parked_at"] is None


def test_queue_log_of_today_is_found_in_a_long_file(tmp_path):
    from appliance.telephony.calld import read_queue_log_today
    path = tmp_path / "queue_log"
    days = [T0 - 2 * 86400, T0 - 86400, T0]
    lines = [f"{day + i:.3f}|{i}.1|support|Agent 101|CONNECT|{i % 40}|{i}.2|3"
             for day in days for i in range(3000)]
    path.write_text("\n".join(lines) + "\n")
    today = read_queue_log_today(path, T0 + 5000)
    midnight = time.mktime(time.localtime(T0)[:3] + (0, 0, 0, 0, 0, -1))
    assert today == [line for line in lines if float(line.split("|")[0]) >= midnight]
    assert len(today) == 3000 and read_queue_log_today(tmp_path / "none", T0) == []


def test_a_queue_timeout_from_queue_log_counts_once_as_unanswered():
    st = base_state()
    queued_call(st)
    st.apply({**caller("QueueCallerLeave"), "Queue": "support", "Position": "1", "Count": "0"}, T0 + 300)
    assert st.snapshot(T0 + 300)["queues"]["support"]["abandoned_today"] == 0   # AMI cannot tell
    line = f"{T0 + 300:.3f}|{CALLER_UID}|support|NONE|EXITWITHTIMEOUT|1|1|298"
    changes = st.add_queue_log([line], T0 + 301)
    assert [c[2]["abandoned_today"] for c in changes if c[0] == "queue"] == [1]
    assert st.add_queue_log([line], T0 + 302) == []          # the same line again: no change
    st.load_queue_log([line], T0 + 303)
    assert st.snapshot(T0 + 303)["queues"]["support"]["abandoned_today"] == 1


def test_outside_calls_of_today_are_read_back_from_the_cdr_and_counted_once(tmp_path):
    from appliance.telephony.calld import outbound_from_cdr
    day = time.strftime("%Y-%m-%d", time.localtime(T0))
    yesterday = time.strftime("%Y-%m-%d", time.localtime(T0 - 86400))
    row = ('"","102","48221234567","jns-outbound","""Agent 102"" <102>","PJSIP/102-00000000",'
           '"PJSIP/carrier-00000001","Dial","PJSIP/48221234567@carrier,60","{d} 09:54:38",'
           '"{d} 09:54:38","{d} 09:54:41",3,3,"ANSWERED","DOCUMENTATION","{uid}","&rec=x.wav"')
    inbound = ('"","48600","100","jns-queue","""Caller"" <48600>","PJSIP/carrier-0-00000002",'
               '"PJSIP/101-00000003","Queue","support","{d} 09:00:00","{d} 09:00:05",'
               '"{d} 09:01:00",60,55,"ANSWERED","DOCUMENTATION","1795.9","did=100"')
    path = tmp_path / "Master.csv"
    path.write_text("\n".join([row.format(d=yesterday, uid="1795.1"), row.format(d=day, uid="1795.2"),
                               inbound.format(d=day)]) + "\n")
    found = outbound_from_cdr(path, T0)
    assert found == {"102": {"1795.2"}}
    st = base_state()
    st.apply(member("QueueMemberStatus", "102"), T0)
    st.add_outbound(found, T0 + 1)
    st.add_outbound(found, T0 + 2)
    snap = st.snapshot(T0 + 2)
    assert snap["agents"]["102"]["today"]["outbound"] == 1
    assert snap["queues"]["support"]["outbound_today"] == 1
