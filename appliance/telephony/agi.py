"""FastAGI server: the IVR and call-routing logic Asterisk asks for during a call.

Asterisk opens a TCP connection per AGI() call (agi://host:port/<script>,<args>).  The
server reads the AGI environment, picks the registered handler by script name and gives it
a pyst2 AGI object bound to that socket.  Many calls are served at once (one thread each).

pyst2's AGI class is made for one process per call: it installs a SIGHUP handler (not
allowed outside the main thread), dumps everything to stderr and crashes on lines it does
not expect.  `FastAGI` below keeps pyst2's command layer and replaces those three parts.

Handlers decide; the dialplan routes.  A handler answers by setting JNS_ACTION/JNS_TARGET;
if it fails, the dialplan's fallback still takes the caller somewhere (see render.py).
Malformed input gets one clear log line and a clean HANGUP, and never stops the server.
"""
from __future__ import annotations

import io
import logging
import re
import socket
import socketserver
import threading
import time
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from asterisk import agi as pyst_agi

log = logging.getLogger(__name__)

_ENV_LINE = re.compile(r"^(agi_[a-z0-9_]+):\s?(.*)$")
_RESULT_LINE = re.compile(r"^(\d{3})[ -]")
MAX_ENV_LINES = 200
MAX_LINE = 8192


class AGIProtocolError(pyst_agi.AGIError):
    """What Asterisk (or whoever connected) sent is not AGI."""


class FastAGI(pyst_agi.AGI):
    """pyst2's AGI over one FastAGI socket, safe to use from a worker thread."""

    def __init__(self, rfile: io.TextIOBase, wfile: io.TextIOBase) -> None:
        # Deliberately not calling AGI.__init__: it installs a SIGHUP handler.
        self.stdin, self.stdout = rfile, wfile
        self.stderr = _NullStream()
        self._got_sighup = False
        self.hung_up = False
        self.allow_dead = False   # hangup handlers still read variables of a gone channel
        self.env: dict[str, str] = {}
        self._get_agi_env()

    def _readline(self) -> str:
        line = self.stdin.readline(MAX_LINE)
        if len(line) >= MAX_LINE and not line.endswith("\n"):
            raise AGIProtocolError(f"line longer than {MAX_LINE} bytes")
        return line

    def _get_agi_env(self) -> None:
        for number in range(1, MAX_ENV_LINES + 1):
            raw = self._readline()
            if raw == "":
                raise AGIProtocolError("connection closed before the AGI environment ended")
            line = raw.rstrip("\r\n")
            if line == "":
                if "agi_request" not in self.env:
                    raise AGIProtocolError("AGI environment has no agi_request line")
                return
            match = _ENV_LINE.match(line)
            if not match:
                raise AGIProtocolError(
                    f"environment line {number} is not 'agi_<name>: <value>': {line[:80]!r}")
            self.env[match.group(1)] = match.group(2)
        raise AGIProtocolError(f"AGI environment longer than {MAX_ENV_LINES} lines")

    def test_hangup(self) -> None:
        if self.hung_up and not self.allow_dead:
            raise pyst_agi.AGIHangup("caller hung up")

    def get_result(self, stdin=None):
        """Read one command result; 'HANGUP' lines (FastAGI's hangup notice) are noted."""
        while True:
            raw = self._readline()
            if raw == "":
                self.hung_up = True
                raise pyst_agi.AGIHangup("Asterisk closed the AGI connection")
            line = raw.strip()
            if line == "HANGUP":
                self.hung_up = True
                continue
            if not _RESULT_LINE.match(line + " "):
                raise AGIProtocolError(f"expected an AGI result line, got {line[:80]!r}")
            # hand the good line to pyst2's parser (it reads one line from stdin)
            saved = self.stdin
            self.stdin = io.StringIO(line + "\n" + _rest_if_usage(line, saved))
            try:
                return super().get_result()
            finally:
                self.stdin = saved


def _rest_if_usage(line: str, stream) -> str:
    """520 usage replies span lines up to a closing '520 End of proper usage.'"""
    if not line.startswith("520-"):
        return ""
    rest = []
    while True:
        more = stream.readline(MAX_LINE)
        if more == "":
            break
        rest.append(more)
        if more.startswith("520 "):
            break
    return "".join(rest)


class _NullStream:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


# -- handler registry (in the style of wazo-agid: one small function per script) --------

