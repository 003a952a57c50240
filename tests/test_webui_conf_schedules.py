"""The scheduled conferences pages (/conferences/schedules/): roles and CSRF, the form (a
refusal keeps what was typed and writes nothing), "Start now", the meeting report and its
CSV, and keypad polls opened, counted live (results.json) and closed."""
from __future__ import annotations

import csv
import io
import time

import pytest

from appliance.store.config import seed_demo
from appliance.telephony import conference_calls as cc
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text

BASE = "/conferences/schedules"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    db = app.extensions["jns_db"].get()
    seed_demo(db)
    db.execute("INSERT INTO conf_rooms (number, title, voting, created_at) VALUES "
               "('800', 'Board', 1, 0)")
    db.execute("INSERT INTO conf_rooms (number, title, voting, created_at) VALUES "
               "('801', 'Quiet', 0, 0)")
    return app


def room(db, number: str = "800") -> int:
    return db.execute("SELECT id FROM conf_rooms WHERE number = ?", [number]).fetchone()[0]


def form(db, **changes) -> dict:
    tomorrow = time.localtime(time.time() + 86400)
    data = {"title": "Weekly board", "room_id": str(room(db)), "kind": "meeting",
            "date": time.strftime("%Y-%m-%d", tomorrow), "time": "09:30", "repeat": "weekly",
            "until_date": "", "list_id": "", "members": "101;Anna\n+48600100200;Jan;leader",
            "confirm_key": "1", "ring_s": "30", "retries": "2", "retry_s": "120",
            "max_lines": "10", "active": "1"}
    data.update(changes)
    return data


def test_agents_get_403_and_posts_need_the_csrf_token(app, db, sup):
    sid = cc.save_schedule(db, None, room_id=room(db), starts_at=time.time() + 60,
                           members="101;Anna")
    agent = client_for(app, db, "agent")
    for path in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{sid}/edit"):
        assert agent.get(path).status_code == 403
    r = agent.post(f"{BASE}/{sid}/start", data={"csrf_token": csrf_token(agent)})
    assert r.status_code == 403
    assert agent.post(f"{BASE}/polls", data={"csrf_token": csrf_token(agent), "room_id": room(db),
                                             "question": "Q?", "choices": "2"}).status_code == 403
    # without the token nothing happens
    assert sup.post(f"{BASE}/{sid}/start").status_code == 400
    assert sup.post(f"{BASE}/new", data=form(db)).status_code == 400
    assert sup.post(f"{BASE}/{sid}/delete").status_code == 400
    assert db.execute("SELECT count(*) FROM conf_meetings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM conf_schedules").fetchone()[0] == 1
    assert sup.get(f"{BASE}/").status_code == 200


def test_create_refuse_and_edit_through_the_form(app, db, sup):
    token = csrf_token(sup, f"{BASE}/new")
    hostile = "101;Anna\n<script>alert(1)</script>;x"
    r = sup.post(f"{BASE}/new", data={**form(db, members=hostile), "csrf_token": token})
    assert r.status_code == 400
    body = text(r)
    assert "Members, line 2: the number must be 2 to 20 digits" in body
    assert "<script>alert(1)</script>" not in r.get_data(as_text=True)    # escaped, kept
    assert "&lt;script&gt;alert(1)&lt;/script&gt;;x" in r.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM conf_schedules").fetchone()[0] == 0
    r = sup.post(f"{BASE}/new", data={**form(db, ring_s="5"), "csrf_token": token})
    assert "Ring time (s) must be a whole number from 10 to 120." in text(r)
    r = sup.post(f"{BASE}/new", data={**form(db, room_id="999"), "csrf_token": token})
    assert "Choose a conference room." in text(r)

    r = sup.post(f"{BASE}/new", data={**form(db), "csrf_token": token})
    assert r.status_code == 302
    s = cc.schedules(db)[0]
    assert (s["title"], s["repeat"], s["members"]) == ("Weekly board", "weekly", 2)
    page = text(sup.get(f"{BASE}/"))
    assert "Weekly board" in page
    assert time.strftime("%Y-%m-%d", time.localtime(s["next_start"])) in page
    edit = text(sup.get(f"{BASE}/{s['id']}/edit"))
    assert "+48600100200;Jan;leader" in edit
    r = sup.post(f"{BASE}/{s['id']}/edit", data={**form(db, members="102;Ewa;listener",
                                                      require_pin="1"), "csrf_token": token})
    assert r.status_code == 302
    assert cc.schedule_members(db, cc.schedule(db, s["id"])) == [
        {"number": "102", "name": "Ewa", "role": "listener"}]
    assert cc.schedule(db, s["id"])["require_pin"] == 1


def test_polish_is_the_default(app, db, admin):
    r = admin.post(f"{BASE}/new", data={**form(db, members=""), "csrf_token": csrf_token(admin)})
    assert "Dodaj uczestników (po jednym w wierszu) albo wybierz listę kontaktów." in text(r)
    assert "Konferencje zaplanowane" in text(admin.get(f"{BASE}/"))


