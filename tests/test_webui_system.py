"""The System page `/admin/system/`: firmware update upload, backup and restore, scheduled
backups, factory reset - through Flask's test client on a real SQLite file, and once in
headless Chromium against the real panel (gunicorn).

Real parts: a box in files as tests/test_update.py builds it (release file, trusted Ed25519
key, slot files, GRUB's environment block made by grub-editenv, JNS_DATA in tmp_path),
bundles signed by appliance.lifecycle.update.build_bundle, the real install process that
update.start_install runs, real encrypted backups.  JNS_NO_REBOOT=1: nothing reboots.
"""
from __future__ import annotations

import ast
import contextlib
import fcntl
import json
import os
import re
import time
from pathlib import Path

import pytest

from appliance.devbox import free_port
from appliance.lifecycle import backup, reset, update
from appliance.store import users
from appliance.store.db import get_setting, open_db, set_setting
from appliance.webui import create_app, system
from appliance.webui.i18n import CATALOG
from tests.conftest import client_for, csrf_token, page_text, use_english
from tests.test_webui_browser import gunicorn_panel, page  # noqa: F401 (page: headless Chromium)

ROOT = Path(__file__).resolve().parents[1]
PW = "correct horse battery"          # tests.test_webui.ADMIN_PW: the admin fixture's password


@pytest.fixture
def box(firmware_box):
    """The box in files (conftest.firmware_box); the panel's database is $JNS_DATA/jns.db."""
    return firmware_box


@pytest.fixture
def app(box):
    app = create_app(str(box["data"] / "jns.db"))
    app.config["TESTING"] = True
    return app


def bundle(box, version: str, *, key: Path | None = None, size: int = 2 << 20,
           **kw) -> tuple[Path, bytes]:
    """A signed bundle whose slot image is `size` random bytes (the install writes any
    image to a slot file; the qemu tests use real root file systems)."""
    img = box["tmp"] / f"rootfs-{version}.img"
    img.write_bytes(os.urandom(size))
    out = box["tmp"] / f"jns-pbx-{version}.jnsupd"
    update.build_bundle(img, out, version=version, key=key or box["key"], level=1, **kw)
    return out, img.read_bytes()


def put(client, url: str, body: bytes, token: str | None, **headers):
    if token is not None:
        headers["X-CSRF-Token"] = token
    return client.put(url, data=body, headers=headers, content_type="application/octet-stream")


