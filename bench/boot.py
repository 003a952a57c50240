"""Boot benchmark of the firmware image against a bare Debian forky image with only Asterisk.

    .venv/bin/python -m bench.boot        # writes build/bench/boot.json

Both images are assembled by scripts/mkdisk.py (same GPT layout, same GRUB) and booted the
same way in qemu (TCG, 2 vCPUs, 1 GiB, virtio, the same forwarded ports), one after the
other in one run.  Measured from qemu start:
  login_s     the getty's login prompt on the serial console
  sip_s       (ours) Asterisk answers a SIP OPTIONS on the forwarded UDP port
  panel_s     (ours) the panel answers over HTTPS
  asterisk_fully_booted_s   `core waitfullybooted` answers on the guest's CLI, asked from
              the serial console right after logging in (root on the bare image, the
              menu's shell on ours): an upper bound for both
Then, inside the guest through the serial console: RSS of every service (sum over the
unit's cgroup), idle CPU over 60 s, and per-unit CPU seconds in that minute.  Sizes of the
raw and compressed image come from images/.

The bare image: mmdebstrap minbase + asterisk + kernel + systemd, a UDP transport in
pjsip.conf (Debian's sample has none) and a passwordless root login on the serial console
(a benchmark VM, never shipped).  It is cached like the appliance's rootfs.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import time
from pathlib import Path

from appliance.vm import VM

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("JNS_CACHE", "/var/cache/jns-pbx"))
OUT = ROOT / "build" / "bench"
IMAGE = ROOT / "images" / "jns-pbx-x86_64.img"
BARE_PACKAGES = ["asterisk", "asterisk-modules", "asterisk-core-sounds-en-gsm", "linux-image-amd64",
                 "initramfs-tools", "systemd-sysv", "udev", "kmod", "mount", "iproute2", "procps"]
CONSOLE_PW = "bench-console-pass"
TIMEOUT = 600

# Run inside a guest: RSS (KiB) and CPU (usec) per service cgroup, and /proc/stat totals.
PROBE = r"""
probe() { for d in /sys/fs/cgroup/system.slice/*.service; do u=${d##*/}; r=0;
  for p in $(cat $d/cgroup.procs 2>/dev/null); do
    k=$(awk '/^VmRSS/{print $2}' /proc/$p/status 2>/dev/null); r=$((r+${k:-0})); done;
  c=$(awk '/^usage_usec/{print $2}' $d/cpu.stat); echo "SVC $u $r $c"; done;
  echo "CPU $(head -1 /proc/stat)"; }
