"""Render Asterisk's configuration from the database snapshot.

`render_files()` is a pure function: snapshot + layout -> {file name: text}.  `install()`
writes a complete new generation directory and swaps the `current` symlink with one
rename, so Asterisk never reads a mix of old and new files (a power cut leaves either).
Asterisk's own directory points at that symlink; nobody edits the files by hand.

Dialplan contract with the FastAGI IVR (appliance.telephony.agi): the IVR sets JNS_ACTION
(queue | extension | menu | hangup) and JNS_TARGET; the dialplan routes on them and falls
back to the menu's fallback destination when the AGI server cannot be reached.

Contract with the call actions (appliance.telephony.actions): click to call originates the
agent's phone into `jns-agent-call` (JNS_AGENT_CID restores the agent's own caller ID);
operator conferences are ConfBridge rooms `op-<n>` in `jns-conference`; the operator parks
a call by sending it to `jns-park,<space>`; parked calls wait on spaces PARK_FIRST..PARK_LAST
(res_parking, context `parkedcalls`) and come back to the operator destination when nobody
picks them up.  A caller the operator takes out of a queue (QueueWithdrawCaller, so
queue_log says WITHDRAW, not ABANDON) goes on to "context,exten,1" from its withdraw info.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from . import callbacks, conference_calls, conferences, skills, webrtc

# Call parking (res_parking): the operator parks a caller on a space, anyone dials it to
# pick the call up; after PARK_TIMEOUT_S the caller comes back to the operator destination.
PARK_EXTEN = "700"
PARK_FIRST, PARK_LAST = 701, 720
PARK_TIMEOUT_S = 120

# Modules the call center uses.  autoload=no keeps RSS and start-up small on the box and
# keeps the log free of complaints from modules nobody configured.
MODULES = """
res_sorcery_config res_sorcery_memory res_sorcery_astdb res_sorcery_memory_cache
res_pjproject res_pjsip res_pjsip_session res_pjsip_authenticator_digest
res_pjsip_outbound_authenticator_digest res_pjsip_endpoint_identifier_ip
res_pjsip_endpoint_identifier_user res_pjsip_registrar res_pjsip_outbound_registration
res_pjsip_sdp_rtp res_pjsip_dtmf_info res_pjsip_caller_id res_pjsip_nat res_pjsip_rfc3326
res_pjsip_diversion res_pjsip_refer res_pjsip_header_funcs res_pjsip_acl
res_pjsip_pubsub res_pjsip_outbound_publish res_pjsip_exten_state res_pjsip_dialog_info_body_generator
res_pjsip_pidf_body_generator res_pjsip_xpidf_body_generator res_pjsip_pidf_digium_body_supplement
res_pjsip_pidf_eyebeam_body_supplement res_pjsip_transport_websocket res_http_websocket
res_pjsip_logger res_pjsip_send_to_voicemail res_pjsip_empty_info
res_rtp_asterisk res_agi res_musiconhold res_timing_timerfd res_speech res_stasis
res_format_attr_opus chan_pjsip chan_bridge_media res_srtp codec_opus_open_source
codec_ulaw codec_alaw codec_gsm codec_a_mu codec_resample
format_gsm format_wav format_wav_gsm format_pcm format_sln
app_dial app_queue app_mixmonitor app_playback app_read app_confbridge app_chanspy app_stack
app_verbose app_echo app_senddtmf app_exec app_record app_transfer app_originate res_parking
app_voicemail app_playtones app_waituntil app_dtmfstore app_system app_chanisavail app_userevent app_amd
bridge_simple bridge_native_rtp bridge_softmix bridge_holding bridge_builtin_features
bridge_builtin_interval_features
pbx_config func_strings func_logic func_callerid func_cdr func_channel func_global func_math
func_timeout func_db func_env func_uri func_volume func_talkdetect func_sprintf func_rand
func_groupcount func_cut func_periodic_hook func_dialplan func_base64
cdr_csv res_clioriginate res_convert res_mutestream res_limit
""".split()


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where Asterisk finds things and which addresses it uses.

    Paths are as Asterisk sees them (inside its chroot in tests, the real ones on the box).
    """
    root: str = "/var/lib/jns/asterisk"       # etc/, log/, spool/, lib/, run/ live here
    sip_bind: str = "0.0.0.0"
    sip_port: int = 5060
    ami_port: int = 5038
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    rtp_start: int = 10000
    rtp_end: int = 20000
    media_address: str | None = None          # e.g. 127.0.0.1 in tests
    ami_user: str = "jns"
    ami_secret: str = ""                      # generated on the box, never a default
    sounds_dir: str = "/usr/share/asterisk"
    modules_dir: str = "/usr/lib/x86_64-linux-gnu/asterisk/modules"
    trusted_carrier_hosts: tuple[str, ...] = ()  # extra IPs treated as a carrier (demo/tests)
    calld_port: int = 5040                    # jns-calld's local HTTP API (127.0.0.1)
    http_port: int | None = None              # SIP WebSocket (ws) on 127.0.0.1; None = off
    https_port: int | None = None             # SIP WebSocket over TLS (wss) on sip_bind
    https_cert: str | None = None             # the panel's certificate, readable by Asterisk
    https_key: str | None = None

    @property
    def etc(self) -> str:
        return f"{self.root}/etc/current"


def _ini(sections: list[tuple[str, list[tuple[str, object]]]]) -> str:
    out = []
    for name, items in sections:
        out.append(f"[{name}]")
        out.extend(f"{k} = {v}" for k, v in items if v is not None)
        out.append("")
    return "\n".join(out)


def _asterisk_conf(lay: Layout) -> str:
    return _ini([
        ("directories", [
            ("astetcdir", lay.etc), ("astmoddir", lay.modules_dir),
            ("astvarlibdir", "/var/lib/asterisk"), ("astdbdir", f"{lay.root}/lib"),
            ("astkeydir", f"{lay.root}/lib"), ("astdatadir", lay.sounds_dir),
            ("astagidir", "/usr/share/asterisk/agi-bin"), ("astspooldir", f"{lay.root}/spool"),
            ("astrundir", f"{lay.root}/run"), ("astlogdir", f"{lay.root}/log"),
            ("astsbindir", "/usr/sbin")]),
        ("options", [("verbose", 1), ("maxload", 0), ("cache_record_files", "no"),
                     ("transmit_silence", "yes"), ("hideconnect", "yes")]),
    ])


