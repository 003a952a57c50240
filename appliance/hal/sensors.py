"""Temperatures, voltages and fan speeds of the box: hwmon files and LM75-class I2C chips.

`read_all()` returns one `Reading` per sensor.  Where a kernel driver owns a chip its hwmon
files are read (temp*_input in m°C, in*_input in mV, fan*_input in RPM, with *_label names);
LM75-class chips at 0x48..0x4F that no driver owns are read directly over I2C with smbus2
(register 0, two bytes MSB first - an SMBus word read returns them swapped - 9 bits in
0.5 °C steps, two's complement).  A chip owned by a driver is never probed: the driver
is talking to it.

A sensor that cannot be read is a Reading with `value=None` and `error` saying what to do,
never an exception: the watchdog and the panel show it and go on.  `Threshold` turns values
into ok / warning / critical with hysteresis, so a temperature hovering at a limit does not
flap.  This module only reads; it never writes a chip's registers.
"""
from __future__ import annotations

import dataclasses
import errno
import glob
import logging
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

try:
    import smbus2
    _SMBus: Callable[[int], Any] = smbus2.SMBus
except ImportError:   # the box always has python3-smbus2; only odd hosts lack it
    smbus2 = None

    def _SMBus(bus: int):  # type: ignore[no-redef]
        raise OSError(errno.ENOSYS, "smbus2 is not installed")

log = logging.getLogger(__name__)

LM75_ADDRESSES = range(0x48, 0x50)
READ_TRIES = 3           # an I2C glitch (EIO) is retried before a reading counts as failed
NO_DEVICE = (errno.EREMOTEIO, errno.ENXIO, errno.ETIMEDOUT)   # nothing answered the address
KINDS = {"temp": ("temperature", "°C", 1000.0), "in": ("voltage", "V", 1000.0),
         "fan": ("fan", "RPM", 1.0)}


@dataclasses.dataclass(frozen=True)
class Reading:
    sensor: str        # a name a technician recognises, e.g. "temperature (i2c-1 0x48)"
    kind: str          # "temperature" | "voltage" | "fan"
    value: float | None
    unit: str          # "°C" | "V" | "RPM"
    source: str        # "i2c-1:0x48" or "hwmon0/temp1_input"
    error: str | None  # None when value is good; a clear text otherwise


def lm75_celsius(word: int) -> float:
    """An SMBus word read of an LM75's register 0 -> °C (byte swap, 9 bits, 0.5 °C steps)."""
    raw = ((word & 0xFF) << 8) | (word >> 8)
    value = raw >> 7
    if value & 0x100:
        value -= 512
    return value / 2


def read_all(*, buses: Iterable[int] | None = None,
             bus_factory: Callable[[int], Any] = _SMBus,
             hwmon_root: str | os.PathLike = "/sys/class/hwmon",
             i2c_root: str | os.PathLike = "/sys/bus/i2c/devices",
             expected: Iterable[str] = ()) -> list[Reading]:
    """Every sensor of the box.  `buses`: I2C bus numbers to probe (None: every /dev/i2c-N).
    `expected`: sources ("i2c-1:0x48") that should answer - e.g. the ones the admin named -
    so a chip that stopped answering shows as missing instead of silently disappearing."""
    readings = _hwmon(Path(hwmon_root))
    owned = _owned_by_driver(Path(i2c_root))
    if buses is None:
        buses = sorted(int(m.group(1)) for p in glob.glob("/dev/i2c-*")
                       if (m := re.fullmatch(r"/dev/i2c-(\d+)", p)))
    expected = set(expected)
    seen = {r.source for r in readings}
    for bus in buses:
        readings += _probe_bus(bus, bus_factory, owned, expected)
        seen |= {r.source for r in readings}
    for source in sorted(expected - seen):
        m = re.fullmatch(r"i2c-(\d+):0x([0-9a-f]{2})", source)
        if m and int(m.group(1)) not in set(buses):
            readings.append(_missing(int(m.group(1)), int(m.group(2), 16), "bus not probed"))
    return readings


# -- hwmon ----------------------------------------------------------------------------------

def _hwmon(root: Path) -> list[Reading]:
    out: list[Reading] = []
    for hw in sorted(root.glob("hwmon*"), key=lambda p: _natural(p.name)):
        chip = _text(hw / "name") or hw.name
        where = _i2c_location(hw) or f"{chip}, {hw.name}"
        files = [p for p in hw.glob("*_input") if re.fullmatch(r"(temp|in|fan)\d+_input", p.name)]
        for path in sorted(files, key=lambda p: _natural(p.name)):
            prefix, number = re.fullmatch(r"(temp|in|fan)(\d+)_input", path.name).groups()
            kind, unit, scale = KINDS[prefix]
            label = _text(hw / f"{prefix}{number}_label") or f"{chip} {kind} {number}"
            source = f"{hw.name}/{path.name}"
            try:
                value: float | None = int(path.read_text().strip()) / scale
                error = None
            except (OSError, ValueError) as exc:
                value, error = None, f"cannot read {path}: {_why(exc)}"
            out.append(Reading(f"{label} ({where})", kind, value, unit, source, error))
    return out


