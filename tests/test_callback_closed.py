"""'Press 1 to be called back' at closing time (issue 12, BEY-2): the destination 'callback'
(target: a queue) as a route's closed-hours destination and as an IVR key.  The store's
rules without Asterisk, then real SIPp callers in a real Asterisk 22: the caller presses 1
on a closed number, the callback is due at its next opening, and once due (and an agent is
logged in) the agent is rung first and the customer called back through the carrier."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from appliance.reports import queries
from appliance.reports.ingest import ingest_files
from appliance.store import config
from appliance.store import db as store
from appliance.store.db import StoreError
from appliance.telephony import callbacks
from tests.test_callbacks import CUSTOMER, OTHER, cbbox, rows  # noqa: F401 (fixture)
from tests.test_inbound_calls import applied
from tests.test_skeleton_call import wait_for

MONDAY = dt.datetime(2026, 11, 23, 12, 0)       # a Monday


@pytest.fixture
def sdb(tmp_path):
    sales = store.open_db(tmp_path / "jns.db")
    config.save_queue(sales, "sales", "Sales")
    config.save_schedule(sales, "office", [(0, "08:00", "16:00"), (1, "08:00", "16:00")],
                         [("2026-11-24", "Tuesday off")])
    return sales


def test_callback_is_a_destination_with_a_queue_as_target(sdb):
    config.save_route(sdb, "302", "queue", "sales", schedule="office",
                      closed=("callback", "sales"))
    with pytest.raises(StoreError, match="no queue named 'nope'"):
        config.save_route(sdb, "303", "queue", "sales", schedule="office",
                          closed=("callback", "nope"))
    menu = config.save_menu(sdb, "night", "welcome", {"1": ("callback", "sales")},
                            fallback=("hangup", ""))
    assert menu
    assert config.ivr_menu(sdb, "night")["options"]["1"] == ("callback", "sales")


def test_next_opening_skips_closed_days_and_holidays(sdb):
    config.save_route(sdb, "302", "queue", "sales", schedule="office",
                      closed=("callback", "sales"))
    # Monday evening: Tuesday is a holiday, the next Monday 08:00 is the next opening
    assert callbacks.next_opening(sdb, "302", MONDAY.replace(hour=18)) == \
        dt.datetime(2026, 11, 30, 8, 0)
    # Monday early: the same morning; Monday noon: open now
    assert callbacks.next_opening(sdb, "302", MONDAY.replace(hour=6)) == MONDAY.replace(hour=8)
    assert callbacks.next_opening(sdb, "302", MONDAY) == MONDAY
    # a number without opening hours: no opening known (the callback is due at once)
    config.save_route(sdb, "304", "queue", "sales")
    assert callbacks.next_opening(sdb, "304", MONDAY) is None


def test_a_callback_not_due_yet_does_not_expire(sdb):
    callbacks.set_queue_callback(sdb, "sales", key="", retries=1, expiry_s=600)
    later, _ = callbacks.request(sdb, "sales", CUSTOMER, at=1000.0, due_at=90000.0)
    assert callbacks.expired(sdb, 50000.0) == []
    assert [c["id"] for c in callbacks.expired(sdb, 90600.0)] == [later]


# -- real calls ------------------------------------------------------------------------------

@pytest.fixture
def closed(cbbox):
    """Number 302 is closed now (open tomorrow 09:00-17:00 only): its closed destination
    offers a callback from queue cbq."""
    box = cbbox
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    config.save_schedule(box.db, "tomorrow", [(tomorrow.weekday(), "09:00", "17:00")])
    config.save_route(box.db, "302", "queue", "cbq", schedule="tomorrow",
                      closed=("callback", "cbq"))
    config.save_queue(box.db, "cbempty", "Nobody logged in", members=[])
    applied(box)
    return box, dt.datetime.combine(tomorrow, dt.time(9, 0)).timestamp()


@pytest.mark.asterisk
def test_press_1_at_closing_time_calls_back_at_the_opening(closed, sipp, agent_port):
    box, opening = closed
    call = sipp.call_keys(box.layout.sip_port, "302", [(2500, "1")], caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    row = wait_for(lambda: rows(box) and rows(box)[0], timeout=15)
    assert (row["queue"], row["number"], row["due_at"], row["status"]) == (
        "cbq", CUSTOMER, opening, "requested")
    assert row["did"] == "302" and row["caller_uniqueid"]
    time.sleep(1)
    assert rows(box)[0]["status"] == "requested"       # not due yet: not placed
    # due in a queue nobody is logged in to: not placed either
    alone, _ = callbacks.request(box.db, "cbempty", OTHER, due_at=time.time() - 1)
    # due now in cbq, whose agent is logged in (paused): it waits in the queue for them
    box.db.conn.execute("UPDATE queue_callbacks SET due_at = ? WHERE id = ?",
                        [time.time() - 1, row["id"]])
    assert wait_for(lambda: rows(box)[0]["status"] == "waiting", timeout=15), rows(box)
    time.sleep(1)
    assert callbacks.get(box.db, alone)["status"] == "requested"
    agent = sipp.agent(agent_port, talk_ms=3000, calls=1)
    time.sleep(0.3)
    box.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "connected", timeout=30), rows(box)
    agent.wait(timeout=30)
    done = wait_for(lambda: rows(box)[0]["ended_at"] and rows(box)[0], timeout=15)
    assert done["agent"] == "101" and done["attempts"] == 1
    # the reports: the callback with its result; the caller never waited in a queue
    log_dir = box.asterisk.log_dir
    ingest_files(box.db, log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv")
    start = int(time.mktime(dt.date.today().timetuple()))
    f = queries.make_filter(box.db, start - 3600, start + 2 * 86400)
    listed, _ = queries.details(box.db, "callbacks", f, where={"queue": "cbq"})
    assert [(r["number"], r["status"], r["agent"]) for r in listed] == [(CUSTOMER, "connected", "101")]
    assert box.db.execute("SELECT count(*) FROM report_calls").fetchone()[0] == 0


@pytest.mark.asterisk
def test_the_offer_as_an_ivr_key_and_a_caller_who_does_not_press_1(cbbox, sipp):
    box = cbbox
    config.save_menu(box.db, "night", "hello-world", {"2": ("callback", "cbq")},
                     fallback=("hangup", ""))
    config.save_route(box.db, "305", "menu", "night")
    applied(box)
    # no key: the offer is played twice, then the call ends without a callback
    nothing = sipp.call_keys(box.layout.sip_port, "305", [(1500, "2"), (1000, "9")],
                             caller="48600100007")
    assert nothing.returncode == 0, nothing.stdout
    # 2 in the menu, then 1 for the offer: due at once (the number has no opening hours)
    asked = time.time()
    call = sipp.call_keys(box.layout.sip_port, "305", [(1500, "2"), (2500, "1")],
                          caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    row = wait_for(lambda: rows(box) and rows(box)[0], timeout=15)
    assert [r["number"] for r in rows(box)] == [CUSTOMER]
    assert row["due_at"] >= asked - 1 and row["did"] == "305"
    # the agent is logged in (paused): the callback waits in the queue at once
    assert wait_for(lambda: rows(box)[0]["status"] == "waiting", timeout=15), rows(box)


# -- the panel: the route form offers the destination ---------------------------------------------

from tests.test_webui_inbound import admin_client, app, db, dirs, post  # noqa: E402,F401
from tests.test_webui import text  # noqa: E402


def test_route_form_takes_a_callback_at_closing_time_and_refuses_an_unknown_queue(admin_client, db):
    c = admin_client
    config.save_schedule(db, "office", [(0, "08:00", "16:00")])
    form = {"did": "+48221234500", "title": "Night line", "dest_action": "queue",
            "dest_target": "support", "lang": "", "schedule": "office",
            "closed_action": "callback", "closed_target": "nope"}
    body = text(c.get("/admin/routes/new"))
    assert '<option value="callback">oddzwonienie (dzwoniący naciska 1)</option>' in body
    r = post(c, "/admin/routes/new", form)
    assert r.status_code == 400
    assert "+48221234500" not in {r["did"] for r in config.snapshot(db)["routes"]}
    r = post(c, "/admin/routes/new", {**form, "closed_target": "support"})
    assert r.status_code == 302
    route = {r["did"]: r for r in config.snapshot(db)["routes"]}["+48221234500"]
    assert (route["closed_action"], route["closed_target"]) == ("callback", "support")
    assert "oddzwonienie (dzwoniący naciska 1) <code>support</code>" in text(c.get("/admin/routes/"))
