"""The firmware image in qemu on this host: `make run`, the boot tests and the boot benchmark.

The image is never modified: each VM boots a qcow2 overlay backed by it.  Software
emulation (TCG) is the default: on these machines /dev/kvm exists but cannot run a Debian
kernel (see ../shared/PLATFORM.md); JNS_QEMU_ACCEL=kvm tries KVM anyway.  The panel
(HTTPS 443) and SIP (UDP 5060) are forwarded to 127.0.0.1 ports; the serial console is a
Unix socket (and a log file) that `expect()` / `send()` drive like a technician would.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

OVMF = ["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd"]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VM:
    def __init__(self, image: str | os.PathLike, workdir: str | os.PathLike, *,
                 firmware: str = "bios", memory_mib: int = 1024, cpus: int = 2,
                 https_port: int | None = None, sip_port: int | None = None,
                 wss_port: int | None = None, disk_size: str = "6G"):
        self.image = Path(image).resolve()
        self.dir = Path(workdir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.firmware = firmware
        self.memory_mib, self.cpus = memory_mib, cpus
        self.https_port = https_port or free_port()
        self.sip_port = sip_port or free_port(socket.SOCK_DGRAM)
        self.wss_port = wss_port or free_port()   # the browser softphone's wss (box: 8089)
        self.disk_size = disk_size
        self.serial_path = self.dir / "serial.sock"
        self.serial_log = self.dir / "serial.log"
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.buffer = ""
        self.started_at = 0.0

    def command(self, interactive: bool = False, fresh_disk: bool = True) -> list[str]:
        """qemu's command line; `fresh_disk` makes a new overlay (False: boot the same disk
        again, as after a power cut)."""
        overlay = self.dir / "disk.qcow2"
        if overlay.exists() and fresh_disk:
            overlay.unlink()
        if not overlay.exists():
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(self.image),
                            str(overlay), self.disk_size], check=True)
        accel = os.environ.get("JNS_QEMU_ACCEL", "tcg")
        cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi" if accel == "tcg" else accel,
               "-cpu", "max" if accel == "tcg" else "host", "-smp", str(self.cpus), "-m", str(self.memory_mib),
               "-drive", f"file={overlay},if=virtio,format=qcow2",
               "-nic", (f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{self.https_port}-:443,"
                        f"hostfwd=tcp:127.0.0.1:{self.wss_port}-:8089,"
                        f"hostfwd=udp:127.0.0.1:{self.sip_port}-:5060"),
               "-device", "i6300esb", "-device", "virtio-rng-pci", "-display", "none"]
        if self.firmware == "uefi":
            ovmf = next((p for p in OVMF if Path(p).exists()), None)
            if ovmf is None:
                raise FileNotFoundError("UEFI firmware missing: apt-get install ovmf")
            cmd += ["-bios", ovmf]
        if interactive:
            cmd += ["-serial", "mon:stdio"]
        else:
            cmd += ["-monitor", "none", "-chardev",
                    f"socket,id=ser0,path={self.serial_path},server=on,wait=off,logfile={self.serial_log}",
                    "-serial", "chardev:ser0"]
        return cmd

    def start(self, fresh_disk: bool = True) -> "VM":
        if self.serial_path.exists():
            self.serial_path.unlink()
        self.buffer = ""
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.command(fresh_disk=fresh_disk), stdin=subprocess.DEVNULL,
                                     stdout=open(self.dir / "qemu.log", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qemu exited: {(self.dir / 'qemu.log').read_text()}")
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(self.serial_path))
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("qemu's serial socket did not appear")

    # -- serial console ------------------------------------------------------------------

    def _read(self, timeout: float) -> str:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return ""
        if not data:
            raise EOFError("serial console closed (VM stopped?)")
        return data.decode("utf-8", errors="replace")

    def expect(self, pattern: str, timeout: float = 60) -> re.Match:
        """Wait until `pattern` (regex) appears on the serial console; consume up to it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buffer)
            if m:
                self.buffer = self.buffer[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                tail = self.buffer[-1500:]
                raise TimeoutError(f"no {pattern!r} on the serial console within {timeout} s; last output:\n{tail}")
            if self.proc.poll() is not None:
                raise RuntimeError(f"qemu exited ({self.proc.returncode}) while waiting for {pattern!r}")
            self.buffer += self._read(min(left, 1.0))

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def sendline(self, text: str = "") -> None:
        self.send(text + "\r")

    def console_login(self, password: str, timeout: float = 900) -> None:
        """Log in as the technician on the serial console (setting the console password
        on a box that has none) and open the menu's shell (option 10)."""
        self.expect(r"jns-pbx login: ", timeout=timeout)
        self.sendline("tech")
        m = self.expect(r"New console password: |Console password: ", timeout=180)
        self.sendline(password)
        if m.group(0).startswith("New"):
            self.expect(r"Type it again: ")
            self.sendline(password)
        self.expect(r"Enter an option: ", timeout=120)
        self.sendline("10")
        self.expect(r"[#$] ", timeout=60)

    def run(self, command: str, timeout: float = 120, check: bool = True) -> str:
        """Run a command in the console's shell (console_login first); its output."""
        marker = f"END{int(time.monotonic() * 1000) % 100000}"
        self.sendline(f"{command}; echo {marker}-$?")
        out = self.expect(rf"{marker}-(\d+)", timeout=timeout)
        if check and out.group(1) != "0":
            raise AssertionError(f"{command!r} failed:\n{out.string[-2000:]}")
        return out.string

    # -- from outside ----------------------------------------------------------------------

    @property
    def panel_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def panel_answers(self) -> bool:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE   # the box's certificate is self-signed, made on first boot
        try:
            with urllib.request.urlopen(self.panel_url + "/login", timeout=5, context=ctx) as r:
                return r.status in (200, 302)
        except Exception:
            return False

    def wait_panel(self, timeout: float = 300) -> float:
        """Seconds from qemu start until the panel answered over HTTPS."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.panel_answers():
                return time.monotonic() - self.started_at
            if self.proc.poll() is not None:
                raise RuntimeError("qemu exited before the panel answered")
            time.sleep(1)
        raise TimeoutError(f"panel did not answer on {self.panel_url} within {timeout} s")

    def power_cut(self) -> None:
        """Pull the plug: qemu killed at once, nothing flushed by the guest."""
        self.proc.kill()
        self.proc.wait()
        if self.sock:
            self.sock.close()
            self.sock = None

    def stop(self) -> None:
        if self.sock:
            self.sock.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main() -> int:
    """`make run`: boot the image with the serial console in this terminal."""
    import argparse
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(prog="python -m appliance.vm")
    ap.add_argument("--image", default=str(here / "images" / "jns-pbx-x86_64.img"))
    ap.add_argument("--firmware", choices=["bios", "uefi"], default="bios")
    ap.add_argument("--https-port", type=int, default=8443)
    ap.add_argument("--sip-port", type=int, default=5060)
    # the desk's softphone connects to wss://<the panel's host>:8089/ws
    ap.add_argument("--wss-port", type=int, default=8089)
    args = ap.parse_args()
    if not shutil.which("qemu-system-x86_64"):
        raise SystemExit("qemu-system-x86_64 missing: apt-get install qemu-system-x86")
    vm = VM(args.image, here / "var" / "vm", firmware=args.firmware, https_port=args.https_port,
            sip_port=args.sip_port, wss_port=args.wss_port)
    print(f"""Booting {args.image} in qemu (software emulation: the first boot takes a few minutes).
  Panel:   https://127.0.0.1:{args.https_port}/  (self-signed certificate made on first boot;
           the first visit asks you to set the admin password)
  SIP:     udp 127.0.0.1:{args.sip_port} -> the box's 5060 (DID 100 -> IVR)
  WebRTC:  wss 127.0.0.1:{args.wss_port} -> the box's 8089 (the desk's browser softphone;
           open https://127.0.0.1:{args.wss_port}/httpstatus once to accept the certificate)
  Console: this terminal is the serial console; log in as "tech" for the service menu.
  Leave qemu: press Ctrl-a then x (or choose "Power off" in the menu).
""", flush=True)
    return subprocess.call(vm.command(interactive=True))


if __name__ == "__main__":
    raise SystemExit(main())
