"""The campaign dialer on a real Asterisk 22, with SIPp agents and SIPp callees behind the
trunk (tests/sipp/callee.xml: what a callee does depends on the number dialled).

One box for the module; the campaigns run at the same time, each on its own agent group:
    outcomes  (qa, 3 agents)  answer, busy, no answer, 404 and 484: outcomes, retries, the
              contacts' end states, and Asterisk's CDR agrees on every call dialled
    steady    (qb, 2 agents)  progressive: never more calls up than free agents
    nobody    (qc, desk agent) nothing dialled until the agent logs in; logging out
              withdraws the call still ringing
    message   (qd, 1 agent paused while the callee rings) the identification message
              reaches the callee within 2 s of its answer (timed on the callee's side)
    preview   (qe, 1 agent)   an agent-first call: the agent's phone, then the customer
    amd       (qf, 1 agent)   answering-machine detection: a machine's long greeting is hung
              up on and retried by its own rule, a person's short hello goes to the agent
    predictive (qg, 2 agents) more lines than free agents; every answer meets an agent or
              the identification message; the abandon rate the panel shows
The outcomes campaign starts with the module (its no-answer calls ring 15 s, the legal
minimum) and is checked last.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from appliance.campaigns import campaigns, desk, lists, pacer, report
from appliance.campaigns.dialer import Dialer
from appliance.devbox import DevBox, free_port
from appliance.store import config, users
from appliance.store.db import get_setting
from appliance.telephony.actions import Actions
from appliance.telephony.ami import AMIClient
from tests.conftest import Sipp, require_rootfs, require_sipp
from tests.test_skeleton_call import wait_for
from tests.test_webui import ADMIN_PW

pytestmark = pytest.mark.asterisk

AGENT_TALK_MS = 2000
# callee.xml: 4850K......, K = 1 answer, 2 busy, 3 no answer, 4 404, 5 484, 6 measured answer,
# 7 answering machine (long greeting), 8 a person (short hello), 9 rings 1 s then 480
(ANSWER, BUSY, NOANSWER, NOTFOUND, INCOMPLETE, MEASURED, MACHINE, HUMAN,
 UNAVAILABLE) = (f"+4850{k}" for k in range(1, 10))
STATIC_AGENTS = {"111": "qa", "112": "qa", "113": "qa", "121": "qb", "122": "qb",
                 "141": "qd", "151": "qe", "171": "qf", "181": "qg", "182": "qg"}
DESK_AGENT = "131"          # qc: logs in at the desk


@dataclass
class Watch:
    """Asterisk's own account of the campaign channels (a separate AMI session):
    uniqueid -> [channel, linkedid, created, hung up]; and the dialplan's JnsCampaign
    UserEvents as (campaign_calls id, kind)."""
    channels: dict[str, list] = field(default_factory=dict)
    facts: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, ev: dict) -> None:
        name, uid = ev.get("Event"), ev.get("Uniqueid", "")
        with self.lock:
            if name == "UserEvent" and ev.get("UserEvent") == "JnsCampaign":
                self.facts.append((ev.get("Call", ""), ev.get("Kind", "")))
            elif name == "Newchannel":
                self.channels[uid] = [ev.get("Channel", ""), ev.get("Linkedid", ""),
                                      time.time(), None]
            elif name == "Hangup" and uid in self.channels:
                self.channels[uid][3] = time.time()


@dataclass
class Env:
    box: DevBox
    sipp: Sipp
    dialer: Dialer
    watch: Watch
    rtp: socket.socket
    callee_dir: Path
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def db(self):
        return self.box.db

    def calls(self, name: str) -> list[dict]:
        return [dict(r) for r in self.db.query(
            "SELECT * FROM campaign_calls WHERE campaign_id = ? ORDER BY id", [self.ids[name]])]

    def contacts(self, name: str) -> dict[str, dict]:
        return {r["phone"]: dict(r) for r in self.db.query(
            "SELECT c.phone, cc.* FROM campaign_contacts cc JOIN contacts c "
            "ON c.id = cc.contact_id WHERE cc.campaign_id = ?", [self.ids[name]])}

    def status(self, name: str) -> dict:
        import json
        return json.loads(get_setting(self.db, "dialer_status") or "{}").get(
            "campaigns", {}).get(str(self.ids[name]), {})


def make_campaign(db, name: str, queue: str, phones: list[str], **kw) -> int:
    list_id = lists.create_list(db, f"{name} list")
    for phone in phones:
        lists.add_contact(db, list_id, phone, name=f"Contact {phone[-3:]}")
    options = dict(mode="progressive", ring_s=15, window_start="00:00", window_end="23:59",
                   weekdays="1234567", caller_id="221234567", retry_noanswer_s=1,
                   retry_busy_s=1, retry_failed_s=1, max_attempts=2)
    options.update(kw)
    return campaigns.save_campaign(db, name, user="test", queue=queue, lists=[list_id],
                                   **options)


def start(db, campaign_id: int) -> None:
    campaigns.set_status(db, campaign_id, "running", "test")


def dispose(db, calls: list[dict], code: str = "interested", **kw) -> None:
    """The supervisor sets the disposition of connected calls (a campaign waits for them)."""
    if not db.execute("SELECT 1 FROM users WHERE username = 'sup1'").fetchone():
        users.create_user(db, "sup1", ADMIN_PW, "supervisor")
    for call in calls:
        if call["outcome"] == "connected":
            desk.set_disposition(db, call["id"], code, user="sup1", **kw)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    require_rootfs()
    require_sipp()
    tmp = tmp_path_factory.mktemp("dialer")
    agents_port, carrier_port = free_port(), free_port()
    box = DevBox(tmp / "box")
    db = box.db
    queues: dict[str, list[str]] = {}
    for ext, queue in [*STATIC_AGENTS.items(), (DESK_AGENT, "qc")]:
        # every agent's phone is the same SIPp UAS (one process answers them all)
        config.add_agent(db, ext, f"Agent {ext}", contact=f"sip:{ext}@127.0.0.1:{agents_port}",
                         login=ext == DESK_AGENT)
        queues.setdefault(queue, []).append(ext)
    for queue, members in sorted(queues.items()):
        config.save_queue(db, queue, queue.upper(), members=members, member_timeout=5)
    config.add_trunk(db, "carrier", "127.0.0.2", port=carrier_port)
    box.start()
    sipp = Sipp(tmp / "sipp")
    # the person of callee.xml (8): half a second of "hello", then silence
    subprocess.run(["sox", "-D", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "al",
                    str(sipp.dir / "hello.al"), "synth", "0.5", "sine", "440", "pad", "0", "5.5"],
                   check=True)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.2", 0))
    procs = []
    for args in (["-sf", "agent.xml", "-i", "127.0.0.1", "-p", str(agents_port),
                  "-d", str(AGENT_TALK_MS)],
                 ["-sf", "callee.xml", "-i", "127.0.0.2", "-p", str(carrier_port),
                  "-key", "rtp_port", str(rtp.getsockname()[1])]):
        proc = subprocess.Popen([require_sipp(), *args, "-mp", str(free_port()), "-nostdin",
                                 "-timeout", "600s", "-trace_err"], cwd=sipp.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sipp.procs.append(proc)
        procs.append(proc)
    watch = Watch()
    watcher = AMIClient("127.0.0.1", box.layout.ami_port, box.layout.ami_user,
                        box.layout.ami_secret, name="testwatch").start()
    watcher.on_event("Newchannel", watch.on_event)
    watcher.on_event("Hangup", watch.on_event)
    watcher.on_event("UserEvent", watch.on_event)
    assert watcher.wait_connected(20)
    # only what it follows: behind the dialplan's flood of events (pyst2 reads them one line
    # at a time) its account of the channels lagged the calls by seconds
    watcher.action("Events", EventMask="call,user")
    dialer = box.start_dialer()
    e = Env(box, sipp, dialer, watch, rtp, sipp.dir)
    # the outcomes campaign runs while the other tests do (checked last)
    e.ids["outcomes"] = make_campaign(
        db, "outcomes", "qa", [ANSWER + "000001", BUSY + "000001", NOANSWER + "000001",
                               NOTFOUND + "000001", INCOMPLETE + "000001"])
    start(db, e.ids["outcomes"])
    try:
        yield e
    finally:
        e.dialer.stop()
        e.dialer.ami.close()
        watcher.close()
        sipp.stop()
        rtp.close()
        box.stop()


def max_overlap(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


# -- (c) no agent, no calls ----------------------------------------------------------------

def test_nothing_is_dialled_without_an_agent_and_logging_out_withdraws_ringing_calls(env):
    env.ids["nobody"] = make_campaign(env.db, "nobody", "qc",
                                      [NOANSWER + f"00020{i}" for i in range(3)])
    start(env.db, env.ids["nobody"])
    time.sleep(3)
    assert env.calls("nobody") == []
    assert env.status("nobody")["idle_reason"] == "no_agents"

    actions = Actions(env.box.ami, str(env.box.db_path))
    actions.login(DESK_AGENT, ["qc"], user="test")
    first = wait_for(lambda: env.calls("nobody"), timeout=5)
    assert len(first) == 1                      # progressive: one free agent, one call
    assert first[0]["outcome"] is None and first[0]["attempt"] == 1

    actions.logout(DESK_AGENT, user="test")
    gone = wait_for(lambda: env.calls("nobody")[0]["outcome"], timeout=5)
    assert gone == "cancelled"                  # withdrawn long before its 15 s of ringing
    call = env.calls("nobody")[0]
    assert call["ended_at"] - call["started_at"] < 10
    contact = env.contacts("nobody")[call["phone"]]
    assert contact["state"] == "retry" and contact["attempts"] == 0   # not an attempt
    time.sleep(3)
    assert len(env.calls("nobody")) == 1
    assert env.status("nobody")["idle_reason"] == "no_agents"
    # Asterisk hung the customer's channel up at once, too
    chan = env.watch.channels.get(call["uniqueid"])
    assert chan and chan[3] is not None
    campaigns.set_status(env.db, env.ids["nobody"], "stopped", "test")


# -- (b) progressive ------------------------------------------------------------------------

def test_progressive_never_has_more_calls_up_than_free_agents(env):
    phones = [ANSWER + f"00010{i}" for i in range(6)]
    blocked = ANSWER + "000199"
    env.ids["steady"] = make_campaign(env.db, "steady", "qb", [*phones, blocked])
    # put on the do-not-call list after the import: checked when it would be dialled
    lists.dnc_add(env.db, blocked, None, user="test")
    start(env.db, env.ids["steady"])
    done = wait_for(lambda: all(r["outcome"] for r in env.calls("steady"))
                    and len(env.calls("steady")) == 6, timeout=60, step=0.5)
    assert done, env.calls("steady")
    calls = env.calls("steady")
    assert [r["outcome"] for r in calls] == ["connected"] * 6
    assert {r["agent"] for r in calls} <= {"121", "122"}
    monitor = env.box.asterisk.dir / "spool" / "monitor"
    assert all(r["recording"] and (monitor / r["recording"]).exists() for r in calls)   # 'all'
    # the recordings index files each under the agent who talked, as an outbound call
    def index():
        rows = {row[0]: tuple(row) for row in env.db.execute(
            "SELECT path, agent, direction FROM recordings")}
        return rows if all(r["recording"] in rows for r in calls) else None
    indexed = wait_for(index, timeout=10)
    assert indexed, "the campaign's recordings are not in the recordings index"
    for r in calls:
        assert indexed[r["recording"]][1:] == (r["agent"], "out"), (dict(r), indexed)
    assert max_overlap([(r["started_at"], r["ended_at"]) for r in calls]) <= 2
    # and as Asterisk saw the customers' channels (its events reach this session too)
    assert wait_for(lambda: all((env.watch.channels.get(r["uniqueid"]) or [None] * 4)[3]
                                for r in calls), timeout=5)
    with env.watch.lock:
        spans = [(env.watch.channels[r["uniqueid"]][2], env.watch.channels[r["uniqueid"]][3])
                 for r in calls]
    assert all(s and e for s, e in spans)
    assert max_overlap(spans) <= 2
    assert max_overlap(spans) == 2              # it did use both agents
    assert campaigns.campaign(env.db, env.ids["steady"])["status"] == "running"
    dispose(env.db, calls)                      # the last dispositions: nothing left to do
    assert wait_for(lambda: campaigns.campaign(env.db, env.ids["steady"])["status"]
                    == "finished", timeout=5)
    states = {p: c["state"] for p, c in env.contacts("steady").items()}
    assert states == {**dict.fromkeys(phones, "done"), blocked: "dnc"}


# -- (d) the 2-second rule ------------------------------------------------------------------

def first_sound(sock: socket.socket, timeout: float) -> float | None:
    """When the first RTP packet carrying sound (not A-law silence) arrived."""
    sock.settimeout(0.2)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            data = sock.recv(2048)
        except socket.timeout:
            continue
        payload = data[12:]
        if payload and any(b not in (0xD5, 0x55, 0x54, 0xD4) for b in payload):
            return time.time()
    return None


def test_answer_without_a_free_agent_hears_the_message_within_2_s(env):
    env.ids["message"] = make_campaign(env.db, "message", "qd", [MEASURED + "000301"])
    start(env.db, env.ids["message"])
    assert wait_for(lambda: env.calls("message"), timeout=5)
    # the agent goes on a break while the callee's phone rings (3 s): nobody is free
    env.box.ami.action("QueuePause", Interface="PJSIP/141", Paused="true", Reason="test")
    heard = first_sound(env.rtp, timeout=15)
    assert heard, "no sound reached the callee"
    # the callee wrote when it sent its 200 OK (date +%s.%N, run by SIPp as it sent it)
    answered = re.findall(r"answered(\d+\.\d+)", (env.callee_dir / "answered.txt").read_text())
    assert len(answered) == 1, answered
    answered_at = float(answered[0])
    print(f"identification message heard {heard - answered_at:.3f} s after the answer")
    assert 0 < heard - answered_at < 2.0, heard - answered_at

    outcome = wait_for(lambda: env.calls("message")[0]["outcome"], timeout=15)
    assert outcome == "abandoned"
    call = env.calls("message")[0]
    assert call["answered_at"] and not call["connected_at"]
    contact = env.contacts("message")[call["phone"]]
    assert contact["last_abandon_at"]
    assert contact["next_at"] >= contact["last_abandon_at"] + pacer.ABANDON_REDIAL_S
    assert wait_for(lambda: env.status("message").get("abandon_rate") == 100.0, timeout=5)
    # the agent is back: still no second call to the number within 72 hours
    env.box.ami.action("QueuePause", Interface="PJSIP/141", Paused="false")
    time.sleep(2)
    assert len(env.calls("message")) == 1


# -- (e) preview ----------------------------------------------------------------------------

def test_preview_call_rings_the_agent_first_then_the_customer(env):
    env.ids["preview"] = make_campaign(env.db, "preview", "qe", [ANSWER + "000401"],
                                       mode="preview")
    start(env.db, env.ids["preview"])
    time.sleep(1.5)
    assert env.calls("preview") == []           # preview: nothing dialled by itself
    card = desk.next_preview(env.db, env.ids["preview"], "151")
    assert card
    call_id = desk.request_call(env.db, env.ids["preview"], card["id"], "151")
    outcome = wait_for(lambda: env.calls("preview")[0]["outcome"], timeout=20)
    call = env.calls("preview")[0]
    assert (call["id"], outcome, call["agent"]) == (call_id, "connected", "151")
    assert call["started_at"] <= call["connected_at"] <= call["ended_at"]
    with env.watch.lock:
        legs = sorted((v[2], v[0]) for v in env.watch.channels.values()
                      if v[1] == call["uniqueid"])
    assert [name.split("-")[0] for _, name in legs][:2] == ["PJSIP/151", "PJSIP/carrier"]
    assert env.contacts("preview")[call["phone"]]["state"] == "done"

    # the agent asks for a callback; when it is due, the agent's Call rings them again
    dispose(env.db, [call], "callback", callback_at=time.time() + 1.5, callback_agent="151")
    assert env.contacts("preview")[call["phone"]]["state"] == "callback"
    time.sleep(2)
    assert campaigns.campaign(env.db, env.ids["preview"])["status"] == "running"
    again = desk.request_call(env.db, env.ids["preview"], card["id"], "151", mode="callback")
    assert wait_for(lambda: env.calls("preview")[-1]["outcome"], timeout=20) == "connected"
    second = env.calls("preview")[-1]
    assert (second["id"], second["mode"], second["agent"], second["attempt"]) == (
        again, "callback", "151", 2)
    assert env.contacts("preview")[call["phone"]]["attempts"] == 2


# -- (f) answering-machine detection ---------------------------------------------------------

def legs(env, call: dict) -> list[str]:
    """The channels Asterisk created for a call (its own and any agent's), by device."""
    with env.watch.lock:
        return sorted(v[0].rsplit("-", 1)[0] for v in env.watch.channels.values()
                      if v[1] == call["uniqueid"])


def test_amd_hangs_up_on_a_machine_retries_it_by_its_rule_and_connects_a_person(env):
    machine, person = MACHINE + "000501", HUMAN + "000501"
    env.ids["amd"] = make_campaign(env.db, "amd", "qf", [machine, person], amd=1,
                                   retry_machine_s=2, retry_noanswer_s=3600,
                                   retry_busy_s=3600, retry_failed_s=3600)
    start(env.db, env.ids["amd"])
    calls = wait_for(lambda: len(env.calls("amd")) == 3
                     and all(r["outcome"] for r in env.calls("amd")) and env.calls("amd"),
                     timeout=40, step=0.5)
    assert calls, (env.calls("amd"), env.contacts("amd"))
    by_phone: dict[str, list[dict]] = {}
    for r in calls:
        by_phone.setdefault(r["phone"], []).append(r)
    assert [r["outcome"] for r in by_phone[machine]] == ["machine", "machine"]
    for r in by_phone[machine]:
        assert r["amd"].startswith("MACHINE/LONGGREETING"), r["amd"]
        assert r["answered_at"] and r["connected_at"] is None and r["agent"] is None
        assert legs(env, r) == ["PJSIP/carrier"]        # no agent's phone ever rang for it
    first, second = by_phone[machine]
    # retried by retry_machine_s (2 s), not by the other outcomes' hour
    assert second["started_at"] >= first["ended_at"] + 2
    (talk,) = by_phone[person]
    assert talk["outcome"] == "connected" and talk["agent"] == "171", talk
    assert talk["amd"].startswith("HUMAN/"), talk["amd"]
    assert legs(env, talk) == ["PJSIP/171", "PJSIP/carrier"]
    print("AMD said", [r["amd"] for r in calls])
    contacts = env.contacts("amd")
    assert (contacts[machine]["state"], contacts[machine]["attempts"],
            contacts[machine]["last_outcome"]) == ("failed", 2, "machine")
    assert contacts[person]["state"] == "done"

    # the campaign report counts the machines in their own column, the page and the file
    today = dt.date.today()
    day = report.build(env.db, env.ids["amd"], today, today).days[0]
    assert (day["dialed"], day["answered"], day["machine"], day["connected"],
            day["abandoned"], day["abandon_rate"]) == (3, 3, 2, 1, 0, 0.0)
    out = io.StringIO()
    report.write_csv(report.build(env.db, env.ids["amd"], today, today), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    head = rows[1]
    assert rows[2][head.index("Answering machine")] == "2"
    campaigns.set_status(env.db, env.ids["amd"], "stopped", "test")


# -- (g) predictive -----------------------------------------------------------------------

def test_predictive_dials_ahead_of_free_agents_and_every_answer_meets_an_agent_or_the_message(env):
    answer = [ANSWER + f"00060{i}" for i in range(5)]
    busy = [BUSY + f"00060{i}" for i in range(2)]
    gone = [UNAVAILABLE + f"00060{i}" for i in range(2)]
    phones = [answer[0], busy[0], answer[1], gone[0], answer[2], answer[3], busy[1],
              answer[4], gone[1]]
    name = "predictive"
    env.ids[name] = make_campaign(env.db, name, "qg", phones, mode="predictive", max_attempts=3)

    def settled():
        """Every call ended and nothing due: the rest waits for its retry (72 h after an
        abandon, two hours after a machine)."""
        calls = env.calls(name)
        if not calls or any(r["outcome"] is None for r in calls):
            return None
        later = time.time() + 3600
        if all(c["state"] in ("done", "failed") or (c["state"] == "retry" and c["next_at"] > later)
               for c in env.contacts(name).values()):
            return calls
        return None

    start(env.db, env.ids[name])
    calls = wait_for(settled, timeout=60, step=0.5)
    assert calls, (env.calls(name), env.contacts(name))

    # predictive: at some moment more calls up than the 2 agents (who were all free at first)
    assert max_overlap([(r["started_at"], r["ended_at"]) for r in calls]) > 2
    assert wait_for(lambda: all((env.watch.channels.get(r["uniqueid"]) or [None] * 4)[3]
                                for r in calls), timeout=5)
    with env.watch.lock:
        spans = [tuple(env.watch.channels[r["uniqueid"]][2:4]) for r in calls]
    assert max_overlap(spans) > 2               # as Asterisk saw the customers' channels

    # every live answer reached an agent or heard the identification message
    outcomes = {p: [r["outcome"] for r in calls if r["phone"] == p] for p in phones}
    assert all(set(outcomes[p]) == {"busy"} for p in busy), outcomes
    assert all(set(outcomes[p]) == {"noanswer"} for p in gone), outcomes
    answered = [r for r in calls if r["answered_at"]]
    assert {r["phone"] for r in answered} == set(answer)
    with env.watch.lock:
        noagent = {call for call, kind in env.watch.facts if kind == "noagent"}
    connected = [r for r in answered if r["outcome"] == "connected"]
    abandoned = [r for r in answered if r["outcome"] == "abandoned"]
    assert len(connected) + len(abandoned) == len(answered), answered
    assert all(r["agent"] in ("181", "182") and r["connected_at"] for r in connected)
    assert all(str(r["id"]) in noagent for r in abandoned), (abandoned, noagent)
    assert not any(str(r["id"]) in noagent for r in connected)
    # 4 of the first 6 lines answer at once for 2 agents: some hear the message
    assert abandoned and len(connected) >= 2, outcomes

    print(f"predictive: {len(calls)} calls, at most {max_overlap(spans)} lines up for 2 agents, "
          f"{len(connected)} connected, {len(abandoned)} abandoned")
    # an agent marks one connected call as a machine: Ofcom's adjusted rate
    dispose(env.db, connected[:1], "machine")
    dispose(env.db, connected[1:])
    d, conn = len(abandoned), len(connected)
    expected = 100.0 * d / (d + conn)           # D' / (D' + L) with D' = D - D*AM/(AM+L)
    assert expected == pytest.approx(pacer.abandon_rate(
        pacer.AbandonCounts(abandoned=d, live=conn - 1, machine_marked=1)))
    shown = campaigns.progress(env.db, env.ids[name])["abandon"]
    assert (shown["abandoned"], shown["live"], shown["machine_marked"]) == (d, conn - 1, 1)
    assert shown["rate"] == pytest.approx(expected)
    today = dt.date.today()
    day = report.build(env.db, env.ids[name], today, today).days[0]
    assert day["abandon_rate"] == pytest.approx(expected)
    assert wait_for(lambda: env.status(name).get("abandon_rate") == round(expected, 2),
                    timeout=5), (env.status(name), expected)

    # no abandoned number was dialled again (the 72-hour rule; its own retry rule says 1 s)
    contacts = env.contacts(name)
    for r in abandoned:
        assert outcomes[r["phone"]] == ["abandoned"]
        c = contacts[r["phone"]]
        assert c["state"] == "retry" and c["next_at"] >= c["last_abandon_at"] + pacer.ABANDON_REDIAL_S
    campaigns.set_status(env.db, env.ids[name], "stopped", "test")


# -- (a) outcomes, retries, end states, and Asterisk's CDR ---------------------------------

def test_outcomes_retries_and_end_states_match_what_the_callees_did(env):
    name = "outcomes"
    def settled():
        dispose(env.db, [r for r in env.calls(name) if r["outcome"] and not r["disposition"]])
        return campaigns.campaign(env.db, env.ids[name])["status"] == "finished"
    assert wait_for(settled, timeout=90, step=1), (env.calls(name), env.contacts(name))
    by_phone: dict[str, list[str]] = {}
    for r in env.calls(name):
        by_phone.setdefault(r["phone"], []).append(r["outcome"])
    assert by_phone == {
        ANSWER + "000001": ["connected"],
        BUSY + "000001": ["busy", "busy"],            # retried up to max_attempts (2)
        NOANSWER + "000001": ["noanswer", "noanswer"],
        NOTFOUND + "000001": ["invalid"],             # never retried
        INCOMPLETE + "000001": ["invalid"],
    }
    states = {p: (c["state"], c["attempts"]) for p, c in env.contacts(name).items()}
    assert states == {
        ANSWER + "000001": ("done", 1), BUSY + "000001": ("failed", 2),
        NOANSWER + "000001": ("failed", 2), NOTFOUND + "000001": ("failed", 1),
        INCOMPLETE + "000001": ("failed", 1)}
    calls = env.calls(name)
    causes = {r["phone"]: r["cause"] for r in calls}
    assert causes[NOTFOUND + "000001"] == 1 and causes[INCOMPLETE + "000001"] == 28
    assert causes[BUSY + "000001"] == 17
    noanswer = [r for r in calls if r["outcome"] == "noanswer"]
    assert all(14 <= r["ended_at"] - r["started_at"] < 18 for r in noanswer)   # ring_s 15
    connected = [r for r in calls if r["outcome"] == "connected"]
    assert connected[0]["agent"] in ("111", "112", "113")
    # Asterisk's CDR: one customer channel per call we recorded, with the same result
    cdr_path = env.box.asterisk.log_dir / "cdr-csv" / "Master.csv"
    wanted = {r["uniqueid"]: r["outcome"] for r in calls}
    rows = [row for row in csv.reader(cdr_path.open()) if len(row) > 16 and row[16] in wanted]
    assert {row[16] for row in rows} == set(wanted)
    cdr = {row[16]: row[14] for row in rows if row[5].startswith("PJSIP/carrier-")}
    expected = {"connected": "ANSWERED", "busy": "BUSY", "noanswer": "NO ANSWER"}
    for uid, outcome in wanted.items():
        if outcome in expected:
            assert cdr[uid] == expected[outcome], (outcome, cdr[uid])


def test_asterisk_took_the_campaign_dialplan_without_complaints(env):
    out = env.box.ami.action("Command", Command="module show like app_amd")
    assert out.get("Output") == "1 modules loaded", out   # answering-machine detection
    plan = env.box.ami.action("Command", Command="dialplan show jns-campaign")
    assert plan.get("Output", "").startswith("-= 1 extension ("), plan
    bad = [line for line in env.box.log_text().splitlines()
           if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


# -- a restart ------------------------------------------------------------------------------

def test_a_restarted_dialer_closes_calls_left_open(env):
    """A call the database holds open with no channel in Asterisk (the dialer died while it
    rang) is closed as failed, and its contact is due again."""
    env.dialer.stop()
    env.dialer.ami.close()
    cid = env.ids["outcomes"]
    contact = env.db.execute("SELECT contact_id FROM campaign_contacts WHERE campaign_id = ? "
                             "LIMIT 1", [cid]).fetchone()[0]
    env.db.execute("INSERT INTO campaign_calls (campaign_id, contact_id, phone, mode, uniqueid, "
                   "started_at) VALUES (?, ?, '+48501999999', 'progressive', 'jnsc-lost', ?)",
                   [cid, contact, time.time() - 60])
    env.db.execute("UPDATE campaign_contacts SET state = 'dialing' WHERE campaign_id = ? "
                   "AND contact_id = ?", [cid, contact])
    ami = AMIClient("127.0.0.1", env.box.layout.ami_port, env.box.layout.ami_user,
                    env.box.layout.ami_secret, name="dialer2").start()
    assert ami.wait_connected(20)
    env.dialer = Dialer(env.box.db_path, ami, asterisk_root=env.box.layout.root).start()
    assert wait_for(lambda: env.db.execute(
        "SELECT outcome FROM campaign_calls WHERE uniqueid = 'jnsc-lost'").fetchone()[0],
        timeout=10) == "failed"
    state = env.db.execute("SELECT state FROM campaign_contacts WHERE campaign_id = ? AND "
                           "contact_id = ?", [cid, contact]).fetchone()[0]
    assert state == "retry"
