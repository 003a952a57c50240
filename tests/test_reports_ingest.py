"""Reading Asterisk's queue_log and CDR into the report tables (appliance.reports.ingest).

The lines are in the exact format Asterisk 22 writes on this box (copied from a devbox run:
calls logged with the member name, ADDMEMBER with the interface, our own DID / INFO lines)
and go through the real ingestion; the last test runs a real call through real Asterisk.
What is asserted is what a supervisor would see: the call's wait, talk, reason and agent,
counted once whatever happens to the files.
"""
from __future__ import annotations

import time

import pytest

from appliance.reports.ingest import Ingestor, ingest_files
from appliance.store import config
from appliance.store.db import open_db

T = 1795689700   # 2026-11-26, about 10:41 UTC


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101", login=False)
    config.add_agent(db, "102", "Agent 102", login=False)
    config.add_agent(db, "103", "Agent 103")
    return db


def lines(*rows: str) -> str:
    return "".join(r + "\n" for r in rows)


def answered_call(uid: str, t: int, *, wait: int = 12, talk: int = 40, caller: str = "48600100200",
                  queue: str = "support") -> str:
    return lines(
        f"{t}|{uid}|{queue}|NONE|DID|100",
        f"{t}|{uid}|{queue}|NONE|INFO|IVR|main:1/",
        f"{t}|{uid}|{queue}|NONE|ENTERQUEUE||{caller}|1",
        f"{t + wait}|{uid}|{queue}|Agent 101|CONNECT|{wait}|{uid}1|2",
        f"{t + wait + talk}|{uid}|{queue}|Agent 101|COMPLETEAGENT|{wait}|{talk}|1")


def calls(db) -> list[dict]:
    return list(db.query("SELECT * FROM report_calls ORDER BY entered, part"))


def figures(db) -> list[tuple]:
    return db.execute("SELECT callid, part, queue, status, reason, wait, talk, agent, attempts "
                      "FROM report_calls ORDER BY entered, part").fetchall()


