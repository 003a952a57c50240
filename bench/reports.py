"""Reports: ingestion speed of a month of queue_log/CDR and the time of every report over it.

    .venv/bin/python -m bench.reports            # writes build/bench/reports.json
    .venv/bin/python -m bench.reports --calls 100000   # a smaller month, for a quick look
    .venv/bin/python -m bench.reports --reuse-db       # only the reports, over the last database

The generated month is kept in build/bench/reports-data (~1.6 GB with the database) and
reused while --calls and --seed are the same.

1. A seeded, realistic month is streamed to files (never held in memory: one day at a
   time): `--calls` (1 000 000) inbound calls over 30 days in 4 queues, 40 agents on two
   shifts with desk logins, pauses with reasons, ring-no-answer, answers, transfers,
   abandons, timeouts with overflow to a second queue, exits with a key, empty queues, full
   queues; our own DID / IVR / REC lines; a CDR row per inbound call and ~15 % more for the
   agents' outbound calls - in the exact formats Asterisk 22 writes on the box.
2. The real ingestion (appliance.reports.ingest, as jns-reports runs it) reads both files
   into a fresh database in its own process, then sums the hourly rollup
   (appliance.reports.rollup, as jns-reports does after each round; counted in the time):
   lines/s and its peak RSS.
3. Every report in queries.REPORTS over the whole month (summaries, and the first page of
   every details list), each timed next to a bare SQL aggregate over the same rows (the
   lower bound) in the same run; best of `--repeat` (3).
Goals (issue 7): ingestion >= 100 000 lines/s; every report <= 1 s and within 3x of its
bare aggregate; memory bounded.
"""
from __future__ import annotations

import argparse
import calendar
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
GOALS = {"lines_per_s": 100_000, "report_s": 1.0, "vs_bare": 3.0}
QUEUES = ("support", "sales", "billing", "vip")
QUEUE_SHARE = (0.45, 0.30, 0.20, 0.05)
AGENTS = [str(e) for e in range(201, 241)]
PAUSES = ("break", "lunch", "coaching", "admin")
DAYS = 30
MONTH_START = calendar.timegm((2026, 10, 1, 0, 0, 0))   # 2026-10-01 00:00 UTC
GEN_VERSION = 1                                          # bump when generate() changes


