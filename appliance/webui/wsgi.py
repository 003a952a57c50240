"""WSGI entry point for the box: `gunicorn appliance.webui.wsgi:app`.

Environment: JNS_DB (path of the box's SQLite database, required); JNS_WEB_SECURE_COOKIE=1
when the panel is served over HTTPS (marks the session cookie Secure); JNS_ASTERISK_DIR
(the box's Asterisk data folder: prompts in <dir>/prompts, hold music in <dir>/moh,
recordings in <dir>/spool/monitor; without it those pages say they are unavailable).

Threads are fine (gunicorn --threads N): each thread gets its own database connection
(store.db.PerThread).  Avoid --preload: the AMI client's thread must start in the worker.
This module holds no logic of its own.
"""
from __future__ import annotations

import os

from . import create_app


def _status_provider():
    """The AMI status provider from appliance.telephony, or None if that is not there yet."""
    try:
        from appliance.telephony.status import status_provider_from_env
    except ImportError:
        return None
    return status_provider_from_env()


def _config() -> dict:
    config = {"SESSION_COOKIE_SECURE": os.environ.get("JNS_WEB_SECURE_COOKIE") == "1"}
    asterisk_dir = os.environ.get("JNS_ASTERISK_DIR")
    if asterisk_dir:
        config.update(PROMPTS_DIR=os.path.join(asterisk_dir, "prompts"),
                      MOH_DIR=os.path.join(asterisk_dir, "moh"),
                      RECORDINGS_DIR=os.path.join(asterisk_dir, "spool", "monitor"))
    return config


app = create_app(os.environ["JNS_DB"], status_provider=_status_provider(), config=_config())
