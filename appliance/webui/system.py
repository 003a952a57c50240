"""System `/admin/system/` (IMG-4, IMG-5, OPS-2): firmware update, backup and restore,
scheduled backups, factory reset.  Admin only (supervisors and agents get 403).

- Uploads (update bundles up to 2 GiB, backup files) come as the raw request body: the
  page's XHR sends the file as application/octet-stream with the CSRF token in the
  X-CSRF-Token header.  `_receive` streams request.stream in 1 MiB chunks to a temp name
  beside the final file on the data partition and renames it when complete, so werkzeug
  never spools it to /tmp (a 128 MB tmpfs on the box) and the panel never holds it in
  memory; an interrupted upload leaves nothing behind.
- The install runs in its own process (`update.start_install`); this page only starts it
  and shows `update.status()`, which the browser polls as JSON every second, also while
  the box restarts.
- Backups, restores and "send a scheduled backup now" run in a thread of the panel's
  single gunicorn worker, one at a time; their progress is kept in memory (`JOBS`), the
  files in $JNS_DATA/backups/.  A backup made for download is deleted once downloaded,
  or after 24 h.  The schedule is stored by backup.save_settings (it checks everything).
- A restore and a factory reset end with a reboot, which never happens on a host
  (`reboot_box`); the page says the box restarts in any case.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)

from ..atomic import fsync_dir
from ..lifecycle import backup, reset, update
from ..store import users
from ..store.db import get_setting
from .auth import db, role_required
from .forms import upload_allowed
from .i18n import CATALOG, _, current_lang
from .i18n_system import REASON_PATTERNS

log = logging.getLogger(__name__)
bp = Blueprint("system", __name__, url_prefix="/admin/system")

CHUNK = 1024 * 1024                    # bytes per read of an upload and per write
BUNDLE_MAX_BYTES = 2 * 1024 ** 3       # an update bundle: a root filesystem
BACKUP_MAX_BYTES = 64 * 1024 ** 3      # a backup with recordings may be big
FREE_RESERVE = 100 * 1024 * 1024       # an upload must leave this much free on /data
DOWNLOAD_KEEP_S = 24 * 3600            # an undownloaded backup is deleted after this
REBOOT_DELAY_S = 3.0                   # time for the page to hear "restored" first
INSTALLING = ("verifying", "writing")                 # the install process reads the bundle
WATCH = ("verifying", "writing", "ready", "rebooting", "trial")   # the page keeps polling
SCHEDULES = {"off": "Off", "daily": "Every day", "weekly": "Every week"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TARGET_KINDS = {"usb": "USB disk", "sftp": "SFTP server", "smb": "Windows share (SMB)",
                "http": "HTTP server (PUT)"}
TARGET_FIELDS = {"usb": ("path",), "http": ("url", "username", "password"),
                 "sftp": ("host", "port", "username", "path", "key"),
                 "smb": ("share", "username", "path", "password")}
SECRET_FIELDS = ("password",)          # never shown again; blank keeps the stored one
STATE_TEXT = {
    "idle": "No update is being installed.",
    "verifying": "Checking the signature and the checksum of the update file…",
    "writing": "Writing the new firmware to slot {slot}: {percent} %",
    "ready": "Version {version} is written to slot {slot}; the box starts it on trial at "
             "its next restart.",
    "rebooting": "The box is restarting on version {version}…",
    "trial": "Version {version} runs on trial: the box checks that everything works, "
             "then keeps it (or goes back to version {other} by itself).",
    "failed": "The update failed: {message}",
}
RESULT_TEXT = {
    "installed": "Version {version} was installed ({at}).",
    "rolled_back": "Version {version} did not start correctly, so the box went back to "
                   "version {from} by itself ({at}): {reason}",
    "refused": "An update file was refused ({at}): {reason}",
    "failed": "An update failed ({at}): {reason}",
}
# long texts (catalogue ids; tests/test_webui_system.py checks they have Polish)
NOT_RAW = "Send the file itself as the request body (application/octet-stream)."
NO_SPACE = ("Not enough free space on the data partition: the file needs {need} MB, "
            "{free} MB can be used.")
BACKUP_READY = ("The backup is ready. Download it now: it is deleted from the box once "
                "downloaded, or after 24 hours.")
RESULT_LEVEL = {"installed": "ok", "rolled_back": "error", "refused": "error", "failed": "error"}


# -- paths and the box ------------------------------------------------------------------------

def data_dir() -> Path:
    """$JNS_DATA; else the folder of the panel's database $JNS_DB (the same on the box,
    and right for a development box that sets only JNS_DB); else /data/jns."""
    if os.environ.get("JNS_DATA"):
        return Path(os.environ["JNS_DATA"])
    if os.environ.get("JNS_DB"):
        return Path(os.environ["JNS_DB"]).parent
    return Path("/data/jns")


def backups_dir() -> Path:
    return data_dir() / "backups"


def restore_upload_path() -> Path:
    return backups_dir() / "restore-upload.jnsbak"


def hostname() -> str:
    return socket.gethostname()


def can_reboot() -> bool:
    """Only a booted box reboots (update.on_box: never a developer's machine or a test)."""
    return update.on_box()


def reboot_box(delay_s: float = 0.0) -> bool:
    """`systemctl reboot` after `delay_s` (the answer reaches the browser first); False
    (nothing done) where `can_reboot` says no."""
    return update.reboot(delay_s)


# -- uploads ----------------------------------------------------------------------------------

class Refused(Exception):
    """Input or a moment this page refuses (bad form values, a job already running)."""


class UploadRefused(Exception):
    """An upload that was not stored; `status` is the HTTP status for the page's script."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _receive(target: Path, max_bytes: int) -> int:
    """Stream the raw request body into `target` (temp name beside it, fsync, rename);
    returns the size.  Nothing is left behind when the body is refused or cut short."""
    if request.mimetype != "application/octet-stream":
        raise UploadRefused(_(NOT_RAW), 415)
    length = request.content_length
    if not length:
        raise UploadRefused(_("The file is empty."), 411 if length is None else 400)
    if length > max_bytes:
        raise UploadRefused(_("The file is too large: at most {n} MB.",
                              n=max_bytes // 1024 ** 2), 413)
    target.parent.mkdir(parents=True, exist_ok=True)
    replaced = target.stat().st_size if target.is_file() else 0
    free = shutil.disk_usage(target.parent).free + replaced - FREE_RESERVE
    if length > free:
        raise UploadRefused(_(NO_SPACE, need=length // 1024 ** 2,
                              free=max(0, free) // 1024 ** 2), 507)
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}-{threading.get_ident()}")
    received = 0
    try:
        with open(tmp, "wb") as fh:
            while True:
                chunk = request.stream.read(CHUNK)
                if not chunk:
                    break
                received += len(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if received != length:
            raise UploadRefused(_("The upload was interrupted; send the file again."))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return received


def _json_error(message: str, status: int):
    return jsonify(error=message), status


# -- firmware ---------------------------------------------------------------------------------

def _when(value: Any) -> str:
    """A history time (epoch seconds or ISO text) as the box's local 'YYYY-MM-DD HH:MM'."""
    try:
        if isinstance(value, (int, float)):
            stamp = dt.datetime.fromtimestamp(value)
        else:
            stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone()
        return stamp.strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError):
        return str(value or "")


