"""jns-watchdog: the loop that looks at the box, raises and resolves alerts, notifies,
restarts what died, and decides whether the box needs a reboot (WD-1..4, HAL-3).

Rhythm: every `fast_s` (1 s) it checks that the Asterisk process is alive — a dead
Asterisk is seen within about a second; every `slow_s` (10 s) it runs the other monitors
(AMI ping, channels, trunk registrations, disk, memory, CPU, load, temperatures, sensors,
GSM, DAHDI, security, services); every `sample_s` (30 s) it stores the numbers for the
charts.  Alerts: see rules.py (pure) and notify.py (e-mail, SMS, LEDs).

Restarts: on the box systemd already restarts Asterisk (Restart=always, RestartSec=2), so
the watchdog first waits `restart_wait_s` for that, and only then restarts it itself
(`systemctl restart jns-asterisk`; the restarter is injectable: the tests restart the
devbox's Asterisk) — at most once per `restart_retry_s`, and it says so in the alert.

Hardware watchdog (HAL-3), in three layers:
1. systemd (PID 1) kicks /dev/watchdog (RuntimeWatchdogSec=30s in system.conf.d/jns.conf):
   a hung kernel or PID 1 ends in a hardware reset; RebootWatchdogSec=2min bounds a hung
   shutdown.
2. This service pings its own WatchdogSec (sd_notify WATCHDOG=1) each round while its loop
   runs and the box does not need a reboot: a hung watchdog is restarted by systemd.
3. A lasting unhealthy state that a reboot can cure (Asterisk or a box service that will
   not stay up despite restarts, memory exhausted) ends in a reboot only when it is safe:
   it lasted `reboot_after_s` (15 min), no call is up, no firmware update is running, the
   box has been up for `min_uptime_s` (no boot loops) and fewer than `max_reboots_per_day`
   watchdog reboots happened in the last 24 h.  Then the reason is written to
   `reboot_log`, the alert is sent (and mail flushed), pings stop and the box reboots
   (`systemctl reboot`, injectable).  A full disk or a missing trunk never reboots the box.
After boot it reports (alert "reboot") when the last reboot was its own decision
(`reboot_log`) or a hardware watchdog reset (WDIOF_CARDRESET in
/sys/class/watchdog/watchdog0/bootstatus, or WDIOC_GETBOOTSTATUS on /dev/watchdog when
sysfs lacks it and nobody holds the device).

It never changes configuration and never blocks on a notification.
"""
from __future__ import annotations

import fcntl
import logging
import os
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from .. import sdnotify
from ..store import alerts as store_alerts
from ..store.db import open_db
from ..hal import dahdi
from ..hal import sensors as hal_sensors
from ..hal import status as hal_status
from . import monitors, rules
from .notify import Notifier
from .security import AuthGuard
from .rules import AlertState, Observation, Transition

log = logging.getLogger("jns.watchdog")

REBOOT_CURABLE = ("asterisk", "service", "memory")
BOX_SERVICES = ("jns-agid", "jns-web", "jns-modemd", "jns-calld")   # besides Asterisk
WDIOF_CARDRESET = 0x0020
WDIOC_GETBOOTSTATUS = 0x80045702   # _IOR('W', 2, int)


def systemctl_restart(name: str) -> None:
    """The box's restarter: `asterisk` -> jns-asterisk; other names are unit names.
    reset-failed first: a unit systemd gave up on (start limit hit) would refuse."""
    unit = "jns-asterisk" if name == "asterisk" else name
    subprocess.run(["systemctl", "reset-failed", unit], check=False, capture_output=True,
                   timeout=30)
    subprocess.run(["systemctl", "restart", "--no-block", unit], check=True,
                   capture_output=True, text=True, timeout=30)


def systemctl_reboot(reason: str) -> None:
    subprocess.run(["systemctl", "reboot"], check=False, timeout=30)


def hardware_reset_flag(sysfs: str | os.PathLike = "/sys/class/watchdog/watchdog0",
                        device: str | os.PathLike = "/dev/watchdog") -> bool | None:
    """Was the last reboot a hardware watchdog reset?  None: cannot tell on this box."""
    status = Path(sysfs) / "bootstatus"
    try:
        return bool(int(status.read_text().strip(), 0) & WDIOF_CARDRESET)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.debug("%s: %s", status, exc)
        return None
    if not os.path.exists(device):
        return None
    try:   # opening arms the timer: ask, then disarm with the magic close ("V")
        fd = os.open(device, os.O_WRONLY)
    except OSError as exc:          # EBUSY: systemd holds it (RuntimeWatchdogSec)
        log.debug("%s: %s", device, exc)
        return None
    try:
        buf = fcntl.ioctl(fd, WDIOC_GETBOOTSTATUS, struct.pack("i", 0))
        return bool(struct.unpack("i", buf)[0] & WDIOF_CARDRESET)
    except OSError:
        return None
    finally:
        try:
            os.write(fd, b"V")
        finally:
            os.close(fd)


