"""Watchdog and modem service: fault detection latency, their RSS/CPU, SMS driver overhead.

    .venv/bin/python -m bench.hal            # writes build/bench/hal.json (needs root: tmpfs)

What runs, all of it the box's code:
- a DevBox: real Asterisk 22 from build/rootfs, FastAGI, the ConfigApplier that renders
  what the database says into Asterisk (it is what makes Asterisk refuse a blocked source);
- the watchdog service in its own process (bench/hal_watchdog.py, built like
  service.run_box: its own AMI client, AuthGuard, pid-file process check, fast 1 s / slow
  10 s / samples 30 s) - never inside this process, so its RSS and CPU are its own;
- the modem service, `python -m appliance.hal.modemd --db DB --dev-dir DIR` (supervisor +
  one owner process per port; scan every 3 s, the box's default), owning a ModemSim
  ("generic" personality: 10 ms per response, send_delay_s D = 0.2 s from AT+CMGS's PDU to
  the network's +CMGS answer, delivery report 0.3 s later) on a pseudo-terminal;
- the data partition the disk check watches is a 16 MB tmpfs (root needed).
The machine's own state (memory, CPU, load, CPU temperature, AMI answer time) is not a
fault under test: those rules are disabled, as in tests/test_watchdog_faults.py.  No alert
is sent anywhere (no SMTP, no SMS number), so the SMS burst is only the bench's messages.

1. Detection latency per fault class, `--reps` (3) times each, min/median/max, always from
   the moment the bench caused the fault (time.time()) to `detected_at` of the alert row the
   watchdog wrote (the `now` its round began with), and row_seen_s: when the bench, reading
   the database every 0.1 s, saw the row (an upper bound):
   asterisk_killed      SIGKILL to the Asterisk process (pid namespace init; the namespace
                        dies with it); polled by the fast check every 1 s.  The bench then
                        starts Asterisk again (systemd's job on the box) and waits until the
                        alert is resolved.  Runs last of the Asterisk faults: a restarted
                        Asterisk gets 90 s of AMI grace.
   ami_hung             SIGSTOP to Asterisk (the process is there, AMI does not answer);
                        slow check every 10 s + the AMI ping timeout (3 s).  The LM75 is
                        made hot at the same moment, to see whether the other slow checks
                        go on meanwhile.  SIGCONT after the alert, or after 40 s without one
                        (then recorded as not detected, and not repeated).
   sip_auth_flood       SIPp REGISTERs with a wrong password from 127.0.0.5
                        (tests/sipp/register_flood.xml, threshold+5 of them at 20/s), from
                        starting SIPp to the "security" alert (slow check), and to Asterisk
                        answering that source's REGISTER with 403 (the guard blocks at the
                        threshold-th failure it hears over AMI, the applier renders the ACL
                        and reloads: no polling of ours in that path).  The bench unblocks
                        the source afterwards (store.security.unblock_source).
   disk_critical        a file that takes the tmpfs past the critical threshold (97 % used,
                        critical 95 %) at once; slow check.
   sensor_over_temp     the LM75's temperature set to 70 °C (critical 55 °C); slow check.
   dahdi_span_alarm     a /proc/dahdi span file in RED alarm appears (a real B410P sample
                        from tests/data/dahdi); slow check.
   modem_unplugged      ModemSim.unplug(): the owner gets EIO, writes state "absent" and
                        exits; the "gsm" alert at the next slow check.  modemd_s is the
                        owner's part (up to the modems row changing), the rest is polling.
   gsm_deregistered     ModemSim.deregister(): +CREG URC, the owner writes "not_registered";
                        split like modem_unplugged.
   The slow-check classes run in rounds: in each round the disk, sensor and DAHDI faults and
   one modem fault (unplug and deregistration alternate) are caused at independent random
   moments within one slow interval (10 s), so each sample has its own phase against the
   watchdog's 10 s rhythm; the checks are independent of each other.  Then all are cleared
   and the bench waits until every alert is resolved and the modem is ready again.
   The polling interval is by design: polled_every_s in the JSON; the expected latency of a
   polled check is about half of it on average, the whole of it at worst.
2. RSS and CPU of the watchdog process and of the modem service (supervisor + owner, summed
   and each), with psutil: RSS sampled every 0.5 s (max and at the end), USS at the end, CPU
   seconds (user+system) over the window and as % of one core.  Windows: idle (--idle-s,
   60 s, nothing happening, modem ready) and two SMS bursts of 100 messages queued at once
   through store.sms.queue_sms until every one is delivered (the simulator's delivery
   reports): first with the box's default rate limits (gsm.min_interval_s 2 s between
   messages, 120 per hour) - how the box sends a burst - then with the limits off
   (min_interval_s 0, max_per_hour 1e6; the modem service is restarted because an owner
   reads the settings at start and then once a minute).
3. SMS driver overhead: in the limits-off burst, the time between two consecutive messages
   the network accepted (simulator timestamps, so the queue's 2 s idle poll before the
   first message is not counted) minus D is the overhead per message: everything but the
   network's D - the simulator's two 10 ms answers (prompt, +CMGS), the driver, the
   database writes (claim, parts, sending, sent, message sent) and the delivery report
   handling in between.  AT commands per SMS are counted from the simulator's command log.
   And per AT command round trip: a separate process (`--at-probe`, the driver alone, as
   the owner uses it) opens a second simulated modem and times 200 x AT+CSQ and 20 single
   part sends; the simulator's own delay (10 ms per answer; D + 2 x 10 ms per send) is
   subtracted.
The machine is shared: the load average before and after each phase is in the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from appliance.devbox import DevBox, free_port
from appliance.hal import gsm, pdu
from appliance.hal.modemsim import ModemSim
from appliance.store import alerts, security, sms
from appliance.store.db import set_setting
from appliance.telephony.chroot import _child_pid

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
ATTACKER = "127.0.0.5"
NUMBER = "+48600100200"
SLOW_S, FAST_S, AMI_TIMEOUT_S, AMI_GRACE_S = 10.0, 1.0, 3.0, 90.0
DAHDI_SAMPLE = ROOT / "tests" / "data" / "dahdi" / "b410p" / "proc" / "2"
GOALS = {"asterisk_killed_max_s": 5.0}     # issue 5: "kill Asterisk -> detected in <= 5 s"


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": round(min(values), 3),
            "median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- process resources ---------------------------------------------------------------------

class ProcWatch:
    """RSS (sampled) and CPU seconds of a process and its children over a window."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.root] + self.root.children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def start(self) -> "ProcWatch":
        self.t0 = time.monotonic()
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.rss_max = 0
        for p in self._tree():
            self._cpu(p, first=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _cpu(self, p: psutil.Process, first: bool = False) -> None:
        try:
            t = p.cpu_times()
        except psutil.Error:
            return
        if p.pid not in self.base:   # a process born in the window counts from zero
            self.base[p.pid] = t.user + t.system if first else 0.0
            self.names[p.pid] = " ".join(p.cmdline()[-3:])
        self.last[p.pid] = t.user + t.system

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            rss = 0
            for p in self._tree():
                self._cpu(p)
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            self.rss_max = max(self.rss_max, rss)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        window = time.monotonic() - self.t0
        per, rss_end, uss_end = [], 0, 0
        for p in self._tree():
            self._cpu(p)
            try:
                full = p.memory_full_info()
            except psutil.Error:
                continue
            cpu = self.last[p.pid] - self.base[p.pid]
            rss_end += full.rss
            uss_end += full.uss
            per.append({"pid": p.pid, "cmd": self.names.get(p.pid, ""),
                        "rss_mb": round(full.rss / 2**20, 1), "uss_mb": round(full.uss / 2**20, 1),
                        "cpu_s": round(cpu, 3)})
        cpu_s = sum(self.last[pid] - self.base[pid] for pid in self.last)
        return {"window_s": round(window, 1), "cpu_s": round(cpu_s, 3),
                "cpu_pct_of_one_core": round(100 * cpu_s / window, 2),
                "rss_mb_end": round(rss_end / 2**20, 1),
                "rss_mb_max": round(max(self.rss_max, rss_end) / 2**20, 1),
                "uss_mb_end": round(uss_end / 2**20, 1), "processes": per}


# -- the rig -------------------------------------------------------------------------------

class Rig:
    def __init__(self, work: Path, send_delay_s: float) -> None:
        self.work = work
        self.box = DevBox(work / "box")
        self.db = self.box.db
        self.data = work / "data"
        self.dahdi = work / "proc-dahdi"
        self.sensor = work / "lm75-celsius"
        self.pidfile = work / "asterisk-host.pid"
        self.dev = work / "dev"
        self.send_delay_s = send_delay_s
        self.sim: ModemSim | None = None
        self.modemd: subprocess.Popen | None = None
        self.watchdog: subprocess.Popen | None = None
        self.mounted = False
        self.watchdog_started = 0.0
        self.asterisk_started = 0.0

    def start(self) -> None:
        for d in (self.data, self.dahdi, self.dev, self.work / "wd"):
            d.mkdir(parents=True, exist_ok=True)
        self.sensor.write_text("25.0\n")
        if os.geteuid() == 0:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "jns-bench-hal",
                            str(self.data)], check=True)
            self.mounted = True
        for check in ("memory", "cpu", "load", "temperature", "ami_rtt"):
            alerts.save_rule(self.db, check, enabled=False)
        self.box.start()
        self.asterisk_up()
        self.sim = ModemSim("generic", link_dir=self.dev, send_delay_s=self.send_delay_s).start()
        self.start_modemd()
        self.start_watchdog()

    def asterisk_up(self) -> None:
        pid = _child_pid(self.box.asterisk.proc.pid)
        tmp = self.pidfile.with_suffix(".tmp")
        tmp.write_text(f"{pid}\n")
        tmp.rename(self.pidfile)
        self.asterisk_started = time.monotonic()

    def asterisk_pid(self) -> int:
        return int(self.pidfile.read_text())

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("JNS_MODEMD_SCAN_S", None)   # the box's default scan (3 s)
        return env

    def start_modemd(self) -> None:
        """Start the modem service; wait until its owner wrote "ready" (the row may still
        say "ready" from an owner before it)."""
        since = time.time()
        self.modemd = subprocess.Popen(
            [sys.executable, "-m", "appliance.hal.modemd", "--db", str(self.box.db_path),
             "--dev-dir", str(self.dev)], env=dict(self.env(), JNS_LOG_LEVEL="WARNING"),
            cwd=ROOT)
        def ready() -> bool:
            m = self.modem()
            return bool(m and m["state"] == "ready" and m["updated_at"] > since)
        if not wait_for(ready, 60, 0.2):
            raise RuntimeError(f"simulated modem not ready: {sms.modems(self.db)}")

    def stop_modemd(self) -> None:
        if self.modemd is not None and self.modemd.poll() is None:
            self.modemd.terminate()
            self.modemd.wait(timeout=20)
        self.modemd = None

    def modem(self) -> dict | None:
        rows = [m for m in sms.modems(self.db) if m["port"] == self.sim.port]
        return rows[0] if rows else None

    def modem_state(self) -> str | None:
        m = self.modem()
        return m["state"] if m else None

    def start_watchdog(self) -> None:
        lay = self.box.layout
        wd = self.work / "wd"
        self.watchdog = subprocess.Popen(
            [sys.executable, "-m", "bench.hal_watchdog", "--db", str(self.box.db_path),
             "--data", str(self.data), "--ami-port", str(lay.ami_port),
             "--ami-user", lay.ami_user, "--ami-secret", lay.ami_secret,
             "--pidfile", str(self.pidfile), "--dahdi-root", str(self.dahdi),
             "--sensor-file", str(self.sensor), "--work", str(wd),
             "--recordings", str(self.box.asterisk.recordings_dir)], env=self.env(), cwd=ROOT)
        self.watchdog_started = time.monotonic()
        # the first slow round writes the hardware snapshot
        if not wait_for(lambda: (wd / "hardware.json").exists(), 60, 0.2):
            raise RuntimeError("the watchdog process did not complete a round")

    def stop(self) -> None:
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.terminate()
            try:
                self.watchdog.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.watchdog.kill()
        self.stop_modemd()
        if self.sim is not None:
            self.sim.stop()
        try:
            os.kill(self.asterisk_pid(), signal.SIGCONT)
        except (OSError, ValueError):
            pass
        self.box.stop()
        if self.mounted:
            subprocess.run(["umount", str(self.data)], check=False)

    # -- alerts --

    def last_alert_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]

    def alert_after(self, after_id: int, check: str, subject: str | None = None) -> dict | None:
        sql = ("SELECT id, subject, severity, since, detected_at, resolved_at, text FROM alerts "
               "WHERE id > ? AND check_id = ?")
        args: list = [after_id, check]
        if subject is not None:
            sql += " AND subject = ?"
            args.append(subject)
        row = self.db.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
        if row is None:
            return None
        return dict(zip(("id", "subject", "severity", "since", "detected_at", "resolved_at",
                         "text"), row))

    def resolved(self, alert_id: int) -> bool:
        row = self.db.execute("SELECT resolved_at FROM alerts WHERE id = ?", [alert_id]).fetchone()
        return bool(row and row[0])

    def open_alerts(self) -> list[str]:
        return sorted(f"{a['check']}/{a['subject']}:{a['severity']}"
                      for a in alerts.active_alerts(self.db))


