"""Failed-authentication floods are blocked (WD-1, security part).

Without Asterisk: AuthGuard's counting, blocking, expiry and allow-list over a real SQLite
file, fed with events shaped exactly as Asterisk's AMI sends them (copied from a real
session); the panel's own failed logins through Flask's test client; the rendered PJSIP ACL.

With Asterisk (marked asterisk): SIPp floods REGISTERs with a wrong password from
127.0.0.5; the security events travel over a real AMI connection into AuthGuard; the block
goes through the database, the renderer and the config applier into Asterisk, which then
refuses 127.0.0.5 without a challenge while 127.0.0.1 still calls; the block expires.
"""
from __future__ import annotations

import socket
import subprocess
import time

import pytest

from appliance.devbox import free_port
from appliance.store import config, security
from appliance.store.db import StoreError, open_db
from appliance.telephony import render
from appliance.telephony.ami import AMIClient
from appliance.watchdog.security import AuthGuard, remote_address
from appliance.webui import create_app
from tests.conftest import require_sipp
from tests.test_skeleton_call import wait_for
from tests.test_webui import ADMIN_PW, do_setup, login, text


class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def failed_register(address: str, port: int = 5060, account: str = "101") -> dict:
    """A ChallengeResponseFailed event as Asterisk 22 sends it over AMI."""
    return {"Event": "ChallengeResponseFailed", "Privilege": "security,all",
            "Severity": "Error", "Service": "PJSIP", "EventVersion": "1",
            "AccountID": account, "SessionID": "1-26714@" + address,
            "LocalAddress": "IPV4/UDP/127.0.0.1/5060",
            "RemoteAddress": f"IPV4/UDP/{address}/{port}", "Challenge": "1b2c",
            "Response": "9f8e", "ExpectedResponse": ""}


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "box.db")


def test_remote_address_from_security_events():
    assert remote_address("IPV4/UDP/203.0.113.5/5060") == "203.0.113.5"
    assert remote_address("IPV4/TCP/127.0.0.1/48938") == "127.0.0.1"
    assert remote_address("IPV6/UDP/2001:db8::5/5060") == "2001:db8::5"
    assert remote_address("IPV6/TLS/[2001:db8::5]/5061") == "2001:db8::5"
    assert remote_address("") is None and remote_address("IPV4/UDP/nonsense/1") is None


def test_flood_is_blocked_at_the_threshold_and_the_block_expires(db):
    clock = Clock()
    guard = AuthGuard(db, threshold=10, window_s=60, block_s=600, now=clock)
    for i in range(9):
        guard.feed(failed_register("203.0.113.5", 5060 + i))
        clock.t += 1
    assert security.list_blocks(db, clock.t) == []
    assert guard.check() == []
    guard.feed({"Event": "ChallengeSent", "Service": "PJSIP",   # not a failure
                "RemoteAddress": "IPV4/UDP/203.0.113.5/5060"})
    assert security.list_blocks(db, clock.t) == []
    guard.feed(failed_register("203.0.113.5"))
    blocks = security.list_blocks(db, clock.t)
    assert [b["address"] for b in blocks] == ["203.0.113.5"]
    assert blocks[0]["until"] == pytest.approx(clock.t + 600)
    assert config.snapshot(db)["blocked_sources"] == ["203.0.113.5"]
    problems = guard.check()
    assert len(problems) == 1
    check, severity, msg = problems[0]
    until = time.strftime("%H:%M", time.localtime(clock.t + 600))
    assert (check, severity) == ("security", "warning")
    assert msg == f"SIP: 10 failed authentications from 203.0.113.5 in 60 s; blocked until {until}"
    assert problems[0].subject == "203.0.113.5"
    # the failures are kept for the security page
    by_source = security.failures_by_source(db, clock.t - 3600)
    assert by_source[0]["address"] == "203.0.113.5" and by_source[0]["count"] == 10
    assert by_source[0]["services"] == "sip" and by_source[0]["blocked_until"] is not None
    # another source is counted on its own
    for _ in range(5):
        guard.feed(failed_register("198.51.100.7"))
    assert [b["address"] for b in security.list_blocks(db, clock.t)] == ["203.0.113.5"]
    clock.t += 601
    assert guard.check() == []
    assert security.list_blocks(db, clock.t) == [] and config.snapshot(db)["blocked_sources"] == []


