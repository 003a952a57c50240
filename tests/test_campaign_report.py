"""Campaign report (CMP-4): hand-built calls and agent sessions over two days; every figure
checked against a count made here from the same rows, the totals add up, the abandon rate
follows the campaign's rule (Ofcom's answering-machine adjustment included), and the CSV and
XLSX files hold what the page shows."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import time

import pytest

from appliance.campaigns import campaigns as cmp, report
from appliance.store import config
from appliance.store.db import StoreError, open_db

DAY1, DAY2 = dt.date(2025, 3, 10), dt.date(2025, 3, 11)
OUTCOMES = ("connected", "abandoned", "machine", "noanswer", "busy", "failed", "invalid",
            "cancelled", None)
EFFECTIVE = {"sale", "interested", "not_interested"}


def at(day: dt.date, hour: int, minute: int = 0) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, minute).timestamp()


@pytest.fixture
def world(tmp_path, warsaw):
    """A campaign on queue 'sales' with 60 calls over two days, a call the day before (left
    out), and agent sessions: one crossing midnight, one that is still open."""
    db = open_db(tmp_path / "jns.db")
    for ext in ("101", "102", "103"):
        config.add_agent(db, ext, f"Agent {ext}")
    config.add_queue(db, "sales", "Sales", members=["101", "102"])
    config.add_queue(db, "support", "Support", members=["103"])
    cid = cmp.save_campaign(db, "spring", user="admin", queue="sales")
    rng = random.Random(8)
    calls = []
    for n in range(60):
        day = DAY1 if n < 35 else DAY2
        outcome = OUTCOMES[n % len(OUTCOMES)]
        started = at(day, 10) + n * 300 + rng.randint(0, 120)
        call = {"campaign_id": cid, "phone": f"+486001000{n:02d}", "mode": "predictive",
                "uniqueid": f"jnsc-{n}", "started_at": started, "outcome": outcome,
                "agent": None, "connected_at": None, "ended_at": None, "disposition": None,
                "disposed_at": None}
        if outcome is not None:
            call["ended_at"] = started + 20
        if outcome == "connected":
            call["agent"] = ("101", "102")[n % 2]
            call["connected_at"] = started + 10
            call["ended_at"] = started + 10 + rng.randint(30, 400)
            disposition = ("sale", "not_interested", "machine", "callback", None)[n % 5]
            if disposition:
                call["disposition"] = disposition
                call["disposed_at"] = call["ended_at"] + rng.choice((5, 40, 1000))
        calls.append(call)
    # the evening before the report: must not count anywhere
    calls.append({**calls[0], "uniqueid": "jnsc-before", "started_at": at(DAY1, 0) - 60})
    for call in calls:
        cols = ", ".join(call)
        db.execute(f"INSERT INTO campaign_calls ({cols}) VALUES ({', '.join('?' * len(call))})",
                   list(call.values()))
    sessions = [("101", "sales", at(DAY1, 9), at(DAY1, 17)),
                ("102", "sales", at(DAY1, 20), at(DAY2, 2)),        # across midnight
                ("101", "sales", at(DAY2, 9), at(DAY2, 13)),
                ("102", "sales", at(DAY2, 14), None),              # still logged in
                ("103", "support", at(DAY1, 9), at(DAY1, 17))]     # another queue
    for agent, queue, login, logout in sessions:
        db.execute("INSERT INTO agent_sessions (agent, queue, login_at, logout_at) "
                   "VALUES (?, ?, ?, ?)", [agent, queue, login, logout])
    return db, cid, calls[:-1]


def logged_seconds(day: dt.date, now: float) -> float:
    start, end = at(day, 0), at(day + dt.timedelta(days=1), 0)
    if day == DAY1:
        return 8 * 3600 + (end - at(DAY1, 20))
    return (at(DAY2, 2) - start) + 4 * 3600 + (min(now, end) - at(DAY2, 14))


def expected_day(calls: list[dict], day: dt.date, now: float) -> dict:
    mine = [c for c in calls if dt.date.fromtimestamp(c["started_at"]) == day]
    count = lambda pred: sum(1 for c in mine if pred(c))   # noqa: E731
    out = {o: count(lambda c, o=o: c["outcome"] == o) for o in OUTCOMES if o}
    out["in_progress"] = count(lambda c: c["outcome"] is None)
    out["dialed"] = len(mine)
    out["answered"] = out["connected"] + out["abandoned"] + out["machine"]
    out["machine_marked"] = count(lambda c: c["disposition"] == "machine")
    out["effective"] = count(lambda c: c["disposition"] in EFFECTIVE)
    talk = sum(c["ended_at"] - c["connected_at"] for c in mine if c["connected_at"])
    wrap = sum(min(c["disposed_at"] - c["ended_at"], 300) for c in mine if c["disposed_at"])
    logged = logged_seconds(day, now)
    out["agent_hours"] = logged / 3600
    out["contacts_per_hour"] = out["connected"] / (logged / 3600)
    out["occupancy"] = 100 * (talk + wrap) / logged
    d, am = out["abandoned"], out["machine_marked"]
    live = out["connected"] - am
    d_adj = d - d * am / (am + live)
    out["abandon_rate"] = 100 * d_adj / (d_adj + live)
    return out


def test_every_figure_of_every_day_matches_a_count_of_the_rows(world):
    db, cid, calls = world
    now = at(DAY2, 18)
    rep = report.build(db, cid, DAY1, DAY2, now=now)
    assert [d["day"] for d in rep.days] == ["2025-03-10", "2025-03-11"]
    for row, day in zip(rep.days, (DAY1, DAY2)):
        want = expected_day(calls, day, now)
        for key, value in want.items():
            assert row[key] == pytest.approx(value), (day, key)
        # the outcomes add up to what was dialed, the answered ones to answered
        assert row["dialed"] == (row["answered"] + row["noanswer"] + row["busy"] + row["failed"]
                                 + row["invalid"] + row["cancelled"] + row["in_progress"])
    assert sum(d["dialed"] for d in rep.days) == len(calls)
    totals = rep.totals
    for key in ("dialed", "answered", "connected", "abandoned", "machine", "effective",
                "machine_marked", "agent_hours"):
        assert totals[key] == pytest.approx(sum(d[key] for d in rep.days)), key
    assert totals["contacts_per_hour"] == pytest.approx(
        totals["connected"] / totals["agent_hours"])


def test_agents_table_and_dispositions(world):
    db, cid, calls = world
    now = at(DAY2, 18)
    rep = report.build(db, cid, DAY1, DAY2, now=now)
    agents = {a["agent"]: a for a in rep.agents}
    assert set(agents) == {"101", "102"}          # 103 works another queue
    assert agents["101"]["agent_hours"] == pytest.approx(12)
    assert agents["102"]["agent_hours"] == pytest.approx(6 + 4)
    for ext, row in agents.items():
        mine = [c for c in calls if c["agent"] == ext]
        assert row["connected"] == len(mine)
        assert row["effective"] == sum(1 for c in mine if c["disposition"] in EFFECTIVE)
        talk = sum(c["ended_at"] - c["connected_at"] for c in mine)
        assert row["talk_s"] == pytest.approx(talk)
    assert sum(a["connected"] for a in rep.agents) == rep.totals["connected"]
    by_code = {d["code"]: d["calls"] for d in rep.dispositions}
    for code in ("sale", "not_interested", "machine", "callback"):
        assert by_code[code] == sum(1 for c in calls if c["disposition"] == code)
    assert by_code["dnc"] == 0
    assert by_code[""] == sum(1 for c in calls if c["outcome"] == "connected"
                              and c["disposition"] is None)
    assert sum(by_code.values()) == rep.totals["connected"]


def test_abandon_rate_by_rule_with_ofcoms_machine_adjustment(world):
    db, cid, calls = world
    # 3 abandoned, 10 connected of which 2 the agents marked as machines (L = 8, AM = 2):
    # D' = 3 - 3*2/10 = 2.4, rate = 2.4 / 10.4
    assert report.abandon_rate(3, 8, 2) == pytest.approx(100 * 2.4 / 10.4)
    assert report.abandon_rate(0, 0, 0) == 0.0
    assert report.abandon_rate(2, 0, 0) == 100.0
    rep = report.build(db, cid, DAY2, DAY2, now=at(DAY2, 18))
    day_rule = rep.days[0]["abandon_rate"]
    cmp.save_campaign(db, "spring", user="admin", abandon_rule="30d")
    rep30 = report.build(db, cid, DAY2, DAY2, now=at(DAY2, 18))
    both = report.build(db, cid, DAY1, DAY2, now=at(DAY2, 18))
    # the 30-day rule counts DAY1's calls and the evening before's connected call too
    d = sum(1 for c in calls if c["outcome"] == "abandoned")
    am = sum(1 for c in calls if c["disposition"] == "machine")
    live = sum(1 for c in calls if c["outcome"] == "connected") - am
    assert rep30.days[0]["abandon_rate"] == pytest.approx(ofcom(d, live + 1, am))
    assert rep30.days[0]["abandon_rate"] != pytest.approx(day_rule)
    assert both.totals["abandon_rate"] == pytest.approx(ofcom(d, live, am))


def ofcom(d: int, live: int, am: int) -> float:
    d_adj = d - d * am / (am + live)
    return 100 * d_adj / (d_adj + live)


def test_exports_hold_what_the_page_shows(world, tmp_path):
    db, cid, _calls = world
    rep = report.build(db, cid, DAY1, DAY2, now=at(DAY2, 18))
    buf = io.StringIO()
    report.write_csv(rep, buf)
    raw = buf.getvalue()
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows[0] == ["Calls per day"]
    assert rows[1] == [report.header(c, str) for c in report.DAY_COLUMNS]
    for line, want in zip(rows[2:5], rep.days + [rep.totals]):
        for col, text in zip(report.DAY_COLUMNS, line):
            value = report.cell(want.get(col.key), col.kind, xlsx=False)
            assert text == str(value), col.key
    assert rows[4][0] == "Total"
    path = tmp_path / "r.xlsx"
    report.write_xlsx(rep, str(path))
    from openpyxl import load_workbook
    book = load_workbook(path)
    assert book.sheetnames == ["Calls per day", "Agents", "Dispositions"]
    sheet = list(book["Calls per day"].values)
    for line, want in zip(sheet[1:], rep.days + [rep.totals]):
        for col, value in zip(report.DAY_COLUMNS[1:], line[1:]):
            expected = report.cell(want.get(col.key), col.kind, xlsx=True)
            assert value == expected, col.key
            assert expected is None or isinstance(value, (int, float)), col.key
    agents = list(book["Agents"].values)
    assert [r[0] for r in agents[1:]] == [a["agent"] for a in rep.agents]
    with open(path.with_suffix(".csv"), "w", encoding="utf-8-sig", newline="") as out:
        report.write_csv(rep, out)
    assert path.with_suffix(".csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_range_is_checked(world):
    db, cid, _calls = world
    with pytest.raises(StoreError):
        report.build(db, cid, DAY2, DAY1)
    with pytest.raises(StoreError):
        report.build(db, cid, DAY1, DAY1 + dt.timedelta(days=400))
    with pytest.raises(StoreError):
        report.build(db, 999, DAY1, DAY2)
    empty = report.build(db, cid, dt.date(2025, 1, 1), dt.date(2025, 1, 1), now=at(DAY2, 18))
    assert empty.days[0]["dialed"] == 0 and empty.days[0]["occupancy"] is None
    assert empty.days[0]["abandon_rate"] == 0.0