def test_start_now_then_the_report_and_its_csv(app, db, sup):
    sid = cc.save_schedule(db, None, room_id=room(db), kind="group", title="Drivers",
                           starts_at=time.time() + 3600, members="101;Anna\n102;Bob")
    r = sup.post(f"{BASE}/{sid}/start", data={"csrf_token": csrf_token(sup)})
    assert r.status_code == 302
    mid = db.execute("SELECT id FROM conf_meetings WHERE schedule_id = ?", [sid]).fetchone()[0]
    assert r.location.endswith(f"{BASE}/meetings/{mid}")
    # a second press while it is being dialled is refused with the reason
    r = sup.post(f"{BASE}/{sid}/start", data={"csrf_token": csrf_token(sup)}, follow_redirects=True)
    assert "This conference is being dialled now" in text(r)
    assert db.execute("SELECT count(*) FROM conf_meetings").fetchone()[0] == 1
    # what the caller would have written: Anna joined, Bob did not answer twice
    for number, name, uid, outcome in [("101", "Anna", "u1", "joined"),
                                       ("102", "Bob", "u2", "noanswer"),
                                       ("102", "Bob", "u3", "noanswer")]:
        db.execute("INSERT INTO conf_dials (meeting_id, number, name, uniqueid, started_at, "
                   "outcome, confirmed_at) VALUES (?, ?, ?, ?, 1000, ?, ?)",
                   [mid, number, name, uid, outcome, 1003 if outcome == "joined" else None])
    db.execute("INSERT INTO conf_attendance (room_id, meeting_id, uniqueid, number, how, "
               "joined_at, left_at) VALUES (?, ?, 'u1', '101', 'out', 1004, 1184)", [room(db), mid])
    page = text(sup.get(f"{BASE}/meetings/{mid}"))
    assert "1 of 2 members joined" in page and "Joined" in page and "No answer" in page
    r = sup.get(f"{BASE}/meetings/{mid}.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["number"], x["outcome"], x["attempts"], x["minutes"]) for x in rows] == [
        ("101", "joined", "1", "3.0"), ("102", "noanswer", "2", "0.0")]
    assert sup.get(f"{BASE}/meetings/999").status_code == 404


def test_poll_open_live_results_and_close(app, db, sup):
    token = csrf_token(sup)
    r = sup.post(f"{BASE}/polls", data={"csrf_token": token, "room_id": room(db, "801"),
                                        "question": "Lunch?", "choices": "2"},
                 follow_redirects=True)
    assert "Keypad voting is off in this room" in text(r)
    r = sup.post(f"{BASE}/polls", data={"csrf_token": token, "room_id": room(db),
                                        "question": "Lunch?", "choices": "12"},
                 follow_redirects=True)
    assert "A poll has 2 to 9 choices." in text(r)
    assert db.execute("SELECT count(*) FROM conf_polls").fetchone()[0] == 0
    r = sup.post(f"{BASE}/polls", data={"csrf_token": token, "room_id": room(db),
                                        "question": "Lunch at <b>noon</b>?", "choices": "3"})
    assert r.status_code == 302
    pid = db.execute("SELECT id FROM conf_polls").fetchone()[0]
    page = sup.get(f"{BASE}/polls/{pid}")
    assert "Lunch at &lt;b&gt;noon&lt;/b&gt;?" in page.get_data(as_text=True)
    assert "conf_poll.js" in text(page) and "Close the poll" in text(page)
    cc.record_vote(db, "800", "u1", "101", 2, time.time())
    cc.record_vote(db, "800", "u2", "102", 2, time.time())
    cc.record_vote(db, "800", "u3", "103", 3, time.time())
    data = sup.get(f"{BASE}/polls/{pid}/results.json").get_json()
    assert data["open"] is True and data["total"] == 3
    assert [(x["choice"], x["votes"]) for x in data["results"]] == [(1, 0), (2, 2), (3, 1)]
    r = sup.post(f"{BASE}/polls/{pid}/close", data={"csrf_token": token})
    assert r.status_code == 302
    assert sup.get(f"{BASE}/polls/{pid}/results.json").get_json()["open"] is False
    assert not cc.record_vote(db, "800", "u1", "101", 1, time.time())
    assert "Close the poll" not in text(sup.get(f"{BASE}/polls/{pid}"))
    assert sup.post(f"{BASE}/polls/999/close", data={"csrf_token": token}).status_code == 404


def test_delete(app, db, sup):
    sid = cc.save_schedule(db, None, room_id=room(db), starts_at=time.time() + 60,
                           members="101;Anna")
    r = sup.post(f"{BASE}/{sid}/delete", data={"csrf_token": csrf_token(sup)})
    assert r.status_code == 302 and cc.schedule(db, sid) is None
    assert sup.post(f"{BASE}/{sid}/delete", data={"csrf_token": csrf_token(sup)}).status_code == 404
