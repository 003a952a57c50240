"""DAHDI telephony cards: what is fitted (dahdi_scan, /proc/dahdi), its alarms, and its
configuration file (system.conf) applied with dahdi_cfg.

`scan()` parses `dahdi_scan` and merges the live state of /proc/dahdi/<span>: one `Span` per
span with its ports and alarms.  `alarms()` reads only /proc (cheap; the watchdog polls it).
`render_system_conf()` turns the configuration stored by `appliance.store.hardware` into
DAHDI's system.conf; `write_system_conf()` writes it atomically (the box keeps it at
/data/jns/dahdi/system.conf: /etc is read-only) and `apply()` runs `dahdi_cfg -c <file>`;
`configure()` does both, and skips dahdi_cfg on a machine without a card.

Naming trap, kept straight here and in the panel: an analog port's MODULE and its
SIGNALLING are opposite.  An FXS module (a phone plugs in) is driven with FXO signalling
(fxoks: the box acts as the exchange); an FXO module (the telco line plugs in) with FXS
signalling (fxsks: the box acts as a phone).  dahdi_scan names the module.

Never raises for a machine without DAHDI (no tools, no /dev/dahdi, no /proc/dahdi): that is
an empty list.  The web panel never calls `apply()`; the service that applies configuration
does.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Iterable

from ..atomic import atomic_write

# dahdi_scan's alarm abbreviations -> the names /proc/dahdi and the panel use
SCAN_ALARMS = {"RED": "RED", "YEL": "YELLOW", "BLU": "BLUE", "LFA": "LFA", "LMFA": "LMFA",
               "LB": "LOOP", "REC": "RECOVERING", "NOP": "NOTOPEN", "UUU": "UNKNOWN"}
ALARM_ORDER = ("RED", "YELLOW", "BLUE", "LFA", "LMFA", "LOOP", "RECOVERING", "NOTOPEN", "UNKNOWN")
PROC_ALARMS = {"RED", "YELLOW", "BLUE", "LOOP", "RECOVERING", "NOTOPEN"}
# what each alarm means for the technician in front of the box
ALARM_TEXT = {
    "RED": "red alarm: no signal or no framing from the line (loss of signal / frame); "
           "check the cable and that the line is connected",
    "YELLOW": "yellow alarm: the other end does not receive our signal; check our transmit "
              "pair and the span settings (framing, coding)",
    "BLUE": "blue alarm (AIS): the carrier's equipment sends all ones; call the carrier",
    "LFA": "loss of frame alignment; check framing and CRC4 settings",
    "LMFA": "loss of CRC4 multiframe alignment; check the CRC4 setting",
    "LOOP": "the line is in loopback (a test by the carrier)",
    "RECOVERING": "recovering from an alarm",
    "NOTOPEN": "the span is not open (no channel in use by Asterisk)",
    "UNKNOWN": "an alarm DAHDI cannot name",
}
SYSTEM_CONF = "/data/jns/dahdi/system.conf"   # /etc is read-only on the box
CONTROL_DEVICE = "/dev/dahdi/ctl"
ANALOG_MODULES = ("FXS", "FXO")
# module fitted -> system.conf keyword (opposite side naming, see the docstring)
ANALOG_SIGNALLING = {"FXS": "fxoks", "FXO": "fxsks"}


@dataclasses.dataclass
class Port:
    channel: int
    signalling: str          # "FXS"/"FXO" (analog module), "BRI", "PRI", "none"
    state: str               # "OK", "RED", "No module", "FAILED", "Not configured", ...
    configured_as: str = ""  # /proc/dahdi: "FXOKS", "Clear", "Hardware-assisted HDLC", ""
    in_use: bool = False


@dataclasses.dataclass
class Span:
    number: int
    name: str
    description: str
    kind: str                # "analog" | "BRI" | "E1" | "T1" | "J1"
    manufacturer: str
    devicetype: str
    location: str
    ports: list[Port]
    alarms: list[str]
    basechan: int = 0
    totchans: int = 0
    configured: bool = True
    mode: str = ""           # BRI: "TE" (to the carrier) or "NT" (for ISDN phones)
    framing: str = ""        # as running: "CCS/CRC4", "ESF", ...
    coding: str = ""
    clock_source: bool = False
    counters: dict[str, int] = dataclasses.field(default_factory=dict)


# -- detection ---------------------------------------------------------------------------------

def scan(dahdi_scan_output: str | None = None, *,
         proc_root: str | os.PathLike = "/proc/dahdi") -> list[Span]:
    """Every span DAHDI knows, with ports and alarms; [] without DAHDI on the machine."""
    if dahdi_scan_output is None:
        dahdi_scan_output = _run_dahdi_scan()
    spans = parse_scan(dahdi_scan_output)
    root = Path(proc_root)
    for span in spans:
        proc = _read(root / str(span.number))
        if proc is not None:
            _merge_proc(span, parse_proc(proc))
    return spans


def alarms(proc_root: str | os.PathLike = "/proc/dahdi") -> dict[int, list[str]]:
    """Span number -> its alarms, for spans in alarm only; {} when none (or no DAHDI)."""
    out = {}
    root = Path(proc_root)
    try:
        files = [p for p in root.iterdir() if p.name.isdigit()]
    except OSError:
        return {}
    for path in sorted(files, key=lambda p: int(p.name)):
        text = _read(path)
        if text:
            found = parse_proc(text)["alarms"]
            if found:
                out[int(path.name)] = found
    return out


def _run_dahdi_scan() -> str:
    try:
        done = subprocess.run(["dahdi_scan"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""       # tools not installed, or hung: nothing detected
    return done.stdout if done.returncode == 0 else ""


def parse_scan(text: str) -> list[Span]:
    """`dahdi_scan` output -> spans (ports of analog spans from its port= lines)."""
    spans: list[Span] = []
    blocks = re.split(r"^\[(\d+)\]\s*$", text, flags=re.M)
    for number, body in zip(blocks[1::2], blocks[2::2]):
        fields: dict[str, str] = {}
        ports: list[Port] = []
        for line in body.splitlines():
            key, sep, value = line.partition("=")
            if not sep:
                continue
            if key == "port":
                ports.append(_scan_port(value))
            else:
                fields[key.strip()] = value.strip()
        kind, mode = _kind(fields.get("type", ""))
        raw_alarms = fields.get("alarms", "")
        basechan, totchans = _int(fields.get("basechan")), _int(fields.get("totchans"))
        span = Span(
            number=int(number), name=fields.get("name", ""),
            description=fields.get("description", ""), kind=kind,
            manufacturer=fields.get("manufacturer", ""), devicetype=fields.get("devicetype", ""),
            location=fields.get("location", ""), ports=ports,
            alarms=_order(SCAN_ALARMS.get(a, a) for a in raw_alarms.split("/")
                          if a and a not in ("OK", "UNCONFIGURED")),
            basechan=basechan, totchans=totchans, configured=raw_alarms != "UNCONFIGURED",
            mode=mode, framing=fields.get("framing", ""), coding=fields.get("coding", ""))
        if kind != "analog":
            sig = "BRI" if kind == "BRI" else "PRI"
            span.ports = [Port(ch, sig, _span_state(span)) for ch in
                          range(basechan, basechan + totchans)]
        spans.append(span)
    return spans


def _scan_port(value: str) -> Port:
    channel, _, what = value.partition(",")
    words = what.split()
    module = words[0] if words else "unknown"
    if module == "none":
        return Port(_int(channel), "none", "No module")
    if module == "unknown":
        return Port(_int(channel), "unknown", "Not readable")
    state = "FAILED" if "FAILED" in words[1:] else "OK"
    return Port(_int(channel), module, state)


def _kind(scan_type: str) -> tuple[str, str]:
    if scan_type == "analog":
        return "analog", ""
    spantype = scan_type.removeprefix("digital-")
    if spantype in ("TE", "NT"):
        return "BRI", spantype
    if spantype == "BRI":
        return "BRI", ""
    return spantype or "unknown", ""


def _span_state(span: Span) -> str:
    if not span.configured:
        return "Not configured"
    return "/".join(span.alarms) or "OK"


def parse_proc(text: str) -> dict[str, Any]:
    """/proc/dahdi/<n> -> {"number", "name", "description", "master", "line", "alarms",
    "clock_source", "counters": {...}, "channels": {channo: {name, sig, in_use, alarms}}}."""
    lines = text.splitlines()
    out: dict[str, Any] = {"number": 0, "name": "", "description": "", "master": False,
                           "line": "", "alarms": [], "clock_source": False, "counters": {},
                           "channels": {}}
    if not lines:
        return out
    m = re.match(r'Span (\d+): (\S+) "(.*)"(.*)$', lines[0])
    if m:
        out.update(number=int(m.group(1)), name=m.group(2), description=m.group(3))
        rest = m.group(4).split()
        out["master"] = "(MASTER)" in rest
        out["clock_source"] = "ClockSource" in rest
        out["line"] = next((w for w in rest if "/" in w), "")
        out["alarms"] = _order(w for w in rest if w in PROC_ALARMS)
    for line in lines[1:]:
        counter = re.match(r"\t([A-Za-z0-9 -]+?)(?: count)?: (\d+)$", line)
        if counter:
            out["counters"][counter.group(1)] = int(counter.group(2))
            continue
        chan = re.match(r"\t\s*(\d+) (\S+) ?(.*)$", line)
        if not chan:
            continue
        rest = re.sub(r"\(EC: [^)]*\)", "", chan.group(3))
        in_use = "(In use)" in rest
        rest = rest.replace("(In use)", "")
        words = rest.split()
        alarms_ = [w for w in words if w in PROC_ALARMS]
        sig = " ".join(w for w in words if w not in PROC_ALARMS and w != "Master")
        out["channels"][int(chan.group(1))] = {"name": chan.group(2), "sig": sig,
                                               "in_use": in_use, "alarms": _order(alarms_)}
    return out


def _merge_proc(span: Span, proc: dict[str, Any]) -> None:
    span.alarms = _order(set(span.alarms) | set(proc["alarms"]))
    span.clock_source = proc["clock_source"]
    span.counters = proc["counters"]
    by_channel = proc["channels"]
    for port in span.ports:
        info = by_channel.get(port.channel)
        if info is None:
            continue
        port.configured_as = "" if info["sig"] == "Reserved" else info["sig"]
        port.in_use = info["in_use"]
        if port.state in ("No module", "FAILED", "Not readable"):
            continue
        if span.kind == "analog":
            port.state = "/".join(info["alarms"]) or ("OK" if info["sig"] else "Not configured")
        else:
            port.state = _span_state(span) if info["sig"] else "Not configured"


def _order(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [a for a in ALARM_ORDER if a in names] + sorted(names - set(ALARM_ORDER))


# -- configuration -------------------------------------------------------------------------------

def render_system_conf(spans: list[dict[str, Any]], zone: str = "pl") -> str:
    """DAHDI's system.conf for the stored configuration (`store.hardware.dahdi_config()`).

    Digital span: span=<n>,<timing>,<lbo>,<framing>,<coding>[,crc4] then its B and D
    channels (E1: D on the 16th timeslot, T1: the 24th, BRI: the third, as hardhdlc).
    Analog ports: fxoks for FXS modules, fxsks for FXO modules.  Echo cancellation (mg2,
    in software) on every voice channel.
    """
    out = ["# Generated by JNS Call Center from its database. Do not edit: changes are lost.",
           f"loadzone = {zone}", f"defaultzone = {zone}", ""]
    voice: list[int] = []
    for span in spans:
        n, first, count = span["span"], span["first_channel"], span["channels"]
        if span["kind"] == "analog":
            ports = [p for p in span.get("ports", []) if p.get("enabled", 1)]
            if not ports:
                continue
            out.append(f"# span {n}: analog ports")
            for module in ANALOG_MODULES:
                channels = [p["channel"] for p in ports if p["module"] == module]
                if channels:
                    what = "phones (FXS modules)" if module == "FXS" else "lines (FXO modules)"
                    out.append(f"{ANALOG_SIGNALLING[module]}={_ranges(channels)}   # {what}")
                    voice += channels
            out.append("")
            continue
        if not span.get("enabled", 1):
            continue
        framing, coding = span["framing"], span["coding"]
        line = f"span={n},{span['timing']},0,{framing},{coding}"
        if span["kind"] == "E1" and span.get("crc4"):
            line += ",crc4"
        dchan = first + {"E1": 15, "T1": 23, "BRI": 2}[span["kind"]]
        bchans = [c for c in range(first, first + count) if c != dchan]
        out += [f"# span {n}: {span['kind']} {span['signalling']}", line,
                f"bchan={_ranges(bchans)}",
                f"{'hardhdlc' if span['kind'] == 'BRI' else 'dchan'}={dchan}", ""]
        voice += bchans
    if voice:
        out += [f"echocanceller=mg2,{_ranges(voice)}", ""]
    return "\n".join(out)


def write_system_conf(spans: list[dict[str, Any]], path: str | os.PathLike,
                      zone: str = "pl") -> Path:
    """Write system.conf atomically (temp file + fsync + rename); returns the path."""
    path = Path(path)
    atomic_write(path, render_system_conf(spans, zone).encode("ascii"))
    return path


def apply(path: str | os.PathLike, *, dahdi_cfg: str = "dahdi_cfg", timeout: float = 60) -> str:
    """Load system.conf into the cards with `dahdi_cfg -c <path>`: "" when done, else the
    error text (for the panel and the log).  Asterisk's chan_dahdi must be reloaded after."""
    try:
        done = subprocess.run([dahdi_cfg, "-c", os.fspath(path)], capture_output=True,
                              text=True, timeout=timeout)
    except FileNotFoundError:
        return f"{dahdi_cfg} is not installed: the DAHDI tools are missing from this system"
    except subprocess.TimeoutExpired:
        return f"{dahdi_cfg} did not finish within {timeout:.0f} s"
    if done.returncode == 0:
        return ""
    text = "\n".join(line for line in (done.stderr + done.stdout).splitlines()
                     if line.strip() and not line.startswith(("DAHDI Tools Version", "Notice:")))
    return text or f"{dahdi_cfg} failed with exit code {done.returncode}"


def configure(spans: list[dict[str, Any]], path: str | os.PathLike = SYSTEM_CONF, *,
              dahdi_cfg: str = "dahdi_cfg", control: str | os.PathLike = CONTROL_DEVICE) -> str:
    """What the applying service calls after the DAHDI configuration changed (and at boot,
    before Asterisk starts): write system.conf, then load it with dahdi_cfg.  Returns ""
    or the text to show the admin.  Without DAHDI on the machine the file is still written
    (a card fitted later gets it at the next boot) and dahdi_cfg is not run."""
    write_system_conf(spans, path)
    if not os.path.exists(control):
        return "" if not spans else (
            f"no DAHDI card on this box ({os.fspath(control)} is missing): the settings are "
            "saved and a card fitted later gets them at the next start")
    return apply(path, dahdi_cfg=dahdi_cfg)


# -- helpers ---------------------------------------------------------------------------------

def _ranges(channels: Iterable[int]) -> str:
    """[1, 2, 3, 5] -> "1-3,5"."""
    out, run = [], []
    for ch in sorted(set(channels)):
        if run and ch == run[-1] + 1:
            run.append(ch)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [ch]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _int(text: str | None) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        return 0
