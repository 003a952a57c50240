"""The technician's serial console, driven as a technician would: the real program
(`python -m appliance.console`) in a pseudo-terminal, typing and reading the screen.

Only the dangerous commands are faked (JNS_CONSOLE_FAKE_SYSTEM: systemctl restart/reboot/
poweroff and networkctl are written to a log instead of run); `ip`, `ping 127.0.0.1`,
`journalctl`, disk usage, the files and the database are real, in a temporary JNS_DATA.
"""
from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pytest

from appliance.console.menu import Menu, Terminal, save_console_password, verify_password
from appliance.console.system import Result, Settings
from appliance.devbox import free_port
from appliance.store import config, db as store, sms, users

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORD = "console-pass-123"


class Console:
    """The menu program on a pty of 80x24, like a getty's tty."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = ()):
        argv = [PYTHON, "-m", "appliance.console", *args]
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is our controlling terminal and stdin/stdout/stderr
            try:
                os.chdir(REPO)
                os.execve(PYTHON, argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.raw = b""
        self.pos = 0
        self.status: int | None = None

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace").replace("\r", "")

    def _read(self, timeout: float) -> bool:
        if not select.select([self.fd], [], [], timeout)[0]:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the program ended and closed the pty
            chunk = b""
        if not chunk:
            return False
        self.raw += chunk
        return True

    def expect(self, pattern: str, timeout: float = 10.0) -> re.Match:
        """Wait for a regex in the output after what earlier expects consumed."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        ended = False
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or ended:
                raise AssertionError(f"never saw {pattern!r}; screen ends with:\n"
                                     f"{self.text[-1500:]}")
            ended = not self._read(min(left, 0.2))

    def answer(self, prompt: str, text: str = "", timeout: float = 10.0) -> None:
        """Wait for a prompt (regex), then type a line: never type ahead of the program."""
        self.expect(prompt, timeout)
        time.sleep(0.02)  # the prompt is written; let the program reach its read
        self.line(text)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def line(self, text: str = "") -> None:
        self.send(text + "\r")  # Enter on a terminal is CR; the tty turns it into NL

    def alive(self) -> bool:
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = os.waitstatus_to_exitcode(status)
            return False
        return True

    def wait(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05) and select.select([self.fd], [], [], 0)[0]:
            pass
        assert self.status is not None, f"console still running:\n{self.text[-1500:]}"
        return self.status

    def close(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def check_screen(self) -> None:
        """What every test asserts about everything shown: no traceback, 80 columns."""
        text = self.text
        assert "Traceback" not in text, text
        wide = [line for line in text.split("\n") if len(line) > 80]
        assert not wide, f"lines wider than 80 columns: {wide}"


class Box:
    """A temporary JNS_DATA and the environment the console runs with."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.data = tmp / "data"
        self.data.mkdir()
        self.fake_log = tmp / "fake-system.log"
        self.net_dir = tmp / "run-network"
        self.flag = tmp / "factory-reset"
        self.db_path = self.data / "jns.db"
        self.pw_file = self.data / "secrets" / "console.pw"
        (tmp / "jns-release").write_text("JNS_VERSION=1.2.3\nJNS_BUILT=2026-01-01T00:00:00Z\n")
        self.consoles: list[Console] = []
        self.env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(tmp), "TERM": "vt100", "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
            "JNS_DATA": str(self.data),
            "JNS_CONSOLE_FAKE_SYSTEM": str(self.fake_log),
            "JNS_NETWORK_DIR": str(self.net_dir),
            "JNS_FACTORY_RESET_FLAG": str(self.flag),
            "JNS_RELEASE_FILE": str(tmp / "jns-release"),
            "JNS_SYSFS": str(tmp / "sys"),
            "JNS_DISKS": f"/:{self.data}",
            "JNS_CONSOLE_CONFIRM_S": "2",
            "JNS_CONSOLE_FAIL_DELAY": "0",
            "JNS_CONSOLE_AMI_TIMEOUT": "0.5",
            "JNS_AMI_PORT": str(free_port()),  # nothing listens: Asterisk is "not reachable"
        }

    def spawn(self, *args: str, **env: str) -> Console:
        con = Console({**self.env, **env}, args)
        self.consoles.append(con)
        return con

    def with_password(self) -> "Box":
        save_console_password(self.pw_file, PASSWORD)
        return self

    def logged_in(self, **env: str) -> Console:
        con = self.spawn(**env)
        con.expect("Console password: ")
        con.line(PASSWORD)
        con.expect("Enter an option: ")
        return con

    def fake_lines(self) -> list[str]:
        return self.fake_log.read_text().splitlines() if self.fake_log.exists() else []


@pytest.fixture
def box():
    # a short directory: the status screen shows the data path, and pytest's own (longer
    # under xdist workers) would wrap that line on the 80-column console
    root = Path(tempfile.mkdtemp(prefix="jc-", dir="/tmp"))
    b = Box(root)
    try:
        yield b
        for con in b.consoles:
            con.close()
        for con in b.consoles:
            con.check_screen()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- login ------------------------------------------------------------------------------

MENU = "Enter an option: "


def test_first_run_forces_setting_the_console_password(box):
    con = box.spawn()
    con.expect("No console password is set on this box yet")
    con.answer("New console password: ", "tiny-pw")
    con.expect(r"Too short: at least 10 characters")
    con.answer("New console password: ", "first-choice-1")
    con.answer("Type it again: ", "first-choice-2")
    con.expect("The two entries differ")
    con.answer("New console password: ", PASSWORD)
    con.answer("Type it again: ", PASSWORD)
    con.expect("Console password saved")
    con.expect(r"Panel: https://")
    con.answer(MENU, "0")
    con.expect("Logged out")
    assert con.wait() == 0
    for typed in ("tiny-pw", "first-choice-1", "first-choice-2", PASSWORD):
        assert typed not in con.text, "passwords must not be echoed"
    assert box.pw_file.stat().st_mode & 0o777 == 0o600
    stored = box.pw_file.read_text()
    assert PASSWORD not in stored and verify_password(PASSWORD, stored)
    assert not verify_password("first-choice-1", stored)

    again = box.spawn()  # from now on the menu asks for it
    again.answer("Console password: ", PASSWORD)
    again.answer(MENU, "0")
    assert again.wait() == 0
    assert "No console password is set" not in again.text


def test_three_wrong_passwords_log_out(box):
    box.with_password()
    con = box.spawn()
    for left in ("2 tries left", "1 try left"):
        con.answer("Console password: ", "not-the-password")
        con.expect(f"Wrong password. {left}")
    con.answer("Console password: ", "still-not-it-1")
    con.expect("Too many wrong passwords")
    assert con.wait() == 1
    assert "Enter an option" not in con.text


def test_eof_and_ctrl_c_at_login_exit_cleanly(box):
    box.with_password()
    con = box.spawn()
    con.expect("Console password: ")
    con.send("\x03")  # Ctrl-C: asked again, not counted, not killed
    con.expect("Console password: ")
    con.send("\x04")  # Ctrl-D on an empty line
    con.expect("Logged out")
    assert con.wait() == 0
    assert "Wrong password" not in con.text


# -- the menu and bad input -------------------------------------------------------------

def test_menu_fits_the_screen_and_garbage_never_breaks_it(box):
    con = box.with_password().logged_in()
    menu = con.text[:con.pos]
    assert re.search(r"JNS Call Center 1\.2\.3 \u2014 \S+", menu)  # UTF-8 terminal: em dash
    assert re.search(r"Asterisk: (stopped|state unknown)", menu)
    for item in ("1) Status", "2) Network settings", "3) Reset panel admin password",
                 "4) Show logs", "5) Ping a host", "6) Restart services", "7) Reboot",
                 "8) Power off", "9) Factory reset", "10) Shell", "11) Firmware update",
                 "12) Backup and restore", "0) Log out"):
        assert item in menu
    screen = menu[menu.rfind("JNS Call Center"):].split("\n")
    assert len(screen) <= 24

    for i, (garbage, shown) in enumerate((("abc", "'abc'"), ("", "nothing"), ("99", "'99'"),
                                          ("-1", "'-1'"), ("1; ls", "'1; ls'"),
                                          ("\x1b[A", "''"))):
        if i:
            con.expect(MENU)
        con.line(garbage)
        con.expect(f"You typed {re.escape(shown)}: type a number from 0 to 12")
    con.expect(MENU)
    con.send("\x03")  # Ctrl-C at the menu: the menu again
    con.answer(MENU, "2")  # into a screen, then Ctrl-D: back to the menu
    con.answer("Choose: ", "7")
    con.expect("You typed '7': choose one of 1, 2, 0")
    con.expect("Choose: ")
    con.send("\x04")
    con.expect(r"\(end of input\) Back to the menu")
    con.answer(MENU, "5")  # Ctrl-C inside a screen: back to the menu
    con.expect(r"Host name or IP address \(q to cancel\): ")
    con.send("\x03")
    con.expect("Interrupted. Back to the menu")
    con.expect(MENU)
    con.send("\x1a")  # Ctrl-Z must not stop the login shell of the tty
    con.line("")
    con.expect("You typed nothing")
    con.expect(MENU)
    con.send("\x04")  # Ctrl-D at the menu logs out
    con.expect("Logged out")
    assert con.wait() == 0


def test_ascii_only_when_the_terminal_is_not_utf8(box):
    con = box.with_password().logged_in(LANG="C")
    con.line("0")
    assert con.wait() == 0
    assert re.search(r"JNS Call Center 1\.2\.3 - \S+", con.text)
    assert all(b < 128 for b in con.raw), "non-ASCII byte sent to a C-locale terminal"


def test_input_from_a_closed_or_garbage_pipe_never_tracebacks(box):
    box.with_password()
    env = {**box.env}
    for data in ("", "\n\n", f"{PASSWORD}\n", f"{PASSWORD}\nabc\n\n99\n2\n\x00\xff\n",
                 f"{PASSWORD}\n3\n", f"{PASSWORD}\n9\n", f"{PASSWORD}\n2\n2\n\n1.2.3.4/24\n"):
        out = subprocess.run([PYTHON, "-m", "appliance.console"], input=data.encode("latin-1"),
                             capture_output=True, env=env, cwd=REPO, timeout=20)
        text = (out.stdout + out.stderr).decode("utf-8", "replace")
        assert "Traceback" not in text, text
        assert out.returncode in (0, 1), text
        assert all(len(line) <= 80 for line in text.splitlines()), text
    assert not box.fake_lines(), "EOF must never trigger an action"


# -- screens ----------------------------------------------------------------------------

def read_screen(con: Console, start: str) -> str:
    """Everything from `start` to "Press Enter to return", paging through "-- more --"."""
    begin = con.text.rfind(start, 0, con.pos) if start in con.text[:con.pos] else con.pos
    while True:
        m = con.expect(r"-- more -- Enter / q |Press Enter to return")
        if m.group(0).startswith("Press"):
            return con.text[begin:con.pos]
        con.line()


def test_status_screen(box):
    db = store.open_db(box.db_path)
    store.set_setting(db, "ami_secret", "not-used-nothing-listens")
    config.add_trunk(db, "carrier1", "sip.example.net")
    modem = sms.ensure_modem(db, "/dev/ttyUSB2")
    sms.update_modem(db, modem, state="ready", operator="Plus", rssi=18, dbm=-77)
    thermal = box.tmp / "sys/class/thermal/thermal_zone0"
    thermal.mkdir(parents=True)
    (thermal / "temp").write_text("45500\n")
    (thermal / "type").write_text("cpu-thermal\n")
    (box.data / "alarms.log").write_text("".join(f"2026-01-0{i} alarm number {i}\n"
                                                 for i in range(1, 8)))
    con = box.with_password().logged_in()
    con.line("1")
    con.expect("Status of")
    screen = read_screen(con, "Status of")
    assert re.search(r"Asterisk +(stopped|state unknown)", screen), screen
    assert re.search(r"live data: not reachable|no live data: Asterisk is not running",
                     screen), screen
    assert "jns-agid:" in screen and "jns-web:" in screen and "jns-watchdog:" in screen
    assert re.search(r"Trunks +carrier1", screen) and "registration state unknown" in screen
    assert "GSM modems   /dev/ttyUSB2: ready, Plus, -77 dBm, SIM ready" in screen
    assert re.search(r"Disk / +[\d.]+ \w+ of [\d.]+ \w+ used \(\d+%\), [\d.]+ \w+ free", screen)
    assert re.search(rf"Disk {re.escape(str(box.data))} +[\d.]+ \w+ of", screen)
    assert "cpu-thermal 45.5 C" in screen
    assert re.search(r"lo +UNKNOWN +127\.0\.0\.1/8", screen), screen
    assert "alarm number 7" in screen and "alarm number 3" in screen
    assert "alarm number 2" not in screen, "only the last 5 alarms"
    con.line()
    con.answer(MENU, "0")
    assert con.wait() == 0


def test_status_without_sensors_alarms_or_database(box):
    con = box.with_password().logged_in()
    con.line("1")
    con.expect("Status of")
    screen = read_screen(con, "Status of")
    assert "Temperature  no sensors" in screen
    assert "Last alarms  no alarms recorded" in screen
    assert "Trunks       none configured" in screen
    assert re.search(r"no AMI secret in the database|Asterisk is not running", screen), screen


def back_to_menu(con: Console) -> None:
    con.answer("Press Enter to return ", "")
    con.expect(MENU)


def test_reset_panel_admin_password(box):
    db = store.open_db(box.db_path)
    con = box.with_password().logged_in()
    con.line("3")
    con.expect(r"the panel will ask for the admin password\s+on first visit")
    back_to_menu(con)

    users.create_user(db, "boss", "old-password-1", "admin")
    users.create_user(db, "helper", "helper-password-1", "supervisor")
    con.line("3")
    con.expect("Admin user: boss")
    con.answer("New panel password for boss: ", "tiny-pw")
    con.expect("Not accepted: password too short")
    con.answer("New panel password for boss: ", "new-password-123")
    con.answer("Type it again: ", "new-password-124")
    con.expect("The two entries differ")
    con.answer("New panel password for boss: ", "new-password-123")
    con.answer("Type it again: ", "new-password-123")
    con.expect("The panel password of boss is changed")
    back_to_menu(con)
    assert "new-password-12" not in con.text and "tiny-pw" not in con.text
    assert users.authenticate(db, "boss", "new-password-123", "test")
    assert not users.authenticate(db, "boss", "old-password-1", "test")
    assert users.authenticate(db, "helper", "helper-password-1", "test")

    users.create_user(db, "admin2", "second-admin-1", "admin")  # two admins: pick one
    con.line("3")
    con.expect("1\\) admin2")
    con.answer("Which admin\\? ", "5")
    con.expect("You typed '5'")
    con.answer("Which admin\\? ", "1")
    con.answer("New panel password for admin2: ", "")
    con.expect("Cancelled; nothing was changed")
    back_to_menu(con)
    assert users.authenticate(db, "admin2", "second-admin-1", "test")


def test_ping_localhost(box):
    assert shutil.which("ping"), "ping is missing: apt-get install iputils-ping"
    prompt = r"Host name or IP address \(q to cancel\): "
    con = box.with_password().logged_in()
    con.line("5")
    con.answer(prompt, "127.0.0.1; reboot")
    con.expect("Not accepted: use a host name")
    con.answer(prompt, "$(id)")
    con.expect("Not accepted")
    con.answer(prompt, "127.0.0.1")
    con.expect("4 packets transmitted", timeout=20)
    back_to_menu(con)


def test_logs_are_paged(box):
    log_dir = box.data / "asterisk" / "log"
    log_dir.mkdir(parents=True)
    (log_dir / "messages.log").write_text("".join(
        f"[2026-01-01 10:00:{i:02d}] NOTICE[1] chan_pjsip.c: line {i} " + "x" * (i * 3) + "\n"
        for i in range(1, 46)))
    con = box.with_password().logged_in()
    con.line("4")
    con.answer("Which log\\? ", "1")
    con.expect("last 45 line\\(s\\)")
    con.answer("-- more -- Enter / q ", "")
    con.answer("-- more -- Enter / q ", "q")
    back_to_menu(con)
    assert "line 1 " in con.text and "line 45 " not in con.text
    con.line("4")
    con.answer("Which log\\? ", "4")  # journalctl -u 'jns-*': real, whatever the host has
    con.expect("Our services")
    read_screen(con, "Our services")
    con.line()
    con.expect(MENU)


def test_network_static_validation_and_revert_without_confirmation(box):
    old = b'{"mode": "dhcp"}\n'
    (box.data / "network.json").write_bytes(old)
    addr_prompt = "Address with prefix, e.g. 192.168.1.10/24: "
    gw_prompt = r"Gateway \(empty for none\): "
    dns_prompt = r"DNS servers, .*: "
    con = box.with_password().logged_in()
    con.line("2")
    con.expect("DHCP on all wired interfaces")
    con.answer("Choose: ", "2")
    con.answer(r"Interface \[\S+\]: ", "")
    con.answer(addr_prompt, "10.0.0.300/24")
    con.expect("Not accepted: '10.0.0.300/24' is not a valid address/prefix")
    con.answer(addr_prompt, "192.168.7.20")
    con.expect("Not accepted: give the prefix length too")
    con.answer(addr_prompt, "192.168.7.20/24")
    con.answer(gw_prompt, "10.1.1.1")
    con.expect("Not accepted: gateway 10.1.1.1 is outside the network 192.168.7.0/24")
    con.answer(gw_prompt, "192.168.7.1")
    con.answer(dns_prompt, "1.1.1.1 not-an-ip")
    con.expect("Not accepted: DNS server 'not-an-ip' is not an IP address")
    con.answer(dns_prompt, "1.1.1.1, 9.9.9.9")
    con.expect("Static on \\S+: 192.168.7.20/24")
    con.answer("Apply it now\\? \\[y/N\\] ", "y")
    con.expect("Keep these settings\\? \\[y/N\\] \\(they revert in 2 s\\)")
    applied = json.loads((box.data / "network.json").read_text())
    assert applied["address"] == "192.168.7.20/24" and applied["dns"] == ["1.1.1.1", "9.9.9.9"]
    network_file = (box.net_dir / "10-jns.network").read_text()
    assert "Address=192.168.7.20/24" in network_file and "Gateway=192.168.7.1" in network_file
    # no answer within 2 s
    con.expect("No answer in time", timeout=5)
    con.expect("Reverted to the previous network settings")
    back_to_menu(con)
    assert (box.data / "network.json").read_bytes() == old
    assert box.fake_lines() == ["networkctl reload", "networkctl reload"]
    network_file = (box.net_dir / "10-jns.network").read_text()
    assert "DHCP=yes" in network_file and "ClientIdentifier=mac" in network_file

    con.line("2")  # and when the technician confirms, it stays
    con.answer("Choose: ", "2")
    con.answer(r"Interface \[\S+\]: ", "")
    con.answer(addr_prompt, "192.168.7.21/24")
    con.answer(gw_prompt, "")
    con.answer(dns_prompt, "")
    con.answer("Apply it now\\? \\[y/N\\] ", "y")
    con.answer(r"Keep these settings\? \[y/N\] \(they revert in 2 s\) ", "y")
    con.expect("Settings kept")
    back_to_menu(con)
    kept = json.loads((box.data / "network.json").read_text())
    assert kept["address"] == "192.168.7.21/24" and kept["gateway"] is None
    assert box.fake_lines() == ["networkctl reload"] * 3
    assert "Address=192.168.7.21/24" in (box.net_dir / "10-jns.network").read_text()


def test_factory_reset_needs_the_exact_word(box):
    word_prompt = "Type RESET in capitals.*: "
    con = box.with_password().logged_in()
    con.line("9")
    con.expect("the database: users")
    con.answer(word_prompt, "reset")
    con.expect("Not RESET; nothing was erased")
    back_to_menu(con)
    assert not box.flag.exists() and box.fake_lines() == []
    con.line("9")
    con.answer(word_prompt, "RESET")
    con.expect("the box is rebooting now")
    assert con.wait() == 0
    assert "requested from the serial console" in box.flag.read_text()
    assert box.fake_lines() == [f"flag {box.flag}", "systemctl reboot"]


def test_reboot_power_off_and_restart_ask_first(box):
    yes_no = r"\[y/N\] "
    con = box.with_password().logged_in()
    con.line("6")
    con.answer("Which one\\? ", "8")   # all of them
    con.expect("Restarting Asterisk cuts every call")
    con.answer(yes_no, "y")
    con.expect("Done")
    back_to_menu(con)
    con.line("7")
    con.expect("Reboot the box now\\?")
    con.answer(yes_no, "")
    con.expect("Cancelled; nothing was changed")
    back_to_menu(con)
    con.line("8")
    con.expect("Power off the box now\\?")
    con.answer(yes_no, "n")
    con.expect("Cancelled")
    back_to_menu(con)
    assert box.fake_lines() == ["systemctl restart jns-asterisk.service jns-agid.service "
                                "jns-web.service jns-watchdog.service jns-modemd.service "
                                "jns-calld.service jns-reports.service"]
    con.line("7")
    con.expect("Reboot the box now\\?")
    con.answer(yes_no, "y")
    con.expect("The box is rebooting now")
    assert con.wait() == 0
    assert box.fake_lines()[-1] == "systemctl reboot"

    con = box.logged_in()
    con.line("8")
    con.expect("Power off the box now\\?")
    con.answer(yes_no, "yes")
    con.expect("powering off now")
    assert con.wait() == 0
    assert box.fake_lines()[-1] == "systemctl poweroff"


def test_shell_returns_to_the_menu(box):
    con = box.with_password().logged_in()
    con.line("10")
    con.expect("Type exit to come back")
    con.answer(r"[$#] $", "echo shell-$((6*7))")
    con.expect("shell-42")
    con.answer(r"[$#] $", "exit")
    con.expect("Back from the shell")
    back_to_menu(con)
    con.line("0")
    assert con.wait() == 0


@pytest.mark.asterisk
def test_status_and_logs_with_a_real_asterisk(box):
    """The live part of Status over AMI, against the real Asterisk 22 of `make run`."""
    from appliance.devbox import DevBox
    from tests.conftest import require_rootfs

    require_rootfs()
    dev = DevBox(box.tmp / "box")  # its layout is JNS_DATA's: jns.db, asterisk/log/
    config.add_trunk(dev.db, "carrier1", "127.0.0.1", port=free_port(), username="u1",
                     secret="s3cret-s3cret")
    dev.start()
    try:
        box.with_password()
        con = box.logged_in(JNS_DATA=str(dev.workdir), JNS_CONSOLE_PW_FILE=str(box.pw_file),
                            JNS_AMI_PORT=str(dev.layout.ami_port), JNS_CONSOLE_AMI_TIMEOUT="5")
        con.line("1")
        con.expect("Status of")
        screen = read_screen(con, "Status of")
        assert re.search(r"version 22\.\S+\s+up \d\d:\d\d:\d\d, 0 active call\(s\), "
                         r"1 queue\(s\)", screen), screen
        assert re.search(r"Trunks +1 registration\(s\)\s+carrier1-reg: \w+ sip:127\.0\.0\.1:",
                         screen), screen
        con.line()
        con.answer(MENU, "4")
        con.answer("Which log\\? ", "1")
        screen = read_screen(con, "Asterisk messages")
        assert "Asterisk Ready" in screen or "NOTICE" in screen or "VERBOSE" in screen, screen
        con.line()
        con.answer(MENU, "0")
        assert con.wait() == 0
    finally:
        dev.stop()


# -- apply-network at boot --------------------------------------------------------------

def test_apply_network_command(box):
    env = {**box.env}
    net = box.net_dir / "10-jns.network"

    def run(*args):
        return subprocess.run([PYTHON, "-m", "appliance.console", "apply-network", *args],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=20)

    out = run()  # no network.json: DHCP on every wired interface
    assert out.returncode == 0, out.stderr
    text = net.read_text()
    assert "Name=en* eth*" in text and "DHCP=yes" in text and "ClientIdentifier=mac" in text
    assert box.fake_lines() == []

    (box.data / "network.json").write_text(json.dumps({
        "mode": "static", "interface": "eth1", "address": "10.9.8.7/16",
        "gateway": "10.9.0.1", "dns": ["10.9.0.2"]}))
    out = run("--reload")
    assert out.returncode == 0, out.stderr
    text = net.read_text()
    for want in ("Name=eth1", "Address=10.9.8.7/16", "Gateway=10.9.0.1", "DNS=10.9.0.2"):
        assert want in text
    assert box.fake_lines() == ["networkctl reload"]

    box.flag.write_text("pending\n")  # a factory reset is about to erase network.json
    out = run()
    assert out.returncode == 0 and "factory reset pending" in out.stdout
    assert "DHCP=yes" in net.read_text() and "Address=" not in net.read_text()
    box.flag.unlink()

    (box.data / "network.json").write_text('{"mode": "static", "address": "nonsense"}')
    out = run()
    assert out.returncode == 2 and "invalid" in out.stderr
    assert "DHCP=yes" in net.read_text(), "a broken file must leave the box reachable"


# -- the menu logic with a recording fake System (no subprocess) -------------------------

class FakeSystem:
    def __init__(self, settings: Settings, apply_rc: int = 0):
        self.settings = settings
        self.calls: list[tuple] = []
        self.apply_rc = apply_rc
        self.network_json: bytes | None = b'{"mode": "dhcp"}'

    def __getattr__(self, name):  # facts the header/status ask for
        facts = {"hostname": "box1", "release": "9.9", "ipv4_addresses": ["10.0.0.5"],
                 "unit_state": "active", "is_root": True, "ip_brief": "eth0 UP 10.0.0.5/24",
                 "interfaces": ["eth0"]}
        if name in facts:
            return lambda *a: facts[name]
        raise AttributeError(name)

    def load_network(self):
        return json.loads(self.network_json or b'{"mode": "dhcp"}'), None

    def network_raw(self):
        return self.network_json

    def save_network(self, cfg):
        self.calls.append(("save", cfg["mode"]))
        self.network_json = json.dumps(cfg).encode()

    def restore_network_raw(self, raw):
        self.calls.append(("restore", raw))
        self.network_json = raw

    def apply_network(self):
        self.calls.append(("apply",))
        return Result(self.apply_rc, "" if self.apply_rc == 0 else "networkd says no")

    def restart(self, units):
        self.calls.append(("restart", tuple(units)))
        return Result(0, "")


def run_fake(tmp_path, typed: str, **kw) -> tuple[str, FakeSystem, int]:
    settings = Settings.from_env({"JNS_DATA": str(tmp_path), "JNS_CONSOLE_FAIL_DELAY": "0"})
    save_console_password(settings.console_pw, PASSWORD)
    fake = FakeSystem(settings, **kw)
    out = io.StringIO()
    term = Terminal(io.StringIO(f"{PASSWORD}\n{typed}"), out, charset="ascii")
    code = Menu(term, fake, settings, err=out).run()
    return out.getvalue(), fake, code


def test_failed_apply_reverts_at_once(tmp_path):
    text, fake, code = run_fake(tmp_path, "2\n1\ny\n\n0\n", apply_rc=1)
    assert code == 0
    assert "Applying failed" in text and "networkd says no" in text
    assert "Reverted to the previous network settings" in text and "Keep these" not in text
    assert fake.calls == [("save", "dhcp"), ("apply",), ("restore", b'{"mode": "dhcp"}'),
                          ("apply",)]


def test_restart_one_service_with_the_fake(tmp_path):
    text, fake, code = run_fake(tmp_path, "6\n3\ny\n\n0\n")
    assert fake.calls == [("restart", ("jns-web",))]
    assert "JNS Call Center 9.9 - box1" in text and "Panel: https://10.0.0.5/" in text
    assert "Asterisk: running" in text and code == 0


def test_long_lines_are_wrapped_to_80_columns():
    out = io.StringIO()
    term = Terminal(io.StringIO(), out, charset="utf-8")
    term.line("   " + "word " * 40 + "x" * 200 + "\ttab\x1b[31mred\x07")
    lines = out.getvalue().splitlines()
    assert len(lines) > 3 and all(len(line) <= 79 for line in lines)
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()


# -- 11 firmware update, 12 backup and restore ------------------------------------------------

def _firmware_env(box: Box) -> dict:
    """Slots and GRUB's environment block as files; a trusted key; a bundle 1.2.4 served
    over HTTP from this host."""
    import http.server
    import threading
    from appliance.lifecycle import update
    priv, pub = update.keygen(box.tmp / "keys")
    trusted = box.tmp / "trusted"
    trusted.mkdir()
    (trusted / "k.pem").write_bytes(pub.read_bytes())
    tree = box.tmp / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "jns-release").write_text("JNS_VERSION=1.2.4\n")
    raw = box.tmp / "rootfs.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(tree), str(raw), "8M"], check=True)
    served = box.tmp / "www"
    served.mkdir()
    update.build_bundle(raw, served / "jns-1.2.4.jnsupd", version="1.2.4", key=priv)
    grubenv = box.tmp / "grubenv"
    grubenv.write_bytes(update.format_grubenv({"jns_slot": "A"}))
    (box.tmp / "cmdline").write_text("jns.slot=A\n")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(served), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return {"JNS_UPDATE_KEYS": str(trusted), "JNS_GRUBENV": str(grubenv),
            "JNS_CMDLINE": str(box.tmp / "cmdline"), "JNS_SLOT_A": str(box.tmp / "slotA"),
            "JNS_SLOT_B": str(box.tmp / "slotB"), "url": f"http://127.0.0.1:{server.server_address[1]}",
            "raw": raw, "grubenv_path": grubenv, "server": server}


def test_firmware_update_from_a_url(box):
    from appliance.lifecycle import update
    fw = _firmware_env(box)
    env = {k: v for k, v in fw.items() if k.startswith("JNS_")}
    con = box.with_password().logged_in(**env)
    con.line("11")
    con.expect("Running version 1.2.3 from slot A; slot B: no working firmware")
    con.answer("Choose: ", "u")
    con.answer(r"URL: ", fw["url"] + "/missing.jnsupd")
    con.answer(r"\[y/N\] ", "y")
    con.expect("Not installed: could not download")
    con.expect("keeps running this version")
    back_to_menu(con)
    assert "systemctl reboot" not in box.fake_lines()
    con.line("11")
    con.answer("Choose: ", "u")
    con.answer(r"URL: ", fw["url"] + "/jns-1.2.4.jnsupd")
    con.answer(r"\[y/N\] ", "y")
    con.expect(r"writing\s+100\.0 %", timeout=60)
    con.expect("Version 1.2.4 is written")
    con.expect("The box is rebooting now")
    assert con.wait(timeout=20) == 0
    assert box.fake_lines()[-1] == "systemctl reboot"
    assert (box.tmp / "slotB").read_bytes() == fw["raw"].read_bytes()
    assert update.parse_grubenv(fw["grubenv_path"].read_bytes())["jns_try"] == "B"
    fw["server"].shutdown()


def test_backup_to_usb_and_restore(box):
    from appliance.store import db as store
    usb = box.tmp / "usb"
    usb.mkdir()
    db = store.open_db(box.db_path)
    store.set_setting(db, "marker", "before")
    db.conn.close()
    con = box.with_password().logged_in(JNS_USB_FAKE_DIR=str(usb))
    con.line("12")
    con.answer("Choose: ", "b")
    con.answer("Which one\\? ", "1")
    con.answer("Passphrase \\(at least 8 characters\\): ", "short")
    con.expect("Too short; nothing was written")
    back_to_menu(con)
    con.line("12")
    con.answer("Choose: ", "b")
    con.answer("Which one\\? ", "1")
    con.answer("Passphrase \\(at least 8 characters\\): ", "backup-pass-1")
    con.answer("Type it again: ", "backup-pass-1")
    con.answer(r"\[y/N\] ", "n")
    con.expect(r"Backup written: (jns-backup-\S+\.jnsbak)", timeout=60)
    back_to_menu(con)
    files = list(usb.glob("*.jnsbak"))
    assert len(files) == 1
    db = store.open_db(box.db_path)
    store.set_setting(db, "marker", "changed after the backup")
    db.conn.close()
    # a wrong passphrase changes nothing
    con.line("12")
    con.answer("Choose: ", "r")
    con.answer("Which one\\? ", "1")
    con.answer("Which one\\? ", "1")
    con.answer("Passphrase: ", "wrong-pass-1")
    con.answer("Type RESTORE", "RESTORE")
    con.expect("Not restored")
    back_to_menu(con)
    db = store.open_db(box.db_path)
    assert store.get_setting(db, "marker") == "changed after the backup"
    db.conn.close()
    con.line("12")
    con.answer("Choose: ", "r")
    con.answer("Which one\\? ", "1")
    con.answer("Which one\\? ", "1")
    con.answer("Passphrase: ", "backup-pass-1")
    con.answer("Type RESTORE", "RESTORE")
    con.expect("The box is rebooting now", timeout=60)
    assert con.wait(timeout=20) == 0
    assert box.fake_lines()[-1] == "systemctl reboot"
    db = store.open_db(box.db_path)
    assert store.get_setting(db, "marker") == "before"
    db.conn.close()
