"""The staffing forecast (appliance.reports.staffing): Erlang B/C/A and the forecast.

The formulas are checked against the worked example in shared/REFERENCE.md (360 calls/h,
AHT 180 s: A = 18 Erlangs; 22 agents answer 82 % within 20 s, ASA 12.5 s), published table
values, and a seeded discrete-event simulation of the same queue (first come, first
served, exponential talk and patience).  The forecast reads report rows written by the
real queue_log ingestion, as a supervisor's day would have left them.
"""
from __future__ import annotations

import heapq
import math
import random
import time
import datetime as dt

import pytest

from appliance.reports import staffing as s
from appliance.reports.ingest import ingest_files
from appliance.store import config
from appliance.store.db import StoreError, open_db


# -- the worked example and table values -------------------------------------------------------

def test_the_reference_worked_example():
    a = 360 * 180 / 3600
    assert a == 18
    assert s.service_level(22, a, 180, 20) == pytest.approx(0.82, abs=0.005)
    assert s.asa(22, a, 180) == pytest.approx(12.5, abs=0.05)
    assert s.occupancy(22, a) == pytest.approx(18 / 22)


def test_agents_needed_for_80_20_at_the_example_load():
    assert s.agents_needed(18, 180, 0.80, 20) == 22
    assert s.service_level(21, 18, 180, 20) < 0.80 <= s.service_level(22, 18, 180, 20)
    assert s.agents_needed(18, 180, 0.90, 20) == 24       # 23 agents: 88.6 %
    assert s.agents_needed(0, 180, 0.80, 20) == 0


def test_erlang_b_and_c_against_table_values():
    # Erlang B tables: 5 E on 10 lines blocks 1.84 %; 10 E on 15 lines 3.65 %; 1 E on 1 line 50 %
    assert s.erlang_b(10, 5) == pytest.approx(0.01838, abs=1e-5)
    assert s.erlang_b(15, 10) == pytest.approx(0.03649, abs=1e-4)
    assert s.erlang_b(1, 1) == 0.5
    # Erlang C: 2 agents at 1 E wait 1/3 of the time; 10 agents at 5 E 3.6 %
    assert s.erlang_c(2, 1) == pytest.approx(1 / 3)
    assert s.erlang_c(10, 5) == pytest.approx(0.0361, abs=1e-4)
    # stable for big centres (no factorial overflow), and overload means everyone waits
    assert 0 < s.erlang_c(600, 570) < 1
    assert s.erlang_c(18, 18) == 1.0 and s.service_level(17, 18, 180, 20) == 0.0
    assert s.asa(18, 18, 180) == math.inf


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    c_sl, c_asa, c_wait = (s.service_level(22, 18, 180, 20), s.asa(22, 18, 180),
                           s.erlang_c(22, 18))
    very_patient = s.erlang_a(22, 360, 180, 1e6, 20)
    assert very_patient.sl == pytest.approx(c_sl, abs=1e-3)
    assert very_patient.asa == pytest.approx(c_asa, rel=1e-2)
    assert very_patient.p_wait == pytest.approx(c_wait, abs=1e-3)
    assert very_patient.p_abandon < 1e-3
    # measured patience can be huge (one abandon in weeks): the search still ends, at C's answer
    assert s.agents_needed_a(360, 180, 1e7, 0.80, 20) == 22


def test_impatient_callers_need_fewer_agents():
    needed = [s.agents_needed_a(360, 180, p, 0.80, 20) for p in (30, 120, 600, None)]
    assert needed[-1] == 22                               # unknown patience: Erlang C
    assert needed == sorted(needed) and needed[0] < 22
    # and an overloaded queue still has an answer: callers who give up make room
    over = s.erlang_a(15, 360, 180, 60, 20)
    assert 0.1 < over.p_abandon < 0.5 and over.sl < 0.8


# -- against a simulation ----------------------------------------------------------------------

