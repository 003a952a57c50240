"""The queue tiles' "Callbacks waiting" follow the live picture (issue 12, BEY-2): a
callback asked for or finished (a write of the callback service to the database) reaches
jns-calld's snapshot and every open wallboard without a reload.  Real jns-calld (the
fixture of test_webui_live), the real panel under gunicorn and headless Chromium."""
from __future__ import annotations

import pytest

from appliance.store import users
from appliance.store.config import seed_demo
from appliance.telephony import callbacks
from appliance.webui import create_app
from tests.test_webui import ADMIN_PW
from tests.test_webui_browser import page  # noqa: F401 (fixture)
from tests.conftest import client_for, page_text as text
from tests.test_webui_live import calld, row  # noqa: F401 (fixture: the real jns-calld)
from tests.test_skeleton_call import wait_for

CUSTOMER = "48501000001"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


def test_the_snapshot_counts_callbacks_waiting_per_queue(app, db, calld):
    client = app.config["LIVE_CLIENT"]
    assert client.state()["queues"]["support"]["callbacks"] == 0
    first, _ = callbacks.request(db, "support", CUSTOMER)
    callbacks.request(db, "support", "48600100002")
    assert wait_for(lambda: client.state()["queues"]["support"]["callbacks"] == 2, timeout=10)
    callbacks.update(db, first, status="expired")
    assert wait_for(lambda: client.state()["queues"]["support"]["callbacks"] == 1, timeout=10)


def test_the_first_paint_shows_the_count_on_the_queue_tile(app, db, calld):
    callbacks.request(db, "support", CUSTOMER)
    client = app.config["LIVE_CLIENT"]
    assert wait_for(lambda: client.state()["queues"]["support"]["callbacks"] == 1, timeout=10)
    boss = client_for(app, db, "supervisor")
    tile = row(text(boss.get("/supervisor/")), "queue", "support")
    assert "Oczekujące oddzwonienia" in tile
    assert '<span class="callbacks" data-f="callbacks">1</span>' in tile


def test_the_wallboard_count_changes_without_a_reload(app, db, calld, page, tmp_path):
    from playwright.sync_api import expect

    from tests.test_webui_browser import signed_in_panel
    users.create_user(db, "boss", ADMIN_PW, "supervisor")           # Polish: the default
    with signed_in_panel(page, app, calld, tmp_path / "gunicorn.log", "boss",
                         ADMIN_PW) as url:
        page.goto(url + "/supervisor/")
        tile = page.locator('#live [data-queue="support"]')
        expect(tile).to_contain_text("Oczekujące oddzwonienia")
        count = tile.locator(".callbacks")
        expect(count).to_have_text("0")
        cb, _ = callbacks.request(db, "support", CUSTOMER)      # as the callback service does
        expect(count).to_have_text("1")
        callbacks.update(db, cb, status="connected")
        expect(count).to_have_text("0")
        expect(tile.locator(".waiting")).to_have_text("1")      # the rest of the tile as it was
        assert page.console_errors == []
