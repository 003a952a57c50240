"""The box's front LEDs through the kernel's LED class (/sys/class/leds/<name>/).

The watchdog says which states are true right now ("warning", "no_network", ...); `Leds.show`
picks the most serious one (`PRIORITY`) and sets the LEDs to its pattern: a steady light,
the kernel's "timer" trigger (delay_on/delay_off in ms) or its "heartbeat" trigger.  The
sysfs files are written only when an LED's setting changes, so the blink never restarts
while nothing changed (an LED whose write failed is tried again on the next call).

Roles: "status" (green: the box works), "alarm" (red: something needs a technician) and
"gsm" (the modem / network).  A box with fewer LEDs gets the most important signal on the
ones it has: without an alarm LED the alarm pattern blinks the status LED.  A machine with no
LEDs at all (the qemu box, a PC) makes every call a no-op.

This module never raises on a write error (LED gone, EACCES): it logs, because a broken LED
must not take the watchdog down with it.  It never decides what is wrong; it only shows it.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

# one LED's setting: ("off",), ("on",), ("timer", delay_on_ms, delay_off_ms), ("heartbeat",)
Setting = tuple

# pattern name -> {role: setting}; roles not named are off
PATTERNS: dict[str, dict[str, Setting]] = {
    "ok": {"status": ("on",), "alarm": ("off",), "gsm": ("on",)},
    "warning": {"status": ("on",), "alarm": ("timer", 1000, 1000), "gsm": ("on",)},
    "fault": {"status": ("on",), "alarm": ("timer", 100, 100), "gsm": ("on",)},
    # short flash every second: unlike warning's even blink, readable from across the room
    "no_network": {"status": ("on",), "alarm": ("off",), "gsm": ("timer", 150, 850)},
    "update": {"status": ("heartbeat",), "alarm": ("off",), "gsm": ("on",)},
}
PRIORITY = ("fault", "update", "no_network", "warning", "ok")   # first = most serious, wins

# how an LED's directory name ("device:colour:function", e.g. "apu2:green:status") tells its
# role: by the function first, then by the colour
ROLE_FUNCTIONS = {
    "status": ("status", "power", "sys", "run"),
    "alarm": ("alarm", "fault", "error", "fail"),
    "gsm": ("gsm", "modem", "wwan", "mobile"),
}
ROLE_COLOURS = {"status": ("green",), "alarm": ("red",)}
# which role takes a missing role's signal: the gsm pattern goes to the alarm LED, and
# from there (or directly) to the status LED
FALLBACK = {"gsm": ("alarm", "status"), "alarm": ("status",)}
TRIGGER_WAIT_S = 1.0   # longest wait for delay_on/delay_off after trigger=timer


def most_serious(states: Iterable[str]) -> str:
    """The state that wins (PRIORITY order); "ok" for none.  Unknown names are ignored."""
    given = set(states)
    for name in PRIORITY:
        if name in given:
            return name
    return "ok"


def _rank(setting: Setting) -> int:
    """How much a setting says: a blink beats a steady light beats dark."""
    return {"off": 0, "on": 1, "heartbeat": 2, "timer": 3}[setting[0]]


class Leds:
    def __init__(self, root: str | os.PathLike = "/sys/class/leds",
                 names: dict[str, str] | None = None):
        self.root = Path(root)
        self.names = dict(names) if names is not None else self._discover()
        self._shown = ""
        self._settings: dict[str, Setting] = {}   # LED directory -> what it shows now
        self._triggers: dict[str, set[str]] = {}  # LED directory -> triggers the kernel offers
        self._errors: dict[str, str] = {}         # LED directory -> its last write error

    def _discover(self) -> dict[str, str]:
        try:
            leds = sorted(p.name for p in self.root.iterdir() if (p / "brightness").exists())
        except OSError:
            return {}
        found: dict[str, str] = {}
        for table, part in ((ROLE_FUNCTIONS, -1), (ROLE_COLOURS, None)):
            for role, words in table.items():
                for name in leds:
                    text = name.lower().split(":")[part] if part else name.lower()
                    if (role not in found and name not in found.values()
                            and any(w in text for w in words)):
                        found[role] = name
        return found

    def current(self) -> str:
        """The pattern shown now ("" before the first `show`)."""
        return self._shown

    def show(self, states: Iterable[str]) -> str:
        """Show the most serious of `states`; returns its pattern name."""
        name = most_serious(states)
        # an LED whose last write failed has no setting here, so it is tried again
        for led, setting in self._plan(PATTERNS[name]).items():
            if self._settings.get(led) != setting:
                self._apply(led, setting)
        self._shown = name
        return name

    def _plan(self, pattern: dict[str, Setting]) -> dict[str, Setting]:
        """LED directory -> setting: each role on its LED, missing roles on a fallback."""
        plan: dict[str, Setting] = {}
        for role in ("status", "alarm", "gsm"):
            setting = pattern.get(role, ("off",))
            led = self.names.get(role)
            if led is None:
                led = next((self.names[r] for r in FALLBACK.get(role, ()) if r in self.names), None)
                # only a signal (a blink) moves to another LED: a missing modem LED's steady
                # "fine" must not light the red alarm LED
                if led is None or setting[0] in ("off", "on"):
                    continue
            if led not in plan or _rank(setting) > _rank(plan[led]):
                plan[led] = setting
        return plan

    # -- sysfs --

    def _apply(self, led: str, setting: Setting) -> None:
        path, wanted = self.root / led, setting
        try:
            if led not in self._triggers:
                self._triggers[led] = _triggers(path)
            available = self._triggers[led]
            kind = setting[0]
            if kind in ("timer", "heartbeat") and kind not in available:
                # trigger module missing: heartbeat -> slow blink, blink -> steady light
                fallback = ("timer", 1000, 1000) if kind == "heartbeat" else ("on",)
                if fallback[0] not in available | {"on"}:
                    fallback = ("on",)
                log.warning("LED %s: kernel offers no %r trigger; showing %s", led, kind, fallback)
                kind, setting = fallback[0], fallback
            if kind in ("on", "off"):
                _write(path / "trigger", "none")
                level = (_read(path / "max_brightness") or "1") if kind == "on" else "0"
                _write(path / "brightness", level)
            elif kind == "heartbeat":
                _write(path / "trigger", "heartbeat")
            else:  # timer: delay_on/delay_off exist only once the trigger is active
                if self._settings.get(led, ("",))[0] != "timer":   # else: only new delays
                    _write(path / "trigger", "timer")
                    _wait_for(path / "delay_on")
                _write(path / "delay_on", str(setting[1]))
                _write(path / "delay_off", str(setting[2]))
            self._settings[led] = wanted
            if self._errors.pop(led, None):
                log.info("LED %s works again", led)
        except OSError as exc:
            self._settings.pop(led, None)   # unknown state: write again next time
            self._triggers.pop(led, None)
            text = f"cannot set {setting}: {exc}"
            # once per new error: the watchdog calls show() every round
            log.log(logging.ERROR if self._errors.get(led) != text else logging.DEBUG,
                    "LED %s: %s", led, text)
            self._errors[led] = text


def _read(path: Path) -> str:
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def _write(path: Path, text: str) -> None:
    # no O_CREAT: sysfs attributes cannot be created, and a missing one is an error
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def _triggers(led: Path) -> set[str]:
    """The triggers the kernel offers ("[none] timer heartbeat" -> {none, timer, heartbeat})."""
    return {t.strip("[]") for t in _read(led / "trigger").split()}


def active_trigger(led: str | os.PathLike) -> str:
    """The active trigger of an LED directory (the bracketed one), "none" when unknown."""
    for t in _read(Path(led) / "trigger").split():
        if t.startswith("["):
            return t.strip("[]")
    return "none"


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + TRIGGER_WAIT_S
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
