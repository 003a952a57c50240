"""Watchdog notifications end to end, without Asterisk: the real service round on this
machine's disk, e-mail to a local SMTP sink, SMS into the modem service's outbox, LEDs on a
sysfs-shaped tree; plus the hardware-watchdog boot report and the safe-reboot policy."""
from __future__ import annotations

import email
import email.policy
import shutil
import socket
import socketserver
import threading
import time
from pathlib import Path

import psutil
import pytest

from appliance.store import alerts, db as store, sms
from appliance.watchdog import notify
from appliance.watchdog.service import Watchdog
from tests.test_leds import FakeLedKernel

STATUS, ALARM, GSM = "box:green:status", "box:red:alarm", "box:green:gsm"


class SmtpSink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on 127.0.0.1 that keeps every message (plain SMTP, no auth)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.port = self.server_address[1]
        self.messages: list[email.message.EmailMessage] = []
        self.cond = threading.Condition()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 20) -> list:
        with self.cond:
            self.cond.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                self.reply("250-sink\r\n250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                msg = email.message_from_bytes(data[:-5].replace(b"\r\n..", b"\r\n."),
                                               policy=email.policy.default)
                with self.server.cond:
                    self.server.messages.append(msg)
                    self.server.cond.notify_all()
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    # a real kernel has made delay_on when its write of "timer" returns; the fake makes it
    # from a thread, which a loaded machine (the real-call tests beside these) can hold up
    # past the product's 1 s wait for it
    from appliance.hal import leds
    monkeypatch.setattr(leds, "TRIGGER_WAIT_S", 15.0)
    k = FakeLedKernel(tmp_path / "leds", {STATUS: 1, ALARM: 1, GSM: 1})
    yield k
    k.close()


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "data" / "jns.db"
    db = store.open_db(path)
    for check in ("memory", "cpu", "load", "temperature"):   # this machine's own state: not
        alerts.save_rule(db, check, enabled=False)          # what these tests are about
    return path


def _watchdog(db_path, tmp_path, **kw) -> Watchdog:
    kw.setdefault("leds_root", str(tmp_path / "leds"))
    kw.setdefault("sensors", False)
    return Watchdog(db_path, data_dir=tmp_path, restarter=None, reboot=None,
                    ping=lambda *a: None, alarms_log=tmp_path / "alarms.log",
                    hostname="pbx-test", **kw)


def _used_pct(path) -> float:
    u = shutil.disk_usage(path)
    return 100.0 * (u.total - u.free) / u.total


def test_disk_warning_is_mailed_texted_and_blinks_then_resolved(db_path, tmp_path, sink,
                                                                   kernel):
    db = store.open_db(db_path)
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="it@example.com",
                                sms_to="+48600100200", min_severity_sms="warning")
    used = _used_pct(tmp_path)
    alerts.save_rule(db, "disk", warning=max(used - 10, 0.5), critical=100, hysteresis=1)
    wd = _watchdog(db_path, tmp_path)
    try:
        wd.slow_round()
        [active] = [a for a in alerts.active_alerts(db) if a["check"] == "disk"]
        assert active["severity"] == "warning" and "% used" in active["text"]
        assert wd.notifier.flush(20)
        [mail] = sink.wait(1)
        assert "WARNING" in mail["Subject"] and "Data partition used" in mail["Subject"]
        assert "pbx-test" in mail["Subject"] and mail["To"] == "it@example.com"
        assert "% used" in mail.get_content()
        [text] = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert text["number"] == "+48600100200" and "WARNING" in text["text"]
        assert kernel.state(ALARM)["trigger"] == "timer"          # the warning blink
        assert kernel.state(ALARM)["delay"] == (1000, 1000)
        assert "WARNING disk" in (tmp_path / "alarms.log").read_text()

        alerts.save_rule(db, "disk", warning=100, critical=100)
        wd.slow_round()
        assert [a for a in alerts.active_alerts(db) if a["check"] == "disk"] == []
        assert wd.notifier.flush(20)
        mails = sink.wait(2)
        assert "RESOLVED" in mails[1]["Subject"] and "back to normal" in mails[1].get_content()
        texts = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert len(texts) == 2 and any("RESOLVED" in m["text"] for m in texts)
        assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}
        [hist] = alerts.alert_history(db, time.time() - 600, time.time(), check="disk")
        assert hist["resolved_at"] is not None
        assert "e-mail to it@example.com sent" in hist["notified"]
        assert "SMS to +48600100200 queued" in hist["notified"]
    finally:
        wd.stop()


