"""Contact lists and do-not-call (CMP-1), without the panel: appliance.campaigns.lists.

Phone numbers as people write them; imports of broken files, each reporting clearly what it
did not import (line and reason) and importing the valid rows: Windows-1250 and ISO-8859-2
files with Polish names, bytes no encoding has (those rows are reported, the rest imported;
a binary file is refused), no phone column (nothing imported), half the numbers invalid,
duplicates in the file and against the list, empty lines, XLSX numbers stored as numbers,
a truncated XLSX; a database failure in the middle keeps the committed batches; records by
hand; do-not-call globally and per campaign.  The files are written by the tests.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from appliance.campaigns import lists
from appliance.campaigns.lists import ListError, PhoneError, normalise_phone
from appliance.store.db import open_db

NAMES = ["Łukasz Żółć", "Agnieszka Ślęzak", "Źdźisław Ąbacki", "Gęślą Jaźń"]


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "box.db")


@pytest.fixture
def db(db_path):
    d = open_db(db_path)
    yield d
    d.conn.close()


@pytest.fixture
def list_id(db) -> int:
    return lists.create_list(db, "Klienci", user="admin")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def do_import(db, db_path, list_id, path, **kw) -> dict:
    import_id = lists.import_file_sync(db, db_path, list_id, path, path.name, **kw)
    return lists.get_import(db, import_id)


def problems(db, imp) -> list[tuple[int, str, str]]:
    return [(p["line"], p["reason"], p["detail"]) for p in lists.import_problems(db, imp["id"])]


def names_and_phones(db, list_id) -> dict[str, str]:
    rows, _total = lists.contacts(db, list_id, limit=1000)
    return {r["phone"]: r["name"] for r in rows}


# -- phone numbers --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, e164", [
    ("+48 600 100 200", "+48600100200"),
    ("600-100-200", "+48600100200"),
    ("600100200", "+48600100200"),
    ("(22) 123 45 67", "+48221234567"),
    ("(022) 123 45 67", "+48221234567"),
    ("0048600100200", "+48600100200"),
    ("48600100200", "+48600100200"),
    ("+48-600-100-200", "+48600100200"),
    ("  600 100 200 ", "+48600100200"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0049 30 1234567", "+49301234567"),
])
def test_normalise_phone(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw, reason", [
    ("", "no number"),
    ("   ", "no number"),
    ("60010020", "too short"),
    ("6001002001", "too long"),
    ("+48 600 100 20", "too short"),
    ("+48 600 100 2000", "too long"),
    ("600 100 20O", "letters in the number"),
    ("tel. 600100200", "letters in the number"),
    ("600#100#200", "characters that are not part of a phone number"),
    ("600+100200", "a + only at the start of the number"),
    ("+0 600 100 200", "a country code does not start with 0"),
    ("+1234567", "too short"),
    ("+1234567890123456", "too long"),
    ("4.86001E+10", "number in scientific notation: digits were lost; "
                    "format the column as text"),
    ("060010020", "a national number does not start with 0"),
])
def test_normalise_phone_refuses_with_reason(raw, reason):
    with pytest.raises(PhoneError) as info:
        normalise_phone(raw)
    assert info.value.reason == reason


def test_normalise_phone_other_country():
    assert normalise_phone("030 1234567", country="49") == "+49301234567"
    assert normalise_phone("+48600100200", country="49") == "+48600100200"


# -- encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, recorded", [("cp1250", "cp1250"),
                                                ("iso-8859-2", "iso-8859-2"),
                                                ("utf-8", "utf-8"), ("utf-8-sig", "utf-8")])
def test_polish_names_in_every_encoding(tmp_path, db, db_path, list_id, encoding, recorded):
    text = "Imię i nazwisko;Telefon;Miasto\n" + "".join(
        f"{name};60010020{i};Łódź\n" for i, name in enumerate(NAMES))
    imp = do_import(db, db_path, list_id, write(tmp_path, "a.csv", text, encoding))
    assert imp["status"] == "done", imp["error"]
    assert imp["encoding"] == recorded
    assert imp["imported"] == 4 and imp["invalid"] == 0
    assert names_and_phones(db, list_id) == {f"+4860010020{i}": n for i, n in enumerate(NAMES)}
    rows, _n = lists.contacts(db, list_id)
    assert {r["fields"]["Miasto"] for r in rows} == {"Łódź"}
    assert lists.get_list(db, list_id)["fields"] == ["Miasto"]


def test_bytes_of_no_encoding_reported_rest_imported(tmp_path, db, db_path, list_id):
    """Chosen behaviour: bytes no encoding has are replaced while reading, and every row
    holding one is reported (reason 'encoding', the row as read) and not imported."""
    data = ("Nazwisko;Telefon\n".encode() + "Żółć;600100201\n".encode()
            + b"Kowal\x81\x98ski;600100202\n" + "Ślęzak;600100203\n".encode()
            + b"\xff\xfe\x81;600100204\n")
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    imp = do_import(db, db_path, list_id, path)
    assert imp["status"] == "done" and imp["encoding"] == "utf-8"
    assert names_and_phones(db, list_id) == {"+48600100201": "Żółć", "+48600100203": "Ślęzak"}
    assert [(line, reason) for line, reason, _d in problems(db, imp)] == [(3, "encoding"),
                                                                         (5, "encoding")]
    assert imp["invalid"] == 2
    raw = lists.import_problems(db, imp["id"])[0]["raw"]
    assert raw.startswith("Kowal") and raw.endswith("600100202")


def test_binary_file_refused(tmp_path, db, list_id):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(ListError, match="not a CSV text file"):
        lists.read_file(path, path.name)
    old_xls = tmp_path / "old.csv"
    old_xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(ListError, match=r"old Excel file \(\.xls\)"):
        lists.read_file(old_xls, old_xls.name)


# -- columns, invalid rows, duplicates ------------------------------------------------------------

def test_missing_phone_column_imports_nothing(tmp_path, db, db_path, list_id):
    path = write(tmp_path, "names.csv", "Imię;Miasto\nAnna;Łódź\nJan;Kraków\n")
    sheet = lists.read_file(path, path.name)
    assert "phone" not in lists.guess_mapping(sheet.header, sheet)
    with pytest.raises(ListError, match="No column holds the phone number.*Nothing was imported"):
        do_import(db, db_path, list_id, path)
    assert lists.contacts(db, list_id)[1] == 0


def test_half_invalid_numbers(tmp_path, db, db_path, list_id):
    lines = ["telefon,imie"]
    for i in range(50):
        lines.append(f"600 200 {i:03d},Good {i}")
        lines.append(f"{['12345', 'abc', '600 200 1', '+48 600 200 0000', '600*200*000'][i % 5]},"
                     f"Bad {i}")
    imp = do_import(db, db_path, list_id, write(tmp_path, "half.csv", "\n".join(lines) + "\n"))
    assert imp["status"] == "done"
    assert (imp["total_rows"], imp["imported"], imp["invalid"]) == (100, 50, 50)
    found = problems(db, imp)
    assert [line for line, _r, _d in found] == list(range(3, 102, 2))   # every even data row
    assert {reason for _l, reason, _d in found} == {"invalid"}
    assert {detail for _l, _r, detail in found} == {
        "too short", "letters in the number", "too long",
        "characters that are not part of a phone number"}
    assert lists.import_problems(db, imp["id"])[0]["raw"] == "12345,Bad 0"


def test_duplicates_in_file_and_against_list(tmp_path, db, db_path, list_id):
    lists.add_contact(db, list_id, "600 300 001", "Typed by hand")
    text = ("Telefon\tNazwisko\n600300001\tAlready\n600300002\tFirst\n\n"
            "+48 600 300 002\tAgain\n600-300-003\tThird\n")
    imp = do_import(db, db_path, list_id, write(tmp_path, "dups.tsv.csv", text))
    assert (imp["imported"], imp["duplicates"], imp["invalid"]) == (2, 2, 0)
    assert problems(db, imp) == [(2, "exists", "+48600300001"), (4, "empty", ""),
                                 (5, "duplicate", "3")]
    assert names_and_phones(db, list_id)["+48600300001"] == "Typed by hand"
    # the same file again adds nothing twice
    again = do_import(db, db_path, list_id, write(tmp_path, "dups.tsv.csv", text))
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert lists.contacts(db, list_id)[1] == 3


def test_file_of_bare_numbers_has_no_header(tmp_path, db, db_path, list_id):
    imp = do_import(db, db_path, list_id,
                    write(tmp_path, "bare.csv", "600100201\n600100202\n600100203\n"))
    assert imp["imported"] == 3 and imp["total_rows"] == 3


# -- XLSX ---------------------------------------------------------------------------------------

def write_xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_xlsx_numbers_stored_as_numbers(tmp_path, db, db_path, list_id):
    path = write_xlsx(tmp_path / "numbers.xlsx", [
        ["Telefon", "Imię", "Kwota"],
        [600100200, "Int", 10],
        [48600100201.0, "Float shown as 4.86001E+10", 12.5],
        ["600 100 202", "Text", None],
        ["4.86001E+10", "Text copied from the screen", None],
        [None, None, None],
        [600100203, "Żaneta Łęcka", 7],
    ])
    imp = do_import(db, db_path, list_id, path)
    assert imp["status"] == "done" and imp["encoding"] == "xlsx"
    assert names_and_phones(db, list_id) == {
        "+48600100200": "Int", "+48600100201": "Float shown as 4.86001E+10",
        "+48600100202": "Text", "+48600100203": "Żaneta Łęcka"}
    assert problems(db, imp) == [
        (5, "invalid", "number in scientific notation: digits were lost; "
                       "format the column as text"),
        (6, "empty", "")]
    rows, _n = lists.contacts(db, list_id, search="Łęcka")
    assert rows[0]["fields"] == {"Kwota": "7"}


def test_truncated_xlsx_clear_error(tmp_path, db, list_id):
    whole = write_xlsx(tmp_path / "whole.xlsx", [["Telefon"]] + [[600100000 + i]
                                                                 for i in range(500)])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ListError, match="XLSX file cannot be read: it is damaged or incomplete"):
        lists.read_file(cut, cut.name)


# -- batches ------------------------------------------------------------------------------------

def test_failure_keeps_committed_batches(tmp_path, db, db_path, list_id):
    """A database failure at row 150 (a trigger that refuses one number): the batches of
    50 rows before it stay, the import ends failed with the reason."""
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON contacts WHEN NEW.phone = '+48600000150' "
               "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    text = "telefon\n" + "".join(f"600000{i:03d}\n" for i in range(300))
    path = write(tmp_path, "big.csv", text)
    imp = do_import(db, db_path, list_id, path, batch=50)
    assert imp["status"] == "failed"
    assert "disk on fire" in imp["error"]
    assert lists.contacts(db, list_id)[1] == 150
    assert imp["done_rows"] == 150 and imp["imported"] == 150 and imp["total_rows"] == 300


def test_progress_counts_every_row(tmp_path, db, db_path, list_id):
    text = "telefon\n" + "".join(f"600001{i:03d}\n" for i in range(250)) + "123\n"
    imp = do_import(db, db_path, list_id, write(tmp_path, "p.csv", text), batch=100)
    assert (imp["done_rows"], imp["total_rows"], imp["imported"], imp["invalid"]) == \
        (251, 251, 250, 1)
    assert imp["finished_at"] >= imp["created_at"]


def test_mapping_checked(db, list_id):
    with pytest.raises(ListError, match="Only one column"):
        lists.check_mapping(["phone", "phone"])
    with pytest.raises(ListError, match="same field"):
        lists.check_mapping(["phone", "Miasto", "miasto"])
    with pytest.raises(ListError, match="Field name"):
        lists.check_mapping(["phone", "$$$"])
    assert lists.check_mapping(["phone", "name", "name", "skip", "Miasto"])
    assert lists.guess_mapping(["Nr telefonu", "Imię", "Nazwisko", "PESEL", "#5"]) == \
        ["phone", "name", "name", "PESEL", "skip"]


# -- lists and records by hand --------------------------------------------------------------------

def test_lists_and_records(db, list_id):
    with pytest.raises(ListError, match="already exists"):
        lists.create_list(db, "klienci")
    with pytest.raises(ListError, match="1 to 80"):
        lists.create_list(db, " ")
    lists.add_fields(db, list_id, ["Miasto", "Kod"])
    cid = lists.add_contact(db, list_id, "(22) 123 45 67", "Jan", {"Miasto": "Łódź"})
    with pytest.raises(ListError, match=r"'abc': letters in the number"):
        lists.add_contact(db, list_id, "abc", "X")
    with pytest.raises(ListError, match=r"\+48221234567 is already in this list"):
        lists.add_contact(db, list_id, "+48 22 123 45 67", "Twin")
    with pytest.raises(ListError, match="no field"):
        lists.add_contact(db, list_id, "600100200", "Y", {"Nope": "1"})
    lists.update_contact(db, cid, "0048 22 123 45 68", "Jan Nowak", {"Kod": "90-001"})
    c = lists.get_contact(db, cid)
    assert (c["phone"], c["name"], c["fields"]) == ("+48221234568", "Jan Nowak",
                                                    {"Kod": "90-001"})
    for search in ("22 123 45 68", "+48221234568", "0048221234568", "Nowak", "90-001"):
        assert lists.contacts(db, list_id, search=search)[1] == 1, search
    assert lists.contacts(db, list_id, search="Kowalski")[1] == 0
    lists.remove_field(db, list_id, "Kod")
    assert lists.get_contact(db, cid)["fields"] == {}
    assert lists.get_list(db, list_id)["fields"] == ["Miasto"]
    lists.update_list(db, list_id, name="Klienci 2026", description="marzec", country="48")
    assert lists.get_list(db, list_id)["name"] == "Klienci 2026"
    lists.delete_contact(db, cid)
    assert lists.contacts(db, list_id)[1] == 0


def campaign(db, name: str, status: str = "draft") -> int:
    if db.execute("SELECT 1 FROM queues WHERE name = 'sales'").fetchone() is None:
        db.execute("INSERT INTO queues (name, title) VALUES ('sales', 'Sales')")
    cur = db.conn.execute(
        "INSERT INTO campaigns (name, queue_id, status, created_at) "
        "VALUES (?, (SELECT id FROM queues WHERE name = 'sales'), ?, ?)",
        [name, status, time.time()])
    return int(cur.lastrowid)


def test_list_of_a_running_campaign_not_deleted(db, list_id):
    cid = campaign(db, "spring", "running")
    db.execute("INSERT INTO campaign_lists (campaign_id, list_id) VALUES (?, ?)", [cid, list_id])
    with pytest.raises(ListError, match="used by the campaign spring"):
        lists.delete_list(db, list_id)
    db.execute("UPDATE campaigns SET status = 'stopped' WHERE id = ?", [cid])
    lists.delete_list(db, list_id)
    assert lists.get_list(db, list_id) is None


# -- do not call --------------------------------------------------------------------------------

def test_dnc_global_and_per_campaign(db):
    spring, autumn = campaign(db, "spring"), campaign(db, "autumn")
    lists.dnc_add(db, "600 100 200", None, "asked on the phone", "admin")
    lists.dnc_add(db, "600-100-201", spring, "wrong number", "sup")
    for cid in (spring, autumn, None):
        assert lists.dnc_blocked(db, "+48600100200", cid)
    assert lists.dnc_blocked(db, "+48600100201", spring)
    assert not lists.dnc_blocked(db, "+48600100201", autumn)
    assert not lists.dnc_blocked(db, "+48600100202", spring)
    assert lists.dnc_blocked(db, "0048 600 100 201", spring)     # any format
    # adding again keeps one entry
    again = lists.dnc_add(db, "+48600100200", None, "", "admin")
    rows, total = lists.dnc_entries(db)
    assert total == 2 and again in {r["id"] for r in rows}
    assert lists.dnc_entries(db, scope="global")[1] == 1
    assert lists.dnc_entries(db, scope=str(spring))[0][0]["campaign"] == "spring"
    with pytest.raises(ListError, match="too short"):
        lists.dnc_add(db, "600 100")
    lists.dnc_remove(db, again)
    assert not lists.dnc_blocked(db, "+48600100200", autumn)


def test_dnc_import_and_export(tmp_path, db):
    spring = campaign(db, "spring")
    path = write(tmp_path, "dnc.csv", "telefon;uwagi\n600100300;x\n600 100 301;y\nabc;z\n"
                                      "600100300;again\n", "cp1250")
    result = lists.dnc_import(db, path, path.name, campaign_id=spring, note="import", user="a")
    assert (result["added"], result["already"], result["invalid"]) == (2, 1, 1)
    assert result["problems"] == [{"line": 4, "reason": "letters in the number", "raw": "abc"}]
    assert lists.dnc_blocked(db, "+48600100301", spring)
    single = write(tmp_path, "one.csv", "+48 600 100 302\n")
    assert lists.dnc_import(db, single, single.name)["added"] == 1
    exported = lists.dnc_csv(db).lstrip("\ufeff").splitlines()
    assert exported[0] == "phone,campaign,note,added,by"
    assert sorted(line.split(",")[:2] for line in exported[1:]) == [
        ["+48600100300", "spring"], ["+48600100301", "spring"], ["+48600100302", ""]]


def test_import_mapping_stored(tmp_path, db, db_path, list_id):
    imp = do_import(db, db_path, list_id, write(tmp_path, "m.csv", "Tel,Imię,Nazwisko,X\n"
                                                                   "600100200,A,B,c\n"))
    assert imp["mapping"] == {"header": True, "columns": {"0": "phone", "1": "name",
                                                          "2": "name", "3": "X"}}
    assert json.loads(db.execute("SELECT fields FROM contacts").fetchone()[0]) == {"X": "c"}
    assert names_and_phones(db, list_id) == {"+48600100200": "A B"}