def _modules_conf() -> str:
    lines = ["[modules]", "autoload = no"]
    lines += [f"load => {m}.so" for m in MODULES]
    return "\n".join(lines) + "\n"


def _logger_conf() -> str:
    return _ini([
        ("general", [("queue_log", "yes"), ("queue_log_to_file", "yes"),
                     ("queue_log_name", "queue_log"), ("dateformat", "%F %T.%3q")]),
        ("logfiles", [("messages.log", "notice,warning,error"), ("console", "notice,warning,error")]),
    ])


def _manager_conf(lay: Layout) -> str:
    return _ini([
        ("general", [("enabled", "yes"), ("port", lay.ami_port), ("bindaddr", "127.0.0.1"),
                     ("displayconnects", "no"), ("authlimit", 3), ("authtimeout", 10)]),
        (lay.ami_user, [("secret", lay.ami_secret), ("deny", "0.0.0.0/0.0.0.0"),
                        ("permit", "127.0.0.1/255.255.255.255"),
                        ("read", "system,call,agent,user,config,dtmf,reporting,cdr,dialplan,agi,"
                                 "security"),
                        ("write", "system,call,agent,user,config,command,reporting,originate")]),
    ])


def _pjsip_conf(snap: dict, lay: Layout) -> str:
    media = [("media_address", lay.media_address),
             ("bind_rtp_to_media_address", "yes" if lay.media_address else None)]
    common = [("disallow", "all"), ("allow", "alaw,ulaw,gsm"), ("direct_media", "no"),
              ("rtp_symmetric", "yes"), ("force_rport", "yes"), ("rewrite_contact", "yes"),
              ("transport", "udp")] + media
    sections: list[tuple[str, list]] = [
        ("global", [("type", "global"), ("user_agent", "JNS Call Center"),
                    # agents are recognised by name first, so a phone on the carrier's
                    # address still logs in as itself; unknown callers then match by IP
                    ("endpoint_identifier_order", "username,ip")]),
        ("udp", [("type", "transport"), ("protocol", "udp"),
                 ("bind", f"{lay.sip_bind}:{lay.sip_port}")]),
    ] + webrtc.transports(lay)
    for a in snap["agents"]:
        ext = a["extension"]
        browser = a.get("phone") == "webrtc" and webrtc.enabled(lay)   # the panel's softphone
        sections += [
            (ext, [("type", "endpoint"), ("context", "from-internal"), ("auth", f"{ext}-auth"),
                   ("aors", ext), ("callerid", f'"{a["name"]}" <{ext}>'),
                   ("dtmf_mode", "rfc4733" if browser else a["dtmf_mode"])]
             + (webrtc.endpoint_options(common) if browser else common)),
            (f"{ext}-auth", [("type", "auth"), ("auth_type", "userpass"), ("username", ext),
                             ("password", a["secret"])]),
            (ext, [("type", "aor")] + (webrtc.aor_options() if browser else [
                ("max_contacts", 2), ("remove_existing", "yes"), ("contact", a["contact"]),
                ("qualify_frequency", 0)])),
        ]
    carriers = [(t["name"], t["host"], t["port"], t["username"], t["secret"]) for t in snap["trunks"]]
    carriers += [(f"carrier-{i}", h, 5060, None, None) for i, h in enumerate(lay.trusted_carrier_hosts)]
    for name, host, port, user, secret in carriers:
        ep = [("type", "endpoint"), ("context", "from-trunk"), ("aors", name),
              ("dtmf_mode", "auto")] + common
        if user:
            ep.append(("outbound_auth", f"{name}-auth"))
        sections += [(name, ep),
                     (name, [("type", "aor"), ("contact", f"sip:{host}:{port}")]),
                     (f"{name}-identify", [("type", "identify"), ("endpoint", name), ("match", host)])]
        if user:
            sections += [
                (f"{name}-auth", [("type", "auth"), ("auth_type", "userpass"), ("username", user),
                                  ("password", secret)]),
                (f"{name}-reg", [("type", "registration"), ("outbound_auth", f"{name}-auth"),
                                 ("server_uri", f"sip:{host}:{port}"),
                                 ("client_uri", f"sip:{user}@{host}:{port}"), ("retry_interval", 60)]),
            ]
    blocked = snap.get("blocked_sources") or []
    if blocked:   # res_pjsip_acl refuses every SIP request from these (watchdog blocks)
        sections.append(("blocked-sources", [("type", "acl")] + [("deny", a) for a in blocked]))
    return _ini(sections)


def _destination(action: str, target: str, snap: dict | None = None) -> str:
    """Dialplan Goto() argument for a destination decided when rendering (fallbacks used
    when the FastAGI server cannot be reached, closed hours, queue overflow)."""
    if action == "operator" and snap is not None:
        cfg = snap["settings"]
        target = cfg["operator_target"] or (snap["queues"][0]["name"] if snap["queues"] else "")
        return _destination(cfg["operator_action"], target) if target else "jns-hangup,s,1"
    if action in ("hangup", "operator") or not target:
        return "jns-hangup,s,1"
    if action in ("menu", "pin"):
        return f"jns-ivr,{target},1"
    if action == "external":
        return f"jns-outbound,{target},1"
    if action == "language":
        return "jns-hangup,s,1"
    if action == "conference":
        return f"jns-confroom,{target},1"
    return f"jns-{action},{target},1"


def _agi(lay: Layout, script: str, *args: str) -> str:
    return f"AGI(agi://{lay.agi_host}:{lay.agi_port}/{script}" + "".join(f",{a}" for a in args) + ")"


