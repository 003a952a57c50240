"""The agent's side of campaigns (appliance.campaigns.desk) on a real SQLite file.

Campaigns, lists and contacts are made with the stores the panel uses (campaigns.py,
lists.py); the calls the dialer would place are written the way the dialer writes them
(a campaign_calls row started, answered and connected to an agent), because the dialer and
Asterisk are not part of what is checked here: preview reservations (two agents never get
the same contact, DNC and the calling window respected), requested calls, every
disposition action's effect on the contact (retry time, callback, do-not-call, CRM
hand-off with the call history), the refusals (twice, another agent's call), callbacks and
the dispositions list.
"""
from __future__ import annotations

import json
import time

import pytest

from appliance.campaigns import campaigns, desk, lists
from appliance.store import config, users
from appliance.store.config import seed_demo
from appliance.store.db import StoreError, open_db

PW = "correct horse battery"
# Wednesday 25 November 2026, 12:00 in the box's local time
NOON = time.mktime((2026, 11, 25, 12, 0, 0, 0, 0, -1))


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "box.db")
    seed_demo(db)   # agents 101 and 102 in queue "support"
    config.add_trunk(db, "carrier", "127.0.0.2")
    users.create_user(db, "anna", PW, "agent", agent="101")
    users.create_user(db, "bartek", PW, "agent", agent="102")
    users.create_user(db, "szef", PW, "supervisor")
    return db


def make_campaign(db, name="spring", n=3, mode="preview", start=True,
                  **fields) -> tuple[int, list[int]]:
    """A campaign (running unless `start` is False) on a list of `n` contacts with two
    custom fields."""
    list_id = lists.create_list(db, f"{name} list", fields=["city", "plan"])
    ids = [lists.add_contact(db, list_id, f"60010020{i}", f"Klient {i}",
                             {"city": f"Miasto {i}", "plan": "gold"}) for i in range(n)]
    values = dict(queue="support", mode=mode, window_start="00:00", window_end="24:00",
                  weekdays="1234567", retry_noanswer_s=600, retry_machine_s=7200,
                  script="Dzień dobry, {name}! Dzwonię do {city} ({phone}), plan {plan}. "
                         "{nieznane} {name.__class__} {0}")
    values.update(fields)
    cid = campaigns.save_campaign(db, name, user="admin", lists=[list_id], **values)
    if start:
        campaigns.set_status(db, cid, "running", "admin")
    return cid, ids


def connected_call(db, cid: int, contact_id: int, agent: str, at: float = NOON,
                   recording: str = "") -> int:
    """A call the dialer placed and connected to `agent` (what dialer.py writes)."""
    phone = db.execute("SELECT phone FROM contacts WHERE id = ?", [contact_id]).fetchone()[0]
    db.execute("UPDATE campaign_contacts SET state = 'dialing', attempts = attempts + 1 "
               "WHERE campaign_id = ? AND contact_id = ?", [cid, contact_id])
    attempt = db.execute("SELECT attempts FROM campaign_contacts WHERE campaign_id = ? AND "
                         "contact_id = ?", [cid, contact_id]).fetchone()[0]
    cur = db.execute(
        "INSERT INTO campaign_calls (campaign_id, contact_id, phone, attempt, mode, uniqueid, "
        "agent, started_at, answered_at, connected_at, outcome, recording) "
        "VALUES (?, ?, ?, ?, 'progressive', ?, ?, ?, ?, ?, 'connected', ?)",
        [cid, contact_id, phone, attempt, f"jnsc-test-{contact_id}-{at}", agent, at, at + 5,
         at + 6, recording])
    return cur.lastrowid


def contact_state(db, cid, contact_id) -> dict:
    return next(db.query("SELECT * FROM campaign_contacts WHERE campaign_id = ? AND "
                         "contact_id = ?", [cid, contact_id]))


# -- preview -------------------------------------------------------------------------------

