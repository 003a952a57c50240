"""Dialer: a seeded discrete-event simulation of an outbound campaign, paced by the box's own
pacer (appliance.campaigns.pacer), against preview and progressive on the same numbers.

    .venv/bin/python -m bench.dialer             # writes build/bench/dialer.json, prints a table
    .venv/bin/python -m bench.dialer --days 2 --agents 20   # a quicker look

For agents N in {10, 20, 50} and answer rates 15 % and 30 %, each mode works through the
same list of numbers for `--days` (5) days of 8 hours (09:00-17:00, box local time, Monday
to Friday), the pacer kept across days as on the box.  Every number's fate (answered or not,
ring time to the answer, busy or failed, talk, wrap-up, the preview think time) comes from
its own random stream, so the three modes meet the same people.  The dialer decides every
0.5 s as on the box (Pacer.calls_to_place); an answered call that finds no free agent within
2 s is abandoned (the identification message).  Agents stay logged in all day and finish the
call they are on after 17:00.

Measured per configuration and mode: occupancy = (talk + wrap) / logged-in time (there are
no pauses, so that is (talk + wrap) / (talk + wrap + idle)), abandon rate per day (Ofcom:
abandoned / (abandoned + connected)), contacts (connected calls) per agent hour.
Goals (issue 8): abandon <= 3 % on every simulated day; occupancy >= 0.85 at 20 agents and
>= 0.90 at 50 agents (predictive); predictive never below progressive at 10 agents.
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import platform
import random
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from appliance.campaigns.pacer import Pacer, Rules, Snapshot

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
AGENTS = (10, 20, 50)
ANSWER_RATES = (0.15, 0.30)
MODES = ("preview", "progressive", "predictive")
FIRST_DAY = (2026, 3, 2)                 # a Monday; no DST change in the week after it
WINDOW = ("09:00", "17:00")
TICK_S = 0.5                             # the dialer's decision interval on the box
GRACE_S = 2.0                            # the 2-second rule
RING_S = 25                              # campaign ring time (no answer after it)
TALK_MEAN_S, TALK_SIGMA = 150.0, 0.6     # lognormal talk
RING_MEDIAN_S, RING_SIGMA = 7.0, 0.5     # lognormal ring time to a live answer
WRAP_S = (10.0, 20.0)                    # uniform wrap-up
THINK_MEAN_S = 10.0                      # preview: the agent reads the contact first
GOALS = {"abandon_pct": 3.0, "occupancy_20": 0.85, "occupancy_50": 0.90}


class Fate:
    """What happens when a number is dialed: drawn from the number's own stream."""
    __slots__ = ("answered", "ring", "talk", "wrap", "think")

    def __init__(self, seed: int, number: int, answer_rate: float) -> None:
        rnd = random.Random(seed * 1_000_003 + number)
        u, kind = rnd.random(), rnd.random()
        ring = math.exp(math.log(RING_MEDIAN_S) + RING_SIGMA * rnd.gauss(0, 1))
        talk = math.exp(math.log(TALK_MEAN_S) - TALK_SIGMA ** 2 / 2 + TALK_SIGMA * rnd.gauss(0, 1))
        self.wrap = rnd.uniform(*WRAP_S)
        self.think = rnd.expovariate(1 / THINK_MEAN_S)
        self.answered = u < answer_rate
        self.talk = max(5.0, talk)
        if self.answered:
            self.ring = min(max(ring, 1.0), RING_S - 1.0)
        elif kind < 0.7:                     # rings out
            self.ring = float(RING_S)
        elif kind < 0.9:                     # busy
            self.ring = 2.0 + 3.0 * rnd.random()
        else:                                # failed (network, unallocated...)
            self.ring = 0.5 + 1.5 * rnd.random()


