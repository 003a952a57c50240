"""The hourly rollup (appliance.reports.rollup) gives every summary the same figures as
reading the calls themselves.

The scripted day of test_reports_queries (queue_log and Master.csv in Asterisk 22's format)
goes through the real ingestion and the jns-reports round that sums the hours; each
summary is then made twice, from the rollup and with it switched off, over whole days,
periods cut mid-hour, queue and agent filters.  Late lines for an hour already summed,
and thresholds changed in the settings, must never show stale figures.
"""
from __future__ import annotations

import pytest

from appliance.reports import queries as q
from appliance.reports.ingest import ingest_files
from appliance.reports.service import ReportsLoop
from appliance.store import config
from appliance.store.db import open_db

from .test_reports_queries import B, D0, DAY, H, at, master_csv, queue_log

SUMMARIES = [n for n, info in q.REPORTS.items() if info.kind == "summary"]


def periods(db) -> list[q.Filter]:
    return [q.make_filter(db, D0, D0 + DAY), q.make_filter(db, D0, D0 + 2 * DAY),
            # cut mid-hour at both ends: the edges are read from the calls
            q.make_filter(db, B + 150, D0 + 20 * H + 1234),
            q.make_filter(db, D0, D0 + 2 * DAY, queues=("sales",)),
            q.make_filter(db, D0, D0 + 2 * DAY, agents=("102",)),
            q.make_filter(db, D0, D0 + 2 * DAY, queues=("support", "sales"), agents=("101",))]


def both_ways(db, monkeypatch, f: q.Filter, name: str) -> tuple[q.Report, q.Report, int]:
    """The summary from the rollup, the same from the calls, and the hours the first one
    took from the rollup."""
    served: list[int] = []
    real = q._rollup_pass

    def counting(*args, **kw):
        served.append(len(args[8]))
        return real(*args, **kw)

    monkeypatch.setattr(q, "_rollup_pass", counting)
    rolled = q.summary(db, name, f)
    monkeypatch.setattr(q, "ROLLUP", False)
    raw = q.summary(db, name, f)
    monkeypatch.setattr(q, "ROLLUP", True)
    return rolled, raw, sum(served)


@pytest.fixture
def files(tmp_path, warsaw):
    ql, cdr = tmp_path / "queue_log", tmp_path / "Master.csv"
    ql.write_text(queue_log())
    cdr.write_text(master_csv())
    return ql, cdr


@pytest.fixture
def db(tmp_path, files):
    db = open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101", login=False)
    config.add_agent(db, "102", "Agent 102", login=False)
    return db


def figs(report: q.Report) -> dict:
    return {f.key: f.value for f in report.figures}


def test_every_summary_is_the_same_from_the_rollup(db, files, monkeypatch):
    ReportsLoop(db, *files, monthly=False).run_once()
    assert db.execute("SELECT count(*) FROM report_rollup_dirty").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM report_calls_hourly").fetchone()[0] > 0
    used = 0
    for f in periods(db):
        for name in SUMMARIES:
            rolled, raw, hours = both_ways(db, monkeypatch, f, name)
            assert rolled == raw, (name, f)
            used += hours
    assert used > 0                              # the rollup did serve
    # the hand-computed day (test_reports_queries), now from the rollup
    v = figs(q.summary(db, "overview", q.make_filter(db, D0, D0 + DAY)))
    assert (v["offered"], v["answered"], v["unanswered"]) == (9, 4, 5)
    assert v["service_level"] == pytest.approx(75.0)


def test_late_lines_for_an_hour_already_summed_count_at_once(db, files, monkeypatch):
    loop = ReportsLoop(db, *files, monthly=False)
    loop.run_once()
    f = q.make_filter(db, D0, D0 + DAY)
    before = figs(q.summary(db, "overview", f))
    # lines for 09:xx arrive late (a queue_log written out of order): the hour was summed
    late = [f"{B + 1000}|c10|support|NONE|ENTERQUEUE||600100010|1",
            f"{B + 1020}|c10|support|Agent 102|CONNECT|20|c10.1|3",
            f"{B + 1100}|c10|support|Agent 102|COMPLETECALLER|20|80|1"]
    with files[0].open("a") as out:
        out.write("".join(line + "\n" for line in late))
    ingest_files(db, *files)                     # read, the rollup not yet summed again
    assert db.execute("SELECT hour FROM report_rollup_dirty").fetchall() == [(B - B % H,)]
    for name in SUMMARIES:
        rolled, raw, _hours = both_ways(db, monkeypatch, f, name)
        assert rolled == raw, name
    after = figs(q.summary(db, "overview", f))
    assert (after["offered"], after["answered"]) == (before["offered"] + 1, before["answered"] + 1)
    assert after["service_level"] == pytest.approx(80.0)      # 20 s is within 20 s: 4 of 5
    loop.run_once()                              # the round sums the hour again
    assert db.execute("SELECT count(*) FROM report_rollup_dirty").fetchone()[0] == 0
    for g in periods(db):
        for name in SUMMARIES:
            rolled, raw, _hours = both_ways(db, monkeypatch, g, name)
            assert rolled == raw, (name, g)
    assert figs(q.summary(db, "overview", f)) == after


def test_other_thresholds_read_the_calls_and_new_settings_rebuild_it(db, files, monkeypatch):
    loop = ReportsLoop(db, *files, monthly=False)
    loop.run_once()
    # a filter with thresholds other than the rollup's: read from the calls, not the rollup
    f = q.make_filter(db, D0, D0 + DAY)
    other = q.Filter(f.start, f.end, sl_seconds=40, short_abandon_s=2, short_call_s=5)
    for name in SUMMARIES:
        rolled, raw, hours = both_ways(db, monkeypatch, other, name)
        assert rolled == raw and hours == 0, name
    v = figs(q.summary(db, "overview", other))
    assert v["service_level"] == pytest.approx(100.0)          # 35 s is within 40 s
    assert (v["short_abandons"], v["abandon_rate"]) == (0, pytest.approx(100 * 2 / 6))
    # the same thresholds saved: right at once (from the calls), then from the rebuilt rollup
    q.save_thresholds(db, sl_seconds=40, short_abandon_s=2)
    g = q.make_filter(db, D0, D0 + DAY)
    assert g == other
    assert figs(q.summary(db, "overview", g)) == v
    loop.run_once()
    assert db.execute("SELECT sl_seconds, short_abandon_s, short_call_s "
                      "FROM report_rollup_state").fetchone() == (40, 2, 5)
    for name in SUMMARIES:
        rolled, raw, hours = both_ways(db, monkeypatch, g, name)
        assert rolled == raw, name
    assert both_ways(db, monkeypatch, g, "overview")[2] > 0
    assert figs(q.summary(db, "overview", g)) == v


def test_local_hours_half_an_hour_off_utc_are_read_right(db, files, monkeypatch):
    # India (UTC+5:30): a local hour is two halves of the rollup's hours
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    import time
    time.tzset()
    ReportsLoop(db, *files, monthly=False).run_once()
    for f in periods(db):
        rolled, raw, _hours = both_ways(db, monkeypatch, f, "overview")
        assert rolled == raw, f
    per_hour = next(c for c in q.summary(db, "overview", periods(db)[1]).charts
                    if c.key == "calls_per_hour")
    # c1..c8 09:00-09:16 Warsaw = 13:30-13:46 Kolkata; c9 01:00 Warsaw = 05:30 Kolkata
    assert sum(per_hour.series[0][1]) + sum(per_hour.series[1][1]) == 10
    assert per_hour.series[0][1][13] == 4 and per_hour.series[0][1][5] == 1
