"""The technician's menu on the serial console (or VGA): login, then numbered screens.

Plain text for an 80x24 terminal, no colours, no cursor addressing: it works on any serial
terminal.  Every OS action goes through a `System` (system.py), so the logic can be driven
with a fake; input and output are the streams given to `Terminal` (the getty's tty).

Rules kept everywhere: bad input gets a message and the question (or the menu) again;
Ctrl-C goes back to the menu; Ctrl-D / end of input leaves a screen, and at the menu or the
login prompt logs out; an unexpected error is one line on stderr and the menu again, never
a traceback.  Output lines are at most 79 columns (longer ones are wrapped), and only ASCII
is written unless the terminal's locale says UTF-8.
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import hmac
import os
import re
import select
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Callable, Mapping

from .system import (SERVICES, ASTERISK_UNIT, Settings, System, Unavailable, atomic_write,
                     describe_network, parse_address, parse_dns, parse_gateway, valid_host)

CONSOLE_MIN_PASSWORD = 10
MAX_TRIES = 3
WIDTH = 79
PAGE = 20
EXIT = object()  # a screen returns this when the console must end (reboot, power off)


class EndOfInput(Exception):
    """Ctrl-D on an empty line, or the input stream ended."""


class InputTimeout(Exception):
    pass


class Hangup(Exception):
    """The terminal went away (write failed): nothing more can be shown."""


class Cancel(Exception):
    """The technician typed q: leave the screen without changing anything."""


# -- the terminal -----------------------------------------------------------------------

def terminal_is_utf8(charset: str, env: Mapping[str, str], stdout) -> bool:
    """Can the terminal show UTF-8?  Serial consoles often cannot: ASCII unless we know.

    Python coerces a C/POSIX locale to LC_CTYPE=C.UTF-8 in its own environment (PEP 538),
    which says nothing about the terminal: that value alone does not count.
    """
    if charset in ("ascii", "us-ascii"):
        return False
    if charset in ("utf-8", "utf8"):
        return True
    enc = getattr(stdout, "encoding", None)
    if enc:
        try:
            if codecs.lookup(enc).name != "utf-8":
                return False
        except LookupError:
            return False
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        val = env.get(var) or ""
        if not val:
            continue
        if var == "LC_CTYPE" and val in ("C.UTF-8", "C.utf8", "UTF-8"):
            continue
        return bool(re.search(r"utf-?8", val, re.I))
    return False


_ASCII = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2026": "...", "\u00b0": " ",
                        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _fileno(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class Terminal:
    """Line-based I/O on the given streams; raw fd reads so timeouts work with select()."""

    def __init__(self, stdin=None, stdout=None, *, charset: str = "auto",
                 env: Mapping[str, str] | None = None):
        self.stdin = sys.stdin if stdin is None else stdin
        self.stdout = sys.stdout if stdout is None else stdout
        self.fd = _fileno(self.stdin)
        self.tty = self.fd is not None and os.isatty(self.fd)
        self._buf = b""
        self.utf8 = terminal_is_utf8(charset, os.environ if env is None else env, self.stdout)
        self._wake = self._wakeup_pipe() if self.tty else None

    @staticmethod
    def _wakeup_pipe() -> int | None:
        """A pipe the C signal handler writes to, so a Ctrl-C that lands just before the
        blocking read still wakes it (otherwise it would only act after the next Enter)."""
        if threading.current_thread() is not threading.main_thread():
            return None
        try:
            r, w = os.pipe()
            os.set_blocking(r, False)
            os.set_blocking(w, False)
            signal.set_wakeup_fd(w, warn_on_full_buffer=False)
            return r
        except (OSError, ValueError):
            return None

    @property
    def dash(self) -> str:
        return "\u2014" if self.utf8 else "-"

    # output

    def write(self, text: str) -> None:
        data = "\n".join(self._fit(line) for line in text.split("\n"))
        if not self.utf8:
            data = data.translate(_ASCII).encode("ascii", "replace").decode("ascii")
        try:
            try:
                self.stdout.write(data)
            except UnicodeEncodeError:
                self.stdout.write(data.encode("ascii", "replace").decode("ascii"))
            self.stdout.flush()
        except (OSError, ValueError) as exc:
            raise Hangup(str(exc)) from None

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def lines(self, lines: list[str]) -> None:
        if lines:
            self.write("\n".join(lines) + "\n")

    @staticmethod
    def _fit(line: str) -> str:
        line = _CONTROL.sub("?", _ANSI.sub("", line.expandtabs(8).replace("\r", "")))
        if len(line) <= WIDTH:
            return line
        indent = " " * min(len(line) - len(line.lstrip(" ")) + 2, 20)
        return "\n".join(textwrap.wrap(line, width=WIDTH, subsequent_indent=indent,
                                       break_long_words=True, break_on_hyphens=False))

    # input

    def ask(self, prompt: str, timeout: float | None = None) -> str:
        self.write(prompt)
        answer = self._readline(timeout)
        if not self.tty:  # nothing echoes the Enter: end the prompt's line ourselves
            self.write("\n")
        return answer

    def secret(self, prompt: str) -> str:
        """Read a line without echo (works on a serial line: termios on our own fd)."""
        if not self.tty:
            return self.ask(prompt)
        import termios
        try:
            old = termios.tcgetattr(self.fd)
            new = termios.tcgetattr(self.fd)
            new[3] &= ~termios.ECHO
            termios.tcsetattr(self.fd, termios.TCSADRAIN, new)
        except termios.error as exc:
            raise Hangup(f"cannot turn off echo: {exc}") from None
        try:
            self.write(prompt)
            return self._readline(None)
        finally:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, old)
            self.write("\n")

    def flush_input(self) -> None:
        """Forget anything typed but not yet read (after a timeout)."""
        self._buf = b""
        if self.tty:
            import termios
            with contextlib.suppress(termios.error):
                termios.tcflush(self.fd, termios.TCIFLUSH)

    def _readline(self, timeout: float | None) -> str:
        if self.fd is None:
            line = self.stdin.readline()
            if not line:
                raise EndOfInput
            return line.rstrip("\r\n")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while b"\n" not in self._buf:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise InputTimeout
                if left is not None or self._wake is not None:
                    fds = [self.fd] + ([self._wake] if self._wake is not None else [])
                    ready = select.select(fds, [], [], left)[0]
                    if not ready:
                        raise InputTimeout
                    if self._wake in ready:  # a signal: its Python handler runs right now
                        with contextlib.suppress(OSError):
                            os.read(self._wake, 512)
                    if self.fd not in ready:
                        continue
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the line hung up
                    chunk = b""
                if not chunk:
                    if self._buf:
                        line, self._buf = self._buf, b""
                        return line.decode("utf-8", "replace").rstrip("\r")
                    raise EndOfInput
                self._buf += chunk
        except KeyboardInterrupt:
            self._buf = b""
            raise
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")


@contextlib.contextmanager
def no_interrupts():
    """Ctrl-C is ignored inside (saving and applying must not stop half-way)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


