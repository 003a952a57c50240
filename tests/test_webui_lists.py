"""The contact-list and do-not-call pages of the panel (/campaigns/lists/, /campaigns/dnc/).

Through Flask's test client: roles (agents 403, anonymous to the login page), CSRF refusal,
a list made in the form, an upload of a Windows-1250 CSV -> the mapping page (the first rows
with Polish names, the columns guessed) -> the import's progress page (JSON and the page
without JavaScript) -> the result with every row not imported and their CSV; an upload
without a phone column, a truncated XLSX and a too large file, each with a clear message and
nothing imported; an import caught while it runs (the page without JavaScript reloads
itself) and one cut by a restart of the panel (failed, saying what to do); records by hand
with search and paging; the do-not-call page: add per
campaign and globally, remove, import, export.  One browser test uploads a file in headless
Chromium and watches the progress bar reach the result.
"""
from __future__ import annotations

import csv
import io
import re
import threading
import time
from pathlib import Path

import pytest

from appliance.campaigns import lists
from appliance.store.config import seed_demo
from appliance.store.db import open_db
from appliance.webui import campaign_lists, create_app
from tests.conftest import client_for, csrf_token, page_text as text
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

SCREENS = Path(__file__).resolve().parents[1] / "build" / "screens"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"),
                     config={"LIST_UPLOADS_DIR": str(tmp_path / "uploads")})
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


@pytest.fixture
def list_id(db) -> int:
    return lists.create_list(db, "Klienci", fields=["Miasto"])


def csrf(client) -> str:
    return csrf_token(client, "/campaigns/lists/")