class Sim:
    """One campaign in one mode over several days."""

    def __init__(self, agents: int, answer_rate: float, mode: str, days: int, seed: int):
        self.n, self.p, self.mode, self.days, self.seed = agents, answer_rate, mode, days, seed
        self.rules = Rules(window_start=WINDOW[0], window_end=WINDOW[1], weekdays="12345",
                           mode=mode, ring_s=RING_S, abandon_cap=3.0, max_ratio=3.0)
        self.pacer = Pacer(self.rules)
        self.next_number = 0
        self.heap: list = []
        self.seq = 0

    def at(self, t: float, kind: str, *data) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, data))

    def dial(self, now: float, agent: int | None = None) -> None:
        number = self.next_number
        self.next_number += 1
        fate = Fate(self.seed, number, self.p)
        self.ringing += 1
        self.pacer.observe("dialed", now)
        self.dialed += 1
        self.at(now + fate.ring, "answer" if fate.answered else "noanswer", fate, agent)

    def free_agent(self, a: int, now: float) -> None:
        """Agent a is ready: a waiting call first, else the free pool (preview: next contact)."""
        while self.waiting:
            call_at, fate, cid = self.waiting.popleft()
            if cid in self.abandoned_ids:
                continue
            self.connect(a, fate, now, cid)
            return
        self.state[a] = "free"
        self.free.append(a)
        self.free_since[a] = now
        if self.mode == "preview" and now < self.day_end:
            self.free.remove(a)
            self.state[a] = "preview"
            self.at(now + Fate(self.seed, self.next_number, self.p).think, "preview_dial", a)

    def connect(self, a: int, fate: Fate, now: float, cid: int) -> None:
        self.state[a] = "talk"
        self.talking[a] = now
        self.connected += 1
        self.pacer.observe("connected", now)
        self.at(now + fate.talk, "talk_end", a, fate)
        self.waiting_ids.discard(cid)

    def run_day(self, day: int) -> dict:
        y, m, d = FIRST_DAY
        start = time.mktime((y, m, d + day, 9, 0, 0, 0, 0, -1))
        self.day_end = end = time.mktime((y, m, d + day, 17, 0, 0, 0, 0, -1))
        self.state = ["free"] * self.n
        self.talking: dict[int, float] = {}      # agent -> talk started
        self.wrapping: dict[int, float] = {}     # agent -> wrap-up ends
        self.free_since = [start] * self.n
        self.busy = 0.0
        self.last_ready = [end] * self.n
        self.free: list[int] = []
        self.ringing = 0
        self.waiting: deque = deque()
        self.waiting_ids: set[int] = set()
        self.abandoned_ids: set[int] = set()
        self.connected = self.abandoned = self.dialed = 0
        self.cid = 0
        for a in range(self.n):
            self.free_agent(a, start)
        t = start
        while t < end:
            self.at(t, "tick")
            t += TICK_S
        while self.heap:
            now, _, kind, data = heapq.heappop(self.heap)
            if kind == "tick":
                if self.mode != "preview":
                    self.decide(now)
            elif kind == "preview_dial":
                (a,) = data
                if now < end:
                    self.dial(now, a)
                else:
                    self.state[a] = "free"
                    self.free.append(a)
            elif kind == "answer":
                fate, a = data
                self.ringing -= 1
                self.pacer.observe("answered", now, fate.ring)
                self.cid += 1
                if a is not None:
                    self.connect(a, fate, now, self.cid)
                elif self.free:
                    self.connect(self.free.pop(0), fate, now, self.cid)
                else:
                    self.waiting.append((now, fate, self.cid))
                    self.waiting_ids.add(self.cid)
                    self.at(now + GRACE_S, "grace", self.cid)
            elif kind == "grace":
                (cid,) = data
                if cid in self.waiting_ids:
                    self.waiting_ids.discard(cid)
                    self.abandoned_ids.add(cid)
                    self.abandoned += 1
                    self.pacer.observe("abandoned", now)
            elif kind == "noanswer":
                fate, a = data
                self.ringing -= 1
                self.pacer.observe("unanswered", now, fate.ring)
                if a is not None:
                    self.free_agent(a, now)
            elif kind == "talk_end":
                a, fate = data
                self.pacer.observe("talk_end", now, fate.talk)
                self.state[a] = "wrap"
                del self.talking[a]
                self.wrapping[a] = now + fate.wrap
                self.busy += fate.talk + fate.wrap
                self.at(now + fate.wrap, "wrap_end", a, fate)
            elif kind == "wrap_end":
                a, fate = data
                self.pacer.observe("wrap_end", now, fate.wrap)
                del self.wrapping[a]
                self.last_ready[a] = max(now, end)
                self.free_agent(a, now)
        logged = sum(r - start for r in self.last_ready)
        live = self.connected + self.abandoned
        return {"dialed": self.dialed, "connected": self.connected, "abandoned": self.abandoned,
                "abandon_pct": 100.0 * self.abandoned / live if live else 0.0,
                "busy_s": self.busy, "logged_s": logged}

    def decide(self, now: float) -> None:
        waiting = len(self.waiting_ids)
        busy_elapsed = [now - t for t in self.talking.values()]
        wrapping = [t - now for t in self.wrapping.values()]
        snap = Snapshot(logged_in=self.n, free=len(self.free), ringing=self.ringing,
                        waiting=waiting, busy_elapsed=busy_elapsed, wrapping_left=wrapping)
        for _ in range(self.pacer.calls_to_place(snap, now)):
            self.dial(now)

    def run(self) -> dict:
        days = [self.run_day(d) for d in range(self.days)]
        busy = sum(d["busy_s"] for d in days)
        logged = sum(d["logged_s"] for d in days)
        connected = sum(d["connected"] for d in days)
        return {"occupancy": round(busy / logged, 4),
                "abandon_worst_day_pct": round(max(d["abandon_pct"] for d in days), 3),
                "abandon_mean_pct": round(sum(d["abandon_pct"] for d in days) / len(days), 3),
                "contacts_per_agent_hour": round(connected / (logged / 3600), 3),
                "dialed": sum(d["dialed"] for d in days), "connected": connected,
                "abandoned": sum(d["abandoned"] for d in days), "days": days}