def test_a_blocked_attacker_cannot_fill_the_database(db):
    clock = Clock()
    guard = AuthGuard(db, threshold=10, window_s=60, block_s=600, now=clock)
    for _ in range(10):
        guard.feed(failed_register("203.0.113.5"))
    guard.check()
    rows = db.execute("SELECT count(*) FROM auth_failures").fetchone()[0]
    until = security.list_blocks(db, clock.t)[0]["until"]
    for _ in range(5000):      # Asterisk's FailedACL for every packet while blocked
        guard.feed({**failed_register("203.0.113.5"), "Event": "FailedACL"})
    guard.check()
    assert db.execute("SELECT count(*) FROM auth_failures").fetchone()[0] == rows
    assert guard.refused["203.0.113.5"] == 5000
    assert security.list_blocks(db, clock.t)[0]["until"] == until   # not extended


def test_failures_spread_wider_than_the_window_do_not_block(db):
    clock = Clock()
    guard = AuthGuard(db, threshold=5, window_s=60, block_s=600, now=clock)
    for _ in range(20):
        guard.feed(failed_register("203.0.113.9"))
        clock.t += 20          # 3 per minute: under 5 in 60 s
    assert security.list_blocks(db, clock.t) == []


def test_the_box_itself_and_the_allow_list_are_never_blocked(db):
    security.save_security_settings(db, allow_list="192.168.1.0/24\n10.0.0.7")
    clock = Clock()
    guard = AuthGuard(db, threshold=3, window_s=60, block_s=600, now=clock)
    for address in ("127.0.0.1", "::1", "192.168.1.44", "10.0.0.7"):
        for _ in range(10):
            guard.feed(failed_register(address))
    assert security.list_blocks(db, clock.t) == []
    problems = guard.check()
    assert {p.subject for p in problems} == {"127.0.0.1", "::1", "192.168.1.44", "10.0.0.7"}
    assert all("not blocked" in p.text for p in problems)
    for address in ("127.0.0.1", "::1", "192.168.1.1"):
        with pytest.raises(StoreError, match="never blocked"):
            security.block_source(db, address, clock.t + 60, "by hand")
    # 127.0.0.5 is not the box's own address: it can be blocked
    for _ in range(3):
        guard.feed(failed_register("127.0.0.5"))
    assert [b["address"] for b in security.list_blocks(db, clock.t)] == ["127.0.0.5"]


def test_security_settings_round_trip_and_refuse_bad_values(db):
    assert security.security_settings(db) == {"threshold": 10, "window_s": 60, "block_s": 3600,
                                               "allow_list": []}
    security.save_security_settings(db, threshold="25", window_s=120, block_s="900",
                                    allow_list=["192.168.1.10", "192.168.2.0/24"])
    saved = security.security_settings(db)
    assert saved == {"threshold": 25, "window_s": 120, "block_s": 900,
                     "allow_list": ["192.168.1.10/32", "192.168.2.0/24"]}
    for bad, message in ((dict(threshold="ten"), "whole number"),
                         (dict(threshold=1), "from 3 to"),
                         (dict(block_s=5), "from 60 to"),
                         (dict(threshold=50, allow_list="192.168.1.300"), "not an IP address")):
        with pytest.raises(StoreError, match=message):
            security.save_security_settings(db, **bad)
    assert security.security_settings(db) == saved     # nothing half-saved


