"""The staffing forecast in the panel: `/reports/staffing/` and the wallboard's Staffing block.

Through Flask's test client on a real SQLite file with report rows written by the real
queue_log ingestion; the wallboard block in headless Chromium against the real panel
(gunicorn) and the real jns-calld (the fixture of test_webui_live: its live picture has
queue "support" with agents 101 and 102 logged in, 102 paused).  Checked: who may open
what, CSRF, Polish by default, the per-hour table and chart, the target's bad input, and
the wallboard going red when fewer agents are available than needed.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from appliance.reports import staffing
from appliance.reports.ingest import ingest_files
from appliance.store import users
from appliance.store.config import seed_demo
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token as csrf, page_text as text, use_english
from tests.test_webui import ADMIN_PW
from tests.test_webui_browser import page  # noqa: F401 (fixture)
from tests.test_webui_live import calld  # noqa: F401 (fixture: the real jns-calld)


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


def call_rows(start: int, calls: int, every: int, talk: int, queue: str = "support") -> list[str]:
    rows = []
    for i in range(calls):
        t, uid = start + i * every, f"{start + i * every}.{i}"
        rows += [f"{t}|{uid}|{queue}|NONE|ENTERQUEUE||48600100200|1",
                 f"{t + 5}|{uid}|{queue}|Agent 101|CONNECT|5|{uid}1|2",
                 f"{t + 5 + talk}|{uid}|{queue}|Agent 101|COMPLETEAGENT|5|{talk}|1"]
    return rows


def ingest(db, tmp_path, rows: list[str]) -> None:
    rows = sorted(rows, key=lambda r: int(r.split("|")[0]))
    (tmp_path / "queue_log").write_text("".join(r + "\n" for r in rows))
    assert ingest_files(db, tmp_path / "queue_log")["malformed"] == 0


def test_roles_and_csrf(app, db, admin):
    agent = client_for(app, db, "agent")
    for path in ("/reports/staffing/", "/reports/staffing/now.json"):
        assert agent.get(path).status_code == 403, path
        assert app.test_client().get(path).status_code == 302, path       # anonymous: log in
    sup = client_for(app, db, "supervisor")
    assert sup.get("/reports/staffing/").status_code == 200
    assert sup.get("/reports/staffing/now.json").status_code == 200
    # only admins change the target, and only with the form's token
    assert sup.post("/reports/staffing/target", data={"csrf_token": csrf(sup),
                                                      "target": "90"}).status_code == 403
    assert admin.post("/reports/staffing/target", data={"target": "90"}).status_code == 400
    assert staffing.target(db)["pct"] == 80


def test_the_page_is_polish_by_default_and_explains_the_formulas(app, db, admin):
    body = text(admin.get("/reports/staffing/"))
    assert "<h1>Prognoza obsady</h1>" in body
    assert "Cel: 80 % połączeń odebranych w ciągu 20 s." in body
    assert "A = 360 × 180 / 3600 = 18 erlangów" in body
    assert "Nie ma jeszcze kolejek." not in body and 'value="support" selected' in body
    use_english(admin)
    body = text(admin.get("/reports/staffing/"))
    assert "With 22 agents SL(20 s) ≈ 82 % and ASA ≈ 12.5 s" in body
    assert "P(wait) = N·B / (N − A·(1 − B))" in body


def test_the_per_hour_table_from_measured_calls(app, db, admin, tmp_path, warsaw):
    """Last Monday 10:00-11:00 local: 120 calls of 175 s talk, no wrap-up; averaged over
    the 4 Mondays of the history: 30 calls/h, A = 30 x 175 / 3600 = 1.46 Erlangs -> 3
    agents for 80/20 (Erlang C; nobody gave up, so Erlang A says the same)."""
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday() or 7)
    ten = int(time.mktime((monday.year, monday.month, monday.day, 10, 0, 0, 0, 0, -1)))
    ingest(db, tmp_path, call_rows(ten, 120, 30, 175))
    use_english(admin)
    body = text(admin.get("/reports/staffing/?queue=support&weekday=0"))
    row = re.search(r'<tr data-hour="10"[^>]*>(.*?)</tr>', body, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", row, re.S)]
    expected = staffing.agents_needed(30 * 175 / 3600, 175, 0.8, 20)
    weeks = staffing.WEEKS
    assert cells == ["10:00", f"{120 / weeks:.1f}", f"{120 / weeks * 175 / 3600:.2f}",
                     str(expected), str(expected), "—"]
    assert "<svg" in body and "Agents per hour of the day" in body
    assert "175 s" in body                                    # AHT: talk, no wrap-up
    # another queue that does not exist: said so, no table
    body = text(admin.get("/reports/staffing/?queue=nosuch"))
    assert "There is no such queue; choose one from the list." in body
    assert 'id="staffing-hours"' not in body


def test_the_target_bad_input_is_refused_and_kept(app, db, admin):
    use_english(admin)
    r = admin.post("/reports/staffing/target", data={"csrf_token": csrf(admin), "target": "120"},
                   follow_redirects=True)
    assert "the target service level is a whole percentage from 1 to 99" in text(r)
    assert staffing.target(db)["pct"] == 80
    r = admin.post("/reports/staffing/target", data={"csrf_token": csrf(admin), "target": "90"},
                   follow_redirects=True)
    assert "Target service level saved." in text(r)
    assert "Target: 90 % of calls answered within 20 s." in text(r)


def test_now_json_without_calld_has_no_staffing_colour(app, db, admin, tmp_path):
    ingest(db, tmp_path, call_rows(int(time.time()) - 3000, 30, 60, 100))
    data = json.loads(admin.get("/reports/staffing/now.json").get_data(as_text=True))
    support, = data["queues"]
    assert support["calls_per_hour"] == 30 and support["aht_s"] == 100
    assert support["needed_c"] == staffing.agents_needed(30 * 100 / 3600, 100, 0.8, 20)
    assert support["logged_in"] is None and support["colour"] == ""      # live data missing
    assert data["live_error"]


@pytest.mark.browser
def test_wallboard_shows_needed_beside_logged_in(app, db, calld, page, tmp_path):
    """90 calls in the last hour, 150 s each: Erlang C needs 6 agents for 80/20; calld
    says 2 are logged in and 1 of them paused: the tile is red and says so."""
    from playwright.sync_api import expect

    from tests.test_webui_browser import signed_in_panel
    ingest(db, tmp_path, call_rows(int(time.time()) - 3400, 90, 37, 145))
    needed = staffing.agents_needed(90 * 150 / 3600, 150, 0.8, 20)
    users.create_user(db, "boss", ADMIN_PW, "supervisor")           # Polish: the default
    with signed_in_panel(page, app, calld, tmp_path / "gunicorn.log", "boss",
                         ADMIN_PW) as url:
        page.goto(url + "/supervisor/")
        expect(page.locator("#staffing-title")).to_contain_text("Obsada")
        tile = page.locator('#staffing [data-staffing="support"]')
        expect(tile.locator('[data-s="needed_c"]')).to_have_text(str(needed))
        expect(tile.locator('[data-s="logged_in"]')).to_have_text("2")
        expect(tile.locator('[data-s="available"]')).to_have_text("1")
        expect(tile.locator('[data-s="calls_per_hour"]')).to_have_text("90")
        expect(tile).to_have_attribute("data-colour", "red")
        expect(page.locator("#staffing-live-down")).to_be_hidden()
        expect(tile).to_contain_text("Potrzebni teraz (Erlang C)")
        # the live tiles of live.js are still there and untouched
        expect(page.locator('#live [data-queue="support"] .waiting')).to_have_text("1")
        # the link leads to the per-hour forecast
        page.click("#staffing-title a")
        expect(page.locator("h1")).to_have_text("Prognoza obsady")
        assert page.console_errors == []
