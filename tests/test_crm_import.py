"""Import and export of CRM contacts (appliance.crm.transfer) with odd and broken files
from tests/data/crm: a Windows-1250 CSV read with its Polish letters right (companies
made and linked, owner by user name, several tags), a CSV with one row of every problem
(each reported with its line and reason, the rest imported), duplicates skipped or merged,
ragged/empty/binary/header-less files refused with nothing written, the vCard round trip
(export -> import gives the same contacts; escaping and 75-octet folding) and a phone's
vCard 2.1 export (quoted-printable, CHARSET params, soft line breaks, a truncated card);
the CSV export (BOM, ';', no formula injection)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from appliance.crm import contacts as C
from appliance.crm import transfer as T
from appliance.store import users
from appliance.store.db import StoreError, open_db

DATA = Path(__file__).parent / "data" / "crm"
PW = "correct horse battery"


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "box.db")
    users.create_user(db, "anna", PW, "agent")
    return db


def snapshot(db) -> list:
    return [list(db.execute(f"SELECT * FROM {t} ORDER BY 1")) for t in
            ("crm_contacts", "crm_phones", "crm_emails", "crm_tags")]


def run_csv(db, name: str, targets=None, **kw) -> T.Result:
    sheet = T.open_sheet(DATA / name, name)
    try:
        if targets is None:
            targets = T.guess_targets(sheet.header, [f["name"] for f in C.list_fields(db)])
        return T.import_sheet(db, sheet, targets, **kw)
    finally:
        sheet.close()


def test_cp1250_csv_with_polish_letters(db):
    sheet = T.open_sheet(DATA / "polish-cp1250.csv", "polish-cp1250.csv")
    assert sheet.encoding == "cp1250" and sheet.header[0] == "Imię"
    assert T.guess_targets(sheet.header, []) == ["first_name", "last_name", "company", "phone",
                                                 "email", "tags", "owner"]
    sheet.close()
    r = run_csv(db, "polish-cp1250.csv", user="admin")
    assert (r.imported, r.companies, r.problems) == (3, 1, [])
    rows, _ = C.search(db, "żółć")
    c = C.get_contact(db, rows[0]["id"])
    assert c["name"] == "Łukasz Żółć" and c["company"] == "Źródło Sp. z o.o."
    assert c["owner"] == "anna" and c["tags"] == ["hurt", "VIP"] and c["source"] == "import"
    assert [p["number"] for p in c["phones"]] == ["+48600100200"]
    company = C.get_contact(db, c["company_id"])
    assert sorted(p["name"] for p in company["people"]) == ["Grzegorz Brzęczyszczykiewicz",
                                                           "Łukasz Żółć"]
    assert C.search(db, "ścibor")[1] == 1


def test_every_problem_is_reported_with_its_line(db):
    C.save_field(db, None, "Segment", "choice", "A\nB")
    r = run_csv(db, "problems.csv")
    reasons = {line: reason for line, reason, _detail in r.problems}
    assert reasons == {3: "no name", 4: "bad phone number", 5: "bad e-mail",
                       6: "unknown owner", 7: "duplicate of an existing contact",
                       8: "bad custom field value"}
    assert all(reason in T.PROBLEM_REASONS for reason in reasons.values())
    assert r.imported == 2
    assert sorted(c["name"] for c in C.search(db, "")[0]) == ["Dobra Anna", "Jan Kowalski"]
    detail = dict((line, d) for line, _r, d in r.problems)
    assert "Jan Kowalski" in detail[7] and "zenon" in detail[6]


def test_duplicates_skipped_or_merged(db):
    cid = C.create_contact(db, {"name": "Jan Kowalski", "phones": [("", "600100200")],
                                "tags": ["stary"]})
    r = run_csv(db, "polish-cp1250.csv", duplicates="skip")
    assert [(ln, reason) for ln, reason, _d in r.problems] == [
        (2, "duplicate of an existing contact")]
    assert r.imported == 2
    r = run_csv(db, "polish-cp1250.csv", duplicates="merge")
    assert r.merged == 3 and r.imported == 0
    c = C.get_contact(db, cid)
    assert c["name"] == "Jan Kowalski"         # the existing contact keeps its name
    assert c["tags"] == ["hurt", "stary", "VIP"] and c["owner"] == "anna"
    assert [e["address"] for e in c["emails"]] == ["lukasz@zrodlo.pl"]


@pytest.mark.parametrize("name, message", [
    ("ragged.csv", "more columns than the header \\(lines 3\\)"),
    ("empty.csv", "The file is empty"),
    ("binary.csv", "binary data"),
    ("no-header.csv", "must name the columns"),
])
def test_broken_files_write_nothing(db, name, message):
    C.create_contact(db, {"name": "Istniejący", "phones": [("", "600100200")]})
    before = snapshot(db)
    with pytest.raises(StoreError, match=message):
        run_csv(db, name)
    assert snapshot(db) == before


def test_mapping_needs_a_name(db):
    sheet = T.open_sheet(DATA / "problems.csv")
    with pytest.raises(StoreError, match="column with the name"):
        T.import_sheet(db, sheet, ["", "phone", "email", "", ""])
    sheet.close()
    assert C.search(db, "")[1] == 0


def test_vcard_round_trip(db, tmp_path):
    C.save_field(db, None, "Miasto")
    co = C.create_contact(db, {"kind": "company", "name": "Łódzka Spółka; S.A., oddział"})
    p = C.create_contact(db, {
        "name": "Łukasz Żółć-Bardzo-Długie-Nazwisko-Które-Się-Zawija-Na-Wiele-Linii",
        "company_id": co, "job_title": "Kierownik, zakupy", "owner_id": 1,
        "phones": [("mobile", "+48 600 100 200"), ("work", "22 123 45 67"),
                   ("fax", "22 123 45 68")],
        "emails": [("work", "l@x.pl"), ("home", "lukasz@dom.pl")], "tags": ["VIP", "a,b"],
        "address": "ul. Długa 5\n00-001 Warszawa", "about": "x;y\\z, ąę " * 20,
        "fields": {"Miasto": "Łódź"}})
    text = "".join(T.export_vcards(db, [co, p]))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text and text.endswith("END:VCARD\r\n")
    db2 = open_db(tmp_path / "other.db")
    users.create_user(db2, "anna", PW, "agent")
    C.save_field(db2, None, "Miasto")
    r = T.import_vcards(db2, text.encode("utf-8"))
    assert (r.imported, r.problems) == (2, [])
    keys = ("kind", "name", "company", "job_title", "owner", "address", "about", "fields", "tags")
    for old_id in (co, p):
        old = C.get_contact(db, old_id)
        new_id = db2.execute("SELECT id FROM crm_contacts WHERE name = ?",
                             [old["name"]]).fetchone()[0]
        new = C.get_contact(db2, new_id)
        assert {k: new[k] for k in keys} == {k: old[k] for k in keys}
        assert [(x["label"], x["number"]) for x in new["phones"]] == \
            [(x["label"], x["number"]) for x in old["phones"]]
        assert [(x["label"], x["address"]) for x in new["emails"]] == \
            [(x["label"], x["address"]) for x in old["emails"]]


def test_phone_vcard_21_quoted_printable(db):
    r = T.import_vcards(db, (DATA / "phone-export-2.1.vcf").read_bytes())
    assert r.imported == 1
    assert [(ln, reason) for ln, reason, _d in r.problems] == [(12, "no name"), (17, "not saved")]
    c = C.get_contact(db, C.search(db, "")[0][0]["id"])
    assert c["name"] == "Paweł Żółć z bardzo długą nazwą"
    assert c["about"] == "Zażółć gęślą jaźń"
    assert c["company"] == "Łódź S.A."
    assert [(p["label"], p["number"]) for p in c["phones"]] == [("mobile", "+48600100201"),
                                                                ("home", "+48221234567")]
    assert [e["address"] for e in c["emails"]] == ["pawel@example.com"]


def test_vcard_30_escapes_and_40_kind(db):
    data = ("BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:Firma\\, Ltd\\; \\\\ ok\n"
            "TEL;VALUE=uri;TYPE=work:tel:+48-22-123-45-67\nEND:VCARD\n"
            "BEGIN:VCARD\nVERSION:3.0\nN:Nowak;Anna;Maria;dr;\nNOTE:linia 1\\nlinia 2\n"
            "CATEGORIES:klient,hurt\\,detal\nADR;TYPE=HOME:;;ul. Krótka 1;Kraków;;30-001;Polska\n"
            "END:VCARD\n").encode()
    r = T.import_vcards(db, data)
    assert r.imported == 2 and not r.problems
    firm = C.get_contact(db, C.search(db, "firma")[0][0]["id"])
    assert firm["kind"] == "company" and firm["name"] == "Firma, Ltd; \\ ok"
    assert firm["phones"][0]["number"] == "+48221234567"
    anna = C.get_contact(db, C.search(db, "nowak")[0][0]["id"])
    assert anna["name"] == "dr Anna Maria Nowak" and anna["about"] == "linia 1\nlinia 2"
    assert anna["tags"] == ["hurt,detal", "klient"]
    assert anna["address"] == "ul. Krótka 1, Kraków, 30-001, Polska"


def test_vcard_broken_files(db):
    for data, message in ((b"", "empty"), (b"\x00\x01\x02" * 100, "binary"),
                          (b"Name;Phone\nJan;600100200\n", "no BEGIN:VCARD")):
        with pytest.raises(StoreError, match=message):
            T.import_vcards(db, data)
    assert C.search(db, "")[1] == 0


def test_csv_export(db):
    C.save_field(db, None, "Miasto")
    C.create_contact(db, {"name": "=HYPERLINK(\"x\")",
                          "phones": [("", "600100200"), ("", "22 1234567")],
                          "tags": ["a", "b"], "fields": {"Miasto": "Łódź"}, "owner_id": 1})
    text = "".join(T.export_csv(db, C.search_ids(db), delimiter=";"))
    assert text.startswith("\ufeffName;Kind;Company")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][-1] == "Miasto"
    assert rows[1][0] == "'=HYPERLINK(\"x\")"
    assert rows[1][4] == "+48600100200, +48221234567" and rows[1][6] == "a, b"
    assert rows[1][7] == "anna" and rows[1][-1] == "Łódź"


def test_csv_round_trip_and_xlsx(db, tmp_path):
    co = C.create_contact(db, {"kind": "company", "name": "Źródło S.A."})
    C.create_contact(db, {"name": "Łukasz Żółć", "company_id": co, "job_title": "Prezes",
                          "phones": [("", "600100200"), ("", "22 123 45 67")],
                          "emails": [("", "l@x.pl")], "tags": ["VIP", "hurt"], "owner_id": 1,
                          "address": "ul. Długa 5", "about": "stały klient"})
    data = "".join(T.export_csv(db, C.search_ids(db), delimiter=";")).encode("utf-8")
    (tmp_path / "export.csv").write_bytes(data)
    db2 = open_db(tmp_path / "other.db")
    users.create_user(db2, "anna", PW, "agent")
    sheet = T.open_sheet(tmp_path / "export.csv")
    targets = T.guess_targets(sheet.header, [])
    assert targets == ["name", "kind", "company", "job_title", "phone", "email", "tags", "owner",
                       "address", "about"]
    r = T.import_sheet(db2, sheet, targets)
    sheet.close()
    assert (r.imported, r.problems) == (2, [])
    keys = ("kind", "name", "company", "job_title", "owner", "address", "about", "tags")
    for old in C.search(db, "")[0]:
        new = C.get_contact(db2, db2.execute("SELECT id FROM crm_contacts WHERE name = ?",
                                             [old["name"]]).fetchone()[0])
        old = C.get_contact(db, old["id"])
        assert {k: new[k] for k in keys} == {k: old[k] for k in keys}
        assert [p["number"] for p in new["phones"]] == [p["number"] for p in old["phones"]]
    # the same rows as XLSX
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet_x = book.active
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"):
        sheet_x.append(row)
    sheet_x.append(["Nowy Klient", "", "", "", 601000001, "zły@", "", "", "", ""])
    book.save(tmp_path / "export.xlsx")
    db3 = open_db(tmp_path / "third.db")
    sheet = T.open_sheet(tmp_path / "export.xlsx", "export.xlsx")
    r = T.import_sheet(db3, sheet, T.guess_targets(sheet.header, []))
    sheet.close()
    assert r.imported == 1              # the company; its person's owner is unknown here
    assert [(ln, reason) for ln, reason, _d in r.problems] == [(2, "unknown owner"),
                                                               (4, "bad e-mail")]
