"""Telling people about alerts (WD-3): e-mail through the SMTP server the admin set,
SMS through the modem service's outbox (store.sms.queue_sms, purpose "alert"), the LED
pattern (hal.leds) and the panel banner (which is simply the active alerts in the DB).

E-mail goes out from a background thread, so a slow or dead mail server never delays the
watchdog's checks; every attempt and its result is written to the alert's `notified` text.
This module never decides *whether* something is an alert (that is rules.py) and never
raises out of `deliver()`: a failed notification is logged and recorded, not fatal.
"""
from __future__ import annotations

import email.message
import email.utils
import logging
import queue
import smtplib
import socket
import ssl
import threading
import time
from typing import Any

from ..hal import leds as hal_leds
from ..store import alerts as store_alerts
from ..store import sms as store_sms
from ..store.alerts import SEVERITIES
from ..store.db import StoreError
from .rules import Transition

log = logging.getLogger("jns.watchdog")

KIND_WORD = {"raised": "", "changed": "", "repeat": "still ", "escalated": "escalated: ",
             "resolved": "RESOLVED: "}


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def send_email(settings: dict, password: str, to: list[str], subject: str, body: str, *,
               timeout: float = 15.0) -> None:
    """One message through the configured server (none / STARTTLS / SSL, optional login).
    Raises OSError/smtplib.SMTPException with the server's reason."""
    host, port = settings["smtp_host"], int(settings["smtp_port"])
    if not host:
        raise StoreError("no SMTP server set (alerts notification settings)")
    if not to:
        raise StoreError("no e-mail recipients set for alerts")
    msg = email.message.EmailMessage()
    sender = settings.get("mail_from") or f"jns@{socket.gethostname()}"
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="jns.local")
    msg.set_content(body)
    security = settings.get("smtp_security", "starttls")
    context = ssl.create_default_context()
    if security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        server.ehlo()
        if security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if settings.get("smtp_user"):
            server.login(settings["smtp_user"], password)
        server.send_message(msg)