def _extensions_conf(snap: dict, lay: Layout) -> str:
    cfg = snap["settings"]
    default = _default_destination(snap)
    out = [
        "[general]", "static = yes", "writeprotect = yes", "clearglobalvars = yes", "",
        "[globals]", "",
        "; calls from carriers enter by the dialled number (DID)",
        "[from-trunk]",
        "exten => _[+0-9]!,1,Goto(jns-inbound,${EXTEN},1)",
        "exten => s,1,Goto(jns-inbound,s,1)", "",
        "; agents' phones: other agents by extension, outside numbers through the trunk,",
        "; and the DIDs for testing the IVR",
        "[from-internal]",
    ]
    out += [f"exten => {a['extension']},1,Goto(jns-extension,{a['extension']},1)" for a in snap["agents"]]
    if snap["trunks"]:
        out += ["exten => _00X.,1,Goto(jns-outbound,${EXTEN:2},1)",
                "exten => _+X.,1,Goto(jns-outbound,${EXTEN},1)"]
    # an admin or supervisor records a prompt from their phone: *77 + a number
    out += ["exten => _*77X.,1,Answer()",
            f" same => n,{_agi(lay, 'record-prompt', '${EXTEN:3}')}",
            " same => n,Hangup()"]
    out += ["include => jns-confroom",    # conference rooms by their number (CONF-1)
            "include => parkedcalls", "include => jns-inbound", ""]
    out += _live_contexts(snap)
    out += _campaign_contexts()
    out += callbacks.dialplan(snap, lay)          # callback instead of waiting (issue 12)
    out += conferences.dialplan(snap, lay)        # conference rooms (CONF-1, CONF-2)
    out += conference_calls.dialplan(snap, lay)   # the box's calls to members (CONF-3, AUTO-2)
    out += _voicecast_contexts()
    # Every inbound call: the route service decides (blacklist first, then caller rules,
    # opening hours, language, VIP, recording) before the call is answered.  Without an
    # answer from it the dialled number's route as rendered here still takes the call.
    body = [
        ("", "Set(__JNS_DID=${EXTEN})"),
        ("", "Set(__JNS_DIRECTION=in)"),
        # one file name per call for recording on demand, known to the agent's leg too
        ("", "Set(__JNS_ODREC=${STRFTIME(${EPOCH},,%Y/%m/%d)}/${UNIQUEID}-ondemand.wav)"),
        ("", "Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)"),
        ("", "Set(JNS_ACTION=)"),
        ("", _agi(lay, "route")),
        ("", 'GotoIf($["${JNS_ACTION}" = "blocked"]?blocked)'),
        ("", "Answer()"),
        ("", "Set(CDR(userfield)=did=${JNS_DID})"),
        ("", 'GotoIf($["${JNS_ACTION}" = ""]?static)'),
        ("", "Goto(jns-route,${JNS_ACTION},1)"),
        ("(static)", "Goto(jns-static-route,${EXTEN},1)"),
        ("(blocked)", "Set(CDR(userfield)=did=${JNS_DID}&blocked=1)"),
        ("", "Hangup(21)"),
    ]
    out += ["[jns-inbound]"]
    for ext in ("_[+0-9]!", "s"):
        out += [f"exten => {ext},1,{line}" if i == 0 else f" same => n{label},{line}"
                for i, (label, line) in enumerate(body)]
    out += ["", "; the dialled numbers' routes as configured (used without the route service)",
            "[jns-static-route]"]
    for r in snap["routes"]:
        out.append(f"exten => {r['did']},1,Goto({_destination(r['action'], r['target'], snap)})")
    out += [f"exten => _[+0-9]!,1,Goto({default})", f"exten => s,1,Goto({default})", "", "[jns-ivr]"]
    for m in snap["menus"]:
        fallback = _destination(m["fallback_action"], m["fallback_target"], snap)
        out += [
            f"exten => {m['name']},1,Set(JNS_ACTION=)",
            f" same => n,{_agi(lay, 'ivr', m['name'])}",
            ' same => n,GotoIf($["${JNS_ACTION}" = ""]?fallback)',
            " same => n,Goto(jns-route,${JNS_ACTION},1)",
            f" same => n(fallback),Goto({fallback})",
        ]
    operator = _destination("operator", "", snap)
    out += [
        "", "; where a decision of the route service or the IVR (JNS_ACTION, JNS_TARGET) leads",
        "[jns-route]",
        "exten => menu,1,Goto(jns-ivr,${JNS_TARGET},1)",
        "exten => queue,1,Goto(jns-queue,${JNS_TARGET},1)",
        "exten => extension,1,Goto(jns-extension,${JNS_TARGET},1)",
        "exten => external,1,Goto(jns-outbound,${JNS_TARGET},1)",
        "exten => voicemail,1,Goto(jns-voicemail,${JNS_TARGET},1)",
        "exten => announcement,1,Goto(jns-announcement,${JNS_TARGET},1)",
        "exten => hangup,1,Goto(jns-hangup,s,1)",
        "exten => conference,1,Goto(jns-confroom,${JNS_TARGET},1)",
        "exten => callback,1,Goto(jns-callback,${JNS_TARGET},1)",   # BEY-2: press 1
        f"exten => operator,1,Goto({operator})",
        "exten => i,1,Goto(" + default + ")",
        "", "; our prompts played as a destination, in the caller's language if we have it",
        "[jns-announcement]",
    ]
    for name, langs in sorted(snap["prompts"].items()):
        lang = langs[0] if len(langs) == 1 else (
            "${IF($[" + " | ".join(f'"${{JNS_LANG}}" = "{x}"' for x in langs[1:])
            + f"]?${{JNS_LANG}}:{langs[0]})}}")
        out += [f"exten => {name},1,Playback({lay.root}/prompts/{lang}/{name})",
                " same => n,Goto(jns-hangup,s,1)"]
    out += [
        "", "; the operator key pressed while waiting in a queue",
        "[jns-queue-exit]",
        f"exten => {cfg['operator_key']},1,Set(CDR(userfield)=${{CDR(userfield)}}&operator=queue)",
        f" same => n,Goto({operator})",
        "", "[jns-queue]",
    ]
    for q in snap["queues"]:
        name = q["name"]
        overflow = (_destination(q["overflow_action"], q["overflow_target"], snap)
                    if q["overflow_action"] else "jns-hangup,s,1")
        opts = "t"  # the agent may transfer
        # skills routing (telephony.skills): the caller's language picks the Asterisk queue
        # joined ("<queue>.<lang>"); JNS_QUEUE stays the queue's own name
        variants = skills.asterisk_queues(q, snap)
        aq = "${JNS_MEMBER_QUEUE}" if len(variants) > 1 else name
        rule = f"jns-{aq}" if variants[0].rule else ""
        out += [f"exten => {name},1,Set(__JNS_QUEUE={name})",
                f" same => n,Set(__JNS_MEMBER_QUEUE={name})",
                *[f' same => n,ExecIf($["${{JNS_LANG}}" = "{v.lang}"]'
                  f"?Set(__JNS_MEMBER_QUEUE={v.name}))" for v in variants if v.lang],
                # the rule's first step; a queue without one lifts the limit (a call that
                # overflowed from a skill-routed queue must reach every member here: manual
                # penalties are 0-100)
                (" same => n,Set(QUEUE_MAX_PENALTY=1)" if rule else
                 ' same => n,ExecIf($["${QUEUE_MAX_PENALTY}" != ""]?Set(QUEUE_MAX_PENALTY=100))'),
                " same => n,Set(QUEUESTATUS=)",   # from a queue this call overflowed from
                " same => n,Set(CDR(userfield)=${CDR(userfield)}&ivr=${JNS_IVR_PATH})",
                # for the reports (appliance.reports.ingest): the number dialled, the IVR path
                f" same => n,QueueLog({aq},${{UNIQUEID}},NONE,DID,${{JNS_DID}})",
                f' same => n,ExecIf($["${{JNS_IVR_PATH}}" != ""]'
                f'?QueueLog({aq},${{UNIQUEID}},NONE,INFO,IVR|${{JNS_IVR_PATH}}))',
                # VIP callers go ahead of everyone waiting (ACD-3)
                ' same => n,ExecIf($["${JNS_VIP}" = "1"]?Set(QUEUE_PRIO=10))',
                *([' same => n,ExecIf($["${JNS_RECORD}" = "1"]?Gosub(jns-record,s,1))']
                  if q["record"] != "none" else []),
                # full, or nobody who could ever answer: straight to the overflow (asking
                # Queue() would only make it log a warning and return the same status)
                *([f' same => n,ExecIf($[${{QUEUE_WAITING_COUNT({aq})}} >= {q["max_callers"]}]'
                   '?Set(QUEUESTATUS=FULL))'] if q["max_callers"] else []),
                f' same => n,ExecIf($[${{QUEUE_MEMBER({aq},logged)}} = 0]?Set(QUEUESTATUS=JOINEMPTY))',
                # too long a wait ahead, or too many callers per agent: the overflow (BEY-3)
                *_overflow_checks(q, aq),
                # not let in: Queue() logs nothing then, the reports need the caller
                f' same => n,ExecIf($["${{QUEUESTATUS}}" != ""]'
                f'?QueueLog({aq},${{UNIQUEID}},NONE,${{QUEUESTATUS}},${{CALLERID(num)}}))',
                ' same => n,GotoIf($["${QUEUESTATUS}" != ""]?done)',
                f" same => n,Queue({aq},{opts},,,{q['max_wait']},,jns-agent-leg{',' + rule if rule else ''})",
                " same => n(done),Set(CDR(userfield)=${CDR(userfield)}&queue=${QUEUESTATUS})",
                # taken out by the operator (QueueWithdrawCaller): where the operator sent it
                ' same => n,GotoIf($["${QUEUESTATUS}" = "WITHDRAW"]?${QUEUE_WITHDRAW_INFO})',
                f" same => n,Goto({overflow})"]
    out += [
        "exten => i,1,Goto(" + default + ")",
        "", "; recording by policy: only while the caller talks to an agent ('b')",
        "[jns-record]",
        "exten => s,1,Set(__JNS_REC=${STRFTIME(${EPOCH},,%Y/%m/%d)}/${UNIQUEID}.wav)",
        ' same => n,ExecIf($["${JNS_QUEUE}" != ""]?QueueLog(${JNS_QUEUE},${UNIQUEID},NONE,INFO,REC|${JNS_REC}))',
        " same => n,Set(CDR(userfield)=${CDR(userfield)}&rec=${JNS_REC})",
        " same => n,MixMonitor(${JNS_REC},b)",
        " same => n,Return()",
        "", "; runs on the agent's channel before it is bridged to the caller",
        "[jns-agent-leg]",
        "exten => s,1," + ("Set(DYNAMIC_FEATURES=jnsrec)" if cfg["rec_ondemand_key"] else "NoOp()"),
        " same => n,Return()",
        "", "; recording on demand: the agent's key toggles it; every part goes into one file",
        "[jns-ondemand]",
        'exten => s,1,GotoIf($["${JNS_REC}" != ""]?done)',
        ' same => n,GotoIf($["${JNS_ONDEMAND}" = "1"]?stop)',
        " same => n,Set(JNS_ONDEMAND=1)",
        " same => n,MixMonitor(${JNS_ODREC},a)",
        " same => n(done),Return()",
        " same => n(stop),Set(JNS_ONDEMAND=0)",
        " same => n,StopMixMonitor()",
        " same => n,Return()",
        "", "; after every inbound call: its recording (if any) goes into the index",
        "[jns-call-end]",
        f"exten => s,1,{_agi(lay, 'recorded')}",
        " same => n,Return()",
        "", "[jns-extension]",
        'exten => _[0-9].,1,ExecIf($["${JNS_RECORD}" = "1"]?Gosub(jns-record,s,1))',
        " same => n,Dial(PJSIP/${EXTEN},30)",
        " same => n,Goto(jns-voicemail,${EXTEN},1)",
        "", "[jns-voicemail]",
        "exten => _[0-9].,1,VoiceMail(${EXTEN}@jns,u)",
        " same => n,Goto(jns-hangup,s,1)",
        "", "[jns-outbound]",
    ]
    if snap["trunks"]:
        trunk = snap["trunks"][0]["name"]
        mode = cfg["rec_mode"]
        if mode in ("all", "outbound"):
            record = "1"
        elif mode == "list" and cfg["rec_numbers"].split():
            record = " | ".join(f'"${{EXTEN:0:{len(p)}}}" = "{p}"' for p in cfg["rec_numbers"].split())
        else:
            record = "0"
        out += [
            "; an agent's call to an outside number (an IVR 'external' keeps its direction)",
            'exten => _[+0-9]!,1,GotoIf($["${JNS_DIRECTION}" != ""]?dial)',
            " same => n,Set(__JNS_DIRECTION=out)",
            " same => n,Set(__JNS_DID=${EXTEN})",
            " same => n,Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)",
            f" same => n,ExecIf($[{record}]?Set(__JNS_RECORD=1))",
            ' same => n(dial),ExecIf($["${JNS_RECORD}" = "1"]?Gosub(jns-record,s,1))',
            f" same => n,Dial(PJSIP/${{EXTEN}}@{trunk},60)",
            " same => n,Goto(jns-hangup,s,1)"]
    else:
        out += ["exten => _[+0-9]!,1,Goto(jns-hangup,s,1)"]
    out += [
        "", "[jns-hangup]",
        "exten => s,1,Playback(vm-goodbye)",
        " same => n,Hangup()", "",
    ]
    return "\n".join(out)


