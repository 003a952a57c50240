"""The inbound call center, feature by feature, with real SIP calls into real Asterisk 22.

Each test changes the configuration only through appliance.store.config (what the panel
calls), lets the box's config applier render and reload Asterisk, places SIPp calls and
asserts on Asterisk's own facts: queue_log, the CDR, recording files, AMI events.
"""
from __future__ import annotations

import subprocess
import threading
import time
import wave

import pytest

from appliance.devbox import free_port
from appliance.store import config, users
from appliance.telephony import sounds
from tests.test_skeleton_call import cdr_rows, queue_log, wait_for

pytestmark = pytest.mark.asterisk


@pytest.fixture(autouse=True)
def clean_asterisk_log(request, devbox):
    """Whatever a test does, Asterisk must not complain about our configuration."""
    yield
    bad = [line for line in devbox.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


def applied(box) -> None:
    """Wait until the config applier has put the database's state into Asterisk."""
    assert wait_for(lambda: box.applier.in_sync(box.db), timeout=20), "configuration not applied"
    time.sleep(0.3)   # the reload command itself


def entered(box, queue: str) -> list[list[str]]:
    return [e for e in queue_log(box) if e[2] == queue and e[4] == "ENTERQUEUE"]


def userfield(box, uniqueid: str) -> str:
    rows = wait_for(lambda: [r for r in cdr_rows(box) if r[16] == uniqueid])
    return " ".join(r[17] for r in rows)


def agi_commands(box) -> list[dict]:
    """Asterisk's AGIExecStart/End events as {command, result, seconds}: what it really
    played and read, and for how long (as received here)."""
    started: dict[tuple[str, str], float] = {}
    done: list[dict] = []

    def on_start(ev):
        started[(ev.get("Channel"), ev.get("CommandId"))] = time.monotonic()

    def on_end(ev):
        t0 = started.get((ev.get("Channel"), ev.get("CommandId")))
        done.append({"command": ev.get("Command", ""), "result": ev.get("Result", ""),
                     "seconds": time.monotonic() - t0 if t0 else None})
    box.ami.on_event("AGIExecStart", on_start)
    box.ami.on_event("AGIExecEnd", on_end)
    return done


def tone_wav(path, seconds: float) -> None:
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", "600"], check=True)


def test_caller_walks_three_menu_levels_by_dtmf_into_the_right_queue(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "sales", "Sales", members=["101"])
    config.save_menu(db, "level3", "hello-world", {"1": ("queue", "sales")}, fallback=("queue", "support"))
    config.save_menu(db, "level2", "hello-world", {"3": ("menu", "level3")}, fallback=("queue", "support"))
    config.save_menu(db, "main", "hello-world", {"1": ("queue", "support"), "2": ("menu", "level2")},
                     fallback=("queue", "support"))
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000)
    result = sipp.call_keys(devbox.layout.sip_port, "100", [(1500, "2"), (1200, "3"), (1200, "1")])
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    calls = wait_for(lambda: [e for e in queue_log(devbox) if e[4] == "COMPLETEAGENT"])
    assert calls and calls[0][2] == "sales", queue_log(devbox)
    assert not entered(devbox, "support")
    assert "ivr=main:2/level2:3/level3:1/" in userfield(devbox, calls[0][1])


def test_invalid_key_then_timeout_reaches_the_fallback(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "fallbackq", "Fallback", members=["101"])
    config.save_menu(db, "main", "hello-world", {"1": ("queue", "support")},
                     fallback=("queue", "fallbackq"), timeout_s=2, max_tries=2)
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000)
    result = sipp.call_keys(devbox.layout.sip_port, "100", [(1000, "7")])   # 7: no such key
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    enter = wait_for(lambda: entered(devbox, "fallbackq"))
    assert enter and not entered(devbox, "support"), queue_log(devbox)
    assert "ivr=main:-/" in userfield(devbox, enter[0][1])


