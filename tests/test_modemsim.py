"""The GSM modem simulator, driven the way the driver drives a real modem: pyserial + AT.

Each test opens `sim.port` with pyserial and talks to it; nothing reaches into the
simulator except what a test harness may know anyway (`sent`, `commands`, `deliver`, ...).
"""
from __future__ import annotations

import os
import re
import time

import pytest
import serial

from appliance.hal import pdu
from appliance.hal.modemsim import ModemSim, PERSONALITIES, QUIRKS

FINAL = re.compile(r"^(OK|ERROR|\+CME ERROR: .*|\+CMS ERROR: .*)$")


class At:
    """A plain AT client for the tests: one command, lines until the final result code."""

    def __init__(self, port: str, timeout: float = 0.05) -> None:
        self.s = serial.Serial(port, 115200, timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.s.close()

    def read_for(self, seconds: float) -> bytes:
        """Everything that arrives within `seconds` (plus anything already buffered)."""
        deadline = time.monotonic() + seconds
        out = self.buf
        self.buf = b""
        while time.monotonic() < deadline:
            out += self.s.read(4096)
        return out

    def read_until(self, pattern: bytes, timeout: float = 5) -> bytes:
        deadline = time.monotonic() + timeout
        while pattern not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} within {timeout} s; got {self.buf!r}")
            self.buf += self.s.read(4096)
        i = self.buf.index(pattern) + len(pattern)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def cmd(self, command: str, timeout: float = 5) -> list[str]:
        """Send a command; its response lines (echo included when on), the final one last."""
        self.s.write(command.encode() + b"\r")
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode("latin-1").strip("\r")
                if text:
                    lines.append(text)
                    if FINAL.match(text):
                        return lines
            if self.buf.endswith(b"> "):
                lines.append(self.buf.decode().strip())
                self.buf = b""
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{command}: no final result within {timeout} s; "
                                     f"lines {lines!r}, pending {self.buf!r}")
            self.buf += self.s.read(4096)

    def send_pdu(self, part: pdu.Part, timeout: float = 5) -> list[str]:
        assert self.cmd(f"AT+CMGS={part.length}")[-1] == ">"
        self.s.write(part.pdu.encode() + b"\x1a")
        return self.cmd_tail(timeout)

    def cmd_tail(self, timeout: float = 5) -> list[str]:
        """Lines up to the next final result code, without sending anything."""
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode("latin-1").strip("\r")
                if text:
                    lines.append(text)
                    if FINAL.match(text):
                        return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"no final result within {timeout} s: {lines!r} {self.buf!r}")
            self.buf += self.s.read(4096)

    def init(self) -> None:
        for c in ("ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0"):
            assert self.cmd(c)[-1] == "OK", c


@pytest.fixture
def make_sim(tmp_path):
    sims: list[ModemSim] = []
    clients: list[At] = []

    def make(personality: str = "generic", **kw) -> tuple[ModemSim, At]:
        kw.setdefault("send_delay_s", 0.05)
        kw.setdefault("report_delay_s", 0.1)
        kw.setdefault("register_delay_s", 0.05)
        sim = ModemSim(personality, link_dir=tmp_path, name=f"ttyUSB{len(sims)}", **kw).start()
        sims.append(sim)
        client = At(sim.port)
        clients.append(client)
        return sim, client

    yield make
    for c in clients:
        try:
            c.close()
        except Exception:
            pass
    for s in sims:
        s.stop()


