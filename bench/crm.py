"""The CRM at call-center size: searching 50 000 contacts and the CRM's round over a busy
day of calls (CRM-1, CRM-4, CRM-6).

    .venv/bin/python -m bench.crm                      # writes build/bench/crm.json
    .venv/bin/python -m bench.crm --contacts 5000      # a quicker look

A fresh database gets N contacts through the real code (appliance.crm.contacts
.create_contact: Polish names, one to three numbers each in mixed formats, a company for
every tenth, an owner for half), then:
- search: the median and worst time of the panel's search by a name fragment, by a number
  typed in another format than stored, by a company name and by an e-mail; and the screen
  pop's lookup by the caller's number (find_by_number), which runs for every call;
- the round: a day of 10 000 queue journeys (a third from known customers, 15 % of all
  unanswered) written into report_calls as jns-reports writes them, then
  appliance.crm.calls.match_queue_calls in the rounds jns-reports runs, timed, with the
  missed-call tasks it made; and an idle round (nothing new), which jns-reports pays every
  5 seconds all day.
Peak RSS of the process is reported too.  Nothing is asserted: the numbers are for reading.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from appliance.crm import calls, contacts
from appliance.store import config, users
from appliance.store.db import open_db, transaction

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
FIRST = ("Łukasz", "Żaneta", "Agnieszka", "Zdzisław", "Anna", "Jan", "Małgorzata", "Piotr")
LAST = ("Żółć", "Łęcka", "Kowalski", "Nowak", "Wiśniewska", "Dąbrowski", "Źrebiec", "Ścisło")
FORMATS = ("+48{n}", "{a} {b} {c}", "0048{n}", "{n}")


def number(i: int) -> str:
    return f"{500000000 + i * 7}"


def fill(db, n: int, rng: random.Random) -> float:
    users.create_user(db, "anna", "a-long-password", "agent", agent="101")
    owner = db.execute("SELECT id FROM users WHERE username = 'anna'").fetchone()[0]
    companies = []
    started = time.perf_counter()
    for i in range(n):
        kind = "company" if i % 10 == 0 else "person"
        phones = []
        for k in range(1 + i % 3):
            d = number(i * 3 + k)
            phones.append(("mobile", rng.choice(FORMATS).format(n=d, a=d[:3], b=d[3:6], c=d[6:])))
        data = {"kind": kind, "name": (f"Firma {rng.choice(LAST)} {i}" if kind == "company"
                                       else f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"),
                "phones": phones, "emails": [("work", f"k{i}@example.pl")],
                "owner_id": owner if i % 2 else None,
                "company_id": rng.choice(companies) if companies and kind == "person" else None}
        cid = contacts.create_contact(db, data, user="bench")
        if kind == "company":
            companies.append(cid)
    return time.perf_counter() - started


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def day_of_calls(db, n_contacts: int, journeys: int, rng: random.Random, t0: int) -> None:
    rows = []
    for j in range(journeys):
        known = rng.random() < 1 / 3
        caller = number(rng.randrange(n_contacts * 3)) if known else f"48{700000000 + j}"
        entered = t0 + j * 5
        answered = rng.random() > 0.15
        rows.append((f"{entered}.{j}", 1, "support", entered, entered + 10 if answered else None,
                     entered + (130 if answered else 40), "48" + caller[-9:],
                     "answered" if answered else "unanswered", "caller" if answered else "abandon",
                     "101" if answered else "", 10, 120 if answered else 0))
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO report_calls (callid, part, queue, entered, connected, ended, caller, "
            "status, reason, agent, wait, talk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=50_000)
    ap.add_argument("--journeys", type=int, default=10_000)
    args = ap.parse_args(argv)
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "jns.db")
        config.seed_demo(db)
        fill_s = fill(db, args.contacts, rng)
        probe = args.contacts // 2 + 1
        d = number(probe * 3)
        search = {
            "name": timed(lambda: contacts.search(db, "kowal", limit=50), 20),
            "number_other_format": timed(lambda: contacts.search(db, f"{d[:3]}-{d[3:6]}-{d[6:]}",
                                                                  limit=50), 20),
            "company": timed(lambda: contacts.search(db, "Firma Nowak", limit=50), 20),
            "email": timed(lambda: contacts.search(db, f"k{probe}@example.pl", limit=50), 20),
            "screen_pop_by_number": timed(lambda: contacts.find_by_number(db, "48" + d), 200),
        }
        t0 = int(time.time()) - 86400
        day_of_calls(db, args.contacts, args.journeys, rng, t0)
        started = time.perf_counter()
        rounds = matched = 0
        while True:
            got = calls.match_queue_calls(db)
            rounds += 1
            matched += got
            if not got:
                break
        round_s = time.perf_counter() - started
        tasks = db.execute("SELECT count(*) FROM crm_tasks WHERE source = 'missed_call'").fetchone()[0]
        idle = timed(lambda: calls.sync(db), 20)
    result = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.machine(), "python": platform.python_version()},
        "contacts": args.contacts, "fill_s": round(fill_s, 1),
        "contacts_per_s": round(args.contacts / fill_s),
        "search": search,
        "day": {"journeys": args.journeys, "matched": matched, "rounds": rounds,
                "seconds": round(round_s, 2), "missed_call_tasks": tasks},
        "idle_round": idle,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "crm.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