def test_operator_key_during_a_long_prompt_reaches_the_operator(devbox, sipp, agent_port):
    db = devbox.db
    tone_wav(devbox.workdir / "long.wav", 40)
    sounds.store_prompt(db, devbox.asterisk.dir / "prompts", "long", "pl",
                        upload=devbox.workdir / "long.wav")
    config.save_queue(db, "operators", "Operators", members=["101"])
    config.save_menu(db, "main", "long", {"1": ("queue", "support")}, fallback=("queue", "support"))
    config.save_settings(db, operator_key="0", operator_action="queue", operator_target="operators")
    applied(devbox)
    commands = agi_commands(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000)
    result = sipp.call_keys(devbox.layout.sip_port, "100", [(3000, "0")])
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    enter = wait_for(lambda: entered(devbox, "operators"))
    assert enter, queue_log(devbox)
    assert "ivr=main:0/" in userfield(devbox, enter[0][1])
    # Asterisk's own account: the 40 s prompt was cut short by the key
    played = [c for c in commands if "prompts/pl/long" in c["command"]]
    assert played and played[0]["seconds"] < 20, (played, commands)


def test_blacklisted_number_is_rejected_unanswered_and_logged(devbox, sipp):
    rule = config.blacklist_add(devbox.db, "48600666", match="prefix", note="abusive")
    result = sipp.rejected_call(devbox.layout.sip_port, "100", caller="48600666123")
    assert result.returncode == 0, f"expected 403, got:\n{result.stdout[-2000:]}"
    rows = wait_for(lambda: [r for r in cdr_rows(devbox) if r[1] == "48600666123"])
    assert rows and all(r[14] != "ANSWERED" for r in rows), rows
    assert "blocked=1" in rows[0][17]
    logged = devbox.db.execute("SELECT caller, did, rule_id FROM blocked_calls").fetchall()
    assert logged == [("48600666123", "100", rule)]
    assert not [e for e in queue_log(devbox) if e[4] == "ENTERQUEUE"]


def test_vip_caller_entering_after_two_others_is_answered_first(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "vipq", "VIP test", members=["101"])
    config.save_route(db, "300", "queue", "vipq")
    config.save_caller_rule(db, "48600777000", vip=True, name="Big Customer")
    applied(devbox)
    resp = devbox.ami.action("QueuePause", Queue="vipq", Interface="PJSIP/101", Paused="true")
    assert resp.get("Response") == "Success", resp
    callers = []
    for number in ("48600100001", "48600100002", "48600777000"):
        callers.append(sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller=number,
                                      wait=False))
        assert wait_for(lambda: any(e[6] == number for e in entered(devbox, "vipq")), timeout=15)
    agent = sipp.agent(agent_port, talk_ms=1000, calls=3)
    time.sleep(0.3)
    devbox.ami.action("QueuePause", Queue="vipq", Interface="PJSIP/101", Paused="false")
    assert [c.wait(timeout=60) for c in callers] == [0, 0, 0]
    agent.wait(timeout=30)
    number_of = {e[1]: e[6] for e in entered(devbox, "vipq")}
    order = [number_of[e[1]] for e in queue_log(devbox) if e[2] == "vipq" and e[4] == "CONNECT"]
    assert order == ["48600777000", "48600100001", "48600100002"], order


