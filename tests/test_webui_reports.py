"""The reports pages of the panel (/reports/), their exports and the monthly report.

The data is a queue_log written in Asterisk 22's own line format (epoch|uniqueid|queue|
agent|EVENT|data...) and read by the real ingestion (appliance.reports.ingest.ingest_files),
exactly as jns-reports reads the box's file; nothing is inserted behind its back.  The day
(2026-03-10, local time):

  agents 101 (sales) and 102 (sales, support) log in at 09:00 and out at 12:00; 101 pauses
  for lunch 11:00-11:30;
  sales   09:10 caller ...01 answered by 101 after 5 s, talk 60 s (caller hangs up)
          09:20 caller ...02 rings 102 (no answer), answered by 101 after 30 s, talk 120 s
          09:30 caller ...01 abandons after 12 s
  support 09:40 caller ...03 abandons after 3 s (a short abandon)
          10:00 caller ...04 times out after 60 s
          10:05 caller ...05 answered by 102 after 10 s, talk 90 s

and 2026-03-11 holds 60 answered calls in sales (for paging and sorting).  Checked through
Flask's test client: roles and CSRF, bad filters, every report for an empty and a filled
period, drill-down links that return exactly as many calls as the figure says, sorting and
paging, CSV and XLSX exports that equal the page, the printable page, definitions and
thresholds, the monthly report with its figures and an incident.  One browser test walks
the same path in headless Chromium.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import time
from pathlib import Path

import pytest

from appliance.reports import export, monthly, queries
from appliance.reports.ingest import ingest_files
from appliance.store import alerts as store_alerts
from appliance.store.config import index_recording, seed_demo
from appliance.store.db import set_setting
from appliance.webui import create_app
from appliance.webui.reports import show
from tests.conftest import client_for, csrf_token, page_text as text, use_english as english
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

DAY = dt.date(2026, 3, 10)
DAY2 = dt.date(2026, 3, 11)
EMPTY_DAY = "2026-02-10"
RECORDING = "2026/03/10/in-1773133500.8.wav"


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hh, mm, ss).timestamp())


def queue_log_lines() -> list[str]:
    """The day above as Asterisk writes it to queue_log."""
    t = lambda hh, mm, ss=0: at(DAY, hh, mm, ss)  # noqa: E731
    lines = [
        f"{t(9, 0)}|NONE|sales|PJSIP/101|ADDMEMBER|",
        f"{t(9, 0)}|NONE|sales|PJSIP/102|ADDMEMBER|",
        f"{t(9, 0)}|NONE|support|PJSIP/102|ADDMEMBER|",
        # 1: answered after 5 s, talk 60 s
        f"{t(9, 10)}|1773130200.1|sales|NONE|ENTERQUEUE||48600000001|1",
        f"{t(9, 10, 5)}|1773130200.1|sales|PJSIP/101|CONNECT|5|1773130205.2|3",
        f"{t(9, 11, 5)}|1773130200.1|sales|PJSIP/101|COMPLETECALLER|5|60|1",
        # 2: 102 does not answer, 101 answers after 30 s, talk 120 s
        f"{t(9, 20)}|1773130800.3|sales|NONE|ENTERQUEUE||48600000002|1",
        f"{t(9, 20, 15)}|1773130800.3|sales|PJSIP/102|RINGNOANSWER|15000",
        f"{t(9, 20, 30)}|1773130800.3|sales|PJSIP/101|CONNECT|30|1773130830.4|12",
        f"{t(9, 22, 30)}|1773130800.3|sales|PJSIP/101|COMPLETEAGENT|30|120|1",
        # 3: abandon after 12 s
        f"{t(9, 30)}|1773131400.5|sales|NONE|ENTERQUEUE||48600000001|1",
        f"{t(9, 30, 12)}|1773131400.5|sales|NONE|ABANDON|1|1|12",
        # 4: short abandon after 3 s
        f"{t(9, 40)}|1773132000.6|support|NONE|ENTERQUEUE||48600000003|1",
        f"{t(9, 40, 3)}|1773132000.6|support|NONE|ABANDON|1|1|3",
        # 5: timeout after 60 s
        f"{t(10, 0)}|1773133200.7|support|NONE|ENTERQUEUE||48600000004|1",
        f"{t(10, 1)}|1773133200.7|support|NONE|EXITWITHTIMEOUT|1|1|60",
        # 6: answered by 102 after 10 s, talk 90 s, recorded (our dialplan logs INFO|REC)
        f"{t(10, 5)}|1773133500.8|support|NONE|INFO|REC|{RECORDING}",
        f"{t(10, 5)}|1773133500.8|support|NONE|ENTERQUEUE||48600000005|1",
        f"{t(10, 5, 10)}|1773133500.8|support|PJSIP/102|CONNECT|10|1773133510.9|2",
        f"{t(10, 6, 40)}|1773133500.8|support|PJSIP/102|COMPLETECALLER|10|90|1",
        f"{t(11, 0)}|NONE|sales|PJSIP/101|PAUSE|lunch",
        f"{t(11, 30)}|NONE|sales|PJSIP/101|UNPAUSE|",
        f"{t(12, 0)}|NONE|sales|PJSIP/101|REMOVEMEMBER|",
        f"{t(12, 0)}|NONE|sales|PJSIP/102|REMOVEMEMBER|",
        f"{t(12, 0)}|NONE|support|PJSIP/102|REMOVEMEMBER|",
    ]
    for i in range(60):   # the next day: 60 answered calls, wait i s, talk 100 + i s
        start = at(DAY2, 8, 0) + i * 300
        uid = f"{start}.{100 + i}"
        lines += [f"{start}|{uid}|sales|NONE|ENTERQUEUE||4860010{i:04d}|1",
                  f"{start + i}|{uid}|sales|PJSIP/101|CONNECT|{i}|{start + i}.5|1",
                  f"{start + i + 100 + i}|{uid}|sales|PJSIP/101|COMPLETECALLER|{i}|{100 + i}|1"]
    return lines


def csrf(client, path: str = "/reports/") -> str:
    return csrf_token(client, path)


def fill(db, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_text("\n".join(queue_log_lines()) + "\n", encoding="utf-8")
    ingest_files(db, log)
    # the recording of call 6, indexed as the IVR's hangup handler does
    wav = tmp_path / "monitor" / RECORDING
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF" + bytes(40))
    index_recording(db, uniqueid="1773133500.8", path=RECORDING, started_at=at(DAY, 10, 5),
                    direction="in", caller="48600000005", queue="support", agent="102",
                    seconds=100)


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"),
                     config={"REPORT_EXPORTS_DIR": str(tmp_path / "exports"),
                             "RECORDINGS_DIR": str(tmp_path / "monitor")})
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


@pytest.fixture
def filled(app, db, tmp_path):
    fill(db, tmp_path)
    return db


@pytest.fixture
def sup(app, db, admin):
    c = client_for(app, db, "supervisor")
    english(c)
    return c


def period(day: dt.date | str, last: dt.date | str | None = None) -> str:
    return f"from={day}&to={last or day}"


def count_rows(page: str) -> int:
    found = re.search(r"Rows: (\d+)", page)
    assert found, page[:2000]
    return int(found.group(1))


def table_cells(page: str, table_id: str) -> list[list[str]]:
    """The visible text of each row of the table with this id (header row excluded)."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        rows.append([re.sub(r"<[^>]+>", "", td).strip()
                     for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return rows


