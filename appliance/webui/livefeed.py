"""The panel's one window on the live call center: a feed from jns-calld's `/events`.

`LiveFeed` holds ONE upstream subscription per panel process (a daemon thread started on
first use), keeps the current snapshot (a change sets or deletes one call/agent/queue;
"alarms" and "asterisk" replace theirs) and fans every message out to the browsers'
`Subscriber` queues.  A subscriber that does not keep up (its bounded queue is full) is
dropped and its stream ends; it never blocks the others.  When calld cannot be reached the
feed tells every subscriber `down` (the pages then say "live data unavailable": never stale
data), retries with back-off and, once back, sends everyone a fresh snapshot.

`AgentView` is what an agent may see: their own agent entry, the calls they are the agent
of, and the tiles of their queues; no other agents and no other callers' numbers.

`client()` gives the page views the app's `LiveClient` (config LIVE_CLIENT, else
`LiveClient.from_env()`).  This module never speaks AMI and never writes the database.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any, Callable, Iterator

from flask import Blueprint, Response, current_app, flash, g, session, stream_with_context

from ..store import live as store_live
from ..store import users
from .auth import db, role_required

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__, url_prefix="/live")

KINDS = {"call": "calls", "agent": "agents", "queue": "queues"}
SUBSCRIBER_QUEUE = 500          # messages a browser may fall behind before it is dropped
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0
KEEPALIVE_S = 15.0
FIRST_WAIT_S = 3.0              # a new feed waits this long for calld's first answer
ACTION_TIMEOUT_S = 15.0         # longer than calld's own wait for Asterisk (AMI: 10 s)
MAX_STREAMS = 56                # each open stream holds a gunicorn thread (64): keep 8 for pages
TOO_MANY = "too many live screens are open; close one or try again later"
DOWN_REASONS = ("the live call-center service is not configured",
                "the live call-center service is not running (jns-calld)",
                "the live event stream ended", "connecting to the live call-center service",
                "the live call-center service closed the connection", TOO_MANY)



class Message(tuple):
    """("snapshot", snap) | ("change", change) | ("down", {"error"}).  Its server-sent
    event text is made once and shared by every browser that gets it unfiltered (with 50
    wallboards open, encoding each change 50 times was most of the panel's CPU)."""

    def __new__(cls, event: str, data: Any) -> "Message":
        return super().__new__(cls, (event, data))

    def sse(self) -> str:
        text = self.__dict__.get("text")
        if text is None:   # two threads may both make it: the same text, harmless
            text = self.__dict__["text"] = sse(self[0], self[1])
        return text
_MAKING = threading.Lock()       # one client and one feed per app, whichever thread comes first


def client():
    """The app's LiveClient, or None when the box has no calld configured."""
    ext = current_app.extensions
    with _MAKING:
        if "jns_live_client" not in ext:
            ext["jns_live_client"] = _make_client()
    return ext["jns_live_client"]


def _make_client():
    found = current_app.config.get("LIVE_CLIENT")
    if found is None:
        try:
            from ..telephony.calld import LiveClient
            found = LiveClient.from_env()
        except Exception:  # noqa: BLE001 - no calld on this box: pages say so
            log.exception("no live call-center client")
            found = None
    if found is not None:   # calld may wait up to 10 s for Asterisk before it refuses
        found.timeout = max(found.timeout, ACTION_TIMEOUT_S)
    return found


def feed() -> "LiveFeed | None":
    """The app's LiveFeed (created, not yet started, on first use); None without calld."""
    ext = current_app.extensions
    live = client()
    with _MAKING:
        if "jns_live_feed" not in ext:
            ext["jns_live_feed"] = LiveFeed(live.events) if live is not None else None
    return ext["jns_live_feed"]


def fetch_state() -> tuple[dict | None, str | None]:
    """(snapshot, None) for a page's first paint, or (None, why the live data is missing)."""
    live = client()
    if live is None:
        return None, "the live call-center service is not configured"
    try:
        return live.state(), None
    except Exception as exc:  # noqa: BLE001 - LiveError, bad answer: the page still renders
        return None, str(exc) or type(exc).__name__


def act(name: str, done: str, **params: Any) -> dict | None:
    """Run a calld action for the signed-in user; flash `done` (a catalogue id; "" for
    none) or calld's refusal.  The result dict, or None when refused."""
    live = client()
    if live is None:
        flash("the live call-center service is not configured", "error")
        return None
    try:
        result = live.action(name, user=g.user["username"], **params)
    except Exception as exc:  # noqa: BLE001 - LiveError carries the message for the user
        flash(str(exc) or type(exc).__name__, "error")
        return None
    if done:
        flash(done, "ok")
    return result


def elapsed(snap: dict, since: Any) -> int | None:
    """Whole seconds from `since` (epoch) to the snapshot's `now`."""
    try:
        return max(0, int(float(snap["now"]) - float(since)))
    except (KeyError, TypeError, ValueError):
        return None


STATES = ("logged_out", "ready", "ringing", "on_call", "wrap_up", "paused", "unavailable",
          "ivr", "queued", "talking", "parked", "conference", "dialing")


def derive(snap: dict) -> dict:
    """The snapshot with what the pages show computed (live.js computes the same each
    second): calls' wait_s/talk_s, agents' in_state_s and today's pause/talk time with the
    current pause or call, queues' longest_s and colour."""
    out = dict(snap)
    calls = {}
    for cid, c in (snap.get("calls") or {}).items():
        c = dict(c)
        start = c.get("queued_at") or c.get("started")
        end = c.get("answered_at") or snap.get("now")
        c["wait_s"] = elapsed({"now": end}, start) if start else None
        c["talk_s"] = elapsed(snap, c["answered_at"]) if c.get("answered_at") else None
        calls[cid] = c
    agents = {}
    for ext, a in (snap.get("agents") or {}).items():
        a = dict(a)
        a["in_state_s"] = elapsed(snap, a.get("state_since")) if a.get("state_since") else None
        # today's pause and talk time include the pause or call going on now
        today = a["today"] = dict(a.get("today") or {})
        if a.get("paused") and a.get("paused_since"):
            today["pause_s"] = (today.get("pause_s") or 0) + (elapsed(snap, a["paused_since"]) or 0)
        call = (snap.get("calls") or {}).get(a.get("call") or "")
        if call and call.get("answered_at"):
            today["talk_s"] = (today.get("talk_s") or 0) + (elapsed(snap, call["answered_at"]) or 0)
        agents[ext] = a
    alarmed = {a.get("subject") for a in snap.get("alarms") or []}
    queues = {}
    for name, q in (snap.get("queues") or {}).items():
        q = dict(q)
        q["longest_s"] = (elapsed(snap, q["longest_wait_since"])
                          if q.get("longest_wait_since") else None)
        q["colour"] = tile_colour(q, name in alarmed)
        queues[name] = q
    out.update(calls=calls, agents=agents, queues=queues)
    return out


def tile_colour(queue: dict, alarmed: bool) -> str:
    """"red": callers wait and no agent is free, or the queue has an alarm; "amber":
    callers wait or only one agent is left; "green" otherwise."""
    waiting, free = queue.get("waiting") or 0, queue.get("free") or 0
    if alarmed or (waiting and not free):
        return "red"
    if waiting or (queue.get("logged_in") or 0) <= 1:
        return "amber"
    return "green"


def fmt(value: Any, how: str = "") -> str:
    """A live value as text, the way live.js writes it (so the first paint and the updates
    look the same)."""
    from .dashboard import clock, since
    from .i18n import _
    if value is None or value == "" or value == []:
        return "" if how in ("pause", "bare") else "—"
    if how == "clock":
        return clock(value)
    if how == "date":
        return since(value) or "—"
    if how == "time":
        try:
            return time.strftime("%H:%M:%S", time.localtime(float(value)))
        except (TypeError, ValueError, OverflowError, OSError):
            return "—"
    if how == "state":
        return _(f"state:{value}")
    if how == "pause":
        return pause_title(value)
    if how == "list":
        return ", ".join(str(v) for v in value)
    if how == "pct":
        return f"{round(float(value))} %"
    return str(value)


def show(entry: dict | None, path: str, how: str = "") -> str:
    """fmt() of a field of a live entry; `path` may go down ("today.answered")."""
    value: Any = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return fmt(value, how)


def pause_title(code: str) -> str:
    titles = g.get("pause_titles")
    if titles is None:
        titles = g.pause_titles = {r["code"]: r["title"] for r in
                                   store_live.pause_reasons(db(), active_only=False)}
    return titles.get(code, code)


def labels(db_conn) -> dict[str, str]:
    """The texts live.js needs, in the user's language: states and pause reason titles."""
    from .i18n import _
    out = {f"state:{s}": _(f"state:{s}") for s in STATES}
    out.update({f"pause:{r['code']}": r["title"]
                for r in store_live.pause_reasons(db_conn, active_only=False)})
    out["unavailable"] = _("Live data unavailable")
    for why in DOWN_REASONS:    # why the stream is down, in the user's language
        out[why] = _(why)
    return out


def rows(snap: dict | None, table: str) -> list[tuple[str, dict]]:
    """A table of the snapshot in the order the page shows it: calls by start, agents by
    extension, queues by name (live.js appends new entries at the end)."""
    items = list(((snap or {}).get(table) or {}).items())
    if table == "calls":
        return sorted(items, key=lambda kv: (kv[1].get("started") or 0, kv[0]))
    return sorted(items)


def page_context() -> dict:
    """What every live page's template gets: the first paint (`snap`, derived, or None and
    `error`), the formatter and the labels for live.js."""
    snap, error = fetch_state()
    return {"snap": derive(snap) if snap else None, "error": error, "show": show,
            "rows": rows, "labels": labels(db())}


def apply_change(snap: dict, change: dict) -> None:
    """Apply one calld change to `snap` in place (entries are replaced, never mutated, so
    shallow copies handed out earlier stay as they were)."""
    kind, data = change.get("kind"), change.get("data")
    if kind in KINDS:
        table = snap.setdefault(KINDS[kind], {})
        if data is None:
            table.pop(str(change.get("id")), None)
        else:
            table[str(change.get("id"))] = data
    elif kind == "alarms":
        snap["alarms"] = data or []
    elif kind == "asterisk":
        snap["asterisk"] = data
    snap["seq"] = max(int(snap.get("seq") or 0), int(change.get("seq") or 0))


def copy_snapshot(snap: dict) -> dict:
    """A copy whose tables later changes do not touch; `now` is this moment (calld runs on
    the same box, so the same clock)."""
    out = dict(snap)
    for table in KINDS.values():
        out[table] = dict(snap.get(table) or {})
    out["alarms"] = list(snap.get("alarms") or [])
    out["now"] = time.time()
    return out


class Subscriber:
    """One browser's queue of messages.  `get(timeout)` -> message or None (timeout);
    `closed` once the feed dropped it (too slow) or it was unsubscribed."""

    def __init__(self, size: int = SUBSCRIBER_QUEUE):
        self._queue: queue.Queue[Message] = queue.Queue(maxsize=size)
        self.closed = False

    def put(self, message: Message) -> bool:
        if self.closed:
            return False
        try:
            self._queue.put_nowait(message)
            return True
        except queue.Full:
            self.closed = True
            return False

    def get(self, timeout: float) -> Message | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class LiveFeed:
    """One upstream `/events` subscription shared by every browser of this process.

    `events` is a callable returning an iterator of (event, data) pairs, normally
    `LiveClient.events`; it raises (LiveError) or ends when calld goes away."""

    def __init__(self, events: Callable[[], Iterator[tuple[str, Any]]], *,
                 queue_size: int = SUBSCRIBER_QUEUE,
                 retry: tuple[float, float] = (RETRY_FIRST_S, RETRY_MAX_S)):
        self._events = events
        self._queue_size = queue_size
        self._retry = retry
        self._lock = threading.Lock()
        self._snap: dict | None = None
        self._error = "connecting to the live call-center service"
        self._subscribers: set[Subscriber] = set()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._settled = threading.Event()   # calld answered once (snapshot or failure)

    # -- browsers -------------------------------------------------------------------------

    def subscribe(self) -> Subscriber:
        """A new subscriber whose first message is the current snapshot (or `down`).
        Right after the feed started it waits a moment for calld's first answer, so a
        browser does not see "unavailable" just because it came first."""
        self.start()
        self._settled.wait(FIRST_WAIT_S)
        sub = Subscriber(self._queue_size)
        with self._lock:
            if self._snap is not None:
                sub.put(Message("snapshot", copy_snapshot(self._snap)))
            else:
                sub.put(Message("down", {"error": self._error}))
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)
        sub.closed = True

    def snapshot(self) -> dict | None:
        """The current picture, or None while calld is unreachable."""
        with self._lock:
            return copy_snapshot(self._snap) if self._snap is not None else None

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    # -- upstream ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="jns-livefeed",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop retrying (the current upstream read ends when calld closes it)."""
        self._stopping.set()

    def _run(self) -> None:
        delay = self._retry[0]
        while not self._stopping.is_set():
            try:
                for event, data in self._events():
                    if self._stopping.is_set():
                        return
                    self._receive(event, data)
                    delay = self._retry[0]
                error = "the live call-center service closed the connection"
            except Exception as exc:  # noqa: BLE001 - LiveError, socket errors: retry
                error = str(exc) or type(exc).__name__
            self._down(error)
            self._stopping.wait(delay)
            delay = min(delay * 2, self._retry[1])

    def _receive(self, event: str, data: Any) -> None:
        with self._lock:
            if event == "snapshot":
                self._snap = dict(data)
                self._settled.set()
                message = Message("snapshot", copy_snapshot(self._snap))
            elif event == "change" and self._snap is not None:
                apply_change(self._snap, data)
                message = Message("change", data)
            else:
                return
            self._fan_out(message)

    def _down(self, error: str) -> None:
        with self._lock:
            if self._snap is not None or error != self._error:
                log.warning("live feed down: %s", error)
            self._snap, self._error = None, error
            self._settled.set()
            self._fan_out(Message("down", {"error": error}))

    def _fan_out(self, message: Message) -> None:
        for sub in list(self._subscribers):
            if not sub.put(message):
                self._subscribers.discard(sub)   # too slow or gone: its stream ends