def test_guard_follows_the_admins_settings_and_resumes_after_restart(db):
    security.save_security_settings(db, threshold=4, window_s=60, block_s=120)
    clock = Clock()
    guard = AuthGuard(db, now=clock)
    for _ in range(3):
        guard.feed(failed_register("203.0.113.20"))
    guard.check()                    # stored
    clock.t += 5
    restarted = AuthGuard(db, now=clock)   # the watchdog restarts
    restarted.feed(failed_register("203.0.113.20"))
    block = security.list_blocks(db, clock.t)[0]
    assert block["address"] == "203.0.113.20"
    assert block["until"] == pytest.approx(clock.t + 120)


def test_unblock_by_hand(db):
    security.block_source(db, "203.0.113.5", time.time() + 600, "test")
    assert security.blocked_until(db, "203.0.113.5") is not None
    assert security.unblock_source(db, "203.0.113.5") is True
    assert security.blocked_until(db, "203.0.113.5") is None
    assert security.unblock_source(db, "203.0.113.5") is False
    with pytest.raises(StoreError, match="not an IP address"):
        security.block_source(db, "example.com", time.time() + 600, "test")


def test_rendered_pjsip_has_an_acl_only_while_something_is_blocked(db):
    config.seed_demo(db)
    layout = render.Layout(ami_secret="x")
    plain = render.render_files(config.snapshot(db), layout)["pjsip.conf"]
    assert "type = acl" not in plain
    security.block_source(db, "203.0.113.5", time.time() + 600, "test")
    security.block_source(db, "2001:db8::5", time.time() + 600, "test")
    files = render.render_files(config.snapshot(db), layout)
    acl = files["pjsip.conf"].split("[blocked-sources]")[1]
    assert "type = acl" in acl and "deny = 203.0.113.5" in acl and "deny = 2001:db8::5" in acl
    assert "permit" not in acl
    assert "security" in files["manager.conf"].split("read = ")[1].splitlines()[0]


def test_panel_login_flood_blocks_the_address(tmp_path):
    app = create_app(str(tmp_path / "web.db"))
    app.config["TESTING"] = True
    db = app.extensions["jns_db"].get()
    assert do_setup(app.test_client()).status_code == 302
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    guard = AuthGuard(open_db(tmp_path / "web.db"), threshold=5, window_s=60, block_s=900)
    statuses = [login(attacker, "admin", f"guess-{i}").status_code for i in range(8)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}   # the panel's throttle
    guard.check()
    assert [b["address"] for b in security.list_blocks(db)] == ["203.0.113.66"]
    assert "panel: 5 failed authentications from 203.0.113.66" in security.list_blocks(db)[0]["reason"]
    # even the right password is refused from there now...
    attacker_right = app.test_client()
    attacker_right.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    db.execute("DELETE FROM login_failures")   # not the throttle: the block refuses
    r = login(attacker_right, "admin", ADMIN_PW)
    assert r.status_code == 429 and "Zbyt wiele" in text(r)
    # ...while the admin from another address logs in
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "198.51.100.10"
    assert login(admin, "admin", ADMIN_PW).status_code == 302
    security.unblock_source(db, "203.0.113.66")
    assert login(attacker_right, "admin", ADMIN_PW).status_code == 302


# -- with real Asterisk ------------------------------------------------------------------------

ATTACKER = "127.0.0.5"


