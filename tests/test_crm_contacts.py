"""appliance.crm.contacts on a fresh database: numbers and their match keys, contacts with
phones/e-mails/tags/custom fields/company/owner and their validation (nothing written on an
error), search by name (Polish letters, any case, with or without accents), by number in any
format, by company and by e-mail, and its speed on 50 000 contacts; notes and their privacy;
the timeline's privacy for notes and files; note templates; custom field renames; tokens."""
from __future__ import annotations

import time

import pytest

from appliance.crm import contacts as C
from appliance.store.db import StoreError, open_db, transaction
from tests.conftest import acting_user as user



@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "box.db")


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_match_key_and_numbers():
    for raw in ("+48 600 100 200", "600100200", "0048600100200", "600-100-200", "48600100200"):
        assert C.match_key(raw) == "600100200"
    assert C.match_key("123") == "123"
    assert C.clean_phone("600 100 200") == ("+48600100200", "600100200")
    assert C.clean_phone("104") == ("104", "104")          # an extension: kept as typed
    with pytest.raises(StoreError, match="only digits"):
        C.clean_phone("600 ABC")
    assert C.display_number("+48600100200") == "+48 600 100 200"


def test_contact_with_everything_and_company(db):
    anna = user(db, "anna")
    C.save_field(db, None, "Segment", "choice", "A\nB")
    C.save_field(db, None, "Budżet", "number")
    C.save_field(db, None, "Umowa do", "date")
    co = C.create_contact(db, {"kind": "company", "name": "Łódzka Spółka"})
    cid = C.create_contact(db, {
        "name": " Łukasz   Żółć ", "company_id": co, "job_title": "Prezes",
        "owner_id": anna["id"],
        "phones": [("mobile", "600 100 200"), ("work", "+48 22 123 45 67"),
                   ("mobile", "600100200")],
        "emails": [("work", "l@firma.pl")], "tags": ["VIP", "vip", "Hurt"],
        "fields": {"segment": "b", "Budżet": "1 500,50", "Umowa do": "2027-01-31"}})
    c = C.get_contact(db, cid)
    assert c["name"] == "Łukasz Żółć" and c["company"] == "Łódzka Spółka"
    assert c["owner"] == "anna"
    assert [p["number"] for p in c["phones"]] == ["+48600100200", "+48221234567"]
    assert c["tags"] == ["Hurt", "VIP"]
    assert c["fields"] == {"Segment": "B", "Budżet": "1500,50", "Umowa do": "2027-01-31"}
    assert [p["name"] for p in C.get_contact(db, co)["people"]] == ["Łukasz Żółć"]


@pytest.mark.parametrize("data, message", [
    ({"name": ""}, "name: enter"),
    ({"name": "X", "phones": [("mobile", "60O 100 200")]}, "phone number"),
    ({"name": "X", "emails": [("work", "jan@@x")]}, "e-mail"),
    ({"name": "X", "fields": {"Segment": "C"}}, "Segment: one of A, B"),
    ({"name": "X", "fields": {"Umowa do": "31.01.2027"}}, "Umowa do: a date"),
    ({"name": "X", "fields": {"Nieznane": "1"}}, "no custom field"),
    ({"name": "X", "owner_id": 999}, "owner: no such user"),
    ({"name": "X", "company_id": 999}, "company: no such company"),
])
def test_invalid_contact_writes_nothing(db, data, message):
    C.save_field(db, None, "Segment", "choice", "A\nB")
    C.save_field(db, None, "Umowa do", "date")
    with pytest.raises(StoreError, match=message):
        C.create_contact(db, data)
    assert count(db, "crm_contacts") == count(db, "crm_phones") == 0


def test_update_replaces_and_field_rename_moves_values(db):
    fid = C.save_field(db, None, "Miasto")
    cid = C.create_contact(db, {"name": "Jan", "phones": [("", "600100200")],
                                "fields": {"Miasto": "Łódź"}})
    data = C.contact_data(C.get_contact(db, cid))
    data["phones"] = [("work", "601 000 000")]
    C.update_contact(db, cid, data)
    assert [p["number"] for p in C.get_contact(db, cid)["phones"]] == ["+48601000000"]
    C.save_field(db, fid, "Miejscowość")
    assert C.get_contact(db, cid)["fields"] == {"Miejscowość": "Łódź"}
    C.delete_field(db, fid)
    assert C.get_contact(db, cid)["fields"] == {}


def test_search_by_name_number_company_email(db):
    anna = user(db, "anna")
    co = C.create_contact(db, {"kind": "company", "name": "Źródło Sp. z o.o."})
    a = C.create_contact(db, {"name": "Łukasz Żółć", "company_id": co, "owner_id": anna["id"],
                              "phones": [("", "+48 600 100 200")], "tags": ["VIP"]})
    b = C.create_contact(db, {"name": "Anna Nowak", "emails": [("", "anna@example.com")]})

    def ids(q, **kw):
        return [r["id"] for r in C.search(db, q, **kw)[0]]
    for q in ("łukasz", "ŁUKASZ", "lukasz", "żółć", "ZOLC"):
        assert ids(q) == [a], q
    for q in ("+48 600 100 200", "600100200", "0048600100200", "600-100-200", "100 200"):
        assert ids(q) == [a], q
    assert ids("źródło") == [a, co] and ids("zrodlo") == [a, co]
    assert ids("example.com") == [b]
    assert ids("", tag="vip") == [a]
    assert ids("", owner_id=anna["id"]) == [a]
    assert ids("50%") == []
    rows, total = C.search(db, "", limit=2, offset=2)
    assert total == 3 and [r["id"] for r in rows] == [co]
    assert [c["id"] for c in C.find_by_number(db, "0048 600-100-200")] == [a]