def simulate(agents: int, calls_per_hour: float, aht: float, patience: float | None, t: float,
             calls: int, seed: int) -> dict:
    """First come, first served: a caller is answered when the first agent frees up after the
    callers ahead who stayed, unless their patience runs out first."""
    rng = random.Random(seed)
    free = [0.0] * agents           # when each agent is next free
    now = answered_in_t = abandoned = answered = 0
    wait_sum = 0.0
    warmup = calls // 20
    for i in range(calls + warmup):
        now += rng.expovariate(calls_per_hour / 3600)
        first = free[0]
        wait = max(0.0, first - now)
        gives_up = patience is not None and rng.expovariate(1 / patience) < wait
        if not gives_up:
            heapq.heapreplace(free, now + wait + rng.expovariate(1 / aht))
        if i < warmup:
            continue
        if gives_up:
            abandoned += 1
        else:
            answered += 1
            wait_sum += wait
            answered_in_t += wait <= t
    return {"sl": answered_in_t / calls, "asa": wait_sum / answered, "abandon": abandoned / calls}


def test_erlang_c_agrees_with_a_simulation():
    """200 000 calls: SL within 0.015, ASA within 8 % (the run's own noise is ~1/3 of that)."""
    sim = simulate(22, 360, 180, None, 20, 200_000, seed=12)
    assert sim["sl"] == pytest.approx(s.service_level(22, 18, 180, 20), abs=0.015)
    assert sim["asa"] == pytest.approx(s.asa(22, 18, 180), rel=0.08)
    assert sim["abandon"] == 0


@pytest.mark.parametrize("agents,patience", [(22, 120), (16, 60)])
def test_erlang_a_agrees_with_a_simulation(agents, patience):
    """Staffed and understaffed: SL and abandon share within 0.015, ASA within 8 %."""
    model = s.erlang_a(agents, 360, 180, patience, 20)
    sim = simulate(agents, 360, 180, patience, 20, 200_000, seed=agents)
    assert sim["sl"] == pytest.approx(model.sl, abs=0.015)
    assert sim["abandon"] == pytest.approx(model.p_abandon, abs=0.015)
    assert sim["asa"] == pytest.approx(model.asa, rel=0.08)


# -- the forecast from what the box measured -------------------------------------------------------

@pytest.fixture
def db(tmp_path, warsaw):
    db = open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101", login=False)
    config.add_agent(db, "103", "Agent 103")
    config.save_queue(db, "support", "Support", members=["101", "103"], wrapup_time=10)
    config.save_queue(db, "sales", "Sales", members=["101"])
    return db


def local(day: dt.date, hour: int, minute: int = 0) -> int:
    return int(time.mktime((day.year, day.month, day.day, hour, minute, 0, 0, 0, -1)))


def answered(uid: str, t: int, wait: int, talk: int, queue: str = "support") -> list[str]:
    return [f"{t}|{uid}|{queue}|NONE|ENTERQUEUE||48600100200|1",
            f"{t + wait}|{uid}|{queue}|Agent 101|CONNECT|{wait}|{uid}1|2",
            f"{t + wait + talk}|{uid}|{queue}|Agent 101|COMPLETEAGENT|{wait}|{talk}|1"]


def abandoned(uid: str, t: int, wait: int, queue: str = "support") -> list[str]:
    return [f"{t}|{uid}|{queue}|NONE|ENTERQUEUE||48600200300|1",
            f"{t + wait}|{uid}|{queue}|NONE|ABANDON|1|1|{wait}"]


def ingest(db, tmp_path, rows: list[str]) -> None:
    rows = sorted(rows, key=lambda r: int(r.split("|")[0]))
    (tmp_path / "queue_log").write_text("".join(r + "\n" for r in rows))
    assert ingest_files(db, tmp_path / "queue_log")["malformed"] == 0


def test_the_forecast_of_now_from_the_last_hour(db, tmp_path):
    """6 answered calls (wait 10 s, talk 50 s) and 2 abandons after 30 s in the last hour:
    8 calls/h, AHT 50 + 10 s wrap-up, patience (60 + 60) s waited / 2 abandons = 60 s."""
    now = local(dt.date(2026, 11, 26), 11)
    rows = []
    for i in range(6):
        rows += answered(f"1.{i}", now - 3000 + 300 * i, 10, 50)
    rows += abandoned("2.1", now - 1800, 30) + abandoned("2.2", now - 900, 30)
    rows += answered("3.1", now - 5000, 10, 50)       # earlier: counts for AHT, not the rate
    ingest(db, tmp_path, rows)
    support, = [q for q in s.now(db, at=now) if q["queue"] == "support"]
    assert support["calls_per_hour"] == 8
    assert (support["talk_s"], support["wrapup_s"], support["aht_s"]) == (50, 10, 60)
    assert support["patience_s"] == pytest.approx((7 * 10 + 2 * 30) / 2)
    assert support["traffic"] == pytest.approx(8 * 60 / 3600)
    assert support["needed_c"] == s.agents_needed(8 * 60 / 3600, 60, 0.8, 20) == 1
    sales, = [q for q in s.now(db, at=now) if q["queue"] == "sales"]
    assert sales["aht_s"] is None and sales["needed_c"] is None     # no calls: no data


