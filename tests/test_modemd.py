"""The modem service (appliance.hal.modemd) as the box runs it: a real process with one
owner child per port, against modem simulators on pseudo-terminals, through a real SQLite
database.

The service finds the simulators in a directory of symlinks (--dev-dir, like /dev/ttyUSB*),
the test queues messages with store.sms.queue_sms exactly like the panel and the watchdog,
and checks what "the network" got (`sim.sent`, decoded by the simulator) and what the
database says.  Faults: unplug mid-send, the service killed mid-queue, the network lost
during a send, full message storage, a wrong PIN.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.hal import gsm, modemd
from appliance.hal.modemsim import ModemSim
from appliance.store import db as store, sms

ROOT = Path(__file__).resolve().parents[1]
POLISH = ("Awaria centrali: zażółć gęślą jaźń, prosimy o pilny kontakt z serwisem. "
          "Dyżurny technik oddzwoni w ciągu kwadransa.")   # 2 UCS-2 parts
LONG = ("Szanowni Państwo, przypominamy o przeglądzie centrali telefonicznej w przyszły "
        "wtorek. Prosimy o zapewnienie dostępu do serwerowni od godziny ósmej rano. "
        "Dziękujemy, zespół serwisu.")                       # 3 UCS-2 parts
FAST = {"poll_s": 0.2, "retry_base_s": 1, "min_interval_s": 0, "status_every_s": 5,
        "fragment_timeout_s": 600}


def wait_for(what, timeout: float = 30.0, every: float = 0.05, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {message or what}")
        time.sleep(every)


class Service:
    """`python3 -m appliance.hal.modemd` in its own process, as systemd starts it."""

    def __init__(self, db_path: Path, dev_dir: Path) -> None:
        self.db_path, self.dev_dir = db_path, dev_dir
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Service":
        env = dict(os.environ, JNS_MODEMD_SCAN_S="0.3", PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.hal.modemd", "--db", str(self.db_path),
             "--dev-dir", str(self.dev_dir)], cwd=ROOT, env=env)
        return self

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no clean-up runs."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def box(tmp_path):
    db_path = tmp_path / "jns.db"
    db = store.open_db(db_path)
    for key, value in FAST.items():
        store.set_setting(db, f"gsm.{key}", str(value))
    dev = tmp_path / "dev"
    dev.mkdir()
    services: list[Service] = []

    class Box:
        def __init__(self):
            self.db, self.dev, self.db_path = db, dev, db_path

        def service(self) -> Service:
            svc = Service(db_path, dev).start()
            services.append(svc)
            return svc

        def setting(self, key: str, value) -> None:
            store.set_setting(db, f"gsm.{key}", str(value))

        def modem(self) -> dict | None:
            rows = sms.modems(db)
            return rows[0] if rows else None

        def message(self, oid: int) -> dict:
            return next(m for m in sms.outbox(db, limit=1000) if m["id"] == oid)

        def wait_status(self, oid: int, status: str, timeout: float = 30.0) -> dict:
            return wait_for(lambda: self.message(oid)["status"] == status and self.message(oid),
                            timeout, message=f"message {oid} -> {status}: {self.message(oid)}")

        def part_sending(self) -> bool:
            return db.execute("SELECT 1 FROM sms_parts WHERE status = 'sending'").fetchone() \
                is not None

    yield Box()
    for svc in services:
        svc.stop()


def texts(sim: ModemSim) -> list[str]:
    """Whole messages the network received (parts joined by their concatenation ref)."""
    out, parts = [], collections.defaultdict(dict)
    for s in sim.sent:
        if s.submit.concat is None:
            out.append(s.submit.text)
            continue
        ref, total, seq = s.submit.concat
        parts[ref][seq] = s.submit.text
        if len(parts[ref]) == total:
            whole = parts.pop(ref)
            out.append("".join(whole[i] for i in range(1, total + 1)))
    return out


def test_detected_modem_sends_polish_sms_and_gets_the_delivery_report(box, tmp_path):
    with ModemSim("simcom", link_dir=box.dev, operator="Play", rssi=14) as sim:
        box.service()
        modem = wait_for(lambda: (m := box.modem()) and m["state"] == "ready" and m,
                         message="modem ready")
        assert (modem["port"], modem["operator"], modem["rssi"], modem["dbm"]) == (
            sim.port, "Play", 14, -85)
        assert modem["imei"] == sim.imei and modem["imsi"] == sim.imsi
        oid = sms.queue_sms(box.db, "+48600100200", POLISH, purpose="alert")
        msg = box.wait_status(oid, "delivered")
        assert (msg["parts"], msg["encoding"], msg["error"]) == (2, "ucs2", None)
        sent = sim.sent
        assert [s.submit.encoding for s in sent] == ["ucs2", "ucs2"]
        assert [s.submit.concat[1:] for s in sent] == [(2, 1), (2, 2)]
        assert texts(sim) == [POLISH]
        parts = sms.parts_of(box.db, oid)
        assert [p["mr"] for p in parts] == [s.mr for s in sent]
        assert all(p["status"] == "delivered" for p in parts)


def test_inbound_multipart_out_of_order_with_a_duplicate(box):
    with ModemSim("quectel", link_dir=box.dev) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        sim.deliver("+48500600700", LONG, order=[3, 1, 2], duplicate=[1], ref=77)
        [row] = wait_for(lambda: sms.inbox(box.db), message="inbox row")
        assert (row["sender"], row["text"], row["parts"], row["complete"]) == (
            "+48500600700", LONG, 3, 1)
        wait_for(lambda: sim.storage == {}, message="storage emptied")
        time.sleep(1)
        assert len(sms.inbox(box.db)) == 1          # the duplicate part made no second row


def test_missing_part_is_stored_with_a_marker(box):
    # long enough for part 3 to follow part 1 on a busy machine (it once came 1.5 s later)
    box.setting("fragment_timeout_s", 4)
    with ModemSim("generic", link_dir=box.dev) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        sim.deliver("+48500600700", LONG, drop=[2], ref=12)
        [row] = wait_for(lambda: sms.inbox(box.db), timeout=60, message="incomplete row")
        assert "[part 2 of 3 missing]" in row["text"] and row["complete"] == 0, row
        assert row["text"].startswith(LONG[:30]) and row["text"].endswith(LONG[-20:]), row


def next_urc(modem, name: str, timeout: float = 5.0):
    """The next unsolicited code called `name`, passing over others (+CREG, ...)."""
    deadline = time.monotonic() + timeout
    while True:
        urc = modem.urcs.get(timeout=max(0.01, deadline - time.monotonic()))
        if urc.name == name:
            return urc


def test_a_message_landing_in_a_slot_a_stale_cmti_points_to_is_not_deleted_unread(tmp_path):
    """The race behind test_missing_part_is_stored_with_a_marker, made deterministic: a
    +CMTI whose message drain_storage already took points to an empty slot; the next
    message lands in that very slot (the lowest free one) right after AT+CMGR found it
    empty.  The owner must not AT+CMGD the slot it found empty: that deleted the new
    message unread, and its own +CMTI then found nothing."""
    db_path = tmp_path / "jns.db"
    store.open_db(db_path)
    with ModemSim("generic", link_dir=tmp_path) as sim:
        owner = modemd.Owner(str(db_path), sim.port)
        owner.modem = modem = gsm.Modem(sim.port).open()
        try:
            owner.modem_id = sms.ensure_modem(owner.db, sim.port)
            modem.init()
            wait_for(lambda: modem.refresh().registered, 20, every=0.3, message="registered")
            sim.deliver("+48500600700", "pierwsza")
            stale = next_urc(modem, "+CMTI")      # registration URCs may come first
            assert stale.args == ["SM", "1"]
            owner.drain_storage()                 # takes "pierwsza" from slot 1, deletes it
            assert sim.storage == {}
            real_read, arrived = modem.read, []

            def read_then_a_message_arrives(index, storage=None):
                result = real_read(index, storage)
                if not arrived:                   # between our AT+CMGR and what follows
                    arrived.append(sim.deliver("+48500600700", "druga"))
                return result
            modem.read = read_then_a_message_arrives
            owner.handle_urc(stale)
            assert list(sim.storage) == [1], "the new message was deleted unread"
            owner.handle_urc(next_urc(modem, "+CMTI"))   # its own +CMTI: "SM",1
            assert sorted(m["text"] for m in sms.inbox(owner.db)) == ["druga", "pierwsza"]
            assert sim.storage == {}
        finally:
            modem.close()


def test_unplugged_mid_send_is_delivered_after_replug_exactly_once(box):
    with ModemSim("generic", link_dir=box.dev, send_delay_s=1.5) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        oid = sms.queue_sms(box.db, "+48600100200", "Alarm: dysk pełny")
        wait_for(box.part_sending, message="part being sent")
        sim.unplug()
        wait_for(lambda: box.modem()["state"] == "absent", message="modem absent")
        assert box.message(oid)["status"] == "queued" and sim.sent == []
        sim.replug()
        box.wait_status(oid, "delivered")
        time.sleep(1.5)
        assert texts(sim) == ["Alarm: dysk pełny"]


def test_service_killed_mid_queue_sends_every_message_exactly_once(box):
    box.setting("min_interval_s", 1.0)
    with ModemSim("generic", link_dir=box.dev, send_delay_s=0.1) as sim:
        svc = box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        wanted = [f"Wiadomość numer {i}" for i in range(6)]
        ids = [sms.queue_sms(box.db, "+48600100200", t, purpose="alert") for t in wanted]

        def between_messages():   # two or more sent, none on its way to the modem now
            done = [m for m in sms.outbox(box.db) if m["status"] in ("sent", "delivered")]
            last = max((m["sent_at"] for m in done), default=0)
            return len(done) >= 2 and not box.part_sending() and time.time() - last < 0.5
        wait_for(between_messages, every=0.01, message="between two messages")
        svc.kill()
        assert len(texts(sim)) < 6
        restarted = time.time()
        box.service()
        for oid in ids:      # a report due while the service was dead is lost (+CDS, ds=1)
            wait_for(lambda: box.message(oid)["status"] in ("sent", "delivered"), 60,
                     message=f"message {oid} sent")
        for oid in ids:
            if box.message(oid)["sent_at"] > restarted:
                box.wait_status(oid, "delivered")
        time.sleep(1.5)
        assert collections.Counter(texts(sim)) == collections.Counter(wanted)


def test_network_lost_during_a_send_retried_after_registration(box):
    box.setting("retry_base_s", 600)      # only the registration can bring the retry forward
    with ModemSim("generic", link_dir=box.dev, send_delay_s=1.0) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        oid = sms.queue_sms(box.db, "+48600100200", "Test po utracie sieci")
        wait_for(box.part_sending, message="part being sent")
        sim.deregister()
        msg = wait_for(lambda: (m := box.message(oid))["attempts"] == 1 and m,
                       message="first attempt failed")
        assert msg["status"] == "queued" and "331" in msg["error"]
        wait_for(lambda: box.modem()["state"] == "not_registered", message="not registered")
        sim.register()
        box.wait_status(oid, "delivered")
        assert texts(sim) == ["Test po utracie sieci"]


def test_full_storage_is_drained(box):
    with ModemSim("generic", link_dir=box.dev, storage_size=5) as sim:
        sim.fill_storage()
        sim.deliver("+48500600700", "Nowa po zwolnieniu miejsca")
        box.service()
        rows = wait_for(lambda: len(sms.inbox(box.db)) >= 6 and sms.inbox(box.db),
                        message="old messages and the new one in the inbox")
        assert sorted(r["text"] for r in rows) == sorted(
            [f"stara wiadomosc {i}" for i in range(1, 6)] + ["Nowa po zwolnieniu miejsca"])
        wait_for(lambda: sim.storage == {}, message="storage empty")


def test_pin_entered_once_and_never_retried_after_rejection(box):
    with ModemSim("simcom", link_dir=box.dev, pin="4321") as sim:
        svc = box.service()
        modem = wait_for(lambda: (m := box.modem()) and m["state"] == "pin_required" and m,
                         message="PIN required")
        sms.set_pin(box.db, modem["id"], "1111")
        wait_for(lambda: box.modem()["state"] == "pin_rejected", message="PIN rejected")
        assert box.modem()["pin_state"] == "rejected"
        time.sleep(2)                       # many idle rounds of the owner
        svc.kill()                          # and a restart of the whole service
        restarted = time.time()             # kill() waited: the old owner writes no more
        box.service()
        # the new owner wrote the modem's state (it may do so within a fraction of a second
        # and then, with nothing changing, never again)
        wait_for(lambda: box.modem()["updated_at"] > restarted
                 and box.modem()["state"] == "pin_rejected", message="up again")
        time.sleep(1)
        pins = [c for c in sim.commands if c.startswith("AT+CPIN=")]
        assert pins == ['AT+CPIN="1111"']
        sms.set_pin(box.db, modem["id"], "4321")
        wait_for(lambda: box.modem()["state"] == "ready", message="ready with the right PIN")
        assert [c for c in sim.commands if c.startswith("AT+CPIN=")] == [
            'AT+CPIN="1111"', 'AT+CPIN="4321"']


def test_rate_limit_per_hour(box):
    box.setting("max_per_hour", 2)
    with ModemSim("generic", link_dir=box.dev, send_delay_s=0.05) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        ids = [sms.queue_sms(box.db, "+48600100200", f"limit {i}") for i in range(3)]
        box.wait_status(ids[0], "delivered")
        box.wait_status(ids[1], "delivered")
        time.sleep(2)
        assert box.message(ids[2])["status"] == "queued" and len(sim.sent) == 2


def test_undeliverable_report_fails_the_message_with_the_reason(box):
    with ModemSim("generic", link_dir=box.dev, report_status=0x41) as sim:  # 0x41: no such number
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        oid = sms.queue_sms(box.db, "+48600100200", "Do nieistniejącego numeru")
        msg = box.wait_status(oid, "failed")
        assert "could not deliver" in msg["error"] and "65" in msg["error"]
        assert len(sim.sent) == 1


def test_configured_port_without_device_is_absent_and_a_silent_port_is_no_modem(box, tmp_path):
    assert not os.path.exists("/dev/ttyACM97")
    sms.add_modem(box.db, "/dev/ttyACM97", "Alarm modem")           # nothing plugged in
    silent = ModemSim("generic", link_dir=box.dev, name="ttyUSB5", quirks=("boot_errors",),
                      boot_s=3600)                                  # a port that never answers
    with silent:
        box.service()
        wait_for(lambda: box.modem() and box.modem()["state"] == "absent"
                 and "plug the modem in" in (box.modem()["last_error"] or ""), message="absent")
        time.sleep(12)                     # the probe of the silent port gives up
        assert [m["port"] for m in sms.modems(box.db)] == ["/dev/ttyACM97"]
        assert "AT" in silent.commands


def test_the_modem_with_every_bad_habit_still_delivers_everything_once(box):
    """Noise, broken line ends, missing OKs, ignored commands, echo, slowness, URCs inside
    responses, boot errors: all at once, through the whole service."""
    box.setting("retry_base_s", 1)
    box.setting("status_every_s", 60)      # each refresh costs this slow modem seconds
    with ModemSim("flaky", link_dir=box.dev, seed=7) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", timeout=120,
                 every=0.5, message="flaky modem ready")
        ids = [sms.queue_sms(box.db, "+48600100200", POLISH),
               sms.queue_sms(box.db, "+48600100201", "Krótka")]
        sim.deliver("+48500600700", LONG, order=[2, 1, 3])
        for oid in ids:
            box.wait_status(oid, "delivered", timeout=180)
        [row] = wait_for(lambda: sms.inbox(box.db), timeout=60, message="inbox")
        assert row["text"] == LONG and row["complete"] == 1
        assert sorted(texts(sim)) == sorted([POLISH, "Krótka"])


def test_message_references_wrap_at_256(box):
    with ModemSim("generic", link_dir=box.dev, first_mr=254, send_delay_s=0.05) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="ready")
        ids = [sms.queue_sms(box.db, "+48600100200", f"mr {i}") for i in range(4)]
        for oid in ids:
            box.wait_status(oid, "delivered")
        assert [s.mr for s in sim.sent] == [254, 255, 0, 1]
        assert [sms.parts_of(box.db, oid)[0]["mr"] for oid in ids] == [254, 255, 0, 1]


def test_report_matches_the_most_recent_part_with_that_reference(box):
    mid = sms.ensure_modem(box.db, "/dev/ttyUSB0")
    old, new = (sms.queue_sms(box.db, "+48600100200", t) for t in ("old", "new"))
    for oid in (old, new):     # 256 messages apart, both got mr 7; the old report never came
        sms.claim_next(box.db, mid)
        [part] = sms.store_parts(box.db, oid, "gsm7", [("00AA", 7)])
        sms.part_sending(box.db, part["id"], mid)
        sms.part_sent(box.db, part["id"], mid, 7)
        sms.message_sent(box.db, oid)
        time.sleep(0.01)
    assert sms.match_report(box.db, mid, 7, delivered=True, final=True, status=0) == new
    assert (box.message(new)["status"], box.message(old)["status"]) == ("delivered", "sent")
