"""The CRM planner's pages (/crm/tasks/, /crm/calendar/, /crm/ical/, /crm/settings) through
Flask's test client, and one booking in headless Chromium.

Roles (settings admin only; a task of another agent 403 to change, an unknown one 404),
CSRF, a task made with the contact picker, errors next to the form with the typed values
kept, a meeting booked from the free slots and the same slot refused with the clash named,
the calendar's day/week/month views, the iCalendar feed read WITHOUT a session by its token
(a wrong token 404, throttled after many), the nav's reminders badge, the users page's
e-mail and "takes meetings" fields."""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from appliance.crm import planner
from appliance.store import users
from appliance.webui import create_app
from tests.conftest import csrf_token, page_text as text, use_english
from tests.test_webui import ADMIN_PW, login
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

SCREENS = Path(__file__).resolve().parents[1] / "build" / "screens"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    return app


def client_as(app, db, name: str, role: str = "agent", *, bookable: bool = False):
    uid = users.create_user(db, name, ADMIN_PW, role, lang="en")
    planner.set_calendar_profile(db, uid, email="", bookable=bookable)
    c = app.test_client()
    assert login(c, name, ADMIN_PW).status_code == 302
    c.user = users.get_user(db, uid)
    return c


def make_contact(db, name: str = "Żaneta Łęcka", number: str = "+48600100200") -> int:
    now = time.time()
    cur = db.conn.execute("INSERT INTO crm_contacts (name, created_at, updated_at) "
                          "VALUES (?, ?, ?)", [name, now, now])
    db.conn.execute("INSERT INTO crm_phones (contact_id, number, match_key) VALUES (?, ?, ?)",
                    [cur.lastrowid, number, planner.match_key(number)])
    return int(cur.lastrowid)


def workday() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=2)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def csrf(c) -> str:
    return csrf_token(c, "/crm/tasks/")


# -- roles, CSRF ----------------------------------------------------------------------------------

def test_roles_and_pages(app, db, admin):
    agent = client_as(app, db, "anna")
    sup = client_as(app, db, "sup", "supervisor")
    for path in ("/crm/tasks/", "/crm/tasks/new", "/crm/reminders", "/crm/calendar/",
                 "/crm/calendar/?view=day", "/crm/calendar/?view=month&date=2026-02-10",
                 "/crm/calendar/book", "/crm/calendar/feed"):
        assert agent.get(path).status_code == 200, path
    assert agent.get("/crm/settings").status_code == 403
    assert sup.get("/crm/settings").status_code == 403
    assert admin.get("/crm/settings").status_code == 200
    assert app.test_client().get("/crm/tasks/").status_code == 302     # to the login page
    assert agent.get("/crm/tasks/999").status_code == 404
    assert agent.get("/crm/tasks/999/edit").status_code == 404
    assert agent.get("/crm/calendar/events/999").status_code == 404
    # everyone's tasks only for managers: an agent asking for them gets her own
    assert 'id="filter-open"' in text(agent.get("/crm/tasks/?scope=all"))
    assert "Everyone's tasks" not in text(agent.get("/crm/tasks/"))
    r = agent.post("/crm/tasks/new", data={"title": "no token"})
    assert r.status_code == 400
    assert db.execute("SELECT count(*) FROM crm_tasks").fetchone()[0] == 0


