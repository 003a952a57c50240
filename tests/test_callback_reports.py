"""Callbacks in the reports (issue 12, BEY-2): real SIPp callers in a real Asterisk 22 queue
ask for a callback; the queue_log Asterisk wrote is read by the reports' ingest and shown
by the panel and the CSV export: the asking call ends 'callback' (not abandoned), the
placeholder that kept its place is no call of its own, the callback's result per queue."""
from __future__ import annotations

import csv
import datetime as dt
import time

import pytest

from appliance.reports import export, queries
from appliance.reports.ingest import ingest_files
from appliance.webui import create_app
from tests.conftest import client_for, page_text as text, use_english
from tests.test_callbacks import CUSTOMER, callback_lines, cbbox, rows  # noqa: F401 (fixture)
from tests.test_skeleton_call import wait_for
from tests.test_webui import do_setup
from tests.test_webui_reports import table_cells


def ingest(box) -> None:
    log_dir = box.asterisk.log_dir
    ingest_files(box.db, log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv")


def today(db) -> queries.Filter:
    start = int(time.mktime(dt.date.today().timetuple()))
    return queries.make_filter(db, start - 3600, start + 2 * 86400)


def figures(report: queries.Report) -> dict:
    return {f.key: f.value for f in report.figures}


@pytest.mark.asterisk
def test_a_connected_callback_is_reported_once_with_its_agent(cbbox, sipp, agent_port, tmp_path):
    box = cbbox
    call = sipp.call_keys(box.layout.sip_port, "301", [(5000, "*")], caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "waiting", timeout=15)
    agent = sipp.agent(agent_port, talk_ms=3000, calls=1)
    time.sleep(0.3)
    box.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "connected", timeout=30), rows(box)
    agent.wait(timeout=30)
    cb = wait_for(lambda: rows(box)[0]["ended_at"] and rows(box)[0], timeout=15)
    assert wait_for(lambda: callback_lines(box, "connected"), timeout=10)

    ingest(box)
    calls = [dict(r) for r in box.db.query("SELECT * FROM report_calls")]
    # the asking call, once: unanswered because it asked for a callback, not abandoned;
    # the placeholder (answered by the agent) is no call of its own
    assert [(c["callid"], c["status"], c["reason"], c["key"]) for c in calls] == [
        (cb["caller_uniqueid"], "unanswered", "callback", "*")]
    f = today(box.db)
    una = queries.summary(box.db, "unanswered_summary", f)
    got = figures(una)
    assert (got["abandoned"], got["callback"], got["key"]) == (0, 1, 0)
    assert (got["callbacks_requested"], got["callbacks_connected"], got["callbacks_failed"],
            got["callbacks_expired"]) == (1, 1, 0, 0)
    [per_queue] = next(t for t in una.tables if t.key == "callbacks").rows
    assert (per_queue["queue"], per_queue["requested"], per_queue["connected"]) == ("cbq", 1, 1)
    assert per_queue["avg_after"] > 0
    listed, total = queries.details(box.db, "callbacks", f)
    assert total == 1 and listed[0]["status"] == "connected" and listed[0]["agent"] == "101"
    assert listed[0]["callid"] == cb["caller_uniqueid"] and listed[0]["number"] == CUSTOMER
    [unanswered], _ = queries.details(box.db, "unanswered", f)
    assert unanswered["callback"] == "connected"

    # the CSV export of the callbacks list
    export_id = export.create(box.db, "admin", "callbacks", f, "csv")
    export.run(str(box.db_path), export_id, str(tmp_path / "exports"))
    with open(tmp_path / "exports" / f"export-{export_id}.csv", newline="",
              encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    assert [r[header.index("Result")] for r in table[1:]] == ["connected"]
    assert [r[header.index("Agent")] for r in table[1:]] == ["101"]

    # the panel: the callbacks list and the unanswered summary, in English and Polish
    app = create_app(str(box.db_path), config={"TESTING": True})
    assert do_setup(app.test_client()).status_code == 302
    sup = client_for(app, app.extensions["jns_db"].get(), "supervisor")
    day = dt.date.today()
    page = text(sup.get(f"/reports/callbacks?from={day}&to={day}"))
    assert "połączone" in page and "Numer do oddzwonienia" in page and CUSTOMER in page
    use_english(sup)
    page = text(sup.get(f"/reports/unanswered_summary?from={day}&to={day}"))
    [row] = table_cells(page, "table-callbacks")
    assert row[:6] == ["cbq", "1", "1", "0", "0", "0"]


@pytest.mark.asterisk
def test_an_expired_callback_is_counted_expired_not_abandoned(cbbox, sipp):
    box = cbbox
    box.db.conn.execute("UPDATE queues SET callback_expiry_s = 4 WHERE name = 'cbq'")
    call = sipp.call_keys(box.layout.sip_port, "301", [(5000, "*")], caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "expired", timeout=30)
    assert wait_for(lambda: callback_lines(box, "expired"), timeout=10)
    ingest(box)
    reasons = [r["reason"] for r in box.db.query("SELECT reason FROM report_calls")]
    assert reasons == ["callback"]
    got = figures(queries.summary(box.db, "unanswered_summary", today(box.db)))
    assert (got["abandoned"], got["callbacks_requested"], got["callbacks_expired"],
            got["callbacks_connected"]) == (0, 1, 1, 0)
    listed, _ = queries.details(box.db, "callbacks", today(box.db), where={"status": "expired"})
    assert [r["number"] for r in listed] == [CUSTOMER]
