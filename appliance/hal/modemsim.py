"""A GSM modem on a pseudo-terminal, for tests, benchmarks and `make run-host`.

A test/dev double: the box never imports it.  It behaves like real modems at the real
interface and nowhere else: the code under test opens `sim.port` with pyserial and talks
AT commands (3GPP TS 27.007 / 27.005, PDU mode) to it, exactly as it would to /dev/ttyUSB0.
Nothing else is shared; the test reads what "the network" saw through `sim.sent`.

Personalities bundle the identities, timings and quirks of modems met in the field
(SIM800, EC25, E173, and a "flaky" one with every bad habit at once); each quirk can also be
switched on alone with `quirks=` so a test can aim at one.  Randomness (noise, missing OKs)
comes from `random.Random(seed)`, so a failing run can be repeated.

One thread owns the pty master: it reads commands, runs timers (registration, the network's
answer to a send, delivery reports, periodic status URCs) and writes responses.  Control
methods (`deliver`, `unplug`, ...) hand their work to that thread and wait for it.
"""
from __future__ import annotations

import datetime as dt
import heapq
import logging
import os
import queue
import random
import re
import select
import threading
import time
import tty
from dataclasses import dataclass
from typing import Callable, Iterable

from . import pdu

__all__ = ["ModemSim", "SentSms", "PERSONALITIES", "QUIRKS"]

log = logging.getLogger("jns.modemsim")

CTRL_Z, ESC = 0x1A, 0x1B

QUIRKS = (
    "boot_errors",       # no answer, then +CME ERROR: 14 (SIM busy), for boot_s after power-up
    "echo_returns",      # ATZ (and now and then nothing at all) switches echo back on
    "missing_ok",        # the final OK is sometimes not sent
    "noise",             # garbage bytes between responses
    "bad_line_endings",  # \n only, \r only, doubled line ends
    "split_writes",      # responses and the "> " prompt dribble out in small chunks
    "slow",              # responses take about a second (every one; the flaky modem now and then)
    "drop_response",     # a command is sometimes ignored: no response at all
    "urc_midresponse",   # URCs land between a response's lines and its final OK
    "status_urcs",       # ^RSSI / ^MODE / ^BOOT / ^DSFLOWRPT every few seconds (Huawei)
    "cds_without_smsc",  # +CDS delivery reports without the leading SMSC field
)
NASTY = ("boot_errors", "echo_returns", "missing_ok", "noise", "bad_line_endings",
         "split_writes", "slow", "drop_response", "urc_midresponse")

PERSONALITIES: dict[str, dict] = {
    "generic": dict(quirks=(), manufacturer="JNS", model="ModemSim GSM", revision="1.0",
                    response_delay=0.01, index_base=1, storage="SM", boot_urcs=()),
    "simcom": dict(quirks=(), manufacturer="SIMCOM_Ltd", model="SIMCOM_SIM800L",
                   revision="Revision:1418B05SIM800L24", response_delay=0.002, index_base=1,
                   storage="SM",
                   boot_urcs=("RDY", "+CFUN: 1", "+CPIN: {cpin}", "Call Ready", "SMS Ready")),
    "quectel": dict(quirks=("echo_returns", "urc_midresponse", "boot_errors"),
                    manufacturer="Quectel", model="EC25", revision="EC25EFAR06A06M4G",
                    response_delay=0.02, index_base=0, storage="SM",
                    boot_urcs=("RDY", "+CPIN: {cpin}", "+QUSIM: 1", "+QIND: SMS DONE")),
    "huawei": dict(quirks=("slow", "status_urcs"), manufacturer="huawei", model="E173",
                   revision="11.126.85.00.209", response_delay=0.05, index_base=0,
                   storage="ME", boot_urcs=("^BOOT:20952837,0,0,0,72", "^MODE:3,2")),
    # slow now and then rather than always: its other habits cost timeouts enough
    "flaky": dict(quirks=NASTY, manufacturer="JNS", model="ModemSim flaky", revision="0.9",
                  response_delay=0.02, index_base=1, storage="SM", boot_urcs=("RDY",),
                  slow_rate=0.3),
}

# How often the random quirks bite.
RATES = {"missing_ok": 0.1, "drop_response": 0.07, "noise": 0.3, "echo_returns": 0.05,
         "bad_line_endings": 0.5}
STATUS_URC_EVERY_S = 2.0
CMGL_STAT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")

CME_TEXT = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
            11: "SIM PIN required", 12: "SIM PUK required", 14: "SIM busy",
            16: "incorrect password", 30: "no network service", 100: "unknown"}
CMS_TEXT = {302: "operation not allowed", 304: "invalid PDU mode parameter",
            305: "invalid text mode parameter", 310: "SIM not inserted",
            311: "SIM PIN required", 316: "SIM PUK required", 321: "invalid memory index",
            322: "memory full", 331: "no network service", 500: "unknown error"}


@dataclass(frozen=True)
class SentSms:
    """One SMS the network accepted: what the modem was given, the TP-MR it answered, when
    (time.monotonic())."""
    submit: pdu.Submit
    mr: int
    at: float


@dataclass
class _Stored:
    stat: int               # 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT
    pdu: str                # hex with an SMSC field


