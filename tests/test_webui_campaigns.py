"""The campaign pages of the panel (/campaigns/): roles and CSRF, the form (a refusal keeps
what was typed), start / pause / stop, the live progress JSON, the report page and its
files; one headless-Chromium test creates a campaign through the form, starts it and
watches its progress page refresh itself."""
from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest

from appliance.campaigns import campaigns as store
from appliance.store import config
from appliance.store.config import seed_demo
from appliance.store.db import set_setting
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

FORM = {"name": "spring", "title": "Spring offer", "queue": "support", "mode": "predictive",
        "start_date": "", "end_date": "", "window_start": "09:00", "window_end": "20:00",
        "weekdays": ["1", "2", "3", "4", "5"], "caller_id": "+48221002030", "ring_s": "25",
        "max_attempts": "3", "retry_noanswer_s": "60", "retry_busy_s": "15",
        "retry_failed_s": "30", "retry_machine_s": "120", "noagent_prompt": "goodbye",
        "record": "all", "abandon_cap": "3", "abandon_rule": "day", "max_ratio": "2.5",
        "script": "Dzień dobry, {name}!"}


def prepare(db) -> int:
    """What a campaign needs to start: a trunk and a contact list of three numbers."""
    config.add_trunk(db, "telco", "192.0.2.1")
    now = time.time()
    list_id = db.conn.execute("INSERT INTO contact_lists (name, fields, created_at) "
                              "VALUES ('warsaw', '[\"city\"]', ?)", [now]).lastrowid
    for i in range(3):
        db.conn.execute("INSERT INTO contacts (list_id, phone, name, created_at) "
                        "VALUES (?, ?, ?, ?)", [list_id, f"+4860010000{i}", f"Client {i}", now])
    return list_id


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


def post_form(client, path: str, **changes):
    data = {**FORM, **changes, "csrf_token": csrf_token(client, "/campaigns/new")}
    return client.post(path, data=data)


def test_agents_get_403_and_posts_need_the_csrf_token(app, db, sup):
    list_id = prepare(db)
    cid = store.save_campaign(db, "spring", user="admin", queue="support", lists=[list_id])
    agent = client_for(app, db, "agent")
    for path in ("/campaigns/", "/campaigns/new", f"/campaigns/{cid}/", f"/campaigns/{cid}/edit",
                 f"/campaigns/{cid}/progress.json", f"/campaigns/{cid}/report",
                 f"/campaigns/{cid}/report.csv"):
        assert agent.get(path).status_code == 403, path
        assert sup.get(path).status_code == 200, path
        assert app.test_client().get(path).status_code == 302, path     # to the login page
    assert agent.post(f"/campaigns/{cid}/status", data={
        "csrf_token": csrf_token(agent, "/"), "status": "running"}).status_code == 403
    assert sup.post(f"/campaigns/{cid}/status", data={"status": "running"}).status_code == 400
    assert sup.post("/campaigns/new", data={**FORM, "name": "other"}).status_code == 400
    assert store.campaign(db, cid)["status"] == "draft"
    assert store.campaign(db, "other") is None
    assert "Campaigns" in text(sup.get("/"))                 # in the main menu
    assert ">Campaigns<" not in text(agent.get("/"))


def test_the_form_saves_every_field(app, db, sup):
    list_id = prepare(db)
    r = post_form(sup, "/campaigns/new", lists=[str(list_id)])
    assert r.status_code == 302, text(r)
    row = store.campaign(db, "spring")
    assert r.headers["Location"].endswith(f"/campaigns/{row['id']}/")
    assert (row["title"], row["queue"], row["mode"], row["weekdays"]) == (
        "Spring offer", "support", "predictive", "12345")
    assert (row["retry_noanswer_s"], row["retry_busy_s"], row["retry_machine_s"]) == (
        3600, 900, 7200)                         # the form's minutes, stored as seconds
    assert (row["max_ratio"], row["noagent_prompt"], row["lists"]) == (2.5, "goodbye", [list_id])
    edit = text(sup.get(f"/campaigns/{row['id']}/edit"))
    assert 'value="60"' in edit and "{city}" in edit and "Dzień dobry, {name}!" in edit
    r = post_form(sup, f"/campaigns/{row['id']}/edit", mode="preview", weekdays=["6", "7"],
                  lists=[])
    assert r.status_code == 302
    row = store.campaign(db, row["id"])
    assert (row["mode"], row["weekdays"], row["lists"]) == ("preview", "67", [])