def _reason(text: Any) -> str:
    """A message of update.py or backup.py in the page's language: the catalogue for fixed
    texts, REASON_PATTERNS for the ones with a version or a board in them."""
    if not text:
        return "—"
    text = str(text)
    if current_lang() == "pl" and text not in CATALOG:
        for pattern, polish in REASON_PATTERNS:
            found = pattern.fullmatch(text)
            if found:
                return polish.format(*found.groups())
    return _(text)


def result_text(entry: dict) -> str:
    """One history entry in plain words, in the page's language."""
    template = RESULT_TEXT.get(entry.get("result") or "", "{result}: {version} ({at}) {reason}")
    return _(template, version=entry.get("version") or "?", at=_when(entry.get("at")),
             reason=_reason(entry.get("reason")), result=entry.get("result") or "?",
             **{"from": entry.get("from") or "?"})


def _target_version(st: dict) -> str:
    return str(st.get("target_version") or st.get("other_version") or "?")


def status_view(st: dict) -> dict:
    """update.status() plus what the page shows: the state in words, its level, the
    progress in per cent, the newest history entry in words."""
    state = st.get("state") or "idle"
    percent = int(round(100 * min(1.0, max(0.0, float(st.get("progress") or 0)))))
    version = st.get("version") if state == "trial" else _target_version(st)
    history = st.get("history") or []
    last = history[0] if history else None
    text = _(STATE_TEXT.get(state, "{message}"), slot=st.get("other_slot") or "?",
             percent=percent, version=version or "?", other=st.get("other_version") or "?",
             message=_reason(st.get("message")))
    if state == "failed" and last and last.get("result") in ("refused", "failed") \
            and last.get("reason") == st.get("message"):
        text = result_text(last)      # "refused: the signature is not valid..." in plain words
    return {**st, "state": state, "percent": percent, "text": text,
            "level": "error" if state == "failed" else "info",
            "installing": state in INSTALLING, "watch": state in WATCH,
            "restarting": _("The box is restarting on version {version}…",
                            version=_target_version(st)),
            "last": result_text(last) if last else "",
            "last_level": RESULT_LEVEL.get(last.get("result"), "info") if last else "",
            "last_key": f"{last.get('at')}|{last.get('version')}|{last.get('result')}"
            if last else ""}


