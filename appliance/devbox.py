"""The appliance on this host: real Asterisk from build/rootfs plus our services.

Used by `make run` (the embedded demo configuration, panel on http://127.0.0.1:8080) and by
the integration tests (random free ports, a temporary directory).  Order of start-up is the
box's: database -> render Asterisk config -> FastAGI server -> Asterisk -> AMI.
"""
from __future__ import annotations

import argparse
import collections
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .store import config, db as store
from .telephony import agi, render
from .telephony.ami import AMIClient
from .telephony.apply import ConfigApplier
from .telephony.chroot import CHROOT_ROOT, ChrootAsterisk, default_rootfs

log = logging.getLogger(__name__)


_HANDED_OUT: collections.deque[int] = collections.deque(maxlen=1000)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (SIP uses UDP, AMI/AGI TCP).

    Not near one handed out recently: the port is only bound later by whoever asked, and
    SIPp's media port takes the next three too (RTCP, video), so twenty SIPp started at
    once must not be given neighbouring ports."""
    for _ in range(100):
        port = random.randint(20000, 59000)
        if any(abs(port - other) <= 4 for other in _HANDED_OUT):
            continue
        try:
            for k in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(socket.AF_INET, k) as s:
                    s.bind(("127.0.0.1", port))
            _HANDED_OUT.append(port)
            return port
        except OSError:
            continue
    raise RuntimeError("no free port on 127.0.0.1")


class DevBox:
    def __init__(self, workdir: str | os.PathLike, *, rootfs: str | os.PathLike | None = None,
                 sip_port: int | None = None, ami_port: int | None = None,
                 agi_port: int | None = None, carrier_hosts: tuple[str, ...] = ("127.0.0.1",),
                 demo_agent_contacts: dict[str, str] | None = None,
                 calld_port: int | None = None):
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.workdir / "jns.db"
        self.db = store.open_db(self.db_path)
        config.seed_demo(self.db, demo_agent_contacts)
        rtp = random.randrange(20000, 59000, 200)
        self.layout = render.Layout(
            root=CHROOT_ROOT, sip_bind="127.0.0.1", sip_port=sip_port or free_port(),
            ami_port=ami_port or free_port(), agi_port=agi_port or free_port(),
            rtp_start=rtp, rtp_end=rtp + 198, media_address="127.0.0.1",
            ami_secret=store.ensure_secret(self.db, "ami_secret"),
            trusted_carrier_hosts=carrier_hosts, calld_port=calld_port or free_port(),
            http_port=free_port())    # the browser softphone's SIP WebSocket (ws)
        self.asterisk = ChrootAsterisk(rootfs or default_rootfs(), self.workdir / "asterisk", self.layout)
        self.agi_server: agi.FastAGIServer | None = None
        self.ami: AMIClient | None = None
        self.applier: ConfigApplier | None = None

    def apply_config(self) -> None:
        """Render the database into Asterisk's files and, if Asterisk runs, reload it."""
        files = render.render_files(config.snapshot(self.db), self.layout)
        render.install(files, self.asterisk.etc_parent)
        if self.ami is not None and self.ami.connected:
            self.ami.action("Command", Command="core reload")

    def start(self) -> "DevBox":
        self.apply_config()
        self.agi_server = agi.FastAGIServer(
            ("127.0.0.1", self.layout.agi_port),
            agi.Services(store.open_db(self.db_path), asterisk_root=self.layout.root,
                         host_root=str(self.asterisk.dir)))
        agi.serve_in_thread(self.agi_server)
        self.asterisk.start()
        self.asterisk.wait_fully_booted(timeout=60)
        self.ami = AMIClient("127.0.0.1", self.layout.ami_port, self.layout.ami_user,
                             self.layout.ami_secret, name="devbox").start()
        if not self.ami.wait_connected(20):
            raise RuntimeError(f"AMI did not come up on port {self.layout.ami_port}: {self.ami.last_error}")
        # what the panel saves reaches Asterisk as it would on the box
        self.applier = ConfigApplier(store.open_db(self.db_path), self.layout,
                                     self.asterisk.etc_parent, self.ami).start()
        return self

    def stop(self) -> None:
        if self.applier:
            self.applier.stop()
        if self.ami:
            self.ami.close()
        self.asterisk.stop()
        if self.agi_server:
            self.agi_server.shutdown()
            self.agi_server.server_close()

    def start_watchdog(self, **kw):
        """The box's watchdog over this devbox (alerts in the panel; a dead Asterisk is
        restarted here instead of by systemd).  The caller stops it before stop()."""
        from .watchdog.service import Watchdog
        ami = AMIClient("127.0.0.1", self.layout.ami_port, self.layout.ami_user,
                        self.layout.ami_secret, name="watchdog").start()
        kw.setdefault("leds_root", None)
        kw.setdefault("reboot", None)
        wd = Watchdog(self.db_path, data_dir=self.workdir, asterisk_alive=self.asterisk.running,
                      ami=ami, restarter=lambda _name: self.asterisk.start(),
                      recordings_dirs=(self.asterisk.recordings_dir,
                                       self.workdir / "archive" / "recordings"),
                      alarms_log=self.workdir / "alarms.log", ping=lambda *a: None,
                      close_with=(ami,), **kw)
        return wd.start()

    def start_calld(self, port: int | None = None, **kw):
        """jns-calld over this devbox (its own AMI session, the box's queue_log), serving on
        layout.calld_port (or `port`), with the call-center alarms unless `alarms` is given.
        The caller stops it before stop()."""
        from .telephony.calld import CallService
        owned = []
        if "alarms" not in kw:   # the call-center alarms run as on the box (no LEDs here)
            from .telephony.queue_alarms import QueueAlarms
            kw["alarms"] = QueueAlarms(str(self.db_path), leds_root=None)
            owned.append(kw["alarms"])
        ami = AMIClient("127.0.0.1", self.layout.ami_port, self.layout.ami_user,
                        self.layout.ami_secret, name="calld")
        service = CallService(self.db_path, ami, queue_log=self.asterisk.log_dir / "queue_log",
                              bind=("127.0.0.1", port or self.layout.calld_port),
                              secret=store.ensure_secret(self.db, "calld_secret"),
                              close_with=(ami, *owned), **kw).start()
        ami.start()
        return service

    def start_dialer(self, **kw):
        """The campaign dialer over this devbox, with its own AMI session as in jns-calld.
        The caller stops it (and its AMI client, `dialer.ami`) before stop()."""
        from .campaigns.dialer import Dialer
        ami = AMIClient("127.0.0.1", self.layout.ami_port, self.layout.ami_user,
                        self.layout.ami_secret, name="dialer").start()
        ami.wait_connected(20)
        kw.setdefault("asterisk_root", self.layout.root)
        return Dialer(self.db_path, ami, **kw).start()

    def start_conference_caller(self, **kw):
        """The caller of scheduled conferences and group calls over this devbox, with its own
        AMI session as in jns-calld.  The caller stops it (and `caller.ami`) before stop()."""
        from .telephony.conference_calls import ConferenceCaller
        ami = AMIClient("127.0.0.1", self.layout.ami_port, self.layout.ami_user,
                        self.layout.ami_secret, name="conference-caller").start()
        ami.wait_connected(20)
        return ConferenceCaller(self.db_path, ami, **kw).start()

    def start_reports(self, interval: float = 2.0, monthly: bool = False):
        """jns-reports over this devbox (its own database connection, the box's queue_log
        and CDR), reading every `interval` s in a thread; `run_once()` reads now (tests that
        want the facts at once).  The caller stops it before stop()."""
        from .reports.service import ReportsLoop
        return ReportsLoop(store.open_db(self.db_path), self.asterisk.log_dir / "queue_log",
                           self.asterisk.log_dir / "cdr-csv" / "Master.csv",
                           interval=interval, monthly=monthly).start()

    def web_env(self) -> dict[str, str]:
        """Environment for the panel (appliance.webui.wsgi) to reach this box."""
        return {"JNS_DB": str(self.db_path), "JNS_ASTERISK_DIR": str(self.asterisk.dir), "JNS_AMI_PORT": str(self.layout.ami_port),
                "JNS_AMI_USER": self.layout.ami_user, "JNS_AMI_SECRET": self.layout.ami_secret,
                "JNS_CALLD_URL": f"http://127.0.0.1:{self.layout.calld_port}",
                "JNS_CALLD_SECRET": store.ensure_secret(self.db, "calld_secret"),
                # the desk's softphone: Asterisk's own WebSocket (plain ws on loopback here)
                "JNS_SOFTPHONE_WS": f"ws://{{host}}:{self.layout.http_port}/ws"}

    def log_text(self) -> str:
        path = self.asterisk.log_dir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> "DevBox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`make run`: the appliance with its demo configuration, until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m appliance.devbox")
    parser.add_argument("--workdir", default="var/run-demo")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--sip-port", type=int, default=5060)
    parser.add_argument("--agent-port", type=int, default=5070,
                        help="agent 101 is also reachable as a SIPp UAS on this port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    box = DevBox(args.workdir, sip_port=args.sip_port, ami_port=5038, agi_port=4573,
                 demo_agent_contacts={"101": f"sip:101@127.0.0.1:{args.agent_port}"},
                 calld_port=5040)
    box.start()
    calld = box.start_calld()
    dialer = box.start_dialer()
    conferences = box.start_conference_caller()      # scheduled conferences, group calls
    from .telephony.webhooks import start_in_calld
    webhooks = start_in_calld(calld, box.db_path)    # integrators' webhooks, as jns-calld
    from .telephony.callbacks import start_in_calld as start_callbacks
    callbacks = start_callbacks(box.db_path, box.layout)   # callback instead of waiting
    watchdog = box.start_watchdog()
    reports = box.start_reports(monthly=True)   # queue_log/CDR into the Reports pages
    env = dict(os.environ, **box.web_env())
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "64",
                            "--bind", f"127.0.0.1:{args.http_port}", "appliance.webui.wsgi:app"],
                           env=env)
    here = Path(__file__).resolve().parents[1]
    print(f"""
JNS Call Center is running (Asterisk {box.ami.action('CoreSettings').get('AsteriskVersion')}).
  Panel:  http://127.0.0.1:{args.http_port}/   (first visit asks you to set the admin password)
  SIP:    udp 127.0.0.1:{args.sip_port}; DID 100 -> IVR "main" (press 1 or 0 -> queue "support")
  Agent 101 answers as a SIPp phone; in a second terminal run:
    cd {here}/tests/sipp && sox -n -r 8000 -c 1 -e a-law -t al tone.al synth 3 sine 440
    sipp -sf agent.xml -i 127.0.0.1 -p {args.agent_port} -mp 40000 -d 5000 -bg
    sipp 127.0.0.1:{args.sip_port} -sf caller.xml -s 100 -key caller 48600100200 -key digit 1 -d 1500 \\
         -i 127.0.0.1 -mp 41000 -m 1
  Asterisk's logs, queue_log, CDR and recordings: {box.asterisk.dir}
Press Ctrl-C to stop.""", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop and web.poll() is None:   # a dead Asterisk: the watchdog restarts it
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    web.terminate()
    web.wait(timeout=10)
    watchdog.stop()
    reports.stop()
    if callbacks is not None:
        callbacks.stop()
        callbacks.ami.close()
    if webhooks is not None:
        webhooks.stop()
    conferences.stop()
    conferences.ami.close()
    dialer.stop()
    dialer.ami.close()
    calld.stop()
    box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
