"""GSM modem driver: an AT command channel over a serial port and the modem on top of it.

`ATChannel` owns one serial port: a reader thread blocks on the port, splits what comes
into lines however the modem ends them (\\r\\n, \\n, \\r, noise bytes, responses split
across reads), recognises the "> " prompt that has no line end, tells the final result of
a command (OK, ERROR, +CME ERROR, +CMS ERROR, NO CARRIER...) from its information lines,
and hands unsolicited result codes (+CMTI, +CDS, +CREG, RING, ^RSSI...) to a callback even
when they arrive in the middle of another command's response.  An echo that comes back on
is recognised and ignored (the modem reports `echo_seen` so the driver turns it off again).

`Modem` speaks 3GPP TS 27.007/27.005 through it: init (SIM, PIN, registration, operator,
signal, identity), SMS in PDU mode (appliance.hal.pdu) out and in, delivery reports.

Errors say what a technician can do.  This module never touches the database: the modem
service (modemd) decides what to store and when a PIN may be entered.  It never enters a
PIN it was not given, and never enters one twice in a call.
"""
from __future__ import annotations

import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import serial

from . import pdu

log = logging.getLogger("jns.gsm")

FINAL_OK = ("OK",)
FINAL_ERROR = ("ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT",
               "TOO MANY PARAMETERS")
ERROR_PREFIXES = ("+CME ERROR:", "+CMS ERROR:")
# unsolicited result codes; those followed by a PDU line are in URC_WITH_PDU
URC_PREFIXES = ("+CMTI:", "+CDSI:", "+CDS:", "+CMT:", "+CBM:", "+CREG:", "+CGREG:", "+CEREG:",
                "+CUSD:", "+CRING:", "+CLIP:", "+CIEV:", "+CMS:", "^RSSI:", "^BOOT:", "^MODE:",
                "^SRVST:", "^SIMST:", "^HCSQ:", "^SMMEMFULL", "^RFSWITCH:", "+QIND:", "+CPIN:",
                "+CFUN:", "+PBREADY", "+STIN:", "*PSUTTZ:", "+CTZV:", "DST:", "+NITZ:")
URC_WORDS = ("RING", "RDY", "SMS READY", "CALL READY", "+PBREADY", "PB DONE", "NORMAL POWER DOWN",
             "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN")
URC_WITH_PDU = ("+CDS:", "+CMT:", "+CBM:")
CTRL_Z, ESC = b"\x1a", b"\x1b"

# +CMS ERROR codes that will not get better by trying again (27.005 3.2.5, 24.011 E-2)
CMS_PERMANENT = {1, 8, 10, 21, 27, 28, 29, 30, 50, 96, 97, 98, 99, 111, 127, 128, 129, 130, 143,
                 144, 145, 159, 160, 161, 175, 176, 208, 209, 210, 255, 300, 301, 302, 303,
                 304, 305, 306, 307, 330}
CME_TEXT = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
            11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
            15: "wrong SIM", 16: "incorrect PIN", 17: "SIM PIN2 required", 18: "SIM PUK2 required",
            30: "no network service", 31: "network timeout", 100: "unknown error"}
CMS_TEXT = {21: "message rejected by the network", 28: "unknown subscriber",
            38: "network out of order", 41: "temporary network failure", 42: "network congestion",
            300: "modem failure", 302: "operation not allowed", 304: "invalid PDU",
            310: "SIM not inserted", 311: "SIM PIN required", 320: "memory failure",
            322: "SIM memory full", 330: "SMSC address unknown", 331: "no network service",
            332: "network timeout", 500: "unknown error"}
REGISTRATION = {0: "not registered", 1: "home network", 2: "searching", 3: "denied",
                4: "unknown", 5: "roaming"}


class GsmError(Exception):
    """Something a technician can act on; the text says what."""


class ModemGone(GsmError):
    """The port vanished or stopped answering (unplugged, powered off)."""


class ATTimeout(GsmError):
    """No final result within the command's time."""


