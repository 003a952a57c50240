"""Sensors (HAL-2): LM75-class chips over I2C, hwmon files, thresholds with hysteresis.

The I2C side runs appliance.hal.sensors against appliance.hal.i2csim, an object with the
smbus2.SMBus methods and real LM75 register behaviour (MSB-first words, 9-bit two's
complement, NACK for an empty address, EIO glitches, a chip that disappears).  The hwmon
side is a sysfs-shaped tree in tmp_path with the kernel's file names and units.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import smbus2

from appliance.hal import i2csim, sensors
from appliance.hal.i2csim import LM75, SimBus
from appliance.hal.sensors import Reading, Threshold, lm75_celsius, read_all


def read(buses: dict[int, SimBus], tmp_path: Path, **kw) -> list[Reading]:
    return read_all(buses=kw.pop("probe", sorted(buses)), bus_factory=i2csim.factory(buses),
                    hwmon_root=tmp_path / "hwmon", i2c_root=tmp_path / "i2c", **kw)


def by_source(readings: list[Reading]) -> dict[str, Reading]:
    return {r.source: r for r in readings}


def test_simulated_bus_speaks_the_smbus2_interface():
    for method in ("read_word_data", "read_byte_data", "read_i2c_block_data",
                   "write_byte_data", "close", "__enter__", "__exit__"):
        assert callable(getattr(smbus2.SMBus, method)) and callable(getattr(SimBus, method))
    with SimBus(1, {0x48: LM75(25.0)}) as bus:
        assert bus.read_i2c_block_data(0x48, 0, 2) == [0x19, 0x00]   # MSB first on the wire
        assert bus.read_word_data(0x48, 0) == 0x0019                # SMBus: first byte is low
    assert bus.closed


@pytest.mark.parametrize("celsius, wire", [
    (25.0, [0x19, 0x00]), (0.5, [0x00, 0x80]), (125.0, [0x7D, 0x00]), (-0.5, [0xFF, 0x80]),
    (-25.0, [0xE7, 0x00]), (-55.0, [0xC9, 0x00]), (0.0, [0x00, 0x00]),
])
def test_lm75_conversion_datasheet_values(celsius, wire):
    """The LM75 datasheet's table: the byte pair on the wire -> °C, through a word read."""
    word = wire[0] | wire[1] << 8
    assert lm75_celsius(word) == celsius
    assert SimBus(1, {0x48: LM75(celsius)}).read_i2c_block_data(0x48, 0, 2) == wire


def test_temperatures_from_chips_on_a_bus(tmp_path):
    chips = {0x48: LM75(41.5), 0x4A: LM75(-12.5), 0x4F: LM75(0.5)}
    got = by_source(read({1: SimBus(1, chips)}, tmp_path))
    assert set(got) == {"i2c-1:0x48", "i2c-1:0x4a", "i2c-1:0x4f"}   # empty addresses: nothing
    assert got["i2c-1:0x48"] == Reading("temperature (i2c-1 0x48)", "temperature", 41.5, "°C",
                                        "i2c-1:0x48", None)
    assert got["i2c-1:0x4a"].value == -12.5
    assert got["i2c-1:0x4f"].value == 0.5


def test_glitch_is_retried_but_a_failing_chip_is_reported(tmp_path):
    good, bad = LM75(30.0), LM75(35.0)
    good.fail_next(errno.EIO, 1)                    # one glitch: the retry reads it
    bus = SimBus(1, {0x48: LM75(20.0), 0x49: good, 0x4B: bad})
    got = by_source(read({1: bus}, tmp_path))
    assert got["i2c-1:0x49"].value == 30.0 and got["i2c-1:0x49"].error is None
    bad.fail_next(errno.EIO, sensors.READ_TRIES)
    got = by_source(read({1: bus}, tmp_path))
    r = got["i2c-1:0x4b"]
    assert r.value is None and "EIO" in r.error and "cable" in r.error
    assert got["i2c-1:0x48"].value == 20.0          # one bad chip does not hide the others


def test_missing_chip_shows_when_it_is_expected(tmp_path):
    chip = LM75(44.0)
    bus = SimBus(1, {0x48: chip})
    assert by_source(read({1: bus}, tmp_path, expected=["i2c-1:0x48"]))["i2c-1:0x48"].value == 44
    chip.missing = True                             # unplugged: NACK on every access
    got = by_source(read({1: bus}, tmp_path, expected=["i2c-1:0x48"]))
    assert got["i2c-1:0x48"].value is None
    assert got["i2c-1:0x48"].error.startswith("chip missing")
    assert read({1: bus}, tmp_path) == []           # not expected: just not there


def test_bus_that_cannot_be_opened(tmp_path):
    got = read({}, tmp_path, probe=[3])
    assert len(got) == 1 and got[0].value is None
    assert "I2C bus 3 cannot be opened" in got[0].error and "ENOENT" in got[0].error