def _live_contexts(snap: dict) -> list[str]:
    """Dialplan for the live call center's actions (appliance.telephony.actions)."""
    agents = [a["extension"] for a in snap["agents"]]
    operator = _destination("operator", "", snap)
    out = [
        "; click to call: the agent's phone answered (it showed the number); now the number,",
        "; shown to the other side as the agent (JNS_AGENT_CID, set by the Originate)",
        "[jns-agent-call]",
        'exten => _[+0-9]!,1,ExecIf($["${JNS_AGENT_CID}" != ""]?Set(CALLERID(all)=${JNS_AGENT_CID}))',
        " same => n,Goto(jns-agent-route,${EXTEN},1)",
        "", "[jns-agent-route]",
        *[f"exten => {ext},1,Goto(jns-extension,{ext},1)" for ext in agents],
        *([f"exten => {n},1,Goto(parkedcalls,{n},1)" for n in range(PARK_FIRST, PARK_LAST + 1)]),
    ]
    if snap["trunks"]:
        out += ["exten => _00X.,1,Goto(jns-outbound,${EXTEN:2},1)",
                "exten => _+X.,1,Goto(jns-outbound,${EXTEN},1)"]
    out += [
        "exten => _[+0-9]!,1,Goto(jns-hangup,s,1)",
        "", "; the operator's conferences: one ConfBridge room per conference (op-1, op-2 ...)",
        "[jns-conference]",
        "exten => _op-.,1,Answer()",
        " same => n,ConfBridge(${EXTEN},jns-operator,jns-member)",
        " same => n,Hangup()",
        "", "; the operator parks a call on a given space (PARKINGEXTEN), no announcement",
        "[jns-park]",
        "exten => _X.,1,Set(PARKINGEXTEN=${EXTEN})",
        " same => n,Park(default,s)",
        " same => n,Goto(jns-hangup,s,1)",
        "", "; a parked call nobody picked up comes back to the operator",
        "[jns-park-timeout]",
        f"exten => _[0-9A-Za-z].,1,Goto({operator})",
        f"exten => s,1,Goto({operator})", "",
    ]
    return out


