"""Live call center: AMI event -> browser update latency, and what jns-calld costs.

    .venv/bin/python -m bench.live            # writes build/bench/live.json

What runs, all of it the box's code, each in its own process so its CPU and RSS are its own:
- a DevBox: real Asterisk 22 from build/rootfs with 200 desk-login agents (PJSIP endpoints
  201..400) assigned to queue "bench", plus the demo configuration;
- jns-calld (`appliance.telephony.calld.run_box`, as `python3 -m appliance.box calld` runs
  it on the box) owning the AMI event stream;
- the web panel under gunicorn with the box's worker settings (jns-web.service), whose
  /live/events each wallboard reads (one upstream feed from calld, fanned out);
- 50 wallboards: 50 HTTP clients logged in as a supervisor, each holding /live/events open
  and parsing the server-sent events as the page's live.js does (a headless Chromium per
  wallboard would measure the machine, not the service; the browser's own part - applying
  one change to the page - is not in these numbers).

1. All 200 agents log in through calld (`login` action -> QueueAdd), so the queue has 200
   members and the feed carries 200 agents.
2. Load: `--events` (600) pause/unpause actions sent straight to Asterisk over AMI
   (QueuePause of one agent, agents in turn), `--rate` (20) per second.  For each one t0 is
   taken just before the action is written to AMI; every wallboard records when the change
   showing that agent with the new paused flag arrived.  Latency = arrival - t0: Asterisk
   handling the action, its QueueMemberPause event, calld's model, calld -> panel, panel ->
   50 browsers.  p50/p95/p99/max over all (event, wallboard) pairs; events a wallboard never
   saw are counted as lost.
3. CPU (user+system seconds over the window, as % of one core) and RSS of calld and of the
   panel: idle for `--idle-s` (20 s) with the 50 wallboards connected, then during the load.
Goal (issue 6): p95 <= 300 ms, calld CPU <= 20 % of one core under that load.
"""
from __future__ import annotations

import argparse
import dataclasses
import http.cookiejar
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

