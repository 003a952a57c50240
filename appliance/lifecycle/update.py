"""Firmware updates: signed bundles, A/B root slots, a trial boot with a health gate, and
rollback that needs nobody on site.

Bundle (`.jnsupd`, made by `make bundle` / `build_bundle`): an uncompressed tar holding,
in this order,
    manifest.json    {"format", "product", "board", "version", "build", "created",
                      "image", "image_size", "image_sha256", "raw_size", "raw_sha256"}
    manifest.sig     Ed25519 signature of manifest.json's exact bytes
    rootfs.img.zst   the ext4 root filesystem of a slot, zstd-compressed
The box trusts the public keys in /etc/jns/update-keys/*.pem (put there by
scripts/build-image.sh; the private key stays with whoever builds firmware:
`make update-keys`).

Install (`install`, run as a background process by the panel and the console):
  1. verify before touching anything: the signature, the product and board, the version
     (older than the running one is refused unless forced), then the SHA-256 of the
     whole compressed image;
  2. write the image to the other slot (zstd checks its content checksum on the way; a
     mismatch fails the install and the slot is never offered to the boot loader), then
     label it jns-root<X>;
  3. empty that slot's /var overlay (it belonged to an older firmware), snapshot the
     database (the new firmware migrates it; this one must still boot with its own copy);
  4. grubenv: jns_try=<X>.  GRUB boots X once with jns.trial=1 (rootfs/grub/grub.cfg.in).
A power cut before step 4 leaves the boot loader untouched: the old slot boots.

Health gate (`gate`, jns-health.service, every boot): on a trial boot it waits until the
database is migrated, every jns-* unit is active, Asterisk is fully booted with our
dialplan and the panel answers over HTTPS; then grubenv says jns_slot=<X>.  If that does
not happen within `update_health_timeout_s` (a setting, default 600 s), or a unit keeps
failing, the gate writes why and reboots; GRUB finds jns_trying=1 and boots the old slot.
A hang is reset by the hardware watchdog (systemd's RuntimeWatchdogSec), a kernel panic
reboots by itself (panic=10): both end in the same rollback.  The old slot's first boot
(`appliance.box prepare` → `restore_snapshot_if_newer`) puts its own database snapshot
back when the trial left a newer schema, and `gate` records the rollback for the panel
and the console.

Settings (environment; defaults are the box's): JNS_DATA, JNS_RELEASE_FILE
(/etc/jns-release), JNS_UPDATE_KEYS (/etc/jns/update-keys), JNS_SLOT_A / JNS_SLOT_B
(/dev/disk/by-partlabel/rootA, rootB), JNS_GRUBENV (a grubenv file; default: the one on
the EFI system partition, mounted for the moment it is read or written), JNS_CMDLINE
(/proc/cmdline), JNS_NO_REBOOT (tests: never reboot).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

from ..atomic import atomic_write, fsync_dir

PRODUCT = "jns-pbx"
FORMAT = 1
CHUNK = 1 << 20
MANIFEST_MAX = 64 * 1024
HISTORY_KEEP = 30
SNAPSHOTS_KEEP = 3
DEFAULT_HEALTH_TIMEOUT_S = 600
RESTARTS_FAIL = 5          # a unit restarted this often during the trial is failing
UNITS = ("jns-firstboot", "jns-asterisk", "jns-agid", "jns-calld", "jns-reports", "jns-web",
         "jns-watchdog", "jns-modemd")
ESP_DEVICE = "/dev/disk/by-label/JNSESP"
ESP_MOUNT = Path("/run/jns/esp")
ASTERISK_CONF = "/data/jns/asterisk/etc/current/asterisk.conf"

Progress = Callable[[str, float, str], None]


class UpdateError(Exception):
    """An update that cannot go on; the message is for the admin, in plain words."""


# -- where things are ------------------------------------------------------------------------

def data_dir() -> Path:
    return Path(os.environ.get("JNS_DATA", "/data/jns"))


def update_dir(data: Path | None = None) -> Path:
    return (data or data_dir()) / "update"


def incoming_path(data: Path | None = None) -> Path:
    """Where an uploaded bundle is kept: on the data partition (the box's /tmp is small)."""
    return update_dir(data) / "incoming.jnsupd"


def _release(path: str | None = None) -> dict[str, str]:
    path = path or os.environ.get("JNS_RELEASE_FILE", "/etc/jns-release")
    out: dict[str, str] = {}
    try:
        for line in Path(path).read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key.strip()] = value.strip()
    except OSError:
        pass
    return out