def test_two_agents_never_get_the_same_preview_contact(db):
    cid, ids = make_campaign(db, n=3)
    first = desk.next_preview(db, cid, "101", NOON)
    second = desk.next_preview(db, cid, "102", NOON)
    assert first["id"] != second["id"]
    # asking again keeps the reservation (a reload does not hand out another contact)
    assert desk.next_preview(db, cid, "101", NOON + 60)["id"] == first["id"]
    assert contact_state(db, cid, first["id"])["agent"] == "101"
    # the card: the list's fields in order, the script filled in, unknown placeholders kept
    assert first["name"] == "Klient 0" and first["phone"] == "+48600100200"
    assert first["fields"] == [("city", "Miasto 0"), ("plan", "gold")]
    assert first["script"] == ("Dzień dobry, Klient 0! Dzwonię do Miasto 0 (+48600100200), "
                               "plan gold. {nieznane} {name.__class__} {0}")
    # skipped: back to the others, behind the ones already due
    desk.skip_preview(db, cid, first["id"], "101", NOON + 60)
    assert desk.next_preview(db, cid, "101", NOON + 61)["id"] == ids[2]
    # 102 has not come back for 10 minutes: its contact is free again, for anyone
    later = NOON + desk.RESERVE_S + 1
    assert desk.next_preview(db, cid, "101", later)["id"] == ids[2]   # 101's, held since +61
    desk.skip_preview(db, cid, ids[2], "101", later)
    assert desk.next_preview(db, cid, "101", later + 1)["id"] == first["id"]
    desk.skip_preview(db, cid, first["id"], "101", later + 1)
    assert desk.next_preview(db, cid, "101", later + 2)["id"] == second["id"]
    with pytest.raises(StoreError, match="not reserved for you"):
        desk.skip_preview(db, cid, second["id"], "102", later + 3)
    assert desk.next_preview(db, cid, "102", later + 3)["id"] == ids[2]


def test_preview_respects_do_not_call_and_the_window(db):
    cid, ids = make_campaign(db, n=3, window_start="09:00", window_end="17:00",
                             weekdays="12345")
    other, _ = make_campaign(db, name="other", n=0, start=False)
    lists.dnc_add(db, "600100200", note="asked")                 # everywhere
    lists.dnc_add(db, "+48600100201", campaign_id=cid)           # in this campaign only
    card = desk.next_preview(db, cid, "101", NOON)
    assert card["id"] == ids[2]
    assert contact_state(db, cid, ids[0])["state"] == "dnc"
    assert contact_state(db, cid, ids[1])["state"] == "dnc"
    assert not lists.dnc_blocked(db, "+48600100201", other)
    # 18:00 and Saturday noon are outside the window: nothing offered, nothing reserved
    desk.skip_preview(db, cid, ids[2], "101", NOON)
    evening = time.mktime((2026, 11, 25, 18, 0, 0, 0, 0, -1))
    saturday = time.mktime((2026, 11, 28, 12, 0, 0, 0, 0, -1))
    assert desk.next_preview(db, cid, "101", evening) is None
    assert desk.next_preview(db, cid, "101", saturday) is None
    assert contact_state(db, cid, ids[2])["agent"] is None


def test_preview_only_for_the_campaigns_agents(db):
    cid, _ = make_campaign(db)
    config.add_agent(db, "103", "Agent 103")
    assert desk.next_preview(db, cid, "103", NOON) is None
    assert [c["id"] for c in desk.agent_campaigns(db, "101")] == [cid]
    assert desk.agent_campaigns(db, "103") == []
    campaigns.set_status(db, cid, "paused", "admin")
    assert desk.next_preview(db, cid, "101", NOON) is None
    assert desk.agent_campaigns(db, "101") == []


def test_request_call_writes_the_intent_for_the_dialer(db):
    cid, ids = make_campaign(db)
    card = desk.next_preview(db, cid, "101", NOON)
    held = desk.next_preview(db, cid, "102", NOON)
    with pytest.raises(StoreError, match="not available any more"):
        desk.request_call(db, cid, held["id"], "101", now=NOON)
    call_id = desk.request_call(db, cid, card["id"], "101", now=NOON + 5)
    row = next(db.query("SELECT * FROM campaign_calls WHERE id = ?", [call_id]))
    assert row["requested_at"] == NOON + 5 and row["started_at"] is None
    assert row["uniqueid"].startswith("jnsc-") and len(row["uniqueid"]) == 37
    assert (row["agent"], row["mode"], row["phone"], row["attempt"]) == \
        ("101", "preview", "+48600100200", 1)
    state = contact_state(db, cid, card["id"])
    assert state["state"] == "dialing" and state["agent"] is None
    # the agent's current call is the one being placed (no disposition before it connects)
    [current] = desk.current_calls(db, "101")
    assert current["id"] == call_id and not current["disposable"]
    assert current["card"]["name"] == "Klient 0"
    with pytest.raises(StoreError, match="finish your current campaign call"):
        desk.request_call(db, cid, ids[2], "101", now=NOON + 6)
    with pytest.raises(StoreError, match="not connected"):
        desk.set_disposition(db, call_id, "interested", user="anna", now=NOON + 7)
    # a number put on the do-not-call list after it was offered is not called
    lists.dnc_add(db, held["phone"])
    with pytest.raises(StoreError, match="do-not-call"):
        desk.request_call(db, cid, held["id"], "102", now=NOON + 8)
    assert contact_state(db, cid, held["id"])["state"] == "dnc"
    assert db.execute("SELECT count(*) FROM campaign_calls").fetchone()[0] == 1


