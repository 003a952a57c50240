"""The campaign section of the agent desk, the dispositions page and the callbacks page
(appliance.webui.campaign_desk), through Flask's test client on a real SQLite file, and the
disposition flow in a real headless Chromium against the real panel (gunicorn).

Campaigns and contacts come from the stores the panel uses; the connected call is written
the way the dialer writes it (tests/test_campaign_desk.connected_call), since placing it
needs Asterisk and is the dialer's test.  Checked: an agent sees their campaign call with
the list's fields and the filled script and nobody else's, sets a disposition with a
callback for a colleague who then sees it and calls it when due, preview Call / Skip,
ownership (agent A cannot dispose agent B's call: 403, nothing written), roles, CSRF, the
two admin pages.
"""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from appliance.campaigns import desk
from appliance.store import config, users
from appliance.store.config import seed_demo
from appliance.webui import create_app
from tests.conftest import csrf_token as csrf, page_text as text, use_english
from tests.test_campaign_desk import connected_call, make_campaign
from tests.test_webui import ADMIN_PW, login
from tests.test_webui_browser import page  # noqa: F401 (fixture)


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    db = app.extensions["jns_db"].get()
    seed_demo(db)   # agents 101 and 102 in queue "support"
    config.add_trunk(db, "carrier", "127.0.0.2")
    users.create_user(db, "admin", ADMIN_PW, "admin")   # first start is done
    return app


def agent_client(app, db, username: str, ext: str | None, role: str = "agent"):
    users.create_user(db, username, ADMIN_PW, role, agent=ext)
    c = app.test_client()
    assert login(c, username, ADMIN_PW).status_code == 302
    use_english(c)
    return c


def tomorrow_at(hour: int) -> tuple[str, str, float]:
    day = dt.date.today() + dt.timedelta(days=1)
    at = dt.datetime.combine(day, dt.time(hour, 30))
    return day.isoformat(), at.strftime("%H:%M"), at.timestamp()


def hours_ahead(hours: int) -> tuple[str, str, float]:
    """A callback time `hours` from now (whole minutes): inside the desk's 24-hour horizon
    at any time of day, where "tomorrow 10:30" is not before 10:30."""
    at = (dt.datetime.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return at.date().isoformat(), at.strftime("%H:%M"), at.timestamp()


def row(db, sql, args=()):
    found = list(db.query(sql, list(args)))
    return found[0] if found else None


# -- the desk --------------------------------------------------------------------------------

def test_agent_sees_their_campaign_call_with_fields_and_script(app, db):
    anna = agent_client(app, db, "anna", "101")
    bartek = agent_client(app, db, "bartek", "102")
    page = text(anna.get("/agent/"))
    assert "No campaign of yours is running." in page
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101", at=time.time())
    page = text(anna.get("/agent/"))
    card = page.split(f'id="campaign-call-{call_id}"')[1].split("</article>")[0]
    assert "Klient 0" in card and "+48600100200" in card
    assert "<dt>city</dt><dd>Miasto 0</dd>" in card and "<dt>plan</dt><dd>gold</dd>" in card
    assert ("Dzień dobry, Klient 0! Dzwonię do Miasto 0 (+48600100200), plan gold. "
            "{nieznane} {name.__class__} {0}") in card
    assert re.search(r'<option value="callback" data-action="callback">Oddzwonić później',
                     card)
    assert 'name="crm" value="sale">Move to CRM: Sprzedaż' in card
    assert "Calls of this campaign come to you automatically" in page
    # the colleague's desk: the campaign, not Anna's call
    other = text(bartek.get("/agent/"))
    assert "Klient 0" not in other and "campaign-call-" not in other


def test_disposition_with_a_callback_for_a_colleague(app, db):
    anna = agent_client(app, db, "anna", "101")
    bartek = agent_client(app, db, "bartek", "102")
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101", at=time.time())
    token = csrf(anna, "/agent/")
    url = f"/agent/campaign/call/{call_id}/disposition"
    # a time in the past is refused, nothing is written, the call stays on the desk
    r = anna.post(url, data={"csrf_token": token, "code": "callback", "callback_date": "2020-01-01",
                             "callback_time": "10:00", "callback_agent": "102"},
                  follow_redirects=True)
    assert "the callback time must be in the future" in text(r)
    assert f'id="campaign-call-{call_id}"' in text(r)
    r = anna.post(url, data={"csrf_token": token, "code": "callback", "callback_date": "jutro",
                             "callback_time": "10:00"}, follow_redirects=True)
    assert "enter the callback date as YYYY-MM-DD and the time as HH:MM" in text(r)
    assert row(db, "SELECT disposition FROM campaign_calls WHERE id = ?", [call_id])[
        "disposition"] is None
    day, clock, due = hours_ahead(3)
    r = anna.post(url, data={"csrf_token": token, "code": "callback", "callback_date": day,
                             "callback_time": clock, "callback_agent": "102",
                             "note": "po obiedzie"}, follow_redirects=True)
    assert "Disposition saved." in text(r)
    assert f'id="campaign-call-{call_id}"' not in text(r)
    cb = row(db, "SELECT * FROM callbacks")
    assert (cb["agent"], cb["due_at"], cb["note"], cb["created_by"]) == \
        ("102", due, "po obiedzie", "anna")
    # Bartek sees it, not yet callable; Anna does not see it at all
    page = text(bartek.get("/agent/"))
    assert f'id="callback-{cb["id"]}"' in page and "not due yet" in page
    assert f'id="callback-{cb["id"]}"' not in text(anna.get("/agent/"))
    call_url = f"/agent/campaign/callback/{cb['id']}/call"
    r = bartek.post(call_url, data={"csrf_token": csrf(bartek, "/agent/")},
                    follow_redirects=True)
    assert "this callback is not due yet" in text(r)
    # the time has come (the callback was due a minute ago): Call asks the dialer for it
    db.execute("UPDATE callbacks SET due_at = ? WHERE id = ?", [time.time() - 60, cb["id"]])
    page = text(bartek.get("/agent/"))
    assert re.search(rf'action="{call_url}"', page)
    assert anna.post(call_url, data={"csrf_token": token}).status_code == 403   # not hers
    r = bartek.post(call_url, data={"csrf_token": csrf(bartek, "/agent/")},
                    follow_redirects=True)
    assert "The call is being placed" in text(r)
    call = row(db, "SELECT * FROM campaign_calls WHERE mode = 'callback'")
    assert (call["agent"], call["contact_id"], call["started_at"]) == ("102", ids[0], None)
    assert row(db, "SELECT call_id FROM callbacks")["call_id"] == call["id"]


def sale_moved_to_crm(app, db):
    """Agent anna's connected campaign call to contact 'Klient 1' gets "Move to CRM"
    (disposition sale, note "gold"); (anna's client, the page, the contact ids)."""
    anna = agent_client(app, db, "anna", "101")
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[1], "101", at=time.time())
    r = anna.post(f"/agent/campaign/call/{call_id}/disposition",
                  data={"csrf_token": csrf(anna, "/agent/"), "code": "", "crm": "sale",
                        "note": "gold"}, follow_redirects=True)
    assert "Disposition saved." in text(r)
    return anna, r, ids


