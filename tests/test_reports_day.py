"""A scripted call-center day on a real Asterisk 22 with real SIPp phones, then every report.

The day (one devbox, about a minute of calls):
  queue "waitq" (DID 203, longest wait 10 s): desk agent 105 logs in and pauses ("lunch");
    caller X waits until the queue's 10 s are over (EXITWITHTIMEOUT), caller Y queues
    behind X and hangs up after 3 s at position 2 (ABANDON), caller Z queues behind X and
    presses the exit key 0 after 2 s (EXITWITHKEY); then 105 unpauses and logs out.
  queue "sales" (DID 201): agent 101's phone rings 4 s before it is answered (CONNECT after
    4 s, talk 6 s, the agent hangs up); later 101 answers a call and transfers it blind
    (SIP REFER) to extension 102 after 2 s.
  queue "ringq" (DID 202, linear, 5 s per agent, 2 s retry): 103 and 104 ring without
    answering (RINGNOANSWER twice), then 106 answers after 14 s and talks 2 s.
  outbound: agent 102 calls an outside number through the trunk twice; the far end answers
    (talk 3 s), then is busy.
Thresholds of the day: service level T = 10 s, short abandon S = 2 s, short call < 5 s.

Every report figure is then read through appliance.reports.queries after the real
ingestion (appliance.reports.ingest) and compared with (a) the queue_log's own numbers,
read from the raw lines, exactly, and (b) what the script meant, within a second or two
(a real clock).  Nothing here is inserted behind the ingestion's back.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

import pytest

from appliance.devbox import DevBox, free_port
from appliance.reports import queries
from appliance.reports.ingest import ingest_files
from appliance.store import config
from appliance.telephony.actions import Actions
from tests.conftest import Sipp, require_rootfs, require_sipp
from tests.test_skeleton_call import cdr_rows, queue_log, wait_for

pytestmark = pytest.mark.asterisk

X, Y, Z = "48600000001", "48600000002", "48600000003"       # waitq: timeout, abandon, key
SLOW, RING, XFER = "48600000004", "48600000005", "48600000006"   # answered calls
OUT_NUMBER = "48221234567"

SLOW_RING_S = 4          # tests/sipp/agent_ring.xml rings 4 s before answering
SLOW_TALK_S = 6          # not a short call (short: talk < 5 s)
RINGQ_TIMEOUT_S = 5      # ring time per agent in ringq
RETRY_S = 2              # queues.conf retry (render.py)
RINGQ_TALK_S = 2
XFER_TALK_S = 2          # 101 talks 2 s, then transfers to 102
WAITQ_MAX_S = 10
OUT_TALK_S = 3           # the far end of the answered outbound call hangs up after 3 s
Y_WAIT_S = 3             # caller Y hangs up after 3 s
Z_KEY_S = 2              # caller Z presses 0 after 2 s
SL_T = 10                # service level threshold of this day (s)
SHORT_ABANDON_S = 2      # abandons shorter than this do not count in the abandon rate
SHORT_CALL_S = 5         # answered calls with less talk than this are short calls


@dataclass
class Day:
    """The day's box, its period and when the script did what; the raw queue_log lines."""
    box: DevBox
    start: int = 0
    end: int = 0
    marks: dict[str, float] = field(default_factory=dict)   # wall clock of script steps

    def lines(self, event: str | None = None, queue: str | None = None) -> list[list[str]]:
        return [e for e in queue_log(self.box) if len(e) > 4 and (event is None or e[4] == event)
                and (queue is None or e[2] == queue)]

    def callid(self, caller: str) -> str:
        ids = [e[1] for e in self.lines("ENTERQUEUE") if e[6] == caller]
        assert len(ids) == 1, (caller, self.lines())
        return ids[0]

    def event(self, caller: str, event: str) -> list[str]:
        found = [e for e in self.lines(event) if e[1] == self.callid(caller)]
        assert len(found) == 1, (caller, event,
                                 [e for e in self.lines() if e[1] == self.callid(caller)])
        return found[0]