def _firmware() -> tuple[dict | None, str]:
    try:
        return status_view(update.status(data_dir())), ""
    except Exception as exc:   # the page must open even when the slots cannot be read
        log.exception("update.status failed")
        return None, str(exc)


@bp.route("/")
@role_required("admin")
def index():
    cleanup()
    return _page()


def _page(status: int = 200, **values: Any):
    """The System page; `values` override the defaults (a refused form and its message)."""
    st, error = _firmware()
    history = [dict(h, when=_when(h.get("at")), text=result_text(h),
                    reason_text=_reason(h.get("reason")))
               for h in (st or {}).get("history") or []]
    context = dict(
        st=st, st_error=error, history=history, hostname=hostname(),
        bundle_max_mb=BUNDLE_MAX_BYTES // 1024 ** 2, backup_max_mb=BACKUP_MAX_BYTES // 1024 ** 2,
        job=_running_job(), restore_pending=restore_upload_path().is_file(),
        s=schedule_values(), last_backup=last_backup_result(), schedules=SCHEDULES,
        weekdays=WEEKDAYS,
        target_kinds=TARGET_KINDS, schedule_error=None, reset_error=None, sftp_public_key=None)
    context.update(values)
    return render_template("system.html", **context), status


@bp.route("/update/status")
@role_required("admin")
def update_status():
    st, error = _firmware()
    if st is None:
        return _json_error(_("The firmware status cannot be read: {error}", error=error), 500)
    return jsonify(st)


@bp.route("/update/upload", methods=["PUT", "POST"])
@role_required("admin")
@upload_allowed(max_bytes=BUNDLE_MAX_BYTES)
def update_upload():
    """Store the bundle at update.incoming_path(); the page then asks to install it."""
    try:
        if (update.status(data_dir()).get("state") or "idle") in INSTALLING:
            raise UploadRefused(_("An update is being installed now; wait until it ends."), 409)
        size = _receive(update.incoming_path(data_dir()), BUNDLE_MAX_BYTES)
    except UploadRefused as exc:
        return _json_error(str(exc), exc.status)
    return jsonify(ok=True, size=size, install=url_for(".update_install"))


