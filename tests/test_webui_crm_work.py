"""The CRM's e-mail/SMS forms, project pages and files in the panel (CRM-2, CRM-3).

Through Flask's test client with logged-in users and CSRF: an e-mail from a template
reaches a real SMTP server on this machine; with the server down the form says why and the
contact's history keeps the failed message; a header-injection attempt is refused with
the typed text kept; an SMS queued from the form is played through the modem service's
store functions and shows as delivered on the card; a project page adds up manual time
and calls, exports CSV and keeps a refused entry's values; files: upload, download headers,
a private file is a 404 to another agent guessing its URL, an .exe renamed .pdf and a too
big file are refused with a clear message; roles (templates and settings: admin only)."""
from __future__ import annotations

import io
import re
import time

import pytest

from appliance.crm import contacts, messages
from appliance.store import alerts, sms, users
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text, use_english
from tests.test_crm_work import EXE, PDF, dead_port, play_modem
from tests.test_webui import ADMIN_PW, login


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"), config={"CRM_FILES_DIR": str(tmp_path / "files")})
    app.config["TESTING"] = True
    return app


@pytest.fixture
def kowalski(db) -> int:
    return contacts.create_contact(db, {
        "name": "Jan Kowalski", "phones": [("mobile", "+48 600 100 200")],
        "emails": [("work", "jan@example.com")]})


def english(client):
    use_english(client)
    return client


@pytest.fixture
def anna(app, db, admin):
    return english(client_for(app, db, "agent"))      # user "agent1"


@pytest.fixture
def bob(app, db, admin):
    users.create_user(db, "bob", ADMIN_PW, "agent")
    c = app.test_client()
    assert login(c, "bob", ADMIN_PW).status_code == 302
    return english(c)


def tok(client) -> str:
    return csrf_token(client, "/")


def post(client, path, **data):
    return client.post(path, data={"csrf_token": tok(client), **data})


def upload(client, path, data: bytes, name: str, **fields):
    return client.post(path, data={"csrf_token": tok(client), "file": (io.BytesIO(data), name),
                                   **fields}, content_type="multipart/form-data")


def flashed(client) -> str:
    return text(client.get("/"))


# -- roles -----------------------------------------------------------------------------------

def test_roles_and_csrf(app, db, admin, anna, kowalski):
    for path in (f"/crm/{kowalski}/email", f"/crm/{kowalski}/sms"):
        assert anna.get(path).status_code == 200
        r = app.test_client().get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert anna.get("/crm/999/email").status_code == 404
    assert anna.get("/crm/projects/999").status_code == 404
    assert anna.get("/crm/message-templates").status_code == 403
    assert post(anna, "/crm/message-templates", channel="sms", name="x",
                body="y").status_code == 403
    assert post(anna, "/crm/message-templates/settings", file_max_mb="50").status_code == 403
    assert admin.get("/crm/message-templates").status_code == 200
    r = anna.post(f"/crm/{kowalski}/sms", data={"number": "+48600100200", "body": "x"})
    assert r.status_code == 400 and not sms.outbox(db)
    r = anna.post(f"/crm/{kowalski}/files", data={"file": (io.BytesIO(PDF), "a.pdf")},
                  content_type="multipart/form-data")
    assert r.status_code == 400
    assert db.execute("SELECT count(*) FROM crm_files").fetchone()[0] == 0


# -- e-mail ----------------------------------------------------------------------------------

def test_templated_email_from_the_form_reaches_the_server(db, admin, anna, kowalski, sink):
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none")
    english(admin)
    r = post(admin, "/crm/message-templates", channel="email", name="Oferta",
             subject="Oferta dla {name}", body="Dzień dobry {name},\npozdrawia {agent}. {rabat}")
    assert r.status_code == 302
    [tpl] = messages.message_templates(db)
    r = post(admin, "/crm/message-templates", channel="email", name="Oferta", body="again")
    assert r.status_code == 400 and "already exists" in text(r) and "again" in text(r)
    page = text(anna.get(f"/crm/{kowalski}/email?template={tpl['id']}"))
    assert 'value="Oferta dla Jan Kowalski"' in page
    assert "Dzień dobry Jan Kowalski,\npozdrawia agent1. {rabat}" in page
    assert "left as they are: {rabat}" in page and 'value="jan@example.com"' in page
    r = post(anna, f"/crm/{kowalski}/email", address="jan@example.com", template=tpl["id"],
             subject="Oferta dla Jan Kowalski", body="Dzień dobry {name}, tu {agent}.")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/{kowalski}")
    [mail] = sink.wait(1)
    assert mail["To"] == "jan@example.com" and mail["Subject"] == "Oferta dla Jan Kowalski"
    assert mail.get_content().strip() == "Dzień dobry Jan Kowalski, tu agent1."
    assert "E-mail sent to jan@example.com." in flashed(anna)
    card = text(anna.get(f"/crm/{kowalski}"))
    assert "Oferta dla Jan Kowalski" in card


