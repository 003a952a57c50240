"""An I2C bus with LM75-class temperature chips behind the smbus2.SMBus interface.

For tests and `make run-host` only: the box never imports this module (it has real buses).
`SimBus(1, {0x48: LM75(41.5)})` answers like `smbus2.SMBus(1)` with that chip fitted:
read_word_data / read_byte_data / read_i2c_block_data / write_byte_data / write_word_data,
close(), and use as a context manager.  Byte order is the real one: an LM75 sends its 16-bit
registers MSB first, while SMBus word reads put the first byte on the wire in the LOW byte,
so a word read returns the two bytes swapped - exactly the trap real code has to handle.

Faults, as a real bus shows them:
- no chip at an address: OSError(EREMOTEIO, "Remote I/O error") - the address is NACKed;
- `LM75.fail_next(errno, count)`: the next `count` accesses raise that errno (EIO for a
  glitch on the wire, EREMOTEIO for a chip that stops answering for a while);
- `LM75.missing = True`: the chip is gone (cable, power): EREMOTEIO on every access;
- a bus number the factory does not know: FileNotFoundError like opening /dev/i2c-N.
This module never touches real devices.
"""
from __future__ import annotations

import errno
import os
from typing import Iterable

# LM75 register pointers
TEMP, CONFIG, THYST, TOS = 0, 1, 2, 3


def encode_celsius(celsius: float) -> int:
    """°C -> the LM75's 16-bit register: 9-bit two's complement in the top bits, 0.5 °C steps."""
    half_degrees = int(round(celsius * 2))
    if not -110 <= half_degrees <= 250:
        raise ValueError(f"an LM75 measures -55..+125 °C, not {celsius}")
    return (half_degrees & 0x1FF) << 7


class LM75:
    """One LM75-class chip: temperature, configuration, hysteresis and overtemperature registers."""

    def __init__(self, celsius: float = 25.0, *, hyst: float = 75.0, os_limit: float = 80.0,
                 config: int = 0x00):
        self.registers = {TEMP: encode_celsius(celsius), CONFIG: config,
                          THYST: encode_celsius(hyst), TOS: encode_celsius(os_limit)}
        self.missing = False
        self._faults: list[int] = []
        self.reads = 0

    @property
    def celsius(self) -> float:
        raw = self.registers[TEMP] >> 7
        return (raw - 512 if raw & 0x100 else raw) / 2

    @celsius.setter
    def celsius(self, value: float) -> None:
        self.registers[TEMP] = encode_celsius(value)

    def fail_next(self, code: int = errno.EIO, count: int = 1) -> None:
        self._faults.extend([code] * count)

    def access(self) -> None:
        """Called on every transfer: raises the fault a real bus would report."""
        self.reads += 1
        if self.missing:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        if self._faults:
            code = self._faults.pop(0)
            raise OSError(code, os.strerror(code))

    def wire_bytes(self, register: int, length: int) -> list[int]:
        """What the chip clocks out after the pointer is set: MSB first for 16-bit registers."""
        if register not in self.registers:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        value = self.registers[register]
        data = [value] if register == CONFIG else [value >> 8, value & 0xFF]
        # the chip keeps sending the register again for longer reads
        return [data[i % len(data)] for i in range(length)]


class SimBus:
    """The smbus2.SMBus methods our code uses, on a bus with the given chips."""

    def __init__(self, bus: int = 1, chips: dict[int, LM75] | None = None):
        self.bus = bus
        self.chips = dict(chips or {})
        self.closed = False

    def _chip(self, address: int) -> LM75:
        if self.closed:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        chip = self.chips.get(address)
        if chip is None:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        chip.access()
        return chip

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._chip(i2c_addr).wire_bytes(register, 1)[0]

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        first, second = self._chip(i2c_addr).wire_bytes(register, 2)
        return first | (second << 8)    # SMBus: the first byte received is the low byte

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        return self._chip(i2c_addr).wire_bytes(register, length)

    def write_byte_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        chip = self._chip(i2c_addr)
        if register != CONFIG:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        chip.registers[CONFIG] = value & 0xFF

    def write_word_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        chip = self._chip(i2c_addr)
        if register not in (THYST, TOS):
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        chip.registers[register] = ((value & 0xFF) << 8 | value >> 8) & 0xFF80

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "SimBus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def factory(buses: dict[int, SimBus] | Iterable[SimBus]):
    """A `bus_factory` for sensors.read_all: opens the simulated bus N like SMBus(N)."""
    table = buses if isinstance(buses, dict) else {b.bus: b for b in buses}

    def open_bus(number: int) -> SimBus:
        if number not in table:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), f"/dev/i2c-{number}")
        bus = table[number]
        bus.closed = False
        return bus
    return open_bus
