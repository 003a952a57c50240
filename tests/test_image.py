"""The firmware image, booted in qemu (SeaBIOS) and used from outside like an installer
would: a technician logs in on the serial console and reads the status page; an admin sets
the panel's password over HTTPS on the forwarded port in Chromium; a carrier's SIPp call
enters the box, passes the IVR and is answered by a queue agent; then the admin downloads
an encrypted backup, factory-resets the box, and restores the backup on the blank box.
The UEFI (OVMF) boot is test_update_image.py's.  Needs `make image` (`make test` builds it).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from appliance.vm import VM, free_port
from tests.boxpanel import Panel

pytestmark = pytest.mark.image

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "images" / "jns-pbx-x86_64.img"
BOOT_TIMEOUT = 900          # software emulation on 2 cores; typically a few minutes
CONSOLE_PW = "console-pass-123"
ADMIN_PW = "panel-admin-pass-123"


def need_image() -> Path:
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    return IMAGE


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    vm = VM(need_image(), tmp_path_factory.mktemp("vm"), firmware="bios").start()
    vm.expect(r"jns-pbx login: ", timeout=BOOT_TIMEOUT)
    yield vm
    vm.stop()


def test_console_login_and_status_over_serial(box):
    box.sendline("tech")
    box.expect(r"No console password is set", timeout=120)
    box.expect(r"New console password: ")
    box.sendline("short")
    box.expect(r"Too short")
    box.expect(r"New console password: ")
    box.sendline(CONSOLE_PW)
    box.expect(r"Type it again: ")
    box.sendline(CONSOLE_PW)
    box.expect(r"Console password saved")
    box.expect(r"Enter an option: ", timeout=60)
    # wait until our services are up before reading the status page
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        box.sendline("1")
        screen = ""
        while True:   # the status may run over one screen page
            m = box.expect(r"Press Enter to return|(-- more --)", timeout=180)
            screen += m.string
            if not m.group(1):
                break
            box.sendline("")
        if "version 22." in screen or time.monotonic() > deadline:
            break
        box.sendline("")
        box.expect(r"Enter an option: ")
        time.sleep(10)
    assert "Asterisk     running" in screen, screen
    assert "version 22." in screen, screen
    assert "jns-agid: active" in screen and "jns-web: active" in screen, screen
    assert "jns-watchdog: active" in screen and "jns-modemd: active" in screen, screen
    assert "jns-calld: active" in screen and "jns-reports: active" in screen, screen
    assert "Disk /data" in screen and "10.0.2.15" in screen, screen
    box.sendline("")
    box.expect(r"Enter an option: ")
    # the watchdog's alarms, read from the box's database by the console
    box.sendline("a")
    box.expect(r"Active now:", timeout=60)
    # a box busy booting under emulation may already have a page full of load alarms
    more = box.expect(r"Press Enter to return|(-- more --)", timeout=60).group(1)
    box.sendline("q" if more else "")
    box.expect(r"Enter an option: ")


def test_admin_sets_panel_password_over_https(box):
    from playwright.sync_api import expect, sync_playwright
    box.wait_panel(timeout=BOOT_TIMEOUT)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_context(ignore_https_errors=True, locale="en-US").new_page()
            page.set_default_timeout(60_000)
            page.goto(box.panel_url + "/")
            assert page.url.endswith("/setup")
            page.fill("#username", "admin")
            page.fill("#password", ADMIN_PW)
            page.fill("#password2", ADMIN_PW)
            page.click("button.primary")
            expect(page.locator(".stats")).to_contain_text("22.10.")
            cookie = next(c for c in page.context.cookies() if c["name"] == "jns_session")
            assert cookie["secure"] and cookie["httpOnly"]
        finally:
            browser.close()


def test_the_box_serves_the_softphones_secure_websocket(box):
    """The desk's browser softphone connects to wss://<box>:8089/ws: Asterisk on the box
    serves it over TLS with the panel's certificate (copied where Asterisk may read it),
    answers the agent's "accept the certificate" page and upgrades to SIP over WebSocket."""
    import base64
    import os
    import socket
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    key = base64.b64encode(os.urandom(16)).decode()
    deadline, reply, cert = time.monotonic() + BOOT_TIMEOUT, "", None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", box.wss_port), timeout=10) as raw, \
                    ctx.wrap_socket(raw) as tls:
                cert = tls.getpeercert(binary_form=True)
                tls.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
                            .encode())
                reply = tls.recv(4096).decode("latin-1")
                if reply.startswith("HTTP/1.1 101"):
                    break
        except OSError:
            pass
        time.sleep(3)
    assert reply.startswith("HTTP/1.1 101"), reply or "no TLS answer on the wss port"
    assert "sec-websocket-protocol: sip" in reply.lower()
    # the same certificate as the panel's, so accepting one is accepting the other
    with socket.create_connection(("127.0.0.1", box.https_port), timeout=10) as raw, \
            ctx.wrap_socket(raw) as tls:
        assert tls.getpeercert(binary_form=True) == cert


