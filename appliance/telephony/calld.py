"""jns-calld: the live call-center service and the client the web panel uses to reach it.

It owns the AMI event stream (calls, queue members, callers, device states), keeps the live
picture in appliance.telephony.live.LiveState, and serves it on 127.0.0.1 only:
    GET /state            the snapshot (JSON)
    GET /events           server-sent events: a snapshot, then each change as it happens
    POST /action/<name>   call control (appliance.telephony.actions.Actions)
Every request carries `Authorization: Bearer <calld_secret>`.

It must never show a stale picture: while Asterisk is away calls and agents are cleared and
`asterisk.connected` is false; after every (re)connection the picture is rebuilt from
Asterisk's status actions.  It holds no call-center policy of its own: call control is
Actions', alarm rules are the alarms object's.
"""
from __future__ import annotations

import collections
import http.client
import http.server
import json
import logging
import os
import queue
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable, Iterator

from .ami import AMIClient, AMIError, start_worker
from .live import LiveState, endpoint_of, extension_of

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:5040"
NOT_RUNNING = "the live call-center service is not running (jns-calld)"
EVENT_MASK = "call,agent,system"   # channels, bridges, queues, parking; no dialplan chatter
KEEPALIVE_S = 15.0
TICK_S = 0.25                      # connection check; time-driven changes once a second
ALARMS_MIN_S, ALARMS_MAX_S = 1.0, 5.0
SUBSCRIBER_BACKLOG = 5000          # a browser this far behind is cut off (it reconnects)


def read_queue_log_today(path: Path, now: float) -> list[str]:
    """Today's lines of Asterisk's queue_log (chronological): a binary search for local
    midnight, so a file of months costs a few reads."""
    midnight = time.mktime(time.localtime(now)[:3] + (0, 0, 0, 0, 0, -1))
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    with f:
        size = f.seek(0, os.SEEK_END)
        lo, hi = 0, size
        while hi - lo > 65536:
            mid = (lo + hi) // 2
            f.seek(mid)
            f.readline()
            line = f.readline()
            try:
                at = float(line.split(b"|", 1)[0])
            except ValueError:
                at = midnight          # unreadable: search before it
            if at < midnight:
                lo = mid
            else:
                hi = mid
        f.seek(lo)
        if lo:
            f.readline()
        return [line for line in f.read().decode(errors="replace").splitlines()
                if line.split("|", 1)[0].replace(".", "", 1).isdigit()
                and float(line.split("|", 1)[0]) >= midnight]