@bp.route("/update/install", methods=["POST"])
@role_required("admin")
def update_install():
    """Start installing the uploaded bundle (its own process; the page polls the status)."""
    path = update.incoming_path(data_dir())
    if not path.is_file():
        return _json_error(_("Upload an update file first."), 409)
    try:
        update.start_install(path, force=request.form.get("force") == "1", data=data_dir())
    except update.UpdateError as exc:
        return _json_error(_reason(exc), 409)
    log.info("firmware install started by %s (force=%s)", g.user["username"],
             request.form.get("force") == "1")
    return jsonify(ok=True)


# -- backup and restore jobs ------------------------------------------------------------------

@dataclasses.dataclass
class Job:
    id: str
    kind: str                       # "backup", "restore" or "send" (a scheduled one now)
    user: str
    state: str = "running"          # running | done | failed
    progress: float = 0.0
    error: str = ""
    path: Path | None = None        # the backup made (for download) or the file restored
    info: dict = dataclasses.field(default_factory=dict)
    started: float = dataclasses.field(default_factory=time.time)


JOBS: dict[str, Job] = {}
JOBS_LOCK = threading.Lock()


def _running_job() -> Job | None:
    with JOBS_LOCK:
        return next((j for j in JOBS.values() if j.state == "running"), None)


def _start_job(kind: str, work: Callable[[Job], None], path: Path | None = None) -> Job:
    """One backup or restore at a time: they read and replace the same files."""
    with JOBS_LOCK:
        if any(j.state == "running" for j in JOBS.values()):
            raise Refused(_("A backup or restore is running; wait until it ends."))
        job = Job(id=secrets.token_urlsafe(12), kind=kind, user=g.user["username"], path=path)
        JOBS[job.id] = job
    threading.Thread(target=_run, args=(job, work), name=f"system-{kind}-{job.id}",
                     daemon=True).start()
    return job


def _run(job: Job, work: Callable[[Job], None]) -> None:
    try:
        work(job)
    except backup.BackupError as exc:
        job.error = str(exc)
        job.state = "failed"
    except Exception as exc:   # shown to the admin; the traceback goes to the log
        log.exception("%s job failed", job.kind)
        job.error = f"{type(exc).__name__}: {exc}"
        job.state = "failed"
    else:
        job.progress, job.state = 1.0, "done"


def _progress(job: Job) -> Callable[..., None]:
    """backup.py's progress callback (fraction, what); never raises into the work."""
    def report(fraction: Any = None, *_what: Any) -> None:
        try:
            job.progress = min(1.0, max(job.progress, float(fraction)))
        except (TypeError, ValueError):
            pass
    return report


def cleanup(now: float | None = None) -> None:
    """Delete downloadable backups older than 24 h and jobs nobody looks at any more."""
    now = time.time() if now is None else now
    folder = backups_dir()
    for path in folder.glob("download-*.jnsbak") if folder.is_dir() else ():
        try:
            if now - path.stat().st_mtime > DOWNLOAD_KEEP_S:
                path.unlink()
        except OSError:
            pass
    with JOBS_LOCK:
        for key in [k for k, j in JOBS.items()
                    if j.state != "running" and now - j.started > DOWNLOAD_KEEP_S]:
            del JOBS[key]


def _job(job_id: str) -> Job:
    with JOBS_LOCK:
        job = JOBS.get(job_id)
    if job is None:
        abort(404)
    return job


def _backup_name() -> str:
    """The name scheduled backups have too."""
    return backup.backup_filename(backup.hostname(), time.time())


