"""Maximum sustained call rate with zero failed calls: the IVR+queue path versus plain.

    .venv/bin/python -m bench.call_rate            # writes build/bench/call_rate.json

One DevBox (real Asterisk 22 from build/rootfs, the threaded FastAGI server, on 127.0.0.1)
serves two paths in the same run, so the ratio compares like with like on this machine:

ivr_queue  the product's path, three IVR levels deep: carrier call to DID 100 ->
           jns-inbound -> FastAGI `route` (before the answer: blacklist, caller rules,
           hours, language, recording policy) -> Answer -> FastAGI `ivr` "main" -> key 2
           -> `ivr` "level2" -> key 3 -> `ivr` "level3" -> key 1 -> queue "support" with
           MixMonitor recording (settings rec_mode "all", the default; recording is part of
           the path) -> an agent answers after 300 ms of ringing, talks for 1 s and hangs up
           -> the hangup handler's FastAGI `recorded` indexes the recording.  Five FastAGI
           sessions per call (route, 3x ivr, recorded); each `ivr` is GET FULL VARIABLE,
           GET DATA hello-world (1.42 s prompt), 3x SET VARIABLE.  The caller
           (bench/sipp/ivr3_caller.xml) sends the three keys as SIP INFO, each --key-pause-ms
           (1200) after the previous one, i.e. while the next menu's prompt plays.
plain      the same entry (from-trunk -> jns-inbound) for DID 199, then Answer(),
           Playback(hello-world), Hangup(): no AGI, no queue, no agent, no recording.
           Caller: bench/sipp/plain_caller.xml (caller.xml without the key press, which
           would race the plain path's own hang-up at the end of the prompt).

AGI round trip at ~100 concurrent calls: the rate search never holds 100 calls at once on a
small machine (ivr_queue calls last ~6 s, and the path saturates at a few cps), so a
dedicated "hold" step runs first, on the fresh Asterisk: the same ivr_queue path, but the
caller waits --hold-pause-ms (8 s) before each key, so a call lasts ~27 s and a low rate
(--hold-calls / call length, ~4 cps) keeps ~--hold-calls (100) calls up at once, nearly all
of them in the IVR, for --hold-s (20 s) of steady state.  Every AGI command is timestamped;
agi_at_concurrency reports p50/p99 of the single-command round trips (send -> result line,
all verbs but GET DATA, which waits for the caller) issued while SIPp had at least 90 % of
the step's peak calls up, with that concurrency (min/median/max over the counted commands).
The menus' waiting time for a key (timeout_s) is raised so a key after 8 s still lands in
the menu, not in its timeout; the ordinary steps press keys long before it matters.

How the bench changes the box, and why it is honest:
- Menus.  `make_box()` configures the 3-level IVR through the store API
  (appliance.store.config.save_menu): main key 2 -> menu level2, level2 key 3 -> menu
  level3, level3 key 1 -> queue support (main keeps the demo's key 1 and operator 0), and
  sets rec_mode "all" explicitly.  The work directory's database is the bench's own.
- ConfigApplier.  DevBox.start() starts a ConfigApplier thread that re-renders Asterisk's
  configuration whenever another connection commits to the database; every call's
  `recorded` FastAGI session commits (the recording index), so it would re-install the
  rendered files without the bench's [bench-plain] dialplan (below) and reload the dialplan
  in the middle of the traffic.  `BenchBox.start()` stops that thread as soon as the box is
  up (the configuration is complete before start and does not change during the run), and
  the bench checks with `dialplan show` before each path's search and at the end that the
  plain route is still there (bench_dialplan_intact in the JSON).
- Agents.  The renderer writes ringinuse=no, so one member takes one call at a time.  The
  bench adds --agents extra agents (3001..., 100 by default) through the store API, each
  with a static contact pointing at the same SIPp UAS port, and makes them members of
  "support" next to 101/102 (whose demo contacts point there too).  One SIPp process thus
  answers many calls at once while the queue behaves exactly as rendered.  The work
  directory's database is the bench's own: nothing of a real box changes.  app_queue
  scanning ~100 members is a cost of this model (a real queue has fewer members, each
  busier); queue hold times are reported so a shortage of free agents would show.  The
  agent's SIPp runs through the hold step and the ivr_queue search (per-step counts: its
  cumulative statistics), because a fresh process per step would count Asterisk's BYE
  retransmissions left over from an overloaded step as failed calls of the next one.
- Plain route.  The renderer has no "answer, play, hang up" route type and appliance code
  is not changed for a benchmark.  `BenchBox.apply_config()` renders the database exactly as
  `DevBox.apply_config()` does, appends a marked `[bench-plain]` context plus a second
  `[jns-inbound]` section holding only DID 199 (pbx_config merges repeated context sections)
  to extensions.conf, and installs the generation with `render.install()`.  The text is
  checked with `dialplan show` before any traffic.
- RTP ports.  DevBox gives Asterisk 99 RTP port pairs (enough for tests); the bench widens
  the Layout's range to 10000-19998 before start, or port exhaustion would be the limit.
- AMI.  DevBox's AMI client subscribes to all events and would parse them in the same
  Python process (and GIL) as the FastAGI server; on the box they are separate services.
  The bench closes it after start, so AGI latency here is not inflated by event parsing
  (and Asterisk does not pay for an event consumer).
- DTMF.  Both callers offer only PCMA (no telephone-event) and the carrier endpoint has
  dtmf_mode=auto, so Asterisk runs inband DTMF detection on every caller frame, on both
  paths; a carrier offering RFC 4733 would spare that.  The keys themselves go by SIP INFO.
- Per-command AGI timing.  `agi.FastAGI` is swapped for `TimedFastAGI` (a subclass that
  timestamps each `execute()`) in the running process only; the module attribute is
  restored at the end.  Session times come from `box.agi_server.durations` as they are.

A step is one SIPp run at a fixed rate for STEP seconds (rate x STEP calls).  It is clean
when every placed call succeeded in SIPp (exit code 0, zero failed calls, none cut off by
the time limit) and the rate was sustained: the caller never had to retransmit a request
(Asterisk answered each INVITE and INFO within SIP's T1 of 500 ms; past that point calls pile
up and stretch to many seconds while SIPp still counts them as successful), SIPp placed the
calls on time, they finished within STEP + one call's length + 12 s and Asterisk had no
channels left.  For
ivr_queue, additionally: queue_log has one CONNECT per placed call, every caller walked the
three menus by their keys (CDR userfield ivr=main:2/level2:3/level3:1/, no timeout or
fallback), the SIPp agent had no failed call, the FastAGI server recorded no failure and
served exactly route x1, ivr x3 and recorded x1 per placed call (its by_script counts), and
each connected call left one recording file and one row in the recordings index.  For
plain, the FastAGI server must have served no session at all.

The order: one smoke call per path, the hold step, the ivr_queue search, the plain search.
The search: a ramp from --start cps that doubles while the machine is less than 35 % busy
and then grows by 25 %, until the first unclean step; then up to 2 bisection steps between
the last clean and the first unclean rate (stopping at a 10 % gap), within a time budget.
The product path (hold step, then its search) runs first.  Both choices come from a
measurement on this machine: after one overloaded step (plain at 160 cps, ~1300 calls up,
RSS 110 -> 500 MB) the same Asterisk stayed ~30-60 % more expensive per call (ivr_queue at 8
cps: 100 -> 130-165 ms CPU per call, answer p99 70 -> 300-700 ms), even after 60 s idle.  So
the bench overshoots as little as it can, the product path goes first, and each step says
whether it ran after_overload (bisection steps always do); max_clean_rate_ramp_cps is the
answer of the ramp alone, before this path's first unclean step.  The likely mechanism: the
rendered asterisk.conf has cache_record_files = yes, so every finished recording makes
Asterisk fork() and exec /bin/mv (main/file.c, filestream_destructor); a fork costs more the
larger Asterisk's memory, which an overload grows and never gives back.

The machine is shared with whatever else runs on it: before starting, the bench waits (up to
--wait-quiet-s) for other jobs to leave the CPUs idle, and every step records the CPU that
processes other than Asterisk, SIPp and this one used (other_cpu_s, from /proc/stat); the
JSON says machine_quiet=false when that was significant.  An unclean step that was noisy
(other jobs plus hypervisor steal above 0.15 cores) is run once more and the rerun counts.
"""
from __future__ import annotations