def current_version() -> str:
    return _release().get("JNS_VERSION", "unknown")


def current_board() -> str:
    return _release().get("JNS_BOARD", "x86_64-pc")


def parse_version(text: str) -> tuple[int, ...]:
    """"1.0.312" (or "1.0.312+gabc123") -> (1, 0, 312); anything else is ValueError."""
    core = str(text).split("+", 1)[0]
    if not re.fullmatch(r"\d+(\.\d+){1,5}", core):
        raise ValueError(f"not a version number: {text!r}")
    return tuple(int(p) for p in core.split("."))


def _cmdline() -> list[str]:
    return Path(os.environ.get("JNS_CMDLINE", "/proc/cmdline")).read_text().split()


def running_slot() -> str:
    for arg in _cmdline():
        if arg.startswith("jns.slot=") and arg[9:] in ("A", "B"):
            return arg[9:]
    return "A"


def trial_boot() -> bool:
    return "jns.trial=1" in _cmdline()


def other(slot: str) -> str:
    return "B" if slot == "A" else "A"


def slot_device(slot: str) -> Path:
    return Path(os.environ.get(f"JNS_SLOT_{slot}", f"/dev/disk/by-partlabel/root{slot}"))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- GRUB's environment block ------------------------------------------------------------------

GRUBENV_SIZE = 1024
GRUBENV_HEAD = b"# GRUB Environment Block\n"


def parse_grubenv(raw: bytes) -> dict[str, str]:
    if not raw.startswith(GRUBENV_HEAD):
        raise UpdateError("the boot loader's environment block is damaged")
    env = {}
    for line in raw[len(GRUBENV_HEAD):].decode("utf-8", "replace").split("\n"):
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env


def format_grubenv(env: dict[str, str]) -> bytes:
    body = GRUBENV_HEAD + b"".join(f"{k}={v}\n".encode() for k, v in env.items())
    for k, v in env.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) or not re.fullmatch(r"[A-Za-z0-9_.:-]*", v):
            raise ValueError(f"unsafe grubenv entry {k}={v!r}")
    if len(body) > GRUBENV_SIZE:
        raise UpdateError("the boot loader's environment block is full")
    return body + b"#" * (GRUBENV_SIZE - len(body))


@contextlib.contextmanager
def _grubenv_file(write: bool) -> Iterator[Path]:
    """The grubenv file: JNS_GRUBENV, or the EFI system partition mounted for the moment."""
    if os.environ.get("JNS_GRUBENV"):
        yield Path(os.environ["JNS_GRUBENV"])
        return
    ESP_MOUNT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "vfat", "-o", "rw" if write else "ro", ESP_DEVICE, str(ESP_MOUNT)],
                   check=True, capture_output=True, text=True)
    try:
        yield ESP_MOUNT / "boot" / "grub" / "grubenv"
    finally:
        os.sync()
        subprocess.run(["umount", str(ESP_MOUNT)], check=False, capture_output=True)


def read_grubenv() -> dict[str, str]:
    with _grubenv_file(write=False) as path:
        return parse_grubenv(path.read_bytes())


def update_grubenv(**changes: str) -> dict[str, str]:
    """Set (or, with "", clear) entries.  The block is rewritten in place, as GRUB's own
    save_env does (GRUB writes through the file's block list, so the file must not move)."""
    with _grubenv_file(write=True) as path:
        env = parse_grubenv(path.read_bytes())
        env.update(changes)
        data = format_grubenv(env)
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return env


# -- state, history and progress (for the panel and the console) ----------------------------------

