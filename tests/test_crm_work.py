"""The CRM's e-mail, SMS, projects with time and files (CRM-2, CRM-3), without the panel.

E-mail goes to a real SMTP server on this machine (the watchdog tests' sink) and, with the
server down, is recorded as failed with the reason; SMS go into the modem service's outbox
and the store.sms functions play the modem service (claim, parts, +CMGS, delivery report);
received SMS land on every contact with that number, whatever its format; project time is
manual entries plus the calls with the contact; files are checked by content and extension
and kept private."""
from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import zipfile

import pytest

from appliance.crm import contacts, messages, projects
from appliance.store import alerts, sms
from appliance.store.db import StoreError, open_db
from tests.conftest import acting_user as user



@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "box.db")


@pytest.fixture
def anna(db):
    return user(db, "anna")


@pytest.fixture
def kowalski(db) -> int:
    company = contacts.create_contact(db, {"name": "Hurtownia Zając", "kind": "company"})
    return contacts.create_contact(db, {
        "name": "Jan Kowalski", "company_id": company,
        "phones": [("mobile", "+48 600 100 200")], "emails": [("work", "jan@example.com")]})


def smtp_to(db, port: int) -> None:
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=port,
                                smtp_security="none", mail_from="crm@box.example")


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(db, sql, args=()):
    return db.execute(sql, list(args)).fetchall()


# -- e-mail ----------------------------------------------------------------------------------

def test_templated_email_reaches_the_smtp_server(db, sink, anna, kowalski):
    smtp_to(db, sink.port)
    tpl = messages.save_message_template(
        db, channel="email", name="Oferta", subject="Oferta dla {company}",
        body="Dzień dobry {name},\nw załączeniu oferta z {date}.\n{agent}\n{nieznane}")
    filled = messages.use_template(db, tpl, kowalski, anna)
    assert filled["subject"] == "Oferta dla Hurtownia Zając"
    assert filled["body"].startswith("Dzień dobry Jan Kowalski,")
    assert time.strftime("%Y-%m-%d") in filled["body"] and "\nanna\n" in filled["body"]
    assert filled["unknown"] == ["nieznane"] and filled["body"].endswith("{nieznane}")
    msg = messages.send_email_to_contact(db, anna, kowalski, "jan@example.com", "", "",
                                         template_id=tpl)
    assert msg["status"] == "sent" and msg["error"] == "" and msg["user"] == "anna"
    [mail] = sink.wait(1)
    assert mail["To"] == "jan@example.com" and mail["From"] == "crm@box.example"
    assert mail["Subject"] == "Oferta dla Hurtownia Zając"
    assert "Dzień dobry Jan Kowalski," in mail.get_content()
    assert "{nieznane}" in mail.get_content()     # left visible, reported, never a crash
    assert messages.contact_messages(db, kowalski)[0]["subject"] == "Oferta dla Hurtownia Zając"


def test_smtp_down_is_a_failed_message_with_the_reason(db, anna, kowalski):
    smtp_to(db, dead_port())
    msg = messages.send_email_to_contact(db, anna, kowalski, "jan@example.com", "Hej",
                                         "Treść", timeout=3)
    assert msg["status"] == "failed" and "ConnectionRefusedError" in msg["error"]
    [row] = messages.contact_messages(db, kowalski)
    assert row["status"] == "failed" and row["error"] == msg["error"]


def test_header_injection_and_bad_addresses_are_refused(db, sink, anna, kowalski):
    smtp_to(db, sink.port)
    for address, subject in (("jan@example.com", "Hej\r\nBcc: spy@evil.example"),
                             ("jan@example.com", "Hej\nBcc: spy@evil.example"),
                             ("jan@example.com\r\nBcc: spy@evil.example", "Hej"),
                             ("jan@example.com, spy@evil.example", "Hej"),
                             ("Jan <jan@example.com>", "Hej"),
                             ("not-an-address", "Hej")):
        with pytest.raises(StoreError):
            messages.send_email_to_contact(db, anna, kowalski, address, subject, "x",
                                           save_address=True)
    with pytest.raises(StoreError, match="not one of the contact's"):
        messages.send_email_to_contact(db, anna, kowalski, "other@example.com", "Hej", "x")
    assert rows(db, "SELECT count(*) FROM crm_messages") == [(0,)]
    assert messages.contact_addresses(db, kowalski) == ["jan@example.com"]
    msg = messages.send_email_to_contact(db, anna, kowalski, "other@example.com", "Hej", "x",
                                         save_address=True)
    assert msg["status"] == "sent" and sink.wait(1)[0]["To"] == "other@example.com"
    assert messages.contact_addresses(db, kowalski) == ["jan@example.com", "other@example.com"]


