"""The running dialer (in jns-calld): places campaign calls through Asterisk and records
what became of them.

The panel never speaks to Asterisk: it writes intents into the database (a campaign's
status, a preview or callback call as a campaign_calls row with requested_at set and
started_at NULL) and this dialer, with an AMI session of its own, polls them every tick.
Each tick, for each running campaign: the agent group's live state (QueueStatus) and the
calls in flight make a pacer.Snapshot; pacer.calls_to_place says how many calls to place;
the contacts due are checked against do-not-call and the 72-hour rule and called with an
Originate into the `jns-campaign` dialplan (appliance.telephony.render), which answers with
UserEvent JnsCampaign facts (answered, amd, noagent, rec, agent, connected, dialed).

Every call is written (campaign_calls, and the contact as 'dialing') in one transaction
before its Originate is sent, so a crash never leaves a call Asterisk placed that the
database does not know; open calls without a live channel are closed as 'failed' when the
dialer starts or Asterisk comes back.  All database work happens in the dialer's own thread;
AMI events are only queued by the AMI reader thread.

Voice mailing (campaigns of kind 'voice', appliance.campaigns.voicecast) shares all of this
but the pacing: no agent is promised to the person who answers (the message itself is the
call's purpose, an agent only for those who press the key), so there is no pacer
prediction and no abandon rule; the tick keeps at most the campaign's max_lines calls up,
inside its window, with a trunk.  Its calls (mode 'voice') go into `jns-voicecast`, each
with its message made beforehand, and tell key presses, seconds heard and the end of the
message as UserEvents.
"""
from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from ..store import db as store
from ..telephony.ami import AmiWorker
from ..telephony.webhooks import campaign_call_ended
from . import lists, pacer, voicecast

log = logging.getLogger(__name__)

TICK_S = 0.5
# How long an answered call may wait in the queue for an agent (Queue()'s timeout, whole
# seconds).  The law's 2 s run from the answer to the message; a 2 s Queue() timeout plus the
# dialplan's own steps would start it just after 2 s, so 1 s (the agents' phones answer
# campaign calls by themselves: jns-campaign-member).
CONNECT_S = 1
AGENT_RING_S = 30               # how long the agent's phone rings for a preview/callback call
EVENT_MASK = "call,agent,user"  # channels and originates, AgentConnect, our UserEvents
BUILTIN_NOAGENT = "all-circuits-busy-now"   # when the campaign has no message of its own
STATUS_MIN_S = 1.0              # dialer_status written at most this often ...
STATUS_HEARTBEAT_S = 5.0        # ... and at least this often (the panel's "dialer running")
FAILED_ORIGINATE_GRACE_S = 2.0  # a failed Originate whose Hangup event never comes
RECONCILE_AFTER_S = 2.0         # a call this young may not have its channel yet
DISPOSITION_WAIT_S = 600        # a campaign waits this long for its agents' dispositions
IDLE_REASONS = ("", "paused", "outside_window", "no_agents", "no_contacts", "abandon_cap",
                "no_trunk", "asterisk_down")
# Q.850 causes of the customer's leg (SIP: 404 -> 1, 484 -> 28, 486 -> 17, 480 -> 18/19)
INVALID_CAUSES = (1, 28)
BUSY_CAUSE = 17
NOANSWER_CAUSES = (16, 18, 19)
# QueueMember Status (AST_DEVICE_*): 0 unknown, 1 not in use, 2 in use, 3 busy, 4 invalid,
# 5 unavailable, 6 ringing, 7 ring in use, 8 on hold
NOT_LOGGED_IN = ("4", "5")
IDLE_DEVICE = ("0", "1")


@dataclass
class Call:
    """One call in flight, as the dialer knows it (the database row is the record)."""
    id: int
    campaign_id: int
    contact_id: int | None
    uniqueid: str
    phone: str
    mode: str
    started_at: float
    agent_first: bool = False
    agent: str | None = None
    answered_at: float | None = None
    connected_at: float | None = None
    agent_answered: bool = False
    human_seen: bool = False        # told the pacer 'answered' (or 'machine')
    noagent: bool = False
    machine: bool = False
    amd: str = ""
    recording: str = ""
    dial_status: str | None = None
    dial_cause: int | None = None
    reason: str | None = None       # OriginateResponse Reason when it failed
    originate_failed_at: float | None = None
    cause: int | None = None        # Hangup Cause of our channel
    hungup_at: float | None = None
    withdrawn: bool = False
    # voice mailing
    keys: str = ""                  # every key pressed, in order
    pressed: bool = False           # the connect key: sent to the queue
    listened: bool = False          # heard the message to the end
    heard_s: float | None = None    # seconds of the message heard (repeats included)

    @property
    def voice(self) -> bool:
        return self.mode == "voice"


def dial_number(phone: str) -> str:
    """E.164 as the trunk is sent it: without the '+' (as jns-outbound sends)."""
    return phone.lstrip("+")