import argparse
import bisect
import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import math
import os
import platform
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from appliance.devbox import DevBox, free_port
from appliance.store import config
from appliance.telephony import agi, render

ROOT = Path(__file__).resolve().parents[1]
SIPP_SOURCES = {"ivr3_caller.xml": ROOT / "bench" / "sipp" / "ivr3_caller.xml",
                "agent.xml": ROOT / "tests" / "sipp" / "agent.xml",
                "plain_caller.xml": ROOT / "bench" / "sipp" / "plain_caller.xml"}
IVR_DID, PLAIN_DID = "100", "199"
CALLER = "48600100200"
# the caller's keys: main 2 -> level2 3 -> level3 1 -> queue "support"
KEYS = ("2", "3", "1")
IVR_PATH = "main:2/level2:3/level3:1/"
IVR_PATH_RE = re.compile(r"(?:^|&)ivr=" + re.escape(IVR_PATH) + r"(?:&|$)")
SESSIONS_PER_CALL = {"route": 1, "ivr": 3, "recorded": 1}   # FastAGI sessions per ivr_queue call
PROMPT_S = 1.42            # hello-world, every menu's prompt
HOLD_SHARE = 0.9           # AGI at concurrency: commands while >= 90 % of the peak calls are up
RTP_RANGE = (10000, 19998)
QUIET_CORES = 0.15         # "nobody else is using the machine"
RAMP_FAST_BELOW = 0.35     # double the rate while the machine is less busy than this

PLAIN_DIALPLAN = f"""
; ---- added by bench.call_rate (benchmark baseline, not part of the product) ----
[bench-plain]
exten => {PLAIN_DID},1,Answer()
 same => n,Playback(hello-world)
 same => n,Hangup()

[jns-inbound]
exten => {PLAIN_DID},1,Goto(bench-plain,{PLAIN_DID},1)
"""

log = logging.getLogger("bench.call_rate")


# -- per-command AGI timing -------------------------------------------------------------

class AGIRecorder:
    """Per-command timings from TimedFastAGI; list.append is atomic under the GIL."""

    def __init__(self) -> None:
        # (verb, send -> result seconds, wall clock time.time() when sent)
        self.commands: list[tuple[str, float, float]] = []
        self.think: list[float] = []                  # Asterisk's last line -> our next command
        self.keys: list[str] = []                     # GET DATA results ('' = timeout)

    def reset(self) -> "AGIRecorder":
        old = AGIRecorder()
        old.commands, old.think, old.keys = self.commands, self.think, self.keys
        self.commands, self.think, self.keys = [], [], []
        return old


RECORDER = AGIRecorder()


class TimedFastAGI(agi.FastAGI):
    """FastAGI that timestamps every command (the handler code is unchanged)."""

    def __init__(self, rfile, wfile) -> None:
        super().__init__(rfile, wfile)          # reads the AGI environment
        self._last = time.monotonic()

    def execute(self, command, *args):
        wall = time.time()
        start = time.monotonic()
        RECORDER.think.append(start - self._last)
        verb = command.strip().upper()
        try:
            result = super().execute(command, *args)
        finally:
            self._last = time.monotonic()
            RECORDER.commands.append((verb, self._last - start, wall))
        if verb == "GET DATA":
            RECORDER.keys.append(result.get("result", ("", ""))[0])
        return result


# -- the box -----------------------------------------------------------------------------

class BenchBox(DevBox):
    """DevBox whose rendered dialplan also holds the plain baseline (DID 199), and whose
    ConfigApplier is stopped once the box is up (it would re-render the files without the
    baseline on the first commit of a `recorded` FastAGI session; see the module docstring)."""

    def apply_config(self) -> None:
        files = render.render_files(config.snapshot(self.db), self.layout)
        files["extensions.conf"] += PLAIN_DIALPLAN
        render.install(files, self.asterisk.etc_parent)
        if self.asterisk.running():
            self.asterisk.cli("core reload")

    def start(self) -> "BenchBox":
        super().start()
        if self.applier is not None:
            self.applier.stop()
            self.applier = None
        return self

    def plain_route_intact(self) -> bool:
        """The baseline is still in the running dialplan (nothing re-rendered it away)."""
        try:
            return "bench-plain" in self.asterisk.cli(f"dialplan show {PLAIN_DID}@jns-inbound")
        except Exception:   # noqa: BLE001 - a dead CLI means "not intact"
            return False


def make_box(workdir: Path, agent_port: int, agents: int, menu_timeout_s: int) -> BenchBox:
    contact = lambda ext: f"sip:{ext}@127.0.0.1:{agent_port}"  # noqa: E731
    box = BenchBox(workdir, demo_agent_contacts={"101": contact("101"), "102": contact("102")})
    box.layout = dataclasses.replace(box.layout, rtp_start=RTP_RANGE[0], rtp_end=RTP_RANGE[1])
    box.asterisk.layout = box.layout
    exts = [str(3001 + i) for i in range(agents)]
    for ext in exts:
        config.add_agent(box.db, ext, f"Bench {ext}", contact=contact(ext), dtmf_mode="auto",
                         login=False)
    config.set_queue_members(box.db, "support", ["101", "102", *exts])
    # three menu levels (sub-menus first: save_menu checks that every key leads somewhere)
    fallback = ("queue", "support")
    config.save_menu(box.db, "level3", "hello-world", {KEYS[2]: ("queue", "support")},
                     fallback=fallback, title="Level 3", timeout_s=menu_timeout_s)
    config.save_menu(box.db, "level2", "hello-world", {KEYS[1]: ("menu", "level3")},
                     fallback=fallback, title="Level 2", timeout_s=menu_timeout_s)
    config.save_menu(box.db, "main", "hello-world",
                     {"1": ("queue", "support"), KEYS[0]: ("menu", "level2"),
                      "0": ("operator", "")},
                     fallback=fallback, title="Main menu", timeout_s=menu_timeout_s)
    config.save_settings(box.db, rec_mode="all")
    return box


def process_tree_pid(root: int, name: str) -> int:
    """The first process called `name` at or below `root` (Asterisk under unshare)."""
    todo = [root]
    while todo:
        pid = todo.pop(0)
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return pid
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except FileNotFoundError:
            continue
    raise ProcessLookupError(f"no {name} process under {root}")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_cpu() -> tuple[float, float, float, float]:
    """Machine-wide seconds so far from /proc/stat: (process time, irq+softirq, steal, clock).

    Interrupt time is kept apart: loopback packet processing runs in softirq context and
    is charged to no process, so it belongs to the benchmark's own traffic.
    """
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = f
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system) / hz, (irq + softirq) / hz, steal / hz, time.monotonic()