@bp.route("/backup", methods=["POST"])
@role_required("admin")
def backup_create():
    form = request.form
    passphrase = form.get("passphrase") or ""
    error = None
    if passphrase != (form.get("passphrase2") or ""):
        error = _("The passphrases do not match.")
    elif len(passphrase) < 8:
        error = _("The passphrase must have at least 8 characters.")
    if error:
        flash(error, "error")
        return redirect(url_for(".index") + "#backup")
    cleanup()
    recordings = form.get("recordings") == "1"
    path = backups_dir() / f"download-{secrets.token_hex(8)}.jnsbak"
    path.parent.mkdir(parents=True, exist_ok=True)

    def work(job: Job) -> None:
        try:
            job.info = dict(backup.create_backup(path, passphrase, data_dir=data_dir(),
                                                 recordings=recordings,
                                                 progress=_progress(job)) or {})
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        job.info["download_name"] = _backup_name()
    try:
        job = _start_job("backup", work, path)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index") + "#backup")
    return redirect(url_for(".job_page", job_id=job.id))


@bp.route("/job/<job_id>")
@role_required("admin")
def job_page(job_id: str):
    job = _job(job_id)
    return render_template("system_job.html", job=job, view=job_view(job),
                           title=JOB_TITLE[job.kind])


@bp.route("/job/<job_id>/status")
@role_required("admin")
def job_json(job_id: str):
    return jsonify(job_view(_job(job_id)))


JOB_TEXT = {   # kind -> (running, failed, done); catalogue ids
    "backup": ("Making the backup: {percent} %", "The backup failed: {error}", BACKUP_READY),
    "restore": ("Restoring the backup: {percent} %", "The restore failed: {error}",
                "Restored; the box restarts."),
    "send": ("Making the backup and sending it to the target…",
             "The backup was not sent: {error}", "Sent: {message}"),
}
JOB_TITLE = {"backup": "Backup", "restore": "Restore a backup", "send": "Scheduled backups"}


def job_view(job: Job) -> dict:
    """The job as the page and its script show it, texts in the page's language."""
    percent = int(round(job.progress * 100))
    running, failed, done = JOB_TEXT[job.kind]
    if job.state == "running":
        text = _(running, percent=percent)
    elif job.state == "failed":
        text = _(failed, error=_reason(job.error))
    else:
        text = _(done, message=_reason(job.info.get("message")))
    download = None
    if job.kind == "backup" and job.state == "done" and job.path and job.path.is_file():
        download = url_for(".job_download", job_id=job.id)
    return {"id": job.id, "kind": job.kind, "state": job.state, "percent": percent,
            "text": text, "error": job.error, "download": download,
            "size_mb": round(job.path.stat().st_size / 1024 ** 2, 1) if download else None}


@bp.route("/job/<job_id>/download")
@role_required("admin")
def job_download(job_id: str):
    """The finished backup; the file is deleted once all of it has been sent (an interrupted
    download can be tried again until the 24 h cleanup)."""
    job = _job(job_id)
    if job.kind != "backup" or job.state != "done" or not job.path or not job.path.is_file():
        abort(404)
    path, fh = job.path, open(job.path, "rb")
    size = os.fstat(fh.fileno()).st_size
    user = g.user["username"]

    def body():
        with fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        path.unlink(missing_ok=True)
        log.info("backup %s downloaded by %s (%d bytes); deleted from the box", job.id, user, size)
    name = job.info.get("download_name") or _backup_name()
    return Response(body(), mimetype="application/octet-stream", headers={
        "Content-Length": str(size), "Content-Disposition": f"attachment; filename={name}"})


@bp.route("/restore/upload", methods=["PUT", "POST"])
@role_required("admin")
@upload_allowed(max_bytes=BACKUP_MAX_BYTES)
def restore_upload():
    """Store a backup file to restore; the page then shows what it holds."""
    try:
        if _running_job() is not None:
            raise UploadRefused(_("A backup or restore is running; wait until it ends."), 409)
        size = _receive(restore_upload_path(), BACKUP_MAX_BYTES)
    except UploadRefused as exc:
        return _json_error(str(exc), exc.status)
    return jsonify(ok=True, size=size, next=url_for(".restore"))


