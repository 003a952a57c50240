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


@pytest.mark.parametrize("peer", ["closes_at_once", "stays_silent"])
def test_a_connection_without_greeting_is_given_up_and_tried_again(peer):
    """A manager port that accepts and then closes before Asterisk's greeting (Asterisk
    shutting down) or never says anything (hung): the client must not wait forever on it -
    it tries again, so it reaches the restarted Asterisk."""
    import socket
    import threading

    from appliance.telephony import ami as ami_mod
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            if peer == "closes_at_once":
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    old = ami_mod.LOGIN_TIMEOUT_S
    ami_mod.LOGIN_TIMEOUT_S = 1.0
    client = AMIClient("127.0.0.1", listener.getsockname()[1], "jns", "secret", name="t").start()
    try:
        deadline = time.monotonic() + 30
        while len(accepted) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(accepted) >= 3, "the client stopped trying after a connection without greeting"
        assert not client.connected and "greeting" in (client.last_error or "")
    finally:
        ami_mod.LOGIN_TIMEOUT_S = old
        client.close()
        listener.close()
        for conn in accepted:
            conn.close()
