"""Campaign store (CMP-2): every rule refused with its reason, status transitions, and
starting a campaign fills its contacts (a list attached or grown later joins on resume)."""
from __future__ import annotations

import json
import time

import pytest

from appliance.campaigns import campaigns as cmp
from appliance.store import config
from appliance.store.db import StoreError, open_db, set_setting


def add_list(db, name: str, phones: list[str]) -> int:
    """A contact list written the way an import leaves it (helper A's module does imports)."""
    now = time.time()
    list_id = db.conn.execute("INSERT INTO contact_lists (name, created_at) VALUES (?, ?)",
                              [name, now]).lastrowid
    add_contacts(db, list_id, phones)
    return list_id


def add_contacts(db, list_id: int, phones: list[str]) -> None:
    for phone in phones:
        db.conn.execute("INSERT INTO contacts (list_id, phone, name, created_at) "
                        "VALUES (?, ?, ?, ?)", [list_id, phone, f"Contact {phone}", time.time()])


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101")
    config.add_queue(db, "sales", "Sales", members=["101"])
    config.add_queue(db, "empty", "Nobody")
    config.add_trunk(db, "telco", "192.0.2.1")
    return db


def test_a_new_campaign_gets_the_defaults_and_its_queue(db):
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", title="Spring offer")
    row = cmp.campaign(db, cid)
    assert row == cmp.campaign(db, "spring")
    assert row["queue"] == "sales" and row["status"] == "draft" and row["mode"] == "progressive"
    assert row["ring_s"] == 25 and row["abandon_cap"] == 3.0 and row["created_by"] == "admin"
    assert cmp.campaign(db, "nosuch") is None and cmp.campaign(db, 999) is None


def test_saving_again_by_name_changes_only_what_was_given(db):
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", ring_s=30,
                            caller_id="+48 22 100-20-30")
    assert cmp.save_campaign(db, "spring", user="admin", mode="predictive") == cid
    row = cmp.campaign(db, cid)
    assert (row["mode"], row["ring_s"], row["caller_id"]) == ("predictive", 30, "+48221002030")
    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 1


@pytest.mark.parametrize("fields, error", [
    ({"ring_s": 14}, cmp.E_RING),
    ({"ring_s": "abc"}, cmp.E_RING),
    ({"ring_s": 121}, cmp.E_RING_MAX),
    ({"window_start": "20:00", "window_end": "09:00"}, cmp.E_WINDOW_ORDER),
    ({"window_start": "9 am"}, cmp.E_WINDOW_FORMAT),
    ({"weekdays": ""}, cmp.E_WEEKDAYS),
    ({"weekdays": "189"}, cmp.E_WEEKDAYS),
    ({"start_date": "2025-03-10", "end_date": "2025-03-01"}, cmp.E_DATE_ORDER),
    ({"start_date": "10.03.2025"}, cmp.E_DATE_FORMAT),
    ({"end_date": "2025-02-30"}, cmp.E_DATE_FORMAT),
    ({"queue": "nosuch"}, cmp.E_QUEUE),
    ({"abandon_cap": 101}, cmp.E_CAP),
    ({"abandon_cap": -1}, cmp.E_CAP),
    ({"abandon_rule": "week"}, cmp.E_RULE),
    ({"caller_id": "ACME"}, cmp.E_CALLER_ID),
    ({"noagent_prompt": "nosuch-prompt"}, cmp.E_PROMPT),
    ({"mode": "blast"}, cmp.E_MODE),
    ({"max_attempts": 0}, cmp.E_ATTEMPTS),
    ({"retry_busy_s": -5}, cmp.E_RETRY),
    ({"max_ratio": 0.5}, cmp.E_RATIO),
    ({"record": "some"}, cmp.E_RECORD),
])
def test_each_rule_is_refused_with_its_reason_and_nothing_is_written(db, fields, error):
    with pytest.raises(StoreError) as exc:
        cmp.save_campaign(db, "spring", user="admin", **{"queue": "sales", **fields})
    assert str(exc.value) == error
    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0


