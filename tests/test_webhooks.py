"""Webhooks for integrators (issue 12, item 5): signed POSTs to a real HTTP receiver on
127.0.0.1, retries with backoff, failures in the delivery log, refused addresses, and with
real Asterisk + SIPp a queue call's events as a receiver gets them."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import http.server
import json
import threading
import time
import urllib.parse

import pytest

from appliance.store import db as store
from appliance.telephony import webhooks as wh
from appliance.devbox import free_port


class Receiver:
    """An integrator's endpoint: answers the scripted statuses in turn (then 200) and keeps
    what it got (headers, raw body)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.got: list[tuple[dict, bytes]] = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.arrived:
                    outer.got.append((dict(self.headers), body))
                    outer.arrived.notify_all()
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if status >= 300 else b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/jns?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(body)["event"] for _h, body in self.got]

    def wait_for(self, predicate, timeout=60.0):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got only {self.events()}")
                self.arrived.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What an integrator's receiver does with the signature header."""
    mac = hmac.new(secret.encode(), headers["X-JNS-Timestamp"].encode() + b"." + body,
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-JNS-Signature"], "sha256=" + mac)


class Clock:
    def __init__(self):
        self.t = 1_800_000_000.0

    def __call__(self):
        return self.t


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "jns.db"
    store.open_db(path)
    return path


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_delivery_is_signed_so_the_receiver_can_verify_it(db_path, receiver):
    db = store.open_db(db_path)
    wid, secret = wh.add_webhook(db, receiver.url, ["call"], "CRM")
    other, _ = wh.add_webhook(db, receiver.url, ["agent"], "only agents")
    ids = wh.enqueue(db, [("call.answered", {"call": "1700.1", "agent": "101"})])
    assert len(ids) == 1   # the agent-only webhook did not ask for calls
    sender = wh.Sender(db_path)
    assert sender.run_once() == 1
    (headers, body), = receiver.got
    assert verify(secret, headers, body)
    assert not verify("whsec_wrong", headers, body)
    assert not verify(secret, headers, body.replace(b"101", b"102"))   # tampered
    payload = json.loads(body)
    assert payload["event"] == headers["X-JNS-Event"] == "call.answered"
    assert payload["data"] == {"call": "1700.1", "agent": "101"}
    assert payload["at"].endswith("Z") and len(payload["id"]) == 32
    assert headers["X-JNS-Delivery"] == str(ids[0])
    assert abs(int(headers["X-JNS-Timestamp"]) - time.time()) < 60
    row, = wh.deliveries(db, wid)
    assert (row["status"], row["attempts"], row["last_code"]) == ("delivered", 1, 200)
    assert wh.deliveries(db, other) == []
    # a new secret signs from now on; the old one no longer verifies
    new = wh.rotate_secret(db, wid)
    wh.send_test(db, wid)
    sender.run_once()
    headers, body = receiver.got[-1]
    assert json.loads(body)["event"] == "webhook.test"
    assert verify(new, headers, body) and not verify(secret, headers, body)
    sender.close()


def test_a_receiver_answering_500_gets_the_retry_then_200(db_path):
    receiver = Receiver(statuses=[500, 503])
    try:
        db = store.open_db(db_path)
        wid, secret = wh.add_webhook(db, receiver.url, ["agent.paused"])
        clock = Clock()
        wh.enqueue(db, [("agent.paused", {"agent": "101", "pause_reason": "lunch"})], at=clock.t)
        wh.enqueue(db, [("agent.ready", {"agent": "101"})], at=clock.t)   # not asked for
        sender = wh.Sender(db_path, clock=clock, backoff=(10, 60, 300))
        assert sender.run_once() == 1
        row, = wh.deliveries(db, wid)
        assert (row["status"], row["attempts"], row["last_code"]) == ("pending", 1, 500)
        assert "HTTP 500" in row["last_error"] and row["next_at"] == clock.t + 10
        assert sender.run_once() == 0             # not due yet: nothing sent
        clock.t += 10
        assert sender.run_once() == 1             # 503, next try after 60 s
        assert wh.deliveries(db, wid)[0]["next_at"] == clock.t + 60
        clock.t += 60
        assert sender.run_once() == 1
        row, = wh.deliveries(db, wid)
        assert (row["status"], row["attempts"], row["last_code"], row["last_error"]) == \
            ("delivered", 3, 200, "")
        bodies = {body for _h, body in receiver.got}
        assert len(receiver.got) == 3 and len(bodies) == 1   # the same event each time
        assert all(verify(secret, h, b) for h, b in receiver.got)
        sender.close()
    finally:
        receiver.close()


def test_a_receiver_that_is_down_fails_after_the_attempts_with_the_error_logged(db_path):
    db = store.open_db(db_path)
    wid, _ = wh.add_webhook(db, f"http://127.0.0.1:{free_port()}/down", ["campaign"])
    clock = Clock()
    wh.enqueue(db, [("campaign.call_ended", {"campaign": 1, "outcome": "busy"})], at=clock.t)
    sender = wh.Sender(db_path, clock=clock, backoff=(10, 60))
    for step in (0, 10, 60):
        clock.t += step
        assert sender.run_once() == 1
    assert sender.run_once() == 0
    row, = wh.deliveries(db, wid)
    assert (row["status"], row["attempts"], row["last_code"]) == ("failed", 3, None)
    assert "refused" in row["last_error"].lower()
    # "retry now" gives it fresh attempts; the receiver is up by then
    receiver = Receiver()
    try:
        wh.update_webhook(db, wid, receiver.url, ["campaign"])
        assert wh.retry_now(db, wid, row["id"])
        assert sender.run_once() == 1
        row, = wh.deliveries(db, wid)
        assert (row["status"], row["attempts"]) == ("delivered", 1)
        assert receiver.events() == ["campaign.call_ended"]
        assert not wh.retry_now(db, wid, row["id"])   # delivered: nothing to retry
    finally:
        receiver.close()
        sender.close()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "javascript:alert(1)", "gopher://10.0.0.5/", "ftp://10.0.0.5/x",
    "http://admin:secret@10.0.0.5/hook", "http://10.0.0.5/hook\r\nX-Evil: 1",
    "http://10.0.0.5/a b", "http:///nohost", "http://10.0.0.5:99999/", "http://10.0.0.5:0/",
    "http://169.254.169.254/latest/meta-data", "http://224.0.0.1/", "http://0.0.0.0:80/",
    "http://[fe80::1]/", "http://bad_host!/", "http://10.0.0.5/#frag", "", "   ",
    "http://10.0.0.5/" + "a" * 500])
