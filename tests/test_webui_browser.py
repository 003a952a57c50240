"""The panel in a real headless Chromium (Playwright), served by a real gunicorn.

Needs /usr/bin/chromium (Debian package `chromium`) and the `playwright` Python package;
it never downloads a browser.  Without them the test FAILS: a skipped browser test
would hide a broken panel.  The app is served from a tmp database with a status
real Asterisk 22 of the devbox fixture behind it, read over AMI.  A screenshot
of the dashboard goes to build/screens/dashboard.png for a human to look at.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from appliance.devbox import free_port

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # reported as a failure in the fixture below
    sync_playwright = None
    PLAYWRIGHT_ERROR = str(exc)

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "build" / "screens" / "dashboard.png"
PASSWORD = "browser-test-password"

@contextlib.contextmanager
def gunicorn_panel(env: dict, log_path: Path, port: int | None = None):
    """The real panel (gunicorn, appliance.webui.wsgi) on 127.0.0.1:`port` (a free one if
    None); yields the process (its base URL in `.url`) once it serves its stylesheet, and
    stops it afterwards.  The log is appended to, so a panel restarted on the same port
    keeps one log."""
    port = port or free_port()
    log = open(log_path, "a+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "4", "--chdir", str(ROOT), "appliance.webui.wsgi:app"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    proc.url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(proc.url + "/static/panel.css", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"gunicorn did not start (exit {proc.poll()}):\n{log.read()}")
                time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def running_panel(env: dict, log_path: Path):
    """The real panel on a free port; yields its base URL."""
    with gunicorn_panel(env, log_path) as proc:
        yield proc.url


@contextlib.contextmanager
def signed_in_panel(page, app, calld, log_path: Path, username: str, password: str):
    """The real panel (gunicorn) on the test app's database and the test's jns-calld, with
    `username` signed in on `page`; yields the base URL."""
    env = {"JNS_DB": app.extensions["jns_db"].path,
           "JNS_CALLD_URL": f"http://127.0.0.1:{calld.port}",
           "JNS_CALLD_SECRET": app.config["LIVE_CLIENT"].secret}
    with running_panel(env, log_path) as url:
        page.goto(url + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button.primary")
        yield url


@pytest.fixture
def server(tmp_path, devbox):
    """Base URL of the real panel wired to the real Asterisk of `devbox` over AMI, exactly
    as `make run` wires it."""
    with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as url:
        yield url


@pytest.fixture
def page():
    if sync_playwright is None:
        pytest.fail(f"the playwright package is missing ({PLAYWRIGHT_ERROR}); "
                    "install it with .venv/bin/pip install playwright (no 'playwright install')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 860})
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        try:
            yield pg
        finally:
            browser.close()


def test_first_start_login_logout_language(server, page, devbox, sipp):
    # first start: any URL lands on the setup form
    response = page.goto(server + "/admin/")
    assert page.url == server + "/setup"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("h1")).to_have_text("Pierwsze uruchomienie")

    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button.primary")

    # the new admin is logged in and sees the dashboard, read live from Asterisk over AMI
    assert page.url == server + "/"
    expect(page.locator("h1")).to_have_text("Pulpit")
    expect(page.locator(".stats")).to_contain_text("22.10.")
    expect(page.locator(".stats")).to_contain_text("Połączenia aktywne")
    expect(page.locator("table")).to_contain_text("support")
    expect(page.locator("nav")).to_contain_text("Konfiguracja")

    # a caller waiting in the IVR shows up as an active call
    caller = subprocess.Popen(
        ["sipp", f"127.0.0.1:{devbox.layout.sip_port}", "-sf", "caller.xml", "-s", "100",
         "-key", "caller", "48600100200", "-key", "digit", "1", "-d", "20000", "-i", "127.0.0.1",
         "-p", str(free_port()), "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "40s"],
        cwd=sipp.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            page.reload()
            calls = page.locator(".stat", has_text="Połączenia aktywne").locator(".value").inner_text()
            if calls == "1":
                break
            time.sleep(0.5)
        assert calls == "1", f"active calls shown: {calls}"
        status = page.request.get(server + "/api/status").json()
        assert status["active_calls"] == 1 and status["version"].startswith("22.")
    finally:
        caller.kill()
        caller.wait()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # log out, then log in again
    page.click("text=Wyloguj się")
    assert page.url == server + "/login"
    expect(page.locator(".alert-info")).to_have_text("Wylogowano.")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    assert page.url == server + "/"
    expect(page.locator("h1")).to_have_text("Pulpit")

    # English and back, staying on the page
    page.click("button[value=en]")
    assert page.url == server + "/"
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator(".stats")).to_contain_text("Active calls")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(server + "/admin/")
    expect(page.locator("h1")).to_have_text("Configuration")
    page.click("button[value=pl]")
    assert page.url == server + "/admin/"
    expect(page.locator("h1")).to_have_text("Konfiguracja")

    # the stylesheet was applied (CSP allows 'self') and nothing was blocked
    assert page.eval_on_selector(".topbar", "e => getComputedStyle(e).display") == "flex"
    assert page.console_errors == []