class ATError(GsmError):
    """The modem answered ERROR / +CME ERROR: n / +CMS ERROR: n."""

    def __init__(self, command: str, final: str, port: str = "") -> None:
        self.command, self.final, self.port = command, final, port
        kind, _, code = final.partition(":")
        self.cme = self.cms = None
        text = ""
        if kind == "+CME ERROR":
            self.cme = int_or_none(code)
            text = CME_TEXT.get(self.cme, "") if self.cme is not None else code.strip()
        elif kind == "+CMS ERROR":
            self.cms = int_or_none(code)
            text = CMS_TEXT.get(self.cms, "") if self.cms is not None else code.strip()
        where = f"modem on {port}" if port else "modem"
        super().__init__(f"{where} refused {command}: {final}" + (f" ({text})" if text else ""))

    @property
    def permanent(self) -> bool:
        """For SMS sending: trying again later will not help."""
        return self.cms in CMS_PERMANENT


def int_or_none(text: str) -> int | None:
    """' 12 ' -> 12; anything else -> None."""
    try:
        return int(text.strip())
    except ValueError:
        return None


@dataclass
class Urc:
    """One unsolicited result code: the line and, for +CDS/+CMT, the PDU line after it."""
    line: str
    pdu: str | None = None

    @property
    def name(self) -> str:
        return self.line.split(":", 1)[0].strip().upper()

    @property
    def args(self) -> list[str]:
        return _fields(self.line.split(":", 1)[1]) if ":" in self.line else []

    def message(self) -> object:
        """The +CDS/+CMT PDU decoded, using the length the modem stated."""
        return decode_any(self.pdu or "", _stated_length(self.line))


def _fields(text: str) -> list[str]:
    """'"SM",3' -> ['SM', '3']; commas inside quotes stay."""
    out, cur, quoted = [], [], False
    for ch in text.strip():
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return out


_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def clean_line(raw: bytes) -> str:
    """Bytes of one line -> text without noise.  In PDU mode everything a modem says is
    ASCII (texts travel as hex), so control bytes and bytes >= 0x80 are line noise."""
    return _PRINTABLE.sub("", raw.decode("ascii", errors="ignore")).strip()


def is_final(line: str) -> bool:
    return line in FINAL_OK or line in FINAL_ERROR or line.startswith(ERROR_PREFIXES)


def _is_urc(line: str) -> bool:
    upper = line.upper()
    return upper in URC_WORDS or upper.startswith(URC_PREFIXES)


class _Pending:
    """The command in flight: what it expects and what came back."""

    def __init__(self, command: str, prefix: str | None, want_prompt: bool) -> None:
        self.command = command
        self.prefix = prefix
        self.want_prompt = want_prompt
        self.lines: list[str] = []
        self.final: str | None = None
        self.prompt = False
        self.info_at: float | None = None     # when the expected information line came