def shell(box: VM, command: str, timeout: float = 120) -> str:
    """Run a command in the console's shell (menu option 10 must be open)."""
    return box.run(command, timeout=timeout)


def test_sip_call_into_the_box_reaches_ivr_and_queue(box, sipp):
    agent_port = free_port()
    box.sendline("10")
    box.expect(r"[#$] ", timeout=60)
    # the host is the carrier (10.0.2.2 in qemu's user network) and agent 101's phone
    shell(box, f"jns trunk-add carrier 10.0.2.2 && jns agent-contact 101 sip:101@10.0.2.2:{agent_port}")
    agent = sipp.agent(agent_port, talk_ms=2000)
    time.sleep(0.5)
    result = sipp.call(box.sip_port, did="100", digit="1", dtmf_delay_ms=3000, timeout_s=120)
    assert result.returncode == 0, result.stdout[-3000:]
    agent.wait(timeout=60)
    assert agent.returncode == 0
    out = shell(box, "grep -E 'ENTERQUEUE|CONNECT|COMPLETE' /data/jns/asterisk/log/queue_log")
    assert "|support|" in out and "|CONNECT|" in out and "|COMPLETEAGENT|" in out, out
    # on its first boot the data partition took the rest of the (6 GB) disk
    out = shell(box, "echo DATA_MB=$(df -BM --output=size /data | tail -1 | tr -dc 0-9); lsblk -b; "
                     "journalctl -b -u jns-firstboot --no-pager | tail -20")
    assert int(re.search(r"DATA_MB=(\d+)", out).group(1)) > 4000, out
    # the root slot is read-only; /var is writable (overlay on /data)
    shell(box, "! touch /usr/jns-rw-test 2>/dev/null && touch /var/jns-rw-test")
    box.sendline("exit")
    box.expect(r"Back from the shell", timeout=60)
    box.sendline("")
    box.expect(r"Enter an option: ", timeout=60)


BACKUP_PW = "backup-pass-1234"


def test_backup_factory_reset_and_restore(box, tmp_path):
    """One backup file carries the box over a factory reset: the same users, trunks and
    console password afterwards."""
    box.wait_panel(timeout=BOOT_TIMEOUT)
    panel = Panel(box.panel_url)
    panel.setup_or_login("admin", ADMIN_PW)
    assert panel.logged_in_as_admin()
    status, _body, job_url = panel.post("/admin/system/backup", {
        "passphrase": BACKUP_PW, "passphrase2": BACKUP_PW}, "/admin/system/")
    assert status == 200 and "/job/" in job_url, job_url
    job = panel.wait_job(job_url)
    assert job["state"] == "done" and job["download"], job
    backup_file = tmp_path / "box.jnsbak"
    backup_file.write_bytes(panel.download(job["download"]))
    assert backup_file.read_bytes().startswith(b"JNSBACKUP1")

    # factory reset: the box's name and the admin's password
    status, body, _ = panel.post("/admin/system/reset", {"confirm": "jns-pbx",
                                                         "password": ADMIN_PW}, "/admin/system/")
    assert status == 200, body[:2000]
    box.console_login(CONSOLE_PW, timeout=BOOT_TIMEOUT)   # the console asks for a new one
    out = box.run("jns show")
    assert '"carrier"' not in out                              # the trunk is gone
    box.wait_panel(timeout=BOOT_TIMEOUT)
    blank = Panel(box.panel_url)
    _status, html = blank.get("/")
    assert "password2" in html                                 # no users: the setup page
    blank.setup_or_login("installer", "installer-pass-123")
    assert blank.logged_in_as_admin()

    # restore on the blank box
    blank.put_file("/admin/system/restore/upload", backup_file)
    status, body, job_url = blank.post("/admin/system/restore", {
        "passphrase": BACKUP_PW, "confirm": "1"}, "/admin/system/restore")
    assert status == 200 and "/job/" in job_url, body[:2000]
    job = blank.wait_job(job_url)
    assert job["state"] == "done", job
    # it restarts; the console password is the one from before the reset again
    box.console_login(CONSOLE_PW, timeout=BOOT_TIMEOUT)
    out = box.run("jns show")
    assert '"carrier"' in out, out
    box.wait_panel(timeout=BOOT_TIMEOUT)
    again = Panel(box.panel_url)
    again.setup_or_login("admin", ADMIN_PW)
    assert again.logged_in_as_admin()
    other = Panel(box.panel_url)
    other.setup_or_login("installer", "installer-pass-123")
    assert not other.logged_in_as_admin()                      # only the backup's users
