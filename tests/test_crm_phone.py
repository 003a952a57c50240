"""The CRM on the phone, end to end: real Asterisk 22, real SIPp phones and carrier, the
real panel (gunicorn) in headless Chromium, jns-calld and jns-reports' loop (which runs the
CRM's round).

One box, in order, as an agent's shift goes:
  1. a customer calls: the agent's desk pops the customer's card (found by the number in
     another format), the agent picks a note template, writes the note and saves it during
     the call; when the call has ended the note carries the call's recording, which plays
     on the contact's card;
  2. the agent clicks "Call" on the customer's number on the card: Asterisk rings the
     agent's phone, then the customer through the trunk; the call lands on the timeline;
  3. another customer calls while their owner agent is not logged in, and hangs up: the
     owner finds the task "Missed call from ..." on their task list, saying why.
"""
from __future__ import annotations

import re
import subprocess
import threading
import time

import pytest

from appliance.crm import contacts
from appliance.devbox import free_port
from appliance.store import config, users
from tests.conftest import require_sipp
from tests.test_webui import ADMIN_PW
from tests.test_webui_browser import page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.asterisk, pytest.mark.browser]

JAN = "48600100200"         # how the carrier sends the caller's number (SIPp's default)
EWA = "48600100300"


def until(predicate, timeout: float = 60, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", ADMIN_PW)
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/(?!login).*"))


def test_screen_pop_note_with_recording_click_to_dial_and_missed_call_task(
        devbox, sipp, agent_port, page, tmp_path):
    from playwright.sync_api import expect

    from tests.test_webui_browser import running_panel
    db = devbox.db
    trunk_port = free_port()
    config.add_trunk(db, "carrier", "127.0.0.1", port=trunk_port)
    # Bob logs in at the desk to queue "salesq" (DID 300); tonight he is not logged in
    config.add_agent(db, "105", "Bob Desk", login=True)
    config.save_queue(db, "salesq", "Sales", members=["105"])
    config.save_route(db, "300", "queue", "salesq")
    until(lambda: devbox.applier.in_sync(db), 30, 0.2)
    users.create_user(db, "admin", ADMIN_PW, "admin")
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en", agent="101")
    users.create_user(db, "bob", ADMIN_PW, "agent", lang="en", agent="105")
    anna = db.execute("SELECT id FROM users WHERE username = 'anna'").fetchone()[0]
    bob = db.execute("SELECT id FROM users WHERE username = 'bob'").fetchone()[0]
    jan = contacts.create_contact(db, {"name": "Jan Kowalski", "owner_id": anna,
                                       "phones": [("mobile", "600 100 200")],
                                       "tags": ["VIP"]}, user="admin")
    ewa = contacts.create_contact(db, {"name": "Ewa Nowak", "owner_id": bob,
                                       "phones": [("work", "+48 600 100 300")]}, user="admin")
    calld = devbox.start_calld()
    reports = devbox.start_reports(interval=1.0)
    try:
        with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as url:
            # -- 1. the screen pop and the note that carries the recording --------------------
            log_in(page, url, "anna")
            page.goto(url + "/agent/")
            sipp.agent(agent_port, talk_ms=9000)
            results: list = []
            caller = threading.Thread(target=lambda: results.append(
                sipp.call(devbox.layout.sip_port, did="100", digit="1", caller=JAN,
                          timeout_s=90)), daemon=True)
            caller.start()
            expect(page.locator("#my-calls .caller")).to_have_text(JAN, timeout=30_000)
            pop = page.locator("#crm-pops .crm-pop").first
            expect(pop.locator(".crm-pop-name")).to_have_text("Jan Kowalski", timeout=15_000)
            expect(pop.locator(".crm-pop-owner")).to_have_text("anna")
            expect(pop.locator(".crm-pop-tags")).to_have_text("VIP")
            pop.locator(".crm-pop-template").select_option(label="Rozmowa")
            body = pop.locator(".crm-pop-body")
            expect(body).to_have_value(re.compile(r"^Temat:"))
            body.fill(body.input_value().replace("Temat:", "Temat: oferta B2"))
            pop.locator(".crm-pop-note button.primary").click()
            expect(pop.locator(".crm-pop-status")).to_contain_text("Note saved.")
            caller.join(90)
            assert results and results[0].returncode == 0, results
            # the call is over: the pop stays for the agent, the call card is gone
            expect(page.locator("#my-calls .call-card")).to_have_count(0, timeout=30_000)
            expect(pop.locator(".crm-pop-name")).to_have_text("Jan Kowalski")
            # jns-reports reads the call, the CRM's round attaches its recording to the note
            note = until(lambda: db.execute(
                "SELECT n.body, n.call_id, n.agent, r.path, r.uniqueid FROM crm_notes n "
                "JOIN recordings r ON r.id = n.recording_id WHERE n.contact_id = ?",
                [jan]).fetchone(), 60)
            assert note, list(db.query("SELECT * FROM crm_notes"))
            assert note[0].startswith("Temat: oferta B2") and note[2] == "101"
            assert note[4] == note[1]           # the very call the desk showed
            page.goto(url + f"/crm/{jan}")
            item = page.locator(".timeline .tl-note").first
            expect(item.locator(".note-body")).to_contain_text("Temat: oferta B2")
            src = item.locator("audio").get_attribute("src")
            audio = page.request.get(url + src)
            assert audio.status == 200 and audio.body()[:4] == b"RIFF", audio.status
            # the call itself on the timeline: answered by 101
            call = page.locator(".timeline .tl-call").first
            expect(call).to_contain_text("Incoming call")
            expect(call).to_contain_text("101")

            # -- 2. click to dial from the card ------------------------------------------------
            phone = sipp.agent(agent_port, talk_ms=4000)
            carrier = sipp.agent(trunk_port, talk_ms=2000)
            time.sleep(0.3)
            page.locator("#phones .call-button").first.click()
            expect(page.locator(".alert-ok")).to_contain_text("Your phone rings")
            carrier.wait(timeout=60)
            phone.wait(timeout=60)
            assert carrier.returncode == 0, carrier.stderr.read()
            out = until(lambda: db.execute(
                "SELECT number, answered, agent FROM crm_calls WHERE contact_id = ? "
                "AND direction = 'out'", [jan]).fetchone(), 60)
            assert out and out[0] == "+48600100200" and out[1] == 1 and out[2] == "101", out
            page.reload()
            expect(page.locator(".timeline .tl-call", has_text="Outgoing call")).to_have_count(1)

            # -- 3. a missed call becomes the owner's task -------------------------------------
            hang_up = subprocess.run(
                [require_sipp(), f"127.0.0.1:{devbox.layout.sip_port}", "-sf", "caller_hangup.xml",
                 "-s", "300", "-key", "caller", EWA, "-d", "3000", "-i", "127.0.0.1",
                 "-p", str(free_port()), "-mp", str(free_port()), "-m", "1", "-nostdin",
                 "-timeout", "30s"], cwd=sipp.dir, capture_output=True, text=True, timeout=60)
            task = until(lambda: db.execute(
                "SELECT title, details, assignee_id FROM crm_tasks WHERE contact_id = ? "
                "AND source = 'missed_call'", [ewa]).fetchone(), 60)
            assert task, (hang_up.stdout[-500:], list(db.query(
                "SELECT * FROM report_calls WHERE caller = ?", [EWA])))
            assert task[2] == bob and "not logged in to the queues" in task[1]
            desk = page.context.browser.new_context(locale="en-GB").new_page()
            log_in(desk, url, "bob")
            desk.goto(url + "/crm/tasks/")
            row = desk.locator("body", has_text=f"Missed call from {EWA}")
            expect(row).to_have_count(1)
            expect(desk.get_by_text("Ewa Nowak").first).to_be_visible()
            assert page.console_errors == []
    finally:
        reports.stop()
        calld.stop()