# -- dispositions: what each does ------------------------------------------------------------

def test_done_and_effective(db):
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101")
    assert desk.current_calls(db, "101")[0]["disposable"]
    assert desk.set_disposition(db, call_id, "interested", user="anna", note="oddzwoni sam",
                                now=NOON + 60) == []
    row = next(db.query("SELECT * FROM campaign_calls WHERE id = ?", [call_id]))
    assert (row["disposition"], row["disposed_by"], row["note"], row["disposed_at"]) == \
        ("interested", "anna", "oddzwoni sam", NOON + 60)
    state = contact_state(db, cid, ids[0])
    assert state["state"] == "done" and state["disposition"] == "interested"
    assert desk.current_calls(db, "101") == []


def test_retry_and_machine_use_the_campaigns_delays(db):
    cid, ids = make_campaign(db, mode="progressive", max_attempts=2)
    a = connected_call(db, cid, ids[0], "101")
    assert desk.set_disposition(db, a, "no_decision", user="anna", now=NOON) == []
    state = contact_state(db, cid, ids[0])
    assert state["state"] == "retry" and state["next_at"] == NOON + 600
    # the second attempt was the last one: retry asked, but the attempts are used up
    b = connected_call(db, cid, ids[0], "101", at=NOON + 700)
    assert desk.set_disposition(db, b, "no_decision", user="anna", now=NOON + 800) == \
        ["all attempts are used up: the contact is not called again"]
    assert contact_state(db, cid, ids[0])["state"] == "done"
    # an answering machine the detector missed: retried later, counted for Ofcom's AM term
    m = connected_call(db, cid, ids[1], "102")
    desk.set_disposition(db, m, "machine", user="bartek", now=NOON + 30)
    state = contact_state(db, cid, ids[1])
    assert state["state"] == "retry" and state["next_at"] == NOON + 30 + 7200
    assert desk.machine_marked(db, cid, NOON - 3600) == 1
    assert desk.machine_marked(db, cid, NOON + 3600) == 0


def test_callback_for_a_colleague(db):
    cid, ids = make_campaign(db, mode="progressive", window_start="09:00",
                             window_end="17:00")
    call_id = connected_call(db, cid, ids[0], "101")
    with pytest.raises(StoreError, match="enter the date and time"):
        desk.set_disposition(db, call_id, "callback", user="anna", now=NOON)
    with pytest.raises(StoreError, match="in the future"):
        desk.set_disposition(db, call_id, "callback", user="anna", callback_at=NOON - 1,
                             now=NOON)
    config.add_agent(db, "103", "Agent 103")
    with pytest.raises(StoreError, match="agent 103 is not in this campaign"):
        desk.set_disposition(db, call_id, "callback", user="anna", callback_at=NOON + 3600,
                             callback_agent="103", now=NOON)
    assert contact_state(db, cid, ids[0])["state"] == "dialing"   # nothing written
    due = NOON + 3600
    assert desk.set_disposition(db, call_id, "callback", user="anna", callback_at=due,
                                callback_agent="102", note="po obiedzie", now=NOON) == []
    state = contact_state(db, cid, ids[0])
    assert (state["state"], state["next_at"], state["agent"]) == ("callback", due, "102")
    # Bartek sees it (not due yet, then due); Anna does not
    [cb] = desk.callbacks_for(db, "102", NOON)
    assert (cb["name"], cb["note"], cb["due"]) == ("Klient 0", "po obiedzie", False)
    assert desk.callbacks_for(db, "101", due + 1) == []
    with pytest.raises(StoreError, match="not due yet"):
        desk.request_call(db, cid, ids[0], "102", "callback", now=NOON + 60)
    assert desk.callbacks_for(db, "102", due + 1)[0]["due"]
    call2 = desk.request_call(db, cid, ids[0], "102", "callback", now=due + 1)
    done = next(db.query("SELECT * FROM callbacks WHERE id = ?", [cb["id"]]))
    assert (done["done_at"], done["call_id"]) == (due + 1, call2)
    assert desk.callbacks_for(db, "102", due + 2) == []
    # a callback at 19:00 is outside the 09:00-17:00 window: allowed, with a warning
    other = connected_call(db, cid, ids[1], "101")
    evening = time.mktime((2026, 11, 25, 19, 0, 0, 0, 0, -1))
    warnings = desk.set_disposition(db, other, "callback", user="anna", callback_at=evening,
                                    now=NOON)
    assert warnings and "outside the campaign's calling window" in warnings[0]
    [anyone] = desk.callbacks_for(db, "101", evening)   # anyone's: both agents see it
    assert anyone["agent"] is None and desk.callbacks_for(db, "102", evening)


