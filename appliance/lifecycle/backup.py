"""Encrypted backup and restore of the box's data, and scheduled backups (IMG-5).

What a backup holds (paths below the data directory, $JNS_DATA = /data/jns): the database
`jns.db` (a consistent copy made with SQLite's backup API: the live file is in WAL mode,
so a file copy could miss or tear committed pages), the IVR prompts (`asterisk/prompts`,
and the older `prompts`), music on hold (`asterisk/moh`, one folder per queue), voicemail
(`asterisk/spool/voicemail`), certificates and keys (`secrets`: https.crt/key, the SSH
host keys, console.pw, the SFTP backup key), `network.json`, the CRM's documents
(`crm-files`); the call recordings
(`asterisk/spool/monitor`, `archive/recordings`, `recordings`) only when asked.  Rendered
files (Asterisk's etc, DAHDI's system.conf), logs and update snapshots are not kept:
the box makes them again from the database.

File format (`.jnsbak`):
    b"JNSBACKUP1\\n"
    one JSON line: format, created (UTC), hostname, firmware, schema_version,
        includes_recordings, items, kdf {name: scrypt, n, r, p}, salt, cipher, chunk,
        nonce_prefix, compression                       (readable without the passphrase)
    the body: a tar stream (the database member zlib-compressed, marked by the PAX record
        JNS.zlib = its real size; audio is stored as it is: deflate gains ~10 % on it at
        a tenth of the speed), cut into 1 MiB chunks, each sealed with
        AES-256-GCM under the key scrypt(passphrase, salt).  Nonce = 7-byte random prefix
        + 4-byte chunk counter + 1 byte "last chunk" flag; the header bytes are the
        associated data of every chunk.  So a wrong passphrase, a changed byte anywhere
        (header included), chunks swapped, cut off or appended all fail authentication.
Nothing is ever held whole in memory: recordings can be gigabytes.

Restore (`restore_backup`), in this order; the box's data is touched only in step 5:
  1. decrypt and unpack into <data>/../.restore-tmp/<name> (same filesystem as the data);
     every chunk is authenticated before its bytes are used, and the stream is read to
     its authenticated end before anything else happens;
  2. check the database: it opens, passes quick_check, its schema is not newer than this
     firmware's; an older one is migrated forward by `open_db` there and then;
  3. complete the new tree: everything of the box the backup does not replace (recordings
     when the backup has none, logs, update files, rendered config) is hard-linked into it
     (no copying, no extra space; the live files are never written);
  4. os.sync(), so the new tree is on disk;
  5. swap: renameat2(RENAME_EXCHANGE) of the new tree and the data directory: ONE atomic
     rename in the ext4 journal.  Before it the box has its old data, after it the new;
     a power cut at any moment leaves one of the two, complete.  The old tree now sits in
     .restore-tmp and is deleted after a last pass links files the running services
     created meanwhile;
  6. the caller restarts the services (the panel and console reboot the box): processes
     that still have the old database open keep writing to the old, deleted copy.
Leftovers of an interrupted restore in .restore-tmp are never the live data and are
removed by the next backup, restore or `cleanup_stale()`.  Where RENAME_EXCHANGE is
missing (not ext4/tmpfs/overlayfs), step 5 becomes two renames with a marker file in
between; `recover_interrupted()` (run by every backup and restore, and worth calling at
boot before the data directory is used) puts whichever tree is complete back in place.

Scheduled backups (`run_scheduled`, run hourly by jns-backup.timer; it decides if one is
due) read the `settings` table: backup_schedule off|daily|weekly, backup_hour (0-23, the
box's local time), backup_weekday (0 = Monday, weekly only), backup_keep (newest N kept at
a usb/sftp/smb target), backup_recordings "0"/"1", backup_target (JSON, see
`validate_target`), backup_passphrase.  The passphrase is stored in the database in clear
text because an unattended backup needs it: whoever can read the box's database (admins,
a stolen disk) can read the backups too; the backups in transit and at the target are
protected.  Results: backup_last_ok (unix time of the last success) and
backup_last_result (JSON: at, ok, message, size, seconds, file, target).
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import getpass
import http.client
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import ssl
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import zlib
from pathlib import Path
from typing import Callable, Iterator

from ..atomic import fsync_dir

log = logging.getLogger("jns.backup")

MAGIC = b"JNSBACKUP1\n"
FORMAT = 1
CHUNK = 1 << 20
TAG = 16
HEADER_MAX = 64 * 1024
# scrypt at 32 MiB / ~0.2 s: affordable on a small box; the header carries the parameters,
# so a later firmware can raise them and still read these files
KDF = {"name": "scrypt", "n": 2 ** 15, "r": 8, "p": 1}
KDF_MAX_MEMORY = 256 * 2 ** 20  # what a file's header may ask for (128 * n * r bytes)
ZLEVEL = 6                      # for the database only
MIN_PASSPHRASE = 8
DB_NAME = "jns.db"
DB_SIDECARS = ("jns.db-wal", "jns.db-shm", "jns.db-journal")
# (path below the data directory, belongs to the optional recordings)
ITEMS: tuple[tuple[str, bool], ...] = (
    ("asterisk/prompts", False), ("prompts", False), ("asterisk/moh", False),
    ("asterisk/spool/voicemail", False), ("secrets", False), ("network.json", False),
    ("crm-files", False),
    ("asterisk/spool/monitor", True), ("archive/recordings", True), ("recordings", True),
)
STAGING = ".restore-tmp"
MARKER = "restore-state.json"
EXTENSION = ".jnsbak"
NAME_RE = re.compile(r"^jns-backup-(?P<host>[A-Za-z0-9.-]+)-(?P<stamp>\d{8}-\d{6})\.jnsbak$")
WRONG = "wrong passphrase or damaged file"
NEXT_STEP = "restart services"

SCHEDULES = ("off", "daily", "weekly")
SETTING_DEFAULTS = {"backup_schedule": "off", "backup_hour": "2", "backup_weekday": "0",
                    "backup_keep": "7", "backup_recordings": "0", "backup_target": "",
                    "backup_passphrase": ""}
TARGET_KINDS = ("usb", "http", "sftp", "smb")
SFTP_KEY = "backup_id_ed25519"
SFTP_KNOWN_HOSTS = "backup_known_hosts"

Progress = Callable[[float, str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in plain words, and
    nothing on the box was changed."""


class BusyError(BackupError):
    """Another backup or restore holds the lock."""


def resolve_data_dir(given: str | os.PathLike | None = None) -> Path:
    """The data directory: the one given, else $JNS_DATA, else /data/jns."""
    return Path(os.path.abspath(given or os.environ.get("JNS_DATA", "/data/jns")))


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")


def hostname() -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()).strip("-.") or "box"