def test_smtp_down_shows_the_reason_and_keeps_the_failure(db, anna, kowalski):
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=dead_port(),
                                smtp_security="none")
    r = post(anna, f"/crm/{kowalski}/email", address="jan@example.com", subject="Faktura",
             body="W załączeniu faktura.")
    page = text(r)
    assert r.status_code == 502 and 'id="send-failed"' in page
    assert "did not take the e-mail: ConnectionRefusedError" in page
    assert "W załączeniu faktura." in page and 'value="Faktura"' in page   # nothing lost
    assert re.search(r'id="message-\d+">.*?failed: ConnectionRefusedError', page, re.S)
    [row] = messages.contact_messages(db, kowalski)
    assert row["status"] == "failed"


def test_header_injection_and_unknown_address_are_refused_in_the_form(db, anna, kowalski,
                                                                      sink):
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none")
    r = post(anna, f"/crm/{kowalski}/email", address="jan@example.com",
             subject="Hej\r\nBcc: spy@evil.example", body="Tekst, który zostaje")
    assert r.status_code == 400 and "the subject must be one line" in text(r)
    assert "Tekst, który zostaje" in text(r)
    r = post(anna, f"/crm/{kowalski}/email", address="jan@example.com\nBcc: spy@evil.example",
             subject="Hej", body="x", save="1")
    assert r.status_code == 400 and "not an e-mail address" in text(r)
    r = post(anna, f"/crm/{kowalski}/email", address="nowy@example.com", subject="Hej", body="x")
    assert r.status_code == 400 and "not one of the contact's" in text(r)
    assert db.execute("SELECT count(*) FROM crm_messages").fetchone()[0] == 0
    r = post(anna, f"/crm/{kowalski}/email", address="nowy@example.com", subject="Hej",
             body="x", save="1")
    assert r.status_code == 302 and sink.wait(1)[0]["To"] == "nowy@example.com"


def test_no_smtp_server_is_said_on_the_form(db, anna, kowalski):
    page = text(anna.get(f"/crm/{kowalski}/email"))
    assert "No SMTP server is set yet" in page
    r = post(anna, f"/crm/{kowalski}/email", address="jan@example.com", subject="a", body="b")
    assert r.status_code == 400 and "no SMTP server is set" in text(r)


# -- SMS -------------------------------------------------------------------------------------

def test_sms_from_the_form_is_delivered_on_the_timeline(db, anna, kowalski):
    r = post(anna, f"/crm/{kowalski}/sms", number="600 100 200",
             body="Dzień dobry {name}, paczka jutro.")
    assert r.status_code == 302
    [out] = sms.outbox(db)
    assert out["purpose"] == "crm" and out["text"] == "Dzień dobry Jan Kowalski, paczka jutro."
    page = text(anna.get(f"/crm/{kowalski}/sms"))
    assert re.search(r'class="status-queued">queued<', page)
    modem = sms.ensure_modem(db, "/dev/ttyUSB2")
    play_modem(db, modem)
    sms.match_report(db, modem, 42, delivered=True, final=True, status=0)
    card = text(anna.get(f"/crm/{kowalski}"))     # the card's timeline reads crm_messages
    assert re.search(r"SMS</strong>\s*→\s*\+48600100200 · delivered", card)
    page = text(anna.get(f"/crm/{kowalski}/sms"))
    assert re.search(r'class="status-delivered">delivered<', page)
    r = post(anna, f"/crm/{kowalski}/sms", number="601 000 000", body="Obcy numer")
    assert r.status_code == 400 and "not one of the contact's" in text(r)
    assert "Obcy numer" in text(r)


def test_incoming_sms_shows_on_the_card(db, anna, kowalski):
    sms.store_inbound(db, None, "0048600100200", "Proszę oddzwonić", sent_at="x")
    assert messages.take_inbound_sms(db) == 1
    card = text(anna.get(f"/crm/{kowalski}"))
    assert "Proszę oddzwonić" in card


# -- projects and time -----------------------------------------------------------------------