def _hwmon(tmp_path: Path) -> None:
    """Two hwmon devices like the kernel makes: lm75 bound to i2c-1 0x48, and a board chip."""
    dev = tmp_path / "devices" / "i2c-1" / "1-0048"
    (dev / "hwmon").mkdir(parents=True)
    (dev / "driver").mkdir()
    i2c = tmp_path / "i2c"
    i2c.mkdir()
    (i2c / "1-0048").symlink_to(dev)
    hw0 = tmp_path / "hwmon" / "hwmon0"
    hw0.mkdir(parents=True)
    (hw0 / "device").symlink_to(dev)
    (hw0 / "name").write_text("lm75\n")
    (hw0 / "temp1_input").write_text("47500\n")
    hw1 = tmp_path / "hwmon" / "hwmon1"
    hw1.mkdir()
    (hw1 / "name").write_text("nct6775\n")
    (hw1 / "in0_input").write_text("1104\n")
    (hw1 / "in0_label").write_text("Vcore\n")
    (hw1 / "fan1_input").write_text("1830\n")
    (hw1 / "fan2_input").mkdir()                    # a read that fails (EISDIR)
    (hw1 / "temp2_input").write_text("-3000\n")
    (hw1 / "temp2_label").write_text("SYSTIN\n")
    (hw1 / "temp2_max").write_text("80000\n")       # not an input: ignored


def test_hwmon_files_preferred_and_owned_chip_not_probed(tmp_path):
    _hwmon(tmp_path)
    chip = LM75(20.0)                               # what a direct read would (wrongly) give
    got = by_source(read({1: SimBus(1, {0x48: chip, 0x49: LM75(33.0)})}, tmp_path))
    assert chip.reads == 0                          # the lm75 driver owns it: never touched
    assert got["hwmon0/temp1_input"] == Reading("lm75 temperature 1 (i2c-1 0x48)", "temperature",
                                                47.5, "°C", "hwmon0/temp1_input", None)
    assert "i2c-1:0x48" not in got and got["i2c-1:0x49"].value == 33.0
    assert got["hwmon1/in0_input"].sensor == "Vcore (nct6775, hwmon1)"
    assert (got["hwmon1/in0_input"].kind, got["hwmon1/in0_input"].value,
            got["hwmon1/in0_input"].unit) == ("voltage", 1.104, "V")
    assert (got["hwmon1/fan1_input"].value, got["hwmon1/fan1_input"].unit) == (1830, "RPM")
    assert got["hwmon1/temp2_input"].value == -3.0
    assert got["hwmon1/fan2_input"].value is None and "cannot read" in got["hwmon1/fan2_input"].error
    assert "hwmon1/temp2_max" not in got


def test_machine_without_sensors(tmp_path):
    assert read_all(buses=[], hwmon_root=tmp_path / "none", i2c_root=tmp_path / "none") == []


# -- thresholds --------------------------------------------------------------------------------

def test_threshold_hysteresis_temperature():
    t = Threshold(warning=60, critical=75, hysteresis=2)
    assert [t.update(v) for v in (40, 59.5, 60, 59, 58.5, 57.9, 60)] == \
        ["ok", "ok", "warning", "warning", "warning", "ok", "warning"]
    assert [t.update(v) for v in (75, 73.5, 72.9, 60, 57)] == \
        ["critical", "critical", "warning", "warning", "ok"]
    assert t.update(None) == "unknown"
    assert t.update(80) == "critical"               # straight to critical


def test_threshold_below_for_fans_and_voltages():
    fan = Threshold(warning=1000, critical=500, hysteresis=100, above=False)
    assert [fan.update(v) for v in (1800, 1000, 1050, 1101, 400, 550, 601, 1200)] == \
        ["ok", "warning", "warning", "ok", "critical", "critical", "warning", "ok"]


def test_threshold_with_one_limit():
    t = Threshold(warning=None, critical=90, hysteresis=5)
    assert [t.update(v) for v in (89, 90, 86, 84.9)] == ["ok", "critical", "critical", "ok"]
    with pytest.raises(ValueError):
        Threshold(1, 2, hysteresis=-1)


def test_console_temperature_line_includes_i2c_chips(tmp_path):
    """The console's Status screen: hwmon/thermal as before, plus the I2C chips the watchdog
    read (appliance.hal.status snapshot); a chip in error is left out of the line."""
    from appliance.console.system import Settings, System
    from appliance.hal import status
    bad = LM75(20.0)
    bad.missing = True
    bus = SimBus(1, {0x48: LM75(38.5), 0x49: bad})
    snap = status.collect(read_sensors=lambda: read(
        {1: bus}, tmp_path, expected=["i2c-1:0x49"]), scan_dahdi=list)
    status.write(snap, tmp_path / "hw.json")
    system = System(Settings.from_env({"JNS_DATA": str(tmp_path), "JNS_SYSFS": str(tmp_path / "sys"),
                                       "JNS_HARDWARE_STATUS": str(tmp_path / "hw.json")}))
    assert system.temperatures() == [("temperature (i2c-1 0x48)", 38.5)]