class Notifier:
    """Delivers transitions; `flush()` waits until queued e-mails were tried (tests, exit)."""

    def __init__(self, db_path: str, *, leds_root: str | None = "/sys/class/leds",
                 hostname: str | None = None, smtp_timeout: float = 15.0):
        from ..store.db import open_db
        self.db_path = db_path
        self.db = open_db(db_path, migrate=False)
        self.hostname = hostname or socket.gethostname()
        self.smtp_timeout = smtp_timeout
        self.leds = None
        if leds_root:
            try:
                self.leds = hal_leds.Leds(root=leds_root)
            except Exception as exc:
                log.warning("LEDs not available at %s: %s", leds_root, exc)
        self.led_pattern: str | None = None
        self._mail: queue.Queue = queue.Queue()
        self._mail_db = None
        self._worker = threading.Thread(target=self._mail_loop, name="alert-mail", daemon=True)
        self._worker.start()

    # -- one transition ----------------------------------------------------------------

    def deliver(self, t: Transition, alert_id: int) -> None:
        try:
            settings = store_alerts.notify_settings(self.db)
        except Exception as exc:
            log.error("notification settings unreadable: %s", exc)
            return
        severity = t.severity
        worth = _rank(severity)
        if t.kind == "changed" and t.previous:
            worth = max(worth, _rank(t.previous))
        if t.email and worth >= _rank(settings["min_severity_email"]) and settings["email_to"]:
            self._mail.put((alert_id, settings, self.subject(t), self.body(t, alert_id)))
        sms_worth = t.kind in ("raised", "escalated", "repeat", "resolved") or (
            t.kind == "changed" and t.previous and _rank(severity) > _rank(t.previous))
        if (t.sms and sms_worth and worth >= _rank(settings["min_severity_sms"])
                and settings["sms_to"]):
            self._sms(alert_id, settings["sms_to"], self.sms_text(t))

    def subject(self, t: Transition) -> str:
        title = store_alerts.CHECKS[t.check]["title"]
        word = "RESOLVED" if t.kind == "resolved" else t.severity.upper()
        where = f" ({t.subject})" if t.subject else ""
        return f"[JNS {self.hostname}] {word}: {title}{where}"

    def body(self, t: Transition, alert_id: int) -> str:
        stamp = lambda ts: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))  # noqa: E731
        lines = [f"{KIND_WORD[t.kind]}{t.text}".strip(), "",
                 f"Box:       {self.hostname}",
                 f"Check:     {store_alerts.CHECKS[t.check]['title']}"
                 + (f" ({t.subject})" if t.subject else ""),
                 f"Severity:  {t.severity}" + (f" (was {t.previous})" if t.kind == "changed"
                                               else ""),
                 f"Since:     {stamp(t.since)}"]
        if t.kind == "resolved":
            lines.append(f"Resolved:  {stamp(time.time())} "
                         f"(lasted {int(time.time() - t.since)} s)")
        lines += [f"Alert no.: {alert_id}", "",
                  "Active alerts and history: panel -> Alerts, or `jns alerts list` on the box."]
        return "\n".join(lines) + "\n"

    def sms_text(self, t: Transition) -> str:
        word = "RESOLVED" if t.kind == "resolved" else t.severity.upper()
        if t.kind == "repeat":
            word = f"STILL {word}"
        at = time.strftime("%H:%M", time.localtime(t.since))
        return f"JNS {self.hostname} {word}: {t.text} (since {at})"[:300]

    def _sms(self, alert_id: int, numbers: list[str], text: str) -> None:
        for number in numbers:
            try:
                sms_id = store_sms.queue_sms(self.db, number, text, purpose="alert")
                self._note(alert_id, f"SMS to {number} queued (outbox #{sms_id})")
            except Exception as exc:
                log.error("queueing alert SMS to %s failed: %s", number, exc)
                self._note(alert_id, f"SMS to {number} failed: {exc}")

    def _note(self, alert_id: int, line: str, db=None) -> None:
        try:
            store_alerts.note_notified(db or self.db, alert_id, line)
        except Exception as exc:
            log.error("recording notification of alert %s failed: %s", alert_id, exc)

    # -- e-mail worker -----------------------------------------------------------------

    def _mail_loop(self) -> None:
        from ..store.db import open_db
        self._mail_db = open_db(self.db_path, migrate=False)
        while True:
            item = self._mail.get()
            try:
                if item is None:
                    self._mail_db.conn.close()
                    return
                alert_id, settings, subject, body = item
                try:
                    send_email(settings, store_alerts.smtp_password(self._mail_db),
                               settings["email_to"], subject, body, timeout=self.smtp_timeout)
                    self._note(alert_id, f"e-mail to {', '.join(settings['email_to'])} sent",
                               self._mail_db)
                except Exception as exc:
                    log.error("alert e-mail failed: %s", exc)
                    self._note(alert_id, f"e-mail failed: {type(exc).__name__}: {exc}",
                               self._mail_db)
            finally:
                self._mail.task_done()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until queued e-mails were tried; False if still busy after `timeout`."""
        deadline = time.monotonic() + timeout
        while self._mail.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self._mail.unfinished_tasks

    def close(self) -> None:
        self._mail.put(None)
        self._worker.join(timeout=self.smtp_timeout + 1)
        self.db.conn.close()

    # -- LEDs ------------------------------------------------------------------------------

    def show_leds(self, open_alerts: list[dict[str, Any]]) -> str | None:
        """The LED pattern for the open alerts (most serious wins; hal.leds decides how)."""
        if self.leds is None:
            return None
        states = {"ok"}
        for a in open_alerts:
            if a["severity"] == "critical":
                states.add("fault")
            elif a["severity"] == "warning":
                states.add("warning")
            if a["check"] in ("gsm", "trunk_registration"):
                states.add("no_network")
        try:
            pattern = self.leds.show(sorted(states))
        except Exception as exc:
            log.warning("setting the LEDs failed: %s", exc)
            return None
        self.led_pattern = pattern
        return pattern


def notify_test(db, *, to_email: bool = True, to_sms: bool = True,
                hostname: str | None = None) -> list[str]:
    """`jns alerts notify-test`: one test e-mail and SMS now; what happened, line by line.
    Raises StoreError when nothing is configured to test."""
    settings = store_alerts.notify_settings(db)
    host = hostname or socket.gethostname()
    out: list[str] = []
    if to_email:
        if not settings["smtp_host"] or not settings["email_to"]:
            out.append("e-mail: not configured (set an SMTP server and recipients)")
        else:
            try:
                send_email(settings, store_alerts.smtp_password(db), settings["email_to"],
                           f"[JNS {host}] test message",
                           f"This is a test of the alert e-mail from {host}.\n")
                out.append(f"e-mail: sent to {', '.join(settings['email_to'])}")
            except Exception as exc:
                out.append(f"e-mail: FAILED: {type(exc).__name__}: {exc}")
    if to_sms:
        if not settings["sms_to"]:
            out.append("SMS: no recipients set")
        else:
            for number in settings["sms_to"]:
                try:
                    sms_id = store_sms.queue_sms(db, number, f"JNS {host}: test alert SMS",
                                                 purpose="alert")
                    out.append(f"SMS: to {number} queued (outbox #{sms_id})")
                except Exception as exc:
                    out.append(f"SMS: to {number} FAILED: {exc}")
    return out
