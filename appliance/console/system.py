"""Every operating-system action of the serial console, behind one small class.

The menu (`menu.py`) never runs a command or touches a system file itself: it asks a
`System`.  Tests hand the menu a recording fake, or run the real program with
JNS_CONSOLE_FAKE_SYSTEM set (below).  Commands run without a shell, with timeouts, and
their text comes back as a `Result`; a missing program or a timeout is a Result too, never
an exception.

Settings (environment; defaults are the box's paths)
----------------------------------------------------
JNS_DATA                  data directory, default /data/jns
JNS_DB                    database, default $JNS_DATA/jns.db
JNS_CONSOLE_PW_FILE       console password hash, default $JNS_DATA/secrets/console.pw
JNS_NETWORK_DIR           where 10-jns.network is written, default /run/systemd/network
JNS_FACTORY_RESET_FLAG    factory-reset flag file, default /data/factory-reset
JNS_RELEASE_FILE          firmware version text, default /etc/jns-release
JNS_SYSFS                 sysfs root for temperature sensors, default /sys
JNS_DISKS                 mount points shown by Status, ':'-separated, default /:/data
JNS_CONSOLE_CONFIRM_S     seconds to confirm new network settings before they revert, 60
JNS_CONSOLE_FAIL_DELAY    seconds of delay after a wrong console password, 2
JNS_CONSOLE_CHARSET       auto (default), ascii or utf-8: what the terminal can show
JNS_AMI_HOST / _PORT / _USER / _SECRET   AMI; defaults 127.0.0.1, 5038, jns, and the
                          secret from the database setting "ami_secret"
JNS_CONSOLE_AMI_TIMEOUT   seconds to wait for AMI in the Status screen, 3
JNS_HARDWARE_STATUS       the watchdog's hardware snapshot (appliance.hal.status: I2C
                          sensors, DAHDI spans and alarms), default /run/jns/hardware.json
Fixed below $JNS_DATA: network.json, alarms.log, asterisk/log/{messages.log,queue_log}.

Fake system (tests): JNS_CONSOLE_FAKE_SYSTEM=<log file>
--------------------------------------------------------
Only the dangerous commands are faked: every `systemctl` verb that changes state (restart,
reboot, poweroff, ...; `is-active` still runs for real) and every `networkctl` verb.  Each
is appended to the log file as one line, the argv joined with spaces and shell-quoted
(e.g. `systemctl reboot`, `networkctl reload`), and "succeeds" with no output.  Creating
the factory-reset flag really creates the file and also logs `flag <path>`.  Everything
else is real: writing network.json and the .network file, `ip`, `ping`, `journalctl`,
disk usage, reading files, the shell.  In fake mode JNS_NETWORK_DIR and
JNS_FACTORY_RESET_FLAG default to the log file's directory, so a test never writes to
/run/systemd/network or /data by accident.

Contract with the boot-time units (written by the image, not here)
------------------------------------------------------------------
Factory reset: the console writes the flag file /data/factory-reset (text: the time and
"requested from the serial console"; fsync'd, outside /data/jns on purpose) and then runs
`systemctl reboot`.  At the next boot, after the /data mount and before every jns-*
service, a oneshot step (today `appliance.box prepare` in jns-firstboot.service) sees the
flag and must delete everything under /data/jns (database, recordings, prompts, logs,
alarms, secrets including the console password, network.json), sync, and only then
delete the flag - so a power cut during the wipe repeats it at the next boot.  The
firmware (read-only root) is not touched.  After the wipe the box is as new: DHCP
networking, the panel asks for the admin password, the console for a console password.

Network: at boot a oneshot unit (after the /data mount, Before=systemd-networkd.service,
wanted, not required, by the network) runs `python3 -m appliance.console apply-network`.
It writes /run/systemd/network/10-jns.network from $JNS_DATA/network.json; with no
network.json it writes DHCP on all en*/eth* interfaces with ClientIdentifier=mac.  While
the factory-reset flag exists it writes that DHCP default too (the settings are about to
be erased), so it may run before or after the wipe.  Exit 0: written; 2: network.json
was invalid and the DHCP default was written instead (the unit shows as failed, the box
stays reachable); 1: the file could not be written.
`apply-network --reload` additionally runs `networkctl reload` (for use while networkd runs).
"""
from __future__ import annotations