def test_the_per_hour_plan_averages_the_same_weekday(db, tmp_path):
    """Thursdays 10:00-11:00: 40 calls a week ago, 20 two weeks ago -> 30 calls/h over 2
    weeks; an agent logged in 09:30-10:30 on both days -> 0.5 agent at 9 and at 10."""
    today = dt.date(2026, 11, 26)                     # a Thursday
    rows = []
    for week, n in ((1, 40), (2, 20)):
        day = today - dt.timedelta(days=7 * week)
        for i in range(n):
            rows += answered(f"{week}.{i}", local(day, 10) + 80 * i, 5, 120)
        rows += [f"{local(day, 9, 30)}|MANAGER|support|PJSIP/103|ADDMEMBER|",
                 f"{local(day, 10, 30)}|MANAGER|support|PJSIP/103|REMOVEMEMBER|"]
    rows += answered("9.9", local(today - dt.timedelta(days=1), 10), 5, 120)   # a Wednesday
    ingest(db, tmp_path, rows)
    plan = s.by_hour(db, "support", 3, weeks=2, at=local(today, 8))
    ten = plan["hours"][10]
    assert ten["calls_per_hour"] == 30 and plan["aht_s"] == 130
    assert ten["needed_c"] == s.agents_needed(30 * 130 / 3600, 130, 0.8, 20)
    assert ten["needed_a"] == ten["needed_c"]         # nobody gave up: patience unknown
    assert plan["hours"][9]["logged_in"] == pytest.approx(0.5)
    assert plan["hours"][10]["logged_in"] == pytest.approx(0.5)
    assert plan["hours"][11]["needed_c"] == 0 and plan["hours"][11]["logged_in"] == 0
    with pytest.raises(ValueError):
        s.by_hour(db, "support", 7)


def test_the_target_comes_from_settings_and_bad_input_is_refused(db):
    assert s.target(db) == {"sl": 0.8, "pct": 80, "t": 20}
    assert s.save_target(db, "90 %") == 90
    assert s.target(db)["pct"] == 90
    for bad in ("ninety", "0", "100"):
        with pytest.raises(StoreError):
            s.save_target(db, bad)
    assert s.target(db)["pct"] == 90                  # nothing lost


# -- a real call through real Asterisk ----------------------------------------------------------

@pytest.mark.asterisk
def test_a_real_call_feeds_the_forecast(devbox, sipp, agent_port):
    """A SIPp caller goes through the IVR into "support" and a SIPp agent talks 3 s; after
    the report service reads Asterisk's queue_log, the forecast counts that call in the
    last hour with its real talk time as AHT, and one agent is enough for it."""
    from tests.test_skeleton_call import queue_log, wait_for
    agent = sipp.agent(agent_port, talk_ms=3000)
    time.sleep(0.3)
    result = sipp.call(devbox.layout.sip_port, did="100", digit="1", caller="48600123456")
    assert result.returncode == 0, result.stdout[-2000:]
    assert agent.wait(timeout=30) == 0
    assert wait_for(lambda: [e for e in queue_log(devbox) if e[4].startswith("COMPLETE")])
    reports = devbox.start_reports(interval=3600)
    try:
        reports.run_once()
        assert reports.errors == 0
    finally:
        reports.stop()
    [talk] = devbox.db.execute("SELECT talk FROM report_calls WHERE status = 'answered'").fetchone()
    support, = [q for q in s.now(devbox.db) if q["queue"] == "support"]
    assert support["calls_per_hour"] == 1 and support["answered"] == 1
    assert support["aht_s"] == talk + support["wrapup_s"] and 2 <= talk <= 4
    assert support["needed_c"] == support["needed_a"] == 1