def data_values(page: str, table_id: str) -> list[list[str]]:
    """The raw values (data-value) of each row of a report table."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [re.findall(r'data-value="([^"]*)"', tr)
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def wait_export(client, location: str) -> dict:
    export_id = int(re.search(r"/exports/(\d+)", location).group(1))
    deadline = time.monotonic() + 60
    while True:
        state = client.get(f"/reports/exports/{export_id}.json").get_json()
        if state["status"] != "running" or time.monotonic() > deadline:
            return {"id": export_id, **state}
        time.sleep(0.05)


def export_file(client, name: str, query: str, fmt: str, extra: dict | None = None):
    args = dict(re.findall(r"([^&=]+)=([^&]*)", query))
    r = client.post(f"/reports/{name}/export",
                    data={"csrf_token": csrf(client), "fmt": fmt, **args, **(extra or {})})
    assert r.status_code == 302, text(r)
    state = wait_export(client, r.headers["Location"])
    assert state["status"] == "done", state
    assert client.get(f"/reports/exports/{state['id']}").status_code == 200
    download = client.get(state["download"])
    assert download.status_code == 200
    return state, download.data


# -- roles, CSRF, filters -----------------------------------------------------------------------

def test_roles(app, db, admin, sup):
    agent = client_for(app, db, "agent")
    for path in ("/reports/", "/reports/overview", "/reports/answered", "/reports/definitions",
                 "/reports/monthly", "/reports/call/x"):
        assert agent.get(path).status_code == 403, path
        r = app.test_client().get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path
    token = csrf(agent, "/")
    assert agent.post("/reports/answered/export",
                      data={"csrf_token": token, "fmt": "csv"}).status_code == 403
    assert sup.get("/reports/").status_code == 200
    assert admin.get("/reports/").status_code == 200
    nav = text(sup.get("/")).split("</nav>")[0]
    assert 'href="/reports/"' in nav
    assert 'href="/reports/"' not in text(agent.get("/")).split("</nav>")[0]
    # supervisors read the thresholds but only admins change them or make monthly reports
    token = csrf(sup, "/reports/definitions")
    assert sup.post("/reports/definitions", data={"csrf_token": token, "sl_seconds": "30",
                                                  "short_abandon_s": "5",
                                                  "short_call_s": "5"}).status_code == 403
    assert queries.thresholds(db)["sl_seconds"] == 20
    assert sup.post("/reports/monthly", data={"csrf_token": token,
                                              "month": "2026-03"}).status_code == 403
    assert monthly.months(db) == []


def test_csrf_refused(app, db, admin):
    assert admin.post("/reports/answered/export", data={"fmt": "csv"}).status_code == 400
    assert db.execute("SELECT count(*) FROM report_exports").fetchone()[0] == 0
    r = admin.post("/reports/definitions", data={"sl_seconds": "30", "short_abandon_s": "5",
                                                 "short_call_s": "5"})
    assert r.status_code == 400 and queries.thresholds(db)["sl_seconds"] == 20
    assert admin.post("/reports/monthly", data={"month": "2026-03"}).status_code == 400
    assert admin.post("/reports/monthly/email", data={"email": "a@b.pl"}).status_code == 400


@pytest.mark.parametrize("query, message", [
    ("from=2026-03-10&to=2026-03-01",
     "The end date 2026-03-01 is before the start date 2026-03-10."),
    ("from=10.03.2026&to=2026-03-11", "From: a date like 2026-03-31, not '10.03.2026'"),
    ("from=2026-03-01&to=2027-03-02", "A report covers at most 366 days"),
])
def test_bad_filters_explained(sup, filled, query, message):
    for path in ("/reports/", "/reports/overview", "/reports/answered"):
        r = sup.get(f"{path}?{query}")
        assert r.status_code == 400
        page = text(r)
        assert message in page, page
        assert 'id="report-filter"' in page   # the form is still there to fix it


def test_bad_drill_down_explained(sup, filled):
    r = sup.get(f"/reports/answered?{period(DAY)}&w_status=maybe")
    assert r.status_code == 400
    assert "status" in text(r) and 'id="report-filter"' in text(r)


def test_presets_and_filter_form(sup, filled):
    page = text(sup.get("/reports/"))
    for preset in ("today", "yesterday", "this_week", "last_week", "this_month", "last_month"):
        assert f'id="preset-{preset}"' in page
    assert '<input type="date" id="from" name="from"' in page
    assert '<option value="support"' in page and '<option value="101"' in page
    today = dt.date.today()
    page = text(sup.get("/reports/overview?preset=yesterday"))
    day = (today - dt.timedelta(days=1)).isoformat()
    assert f"Period: {day} – {day}" in page
    page = text(sup.get("/reports/overview?preset=last_month"))
    last = today.replace(day=1) - dt.timedelta(days=1)
    assert f"Period: {last.replace(day=1).isoformat()} – {last.isoformat()}" in page
    # a bookmarked report keeps its queues and agents
    page = text(sup.get(f"/reports/answered?{period(DAY)}&queue=support&agent=102"))
    assert count_rows(page) == 1
    assert 'value="support" selected' in page.replace("<option ", "") or \
        '<option value="support" selected' in page


# -- every report renders ---------------------------------------------------------------------

@pytest.mark.parametrize("day", [EMPTY_DAY, DAY.isoformat()])
def test_every_report_renders(sup, filled, day):
    for name, info in queries.REPORTS.items():
        r = sup.get(f"/reports/{name}?{period(day)}")
        assert r.status_code == 200, (name, text(r)[:3000])
        page = text(r)
        assert f"<h1>{info.title}</h1>" in page, name
        if info.kind == "details":
            assert count_rows(page) >= 0
    page = text(sup.get(f"/reports/answered?{period(EMPTY_DAY)}"))
    assert count_rows(page) == 0 and "No rows in this period." in page


def test_polish_page(app, db, filled, admin):
    c = client_for(app, db, "supervisor")
    page = text(c.get(f"/reports/overview?{period(DAY)}"))
    assert "Raporty" in page and "Okres" in page and "Eksport XLSX" in page
    page = text(c.get(f"/reports/answered?{period(DAY)}"))
    assert "dzwoniący" in page and "Połączenia odebrane" in page   # who hung up, in Polish
    # the file speaks the language of the user who asked for it
    _state, data = export_file(c, "answered", period(DAY), "csv")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert "Czekanie (s)" in header and "Dzwoniący" in header


def test_overview_figures_charts_and_drill_down(sup, filled):
    page = text(sup.get(f"/reports/overview?{period(DAY)}"))
    assert "<svg" in page and 'class="chart' in page
    links = re.findall(r'<div class="stat figure" id="figure-([^"]+)">.*?'
                       r'<span class="value" data-value="([^"]*)"><a href="([^"]+)" class="drill">',
                       page, re.S)
    assert links, "no figure links to the calls behind it"
    report = queries.summary(sup.application.extensions["jns_db"].get(), "overview",
                             queries.make_filter(filled, at(DAY, 0, 0), at(DAY2, 0, 0)))
    kinds = {f.key: f.kind for f in report.figures}
    checked = 0
    for key, value, href in links:
        if kinds[key] != "int":
            continue
        drilled = text(sup.get(href))
        assert count_rows(drilled) == int(float(value)), (key, href)
        checked += 1
    assert checked >= 2
    values = {f.key: f.value for f in report.figures}
    # the day's facts: 6 calls, 3 answered
    assert 6 in values.values() and 3 in values.values()


def test_chart_bar_drill_down(sup, filled):
    """Each bar of the calls-per-hour chart links to exactly the calls it counts."""
    page = sup.get(f"/reports/overview?{period(DAY)}").get_data(as_text=True)
    chart = page.split('id="chart-calls_per_hour"', 1)[1].split("</figure>", 1)[0]
    bars = re.findall(r'<a href="([^"]+)"><rect class="bar"[^>]*><title>([^<]+)</title>', chart)
    seen = {}
    for href, title in bars:
        hour, _sep, rest = html.unescape(title).partition(": ")
        value = int(float(rest.split()[-2]))
        assert count_rows(text(sup.get(html.unescape(href)))) == value, (title, href)
        seen[(hour, rest.split()[0])] = value
    # 9:00-10:00: two answered (sales), two abandoned; 10:00-11:00: one of each
    assert seen == {("9", "Answered"): 2, ("9", "Unanswered"): 2,
                    ("10", "Answered"): 1, ("10", "Unanswered"): 1}


def test_table_row_drill_down(sup, filled):
    """A queue's row links to that queue's calls: as many as the row says were offered."""
    page = text(sup.get(f"/reports/queues?{period(DAY)}"))
    rows = table_cells(page, "table-per_queue")
    links = re.findall(r'<td class=" col-queue kind-text"[^>]*><a href="([^"]+)">', page)
    assert [r[0] for r in rows] == ["sales", "support"] and len(links) == 2
    for row, link in zip(rows, links):
        assert count_rows(text(sup.get(html.unescape(link)))) == int(row[1]) == 3


def test_every_report_text_has_polish():
    """Titles, labels and definitions that queries.py gives the panel are translated."""
    from appliance.webui.i18n import CATALOG
    ids = set(queries.LABELS)
    for info in queries.REPORTS.values():
        ids |= {info.title, info.description}
    for d in queries.DEFINITIONS:
        ids |= {d["title"], d["text"]}
    assert not sorted(i for i in ids if i not in CATALOG)


def test_recording_linked_to_the_player(sup, filled):
    page = text(sup.get(f"/reports/answered?{period(DAY)}"))
    players = re.findall(r'<a href="(/recordings/\d+/play)" class="recording">', page)
    assert len(players) == 1     # only call 6 was recorded
    r = sup.get(players[0])
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    journey = text(sup.get("/reports/call/1773133500.8"))
    assert f'href="{players[0]}"' in journey
    assert "journey-recording" not in text(sup.get("/reports/call/1773130200.1"))


def test_details_chips_and_journey(sup, filled):
    page = text(sup.get(f"/reports/calls?{period(DAY)}&w_status=answered&w_queue=sales"))
    assert count_rows(page) == 2
    assert 'id="drill-chips"' in page
    remove = re.findall(r'<a href="([^"]+)" class="remove"', page)
    assert len(remove) == 2
    without_queue = [h for h in remove if "w_queue" not in html.unescape(h)][0]
    assert count_rows(text(sup.get(html.unescape(without_queue)))) == 3
    callid = re.search(r'href="/reports/call/([^"]+)" class="callid"', page).group(1)
    journey = text(sup.get(f"/reports/call/{callid}"))
    assert "ENTERQUEUE" in journey and "CONNECT" in journey and "COMPLETE" in journey
    assert sup.get("/reports/call/no-such-call").status_code == 404


def test_sorting_and_paging(sup, filled):
    base = f"/reports/answered?{period(DAY2)}"
    page = text(sup.get(base))
    assert count_rows(page) == 60 and "page 1 of 2" in page
    assert len(table_cells(page, "details")) == 50
    page2 = text(sup.get(base + "&page=2"))
    assert len(table_cells(page2, "details")) == 10
    waits = [int(r[4]) for r in data_values(page + page2.replace('id="details"', 'id="d2"'),
                                            "details")]
    assert waits == list(range(50))
    # click the wait header: ascending, then again: descending
    link = re.search(r'<a href="([^"]+)" class="sort" data-sort="wait"', page).group(1)
    asc = text(sup.get(html.unescape(link)))
    link = re.search(r'<a href="([^"]+)" class="sort sorted" data-sort="wait"', asc).group(1)
    desc = text(sup.get(html.unescape(link)))
    assert [int(r[4]) for r in data_values(desc, "details")][:3] == [59, 58, 57]
    assert 'aria-sort="descending"' in desc
    # summary tables are sorted too
    page = text(sup.get(f"/reports/queues?{period(DAY)}"))
    table_id = re.search(r'<table class="report" id="([^"]+)"', page).group(1)
    link = re.search(r'<a href="([^"]+)" class="sort" data-sort="[^"]+\.queue"', page).group(1)
    names = [r[0] for r in table_cells(text(sup.get(html.unescape(link))), table_id)]
    assert names == sorted(names)


# -- exports -------------------------------------------------------------------------------------

def test_csv_export_equals_page(sup, filled):
    query = period(DAY)
    page = text(sup.get(f"/reports/answered?{query}"))
    shown = data_values(page, "details")
    state, data = export_file(sup, "answered", query, "csv")
    assert data.startswith("\ufeff".encode())   # the BOM: Excel reads the Polish text right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert "Wait (s)" in header and "Talk time (s)" in header
    assert len(body) == len(shown) == 3
    wait, talk = header.index("Wait (s)"), header.index("Talk time (s)")
    assert sorted(int(r[wait]) for r in body) == sorted(int(r[4]) for r in shown) == [5, 10, 30]
    assert sorted(int(r[talk]) for r in body) == [60, 90, 120]
    # a drill-down is exported as it is shown
    state, data = export_file(sup, "calls", query, "csv", {"w_status": "unanswered"})
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) - 1 == 3


def test_xlsx_export_equals_page(sup, filled):
    openpyxl = pytest.importorskip("openpyxl")
    query = period(DAY)
    page = text(sup.get(f"/reports/queues?{query}"))
    state, data = export_file(sup, "queues", query, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    db = filled
    report = queries.summary(db, "queues", queries.make_filter(db, at(DAY, 0, 0), at(DAY2, 0, 0)))
    assert len(book.sheetnames) == len(report.tables) + (1 if report.figures else 0)
    for table in report.tables:
        sheet = [s for s in book.sheetnames if s.startswith(table.title[:25])][0]
        rows = list(book[sheet].iter_rows(values_only=True))
        shown = data_values(page, f"table-{table.key}")
        assert len(rows) - 1 == len(shown) == len(table.rows)
        for got, values in zip(rows[1:], shown):
            for col, value, raw in zip(table.columns, got, values):
                if col.kind == "int":
                    assert isinstance(value, int) and value == int(raw), (col.key, value, raw)
                elif col.kind in ("seconds", "percent", "number") and raw:
                    # numbers as numbers, rounded to the tenth the page shows
                    assert isinstance(value, (int, float)) and value == round(float(raw), 1)
                    shown_text = show(float(raw), col.kind)
                    assert shown_text == show(value, col.kind), (col.key, value, raw)


def test_export_download_only_for_owner_or_admin(app, db, filled, sup, admin):
    state, _data = export_file(sup, "answered", period(DAY), "csv")
    from appliance.store import users
    from tests.test_webui import ADMIN_PW, login
    users.create_user(db, "ewa", ADMIN_PW, "supervisor")
    ewa = app.test_client()
    login(ewa, "ewa", ADMIN_PW)
    assert ewa.get(state["download"]).status_code == 404
    assert ewa.get(f"/reports/exports/{state['id']}.json").status_code == 404
    assert admin.get(state["download"]).status_code == 200
    # files older than a day go
    exports_dir = Path(app.config["REPORT_EXPORTS_DIR"])
    assert list(exports_dir.iterdir())
    export.cleanup(db, now=time.time() + export.EXPORT_KEEP_S + 60)
    assert not list(exports_dir.iterdir())
    assert sup.get(state["download"]).status_code == 404


def test_printable_page(sup, filled):
    page = text(sup.get(f"/reports/overview?{period(DAY)}&print=1"))
    assert "<nav" not in page and "print-view" in page and "<svg" in page
    assert 'id="export-form"' not in page
    page = text(sup.get(f"/reports/answered?{period(DAY2)}&print=1"))
    assert count_rows(page) == 60 and len(table_cells(page, "details")) == 60   # all, not a page


# -- definitions and thresholds ------------------------------------------------------------------

def test_definitions_and_thresholds(app, db, admin, sup):
    english(admin)
    page = text(sup.get("/reports/definitions"))
    for d in queries.DEFINITIONS:
        assert d["title"] in page
    assert 'id="thresholds"' in page and "<form" not in page.split('id="thresholds"')[0][-200:]
    token = csrf(admin, "/reports/definitions")
    r = admin.post("/reports/definitions", data={"csrf_token": token, "sl_seconds": "abc",
                                                 "short_abandon_s": "5", "short_call_s": "5"})
    assert r.status_code == 400 and "abc" in text(r)
    assert 'value="abc"' in text(r)   # what was typed is kept
    r = admin.post("/reports/definitions", data={"csrf_token": token, "sl_seconds": "30",
                                                 "short_abandon_s": "4", "short_call_s": "6"})
    assert r.status_code == 302
    assert queries.thresholds(db) == {"sl_seconds": 30, "short_abandon_s": 4, "short_call_s": 6}


# -- monthly report (OPS-1) ------------------------------------------------------------------------

def test_monthly_report(app, db, filled, admin):
    english(admin)
    alert_id = store_alerts.open_alert(db, "disk", "/data", "warning", "disk /data 91 % full",
                                       since=at(DAY, 8, 0), detected_at=at(DAY, 8, 0))
    store_alerts.resolve_alert(db, alert_id, at=at(DAY, 9, 0))
    token = csrf(admin, "/reports/monthly")
    r = admin.post("/reports/monthly", data={"csrf_token": token, "month": "2026-3"})
    assert r.status_code == 400 and "2026-03" in text(r)
    r = admin.post("/reports/monthly", data={"csrf_token": token, "month": "2026-03"})
    assert r.status_code == 302
    assert [m["month"] for m in monthly.months(db)] == ["2026-03"]
    doc = text(admin.get("/reports/monthly/2026-03"))
    assert "disk /data 91 % full" in doc and "<svg" in doc
    f = queries.make_filter(db, *monthly.month_range("2026-03"))
    overview = queries.summary(db, "overview", f)
    for fig in overview.figures:
        if fig.kind == "int":
            assert re.search(rf'data-key="{fig.key}">{fig.value}<', doc), fig
    answered = [f for f in overview.figures if f.kind == "int" and f.value == 63]
    assert answered, overview.figures      # 3 + 60 answered calls in March
    assert "<script" not in doc and "style=" not in doc
    assert admin.get("/reports/monthly/2026-04").status_code == 404
    # who gets it by e-mail: addresses checked, what was typed kept on a refusal
    r = admin.post("/reports/monthly/email", data={"csrf_token": token,
                                                   "email": "szef@example.pl, nobody"})
    assert r.status_code == 400 and "Not an e-mail address: nobody" in text(r)
    assert 'value="szef@example.pl, nobody"' in text(r)
    r = admin.post("/reports/monthly/email", data={"csrf_token": token,
                                                   "email": "szef@example.pl; it@example.pl"})
    assert r.status_code == 302
    assert monthly.recipients(db) == ["szef@example.pl", "it@example.pl"]


def test_monthly_ensure_previous_month(db, filled, sink):
    # calls still ringing at midnight end first: nothing at 00:30 on the 1st
    assert monthly.ensure_previous_month(db, dt.datetime(2026, 4, 1, 0, 30).timestamp()) is None
    assert monthly.months(db) == []
    now = dt.datetime(2026, 4, 1, 3, 0).timestamp()
    assert monthly.ensure_previous_month(db, now) == "2026-03"
    assert monthly.ensure_previous_month(db, now) is None   # made once
    assert [m["emailed_to"] for m in monthly.months(db)] == [""]   # nobody to send it to
    store_alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                      smtp_security="none", email_to="it@example.com")
    set_setting(db, "monthly_report_email", "szef@example.pl")
    now = dt.datetime(2026, 5, 1, 3, 0).timestamp()
    assert monthly.ensure_previous_month(db, now) == "2026-04"
    [message] = sink.wait(1)
    assert message["To"] == "szef@example.pl" and "2026-04" in message["Subject"]
    assert [m["emailed_to"] for m in monthly.months(db)] == ["szef@example.pl", ""]
    assert sink.wait(1, timeout=0) == [message]   # March was not sent again


# -- in a real browser ----------------------------------------------------------------------------

SCREENS = Path(__file__).resolve().parents[1] / "build" / "screens"


@pytest.mark.browser
def test_browser_dates_chart_drill_down_and_xlsx_export(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): pick the day with the date
    fields, open the overview, see its charts, click a figure to the calls behind it,
    export them as XLSX and download the file when the progress bar is full."""
    openpyxl = pytest.importorskip("openpyxl")
    from appliance.store import users
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    seed_demo(db)
    fill(db, tmp_path)
    users.create_user(db, "admin", "browser-test-password", "admin", lang="en")
    db.conn.close()
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", "browser-test-password")
        page.click("button.primary")
        page.click("nav >> text=Reports")
        assert page.url.startswith(url + "/reports/")
        page.fill("#from", DAY.isoformat())
        page.fill("#to", DAY.isoformat())
        page.click("#show-report")
        page.click("#open-overview")
        assert f"from={DAY.isoformat()}" in page.url
        assert page.locator("figure.chart svg").count() >= 1
        SCREENS.mkdir(parents=True, exist_ok=True)   # for a human to look at
        page.screenshot(path=str(SCREENS / "reports-overview.png"), full_page=True)
        figure = page.locator(".figure a.drill").first
        expected = int(float(figure.locator("xpath=..").get_attribute("data-value")))
        figure.click()
        assert page.locator("#total").inner_text().startswith(f"Rows: {expected}")
        rows = page.locator("#details tbody tr").count()
        assert rows == min(expected, 50)
        page.screenshot(path=str(SCREENS / "reports-details.png"), full_page=True)
        page.click("#export-xlsx")
        progress = page.locator("#export-progress")
        progress.wait_for()
        page.wait_for_selector("#download", timeout=30_000)
        assert progress.get_attribute("value") == "100"
        with page.expect_download() as info:
            page.click("#download")
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.suffix == ".xlsx"
        sheet = openpyxl.load_workbook(saved, read_only=True).worksheets[0]
        assert len(list(sheet.iter_rows(values_only=True))) - 1 == expected
        assert not page.console_errors, page.console_errors
