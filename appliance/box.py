"""The services of the booted box, as systemd runs them (rootfs/overlay/etc/systemd/system).

    python3 -m appliance.box prepare    jns-firstboot: data partition, secrets, certificate, DB
    python3 -m appliance.box render     jns-asterisk ExecStartPre: Asterisk config from the DB
    python3 -m appliance.box agid       jns-agid: the FastAGI IVR server (sd_notify + watchdog)
    python3 -m appliance.box watchdog   jns-watchdog: monitors, alerts, restarts (appliance.watchdog)
    python3 -m appliance.box modemd     jns-modemd: GSM modems, the SMS queue (appliance.hal.modemd)
    python3 -m appliance.box calld      jns-calld: the live call center (appliance.telephony.calld)
    python3 -m appliance.box reports    jns-reports: queue_log and CDR into the reports (appliance.reports)

Everything that changes lives under JNS_DATA (/data/jns on the data partition); the root
filesystem is read-only.  Secrets are generated here, on the box, never shipped.
`make run` and the tests use appliance.devbox instead; both share store/ and telephony/.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import sdnotify
from .store import config, db as store
from .telephony import agi, recordings, render
from .telephony.ami import AMIClient
from .telephony.apply import ConfigApplier

log = logging.getLogger("jns.box")

DATA = Path(os.environ.get("JNS_DATA", "/data/jns"))
DB_PATH = DATA / "jns.db"
SECRETS = DATA / "secrets"
ASTERISK_ROOT = DATA / "asterisk"
HOUSEKEEPING_EVERY_S = 3600   # recordings retention and the disk guard
FACTORY_RESET_FLAG = DATA.parent / "factory-reset"
ALARMS = DATA / "alarms.log"


def _webrtc_cert() -> tuple[Path, Path]:
    """The panel's certificate and key as Asterisk (user asterisk) reads them for the
    browser softphone's wss port."""
    return ASTERISK_ROOT / "lib" / "https.crt", ASTERISK_ROOT / "lib" / "https.key"


def layout(db) -> render.Layout:
    crt, key = _webrtc_cert()
    return render.Layout(root=str(ASTERISK_ROOT), sip_bind="0.0.0.0",
                         ami_secret=store.ensure_secret(db, "ami_secret"),
                         https_port=8089, https_cert=str(crt), https_key=str(key))


def prepare() -> None:
    """Idempotent: runs every boot, creates only what is missing (so the first boot of a
    box, and the first boot after a factory reset, generate everything anew)."""
    from .lifecycle import backup
    try:   # a restore cut by a power failure between its two renames (not on ext4)
        done = backup.cleanup_stale(DATA)
        if done:
            log.warning("backup: %s", done)
    except Exception:
        log.exception("cleaning up after an interrupted backup or restore failed")
    if FACTORY_RESET_FLAG.exists():
        log.warning("factory reset requested: erasing %s", DATA)
        shutil.rmtree(DATA, ignore_errors=True)
        FACTORY_RESET_FLAG.unlink()
    for sub in ("", "recordings", "prompts"):
        (DATA / sub).mkdir(parents=True, exist_ok=True)
    SECRETS.mkdir(mode=0o700, exist_ok=True)
    # after a rollback from a firmware trial the database may carry the newer schema
    from .lifecycle.update import restore_snapshot_if_newer
    snap = restore_snapshot_if_newer(DB_PATH, store.SCHEMA_VERSION)
    if snap:
        log.warning("database had a newer schema (rolled back firmware): restored %s", snap.name)
    db = store.open_db(DB_PATH)
    os.chmod(DB_PATH, 0o600)   # holds SIP/AMI secrets and password hashes
    config.seed_demo(db)
    store.ensure_secret(db, "ami_secret")
    store.ensure_secret(db, "calld_secret")   # the panel reads it to reach jns-calld
    store.ensure_secret(db, "web_secret_key", 32)
    _https_certificate()
    _ssh_host_key()
    for sub in ("etc", "log/cdr-csv", "spool/monitor", "spool/prompt-rec", "lib", "run"):
        (ASTERISK_ROOT / sub).mkdir(parents=True, exist_ok=True)
    _webrtc_certificate()
    _chown_tree(ASTERISK_ROOT)
    try:
        _grow_data_partition()
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("could not grow the data partition (the box works, with less room): %s", exc)
    log.info("data partition ready: %s", DATA)