def firmware_version() -> str:
    """The running firmware; tolerant of a missing update module or release file."""
    try:
        from . import update
        version = update.current_version()
        if version and version != "unknown":
            return version
    except Exception:                       # the module is optional here
        pass
    path = os.environ.get("JNS_RELEASE_FILE", "/etc/jns-release")
    try:
        for line in Path(path).read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "JNS_VERSION":
                return value.strip()
    except OSError:
        pass
    return "unknown"


def _utc(at: float | None = None) -> str:
    return dt.datetime.fromtimestamp(time.time() if at is None else at, dt.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- one lock for backups and restores ---------------------------------------------------------

@contextlib.contextmanager
def _locked(data: Path) -> Iterator[None]:
    """One backup or restore at a time (the scheduled one, the panel's, the console's)."""
    data.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(data.parent / ".jns-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError("another backup or restore is running; try again when it "
                              "has finished") from None
        yield
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def recover_interrupted(data_dir: str | os.PathLike | None = None) -> str | None:
    """After a power cut in the two-rename fallback swap: put a complete tree back at the
    data directory.  Returns what was done, or None.  Never touches an existing one."""
    data = resolve_data_dir(data_dir)
    stage = data.parent / STAGING
    try:
        marker = json.loads((stage / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if data.exists() or marker.get("phase") != "fallback":
        return None
    new, old = stage / data.name, stage / "old"
    if (new / DB_NAME).exists():            # synced before the first rename: complete
        os.rename(new, data)
        done = "restore completed"
    elif old.exists():
        os.rename(old, data)
        done = "restore undone: the old data is back"
    else:
        return None
    fsync_dir(data.parent)
    log.warning("interrupted restore found at %s: %s", stage, done)
    return done


def cleanup_stale(data_dir: str | os.PathLike | None = None) -> str | None:
    """Put an interrupted restore right (`recover_interrupted`) and remove what an
    interrupted backup or restore left beside the data directory.  Safe at boot, before
    the services start; returns what recover_interrupted did."""
    data = resolve_data_dir(data_dir)
    with _locked(data):
        return _cleanup(data)


def _cleanup(data: Path) -> str | None:
    done = recover_interrupted(data)
    if data.parent.exists():
        for path in data.parent.iterdir():
            if path.name == STAGING or path.name.startswith((".backup-tmp-", ".backup-out-")):
                log.info("removing the leftover %s", path)
                _rmtree(path)
    return done


# -- the encrypted stream --------------------------------------------------------------------

# `cryptography` is imported when a backup is made or read, not when the panel or the
# console imports this module (the panel must start even where the package is missing).

def _aesgcm(key: bytes):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return AESGCM(key)


def _derive(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    return Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode("utf-8"))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 2 ** 32:
        raise BackupError("backup too large for one file")
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class _EncryptWriter:
    """File-like sink for tarfile: cut into chunks, seal each, write."""

    def __init__(self, fh, key: bytes, prefix: bytes, aad: bytes, chunk: int = CHUNK):
        self._fh, self._aes, self._prefix, self._aad = fh, _aesgcm(key), prefix, aad
        self._chunk = chunk
        self._buf = bytearray()
        self._index = 0
        self.plain_bytes = 0

    def write(self, data) -> int:
        self.plain_bytes += len(data)
        self._buf += data
        # a full chunk goes out only when more follows: the last one is always flagged
        while len(self._buf) > self._chunk:
            self._seal(bytes(self._buf[:self._chunk]), last=False)
            del self._buf[:self._chunk]
        return len(data)

    def _seal(self, plain: bytes, last: bool) -> None:
        self._fh.write(self._aes.encrypt(_nonce(self._prefix, self._index, last), plain,
                                         self._aad))
        self._index += 1

    def close(self) -> None:
        self._seal(bytes(self._buf), last=True)
        self._buf.clear()


def _read_exact(fh, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = fh.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class _DecryptReader:
    """File-like source for tarfile: every chunk is authenticated before use; `finish()`
    reads to the flagged last chunk, so a cut-off file is an error, never a short restore."""

    def __init__(self, fh, key: bytes, prefix: bytes, aad: bytes, chunk: int):
        self._fh, self._aes, self._prefix, self._aad = fh, _aesgcm(key), prefix, aad
        self._chunk = chunk
        self._out = b""
        self._pos = 0
        self._ahead: bytes | None = None
        self._index = 0
        self._ended = False
        self.consumed = 0                   # encrypted bytes read (for progress)

    def _next_chunk(self) -> bytes | None:
        from cryptography.exceptions import InvalidTag
        if self._ended:
            return None
        size = self._chunk + TAG
        cur = self._ahead if self._ahead is not None else _read_exact(self._fh, size)
        nxt = _read_exact(self._fh, size) if len(cur) == size else b""
        last = not nxt
        try:
            if len(cur) < TAG:
                raise InvalidTag()
            plain = self._aes.decrypt(_nonce(self._prefix, self._index, last), cur, self._aad)
        except InvalidTag:
            raise BackupError(WRONG if self._index == 0 else
                              f"damaged or truncated file (at block {self._index + 1})") from None
        self.consumed += len(cur)
        self._index += 1
        self._ahead = nxt
        self._ended = last
        return plain

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = sys.maxsize
        parts, want = [], n
        while want > 0:
            if self._pos >= len(self._out):
                chunk = self._next_chunk()
                if chunk is None:
                    break
                self._out, self._pos = chunk, 0
                continue
            part = self._out[self._pos:self._pos + want]
            self._pos += len(part)
            want -= len(part)
            parts.append(part)
        return b"".join(parts)

    def finish(self) -> None:
        """Authenticate the rest (the tar's end padding) up to the flagged last chunk."""
        while self._next_chunk() is not None:
            pass


def _read_header(fh) -> tuple[dict, bytes]:
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError("not a JNS backup file")
    line = fh.readline(HEADER_MAX + 1)
    try:
        if not line.endswith(b"\n"):
            raise ValueError("no end of line")
        header = json.loads(line)
        if not isinstance(header, dict) or not isinstance(header.get("format"), int):
            raise ValueError("no format")
        if header["format"] > FORMAT:
            raise BackupError(f"the backup was made by a newer firmware (format "
                              f"{header['format']}); update this box first")
        kdf = header["kdf"]
        if kdf.get("name") != "scrypt" or not all(isinstance(kdf.get(k), int) for k in "nrp") \
                or not (2 <= kdf["n"] and kdf["n"] & (kdf["n"] - 1) == 0) \
                or not (1 <= kdf["r"] <= 32 and 1 <= kdf["p"] <= 16) \
                or 128 * kdf["n"] * kdf["r"] > KDF_MAX_MEMORY:
            raise ValueError("bad kdf")
        salt = base64.b64decode(header["salt"], validate=True)
        prefix = base64.b64decode(header["nonce_prefix"], validate=True)
        chunk = header["chunk"]
        if len(salt) < 16 or len(prefix) != 7 or not isinstance(chunk, int) \
                or not 4096 <= chunk <= 16 * CHUNK or header.get("cipher") != "AES-256-GCM" \
                or header.get("compression") != "member-zlib" \
                or not isinstance(header["items"], list) \
                or not all(isinstance(i, str) for i in header["items"]):
            raise ValueError("bad parameters")
    except BackupError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError("damaged file: the header cannot be read") from None
    return header, magic + line


PUBLIC_FIELDS = ("format", "created", "hostname", "firmware", "schema_version",
                 "includes_recordings", "items")


def read_info(path: str | os.PathLike) -> dict:
    """The unencrypted header (no passphrase needed) and the file's size."""
    try:
        with open(path, "rb") as fh:
            header, _raw = _read_header(fh)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    return {**{k: header.get(k) for k in PUBLIC_FIELDS}, "size": size}


# -- create ----------------------------------------------------------------------------------

def _snapshot_db(src: Path, dst: Path) -> int:
    """A consistent copy through SQLite's backup API (one read transaction: writers go on)."""
    s = sqlite3.connect(src, timeout=30)
    try:
        d = sqlite3.connect(dst)
        try:
            s.backup(d)
            d.execute("PRAGMA journal_mode=DELETE")     # one self-contained file
            check = d.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the box's database is damaged ({check}); not backed up")
            schema = d.execute("PRAGMA user_version").fetchone()[0]
        finally:
            d.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the database {src}: {exc}") from None
    finally:
        s.close()
    os.chmod(dst, 0o600)
    return schema


def _deflate(src: Path, dst: Path) -> int:
    """zlib-compress src into dst, streaming; returns src's size."""
    z, size = zlib.compressobj(ZLEVEL), 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while block := fin.read(CHUNK):
            size += len(block)
            fout.write(z.compress(block))
        fout.write(z.flush())
    return size


def _inflate_to(src, fh, expected: int, name: str) -> None:
    """Write the zlib stream read from src into fh, checking it ends at `expected` bytes."""
    z, written = zlib.decompressobj(), 0
    try:
        while block := src.read(CHUNK):
            while block:
                out = z.decompress(block, CHUNK)
                fh.write(out)
                written += len(out)
                block = z.unconsumed_tail
        out = z.flush()
        fh.write(out)
        written += len(out)
    except zlib.error as exc:
        raise BackupError(f"damaged file: {name}: {exc}") from None
    if not z.eof or z.unused_data or written != expected:
        raise BackupError(f"damaged file: {name} is incomplete")


def _walk(root: Path, arc: str) -> Iterator[tuple[Path, str]]:
    """(path, name in the archive) of the folders and regular files below root, sorted."""
    yield root, arc
    if root.is_dir() and not root.is_symlink():
        for dirpath, dirs, files in os.walk(root):
            dirs.sort()
            rel = os.path.relpath(dirpath, root)
            base = arc if rel == "." else f"{arc}/{Path(rel).as_posix()}"
            for name in dirs + sorted(files):
                path = Path(dirpath) / name
                if path.is_symlink() or not (path.is_dir() or path.is_file()):
                    log.info("not backed up (not a file or folder): %s", path)
                    continue
                yield path, f"{base}/{name}"


def _size(path: Path) -> int:
    try:
        st = path.stat()
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _items(data: Path, recordings: bool) -> list[str]:
    out = []
    for rel, is_rec in ITEMS:
        path = data / rel
        if is_rec and not recordings:
            continue
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            continue
        out.append(rel)
    return out


def create_backup(out_path: str | os.PathLike, passphrase: str, *,
                  data_dir: str | os.PathLike | None = None, recordings: bool = False,
                  progress: Progress | None = None) -> dict:
    """Write one encrypted backup file; returns its header plus path, size, files, seconds.
    The file appears under its name only when complete (written beside it, then renamed)."""
    _check_passphrase(passphrase)
    data = resolve_data_dir(data_dir)
    with _locked(data):
        _cleanup(data)
        return _create(Path(out_path), passphrase, data, recordings, progress)


def _create(out: Path, passphrase: str, data: Path, recordings: bool,
            progress: Progress | None) -> dict:
    t0 = time.monotonic()
    db_file = data / DB_NAME
    if not db_file.is_file():
        raise BackupError(f"there is no database at {db_file}: nothing to back up")
    items = _items(data, recordings)
    out = out.absolute()
    for rel in items:
        if out == data / rel or (data / rel) in out.parents:
            raise BackupError(f"the backup file cannot be written inside {data / rel}, "
                              "which it backs up")
    if not out.parent.is_dir():
        raise BackupError(f"there is no folder {out.parent}")
    work = Path(tempfile.mkdtemp(prefix=".backup-tmp-", dir=data.parent))
    partial = out.with_name(f".{out.name}.partial")
    try:
        snap, packed = work / DB_NAME, work / "jns.db.z"
        schema = _snapshot_db(db_file, snap)
        db_size = _deflate(snap, packed)
        db_packed = packed.stat().st_size
        snap.unlink()

        def entries() -> Iterator[tuple[Path, str]]:    # walked twice, never listed whole
            yield packed, DB_NAME
            for rel in items:
                yield from _walk(data / rel, rel)
        total = sum(_size(p) for p, _a in entries()) or 1
        salt, prefix = os.urandom(16), os.urandom(7)
        header = {"format": FORMAT, "created": _utc(), "hostname": hostname(),
                  "firmware": firmware_version(), "schema_version": schema,
                  "includes_recordings": bool(recordings), "items": [DB_NAME] + items,
                  "kdf": KDF, "salt": _b64(salt), "cipher": "AES-256-GCM", "chunk": CHUNK,
                  "nonce_prefix": _b64(prefix), "compression": "member-zlib"}
        raw_header = MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n"
        key = _derive(passphrase, salt, KDF)
        done = files = 0
        with open(partial, "wb") as fh:
            fh.write(raw_header)
            sink = _EncryptWriter(fh, key, prefix, raw_header)
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for path, arc in entries():
                    try:
                        info = tar.gettarinfo(path, arcname=arc)
                        if path == packed:
                            info.mode, info.pax_headers = 0o600, {"JNS.zlib": str(db_size)}
                        if info.isreg():
                            with open(path, "rb") as src:
                                tar.addfile(info, src)
                            files += 1
                            done += info.size
                        elif info.isdir():
                            tar.addfile(info)
                    except FileNotFoundError:           # deleted while we were busy
                        continue
                    if progress:
                        progress(min(done / total, 1.0), arc)
            sink.close()
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, out)
        fsync_dir(out.parent)
    except OSError as exc:
        raise BackupError(f"the backup could not be written: {exc.strerror or exc} "
                          f"({getattr(exc, 'filename', None) or out})") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
        shutil.rmtree(work, ignore_errors=True)
    size = out.stat().st_size
    log.info("backup %s: %d files, %d bytes", out, files, size)
    return {**{k: header[k] for k in PUBLIC_FIELDS}, "path": str(out), "size": size,
            "files": files, "content_bytes": sink.plain_bytes, "db_bytes": db_size,
            "db_packed_bytes": db_packed, "seconds": round(time.monotonic() - t0, 2)}


# -- restore ---------------------------------------------------------------------------------

def _member_item(name: str, items: list[str]) -> str:
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise BackupError(f"damaged file: bad name {name!r} in the archive")
    for item in items:
        if name == item or name.startswith(item + "/"):
            return item
    raise BackupError(f"damaged file: {name!r} is not part of a backup")


def _extract(reader: _DecryptReader, new: Path, items: list[str], as_root: bool,
             progress: Callable[[str], None]) -> set[str]:
    seen: set[str] = set()
    dirs: list[tuple[Path, tarfile.TarInfo]] = []
    try:
        tar = tarfile.open(fileobj=reader, mode="r|")
        for m in tar:
            seen.add(_member_item(m.name, items))
            dest = new / m.name
            if m.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                dirs.append((dest, m))
                continue
            if not m.isreg():
                raise BackupError(f"damaged file: {m.name!r} is not a file or folder")
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                packed = m.pax_headers.get("JNS.zlib")
                if packed is not None:
                    _inflate_to(src, fh, int(packed), m.name)
                else:
                    while block := src.read(CHUNK):
                        fh.write(block)
            _set_meta(dest, m, as_root)         # (made durable by os.sync() before the swap)
            progress(m.name)
    except (tarfile.TarError, ValueError) as exc:
        raise BackupError(f"damaged file: {exc}") from None
    for dest, m in reversed(dirs):
        _set_meta(dest, m, as_root)
    return seen


def _set_meta(path: Path, m: tarfile.TarInfo, as_root: bool) -> None:
    if as_root:
        with contextlib.suppress(OSError):
            os.chown(path, m.uid, m.gid)
    os.chmod(path, m.mode & 0o777)
    with contextlib.suppress(OSError):
        os.utime(path, (m.mtime, m.mtime))


def _validate_db(path: Path) -> tuple[int, int]:
    """(schema in the backup, schema now): the copy opens, is sound, and is migrated."""
    from ..store import db as store
    try:
        conn = sqlite3.connect(path)
        try:
            schema = conn.execute("PRAGMA user_version").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup's database cannot be opened: {exc}") from None
    if check != "ok":
        raise BackupError(f"the backup's database is damaged: {check}")
    if schema > store.SCHEMA_VERSION:
        raise BackupError(f"the backup's database (schema {schema}) is newer than this "
                          f"firmware knows ({store.SCHEMA_VERSION}); update the firmware first")
    try:
        db = store.open_db(path)            # migrates forward, one transaction per step
        try:
            now = store.schema_version(db)
        finally:
            db.conn.close()
    except (store.StoreError, sqlite3.Error) as exc:
        raise BackupError(f"the backup's database cannot be brought up to date: {exc}") from None
    os.chmod(path, 0o600)
    return schema, now


def _link_tree(src: Path, dst: Path, skip: set[str]) -> int:
    """Hard-link every file of src missing in dst (folders made, symlinks copied), except
    the paths in skip (relative) and what is below them.  Returns how many it linked."""
    linked = 0
    for dirpath, dirs, files in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        rel_dir = "" if rel_dir == "." else rel_dir
        descend = []
        for name in dirs:
            rel, s, d = os.path.join(rel_dir, name), Path(dirpath) / name, dst / rel_dir / name
            if rel in skip:
                continue
            try:
                if s.is_symlink():
                    if not os.path.lexists(d):
                        os.symlink(os.readlink(s), d)
                elif os.path.lexists(d):
                    if d.is_dir() and not d.is_symlink():
                        descend.append(name)
                else:
                    st = os.lstat(s)
                    os.mkdir(d, 0o700)
                    _copy_owner(st, d)
                    descend.append(name)
            except FileNotFoundError:       # gone meanwhile (a service at work)
                continue
        dirs[:] = descend
        for name in files:
            rel, s, d = os.path.join(rel_dir, name), Path(dirpath) / name, dst / rel_dir / name
            if rel in skip or os.path.lexists(d):
                continue
            try:
                if s.is_symlink():
                    os.symlink(os.readlink(s), d)
                elif stat.S_ISREG(os.lstat(s).st_mode):
                    os.link(s, d)
                    linked += 1
            except FileNotFoundError:
                continue
    return linked


def _copy_owner(st: os.stat_result, path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, st.st_mode & 0o7777)


def _complete_tree(data: Path, new: Path, replaced: list[str]) -> int:
    """Step 3: what the backup does not replace comes from the box (hard links)."""
    if not data.exists():
        return 0
    _copy_owner(data.stat(), new)
    for rel in replaced:                    # parents the archive made: the box's modes
        parent = Path(rel).parent
        while str(parent) != ".":
            if (data / parent).is_dir():
                _copy_owner((data / parent).stat(), new / parent)
            parent = parent.parent
    return _link_tree(data, new, set(replaced) | set(DB_SIDECARS))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> None:
    """Atomically swap two paths (renameat2 RENAME_EXCHANGE, Linux >= 3.15)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(b))


def _swap(data: Path, new: Path, stage: Path) -> None:
    """Step 5: the new tree takes the data directory's place in one atomic step.  When
    this raises, the data directory is the old one."""
    os.sync()
    if not data.exists():
        os.rename(new, data)
    else:
        try:
            _exchange(new, data)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
                raise
            log.warning("atomic exchange not supported here (%s): two renames", exc)
            (stage / MARKER).write_text(json.dumps({"phase": "fallback", "data": str(data)}))
            fsync_dir(stage)
            os.rename(data, stage / "old")
            try:
                os.rename(new, data)
            except OSError:
                os.rename(stage / "old", data)
                raise
    fsync_dir(data.parent)


def restore_backup(in_path: str | os.PathLike, passphrase: str, *,
                   data_dir: str | os.PathLike | None = None,
                   progress: Progress | None = None) -> dict:
    """Replace the box's data with a backup's (steps in the module docstring).  On any
    error nothing on the box has changed.  Returns what was restored and `next`: what the
    caller must do now ("restart services": the panel and console reboot the box)."""
    from ..store import db as store
    data = resolve_data_dir(data_dir)
    path = Path(in_path)
    t0 = time.monotonic()
    with _locked(data):
        _cleanup(data)
        stage = data.parent / STAGING
        stage.mkdir(mode=0o700)
        new = stage / data.name
        new.mkdir(mode=0o700)
        try:
            try:
                with open(path, "rb") as fh:
                    header, raw = _read_header(fh)
                    if isinstance(header.get("schema_version"), int) and \
                            header["schema_version"] > store.SCHEMA_VERSION:
                        raise BackupError(
                            f"the backup's database (schema {header['schema_version']}) is "
                            f"newer than this firmware knows ({store.SCHEMA_VERSION}); update "
                            "the firmware first")
                    items = header["items"]
                    if DB_NAME not in items:
                        raise BackupError("damaged file: the backup holds no database")
                    known = {DB_NAME, *(rel for rel, _rec in ITEMS)}
                    for item in items:
                        if item not in known:
                            raise BackupError(f"the backup holds {item!r}, which this firmware "
                                              "does not know; update the firmware first")
                    key = _derive(passphrase, base64.b64decode(header["salt"]), header["kdf"])
                    reader = _DecryptReader(fh, key, base64.b64decode(header["nonce_prefix"]),
                                            raw, header["chunk"])
                    size = max(os.fstat(fh.fileno()).st_size, 1)

                    def step(name: str) -> None:
                        if progress:
                            progress(min(0.9 * reader.consumed / size, 0.9), name)
                    seen = _extract(reader, new, items, os.geteuid() == 0, step)
                    reader.finish()
                missing = [i for i in items if i not in seen]
                if missing:
                    raise BackupError(f"damaged file: {', '.join(missing)} missing")
                schema_from, schema_now = _validate_db(new / DB_NAME)
                if progress:
                    progress(0.92, "linking the box's other files")
                _complete_tree(data, new, items)
                if progress:
                    progress(0.97, "swapping")
                _swap(data, new, stage)
            except OSError as exc:
                where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
                raise BackupError(f"restore failed, nothing was changed: "
                                  f"{exc.strerror or exc}{where}") from None
        except BaseException:
            if data.exists() or not (stage / "old").exists():   # never drop the old data
                shutil.rmtree(stage, ignore_errors=True)
            raise
        # the old tree is at `new` now: catch what the services wrote since step 3, then drop it
        try:
            late = _link_tree(new, data, set(items) | set(DB_SIDECARS)) if new.exists() else 0
        except OSError as exc:
            late = 0
            log.warning("linking files written during the restore failed: %s", exc)
        shutil.rmtree(stage, ignore_errors=True)
        fsync_dir(data.parent)
    if progress:
        progress(1.0, "done")
    log.info("restored %s into %s (%s)", path, data, ", ".join(items))
    return {**{k: header.get(k) for k in PUBLIC_FIELDS}, "restored": items,
            "schema_from": schema_from, "schema_now": schema_now, "late_files": late,
            "seconds": round(time.monotonic() - t0, 2), "next": NEXT_STEP,
            "message": "Restored. Restart the services now: reboot the box."}


# -- scheduled backups: settings and targets -------------------------------------------------

_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+|[A-Za-z0-9_]"
                      r"[A-Za-z0-9_.-]{0,252})$")
_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")


def _text(d: dict, key: str, default: str = "") -> str:
    value = d.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise BackupError(f"backup target: {key} must be text")
    if any(c in value for c in "\n\r\0"):
        raise BackupError(f"backup target: {key} must be one line")
    return value.strip() if key != "password" else value


def validate_target(target: dict) -> dict:
    """Check a backup target and return it in its stored form; BackupError says what is
    wrong.  Kinds:
      {"kind": "usb", "path": "/media/usb"}        a mounted folder (USB disk)
      {"kind": "http", "url": "https://host/dir", "username", "password"}
                                                   HTTP PUT of url/<file> (basic auth)
      {"kind": "sftp", "host", "port": 22, "username", "path": ".", "key": <private key,
       default $JNS_DATA/secrets/backup_id_ed25519>}
      {"kind": "smb", "share": "//host/share", "username", "password", "path": "sub/dir"}
    """
    if not isinstance(target, dict):
        raise BackupError("backup target: expected an object with a kind")
    kind = target.get("kind")
    if kind not in TARGET_KINDS:
        raise BackupError(f"backup target: kind must be one of {', '.join(TARGET_KINDS)}")
    if kind == "usb":
        path = _text(target, "path")
        if not path.startswith("/") or ".." in Path(path).parts:
            raise BackupError("backup target: the USB path must be an absolute folder, "
                              "e.g. /media/usb")
        return {"kind": "usb", "path": os.path.normpath(path)}
    if kind == "http":
        url = _text(target, "url")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackupError("backup target: the URL must start with https:// (or http://) "
                              "and name a server")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise BackupError("backup target: the URL must not carry a query, a fragment or "
                              "a user name (use the user name and password fields)")
        try:
            parts.port
        except ValueError:
            raise BackupError("backup target: bad port in the URL") from None
        user, password = _text(target, "username"), _text(target, "password")
        if password and not user:
            raise BackupError("backup target: a password needs a user name")
        return {"kind": "http", "url": url.rstrip("/"), "username": user, "password": password}
    if kind == "sftp":
        host, user = _text(target, "host"), _text(target, "username")
        if not host or not _HOST_RE.match(host):
            raise BackupError("backup target: SFTP needs a server name or address")
        if not user or not _USER_RE.match(user):
            raise BackupError("backup target: SFTP needs a user name (letters, digits, . _ -)")
        port = target.get("port", 22)
        try:
            port = int(port)
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535:
            raise BackupError("backup target: the SFTP port must be 1-65535")
        path = _text(target, "path", ".") or "."
        if '"' in path or "\\" in path:
            raise BackupError("backup target: the SFTP folder must not contain \" or \\")
        out = {"kind": "sftp", "host": host.strip("[]"), "port": port, "username": user,
               "path": path}
        key = _text(target, "key")
        if key:
            if not key.startswith("/"):
                raise BackupError("backup target: the SFTP key must be an absolute path")
            out["key"] = key
        return out
    share = _text(target, "share")
    if not re.match(r"^//[^/\s]+/[^/]+$", share.rstrip("/")):
        raise BackupError("backup target: the SMB share must look like //server/share")
    path = _text(target, "path").strip("/")
    if ".." in Path(path).parts:
        raise BackupError("backup target: the SMB folder must not contain ..")
    return {"kind": "smb", "share": share.rstrip("/"), "username": _text(target, "username"),
            "password": _text(target, "password"), "path": path}


def describe_target(target: dict | None) -> str:
    """Where backups go, in words, without secrets."""
    if not target:
        return "nowhere"
    kind = target.get("kind")
    if kind == "usb":
        return f"USB {target['path']}"
    if kind == "http":
        return target["url"]
    if kind == "sftp":
        return f"SFTP {target['username']}@{target['host']}:{target['port']} {target['path']}"
    return f"SMB {target['share']}/{target.get('path', '')}".rstrip("/")


def _raw_settings(db) -> dict[str, str]:
    from ..store.db import get_setting
    return {k: get_setting(db, k, v) or v for k, v in SETTING_DEFAULTS.items()}


def _stored_target(raw: dict[str, str]) -> dict | None:
    if not raw["backup_target"]:
        return None
    try:
        return validate_target(json.loads(raw["backup_target"]))
    except (ValueError, BackupError) as exc:
        raise BackupError(f"the stored backup target is not valid: {exc}") from None


def settings(db) -> dict:
    """The schedule for the panel and console: no passphrase or target password in it."""
    from ..store.db import get_setting
    raw = _raw_settings(db)
    try:
        target = _stored_target(raw)
    except BackupError:
        target = None
    shown = None
    if target:
        shown = {k: v for k, v in target.items() if k != "password"}
        shown["password_set"] = bool(target.get("password"))
    last_ok = get_setting(db, "backup_last_ok")
    try:
        last = json.loads(get_setting(db, "backup_last_result") or "null")
    except ValueError:
        last = None
    return {"schedule": raw["backup_schedule"], "hour": int(raw["backup_hour"]),
            "weekday": int(raw["backup_weekday"]), "keep": int(raw["backup_keep"]),
            "recordings": raw["backup_recordings"] == "1", "target": shown,
            "target_text": describe_target(target),
            "passphrase_set": bool(raw["backup_passphrase"]),
            "last_ok": float(last_ok) if last_ok else None, "last_result": last}


def save_settings(db, *, schedule: str | None = None, hour: int | None = None,
                  weekday: int | None = None, keep: int | None = None,
                  recordings: bool | None = None, target: dict | None = None,
                  passphrase: str | None = None) -> None:
    """Change the schedule (only the fields given), all checked first, in one transaction.
    A target given without a password keeps the stored one of the same kind and server."""
    from ..store.db import transaction
    raw = _raw_settings(db)
    new: dict[str, str] = {}
    if schedule is not None:
        if schedule not in SCHEDULES:
            raise BackupError(f"schedule must be one of {', '.join(SCHEDULES)}")
        new["backup_schedule"] = schedule
    for key, value, low, high, what in (("backup_hour", hour, 0, 23, "hour"),
                                        ("backup_weekday", weekday, 0, 6, "weekday"),
                                        ("backup_keep", keep, 1, 365, "number of backups kept")):
        if value is None:
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = low - 1
        if not low <= number <= high:
            raise BackupError(f"the {what} must be {low}-{high}")
        new[key] = str(number)
    if recordings is not None:
        new["backup_recordings"] = "1" if recordings else "0"
    if target is not None:
        checked = validate_target(target)
        try:
            old = _stored_target(raw)
        except BackupError:
            old = None
        if "password" in checked and not checked["password"] and old \
                and all(old.get(k) == checked.get(k) for k in ("kind", "url", "share", "username")):
            checked["password"] = old.get("password", "")
        new["backup_target"] = json.dumps(checked)
    if passphrase is not None:
        _check_passphrase(passphrase)
        new["backup_passphrase"] = passphrase
    merged = {**raw, **new}
    if merged["backup_schedule"] != "off":
        if not merged["backup_target"]:
            raise BackupError("choose where the backups go before turning the schedule on")
        if not merged["backup_passphrase"]:
            raise BackupError("set a backup passphrase before turning the schedule on")
    with transaction(db):
        for key, value in new.items():
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


def last_slot(now: float, hour: int, weekday: int | None = None) -> float:
    """The latest scheduled moment at or before `now` (box-local time)."""
    lt = time.localtime(now)
    day = dt.date(lt.tm_year, lt.tm_mon, lt.tm_mday)
    for back in range(9):
        d = day - dt.timedelta(days=back)
        if weekday is not None and d.weekday() != weekday:
            continue
        at = time.mktime((d.year, d.month, d.day, hour, 0, 0, 0, 0, -1))
        if at <= now:
            return at
    raise AssertionError("unreachable: a slot is at most 8 days back")


def next_slot(now: float, hour: int, weekday: int | None = None) -> float:
    lt = time.localtime(now)
    day = dt.date(lt.tm_year, lt.tm_mon, lt.tm_mday)
    for fwd in range(9):
        d = day + dt.timedelta(days=fwd)
        if weekday is not None and d.weekday() != weekday:
            continue
        at = time.mktime((d.year, d.month, d.day, hour, 0, 0, 0, 0, -1))
        if at > now:
            return at
    raise AssertionError("unreachable: a slot is at most 8 days ahead")


def is_due(raw: dict[str, str], last_ok: float | None, now: float) -> bool:
    """Due when the schedule is on and no backup succeeded since the latest slot (a box
    that was off at the hour catches up at the next hourly run)."""
    schedule = raw["backup_schedule"]
    if schedule not in ("daily", "weekly"):
        return False
    weekday = int(raw["backup_weekday"]) if schedule == "weekly" else None
    slot = last_slot(now, int(raw["backup_hour"]), weekday)
    return last_ok is None or last_ok < slot


def backup_filename(host: str, at: float) -> str:
    """jns-backup-<host>-<YYYYmmdd-HHMMSS>.jnsbak, UTC: names sort by time."""
    return f"jns-backup-{host}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(at))}{EXTENSION}"


def _ours(names: list[str], host: str) -> list[str]:
    return sorted(n for n in names if (m := NAME_RE.match(n)) and m["host"] == host)


def _prune_dir(folder: Path, host: str, keep: int) -> list[str]:
    """Keep the newest `keep` backups of this box in folder; returns the names removed."""
    names = _ours([p.name for p in folder.iterdir() if p.is_file()], host)
    gone = names[:-keep] if keep else names
    for name in gone:
        (folder / name).unlink()
    return gone


# -- sending ---------------------------------------------------------------------------------

def _http_put(target: dict, path: Path, filename: str) -> None:
    url = f"{target['url']}/{urllib.parse.quote(filename)}"
    parts = urllib.parse.urlsplit(url)
    size = path.stat().st_size
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=120,
                                           context=ssl.create_default_context(),
                                           blocksize=1 << 16)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120,
                                          blocksize=1 << 16)
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    if target.get("username"):
        token = base64.b64encode(f"{target['username']}:{target.get('password', '')}".encode())
        headers["Authorization"] = f"Basic {token.decode()}"
    try:
        with open(path, "rb") as body:
            try:
                conn.request("PUT", parts.path or "/", body=body, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                pass        # a server may refuse (401, 413) before reading it all: its answer
            resp = conn.getresponse()
            resp.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        raise BackupError(f"cannot send the backup to {target['url']}: {exc}") from None
    finally:
        conn.close()
    if resp.status not in (200, 201, 204):
        raise BackupError(f"the server {target['url']} refused the backup: HTTP {resp.status} "
                          f"{resp.reason}")


def sftp_key_path(data: Path, target: dict | None = None) -> Path:
    return Path((target or {}).get("key") or data / "secrets" / SFTP_KEY)


def ensure_sftp_key(data_dir: str | os.PathLike | None = None) -> str:
    """The box's SSH key for SFTP backups (made the first time): the public line the admin
    adds to the server's authorized_keys."""
    data = resolve_data_dir(data_dir)
    key = sftp_key_path(data)
    if not key.exists():
        key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            f"jns-backup@{hostname()}", "-f", str(key)], check=True,
                           capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BackupError(f"cannot make the SFTP key: {exc}") from None
    return Path(f"{key}.pub").read_text().strip()


def _sftp(target: dict, data: Path, commands: list[str]) -> str:
    key = sftp_key_path(data, target)
    if not key.exists():
        raise BackupError(f"no SFTP key at {key}: make one (jns backup sftp-key) and add its "
                          "public half to the server's authorized_keys")
    known = data / "secrets" / SFTP_KNOWN_HOSTS
    where = f"{target['username']}@{target['host']}:{target['port']}"
    with tempfile.NamedTemporaryFile("w", prefix="jns-sftp-", suffix=".batch") as batch:
        batch.write("\n".join(commands) + "\n")
        batch.flush()
        cmd = ["sftp", "-b", batch.name, "-P", str(target["port"]), "-i", str(key),
               "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new",
               "-o", f"UserKnownHostsFile={known}", "-o", "IdentitiesOnly=yes",
               "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=15",
               "-o", "ServerAliveCountMax=4", "-o", "LogLevel=ERROR",
               "-o", f"User={target['username']}", "--", target["host"]]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=6 * 3600)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BackupError(f"SFTP to {where}: {exc}") from None
    if proc.returncode != 0:
        # ssh's last words say why ("Host key verification failed.", "Permission denied
        # (publickey)."); sftp's own "Connection closed" and the warning banner do not
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()
                 and not line.startswith("@") and not line.startswith("Connection closed")]
        why = lines[-1] if lines else f"sftp exited with {proc.returncode}"
        raise BackupError(f"SFTP to {where}: {why}")
    return proc.stdout


