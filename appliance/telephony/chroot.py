"""Run the real Asterisk 22 of the built rootfs on this host (for `make run` and tests).

Each instance gets its own directory (config generations, logs, spool, astdb) that is
bind-mounted into the rootfs at the path the renderer's Layout names, inside a private
mount and PID namespace: several instances can run at once and the cached rootfs stays
untouched.  On the box Asterisk runs natively under systemd; this module is not used there.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from .render import Layout

CHROOT_ROOT = "/var/lib/jns/asterisk"   # where instance dirs appear inside the rootfs


def default_rootfs() -> Path:
    here = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("JNS_ROOTFS", here / "build" / "rootfs"))


class ChrootAsterisk:
    """One Asterisk process from `rootfs`, with state in `instance_dir` on the host."""

    def __init__(self, rootfs: str | os.PathLike, instance_dir: str | os.PathLike, layout: Layout):
        self.rootfs = Path(rootfs).resolve()
        self.dir = Path(instance_dir).resolve()
        self.layout = layout
        self.proc: subprocess.Popen | None = None
        if layout.root != CHROOT_ROOT:
            raise ValueError(f"layout.root must be {CHROOT_ROOT} for a chroot instance")
        if not (self.rootfs / "usr/sbin/asterisk").exists():
            raise FileNotFoundError(f"{self.rootfs} has no Asterisk: run `make rootfs` first")
        for sub in ("etc", "log/cdr-csv", "spool/monitor", "spool/prompt-rec", "lib", "run"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)

    # host-side paths of the instance
    @property
    def etc_parent(self) -> Path:
        return self.dir / "etc"

    @property
    def log_dir(self) -> Path:
        return self.dir / "log"

    @property
    def recordings_dir(self) -> Path:
        return self.dir / "spool" / "monitor"

    def start(self) -> None:
        mountpoint = self.rootfs / CHROOT_ROOT.lstrip("/")
        mountpoint.mkdir(parents=True, exist_ok=True)
        conf = f"{CHROOT_ROOT}/etc/current/asterisk.conf"
        script = (f"mount --bind '{self.dir}' '{mountpoint}' && "
                  f"exec chroot '{self.rootfs}' /usr/sbin/asterisk -f -n -C '{conf}'")
        self.stdout = open(self.dir / "log" / "asterisk.stdout", "ab")
        self.proc = subprocess.Popen(
            ["unshare", "--fork", "--pid", "--mount", f"--mount-proc={self.rootfs}/proc",
             "sh", "-c", script],
            stdout=self.stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cli(self, command: str, timeout: float = 10) -> str:
        """Run an Asterisk CLI command through the instance's control socket."""
        if not self.running():
            raise RuntimeError("Asterisk is not running")
        inner = _child_pid(self.proc.pid)
        conf = f"{CHROOT_ROOT}/etc/current/asterisk.conf"
        out = subprocess.run(
            ["nsenter", "-t", str(inner), "-m", "chroot", str(self.rootfs),
             "/usr/sbin/asterisk", "-C", conf, "-rx", command],
            capture_output=True, text=True, timeout=timeout)
        return out.stdout

    def wait_fully_booted(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"Asterisk exited with {self.proc.returncode}; see {self.log_dir}")
            try:
                last = self.cli("core waitfullybooted", timeout=5)
                if "fully booted" in last.lower():
                    return
            except (subprocess.TimeoutExpired, RuntimeError, ProcessLookupError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Asterisk not fully booted after {timeout} s: {last!r}")

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.cli("core stop now", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.stdout.close()
        self.proc = None

    def kill(self) -> None:
        """Simulate a crash: SIGKILL the whole namespace."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def _child_pid(pid: int) -> int:
    """The process inside the new namespaces (unshare --fork's child)."""
    for _ in range(50):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                kids = fh.read().split()
            if kids:
                return int(kids[0])
        except FileNotFoundError:
            raise ProcessLookupError(pid)
        time.sleep(0.05)
    raise ProcessLookupError(f"unshare {pid} has no child")