def test_hostile_or_broken_addresses_are_refused(db_path, url):
    db = store.open_db(db_path)
    with pytest.raises(wh.WebhookError):
        wh.add_webhook(db, url, ["call"])
    assert list(db.query("SELECT * FROM webhooks")) == []


def test_good_addresses_and_event_choices(db_path):
    db = store.open_db(db_path)
    for url in ("http://192.168.1.20:8080/jns", "https://crm.office.lan/hooks?k=1",
                "http://[fd00::5]/x", "http://127.0.0.1:9000/"):
        assert wh.check_url(url) == url
    with pytest.raises(wh.WebhookError, match="at least one"):
        wh.add_webhook(db, "http://10.0.0.5/", ["everything"])
    wid, secret = wh.add_webhook(db, " http://10.0.0.5/ ", ["call.ended", "agent"])
    hook = wh.webhook(db, wid)
    assert hook["url"] == "http://10.0.0.5/" and hook["events"] == ["call.ended", "agent"]
    assert secret.startswith("whsec_") and len(secret) > 30 and hook["secret"] == secret
    assert wh.wants(hook["events"], "agent.login") and wh.wants(hook["events"], "call.ended")
    assert not wh.wants(hook["events"], "call.started")


def test_the_mapper_turns_wallboard_changes_into_events_and_stays_quiet_across_a_reconnect():
    """LiveState's change shapes (as jns-calld publishes them) -> integrator events."""
    clock = Clock()
    agent = {"ext": "101", "name": "Anna", "user": None, "state": "ready", "queues": ["support"],
             "paused": False, "pause_reason": ""}
    m = wh.EventMapper({"asterisk": {"connected": True}, "calls": {}, "agents": {"101": agent}},
                       clock=clock)
    call = {"id": "17.1", "caller": "48600100200", "caller_name": "", "did": "100",
            "direction": "in", "state": "ivr", "started": clock.t, "queue": None,
            "queued_at": None, "answered_at": None, "agent": None, "channels": []}
    assert [e for e, _ in m.feed([("call", "17.1", call)])] == ["call.started"]
    queued = {**call, "state": "queued", "queue": "support", "queued_at": clock.t + 3}
    assert [e for e, _ in m.feed([("call", "17.1", queued)])] == ["call.queued"]
    talking = {**queued, "state": "talking", "agent": "101", "answered_at": clock.t + 9}
    events = m.feed([("call", "17.1", talking), ("agent", "101", {**agent, "state": "on_call"})])
    assert [e for e, _ in events] == ["call.answered"] and events[0][1]["agent"] == "101"
    assert m.feed([("call", "17.1", {**talking, "state": "parked"})]) == []
    # Asterisk away and back: the call went on (nothing said), the agent paused meanwhile
    assert m.feed([("asterisk", "", {"connected": False}), ("call", "17.1", None),
                   ("agent", "101", {**agent, "state": "unavailable"})]) == []
    paused = {**agent, "state": "paused", "paused": True, "pause_reason": "lunch"}
    events = m.feed([("agent", "101", paused), ("call", "17.1", talking),
                     ("asterisk", "", {"connected": True})])
    assert [(e, d.get("pause_reason")) for e, d in events] == [("agent.paused", "lunch")]
    clock.t += 60
    (name, data), = m.feed([("call", "17.1", None)])
    assert name == "call.ended" and data["answered"] and data["agent"] == "101"
    assert data["duration_s"] == 60 and data["talk_s"] == 51
    assert [e for e, _ in m.feed([("agent", "101", agent)])] == ["agent.ready"]
    assert [e for e, _ in m.feed([("agent", "101", {**agent, "state": "logged_out",
                                                    "queues": []})])] == ["agent.logout"]
    assert [e for e, _ in m.feed([("agent", "101", agent)])] == ["agent.login"]


