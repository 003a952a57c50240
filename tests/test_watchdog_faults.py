"""Faults the watchdog must catch, made for real: Asterisk SIGKILLed in the middle of a
bridged call (real Asterisk 22, SIPp calls), and a data partition filling up (a small
tmpfs).  The watchdog is the box's code (appliance.watchdog.service.Watchdog) with the
box's rhythm (1 s process checks); only the restarter is the devbox's (it restarts the
chroot Asterisk where the box would run `systemctl restart jns-asterisk`).  Notifications
go to a local SMTP sink, to the modem service through a GSM modem simulator, and to an
LED tree shaped like /sys/class/leds."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.hal.modemsim import ModemSim
from appliance.store import alerts, config, db as store, sms
from appliance.telephony.ami import AMIClient
from appliance.telephony.chroot import _child_pid
from appliance.watchdog.service import Watchdog
from tests.test_skeleton_call import cdr_rows, queue_log, wait_for
# the SMTP sink and the LED tree, the same fixtures as the notification tests
from tests.test_watchdog_notify import ALARM, GSM, STATUS, kernel  # noqa: F401

pytestmark = pytest.mark.asterisk


@pytest.fixture
def modem(tmp_path, devbox):
    """The modem service (jns-modemd's code) owning a simulated modem."""
    dev = tmp_path / "dev"
    dev.mkdir()
    sim = ModemSim("generic", link_dir=dev).start()
    service = subprocess.Popen([sys.executable, "-m", "appliance.hal.modemd", "--db",
                                str(devbox.db_path), "--dev-dir", str(dev)],
                               env=dict(os.environ, JNS_MODEMD_SCAN_S="0.5"))
    assert wait_for(lambda: [m for m in sms.modems(devbox.db) if m["state"] == "ready"],
                    timeout=30), f"simulated modem not ready: {sms.modems(devbox.db)}"
    yield sim
    service.terminate()
    service.wait(timeout=15)
    sim.stop()


def _quiet_machine_checks(db) -> None:
    """This test machine's own load (CPU, memory, disk, how fast a busy Asterisk answers
    AMI) is not the fault under test."""
    for check in ("memory", "cpu", "load", "temperature", "disk", "ami_rtt"):
        alerts.save_rule(db, check, enabled=False)


def _notify_to(db, sink) -> None:
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="noc@example.com",
                                sms_to="+48600100200")