def test_search_finds_the_right_contacts_among_50000(db):
    """Correctness at call-center size; the speed is bench/crm.py's (build/bench/crm.json)."""
    at = time.time()
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO crm_contacts (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [(i, f"Klient {i} Łęcki", at, at) for i in range(1, 50001)])
        db.conn.executemany(
            "INSERT INTO crm_phones (contact_id, number, match_key) VALUES (?, ?, ?)",
            [(i, f"+48{600000000 + i}", str(600000000 + i)) for i in range(1, 50001)])
    rows, total = C.search(db, "600 012 345")
    assert [r["id"] for r in rows] == [12345] and total == 1
    rows, total = C.search(db, "łęcki 4999")
    # 4999, 14999, 24999, 34999, 44999 and 49990..49999
    assert total == 15 and {r["id"] for r in rows} >= {4999, 14999, 49990}
    rows, total = C.search(db, "lecki 12345")                        # without Polish letters
    assert [r["id"] for r in rows] == [12345]
    assert [c["id"] for c in C.find_by_number(db, "+48600012345")] == [12345]
    # the screen pop runs for every call: it reads the number's index, never the whole table
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT contact_id FROM crm_phones WHERE match_key = ?", ["600012345"]))
    assert "crm_phones_key" in plan, plan


def test_private_notes_and_timeline(db):
    a, b = user(db, "anna"), user(db, "bartek")
    admin = user(db, "admin", "admin")
    sup = user(db, "szef", "supervisor")
    cid = C.create_contact(db, {"name": "Klient"})
    public = C.add_note(db, cid, b, "publiczna")
    secret = C.add_note(db, cid, a, "tajna", private=True)
    at = time.time()
    db.conn.execute("INSERT INTO crm_files (contact_id, note_id, name, stored, mime, size, sha256, "
                    "uploaded_by_id, uploaded_by, created_at) VALUES (?, ?, 'umowa.pdf', 'x1', "
                    "'application/pdf', 1, '', ?, 'anna', ?)", [cid, secret, a["id"], at])
    db.conn.execute("INSERT INTO crm_files (contact_id, name, stored, mime, size, sha256, private, "
                    "uploaded_by_id, uploaded_by, created_at) VALUES (?, 'prywatny.txt', 'x2', "
                    "'text/plain', 1, '', 1, ?, 'anna', ?)", [cid, a["id"], at])
    assert {n["id"] for n in C.visible_notes(db, cid, a)} == {public, secret}
    assert {n["id"] for n in C.visible_notes(db, cid, admin)} == {public, secret}
    for other in (b, sup):
        assert [n["id"] for n in C.visible_notes(db, cid, other)] == [public]
        assert C.get_note(db, secret, other) is None
        kinds = [(i["kind"], i.get("body") or i.get("name")) for i in C.timeline(db, cid, other)]
        assert kinds == [("note", "publiczna")]
        with pytest.raises(StoreError, match="no such note"):
            C.update_note(db, secret, other, "zmiana")
    assert len(C.timeline(db, cid, a)) == 4
    with pytest.raises(StoreError, match="no such note"):
        C.update_note(db, public, a, "nie moja")          # another agent's public note
    C.update_note(db, public, admin, "poprawiona")
    assert C.get_note(db, public, b)["body"] == "poprawiona"
    assert C.delete_note(db, secret, a) == cid
    pop = C.pop_info(db, [cid], b)[0]
    assert [n["body"] for n in pop["last_notes"]] == ["poprawiona"]


def test_note_templates(db):
    assert [t["name"] for t in C.note_templates(db)] == ["Rozmowa", "Reklamacja"]
    tid = C.save_note_template(db, None, "Oferta", "Produkt:\nCena:")
    with pytest.raises(StoreError, match="already a template"):
        C.save_note_template(db, None, "oferta", "x")
    C.save_note_template(db, tid, "Oferta", "Produkt:", active=False)
    assert "Oferta" not in [t["name"] for t in C.note_templates(db)]
    C.delete_note_template(db, tid)
    assert len(C.note_templates(db, active_only=False)) == 2


def test_tokens(db):
    a = user(db, "anna")
    token = C.create_token(db, a["id"], "api", "integracja")
    row = db.execute("SELECT token_hash FROM user_tokens").fetchone()
    assert token not in row[0] and len(row[0]) == 64
    assert C.user_by_token(db, token)["username"] == "anna"
    assert C.user_by_token(db, token + "x") is None
    assert C.user_by_token(db, token, "ical") is None
    C.revoke_token(db, a["id"], C.list_tokens(db, a["id"])[0]["id"])
    assert C.user_by_token(db, token) is None