def proc_snapshot() -> dict[int, tuple[str, float, bool, int]]:
    """{pid: (name, cpu seconds, is a kernel thread, start time)} of every process now."""
    hz = os.sysconf("SC_CLK_TCK")
    snap = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            raw = (d / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        f = raw[raw.rindex(")") + 2:].split()
        # f[0] state, f[6] flags (PF_KTHREAD = 0x00200000), f[11] utime, f[12] stime,
        # f[19] start time (tells a reused pid apart; a kworker's name changes with its work)
        snap[int(d.name)] = (name, (int(f[11]) + int(f[12])) / hz,
                             bool(int(f[6]) & 0x00200000), int(f[19]))
    return snap


def machine_busy(sample_s: float = 2.0) -> float:
    """Cores busy on this machine right now (averaged over sample_s)."""
    a = system_cpu()
    time.sleep(sample_s)
    b = system_cpu()
    return (b[0] + b[1] + b[2] - a[0] - a[1] - a[2]) / (b[3] - a[3])


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    k = (len(data) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


class FileTail:
    """New text appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> str:
        if not self.path.exists():
            return ""
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        return data.decode(errors="replace")


# -- SIPp ----------------------------------------------------------------------------------

def free_port_block(size: int = 4) -> int:
    """An even UDP port p on 127.0.0.1 with p..p+size-1 free (SIPp binds -mp and -mp+2)."""
    for _ in range(200):
        base = random.randrange(40000, 59000, 2)
        socks = []
        try:
            for port in range(base, base + size):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of UDP ports on 127.0.0.1")


def sipp_base(port: int) -> list[str]:
    # -ci/-cp: SIPp's control socket otherwise binds 0.0.0.0:8888
    return ["sipp", "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port_block()),
            "-ci", "127.0.0.1", "-cp", str(free_port()), "-nostdin"]


def spawn(cmd: list[str], cwd: Path, stderr_path: Path) -> subprocess.Popen:
    with open(stderr_path, "w") as err:   # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)


def read_stat_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(errors="replace")), delimiter=";"))


def placing_seconds(rows: list[dict[str, str]], n: int) -> float | None:
    """Seconds SIPp took to place n calls, interpolated between its 1 s statistics rows."""
    def t(row: dict[str, str], col: str) -> float:
        return float(row[col].split("\t")[-1])   # 'date<TAB>time<TAB>epoch.micro'

    prev_t, prev_out = 0.0, 0
    for row in rows:
        out = int(row.get("OutgoingCall(C)", 0) or 0)
        now = t(row, "CurrentTime") - t(row, "StartTime")
        if out >= n:
            if out == prev_out:
                return now
            return prev_t + (n - prev_out) / (out - prev_out) * (now - prev_t)
        prev_t, prev_out = now, out
    return None


def concurrency_timeline(rows: list[dict[str, str]]) -> list[tuple[float, int]]:
    """(epoch seconds, calls up) from SIPp's 1 s statistics rows."""
    out = []
    for row in rows:
        try:
            out.append((float(row["CurrentTime"].split("\t")[-1]),
                        int(row.get("CurrentCall", 0) or 0)))
        except (KeyError, ValueError):
            continue
    return sorted(out)


def call_length_s(row: dict[str, str]) -> float | None:
    """SIPp's cumulative average call length ('HH:MM:SS:microseconds') in seconds."""
    try:
        h, m, sec, us = (int(x) for x in row["CallLength(C)"].split(":"))
    except (KeyError, ValueError):
        return None
    return round(h * 3600 + m * 60 + sec + us / 1e6, 2)


def agi_at_concurrency(commands: list[tuple[str, float, float]],
                       timeline: list[tuple[float, int]], share: float = HOLD_SHARE) -> dict:
    """Round trips of single AGI commands (all but GET DATA) sent while SIPp had at least
    `share` of the step's peak number of calls up (nearest 1 s sample)."""
    peak = max((c for _, c in timeline), default=0)
    floor = max(1, math.ceil(share * peak))
    times = [t for t, _ in timeline]
    counted, at = [], []
    for verb, seconds, wall in commands:
        if verb == "GET DATA" or not times:
            continue
        i = bisect.bisect_left(times, wall)
        near = min((j for j in (i - 1, i) if 0 <= j < len(times)),
                   key=lambda j: abs(times[j] - wall))
        if timeline[near][1] >= floor:
            counted.append(seconds)
            at.append(timeline[near][1])
    return {"peak_concurrent_calls": peak, "min_concurrent_calls": floor,
            "concurrent_calls_median": percentile(at, 50) if at else None,
            "concurrent_calls_max": max(at, default=None), "commands": len(counted),
            "cmd_p50_ms": ms(percentile(counted, 50)), "cmd_p99_ms": ms(percentile(counted, 99)),
            "cmd_max_ms": ms(max(counted, default=None))}


@dataclasses.dataclass
class Bench:
    box: BenchBox
    sipp_dir: Path
    out_dir: Path
    agent_port: int
    step_s: int
    talk_ms: int
    deadline: float
    key_pause_ms: int = 1200   # caller: ACK -> key 1, and between keys (SIP INFO)
    asterisk_pid: int = 0
    recording: bool = True     # queue "support" records every call (the product default)
    agent: subprocess.Popen | None = None
    agent_stat: Path | None = None
    agents_started: int = 0
    overloaded: bool = False   # an unclean step has happened in this Asterisk's life

    # the agents' phone: one SIPp UAS for all steps -------------------------------------
    # One process for the whole ivr_queue search, with per-step counts taken from its
    # cumulative statistics: a fresh process per step would count Asterisk's leftover BYE
    # retransmissions from an overloaded previous step as failed calls of the next one.

    def ensure_agent(self) -> None:
        if self.agent is not None and self.agent.poll() is None:
            return
        self.agents_started += 1
        base = self.out_dir / f"agent-{self.agents_started}"
        self.agent_stat = base.with_suffix(".stat.csv")
        self.agent = spawn(
            sipp_base(self.agent_port) + [
                "-sf", "agent.xml", "-d", str(self.talk_ms), "-l", "10000",
                "-trace_stat", "-stf", str(self.agent_stat), "-fd", "1",
                "-trace_err", "-error_file", str(base.with_suffix(".errors.log"))],
            self.sipp_dir, base.with_suffix(".stderr.txt"))
        time.sleep(0.5)

    def agent_counts(self) -> dict[str, float]:
        rows = read_stat_csv(self.agent_stat) if self.agent_stat else []
        last = rows[-1] if rows else {}
        cpu = 0.0
        if self.agent is not None and self.agent.poll() is None:
            try:
                cpu = proc_cpu_s(self.agent.pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return {"failed": int(last.get("FailedCall(C)", 0) or 0),
                "ok": int(last.get("SuccessfulCall(C)", 0) or 0),
                "incoming": int(last.get("IncomingCall(C)", 0) or 0), "cpu": cpu,
                "pid": self.agent.pid if self.agent else 0}

    def stop_agent(self) -> None:
        if self.agent is not None and self.agent.poll() is None:
            self.agent.terminate()
            try:
                self.agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.agent.kill()
                self.agent.wait(timeout=10)
        self.agent = None

    def recordings_indexed(self) -> int:
        """Rows in the recordings index (written by the `recorded` FastAGI sessions)."""
        return self.box.db.execute("SELECT count(*) FROM recordings").fetchone()[0]

    def channels(self) -> int | None:
        try:
            out = self.box.asterisk.cli("core show channels count", timeout=10)
        except subprocess.TimeoutExpired:
            return None
        m = re.search(r"(\d+) active channel", out)
        return int(m.group(1)) if m else None

    def wait_drained(self, timeout: float) -> int:
        """Wait for Asterisk to have no channels; returns how many were left (0 = drained)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.channels() == 0:
                return 0
            time.sleep(0.5)
        left = self.channels()
        if left == 0:
            return 0
        # an overloaded step can leave channels behind: clear them so the next step starts
        # from an idle Asterisk (the step is already counted as unclean)
        self.box.asterisk.cli("channel request hangup all", timeout=10)
        end = time.monotonic() + 15
        while time.monotonic() < end and self.channels() != 0:
            time.sleep(0.5)
        return left or 1

    # one step ---------------------------------------------------------------------------

    def call_s(self, path: str, key_pause_ms: int) -> float:
        """Expected length of one call (answer -> BYE), without queueing."""
        if path == "plain":
            return PROMPT_S + 0.3
        return 3 * key_pause_ms / 1000 + 0.3 + self.talk_ms / 1000 + 0.4

    def run_step(self, path: str, rate: float, *, calls: int | None = None,
                 key_pause_ms: int | None = None, label: str | None = None) -> dict:
        """One SIPp caller run: `calls` calls (default rate x step_s) at `rate` cps.

        ivr_queue callers press their keys key_pause_ms apart (default self.key_pause_ms).
        """
        box = self.box
        pause_ms = key_pause_ms or self.key_pause_ms
        n = calls or round(rate * self.step_s)
        duration_s = n / rate
        call_s = self.call_s(path, pause_ms)
        tag = label or f"{path}-{rate:g}cps"
        step_dir = self.out_dir / tag
        shutil.rmtree(step_dir, ignore_errors=True)
        step_dir.mkdir(parents=True)
        qlog = FileTail(box.asterisk.log_dir / "queue_log")
        cdr = FileTail(box.asterisk.log_dir / "cdr-csv" / "Master.csv")
        msgs = FileTail(box.asterisk.log_dir / "messages.log")
        agi_calls0, agi_fail0 = box.agi_server.calls, box.agi_server.failures
        by_script0 = dict(box.agi_server.by_script)
        indexed0 = self.recordings_indexed()
        RECORDER.reset()
        cpu_ast0 = proc_cpu_s(self.asterisk_pid)
        procs0 = proc_snapshot()
        sys0 = system_cpu()
        self_ru0 = resource.getrusage(resource.RUSAGE_SELF)
        kids_ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # normal calls end within call_s of the last one placed
        limit_s = round(duration_s + call_s + 25)

        agent0 = None
        if path == "ivr_queue":
            self.ensure_agent()
            agent0 = self.agent_counts()
            scenario, did = "ivr3_caller.xml", IVR_DID
            extra = ["-key", "key1", KEYS[0], "-key", "key2", KEYS[1], "-key", "key3", KEYS[2],
                     "-d", str(pause_ms)]
        else:
            scenario, did, extra = "plain_caller.xml", PLAIN_DID, []
        if float(rate).is_integer():
            pace = ["-r", str(int(rate)), "-rp", "1000"]
        else:                            # n calls per m ms: 0.01 cps resolution
            pace = ["-r", str(round(rate * 100)), "-rp", "100000"]

        cmd = sipp_base(free_port()) + [
            f"127.0.0.1:{box.layout.sip_port}", "-sf", scenario, "-s", did,
            "-key", "caller", CALLER,
            *extra, *pace, "-m", str(n), "-l", "10000",
            "-recv_timeout", "20000", "-timeout", f"{limit_s}s", "-timeout_error",
            "-trace_stat", "-stf", str(step_dir / "caller_stat.csv"), "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1",
            "-trace_err", "-error_file", str(step_dir / "caller_errors.log"),
            "-trace_screen", "-screen_file", str(step_dir / "caller_screen.log")]
        (step_dir / "caller_cmd.txt").write_text(" ".join(cmd) + "\n")
        t0 = time.monotonic()
        caller = spawn(cmd, self.sipp_dir, step_dir / "caller_stderr.txt")
        try:
            rc = caller.wait(timeout=limit_s + 20)
        except subprocess.TimeoutExpired:
            caller.kill()
            caller.wait(timeout=10)
            rc = "killed"
        except BaseException:          # Ctrl-C: leave no SIPp behind
            caller.kill()
            caller.wait(timeout=10)
            raise
        caller_wall = time.monotonic() - t0
        channels_left = self.wait_drained(timeout=15)
        # cdr_csv, queue_log and MixMonitor finish after the hang-up; the agent's SIPp
        # writes its statistics every second
        time.sleep(1.5)
        agent1 = self.agent_counts() if agent0 is not None else None
        cpu_ast = proc_cpu_s(self.asterisk_pid) - cpu_ast0
        sys1 = system_cpu()
        procs1 = proc_snapshot()
        self_ru = resource.getrusage(resource.RUSAGE_SELF)
        kids_ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        for rtt in self.sipp_dir.glob(f"{Path(scenario).stem}_{caller.pid}_rtt.csv"):
            shutil.move(str(rtt), step_dir / "caller_rtt.csv")

        # -- SIPp caller's view
        rows = read_stat_csv(step_dir / "caller_stat.csv")
        last = rows[-1] if rows else {}
        placed = int(last.get("OutgoingCall(C)", 0) or 0)
        ok = int(last.get("SuccessfulCall(C)", 0) or 0)
        failed_sipp = int(last.get("FailedCall(C)", 0) or 0)
        placing_s = placing_seconds(rows, n)
        answer = []
        if (step_dir / "caller_rtt.csv").exists():
            lines = (step_dir / "caller_rtt.csv").read_text().splitlines()
            for r in csv.reader(lines, delimiter=";"):
                try:
                    answer.append(float(r[1]) / 1000)
                except (IndexError, ValueError):
                    pass
        failures = {
            "sipp_failed": failed_sipp,
            "sipp_unfinished": max(0, placed - ok - failed_sipp),
            "sipp_not_placed": max(0, n - placed),
        }
        if rc != 0:
            failures["sipp_exit_nonzero"] = 1
        if channels_left:
            failures["asterisk_channels_left"] = channels_left
        timeline = concurrency_timeline(rows)
        step = {
            "rate": rate, "duration_s": round(duration_s, 1), "target_calls": n,
            "placed": placed, "succeeded": ok,
            "key_pause_ms": pause_ms if path == "ivr_queue" else None,
            "expected_call_s": round(call_s, 1),
            "call_length_s_avg": call_length_s(last),
            "achieved_rate": round(placed / placing_s, 1) if placing_s else None,
            "wall_s": round(caller_wall, 1),
            "max_concurrent_calls": max((c for _, c in timeline), default=0),
            "sip_retransmissions": int(last.get("Retransmissions(C)", 0) or 0),
            "answer_ms_p50": ms(percentile(answer, 50)),
            "answer_ms_p99": ms(percentile(answer, 99)),
            "answer_samples": len(answer),
            "asterisk_cpu_s": round(cpu_ast, 2),
            "python_cpu_s": round(self_ru.ru_utime + self_ru.ru_stime
                                  - self_ru0.ru_utime - self_ru0.ru_stime, 2),
            "sipp_cpu_s": round(kids_ru.ru_utime + kids_ru.ru_stime
                                - kids_ru0.ru_utime - kids_ru0.ru_stime
                                + (agent1["cpu"] - agent0["cpu"] if agent1 and
                                   agent1["pid"] == agent0["pid"] else 0.0), 2),
            "asterisk_cpu_ms_per_call": round(cpu_ast / placed * 1000, 1) if placed else None,
            "window_s": round(sys1[3] - sys0[3], 1),
            "machine_process_cpu_s": round(sys1[0] - sys0[0], 2),
            "irq_softirq_cpu_s": round(sys1[1] - sys0[1], 2),
            "steal_cpu_s": round(sys1[2] - sys0[2], 2),
        }
        # CPU used by processes that are not this bench's (other jobs on the machine)
        step["other_cpu_s"] = round(max(0.0, step["machine_process_cpu_s"] - step["asterisk_cpu_s"]
                                        - step["python_cpu_s"] - step["sipp_cpu_s"]), 2)
        # who: other users' processes vs kernel threads (which mostly do our work: socket
        # and thread teardown (RCU), writeback of the recordings)
        ours = {os.getpid(), self.asterisk_pid, caller.pid, agent0["pid"] if agent0 else 0}
        others, kernel, foreign = [], 0.0, 0.0
        for pid, (name, cpu, kthread, started) in procs1.items():
            before = procs0.get(pid)
            used = cpu - (before[1] if before and before[3] == started else 0.0)
            if pid in ours or used <= 0:
                continue
            if kthread:
                kernel += used
            else:
                foreign += used
            if used >= 0.1:
                others.append((round(used, 2), f"{name}{' [kernel]' if kthread else ''}"))
        step["machine_utilisation"] = round(
            (step["machine_process_cpu_s"] + step["irq_softirq_cpu_s"])
            / ((os.cpu_count() or 1) * step["window_s"]), 2) if step["window_s"] else None
        status = Path(f"/proc/{self.asterisk_pid}/status").read_text()
        step["asterisk_rss_mb"] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024
        step["asterisk_threads"] = int(re.search(r"Threads:\s+(\d+)", status).group(1))
        step["after_overload"] = self.overloaded
        step["kernel_threads_cpu_s"] = round(kernel, 2)
        step["other_jobs_cpu_s"] = round(foreign, 2)
        step["other_top"] = [{"process": n, "cpu_s": c}
                             for c, n in sorted(others, reverse=True)[:4]]
        # SIPp places the first call about 1/rate s after start; allow that plus 5 %
        if placing_s is None or placing_s > duration_s * 1.05 + 1.0 / rate:
            failures["rate_not_reached"] = 1
        if caller_wall > duration_s + call_s + 12:
            failures["calls_late"] = 1
        # sustained: Asterisk answered every request of the caller within SIP's T1 (500 ms),
        # so SIPp never had to retransmit; past this point calls pile up and stretch
        if step["sip_retransmissions"]:
            failures["sip_retransmissions"] = step["sip_retransmissions"]

        # -- Asterisk's view
        cdr_rows = list(csv.reader(io.StringIO(cdr.read())))
        warnings = [l for l in msgs.read().splitlines() if "WARNING[" in l or "ERROR[" in l]
        step["asterisk_warnings"] = len(warnings)
        if warnings:
            (step_dir / "asterisk_warnings.log").write_text("\n".join(warnings) + "\n")
        by_script = {k: v - by_script0.get(k, 0) for k, v in box.agi_server.by_script.items()
                     if v - by_script0.get(k, 0)}
        step["agi_by_script"] = by_script
        rec = RECORDER.reset()
        if path == "ivr_queue":
            events = [l.split("|") for l in qlog.read().splitlines()]
            kinds: dict[str, int] = {}
            holds = []
            for e in events:
                if len(e) > 4 and e[2] == "support":
                    kinds[e[4]] = kinds.get(e[4], 0) + 1
                    if e[4] == "CONNECT" and len(e) > 5 and e[5].isdigit():
                        holds.append(int(e[5]))
            connects = kinds.get("CONNECT", 0)
            # CDR userfield: did=100&ivr=main:2/level2:3/level3:1/&rec=...&queue=...
            keyed = {r[16] for r in cdr_rows if len(r) > 17 and IVR_PATH_RE.search(r[17])}
            fellback = {r[16] for r in cdr_rows if len(r) > 17 and "&ivr=" in r[17]
                        and not IVR_PATH_RE.search(r[17])}
            recordings = list(box.asterisk.recordings_dir.rglob("*.wav"))
            indexed = self.recordings_indexed() - indexed0
            agi_new = box.agi_server.calls - agi_calls0
            sessions = list(box.agi_server.durations[-agi_new:]) if agi_new else []
            quick = [t for verb, t, _ in rec.commands if verb != "GET DATA"]
            getdata = [t for verb, t, _ in rec.commands if verb == "GET DATA"]
            expected = {k: v * placed for k, v in SESSIONS_PER_CALL.items()}
            if agent1["pid"] != agent0["pid"]:     # the agent's SIPp died during the step
                agent1 = {"failed": agent1["failed"] + agent0["failed"] + 1,
                          "ok": agent1["ok"] + agent0["ok"], "incoming": 0}
            failures.update({
                "not_connected": max(0, placed - connects),
                "ivr_path_wrong": max(0, placed - len(keyed)),
                "agent_failed": agent1["failed"] - agent0["failed"],
                "agi_failures": box.agi_server.failures - agi_fail0,
                "agi_sessions_unexpected": sum(abs(by_script.get(k, 0) - v)
                                               for k, v in expected.items())
                + sum(v for k, v in by_script.items() if k not in expected),
                "recordings_missing": max(0, connects - len(recordings)) if self.recording else 0,
                "recordings_not_indexed": max(0, connects - indexed) if self.recording else 0,
            })
            step.update({
                "queue_events": kinds, "connects": connects,
                "ivr_path_ok": len(keyed), "ivr_path_other": len(fellback),
                "agi_by_script_expected": expected,
                "queue_hold_s_max": max(holds, default=None),
                "recordings": len(recordings), "recordings_indexed": indexed,
                "agent_answered": agent1["ok"] - agent0["ok"],
                "agi_sessions": len(sessions),
                "agi_get_data_timeouts": sum(1 for k in rec.keys if k == ""),
                "agi_session_p50_ms": ms(percentile(sessions, 50)),
                "agi_session_p99_ms": ms(percentile(sessions, 99)),
                "agi_cmd_p50_ms": ms(percentile(quick, 50)),
                "agi_cmd_p99_ms": ms(percentile(quick, 99)),
                "agi_cmd_count": len(quick),
                "agi_get_data_p50_ms": ms(percentile(getdata, 50)),
                "agi_get_data_p99_ms": ms(percentile(getdata, 99)),
                "agi_think_p50_ms": ms(percentile(rec.think, 50)),
                "agi_think_p99_ms": ms(percentile(rec.think, 99)),
                "agi_at_peak": agi_at_concurrency(rec.commands, timeline),
            })
            for f in recordings:   # counted; keep the disk flat across steps
                f.unlink(missing_ok=True)
        else:
            answered = {r[16] for r in cdr_rows if len(r) > 16 and r[2] == PLAIN_DID
                        and r[14] == "ANSWERED"}
            step["cdr_answered"] = len(answered)
            failures["cdr_not_answered"] = max(0, placed - len(answered))
            failures["agi_sessions_unexpected"] = sum(by_script.values())   # plain has no AGI
        failures = {k: v for k, v in failures.items() if v}
        step["failures"] = failures
        step["failed"] = sum(failures.values())
        step["clean"] = not failures
        step["noisy"] = bool(step["window_s"]) and (
            step["other_jobs_cpu_s"] + step["steal_cpu_s"]) / step["window_s"] > QUIET_CORES
        self.overloaded = self.overloaded or not step["clean"]
        log.info("%-9s %5g cps: placed %5d, %s%s", path, rate, placed,
                 "clean" if not failures else "FAILED ",
                 "" if not failures else json.dumps(failures))
        print(f"  {tag:22s} {rate:5g} cps x {duration_s:.0f}s: placed {placed:5d}  "
              f"{'clean' if not failures else 'FAILED ' + json.dumps(failures)}  "
              f"asterisk {step['asterisk_cpu_s']:.1f}s cpu, other jobs+steal "
              f"{step['other_jobs_cpu_s'] + step['steal_cpu_s']:.1f}s, "
              f"max {step['max_concurrent_calls']} calls, answer p99 {step['answer_ms_p99']} ms"
              + (f", AGI cmd p99 {step['agi_cmd_p99_ms']} ms (at >= "
                 f"{step['agi_at_peak']['min_concurrent_calls']} calls: "
                 f"{step['agi_at_peak']['cmd_p99_ms']} ms)" if path == "ivr_queue" else ""),
              flush=True)
        time.sleep(2.0)   # let Asterisk settle (device states, taskprocessors) before the next step
        return step

    # search -----------------------------------------------------------------------------

    def measure(self, path: str, rate: float, steps: list[dict], **kw) -> dict:
        """One step; an unclean step during which other jobs or the hypervisor took the
        CPUs (noisy) is run once more, and the second result counts."""
        s = self.run_step(path, rate, **kw)
        steps.append(s)
        if not s["clean"] and s["noisy"]:
            print(f"  {path} {rate:g} cps: unclean while other jobs/steal took the CPUs; "
                  f"running it once more", flush=True)
            s["superseded_by_retry"] = True
            s = self.run_step(path, rate, **kw)
            steps.append(s)
        return s

    def hold(self, target: int, pause_ms: int, hold_s: int, smoke_call_s: float | None) -> dict:
        """The AGI-at-concurrency step: ivr_queue calls that wait pause_ms before each key,
        placed at target / call length cps for one call length plus hold_s, so ~target
        calls are up at once (nearly all in the IVR) for the last hold_s of placing."""
        if smoke_call_s:      # the smoke call's length, with the longer pauses
            call_s = smoke_call_s + 3 * (pause_ms - self.key_pause_ms) / 1000
        else:
            call_s = self.call_s("ivr_queue", pause_ms)
        rate = round(target / call_s, 2)
        calls = max(1, round(rate * (call_s + hold_s)))
        steps: list[dict] = []
        s = self.measure("ivr_queue", rate, steps, calls=calls, key_pause_ms=pause_ms,
                         label=f"hold-{target}calls")
        return {"target_concurrent_calls": target, "key_pause_ms": pause_ms,
                "estimated_call_s": round(call_s, 2), "rate_cps": rate, "calls": calls,
                "hold_s": hold_s, "steps": steps, "final": s}

    def search(self, path: str, start: int, cap: int, max_bisect: int = 2) -> dict:
        """Ramp up until the first unclean step, then narrow the gap by bisection.

        The ramp doubles the rate while the machine is less than RAMP_FAST_BELOW busy and
        then grows it by 25 %, so the first unclean step overshoots the limit by at most
        ~25 %: an overload leaves this Asterisk slower for the rest of its life (see
        after_overload), so the bench overloads it as little and as late as it can.
        """
        steps: list[dict] = []
        lo, hi = 0, None
        budget_hit = False
        rate = start
        while rate <= cap:
            if time.monotonic() > self.deadline:
                budget_hit = True
                break
            s = self.measure(path, rate, steps)
            if not s["clean"]:
                hi = rate
                break
            lo = rate
            if s["machine_utilisation"] < RAMP_FAST_BELOW:
                rate *= 2
            else:
                rate = max(rate + 1, round(rate * 1.25))
        ramp_max_clean = lo
        bisections = 0
        while hi is not None and bisections < max_bisect and hi - lo > max(1, 0.1 * lo):
            if time.monotonic() > self.deadline:
                budget_hit = True
                break
            mid = (lo + hi) // 2
            s = self.measure(path, mid, steps)
            bisections += 1
            if s["clean"]:
                lo = mid
            else:
                hi = mid
        self.stop_agent()
        best = next((s for s in steps if s["clean"] and s["rate"] == lo), None)
        return {"max_clean_rate_cps": lo, "ramp_max_clean": ramp_max_clean,
                "first_unclean_rate_cps": hi,
                "capped": hi is None and not budget_hit, "budget_exhausted": budget_hit,
                "steps": steps, "at_max": best}


# -- run --------------------------------------------------------------------------------

def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    except (OSError, AttributeError):
        pass
    sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True, timeout=10)
    sipp_v = re.search(r"SIPp v[^\s]+", sipp.stdout + sipp.stderr)
    return {"nproc": os.cpu_count(), "cpu_model": model, "mem_mb": mem_kb // 1024,
            "kernel": platform.release(), "python": platform.python_version(),
            "sipp": sipp_v.group(0) if sipp_v else None}


def prepare_sipp_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for name, src in SIPP_SOURCES.items():
        shutil.copy(src, path / name)
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "al",
                    str(path / "tone.al"), "synth", "3", "sine", "440"], check=True, timeout=30)


def smoke(bench: Bench) -> float | None:
    """One call per path before measuring, so a broken setup fails fast and says why;
    returns the ivr_queue call's length (s)."""
    dp = bench.box.asterisk.cli(f"dialplan show {PLAIN_DID}@jns-inbound")
    if "bench-plain" not in dp:
        raise RuntimeError(f"plain baseline route missing from the dialplan:\n{dp}")
    call_s = None
    for path in ("plain", "ivr_queue"):
        s = bench.run_step(path, 1, calls=1, label=f"smoke-{path}")
        if not s["clean"]:
            raise RuntimeError(f"smoke call on {path} failed: {s['failures']} "
                               f"(see {bench.out_dir})")
        call_s = s.get("call_length_s_avg")
    bench.stop_agent()
    return call_s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.call_rate",
                                description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(ROOT / "build" / "bench" / "call_rate.json"))
    p.add_argument("--workdir", default=str(ROOT / "build" / "bench" / "call_rate-work"))
    p.add_argument("--step-s", type=int, default=12, help="seconds of traffic per rate step")
    p.add_argument("--start", type=int, default=5, help="first rate of the doubling ramp (cps)")
    p.add_argument("--cap", type=int, default=640, help="highest rate the ramp tries (cps)")
    p.add_argument("--talk-ms", type=int, default=1000, help="agent's talk time per call")
    p.add_argument("--agents", type=int, default=100, help="bench agents added to queue support")
    p.add_argument("--budget-s", type=int, default=600, help="stop starting new steps after this")
    p.add_argument("--key-pause-ms", type=int, default=1200,
                   help="ivr_queue caller: pause before each of its 3 keys (rate steps)")
    p.add_argument("--hold-calls", type=int, default=100,
                   help="concurrent calls of the AGI-latency hold step (0: no hold step)")
    p.add_argument("--hold-pause-ms", type=int, default=8000,
                   help="hold step: the caller's pause before each key (longer calls)")
    p.add_argument("--hold-s", type=int, default=20,
                   help="hold step: seconds of placing calls with ~--hold-calls calls up")
    p.add_argument("--paths", default="ivr_queue,plain",
                   help="in this order; the product path first, as overload leaves its mark")
    p.add_argument("--wait-quiet-s", type=int, default=120,
                   help="wait up to this long for other jobs to leave the CPUs idle first")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    busy = machine_busy()
    waited_until = time.monotonic() + args.wait_quiet_s
    while busy > QUIET_CORES and time.monotonic() < waited_until:
        print(f"bench.call_rate: machine busy ({busy:.2f} cores used by other jobs); waiting",
              flush=True)
        busy = machine_busy(5.0)
    if busy > QUIET_CORES:
        print(f"bench.call_rate: WARNING: {busy:.2f} cores busy before start: results will be "
              f"low and noisy", flush=True)

    started = time.monotonic()
    workdir = Path(args.workdir).resolve()   # SIPp runs in workdir/sipp: absolute paths only
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    sipp_dir = workdir / "sipp"
    prepare_sipp_dir(sipp_dir)

    agent_port = free_port()
    # each menu waits long enough for the hold step's late keys (prompt + timeout_s)
    longest_pause_s = max(args.key_pause_ms, args.hold_pause_ms if args.hold_calls else 0) / 1000
    menu_timeout_s = min(60, max(5, math.ceil(longest_pause_s - PROMPT_S) + 4))
    box = make_box(workdir / "box", agent_port, args.agents, menu_timeout_s)
    original_fastagi = agi.FastAGI
    agi.FastAGI = TimedFastAGI
    result: dict = {}
    bench = None
    try:
        t_box = time.monotonic()
        box.start()              # BenchBox.start() stops the ConfigApplier (module docstring)
        assert box.applier is None
        version = box.ami.action("CoreSettings").get("AsteriskVersion")
        box.ami.close()          # see the module docstring (AMI)
        box.ami = None
        box_start_s = time.monotonic() - t_box
        bench = Bench(box=box, sipp_dir=sipp_dir, out_dir=workdir / "steps", agent_port=agent_port,
                      step_s=args.step_s, talk_ms=args.talk_ms,
                      deadline=started + args.budget_s, key_pause_ms=args.key_pause_ms,
                      asterisk_pid=process_tree_pid(box.asterisk.proc.pid, "asterisk"),
                      recording=box.db.execute("SELECT record FROM queues WHERE name = 'support'")
                      .fetchone()[0] == "all"
                      and config.settings(box.db)["rec_mode"] in ("all", "inbound"))
        print(f"bench.call_rate: Asterisk {version}, {os.cpu_count()} cores, "
              f"{args.step_s}s per step, menu timeout {menu_timeout_s}s, workdir {workdir}",
              flush=True)
        intact = {"before_smoke": box.plain_route_intact()}
        smoke_call_s = smoke(bench)
        hold = None
        if args.hold_calls > 0:
            hold = bench.hold(args.hold_calls, args.hold_pause_ms, args.hold_s, smoke_call_s)
        paths = {}
        for path in [x.strip() for x in args.paths.split(",") if x.strip()]:
            intact[f"before_{path}"] = box.plain_route_intact()
            paths[path] = bench.search(path, args.start, args.cap)
        intact["at_end"] = box.plain_route_intact()
        result = report(paths, hold, version, args, box_start_s, time.monotonic() - started)
        result["bench_dialplan_intact"] = all(intact.values())
        result["bench_dialplan_checks"] = intact
        result["menu_timeout_s"] = menu_timeout_s
        result["smoke_ivr_call_s"] = smoke_call_s
        result["machine_busy_cores_before_start"] = round(busy, 2)
    finally:
        agi.FastAGI = original_fastagi
        if bench is not None:
            bench.stop_agent()
        box.stop()
    result["run_s"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print_summary(result, out)
    return 0


GOAL_RATIO = 0.9
GOAL_AGI_P99_MS = 5.0


def agi_measurement(hold: dict | None, paths: dict, target: int) -> dict:
    """AGI single-command round trips at ~target concurrent calls: from the hold step, or
    (without one) from the clean ivr_queue rate step whose peak is closest to/above target."""
    if hold is not None:
        step, source = hold["final"], "hold step"
    else:
        steps = [s for s in paths.get("ivr_queue", {}).get("steps", [])
                 if s["clean"] and s.get("agi_at_peak")]
        if not steps:
            return {"source": None, "target_concurrent_calls": target}
        above = [s for s in steps if s["max_concurrent_calls"] >= target]
        step = (min(above, key=lambda s: s["max_concurrent_calls"]) if above
                else max(steps, key=lambda s: s["max_concurrent_calls"]))
        source = "ivr_queue rate step"
    at = step.get("agi_at_peak") or {}
    measured = at.get("concurrent_calls_median")
    reached = measured is not None and measured >= HOLD_SHARE * target
    return {
        "source": source, "step": f"{step['rate']:g} cps, {step['target_calls']} calls",
        "target_concurrent_calls": target,
        "measured_at_concurrent_calls": measured,
        "concurrent_calls_counted_from": at.get("min_concurrent_calls"),
        "concurrent_calls_peak": at.get("peak_concurrent_calls"),
        "cmd_p50_ms": at.get("cmd_p50_ms"), "cmd_p99_ms": at.get("cmd_p99_ms"),
        "cmd_max_ms": at.get("cmd_max_ms"), "commands": at.get("commands"),
        "rate_cps": step["rate"], "key_pause_ms": step.get("key_pause_ms"),
        "call_length_s_avg": step.get("call_length_s_avg"),
        "step_clean": step["clean"], "step_failures": step["failures"],
        "step_noisy": step["noisy"], "target_reached": reached,
        "valid": bool(step["clean"] and reached and at.get("commands")),
    }


def ratio_goal(ratio: float | None, paths: dict) -> tuple[bool | None, str | None]:
    """Whether ratio >= GOAL_RATIO is shown.  A path whose ramp hit --cap or the budget before
    an unclean step has a limit above its max_clean_rate, so the ratio is only a bound."""
    if ratio is None:
        return None, None
    found = {name: paths.get(name, {}).get("first_unclean_rate_cps") is not None
             for name in ("ivr_queue", "plain")}
    if found["ivr_queue"] and found["plain"]:
        return ratio >= GOAL_RATIO, "measured"
    if found["ivr_queue"]:        # plain's real limit is higher: the real ratio is lower
        return (False if ratio < GOAL_RATIO else None), "upper bound"
    if found["plain"]:            # ivr_queue's real limit is higher: the real ratio is higher
        return (True if ratio >= GOAL_RATIO else None), "lower bound"
    return None, "both limits above the ramp cap/budget"


def report(paths: dict, hold: dict | None, version: str, args, box_start_s: float,
           run_s: float) -> dict:
    out_paths = {}
    for name, r in paths.items():
        best = r["at_max"] or {}
        entry = {
            "max_clean_rate_cps": r["max_clean_rate_cps"],
            "max_clean_rate_ramp_cps": r["ramp_max_clean"],
            "first_unclean_rate_cps": r["first_unclean_rate_cps"],
            "ramp_capped_at_cps": args.cap if r["capped"] else None,
            "budget_exhausted": r["budget_exhausted"],
            "asterisk_cpu_s_at_max": best.get("asterisk_cpu_s"),
            "max_concurrent_calls_at_max": best.get("max_concurrent_calls"),
            "answer_ms_p50_at_max": best.get("answer_ms_p50"),
            "answer_ms_p99_at_max": best.get("answer_ms_p99"),
            "steps": r["steps"],
        }
        if name == "ivr_queue":
            for key in ("agi_session_p50_ms", "agi_session_p99_ms",
                        "agi_cmd_p50_ms", "agi_cmd_p99_ms",
                        "agi_think_p50_ms", "agi_think_p99_ms", "agi_get_data_p50_ms",
                        "agi_get_data_p99_ms", "queue_hold_s_max", "agi_by_script"):
                entry[key] = best.get(key)
        out_paths[name] = entry
    all_steps = [(name, s) for name, r in paths.items() for s in r["steps"]]
    all_steps += [("hold", s) for s in (hold or {}).get("steps", [])]
    noisy = [f"{name}@{s['rate']:g}cps" for name, s in all_steps if s["noisy"]]
    ivr = out_paths.get("ivr_queue", {}).get("max_clean_rate_cps")
    plain = out_paths.get("plain", {}).get("max_clean_rate_cps")
    ratio = round(ivr / plain, 3) if ivr is not None and plain else None
    ratio_met, ratio_kind = ratio_goal(ratio, out_paths)
    agi_at = agi_measurement(hold, paths, args.hold_calls or 100)
    p99 = agi_at.get("cmd_p99_ms")
    return {
        "benchmark": "call_rate",
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "asterisk_version": version,
        "parameters": {"step_s": args.step_s, "ramp_start_cps": args.start,
                       "ramp_cap_cps": args.cap,
                       "talk_ms": args.talk_ms, "key_pause_ms": args.key_pause_ms,
                       "ivr_keys": list(KEYS), "ivr_path": IVR_PATH,
                       "hold_calls": args.hold_calls, "hold_pause_ms": args.hold_pause_ms,
                       "hold_s": args.hold_s,
                       "bench_agents": args.agents, "budget_s": args.budget_s,
                       "rtp_ports": list(RTP_RANGE)},
        "paths": out_paths,
        "max_clean_rate_cps": {name: e["max_clean_rate_cps"] for name, e in out_paths.items()},
        "ratio": ratio,
        "agi_at_concurrency": agi_at,
        "goals": {
            "ratio_min": GOAL_RATIO, "ratio": ratio,
            # None when the ramps did not find both limits and the bound does not decide
            "ratio_met": ratio_met, "ratio_kind": ratio_kind,
            "agi_p99_max_ms": GOAL_AGI_P99_MS, "agi_p99_ms": p99,
            "agi_p99_at_concurrent_calls": agi_at.get("measured_at_concurrent_calls"),
            # only a clean step that really had ~target calls up counts
            "agi_p99_met": None if p99 is None else bool(agi_at["valid"]
                                                         and p99 <= GOAL_AGI_P99_MS),
        },
        "hold_step": hold and {k: v for k, v in hold.items() if k != "final"},
        "agi_session_p50_ms": out_paths.get("ivr_queue", {}).get("agi_session_p50_ms"),
        "agi_session_p99_ms": out_paths.get("ivr_queue", {}).get("agi_session_p99_ms"),
        "agi_cmd_p50_ms": out_paths.get("ivr_queue", {}).get("agi_cmd_p50_ms"),
        "agi_cmd_p99_ms": out_paths.get("ivr_queue", {}).get("agi_cmd_p99_ms"),
        "box_start_s": round(box_start_s, 1),
        "machine_quiet": not noisy,
        "steps_with_other_load": noisy,
        "notes": [
            "ratio = ivr_queue.max_clean_rate_cps / plain.max_clean_rate_cps, both measured in one "
            "run on the same Asterisk; the ratio prices the whole product path (5 FastAGI "
            "sessions, 3 IVR levels, queue, agent leg, MixMonitor recording and its index, "
            "CDR/queue_log), not AGI alone.",
            f"ivr_queue: DID 100 -> FastAGI route (before answer) -> IVR main -> key {KEYS[0]} -> "
            f"level2 -> key {KEYS[1]} -> level3 -> key {KEYS[2]} (keys by SIP INFO, key_pause_ms "
            "apart, from the ACK on) -> queue 'support' -> SIPp agent answers after 300 ms "
            "ringing, talks talk_ms, hangs up -> hangup handler FastAGI recorded. MixMonitor "
            "recording is ON (rec_mode all, part of the path); files are counted, then deleted.",
            "plain: DID 199 -> Answer/Playback(hello-world, 1.42 s)/Hangup, no AGI (bench-only "
            "dialplan appended to the rendered extensions.conf; DevBox's ConfigApplier is "
            "stopped after start so nothing re-renders it away: bench_dialplan_intact).",
            "Both callers and the agent stream a-law RTP (tone.al) for the whole call.",
            "Overload leaves a mark: after an unclean step this Asterisk stays slower per call "
            "(RSS does not come back); steps have after_overload, and max_clean_rate_ramp_cps "
            "is the ramp's answer before this path's first unclean step (bisection steps run "
            "after it). The hold step and ivr_queue run first, so plain runs after ivr_queue's "
            "(mild) overload.",
            "Clean step = zero failed calls in SIPp and zero SIP retransmissions by the caller "
            "(every INVITE/INFO answered within T1 = 500 ms, i.e. the rate is sustained, not "
            "piling up), calls placed on time and finished in time, no channels left; "
            "ivr_queue also: CONNECT per call in queue_log, CDR userfield ivr=" + IVR_PATH +
            " per call, no agent/AGI failure, FastAGI by_script exactly route 1 / ivr 3 / "
            "recorded 1 per call, one recording file and one index row per connect; plain: no "
            "FastAGI session at all.",
            "Per step: other_cpu_s = machine-wide process CPU (/proc/stat user+nice+system) minus "
            "Asterisk, this process and SIPp; of it, kernel_threads_cpu_s (mostly our own side "
            "effects: RCU reclaim of sockets/threads, writeback) and other_jobs_cpu_s (user "
            "processes of other jobs, top ones in other_top); irq_softirq_cpu_s is mostly our "
            "loopback packets. machine_quiet is false if in any step other jobs plus hypervisor "
            "steal took > 0.15 cores on average (results then understate the machine).",
            "agi_at_concurrency: single AGI command round trips (send -> result line; every verb "
            "but GET DATA, which waits for the caller: GET VARIABLE, GET FULL VARIABLE, SET "
            "VARIABLE of route, ivr and recorded) sent while SIPp had >= 90 % of the step's peak "
            "calls up, in the hold step (caller pauses hold_pause_ms before each key, rate = "
            "hold_calls / call length, so ~hold_calls calls are up, nearly all in the IVR). "
            "measured_at_concurrent_calls is the median calls up when those commands were sent; "
            "goals.agi_p99_met needs that step clean and >= 90 % of hold_calls reached.",
            "Per rate step: agi_session_* = box.agi_server.durations (all scripts mixed; ivr "
            "sessions include GET DATA waiting for the caller's key); agi_cmd_* = per command "
            "send->result for the non-GET DATA commands; agi_think_* = Asterisk's last line -> "
            "our next command (server-side Python time); agi_at_peak = agi_cmd_* restricted to "
            ">= 90 % of that step's peak calls; timed by a FastAGI subclass.",
            "Bench-only changes: 3-level menus (main/level2/level3) saved through the store, with "
            "a longer waiting time for a key (menu_timeout_s) for the hold step; agents 3001.. "
            "with static contacts at one SIPp UAS added to queue 'support' (ringinuse=no stays); "
            "RTP range widened to 10000-19998; DevBox's AMI client closed and its ConfigApplier "
            "stopped during traffic.",
            "SIPp, Asterisk and the FastAGI server share the same cores; results are this "
            "machine's capacity for the whole set-up, not Asterisk's alone.",
        ],
    }


def print_summary(result: dict, out: Path) -> None:
    paths = result.get("paths", {})
    print(f"\ncall_rate ({result['machine']['nproc']} cores, {result['machine']['cpu_model']}, "
          f"Asterisk {result['asterisk_version']}), run {result['run_s']} s")
    for name, e in paths.items():
        extra = " (ramp cap reached)" if e["ramp_capped_at_cps"] else ""
        print(f"  {name:9s} max clean {e['max_clean_rate_cps']} cps{extra}; first unclean "
              f"{e['first_unclean_rate_cps']}; Asterisk CPU at max {e['asterisk_cpu_s_at_max']} s "
              f"per {result['parameters']['step_s']} s step")
    goals = result["goals"]
    print(f"  ratio ivr_queue/plain = {result['ratio']} ({goals['ratio_kind']}; goal >= "
          f"{goals['ratio_min']}: {goals['ratio_met']})")
    at = result["agi_at_concurrency"]
    print(f"  AGI command round trip at {at.get('measured_at_concurrent_calls')} concurrent calls "
          f"({at.get('source')}, {at.get('commands')} commands, step clean "
          f"{at.get('step_clean')}): p50 {at.get('cmd_p50_ms')} ms, p99 {at.get('cmd_p99_ms')} ms "
          f"(goal <= {goals['agi_p99_max_ms']} ms: {goals['agi_p99_met']})")
    if not result.get("machine_quiet", True):
        print(f"  WARNING: other jobs used the CPUs during {result['steps_with_other_load']}")
    if not result.get("bench_dialplan_intact", True):
        print(f"  WARNING: the plain route went missing: {result['bench_dialplan_checks']}")
    print(f"  AGI at max clean rate: session p50 {result['agi_session_p50_ms']} ms, p99 "
          f"{result['agi_session_p99_ms']} ms; per command p50 {result['agi_cmd_p50_ms']} ms, "
          f"p99 {result['agi_cmd_p99_ms']} ms")
    print(f"  -> {out}")


if __name__ == "__main__":
    sys.exit(main())