def test_project_page_adds_calls_and_manual_time(db, anna, bob, kowalski):
    r = post(anna, f"/crm/{kowalski}/projects", name="Wdrożenie")
    assert r.status_code == 302
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    db.execute("UPDATE crm_projects SET started_at = started_at - 600")
    db.execute("INSERT INTO crm_calls (contact_id, callid, direction, number, started_at, "
               "answered, agent, talk_s) VALUES (?, 'c1', 'in', '+48600100200', ?, 1, '101', "
               "125)", [kowalski, time.time() - 60])
    r = post(anna, f"/crm/projects/{pid}/time", day="2026-11-20", minutes="1:30", note="analiza")
    assert r.status_code == 302
    r = post(anna, f"/crm/projects/{pid}/time", day="2026-11-21", minutes="półtorej",
             note="zostaje")
    page = text(r)
    assert r.status_code == 400 and "minutes (90) or hours:minutes (1:30)" in page
    assert 'value="półtorej"' in page and 'value="zostaje"' in page
    assert 'value="2026-11-21"' in page
    page = text(anna.get(f"/crm/projects/{pid}"))
    assert 'id="total">1:33<' in page and 'id="calls-total">0:03<' in page
    assert 'id="manual-total">1:30<' in page and '<svg id="by-user"' in page
    card = text(anna.get(f"/crm/{kowalski}"))
    assert re.search(rf'id="project-{pid}">.*?Wdrożenie.*?1:33', card, re.S)
    r = anna.get(f"/crm/projects/{pid}/time.csv")
    body = r.get_data().decode("utf-8-sig")
    assert r.mimetype == "text/csv" and "manual;2026-11-20;agent1;90;analiza" in body
    assert "call;" in body
    [entry] = db.execute("SELECT id FROM crm_time_entries").fetchall()
    assert post(bob, f"/crm/time/{entry[0]}/delete").status_code == 403
    assert post(anna, f"/crm/projects/{pid}/close").status_code == 302
    assert "(closed)" in text(anna.get(f"/crm/projects/{pid}"))
    assert post(anna, f"/crm/projects/{pid}/rename", name="").status_code == 400
    assert post(anna, f"/crm/projects/{pid}/rename", name="Faza 2").status_code == 302
    assert post(anna, f"/crm/projects/{pid}/reopen").status_code == 302
    assert "Faza 2 <span class=\"muted\">(open)" in text(anna.get(f"/crm/projects/{pid}"))
    assert post(anna, f"/crm/time/{entry[0]}/delete").status_code == 302


# -- files -----------------------------------------------------------------------------------

def test_files_upload_download_privacy_and_delete(app, db, admin, anna, bob, kowalski):
    sup = english(client_for(app, db, "supervisor"))
    r = upload(anna, f"/crm/{kowalski}/files", PDF, "Umowa 2026.pdf", next=f"/crm/{kowalski}")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/crm/{kowalski}")
    r = upload(anna, f"/crm/{kowalski}/files", PDF, "tajne.pdf", private="1")
    assert r.status_code == 303
    public, secret = [row[0] for row in db.execute("SELECT id FROM crm_files ORDER BY id")]
    r = bob.get(f"/crm/files/{public}")
    assert r.status_code == 200 and r.get_data() == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "Umowa 2026.pdf" in r.headers["Content-Disposition"]
    assert bob.get(f"/crm/files/{secret}").status_code == 404      # guessing the URL
    assert sup.get(f"/crm/files/{secret}").status_code == 404
    assert bob.get("/crm/files/9999").status_code == 404
    assert anna.get(f"/crm/files/{secret}").status_code == 200
    assert admin.get(f"/crm/files/{secret}").status_code == 200
    card = text(bob.get(f"/crm/{kowalski}"))
    assert "Umowa 2026.pdf" in card and "tajne.pdf" not in card
    assert "tajne.pdf" in text(anna.get(f"/crm/{kowalski}"))
    assert post(bob, f"/crm/files/{secret}/delete").status_code == 404
    assert post(bob, f"/crm/files/{public}/delete").status_code == 403
    assert post(sup, f"/crm/files/{public}/delete").status_code == 302
    assert bob.get(f"/crm/files/{public}").status_code == 404


def test_wrong_type_and_too_big_files_are_refused(db, admin, anna, kowalski, tmp_path):
    r = upload(anna, f"/crm/{kowalski}/files", EXE, "faktura.pdf")
    assert r.status_code == 303
    assert "File not uploaded: the file's content does not match its extension .pdf" in \
        flashed(anna)
    upload(anna, f"/crm/{kowalski}/files", PDF, "program.exe")
    assert "this type of file is not accepted" in flashed(anna)
    english(admin)
    r = post(admin, "/crm/message-templates/settings", file_max_mb="500")
    assert r.status_code == 400 and "1 to 100 MB" in text(r) and 'value="500"' in text(r)
    assert post(admin, "/crm/message-templates/settings", file_max_mb="1").status_code == 302
    r = upload(anna, f"/crm/{kowalski}/files", PDF + b"x" * (1024 * 1024 + 100), "duży.pdf")
    assert r.status_code == 303 and "the file is larger than 1 MB" in flashed(anna)
    r = upload(anna, f"/crm/{kowalski}/files", PDF + b"x" * (900 * 1024), "spory.pdf")
    assert r.status_code == 303 and "File spory.pdf uploaded." in flashed(anna)
    assert [r[0] for r in db.execute("SELECT name FROM crm_files")] == ["spory.pdf"]
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [
        db.execute("SELECT stored FROM crm_files").fetchone()[0]]


def test_project_files_and_polish_pages(db, anna, kowalski):
    r = post(anna, f"/crm/{kowalski}/projects", name="Serwis")
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    r = upload(anna, f"/crm/projects/{pid}/files", b"a;b\n1;2\n", "dane.csv")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/crm/projects/{pid}")
    page = text(anna.get(f"/crm/projects/{pid}"))
    assert "dane.csv" in page
    anna.post("/lang", data={"csrf_token": tok(anna), "lang": "pl"})
    page = text(anna.get(f"/crm/projects/{pid}"))
    assert "Dodaj czas" in page and "Wpisy czasu" in page and "(otwarty)" in page
    assert "Wyślij e-mail" in text(anna.get(f"/crm/{kowalski}"))
