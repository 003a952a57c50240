"""DAHDI (IMG-7): detection from real tool output, configuration saved, rendered and applied.

tests/data/dahdi/ holds dahdi_scan output and /proc/dahdi/<span> files of four machines
(analog TDM410P, BRI B410P, E1 TE122, TE410P + TDM410P together), written field by field
from dahdi-tools' dahdi_scan.c and dahdi-linux's /proc writer (see its README.md).  The
configuration side saves spans and ports through appliance.store.hardware into a real
SQLite file and renders DAHDI's system.conf (appliance.hal.dahdi) and Asterisk's
chan_dahdi.conf + modules.conf (appliance.telephony.render) from the same snapshot.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from appliance.hal import dahdi
from appliance.hal.dahdi import Port
from appliance.store import config, hardware
from appliance.store.db import StoreError, open_db
from appliance.telephony import render

DATA = Path(__file__).resolve().parent / "data" / "dahdi"


def machine(name: str) -> list[dahdi.Span]:
    return dahdi.scan((DATA / name / "dahdi_scan.txt").read_text(), proc_root=DATA / name / "proc")


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "box.db")


# -- detection -------------------------------------------------------------------------------

def test_analog_card_modules_and_line_state():
    [span] = machine("tdm410p")
    assert (span.number, span.name, span.kind, span.manufacturer, span.devicetype,
            span.location) == (1, "WCTDM/0", "analog", "Digium", "Wildcard TDM410P",
                               "PCI Bus 03 Slot 01")
    assert span.alarms == [] and span.configured
    assert span.ports == [
        Port(1, "FXS", "OK", "FXOKS", False),       # FXS module: a phone, FXO signalling
        Port(2, "FXS", "OK", "FXOKS", True),        # in a call
        Port(3, "FXO", "RED", "FXSKS", False),      # FXO module: the line is unplugged
        Port(4, "none", "No module", "", False),    # empty slot
    ]


def test_bri_card_four_ports_with_alarms():
    spans = machine("b410p")
    assert [s.number for s in spans] == [1, 2, 3, 4]
    assert {s.kind for s in spans} == {"BRI"}
    assert [s.mode for s in spans] == ["TE", "TE", "NT", "TE"]
    assert [s.alarms for s in spans] == [[], ["RED"], ["RED"], []]
    assert [s.configured for s in spans] == [True, True, True, False]
    one = spans[0]
    assert one.clock_source and one.framing == "CCS" and one.coding == "AMI"
    assert [(p.channel, p.signalling, p.state, p.configured_as) for p in one.ports] == [
        (1, "BRI", "OK", "Clear"), (2, "BRI", "OK", "Clear"),
        (3, "BRI", "OK", "Hardware-assisted HDLC")]
    assert [p.state for p in spans[1].ports] == ["RED"] * 3
    assert [p.state for p in spans[3].ports] == ["Not configured"] * 3


def test_e1_card_in_red_alarm_with_error_counters():
    [span] = machine("te122")
    assert (span.kind, span.name, span.devicetype, span.basechan, span.totchans) == \
        ("E1", "WCT1/0", "Wildcard TE122", 1, 31)
    assert span.alarms == ["RED"] and span.framing == "CCS/CRC4" and span.coding == "HDB3"
    assert span.counters == {"CRC4 error": 1843, "FAS error": 17}
    assert len(span.ports) == 31 and {p.state for p in span.ports} == {"RED"}
    assert span.ports[15].configured_as == "Hardware-assisted HDLC"   # timeslot 16: D channel
    assert "loss of signal" in dahdi.ALARM_TEXT["RED"]


def test_two_cards_yellow_blue_failed_module_and_channel_numbering():
    spans = machine("te410p_tdm410p")
    assert [(s.number, s.kind, s.basechan) for s in spans] == [
        (1, "T1", 1), (2, "T1", 25), (3, "T1", 49), (4, "T1", 73), (5, "analog", 97)]
    assert [s.alarms for s in spans] == [[], ["YELLOW"], ["BLUE"], [], []]
    assert spans[1].counters == {"BPV": 4}
    assert not spans[3].configured
    assert [(p.channel, p.signalling, p.state) for p in spans[4].ports] == [
        (97, "FXO", "OK"), (98, "FXO", "RED"), (99, "FXS", "FAILED"), (100, "unknown", "Not readable")]


def test_alarms_from_proc_only_lists_spans_in_alarm():
    assert dahdi.alarms(DATA / "te410p_tdm410p" / "proc") == {2: ["YELLOW"], 3: ["BLUE"]}
    assert dahdi.alarms(DATA / "b410p" / "proc") == {2: ["RED"], 3: ["RED"]}
    assert dahdi.alarms(DATA / "tdm410p" / "proc") == {}


def test_scan_alarm_abbreviations():
    text = ("[1]\nactive=yes\nalarms=BLU/YEL/RED/LFA/LB/REC/NOP\nname=X\ntype=digital-E1\n"
            "basechan=1\ntotchans=31\n")
    [span] = dahdi.scan(text, proc_root="/nonexistent")
    assert span.alarms == ["RED", "YELLOW", "BLUE", "LFA", "LOOP", "RECOVERING", "NOTOPEN"]


def test_machine_without_dahdi(tmp_path):
    assert dahdi.scan("", proc_root=tmp_path) == []
    assert dahdi.alarms(tmp_path / "missing") == {}
    if shutil.which("dahdi_scan") is None:       # this host: no tools -> nothing, no error
        assert dahdi.scan(proc_root=tmp_path) == []


# -- configuration: store, system.conf, chan_dahdi.conf --------------------------------------

def configure_demo(db) -> None:
    """A TDM410P (2 phones, 1 line) and a TE122 E1 to the carrier, as saved from the panel."""
    hardware.save_port(db, 1, span=1, first_channel=1, channels=4, module="FXS",
                       title="Reception")
    hardware.save_port(db, 2, span=1, first_channel=1, channels=4, module="FXS", lang="en")
    hardware.save_port(db, 3, span=1, first_channel=1, channels=4, module="FXO", group=1)
    hardware.save_span(db, 2, "E1", first_channel=5, channels=31, timing=1, group=2)
    hardware.save_span(db, 3, "BRI", first_channel=36, channels=3, signalling="bri_cpe",
                       timing=2)


def test_system_conf_from_saved_configuration(db, tmp_path):
    configure_demo(db)
    path = dahdi.write_system_conf(hardware.dahdi_config(db), tmp_path / "dahdi" / "system.conf")
    text = path.read_text()
    lines = [l.split("#")[0].strip() for l in text.splitlines() if l.split("#")[0].strip()]
    assert lines == [
        "loadzone = pl", "defaultzone = pl",
        "fxoks=1-2",            # FXS modules: phones
        "fxsks=3",              # FXO module: the line
        "span=2,1,0,ccs,hdb3,crc4", "bchan=5-19,21-35", "dchan=20",
        "span=3,2,0,ccs,ami", "bchan=36-37", "hardhdlc=38",
        "echocanceller=mg2,1-3,5-19,21-37",   # port 4 has no module
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["system.conf"]   # no temp file left


def test_chan_dahdi_conf_and_module_only_when_configured(db):
    layout = render.Layout(ami_secret="x" * 16)
    files = render.render_files(config.snapshot(db), layout)
    assert "chan_dahdi.conf" not in files and "chan_dahdi" not in files["modules.conf"]
    configure_demo(db)
    files = render.render_files(config.snapshot(db), layout)
    assert "load => chan_dahdi.so" in files["modules.conf"]
    blocks = [b for b in files["chan_dahdi.conf"].split("\n\n") if "channel =>" in b]
    parsed = [dict(l.split(" => ") if "=>" in l else l.split(" = ")
                   for l in b.splitlines() if not l.startswith(";")) for b in blocks]
    assert parsed == [
        {"signalling": "fxo_ks", "context": "from-internal", "group": "0", "language": "pl",
         "channel": "1"},
        {"signalling": "fxo_ks", "context": "from-internal", "group": "0", "language": "en",
         "channel": "2"},
        {"signalling": "fxs_ks", "context": "from-trunk", "group": "1", "language": "pl",
         "channel": "3"},
        {"signalling": "pri_cpe", "switchtype": "euroisdn", "context": "from-trunk",
         "group": "2", "language": "pl", "channel": "5-19,21-35"},
        {"signalling": "bri_cpe", "switchtype": "euroisdn", "context": "from-trunk",
         "group": "0", "language": "pl", "channel": "36-37"},
    ]
    assert "Reception" in files["chan_dahdi.conf"]
    # disabling everything takes chan_dahdi out again
    for channel in (1, 2, 3):
        hardware.delete_port(db, channel)
    hardware.delete_span(db, 2)
    hardware.delete_span(db, 3)
    files = render.render_files(config.snapshot(db), layout)
    assert "chan_dahdi.conf" not in files and "chan_dahdi" not in files["modules.conf"]
    assert hardware.dahdi_config(db) == []


@pytest.mark.parametrize("call, message", [
    (lambda db: hardware.save_span(db, 2, "E1", first_channel=1, channels=24),
     "a E1 line has 31 channels"),
    (lambda db: hardware.save_span(db, 2, "T1", first_channel=1, crc4=True), "CRC4 exists only"),
    (lambda db: hardware.save_span(db, 2, "E1", first_channel=1, framing="cas"), "CAS"),
    (lambda db: hardware.save_span(db, 2, "E1", first_channel=1, signalling="bri_cpe"),
     "E1 signalling is one of pri_cpe, pri_net"),
    (lambda db: hardware.save_span(db, 2, "E1", first_channel=1, context="default"),
     "calls go to from-trunk or from-internal"),
    (lambda db: hardware.save_span(db, 2, "E1", first_channel=1, group=64), "group"),
    (lambda db: hardware.save_span(db, 9, "E1", first_channel=3), "overlap span 1"),
    (lambda db: hardware.save_port(db, 9, span=1, first_channel=1, channels=4, module="FXS"),
     "not a channel of span 1"),
    (lambda db: hardware.save_port(db, 1, span=1, first_channel=1, channels=4, module="fxs"),
     "FXS (for a phone) or FXO"),
    (lambda db: hardware.save_port(db, 5, span=2, first_channel=5, channels=31, module="FXO"),
     "span 2 is configured as E1"),
])
def test_refused_configuration_changes_nothing(db, call, message):
    hardware.save_port(db, 1, span=1, first_channel=1, channels=4, module="FXS")
    hardware.save_span(db, 2, "E1", first_channel=5)
    before = hardware.dahdi_config(db)
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(db)
    assert hardware.dahdi_config(db) == before


def test_sensor_names(db):
    hardware.set_sensor_name(db, "i2c-1:0x48", "  front panel ")
    hardware.set_sensor_name(db, "hwmon0/temp1_input", "CPU")
    assert hardware.sensor_names(db) == {"i2c-1:0x48": "front panel", "hwmon0/temp1_input": "CPU"}
    hardware.set_sensor_name(db, "i2c-1:0x48", "")
    assert hardware.sensor_names(db) == {"hwmon0/temp1_input": "CPU"}
    with pytest.raises(StoreError):
        hardware.set_sensor_name(db, "../etc", "x")


# -- applying ---------------------------------------------------------------------------------

def test_apply_without_the_tools(tmp_path):
    assert "is not installed" in dahdi.apply(tmp_path / "system.conf",
                                             dahdi_cfg=str(tmp_path / "no-dahdi_cfg"))


@pytest.mark.asterisk
def test_real_dahdi_cfg_reads_our_file_and_its_error_reaches_the_admin(db, tmp_path):
    """The build rootfs's dahdi_cfg 3.4 loads the file we wrote.  It opens /dev/dahdi/ctl
    before it parses a single line (even with -t), so without a card it cannot check a file:
    what we prove is that apply() runs it on our path and hands back its own message."""
    from appliance.telephony.chroot import default_rootfs
    rootfs = default_rootfs()
    if not (rootfs / "usr/sbin/dahdi_cfg").exists():
        pytest.fail(f"no dahdi_cfg in {rootfs}: run `make rootfs`")
    configure_demo(db)
    conf = dahdi.write_system_conf(hardware.dahdi_config(db), tmp_path / "system.conf")
    inside = f"/tmp/jns-test-{os.getpid()}-system.conf"
    wrapper = tmp_path / "dahdi_cfg"
    wrapper.write_text(f'#!/bin/sh\ncp "$2" {rootfs}{inside} && chroot {rootfs} '
                       f'/usr/sbin/dahdi_cfg -c {inside}; rc=$?; rm -f {rootfs}{inside}; exit $rc\n')
    wrapper.chmod(0o755)
    error = dahdi.apply(conf, dahdi_cfg=str(wrapper))
    if os.path.exists("/dev/dahdi/ctl"):
        pytest.skip("this machine has DAHDI: not applying a test configuration to it")
    assert "Unable to open master device '/dev/dahdi/ctl'" in error
    assert "DAHDI Tools Version" not in error


def test_configure_writes_the_file_and_runs_dahdi_cfg_only_with_cards(db, tmp_path):
    path = tmp_path / "dahdi" / "system.conf"
    assert dahdi.configure([], path, control=tmp_path / "no-ctl") == ""
    assert "span=" not in path.read_text()
    configure_demo(db)
    message = dahdi.configure(hardware.dahdi_config(db), path, control=tmp_path / "no-ctl",
                              dahdi_cfg=str(tmp_path / "never-run"))
    assert message.startswith("no DAHDI card on this box") and "saved" in message
    assert "span=2,1,0,ccs,hdb3,crc4" in path.read_text()
    ctl = tmp_path / "ctl"
    ctl.touch()                                      # a card: dahdi_cfg runs (here: missing)
    assert "is not installed" in dahdi.configure(hardware.dahdi_config(db), path, control=ctl,
                                                 dahdi_cfg=str(tmp_path / "no-dahdi_cfg"))


# -- the serial console's Status screen ------------------------------------------------------

def test_console_status_lines_from_the_watchdog_snapshot(tmp_path):
    from appliance.console.system import Settings, System
    from appliance.hal import status
    path = tmp_path / "hardware.json"
    system = System(Settings.from_env({"JNS_DATA": str(tmp_path),
                                       "JNS_HARDWARE_STATUS": str(path)}))
    assert system.dahdi_lines() == [" DAHDI        no report from the watchdog yet"]
    status.write(status.collect(read_sensors=list, scan_dahdi=lambda: machine("te410p_tdm410p")),
                 path)
    assert system.dahdi_lines() == [
        " DAHDI        5 span(s), 2 in alarm",
        "   span 1 TE4/0/1 T1: OK", "   span 2 TE4/0/2 T1: YELLOW", "   span 3 TE4/0/3 T1: BLUE",
        "   span 4 TE4/0/4 T1: not configured", "   span 5 WCTDM/1 analog: OK"]
    status.write(status.collect(read_sensors=list, scan_dahdi=list), path)
    assert system.dahdi_lines() == [" DAHDI        no cards detected"]


class CommandLog:
    """Stands in for the AMI client (appliance.telephony.ami): keeps the CLI commands the
    applier would send to Asterisk."""

    def __init__(self):
        self.commands: list[str] = []

    def action(self, name, **kw):
        assert name == "Command"
        self.commands.append(kw["Command"])


def test_first_configured_port_loads_chan_dahdi_later_saves_only_reload_it(db, tmp_path):
    from appliance.telephony.apply import ConfigApplier
    ami = CommandLog()
    applier = ConfigApplier(db, render.Layout(ami_secret="x" * 16), tmp_path / "etc", ami)
    assert applier.apply()                      # the first generation: nothing to load yet
    ami.commands.clear()
    configure_demo(db)
    assert applier.apply()
    # a reload never loads a module modules.conf gained: it must be loaded, before reloads
    assert ami.commands[:2] == ["module load res_smdi.so", "module load chan_dahdi.so"]
    assert "module load" not in " ".join(ami.commands[2:])
    ami.commands.clear()
    hardware.save_port(db, 2, span=1, first_channel=1, channels=4, module="FXS", lang="pl")
    assert applier.apply()
    assert ami.commands == ["module reload chan_dahdi.so"]


def test_box_writes_system_conf_at_boot_and_after_saves_that_change_it(db, tmp_path, monkeypatch):
    from appliance import box
    monkeypatch.setattr(box, "DATA", tmp_path / "data")
    conf = tmp_path / "data" / "dahdi" / "system.conf"
    box.configure_dahdi(db, boot=True)            # no card and nothing configured: empty file
    assert "fxoks" not in conf.read_text()
    configure_demo(db)
    box.configure_dahdi(db)
    assert "fxoks=1-2" in conf.read_text()
    stamp = conf.stat().st_mtime_ns
    box.configure_dahdi(db)                       # a save elsewhere: dahdi_cfg is left alone
    assert conf.stat().st_mtime_ns == stamp