def test_warnings_are_not_texted_when_sms_is_for_critical_only(db_path, tmp_path, sink):
    db = store.open_db(db_path)
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="it@example.com",
                                sms_to="+48600100200")          # SMS default: critical only
    alerts.save_rule(db, "disk", warning=max(_used_pct(tmp_path) - 10, 0.5), critical=100)
    wd = _watchdog(db_path, tmp_path, leds_root=None)
    try:
        wd.slow_round()
        assert wd.notifier.flush(20) and len(sink.wait(1)) == 1
        assert [m for m in sms.outbox(db) if m["purpose"] == "alert"] == []
    finally:
        wd.stop()


def test_a_dead_mail_server_is_recorded_and_the_watchdog_goes_on(db_path, tmp_path):
    db = store.open_db(db_path)
    with socket.socket() as s:       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=port,
                                smtp_security="none", email_to="it@example.com")
    alerts.save_rule(db, "disk", warning=max(_used_pct(tmp_path) - 10, 0.5), critical=100)
    wd = _watchdog(db_path, tmp_path, leds_root=None, smtp_timeout=3)
    try:
        wd.slow_round()
        assert wd.notifier.flush(20)
        [active] = alerts.active_alerts(db)
        assert "e-mail failed: ConnectionRefusedError" in active["notified"]
        wd.slow_round()                   # still running, no second alert row
        assert len(alerts.active_alerts(db)) == 1
    finally:
        wd.stop()


def test_notify_test_sends_a_test_mail_and_queues_a_test_sms(db_path, sink):
    db = store.open_db(db_path)
    assert notify.notify_test(db) == ["e-mail: not configured (set an SMTP server and "
                                      "recipients)", "SMS: no recipients set"]
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="it@example.com",
                                sms_to="600100200")
    out = notify.notify_test(db, hostname="pbx-test")
    assert out[0] == "e-mail: sent to it@example.com" and out[1].startswith("SMS: to 600100200 queued")
    assert sink.wait(1)[0]["Subject"] == "[JNS pbx-test] test message"
    assert [m["purpose"] for m in sms.outbox(db)] == ["alert"]


def test_a_hardware_watchdog_reset_is_reported_once_after_boot(db_path, tmp_path):
    sysfs = tmp_path / "watchdog0"
    sysfs.mkdir()
    (sysfs / "bootstatus").write_text("32\n")      # WDIOF_CARDRESET
    db = store.open_db(db_path)
    wd = _watchdog(db_path, tmp_path, leds_root=None, watchdog_sysfs=sysfs)
    try:
        wd._boot_report = wd.boot_report()
        wd.slow_round()
        [report] = [a for a in alerts.active_alerts(db) if a["check"] == "reboot"]
        assert report["severity"] == "warning" and "hardware watchdog reset" in report["text"]
        alerts.acknowledge(db, report["id"], "admin")
        wd.slow_round()
        assert [a for a in alerts.active_alerts(db) if a["check"] == "reboot"] == []
    finally:
        wd.stop()
    again = _watchdog(db_path, tmp_path, leds_root=None, watchdog_sysfs=sysfs)
    try:
        assert again.boot_report() is None            # same boot: said once
    finally:
        again.stop()
    (sysfs / "bootstatus").write_text("0\n")
    db.execute("DELETE FROM settings WHERE key = 'alerts.boot_reported'")
    clean = _watchdog(db_path, tmp_path, leds_root=None, watchdog_sysfs=sysfs)
    try:
        assert clean.boot_report() is None
    finally:
        clean.stop()


def test_lasting_asterisk_failure_reboots_only_when_safe_and_says_so_after_boot(db_path,
                                                                               tmp_path):
    db = store.open_db(db_path)
    restarts, reboots = [], []
    marker = tmp_path / "update-in-progress"
    marker.write_text("")
    wd = _watchdog(db_path, tmp_path, leds_root=None, asterisk_alive=lambda: False,
                   restart_wait_s=0, reboot_after_s=0, min_uptime_s=0,
                   update_marker=marker)
    wd.restarter = restarts.append
    wd.reboot = reboots.append
    try:
        wd.fast_round()
        [down] = alerts.active_alerts(db)
        assert (down["check"], down["severity"]) == ("asterisk", "critical")
        assert restarts == ["asterisk"]
        assert "watchdog restarted Asterisk (attempt 1)" in alerts.alert(db, down["id"])["notified"]
        wd.slow_round()
        assert reboots == []                  # a firmware update is running
        marker.unlink()
        wd.slow_round()
        assert len(reboots) == 1 and "Asterisk process is not running" in reboots[0]
        assert wd.rebooting
        assert "watchdog reboots the box" in alerts.alert(db, down["id"])["notified"]
    finally:
        wd.stop()
    # the next boot: the reboot log is older than the boot, so it is reported (as info)
    log = tmp_path / "watchdog-reboots.log"
    at, _, reason = log.read_text().strip().partition(" ")
    log.write_text(f"{psutil.boot_time() - 60:.0f} {reason}\n")
    after = _watchdog(db_path, tmp_path, leds_root=None)
    try:
        severity, text = after.boot_report()
        assert severity == "info" and "rebooted by the watchdog" in text and "Asterisk" in text
    finally:
        after.stop()
    # three watchdog reboots within a day: no fourth
    now = time.time()
    log.write_text("".join(f"{now - i * 600:.0f} earlier\n" for i in range(3)))
    wd3 = _watchdog(db_path, tmp_path, leds_root=None, asterisk_alive=lambda: False,
                    restart_wait_s=0, reboot_after_s=0, min_uptime_s=0)
    wd3.restarter, wd3.reboot = restarts.append, reboots.append
    try:
        wd3.fast_round()
        wd3.slow_round()
        assert len(reboots) == 1
        assert wd3.reboot_safe(time.time()) == "already 3 watchdog reboots in the last 24 h"
    finally:
        wd3.stop()


