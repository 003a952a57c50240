"""Callback instead of waiting (virtual hold, issue 12 item 2).

A caller waiting in a queue that offers it presses the queue's callback key: the dialplan
([jns-queue-exit-<queue>]) says so in a UserEvent JnsCallback and hangs up.  This module's
CallbackService (a thread of jns-calld, like the conference caller) then keeps the caller's
place with a placeholder: a Local channel that waits in the queue at the caller's own
position (Queue()'s `position` argument, from QUEUEPOSITION when they left).  When an agent
answers the placeholder, its other half dials the customer back ([jns-callback-dial]) and
the agent talks to them.  So a callback never jumps ahead of callers who waited longer and
never rings a customer without a free agent on the line.

One open callback per queue and number (a partial UNIQUE index): asking again while one is
open only hears the confirmation.  Unanswered callbacks are dialled again `callback_retries`
times, then reported failed; one still waiting after `callback_expiry_s` is dropped and
reported expired.  queue_log gets INFO CALLBACK|requested/connected/failed/expired lines on
the asking call's callid, so the reports can count them.

At closing time ("press 1 to be called back", the destination 'callback' with a queue as
its target, [jns-callback]): the caller who presses 1 gets a callback due at the dialled
number's next opening (its route's schedule; no hours known: due at once).  A due callback
is placed at the back of the queue, and only while the queue has a logged-in agent; its
expiry counts from when it became due.
"""
from __future__ import annotations

import datetime
import logging
import os
import time
import uuid
from typing import Callable

from ..campaigns.dialer import dial_number
from ..store.db import StoreError, transaction
from .ami import AmiWorker, start_worker
from .skills import base_queue, member_queue
from .live import extension_of

log = logging.getLogger(__name__)

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
OPEN = ("requested", "waiting", "dialling")
STATUSES = (*OPEN, "connected", "failed", "expired", "cancelled")
RING_S = 30                 # one attempt rings the customer this long
RETRY_PAUSE_S = 5           # between attempts (the agent hears music meanwhile)
CONFIRM_PROMPT = "callback-confirm"    # an admin's prompt of this name replaces the default
DEFAULT_CONFIRM = "auth-thankyou&vm-goodbye"
OFFER_PROMPT = "callback-offer"        # closing time: "press 1 to be called back"
DEFAULT_OFFER = "vm-tocallback&vm-press&digits/1"
OFFER_TRIES, OFFER_WAIT_S = 2, 6       # the offer is played twice, 6 s for the key each time
OPENING_LOOKAHEAD_DAYS = 14            # no opening within this: due at once
TICK_S = 0.5
RECONCILE_AFTER_S = 5.0    # a placeholder younger than this may not be listed yet
EXPIRY_GRACE_S = 10       # the tick drops a callback this long after its expiry
UID_PREFIX = "jnscb-"

E_KEY = "The callback key must be one of 0-9, * or # (empty: no callback)."
E_OPERATOR_KEY = "The callback key cannot be the operator key."
E_RETRIES = "Callback retries must be a whole number from 0 to 5."
E_EXPIRY = "Callback expiry must be a whole number of minutes from 1 to 1440."
E_QUEUE = "Unknown queue."


# -- store -------------------------------------------------------------------------------------

def set_queue_callback(db, queue: str, *, key: str, retries, expiry_s) -> None:
    """The queue's three callback settings, checked (the panel's queue form calls this)."""
    from ..store import config
    key = (key or "").strip()
    if key and key not in KEYS:
        raise StoreError(E_KEY)
    if key and key == config.settings(db)["operator_key"]:
        raise StoreError(E_OPERATOR_KEY)
    try:
        retries = int(retries)
    except (TypeError, ValueError):
        raise StoreError(E_RETRIES) from None
    if not 0 <= retries <= 5:
        raise StoreError(E_RETRIES)
    try:
        expiry_s = int(expiry_s)
    except (TypeError, ValueError):
        raise StoreError(E_EXPIRY) from None
    if not 60 <= expiry_s <= 86400:
        raise StoreError(E_EXPIRY)
    with transaction(db):
        cur = db.conn.execute("UPDATE queues SET callback_key = ?, callback_retries = ?, "
                              "callback_expiry_s = ? WHERE name = ?",
                              [key, retries, expiry_s, queue])
        if cur.rowcount == 0:
            raise StoreError(E_QUEUE)


