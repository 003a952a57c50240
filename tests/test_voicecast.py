"""Voice mailing (AUTO-1) on a real Asterisk 22: the campaign dialer calls SIPp callees behind
the trunk (tests/sipp/callee_voice.xml: what a callee does depends on the number dialled),
plays each one their own message spoken by espeak-ng, and a SIPp agent (a static member of
the campaign's queue) takes the callee who presses 1.

One run over every kind of callee: listens to the end, busy, no answer, presses 1 (an agent
takes it), presses 2 (hears it twice), hangs up at once (tried again), an answering machine
(gets the short message); a number on the do-not-call list is never dialled.  Then the
per-number report, its totals and its CSV/XLSX files.
"""
from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from appliance.campaigns import campaigns, lists, report, voicecast
from appliance.devbox import DevBox, free_port
from appliance.store import config
from appliance.telephony.ami import AMIClient
from tests.conftest import Sipp, require_rootfs, require_sipp
from tests.test_dialer import Watch, max_overlap
from tests.test_skeleton_call import wait_for

pytestmark = pytest.mark.asterisk

# callee_voice.xml: 4851K......
LISTENS, BUSY, NOANSWER, PRESSES_1, PRESSES_2, HANGS_UP, MACHINE = (
    f"+4851{k}000001" for k in range(1, 8))
DNC = "+48511000099"            # would answer, but is on the do-not-call list
AGENT = "201"
AGENT_TALK_MS = 2000
MESSAGE = ("Dzień dobry {name}. Do zapłaty {amount} złotych. "
           "Naciśnij jeden, aby porozmawiać z konsultantem.")
