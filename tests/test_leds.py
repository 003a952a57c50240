"""LED patterns (HAL-1) against a sysfs-shaped tree that behaves like the kernel's LED class.

`FakeLedKernel` builds /sys/class/leds/<name>/{brightness,max_brightness,trigger} in tmp_path
and plays the kernel's part from a thread: the trigger file reads "[none] timer heartbeat"
with the active one in brackets; writing a trigger name activates it; the timer's
delay_on/delay_off files exist only while "timer" is active (so code that writes them
before the trigger fails, as on a real box); writing brightness 0 drops the trigger; an
unknown trigger is refused.  The code under test is appliance.hal.leds as the box runs it.
A last test drives real kernel LEDs through /dev/uleds where the machine has it.
"""
from __future__ import annotations

import logging
import os
import shutil
import struct
import threading
import time
from pathlib import Path

import pytest

from appliance.hal import leds
from appliance.hal.leds import Leds, most_serious


class FakeLedKernel:
    def __init__(self, root: Path, names: dict[str, int],
                 triggers: tuple[str, ...] = ("none", "timer", "heartbeat", "default-on")):
        self.root, self.triggers = root, triggers
        self.active: dict[str, str] = {}
        self.events: list[tuple[str, str, str]] = []   # (led, file, value) as the kernel saw them
        self.refused: list[tuple[str, str]] = []
        self._brightness: dict[str, str] = {}
        self._lock = threading.Lock()
        for name, max_brightness in names.items():
            d = root / name
            d.mkdir(parents=True)
            (d / "max_brightness").write_text(f"{max_brightness}\n")
            self._set_brightness(name, "0")
            self._set_trigger(name, "none")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    # what the kernel shows
    def _set_trigger(self, name: str, trigger: str, seen: str | None = None) -> None:
        """Show `trigger` as active.  `seen`: the trigger file as this round read it; if a
        new write has come since, it is left for the next round to handle (a kernel takes
        every write; overwriting the file here would lose it)."""
        self.active[name] = trigger
        listing = " ".join(f"[{t}]" if t == trigger else t for t in self.triggers)
        path = self.root / name / "trigger"
        if seen is None or path.read_text().strip() == seen:
            path.write_text(listing + "\n")
        for f in ("delay_off", "delay_on"):   # both exist once delay_on does
            path = self.root / name / f
            if trigger == "timer":
                if not path.exists():         # appear with the kernel's default blink
                    tmp = path.with_name(f".{f}")
                    tmp.write_text("500\n")
                    os.replace(tmp, path)
            elif path.exists():
                path.unlink()

    def _set_brightness(self, name: str, value: str) -> None:
        self._brightness[name] = value
        (self.root / name / "brightness").write_text(value + "\n")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except OSError:    # a file caught half-written: look again (a kernel never dies)
                pass
            time.sleep(0.002)

    def sync(self) -> None:
        """Handle every write made so far (the test calls it before looking)."""
        with self._lock:
            for name in list(self.active):
                d = self.root / name
                if not d.is_dir():
                    continue
                try:
                    raw = (d / "trigger").read_text().strip()
                    if "[" not in raw and raw:
                        self.events.append((name, "trigger", raw))
                        if raw in self.triggers:
                            self._set_trigger(name, raw, seen=raw)
                        else:
                            self.refused.append((name, raw))
                            self._set_trigger(name, self.active[name], seen=raw)
                    value = (d / "brightness").read_text().strip()
                    if value and value != self._brightness[name]:
                        self.events.append((name, "brightness", value))
                        self._brightness[name] = value
                        if value == "0" and self.active[name] != "none":
                            self._set_trigger(name, "none", seen=raw)
                except OSError:   # the test moved the LED away mid-write
                    continue

    def writes(self) -> dict[str, int]:
        """Every file's modification time: equal snapshots mean nothing was written."""
        self.sync()
        return {str(p): p.stat().st_mtime_ns for p in self.root.rglob("*") if p.is_file()}

    def state(self, name: str) -> dict:
        self.sync()
        d = self.root / name
        out = {"trigger": self.active[name], "brightness": int(self._brightness[name])}
        if self.active[name] == "timer":
            out["delay"] = (int((d / "delay_on").read_text()), int((d / "delay_off").read_text()))
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class Box(Leds):
    """appliance.hal.leds.Leds unchanged, on the fake tree.  A real kernel has handled a
    write when write() returns; the fake handles writes from its thread, so after each
    show() the test lets it catch up before the next one (else the fake could lose a write
    that a real kernel never would)."""

    def __init__(self, kernel: FakeLedKernel, **kw):
        super().__init__(kernel.root, **kw)
        self.kernel = kernel

    def show(self, states):
        shown = super().show(states)
        self.kernel.sync()
        return shown