def _grow_data_partition(mountpoint: str = "/data") -> None:
    """The image's data partition is small; on the first boot it takes the rest of the disk
    (the last partition, grown online: sfdisk, partx, resize2fs).  Facts come from sysfs,
    which the kernel fills before any service starts (lsblk may ask udev, which may still
    be busy this early).  Retried, since udev can hold the disk for a moment after sfdisk
    writes the table; a box that fails here still works and tries again next boot."""
    out = subprocess.run(["findmnt", "-no", "SOURCE", mountpoint], capture_output=True, text=True)
    part = out.stdout.strip()
    if not part.startswith("/dev/"):
        return
    sys_part = Path("/sys/class/block") / Path(part).name
    partn = (sys_part / "partition").read_text().strip()
    sys_disk = sys_part.resolve().parent
    disk = f"/dev/{sys_disk.name}"
    disk_bytes = int((sys_disk / "size").read_text()) * 512
    start_b = int((sys_part / "start").read_text()) * 512
    end = start_b + int((sys_part / "size").read_text()) * 512
    if disk_bytes - end < 64 * 2**20:
        return
    for attempt in range(5):
        try:
            subprocess.run(["sfdisk", "-q", "--relocate", "gpt-bak-std", disk], check=True,
                           capture_output=True, text=True)
            subprocess.run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", "-N", partn, disk],
                           input=", +\n", text=True, check=True, capture_output=True)
            subprocess.run(["partx", "-u", "--nr", partn, disk], check=True,
                           capture_output=True, text=True)
            # resize2fs takes the size the kernel knows: wait until it knows the new one,
            # or resize2fs does nothing and says so with success
            _wait_for(lambda: int((sys_part / "size").read_text()) * 512 > end - start_b,
                      "the kernel to see the grown partition")
            subprocess.run(["resize2fs", part], check=True, capture_output=True, text=True)
            st = os.statvfs(mountpoint)
            if st.f_blocks * st.f_frsize < (end - start_b) + 64 * 2**20:
                raise subprocess.CalledProcessError(0, "resize2fs", stderr=(
                    f"the file system still has {st.f_blocks * st.f_frsize >> 20} MiB"))
            break
        except subprocess.CalledProcessError as exc:
            log.warning("growing %s, attempt %d: %s: %s", part, attempt + 1, exc.cmd[0]
                        if isinstance(exc.cmd, list) else exc.cmd, (exc.stderr or "").strip())
            if attempt == 4:
                raise
            subprocess.run(["udevadm", "settle", "--timeout=10"], check=False)
            time.sleep(1 + attempt)
    log.info("data partition %s grown to the end of %s", part, disk)


def _wait_for(ready, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise subprocess.CalledProcessError(0, "partx", stderr=f"waited {timeout:g} s "
                                                f"for {what}")
        time.sleep(0.2)


def _https_certificate() -> None:
    crt, key = SECRETS / "https.crt", SECRETS / "https.key"
    if crt.exists() and key.exists():
        return
    host = os.uname().nodename
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "3650", "-subj", f"/CN={host}", "-addext",
                    f"subjectAltName=DNS:{host},DNS:{host}.local", "-keyout", f"{key}.tmp",
                    "-out", f"{crt}.tmp"], check=True, capture_output=True)
    os.chmod(f"{key}.tmp", 0o600)
    os.replace(f"{key}.tmp", key)
    os.replace(f"{crt}.tmp", crt)
    log.info("generated the panel's HTTPS certificate for %s", host)


def _webrtc_certificate() -> None:
    """A copy of the panel's certificate for Asterisk's wss port (the browser softphone):
    secrets/ is root's alone, Asterisk runs as its own user.  Copied every boot, so a
    replaced panel certificate reaches the softphone too."""
    for src, dst in zip((SECRETS / "https.crt", SECRETS / "https.key"), _webrtc_cert()):
        tmp = dst.with_suffix(".tmp")
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, dst)


def _ssh_host_key() -> None:
    ssh = SECRETS / "ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    key = ssh / "ssh_host_ed25519_key"
    if not key.exists() and shutil.which("ssh-keygen"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jns-pbx",
                        "-f", str(key)], check=True)
        log.info("generated the SSH host key")


def _chown_tree(path: Path, user: str = "asterisk") -> None:
    try:
        shutil.chown(path, user, user)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    shutil.chown(os.path.join(root, name), user, user)
                except FileNotFoundError:
                    # the applier in jns-agid may be swapping a generation at this moment
                    # (its temporary .current-<pid> link is renamed away): nothing to own
                    pass
    except (LookupError, PermissionError) as exc:   # no such user off the box
        log.debug("chown %s skipped: %s", path, exc)