def _q(text: str) -> str:
    return f'"{text}"'


def _rjoin(folder: str, name: str) -> str:
    return f"/{name}" if folder == "/" else f"{folder}/{name}"


def _sftp_send(target: dict, data: Path, path: Path, filename: str, keep: int) -> list[str]:
    """Upload under a temporary name, rename, then prune this box's old backups there."""
    folder = target["path"].rstrip("/") or "/"
    parts = [p for p in folder.split("/") if p and p != "."]
    lead = "/" if folder.startswith("/") else ""
    mkdirs = [f"-mkdir {_q(lead + '/'.join(parts[:i + 1]))}" for i in range(len(parts))]
    partial = _rjoin(folder, f".{filename}.partial")
    _sftp(target, data, [*mkdirs, f"-rm {_q(partial)}", f"put {_q(str(path))} {_q(partial)}",
                         f"rename {_q(partial)} {_q(_rjoin(folder, filename))}"])
    listing = _sftp(target, data, [f"ls -1 {_q(folder)}"])
    names = [line.strip().rsplit("/", 1)[-1] for line in listing.splitlines()
             if not line.startswith("sftp>")]
    ours = _ours(names, NAME_RE.match(filename)["host"])
    gone = ours[:-keep] if keep else ours
    if gone:
        _sftp(target, data, [f"rm {_q(_rjoin(folder, name))}" for name in gone])
    return gone


