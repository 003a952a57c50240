"""The watchdog service as bench.hal runs it: one process, built like `service.run_box`.

    python -m bench.hal_watchdog --db DB --data DIR --ami-port N --ami-secret S ...

`run_box` (what `python3 -m appliance.box watchdog` runs) is followed line by line: its own
AMIClient named "watchdog", an AuthGuard on that client, `monitors.pidfile_alive` on a pid
file, `monitors.systemd_services(BOX_SERVICES)` (on this host no such unit exists, so it
asks nothing, as on a box without them), the alarms log, the recordings guard's folders,
the hardware snapshot file, and the box's rhythm (fast 1 s, slow 10 s, samples 30 s:
Watchdog's defaults).  What differs, and why:
- the pid file holds the devbox Asterisk's pid as this host sees it (the devbox runs it
  in its own pid namespace, where the pid file Asterisk writes says 1); the bench rewrites
  it when it starts Asterisk again;
- restarter=None: on the box systemd restarts a dead Asterisk (Restart=always); here the
  bench does, right after the alert row appears, so the next repetition can start;
- reboot=None and no LED tree (this host's /sys/class/leds is not ours to blink);
- sensors: one LM75 at 0x48 on simulated I2C bus 1 (appliance.hal.i2csim, the smbus2
  interface) whose temperature the bench sets through a small file read at each access,
  instead of every /dev/i2c-N and /sys/class/hwmon of this host;
- DAHDI: `--dahdi-root`, a directory shaped like /proc/dahdi that the bench fills.
It never changes anything but what the box's watchdog changes (the database, its files).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from appliance.hal import i2csim
from appliance.store.db import open_db
from appliance.telephony.ami import AMIClient
from appliance.watchdog import monitors
from appliance.watchdog.security import AuthGuard
from appliance.watchdog.service import BOX_SERVICES, Watchdog


class FileLM75(i2csim.LM75):
    """An LM75 whose temperature the bench sets: the file holds °C, read at each access."""

    def __init__(self, control: Path) -> None:
        super().__init__(25.0)
        self.control = control

    def access(self) -> None:
        try:
            self.celsius = float(self.control.read_text().strip())
        except (OSError, ValueError):
            pass
        super().access()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hal_watchdog")
    p.add_argument("--db", required=True)
    p.add_argument("--data", required=True, help="the data partition the disk check watches")
    p.add_argument("--ami-port", type=int, required=True)
    p.add_argument("--ami-user", required=True)
    p.add_argument("--ami-secret", required=True)
    p.add_argument("--pidfile", required=True, help="Asterisk's pid as this host sees it")
    p.add_argument("--dahdi-root", required=True)
    p.add_argument("--sensor-file", required=True)
    p.add_argument("--work", required=True, help="alarms.log, hardware.json, sensor dirs")
    p.add_argument("--recordings", required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="watchdog %(levelname)s %(message)s")
    work = Path(args.work)
    ami = AMIClient("127.0.0.1", args.ami_port, args.ami_user, args.ami_secret,
                    name="watchdog").start()
    guard = AuthGuard(open_db(args.db)).attach(ami)
    bus = i2csim.SimBus(1, {0x48: FileLM75(Path(args.sensor_file))})
    sensors = {"buses": [1], "bus_factory": i2csim.factory({1: bus}),
               "hwmon_root": work / "no-hwmon", "i2c_root": work / "no-i2c"}
    wd = Watchdog(
        args.db, data_dir=args.data,
        asterisk_alive=monitors.pidfile_alive(args.pidfile),
        ami=ami, services=monitors.systemd_services(BOX_SERVICES), startup_grace_s=180,
        security_guard=guard, alarms_log=work / "alarms.log",
        recordings_dirs=(Path(args.recordings), work / "archive" / "recordings"),
        hardware_status=work / "hardware.json",
        restarter=None, reboot=None, leds_root=None, sensors=sensors,
        dahdi_root=args.dahdi_root, close_with=(ami,))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    wd.start()       # run_box calls wd.run() in its main thread; the same loop, in a thread
    while not stop.wait(1.0):
        pass
    wd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