class Watchdog:
    """One watchdog over one box.  Everything that touches the world is a parameter."""

    def __init__(self, db_path: str | os.PathLike, *, data_dir: str | os.PathLike,
                 asterisk_alive: Callable[[], bool] | None = None, ami=None,
                 restarter: Callable[[str], None] | None = systemctl_restart,
                 services: Callable[[], dict[str, bool]] | None = None,
                 security_guard=None, leds_root: str | None = "/sys/class/leds",
                 alarms_log: str | os.PathLike | None = None,
                 recordings_dirs: tuple[str | os.PathLike, str | os.PathLike] | None = None,
                 sensors: bool | dict = True, dahdi_root: str = "/proc/dahdi",
                 reboot: Callable[[str], None] | None = systemctl_reboot,
                 reboot_log: str | os.PathLike | None = None,
                 update_marker: str | os.PathLike = "/run/jns-update-in-progress",
                 watchdog_sysfs: str | os.PathLike = "/sys/class/watchdog/watchdog0",
                 watchdog_device: str | os.PathLike = "/dev/watchdog",
                 fast_s: float = 1.0, slow_s: float = 10.0, sample_s: float = 30.0,
                 restart_wait_s: float = 10.0, restart_retry_s: float = 60.0,
                 ami_grace_s: float = 90.0, startup_grace_s: float = 0.0,
                 reboot_after_s: float = 900.0, min_uptime_s: float = 1800.0,
                 max_reboots_per_day: int = 3, keep_samples_days: float = 400,
                 ping: Callable[..., object] = sdnotify.notify,
                 hostname: str | None = None, smtp_timeout: float = 15.0,
                 hardware_status: str | os.PathLike | None = None,
                 close_with: tuple = ()):
        self.db_path = os.fspath(db_path)
        self.close_with = close_with      # e.g. the AMI client made for this watchdog
        self.db = open_db(self.db_path)
        self.data_dir = Path(data_dir)
        self.asterisk_alive = asterisk_alive
        self.ami_probe = monitors.AsteriskProbe(ami) if ami is not None else None
        self.restarter = restarter
        self.services = services
        self.guard = security_guard
        self.alarms_log = Path(alarms_log) if alarms_log else None
        self.recordings_dirs = recordings_dirs
        self.use_sensors = sensors
        # the panel and console cannot read I2C or run dahdi_scan (no root): we write what we
        # see to this JSON file (hal.status) for them; None = nobody reads it (tests)
        self.hardware_status = hardware_status
        self._hardware_written = float("-inf")
        self.dahdi_root = dahdi_root
        self.reboot = reboot
        self.reboot_log = Path(reboot_log) if reboot_log else self.data_dir / "watchdog-reboots.log"
        self.update_marker = Path(update_marker)
        self.watchdog_sysfs, self.watchdog_device = watchdog_sysfs, watchdog_device
        self.fast_s, self.slow_s, self.sample_s = fast_s, slow_s, sample_s
        self.restart_wait_s, self.restart_retry_s = restart_wait_s, restart_retry_s
        self.ami_grace_s, self.startup_grace_s = ami_grace_s, startup_grace_s
        self._started = time.monotonic()
        self.reboot_after_s, self.min_uptime_s = reboot_after_s, min_uptime_s
        self.max_reboots_per_day = max_reboots_per_day
        self.keep_samples_s = keep_samples_days * 86400
        self.ping = ping
        self.system = monitors.SystemProbe(self.data_dir)
        self.notifier = Notifier(self.db_path, leds_root=leds_root, hostname=hostname,
                                 smtp_timeout=smtp_timeout)
        self.rules = {r["check"]: r for r in store_alerts.rules(self.db)}
        self.state: dict[tuple[str, str], AlertState] = self._resume()
        self.metrics: dict[str, float] = {}
        self.restarts = 0               # restarts this watchdog made (status, tests)
        self.rebooting: str | None = None
        self.detections: list[dict] = []  # asterisk deaths seen: when, latency facts
        self._last_alive: float | None = None
        self._alive_since: float | None = None   # monotonic: when the process was seen up
        self._dead_since: float | None = None
        self._last_restart = float("-inf")
        self._restart_note: str = ""
        self._unhealthy_since: float | None = None
        self._service_down: dict[str, float] = {}
        self._service_restarted: dict[str, float] = {}
        self._boot_report: tuple[str, str] | None = None
        self._slow_progress = time.monotonic()
        # a slow round takes a few AMI timeouts at worst; far longer means it hangs
        self.slow_stuck_s = max(120.0, 6 * slow_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._slow: threading.Thread | None = None
        self._lock = threading.RLock()   # state and the DB connection, shared by two threads

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "Watchdog":
        self._thread = threading.Thread(target=self.run, name="watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._slow):
            if thread:
                thread.join(timeout=30)
        self.notifier.flush(10)
        self.notifier.close()
        for thing in self.close_with:
            thing.close()
        self.db.conn.close()

    def run(self) -> None:
        """Until stop(): fast rounds every fast_s here; slow rounds and samples in a thread
        of their own, so a slow AMI answer never delays noticing a dead Asterisk."""
        self._boot_report = self.boot_report()
        self.ping("READY=1", "STATUS=watching")
        self._slow_progress = time.monotonic()
        slow = self._slow = threading.Thread(target=self._slow_loop, name="watchdog-slow",
                                             daemon=True)
        slow.start()
        while not self._stop.is_set():
            try:
                if self.asterisk_alive is not None:
                    self.fast_round()
            except Exception:
                log.exception("watchdog round failed; next round continues")
            if not slow.is_alive():
                log.error("the slow checks stopped; systemd restarts the watchdog")
                break
            stuck = time.monotonic() - self._slow_progress > self.slow_stuck_s
            if stuck:   # no WATCHDOG=1: systemd restarts a watchdog whose checks hang
                self.ping(f"STATUS=checks stuck for {time.monotonic() - self._slow_progress:.0f} s")
            elif self.rebooting is None:
                bad = [f"{s.check}{'/' + s.subject if s.subject else ''}"
                       for s in list(self.state.values()) if s.severity != "info"]
                self.ping("WATCHDOG=1", "STATUS=" + ("healthy" if not bad else
                                                     "problems: " + ", ".join(bad)[:200]))
            self._stop.wait(self.fast_s)

    def _slow_loop(self) -> None:
        next_sample = time.monotonic()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.slow_round()
                if time.monotonic() >= next_sample:
                    next_sample = time.monotonic() + self.sample_s
                    self.record_samples()
            except Exception:
                log.exception("watchdog checks failed; next round continues")
            self._slow_progress = time.monotonic()   # the loop goes round: not hung
            self._stop.wait(max(0.1, self.slow_s - (time.monotonic() - started)))

    # -- rounds ------------------------------------------------------------------------------

    def fast_round(self, now: float | None = None) -> None:
        """Asterisk process alive?  Restarts it when it stays dead."""
        now = time.time() if now is None else now
        alive = bool(self.asterisk_alive())
        text = ""
        if alive:
            if self._alive_since is None or self._dead_since is not None:
                self._alive_since = time.monotonic()
            if self._dead_since is not None:
                down = now - self._dead_since
                text = f"Asterisk is running again after {down:.0f} s{self._restart_note}"
            self._last_alive, self._dead_since, self._restart_note = now, None, ""
        elif (self._last_alive is None
              and time.monotonic() - self._started < self.startup_grace_s):
            return     # the box is still starting Asterisk: not a death yet
        else:
            if self._dead_since is None:
                self._dead_since = now
                last = (time.strftime("%H:%M:%S", time.localtime(self._last_alive))
                        + f".{int(self._last_alive % 1 * 1000):03d}"
                        if self._last_alive else "never seen running")
                self.detections.append({"detected_at": now, "last_alive": self._last_alive})
                log.error("Asterisk process is not running (last seen running: %s)", last)
            text = "Asterisk process is not running" + (
                f"; last seen running {time.strftime('%H:%M:%S', time.localtime(self._last_alive))}"
                if self._last_alive else "") + self._restart_note
        self.metrics["asterisk_up"] = 1.0 if alive else 0.0
        self._evaluate([Observation("asterisk", "process", ok=alive, text=text)], (), now)
        if not alive:
            self._maybe_restart(now)

    def _maybe_restart(self, now: float) -> None:
        if self.restarter is None or self._dead_since is None:
            return
        if now - self._dead_since < self.restart_wait_s:
            return      # systemd may be restarting it right now: do not fight it
        if now - self._last_restart < self.restart_retry_s:
            return
        self._last_restart = now
        self.restarts += 1
        st = self.state.get(("asterisk", "process"))
        try:
            self.restarter("asterisk")
            line = f"watchdog restarted Asterisk (attempt {self.restarts})"
            log.warning(line)
            self._restart_note = (f"; restarted by the watchdog at "
                                  f"{time.strftime('%H:%M:%S', time.localtime(now))}")
        except Exception as exc:
            line = f"watchdog could not restart Asterisk: {exc}"
            log.error(line)
        self._alarm("INFO", "asterisk", line)
        if st and st.alert_id:
            with self._lock:
                store_alerts.note_notified(self.db, st.alert_id, line)
                store_alerts.update_alert(
                    self.db, st.alert_id, text=f"Asterisk process is not running{self._restart_note}")

    def _restart_services(self, observations, now: float) -> None:
        """A box service systemd did not bring back within restart_wait_s: restart it."""
        for obs in observations:
            if obs.check != "service":
                continue
            if obs.ok is not False:
                self._service_down.pop(obs.subject, None)
                continue
            since = self._service_down.setdefault(obs.subject, now)
            last = self._service_restarted.get(obs.subject, float("-inf"))
            if (self.restarter is None or now - since < self.restart_wait_s
                    or now - last < self.restart_retry_s):
                continue
            self._service_restarted[obs.subject] = now
            try:
                self.restarter(obs.subject)
                line = f"watchdog restarted {obs.subject}"
            except Exception as exc:
                line = f"watchdog could not restart {obs.subject}: {exc}"
            log.warning(line)
            self._alarm("INFO", f"service/{obs.subject}", line)
            st = self.state.get(("service", obs.subject))
            if st and st.alert_id:
                with self._lock:
                    store_alerts.note_notified(self.db, st.alert_id, line)

    def slow_round(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.rules = {r["check"]: r for r in store_alerts.rules(self.db)}
        self._sync_acknowledged()
        snap = monitors.Snapshot(now)
        if self.ami_probe is not None:
            process_ok = self.asterisk_alive() if self.asterisk_alive else True
            starting = (self._alive_since is not None
                        and time.monotonic() - self._alive_since < self.ami_grace_s)
            snap.add(self.ami_probe.probe(process_ok, starting))
        snap.add(self.system.probe())
        if self.use_sensors:   # True, or hal.sensors.read_all's arguments (buses, roots)
            snap.add(monitors.sensors_probe(**(self.use_sensors if isinstance(
                self.use_sensors, dict) else {})))
        snap.add(monitors.gsm_probe(self.db))
        snap.add(monitors.dahdi_probe(self.dahdi_root))
        if self.guard is not None:
            snap.add(monitors.security_probe(self.guard))
        if self.services is not None:
            snap.add(monitors.services_probe(self.services))
        if self._boot_report is not None:
            severity, text = self._boot_report
            st = self.state.get(("reboot", ""))
            ok = bool(st and st.acknowledged)
            snap.observations.append(Observation("reboot", "", ok=ok, text=text,
                                                 severity=severity))
            snap.checked.add("reboot")
            if ok:
                self._boot_report = None
        self.metrics.update(snap.metrics)
        self._evaluate(snap.observations, snap.checked, now)
        self._restart_services(snap.observations, now)
        with self._lock:
            store_alerts.touch_open(self.db, now)
            self.notifier.show_leds(self._open_for_leds())
        self._write_hardware_status(now)
        self._reboot_decision(now)

    def _write_hardware_status(self, now: float) -> None:
        if self.hardware_status is None or now - self._hardware_written < self.sample_s:
            return
        self._hardware_written = now
        try:
            leds = self.notifier.leds.current() if self.notifier.leds is not None else ""
            kwargs = self.use_sensors if isinstance(self.use_sensors, dict) else {}
            hal_status.write(hal_status.collect(
                leds=leds, read_sensors=lambda: hal_sensors.read_all(**kwargs),
                scan_dahdi=lambda: dahdi.scan(proc_root=self.dahdi_root)), self.hardware_status)
        except Exception:
            log.exception("writing the hardware snapshot for the panel failed")

    def record_samples(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:   # one connection, two threads: writes take turns
            if self.metrics:
                store_alerts.record_samples(self.db, dict(self.metrics), now)
            if int(now) % 86400 < self.sample_s:   # once a day
                store_alerts.prune_samples(self.db, now - self.keep_samples_s)

    # -- alerts ------------------------------------------------------------------------------

    def _evaluate(self, observations, checked, now: float) -> list[Transition]:
        with self._lock:
            result = rules.evaluate(observations, self.rules, self.state, now, checked=checked)
            self.state = result.state
            for t in result.transitions:
                self._record(t, now)
            if result.transitions:
                self.notifier.show_leds(self._open_for_leds())
        return result.transitions

    def _record(self, t: Transition, now: float) -> None:
        key = t.key
        if t.kind == "raised":
            alert_id = store_alerts.open_alert(self.db, t.check, t.subject, t.severity, t.text,
                                               since=t.since, value=t.value, detected_at=now)
            self.state[key].alert_id = alert_id
        else:
            alert_id = t.alert_id
            if alert_id is None:
                log.warning("transition %s for %s without an alert row", t.kind, key)
                return
            if t.kind == "resolved":
                store_alerts.resolve_alert(self.db, alert_id, at=now, text=t.text)
            else:
                store_alerts.update_alert(self.db, alert_id, severity=t.severity, text=t.text,
                                          value=t.value, at=now)
        level = "OK" if t.kind == "resolved" else t.severity.upper()
        prefix = {"repeat": "still: ", "escalated": "escalated: "}.get(t.kind, "")
        self._alarm(level, t.check + (f"/{t.subject}" if t.subject else ""), prefix + t.text)
        self.notifier.deliver(t, alert_id)
        if t.check == "disk" and t.severity == "critical" and t.kind in (
                "raised", "changed", "escalated"):
            self._disk_guard(alert_id)

    def _disk_guard(self, alert_id: int) -> None:
        """A critical disk runs the recordings guard now (not at the next hourly pass)."""
        if self.recordings_dirs is None:
            return
        from ..telephony import recordings
        monitor, archive = self.recordings_dirs
        try:
            done = recordings.apply_policy(self.db, monitor, archive)
            removed = done["guard_archived_deleted"] + done["guard_deleted"]
            line = (f"recordings guard removed the {removed} oldest recordings" if removed else
                    "recordings guard: nothing removed (free space is above the minimum "
                    "set for recordings)")
        except Exception as exc:
            line = f"recordings guard failed: {exc}"
            log.exception("recordings guard")
        log.warning(line)
        store_alerts.note_notified(self.db, alert_id, line)
        self._alarm("INFO", "disk", line)

    def _sync_acknowledged(self) -> None:
        with self._lock:
            acked = {a["id"] for a in store_alerts.active_alerts(self.db) if a["acknowledged_by"]}
            for st in self.state.values():
                st.acknowledged = st.alert_id in acked

    def _resume(self) -> dict[tuple[str, str], AlertState]:
        """Open alerts survive a restart of the watchdog: no duplicate rows or messages."""
        state = {}
        for a in store_alerts.active_alerts(self.db):
            if a["check"] not in store_alerts.CHECKS or a["check"] in store_alerts.CALLD_CHECKS:
                continue      # jns-calld owns the call-center alarms (queue_alarms.py)
            state[(a["check"], a["subject"])] = AlertState(
                a["check"], a["subject"], a["severity"], a["since"], a["text"],
                last_notified=a["last_seen"], peak=a["severity"],
                acknowledged=bool(a["acknowledged_by"]), alert_id=a["id"], value=a["value"])
        return state

    def _open_for_leds(self) -> list[dict]:
        """Our open alerts and jns-calld's open call-center alarms (from the DB): both
        services set the LEDs from the same open alerts, so neither undoes the other."""
        own = [{"check": s.check, "severity": s.severity} for s in self.state.values()
               if self.rules.get(s.check, {}).get("notify_led", True)]
        try:
            book = store_alerts.rule_book(self.db)
            calld = [{"check": a["check"], "severity": a["severity"]}
                     for a in store_alerts.active_alerts(self.db)
                     if a["check"] in store_alerts.CALLD_CHECKS and (
                         book.get(f"{a['check']}:{a['subject']}") or book[a["check"]]
                     )["notify_led"]]
        except Exception:
            log.exception("reading the call-center alarms for the LEDs failed")
            calld = []
        return own + calld

    def _alarm(self, level: str, check: str, text: str) -> None:
        """alarms.log: the console's "last alarms" and logs screen read it."""
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {level} {check}: {text}"
        (log.info if level in ("OK", "INFO") else log.warning)(line)
        if self.alarms_log is None:
            return
        try:
            with open(self.alarms_log, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            pass

    # -- reboot ------------------------------------------------------------------------------

    def boot_report(self) -> tuple[str, str] | None:
        """(severity, text) when the last reboot was the watchdog's doing, else None."""
        try:
            import psutil
            booted = psutil.boot_time()
        except Exception:
            booted = 0.0
        last = self._reboot_entries()[-1:] if self.reboot_log.exists() else []
        if last and booted and last[0][0] <= booted:
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(last[0][0]))
            if not self._reported(last[0][0]):
                self._mark_reported(last[0][0])
                return ("info", f"the box was rebooted by the watchdog at {stamp}: "
                                f"{last[0][1]}")
        flag = hardware_reset_flag(self.watchdog_sysfs, self.watchdog_device)
        if flag and not self._reported(booted):
            self._mark_reported(booted)
            return ("warning", "the last restart was a hardware watchdog reset: the system "
                               "hung; if it repeats, check power, temperature and the logs")
        return None

    def _reported(self, when: float) -> bool:
        return (store_alerts.get_setting(self.db, "alerts.boot_reported") or "") == f"{when:.0f}"

    def _mark_reported(self, when: float) -> None:
        from ..store.db import set_setting
        set_setting(self.db, "alerts.boot_reported", f"{when:.0f}")

    def _reboot_entries(self) -> list[tuple[float, str]]:
        out = []
        try:
            for line in self.reboot_log.read_text(encoding="utf-8").splitlines():
                at, _, reason = line.partition(" ")
                out.append((float(at), reason))
        except (OSError, ValueError):
            pass
        return out

    def reboot_safe(self, now: float) -> str | None:
        """None when a reboot is safe now; else why not."""
        calls = self.metrics.get("calls", 0.0)
        if self.state.get(("asterisk", "process")) is None and calls > 0:
            return f"{calls:.0f} calls are up"
        if self.update_marker.exists():
            return "a firmware update is running"
        try:
            import psutil
            if now - psutil.boot_time() < self.min_uptime_s:
                return "the box started only recently (no reboot loops)"
        except Exception:
            pass
        recent = [at for at, _ in self._reboot_entries() if now - at < 86400]
        if len(recent) >= self.max_reboots_per_day:
            return f"already {len(recent)} watchdog reboots in the last 24 h"
        return None

    def _reboot_decision(self, now: float) -> None:
        curable = [s for s in list(self.state.values())
                   if s.check in REBOOT_CURABLE and s.severity == "critical"]
        if not curable:
            self._unhealthy_since = None
            return
        self._unhealthy_since = self._unhealthy_since or min(s.since for s in curable)
        if self.reboot is None or self.rebooting or now - self._unhealthy_since < self.reboot_after_s:
            return
        why_not = self.reboot_safe(now)
        if why_not:
            log.warning("box unhealthy for %.0f min, no reboot: %s",
                        (now - self._unhealthy_since) / 60, why_not)
            return
        reason = "; ".join(s.text for s in curable)[:300]
        self.rebooting = reason
        with open(self.reboot_log, "a", encoding="utf-8") as fh:
            fh.write(f"{now:.0f} {reason}\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._alarm("CRITICAL", "reboot", f"rebooting the box: {reason}")
        with self._lock:
            for s in curable:
                if s.alert_id:
                    store_alerts.note_notified(self.db, s.alert_id, "watchdog reboots the box")
        self.notifier.flush(30)
        self.ping("STATUS=rebooting: " + reason[:200])
        self.reboot(reason)


def run_box(data: Path, db_path: Path, layout, *, grace_s: float = 0) -> None:
    """`python3 -m appliance.box watchdog` on the box (systemd unit jns-watchdog)."""
    from ..telephony.ami import AMIClient
    ami = AMIClient("127.0.0.1", layout.ami_port, layout.ami_user, layout.ami_secret,
                    name="watchdog").start()
    guard = AuthGuard(open_db(db_path)).attach(ami)
    asterisk_root = Path(layout.root)
    wd = Watchdog(
        db_path, data_dir=data,
        asterisk_alive=monitors.pidfile_alive(asterisk_root / "run" / "asterisk.pid"),
        ami=ami, services=monitors.systemd_services(BOX_SERVICES), startup_grace_s=180,
        security_guard=guard, alarms_log=data / "alarms.log",
        recordings_dirs=(asterisk_root / "spool" / "monitor", data / "archive" / "recordings"),
        hardware_status=os.environ.get("JNS_HARDWARE_STATUS") or "/run/jns/hardware.json")
    wd.run()