def _campaign_contexts() -> list[str]:
    """Dialplan of the outbound campaigns' calls (appliance.campaigns.dialer).

    The dialer's Originate sets, per call: JNS_CALL (campaign_calls id), JNS_CAMPAIGN,
    JNS_QUEUE, JNS_NOAGENT (the identification message, a sound path), JNS_AMD, JNS_RECORD,
    JNS_CONNECT_S (how long an answered call may wait for an agent: 2 s, Ofcom/FTC) and for
    agent-first calls JNS_DIAL (the customer's dial string), JNS_RING_S and JNS_CID.  Every
    fact the dialer needs comes back as UserEvent JnsCampaign (Call, Kind, ...).
    """
    ev = "UserEvent(JnsCampaign,Call: ${JNS_CALL},Kind: "
    return [
        "; a dialer call the customer answered: an agent within JNS_CONNECT_S seconds, else",
        "; the identification message at once (no agent ready: the message straight away)",
        "[jns-campaign]",
        f"exten => s,1,{ev}answered)",
        " same => n,Set(__JNS_DIRECTION=out)",
        " same => n,Set(__JNS_DID=${CALLERID(dnid)})",
        ' same => n,GotoIf($["${JNS_AMD}" != "1"]?human)',
        " same => n,AMD()",
        f" same => n,{ev}amd,Status: ${{AMDSTATUS}},Cause: ${{AMDCAUSE}})",
        ' same => n,GotoIf($["${AMDSTATUS}" = "MACHINE"]?machine)',
        " same => n(human),GotoIf($[${QUEUE_MEMBER(${JNS_QUEUE},ready)} = 0]?noagent)",
        " same => n,QueueLog(${JNS_QUEUE},${UNIQUEID},NONE,INFO,CAMPAIGN|${JNS_CAMPAIGN})",
        ' same => n,GotoIf($["${JNS_RECORD}" != "1"]?queue)',
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)",
        " same => n,Gosub(jns-record,s,1)",
        f" same => n,{ev}rec,Rec: ${{JNS_REC}})",
        " same => n(queue),Queue(${JNS_QUEUE},tb(jns-campaign-member^s^1),,,${JNS_CONNECT_S},,"
        "jns-agent-leg)",
        f" same => n(noagent),{ev}noagent)",
        " same => n,Playback(${JNS_NOAGENT})",
        " same => n,Hangup()",
        " same => n(machine),Hangup()",
        "", "; the agent's phone answers campaign calls by itself (no time lost ringing)",
        "[jns-campaign-member]",
        "exten => s,1,Set(PJSIP_HEADER(add,Call-Info)=<sip:127.0.0.1>\\;answer-after=0)",
        " same => n,Set(PJSIP_HEADER(add,Alert-Info)=<http://127.0.0.1>\\;info=alert-autoanswer)",
        " same => n,Return()",
        "", "; a preview or callback call: the agent's phone answered, now the customer",
        "[jns-campaign-agent]",
        f"exten => s,1,{ev}agent)",
        " same => n,Set(__JNS_DIRECTION=out)",
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-campaign-agent-end,s,1)",
        ' same => n,GotoIf($["${JNS_RECORD}" != "1"]?dial)',
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)",
        " same => n,Gosub(jns-record,s,1)",
        f" same => n,{ev}rec,Rec: ${{JNS_REC}})",
        " same => n(dial),Set(CALLERID(all)=${JNS_CID})",
        " same => n,Dial(${JNS_DIAL},${JNS_RING_S},U(jns-campaign-connected^s^1))",
        f" same => n,{ev}dialed,Status: ${{DIALSTATUS}},Cause: ${{HANGUPCAUSE}})",
        " same => n,Set(JNS_DIALED=1)",
        " same => n,Hangup()",
        "", "[jns-campaign-connected]",
        f"exten => s,1,{ev}connected)",
        " same => n,Return()",
        "", "; the agent hung up during (or before) the customer's call",
        "[jns-campaign-agent-end]",
        f'exten => s,1,ExecIf($["${{JNS_DIALED}}" != "1"]?{ev}dialed,Status: ${{DIALSTATUS}},'
        "Cause: ${HANGUPCAUSE}))",
        " same => n,Return()",
        "",
    ]