def render_config() -> Path:
    db = store.open_db(DB_PATH)
    files = render.render_files(config.snapshot(db), layout(db))
    gen = render.install(files, ASTERISK_ROOT / "etc")
    _chown_tree(ASTERISK_ROOT)
    try:
        configure_dahdi(db, boot=True)
    except Exception:   # never keep Asterisk from starting over the cards
        log.exception("configuring DAHDI failed")
    return gen


def configure_dahdi(db, *, boot: bool = False) -> None:
    """Load the stored DAHDI spans and ports into the kernel (system.conf + dahdi_cfg): at boot
    before Asterisk starts, and after a save only when system.conf really changes (dahdi_cfg
    touches live channels).  Problems are logged for the admin; Asterisk starts anyway."""
    from .hal import dahdi
    from .store import hardware
    spans = hardware.dahdi_config(db)
    path = DATA / "dahdi" / "system.conf"
    try:
        unchanged = path.read_text(encoding="utf-8") == dahdi.render_system_conf(spans)
    except OSError:
        unchanged = False
    if unchanged and not boot:
        return
    problem = dahdi.configure(spans, path)
    if problem:
        log.warning("DAHDI: %s", problem)


def _after_install(db) -> None:
    _chown_tree(ASTERISK_ROOT / "etc")
    configure_dahdi(db)   # before the applier's reloads, so chan_dahdi finds its channels


def run_agid() -> None:
    db = store.open_db(DB_PATH)
    lay = layout(db)
    server = agi.FastAGIServer((lay.agi_host, lay.agi_port),
                               agi.Services(db, asterisk_root=lay.root))
    thread = agi.serve_in_thread(server)
    # panel saves reach Asterisk from here (the web layer never talks to Asterisk)
    ami = AMIClient("127.0.0.1", lay.ami_port, lay.ami_user, lay.ami_secret, name="agid").start()
    applier_db = store.open_db(DB_PATH)   # its own connection: it runs in its own thread
    applier = ConfigApplier(applier_db, lay, ASTERISK_ROOT / "etc", ami,
                            after_install=lambda _gen: _after_install(applier_db)).start()
    sdnotify.notify("READY=1", f"STATUS=FastAGI on {lay.agi_host}:{lay.agi_port}")
    interval = sdnotify.watchdog_interval() or 10
    housekeeping_db, last_housekeeping = store.open_db(DB_PATH), float("-inf")
    while thread.is_alive():
        if time.monotonic() - last_housekeeping > HOUSEKEEPING_EVERY_S:
            last_housekeeping = time.monotonic()
            try:
                recordings.apply_policy(housekeeping_db, ASTERISK_ROOT / "spool" / "monitor",
                                        DATA / "archive" / "recordings")
            except Exception:
                log.exception("recordings retention failed; next try in an hour")
        sdnotify.notify("WATCHDOG=1", f"STATUS={server.calls} calls, {server.failures} failed, "
                                      f"{server.active} now; {applier.applied} config changes")
        time.sleep(interval)
    sys.exit("FastAGI server thread ended")


def run_watchdog() -> None:
    """jns-watchdog: appliance.watchdog.service on this box's paths (alerts in the DB and,
    for the console, in alarms.log)."""
    from .watchdog import service
    db = store.open_db(DB_PATH)
    service.run_box(DATA, DB_PATH, layout(db))


def run_calld() -> None:
    """jns-calld: the live picture from AMI for the panel (appliance.telephony.calld)."""
    from .telephony import calld
    db = store.open_db(DB_PATH)
    calld.run_box(DB_PATH, layout(db), ASTERISK_ROOT / "log" / "queue_log")


def run_reports() -> None:
    """jns-reports: Asterisk's queue_log and CDR into the report tables (appliance.reports)."""
    from .reports import service
    log_dir = ASTERISK_ROOT / "log"
    service.run_box(DB_PATH, log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m appliance.box")
    parser.add_argument("command", choices=["prepare", "render", "agid", "watchdog", "modemd",
                                            "calld", "reports"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    if args.command == "prepare":
        prepare()
    elif args.command == "render":
        print(f"rendered {render_config()}")
    elif args.command == "agid":
        run_agid()
    elif args.command == "watchdog":
        run_watchdog()
    elif args.command == "calld":
        run_calld()
    elif args.command == "reports":
        run_reports()
    elif args.command == "modemd":
        from .hal import modemd
        modemd.run_service(str(DB_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