class AgentView:
    """Filters the live picture down to what one agent may see (kept per browser: it
    remembers which calls it showed, to send their removal when they stop being the
    agent's).  `queues` are the agent's assigned queues; the queues the agent is logged in
    to (from their own agent entry) are added."""

    def __init__(self, extension: str, queues: list[str]):
        self.ext = str(extension)
        self.assigned = set(queues)
        self.logged_in: set[str] = set()
        self.shown_calls: set[str] = set()

    def queues(self) -> set[str]:
        return self.assigned | self.logged_in

    def snapshot(self, snap: dict) -> dict:
        agent = (snap.get("agents") or {}).get(self.ext) if self.ext else None
        self.logged_in = set((agent or {}).get("queues") or [])
        mine = self.queues()
        calls = {cid: c for cid, c in (snap.get("calls") or {}).items()
                 if self.ext and str(c.get("agent") or "") == self.ext}
        queues = {name: q for name, q in (snap.get("queues") or {}).items() if name in mine}
        self.shown_calls = set(calls)
        return {"seq": snap.get("seq"), "now": snap.get("now"), "asterisk": snap.get("asterisk"),
                "calls": calls, "agents": {self.ext: agent} if agent else {},
                "queues": queues, "alarms": []}

    def change(self, change: dict) -> dict | None:
        """The change as this agent sees it, or None when it is not theirs."""
        kind, cid, data = change.get("kind"), str(change.get("id")), change.get("data")
        if kind == "agent":
            if not self.ext or cid != self.ext:
                return None
            self.logged_in = set((data or {}).get("queues") or [])
            return change
        if kind == "call":
            if self.ext and data is not None and str(data.get("agent") or "") == self.ext:
                self.shown_calls.add(cid)
                return change
            if cid in self.shown_calls:
                self.shown_calls.discard(cid)
                return {**change, "data": None}
            return None
        if kind == "queue":
            return change if cid in self.queues() else None
        if kind == "asterisk":
            return change
        return None   # alarms: supervisors only


