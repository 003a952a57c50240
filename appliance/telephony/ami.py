"""AMI client for the box's services, built on pyst2's `asterisk.manager.Manager`.

pyst2 gives us the wire protocol; this module adds what a long-running service needs:
- reconnects by itself after Asterisk restarts or the socket drops (back-off up to 5 s);
- a command issued while Asterisk is away waits for the next connection instead of being
  lost, and read-only commands cut off mid-flight are sent again once reconnected;
- one command on the wire at a time (pyst2 pairs responses in arrival order);
- event lists (QueueSummary, CoreShowChannels, ...) collected by ActionID;
- event subscriptions that survive reconnects.

It must never hold telephony policy: callers decide what to ask Asterisk.
"""
from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
import uuid
from typing import Callable

from asterisk import manager as pyst_manager

log = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 10.0


@contextlib.contextmanager
def _answer_within(mgr, seconds: float):
    """Make pyst2's send_action, which waits for its answer forever, give up after `seconds`.

    A timer feeds the manager's response queue the None that pyst2 itself uses for a closed
    connection, so the waiting call raises ManagerSocketException.  Yields a list that holds
    True once the timer fired: the caller must then drop that connection, because the late
    answer (or the None, when the answer won the race) would be read as the next action's.
    """
    expired: list[bool] = []

    def give_up() -> None:
        expired.append(True)
        mgr._response_queue.put(None)

    timer = threading.Timer(max(0.1, seconds), give_up)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()

EventHandler = Callable[[dict], None]


def _shut(mgr) -> None:
    """Close a pyst2 Manager without waiting on its peer.

    Shut the socket first: pyst2's reader thread then sees the end of the stream, and
    close() neither sends a logoff (its connected flag is cleared: a logoff on a dead socket
    would raise out of close() half-way and the Manager's __del__ would later try to join
    its own thread; to a silent peer it would wait forever) nor waits on a hung Asterisk.
    close() only, never logoff() first: that races on Python 3.14 (PLATFORM.md)."""
    mgr._connected.clear()
    raw = getattr(getattr(mgr, "_sock", None), "_sock", None)   # makefile -> socket
    try:
        if raw is not None:
            raw.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        mgr.close()
    except Exception:
        pass


class AMIError(Exception):
    """Asterisk refused an action or could not be reached in time."""