def _cdr_time(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def _cdr_row(src, dst, dcontext, channel, dstchannel, app, data, start, answer, end,
             disposition, uid, userfield) -> str:
    billsec = end - answer if answer else 0
    fields = ["", src, dst, dcontext, f'"{src}" <{src}>', channel, dstchannel, app, data,
              _cdr_time(start), _cdr_time(answer) if answer else "", _cdr_time(end)]
    quoted = ",".join('"' + f.replace('"', '""') + '"' for f in fields)
    return (f'{quoted},{end - start},{billsec},"{disposition}","DOCUMENTATION","{uid}",'
            f'"{userfield}"\n')


def generate(queue_log: Path, cdr: Path, calls: int, seed: int) -> dict:
    """Stream a month to the two files, one day at a time."""
    rnd = random.Random(seed)
    per_day = calls // DAYS
    n_lines = n_cdr = 0
    seq = 0
    with open(queue_log, "w") as ql, open(cdr, "w") as cf:
        ql.write(f"{MONTH_START}|NONE|NONE|NONE|QUEUESTART|\n")
        n_lines += 1
        for day in range(DAYS):
            base = MONTH_START + day * 86400
            ev: list[tuple[int, int, str]] = []          # (at, order, line) of this day
            order = 0

            def add(at: int, text: str) -> None:
                nonlocal order
                order += 1
                ev.append((at, order, f"{at}|{text}\n"))
            # agents: early shift 07:00-15:00, late 13:00-21:00, each in 1-3 queues
            shifts = {}
            for i, ext in enumerate(AGENTS):
                start = base + (7 if i % 2 == 0 else 13) * 3600 + rnd.randint(-600, 600)
                end = start + 8 * 3600 + rnd.randint(-900, 900)
                queues = rnd.sample(QUEUES, rnd.randint(1, 3))
                shifts[ext] = (start, end, queues)
                for k, q in enumerate(queues):
                    add(start + k, f"MANAGER|{q}|PJSIP/{ext}|ADDMEMBER|")
                    add(end + k, f"MANAGER|{q}|PJSIP/{ext}|REMOVEMEMBER|")
                for _ in range(rnd.randint(2, 4)):
                    p = rnd.randint(start + 600, end - 1800)
                    reason = rnd.choice(PAUSES)
                    add(p, f"NONE|NONE|Agent {ext}|PAUSEALL|{reason}")
                    for q in queues:
                        add(p, f"NONE|{q}|Agent {ext}|PAUSE|{reason}")
                    u = p + rnd.randint(120, 1800)
                    add(u, f"NONE|NONE|Agent {ext}|UNPAUSEALL|")
                    for q in queues:
                        add(u, f"NONE|{q}|Agent {ext}|UNPAUSE|")
            on_shift = {q: [e for e, (_s, _e, qs) in shifts.items() if q in qs] for q in QUEUES}
            for _ in range(per_day):
                seq += 1
                t = base + int(7.5 * 3600 + rnd.betavariate(2.2, 2.6) * 13 * 3600)
                uid = f"{t}.{seq}"
                caller = f"48{rnd.randint(500000000, 799999999)}"
                if rnd.random() < 0.2:            # callers who call again
                    caller = f"4860010{rnd.randint(1000, 1999)}"
                did = rnd.choice(("100", "100", "100", "222333444"))
                ivr = rnd.choice(("main:1/", "main:2/", "main:1/sub:3/", ""))
                q = rnd.choices(QUEUES, QUEUE_SHARE)[0]
                members = on_shift[q] or AGENTS
                rec = f"2026/10/{day + 1:02d}/{uid}.wav" if rnd.random() < 0.3 else ""
                userfield = f"did={did}&ivr={ivr}" + (f"&rec={rec}" if rec else "")
                first, answered = t, False
                for part in (1, 2):
                    add(t, f"{uid}|{q}|NONE|DID|{did}")
                    if ivr:
                        add(t, f"{uid}|{q}|NONE|INFO|IVR|{ivr}")
                    if rec:
                        add(t, f"{uid}|{q}|NONE|INFO|REC|{rec}")
                    r = rnd.random()
                    if r < 0.01:
                        add(t, f"{uid}|{q}|NONE|{rnd.choice(('FULL', 'JOINEMPTY'))}|{caller}")
                        end = t
                        break
                    pos = rnd.randint(1, 6)
                    add(t, f"{uid}|{q}|NONE|ENTERQUEUE||{caller}|{pos}")
                    rings = rnd.choice((0, 0, 0, 1, 1, 2, 3))
                    at = t
                    for _r in range(rings):
                        at += 15
                        add(at, f"{uid}|{q}|Agent {rnd.choice(members)}|RINGNOANSWER|15000")
                    wait = at - t + rnd.randint(0, 40)
                    if r < 0.77:
                        agent = rnd.choice(members)
                        ring = rnd.randint(1, 8)
                        talk = int(rnd.expovariate(1 / 180)) + 5
                        add(t + wait, f"{uid}|{q}|Agent {agent}|CONNECT|{wait}|{uid}9|{ring}")
                        answered = True
                        end = t + wait + talk
                        if rnd.random() < 0.08:
                            add(end, f"{uid}|{q}|Agent {agent}|BLINDTRANSFER|2{rnd.randint(10, 40)}"
                                     f"|jns-extension|{wait}|{talk}|{pos}")
                        else:
                            who = rnd.choice(("COMPLETECALLER", "COMPLETEAGENT"))
                            add(end, f"{uid}|{q}|Agent {agent}|{who}|{wait}|{talk}|{pos}")
                        break
                    end = t + wait
                    left = rnd.randint(1, pos)
                    if r < 0.90:
                        add(end, f"{uid}|{q}|NONE|ABANDON|{left}|{pos}|{wait}")
                        break
                    if r < 0.93:
                        add(end, f"{uid}|{q}|NONE|EXITWITHKEY|0|{left}|{pos}|{wait}")
                        break
                    if r < 0.95:
                        add(end, f"{uid}|{q}|NONE|EXITEMPTY|{left}|{pos}|{wait}")
                    else:
                        end = t + 300
                        add(end, f"{uid}|{q}|NONE|EXITWITHTIMEOUT|{left}|{pos}|300")
                    if part == 2 or rnd.random() < 0.5:
                        break
                    t, q = end, rnd.choice([x for x in QUEUES if x != q])   # the overflow
                    members = on_shift[q] or AGENTS
                cf.write(_cdr_row(caller, q, "jns-queue", f"PJSIP/carrier-{seq:08x}",
                                  "PJSIP/201-00000001" if answered else "", "Queue",
                                  f"{q},t,,,300,,jns-agent-leg", first, first, max(end, first),
                                  "ANSWERED", uid, userfield))
                n_cdr += 1
                if rnd.random() < 0.15:              # an agent's outside call
                    agent = rnd.choice(AGENTS)
                    s = base + rnd.randint(8 * 3600, 20 * 3600)
                    ok = rnd.random() < 0.7
                    e = s + rnd.randint(5, 30) + (rnd.randint(10, 600) if ok else 0)
                    cf.write(_cdr_row(agent, f"4822{rnd.randint(1000000, 9999999)}", "jns-outbound",
                                      f"PJSIP/{agent}-{seq:08x}", "PJSIP/carrier-00000001", "Dial",
                                      "PJSIP/x@carrier,60", s, s + 10 if ok else None, e,
                                      "ANSWERED" if ok else "NO ANSWER", f"{s}.{seq}9", ""))
                    n_cdr += 1
            ev.sort()
            ql.writelines(x[2] for x in ev)
            n_lines += len(ev)
    return {"queue_log_lines": n_lines, "cdr_rows": n_cdr,
            "queue_log_bytes": queue_log.stat().st_size, "cdr_bytes": cdr.stat().st_size}


def ingest(db_path: Path, queue_log: Path, cdr: Path) -> dict:
    from appliance.reports import rollup, service
    from appliance.reports.ingest import Ingestor
    from appliance.store import config
    from appliance.store.db import open_db
    db = open_db(db_path)
    service.tune_connection(db)        # as jns-reports runs (service.ReportsLoop)
    for ext in AGENTS:
        config.add_agent(db, ext, f"Agent {ext}")
    t0, c0 = time.perf_counter(), time.process_time()
    got = Ingestor(db, queue_log, cdr).run_once()
    r0 = time.perf_counter()
    rollup.refresh(db)                 # what jns-reports does after each round
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {**got, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "rollup_seconds": round(time.perf_counter() - r0, 2),
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "lines_per_s": round((got["queue_log"] + got["cdr"]) / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


BARE = {   # the lower bound: one aggregate over the rows the report reads
    "calls": "SELECT count(*), sum(wait), sum(talk), sum(attempts) FROM report_calls "
             "WHERE entered >= :start AND entered < :end",
    "cdr": "SELECT count(*), sum(billsec), min(billsec), max(billsec) FROM report_cdr "
           "WHERE direction = 'out' AND start >= :start AND start < :end",
    "agent_time": ("SELECT agent, kind, count(*), sum(coalesce(end, :end) - start) "
                   "FROM report_agent_time WHERE start < :end AND coalesce(end, :end) > :start "
                   "GROUP BY agent, kind",
                   # the agents' calls too: those reports put both side by side
                   "SELECT agent, count(*), sum(talk) FROM report_calls "
                   "WHERE entered >= :start AND entered < :end GROUP BY agent"),
    "journeys": "SELECT count(*) FROM (SELECT callid, max(status = 'answered') FROM report_calls "
                "WHERE entered >= :start AND entered < :end GROUP BY callid)",
    "numbers": "SELECT count(*) FROM (SELECT caller, count(*), sum(status = 'answered') "
               "FROM report_calls WHERE entered >= :start AND entered < :end GROUP BY caller)",
}
BARE["agent_rows"] = BARE["agent_time"][0]
BARE_OF = {"outbound": "cdr", "outbound_calls": "cdr", "sessions": "agent_rows",
           "pauses": "agent_rows", "agent_time": "agent_time", "agents": "agent_time",
           "all_calls": "numbers", "numbers": "numbers", "journeys": "journeys"}


def time_reports(db_path: Path, repeat: int) -> list[dict]:
    from appliance.reports import queries
    from appliance.store.db import open_db
    db = open_db(db_path)
    db.execute("ANALYZE")
    start, end = MONTH_START, MONTH_START + DAYS * 86400
    f = queries.make_filter(db, start, end)
    out = []
    for name, info in queries.REPORTS.items():
        if info.kind == "summary":
            run = lambda n=name: queries.summary(db, n, f)
        else:
            run = lambda n=name: queries.details(db, n, f, limit=50)
        try:
            t0 = time.perf_counter()
            run()                                       # warm the page cache
            slow = time.perf_counter() - t0 > 5 * GOALS["report_s"]
            seconds = _best(run, 1 if slow else repeat)  # a slow one: once more is enough
        except Exception as exc:                        # a report that fails is a result too
            out.append({"report": name, "kind": info.kind, "error": f"{type(exc).__name__}: {exc}"})
            continue
        bare_sql = BARE[BARE_OF.get(name, "calls")]
        bare_sql = (bare_sql,) if isinstance(bare_sql, str) else bare_sql
        bare = _best(lambda: [db.execute(q, {"start": start, "end": end}).fetchall()
                              for q in bare_sql], repeat)
        out.append({"report": name, "kind": info.kind, "seconds": round(seconds, 4),
                    "bare_seconds": round(bare, 4), "vs_bare": round(seconds / bare, 2),
                    "ok": seconds <= GOALS["report_s"] and seconds <= GOALS["vs_bare"] * bare})
    return out


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.reports", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reports")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=ROOT / "build" / "bench" / "reports-data")
    ap.add_argument("--phase", choices=("all", "generate", "ingest"), default="all")
    ap.add_argument("--reuse-db", action="store_true",
                    help="time the reports over the database of the last run (no ingestion)")
    a = ap.parse_args(argv)
    a.dir.mkdir(parents=True, exist_ok=True)
    ql, cdr, db_path = a.dir / "queue_log", a.dir / "Master.csv", a.dir / "reports.db"
    if a.phase == "generate":
        t0 = time.perf_counter()
        res = generate(ql, cdr, a.calls, a.seed)
        res.update(seconds=round(time.perf_counter() - t0, 1),
                   peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
        print(json.dumps(res))
        return 0
    if a.phase == "ingest":
        for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            if p.exists():
                p.unlink()
        print(json.dumps(ingest(db_path, ql, cdr)))
        return 0
    meta = a.dir / "month.json"       # the generated month is kept: the same seed, the same files
    try:
        gen = json.loads(meta.read_text())
        if (gen.get("calls"), gen.get("seed"), gen.get("version")) != (a.calls, a.seed, GEN_VERSION) \
                or ql.stat().st_size != gen["queue_log_bytes"] or cdr.stat().st_size != gen["cdr_bytes"]:
            raise ValueError("another month")
        print(f"reusing the generated month in {a.dir}", flush=True)
    except (OSError, ValueError, KeyError):
        gen = _child(["--phase", "generate", "--calls", str(a.calls), "--seed", str(a.seed),
                      "--dir", str(a.dir)])
        gen.update(calls=a.calls, seed=a.seed, version=GEN_VERSION)
        meta.write_text(json.dumps(gen))
    print(f"generated {gen['queue_log_lines']} queue_log lines, {gen['cdr_rows']} CDR rows "
          f"in {gen['seconds']} s", flush=True)
    saved = a.dir / "ingest.json"
    if a.reuse_db and saved.exists() and db_path.exists():
        ing = json.loads(saved.read_text())
        print("reusing the database and ingestion figures of the last run", flush=True)
    else:
        ing = _child(["--phase", "ingest", "--dir", str(a.dir)])
        saved.write_text(json.dumps(ing))
    print(f"ingested {ing['queue_log']} lines + {ing['cdr']} CDR rows in {ing['seconds']} s "
          f"({ing['cpu_seconds']} s CPU, load {ing['load_avg_1min']}): {ing['lines_per_s']} lines/s, "
          f"peak RSS {ing['peak_rss_mb']} MB", flush=True)
    reports = time_reports(db_path, a.repeat)
    print(f"\n{'report':<22}{'kind':<9}{'seconds':>9}{'bare s':>9}{'x bare':>8}  ok")
    for r in reports:
        if "error" in r:
            print(f"{r['report']:<22}{r['kind']:<9}  ERROR {r['error']}")
        else:
            print(f"{r['report']:<22}{r['kind']:<9}{r['seconds']:>9.3f}{r['bare_seconds']:>9.3f}"
                  f"{r['vs_bare']:>8.1f}  {'yes' if r['ok'] else 'NO'}")
    result = {"bench": "reports", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "calls": a.calls, "seed": a.seed, "generated": gen, "ingest": ing, "reports": reports,
              "goals": GOALS,
              "ok": ing["lines_per_s"] >= GOALS["lines_per_s"]
              and all(r.get("ok") for r in reports)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reports.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\ningestion goal {'met' if ing['lines_per_s'] >= GOALS['lines_per_s'] else 'MISSED'}; "
          f"reports {sum(1 for r in reports if r.get('ok'))}/{len(reports)} within goals; "
          f"{OUT / 'reports.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
