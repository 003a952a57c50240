"""Shared fixtures: a real Asterisk 22 from build/rootfs with our services, and SIPp.

Nothing here is faked: `devbox` starts the same DevBox that `make run` uses, on random free
ports, in a temporary directory.  Without the rootfs the tests fail and say how to build it.
"""
from __future__ import annotations

import html
import re
import time

import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.devbox import DevBox, free_port
from appliance.telephony.chroot import default_rootfs

HERE = Path(__file__).resolve().parent
SIPP_DIR = HERE / "sipp"


def require_rootfs() -> Path:
    rootfs = default_rootfs()
    if not (rootfs / "usr/sbin/asterisk").exists():
        pytest.fail(f"no Asterisk in {rootfs}: run `make rootfs` (the README's `make test` does)")
    return rootfs


def require_sipp() -> str:
    sipp = shutil.which("sipp")
    if not sipp:
        pytest.fail("sipp is not installed: apt-get install sip-tester (.ci/run does)")
    return sipp


class Sipp:
    """Runs the committed SIPp scenarios from a scratch directory holding their tone file."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        for xml in SIPP_DIR.glob("*.xml"):
            shutil.copy(xml, self.dir)
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "al",
                        str(self.dir / "tone.al"), "synth", "3", "sine", "440"], check=True)
        self.procs: list[subprocess.Popen] = []

    def agent(self, port: int, talk_ms: int, calls: int = 1, ip: str = "127.0.0.1") -> subprocess.Popen:
        """A SIPp phone that answers `calls` calls and hangs up after talk_ms."""
        proc = subprocess.Popen(
            [require_sipp(), "-sf", "agent.xml", "-i", ip, "-p", str(port),
             "-mp", str(free_port()), "-d", str(talk_ms), "-m", str(calls), "-nostdin",
             "-timeout", "120s", "-trace_err"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return _listening(proc, port)

    def call(self, sip_port: int, did: str, digit: str, *, caller: str = "48600100200",
             dtmf_delay_ms: int = 1500, timeout_s: int = 60) -> subprocess.CompletedProcess:
        """One call from the carrier side; returns when SIPp ends (rc 0 = call succeeded)."""
        return subprocess.run(
            [require_sipp(), f"127.0.0.1:{sip_port}", "-sf", "caller.xml", "-s", did,
             "-key", "caller", caller, "-key", "digit", digit, "-d", str(dtmf_delay_ms),
             "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-m", "1",
             "-nostdin", "-timeout", f"{timeout_s}s", "-trace_err"],
            cwd=self.dir, capture_output=True, text=True, timeout=timeout_s + 30)

    def call_keys(self, sip_port: int, did: str, keys: list[tuple[int, str]], *,
                  caller: str = "48600100200", timeout_s: int = 90,
                  wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
        """A caller who presses several keys: (pause before it in ms, key) each, as SIP INFO;
        then stays on the line until Asterisk hangs up."""
        xml = (SIPP_DIR / "caller.xml").read_text()
        start = xml.index("  <pause/>")
        end = xml.index('  <recv response="200"/>', start) + len('  <recv response="200"/>')
        block = xml[xml.index("  <send retrans", start):end]
        steps = []
        for i, (pause_ms, key) in enumerate(keys):
            steps.append(f'  <pause milliseconds="{pause_ms}"/>\n')
            steps.append(block.replace("CSeq: 2 INFO", f"CSeq: {i + 2} INFO")
                         .replace("Signal=[digit]", f"Signal={key}") + "\n")
        name = f"caller_keys_{abs(hash(tuple(keys)))}.xml"
        (self.dir / name).write_text(xml[:start] + "".join(steps) + xml[end:])
        args = [require_sipp(), f"127.0.0.1:{sip_port}", "-sf", name, "-s", did,
                "-key", "caller", caller, "-key", "digit", "0", "-d", "0",
                "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-m", "1",
                "-nostdin", "-timeout", f"{timeout_s}s", "-trace_err"]
        if not wait:
            proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            self.procs.append(proc)
            return proc
        return subprocess.run(args, cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout_s + 30)

    def rejected_call(self, sip_port: int, did: str, *, caller: str) -> subprocess.CompletedProcess:
        """A caller whose call must be refused (SIP 403, as for Hangup(21)) unanswered."""
        return subprocess.run(
            [require_sipp(), f"127.0.0.1:{sip_port}", "-sf", "caller_rejected.xml", "-s", did,
             "-key", "caller", caller, "-i", "127.0.0.1", "-p", str(free_port()),
             "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "30s", "-trace_err"],
            cwd=self.dir, capture_output=True, text=True, timeout=60)

    def agent_keys(self, port: int, keys: list[tuple[int, str]], end_ms: int) -> subprocess.Popen:
        """An agent's phone that answers one call, presses keys ((pause ms, key) each, as
        SIP INFO) during it, and hangs up end_ms after the last key."""
        xml = (SIPP_DIR / "agent.xml").read_text()
        info = """  <send retrans="500">
    <![CDATA[
      INFO [$remote_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:agent@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      [last_Call-ID:]
      CSeq: CSEQ INFO
      Contact: <sip:agent@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=KEY
      Duration=160
    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""
        steps = "".join(f'  <pause milliseconds="{ms}"/>\n' + info.replace("CSEQ", str(i + 2))
                        .replace("KEY", key) for i, (ms, key) in enumerate(keys))
        steps += f'  <pause milliseconds="{end_ms}"/>\n'
        xml = xml.replace("  <pause/>\n", steps, 1).replace("CSeq: 2 BYE", f"CSeq: {len(keys) + 2} BYE")
        name = f"agent_keys_{abs(hash(tuple(keys)))}.xml"
        (self.dir / name).write_text(xml)
        proc = subprocess.Popen(
            [require_sipp(), "-sf", name, "-i", "127.0.0.1", "-p", str(port),
             "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "120s", "-trace_err"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return _listening(proc, port)

    def phone_call(self, sip_port: int, ext: str, secret: str, number: str, *,
                   talk_ms: int) -> subprocess.CompletedProcess:
        """An agent's phone (digest auth as `ext`) dials an internal number, sends a tone
        for talk_ms, presses # and waits for Asterisk to hang up."""
        return subprocess.run(
            [require_sipp(), f"127.0.0.1:{sip_port}", "-sf", "phone_caller.xml", "-s", number,
             "-key", "ext", ext, "-au", ext, "-ap", secret, "-d", str(talk_ms),
             "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-m", "1",
             "-nostdin", "-timeout", "60s", "-trace_err"],
            cwd=self.dir, capture_output=True, text=True, timeout=90)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=5)


def _listening(proc: subprocess.Popen, port: int) -> subprocess.Popen:
    """A SIPp phone listening before anyone calls it: a loaded machine starts SIPp slowly,
    and a phone that is not there yet looks to a queue like an agent who did not answer."""
    deadline = time.monotonic() + 10
    while not _udp_bound(port) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def _udp_bound(port: int) -> bool:
    """A UDP socket is bound to `port` (read from /proc: probing by binding could race)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(int(line.split()[1].rsplit(":", 1)[1], 16) == port for line in lines):
            return True
    return False


@pytest.fixture
def sipp(tmp_path):
    s = Sipp(tmp_path / "sipp")
    yield s
    s.stop()


def acting_user(db, name: str, role: str = "agent") -> dict:
    """A new panel user as the CRM's functions take the one acting (id, username, role)."""
    from appliance.store import users
    uid = users.create_user(db, name, "a-long-enough-password", role)
    return {"id": uid, "username": name, "role": role}


@pytest.fixture
def sink():
    """A local SMTP server that keeps every message (tests/test_watchdog_notify.py's SmtpSink)."""
    from tests.test_watchdog_notify import SmtpSink
    s = SmtpSink()
    yield s
    s.close()


@pytest.fixture
def warsaw(monkeypatch):
    """The box's local time zone for a test (Europe/Warsaw): its midnight is not UTC's."""
    monkeypatch.setenv("TZ", "Europe/Warsaw")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def agent_port():
    return free_port()


@pytest.fixture
def devbox(tmp_path, agent_port):
    """The appliance with its demo configuration; agent 101 is a SIPp phone on agent_port."""
    require_rootfs()
    box = DevBox(tmp_path / "box", demo_agent_contacts={"101": f"sip:101@127.0.0.1:{agent_port}"})
    box.start()
    yield box
    box.stop()


# -- the panel: shared by the page tests of modules that define their own `app` fixture --

@pytest.fixture
def db(app):
    """The panel's database (the app's own connection for this thread)."""
    return app.extensions["jns_db"].get()


@pytest.fixture
def admin(app):
    """A client logged in as the admin who just set the first password."""
    from tests.test_webui import do_setup
    c = app.test_client()
    assert do_setup(c).status_code == 302
    return c


def client_for(app, db, role: str):
    """A client logged in as a new user "<role>1" with `role`."""
    from appliance.store import users
    from tests.test_webui import ADMIN_PW, login
    users.create_user(db, f"{role}1", ADMIN_PW, role)
    c = app.test_client()
    assert login(c, f"{role}1", ADMIN_PW).status_code == 302
    return c


@pytest.fixture
def sup(app, db, admin):
    """A client logged in as a new supervisor ("supervisor1"), the panel in English."""
    c = client_for(app, db, "supervisor")
    use_english(c)
    return c


# -- panel pages as a reader sees them (shared by the panel test modules) --

def page_text(response) -> str:
    """The page's text with entities like &#39; decoded."""
    return html.unescape(response.get_data(as_text=True))


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the logged-in session, read from a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_text(client.get(path)))
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def use_english(client) -> None:
    client.post("/lang", data={"csrf_token": csrf_token(client), "lang": "en"})


@pytest.fixture
def firmware_box(tmp_path, monkeypatch):
    """A box in files for the update code: release 1.0.100 in slot A, a trusted signing key,
    slot B and GRUB's environment block as files, JNS_DATA, and no reboots."""
    import subprocess
    from appliance.lifecycle import update
    priv, pub = update.keygen(tmp_path / "keys")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "update-signing.pub.pem").write_bytes(pub.read_bytes())
    release = tmp_path / "jns-release"
    release.write_text("JNS_VERSION=1.0.100\nJNS_BOARD=x86_64-pc\nJNS_BUILD=test\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("ro jns.slot=A quiet\n")
    grubenv = tmp_path / "grubenv"
    subprocess.run(["grub-editenv", str(grubenv), "create"], check=True)
    subprocess.run(["grub-editenv", str(grubenv), "set", "jns_slot=A"], check=True)
    data = tmp_path / "data" / "jns"
    data.mkdir(parents=True)
    slot_b = tmp_path / "slotB"
    slot_b.write_bytes(b"old firmware" * 1000)
    env = {"JNS_RELEASE_FILE": str(release), "JNS_UPDATE_KEYS": str(trusted),
           "JNS_CMDLINE": str(cmdline), "JNS_GRUBENV": str(grubenv), "JNS_DATA": str(data),
           "JNS_SLOT_A": str(tmp_path / "slotA"), "JNS_SLOT_B": str(slot_b),
           "JNS_FACTORY_RESET_FLAG": str(tmp_path / "data" / "factory-reset"),
           "JNS_NO_REBOOT": "1"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return {"tmp": tmp_path, "key": priv, "data": data, "slot_b": slot_b, "env": env,
            "grubenv": grubenv, "release": release, "flag": Path(env["JNS_FACTORY_RESET_FLAG"])}