def test_task_made_with_the_contact_picker_and_permissions(app, db, admin):
    anna, bob = client_as(app, db, "anna"), client_as(app, db, "bob")
    sup = client_as(app, db, "sup", "supervisor")
    cid = make_contact(db)
    form = {"csrf_token": csrf(anna), "title": "Oddzwonić", "details": "Pyta o ofertę",
            "assignee_id": str(anna.user["id"]), "due": "2030-01-02T10:00", "remind": "",
            "contact_q": "600 100 200", "action": "find"}
    r = anna.post("/crm/tasks/new", data=form)
    assert r.status_code == 200
    body = text(r)
    assert f'name="contact_id" value="{cid}"' in body and "Żaneta Łęcka" in body
    assert "Pyta o ofertę" in body           # typed values kept while searching
    r = anna.post("/crm/tasks/new", data={**form, "action": "save", "contact_id": str(cid)})
    assert r.status_code == 302
    task = planner.list_tasks(db, anna.user)[0]
    assert task["contact_id"] == cid and task["title"] == "Oddzwonić"
    assert planner.fmt_local(task["due_at"]) == "2030-01-02 10:00"
    listing = text(anna.get("/crm/tasks/"))
    assert f'id="task-{task["id"]}"' in listing and "Żaneta Łęcka" in listing
    # bob may not change anna's task: 403 on the form and on the buttons
    assert bob.get(f"/crm/tasks/{task['id']}/edit").status_code == 403
    r = bob.post(f"/crm/tasks/{task['id']}/status", data={"csrf_token": csrf(bob),
                                                         "status": "done"})
    assert r.status_code == 403 and planner.get_task(db, task["id"])["status"] == "open"
    # anna may not give it to bob; the form says so and keeps what she typed
    r = anna.post(f"/crm/tasks/{task['id']}/edit", data={
        "csrf_token": csrf(anna), "title": "Oddzwonić jutro", "assignee_id": str(bob.user["id"]),
        "action": "save"})
    assert r.status_code == 400
    assert "only a supervisor" in text(r) and "Oddzwonić jutro" in text(r)
    # the supervisor may
    r = sup.post(f"/crm/tasks/{task['id']}/edit", data={
        "csrf_token": csrf(sup), "title": "Oddzwonić", "assignee_id": str(bob.user["id"]),
        "contact_id": str(cid), "due": "", "action": "save"})
    assert r.status_code == 302 and planner.get_task(db, task["id"])["assignee"] == "bob"
    r = bob.post(f"/crm/tasks/{task['id']}/status", data={"csrf_token": csrf(bob),
                                                         "status": "done", "next": "/crm/tasks/"})
    assert r.status_code == 302 and r.location == "/crm/tasks/"
    assert planner.get_task(db, task["id"])["status"] == "done"
    assert f'id="task-{task["id"]}"' in text(bob.get("/crm/tasks/?status=done"))
    assert f'id="task-{task["id"]}"' not in text(bob.get("/crm/tasks/?status=open"))


def test_task_errors_keep_the_form(app, db):
    users.create_user(db, "admin", ADMIN_PW, "admin")
    anna = client_as(app, db, "anna")
    r = anna.post("/crm/tasks/new", data={"csrf_token": csrf(anna), "title": " ",
                                          "details": "nie zgub mnie", "action": "save"})
    assert r.status_code == 400 and "task title" in text(r) and "nie zgub mnie" in text(r)
    r = anna.post("/crm/tasks/new", data={"csrf_token": csrf(anna), "title": "T",
                                          "due": "jutro", "action": "save"})
    assert r.status_code == 400 and "enter a date and time" in text(r)
    assert 'value="T"' in text(r)
    assert db.execute("SELECT count(*) FROM crm_tasks").fetchone()[0] == 0


# -- booking and the calendar ---------------------------------------------------------------------

