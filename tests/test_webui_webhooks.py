"""The webhook pages (/admin/webhooks/): admin only, CSRF on every form, add (the secret
shown once), edit, refusals that keep what was typed and write nothing, "Send a test event"
reaching a real receiver through the sender jns-calld runs, the delivery log with
"Retry now", a new secret, delete."""
from __future__ import annotations

import contextlib
import re
import time

import pytest

from appliance.devbox import free_port
from appliance.telephony import webhooks as wh
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text
from tests.test_webhooks import Receiver, verify

BASE = "/admin/webhooks"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    app.config["DB_PATH"] = str(tmp_path / "box.db")
    return app


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def add(admin, url, **extra):
    data = {"csrf_token": csrf_token(admin, BASE + "/"), "url": url, "description": "CRM",
            "kind_call": "1", "kind_agent": "1", "active": "1", **extra}
    return admin.post(BASE + "/", data=data)


def secret_on(page) -> str:
    return re.search(r'id="secret" readonly value="([^"]+)"', page).group(1)


def test_supervisors_and_agents_get_403_and_forms_need_the_csrf_token(app, db, admin, sup):
    wid, _ = wh.add_webhook(db, "http://10.0.0.5/hook", ["call"])
    agent = client_for(app, db, "agent")
    for client in (sup, agent):
        assert client.get(BASE + "/").status_code == 403
        assert client.get(f"{BASE}/{wid}/").status_code == 403
        token = csrf_token(client)
        for path in ("/", f"/{wid}/delete", f"/{wid}/test", f"/{wid}/secret"):
            assert client.post(BASE + path, data={"csrf_token": token,
                                                  "url": "http://10.0.0.6/"}).status_code == 403
    for path in ("/", f"/{wid}/", f"/{wid}/delete", f"/{wid}/test", f"/{wid}/secret"):
        r = admin.post(BASE + path, data={"url": "http://10.0.0.6/", "kind_call": "1"})
        assert r.status_code == 400
    assert [h["url"] for h in wh.webhooks(db)] == ["http://10.0.0.5/hook"]
    assert wh.deliveries(db, wid) == []
    assert "Webhooki" in text(admin.get("/admin/"))   # in the Configuration menu, in Polish


def test_add_shows_the_secret_once_and_edit_keeps_it(app, db, admin):
    r = add(admin, "http://192.168.1.20:8080/jns")
    page = text(r)
    assert r.status_code == 200 and "nie zostanie pokazany ponownie" in page
    secret = secret_on(page)
    hook, = wh.webhooks(db)
    assert wh.webhook(db, hook["id"])["secret"] == secret
    assert hook["events"] == ["call", "agent"] and hook["description"] == "CRM"
    # the list and the webhook's page never show it again
    assert secret not in text(admin.get(BASE + "/"))
    page = text(admin.get(f"{BASE}/{hook['id']}/"))
    assert secret not in page and "http://192.168.1.20:8080/jns" in page
    r = admin.post(f"{BASE}/{hook['id']}/", data={
        "csrf_token": csrf_token(admin, BASE + "/"), "url": "https://crm.office.lan/in",
        "description": "new CRM", "kind_campaign": "1"})
    assert r.status_code == 302
    saved = wh.webhook(db, hook["id"])
    assert (saved["url"], saved["events"], saved["active"], saved["secret"]) == \
        ("https://crm.office.lan/in", ["campaign"], 0, secret)
    assert "Zapisano webhook." in text(admin.get(f"{BASE}/{hook['id']}/"))


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "Dozwolone są tylko adresy http:// i https://."),
    ("http://admin:pw@10.0.0.5/", "Nie wpisuj w adres nazwy użytkownika ani hasła"),
    ("http://169.254.169.254/latest", "Ten adres IP nie może odbierać webhooków"),
    ("http://10.0.0.5:70000/", "Adres ma nieprawidłowy port."),
])
def test_a_refused_address_keeps_the_form_and_writes_nothing(db, admin, url, message):
    r = add(admin, url, description="kept text")
    page = text(r)
    assert r.status_code == 400 and message in page
    assert 'value="kept text"' in page and f'value="{url}"' in page
    assert wh.webhooks(db) == []
    r = add(admin, "http://10.0.0.5/", kind_call="", kind_agent="")
    assert r.status_code == 400 and "Wybierz co najmniej jeden rodzaj zdarzeń." in text(r)
    assert wh.webhooks(db) == []


def test_a_test_event_reaches_the_receiver_and_the_log_shows_it(app, db, admin, receiver):
    secret = secret_on(text(add(admin, receiver.url)))
    wid = wh.webhooks(db)[0]["id"]
    r = admin.post(f"{BASE}/{wid}/test", data={"csrf_token": csrf_token(admin, BASE + "/")})
    assert r.status_code == 302
    page = text(admin.get(f"{BASE}/{wid}/"))
    assert "webhook.test" in page and "oczekuje" in page
    sender = wh.Sender(app.config["DB_PATH"])   # what jns-calld's sender thread does
    try:
        assert sender.run_once() == 1
    finally:
        sender.close()
    (headers, body), = receiver.got
    assert headers["X-JNS-Event"] == "webhook.test" and verify(secret, headers, body)
    page = text(admin.get(f"{BASE}/{wid}/"))
    row = re.search(r'<tr id="delivery-\d+" class="status-delivered">(.*?)</tr>', page, re.S)
    assert row and "dostarczone" in row.group(1) and ">200<" in row.group(1)
    assert "Ponów teraz" not in row.group(1)
    listing = text(admin.get(BASE + "/"))
    assert re.search(rf'<tr id="webhook-{wid}">.*?<td class="num">1</td>', listing, re.S)