def test_recording_by_number_list_records_only_listed_callers(devbox, sipp, agent_port):
    db = devbox.db
    config.save_settings(db, rec_mode="list", rec_numbers="48600111\n")
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=3000, calls=2)
    for caller in ("48600111222", "48600999999"):
        result = sipp.call(devbox.layout.sip_port, did="100", digit="1", caller=caller)
        assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    rows = wait_for(lambda: list(db.query("SELECT * FROM recordings")), timeout=10)
    assert [r["caller"] for r in rows] == ["48600111222"], rows
    rec = rows[0]
    assert rec["called"] == "100" and rec["queue"] == "support" and rec["agent"] == "101"
    path = devbox.asterisk.dir / "spool" / "monitor" / rec["path"]
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert abs(seconds - 3) <= 1, seconds
    # the index says how long it is (measured once MixMonitor has finished the file)
    assert wait_for(lambda: abs(db.execute("SELECT seconds FROM recordings").fetchone()[0]
                                - seconds) < 0.2, timeout=10)
    other = [r for r in cdr_rows(devbox) if r[1] == "48600999999"]
    assert other and all("rec=" not in r[17] for r in other)


def test_on_demand_key_records_just_the_part_between_presses(devbox, sipp, agent_port):
    db = devbox.db
    config.save_settings(db, rec_mode="none", rec_ondemand_key="*1")
    applied(devbox)
    # agent: answers, after 1.5 s presses *1 (start), 3 s later *1 (stop), talks 2.5 s more
    agent = sipp.agent_keys(agent_port, [(1500, "*"), (150, "1"), (3000, "*"), (150, "1")],
                            end_ms=2500)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="1")
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    assert agent.returncode == 0, agent.stderr.read()
    rows = wait_for(lambda: list(db.query("SELECT * FROM recordings")), timeout=10)
    assert len(rows) == 1 and rows[0]["path"].endswith("-ondemand.wav"), rows
    with wave.open(str(devbox.asterisk.dir / "spool" / "monitor" / rows[0]["path"])) as w:
        seconds = w.getnframes() / w.getframerate()
    talk = [int(e[6]) for e in queue_log(devbox) if e[4] == "COMPLETEAGENT"][0]
    assert talk >= 6, talk
    assert 2.0 <= seconds <= 4.5, f"recorded {seconds:.1f} s of a {talk} s call"


def test_polish_text_to_speech_prompt_is_played_to_a_polish_caller(devbox, sipp, agent_port):
    db = devbox.db
    prompts = devbox.asterisk.dir / "prompts"
    pl = sounds.store_prompt(db, prompts, "powitanie", "pl",
                             text="Dzień dobry. Witamy w centrum obsługi klienta.")
    sounds.store_prompt(db, prompts, "powitanie", "en", text="Good morning. Welcome.")
    config.save_menu(db, "main", "powitanie", {"1": ("queue", "support")}, fallback=("queue", "support"))
    config.save_caller_rule(db, "4860", match="prefix", lang="pl")
    config.save_caller_rule(db, "44", match="prefix", lang="en")
    applied(devbox)
    commands = agi_commands(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000, calls=2)
    for caller in ("48600100200", "447700900123"):
        result = sipp.call_keys(devbox.layout.sip_port, "100", [(int(pl * 1000) + 1500, "1")],
                                caller=caller)
        assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    played = [c for c in commands if "powitanie" in c["command"]]
    assert len(played) == 2, commands
    assert "prompts/pl/powitanie" in played[0]["command"], played
    assert "prompts/en/powitanie" in played[1]["command"], played
    # the Polish caller heard the whole Polish prompt before pressing 1
    assert played[0]["seconds"] >= pl, (played, pl)
    assert [e[6] for e in entered(devbox, "support")] == ["48600100200", "447700900123"]


def test_closed_hours_send_callers_to_the_closed_destination(devbox, sipp, agent_port):
    db = devbox.db
    today = time.strftime("%Y-%m-%d")
    config.save_schedule(db, "office", [(d, "00:00", "23:59") for d in range(7)],
                         holidays=[(today, "test holiday")])
    config.save_queue(db, "afterhours", "After hours", members=["101"])
    config.save_route(db, "100", "menu", "main", schedule="office", closed=("queue", "afterhours"))
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=3000)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="5", dtmf_delay_ms=300)
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    assert wait_for(lambda: entered(devbox, "afterhours")), queue_log(devbox)