class AMIClient:
    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 name: str = "jns") -> None:
        self.host, self.port, self.username, self.secret = host, int(port), username, secret
        self.name = name
        self._manager: pyst_manager.Manager | None = None
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._handlers: dict[str, list[EventHandler]] = {}
        self._connect_handlers: list[Callable[[], None]] = []
        self._disconnect_handlers: list[Callable[[], None]] = []
        self._waits: dict[str, tuple[str, list[dict], threading.Event]] = {}
        self._lists: dict[str, tuple[str, list[dict], threading.Event]] = {}
        self._lists_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.connects = 0  # how many times a session was established (for tests and status)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> "AMIClient":
        """Start the background connection keeper; returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._keep_connected, name=f"ami-{self.name}",
                                            daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._drop()
        if self._thread:
            self._thread.join(timeout=5)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _keep_connected(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            if self._manager is not None and self._manager.connected():
                time.sleep(0.2)
                continue
            if self._manager is not None:
                log.warning("AMI connection to %s:%s lost; reconnecting", self.host, self.port)
                self._drop()
            try:
                self._connect()
                delay = 0.2
            except Exception as exc:  # refused, auth, timeout: all mean "try again later"
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def _connect(self) -> None:
        mgr = pyst_manager.Manager()
        try:
            # pyst2 waits for the greeting with no time limit, and an end of stream before
            # it (a connection the kernel accepted while Asterisk was shutting down) never
            # wakes it: without the timer this thread would wait forever and the client
            # would never reconnect to the restarted Asterisk.
            with _answer_within(mgr, LOGIN_TIMEOUT_S) as late:
                greeting = mgr.connect(self.host, self.port)
            if late or greeting is None:
                raise ConnectionError("Asterisk accepted the manager connection but sent no "
                                      "greeting (shutting down or hung)")
            with _answer_within(mgr, LOGIN_TIMEOUT_S) as late:   # a hung Asterisk accepts
                mgr.login(self.username, self.secret)                 # and never answers
            if late:
                raise ConnectionError("the login was answered too late")
        except Exception:
            _shut(mgr)   # the connection or login error is the one worth reporting
            raise
        mgr.register_event("*", self._dispatch)
        self._manager = mgr
        self.connects += 1
        self.last_error = None
        self._connected.set()
        log.info("AMI connected to %s:%s", self.host, self.port)
        for handler in list(self._connect_handlers):
            # a thread of its own: the handler may send actions, which this thread (or
            # pyst2's reader) must not wait on
            threading.Thread(target=self._run_connect_handler, args=(handler,),
                             name=f"ami-{self.name}-onconnect", daemon=True).start()

    def _run_connect_handler(self, handler: Callable[[], None]) -> None:
        try:
            handler()
        except Exception:
            log.exception("AMI on-connect handler failed")

    def _drop(self) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        mgr, self._manager = self._manager, None
        if was_connected:
            for handler in list(self._disconnect_handlers):
                try:
                    handler()
                except Exception:
                    log.exception("AMI on-disconnect handler failed")
        if mgr is not None:
            _shut(mgr)

    # -- actions -----------------------------------------------------------------------

    def action(self, name: str, *, timeout: float = 10.0, retry: bool = True,
               **headers: str) -> dict:
        """Send one action and return its response headers.

        Waits up to `timeout` for a connection and the answer together; an Asterisk that
        takes the action and never answers (hung: SIGSTOP, a deadlock) raises AMIError after
        `timeout` and the connection is dropped and made again.  If the connection breaks
        after the action was written, it is sent again after reconnecting only when `retry`
        is true: pass retry=False for actions that must not run twice (Originate).
        """
        deadline = time.monotonic() + timeout
        while True:
            if not self._connected.wait(max(0.0, deadline - time.monotonic())):
                raise AMIError(f"Asterisk manager at {self.host}:{self.port} not reachable "
                               f"({self.last_error or 'no connection'}) for action {name}")
            mgr = self._manager
            sent, late = False, []
            try:
                with self._send_lock:
                    if mgr is None or not mgr.connected():
                        continue
                    sent = True
                    with _answer_within(mgr, deadline - time.monotonic()) as late:
                        msg = mgr.send_action({"Action": name, **headers})
            except (pyst_manager.ManagerSocketException, OSError, AttributeError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self._manager is mgr:
                    self._drop()   # a late answer must not be taken for the next action's
                if sent and late:
                    raise AMIError(f"Asterisk did not answer {name} within {timeout:g} s "
                                   "(hung or overloaded)") from exc
                if (sent and not retry) or time.monotonic() > deadline:
                    raise AMIError(f"connection lost during {name}: {exc}") from exc
                continue
            if late and self._manager is mgr:
                self._drop()   # answered just as the timer fired: its None is still queued
            response = {k: v for k, v in msg.headers.items()}
            if response.get("Response") == "Error":
                raise AMIError(f"{name}: {response.get('Message', 'error')}")
            if msg.data and response.get("ActionID"):
                self._swallowed_list(response["ActionID"], msg.data)
            return response

    def _swallowed_list(self, action_id: str, data: str) -> None:
        """pyst2 reads the answer to an action whose message says "... status will follow"
        (QueueStatus, Status) up to the closing *StatusComplete event as one message: the
        events end up as text in the response's data.  Hand them to the event list waiting
        for this ActionID as if they had come one by one."""
        with self._lists_lock:
            pending = self._lists.get(action_id)
        if not pending:
            return
        complete_event, events, done = pending
        for block in data.replace("\r\n", "\n").split("\n\n"):
            headers: dict[str, str] = {}
            for line in block.split("\n"):
                key, sep, value = line.partition(":")
                if sep:
                    headers[key.strip()] = value.strip()
            if not headers.get("Event") or headers.get("ActionID", action_id) != action_id:
                continue
            if headers["Event"] == complete_event:
                done.set()
            else:
                events.append(headers)

    def action_list(self, name: str, complete_event: str, *, timeout: float = 10.0,
                    **headers: str) -> tuple[dict, list[dict]]:
        """Send an action that answers with an event list; return (response, events)."""
        action_id = f"{self.name}-{uuid.uuid4().hex[:12]}"
        done = threading.Event()
        events: list[dict] = []
        with self._lists_lock:
            self._lists[action_id] = (complete_event, events, done)
        try:
            response = self.action(name, timeout=timeout, ActionID=action_id, **headers)
            if not done.wait(timeout):
                raise AMIError(f"{name}: no {complete_event} within {timeout} s")
            return response, events
        finally:
            with self._lists_lock:
                self._lists.pop(action_id, None)

    def action_wait(self, name: str, wait_event: str, *, timeout: float = 30.0,
                    **headers: str) -> tuple[dict, dict]:
        """Send an action and wait for the event that reports its outcome.

        Returns (response, the first `wait_event` carrying this action's ActionID), e.g.
        Originate Async=true and its OriginateResponse.  Raises AMIError when Asterisk
        refuses the action or the event does not come within `timeout`.  Never retried
        after a broken connection: such actions (Originate) must not run twice.
        """
        action_id = f"{self.name}-{uuid.uuid4().hex[:12]}"
        done = threading.Event()
        found: list[dict] = []
        with self._lists_lock:
            self._waits[action_id] = (wait_event, found, done)
        try:
            deadline = time.monotonic() + timeout
            response = self.action(name, timeout=timeout, retry=False, ActionID=action_id,
                                   **headers)
            if not done.wait(max(0.0, deadline - time.monotonic())):
                raise AMIError(f"{name}: no {wait_event} within {timeout:g} s")
            return response, found[0]
        finally:
            with self._lists_lock:
                self._waits.pop(action_id, None)

    # -- events ------------------------------------------------------------------------

    def on_connect(self, handler: Callable[[], None]) -> None:
        """Call handler() after every (re)connection, in a thread of its own (to resync)."""
        self._connect_handlers.append(handler)

    def on_disconnect(self, handler: Callable[[], None]) -> None:
        """Call handler() when a session ends (in the thread that noticed; keep it short)."""
        self._disconnect_handlers.append(handler)

    def on_event(self, name: str, handler: EventHandler) -> None:
        """Call handler(headers) for every event `name` ('*' = all), across reconnects."""
        self._handlers.setdefault(name, []).append(handler)

    def _dispatch(self, event, _manager) -> None:
        headers = dict(event.headers)
        name = headers.get("Event", "")
        action_id = headers.get("ActionID")
        if action_id:
            with self._lists_lock:
                pending = self._lists.get(action_id)
                waiting = self._waits.get(action_id)
            if waiting and name == waiting[0]:
                wanted, found, done = waiting
                if not found:
                    found.append(headers)
                done.set()
            if pending:
                complete_event, events, done = pending
                if name == complete_event:
                    done.set()
                else:
                    events.append(headers)
                return
        for handler in self._handlers.get(name, []) + self._handlers.get("*", []):
            try:
                handler(headers)
            except Exception:
                log.exception("AMI event handler for %s failed", name)


def start_worker(layout, name: str, make: Callable[["AMIClient"], "AmiWorker"],
                 what: str) -> "AmiWorker | None":
    """One of jns-calld's workers (dialer, conference caller, callbacks) with an AMI session
    of its own named `name`; if it cannot start, the rest goes on without it (logged:
    `what` says what is then not done)."""
    try:
        ami = AMIClient("127.0.0.1", layout.ami_port, layout.ami_user, layout.ami_secret,
                        name=name).start()
        return make(ami).start()
    except Exception:
        log.exception("%s could not start", what)
        return None


class AmiWorker:
    """A thread over one database and an AMI session of its own, for a service that places
    calls and follows them (the campaign dialer, the conference caller; jns-calld runs both).

    The AMI reader thread only queues the events `wants()` keeps; this thread ticks every
    `tick_s` (events never hold the tick up) and applies the events in between, so every
    database write happens in one thread.  A new AMI session sets `event_mask` and asks the
    next tick to reconcile (`_reconcile`): calls left open while Asterisk was away.  A tick
    that raises is logged and kept in `last_error`; it never ends the thread.
    Subclasses set `name`, `follow` (event names) and `event_mask`, and write `wants`,
    `tick` and `_apply`.
    """

    name = "ami-worker"
    follow: tuple[str, ...] = ()
    event_mask = "call,user"

    def __init__(self, db_path: str | os.PathLike, ami, *, tick_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        from ..store import db as store
        self.db_path = os.fspath(db_path)
        store.open_db(self.db_path).conn.close()     # migrated once, up front
        self.ami = ami
        self.tick_s = tick_s
        self.clock = clock
        self.db = None
        self._events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reconcile = threading.Event()
        self._reconcile.set()                        # once at start
        self.last_error: str | None = None
        self.ticks = 0

    def start(self):
        for name in self.follow:
            self.ami.on_event(name, self._on_event)
        self.ami.on_connect(self._on_connect)
        if self.ami.connected:
            self._on_connect()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        """The thread runs (jns-calld's systemd watchdog ping depends on it)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._events.put(None)
        if self._thread:
            self._thread.join(timeout=10)

    def _on_connect(self) -> None:
        """A new AMI session: only the events we need, then check the open calls."""
        try:
            self.ami.action("Events", EventMask=self.event_mask)
        except Exception as exc:
            log.warning("%s: could not set the AMI event mask: %s", self.name, exc)
        self._reconcile.set()

    def _on_event(self, ev: dict) -> None:
        """AMI reader thread: queue what this worker follows; its own thread does the rest."""
        if self.wants(ev):
            self._events.put((ev, self.clock()))

    def wants(self, ev: dict) -> bool:
        return True

    def tick(self) -> None:
        raise NotImplementedError

    def _apply(self, ev: dict, at: float) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        from ..store import db as store
        self.db = store.open_db(self.db_path, migrate=False)
        next_tick = 0.0
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if now >= next_tick:      # events never hold the tick up
                    next_tick = now + self.tick_s
                    self.tick()
                    continue
                try:
                    item = self._events.get(timeout=next_tick - now)
                except queue.Empty:
                    continue
                if item is None:
                    break
                self._apply(*item)
            except Exception as exc:   # a bad tick must not end the worker
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s tick failed", self.name)
                self._stop.wait(1.0)
        self.db.conn.close()
