"""Call-control actions of the live call center, carried out through Asterisk's AMI.

Agent desk (log in and out of queues, pause with a reason, click to call), supervision
(listen, whisper, barge in), the operator's work (transfer, pick up, hang up, park,
conference) and the conference rooms' controls (participants, mute, kick, lock).
jns-calld calls these from its HTTP API; it maps the panel's call ids to channels and
checks nothing else.  Here only facts are checked (the agent exists, the queue
is assigned, the reason is active, the phone is reachable); who may do what is the panel's
job.  Every action is written to live_audit with its result, refused ones too.

A refusal raises ActionError with an English message for the user that says what to do
next.  This module never keeps call state of its own: Asterisk and jns-calld own that.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

from ..store import live
from ..store.db import open_db
from . import conferences, render, skills
from .ami import AMIClient, AMIError

log = logging.getLogger(__name__)

RING_S = 30                 # how long the phone rings for click to call and supervision
SPY_OPTIONS = {"listen": "", "whisper": "w", "barge": "B"}
SPY_WORDS = {"listen": "Listen", "whisper": "Whisper", "barge": "Barge"}
# ChanSpy: q no beep or channel name, E end when the spied-on channel hangs up, u the
# argument is one exact channel name (not a prefix)
SPY_BASE = "qEu"
# OriginateResponse Reason (AST_CONTROL_*) -> what the user is told
_ORIGINATE_REASONS = {
    "0": "is not reachable (not registered, switched off or not connected)",
    "1": "was hung up before the call started",
    "3": "did not answer: pick it up when it rings, and check it is switched on and connected",
    "5": "is busy",
    "8": "is not reachable (the network or the phone refused the call)",
}
UNREACHABLE_STATES = ("unavailable", "invalid", "unknown device")


class ActionError(Exception):
    """An action refused or failed; the message is shown to the user as it is."""


def normalise_number(number: str, extensions: Iterable[str] = ()) -> str:
    """The number to dial: spaces, dashes, dots and brackets removed; a 9-digit Polish
    number gets +48; 0048.. and +.. are kept; an internal extension or a parking space is
    kept.  Anything else raises ActionError."""
    raw = (number or "").strip()
    cleaned = re.sub(r"[\s\-().\/]", "", raw)
    if not cleaned:
        raise ActionError("type the number to call")
    if not re.fullmatch(r"\+?[0-9]+", cleaned):
        raise ActionError(f"{raw!r} is not a phone number: use digits only, e.g. 600 100 200, "
                          "+48 600 100 200 or an extension")
    exts = set(extensions)
    if cleaned in exts or (cleaned.isdigit() and
                           render.PARK_FIRST <= int(cleaned) <= render.PARK_LAST):
        return cleaned
    if cleaned.startswith("+"):
        if len(cleaned) < 8:
            raise ActionError(f"{raw!r} is too short for an international number")
        return cleaned
    if cleaned.startswith("00"):
        if len(cleaned) < 9:
            raise ActionError(f"{raw!r} is too short for an international number")
        return cleaned
    if len(cleaned) == 9 and cleaned[0] != "0":
        return "+48" + cleaned
    if len(cleaned) == 11 and cleaned.startswith("48"):
        return "+" + cleaned
    if len(cleaned) <= 6:
        raise ActionError(f"there is no extension {cleaned}; check the number")
    raise ActionError(f"{raw!r} is not a number we can call: type 9 digits for a Polish "
                      "number, + and the country code for abroad, or an extension")


def _channel_ext(channel: str) -> str:
    """PJSIP/101-0000001a -> 101 (the device part of a channel name)."""
    return channel.split("/", 1)[-1].rsplit("-", 1)[0]


class Actions:
    """The call-control actions on one Asterisk (through `ami`) and one database."""

    def __init__(self, ami: AMIClient, db_path: str, *, ring_s: int = RING_S):
        self.ami = ami
        self.db_path = db_path
        self.ring_s = ring_s     # how long a phone rings before "did not answer"
        open_db(db_path).conn.close()   # migrated once, up front
        self._local = threading.local()

    # -- helpers -----------------------------------------------------------------------

    @property
    def db(self):
        """This action's own connection (jns-calld runs each request in a new thread)."""
        return self._local.db

    def _audit(self, user: str, action: str, *, call: str = "", channel: str = "",
               target: str = "", result: str = "ok") -> None:
        try:
            live.audit(self.db, user, action, call=call, channel=channel, target=target,
                       result=result)
        except Exception:   # the audit must never turn a done action into an error
            log.exception("could not audit %s by %s", action, user)

    def _run(self, user: str, action: str, fn, *, call: str = "", channel: str = "",
             target: str = ""):
        """Run fn() with a database connection of its own; audit the outcome; AMI
        failures become a message for the user."""
        self._local.db = open_db(self.db_path, migrate=False)
        try:
            try:
                result = fn()
            except ActionError as exc:
                self._audit(user, action, call=call, channel=channel, target=target,
                            result=str(exc))
                raise
            except AMIError as exc:
                log.warning("%s by %s failed: %s", action, user, exc)
                message = _ami_message(str(exc))
                self._audit(user, action, call=call, channel=channel, target=target,
                            result=message)
                raise ActionError(message) from exc
            self._audit(user, action, call=call, channel=channel, target=target)
            return result
        finally:
            self._local.db.conn.close()
            self._local.db = None

    def _agent(self, ext: str) -> dict:
        row = self.db.execute("SELECT extension, name, login FROM agents WHERE extension = ?",
                              [str(ext or "")]).fetchone()
        if row is None:
            raise ActionError(f"there is no agent with extension {ext!r}; reload the page")
        return {"ext": row[0], "name": row[1], "login": bool(row[2])}

    def _memberships(self, ext: str) -> dict[str, dict]:
        """{queue: QueueMember event} of the queues Asterisk has this agent in now."""
        _, events = self.ami.action_list("QueueStatus", "QueueStatusComplete",
                                         Member=f"PJSIP/{ext}")
        return {e["Queue"]: e for e in events if e.get("Event") == "QueueMember"
                and (e.get("StateInterface") == f"PJSIP/{ext}"
                     or e.get("Interface", e.get("Location")) == f"PJSIP/{ext}")}

    def _device_state(self, ext: str) -> str:
        """Asterisk's device state of an extension's phone, lower case ("not in use",
        "unavailable" ...); "invalid" when Asterisk does not know the endpoint."""
        try:
            _, events = self.ami.action_list("PJSIPShowEndpoint", "EndpointDetailComplete",
                                             Endpoint=ext)
        except AMIError as exc:
            if "unable to retrieve endpoint" in str(exc).lower():
                return "invalid"
            raise
        for e in events:
            if e.get("Event") == "EndpointDetail":
                return (e.get("DeviceState") or "unknown").lower()
        return "invalid"

    def _check_phone(self, ext: str, whose: str) -> None:
        state = self._device_state(ext)
        if state in UNREACHABLE_STATES:
            raise ActionError(f"{whose} phone (extension {ext}) is not registered or not "
                              "reachable; switch it on or check its network cable, then try again")

    def _originate(self, phone: str, whose: str, **headers: str) -> dict:
        """Ring `phone`; when it answers it goes on as `headers` say.  Raises ActionError
        with the reason when the phone does not answer."""
        response, event = self.ami.action_wait(
            "Originate", "OriginateResponse", timeout=self.ring_s + 15,
            Channel=f"PJSIP/{phone}", Timeout=str(self.ring_s * 1000), Async="true", **headers)
        if event.get("Response") != "Success":
            why = _ORIGINATE_REASONS.get(event.get("Reason", ""), "could not be called")
            raise ActionError(f"{whose} phone (extension {phone}) {why}; then try again")
        return event

    def _queue_exists(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM queues WHERE name = ?", [name]).fetchone() is not None

    def _extensions(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT extension FROM agents")]

    # -- agent desk --------------------------------------------------------------------

    def login(self, agent: str, queues: list[str] | None, *, user: str) -> dict:
        """Log the agent in to `queues` (None: every queue assigned to it)."""
        def run():
            a = self._agent(agent)
            if not a["login"]:
                raise ActionError(f"agent {a['ext']} is always logged in to its queues; "
                                  "no login is needed")
            assigned = {r[0]: r[1] for r in self.db.execute(
                "SELECT q.name, m.penalty FROM queue_members m JOIN queues q ON q.id = m.queue_id "
                "JOIN agents a ON a.id = m.agent_id WHERE a.extension = ?", [a["ext"]])}
            wanted = list(assigned) if queues is None else list(dict.fromkeys(queues))
            if not wanted:
                raise ActionError(f"agent {a['ext']} is not assigned to any queue; "
                                  "an admin assigns queues on the Queues page")
            for q in wanted:
                if q not in assigned:
                    raise ActionError(f"agent {a['ext']} is not assigned to queue {q!r}; "
                                      "an admin assigns queues on the Queues page")
            for q in wanted:
                # the queue, or with a skill rule its Asterisk queues the agent qualifies
                # for, with the rule's penalties (telephony.skills)
                for member_queue, penalty in skills.member_penalties(self.db, q, a["ext"]).items():
                    try:
                        self.ami.action("QueueAdd", Queue=member_queue,
                                        Interface=f"PJSIP/{a['ext']}", Penalty=str(penalty),
                                        Paused="false", MemberName=a["name"],
                                        StateInterface=f"PJSIP/{a['ext']}")
                    except AMIError as exc:
                        if "already there" not in str(exc).lower():
                            raise
            return {"ok": True, "queues": wanted}
        return self._run(user, "login", run, target=f"{agent}:{','.join(queues or [])}")

    def logout(self, agent: str, *, user: str) -> dict:
        """Log the agent out of every queue it is logged in to."""
        def run():
            a = self._agent(agent)
            if not a["login"]:
                raise ActionError(f"agent {a['ext']} is always logged in to its queues and "
                                  "cannot log out; pause instead")
            left = []
            for q in self._memberships(a["ext"]):
                try:
                    self.ami.action("QueueRemove", Queue=q, Interface=f"PJSIP/{a['ext']}")
                    if skills.base_queue(q) not in left:    # "support.pl" is "support"
                        left.append(skills.base_queue(q))
                except AMIError as exc:
                    if "not there" not in str(exc).lower():
                        raise
            return {"ok": True, "queues": left}
        return self._run(user, "logout", run, target=agent)

    def pause(self, agent: str, reason: str, *, user: str) -> dict:
        """Pause the agent in all its queues with a pause reason (queue_log: PAUSE ...)."""
        def run():
            a = self._agent(agent)
            codes = {r["code"] for r in live.pause_reasons(self.db)}
            if reason not in codes:
                raise ActionError(f"{reason!r} is not a pause reason; choose one from the list")
            if not self._memberships(a["ext"]):
                raise ActionError(f"agent {a['ext']} is not logged in to any queue; log in first")
            self.ami.action("QueuePause", Interface=f"PJSIP/{a['ext']}", Paused="true",
                            Reason=reason)
            return {"ok": True}
        return self._run(user, "pause", run, target=f"{agent}:{reason}")

    def unpause(self, agent: str, *, user: str) -> dict:
        """End the agent's pause in all its queues."""
        def run():
            a = self._agent(agent)
            if not self._memberships(a["ext"]):
                raise ActionError(f"agent {a['ext']} is not logged in to any queue; log in first")
            self.ami.action("QueuePause", Interface=f"PJSIP/{a['ext']}", Paused="false")
            return {"ok": True}
        return self._run(user, "unpause", run, target=agent)

    def dial(self, agent: str, number: str, *, user: str) -> dict:
        """Click to call: Asterisk rings the agent's phone (showing the number); when the
        agent answers it calls the number."""
        def run():
            a = self._agent(agent)
            target = normalise_number(number, self._extensions())
            if target == a["ext"]:
                raise ActionError("that is your own extension; type the number to call")
            self._check_phone(a["ext"], "your")
            cid = a["name"].replace('"', "'")
            self._originate(a["ext"], "your", Context="jns-agent-call", Exten=target,
                            Priority="1", CallerID=f'"{target}" <{target}>',
                            Variable=f'JNS_AGENT_CID="{cid}" <{a["ext"]}>')
            return {"ok": True, "number": target}
        return self._run(user, "dial", run, target=f"{agent}>{number}")

    def drop_unassigned(self, *, user: str = "system") -> list[tuple[str, str]]:
        """Log agents out of queues the admin no longer assigns them to (desk logins are
        kept by Asterisk across restarts, so a removed assignment would otherwise keep
        ringing the agent).  jns-calld calls it after every rebuild and whenever the
        assignments change; returns the (extension, queue) memberships it ended, each
        audited (a run that ends nothing leaves no audit row)."""
        db = open_db(self.db_path, migrate=False)
        try:
            # (extension, Asterisk queue): with a skill rule, the variants the agent
            # qualifies for (an agent who lost a skill leaves those here too)
            snap = skills.routing_snapshot(db)
            assigned = {(ext, aq.name) for q in snap["queues"]
                        for aq in skills.asterisk_queues(q, snap) for ext in aq.penalties}
            _, events = self.ami.action_list("QueueStatus", "QueueStatusComplete")
            dropped = []
            for e in events:
                iface = e.get("StateInterface") or e.get("Interface") or ""
                if (e.get("Event") != "QueueMember" or e.get("Membership") != "dynamic"
                        or not iface.startswith("PJSIP/")):
                    continue
                ext = iface.split("/", 1)[1]
                if (ext, e["Queue"]) in assigned:
                    continue
                try:
                    self.ami.action("QueueRemove", Queue=e["Queue"],
                                    Interface=e.get("Interface") or iface)
                except AMIError as exc:
                    # a busy Asterisk may remove the member but answer too late: it counts
                    # (and is audited) once QueueStatus no longer lists it
                    late = "did not answer" in str(exc) and not self._is_member(e["Queue"], iface)
                    if not late:
                        if "not there" in str(exc).lower():
                            continue
                        raise
                dropped.append((ext, e["Queue"]))
                live.audit(db, user, "drop_unassigned", target=f"{ext} from {e['Queue']}")
            self._follow_skills(db, snap, events)
            return dropped
        finally:
            db.conn.close()

    def _is_member(self, queue: str, iface: str) -> bool:
        _, events = self.ami.action_list("QueueStatus", "QueueStatusComplete", Queue=queue)
        return any(e.get("Event") == "QueueMember" and iface in (
            e.get("StateInterface"), e.get("Interface")) for e in events)

    def _follow_skills(self, db, snap: dict, events: list[dict]) -> None:
        """Desk logins follow a changed skill rule or agent's levels at once: the new
        penalty in each Asterisk queue of a skill-routed queue (QueuePenalty), and a
        language variant the agent now qualifies for joined as it is in its queue (paused
        or not).  Static members get theirs from queues.conf on the same apply."""
        have = {}
        for e in events:
            iface = e.get("StateInterface") or e.get("Interface") or ""
            if (e.get("Event") == "QueueMember" and e.get("Membership") == "dynamic"
                    and iface.startswith("PJSIP/")):
                have[(iface.split("/", 1)[1], e["Queue"])] = e
        # (extension, queue) -> one of its memberships there: logged in to the queue at all
        logged_in = {(ext, skills.base_queue(name)): e for (ext, name), e in have.items()}
        for q in snap["queues"]:
            if not (q.get("skill_rule") or "").strip():
                continue
            for aq in skills.asterisk_queues(q, snap):
                for ext, penalty in aq.penalties.items():
                    mine = have.get((ext, aq.name))
                    if mine is not None:
                        if mine.get("Penalty") != str(penalty):
                            self.ami.action("QueuePenalty", Queue=aq.name, Penalty=str(penalty),
                                            Interface=mine.get("Interface") or f"PJSIP/{ext}")
                            live.audit(db, "system", "skill_penalty",
                                       target=f"{ext} in {aq.name}: {penalty}")
                        continue
                    logged = logged_in.get((ext, q["name"]))
                    if logged is None:
                        continue        # not logged in to this queue at the desk
                    try:
                        self.ami.action("QueueAdd", Queue=aq.name, Interface=f"PJSIP/{ext}",
                                        Penalty=str(penalty),
                                        Paused="true" if logged.get("Paused") == "1" else "false",
                                        MemberName=logged.get("Name") or ext,
                                        StateInterface=f"PJSIP/{ext}")
                        live.audit(db, "system", "skill_join", target=f"{ext} to {aq.name}")
                    except AMIError as exc:
                        if "already there" not in str(exc).lower():
                            raise

    # -- supervision -------------------------------------------------------------------

    def spy(self, phone: str | None, channel: str, mode: str, *, user: str,
            call: str = "") -> dict:
        """Listen to, whisper to (only the agent hears) or barge in on (both hear) the call
        of `channel` (the agent's channel) from the supervisor's own phone."""
        def run():
            if mode not in SPY_OPTIONS:
                raise ActionError(f"unknown mode {mode!r}; choose listen, whisper or barge")
            if not phone:
                raise ActionError("your user is not linked to a phone extension; an admin "
                                  "links it on the Users page")
            if not channel:
                raise ActionError("this call has no agent to listen to yet; try again when "
                                  "an agent has answered it")
            self._check_phone(phone, "your")
            self._originate(
                phone, "your", Application="ChanSpy",
                Data=f"{channel},{SPY_BASE}{SPY_OPTIONS[mode]}",
                CallerID=f'"{SPY_WORDS[mode]} {_channel_ext(channel)}" <{phone}>')
            return {"ok": True}
        return self._run(user, mode if mode in SPY_OPTIONS else "spy", run, call=call,
                         channel=channel, target=phone or "")

    # -- the operator ------------------------------------------------------------------

    def transfer(self, channel: str, kind: str, target: str, *, user: str,
                 call: str = "") -> dict:
        """Send the caller (waiting or talking) to an extension or a queue."""
        def run():
            if kind == "extension":
                if target not in self._extensions():
                    raise ActionError(f"there is no extension {target!r}; choose one from the list")
                context = "jns-extension"
            elif kind == "queue":
                if not self._queue_exists(target):
                    raise ActionError(f"there is no queue {target!r}; choose one from the list")
                context = "jns-queue"
            else:
                raise ActionError(f"unknown transfer {kind!r}; choose an extension or a queue")
            self._send(channel, context, target)
            return {"ok": True}
        return self._run(user, "transfer", run, call=call, channel=channel,
                         target=f"{kind}:{target}")

    def pickup(self, channel: str, phone: str | None, *, user: str, call: str = "") -> dict:
        """The operator takes the call on their own phone (it rings there)."""
        def run():
            if not phone:
                raise ActionError("your user is not linked to a phone extension; an admin "
                                  "links it on the Users page")
            self._check_phone(phone, "your")
            self._send(channel, "jns-extension", phone)
            return {"ok": True}
        return self._run(user, "pickup", run, call=call, channel=channel, target=phone or "")

    def hangup(self, channel: str, *, user: str, call: str = "") -> dict:
        """End the call."""
        def run():
            self._need_channel(channel)
            try:
                self.ami.action("Hangup", Channel=channel)
            except AMIError as exc:
                _gone(exc)
            return {"ok": True}
        return self._run(user, "hangup", run, call=call, channel=channel)

    def park(self, channel: str, *, user: str, call: str = "") -> dict:
        """Park the caller on the first free space; anyone dials the space to take it."""
        def run():
            self._need_channel(channel)
            _, events = self.ami.action_list("ParkedCalls", "ParkedCallsComplete")
            taken = {e.get("ParkingSpace") for e in events if e.get("Event") == "ParkedCall"}
            free = [str(n) for n in range(render.PARK_FIRST, render.PARK_LAST + 1)
                    if str(n) not in taken]
            if not free:
                raise ActionError(f"all parking spaces ({render.PARK_FIRST}-{render.PARK_LAST}) "
                                  "are taken; transfer the call instead")
            self._send(channel, "jns-park", free[0])
            return {"ok": True, "space": free[0]}
        return self._run(user, "park", run, call=call, channel=channel)

    def conference(self, channels: list[str], *, phone: str | None, user: str,
                   call: str = "") -> dict:
        """Put the callers (and the operator's phone, if given) into a new conference room."""
        channels = [c for c in dict.fromkeys(channels or []) if c]

        def run():
            if len(channels) + (1 if phone else 0) < 2:
                raise ActionError("a conference needs two calls, or one call and your own "
                                  "phone; tick more calls")
            if phone:
                self._check_phone(phone, "your")
            room = self._free_room()
            queued = self._queued()
            rest = []
            for ch in channels:
                if not (ch in queued and self._withdraw(ch, queued[ch], "jns-conference", room)):
                    rest.append(ch)
            # two at a time: channels bridged to each other must move together, or the
            # one left behind is hung up
            for i in range(0, len(rest), 2):
                pair = rest[i:i + 2]
                extra = {}
                if len(pair) == 2:
                    extra = {"ExtraChannel": pair[1], "ExtraContext": "jns-conference",
                             "ExtraExten": room, "ExtraPriority": "1"}
                try:
                    self.ami.action("Redirect", Channel=pair[0], Context="jns-conference",
                                    Exten=room, Priority="1", **extra)
                except AMIError as exc:
                    _gone(exc)
            if phone:
                self._originate(phone, "your", Context="jns-conference", Exten=room,
                                Priority="1", CallerID=f'"Conference {room}" <{room}>')
            return {"ok": True, "room": room}
        return self._run(user, "conference", run, call=call, channel=",".join(channels),
                         target=phone or "")

    def _free_room(self) -> str:
        try:
            _, events = self.ami.action_list("ConfbridgeListRooms",
                                             "ConfbridgeListRoomsComplete")
        except AMIError as exc:
            if "no active conferences" not in str(exc).lower():
                raise
            events = []
        used = {e.get("Conference") for e in events}
        n = 1
        while f"op-{n}" in used:
            n += 1
        return f"op-{n}"

    # -- conference rooms (CONF-1, CONF-2) ----------------------------------------------

    def conf_rooms(self) -> dict:
        """{room number: {"members", "locked"}} of the rooms with somebody in them now
        (a read: not audited)."""
        try:
            _, events = self.ami.action_list("ConfbridgeListRooms",
                                             "ConfbridgeListRoomsComplete")
        except AMIError as exc:
            if "no active conferences" not in str(exc).lower():
                raise ActionError(_ami_message(str(exc))) from exc
            events = []
        out = {}
        for e in events:
            name = e.get("Conference", "")
            if e.get("Event") == "ConfbridgeListRooms" and name.startswith("conf-"):
                out[name[5:]] = {"members": int(e.get("Parties") or 0),
                                 "locked": (e.get("Locked") or "").lower() == "yes"}
        return {"rooms": out}

    def conf_list(self, room: str) -> dict:
        """The participants of a room (a read: not audited, the live page asks every 2 s);
        an empty room is an empty list."""
        self._local.db = open_db(self.db_path, migrate=False)
        try:
            self._conf_room(room)
            try:
                return {"room": room, "locked": self._conf_locked(room),
                        "participants": self._conf_participants(room)}
            except AMIError as exc:
                raise ActionError(_ami_message(str(exc))) from exc
        finally:
            self._local.db.conn.close()
            self._local.db = None

    def conf_member(self, room: str, channel: str, what: str, *, user: str) -> dict:
        """mute / unmute / kick one participant.  A listener is never unmuted: listen-only
        is what their PIN promised the others.  A kick ends the participant's call (Hangup):
        ConfbridgeKick is lost while Asterisk still plays the join announcement."""
        verbs = {"mute": "ConfbridgeMute", "unmute": "ConfbridgeUnmute", "kick": "Hangup"}

        def run():
            if what not in verbs:
                raise ActionError(f"unknown conference action {what!r}")
            self._conf_room(room)
            who = {p["channel"]: p for p in self._conf_participants(room)}
            if channel not in who:
                raise ActionError("this participant has left the conference; the list is "
                                  "refreshed")
            if what == "unmute" and who[channel]["role"] == "listener":
                raise ActionError("a listen-only participant cannot be unmuted; they joined "
                                  "with the listener PIN")
            try:
                if what == "kick":
                    self.ami.action("Hangup", Channel=channel)
                else:
                    self.ami.action(verbs[what], Conference=conferences.bridge(room),
                                    Channel=channel)
            except AMIError as exc:
                _gone(exc)
            return {"ok": True}
        return self._run(user, f"conf_{what}", run, channel=channel, target=room)

    def conf_mute_all(self, room: str, muted: bool, *, user: str) -> dict:
        """Mute (or unmute) every participant but the leaders; listeners stay muted."""
        def run():
            self._conf_room(room)
            done = 0
            for p in self._conf_participants(room):
                if p["role"] == "leader" or (not muted and p["role"] == "listener"):
                    continue
                if p["muted"] != muted:
                    self.ami.action("ConfbridgeMute" if muted else "ConfbridgeUnmute",
                                    Conference=conferences.bridge(room), Channel=p["channel"])
                    done += 1
            return {"ok": True, "changed": done}
        return self._run(user, "conf_mute_all" if muted else "conf_unmute_all", run, target=room)

    def conf_lock(self, room: str, locked: bool, *, user: str) -> dict:
        """Lock the room (nobody else gets in) or open it again."""
        def run():
            self._conf_room(room)
            if not self._conf_participants(room):
                raise ActionError("nobody is in this room; a room is locked while in use")
            self.ami.action("ConfbridgeLock" if locked else "ConfbridgeUnlock",
                            Conference=conferences.bridge(room))
            return {"ok": True, "locked": locked}
        return self._run(user, "conf_lock" if locked else "conf_unlock", run, target=room)

    def _conf_room(self, room: str) -> None:
        if not self.db.execute("SELECT 1 FROM conf_rooms WHERE number = ?",
                               [str(room or "")]).fetchone():
            raise ActionError(f"there is no conference room {room!r}; reload the page")

    def _conf_participants(self, room: str) -> list[dict]:
        try:
            _, events = self.ami.action_list("ConfbridgeList", "ConfbridgeListComplete",
                                             Conference=conferences.bridge(room))
        except AMIError as exc:
            text = str(exc).lower()
            if "no conference by that name" in text or "no active conferences" in text:
                return []   # nobody in the room (or in any room)
            raise
        roles = {}
        for e in events:
            if e.get("Event") == "ConfbridgeList" and e.get("Channel"):
                try:
                    roles[e["Channel"]] = self.ami.action(
                        "Getvar", Channel=e["Channel"], Variable="JNS_CONF_ROLE").get("Value", "")
                except AMIError:   # left meanwhile: ConfbridgeList's own flags decide
                    pass
        return conferences.participants(events, roles)

    def _conf_locked(self, room: str) -> bool:
        try:
            _, events = self.ami.action_list("ConfbridgeListRooms",
                                             "ConfbridgeListRoomsComplete")
        except AMIError as exc:
            if "no active conferences" in str(exc).lower():
                return False
            raise
        return any(e.get("Conference") == conferences.bridge(room)
                   and (e.get("Locked") or "").lower() == "yes" for e in events)

    def _need_channel(self, channel: str) -> None:
        if not channel:
            raise ActionError("this call has ended; reload the page")

    def _queued(self) -> dict[str, str]:
        """{channel: queue} of every caller waiting in a queue now."""
        _, events = self.ami.action_list("QueueStatus", "QueueStatusComplete")
        return {e["Channel"]: e["Queue"] for e in events
                if e.get("Event") == "QueueEntry" and e.get("Channel")}

    def _withdraw(self, channel: str, queue: str, context: str, exten: str) -> bool:
        """Take a waiting caller out of its queue to context,exten (queue_log: WITHDRAW,
        so the reports do not count the call as abandoned).  False when it is no longer
        waiting there (answered meanwhile)."""
        try:
            self.ami.action("QueueWithdrawCaller", Queue=queue, Caller=channel,
                            WithdrawInfo=f"{context},{exten},1")
        except AMIError as exc:
            if "no such caller" in str(exc).lower():
                return False
            raise
        return True

    def _send(self, channel: str, context: str, exten: str) -> None:
        """Send a caller on to context,exten: out of its queue if it waits in one, else by
        a Redirect (a caller talking to an agent: the agent's leg ends)."""
        self._need_channel(channel)
        queue = self._queued().get(channel)
        if queue and self._withdraw(channel, queue, context, exten):
            return
        self._redirect(channel, context, exten)

    def _redirect(self, channel: str, context: str, exten: str) -> None:
        self._need_channel(channel)
        try:
            self.ami.action("Redirect", Channel=channel, Context=context, Exten=exten,
                            Priority="1")
        except AMIError as exc:
            _gone(exc)


def _gone(exc: AMIError) -> None:
    """An action on a channel that no longer exists: the call ended meanwhile."""
    text = str(exc).lower()
    if "no such channel" in text or "channel does not exist" in text or "not found" in text:
        raise ActionError("this call has just ended") from exc
    raise exc


def _ami_message(text: str) -> str:
    if "not reachable" in text or "connection lost" in text or "did not answer" in text:
        return "the telephone system (Asterisk) is not answering right now; try again in a minute"
    return f"the telephone system refused this: {text}"