class _Error(Exception):
    def __init__(self, kind: str, code: int) -> None:
        super().__init__(f"{kind} {code}")
        self.kind, self.code = kind, code


class ModemSim:
    """A scripted GSM modem behind a pty slave, reached through the symlink `port`."""

    def __init__(self, personality: str = "generic", *, link_dir: str | os.PathLike,
                 name: str = "ttyUSB0", pin: str | None = None, puk: str = "12345678",
                 imei: str = "356938035643809", imsi: str = "260011234567890",
                 operator: str = "Plus", rssi: int = 18, send_delay_s: float = 0.2,
                 report_delay_s: float = 0.3, quirks: Iterable[str] = (), seed: int = 0,
                 sim_present: bool = True, storage_size: int = 30, first_mr: int = 0,
                 report_status: int = 0, boot_s: float = 1.5, register_delay_s: float = 0.2,
                 smsc: str = pdu.DEFAULT_SMSC) -> None:
        if personality not in PERSONALITIES:
            raise ValueError(f"unknown modem personality {personality!r}: "
                             f"one of {', '.join(PERSONALITIES)}")
        unknown = set(quirks) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown quirk(s) {', '.join(sorted(unknown))}: "
                             f"known are {', '.join(QUIRKS)}")
        self.personality = personality
        self.profile = PERSONALITIES[personality]
        self.quirks = frozenset(self.profile["quirks"]) | frozenset(quirks)
        self.port = os.path.join(os.fspath(link_dir), name)
        self.pin, self.puk = pin, puk
        self.imei, self.imsi, self.operator, self.smsc = imei, imsi, operator, smsc
        self.send_delay_s, self.report_delay_s = send_delay_s, report_delay_s
        self.boot_s, self.register_delay_s = boot_s, register_delay_s
        self.sim_present = sim_present
        self.storage_size = storage_size
        self.report_status = report_status
        self._rssi = rssi
        self._rng = random.Random(seed)
        self._next_mr = first_mr & 0xFF
        self._network_up = True
        self._storage: dict[int, _Stored] = {}     # survives power cycles, like a SIM
        # what the network holds for this modem: (due, "deliver" | "report", pdu hex); kept
        # while the modem is off, unregistered or full, as an SMSC keeps retrying
        self._network: list[tuple[float, str, str]] = []
        self._sent: list[SentSms] = []
        self._commands: list[str] = []
        self._state_lock = threading.Condition()
        self._calls: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = False
        self._master: int | None = None
        self._client = False                      # somebody has the slave open
        self._wake_r, self._wake_w = os.pipe()
        self._power_up(first=True)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "ModemSim":
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"modemsim-{self.port}", daemon=True)
        self._thread.start()
        self._call(self._plug)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._call(self._unplug)
            self._stop = True
            self._wake()
            self._thread.join(5)
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> "ModemSim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what happened -----------------------------------------------------------------------

    @property
    def sent(self) -> list[SentSms]:
        with self._state_lock:
            return list(self._sent)

    @property
    def commands(self) -> list[str]:
        with self._state_lock:
            return list(self._commands)

    @property
    def storage(self) -> dict[int, tuple[int, str]]:
        """index -> (stat, pdu) of the messages in the modem's message storage."""
        return self._call(lambda: {i: (m.stat, m.pdu) for i, m in sorted(self._storage.items())})

    @property
    def echo(self) -> bool:
        return self._echo

    def wait_sent(self, n: int, timeout: float = 30) -> list[SentSms]:
        """Block until the network accepted at least `n` messages; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._state_lock:
            while len(self._sent) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"modem simulator on {self.port}: {len(self._sent)} SMS "
                                       f"sent, {n} expected within {timeout} s")
                self._state_lock.wait(left)
            return list(self._sent)

    # --- control -----------------------------------------------------------------------------

    def unplug(self) -> None:
        """The USB cable is pulled: the port disappears, an open handle gets EIO / EOF."""
        self._call(self._unplug)

    def replug(self) -> None:
        """Plugged back in: a new pty behind the same name, in its power-up state."""
        def do() -> None:
            self._unplug()
            self._power_up()
            self._plug()
        self._call(do)

    def deliver(self, sender: str, text: str, *, order: list[int] | None = None,
                duplicate: Iterable[int] = (), drop: Iterable[int] = (), ref: int = 7) -> None:
        """An SMS arrives from the network: its parts (by seq number, in `order`, with the
        `duplicate` ones twice and the `drop` ones never) are stored and announced with
        +CMTI.  While the modem is unplugged, unregistered or full, the network holds them."""
        now = dt.datetime.now().astimezone()
        parts = pdu.encode_deliver_parts(sender, text, ref=ref, timestamp=now)
        seqs = list(order) if order is not None else list(range(1, len(parts) + 1))
        bad = [s for s in seqs if not 1 <= s <= len(parts)]
        if bad:
            raise ValueError(f"the message has {len(parts)} part(s); no part {bad}")
        dropped, dup = set(drop), set(duplicate)
        sequence: list[str] = []
        for s in seqs:
            if s in dropped:
                continue
            sequence.append(parts[s - 1])
            if s in dup:
                sequence.append(parts[s - 1])
        def do() -> None:
            now_m = time.monotonic()
            for k, h in enumerate(sequence):
                self._network.append((now_m + 0.05 * k, "deliver", h))
            self._network_tick()
        self._call(do)

    def deregister(self) -> None:
        """The network is lost (no coverage): +CREG URCs, sends fail with +CMS ERROR: 331."""
        def do() -> None:
            self._network_up = False
            self._set_registered(False)
        self._call(do)

    def register(self) -> None:
        """Coverage is back: the modem registers again after register_delay_s."""
        def do() -> None:
            self._network_up = True
            self._schedule_registration()
        self._call(do)

    def set_report_status(self, status: int) -> None:
        """TP-Status of the delivery reports from now on (0 delivered, 0x30 still trying...)."""
        def do() -> None:
            self.report_status = status
        self._call(do)

    def set_rssi(self, rssi: int) -> None:
        """Signal strength AT+CSQ reports from now on (0-31, 99 unknown)."""
        def do() -> None:
            self._rssi = rssi
        self._call(do)

    def inject(self, data: bytes) -> None:
        """Raw bytes on the line right now (noise, a URC the test writes by hand)."""
        self._call(lambda: self._emit(data, delay=0))

    def fill_storage(self) -> None:
        """Fill the message storage with old read messages: no +CMTI until AT+CMGD frees room."""
        def do() -> None:
            ts = dt.datetime.now().astimezone()
            for i in self._indexes():
                if i not in self._storage:
                    old = pdu.encode_deliver("+48600000000", f"stara wiadomosc {i}", timestamp=ts)
                    self._storage[i] = _Stored(1, old)
        self._call(do)

    # --- the I/O thread ----------------------------------------------------------------------

    def _call(self, fn: Callable):
        """Run fn on the I/O thread (or here when it is not running) and return its result."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn()
        done = threading.Event()
        box: list = []

        def wrapped() -> None:
            try:
                box.append((True, fn()))
            except BaseException as exc:   # handed back to the caller
                box.append((False, exc))
            finally:
                done.set()
        self._calls.put(wrapped)
        self._wake()
        if not done.wait(10):
            raise TimeoutError(f"modem simulator on {self.port} is stuck")
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop:
            try:
                self._step()
            except Exception:                  # a bug here must show, not silence the modem
                log.exception("modem simulator on %s", self.port)
                time.sleep(0.05)

    def _step(self) -> None:
        """One turn of the I/O thread: control calls, timers, output, then wait for input."""
        while True:
            try:
                self._calls.get_nowait()()
            except queue.Empty:
                break
        now = time.monotonic()
        self._run_timers(now)
        self._flush_output(now)
        timeout = 1.0
        if self._timers:
            timeout = min(timeout, max(0.0, self._timers[0][0] - now))
        if self._out:
            timeout = min(timeout, max(0.0, self._out[0][0] - now))
        rlist = [self._wake_r]
        wlist = []
        if self._master is not None:
            if self._client:
                rlist.append(self._master)
                if self._writebuf:
                    wlist.append(self._master)
            else:
                timeout = min(timeout, 0.05)   # poll for a client opening the port
        try:
            r, w, _ = select.select(rlist, wlist, [], timeout)
        except (OSError, ValueError):
            return
        if self._wake_r in r:
            try:
                os.read(self._wake_r, 4096)
            except OSError:
                pass
        if self._master is not None and (self._master in r or not self._client):
            self._read_master()
        if self._master is not None and self._writebuf and self._client:
            self._write_master()

    def _read_master(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            self._client = True
            return
        except OSError:
            # EIO: nobody has the port open; what a real modem sends then is lost
            self._client = False
            self._writebuf = bytearray()
            return
        self._client = True
        if data:
            self._receive(data)

    def _write_master(self) -> None:
        try:
            n = os.write(self._master, bytes(self._writebuf[:1024]))
            del self._writebuf[:n]
        except BlockingIOError:
            pass
        except OSError:
            self._client = False
            self._writebuf = bytearray()

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        path = os.ttyname(slave)
        os.close(slave)          # only the client holds the slave: closing it is seen as EIO
        self._master = master
        self._client = False
        self._booted_at = time.monotonic()
        tmp = self.port + ".plugging"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(path, tmp)
        os.replace(tmp, self.port)
        self._boot_urcs()

    def _unplug(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None
        self._client = False
        try:
            os.unlink(self.port)
        except FileNotFoundError:
            pass
        # whatever was on its way (responses, a send in progress) dies with the power
        self._out.clear()
        self._writebuf = bytearray()
        self._timers.clear()
        self._held_urcs.clear()
        self._mode = "command"

    # --- power-up state ----------------------------------------------------------------------

    def _power_up(self, first: bool = False) -> None:
        self._booted_at = time.monotonic()
        self._echo = True                  # V.250 factory default: E1
        self._cmee = 0
        self._cmgf = 0
        self._creg_n = 0
        self._cops_format = 0
        self._cnmi = [2, 1, 0, 0, 0]
        self._mem = self.profile["storage"]
        self._sim_state = "READY" if self.pin is None else "SIM PIN"
        if getattr(self, "_puk_locked", False):
            self._sim_state = "SIM PUK"
        self._registered = False
        self._mode = "command"
        self._inbuf = bytearray()
        self._pdu_buf = bytearray()
        self._cmgs: tuple | None = None
        self._buffered_urcs: list[str] = []
        if first:
            self._puk_locked = False
            self._pin_tries = 3            # kept by the SIM across power cycles
            self._out: list[tuple[float, bytes]] = []
            self._writebuf = bytearray()
            self._timers: list[tuple[float, int, Callable]] = []
            self._timer_seq = 0
            self._held_urcs: list[str] = []
        self._last_due = 0.0
        if self._sim_state == "READY":
            self._schedule_registration()
        if "status_urcs" in self.quirks:
            self._after(STATUS_URC_EVERY_S, self._status_urc)

    def _boot_urcs(self) -> None:
        cpin = "NOT INSERTED" if not self.sim_present else self._sim_state
        for k, line in enumerate(self.profile["boot_urcs"]):   # a moment after power-up
            self._emit(f"\r\n{line.format(cpin=cpin)}\r\n".encode(), delay=0.2 + 0.05 * k)

    def _schedule_registration(self) -> None:
        if self._network_up and self.sim_present and self._sim_state == "READY":
            self._after(self.register_delay_s, lambda: self._set_registered(self._network_up))

    def _set_registered(self, registered: bool) -> None:
        if registered == self._registered:
            return
        self._registered = registered
        if self._creg_n:
            cell = self._creg_cell() if self._creg_n == 2 and registered else ""
            self._urc(f"+CREG: {self._creg_stat()}{cell}")
        if registered:
            self._after(0.05, self._network_tick)

    def _creg_stat(self) -> int:
        if self._registered:
            return 1
        return 2 if self.sim_present and self._sim_state == "READY" else 0   # 2: searching

    @staticmethod
    def _creg_cell() -> str:
        return ',"58D4","0F1A2B"'

    def _status_urc(self) -> None:
        line = self._rng.choice([f"^RSSI:{self._rssi}", "^MODE:3,2", "^BOOT:20952837,0,0,0,72",
                                 "^DSFLOWRPT:00000010,00000000,00000000,0000000000000000,"
                                 "0000000000000000,0000000000,0000000000"])
        self._emit(f"\r\n{line}\r\n".encode(), delay=0)
        self._after(STATUS_URC_EVERY_S, self._status_urc)

    # --- timers and output -------------------------------------------------------------------

    def _after(self, delay: float, fn: Callable) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay, self._timer_seq, fn))
        self._wake()

    def _run_timers(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            fn()

    def _emit(self, data: bytes, delay: float) -> None:
        """Queue bytes for the line, never overtaking what is already queued."""
        due = max(time.monotonic() + delay, self._last_due)
        if "split_writes" in self.quirks and len(data) > 1:
            i = 0
            while i < len(data):
                n = self._rng.randint(1, 8)        # like USB-serial packets, but smaller
                self._out.append((due, data[i:i + n]))
                i += n
                due += self._rng.uniform(0.002, 0.015)
        else:
            self._out.append((due, data))
        self._last_due = due
        self._wake()

    def _flush_output(self, now: float) -> None:
        while self._out and self._out[0][0] <= now:
            _, data = self._out.pop(0)
            if self._master is not None and self._client:
                self._writebuf += data
            # nobody listening: the bytes are lost, as on a real serial line

    def _line_end(self) -> str:
        if "bad_line_endings" in self.quirks and self._rng.random() < RATES["bad_line_endings"]:
            return self._rng.choice(["\n", "\r", "\r\r\n", "\r\n\r\n", "\n\r"])
        return "\r\n"

    def _frame(self, lines: list[str]) -> str:
        """One information block (V.250): CR LF, its lines separated by CR LF, CR LF."""
        if not lines:
            return ""
        return self._line_end() + "".join(
            ln + self._line_end() for ln in lines)

    def _delay(self) -> float:
        delay = self.profile["response_delay"]
        if "slow" in self.quirks and self._rng.random() < self.profile.get("slow_rate", 1.0):
            delay += self._rng.uniform(0.6, 1.2)
        return delay

    def _respond(self, info: list[str], final: str | None = "OK") -> None:
        """Send one command's response: its info lines, then the final result code."""
        delay = self._delay()
        out = ""
        if "noise" in self.quirks and self._rng.random() < RATES["noise"]:
            out += self._noise()
        blocks = [list(info)] if info else []
        if self._held_urcs:
            # urc_midresponse: the URCs that were waiting ride inside this response
            blocks.insert(1 if blocks else 0, self._held_urcs)
            self._held_urcs = []
        if final is not None:
            if not (final == "OK" and "missing_ok" in self.quirks
                    and self._rng.random() < RATES["missing_ok"]):
                blocks.append([final])
        out += "".join(self._frame(b) for b in blocks)
        self._emit(out.encode("latin-1", "replace"), delay)

    def _noise(self) -> str:
        pool = [c for c in range(0x80, 0x100)] + [0x00, 0x07, 0x11, 0x13, 0x7F]
        return "".join(chr(self._rng.choice(pool)) for _ in range(self._rng.randint(1, 6)))

    def _urc(self, text: str) -> None:
        """An unsolicited result code (one or more lines joined by \\r\\n)."""
        lines = text.split("\r\n")
        if "urc_midresponse" in self.quirks:
            self._held_urcs.extend(lines)
            # no response comes along to carry it: it goes out alone after a while
            self._after(0.5, self._release_held)
            return
        self._emit(self._frame(lines).encode(), delay=0)

    def _release_held(self) -> None:
        if self._held_urcs:
            lines, self._held_urcs = self._held_urcs, []
            self._emit(self._frame(lines).encode(), delay=0)

    def _sms_urc(self, text: str) -> None:
        """+CMTI / +CDS / +CDSI / +CMT: buffered while CNMI mode is 0."""
        if self._cnmi[0] == 0:
            self._buffered_urcs.append(text)
        else:
            self._urc(text)

    # --- input -------------------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        booting = ("boot_errors" in self.quirks
                   and time.monotonic() - self._booted_at < self.boot_s * 0.4)
        if self._echo and not booting:
            self._emit(data, delay=0)
        for b in data:
            if self._mode == "pdu":
                if b == CTRL_Z:
                    self._mode = "command"
                    self._finish_cmgs(bytes(self._pdu_buf))
                elif b == ESC:
                    self._mode = "command"
                    self._cmgs = None
                    self._respond([])                      # send cancelled
                else:
                    self._pdu_buf.append(b)
                continue
            if b == 0x0D:
                line = self._inbuf.decode("latin-1").strip()
                self._inbuf.clear()
                if line:
                    self._command_line(line)
            elif b == 0x0A:
                continue
            else:
                self._inbuf.append(b)
                if len(self._inbuf) > 4096:
                    self._inbuf.clear()

    def _command_line(self, line: str) -> None:
        with self._state_lock:
            self._commands.append(line)
        if not line[:2].upper() == "AT":
            return                                     # line noise: a modem ignores it
        since_boot = time.monotonic() - self._booted_at
        if "boot_errors" in self.quirks and since_boot < self.boot_s:
            if since_boot < self.boot_s * 0.4:
                return                                 # still booting: no answer at all
            if line.upper() not in ("AT", "ATE0", "ATE1"):
                self._respond([], self._error_text("CME", 14))
                return
        if "drop_response" in self.quirks and self._rng.random() < RATES["drop_response"]:
            return
        if "echo_returns" in self.quirks and not self._echo \
                and self._rng.random() < RATES["echo_returns"]:
            self._echo = True
        try:
            result = self._execute(line)
        except _Error as err:
            self._respond([], self._error_text(err.kind, err.code))
            return
        if result is not None:
            self._respond(result)

    def _error_text(self, kind: str, code: int) -> str:
        if self._cmee == 0 or not kind:
            return "ERROR"
        if self._cmee == 2:
            text = (CME_TEXT if kind == "CME" else CMS_TEXT).get(code)
            if text:
                return f"+{kind} ERROR: {text}"
        return f"+{kind} ERROR: {code}"

    # --- commands ----------------------------------------------------------------------------

    def _execute(self, line: str) -> list[str] | None:
        """Run one command line; info lines for OK, None when the response is sent later."""
        body = line[2:]
        if not body:
            return []
        if body[0] in "+^":
            m = re.fullmatch(r"([+^][A-Za-z]+)(=\?|\?|=(.*))?", body, re.S)
            if not m:
                raise _Unknown()
            name = m.group(1).upper()
            query = m.group(2) == "?"
            test = m.group(2) == "=?"
            args = m.group(3)
            handler = getattr(self, "_cmd_" + name[1:].lower(), None)
            if handler is None:
                raise _Unknown()
            return handler(query=query, test=test, args=args)
        return self._basic(body.upper())

    def _basic(self, body: str) -> list[str]:
        info: list[str] = []
        for cmd, num in re.findall(r"(&?[A-Z])(\d*)", body):
            if cmd == "E":
                self._echo = num != "0"
            elif cmd == "Z":
                self._cmee, self._cmgf, self._creg_n = 0, 0, 0
                self._cnmi = [2, 1, 0, 0, 0]
                if "echo_returns" in self.quirks:
                    self._echo = True
            elif cmd == "I":
                info += [self.profile["manufacturer"], self.profile["model"],
                         "Revision: " + self.profile["revision"]]
            elif cmd in ("V", "Q", "&F", "&W", "&D", "&C", "X", "S"):
                pass
            else:
                raise _Unknown()
        return info

    def _need_sim(self, kind: str) -> None:
        if not self.sim_present:
            raise _Error(kind, 10 if kind == "CME" else 310)
        if self._sim_state == "SIM PIN":
            raise _Error(kind, 11 if kind == "CME" else 311)
        if self._sim_state == "SIM PUK":
            raise _Error(kind, 12 if kind == "CME" else 316)

    @staticmethod
    def _args(args: str | None) -> list[str]:
        """Comma-separated parameters, quotes removed (commas inside quotes kept)."""
        if args is None or not args.strip():
            return []
        out, cur, quoted = [], "", False
        for ch in args:
            if ch == '"':
                quoted = not quoted
            elif ch == "," and not quoted:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        out.append(cur.strip())
        return out

    def _cmd_cmee(self, *, query, test, args):
        if query:
            return [f"+CMEE: {self._cmee}"]
        if test:
            return ["+CMEE: (0-2)"]
        a = self._args(args)
        if not a or a[0] not in ("0", "1", "2"):
            raise _Error("CME", 3)
        self._cmee = int(a[0])
        return []

    def _cmd_cpin(self, *, query, test, args):
        if test:
            return []
        if not self.sim_present:
            raise _Error("CME", 10)
        if query:
            return [f"+CPIN: {self._sim_state}"]
        a = self._args(args)
        if self._sim_state == "READY":
            raise _Error("CME", 3)
        if self._sim_state == "SIM PIN":
            if a and a[0] == self.pin:
                self._sim_ready()
                return []
            self._pin_tries -= 1
            if self._pin_tries <= 0:
                self._sim_state = "SIM PUK"
                self._puk_locked = True
            raise _Error("CME", 16)
        # SIM PUK: AT+CPIN="<puk>","<new pin>"
        if len(a) >= 2 and a[0] == self.puk and a[1]:
            self.pin = a[1]
            self._puk_locked = False
            self._sim_ready()
            return []
        raise _Error("CME", 16)

    def _sim_ready(self) -> None:
        self._sim_state = "READY"
        self._pin_tries = 3
        self._schedule_registration()

    def _cmd_csq(self, *, query, test, args):
        if test:
            return ["+CSQ: (0-31,99),(0-7,99)"]
        return [f"+CSQ: {self._rssi},99"]

    def _cmd_creg(self, *, query, test, args):
        if test:
            return ["+CREG: (0-2)"]
        if query:
            extra = self._creg_cell() if self._creg_n == 2 and self._registered else ""
            return [f"+CREG: {self._creg_n},{self._creg_stat()}{extra}"]
        a = self._args(args)
        if not a or a[0] not in ("0", "1", "2"):
            raise _Error("CME", 3)
        self._creg_n = int(a[0])
        return []

    def _cmd_cops(self, *, query, test, args):
        if test:
            return [f'+COPS: (2,"{self.operator}","{self.operator}","{self.imsi[:5]}",2),,(0-4),(0-2)']
        if query:
            if not self._registered:
                return ["+COPS: 0"]
            name = self.imsi[:5] if self._cops_format == 2 else self.operator
            return [f'+COPS: 0,{self._cops_format},"{name}"']
        a = self._args(args)
        if len(a) >= 2 and a[0] == "3" and a[1] in ("0", "1", "2"):
            self._cops_format = int(a[1])
            return []
        if a and a[0] in ("0", "3"):
            return []
        raise _Error("CME", 3)

    def _cmd_cgsn(self, *, query, test, args):
        return [] if test else [self.imei]

    def _cmd_cimi(self, *, query, test, args):
        if test:
            return []
        self._need_sim("CME")
        return [self.imsi]

    def _cmd_cgmi(self, *, query, test, args):
        return [] if test else [self.profile["manufacturer"]]

    def _cmd_cgmm(self, *, query, test, args):
        return [] if test else [self.profile["model"]]

    def _cmd_cgmr(self, *, query, test, args):
        return [] if test else [self.profile["revision"]]

    def _cmd_cfun(self, *, query, test, args):
        if query:
            return ["+CFUN: 1"]
        return []

    def _cmd_cmgf(self, *, query, test, args):
        if test:
            return ["+CMGF: (0,1)"]
        if query:
            return [f"+CMGF: {self._cmgf}"]
        a = self._args(args)
        if not a or a[0] not in ("0", "1"):
            raise _Error("CMS", 302)
        self._cmgf = int(a[0])
        return []

    def _cmd_csca(self, *, query, test, args):
        if query:
            return [f'+CSCA: "{self.smsc}",145']
        return []

    def _cmd_csms(self, *, query, test, args):
        if test:
            return ["+CSMS: (0,1)"]
        if query:
            return ["+CSMS: 0,1,1,1"]
        return ["+CSMS: 1,1,1"]

    def _cmd_cnmi(self, *, query, test, args):
        if test:
            return ["+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)"]
        if query:
            return ["+CNMI: " + ",".join(map(str, self._cnmi))]
        a = self._args(args)
        try:
            values = [int(x) if x else 0 for x in a]
        except ValueError:
            raise _Error("CMS", 302) from None
        if not values or len(values) > 5 or not 0 <= values[0] <= 3:
            raise _Error("CMS", 302)
        self._cnmi = values + self._cnmi[len(values):]
        if self._cnmi[0] != 0 and self._buffered_urcs:
            buffered, self._buffered_urcs = self._buffered_urcs, []
            if self._cnmi[4] == 0:
                self._after(0.05, lambda: [self._urc(u) for u in buffered])
        return []

    def _cmd_cpms(self, *, query, test, args):
        if test:
            return ['+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")']
        self._need_sim("CMS")
        used, total = len(self._storage), self.storage_size
        if query:
            m = self._mem
            return [f'+CPMS: "{m}",{used},{total},"{m}",{used},{total},"{m}",{used},{total}']
        a = self._args(args)
        if not a or any(x not in ("SM", "ME", "MT", "SR") for x in a if x):
            raise _Error("CMS", 302)
        self._mem = a[-1] if a[-1] in ("SM", "ME") else self._mem
        counts = ",".join(f"{used},{total}" for _ in range(3))
        return [f"+CPMS: {counts}"]

    def _cmd_cnma(self, *, query, test, args):
        return []

    # --- sending -----------------------------------------------------------------------------

    def _cmd_cmgs(self, *, query, test, args):
        if test or query:
            return []
        self._need_sim("CMS")
        a = self._args(args)
        if self._cmgf == 0:
            if len(a) != 1 or not a[0].isdigit() or not 7 <= int(a[0]) <= 180:
                raise _Error("CMS", 304)
            self._cmgs = ("pdu", int(a[0]))
        else:
            if not a or not a[0]:
                raise _Error("CMS", 305)
            self._cmgs = ("text", a[0])
        self._mode = "pdu"
        self._pdu_buf = bytearray()
        self._emit(f"{self._line_end()}> ".encode(), delay=self._delay())
        return None

    def _finish_cmgs(self, raw: bytes) -> None:
        kind, arg = self._cmgs or ("pdu", 0)
        self._cmgs = None
        try:
            if kind == "pdu":
                hexpdu = "".join(raw.decode("latin-1").split())
                try:
                    submit = pdu.decode(hexpdu)
                except pdu.PduError:
                    raise _Error("CMS", 304) from None
                smsc_octets = int(hexpdu[:2], 16)
                if not isinstance(submit, pdu.Submit) or len(hexpdu) // 2 - 1 - smsc_octets != arg:
                    raise _Error("CMS", 304)
            else:
                text = raw.decode("latin-1").rstrip("\r\n")
                submit = pdu.Submit(number=arg, text=text, mr=0, want_report=False, concat=None,
                                    encoding=pdu.encoding_for(text))
        except _Error as err:
            self._respond([], self._error_text(err.kind, err.code))
            return
        if not self._registered:
            self._after(self.send_delay_s, lambda: self._respond([], self._error_text("CMS", 331)))
            return
        self._after(self.send_delay_s, lambda: self._network_accepts(submit))

    def _network_accepts(self, submit: pdu.Submit) -> None:
        if not self._registered:                 # coverage lost while the send was on its way
            self._respond([], self._error_text("CMS", 331))
            return
        mr = self._next_mr
        self._next_mr = (mr + 1) & 0xFF
        with self._state_lock:
            self._sent.append(SentSms(submit=submit, mr=mr, at=time.monotonic()))
            self._state_lock.notify_all()
        self._respond([f"+CMGS: {mr}"])
        if submit.want_report:
            now = dt.datetime.now().astimezone().replace(microsecond=0)
            try:
                report = pdu.encode_status_report(
                    mr, submit.number or "0", status=self.report_status,
                    timestamp=now, discharge=now + dt.timedelta(seconds=self.report_delay_s // 1),
                    smsc=self.smsc)
            except pdu.PduError:
                return
            self._network.append((time.monotonic() + self.report_delay_s, "report", report))
            self._after(self.report_delay_s, self._network_tick)

    # --- the network side --------------------------------------------------------------------

    def _network_tick(self) -> None:
        """Hand the modem what the network holds for it, when it is on, registered and due."""
        if self._master is None or not self._registered or not self._network:
            return
        now = time.monotonic()
        remaining: list[tuple[float, str, str]] = []
        blocked = False
        for item in self._network:
            due, kind, hexpdu = item
            if due > now or (kind == "deliver" and blocked):
                remaining.append(item)
                continue
            if not self._to_modem(kind, hexpdu):
                remaining.append(item)
                blocked = blocked or kind == "deliver"
        self._network = remaining
        future = [due for due, _, _ in remaining if due > now]
        if future:
            self._after(min(future) - now, self._network_tick)

    def _to_modem(self, kind: str, hexpdu: str) -> bool:
        """One SMS or delivery report reaches the modem; False when it has no room for it."""
        length = len(hexpdu) // 2 - 1 - int(hexpdu[:2], 16)
        if kind == "report":
            ds = self._cnmi[3]
            if ds == 1:
                if "cds_without_smsc" in self.quirks:
                    hexpdu = hexpdu[2 + 2 * int(hexpdu[:2], 16):]
                self._sms_urc(f"+CDS: {length}\r\n{hexpdu}")
            elif ds == 2:
                index = self._store(hexpdu)
                if index is None:
                    return False
                self._sms_urc(f'+CDSI: "{self._mem}",{index}')
            return True                      # ds=0: reports are not routed to the TE
        if self._cnmi[1] == 2:
            self._sms_urc(f"+CMT: ,{length}\r\n{hexpdu}")
            return True
        index = self._store(hexpdu)
        if index is None:
            return False                     # memory full: the SMSC keeps it and retries
        if self._cnmi[1] == 1:
            self._sms_urc(f'+CMTI: "{self._mem}",{index}')
        return True

    # --- message storage ---------------------------------------------------------------------

    def _indexes(self) -> range:
        base = self.profile["index_base"]
        return range(base, base + self.storage_size)

    def _store(self, hexpdu: str) -> int | None:
        for i in self._indexes():
            if i not in self._storage:
                self._storage[i] = _Stored(0, hexpdu)
                return i
        return None

    def _listing(self, index: int, m: _Stored) -> list[str]:
        length = len(m.pdu) // 2 - 1 - int(m.pdu[:2], 16)
        if self._cmgf == 0:
            return [f"{index},{m.stat},,{length}", m.pdu]
        msg = pdu.decode(m.pdu)
        stat = CMGL_STAT[m.stat]
        if isinstance(msg, pdu.Deliver):
            ts = msg.timestamp.strftime("%y/%m/%d,%H:%M:%S")
            q = int(msg.timestamp.utcoffset().total_seconds() // 900)
            return [f'{index},"{stat}","{msg.sender}",,"{ts}{q:+03d}"', msg.text]
        if isinstance(msg, pdu.StatusReport):
            return [f'{index},"{stat}",6,{msg.mr},"{msg.recipient}",145,,,{msg.status}']
        return [f'{index},"{stat}","{msg.number}",,', msg.text]

    def _cmd_cmgr(self, *, query, test, args):
        if test or query:
            return []
        self._need_sim("CMS")
        a = self._args(args)
        if len(a) != 1 or not a[0].isdigit():
            raise _Error("CMS", 302)
        index = int(a[0])
        if index not in self._indexes():
            raise _Error("CMS", 321)
        m = self._storage.get(index)
        if m is None:
            return []                                # empty slot: just OK (SIM800, EC25)
        head, *rest = self._listing(index, m)
        info = [f"+CMGR: {head.split(',', 1)[1]}"] + rest
        if m.stat == 0:
            m.stat = 1
        return info

    def _cmd_cmgl(self, *, query, test, args):
        if test:
            return ['+CMGL: (0-4)' if self._cmgf == 0 else '+CMGL: ("REC UNREAD","REC READ",'
                    '"STO UNSENT","STO SENT","ALL")']
        self._need_sim("CMS")
        a = self._args(args)
        want = a[0] if a else ("4" if self._cmgf == 0 else "ALL")
        if self._cmgf == 0:
            if want not in ("0", "1", "2", "3", "4"):
                raise _Error("CMS", 302)
            stat = int(want)
        else:
            if want.upper() not in CMGL_STAT:
                raise _Error("CMS", 302)
            stat = CMGL_STAT.index(want.upper())
        info: list[str] = []
        for index in sorted(self._storage):
            m = self._storage[index]
            if stat == 4 or m.stat == stat:
                head, *rest = self._listing(index, m)
                info += [f"+CMGL: {head}"] + rest
                if m.stat == 0:
                    m.stat = 1
        return info

    def _cmd_cmgd(self, *, query, test, args):
        if test:
            return [f"+CMGD: ({self._indexes()[0]}-{self._indexes()[-1]}),(0-4)"]
        self._need_sim("CMS")
        a = self._args(args)
        if not a or not a[0].isdigit():
            raise _Error("CMS", 302)
        index = int(a[0])
        flag = int(a[1]) if len(a) > 1 and a[1].isdigit() else 0
        if flag == 0:
            if index not in self._indexes():
                raise _Error("CMS", 321)
            self._storage.pop(index, None)
        else:
            keep = {1: (0, 2, 3), 2: (0, 2), 3: (0,), 4: ()}.get(flag)
            if keep is None:
                raise _Error("CMS", 302)
            for i in [i for i, m in self._storage.items() if m.stat not in keep]:
                del self._storage[i]
        if self._network:
            self._after(0.05, self._network_tick)
        return []

    def _cmd_cmgw(self, *, query, test, args):
        # writing a message to storage: only to show +CMS ERROR: 322 when it is full
        self._need_sim("CMS")
        if len(self._storage) >= self.storage_size:
            raise _Error("CMS", 322)
        raise _Error("CMS", 302)


class _Unknown(_Error):
    """A command this modem does not know: plain ERROR whatever AT+CMEE says."""

    def __init__(self) -> None:
        super().__init__("", 0)


def main(argv: list[str] | None = None) -> int:
    """Run one simulated modem until Ctrl-C, printing what it sends (for make run-host)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m appliance.hal.modemsim",
                                     description="A GSM modem on a pseudo-terminal (test double).")
    parser.add_argument("--link-dir", required=True, help="directory for the port symlink")
    parser.add_argument("--name", default="ttyUSB0")
    parser.add_argument("--personality", default="generic", choices=sorted(PERSONALITIES))
    parser.add_argument("--quirk", action="append", default=[], choices=QUIRKS)
    parser.add_argument("--pin")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.link_dir, exist_ok=True)
    sim = ModemSim(args.personality, link_dir=args.link_dir, name=args.name, pin=args.pin,
                   quirks=args.quirk, seed=args.seed).start()
    print(f"{args.personality} modem on {sim.port}; Ctrl-C stops it", flush=True)
    seen = 0
    try:
        while True:
            try:
                sent = sim.wait_sent(seen + 1, timeout=3600)
            except TimeoutError:
                continue
            for s in sent[seen:]:
                print(f"SMS mr={s.mr} to {s.submit.number}: {s.submit.text!r}", flush=True)
            seen = len(sent)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
