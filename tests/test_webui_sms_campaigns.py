"""The SMS campaign pages of the panel (/campaigns/sms/): roles and CSRF, create -> preview
-> start -> pause -> stop through the forms, refusals that keep what was typed (in Polish
for the admin), hostile fields, the "no modem ready" notice, the report and its CSV, and
Polish for every text the pages use."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from appliance.campaigns import lists
from appliance.campaigns import sms_campaigns as camp
from appliance.store import sms
from appliance.store.config import seed_demo
from appliance.webui import create_app
from appliance.webui.i18n import CATALOG
from tests.conftest import client_for, csrf_token, page_text as text
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

WEBUI = Path(__file__).resolve().parents[1] / "appliance" / "webui"
FORM = {"name": "przypomnienie", "title": "Przypomnienie o płatności",
        "text": "Dzien dobry {name}, do zaplaty {kwota} PLN.", "window_start": "00:00",
        "window_end": "24:00", "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
        "per_modem_per_min": "6", "price_per_part": "0,09", "reply_days": "7"}


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


def make_list(db) -> int:
    """Three contacts, one of them on the do-not-call list, one with a Polish name."""
    list_id = lists.create_list(db, "dluznicy", fields=["kwota"])
    for phone, name, amount in (("+48600100201", "Anna", "120"), ("+48600100202", "Łucja", "80"),
                                ("+48600100203", "Jan", "45")):
        lists.add_contact(db, list_id, phone, name, {"kwota": amount})
    lists.dnc_add(db, "+48600100203")
    return list_id


def post(client, path: str, **changes):
    data = {**FORM, **changes, "csrf_token": csrf_token(client, "/campaigns/sms/new")}
    return client.post(path, data=data)


def test_agents_get_403_and_posts_need_the_csrf_token(app, db, sup):
    list_id = make_list(db)
    cid = camp.save_campaign(db, "spring", lists=[list_id], text="Hej {name}")
    agent = client_for(app, db, "agent")
    for path in ("/campaigns/sms/", "/campaigns/sms/new", f"/campaigns/sms/{cid}/",
                 f"/campaigns/sms/{cid}/edit", f"/campaigns/sms/{cid}/report",
                 f"/campaigns/sms/{cid}/report.csv"):
        assert agent.get(path).status_code == 403, path
        assert sup.get(path).status_code == 200, path
        assert app.test_client().get(path).status_code == 302, path     # to the login page
    assert agent.post(f"/campaigns/sms/{cid}/status", data={
        "csrf_token": csrf_token(agent, "/"), "status": "running"}).status_code == 403
    assert sup.post(f"/campaigns/sms/{cid}/status", data={"status": "running"}).status_code == 400
    assert sup.post("/campaigns/sms/new", data={**FORM, "lists": [str(list_id)]}
                    ).status_code == 400
    assert camp.campaign(db, cid)["status"] == "draft"
    assert camp.campaign(db, "przypomnienie") is None


def test_create_preview_start_pause_stop(app, db, sup):
    list_id = make_list(db)
    r = post(sup, "/campaigns/sms/new", lists=[str(list_id)])
    assert r.status_code == 302, text(r)
    row = camp.campaign(db, "przypomnienie")
    assert r.headers["Location"].endswith(f"/campaigns/sms/{row['id']}/")
    assert (row["title"], row["price_per_part"], row["weekdays"], row["lists"]) == (
        "Przypomnienie o płatności", 0.09, "1234567", [list_id])
    page = text(sup.get(r.headers["Location"]))
    preview = re.search(r'id="preview">(.*?)</div>\s*</div>\s*(?=<p|$)', page, re.S)
    cards = dict(re.findall(r'data-f="(\w+)"><span class="label">[^<]*</span>'
                            r'<span class="value">([^<]*)<', page))
    assert cards == {"recipients": "2", "dnc": "1", "gsm7": "1", "ucs2": "1", "parts": "2",
                     "cost": "0.18"}, preview
    assert "because of these characters:" in page and "<code>Ł</code>" in page
    assert "Dzien dobry Anna, do zaplaty 120 PLN." in page           # the sample
    assert "No modem is ready: nothing is sent." in page
    token = csrf_token(sup, r.headers["Location"])
    r = sup.post(f"/campaigns/sms/{row['id']}/status",
                 data={"csrf_token": token, "status": "running", "next": "view"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/{row['id']}/")
    assert camp.campaign(db, row["id"])["status"] == "running"
    assert "SMS campaign started." in text(sup.get(r.headers["Location"]))
    # running: no edit form, the list shows the campaign with its bar and buttons
    assert sup.get(f"/campaigns/sms/{row['id']}/edit").status_code == 302
    listing = text(sup.get("/campaigns/sms/"))
    assert "przypomnienie" in listing and "<svg class=\"smsbar\"" in listing
    assert f'id="paused-{row["id"]}"' in listing and f'id="running-{row["id"]}"' not in listing
    for status in ("paused", "stopped"):
        sup.post(f"/campaigns/sms/{row['id']}/status",
                 data={"csrf_token": token, "status": status})
        assert camp.campaign(db, row["id"])["status"] == status
    r = sup.post(f"/campaigns/sms/{row['id']}/status",
                 data={"csrf_token": token, "status": "running"}, follow_redirects=True)
    assert "cannot go to that status" in text(r)
    assert camp.campaign(db, row["id"])["status"] == "stopped"


def test_the_notice_goes_when_a_modem_is_ready(app, db, sup):
    mid = sms.ensure_modem(db, "/dev/ttyUSB0")
    assert "No modem is ready" in text(sup.get("/campaigns/sms/"))
    sms.update_modem(db, mid, state="ready")
    assert "No modem is ready" not in text(sup.get("/campaigns/sms/"))


@pytest.mark.parametrize("changes, message", [
    ({"text": "Hej {miasto}"}, "message text: {miasto} is not a field of every attached list"),
    ({"text": ""}, "message text: 1 to 1600 characters"),
    ({"text": "Hej\x07"}, "control characters are not allowed"),
    ({"window_start": "21:00", "window_end": "20:00"}, "the start must be before the end"),
    ({"weekdays": []}, "choose at least one day of the week"),
    ({"per_modem_per_min": "1000"}, "a whole number from 1 to 60"),
    ({"price_per_part": "free"}, "price per SMS part: a number from 0 to 100"),
    ({"name": "../etc/passwd"}, "1-40 lowercase letters, digits, - and _"),
    ({"name": "a" * 41}, "1-40 lowercase letters, digits, - and _"),
    ({"title": "x\ry"}, "title: at most 80 characters, one line"),
    ({"lists": ["1 OR 1=1"]}, "no such contact list"),
    ({"lists": ["9999"]}, "no such contact list"),
])
def test_a_refused_form_says_why_and_keeps_what_was_typed(app, db, sup, changes, message):
    list_id = make_list(db)
    changes = {"lists": [str(list_id)], **changes}
    r = post(sup, "/campaigns/sms/new", **changes)
    assert r.status_code == 400
    page = text(r)
    assert message in page
    assert 'value="Przypomnienie o płatności"' in page or "title" in changes
    assert db.execute("SELECT count(*) FROM sms_campaigns").fetchone()[0] == 0


def test_polish_refusal_names_the_placeholder_and_an_existing_name(app, db, admin):
    list_id = make_list(db)
    r = post(admin, "/campaigns/sms/new", lists=[str(list_id)], text="Hej {miasto}")
    assert "{miasto} nie jest polem każdej dołączonej listy" in text(r)   # admin: Polish
    assert post(admin, "/campaigns/sms/new", lists=[str(list_id)]).status_code == 302
    r = post(admin, "/campaigns/sms/new", lists=[str(list_id)])
    assert r.status_code == 400 and "kampania SMS o tej nazwie już istnieje" in text(r)
    page = text(admin.get(f"/campaigns/sms/{camp.campaign(db, 'przypomnienie')['id']}/"))
    assert "Odbiorcy" in page and "Szacowany koszt" in page


def test_hostile_text_and_title_are_shown_as_text(app, db, sup):
    list_id = make_list(db)
    r = post(sup, "/campaigns/sms/new", lists=[str(list_id)], title="<b>x</b>",
             text="<script>alert(1)</script> {name}")
    assert r.status_code == 302
    cid = camp.campaign(db, "przypomnienie")["id"]
    for path in (f"/campaigns/sms/{cid}/", "/campaigns/sms/", f"/campaigns/sms/{cid}/edit"):
        body = sup.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<b>x</b>" not in body, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Anna" in sup.get(
        f"/campaigns/sms/{cid}/").get_data(as_text=True)


def test_edit_changes_the_text_and_keeps_the_name(app, db, sup):
    list_id = make_list(db)
    post(sup, "/campaigns/sms/new", lists=[str(list_id)])
    cid = camp.campaign(db, "przypomnienie")["id"]
    page = text(sup.get(f"/campaigns/sms/{cid}/edit"))
    assert "{kwota}" in page and 'value="0.09"' in page and 'data-gsm7="' in page
    r = post(sup, f"/campaigns/sms/{cid}/edit", name="renamed", text="Nowy tekst {name}",
             weekdays=["6", "7"])
    assert r.status_code == 302
    row = camp.campaign(db, cid)
    assert (row["name"], row["text"], row["weekdays"]) == ("przypomnienie", "Nowy tekst {name}",
                                                          "67")


def test_report_page_and_csv_with_a_reply(app, db, sup):
    list_id = make_list(db)
    cid = camp.save_campaign(db, "raport", lists=[list_id], text="Hej {name}",
                             price_per_part=0.1, window_start="00:00", window_end="24:00",
                             weekdays="1234567")
    mid = sms.ensure_modem(db, "/dev/ttyUSB0")
    sms.update_modem(db, mid, state="ready")
    camp.set_status(db, cid, "running")
    camp.feed(db)
    for oid in [r[0] for r in db.execute("SELECT id FROM sms_outbox")]:    # as modemd does
        sms.claim_next(db, mid)
        [part] = sms.store_parts(db, oid, "gsm7", [("00AA", 7)])
        sms.part_sending(db, part["id"], mid)
        sms.part_sent(db, part["id"], mid, oid)
        sms.message_sent(db, oid)
    sms.store_inbound(db, mid, "+48600100201", "=HYPERLINK(\"http://x\")")
    camp.sync(db)
    page = text(sup.get(f"/campaigns/sms/{cid}/report"))
    assert '=HYPERLINK("http://x")' in page and 'id="chart-states"' in page
    assert re.search(r'data-phone="\+48600100203">.*?skipped: do not call', page, re.S)
    r = sup.get(f"/campaigns/sms/{cid}/report.csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="sms-campaign-raport.csv"'
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["phone", "name", "state"]
    by_phone = {row[0]: row for row in rows[1:]}
    assert by_phone["+48600100201"][2] == "sent"
    assert by_phone["+48600100201"][10] == "'=HYPERLINK(\"http://x\")"    # no formula
    assert by_phone["+48600100203"][2] == "skipped: do not call"
    assert len(rows) == 4


def test_every_text_of_the_sms_campaign_pages_has_polish():
    """test_webui's catalogue check reads templates/*.html only; these live one folder down."""
    pattern = re.compile(r"""(?:\b_\(|flash\(|title=|message=)\s*(["'])((?:(?!\1).)+)\1""")
    ids = set()
    for path in list((WEBUI / "templates" / "sms_campaigns").glob("*.html")) + [
            WEBUI / "sms_campaigns.py"]:
        ids |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))
                if "{{" not in m.group(2) and not m.group(2).endswith(":")}
    from appliance.webui import sms_campaigns as view
    ids |= set(camp.ERRORS) | {camp.WHY_DNC, camp.WHY_VANISHED, camp.WHY_CANNOT_SEND}
    ids |= set(view.STATUS_ACTIONS.values()) | set(view.FLASHES.values())
    ids |= {label for _v, label in view.WEEKDAYS}
    ids |= {f"smscamp_state:{s}" for s in camp.MESSAGE_STATES}
    ids |= {f"smscamp_col:{c}" for c in camp.REPORT_COLUMNS}
    ids |= {f"campaign_status:{s}" for s in camp.STATUSES}
    ids |= {"smscamp_encoding:gsm7", "smscamp_encoding:ucs2"}
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, f"no Polish text for: {missing}"
    assert len(ids) > 80