def _load(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def _save(path: Path, value) -> None:
    atomic_write(path, (json.dumps(value, indent=1) + "\n").encode(), 0o644)


class Reporter:
    """Writes install progress to state.json, at most once a second (plus every change of
    step), so a power cut never leaves a half-written file and the panel can poll it."""

    def __init__(self, data: Path | None = None, echo: bool = False):
        self.path = update_dir(data) / "state.json"
        self.echo = echo
        self._last = (None, 0.0)

    def __call__(self, state: str, progress: float, message: str, **extra) -> None:
        now = time.monotonic()
        if state == self._last[0] and now - self._last[1] < 1.0 and progress < 1.0:
            return
        self._last = (state, now)
        cur = _load(self.path, {})
        cur.update({"state": state, "progress": round(progress, 3), "message": message,
                    "updated": _now(), **extra})
        _save(self.path, cur)
        if self.echo:
            print(f"{state:10s} {progress * 100:5.1f} %  {message}", flush=True)


def _history_add(data: Path | None, entry: dict) -> None:
    path = update_dir(data) / "history.json"
    items = _load(path, [])
    items.insert(0, {"at": _now(), **entry})
    _save(path, items[:HISTORY_KEEP])


def status(data: Path | None = None) -> dict:
    """What the panel and the console show: versions, slots, the install in progress (or
    the last one) and the history, newest first."""
    d = update_dir(data)
    state = _load(d / "state.json", {})
    slot = running_slot() if Path(os.environ.get("JNS_CMDLINE", "/proc/cmdline")).exists() else "A"
    slots = _load(d / "slots.json", {})
    result = {"version": current_version(), "board": current_board(), "slot": slot,
              "other_slot": other(slot), "other_version": slots.get(other(slot)),
              "state": state.get("state", "idle"), "progress": state.get("progress", 0.0),
              "message": state.get("message", ""), "target_version": state.get("version"),
              "history": _load(d / "history.json", []), "rolled_back": None}
    just_started = (state.get("message") == "starting"
                    and time.time() - float(state.get("started_at") or 0) < 60)
    if state.get("state") in ("verifying", "writing") and not _install_running(data) \
            and not just_started:
        result["state"] = "failed"
        result["message"] = "the install stopped (the box restarted or lost power); nothing was changed"
    for item in result["history"][:1]:
        if item.get("result") == "rolled_back":
            result["rolled_back"] = item
    return result


# -- verification -------------------------------------------------------------------------------

def trusted_keys() -> list:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    keys = []
    folder = Path(os.environ.get("JNS_UPDATE_KEYS", "/etc/jns/update-keys"))
    for pem in sorted(folder.glob("*.pem")):
        try:
            keys.append(load_pem_public_key(pem.read_bytes()))
        except ValueError:
            continue
    return keys


def _verify_signature(manifest: bytes, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    keys = trusted_keys()
    if not keys:
        raise UpdateError("this box has no update key installed, so it cannot trust any bundle")
    for key in keys:
        try:
            key.verify(signature, manifest)
            return
        except (InvalidSignature, TypeError, ValueError):
            continue
    raise UpdateError("the bundle's signature is not valid: it was not made by the holder of "
                      "this box's update key, or it was changed after it was signed")


def _open_members(tar: tarfile.TarFile) -> tuple[dict, tarfile.TarInfo]:
    """Read manifest.json and manifest.sig (the first two members) and check the signature;
    returns the manifest and the image member (not yet read)."""
    def member(name: str) -> tarfile.TarInfo:
        info = tar.next()
        if info is None or info.name != name or not info.isfile():
            raise UpdateError(f"this is not a firmware bundle (expected {name} in it)")
        return info
    m_info = member("manifest.json")
    if m_info.size > MANIFEST_MAX:
        raise UpdateError("this is not a firmware bundle (its manifest is too large)")
    raw = tar.extractfile(m_info).read()
    s_info = member("manifest.sig")
    sig = tar.extractfile(s_info).read(256)
    _verify_signature(raw, sig)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise UpdateError("the bundle's manifest is unreadable") from exc
    image = tar.next()
    if image is None or image.name != manifest.get("image") or not image.isfile():
        raise UpdateError("the bundle is incomplete (no root file system image in it)")
    if image.size != manifest.get("image_size"):
        raise UpdateError("the bundle is damaged (its image has the wrong size)")
    return manifest, image


def check_manifest(manifest: dict, *, force: bool = False) -> None:
    if manifest.get("format") != FORMAT or manifest.get("product") != PRODUCT:
        raise UpdateError("this bundle is for another product or a newer bundle format")
    if manifest.get("board") != current_board():
        raise UpdateError(f"this bundle is for board {manifest.get('board')!r}; this box is "
                          f"{current_board()!r}")
    try:
        new = parse_version(manifest.get("version", ""))
    except ValueError as exc:
        raise UpdateError(f"the bundle has no valid version ({exc})") from exc
    try:
        running = parse_version(current_version())
    except ValueError:
        running = (0,)
    if new < running and not force:
        raise UpdateError(f"version {manifest['version']} is older than the running "
                          f"{current_version()}; allow an older version to install it anyway")


def _open_bundle(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r|")
    except (tarfile.TarError, OSError) as exc:
        raise UpdateError(f"this is not a firmware bundle ({exc})") from exc


def verify_bundle(path: str | os.PathLike, *, force: bool = False,
                  progress: Progress | None = None) -> dict:
    """Signature, product, board, version, and the SHA-256 of the whole image.  Reads the
    file once; changes nothing."""
    progress = progress or (lambda *a, **k: None)
    path = Path(path)
    with _open_bundle(path) as tar:
        manifest, image = _open_members(tar)
        check_manifest(manifest, force=force)
        digest, done = hashlib.sha256(), 0
        src = tar.extractfile(image)
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            progress("verifying", done / max(1, image.size), f"checking version {manifest['version']}")
        if digest.hexdigest() != manifest.get("image_sha256"):
            raise UpdateError("the bundle is damaged (its checksum does not match); download it again")
    return manifest


# -- install ------------------------------------------------------------------------------------

def _lock_path(data: Path | None) -> Path:
    return update_dir(data) / "install.lock"


def _install_running(data: Path | None = None) -> bool:
    path = _lock_path(data)
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _write_image(tar: tarfile.TarFile, image: tarfile.TarInfo, manifest: dict, device: Path,
                 progress: Progress) -> None:
    """Decompress the image straight onto the slot.  The compressed bytes were checked
    against the signed SHA-256 before; zstd checks its frame's own content checksum as it
    decompresses (the build writes one), so what lands on the slot is what was signed,
    without a second SHA-256 pass over the whole slot (slow on a small box)."""
    raw_size = int(manifest["raw_size"])
    if device.is_block_device():
        with open(device, "rb") as fh:
            room = fh.seek(0, os.SEEK_END)
        if raw_size > room:
            raise UpdateError(f"the new root file system ({raw_size >> 20} MiB) does not fit the "
                              f"slot ({room >> 20} MiB)")
        flags = os.O_WRONLY
    else:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    src = tar.extractfile(image)
    zstd = subprocess.Popen(["zstd", "-d", "-c", "-q"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    feed_error: list[BaseException] = []

    def feed():
        try:
            while chunk := src.read(CHUNK):
                zstd.stdin.write(chunk)
        except BaseException as exc:   # surfaces below as a short image
            feed_error.append(exc)
        finally:
            with contextlib.suppress(OSError):
                zstd.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    written = 0
    fd = os.open(device, flags)
    try:
        while chunk := zstd.stdout.read(CHUNK):
            if written + len(chunk) > raw_size:
                raise UpdateError("the bundle is damaged (its image is longer than it says)")
            _write_all(fd, chunk)
            written += len(chunk)
            progress("writing", written / raw_size, f"writing version {manifest['version']}")
        os.fsync(fd)
    finally:
        os.close(fd)
        feeder.join()
        rc = zstd.wait()
    if feed_error or rc != 0 or written != raw_size:
        raise UpdateError("writing the new version failed its check (the slot was not enabled; "
                          "the box keeps running this version)")


def _write_all(fd: int, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _relabel(device: Path, slot: str) -> None:
    """The image was built as slot A; GRUB finds each slot by its label."""
    if device.is_block_device():
        subprocess.run(["e2label", str(device), f"jns-root{slot}"], check=True,
                       capture_output=True, text=True)


def _reset_var_overlay(data: Path, slot: str) -> None:
    """The slot's /var layer belonged to the firmware that was there before."""
    base = data.parent / "overlay" / slot / "var"
    for sub in ("upper", "work"):
        shutil.rmtree(base / sub, ignore_errors=True)
        (base / sub).mkdir(parents=True, exist_ok=True)


def snapshot_database(data: Path) -> Path | None:
    """A consistent copy of the database before a new firmware migrates it, named by its
    schema version, so this firmware can take it back after a rollback."""
    db_path = data / "jns.db"
    if not db_path.exists():
        return None
    snaps = update_dir(data) / "snapshots"
    snaps.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(db_path)
    try:
        schema = src.execute("PRAGMA user_version").fetchone()[0]
        target = snaps / f"schema-{schema:03d}-{time.strftime('%Y%m%d-%H%M%S')}.db"
        tmp = target.with_suffix(".tmp")
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
        os.replace(tmp, target)
        fsync_dir(snaps)
    finally:
        src.close()
    for old in sorted(snaps.glob("schema-*.db"))[:-SNAPSHOTS_KEEP]:
        old.unlink()
    return target


def install(path: str | os.PathLike, *, force: bool = False, data: Path | None = None,
            progress: Progress | None = None) -> dict:
    """Verify, write the other slot, arm the trial boot.  The caller reboots."""
    data = data or data_dir()
    progress = progress or Reporter(data)
    update_dir(data).mkdir(parents=True, exist_ok=True)
    lock = open(_lock_path(data), "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise UpdateError("another update is being installed")
    path = Path(path)
    target = other(running_slot())
    try:
        progress("verifying", 0.0, "checking the bundle", version=None, slot=target)
        manifest = verify_bundle(path, force=force, progress=progress)
        progress("verifying", 1.0, f"version {manifest['version']} is genuine",
                 version=manifest["version"])
        env = read_grubenv()
        if env.get("jns_try"):
            update_grubenv(jns_try="", jns_trying="")
        slots_file = update_dir(data) / "slots.json"
        slots = _load(slots_file, {})
        slots[target] = None          # being overwritten
        _save(slots_file, slots)
        with _open_bundle(path) as tar:
            manifest2, image = _open_members(tar)
            if manifest2 != manifest:
                raise UpdateError("the bundle changed while it was being installed")
            _write_image(tar, image, manifest, slot_device(target), progress)
        _relabel(slot_device(target), target)
        _reset_var_overlay(data, target)
        snapshot_database(data)
        slots[target] = manifest["version"]
        slots[running_slot()] = current_version()
        _save(slots_file, slots)
        _save(update_dir(data) / "pending.json", {"version": manifest["version"], "slot": target,
                                                  "from": current_version(), "at": _now()})
        update_grubenv(jns_try=target, jns_trying="")
        progress("ready", 1.0, f"version {manifest['version']} is written to slot {target}; "
                 "it starts on trial at the next boot")
        return manifest
    except UpdateError as exc:
        progress("failed", 0.0, str(exc))
        _history_add(data, {"version": None, "from": current_version(), "result": "refused",
                            "reason": str(exc)})
        raise
    except Exception as exc:
        progress("failed", 0.0, f"the install failed: {exc}")
        _history_add(data, {"version": None, "from": current_version(), "result": "failed",
                            "reason": str(exc)})
        raise
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def start_install(bundle: str | os.PathLike, *, force: bool = False,
                  data: Path | None = None) -> None:
    """Run `install --reboot` as its own process (it outlives a panel restart)."""
    data = data or data_dir()
    if _install_running(data):
        raise UpdateError("another update is being installed")
    update_dir(data).mkdir(parents=True, exist_ok=True)
    Reporter(data)("verifying", 0.0, "starting", version=None, started_at=time.time())
    cmd = [sys.executable, "-m", "appliance.lifecycle.update", "install", str(bundle), "--reboot"]
    if force:
        cmd.append("--force")
    if Path("/run/systemd/system").exists() and shutil.which("systemd-run"):
        # its own unit: a restart of the panel (whose cgroup it would share) cannot kill it
        cmd = ["systemd-run", "--quiet", "--collect", f"--unit=jns-update-install-{int(time.time())}",
               f"--setenv=JNS_DATA={data}", "--property=Nice=5", *cmd]
    log = open(update_dir(data) / "install.log", "ab")
    subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                     start_new_session=True, env={**os.environ, "JNS_DATA": str(data)})
    log.close()


def on_box() -> bool:
    """A booted box: systemd is PID 1 and the firmware's release file exists.  Never a
    developer's machine (make run-host runs the same code as root) or a test."""
    if os.environ.get("JNS_NO_REBOOT"):
        return False
    try:
        pid1 = Path("/proc/1/comm").read_text().strip()
    except OSError:
        return False
    return pid1 == "systemd" and Path(os.environ.get("JNS_RELEASE_FILE", "/etc/jns-release")).is_file()


def reboot(delay_s: float = 0.0) -> bool:
    """`systemctl reboot` on a box (after `delay_s`, in a thread, so an answer can still
    reach the browser); elsewhere only says it would."""
    if not on_box():
        print("not rebooting (JNS_NO_REBOOT, or not a booted box)", flush=True)
        return False
    if delay_s:
        threading.Timer(delay_s, subprocess.run, (["systemctl", "reboot"],), {"check": False}).start()
    else:
        subprocess.run(["systemctl", "reboot"], check=False)
    return True


def fetch(url: str, dest: Path, progress: Progress | None = None) -> Path:
    """Download a bundle (console: install from a URL) onto the data partition."""
    progress = progress or (lambda *a, **k: None)
    if not re.match(r"^https?://", url):
        raise UpdateError("give an http:// or https:// address")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as resp, open(tmp, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            while chunk := resp.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                progress("downloading", done / total if total else 0.0,
                         f"downloaded {done >> 20} MiB")
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise UpdateError(f"could not download {url}: {exc}") from exc
    os.replace(tmp, dest)
    return dest


# -- after boot: database snapshot, health gate, the record of what happened ---------------------

def restore_snapshot_if_newer(db_path: Path, schema_known: int) -> Path | None:
    """Run before the database is opened: after a rollback the database may carry the newer
    firmware's schema.  Put this firmware's snapshot back (the newer file is kept aside)."""
    if not db_path.exists():
        return None
    con = sqlite3.connect(db_path)
    try:
        schema = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    if schema <= schema_known:
        return None
    snaps = update_dir(db_path.parent) / "snapshots"
    candidates = sorted(p for p in snaps.glob("schema-*.db")
                        if int(p.name.split("-")[1]) <= schema_known)
    if not candidates:
        raise UpdateError(f"the database has schema {schema}, newer than this firmware knows "
                          f"({schema_known}), and no snapshot of it was kept; restore a backup")
    snap = candidates[-1]
    aside = snaps / f"newer-schema-{schema:03d}-{time.strftime('%Y%m%d-%H%M%S')}"
    aside.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        part = db_path.with_name(db_path.name + suffix)
        if part.exists():
            os.replace(part, aside / part.name)
    tmp = db_path.with_name(db_path.name + ".restoring")
    shutil.copyfile(snap, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, db_path)
    fsync_dir(db_path.parent)
    return snap


def _uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def _check_database(data: Path) -> tuple[bool, str]:
    from ..store.db import SCHEMA_VERSION
    try:
        con = sqlite3.connect(f"file:{data / 'jns.db'}?mode=ro", uri=True, timeout=5)
        try:
            schema = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return False, f"the database cannot be read: {exc}"
    if schema != SCHEMA_VERSION:
        return False, f"the database is at schema {schema}, not {SCHEMA_VERSION}"
    return True, "database migrated"


def _check_units() -> tuple[bool | None, str]:
    """True: all active.  None: not yet (starting).  False: a unit failed for good."""
    out = subprocess.run(["systemctl", "show", "-p", "Id,ActiveState,NRestarts", *UNITS],
                         capture_output=True, text=True, timeout=30).stdout
    waiting = []
    for block in out.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit = props.get("Id", "?")
        if props.get("ActiveState") == "failed":
            return False, f"{unit} failed"
        if int(props.get("NRestarts") or 0) >= RESTARTS_FAIL:
            return False, f"{unit} keeps crashing (restarted {props['NRestarts']} times)"
        if props.get("ActiveState") != "active":
            waiting.append(unit)
    if waiting:
        return None, "waiting for " + ", ".join(waiting)
    return True, "all services active"


def _check_asterisk() -> tuple[bool, str]:
    def cli(command: str) -> str:
        return subprocess.run(["asterisk", "-C", ASTERISK_CONF, "-rx", command],
                              capture_output=True, text=True, timeout=60).stdout
    try:
        if "fully booted" not in cli("core waitfullybooted").lower():
            return False, "Asterisk is not fully booted"
        if "jns-inbound" not in cli("dialplan show jns-inbound"):
            return False, "Asterisk runs without our dialplan"
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"Asterisk does not answer: {exc}"
    return True, "Asterisk fully booted with our configuration"


def _check_panel(url: str = "https://127.0.0.1/login") -> tuple[bool, str]:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE     # the box's own self-signed certificate
    try:
        with urllib.request.urlopen(url, timeout=10, context=ctx) as resp:
            return resp.status == 200, f"panel answered {resp.status}"
    except Exception as exc:
        return False, f"the panel does not answer: {exc}"


def health_timeout(data: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{data / 'jns.db'}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT value FROM settings WHERE key = 'update_health_timeout_s'"
                              ).fetchone()
        finally:
            con.close()
        return max(120, int(row[0])) if row else DEFAULT_HEALTH_TIMEOUT_S
    except (sqlite3.Error, ValueError):
        return DEFAULT_HEALTH_TIMEOUT_S


def health_checks(data: Path) -> tuple[bool | None, str]:
    units, why = _check_units()
    if units is not True:
        return units, why
    for check in (lambda: _check_database(data), _check_asterisk, _check_panel):
        ok, why = check()
        if not ok:
            return None, why
    return True, "healthy"


def record_boot(data: Path) -> dict | None:
    """Every boot: if GRUB came back from a trial, say so in the history (once)."""
    env = read_grubenv()
    pending = _load(update_dir(data) / "pending.json", None)
    rolled = env.get("jns_rolled_back")
    if not rolled:
        return None
    state = _load(update_dir(data) / "state.json", {})
    reason = state.get("gate_failure") or ("the new version did not reach its health check "
                                           "(it hung, crashed or lost power)")
    entry = {"version": (pending or {}).get("version"), "from": current_version(),
             "result": "rolled_back", "slot": rolled, "reason": reason}
    _history_add(data, entry)
    Reporter(data)("idle", 0.0, f"version {entry['version']} failed and the box went back to "
                   f"{current_version()}: {reason}", gate_failure=None)
    (update_dir(data) / "pending.json").unlink(missing_ok=True)
    update_grubenv(jns_rolled_back="")
    return entry


def gate(data: Path | None = None, *, poll_s: float = 5.0) -> int:
    """jns-health.service.  On a trial boot: mark the slot good, or reboot back."""
    data = data or data_dir()
    update_dir(data).mkdir(parents=True, exist_ok=True)
    try:
        entry = record_boot(data)
        if entry:
            print(f"rolled back: {entry['reason']}", flush=True)
    except Exception as exc:   # never keep a healthy box from running over the record
        print(f"could not record the boot: {exc}", flush=True)
    if not trial_boot():
        return 0
    slot = running_slot()
    report = Reporter(data)
    try:
        limit = health_timeout(data)
        report("trial", 0.0, f"version {current_version()} on trial in slot {slot}")
        why = "not checked"
        while True:
            ok, why = health_checks(data)
            if ok:
                break
            if ok is False or _uptime() > limit:
                if ok is not False:
                    why = f"not healthy within {limit} s: {why}"
                raise UpdateError(why)
            report("trial", min(0.99, _uptime() / limit), why)
            time.sleep(poll_s)
        update_grubenv(jns_slot=slot, jns_try="", jns_trying="")
        pending = _load(update_dir(data) / "pending.json", {}) or {}
        _history_add(data, {"version": current_version(), "from": pending.get("from"),
                            "result": "installed", "slot": slot,
                            "reason": f"passed its health check {int(_uptime())} s after boot"})
        (update_dir(data) / "pending.json").unlink(missing_ok=True)
        report("idle", 1.0, f"version {current_version()} passed its health check and is now "
               f"the box's firmware (slot {slot})", gate_failure=None)
        print(f"slot {slot} ({current_version()}) is good", flush=True)
        return 0
    except Exception as exc:
        reason = str(exc) if isinstance(exc, UpdateError) else f"the health check broke: {exc}"
        report("failed", 0.0, f"version {current_version()} failed: {reason}; going back",
               gate_failure=reason)
        print(f"trial of slot {slot} failed: {reason}; rebooting to the previous version",
              flush=True)
        os.sync()
        reboot()
        return 1


# -- building bundles (the build host) -----------------------------------------------------------

def keygen(folder: Path) -> tuple[Path, Path]:
    """An Ed25519 key pair for signing bundles: keep the private key off the repository."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    folder.mkdir(parents=True, exist_ok=True)
    priv, pub = folder / "update-signing.pem", folder / "update-signing.pub.pem"
    if priv.exists():
        raise UpdateError(f"{priv} exists; refusing to replace a signing key")
    key = Ed25519PrivateKey.generate()
    atomic_write(priv, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()), 0o600)
    atomic_write(pub, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def build_bundle(raw_image: Path, output: Path, *, version: str, key: Path,
                 board: str = "x86_64-pc", build: str = "", level: int = 6) -> dict:
    """Compress a slot's file system image and sign its manifest."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    parse_version(version)
    signer = load_pem_private_key(key.read_bytes(), password=None)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".bundle-") as tmp:
        zst = Path(tmp) / "rootfs.img.zst"
        subprocess.run(["zstd", "-q", "-T0", f"-{level}", "--check", "-f", str(raw_image), "-o", str(zst)],
                       check=True)
        manifest = {"format": FORMAT, "product": PRODUCT, "board": board, "version": version,
                    "build": build, "created": _now(), "image": "rootfs.img.zst",
                    "image_size": zst.stat().st_size, "image_sha256": _sha256(zst),
                    "raw_size": raw_image.stat().st_size, "raw_sha256": _sha256(raw_image)}
        raw = json.dumps(manifest, indent=1, sort_keys=True).encode()
        (Path(tmp) / "manifest.json").write_bytes(raw)
        (Path(tmp) / "manifest.sig").write_bytes(signer.sign(raw))
        part = output.with_name(output.name + ".part")
        with tarfile.open(part, "w", format=tarfile.USTAR_FORMAT) as tar:
            for name in ("manifest.json", "manifest.sig", "rootfs.img.zst"):
                tar.add(Path(tmp) / name, arcname=name, recursive=False)
        os.replace(part, output)
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- command line ----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="jns update", description="firmware updates (A/B slots)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status", help="versions, slots, the last update and the history")
    p = sub.add_parser("check", help="verify a bundle (signature, board, version, checksum)")
    p.add_argument("bundle")
    p.add_argument("--force", action="store_true", help="accept an older version")
    for name, what in (("install", "a bundle file"), ("install-url", "a bundle from http(s)")):
        p = sub.add_parser(name, help=f"install {what} into the other slot, then boot it on trial")
        p.add_argument("bundle" if name == "install" else "url")
        p.add_argument("--force", action="store_true", help="accept an older version")
        p.add_argument("--reboot", action="store_true", help="reboot when written")
    sub.add_parser("gate", help="(jns-health.service) the health gate after boot")
    p = sub.add_parser("keygen", help="make a signing key pair (build host)")
    p.add_argument("folder", type=Path)
    p = sub.add_parser("build", help="make a signed bundle from a slot image (build host)")
    p.add_argument("--image", type=Path, required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--build", default="")
    p.add_argument("--board", default="x86_64-pc")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "status":
            print(json.dumps(status(), indent=1))
        elif args.cmd == "check":
            m = verify_bundle(args.bundle, force=args.force)
            print(f"OK: version {m['version']} for {m['board']}, built {m['created']}")
        elif args.cmd in ("install", "install-url"):
            report = Reporter(echo=True)
            bundle = (Path(args.bundle) if args.cmd == "install"
                      else fetch(args.url, incoming_path(), report))
            m = install(bundle, force=args.force, progress=report)
            print(f"version {m['version']} installed to slot {other(running_slot())}; "
                  + ("rebooting" if args.reboot else "it starts on trial at the next boot"),
                  flush=True)
            if args.reboot:
                report("rebooting", 1.0, f"restarting on version {m['version']}")
                reboot()
        elif args.cmd == "gate":
            return gate()
        elif args.cmd == "keygen":
            priv, pub = keygen(args.folder)
            print(f"private key {priv} (keep it safe, never in the repository)\npublic key {pub}")
        elif args.cmd == "build":
            m = build_bundle(args.image, args.output, version=args.version, key=args.key,
                             board=args.board, build=args.build)
            print(f"{args.output}: version {m['version']}, {m['image_size'] >> 20} MiB")
    except UpdateError as exc:
        print(f"jns update: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