def wait_status(client, done, timeout: float = 40.0) -> dict:
    """Poll the page's JSON status (as the page's script does) until done(status)."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/admin/system/update/status")
        assert r.status_code == 200, r.get_data(as_text=True)
        st = r.get_json()
        if done(st):
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.2)


def upload_and_install(client, path: Path, force: bool = False) -> None:
    token = csrf_token(client, "/admin/system/")
    r = put(client, "/admin/system/update/upload", path.read_bytes(), token)
    assert r.status_code == 200, r.get_data(as_text=True)
    r = client.post("/admin/system/update/install", data={"force": "1" if force else ""},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.get_data(as_text=True)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) \
        if folder.is_dir() else []


# -- who may do what --------------------------------------------------------------------------

ROUTES = [("GET", "/admin/system/"), ("GET", "/admin/system/update/status"),
          ("PUT", "/admin/system/update/upload"), ("POST", "/admin/system/update/upload"),
          ("POST", "/admin/system/update/install"), ("POST", "/admin/system/backup"),
          ("GET", "/admin/system/job/x"), ("GET", "/admin/system/job/x/status"),
          ("GET", "/admin/system/job/x/download"), ("PUT", "/admin/system/restore/upload"),
          ("POST", "/admin/system/restore/upload"),
          ("GET", "/admin/system/restore"), ("POST", "/admin/system/restore"),
          ("POST", "/admin/system/restore/cancel"), ("POST", "/admin/system/backup/schedule"),
          ("POST", "/admin/system/backup/send"), ("POST", "/admin/system/backup/sftp-key"),
          ("POST", "/admin/system/reset")]


def test_every_route_is_for_admins_only(app, db, admin, box):
    rules = {(m, r.rule.replace("<job_id>", "x")) for r in app.url_map.iter_rules()
             if r.endpoint.startswith("system.") for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == set(ROUTES)            # a new route must be added to this test
    for role in ("agent", "supervisor"):
        c = client_for(app, db, role)
        token = csrf_token(c, "/")
        for method, url in ROUTES:
            r = c.open(url, method=method, data=b"x" * 100,
                       content_type="application/octet-stream",
                       headers={"X-CSRF-Token": token})
            assert r.status_code == 403, (role, method, url, r.status_code)
        # a big body from them is refused before it is read (the 2 GiB limit is admins')
        r = put(c, "/admin/system/update/upload", b"x" * (2 << 20), token)
        assert r.status_code == 413
    anonymous = app.test_client()
    for method, url in ROUTES:
        r = anonymous.open(url, method=method)
        assert r.status_code in (302, 400), (method, url)   # login page; POST: no CSRF token
    assert not update.incoming_path().exists()
    assert not box["flag"].exists()
    # the admin sees the page in the configuration menu
    page = page_text(admin.get("/admin/"))
    assert 'href="/admin/system/"' in page and ">System<" in page


def test_upload_without_csrf_token_is_refused_and_nothing_is_stored(admin, box):
    body, _ = bundle(box, "1.0.101")
    for token in (None, "forged-token"):
        r = put(admin, "/admin/system/update/upload", body.read_bytes(), token)
        assert r.status_code == 400
        assert "CSRF" in page_text(r)
    assert not update.incoming_path().exists()
    assert leftovers(update.incoming_path().parent) == []
    for url in ("/admin/system/update/install", "/admin/system/reset", "/admin/system/backup",
                "/admin/system/backup/schedule"):
        assert admin.post(url, data={"confirm": "x"}).status_code == 400, url
    assert not box["flag"].exists()


def test_upload_is_stored_byte_identical_at_incoming_path(admin, box):
    body = os.urandom(3 * 1024 * 1024 + 12345)      # not a multiple of the 1 MiB chunk
    token = csrf_token(admin, "/admin/system/")
    r = put(admin, "/admin/system/update/upload", body, token)
    assert r.status_code == 200 and r.get_json()["size"] == len(body)
    assert update.incoming_path() == box["data"] / "update" / "incoming.jnsupd"
    assert update.incoming_path().read_bytes() == body
    assert leftovers(update.incoming_path().parent) == []
    # a second upload replaces the first
    r = put(admin, "/admin/system/update/upload", b"second", token)
    assert r.status_code == 200 and update.incoming_path().read_bytes() == b"second"
    # a form post instead of the file itself: refused, the stored file untouched
    r = admin.post("/admin/system/update/upload", data={"csrf_token": token, "bundle": "x"})
    assert r.status_code == 415 and "application/octet-stream" in r.get_json()["error"]
    r = put(admin, "/admin/system/update/upload", b"", token)
    assert r.status_code in (400, 411)
    assert update.incoming_path().read_bytes() == b"second"


def test_a_good_bundle_is_written_and_the_page_says_the_box_restarts(admin, box):
    use_english(admin)
    path, image = bundle(box, "1.0.101")
    upload_and_install(admin, path)
    st = wait_status(admin, lambda s: s["state"] == "rebooting")
    assert st["text"] == "The box is restarting on version 1.0.101…"
    assert box["slot_b"].read_bytes() == image            # the real install wrote slot B
    assert "jns_try=B" in box["grubenv"].read_text(errors="replace")
    page = page_text(admin.get("/admin/system/"))
    assert "The box is restarting on version 1.0.101…" in page
    assert re.search(r'id="fw-other">1\.0\.101<', page)


def test_a_bad_signature_is_refused_in_plain_words(admin, box):
    stranger, _ = update.keygen(box["tmp"] / "stranger")
    path, _ = bundle(box, "1.0.102", key=stranger)
    before = box["slot_b"].read_bytes()
    upload_and_install(admin, path)
    st = wait_status(admin, lambda s: s["state"] == "failed" and s["history"])
    # Polish first (the box's default language), then English
    assert st["text"].startswith("Plik aktualizacji został odrzucony (")
    assert "podpis pliku jest nieprawidłowy" in st["text"]
    assert st["level"] == "error"
    use_english(admin)
    st = admin.get("/admin/system/update/status").get_json()
    assert st["text"].startswith("An update file was refused (")
    assert "the bundle's signature is not valid" in st["text"]
    assert box["slot_b"].read_bytes() == before            # nothing written
    page = page_text(admin.get("/admin/system/"))
    assert re.search(r'<tr data-result="refused">.*?refused</td>\s*<td>the bundle\'s '
                     r'signature is not valid', page, re.S)
    assert 'id="last-update" class="alert alert-error"' in page


def test_an_older_version_is_refused_unless_allowed(admin, box):
    use_english(admin)
    path, image = bundle(box, "1.0.99")
    upload_and_install(admin, path)
    st = wait_status(admin, lambda s: s["state"] == "failed" and s["history"])
    assert "version 1.0.99 is older than the running 1.0.100; allow an older version" in st["text"]
    admin.post("/lang", data={"csrf_token": csrf_token(admin, "/"), "lang": "pl"})
    st = admin.get("/admin/system/update/status").get_json()
    assert "wersja 1.0.99 jest starsza niż działająca 1.0.100" in st["text"]
    upload_and_install(admin, path, force=True)           # "allow an older version" ticked
    st = wait_status(admin, lambda s: s["state"] == "rebooting")
    assert box["slot_b"].read_bytes() == image


def test_nothing_is_taken_while_an_install_holds_the_bundle(admin, box):
    """An install in progress (its lock held, as the install process holds it): a new
    upload would overwrite the file it reads, so it is refused; so is a second install."""
    use_english(admin)
    update.update_dir().mkdir(parents=True)
    update.incoming_path().write_bytes(b"being installed")
    update.Reporter()("writing", 0.42, "writing version 1.0.101", version="1.0.101")
    with open(update.update_dir() / "install.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        st = admin.get("/admin/system/update/status").get_json()
        assert st["installing"] and st["watch"] and st["percent"] == 42
        assert st["text"] == "Writing the new firmware to slot B: 42 %"
        token = csrf_token(admin, "/admin/system/")
        r = put(admin, "/admin/system/update/upload", b"other", token)
        assert r.status_code == 409 and "wait until it ends" in r.get_json()["error"]
        r = admin.post("/admin/system/update/install", headers={"X-CSRF-Token": token})
        assert r.status_code == 409 and r.get_json()["error"] == "another update is being installed"
        page = page_text(admin.get("/admin/system/"))
        assert 'id="update-start" disabled' in page and "42 %" in page
    assert update.incoming_path().read_bytes() == b"being installed"
    # the install process died with its lock: the page says it stopped, nothing changed
    st = admin.get("/admin/system/update/status").get_json()
    assert st["state"] == "failed" and "nothing was changed" in st["text"]


def test_a_rollback_is_shown_with_its_reason(admin, box):
    path, _ = bundle(box, "1.0.106")
    update.install(path)                                   # written to B, trial armed
    update.Reporter()("failed", 0.0, "x", gate_failure="jns-web keeps crashing (restarted 5 times)")
    update.update_grubenv(jns_try="", jns_trying="", jns_rolled_back="B")   # as GRUB does
    update.record_boot(box["data"])
    page = page_text(admin.get("/admin/system/"))
    assert 'id="rolled-back"' in page
    assert "jns-web ciągle ulega awarii (uruchomiona ponownie 5 razy)" in page
    assert "Wersja 1.0.106 nie uruchomiła się poprawnie, więc urządzenie samo wróciło do " \
           "wersji 1.0.100" in page
    use_english(admin)
    page = page_text(admin.get("/admin/system/"))
    assert "Version 1.0.106 did not start correctly, so the box went back to version 1.0.100 " \
           "by itself" in page
    assert re.search(r'<tr data-result="rolled_back">.*?rolled back</td>', page, re.S)


# -- backup and restore -----------------------------------------------------------------------

def wait_job(client, location: str, timeout: float = 40.0) -> dict:
    job_id = location.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    while True:
        view = client.get(f"/admin/system/job/{job_id}/status").get_json()
        if view["state"] != "running":
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.1)


def test_backup_download_and_restore_round_trip_through_the_page(admin, db, box, tmp_path):
    use_english(admin)
    token = csrf_token(admin, "/admin/system/")
    prompt = box["data"] / "asterisk" / "prompts" / "pl" / "welcome.wav"
    prompt.parent.mkdir(parents=True)
    prompt.write_bytes(os.urandom(50_000))
    set_setting(db, "marker", "in the backup")
    # refused before anything runs: passphrases differ, too short
    for p1, p2 in (("long enough one", "long enough two"), ("short", "short")):
        r = admin.post("/admin/system/backup", data={"csrf_token": token, "passphrase": p1,
                                                     "passphrase2": p2}, follow_redirects=True)
        assert ("do not match" if p1 != p2 else "at least 8 characters") in page_text(r)
    assert not system.JOBS or all(j.kind != "backup" for j in system.JOBS.values())
    r = admin.post("/admin/system/backup", data={"csrf_token": token, "passphrase": "secret pass 1",
                                                 "passphrase2": "secret pass 1"})
    assert r.status_code == 302 and "/admin/system/job/" in r.location
    view = wait_job(admin, r.location)
    assert view["state"] == "done", view
    assert view["text"].startswith("The backup is ready. Download it now")
    page = page_text(admin.get(r.location))
    assert 'id="job-download"' in page and view["download"] in page
    stored = list((box["data"] / "backups").glob("download-*.jnsbak"))
    assert len(stored) == 1
    got = admin.get(view["download"])
    assert got.status_code == 200
    assert re.search(r'filename=jns-backup-[\w.-]+-\d{8}-\d{6}\.jnsbak',
                     got.headers["Content-Disposition"])
    body = got.get_data()
    got.close()
    assert not stored[0].exists()                          # deleted once downloaded
    assert admin.get(view["download"]).status_code == 404
    downloaded = tmp_path / "downloaded.jnsbak"
    downloaded.write_bytes(body)
    info = backup.read_info(downloaded)                    # what the page gave is a backup
    assert info["hostname"] == backup.hostname() and info["includes_recordings"] is False
    assert info["firmware"] == "1.0.100" and "jns.db" in info["items"]

    # the box changes after the backup
    set_setting(db, "marker", "after the backup")
    prompt.write_bytes(b"changed")
    # restore: upload the file itself, see what it holds, confirm with the passphrase
    r = put(admin, "/admin/system/restore/upload", body, token)
    assert r.status_code == 200 and r.get_json()["next"] == "/admin/system/restore"
    upload = box["data"] / "backups" / "restore-upload.jnsbak"
    assert upload.read_bytes() == body
    page = page_text(admin.get("/admin/system/restore"))
    assert backup.hostname() in page and "1.0.100" in page and "not included" in page
    r = admin.post("/admin/system/restore", data={"csrf_token": token,
                                                  "passphrase": "secret pass 1"})
    assert r.status_code == 400 and "Tick the box to confirm" in page_text(r)
    r = admin.post("/admin/system/restore", data={"csrf_token": token, "confirm": "1",
                                                  "passphrase": "wrong passphrase"})
    view = wait_job(admin, r.location)
    assert view["state"] == "failed"
    assert view["text"] == "The restore failed: wrong passphrase or damaged file"
    check = open_db(box["data"] / "jns.db")
    assert get_setting(check, "marker") == "after the backup"        # nothing changed
    check.conn.close()
    assert prompt.read_bytes() == b"changed" and upload.exists()     # kept for another try
    r = admin.post("/admin/system/restore", data={"csrf_token": token, "confirm": "1",
                                                  "passphrase": "secret pass 1"})
    view = wait_job(admin, r.location)
    assert view["state"] == "done" and view["text"] == "Restored; the box restarts.", view
    check = open_db(box["data"] / "jns.db")
    assert get_setting(check, "marker") == "in the backup"
    check.conn.close()
    assert prompt.read_bytes() != b"changed" and len(prompt.read_bytes()) == 50_000
    assert not upload.exists()


def test_a_backup_not_downloaded_is_deleted_after_a_day(admin, box):
    token = csrf_token(admin, "/admin/system/")
    r = admin.post("/admin/system/backup", data={"csrf_token": token, "passphrase": "secret pass 1",
                                                 "passphrase2": "secret pass 1"})
    assert wait_job(admin, r.location)["state"] == "done"
    made = list((box["data"] / "backups").glob("download-*.jnsbak"))
    assert len(made) == 1
    system.cleanup(time.time() + 3600)
    assert made[0].exists()
    system.cleanup(time.time() + 25 * 3600)
    assert not made[0].exists()
    assert admin.get(r.location).status_code == 404        # the job is forgotten too


def test_a_file_that_is_not_a_backup_is_refused_and_removed(admin, box):
    use_english(admin)
    token = csrf_token(admin, "/admin/system/")
    r = put(admin, "/admin/system/restore/upload", b"GIF89a not a backup", token)
    assert r.status_code == 200
    r = admin.get("/admin/system/restore", follow_redirects=True)
    assert "not a JNS backup file" in page_text(r)
    assert not (box["data"] / "backups" / "restore-upload.jnsbak").exists()


def test_schedule_form_saves_checks_and_keeps_secrets(admin, db, box, tmp_path):
    use_english(admin)
    token = csrf_token(admin, "/admin/system/")
    usb = tmp_path / "usb"
    usb.mkdir()
    form = {"csrf_token": token, "schedule": "daily", "hour": "3", "weekday": "0", "keep": "5",
            "recordings": "", "kind": "usb", "usb_path": str(usb),
            "passphrase": "unattended pass", "passphrase2": "unattended pass"}
    r = admin.post("/admin/system/backup/schedule", data=form)
    assert r.status_code == 302, page_text(r)
    saved = backup.settings(db)
    assert (saved["schedule"], saved["hour"], saved["keep"]) == ("daily", 3, 5)
    assert saved["target"] == {"kind": "usb", "path": str(usb), "password_set": False}
    assert get_setting(db, "backup_passphrase") == "unattended pass"
    page = page_text(admin.get("/admin/system/"))
    assert "unattended pass" not in page and "set; leave empty to keep it" in page
    # refused, with the reason, and nothing changed
    for change, says in (({"kind": "http", "http_url": "ftp://x"},
                          "the URL must start with https://"),
                         ({"hour": "25"}, "the hour must be 0-23"),
                         ({"passphrase2": "other"}, "The passphrases do not match."),
                         ({"usb_path": "media"}, "the USB path must be an absolute folder")):
        r = admin.post("/admin/system/backup/schedule", data={**form, **change})
        assert r.status_code == 400 and says in page_text(r), change
        assert backup.settings(db)["target"]["kind"] == "usb"
        assert 'value="unattended pass"' not in page_text(r)
    admin.post("/lang", data={"csrf_token": token, "lang": "pl"})
    r = admin.post("/admin/system/backup/schedule", data={**form, "hour": "25"})
    assert "godzina musi być z zakresu 0–23" in page_text(r)
    # an HTTP target's password is never shown and survives a save without it
    http = {**form, "kind": "http", "http_url": "https://backup.example/jns",
            "http_username": "box", "http_password": "target secret", "passphrase": "",
            "passphrase2": ""}
    assert admin.post("/admin/system/backup/schedule", data=http).status_code == 302
    assert admin.post("/admin/system/backup/schedule",
                      data={**http, "http_password": ""}).status_code == 302
    assert json.loads(get_setting(db, "backup_target"))["password"] == "target secret"
    assert get_setting(db, "backup_passphrase") == "unattended pass"
    assert "target secret" not in page_text(admin.get("/admin/system/"))


def test_send_now_makes_a_backup_at_the_target_and_shows_the_result(admin, db, box, tmp_path):
    use_english(admin)
    token = csrf_token(admin, "/admin/system/")
    usb = tmp_path / "usb"
    usb.mkdir()
    r = admin.post("/admin/system/backup/schedule", data={
        "csrf_token": token, "schedule": "weekly", "hour": "1", "weekday": "6", "keep": "2",
        "kind": "usb", "usb_path": str(usb), "passphrase": "unattended pass",
        "passphrase2": "unattended pass"})
    assert r.status_code == 302
    r = admin.post("/admin/system/backup/send", data={"csrf_token": token})
    view = wait_job(admin, r.location)
    assert view["state"] == "done", view
    made = list(usb.glob("jns-backup-*.jnsbak"))
    assert len(made) == 1 and view["text"].startswith(f"Sent: {made[0].name} (")
    assert backup.read_info(made[0])["hostname"] == backup.hostname()
    assert "Last scheduled backup:" in page_text(admin.get("/admin/system/"))
    # a target that is gone: the job says why, the page shows the failed result
    usb.rename(tmp_path / "unplugged")
    r = admin.post("/admin/system/backup/send", data={"csrf_token": token})
    view = wait_job(admin, r.location)
    assert view["state"] == "failed" and "is the disk plugged in and mounted?" in view["text"]
    page = page_text(admin.get("/admin/system/"))
    assert "The last scheduled backup failed" in page


# -- factory reset ----------------------------------------------------------------------------

def test_factory_reset_needs_the_box_name_and_the_admins_password(admin, box):
    use_english(admin)
    token = csrf_token(admin, "/admin/system/")
    name = system.hostname()
    for confirm, password, says in (("", PW, "Type the box's name"),
                                    (name + "x", PW, "Type the box's name"),
                                    (name, "wrong password!", "Your password is wrong.")):
        r = admin.post("/admin/system/reset", data={"csrf_token": token, "confirm": confirm,
                                                   "password": password})
        assert r.status_code == 400 and says in page_text(r), confirm
        assert not box["flag"].exists()
    r = admin.post("/admin/system/reset", data={"csrf_token": token, "confirm": f" {name} ",
                                               "password": PW})
    assert r.status_code == 200
    assert f"The box {name} erases its data and restarts." in page_text(r)
    assert reset.flag_path() == box["flag"]
    assert box["flag"].read_text().endswith("requested in the web panel by admin\n")
    assert system.can_reboot() is False                   # JNS_NO_REBOOT: we are still here
    # not on a box (no JNS_NO_REBOOT, no firmware release file): refused, nothing reboots
    box["flag"].unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("JNS_NO_REBOOT")
        mp.setenv("JNS_RELEASE_FILE", str(box["tmp"] / "no-such-release"))
        assert system.can_reboot() is False
        r = admin.post("/admin/system/reset", data={"csrf_token": token, "confirm": name,
                                                   "password": PW})
    assert r.status_code == 400 and "does not run on a box" in page_text(r)
    assert not box["flag"].exists()
    # guessing the password is throttled like logins: then even the right one is not checked
    for _ in range(users.FREE_FAILURES):
        admin.post("/admin/system/reset", data={"csrf_token": token, "confirm": name,
                                               "password": "wrong password!"})
    r = admin.post("/admin/system/reset", data={"csrf_token": token, "confirm": name,
                                               "password": PW})
    assert r.status_code == 400 and "Too many wrong passwords" in page_text(r)
    assert not box["flag"].exists()


# -- texts ------------------------------------------------------------------------------------

def test_every_text_of_the_page_has_polish():
    ids = set(system.STATE_TEXT.values()) | set(system.RESULT_TEXT.values())
    ids |= set(system.SCHEDULES.values()) | set(system.TARGET_KINDS.values())
    ids |= {f"update_result:{r}" for r in system.RESULT_TEXT}
    ids |= {system.NOT_RAW, system.NO_SPACE, system.BACKUP_READY}
    ids |= {text for texts in system.JOB_TEXT.values() for text in texts}
    ids |= set(system.JOB_TITLE.values()) | set(system.WEEKDAYS)
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, missing


def test_every_refusal_of_update_py_reads_in_polish():
    """Each fixed UpdateError text of update.py is in the catalogue, each one with a
    variable part matches a pattern: the lead's new messages show up here."""
    tree = ast.parse((ROOT / "appliance" / "lifecycle" / "update.py").read_text())
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "UpdateError":
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                texts.append(arg.value)
            elif isinstance(arg, ast.JoinedStr):   # f-string: fill its holes with a sample
                texts.append("".join(
                    v.value if isinstance(v, ast.Constant)
                    else "'x'" if v.conversion == ord("r") else "1" for v in arg.values))
    assert len(texts) > 10
    from appliance.webui.i18n_system import REASON_PATTERNS
    missing = [t for t in texts if t not in CATALOG
               and not any(p.fullmatch(t) for p, _pl in REASON_PATTERNS)
               and not t.startswith(("could not download", "give an http", "the database has"))
               and "signing key" not in t]    # the build host's, not the box's
    assert not missing, missing


