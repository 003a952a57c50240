"""The CRM planner's model (appliance.crm.planner) on a fresh database, no Flask, no Asterisk:
tasks and who may change them, missed-call tasks (one per call, for the owner), meetings
(overlaps refused with the clash named), free slots (working hours, bookings, the past),
reminders (marked, e-mailed to a real local SMTP sink, kept in the panel when the server is
down) and the iCalendar feed parsed back (escaping, folding, CRLF, UTC times, VALARM)."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from appliance.crm import planner
from appliance.store import alerts, users
from appliance.store.db import StoreError, open_db
from appliance.watchdog.notify import send_email

PW = "correct horse battery"


@pytest.fixture
def db(tmp_path, warsaw):
    return open_db(tmp_path / "jns.db")


def make_user(db, name: str, role: str = "agent", *, email: str = "", bookable: bool = False,
              lang: str = "en") -> dict:
    uid = users.create_user(db, name, PW, role, lang=lang)
    planner.set_calendar_profile(db, uid, email=email, bookable=bookable)
    return users.get_user(db, uid)


def make_contact(db, name: str = "Żaneta Łęcka", number: str = "+48600100200",
                 owner_id: int | None = None) -> int:
    now = time.time()
    cur = db.conn.execute("INSERT INTO crm_contacts (name, owner_id, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?)", [name, owner_id, now, now])
    db.conn.execute("INSERT INTO crm_phones (contact_id, number, match_key) VALUES (?, ?, ?)",
                    [cur.lastrowid, number, planner.match_key(number)])
    return int(cur.lastrowid)


def next_workday(hour: int = 0) -> dt.date:
    """A Monday-to-Friday day at least two days ahead (nothing in its working hours is past)."""
    day = dt.date.today() + dt.timedelta(days=2)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hhmm: str) -> float:
    return planner.local_epoch(day, hhmm)


# -- tasks ----------------------------------------------------------------------------------------

def test_task_permissions(db):
    anna, bob = make_user(db, "anna"), make_user(db, "bob")
    sup = make_user(db, "sup", "supervisor")
    cid = make_contact(db)
    mine = planner.create_task(db, anna, title="Oddzwonić", contact_id=cid,
                               assignee_id=anna["id"])
    bobs = planner.create_task(db, sup, title="Bob's", assignee_id=bob["id"])
    free = planner.create_task(db, sup, title="Anyone", assignee_id=None)
    # anna: her own and unassigned ones yes, Bob's (made by the supervisor) no
    planner.complete_task(db, anna, mine)
    planner.update_task(db, anna, free, title="Anyone, taken", assignee_id=anna["id"])
    with pytest.raises(PermissionError):
        planner.complete_task(db, anna, bobs)
    with pytest.raises(PermissionError):
        planner.update_task(db, anna, bobs, title="x", assignee_id=bob["id"])
    # an agent cannot give her task to Bob; a supervisor can
    with pytest.raises(PermissionError, match="supervisor"):
        planner.reassign_task(db, anna, free, bob["id"])
    planner.reassign_task(db, sup, free, bob["id"])
    assert planner.get_task(db, free)["assignee"] == "bob"
    assert planner.get_task(db, mine)["status"] == "done"
    # lists: everyone sees a contact's tasks; "all" only managers
    assert [t["id"] for t in planner.list_tasks(db, bob, mine=False, contact_id=cid,
                                                status=None)] == [mine]
    with pytest.raises(PermissionError):
        planner.list_tasks(db, anna, mine=False)
    assert {t["id"] for t in planner.list_tasks(db, sup, mine=False)} == {bobs, free}
    assert {t["id"] for t in planner.list_tasks(db, bob)} == {bobs, free}
    with pytest.raises(StoreError, match="title"):
        planner.create_task(db, anna, title="  ")


def test_overdue_flags_and_filter(db):
    anna = make_user(db, "anna")
    now = time.time()
    late = planner.create_task(db, anna, title="Late", assignee_id=anna["id"], due_at=now - 60)
    soon = planner.create_task(db, anna, title="Soon", assignee_id=anna["id"], due_at=now + 600)
    planner.create_task(db, anna, title="Someday", assignee_id=anna["id"])
    tasks = planner.list_tasks(db, anna, now=now)
    assert [t["title"] for t in tasks] == ["Late", "Soon", "Someday"]   # no due date last
    assert [t["overdue"] for t in tasks] == [True, False, False]
    assert tasks[1]["due_soon"]
    assert [t["id"] for t in planner.list_tasks(db, anna, overdue=True, now=now)] == [late]
    assert soon in [t["id"] for t in planner.list_tasks(db, anna, overdue=False, now=now)]


def test_missed_call_task_is_idempotent_and_for_the_owner(db):
    owner = make_user(db, "owner")
    cid = make_contact(db, owner_id=owner["id"])
    called = time.time() - 120
    first = planner.missed_call_task(db, contact_id=cid, owner_id=owner["id"],
                                     number="+48600100200", call_id="1700000000.42",
                                     at=called, reason="busy on another call")
    again = planner.missed_call_task(db, contact_id=cid, owner_id=owner["id"],
                                     number="+48600100200", call_id="1700000000.42",
                                     at=called, reason="busy on another call")
    assert first == again
    assert db.execute("SELECT count(*) FROM crm_tasks").fetchone()[0] == 1
    task = planner.get_task(db, first)
    assert task["title"] == "Missed call from +48600100200"
    assert task["assignee_id"] == owner["id"] and task["source"] == "missed_call"
    assert "busy on another call" in task["details"]
    assert planner.fmt_local(called) in task["details"]
    assert 59 * 60 <= task["due_at"] - time.time() <= 61 * 60   # crm.missed_call_due_min
    assert [t["id"] for t in planner.list_tasks(db, owner)] == [first]
    # the admin's setting changes the due time of the next one
    admin = make_user(db, "boss", "admin")
    planner.save_settings(db, admin, work_start="08:00", work_end="16:00", work_days="1-5",
                          slot_min=30, missed_call_due_min=15)
    other = planner.missed_call_task(db, contact_id=cid, owner_id=owner["id"], number="600",
                                     call_id="1700000000.43", at=time.time(),
                                     reason="paused: lunch")
    assert planner.get_task(db, other)["due_at"] - time.time() < 16 * 60


# -- meetings and free slots ----------------------------------------------------------------------

def test_overlap_refused_naming_the_clash(db):
    agent, sales = make_user(db, "anna"), make_user(db, "jan", bookable=True)
    cid = make_contact(db)
    day = next_workday()
    first = planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="Oferta",
                         starts_at=at(day, "10:00"), ends_at=at(day, "11:00"))
    with pytest.raises(StoreError) as err:
        planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="Druga",
                     starts_at=at(day, "10:30"), ends_at=at(day, "11:30"))
    message = str(err.value)
    assert "jan" in message and "Oferta" in message and "10:00" in message and "11:00" in message
    # back to back is fine; another person's calendar is fine; a cancelled one frees the time
    planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="Po",
                 starts_at=at(day, "11:00"), ends_at=at(day, "11:30"))
    planner.cancel_event(db, agent, first)
    planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="Druga",
                 starts_at=at(day, "10:30"), ends_at=at(day, "11:00"))
    # a non-salesperson's calendar is not open to an agent; the past is refused
    with pytest.raises(StoreError, match="does not take meetings"):
        planner.book(db, agent, user_id=make_user(db, "piotr")["id"], contact_id=cid,
                     title="X", starts_at=at(day, "10:00"), ends_at=at(day, "11:00"))
    with pytest.raises(StoreError, match="past"):
        planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="X",
                     starts_at=time.time() - 3600, ends_at=time.time() - 1800)
    # an update that would overlap is refused too
    later = planner.book(db, agent, user_id=sales["id"], contact_id=cid, title="Later",
                         starts_at=at(day, "14:00"), ends_at=at(day, "15:00"))
    with pytest.raises(StoreError, match="Po"):
        planner.update_event(db, agent, later, title="Later", starts_at=at(day, "11:15"),
                             ends_at=at(day, "12:00"), contact_id=cid)


def test_event_permissions(db):
    anna, bob = make_user(db, "anna"), make_user(db, "bob")
    sales, sup = make_user(db, "jan", bookable=True), make_user(db, "sup", "supervisor")
    day = next_workday()
    ev = planner.book(db, anna, user_id=sales["id"], contact_id=None, title="M",
                      starts_at=at(day, "09:00"), ends_at=at(day, "09:30"))
    with pytest.raises(PermissionError):
        planner.cancel_event(db, bob, ev)
    for who in (anna, sales, sup):      # creator, the calendar's owner, a supervisor
        planner.update_event(db, who, ev, title=f"M by {who['username']}",
                             starts_at=at(day, "09:00"), ends_at=at(day, "09:30"))
    planner.cancel_event(db, sales, ev)
    assert planner.get_event(db, ev)["cancelled_at"] is not None


def test_free_slots_honour_bookings_working_hours_and_the_past(db):
    agent, sales = make_user(db, "anna"), make_user(db, "jan", bookable=True)
    day = next_workday()
    planner.book(db, agent, user_id=sales["id"], contact_id=None, title="Busy",
                 starts_at=at(day, "10:00"), ends_at=at(day, "11:00"))
    starts = [planner.fmt_local(s, "%H:%M") for s, _ in planner.free_slots(db, sales["id"], day)]
    assert starts[0] == "09:00" and starts[-1] == "16:30" and len(starts) == 16 - 2
    assert "10:00" not in starts and "10:30" not in starts and "11:00" in starts
    hour = [planner.fmt_local(s, "%H:%M")
            for s, _ in planner.free_slots(db, sales["id"], day, duration_min=60)]
    assert "09:30" not in hour and "09:00" in hour and hour[-1] == "16:00"
    # a weekend is not a working day; working hours come from the settings
    saturday = day + dt.timedelta(days=(6 - day.isoweekday()) % 7)
    assert saturday.isoweekday() == 6 and planner.free_slots(db, sales["id"], saturday) == []
    admin = make_user(db, "boss", "admin")
    planner.save_settings(db, admin, work_start="08:00", work_end="12:00", work_days="1-6",
                          slot_min=60, missed_call_due_min=60)
    assert [planner.fmt_local(s, "%H:%M") for s, _ in
            planner.free_slots(db, sales["id"], saturday)] == ["08:00", "09:00", "10:00", "11:00"]
    # the past: today, with "now" at 10:10, only later slots
    now = at(saturday, "10:10")
    assert [planner.fmt_local(s, "%H:%M") for s, _ in
            planner.free_slots(db, sales["id"], saturday, now=now)] == ["11:00"]
    with pytest.raises(PermissionError):
        planner.save_settings(db, agent, work_start="08:00", work_end="12:00", work_days="1-5",
                              slot_min=60, missed_call_due_min=60)
    with pytest.raises(StoreError, match="end after"):
        planner.save_settings(db, admin, work_start="12:00", work_end="08:00", work_days="1-5",
                              slot_min=60, missed_call_due_min=60)
    with pytest.raises(StoreError, match="working days"):
        planner.save_settings(db, admin, work_start="08:00", work_end="12:00", work_days="mon",
                              slot_min=60, missed_call_due_min=60)


# -- reminders ------------------------------------------------------------------------------------

def _reminder_fixture(db):
    anna = make_user(db, "anna", email="anna@example.com", lang="pl")
    sales = make_user(db, "jan", email="jan@example.com", bookable=True)
    cid = make_contact(db)
    now = time.time()
    task = planner.create_task(db, anna, title="Oddzwonić do klienta", contact_id=cid,
                               assignee_id=anna["id"], due_at=now + 3600, remind_at=now - 5)
    later = planner.create_task(db, anna, title="Later", assignee_id=anna["id"],
                                remind_at=now + 3600)
    ev = planner.book(db, anna, user_id=sales["id"], contact_id=cid, title="Prezentacja",
                      starts_at=now + 600, ends_at=now + 2400, location="Biuro", remind_min=15)
    planner.book(db, anna, user_id=sales["id"], contact_id=cid, title="Far away",
                 starts_at=now + 7200, ends_at=now + 9000, remind_min=15)
    return anna, sales, task, later, ev, now


def test_reminders_are_marked_and_emailed(db, sink):
    anna, sales, task, later, ev, now = _reminder_fixture(db)
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none")
    assert planner.reminder_count(db, anna["id"], now) == 1
    assert planner.reminder_count(db, sales["id"], now) == 1
    result = planner.send_reminders(db, now, send_email)
    assert result == {"tasks": 1, "events": 1, "emailed": 2, "failed": 0}
    mails = {m["To"]: m for m in sink.wait(2)}
    assert mails["anna@example.com"]["Subject"] == "Przypomnienie: Oddzwonić do klienta"
    assert "Żaneta Łęcka" in mails["anna@example.com"].get_content()
    assert mails["jan@example.com"]["Subject"].startswith("Meeting at ")
    assert "Biuro" in mails["jan@example.com"].get_content()
    assert planner.get_task(db, task)["reminded_at"] == now
    assert planner.get_task(db, later)["reminded_at"] is None
    assert planner.get_event(db, ev)["reminded_at"] == now
    # once only
    assert planner.send_reminders(db, now + 30, send_email)["emailed"] == 0
    assert len(sink.wait(3, timeout=0.5)) == 2
    # still listed in the panel until done
    assert planner.reminder_count(db, anna["id"], now + 30) == 1
    planner.complete_task(db, anna, task)
    assert planner.reminder_count(db, anna["id"], now + 30) == 0


def test_reminders_kept_when_smtp_is_down(db, tmp_path):
    import socket
    anna, sales, task, later, ev, now = _reminder_fixture(db)
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=dead, smtp_security="none")
    result = planner.send_reminders(db, now, send_email)
    assert result == {"tasks": 1, "events": 1, "emailed": 0, "failed": 2}
    due = planner.due_reminders(db, anna["id"], now + 30)
    assert [t["id"] for t in due["tasks"]] == [task]
    assert [e["id"] for e in planner.due_reminders(db, sales["id"], now + 30)["events"]] == [ev]
    # a crashing sender does not stop the loop either; no SMTP set: nothing sent, still marked
    planner.create_task(db, anna, title="Another", assignee_id=anna["id"], remind_at=now)

    def boom(*args, **kwargs):
        raise RuntimeError("boom")
    assert planner.send_reminders(db, now + 60, boom)["failed"] == 1


# -- iCalendar ------------------------------------------------------------------------------------

def parse_ical(text: str) -> list[dict]:
    """A small RFC 5545 reader for the test: unfold, split components, unescape TEXT."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    raw = text.split("\r\n")[:-1]
    for line in raw:
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[dict] = [{"type": "ROOT", "children": []}]
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            comp = {"type": value, "children": []}
            stack[-1]["children"].append(comp)
            stack.append(comp)
        elif name == "END":
            assert stack.pop()["type"] == value
        else:
            out, i = "", 0
            while i < len(value):
                if value[i] == "\\":
                    out += {"n": "\n", "N": "\n"}.get(value[i + 1], value[i + 1])
                    i += 2
                else:
                    assert value[i] not in ",;" or name in ("TRIGGER",), line
                    out += value[i]
                    i += 1
            stack[-1][name] = out
    assert len(stack) == 1
    return stack[0]["children"]