# -- 1. detection ----------------------------------------------------------------------------

def slow_rounds(rig: Rig, reps: int, rng: random.Random) -> dict[str, list[dict]]:
    """Disk, sensor, DAHDI and one modem fault per round, each at its own random moment."""
    samples: dict[str, list[dict]] = {k: [] for k in (
        "disk_critical", "sensor_over_temp", "dahdi_span_alarm", "modem_unplugged",
        "gsm_deregistered")}
    filler = rig.data / "filler.bin"
    modem_faults = ["modem_unplugged", "gsm_deregistered"]

    def fill_disk() -> None:
        st = os.statvfs(rig.data)
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        size = int(free - 0.03 * total)
        with open(filler, "wb") as fh:
            os.posix_fallocate(fh.fileno(), 0, size)

    def add_span() -> None:
        tmp = rig.dahdi / ".2.tmp"
        shutil.copy(DAHDI_SAMPLE, tmp)
        tmp.rename(rig.dahdi / "2")

    inject = {"disk_critical": (fill_disk, "disk"),
              "sensor_over_temp": (lambda: set_temp(rig, 70.0), "sensor"),
              "dahdi_span_alarm": (add_span, "dahdi"),
              "modem_unplugged": (rig.sim.unplug, "gsm"),
              "gsm_deregistered": (rig.sim.deregister, "gsm")}
    clear = {"disk_critical": lambda: filler.unlink(),
             "sensor_over_temp": lambda: set_temp(rig, 25.0),
             "dahdi_span_alarm": lambda: (rig.dahdi / "2").unlink(),
             "modem_unplugged": rig.sim.replug,
             "gsm_deregistered": rig.sim.register}
    if not rig.mounted:
        del inject["disk_critical"], samples["disk_critical"]
    for r in range(reps * 2):     # two modem faults alternate: reps of each
        classes = [c for c in inject if c not in modem_faults] + [modem_faults[r % 2]]
        plan = sorted((rng.uniform(0, SLOW_S), c) for c in classes)
        watermark = rig.last_alert_id()
        t0 = time.monotonic()
        caused: dict[str, float] = {}
        modem_changed: dict[str, float] = {}
        for offset, c in plan:
            time.sleep(max(0.0, t0 + offset - time.monotonic()))
            caused[c] = time.time()
            inject[c][0]()
        found: dict[str, dict] = {}
        seen_at: dict[str, float] = {}

        def all_seen() -> bool:
            for c in classes:
                if c not in found:
                    a = rig.alert_after(watermark, inject[c][1])
                    if a:
                        found[c], seen_at[c] = a, time.time()
                if c in modem_faults and c not in modem_changed:
                    m = rig.modem()
                    if m and m["state"] != "ready":
                        modem_changed[c] = m["updated_at"]
            return len(found) == len(classes)

        if not wait_for(all_seen, 60, 0.1):
            raise RuntimeError(f"round {r}: no alert for {set(classes) - set(found)} "
                               f"(open: {rig.open_alerts()})")
        for c in classes:
            a = found[c]
            s = {"latency_s": round(a["detected_at"] - caused[c], 3),
                 "row_seen_s": round(seen_at[c] - caused[c], 3), "severity": a["severity"],
                 "text": a["text"]}
            if c in modem_changed:
                s["modemd_s"] = round(modem_changed[c] - caused[c], 3)
                s["watchdog_poll_s"] = round(a["detected_at"] - modem_changed[c], 3)
            samples[c].append(s)
        for c in classes:
            clear[c]()
        if not wait_for(lambda: all(rig.resolved(found[c]["id"]) for c in classes)
                        and rig.modem_state() == "ready", 90, 0.2):
            raise RuntimeError(f"round {r}: faults cleared but alerts stay open: "
                               f"{rig.open_alerts()} (modem {rig.modem_state()})")
        print(f"round {r + 1}/{reps * 2}: " + ", ".join(
            f"{c} {samples[c][-1]['latency_s']:.2f}s" for c in classes), flush=True)
    return samples