MAX_LINES = 3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The whole campaign, run to its end once; the tests read what it left."""
    require_rootfs()
    require_sipp()
    tmp = tmp_path_factory.mktemp("voicecast")
    agent_port, carrier_port = free_port(), free_port()
    box = DevBox(tmp / "box")
    db = box.db
    config.add_agent(db, AGENT, "Agent Anna", contact=f"sip:{AGENT}@127.0.0.1:{agent_port}",
                     login=False)
    config.save_queue(db, "windykacja", "Windykacja", members=[AGENT], member_timeout=10)
    config.add_trunk(db, "carrier", "127.0.0.2", port=carrier_port)
    box.start()
    sipp = Sipp(tmp / "sipp")
    # a person says "hello" when answering: half a second of tone, then silence (AMD: HUMAN)
    subprocess.run(["sox", "-D", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "al",
                    str(sipp.dir / "hello.al"), "synth", "0.5", "sine", "440", "pad", "0", "5.5"],
                   check=True)
    agent = sipp.agent(agent_port, AGENT_TALK_MS, calls=1)
    callee = subprocess.Popen(
        [require_sipp(), "-sf", "callee_voice.xml", "-i", "127.0.0.2", "-p", str(carrier_port),
         "-mp", str(free_port()), "-nostdin", "-timeout", "600s", "-trace_err"],
        cwd=sipp.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sipp.procs.append(callee)
    watch = Watch()
    watcher = AMIClient("127.0.0.1", box.layout.ami_port, box.layout.ami_user,
                        box.layout.ami_secret, name="testwatch").start()
    for name in ("Newchannel", "Hangup", "UserEvent"):
        watcher.on_event(name, watch.on_event)
    connects: list[dict] = []
    watcher.on_event("AgentConnect", connects.append)
    assert watcher.wait_connected(20)
    watcher.action("Events", EventMask="call,agent,user")

    list_id = lists.create_list(db, "dłużnicy")
    lists.add_fields(db, list_id, ["amount"])
    people = {LISTENS: ("Jan Kowalski", "120"), BUSY: ("Ewa Nowak", "75"),
              NOANSWER: ("Piotr Zieliński", "300"), PRESSES_1: ("Anna Wiśniewska", "42"),
              PRESSES_2: ("Marek Lewandowski", "980"), HANGS_UP: ("Ola Wójcik", "15"),
              MACHINE: ("Adam Kamiński", "61"), DNC: ("Zofia Dąbrowska", "5")}
    contact = {phone: lists.add_contact(db, list_id, phone, name=name, fields={"amount": amount})
               for phone, (name, amount) in people.items()}
    lists.dnc_add(db, DNC, note="asked not to be called", user="test")
    cid = campaigns.save_campaign(
        db, "przypomnienie", user="test", queue="windykacja", lists=[list_id], kind="voice",
        message_text=MESSAGE, message_lang="pl", connect_key="1", repeat_key="2",
        max_repeats=1, amd=1, machine_action="short",
        machine_text="Prosimy o kontakt, {name}.", max_lines=MAX_LINES, ring_s=15,
        window_start="00:00", window_end="23:59", weekdays="1234567", caller_id="221234567",
        max_attempts=2, retry_noanswer_s=1, retry_busy_s=1, retry_failed_s=1,
        retry_machine_s=1, noagent_prompt="")
    dialer = box.start_dialer(host_root=str(box.asterisk.dir), tick_s=0.3)
    campaigns.set_status(db, cid, "running", "test")
    try:
        finished = wait_for(lambda: db.execute("SELECT status FROM campaigns WHERE id = ?",
                                               [cid]).fetchone()[0] == "finished", timeout=150)
        try:
            agent_rc = agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent_rc = None
        yield {"box": box, "db": db, "cid": cid, "contact": contact, "finished": finished,
               "agent_rc": agent_rc, "watch": watch, "connects": connects,
               "host_root": str(box.asterisk.dir), "dialer": dialer}
    finally:
        dialer.stop()
        dialer.ami.close()
        watcher.close()
        sipp.stop()
        box.stop()


def calls_of(run, phone: str) -> list[dict]:
    return [dict(r) for r in run["db"].query(
        "SELECT * FROM campaign_calls WHERE campaign_id = ? AND phone = ? ORDER BY id",
        [run["cid"], phone])]


def test_every_callee_gets_the_outcome_of_what_they_did(run):
    assert run["finished"], "the campaign did not finish"
    finals = {p: calls_of(run, p)[-1]["outcome"] if calls_of(run, p) else None
              for p in (LISTENS, BUSY, NOANSWER, PRESSES_1, PRESSES_2, HANGS_UP, MACHINE)}
    assert finals == {LISTENS: "listened", BUSY: "busy", NOANSWER: "noanswer",
                      PRESSES_1: "connected", PRESSES_2: "listened", HANGS_UP: "answered",
                      MACHINE: "machine"}
    states = {r["phone"]: (r["state"], r["attempts"]) for r in run["db"].query(
        "SELECT c.phone, k.state, k.attempts FROM campaign_contacts k JOIN contacts c "
        "ON c.id = k.contact_id WHERE k.campaign_id = ?", [run["cid"]])}
    # reached once: done; busy and no answer: both attempts, then failed; an early hang-up
    # is tried again (then done: attempts used up); the machine got its short message
    assert states[LISTENS] == ("done", 1)
    assert states[PRESSES_1] == ("done", 1)
    assert states[PRESSES_2] == ("done", 1)
    assert states[MACHINE] == ("done", 1)
    assert states[BUSY] == ("failed", 2)
    assert states[NOANSWER] == ("failed", 2)
    assert states[HANGS_UP] == ("done", 2)
    assert [c["outcome"] for c in calls_of(run, HANGS_UP)] == ["answered", "answered"]


def test_the_key_reaches_an_agent_and_the_repeat_plays_it_twice(run):
    pressed = calls_of(run, PRESSES_1)[-1]
    assert pressed["pressed"] == "1"
    assert pressed["agent"] == AGENT and pressed["connected_at"]
    assert run["agent_rc"] == 0, "the agent's phone did not take a call"
    assert any(ev.get("Uniqueid") == pressed["uniqueid"] for ev in run["connects"])
    listened = calls_of(run, LISTENS)[-1]
    repeated = calls_of(run, PRESSES_2)[-1]
    assert listened["listened"] == 1 and listened["pressed"] == ""
    assert repeated["listened"] == 1 and repeated["pressed"] == "2"
    # the whole message once, then 2 s of it before the key and the whole message again
    assert repeated["heard_s"] > listened["heard_s"] + 1.5
    early = calls_of(run, HANGS_UP)[0]
    assert early["heard_s"] is not None and early["heard_s"] < voicecast.EARLY_HANGUP_S
    assert early["listened"] == 0
    assert calls_of(run, MACHINE)[-1]["amd"].startswith("MACHINE")


def test_the_do_not_call_number_is_never_dialled(run):
    assert calls_of(run, DNC) == []
    state = run["db"].execute("SELECT state FROM campaign_contacts WHERE campaign_id = ? AND "
                              "contact_id = ?", [run["cid"], run["contact"][DNC]]).fetchone()[0]
    assert state == "dnc"
    with run["watch"].lock:
        dialled = [ch for ch, *_ in run["watch"].channels.values()]
    assert dialled and not any("48511000099" in ch for ch in dialled)


def test_never_more_lines_than_the_campaign_allows(run):
    rows = list(run["db"].query("SELECT uniqueid FROM campaign_calls WHERE campaign_id = ?",
                                [run["cid"]]))
    with run["watch"].lock:
        spans = [(run["watch"].channels[r["uniqueid"]][2], run["watch"].channels[r["uniqueid"]][3])
                 for r in rows if r["uniqueid"] in run["watch"].channels]
    assert len(spans) == len(rows) and all(end for _, end in spans)
    assert max_overlap(spans) <= MAX_LINES
    assert max_overlap(spans) == MAX_LINES       # it did use every line


def test_each_contact_hears_their_own_message(run):
    root, cid = Path(run["host_root"]), run["cid"]
    jan, marek = run["contact"][LISTENS], run["contact"][PRESSES_2]
    assert voicecast.spoken_text(run["host_root"], cid, jan) == (
        "Dzień dobry Jan Kowalski. Do zapłaty 120 złotych. "
        "Naciśnij jeden, aby porozmawiać z konsultantem.")
    assert "Marek Lewandowski" in voicecast.spoken_text(run["host_root"], cid, marek)
    assert "980" in voicecast.spoken_text(run["host_root"], cid, marek)
    # each one's own sound was made (its size and digest are kept) ...
    one, two = (voicecast.spoken(run["host_root"], cid, str(c)) for c in (jan, marek))
    assert one["bytes"] > 8000 and two["bytes"] > 8000
    assert one["sha256"] != two["sha256"]
    machine = run["contact"][MACHINE]
    assert voicecast.spoken(run["host_root"], cid, f"{machine}-machine")["bytes"] > 8000
    # ... and removed once the contact was done with (it would fill the box's disk)
    for stem in (jan, marek, f"{machine}-machine"):
        assert not (root / "voicecast" / str(cid) / f"{stem}.wav").exists()
    # nothing was made for the do-not-call number
    assert voicecast.spoken(run["host_root"], cid, str(run["contact"][DNC])) is None


def test_report_per_number_and_totals_with_files(run):
    import datetime as dt
    today = dt.date.today()
    rep = report.build(run["db"], run["cid"], today, today)
    rows = {r["phone"]: r for r in rep.numbers}
    assert rows[PRESSES_1]["outcome"] == "connected" and rows[PRESSES_1]["agent"] == AGENT
    assert rows[PRESSES_2]["pressed"] == "2" and rows[PRESSES_2]["listened"] == "yes"
    assert rows[NOANSWER]["attempts"] == 2 and rows[NOANSWER]["outcome"] == "noanswer"
    assert rows[DNC]["outcome"] == "dnc" and rows[DNC]["attempts"] == 0
    t = rep.voice_totals
    assert (t["numbers"], t["answered"], t["listened"], t["pressed"], t["connected"],
            t["noanswer"], t["busy"], t["machine"], t["dnc"]) == (8, 4, 2, 1, 1, 1, 1, 1, 1)
    out = io.StringIO()
    report.write_csv(rep, out)
    text = out.getvalue()
    assert "Per number" in text and "Listened to the end" in text
    table = list(csv.reader(io.StringIO(text)))
    line = next(r for r in table if r and r[0] == PRESSES_1)
    assert "Connected to an agent" in line and AGENT in line