@contextlib.contextmanager
def _smb_mounted(target: dict) -> Iterator[Path]:
    """mount.cifs the share on a private temporary mount point, then umount.  (Not tested
    here: no SMB server on the test machine.)"""
    base = "/run" if os.access("/run", os.W_OK) else None
    mnt = Path(tempfile.mkdtemp(prefix="jns-smb-", dir=base))
    cred = mnt.with_name(mnt.name + ".cred")
    try:
        fd = os.open(cred, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"username={target.get('username', '')}\n"
                     f"password={target.get('password', '')}\n")
        opts = f"credentials={cred},iocharset=utf8,file_mode=0600,dir_mode=0700,noperm" \
            if target.get("username") else "guest,file_mode=0600,dir_mode=0700,noperm"
        proc = subprocess.run(["mount", "-t", "cifs", target["share"], str(mnt), "-o", opts],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise BackupError(f"cannot mount {target['share']}: "
                              f"{(proc.stderr or proc.stdout).strip() or proc.returncode}")
        try:
            folder = mnt / target.get("path", "")
            folder.mkdir(parents=True, exist_ok=True)
            yield folder
        finally:
            if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
    except OSError as exc:
        raise BackupError(f"SMB {target['share']}: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            cred.unlink()
        with contextlib.suppress(OSError):
            mnt.rmdir()


def _to_folder(folder: Path, passphrase: str, data: Path, recordings: bool, filename: str,
               keep: int) -> tuple[dict, list[str]]:
    if not folder.is_dir():
        raise BackupError(f"there is no folder {folder} (is the disk plugged in and mounted?)")
    if not os.access(folder, os.W_OK):
        raise BackupError(f"cannot write to {folder} (read-only: is the disk mounted there?)")
    info = _create(folder / filename, passphrase, data, recordings, None)
    return info, _prune_dir(folder, NAME_RE.match(filename)["host"], keep)


def _alarm(db, data: Path, ok: bool, text: str, was_failing: bool) -> None:
    """A failure goes into alarms.log (the console's last alarms) and, when the watchdog's
    alert table knows a "backup" check, into the panel's alarms; success resolves it."""
    if ok and not was_failing:
        return
    line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {'OK' if ok else 'WARNING'} backup: {text}"
    with contextlib.suppress(OSError):
        with open(data / "alarms.log", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    try:
        from ..store import alerts
        if "backup" not in alerts.CHECKS:
            return
        open_ = [a for a in alerts.active_alerts(db) if a["check"] == "backup"]
        if ok:
            for a in open_:
                alerts.resolve_alert(db, a["id"], text=text)
        elif open_:
            alerts.update_alert(db, open_[0]["id"], text=text)
        else:
            alerts.open_alert(db, "backup", "", "warning", text, since=time.time())
    except Exception:
        log.exception("recording the backup alarm failed")


def run_scheduled(db, *, data_dir: str | os.PathLike | None = None, now: float | None = None,
                  force: bool = False) -> dict:
    """The timer's job: make and send a backup when one is due (or `force`), prune old
    ones, record the result.  Returns {"ran": False, "message"} when nothing was due or
    another backup holds the lock.  USB and SMB targets are written directly (under a
    temporary name, then renamed); HTTP and SFTP get a file made in a temporary folder
    on the data partition (/tmp on the box is a small tmpfs), removed afterwards."""
    from ..store.db import get_setting, set_setting
    data = resolve_data_dir(data_dir)
    now = time.time() if now is None else now
    raw = _raw_settings(db)
    last_ok_text = get_setting(db, "backup_last_ok")
    last_ok = float(last_ok_text) if last_ok_text else None
    if not force:
        if raw["backup_schedule"] == "off":
            return {"ran": False, "message": "scheduled backups are off"}
        if not is_due(raw, last_ok, now):
            weekday = int(raw["backup_weekday"]) if raw["backup_schedule"] == "weekly" else None
            at = next_slot(now, int(raw["backup_hour"]), weekday)
            return {"ran": False, "message": "not due; next at "
                    + time.strftime("%Y-%m-%d %H:%M", time.localtime(at))}
    try:
        previous = json.loads(get_setting(db, "backup_last_result") or "null") or {}
    except ValueError:
        previous = {}
    t0 = time.monotonic()
    filename = backup_filename(hostname(), now)
    result = {"at": _utc(now), "ok": False, "message": "", "size": 0, "seconds": 0.0,
              "file": filename, "target": ""}
    try:
        target = _stored_target(raw)
        result["target"] = describe_target(target)
        if not target:
            raise BackupError("no backup target set")
        passphrase = raw["backup_passphrase"]
        if not passphrase:
            raise BackupError("no backup passphrase set")
        keep, recordings = int(raw["backup_keep"]), raw["backup_recordings"] == "1"
        with _locked(data):
            _cleanup(data)
            pruned: list[str] = []
            if target["kind"] == "usb":
                info, pruned = _to_folder(Path(target["path"]), passphrase, data, recordings,
                                          filename, keep)
            elif target["kind"] == "smb":
                with _smb_mounted(target) as folder:
                    info, pruned = _to_folder(folder, passphrase, data, recordings, filename,
                                              keep)
            else:
                work = Path(tempfile.mkdtemp(prefix=".backup-out-", dir=data.parent))
                try:
                    info = _create(work / filename, passphrase, data, recordings, None)
                    if target["kind"] == "http":
                        _http_put(target, work / filename, filename)
                    else:
                        pruned = _sftp_send(target, data, work / filename, filename, keep)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
        result.update(ok=True, size=info["size"],
                      message=f"{filename} ({info['size'] / 2 ** 20:.1f} MiB) sent to "
                              f"{describe_target(target)}"
                              + (f"; {len(pruned)} older removed" if pruned else ""))
        set_setting(db, "backup_last_ok", str(int(now)))
    except BusyError as exc:                # not a failure: the next hourly run tries again
        return {"ran": False, "message": str(exc)}
    except BackupError as exc:
        result["message"] = str(exc)
    except Exception as exc:                # never leave the timer without a result
        log.exception("scheduled backup failed")
        result["message"] = f"backup failed: {exc}"
    result["seconds"] = round(time.monotonic() - t0, 2)
    set_setting(db, "backup_last_result", json.dumps(result))
    (log.info if result["ok"] else log.warning)("scheduled backup: %s", result["message"])
    _alarm(db, data, result["ok"], result["message"],
           was_failing=previous.get("ok") is False)
    return {"ran": True, **result}


# -- command line ----------------------------------------------------------------------------

def _passphrase(confirm: bool) -> str:
    env = os.environ.get("JNS_BACKUP_PASSPHRASE")
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise BackupError("no passphrase: type it on a terminal or set JNS_BACKUP_PASSPHRASE")
    first = getpass.getpass("Backup passphrase: ")
    if confirm:
        _check_passphrase(first)
        if getpass.getpass("Again: ") != first:
            raise BackupError("the two passphrases differ")
    return first


def _mb(n: int) -> str:
    return f"{n / 2 ** 20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jns backup", description=(
        "Encrypted backups of the box (database, prompts, music, keys; recordings on request)."
        " The passphrase is asked on the terminal or taken from JNS_BACKUP_PASSPHRASE."))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create", help="write a backup file")
    p.add_argument("file")
    p.add_argument("--recordings", action="store_true", help="include the call recordings")
    p = sub.add_parser("restore", help="replace the box's data with a backup (then reboot)")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p = sub.add_parser("info", help="show a backup's header (no passphrase needed)")
    p.add_argument("file")
    p = sub.add_parser("run-scheduled", help="the timer's job: back up if due")
    p.add_argument("--force", action="store_true", help="back up now even if not due")
    sub.add_parser("status", help="the schedule and the last result")
    p = sub.add_parser("configure", help="set the schedule and the target")
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--hour", type=int)
    p.add_argument("--weekday", type=int, help="0 = Monday (weekly)")
    p.add_argument("--keep", type=int)
    p.add_argument("--recordings", choices=("yes", "no"))
    p.add_argument("--target", help='JSON, e.g. \'{"kind": "usb", "path": "/media/usb"}\'')
    p.add_argument("--passphrase", action="store_true", help="set the stored passphrase")
    sub.add_parser("sftp-key", help="print the box's public key for SFTP backups")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    data = resolve_data_dir()
    try:
        if args.command == "create":
            shown = [-1]

            def tick(fraction: float, _what: str) -> None:
                if sys.stderr.isatty() and int(fraction * 20) != shown[0]:
                    shown[0] = int(fraction * 20)
                    print(f"\r{fraction * 100:5.1f} %", end="", file=sys.stderr, flush=True)
            info = create_backup(args.file, _passphrase(confirm=True), data_dir=data,
                                 recordings=args.recordings, progress=tick)
            print(f"\rbackup written: {info['path']} ({_mb(info['size'])}, {info['files']} "
                  f"files, {info['seconds']} s)")
        elif args.command == "info":
            print(json.dumps(read_info(args.file), indent=2))
        elif args.command == "restore":
            info = read_info(args.file)
            print(f"backup of {info['hostname']} made {info['created']} (firmware "
                  f"{info['firmware']}): {', '.join(info['items'])}")
            if not args.yes:
                if not sys.stdin.isatty():
                    raise BackupError("restore replaces the box's data: add --yes to confirm")
                if input("Replace this box's data with it? Type yes: ").strip().lower() != "yes":
                    print("nothing changed")
                    return 1
            done = restore_backup(args.file, _passphrase(confirm=False), data_dir=data)
            print(f"restored: {', '.join(done['restored'])} (database schema "
                  f"{done['schema_from']} -> {done['schema_now']}).")
            print("Restart the services now: reboot the box (systemctl reboot).")
        elif args.command in ("run-scheduled", "status", "configure"):
            from ..store.db import open_db
            db = open_db(data / DB_NAME)
            if args.command == "run-scheduled":
                logging.getLogger().setLevel(logging.INFO)
                result = run_scheduled(db, data_dir=data, force=args.force)
                print(result["message"])
                return 0 if result.get("ok", True) else 1
            if args.command == "configure":
                target = None
                if args.target is not None:
                    try:
                        target = json.loads(args.target)
                    except ValueError as exc:
                        raise BackupError(f"--target is not JSON: {exc}") from None
                save_settings(db, schedule=args.schedule, hour=args.hour,
                              weekday=args.weekday, keep=args.keep,
                              recordings=None if args.recordings is None
                              else args.recordings == "yes", target=target,
                              passphrase=_passphrase(confirm=True) if args.passphrase else None)
            print(json.dumps(settings(db), indent=2, ensure_ascii=False))
        elif args.command == "sftp-key":
            print(ensure_sftp_key(data))
    except BackupError as exc:
        print(f"jns backup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