def outcome_of(call: Call) -> str:
    """What became of a call that has ended (campaign_calls.outcome)."""
    if call.voice:
        return voicecast.outcome(
            answered=bool(call.answered_at), machine=call.machine, pressed=call.pressed,
            connected=bool(call.connected_at), listened=call.listened,
            unanswered="cancelled" if call.withdrawn and not call.answered_at
            else outcome_by_cause(call.cause, call.reason))
    if call.agent_first:
        if not call.agent_answered:
            return "cancelled"          # the agent's phone did not take it: nobody dialed
        status = (call.dial_status or "").upper()
        if call.connected_at or status == "ANSWER":
            return "connected"
        if status == "BUSY":
            return "busy"
        if status == "NOANSWER":
            return "noanswer"
        if status == "CANCEL":
            return "cancelled"
        return outcome_by_cause(call.dial_cause, None)
    if call.answered_at:
        if call.machine:
            return "machine"
        return "connected" if call.connected_at else "abandoned"
    if call.withdrawn:
        return "cancelled"
    return outcome_by_cause(call.cause, call.reason)


def outcome_by_cause(cause: int | None, reason: str | None) -> str:
    """An unanswered call's outcome from its Q.850 cause or the Originate's Reason (also
    used by the conference calls: one reading of causes for every call the box places)."""
    if cause in INVALID_CAUSES:
        return "invalid"
    if cause == BUSY_CAUSE or reason == "5":
        return "busy"
    if reason == "3" or cause in NOANSWER_CAUSES:
        return "noanswer"
    return "failed"