def test_booking_from_free_slots_and_clash(app, db, admin):
    anna = client_as(app, db, "anna")
    jan = client_as(app, db, "jan", bookable=True)
    cid = make_contact(db)
    day = workday().isoformat()
    r = anna.get(f"/crm/calendar/book?contact_id={cid}&user_id={jan.user['id']}&date={day}")
    body = text(r)
    assert r.status_code == 200 and 'value="10:00"' in body
    assert "Meeting with Żaneta Łęcka" in body
    form = {"csrf_token": csrf(anna), "contact_id": str(cid), "user_id": str(jan.user["id"]),
            "date": day, "duration_min": "60", "start": "10:00", "title": "Prezentacja",
            "location": "Biuro", "details": "", "remind_min": "15", "action": "save"}
    r = anna.post("/crm/calendar/book", data=form)
    assert r.status_code == 302
    [event] = planner.list_events(db, 0, 2e9)
    assert event["user_id"] == jan.user["id"] and event["contact_id"] == cid
    assert planner.fmt_local(event["starts_at"], "%H:%M") == "10:00"
    assert event["ends_at"] - event["starts_at"] == 3600 and event["created_by"] == "anna"
    # the slot is gone; booking over it again is refused, naming the clash, values kept
    slots = text(anna.get(f"/crm/calendar/book?user_id={jan.user['id']}&date={day}"))
    assert 'value="10:00"' not in slots and 'value="10:30"' not in slots
    assert 'value="11:00"' in slots
    r = anna.post("/crm/calendar/book", data={**form, "start": "", "start_other": "10:30",
                                              "title": "Druga"})
    assert r.status_code == 400
    assert "jan already has a meeting “Prezentacja”" in text(r) and 'value="Druga"' in text(r)
    # the calendar shows it: week (days as columns), day (people as columns), month
    for view in ("week", "day", "month"):
        page_ = text(anna.get(f"/crm/calendar/?view={view}&date={day}"))
        assert f'id="event-{event["id"]}"' in page_ and "Prezentacja" in page_, view
    # a non-salesperson is not offered to an agent; no slot, no time: a clear message
    r = anna.post("/crm/calendar/book", data={**form, "start": "", "start_other": ""})
    assert r.status_code == 400 and "Choose a free slot or type a time." in text(r)
    # bob (not involved) may look at it but not cancel it; jan (the calendar's owner) may
    bob = client_as(app, db, "bob")
    assert bob.get(f"/crm/calendar/events/{event['id']}").status_code == 200
    assert bob.post(f"/crm/calendar/events/{event['id']}/cancel",
                    data={"csrf_token": csrf(bob)}).status_code == 403
    assert jan.post(f"/crm/calendar/events/{event['id']}/cancel",
                    data={"csrf_token": csrf(jan)}).status_code == 302
    assert planner.get_event(db, event["id"])["cancelled_at"] is not None


def test_meeting_edit_form(app, db, admin):
    anna = client_as(app, db, "anna")
    jan = client_as(app, db, "jan", bookable=True)
    day = workday()
    first = planner.book(db, anna.user, user_id=jan.user["id"], contact_id=None, title="Pierwsze",
                         starts_at=planner.local_epoch(day, "09:00"),
                         ends_at=planner.local_epoch(day, "10:00"))
    second = planner.book(db, anna.user, user_id=jan.user["id"], contact_id=None, title="Drugie",
                          starts_at=planner.local_epoch(day, "12:00"),
                          ends_at=planner.local_epoch(day, "13:00"))
    form = {"csrf_token": csrf(jan), "title": "Drugie, przesunięte", "date": day.isoformat(),
            "start": "09:30", "end": "10:30", "location": "", "details": "",
            "remind_min": "15"}
    r = jan.post(f"/crm/calendar/events/{second}", data=form)
    assert r.status_code == 400
    assert "“Pierwsze”" in text(r) and "Drugie, przesunięte" in text(r)
    r = jan.post(f"/crm/calendar/events/{second}", data={**form, "date": "jutro"})
    assert r.status_code == 400 and "enter a date like" in text(r)
    r = jan.post(f"/crm/calendar/events/{second}", data={**form, "start": "10:00",
                                                         "end": "11:00"})
    assert r.status_code == 302
    assert planner.fmt_local(planner.get_event(db, second)["starts_at"], "%H:%M") == "10:00"
    bob = client_as(app, db, "bob")
    assert "Pierwsze" in text(bob.get(f"/crm/calendar/events/{first}"))
    assert 'id="event-form"' not in text(bob.get(f"/crm/calendar/events/{first}"))
    assert bob.post(f"/crm/calendar/events/{first}",
                    data={**form, "csrf_token": csrf(bob)}).status_code == 403