def test_no_smtp_server_set_writes_nothing(db, anna, kowalski):
    with pytest.raises(StoreError, match="no SMTP server"):
        messages.send_email_to_contact(db, anna, kowalski, "jan@example.com", "Hej", "x")
    assert rows(db, "SELECT count(*) FROM crm_messages") == [(0,)]


def test_message_templates_crud(db):
    tid = messages.save_message_template(db, channel="sms", name="Przypomnienie",
                                         subject="ignored", body="Dzień dobry {name}")
    assert messages.message_template(db, tid)["subject"] == ""
    with pytest.raises(StoreError, match="already exists"):
        messages.save_message_template(db, channel="sms", name="Przypomnienie", body="x")
    messages.save_message_template(db, channel="email", name="Przypomnienie", body="x",
                                   subject="S")     # the same name on the other channel
    with pytest.raises(StoreError, match="one line"):
        messages.save_message_template(db, channel="email", name="Zła", body="x",
                                       subject="a\nb")
    messages.save_message_template(db, template_id=tid, channel="sms", name="Przyp.",
                                   body="{name} {")
    assert [t["name"] for t in messages.message_templates(db, "sms")] == ["Przyp."]
    assert messages.fill("{name} { {x} {{", {"name": "A"}) == ("A { {x} {{", ["x"])
    messages.delete_message_template(db, tid)
    assert messages.message_template(db, tid) is None


# -- SMS -------------------------------------------------------------------------------------

def play_modem(db, modem_id: int, *, delivered: bool = True) -> int:
    """What the modem service does with one queued message: claim, encode, +CMGS, report."""
    job = sms.claim_next(db, modem_id)
    [part] = sms.store_parts(db, job["id"], "gsm7", [("0011000B916000", 20)])
    sms.part_sending(db, part["id"], modem_id)
    sms.part_sent(db, part["id"], modem_id, mr=42)
    sms.message_sent(db, job["id"])
    return job["id"]


def test_sms_is_queued_and_its_delivery_report_reaches_the_timeline(db, anna, kowalski):
    msg = messages.send_sms_to_contact(db, anna, kowalski, "600-100-200",
                                       "Dzień dobry {name}, kurier będzie jutro.")
    assert msg["status"] == "queued" and msg["address"] == "+48600100200"
    [out] = sms.outbox(db)
    assert (out["id"], out["purpose"], out["number"]) == (msg["sms_outbox_id"], "crm",
                                                          "+48600100200")
    assert out["text"] == "Dzień dobry Jan Kowalski, kurier będzie jutro."
    modem = sms.ensure_modem(db, "/dev/ttyUSB2")
    play_modem(db, modem)
    assert messages.contact_messages(db, kowalski)[0]["status"] == "sent"
    assert sms.match_report(db, modem, 42, delivered=True, final=True, status=0) == out["id"]
    assert messages.sync_sms_status(db) == 1
    assert rows(db, "SELECT status FROM crm_messages") == [("delivered",)]
    assert messages.sync_sms_status(db) == 0      # nothing left to copy


def test_sms_undeliverable_is_failed_with_the_networks_reason(db, anna, kowalski):
    messages.send_sms_to_contact(db, anna, kowalski, "+48600100200", "Hej")
    modem = sms.ensure_modem(db, "/dev/ttyUSB2")
    play_modem(db, modem)
    sms.match_report(db, modem, 42, delivered=False, final=True, status=70)
    [row] = messages.contact_messages(db, kowalski)
    assert row["status"] == "failed" and "report status 70" in row["error"]


