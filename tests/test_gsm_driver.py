"""The GSM driver (appliance.hal.gsm) against the modem simulator on a pseudo-terminal.

The code under test opens the simulator's port with pyserial and speaks AT to it, exactly
as on the box; what "the network" received is read from the simulator (`sim.sent`, decoded
by the simulator itself).  Covered: init on every personality (including the one with
every bad habit), the PIN entered once and never again after a rejection, a Polish text
going out as UCS-2 in two concatenated parts, delivery reports, URCs that land inside
another command's response, noise and broken line endings, echo coming back on, and a
port that vanishes.
"""
from __future__ import annotations

import datetime
import time

import pytest

from appliance.hal import gsm, pdu
from appliance.hal.modemsim import ModemSim

POLISH = ("Awaria centrali: zażółć gęślą jaźń, prosimy o pilny kontakt z serwisem. "
          "Dyżurny technik oddzwoni w ciągu kwadransa.")   # 115 characters: 2 parts of 67


def wait_registered(modem: gsm.Modem, timeout: float = 20.0) -> gsm.Status:
    deadline = time.monotonic() + timeout
    while not modem.status.registered:
        assert time.monotonic() < deadline, f"never registered: {modem.status}"
        time.sleep(0.3)
        modem.refresh()
    return modem.status