import dataclasses
import glob
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Mapping

from ..atomic import atomic_write, fsync_dir

SERVICES = ("jns-asterisk", "jns-agid", "jns-web", "jns-watchdog", "jns-modemd", "jns-calld",
            "jns-reports")
ASTERISK_UNIT = "jns-asterisk.service"
NETWORK_FILE_NAME = "10-jns.network"
DEFAULT_NETWORK = {"mode": "dhcp"}
DHCP_MATCH = "en* eth*"
# systemctl verbs that only read: these run for real even with the fake system.
_READ_ONLY_VERBS = {"is-active", "is-failed", "is-enabled", "status", "show", "list-units",
                    "cat"}
_READ_ONLY_NETWORKCTL = {"status", "list", "lldp", "label"}


@dataclasses.dataclass
class Settings:
    data: Path
    db: Path
    console_pw: Path
    network_json: Path
    network_file: Path
    factory_flag: Path
    release_file: Path
    alarms: Path
    asterisk_log: Path
    sysfs: Path
    disks: list[str]
    confirm_timeout: float
    fail_delay: float
    charset: str
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str | None
    ami_timeout: float
    fake_log: Path | None
    hardware_status: Path = Path("/run/jns/hardware.json")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        data = Path(env.get("JNS_DATA") or "/data/jns")
        fake = env.get("JNS_CONSOLE_FAKE_SYSTEM") or None
        fake_dir = Path(fake).resolve().parent if fake else None
        net_dir = env.get("JNS_NETWORK_DIR") or (
            str(fake_dir / "network") if fake_dir else "/run/systemd/network")
        flag = env.get("JNS_FACTORY_RESET_FLAG") or (
            str(fake_dir / "factory-reset") if fake_dir else "/data/factory-reset")
        return cls(
            data=data,
            db=Path(env.get("JNS_DB") or data / "jns.db"),
            console_pw=Path(env.get("JNS_CONSOLE_PW_FILE") or data / "secrets" / "console.pw"),
            network_json=data / "network.json",
            network_file=Path(net_dir) / NETWORK_FILE_NAME,
            factory_flag=Path(flag),
            release_file=Path(env.get("JNS_RELEASE_FILE") or "/etc/jns-release"),
            alarms=data / "alarms.log",
            asterisk_log=data / "asterisk" / "log",
            sysfs=Path(env.get("JNS_SYSFS") or "/sys"),
            disks=[d for d in (env.get("JNS_DISKS") or "/:/data").split(":") if d],
            confirm_timeout=_number(env.get("JNS_CONSOLE_CONFIRM_S"), 60.0),
            fail_delay=_number(env.get("JNS_CONSOLE_FAIL_DELAY"), 2.0),
            charset=(env.get("JNS_CONSOLE_CHARSET") or "auto").lower(),
            ami_host=env.get("JNS_AMI_HOST") or "127.0.0.1",
            ami_port=int(_number(env.get("JNS_AMI_PORT"), 5038)),
            ami_user=env.get("JNS_AMI_USER") or "jns",
            ami_secret=env.get("JNS_AMI_SECRET") or None,
            ami_timeout=_number(env.get("JNS_CONSOLE_AMI_TIMEOUT"), 3.0),
            fake_log=Path(fake) if fake else None,
            hardware_status=Path(env.get("JNS_HARDWARE_STATUS") or "/run/jns/hardware.json"),
        )


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


@dataclasses.dataclass
class Result:
    rc: int
    out: str

    @property
    def ok(self) -> bool:
        return self.rc == 0


class Unavailable(Exception):
    """Live data could not be had; the message says why, for the technician."""


# -- network configuration: validation and rendering (pure functions) -------------------