# -- with real Asterisk and SIPp --------------------------------------------------------------

def api_token(db, role: str) -> str:
    from appliance.crm import contacts
    from appliance.store import users
    uid = users.create_user(db, f"{role}-{time.monotonic_ns()}", "a-long-enough-password", role)
    return contacts.create_token(db, uid)


def api_get(server: str, path: str, token: str | None):
    url = urllib.parse.urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    resp = conn.getresponse()
    return resp.status, resp


class EventStream:
    """An integrator reading /api/v1/events in a thread."""

    def __init__(self, server: str, token: str):
        self.events: list[dict] = []
        status, self.resp = api_get(server, "/api/v1/events", token)
        assert status == 200 and self.resp.getheader("Content-Type").startswith("text/event-stream")
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.resp:
                if line.startswith(b"data: "):
                    with self.cond:
                        self.events.append(json.loads(line[6:]))
                        self.cond.notify_all()
        except OSError:
            pass

    def until(self, name: str, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(e.get("event") == name for e in self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"stream gave only {self.events}")
                self.cond.wait(left)
            return list(self.events)


@pytest.mark.asterisk
def test_a_queue_call_reaches_the_receiver_as_signed_call_events(tmp_path, sipp):
    from appliance.devbox import DevBox
    from tests.conftest import require_rootfs
    from tests.test_webui_browser import running_panel
    require_rootfs()
    agent_port = free_port()
    box = DevBox(tmp_path / "box", demo_agent_contacts={"101": f"sip:101@127.0.0.1:{agent_port}"})
    box.start()
    receiver = Receiver()
    calld = hooks = None
    try:
        wid, secret = wh.add_webhook(box.db, receiver.url, ["call", "agent"], "CRM")
        calld = box.start_calld()
        hooks = wh.WebhookService(calld, box.db_path).start()
        panel = contextlib.ExitStack()
        server = panel.enter_context(running_panel(box.web_env(), tmp_path / "gunicorn.log"))
        api_token(box.db, "admin")   # set up: a box without an admin only shows /setup
        stream = EventStream(server, api_token(box.db, "supervisor"))
        deadline = time.monotonic() + 30
        while not calld.state.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert calld.state.connected, "calld never saw Asterisk"
        time.sleep(1.5)   # the rebuild after connecting is the baseline, not events

        results: list = []
        caller = threading.Thread(target=lambda: results.append(
            sipp.call(box.layout.sip_port, did="100", digit="1", timeout_s=90)), daemon=True)
        caller.start()
        receiver.wait_for(lambda r: "call.queued" in r.events())
        sipp.agent(agent_port, talk_ms=2000)
        receiver.wait_for(lambda r: "call.ended" in r.events())
        caller.join(timeout=60)
        assert results and results[0].returncode == 0, results

        calls = [(h, json.loads(b)) for h, b in receiver.got
                 if json.loads(b)["event"].startswith("call.")]
        assert all(verify(secret, h, b) for h, b in receiver.got)
        names = [p["event"] for _h, p in calls]
        assert names == ["call.started", "call.queued", "call.answered", "call.ended"], names
        data = {p["event"]: p["data"] for _h, p in calls}
        assert len({d["call"] for d in data.values()}) == 1   # one call throughout
        assert data["call.started"]["caller"] == "48600100200"
        assert data["call.queued"]["queue"] == "support" and data["call.queued"]["did"] == "100"
        assert data["call.answered"]["agent"] == "101"
        assert data["call.ended"]["answered"] and data["call.ended"]["agent"] == "101"
        assert data["call.ended"]["talk_s"] >= 1
        deadline = time.monotonic() + 20   # the sender records each answer after it comes
        while time.monotonic() < deadline and any(
                r["status"] == "pending" for r in wh.deliveries(box.db, wid)):
            time.sleep(0.1)
        log = wh.deliveries(box.db, wid)
        assert {r["status"] for r in log} == {"delivered"} and len(log) == len(receiver.got)

        # the same events as a stream for integrators (GET /api/v1/events, a CRM API token)
        got = stream.until("call.ended")
        assert [(e["event"], e["data"]["call"]) for e in got if e["event"].startswith("call.")] \
            == [(name, data["call.started"]["call"]) for name in names]
        assert next(e for e in got if e["event"] == "call.answered")["data"]["agent"] == "101"
        assert api_get(server, "/api/v1/events", api_token(box.db, "agent"))[0] == 403
        assert api_get(server, "/api/v1/events", None)[0] == 401
        panel.close()
    finally:
        if hooks:
            hooks.stop()
        if calld:
            calld.stop()
        receiver.close()
        box.stop()


def test_a_campaign_call_closed_by_the_dialer_becomes_campaign_call_ended(db_path, receiver):
    """The hook the dialer calls in `_finish` (the dialer itself: tests/test_dialer.py)."""
    from appliance.campaigns import campaigns, lists
    from appliance.campaigns.dialer import Call
    from appliance.store.config import seed_demo
    db = store.open_db(db_path)
    seed_demo(db)
    list_id = lists.create_list(db, "spring list")
    cid = campaigns.save_campaign(db, "spring", user="test", queue="support", lists=[list_id])
    wid, secret = wh.add_webhook(db, receiver.url, ["campaign"])
    wh.add_webhook(db, receiver.url, ["call", "agent"])   # did not ask: gets nothing
    call = Call(id=7, campaign_id=cid, contact_id=None, uniqueid="1700.9", phone="+48501000001",
                mode="progressive", started_at=1_800_000_000.0, agent="111",
                answered_at=1_800_000_004.0)
    wh.campaign_call_ended(db, call, "answered", 1_800_000_060.0)
    sender = wh.Sender(db_path)
    assert sender.run_once() == 1
    sender.close()
    (headers, body), = receiver.got
    assert verify(secret, headers, body) and headers["X-JNS-Event"] == "campaign.call_ended"
    data = json.loads(body)["data"]
    assert data == {"campaign": cid, "campaign_name": "spring", "call": 7, "contact": None,
                    "phone": "+48501000001", "outcome": "answered", "agent": "111",
                    "started_at": 1_800_000_000.0, "answered_at": 1_800_000_004.0,
                    "ended_at": 1_800_000_060.0}
    # a broken database never reaches the dialer: the hook logs and returns
    db.conn.execute("DROP TABLE webhook_deliveries")
    wh.campaign_call_ended(db, call, "busy", 1_800_000_070.0)


def test_the_log_is_bounded(db_path):
    db = store.open_db(db_path)
    wid, _ = wh.add_webhook(db, "http://10.0.0.5/", ["call"])
    day = 86400
    now = time.time()
    for age, status in ((8, "delivered"), (1, "delivered"), (8, "failed"), (31, "failed"),
                        (40, "pending")):
        wh.enqueue(db, [("call.ended", {"age": age})])
        db.execute("UPDATE webhook_deliveries SET status = ?, created_at = ? WHERE id = "
                   "(SELECT max(id) FROM webhook_deliveries)", [status, now - age * day])
    assert wh.prune(db, now) == 2
    kept = sorted((json.loads(r["payload"])["data"]["age"], r["status"])
                  for r in wh.deliveries(db, wid))
    assert kept == [(1, "delivered"), (8, "failed"), (40, "pending")]