def set_temp(rig: Rig, celsius: float) -> None:
    tmp = rig.sensor.with_suffix(".tmp")
    tmp.write_text(f"{celsius}\n")
    tmp.rename(rig.sensor)


def ami_hung(rig: Rig, reps: int, give_up_s: float = 40.0) -> list[dict]:
    """SIGSTOP Asterisk.  The LM75 is made hot at the same moment: its alert shows whether
    the other slow checks go on while AMI does not answer.  A hang that is not detected
    within give_up_s (3 slow rounds + the ping timeout) is recorded as such, once."""
    out = []
    for r in range(reps):
        # the watchdog gives a (re)started Asterisk 90 s before a silent AMI is a fault
        wait = AMI_GRACE_S + 5 - (time.monotonic() - max(rig.watchdog_started, rig.asterisk_started))
        if wait > 0:
            time.sleep(wait)
        time.sleep(random.uniform(0, SLOW_S))
        watermark = rig.last_alert_id()
        pid = rig.asterisk_pid()
        stopped = time.time()
        os.kill(pid, signal.SIGSTOP)
        set_temp(rig, 70.0)
        try:
            a = wait_for(lambda: rig.alert_after(watermark, "asterisk", "ami"), give_up_s, 0.1)
            seen = time.time()
            hot = rig.alert_after(watermark, "sensor")
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed = time.time()
        sample: dict = {"detected": bool(a), "sensor_alert_during_hang": bool(hot)}
        if a:
            sample.update(latency_s=round(a["detected_at"] - stopped, 3), severity=a["severity"],
                          row_seen_s=round(seen - stopped, 3), text=a["text"])
        else:
            sample["waited_s"] = give_up_s
        if not hot:
            hot = wait_for(lambda: rig.alert_after(watermark, "sensor"), 3 * SLOW_S, 0.05)
            if hot:
                sample["sensor_row_seen_after_sigcont_s"] = round(time.time() - resumed, 3)
                sample["sensor_detected_at_minus_sigstop_s"] = round(hot["detected_at"] - stopped, 3)
        set_temp(rig, 25.0)
        if not wait_for(lambda: not [x for x in rig.open_alerts()
                                     if x.startswith(("asterisk/", "sensor/"))], 60, 0.2):
            raise RuntimeError(f"alerts stay open after SIGCONT: {rig.open_alerts()}")
        out.append(sample)
        print(f"ami hung {r + 1}/{reps}: {sample}", flush=True)
        if not a:
            break      # the same again would only cost another give_up_s
    return out


