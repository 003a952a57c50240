"""What the dashboard shows about Asterisk, read live over AMI.

`asterisk_status()` asks Asterisk (CoreSettings, CoreStatus, CoreShowChannels,
QueueSummary) and returns plain data; the web panel only renders it.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from typing import Callable

from .ami import AMIClient


def asterisk_status(ami: AMIClient, timeout: float = 5.0) -> dict:
    settings = ami.action("CoreSettings", timeout=timeout)
    core = ami.action("CoreStatus", timeout=timeout)
    _, channels = ami.action_list("CoreShowChannels", "CoreShowChannelsComplete", timeout=timeout)
    _, summary = ami.action_list("QueueSummary", "QueueSummaryComplete", timeout=timeout)
    startup = _epoch(core.get("CoreStartupDate", ""), core.get("CoreStartupTime", ""))
    return {
        "version": settings.get("AsteriskVersion", "?"),
        "startup": startup,
        "uptime_s": int(time.time() - startup) if startup else None,
        "active_channels": len(channels),
        "active_calls": int(core.get("CoreCurrentCalls", "0") or 0),
        "queues": [{
            "name": q.get("Queue", ""),
            "logged_in": int(q.get("LoggedIn", 0)),
            "available": int(q.get("Available", 0)),
            "callers": int(q.get("Callers", 0)),
            "hold_time": int(q.get("HoldTime", 0)),
            "talk_time": int(q.get("TalkTime", 0)),
            "longest_hold_s": int(q.get("LongestHoldTime", 0)),
        } for q in summary],
    }


def _epoch(date: str, clock: str) -> float | None:
    """CoreStartupDate/Time are Asterisk's local time."""
    try:
        return dt.datetime.strptime(f"{date} {clock}", "%Y-%m-%d %H:%M:%S").timestamp()
    except ValueError:
        return None


def status_provider_from_env() -> Callable[[], dict] | None:
    """The panel's status provider: AMI address from JNS_AMI_* (set by make run), the
    secret from JNS_AMI_SECRET or else from the box's database (JNS_DB), where
    `appliance.box prepare` generated it."""
    secret = os.environ.get("JNS_AMI_SECRET")
    if not secret and os.environ.get("JNS_DB"):
        from ..store import db as store
        secret = store.get_setting(store.open_db(os.environ["JNS_DB"]), "ami_secret")
    if not secret:
        return None
    ami = AMIClient(os.environ.get("JNS_AMI_HOST", "127.0.0.1"), int(os.environ.get("JNS_AMI_PORT", 5038)),
                    os.environ.get("JNS_AMI_USER", "jns"), secret, name="web")
    ami.start()
    return lambda: asterisk_status(ami)