def test_callbacks_rescheduled_reassigned_and_cancelled(db):
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101")
    desk.set_disposition(db, call_id, "callback", user="anna", callback_at=NOON + 600, now=NOON)
    [cb] = desk.open_callbacks(db, NOON + 700)
    assert cb["overdue"] and cb["agent"] is None
    with pytest.raises(StoreError, match="in the future"):
        desk.reschedule_callback(db, cb["id"], NOON, agent="102", now=NOON + 700)
    desk.reschedule_callback(db, cb["id"], NOON + 7200, agent="102", now=NOON + 700)
    [cb] = desk.open_callbacks(db, NOON + 700)
    assert (cb["agent"], cb["due_at"], cb["overdue"]) == ("102", NOON + 7200, False)
    assert contact_state(db, cid, ids[0])["next_at"] == NOON + 7200
    desk.cancel_callback(db, cb["id"], user="szef", now=NOON + 800)
    assert desk.open_callbacks(db) == []
    assert contact_state(db, cid, ids[0])["state"] == "done"
    with pytest.raises(StoreError, match="called or cancelled already"):
        desk.cancel_callback(db, cb["id"], user="szef")


def test_do_not_call_dispositions(db):
    cid, ids = make_campaign(db, mode="progressive")
    other, _ = make_campaign(db, name="other", n=0, start=False)
    a = connected_call(db, cid, ids[0], "101")
    desk.set_disposition(db, a, "dnc_campaign", user="anna", now=NOON)
    assert contact_state(db, cid, ids[0])["state"] == "dnc"
    assert lists.dnc_blocked(db, "+48600100200", cid)
    assert not lists.dnc_blocked(db, "+48600100200", other)
    b = connected_call(db, cid, ids[1], "102")
    desk.set_disposition(db, b, "dnc", user="bartek", note="prosi o usunięcie", now=NOON)
    assert lists.dnc_blocked(db, "+48600100201", other)
    row = next(db.query("SELECT * FROM dnc WHERE phone = '+48600100201'"))
    assert row["campaign_id"] is None and row["note"] == "prosi o usunięcie"
    assert row["created_by"] == "bartek"