def _info_view(info: dict) -> dict:
    return {"created": _when(info.get("created")), "hostname": info.get("hostname") or "?",
            "version": info.get("firmware") or "?",
            "recordings": bool(info.get("includes_recordings")),
            "size_mb": round((info.get("size") or 0) / 1024 ** 2, 1)}


@bp.route("/restore", methods=["GET", "POST"])
@role_required("admin")
def restore():
    upload = restore_upload_path()
    if not upload.is_file():
        flash(_("Upload a backup file first."), "error")
        return redirect(url_for(".index") + "#restore")
    try:
        info = _info_view(backup.read_info(upload))
    except (backup.BackupError, OSError, ValueError) as exc:
        upload.unlink(missing_ok=True)
        flash(_("This is not a backup of this box's kind: {error}", error=_reason(exc)), "error")
        return redirect(url_for(".index") + "#restore")
    if request.method == "GET":
        return render_template("system_restore.html", info=info, error=None)
    form = request.form
    passphrase = form.get("passphrase") or ""
    error = None
    if form.get("confirm") != "1":
        error = _("Tick the box to confirm that the box's configuration is replaced.")
    elif not passphrase:
        error = _("Type the backup's passphrase.")
    if error:
        return render_template("system_restore.html", info=info, error=error), 400

    def work(job: Job) -> None:
        job.info = dict(backup.restore_backup(upload, passphrase, data_dir=data_dir(),
                                              progress=_progress(job)) or {})
        upload.unlink(missing_ok=True)
        reboot_box(REBOOT_DELAY_S)
    try:
        job = _start_job("restore", work, upload)
    except Refused as exc:
        return render_template("system_restore.html", info=info, error=str(exc)), 409
    log.info("restore of a backup from %s started by %s", info["hostname"], g.user["username"])
    return redirect(url_for(".job_page", job_id=job.id))


@bp.route("/restore/cancel", methods=["POST"])
@role_required("admin")
def restore_cancel():
    job = _running_job()
    if job is None or job.kind != "restore":    # never under a restore reading it
        restore_upload_path().unlink(missing_ok=True)
    return redirect(url_for(".index") + "#restore")


# -- scheduled backups ------------------------------------------------------------------------

def schedule_values() -> dict:
    """backup.settings() as the form's values (no passphrase or password in them)."""
    try:
        stored = backup.settings(db())
    except (backup.BackupError, ValueError) as exc:   # unreadable settings: show the defaults
        log.warning("backup settings: %s", exc)
        stored = {"schedule": "off", "hour": 2, "weekday": 0, "keep": 7, "recordings": False,
                  "target": None, "passphrase_set": False}
    target = stored.get("target") or {}
    values = {"schedule": stored["schedule"], "hour": str(stored["hour"]),
              "weekday": str(stored["weekday"]), "keep": str(stored["keep"]),
              "recordings": "1" if stored["recordings"] else "",
              "kind": target.get("kind") or "usb", "passphrase_set": stored["passphrase_set"],
              "password_set": bool(target.get("password_set"))}
    for kind, fields in TARGET_FIELDS.items():
        for name in fields:
            if name not in SECRET_FIELDS:
                values[f"{kind}_{name}"] = str(target.get(name) or "") \
                    if target.get("kind") == kind else ""
    return values


def last_backup_result() -> dict | None:
    try:
        result = json.loads(get_setting(db(), "backup_last_result") or "null")
    except ValueError:
        return None
    if not isinstance(result, dict):
        return None
    return {**result, "when": _when(result.get("at")), "message": _reason(result.get("message"))}


