"""The walking skeleton, end to end, with real SIP calls into real Asterisk 22.

caller dials DID 100 -> FastAGI IVR plays the greeting and reads a key -> key 1 -> queue
"support" -> agent 101 (a SIPp phone) answers -> MixMonitor records -> the agent hangs up.
Everything asserted comes from Asterisk's own output: queue_log, CDR CSV, the recording.
"""
from __future__ import annotations

import csv
import pytest
import subprocess
import time
from pathlib import Path

pytestmark = pytest.mark.asterisk

TALK_MS = 4000


def wait_for(predicate, timeout=15.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def queue_log(box) -> list[list[str]]:
    path = box.asterisk.log_dir / "queue_log"
    return [line.split("|") for line in path.read_text().splitlines()] if path.exists() else []


def cdr_rows(box) -> list[list[str]]:
    path = box.asterisk.log_dir / "cdr-csv" / "Master.csv"
    return list(csv.reader(path.open())) if path.exists() else []


def test_call_through_ivr_to_queue_is_answered_logged_and_recorded(devbox, sipp, agent_port):
    agent = sipp.agent(agent_port, talk_ms=TALK_MS)
    time.sleep(0.3)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="1")
    assert result.returncode == 0, f"caller's call failed:\n{result.stdout[-2000:]}\n{result.stderr}"
    agent.wait(timeout=30)
    assert agent.returncode == 0, f"agent phone did not complete its call: {agent.stderr.read()}"

    # queue_log: the caller's journey through queue "support", answered by Agent 101
    events = wait_for(lambda: [e for e in queue_log(devbox) if e[4].startswith("COMPLETE")] and queue_log(devbox))
    calls = [e for e in events if e[2] == "support"]
    kinds = [e[4] for e in calls]
    assert "ENTERQUEUE" in kinds and "CONNECT" in kinds, kinds
    assert "COMPLETEAGENT" in kinds, f"agent hung up first, expected COMPLETEAGENT: {kinds}"
    uniqueid = calls[0][1]
    assert all(e[1] == uniqueid for e in calls), "one call, one uniqueid"
    enter = next(e for e in calls if e[4] == "ENTERQUEUE")
    assert enter[6] == "48600100200", f"caller number in ENTERQUEUE: {enter}"
    connect = next(e for e in calls if e[4] == "CONNECT")
    assert connect[3] == "Agent 101"
    complete = next(e for e in calls if e[4] == "COMPLETEAGENT")
    talk_s = int(complete[6])
    assert abs(talk_s - TALK_MS / 1000) <= 1, f"talk time {talk_s}s vs agent's {TALK_MS} ms"

    # The IVR really decided (not the dialplan fallback)
    # The route service and the IVR really decided (not the dialplan fallbacks), and the
    # recording went into the index
    assert devbox.agi_server.by_script == {"route": 1, "ivr": 1, "recorded": 1}
    assert devbox.agi_server.failures == 0

    # CDR: the answered leg of this call with the right disposition and billsec
    rows = wait_for(lambda: [r for r in cdr_rows(devbox) if uniqueid in r and "ANSWERED" in r])
    assert rows, f"no ANSWERED CDR for {uniqueid}: {cdr_rows(devbox)}"
    bridged = [r for r in rows if r[6].startswith("PJSIP/101")]
    assert bridged, f"no CDR row with the agent's channel: {rows}"
    row = bridged[0]
    # cdr_csv columns: accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,
    # start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield
    assert row[1] == "48600100200"
    assert row[7] == "Queue"
    billsec = int(row[13])
    assert billsec > 0 and abs(billsec - TALK_MS / 1000) <= 2, row
    assert "did=100" in row[17] and "rec=" in row[17], row[17]
    assert "ivr=main:1/" in row[17], f"the IVR's key path is not on the call: {row[17]}"

    # the recording: exists where the CDR says, lasts as long as the conversation, not silent
    rec_rel = dict(p.split("=", 1) for p in row[17].split("&") if "=" in p)["rec"]
    rec = devbox.asterisk.recordings_dir / rec_rel
    assert wait_for(lambda: rec.exists() and rec.stat().st_size > 0), f"no recording {rec}"
    duration = float(subprocess.run(["soxi", "-D", str(rec)], capture_output=True, text=True,
                                    check=True).stdout)
    assert abs(duration - TALK_MS / 1000) <= 1.0, f"recording lasts {duration}s"
    stat = subprocess.run(["sox", str(rec), "-n", "stat"], capture_output=True, text=True).stderr
    rms = float(next(l for l in stat.splitlines() if l.startswith("RMS     amplitude")).split()[-1])
    assert rms > 0.01, f"recording is silent:\n{stat}"


def test_no_key_falls_back_to_the_menu_fallback(devbox, sipp, agent_port):
    """A caller who presses an invalid key three times still reaches the queue."""
    devbox.db.execute("UPDATE ivr_menus SET timeout_s = 1")
    agent = sipp.agent(agent_port, talk_ms=1500)
    time.sleep(0.3)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="7")
    assert result.returncode == 0, result.stdout[-2000:]
    agent.wait(timeout=30)
    events = wait_for(lambda: [e for e in queue_log(devbox) if e[4] == "CONNECT"])
    assert events and events[0][3] == "Agent 101"


def test_asterisk_log_has_no_warnings_about_our_config(devbox):
    text = devbox.log_text()
    assert "Asterisk" in text and "Fully Booted" in text or text, "messages.log is empty"
    bad = [l for l in text.splitlines() if "WARNING[" in l or "ERROR[" in l]
    assert not bad, "Asterisk complained:\n" + "\n".join(bad)