# -- in a real browser ------------------------------------------------------------------------

def gunicorn(port: int, log_path: Path):
    """The real panel on a given port, so it can be stopped and started again there, as the
    box restarts."""
    return gunicorn_panel({}, log_path, port=port)


@pytest.mark.browser
def test_browser_upload_progress_install_and_the_box_coming_back(box, page,  # noqa: F811
                                                                 monkeypatch):
    """Headless Chromium, uploads throttled to 1 MB/s (DevTools): the upload bar moves, the
    real install runs, the page says the box restarts on the new version; the panel goes
    away and comes back on the same address, and the page reloads by itself."""
    from playwright.sync_api import expect
    db_path = box["data"] / "jns.db"
    monkeypatch.setenv("JNS_DB", str(db_path))
    db = open_db(db_path)
    users.create_user(db, "admin", PW, "admin", lang="en")
    db.conn.close()
    path, image = bundle(box, "1.0.101", size=3 << 20)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = box["tmp"] / "gunicorn.log"
    with gunicorn(port, log) as first:
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", PW)
        page.click("button.primary")
        page.goto(url + "/admin/system/")
        expect(page.locator("#fw-version")).to_have_text("1.0.100")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": 1_000_000})
        page.set_input_files("#bundle", str(path))
        page.click("#update-start")
        seen = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen.add(page.eval_on_selector("#update-upload", "e => e.hidden ? -1 : e.value"))
            if "Checking" in page.inner_text("#update-phase") or \
                    "restarting" in page.inner_text("#update-phase"):
                break
            time.sleep(0.1)
        moving = sorted(v for v in seen if 0 < v < 100)
        assert len(moving) >= 2, f"the upload bar did not move: {sorted(seen)}"
        expect(page.locator("#update-phase")).to_have_text(
            "The box is restarting on version 1.0.101…", timeout=40_000)
        assert box["slot_b"].read_bytes() == image
        assert not page.console_errors, page.console_errors
        page.evaluate("window.beforeRestart = true")
        first.terminate()                       # the box goes down...
        first.wait(10)
        time.sleep(3)
        expect(page.locator("#update-phase")).to_have_text(
            "The box is restarting on version 1.0.101…")
        assert page.evaluate("window.beforeRestart === true")    # still waiting, no reload
        with gunicorn(port, log):               # ...and comes back: the page reloads itself
            deadline = time.monotonic() + 30        # (wait_for_function needs eval: CSP)
            while True:
                with contextlib.suppress(Exception):     # "context destroyed" mid-reload
                    if page.evaluate("window.beforeRestart !== true"):
                        break
                assert time.monotonic() < deadline, "the page did not reload"
                time.sleep(0.2)
            expect(page.locator("h1")).to_have_text("System")
            expect(page.locator("#fw-other")).to_have_text("1.0.101")