"""


def mirror() -> str:
    return subprocess.run(["bash", "-c", f". {ROOT}/scripts/lib.sh && debian_mirror"], capture_output=True,
                          text=True, check=True).stdout.strip()


def bare_image(work: Path) -> Path:
    key = hashlib.sha256((" ".join(BARE_PACKAGES) + "v1").encode()).hexdigest()[:16]
    tree = CACHE / f"bare-rootfs-{key}"
    if not (tree / ".complete").exists():
        shutil.rmtree(f"{tree}.tmp", ignore_errors=True)
        hooks = [
            'chroot "$1" passwd -d root',
            'echo "LABEL=jns-rootA / ext4 defaults 0 1" > "$1/etc/fstab"',
            'echo bare > "$1/etc/hostname"',
            "printf '[udp]\\ntype=transport\\nprotocol=udp\\nbind=0.0.0.0:5060\\n' > \"$1/etc/asterisk/pjsip.conf\"",
            'cd "$1/boot" && ln -sf $(ls vmlinuz-* | head -1) vmlinuz && ln -sf $(ls initrd.img-* | head -1) initrd.img',
        ]
        subprocess.run(["mmdebstrap", "--variant=minbase",
                        "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg",
                        "--aptopt=Acquire::Check-Valid-Until \"false\"",
                        f"--include={','.join(BARE_PACKAGES)}",
                        *[f"--customize-hook={h}" for h in hooks],
                        "forky", f"{tree}.tmp", f"deb {mirror()} forky main"], check=True)
        (Path(f"{tree}.tmp") / ".complete").touch()
        os.rename(f"{tree}.tmp", tree)
    stage = work / "bare-root"
    shutil.rmtree(stage, ignore_errors=True)
    subprocess.run(["cp", "-a", str(tree), str(stage)], check=True)
    out = work / "bare.img"
    subprocess.run(["python3", str(ROOT / "scripts" / "mkdisk.py"), "--root", str(stage),
                    "--work", str(work / "bare-disk"), "--output", str(out)], check=True)
    shutil.rmtree(stage, ignore_errors=True)
    return out


def sip_answers(port: int) -> bool:
    msg = (f"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK{time.time_ns()}\r\n"
           "From: <sip:bench@127.0.0.1>;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\n"
           f"Call-ID: {time.time_ns()}@bench\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        try:
            s.sendto(msg.encode(), ("127.0.0.1", port))
            return s.recv(4096).startswith(b"SIP/2.0")
        except OSError:
            return False


def boot(image: Path, work: Path, ours: bool) -> dict:
    vm = VM(image, work, firmware="bios").start()
    result: dict = {}
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and ((ours and ("panel_s" not in result or "sip_s" not in result))
                                               or "login_s" not in result):
            if "login_s" not in result:
                try:
                    vm.expect(r"login: ", timeout=1)
                    result["login_s"] = round(time.monotonic() - vm.started_at, 1)
                except TimeoutError:
                    pass
            if "sip_s" not in result and sip_answers(vm.sip_port):
                result["sip_s"] = round(time.monotonic() - vm.started_at, 1)
            if ours and "panel_s" not in result and vm.panel_answers():
                result["panel_s"] = round(time.monotonic() - vm.started_at, 1)
        if ours:
            vm.sendline("tech")
            vm.expect(r"New console password: ", timeout=120)
            for _ in range(2):
                vm.sendline(CONSOLE_PW)
                time.sleep(0.5)
            vm.expect(r"Enter an option: ", timeout=120)
            vm.sendline("10")
        else:
            vm.sendline("root")
        vm.expect(r"# ", timeout=120)
        result["asterisk_fully_booted_s"] = _wait_asterisk(vm, ours)
        vm.sendline(PROBE.replace("\n", " ").strip())
        vm.sendline("stty cols 250")
        before = _probe(vm)
        time.sleep(60)
        after = _probe(vm)
        result.update(_usage(before, after))
    finally:
        vm.stop()
    return result


def _wait_asterisk(vm: VM, ours: bool) -> float:
    """Seconds from qemu start until `core waitfullybooted` answers through the CLI socket
    (an upper bound: we can only ask once logged in on the serial console)."""
    conf = "-C /data/jns/asterisk/etc/current/asterisk.conf " if ours else ""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        vm.sendline(f"asterisk {conf}-rx 'core waitfullybooted' 2>&1 | grep -q 'fully booted' "
                    "&& echo AST-UP-OK || echo AST-UP-NO")
        if vm.expect(r"AST-UP-(OK|NO)", timeout=120).group(1) == "OK":
            return round(time.monotonic() - vm.started_at, 1)
        time.sleep(1)
    raise TimeoutError("Asterisk never reported fully booted")


def _probe(vm: VM) -> str:
    tag = f"P{time.monotonic_ns() % 10**8}"
    vm.sendline(f"echo {tag}-BEGIN; probe; echo {tag}-END")
    vm.expect(rf"{tag}-BEGIN\r?\n", timeout=120)
    return vm.expect(rf"{tag}-END", timeout=120).string


def _usage(before: str, after: str) -> dict:
    def parse(text):
        svc, cpu = {}, None
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "SVC":
                svc[parts[1]] = (int(parts[2]), int(parts[3]))
            elif parts[:2] == ["CPU", "cpu"]:
                cpu = [int(x) for x in parts[2:]]
        return svc, cpu
    s0, c0 = parse(before)
    s1, c1 = parse(after)
    idle = None
    if c0 and c1:
        total = sum(c1) - sum(c0)
        idle = round(100 * ((c1[3] + c1[4]) - (c0[3] + c0[4])) / total, 1) if total else None
    services = {u: {"rss_mib": round(r / 1024, 1),
                    "cpu_s_per_min": round((c - s0.get(u, (0, c))[1]) / 1e6, 2)}
                for u, (r, c) in s1.items() if r}
    return {"idle_cpu_percent_60s": idle, "services": services}


def main() -> int:
    if not IMAGE.exists():
        raise SystemExit(f"{IMAGE} missing: run make image")
    OUT.mkdir(parents=True, exist_ok=True)
    work = ROOT / "build" / "bench" / "boot-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    bare = bare_image(work)
    report = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"nproc": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "accel": os.environ.get("JNS_QEMU_ACCEL", "tcg")},
        "image": {"raw_mib": round(IMAGE.stat().st_size / 2**20),
                  "zst_mib": round(IMAGE.with_suffix(".img.zst").stat().st_size / 2**20)
                  if IMAGE.with_suffix(".img.zst").exists() else None},
        "bare": boot(bare, work / "vm-bare", ours=False),
        "ours": boot(IMAGE, work / "vm-ours", ours=True),
    }
    ours, base = report["ours"], report["bare"]
    jns_units = {u: v for u, v in ours["services"].items() if u.startswith("jns-") and u != "jns-asterisk.service"}
    report["ours_services_rss_mib"] = round(sum(v["rss_mib"] for v in jns_units.values()), 1)
    if base.get("asterisk_fully_booted_s") and ours.get("panel_s"):
        report["panel_vs_bare_asterisk_ratio"] = round(ours["panel_s"] / base["asterisk_fully_booted_s"], 2)
    report["goals"] = {"zst_mib<=300": report["image"]["zst_mib"] is not None and report["image"]["zst_mib"] <= 300,
                       "ratio<=1.3": report.get("panel_vs_bare_asterisk_ratio", 99) <= 1.3,
                       "services_rss<=150MiB": report["ours_services_rss_mib"] <= 150}
    (OUT / "boot.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("image", "ours_services_rss_mib", "goals")}, indent=2))
    print(f"bare: {base}\nours: login {ours.get('login_s')} s, sip {ours.get('sip_s')} s, "
          f"panel {ours.get('panel_s')} s, idle CPU {ours.get('idle_cpu_percent_60s')} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