class QueueLogTail:
    """New complete lines of the queue_log since the last read (a rotated or truncated
    file is read from its start)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.inode = Path(path), 0, None

    def mark_end(self) -> None:
        try:
            st = os.stat(self.path)
            self.offset, self.inode = st.st_size, st.st_ino
        except FileNotFoundError:
            self.offset, self.inode = 0, None

    def read_new(self) -> list[str]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        if st.st_ino != self.inode or st.st_size < self.offset:
            self.offset, self.inode = 0, st.st_ino
        if st.st_size == self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(st.st_size - self.offset)
        end = data.rfind(b"\n") + 1     # a line still being written waits for the next read
        self.offset += end
        return data[:end].decode(errors="replace").splitlines()


def outbound_from_cdr(path: Path, now: float) -> dict[str, set[str]]:
    """Agents' calls to outside numbers today, from Asterisk's CDR (cdr-csv/Master.csv):
    {endpoint of the calling channel: {its uniqueid}} for rows that went out through the
    trunk (dcontext jns-outbound).  Read once when jns-calld starts; live calls are seen
    on AMI."""
    import csv
    today = time.localtime(now)[:3]
    found: dict[str, set[str]] = {}
    try:
        f = open(path, newline="", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return found
    with f:
        for row in csv.reader(line for line in f if "jns-outbound" in line):
            if len(row) < 17 or row[3] != "jns-outbound":
                continue
            try:
                if time.strptime(row[9], "%Y-%m-%d %H:%M:%S")[:3] != today:
                    continue
            except ValueError:
                continue
            endpoint = endpoint_of(row[5])
            if endpoint:
                found.setdefault(endpoint, set()).add(row[16])
    return found


def agent_rows(db) -> list[dict]:
    """The agents as LiveState.set_agents wants them, from the database."""
    from ..store import live as store_live
    users = store_live.agent_user(db)
    sessions = store_live.last_sessions(db)
    cols = {c.name for c in db["agents"].columns}
    assigned: dict[str, list[str]] = {}
    for ext, queue_name in db.execute(
            "SELECT a.extension, q.name FROM queue_members m JOIN queues q ON q.id = m.queue_id "
            "JOIN agents a ON a.id = m.agent_id ORDER BY q.name"):
        assigned.setdefault(ext, []).append(queue_name)
    rows = []
    for r in db.query("SELECT * FROM agents ORDER BY extension"):
        ext = r["extension"]
        rows.append({"ext": ext, "name": r["name"], "user": users.get(ext),
                     "static": not r["login"] if "login" in cols else True,
                     "assigned": assigned.get(ext, []),
                     **sessions.get(ext, {"last_login": None, "last_logout": None})})
    return rows


def queue_rows(db) -> list[dict]:
    """Queues as configured, with their callbacks waiting (the callback service writes
    them: a write moves data_version, so the picture follows within a second)."""
    from .callbacks import waiting_counts
    cols = {c.name for c in db["queues"].columns}
    waiting = waiting_counts(db) if db["queue_callbacks"].exists() else {}
    return [{"name": r["name"], "title": r["title"], "wrapup_time": r["wrapup_time"],
             "sl_seconds": r["sl_seconds"] if "sl_seconds" in cols else None,
             "callbacks": waiting.get(r["name"], 0)}
            for r in db.query("SELECT * FROM queues ORDER BY name")]


def assignments_of(db) -> set[tuple]:
    """(agent extension, queue) pairs the admin assigned, and (extension, Asterisk queue,
    penalty) of skill-routed queues: a change of either is applied to desk logins."""
    from . import skills
    pairs = set(db.execute("SELECT a.extension, q.name FROM queue_members m JOIN queues q "
                           "ON q.id = m.queue_id JOIN agents a ON a.id = m.agent_id").fetchall())
    snap = skills.routing_snapshot(db)
    for q in snap["queues"]:
        if (q.get("skill_rule") or "").strip():
            try:
                pairs |= {(ext, aq.name, p) for aq in skills.asterisk_queues(q, snap)
                          for ext, p in aq.penalties.items()}
            except skills.RuleError:
                pass        # the panel refuses such a rule; an old one is left as it was
    return pairs


class CallService:
    """jns-calld: the live picture from AMI, served over HTTP; see the module docstring."""

    def __init__(self, db_path: str | os.PathLike, ami: AMIClient, *, queue_log: Path,
                 bind: tuple[str, int] = ("127.0.0.1", 5040), secret: str,
                 actions_factory: Callable[[], object] | None = None, alarms=None,
                 close_with: tuple = ()) -> None:
        from ..store import db as store
        self.db_path = os.fspath(db_path)
        self.db = store.open_db(self.db_path)
        self.ami = ami
        self.queue_log = Path(queue_log)
        self._tail = QueueLogTail(self.queue_log)
        self.secret = secret
        self.state = LiveState()
        self.alarms = alarms
        self._actions_factory = actions_factory
        self._close_with = close_with   # e.g. an AMI client made only for this service
        self._actions = None
        self._buffer: list[tuple[dict, float]] | None = None   # events held during a resync
        self._resync_lock = threading.Lock()
        self._subscribers: set[queue.Queue] = set()
        self._sub_lock = threading.Lock()
        self._writes: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._changed = threading.Event()
        self._resync_wanted = threading.Event()
        self._data_version = None
        self._assignments: set[tuple[str, str]] | None = None
        self._cdr_read = False
        self.resyncs = 0
        self.events_seen = 0
        self.event_names: collections.Counter = collections.Counter()
        self.last_error: str | None = None
        self.server = http.server.ThreadingHTTPServer(bind, _make_handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> "CallService":
        self.ami.on_event("*", self._on_event)
        self.ami.on_connect(self.request_resync)
        self.ami.on_disconnect(self._on_disconnect)
        for target, name in ((self.server.serve_forever, "calld-http"), (self._ticker, "calld-tick"),
                             (self._writer, "calld-db"), (self._resyncer, "calld-resync")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        if self.ami.connected:   # connected before we subscribed: resync now
            self.request_resync()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        with self._sub_lock:
            for sub in self._subscribers:
                try:
                    sub.put_nowait(None)
                except queue.Full:
                    pass
        self._writes.put(None)
        for t in self._threads:
            t.join(timeout=5)
        for thing in self._close_with:
            thing.close()

    # -- AMI side ----------------------------------------------------------------------

    def _on_event(self, event: dict) -> None:
        if self._stop.is_set():
            return
        now = time.time()
        with self.state.lock:
            self.events_seen += 1
            self.event_names[event.get("Event", "")] += 1
            if self._buffer is not None:
                self._buffer.append((event, now))
                return
            changes = self.state.apply(event, now)
            if changes:
                self._publish(changes)
        name = event.get("Event")
        if name in RESYNC_EVENTS:
            self.request_resync()
        if name in ("QueueMemberAdded", "QueueMemberRemoved") and event.get("Membership") != "static":
            ext = extension_of(event.get("Interface", "")) \
                or extension_of(event.get("StateInterface", ""))
            if ext:
                self._writes.put((name, ext, event.get("Queue", ""), now))

    def _on_disconnect(self) -> None:
        """The AMI session ended: show Asterisk away and drop every call at once."""
        if self._stop.is_set():
            return
        with self.state.lock:
            self._publish(self.state.set_connected(False, time.time()))

    def request_resync(self) -> None:
        """Rebuild the picture from Asterisk soon (a new AMI session, Asterisk fully booted,
        a reload); events from now on are held and applied after the rebuild."""
        if self._stop.is_set():
            return
        with self.state.lock:
            if self._buffer is None:
                self._buffer = []
        self._resync_wanted.set()

    def _resyncer(self) -> None:
        while not self._stop.is_set():
            if not self._resync_wanted.wait(0.5):
                continue
            self._resync_wanted.clear()
            session = self.ami.connects
            with self._resync_lock:
                try:
                    self._resync()
                except Exception as exc:
                    self.last_error = f"resync failed: {exc}"
                    with self.state.lock:
                        self._buffer = None
                        self._publish(self.state.set_connected(False, time.time()))
                    if self.ami.connects == session and self.ami.connected:
                        log.exception("rebuilding the live picture failed; reconnecting to AMI")
                        self._stop.wait(2.0)   # no reconnect storm when the rebuild keeps failing
                        if self.ami.connects == session:
                            self.ami._drop()   # the keeper reconnects and we try again
                    else:
                        log.warning("rebuild cut short by a lost AMI session: %s", exc)

    def _resync(self) -> None:
        ami = self.ami
        ami.action("Events", EventMask=EVENT_MASK)
        self._assignments = assignments_of(self.db)
        self._drop_unassigned()   # Asterisk keeps desk logins; the admin may have moved agents
        _, queue_status = ami.action_list("QueueStatus", "QueueStatusComplete")
        _, channels = ami.action_list("CoreShowChannels", "CoreShowChannelsComplete")
        try:
            _, parked = ami.action_list("ParkedCalls", "ParkedCallsComplete")
        except AMIError:
            parked = []   # res_parking not loaded
        dids: dict[str, str] = {}
        for ch in channels:
            if ch.get("Uniqueid") == ch.get("Linkedid"):
                try:
                    value = ami.action("Getvar", Channel=ch["Channel"], Variable="JNS_DID").get("Value")
                except AMIError:
                    value = None   # hung up meanwhile
                if value and value != "(null)":
                    dids[ch["Uniqueid"]] = value
        agents, queues = agent_rows(self.db), queue_rows(self.db)
        now = time.time()
        self._tail.mark_end()   # lines after this are read again by the tail: counted once
        lines = read_queue_log_today(self.queue_log, now)
        cdr = None
        if not self._cdr_read:   # outside calls before this start (not in queue_log)
            cdr = outbound_from_cdr(self.queue_log.parent / "cdr-csv" / "Master.csv", now)
        with self.state.lock:
            st = self.state
            changes = st.set_agents(agents, now) + st.set_queues(queues, now)
            changes += st.load_status(queue_status, channels, now, dids=dids, parked=parked)
            changes += st.load_queue_log(lines, now)
            if cdr is not None:
                changes += st.add_outbound({ext: ids for ext, ids in cdr.items()
                                            if ext in st._agents_db}, now)
                self._cdr_read = True
            changes += st.set_connected(True, now)
            held, self._buffer = self._buffer or [], None
            for event, at in held:
                changes += st.apply(event, at)
            self.resyncs += 1
            self._publish(changes)
        # logins and logouts while calld was away: the database follows Asterisk
        members = {(extension_of_member(ev), ev.get("Queue", "")) for ev in queue_status
                   if ev.get("Event") == "QueueMember" and ev.get("Membership") != "static"}
        for ext, queue_name in members:
            if ext:
                self._writes.put(("QueueMemberAdded", ext, queue_name, now))
        log.info("live picture rebuilt: %d channels, %d queue status events, %d events held",
                 len(channels), len(queue_status), len(held))

    def resync(self) -> None:
        """Rebuild now, in this thread."""
        self.request_resync()
        self._resync_wanted.clear()
        with self._resync_lock:
            self._resync()

    def reload_config(self) -> None:
        """Agents and queues changed in the database: take them without asking Asterisk;
        an agent the admin took out of a queue is logged out of it at once."""
        with self.state.lock:
            now = time.time()
            self._publish(self.state.set_agents(agent_rows(self.db), now)
                          + self.state.set_queues(queue_rows(self.db), now))
        assignments = assignments_of(self.db)
        if assignments != self._assignments and self.ami.connected:
            if not self._drop_unassigned():
                return      # Asterisk busy: the next change of the database tries again
        self._assignments = assignments

    def _drop_unassigned(self) -> bool:
        try:
            dropped = self.actions().drop_unassigned()
        except Exception as exc:   # Asterisk busy or away: tried again later
            log.warning("could not log agents out of queues no longer assigned: %s", exc)
            return False
        if dropped:
            log.info("logged out of queues no longer assigned: %s", dropped)
        return True

    def _follow_database(self) -> None:
        """Agents, queues or linked users saved in the panel (another connection wrote:
        SQLite's data_version moved) reach the picture within a second."""
        try:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._data_version = version
                self.reload_config()
        except Exception:
            log.exception("reading agents and queues from the database failed")

    def _follow_queue_log(self, now: float) -> None:
        """Queue timeouts have no AMI event: the queue_log says EXITWITHTIMEOUT."""
        try:
            lines = self._tail.read_new()
        except OSError:
            log.exception("reading %s failed", self.queue_log)
            return
        if lines:
            with self.state.lock:
                self._publish(self.state.add_queue_log(lines, now))

    def _writer(self) -> None:
        from ..store import live as store_live
        while True:
            item = self._writes.get()
            if item is None:
                return
            name, ext, queue_name, at = item
            try:
                if name == "QueueMemberAdded":
                    store_live.session_started(self.db, ext, queue_name, at)
                else:
                    store_live.session_ended(self.db, ext, queue_name, at)
            except Exception:
                log.exception("recording the desk session of %s in %s failed", ext, queue_name)

    def _ticker(self) -> None:
        last_tick = last_alarms = 0.0
        while not self._stop.wait(TICK_S):
            now = time.time()
            if not self.ami.connected and self.state.connected:
                with self.state.lock:
                    self._publish(self.state.set_connected(False, now))
            if now - last_tick >= 1.0:
                last_tick = now
                self._follow_database()
                self._follow_queue_log(now)
                with self.state.lock:
                    self._publish(self.state.tick(now))
            if self.alarms is not None and (
                    (self._changed.is_set() and now - last_alarms >= ALARMS_MIN_S)
                    or now - last_alarms >= ALARMS_MAX_S):
                last_alarms = now
                self._changed.clear()
                self._evaluate_alarms(now)

    def _evaluate_alarms(self, now: float) -> None:
        try:
            alarms = self.alarms.evaluate(self.state.snapshot(now), now)
        except Exception:
            log.exception("queue alarms failed; the live picture goes on")
            return
        with self.state.lock:
            self._publish(self.state.set_alarms(list(alarms or [])), alarms_change=True)

    # -- publishing --------------------------------------------------------------------

    def _publish(self, changes: list, alarms_change: bool = False) -> None:
        """Send changes to every event stream (caller holds state.lock, so the order of
        seq numbers is the order of sending)."""
        if not changes:
            return
        if not alarms_change:
            self._changed.set()
        first = self.state.seq - len(changes) + 1
        messages = [_sse("change", {"seq": first + i, "kind": kind, "id": key, "data": data})
                    for i, (kind, key, data) in enumerate(changes)]
        with self._sub_lock:
            blob = b"".join(messages)   # one wake-up per stream for what one event changed
            dead = []
            for sub in self._subscribers:
                try:
                    sub.put_nowait(blob)
                except queue.Full:
                    dead.append(sub)
            for sub in dead:
                self._subscribers.discard(sub)

    def subscribe(self) -> tuple[bytes, queue.Queue]:
        """(the snapshot message, a queue of the change messages that follow it)."""
        sub: queue.Queue = queue.Queue(maxsize=SUBSCRIBER_BACKLOG)
        with self.state.lock:
            snap = _sse("snapshot", self.state.snapshot(time.time()))
            with self._sub_lock:
                self._subscribers.add(sub)
        return snap, sub

    def unsubscribe(self, sub: queue.Queue) -> None:
        with self._sub_lock:
            self._subscribers.discard(sub)

    # -- call control ------------------------------------------------------------------

    def actions(self):
        if self._actions is None:
            if self._actions_factory is None:
                from .actions import Actions
                self._actions = Actions(self.ami, self.db_path)
            else:
                self._actions = self._actions_factory()
        return self._actions

    def run_action(self, name: str, body: dict) -> dict:
        """One call-control action from the panel; raises ActionRefused (4xx)."""
        user = str(body.get("user") or "")

        def need(key: str) -> str:
            value = body.get(key)
            if value in (None, ""):
                raise ActionRefused(400, f"{name}: '{key}' is missing")
            return value

        def call_of(call_id: str) -> dict:
            with self.state.lock:
                call = self.state.snapshot(time.time())["calls"].get(call_id)
            if call is None:
                raise ActionRefused(404, "this call has already ended")
            return call

        try:
            from .actions import ActionError
        except ImportError:   # pragma: no cover - helper B's module not there yet
            ActionError = RuntimeError   # noqa: N806
        acts = self.actions() if name in ACTION_NAMES + CONF_ACTIONS else None
        if acts is None:
            raise ActionRefused(404, f"unknown action {name!r}")
        try:
            if name == "login":
                queues = body.get("queues")
                result = acts.login(need("agent"), queues if queues else None, user=user)
            elif name in ("logout", "unpause"):
                result = getattr(acts, name)(need("agent"), user=user)
            elif name == "pause":
                result = acts.pause(need("agent"), need("reason"), user=user)
            elif name == "dial":
                result = acts.dial(need("agent"), need("number"), user=user)
            elif name == "spy":
                call = call_of(need("call"))
                if not call.get("agent_channel"):
                    raise ActionRefused(409, "no agent is on this call yet; nothing to listen to")
                # no linked phone: Actions refuses with the reason and audits the attempt
                result = acts.spy(body.get("phone") or None, call["agent_channel"], need("mode"),
                                  user=user, call=call["id"])
            elif name == "transfer":
                call = call_of(need("call"))
                result = acts.transfer(call["caller_channel"], need("kind"), need("target"),
                                       user=user, call=call["id"])
            elif name == "pickup":
                call = call_of(need("call"))
                result = acts.pickup(call["caller_channel"], need("phone"), user=user, call=call["id"])
            elif name in ("hangup", "park"):
                call = call_of(need("call"))
                result = getattr(acts, name)(call["caller_channel"], user=user, call=call["id"])
            elif name == "conf_rooms":
                result = acts.conf_rooms()
            elif name == "conf_list":
                result = acts.conf_list(str(need("room")))
            elif name in ("conf_mute", "conf_unmute", "conf_kick"):
                result = acts.conf_member(str(need("room")), str(need("channel")), name[5:],
                                          user=user)
            elif name in ("conf_lock", "conf_unlock"):
                result = acts.conf_lock(str(need("room")), name == "conf_lock", user=user)
            elif name in ("conf_mute_all", "conf_unmute_all"):
                result = acts.conf_mute_all(str(need("room")), name == "conf_mute_all",
                                            user=user)
            else:   # conference
                ids = body.get("calls") or []
                if not isinstance(ids, list) or not ids:
                    raise ActionRefused(400, "conference: choose at least one call")
                channels = [call_of(str(i))["caller_channel"] for i in ids]
                result = acts.conference(channels, phone=body.get("phone") or None, user=user)
        except ActionError as exc:
            raise ActionRefused(409, str(exc)) from exc
        except AMIError as exc:
            raise ActionRefused(503, f"Asterisk did not take the action: {exc}") from exc
        return {"ok": True, **(result if isinstance(result, dict) else {})}


def run_box(db_path: Path, layout, queue_log: Path) -> None:
    """`python3 -m appliance.box calld`: serve until killed; READY once the HTTP port is
    open (whether or not Asterisk is up: the picture then says it is away), WATCHDOG pings
    while the HTTP and ticker threads live."""
    from .. import sdnotify
    from ..store import db as store
    db = store.open_db(db_path)
    secret = store.ensure_secret(db, "calld_secret")
    try:
        from .queue_alarms import QueueAlarms
        alarms = QueueAlarms(db_path)
    except Exception:
        log.exception("queue alarms unavailable; the live picture runs without them")
        alarms = None
    ami = AMIClient("127.0.0.1", layout.ami_port, layout.ami_user, layout.ami_secret, name="calld")
    service = CallService(db_path, ami, queue_log=queue_log,
                          bind=("127.0.0.1", getattr(layout, "calld_port", 5040)),
                          secret=secret, alarms=alarms).start()
    ami.start()
    dialer = _start_dialer(db_path, layout)
    conf_caller = _start_conference_caller(db_path, layout)
    from .webhooks import start_in_calld
    webhooks = start_in_calld(service, db_path)   # integrators' webhooks (issue 12)
    from .callbacks import start_in_calld as start_callbacks
    callbacks = start_callbacks(db_path, layout)   # callback instead of waiting (issue 12)
    sdnotify.notify("READY=1", f"STATUS=live state on 127.0.0.1:{service.port}")
    interval = sdnotify.watchdog_interval() or 10
    while all(t.is_alive() for t in service._threads) and (dialer is None or dialer.alive) \
            and (conf_caller is None or conf_caller.alive) and (webhooks is None or webhooks.alive) \
            and (callbacks is None or callbacks.alive):
        st = service.state
        sdnotify.notify("WATCHDOG=1",
                        f"STATUS=Asterisk {'connected' if st.connected else 'away'}; "
                        f"{len(st._views['call'])} calls, {service.events_seen} events, "
                        f"{service.resyncs} rebuilds")
        time.sleep(interval)
    raise SystemExit("a jns-calld thread ended (or the dialer's or the conference caller's)")


def _start_dialer(db_path: Path, layout):
    """The campaign dialer, in this service with an AMI session of its own."""
    from ..campaigns.dialer import Dialer
    return start_worker(layout, "dialer",
                        lambda ami: Dialer(db_path, ami, asterisk_root=layout.root),
                        "the campaign dialer (campaigns are not dialled)")


def _start_conference_caller(db_path: Path, layout):
    """The caller of scheduled conferences and group calls (CONF-3, AUTO-2)."""
    from .conference_calls import ConferenceCaller
    return start_worker(layout, "conference-caller", lambda ami: ConferenceCaller(db_path, ami),
                        "the conference caller (scheduled conferences are not dialled)")


RESYNC_EVENTS = ("FullyBooted", "Reload")   # Asterisk (re)loaded: queues and members may differ
ACTION_NAMES = ("login", "logout", "pause", "unpause", "dial", "spy", "transfer", "pickup",
                "hangup", "park", "conference")
# conference rooms (CONF-1, CONF-2): the live page's list and the leader's controls
CONF_ACTIONS = ("conf_rooms", "conf_list", "conf_mute", "conf_unmute", "conf_kick", "conf_lock",
                "conf_unlock", "conf_mute_all", "conf_unmute_all")


def extension_of_member(ev: dict) -> str:
    return extension_of(ev.get("Location") or ev.get("Interface", "")) \
        or extension_of(ev.get("StateInterface", ""))


class ActionRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _sse(event: str, data) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _make_handler(service: CallService):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "jns-calld"

        def log_message(self, fmt, *args) -> None:   # the journal gets errors only
            pass

        def _send_json(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            import hmac
            given = self.headers.get("Authorization", "")
            if hmac.compare_digest(given.encode(), f"Bearer {service.secret}".encode()):
                return True
            self._send_json(401, {"error": "missing or wrong jns-calld secret"})
            return False

        def do_GET(self) -> None:
            if not self._authorised():
                return
            path = urllib.parse.urlsplit(self.path).path
            if path == "/state":
                self._send_json(200, service.state.snapshot(time.time()))
            elif path == "/events":
                self._stream()
            else:
                self._send_json(404, {"error": f"no such page {path}"})

        def _stream(self) -> None:
            snap, sub = service.subscribe()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self.wfile.write(snap)
                self.wfile.flush()
                while not service._stop.is_set():
                    try:
                        msg = sub.get(timeout=KEEPALIVE_S)
                    except queue.Empty:
                        msg = b": keepalive\n\n"
                    if msg is None or sub not in service._subscribers:
                        break   # stopping, or cut off for falling behind: the client reconnects
                    batch = [msg]
                    while len(batch) < 200:   # what piled up meanwhile goes in one write
                        try:
                            more = sub.get_nowait()
                        except queue.Empty:
                            break
                        if more is None:
                            break
                        batch.append(more)
                    self.wfile.write(b"".join(batch))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            finally:
                service.unsubscribe(sub)

        def do_POST(self) -> None:
            if not self._authorised():
                return
            path = urllib.parse.urlsplit(self.path).path
            if not path.startswith("/action/"):
                self._send_json(404, {"error": f"no such page {path}"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except ValueError:
                self._send_json(400, {"error": "the request body must be a JSON object"})
                return
            name = urllib.parse.unquote(path[len("/action/"):])
            try:
                self._send_json(200, service.run_action(name, body))
            except ActionRefused as exc:
                self._send_json(exc.status, {"error": str(exc)})
            except Exception as exc:
                log.exception("action %s failed", name)
                self._send_json(500, {"error": f"{name} failed: {exc}"})

    return Handler


class LiveError(Exception):
    """The live service refused a request (message for the user) or cannot be reached."""


class LiveClient:
    """The panel's side of jns-calld: state, actions and the event stream."""

    def __init__(self, base_url: str, secret: str, timeout: float = 10) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.base_url = base_url
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.secret, self.timeout = secret, timeout

    @classmethod
    def from_env(cls) -> "LiveClient | None":
        """The client for this box: JNS_CALLD_URL (default http://127.0.0.1:5040) and the
        secret from JNS_CALLD_SECRET or the setting calld_secret of the DB at JNS_DB; None
        when no secret can be found."""
        url = os.environ.get("JNS_CALLD_URL", DEFAULT_URL)
        secret = os.environ.get("JNS_CALLD_SECRET")
        if not secret and os.environ.get("JNS_DB"):
            try:
                from ..store import db as store
                secret = store.get_setting(store.open_db(os.environ["JNS_DB"], migrate=False),
                                           "calld_secret")
            except Exception:
                log.exception("cannot read calld_secret from %s", os.environ["JNS_DB"])
                secret = None
        return cls(url, secret) if secret else None

    def _request(self, method: str, path: str, body: dict | None = None,
                 timeout: float | None = None) -> tuple[http.client.HTTPConnection,
                                                        http.client.HTTPResponse]:
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout if timeout is None else timeout)
        headers = {"Authorization": f"Bearer {self.secret}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            return conn, conn.getresponse()
        except (ConnectionError, OSError) as exc:
            conn.close()
            raise LiveError(NOT_RUNNING) from exc

    def _json(self, method: str, path: str, body: dict | None = None) -> dict:
        conn, resp = self._request(method, path, body)
        try:
            raw = resp.read()
        except (ConnectionError, OSError) as exc:
            raise LiveError(NOT_RUNNING) from exc
        finally:
            conn.close()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        if resp.status >= 400:
            raise LiveError(payload.get("error") or f"jns-calld answered {resp.status}")
        return payload

    def state(self) -> dict:
        """The current snapshot (shape: docs of LiveState.snapshot)."""
        return self._json("GET", "/state")

    def action(self, name: str, **params) -> dict:
        """Run a call-control action; raises LiveError with the message for the user."""
        return self._json("POST", f"/action/{urllib.parse.quote(name)}", params)

    def events(self) -> Iterator[tuple[str, dict]]:
        """Yield (event name, data) from /events: ("snapshot", {...}) first, then
        ("change", {...}).  Raises LiveError when the stream ends or cannot be opened."""
        conn, resp = self._request("GET", "/events", timeout=max(self.timeout, 60))
        try:
            if resp.status != 200:
                raw = resp.read()
                try:
                    message = json.loads(raw).get("error")
                except ValueError:
                    message = None
                raise LiveError(message or f"jns-calld answered {resp.status}")
            name, data = "message", []
            while True:
                try:
                    line = resp.readline()
                except (ConnectionError, OSError) as exc:
                    raise LiveError("the live event stream ended") from exc
                if not line:
                    raise LiveError("the live event stream ended")
                line = line.decode().rstrip("\r\n")
                if not line:
                    if data:
                        yield name, json.loads("\n".join(data))
                    name, data = "message", []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
        finally:
            conn.close()