def test_known_caller_prefix_goes_to_their_department(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "corporate", "Corporate", members=["101"])
    config.save_caller_rule(db, "4822", match="prefix", name="Warsaw office",
                            destination=("queue", "corporate"))
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=3000)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="5", dtmf_delay_ms=300, caller="48221234567")
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    enter = wait_for(lambda: entered(devbox, "corporate"))
    assert enter and enter[0][6] == "48221234567"


def test_pin_verification_lets_the_right_pin_through_and_locks_out_guessers(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "verified", "Verified", members=["101"])
    config.save_menu(db, "vip", "hello-world", {"1": ("queue", "verified")},
                     fallback=("queue", "verified"))
    config.save_menu(db, "main", "hello-world", {"1": ("queue", "support"), "5": ("pin", "vip")},
                     fallback=("queue", "support"))
    config.save_caller_rule(db, "48600100200", pin="4321")
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000, calls=2)
    pin = [(1500, "5"), (1500, "4"), (200, "3"), (200, "2"), (200, "1"), (200, "#")]
    result = sipp.call_keys(devbox.layout.sip_port, "100", pin)
    assert result.returncode == 0, result.stdout[-2000:]
    assert wait_for(lambda: entered(devbox, "verified")), queue_log(devbox)
    # a guesser from another number: three wrong PINs, then the menu's fallback
    wrong = [(1500, "5")]
    for first, digit in ((1500, "9"), (2500, "8"), (2500, "7")):
        wrong += [(first, digit)] + [(200, digit)] * 3 + [(200, "#")]
    result = sipp.call_keys(devbox.layout.sip_port, "100", wrong, caller="48600555555")
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    assert len(entered(devbox, "verified")) == 1
    assert [e[6] for e in entered(devbox, "support")] == ["48600555555"]
    failures = db.execute("SELECT count(*) FROM pin_failures WHERE caller = '48600555555'").fetchone()[0]
    assert failures == 3


def test_full_queue_and_long_wait_overflow_with_the_queues_own_music(devbox, sipp, agent_port):
    db = devbox.db
    tone_wav(devbox.workdir / "music.wav", 5)
    sounds.store_moh(devbox.asterisk.dir / "moh", "small", devbox.workdir / "music.wav")
    config.save_queue(db, "overflowq", "Overflow", members=["101"])
    config.save_queue(db, "small", "Small", members=["101"], max_callers=1, max_wait=10,
                      musiconhold="small", overflow=("queue", "overflowq"))
    config.save_route(db, "300", "queue", "small")
    applied(devbox)
    moh: list[dict] = []
    devbox.ami.on_event("MusicOnHoldStart", moh.append)
    devbox.ami.action("QueuePause", Queue="small", Interface="PJSIP/101", Paused="true")
    agent = sipp.agent(agent_port, talk_ms=1000, calls=2)
    first = sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller="48600100001",
                           wait=False)
    assert wait_for(lambda: entered(devbox, "small"), timeout=15)
    # the queue is full: the second caller goes straight to the overflow
    second = sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller="48600100002")
    assert second.returncode == 0, second.stdout[-2000:]
    # the first waited its 10 s with the queue's own music, then went to the overflow too
    assert first.wait(timeout=60) == 0
    agent.wait(timeout=30)
    log = queue_log(devbox)
    assert [e[6] for e in entered(devbox, "small")] == ["48600100001"]
    assert [e[4] for e in log if e[2] == "small"][-1] == "EXITWITHTIMEOUT", log
    assert sorted(e[6] for e in entered(devbox, "overflowq")) == ["48600100001", "48600100002"]
    assert any(m.get("Class") == "jns-small" for m in moh), moh


