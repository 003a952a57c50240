"""The browser softphone on the agent desk (BEY-1), end to end.

Real Asterisk 22 (DevBox: SIP WebSocket on a loopback port), the real panel (gunicorn) and
jns-calld, a real headless Chromium with fake microphone and camera devices, and a SIPp
caller from the carrier side.  Agent 101's phone kind is "webrtc": the desk's softphone
registers over the WebSocket, a caller reaches queue "support", the browser rings, Answer
is clicked and audio flows both ways (the browser's RTP counters and Asterisk's); mute,
hold, the keypad's DTMF, hanging up from the browser; an outgoing call and a blind transfer
to a SIPp desk phone; the blocked microphone's message; an unreachable WebSocket's message
with the certificate link.  Without Asterisk: the rendered pjsip.conf/http.conf of a
browser agent and the box's wss certificate, the credentials view's role and ownership
checks, the desk showing the softphone only for a browser agent, the phone kind form and
its refusal of a bad kind.
"""
from __future__ import annotations

import contextlib
import json
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest

from appliance import box as box_service
from appliance.devbox import DevBox, free_port
from appliance.store import config, users
from appliance.store.config import seed_demo
from appliance.telephony import render
from appliance.webui import create_app
from appliance.webui.i18n import CATALOG
from appliance.webui import softphone
from tests.conftest import (client_for, csrf_token as csrf, page_text as text, require_rootfs,
                            require_sipp, use_english)
from tests.test_box import data  # noqa: F401 (fixture: the box's data partition in tmp)
from tests.test_webui import ADMIN_PW, login
from tests.test_webui_browser import (CHROMIUM, CHROMIUM_ARGS, expect, gunicorn_panel,
                                      sync_playwright)

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
VENDOR = Path(softphone.__file__).parent / "static" / "vendor" / "sip.js"


# -- without Asterisk: the rendered files ------------------------------------------------------

def snap_with(phone: str) -> dict:
    return {"agents": [{"extension": "101", "name": "Agent 101", "secret": "s3cret",
                        "contact": None, "dtmf_mode": "auto", "phone": phone, "login": 0}],
            "trunks": []}


def section(text_: str, name: str, kind: str) -> dict[str, str]:
    """The options of pjsip.conf's section [name] with type = kind."""
    for block in text_.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0] == f"[{name}]" and f"type = {kind}" in lines:
            return dict(line.split(" = ", 1) for line in lines[1:])
    raise AssertionError(f"no [{name}] type={kind} in\n{text_}")


def test_render_webrtc_agent_and_websocket():
    lay = render.Layout(ami_secret="x", http_port=8088, media_address="127.0.0.1")
    pjsip = render._pjsip_conf(snap_with("webrtc"), lay)
    ep = section(pjsip, "101", "endpoint")
    assert ep["webrtc"] == "yes" and ep["dtls_auto_generate_cert"] == "yes"
    assert ep["allow"] == "opus,ulaw,alaw" and ep["dtmf_mode"] == "rfc4733"
    assert ep["ice_support"] == "yes" and ep["rtcp_mux"] == "yes" and ep["use_avpf"] == "yes"
    assert "transport" not in ep and "media_address" not in ep   # replies over the WebSocket
    aor = section(pjsip, "101", "aor")
    assert aor["max_contacts"] == "1" and aor["remove_existing"] == "yes" and "contact" not in aor
    assert section(pjsip, "ws", "transport")["protocol"] == "ws"
    http = render.render_files({**snap_with("webrtc"), **_empty_rest()}, lay)["http.conf"]
    assert "enabled = yes" in http and "bindaddr = 127.0.0.1" in http and "bindport = 8088" in http
    assert "tlsenable" not in http
    # a SIP phone keeps its UDP endpoint
    sip = section(render._pjsip_conf(snap_with("sip"), lay), "101", "endpoint")
    assert "webrtc" not in sip and sip["transport"] == "udp" and sip["media_address"] == "127.0.0.1"