def test_asterisk_killed_mid_call_is_detected_restarted_notified_and_facts_survive(
        devbox, sipp, agent_port, sink, kernel, modem, tmp_path):
    db = devbox.db
    _quiet_machine_checks(db)
    _notify_to(db, sink)
    lay = devbox.layout
    ami = AMIClient("127.0.0.1", lay.ami_port, lay.ami_user, lay.ami_secret,
                    name="watchdog").start()

    def restart_asterisk(name: str) -> None:   # the box: systemctl restart jns-asterisk
        assert name == "asterisk"
        devbox.asterisk.start()

    wd = Watchdog(devbox.db_path, data_dir=devbox.workdir,
                  asterisk_alive=devbox.asterisk.running, ami=ami,
                  restarter=restart_asterisk, reboot=None, sensors=False,
                  leds_root=str(kernel.root), alarms_log=tmp_path / "alarms.log",
                  fast_s=1.0, slow_s=2.0, restart_wait_s=2.0, ping=lambda *a: None,
                  hostname="pbx-test").start()
    try:
        # a call that finishes before the crash: its facts must survive
        agent = sipp.agent(agent_port, talk_ms=1000)
        time.sleep(0.3)
        done = sipp.call(lay.sip_port, did="100", digit="1")
        assert done.returncode == 0, done.stdout[-2000:]
        agent.wait(timeout=30)
        assert wait_for(lambda: [e for e in queue_log(devbox) if e[4] == "COMPLETEAGENT"])
        assert wait_for(lambda: cdr_rows(devbox))
        facts_before = ((devbox.asterisk.log_dir / "queue_log").read_text(),
                        (devbox.asterisk.log_dir / "cdr-csv" / "Master.csv").read_text())
        assert wait_for(lambda: kernel.state(STATUS)["brightness"] == 1, timeout=10)
        assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}, \
            f"not the ok pattern: {alerts.active_alerts(db)}"

        # a second call, bridged to the agent, when Asterisk is killed
        agent = sipp.agent(agent_port, talk_ms=60000)
        time.sleep(0.3)
        caller = sipp.call_keys(lay.sip_port, "100", [(1500, "1")], wait=False)
        assert wait_for(lambda: len([e for e in queue_log(devbox) if e[4] == "CONNECT"]) >= 2,
                        timeout=30), "second call was not bridged to the agent"
        killed_at = time.time()
        os.kill(_child_pid(devbox.asterisk.proc.pid), signal.SIGKILL)

        down = wait_for(lambda: [a for a in alerts.active_alerts(db)
                                 if a["check"] == "asterisk"], timeout=15)
        assert down, "the watchdog did not notice Asterisk's death"
        assert down[0]["severity"] == "critical"
        latency = down[0]["detected_at"] - killed_at
        print(f"\nAsterisk death detected after {latency * 1000:.0f} ms")
        assert wait_for(lambda: kernel.state(ALARM).get("delay") == (100, 100), timeout=10), \
            f"LEDs do not show the fault pattern: {kernel.state(ALARM)}"

        # restarted by the watchdog, and it says so
        assert wait_for(lambda: wd.restarts >= 1, timeout=20)
        assert wait_for(lambda: not [a for a in alerts.active_alerts(db)
                                     if a["check"] == "asterisk"], timeout=60), \
            "Asterisk alert not resolved after the restart"
        [episode] = alerts.alert_history(db, killed_at - 1, time.time(), check="asterisk")
        assert "watchdog restarted Asterisk (attempt 1)" in episode["notified"]
        assert "running again" in episode["text"] and "restarted by the watchdog" in episode["text"]
        devbox.asterisk.wait_fully_booted(timeout=60)
        assert wait_for(lambda: kernel.state(ALARM) == {"trigger": "none", "brightness": 0},
                        timeout=10), "LEDs did not return to ok"

        # e-mail: the fault, then "resolved"
        assert wd.notifier.flush(30)
        mails = sink.wait(2, timeout=30)
        subjects = [m["Subject"] for m in mails]
        assert "CRITICAL" in subjects[0] and "Asterisk" in subjects[0], subjects
        assert "RESOLVED" in subjects[1] and "Asterisk" in subjects[1], subjects
        assert "Asterisk process is not running" in mails[0].get_content()

        # SMS: queued for the modem service and sent through the (simulated) modem
        texts = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert any("CRITICAL" in m["text"] and m["number"] == "+48600100200" for m in texts)
        sent = modem.wait_sent(2, timeout=60)
        said = [s.submit.text for s in sent]
        assert any("CRITICAL" in t and "Asterisk" in t for t in said), said
        assert any("RESOLVED" in t for t in said), said

        # the facts of the call finished before the crash are intact
        after = ((devbox.asterisk.log_dir / "queue_log").read_text(),
                 (devbox.asterisk.log_dir / "cdr-csv" / "Master.csv").read_text())
        assert after[0].startswith(facts_before[0]) and after[1].startswith(facts_before[1])
        assert "CRITICAL asterisk/process" in (tmp_path / "alarms.log").read_text()

        # and the restarted Asterisk takes calls again
        caller.kill()
        agent.kill()
        agent = sipp.agent(agent_port, talk_ms=1000)
        time.sleep(0.3)
        assert wait_for(lambda: ami.connected, timeout=20)
        again = sipp.call(lay.sip_port, did="100", digit="1")
        assert again.returncode == 0, again.stdout[-2000:]
    finally:
        wd.stop()
        ami.close()