def sip_probe(port: int) -> str | None:
    """One REGISTER from the attacker's address; Asterisk's final status line or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((ATTACKER, 0))
        sock.settimeout(1.0)
        me = sock.getsockname()[1]
        msg = (f"REGISTER sip:127.0.0.1:{port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {ATTACKER}:{me};branch=z9hG4bK-{time.time_ns()};rport\r\n"
               f"From: <sip:101@127.0.0.1>;tag=probe\r\nTo: <sip:101@127.0.0.1>\r\n"
               f"Call-ID: probe-{time.time_ns()}@{ATTACKER}\r\nCSeq: 1 REGISTER\r\n"
               f"Contact: <sip:101@{ATTACKER}:{me}>\r\nMax-Forwards: 70\r\nExpires: 60\r\n"
               "Content-Length: 0\r\n\r\n")
        sock.sendto(msg.encode(), ("127.0.0.1", port))
        try:
            while True:
                line = sock.recv(65535).decode(errors="replace").splitlines()[0]
                if not line.startswith("SIP/2.0 1"):
                    return line
        except socket.timeout:
            return None


def sip_flood(rig: Rig, reps: int) -> list[dict]:
    port = rig.box.layout.sip_port
    threshold = security.security_settings(rig.db)["threshold"]
    out = []
    for r in range(reps):
        if not (sip_probe(port) or "").startswith("SIP/2.0 401"):
            raise RuntimeError("Asterisk does not challenge the attacker's address before the flood")
        time.sleep(random.uniform(0, SLOW_S))
        watermark = rig.last_alert_id()
        refused: list[float] = []
        done = threading.Event()

        def prober() -> None:
            while not done.is_set():
                if sip_probe(port) == "SIP/2.0 403 Forbidden":
                    refused.append(time.time())
                    return
                time.sleep(0.1)
        started = time.time()
        flood = subprocess.Popen(
            ["sipp", f"127.0.0.1:{port}", "-sf", "register_flood.xml", "-key", "ext", "101",
             "-au", "101", "-ap", "not-the-password", "-i", ATTACKER, "-p", str(free_port()),
             "-m", str(threshold + 5), "-r", "20", "-nostdin", "-timeout", "60s"],
            cwd=ROOT / "tests" / "sipp", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = threading.Thread(target=prober, daemon=True)
        probe.start()
        try:
            a = wait_for(lambda: rig.alert_after(watermark, "security", ATTACKER), 40, 0.1)
            seen = time.time()
            probe.join(30)
        finally:
            done.set()
            flood.wait(timeout=60)
        if not a or not refused:
            raise RuntimeError(f"flood: alert {a}, refused {refused}; open {rig.open_alerts()}")
        out.append({"latency_s": round(a["detected_at"] - started, 3),
                    "row_seen_s": round(seen - started, 3),
                    "refused_after_s": round(refused[0] - started, 3),
                    "severity": a["severity"], "text": a["text"],
                    "sipp_exit": flood.returncode})
        security.unblock_source(rig.db, ATTACKER)
        if not wait_for(lambda: rig.resolved(a["id"]), 60, 0.2):
            raise RuntimeError("security alert not resolved after the unblock")
        if not wait_for(lambda: (sip_probe(port) or "").startswith("SIP/2.0 401"), 30, 0.5):
            raise RuntimeError("Asterisk still refuses the attacker after the unblock")
        print(f"flood {r + 1}/{reps}: alert {out[-1]['latency_s']:.2f}s, "
              f"refused {out[-1]['refused_after_s']:.2f}s", flush=True)
    return out


def asterisk_killed(rig: Rig, reps: int) -> list[dict]:
    out = []
    for r in range(reps):
        time.sleep(random.uniform(0, FAST_S) + 1)
        watermark = rig.last_alert_id()
        killed = time.time()
        os.kill(rig.asterisk_pid(), signal.SIGKILL)
        a = wait_for(lambda: rig.alert_after(watermark, "asterisk", "process"), 30, 0.05)
        seen = time.time()
        if not a:
            raise RuntimeError(f"Asterisk's death not detected (open: {rig.open_alerts()})")
        out.append({"latency_s": round(a["detected_at"] - killed, 3),
                    "row_seen_s": round(seen - killed, 3), "severity": a["severity"],
                    "text": a["text"]})
        rig.box.asterisk.proc.wait(timeout=10)
        rig.box.asterisk.start()     # systemd's Restart=always on the box
        rig.box.asterisk.wait_fully_booted(timeout=60)
        rig.asterisk_up()
        if not wait_for(lambda: rig.resolved(a["id"]), 30, 0.2):
            raise RuntimeError("Asterisk alert not resolved after the restart")
        print(f"asterisk killed {r + 1}/{reps}: {out[-1]['latency_s']:.2f}s", flush=True)
    return out


# -- 2./3. SMS burst -------------------------------------------------------------------------

def burst(rig: Rig, n: int, label: str) -> dict:
    sim, db = rig.sim, rig.db
    sent_before, cmds_before = len(sim.sent), len(sim.commands)
    watches = {"modem_service": ProcWatch(rig.modemd.pid).start(),
               "watchdog": ProcWatch(rig.watchdog.pid).start()}
    load_before = load()
    queued_at, queued_mono = time.time(), time.monotonic()
    ids = [sms.queue_sms(db, NUMBER, f"JNS bench {label} {i:03d}: queue support has callers "
                         "waiting", purpose="bench") for i in range(n)]
    queue_s = time.time() - queued_at

    def count(*statuses: str) -> int:
        q = ",".join("?" * len(statuses))
        return db.execute(f"SELECT count(*) FROM sms_outbox WHERE id BETWEEN ? AND ? "
                          f"AND status IN ({q})", [ids[0], ids[-1], *statuses]).fetchone()[0]
    cfg = sms.gsm_settings(db)
    limit = n * (max(cfg["min_interval_s"], 0.0) + 1.0) + 120
    if not wait_for(lambda: count("sent", "delivered") == n, limit, 0.5):
        raise RuntimeError(f"{label}: only {count('sent', 'delivered')} of {n} sent")
    all_sent = time.time()
    if not wait_for(lambda: count("delivered") == n, 60, 0.5):
        raise RuntimeError(f"{label}: only {count('delivered')} of {n} delivered")
    all_delivered = time.time()
    res = {name: w.stop() for name, w in watches.items()}
    sent = sim.sent[sent_before:]
    cmds = sim.commands[cmds_before:]
    accepted = [s.at for s in sent]
    gaps = [b - a for a, b in zip(accepted, accepted[1:])]
    cadence = (accepted[-1] - accepted[0]) / (len(accepted) - 1)
    cmgs = sum(c.upper().startswith("AT+CMGS") for c in cmds)
    return {
        "messages": n, "parts_sent": len(sent), "settings": cfg,
        "queue_s": round(queue_s, 3),
        "first_accepted_after_queue_s": round(accepted[0] - queued_mono, 3),
        "all_sent_s": round(all_sent - queued_at, 2),
        "all_delivered_s": round(all_delivered - queued_at, 2),
        "per_message_s": round(cadence, 4),
        "gap_s": stats(gaps),
        "overhead_per_message_s": round(cadence - rig.send_delay_s, 4),
        "at_commands": len(cmds), "at_commands_per_sms": round(len(cmds) / n, 2),
        "at_cmgs": cmgs, "other_at_commands": sorted({c.split("=")[0].split("?")[0]
                                                      for c in cmds if not c.upper().startswith("AT+CMGS")}),
        "resources": res, "load_before": load_before, "load_after": load(),
    }


def at_probe(port: str, n: int, sends: int) -> dict:
    """In its own process: the driver against a simulated modem, timed command by command."""
    modem = gsm.Modem(port).open()
    try:
        status, _ = modem.init()
        assert status.state == "ready", status
        times = []
        for _ in range(n):
            t = time.perf_counter()
            modem.at("AT+CSQ", prefix="+CSQ:")
            times.append(time.perf_counter() - t)
        send_times = []
        for i in range(sends):
            [part] = pdu.encode_submit(NUMBER, f"JNS bench probe {i:03d}", ref=i)
            t = time.perf_counter()
            modem.send_part(part)
            send_times.append(time.perf_counter() - t)
        return {"csq_s": times, "send_s": send_times}
    finally:
        modem.close()


def at_round_trips(work: Path, send_delay_s: float, n: int = 200, sends: int = 20) -> dict:
    dev = work / "dev-probe"
    dev.mkdir()
    sim = ModemSim("generic", link_dir=dev, send_delay_s=send_delay_s).start()
    try:
        out = subprocess.run([sys.executable, "-m", "bench.hal", "--at-probe", sim.port,
                              "--at-n", str(n), "--at-sends", str(sends)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT, check=True)
    finally:
        sim.stop()
    raw = json.loads(out.stdout.strip().splitlines()[-1])
    rd = sim.profile["response_delay"]
    csq = sorted(raw["csq_s"])
    send = sorted(raw["send_s"])
    return {
        "simulator_response_delay_s": rd, "send_delay_s": send_delay_s,
        "at_csq": {"n": len(csq), "median_s": round(statistics.median(csq), 5),
                   "p90_s": round(csq[int(len(csq) * 0.9)], 5),
                   "overhead_median_s": round(statistics.median(csq) - rd, 5)},
        "send_part": {"n": len(send), "median_s": round(statistics.median(send), 5),
                      "max_s": round(send[-1], 5),
                      "simulator_delay_s": round(send_delay_s + 2 * rd, 5),
                      "overhead_median_s": round(statistics.median(send) - send_delay_s - 2 * rd, 5)},
        "note": "the driver (appliance.hal.gsm.Modem) in its own process, the simulator in the "
                "bench's; overhead = measured - the simulator's own delays",
    }


# -- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hal")
    p.add_argument("--reps", type=int, default=3, help="repetitions per fault class")
    p.add_argument("--idle-s", type=float, default=60.0)
    p.add_argument("--burst", type=int, default=100, help="messages, rate limits off")
    p.add_argument("--box-burst", type=int, default=100,
                   help="messages with the box's default rate limits (2 s apart)")
    p.add_argument("--send-delay", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", default=str(OUT / "hal.json"))
    p.add_argument("--at-probe", help=argparse.SUPPRESS)
    p.add_argument("--at-n", type=int, default=200, help=argparse.SUPPRESS)
    p.add_argument("--at-sends", type=int, default=20, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.at_probe:
        print(json.dumps(at_probe(args.at_probe, args.at_n, args.at_sends)))
        return 0
    rng = random.Random(args.seed)
    random.seed(args.seed)
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="jns-bench-hal-"))
    rig = Rig(work, args.send_delay)
    result: dict = {
        "bench": "hal", "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(),
                 "machine": platform.machine()},
        "parameters": {"reps": args.reps, "idle_s": args.idle_s, "burst": args.burst,
                       "box_burst": args.box_burst,
                       "send_delay_s": args.send_delay, "seed": args.seed},
    }
    try:
        rig.start()
        result["open_alerts_at_start"] = rig.open_alerts()
        print(f"rig up in {time.time() - started:.0f} s; idle window {args.idle_s:.0f} s", flush=True)

        # 2a. idle
        watches = {"modem_service": ProcWatch(rig.modemd.pid).start(),
                   "watchdog": ProcWatch(rig.watchdog.pid).start()}
        before = load()
        time.sleep(args.idle_s)
        result["idle"] = {name: w.stop() for name, w in watches.items()}
        result["idle"]["load_before"], result["idle"]["load_after"] = before, load()

        # 1. detection
        det: dict[str, dict] = {}
        for name, samples in slow_rounds(rig, args.reps, rng).items():
            det[name] = {"samples": samples, "latency_s": stats([s["latency_s"] for s in samples]),
                         "polled_every_s": SLOW_S}
            if name in ("modem_unplugged", "gsm_deregistered"):
                det[name]["modemd_s"] = stats([s["modemd_s"] for s in samples if "modemd_s" in s])
        samples = ami_hung(rig, args.reps)
        det["ami_hung"] = {"samples": samples,
                           "latency_s": stats([s["latency_s"] for s in samples if s["detected"]]),
                           "detected": all(s["detected"] for s in samples),
                           "polled_every_s": SLOW_S, "ami_ping_timeout_s": AMI_TIMEOUT_S}
        if not det["ami_hung"]["detected"]:
            det["ami_hung"]["note"] = (
                "no alert while Asterisk was stopped: the slow round's AMI Ping did not return "
                "(AMIClient.action's timeout covers waiting for a connection only; pyst2's "
                "Manager.send_action then waits on its response queue without a timeout), so "
                "the whole slow round - and with it every other slow check - waited until "
                "SIGCONT: see sensor_alert_during_hang and sensor_row_seen_after_sigcont_s")
        samples = sip_flood(rig, args.reps)
        det["sip_auth_flood"] = {
            "samples": samples, "latency_s": stats([s["latency_s"] for s in samples]),
            "refused_by_asterisk_s": stats([s["refused_after_s"] for s in samples]),
            "polled_every_s": SLOW_S,
            "failures_to_block": security.security_settings(rig.db)["threshold"]}
        samples = asterisk_killed(rig, args.reps)
        lat = [s["latency_s"] for s in samples]
        det["asterisk_killed"] = {"samples": samples, "latency_s": stats(lat),
                                  "polled_every_s": FAST_S,
                                  "goal": {"max_s": GOALS["asterisk_killed_max_s"],
                                           "met": max(lat) <= GOALS["asterisk_killed_max_s"]}}
        result["detection"] = det
        result["detection_note"] = (
            "latency = alert row detected_at - the moment the bench caused the fault. "
            "polled_every_s is the check's interval by design (service.Watchdog fast_s / "
            "slow_s): a polled fault waits for the next round, on average half the interval, "
            "at most all of it; the rest is the probe itself (AMI ping timeout for a hung "
            "Asterisk; for modems the modem service's own part, modemd_s).  detected_at is "
            "the `now` the watchdog took when the round began; row_seen_s is when the bench, "
            "reading the database every 0.1 s (0.05 s for asterisk_killed), saw the row: an "
            "upper bound")

        # 2b./3. bursts: the box's defaults first, then limits off (fresh owner reads them)
        print(f"burst of {args.box_burst} with the box's rate limits", flush=True)
        result["burst_box_defaults"] = burst(rig, args.box_burst, "box")
        set_setting(rig.db, "gsm.min_interval_s", "0")
        set_setting(rig.db, "gsm.max_per_hour", "1000000")
        rig.stop_modemd()
        rig.start_modemd()
        print(f"burst of {args.burst} with rate limits off", flush=True)
        result["burst_limits_off"] = burst(rig, args.burst, "fast")
        result["at_round_trips"] = at_round_trips(work, args.send_delay)
        off = result["burst_limits_off"]
        result["sms_driver_overhead"] = {
            "send_delay_s": args.send_delay,
            "per_message_s": off["per_message_s"],
            "overhead_per_message_s": off["overhead_per_message_s"],
            "at_commands_per_sms": off["at_commands_per_sms"],
            "at_commands_note": "per single-part SMS: AT+CMGS=<length>, then the PDU and "
                                "Ctrl-Z at the '> ' prompt (not a command line); the delivery "
                                "report comes as a +CDS URC (AT+CNMI=2,1,0,1,0): no command",
            "at_round_trip_overhead_s": result["at_round_trips"]["at_csq"]["overhead_median_s"],
            "send_part_overhead_s": result["at_round_trips"]["send_part"]["overhead_median_s"],
        }
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)
    result["duration_s"] = round(time.time() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("sms_driver_overhead", "duration_s")}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
