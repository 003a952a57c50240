"""What the watchdog looks at, as plain observations (WD-1, WD-2): Asterisk (process,
AMI ping round trip, fully booted, channels, outbound registrations of the trunks), the
system (data partition, memory, CPU, load, temperatures), sensors, GSM modems, DAHDI
spans, security findings and the box's other services.

Each probe returns `rules.Observation`s plus numbers for the charts; a probe that cannot
read something says "unknown" (value/ok None) instead of guessing.  Probes only read:
they never restart, notify or write the database — the service does that.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .rules import Observation

log = logging.getLogger("jns.watchdog")

from ..hal import dahdi as hal_dahdi
from ..hal import sensors as hal_sensors
from ..store import sms as store_sms

FIRST_CONNECT_S = 20.0   # the watchdog's own AMI client gets this long for its first connection


@dataclass
class Snapshot:
    """One round of looking: observations for the rules, numbers for the charts."""
    at: float
    observations: list[Observation] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)

    def add(self, probe: "ProbeResult") -> None:
        self.observations += probe.observations
        self.metrics.update(probe.metrics)
        self.checked |= probe.checked


@dataclass
class ProbeResult:
    observations: list[Observation] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)


# -- Asterisk ------------------------------------------------------------------------------

def pidfile_alive(pidfile: str | os.PathLike, name: str = "asterisk") -> Callable[[], bool]:
    """On the box: Asterisk's pid file names a live process called `name` (cheap: one
    /proc read per second, no fork).  A stale pid file after a crash reads as dead."""
    path = Path(pidfile)

    def alive() -> bool:
        try:
            pid = int(path.read_text().strip())
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except (OSError, ValueError):
            return False
        comm, state = stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2:][:1]
        return comm.startswith(name[:15]) and state not in ("Z", "X")
    return alive


def asterisk_process(alive: Callable[[], bool]) -> ProbeResult:
    ok = bool(alive())
    return ProbeResult([Observation("asterisk", "process", ok=ok,
                                    text="" if ok else "Asterisk process is not running")],
                       {"asterisk_up": 1.0 if ok else 0.0}, {"asterisk"})


class AsteriskProbe:
    """The slower Asterisk checks over AMI (a reconnecting `AMIClient` the caller owns)."""

    def __init__(self, ami, *, timeout: float = 3.0):
        self.ami = ami
        self.timeout = timeout
        self._booted_on_connect: int | None = None
        self._rtts: list[float] = []
        self._created = time.monotonic()
        ami.on_event("FullyBooted", self._fully_booted)

    def _fully_booted(self, _event: dict) -> None:
        self._booted_on_connect = self.ami.connects

    def probe(self, process_ok: bool, starting: bool = False) -> ProbeResult:
        """`starting`: the process came up a moment ago; silence then is not yet a fault."""
        res = ProbeResult(checked={"ami_rtt", "channels", "trunk_registration"})
        if not process_ok:
            return ProbeResult()      # the process check speaks; nothing to add while it is down
        start = time.monotonic()
        try:
            if not self.ami.connected:   # a round trip measured across a reconnect means nothing
                if (self.ami.connects == 0 and time.monotonic() - self._created < FIRST_CONNECT_S
                        and not starting):
                    # our own client's first connection is still on its way (a busy box):
                    # that says nothing about Asterisk yet
                    starting = True
                raise ConnectionError(self.ami.last_error or "not connected")
            self.ami.action("Ping", timeout=self.timeout, retry=False)
        except Exception as exc:
            self._rtts = []
            res.observations.append(Observation(
                "asterisk", "ami", ok=None if starting else False,
                text=f"Asterisk runs but does not answer the manager interface: {exc}"))
            return ProbeResult(res.observations)
        rtt_ms = (time.monotonic() - start) * 1000
        res.metrics["ami_rtt_ms"] = rtt_ms
        # judged on the median of the last three rounds: one slow answer is not a fault
        self._rtts = (self._rtts + [rtt_ms])[-3:]
        if len(self._rtts) == 3:
            res.observations.append(Observation("ami_rtt", "", value=sorted(self._rtts)[1]))
        booted = self._booted_on_connect == self.ami.connects
        res.observations.append(Observation(
            "asterisk", "ami", ok=True if booted else None))
        if not booted:
            # the session's FullyBooted event may have been missed; ask once
            try:
                out = self.ami.action("Command", Command="core waitfullybooted",
                                      timeout=self.timeout)
                if "fully booted" in str(out).lower():
                    self._booted_on_connect = self.ami.connects
            except Exception:
                pass
        try:
            status = self.ami.action("CoreStatus", timeout=self.timeout)
            calls = float(status.get("CoreCurrentCalls", "nan"))
            res.observations.append(Observation("channels", "", value=calls))
            res.metrics["calls"] = calls
        except Exception as exc:
            log.debug("CoreStatus failed: %s", exc)
        try:
            _, events = self.ami.action_list("PJSIPShowRegistrationsOutbound",
                                             "OutboundRegistrationDetailComplete",
                                             timeout=self.timeout)
        except Exception as exc:
            log.debug("PJSIPShowRegistrationsOutbound failed: %s", exc)
            res.checked.discard("trunk_registration")
            return res
        registered = 0
        for ev in events:
            if ev.get("Event") != "OutboundRegistrationDetail":
                continue
            name = ev.get("ObjectName", "")
            trunk = name[:-4] if name.endswith("-reg") else name
            status = ev.get("Status", "")
            ok = status == "Registered"
            registered += ok
            res.observations.append(Observation(
                "trunk_registration", trunk, ok=ok,
                text="" if ok else f"trunk {trunk} is not registered with the provider "
                                   f"({status or 'no answer'}); check its host, user and password"))
        res.metrics["trunks_registered"] = float(registered)
        return res


# -- system ----------------------------------------------------------------------------------

class SystemProbe:
    """psutil: the data partition, memory, CPU, load per core, CPU temperature."""

    def __init__(self, data_dir: str | os.PathLike):
        import psutil
        self.psutil = psutil
        self.data_dir = Path(data_dir)
        psutil.cpu_percent(interval=None)   # the first call only starts the measurement
        self._cpu: list[tuple[float, float, float]] = []   # (end, seconds, busy %)
        self._cpu_since = time.monotonic()

    def _cpu_minute(self, window_s: float = 60.0) -> float | None:
        """CPU busy % over the last minute (None until half a minute was measured)."""
        now = time.monotonic()
        busy = self.psutil.cpu_percent(interval=None)     # since the previous call
        self._cpu.append((now, now - self._cpu_since, busy))
        self._cpu_since = now
        self._cpu = [(t, d, b) for t, d, b in self._cpu if now - t < window_s]
        seconds = sum(d for _, d, _ in self._cpu)
        if seconds < window_s / 2:
            return None
        return sum(d * b for _, d, b in self._cpu) / seconds

    def probe(self) -> ProbeResult:
        ps = self.psutil
        res = ProbeResult(checked={"disk", "memory", "cpu", "load", "temperature"})
        try:
            usage = shutil.disk_usage(self.data_dir)
            used = 100.0 * (usage.total - usage.free) / usage.total if usage.total else None
        except OSError as exc:
            log.warning("disk usage of %s: %s", self.data_dir, exc)
            used = None
        if used is not None:
            res.metrics["disk_used_pct"] = used
            res.metrics["disk_free_mb"] = usage.free / 2**20
            free_mb = usage.free / 2**20
            res.observations.append(Observation(
                "disk", str(self.data_dir), value=used,
                text=_disk_text(self.data_dir, used, free_mb)))
        mem = ps.virtual_memory().percent
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
        res.metrics.update({"memory_used_pct": mem, "load_per_core": load})
        res.observations += [Observation("memory", "", value=mem),
                             Observation("load", "", value=load)]
        cpu = self._cpu_minute()
        if cpu is not None:    # a burst of a few seconds is normal; a busy minute is not
            res.metrics["cpu_pct"] = cpu
            res.observations.append(Observation("cpu", "", value=cpu))
        temps = getattr(ps, "sensors_temperatures", lambda: {})()
        values = [t.current for entries in temps.values() for t in entries
                  if t.current is not None and -40 < t.current < 150]
        if values:
            res.metrics["cpu_temp_c"] = max(values)
            res.observations.append(Observation("temperature", "", value=max(values)))
        return res


def _disk_text(path: Path, used: float, free_mb: float) -> str:
    return f"data partition {path}: {used:.0f}% used, {free_mb:.0f} MB free"


def sensors_probe(**kwargs) -> ProbeResult:
    """Environment sensors (hal.sensors): temperatures by sensor name."""
    res = ProbeResult()
    res.checked.add("sensor")
    try:
        readings = hal_sensors.read_all(**kwargs)
    except Exception as exc:
        log.warning("reading sensors failed: %s", exc)
        res.checked.discard("sensor")
        return res
    for r in readings:
        # environment sensors sit on I2C; CPU and disk chips are the "temperature" check's
        if r.kind != "temperature" or not ("i2c" in r.source or "i2c-" in r.sensor):
            continue
        value = None if r.error else r.value
        res.observations.append(Observation(
            "sensor", r.sensor, value=value,
            text="" if value is None else f"sensor {r.sensor}: {value:.1f} {r.unit}"))
        if value is not None:
            res.metrics[f"sensor_{r.sensor}"] = value
    return res


# -- GSM, DAHDI, security, services ---------------------------------------------------------

GSM_ADVICE = {
    "absent": "modem not found; check the USB cable and power",
    "pin_required": "the SIM card needs its PIN; enter it in the panel",
    "pin_rejected": "the SIM card refused the PIN; enter the right one in the panel "
                    "(it is never retried by itself)",
    "puk_required": "the SIM card is locked (PUK needed); unlock it in a phone",
    "no_sim": "no SIM card in the modem",
    "not_registered": "the modem is not registered in the mobile network; check the antenna",
    "error": "the modem reports an error",
    "starting": None,
}


def gsm_probe(db) -> ProbeResult:
    res = ProbeResult()
    res.checked |= {"gsm", "gsm_signal"}
    try:
        modems = store_sms.modems(db)
    except Exception as exc:
        log.warning("reading modem states failed: %s", exc)
        return ProbeResult()
    for m in modems:
        name = m.get("name") or m.get("port") or "modem"
        state = m.get("state")
        if state == "starting":
            res.observations.append(Observation("gsm", name, ok=None))
        else:
            ok = state == "ready"
            advice = GSM_ADVICE.get(state) or f"state {state}"
            detail = f" ({m['last_error']})" if m.get("last_error") and not ok else ""
            res.observations.append(Observation(
                "gsm", name, ok=ok, text="" if ok else f"GSM modem {name}: {advice}{detail}"))
        rssi = m.get("rssi")
        if state == "ready" and rssi is not None and 0 <= rssi <= 31:
            res.observations.append(Observation(
                "gsm_signal", name, value=float(rssi),
                text=f"GSM modem {name}: signal {rssi}/31"
                     + (f" ({m['dbm']} dBm)" if m.get("dbm") is not None else "")))
            res.metrics[f"gsm_rssi_{name}"] = float(rssi)
    return res


def dahdi_probe(proc_root: str = "/proc/dahdi") -> ProbeResult:
    res = ProbeResult()
    if not os.path.isdir(proc_root):
        return res
    res.checked.add("dahdi")
    try:
        spans = hal_dahdi.alarms(proc_root=proc_root)
    except Exception as exc:
        log.warning("reading DAHDI alarms failed: %s", exc)
        return ProbeResult()
    for span, alarms in spans.items():
        res.observations.append(Observation(
            "dahdi", str(span), ok=not alarms,
            text="" if not alarms else f"DAHDI span {span}: {', '.join(alarms)} alarm; "
                                       "check the line cable and the provider"))
    return res


def security_probe(guard) -> ProbeResult:
    """Findings of `watchdog.security.AuthGuard.check()`: (check, severity, text)."""
    res = ProbeResult(checked={"security"})
    try:
        findings = guard.check()
    except Exception as exc:
        log.warning("security check failed: %s", exc)
        return ProbeResult()
    for problem in findings:
        check, severity, text = problem[0], problem[1], problem[2]
        subject = getattr(problem, "subject", "") or text
        res.observations.append(Observation(check if check == "security" else "security",
                                            subject, ok=False, text=text, severity=severity))
    return res


def systemd_services(names: tuple[str, ...]) -> Callable[[], dict[str, bool]]:
    """On the box: is each unit active?  (One `systemctl is-active` for all of them.)
    Units this image does not have are left out."""
    dirs = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
    names = tuple(n for n in names if any(os.path.exists(f"{d}/{n}.service") for d in dirs))

    def check() -> dict[str, bool]:
        if not names:
            return {}
        out = subprocess.run(["systemctl", "is-active", *names], capture_output=True,
                             text=True, timeout=10)
        states = out.stdout.split()
        return {n: (states[i] if i < len(states) else "") in ("active", "reloading",
                                                              "activating")
                for i, n in enumerate(names)}
    return check


def services_probe(check: Callable[[], dict[str, bool]]) -> ProbeResult:
    res = ProbeResult(checked={"service"})
    try:
        states = check()
    except Exception as exc:
        log.warning("service states unknown: %s", exc)
        return ProbeResult()
    for name, ok in states.items():
        res.observations.append(Observation("service", name, ok=ok,
                                            text="" if ok else f"service {name} is not running"))
    return res
