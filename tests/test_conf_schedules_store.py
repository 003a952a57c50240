"""Scheduled conferences' store (CONF-3, AUTO-2) without Asterisk: when the box calls
(repeats across Europe/Warsaw's DST changes, until dates), what it refuses (members typed
by hand, hostile input) and the meeting report read from the rows Asterisk's facts leave."""
from __future__ import annotations

import csv
import io
import time

import pytest

from appliance.campaigns import lists
from appliance.store.db import StoreError, open_db
from appliance.telephony import conference_calls as cc


@pytest.fixture
def db(tmp_path):
    d = open_db(tmp_path / "jns.db")
    d.execute("INSERT INTO conf_rooms (number, title, voting, created_at) VALUES "
              "('800', 'Board', 1, 0)")
    yield d
    d.conn.close()


def room_id(db) -> int:
    return db.execute("SELECT id FROM conf_rooms WHERE number = '800'").fetchone()[0]


def local(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %a %H:%M %Z", time.localtime(epoch))


def sched(start: str, repeat: str, until: str | None = None) -> dict:
    day, clock = start.split(" ")
    return {"starts_at": cc.local_start(day, clock), "repeat": repeat, "until_date": until}


# -- when ------------------------------------------------------------------------------------

def test_daily_keeps_the_wall_clock_time_across_both_dst_changes(warsaw):
    s = sched("2026-03-27 09:00", "daily")
    spring = cc.occurrences(s, s["starts_at"], cc.local_start("2026-03-31", "00:00"))
    assert [local(t) for t in spring] == [
        "2026-03-27 Fri 09:00 CET", "2026-03-28 Sat 09:00 CET",
        "2026-03-29 Sun 09:00 CEST", "2026-03-30 Mon 09:00 CEST"]
    assert spring[2] - spring[1] == 23 * 3600          # the short night
    autumn = cc.occurrences(s, cc.local_start("2026-10-24", "00:00"),
                            cc.local_start("2026-10-26", "23:00"))
    assert [local(t) for t in autumn] == [
        "2026-10-24 Sat 09:00 CEST", "2026-10-25 Sun 09:00 CET", "2026-10-26 Mon 09:00 CET"]
    assert autumn[1] - autumn[0] == 25 * 3600


def test_weekdays_skip_the_weekend_and_until_is_inclusive(warsaw):
    s = sched("2026-03-26 18:30", "weekdays", until="2026-04-01")
    got = cc.occurrences(s, 0, s["starts_at"] + 30 * 86400)
    assert [local(t) for t in got] == [
        "2026-03-26 Thu 18:30 CET", "2026-03-27 Fri 18:30 CET",
        "2026-03-30 Mon 18:30 CEST", "2026-03-31 Tue 18:30 CEST", "2026-04-01 Wed 18:30 CEST"]


def test_weekly_and_monthly_across_dst_and_short_months(warsaw):
    weekly = sched("2026-03-24 10:00", "weekly", until="2026-04-07")
    assert [local(t) for t in cc.occurrences(weekly, 0, 2e9)] == [
        "2026-03-24 Tue 10:00 CET", "2026-03-31 Tue 10:00 CEST", "2026-04-07 Tue 10:00 CEST"]
    monthly = sched("2026-01-31 08:15", "monthly", until="2026-05-31")
    assert [local(t) for t in cc.occurrences(monthly, 0, 2e9)] == [
        "2026-01-31 Sat 08:15 CET", "2026-02-28 Sat 08:15 CET", "2026-03-31 Tue 08:15 CEST",
        "2026-04-30 Thu 08:15 CEST", "2026-05-31 Sun 08:15 CEST"]
    # the next start from the middle of April
    assert local(cc.next_start(monthly, cc.local_start("2026-04-10", "12:00"))) == \
        "2026-04-30 Thu 08:15 CEST"
    assert cc.next_start(monthly, cc.local_start("2026-06-01", "00:00")) is None


def test_one_off_happens_once_and_a_time_skipped_by_dst_moves_forward(warsaw):
    s = sched("2026-03-29 02:30", "none")       # no 02:30 that night in Warsaw
    assert local(s["starts_at"]) == "2026-03-29 Sun 03:30 CEST"
    assert cc.occurrences(s, 0, 2e9) == [s["starts_at"]]
    assert cc.next_start(s, s["starts_at"] + 1) is None


def test_due_occurrences_become_meetings_once(db, warsaw):
    now = cc.local_start("2026-03-30", "09:00") + 5
    sid = cc.save_schedule(db, None, room_id=room_id(db), members="101;Ala",
                           starts_at=cc.local_start("2026-03-27", "09:00"), repeat="daily",
                           now=now - 4 * 86400)
    caller = cc.ConferenceCaller.__new__(cc.ConferenceCaller)
    caller.db = db
    caller._make_meetings(now)
    caller._make_meetings(now + 1)
    rows = db.execute("SELECT schedule_id, starts_at FROM conf_meetings").fetchall()
    # only today's: the earlier days were missed by more than LATE_S
    assert rows == [(sid, cc.local_start("2026-03-30", "09:00"))]
    # a daily call made at 09:03 for 09:00 starts tomorrow, not at once
    late = cc.save_schedule(db, None, room_id=room_id(db), members="102;Bob",
                            starts_at=cc.local_start("2026-03-30", "09:00"), repeat="daily",
                            now=now + 175)
    caller._make_meetings(now + 180)
    assert not db.execute("SELECT 1 FROM conf_meetings WHERE schedule_id = ?", [late]).fetchone()
    caller._make_meetings(cc.local_start("2026-03-31", "09:00") + 1)
    assert db.execute("SELECT starts_at FROM conf_meetings WHERE schedule_id = ?",
                      [late]).fetchone()[0] == cc.local_start("2026-03-31", "09:00")


# -- what is refused -------------------------------------------------------------------------

def test_members_are_parsed_and_each_bad_line_is_named():
    got = cc.parse_members("101;Ala Nowak\n\n# a comment\n+48 600-100-200;Bob;listener\n"
                           "102;;LEADER\n")
    assert got == [{"number": "101", "name": "Ala Nowak", "role": "talker"},
                   {"number": "+48600100200", "name": "Bob", "role": "listener"},
                   {"number": "102", "name": "", "role": "leader"}]
    assert cc.parse_members(cc.members_text(got)) == got
    # the panel speaks Polish by default: so may the roles
    assert [m["role"] for m in cc.parse_members("101;Ala;Słuchacz\n102;Ola;prowadzący\n"
                                                "103;Ela;mówca")] == ["listener", "leader",
                                                                      "talker"]
    for text, line, problem in [
            ("101\nabc;Ala", 2, cc.E_MEMBER_NUMBER),
            ("1", 1, cc.E_MEMBER_NUMBER),
            ("101;Ala;boss", 1, cc.E_MEMBER_ROLE),
            ("101;Ala\n102\n101;Again", 3, cc.E_MEMBER_TWICE),
            ("101;Ala;talker;extra", 1, cc.E_MEMBER_FIELDS),
            ("101;" + "x" * 81, 1, cc.E_MEMBER_NAME),
            ("101;Ala\x1b[31m", 1, cc.E_MEMBER_NAME),
            ("101;Ala\n${EXTEN};x", 2, cc.E_MEMBER_NUMBER),
            ("101@evil,Hangup()", 1, cc.E_MEMBER_NUMBER)]:
        with pytest.raises(StoreError) as exc:
            cc.parse_members(text)
        assert exc.value.template == cc.E_MEMBER_LINE
        assert exc.value.values == {"line": line, "problem": problem}, text


def test_schedule_is_checked_and_nothing_is_written_on_a_refusal(db):
    now = time.time()
    good = dict(room_id=room_id(db), starts_at=now + 3600, members="101;Ala", now=now)
    for change, message in [
            ({"room_id": 999}, cc.E_ROOM), ({"room_id": "x"}, cc.E_ROOM),
            ({"starts_at": now - 3600}, cc.E_PAST), ({"starts_at": "soon"}, cc.E_WHEN),
            ({"repeat": "hourly"}, cc.E_REPEAT), ({"kind": "party"}, cc.E_KIND),
            ({"title": "<script>" + "x" * 80}, cc.E_TITLE),
            ({"until_date": "yesterday"}, cc.E_UNTIL),
            ({"until_date": "2000-01-01", "repeat": "daily"}, cc.E_UNTIL),
            ({"confirm_key": "A"}, cc.E_KEY), ({"ring_s": "5"}, None),
            ({"retries": "many"}, None), ({"max_lines": 0}, None),
            ({"list_id": 77}, cc.E_LIST), ({"members": ""}, cc.E_NO_MEMBERS),
            ({"members": "101;Ala\n101;Ala"}, None)]:
        with pytest.raises(StoreError) as exc:
            cc.save_schedule(db, None, **{**good, **change})
        if message:
            assert exc.value.template == message, change
    assert db.execute("SELECT count(*) FROM conf_schedules").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM conf_schedule_members").fetchone()[0] == 0
    # a hostile title that fits is kept as text (the pages escape it)
    sid = cc.save_schedule(db, None, **{**good, "title": "<b>Zarząd</b>'; DROP TABLE x"})
    assert cc.schedule(db, sid)["title"] == "<b>Zarząd</b>'; DROP TABLE x"


def test_edit_replaces_members_and_a_group_takes_its_list(db):
    now = time.time()
    sid = cc.save_schedule(db, None, room_id=room_id(db), starts_at=now + 60,
                           members="101;Ala\n102;Bob", now=now)
    list_id = lists.create_list(db, "Drivers")
    lists.add_contact(db, list_id, "+48600100300", name="Cezary")
    lists.add_contact(db, list_id, "+48600100400", name="Dorota")
    cc.save_schedule(db, sid, room_id=room_id(db), starts_at=now + 60, kind="group",
                     list_id=list_id, members="+48600100300;Cezary (leader);leader", now=now)
    s = cc.schedule(db, sid)
    assert s["kind"] == "group" and s["list_id"] == list_id
    assert cc.schedule_members(db, s) == [
        {"number": "+48600100300", "name": "Cezary (leader)", "role": "leader"},
        {"number": "+48600100400", "name": "Dorota", "role": "talker"}]
    meeting = cc.start_now(db, sid, now=now)
    with pytest.raises(StoreError) as exc:
        cc.start_now(db, sid, now=now + 1)       # still being dialled
    assert exc.value.template == cc.E_RUNNING
    assert db.execute("SELECT room_id FROM conf_meetings WHERE id = ?",
                      [meeting]).fetchone()[0] == room_id(db)
    cc.delete_schedule(db, sid)
    assert db.execute("SELECT count(*) FROM conf_meetings").fetchone()[0] == 0


# -- polls and the report --------------------------------------------------------------------

def test_poll_counts_the_last_key_of_each_call_and_only_while_open(db):
    pid = cc.open_poll(db, room_id(db), "Lunch at noon?", 3, user="sup", now=100)
    with pytest.raises(StoreError) as exc:
        cc.open_poll(db, room_id(db), "Another?", 2)
    assert exc.value.template == cc.E_POLL_OPEN
    for bad, message in [("", cc.E_QUESTION), ("x" * 201, cc.E_QUESTION)]:
        with pytest.raises(StoreError):
            cc.open_poll(db, room_id(db), bad, 2)
    assert cc.record_vote(db, "800", "u1", "101", "2", 101)
    assert cc.record_vote(db, "800", "u2", "102", "3", 102)
    assert cc.record_vote(db, "800", "u2", "102", "1", 103)     # changed their mind
    assert not cc.record_vote(db, "800", "u3", "103", "7", 104)  # not a choice
    assert not cc.record_vote(db, "801", "u3", "103", "1", 104)  # another room
    r = cc.poll_results(db, pid)
    assert [(x["choice"], x["votes"]) for x in r["results"]] == [(1, 1), (2, 1), (3, 0)]
    assert r["total"] == 2 and r["results"][0]["percent"] == 50.0
    cc.close_poll(db, pid, now=200)
    assert not cc.record_vote(db, "800", "u1", "101", "3", 201)
    assert cc.poll_results(db, pid)["results"][1]["votes"] == 1


def test_report_from_dials_and_attendance_with_csv(db):
    rid = room_id(db)
    sid = cc.save_schedule(db, None, room_id=rid, starts_at=time.time() + 60,
                           members="101;Ala\n102;Bob\n103;Cezary")
    mid = db.execute("INSERT INTO conf_meetings (schedule_id, room_id, starts_at) VALUES "
                     "(?, ?, 1000)", [sid, rid]).lastrowid
    dials = [("101", "Ala", 1, "a1", "joined", 1005, 1008),
             ("102", "Bob", 1, "b1", "noanswer", None, None),
             ("102", "Bob", 2, "b2", "noanswer", None, None),
             ("103", "=HYPERLINK(\"x\")", 1, "c1", "declined", None, None)]
    for number, name, attempt, uid, outcome, answered, confirmed in dials:
        db.execute("INSERT INTO conf_dials (meeting_id, number, name, attempt, uniqueid, "
                   "started_at, answered_at, confirmed_at, outcome) VALUES (?,?,?,?,?,?,?,?,?)",
                   [mid, number, name, attempt, uid, 1000, answered, confirmed, outcome])
    db.execute("INSERT INTO conf_attendance (room_id, meeting_id, uniqueid, number, role, how, "
               "joined_at, left_at) VALUES (?, ?, 'a1', '101', 'talker', 'out', 1010, 1130)",
               [rid, mid])
    db.execute("INSERT INTO conf_attendance (room_id, meeting_id, uniqueid, number, name, role, "
               "how, joined_at, left_at) VALUES (?, ?, 'in1', '48221234567', 'Guest', "
               "'listener', 'in', 1020, NULL)", [rid, mid])
    rows = {r["number"]: r for r in cc.meeting_report(db, mid, now=1080)}
    assert rows["101"]["outcome"] == "joined" and rows["101"]["attempts"] == 1
    assert (rows["101"]["joined_at"], rows["101"]["left_at"], rows["101"]["minutes"]) == \
        (1010, 1130, 2.0)
    assert rows["102"]["outcome"] == "noanswer" and rows["102"]["attempts"] == 2
    assert rows["102"]["joined_at"] is None and rows["102"]["minutes"] == 0
    assert rows["103"]["outcome"] == "declined"
    guest = rows["48221234567"]
    assert (guest["how"], guest["role"], guest["left_at"], guest["minutes"]) == \
        ("in", "listener", None, 1.0)
    table = list(csv.reader(io.StringIO(cc.report_csv(list(rows.values())))))
    assert table[0] == list(cc.REPORT_COLUMNS)
    assert len(table) == 5
    assert ["103", "'=HYPERLINK(\"x\")"] == table[3][:2]    # no formula in a spreadsheet