def registered(at: At, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while at.cmd("AT+CREG?")[-2] not in ("+CREG: 0,1", "+CREG: 1,1", "+CREG: 2,1,\"58D4\",\"0F1A2B\""):
        assert time.monotonic() < deadline, "modem never registered"
        time.sleep(0.05)


# --- the init walk ---------------------------------------------------------------------------

def test_init_commands_answer_like_a_modem(make_sim):
    sim, at = make_sim(imei="356938035643809", imsi="260011234567890", operator="Plus", rssi=21)
    assert at.cmd("AT") == ["AT", "OK"]                      # echo is on after power-up
    assert at.cmd("ATZ")[-1] == "OK"
    assert at.cmd("ATE0") == ["ATE0", "OK"]
    assert at.cmd("AT") == ["OK"]
    assert at.cmd("AT+CMEE=1") == ["OK"]
    assert at.cmd("AT+CPIN?") == ["+CPIN: READY", "OK"]
    assert at.cmd("AT+CSQ") == ["+CSQ: 21,99", "OK"]
    registered(at)
    assert at.cmd("AT+COPS=3,0") == ["OK"]
    assert at.cmd("AT+COPS?") == ['+COPS: 0,0,"Plus"', "OK"]
    assert at.cmd("AT+CGSN") == ["356938035643809", "OK"]
    assert at.cmd("AT+CIMI") == ["260011234567890", "OK"]
    assert at.cmd("AT+CGMI") == ["JNS", "OK"]
    assert at.cmd("AT+CMGF=0") == ["OK"]
    assert at.cmd("AT+CMGF?") == ["+CMGF: 0", "OK"]
    assert at.cmd("AT+CSMS=0") == ["+CSMS: 1,1,1", "OK"]
    assert at.cmd('AT+CPMS="SM","SM","SM"') == ["+CPMS: 0,30,0,30,0,30", "OK"]
    assert at.cmd("AT+CNMI=2,1,0,1,0") == ["OK"]
    assert at.cmd("AT+CNMI?") == ["+CNMI: 2,1,0,1,0", "OK"]
    assert at.cmd("AT+NOSUCH") == ["ERROR"]
    assert sim.commands[:3] == ["AT", "ATZ", "ATE0"]


def test_error_reporting_follows_cmee(make_sim):
    _, at = make_sim(sim_present=False)
    assert at.cmd("AT+CPIN?")[-1] == "ERROR"
    at.cmd("AT+CMEE=1")
    assert at.cmd("AT+CPIN?")[-1] == "+CME ERROR: 10"
    at.cmd("AT+CMEE=2")
    assert at.cmd("AT+CPIN?")[-1] == "+CME ERROR: SIM not inserted"
    assert at.cmd("AT+CMGL=4")[-1] == "+CMS ERROR: SIM not inserted"


def test_pin_wrong_three_times_then_puk(make_sim):
    _, at = make_sim(pin="1234", puk="87654321")
    at.init()
    assert at.cmd("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
    assert at.cmd("AT+CIMI") == ["+CME ERROR: 11"]
    assert at.cmd("AT+CREG?") == ["+CREG: 0,0", "OK"]
    for _ in range(3):
        assert at.cmd('AT+CPIN="0000"') == ["+CME ERROR: 16"]
    assert at.cmd("AT+CPIN?") == ["+CPIN: SIM PUK", "OK"]
    assert at.cmd('AT+CPIN="1234"') == ["+CME ERROR: 16"]       # the PIN no longer helps
    assert at.cmd('AT+CPIN="87654321","4321"') == ["OK"]
    assert at.cmd("AT+CPIN?") == ["+CPIN: READY", "OK"]
    registered(at)


def test_wrong_pin_tries_are_counted_by_the_sim_across_power_cycles(make_sim):
    sim, at = make_sim(pin="1234")
    for _ in range(2):
        assert at.cmd('AT+CPIN="0000"')[-1] == "ERROR"
        at.close()
        sim.replug()
        at = At(sim.port)
    assert at.cmd('AT+CPIN="0000"')[-1] == "ERROR"
    assert at.cmd("AT+CPIN?")[-2] == "+CPIN: SIM PUK"
    at.close()


def test_right_pin_unlocks_and_the_modem_registers(make_sim):
    _, at = make_sim(pin="1234")
    at.init()
    at.cmd("AT+CREG=1")
    assert at.cmd('AT+CPIN="1234"') == ["OK"]
    at.read_until(b"+CREG: 1\r\n")
    assert at.cmd("AT+CIMI")[-1] == "OK"


# --- sending ---------------------------------------------------------------------------------

def test_sms_goes_out_through_cmgs_and_its_report_comes_back(make_sim):
    sim, at = make_sim(first_mr=41)
    at.init()
    registered(at)
    [part] = pdu.encode_submit("+48601234567", "Awaria: Asterisk nie odpowiada", ref=1)
    assert at.cmd(f"AT+CMGS={part.length}") == [">"]
    at.s.write(part.pdu.encode() + b"\x1a")
    assert at.cmd_tail() == ["+CMGS: 41", "OK"]
    [sent] = sim.wait_sent(1, timeout=5)
    assert sent.mr == 41
    assert sent.submit.number == "+48601234567"
    assert sent.submit.text == "Awaria: Asterisk nie odpowiada"
    assert sent.submit.want_report
    header = at.read_until(b"+CDS: ")
    assert header.strip() == b"+CDS:"
    length, report_hex = at.read_until(b"\r\n", 5), at.read_until(b"\r\n", 5)
    report = pdu.decode(report_hex.decode().strip())
    assert isinstance(report, pdu.StatusReport)
    assert report.mr == 41 and report.recipient == "+48601234567" and report.delivered
    smsc = int(report_hex[:2], 16)
    assert int(length) == len(report_hex.strip()) // 2 - 1 - smsc


def test_polish_multipart_sms_gets_one_mr_per_part_wrapping_at_256(make_sim):
    sim, at = make_sim(first_mr=255)
    at.init()
    registered(at)
    text = "Zażółć gęślą jaźń. " * 6                          # 114 UCS-2 units: two parts
    parts = pdu.encode_submit("+48601234567", text, ref=77, want_report=False)
    assert len(parts) == 2
    answers = [at.send_pdu(p) for p in parts]
    assert answers == [["+CMGS: 255", "OK"], ["+CMGS: 0", "OK"]]
    sent = sim.wait_sent(2, timeout=5)
    assert [s.submit.concat for s in sent] == [(77, 2, 1), (77, 2, 2)]
    assert "".join(s.submit.text for s in sent) == text
    assert b"+CDS" not in at.read_for(0.3)                   # no report was asked for


def test_wrong_length_garbage_and_escape_send_nothing(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    [part] = pdu.encode_submit("+48601234567", "test", ref=1)
    assert at.cmd(f"AT+CMGS={part.length + 1}") == [">"]
    at.s.write(part.pdu.encode() + b"\x1a")
    assert at.cmd_tail() == ["+CMS ERROR: 304"]
    assert at.cmd(f"AT+CMGS={part.length}") == [">"]
    at.s.write(b"00ZZ\x1a")
    assert at.cmd_tail() == ["+CMS ERROR: 304"]
    assert at.cmd(f"AT+CMGS={part.length}") == [">"]
    at.s.write(part.pdu.encode()[:10] + b"\x1b")               # ESC: the user cancels
    assert at.cmd_tail() == ["OK"]
    assert at.cmd("AT") == ["OK"]
    assert sim.sent == []


def test_text_mode_send(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    at.cmd("AT+CMGF=1")
    assert at.cmd('AT+CMGS="+48601234567"') == [">"]
    at.s.write(b"Hello from text mode\x1a")
    assert at.cmd_tail()[-1] == "OK"
    assert sim.wait_sent(1, 5)[0].submit.text == "Hello from text mode"


def test_no_network_means_cms_331_and_creg_urcs(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    at.cmd("AT+CREG=1")
    sim.deregister()
    at.read_until(b"+CREG: 2\r\n")
    [part] = pdu.encode_submit("+48601234567", "test", ref=1)
    assert at.send_pdu(part) == ["+CMS ERROR: 331"]
    sim.register()
    at.read_until(b"+CREG: 1\r\n")
    assert at.send_pdu(part) == ["+CMGS: 0", "OK"]
    assert len(sim.sent) == 1


def test_deregistration_during_a_send_fails_that_send(make_sim):
    sim, at = make_sim(send_delay_s=0.5)
    at.init()
    registered(at)
    [part] = pdu.encode_submit("+48601234567", "test", ref=1)
    assert at.cmd(f"AT+CMGS={part.length}") == [">"]
    at.s.write(part.pdu.encode() + b"\x1a")
    sim.deregister()
    assert at.cmd_tail() == ["+CMS ERROR: 331"]
    assert sim.sent == []


# --- receiving -------------------------------------------------------------------------------

def read_index(at: At, timeout: float = 5) -> int:
    line = at.read_until(b"\r\n", timeout)
    while b"+CMTI" not in line:
        line = at.read_until(b"\r\n", timeout)
    return int(line.split(b",")[1])


def test_three_part_message_out_of_order_with_a_duplicate(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    text = ("Dzień dobry, tu serwis. " * 9)[:190]                # UCS-2, 190 units: 3 parts
    sim.deliver("+48601234567", text, order=[3, 1, 2], duplicate=[1], ref=42)
    indexes = [read_index(at) for _ in range(4)]
    assert indexes == [1, 2, 3, 4]
    got = []
    for i in indexes:
        lines = at.cmd(f"AT+CMGR={i}")
        assert lines[0].startswith("+CMGR: 0,,") and lines[-1] == "OK"
        assert int(lines[0].rsplit(",", 1)[1]) == len(lines[1]) // 2 - 1 - int(lines[1][:2], 16)
        got.append(pdu.decode(lines[1]))
    assert [m.concat for m in got] == [(42, 3, 3), (42, 3, 1), (42, 3, 1), (42, 3, 2)]
    assert all(m.sender == "+48601234567" and m.encoding == "ucs2" for m in got)
    by_seq = {m.concat[2]: m.text for m in got}
    assert "".join(by_seq[s] for s in (1, 2, 3)) == text
    assert at.cmd("AT+CMGR=1")[0].startswith("+CMGR: 1,,")    # now read
    assert at.cmd("AT+CMGR=9") == ["OK"]                      # empty slot
    assert at.cmd("AT+CMGR=99") == ["+CMS ERROR: 321"]


def test_dropped_part_never_arrives_and_cmgl_cmgd_manage_storage(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    sim.deliver("+48601234567", "x" * 400, drop=[2], ref=9)   # 3 parts, the 2nd lost
    assert [read_index(at), read_index(at)] == [1, 2]
    lines = at.cmd("AT+CMGL=4")
    heads = [ln for ln in lines if ln.startswith("+CMGL:")]
    assert [h.split(",")[:2] for h in heads] == [["+CMGL: 1", "0"], ["+CMGL: 2", "0"]]
    seqs = sorted(pdu.decode(lines[lines.index(h) + 1]).concat[2] for h in heads)
    assert seqs == [1, 3]
    assert at.cmd("AT+CMGL=0") == ["OK"]                      # all read by the listing
    assert at.cmd("AT+CMGD=1") == ["OK"]
    assert [ln.split(",")[0] for ln in at.cmd("AT+CMGL=4") if ln.startswith("+CMGL")] == ["+CMGL: 2"]
    assert at.cmd("AT+CMGD=1,4") == ["OK"]
    assert at.cmd("AT+CMGL=4") == ["OK"]
    assert sim.storage == {}


def test_full_storage_holds_messages_until_cmgd_frees_room(make_sim):
    sim, at = make_sim(storage_size=5)
    at.init()
    registered(at)
    sim.fill_storage()
    assert at.cmd("AT+CPMS?")[0] == '+CPMS: "SM",5,5,"SM",5,5,"SM",5,5'
    sim.deliver("Plus", "Twoje saldo wynosi 5 zł")
    assert b"+CMTI" not in at.read_for(0.5)
    assert at.cmd("AT+CMGW") == ["+CMS ERROR: 322"]
    assert at.cmd("AT+CMGD=1,1") == ["OK"]                    # delete all read messages
    index = read_index(at)
    lines = at.cmd(f"AT+CMGR={index}")
    msg = pdu.decode(lines[1])
    assert (msg.sender, msg.text) == ("Plus", "Twoje saldo wynosi 5 zł")


def test_message_sent_while_out_of_coverage_arrives_after_registration(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    sim.deregister()
    sim.deliver("+48601234567", "czekam")
    assert b"+CMTI" not in at.read_for(0.4)
    sim.register()
    assert read_index(at) == 1


def test_cnmi_mode_zero_buffers_indications_until_enabled(make_sim):
    sim, at = make_sim()
    at.init()
    registered(at)
    at.cmd("AT+CNMI=0,1,0,1,0")
    sim.deliver("+48601234567", "buforowane")
    assert b"+CMTI" not in at.read_for(0.4)
    assert at.cmd("AT+CNMI=2,1,0,1,0") == ["OK"]
    assert read_index(at) == 1


# --- the port --------------------------------------------------------------------------------

def test_unplug_removes_the_port_and_breaks_the_open_handle(make_sim):
    sim, at = make_sim()
    at.init()
    sim.unplug()
    assert not os.path.exists(sim.port)
    with pytest.raises(serial.SerialException):
        for _ in range(20):
            at.s.read(10)
    with pytest.raises(serial.SerialException):
        serial.Serial(sim.port, 115200)
    sim.replug()
    assert os.path.exists(sim.port)
    at2 = At(sim.port)
    try:
        assert at2.cmd("AT") == ["AT", "OK"]                 # power-up state: echo on again
        assert at2.cmd("AT+CMEE?") == ["AT+CMEE?", "+CMEE: 0", "OK"]
    finally:
        at2.close()


def test_unplug_mid_send_loses_the_send_but_not_stored_messages(make_sim):
    sim, at = make_sim(send_delay_s=0.5)
    at.init()
    registered(at)
    sim.deliver("+48601234567", "zostaje na karcie SIM")
    read_index(at)
    [part] = pdu.encode_submit("+48601234567", "w drodze", ref=1)
    assert at.cmd(f"AT+CMGS={part.length}") == [">"]
    at.s.write(part.pdu.encode() + b"\x1a")
    time.sleep(0.1)
    sim.unplug()
    sim.replug()
    at2 = At(sim.port)
    try:
        at2.init()
        lines = at2.cmd("AT+CMGL=4")
        assert pdu.decode(lines[1]).text == "zostaje na karcie SIM"
    finally:
        at2.close()
    time.sleep(0.6)
    assert sim.sent == []


def test_port_survives_many_open_close_cycles(make_sim):
    sim, at = make_sim()
    at.close()
    for i in range(15):
        client = At(sim.port)
        try:
            assert client.cmd("AT")[-1] == "OK", i
        finally:
            client.close()


def test_output_while_nobody_listens_is_lost_like_on_a_serial_line(make_sim):
    sim, at = make_sim()
    at.init()
    at.close()
    sim.inject(b"\r\nSTALE\r\n")
    time.sleep(0.1)
    client = At(sim.port)
    try:
        assert b"STALE" not in client.read_for(0.2)
        assert client.cmd("AT")[-1] == "OK"
    finally:
        client.close()


# --- quirks, one at a time -------------------------------------------------------------------

def test_quirk_boot_errors_after_power_up(make_sim):
    sim, at = make_sim(quirks=["boot_errors"], boot_s=1.5)
    at.s.write(b"AT\r")
    assert at.read_for(0.3) == b""                           # still booting: silence
    time.sleep(max(0.0, 0.65 - 0.3))
    at.cmd("AT+CMEE=1")                                      # refused while booting
    assert at.cmd("AT+CPIN?")[-1] in ("ERROR", "+CME ERROR: 14")
    time.sleep(1.0)
    assert at.cmd("AT+CPIN?")[-2:] == ["+CPIN: READY", "OK"]
    sim.replug()                                             # boots again, quirks again
    at2 = At(sim.port)
    try:
        at2.s.write(b"AT\r")
        assert at2.read_for(0.3) == b""
    finally:
        at2.close()


def test_quirk_echo_returns_after_atz(make_sim):
    _, at = make_sim(quirks=["echo_returns"])
    assert at.cmd("ATE0") == ["ATE0", "OK"]
    assert at.cmd("AT") == ["OK"]
    assert at.cmd("ATZ") == ["OK"]
    assert at.cmd("AT") == ["AT", "OK"]
    _, plain = make_sim()
    plain.cmd("ATE0")
    plain.cmd("ATZ")
    assert plain.cmd("AT") == ["OK"]


def collect(at: At, command: str, n: int, wait: float) -> list[bytes]:
    out = []
    for _ in range(n):
        at.s.write(command.encode() + b"\r")
        out.append(at.read_for(wait))
    return out


def test_quirk_missing_ok(make_sim):
    _, at = make_sim(quirks=["missing_ok"], seed=3)
    at.s.write(b"ATE0\r")
    at.read_for(0.2)
    replies = collect(at, "AT+CSQ", 20, 0.1)
    assert all(b"+CSQ: 18,99" in r for r in replies)
    assert any(b"OK" not in r for r in replies)
    assert any(b"OK" in r for r in replies)


def test_quirk_noise_between_responses(make_sim):
    _, at = make_sim(quirks=["noise"], seed=1)
    at.cmd("ATE0")
    data = b"".join(collect(at, "AT", 15, 0.08))
    assert any(b >= 0x80 for b in data)
    assert data.count(b"\r\nOK\r\n") == 15                  # the responses themselves intact
    _, clean = make_sim()
    clean.cmd("ATE0")
    assert b"".join(collect(clean, "AT", 15, 0.05)) == b"\r\nOK\r\n" * 15


def test_quirk_bad_line_endings(make_sim):
    _, at = make_sim(quirks=["bad_line_endings"], seed=2)
    at.cmd("ATE0")
    replies = collect(at, "AT+CSQ", 10, 0.08)
    assert any(r != b"\r\n+CSQ: 18,99\r\n\r\nOK\r\n" for r in replies)
    assert all(b"+CSQ: 18,99" in r and b"OK" in r for r in replies)


def test_quirk_split_writes_dribbles_the_prompt_and_responses(make_sim):
    _, at = make_sim(quirks=["split_writes"])
    at.cmd("ATE0")
    at.s.timeout = 0
    at.s.write(b"ATI\r")
    chunks, got = [], b""
    deadline = time.monotonic() + 3
    while not got.endswith(b"OK\r\n") and time.monotonic() < deadline:
        piece = at.s.read(4096)
        if piece:
            chunks.append(piece)
            got += piece
        time.sleep(0.002)
    assert got == b"\r\nJNS\r\nModemSim GSM\r\nRevision: 1.0\r\n\r\nOK\r\n"
    assert len(chunks) > 3
    at.s.timeout = 0.05
    assert at.cmd("AT+CMGS=10") == [">"]                     # the prompt, however it came


def test_quirk_slow_responses(make_sim):
    _, at = make_sim(quirks=["slow"])
    at.s.write(b"AT\r")
    assert at.read_for(0.3) == b"AT\r"                       # the echo, not yet the answer
    assert at.cmd_tail(3) == ["OK"]


def test_quirk_drop_response(make_sim):
    sim, at = make_sim(quirks=["drop_response"], seed=4)
    at.s.write(b"ATE0\r")
    at.read_for(0.2)
    replies = collect(at, "AT+CSQ", 20, 0.1)
    assert any(r == b"" for r in replies)
    assert any(b"OK" in r for r in replies)
    assert sim.commands.count("AT+CSQ") == 20                # heard, just not answered


def test_quirk_urc_in_the_middle_of_a_response(make_sim):
    sim, at = make_sim(quirks=["urc_midresponse"])
    at.init()
    registered(at)
    sim.deliver("+48601234567", "w srodku")
    assert at.cmd("AT+CSQ") == ["+CSQ: 18,99", '+CMTI: "SM",1', "OK"]


def test_quirk_status_urcs_arrive_unasked(make_sim):
    _, at = make_sim(quirks=["status_urcs"])
    data = at.read_for(2.6)
    assert re.search(rb"\^(RSSI|MODE|BOOT|DSFLOWRPT):", data)


def test_quirk_cds_without_smsc(make_sim):
    _, at = make_sim(quirks=["cds_without_smsc"])
    at.init()
    registered(at)
    [part] = pdu.encode_submit("+48601234567", "raport", ref=1)
    assert at.send_pdu(part) == ["+CMGS: 0", "OK"]
    at.read_until(b"+CDS: ")
    length = int(at.read_until(b"\r\n"))
    report_hex = at.read_until(b"\r\n").decode().strip()
    assert len(report_hex) // 2 == length                   # no SMSC field in front
    report = pdu.decode(report_hex, with_smsc=False)
    assert report.mr == 0 and report.delivered


def test_unknown_quirk_or_personality_is_refused():
    with pytest.raises(ValueError, match="unknown quirk"):
        ModemSim(link_dir="/tmp", quirks=["sparkles"])
    with pytest.raises(ValueError, match="unknown modem personality"):
        ModemSim("nokia", link_dir="/tmp")
    assert set(PERSONALITIES["flaky"]["quirks"]) <= set(QUIRKS)


# --- personalities ---------------------------------------------------------------------------

def test_simcom_boot_banner_and_identity(make_sim):
    _, at = make_sim("simcom")
    banner = at.read_for(0.8)
    assert b"SMS Ready" in banner and b"+CPIN: READY" in banner
    at.init()
    assert at.cmd("AT+CGMM") == ["SIMCOM_SIM800L", "OK"]


def test_quectel_indexes_from_zero_and_echo_comes_back(make_sim):
    sim, at = make_sim("quectel", boot_s=0.3)
    assert b"+QIND: SMS DONE" in at.read_until(b"+QIND: SMS DONE\r\n")   # boot banner
    at.init()
    registered(at)
    sim.deliver("+48601234567", "EC25")
    assert at.cmd("AT+CSQ") == ["+CSQ: 18,99", '+CMTI: "SM",0', "OK"]
    assert at.cmd("AT+CGMM") == ["EC25", "OK"]
    assert at.cmd("ATZ") == ["OK"]
    assert at.cmd("AT") == ["AT", "OK"]


def test_huawei_uses_me_storage_and_is_slow(make_sim):
    sim, at = make_sim("huawei", quirks=())
    at.s.write(b"ATE0\r")
    assert b"OK" not in at.read_for(0.3)
    at.cmd_tail(3)
    at.cmd("AT+CNMI=2,1,0,1,0")
    registered(at)
    sim.deliver("+48601234567", "E173")
    assert b'+CMTI: "ME",0' in at.read_until(b'+CMTI: "ME",0\r\n', 4)


def test_flaky_modem_still_sends_for_a_patient_client(make_sim):
    sim, at = make_sim("flaky", seed=5, boot_s=0.5)
    time.sleep(0.6)
    [part] = pdu.encode_submit("+48601234567", "mimo wszystko", ref=1)
    for _ in range(30):                                      # retry like a careful driver
        at.s.write(f"AT+CMGS={part.length}\r".encode())
        data = at.read_for(2.5)
        if b"> " in data:
            at.s.write(part.pdu.encode() + b"\x1a")
            data, deadline = b"", time.monotonic() + 8
            while b"+CMGS:" not in data and b"ERROR" not in data and time.monotonic() < deadline:
                data += at.read_for(0.2)
            if b"+CMGS:" in data:
                break
    assert [s.submit.text for s in sim.sent] == ["mimo wszystko"]