def test_an_answered_call_has_its_number_ivr_path_wait_talk_and_agent(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(lines(f"{T}|NONE|NONE|NONE|QUEUESTART|")
                  + answered_call("1795689736.0", T + 36, wait=12, talk=40)
                  .replace("|INFO|IVR|", "|INFO|REC|2026/11/26/1795689736.0.wav\n"
                           f"{T + 36}|1795689736.0|support|NONE|INFO|IVR|", 1))
    assert ingest_files(db, ql) == {"queue_log": 7, "cdr": 0, "malformed": 0}
    [c] = calls(db)
    assert (c["caller"], c["did"], c["ivr"], c["queue"], c["part"]) == \
        ("48600100200", "100", "main:1/", "support", 1)
    assert (c["status"], c["reason"], c["agent"], c["wait"], c["talk"], c["ring"]) == \
        ("answered", "agent", "101", 12, 40, 2)
    assert (c["entered"], c["connected"], c["ended"]) == (T + 36, T + 48, T + 88)
    assert c["attempts"] == 1 and c["origposition"] == 1
    assert c["recording"] == "2026/11/26/1795689736.0.wav"


def test_a_half_written_last_line_waits_until_it_is_complete(db, tmp_path):
    ql = tmp_path / "queue_log"
    text = answered_call("1.1", T, wait=5, talk=30)
    cut = text.index("COMPLETEAGENT") + 5
    ql.write_text(text[:cut])                          # Asterisk is writing the last line
    assert ingest_files(db, ql)["queue_log"] == 4
    assert [c["status"] for c in calls(db)] == ["talking"]
    with ql.open("a") as f:
        f.write(text[cut:])
    assert ingest_files(db, ql) == {"queue_log": 1, "cdr": 0, "malformed": 0}
    assert figures(db) == [("1.1", 1, "support", "answered", "agent", 5, 30, "101", 1)]


def test_rotation_reads_the_old_files_last_lines_then_the_new_file(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(answered_call("1.1", T, talk=30)
                  + lines(f"{T + 100}|2.2|support|NONE|ENTERQUEUE||48600200300|1"))
    ing = Ingestor(db, ql)
    assert ing.run_once()["queue_log"] == 6
    # written after our last read, then `logger rotate`: queue_log -> queue_log.0, a new file
    with ql.open("a") as f:
        f.write(lines(f"{T + 110}|2.2|support|Agent 102|RINGNOANSWER|15000",
                      f"{T + 130}|2.2|support|NONE|ABANDON|1|1|30"))
    ql.rename(tmp_path / "queue_log.0")
    ql.write_text(answered_call("3.3", T + 200, wait=7, talk=20))
    assert ing.run_once()["queue_log"] == 2 + 5
    assert figures(db) == [("1.1", 1, "support", "answered", "agent", 12, 30, "101", 1),
                           ("2.2", 1, "support", "unanswered", "abandon", 30, 0, "", 1),
                           ("3.3", 1, "support", "answered", "agent", 7, 20, "101", 1)]
    # the new file grows; the rotated one is not read again
    with ql.open("a") as f:
        f.write(lines(f"{T + 300}|4.4|support|NONE|ENTERQUEUE||48600400500|1"))
    assert ing.run_once()["queue_log"] == 1
    assert len(calls(db)) == 4 and db.execute("SELECT count(*) FROM ql_events").fetchone()[0] == 14


def test_a_long_backlog_read_in_small_rounds_gives_the_same_figures(db, tmp_path, monkeypatch):
    from appliance.reports import ingest
    month = "".join(answered_call(f"{i}.{i}", T + 100 * i, wait=i % 30, talk=10 + i)
                    for i in range(40))
    cut = month.index("\n", len(month) // 2) + 1
    old, new = month[:cut], month[cut:]
    reference = open_db(tmp_path / "reference.db")
    config.add_agent(reference, "101", "Agent 101", login=False)
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "queue_log").write_text(month)
    ingest_files(reference, tmp_path / "ref" / "queue_log")
    assert len(calls(reference)) == 40
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 300)     # calls and lines cut across chunks
    ql = tmp_path / "queue_log"
    ql.write_text(old)
    ing = Ingestor(db, ql, budget_s=1e-9)               # one chunk per round
    rounds = 0
    while True:
        rounds += 1
        ing.run_once()
        if rounds == 3:                                 # rotated in the middle of the backlog
            ql.rename(tmp_path / "queue_log.0")
            ql.write_text(new)
        if not ing.more and rounds > 3:
            break
    assert rounds > 20
    assert [dict(c, id=0) for c in calls(db)] == [dict(c, id=0) for c in calls(reference)]


def test_a_new_file_without_the_old_one_beside_it_is_read_from_the_start(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(answered_call("1.1", T))
    ingest_files(db, ql)
    ql.unlink()                                      # rotated away (e.g. compressed)
    ql.write_text(answered_call("2.2", T + 100, wait=3, talk=9))
    assert ingest_files(db, ql)["queue_log"] == 5
    assert [c["callid"] for c in calls(db)] == ["1.1", "2.2"]


def test_the_same_lines_delivered_twice_count_once(db, tmp_path):
    ql = tmp_path / "queue_log"
    block = answered_call("1.1", T) + lines(
        f"{T + 60}|2.2|support|NONE|ENTERQUEUE||48600200300|2",
        f"{T + 75}|2.2|support|Agent 101|RINGNOANSWER|15000",
        f"{T + 80}|2.2|support|NONE|EXITWITHTIMEOUT|1|2|20")
    ql.write_text(block)
    assert ingest_files(db, ql)["queue_log"] == 8
    before = figures(db)
    with ql.open("a") as f:                          # the same lines appended again
        f.write(block)
    assert ingest_files(db, ql)["queue_log"] == 0
    # a copy of the whole file with one more line read as if it were a new file
    copy = tmp_path / "copy" / "queue_log"
    copy.parent.mkdir()
    copy.write_text(lines(f"{T - 5}|NONE|NONE|NONE|QUEUESTART|") + block
                    + lines(f"{T + 90}|3.3|support|NONE|ENTERQUEUE||48600300400|1"))
    assert ingest_files(db, copy)["queue_log"] == 2
    assert figures(db) == before + [("3.3", 1, "support", "waiting", "", 0, 0, "", 0)]
    assert db.execute("SELECT count(*) FROM ql_events").fetchone()[0] == 10


def test_a_restart_mid_file_continues_and_finishes_a_call_open_across_it(db, tmp_path):
    ql = tmp_path / "queue_log"
    text = answered_call("1.1", T, wait=9, talk=61)
    head, tail = text[:text.index(f"{T + 9 + 61}|")], text[text.index(f"{T + 9 + 61}|"):]
    ql.write_text(head + lines(f"{T + 3}|2.2|support|NONE|ENTERQUEUE||48600200300|2"))
    assert Ingestor(db, ql).run_once()["queue_log"] == 5
    assert [c["status"] for c in calls(db)] == ["talking", "waiting"]
    with ql.open("a") as f:                          # while the service was down
        f.write(tail + lines(f"{T + 33}|2.2|support|Agent 101|CONNECT|30|2.21|4",
                             f"{T + 40}|2.2|support|Agent 101|COMPLETECALLER|30|7|2"))
    fresh = Ingestor(db, ql)                         # a new process on the same database
    assert fresh.run_once()["queue_log"] == 3
    assert figures(db) == [("1.1", 1, "support", "answered", "agent", 9, 61, "101", 1),
                           ("2.2", 1, "support", "answered", "caller", 30, 7, "101", 1)]


def test_a_write_that_fails_loses_nothing_and_counts_nothing_twice(db, tmp_path):
    import sqlite3
    ql = tmp_path / "queue_log"
    ql.write_text(lines(f"{T}|5.5|support|NONE|ENTERQUEUE||48600100200|1"))
    ing = Ingestor(db, ql)
    ing.run_once()
    with ql.open("a") as f:
        f.write(lines(f"{T + 15}|5.5|support|Agent 102|RINGNOANSWER|15000",
                      f"{T + 20}|5.5|support|Agent 101|CONNECT|20|5.51|5"))
    db.execute("PRAGMA busy_timeout=50")
    other = open_db(tmp_path / "jns.db", migrate=False)
    other.execute("BEGIN IMMEDIATE")                 # someone else is writing right now
    with pytest.raises(sqlite3.OperationalError):
        ing.run_once()
    other.execute("ROLLBACK")
    assert ing.run_once()["queue_log"] == 2
    with ql.open("a") as f:
        f.write(lines(f"{T + 50}|5.5|support|Agent 101|COMPLETECALLER|20|30|1"))
    ing.run_once()
    assert figures(db) == [("5.5", 1, "support", "answered", "caller", 20, 30, "101", 2)]


def test_garbage_lines_are_skipped_counted_and_do_not_stop_the_reading(db, tmp_path, caplog):
    ql = tmp_path / "queue_log"
    good = answered_call("1.1", T, wait=4, talk=10)
    first, rest = good.split("\n", 1)
    ql.write_bytes(first.encode() + b"\n"
                   + b"\x00\x00\x00\x00\x00\x00\n"                      # a crash left zeros
                   + b"\xff\xfe|garbage\xc3(|x|y|ENTERQUEUE\n"          # not text at all
                   + b"hello world\n"                                   # no fields
                   + f"noon|1.1|support|NONE|ABANDON|1|1|3\n".encode()  # no epoch
                   + f"{T}|1.1|support|NONE|EXITWITHKEY|1\n".encode()   # fields missing
                   + rest.encode())
    got = ingest_files(db, ql)
    assert got == {"queue_log": 5, "cdr": 0, "malformed": 5}
    assert figures(db) == [("1.1", 1, "support", "answered", "agent", 4, 10, "101", 1)]
    assert "skipped 5 malformed" in caplog.text


def test_an_overflow_is_one_journey_with_two_parts(db, tmp_path):
    ql = tmp_path / "queue_log"
    uid = "1795689800.4"
    ql.write_text(lines(
        f"{T}|{uid}|support|NONE|DID|100",
        f"{T}|{uid}|support|NONE|INFO|IVR|main:1/",
        f"{T}|{uid}|support|NONE|ENTERQUEUE||48600100200|3",
        f"{T + 15}|{uid}|support|Agent 102|RINGNOANSWER|15000",
        f"{T + 32}|{uid}|support|Agent 101|RINGNOANSWER|15000",
        f"{T + 40}|{uid}|support|NONE|EXITWITHTIMEOUT|2|3|40",
        # the overflow: the dialplan goes on to the next queue with the same channel
        f"{T + 40}|{uid}|sales|NONE|DID|100",
        f"{T + 40}|{uid}|sales|NONE|INFO|IVR|main:1/",
        f"{T + 40}|{uid}|sales|NONE|ENTERQUEUE||48600100200|1",
        f"{T + 45}|{uid}|sales|Agent 103|CONNECT|5|{uid}9|3",
        f"{T + 105}|{uid}|sales|Agent 103|BLINDTRANSFER|200|jns-extension|5|60|1",
        # a second caller refused by the dialplan (our own line: the queue was full)
        f"{T + 50}|1795689850.5|sales|NONE|DID|100",
        f"{T + 50}|1795689850.5|sales|NONE|FULL|48600999888"))
    ingest_files(db, ql)
    part1, part2, full = calls(db)
    assert (part1["part"], part1["queue"], part1["status"], part1["reason"], part1["wait"],
            part1["attempts"], part1["position"], part1["origposition"]) == \
        (1, "support", "unanswered", "timeout", 40, 2, 2, 3)
    assert (part2["callid"], part2["part"], part2["queue"], part2["status"], part2["reason"],
            part2["wait"], part2["talk"], part2["agent"], part2["transfer"], part2["did"],
            part2["ivr"], part2["caller"]) == \
        (uid, 2, "sales", "answered", "transfer", 5, 60, "103", "200", "100", "main:1/",
         "48600100200")
    assert (full["status"], full["reason"], full["wait"], full["caller"], full["did"]) == \
        ("unanswered", "full", 0, "48600999888", "100")


def test_a_late_event_of_a_finished_call_is_not_a_new_call(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(answered_call("6.6", T, wait=3, talk=20)
                  .replace("COMPLETEAGENT|3|20|1", "BLINDTRANSFER|200|jns-extension|3|20|1"))
    with ql.open("a") as f:                          # other calls go on: 6.6 is forgotten
        f.write(lines(f"{T + 1800}|7.7|support|NONE|ENTERQUEUE||48600700800|1"))
    ingest_files(db, ql)
    with ql.open("a") as f:                          # an hour later, the same call's COMPLETE
        f.write(lines(f"{T + 3600}|6.6|support|Agent 101|COMPLETEAGENT|3|3597|1"))
    assert ingest_files(db, ql)["queue_log"] == 1
    assert figures(db) == [("6.6", 1, "support", "answered", "transfer", 3, 20, "101", 1),
                           ("7.7", 1, "support", "waiting", "", 0, 0, "", 0)]


def test_exit_with_key_keeps_the_key_and_position(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(lines(f"{T}|7.7|support|NONE|ENTERQUEUE||48600100200|2",
                        f"{T + 15}|7.7|support|Agent 101|RINGCANCELED|1200",
                        f"{T + 16}|7.7|support|NONE|EXITWITHKEY|0|1|2|16"))
    ingest_files(db, ql)
    [c] = calls(db)
    assert (c["status"], c["reason"], c["key"], c["position"], c["origposition"], c["wait"],
            c["attempts"]) == ("unanswered", "key", "0", 1, 2, 16, 1)


def test_agent_sessions_span_two_queues_and_pauses_keep_their_reasons(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(lines(   # exactly as Asterisk 22 logs our desk login, pause and logout
        f"{T}|MANAGER|support|PJSIP/103|ADDMEMBER|",
        f"{T + 60}|MANAGER|sales|PJSIP/103|ADDMEMBER|",
        f"{T + 100}|NONE|NONE|Agent 103|PAUSEALL|lunch",
        f"{T + 100}|NONE|support|Agent 103|PAUSE|lunch",
        f"{T + 100}|NONE|sales|Agent 103|PAUSE|lunch",
        f"{T + 400}|NONE|NONE|Agent 103|UNPAUSEALL|",
        f"{T + 400}|NONE|support|Agent 103|UNPAUSE|",
        f"{T + 400}|NONE|sales|Agent 103|UNPAUSE|",
        f"{T + 500}|MANAGER|support|PJSIP/103|REMOVEMEMBER|",
        f"{T + 600}|NONE|sales|Agent 103|PAUSE|break",   # paused in its last queue
        f"{T + 650}|NONE|sales|Agent 103|PAUSE|coaching",  # the reason changed
        f"{T + 700}|MANAGER|sales|PJSIP/103|REMOVEMEMBER|",
        f"{T + 800}|MANAGER|sales|PJSIP/103|ADDMEMBER|"))
    ingest_files(db, ql)
    rows = db.execute("SELECT agent, kind, start, end, reason, queues FROM report_agent_time "
                      "ORDER BY start, kind").fetchall()
    assert rows == [("103", "session", T, T + 700, "", "support,sales"),
                    ("103", "pause", T + 100, T + 400, "lunch", ""),
                    ("103", "pause", T + 600, T + 650, "break", ""),
                    ("103", "pause", T + 650, T + 700, "coaching", ""),
                    ("103", "session", T + 800, None, "", "sales")]
    assert db.execute("SELECT DISTINCT agent FROM ql_events WHERE agent != ''").fetchall() == [("103",)]


def test_a_call_silent_for_six_hours_is_closed_at_its_last_event(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(lines(f"{T}|8.8|support|NONE|ENTERQUEUE||48600100200|1",
                        f"{T + 20}|8.8|support|Agent 101|CONNECT|20|8.81|1",
                        f"{T + 30}|9.9|support|NONE|ENTERQUEUE||48600100201|1"))
    ingest_files(db, ql)             # Asterisk crashed here: no COMPLETE, no ABANDON ever
    assert [c["status"] for c in calls(db)] == ["talking", "waiting"]
    with ql.open("a") as f:
        f.write(lines(f"{T + 6 * 3600 + 31}|NONE|NONE|NONE|QUEUESTART|"))
    ingest_files(db, ql)
    assert figures(db) == [("8.8", 1, "support", "answered", "unknown", 20, 0, "101", 1),
                           ("9.9", 1, "support", "unanswered", "unknown", 0, 0, "", 0)]
    assert [c["ended"] for c in calls(db)] == [T + 20, T + 30]


CDR = [   # as cdr_csv writes them on this box (usegmtime, loguniqueid, loguserfield)
    '"","48600100200","support","jns-queue","""Caller"" <48600100200>","PJSIP/carrier-0-00000000",'
    '"PJSIP/101-00000001","Queue","support,t,,,300,,jns-agent-leg","2026-11-26 10:42:16",'
    '"2026-11-26 10:42:16","2026-11-26 10:42:19",3,3,"ANSWERED","DOCUMENTATION","1795689736.0",'
    '"did=100&ivr=main:1/&rec=2026/11/26/1795689736.0.wav"',
    '"","101","48221234567","jns-outbound","""Agent 101"" <101>","PJSIP/101-00000000",'
    '"PJSIP/carrier-00000001","Dial","PJSIP/48221234567@carrier,60","2026-11-26 10:42:41",'
    '"2026-11-26 10:42:41","2026-11-26 10:42:43",2,2,"ANSWERED","DOCUMENTATION","1795689761.0",'
    '"&rec=2026/11/26/1795689761.0.wav"',
    '"","102","48221234568","jns-outbound","""Agent 102"" <102>","PJSIP/102-00000004",'
    '"PJSIP/carrier-00000005","Dial","PJSIP/48221234568@carrier,60","2026-11-26 10:50:00",'
    '"","2026-11-26 10:50:30",30,0,"NO ANSWER","DOCUMENTATION","1795690200.4",""',
    '"","101","102","jns-internal","""Agent 101"" <101>","PJSIP/101-00000006",'
    '"PJSIP/102-00000007","Dial","PJSIP/102,30","2026-11-26 11:00:00",'
    '"2026-11-26 11:00:05","2026-11-26 11:01:05",65,60,"ANSWERED","DOCUMENTATION","1795690800.6",""',
]


def test_cdr_rows_are_read_once_with_direction_and_agent(db, tmp_path):
    ql, cdr = tmp_path / "queue_log", tmp_path / "cdr-csv" / "Master.csv"
    ql.write_text("")
    cdr.parent.mkdir()
    cdr.write_text("\n".join(CDR[:2]) + "\n" + CDR[2][:40])       # the third still being written
    assert ingest_files(db, ql, cdr)["cdr"] == 2
    with cdr.open("a") as f:
        f.write(CDR[2][40:] + "\n" + CDR[3] + "\n" + CDR[0] + "\nnot,a,cdr\n")
    assert ingest_files(db, ql, cdr) == {"queue_log": 0, "cdr": 2, "malformed": 1}
    rows = db.execute("SELECT direction, agent, src, dst, disposition, start, answer, end, "
                      "duration, billsec, uniqueid FROM report_cdr ORDER BY start").fetchall()
    assert rows == [
        ("in", "", "48600100200", "support", "ANSWERED", 1795689736, 1795689736, 1795689739, 3, 3,
         "1795689736.0"),
        ("out", "101", "101", "48221234567", "ANSWERED", 1795689761, 1795689761, 1795689763, 2, 2,
         "1795689761.0"),
        ("out", "102", "102", "48221234568", "NO ANSWER", 1795690200, None, 1795690230, 30, 0,
         "1795690200.4"),
        ("internal", "", "101", "102", "ANSWERED", 1795690800, 1795690805, 1795690865, 65, 60,
         "1795690800.6")]


def test_state_survives_in_the_database_with_the_offset(db, tmp_path):
    ql = tmp_path / "queue_log"
    ql.write_text(lines(f"{T}|1.1|support|NONE|DID|100",
                        f"{T}|1.1|support|NONE|INFO|IVR|main:1/"))
    ingest_files(db, ql)
    row = db.execute("SELECT signature, offset FROM report_ingest WHERE source = 'queue_log'").fetchone()
    assert row == (f"{T}|1.1|support|NONE|DID|100", ql.stat().st_size)
    # the DID and IVR path read before the restart still reach the call entering after it
    with ql.open("a") as f:
        f.write(lines(f"{T + 1}|1.1|support|NONE|ENTERQUEUE||48600100200|1"))
    ingest_files(db, ql)
    [c] = calls(db)
    assert (c["did"], c["ivr"], c["status"]) == ("100", "main:1/", "waiting")


# -- real Asterisk ----------------------------------------------------------------------

@pytest.mark.asterisk
def test_a_real_call_through_the_ivr_into_a_queue_is_reported(devbox, sipp, agent_port):
    from tests.test_skeleton_call import queue_log, wait_for
    agent = sipp.agent(agent_port, talk_ms=3000)
    time.sleep(0.3)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="1", caller="48600123456")
    assert result.returncode == 0, result.stdout[-2000:]
    assert agent.wait(timeout=30) == 0
    done = wait_for(lambda: [e for e in queue_log(devbox) if e[4].startswith("COMPLETE")])
    assert done, queue_log(devbox)
    reports = devbox.start_reports(interval=3600)
    try:
        reports.run_once()
        assert reports.errors == 0
    finally:
        reports.stop()
    [c] = list(devbox.db.query("SELECT * FROM report_calls"))
    [connect] = [e for e in queue_log(devbox) if e[4] == "CONNECT"]
    assert (c["caller"], c["did"], c["ivr"], c["queue"]) == \
        ("48600123456", "100", "main:1/", "support")
    assert (c["status"], c["agent"], c["callid"]) == ("answered", "101", done[0][1])
    assert c["wait"] == int(connect[5]) and c["talk"] == int(done[0][6])
    assert 2 <= c["talk"] <= 4 and c["wait"] <= 2
    # every line Asterisk wrote is understood and stored once
    logged = (devbox.asterisk.log_dir / "queue_log").read_text().splitlines()
    assert devbox.db.execute("SELECT count(*) FROM ql_events").fetchone()[0] == len(logged)
    [cdr] = devbox.db.execute("SELECT direction, src, billsec FROM report_cdr").fetchall()
    assert cdr[:2] == ("in", "48600123456") and cdr[2] >= c["talk"]
    bad = [line for line in devbox.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, bad


@pytest.mark.asterisk
def test_a_caller_refused_by_an_empty_queue_is_reported_as_unanswered(devbox, sipp):
    from tests.test_inbound_calls import applied
    from tests.test_skeleton_call import queue_log, wait_for
    config.add_agent(devbox.db, "105", "Desk Only")            # logs in at the desk: not now
    config.save_queue(devbox.db, "nobody", "Nobody here", members=["105"])
    config.save_route(devbox.db, "300", "queue", "nobody")
    applied(devbox)
    result = sipp.call_keys(devbox.layout.sip_port, "300", [(500, "5")], caller="48600555666")
    assert result.returncode == 0, result.stdout[-2000:]
    refused = wait_for(lambda: [e for e in queue_log(devbox) if e[4] == "JOINEMPTY"])
    assert refused and refused[0][2] == "nobody" and refused[0][5] == "48600555666", queue_log(devbox)
    reports = devbox.start_reports(interval=3600)
    try:
        reports.run_once()
    finally:
        reports.stop()
    rows = devbox.db.execute("SELECT queue, caller, did, status, reason, wait, callid "
                             "FROM report_calls").fetchall()
    assert rows == [("nobody", "48600555666", "300", "unanswered", "joinempty", 0, refused[0][1])]
    bad = [line for line in devbox.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, bad