def test_render_box_tls_and_no_websocket_without_a_port():
    lay = render.Layout(ami_secret="x", https_port=8089, https_cert="/d/https.crt",
                        https_key="/d/https.key")
    files = render.render_files({**snap_with("webrtc"), **_empty_rest()}, lay)
    assert "tlsbindaddr = 0.0.0.0:8089" in files["http.conf"]
    assert "tlscertfile = /d/https.crt" in files["http.conf"]
    assert "bindport" not in files["http.conf"]   # no plain HTTP on the LAN
    assert section(files["pjsip.conf"], "wss", "transport")["protocol"] == "wss"
    assert "load => res_srtp.so" in files["modules.conf"]
    # no WebSocket at all: HTTP off, and a 'webrtc' agent falls back to a plain SIP endpoint
    plain = render.Layout(ami_secret="x")
    files = render.render_files({**snap_with("webrtc"), **_empty_rest()}, plain)
    assert "enabled = no" in files["http.conf"] and "webrtc" not in files["pjsip.conf"]


def _empty_rest() -> dict:
    """A snapshot's other parts, empty, from a fresh database."""
    import tempfile
    from appliance.store import db as store
    with tempfile.TemporaryDirectory() as d:
        snap = config.snapshot(store.open_db(f"{d}/x.db"))
    return {k: v for k, v in snap.items() if k not in ("agents", "trunks")}


def test_box_serves_wss_with_a_copy_of_the_panels_certificate(data):
    """On the box Asterisk (user asterisk) cannot read secrets/: prepare() copies the panel's
    certificate next to Asterisk's data, and http.conf serves wss on 8089 with it."""
    box_service.prepare()
    copy, key = data / "asterisk/lib/https.crt", data / "asterisk/lib/https.key"
    assert copy.read_bytes() == (data / "secrets/https.crt").read_bytes()
    assert key.read_bytes() == (data / "secrets/https.key").read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    http = (box_service.render_config() / "http.conf").read_text()
    assert "tlsbindaddr = 0.0.0.0:8089" in http and f"tlscertfile = {copy}" in http
    assert f"tlsprivatekey = {key}" in http and "bindport" not in http


# -- without Asterisk: the panel ----------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config.update(TESTING=True, SOFTPHONE_WS="ws://{host}:18088/ws")
    seed_demo(app.extensions["jns_db"].get())
    return app


def user(app, db, name: str, role: str, ext: str | None):
    users.create_user(db, name, ADMIN_PW, role, agent=ext)
    c = app.test_client()
    assert login(c, name, ADMIN_PW).status_code == 302
    return c


def test_credentials_only_for_the_users_own_browser_agent(app, db, admin):
    config.set_agent_phone(db, "101", "webrtc")
    secret = db.execute("SELECT secret FROM agents WHERE extension = '101'").fetchone()[0]
    anna = user(app, db, "anna", "agent", "101")
    r = anna.get("/agent/softphone.json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body == {"extension": "101", "name": "Agent 101", "password": secret,
                    "ws_url": "ws://localhost:18088/ws", "domain": "localhost",
                    "status_url": "http://localhost:18088/httpstatus"}
    # 102 is a SIP phone: its user gets no credentials (and never 101's)
    bob = user(app, db, "bob", "agent", "102")
    r = bob.get("/agent/softphone.json")
    assert r.status_code == 409 and secret not in r.get_data(as_text=True)
    assert "softphone" in r.get_json()["error"] or "przeglądarce" in r.get_json()["error"]
    nobody = user(app, db, "carl", "supervisor", None)
    assert nobody.get("/agent/softphone.json").status_code == 404
    r = app.test_client().get("/agent/softphone.json")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    # the box's default: wss on Asterisk's port 8089 of the host the browser used
    app.config["SOFTPHONE_WS"] = None
    body = anna.get("/agent/softphone.json").get_json()
    assert body["ws_url"] == "wss://localhost:8089/ws"
    assert body["status_url"] == "https://localhost:8089/httpstatus"
    with app.test_request_context():
        assert softphone.ws_url("192.0.2.10:443") == "wss://192.0.2.10:8089/ws"
        assert softphone.ws_url("[fd00::5]:8443") == "wss://[fd00::5]:8089/ws"


