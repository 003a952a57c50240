"""jns-calld against real Asterisk 22 and SIPp: what a wallboard receives over /events.

One devbox for the module (each start costs seconds).  Agent 101 is a static member of
queue "support" whose phone (a SIPp UAS) is not running until the test starts it, and 102
has no phone at all, so carrier callers wait in the queue meanwhile.
"""
from __future__ import annotations

import http.client
import queue
import threading
import time

import pytest

from appliance.devbox import DevBox, free_port
from appliance.telephony.calld import LiveClient, LiveError
from tests.conftest import require_rootfs

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def agent_port():
    return free_port()


@pytest.fixture(scope="module")
def box(tmp_path_factory, agent_port):
    require_rootfs()
    b = DevBox(tmp_path_factory.mktemp("calld") / "box",
               demo_agent_contacts={"101": f"sip:101@127.0.0.1:{agent_port}"})
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def calld(box):
    from appliance.telephony.queue_alarms import QueueAlarms
    alarms = QueueAlarms(box.db_path, leds_root=None)   # helper D's call-center alarms
    service = box.start_calld(alarms=alarms)
    yield service
    service.stop()
    alarms.close()


@pytest.fixture(autouse=True)
def asterisk_has_no_complaints(box):
    """Whatever calld asks Asterisk (event mask, status lists, variables), Asterisk must
    not log problems about it."""
    yield
    # one test restarts Asterisk on purpose: an action that reaches it while it stops is
    # refused with "Asterisk is shutting down" - expected then, not a complaint about calld
    bad = [line for line in box.log_text().splitlines()
           if (" WARNING[" in line or " ERROR[" in line) and "Asterisk is shutting down" not in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


@pytest.fixture
def client(box, calld):
    env = box.web_env()
    c = LiveClient(env["JNS_CALLD_URL"], env["JNS_CALLD_SECRET"])
    assert wait(lambda: c.state()["asterisk"]["connected"]), "calld never saw Asterisk"
    return c


def wait(predicate, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class Feed:
    """A wallboard's event stream, read in a thread: the snapshot, then every change."""

    def __init__(self, client: LiveClient):
        self.items: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, dict]] = []
        threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def _read(self, client):
        try:
            for item in client.events():
                self.items.put(item)
        except LiveError as exc:
            self.items.put(("ended", {"error": str(exc)}))

    def until(self, predicate, timeout: float = 40.0) -> dict:
        """The first message from now on for which predicate(name, data) holds: the
        snapshot, or the `data` of a change."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                name, data = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"not seen in {timeout} s; last messages: {self.seen[-8:]}")
            self.seen.append((name, data))
            if predicate(name, data):
                return data["data"] if name == "change" else data


def change(kind, key=None, test=lambda d: True):
    return lambda name, m: (name == "change" and m["kind"] == kind
                            and (key is None or m["id"] == key) and test(m["data"]))


def caller_in_thread(sipp, box, results):
    t = threading.Thread(target=lambda: results.append(
        sipp.call(box.layout.sip_port, did="100", digit="1", timeout_s=90)), daemon=True)
    t.start()
    return t


def test_the_secret_is_required(box, calld):
    conn = http.client.HTTPConnection("127.0.0.1", box.layout.calld_port, timeout=5)
    conn.request("GET", "/state")
    resp = conn.getresponse()
    assert resp.status == 401 and b"secret" in resp.read()
    wrong = LiveClient(f"http://127.0.0.1:{box.layout.calld_port}", "not-the-secret")
    with pytest.raises(LiveError, match="secret"):
        wrong.state()
    with pytest.raises(LiveError, match="jns-calld"):
        LiveClient(f"http://127.0.0.1:{free_port()}", "x").state()


def test_a_waiting_caller_is_answered_and_leaves_and_the_wallboard_follows(box, calld, client,
                                                                            sipp, agent_port):
    feed = Feed(client)
    snap = feed.until(lambda name, m: name == "snapshot")
    assert snap["asterisk"]["connected"] and snap["calls"] == {}
    answered_before = snap["queues"]["support"]["answered_today"]
    assert snap["agents"]["101"]["static"] and snap["agents"]["101"]["queues"] == ["support"]

    results: list = []
    started = time.time()
    caller = caller_in_thread(sipp, box, results)
    queued = feed.until(change("call", test=lambda d: d and d["state"] == "queued"))
    assert queued["caller"] == "48600100200" and queued["did"] == "100"
    assert queued["direction"] == "in" and queued["queue"] == "support"
    assert started - 1 <= queued["started"] <= queued["queued_at"] <= time.time()
    call_id = queued["id"]
    tile = client.state()["queues"]["support"]
    assert tile["waiting"] == 1 and tile["callers"] == [call_id]
    assert tile["longest_wait_since"] == queued["queued_at"]

    sipp.agent(agent_port, talk_ms=2000)
    talking = feed.until(change("call", call_id, lambda d: d and d["state"] == "talking"))
    assert talking["agent"] == "101" and talking["answered_at"] >= talking["queued_at"]
    assert talking["agent_channel"].startswith("PJSIP/101-")
    assert talking["caller_channel"] in talking["channels"]
    state = client.state()
    assert state["agents"]["101"]["state"] == "on_call" and state["agents"]["101"]["call"] == call_id
    assert state["queues"]["support"]["waiting"] == 0

    feed.until(change("call", call_id, lambda d: d is None))
    caller.join(timeout=60)
    assert results and results[0].returncode == 0, results
    after = wait(lambda: (s := client.state())["queues"]["support"]["answered_today"]
                 == answered_before + 1 and s)
    assert after, client.state()["queues"]["support"]
    assert after["calls"] == {} and after["agents"]["101"]["today"]["answered"] >= 1
    assert after["queues"]["support"]["service_level_today"] is not None
    # only the event classes calld asked for (EventMask): no dialplan chatter per call
    assert calld.event_names["AgentConnect"] >= 1 and "VarSet" not in calld.event_names
    assert "Newexten" not in calld.event_names


def test_after_a_lost_connection_and_an_asterisk_restart_nothing_stale_is_shown(box, calld, client,
                                                                                sipp):
    feed = Feed(client)
    feed.until(lambda name, m: name == "snapshot")
    results: list = []
    caller_in_thread(sipp, box, results)
    queued = feed.until(change("call", test=lambda d: d and d["state"] == "queued"))
    rebuilds = calld.resyncs

    calld.ami._drop()                      # the AMI socket breaks while the caller waits
    feed.until(change("asterisk", "", lambda d: d["connected"] is False))
    feed.until(change("asterisk", "", lambda d: d["connected"] is True))
    assert wait(lambda: calld.resyncs > rebuilds)
    rebuilt = client.state()
    assert list(rebuilt["calls"]) == [queued["id"]], rebuilt["calls"]
    call = rebuilt["calls"][queued["id"]]
    assert call["state"] == "queued" and call["did"] == "100" and call["caller"] == "48600100200"
    assert abs(call["queued_at"] - queued["queued_at"]) < 1.5     # Asterisk reports whole seconds
    assert rebuilt["queues"]["support"]["callers"] == [queued["id"]]

    box.asterisk.stop()                    # the call dies with Asterisk
    gone = feed.until(change("asterisk", "", lambda d: d["connected"] is False))
    assert gone["since"] is not None
    down = client.state()
    assert down["calls"] == {} and down["queues"]["support"]["waiting"] == 0
    assert down["agents"]["101"]["queues"] == []
    box.asterisk.start()
    box.asterisk.wait_fully_booted(timeout=60)
    feed.until(change("asterisk", "", lambda d: d["connected"] is True), timeout=60)
    up = wait(lambda: (s := client.state())["agents"]["101"]["queues"] == ["support"] and s)
    assert up, client.state()["agents"]["101"]
    assert up["calls"] == {} and up["queues"]["support"]["callers"] == []


def test_desk_login_pause_and_logout_through_calld_show_on_the_wallboard_and_in_history(
        box, calld, client):
    from appliance.store import config, live as store_live
    config.add_agent(box.db, "103", "Agent 103", contact=f"sip:103@127.0.0.1:{free_port()}",
                     login=True)
    config.save_queue(box.db, "desk", "Desk", members=["103"])
    assert wait(lambda: box.applier.in_sync(box.db), timeout=20), "configuration not applied"
    feed = Feed(client)
    feed.until(lambda name, m: name == "snapshot")
    out = wait(lambda: client.state()["agents"].get("103"))
    assert out and out["state"] == "logged_out" and out["assigned"] == ["desk"]
    assert not out["static"]

    assert wait(lambda: _try_login(client))     # Asterisk has the new queue after its reload
    ready = feed.until(change("agent", "103", lambda d: d["queues"] == ["desk"]))
    assert ready["last_login"] is not None and ready["state"] in ("ready", "unavailable")
    tile = feed.until(change("queue", "desk", lambda d: d["logged_in"] == 1))
    assert tile["title"] == "Desk"
    # the alarms hook: "one agent left" in the queue reaches the wallboard
    alarms = feed.until(change("alarms", "", lambda d: any(
        a["check"] == "queue_agents" and a["subject"] == "desk" for a in d)))
    assert [a["severity"] for a in alarms if a["subject"] == "desk"] == ["warning"]

    client.action("pause", agent="103", reason="lunch", user="anna")
    paused = feed.until(change("agent", "103", lambda d: d["paused"]))
    assert paused["state"] == "paused" and paused["pause_reason"] == "lunch"
    with pytest.raises(LiveError, match="not a pause reason"):
        client.action("pause", agent="103", reason="siesta", user="anna")
    with pytest.raises(LiveError, match="already ended"):
        client.action("hangup", call="1.2345", user="anna")
    with pytest.raises(LiveError, match="unknown action"):
        client.action("explode", user="anna")

    client.action("logout", agent="103", user="anna")
    gone = feed.until(change("agent", "103", lambda d: d["state"] == "logged_out"))
    assert gone["queues"] == [] and gone["last_logout"] >= gone["last_login"]
    feed.until(change("alarms", "", lambda d: not any(a["subject"] == "desk" for a in d)))
    sessions = wait(lambda: [r for r in box.db.query(
        "SELECT * FROM agent_sessions WHERE agent = '103'") if r["logout_at"]])
    assert [(r["queue"], r["login_at"] <= r["logout_at"]) for r in sessions] == [("desk", True)]
    assert store_live.last_sessions(box.db)["103"]["last_logout"] is not None

    # the admin takes the agent out of the queue while they are logged in: Asterisk (which
    # keeps desk logins) stops offering them its calls at once
    client.action("login", agent="103", queues=None, user="anna")
    feed.until(change("agent", "103", lambda d: d["queues"] == ["desk"]))
    config.set_queue_members(box.db, "desk", [])
    out = feed.until(change("agent", "103", lambda d: d["queues"] == []))
    assert out["state"] == "logged_out" and out["assigned"] == []
    members = box.ami.action_list("QueueStatus", "QueueStatusComplete", Queue="desk")[1]
    assert [e for e in members if e.get("Event") == "QueueMember"] == []
    assert [r["target"] for r in box.db.query(
        "SELECT target FROM live_audit WHERE action = 'drop_unassigned'")] == ["103 from desk"]


def _try_login(client) -> bool:
    try:
        client.action("login", agent="103", queues=None, user="anna")
        return True
    except LiveError as exc:
        if "No such queue" in str(exc) or "desk" in str(exc):
            return False
        raise


def test_a_caller_who_times_out_in_the_queue_counts_as_unanswered(box, calld, client, sipp):
    from appliance.store import config
    config.save_queue(box.db, "short", "Short", members=["101"], max_wait=10)
    config.save_route(box.db, "200", "queue", "short", title="Short")
    assert wait(lambda: box.applier.in_sync(box.db), timeout=20), "configuration not applied"
    assert wait(lambda: "short" in client.state()["queues"])
    feed = Feed(client)
    before = feed.until(lambda name, m: name == "snapshot")["queues"]["short"]
    assert before["abandoned_today"] == 0 and before["answered_today"] == 0
    results: list = []
    threading.Thread(target=lambda: results.append(
        sipp.call(box.layout.sip_port, did="200", digit="1", timeout_s=60)), daemon=True).start()
    queued = feed.until(change("call", test=lambda d: d and d["queue"] == "short"))
    # nobody answers within the queue's 10 s: Asterisk logs EXITWITHTIMEOUT (no AMI event)
    tile = feed.until(change("queue", "short", lambda d: d["abandoned_today"] == 1
                             and d["waiting"] == 0))
    assert tile["service_level_today"] == 0.0 and tile["answered_today"] == 0
    assert any(e[4] == "EXITWITHTIMEOUT" and e[1] == queued["id"] for e in
               (line.split("|") for line in
                (box.asterisk.log_dir / "queue_log").read_text().splitlines()))


def test_an_agents_outside_call_shows_the_number_and_counts_as_outbound(box, calld, client, sipp):
    from appliance.store import config
    carrier_port = free_port()
    config.add_trunk(box.db, "carrier", "127.0.0.2", port=carrier_port)
    assert wait(lambda: box.applier.in_sync(box.db), timeout=20), "configuration not applied"
    feed = Feed(client)
    snap = feed.until(lambda name, m: name == "snapshot")
    before = snap["queues"]["support"]["outbound_today"]
    assert snap["agents"]["102"]["today"]["outbound"] == 0
    far_end = sipp.agent(carrier_port, talk_ms=3000, ip="127.0.0.2")   # the called party
    secret = box.db.execute("SELECT secret FROM agents WHERE extension = '102'").fetchone()[0]
    results: list = []
    threading.Thread(target=lambda: results.append(sipp.phone_call(
        box.layout.sip_port, "102", secret, "0048221234567", talk_ms=1000)), daemon=True).start()
    talking = feed.until(change("call", test=lambda d: d and d["state"] == "talking"))
    assert talking["direction"] == "out" and talking["caller"] == "48221234567"
    assert talking["agent"] == "102" and talking["agent_channel"].startswith("PJSIP/102-")
    assert talking["caller_channel"] != talking["agent_channel"] and talking["did"] is None
    feed.until(change("call", talking["id"], lambda d: d is None))
    agent = feed.until(change("agent", "102", lambda d: d["today"]["outbound"] == 1))
    assert agent["call"] is None
    assert client.state()["queues"]["support"]["outbound_today"] == before + 1
    assert far_end.wait(timeout=30) == 0
    # a restarted jns-calld still knows today's outside calls (from the CDR)
    again = box.start_calld(port=free_port())
    try:
        fresh = LiveClient(f"http://127.0.0.1:{again.port}", calld.secret)
        restarted = wait(lambda: (s := fresh.state())["asterisk"]["connected"] and s)
        assert restarted["agents"]["102"]["today"]["outbound"] == 1
        assert restarted["queues"]["support"]["outbound_today"] == before + 1
    finally:
        again.stop()
