"""jns-reports: keeps the report tables up to date with Asterisk's queue_log and CDR.

Every READ_EVERY_S it reads what is new (appliance.reports.ingest) and sums the hours it
wrote into the hourly rollup (appliance.reports.rollup), and once an hour it makes sure last
month's operations report exists (appliance.reports.monthly) and deletes report exports
older than a day (appliance.reports.export).  After each reading the CRM matches the calls
just read to its contacts (appliance.crm.calls.sync: missed-call tasks, recordings on notes,
campaign hand-offs, incoming SMS, reminders), at most every CRM_EVERY_S.  It only reads Asterisk's files and writes the
report tables; a failing step is logged and retried on the next round, never the end of
the loop.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from . import rollup
from .ingest import Ingestor

log = logging.getLogger(__name__)

READ_EVERY_S = 2.0
BUDGET_S = 10.0          # a long backlog is read in rounds this long (watchdog pings between)
MONTHLY_EVERY_S = 3600.0
CRM_EVERY_S = 5.0
ROLLUP_HOURS_PER_ROUND = 48   # hours of calls summed again per round (a rebuild: many rounds)
INGEST_CACHE_KIB = 16384      # page cache of the reading connection (SQLite's default: 2 MiB)


def tune_connection(db) -> None:
    """Settings of jns-reports' own connection."""
    # without an fsync per commit (every 2 s: flash wear); a power cut can only lose the
    # last rounds, and reading them again counts nothing twice
    db.conn.execute("PRAGMA synchronous=NORMAL")
    # the report_calls indexes take rows in caller / agent / callid order, all over a
    # month's b-trees: with 2 MiB of cache most inserts read and write pages again
    # (64 MiB: ~10 % faster over a big backlog, but 123 MB RSS; 16 MiB keeps the service
    # well inside its MemoryMax on a small box)
    db.conn.execute(f"PRAGMA cache_size=-{INGEST_CACHE_KIB}")


class ReportsLoop:
    """The loop of jns-reports over one database connection of its own and one pair of
    Asterisk files."""

    def __init__(self, db, queue_log: Path, cdr: Path | None = None, *,
                 interval: float = READ_EVERY_S, monthly: bool = True, crm: bool = True) -> None:
        self.db = db
        tune_connection(db)
        self.ingestor = Ingestor(db, queue_log, cdr, budget_s=BUDGET_S)
        self.interval = interval
        self.monthly = monthly
        self.crm = crm
        self._next_crm = 0.0
        self.rounds = 0
        self.lines = 0
        self.errors = 0
        self._next_monthly = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: float | None = None, *, to_end: bool = True) -> dict:
        """One round: read what is new now (all of it, or with `to_end` False one reading
        budget's worth); the monthly report when it is due."""
        with self._lock:
            try:
                got = self.ingestor.run_once()
                while to_end and self.ingestor.more:
                    more = self.ingestor.run_once()
                    got = {k: got[k] + more[k] for k in got}
                self.lines += got["queue_log"]
            except Exception:
                self.errors += 1
                log.exception("reading Asterisk's queue_log/CDR failed; retrying next round")
                got = {"queue_log": 0, "cdr": 0, "malformed": 0}
            try:        # the hours just written summed again (a bounded share per round)
                while rollup.refresh(self.db, ROLLUP_HOURS_PER_ROUND) and to_end:
                    pass
            except Exception:
                self.errors += 1
                log.exception("the hourly report rollup could not be refreshed; the reports "
                              "read the calls themselves meanwhile; retrying next round")
            now = time.time() if now is None else now
            # only once caught up: never last month's report from half its lines
            if self.monthly and now >= self._next_monthly and not self.ingestor.more:
                self._next_monthly = now + MONTHLY_EVERY_S
                try:
                    from . import monthly
                    monthly.ensure_previous_month(self.db, now)
                except Exception:
                    self.errors += 1
                    log.exception("the monthly operations report could not be made; "
                                  "retrying in an hour")
                try:   # exports older than a day: files and rows (appliance.reports.export)
                    from . import export
                    export.cleanup(self.db, now)
                except Exception:
                    self.errors += 1
                    log.exception("old report exports could not be deleted; retrying in an hour")
            if self.crm and now >= self._next_crm:
                self._next_crm = now + CRM_EVERY_S
                try:
                    from ..crm import calls as crm_calls
                    from ..watchdog.notify import send_email
                    crm_calls.sync(self.db, now, send_email=send_email)
                except Exception:
                    self.errors += 1
                    log.exception("the CRM round failed; retrying next round")
            self.rounds += 1
            return got

    def start(self) -> "ReportsLoop":
        self._thread = threading.Thread(target=self.run_forever, name="jns-reports", daemon=True)
        self._thread.start()
        return self

    def run_forever(self, on_round=None) -> None:
        while not self._stop.is_set():
            self.run_once(to_end=False)
            if on_round is not None:
                on_round(self)
            self._stop.wait(0.01 if self.ingestor.more else self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def run_box(db_path: Path, queue_log: Path, cdr: Path | None) -> None:
    """`python3 -m appliance.box reports`: read every READ_EVERY_S until killed; READY after
    the first round, WATCHDOG after each."""
    from .. import sdnotify
    from ..store import db as store
    db = store.open_db(db_path)
    loop = ReportsLoop(db, Path(queue_log), Path(cdr) if cdr else None)
    ready = []

    def on_round(lp: ReportsLoop) -> None:
        status = f"STATUS={lp.lines} queue_log lines read, {lp.errors} errors"
        if not ready:
            ready.append(True)
            sdnotify.notify("READY=1", status)
        sdnotify.notify("WATCHDOG=1", status)

    loop.run_forever(on_round)