def test_crm_button_hands_the_contact_off(app, db, monkeypatch):
    taken = []
    monkeypatch.setattr(desk, "CRM_HANDOFF", [taken.append])
    anna, r, ids = sale_moved_to_crm(app, db)
    assert [t["contact"]["name"] for t in taken] == ["Klient 1"]
    assert row(db, "SELECT state FROM campaign_contacts WHERE contact_id = ?",
               [ids[1]])["state"] == "done"


def test_a_won_contact_is_in_the_crm_when_the_page_answers(app, db):
    """The panel's own hook (appliance.webui.crm_calls): no waiting for jns-reports."""
    anna, r, _ids = sale_moved_to_crm(app, db)
    assert "the CRM did not take the contact yet" not in text(r)
    handoff = row(db, "SELECT taken_at, crm_contact_id FROM crm_handoffs")
    assert handoff["taken_at"] and handoff["crm_contact_id"]
    card = text(anna.get(f"/crm/{handoff['crm_contact_id']}"))
    assert "Klient 1" in card and "gold" in card


def test_preview_call_and_skip_on_the_desk(app, db):
    anna = agent_client(app, db, "anna", "101")
    bartek = agent_client(app, db, "bartek", "102")
    cid, ids = make_campaign(db, mode="preview")
    page = text(anna.get("/agent/"))
    mine = re.search(r'data-contact="(\d+)"', page).group(1)
    theirs = re.search(r'data-contact="(\d+)"', text(bartek.get("/agent/"))).group(1)
    assert mine != theirs
    token = csrf(anna, "/agent/")
    # Anna cannot call the contact Bartek has on his screen
    r = anna.post(f"/agent/campaign/{cid}/call", data={"csrf_token": token, "contact": theirs},
                  follow_redirects=True)
    assert "this contact is not available any more" in text(r)
    r = anna.post(f"/agent/campaign/{cid}/skip", data={"csrf_token": token, "contact": mine},
                  follow_redirects=True)
    after = re.search(r'data-contact="(\d+)"', text(r)).group(1)
    assert after not in (mine, theirs)
    r = anna.post(f"/agent/campaign/{cid}/call", data={"csrf_token": token, "contact": after},
                  follow_redirects=True)
    assert "The call is being placed: your phone rings first" in text(r)
    assert "Calling: your phone rings first, then the customer" in text(r)
    call = row(db, "SELECT * FROM campaign_calls")
    assert (call["agent"], call["contact_id"], call["mode"]) == ("101", int(after), "preview")
    assert call["requested_at"] and call["started_at"] is None