def _voicecast_contexts() -> list[str]:
    """Dialplan of voice mailing calls (AUTO-1; appliance.campaigns.dialer, kind 'voice').

    The Originate sets JNS_CALL, JNS_CAMPAIGN, JNS_QUEUE, JNS_MESSAGE (the contact's message,
    a sound path), JNS_MACHINE_MSG (the short message for answering machines, or none),
    JNS_AMD, JNS_CONNECT_KEY and JNS_REPEAT_KEY (a key or none), JNS_MAX_REPEATS, JNS_NOAGENT
    and JNS_RECORD.  The message plays with Background, so a key cuts it: the connect key
    sends the callee to the queue, any other key plays it again from the start (a cut
    message cannot be resumed) while repeats are left, then ends the call.  Seconds heard
    are counted from the first play (repeats included) and told with every fact.
    """
    ev = "UserEvent(JnsCampaign,Call: ${JNS_CALL},Kind: "
    heard = "Heard: $[${STRFTIME(,,%s.%3q)} - ${JNS_T0}]"
    return [
        "; a voice mailing call the callee answered: the message, keys, maybe an agent",
        "[jns-voicecast]",
        f"exten => s,1,{ev}answered)",
        " same => n,Set(__JNS_DIRECTION=out)",
        " same => n,Set(__JNS_DID=${CALLERID(dnid)})",
        " same => n,Set(JNS_PLAYS=0)",
        ' same => n,GotoIf($["${JNS_AMD}" != "1"]?human)',
        " same => n,AMD()",
        f" same => n,{ev}amd,Status: ${{AMDSTATUS}},Cause: ${{AMDCAUSE}})",
        ' same => n,GotoIf($["${AMDSTATUS}" != "MACHINE"]?human)',
        ' same => n,ExecIf($["${JNS_MACHINE_MSG}" != "none"]?Playback(${JNS_MACHINE_MSG}))',
        " same => n,Hangup()",
        " same => n(human),Set(JNS_T0=${STRFTIME(,,%s.%3q)})",
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-voicecast-end,s,1)",
        " same => n(play),Set(JNS_PLAYS=$[${JNS_PLAYS} + 1])",
        " same => n,Background(${JNS_MESSAGE})",
        " same => n,Set(JNS_LISTENED=1)",
        f" same => n,{ev}listened,{heard})",
        " same => n,WaitExten(3)",          # a moment for the key after the message
        " same => n,Hangup()",
        f"exten => _[0-9*#],1,{ev}key,Key: ${{EXTEN}})",
        ' same => n,GotoIf($["${EXTEN}" = "${JNS_CONNECT_KEY}"]?connect)',
        " same => n,GotoIf($[${JNS_PLAYS} <= ${JNS_MAX_REPEATS}]?s,play)",
        " same => n,Hangup()",
        " same => n(connect),Set(JNS_PRESSED=1)",
        f" same => n,{ev}pressed,{heard})",
        " same => n,QueueLog(${JNS_QUEUE},${UNIQUEID},NONE,INFO,CAMPAIGN|${JNS_CAMPAIGN})",
        ' same => n,GotoIf($["${JNS_RECORD}" != "1"]?queue)',
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)",
        " same => n,Gosub(jns-record,s,1)",
        f" same => n,{ev}rec,Rec: ${{JNS_REC}})",
        " same => n(queue),Queue(${JNS_QUEUE},t,,,60,,jns-agent-leg)",
        " same => n,Playback(${JNS_NOAGENT})",
        " same => n,Hangup()",
        "exten => t,1,Hangup()",
        "exten => i,1,Hangup()",
        "", "; the callee hung up: how much of the message was heard (unless told already)",
        "[jns-voicecast-end]",
        f'exten => s,1,ExecIf($["${{JNS_LISTENED}}${{JNS_PRESSED}}" = ""]?{ev}heard,{heard}))',
        " same => n,Return()",
        "",
    ]


def _default_destination(snap: dict) -> str:
    """Where unrouted calls go: the first IVR menu, else the first queue, else goodbye."""
    if snap["menus"]:
        return _destination("menu", snap["menus"][0]["name"])
    if snap["queues"]:
        return _destination("queue", snap["queues"][0]["name"])
    return "jns-hangup,s,1"


