"""The inbound call flow built in a real headless Chromium, then called for real.

The panel is the real gunicorn (appliance.webui.wsgi) on the database and Asterisk folder
of the `devbox` fixture (real Asterisk 22, FastAGI IVR).  In the browser the admin makes a
prompt by speech synthesis, builds a sub-menu "sales" that plays it, points key 2 of menu
"main" at it and sees it in the call-flow tree.  Then a SIPp caller dials 100 and presses
2: Asterisk's CDR shows the call went main -> key 2 -> sales -> (no key) -> queue support,
where agent 101 (a SIPp phone) answers.  The recording of that call appears on the
recordings page and plays in the browser.  Screenshots go to build/screens/.
Like tests/test_webui_browser.py it never downloads a browser and fails without one.
"""
from __future__ import annotations

import time

import pytest

from appliance.store.db import open_db
from tests.test_skeleton_call import cdr_rows, wait_for
from tests.test_webui_browser import PASSWORD, ROOT, page, server  # noqa: F401 (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # the `page` fixture reports it
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
SCREENS = ROOT / "build" / "screens"
TALK_MS = 3000


def test_admin_builds_a_sub_menu_and_a_call_goes_through_it(server, page, devbox,  # noqa: F811
                                                             sipp, agent_port):
    # first start, then straight to the IVR page
    page.goto(server + "/admin/menus/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button.primary")
    page.goto(server + "/admin/menus/")
    expect(page.locator("h1")).to_have_text("Menu IVR")
    expect(page.locator("#call-flow")).to_contain_text("Numer 100")

    # a prompt of our own, spoken by speech synthesis
    page.click(".subnav >> text=Komunikaty")
    page.fill("#speak-name", "sales-hello")
    page.select_option("#speak-lang", "pl")
    page.fill("#text", "Dział sprzedaży.")
    page.click("#speak-form button.primary")
    expect(page.locator(".alert-ok")).to_contain_text("Zapisano komunikat sales-hello (pl)")
    expect(page.locator("#prompt-list audio")).to_have_count(1)

    # the sub-menu: its own prompt, one short try, then the support queue
    page.click(".subnav >> text=Menu IVR")
    page.click("text=Nowe menu")
    page.fill("#name", "sales")
    page.fill("#title", "Sprzedaż")
    page.select_option("#prompt", "sales-hello")
    page.fill("#timeout_s", "1")
    page.fill("#max_tries", "1")
    page.select_option("#key_1_action", "queue")
    page.fill("#key_1_target", "support")
    page.select_option("#fallback_action", "queue")
    page.fill("#fallback_target", "support")
    page.click("#menu-form button.primary")
    expect(page.locator(".alert-ok")).to_have_text("Zapisano menu sales.")

    # a wrong target is refused with the store's reason and the input kept
    page.goto(server + "/admin/menus/main/edit")
    page.select_option("#key_2_action", "menu")
    page.fill("#key_2_target", "sale")
    page.click("#menu-form button.primary")
    expect(page.locator(".alert-error")).to_contain_text("there is no IVR menu named 'sale'")
    expect(page.locator("#key_2_target")).to_have_value("sale")

    # key 2 of main -> sales
    page.fill("#key_2_target", "sales")
    page.click("#menu-form button.primary")
    expect(page.locator(".alert-ok")).to_have_text("Zapisano menu main.")
    page.click(".subnav >> text=Menu IVR")
    key2 = page.locator("#call-flow li[data-key='2']").first
    expect(key2).to_contain_text("menu sales")
    expect(key2.locator(".menu-link")).to_contain_text("sales — Sprzedaż")
    expect(key2).to_contain_text("sales-hello")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "ivr-tree.png"), full_page=True)

    # a real call: 100, key 2, no key in "sales" -> its fallback, queue support -> agent 101
    agent = sipp.agent(agent_port, talk_ms=TALK_MS)
    time.sleep(0.3)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="2")
    assert result.returncode == 0, \
        f"caller's call failed:\n{result.stdout[-2000:]}\n{result.stderr}"
    agent.wait(timeout=30)
    assert agent.returncode == 0, f"agent phone did not answer: {agent.stderr.read()}"
    rows = wait_for(lambda: [r for r in cdr_rows(devbox) if "ivr=" in ",".join(r)])
    assert any("ivr=main:2/sales:-/" in ",".join(r) for r in rows), rows

    # the call's recording, listed and playable in the browser
    db = open_db(devbox.db_path)
    rec = wait_for(lambda: list(db.query("SELECT * FROM recordings")), timeout=15)
    assert rec, "the call was not indexed as a recording"
    page.click("nav >> text=Nagrania")
    row = page.locator(f"#recordings tr[data-id='{rec[0]['id']}']")
    expect(row).to_contain_text("48600100200")
    expect(row).to_contain_text("support")
    audio = row.locator("audio")
    audio.evaluate("a => a.play().catch(() => null)")  # headless: no sound device needed to load
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 1", arg=audio.element_handle(),
                           timeout=15_000)
    audit = "SELECT username, action FROM recording_audit"
    assert set(db.execute(audit).fetchall()) == {("admin", "play")}
    with page.expect_download() as download:
        row.locator("a[download]").click()
    path = download.value.path()
    assert path and open(path, "rb").read(4) == b"RIFF"
    assert ("admin", "download") in db.execute(audit).fetchall()
    page.screenshot(path=str(SCREENS / "recordings.png"), full_page=True)
    # the only failed load is the refused save above (answered 400 on purpose)
    assert [e for e in page.console_errors if "400 (BAD REQUEST)" not in e] == []
    assert len(page.console_errors) == 1, page.console_errors
