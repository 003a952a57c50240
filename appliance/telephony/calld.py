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

import http.client
import json
import logging
import os
import urllib.parse
from typing import Iterator

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:5040"
NOT_RUNNING = "the live call-center service is not running (jns-calld)"


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