def test_queue_nobody_can_answer_sends_callers_to_its_overflow(devbox, sipp, agent_port):
    db = devbox.db
    # agent 102 has no phone registered: the queue is empty from the start
    config.save_queue(db, "nobody", "Nobody", members=["102"], overflow=("queue", "support"))
    config.save_route(db, "300", "queue", "nobody")
    applied(devbox)
    agent = sipp.agent(agent_port, talk_ms=3000)
    result = sipp.call(devbox.layout.sip_port, did="300", digit="5", dtmf_delay_ms=500)
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    enter = wait_for(lambda: entered(devbox, "support"))
    assert enter and not entered(devbox, "nobody")
    assert "queue=JOINEMPTY" in userfield(devbox, enter[0][1])


def test_admin_records_a_prompt_from_their_phone_and_agents_may_not(devbox, sipp):
    db = devbox.db
    secret = {r[0]: r[1] for r in db.execute("SELECT extension, secret FROM agents")}
    admin = users.create_user(db, "kierownik", "correct horse battery", "admin")
    db.execute("UPDATE users SET agent_id = (SELECT id FROM agents WHERE extension = '101') "
               "WHERE id = ?", [admin])
    result = sipp.phone_call(devbox.layout.sip_port, "101", secret["101"], "*7742", talk_ms=3000)
    assert result.returncode == 0, result.stdout[-2000:]
    row = db.execute("SELECT lang, source, seconds FROM prompts WHERE name = 'phone42'").fetchone()
    assert row is not None and row[:2] == ("pl", "phone"), row
    assert 2 <= row[2] <= 4.5, row
    path = sounds.prompt_path(devbox.asterisk.dir / "prompts", "phone42", "pl")
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    assert float(stat.split("RMS     amplitude:")[1].split()[0]) > 0.01, stat   # the tone, not silence
    # agent 102's user is not an admin: refused, nothing saved
    result = sipp.phone_call(devbox.layout.sip_port, "102", secret["102"], "*7743", talk_ms=300)
    assert result.returncode == 0, result.stdout[-2000:]
    assert db.execute("SELECT count(*) FROM prompts WHERE name = 'phone43'").fetchone()[0] == 0


def test_outbound_only_mode_records_agents_outside_calls_not_inbound_ones(devbox, sipp, agent_port):
    db = devbox.db
    carrier_port = free_port()
    config.add_trunk(db, "carrier", "127.0.0.2", port=carrier_port)
    config.save_settings(db, rec_mode="outbound")
    applied(devbox)
    # the carrier answers the agent's outside call and hangs up after 3 s
    far_end = sipp.agent(carrier_port, talk_ms=3000, ip="127.0.0.2")
    secret = db.execute("SELECT secret FROM agents WHERE extension = '101'").fetchone()[0]
    result = sipp.phone_call(devbox.layout.sip_port, "101", secret, "0048221234567", talk_ms=1000)
    assert result.returncode == 0, result.stdout[-2000:]
    assert far_end.wait(timeout=30) == 0
    # an inbound call in the same mode is not recorded
    agent = sipp.agent(agent_port, talk_ms=2000)
    assert sipp.call(devbox.layout.sip_port, did="100", digit="1").returncode == 0
    agent.wait(timeout=30)
    rows = wait_for(lambda: list(db.query("SELECT * FROM recordings")), timeout=10)
    assert [(r["direction"], r["caller"], r["called"], r["agent"]) for r in rows] == \
        [("out", "101", "48221234567", "101")], rows
    with wave.open(str(devbox.asterisk.dir / "spool" / "monitor" / rows[0]["path"])) as w:
        assert abs(w.getnframes() / w.getframerate() - 3) <= 1