def test_another_agents_call_is_refused(app, db):
    anna = agent_client(app, db, "anna", "101")
    bartek = agent_client(app, db, "bartek", "102")
    boss = agent_client(app, db, "boss", None, role="supervisor")
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101", at=time.time())
    url = f"/agent/campaign/call/{call_id}/disposition"
    r = bartek.post(url, data={"csrf_token": csrf(bartek, "/agent/"), "code": "dnc"})
    assert r.status_code == 403
    assert row(db, "SELECT disposition FROM campaign_calls")["disposition"] is None
    assert db.execute("SELECT count(*) FROM dnc").fetchone()[0] == 0
    # a supervisor may set it; a second disposition is refused with the reason
    r = boss.post(url, data={"csrf_token": csrf(boss, "/"), "code": "not_interested"},
                  follow_redirects=True)
    assert "Disposition saved." in text(r)
    r = anna.post(url, data={"csrf_token": csrf(anna, "/agent/"), "code": "sale"},
                  follow_redirects=True)
    assert "this call already has a disposition (not_interested)" in text(r)
    assert row(db, "SELECT disposed_by FROM campaign_calls")["disposed_by"] == "boss"


def test_roles_and_csrf(app, db):
    admin = agent_client(app, db, "admin1", None, role="admin")
    boss = agent_client(app, db, "boss", None, role="supervisor")
    anna = agent_client(app, db, "anna", "101")
    loner = agent_client(app, db, "loner", None)
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101", at=time.time())
    assert anna.get("/campaigns/dispositions/").status_code == 403
    assert anna.get("/campaigns/callbacks/").status_code == 403
    assert boss.get("/campaigns/dispositions/").status_code == 403
    assert boss.get("/campaigns/callbacks/").status_code == 200
    assert admin.get("/campaigns/dispositions/").status_code == 200
    r = boss.post("/campaigns/dispositions/", data={"csrf_token": csrf(boss), "code": "x",
                                                    "title": "X", "action": "done"})
    assert r.status_code == 403
    assert anna.get("/agent/campaign/state").get_json()["key"]
    assert app.test_client().get("/agent/campaign/state").status_code == 302
    # no extension: told so, nothing asked for
    r = loner.post(f"/agent/campaign/{cid}/call", data={"csrf_token": csrf(loner),
                                                       "contact": ids[1]}, follow_redirects=True)
    assert "not linked to a phone extension" in text(r)
    # no CSRF token: refused, nothing written
    for path, data in ((f"/agent/campaign/call/{call_id}/disposition", {"code": "sale"}),
                       (f"/agent/campaign/{cid}/call", {"contact": ids[1]}),
                       ("/campaigns/dispositions/", {"code": "x", "title": "X"}),
                       ("/campaigns/dispositions/sale/delete", {})):
        client = admin if path.startswith("/campaigns/") else anna
        assert client.post(path, data=data).status_code == 400, path
    assert row(db, "SELECT disposition FROM campaign_calls")["disposition"] is None
    assert db.execute("SELECT count(*) FROM campaign_calls").fetchone()[0] == 1
    assert "sale" in [d["code"] for d in desk.dispositions(db)]


# -- the admin pages --------------------------------------------------------------------------

def test_dispositions_page(app, db):
    admin = agent_client(app, db, "admin1", None, role="admin")
    page = text(admin.get("/campaigns/dispositions/"))
    assert "Sprzedaż" in page and "Done and moved to the CRM" in page
    token = csrf(admin, "/campaigns/dispositions/")
    r = admin.post("/campaigns/dispositions/", data={
        "csrf_token": token, "code": "promo", "title": "Promocja", "action": "crm",
        "effective": "1", "position": "0", "active": "1"})
    assert r.status_code == 302
    assert desk.dispositions(db)[0] == {"code": "promo", "title": "Promocja", "effective": True,
                                        "action": "crm", "position": 0, "active": True}
    r = admin.post("/campaigns/dispositions/", data={"csrf_token": token, "code": "Zła!",
                                                     "title": "Coś", "action": "done"})
    assert r.status_code == 400
    assert "Not saved: disposition code 'Zła!': 1-20 lowercase" in text(r)
    assert 'value="Coś"' in text(r)
    # deactivate: agents no longer see it, the page still lists it
    r = admin.post("/campaigns/dispositions/promo", data={"csrf_token": token,
                                                          "title": "Promocja zimowa",
                                                          "action": "crm", "position": "0"})
    assert r.status_code == 302
    assert "promo" not in [d["code"] for d in desk.dispositions(db)]
    assert "Promocja zimowa" in text(admin.get("/campaigns/dispositions/"))
    # a disposition in use cannot be deleted; an unused one can
    cid, ids = make_campaign(db, mode="progressive")
    desk.set_disposition(db, connected_call(db, cid, ids[0], "101"), "interested",
                         user="admin1")
    r = admin.post("/campaigns/dispositions/interested/delete", data={"csrf_token": token})
    assert r.status_code == 400 and "in use by calls; deactivate it instead" in text(r)
    assert admin.post("/campaigns/dispositions/promo/delete",
                      data={"csrf_token": token}).status_code == 302
    assert "promo" not in [d["code"] for d in desk.dispositions(db, active_only=False)]