def parse_address(text: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """'192.168.1.10/24' (or /255.255.255.0) -> interface; ValueError with a plain message."""
    text = text.strip()
    if "/" not in text:
        raise ValueError("give the prefix length too, e.g. 192.168.1.10/24")
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid address/prefix") from None
    net = iface.network
    if iface.ip.is_loopback or iface.ip.is_multicast or iface.ip.is_unspecified:
        raise ValueError(f"{iface.ip} cannot be the box's address")
    if iface.version == 4 and net.prefixlen < 31 and iface.ip in (net.network_address,
                                                                 net.broadcast_address):
        raise ValueError(f"{iface.ip} is the network or broadcast address of {net}")
    return iface


def parse_gateway(text: str, iface) -> str | None:
    """Empty -> no gateway.  Must be in the address's network and not the address itself."""
    text = text.strip()
    if not text:
        return None
    try:
        gw = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None
    if gw.version != iface.version:
        raise ValueError(f"the gateway must be IPv{iface.version} like the address")
    if gw == iface.ip:
        raise ValueError("the gateway cannot be the box's own address")
    if gw.version == 4 and gw not in iface.network:
        raise ValueError(f"gateway {gw} is outside the network {iface.network}")
    return str(gw)


def parse_dns(text: str) -> list[str]:
    """Up to 3 addresses separated by spaces or commas; empty -> none."""
    items = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if len(items) > 3:
        raise ValueError("at most 3 DNS servers")
    out = []
    for item in items:
        try:
            out.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(f"DNS server {item!r} is not an IP address") from None
    return out


_IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}$")


def validate_network(cfg: object) -> dict:
    """A normalized copy of a network.json document; ValueError says what is wrong."""
    if not isinstance(cfg, dict):
        raise ValueError("not a JSON object")
    mode = cfg.get("mode")
    if mode == "dhcp":
        return {"mode": "dhcp"}
    if mode != "static":
        raise ValueError(f"mode must be 'dhcp' or 'static', not {mode!r}")
    interface = cfg.get("interface")
    if not isinstance(interface, str) or not _IFNAME.match(interface):
        raise ValueError(f"bad interface name {interface!r}")
    iface = parse_address(str(cfg.get("address", "")))
    gateway = parse_gateway(str(cfg.get("gateway") or ""), iface)
    dns = cfg.get("dns") or []
    if not isinstance(dns, list):
        raise ValueError("dns must be a list")
    dns = parse_dns(" ".join(str(d) for d in dns))
    return {"mode": "static", "interface": interface, "address": str(iface),
            "gateway": gateway, "dns": dns}


def render_network(cfg: dict, source: str = "network.json") -> str:
    """The systemd-networkd .network file for a validated configuration."""
    head = [f"# Written by appliance.console from {source}; changes here are lost at boot.", ""]
    if cfg["mode"] == "dhcp":
        return "\n".join(head + ["[Match]", f"Name={DHCP_MATCH}", "", "[Network]", "DHCP=yes",
                                 "", "[DHCPv4]", "ClientIdentifier=mac", ""])
    lines = head + ["[Match]", f"Name={cfg['interface']}", "", "[Network]",
                    f"Address={cfg['address']}"]
    if cfg.get("gateway"):
        lines.append(f"Gateway={cfg['gateway']}")
    lines += [f"DNS={d}" for d in cfg.get("dns") or []]
    return "\n".join(lines + [""])


def describe_network(cfg: dict) -> list[str]:
    if cfg["mode"] == "dhcp":
        return [f"DHCP on all wired interfaces ({DHCP_MATCH})"]
    return [f"Static on {cfg['interface']}: {cfg['address']}",
            f"Gateway: {cfg.get('gateway') or 'none'}",
            f"DNS: {', '.join(cfg.get('dns') or []) or 'none'}"]


_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def valid_host(text: str) -> bool:
    """An IP address or a DNS name: letters, digits, '-' and '.', nothing a shell would read."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return bool(_HOSTNAME.match(text))


def tail_lines(path: Path, count: int, max_bytes: int = 512 * 1024) -> list[str] | None:
    """The last `count` lines of a text file (reading at most max_bytes); None if missing."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except FileNotFoundError:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    if size > max_bytes and lines:
        lines = lines[1:]  # the first one is probably cut
    return lines[-count:] if count else lines


# -- the adapter ------------------------------------------------------------------------