def _popen(sipp: Sipp, args: list[str], ip: str = "127.0.0.1") -> subprocess.Popen:
    proc = subprocess.Popen([require_sipp(), *args, "-i", ip, "-mp", str(free_port()),
                             "-m", "1", "-nostdin", "-timeout", "90s", "-trace_err"],
                            cwd=sipp.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    sipp.procs.append(proc)
    return proc


def phone(sipp: Sipp, scenario: str, port: int, *extra: str,
          ip: str = "127.0.0.1") -> subprocess.Popen:
    """An agent's (or the far end's) phone answering one call as `scenario` does."""
    return _popen(sipp, ["-sf", scenario, "-p", str(port), *extra], ip)


def carrier_call(sipp: Sipp, box: DevBox, scenario: str, did: str, caller: str, delay_ms: int,
                 digit: str = "5") -> subprocess.Popen:
    """A caller from the carrier; caller.xml presses `digit` after delay_ms and stays until
    Asterisk hangs up, caller_hangup.xml hangs up after delay_ms."""
    return _popen(sipp, [f"127.0.0.1:{box.layout.sip_port}", "-sf", scenario, "-s", did,
                         "-key", "caller", caller, "-key", "digit", digit, "-d", str(delay_ms),
                         "-p", str(free_port())])


def finished(proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    rc = proc.wait(timeout=timeout)
    err = proc.stderr.read()[-2000:] if proc.stderr else ""
    assert rc == 0, f"{what}: SIPp ended with {rc}: {err}"


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """The devbox after the scripted day (see the module docstring); stopped at the end."""
    require_rootfs()
    tmp = tmp_path_factory.mktemp("day")
    ports = {ext: free_port() for ext in ("101", "102", "103", "104", "105", "106", "carrier")}
    contact = lambda ext: f"sip:{ext}@127.0.0.1:{ports[ext]}"  # noqa: E731
    box = DevBox(tmp / "box", demo_agent_contacts={"101": contact("101"), "102": contact("102")})
    db = box.db
    config.add_agent(db, "103", "Agent 103", contact=contact("103"), login=False)
    config.add_agent(db, "104", "Agent 104", contact=contact("104"), login=False)
    config.add_agent(db, "105", "Ewa Desk", contact=contact("105"))          # logs in at the desk
    config.add_agent(db, "106", "Agent 106", contact=contact("106"), login=False)
    config.save_queue(db, "sales", "Sales", members=["101"], member_timeout=10)
    # linear: Asterisk rings the members in the order of queues.conf (by extension)
    config.save_queue(db, "ringq", "Ring", members=["103", "104", "106"],
                      strategy="linear", member_timeout=RINGQ_TIMEOUT_S)
    config.save_queue(db, "waitq", "Waiting", members=["105"], max_wait=WAITQ_MAX_S,
                      announce_position=0, announce_holdtime=0)
    config.save_route(db, "201", "queue", "sales")
    config.save_route(db, "202", "queue", "ringq")
    config.save_route(db, "203", "queue", "waitq")
    config.save_settings(db, operator_action="hangup", operator_target="")   # exit key 0: goodbye
    config.add_trunk(db, "carrier", "127.0.0.2", port=ports["carrier"])
    box.start()
    sipp = Sipp(tmp / "sipp")
    d = Day(box)
    try:
        try:
            _run_day(d, box, sipp, ports)
        finally:
            sipp.stop()
        yield d
    finally:
        box.stop()


def _run_day(d: Day, box: DevBox, sipp: Sipp, ports: dict[str, int]) -> None:
    actions = Actions(box.ami, str(box.db_path))
    mark = lambda name: d.marks.__setitem__(name, time.time())  # noqa: E731
    d.start = int(time.time()) - 1

    # -- waitq: the desk agent, a timeout, an abandon at position 2, an exit with a key ----
    mark("login")
    actions.login("105", ["waitq"], user="ewa")
    assert wait_for(lambda: d.lines("ADDMEMBER", "waitq"))
    mark("pause")
    actions.pause("105", "lunch", user="ewa")
    assert wait_for(lambda: d.lines("PAUSE"))
    x = carrier_call(sipp, box, "caller.xml", "203", X, 1000)
    assert wait_for(lambda: [e for e in d.lines("ENTERQUEUE", "waitq") if e[6] == X])
    # the caller's clock starts at the answer, ~0.5 s before the queue (route service): so
    # Y hangs up ~3 s and Z presses 0 ~2 s after entering the queue
    y = carrier_call(sipp, box, "caller_hangup.xml", "203", Y, Y_WAIT_S * 1000 + 600)
    assert wait_for(lambda: [e for e in d.lines("ENTERQUEUE", "waitq") if e[6] == Y])
    finished(y, "caller Y (abandon)")
    assert wait_for(lambda: d.lines("ABANDON", "waitq"))
    z = carrier_call(sipp, box, "caller.xml", "203", Z, Z_KEY_S * 1000 + 600, digit="0")
    finished(z, "caller Z (exit key)")
    finished(x, "caller X (timeout)")
    assert wait_for(lambda: d.lines("EXITWITHTIMEOUT", "waitq"))
    mark("unpause")
    actions.unpause("105", user="ewa")
    time.sleep(2)
    mark("logout")
    actions.logout("105", user="ewa")
    assert wait_for(lambda: d.lines("REMOVEMEMBER", "waitq"))

    # -- sales: answered after 4 s of ringing ----------------------------------------------
    agent = phone(sipp, "agent_ring.xml", ports["101"], "-d", str(SLOW_TALK_S * 1000))
    slow = carrier_call(sipp, box, "caller.xml", "201", SLOW, 500)
    finished(agent, "agent 101 (slow answer)")
    finished(slow, "the slowly answered caller")

    # -- ringq: 103 and 104 do not answer, 106 does ----------------------------------------
    nobody = [phone(sipp, "agent_noanswer.xml", ports[ext]) for ext in ("103", "104")]
    agent = phone(sipp, "agent.xml", ports["106"], "-d", str(RINGQ_TALK_S * 1000))
    ring = carrier_call(sipp, box, "caller.xml", "202", RING, 500)
    for p in nobody:
        finished(p, "a phone nobody answers")
    finished(agent, "agent 106 (after two others)")
    finished(ring, "the caller of ringq")

    # -- sales: 101 transfers the caller blind to 102 --------------------------------------
    colleague = phone(sipp, "agent.xml", ports["102"], "-d", "2000")
    agent = phone(sipp, "agent_transfer.xml", ports["101"], "-d", str(XFER_TALK_S * 1000), "-aa",
                  "-key", "refer_to", f"sip:102@127.0.0.1:{box.layout.sip_port}")
    xfer = carrier_call(sipp, box, "caller.xml", "201", XFER, 500)
    finished(agent, "agent 101 (transfer)")
    finished(colleague, "agent 102 (took the transfer)")
    finished(xfer, "the transferred caller")

    # -- outbound: agent 102 calls out; the far end answers, then is busy ------------------
    secret = box.db.execute("SELECT secret FROM agents WHERE extension = '102'").fetchone()[0]
    for name, scenario, extra in (("answered", "agent.xml", ["-d", str(OUT_TALK_S * 1000)]),
                                  ("busy", "far_end_busy.xml", [])):
        far = phone(sipp, scenario, ports["carrier"], *extra, ip="127.0.0.2")
        mark(f"out_{name}")
        result = sipp.phone_call(box.layout.sip_port, "102", secret, "00" + OUT_NUMBER,
                                 talk_ms=1000)
        # busy: Asterisk says goodbye and hangs up before the phone's "#" (SIPp rc 1)
        assert result.returncode == 0 or name == "busy", result.stdout[-2000:]
        finished(far, f"the far end ({name})")
    d.end = int(time.time()) + 2


@pytest.fixture(scope="module")
def db(day):
    """The box's database after the real ingestion read Asterisk's queue_log and CDR, with
    the thresholds of this day: service level T = 10 s, short abandon S = 2 s, short call
    under 5 s."""
    log_dir = day.box.asterisk.log_dir
    ingest_files(day.box.db, log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv")
    queries.save_thresholds(day.box.db, sl_seconds=SL_T, short_abandon_s=SHORT_ABANDON_S,
                            short_call_s=SHORT_CALL_S)
    return day.box.db


@pytest.fixture(scope="module")
def f(day, db):
    return queries.make_filter(db, day.start, day.end)


@pytest.fixture(scope="module")
def facts(day, db):
    """Asterisk's own numbers for each call, read from the raw queue_log lines (fields after
    the event name: CONNECT holdtime|..., COMPLETEAGENT holdtime|calltime|..., ABANDON
    position|origposition|waittime, EXITWITHKEY key|position|origposition|waittime), each
    checked against what the script meant (a real clock: within 2 s)."""
    out = {}
    for caller, end_event in ((SLOW, "COMPLETEAGENT"), (RING, "COMPLETEAGENT"),
                              (XFER, "BLINDTRANSFER")):
        connect, end = day.event(caller, "CONNECT")[5:], day.event(caller, end_event)[5:]
        talk = end[1] if end_event == "COMPLETEAGENT" else end[3]
        out[caller] = {"wait": int(connect[0]), "talk": int(talk)}
    out[X] = {"wait": int(day.event(X, "EXITWITHTIMEOUT")[7])}
    out[Y] = {"wait": int(day.event(Y, "ABANDON")[7])}
    out[Z] = {"wait": int(day.event(Z, "EXITWITHKEY")[8])}
    # the script's intent
    near(out[SLOW]["wait"], SLOW_RING_S)            # the phone rang 4 s
    near(out[SLOW]["talk"], SLOW_TALK_S)
    near(out[RING]["wait"], 2 * (RINGQ_TIMEOUT_S + RETRY_S))   # 5 s + 2 s retry, twice = 14 s
    near(out[RING]["talk"], RINGQ_TALK_S)
    near(out[XFER]["wait"], 0)                      # answered at once (300 ms ring)
    near(out[XFER]["talk"], XFER_TALK_S)
    near(out[X]["wait"], WAITQ_MAX_S, 1)
    near(out[Y]["wait"], Y_WAIT_S)
    near(out[Z]["wait"], Z_KEY_S)
    return out


def near(value, meant, within: float = 2) -> None:
    assert value is not None and abs(value - meant) <= within, f"{value} is not {meant} +- {within}"


def rows_by_caller(db, name: str, f, **kw) -> dict[str, dict]:
    rows, total = queries.details(db, name, f, limit=100, **kw)
    assert total == len(rows)
    out = {r["caller"]: r for r in rows}
    assert len(out) == len(rows), rows
    return out


def figures(report) -> dict:
    return {fig.key: fig.value for fig in report.figures}


def table(report, key: str) -> list[dict]:
    found = [t for t in report.tables if t.key == key]
    assert found, [t.key for t in report.tables]
    return found[0].rows


def pct(part: float, whole: float) -> float:
    return pytest.approx(100.0 * part / whole)




# -- Asterisk's own record of the day ------------------------------------------------------

def test_asterisk_logged_the_day_as_scripted_and_no_complaints(day, facts):
    assert [e[3] for e in day.lines("RINGNOANSWER")] == ["Agent 103", "Agent 104"]
    assert day.event(RING, "CONNECT")[3] == "Agent 106"
    assert day.event(Y, "ABANDON")[5:7] == ["2", "2"]              # position 2 of 2
    assert day.event(Z, "EXITWITHKEY")[5:8] == ["0", "2", "2"]     # key 0 at position 2
    assert day.event(X, "EXITWITHTIMEOUT")[5:7] == ["1", "1"]
    assert day.event(XFER, "BLINDTRANSFER")[5] == "102"
    assert [e[5:] for e in day.lines("PAUSE")] == [["lunch"]]
    bad = [line for line in day.box.log_text().splitlines()
           if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


def test_reading_the_files_again_counts_nothing_twice(day, db, f):
    before = queries.summary(db, "queues", f)
    log_dir = day.box.asterisk.log_dir
    ingest_files(db, log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv")
    assert figures(queries.summary(db, "queues", f)) == figures(before)
    assert db.execute("SELECT count(*) FROM report_calls").fetchone()[0] == 6
    assert db.execute("SELECT count(*) FROM report_cdr WHERE direction = 'out'").fetchone()[0] == 2


# -- RPT-1 / RPT-2: the calls one by one ---------------------------------------------------

def test_answered_calls_details_show_wait_talk_agent_and_attempts(day, db, f, facts):
    rows = rows_by_caller(db, "answered", f)
    assert set(rows) == {SLOW, RING, XFER}
    expected = {   # queue, number dialled, agent, ended by, agents rung (RPT-8)
        SLOW: ("sales", "201", "101", "agent", 1),
        RING: ("ringq", "202", "106", "agent", 3),      # 103 and 104 rang unanswered, then 106
        XFER: ("sales", "201", "101", "transfer", 1),
    }
    for caller, (queue, did, agent, reason, attempts) in expected.items():
        r = rows[caller]
        assert (r["queue"], r["did"], r["agent"], r["reason"], r["attempts"]) == (
            queue, did, agent, reason, attempts), r
        assert r["wait"] == facts[caller]["wait"] and r["talk"] == facts[caller]["talk"], r
        assert r["callid"] == day.callid(caller)
        assert r["entered"] == int(day.event(caller, "ENTERQUEUE")[0])
        assert r["recording"], r          # recorded by the default policy (all calls)
    # sortable: the longest wait first (ringq's 14 s)
    by_wait, _ = queries.details(db, "answered", f, sort="wait", desc=True)
    assert by_wait[0]["caller"] == RING
    assert [r["wait"] for r in by_wait] == sorted((r["wait"] for r in by_wait), reverse=True)


def test_unanswered_calls_details_show_reason_wait_position_and_key(day, db, f, facts):
    rows = rows_by_caller(db, "unanswered", f)
    assert set(rows) == {X, Y, Z}
    expected = {   # reason, position at hangup, position on entry, key
        X: ("timeout", 1, 1, ""),
        Y: ("abandon", 2, 2, ""),       # hung up second in line
        Z: ("key", 2, 2, "0"),          # entered behind X after Y had gone
    }
    for caller, (reason, position, origposition, key) in expected.items():
        r = rows[caller]
        assert (r["reason"], r["position"], r["origposition"], r["key"]) == (
            reason, position, origposition, key), r
        assert r["wait"] == facts[caller]["wait"], r
        assert (r["queue"], r["did"], r["attempts"]) == ("waitq", "203", 0), r   # 105 was paused
    by_wait, _ = queries.details(db, "unanswered", f, sort="wait", desc=True)
    assert by_wait[0]["caller"] == X and by_wait[0]["wait"] == facts[X]["wait"]
    # drill-downs a supervisor clicks
    assert list(rows_by_caller(db, "unanswered", f, where={"reason": "abandon"})) == [Y]
    assert list(rows_by_caller(db, "calls", f, where={"attempts": "3"})) == [RING]


def test_a_journey_shows_asterisks_events_and_the_recording(day, db):
    j = queries.journey(db, day.callid(RING))
    assert [p["queue"] for p in j["parts"]] == ["ringq"]
    events = [(e["event"], e["agent"]) for e in j["events"]]
    ring_events = ("ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETEAGENT")
    assert [e for e in events if e[0] in ring_events] == [
        ("ENTERQUEUE", ""), ("RINGNOANSWER", "103"), ("RINGNOANSWER", "104"), ("CONNECT", "106"),
        ("COMPLETEAGENT", "106")]
    assert j["recording"] and j["recording"]["path"].endswith(f"{day.callid(RING)}.wav")


# -- RPT-3, RPT-4, SUP-4, overview: the figures --------------------------------------------

def test_service_level_asa_and_abandon_rate_per_queue_and_overall(day, db, f, facts):
    ans = [facts[c]["wait"] for c in (SLOW, RING, XFER)]
    una = [facts[c]["wait"] for c in (X, Y, Z)]
    talk = [facts[c]["talk"] for c in (SLOW, RING, XFER)]
    within = sum(w <= SL_T for w in ans)                 # 4 s and 0 s, not ringq's 14 s: 2
    assert within == 2
    counted_abandons = int(facts[Y]["wait"] >= SHORT_ABANDON_S)    # Y waited 3 s >= 2 s: 1
    assert counted_abandons == 1
    overview = figures(queries.summary(db, "overview", f))
    assert overview["offered"] == 6 and overview["answered"] == 3 and overview["unanswered"] == 3
    assert overview["waiting"] == 0 and overview["talking"] == 0
    assert overview["service_level"] == pct(within, 3)                       # 2/3 = 66.7 %
    assert overview["service_level_inclusive"] == pct(within, 3 + 3 - 0)     # 2/6 = 33.3 %
    assert overview["asa"] == pytest.approx(sum(ans) / 3)                    # (4+14+0)/3 ~ 6 s
    near(overview["asa"], (SLOW_RING_S + 14 + 0) / 3)
    assert overview["abandon_rate"] == pct(counted_abandons, 3 + counted_abandons)   # 1/4 = 25 %
    assert overview["short_abandons"] == 0
    assert overview["short_calls"] == sum(t < SHORT_CALL_S for t in talk) == 2   # the 2 s talks
    assert overview["avg_wait"] == pytest.approx(sum(ans + una) / 6)
    assert overview["avg_talk"] == pytest.approx(sum(talk) / 3)
    near(overview["avg_talk"], (SLOW_TALK_S + RINGQ_TALK_S + XFER_TALK_S) / 3)

    per_queue = {r["queue"]: r for r in table(queries.summary(db, "queues", f), "per_queue")}
    assert set(per_queue) == {"sales", "ringq", "waitq"}
    sales, ringq, waitq = per_queue["sales"], per_queue["ringq"], per_queue["waitq"]
    assert (sales["offered"], sales["answered"], sales["unanswered"]) == (2, 2, 0)
    assert sales["service_level"] == pct(2, 2)                 # 4 s and 0 s <= 10 s
    assert sales["asa"] == pytest.approx((facts[SLOW]["wait"] + facts[XFER]["wait"]) / 2)
    assert sales["abandon_rate"] == pytest.approx(0.0)        # 0 abandons / 2 answered
    assert (ringq["offered"], ringq["answered"], ringq["unanswered"]) == (1, 1, 0)
    assert ringq["service_level"] == pytest.approx(0.0)       # 14 s > 10 s
    assert ringq["asa"] == facts[RING]["wait"]
    assert (waitq["offered"], waitq["answered"], waitq["unanswered"]) == (3, 0, 3)
    assert waitq["service_level"] is None and waitq["asa"] is None   # nothing answered: no 0 %
    assert waitq["service_level_inclusive"] == pytest.approx(0.0)    # 0 / 3
    assert waitq["abandon_rate"] == pct(1, 1)                        # 1 / (0 + 1)
    assert waitq["avg_wait"] == pytest.approx(sum(una) / 3)


def test_answered_summary_per_agent_queue_and_who_ended(day, db, f, facts):
    rep = queries.summary(db, "answered_summary", f)
    fig = figures(rep)
    talk = {c: facts[c]["talk"] for c in (SLOW, RING, XFER)}
    wait = {c: facts[c]["wait"] for c in (SLOW, RING, XFER)}
    assert fig["answered"] == 3 and fig["talk_total"] == sum(talk.values())
    assert fig["talk_min"] == min(talk.values()) and fig["talk_max"] == talk[SLOW]
    assert fig["wait_total"] == sum(wait.values()) and fig["wait_max"] == wait[RING]
    assert fig["answered_within_sl"] == 2 and fig["answered_over_sl"] == 1
    agents = {r["agent"]: r for r in table(rep, "per_agent")}
    assert agents["101"]["calls"] == 2 and agents["106"]["calls"] == 1
    assert agents["101"]["talk"] == talk[SLOW] + talk[XFER]
    assert agents["101"]["share"] == pct(2, 3) and agents["106"]["share"] == pct(1, 3)
    ended = {r["reason"]: r["calls"] for r in table(rep, "reasons")}
    assert ended == {"agent": 2, "transfer": 1}
    queues = {r["queue"]: r["calls"] for r in table(rep, "per_queue")}
    assert queues == {"sales": 2, "ringq": 1}


def test_unanswered_summary_reasons_wait_and_position(day, db, f, facts):
    fig = figures(queries.summary(db, "unanswered_summary", f))
    waits = [facts[c]["wait"] for c in (X, Y, Z)]
    assert fig["unanswered"] == 3
    assert fig["wait_total"] == sum(waits) and fig["wait_max"] == facts[X]["wait"]
    assert fig["wait_min"] == min(waits)
    assert fig["position_avg"] == pytest.approx((1 + 2 + 2) / 3)
    assert (fig["position_min"], fig["position_max"]) == (1, 2)
    assert (fig["abandoned"], fig["timeout"], fig["key"], fig["empty"]) == (1, 1, 1, 0)
    assert fig["abandoned_within_sl"] == 1            # Y gave up after 3 s <= 10 s
    assert fig["abandon_rate"] == pct(1, 3 + 1)


def test_acd_attempts_per_call(day, db, f):
    rep = queries.summary(db, "attempts", f)
    fig = figures(rep)
    # answered: 1 (slow answer) + 3 (two unanswered rings, then 106) + 1 (transfer) = 5
    assert fig["attempts_total"] == 5
    assert fig["answered_attempts_avg"] == pytest.approx(5 / 3)
    assert (fig["answered_attempts_min"], fig["answered_attempts_max"]) == (1, 3)
    # nobody was rung for the waitq callers (the only agent was paused)
    assert fig["unanswered_attempts_avg"] == pytest.approx(0.0)
    dist = {r["attempts"]: (r["answered"], r["unanswered"]) for r in table(rep, "distribution")}
    assert dist == {0: (0, 3), 1: (2, 0), 3: (1, 0)}


def test_all_calls_per_caller_number(day, db, f):
    rep = queries.summary(db, "all_calls", f)
    fig = figures(rep)
    assert (fig["calls"], fig["answered"], fig["unanswered"], fig["in_progress"]) == (6, 3, 3, 0)
    assert fig["answered_pct"] == pct(3, 6) and fig["unanswered_pct"] == pct(3, 6)
    assert fig["numbers"] == 6
    numbers = {r["caller"]: r for r in table(rep, "numbers")}
    assert set(numbers) == {X, Y, Z, SLOW, RING, XFER}
    assert numbers[SLOW]["answered"] == 1 and numbers[SLOW]["answered_pct"] == pct(1, 1)
    assert numbers[Y]["unanswered"] == 1 and numbers[Y]["unanswered_pct"] == pct(1, 1)


# -- RPT-7, AT-1..4: agents ----------------------------------------------------------------

def test_desk_agent_session_and_pause_with_reason(day, db, f):
    login = int(day.lines("ADDMEMBER", "waitq")[0][0])
    logout = int(day.lines("REMOVEMEMBER", "waitq")[0][0])
    paused = int(day.lines("PAUSE")[0][0])
    unpaused = int(day.lines("UNPAUSE")[0][0])
    work, pause = logout - login, unpaused - paused
    near(work, day.marks["logout"] - day.marks["login"])          # ~14 s at the desk
    near(pause, day.marks["unpause"] - day.marks["pause"])        # ~11 s of lunch

    rep = queries.summary(db, "agent_time", f)
    agents = {r["agent"]: r for r in table(rep, "per_agent")}
    ewa = agents["105"]
    assert (ewa["sessions"], ewa["work"], ewa["pause"]) == (1, work, pause)
    assert ewa["productive"] == work - pause
    assert ewa["session_min"] == ewa["session_max"] == work
    assert ewa["calls"] == 0 and ewa["occupancy"] == pytest.approx(0.0)   # no talk while ready
    assert table(rep, "pause_reasons") == [{"agent": "105", "reason": "lunch", "pauses": 1,
                                            "pause": pause}]
    fig = figures(rep)
    assert fig["sessions"] == 1 and fig["work"] == work and fig["pause"] == pause

    sessions, _ = queries.details(db, "sessions", f)
    assert [(r["agent"], r["start"], r["end"], r["length"], r["pauses"], r["pause_time"])
            for r in sessions] == [("105", login, logout, work, 1, pause)]
    pauses, _ = queries.details(db, "pauses", f)
    assert [(r["agent"], r["start"], r["end"], r["length"], r["reason"]) for r in pauses] == [
        ("105", paused, unpaused, pause, "lunch")]


def test_agents_report_calls_talk_and_share(day, db, f, facts):
    rep = queries.summary(db, "agents", f)
    agents = {r["agent"]: r for r in table(rep, "per_agent")}
    assert agents["101"]["calls"] == 2
    assert agents["101"]["talk"] == facts[SLOW]["talk"] + facts[XFER]["talk"]
    assert agents["106"]["calls"] == 1 and agents["106"]["talk"] == facts[RING]["talk"]
    # static members have no login sessions: their work time is not measured (None, not 0)
    assert agents["101"]["sessions"] == 0 and agents["101"]["work"] is None
    pairs = {(r["queue"], r["agent"]): r["calls"] for r in table(rep, "per_queue_agent")}
    assert pairs == {("sales", "101"): 2, ("ringq", "106"): 1}


# -- RPT-5: outbound -----------------------------------------------------------------------

def test_outbound_answered_and_busy(day, db, f):
    cdr = [r for r in cdr_rows(day.box) if len(r) > 16 and r[3] == "jns-outbound"]
    assert [r[14] for r in cdr] == ["ANSWERED", "BUSY"]
    billsec = int(cdr[0][13])
    near(billsec, OUT_TALK_S)
    rep = queries.summary(db, "outbound", f)
    fig = figures(rep)
    assert (fig["calls"], fig["answered"], fig["unanswered"]) == (2, 1, 1)
    assert fig["talk_total"] == billsec
    assert table(rep, "per_agent") == [{"agent": "102", "calls": 2, "answered": 1,
                                        "unanswered": 1, "talk": billsec, "avg_talk": billsec}]
    results = {r["disposition"]: r["calls"] for r in table(rep, "dispositions")}
    assert results == {"ANSWERED": 1, "BUSY": 1}
    rows, total = queries.details(db, "outbound_calls", f)
    assert total == 2 and {r["dst"] for r in rows} == {OUT_NUMBER}
    assert [r["agent"] for r in rows] == ["102", "102"]


def test_overview_charts_and_every_count_drills_down_to_its_calls(day, db, f, facts):
    rep = queries.summary(db, "overview", f)
    charts = {c.key: c for c in rep.charts}
    hist = dict(charts["wait_histogram"].series)
    # wait buckets 0-9 s, 10-19 s, ...: answered 4 s and 0 s | 14 s; unanswered 3 s, 2 s | 10 s
    assert hist["Answered"][:3] == [sum(facts[c]["wait"] < 10 for c in (SLOW, RING, XFER)),
                                    sum(10 <= facts[c]["wait"] < 20 for c in (SLOW, RING, XFER)), 0]
    assert hist["Answered"][:2] == [2, 1] and hist["Unanswered"][:2] == [2, 1]
    assert sum(hist["Answered"]) == 3 and sum(hist["Unanswered"]) == 3
    per_hour = dict(charts["calls_per_hour"].series)
    hours = {time.localtime(int(day.event(c, "ENTERQUEUE")[0])).tm_hour for c in (X, SLOW, XFER)}
    assert sum(per_hour["Answered"]) == 3 and sum(per_hour["Unanswered"]) == 3
    assert {h for h in range(24) if per_hour["Answered"][h] or per_hour["Unanswered"][h]} == hours
    agent_charts = {c.key: c for c in queries.summary(db, "agent_time", f).charts}
    occupancy = dict(zip(agent_charts["occupancy"].labels, agent_charts["occupancy"].series[0][1]))
    assert occupancy == {"105": pytest.approx(0.0)}      # only desk agents have sessions
    # a number in a summary opens exactly the calls it counts
    for fig in rep.figures:
        if fig.kind == "int" and fig.drill:
            _rows, total = queries.details(db, fig.drill["report"], f, where=fig.drill["where"])
            assert total == fig.value, (fig.key, fig.drill)
    within, _ = queries.details(db, "answered", f, where={"sl": "within"})
    assert {r["caller"] for r in within} == {SLOW, XFER}
    counted, _ = queries.details(db, "unanswered", f, where={"reason": "abandon", "short": "no"})
    assert [r["caller"] for r in counted] == [Y]


def test_queue_and_agent_filters_narrow_every_report(day, db, facts):
    waitq = queries.make_filter(db, day.start, day.end, queues=["waitq"])
    fig = figures(queries.summary(db, "queues", waitq))
    assert (fig["offered"], fig["answered"], fig["unanswered"]) == (3, 0, 3)
    # agents of a queue = those logged in to it in the period: only the desk agent 105
    assert [r["agent"] for r in table(queries.summary(db, "agent_time", waitq), "per_agent")
            ] == ["105"]
    anna = queries.make_filter(db, day.start, day.end, agents=["101"])
    assert set(rows_by_caller(db, "answered", anna)) == {SLOW, XFER}
    fig = figures(queries.summary(db, "answered_summary", anna))
    assert fig["answered"] == 2
    assert fig["talk_total"] == facts[SLOW]["talk"] + facts[XFER]["talk"]
    assert fig["asa"] == pytest.approx((facts[SLOW]["wait"] + facts[XFER]["wait"]) / 2)
    # a period after the day: nothing, and no invented 0 %
    later = queries.make_filter(db, day.end + 3600, day.end + 7200)
    fig = figures(queries.summary(db, "overview", later))
    assert fig["offered"] == 0 and fig["service_level"] is None and fig["asa"] is None
    assert fig["abandon_rate"] is None