@pytest.mark.parametrize("changes, message", [
    ({"ring_s": "10"}, "ring time: at least 15 s: the legal minimum"),
    ({"window_start": "21:00"}, "calling window: the start must be before the end"),
    ({"weekdays": []}, "calling days: choose at least one day of the week"),
    ({"queue": ""}, "agent group: choose an existing queue"),
    ({"retry_busy_s": "soon"}, "retry delays: whole numbers, 0 or more"),
    ({"end_date": "2025-01-01", "start_date": "2025-02-01"},
     "the end date is before the start date"),
])
def test_a_refused_form_says_why_and_keeps_what_was_typed(app, db, sup, changes, message):
    r = post_form(sup, "/campaigns/new", title="Typed title", caller_id="+48 600", **changes)
    assert r.status_code == 400
    page = text(r)
    assert message in page
    assert 'value="Typed title"' in page and 'value="+48 600"' in page
    for key, value in changes.items():
        if isinstance(value, str) and value:
            assert f'value="{value}"' in page or f'"{value}" selected' in page, key
    assert store.campaign(db, "spring") is None


def test_polish_refusal_and_an_existing_name(app, db, admin):
    r = post_form(admin, "/campaigns/new", ring_s="10")      # admin's panel is in Polish
    assert "co najmniej 15 s" in text(r)
    assert post_form(admin, "/campaigns/new").status_code == 302
    r = post_form(admin, "/campaigns/new", title="Another")
    assert r.status_code == 400 and "Kampania o tej nazwie już istnieje" in text(r)
    assert store.campaign(db, "spring")["title"] == "Spring offer"


def test_start_pause_stop_and_the_refusals(app, db, sup):
    cid = store.save_campaign(db, "spring", user="admin", queue="support")
    url = f"/campaigns/{cid}/status"
    token = csrf_token(sup, "/campaigns/")
    r = sup.post(url, data={"csrf_token": token, "status": "running"}, follow_redirects=True)
    assert "cannot start: attach at least one contact list that has contacts" in text(r)
    assert store.campaign(db, cid)["status"] == "draft"
    list_id = prepare(db)
    store.attach_lists(db, cid, [list_id])
    page = text(sup.get("/campaigns/"))
    assert f'id="running-{cid}"' in page and f'id="paused-{cid}"' not in page
    for status, shown in (("running", "Campaign started."), ("paused", "Campaign paused."),
                          ("running", "Campaign started."), ("stopped", "Campaign stopped.")):
        r = sup.post(url, data={"csrf_token": token, "status": status, "next": "view"},
                     follow_redirects=True)
        assert shown in text(r)
        assert store.campaign(db, cid)["status"] == status
    assert db.execute("SELECT count(*) FROM campaign_contacts").fetchone()[0] == 3
    r = sup.post(url, data={"csrf_token": token, "status": "paused"}, follow_redirects=True)
    assert "cannot go to that status" in text(r)
    assert store.campaign(db, cid)["status"] == "stopped"


def test_progress_json_and_why_it_is_not_dialing(app, db, sup):
    list_id = prepare(db)
    cid = store.save_campaign(db, "spring", user="admin", queue="support", lists=[list_id])
    p = sup.get(f"/campaigns/{cid}/progress.json").get_json()
    assert p["why"] == "Not started yet." and p["total"] == 0
    store.set_status(db, cid, "running", "admin")
    p = sup.get(f"/campaigns/{cid}/progress.json").get_json()
    assert p["states"]["new"] == 3 and p["why"].startswith("The dialer is not running")
    set_setting(db, "dialer_status", json.dumps({"at": time.time(), "campaigns": {str(cid): {
        "logged_in": 2, "free": 1, "ringing": 1, "waiting": 0, "dial_level": 1.5,
        "abandon_rate": 0.0, "idle_reason": "no_agents"}}}))
    p = sup.get(f"/campaigns/{cid}/progress.json").get_json()
    assert p["why"] == "No agent of the queue is logged in, so nothing is dialed."
    assert (p["logged_in"], p["free"], p["dial_level_text"]) == (2, 1, "1.50")
    db.execute("INSERT INTO campaign_calls (campaign_id, phone, mode, uniqueid, started_at, "
               "ended_at, outcome) VALUES (?, '+48600100000', 'predictive', 'u1', ?, ?, "
               "'abandoned')", [cid, time.time() - 5, time.time()])
    p = sup.get(f"/campaigns/{cid}/progress.json").get_json()
    assert p["today"]["abandoned"] == 1 and p["abandon_text"] == "100.0 %" and p["over_cap"]
    page = text(sup.get(f"/campaigns/{cid}/"))
    assert "No agent of the queue is logged in" in page and 'id="refresh"' in page
    assert 'data-f="states.new">3<' in page