class System:
    """The real operating system (or, with settings.fake_log, a recorder of dangerous acts)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    # -- running commands --

    def run(self, argv: list[str], timeout: float = 30.0) -> Result:
        """Run a program (no shell); stdout+stderr as text.  127: missing; 124: timed out."""
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        except FileNotFoundError:
            return Result(127, f"{argv[0]}: not installed on this box")
        except subprocess.TimeoutExpired as exc:
            out = (exc.output or b"").decode("utf-8", "replace")
            return Result(124, out + f"\n{argv[0]}: no answer within {timeout:g} s")
        except OSError as exc:
            return Result(126, f"{argv[0]}: {exc}")
        return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"))

    def _dangerous(self, argv: list[str]) -> bool:
        if argv[0] == "systemctl":
            verbs = [a for a in argv[1:] if not a.startswith("-")]
            return not verbs or verbs[0] not in _READ_ONLY_VERBS
        if argv[0] == "networkctl":
            verbs = [a for a in argv[1:] if not a.startswith("-")]
            return not verbs or verbs[0] not in _READ_ONLY_NETWORKCTL
        return argv[0] in ("reboot", "poweroff", "shutdown", "halt")

    def command(self, argv: list[str], timeout: float = 60.0) -> Result:
        """Like run(), but dangerous commands are only recorded when the fake is on."""
        if self.settings.fake_log is not None and self._dangerous(argv):
            self._record(" ".join(shlex.quote(a) for a in argv))
            return Result(0, "")
        return self.run(argv, timeout)

    def _record(self, line: str) -> None:
        log = self.settings.fake_log
        assert log is not None
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    # -- facts --

    def hostname(self) -> str:
        return socket.gethostname()

    def release(self) -> str:
        """The firmware version: JNS_VERSION=... (as the image writes it) or a bare line."""
        try:
            text = self.settings.release_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]
        values = dict(l.split("=", 1) for l in lines if "=" in l)
        for key in ("JNS_VERSION", "VERSION", "VERSION_ID"):
            if values.get(key, "").strip():
                return values[key].strip().strip("\"'")[:30]
        return lines[0][:30] if lines and "=" not in lines[0] else ""

    def is_root(self) -> bool:
        return os.geteuid() == 0

    def unit_state(self, unit: str) -> str:
        """systemctl is-active: active, inactive, failed, activating, ... or 'unknown'."""
        if not unit.endswith(".service"):
            unit += ".service"
        res = self.run(["systemctl", "is-active", unit], timeout=10)
        word = res.out.strip().splitlines()[0] if res.out.strip() else ""
        if re.fullmatch(r"[a-z-]+", word) and " " not in word:
            return word
        return "unknown"

    def ip_brief(self) -> str:
        res = self.run(["ip", "-brief", "addr"], timeout=10)
        return res.out.rstrip()

    def ipv4_addresses(self) -> list[str]:
        """Global IPv4 addresses, first interface first (no prefix)."""
        res = self.run(["ip", "-j", "-4", "addr", "show", "scope", "global"], timeout=10)
        out: list[str] = []
        if res.ok:
            try:
                for link in json.loads(res.out or "[]"):
                    for info in link.get("addr_info", []):
                        if info.get("family") == "inet" and info.get("local"):
                            out.append(info["local"])
                return out
            except (ValueError, AttributeError, TypeError):
                pass
        res = self.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], timeout=10)
        for line in res.out.splitlines():
            m = re.search(r"\binet (\d+\.\d+\.\d+\.\d+)/", line)
            if m:
                out.append(m.group(1))
        return out

    def interfaces(self) -> list[str]:
        """Network interfaces except loopback, wired (en*/eth*) first."""
        res = self.run(["ip", "-brief", "link"], timeout=10)
        names = []
        for line in res.out.splitlines():
            name = line.split()[0].split("@")[0] if line.split() else ""
            if name and name != "lo" and _IFNAME.match(name):
                names.append(name)
        wired = [n for n in names if n.startswith(("en", "eth"))]
        return wired + [n for n in names if n not in wired]

    def disk_usage(self, path: str) -> tuple[int, int, int] | None:
        try:
            u = shutil.disk_usage(path)
        except OSError:
            return None
        return u.total, u.used, u.free

    def temperatures(self) -> list[tuple[str, float]]:
        """(label, degrees C) from thermal zones and hwmon sensors."""
        root = self.settings.sysfs / "class"
        found: list[tuple[str, float]] = []
        for zone in sorted(glob.glob(str(root / "thermal" / "thermal_zone*"))):
            value = _read_milli(Path(zone) / "temp")
            if value is not None:
                label = _read_text(Path(zone) / "type") or Path(zone).name
                found.append((label, value))
        for hw in sorted(glob.glob(str(root / "hwmon" / "hwmon*"))):
            name = _read_text(Path(hw) / "name") or Path(hw).name
            for inp in sorted(glob.glob(str(Path(hw) / "temp*_input"))):
                value = _read_milli(Path(inp))
                if value is None:
                    continue
                label = _read_text(Path(inp.replace("_input", "_label")))
                found.append((f"{name} {label}" if label else name, value))
        # I2C chips no driver owns, as the watchdog last read them
        for r in (self.hardware() or {}).get("sensors", []):
            if r.get("kind") == "temperature" and str(r.get("source", "")).startswith("i2c-") \
                    and r.get("value") is not None:
                found.append((r["sensor"], float(r["value"])))
        return found

    def hardware(self) -> dict | None:
        """The watchdog's last hardware snapshot (None: none, or older than 5 minutes)."""
        from ..hal import status
        return status.read(self.settings.hardware_status)

    def dahdi_lines(self) -> list[str]:
        """Status lines for the DAHDI cards: spans, and each span's alarms."""
        snap = self.hardware()
        if snap is None:
            return [" DAHDI        no report from the watchdog yet"]
        spans = snap.get("dahdi") or []
        if not spans:
            return [" DAHDI        no cards detected"]
        bad = [s for s in spans if s.get("alarms")]
        out = [f" DAHDI        {len(spans)} span(s), "
               + (f"{len(bad)} in alarm" if bad else "no alarms")]
        for s in spans:
            state = "/".join(s.get("alarms") or []) or ("OK" if s.get("configured", True)
                                                        else "not configured")
            out.append(f"   span {s['number']} {s.get('name', '')} {s.get('kind', '')}: {state}")
        return out

    def alarms(self, count: int = 5) -> list[str] | None:
        lines = tail_lines(self.settings.alarms, 0)
        if lines is None:
            return None
        return [l for l in lines if l.strip()][-count:]

    def tail(self, path: Path, count: int = 200) -> list[str] | None:
        return tail_lines(path, count)

    def journal(self, unit_pattern: str | None = None, lines: int = 200) -> Result:
        argv = ["journalctl", "-n", str(lines), "--no-pager"]
        if unit_pattern:
            argv[1:1] = ["-u", unit_pattern]
        return self.run(argv, timeout=30)

    def ping(self, host: str) -> Result:
        if not valid_host(host):  # the menu checks first; never pass anything else on
            return Result(2, f"not a host name or address: {host!r}")
        return self.run(["ping", "-c", "4", "-W", "2", host], timeout=30)

    # -- actions --

    def restart(self, units: list[str]) -> Result:
        units = [u if u.endswith(".service") else u + ".service" for u in units]
        return self.command(["systemctl", "restart", *units], timeout=120)

    def reboot(self) -> Result:
        return self.command(["systemctl", "reboot"], timeout=30)

    def poweroff(self) -> Result:
        return self.command(["systemctl", "poweroff"], timeout=30)

    def factory_reset(self) -> Result:
        """Create the flag file, then reboot; the boot-time unit wipes $JNS_DATA."""
        flag = self.settings.factory_flag
        try:
            atomic_write(flag, (f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} "
                                "requested from the serial console\n").encode(), 0o600)
        except OSError as exc:
            return Result(1, f"could not create {flag}: {exc}")
        if self.settings.fake_log is not None:
            self._record(f"flag {shlex.quote(str(flag))}")
        os.sync()
        return self.reboot()

    # -- firmware and backups (appliance.lifecycle; imported here, when asked) --

    def firmware_status(self) -> dict:
        from ..lifecycle import update
        return update.status()

    def install_firmware(self, source: str, progress) -> Result:
        """Download (http/https) or take a bundle file, verify it and write the other slot;
        the state file the panel polls is kept too.  The caller reboots."""
        from ..lifecycle import update
        report = update.Reporter()

        def both(state, fraction, message, **extra):
            report(state, fraction, message, **extra)
            progress(state, fraction, message)
        try:
            if re.match(r"^https?://", source):
                path = update.fetch(source, update.incoming_path(), both)
            else:
                path = Path(source)
            manifest = update.install(path, progress=both)
        except update.UpdateError as exc:
            return Result(2, str(exc))
        except OSError as exc:
            return Result(1, f"{type(exc).__name__}: {exc}")
        return Result(0, manifest["version"])

    def usb_volumes(self) -> list[dict]:
        """Partitions (or unpartitioned disks) on USB drives, for updates and backups.
        Fake mode: JNS_USB_FAKE_DIR stands for a stick that is already mounted."""
        fake = os.environ.get("JNS_USB_FAKE_DIR")
        if fake and self.settings.fake_log is not None:
            return [{"device": "usb-stick", "label": "FAKE-USB", "size": 0, "path": fake}]
        found = []
        for disk in sorted(Path("/sys/block").glob("sd*")):
            if "/usb" not in str(disk.resolve()):
                continue
            parts = sorted(p for p in disk.iterdir() if (p / "partition").exists()) or [disk]
            for part in parts:
                dev = f"/dev/{part.name}"
                label = self.command(["blkid", "-o", "value", "-s", "LABEL", dev], timeout=10).out
                found.append({"device": dev, "label": label.strip(),
                              "size": int((part / "size").read_text()) * 512})
        return found

    def usb_mount(self, volume: dict, write: bool = False) -> Path:
        if volume.get("path"):
            return Path(volume["path"])
        mnt = Path("/run/jns/usb")
        mnt.mkdir(parents=True, exist_ok=True)
        res = self.command(["mount", "-o", "rw" if write else "ro", volume["device"], str(mnt)],
                           timeout=60)
        if not res.ok:
            raise Unavailable(f"cannot mount {volume['device']}: {res.out.strip()}")
        return mnt

    def usb_unmount(self, volume: dict) -> None:
        os.sync()
        if not volume.get("path"):
            self.command(["umount", "/run/jns/usb"], timeout=60)

    def backup_to(self, folder: Path, passphrase: str, recordings: bool, progress) -> Result:
        from ..lifecycle import backup
        name = backup.backup_filename(self.hostname(), time.time())
        try:
            backup.create_backup(folder / name, passphrase, data_dir=self.settings.data,
                                 recordings=recordings, progress=progress)
        except (backup.BackupError, OSError) as exc:
            return Result(1, str(exc))
        return Result(0, name)

    def backup_info(self, path: Path) -> dict:
        from ..lifecycle import backup
        return backup.read_info(path)

    def restore_from(self, path: Path, passphrase: str, progress) -> Result:
        from ..lifecycle import backup
        try:
            backup.restore_backup(path, passphrase, data_dir=self.settings.data, progress=progress)
        except (backup.BackupError, OSError) as exc:
            return Result(1, str(exc))
        return Result(0, "restored")

    def shell(self) -> int:
        """An interactive login shell on our terminal; returns its exit status."""
        shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
        # A Python-level handler (not SIG_IGN) so the shell gets default signals after exec
        # while this process ignores the Ctrl-C/Ctrl-\ typed into the shell.
        saved = {s: signal.signal(s, _ignore) for s in (signal.SIGINT, signal.SIGQUIT)}
        try:
            return subprocess.call([shell, "-l"])
        except OSError as exc:
            raise RuntimeError(f"cannot start {shell}: {exc}") from exc
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)

    # -- network --

    def load_network(self) -> tuple[dict, str | None]:
        """(configuration, problem): the default DHCP when the file is missing or invalid."""
        path = self.settings.network_json
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return dict(DEFAULT_NETWORK), None
        except OSError as exc:
            return dict(DEFAULT_NETWORK), f"cannot read {path}: {exc}"
        try:
            return validate_network(json.loads(raw.decode("utf-8"))), None
        except (ValueError, UnicodeDecodeError) as exc:
            return dict(DEFAULT_NETWORK), f"{path} is invalid ({exc}); using DHCP"

    def network_raw(self) -> bytes | None:
        try:
            return self.settings.network_json.read_bytes()
        except FileNotFoundError:
            return None

    def save_network(self, cfg: dict) -> None:
        cfg = validate_network(cfg)
        atomic_write(self.settings.network_json,
                     (json.dumps(cfg, indent=2) + "\n").encode(), 0o644)

    def restore_network_raw(self, raw: bytes | None) -> None:
        """Put network.json back exactly as it was (None: it did not exist)."""
        if raw is None:
            try:
                self.settings.network_json.unlink()
            except FileNotFoundError:
                pass
            fsync_dir(self.settings.network_json.parent)
        else:
            atomic_write(self.settings.network_json, raw, 0o644)

    def reset_pending(self) -> bool:
        return self.settings.factory_flag.exists()

    def write_network_file(self) -> tuple[dict, str | None]:
        """Render network.json (or the DHCP default) into the .network file.

        While a factory reset is pending, network.json is about to be erased: DHCP then,
        whatever order the boot units run in.
        """
        if self.reset_pending():
            cfg, problem = dict(DEFAULT_NETWORK), None
        else:
            cfg, problem = self.load_network()
        atomic_write(self.settings.network_file,
                     render_network(cfg, str(self.settings.network_json)).encode(), 0o644)
        return cfg, problem

    def apply_network(self) -> Result:
        """Write the .network file from network.json and make networkd use it now."""
        try:
            _, problem = self.write_network_file()
        except OSError as exc:
            return Result(1, f"cannot write {self.settings.network_file}: {exc}")
        res = self.command(["networkctl", "reload"], timeout=30)
        if problem:
            res = Result(res.rc, f"{problem}\n{res.out}".strip())
        return res

    # -- Asterisk, live over AMI --

    def ami_secret(self) -> str | None:
        if self.settings.ami_secret:
            return self.settings.ami_secret
        if not self.settings.db.exists():
            return None
        from appliance.store import db as store
        conn = store.open_db(self.settings.db)
        try:
            return store.get_setting(conn, "ami_secret")
        finally:
            conn.conn.close()

    def asterisk_live(self) -> dict:
        """asterisk_status() plus outbound registrations; Unavailable says why not."""
        secret = self.ami_secret()
        if not secret:
            raise Unavailable("no AMI secret in the database yet (Asterisk never configured)")
        try:
            from appliance.telephony.ami import AMIClient, AMIError
            from appliance.telephony.status import asterisk_status
        except ImportError as exc:
            raise Unavailable(f"AMI client not available: {exc}") from None
        s = self.settings
        ami = AMIClient(s.ami_host, s.ami_port, s.ami_user, secret, name="console").start()
        try:
            if not ami.wait_connected(s.ami_timeout):
                raise Unavailable(f"manager at {s.ami_host}:{s.ami_port} not reachable "
                                  f"({ami.last_error or 'no answer'})")
            try:
                status = asterisk_status(ami, timeout=s.ami_timeout)
            except AMIError as exc:
                raise Unavailable(str(exc)) from None
            try:
                _, events = ami.action_list("PJSIPShowRegistrationsOutbound",
                                            "OutboundRegistrationDetailComplete",
                                            timeout=s.ami_timeout)
                status["registrations"] = [
                    {"name": e.get("ObjectName", "?"), "status": e.get("Status", "?"),
                     "server": e.get("ServerUri", "")}
                    for e in events if e.get("Event") == "OutboundRegistrationDetail"]
            except AMIError as exc:
                status["registrations"] = None
                status["registrations_error"] = str(exc)
            return status
        finally:
            ami.close()

    def trunk_names(self) -> list[str] | None:
        """Trunks configured in the database (None: no database)."""
        if not self.settings.db.exists():
            return None
        from appliance.store import db as store
        conn = store.open_db(self.settings.db)
        try:
            return [r[0] for r in conn.execute("SELECT name FROM trunks ORDER BY name").fetchall()]
        finally:
            conn.conn.close()

    def modems(self) -> list[dict] | None:
        """GSM modems as the modem service (jns-modemd) last wrote them (None: no database)."""
        if not self.settings.db.exists():
            return None
        from appliance.store import db as store, sms
        conn = store.open_db(self.settings.db)
        try:
            return sms.modems(conn)
        finally:
            conn.conn.close()


def _ignore(signum, frame) -> None:
    pass


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _read_milli(path: Path) -> float | None:
    text = _read_text(path)
    try:
        return int(text) / 1000.0
    except ValueError:
        return None