def _queues_conf(snap: dict, lay: Layout) -> str:
    agents = {a["extension"]: a for a in snap["agents"]}
    # persistentmembers: desk logins (dynamic members) survive an Asterisk restart; Asterisk
    # keeps them in its astdb
    sections = [("general", [("persistentmembers", "yes"), ("autofill", "yes"),
                             # ADDMEMBER/REMOVEMEMBER then log the interface (PJSIP/101);
                             # calls and pauses log the member name either way
                             ("log_membername_as_agent", "no"),
                             ("shared_lastcall", "yes"),
                             ("monitor-type", None)])]
    text = _ini(sections)
    for q in snap["queues"]:
        announce = q["announce_position"] or q["announce_holdtime"]
        items = [("strategy", q["strategy"]), ("musicclass", _moh_class(q["musiconhold"])),
                 ("timeout", q["member_timeout"]), ("retry", 2), ("wrapuptime", q["wrapup_time"]),
                 ("weight", q["weight"]), ("ringinuse", "no"),
                 ("maxlen", q["max_callers"]),
                 # nobody logged in who could ever answer: the overflow takes the call
                 ("joinempty", "unavailable,invalid"), ("leavewhenempty", "unavailable,invalid"),
                 ("context", callbacks.exit_context(q)),   # + its callback key
                 ("announce-position", "yes" if q["announce_position"] else "no"),
                 ("announce-holdtime", "yes" if q["announce_holdtime"] else "no"),
                 # seconds too (else waits under a minute are never announced)
                 ("announce-round-seconds", 10),
                 ("announce-frequency", q["announce_frequency"] if announce else 0),
                 ("min-announce-frequency", 15),
                 ("reportholdtime", "no"), ("setinterfacevar", "yes"), ("setqueueentryvar", "yes")]
        # skills routing (telephony.skills): the queue and its language variants, each
        # with the rule's penalties in place of the manual ones
        extra = [("setqueuevar", "yes")] if q.get("overflow_ewt_s") else []  # QUEUETALKTIME
        for aq in skills.asterisk_queues(q, snap):
            rule = [("defaultrule", aq.rule)] if aq.rule else []
            text += _ini([(aq.name, items + extra + rule)])
            for ext, penalty in aq.penalties.items():
                if agents[ext].get("login", 0):
                    continue   # logs in at the desk: a dynamic member (appliance.telephony.actions)
                name = agents[ext]["name"]
                text = text.rstrip("\n") + f"\nmember => PJSIP/{ext},{penalty},{name},PJSIP/{ext}\n\n"
    return text


def _overflow_checks(q: dict, aq: str) -> list[str]:
    """Overflow before joining (BEY-3): more callers per logged-in agent than the queue
    allows, or an estimated wait over its limit while no agent is free (callers ahead and
    this one, times Asterisk's average talk time, shared by the logged-in agents).  The
    call then leaves as FULL; the CDR userfield says why (overflow=agents|wait)."""
    ratio, ewt = q.get("overflow_per_agent") or 0, q.get("overflow_ewt_s") or 0
    if not ratio and not ewt:
        return []
    waiting, logged = f"${{QUEUE_WAITING_COUNT({aq})}}", f"${{QUEUE_MEMBER({aq},logged)}}"
    out = [" same => n,Set(JNS_OVERFLOW=)"]
    if ratio:
        out.append(f' same => n,ExecIf($["${{QUEUESTATUS}}" = "" & {waiting} + 1 > {logged} * {ratio:g}]'
                   "?Set(JNS_OVERFLOW=agents))")
    if ewt:
        out += [f" same => n,NoOp(${{QUEUE_VARIABLES({aq})}})",     # sets QUEUETALKTIME (setqueuevar)
                f' same => n,ExecIf($["${{QUEUESTATUS}}${{JNS_OVERFLOW}}" = ""'
                f" & ${{QUEUE_MEMBER({aq},free)}} = 0"
                f" & ({waiting} + 1) * 0${{QUEUETALKTIME}} > {logged} * {ewt}]?Set(JNS_OVERFLOW=wait))"]
    out += [' same => n,ExecIf($["${JNS_OVERFLOW}" != ""]?Set(QUEUESTATUS=FULL))',
            ' same => n,ExecIf($["${JNS_OVERFLOW}" != ""]'
            "?Set(CDR(userfield)=${CDR(userfield)}&overflow=${JNS_OVERFLOW}))"]
    return out


def _moh_class(value: str) -> str:
    return "default" if value in ("", "default") else f"jns-{value}"


def _musiconhold_conf(snap: dict, lay: Layout) -> str:
    sections = [("default", [("mode", "files"), ("directory", f"{lay.sounds_dir}/moh")])]
    for value in sorted({q["musiconhold"] for q in snap["queues"]} - {"", "default"}):
        sections.append((_moh_class(value), [("mode", "files"), ("sort", "alpha"),
                                             ("directory", f"{lay.root}/moh/{value}")]))
    return _ini(sections)


def _features_conf(snap: dict) -> str:
    key = snap["settings"]["rec_ondemand_key"]
    sections = [("general", [("featuredigittimeout", 1500)])]
    if key:
        sections.append(("applicationmap", [("jnsrec", f"{key},self,Gosub(jns-ondemand,s,1)")]))
    return _ini(sections)


def _voicemail_conf(snap: dict) -> str:
    # mailbox PINs derive from each agent's random SIP secret: nothing guessable ships
    # (and no dialplan offers VoiceMailMain yet; agents hear messages in the panel later)
    boxes = [(a["extension"], "{},{}".format(
        int(hashlib.sha256(a["secret"].encode()).hexdigest()[:12], 16) % 10**8, a["name"]))
        for a in snap["agents"]]
    return _ini([("general", [("format", "wav"), ("maxmsg", 100), ("maxsecs", 300),
                              ("minsecs", 1), ("attach", "no")]),
                 ("jns", boxes)])


# chan_dahdi.conf keyword for an analog port: the module's opposite side (an FXS module,
# where a phone plugs in, is driven with FXO signalling; see appliance.hal.dahdi)
_DAHDI_ANALOG = {"FXS": "fxo_ks", "FXO": "fxs_ks"}
_DAHDI_DCHAN = {"E1": 15, "T1": 23, "BRI": 2}