@pytest.fixture
def kernel(tmp_path):
    k = FakeLedKernel(tmp_path / "leds", {"apu2:green:status": 255, "apu2:red:alarm": 1,
                                          "apu2:green:gsm": 1})
    yield k
    k.close()


STATUS, ALARM, GSM = "apu2:green:status", "apu2:red:alarm", "apu2:green:gsm"


def test_most_serious_state_wins():
    assert most_serious([]) == "ok"
    assert most_serious(["ok", "warning"]) == "warning"
    assert most_serious(["warning", "no_network", "ok"]) == "no_network"
    assert most_serious(["update", "no_network"]) == "update"
    assert most_serious(["warning", "fault", "update"]) == "fault"
    assert most_serious(["something-new"]) == "ok"
    assert set(leds.PATTERNS) == set(leds.PRIORITY)


def test_roles_found_by_led_names(kernel):
    assert Box(kernel).names == {"status": STATUS, "alarm": ALARM, "gsm": GSM}


def test_ok_is_steady_green_alarm_dark(kernel):
    box = Box(kernel)
    assert box.show(["ok"]) == "ok" and box.current() == "ok"
    assert kernel.state(STATUS) == {"trigger": "none", "brightness": 255}
    assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}
    assert kernel.state(GSM) == {"trigger": "none", "brightness": 1}


def test_warning_fault_and_back(kernel):
    box = Box(kernel)
    box.show(["ok"])
    assert box.show(["warning", "ok"]) == "warning"
    assert kernel.state(ALARM) == {"trigger": "timer", "brightness": 0, "delay": (1000, 1000)}
    assert box.show(["warning", "fault"]) == "fault"
    assert kernel.state(ALARM)["delay"] == (100, 100)
    assert kernel.state(STATUS) == {"trigger": "none", "brightness": 255}
    assert box.show([]) == "ok"
    assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}
    assert not (kernel.root / ALARM / "delay_on").exists()
    assert kernel.refused == []


def test_no_network_blinks_the_modem_led_unlike_warning(kernel):
    box = Box(kernel)
    box.show(["no_network", "warning"])
    gsm = kernel.state(GSM)
    assert gsm["trigger"] == "timer" and gsm["delay"] != (1000, 1000)
    assert kernel.state(ALARM)["trigger"] == "none"


def test_update_is_a_heartbeat_on_the_status_led(kernel):
    box = Box(kernel)
    box.show(["update", "warning", "no_network"])
    assert kernel.state(STATUS)["trigger"] == "heartbeat"
    assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}


def test_nothing_written_while_the_pattern_stays(kernel):
    box = Box(kernel)
    box.show(["warning"])
    before = kernel.writes()
    time.sleep(0.01)                      # so a rewrite would show in the mtime
    for _ in range(5):
        assert box.show(["warning", "ok"]) == "warning"
    assert kernel.writes() == before      # the blink is not restarted
    box.show(["fault"])
    after = kernel.writes()
    changed = {Path(p).parent.name for p in after if after[p] != before.get(p)}
    assert changed == {ALARM}             # only the LED whose setting changed


def test_single_led_box_shows_alarms_on_its_only_led(tmp_path):
    k = FakeLedKernel(tmp_path / "leds", {"board:green:status": 1})
    try:
        box = Box(k)
        box.show(["ok"])
        assert k.state("board:green:status") == {"trigger": "none", "brightness": 1}
        box.show(["warning"])
        assert k.state("board:green:status")["delay"] == (1000, 1000)
        box.show(["no_network"])
        assert k.state("board:green:status")["delay"] == (150, 850)
    finally:
        k.close()


