"""The FastAGI server: bad input gets a clean hangup and a clear log line, never a crash;
many calls are served at once (real Asterisk, real SIPp calls)."""
from __future__ import annotations

import logging
import socket
import subprocess
import time

import pytest

from appliance.devbox import free_port
from appliance.store import config, db as store
from appliance.telephony import agi


@pytest.fixture
def server(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    srv = agi.FastAGIServer(("127.0.0.1", 0), agi.Services(db))
    agi.serve_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


def talk(port: int, lines: list[str], replies: dict[str, str] | None = None) -> list[str]:
    """Act as Asterisk: send the env lines, answer commands from `replies`, collect commands."""
    got = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rw", encoding="utf-8", newline="\n")
        for line in lines:
            f.write(line + "\n")
        f.flush()
        while True:
            cmd = f.readline()
            if not cmd:
                break
            got.append(cmd.strip())
            if cmd.strip() == "HANGUP":
                break
            for prefix, reply in (replies or {}).items():
                if cmd.startswith(prefix):
                    f.write(reply + "\n")
                    f.flush()
                    break
            else:
                break
    return got


ENV = ["agi_request: agi://127.0.0.1/ivr", "agi_network_script: ivr", "agi_channel: PJSIP/x-1",
       "agi_arg_1: main"]


@pytest.mark.parametrize("lines,why", [
    (["this is not agi", ""], "not 'agi_<name>: <value>'"),
    (["agi_channel: PJSIP/x", ""], "no agi_request"),
    (["\x00\x01\x02 binary", ""], "not 'agi_<name>: <value>'"),
    (["agi_request: agi://x/" + "a" * 9000, ""], "longer than"),
])
def test_malformed_environment_gets_hangup_and_clear_error(server, caplog, lines, why):
    with caplog.at_level(logging.ERROR, logger="appliance.telephony.agi"):
        got = talk(server.port, lines)
    assert got == ["HANGUP"]
    assert any("malformed input" in r.message and why in r.message for r in caplog.records), caplog.text
    # the server still serves a good call afterwards
    good = talk(server.port, ENV + [""], {"GET FULL VARIABLE": "200 result=0", "GET DATA": "200 result=1"})
    assert good[0].startswith("GET FULL VARIABLE")


def test_garbage_result_line_mid_call_gets_hangup(server, caplog):
    with caplog.at_level(logging.ERROR, logger="appliance.telephony.agi"):
        got = talk(server.port, ENV + [""], {"GET FULL VARIABLE": "banana split"})
    assert got[-1] == "HANGUP"
    assert "expected an AGI result line" in caplog.text


def test_good_session_decides_queue_for_key_1(server):
    got = talk(server.port, ENV + [""], {
        "GET FULL VARIABLE": "200 result=1 (|)", "GET DATA": "200 result=1",
        "SET VARIABLE": "200 result=1"})
    assert got[:2] == ['GET FULL VARIABLE "${JNS_IVR_PATH}|${JNS_LANG}"', "GET DATA hello-world 5000 1"]
    assert 'SET VARIABLE "JNS_ACTION" "queue"' in got
    assert 'SET VARIABLE "JNS_TARGET" "support"' in got


def test_unknown_script_is_refused_cleanly(server, caplog):
    got = talk(server.port, ["agi_request: agi://127.0.0.1/nope", "agi_network_script: nope", ""])
    assert got == ["HANGUP"]
    assert "no AGI handler named 'nope'" in caplog.text


@pytest.mark.asterisk
def test_many_simultaneous_callers_are_served_at_once(devbox, sipp):
    """20 callers hit the IVR together; each presses 2 -> 'hangup' (goodbye), all succeed."""
    config.add_ivr_menu(devbox.db, "bye", "hello-world", {"2": ("hangup", "")},
                        fallback=("queue", "support"))
    config.add_inbound_route(devbox.db, "200", "ivr", "bye")
    devbox.apply_config()
    procs = []
    for _ in range(20):
        port = free_port()
        procs.append(subprocess.Popen(
            ["sipp", f"127.0.0.1:{devbox.layout.sip_port}", "-sf", "caller.xml", "-s", "200",
             "-key", "caller", "48600100300", "-key", "digit", "2", "-d", "2500",
             "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-m", "1",
             "-nostdin", "-timeout", "60s"], cwd=sipp.dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    rcs = [p.wait(timeout=90) for p in procs]
    assert rcs == [0] * 20, rcs
    deadline = time.monotonic() + 10
    while devbox.agi_server.by_script.get("recorded", 0) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert devbox.agi_server.by_script == {"route": 20, "ivr": 20, "recorded": 20}
    assert devbox.agi_server.failures == 0
    assert devbox.agi_server.peak_active >= 10, f"at most {devbox.agi_server.peak_active} at once"