# -- the console password ---------------------------------------------------------------

_SCRYPT = (2 ** 14, 8, 1)


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                         maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """ValueError when `stored` is not a hash this console knows."""
    stored = stored.strip()
    parts = stored.split("$")
    if len(parts) == 6 and parts[0] == "scrypt":
        n, r, p = (int(x) for x in parts[1:4])
        if not (2 <= n <= 2 ** 20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("scrypt parameters out of range")
        salt, want = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                             maxmem=256 * 1024 * 1024, dklen=len(want))
        return hmac.compare_digest(got, want)
    if stored.startswith(("scrypt:", "pbkdf2:")):  # werkzeug's format, should one be put here
        from werkzeug.security import check_password_hash
        return check_password_hash(stored, password)
    raise ValueError("unknown hash format")


def save_console_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    atomic_write(path, (hash_password(password) + "\n").encode("ascii"), 0o600)


# -- the menu ---------------------------------------------------------------------------

ITEMS = [("1", "Status"), ("2", "Network settings"), ("3", "Reset panel admin password"),
         ("4", "Show logs"), ("5", "Ping a host"), ("6", "Restart services"),
         ("7", "Reboot"), ("8", "Power off"), ("9", "Factory reset"), ("10", "Shell"),
         ("11", "Firmware update"), ("12", "Backup and restore")]


