"""The hourly rollup of report_calls that lets summaries over a month read hours, not calls.

report_calls_hourly holds, per hour (entered - entered % 3600), queue, agent, status and
reason, the counts, sums, minima and maxima every summary in queries.py needs, and the
counters that depend on the thresholds (service level, short abandons, short calls) for
the thresholds in report_rollup_state.  Every writer of report_calls (only ingest.py)
marks the hours it wrote in report_rollup_dirty in the same transaction (mark_dirty), so
queries.py reads a dirty hour from report_calls itself and a figure is never stale;
refresh() (the jns-reports loop after each round) sums the dirty hours again.  (Not
triggers: they made each row written to report_calls cost twice as much.)  When the
thresholds in settings change, refresh() starts the rollup over with the new ones; until
it is done the hours not yet summed are read from report_calls.

It must never change report_calls, and never leave an hour out of both the rollup and the
dirty set while report_calls has rows in it.
"""
from __future__ import annotations

from typing import Iterable

import sqlite_utils

from ..store.db import transaction

HOUR = 3600
WAIT_EDGES = (10, 20, 30, 60, 120, 180, 300, 600)   # wait histogram edges (s); queries uses these
ATTEMPTS = 6                                         # attempts 0..5 summed one by one


def mark_dirty(conn, entered: Iterable[int]) -> None:
    """Mark the hours of report_calls rows being written (their `entered` times) to be
    summed again.  Every writer of report_calls calls it in the transaction of the write."""
    hours = {int(t) - int(t) % HOUR for t in entered}
    if hours:
        conn.executemany("INSERT OR IGNORE INTO report_rollup_dirty(hour) VALUES (?)",
                         [(h,) for h in sorted(hours)])


def _sum_sql(t: int, s: int, c: int) -> str:
    counters = ", ".join([f"sum(wait <= {t})", f"sum(wait < {s})", f"sum(talk < {c})",
                          *(f"sum(wait < {e})" for e in WAIT_EDGES),
                          *(f"sum(attempts = {n})" for n in range(ATTEMPTS))])
    return ("INSERT INTO report_calls_hourly SELECT ?, queue, agent, status, reason, count(*), "
            "sum(wait), min(wait), max(wait), sum(talk), min(talk), max(talk), "
            "sum(attempts), min(attempts), max(attempts), "
            "sum(position), min(position), max(position), count(position), "
            f"{counters} FROM report_calls INDEXED BY report_calls_entered "
            "WHERE entered >= ? AND entered < ? GROUP BY queue, agent, status, reason")


def refresh(db: sqlite_utils.Database, max_hours: int = 0) -> int:
    """Sum the dirty hours again (at most max_hours of them when > 0, oldest first), after
    starting over when the thresholds in settings are not the rollup's; the hours redone."""
    from .queries import thresholds
    want = thresholds(db)
    want = (want["sl_seconds"], want["short_abandon_s"], want["short_call_s"])
    conn = db.conn
    state = "SELECT sl_seconds, short_abandon_s, short_call_s FROM report_rollup_state"
    if conn.execute(state).fetchone() == want and \
            conn.execute("SELECT 1 FROM report_rollup_dirty LIMIT 1").fetchone() is None:
        return 0                         # nothing to do: no write lock every round
    with transaction(db):
        have = conn.execute(state).fetchone()
        if have != want:                 # new thresholds (or none yet): every hour again
            conn.execute("DELETE FROM report_calls_hourly")
            conn.execute("INSERT OR IGNORE INTO report_rollup_dirty(hour) "
                         "SELECT DISTINCT entered - entered % 3600 FROM report_calls "
                         "INDEXED BY report_calls_entered")
            conn.execute("INSERT INTO report_rollup_state(id, sl_seconds, short_abandon_s, "
                         "short_call_s) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                         "sl_seconds = excluded.sl_seconds, short_abandon_s = "
                         "excluded.short_abandon_s, short_call_s = excluded.short_call_s", want)
        sql = "SELECT hour FROM report_rollup_dirty ORDER BY hour"
        hours = [h for (h,) in conn.execute(sql + (f" LIMIT {int(max_hours)}" if max_hours > 0
                                                   else ""))]
        insert = _sum_sql(*want)
        for hour in hours:
            conn.execute("DELETE FROM report_calls_hourly WHERE hour = ?", [hour])
            conn.execute(insert, [hour, hour, hour + HOUR])
            conn.execute("DELETE FROM report_rollup_dirty WHERE hour = ?", [hour])
    return len(hours)