from appliance.devbox import DevBox, free_port
from appliance.store import config, users
from appliance.store.db import ensure_secret, open_db
from appliance.telephony.ami import AMIClient
from appliance.telephony.calld import LiveClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
GOALS = {"p95_ms": 300.0, "calld_cpu_pct": 20.0}
PASSWORD = "bench-live-password-1"
FIRST_EXT = 201


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def wait_for(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class ProcWatch:
    """CPU seconds and max RSS of a process tree over a window (RSS sampled every 0.5 s)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def _procs(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_s(self) -> float:
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss(self) -> int:
        total = 0
        for p in self._procs():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total



def measure(watches: dict[str, ProcWatch], seconds: float | None = None, until=None) -> dict:
    """CPU and RSS of each process over one window: `seconds` long, or until `until()`."""
    rss_max = dict.fromkeys(watches, 0)
    cpu0 = {k: w.cpu_s() for k, w in watches.items()}
    t0 = time.monotonic()
    while True:
        for k, w in watches.items():
            rss_max[k] = max(rss_max[k], w.rss())
        if seconds is not None and time.monotonic() - t0 >= seconds:
            break
        if until is not None and until():
            break
        time.sleep(0.5)
    wall = time.monotonic() - t0
    out = {}
    for k, w in watches.items():
        cpu = w.cpu_s() - cpu0[k]
        out[k] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 2),
                  "cpu_pct_of_one_core": round(100 * cpu / wall, 1) if wall else None,
                  "rss_max_mb": round(rss_max[k] / 2**20, 1),
                  "rss_end_mb": round(w.rss() / 2**20, 1)}
    return out


class Wallboard(threading.Thread):
    """One open wallboard: holds /live/events and timestamps every agent change."""

    def __init__(self, base: str, opener) -> None:
        super().__init__(daemon=True)
        self.base, self.opener = base, opener
        self.seen: dict[tuple[str, bool], list[float]] = {}
        self.snapshot = threading.Event()
        self.error: str | None = None
        self.resp = None

    def run(self) -> None:
        try:
            self.resp = self.opener.open(self.base + "/live/events", timeout=600)
            event = None
            for raw in self.resp:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    now = time.time()
                    if event == "snapshot":
                        self.snapshot.set()
                    elif event == "change":
                        change = json.loads(line[5:])
                        if change.get("kind") == "agent" and change.get("data"):
                            key = (change["id"], bool(change["data"].get("paused")))
                            self.seen.setdefault(key, []).append(now)
                elif not line:
                    event = None
            self.error = self.error or "the stream ended"
        except Exception as exc:   # closed at the end of the bench
            self.error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        try:
            if self.resp is not None:
                self.resp.close()
        except Exception:
            pass


def login_opener(base: str, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username,
                                   "password": password}).encode()
    resp = opener.open(base + "/login", data=data, timeout=10)
    resp.read()
    if "/login" in resp.geturl() or "/setup" in resp.geturl():
        raise RuntimeError(f"login to the panel failed (at {resp.geturl()})")
    return opener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--wallboards", type=int, default=50)
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--idle-s", type=float, default=20.0)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "bench-live"))
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(args.workdir)
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)

    box = DevBox(work)
    db = box.db
    exts = [str(FIRST_EXT + i) for i in range(args.agents)]
    for ext in exts:
        config.add_agent(db, ext, f"Bench agent {ext}", login=True)
    config.save_queue(db, "bench", "Bench", members=exts, strategy="rrmemory")
    users.create_user(db, "admin", PASSWORD, "admin")      # a panel without an admin asks for setup
    users.create_user(db, "boss", PASSWORD, "supervisor")
    box.layout = dataclasses.replace(box.layout, calld_port=free_port())
    secret = ensure_secret(db, "calld_secret")
    box.start()
    procs: list[subprocess.Popen] = []
    result: dict = {"bench": "live", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "agents": args.agents, "wallboards": args.wallboards,
                    "goals": GOALS}
    boards: list[Wallboard] = []
    try:
        lay = box.layout
        calld_code = (
            "import logging, sys\n"
            "from pathlib import Path\n"
            "from appliance.telephony import calld, render\n"
            "logging.basicConfig(level=logging.WARNING)\n"
            f"lay = render.Layout(**{dataclasses.asdict(lay)!r})\n"
            f"calld.run_box(Path({str(box.db_path)!r}), lay, Path({str(box.asterisk.log_dir / 'queue_log')!r}))\n")
        calld_log = open(work / "calld.log", "w")
        calld_proc = subprocess.Popen([sys.executable, "-c", calld_code], cwd=ROOT,
                                      stdout=calld_log, stderr=subprocess.STDOUT)
        procs.append(calld_proc)
        client = LiveClient(f"http://127.0.0.1:{lay.calld_port}", secret, timeout=30)

        def calld_ready() -> bool:
            try:
                return bool(client.state()["asterisk"]["connected"])
            except Exception:
                return False
        if not wait_for(calld_ready, 60):
            raise RuntimeError(f"jns-calld did not come up; see {work / 'calld.log'}")

        http_port = free_port()
        env = {**os.environ, **box.web_env(), "PYTHONPATH": str(ROOT),
               "JNS_CALLD_URL": f"http://127.0.0.1:{lay.calld_port}", "JNS_CALLD_SECRET": secret}
        web_log = open(work / "web.log", "w")
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1",
                                "--threads", "64", "--bind", f"127.0.0.1:{http_port}",
                                "appliance.webui.wsgi:app"], cwd=ROOT, env=env,
                               stdout=web_log, stderr=subprocess.STDOUT)
        procs.append(web)
        base = f"http://127.0.0.1:{http_port}"
        if not wait_for(lambda: _serves(base), 30):
            raise RuntimeError(f"the panel did not start; see {work / 'web.log'}")

        t0 = time.monotonic()
        for ext in exts:
            client.action("login", agent=ext, queues=None, user="bench")
        result["login_all_s"] = round(time.monotonic() - t0, 2)
        if not wait_for(lambda: client.state()["queues"]["bench"]["logged_in"] == args.agents, 60):
            raise RuntimeError("not every bench agent shows as logged in")

        opener = login_opener(base, "boss", PASSWORD)
        boards = [Wallboard(base, opener) for _ in range(args.wallboards)]
        for b in boards:
            b.start()
        if not wait_for(lambda: all(b.snapshot.is_set() for b in boards), 60):
            errors = [b.error for b in boards if b.error]
            raise RuntimeError(f"not every wallboard got its snapshot: {errors[:3]}")

        watches = {"calld": ProcWatch(calld_proc.pid), "panel": ProcWatch(web.pid)}
        result["idle"] = measure(watches, args.idle_s)

        ami = AMIClient("127.0.0.1", lay.ami_port, lay.ami_user, lay.ami_secret,
                        name="bench").start()
        if not ami.wait_connected(20):
            raise RuntimeError("bench AMI client did not connect")
        sent: list[tuple[str, bool, float]] = []
        paused: dict[str, bool] = {}
        done = threading.Event()

        def generate() -> None:
            interval = 1.0 / args.rate
            start = time.monotonic()
            for i in range(args.events):
                ext = exts[i % len(exts)]
                want = not paused.get(ext, False)
                delay = start + i * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t = time.time()
                ami.action("QueuePause", Interface=f"PJSIP/{ext}", Queue="bench",
                           Paused="true" if want else "false", Reason="bench")
                paused[ext] = want
                sent.append((ext, want, t))
            done.set()

        gen = threading.Thread(target=generate, daemon=True)
        gen.start()
        load = measure(watches, until=done.is_set)
        time.sleep(2.0)   # the last changes on their way
        result["load"] = {"events": args.events, "rate_per_s": args.rate, **load}
        ami.close()

        latencies: list[float] = []
        lost = 0
        for b in boards:
            for ext, want, t in sent:
                # the first arrival of this agent with this flag after the action was sent
                arrivals = [a for a in b.seen.get((ext, want), []) if a >= t]
                if arrivals:
                    latencies.append(arrivals[0] - t)
                else:
                    lost += 1
        ms = [x * 1000 for x in latencies]
        result["latency_ms"] = {
            "samples": len(ms), "lost": lost,
            "p50": round(percentile(ms, 50), 1) if ms else None,
            "p95": round(percentile(ms, 95), 1) if ms else None,
            "p99": round(percentile(ms, 99), 1) if ms else None,
            "max": round(max(ms), 1) if ms else None,
            "mean": round(statistics.mean(ms), 1) if ms else None}
        result["goals_met"] = {
            "p95_ms": bool(ms) and result["latency_ms"]["p95"] <= GOALS["p95_ms"],
            "calld_cpu_pct": load["calld"]["cpu_pct_of_one_core"] is not None
            and load["calld"]["cpu_pct_of_one_core"] <= GOALS["calld_cpu_pct"]}
        result["wallboard_errors"] = sorted({b.error for b in boards if b.error})[:5]
    finally:
        for b in boards:
            b.close()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        box.stop()
    path = OUT / "live.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def _serves(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/static/panel.css", timeout=2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
