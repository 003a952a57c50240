"""Reading Asterisk's queue_log and CDR (cdr-csv Master.csv) into the report tables.

Every queue_log line is stored once in `ql_events` (id = epoch << 32 | crc32 of the line),
and only lines not stored before drive the state machine that writes `report_calls` (one
row per caller per queue visit; a journey = the caller's uniqueid) and `report_agent_time`
(sessions and pauses).  CDR rows go to `report_cdr` the same way.  Where reading got to
(the file's first line as its signature, the byte offset of complete lines) and the
unfinished calls and agents are committed in `report_ingest` in the same transaction as
the rows they produced, so a crash, a restart, a log rotation or the same lines delivered
twice never count anything twice, and a half-written last line waits for the next read.

Calls that never finish (Asterisk crashed mid-call): their rows stay waiting/talking until
the journey has had no event for STALE_S (6 hours, by the queue_log's own clock); it is
then closed at its last event - unanswered/unknown if nobody answered, else answered/unknown
with the talk time up to that last event.

Agents: Asterisk logs ADDMEMBER/REMOVEMEMBER with the interface (PJSIP/101,
log_membername_as_agent=no) and call and pause events with the member name; both become
the extension (a name through the agents table; NONE -> '').  A desk pause is logged as
PAUSEALL plus one PAUSE per queue in the same second: one pause.  The recording path
(our INFO|REC line) is put on the parts an agent answered.

It never changes a line it reads, never stops on a malformed line (skipped, counted,
logged) and never reads the report tables back per line: open calls and agents are in memory.
"""
from __future__ import annotations

import calendar
import csv
import gc
import json
import logging
import operator
import os
import re
import time
import zlib
from pathlib import Path

from ..store.db import transaction
from .rollup import mark_dirty
from ..telephony.live import endpoint_of, extension_of
from ..telephony.skills import base_queue
from ..telephony.callbacks import UID_PREFIX as CALLBACK_PLACEHOLDER

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20            # ~13 000 queue_log lines in memory at a time
COMMIT_BYTES = 8 << 20           # a backlog is committed every ~100 000 lines (fewer page writes)
STALE_S = 6 * 3600               # an open journey without events this long is closed
CLOSED_KEEP_S = 600              # a finished journey is remembered this long (overflows)
MIN_EPOCH, MAX_EPOCH = 946684800, 2 ** 31 - 1
SIGNATURE_BYTES = 4096

CALL_COLS = ("callid", "part", "queue", "entered", "connected", "ended", "caller", "did",
             "ivr", "status", "reason", "agent", "wait", "talk", "ring", "attempts",
             "position", "origposition", "key", "transfer", "recording")
AGENT_COLS = ("agent", "kind", "start", "end", "reason", "queues")
CDR_COLS = ("id", "start", "answer", "end", "src", "dst", "dcontext", "channel", "dstchannel",
            "lastapp", "duration", "billsec", "disposition", "uniqueid", "userfield",
            "direction", "agent")

_CALL_ROW = operator.itemgetter(*CALL_COLS)
_AGENT_ROW = operator.itemgetter(*AGENT_COLS)
_UPSERT_CALL = (
    f"INSERT INTO report_calls({', '.join(CALL_COLS)}) VALUES ({', '.join('?' * len(CALL_COLS))}) "
    "ON CONFLICT(callid, queue, entered) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CALL_COLS
                if c not in ("callid", "queue", "entered")))
_UPSERT_AGENT = (
    f"INSERT INTO report_agent_time({', '.join(AGENT_COLS)}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(agent, kind, start) DO UPDATE SET end = excluded.end, "
    "reason = excluded.reason, queues = excluded.queues")

# data fields an event must carry to be understood (fewer: a malformed line)
_MIN_DATA = {"ENTERQUEUE": 2, "CONNECT": 1, "COMPLETECALLER": 2, "COMPLETEAGENT": 2,
             "ABANDON": 3, "EXITWITHTIMEOUT": 3, "EXITEMPTY": 3, "EXITWITHKEY": 4,
             "TRANSFER": 4, "BLINDTRANSFER": 4, "ATTENDEDTRANSFER": 4, "DID": 1, "INFO": 2,
             "FULL": 1, "JOINEMPTY": 1}
