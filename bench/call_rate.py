"""Maximum sustained call rate with zero failed calls: the IVR+queue path versus plain.

    .venv/bin/python -m bench.call_rate            # writes build/bench/call_rate.json

One DevBox (real Asterisk 22 from build/rootfs, the threaded FastAGI server, on 127.0.0.1)
serves two paths in the same run, so the ratio compares like with like on this machine:

ivr_queue  the product's path, unchanged: carrier call to DID 100 -> jns-inbound -> FastAGI
           IVR "main" (GET VARIABLE, GET DATA hello-world, 3x SET VARIABLE) -> the caller's
           key 1 (SIP INFO, sent 1 s after the answer) -> queue "support" with MixMonitor
           recording (recording stays on: it is part of the path) -> an agent answers after
           300 ms of ringing, talks for 1 s and hangs up.  Caller: tests/sipp/caller.xml.
plain      the same entry (from-trunk -> jns-inbound) for DID 199, then Answer(),
           Playback(hello-world), Hangup(): no AGI, no queue, no agent, no recording.
           Caller: bench/sipp/plain_caller.xml (caller.xml without the key press, which
           would race the plain path's own hang-up at the end of the prompt).

How the bench changes the box, and why it is honest:
- Agents.  The renderer writes ringinuse=no, so one member takes one call at a time.  The
  bench adds --agents extra agents (3001..., 100 by default) through the store API, each
  with a static contact pointing at the same SIPp UAS port, and makes them members of
  "support" next to 101/102 (whose demo contacts point there too).  One SIPp process thus
  answers many calls at once while the queue behaves exactly as rendered.  The work
  directory's database is the bench's own: nothing of a real box changes.  app_queue
  scanning ~100 members is a cost of this model (a real queue has fewer members, each
  busier); queue hold times are reported so a shortage of free agents would show.  The
  agent's SIPp runs through the whole ivr_queue search (per-step counts come from its
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
  paths; a carrier offering RFC 4733 would spare that.  The key itself goes by SIP INFO.
- Per-command AGI timing.  `agi.FastAGI` is swapped for `TimedFastAGI` (a subclass that
  timestamps each `execute()`) in the running process only; the module attribute is
  restored at the end.  Session times come from `box.agi_server.durations` as they are.

A step is one SIPp run at a fixed rate for STEP seconds (rate x STEP calls).  It is clean
when every placed call succeeded in SIPp (exit code 0, zero failed calls, none cut off by
the time limit) and the rate was sustained: the caller never had to retransmit a request
(Asterisk answered each INVITE and INFO within SIP's T1 of 500 ms; past that point calls pile
up and stretch to many seconds while SIPp still counts them as successful), SIPp placed the
calls on time, they finished within STEP + 15 s and Asterisk had no channels left.  For
ivr_queue, additionally: queue_log has one CONNECT per placed call, every caller's key was
heard by the IVR (CDR userfield ivr=main:1/, not the timeout fallback), the SIPp agent had
no failed call, the FastAGI server recorded no failure and each connected call left a
recording.

The search: a ramp from --start cps that doubles while the machine is less than 35 % busy
and then grows by 25 %, until the first unclean step; then up to 2 bisection steps between
the last clean and the first unclean rate (stopping at a 10 % gap), within a time budget.
ivr_queue runs first.  Both choices come from a measurement on this machine: after one
overloaded step (plain at 160 cps, ~1300 calls up, RSS 110 -> 500 MB) the same Asterisk
stayed ~30-60 % more expensive per call (ivr_queue at 8 cps: 100 -> 130-165 ms CPU per
call, answer p99 70 -> 300-700 ms), even after 60 s idle.  So the bench overshoots as
little as it can, the product path goes first, and each step says whether it ran
after_overload (bisection steps always do); max_clean_rate_ramp_cps is the answer of the
ramp alone, before this path's first unclean step.  The likely mechanism: the rendered asterisk.conf
has cache_record_files = yes, so every finished recording makes Asterisk fork() and exec
/bin/mv (main/file.c, filestream_destructor); a fork costs more the larger Asterisk's
memory, which an overload grows and never gives back.

The machine is shared with whatever else runs on it: before starting, the bench waits (up to
--wait-quiet-s) for other jobs to leave the CPUs idle, and every step records the CPU that
processes other than Asterisk, SIPp and this one used (other_cpu_s, from /proc/stat); the
JSON says machine_quiet=false when that was significant.  An unclean step that was noisy
(other jobs plus hypervisor steal above 0.15 cores) is run once more and the rerun counts.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import logging
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
SIPP_SOURCES = {"caller.xml": ROOT / "tests" / "sipp" / "caller.xml",
                "agent.xml": ROOT / "tests" / "sipp" / "agent.xml",
                "plain_caller.xml": ROOT / "bench" / "sipp" / "plain_caller.xml"}
IVR_DID, PLAIN_DID = "100", "199"
CALLER = "48600100200"
DTMF_DELAY_MS = 1000
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
        self.commands: list[tuple[str, float]] = []   # (verb, send -> result seconds)
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
        start = time.monotonic()
        RECORDER.think.append(start - self._last)
        verb = command.strip().upper()
        try:
            result = super().execute(command, *args)
        finally:
            self._last = time.monotonic()
            RECORDER.commands.append((verb, self._last - start))
        if verb == "GET DATA":
            RECORDER.keys.append(result.get("result", ("", ""))[0])
        return result


# -- the box -----------------------------------------------------------------------------

class BenchBox(DevBox):
    """DevBox whose rendered dialplan also holds the plain baseline (DID 199)."""

    def apply_config(self) -> None:
        files = render.render_files(config.snapshot(self.db), self.layout)
        files["extensions.conf"] += PLAIN_DIALPLAN
        render.install(files, self.asterisk.etc_parent)
        if self.asterisk.running():
            self.asterisk.cli("core reload")


def make_box(workdir: Path, agent_port: int, agents: int) -> BenchBox:
    contact = lambda ext: f"sip:{ext}@127.0.0.1:{agent_port}"  # noqa: E731
    box = BenchBox(workdir, demo_agent_contacts={"101": contact("101"), "102": contact("102")})
    box.layout = dataclasses.replace(box.layout, rtp_start=RTP_RANGE[0], rtp_end=RTP_RANGE[1])
    box.asterisk.layout = box.layout
    exts = [str(3001 + i) for i in range(agents)]
    for ext in exts:
        config.add_agent(box.db, ext, f"Bench {ext}", contact=contact(ext), dtmf_mode="auto")
    config.set_queue_members(box.db, "support", ["101", "102", *exts])
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


@dataclasses.dataclass
class Bench:
    box: BenchBox
    sipp_dir: Path
    out_dir: Path
    agent_port: int
    step_s: int
    talk_ms: int
    deadline: float
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

    def run_step(self, path: str, rate: int) -> dict:
        box = self.box
        n = rate * self.step_s
        tag = f"{path}-{rate}cps"
        step_dir = self.out_dir / tag
        shutil.rmtree(step_dir, ignore_errors=True)
        step_dir.mkdir(parents=True)
        qlog = FileTail(box.asterisk.log_dir / "queue_log")
        cdr = FileTail(box.asterisk.log_dir / "cdr-csv" / "Master.csv")
        msgs = FileTail(box.asterisk.log_dir / "messages.log")
        agi_calls0, agi_fail0 = box.agi_server.calls, box.agi_server.failures
        RECORDER.reset()
        cpu_ast0 = proc_cpu_s(self.asterisk_pid)
        procs0 = proc_snapshot()
        sys0 = system_cpu()
        self_ru0 = resource.getrusage(resource.RUSAGE_SELF)
        kids_ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        limit_s = self.step_s + 25   # normal calls end within ~3 s of the last one placed

        agent0 = None
        if path == "ivr_queue":
            self.ensure_agent()
            agent0 = self.agent_counts()
            scenario, did = "caller.xml", IVR_DID
            extra = ["-key", "digit", "1", "-d", str(DTMF_DELAY_MS)]
        else:
            scenario, did, extra = "plain_caller.xml", PLAIN_DID, []

        cmd = sipp_base(free_port()) + [
            f"127.0.0.1:{box.layout.sip_port}", "-sf", scenario, "-s", did,
            "-key", "caller", CALLER,
            *extra, "-r", str(rate), "-rp", "1000", "-m", str(n), "-l", "10000",
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
        step = {
            "rate": rate, "duration_s": self.step_s, "target_calls": n, "placed": placed,
            "succeeded": ok,
            "achieved_rate": round(placed / placing_s, 1) if placing_s else None,
            "wall_s": round(caller_wall, 1),
            "max_concurrent_calls": max((int(r.get("CurrentCall", 0) or 0) for r in rows),
                                        default=0),
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
        if placing_s is None or placing_s > self.step_s * 1.05 + 1.0 / rate:
            failures["rate_not_reached"] = 1
        if caller_wall > self.step_s + 15:
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
            keyed = {r[16] for r in cdr_rows if len(r) > 17 and "ivr=main:1/" in r[17]}
            missed = {r[16] for r in cdr_rows if len(r) > 17 and "ivr=main:-/" in r[17]}
            recordings = list(box.asterisk.recordings_dir.rglob("*.wav"))
            agi_new = box.agi_server.calls - agi_calls0
            sessions = list(box.agi_server.durations[-agi_new:]) if agi_new else []
            rec = RECORDER.reset()
            quick = [t for verb, t in rec.commands if verb != "GET DATA"]
            getdata = [t for verb, t in rec.commands if verb == "GET DATA"]
            if agent1["pid"] != agent0["pid"]:     # the agent's SIPp died during the step
                agent1 = {"failed": agent1["failed"] + agent0["failed"] + 1,
                          "ok": agent1["ok"] + agent0["ok"], "incoming": 0}
            failures.update({
                "not_connected": max(0, placed - connects),
                "key_missed": len(missed),
                "agent_failed": agent1["failed"] - agent0["failed"],
                "agi_failures": box.agi_server.failures - agi_fail0,
                "recordings_missing": max(0, connects - len(recordings)) if self.recording else 0,
            })
            step.update({
                "queue_events": kinds, "connects": connects, "keys_heard": len(keyed),
                "queue_hold_s_max": max(holds, default=None),
                "recordings": len(recordings),
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
            })
            for f in recordings:   # counted; keep the disk flat across steps
                f.unlink(missing_ok=True)
        else:
            answered = {r[16] for r in cdr_rows if len(r) > 16 and r[2] == PLAIN_DID
                        and r[14] == "ANSWERED"}
            step["cdr_answered"] = len(answered)
            failures["cdr_not_answered"] = max(0, placed - len(answered))
        failures = {k: v for k, v in failures.items() if v}
        step["failures"] = failures
        step["failed"] = sum(failures.values())
        step["clean"] = not failures
        step["noisy"] = bool(step["window_s"]) and (
            step["other_jobs_cpu_s"] + step["steal_cpu_s"]) / step["window_s"] > QUIET_CORES
        self.overloaded = self.overloaded or not step["clean"]
        log.info("%-9s %4d cps: placed %5d, %s%s", path, rate, placed,
                 "clean" if not failures else "FAILED ",
                 "" if not failures else json.dumps(failures))
        print(f"  {path:9s} {rate:4d} cps x {self.step_s}s: placed {placed:5d}  "
              f"{'clean' if not failures else 'FAILED ' + json.dumps(failures)}  "
              f"asterisk {step['asterisk_cpu_s']:.1f}s cpu, other jobs+steal "
              f"{step['other_jobs_cpu_s'] + step['steal_cpu_s']:.1f}s, "
              f"max {step['max_concurrent_calls']} calls, answer p99 {step['answer_ms_p99']} ms"
              + (f", AGI cmd p99 {step['agi_cmd_p99_ms']} ms" if path == "ivr_queue" else ""),
              flush=True)
        time.sleep(2.0)   # let Asterisk settle (device states, taskprocessors) before the next step
        return step

    # search -----------------------------------------------------------------------------

    def measure(self, path: str, rate: int, steps: list[dict]) -> dict:
        """One step; an unclean step during which other jobs or the hypervisor took the
        CPUs (noisy) is run once more, and the second result counts."""
        s = self.run_step(path, rate)
        steps.append(s)
        if not s["clean"] and s["noisy"]:
            print(f"  {path} {rate} cps: unclean while other jobs/steal took the CPUs; "
                  f"running it once more", flush=True)
            s["superseded_by_retry"] = True
            s = self.run_step(path, rate)
            steps.append(s)
        return s

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


def smoke(bench: Bench) -> None:
    """One call per path before measuring, so a broken setup fails fast and says why."""
    dp = bench.box.asterisk.cli(f"dialplan show {PLAIN_DID}@jns-inbound")
    if "bench-plain" not in dp:
        raise RuntimeError(f"plain baseline route missing from the dialplan:\n{dp}")
    for path in ("plain", "ivr_queue"):
        saved = bench.step_s
        bench.step_s = 1
        try:
            s = bench.run_step(path, 1)
        finally:
            bench.step_s = saved
        if not s["clean"]:
            raise RuntimeError(f"smoke call on {path} failed: {s['failures']} "
                               f"(see {bench.out_dir})")
    bench.stop_agent()


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
    p.add_argument("--budget-s", type=int, default=480, help="stop starting new steps after this")
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
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    sipp_dir = workdir / "sipp"
    prepare_sipp_dir(sipp_dir)

    agent_port = free_port()
    box = make_box(workdir / "box", agent_port, args.agents)
    original_fastagi = agi.FastAGI
    agi.FastAGI = TimedFastAGI
    result: dict = {}
    bench = None
    try:
        t_box = time.monotonic()
        box.start()
        version = box.ami.action("CoreSettings").get("AsteriskVersion")
        box.ami.close()          # see the module docstring (AMI)
        box.ami = None
        box_start_s = time.monotonic() - t_box
        bench = Bench(box=box, sipp_dir=sipp_dir, out_dir=workdir / "steps", agent_port=agent_port,
                      step_s=args.step_s, talk_ms=args.talk_ms,
                      deadline=started + args.budget_s,
                      asterisk_pid=process_tree_pid(box.asterisk.proc.pid, "asterisk"),
                      recording=box.db.execute("SELECT record FROM queues WHERE name = 'support'")
                      .fetchone()[0] == "all")
        print(f"bench.call_rate: Asterisk {version}, {os.cpu_count()} cores, "
              f"{args.step_s}s per step, workdir {workdir}", flush=True)
        smoke(bench)
        paths = {}
        for path in [x.strip() for x in args.paths.split(",") if x.strip()]:
            paths[path] = bench.search(path, args.start, args.cap)
        result = report(paths, version, args, box_start_s, time.monotonic() - started)
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


def report(paths: dict, version: str, args, box_start_s: float, run_s: float) -> dict:
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
                        "agi_get_data_p99_ms", "queue_hold_s_max"):
                entry[key] = best.get(key)
        out_paths[name] = entry
    noisy = [f"{name}@{s['rate']}cps" for name, r in paths.items()
             for s in r["steps"] if s["noisy"]]
    ivr = out_paths.get("ivr_queue", {}).get("max_clean_rate_cps")
    plain = out_paths.get("plain", {}).get("max_clean_rate_cps")
    return {
        "benchmark": "call_rate",
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "asterisk_version": version,
        "parameters": {"step_s": args.step_s, "ramp_start_cps": args.start,
                       "ramp_cap_cps": args.cap,
                       "talk_ms": args.talk_ms, "dtmf_delay_ms": DTMF_DELAY_MS,
                       "bench_agents": args.agents, "budget_s": args.budget_s,
                       "rtp_ports": list(RTP_RANGE)},
        "paths": out_paths,
        "ratio": round(ivr / plain, 3) if ivr and plain else None,
        "agi_session_p50_ms": out_paths.get("ivr_queue", {}).get("agi_session_p50_ms"),
        "agi_session_p99_ms": out_paths.get("ivr_queue", {}).get("agi_session_p99_ms"),
        "agi_cmd_p50_ms": out_paths.get("ivr_queue", {}).get("agi_cmd_p50_ms"),
        "agi_cmd_p99_ms": out_paths.get("ivr_queue", {}).get("agi_cmd_p99_ms"),
        "box_start_s": round(box_start_s, 1),
        "machine_quiet": not noisy,
        "steps_with_other_load": noisy,
        "notes": [
            "ratio = ivr_queue.max_clean_rate_cps / plain.max_clean_rate_cps, both measured in one "
            "run on the same Asterisk; the ratio prices the whole product path (AGI IVR, queue, "
            "agent leg, MixMonitor recording, CDR/queue_log), not AGI alone.",
            "ivr_queue: DID 100 -> FastAGI IVR 'main' -> key 1 by SIP INFO 1 s after answer -> "
            "queue 'support' -> SIPp agent answers after 300 ms ringing, talks talk_ms, hangs up. "
            "MixMonitor recording is ON (part of the path); files are counted, then deleted.",
            "plain: DID 199 -> Answer/Playback(hello-world, 1.42 s)/Hangup, no AGI (bench-only "
            "dialplan appended to the rendered extensions.conf).",
            "Both callers and the agent stream a-law RTP (tone.al) for the whole call.",
            "Overload leaves a mark: after an unclean step this Asterisk stays slower per call "
            "(RSS does not come back); steps have after_overload, and max_clean_rate_ramp_cps "
            "is the ramp's answer before this path's first unclean step (bisection steps run "
            "after it). ivr_queue runs first, so plain runs after ivr_queue's (mild) overload.",
            "Clean step = zero failed calls in SIPp and zero SIP retransmissions by the caller "
            "(every INVITE/INFO answered within T1 = 500 ms, i.e. the rate is sustained, not "
            "piling up), calls placed on time and finished within step + 15 s, no channels left; "
            "ivr_queue also: CONNECT per call in queue_log, key heard by the IVR, no agent/AGI "
            "failure, one recording per connect.",
            "Per step: other_cpu_s = machine-wide process CPU (/proc/stat user+nice+system) minus "
            "Asterisk, this process and SIPp; of it, kernel_threads_cpu_s (mostly our own side "
            "effects: RCU reclaim of sockets/threads, writeback) and other_jobs_cpu_s (user "
            "processes of other jobs, top ones in other_top); irq_softirq_cpu_s is mostly our "
            "loopback packets. machine_quiet is false if in any step other jobs plus hypervisor "
            "steal took > 0.15 cores on average (results then understate the machine).",
            "AGI: agi_session_* = box.agi_server.durations (handler run, includes GET DATA "
            "waiting ~1 s for the caller's key); agi_cmd_* = per command send->result for the "
            "non-media commands (GET VARIABLE, SET VARIABLE); agi_think_* = Asterisk's last line "
            "-> our next command (server-side Python time); timed by a FastAGI subclass.",
            "Bench-only changes: agents 3001.. with static contacts at one SIPp UAS added to queue "
            "'support' (ringinuse=no stays); RTP range widened to 10000-19998; DevBox's AMI client "
            "closed during traffic (it shares the GIL with the FastAGI server here).",
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
    print(f"  ratio ivr_queue/plain = {result['ratio']}")
    if not result.get("machine_quiet", True):
        print(f"  WARNING: other jobs used the CPUs during {result['steps_with_other_load']}")
    print(f"  AGI at max clean rate: session p50 {result['agi_session_p50_ms']} ms, p99 "
          f"{result['agi_session_p99_ms']} ms; per command p50 {result['agi_cmd_p50_ms']} ms, "
          f"p99 {result['agi_cmd_p99_ms']} ms")
    print(f"  -> {out}")


if __name__ == "__main__":
    sys.exit(main())
