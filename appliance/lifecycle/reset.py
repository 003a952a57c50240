"""Factory reset from the panel: the same flag file the serial console writes
(appliance.console.system.System.factory_reset), then a reboot; `appliance.box prepare`
wipes /data/jns at the next boot before any service starts, and only then removes the
flag, so a power cut during the wipe repeats it."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..atomic import atomic_write
from .update import reboot


def flag_path() -> Path:
    return Path(os.environ.get("JNS_FACTORY_RESET_FLAG",
                               str(Path(os.environ.get("JNS_DATA", "/data/jns")).parent
                                   / "factory-reset")))


def request_factory_reset(reason: str, reboot_after_s: float = 2.0) -> Path:
    flag = flag_path()
    text = f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} {' '.join(reason.split())[:200]}\n"
    atomic_write(flag, text.encode(), 0o600)
    os.sync()
    reboot(reboot_after_s)     # a moment later, so the panel's answer reaches the browser
    return flag