# -- the browsers' stream ----------------------------------------------------------------

def sse(event: str, data: Any) -> str:
    """One server-sent event in the format calld uses."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def agent_view_for(user: dict) -> "AgentView | None":
    """None for supervisors and admins (they see everything); an agent's filter; an agent
    without a linked extension sees no calls and no agents at all."""
    if user["role"] != "agent":
        return None
    ext = store_live.phone_of(db(), user["username"]) or ""
    return AgentView(ext, store_live.assigned_queues(db(), ext) if ext else [])


def _still_signed_in(user_id: int, stamp: str, role: str) -> bool:
    """The session is still valid: user there, same password stamp, same role."""
    user = users.get_user(db(), user_id)
    return bool(user and user["role"] == role and users.session_stamp(db(), user_id) == stamp)


@bp.route("/events")
@role_required("admin", "supervisor", "agent")
def events():
    """`text/event-stream` of the live picture: `snapshot`, then `change`s (filtered for
    agents), `down` while calld is unreachable, `: keepalive` every 15 s; it ends when the
    user's session ends (deleted, new password, other role) or the browser is too slow.
    Past MAX_STREAMS open streams a new one gets `down` at once, so the panel's threads
    stay free for pages."""
    live = feed()
    view = agent_view_for(g.user)
    user_id, role = g.user["id"], g.user["role"]
    stamp = str(session.get("stamp", ""))
    keepalive = float(current_app.config.get("LIVE_KEEPALIVE_S", KEEPALIVE_S))

    max_streams = int(current_app.config.get("LIVE_MAX_STREAMS", MAX_STREAMS))

    def stream() -> Iterator[str]:
        if live is None:
            yield sse("down", {"error": "the live call-center service is not configured"})
            return
        if live.subscribers >= max_streams:   # the browser tries again in 30 s
            yield "retry: 30000\n" + sse("down", {"error": TOO_MANY})
            return
        sub = live.subscribe()
        try:
            while not sub.closed:
                message = sub.get(timeout=keepalive)
                if message is None:
                    if not _still_signed_in(user_id, stamp, role):
                        return
                    yield ": keepalive\n\n"
                    continue
                event, data = message
                if view is None:
                    yield message.sse()
                    continue
                if event == "snapshot":
                    data = view.snapshot(data)
                elif event == "change":
                    data = view.change(data)
                    if data is None:
                        continue
                yield sse(event, data)
        finally:
            live.unsubscribe(sub)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response