# -- in a real browser ----------------------------------------------------------------------

@pytest.mark.browser
def test_browser_counter_preview_and_start(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): the counter follows the text as
    it is typed (one Polish letter: UCS-2, and which), save, preview, start."""
    from appliance.store import users
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    seed_demo(db)
    list_id = make_list(db)
    users.create_user(db, "admin", "browser-test-password", "admin", lang="en")
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", "browser-test-password")
        page.click("button.primary")
        page.goto(url + "/campaigns/sms/")
        page.click("#new-sms-campaign")
        page.fill("#name", "browser")
        page.select_option("#lists", str(list_id))
        counter = page.locator("#sms-counter")
        page.fill("#text", "a" * 160)
        assert counter.get_attribute("data-encoding") == "gsm7"
        assert "Characters: 160 · SMS parts: 1" in counter.inner_text()
        page.fill("#text", "a" * 161)
        assert "SMS parts: 2" in counter.inner_text()
        page.fill("#text", "Dzień dobry {name}")
        assert counter.get_attribute("data-encoding") == "ucs2"
        assert counter.inner_text().endswith("because of: ń")
        page.click("#save")
        assert re.search(r"/campaigns/sms/\d+/$", page.url), page.url
        cid = int(page.url.rstrip("/").rsplit("/", 1)[1])
        assert page.inner_text("[data-f='recipients'] .value") == "2"
        assert "ń" in page.inner_text("#ucs2-why")
        page.click(f"#start #running-{cid}")
        assert "SMS campaign started." in page.inner_text("main")
        assert camp.campaign(db, cid)["status"] == "running"
        assert not page.console_errors, page.console_errors