def test_a_failed_delivery_shows_its_error_and_retry_now_sends_it(app, db, admin):
    wid, secret = wh.add_webhook(db, f"http://127.0.0.1:{free_port()}/down", ["call"])
    wh.enqueue(db, [("call.ended", {"call": "17.1"})])
    sender = wh.Sender(app.config["DB_PATH"], backoff=())   # one attempt, then failed
    try:
        sender.run_once()
        page = text(admin.get(f"{BASE}/{wid}/"))
        row = re.search(r'<tr id="delivery-(\d+)" class="status-failed">(.*?)</tr>', page, re.S)
        assert row and "nieudane" in row.group(2) and "Connection" in row.group(2)
        receiver = Receiver()
        try:
            admin.post(f"{BASE}/{wid}/", data={"csrf_token": csrf_token(admin, BASE + "/"),
                                               "url": receiver.url, "kind_call": "1",
                                               "active": "1"})
            r = admin.post(f"{BASE}/{wid}/deliveries/{row.group(1)}/retry",
                           data={"csrf_token": csrf_token(admin, BASE + "/")})
            assert r.status_code == 302
            assert "Doręczenie jest wysyłane ponownie." in text(admin.get(f"{BASE}/{wid}/"))
            assert sender.run_once() == 1
            assert receiver.events() == ["call.ended"]
            assert verify(secret, *receiver.got[0])
        finally:
            receiver.close()
    finally:
        sender.close()
    assert "status-delivered" in text(admin.get(f"{BASE}/{wid}/"))


def test_a_new_secret_replaces_the_old_and_delete_removes_the_log(db, admin):
    wid, old = wh.add_webhook(db, "http://10.0.0.5/", ["agent"])
    wh.send_test(db, wid)
    r = admin.post(f"{BASE}/{wid}/secret", data={"csrf_token": csrf_token(admin, BASE + "/")})
    new = secret_on(text(r))
    assert new != old and wh.webhook(db, wid)["secret"] == new
    r = admin.post(f"{BASE}/{wid}/delete", data={"csrf_token": csrf_token(admin, BASE + "/")})
    assert r.status_code == 302 and "Usunięto webhook." in text(admin.get(BASE + "/"))
    assert wh.webhooks(db) == [] and wh.deliveries(db, wid) == []
    assert admin.get(f"{BASE}/{wid}/").status_code == 404


# -- in a real headless Chromium, with the panel (gunicorn) and jns-calld on a real box --------

@pytest.mark.browser
@pytest.mark.asterisk
def test_in_the_browser_a_test_event_goes_through_calld_to_the_receiver(tmp_path, devbox,
                                                                        receiver):
    from playwright.sync_api import expect
    from tests.test_webui_browser import PASSWORD, ROOT, page as page_fixture, running_panel
    calld = devbox.start_calld()
    hooks = wh.WebhookService(calld, devbox.db_path).start()   # as jns-calld runs it
    try:
        with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as server, \
                contextlib.contextmanager(page_fixture.__wrapped__)() as page:
            page.goto(server + BASE + "/")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            page.fill("#password2", PASSWORD)
            page.click("button.primary")
            page.goto(server + BASE + "/")
            expect(page.locator("h1")).to_have_text("Webhooki")
            expect(page.locator("#no-webhooks")).to_be_visible()
            # a hostile address is refused with the reason, the typed text kept
            page.fill("#url", "file:///etc/passwd")
            page.fill("#description", "CRM biura")
            page.click("#add-webhook")
            expect(page.locator("#webhook-error")).to_contain_text("Dozwolone są tylko adresy")
            expect(page.locator("#description")).to_have_value("CRM biura")
            page.console_errors.clear()   # the refused form answered 400, as it should
            page.fill("#url", receiver.url)
            page.uncheck("#kind-agent")
            page.click("#add-webhook")
            expect(page.locator("h1")).to_have_text("Dodano webhook")
            secret = page.input_value("#secret")
            page.click("text=Powrót do webhooka")
            page.click("#send-test")
            expect(page.locator(".alert-ok")).to_contain_text("Zdarzenie testowe czeka")
            receiver.wait_for(lambda r: r.events() == ["webhook.test"], timeout=20)
            headers, body = receiver.got[0]
            assert verify(secret, headers, body)
            # the sender records the answer right after the receiver has it
            db = devbox.db
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and db.execute(
                    "SELECT status FROM webhook_deliveries").fetchone()[0] != "delivered":
                time.sleep(0.1)
            page.reload()
            row = page.locator("#deliveries tbody tr").first
            expect(row.locator(".status")).to_have_text("dostarczone")
            expect(row).to_contain_text("200")
            (ROOT / "build" / "screens").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ROOT / "build" / "screens" / "webhooks.png"), full_page=True)
            page.goto(server + BASE + "/")
            expect(page.locator("#webhooks")).to_contain_text("CRM biura")
            assert page.console_errors == []
    finally:
        hooks.stop()
        calld.stop()
