"""AMI client against real Asterisk: live status, and surviving an Asterisk restart."""
from __future__ import annotations

import threading
import time

import pytest

from appliance.telephony.ami import AMIClient, AMIError
from appliance.telephony.status import asterisk_status

pytestmark = pytest.mark.asterisk


def test_status_reads_version_uptime_and_queues(devbox):
    st = asterisk_status(devbox.ami)
    assert st["version"].startswith("22."), st
    assert 0 <= st["uptime_s"] < 600
    assert [q["name"] for q in st["queues"]] == ["support"]
    assert st["active_channels"] == 0


def test_command_issued_while_asterisk_is_down_runs_after_restart(devbox):
    ami = devbox.ami
    before = ami.connects
    devbox.asterisk.kill()
    deadline = time.monotonic() + 10
    while ami.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not ami.connected, "client did not notice Asterisk went away"

    result = {}

    def ask():
        try:
            result["ok"] = ami.action("CoreSettings", timeout=60)
        except Exception as exc:  # pragma: no cover - reported below
            result["err"] = exc

    t = threading.Thread(target=ask)
    t.start()
    time.sleep(1.0)
    assert t.is_alive(), "the action should wait for Asterisk, not fail at once"
    devbox.asterisk.start()
    devbox.asterisk.wait_fully_booted(60)
    t.join(timeout=60)
    assert "err" not in result, result
    assert result["ok"]["AsteriskVersion"].startswith("22.")
    assert ami.connects == before + 1
    assert asterisk_status(ami)["queues"][0]["name"] == "support"


def test_wrong_secret_reports_a_clear_error(devbox):
    bad = AMIClient("127.0.0.1", devbox.layout.ami_port, "jns", "wrong-secret", name="bad").start()
    try:
        with pytest.raises(AMIError, match="not reachable"):
            bad.action("Ping", timeout=2)
        assert bad.last_error and "Authentication" in bad.last_error
    finally:
        bad.close()


def test_hung_asterisk_is_an_error_not_a_wait_forever(devbox):
    """SIGSTOP: Asterisk keeps its socket open and never answers.  The action must give up
    (the watchdog's checks depend on it), and the client must be fine once Asterisk runs."""
    import os
    import signal

    from appliance.telephony.chroot import _child_pid
    ami = devbox.ami
    asterisk = _child_pid(devbox.asterisk.proc.pid)
    os.kill(asterisk, signal.SIGSTOP)
    try:
        result: dict = {}

        def ping():
            try:
                result["ok"] = ami.action("Ping", timeout=2, retry=False)
            except AMIError as exc:
                result["err"] = str(exc)

        t = threading.Thread(target=ping, daemon=True)
        t.start()
        t.join(timeout=30)
        assert not t.is_alive(), "the action waited for a hung Asterisk without end"
        assert "did not answer Ping" in result.get("err", ""), result
    finally:
        os.kill(asterisk, signal.SIGCONT)
    assert ami.action("Ping", timeout=30)["Response"] == "Success"
    assert asterisk_status(ami)["queues"][0]["name"] == "support"