def test_crm_hand_off_with_the_call_history(db, monkeypatch):
    cid, ids = make_campaign(db, mode="progressive")
    taken = []
    monkeypatch.setattr(desk, "CRM_HANDOFF", [taken.append])
    first = connected_call(db, cid, ids[0], "102", at=NOON - 7200, recording="2026/11/25/a.wav")
    desk.set_disposition(db, first, "no_decision", user="bartek", note="zastanowi się",
                         now=NOON - 7000)
    won = connected_call(db, cid, ids[0], "101", recording="2026/11/25/b.wav")
    assert desk.set_disposition(db, won, "sale", user="anna", note="pakiet gold",
                                now=NOON + 60) == []
    assert contact_state(db, cid, ids[0])["state"] == "done"
    row = next(db.query("SELECT * FROM crm_handoffs"))
    payload = json.loads(row["payload"])
    assert (row["campaign_id"], row["contact_id"], row["created_by"]) == (cid, ids[0], "anna")
    assert payload["contact"]["name"] == "Klient 0"
    assert payload["contact"]["phone"] == "+48600100200"
    assert payload["contact"]["fields"] == {"city": "Miasto 0", "plan": "gold"}
    assert payload["campaign"]["name"] == "spring"
    assert (payload["disposition"], payload["note"], payload["agent"]) == \
        ("sale", "pakiet gold", "101")
    assert [(c["agent"], c["disposition"], c["recording"]) for c in payload["calls"]] == [
        ("102", "no_decision", "2026/11/25/a.wav"), ("101", "sale", "2026/11/25/b.wav")]
    assert taken == [dict(payload, handoff_id=row["id"])]
    # a CRM that fails does not lose the won contact: the row stays, the agent is told
    def broken(payload):
        raise RuntimeError("CRM down")
    monkeypatch.setattr(desk, "CRM_HANDOFF", [broken])
    again = connected_call(db, cid, ids[1], "101")
    assert desk.set_disposition(db, again, "sale", user="anna", now=NOON) == \
        ["the CRM did not take the contact yet; it stays in the hand-off list"]
    assert db.execute("SELECT count(*) FROM crm_handoffs").fetchone()[0] == 2


def test_who_may_dispose_and_only_once(db):
    cid, ids = make_campaign(db, mode="progressive")
    call_id = connected_call(db, cid, ids[0], "101")
    with pytest.raises(desk.NotYours, match="another agent's"):
        desk.set_disposition(db, call_id, "interested", user="bartek", now=NOON)
    with pytest.raises(StoreError, match="choose one of the dispositions"):
        desk.set_disposition(db, call_id, "no-such-code", user="anna", now=NOON)
    desk.save_disposition(db, "old", "Stary wynik", action="done", active=False)
    with pytest.raises(StoreError, match="choose one of the dispositions"):
        desk.set_disposition(db, call_id, "old", user="anna", now=NOON)
    assert contact_state(db, cid, ids[0])["disposition"] is None
    desk.set_disposition(db, call_id, "not_interested", user="szef", now=NOON)   # supervisor
    with pytest.raises(StoreError, match="already has a disposition \\(not_interested\\)"):
        desk.set_disposition(db, call_id, "sale", user="anna", now=NOON)
    row = next(db.query("SELECT disposition, disposed_by FROM campaign_calls WHERE id = ?",
                        [call_id]))
    assert (row["disposition"], row["disposed_by"]) == ("not_interested", "szef")
    assert db.execute("SELECT count(*) FROM crm_handoffs").fetchone()[0] == 0


# -- the admin's list ---------------------------------------------------------------------------

def test_dispositions_list(db):
    codes = [d["code"] for d in desk.dispositions(db)]
    assert codes[:3] == ["sale", "interested", "not_interested"] and "machine" in codes
    desk.save_disposition(db, "promo", "Promocja", effective=True, action="crm", position=0)
    assert desk.dispositions(db)[0] == {"code": "promo", "title": "Promocja", "effective": True,
                                        "action": "crm", "position": 0, "active": True}
    for code, title, action, message in (
            ("Bad!", "X", "done", "1-20 lowercase"), ("x", "", "done", "1-60 characters"),
            ("x", "X", "explode", "unknown action")):
        with pytest.raises(StoreError, match=message):
            desk.save_disposition(db, code, title, action=action)
    desk.delete_disposition(db, "promo")   # never used: gone
    assert "promo" not in [d["code"] for d in desk.dispositions(db, active_only=False)]
    cid, ids = make_campaign(db, mode="progressive")
    desk.set_disposition(db, connected_call(db, cid, ids[0], "101"), "interested", user="anna",
                         now=NOON)
    with pytest.raises(StoreError, match="in use by calls; deactivate it instead"):
        desk.delete_disposition(db, "interested")
    desk.save_disposition(db, "interested", "Zainteresowany", effective=True, active=False)
    assert "interested" not in [d["code"] for d in desk.dispositions(db)]
    assert "interested" in [d["code"] for d in desk.dispositions(db, active_only=False)]


def test_script_placeholders_are_not_a_format_string():
    values = {"name": "Jan", "city": "Kraków"}
    assert desk.fill_script("{name} z {City}: {x} {name.__class__} {{name}} {", values) == \
        "Jan z Kraków: {x} {name.__class__} {Jan} {"