class ATChannel:
    """One serial port, one command at a time, URCs to `on_urc` (called on the reader
    thread: it must only queue them, never send commands)."""

    def __init__(self, port: str, *, baudrate: int = 115200,
                 on_urc: Callable[[Urc], None] | None = None) -> None:
        self.port = port
        self.baudrate = baudrate
        self.on_urc = on_urc or (lambda urc: None)
        self.echo_seen = False        # the modem echoed a command: echo is on again
        self.gone: str | None = None  # why the port is dead
        self._ser: serial.Serial | None = None
        self._cond = threading.Condition()
        self._lock = threading.Lock()  # one command at a time
        self._pending: _Pending | None = None
        self._urc_waiting_pdu: Urc | None = None
        self._last_sent = ""
        self._reader: threading.Thread | None = None

    # -- life cycle --

    def open(self) -> "ATChannel":
        try:
            self._ser = serial.Serial(self.port, self.baudrate, timeout=None, write_timeout=10,
                                      exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ModemGone(f"cannot open the modem port {self.port}: {exc}; check that the "
                            "modem is plugged in and no other program uses the port") from None
        self._reader = threading.Thread(target=self._read_loop, name=f"at-{self.port}",
                                        daemon=True)
        self._reader.start()
        return self

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            with self._cond:
                self.gone = self.gone or "closed"
                self._cond.notify_all()
            try:
                ser.cancel_read()
            except Exception:
                pass
            if self._reader is not None:
                self._reader.join(timeout=2)
            try:
                ser.close()
            except Exception:
                pass

    def __enter__(self) -> "ATChannel":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading --

    def _read_loop(self) -> None:
        buf = b""
        ser = self._ser
        try:
            while self._ser is not None:
                data = ser.read(max(1, ser.in_waiting))   # blocks; no polling
                if not data:
                    if self._ser is None:
                        break
                    continue
                buf = self._feed(buf + data)
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            if self._ser is not None:
                log.warning("modem on %s: port lost: %s", self.port, exc)
        with self._cond:
            self.gone = self.gone or (f"the modem on {self.port} disappeared (unplugged or "
                                      "powered off?); check the USB cable and the power supply")
            self._cond.notify_all()

    def _feed(self, buf: bytes) -> bytes:
        """Take whole lines (and a prompt) out of `buf`; return what is left."""
        while True:
            stripped = buf.lstrip(b"\r\n\x00 ")
            pending = self._pending
            if pending is not None and pending.want_prompt and not pending.prompt \
                    and stripped.startswith(b">"):
                with self._cond:
                    pending.prompt = True
                    self._cond.notify_all()
                buf = stripped[1:].lstrip(b" ")
                continue
            cut = -1
            for i, byte in enumerate(buf):
                if byte in (10, 13):
                    cut = i
                    break
            if cut < 0:
                if len(buf) > 8192:  # a line that never ends: noise
                    buf = b""
                return buf
            line, buf = buf[:cut], buf[cut + 1:]
            text = clean_line(line)
            if text:
                self._line(text)

    def _line(self, line: str) -> None:
        with self._cond:
            waiting = self._urc_waiting_pdu
            if waiting is not None:
                self._urc_waiting_pdu = None
                if re.fullmatch(r"[0-9A-Fa-f]+", line):
                    waiting.pdu = line
                    self._deliver_urc(waiting)
                    return
                self._deliver_urc(waiting)   # no PDU after all; handle the line normally
            pending = self._pending
            if pending is not None and pending.final is None:
                if line == pending.command or (self._last_sent and line == self._last_sent):
                    self.echo_seen = True     # echo is on (again): ignore the echoed line
                    return
                if is_final(line):
                    pending.final = line
                    self._cond.notify_all()
                    return
                if pending.prefix and line.upper().startswith(pending.prefix) \
                        and not self._creg_urc(pending, line):
                    pending.lines.append(line)
                    pending.info_at = time.monotonic()
                    self._cond.notify_all()
                    return
            if _is_urc(line):
                urc = Urc(line)
                if line.upper().startswith(URC_WITH_PDU):
                    self._urc_waiting_pdu = urc
                else:
                    self._deliver_urc(urc)
                return
            if pending is not None and pending.final is None:
                pending.lines.append(line)
                if pending.prefix is None and re.search(r"[A-Za-z0-9]{2}", line):
                    # an identity answer (AT+CGMM: "EC25") whose OK may never come
                    pending.info_at = time.monotonic()
                    self._cond.notify_all()
                return
            log.debug("modem on %s: stray line %r", self.port, line)

    @staticmethod
    def _creg_urc(pending: _Pending, line: str) -> bool:
        """+CREG: during AT+CREG? is normally the answer (n,stat,...); the URC form has
        the state first and a quoted LAC second, or the state alone."""
        if not line.upper().startswith(("+CREG:", "+CGREG:", "+CEREG:")):
            return False
        args = line.split(":", 1)[1].split(",")
        return len(args) == 1 or (len(args) > 1 and args[1].strip().startswith('"'))

    def _deliver_urc(self, urc: Urc) -> None:
        try:
            self.on_urc(urc)
        except Exception:
            log.exception("modem on %s: URC handler failed for %r", self.port, urc.line)

    # -- commands --

    def _write(self, data: bytes) -> None:
        ser = self._ser
        if ser is None or self.gone:
            raise ModemGone(self.gone or f"modem port {self.port} is closed")
        try:
            ser.write(data)
        except (serial.SerialException, OSError) as exc:
            raise ModemGone(f"cannot write to the modem on {self.port} ({exc}); check the "
                            "USB cable and the power supply") from None

    def command(self, command: str, *, timeout: float = 3.0, prefix: str | None = None,
                grace: float = 1.0) -> list[str]:
        """Send `command`, wait for its final result; return its information lines.

        `prefix` (e.g. "+CSQ:") marks the expected answer line: when it came but the final
        OK never does (a quirk of some modems), the answer is taken after `grace` s.  Without
        a prefix any answer line counts (identity commands answer a bare "EC25").
        Raises ATError, ATTimeout or ModemGone.
        """
        with self._lock:
            pending = _Pending(command, prefix.upper() if prefix else None, False)
            with self._cond:
                self._pending = pending
            try:
                self._last_sent = command
                self._write(command.encode() + b"\r")
                self._wait(pending, lambda: pending.final is not None, timeout, grace)
            finally:
                with self._cond:
                    self._pending = None
            return self._result(pending)

    def _wait(self, pending: _Pending, done: Callable[[], bool], timeout: float,
              grace: float | None) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done():
                if self.gone:
                    raise ModemGone(self.gone)
                now = time.monotonic()
                if grace is not None and pending.info_at is not None \
                        and now >= pending.info_at + grace:
                    log.info("modem on %s: %s answered without a final OK; taking the answer",
                             self.port, pending.command)
                    pending.final = "OK"
                    return
                if now >= deadline:
                    raise ATTimeout(f"modem on {self.port} did not answer {pending.command} "
                                    f"within {timeout:g} s; check the cable or power, or "
                                    "restart the modem")
                wake = deadline
                if grace is not None and pending.info_at is not None:
                    wake = min(wake, pending.info_at + grace)
                self._cond.wait(max(0.0, wake - now))

    def _result(self, pending: _Pending) -> list[str]:
        final = pending.final or ""
        if final in FINAL_OK:
            return pending.lines
        raise ATError(pending.command, final, self.port)

    def send_pdu(self, length: int, pdu_hex: str, *, timeout: float = 60.0) -> int:
        """AT+CMGS=<length>, wait for "> ", the PDU and Ctrl-Z; returns the message
        reference from "+CMGS: <mr>"."""
        command = f"AT+CMGS={length}"
        with self._lock:
            pending = _Pending(command, "+CMGS:", True)
            with self._cond:
                self._pending = pending
            try:
                self._last_sent = command
                self._write(command.encode() + b"\r")
                self._wait(pending, lambda: pending.prompt or pending.final is not None,
                           10.0, None)
                if pending.final is not None:
                    return self._mr(pending)
                self._last_sent = pdu_hex
                self._write(pdu_hex.encode() + CTRL_Z)
                try:
                    self._wait(pending, lambda: pending.final is not None, timeout, 2.0)
                except ATTimeout:
                    try:
                        self._write(ESC)  # leave the prompt, if the modem is still in it
                    except ModemGone:
                        pass
                    raise
            finally:
                with self._cond:
                    self._pending = None
            return self._mr(pending)

    def _mr(self, pending: _Pending) -> int:
        lines = self._result(pending)
        for line in lines:
            if line.upper().startswith("+CMGS:"):
                mr = int_or_none(line.split(":", 1)[1].split(",")[0])
                if mr is not None:
                    return mr % 256
        raise GsmError(f"modem on {self.port} accepted the SMS without a message reference "
                       f"(answer {lines!r}); delivery reports cannot be matched")


# -- the modem ------------------------------------------------------------------------------

@dataclass
class Status:
    """What the panel and the watchdog show about one modem."""
    state: str = "starting"
    operator: str | None = None
    rssi: int | None = None
    dbm: int | None = None
    registration: str | None = None
    registered: bool = False
    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    last_error: str | None = None

    def fields(self) -> dict:
        return {k: getattr(self, k) for k in (
            "state", "operator", "rssi", "dbm", "registration", "imei", "imsi", "iccid",
            "manufacturer", "model", "last_error")}


def rssi_to_dbm(rssi: int | None) -> int | None:
    """27.007 +CSQ: 0 -> -113 dBm ... 31 -> -51 dBm; 99 (unknown) -> None."""
    if rssi is None or not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


@dataclass
class PinOutcome:
    """What happened to a PIN this init was given."""
    entered: bool = False
    accepted: bool = False


class Modem:
    """A GSM modem on one port.  URCs land in `self.urcs` (a queue) for the owner loop."""

    def __init__(self, port: str, *, baudrate: int = 115200) -> None:
        self.port = port
        self.urcs: "queue.Queue[Urc]" = queue.Queue()
        self.channel = ATChannel(port, baudrate=baudrate, on_urc=self.urcs.put)
        self.status = Status()
        self.cnmi_ok = False

    def open(self) -> "Modem":
        self.channel.open()
        return self

    def close(self) -> None:
        self.channel.close()

    def at(self, command: str, *, retries: int = 2, **kw) -> list[str]:
        """One command; a command the modem ignored (no answer) is sent again `retries`
        times.  Never use retries for something that must not happen twice (a PIN)."""
        for attempt in range(retries + 1):
            try:
                lines = self.channel.command(command, **kw)
                break
            except ATTimeout:
                if attempt == retries:
                    raise
                log.info("modem on %s did not answer %s; sending it again", self.port, command)
        if self.channel.echo_seen:   # echo came back on: turn it off again
            self.channel.echo_seen = False
            log.info("modem on %s echoes commands again; sending ATE0", self.port)
            try:
                self.channel.command("ATE0")
                self.channel.echo_seen = False   # its own echo does not count
            except (ATError, ATTimeout):
                self.channel.echo_seen = True   # try again after the next command
        return lines

    def _value(self, command: str, prefix: str, **kw) -> list[str]:
        for line in self.at(command, prefix=prefix, **kw):
            if line.upper().startswith(prefix.upper()):
                return _fields(line.split(":", 1)[1])
        return []

    def _plain(self, command: str) -> str | None:
        """The first non-empty answer line of an identity command (CGSN, CIMI...)."""
        try:
            lines = self.at(command)
        except (ATError, ATTimeout):
            return None
        for line in lines:
            value = line.split(":", 1)[1].strip() if ":" in line else line
            value = value.strip('"').strip()
            if re.search(r"[A-Za-z0-9]{2}", value):   # not a stray noise byte or two
                return value
        return None

    # -- init --

    def wake(self, timeout: float = 30.0) -> None:
        """AT until the modem answers OK (some answer ERROR for a while after power-up)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self.at("AT", timeout=2.0)
                return
            except ModemGone:
                raise
            except GsmError as exc:
                last = exc
                time.sleep(0.5)
        raise ATTimeout(f"modem on {self.port} does not answer AT ({last}); check the cable "
                        "or power")

    def init(self, pin: str | Callable[[str | None], str | None] | None = None
             ) -> tuple[Status, PinOutcome]:
        """Bring the modem up as far as it goes.  `pin` (or `pin(iccid)`, asked only when
        the SIM wants a PIN) is entered at most once, and only if the SIM asks for it.
        Returns the status and what happened to the PIN."""
        outcome = PinOutcome()
        st = self.status
        st.state, st.last_error = "starting", None
        self.wake()
        self.at("ATE0")
        self.channel.echo_seen = False
        self._try("AT+CMEE=1")
        sim = self.sim_state()     # also waits out "SIM busy" after power-up
        st.manufacturer = self._plain("AT+CGMI") or st.manufacturer
        st.model = self._plain("AT+CGMM") or st.model
        st.imei = self._plain("AT+CGSN") or st.imei
        if sim == "SIM PIN":     # the SIM's serial number tells whether a PIN is for it
            st.iccid = self._iccid() or st.iccid
        if sim == "SIM PIN" and callable(pin):
            pin = pin(st.iccid)
        if sim == "SIM PIN" and pin:
            outcome.entered = True
            try:
                self.at(f'AT+CPIN="{pin}"', timeout=15.0, retries=0)
                outcome.accepted = True
            except ATError as exc:
                log.warning("modem on %s: SIM rejected the PIN: %s", self.port, exc)
                st.state = "pin_rejected"
                st.last_error = ("the SIM rejected the PIN; it will not be tried again - enter "
                                 "the right PIN in the panel (3 wrong PINs lock the SIM)")
                return st, outcome
            sim = self._wait_sim_ready()
        if sim != "READY":
            st.state = {"SIM PIN": "pin_required", "SIM PUK": "puk_required",
                        "NO SIM": "no_sim"}.get(sim, "error")
            st.last_error = {
                "pin_required": "the SIM needs its PIN: enter it in the panel (Modems page)",
                "puk_required": "the SIM is locked (PUK needed): unlock it in a phone, then "
                                "put it back",
                "no_sim": "no SIM card in the modem: insert one (power off the modem first)",
            }.get(st.state, f"SIM not ready: {sim}")
            return st, outcome
        st.imsi = self._plain("AT+CIMI") or st.imsi
        self.at("AT+CMGF=0")
        self._try('AT+CPMS="SM","SM","SM"')
        try:
            self.at("AT+CNMI=2,1,0,1,0")
            self.cnmi_ok = True
        except ATError:
            self.cnmi_ok = False   # the owner then looks at the storage itself now and then
            log.warning("modem on %s refuses AT+CNMI=2,1,0,1,0; polling its storage instead",
                        self.port)
        try:
            self.at("AT+CREG=2")
        except ATError:
            self._try("AT+CREG=1")
        self._try("AT+COPS=3,0")
        self.refresh()
        return st, outcome

    def _try(self, command: str) -> bool:
        try:
            self.at(command)
            return True
        except (ATError, ATTimeout) as exc:
            log.info("modem on %s: %s", self.port, exc)
            return False

    def _iccid(self) -> str | None:
        for cmd in ("AT+CCID",):
            try:
                lines = self.at(cmd)
            except (ATError, ATTimeout):
                continue
            for line in lines:
                digits = re.sub(r"[^0-9A-Fa-f]", "", line.split(":", 1)[-1])
                if len(digits) >= 18:
                    return digits
        return None

    def sim_state(self) -> str:
        """READY, SIM PIN, SIM PUK, NO SIM or the modem's own words."""
        for _ in range(10):
            try:
                value = self._value("AT+CPIN?", "+CPIN:")
                return (value[0] if value else "unknown").upper()
            except ATError as exc:
                if exc.cme == 10 or exc.cms == 310:
                    return "NO SIM"
                if exc.cme in (14, 13) or exc.cme is None:  # SIM busy / still booting
                    time.sleep(1.0)
                    if exc.cme is None:   # plain ERROR: verbose errors were refused while
                        self._try("AT+CMEE=1")   # booting; ask again
                    continue
                if exc.cme == 11:
                    return "SIM PIN"
                if exc.cme == 12:
                    return "SIM PUK"
                raise
        return "NO SIM"

    def _wait_sim_ready(self, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        state = "unknown"
        while time.monotonic() < deadline:
            state = self.sim_state()
            if state == "READY":
                return state
            time.sleep(0.5)
        return state

    def refresh(self) -> Status:
        """Registration, operator and signal (the periodic part)."""
        st = self.status
        creg = self._value("AT+CREG?", "+CREG:")
        stat = int_or_none(creg[1] if len(creg) >= 2 else creg[0]) if creg else None
        self.set_registration(stat)
        if st.registered:
            try:
                cops = self._value("AT+COPS?", "+COPS:", timeout=10.0)
                st.operator = cops[2] if len(cops) >= 3 and cops[2] else st.operator
            except (ATError, ATTimeout) as exc:
                log.info("modem on %s: %s", self.port, exc)
        else:
            st.operator = None
        csq = self._value("AT+CSQ", "+CSQ:")
        self.set_rssi(int_or_none(csq[0]) if csq else None)
        return st

    def set_registration(self, stat: int | None) -> None:
        st = self.status
        st.registration = REGISTRATION.get(stat, "unknown") if stat is not None else None
        st.registered = stat in (1, 5)
        if st.state in ("starting", "ready", "not_registered"):
            st.state = "ready" if st.registered else "not_registered"
            if st.registered:
                st.last_error = None
            else:
                st.last_error = (f"not registered on the network ({st.registration}); check the "
                                 "antenna, the signal and that the SIM is active")

    def set_rssi(self, rssi: int | None) -> None:
        st = self.status
        st.rssi = rssi if rssi is not None and 0 <= rssi <= 31 else None
        st.dbm = rssi_to_dbm(st.rssi)

    # -- SMS --

    def send_part(self, part: pdu.Part | tuple[str, int], *, timeout: float = 60.0) -> int:
        """One SMS-SUBMIT; returns the message reference (mr)."""
        hex_, length = (part.pdu, part.length) if isinstance(part, pdu.Part) else part
        return self.channel.send_pdu(length, hex_, timeout=timeout)

    def read(self, index: int, storage: str | None = None) -> tuple[object | None, str]:
        """AT+CMGR=<index>: (decoded message or None when the slot is empty, raw PDU)."""
        lines = self.at(f"AT+CMGR={index}", timeout=10.0, prefix="+CMGR:")
        raw = next((l for l in lines if re.fullmatch(r"[0-9A-Fa-f]{8,}", l)), "")
        if not raw:
            return None, ""
        header = next((l for l in lines if l.upper().startswith("+CMGR:")), "")
        return decode_any(raw, _stated_length(header)), raw

    def delete(self, index: int) -> None:
        self.at(f"AT+CMGD={index}", timeout=10.0)

    def list_all(self) -> list[tuple[int, object, str]]:
        """AT+CMGL=4 (every stored message): [(index, decoded or PduError, raw)]."""
        lines = self.at("AT+CMGL=4", timeout=30.0, prefix="+CMGL:")
        out, index, length = [], None, None
        for line in lines:
            if line.upper().startswith("+CMGL:"):
                index = int_or_none(_fields(line.split(":", 1)[1])[0])
                length = _stated_length(line)
            elif index is not None and re.fullmatch(r"[0-9A-Fa-f]+", line):
                out.append((index, decode_any(line, length), line))
                index = None
        return out

    def storage_used(self) -> int | None:
        """How many messages sit in the SIM storage (AT+CPMS?)."""
        try:
            v = self._value("AT+CPMS?", "+CPMS:")
        except (ATError, ATTimeout):
            return None
        return int_or_none(v[1]) if len(v) >= 2 else None


def decode_any(raw: str, length: int | None = None) -> object:
    """Decode a PDU with the SMSC field, else without it (some modems' +CDS); a PduError
    instance (not raised) when neither works.

    `length` is the TPDU length the modem states on the line before (+CDS: <length>,
    +CMGR/+CMGL's last field). It excludes the SMSC field, so a PDU exactly that long has
    none; without it the order is a guess, and a report without the SMSC field can, by
    chance, also parse as an SMS-DELIVER with one."""
    without_first = length is not None and len(raw) // 2 == length
    orders = (False, True) if without_first else (True, False)
    first_error = None
    for with_smsc in orders:
        try:
            return pdu.decode(raw, with_smsc=with_smsc)
        except pdu.PduError as exc:
            first_error = first_error or exc
    return first_error


def _stated_length(line: str) -> int | None:
    """The last field of '+CDS: 25', '+CMT: ,25' or '+CMGR: 0,,25' — the TPDU length."""
    fields = _fields(line.split(":", 1)[1]) if ":" in line else []
    return int_or_none(fields[-1]) if fields else None
