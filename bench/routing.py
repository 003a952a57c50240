"""Skills routing and the browser softphone at size (issue 12, BEY-3 and BEY-1).

    .venv/bin/python -m bench.routing                     # writes build/bench/routing.json
    .venv/bin/python -m bench.routing --agents 60 --queues 6

A fresh database in a temporary directory filled through the real code (store.config,
telephony.skills, set_agent_phone): N agents with levels in a language skill each (some
both) and in three product skills, a third of them on the browser softphone; Q queues with
every agent assigned, half of them with a rule that uses the caller's language (so two
language variants each), the rest without skills.  Then what the box pays:

- render: `store.config.snapshot` + `telephony.render.render_files`, the whole Asterisk
  configuration written at every apply (the skill variants triple queues.conf for those
  queues), with the sizes of queues.conf, queuerules.conf and pjsip.conf;
- calld: `telephony.calld.assignments_of`, which jns-calld runs after every write another
  process makes to the database (reports, callbacks, webhooks…), to notice changed
  assignments and skill penalties;
- login: `skills.member_penalties` for one agent and one queue (a desk login);
- parse: `skills.parse_rule` of a three-step rule.

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

from appliance.store import config
from appliance.store.db import open_db
from appliance.telephony import calld, render, skills

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
RULE = "0: language>=50, product0>=30\n60: language\n120: *"


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"n": repeat, "median_ms": round(statistics.median(times) * 1000, 2),
            "max_ms": round(max(times) * 1000, 2)}


def build(path: Path, agents: int, queues: int, seed: int = 7):
    rng = random.Random(seed)
    db = open_db(path)
    exts = [str(1000 + i) for i in range(agents)]
    for ext in exts:
        config.add_agent(db, ext, f"Agent {ext}", contact=f"sip:{ext}@192.0.2.10:5060",
                         login=rng.random() < 0.5)
        if rng.random() < 1 / 3:
            config.set_agent_phone(db, ext, "webrtc")
    skills.save_skill(db, "polish", "Polish", "pl")
    skills.save_skill(db, "english", "English", "en")
    for p in range(3):
        skills.save_skill(db, f"product{p}", f"Product {p}")
    levels = {}
    for ext in exts:
        mine = {}
        for skill in ("polish", "english"):
            if rng.random() < 0.6:
                mine[skill] = rng.randrange(1, 101)
        for p in range(3):
            if rng.random() < 0.5:
                mine[f"product{p}"] = rng.randrange(1, 101)
        levels[ext] = mine
    skills.set_levels(db, levels)
    for q in range(queues):
        name = f"q{q}"
        config.save_queue(db, name, f"Queue {q}", members=exts)
        if q % 2 == 0:
            skills.set_queue_routing(db, name, rule=RULE)
    return db, exts


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.routing")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--queues", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        db, exts = build(Path(tmp) / "jns.db", args.agents, args.queues)
        built_s = time.perf_counter() - t
        lay = render.Layout(root=tmp, ami_secret="bench", http_port=8088)
        files = render.render_files(config.snapshot(db), lay)
        result = {
            "machine": platform.machine(), "python": platform.python_version(),
            "agents": args.agents, "queues": args.queues,
            "skill_routed_queues": (args.queues + 1) // 2,
            "browser_agents": db.execute("SELECT count(*) FROM agents WHERE phone = 'webrtc'")
                                .fetchone()[0],
            "build_s": round(built_s, 2),
            "render": timed(lambda: render.render_files(config.snapshot(db), lay), args.repeat),
            "files_kb": {name: round(len(files[name].encode()) / 1024, 1)
                         for name in ("queues.conf", "queuerules.conf", "pjsip.conf",
                                      "extensions.conf")},
            "calld_assignments": timed(lambda: calld.assignments_of(db), args.repeat),
            "assignments": len(calld.assignments_of(db)),
            "login": timed(lambda: skills.member_penalties(db, "q0", exts[0]), args.repeat),
            "parse_rule": timed(lambda: skills.parse_rule(RULE), args.repeat * 100),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "routing.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
