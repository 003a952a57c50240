"""Render Asterisk's configuration from the database snapshot.

`render_files()` is a pure function: snapshot + layout -> {file name: text}.  `install()`
writes a complete new generation directory and swaps the `current` symlink with one
rename, so Asterisk never reads a mix of old and new files (a power cut leaves either).
Asterisk's own directory points at that symlink; nobody edits the files by hand.

Dialplan contract with the FastAGI IVR (appliance.telephony.agi): the IVR sets JNS_ACTION
(queue | extension | menu | hangup) and JNS_TARGET; the dialplan routes on them and falls
back to the menu's fallback destination when the AGI server cannot be reached.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

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
res_format_attr_opus chan_pjsip chan_bridge_media
codec_ulaw codec_alaw codec_gsm codec_a_mu codec_resample
format_gsm format_wav format_wav_gsm format_pcm format_sln
app_dial app_queue app_mixmonitor app_playback app_read app_confbridge app_chanspy app_stack
app_verbose app_echo app_senddtmf app_exec app_record app_transfer app_originate
app_playtones app_waituntil app_dtmfstore app_system app_chanisavail app_userevent
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
        ("options", [("verbose", 1), ("maxload", 0), ("cache_record_files", "yes"),
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
                        ("read", "system,call,agent,user,config,dtmf,reporting,cdr,dialplan"),
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
    ]
    for a in snap["agents"]:
        ext = a["extension"]
        sections += [
            (ext, [("type", "endpoint"), ("context", "from-internal"), ("auth", f"{ext}-auth"),
                   ("aors", ext), ("callerid", f'"{a["name"]}" <{ext}>'),
                   ("dtmf_mode", a["dtmf_mode"])] + common),
            (f"{ext}-auth", [("type", "auth"), ("auth_type", "userpass"), ("username", ext),
                             ("password", a["secret"])]),
            (ext, [("type", "aor"), ("max_contacts", 2), ("remove_existing", "yes"),
                   ("contact", a["contact"]), ("qualify_frequency", 0)]),
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
    return _ini(sections)


def _destination(action: str, target: str) -> str:
    """Dialplan Goto() argument for an IVR/route destination."""
    if action == "hangup":
        return "jns-hangup,s,1"
    if action == "ivr" or action == "menu":
        return f"jns-ivr,{target},1"
    return f"jns-{action},{target},1"


def _extensions_conf(snap: dict, lay: Layout) -> str:
    agi = f"agi://{lay.agi_host}:{lay.agi_port}"
    queues = {q["name"]: q for q in snap["queues"]}
    default = _default_destination(snap)
    out = [
        "[general]", "static = yes", "writeprotect = yes", "clearglobalvars = yes", "",
        "[globals]", "",
        "; calls from carriers enter by the dialled number (DID)",
        "[from-trunk]",
        "exten => _[+0-9].,1,Goto(jns-inbound,${EXTEN},1)",
        "exten => s,1,Goto(jns-inbound,s,1)", "",
        "; agents' phones: other agents by extension, and the DIDs for testing the IVR",
        "[from-internal]",
    ]
    out += [f"exten => {a['extension']},1,Goto(jns-extension,{a['extension']},1)" for a in snap["agents"]]
    out += ["include => jns-inbound", "", "[jns-inbound]"]
    for r in snap["routes"]:
        out += [
            f"exten => {r['did']},1,Set(__JNS_DID=${{EXTEN}})",
            " same => n,Answer()",
            " same => n,Set(CDR(userfield)=did=${EXTEN})",
            f" same => n,Goto({_destination(r['action'], r['target'])})",
        ]
    out += [
        "; a number nobody routed is still answered and handled (never a dead end)",
        "exten => _[+0-9s].,1,Set(__JNS_DID=${EXTEN})",
        " same => n,Answer()",
        f" same => n,Goto({default})",
        "exten => s,1,Answer()",
        f" same => n,Goto({default})", "",
        "[jns-ivr]",
    ]
    for m in snap["menus"]:
        fallback = _destination(m["fallback_action"], m["fallback_target"])
        out += [
            f"exten => {m['name']},1,Set(JNS_ACTION=)",
            f" same => n,AGI({agi}/ivr,{m['name']})",
            ' same => n,GotoIf($["${JNS_ACTION}" = ""]?fallback)',
            " same => n,Goto(jns-route,${JNS_ACTION},1)",
            f" same => n(fallback),Goto({fallback})",
        ]
    out += [
        "", "; where the IVR's decision (JNS_ACTION, JNS_TARGET) leads",
        "[jns-route]",
        "exten => queue,1,Goto(jns-queue,${JNS_TARGET},1)",
        "exten => extension,1,Goto(jns-extension,${JNS_TARGET},1)",
        "exten => menu,1,Goto(jns-ivr,${JNS_TARGET},1)",
        "exten => hangup,1,Goto(jns-hangup,s,1)",
        "exten => i,1,Goto(" + default + ")",
        "", "[jns-queue]",
    ]
    for name, q in queues.items():
        out += [f"exten => {name},1,Set(__JNS_QUEUE={name})",
                " same => n,Set(CDR(userfield)=${CDR(userfield)}&ivr=${JNS_IVR_PATH})"]
        if q["record"] == "all":
            # 'b': record only while bridged to an agent, so the file is the conversation
            out += [" same => n,Set(__JNS_REC=${STRFTIME(${EPOCH},,%Y/%m/%d)}/${UNIQUEID}.wav)",
                    " same => n,Set(CDR(userfield)=${CDR(userfield)}&rec=${JNS_REC})",
                    " same => n,MixMonitor(${JNS_REC},b)"]
        out += [f" same => n,Queue({name},,,,{q['max_wait']})",
                " same => n,Set(CDR(userfield)=${CDR(userfield)}&queue=${QUEUESTATUS})",
                " same => n,Goto(jns-hangup,s,1)"]
    out += [
        "exten => i,1,Goto(" + default + ")",
        "", "[jns-extension]",
        "exten => _[0-9].,1,Dial(PJSIP/${EXTEN},30)",
        " same => n,Goto(jns-hangup,s,1)",
        "", "[jns-hangup]",
        "exten => s,1,Playback(vm-goodbye)",
        " same => n,Hangup()", "",
    ]
    return "\n".join(out)


def _default_destination(snap: dict) -> str:
    """Where unrouted calls go: the first IVR menu, else the first queue, else goodbye."""
    if snap["menus"]:
        return _destination("menu", snap["menus"][0]["name"])
    if snap["queues"]:
        return _destination("queue", snap["queues"][0]["name"])
    return "jns-hangup,s,1"


def _queues_conf(snap: dict) -> str:
    agents = {a["extension"]: a for a in snap["agents"]}
    sections = [("general", [("persistentmembers", "no"), ("autofill", "yes"),
                             ("log_membername_as_agent", "yes"), ("shared_lastcall", "yes"),
                             ("monitor-type", None)])]
    text = _ini(sections)
    for q in snap["queues"]:
        items = [("strategy", q["strategy"]), ("musicclass", q["musiconhold"]),
                 ("timeout", q["member_timeout"]), ("retry", 2), ("wrapuptime", q["wrapup_time"]),
                 ("weight", q["weight"]), ("ringinuse", "no"), ("joinempty", "yes"),
                 ("leavewhenempty", "no"), ("announce-position", "no"), ("reportholdtime", "no"),
                 ("setinterfacevar", "yes"), ("setqueueentryvar", "yes")]
        text += _ini([(q["name"], items)])
        for ext in q["members"]:
            name = agents[ext]["name"]
            text = text.rstrip("\n") + f"\nmember => PJSIP/{ext},0,{name},PJSIP/{ext}\n\n"
    return text


def _simple_files(lay: Layout) -> dict[str, str]:
    return {
        "musiconhold.conf": _ini([("default", [("mode", "files"),
                                               ("directory", f"{lay.sounds_dir}/moh")])]),
        "cdr.conf": _ini([("general", [("enable", "yes"), ("unanswered", "yes"), ("batch", "no")]),
                          ("csv", [("usegmtime", "yes"), ("loguniqueid", "yes"),
                                   ("loguserfield", "yes"), ("accountlogs", "no")])]),
        "rtp.conf": _ini([("general", [("rtpstart", lay.rtp_start), ("rtpend", lay.rtp_end),
                                       ("strictrtp", "yes")])]),
        "confbridge.conf": _ini([("general", []), ("default_user", [("type", "user")]),
                                 ("default_bridge", [("type", "bridge")])]),
        "features.conf": _ini([("general", [])]),
        "indications.conf": _ini([("general", [("country", "pl")]),
                                  ("pl", [("description", "Poland"), ("ringcadence", "1000,4000"),
                                          ("dial", "425"), ("busy", "425/500,0/500"),
                                          ("ring", "425/1000,0/4000"),
                                          ("congestion", "425/500,0/500"),
                                          ("callwaiting", "425/150,0/150,425/150,0/4000"),
                                          ("record", "1400/500,0/15000"), ("info", "!950/330,!1400/330,!1800/330,0"),
                                          ("dialrecall", "!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,425")])]),
        "ccss.conf": _ini([("general", [])]),
        "queuerules.conf": "",
        "cel.conf": _ini([("general", [("enable", "no")])]),
        "http.conf": _ini([("general", [("enabled", "no")])]),
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
        "queues.conf": _queues_conf(snap),
        **_simple_files(lay),
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
