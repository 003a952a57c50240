"""The inbound call flow's decisions, made per call over FastAGI from the database.

- `route`: before the call is answered.  Blacklist first (the call is rejected and logged),
  then the caller rules (known numbers and prefixes: language, VIP, their own
  destination), then the dialled number's route with its opening hours, and the recording
  policy.  Results go to the dialplan as channel variables.
- `ivr`: one menu: play its prompt in the caller's language, read a key, decide.  The
  operator key works in every menu; language and PIN keys act and stay in the IVR.
- `recorded`: a hangup handler puts the call's recording into the index.

A decision is returned as JNS_ACTION / JNS_TARGET (see render.py's jns-route).  The key
path is kept in JNS_IVR_PATH (inherited by the queue call, for reports).  Every way out of
a menu leads somewhere the admin chose: a key, the timeout / invalid-key destination, or
the menu's fallback after max_tries.  When this server cannot be reached the dialplan's
rendered fallbacks take the call, so no caller is left unanswered.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import threading
import time

from ..store import config
from ..store.db import transaction
from .agi import CallContext, FastAGI, handler

log = logging.getLogger(__name__)

INVALID_PROMPT = "pm-invalid-option"
PIN_PROMPT = "vm-password"
PIN_WRONG_PROMPT = "vm-incorrect"
RECORDED_BYTES_PER_S = 16000   # 8 kHz 16-bit mono wav from MixMonitor
WAV_HEADER = 44
REMEASURE_AFTER_S = 3.0


@dataclasses.dataclass
class RouteDecision:
    """What the route service says about one inbound call before it is answered."""
    blocked: dict | None = None          # the blacklist entry that refuses the call
    destination: tuple[str, str] | None = None   # None: the dialplan's rendered route
    lang: str = "pl"
    record: bool = False
    rule: dict | None = None             # the caller rule that matched


def decide_route(db, caller: str, did: str, now: datetime.datetime) -> RouteDecision:
    """Blacklist first; then the caller's own rule; then the dialled number's route, or
    its closed destination outside opening hours; language and recording by policy."""
    blocked = config.blacklist_match(db, caller) if caller else None
    if blocked:
        return RouteDecision(blocked=blocked)
    cfg = config.settings(db)
    route_row = next(iter(db.query("SELECT * FROM inbound_routes WHERE did = ?", [did])), None)
    rule = config.caller_rule_for(db, caller, did) if caller else None
    destination = None
    if rule and rule["action"]:
        destination = (rule["action"], rule["target"])
    elif route_row:
        destination = (route_row["action"], route_row["target"])
        if route_row["schedule_id"] and not config.is_open(db, route_row["schedule_id"], now):
            destination = (route_row["closed_action"], route_row["closed_target"])
    lang = ((rule or {}).get("lang") or (route_row or {}).get("lang") or cfg["default_lang"])
    mode = cfg["rec_mode"]
    record = mode in ("all", "inbound") or (mode == "list" and (
        config.record_numbers_match(cfg, caller) or config.record_numbers_match(cfg, did)))
    return RouteDecision(destination=destination, lang=lang, record=record, rule=rule)


@handler("route")
def route(agi: FastAGI, ctx: CallContext) -> None:
    did = agi.env.get("agi_extension", "")
    caller = agi.env.get("agi_callerid", "")
    caller = "" if caller == "unknown" else caller
    with ctx.db_lock():
        d = decide_route(ctx.db, caller, did, datetime.datetime.now())
        if d.blocked:
            config.log_blocked_call(ctx.db, agi.env.get("agi_uniqueid", ""), caller, did,
                                    d.blocked["id"])
    if d.blocked:
        log.info("blocked call from %s to %s (rule %s)", caller, did, d.blocked["pattern"])
        agi.set_variable("JNS_ACTION", "blocked")
        return
    agi.set_variable("CHANNEL(language)", d.lang)
    agi.set_variable("__JNS_LANG", d.lang)
    if d.record:
        agi.set_variable("__JNS_RECORD", "1")
    if d.rule:
        if d.rule["vip"]:
            agi.set_variable("__JNS_VIP", "1")
        if d.rule["match"] == "exact":
            agi.set_variable("__JNS_VERIFIED", "number")
        if d.rule["name"]:
            agi.set_variable("CALLERID(name)", d.rule["name"])
    if d.destination:
        _decide(agi, *d.destination, path=None)


@handler("ivr")
def ivr(agi: FastAGI, ctx: CallContext) -> None:
    name = ctx.args[0] if ctx.args else ctx.query.get("menu", "")
    with ctx.db_lock():
        menu = config.ivr_menu(ctx.db, name)
        cfg = config.settings(ctx.db)
    if menu is None:
        log.error("IVR menu %r does not exist; the dialplan fallback takes the call", name)
        return
    # one round trip for both (each AGI command is one)
    path, _, lang = (agi.get_full_variable("${JNS_IVR_PATH}|${JNS_LANG}") or "|").partition("|")
    lang = lang or cfg["default_lang"]
    tries = 0
    while tries < menu["max_tries"]:
        with ctx.db_lock():
            prompt = _prompt(ctx, menu["prompt"], lang)
        key = agi.get_data(prompt, menu["timeout_s"] * 1000, 1)
        if key in menu["options"]:
            action, target = menu["options"][key]
        elif key and key == cfg["operator_key"]:
            action, target = "operator", ""
        elif not key and menu["timeout_action"]:
            action, target, key = menu["timeout_action"], menu["timeout_target"], "t"
        elif key and menu["invalid_action"]:
            action, target = menu["invalid_action"], menu["invalid_target"]
        else:
            tries += 1
            if key:
                agi.stream_file(INVALID_PROMPT)
            continue
        path += f"{name}:{key}/"
        if action == "language":
            lang = target
            agi.set_variable("CHANNEL(language)", lang)
            agi.set_variable("__JNS_LANG", lang)
            continue                      # the same menu again, in the chosen language
        if action == "pin":
            if _verify_pin(agi, ctx, cfg):
                _decide(agi, "menu", target, path)
            else:
                _decide(agi, menu["fallback_action"], menu["fallback_target"], path + "pin-failed/")
            return
        _decide(agi, action, target, path)
        return
    _decide(agi, menu["fallback_action"], menu["fallback_target"], f"{path}{name}:-/")


def _prompt(ctx: CallContext, name: str, lang: str) -> str:
    """What to play for a prompt name: our prompt file in the caller's language (else in
    another language we have), or an Asterisk sound of that name."""
    langs = config.prompt_langs(ctx.db, name)
    if not langs:
        return name
    chosen = lang if lang in langs else langs[0]
    return f"{ctx.services.asterisk_root}/prompts/{chosen}/{name}"


def _verify_pin(agi: FastAGI, ctx: CallContext, cfg: dict) -> bool:
    """The caller types the PIN of their number's caller rule; a few wrong PINs lock the
    number out for a while (counted across calls), so PINs cannot be guessed by redialling."""
    caller = agi.env.get("agi_callerid", "")
    did = agi.env.get("agi_extension", "")
    max_tries = int(cfg["pin_max_tries"])
    window = int(cfg["pin_lockout_minutes"]) * 60
    for _ in range(max_tries):
        with ctx.db_lock():
            failures = ctx.db.execute("SELECT count(*) FROM pin_failures WHERE caller = ? AND at > ?",
                                      [caller, time.time() - window]).fetchone()[0]
            rule = config.caller_rule_for(ctx.db, caller, did)
        if failures >= max_tries:
            log.warning("PIN check for %s refused: locked out after %d failures", caller, failures)
            return False
        pin = agi.get_data(PIN_PROMPT, 6000, 12)
        if rule and rule["pin_hash"] and pin and config.check_pin(rule["pin_hash"], pin):
            agi.set_variable("__JNS_VERIFIED", "pin")
            return True
        with ctx.db_lock(), transaction(ctx.db):
            ctx.db.execute("INSERT INTO pin_failures(caller, at) VALUES (?, ?)", [caller, time.time()])
        agi.stream_file(PIN_WRONG_PROMPT)
    return False


def _decide(agi: FastAGI, action: str, target: str, path: str | None) -> None:
    if path is not None:
        agi.set_variable("__JNS_IVR_PATH", path)
    agi.set_variable("JNS_TARGET", target)
    agi.set_variable("JNS_ACTION", action)


@handler("recorded")
def recorded(agi: FastAGI, ctx: CallContext) -> None:
    """Index the recording of a call that just ended (runs in its hangup handler, on a
    channel that is already gone: reading variables still works)."""
    agi.allow_dead = True
    rel = agi.get_variable("JNS_REC")
    monitor = os.path.join(ctx.services.host_root, "spool", "monitor")
    if not rel:
        rel = agi.get_variable("JNS_ODREC")     # recorded on demand, if the agent asked
        if not rel or not os.path.exists(os.path.join(monitor, rel)):
            return
    try:
        size = os.path.getsize(os.path.join(monitor, rel))
    except OSError:
        size = WAV_HEADER
    start = agi.get_variable("CDR(start,u)")
    member = agi.get_variable("MEMBERINTERFACE") or ""
    row = {
        "uniqueid": agi.env.get("agi_uniqueid", ""), "path": rel,
        "started_at": float(start) if start else time.time(),
        "direction": agi.get_variable("JNS_DIRECTION") or "in",
        "caller": agi.env.get("agi_callerid", ""), "called": agi.get_variable("JNS_DID") or "",
        "queue": agi.get_variable("JNS_QUEUE") or "",
        "agent": member.rpartition("/")[2],
        "seconds": round(max(0, size - WAV_HEADER) / RECORDED_BYTES_PER_S, 1),
    }
    if row["direction"] not in ("in", "out", "internal"):
        row["direction"] = "in"
    # a campaign call the agent asked for (appliance.campaigns.dialer) names its agent; a
    # campaign call the dialer placed reached the agent through the queue (MEMBERINTERFACE);
    # any other outbound call was placed by the agent: their extension is the caller
    agent = agi.get_variable("JNS_AGENT") or ""
    if agent:
        row["agent"] = agent
    elif row["direction"] == "out" and not row["agent"]:
        row["agent"] = row["caller"]
    with ctx.db_lock():
        rec_id = config.index_recording(ctx.db, **row)
    # MixMonitor is still writing while hangup handlers run: measure again once it is done
    timer = threading.Timer(REMEASURE_AFTER_S, _remeasure,
                            args=(ctx, rec_id, os.path.join(monitor, rel)))
    timer.daemon = True
    timer.start()


def _remeasure(ctx: CallContext, rec_id: int, path: str) -> None:
    try:
        seconds = round(max(0, os.path.getsize(path) - WAV_HEADER) / RECORDED_BYTES_PER_S, 1)
    except OSError:
        return
    with ctx.db_lock(), transaction(ctx.db):
        ctx.db.execute("UPDATE recordings SET seconds = ? WHERE id = ?", [seconds, rec_id])


PROMPT_RECORD_MAX_MS = 30 * 60 * 1000   # half an hour: "no length limit" for a prompt


@handler("record-prompt")
def record_prompt(agi: FastAGI, ctx: CallContext) -> None:
    """*77<number> from an agent phone: records prompt "phone<number>" in the caller's
    language until # is pressed.  Only the phone of a user who may manage prompts (admin or
    supervisor, linked to that extension) may; the endpoint name is Asterisk's, not a
    caller ID the phone could choose."""
    number = ctx.args[0] if ctx.args else ""
    endpoint = agi.get_variable("CHANNEL(endpoint)") or ""
    with ctx.db_lock():
        allowed = ctx.db.execute(
            "SELECT 1 FROM users u JOIN agents a ON a.id = u.agent_id "
            "WHERE a.extension = ? AND u.role IN ('admin', 'supervisor')", [endpoint]).fetchone()
        default_lang = config.settings(ctx.db)["default_lang"]
    # the box's main language (an agent's phone has no caller language of its own)
    lang = agi.get_variable("JNS_LANG") or default_lang
    if not number.isdigit() or not allowed:
        log.warning("prompt recording refused for endpoint %r (number %r)", endpoint, number)
        agi.stream_file("ss-noservice" if not allowed else INVALID_PROMPT)
        return
    if lang not in config.LANGS:
        lang = default_lang
    name = f"phone{number}"
    rel = f"spool/prompt-rec/{name}-{agi.env.get('agi_uniqueid', '0')}"
    agi.record_file(f"{ctx.services.asterisk_root}/{rel}", "wav", "#", PROMPT_RECORD_MAX_MS)
    recorded = os.path.join(ctx.services.host_root, rel + ".wav")
    from . import sounds           # sox is needed only here
    try:
        with ctx.db_lock():
            seconds = sounds.store_prompt(ctx.db, os.path.join(ctx.services.host_root, "prompts"),
                                          name, lang, upload=recorded, source="phone")
    except (sounds.SoundError, OSError) as exc:
        log.error("prompt %s from %s not saved: %s", name, endpoint, exc)
        agi.stream_file("beeperr")
        return
    finally:
        if os.path.exists(recorded):
            os.unlink(recorded)
    log.info("prompt %s (%s, %.1f s) recorded from phone %s", name, lang, seconds, endpoint)
    agi.stream_file("vm-msgsaved")