def test_report_page_and_files_agree(app, db, sup):
    list_id = prepare(db)
    cid = store.save_campaign(db, "spring", user="admin", queue="support", lists=[list_id])
    now = time.time()
    for i, outcome in enumerate(("connected", "connected", "busy", "noanswer", "invalid")):
        db.execute("INSERT INTO campaign_calls (campaign_id, phone, mode, uniqueid, agent, "
                   "started_at, connected_at, ended_at, outcome, disposition, disposed_at) "
                   "VALUES (?, '+48600100000', 'predictive', ?, ?, ?, ?, ?, ?, ?, ?)",
                   [cid, f"u{i}", "101" if outcome == "connected" else None, now - 600,
                    now - 590 if outcome == "connected" else None, now - 500, outcome,
                    "sale" if outcome == "connected" else None,
                    now - 480 if outcome == "connected" else None])
    day = time.strftime("%Y-%m-%d", time.localtime(now))
    page = text(sup.get(f"/campaigns/{cid}/report?from={day}&to={day}"))
    body = page.split('id="table-1"', 1)[1].split("</table>", 1)[0]
    first = re.findall(r'data-value="([^"]*)"', body.split("<tbody>")[1].split("</tr>")[0])
    assert first[:6] == [day, "5", "2", "2", "1", "1"]     # dialed, answered, connected, ...
    assert "<svg" in page
    rows = list(csv.reader(io.StringIO(
        sup.get(f"/campaigns/{cid}/report.csv?from={day}&to={day}").data.decode("utf-8-sig"))))
    assert rows[0] == ["Calls per day"] and rows[2][:6] == first[:6]
    assert rows[3][0] == "Total"
    from openpyxl import load_workbook
    xlsx = sup.get(f"/campaigns/{cid}/report.xlsx?from={day}&to={day}").data
    book = load_workbook(io.BytesIO(xlsx))
    line = list(book.worksheets[0].values)[1]
    assert list(line[:6]) == [day, 5, 2, 2, 1, 1]
    bad = sup.get(f"/campaigns/{cid}/report?from=2025-02-01&to=2025-01-01")
    assert bad.status_code == 400 and "The end date is before the start date." in text(bad)
    assert sup.get(f"/campaigns/{cid}/report.csv?from=x").status_code == 400


# -- in a real browser ----------------------------------------------------------------------

@pytest.mark.browser
def test_browser_create_start_and_watch_progress(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): fill the form, save, start the
    campaign, and see the progress page pick up what the dialer writes without a reload."""
    from appliance.store import users
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    seed_demo(db)
    list_id = prepare(db)
    users.create_user(db, "admin", "browser-test-password", "admin", lang="en")
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", "browser-test-password")
        page.click("button.primary")
        page.click("nav >> text=Campaigns")
        page.click("#new-campaign")
        page.fill("#name", "spring")
        page.fill("#title", "Spring offer")
        page.select_option("#queue", "support")
        page.select_option("#mode", "progressive")
        page.select_option("#lists", str(list_id))
        page.fill("#ring_s", "10")
        page.click("#save-campaign")
        assert "ring time: at least 15 s" in page.locator(".alert-error").inner_text()
        assert page.locator("#title").input_value() == "Spring offer"   # nothing typed lost
        assert all("400" in e for e in page.console_errors)   # the refused form's status
        page.console_errors.clear()
        page.fill("#ring_s", "20")
        page.select_option("#lists", str(list_id))
        page.click("#save-campaign")
        assert re.search(r"/campaigns/\d+/$", page.url), page.url
        cid = int(page.url.rstrip("/").rsplit("/", 1)[1])
        page.click(f"#running-{cid}")
        assert "Campaign started." in page.inner_text("main")
        assert page.inner_text("[data-f='states.new']") == "3"
        # the dialer reports (as jns-calld would): the page shows it within a poll or two
        set_setting(db, "dialer_status", json.dumps({"at": time.time() + 30, "campaigns": {
            str(cid): {"logged_in": 0, "free": 0, "ringing": 0, "waiting": 0, "dial_level": 0,
                       "abandon_rate": 0, "idle_reason": "no_agents"}}}))
        from playwright.sync_api import expect
        expect(page.locator("#why")).to_contain_text("No agent of the queue", timeout=10_000)
        page.click(f"#paused-{cid}")
        assert "Campaign paused." in page.inner_text("main")
        assert store.campaign(db, cid)["status"] == "paused"
        assert not page.console_errors, page.console_errors


def test_every_campaign_text_has_polish():
    """The texts that reach the page through dicts and the store (not caught by the
    template scan of test_webui): refusals, warnings, labels, the report's columns."""
    from appliance.campaigns import report
    from appliance.webui import campaigns as pages
    from appliance.webui.i18n import CATALOG
    ids = set(store.ERRORS) | set(store.WARNINGS)
    for table in (pages.MODES, pages.RULES, pages.RETRIES, pages.STATUS_ACTIONS,
                  pages.STATE_LABELS, pages.OUTCOME_LABELS, pages.WHY, pages.NOT_RUNNING):
        ids |= set(table.values())
    ids |= {label for _value, label in pages.WEEKDAYS}
    ids |= {c.label for c in report.DAY_COLUMNS + report.AGENT_COLUMNS + report.DISPOSITION_COLUMNS}
    ids |= {title for title, _c, _r in report.Report({}, None, None).tables()}
    ids |= {f"campaign_status:{s}" for s in store.STATUSES}
    ids |= {f"dial_mode:{m}" for m in store.MODES}
    ids |= {f"abandon_rule:{r}" for r in store.ABANDON_RULES}
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, missing