def test_sms_number_must_be_the_contacts_or_saved(db, anna, kowalski):
    with pytest.raises(StoreError, match="not one of the contact's"):
        messages.send_sms_to_contact(db, anna, kowalski, "601 000 000", "Hej")
    with pytest.raises(StoreError):
        messages.send_sms_to_contact(db, anna, kowalski, "+48600100200", "")
    with pytest.raises(StoreError):
        messages.send_sms_to_contact(db, anna, kowalski, "abc", "Hej", save_number=True)
    assert rows(db, "SELECT count(*) FROM sms_outbox") == [(0,)]
    messages.send_sms_to_contact(db, anna, kowalski, "601 000 000", "Hej", save_number=True)
    assert "+48601000000" in messages.contact_numbers(db, kowalski)


def test_incoming_sms_lands_on_every_contact_with_that_number(db, kowalski):
    other = contacts.create_contact(db, {"name": "Anna Kowalska",
                                         "phones": [("home", "0048 600 100 200")]})
    stranger = contacts.create_contact(db, {"name": "Obcy", "phones": [("", "+48 511 222 333")]})
    modem = sms.ensure_modem(db, "/dev/ttyUSB2")
    ids = [sms.store_inbound(db, modem, sender, text, sent_at=f"26/11/2{i}")
           for i, (sender, text) in enumerate([("+48600100200", "Proszę o kontakt"),
                                               ("600100200", "Drugi"),
                                               ("0048600100200", "Trzeci"),
                                               ("+48700700700", "Nieznany"),
                                               ("Orange", "Reklama")])]
    sms.store_inbound(db, modem, "+48511222333", "część 1", concat=(7, 2, 1))   # waits
    assert messages.take_inbound_sms(db) == 6          # three messages x two contacts
    assert messages.take_inbound_sms(db) == 0
    for contact in (kowalski, other):
        got = messages.contact_messages(db, contact)
        assert sorted(m["body"] for m in got) == ["Drugi", "Proszę o kontakt", "Trzeci"]
        assert {(m["direction"], m["status"], m["channel"]) for m in got} == {
            ("in", "received", "sms")}
    assert messages.contact_messages(db, stranger) == []
    sms.store_inbound(db, modem, "+48511222333", "część 2", concat=(7, 2, 2))
    assert messages.take_inbound_sms(db) == 1
    assert [m["body"] for m in messages.contact_messages(db, stranger)] == ["część 1część 2"]
    db.execute("DELETE FROM settings WHERE key = 'crm.sms_inbox_seen'")
    assert messages.take_inbound_sms(db) == 0          # idempotent even without the mark
    assert max(ids) < int(db.execute("SELECT value FROM settings WHERE key = "
                                     "'crm.sms_inbox_seen'").fetchone()[0]) + 1


# -- projects and time -----------------------------------------------------------------------

def call(db, contact_id: int, callid: str, at: float, talk_s: int, agent: str = "101"):
    db.execute("INSERT INTO crm_calls (contact_id, callid, direction, number, started_at, "
               "answered, agent, talk_s) VALUES (?, ?, 'in', '+48600100200', ?, ?, ?, ?)",
               [contact_id, callid, at, int(talk_s > 0), agent, talk_s])