def test_hot_i2c_sensor_and_dahdi_span_alarm_raise_and_clear(db_path, tmp_path, sink):
    """The sensors (an LM75 behind the smbus2 interface) and DAHDI spans (/proc/dahdi
    files as the kernel writes them) reach the same alerts, and clear by themselves."""
    from appliance.hal import i2csim
    from appliance.hal.i2csim import LM75, SimBus
    db = store.open_db(db_path)
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="it@example.com")
    chip = LM75(61.0)
    bus = {1: SimBus(1, {0x48: chip})}
    proc = tmp_path / "proc-dahdi"
    proc.mkdir()
    sample = Path(__file__).resolve().parent / "data" / "dahdi" / "b410p" / "proc"
    shutil.copy(sample / "2", proc / "2")                 # a BRI span in RED alarm
    wd = _watchdog(db_path, tmp_path, leds_root=None, dahdi_root=str(proc),
                   sensors={"buses": [1], "bus_factory": i2csim.factory(bus),
                            "hwmon_root": tmp_path / "no-hwmon", "i2c_root": tmp_path / "no-i2c"},
                   hardware_status=tmp_path / "hardware.json")
    try:
        wd.slow_round()
        # what the panel's hardware page and the console will show (they cannot read I2C)
        from appliance.hal import status as hal_status
        seen = hal_status.read(tmp_path / "hardware.json")
        assert [(r["source"], r["value"]) for r in seen["sensors"]] == [("i2c-1:0x48", 61.0)]
        got = {a["check"]: a for a in alerts.active_alerts(db)}
        assert got["sensor"]["severity"] == "critical" and "61" in got["sensor"]["text"]
        assert got["dahdi"]["severity"] == "critical" and "RED" in got["dahdi"]["text"]
        assert got["dahdi"]["subject"] == "2"
        chip.celsius = 30.0
        (proc / "2").unlink()
        wd.slow_round()
        assert alerts.active_alerts(db) == []
        [cleared] = alerts.alert_history(db, 0, time.time() + 1, check="dahdi")
        assert cleared["text"] == "DAHDI span 2: alarm cleared"
        assert wd.notifier.flush(20)
        subjects = [m["Subject"] for m in sink.wait(4)]
        assert sum("RESOLVED" in s for s in subjects) == 2, subjects
    finally:
        wd.stop()


def test_a_blocked_flood_source_is_an_alert_until_the_block_ends(db_path, tmp_path):
    from appliance.watchdog.security import AuthGuard
    db = store.open_db(db_path)
    clock = [time.time()]
    guard = AuthGuard(store.open_db(db_path), threshold=3, window_s=60, block_s=300,
                      now=lambda: clock[0])
    wd = _watchdog(db_path, tmp_path, leds_root=None, security_guard=guard)
    try:
        for _ in range(3):
            guard.failure("sip", "203.0.113.5", "InvalidPassword 101")
        wd.slow_round()
        [alert] = [a for a in alerts.active_alerts(db) if a["check"] == "security"]
        assert alert["subject"] == "203.0.113.5" and alert["severity"] == "warning"
        assert "blocked until" in alert["text"]
        clock[0] += 301                   # the block expires
        wd.slow_round()
        assert [a for a in alerts.active_alerts(db) if a["check"] == "security"] == []
        [done] = alerts.alert_history(db, 0, time.time() + 1000, check="security")
        assert done["text"] == "203.0.113.5: no longer blocked or flooding"
    finally:
        wd.stop()
