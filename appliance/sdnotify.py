"""sd_notify for our systemd services (READY=1, WATCHDOG=1, STATUS=...), standard library only.

A no-op when NOTIFY_SOCKET is not set (tests, `make run`), so services call it freely.
"""
from __future__ import annotations

import os
import socket


def notify(*states: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall("\n".join(states).encode())
    return True


def watchdog_interval() -> float | None:
    """Half of WatchdogSec= in seconds, or None when systemd set no watchdog."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2_000_000 if usec and usec.isdigit() else None