def _dahdi_files(snap: dict) -> dict[str, str]:
    """chan_dahdi.conf, and chan_dahdi in modules.conf, only when DAHDI channels are
    configured: without cards chan_dahdi would fill Asterisk's log with errors."""
    blocks = []
    for span in snap.get("dahdi") or []:
        if not span["enabled"]:
            continue
        if span["kind"] == "analog":
            for port in span["ports"]:
                if port["enabled"]:
                    what = "phone" if port["module"] == "FXS" else "telephone line"
                    blocks.append((f"port {port['channel']}: {port['module']} module ({what})"
                                   + (f" {port['title']}" if port["title"] else ""),
                                   [("signalling", _DAHDI_ANALOG[port["module"]])], port,
                                   str(port["channel"])))
            continue
        first, dchan = span["first_channel"], span["first_channel"] + _DAHDI_DCHAN[span["kind"]]
        bchans = [c for c in range(first, first + span["channels"]) if c != dchan]
        blocks.append((f"span {span['span']}: {span['kind']} {span['signalling']}",
                       [("signalling", span["signalling"]), ("switchtype", span["switchtype"])],
                       span, _channel_ranges(bchans)))
    if not blocks:
        return {}
    out = ["[trunkgroups]", "", "[channels]", "usecallerid = yes", "hidecallerid = no",
           "callwaiting = no", "threewaycalling = no", "transfer = no", "echocancel = yes",
           "echocancelwhenbridged = no", "relaxdtmf = yes", "immediate = no", ""]
    for comment, options, row, channels in blocks:
        out.append(f"; {comment}")
        out += [f"{k} = {v}" for k, v in options]
        out += [f"context = {row['context']}", f"group = {row['group']}",
                f"language = {row['lang']}", f"channel => {channels}", ""]
    return {"chan_dahdi.conf": "\n".join(out),
            "modules.conf": _modules_conf() + "load => res_smdi.so\nload => chan_dahdi.so\n"}


def _channel_ranges(channels: list[int]) -> str:
    out: list[str] = []
    for ch in sorted(channels):
        if out and out[-1].split("-")[-1] == str(ch - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{ch}"
        else:
            out.append(str(ch))
    return ",".join(out)


def _simple_files(lay: Layout) -> dict[str, str]:
    return {
        "cdr.conf": _ini([("general", [("enable", "yes"), ("unanswered", "yes"), ("batch", "no")]),
                          ("csv", [("usegmtime", "yes"), ("loguniqueid", "yes"),
                                   ("loguserfield", "yes"), ("accountlogs", "no")])]),
        "rtp.conf": _ini([("general", [("rtpstart", lay.rtp_start), ("rtpend", lay.rtp_end),
                                       ("strictrtp", "yes")])]),
        "res_parking.conf": _ini([
            ("general", [("parkeddynamic", "no")]),
            ("default", [("parkext", PARK_EXTEN), ("parkpos", f"{PARK_FIRST}-{PARK_LAST}"),
                         ("context", "parkedcalls"), ("parkingtime", PARK_TIMEOUT_S),
                         ("parkedmusicclass", "default"), ("findslot", "first"),
                         ("comebacktoorigin", "no"), ("comebackcontext", "jns-park-timeout")])]),
        "indications.conf": _ini([("general", [("country", "pl")]),
                                  ("pl", [("description", "Poland"), ("ringcadence", "1000,4000"),
                                          ("dial", "425"), ("busy", "425/500,0/500"),
                                          ("ring", "425/1000,0/4000"),
                                          ("congestion", "425/500,0/500"),
                                          ("callwaiting", "425/150,0/150,425/150,0/4000"),
                                          ("record", "1400/500,0/15000"), ("info", "!950/330,!1400/330,!1800/330,0"),
                                          ("dialrecall", "!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,425")])]),
        "ccss.conf": _ini([("general", [])]),
        "amd.conf": _ini([("general", [])]),     # answering-machine detection: its defaults
        "cel.conf": _ini([("general", [("enable", "no")])]),
        "http.conf": _ini(webrtc.http_conf(lay)),
        "pjproject.conf": _ini([("log_mappings", [("type", "log_mappings"),
                                                   ("asterisk_error", "0"),
                                                   ("asterisk_warning", "2")])]),
        "agi.conf": _ini([("general", [])]),
        "acl.conf": "",
        "udptl.conf": _ini([("general", [])]),
        "res_stun_monitor.conf": "",
    }


def render_files(snap: dict, lay: Layout) -> dict[str, str]:
    """The complete Asterisk configuration for this snapshot, as {file name: text}."""
    if not lay.ami_secret:
        raise ValueError("AMI secret is empty: generate it on the box (store.db.ensure_secret)")
    files = {
        "asterisk.conf": _asterisk_conf(lay),
        "modules.conf": _modules_conf(),
        "logger.conf": _logger_conf(),
        "manager.conf": _manager_conf(lay),
        "pjsip.conf": _pjsip_conf(snap, lay),
        "extensions.conf": _extensions_conf(snap, lay),
        "queues.conf": _queues_conf(snap, lay),
        "queuerules.conf": skills.queuerules_conf(snap),     # skills routing (BEY-3)
        "musiconhold.conf": _musiconhold_conf(snap, lay),
        "features.conf": _features_conf(snap),
        "voicemail.conf": _voicemail_conf(snap),
        "confbridge.conf": conferences.confbridge_conf(snap, lay),
        **_simple_files(lay),
        **_dahdi_files(snap),
    }
    header = "; Generated by JNS Call Center from its database. Do not edit: changes are lost.\n"
    return {name: header + text for name, text in files.items()}


def install(files: dict[str, str], etc_parent: str | os.PathLike, keep: int = 3) -> Path:
    """Write `files` as a new generation under etc_parent and point etc_parent/current at it.

    Each generation is complete before the symlink swap (one rename), so a reader sees the
    old set or the new set.  The last `keep` generations stay for inspection.
    """
    parent = Path(etc_parent)
    parent.mkdir(parents=True, exist_ok=True)
    gen = Path(tempfile.mkdtemp(prefix=f"gen-{time.strftime('%Y%m%d-%H%M%S')}-", dir=parent))
    for name, text in files.items():
        with open(gen / name, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    gen.chmod(0o750)
    tmp_link = parent / f".current-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, parent / "current")
    dirfd = os.open(parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
    gens = sorted((p for p in parent.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in gens[:-keep]:
        if old.name != gen.name:
            shutil.rmtree(old, ignore_errors=True)
    return gen