def test_project_time_is_manual_entries_plus_calls(db, anna, kowalski):
    boss = user(db, "szef", "supervisor")
    db.execute("INSERT INTO agents (extension, name, secret) VALUES ('101', 'Anna N.', 'x')")
    db.execute("UPDATE users SET agent_id = (SELECT id FROM agents WHERE extension = '101') "
               "WHERE username = 'anna'")
    start = time.time() - 7200
    pid = projects.create_project(db, anna, kowalski, " Wdrożenie ", started_at=start)
    call(db, kowalski, "c0", start - 60, 600)            # before the project: not counted
    call(db, kowalski, "c1", start + 10, 61)             # 2 min (rounded up per call)
    call(db, kowalski, "c2", start + 200, 0)             # unanswered
    call(db, kowalski, "c3", start + 400, 120, "102")    # 2 min, agent without a user
    projects.add_time(db, anna, pid, "2026-11-20", "1:30", "analiza")
    projects.add_time(db, boss, pid, None, "45", "")
    t = projects.project_time(db, pid)
    assert (t["manual_min"], t["calls_min"], t["total_min"]) == (135, 4, 139)
    assert t["by_user"] == {"anna": {"manual_min": 90, "calls_min": 2, "total_min": 92},
                            "szef": {"manual_min": 45, "calls_min": 0, "total_min": 45},
                            "ext. 102": {"manual_min": 0, "calls_min": 2, "total_min": 2}}
    assert [c["callid"] for c in t["calls"]] == ["c1", "c3"]
    projects.close_project(db, anna, pid)
    call(db, kowalski, "c4", time.time() + 5, 300)       # after the end: not counted
    assert projects.project_time(db, pid, now=time.time() + 60)["calls_min"] == 4
    projects.reopen_project(db, anna, pid)
    assert projects.project_time(db, pid, now=time.time() + 600)["calls_min"] == 9
    assert projects.project(db, pid)["name"] == "Wdrożenie"
    [listed] = projects.contact_projects(db, kowalski)
    assert listed["status"] == "open" and listed["total_min"] >= 139
    csv_text = projects.time_csv(db, pid)
    assert "manual;2026-11-20;anna;90;analiza" in csv_text and "call;" in csv_text


@pytest.mark.parametrize("text,minutes", [("90", 90), ("1:30", 90), ("1h30", 90),
                                          ("1,5h", 90), ("2h", 120), ("45 min", 45),
                                          ("0:05", 5), ("24:00", 1440)])
def test_minutes_are_parsed(text, minutes):
    assert projects.parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "0", "abc", "1:75", "25:00", "-5", "1441"])
def test_bad_minutes_are_refused(text):
    with pytest.raises(StoreError, match="hours:minutes"):
        projects.parse_minutes(text)


def test_time_entries_are_deleted_by_their_author_or_a_boss(db, anna, kowalski):
    bob, boss = user(db, "bob"), user(db, "szef", "supervisor")
    pid = projects.create_project(db, anna, kowalski, "P")
    mine = projects.add_time(db, anna, pid, "2026-11-02", 30)
    with pytest.raises(PermissionError):
        projects.delete_time(db, bob, mine)
    assert projects.delete_time(db, anna, mine) == pid
    theirs = projects.add_time(db, bob, pid, "2026-11-02", 30)
    assert projects.delete_time(db, boss, theirs) == pid
    assert projects.delete_time(db, boss, theirs) is None
    with pytest.raises(StoreError, match="date"):
        projects.add_time(db, anna, pid, "2026-02-30", 30)
    with pytest.raises(StoreError, match="name"):
        projects.create_project(db, anna, kowalski, "  ")


# -- files -----------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def ooxml(kind: str = "word") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        main = ("wordprocessingml.document.main" if kind == "word"
                else "spreadsheetml.sheet.main")
        zf.writestr("[Content_Types].xml",
                    f'<Types><Override PartName="/x" ContentType="application/vnd.'
                    f'openxmlformats-officedocument.{main}+xml"/></Types>')
        zf.writestr("word/document.xml", "<w/>")
    return buf.getvalue()