def test_polish_calendar(app, db):
    users.create_user(db, "admin", ADMIN_PW, "admin", lang="pl")
    c = app.test_client()
    login(c, "admin", ADMIN_PW)
    body = text(c.get("/crm/calendar/?view=month&date=2026-11-10"))
    assert "Kalendarz" in body and "Listopad 2026" in body and "pon." in body
    assert "Zadania" in text(c.get("/crm/tasks/"))


# -- the iCalendar feed ---------------------------------------------------------------------------

def test_feed_token_works_without_login(app, db):
    users.create_user(db, "admin", ADMIN_PW, "admin")
    jan = client_as(app, db, "jan", bookable=True)
    day = workday()
    planner.book(db, jan.user, user_id=jan.user["id"], contact_id=None, title="Demo, part 1",
                 starts_at=planner.local_epoch(day, "12:00"),
                 ends_at=planner.local_epoch(day, "13:00"))
    r = jan.post("/crm/calendar/feed", data={"csrf_token": csrf(jan), "action": "create"})
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', text(r)).group(1)
    path = url.split("localhost", 1)[1]
    assert path.startswith("/crm/ical/") and path.endswith(".ics")
    anonymous = app.test_client()
    r = anonymous.get(path)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert "SUMMARY:Demo\\, part 1" in r.get_data(as_text=True)
    assert "BEGIN:VCALENDAR\r\n" in r.get_data(as_text=True)
    # the address is shown once only; a new one switches the old off
    assert path not in text(jan.get("/crm/calendar/feed"))
    r = jan.post("/crm/calendar/feed", data={"csrf_token": csrf(jan), "action": "create"})
    assert anonymous.get(path).status_code == 404
    jan.post("/crm/calendar/feed", data={"csrf_token": csrf(jan), "action": "revoke"})
    assert "The feed is off." in text(jan.get("/crm/calendar/feed"))
    # guessing: 404, then throttled like logins
    codes = [anonymous.get(f"/crm/ical/guess{i}.ics").status_code for i in range(8)]
    assert codes[0] == 404 and codes[-1] == 429


# -- settings, users, the reminders badge ---------------------------------------------------------

def test_settings_form(app, db, admin):
    r = admin.post("/crm/settings", data={
        "csrf_token": csrf(admin), "work_start": "08:00", "work_end": "16:30",
        "work_days": ["1", "2", "3", "4", "5", "6"], "slot_min": "60",
        "missed_call_due_min": "30"})
    assert r.status_code == 302
    s = planner.planner_settings(db)
    assert (s["work_start"], s["work_end"], s["work_days"], s["slot_min"],
            s["missed_call_due_min"]) == ("08:00", "16:30", "1-6", 60, 30)
    r = admin.post("/crm/settings", data={
        "csrf_token": csrf(admin), "work_start": "18:00", "work_end": "16:30",
        "work_days": ["1"], "slot_min": "60", "missed_call_due_min": "30"})
    assert r.status_code == 400 and 'value="18:00"' in text(r)
    assert planner.planner_settings(db)["work_start"] == "08:00"


def test_user_page_email_and_takes_meetings(app, db, admin):
    uid = users.create_user(db, "jan", ADMIN_PW, "agent")
    use_english(admin)
    r = admin.post(f"/admin/users/{uid}/edit", data={
        "csrf_token": csrf_token(admin, f"/admin/users/{uid}/edit"), "role": "agent",
        "lang": "pl", "agent": "", "email": "jan@example.com", "bookable": "1"})
    assert r.status_code == 302
    assert planner.calendar_profile(db, uid)["email"] == "jan@example.com"
    assert planner.calendar_profile(db, uid)["bookable"] == 1
    body = text(admin.get(f"/admin/users/{uid}/edit"))
    assert 'value="jan@example.com"' in body
    assert 'id="bookable" name="bookable" value="1" checked' in body
    r = admin.post(f"/admin/users/{uid}/edit", data={
        "csrf_token": csrf_token(admin, f"/admin/users/{uid}/edit"), "role": "supervisor",
        "lang": "pl", "agent": "", "email": "not an address"})
    assert r.status_code == 400 and "is not an e-mail address" in text(r)
    assert users.get_user(db, uid)["role"] == "agent"          # nothing saved
    assert planner.calendar_profile(db, uid)["bookable"] == 1