def _float(value) -> float | None:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Dialer(AmiWorker):
    """The dialer thread over one database and one AMI session; see the module docstring
    (the thread, its events and its ticks: telephony.ami.AmiWorker)."""

    name = "dialer"
    follow = ("OriginateResponse", "Hangup", "UserEvent", "AgentConnect")
    event_mask = EVENT_MASK

    def __init__(self, db_path: str | os.PathLike, ami, *, tick_s: float = TICK_S,
                 clock: Callable[[], float] = time.time,
                 asterisk_root: str = "/var/lib/jns/asterisk",
                 connect_s: int = CONNECT_S, host_root: str | None = None) -> None:
        super().__init__(db_path, ami, tick_s=tick_s, clock=clock)
        self.asterisk_root = asterisk_root
        # where this process writes what Asterisk reads at asterisk_root (they differ when
        # Asterisk runs in a chroot, as in the tests)
        self.host_root = host_root or asterisk_root
        self.voice_errors: dict[int, str] = {}      # campaign id -> last message failure
        self.connect_s = connect_s
        self.calls: dict[str, Call] = {}            # uniqueid -> call in flight
        self.pacers: dict[int, pacer.Pacer] = {}
        self._status_written = ("", 0.0)
        self._marked: set[int] = set()               # calls already told to the pacer as AM

    def wants(self, ev: dict) -> bool:
        """Only our calls' events (AMI reader thread)."""
        name = ev.get("Event")
        if name == "UserEvent" and ev.get("UserEvent") != "JnsCampaign":
            return False
        if name in ("Hangup", "AgentConnect") and not ev.get("Uniqueid", "").startswith("jnsc-"):
            return False
        if name == "OriginateResponse" and not ev.get("ActionID", "").startswith("jnsd-"):
            return False
        return True

    # -- events ------------------------------------------------------------------------

    def _call_by_id(self, call_id) -> Call | None:
        for c in self.calls.values():
            if str(c.id) == str(call_id):
                return c
        return None

    def _apply(self, ev: dict, at: float) -> None:
        name = ev.get("Event")
        if name == "OriginateResponse":
            call = self._call_by_id(ev.get("ActionID", "")[5:])
            if call is None:
                return
            if ev.get("Response") == "Success":
                if call.agent_first:
                    call.agent_answered = True
            else:
                call.reason = ev.get("Reason")
                call.originate_failed_at = at
        elif name == "Hangup":
            call = self.calls.get(ev.get("Uniqueid", ""))
            if call is not None:
                call.cause = _int(ev.get("Cause"))
                call.hungup_at = at
                self._finish(call, at)
        elif name == "AgentConnect":
            call = self.calls.get(ev.get("Uniqueid", ""))
            if call is not None and not call.connected_at:
                iface = ev.get("Interface") or ev.get("DestChannel") or ""
                call.agent = iface.split("/", 1)[-1].rsplit("-", 1)[0] if "/" in iface else \
                    ev.get("MemberName")
                self._connected(call, at)
        elif name == "UserEvent":
            call = self._call_by_id(ev.get("Call"))
            if call is not None:
                self._user_event(call, ev, at)

    def _user_event(self, call: Call, ev: dict, at: float) -> None:
        kind = ev.get("Kind", "")
        p = self.pacers.get(call.campaign_id)
        if kind == "answered":
            call.answered_at = at
            self._write(call, answered_at=at)
            if not self._amd_on(call) and p:
                p.observe("answered", at, at - call.started_at)
                call.human_seen = True
        elif kind == "amd":
            call.amd = f"{ev.get('Status', '')}/{ev.get('Cause', '')}".strip("/")
            call.machine = ev.get("Status") == "MACHINE"
            if p and not call.human_seen:
                p.observe("machine" if call.machine else "answered", at,
                          at - call.started_at)
                call.human_seen = True
        elif kind == "noagent":
            call.noagent = True
            if p:
                p.observe("abandoned", at)
        elif kind == "rec":
            call.recording = ev.get("Rec", "")
        elif kind == "agent":
            call.agent_answered = True
        elif kind == "connected":
            call.answered_at = call.answered_at or at
            self._connected(call, at)
        elif kind == "dialed":
            call.dial_status = ev.get("Status", "")
            call.dial_cause = _int(ev.get("Cause"))
        elif kind == "key":
            call.keys += ev.get("Key", "")[:1]
        elif kind in ("pressed", "listened", "heard"):
            heard = _float(ev.get("Heard"))
            if heard is not None:
                call.heard_s = max(call.heard_s or 0.0, heard)
            if kind == "pressed":
                call.pressed = True
            elif kind == "listened":
                call.listened = True
            self._write(call, heard_s=call.heard_s, listened=int(call.listened),
                        pressed=call.keys)

    def _amd_on(self, call: Call) -> bool:
        row = self.db.execute("SELECT amd FROM campaigns WHERE id = ?",
                              [call.campaign_id]).fetchone()
        return bool(row and row[0])

    def _connected(self, call: Call, at: float) -> None:
        call.connected_at = at
        self._write(call, connected_at=at, agent=call.agent)
        p = self.pacers.get(call.campaign_id)
        if p:
            p.observe("connected", at)

    def _write(self, call: Call, **cols) -> None:
        cols = {k: v for k, v in cols.items() if v is not None}
        if cols:
            self.db.conn.execute(
                "UPDATE campaign_calls SET " + ", ".join(f"{k} = ?" for k in cols)
                + " WHERE id = ?", [*cols.values(), call.id])

    # -- the end of a call -------------------------------------------------------------

    def _finish(self, call: Call, now: float, outcome: str | None = None) -> None:
        """Close the call: its outcome, and the contact's next step by the campaign's rules."""
        self.calls.pop(call.uniqueid, None)
        outcome = outcome or outcome_of(call)
        ended = call.hungup_at or now
        row = self.db.execute("SELECT * FROM campaigns WHERE id = ?", [call.campaign_id])
        camp = dict(zip([d[0] for d in row.description], row.fetchone() or ()))
        rules = pacer.Rules.from_row(camp) if camp else pacer.Rules()
        with store.transaction(self.db):
            self.db.conn.execute(
                "UPDATE campaign_calls SET outcome = ?, ended_at = ?, cause = ?, "
                "answered_at = coalesce(answered_at, ?), connected_at = coalesce(connected_at, ?), "
                "agent = coalesce(agent, ?), amd = ?, recording = ?, "
                "heard_s = coalesce(?, heard_s), listened = max(listened, ?), "
                "pressed = CASE WHEN ? != '' THEN ? ELSE pressed END WHERE id = ?",
                [outcome, ended, call.dial_cause if call.agent_first else call.cause,
                 call.answered_at, call.connected_at, call.agent, call.amd, call.recording,
                 call.heard_s, int(call.listened), call.keys, call.keys, call.id])
            if call.contact_id is not None:
                self._contact_after(call, outcome, rules, now)
        campaign_call_ended(self.db, call, outcome, ended)   # integrators' webhooks
        if call.voice and call.contact_id is not None:
            self._forget_message(call)
        p = self.pacers.get(call.campaign_id)
        if p is None:
            return
        if outcome == "cancelled":
            p.observe("cancelled", now)
        elif outcome in ("noanswer", "busy", "failed", "invalid"):
            if not call.agent_first:
                p.observe("unanswered", now, ended - call.started_at)
        elif outcome == "abandoned" and not call.noagent:
            if not call.human_seen:
                p.observe("answered", now, (call.answered_at or now) - call.started_at)
            p.observe("abandoned", now)     # hung up before an agent took it
        elif outcome == "connected" and call.connected_at:
            p.observe("talk_end", ended, max(0.0, ended - call.connected_at))
            wrap = self.db.execute("SELECT wrapup_time FROM queues WHERE id = ?",
                                   [camp.get("queue_id")]).fetchone()
            p.observe("wrap_end", ended, float(wrap[0]) if wrap else 0.0)

    def _contact_after(self, call: Call, outcome: str, rules: pacer.Rules, now: float) -> None:
        args = [call.campaign_id, call.contact_id]
        attempts = self.db.execute(
            "SELECT attempts FROM campaign_contacts WHERE campaign_id = ? AND contact_id = ?",
            args).fetchone()
        if attempts is None:
            return
        if outcome == "cancelled":   # withdrawn: not an attempt; due again at once
            state = "retry"
            if call.mode == "callback":
                reopened = self.db.conn.execute(
                    "UPDATE callbacks SET done_at = NULL, call_id = NULL WHERE call_id = ?",
                    [call.id]).rowcount
                state = "callback" if reopened else "retry"
            self.db.conn.execute(
                "UPDATE campaign_contacts SET state = ?, next_at = ?, "
                "attempts = max(attempts - 1, 0) WHERE campaign_id = ? AND contact_id = ? "
                "AND state = 'dialing'", [state, now, *args])
            return
        if call.voice:
            state, nxt = voicecast.next_step(rules, self._camp_row(call.campaign_id), outcome,
                                             call.heard_s, attempts[0], now)
        elif outcome == "connected":
            state, nxt = "done", 0
        elif (nxt := pacer.retry_at(rules, outcome, attempts[0], now)) is None:
            state, nxt = ("failed" if outcome != "abandoned" else "done"), 0
        else:
            state = "retry"
        self.db.conn.execute(
            "UPDATE campaign_contacts SET state = ?, next_at = ?, last_outcome = ?, "
            "last_abandon_at = CASE WHEN ? = 'abandoned' THEN ? ELSE last_abandon_at END "
            "WHERE campaign_id = ? AND contact_id = ? AND state = 'dialing'",
            [state, nxt, outcome, outcome, now, *args])
        self.db.conn.execute(   # a disposition already set wins over the dialer's guess
            "UPDATE campaign_contacts SET last_outcome = ? WHERE campaign_id = ? "
            "AND contact_id = ? AND last_outcome IS NULL", [outcome, *args])

    def _forget_message(self, call: Call) -> None:
        """A voice contact that will not be called again: its spoken files go (a retry
        keeps them; making one again costs tens of milliseconds)."""
        row = self.db.execute("SELECT state FROM campaign_contacts WHERE campaign_id = ? "
                              "AND contact_id = ?", [call.campaign_id, call.contact_id]).fetchone()
        if row is None or row[0] in ("done", "failed", "dnc"):
            try:
                voicecast.forget(self.host_root, call.campaign_id, call.contact_id)
            except OSError as exc:
                log.warning("voice mailing: could not remove a spoken message: %s", exc)

    def _camp_row(self, campaign_id: int) -> dict:
        cur = self.db.execute("SELECT * FROM campaigns WHERE id = ?", [campaign_id])
        return dict(zip([d[0] for d in cur.description], cur.fetchone() or ()))

    # -- the tick ----------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock()
        self.ticks += 1
        for call in list(self.calls.values()):
            if (call.originate_failed_at and call.hungup_at is None
                    and now - call.originate_failed_at >= FAILED_ORIGINATE_GRACE_S):
                self._finish(call, now)
        campaigns = [dict(r) for r in self.db.query(
            "SELECT c.*, q.name AS queue, q.wrapup_time FROM campaigns c "
            "JOIN queues q ON q.id = c.queue_id WHERE c.status = 'running' OR c.id IN "
            "(SELECT DISTINCT campaign_id FROM campaign_calls WHERE ended_at IS NULL "
            "AND started_at IS NOT NULL)")]
        status: dict[str, dict] = {}
        if not self.ami.connected:
            for camp in campaigns:
                status[str(camp["id"])] = self._entry(camp, None, "asterisk_down")
            self._write_status(status, now)
            return
        if self._reconcile.is_set():
            self._reconcile.clear()
            self._reconcile_calls(now)
        trunk = self.db.execute("SELECT name FROM trunks ORDER BY id LIMIT 1").fetchone()
        self._poll_machine_marked(now)
        for camp in campaigns:
            status[str(camp["id"])] = self._campaign_tick(camp, trunk[0] if trunk else None, now)
        self._requested_calls(trunk[0] if trunk else None, now)
        self._write_status(status, now)

    def _pacer(self, camp: dict, now: float) -> pacer.Pacer:
        rules = pacer.Rules.from_row(camp)
        p = self.pacers.get(camp["id"])
        if p is None:
            p = self.pacers[camp["id"]] = pacer.Pacer(rules)
            self._rebuild(p, camp["id"], now)
        elif p.rules != rules:
            p.rules = rules
        return p

    def _rebuild(self, p: pacer.Pacer, campaign_id: int, now: float) -> None:
        """Today's (or the 30 days') calls of the campaign into a new pacer."""
        days = 30 if p.rules.abandon_rule == "30d" else 1
        since = _day_start(now) - (days - 1) * 86400
        for r in self.db.query(
                "SELECT cc.*, d.action AS disposition_action FROM campaign_calls cc "
                "LEFT JOIN dispositions d ON d.code = cc.disposition WHERE cc.campaign_id = ? "
                "AND cc.started_at >= ? AND cc.outcome IS NOT NULL ORDER BY cc.started_at",
                [campaign_id, since]):
            start, out = r["started_at"], r["outcome"]
            ring = (r["answered_at"] or r["ended_at"] or start) - start
            p.observe("dialed", start)
            if out in ("connected", "abandoned"):
                if r["mode"] in ("progressive", "predictive"):
                    p.observe("answered", r["answered_at"] or start, ring)
                p.observe(out, r["connected_at"] or r["answered_at"] or start)
                if out == "connected" and r["connected_at"] and r["ended_at"]:
                    p.observe("talk_end", r["ended_at"], r["ended_at"] - r["connected_at"])
                if r["disposition_action"] == "machine":
                    p.observe("machine_marked", r["connected_at"] or start)
                    self._marked.add(r["id"])
            elif out == "machine":
                p.observe("machine", r["answered_at"] or start, ring)
            elif out == "cancelled":
                p.observe("cancelled", start)
            elif r["mode"] in ("progressive", "predictive"):
                p.observe("unanswered", r["ended_at"] or start, ring)

    def _poll_machine_marked(self, now: float) -> None:
        for call_id, campaign_id, at in self.db.execute(
                "SELECT cc.id, cc.campaign_id, coalesce(cc.connected_at, cc.started_at) "
                "FROM campaign_calls cc JOIN dispositions d ON d.code = cc.disposition "
                "WHERE d.action = 'machine' AND cc.disposed_at >= ?", [now - 120]).fetchall():
            p = self.pacers.get(campaign_id)
            if call_id not in self._marked and p is not None:
                self._marked.add(call_id)
                p.observe("machine_marked", at)

    def _voice_tick(self, camp: dict, trunk: str | None, now: float) -> dict:
        """A voice campaign: up to max_lines calls at once, no agents needed (see the module
        docstring: no pacer, no abandon rule)."""
        mine = [c for c in self.calls.values() if c.campaign_id == camp["id"]]
        reason, placed = "", 0
        if camp["status"] != "running":
            self._withdraw(mine, now)
            reason = "paused"
        elif not pacer.in_window(pacer.Rules.from_row(camp), now):
            reason = "outside_window"
        elif trunk is None:
            reason = "no_trunk"
        else:
            want = int(camp["max_lines"]) - len(mine)
            placed = self._place(camp, trunk, want, now) if want > 0 else 0
            if placed < want:
                reason = "no_contacts"
            if not mine and placed == 0:
                self._finished(camp["id"], now)
        lines = [c for c in self.calls.values() if c.campaign_id == camp["id"]]
        entry = self._entry(camp, None, reason)
        entry.update(lines=len(lines), max_lines=int(camp["max_lines"]),
                     ringing=sum(1 for c in lines if not c.answered_at),
                     error=self.voice_errors.get(camp["id"], ""))
        return entry

    def _campaign_tick(self, camp: dict, trunk: str | None, now: float) -> dict:
        if camp["kind"] == "voice":
            return self._voice_tick(camp, trunk, now)
        p = self._pacer(camp, now)
        mine = [c for c in self.calls.values() if c.campaign_id == camp["id"]]
        if camp["status"] != "running":
            self._withdraw(mine, now)
            return self._entry(camp, None, "paused")
        members = self._queue_state(camp, now)
        if members["logged_in"] == 0:
            self._withdraw(mine, now)     # nobody could take an answer: stop at once
            return self._entry(camp, members, "no_agents")
        if not pacer.in_window(p.rules, now):
            return self._entry(camp, members, "outside_window")
        if trunk is None:
            return self._entry(camp, members, "no_trunk")
        auto = [c for c in mine if not c.agent_first]
        snap = pacer.Snapshot(
            logged_in=members["logged_in"], free=members["free"],
            ringing=sum(1 for c in auto if not c.answered_at),
            waiting=sum(1 for c in auto if c.answered_at and not c.connected_at
                        and not c.noagent and not c.machine),
            busy_elapsed=members["busy_elapsed"], wrapping_left=members["wrapping_left"])
        want = p.calls_to_place(snap, now)
        placed = self._place(camp, trunk, want, now) if want > 0 else 0
        members.update(ringing=snap.ringing + placed, waiting=snap.waiting,
                       dial_level=round(p.dial_level, 2))
        reason = ""
        capped = pacer.abandon_rate(p.abandon_counts(now)) >= p.rules.abandon_cap
        if camp["mode"] != "preview" and placed < want:
            reason = "no_contacts"
        elif capped and camp["mode"] == "predictive":
            reason = "abandon_cap"
        if not mine and placed == 0:
            if self._finished(camp["id"], now):
                reason = "no_contacts"
        return self._entry(camp, members, reason)

    def _entry(self, camp: dict, members: dict | None, reason: str) -> dict:
        p = self.pacers.get(camp["id"])
        m = members or {}
        mine = [c for c in self.calls.values() if c.campaign_id == camp["id"]]
        return {"logged_in": m.get("logged_in", 0), "free": m.get("free", 0),
                "ringing": m.get("ringing", sum(1 for c in mine if not c.answered_at)),
                "waiting": m.get("waiting", 0), "dial_level": m.get("dial_level", 0.0),
                "abandon_rate": round(pacer.abandon_rate(p.abandon_counts(self.clock())), 2)
                if p else 0.0, "idle_reason": reason}

    def _queue_state(self, camp: dict, now: float) -> dict:
        """The agent group as Asterisk sees it now (QueueStatus)."""
        _, events = self.ami.action_list("QueueStatus", "QueueStatusComplete",
                                         Queue=camp["queue"])
        wall = time.time()     # Asterisk's LastCall is wall-clock time
        wrap = float(camp.get("wrapup_time") or 0)
        talking = {c.agent: now - c.connected_at for c in self.calls.values()
                   if c.connected_at and c.agent}
        out = {"logged_in": 0, "free": 0, "busy_elapsed": [], "wrapping_left": []}
        for e in events:
            if e.get("Event") != "QueueMember" or e.get("Queue") != camp["queue"]:
                continue
            status = e.get("Status", "0")
            if status in NOT_LOGGED_IN:
                continue
            out["logged_in"] += 1
            if e.get("Paused") == "1":
                continue
            iface = e.get("StateInterface") or e.get("Location") or e.get("Interface") or ""
            ext = iface.split("/", 1)[-1]
            if e.get("InCall") == "1" or status not in IDLE_DEVICE:
                out["busy_elapsed"].append(talking.get(ext, 0.0))
                continue
            left = (float(e.get("LastCall") or 0) + wrap) - wall
            if wrap and left > 0:
                out["wrapping_left"].append(left)
                continue
            out["free"] += 1
        # an agent whose customer's hang-up we have not read yet is not free either
        ours = sum(1 for c in self.calls.values() if c.campaign_id == camp["id"]
                   and c.connected_at and not c.agent_first)
        out["free"] = max(0, min(out["free"], out["logged_in"] - ours))
        return out

    # -- placing calls -----------------------------------------------------------------

    def _place(self, camp: dict, trunk: str, want: int, now: float) -> int:
        """Call up to `want` contacts due now, retries first; returns how many were placed."""
        flying = {c.phone for c in self.calls.values()}
        rows = self.db.execute(
            "SELECT cc.contact_id, c.phone, cc.attempts, cc.last_abandon_at FROM "
            "campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id "
            "WHERE cc.campaign_id = ? AND cc.state IN ('new', 'retry') AND cc.next_at <= ? "
            "ORDER BY CASE cc.state WHEN 'retry' THEN 0 ELSE 1 END, cc.next_at, cc.contact_id "
            "LIMIT ?", [camp["id"], now, want * 4 + 20]).fetchall()
        placed = 0
        for contact_id, phone, attempts, last_abandon_at in rows:
            if placed >= want:
                break
            if phone in flying:
                continue
            if lists.dnc_blocked(self.db, phone, camp["id"]):
                self.db.conn.execute("UPDATE campaign_contacts SET state = 'dnc' WHERE "
                                     "campaign_id = ? AND contact_id = ?", [camp["id"], contact_id])
                continue
            if not pacer.may_redial_abandoned(last_abandon_at, now, False):
                self.db.conn.execute(   # not before the 72 hours are over
                    "UPDATE campaign_contacts SET next_at = ? WHERE campaign_id = ? "
                    "AND contact_id = ?", [last_abandon_at + pacer.ABANDON_REDIAL_S,
                                           camp["id"], contact_id])
                continue
            if self._originate_auto(camp, trunk, contact_id, phone, attempts + 1, now):
                flying.add(phone)
                placed += 1
            else:
                break       # Asterisk refused: try again next tick
        return placed

    def _noagent_prompt(self, camp: dict) -> str:
        name = camp.get("noagent_prompt") or ""
        if name:
            langs = [r[0] for r in self.db.execute(
                "SELECT lang FROM prompts WHERE name = ? ORDER BY lang", [name])]
            if langs:
                lang = "pl" if "pl" in langs else langs[0]
                return f"{self.asterisk_root}/prompts/{lang}/{name}"
            return name          # one of Asterisk's own sounds (campaigns.BUILTIN_PROMPTS)
        return BUILTIN_NOAGENT

    def _start_row(self, camp_id: int, contact_id: int, *, call_id: int | None, phone: str,
                   attempt: int, mode: str, uniqueid: str, now: float) -> int:
        """The call and its contact ('dialing', one more attempt), before the Originate."""
        with store.transaction(self.db):
            if call_id is None:
                call_id = self.db.conn.execute(
                    "INSERT INTO campaign_calls (campaign_id, contact_id, phone, attempt, mode, "
                    "uniqueid, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [camp_id, contact_id, phone, attempt, mode, uniqueid, now]).lastrowid
            else:
                self.db.conn.execute("UPDATE campaign_calls SET started_at = ?, attempt = ? "
                                     "WHERE id = ?", [now, attempt, call_id])
            self.db.conn.execute(
                "UPDATE campaign_contacts SET state = 'dialing', attempts = attempts + 1, "
                "last_call_at = ? WHERE campaign_id = ? AND contact_id = ?",
                [now, camp_id, contact_id])
        return call_id

    def _originate_voice(self, camp: dict, trunk: str, contact_id: int, phone: str,
                         attempt: int, now: float) -> bool:
        """A voice mailing call: its message made first (a failure fails this call only and
        ends the tick's dialing: the next try waits for the failed-call retry delay)."""
        uniqueid = f"jnsc-{uuid.uuid4().hex}"
        call_id = self._start_row(camp["id"], contact_id, call_id=None, phone=phone,
                                  attempt=attempt, mode="voice", uniqueid=uniqueid, now=now)
        call = Call(call_id, camp["id"], contact_id, uniqueid, phone, "voice", now)
        try:
            msg = voicecast.prepare(self.db, camp, contact_id, host_root=self.host_root,
                                    asterisk_root=self.asterisk_root)
        except (voicecast.VoicecastError, OSError) as exc:
            error = str(exc)
            log.warning("campaign %s: call %s not placed: %s", camp["id"], call_id, error)
            self.voice_errors[camp["id"]] = error
            self.db.conn.execute("UPDATE campaign_calls SET note = ? WHERE id = ?",
                                 [error[:500], call_id])
            self._finish(call, now, "failed")
            return False
        self.voice_errors.pop(camp["id"], None)
        self.calls[uniqueid] = call
        variables = {
            "__JNS_CALL": call_id, "JNS_CAMPAIGN": camp["id"], "__JNS_QUEUE": camp["queue"],
            "JNS_MESSAGE": msg.sound, "JNS_MACHINE_MSG": msg.machine_sound or "none",
            "JNS_AMD": int(camp["amd"]), "JNS_CONNECT_KEY": camp["connect_key"] or "none",
            "JNS_REPEAT_KEY": camp["repeat_key"] or "none",
            "JNS_MAX_REPEATS": int(camp["max_repeats"]),
            "JNS_NOAGENT": self._noagent_prompt(camp),
            "JNS_RECORD": 1 if camp["record"] == "all" else 0}
        cid = camp["caller_id"] or ""
        return self._send_originate(call, now, Channel=f"PJSIP/{dial_number(phone)}@{trunk}",
                                    Context="jns-voicecast", Exten="s", Priority="1",
                                    Timeout=str(int(camp["ring_s"]) * 1000),
                                    CallerID=f"<{cid}>" if cid else "",
                                    Variable=",".join(f"{k}={v}" for k, v in variables.items()))

    def _originate_auto(self, camp: dict, trunk: str, contact_id: int, phone: str,
                        attempt: int, now: float) -> bool:
        if camp["kind"] == "voice":
            return self._originate_voice(camp, trunk, contact_id, phone, attempt, now)
        uniqueid = f"jnsc-{uuid.uuid4().hex}"
        call_id = self._start_row(camp["id"], contact_id, call_id=None, phone=phone,
                                  attempt=attempt, mode=camp["mode"], uniqueid=uniqueid, now=now)
        call = Call(call_id, camp["id"], contact_id, uniqueid, phone, camp["mode"], now)
        self.calls[uniqueid] = call
        p = self.pacers.get(camp["id"])
        if p:
            p.observe("dialed", now)
        variables = {
            "__JNS_CALL": call_id, "JNS_CAMPAIGN": camp["id"], "__JNS_QUEUE": camp["queue"],
            "JNS_NOAGENT": self._noagent_prompt(camp), "JNS_AMD": int(camp["amd"]),
            "JNS_RECORD": 1 if camp["record"] == "all" else 0, "JNS_CONNECT_S": self.connect_s}
        cid = camp["caller_id"] or ""
        return self._send_originate(call, now, Channel=f"PJSIP/{dial_number(phone)}@{trunk}",
                                    Context="jns-campaign", Exten="s", Priority="1",
                                    Timeout=str(int(camp["ring_s"]) * 1000),
                                    CallerID=f"<{cid}>" if cid else "",
                                    Variable=",".join(f"{k}={v}" for k, v in variables.items()))

    def _send_originate(self, call: Call, now: float, **headers) -> bool:
        headers = {k: v for k, v in headers.items() if v != ""}
        try:
            self.ami.action("Originate", timeout=5, retry=False, Async="true",
                            ChannelId=call.uniqueid, ActionID=f"jnsd-{call.id}", **headers)
            return True
        except Exception as exc:
            self.last_error = f"Originate refused: {exc}"
            log.warning("dialer: Originate of call %s refused: %s", call.id, exc)
            self._finish(call, now, "cancelled")
            return False

    def _requested_calls(self, trunk: str | None, now: float) -> None:
        """Preview and callback calls the agents asked for: the agent's phone first."""
        for r in list(self.db.query(
                "SELECT cc.*, c.status, c.record, c.caller_id, c.ring_s, c.noagent_prompt, "
                "q.name AS queue, k.attempts FROM campaign_calls cc "
                "JOIN campaigns c ON c.id = cc.campaign_id JOIN queues q ON q.id = c.queue_id "
                "LEFT JOIN campaign_contacts k ON k.campaign_id = cc.campaign_id "
                "AND k.contact_id = cc.contact_id WHERE cc.requested_at IS NOT NULL "
                "AND cc.started_at IS NULL AND cc.outcome IS NULL ORDER BY cc.id")):
            call = Call(r["id"], r["campaign_id"], r["contact_id"], r["uniqueid"], r["phone"],
                        r["mode"], now, agent_first=True, agent=r["agent"])
            if r["status"] != "running" or trunk is None or not r["agent"]:
                self._close_unstarted(call, now, "cancelled")
                continue
            if lists.dnc_blocked(self.db, r["phone"], r["campaign_id"]):
                self._close_unstarted(call, now, "cancelled", dnc=True)
                continue
            self._start_row(r["campaign_id"], r["contact_id"], call_id=r["id"], phone=r["phone"],
                            attempt=(r["attempts"] or 0) + 1, mode=r["mode"],
                            uniqueid=r["uniqueid"], now=now)
            self.calls[call.uniqueid] = call
            cid = r["caller_id"] or ""
            variables = {
                "__JNS_CALL": r["id"], "JNS_CAMPAIGN": r["campaign_id"],
                "__JNS_QUEUE": r["queue"], "JNS_RECORD": 1 if r["record"] == "all" else 0,
                "JNS_AGENT": r["agent"],   # the recordings index files it under this agent
                "JNS_DIAL": f"PJSIP/{dial_number(r['phone'])}@{trunk}",
                "JNS_RING_S": int(r["ring_s"]), "JNS_CID": f"<{cid}>" if cid else ""}
            name = self.db.execute("SELECT name FROM contacts WHERE id = ?",
                                   [r["contact_id"]]).fetchone()
            shown = (name[0] if name and name[0] else r["phone"]).replace('"', "'")
            self._send_originate(call, now, Channel=f"PJSIP/{r['agent']}",
                                 Context="jns-campaign-agent", Exten="s", Priority="1",
                                 Timeout=str(AGENT_RING_S * 1000),
                                 CallerID=f'"{shown}" <{dial_number(r["phone"])}>',
                                 Variable=",".join(f"{k}={v}" for k, v in variables.items()))

    def _close_unstarted(self, call: Call, now: float, outcome: str, dnc: bool = False) -> None:
        with store.transaction(self.db):
            self.db.conn.execute("UPDATE campaign_calls SET outcome = ?, ended_at = ? "
                                 "WHERE id = ?", [outcome, now, call.id])
            if call.contact_id is not None:
                if dnc:
                    self.db.conn.execute(
                        "UPDATE campaign_contacts SET state = 'dnc' WHERE campaign_id = ? "
                        "AND contact_id = ?", [call.campaign_id, call.contact_id])
                else:
                    self.db.conn.execute(
                        "UPDATE campaign_contacts SET state = 'retry', next_at = ? WHERE "
                        "campaign_id = ? AND contact_id = ? AND state = 'dialing'",
                        [now, call.campaign_id, call.contact_id])

    def _withdraw(self, calls: list[Call], now: float) -> None:
        """Hang up the campaign's calls still ringing (nobody answered yet)."""
        for call in calls:
            if call.agent_first or call.answered_at or call.withdrawn:
                continue
            call.withdrawn = True
            try:
                self.ami.action("Hangup", timeout=5, Channel=call.uniqueid)
            except Exception as exc:   # already gone: its Hangup event closes it
                log.info("dialer: withdrawing call %s: %s", call.id, exc)

    # -- restarts and the end of a campaign --------------------------------------------

    def _reconcile_calls(self, now: float) -> None:
        """Close calls left open (a dialer or Asterisk restart) that have no live channel."""
        _, events = self.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
        live = {e.get("Uniqueid") for e in events if e.get("Event") == "CoreShowChannel"}
        for call in list(self.calls.values()):
            if call.uniqueid not in live and now - call.started_at > RECONCILE_AFTER_S:
                self._finish(call, now, "failed")
        for r in list(self.db.query(
                "SELECT * FROM campaign_calls WHERE started_at IS NOT NULL AND ended_at IS NULL")):
            if r["uniqueid"] in self.calls:
                continue
            call = Call(r["id"], r["campaign_id"], r["contact_id"], r["uniqueid"], r["phone"],
                        r["mode"], r["started_at"], agent_first=r["requested_at"] is not None,
                        agent=r["agent"], answered_at=r["answered_at"],
                        connected_at=r["connected_at"], agent_answered=True, human_seen=True)
            if r["uniqueid"] in live:
                self.calls[call.uniqueid] = call       # still up: follow it
            else:
                self._finish(call, now, "failed")
                self.db.conn.execute(
                    "UPDATE campaign_contacts SET state = 'retry', next_at = ? WHERE "
                    "campaign_id = ? AND contact_id = ? AND state IN ('dialing', 'failed', 'done')",
                    [now, r["campaign_id"], r["contact_id"]])

    def _finished(self, campaign_id: int, now: float) -> bool:
        """A running campaign with nothing left to call becomes 'finished'; not while an
        agent may still set a disposition that calls again (retry, callback)."""
        left = self.db.execute(
            "SELECT (SELECT count(*) FROM campaign_contacts WHERE campaign_id = :c AND state IN "
            "('new', 'retry', 'dialing', 'callback')) + (SELECT count(*) FROM callbacks WHERE "
            "campaign_id = :c AND done_at IS NULL) + (SELECT count(*) FROM campaign_calls WHERE "
            "campaign_id = :c AND ended_at IS NULL AND outcome IS NULL) + (SELECT count(*) "
            "FROM campaign_calls WHERE campaign_id = :c AND outcome = 'connected' AND "
            "mode != 'voice' AND disposition IS NULL AND ended_at > :since)",
            {"c": campaign_id, "since": now - DISPOSITION_WAIT_S}).fetchone()[0]
        if left:
            return False
        self.db.conn.execute("UPDATE campaigns SET status = 'finished', updated_at = ? "
                             "WHERE id = ? AND status = 'running'", [time.time(), campaign_id])
        log.info("campaign %s finished: every contact has been called", campaign_id)
        return True

    def _write_status(self, campaigns: dict, now: float) -> None:
        text = json.dumps(campaigns, sort_keys=True)
        last_text, last_at = self._status_written
        if (text == last_text and now - last_at < STATUS_HEARTBEAT_S) or now - last_at < STATUS_MIN_S:
            return
        store.set_setting(self.db, "dialer_status",
                          json.dumps({"at": now, "campaigns": campaigns}))
        self._status_written = (text, now)


def _day_start(now: float) -> float:
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