def odf(mime: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", mime)
        zf.writestr("content.xml", "<x/>")
    return buf.getvalue()


def put(db, who, folder, data: bytes, name: str, **kw) -> int:
    return projects.store_file(db, who, folder, io.BytesIO(data), name, **kw)


def test_files_are_checked_by_content_and_extension(db, anna, kowalski, tmp_path):
    folder = tmp_path / "crm-files"
    good = {"umowa.pdf": PDF, "a.png": b"\x89PNG\r\n\x1a\n....", "b.JPG": b"\xff\xd8\xff\xe0..",
            "c.gif": b"GIF89a...", "notatka.txt": "zażółć gęślą jaźń\n".encode("cp1250"),
            "lista.csv": b"a;b\n1;2\n", "list.eml": b"Return-Path: <a@b.pl>\r\nFrom: a@b.pl\r\n"
            b"\r\nbody\r\n", "d.docx": ooxml("word"), "e.xlsx": ooxml("sheet"),
            "f.odt": odf("application/vnd.oasis.opendocument.text"),
            "g.ods": odf("application/vnd.oasis.opendocument.spreadsheet")}
    for name, data in good.items():
        fid = put(db, anna, folder, data, name, contact_id=kowalski)
        row = projects.file_for(db, anna, fid)
        assert row["size"] == len(data) and row["name"] == name
        assert (folder / row["stored"]).read_bytes() == data
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert projects.file_for(db, anna, put(db, anna, folder, PDF, "x.pdf",
                                           contact_id=kowalski))["mime"] == "application/pdf"
    bad = {"setup.pdf": EXE, "setup.txt": EXE, "setup.exe": EXE, "a.png": PDF,
           "x.docx": odf("application/vnd.oasis.opendocument.text"),
           "y.odt": ooxml("word"), "z.xlsx": ooxml("word"), "zip.docx": b"PK\x03\x04broken",
           "plain.eml": b"just text\n", "noext": PDF, "script.sh": b"#!/bin/sh\n"}
    before = sorted(os.listdir(folder))
    for name, data in bad.items():
        with pytest.raises(StoreError) as err:
            put(db, anna, folder, data, name, contact_id=kowalski)
        assert "not accepted" in str(err.value) or "does not match" in str(err.value), name
    with pytest.raises(StoreError, match="empty"):
        put(db, anna, folder, b"", "pusty.txt", contact_id=kowalski)
    assert sorted(os.listdir(folder)) == before          # no temp file left behind
    assert rows(db, "SELECT count(*) FROM crm_files") == [(len(good) + 1,)]


def test_too_big_a_file_is_refused(db, anna, kowalski, tmp_path):
    projects.set_file_max_mb(db, 1)
    folder = tmp_path / "crm-files"
    with pytest.raises(StoreError, match="larger than 1 MB"):
        put(db, anna, folder, PDF + b"0" * (1024 * 1024), "big.pdf", contact_id=kowalski)
    assert os.listdir(folder) == []                      # the partial copy is gone
    put(db, anna, folder, PDF + b"0" * (1024 * 1024 - len(PDF)), "fits.pdf",
        contact_id=kowalski)
    assert len(os.listdir(folder)) == 1
    with pytest.raises(StoreError, match="1 to 100"):
        projects.set_file_max_mb(db, 0)
    assert projects.file_max_bytes(db) == 1024 * 1024


def test_private_files_are_seen_by_their_uploader_and_admins_only(db, anna, kowalski,
                                                                   tmp_path):
    bob, boss, admin = user(db, "bob"), user(db, "szef", "supervisor"), user(db, "root",
                                                                              "admin")
    pid = projects.create_project(db, anna, kowalski, "P")
    public = put(db, anna, tmp_path, PDF, "jawny.pdf", project_id=pid)
    secret = put(db, anna, tmp_path, PDF, "tajny.pdf", contact_id=kowalski, private=True)
    note = contacts.add_note(db, kowalski, anna, "prywatna", private=True)
    on_note = put(db, anna, tmp_path, PDF, "do-notatki.pdf", contact_id=kowalski,
                  note_id=note)
    assert projects.file_for(db, anna, public)["contact_id"] == kowalski   # from the project
    for who in (bob, boss):
        assert projects.file_for(db, who, secret) is None
        assert projects.file_for(db, who, on_note) is None
        assert [f["id"] for f in projects.files_of(db, who, contact_id=kowalski)] == [public]
    for who in (anna, admin):
        assert {f["id"] for f in projects.files_of(db, who, contact_id=kowalski)} == {
            public, secret, on_note}
    assert [f["id"] for f in projects.files_of(db, bob, project_id=pid)] == [public]
    with pytest.raises(PermissionError):
        projects.delete_file(db, bob, tmp_path, public)
    assert projects.delete_file(db, bob, tmp_path, secret) is None        # hidden: as missing
    stored = projects.file_for(db, anna, public)["stored"]
    assert projects.delete_file(db, boss, tmp_path, public)["id"] == public
    assert not (tmp_path / stored).exists()
    assert projects.delete_file(db, anna, tmp_path, secret)["id"] == secret