class Menu:
    def __init__(self, term: Terminal, system: System, settings: Settings, *, err=None,
                 sleep: Callable[[float], None] = time.sleep):
        self.term = term
        self.system = system
        self.settings = settings
        self.err = err
        self.sleep = sleep
        self.screens: dict[str, tuple[str, Callable[[], object]]] = {
            "1": ("status", self.status), "2": ("network", self.network),
            "3": ("admin password", self.reset_admin), "4": ("logs", self.logs),
            "5": ("ping", self.ping), "6": ("restart", self.restart),
            "7": ("reboot", self.reboot), "8": ("power off", self.poweroff),
            "9": ("factory reset", self.factory_reset), "10": ("shell", self.shell),
            "11": ("firmware update", self.firmware), "12": ("backup", self.backups),
            "a": ("alarms", self.alarms)}

    # -- plumbing --

    def log_error(self, where: str, exc: BaseException) -> None:
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        try:
            print(f"jns-console: {where}: {msg}"[:300], file=self.err or sys.stderr, flush=True)
        except Exception:
            pass

    def ask_choice(self, prompt: str, valid: list[str]) -> str:
        """Re-ask until the answer is one of `valid`."""
        while True:
            answer = self.term.ask(prompt).strip()
            if answer in valid:
                return answer
            shown = f"'{answer}'" if answer else "nothing"
            self.term.line(f" You typed {shown}: choose one of {', '.join(valid)}.")

    def confirm(self, question: str) -> bool:
        return self.term.ask(f" {question} [y/N] ").strip().lower() in ("y", "yes")

    def ask_valid(self, prompt: str, parse: Callable[[str], object]):
        """Re-ask until parse() accepts; 'q' cancels the screen."""
        while True:
            text = self.term.ask(prompt).strip()
            if text.lower() == "q":
                raise Cancel
            try:
                return parse(text)
            except ValueError as exc:
                self.term.line(f" Not accepted: {exc}.")
                self.term.line(" Try again, or type q to cancel.")

    def page(self, lines: list[str]) -> None:
        """Show lines 20 (screen lines, after wrapping) at a time."""
        out: list[str] = []
        for line in lines:
            out.extend(Terminal._fit(line).split("\n"))
        for start in range(0, len(out), PAGE):
            self.term.lines(out[start:start + PAGE])
            if start + PAGE < len(out):
                answer = self.term.ask("-- more -- Enter / q ")
                if answer.strip().lower() == "q":
                    return

    def press_enter(self) -> None:
        try:
            self.term.ask(" Press Enter to return ")
        except (EndOfInput, KeyboardInterrupt):
            self.term.line("")

    def title(self, text: str) -> None:
        self.term.line("")
        self.term.line(f" {text}")
        self.term.line(" " + "-" * min(60, len(text) + 2))

    # -- login --

    def banner(self) -> None:
        self.term.line("")
        self.term.line(self.headline())
        self.term.line(" Technician console")

    def login(self) -> bool:
        path = self.settings.console_pw
        try:
            stored = path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return self.first_password()
        except OSError as exc:
            self.term.line(f" Cannot read the console password file {path}: {exc.strerror}.")
            self.term.line(" The menu must run as root (the tech account starts it through sudo).")
            return False
        failures = 0
        while failures < MAX_TRIES:
            try:
                password = self.term.secret(" Console password: ")
            except KeyboardInterrupt:
                self.term.line("")
                continue
            try:
                ok = verify_password(password, stored)
            except ValueError as exc:
                self.term.line(f" The console password file {path} is damaged ({exc}).")
                self.term.line(" It cannot be checked, so the console stays locked. Someone with")
                self.term.line(" root access must delete that file; the next login then asks for")
                self.term.line(" a new console password.")
                self.log_error("login", exc)
                return False
            if ok:
                return True
            failures += 1
            self.sleep(self.settings.fail_delay)
            left = MAX_TRIES - failures
            self.term.line(f" Wrong password. {left} {'try' if left == 1 else 'tries'} left."
                           if left else " Wrong password.")
        self.term.line(" Too many wrong passwords; logging out.")
        return False

    def first_password(self) -> bool:
        self.term.line(" No console password is set on this box yet. Choose one now: it will")
        self.term.line(" protect this menu from now on "
                       f"(at least {CONSOLE_MIN_PASSWORD} characters).")
        while True:
            try:
                first = self.term.secret(" New console password: ")
                if len(first) < CONSOLE_MIN_PASSWORD:
                    self.term.line(f" Too short: at least {CONSOLE_MIN_PASSWORD} characters. "
                                   "Try again.")
                    continue
                if not first.strip():
                    self.term.line(" Spaces only are not a password. Try again.")
                    continue
                second = self.term.secret(" Type it again: ")
            except KeyboardInterrupt:
                self.term.line("")
                continue
            if first != second:
                self.term.line(" The two entries differ. Try again.")
                continue
            with no_interrupts():
                save_console_password(self.settings.console_pw, first)
            self.term.line(" Console password saved.")
            return True

    # -- the loop --

    def run(self) -> int:
        try:
            self.banner()
        except Hangup:
            raise
        except Exception as exc:
            self.log_error("banner", exc)
        try:
            if not self.login():
                return 1
        except EndOfInput:
            self.term.line("")
            self.term.line(" Logged out.")
            return 0
        return self.loop()

    def loop(self) -> int:
        while True:
            try:
                try:
                    self.show_menu()
                except (Hangup, KeyboardInterrupt):
                    raise
                except Exception as exc:  # still ask: never spin without reading input
                    self.log_error("menu", exc)
                    self.term.line(" 1-10 as usual, 0) Log out")
                choice = self.term.ask(" Enter an option: ").strip()
            except EndOfInput:
                self.term.line("")
                self.term.line(" Logged out.")
                return 0
            except KeyboardInterrupt:
                self.term.line("")
                continue
            if choice == "0":
                self.term.line(" Logged out.")
                return 0
            key = choice.lstrip("0") if choice.isdigit() else choice.lower()
            if key not in self.screens:
                shown = f"'{choice}'" if choice else "nothing"
                self.term.line(f" You typed {shown}: type a number from 0 to 12 (a: alarms) "
                               "and press Enter.")
                continue
            name, handler = self.screens[key]
            try:
                if self.run_screen(name, handler) is EXIT:
                    return 0
            except KeyboardInterrupt:
                self.term.line("")

    def run_screen(self, name: str, handler: Callable[[], object]) -> object:
        try:
            outcome = handler()
        except EndOfInput:
            self.term.line("")
            self.term.line(" (end of input) Back to the menu.")
            return None
        except KeyboardInterrupt:
            self.term.line("")
            self.term.line(" Interrupted. Back to the menu.")
            return None
        except Cancel:
            self.term.line(" Cancelled; nothing was changed.")
        except Hangup:
            raise
        except Exception as exc:
            self.log_error(name, exc)
            self.term.line(" Something went wrong (the line above says what). Back to the menu.")
        else:
            if outcome is EXIT:
                return EXIT
        self.press_enter()
        return None

    # -- header and menu --

    def headline(self) -> str:
        release = _safe(self.system.release, "")
        name = f"JNS Call Center {release}".rstrip()
        return f" {name} {self.term.dash} {_safe(self.system.hostname, '?')}"

    def asterisk_word(self, state: str) -> str:
        if state == "active":
            return "running"
        if state in ("inactive", "failed", "dead"):
            return "stopped" if state != "failed" else "stopped (failed)"
        if state in ("activating", "reloading"):
            return "starting"
        if state == "deactivating":
            return "stopping"
        return "state unknown"

    def show_menu(self) -> None:
        t = self.term
        t.line("")
        t.line(self.headline())
        addrs = _safe(self.system.ipv4_addresses, [])
        panel = f"https://{addrs[0]}/" if addrs else "no IPv4 address yet"
        state = _safe(lambda: self.system.unit_state(ASTERISK_UNIT), "unknown")
        t.line(f" Panel: {panel:<29} Asterisk: {self.asterisk_word(state)}")
        if not _safe(self.system.is_root, True):
            t.line(" Note: not running as root; restart, reboot and network changes will fail.")
        t.line(" " + "-" * 60)
        half = (len(ITEMS) + 1) // 2
        left, right = ITEMS[:half], ITEMS[half:]
        for (n1, l1), (n2, l2) in zip(left, right):
            t.line(f" {n1:>2}) {l1:<30}{n2:>2}) {l2}")
        count = _safe(lambda: _alarm_count(self.settings.db), 0)
        t.line(f"  a) {'Alarms' + (f' ({count} active)' if count else ''):<30} 0) Log out")

    # -- 1 status --

    def status(self) -> None:
        sysm, t = self.system, self.term
        t.line("")
        t.line(f" Status of {_safe(sysm.hostname, '?')} at {time.strftime('%Y-%m-%d %H:%M:%S')}")
        t.line(" " + "-" * 60)
        lines: list[str] = []
        pad = " " * 14

        state = _safe(lambda: sysm.unit_state(ASTERISK_UNIT), "unknown")
        lines.append(f" Asterisk     {self.asterisk_word(state)} ({ASTERISK_UNIT}: {state})")
        live = None
        if state in ("inactive", "failed"):
            lines.append(f"{pad}no live data: Asterisk is not running")
        else:
            t.line(" Asking Asterisk ...")
            try:
                live = sysm.asterisk_live()
            except Unavailable as exc:
                lines.append(f"{pad}live data: not reachable - {exc}")
            except Exception as exc:
                self.log_error("status/ami", exc)
                lines.append(f"{pad}live data: not reachable - {type(exc).__name__}")
            else:
                lines.append(f"{pad}version {live.get('version', '?')}")
                lines.append(f"{pad}up {_duration(live.get('uptime_s'))}, "
                             f"{live.get('active_calls', 0)} active call(s), "
                             f"{len(live.get('queues') or [])} queue(s)")

        svc = ", ".join(f"{u}: {_safe(lambda u=u: sysm.unit_state(u), 'unknown')}"
                        for u in SERVICES if u != "jns-asterisk")
        lines.append(f" Services     {svc}")

        lines.extend(self._trunk_lines(live, pad))
        lines.extend(self._modem_lines(pad))
        lines.extend(_safe(lambda: sysm.dahdi_lines(), []))

        for i, path in enumerate(self.settings.disks):
            usage = _safe(lambda p=path: sysm.disk_usage(p), None)
            label = (" Disk " + path).ljust(13)
            if usage is None:
                lines.append(f"{label} not present")
            else:
                total, used, free = usage
                pct = round(100 * used / total) if total else 0
                lines.append(f"{label} {_size(used)} of {_size(total)} used ({pct}%), "
                             f"{_size(free)} free")

        temps = _safe(sysm.temperatures, [])
        lines.append(" Temperature  " + ("; ".join(f"{n} {v:.1f} C" for n, v in temps)
                                        if temps else "no sensors"))

        lines.append(" IP addresses")
        brief = _safe(sysm.ip_brief, "")
        for row in brief.splitlines() or ["(ip shows nothing)"]:
            parts = row.split()
            if len(parts) >= 2:
                lines.append(f"   {parts[0]:<12} {parts[1]:<8} {' '.join(parts[2:]) or '-'}")
            elif parts:
                lines.append(f"   {row.strip()}")
        alarms = _safe(sysm.alarms, None)
        if not alarms:
            lines.append(" Last alarms  no alarms recorded")
        else:
            lines.append(" Last alarms (newest last)")
            lines.extend(f"   {a.strip()}" for a in alarms)
        self.page(lines)

    def _modem_lines(self, pad: str) -> list[str]:
        """One line per GSM modem: port, state, operator, signal, SIM."""
        modems = _safe(self.system.modems, None)
        if not modems:
            return [" GSM modems   none found (jns-modemd looks for them on the USB ports)"]
        sim_words = {"ready": "SIM ready", "not_registered": "SIM ready",
                     "pin_required": "SIM needs its PIN (panel: Modems)",
                     "pin_rejected": "SIM rejected the PIN (panel: Modems)",
                     "puk_required": "SIM locked (PUK)", "no_sim": "no SIM card"}
        out = []
        for i, m in enumerate(modems):
            signal = f"{m['dbm']} dBm" if m.get("dbm") is not None else "signal unknown"
            out.append(f"{' GSM modems  ' if i == 0 else pad[:-1]} {m['port']}: {m['state']}, "
                       f"{m.get('operator') or 'no operator'}, {signal}, "
                       f"{sim_words.get(m['state'], 'SIM state unknown')}")
        return out

    def _trunk_lines(self, live: dict | None, pad: str) -> list[str]:
        names = _safe(self.system.trunk_names, None)
        regs = live.get("registrations") if live else None
        if regs:
            out = [f" Trunks       {len(regs)} registration(s)"]
            out += [f"{pad}{r['name']}: {r['status']} {r['server']}".rstrip() for r in regs]
            return out
        if not names:
            return [" Trunks       none configured"]
        joined = ", ".join(names)
        if live is not None and regs is not None:
            return [f" Trunks       {joined}", f"{pad}no outbound registrations"]
        return [f" Trunks       {joined}",
                f"{pad}registration state unknown (Asterisk not reachable)"]

    # -- 2 network --

    def network(self) -> None:
        sysm, t = self.system, self.term
        self.title("Network settings")
        cfg, problem = sysm.load_network()
        if problem:
            t.line(f" Note: {problem}")
        t.line(" Saved setting:")
        t.lines([f"   {l}" for l in describe_network(cfg)])
        t.line(" Addresses now:")
        t.lines([f"   {l}" for l in _safe(sysm.ip_brief, "").splitlines()])
        t.line("")
        t.line("  1) Use DHCP (automatic address)")
        t.line("  2) Set a static address")
        t.line("  0) Back")
        choice = self.ask_choice(" Choose: ", ["1", "2", "0"])
        if choice == "0":
            return
        if choice == "1":
            new = {"mode": "dhcp"}
        else:
            new = self.ask_static(cfg)
        t.line(" New setting:")
        t.lines([f"   {l}" for l in describe_network(new)])
        if not self.confirm("Apply it now?"):
            raise Cancel
        self.apply_with_rollback(new)

    def ask_static(self, current: dict) -> dict:
        t = self.term
        names = _safe(self.system.interfaces, [])
        default = current.get("interface") if current.get("interface") in names else (
            names[0] if names else "eth0")
        if names:
            t.line(" Interfaces: " + ", ".join(f"{i}) {n}" for i, n in enumerate(names, 1)))

        def interface(text: str) -> str:
            if not text:
                return default
            if text.isdigit() and 1 <= int(text) <= len(names):
                return names[int(text) - 1]
            if text in names or (not names and re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", text)):
                return text
            raise ValueError(f"no interface {text!r} on this box")

        t.line(" Type q at any question to cancel.")
        ifname = self.ask_valid(f" Interface [{default}]: ", interface)
        addr = self.ask_valid(" Address with prefix, e.g. 192.168.1.10/24: ", parse_address)
        gateway = self.ask_valid(" Gateway (empty for none): ",
                                 lambda text: parse_gateway(text, addr))
        dns = self.ask_valid(" DNS servers, up to 3, separated by spaces (empty for none): ",
                             parse_dns)
        return {"mode": "static", "interface": ifname, "address": str(addr),
                "gateway": gateway, "dns": dns}

    def apply_with_rollback(self, new: dict) -> None:
        sysm, t = self.system, self.term
        timeout = self.settings.confirm_timeout
        old_raw = sysm.network_raw()
        keep = False
        try:
            with no_interrupts():
                sysm.save_network(new)
                res = sysm.apply_network()
            if not res.ok:
                t.line(" Applying failed:")
                t.lines([f"   {l}" for l in res.out.splitlines()])
                return
            t.line(" Applied. If you reach the box over the network, check that it still")
            t.line(" answers at the new address before you confirm.")
            try:
                answer = t.ask(f" Keep these settings? [y/N] (they revert in {timeout:g} s) ",
                               timeout=timeout)
                keep = answer.strip().lower() in ("y", "yes")
            except InputTimeout:
                t.line("")
                t.line(" No answer in time.")
                t.flush_input()
            except (EndOfInput, KeyboardInterrupt):
                t.line("")
        finally:
            if not keep:
                with no_interrupts():
                    sysm.restore_network_raw(old_raw)
                    res = sysm.apply_network()
                t.line(" Reverted to the previous network settings" +
                       ("." if res.ok else f", but applying them failed: {res.out.strip()}"))
        if keep:
            t.line(" Settings kept.")

    # -- 3 admin password --

    def reset_admin(self) -> None:
        t = self.term
        self.title("Reset panel admin password")
        if not self.settings.db.exists():
            t.line(" No database yet: the panel will ask for the admin password on first visit.")
            return
        from appliance.store import db as store, users
        conn = store.open_db(self.settings.db)
        try:
            admins = [r[0] for r in conn.execute(
                "SELECT username FROM users WHERE role = 'admin' ORDER BY username").fetchall()]
            if not admins or users.needs_setup(conn):
                t.line(" No admin user exists yet: the panel will ask for the admin password")
                t.line(" on first visit.")
                return
            if len(admins) == 1:
                name = admins[0]
                t.line(f" Admin user: {name}")
            else:
                for i, n in enumerate(admins, 1):
                    t.line(f"  {i}) {n}")
                t.line("  0) Back")
                pick = self.ask_choice(" Which admin? ", [str(i) for i in range(len(admins) + 1)])
                if pick == "0":
                    return
                name = admins[int(pick) - 1]
            t.line(f" At least {users.MIN_PASSWORD} characters; empty cancels.")
            while True:
                first = t.secret(f" New panel password for {name}: ")
                if not first:
                    raise Cancel
                try:
                    users.check_password_rules(first)
                except store.StoreError as exc:
                    t.line(f" Not accepted: {exc}. Try again.")
                    continue
                if t.secret(" Type it again: ") != first:
                    t.line(" The two entries differ. Try again.")
                    continue
                with no_interrupts():
                    users.set_password(conn, name, first)
                t.line(f" The panel password of {name} is changed; the old one no longer works.")
                return
        finally:
            conn.conn.close()

    # -- 4 logs --

    def logs(self) -> None:
        t = self.term
        self.title("Show logs")
        log = self.settings.asterisk_log
        choices = [
            ("Asterisk messages (messages.log)", lambda: self._file_lines(log / "messages.log")),
            ("Asterisk queue log (queue_log)", lambda: self._file_lines(log / "queue_log")),
            ("System journal", lambda: self._result_lines(self.system.journal())),
            ("Our services (jns-*)", lambda: self._result_lines(self.system.journal("jns-*"))),
            ("Alarms (alarms.log)", lambda: self._file_lines(self.settings.alarms)),
        ]
        for i, (label, _) in enumerate(choices, 1):
            t.line(f"  {i}) {label}")
        t.line("  0) Back")
        pick = self.ask_choice(" Which log? ", [str(i) for i in range(len(choices) + 1)])
        if pick == "0":
            return
        label, fetch = choices[int(pick) - 1]
        lines = fetch()
        t.line(f" {label}: last {len(lines)} line(s)")
        self.page(lines)
        t.line(" -- end --")

    # -- a alarms --

    def alarms(self) -> None:
        """Active alarms and the last day's history, from the database (jns alerts)."""
        self.title("Alarms")
        active, history = _alarm_lines(self.settings.db)
        lines = [" Active now:"] + [f"   {x}" for x in active]
        lines += ["", " Last 24 hours:"] + [f"   {x}" for x in history]
        lines += ["", " More: jns alerts history --since 7d; acknowledge: jns alerts ack <#>"]
        self.page(lines)

    def _file_lines(self, path: Path) -> list[str]:
        lines = self.system.tail(path, 200)
        if lines is None:
            return [f"({path} does not exist yet)"]
        return lines or [f"({path} is empty)"]

    @staticmethod
    def _result_lines(res) -> list[str]:
        lines = res.out.rstrip("\n").splitlines()
        return lines or [f"(no output; exit status {res.rc})"]

    # -- 5 ping --

    def ping(self) -> None:
        t = self.term
        self.title("Ping a host")

        def host(text: str) -> str:
            if not text:
                raise ValueError("type a host name or an IP address")
            if not valid_host(text):
                raise ValueError("use a host name (letters, digits, '-' and '.') "
                                 "or an IP address")
            return text

        target = self.ask_valid(" Host name or IP address (q to cancel): ", host)
        t.line(f" Pinging {target} (4 packets, up to 2 s each) ...")
        res = self.system.ping(target)
        t.lines([f" {l}".rstrip() for l in res.out.rstrip().splitlines()])
        if res.rc == 127:
            t.line(" (ping is missing from this firmware)")

    # -- 6 restart --

    def restart(self) -> None:
        t = self.term
        self.title("Restart services")
        for i, unit in enumerate(SERVICES, 1):
            state = _safe(lambda u=unit: self.system.unit_state(u), "unknown")
            t.line(f"  {i}) {unit:<14} ({state})")
        t.line(f"  {len(SERVICES) + 1}) all of them")
        t.line("  0) Back")
        pick = self.ask_choice(" Which one? ", [str(i) for i in range(len(SERVICES) + 2)])
        if pick == "0":
            return
        units = list(SERVICES) if int(pick) == len(SERVICES) + 1 else [SERVICES[int(pick) - 1]]
        if "jns-asterisk" in units:
            t.line(" Restarting Asterisk cuts every call in progress.")
        if not self.confirm(f"Restart {'all JNS services' if len(units) > 1 else units[0]}?"):
            raise Cancel
        t.line(" Restarting ...")
        res = self.system.restart(units)
        if res.ok:
            t.line(" Done.")
        else:
            t.line(f" systemctl failed (exit status {res.rc}):")
            t.lines([f"   {l}" for l in res.out.splitlines()])

    # -- 7, 8 reboot / power off --

    def reboot(self) -> object:
        self.title("Reboot")
        if not self.confirm("Reboot the box now? Calls in progress are cut."):
            raise Cancel
        return self._power(self.system.reboot(), "The box is rebooting now.")

    def poweroff(self) -> object:
        self.title("Power off")
        self.term.line(" After power off someone must switch the box on again on site.")
        if not self.confirm("Power off the box now? Calls in progress are cut."):
            raise Cancel
        return self._power(self.system.poweroff(), "The box is powering off now.")

    def _power(self, res, message: str) -> object:
        if res.ok:
            self.term.line(f" {message}")
            return EXIT
        self.term.line(f" It did not work (exit status {res.rc}):")
        self.term.lines([f"   {l}" for l in res.out.splitlines()])
        return None

    # -- 9 factory reset --

    def factory_reset(self) -> object:
        t = self.term
        self.title("Factory reset")
        t.lines([
            " This erases everything stored on this box:",
            "   - the database: users, agents, queues, IVR menus, routes, trunks, settings",
            "   - call recordings and voice prompts",
            "   - logs and alarms",
            "   - secrets: the console password, the AMI and SIP secrets",
            "   - network settings (the box comes back with DHCP)",
            " The firmware stays. The box reboots, erases, and starts like a new one:",
            " the panel and this console will ask for new passwords.",
        ])
        word = t.ask(" Type RESET in capitals to erase everything, anything else cancels: ")
        if word.strip() != "RESET":
            t.line(" Not RESET; nothing was erased.")
            return None
        with no_interrupts():
            res = self.system.factory_reset()
        if res.ok:
            t.line(" Factory reset requested; the box is rebooting now.")
            return EXIT
        t.line(f" The factory reset could not be started (exit status {res.rc}):")
        t.lines([f"   {l}" for l in res.out.splitlines()])
        return None

    # -- 11 firmware update --

    def _progress(self):
        """A progress callback that prints one line per step and per 10 %."""
        shown = {"step": None, "tenth": -1}

        def report(*args, **_extra) -> None:
            # updates say (step, fraction, message); backups (fraction, what)
            state, fraction, message = args if isinstance(args[0], str) else ("", *args)
            tenth = int(fraction * 10)
            if state != shown["step"] or tenth > shown["tenth"]:
                shown["step"], shown["tenth"] = state, tenth
                self.term.line(f"   {state:<11} {fraction * 100:5.1f} %  {message}"[:79])
        return report

    def _pick_usb(self, write: bool = False) -> tuple[dict, Path] | None:
        t = self.term
        volumes = _safe(self.system.usb_volumes, [])
        if not volumes:
            t.line(" No USB stick found. Plug one in (FAT, exFAT or ext4) and try again.")
            return None
        for i, v in enumerate(volumes, 1):
            size = f"{v['size'] / 1e9:.1f} GB" if v["size"] else ""
            t.line(f"  {i}) {v['device']} {v['label'] or '(no label)'} {size}")
        t.line("  0) Back")
        pick = self.ask_choice(" Which one? ", [str(i) for i in range(len(volumes) + 1)])
        if pick == "0":
            return None
        volume = volumes[int(pick) - 1]
        try:
            return volume, self.system.usb_mount(volume, write=write)
        except Unavailable as exc:
            t.line(f" {exc}")
            return None

    def _pick_file(self, folder: Path, suffix: str) -> Path | None:
        files = sorted(folder.glob(f"*{suffix}"))[-9:]
        if not files:
            self.term.line(f" No {suffix} file on the stick.")
            return None
        for i, f in enumerate(files, 1):
            self.term.line(f"  {i}) {f.name} ({f.stat().st_size >> 20} MiB)")
        self.term.line("  0) Back")
        pick = self.ask_choice(" Which one? ", [str(i) for i in range(len(files) + 1)])
        return None if pick == "0" else files[int(pick) - 1]

    def firmware(self) -> object:
        t = self.term
        self.title("Firmware update")
        st = _safe(self.system.firmware_status, None)
        if st is None:
            t.line(" The firmware state cannot be read.")
        else:
            other = st.get("other_version") or "no working firmware"
            t.line(f" Running version {st['version']} from slot {st['slot']}; "
                   f"slot {st['other_slot']}: {other}.")
            last = (st.get("history") or [None])[0]
            if st.get("rolled_back"):
                rb = st["rolled_back"]
                t.line(f" The last update, to {rb.get('version')}, failed on {rb.get('at')} and "
                       "the box went back to this version by itself:")
                t.line(f"   {rb.get('reason')}")
            elif last:
                t.line(f" Last update: {last.get('result')} {last.get('version') or ''} "
                       f"on {last.get('at')} - {last.get('reason') or ''}")
            if st.get("state") not in ("idle", None):
                t.line(f" Now: {st['state']}: {st.get('message')}")
        t.line(" A new version is written to the other slot and started on trial; if it")
        t.line(" fails its health check the box returns to this version by itself.")
        t.line("  u) Install from a URL    s) Install from a USB stick    0) Back")
        choice = self.ask_choice(" Choose: ", ["u", "s", "0"])
        volume = None
        if choice == "0":
            return None
        if choice == "u":
            t.line(" The address of the .jnsupd file (http:// or https://); empty cancels.")
            source = t.ask(" URL: ").strip()
            if not source:
                return None
        else:
            picked = self._pick_usb()
            if picked is None:
                return None
            volume, folder = picked
            path = self._pick_file(folder, ".jnsupd")
            if path is None:
                self.system.usb_unmount(volume)
                return None
            source = str(path)
        if not self.confirm("Install it now? The box restarts when it is written."):
            if volume:
                self.system.usb_unmount(volume)
            raise Cancel
        with no_interrupts():
            res = self.system.install_firmware(source, self._progress())
        if volume:
            self.system.usb_unmount(volume)
        if not res.ok:
            t.line(f" Not installed: {res.out}")
            t.line(" Nothing was changed; the box keeps running this version.")
            return None
        t.line(f" Version {res.out} is written. The box restarts on it now (on trial).")
        return self._power(self.system.reboot(), "The box is rebooting now.")

    # -- 12 backup and restore --

    def backups(self) -> object:
        t = self.term
        self.title("Backup and restore")
        t.line(" A backup is one encrypted file: database, prompts, music on hold,")
        t.line(" certificates and keys (recordings if you ask). Keep the passphrase safe:")
        t.line(" without it the file cannot be restored.")
        t.line("  b) Back up to a USB stick    r) Restore from a USB stick    0) Back")
        choice = self.ask_choice(" Choose: ", ["b", "r", "0"])
        if choice == "0":
            return None
        picked = self._pick_usb(write=choice == "b")
        if picked is None:
            return None
        volume, folder = picked
        try:
            if choice == "b":
                return self._backup_to(folder)
            return self._restore_from(folder)
        finally:
            self.system.usb_unmount(volume)

    def _backup_to(self, folder: Path) -> None:
        t = self.term
        passphrase = t.secret(" Passphrase (at least 8 characters): ")
        if len(passphrase) < 8:
            t.line(" Too short; nothing was written.")
            return None
        if t.secret(" Type it again: ") != passphrase:
            t.line(" The two did not match; nothing was written.")
            return None
        recordings = self.confirm("Include the call recordings (can be large)?")
        res = self.system.backup_to(folder, passphrase, recordings, self._progress())
        if res.ok:
            t.line(f" Backup written: {res.out}")
        else:
            t.line(f" The backup failed: {res.out}")
        return None

    def _restore_from(self, folder: Path) -> object:
        t = self.term
        path = self._pick_file(folder, ".jnsbak")
        if path is None:
            return None
        try:
            info = self.system.backup_info(path)
        except Exception as exc:
            t.line(f" This file cannot be read as a backup: {exc}")
            return None
        t.line(f" Made {info.get('created')} on {info.get('hostname')}, firmware "
               f"{info.get('firmware_version') or info.get('version') or '?'}"
               f"{', with recordings' if info.get('includes_recordings') else ''}.")
        t.line(" Restoring replaces this box's configuration, users and prompts.")
        passphrase = t.secret(" Passphrase: ")
        word = t.ask(" Type RESTORE in capitals to go on, anything else cancels: ")
        if word.strip() != "RESTORE":
            t.line(" Not RESTORE; nothing was changed.")
            return None
        with no_interrupts():
            res = self.system.restore_from(path, passphrase, self._progress())
        if not res.ok:
            t.line(f" Not restored: {res.out}")
            t.line(" Nothing was changed.")
            return None
        t.line(" Restored. The box restarts now to use it.")
        return self._power(self.system.reboot(), "The box is rebooting now.")

    # -- 10 shell --

    def shell(self) -> None:
        t = self.term
        t.line(" Starting a shell. Type exit to come back to this menu.")
        status = self.system.shell()
        t.line("")
        t.line(f" Back from the shell (exit status {status}).")


def _alarm_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    from appliance.store import alerts, db as store
    conn = store.open_db(db_path, migrate=False)
    try:
        return len(alerts.active_alerts(conn))
    finally:
        conn.conn.close()


def _alarm_lines(db_path: Path) -> tuple[list[str], list[str]]:
    """(active alarms, the last 24 h) as lines, through the alerts store (as `jns alerts`)."""
    if not db_path.exists():
        return ["no database yet"], []
    from appliance.store import alerts, db as store
    from appliance.watchdog.cli import format_active, format_history
    conn = store.open_db(db_path, migrate=False)
    try:
        now = time.time()
        return (format_active(alerts.active_alerts(conn)),
                format_history(alerts.alert_history(conn, now - 86400, now, limit=200)))
    finally:
        conn.conn.close()


def _safe(fn: Callable[[], object], default):
    """The header and Status must show something even when one fact cannot be had."""
    try:
        return fn()
    except Exception:
        return default


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _duration(seconds) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{h:02d}:{m:02d}:{s:02d}"


def _quiet_logging() -> None:
    """Library warnings (AMI reconnects) must not print on the technician's screen."""
    import logging
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def _own_signals() -> None:
    # Ctrl-C must mean "back to the menu" even if whoever started us ignored SIGINT (a
    # background job of a non-interactive shell does): Python then keeps it ignored.
    with contextlib.suppress(OSError, ValueError):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # Ctrl-Z / Ctrl-\ would stop or kill the menu, the login shell of the tty.  A Python
    # handler (not SIG_IGN) so that children such as the shell get the defaults back.
    for sig in (signal.SIGTSTP, signal.SIGQUIT):
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, lambda *_: None)


def run_menu(stdin=None, stdout=None, stderr=None,
             env: Mapping[str, str] | None = None) -> int:
    """The menu on the given streams (default: the process's tty); returns the exit code."""
    err = sys.stderr if stderr is None else stderr
    try:
        _own_signals()
        settings = Settings.from_env(env)
        term = Terminal(stdin, stdout, charset=settings.charset, env=env)
        _quiet_logging()
        return Menu(term, System(settings), settings, err=err).run()
    except (Hangup, EndOfInput):
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        with contextlib.suppress(Exception):
            print(f"jns-console: {type(exc).__name__}: {' '.join(str(exc).split())}"[:300],
                  file=err, flush=True)
        return 1
