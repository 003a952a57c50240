"""The hardware snapshot the panel and the console show: sensors, LED pattern, DAHDI spans.

Reading I2C buses and running dahdi_scan needs root; the web panel runs unprivileged.  So
the service that owns the hardware (jns-watchdog on the box) calls `collect()` on each round
and `write()`s the result as JSON (atomically, to /run/jns/hardware.json); the panel and the
console only `read()` it.  A missing or stale file is shown as "no data", never guessed.
This module never changes hardware state.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Any, Callable

from ..atomic import atomic_write
from . import dahdi, sensors

DEFAULT_PATH = "/run/jns/hardware.json"   # JNS_HARDWARE_STATUS overrides it
STALE_S = 300     # older than this: the collecting service has stopped


def collect(*, leds: str = "", read_sensors: Callable[[], list] = sensors.read_all,
            scan_dahdi: Callable[[], list] = dahdi.scan) -> dict[str, Any]:
    """One snapshot: {"at", "leds", "sensors": [Reading as dict], "dahdi": [Span as dict]}."""
    return {"at": time.time(), "leds": leds,
            "sensors": [dataclasses.asdict(r) for r in read_sensors()],
            "dahdi": [dataclasses.asdict(s) for s in scan_dahdi()]}


def write(status: dict[str, Any], path: str | os.PathLike | None = None) -> None:
    atomic_write(path or default_path(), json.dumps(status, ensure_ascii=False).encode())


def default_path() -> str:
    return os.environ.get("JNS_HARDWARE_STATUS") or DEFAULT_PATH


def read(path: str | os.PathLike | None = None, *, max_age: float = STALE_S) -> dict | None:
    """The last snapshot (from `path`, else default_path()), or None when there is none or
    it is older than `max_age` s."""
    path = path or default_path()
    try:
        with open(path, encoding="utf-8") as fh:
            status = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or time.time() - float(status.get("at", 0)) > max_age:
        return None
    return status