def _i2c_location(hw: Path) -> str | None:
    """"i2c-1 0x48" when the hwmon device is an I2C client (device -> .../1-0048)."""
    try:
        target = os.path.realpath(hw / "device")
    except OSError:
        return None
    m = re.fullmatch(r"(\d+)-00([0-9a-f]{2})", os.path.basename(target))
    return f"i2c-{int(m.group(1))} 0x{m.group(2)}" if m else None


def _owned_by_driver(i2c_root: Path) -> set[tuple[int, int]]:
    """(bus, address) of I2C clients a kernel driver is bound to (…/1-0048/driver exists)."""
    owned = set()
    for dev in i2c_root.glob("*-00*"):
        m = re.fullmatch(r"(\d+)-00([0-9a-f]{2})", dev.name)
        if m and (dev / "driver").exists():
            owned.add((int(m.group(1)), int(m.group(2), 16)))
    return owned


# -- LM75 over I2C ----------------------------------------------------------------------------

def _probe_bus(bus: int, bus_factory: Callable[[int], Any], owned: set[tuple[int, int]],
               expected: set[str]) -> list[Reading]:
    try:
        smbus = bus_factory(bus)
    except OSError as exc:
        return [Reading(f"I2C bus {bus}", "temperature", None, "°C", f"i2c-{bus}",
                        f"I2C bus {bus} cannot be opened: {_why(exc)}")]
    out = []
    try:
        for address in LM75_ADDRESSES:
            if (bus, address) in owned:
                continue
            source = f"i2c-{bus}:0x{address:02x}"
            reading = _read_lm75(smbus, bus, address)
            if reading is None and source in expected:
                reading = _missing(bus, address, "the chip does not answer (no ACK)")
            if reading is not None:
                out.append(reading)
    finally:
        try:
            smbus.close()
        except OSError:
            pass
    return out


def _read_lm75(smbus: Any, bus: int, address: int) -> Reading | None:
    """One chip's temperature; None when nothing answers at the address."""
    name = f"temperature (i2c-{bus} 0x{address:02x})"
    source = f"i2c-{bus}:0x{address:02x}"
    last: OSError | None = None
    for attempt in range(READ_TRIES):
        try:
            word = smbus.read_word_data(address, 0)
        except OSError as exc:
            last = exc
            if exc.errno in NO_DEVICE and attempt == 0:
                return None   # nobody at this address (a probe is NACKed)
            continue
        return Reading(name, "temperature", lm75_celsius(word), "°C", source, None)
    return Reading(name, "temperature", None, "°C", source,
                   f"read error after {READ_TRIES} tries: {_why(last)}; "
                   "check the sensor's cable and power")


def _missing(bus: int, address: int, why: str) -> Reading:
    return Reading(f"temperature (i2c-{bus} 0x{address:02x})", "temperature", None, "°C",
                   f"i2c-{bus}:0x{address:02x}",
                   f"chip missing: {why}; check that the sensor is fitted and powered")


# -- thresholds -------------------------------------------------------------------------------

class Threshold:
    """ok / warning / critical for one sensor, with hysteresis.

    `above=True`: too high is bad (temperature); False: too low is bad (a fan, a supply
    voltage).  A level is entered when the value reaches its limit and left only after the
    value moved back past the limit by `hysteresis`.  None (no reading) is "unknown".
    """
    LEVELS = ("ok", "warning", "critical")

    def __init__(self, warning: float | None, critical: float | None, hysteresis: float = 2.0,
                 above: bool = True):
        if hysteresis < 0:
            raise ValueError("hysteresis must not be negative")
        self.warning, self.critical, self.hysteresis = warning, critical, hysteresis
        self.sign = 1 if above else -1
        self.level = "unknown"

    def _reached(self, limit: float | None, value: float, held: bool) -> bool:
        if limit is None:
            return False
        return self.sign * value >= self.sign * limit - (self.hysteresis if held else 0)

    def update(self, value: float | None) -> str:
        if value is None:
            self.level = "unknown"
            return self.level
        rank = self.LEVELS.index(self.level) if self.level in self.LEVELS else 0
        if self._reached(self.critical, value, rank >= 2):
            self.level = "critical"
        elif self._reached(self.warning, value, rank >= 1):
            self.level = "warning"
        else:
            self.level = "ok"
        return self.level


# -- helpers ----------------------------------------------------------------------------------

def _text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _why(exc: BaseException | None) -> str:
    if isinstance(exc, OSError) and exc.errno:
        return f"{errno.errorcode.get(exc.errno, exc.errno)} ({exc.strerror})"
    return str(exc)


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]