def _run(job: tuple) -> tuple:
    t0 = time.perf_counter()
    res = Sim(*job).run()
    res["cpu_s"] = round(time.perf_counter() - t0, 2)
    return job, res


def goals(agents: int, modes: dict) -> dict:
    pred, prog = modes["predictive"], modes["progressive"]
    out = {"abandon_every_day": all(m["abandon_worst_day_pct"] <= GOALS["abandon_pct"]
                                    for m in modes.values())}
    if agents == 20:
        out["occupancy"] = pred["occupancy"] >= GOALS["occupancy_20"]
    elif agents == 50:
        out["occupancy"] = pred["occupancy"] >= GOALS["occupancy_50"]
    else:
        out["not_below_progressive"] = (
            pred["occupancy"] >= prog["occupancy"]
            and pred["contacts_per_agent_hour"] >= prog["contacts_per_agent_hour"])
    return out


def table(configs: list) -> str:
    rows = ["| agents | answer rate | mode | occupancy | abandon worst day % | abandon mean % "
            "| contacts / agent h | goals |", "|---|---|---|---|---|---|---|---|"]
    for c in configs:
        for mode in MODES:
            m = c["modes"][mode]
            g = ", ".join(f"{k} {'ok' if v else 'NOT MET'}" for k, v in c["goals"].items()) \
                if mode == "predictive" else ""
            rows.append(f"| {c['agents']} | {c['answer_rate']:.0%} | {mode} | {m['occupancy']:.3f} "
                        f"| {m['abandon_worst_day_pct']:.2f} | {m['abandon_mean_pct']:.2f} "
                        f"| {m['contacts_per_agent_hour']:.1f} | {g} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agents", type=int, nargs="*", default=list(AGENTS))
    ap.add_argument("--answer-rates", type=float, nargs="*", default=list(ANSWER_RATES))
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", default=str(OUT / "dialer.json"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    jobs = [(n, p, mode, args.days, args.seed)
            for n in sorted(args.agents, reverse=True) for p in args.answer_rates for mode in MODES]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(pool.map(_run, jobs))
    configs = []
    for n in sorted(args.agents):
        for p in args.answer_rates:
            modes = {mode: results[(n, p, mode, args.days, args.seed)] for mode in MODES}
            configs.append({"agents": n, "answer_rate": p, "modes": modes,
                            "goals": goals(n, modes)})
    met = all(all(c["goals"].values()) for c in configs)
    out = {"bench": "dialer", "seed": args.seed, "days": args.days,
           "hours_per_day": 8, "tick_s": TICK_S,
           "model": {"ring_s": RING_S, "talk_mean_s": TALK_MEAN_S, "talk_sigma": TALK_SIGMA,
                     "ring_median_s": RING_MEDIAN_S, "wrap_s": WRAP_S,
                     "think_mean_s": THINK_MEAN_S, "grace_s": GRACE_S},
           "goals": GOALS, "all_goals_met": met, "configs": configs,
           "wall_s": round(time.perf_counter() - t0, 1),
           "python": platform.python_version(), "tz": time.tzname[0]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(table(configs))
    print(f"\nall goals met: {met}; {out['wall_s']} s; {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
