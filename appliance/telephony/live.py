"""The live picture of the call center, built from Asterisk's AMI events (pure model).

LiveState is fed AMI event dicts (`apply`), status action results after every (re)connection
(`load_status`), the database's agents and queues (`set_agents`, `set_queues`) and today's
queue_log lines (`load_queue_log`).  It answers with the changes a wallboard must show,
as (kind, id, data) tuples (data None = gone), and with the whole `snapshot`.

Only facts Asterisk reported are shown: a rebuild replaces every call, member and caller,
so nothing stale stays after a reconnect.  Counters of today are keyed by the caller's
uniqueid, so the same answer read from AMI and from queue_log counts once.

Meaning of a few numbers (the snapshot's shape is the shared design of issue 6):
- an agent's `today.talk_s` and `today.pause_s` hold finished calls and pauses; while on a
  call or paused the page adds now - answered_at / now - paused_since itself (as it counts
  wait and talk times up), so nothing is sent every second;
- a queue's `busy` counts members ringing, on a call or in wrap-up (none of them can take
  a call now); `free` = logged_in - paused - busy - unavailable;
- `abandoned_today` counts callers who hung up in the queue and queue timeouts
  (EXITWITHTIMEOUT, from queue_log: it has no AMI event); `service_level_today` is the
  inclusive one: answered within sl_seconds / (answered + abandoned + timeouts);
- while Asterisk is away there are no calls and no queue memberships: the configured
  agents stay listed, logged out (desk login) or unavailable (always in their queues).

It must never open sockets or files, start threads or talk to Asterisk: jns-calld
(appliance.telephony.calld) does the I/O and feeds this model under its lock.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Iterable

from .skills import base_queue

Change = tuple[str, str, "dict | list | None"]

DEFAULT_SL_SECONDS = 20
# QueueMember Status (AST_DEVICE_*): 0 unknown, 1 not in use, 2 in use, 3 busy, 4 invalid,
# 5 unavailable, 6 ringing, 7 ringing while in use, 8 on hold
IN_CALL_STATUS = {"2", "3", "7", "8"}
RINGING_STATUS = {"6"}
UNAVAILABLE_STATUS = {"4", "5"}
TRUNK_CONTEXTS = {"from-trunk", "jns-inbound"}
_ENDPOINT = re.compile(r"^(?:PJSIP|SIP|IAX2|DAHDI)/([^-/]+)")
_INTERFACE = re.compile(r"^(?:PJSIP|SIP|IAX2|Local)/([^@/-]+)")


def endpoint_of(channel: str) -> str:
    """'PJSIP/101-00000001' -> '101' (the endpoint the channel belongs to)."""
    m = _ENDPOINT.match(channel or "")
    return m.group(1) if m else ""


def extension_of(interface: str) -> str:
    """A queue member's interface 'PJSIP/101' (or 'Local/101@...') -> '101'."""
    m = _INTERFACE.match(interface or "")
    return m.group(1) if m else ""


def _day(now: float) -> tuple[int, int, int]:
    return time.localtime(now)[:3]