def test_operator_key_while_waiting_in_a_queue(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "operators", "Operators", members=["101"])
    config.save_queue(db, "waitq", "Waiting", members=["101"])
    config.save_route(db, "300", "queue", "waitq")
    config.save_settings(db, operator_action="queue", operator_target="operators")
    applied(devbox)
    devbox.ami.action("QueuePause", Queue="waitq", Interface="PJSIP/101", Paused="true")
    agent = sipp.agent(agent_port, talk_ms=1000)
    result = sipp.call_keys(devbox.layout.sip_port, "300", [(2500, "0")])
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    log = queue_log(devbox)
    # (DID / INFO: our own lines for the reports, logged by the dialplan before Queue())
    assert [e[4] for e in log if e[2] == "waitq" and e[1] != "NONE"
            and e[4] not in ("DID", "INFO")] == ["ENTERQUEUE", "EXITWITHKEY"], log
    assert [e[5] for e in log if e[2] == "waitq" and e[4] == "DID"] == ["300"], log
    enter = wait_for(lambda: entered(devbox, "operators"))
    assert enter and "operator=queue" in userfield(devbox, enter[0][1])


def test_language_key_replays_the_menu_in_the_chosen_language(devbox, sipp, agent_port):
    db = devbox.db
    prompts = devbox.asterisk.dir / "prompts"
    sounds.store_prompt(db, prompts, "powitanie", "pl", text="Dla języka angielskiego naciśnij dziewięć.")
    sounds.store_prompt(db, prompts, "powitanie", "en", text="Press one for support.")
    config.save_menu(db, "main", "powitanie", {"1": ("queue", "support"), "9": ("language", "en")},
                     fallback=("queue", "support"))
    applied(devbox)
    commands = agi_commands(devbox)
    agent = sipp.agent(agent_port, talk_ms=1000)
    result = sipp.call_keys(devbox.layout.sip_port, "100", [(1500, "9"), (1500, "1")])
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    played = [c["command"].split()[2] for c in commands if "powitanie" in c["command"]]
    assert [p.rsplit("/", 2)[1] for p in played] == ["pl", "en"], played
    enter = wait_for(lambda: entered(devbox, "support"))
    assert enter and "ivr=main:9/main:1/" in userfield(devbox, enter[0][1])


def test_waiting_callers_hear_their_position_and_the_estimated_wait(devbox, sipp, agent_port):
    db = devbox.db
    config.save_queue(db, "waitq", "Waiting", members=["101"], announce_position=1,
                      announce_holdtime=1, announce_frequency=20)
    config.save_route(db, "300", "queue", "waitq")
    applied(devbox)
    # Asterisk's own account of what it played to whom: a verbose log channel for this test
    devbox.asterisk.cli("logger add channel played.log verbose(3)")
    played = devbox.asterisk.log_dir / "played.log"

    def heard() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for line in played.read_text().splitlines() if played.exists() else []:
            if "Playing '" in line:
                channel = line.split("<")[1].split(">")[0]
                out.setdefault(channel, []).append(line.split("Playing '")[1].split(".")[0])
        return out

    devbox.ami.action("QueuePause", Queue="waitq", Interface="PJSIP/101", Paused="true")
    first = sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller="48600100001", wait=False)
    assert wait_for(lambda: entered(devbox, "waitq"), timeout=15)
    second = sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller="48600100002", wait=False)
    # the second caller hears their position: "there are" 2 "calls waiting" ("you are 2nd")
    told = ["queue-thereare", "digits/2", "queue-callswaiting"]
    assert wait_for(lambda: any(p[i:i + 3] == told for p in heard().values()
                                for i in range(len(p))), timeout=30), heard()
    agent = sipp.agent(agent_port, talk_ms=500, calls=2)
    devbox.ami.action("QueuePause", Queue="waitq", Interface="PJSIP/101", Paused="false")
    assert first.wait(timeout=60) == 0 and second.wait(timeout=60) == 0
    agent.wait(timeout=30)
    prompts = sorted(heard().values())
    assert prompts[0][0] == "queue-thereare" and prompts[1][0] == "queue-youarenext", prompts
    # and the estimated wait: "the estimated hold time is" N "seconds" (or minutes)
    told = next(p for p in heard().values() if "queue-holdtime" in p)
    after = told[told.index("queue-holdtime") + 1:]
    assert after[0].startswith("digits/") and after[1] in ("queue-minutes", "queue-seconds"), told