def test_a_refused_change_keeps_the_saved_campaign(db):
    cmp.save_campaign(db, "spring", user="admin", queue="sales", ring_s=20)
    with pytest.raises(StoreError):
        cmp.save_campaign(db, "spring", user="admin", ring_s=10, mode="predictive")
    row = cmp.campaign(db, "spring")
    assert (row["ring_s"], row["mode"]) == (20, "progressive")


def test_names_and_prompts(db):
    with pytest.raises(StoreError, match="campaign name"):
        cmp.save_campaign(db, "Spring Offer", user="admin", queue="sales")
    with pytest.raises(StoreError, match="queue"):
        cmp.save_campaign(db, "noqueue", user="admin")
    cmp.save_campaign(db, "spring", user="admin", queue="sales", noagent_prompt="goodbye")
    config.save_prompt(db, "ident", "pl", "tts", text="Dzwonimy z JNS")
    cmp.save_campaign(db, "spring", user="admin", noagent_prompt="ident")
    assert cmp.campaign(db, "spring")["noagent_prompt"] == "ident"


def test_warnings_name_a_cap_above_the_legal_three_percent(db):
    cmp.save_campaign(db, "spring", user="admin", queue="sales", abandon_cap=5,
                      noagent_prompt="goodbye")
    assert cmp.warnings(cmp.campaign(db, "spring")) == [cmp.W_CAP]
    cmp.save_campaign(db, "spring", user="admin", abandon_cap=3)
    assert cmp.warnings(cmp.campaign(db, "spring")) == []


def test_starting_copies_the_lists_contacts_and_a_list_grown_later_joins_on_resume(db):
    first = add_list(db, "warsaw", ["+48600100001", "+48600100002"])
    second = add_list(db, "krakow", ["+48600200001"])
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", lists=[first])
    assert db.execute("SELECT count(*) FROM campaign_contacts").fetchone()[0] == 0
    cmp.set_status(db, cid, "running", "admin")
    assert cmp.progress(db, cid)["states"]["new"] == 2
    assert cmp.campaign(db, cid)["started_at"] is not None
    # the dialer has called one contact: its row must survive everything below
    db.execute("UPDATE campaign_contacts SET state = 'done', attempts = 1 WHERE contact_id = "
               "(SELECT min(id) FROM contacts)")
    cmp.set_status(db, cid, "paused", "admin")
    add_contacts(db, first, ["+48600100003"])
    cmp.set_status(db, cid, "running", "admin")
    progress = cmp.progress(db, cid)
    assert progress["states"]["new"] == 2 and progress["states"]["done"] == 1
    assert (progress["total"], progress["finished"]) == (3, 1)
    # a list attached while it runs joins at once; one taken away takes its uncalled contacts
    cmp.attach_lists(db, cid, [first, second])
    assert cmp.progress(db, cid)["total"] == 4
    cmp.attach_lists(db, cid, [second])
    assert cmp.campaign(db, cid)["lists"] == [second]
    assert {r[0] for r in db.execute("SELECT c.phone FROM campaign_contacts cc JOIN contacts c "
                                     "ON c.id = cc.contact_id")} == {"+48600100001", "+48600200001"}


def test_status_transitions(db):
    add_list(db, "warsaw", ["+48600100001"])
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", lists=[1])
    for bad in ("paused", "stopped"):
        with pytest.raises(StoreError, match="cannot go"):
            cmp.set_status(db, cid, bad, "admin")
    cmp.set_status(db, cid, "running", "admin")
    cmp.set_status(db, cid, "paused", "admin")
    cmp.set_status(db, cid, "running", "admin")
    cmp.set_status(db, cid, "stopped", "admin")
    with pytest.raises(StoreError, match="cannot go"):
        cmp.set_status(db, cid, "paused", "admin")
    cmp.set_status(db, cid, "running", "admin")        # resume after a stop
    with pytest.raises(StoreError):
        cmp.set_status(db, cid, "draft", "admin")
    with pytest.raises(StoreError):
        cmp.set_status(db, cid, "bogus", "admin")
    assert cmp.campaign(db, cid)["status"] == "running"