def _num(value, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _duration(text: str) -> float:
    """CoreShowChannel Duration 'HH:MM:SS' -> seconds."""
    try:
        h, m, s = (int(x) for x in (text or "0:0:0").split(":"))
        return h * 3600 + m * 60 + s
    except ValueError:
        return 0.0


class LiveState:
    """Calls, agents and queues as Asterisk reports them; see the module docstring."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = 0
        self.connected = False
        self.since: float | None = None
        self.alarms: list[dict] = []
        # from the database
        self._agents_db: dict[str, dict] = {}
        self._queues_db: dict[str, dict] = {}
        self._names: dict[str, str] = {}        # member name -> extension (queue_log agent field)
        # from Asterisk
        self._channels: dict[str, dict] = {}    # uniqueid -> channel facts
        self._by_name: dict[str, str] = {}      # channel name -> uniqueid
        self._lid_uids: dict[str, set[str]] = {}   # linkedid -> uniqueids (index)
        self._ep_uids: dict[str, set[str]] = {}    # endpoint -> uniqueids (index)
        self._ext_queues: dict[str, set[str]] = {}  # member extension -> queues (index)
        self._queue_exts: dict[str, set[str]] = {}  # queue -> member extensions (index)
        self._bridges: dict[str, set[str]] = {}  # bridge id -> uniqueids
        self._members: dict[tuple[str, str], dict] = {}   # (queue, ext) -> member facts
        self._callers: dict[str, dict[str, dict]] = {}    # queue -> {linkedid: entry}
        self._calls: dict[str, dict] = {}       # linkedid -> call facts not derived
        self._agent_runtime: dict[str, dict] = {}   # ext -> state, state_since, paused_since
        # today
        self._today = None
        self._reset_today(0.0)
        self._views: dict[str, dict] = {"call": {}, "agent": {}, "queue": {}}
        self._full = True   # the next diff rebuilds every view

    # -- today's counters --------------------------------------------------------------

    def _reset_today(self, now: float) -> None:
        self._today = _day(now) if now else None
        self._answered: dict[tuple[str, str], tuple[float, str]] = {}  # (uid, queue) -> (hold, ext)
        self._abandoned: set[tuple[str, str]] = set()
        self._timeouts: set[tuple[str, str]] = set()
        self._talk: dict[tuple[str, str], tuple[float, str]] = {}     # (uid, queue) -> (talk, ext)
        self._outbound: dict[str, set[str]] = {}                       # ext -> linkedids
        self._pause_s: dict[str, float] = {}
        self._pause_open: dict[str, float] = {}                        # ext -> paused since
        self._agg: dict | None = None     # per agent / per queue sums of the above (cache)

    def _roll_day(self, now: float) -> None:
        if self._today is None:
            self._today = _day(now)
        elif _day(now) != self._today:
            open_pauses = {ext: now for ext in self._pause_open}
            self._reset_today(now)
            self._pause_open = open_pauses
            self._full = True

    def load_queue_log(self, lines: Iterable[str], now: float) -> list[Change]:
        """Today's counters from queue_log lines (`epoch|callid|queue|agent|EVENT|data...`),
        replacing those counted so far except outbound calls (not in queue_log).  Lines of
        other days are skipped; the day rolls over at local midnight."""
        with self.lock:
            outbound = self._outbound if self._today == _day(now) else {}
            self._reset_today(now)
            self._outbound = outbound
            paused: dict[str, set[str]] = {}
            for at, uid, queue, ext, event, data in self._queue_log_lines(lines):
                if event in ("PAUSE", "PAUSEALL", "UNPAUSE", "UNPAUSEALL"):
                    flags = paused.setdefault(ext, set())
                    was = bool(flags)
                    key = "*" if event.endswith("ALL") else queue
                    if event.startswith("PAUSE"):
                        flags.add(key)
                    elif key == "*":
                        flags.clear()
                    else:
                        flags.discard(key)
                        flags.discard("*")
                    self._pause_edge(ext, was, bool(flags), at)
            return self._publish(self._diff(now))

    def add_queue_log(self, lines: Iterable[str], now: float) -> list[Change]:
        """New queue_log lines as Asterisk appends them: answers, abandons and timeouts
        (a queue timeout has no AMI event of its own).  Counting is by caller, so lines
        already known from AMI or an earlier read count once; pauses come from AMI."""
        with self.lock:
            self._roll_day(now)
            exts: set[str] = set()
            queues: set[str] = set()
            for _at, _uid, queue, ext, _event, _data in self._queue_log_lines(lines):
                exts.add(ext)
                queues.add(queue)
            if not queues:
                return []
            if self._full:
                return self._publish(self._diff(now))
            return self._publish(self._diff(now, set(), exts, queues))

    def add_outbound(self, calls: dict[str, set[str]], now: float) -> list[Change]:
        """Agents' outside calls of today found elsewhere (the CDR, after a restart of
        jns-calld): {extension: {uniqueid of the agent's channel}}; counted once with
        the calls seen live (the agent's channel opens the call: uniqueid = call id)."""
        with self.lock:
            self._roll_day(now)
            for ext, ids in calls.items():
                self._outbound.setdefault(ext, set()).update(ids)
            return self._publish(self._diff(now, set(), set(calls), set()))

    def _queue_log_lines(self, lines: Iterable[str]):
        """Count today's answers, abandons, timeouts and talk time of queue_log lines; yield
        every line of today as (at, callid, queue, extension, event, data)."""
        for line in lines:
            parts = line.rstrip("\n").split("|")
            if len(parts) < 5:
                continue
            at = _num(parts[0], -1)
            if at < 0 or _day(at) != self._today:
                continue
            uid, queue, agent, event, data = parts[1], parts[2], parts[3], parts[4], parts[5:]
            queue = base_queue(queue)   # a skills variant "<queue>.<lang>" counts as its queue
            ext = self._names.get(agent) or extension_of(agent) or agent
            if event == "CONNECT":
                self._answered[(uid, queue)] = (_num(data[0] if data else 0), ext)
            elif event == "ABANDON":
                self._abandoned.add((uid, queue))
            elif event == "EXITWITHTIMEOUT":
                self._timeouts.add((uid, queue))
            elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
                self._talk[(uid, queue)] = (_num(data[1] if len(data) > 1 else 0), ext)
            else:
                yield at, uid, queue, ext, event, data
                continue
            self._agg = None
            yield at, uid, queue, ext, event, data

    def _pause_edge(self, ext: str, was: bool, now_paused: bool, at: float) -> None:
        if not was and now_paused:
            self._pause_open[ext] = at
        elif was and not now_paused and ext in self._pause_open:
            self._pause_s[ext] = self._pause_s.get(ext, 0.0) + max(0.0, at - self._pause_open.pop(ext))

    # -- from the database -------------------------------------------------------------

    def set_agents(self, rows: Iterable[dict], now: float | None = None) -> list[Change]:
        """Agents as the admin configured them: {ext, name, user, static, assigned,
        last_login, last_logout}."""
        with self.lock:
            old, self._agents_db = self._agents_db, {str(r["ext"]): dict(r) for r in rows}
            for ext, row in self._agents_db.items():
                # a login seen on AMI may not have reached the database yet: keep the newer
                for key in ("last_login", "last_logout"):
                    seen = old.get(ext, {}).get(key)
                    if seen is not None and (row.get(key) is None or row[key] < seen):
                        row[key] = seen
            self._names = {r["name"]: ext for ext, r in self._agents_db.items() if r.get("name")}
            return self._publish(self._diff(time.time() if now is None else now))

    def set_queues(self, rows: Iterable[dict], now: float | None = None) -> list[Change]:
        """Queues: {name, title, sl_seconds, wrapup_time}."""
        with self.lock:
            self._queues_db = {r["name"]: dict(r) for r in rows}
            return self._publish(self._diff(time.time() if now is None else now))

    def session(self, ext: str, *, login: float | None = None,
                logout: float | None = None) -> None:
        """Note a desk login/logout (the database has it too) for last_login/last_logout."""
        with self.lock:
            row = self._agents_db.setdefault(ext, {"ext": ext, "name": ext, "user": None,
                                                   "static": False, "assigned": []})
            if login is not None:
                row["last_login"] = login
            if logout is not None:
                row["last_logout"] = logout

    # -- connection --------------------------------------------------------------------

    def set_connected(self, connected: bool, now: float) -> list[Change]:
        """Asterisk's manager connection came or went.  Going: every call, member and
        caller is dropped (never show what nobody can confirm)."""
        with self.lock:
            changes: list[Change] = []
            if connected != self.connected:
                self.connected, self.since = connected, now
                changes.append(("asterisk", "", self._asterisk()))
            if not connected:
                self._clear_asterisk()
            return self._publish(changes + self._diff(now))

    def _clear_asterisk(self) -> None:
        self._channels.clear()
        self._by_name.clear()
        self._lid_uids.clear()
        self._ep_uids.clear()
        self._ext_queues.clear()
        self._queue_exts.clear()
        self._bridges.clear()
        self._members.clear()
        self._callers.clear()
        self._calls.clear()

    def set_alarms(self, alarms: list[dict]) -> list[Change]:
        with self.lock:
            if alarms == self.alarms:
                return []
            self.alarms = list(alarms)
            return self._publish([("alarms", "", list(alarms))])

    # -- rebuild from status actions ---------------------------------------------------

    def load_status(self, queue_status: list[dict], channels: list[dict], now: float,
                    dids: dict[str, str] | None = None,
                    parked: list[dict] | None = None) -> list[Change]:
        """Replace everything Asterisk owns with the answers of QueueStatus (QueueParams,
        QueueMember, QueueEntry events), CoreShowChannels (CoreShowChannel events) and
        ParkedCalls (ParkedCall events).  `dids` maps a caller channel's uniqueid to the
        dialled number (its JNS_DID)."""
        with self.lock:
            self._clear_asterisk()
            dids = dids or {}
            for ch in channels:
                uid = ch.get("Uniqueid", "")
                created = now - _duration(ch.get("Duration", ""))
                self._add_channel({
                    "uid": uid, "name": ch.get("Channel", ""), "linkedid": ch.get("Linkedid") or uid,
                    "caller": ch.get("CallerIDNum", ""), "caller_name": ch.get("CallerIDName", ""),
                    "context": ch.get("Context", ""), "exten": ch.get("Exten", ""),
                    "state": ch.get("ChannelState", ""), "created": created, "bridge": "",
                    "did": dids.get(uid, ""), "up_at": created if ch.get("ChannelState") == "6" else None})
                bridge = ch.get("BridgeId") or ""
                if bridge:
                    self._channels[uid]["bridge"] = bridge
                    self._bridges.setdefault(bridge, set()).add(uid)
                if ch.get("Application") == "ConfBridge":
                    self._channels[uid]["conference"] = (ch.get("ApplicationData") or "").split(",")[0]
            for ch in self._channels.values():
                self._call(ch["linkedid"]).setdefault("started", ch["created"])
            for ev in parked or []:
                self._on_ParkedCall(ev, now)
            for ev in queue_status:
                if "." in ev.get("Queue", ""):   # a skills variant is its queue here
                    ev = {**ev, "Queue": base_queue(ev["Queue"])}
                name = ev.get("Event")
                if name == "QueueMember":
                    self._member_from(ev, ev.get("Location") or ev.get("Interface", ""), now,
                                      name_key="Name")
                elif name == "QueueEntry":
                    uid = ev.get("Uniqueid", "")
                    ch = self._channels.get(uid)
                    linkedid = ch["linkedid"] if ch else uid
                    call = self._call(linkedid)
                    queued_at = now - _num(ev.get("Wait"))
                    self._callers.setdefault(ev.get("Queue", ""), {})[linkedid] = {
                        "queued_at": queued_at, "position": int(_num(ev.get("Position"), 0))}
                    call["queue"], call["queued_at"] = ev.get("Queue"), queued_at
                    if not ch:
                        call.setdefault("caller", ev.get("CallerIDNum", ""))
            # answered calls: an agent's channel bridged with another channel of the call
            for linkedid, call in self._calls.items():
                for uid in self._call_channels(linkedid):
                    ch = self._channels[uid]
                    if ch["bridge"] and len(self._bridges.get(ch["bridge"], ())) >= 2:
                        call.setdefault("answered_at", ch.get("up_at") or ch["created"])
            for ext in list(self._agent_runtime):
                self._agent_runtime[ext].pop("ringing_for", None)
            return self._publish(self._diff(now))

    def _member_from(self, ev: dict, interface: str, now: float, name_key: str = "MemberName") -> str:
        ext = extension_of(interface) or extension_of(ev.get("StateInterface", ""))
        queue = ev.get("Queue", "")
        if not ext or not queue:
            return ""
        member = self._members.setdefault((queue, ext), {})
        self._ext_queues.setdefault(ext, set()).add(queue)
        self._queue_exts.setdefault(queue, set()).add(ext)
        paused = ev.get("Paused") == "1"
        if paused and not member.get("paused"):
            last_pause = _num(ev.get("LastPause"))
            member["paused_since"] = last_pause if last_pause > 0 else now
        member.update({
            "name": ev.get(name_key) or ev.get("MemberName") or ev.get("Name") or ext,
            "static": ev.get("Membership") == "static",
            "status": ev.get("Status", member.get("status", "1")),
            "paused": paused, "reason": ev.get("PausedReason", "") if paused else "",
            "incall": ev.get("InCall") == "1",
            "lastcall": _num(ev.get("LastCall"), member.get("lastcall", 0.0)),
            "login_time": _num(ev.get("LoginTime")) or member.get("login_time") or now,
            "wrapuptime": _num(ev.get("Wrapuptime")),
        })
        if not paused:
            member.pop("paused_since", None)
        self._names.setdefault(member["name"], ext)
        return ext

    # -- events ------------------------------------------------------------------------

    def apply(self, event: dict, now: float) -> list[Change]:
        """Take one AMI event; return what changed for the wallboards."""
        with self.lock:
            self._roll_day(now)
            handler = getattr(self, "_on_" + event.get("Event", ""), None)
            if handler is None:
                return []
            if "." in event.get("Queue", ""):
                # skills routing's "<queue>.<lang>" (telephony.skills): the wallboard,
                # webhooks and callbacks see one queue.  An agent in a variant is in the
                # queue itself too, so leaving only a variant (a lost skill) leaves nothing.
                if event.get("Event") == "QueueMemberRemoved":
                    return []
                event = {**event, "Queue": base_queue(event["Queue"])}
            before = self._touched(event)
            handler(event, now)
            after = self._touched(event)
            if self._full:
                return self._publish(self._diff(now))
            return self._publish(self._diff(now, *(a | b for a, b in zip(before, after))))

    def _touched(self, ev: dict) -> tuple[set[str], set[str], set[str]]:
        """The calls, agents and queues an event can change (before and after applying it
        this covers channels leaving a bridge and calls ending)."""
        lids = {ev.get("Linkedid"), ev.get("DestLinkedid"), ev.get("ParkeeLinkedid")}
        ch = self._channels.get(ev.get("Uniqueid", ""))
        if ch is not None:
            lids.add(ch["linkedid"])
        for uid in self._bridges.get(ev.get("BridgeUniqueid", ""), ()):
            if uid in self._channels:
                lids.add(self._channels[uid]["linkedid"])
        exts = {endpoint_of(ev.get("Channel", "")), endpoint_of(ev.get("DestChannel", "")),
                extension_of(ev.get("Interface", "")), extension_of(ev.get("StateInterface", "")),
                extension_of(ev.get("Device", ""))}
        return lids - {None, ""}, exts - {""}, {ev.get("Queue") or ""} - {""}

    def tick(self, now: float) -> list[Change]:
        """Time alone changes things (wrap-up ends, the day rolls over): call every second."""
        with self.lock:
            self._roll_day(now)
            if self._full:
                return self._publish(self._diff(now))
            waiting = {ext for ext, v in self._views["agent"].items() if v["state"] == "wrap_up"}
            return self._publish(self._diff(now, set(), waiting, set()))

    def _call(self, linkedid: str) -> dict:
        return self._calls.setdefault(linkedid, {"id": linkedid})

    def _call_channels(self, linkedid: str) -> list[str]:
        uids = self._lid_uids.get(linkedid, ())
        return sorted(uids, key=lambda u: (self._channels[u]["created"], u))

    def _add_channel(self, ch: dict) -> None:
        old = self._channels.get(ch["uid"])
        if old is not None:
            self._remove_channel(ch["uid"])
        self._channels[ch["uid"]] = ch
        self._by_name[ch["name"]] = ch["uid"]
        self._lid_uids.setdefault(ch["linkedid"], set()).add(ch["uid"])
        self._ep_uids.setdefault(endpoint_of(ch["name"]), set()).add(ch["uid"])

    def _remove_channel(self, uid: str) -> dict | None:
        ch = self._channels.pop(uid, None)
        if ch is None:
            return None
        if self._by_name.get(ch["name"]) == uid:
            del self._by_name[ch["name"]]
        for index, key in ((self._lid_uids, ch["linkedid"]), (self._ep_uids, endpoint_of(ch["name"]))):
            uids = index.get(key)
            if uids is not None:
                uids.discard(uid)
                if not uids:
                    del index[key]
        return ch

    def _remove_member(self, queue: str, ext: str) -> dict | None:
        member = self._members.pop((queue, ext), None)
        for index, key, value in ((self._ext_queues, ext, queue), (self._queue_exts, queue, ext)):
            values = index.get(key)
            if values is not None:
                values.discard(value)
                if not values:
                    del index[key]
        return member

    def _on_Newchannel(self, ev: dict, now: float) -> None:
        uid = ev.get("Uniqueid", "")
        linkedid = ev.get("Linkedid") or uid
        self._add_channel({
            "uid": uid, "name": ev.get("Channel", ""), "linkedid": linkedid,
            "caller": ev.get("CallerIDNum", ""), "caller_name": ev.get("CallerIDName", ""),
            "context": ev.get("Context", ""), "exten": ev.get("Exten", ""),
            "state": ev.get("ChannelState", ""), "created": now, "bridge": "",
            "did": ev.get("Exten", "") if ev.get("Context") in TRUNK_CONTEXTS else "",
            "up_at": now if ev.get("ChannelState") == "6" else None})
        call = self._call(linkedid)
        call.setdefault("started", now)

    def _update_channel(self, ev: dict, now: float) -> dict | None:
        ch = self._channels.get(ev.get("Uniqueid", ""))
        if ch is None:
            return None
        state = ev.get("ChannelState", ch["state"])
        if state == "6" and ch["state"] != "6":
            ch["up_at"] = now
        ch["state"] = state
        if ev.get("CallerIDNum") not in (None, "", "<unknown>"):
            ch["caller"] = ev["CallerIDNum"]
        if ev.get("CallerIDName") not in (None, "<unknown>"):
            ch["caller_name"] = ev["CallerIDName"]
        return ch

    def _on_Newstate(self, ev: dict, now: float) -> None:
        self._update_channel(ev, now)

    _on_NewCallerid = _on_Newstate

    def _on_NewConnectedLine(self, ev: dict, now: float) -> None:
        self._update_channel(ev, now)

    def _on_Hangup(self, ev: dict, now: float) -> None:
        uid = ev.get("Uniqueid", "")
        ch = self._remove_channel(uid)
        if ch is None:
            return
        if ch["bridge"] in self._bridges:
            self._bridges[ch["bridge"]].discard(uid)
            if not self._bridges[ch["bridge"]]:
                del self._bridges[ch["bridge"]]
        linkedid = ch["linkedid"]
        if not self._call_channels(linkedid):
            self._calls.pop(linkedid, None)
            for callers in self._callers.values():
                callers.pop(linkedid, None)

    def _on_DialBegin(self, ev: dict, now: float) -> None:
        self._update_channel(ev, now)
        dest = self._channels.get(ev.get("DestUniqueid", ""))
        if dest is not None:
            dest["dialled_by"] = ev.get("Uniqueid", "")
        src = self._channels.get(ev.get("Uniqueid", ""))
        if src is not None and ev.get("DialString"):
            src.setdefault("dialstring", ev["DialString"])

    def _on_DialEnd(self, ev: dict, now: float) -> None:
        self._update_channel(ev, now)

    def _on_BridgeEnter(self, ev: dict, now: float) -> None:
        ch = self._update_channel(ev, now)
        bridge = ev.get("BridgeUniqueid", "")
        if ch is None or not bridge:
            return
        ch["bridge"] = bridge
        members = self._bridges.setdefault(bridge, set())
        members.add(ch["uid"])
        if len(members) >= 2:
            for uid in members:
                call = self._calls.get(self._channels[uid]["linkedid"])
                if call is not None:
                    call.setdefault("answered_at", now)

    def _on_BridgeLeave(self, ev: dict, now: float) -> None:
        ch = self._channels.get(ev.get("Uniqueid", ""))
        bridge = ev.get("BridgeUniqueid", "")
        if bridge in self._bridges:
            self._bridges[bridge].discard(ev.get("Uniqueid", ""))
            if not self._bridges[bridge]:
                del self._bridges[bridge]
        if ch is not None and ch["bridge"] == bridge:
            ch["bridge"] = ""

    def _on_QueueCallerJoin(self, ev: dict, now: float) -> None:
        self._update_channel(ev, now)
        linkedid = ev.get("Linkedid") or ev.get("Uniqueid", "")
        queue = ev.get("Queue", "")
        call = self._call(linkedid)
        call.update(queue=queue, queued_at=now)
        call.pop("answered_at", None)
        self._callers.setdefault(queue, {})[linkedid] = {
            "queued_at": now, "position": int(_num(ev.get("Position"), 0))}

    def _on_QueueCallerLeave(self, ev: dict, now: float) -> None:
        linkedid = ev.get("Linkedid") or ev.get("Uniqueid", "")
        callers = self._callers.get(ev.get("Queue", ""), {})
        left = callers.pop(linkedid, None)
        if left is not None:
            for entry in callers.values():
                if entry["position"] > left["position"]:
                    entry["position"] -= 1

    def _on_QueueCallerAbandon(self, ev: dict, now: float) -> None:
        self._abandoned.add((ev.get("Uniqueid", ""), ev.get("Queue", "")))
        self._agg = None

    def _on_AgentCalled(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Interface", ""))
        if ext:
            self._agent_runtime.setdefault(ext, {})["ringing_for"] = \
                ev.get("Linkedid") or ev.get("Uniqueid", "")

    def _on_AgentRingNoAnswer(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Interface", ""))
        if ext:
            self._agent_runtime.setdefault(ext, {}).pop("ringing_for", None)

    def _on_AgentConnect(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Interface", ""))
        linkedid = ev.get("Linkedid") or ev.get("Uniqueid", "")
        call = self._call(linkedid)
        call.update(agent=ext, answered_at=now, agent_channel=ev.get("DestChannel", ""))
        self._answered[(ev.get("Uniqueid", ""), ev.get("Queue", ""))] = (_num(ev.get("HoldTime")), ext)
        self._agg = None
        if ext:
            self._agent_runtime.setdefault(ext, {}).pop("ringing_for", None)

    def _on_AgentComplete(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Interface", ""))
        self._talk[(ev.get("Uniqueid", ""), ev.get("Queue", ""))] = (_num(ev.get("TalkTime")), ext)
        self._agg = None
        member = self._members.get((ev.get("Queue", ""), ext))
        if member is not None:
            member["lastcall"] = now

    def _on_QueueMemberAdded(self, ev: dict, now: float) -> None:
        ext = self._member_from(ev, ev.get("Interface", ""), now)
        if ext and ev.get("Membership") != "static":
            self.session(ext, login=now)

    def _on_QueueMemberRemoved(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Interface", "")) or extension_of(ev.get("StateInterface", ""))
        if self._remove_member(ev.get("Queue", ""), ext) is not None:
            if ext and ext not in self._ext_queues:
                self.session(ext, logout=now)

    def _on_QueueMemberStatus(self, ev: dict, now: float) -> None:
        self._member_from(ev, ev.get("Interface", ""), now)

    _on_QueueMemberPause = _on_QueueMemberStatus

    def _on_DeviceStateChange(self, ev: dict, now: float) -> None:
        ext = extension_of(ev.get("Device", ""))
        if ext:
            self._agent_runtime.setdefault(ext, {})["device"] = ev.get("State", "")

    def _on_ParkedCall(self, ev: dict, now: float) -> None:
        linkedid = ev.get("ParkeeLinkedid") or ev.get("ParkeeUniqueid", "")
        if linkedid in self._calls:
            self._calls[linkedid]["parked_at"] = ev.get("ParkingSpace", "")

    def _on_UnParkedCall(self, ev: dict, now: float) -> None:
        linkedid = ev.get("ParkeeLinkedid") or ev.get("ParkeeUniqueid", "")
        if linkedid in self._calls:
            self._calls[linkedid].pop("parked_at", None)

    _on_ParkedCallGiveUp = _on_UnParkedCall
    _on_ParkedCallTimeOut = _on_UnParkedCall

    def _on_ConfbridgeJoin(self, ev: dict, now: float) -> None:
        ch = self._channels.get(ev.get("Uniqueid", ""))
        if ch is not None:
            ch["conference"] = ev.get("Conference", "")

    def _on_ConfbridgeLeave(self, ev: dict, now: float) -> None:
        ch = self._channels.get(ev.get("Uniqueid", ""))
        if ch is not None:
            ch.pop("conference", None)

    def _on_FullyBooted(self, ev: dict, now: float) -> None:
        pass   # calld resyncs on every connection; nothing to do here

    def _on_Shutdown(self, ev: dict, now: float) -> None:
        self._clear_asterisk()

    # -- views -------------------------------------------------------------------------

    def _is_agent(self, endpoint: str) -> bool:
        return endpoint in self._agents_db or endpoint in self._ext_queues

    def _call_view(self, linkedid: str, now: float) -> dict | None:
        uids = self._call_channels(linkedid)
        if not uids:
            return None
        facts = self._calls.get(linkedid, {"id": linkedid})
        chans = [self._channels[u] for u in uids]
        first = chans[0]
        first_ep = endpoint_of(first["name"])
        first_is_agent = self._is_agent(first_ep)
        outside = [c for c in chans if endpoint_of(c["name"]) and not self._is_agent(endpoint_of(c["name"]))]
        if not first_is_agent:
            direction = "in" if (first["context"] in TRUNK_CONTEXTS or first["did"] or outside) else "internal"
        elif outside or first["exten"].startswith(("00", "+")):
            direction = "out"
        else:
            direction = "internal"
        agent_chans = [c for c in chans if self._is_agent(endpoint_of(c["name"]))]
        if direction == "out":
            caller_ch = outside[0] if outside else first
            agent_ch = first
            # the number the agent dialled: Dial(PJSIP/<number>@<trunk>) of their channel,
            # else what the dialplan kept (JNS_DID, after a rebuild), else the outside leg
            dialled = (first.get("dialstring") or "").split("/")[-1].split("@")[0]
            remote = outside[0]["caller"] if outside else ""
            caller = dialled or first["did"] or (remote if remote != first_ep else "") \
                or first["exten"]
        else:
            caller_ch = first
            caller = first["caller"]
            named = facts.get("agent_channel")
            agent_ch = next((c for c in agent_chans if c["name"] == named), None) or \
                next((c for c in agent_chans if c is not first and c["state"] == "6"), None) or \
                next((c for c in agent_chans if c is not first), None)
        agent_ext = facts.get("agent") or (endpoint_of(agent_ch["name"]) if agent_ch else None)
        queue = facts.get("queue")
        entry = self._callers.get(queue or "", {}).get(linkedid)
        conference = next((c.get("conference") for c in chans if c.get("conference")), None) \
            or facts.get("conference")
        bridged = any(c["bridge"] and len(self._bridges.get(c["bridge"], ())) >= 2 for c in chans)
        if conference:
            state = "conference"
        elif facts.get("parked_at"):
            state = "parked"
        elif entry is not None:
            state = "queued"
        elif bridged:
            state = "talking"
        elif any(c is not first and c["state"] in ("4", "5", "0") for c in chans):
            state = "dialing" if direction == "out" else "ringing"
        elif direction == "out" or first_is_agent:
            state = "dialing"
        else:
            state = "ivr"
        answered_at = facts.get("answered_at") if state in ("talking", "conference", "parked") else None
        if state == "talking" and answered_at is None:
            answered_at = now
            facts["answered_at"] = now
        did = None if direction == "out" else (first["did"] or facts.get("did") or None)
        return {
            "id": linkedid, "caller": caller or "", "caller_name": caller_ch["caller_name"]
            if caller_ch["caller_name"] not in ("<unknown>",) else "",
            "did": did, "direction": direction, "state": state,
            "started": facts.get("started", first["created"]),
            "queue": queue, "queued_at": facts.get("queued_at") if queue else None,
            "position": entry["position"] if entry else None,
            "answered_at": answered_at,
            "agent": agent_ext if (agent_ch or facts.get("agent")) and state != "queued" else None,
            "caller_channel": caller_ch["name"],
            "agent_channel": agent_ch["name"] if agent_ch else None,
            "channels": [c["name"] for c in chans],
            "parked_at": facts.get("parked_at"), "conference": conference}

    def _agent_view(self, ext: str, calls: dict[str, dict], now: float) -> dict:
        db = self._agents_db.get(ext, {})
        members = {q: self._members[(q, ext)] for q in self._ext_queues.get(ext, ())}
        static = bool(db.get("static")) or any(m.get("static") for m in members.values())
        paused = [m for m in members.values() if m.get("paused")]
        chans = [self._channels[u] for u in sorted(self._ep_uids.get(ext, ()))]
        call_id = None
        for c in chans:
            call_id = c["linkedid"]
        ringing_for = self._agent_runtime.get(ext, {}).get("ringing_for")
        statuses = {m.get("status") for m in members.values()}
        up = any(c["state"] == "6" for c in chans)
        # a channel that opened the call is the agent dialling; any other is their phone ringing
        being_called = any(c["state"] != "6" and c["uid"] != c["linkedid"] for c in chans)
        dialing = any(c["state"] != "6" and c["uid"] == c["linkedid"] for c in chans)
        device = self._agent_runtime.get(ext, {}).get("device", "")
        wrapup = 0.0
        lastcall = 0.0
        for q, m in members.items():
            w = m.get("wrapuptime") or _num(self._queues_db.get(q, {}).get("wrapup_time"))
            wrapup = max(wrapup, w)
            lastcall = max(lastcall, m.get("lastcall") or 0.0)
        if not members and not static:
            state = "logged_out"
        elif paused:
            state = "paused"
        elif being_called or (ringing_for and not up) or (statuses & RINGING_STATUS and not up):
            state = "ringing"
        elif up or dialing or statuses & IN_CALL_STATUS or any(m.get("incall") for m in members.values()) \
                or device in ("INUSE", "BUSY", "ONHOLD"):
            state = "on_call"
        elif lastcall and now - lastcall < wrapup:
            state = "wrap_up"
        elif not members or (statuses and statuses <= UNAVAILABLE_STATUS) or device == "UNAVAILABLE":
            state = "unavailable"
        else:
            state = "ready"
        rt = self._agent_runtime.setdefault(ext, {})
        if rt.get("state") != state:
            rt["state"], rt["state_since"] = state, now
        # pause time today, counted on pause edges
        if paused and ext not in self._pause_open:
            self._pause_open[ext] = min((m.get("paused_since") or now) for m in paused)
        elif not paused and ext in self._pause_open:
            self._pause_edge(ext, True, False, now)
        for c in chans:
            view = calls.get(c["linkedid"])
            if view and view["direction"] == "out" and endpoint_of(view["agent_channel"] or "") == ext:
                self._outbound.setdefault(ext, set()).add(c["linkedid"])
        agg = self._aggregates()
        answered = agg["answered"].get(ext, 0)
        talk = agg["talk"].get(ext, 0.0)
        paused_since = min((m.get("paused_since") or now) for m in paused) if paused else None
        logins = [m["login_time"] for m in members.values() if m.get("login_time")]
        return {
            "ext": ext, "name": db.get("name") or next((m["name"] for m in members.values()), ext),
            "user": db.get("user"), "state": state, "state_since": rt["state_since"],
            "static": static, "queues": sorted(members), "assigned": list(db.get("assigned") or []),
            "paused": bool(paused), "pause_reason": paused[0].get("reason", "") if paused else "",
            "paused_since": paused_since,
            "logged_in_at": min(logins) if logins else None,
            "last_login": db.get("last_login"), "last_logout": db.get("last_logout"),
            "call": call_id,
            "today": {"answered": answered, "talk_s": int(talk),
                      "outbound": len(self._outbound.get(ext, ())),
                      "pause_s": int(self._pause_s.get(ext, 0.0))}}

    def _queue_view(self, name: str, agents: dict[str, dict], now: float) -> dict:
        db = self._queues_db.get(name, {})
        members = [(e, self._members[(name, e)]) for e in self._queue_exts.get(name, ())]
        paused = busy = unavailable = 0
        for ext, m in members:
            st = agents.get(ext, {}).get("state")
            if m.get("paused"):
                paused += 1
            elif st in ("on_call", "ringing", "wrap_up"):
                busy += 1
            elif st == "unavailable" or m.get("status") in UNAVAILABLE_STATUS:
                unavailable += 1
        callers = sorted(self._callers.get(name, {}).items(),
                         key=lambda kv: (kv[1]["position"], kv[1]["queued_at"]))
        sl_seconds = int(_num(db.get("sl_seconds"), 0) or DEFAULT_SL_SECONDS)
        agg = self._aggregates()
        answered = agg["holds"].get(name, [])
        abandoned = agg["abandoned"].get(name, 0)
        total = len(answered) + abandoned
        logged = {ext for ext, _ in members}
        return {
            "name": name, "title": db.get("title") or name, "logged_in": len(members),
            "free": len(members) - paused - busy - unavailable, "busy": busy, "paused": paused,
            "waiting": len(callers),
            "longest_wait_since": min((e["queued_at"] for _, e in callers), default=None),
            "answered_today": len(answered), "abandoned_today": abandoned,
            "outbound_today": sum(len(self._outbound.get(ext, ())) for ext in logged),
            "service_level_today": round(100.0 * sum(1 for h in answered if h <= sl_seconds) / total, 1)
            if total else None,
            "sl_seconds": sl_seconds, "callers": [linkedid for linkedid, _ in callers],
            "callbacks": int(db.get("callbacks") or 0)}     # callbacks waiting (BEY-2)

    def _aggregates(self) -> dict:
        if self._agg is None:
            agg: dict = {"answered": {}, "talk": {}, "holds": {}, "abandoned": {}}
            for (uid, queue), (hold, ext) in self._answered.items():
                agg["answered"][ext] = agg["answered"].get(ext, 0) + 1
                agg["holds"].setdefault(queue, []).append(hold)
            for (uid, queue), (talk, ext) in self._talk.items():
                agg["talk"][ext] = agg["talk"].get(ext, 0.0) + talk
            for key in self._abandoned | self._timeouts:
                if key not in self._answered:
                    agg["abandoned"][key[1]] = agg["abandoned"].get(key[1], 0) + 1
            self._agg = agg
        return self._agg

    def _build(self, now: float) -> dict[str, dict]:
        calls = {}
        for linkedid in list(self._calls):
            view = self._call_view(linkedid, now)
            if view is None:
                self._calls.pop(linkedid, None)
            else:
                calls[linkedid] = view
        exts = set(self._agents_db) | set(self._ext_queues)
        agents = {ext: self._agent_view(ext, calls, now) for ext in sorted(exts)}
        names = set(self._queues_db) | set(self._queue_exts) | set(self._callers)
        queues = {name: self._queue_view(name, agents, now) for name in sorted(names)}
        return {"call": calls, "agent": agents, "queue": queues}

    def _diff(self, now: float, lids: set[str] | None = None, exts: set[str] | None = None,
              queues: set[str] | None = None) -> list[Change]:
        """Bring the views up to date and say what changed: everything, or only what the
        given calls, agents and queues can have changed (an event touches a few)."""
        if lids is None or self._full:
            self._full = False
            self._agg = None
            return self._diff_all(now)
        changes: list[Change] = []
        exts, queues = set(exts or ()), set(queues or ())
        calls_v, agents_v, queues_v = self._views["call"], self._views["agent"], self._views["queue"]
        for lid in sorted(lids):
            old = calls_v.get(lid)
            new = self._call_view(lid, now)
            if new is None:
                self._calls.pop(lid, None)
            for v in (old, new):
                if v:
                    exts.update(endpoint_of(c) for c in v["channels"])
                    if v["queue"]:
                        queues.add(v["queue"])
            if new != old:
                if new is None:
                    del calls_v[lid]
                else:
                    calls_v[lid] = new
                changes.append(("call", lid, new))
        for ext in sorted(exts):
            old = agents_v.get(ext)
            new = self._agent_view(ext, calls_v, now) \
                if ext in self._agents_db or ext in self._ext_queues else None
            if new != old:
                for v in (old, new):
                    if v:
                        queues.update(v["queues"])
                if new is None:
                    del agents_v[ext]
                else:
                    agents_v[ext] = new
                changes.append(("agent", ext, new))
        for name in sorted(queues):
            old = queues_v.get(name)
            exists = name in self._queues_db or name in self._queue_exts or name in self._callers
            new = self._queue_view(name, agents_v, now) if exists else None
            if new != old:
                if new is None:
                    del queues_v[name]
                else:
                    queues_v[name] = new
                changes.append(("queue", name, new))
        return changes

    def _diff_all(self, now: float) -> list[Change]:
        views = self._build(now)
        changes: list[Change] = []
        for kind in ("call", "agent", "queue"):
            old, new = self._views[kind], views[kind]
            for key, data in new.items():
                if old.get(key) != data:
                    changes.append((kind, key, data))
            changes.extend((kind, key, None) for key in old if key not in new)
        self._views = views
        return changes

    def _publish(self, changes: list[Change]) -> list[Change]:
        self.seq += len(changes)
        return changes

    def _asterisk(self) -> dict:
        return {"connected": self.connected, "since": self.since}

    def snapshot(self, now: float) -> dict:
        """The whole picture as last published (shape: common design of issue 6), with
        the server clock `now` the browser counts wait and talk times from."""
        with self.lock:
            return {"seq": self.seq, "now": now, "asterisk": self._asterisk(),
                    "calls": dict(self._views["call"]), "agents": dict(self._views["agent"]),
                    "queues": dict(self._views["queue"]), "alarms": list(self.alarms)}
