"""Every report figure of appliance.reports.queries against numbers worked out by hand.

The data is one scripted day written as Asterisk 22 writes queue_log (calls logged with the
member name, ADDMEMBER with the interface, our own DID lines) and cdr-csv Master.csv, read
through the real ingestion (appliance.reports.ingest).  The box's clock is Europe/Warsaw so
that hours and days are the local ones a supervisor sees.  The arithmetic is in comments
next to each assertion.
"""
from __future__ import annotations

import os
import time

import pytest

from appliance.reports import queries as q
from appliance.reports.ingest import ingest_files
from appliance.store import config
from appliance.store.db import StoreError, open_db

D0 = 1732575600            # 2024-11-26 00:00 Europe/Warsaw (CET, UTC+1)
DAY = 86400
H = 3600
B = D0 + 9 * H             # 09:00, when the calls of the day come in


def at(hh: int, mm: int = 0, day: int = 0) -> int:
    return D0 + day * DAY + hh * H + mm * 60


def queue_log() -> str:
    lines = [
        # agents: 101 logs in to support and sales 08:00-16:00; 102 to support 08:30-12:00
        # and again 20:00 until 02:00 the next day
        f"{at(8)}|MANAGER|support|PJSIP/101|ADDMEMBER|",
        f"{at(8)}|MANAGER|sales|PJSIP/101|ADDMEMBER|",
        f"{at(8, 30)}|MANAGER|support|PJSIP/102|ADDMEMBER|",
        f"{B}|c1|support|NONE|DID|221234567",
        # c1: answered by 101 after 8 s, talk 120 s, the caller hangs up
        f"{B}|c1|support|NONE|ENTERQUEUE||600100001|1",
        f"{B + 8}|c1|support|Agent 101|CONNECT|8|c1.1|2",
        f"{B + 128}|c1|support|Agent 101|COMPLETECALLER|8|120|1",
        # c2: 102 and 101 ring without answering, 102 answers after 35 s, talks 3 s
        f"{B + 100}|c2|support|NONE|ENTERQUEUE||600100002|1",
        f"{B + 115}|c2|support|Agent 102|RINGNOANSWER|15000",
        f"{B + 130}|c2|support|Agent 101|RINGNOANSWER|15000",
        f"{B + 135}|c2|support|Agent 102|CONNECT|35|c2.1|5",
        f"{B + 138}|c2|support|Agent 102|COMPLETEAGENT|35|3|1",
        # c3: a short abandon (3 s); c4: abandon at position 2 after 30 s
        f"{B + 200}|c3|support|NONE|ENTERQUEUE||600100003|1",
        f"{B + 203}|c3|support|NONE|ABANDON|1|1|3",
        f"{B + 300}|c4|support|NONE|ENTERQUEUE||600100004|2",
        f"{B + 330}|c4|support|NONE|ABANDON|2|2|30",
        # c5: 102 rings once, then the queue times out after 60 s (same caller as c2)
        f"{B + 400}|c5|support|NONE|ENTERQUEUE||600100002|1",
        f"{B + 420}|c5|support|Agent 102|RINGNOANSWER|15000",
        f"{B + 460}|c5|support|NONE|EXITWITHTIMEOUT|1|1|60",
        # c6: leaves with key 0 after 12 s
        f"{B + 500}|c6|support|NONE|ENTERQUEUE||600100005|1",
        f"{B + 512}|c6|support|NONE|EXITWITHKEY|0|1|1|12",
        # c7: 101 answers after 10 s and transfers after 45 s
        f"{B + 600}|c7|support|NONE|ENTERQUEUE||600100006|1",
        f"{B + 610}|c7|support|Agent 101|CONNECT|10|c7.1|4",
        f"{B + 655}|c7|support|Agent 101|BLINDTRANSFER|200|jns-extension|10|45|1",
        # c8: times out of support after 60 s, overflows to sales, 101 answers after 5 s
        f"{B + 700}|c8|support|NONE|ENTERQUEUE||600100007|1",
        f"{B + 760}|c8|support|NONE|EXITWITHTIMEOUT|1|1|60",
        f"{B + 761}|c8|sales|NONE|ENTERQUEUE||600100007|1",
        f"{B + 766}|c8|sales|Agent 101|CONNECT|5|c8.1|2",
        f"{B + 966}|c8|sales|Agent 101|COMPLETECALLER|5|200|1",
        # pauses: 102 break 10:00-10:15; 101 lunch 12:00-12:30 at the desk (all queues);
        # 101 break in support 14:00-14:10
        f"{at(10)}|NONE|support|Agent 102|PAUSE|break",
        f"{at(10, 15)}|NONE|support|Agent 102|UNPAUSE|",
        f"{at(12)}|MANAGER|support|PJSIP/102|REMOVEMEMBER|",
        f"{at(12)}|NONE|NONE|Agent 101|PAUSEALL|lunch",
        f"{at(12)}|NONE|support|Agent 101|PAUSE|lunch",
        f"{at(12)}|NONE|sales|Agent 101|PAUSE|lunch",
        f"{at(12, 30)}|NONE|NONE|Agent 101|UNPAUSEALL|",
        f"{at(12, 30)}|NONE|support|Agent 101|UNPAUSE|",
        f"{at(12, 30)}|NONE|sales|Agent 101|UNPAUSE|",
        f"{at(14)}|NONE|support|Agent 101|PAUSE|break",
        f"{at(14, 10)}|NONE|support|Agent 101|UNPAUSE|",
        f"{at(16)}|MANAGER|support|PJSIP/101|REMOVEMEMBER|",
        f"{at(16)}|MANAGER|sales|PJSIP/101|REMOVEMEMBER|",
        f"{at(20)}|MANAGER|support|PJSIP/102|ADDMEMBER|",
        # the next day: c9 answered by 102 at 01:00 after 4 s, talk 60 s
        f"{at(1, 0, 1)}|c9|support|NONE|ENTERQUEUE||600100001|1",
        f"{at(1, 0, 1) + 4}|c9|support|Agent 102|CONNECT|4|c9.1|1",
        f"{at(1, 0, 1) + 64}|c9|support|Agent 102|COMPLETECALLER|4|60|1",
        f"{at(2, 0, 1)}|MANAGER|support|PJSIP/102|REMOVEMEMBER|",
    ]
    return "".join(line + "\n" for line in lines)