def test_two_led_box_keeps_the_alarm_led_dark_when_all_is_well(tmp_path):
    # no modem LED: its steady "modem fine" must not light the red alarm LED; its blink must
    k = FakeLedKernel(tmp_path / "leds", {"board:green:status": 1, "board:red:alarm": 1})
    try:
        box = Box(k)
        box.show(["ok"])
        assert k.state("board:red:alarm") == {"trigger": "none", "brightness": 0}
        assert k.state("board:green:status") == {"trigger": "none", "brightness": 1}
        box.show(["no_network"])
        assert k.state("board:red:alarm")["delay"] == (150, 850)
        box.show(["ok"])
        assert k.state("board:red:alarm") == {"trigger": "none", "brightness": 0}
    finally:
        k.close()


def test_missing_timer_trigger_falls_back_to_steady_light(tmp_path, caplog):
    k = FakeLedKernel(tmp_path / "leds", {"red:alarm": 1, "green:status": 1},
                      triggers=("none", "default-on"))
    try:
        box = Box(k)
        with caplog.at_level(logging.WARNING):
            assert box.show(["fault"]) == "fault"
        assert k.state("red:alarm") == {"trigger": "none", "brightness": 1}
        box.show(["update"])   # no heartbeat, no timer: steady
        assert k.state("green:status") == {"trigger": "none", "brightness": 1}
        assert "no 'timer' trigger" in caplog.text
        assert k.refused == []
    finally:
        k.close()


def test_no_leds_at_all_is_harmless(tmp_path):
    box = Leds(tmp_path / "does-not-exist")
    assert box.names == {}
    assert box.show(["fault"]) == "fault"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert Leds(empty).show(["warning"]) == "warning"


def test_led_gone_is_logged_not_raised_and_written_when_back(kernel, caplog):
    box = Box(kernel)
    box.show(["ok"])
    kernel.sync()
    saved = kernel.root.parent / "saved"
    shutil.move(kernel.root / ALARM, saved)
    with caplog.at_level(logging.ERROR):
        assert box.show(["fault"]) == "fault"
        assert box.show(["fault"]) == "fault"
    assert caplog.text.count(f"LED {ALARM}: cannot set") == 1    # logged once, not every round
    assert kernel.state(STATUS) == {"trigger": "none", "brightness": 255}
    shutil.move(saved, kernel.root / ALARM)
    box.show(["fault"])                   # same pattern: the LED that missed it gets it now
    assert kernel.state(ALARM)["delay"] == (100, 100)


def test_explicit_names_override_discovery(kernel):
    box = Box(kernel, names={"alarm": STATUS})
    box.show(["fault"])
    assert kernel.state(STATUS)["delay"] == (100, 100)
    assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}


# -- the kernel's own virtual LEDs ---------------------------------------------------------

def test_real_kernel_uleds(tmp_path):
    """uleds makes a real LED class device; brightness the kernel computes is read back."""
    if not os.path.exists("/dev/uleds"):
        pytest.skip("/dev/uleds is missing on this machine (kernel built without "
                    "CONFIG_LEDS_USER or the uleds module is not loaded)")
    name = f"jnstest:red:alarm{os.getpid()}"
    fd = os.open("/dev/uleds", os.O_RDWR)
    try:
        os.write(fd, struct.pack("64si", name.encode(), 1))   # struct uleds_user_dev
        sysfs = Path("/sys/class/leds")
        deadline = time.monotonic() + 5
        while not (sysfs / name).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        box = Leds(sysfs, names={"alarm": name})
        box.show(["ok"])
        assert leds.active_trigger(sysfs / name) == "none"
        box.show(["fault"])
        assert leds.active_trigger(sysfs / name) == "timer"
        assert (sysfs / name / "delay_on").read_text().strip() == "100"
    finally:
        os.close(fd)