def urcs_until(modem: gsm.Modem, name: str, timeout: float = 10.0, n: int = 1) -> list[gsm.Urc]:
    """URCs called `name` the driver queued, waiting until `n` came."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(got)} {name} URC(s) of {n}"
        try:
            urc = modem.urcs.get(timeout=left)
        except Exception:
            continue
        if urc.name == name:
            got.append(urc)
    return got


@pytest.fixture
def open_modem():
    opened = []

    def opener(sim: ModemSim) -> gsm.Modem:
        m = gsm.Modem(sim.port).open()
        opened.append(m)
        return m
    yield opener
    for m in opened:
        m.close()


@pytest.mark.parametrize("personality, model", [
    ("generic", "ModemSim GSM"), ("simcom", "SIMCOM_SIM800L"), ("quectel", "EC25"),
    ("huawei", "E173"), ("flaky", "ModemSim flaky")])
def test_init_on_each_personality(tmp_path, open_modem, personality, model):
    with ModemSim(personality, link_dir=tmp_path, operator="Orange", rssi=22,
                  imei="356938035643809", imsi="260031234567890", seed=3) as sim:
        modem = open_modem(sim)
        status, pin = modem.init()
        status = wait_registered(modem)
        assert (status.state, status.operator, status.rssi, status.dbm) == (
            "ready", "Orange", 22, -69)
        assert (status.imei, status.imsi, status.model) == (
            "356938035643809", "260031234567890", model)
        assert status.registration == "home network"
        assert not pin.entered
        assert "AT+CMGF=0" in sim.commands and "AT+CNMI=2,1,0,1,0" in sim.commands
        if personality != "flaky":     # the flaky one turns its echo on again at random
            assert sim.echo is False


def test_unknown_signal_is_not_strong(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path, rssi=99) as sim:
        modem = open_modem(sim)
        modem.init()
        assert modem.refresh().rssi is None and modem.status.dbm is None


def test_wrong_pin_entered_once_then_right_pin(tmp_path, open_modem):
    with ModemSim("simcom", link_dir=tmp_path, pin="4321") as sim:
        modem = open_modem(sim)
        status, outcome = modem.init()            # no PIN known: nothing entered
        assert status.state == "pin_required" and not outcome.entered
        status, outcome = modem.init(pin="1111")
        assert status.state == "pin_rejected" and outcome.entered and not outcome.accepted
        assert "wrong PIN" in status.last_error or "rejected" in status.last_error
        assert [c for c in sim.commands if c.startswith("AT+CPIN=")] == ['AT+CPIN="1111"']
        status, outcome = modem.init(pin="4321")
        assert outcome.accepted
        assert wait_registered(modem).state == "ready"
        assert len([c for c in sim.commands if c.startswith("AT+CPIN=")]) == 2


def test_no_sim(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path, sim_present=False) as sim:
        status, _ = open_modem(sim).init(pin="1234")
        assert status.state == "no_sim" and "insert" in status.last_error
        assert not [c for c in sim.commands if c.startswith("AT+CPIN=")]


def test_polish_sms_goes_out_as_ucs2_in_two_parts_and_is_reported(tmp_path, open_modem):
    with ModemSim("quectel", link_dir=tmp_path) as sim:
        modem = open_modem(sim)
        modem.init()
        wait_registered(modem)
        mrs = [modem.send_part(p) for p in pdu.encode_submit("+48600100200", POLISH, ref=42)]
        sent = sim.wait_sent(2)
        assert len(sent) == 2
        assert [s.submit.encoding for s in sent] == ["ucs2", "ucs2"]
        assert [s.submit.concat for s in sent] == [(42, 2, 1), (42, 2, 2)]
        assert "".join(s.submit.text for s in sent) == POLISH
        assert {s.submit.number for s in sent} == {"+48600100200"}
        assert mrs == [s.mr for s in sent]
        reports = [u.message() for u in urcs_until(modem, "+CDS", n=2)]
        assert sorted(r.mr for r in reports) == sorted(mrs)
        assert all(r.delivered and r.final for r in reports)


def test_reports_without_smsc_field_are_read(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path, quirks=("cds_without_smsc",)) as sim:
        modem = open_modem(sim)
        modem.init()
        wait_registered(modem)
        mr = modem.send_part(pdu.encode_submit("+48600100200", "test", ref=1)[0])
        [urc] = urcs_until(modem, "+CDS")
        report = urc.message()
        assert isinstance(report, pdu.StatusReport) and report.mr == mr and report.delivered


def test_a_report_without_smsc_field_that_also_parses_with_one_is_read_by_its_length():
    """At some minutes of the day a report without the SMSC field parses as a (nonsense)
    SMS-DELIVER with one; the +CDS length line decides."""
    ts = datetime.datetime(2026, 11, 26, 10, 3, 5, tzinfo=datetime.timezone.utc)
    full = pdu.encode_status_report(0, "+48600100200", timestamp=ts, discharge=ts)
    raw = full[2 + 2 * int(full[:2], 16):]
    assert isinstance(pdu.decode(raw), pdu.Deliver)          # the trap is real
    report = gsm.Urc(f"+CDS: {len(raw) // 2}", raw).message()
    assert isinstance(report, pdu.StatusReport) and report.mr == 0 and report.delivered
    assert isinstance(gsm.Urc(f"+CDS: {len(raw) // 2}", full).message(), pdu.StatusReport)


def test_urc_in_the_middle_of_a_response(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path, quirks=("urc_midresponse",)) as sim:
        modem = open_modem(sim)
        modem.init()
        wait_registered(modem)
        sim.deliver("+48500600700", "Dzień dobry")
        time.sleep(0.2)              # the +CMTI is held by the modem for the next response
        assert modem.refresh().rssi == 18
        [urc] = urcs_until(modem, "+CMTI")
        message, _raw = modem.read(int(urc.args[1]))
        assert (message.sender, message.text) == ("+48500600700", "Dzień dobry")


def test_noise_broken_line_endings_and_split_writes(tmp_path, open_modem):
    quirks = ("noise", "bad_line_endings", "split_writes")
    with ModemSim("generic", link_dir=tmp_path, quirks=quirks, seed=11) as sim:
        modem = open_modem(sim)
        modem.init()
        wait_registered(modem)
        for i in range(25):
            if i % 5 == 0:
                sim.inject(b"\xff\xfe\x00garbage\x07\r")
            assert modem.refresh().rssi == 18 and modem.status.operator == "Plus"
        mr = modem.send_part(pdu.encode_submit("+48600100200", "po szumie", ref=3)[0])
        assert sim.wait_sent(1)[0].submit.text == "po szumie" and sim.sent[0].mr == mr


def test_echo_coming_back_is_ignored_and_turned_off(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path, quirks=("echo_returns",), seed=5) as sim:
        modem = open_modem(sim)
        modem.init()
        wait_registered(modem)
        modem.at("ATZ")               # this modem turns its echo on again after ATZ
        modem.at("AT+CMGF=0")
        assert modem.refresh().rssi == 18
        assert sim.echo is False


def test_unplugged_modem_is_reported_as_gone(tmp_path, open_modem):
    with ModemSim("generic", link_dir=tmp_path) as sim:
        modem = open_modem(sim)
        modem.init()
        sim.unplug()
        with pytest.raises(gsm.ModemGone, match="check the USB cable"):
            for _ in range(20):
                modem.at("AT")
                time.sleep(0.1)


def test_silent_port_says_what_to_check(tmp_path):
    with ModemSim("generic", link_dir=tmp_path, quirks=("boot_errors",), boot_s=30) as sim:
        modem = gsm.Modem(sim.port).open()
        try:
            with pytest.raises(gsm.ATTimeout, match="does not answer AT.*check the cable"):
                modem.wake(timeout=3)
        finally:
            modem.close()