Handler = Callable[[FastAGI, "CallContext"], None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return register


class CallContext:
    """What a handler gets besides the AGI channel: its arguments and the database."""

    def __init__(self, script: str, args: list[str], query: dict[str, str], services: "Services"):
        self.script, self.args, self.query, self.services = script, args, query, services

    @property
    def db(self):
        return self.services.db

    def db_lock(self) -> threading.Lock:
        return self.services.db_lock


class Services:
    """Shared resources of the server: one database connection guarded by a lock, and
    Asterisk's directory as Asterisk sees it (prompt paths it plays) and as this process
    sees it (recordings it measures); the two differ only when Asterisk runs in a chroot."""

    def __init__(self, db, *, asterisk_root: str = "/var/lib/jns/asterisk",
                 host_root: str | None = None) -> None:
        self.db = db
        self.db_lock = threading.Lock()
        self.asterisk_root = asterisk_root
        self.host_root = host_root or asterisk_root


def parse_request(env: dict[str, str]) -> tuple[str, list[str], dict[str, str]]:
    """agi_network_script / agi_request -> (script name, positional args, query args)."""
    request = env.get("agi_network_script") or urlsplit(env.get("agi_request", "")).path
    parts = urlsplit("/" + request.lstrip("/"))
    script = parts.path.strip("/")
    args = []
    for i in range(1, 64):
        key = f"agi_arg_{i}"
        if key not in env:
            break
        args.append(env[key])
    return script, args, dict(parse_qsl(parts.query))


class _RequestHandler(socketserver.StreamRequestHandler):
    timeout = 600  # seconds of silence before we give up on a call

    def handle(self) -> None:
        peer = "%s:%s" % self.client_address[:2]
        rfile = io.TextIOWrapper(self.rfile, encoding="utf-8", errors="replace", newline="\n")
        wfile = io.TextIOWrapper(self.wfile, encoding="utf-8", newline="\n", write_through=True)
        server: FastAGIServer = self.server  # type: ignore[assignment]
        started = time.monotonic()
        script = "?"
        server.enter()
        try:
            agi = FastAGI(rfile, wfile)
            script, args, query = parse_request(agi.env)
            fn = HANDLERS.get(script)
            if fn is None:
                raise AGIProtocolError(f"no AGI handler named {script!r} (known: {', '.join(sorted(HANDLERS))})")
            fn(agi, CallContext(script, args, query, server.services))
            server.record(script, time.monotonic() - started, ok=True)
        except pyst_agi.AGIHangup:
            server.record(script, time.monotonic() - started, ok=True)
        except (AGIProtocolError, UnicodeError) as exc:
            log.error("FastAGI %s from %s: malformed input, hanging up: %s", script, peer, exc)
            server.record(script, time.monotonic() - started, ok=False)
            _hangup_quietly(wfile)
            self._close_gracefully()
        except (OSError, socket.timeout) as exc:
            log.warning("FastAGI %s from %s: connection problem: %s", script, peer, exc)
            server.record(script, time.monotonic() - started, ok=False)
        except Exception:
            log.exception("FastAGI %s from %s: handler failed; the dialplan fallback takes the call",
                          script, peer)
            server.record(script, time.monotonic() - started, ok=False)
        finally:
            server.leave()

    def _close_gracefully(self) -> None:
        """After a HANGUP for bad input: read what the peer still sends (briefly) before
        closing, so unread bytes do not make the kernel reset the connection and lose the
        HANGUP on its way to Asterisk."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass
        except OSError:
            pass


def _hangup_quietly(wfile) -> None:
    try:
        wfile.write("HANGUP\n")
        wfile.flush()
    except Exception:
        pass


class FastAGIServer(socketserver.ThreadingTCPServer):
    """Threaded FastAGI server; `serve_forever()` in the main or a background thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], services: Services):
        super().__init__(address, _RequestHandler)
        self.services = services
        self.stats_lock = threading.Lock()
        self.calls = 0
        self.failures = 0
        self.active = 0
        self.peak_active = 0   # most sessions served at the same moment
        self.durations: list[float] = []   # last 10 000 call durations, for benchmarks
        self.by_script: dict[str, int] = {}   # sessions served per script (route, ivr, ...)

    def enter(self) -> None:
        with self.stats_lock:
            self.active += 1
            self.peak_active = max(self.peak_active, self.active)

    def leave(self) -> None:
        with self.stats_lock:
            self.active -= 1

    def record(self, script: str, seconds: float, ok: bool) -> None:
        with self.stats_lock:
            self.calls += 1
            self.failures += 0 if ok else 1
            self.by_script[script] = self.by_script.get(script, 0) + 1
            self.durations.append(seconds)
            if len(self.durations) > 10_000:
                del self.durations[:5_000]

    @property
    def port(self) -> int:
        return self.server_address[1]


def serve_in_thread(server: FastAGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="fastagi", daemon=True)
    thread.start()
    return thread


# Register the built-in handlers.
from . import ivr  # noqa: E402,F401