def test_hung_asterisk_is_an_alarm_while_the_other_checks_go_on(devbox, sink, kernel, tmp_path):
    """SIGSTOP: the process is there, its manager port accepts and never answers.  That is
    a fault of its own (not "dead"), and it must not stall the watchdog's other checks."""
    db = devbox.db
    _quiet_machine_checks(db)
    _notify_to(db, sink)
    lay = devbox.layout
    ami = AMIClient("127.0.0.1", lay.ami_port, lay.ami_user, lay.ami_secret,
                    name="watchdog").start()
    proc_dahdi = tmp_path / "proc-dahdi"
    proc_dahdi.mkdir()
    wd = Watchdog(devbox.db_path, data_dir=devbox.workdir,
                  asterisk_alive=devbox.asterisk.running, ami=ami, restarter=None,
                  reboot=None, sensors=False, dahdi_root=str(proc_dahdi),
                  leds_root=str(kernel.root), alarms_log=tmp_path / "alarms.log",
                  fast_s=1.0, slow_s=2.0, ping=lambda *a: None, hostname="pbx-test",
                  ami_grace_s=3.0).start()   # the box gives a starting Asterisk 90 s
    asterisk = _child_pid(devbox.asterisk.proc.pid)
    try:
        assert wait_for(lambda: wd.metrics.get("ami_rtt_ms") is not None, timeout=20)
        os.kill(asterisk, signal.SIGSTOP)
        # meanwhile a DAHDI span loses its line: seen although Asterisk does not answer
        sample = Path(__file__).resolve().parent / "data" / "dahdi" / "b410p" / "proc" / "2"
        (proc_dahdi / "2").write_text(sample.read_text())
        assert wait_for(lambda: {a["check"] for a in alerts.active_alerts(db)}
                        >= {"asterisk", "dahdi"}, timeout=60), alerts.active_alerts(db)
        [hung] = [a for a in alerts.active_alerts(db) if a["check"] == "asterisk"]
        assert "does not answer" in hung["text"], hung
        assert wait_for(lambda: kernel.state(ALARM).get("delay") == (100, 100), timeout=10)
    finally:
        os.kill(asterisk, signal.SIGCONT)
    try:
        (proc_dahdi / "2").unlink()
        assert wait_for(lambda: not alerts.active_alerts(db), timeout=60), \
            alerts.active_alerts(db)
        assert wd.restarts == 0          # a pause that ends is not a reason to restart
    finally:
        wd.stop()


def test_filling_disk_warns_then_goes_critical_and_the_recordings_guard_makes_room(
        tmp_path, sink):
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs and needs root (CI runs as root)")
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "jns-disk-test", str(data)],
                   check=True)
    wd = None
    try:
        db_path = tmp_path / "jns.db"
        db = store.open_db(db_path)
        config.seed_demo(db)
        for check in ("memory", "cpu", "load", "temperature"):
            alerts.save_rule(db, check, enabled=False)
        alerts.save_rule(db, "disk", warning=50, critical=80, hysteresis=2)
        config.save_settings(db, rec_min_free_mb="2")
        _notify_to(db, sink)
        monitor, archive = data / "recordings", data / "archive"
        monitor.mkdir()
        wd = Watchdog(db_path, data_dir=data, recordings_dirs=(monitor, archive),
                      restarter=None, reboot=None, sensors=False, leds_root=None,
                      alarms_log=tmp_path / "alarms.log", ping=lambda *a: None,
                      hostname="pbx-test")
        mb = 2**20
        (data / "other-data.bin").write_bytes(b"\1" * (4 * mb + 512 * 1024))   # ~56 %
        wd.slow_round()
        [warning] = alerts.active_alerts(db)
        assert (warning["check"], warning["severity"]) == ("disk", "warning")

        paths = []
        for i in range(6):      # recordings, oldest first: ~93 % used, under 2 MB free
            path = f"2026/01/0{i + 1}/r{i}.wav"
            (monitor / path).parent.mkdir(parents=True, exist_ok=True)
            (monitor / path).write_bytes(b"\0" * (512 * 1024 - 4096))
            config.index_recording(db, uniqueid=f"r{i}", path=path,
                                   started_at=time.time() - (10 - i) * 86400, direction="in",
                                   caller="48600100200", called="100", queue="support",
                                   agent="101", seconds=30.0)
            paths.append(path)
        wd.slow_round()
        [critical] = alerts.active_alerts(db)
        assert critical["id"] == warning["id"] and critical["severity"] == "critical"
        assert "recordings guard removed the" in critical["notified"]
        assert not (monitor / paths[0]).exists(), "the oldest recording goes first"
        assert (monitor / paths[-1]).exists(), "the newest recording stays"
        left = [r[0] for r in db.execute("SELECT uniqueid FROM recordings ORDER BY started_at")]
        assert "r0" not in left and "r5" in left
        free_mb = os.statvfs(data).f_bavail * os.statvfs(data).f_frsize / mb
        assert free_mb >= 2

        assert wd.notifier.flush(30)
        subjects = [m["Subject"] for m in sink.wait(2)]
        assert "WARNING" in subjects[0] and "CRITICAL" in subjects[1], subjects
        texts = [m["text"] for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert any("CRITICAL" in t and "data partition" in t for t in texts), texts

        # room made by hand: the alert resolves
        (data / "other-data.bin").unlink()
        wd.slow_round()
        assert alerts.active_alerts(db) == []
        assert wd.notifier.flush(30)
        assert "RESOLVED" in sink.wait(3)[2]["Subject"]
    finally:
        if wd is not None:
            wd.stop()
        subprocess.run(["umount", str(data)], check=True)