def test_reminders_badge(app, db):
    users.create_user(db, "admin", ADMIN_PW, "admin")
    anna = client_as(app, db, "anna")
    assert 'id="reminder-badge"' not in text(anna.get("/crm/tasks/"))
    planner.create_task(db, anna.user, title="Zadzwoń", assignee_id=anna.user["id"],
                        remind_at=time.time() - 60)
    body = text(anna.get("/crm/calendar/"))
    assert re.search(r'id="reminder-badge"[^>]*>1<', body)
    assert "Zadzwoń" in text(anna.get("/crm/reminders"))


def test_contact_card_shows_the_planner_panel(app, db):
    users.create_user(db, "admin", ADMIN_PW, "admin")
    anna = client_as(app, db, "anna")
    if "crm.card" not in app.view_functions:
        pytest.fail("the contact card (appliance/webui/crm.py) is not registered")
    cid = make_contact(db)
    tid = planner.create_task(db, anna.user, title="Wyślij ofertę", contact_id=cid,
                              assignee_id=anna.user["id"])
    body = text(anna.get(f"/crm/{cid}"))
    assert 'id="card-planner"' in body and f'id="card-task-{tid}"' in body
    assert f"/crm/calendar/book?contact_id={cid}" in body


# -- in a real browser ----------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_book_a_meeting(tmp_path, page):  # noqa: F811
    """Headless Chromium against the real panel (gunicorn): an agent opens the booking page
    for a contact, picks the salesperson, a free slot, saves, sees the meeting in the week
    view, and the slot is no longer offered."""
    from appliance.store.db import open_db
    from tests.test_webui_browser import running_panel
    db_path = tmp_path / "data" / "jns.db"
    db = open_db(db_path)
    users.create_user(db, "admin", ADMIN_PW, "admin", lang="en")
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en")
    jan = users.create_user(db, "jan", ADMIN_PW, "agent", lang="en")
    planner.set_calendar_profile(db, jan, email="", bookable=True)
    cid = make_contact(db)
    db.conn.close()
    day = workday().isoformat()
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        page.goto(url + "/login")
        page.fill("#username", "anna")
        page.fill("#password", ADMIN_PW)
        page.click("button.primary")
        page.goto(f"{url}/crm/calendar/book?contact_id={cid}&date={day}")
        page.select_option("#user_id", str(jan))        # the script shows jan's free slots
        page.wait_for_selector("#slots label.slot")
        page.click("#slot-1100")
        assert page.locator("#slot-1100 input").is_checked()
        page.fill("#location", "Biuro, sala 2")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "crm-book.png"), full_page=True)
        page.click("#save-meeting")
        page.wait_for_url(re.compile(r"/crm/calendar/\?view=week"))
        meeting = page.locator("#calendar .meeting", has_text="Meeting with Żaneta Łęcka")
        assert meeting.count() == 1
        assert "11:00" in meeting.inner_text() and "jan" in meeting.inner_text()
        page.screenshot(path=str(SCREENS / "crm-calendar-week.png"), full_page=True)
        page.goto(f"{url}/crm/calendar/book?contact_id={cid}&date={day}&user_id={jan}")
        starts = page.locator("#slots input[name=start]").evaluate_all(
            "inputs => inputs.map(i => i.value)")
        assert "11:00" not in starts and "10:30" in starts and "12:00" in starts
        assert not page.console_errors, page.console_errors