def utc(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def cdr_row(src: str, dst: str, context: str, channel: str, start: int, answer: int | None,
            end: int, disposition: str, uid: str) -> str:
    billsec = end - answer if answer else 0
    return (f'"","{src}","{dst}","{context}","""Agent {src}"" <{src}>","{channel}",'
            f'"PJSIP/carrier-0000000{uid[-1]}","Dial","PJSIP/{dst}@carrier,60","{utc(start)}",'
            f'"{utc(answer) if answer else ""}","{utc(end)}",{end - start},{billsec},'
            f'"{disposition}","DOCUMENTATION","{uid}",""')


def master_csv() -> str:
    rows = [
        # 101: answered after 10 s, 60 s talk; 101: no answer (30 s); 102: busy (5 s)
        cdr_row("101", "48500111222", "jns-outbound", "PJSIP/101-00000001", at(11), at(11) + 10,
                at(11) + 70, "ANSWERED", "o1"),
        cdr_row("101", "48500111333", "jns-outbound", "PJSIP/101-00000002", at(11, 5), None,
                at(11, 5) + 30, "NO ANSWER", "o2"),
        cdr_row("102", "48500111444", "jns-outbound", "PJSIP/102-00000003", at(11, 10), None,
                at(11, 10) + 5, "BUSY", "o3"),
        # an internal call is not outbound
        cdr_row("101", "102", "jns-internal", "PJSIP/101-00000004", at(11, 20), at(11, 20) + 2,
                at(11, 20) + 62, "ANSWERED", "o4"),
    ]
    return "".join(r + "\n" for r in rows)


@pytest.fixture
def db(tmp_path, warsaw):
    db = open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101", login=False)
    config.add_agent(db, "102", "Agent 102", login=False)
    ql, cdr = tmp_path / "queue_log", tmp_path / "Master.csv"
    ql.write_text(queue_log())
    cdr.write_text(master_csv())
    result = ingest_files(db, ql, cdr)
    assert result["malformed"] == 0
    return db


def day1(db, **kw) -> q.Filter:
    return q.make_filter(db, D0, D0 + DAY, **kw)


def figs(report: q.Report) -> dict:
    return {f.key: f.value for f in report.figures}


def fig(report: q.Report, key: str) -> q.Figure:
    return next(f for f in report.figures if f.key == key)


def table(report: q.Report, key: str) -> list[dict]:
    return next(t for t in report.tables if t.key == key).rows


def drill_total(db, f: q.Filter, drill: dict) -> int:
    return q.details(db, drill["report"], f, where=drill["where"])[1]


# -- the headline figures and their drill-downs ------------------------------------------

def test_overview_figures_are_the_hand_computed_ones(db):
    f = day1(db)
    r = q.summary(db, "overview", f)
    v = figs(r)
    # visits: c1..c7, c8 in support and in sales = 9; answered c1 c2 c7 c8/sales = 4
    assert (v["offered"], v["answered"], v["unanswered"]) == (9, 4, 5)
    assert (v["waiting"], v["talking"]) == (0, 0)
    # answered waits 8, 35, 10, 5: within 20 s: 3 of 4
    assert v["service_level"] == pytest.approx(75.0)
    # inclusive: 3 / (4 answered + 5 unanswered - 1 short abandon c3) = 3/8
    assert v["service_level_inclusive"] == pytest.approx(37.5)
    assert v["asa"] == pytest.approx(58 / 4)                      # (8+35+10+5)/4 = 14.5
    # abandons c3 (3 s, short) and c4 (30 s): 1 / (4 + 1)
    assert v["abandon_rate"] == pytest.approx(20.0)
    assert v["short_abandons"] == 1 and v["short_calls"] == 1    # c3; c2 talked 3 s
    # waits of all 9: answered 58 + unanswered 3+30+60+12+60 = 165 -> 223/9
    assert v["avg_wait"] == pytest.approx(223 / 9)
    assert v["avg_talk"] == pytest.approx((120 + 3 + 45 + 200) / 4)


def test_every_call_figure_drills_down_to_exactly_its_calls(db):
    f = day1(db)
    for name in ("overview", "queues", "answered_summary", "unanswered_summary", "attempts",
                 "all_calls", "outbound"):
        for figure in q.summary(db, name, f).figures:
            if figure.drill and figure.kind == "int":
                assert drill_total(db, f, figure.drill) == figure.value, (name, figure)
    r = q.summary(db, "overview", f)
    rows, total = q.details(db, "unanswered", f, where=fig(r, "abandon_rate").drill["where"])
    assert total == 1 and rows[0]["callid"] == "c4"               # the one abandon counted
    rows, total = q.details(db, "unanswered", f, where=fig(r, "short_abandons").drill["where"])
    assert [x["callid"] for x in rows] == ["c3"]
    rows, _ = q.details(db, "answered", f, where=fig(r, "service_level").drill["where"])
    assert sorted(x["callid"] for x in rows) == ["c1", "c7", "c8"]


def test_calls_per_hour_day_and_wait_histogram_link_to_their_calls(db):
    f = day1(db)
    charts = {c.key: c for c in q.summary(db, "overview", f).charts}
    hour = charts["calls_per_hour"]
    answered, unanswered = (values for _name, values in hour.series)
    assert answered[9] == 4 and unanswered[9] == 5 and sum(answered) + sum(unanswered) == 9
    assert q.details(db, "calls", f, where=hour.drill["where"][9])[1] == 9   # {"hour": "9"}
    where = {**hour.drill["where"][9], **hour.drill["series"][1]}
    assert q.details(db, "calls", f, where=where)[1] == 5
    day = charts["calls_per_day"]
    assert day.labels == ["2024-11-26"] and day.series[0][1] == [4]
    assert charts["service_level_per_day"].series[0][1] == [pytest.approx(75.0)]
    hist = charts["wait_histogram"]
    # answered waits 8 5 | 10 | 35 ; unanswered 3 | 12 | 30 | 60 60
    assert hist.labels[:5] == ["0-9 s", "10-19 s", "20-29 s", "30-59 s", "60-119 s"]
    assert hist.series[0][1][:5] == [2, 1, 0, 1, 0]
    assert hist.series[1][1][:5] == [1, 1, 0, 1, 2]
    assert q.details(db, "calls", f, where=hist.drill["where"][4])[1] == 2   # 60..119 s
    agent_charts = {c.key: c for c in q.summary(db, "agent_time", f).charts}
    occupancy = dict(zip(agent_charts["occupancy"].labels, agent_charts["occupancy"].series[0][1]))
    # 101 talked 120+45+200 = 365 s of 28800 - 2400 paused; 102: 3 s of 27000 - 900
    assert occupancy == {"101": pytest.approx(36500 / 26400), "102": pytest.approx(300 / 26100)}


def test_an_empty_period_has_no_percentages_not_zero(db):
    f = q.make_filter(db, D0 + 5 * DAY, D0 + 6 * DAY)
    v = figs(q.summary(db, "overview", f))
    assert v["offered"] == 0
    for key in ("service_level", "service_level_inclusive", "asa", "abandon_rate", "avg_wait"):
        assert v[key] is None, key
    assert figs(q.summary(db, "all_calls", f))["answered_pct"] is None
    assert figs(q.summary(db, "unanswered_summary", f))["position_avg"] is None
    assert q.summary(db, "queues", f).tables[0].rows == []


# -- RPT-1..4, RPT-8, SUP-4 ----------------------------------------------------------------

def test_answered_details_rpt1(db):
    rows, total = q.details(db, "answered", day1(db))
    assert total == 4
    assert [(r["callid"], r["queue"], r["caller"], r["wait"], r["talk"], r["agent"], r["reason"],
             r["attempts"]) for r in rows] == [
        ("c1", "support", "600100001", 8, 120, "101", "caller", 1),
        ("c2", "support", "600100002", 35, 3, "102", "agent", 3),    # 2 rang, 1 answered
        ("c7", "support", "600100006", 10, 45, "101", "transfer", 1),
        ("c8", "sales", "600100007", 5, 200, "101", "caller", 1)]
    assert rows[0]["did"] == "221234567" and rows[0]["entered"] == B
    assert rows[0]["recording_id"] is None


def test_unanswered_details_rpt2(db):
    rows, total = q.details(db, "unanswered", day1(db))
    assert total == 5
    assert [(r["callid"], r["reason"], r["wait"], r["position"], r["origposition"], r["key"],
             r["attempts"]) for r in rows] == [
        ("c3", "abandon", 3, 1, 1, "", 0), ("c4", "abandon", 30, 2, 2, "", 0),
        ("c5", "timeout", 60, 1, 1, "", 1), ("c6", "key", 12, 1, 1, "0", 0),
        ("c8", "timeout", 60, 1, 1, "", 0)]


def test_answered_summary_rpt3(db):
    r = q.summary(db, "answered_summary", day1(db))
    v = figs(r)
    assert (v["answered"], v["talk_total"], v["talk_min"], v["talk_max"]) == (4, 368, 3, 200)
    assert v["talk_avg"] == pytest.approx(92.0)                    # 368 / 4
    assert (v["wait_total"], v["wait_min"], v["wait_max"]) == (58, 5, 35)
    assert v["asa"] == pytest.approx(14.5)
    assert (v["answered_within_sl"], v["answered_over_sl"]) == (3, 1)
    assert v["agents_available"] == 2
    agents = {x["agent"]: x for x in table(r, "per_agent")}
    assert (agents["101"]["calls"], agents["101"]["talk"], agents["101"]["max_talk"]) == (3, 365, 200)
    assert agents["101"]["share"] == pytest.approx(75.0) and agents["102"]["calls"] == 1
    queues = {x["queue"]: x for x in table(r, "per_queue")}
    assert (queues["support"]["calls"], queues["sales"]["calls"]) == (3, 1)
    assert queues["support"]["avg_wait"] == pytest.approx((8 + 35 + 10) / 3)
    assert {x["reason"]: x["calls"] for x in table(r, "reasons")} == \
        {"caller": 2, "agent": 1, "transfer": 1}
    callers = table(r, "callers")
    assert {x["caller"]: x["calls"] for x in callers} == \
        {"600100001": 1, "600100002": 1, "600100006": 1, "600100007": 1}
    for t in r.tables:       # each row's drill-down finds its calls
        if t.key in ("per_agent", "per_queue", "reasons", "callers"):
            for row in t.rows:
                where = {k: row[v] for k, v in t.drill["where"].items()}
                assert q.details(db, t.drill["report"], day1(db), where=where)[1] == row["calls"]


def test_unanswered_summary_rpt4(db):
    r = q.summary(db, "unanswered_summary", day1(db))
    v = figs(r)
    # waits 3 30 60 12 60; positions 1 2 1 1 1
    assert (v["unanswered"], v["wait_total"], v["wait_min"], v["wait_max"]) == (5, 165, 3, 60)
    assert v["wait_avg"] == pytest.approx(33.0)
    assert v["position_avg"] == pytest.approx(1.2) and (v["position_min"], v["position_max"]) == (1, 2)
    assert (v["abandoned"], v["short_abandons"], v["abandoned_within_sl"]) == (2, 1, 1)
    assert (v["timeout"], v["key"], v["empty"]) == (2, 1, 0)
    assert v["abandon_rate"] == pytest.approx(20.0)
    reasons = {x["reason"]: x for x in table(r, "reasons")}
    assert reasons["abandon"]["calls"] == 2 and reasons["abandon"]["avg_position"] == 1.5
    assert reasons["timeout"]["max_wait"] == 60 and reasons["key"]["share"] == pytest.approx(20.0)
    [support] = table(r, "per_queue")          # sales had no unanswered call
    # support: 3 answered, 1 counted abandon -> 1/4
    assert support["queue"] == "support" and support["calls"] == 5
    assert support["abandon_rate"] == pytest.approx(25.0)


def test_attempts_rpt8(db):
    r = q.summary(db, "attempts", day1(db))
    v = figs(r)
    # answered 1 3 1 1; unanswered 0 0 1 0 0
    assert v["attempts_total"] == 7
    assert v["answered_attempts_avg"] == pytest.approx(1.5)
    assert (v["answered_attempts_min"], v["answered_attempts_max"]) == (1, 3)
    assert v["unanswered_attempts_avg"] == pytest.approx(0.2)
    assert (v["unanswered_attempts_min"], v["unanswered_attempts_max"]) == (0, 1)
    assert [(x["attempts"], x["answered"], x["unanswered"]) for x in table(r, "distribution")] == \
        [(0, 0, 4), (1, 3, 1), (3, 1, 0)]
    assert q.details(db, "calls", day1(db), where={"attempts": "3"})[0][0]["callid"] == "c2"


def test_queues_sup4(db):
    rows = {x["queue"]: x for x in table(q.summary(db, "queues", day1(db)), "per_queue")}
    s = rows["support"]
    assert (s["offered"], s["answered"], s["unanswered"]) == (8, 3, 5)
    assert s["service_level"] == pytest.approx(200 / 3)            # c1 c7 within, c2 not
    assert s["service_level_inclusive"] == pytest.approx(200 / 7)  # 2 / (3 + 5 - 1)
    assert s["asa"] == pytest.approx(53 / 3)
    assert s["avg_talk"] == pytest.approx(168 / 3)                 # 120 + 3 + 45
    sales = rows["sales"]
    assert (sales["offered"], sales["answered"], sales["service_level"]) == (1, 1, 100.0)
    assert sales["abandon_rate"] == 0.0                            # 0 / (1 + 0): a real 0


# -- filters ------------------------------------------------------------------------------

def test_queue_and_agent_filters(db):
    v = figs(q.summary(db, "overview", day1(db, queues=["sales"])))
    assert (v["offered"], v["answered"], v["unanswered"]) == (1, 1, 0)
    f = day1(db, agents=["101"])
    rows, total = q.details(db, "answered", f)
    assert total == 3 and {r["agent"] for r in rows} == {"101"}
    # unanswered calls have no agent: an agent filter shows none of them
    assert q.details(db, "unanswered", f)[1] == 0
    assert figs(q.summary(db, "unanswered_summary", f))["abandon_rate"] == pytest.approx(0.0)
    assert figs(q.summary(db, "overview", f))["service_level"] == pytest.approx(100.0)
    # the journeys 101 answered: c1, c7, c8
    assert figs(q.summary(db, "all_calls", f))["calls"] == 3


def test_a_date_range_cuts_a_session_in_two(db):
    day1_rows = {a["agent"]: a for a in table(q.summary(db, "agent_time", day1(db)), "per_agent")}
    # 102: 08:30-12:00 (12600) and 20:00-24:00 of the session that ends at 02:00 (14400)
    a = day1_rows["102"]
    assert (a["sessions"], a["work"], a["session_min"], a["session_max"]) == (2, 27000, 12600, 14400)
    f2 = q.make_filter(db, D0 + DAY, D0 + 2 * DAY)
    day2_rows = {a["agent"]: a for a in table(q.summary(db, "agent_time", f2), "per_agent")}
    b = day2_rows["102"]
    assert (b["sessions"], b["work"], b["calls"], b["talk"]) == (1, 7200, 1, 60)   # 00:00-02:00
    assert b["share"] == pytest.approx(100.0) and "101" not in day2_rows
    rows, total = q.details(db, "sessions", f2)
    assert total == 1 and rows[0]["length"] == 7200 and rows[0]["start"] == at(20)
    both = q.make_filter(db, D0, D0 + 2 * DAY)
    whole = {a["agent"]: a for a in table(q.summary(db, "agent_time", both), "per_agent")}
    assert whole["102"]["work"] == 12600 + 6 * H


# -- agents: RPT-7, AT-1..4 ------------------------------------------------------------------

def test_agent_time_at1_to_at4(db):
    r = q.summary(db, "agent_time", day1(db))
    a = {x["agent"]: x for x in table(r, "per_agent")}["101"]
    assert (a["sessions"], a["work"], a["pause"], a["productive"]) == (1, 28800, 2400, 26400)
    assert (a["calls"], a["talk"], a["talk_min"], a["talk_max"]) == (3, 365, 45, 200)
    assert a["talk_avg"] == pytest.approx(365 / 3) and a["share"] == pytest.approx(75.0)
    assert a["occupancy"] == pytest.approx(36500 / 26400)
    pauses = {(x["agent"], x["reason"]): (x["pauses"], x["pause"]) for x in table(r, "pause_reasons")}
    assert pauses == {("101", "lunch"): (1, 1800), ("101", "break"): (1, 600),
                      ("102", "break"): (1, 900)}
    rows, total = q.details(db, "pauses", day1(db), where={"agent": "101", "reason": "lunch"})
    assert total == 1 and (rows[0]["start"], rows[0]["end"], rows[0]["length"]) == \
        (at(12), at(12, 30), 1800)
    v = figs(r)
    assert (v["sessions"], v["work"], v["pause"]) == (3, 28800 + 27000, 3300)
    rows, _ = q.details(db, "sessions", day1(db), where={"agent": "101"})
    assert (rows[0]["pauses"], rows[0]["pause_time"], rows[0]["length"]) == (2, 2400, 28800)


def test_agents_rpt7(db):
    r = q.summary(db, "agents", day1(db))
    v = figs(r)
    assert v["agents_available"] == 2
    assert (v["session_min"], v["session_max"], v["work"]) == (12600, 28800, 55800)
    assert {(x["queue"], x["agent"]): x["calls"] for x in table(r, "per_queue_agent")} == \
        {("support", "101"): 2, ("support", "102"): 1, ("sales", "101"): 1}
    assert q.details(db, "answered", day1(db), where={"queue": "support", "agent": "101"})[1] == 2


# -- RPT-5, RPT-6 ---------------------------------------------------------------------------

def test_outbound_rpt5(db):
    r = q.summary(db, "outbound", day1(db))
    v = figs(r)
    assert (v["calls"], v["answered"], v["unanswered"], v["talk_total"]) == (3, 1, 2, 60)
    assert (v["talk_avg"], v["talk_min"], v["talk_max"]) == (60, 60, 60)
    assert {x["agent"]: (x["calls"], x["answered"]) for x in table(r, "per_agent")} == \
        {"101": (2, 1), "102": (1, 0)}
    rows, total = q.details(db, "outbound_calls", day1(db), where={"disposition": "BUSY"})
    assert total == 1 and (rows[0]["agent"], rows[0]["dst"], rows[0]["duration"]) == \
        ("102", "48500111444", 5)


def test_all_calls_per_number_rpt6(db):
    r = q.summary(db, "all_calls", day1(db))
    v = figs(r)
    # journeys c1..c8; answered c1 c2 c7 c8 (in sales); unanswered c3 c4 c5 c6
    assert (v["calls"], v["answered"], v["unanswered"], v["numbers"]) == (8, 4, 4, 7)
    assert (v["answered_pct"], v["unanswered_pct"]) == (50.0, 50.0)
    top = table(r, "numbers")
    assert (top[0]["caller"], top[0]["calls"], top[0]["answered"], top[0]["answered_pct"]) == \
        ("600100002", 2, 1, 50.0)
    rows, total = q.details(db, "journeys", day1(db), where={"status": "answered"})
    assert total == 4 and rows[3]["callid"] == "c8"
    assert (rows[3]["queues"], rows[3]["parts"], rows[3]["agent"]) == ("support > sales", 2, "101")
    rows, total = q.details(db, "numbers", day1(db), sort="caller")
    assert total == 7 and rows[0] == {"caller": "600100001", "calls": 1, "answered": 1,
                                      "unanswered": 0, "answered_pct": 100.0,
                                      "unanswered_pct": 0.0}


def test_journey_has_its_parts_and_events(db):
    j = q.journey(db, "c8")
    assert [(p["part"], p["queue"], p["status"]) for p in j["parts"]] == \
        [(1, "support", "unanswered"), (2, "sales", "answered")]
    assert [e["event"] for e in j["events"]] == \
        ["ENTERQUEUE", "EXITWITHTIMEOUT", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert j["recording"] is None
    assert q.journey(db, "nope") is None


# -- details: sorting, paging, bad input ---------------------------------------------------

def test_sorting_and_paging(db):
    f = day1(db)
    page1, total = q.details(db, "calls", f, sort="wait", desc=True, limit=3)
    page2, _ = q.details(db, "calls", f, sort="wait", desc=True, limit=3, offset=3)
    assert total == 9
    # waits 60 (c5), 60 (c8/support), 35 (c2) | 30 (c4), 12 (c6), 10 (c7)
    assert [(r["callid"], r["wait"]) for r in page1] == [("c5", 60), ("c8", 60), ("c2", 35)]
    assert [(r["callid"], r["wait"]) for r in page2] == [("c4", 30), ("c6", 12), ("c7", 10)]
    streamed = list(q.iter_details(db, "calls", f, sort="wait", desc=True))
    assert [r["callid"] for r in streamed[:6]] == [r["callid"] for r in page1 + page2]
    assert len(streamed) == 9


@pytest.mark.parametrize("where", [{"colour": "red"}, {"status": "lost"}, {"hour": "24"},
                                   {"day": "2024-13-01"}, {"sl": "maybe"}, {"wait_from": "x"},
                                   {"reason": "angry"}, {"attempts": "-1"}])
def test_bad_drill_down_values_are_refused(db, where):
    with pytest.raises(ValueError):
        q.details(db, "calls", day1(db), where=where)


def test_bad_sort_and_report_names_are_refused(db):
    with pytest.raises(ValueError, match="sort"):
        q.details(db, "calls", day1(db), sort="entered; DROP TABLE report_calls")
    with pytest.raises(ValueError):
        q.details(db, "nope", day1(db))
    with pytest.raises(ValueError):
        q.summary(db, "nope", day1(db))
    with pytest.raises(ValueError):
        q.make_filter(db, D0 + DAY, D0)


def test_thresholds_are_settings_and_change_the_figures(db):
    assert q.thresholds(db) == {"sl_seconds": 20, "short_abandon_s": 5, "short_call_s": 5}
    q.save_thresholds(db, sl_seconds="40", short_abandon_s=2)
    with pytest.raises(StoreError):
        q.save_thresholds(db, sl_seconds=0)
    with pytest.raises(StoreError):
        q.save_thresholds(db, short_call_s="five")
    assert q.thresholds(db) == {"sl_seconds": 40, "short_abandon_s": 2, "short_call_s": 5}
    v = figs(q.summary(db, "overview", day1(db)))
    assert v["service_level"] == pytest.approx(100.0)              # 35 s is within 40 s
    # no short abandon now (c3 waited 3 >= 2): 2 / (4 + 2)
    assert (v["short_abandons"], v["abandon_rate"]) == (0, pytest.approx(100 * 2 / 6))


def test_every_label_is_in_the_catalogue(db):
    f = day1(db)
    used = set()
    for name, info in q.REPORTS.items():
        used.update((info.title, info.description))
        if info.kind == "details":
            used.update(c.label for c in q.details_columns(name))
            continue
        r = q.summary(db, name, f)
        used.update(x.label for x in r.figures)
        for t in r.tables:
            used.add(t.title)
            used.update(c.label for c in t.columns)
        for c in r.charts:
            used.add(c.title)
            used.update(s for s, _v in c.series)
    for d in q.DEFINITIONS:
        used.update((d["title"], d["text"]))
    assert used - set(q.LABELS) == set()