def test_callbacks_page_reassigns_and_cancels(app, db):
    boss = agent_client(app, db, "boss", None, role="supervisor")
    users.create_user(db, "anna", ADMIN_PW, "agent", agent="101")
    cid, ids = make_campaign(db, mode="progressive")
    now = time.time()
    desk.set_disposition(db, connected_call(db, cid, ids[0], "101", at=now), "callback",
                         user="anna", callback_at=now + 60, note="rano")
    [cb] = desk.open_callbacks(db)
    db.execute("UPDATE callbacks SET due_at = ? WHERE id = ?", [now - 600, cb["id"]])
    page = text(boss.get("/campaigns/callbacks/"))
    line = page.split(f'id="callback-{cb["id"]}"')[1].split("</tr>")[0]
    assert 'class="warn"' in page.split(f'id="callback-{cb["id"]}"')[1][:20]
    assert "overdue" in line and "Klient 0" in line and "rano" in line
    token = csrf(boss, "/campaigns/callbacks/")
    day, clock, due = tomorrow_at(9)
    r = boss.post(f"/campaigns/callbacks/{cb['id']}", data={"csrf_token": token, "date": day,
                                                            "time": clock, "agent": "102"})
    assert r.status_code == 302
    [cb] = desk.open_callbacks(db)
    assert (cb["agent"], cb["due_at"]) == ("102", due)
    r = boss.post(f"/campaigns/callbacks/{cb['id']}", data={"csrf_token": token,
                                                            "date": "2020-01-01",
                                                            "time": "09:00", "agent": ""})
    assert r.status_code == 400 and "the callback time must be in the future" in text(r)
    r = boss.post(f"/campaigns/callbacks/{cb['id']}/cancel", data={"csrf_token": token},
                  follow_redirects=True)
    assert "Callback cancelled." in text(r) and "No callbacks are waiting." in text(r)


# -- in a real browser -----------------------------------------------------------------------

@pytest.mark.browser
def test_disposition_flow_in_the_browser(app, db, page, tmp_path):
    """The real panel (gunicorn): the campaign call pops up on the open desk without a
    manual reload; choosing "call back" shows the callback fields; the disposition is
    saved with a callback for the colleague."""
    from playwright.sync_api import expect

    from tests.test_webui_browser import running_panel
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en", agent="101")
    cid, ids = make_campaign(db, mode="progressive")
    with running_panel({"JNS_DB": app.extensions["jns_db"].path},
                       tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "anna")
        page.fill("#password", ADMIN_PW)
        page.click("button.primary")
        page.goto(url + "/agent/")
        expect(page.locator(f"#campaign-{cid}")).to_contain_text(
            "Calls of this campaign come to you automatically")
        # the dialer connects a call to Anna: the desk shows it by itself
        call_id = connected_call(db, cid, ids[2], "101", at=time.time())
        card = page.locator(f"#campaign-call-{call_id}")
        expect(card.locator(".contact-name")).to_have_text("Klient 2")
        expect(card.locator(".script-text")).to_contain_text("Dzień dobry, Klient 2!")
        fields = card.locator(".callback-fields")
        expect(fields).to_be_hidden()
        card.locator("select[name=code]").select_option("callback")
        expect(fields).to_be_visible()
        day, clock, due = tomorrow_at(11)
        card.locator("input[name=callback_date]").fill(day)
        card.locator("input[name=callback_time]").fill(clock)
        card.locator("select[name=callback_agent]").select_option("102")
        card.locator("textarea[name=note]").fill("wolny po 11")
        card.get_by_role("button", name="Save disposition").click()
        expect(page.locator(".alert-ok")).to_contain_text("Disposition saved.")
        expect(page.locator(f"#campaign-call-{call_id}")).to_have_count(0)
        assert page.console_errors == []
    cb = row(db, "SELECT * FROM callbacks")
    assert (cb["agent"], cb["due_at"], cb["note"]) == ("102", due, "wolny po 11")
    assert row(db, "SELECT disposition FROM campaign_calls WHERE id = ?",
               [call_id])["disposition"] == "callback"