def test_desk_shows_the_softphone_only_for_a_browser_agent(app, db, admin):
    anna = user(app, db, "anna", "agent", "101")
    page = text(anna.get("/agent/"))
    assert 'id="softphone"' not in page
    config.set_agent_phone(db, "101", "webrtc")
    r = anna.get("/agent/")
    page = text(r)
    assert 'id="softphone"' in page and "Telefon w przeglądarce" in page and "Odbierz" in page
    assert "connect-src 'self' ws://localhost:18088" in r.headers["Content-Security-Policy"]
    labels = json.loads(re.search(r'id="softphone"[^>]*data-labels=\'([^\']+)\'', page).group(1))
    assert labels["The browser blocks the microphone: allow it in the address bar and reload"] \
        == "Przeglądarka blokuje mikrofon: zezwól na niego na pasku adresu i odśwież stronę"
    use_english(anna)
    page = text(anna.get("/agent/"))
    assert "Softphone" in page and "Answer" in page and "Hang up" in page


def test_phone_kind_form_saves_and_refuses_a_bad_kind(app, db, admin):
    page = text(admin.get("/admin/"))
    assert "Przeglądarka (WebRTC)" in page
    token = csrf(admin, "/admin/")
    r = admin.post("/admin/agents/101/phone", data={"csrf_token": token, "phone": "webrtc"})
    assert r.status_code == 302
    assert db.execute("SELECT phone FROM agents WHERE extension = '101'").fetchone()[0] == "webrtc"
    r = admin.post("/admin/agents/101/phone", data={"csrf_token": token, "phone": "fax"})
    assert r.status_code == 400
    assert "Nie zapisano: phone kind 'fax': choose one of sip, webrtc" in text(r)
    assert db.execute("SELECT phone FROM agents WHERE extension = '101'").fetchone()[0] == "webrtc"
    r = admin.post("/admin/agents/999/phone", data={"csrf_token": token, "phone": "sip"})
    assert r.status_code == 400 and "no agent with extension '999'" in text(r)
    # CSRF and role, checked on the server
    assert admin.post("/admin/agents/101/phone", data={"phone": "sip"}).status_code == 400
    sup = client_for(app, db, "supervisor")
    r = sup.post("/admin/agents/101/phone", data={"csrf_token": csrf(sup), "phone": "sip"})
    assert r.status_code == 403
    assert db.execute("SELECT phone FROM agents WHERE extension = '101'").fetchone()[0] == "webrtc"


def test_every_softphone_text_has_polish():
    from appliance.webui.agent import NOT_LINKED
    ids = list(softphone.LABELS) + [softphone.NOT_WEBRTC, NOT_LINKED, "phone:sip", "phone:webrtc"]
    assert [i for i in ids if i not in CATALOG] == []


# -- real Asterisk, the real panel, Chromium ----------------------------------------------------

@pytest.fixture
def desk_port():
    return free_port()


@pytest.fixture
def box(tmp_path, desk_port):
    """The devbox with agent 101 (a static member of queue "support") on the softphone, and
    extension 103 (in no queue) a SIPp desk phone on desk_port."""
    require_rootfs()
    if not (VENDOR / "VERSION").is_file():
        pytest.fail(f"no SIP.js in {VENDOR}: run scripts/vendor-js.sh (`make vendor`)")
    b = DevBox(tmp_path / "box")
    config.set_agent_phone(b.db, "101", "webrtc")
    config.add_agent(b.db, "103", "Desk 103", contact=f"sip:103@127.0.0.1:{desk_port}")
    users.create_user(b.db, "admin", ADMIN_PW, "admin")   # past the first-start setup
    users.create_user(b.db, "anna", ADMIN_PW, "agent", agent="101")
    b.start()
    calld = b.start_calld()
    try:
        yield b
    finally:
        calld.stop()
        b.stop()