def _save_schedule(form) -> None:
    """One backup.save_settings call with every field (it checks all before writing any);
    a blank passphrase or password keeps the stored one."""
    passphrase = form.get("passphrase") or ""
    if passphrase != (form.get("passphrase2") or ""):
        raise Refused(_("The passphrases do not match."))
    kind = form.get("kind") or ""
    if kind not in TARGET_FIELDS:
        raise Refused(_("Choose where the backups go."))
    target = {"kind": kind}
    for name in TARGET_FIELDS[kind]:
        value = form.get(f"{kind}_{name}") or ""
        target[name] = value if name in SECRET_FIELDS else value.strip()
    schedule = form.get("schedule") or ""
    empty = not any(v for k, v in target.items() if k != "kind")
    backup.save_settings(
        db(), schedule=schedule, hour=form.get("hour"), weekday=form.get("weekday") or 0,
        keep=form.get("keep"), recordings=form.get("recordings") == "1",
        target=None if empty and schedule == "off" else target,
        passphrase=passphrase or None)


@bp.route("/backup/send", methods=["POST"])
@role_required("admin")
def backup_send():
    """A scheduled backup now (backup.run_scheduled, forced): tries the target and shows
    the result as the timer would record it."""
    threads_db = current_app.extensions["jns_db"]

    def work(job: Job) -> None:
        job.progress = 0.05
        job.info = dict(backup.run_scheduled(threads_db.get(), data_dir=data_dir(), force=True))
        if not job.info.get("ok"):
            raise backup.BackupError(job.info.get("message") or "failed")
    try:
        job = _start_job("send", work)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index") + "#schedule")
    return redirect(url_for(".job_page", job_id=job.id))


@bp.route("/backup/sftp-key", methods=["POST"])
@role_required("admin")
def sftp_key():
    """The box's public key for SFTP backups (made the first time it is asked for)."""
    try:
        key = backup.ensure_sftp_key(data_dir())
    except backup.BackupError as exc:
        return _page(500, schedule_error=_reason(exc))
    return _page(sftp_public_key=key)


@bp.route("/backup/schedule", methods=["POST"])
@role_required("admin")
def backup_schedule():
    try:
        _save_schedule(request.form)
    except (Refused, backup.BackupError) as exc:
        form = {k: v for k, v in request.form.items()
                if k not in ("passphrase", "passphrase2") and not k.endswith("_password")}
        return _page(400, s={**schedule_values(), "recordings": "", **form},
                     schedule_error=_reason(exc))
    flash(_("Backup schedule saved."), "ok")
    return redirect(url_for(".index") + "#schedule")


# -- factory reset ----------------------------------------------------------------------------

@bp.route("/reset", methods=["POST"])
@role_required("admin")
def factory_reset():
    """Erase the data partition at the next boot: the admin types the box's name and their
    own password (a session left open is not enough)."""
    form = request.form
    user = g.user["username"]
    addr = request.remote_addr or "unknown"
    error = None
    if (form.get("confirm") or "").strip() != hostname():
        error = _("Type the box's name, {name}, exactly to confirm.", name=hostname())
    elif users.login_delay(db(), user, addr) > 0:
        error = _("Too many wrong passwords; wait a while and try again.")
    elif users.authenticate(db(), user, form.get("password") or "", addr) is None:
        error = _("Your password is wrong.")
    if error is None and not can_reboot() and not os.environ.get("JNS_NO_REBOOT"):
        # request_factory_reset reboots through systemd: never a developer's machine
        error = _("This panel does not run on a box (a development host): no factory reset here.")
    if error is None:
        try:
            reset.request_factory_reset(f"requested in the web panel by {user}")
        except Exception as exc:   # the flag could not be written: nothing happens
            log.exception("factory reset failed")
            error = _("The factory reset could not be started: {error}", error=str(exc))
    if error is not None:
        return _page(400, reset_error=error)
    log.warning("factory reset requested in the panel by %s", user)
    return render_template("system_reset.html", hostname=hostname())