def upload(client, list_id: int, name: str, data: bytes):
    return client.post(f"/campaigns/lists/{list_id}/upload",
                       data={"csrf_token": csrf(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def wait_import(client, import_id: int) -> dict:
    deadline = time.monotonic() + 60
    while True:
        state = client.get(f"/campaigns/lists/imports/{import_id}.json").get_json()
        if state["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def campaign(db, name: str) -> int:
    cur = db.conn.execute(
        "INSERT INTO campaigns (name, queue_id, created_at) "
        "VALUES (?, (SELECT min(id) FROM queues), ?)", [name, time.time()])
    return int(cur.lastrowid)


# -- roles and CSRF -------------------------------------------------------------------------------

def test_roles(app, db, admin, sup, list_id):
    agent = client_for(app, db, "agent")
    pages = ("/campaigns/lists/", f"/campaigns/lists/{list_id}", "/campaigns/dnc/",
             "/campaigns/dnc/export.csv")
    for path in pages:
        assert agent.get(path).status_code == 403, path
        assert sup.get(path).status_code == 200, path
        assert admin.get(path).status_code == 200, path
        r = app.test_client().get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path
    r = agent.post("/campaigns/lists/", data={"csrf_token": csrf_token(agent, "/agent/"),
                                              "name": "Mine"})
    assert r.status_code == 403
    r = agent.post(f"/campaigns/lists/{list_id}/upload",
                   data={"csrf_token": csrf_token(agent, "/agent/"),
                         "file": (io.BytesIO(b"telefon\n600100200\n"), "a.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 403
    assert lists.contacts(db, list_id)[1] == 0 and len(lists.all_lists(db)) == 1


def test_csrf_refused(sup, db, list_id):
    r = sup.post("/campaigns/lists/", data={"name": "No token"})
    assert r.status_code == 400 and "security token" in text(r)
    r = sup.post("/campaigns/dnc/", data={"phone": "600100200", "csrf_token": "wrong"})
    assert r.status_code == 400
    r = sup.post(f"/campaigns/lists/{list_id}/upload",
                 data={"file": (io.BytesIO(b"telefon\n600100200\n"), "a.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 400
    assert len(lists.all_lists(db)) == 1 and lists.contacts(db, list_id)[1] == 0
    assert lists.dnc_entries(db)[1] == 0


# -- lists ----------------------------------------------------------------------------------------

def test_new_list_and_errors(sup, db):
    r = sup.post("/campaigns/lists/", data={"csrf_token": csrf(sup), "name": "Wiosna 2026",
                                            "description": "marzec", "country": "48"})
    assert r.status_code == 302
    list_id = int(re.search(r"/campaigns/lists/(\d+)", r.headers["Location"]).group(1))
    body = text(sup.get("/campaigns/lists/"))
    assert "Wiosna 2026" in body and "marzec" in body
    r = sup.post("/campaigns/lists/", data={"csrf_token": csrf(sup), "name": "wiosna 2026",
                                            "description": "kept"})
    assert r.status_code == 400
    body = text(r)
    assert "A list named 'wiosna 2026' already exists." in body and 'value="kept"' in body
    r = sup.post(f"/campaigns/lists/{list_id}/edit",
                 data={"csrf_token": csrf(sup), "name": "Wiosna", "country": "4x"})
    assert r.status_code == 400 and "Country code: 1 to 3 digits" in text(r)
    r = sup.post(f"/campaigns/lists/{list_id}/delete", data={"csrf_token": csrf(sup)})
    assert r.status_code == 302 and lists.get_list(db, list_id) is None


def test_upload_mapping_progress_result(sup, db, list_id):
    rows = ["Imię;Nazwisko;Telefon;Miasto;PESEL"]
    rows += [f"Łukasz;Żółć{i};600 400 {i:03d};Łódź;{i}" for i in range(30)]
    rows += ["Anna;Ślęzak;abc;Kraków;x", "", "Jan;Twin;600-400-000;Gdańsk;y"]
    data = ("\r\n".join(rows) + "\r\n").encode("cp1250")
    r = upload(sup, list_id, "klienci.csv", data)
    assert r.status_code == 302, text(r)
    mapping_url = r.headers["Location"]
    import_id = int(re.search(r"imports/(\d+)/mapping", mapping_url).group(1))
    page_ = text(sup.get(mapping_url))
    assert "Rows: 33. Encoding: cp1250." in page_
    assert "Żółć0" in page_ and "Łódź" in page_          # the preview, read right
    selected = re.findall(r'<select name="col_(\d)".*?<option value="([^"]+)"[^>]* selected',
                          page_, re.S)
    assert selected == [("0", "name"), ("1", "name"), ("2", "phone"), ("3", "Miasto"),
                        ("4", "field")]
    # the job page before the mapping is chosen says so
    waiting = text(sup.get(f"/campaigns/lists/imports/{import_id}"))
    assert "The columns are not chosen yet." in waiting
    r = sup.post(mapping_url, data={"csrf_token": csrf(sup), "header": "1",
                                    "col_0": "name", "col_1": "name", "col_2": "phone",
                                    "col_3": "Miasto", "col_4": "skip"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/imports/{import_id}")
    state = wait_import(sup, import_id)
    assert state["status"] == "done", state
    assert (state["imported"], state["invalid"], state["duplicates"], state["percent"]) == \
        (30, 1, 1, 100)
    body = text(sup.get(f"/campaigns/lists/imports/{import_id}"))
    assert '<progress id="import-progress" max="100" value="100">' in body
    assert 'http-equiv="refresh"' not in body          # finished: no more reloads
    assert re.search(r'id="imported">30<', body) and re.search(r'id="invalid">1<', body)
    assert "Rows not imported: 3" in body
    assert "Invalid number: letters in the number" in body
    assert "The same number as line 2" in body and "Empty line" in body
    problems_csv = sup.get(f"/campaigns/lists/imports/{import_id}/problems.csv")
    assert problems_csv.status_code == 200
    got = list(csv.reader(io.StringIO(problems_csv.data.decode("utf-8-sig"))))
    assert got[0] == ["Line", "Reason", "Row as read"]
    assert [row[0] for row in got[1:]] == ["32", "33", "34"]
    assert got[1][2] == "Anna;Ślęzak;abc;Kraków;x"
    listed = text(sup.get(f"/campaigns/lists/{list_id}?q=600400007"))
    assert "Łukasz Żółć7" in listed and "Records: 1" in listed
    # the mapping page of a finished import leads to its result
    assert sup.get(mapping_url).status_code == 302


def test_progress_page_while_running(app, sup, db):
    """While an import runs (here: waiting for a write lock another connection holds) the
    page reloads itself without JavaScript (meta refresh inside <noscript>) and loads the
    script that moves the bar; when the lock goes the import finishes."""
    list_id = lists.create_list(db, "Slow")
    r = upload(sup, list_id, "slow.csv", b"telefon\n" + b"".join(
        f"600{i:06d}\n".encode() for i in range(3000)))
    import_id = int(re.search(r"imports/(\d+)", r.headers["Location"]).group(1))
    # what the mapping page does, with the database locked between the mapping and the
    # import's first write, so the import is caught running
    lists.set_mapping(db, import_id, ["phone"], True)
    blocker = open_db(app.extensions["jns_db"].path, migrate=False)
    blocker.conn.execute("BEGIN IMMEDIATE")
    try:
        path = next(Path(app.config["LIST_UPLOADS_DIR"]).glob(f"import-{import_id}.*"))
        worker = threading.Thread(target=lists.run_import, daemon=True,
                                  name=campaign_lists.IMPORT_THREAD.format(id=import_id),
                                  args=(app.extensions["jns_db"].path, import_id, str(path)))
        worker.start()
        body = text(sup.get(f"/campaigns/lists/imports/{import_id}"))
        assert '<noscript><meta http-equiv="refresh" content="1"></noscript>' in body
        assert '<progress id="import-progress" max="100" value="0">' in body
        assert "Importing: 0 of 3000 rows." in body and "lists.js" in body
        state = sup.get(f"/campaigns/lists/imports/{import_id}.json").get_json()
        assert (state["status"], state["percent"]) == ("running", 0)
    finally:
        blocker.conn.execute("ROLLBACK")
        blocker.conn.close()
    state = wait_import(sup, import_id)
    assert (state["status"], state["imported"], state["percent"]) == ("done", 3000, 100)


def test_import_cut_by_a_restart_says_so(sup, db):
    """An import the database says is running but no thread works on (the panel
    restarted) ends failed with what to do; its committed rows stay."""
    list_id = lists.create_list(db, "Cut")
    lists.add_contact(db, list_id, "600100200")
    folder = Path(sup.application.config["LIST_UPLOADS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.csv").write_text("telefon\n600100200\n600100201\n")
    import_id = lists.create_import(db, list_id, "x.csv",
                                    lists.read_file(folder / "x.csv", "x.csv"))
    db.execute("UPDATE list_imports SET status = 'running', done_rows = 1 WHERE id = ?",
               [import_id])
    body = text(sup.get(f"/campaigns/lists/imports/{import_id}"))
    assert "The import failed: The panel restarted during the import" in body
    assert "Upload the file again to import the rest" in body
    assert lists.get_import(db, import_id)["status"] == "failed"
    assert lists.contacts(db, list_id)[1] == 1


def test_upload_without_phone_column(sup, db, list_id):
    r = upload(sup, list_id, "names.csv", "Imię;Miasto\nAnna;Łódź\n".encode())
    assert r.status_code == 302
    mapping_url = r.headers["Location"]
    r = sup.post(mapping_url, data={"csrf_token": csrf(sup), "header": "1",
                                    "col_0": "name", "col_1": "Miasto"})
    assert r.status_code == 400
    assert "No column holds the phone number: choose the phone column. Nothing was imported." \
        in text(r)
    assert lists.contacts(db, list_id)[1] == 0


def test_truncated_xlsx_and_wrong_files(sup, db, list_id, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    for i in range(300):
        book.active.append([600100000 + i, f"Name {i}"])
    book.save(tmp_path / "whole.xlsx")
    whole = (tmp_path / "whole.xlsx").read_bytes()
    r = upload(sup, list_id, "cut.xlsx", whole[: len(whole) // 2])
    assert r.status_code == 400
    assert "The XLSX file cannot be read: it is damaged or incomplete" in text(r)
    r = upload(sup, list_id, "report.pdf", b"%PDF-1.4")
    assert r.status_code == 400 and "Upload a CSV or an XLSX file" in text(r)
    r = upload(sup, list_id, "empty.csv", b"")
    assert r.status_code == 400 and "The file is empty." in text(r)
    assert lists.contacts(db, list_id)[1] == 0
    assert not list(Path(sup.application.config["LIST_UPLOADS_DIR"]).iterdir())
    # the whole file goes in; numbers stored as numbers, no header row
    r = upload(sup, list_id, "whole.xlsx", whole)
    mapping_url = r.headers["Location"]
    assert 'name="header" value="1">' in text(sup.get(mapping_url))   # not checked: data
    r = sup.post(mapping_url, data={"csrf_token": csrf(sup), "col_0": "phone", "col_1": "name"})
    state = wait_import(sup, int(re.search(r"imports/(\d+)", mapping_url).group(1)))
    assert (state["status"], state["imported"]) == ("done", 300)


def test_too_large_upload_refused(app, sup, db, list_id):
    big = b"telefon\n" + b"600100200\n" * (5 * 1024 * 1024 + 100)     # just over 50 MB
    r = upload(sup, list_id, "big.csv", big)
    assert r.status_code == 413 and "larger than 50 MB; split it into smaller files" in text(r)
    assert lists.contacts(db, list_id)[1] == 0


def test_records_by_hand(sup, db, list_id):
    base = f"/campaigns/lists/{list_id}"
    r = sup.post(f"{base}/records", data={"csrf_token": csrf(sup), "phone": "600 10O 200",
                                          "name": "Typo", "field_0": "Łódź"})
    assert r.status_code == 400
    body = text(r)
    assert "Phone number '600 10O 200': letters in the number." in body
    assert 'value="Typo"' in body and 'value="Łódź"' in body      # nothing typed is lost
    for i in range(55):
        lists.add_contact(db, list_id, f"600500{i:03d}", f"Person {i}")
    r = sup.post(f"{base}/records", data={"csrf_token": csrf(sup), "phone": "(22) 123 45 67",
                                          "name": "Jan Nowak", "field_0": "Łódź"})
    assert r.status_code == 302
    first = text(sup.get(base))
    assert "Records: 56" in first and "Page 1 of 2" in first
    assert "Jan Nowak" not in first and "Jan Nowak" in text(sup.get(f"{base}?page=2"))
    found = text(sup.get(f"{base}?q=22+123+45+67"))
    assert "Records: 1" in found and "+48221234567" in found
    cid = db.execute("SELECT id FROM contacts WHERE phone = '+48221234567'").fetchone()[0]
    r = sup.post(f"{base}/records/{cid}", data={"csrf_token": csrf(sup),
                                                "phone": "600500001", "name": "Clash"})
    assert r.status_code == 400 and "+48600500001 is already in this list." in text(r)
    r = sup.post(f"{base}/records/{cid}", data={"csrf_token": csrf(sup), "phone": "22 123 45 68",
                                                "name": "Jan Nowak", "field_0": "Kraków"})
    assert r.status_code == 302
    assert lists.get_contact(db, cid)["fields"] == {"Miasto": "Kraków"}
    r = sup.post(f"{base}/records/{cid}/delete", data={"csrf_token": csrf(sup)})
    assert r.status_code == 302 and lists.get_contact(db, cid) is None
    # custom fields
    r = sup.post(f"{base}/fields", data={"csrf_token": csrf(sup), "field": "Kod pocztowy"})
    assert r.status_code == 302
    assert lists.get_list(db, list_id)["fields"] == ["Miasto", "Kod pocztowy"]
    r = sup.post(f"{base}/fields", data={"csrf_token": csrf(sup), "field": "phone"})
    assert r.status_code == 400 and "Field name 'phone'" in text(r)
    r = sup.post(f"{base}/fields/delete", data={"csrf_token": csrf(sup), "field": "Miasto"})
    assert r.status_code == 302 and lists.get_list(db, list_id)["fields"] == ["Kod pocztowy"]


def test_polish_pages(app, db, admin, list_id):
    body = text(admin.get("/campaigns/lists/"))
    assert "Listy kontaktów" in body and "Nowa lista" in body
    body = text(admin.get(f"/campaigns/lists/{list_id}"))
    assert "Import pliku" in body and "Dodaj rekord" in body
    body = text(admin.get("/campaigns/dnc/"))
    assert "Lista zakazu połączeń" in body


# -- do not call ----------------------------------------------------------------------------------

def test_dnc_page(sup, db):
    spring = campaign(db, "spring")
    r = sup.post("/campaigns/dnc/", data={"csrf_token": csrf(sup), "phone": "600 100 200",
                                          "campaign": "", "note": "asked"})
    assert r.status_code == 302
    r = sup.post("/campaigns/dnc/", data={"csrf_token": csrf(sup), "phone": "600 100 201",
                                          "campaign": str(spring), "note": "wrong number"})
    assert r.status_code == 302
    r = sup.post("/campaigns/dnc/", data={"csrf_token": csrf(sup), "phone": "12",
                                          "note": "kept"})
    assert r.status_code == 400 and "Phone number '12': too short." in text(r)
    assert 'value="kept"' in text(r)
    assert lists.dnc_blocked(db, "+48600100200", spring)
    assert lists.dnc_blocked(db, "+48600100201", spring)
    assert not lists.dnc_blocked(db, "+48600100201", None)
    body = text(sup.get("/campaigns/dnc/"))
    assert "Entries: 2" in body and "Campaign spring" in body and "Every campaign" in body
    assert "Entries: 1" in text(sup.get(f"/campaigns/dnc/?scope={spring}"))
    assert "Entries: 1" in text(sup.get("/campaigns/dnc/?q=600100200"))
    r = sup.post("/campaigns/dnc/import",
                 data={"csrf_token": csrf(sup), "campaign": "",
                       "file": (io.BytesIO("telefon;uwagi\n600100300;x\nzły;y\n".encode("cp1250")),
                                "dnc.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 200
    body = text(r)
    assert "Added: 1. Already on the list: 0. Invalid: 1." in body
    assert "letters in the number" in body
    export = sup.get("/campaigns/dnc/export.csv")
    lines = export.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "phone,campaign,note,added,by" and len(lines) == 4
    entry = next(e for e in lists.dnc_entries(db)[0] if e["phone"] == "+48600100200")
    r = sup.post(f"/campaigns/dnc/{entry['id']}/delete", data={"csrf_token": csrf(sup)})
    assert r.status_code == 302 and not lists.dnc_blocked(db, "+48600100200", spring)


# -- in a real browser ----------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_upload_progress_result(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): make a list, upload a
    40 000-row CSV, keep the guessed columns, see the progress bar reach the result."""
    from appliance.store import users
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    seed_demo(db)
    users.create_user(db, "admin", "browser-test-password", "admin", lang="en")
    db.conn.close()
    rows = ["Telefon;Imię;Nazwisko;Miasto"]
    rows += [f"{600000000 + i};Żaneta;Łęcka{i};Łódź" for i in range(40_000)]
    rows += ["zły numer;X;Y;Z"]
    upload_file = tmp_path / "kontakty.csv"
    upload_file.write_bytes(("\n".join(rows) + "\n").encode("cp1250"))
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", "browser-test-password")
        page.click("button.primary")
        page.goto(url + "/campaigns/lists/")
        page.fill("#name", "Browser list")
        page.click("#new-list button.primary")
        assert re.search(r"/campaigns/lists/\d+$", page.url)
        page.set_input_files("#file", str(upload_file))
        page.click("#upload-button")
        assert "/mapping" in page.url
        assert page.locator("#preview tbody tr").count() == 5
        assert "Łęcka0" in page.locator("#preview").inner_text()
        assert page.locator("#col_0").input_value() == "phone"
        page.click("#start-import")
        progress = page.locator("#import-progress")
        progress.wait_for()
        page.wait_for_selector("#result", timeout=60_000)
        assert progress.get_attribute("value") == "100"
        assert page.locator("#imported").inner_text() == "40000"
        assert page.locator("#invalid").inner_text() == "1"
        assert "letters in the number" in page.locator("#problems").inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "lists-import.png"), full_page=True)
        assert not page.console_errors, page.console_errors