@contextlib.contextmanager
def chromium(*extra_args: str, permissions: list[str] | None = None):
    if sync_playwright is None:
        pytest.fail("the playwright package is missing")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args))
        try:
            context = browser.new_context(locale="pl-PL", permissions=permissions)
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


def log_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", "anna")
    page.fill("#password", ADMIN_PW)
    page.click("button.primary")
    page.goto(url + "/agent/")


def wait_for(what, timeout: float = 20.0, step: float = 0.3):
    """Poll `what()` until it returns something truthy; that value, or the last one."""
    deadline = time.monotonic() + timeout
    value = what()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = what()
    return value


STATS = """async () => {
  const pc = window.jnsSoftphone.peerConnection();
  if (!pc) return null;
  const out = {in: 0, out: 0};
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "audio") out.in += r.packetsReceived;
    if (r.type === "outbound-rtp" && r.kind === "audio") out.out += r.packetsSent;
  });
  return out;
}"""


def channel_rtp(box: DevBox) -> dict[str, int]:
    """Asterisk's RTP counters of agent 101's channel (chan_pjsip's CHANNEL(rtcp,all))."""
    chans = [line.split("!")[0] for line in box.asterisk.cli("core show channels concise").splitlines()
             if line.startswith("PJSIP/101-")]
    if not chans:
        return {}
    reply = box.ami.action("Getvar", Channel=chans[0], Variable="CHANNEL(rtcp,all)")
    qos = reply.get("Value") or ""
    return {k: int(float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", qos)}


def caller(box: DevBox, sipp, did: str = "100", digit: str = "1") -> subprocess.Popen:
    """A carrier-side caller into the IVR (key 1: queue "support"), playing a tone; it ends
    when Asterisk hangs up."""
    return subprocess.Popen(
        [require_sipp(), f"127.0.0.1:{box.layout.sip_port}", "-sf", "caller.xml", "-s", did,
         "-key", "caller", "48600100200", "-key", "digit", digit, "-d", "1500",
         "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-m", "1",
         "-nostdin", "-timeout", "90s", "-trace_err"],
        cwd=sipp.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def dtmf_events(box: DevBox, seen: list) -> None:
    box.ami.on_event("DTMFEnd", seen.append)


@pytest.mark.asterisk
@pytest.mark.browser
def test_browser_agent_answers_a_queue_call_with_audio_both_ways(box, sipp, tmp_path):
    with gunicorn_panel(box.web_env(), tmp_path / "gunicorn.log") as panel, \
            chromium(*MEDIA_ARGS) as page:
        log_in(page, panel.url)
        status = page.locator("#sp-status")
        expect(status).to_have_attribute("data-state", "ready")
        expect(status).to_have_text("Gotowy")
        contacts = box.asterisk.cli("pjsip show contacts")
        assert re.search(r"Contact:\s+101/sip:\S+transport=ws", contacts, re.I), contacts

        seen: list = []
        dtmf_events(box, seen)
        call = caller(box, sipp)
        try:
            page.locator("#sp-incoming").wait_for(state="visible", timeout=30_000)
            assert "48600100200" in page.locator("#sp-ringing").inner_text()
            page.click("#sp-answer")
            page.locator("#sp-call").wait_for(state="visible")
            assert "48600100200" in page.locator("#sp-call-line").inner_text()

            # audio both ways: the browser receives the caller's tone and sends its microphone
            first = wait_for(lambda: (s := page.evaluate(STATS)) and s["in"] > 0 and s)
            assert first, "the browser received no RTP"
            later = wait_for(lambda: (s := page.evaluate(STATS)) and s["in"] > first["in"]
                             and s["out"] > first["out"] and s)
            assert later, f"RTP did not keep flowing: {first} then {page.evaluate(STATS)}"
            rtp = wait_for(lambda: (q := channel_rtp(box)) and q.get("rxcount", 0) > 0 and q)
            assert rtp and rtp["rxcount"] > 0 and rtp["txcount"] > 0, rtp

            # the keypad: RFC 4733 digits reach Asterisk on agent 101's channel
            page.click("#sp-keypad button[data-key='5']")
            assert wait_for(lambda: [e for e in seen if e.get("Channel", "").startswith("PJSIP/101-")
                                     and e.get("Digit") == "5"]), seen

            # mute: the browser stops sending (its track disabled), unmute sends again
            page.click("#sp-mute")
            assert page.locator("#sp-mute").inner_text() == "Włącz mikrofon"
            assert page.evaluate("""() => window.jnsSoftphone.peerConnection().getSenders()
                                    .every((s) => !s.track || !s.track.enabled)""")
            page.click("#sp-mute")
            assert page.evaluate("""() => window.jnsSoftphone.peerConnection().getSenders()
                                    .some((s) => s.track && s.track.enabled)""")

            # hold and resume: a re-INVITE Asterisk accepts; the button says what comes next
            page.click("#sp-hold")
            expect(page.locator("#sp-hold")).to_have_text("Wznów")
            expect(page.locator("#sp-call-line")).to_contain_text("Zawieszone")
            page.click("#sp-hold")
            expect(page.locator("#sp-hold")).to_have_text("Zawieś")

            # hang up from the browser: the caller's call ends (Asterisk sends it BYE)
            page.click("#sp-hangup")
            page.locator("#sp-call").wait_for(state="hidden")
            out, _ = call.communicate(timeout=30)
            assert call.returncode == 0, out
        finally:
            if call.poll() is None:
                call.kill()
                call.wait()
        qlog = [line.split("|") for line in
                (box.asterisk.log_dir / "queue_log").read_text().splitlines()]
        assert [f for f in qlog if f[2:5] == ["support", "Agent 101", "CONNECT"]], qlog


@pytest.mark.asterisk
@pytest.mark.browser
def test_blocked_microphone_is_explained_and_nothing_registers(box, tmp_path):
    with gunicorn_panel(box.web_env(), tmp_path / "gunicorn.log") as panel, \
            chromium("--use-fake-device-for-media-stream", permissions=[]) as page:
        log_in(page, panel.url)
        problem = page.locator("#sp-problem")
        problem.wait_for(state="visible")
        assert problem.inner_text() == ("Przeglądarka blokuje mikrofon: zezwól na niego na "
                                        "pasku adresu i odśwież stronę")
        assert page.locator("#sp-status").get_attribute("data-state") == "error"
    assert "101/" not in box.asterisk.cli("pjsip show contacts")


@pytest.mark.asterisk
@pytest.mark.browser
def test_browser_agent_dials_out_and_transfers_a_caller(box, sipp, desk_port, tmp_path):
    desk = sipp.agent(desk_port, talk_ms=3000, calls=2)   # extension 103 answers twice
    with gunicorn_panel(box.web_env(), tmp_path / "gunicorn.log") as panel, \
            chromium(*MEDIA_ARGS) as page:
        log_in(page, panel.url)
        expect(page.locator("#sp-status")).to_have_attribute("data-state", "ready")
        # a bad number is refused on the page, nothing is dialled
        page.fill("#sp-number", "12a")
        page.click("#sp-call-go")
        expect(page.locator("#sp-problem")).to_have_text("Wpisz numer: cyfry, + * #")
        assert page.evaluate("() => window.jnsSoftphone.state()") is None
        # an outgoing call: 103 answers, talks (RTP into the browser), hangs up
        page.fill("#sp-number", "103")
        page.click("#sp-call-go")
        expect(page.locator("#sp-call-line")).to_have_text("Rozmowa z 103")
        assert wait_for(lambda: (s := page.evaluate(STATS)) and s["in"] > 0)
        page.locator("#sp-call").wait_for(state="hidden")

        # a queue caller, answered in the browser, transferred blind to 103
        call = caller(box, sipp)
        try:
            page.locator("#sp-incoming").wait_for(state="visible", timeout=30_000)
            page.click("#sp-answer")
            page.locator("#sp-call").wait_for(state="visible")
            page.fill("#sp-transfer", "103")
            page.click("#sp-transfer-go")
            page.locator("#sp-call").wait_for(state="hidden")   # the browser is out of the call
            out, _ = call.communicate(timeout=40)   # 103 talked to the caller and hung up
            assert call.returncode == 0, out
        finally:
            if call.poll() is None:
                call.kill()
                call.wait()
        _, err = desk.communicate(timeout=30)
        assert desk.returncode == 0, err      # both calls reached 103 and were answered
    cdr = (box.asterisk.log_dir / "cdr-csv" / "Master.csv").read_text()
    assert '"103"' in cdr and "PJSIP/101-" in cdr


@pytest.mark.asterisk
@pytest.mark.browser
def test_unreachable_websocket_says_to_accept_the_certificate(box, tmp_path):
    """On the box the WebSocket is wss on Asterisk's port with a self-signed certificate: when
    the browser cannot connect, the desk says so and links the page to accept it on."""
    closed = free_port()
    env = {**box.web_env(), "JNS_SOFTPHONE_WS": f"wss://{{host}}:{closed}/ws"}
    with gunicorn_panel(env, tmp_path / "gunicorn.log") as panel, chromium(*MEDIA_ARGS) as page:
        log_in(page, panel.url)
        problem = page.locator("#sp-problem")
        expect(problem).to_contain_text(
            "Telefon w przeglądarce nie może połączyć się z centralą przez WebSocket.")
        expect(problem).to_contain_text("zaakceptuj certyfikat urządzenia")
        link = problem.locator("a")
        assert link.get_attribute("href") == f"https://127.0.0.1:{closed}/httpstatus"
        assert page.locator("#sp-status").get_attribute("data-state") == "error"


@pytest.mark.asterisk
def test_asterisk_serves_the_sip_websocket_over_tls_like_the_box(tmp_path):
    """The box's http.conf (wss with an EC certificate made as appliance.box makes the
    panel's) really loads: Asterisk answers a TLS WebSocket upgrade for SIP and the page
    the softphone links to accept the certificate."""
    import base64
    import dataclasses
    import os
    import socket
    import ssl
    from appliance.telephony.chroot import ChrootAsterisk, default_rootfs
    require_rootfs()
    b = DevBox(tmp_path / "box")
    port = free_port()
    b.layout = dataclasses.replace(b.layout, http_port=None, https_port=port,
                                   https_cert=f"{b.layout.root}/lib/https.crt",
                                   https_key=f"{b.layout.root}/lib/https.key")
    b.asterisk = ChrootAsterisk(default_rootfs(), b.workdir / "asterisk", b.layout)
    lib = b.asterisk.dir / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "10", "-subj", "/CN=box",
                    "-keyout", str(lib / "https.key"), "-out", str(lib / "https.crt")],
                   check=True, capture_output=True)
    b.start()
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE   # self-signed, as on the box
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10)) as tls:
            key = base64.b64encode(os.urandom(16)).decode()
            tls.sendall(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n".encode())
            reply = tls.recv(1000).decode(errors="replace")
        assert reply.startswith("HTTP/1.1 101") and "Sec-WebSocket-Protocol: sip" in reply, reply
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10)) as tls:
            tls.sendall(b"GET /httpstatus HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert tls.recv(1000).decode(errors="replace").startswith("HTTP/1.1 200"), "no status page"
        assert "wss" in b.asterisk.cli("pjsip show transports")
    finally:
        b.stop()
