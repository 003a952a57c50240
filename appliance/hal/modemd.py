"""The modem service (jns-modemd): one owner process per GSM modem port, and the SMS queue.

    python3 -m appliance.box modemd                 on the box (systemd: jns-modemd.service)
    python3 -m appliance.hal.modemd --db X [--dev-dir D]   tests: D holds simulator symlinks

The parent (`Supervisor`) finds ports: those configured in the modems table plus
/dev/ttyUSB*, /dev/ttyACM* and /dev/serial/by-id/* (or every entry of JNS_MODEM_DEV_DIR /
--dev-dir), one port per device even when several names lead to it.  For each it starts a
child process (`Owner`, the only process that opens that port), restarts it when it dies
and starts it again when a vanished device reappears.  It pings systemd's watchdog and,
every scan, runs the SMS campaigns' round (appliance.campaigns.sms_campaigns.run).

An owner probes the port with AT (an auto-detected port that never answers is left alone
for a while), brings the modem up (PIN from the panel entered at most once: see
store.sms.pin_to_enter), writes its state to the database, drains the SIM storage, then
waits on the modem's unsolicited codes and, every few seconds, on the outbound queue:
claims one message at a time (store.sms.claim_next), sends its parts in PDU mode, records
each part's message reference, matches delivery reports, stores inbound messages and
reassembles long ones.  Temporary errors go back to the queue with back-off; permanent
ones fail the message with the reason.

It never sends a part whose +CMGS came back a second time, and never retries a PIN the
SIM rejected.  The web panel never talks to modems: it writes the database only.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import logging
import os
import queue
import signal
import subprocess
import sys
import time

from .. import sdnotify
from ..store import db as store, sms
from . import gsm, pdu

log = logging.getLogger("jns.modemd")

AUTO_PATTERNS = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/serial/by-id/*")
EXIT_GONE, EXIT_NOT_MODEM, EXIT_STUCK = 4, 3, 5
NOT_MODEM_RETRY_S = 60.0
NETWORK_ERRORS_CMS = {331, 332, 30, 38, 41, 42, 47}


# -- the owner of one port ----------------------------------------------------------------

class Reinit(Exception):
    """The modem restarted or its SIM changed: bring it up again."""


class Owner:
    """Runs in its own process: the only user of `port`."""

    def __init__(self, db_path: str, port: str, *, configured: bool = False) -> None:
        self.db = store.open_db(db_path)
        self.port = port
        self.configured = configured
        self.modem: gsm.Modem | None = None
        self.modem_id: int | None = None
        self.cfg = sms.gsm_settings(self.db)
        self.next_status = 0.0
        self.next_send = 0.0
        self.next_fragments = 0.0
        self.was_registered = False

    def run(self) -> int:
        try:
            self.modem = gsm.Modem(self.port).open()
        except gsm.ModemGone as exc:
            self._absent(str(exc))
            return EXIT_GONE
        try:
            return self._run()
        except gsm.ModemGone as exc:
            self._absent(str(exc))
            return EXIT_GONE
        except gsm.GsmError as exc:   # a modem that stopped answering: start over
            log.warning("%s: %s", self.port, exc)
            if self.modem_id is not None:
                sms.update_modem(self.db, self.modem_id, state="error", last_error=str(exc))
            return EXIT_STUCK
        finally:
            if self.modem_id is not None:
                sms.release_claims(self.db, self.modem_id)
            self.modem.close()

    def _absent(self, why: str) -> None:
        log.warning("%s", why)
        row = self.db.execute("SELECT id FROM modems WHERE port = ?", [self.port]).fetchone()
        if row:
            sms.update_modem(self.db, row[0], state="absent", last_error=why)

    def _run(self) -> int:
        modem = self.modem
        try:
            modem.wake(timeout=30.0 if self.configured else 10.0)
        except gsm.ATTimeout as exc:
            if not self.configured and not self._known():
                log.info("%s: no modem answers AT here; leaving the port alone", self.port)
                return EXIT_NOT_MODEM
            mid = sms.ensure_modem(self.db, self.port)
            sms.update_modem(self.db, mid, state="error", last_error=str(exc))
            return EXIT_STUCK
        if not self.configured and self._another_port_of_a_known_modem():
            return EXIT_NOT_MODEM
        self.modem_id = sms.ensure_modem(self.db, self.port)
        sms.release_claims(self.db, self.modem_id)
        while True:
            try:
                self._bring_up()
                self._serve()
            except Reinit as why:
                log.info("%s: %s; bringing the modem up again", self.port, why)
                modem.status = gsm.Status()

    def _another_port_of_a_known_modem(self) -> bool:
        """Many USB modems show two or three AT ports; one owner per modem is enough.  A
        port whose IMEI another live port already reports is left alone."""
        imei = self.modem._plain("AT+CGSN")
        if not imei:
            return False
        row = self.db.execute(
            "SELECT port FROM modems WHERE imei = ? AND port != ? AND state != 'absent' "
            "AND updated_at > ?", [imei, self.port, time.time() - 300]).fetchone()
        if row:
            log.info("%s: the same modem (IMEI %s) is already used on %s; leaving this port",
                     self.port, imei, row[0])
        return row is not None

    def _known(self) -> bool:
        return self.db.execute("SELECT 1 FROM modems WHERE port = ?", [self.port]).fetchone() \
            is not None

    def _write_status(self) -> None:
        sms.update_modem(self.db, self.modem_id, **self.modem.status.fields())

    def _bring_up(self) -> None:
        """Init until the SIM is ready; waits (without entering anything) for a PIN."""
        modem, mid = self.modem, self.modem_id
        while True:
            sms.update_modem(self.db, mid, state="starting")
            try:
                status, outcome = modem.init(
                    pin=lambda iccid: sms.pin_to_enter(self.db, mid, iccid))
            except gsm.ATTimeout as exc:
                sms.update_modem(self.db, mid, state="error", last_error=str(exc))
                raise SystemExit(EXIT_STUCK)
            if outcome.entered:
                sms.pin_result(self.db, mid, outcome.accepted, status.iccid)
            elif status.state == "pin_required" and self._pin_state() == "rejected":
                status.state = "pin_rejected"    # still waiting for the admin's new PIN
                status.last_error = ("the SIM rejected the PIN entered earlier; enter the "
                                     "right PIN in the panel (3 wrong PINs lock the SIM)")
            self._forget_boot_urcs()
            self._write_status()
            if status.state in ("ready", "not_registered"):
                self.was_registered = status.registered
                self.drain_storage()
                return
            log.warning("%s: %s", self.port, status.last_error)
            self._wait_for_pin()

    def _forget_boot_urcs(self) -> None:
        """RDY / +CPIN: READY seen while we were bringing the modem up belong to that very
        start; keep everything else (a +CMTI must not be lost)."""
        keep = []
        while True:
            try:
                urc = self.modem.urcs.get_nowait()
            except queue.Empty:
                break
            if not (urc.name == "RDY" or urc.name == "+CPIN"):
                keep.append(urc)
        for urc in keep:
            self.modem.urcs.put(urc)

    def _wait_for_pin(self) -> None:
        """The SIM is not usable: wait until the admin enters a new PIN (or a URC says the
        SIM changed); never enter anything by ourselves."""
        while True:
            try:
                urc = self.modem.urcs.get(timeout=self.cfg["poll_s"])
                if urc.name in ("+CPIN", "^SIMST", "RDY"):
                    return
            except queue.Empty:
                pass
            if self.modem.channel.gone:
                raise gsm.ModemGone(self.modem.channel.gone)
            if self._pin_state() == "new":
                return

    def _pin_state(self) -> str | None:
        row = self.db.execute("SELECT pin_state FROM modems WHERE id = ?",
                              [self.modem_id]).fetchone()
        return row[0] if row else None

    # -- the main loop --

    def _serve(self) -> None:
        modem = self.modem
        while True:
            now = time.monotonic()
            wake = min(self.next_status, self.next_send, self.next_fragments)
            try:
                urc = modem.urcs.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                urc = None
            if modem.channel.gone:
                raise gsm.ModemGone(modem.channel.gone)
            if urc is not None:
                self.handle_urc(urc)
                continue
            now = time.monotonic()
            if now >= self.next_status:
                self.next_status = now + self.cfg["status_every_s"]
                self.refresh()
            if now >= self.next_fragments:
                self.next_fragments = now + min(60.0, self.cfg["fragment_timeout_s"] / 2)
                sms.expire_fragments(self.db, self.cfg["fragment_timeout_s"])
            if now >= self.next_send:
                self.next_send = now + self.cfg["poll_s"]
                if modem.status.registered:
                    self.send_due()

    def refresh(self) -> None:
        self.cfg = sms.gsm_settings(self.db)     # settings changed in the meantime
        self.modem.refresh()
        self._registration_changed()
        self._write_status()
        used = self.modem.storage_used()
        if used:
            self.drain_storage()

    def _registration_changed(self) -> None:
        registered = self.modem.status.registered
        if registered and not self.was_registered:
            log.info("%s: registered (%s); queued messages go now", self.port,
                     self.modem.status.registration)
            sms.retry_now(self.db)
            self.next_send = 0.0
        self.was_registered = registered

    def handle_urc(self, urc: gsm.Urc) -> None:
        name, args = urc.name, urc.args
        if name in ("+CMTI", "+CDSI") and len(args) >= 2:
            index = gsm.int_or_none(args[-1])
            if index is not None:
                self.take_stored(index)
        elif name in ("+CDS", "+CMT") and urc.pdu:
            self.handle_message(urc.message(), urc.pdu)
        elif name in ("+CREG", "+CGREG", "+CEREG") and name == "+CREG" and args:
            self.modem.set_registration(gsm.int_or_none(args[0]))
            self._registration_changed()
            self._write_status()
        elif name == "^RSSI" and args:          # Huawei: every few seconds
            before = self.modem.status.rssi
            self.modem.set_rssi(gsm.int_or_none(args[0]))
            if self.modem.status.rssi != before:  # write only changes (flash, CPU)
                self._write_status()
        elif name == "RDY" or (name == "+CPIN" and args and args[0].upper() != "READY"):
            raise Reinit(f"the modem said {urc.line!r}")
        elif name in ("^SMMEMFULL",) or (name == "+CIEV" and args
                                        and args[0].strip('"').upper() in ("SMSFULL", "MESSAGE")):
            self.drain_storage()
        else:
            log.debug("%s: URC %r", self.port, urc.line)

    # -- inbound --

    def take_stored(self, index: int) -> None:
        """A message or report the modem stored: read, keep, then delete it.

        An empty slot is left alone: its +CMTI was stale (the message was already taken by
        drain_storage, or an earlier +CMTI for the same index), and the modem puts the next
        arriving message into the lowest free slot, so a new message can land there between
        our AT+CMGR and an AT+CMGD, which would then delete it unread (its own +CMTI comes
        later and finds the slot empty).  A slot we read a message from stays occupied until
        we delete it, so deleting that one is safe."""
        try:
            message, raw = self.modem.read(index)
        except gsm.ATError as exc:
            log.warning("%s: cannot read message %d: %s", self.port, index, exc)
            return
        if not raw:
            log.debug("%s: message %d is gone already (stale +CMTI)", self.port, index)
            return
        self.handle_message(message, raw)
        self.modem.delete(index)

    def drain_storage(self) -> None:
        """Everything in the SIM storage (AT+CMGL=4): kept, then deleted, which also frees
        a full storage."""
        try:
            stored = self.modem.list_all()
        except gsm.ATError as exc:
            log.warning("%s: cannot list stored messages: %s", self.port, exc)
            return
        for index, message, raw in stored:
            self.handle_message(message, raw)
            try:
                self.modem.delete(index)
            except gsm.ATError as exc:
                log.warning("%s: cannot delete message %d: %s", self.port, index, exc)
        if stored:
            log.info("%s: %d stored message(s) read and deleted", self.port, len(stored))

    def handle_message(self, message: object, raw: str) -> None:
        if isinstance(message, pdu.Deliver):
            sms.store_inbound(self.db, self.modem_id, message.sender, message.text,
                              sent_at=message.timestamp.isoformat(), concat=message.concat)
        elif isinstance(message, pdu.StatusReport):
            oid = sms.match_report(self.db, self.modem_id, message.mr,
                                   delivered=message.delivered, final=message.final,
                                   status=message.status)
            log.info("%s: delivery report mr=%d status=%d -> message %s", self.port,
                     message.mr, message.status, oid)
        elif isinstance(message, pdu.Submit):
            pass   # a copy of something sent, kept by the modem: nothing to do
        else:      # undecodable: keep the raw PDU so nothing is lost
            sms.store_inbound(self.db, self.modem_id, "?",
                              f"[message the box could not read ({message}): {raw}]")

    # -- outbound --

    def send_due(self) -> None:
        """Send queued messages while the rate limit allows."""
        now = time.time()
        count, last = sms.sent_since(self.db, self.modem_id, now - 3600)
        if count >= self.cfg["max_per_hour"]:
            self.next_send = time.monotonic() + 60
            return
        if last is not None and now - last < self.cfg["min_interval_s"]:
            self.next_send = time.monotonic() + self.cfg["min_interval_s"] - (now - last)
            return
        message = sms.claim_next(self.db, self.modem_id)
        if message is None:
            return
        self.send_message(message)
        self.next_send = time.monotonic() + self.cfg["min_interval_s"]

    def send_message(self, message: dict) -> None:
        oid = message["id"]
        parts = sms.parts_of(self.db, oid)
        if not parts:
            try:
                encoded = pdu.encode_submit(message["number"], message["text"], ref=oid % 256)
            except pdu.PduError as exc:
                sms.defer(self.db, oid, f"cannot be written as an SMS: {exc}", permanent=True)
                return
            parts = sms.store_parts(self.db, oid, pdu.encoding_for(message["text"]),
                                    [(p.pdu, p.length) for p in encoded])
        try:
            for part in parts:
                if part["status"] not in ("pending", "sending"):
                    continue   # confirmed earlier: never again
                sms.part_sending(self.db, part["id"], self.modem_id)
                mr = self.modem.send_part((part["pdu"], part["length"]))
                sms.part_sent(self.db, part["id"], self.modem_id, mr)
        except gsm.ATError as exc:
            status = sms.defer(self.db, oid, str(exc), permanent=exc.permanent)
            log.warning("%s: message %d: %s -> %s", self.port, oid, exc, status)
            if exc.cms in NETWORK_ERRORS_CMS or exc.cme == 30:
                self.refresh()
            return
        except gsm.ATTimeout as exc:
            sms.defer(self.db, oid, str(exc))
            log.warning("%s: message %d: %s", self.port, oid, exc)
            return
        except gsm.GsmError as exc:
            if isinstance(exc, gsm.ModemGone):
                raise
            sms.defer(self.db, oid, str(exc))
            return
        sms.message_sent(self.db, oid)
        log.info("%s: message %d sent in %d part(s)", self.port, oid, len(parts))


def run_owner(db_path: str, port: str, configured: bool) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return Owner(db_path, port, configured=configured).run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


# -- the parent: detection and restarts ----------------------------------------------------

def _die_with_parent() -> None:
    """Children get SIGKILL when the service dies, so a port is never owned twice."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Supervisor:
    def __init__(self, db_path: str, *, dev_dir: str | None = None,
                 scan_s: float = 3.0) -> None:
        self.db_path = db_path
        self.db = store.open_db(db_path)
        self.patterns = [os.path.join(dev_dir, "*")] if dev_dir else list(AUTO_PATTERNS)
        self.scan_s = scan_s
        self.children: dict[str, subprocess.Popen] = {}
        self.retry_at: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.started: dict[str, float] = {}

    def ports(self) -> dict[str, bool]:
        """port -> configured, one name per device (a by-id name wins over ttyUSBn)."""
        found: dict[str, str] = {}
        for pattern in self.patterns:
            for path in sorted(glob.glob(pattern)):
                real = os.path.realpath(path)
                if real not in found or "/by-id/" in path:
                    found[real] = path
        out = {path: False for path in found.values()}
        for port in sms.configured_ports(self.db):
            real = os.path.realpath(port)
            if real in found and found[real] != port:
                out.pop(found[real], None)
            out[port] = True
        return out

    def scan(self) -> None:
        ports = self.ports()
        now = time.monotonic()
        for port, child in list(self.children.items()):
            rc = child.poll()
            if rc is None:
                continue
            del self.children[port]
            self._child_ended(port, rc, now)
        for port, configured in ports.items():
            if port in self.children or now < self.retry_at.get(port, 0):
                continue
            if not os.path.exists(port):
                self._mark_absent(port)
                continue
            self.children[port] = subprocess.Popen(
                [sys.executable, "-m", "appliance.hal.modemd", "--db", self.db_path,
                 "--owner", port] + (["--configured"] if configured else []),
                preexec_fn=_die_with_parent)
            self.started[port] = now
            log.info("%s: owner process %d started", port, self.children[port].pid)

    def _child_ended(self, port: str, rc: int, now: float) -> None:
        row = self.db.execute("SELECT id FROM modems WHERE port = ?", [port]).fetchone()
        if row:
            sms.release_claims(self.db, row[0])
        if rc == EXIT_NOT_MODEM:
            self.retry_at[port] = now + NOT_MODEM_RETRY_S
            return
        if now - self.started.get(port, now) > 300:
            self.failures[port] = 0          # it ran for a good while: start the back-off anew
        n = self.failures[port] = self.failures.get(port, 0) + 1
        delay = 0.0 if rc == EXIT_GONE else min(30.0, 2.0 ** min(n, 5))
        self.retry_at[port] = now + delay
        log.warning("%s: owner process ended (exit %s); again in %.0f s", port, rc, delay)
        if not os.path.exists(port):
            self._mark_absent(port)

    def _mark_absent(self, port: str) -> None:
        row = self.db.execute("SELECT id, state, last_error FROM modems WHERE port = ?",
                              [port]).fetchone()
        if row and (row[1] != "absent" or not row[2]):
            sms.update_modem(self.db, row[0], state="absent",
                             last_error=f"no device at {port}: plug the modem in or check "
                                        "the USB cable")

    def stop(self) -> None:
        for child in self.children.values():
            child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
        self.children.clear()

    def run_sms_campaigns(self) -> None:
        """SMS campaigns (AUTO-3): queue what is due, copy statuses back, file replies.  A
        campaign bug is logged and never stops the modems."""
        try:
            from ..campaigns import sms_campaigns
            sms_campaigns.run(self.db)
        except Exception:   # noqa: BLE001 - the next round tries again
            log.exception("SMS campaigns round failed; the modems go on")

    def run(self) -> None:
        sms.release_claims(self.db)   # no owner runs yet: every claim is stale
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        sdnotify.notify("READY=1")
        try:
            while True:
                self.scan()
                self.run_sms_campaigns()
                sdnotify.notify("WATCHDOG=1", f"STATUS={len(self.children)} modem port(s) "
                                              "owned")
                time.sleep(self.scan_s)
        finally:
            self.stop()


def run_service(db_path: str, dev_dir: str | None = None) -> None:
    dev_dir = dev_dir or os.environ.get("JNS_MODEM_DEV_DIR") or None
    scan = float(os.environ.get("JNS_MODEMD_SCAN_S", "3"))
    Supervisor(db_path, dev_dir=dev_dir, scan_s=scan).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m appliance.hal.modemd")
    parser.add_argument("--db", required=True, help="the box's database")
    parser.add_argument("--dev-dir", help="look for modems here instead of /dev (tests)")
    parser.add_argument("--owner", metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--configured", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("JNS_LOG_LEVEL", "INFO"),
                        format="%(name)s %(levelname)s %(message)s")
    if args.owner:
        return run_owner(args.db, args.owner, args.configured)
    run_service(args.db, args.dev_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
