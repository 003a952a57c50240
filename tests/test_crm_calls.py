"""The CRM's side of the telephone (appliance.crm.calls) on the report tables as jns-reports
writes them: calls matched to contacts by any number format, a task for the owner of a
customer nobody answered (saying what the owner was doing), the recording attached to the
note written during the call, campaign hand-offs, and rounds that count nothing twice.
The same code on real Asterisk calls: tests/test_crm_phone.py."""
from __future__ import annotations

import json
import time

import pytest

from appliance.crm import calls
from appliance.store import config, users
from appliance.store.db import open_db, transaction

T0 = 1_764_140_000      # 2025-11-26 06:53 UTC


@pytest.fixture
def db(tmp_path):
    d = open_db(tmp_path / "box.db")
    config.seed_demo(d)
    users.create_user(d, "anna", "a-long-password", "agent", agent="101")
    users.create_user(d, "bob", "a-long-password", "agent", agent="102")
    return d


def contact(db, name: str, *numbers: str, owner: str | None = None) -> int:
    now = time.time()
    owner_id = db.execute("SELECT id FROM users WHERE username = ?", [owner]).fetchone()[0] \
        if owner else None
    with transaction(db):
        cid = db.conn.execute(
            "INSERT INTO crm_contacts (name, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [name, owner_id, now, now]).lastrowid
        for n in numbers:
            db.execute("INSERT INTO crm_phones (contact_id, number, match_key) VALUES (?, ?, ?)",
                       [cid, n, calls.match_key(n)])
    return cid


def queue_call(db, callid: str, caller: str, *, entered: int, answered_by: str = "",
               talk: int = 0, ended: int | None = None, part: int = 1, queue: str = "support",
               recording: str = "") -> None:
    status = "answered" if answered_by else ("unanswered" if ended else "waiting")
    with transaction(db):
        db.execute(
            "INSERT INTO report_calls (callid, part, queue, entered, connected, ended, caller, "
            "status, reason, agent, wait, talk, recording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?) ON CONFLICT (callid, queue, entered) DO UPDATE SET ended = "
            "excluded.ended, status = excluded.status, connected = excluded.connected, "
            "agent = excluded.agent, talk = excluded.talk",
            [callid, part, queue, entered, entered + 5 if answered_by else None,
             ended if ended is not None else (entered + 5 + talk if answered_by else None),
             caller, status, "caller" if answered_by else ("abandon" if ended else ""),
             answered_by, 5, talk, recording])


def tasks(db) -> list[dict]:
    return [dict(r) for r in db.query(
        "SELECT t.*, u.username AS assignee FROM crm_tasks t "
        "LEFT JOIN users u ON u.id = t.assignee_id ORDER BY t.id")]


def test_calls_are_matched_to_contacts_by_any_number_format(db):
    kowalski = contact(db, "Jan Kowalski", "+48600100200")
    firm = contact(db, "Firma Sp. z o.o.", "0048 600 100 200", "+48221234567")
    queue_call(db, "1.1", "48600100200", entered=T0, answered_by="101", talk=60,
               recording="2025/11/26/1.1.wav")
    queue_call(db, "1.2", "600100200", entered=T0 + 100, ended=T0 + 130)
    queue_call(db, "1.3", "221234567", entered=T0 + 200, answered_by="102", talk=30)
    queue_call(db, "1.4", "48999888777", entered=T0 + 300, ended=T0 + 310)   # nobody's
    queue_call(db, "1.5", "101", entered=T0 + 400, ended=T0 + 410)           # an extension
    assert calls.match_queue_calls(db) == 3      # journeys with a known caller
    rows = {(r["contact_id"], r["callid"]): r for r in db.query("SELECT * FROM crm_calls")}
    assert set(rows) == {(kowalski, "1.1"), (firm, "1.1"), (kowalski, "1.2"), (firm, "1.2"),
                         (firm, "1.3")}
    first = rows[(kowalski, "1.1")]
    assert (first["direction"], first["answered"], first["agent"], first["talk_s"],
            first["recording"]) == ("in", 1, "101", 60, "2025/11/26/1.1.wav")
    assert rows[(kowalski, "1.2")]["answered"] == 0
    # the next round finds nothing new: nothing is counted twice
    assert calls.match_queue_calls(db) == 0
    assert db.execute("SELECT count(*) FROM crm_calls").fetchone()[0] == 5


def test_a_journey_is_matched_once_all_its_queues_are_over(db):
    cid = contact(db, "Overflowing", "+48600100300", owner="anna")
    # part 1 timed out in "support", part 2 is still waiting in "sales"
    queue_call(db, "2.1", "48600100300", entered=T0, ended=T0 + 60)
    queue_call(db, "2.1", "48600100300", entered=T0 + 60, part=2, queue="sales")
    assert calls.match_queue_calls(db) == 0
    assert tasks(db) == []          # not missed (yet): the caller still waits
    queue_call(db, "2.1", "48600100300", entered=T0 + 60, part=2, queue="sales",
               answered_by="102", talk=20)
    assert calls.match_queue_calls(db) == 1
    row = db.execute("SELECT answered, agent, talk_s FROM crm_calls WHERE contact_id = ?",
                     [cid]).fetchone()
    assert tuple(row) == (1, "102", 20)
    assert tasks(db) == []          # answered by a colleague: no missed call


def test_a_missed_call_becomes_a_task_for_the_owner_saying_why(db):
    busy = contact(db, "Busy Owner's Customer", "+48600100401", owner="anna")
    paused = contact(db, "Paused Owner's Customer", "+48600100402", owner="bob")
    no_owner = contact(db, "Nobody's", "+48600100403")
    # anna (101) talks to someone else from T0 to T0+300
    queue_call(db, "3.0", "48500000000", entered=T0 - 5, answered_by="101", talk=300)
    # bob (102) is paused for lunch from T0 to T0+600
    with transaction(db):
        db.execute("INSERT INTO report_agent_time (agent, kind, start, end, reason) "
                   "VALUES ('102', 'pause', ?, ?, 'lunch')", [T0, T0 + 600])
    queue_call(db, "3.1", "+48 600 100 401", entered=T0 + 100, ended=T0 + 160)
    queue_call(db, "3.2", "600100402", entered=T0 + 120, ended=T0 + 150)
    queue_call(db, "3.3", "600100403", entered=T0 + 130, ended=T0 + 150)
    calls.match_queue_calls(db)
    got = {t["contact_id"]: t for t in tasks(db)}
    assert set(got) == {busy, paused} and no_owner not in got   # no owner: no task
    t = got[busy]
    assert (t["assignee"], t["source"], t["status"], t["call_id"]) == \
        ("anna", "missed_call", "open", "3.1")
    assert "+48 600 100 401" in t["title"] + t["number"]
    assert "busy on another call" in t["details"]
    assert "Lunch" in got[paused]["details"] or "lunch" in got[paused]["details"].lower()
    assert got[paused]["assignee"] == "bob"
    # the same lines read again (a restart of jns-reports): still one task per call
    db.execute("DELETE FROM settings WHERE key = ?", [calls.HWM_QUEUE])
    calls.match_queue_calls(db)
    assert len(tasks(db)) == 2


def test_owner_not_logged_in_is_said(db):
    cid = contact(db, "Evening caller", "+48600100500", owner="anna")
    queue_call(db, "4.1", "48600100500", entered=T0, ended=T0 + 30)
    queue_call(db, "4.2", "48600100500", entered=T0 + 100, ended=T0 + 130)
    calls.match_queue_calls(db)
    # the demo's 101 is always in its queues: it rang and nobody took it; a task a call
    assert [t["details"].split(": ", 1)[1] for t in tasks(db)] == \
        ["did not answer. Call the customer back."] * 2
    # an agent who logs in at the desk, with no session then, was not logged in
    with transaction(db):
        db.execute("UPDATE agents SET login = 1 WHERE extension = '101'")
        db.execute("DELETE FROM crm_tasks")
        db.execute("DELETE FROM settings WHERE key = ?", [calls.HWM_QUEUE])
    calls.match_queue_calls(db)
    assert {t["contact_id"] for t in tasks(db)} == {cid}
    assert all("not logged in to the queues" in t["details"] for t in tasks(db))


def test_outbound_calls_from_the_cdr(db):
    cid = contact(db, "Called customer", "+48600100600")
    with transaction(db):
        db.execute("INSERT INTO report_cdr (id, start, answer, end, src, dst, billsec, "
                   "disposition, uniqueid, userfield, direction, agent) VALUES "
                   "(1, ?, ?, ?, '101', '+48600100600', 42, 'ANSWERED', '9.1', "
                   "'&rec=2025/11/26/9.1.wav', 'out', '101')", [T0, T0 + 3, T0 + 45])
        db.execute("INSERT INTO report_cdr (id, start, end, src, dst, disposition, uniqueid, "
                   "direction, agent) VALUES (2, ?, ?, '101', '+48700000000', 'NO ANSWER', "
                   "'9.2', 'out', '101')", [T0, T0 + 20])
    assert calls.match_outbound_calls(db) == 1
    (row,) = list(db.query("SELECT * FROM crm_calls"))
    assert (row["contact_id"], row["direction"], row["talk_s"], row["agent"], row["recording"]) \
        == (cid, "out", 42, "101", "2025/11/26/9.1.wav")
    assert calls.match_outbound_calls(db) == 0


def test_the_note_written_during_a_call_gets_its_recording(db):
    cid = contact(db, "Recorded", "+48600100700")
    now = time.time()
    anna = db.execute("SELECT id FROM users WHERE username = 'anna'").fetchone()[0]
    with transaction(db):
        exact = db.conn.execute(
            "INSERT INTO crm_notes (contact_id, author_id, author, body, call_id, agent, "
            "created_at, updated_at) VALUES (?, ?, 'anna', 'During the call', '77.1', '101', "
            "?, ?)", [cid, anna, now, now]).lastrowid
        nearby = db.conn.execute(
            "INSERT INTO crm_notes (contact_id, author_id, author, body, call_id, agent, "
            "created_at, updated_at) VALUES (?, ?, 'anna', 'After an outbound call', '78.1', "
            "'101', ?, ?)", [cid, anna, now, now]).lastrowid
    assert calls.attach_recordings(db, now) == 0       # not indexed yet: they wait
    config.index_recording(db, uniqueid="77.1", path="x/77.1.wav", started_at=now - 60,
                           direction="in", caller="48600100700", agent="101")
    # the outbound call's recording is on the agent's channel (another uniqueid)
    config.index_recording(db, uniqueid="78.5", path="x/78.5.wav", started_at=now - 30,
                           direction="out", caller="101", called="+48600100700", agent="101")
    config.index_recording(db, uniqueid="79.9", path="x/79.9.wav", started_at=now - 20,
                           direction="out", caller="101", called="+48111222333", agent="101")
    assert calls.attach_recordings(db, now) == 2
    got = dict(db.execute("SELECT n.id, r.path FROM crm_notes n JOIN recordings r "
                          "ON r.id = n.recording_id").fetchall())
    assert got == {exact: "x/77.1.wav", nearby: "x/78.5.wav"}


def test_a_campaign_hand_off_lands_in_the_crm_with_its_fields_and_calls(db):
    existing = contact(db, "Known Already", "0048600100800")
    payload = {"contact": {"id": 5, "phone": "+48600100800", "name": "Anna Nowak",
                           "list": "Leads", "fields": {"city": "Kraków", "offer": "B2"}},
               "campaign": {"id": None, "name": "winter", "title": "Zimowa promocja"},
               "call_id": 2, "disposition": "sale", "note": "Wants the B2 offer", "agent": "101",
               "by": "anna",
               "calls": [{"id": 1, "campaign_id": None, "campaign": "winter", "agent": "101",
                          "started_at": T0, "connected_at": None, "ended_at": T0 + 20,
                          "recording": ""},
                         {"id": 2, "campaign_id": None, "campaign": "winter", "agent": "101",
                          "started_at": T0 + 3600, "connected_at": T0 + 3610,
                          "ended_at": T0 + 3700, "recording": "2025/11/26/c2.wav"}]}
    new_payload = dict(payload, contact={"id": 6, "phone": "+48600100801", "name": "New Person",
                                         "fields": {"city": "Łódź"}})
    with transaction(db):
        h1 = db.conn.execute("INSERT INTO crm_handoffs (payload, created_at, created_by) "
                             "VALUES (?, ?, 'anna')", [json.dumps(payload), T0 + 3700]).lastrowid
        h2 = db.conn.execute("INSERT INTO crm_handoffs (payload, created_at, created_by) "
                             "VALUES (?, ?, 'anna')", [json.dumps(new_payload), T0 + 3800]
                             ).lastrowid
    assert calls.take_handoffs(db) == 2
    assert calls.take_handoffs(db) == 0
    taken = dict(db.execute("SELECT id, crm_contact_id FROM crm_handoffs").fetchall())
    assert taken[h1] == existing
    fields = json.loads(db.execute("SELECT fields FROM crm_contacts WHERE id = ?",
                                   [existing]).fetchone()[0])
    assert fields == {"city": "Kraków", "offer": "B2"}
    # the campaign's fields became the CRM's custom fields: editing the contact keeps them
    assert {r[0] for r in db.execute("SELECT name FROM crm_fields")} == {"city", "offer"}
    assert {r[0] for r in db.execute("SELECT tag FROM crm_tags WHERE contact_id = ?",
                                     [existing])} == {"Zimowa promocja"}
    history = [dict(r) for r in db.query("SELECT * FROM crm_calls WHERE contact_id = ? "
                                         "ORDER BY started_at", [existing])]
    assert [(c["answered"], c["talk_s"], c["recording"]) for c in history] == \
        [(0, 0, ""), (1, 90, "2025/11/26/c2.wav")]
    note = db.execute("SELECT body, author FROM crm_notes WHERE contact_id = ?",
                      [existing]).fetchone()
    assert "Zimowa promocja" in note[0] and "Wants the B2 offer" in note[0] and note[1] == "anna"
    new = db.execute("SELECT c.name, c.source, u.username, p.number FROM crm_contacts c "
                     "JOIN crm_phones p ON p.contact_id = c.id LEFT JOIN users u "
                     "ON u.id = c.owner_id WHERE c.id = ?", [taken[h2]]).fetchone()
    assert tuple(new) == ("New Person", "campaign", "anna", "+48600100801")


def test_a_broken_step_does_not_stop_the_others(db, monkeypatch):
    contact(db, "Still matched", "+48600100900")
    queue_call(db, "5.1", "48600100900", entered=T0, answered_by="101", talk=10)
    monkeypatch.setattr(calls, "take_handoffs", lambda db: 1 / 0)
    done = calls.sync(db, time.time())
    assert done["handoffs"] == -1 and done["inbound"] == 1
