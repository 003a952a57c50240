"""The IVR menu handler: play a menu's prompt, read one key, decide where the call goes.

The menu (prompt, keys, timeout, tries, fallback) comes from the database.  The decision is
returned to the dialplan as JNS_ACTION / JNS_TARGET; the key path is kept in JNS_IVR_PATH
(inherited by the queue call, for reports).  Every way out of a menu leads somewhere the
admin chose: a valid key, or the menu's fallback after max_tries timeouts / invalid keys.
"""
from __future__ import annotations

import logging

from ..store import config
from .agi import CallContext, FastAGI, handler

log = logging.getLogger(__name__)

INVALID_PROMPT = "pm-invalid-option"


@handler("ivr")
def ivr(agi: FastAGI, ctx: CallContext) -> None:
    name = ctx.args[0] if ctx.args else ctx.query.get("menu", "")
    with ctx.db_lock():
        menu = config.ivr_menu(ctx.db, name)
    if menu is None:
        log.error("IVR menu %r does not exist; the dialplan fallback takes the call", name)
        return
    path = agi.get_variable("JNS_IVR_PATH") or ""
    for _attempt in range(menu["max_tries"]):
        key = agi.get_data(menu["prompt"], menu["timeout_s"] * 1000, 1)
        if key in menu["options"]:
            action, target = menu["options"][key]
            _decide(agi, action, target, f"{path}{name}:{key}/")
            return
        if key:
            agi.stream_file(INVALID_PROMPT)
    _decide(agi, menu["fallback_action"], menu["fallback_target"], f"{path}{name}:-/")


def _decide(agi: FastAGI, action: str, target: str, path: str) -> None:
    agi.set_variable("__JNS_IVR_PATH", path)
    agi.set_variable("JNS_TARGET", target)
    agi.set_variable("JNS_ACTION", action)