def request(db, queue: str, number: str, *, caller_uniqueid: str = "", position: int = 0,
            did: str = "", at: float | None = None, due_at: float | None = None,
            member_queue: str = "") -> tuple[int, bool]:
    """A caller asked to be called back: (the open callback's id, whether it is new).  A
    second request for the same number while one is open only returns the first.
    `due_at`: not before then (closing time), at the back of the queue.  `member_queue`:
    the skills variant of the queue the placeholder joins (telephony.skills)."""
    at = time.time() if at is None else at
    with transaction(db):
        row = db.execute("SELECT id FROM queue_callbacks WHERE queue = ? AND number = ? AND "
                         "status IN ('requested', 'waiting', 'dialling')",
                         [queue, number]).fetchone()
        if row:
            return row[0], False
        new = db.conn.execute(
            "INSERT INTO queue_callbacks (queue, number, caller_uniqueid, did, position, "
            "requested_at, due_at, member_queue) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [queue, number, caller_uniqueid, did, max(0, int(position or 0)), at,
             due_at, member_queue if base_queue(member_queue) == queue else ""]).lastrowid
    return new, True


def update(db, callback_id: int, **values) -> None:
    """Set columns of one callback (status changes only from an open state)."""
    if not values:
        return
    sql = "UPDATE queue_callbacks SET " + ", ".join(f"{k} = ?" for k in values) + " WHERE id = ?"
    if "status" in values:
        sql += " AND status IN ('requested', 'waiting', 'dialling')"
    with transaction(db):
        db.conn.execute(sql, [*values.values(), callback_id])