def test_saving_configuration_during_a_call_does_not_drop_it(devbox, sipp, agent_port):
    agent = sipp.agent(agent_port, talk_ms=6000)
    caller = sipp.call_keys(devbox.layout.sip_port, "100", [(1500, "1")], wait=False)
    assert wait_for(lambda: [e for e in queue_log(devbox) if e[4] == "CONNECT"], timeout=20)
    before = devbox.applier.applied
    # an admin saves while the call is bridged: new queue, menu changed, new blacklist entry
    config.save_queue(devbox.db, "sales", "Sales", members=["102"])
    config.save_menu(devbox.db, "main", "hello-world", {"1": ("queue", "support"), "2": ("queue", "sales")},
                     fallback=("queue", "support"))
    config.blacklist_add(devbox.db, "48700")
    applied(devbox)
    assert devbox.applier.applied > before
    assert caller.wait(timeout=30) == 0 and agent.wait(timeout=30) == 0
    complete = [e for e in queue_log(devbox) if e[4] == "COMPLETEAGENT"]
    assert complete and abs(int(complete[0][6]) - 6) <= 1, queue_log(devbox)


def test_announcements_play_our_prompt_in_the_callers_language_then_end_the_call(devbox, sipp):
    db = devbox.db
    prompts = devbox.asterisk.dir / "prompts"
    sounds.store_prompt(db, prompts, "zamkniete", "pl", text="Biuro jest zamknięte.")
    sounds.store_prompt(db, prompts, "zamkniete", "en", text="The office is closed.")
    config.save_menu(db, "main", "hello-world", {"1": ("queue", "support"), "3": ("announcement", "zamkniete")},
                     fallback=("queue", "support"))
    # a queue nobody can answer overflows to the same announcement (decided by the dialplan)
    config.save_queue(db, "nobody", "Nobody", members=["102"], overflow=("announcement", "zamkniete"))
    config.save_route(db, "300", "queue", "nobody")
    config.save_caller_rule(db, "44", match="prefix", lang="en")
    applied(devbox)
    devbox.asterisk.cli("logger add channel played.log verbose(3)")
    played = devbox.asterisk.log_dir / "played.log"
    assert sipp.call_keys(devbox.layout.sip_port, "100", [(1500, "3")]).returncode == 0
    assert sipp.call_keys(devbox.layout.sip_port, "300", [(300, "5")], caller="447700900123").returncode == 0
    text = played.read_text()
    assert "prompts/pl/zamkniete" in text and "prompts/en/zamkniete" in text, text[-3000:]
    assert not [e for e in queue_log(devbox) if e[4] == "ENTERQUEUE"]


def test_voicemail_destination_takes_a_message(devbox, sipp):
    db = devbox.db
    config.save_menu(db, "main", "hello-world", {"1": ("queue", "support"), "4": ("voicemail", "102")},
                     fallback=("queue", "support"))
    applied(devbox)
    # key 4; the greeting (~12 s) and the beep; the caller's tone as the message; # ends it
    result = sipp.call_keys(devbox.layout.sip_port, "100", [(1500, "4"), (25000, "#")])
    assert result.returncode == 0, result.stdout[-2000:]
    inbox = devbox.asterisk.dir / "spool" / "voicemail" / "jns" / "102" / "INBOX"
    messages = wait_for(lambda: sorted(inbox.glob("msg*.wav")) if inbox.exists() else [])
    assert messages, f"no message in {inbox}"
    with wave.open(str(messages[0])) as w:
        assert 5 <= w.getnframes() / w.getframerate() <= 20
    vm_conf = (devbox.asterisk.etc_parent / "current" / "voicemail.conf").read_text()
    assert "102 = 102," not in vm_conf     # the mailbox PIN is not the extension