def sip_probe(box, method: str = "REGISTER") -> str | None:
    """One request from the attacker's address over a plain UDP socket; Asterisk's status
    line, or None when nothing came back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((ATTACKER, 0))
        sock.settimeout(3)
        port = sock.getsockname()[1]
        target = f"127.0.0.1:{box.layout.sip_port}"
        uri = f"sip:{target}" if method == "REGISTER" else f"sip:100@{target}"
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {ATTACKER}:{port};branch=z9hG4bK-{time.time_ns()};rport\r\n"
               f"From: <sip:101@127.0.0.1>;tag=probe\r\nTo: <sip:101@127.0.0.1>\r\n"
               f"Call-ID: probe-{time.time_ns()}@{ATTACKER}\r\nCSeq: 1 {method}\r\n"
               f"Contact: <sip:101@{ATTACKER}:{port}>\r\nMax-Forwards: 70\r\nExpires: 60\r\n"
               "Content-Length: 0\r\n\r\n")
        sock.sendto(msg.encode(), ("127.0.0.1", box.layout.sip_port))
        try:
            while True:
                line = sock.recv(65535).decode(errors="replace").splitlines()[0]
                if not line.startswith("SIP/2.0 1"):    # skip 100 Trying
                    return line
        except socket.timeout:
            return None


@pytest.mark.asterisk
def test_register_flood_from_sipp_is_blocked_by_asterisk(devbox, sipp):
    box = devbox
    security.save_security_settings(box.db, threshold=10, window_s=60, block_s=60)
    ami = AMIClient("127.0.0.1", box.layout.ami_port, box.layout.ami_user,
                    box.layout.ami_secret, name="guard").start()
    try:
        assert ami.wait_connected(20)
        guard = AuthGuard(open_db(box.db_path)).attach(ami)
        assert sip_probe(box).startswith("SIP/2.0 401")     # before: challenged like anyone
        flood = subprocess.run(
            [require_sipp(), f"127.0.0.1:{box.layout.sip_port}", "-sf", "register_flood.xml",
             "-key", "ext", "101", "-au", "101", "-ap", "not-the-password",
             "-i", ATTACKER, "-p", str(free_port()), "-m", "25", "-r", "20",
             "-nostdin", "-timeout", "60s", "-trace_err"],
            cwd=sipp.dir, capture_output=True, text=True, timeout=90)
        assert flood.returncode == 0, flood.stdout[-2000:] + flood.stderr[-2000:]
        assert wait_for(lambda: security.list_blocks(box.db), timeout=10), \
            "AMI security events did not block the source"
        block = security.list_blocks(box.db)[0]
        assert block["address"] == ATTACKER
        assert block["reason"].startswith(f"SIP: ") and f"from {ATTACKER}" in block["reason"]
        problems = guard.check()
        assert [(p.check, p.severity, p.subject) for p in problems] == \
            [("security", "warning", ATTACKER)]
        assert wait_for(lambda: box.applier.in_sync(box.db), timeout=20)
        # Asterisk now refuses the attacker outright (no challenge), for any request
        assert wait_for(lambda: sip_probe(box) == "SIP/2.0 403 Forbidden", timeout=10, step=0.5)
        assert sip_probe(box, "INVITE") == "SIP/2.0 403 Forbidden"
        # ...while the box's own address still calls: DID 100, key 1 -> queue support
        agent = sipp.agent(box_agent_port(box), talk_ms=2000)
        call = sipp.call(box.layout.sip_port, "100", "1")
        assert call.returncode == 0, call.stdout[-2000:]
        agent.wait(timeout=30)
        # the block runs out (watchdog's check) and Asterisk challenges again
        security.block_source(box.db, ATTACKER, time.time() + 1, block["reason"])
        time.sleep(1.2)
        guard.check()
        assert security.list_blocks(box.db) == []
        assert wait_for(lambda: box.applier.in_sync(box.db), timeout=20)
        assert wait_for(lambda: (sip_probe(box) or "").startswith("SIP/2.0 401"),
                        timeout=10, step=0.5)
    finally:
        ami.close()
    # Asterisk's only complaints are the refusals of the blocked source themselves
    bad = [line for line in box.log_text().splitlines()
           if (" WARNING[" in line or " ERROR[" in line)
           and f"Incoming SIP message from {ATTACKER}:" not in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])
    assert any(f"Incoming SIP message from {ATTACKER}:" in line for line in box.log_text().splitlines())


def box_agent_port(box) -> int:
    """The port of agent 101's SIPp phone (the devbox fixture's demo contact)."""
    contact = config.snapshot(box.db)["agents"][0]["contact"]
    return int(contact.rsplit(":", 1)[1])
