"""The CRM's contact pages (/crm/) through Flask's test client, and one browser test.

Roles: every role searches, opens, creates and edits contacts and writes notes; deleting,
import and export need admin or supervisor (agents 403); custom fields and note templates
are admin pages.  Privacy: agent B gets 404 for agent A's private note through the note's
page, does not see it on the card/timeline or in the screen pop, and cannot edit or delete
it.  Forms: CSRF refused, errors next to the field with the typed values kept.  The import
flow (upload -> mapping -> result with every problem), a broken file with nothing written,
the exports.  In headless Chromium: an agent searches "600 100 200", opens the card, picks
a note template, writes a note, and sees it on the timeline."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from appliance.crm import contacts as C
from appliance.store import users
from appliance.store.config import seed_demo
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text, use_english
from tests.test_webui import ADMIN_PW, login
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

DATA = Path(__file__).parent / "data" / "crm"
SCREENS = Path(__file__).resolve().parents[1] / "build" / "screens"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"), config={"CRM_UPLOADS_DIR": str(tmp_path / "up")})
    app.config["TESTING"] = True
    return app


def agent_client(app, db, name: str, ext: str | None = None):
    users.create_user(db, name, ADMIN_PW, "agent", lang="en", agent=ext)
    c = app.test_client()
    assert login(c, name, ADMIN_PW).status_code == 302
    return c


def uid(db, name: str) -> int:
    return db.execute("SELECT id FROM users WHERE username = ?", [name]).fetchone()[0]


def csrf(client) -> str:
    return csrf_token(client, "/crm/tokens")


@pytest.fixture
def contact(db) -> int:
    return C.create_contact(db, {"name": "Łukasz Żółć", "phones": [("mobile", "+48600100200")],
                                 "emails": [("work", "l@x.pl")], "tags": ["VIP"]})


def test_roles(app, db, admin, contact):
    agent = client_for(app, db, "agent")
    sup = client_for(app, db, "supervisor")
    for path in ("/crm/", f"/crm/{contact}", "/crm/new", f"/crm/{contact}/edit", "/crm/tokens",
                 "/crm/pop?number=600100200"):
        assert agent.get(path).status_code == 200, path
    for path in ("/crm/import", "/crm/export.csv", "/crm/export.vcf", "/crm/fields",
                 "/crm/note-templates"):
        assert agent.get(path).status_code == 403, path
    assert agent.post(f"/crm/{contact}/delete", data={"csrf_token": csrf(agent)}).status_code == 403
    for path in ("/crm/import", "/crm/export.csv", "/crm/export.vcf"):
        assert sup.get(path).status_code == 200, path
    for path in ("/crm/fields", "/crm/note-templates"):
        assert sup.get(path).status_code == 403 and admin.get(path).status_code == 200
    assert app.test_client().get("/crm/").status_code == 302       # to the login page
    assert app.test_client().get("/crm/pop?number=1").status_code == 302
    body = text(agent.get("/crm/"))
    assert 'href="/crm/"' in body            # the CRM link in the navigation
    assert "export.csv" not in body and "export.csv" in text(sup.get("/crm/"))
    assert sup.post(f"/crm/{contact}/delete", data={"csrf_token": csrf(sup)}).status_code == 302
    assert C.get_contact(db, contact) is None


def test_search_and_card(app, db, admin, contact):
    agent = agent_client(app, db, "anna")
    for q in ("600 100 200", "0048600100200", "żółć", "lukasz", "l@x.pl"):
        body = text(agent.get("/crm/", query_string={"q": q}))
        assert "Łukasz Żółć" in body and "Contacts found: 1" in body, q
    assert "No contacts found." in text(agent.get("/crm/?q=nikt"))
    assert "Łukasz Żółć" in text(agent.get("/crm/?tag=VIP"))
    card = text(agent.get(f"/crm/{contact}"))
    assert "+48 600 100 200" in card and "l@x.pl" in card and "VIP" in card
    assert 'data-body="Temat:' in card          # the note templates with their text
    assert "/static/crm.js" in card
    assert agent.get("/crm/99999").status_code == 404


def test_contact_form_errors_keep_values(app, db, admin):
    C.save_field(db, None, "Segment", "choice", "A\nB")
    agent = agent_client(app, db, "anna")
    form = {"csrf_token": csrf(agent), "kind": "person", "name": "Jan Nowak",
            "job_title": "Kierownik", "phone_label": ["mobile", "work"],
            "phone_number": ["600 100 200", "60O"], "email_label": ["work"],
            "email_address": ["jan@example.com"], "tags": "a, b", "field_1": "A"}
    r = agent.post("/crm/new", data=form)
    body = text(r)
    assert r.status_code == 400
    assert re.search(r'id="phones".*phone number \'60O\': only digits', body, re.S)
    assert 'value="Jan Nowak"' in body and 'value="Kierownik"' in body
    assert 'value="600 100 200"' in body and 'value="jan@example.com"' in body
    assert 'value="a, b"' in body
    assert C.search(db, "")[1] == 0
    form["phone_number"] = ["600 100 200", ""]
    r = agent.post("/crm/new", data=form)
    assert r.status_code == 302
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    c = C.get_contact(db, cid)
    assert c["fields"] == {"Segment": "A"} and c["tags"] == ["a", "b"]
    assert agent.post("/crm/new", data={k: v for k, v in form.items()
                                        if k != "csrf_token"}).status_code == 400   # CSRF
    assert C.search(db, "")[1] == 1
    r = agent.post(f"/crm/{cid}/edit", data=dict(form, name="", csrf_token=csrf(agent)))
    assert r.status_code == 400 and "name: enter the contact" in text(r)


def test_private_note_is_only_for_its_author_and_admins(app, db, admin, contact):
    seed_demo(db)                                   # extensions 101 and 102
    a = agent_client(app, db, "anna", "101")
    b = agent_client(app, db, "bartek")
    use_english(admin)
    # the note keeps the call and the author's own extension (a forged one is ignored: it
    # decides which recording the note gets)
    r = a.post(f"/crm/{contact}/notes", data={"csrf_token": csrf(a), "body": "Tajne ustalenia",
                                              "private": "1", "template_id": "1",
                                              "call_id": "1700000000.1", "agent": "102"})
    assert r.status_code == 302
    a.post(f"/crm/{contact}/notes", data={"csrf_token": csrf(a), "body": "Jawna notatka"})
    public, secret = [n["id"] for n in C.visible_notes(db, contact, {"id": uid(db, "anna"),
                                                                     "role": "agent"})]
    row = db.execute("SELECT call_id, agent, template_id FROM crm_notes WHERE id = ?",
                     [secret]).fetchone()
    assert tuple(row) == ("1700000000.1", "101", 1)
    assert "Tajne ustalenia" in text(a.get(f"/crm/{contact}"))
    assert "Tajne ustalenia" in text(admin.get(f"/crm/{contact}"))
    assert "Tajne ustalenia" in text(admin.get(f"/crm/notes/{secret}"))
    card = text(b.get(f"/crm/{contact}"))
    assert "Jawna notatka" in card and "Tajne ustalenia" not in card
    assert b.get(f"/crm/notes/{secret}").status_code == 404
    edit = {"csrf_token": csrf(b), "body": "x"}
    assert b.post(f"/crm/notes/{secret}", data=edit).status_code == 404
    assert b.post(f"/crm/notes/{secret}/delete", data={"csrf_token": csrf(b)}).status_code == 404
    assert b.post(f"/crm/notes/{public}", data=edit).status_code == 404
    pop = b.get("/crm/pop?number=600-100-200").get_json()
    assert [n["body"] for n in pop["contacts"][0]["last_notes"]] == ["Jawna notatka"]
    assert pop["contacts"][0]["url"] == f"/crm/{contact}"
    pop = a.get("/crm/pop?number=+48600100200").get_json()
    assert len(pop["contacts"][0]["last_notes"]) == 2
    assert a.get("/crm/pop?number=111").get_json() == {"contacts": []}
    # the author edits and deletes their own note
    r = a.post(f"/crm/notes/{secret}", data={"csrf_token": csrf(a), "body": "Zmienione"})
    assert r.status_code == 302 and C.get_note(db, secret, {"role": "admin"})["private"] == 0
    assert a.post(f"/crm/notes/{secret}/delete", data={"csrf_token": csrf(a)}).status_code == 302
    assert C.get_note(db, secret, {"role": "admin"}) is None


def test_timeline_plays_recordings_only_for_who_may_hear_them(app, db, admin, contact):
    a = agent_client(app, db, "anna")
    at = 1_790_000_000.0
    rec = db.conn.execute(
        "INSERT INTO recordings (uniqueid, path, started_at, direction, caller, agent) "
        "VALUES ('1790000000.7', '2026/09/21/in-1.wav', ?, 'in', '+48600100200', '101')",
        [at]).lastrowid
    db.conn.execute("INSERT INTO crm_calls (contact_id, callid, direction, number, started_at, "
                    "answered, agent, talk_s, recording) VALUES (?, '1790000000.7', 'in', "
                    "'+48600100200', ?, 1, '101', 95, '2026/09/21/in-1.wav')", [contact, at])
    note = C.add_note(db, contact, {"id": 1, "username": "admin", "role": "admin"}, "Po rozmowie",
                      call_id="1790000000.7")
    db.conn.execute("UPDATE crm_notes SET recording_id = ? WHERE id = ?", [rec, note])
    items = C.timeline(db, contact, {"id": 1, "role": "admin"})
    assert [(i["kind"], i["recording_id"]) for i in items] == [("note", rec), ("call", rec)]
    assert items[0]["recording_path"] == "2026/09/21/in-1.wav"
    body = text(admin.get(f"/crm/{contact}"))
    assert body.count(f'src="/recordings/{rec}/play"') == 2      # the call's and the note's
    assert "+48 600 100 200" in body and "95 s" in body
    body = text(a.get(f"/crm/{contact}"))                         # anna is not agent 101
    assert "Po rozmowie" in body and "/play\"" not in body
    assert a.get(f"/recordings/{rec}/play").status_code == 404


def test_empty_note_is_refused_and_kept(app, db, admin, contact):
    a = agent_client(app, db, "anna")
    r = a.post(f"/crm/{contact}/notes", data={"csrf_token": csrf(a), "body": "  ",
                                              "call_id": "abc.1", "private": "1"})
    body = text(r)
    assert r.status_code == 400 and "note: write something" in body
    assert 'name="call_id" value="abc.1"' in body and 'id="note-private" checked' in body


def test_admin_pages(app, db, admin):
    use_english(admin)
    r = admin.post("/crm/fields", data={"csrf_token": csrf(admin), "name": "Segment",
                                        "kind": "choice", "choices": ""})
    assert r.status_code == 400 and "needs its choices" in text(r) and 'value="Segment"' in text(r)
    r = admin.post("/crm/fields", data={"csrf_token": csrf(admin), "name": "Segment",
                                        "kind": "choice", "choices": "A\nB"})
    assert r.status_code == 302 and C.list_fields(db)[0]["options"] == ["A", "B"]
    r = admin.post("/crm/note-templates", data={"csrf_token": csrf(admin), "name": "Oferta",
                                                "body": "Produkt:", "active": "1"})
    assert r.status_code == 302
    assert "Oferta" in [t["name"] for t in C.note_templates(db)]


def upload(client, name: str, data: bytes, duplicates: str = "skip"):
    return client.post("/crm/import", data={"csrf_token": csrf(client), "duplicates": duplicates,
                                            "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_flow(app, db, admin):
    use_english(admin)
    C.save_field(db, None, "Segment", "choice", "A\nB")
    users.create_user(db, "anna", ADMIN_PW, "agent")
    r = upload(admin, "problems.csv", (DATA / "problems.csv").read_bytes())
    body = text(r)
    assert r.status_code == 200 and 'id="mapping"' in body and "Jan Kowalski" in body
    token = re.search(r'action="/crm/import/([^"]+)"', body).group(1)
    assert re.search(r'id="col_1".*?value="phone" selected', body, re.S)
    assert re.search(r'id="col_4".*?value="field:Segment" selected', body, re.S)
    mapping = {"csrf_token": csrf(admin), "col_0": "name", "col_1": "phone", "col_2": "email",
               "col_3": "owner", "col_4": "field:Segment"}
    other = client_for(app, db, "supervisor")                  # not their upload
    assert other.post(f"/crm/import/{token}", data=dict(mapping, csrf_token=csrf(other))
                      ).status_code == 302
    r = admin.post(f"/crm/import/{token}", data=mapping)
    body = text(r)
    assert "imported 2, merged 0, companies created 0, not imported 6" in body
    for line, reason in ((3, "no name"), (4, "bad phone number"), (5, "bad e-mail"),
                         (6, "unknown owner"), (7, "duplicate of an existing contact"),
                         (8, "bad custom field value")):
        assert re.search(rf'<td class="num">{line}</td><td>{reason}</td>', body), reason
    assert not list((Path(app.config["CRM_UPLOADS_DIR"])).iterdir())    # the upload is gone
    # a broken file: a clear error, nothing written
    before = C.search(db, "")[1]
    for name in ("ragged.csv", "binary.csv", "empty.csv", "no-header.csv"):
        r = upload(admin, name, (DATA / name).read_bytes())
        assert r.status_code == 400 and 'id="import-error"' in text(r), name
    r = upload(admin, "x.pdf", b"%PDF")
    assert r.status_code == 400 and "Upload a CSV, XLSX or vCard" in text(r)
    assert C.search(db, "")[1] == before
    # vCard: imported at once
    r = upload(admin, "telefon.vcf", (DATA / "phone-export-2.1.vcf").read_bytes())
    assert "imported 1" in text(r) and "Paweł Żółć" in text(admin.get("/crm/?q=pawe%C5%82"))


def test_polish_import_page(app, db, admin):
    r = upload(admin, "polish-cp1250.csv", (DATA / "polish-cp1250.csv").read_bytes())
    body = text(r)
    assert "Brzęczyszczykiewicz" in body and "cp1250" in body and "Imię" in body


def test_exports(app, db, admin, contact):
    C.create_contact(db, {"name": "Anna Nowak"})
    r = admin.get("/crm/export.csv?q=żółć&sep=;")
    data = r.get_data(as_text=True)
    assert r.mimetype == "text/csv" and data.startswith("\ufeffName;")
    rows = list(csv.reader(io.StringIO(data[1:]), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Łukasz Żółć"]
    r = admin.get("/crm/export.vcf")
    assert r.get_data(as_text=True).count("BEGIN:VCARD") == 2
    assert "attachment" in r.headers["Content-Disposition"]


def test_tokens_page(app, db, admin):
    a = agent_client(app, db, "anna")
    r = a.post("/crm/tokens", data={"csrf_token": csrf(a), "label": "integracja"})
    token = re.search(r'<code id="new-token">([^<]+)</code>', text(r)).group(1)
    assert C.user_by_token(db, token)["username"] == "anna"
    assert token not in text(a.get("/crm/tokens"))        # shown once
    tid = C.list_tokens(db, uid(db, "anna"))[0]["id"]
    b = agent_client(app, db, "bartek")
    assert b.post(f"/crm/tokens/{tid}/delete", data={"csrf_token": csrf(b)}).status_code == 404
    assert a.post(f"/crm/tokens/{tid}/delete", data={"csrf_token": csrf(a)}).status_code == 302
    assert C.user_by_token(db, token) is None


# -- in a real browser ----------------------------------------------------------------------

@pytest.mark.browser
def test_browser_agent_writes_a_templated_note(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): an agent searches the number
    typed as "600 100 200", opens the card, picks a note template (its text fills the
    note), writes the note, and sees it on the timeline."""
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    seed_demo(db)
    users.create_user(db, "admin", ADMIN_PW, "admin", lang="en")
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="pl")
    C.create_contact(db, {"name": "Łukasz Żółć", "phones": [("mobile", "+48600100200")]})
    C.create_contact(db, {"name": "Inny Klient", "phones": [("mobile", "+48601000000")]})
    db.conn.close()
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "anna")
        page.fill("#password", ADMIN_PW)
        page.click("button.primary")
        page.click("nav >> text=CRM")
        page.fill("#q", "600 100 200")
        page.click("#search-button")
        rows = page.locator("#contacts tbody tr")
        assert rows.count() == 1
        rows.first.locator("a").first.click()
        assert page.locator("#contact-name").inner_text().startswith("Łukasz Żółć")
        page.select_option("#note-template", label="Rozmowa")
        assert page.locator("#note-body").input_value().startswith("Temat:")
        page.locator("#note-body").press("End")
        page.locator("#note-body").type(" oferta na łącza")
        page.click("#save-note")
        timeline = page.locator("#timeline")
        timeline.wait_for()
        assert "oferta na łącza" in timeline.inner_text()
        assert "Rozmowa" in timeline.inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "crm-card.png"), full_page=True)
        assert not page.console_errors, page.console_errors


def test_errors_in_polish(app, db, admin):
    users.create_user(db, "ola", ADMIN_PW, "agent", lang="pl")
    ola = app.test_client()
    assert login(ola, "ola", ADMIN_PW).status_code == 302
    r = ola.post("/crm/new", data={"csrf_token": csrf(ola), "name": "Jan",
                                   "phone_label": ["mobile"], "phone_number": ["60O"],
                                   "email_label": ["work"], "email_address": ["jan@@x"]})
    assert r.status_code == 400
    assert "Numer telefonu '60O': tylko cyfry, spacje oraz + - ( ) . /." in text(r)
    r = upload(admin, "ragged.csv", (DATA / "ragged.csv").read_bytes())
    assert "Wiersze z większą liczbą kolumn niż nagłówek (wiersze 3)" in text(r)
    r = upload(admin, "problems.csv", (DATA / "problems.csv").read_bytes())
    assert "Opiekun (nazwa użytkownika)" in text(r)