def get(db, callback_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM queue_callbacks WHERE id = ?", [callback_id]))
    return dict(rows[0]) if rows else None


def waiting_counts(db) -> dict[str, int]:
    """Open callbacks per queue (the wallboard's figure)."""
    return {q: n for q, n in db.execute(
        "SELECT queue, count(*) FROM queue_callbacks WHERE status IN "
        "('requested', 'waiting', 'dialling') GROUP BY queue")}


def expired(db, now: float) -> list[dict]:
    """Callbacks not yet taken by an agent whose queue's expiry has passed (counted from
    when they became due)."""
    return [dict(r) for r in db.query(
        "SELECT c.*, q.callback_expiry_s FROM queue_callbacks c JOIN queues q ON q.name = c.queue "
        "WHERE c.status IN ('requested', 'waiting') "
        "AND coalesce(c.due_at, c.requested_at) + q.callback_expiry_s <= ?", [now])]


def next_opening(db, did: str, now: datetime.datetime) -> datetime.datetime | None:
    """When the dialled number's route opens next (box local time; `now` when it is open
    now); None when its route has no opening hours or none within two weeks."""
    row = db.execute("SELECT schedule_id FROM inbound_routes WHERE did = ?", [did]).fetchone()
    if not row or not row[0]:
        return None
    hours = db.execute("SELECT weekday, opens, closes FROM schedule_hours WHERE schedule_id = ? "
                       "ORDER BY opens", [row[0]]).fetchall()
    holidays = {d for (d,) in db.execute("SELECT day FROM schedule_holidays WHERE "
                                         "schedule_id = ?", [row[0]])}
    for offset in range(OPENING_LOOKAHEAD_DAYS + 1):
        day = now.date() + datetime.timedelta(days=offset)
        if day.isoformat() in holidays or day.isoformat()[5:] in holidays:
            continue
        for weekday, opens, closes in hours:
            if weekday != day.weekday():
                continue
            start = datetime.datetime.combine(day, datetime.time.fromisoformat(opens))
            end = datetime.datetime.combine(day, datetime.time.fromisoformat(closes))
            if start <= now < end:
                return now
            if start > now:
                return start
    return None


# -- dialplan ----------------------------------------------------------------------------------

def exit_context(q: dict) -> str:
    """The queue's `context` in queues.conf: its own when it offers callbacks."""
    return f"jns-queue-exit-{q['name']}" if q.get("callback_key") else "jns-queue-exit"


def dialplan(snap: dict, lay) -> list[str]:
    """extensions.conf lines: each offering queue's exit context with its callback key, the
    placeholder's wait in the queue and the call back to the customer.

    The service's Originate sets JNS_CB (queue_callbacks id), JNS_CB_QUEUE, JNS_CB_POS,
    JNS_CB_WAIT (seconds it may still wait), JNS_CB_DIAL (the customer's dial string),
    JNS_CB_RETRIES, JNS_CB_CALLID (the asking call's queue callid), JNS_CB_CID and
    JNS_CB_RECORD (1: record the customer's leg by the queue's policy), JNS_CB_RULE (the
    skills penalty rule of the Asterisk queue joined, '' = none); facts come
    back as UserEvent JnsCallback (Kind: requested, dialling, connected, failed, left).
    """
    confirm = (f"{lay.root}/prompts/{snap['prompts'][CONFIRM_PROMPT][0]}/{CONFIRM_PROMPT}"
               if CONFIRM_PROMPT in snap.get("prompts", {}) else DEFAULT_CONFIRM)
    offer = (f"{lay.root}/prompts/{snap['prompts'][OFFER_PROMPT][0]}/{OFFER_PROMPT}"
             if OFFER_PROMPT in snap.get("prompts", {}) else DEFAULT_OFFER)
    ev = "UserEvent(JnsCallback,Id: ${JNS_CB},Kind: "
    out: list[str] = []
    for q in snap["queues"]:
        if not q.get("callback_key"):
            continue
        name = q["name"]
        out += [
            "", f"; queue {name}: its callback key (the operator key and the rest as for all)",
            f"[{exit_context(q)}]",
            "include => jns-queue-exit",
            f"exten => {q['callback_key']},1,"
            'GotoIf($["${FILTER(+0123456789,${CALLERID(num)})}" != "${CALLERID(num)}" '
            '| "${CALLERID(num)}" = ""]?nonumber)',
            f" same => n,UserEvent(JnsCallback,Kind: requested,Queue: {name},"
            "Number: ${CALLERID(num)},Caller: ${UNIQUEID},Position: ${QUEUEPOSITION},"
            "Did: ${JNS_DID},MemberQueue: ${JNS_MEMBER_QUEUE})",
            f" same => n,QueueLog({name},${{UNIQUEID}},NONE,INFO,CALLBACK|requested|${{CALLERID(num)}})",
            " same => n,Set(CDR(userfield)=${CDR(userfield)}&callback=requested)",
            f" same => n,Playback({confirm})",
            " same => n,Hangup()",
            # no number to call back: say so and wait again (at the end of the queue)
            " same => n(nonumber),Playback(unidentified-no-callback)",
            f" same => n,Goto(jns-queue,{name},1)",
        ]
    out += ["", "; the destination 'callback' (closing time): press 1 to be called back from",
            "; the queue when the dialled number opens again", "[jns-callback]"]
    for q in snap["queues"]:
        out += [f"exten => {q['name']},1,Set(JNS_CB_OFFER={q['name']})",
                " same => n,Goto(jns-callback-offer,s,1)"]
    out += [
        "", "[jns-callback-offer]",
        'exten => s,1,GotoIf($["${FILTER(+0123456789,${CALLERID(num)})}" != "${CALLERID(num)}" '
        '| "${CALLERID(num)}" = ""]?nonumber)',
        f" same => n,Read(JNS_KEY,{offer},1,,{OFFER_TRIES},{OFFER_WAIT_S})",
        ' same => n,GotoIf($["${JNS_KEY}" != "1"]?bye)',
        " same => n,UserEvent(JnsCallback,Kind: scheduled,Queue: ${JNS_CB_OFFER},"
        "Number: ${CALLERID(num)},Caller: ${UNIQUEID},Did: ${JNS_DID},Lang: ${JNS_LANG})",
        " same => n,QueueLog(${JNS_CB_OFFER},${UNIQUEID},NONE,INFO,CALLBACK|requested|"
        "${CALLERID(num)})",
        " same => n,Set(CDR(userfield)=${CDR(userfield)}&callback=requested)",
        f" same => n,Playback({confirm})",
        " same => n(bye),Goto(jns-hangup,s,1)",
        " same => n(nonumber),Playback(unidentified-no-callback)",
        " same => n,Goto(jns-hangup,s,1)",
    ]
    out += [
        "", "; a callback's placeholder: waits in the queue at the caller's place",
        "[jns-callback-place]",
        # a skill-routed queue: the rule's first step as for its callers (render.py)
        'exten => s,1,ExecIf($["${JNS_CB_RULE}" != ""]?Set(QUEUE_MAX_PENALTY=1))',
        " same => n,Queue(${JNS_CB_QUEUE},,,,${JNS_CB_WAIT},,,${JNS_CB_RULE},${JNS_CB_POS})",
        f" same => n,{ev}left,Status: ${{QUEUESTATUS}})",
        ' same => n,ExecIf($["${QUEUESTATUS}" = "TIMEOUT"]?QueueLog(${JNS_CB_QUEUE},'
        "${JNS_CB_CALLID},NONE,INFO,CALLBACK|expired))",
        " same => n,Hangup()",
        "", "; an agent answered the placeholder: now the customer, JNS_CB_RETRIES more times",
        "; if unanswered (the agent hears music meanwhile)",
        "[jns-callback-dial]",
        "exten => s,1,Set(JNS_TRY=0)",
        # the placeholder's half in the queue knows the agent (MEMBERINTERFACE)
        " same => n,Set(__JNS_CB_PEER=${CUT(CHANNEL,\\;,1)}\\;2)",
        ' same => n,ExecIf($["${JNS_CB_CID}" != ""]?Set(CALLERID(num)=${JNS_CB_CID}))',
        " same => n(dial),Set(JNS_TRY=$[${JNS_TRY} + 1])",
        f" same => n,{ev}dialling,Attempt: ${{JNS_TRY}})",
        f" same => n,Dial(${{JNS_CB_DIAL}},{RING_S},mU(jns-callback-answered))",
        ' same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)',
        " same => n,GotoIf($[${JNS_TRY} > ${JNS_CB_RETRIES}]?failed)",
        f" same => n,Wait({RETRY_PAUSE_S})",
        " same => n,Goto(dial)",
        f" same => n(failed),{ev}failed,Status: ${{DIALSTATUS}})",
        " same => n,QueueLog(${JNS_CB_QUEUE},${JNS_CB_CALLID},NONE,INFO,CALLBACK|failed|${DIALSTATUS})",
        " same => n(done),Hangup()",
        "", "; the customer answered the callback (runs on their channel, then they talk)",
        "[jns-callback-answered]",
        f"exten => s,1,{ev}connected)",
        " same => n,QueueLog(${JNS_CB_QUEUE},${JNS_CB_CALLID},NONE,INFO,CALLBACK|connected)",
        ' same => n,ExecIf($["${JNS_CB_RECORD}" = "1"]?Gosub(jns-callback-record,s,1))',
        " same => n,Return()",
        "", "; the queue's recording policy on the customer's leg, indexed when it hangs up",
        "; like the queue's other calls (queue, number dialled, agent)",
        "[jns-callback-record]",
        "exten => s,1,Set(JNS_QUEUE=${JNS_CB_QUEUE})",
        " same => n,Set(JNS_DID=${JNS_CB_CID})",
        " same => n,Set(CALLERID(num)=${JNS_CB_NUMBER})",     # the index's caller
        " same => n,Set(JNS_AGENT=${CUT(IMPORT(${JNS_CB_PEER},MEMBERINTERFACE),/,2)})",
        " same => n,Set(CHANNEL(hangup_handler_push)=jns-call-end,s,1)",
        " same => n,Gosub(jns-record,s,1)",
        " same => n,Return()", "",
    ]
    return out


# -- the service -------------------------------------------------------------------------------

class CallbackService(AmiWorker):
    """Places the placeholders and follows the callbacks to their end (a thread of
    jns-calld with its own AMI session, as the conference caller; every write in it)."""

    name = "callbacks"
    follow = ("UserEvent", "AgentConnect", "Hangup", "OriginateResponse")
    event_mask = "call,user,agent"

    def __init__(self, db_path: str | os.PathLike, ami, *, tick_s: float = TICK_S,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(db_path, ami, tick_s=tick_s, clock=clock)

    def wants(self, ev: dict) -> bool:
        name = ev.get("Event")
        if name == "UserEvent":
            return ev.get("UserEvent") == "JnsCallback"
        if name in ("AgentConnect", "Hangup"):
            return ev.get("Uniqueid", "").startswith(UID_PREFIX)
        if name == "OriginateResponse":
            return ev.get("ActionID", "").startswith(UID_PREFIX)
        return False

    def _by_uid(self, uid: str) -> dict | None:
        """The callback whose placeholder this channel is (either half)."""
        rows = list(self.db.query("SELECT * FROM queue_callbacks WHERE placeholder_uniqueid "
                                  "IN (?, ?)", [uid, uid[:-2] if uid.endswith(";2") else uid]))
        return dict(rows[0]) if rows else None

    def _apply(self, ev: dict, at: float) -> None:
        name = ev.get("Event")
        if name == "UserEvent":
            self._user_event(ev, at)
        elif name == "AgentConnect":
            cb = self._by_uid(ev.get("Uniqueid", ""))
            if cb:      # the agent's extension, as the reports name agents
                update(self.db, cb["id"], agent=extension_of(ev.get("Interface", ""))
                       or ev.get("MemberName", ""), answered_at=at)
        elif name == "OriginateResponse":
            cb = get(self.db, int(ev["ActionID"].split("-")[1]))
            if cb and ev.get("Response") != "Success" and cb["answered_at"] is None:
                self._end(cb, at, "expired" if self._is_expired(cb, at) else "failed",
                          error=f"placeholder not placed (reason {ev.get('Reason', '?')})",
                          queue_log=True)
        elif name == "Hangup":
            cb = self._by_uid(ev.get("Uniqueid", ""))
            if cb and cb["status"] in OPEN:
                status = ("expired" if cb["answered_at"] is None and self._is_expired(cb, at)
                          else "failed")
                self._end(cb, at, status, error="ended before the customer answered",
                          queue_log=True)
            elif cb and cb["ended_at"] is None and ev.get("Uniqueid") == cb["placeholder_uniqueid"]:
                update(self.db, cb["id"], ended_at=at)

    def _user_event(self, ev: dict, at: float) -> None:
        kind = ev.get("Kind", "")
        if kind == "requested":
            queue, number = ev.get("Queue", ""), ev.get("Number", "")
            try:
                position = int(ev.get("Position") or 0)
            except ValueError:
                position = 0
            cb_id, new = request(self.db, queue, number, caller_uniqueid=ev.get("Caller", ""),
                                 position=position, did=ev.get("Did", ""), at=at,
                                 member_queue=ev.get("MemberQueue", ""))
            if new:
                self._place(get(self.db, cb_id), at)
            return
        if kind == "scheduled":     # closing time: due at the next opening, placed by tick()
            opens = next_opening(self.db, ev.get("Did", ""),
                                 datetime.datetime.fromtimestamp(at))
            queue = ev.get("Queue", "")
            request(self.db, queue, ev.get("Number", ""),
                    caller_uniqueid=ev.get("Caller", ""), did=ev.get("Did", ""), at=at,
                    due_at=opens.timestamp() if opens else at,
                    member_queue=member_queue(self.db, queue, ev.get("Lang", "")))
            return
        try:
            cb = get(self.db, int(ev.get("Id", "")))
        except ValueError:
            return
        if cb is None:
            return
        if kind == "dialling":
            update(self.db, cb["id"], status="dialling", attempts=int(ev.get("Attempt") or 1),
                   dialled_at=cb["dialled_at"] or at)
        elif kind == "connected":
            update(self.db, cb["id"], status="connected", connected_at=at)
        elif kind == "failed":
            self._end(cb, at, "failed", error=f"not answered ({ev.get('Status', '')})")
        elif kind == "left" and ev.get("Status") == "TIMEOUT":
            self._end(cb, at, "expired")

    def _is_expired(self, cb: dict, at: float) -> bool:
        row = self.db.execute("SELECT callback_expiry_s FROM queues WHERE name = ?",
                              [cb["queue"]]).fetchone()
        return row is None or at >= (cb["due_at"] or cb["requested_at"]) + row[0]

    def _end(self, cb: dict, at: float, status: str, error: str = "",
             queue_log: bool = False) -> None:
        """The callback's end; `queue_log`: the dialplan did not log it (the service saw it)."""
        update(self.db, cb["id"], status=status, ended_at=at, error=error)
        if queue_log and self.ami.connected:
            try:
                self.ami.action("QueueLog", timeout=5, Queue=cb["queue"], Event="INFO",
                                Uniqueid=cb["caller_uniqueid"] or "NONE", Interface="NONE",
                                Message=f"CALLBACK|{status}")
            except Exception as exc:
                log.info("callbacks: queue_log line for %s: %s", cb["id"], exc)

    def _dial_string(self, number: str) -> str | None:
        if self.db.execute("SELECT 1 FROM agents WHERE extension = ?", [number]).fetchone():
            return f"PJSIP/{number}"
        trunk = self.db.execute("SELECT name FROM trunks ORDER BY id LIMIT 1").fetchone()
        return f"PJSIP/{dial_number(number)}@{trunk[0]}" if trunk else None

    def _place(self, cb: dict, now: float) -> None:
        """The placeholder into the queue at the caller's place."""
        q = self.db.execute("SELECT callback_retries, callback_expiry_s, skill_rule FROM queues "
                            "WHERE name = ?", [cb["queue"]]).fetchone()
        dial = self._dial_string(cb["number"])
        if q is None or dial is None:
            self._end(cb, now, "failed", error="no such queue" if q is None else "no trunk",
                      queue_log=True)
            return
        wait = max(1, int((cb["due_at"] or cb["requested_at"]) + q[1] - now))
        uid = f"{UID_PREFIX}{uuid.uuid4().hex}"
        update(self.db, cb["id"], status="waiting", placeholder_uniqueid=uid)
        member = cb["member_queue"] or cb["queue"]
        variables = {"__JNS_CB": cb["id"], "__JNS_CB_QUEUE": member,
                     "__JNS_CB_RULE": f"jns-{member}" if q[2].strip() else "",
                     "__JNS_CB_POS": cb["position"], "__JNS_CB_WAIT": wait,
                     "__JNS_CB_DIAL": dial, "__JNS_CB_RETRIES": q[0],
                     "__JNS_CB_CALLID": cb["caller_uniqueid"], "__JNS_CB_CID": cb["did"],
                     "__JNS_CB_RECORD": "1" if self._records(cb) else "0",
                     "__JNS_CB_NUMBER": cb["number"]}
        try:
            self.ami.action("Originate", timeout=5, retry=False, Async="true",
                            ActionID=f"{UID_PREFIX}{cb['id']}", ChannelId=uid,
                            OtherChannelId=f"{uid};2",
                            Channel="Local/s@jns-callback-place/n",
                            Context="jns-callback-dial", Exten="s", Priority="1",
                            CallerID=f'"{cb["number"]}" <{cb["number"]}>',
                            Timeout=str((wait + 5) * 1000),
                            Variable=",".join(f"{k}={v}" for k, v in variables.items()))
        except Exception as exc:
            log.warning("callbacks: placeholder for %s refused: %s", cb["id"], exc)
            update(self.db, cb["id"], status="requested", placeholder_uniqueid="")
            self.last_error = f"Originate refused: {exc}"

    def tick(self) -> None:
        now = self.clock()
        self.ticks += 1
        # waited its expiry: dropped (a backstop: the placeholder's own Queue() timeout
        # normally ends it first, and the dialplan logs that)
        for cb in expired(self.db, now - EXPIRY_GRACE_S):
            self._end(cb, now, "expired", queue_log=True)
            if cb["placeholder_uniqueid"] and self.ami.connected:
                try:
                    self.ami.action("Hangup", timeout=5, Channel=cb["placeholder_uniqueid"])
                except Exception as exc:
                    log.info("callbacks: hanging up %s: %s", cb["id"], exc)
        if not self.ami.connected:
            return
        if self._reconcile.is_set():
            self._reconcile.clear()
            self._reconcile_calls(now)
        staffed: dict[str, bool] = {}
        for cb in list(self.db.query("SELECT * FROM queue_callbacks WHERE status = 'requested' "
                                     "AND coalesce(due_at, 0) <= ?", [now])):
            # not placed yet: Asterisk was away, or due now (closing time) - those only
            # while an agent is logged in to the queue
            if cb["due_at"] is not None:
                queue = cb["member_queue"] or cb["queue"]
                if queue not in staffed:
                    staffed[queue] = self._logged_in(queue)
                if not staffed[queue]:
                    continue
            self._place(dict(cb), now)

    def _records(self, cb: dict) -> bool:
        """The call back is recorded as the asking call was (ivr.decide_route's policy for
        inbound calls, and the queue's own 'record')."""
        from ..store import config
        row = self.db.execute("SELECT record FROM queues WHERE name = ?", [cb["queue"]]).fetchone()
        if row is None or row[0] == "none":
            return False
        cfg = config.settings(self.db)
        return cfg["rec_mode"] in ("all", "inbound") or cfg["rec_mode"] == "list" and (
            config.record_numbers_match(cfg, cb["number"])
            or config.record_numbers_match(cfg, cb["did"]))

    def _logged_in(self, queue: str) -> bool:
        """Does the queue have a logged-in agent (paused or not) now?"""
        try:
            reply = self.ami.action("Getvar", timeout=5, Variable=f"QUEUE_MEMBER({queue},logged)")
            return int(reply.get("Value") or 0) > 0
        except Exception as exc:
            log.info("callbacks: agents of %s not known: %s", queue, exc)
            return False

    def _reconcile_calls(self, now: float) -> None:
        """After a (re)connect: placeholders gone with Asterisk are placed again (at the end
        of the queue: their place went with them); calls half done are reported failed."""
        _, events = self.ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
        live = {e.get("Uniqueid") for e in events if e.get("Event") == "CoreShowChannel"}
        for cb in list(self.db.query("SELECT * FROM queue_callbacks WHERE status IN "
                                     "('waiting', 'dialling')")):
            if cb["placeholder_uniqueid"] in live or now - cb["requested_at"] < RECONCILE_AFTER_S:
                continue            # up, or just placed (not listed yet)
            if cb["status"] == "waiting":
                update(self.db, cb["id"], status="requested", position=0, placeholder_uniqueid="")
            else:
                self._end(dict(cb), now, "failed", error="the call was lost", queue_log=True)


def start_in_calld(db_path, layout) -> CallbackService | None:
    """The service inside jns-calld with an AMI session of its own (as the conference
    caller)."""
    return start_worker(layout, "callbacks", lambda ami: CallbackService(db_path, ami),
                        "the callback service (callbacks are not placed)")