def test_a_finished_campaign_resumes_only_with_new_contacts(db):
    list_id = add_list(db, "warsaw", ["+48600100001"])
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", lists=[list_id])
    cmp.set_status(db, cid, "running", "admin")
    db.execute("UPDATE campaign_contacts SET state = 'done'")
    db.execute("UPDATE campaigns SET status = 'finished'")     # as the dialer leaves it
    with pytest.raises(StoreError) as exc:
        cmp.set_status(db, cid, "running", "admin")
    assert str(exc.value) == cmp.E_START_NOTHING
    assert cmp.campaign(db, cid)["status"] == "finished"
    add_contacts(db, list_id, ["+48600100002"])
    cmp.set_status(db, cid, "running", "admin")
    assert cmp.progress(db, cid)["states"]["new"] == 1


@pytest.mark.parametrize("setup, error", [
    ("no_lists", cmp.E_START_LISTS),
    ("empty_list", cmp.E_START_LISTS),
    ("no_trunk", cmp.E_START_TRUNK),
    ("no_agents", cmp.E_START_QUEUE),
    ("ended", cmp.E_START_ENDED),
])
def test_starting_is_refused_when_the_dialer_could_not_call(db, setup, error):
    lists = {"no_lists": [], "empty_list": [add_list(db, "none", [])]}.get(
        setup, [add_list(db, "warsaw", ["+48600100001"])])
    cid = cmp.save_campaign(db, "spring", user="admin", lists=lists,
                            queue="empty" if setup == "no_agents" else "sales",
                            end_date="2020-01-31" if setup == "ended" else None)
    if setup == "no_trunk":
        db.execute("DELETE FROM trunks")
    with pytest.raises(StoreError) as exc:
        cmp.set_status(db, cid, "running", "admin")
    assert str(exc.value) == error
    assert cmp.campaign(db, cid)["status"] == "draft"
    assert db.execute("SELECT count(*) FROM campaign_contacts").fetchone()[0] == 0


def test_progress_counts_todays_calls_and_reads_the_dialers_status(db):
    list_id = add_list(db, "warsaw", [f"+4860010000{i}" for i in range(5)])
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales", lists=[list_id])
    cmp.set_status(db, cid, "running", "admin")
    now = time.time()
    yesterday = cmp.day_start(now) - 3600
    calls = [("connected", now - 60, None), ("connected", now - 50, None),
             ("abandoned", now - 40, None), ("noanswer", now - 30, None),
             ("connected", yesterday, None), (None, now - 5, None)]
    for i, (outcome, started, _) in enumerate(calls):
        db.execute("INSERT INTO campaign_calls (campaign_id, phone, mode, uniqueid, started_at, "
                   "ended_at, outcome) VALUES (?, '+48600100000', 'progressive', ?, ?, ?, ?)",
                   [cid, f"u{i}", started, None if outcome is None else started + 5, outcome])
    p = cmp.progress(db, cid, now=now)
    assert p["today"]["connected"] == 2 and p["today"]["abandoned"] == 1
    assert p["today"]["noanswer"] == 1 and p["in_flight"] == 1 and p["dialed_today"] == 5
    assert p["abandon"]["rate"] == pytest.approx(100 / 3)
    assert p["dialer"] is None and not p["dialer_running"] and p["idle_reason"] == ""
    set_setting(db, "dialer_status", json.dumps({"at": now - 1, "campaigns": {str(cid): {
        "logged_in": 0, "free": 0, "ringing": 0, "waiting": 0, "dial_level": 0,
        "abandon_rate": 0, "idle_reason": "no_agents"}}}))
    p = cmp.progress(db, cid, now=now)
    assert p["dialer_running"] and p["idle_reason"] == "no_agents"
    assert not cmp.progress(db, cid, now=now + 60)["dialer_running"]   # a stale status