_EVENT = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_EXIT_REASON = {"ABANDON": "abandon", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "empty",
                "EXITWITHKEY": "key", "WITHDRAW": "withdraw"}


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        try:
            return int(float(text))
        except (TypeError, ValueError):
            return default


def _int_or_none(text: str) -> int | None:
    v = _int(text, -1)
    return v if v >= 0 else None


class Ingestor:
    """Reads whatever is new in the queue_log (and the CDR) into the report tables."""

    def __init__(self, db, queue_log: Path, cdr: Path | None = None, *,
                 budget_s: float | None = None) -> None:
        """`budget_s`: stop reading after about this long (the rest on the next call, `more`
        says there is some); None reads to the end."""
        self.db = db
        self.budget_s = budget_s
        self.more = False
        self._deadline: float | None = None
        self.queue_log = Path(queue_log)
        self.cdr = Path(cdr) if cdr else None
        self.malformed = 0
        self._names: dict[str, str] = {}
        self._agent_cache: dict[str, str] = {}
        self._loaded = False
        self.journeys: dict[str, dict] = {}
        self.agents: dict[str, dict] = {}
        self.latest = 0
        self._dirty_calls: dict[tuple, dict] = {}
        self._dirty_agents: dict[tuple, dict] = {}

    # -- the public entry ----------------------------------------------------------------

    def run_once(self) -> dict:
        """Read what is new in both files; {"queue_log": new lines, "cdr": new rows,
        "malformed": lines skipped}."""
        self._load_names()
        if not self._loaded:
            self._load_state()
        before = self.malformed
        self.more = False
        self._deadline = time.monotonic() + self.budget_s if self.budget_s else None
        collecting = gc.isenabled()
        gc.disable()      # no cycles here; scanning the chunk's objects cost ~1/3 of the time
        try:
            lines = self._read_source("queue_log", self.queue_log, self._queue_log_chunk)
            rows = self._read_source("cdr", self.cdr, self._cdr_chunk) if self.cdr else 0
        except BaseException:
            # the chunk was rolled back: forget what memory made of it, start again from
            # the state committed with the last offset
            self._loaded = False
            self._dirty_calls, self._dirty_agents = {}, {}
            raise
        finally:
            if collecting:
                gc.enable()
        return {"queue_log": lines, "cdr": rows, "malformed": self.malformed - before}

    # -- files: signature, offset, rotation ----------------------------------------------

    def _read_source(self, source: str, path: Path, handle) -> int:
        row = self.db.execute("SELECT signature, offset FROM report_ingest WHERE source = ?",
                              [source]).fetchone()
        signature, offset = (row[0], row[1]) if row else ("", 0)
        current = _first_line(path)
        count = 0
        rotated = bool(signature) and (current != signature or _size(path) < offset)
        if rotated:
            old = _sibling_with(path, signature)
            if old is not None:
                log.info("%s was rotated; finishing %s from byte %d", path, old, offset)
                count += self._read_file(source, old, offset, signature, handle, final=True)
                if self.more:
                    return count       # the old file first, to its end, on the next call
            else:
                log.warning("%s was rotated and the old file (first line %r) is not beside "
                            "it; lines after byte %d of it are lost to the reports",
                            path, signature[:80], offset)
            signature, offset = current or "", 0
            self._save_position(source, signature, 0)
        if current is None:
            return count
        if not signature:
            signature = current
        return count + self._read_file(source, path, offset, signature, handle, final=False)

    def _read_file(self, source: str, path: Path, offset: int, signature: str, handle,
                   final: bool) -> int:
        count = 0
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return 0
        conn = self.db.conn
        outer = conn.in_transaction          # a caller's transaction: theirs to commit
        with f:
            f.seek(offset)
            batch = 0
            try:
                while True:
                    data = f.read(CHUNK_BYTES)
                    if not data:
                        break
                    end = data.rfind(b"\n") + 1
                    if end == 0:
                        if final or len(data) == CHUNK_BYTES:   # a finished file / an endless line
                            end = len(data)
                        else:
                            break                               # still being written
                    elif final and len(data) < CHUNK_BYTES:
                        end = len(data)
                    lines = data[:end].split(b"\n")
                    if lines and not lines[-1]:
                        lines.pop()
                    offset += end
                    if not conn.in_transaction:
                        conn.execute("BEGIN IMMEDIATE")
                        batch = 0
                    count += handle(lines, source, signature, offset)   # joins it
                    batch += end
                    if batch >= COMMIT_BYTES and not outer:
                        conn.execute("COMMIT")
                    if self._deadline is not None and time.monotonic() > self._deadline:
                        self.more = True
                        break
                    f.seek(offset)
            except BaseException:
                if conn.in_transaction and not outer:
                    conn.execute("ROLLBACK")
                raise
            if conn.in_transaction and not outer:
                conn.execute("COMMIT")
        return count

    def _save_position(self, source: str, signature: str, offset: int) -> None:
        with transaction(self.db):
            self._write_position(source, signature, offset)

    def _write_position(self, source: str, signature: str, offset: int) -> None:
        state = self._state_json() if source == "queue_log" else "{}"
        self.db.execute(
            "INSERT INTO report_ingest(source, signature, offset, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
            "signature = excluded.signature, "
            "offset = excluded.offset, state = excluded.state, updated_at = excluded.updated_at",
            [source, signature, offset, state, time.time()])

    # -- queue_log ---------------------------------------------------------------------

    def _queue_log_chunk(self, lines: list[bytes], source: str, signature: str, offset: int) -> int:
        parsed = []
        bad: list[bytes] = []
        append = parsed.append
        cache, resolve = self._agent_cache, self._agent
        good_events, min_data, crc32 = _GOOD_EVENTS, _MIN_DATA, zlib.crc32
        for raw in lines:
            try:
                line = raw.decode()
                parts = line.split("|", 5)
                at = int(parts[0])
                event = parts[4]
            except (UnicodeDecodeError, ValueError, IndexError):
                bad.append(raw)
                continue
            data = parts[5] if len(parts) > 5 else ""
            need = min_data.get(event)
            if (need and data.count("|") + 1 < need) or not MIN_EPOCH <= at <= MAX_EPOCH \
                    or "\x00" in line:
                bad.append(raw)
                continue
            if event not in good_events:
                if not _EVENT.match(event):
                    bad.append(raw)
                    continue
                good_events.add(event)
            queue = parts[2]
            if "." in queue:
                # skills routing's "<queue>.<lang>" (telephony.skills) is its queue here; an
                # agent's login/pause lines repeat per variant, the queue's own count
                if event in _VARIANT_SKIPPED:
                    continue
                queue = base_queue(queue)
            agent = cache.get(parts[3])
            if agent is None:
                agent = resolve(parts[3])
            append(((at << 32) | crc32(raw), at, parts[1], queue, agent, event, data))
        if bad:
            self.malformed += len(bad)
            log.warning("queue_log: skipped %d malformed line(s), e.g. %r", len(bad), bad[0][:120])
        new = _unseen(self.db, "ql_events", parsed)
        handle = self._handle
        for p in new:
            handle(p[1], p[2], p[3], p[4], p[5], p[6])
        if new:
            self._sweep()
        with transaction(self.db):
            if new:
                self.db.conn.executemany(
                    "INSERT OR IGNORE INTO ql_events(id, at, callid, queue, agent, event, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    new)
            self._flush()
            self._write_position(source, signature, offset)
        return len(new)

    def _flush(self) -> None:
        if self._dirty_calls:
            self.db.conn.executemany(_UPSERT_CALL, map(_CALL_ROW, self._dirty_calls.values()))
            # the hours written, for the hourly rollup: in the same transaction, so a
            # report never takes an hour from the rollup that misses these rows
            mark_dirty(self.db.conn, {p["entered"] for p in self._dirty_calls.values()})
            self._dirty_calls = {}
        if self._dirty_agents:
            self.db.conn.executemany(_UPSERT_AGENT, map(_AGENT_ROW, self._dirty_agents.values()))
            self._dirty_agents = {}

    def _load_names(self) -> None:
        try:
            names = dict(self.db.execute("SELECT name, extension FROM agents"))
        except Exception:
            names = {}
        if names != self._names:
            self._names, self._agent_cache = names, {}

    def _agent(self, raw: str) -> str:
        """The queue_log agent field -> the agent's extension: 'PJSIP/101' -> '101', a member
        name -> its extension, 'NONE' -> ''; anything else as logged."""
        ext = self._agent_cache.get(raw)
        if ext is None:
            if raw in ("NONE", ""):
                ext = ""
            else:
                ext = extension_of(raw) or self._names.get(raw) or raw
            self._agent_cache[raw] = ext
        return ext

    # -- the state machine -------------------------------------------------------------

    def _handle(self, at: int, callid: str, queue: str, agent: str, event: str,
                fields: str) -> None:
        if at > self.latest:
            self.latest = at
        if event in _AGENT_EVENTS:
            self._agent_event(at, queue, agent, event, fields.split("|", 1)[0])
            return
        if callid == "NONE" or not callid or callid.startswith(CALLBACK_PLACEHOLDER):
            return      # a callback's placeholder keeps a caller's place: no call of its own
        data = fields.split("|")
        if event in ("RINGNOANSWER", "RINGCANCELED"):
            p = self._open_part(callid, queue, at)
            if p is not None:
                p["attempts"] += 1
                self._dirty(p)
        elif event == "ENTERQUEUE":
            j = self._journey(callid, at)
            old = j["open"].get(queue)
            if old is not None:
                self._close_stale(j, old, at)
            p = self._new_part(j, callid, queue, at)
            p["caller"] = data[1]
            p["origposition"] = _int_or_none(data[2]) if len(data) > 2 else None
            j["open"][queue] = p
            self._dirty(p)
        elif event == "CONNECT":
            hold = _int(data[0])
            p = self._part(callid, queue, at, at - hold)
            if p is None:
                return
            j = self.journeys[callid]
            p.update(status="talking", connected=at, wait=hold, agent=agent,
                     ring=_int(data[2]) if len(data) > 2 else 0, attempts=p["attempts"] + 1)
            if j["rec"]:
                p["recording"] = j["rec"]
            self._dirty(p)
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
            hold, talk = _int(data[0]), _int(data[1])
            p = self._part(callid, queue, at, at - talk - hold)
            if p is not None:
                self._answered(p, at, hold, talk, agent,
                               "caller" if event == "COMPLETECALLER" else "agent")
        elif event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
            hold, talk = _int(data[2]), _int(data[3])
            p = self._part(callid, queue, at, at - talk - hold)
            if p is None:
                return
            p["transfer"] = (data[0] if event != "ATTENDEDTRANSFER"
                             else f"{data[0]}:{data[1]}" if data[1] else data[0])[:200]
            self._answered(p, at, hold, talk, agent, "transfer")
        elif event in _EXIT_REASON:
            if event == "EXITWITHKEY":
                key, data = data[0], data[1:]
            else:
                key = ""
            wait = _int(data[2]) if len(data) > 2 else 0
            p = self._part(callid, queue, at, at - wait)
            if p is None:
                return
            p.update(status="unanswered", reason=_EXIT_REASON[event], key=key, ended=at,
                     wait=wait if len(data) > 2 else max(0, at - p["entered"]),
                     position=_int_or_none(data[0]) if data else None)
            if len(data) > 1 and p["origposition"] is None:
                p["origposition"] = _int_or_none(data[1])
            self._close(p)
        elif event == "DID":
            j = self._journey(callid, at)
            j["did"] = data[0]
            for p in j["open"].values():
                if not p["did"]:
                    p["did"] = data[0]
                    self._dirty(p)
        elif event == "INFO":
            j = self._journey(callid, at)
            what, value = data[0], "|".join(data[1:])
            if what == "IVR":
                j["ivr"] = value
                for p in j["open"].values():
                    p["ivr"] = value
                    self._dirty(p)
            elif what == "REC":
                j["rec"] = value
                for p in j["open"].values():
                    if p["connected"] is not None:
                        p["recording"] = value
                        self._dirty(p)
            elif what == "CALLBACK" and value.startswith("requested"):
                self._callback_requested(callid, queue)
        elif event in ("FULL", "JOINEMPTY"):
            j = self._journey(callid, at)
            p = self._new_part(j, callid, queue, at)
            p.update(caller=data[0], status="unanswered", reason=event.lower(), ended=at)
            self._dirty(p)
        else:
            j = self.journeys.get(callid)
            if j is not None:
                j["last"] = max(j["last"], at)

    def _callback_requested(self, callid: str, queue: str) -> None:
        """The caller left the queue with its callback key and was promised a call back: the
        visit ends 'callback', not 'key' (nor an abandon).  The line follows EXITWITHKEY, so
        the part is closed: still unwritten in memory, or already in report_calls."""
        for p in self._dirty_calls.values():
            if p["callid"] == callid and p["queue"] == queue and p["reason"] == "key":
                p["reason"] = "callback"
                return
        row = self.db.conn.execute(
            "SELECT id, entered FROM report_calls WHERE callid = ? AND queue = ? AND "
            "reason = 'key' ORDER BY part DESC LIMIT 1", [callid, queue]).fetchone()
        if row:
            self.db.conn.execute("UPDATE report_calls SET reason = 'callback' WHERE id = ?",
                                 [row[0]])
            mark_dirty(self.db.conn, {row[1]})

    def _journey(self, callid: str, at: int) -> dict:
        j = self.journeys.get(callid)
        if j is None:
            j = self.journeys[callid] = {"n": 0, "did": "", "ivr": "", "rec": "", "last": at,
                                         "open": {}, "q": []}
        elif at > j["last"]:
            j["last"] = at
        return j

    def _new_part(self, j: dict, callid: str, queue: str, entered: int) -> dict:
        j["n"] += 1
        if queue not in j["q"]:
            j["q"].append(queue)
        return {"callid": callid, "part": j["n"], "queue": queue, "entered": entered,
                "connected": None, "ended": None, "caller": "", "did": j["did"],
                "ivr": j["ivr"], "status": "waiting", "reason": "", "agent": "", "wait": 0,
                "talk": 0, "ring": 0, "attempts": 0, "position": None, "origposition": None,
                "key": "", "transfer": "", "recording": ""}

    def _open_part(self, callid: str, queue: str, at: int) -> dict | None:
        j = self.journeys.get(callid)
        if j is None:
            return None
        if at > j["last"]:
            j["last"] = at
        return j["open"].get(queue)

    def _part(self, callid: str, queue: str, at: int, entered: int) -> dict | None:
        """The caller's open part in this queue; for a call whose ENTERQUEUE we never saw
        (reading began mid-call) a part starting where the event's own times place it;
        None when the part was already closed (e.g. the COMPLETE after a transfer)."""
        p = self._open_part(callid, queue, at)
        if p is not None:
            return p
        j = self._journey(callid, at)
        if queue in j["q"]:
            return None
        if not j["n"] and self.db.execute(   # rare: a journey forgotten, a late event
                "SELECT 1 FROM report_calls WHERE callid = ? AND queue = ?",
                [callid, queue]).fetchone():
            j["q"].append(queue)
            return None
        p = self._new_part(j, callid, queue, entered)
        j["open"][queue] = p
        return p

    def _answered(self, p: dict, at: int, hold: int, talk: int, agent: str, reason: str) -> None:
        if p["status"] in ("answered", "unanswered"):
            return        # e.g. the COMPLETE that can follow a transfer
        if p["connected"] is None:
            p.update(connected=at - talk, wait=hold, agent=agent, attempts=p["attempts"] + 1)
        if not p["agent"]:
            p["agent"] = agent
        p.update(status="answered", reason=reason, talk=talk, ended=at)
        j = self.journeys[p["callid"]]
        if j["rec"] and not p["recording"]:
            p["recording"] = j["rec"]
        self._close(p)

    def _close(self, p: dict) -> None:
        j = self.journeys.get(p["callid"])
        if j is not None and j["open"].get(p["queue"]) is p:
            del j["open"][p["queue"]]
        self._dirty(p)

    def _close_stale(self, j: dict, p: dict, last: int) -> None:
        if p["connected"] is not None:
            p.update(status="answered", reason="unknown", ended=last,
                     talk=max(0, last - p["connected"]))
        else:
            p.update(status="unanswered", reason="unknown", ended=last,
                     wait=max(0, last - p["entered"]))
        self._close(p)

    def _dirty(self, p: dict) -> None:
        self._dirty_calls[id(p)] = p       # kept alive by this dict until flushed

    def _sweep(self) -> None:
        """Close journeys silent for STALE_S; forget finished ones after CLOSED_KEEP_S."""
        stale, forget = self.latest - STALE_S, self.latest - CLOSED_KEEP_S
        for callid, j in list(self.journeys.items()):
            if j["open"]:
                if j["last"] < stale:
                    for p in list(j["open"].values()):
                        self._close_stale(j, p, j["last"])
                    del self.journeys[callid]
            elif j["last"] < forget:
                del self.journeys[callid]

    # -- agents ------------------------------------------------------------------------

    def _agent_event(self, at: int, queue: str, ext: str, event: str, reason: str) -> None:
        if not ext:
            return
        a = self.agents.get(ext)
        if a is None:
            a = self.agents[ext] = {"queues": [], "flags": [], "session": None, "pause": None}
        if event == "ADDMEMBER":
            if queue not in a["queues"]:
                a["queues"].append(queue)
            s = a["session"]
            if s is None:
                s = a["session"] = {"agent": ext, "kind": "session", "start": at, "end": None,
                                    "reason": "", "queues": queue}
            elif queue not in s["queues"].split(","):
                s["queues"] += "," + queue
            self._dirty_agents[(ext, "session", s["start"])] = s
        elif event == "REMOVEMEMBER":
            if queue in a["queues"]:
                a["queues"].remove(queue)
            if queue in a["flags"]:
                a["flags"].remove(queue)
            if not a["queues"]:
                if a["session"] is not None:
                    a["session"]["end"] = at
                    self._dirty_agents[(ext, "session", a["session"]["start"])] = a["session"]
                    a["session"] = None
                a["flags"] = []
            if not a["flags"]:
                self._end_pause(a, ext, at)
        else:   # PAUSE / PAUSEALL / UNPAUSE / UNPAUSEALL (see live.LiveState.load_queue_log)
            flags = a["flags"]
            key = "*" if event.endswith("ALL") else queue
            if event.startswith("PAUSE"):
                if key not in flags:
                    flags.append(key)
                p = a["pause"]
                if p is None:
                    p = a["pause"] = {"agent": ext, "kind": "pause", "start": at, "end": None,
                                      "reason": reason, "queues": ""}
                elif reason and reason != p["reason"]:
                    if p["start"] == at or not p["reason"]:
                        p["reason"] = reason          # the same pause, its reason logged later
                    else:                              # a new reason: a new pause
                        self._end_pause(a, ext, at)
                        p = a["pause"] = {"agent": ext, "kind": "pause", "start": at,
                                          "end": None, "reason": reason, "queues": ""}
                self._dirty_agents[(ext, "pause", p["start"])] = p
            else:
                if key == "*":
                    flags.clear()
                else:
                    for k in (key, "*"):
                        if k in flags:
                            flags.remove(k)
                if not flags:
                    self._end_pause(a, ext, at)
        if not a["queues"] and not a["flags"] and a["session"] is None and a["pause"] is None:
            del self.agents[ext]

    def _end_pause(self, a: dict, ext: str, at: int) -> None:
        p = a["pause"]
        if p is not None:
            p["end"] = at
            self._dirty_agents[(ext, "pause", p["start"])] = p
            a["pause"] = None

    # -- state kept between reads ------------------------------------------------------

    def _state_json(self) -> str:
        return json.dumps({"latest": self.latest, "journeys": self.journeys,
                           "agents": self.agents}, separators=(",", ":"))

    def _load_state(self) -> None:
        row = self.db.execute(
            "SELECT state FROM report_ingest WHERE source = 'queue_log'").fetchone()
        self._loaded = True
        self.latest, self.journeys, self.agents = 0, {}, {}
        if not row:
            return
        try:
            state = json.loads(row[0] or "{}")
        except ValueError:
            log.error("report_ingest state unreadable; open calls start afresh")
            return
        self.latest = state.get("latest", 0)
        self.journeys = state.get("journeys", {})
        self.agents = state.get("agents", {})

    # -- CDR ---------------------------------------------------------------------------

    def _cdr_chunk(self, lines: list[bytes], source: str, signature: str, offset: int) -> int:
        rows, bad = [], []
        for raw in lines:
            try:
                text = raw.decode()
                fields = next(csv.reader([text]))
                if len(fields) < 17 or "\x00" in text:
                    raise ValueError("columns")
                start = _utc(fields[9])
                end = _utc(fields[11])
                answer = _utc(fields[10]) if fields[10] else None
            except (UnicodeDecodeError, ValueError, StopIteration, csv.Error):
                bad.append(raw)
                continue
            userfield = fields[17] if len(fields) > 17 else ""
            if fields[3] == "jns-outbound":
                direction, agent = "out", endpoint_of(fields[5])
            elif userfield.startswith("did="):
                direction, agent = "in", ""
            else:
                direction, agent = "internal", ""
            rows.append(((start << 32) | zlib.crc32(raw), start, answer, end, fields[1],
                         fields[2], fields[3], fields[5], fields[6], fields[7],
                         _int(fields[12]), _int(fields[13]), fields[14], fields[16], userfield,
                         direction, agent))
        if bad:
            self.malformed += len(bad)
            log.warning("cdr: skipped %d malformed row(s), e.g. %r", len(bad), bad[0][:120])
        new = _unseen(self.db, "report_cdr", rows)
        with transaction(self.db):
            if new:
                self.db.conn.executemany(
                    f"INSERT OR IGNORE INTO report_cdr({', '.join(CDR_COLS)}) "
                    f"VALUES ({', '.join('?' * len(CDR_COLS))})", new)
            self._write_position(source, signature, offset)
        return len(new)


_AGENT_EVENTS = frozenset(("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "PAUSEALL", "UNPAUSE",
                           "UNPAUSEALL"))
# member lines of a skills variant: the same agent's session in the queue itself counts
_VARIANT_SKIPPED = _AGENT_EVENTS | {"AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN",
                                    "AGENTCALLBACKLOGOFF"}
_GOOD_EVENTS: set[str] = set()
_HOURS: dict[str, int] = {}


def _utc(text: str) -> int:
    """'2026-11-26 10:00:00' (cdr-csv with usegmtime) -> epoch seconds."""
    hour = text[:13]
    base = _HOURS.get(hour)
    if base is None:
        if len(text) != 19 or text[10] != " " or text[13] != ":" or text[16] != ":":
            raise ValueError(f"not a CDR time: {text!r}")
        base = calendar.timegm(time.strptime(hour, "%Y-%m-%d %H"))
        if len(_HOURS) > 4096:
            _HOURS.clear()
        _HOURS[hour] = base
    elif len(text) != 19 or text[16] != ":":
        raise ValueError(f"not a CDR time: {text!r}")
    return base + int(text[14:16]) * 60 + int(text[17:19])


def _unseen(db, table: str, rows: list[tuple]) -> list[tuple]:
    """The rows (id first) not stored yet and not twice in `rows`: one range query over the
    batch's ids, no query per row."""
    if not rows:
        return rows
    seen = {r[0] for r in db.execute(f"SELECT id FROM {table} WHERE id BETWEEN ? AND ?",
                                     [min(rows)[0], max(rows)[0]])}
    if not seen and len({r[0] for r in rows}) == len(rows):
        return rows                      # the usual case: all new
    new = []
    for r in rows:
        if r[0] not in seen:
            seen.add(r[0])
            new.append(r)
    return new


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _first_line(path: Path) -> str | None:
    """The file's first complete line (its signature), or None while it has none."""
    try:
        with open(path, "rb") as f:
            head = f.read(SIGNATURE_BYTES)
    except (FileNotFoundError, IsADirectoryError):
        return None
    end = head.find(b"\n")
    if end < 0:
        return None if len(head) < SIGNATURE_BYTES else head.decode(errors="replace")
    return head[:end].decode(errors="replace")


def _sibling_with(path: Path, signature: str) -> Path | None:
    """The rotated file (queue_log.0, queue_log.1, queue_log-20261126, ...) whose first line
    is `signature`."""
    try:
        names = sorted(os.listdir(path.parent))
    except FileNotFoundError:
        return None
    for name in names:
        if name != path.name and name.startswith(path.name) and name[len(path.name)] in ".-_" \
                and not name.endswith((".gz", ".xz", ".bz2", ".zst")):
            candidate = path.parent / name
            if _first_line(candidate) == signature:
                return candidate
    return None


def ingest_files(db, queue_log: Path, cdr: Path | None = None) -> dict:
    """Read what is new in the queue_log (and the CDR) into the report tables."""
    return Ingestor(db, queue_log, cdr).run_once()