def test_ical_feed_parsed_back(db):
    anna, sales = make_user(db, "anna"), make_user(db, "jan", bookable=True)
    cid = make_contact(db, "Firma, S.A.; dział \\ IT")
    day = next_workday()
    long_title = "Prezentacja oferty" + " zażółć gęślą jaźń" * 8
    ev = planner.book(db, anna, user_id=sales["id"], contact_id=cid, title=long_title,
                      starts_at=at(day, "10:00"), ends_at=at(day, "11:30"),
                      location="Biuro; sala 2, piętro 1", details="Linia 1\nLinia 2",
                      remind_min=30)
    gone = planner.book(db, anna, user_id=sales["id"], contact_id=None, title="Odwołane",
                        starts_at=at(day, "13:00"), ends_at=at(day, "14:00"), remind_min=0)
    planner.cancel_event(db, anna, gone)
    planner.book(db, anna, user_id=anna["id"], contact_id=None, title="Not jan's",
                 starts_at=at(day, "13:00"), ends_at=at(day, "14:00"))
    due = at(day, "12:00")
    planner.create_task(db, anna, title="Send the offer", assignee_id=sales["id"], due_at=due,
                        contact_id=cid)
    planner.create_task(db, anna, title="No due date", assignee_id=sales["id"])
    now = time.time()
    [cal] = parse_ical(planner.ical_feed(db, sales["id"], now))
    assert cal["type"] == "VCALENDAR" and cal["VERSION"] == "2.0" and cal["PRODID"]
    events = [c for c in cal["children"] if c["type"] == "VEVENT"]
    todos = [c for c in cal["children"] if c["type"] == "VTODO"]
    assert len(events) == 2 and len(todos) == 1
    first = next(e for e in events if e["UID"] == planner.get_event(db, ev)["uid"])
    assert first["SUMMARY"] == long_title
    assert first["LOCATION"] == "Biuro; sala 2, piętro 1"
    assert first["DESCRIPTION"] == "Firma, S.A.; dział \\ IT\nLinia 1\nLinia 2"
    start = dt.datetime.strptime(first["DTSTART"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=dt.timezone.utc)
    assert start.timestamp() == at(day, "10:00")
    assert first["DTEND"].endswith("Z") and first["DTSTAMP"].endswith("Z")
    assert first["STATUS"] == "CONFIRMED"
    [alarm] = first["children"]
    assert alarm["type"] == "VALARM" and alarm["TRIGGER"] == "-PT30M"
    cancelled = next(e for e in events if e["SUMMARY"] == "Odwołane")
    assert cancelled["STATUS"] == "CANCELLED" and not cancelled["children"]
    assert todos[0]["SUMMARY"] == "Send the offer"
    assert dt.datetime.strptime(todos[0]["DUE"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=dt.timezone.utc).timestamp() == due


def test_ical_tokens(db):
    anna, bob = make_user(db, "anna"), make_user(db, "bob")
    token = planner.ical_token_create(db, anna["id"])
    assert planner.ical_user_for_token(db, token) == anna["id"]
    assert planner.ical_user_for_token(db, token + "x") is None
    stored = db.execute("SELECT token_hash FROM user_tokens").fetchone()[0]
    assert token not in stored and len(stored) == 64
    new = planner.ical_token_create(db, anna["id"])       # regenerating revokes the old one
    assert planner.ical_user_for_token(db, token) is None
    assert planner.ical_user_for_token(db, new) == anna["id"]
    assert planner.ical_token_info(db, anna["id"])["last_used_at"] is not None
    assert planner.ical_token_info(db, bob["id"]) is None


def test_fold_and_escape():
    line = "SUMMARY:" + "ż" * 100
    folded = planner.ical_fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert planner.ical_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
