"""Callback instead of waiting (issue 12, item 2): the store's rules without Asterisk, then
real SIPp callers in a real Asterisk 22 queue and the box's call back through the carrier."""
from __future__ import annotations

import socket
import subprocess
import time

import pytest

from appliance.devbox import free_port
from appliance.store import config
from appliance.store import db as store
from appliance.store.db import StoreError
from appliance.telephony import callbacks
from appliance.telephony.ami import AMIClient
from tests.conftest import require_sipp
from tests.test_inbound_calls import applied
from tests.test_skeleton_call import queue_log, wait_for

CUSTOMER = "48501000001"      # callee.xml: a number whose 5th digit is 1 answers after 500 ms
OTHER = "48600100002"


# -- the store, without Asterisk ------------------------------------------------------------

@pytest.fixture
def qdb(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.add_agent(db, "101", "Agent 101")
    config.save_queue(db, "sales", "Sales", members=["101"])
    return db


def test_a_second_request_while_one_is_open_returns_the_first(qdb):
    first, new = callbacks.request(qdb, "sales", CUSTOMER, position=2)
    assert new
    again, new_again = callbacks.request(qdb, "sales", CUSTOMER, position=1)
    assert (again, new_again) == (first, False)
    assert qdb.execute("SELECT count(*) FROM queue_callbacks").fetchone()[0] == 1
    assert callbacks.waiting_counts(qdb) == {"sales": 1}
    callbacks.update(qdb, first, status="connected")
    # once it is done, the same number may ask again
    assert callbacks.request(qdb, "sales", CUSTOMER)[1] is True


def test_an_ended_callback_keeps_its_end(qdb):
    cb, _ = callbacks.request(qdb, "sales", CUSTOMER)
    callbacks.update(qdb, cb, status="failed", error="not answered")
    callbacks.update(qdb, cb, status="expired")     # a late event does not rewrite it
    assert callbacks.get(qdb, cb)["status"] == "failed"


def test_only_callbacks_past_their_queues_expiry_are_expired(qdb):
    callbacks.set_queue_callback(qdb, "sales", key="*", retries=2, expiry_s=600)
    old, _ = callbacks.request(qdb, "sales", CUSTOMER, at=1000.0)
    callbacks.request(qdb, "sales", OTHER, at=1500.0)
    assert [c["id"] for c in callbacks.expired(qdb, 1700.0)] == [old]


def test_queue_callback_settings_are_checked(qdb):
    with pytest.raises(StoreError, match="operator key"):
        callbacks.set_queue_callback(qdb, "sales", key="0", retries=2, expiry_s=7200)
    with pytest.raises(StoreError, match="0-9"):
        callbacks.set_queue_callback(qdb, "sales", key="12", retries=2, expiry_s=7200)
    with pytest.raises(StoreError, match="retries"):
        callbacks.set_queue_callback(qdb, "sales", key="*", retries=9, expiry_s=7200)
    with pytest.raises(StoreError, match="expiry"):
        callbacks.set_queue_callback(qdb, "sales", key="*", retries=2, expiry_s="soon")
    with pytest.raises(StoreError, match="Unknown queue"):
        callbacks.set_queue_callback(qdb, "nope", key="*", retries=2, expiry_s=7200)
    callbacks.set_queue_callback(qdb, "sales", key="*", retries=1, expiry_s=3600)
    row = qdb.execute("SELECT callback_key, callback_retries, callback_expiry_s FROM queues "
                      "WHERE name = 'sales'").fetchone()
    assert tuple(row) == ("*", 1, 3600)


# -- real calls ------------------------------------------------------------------------------

@pytest.fixture
def cbbox(devbox, sipp):
    """The devbox with a callback queue on DID 301, the carrier trunk on 127.0.0.2 (a SIPp
    UAS: callee.xml) and the callback service running as in jns-calld."""
    require_sipp()
    db = devbox.db
    carrier_port = free_port()
    config.add_trunk(db, "carrier", "127.0.0.2", port=carrier_port)
    config.save_queue(db, "cbq", "Callback queue", members=["101"], announce_position=0,
                      announce_holdtime=0)
    callbacks.set_queue_callback(db, "cbq", key="*", retries=0, expiry_s=7200)
    config.save_route(db, "301", "queue", "cbq")
    applied(devbox)
    subprocess.run(["sox", "-D", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "al",
                    str(sipp.dir / "hello.al"), "synth", "0.5", "sine", "440", "pad", "0", "5.5"],
                   check=True)     # callee.xml's person (8); loaded at start
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.2", 0))
    callee = subprocess.Popen(
        [require_sipp(), "-sf", "callee.xml", "-i", "127.0.0.2", "-p", str(carrier_port),
         "-key", "rtp_port", str(rtp.getsockname()[1]), "-mp", str(free_port()), "-nostdin",
         "-timeout", "300s", "-trace_err"], cwd=sipp.dir,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sipp.procs.append(callee)
    ami = AMIClient("127.0.0.1", devbox.layout.ami_port, devbox.layout.ami_user,
                    devbox.layout.ami_secret, name="callbacks").start()
    assert ami.wait_connected(20)
    service = callbacks.CallbackService(devbox.db_path, ami).start()
    resp = devbox.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="true")
    assert resp.get("Response") == "Success", resp
    try:
        yield devbox
    finally:
        service.stop()
        ami.close()
        rtp.close()
    bad = [line for line in devbox.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


def rows(box) -> list[dict]:
    return [dict(r) for r in box.db.query("SELECT * FROM queue_callbacks ORDER BY id")]


def entered_numbers(box, queue: str) -> dict[str, str]:
    return {e[1]: e[6] for e in queue_log(box) if e[2] == queue and e[4] == "ENTERQUEUE"}


def callback_lines(box, word: str) -> list[list[str]]:
    return [e for e in queue_log(box) if e[4] == "INFO" and e[5:7] == ["CALLBACK", word]]



@pytest.mark.asterisk
def test_callback_keeps_the_place_and_the_agent_talks_to_the_customer(cbbox, sipp, agent_port):
    box = cbbox
    port = box.layout.sip_port
    first = sipp.call_keys(port, "301", [(6000, "*")], caller=CUSTOMER, wait=False)
    assert wait_for(lambda: CUSTOMER in entered_numbers(box, "cbq").values(), timeout=15)
    second = sipp.call_keys(port, "301", [(500, "5")], caller=OTHER, wait=False)
    assert wait_for(lambda: OTHER in entered_numbers(box, "cbq").values(), timeout=15)
    # the first caller presses the key: told and hung up; a placeholder waits in their place
    assert first.wait(timeout=60) == 0, first.stdout.read()
    assert wait_for(lambda: [r["status"] for r in rows(box)] == ["waiting"], timeout=15), rows(box)
    placeholder = rows(box)[0]["placeholder_uniqueid"]
    assert wait_for(lambda: f"{placeholder};2" in entered_numbers(box, "cbq"), timeout=15)
    assert rows(box)[0]["position"] == 1
    # asking again from the same number while it is open: confirmed, not a second callback
    again = sipp.call_keys(port, "301", [(5000, "*")], caller=CUSTOMER, timeout_s=60)
    assert again.returncode == 0, again.stdout
    assert wait_for(lambda: len(callback_lines(box, "requested")) == 2, timeout=10)
    time.sleep(1)
    assert len(rows(box)) == 1
    # the agent is free: the placeholder rings first, the customer is called back
    agent = sipp.agent(agent_port, talk_ms=3000, calls=2)
    time.sleep(0.3)
    box.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "connected", timeout=30), rows(box)
    assert second.wait(timeout=90) == 0
    agent.wait(timeout=30)
    numbers = entered_numbers(box, "cbq")
    order = [numbers[e[1]] for e in queue_log(box) if e[2] == "cbq" and e[4] == "CONNECT"]
    assert order == [CUSTOMER, OTHER], order
    row = wait_for(lambda: rows(box)[0]["ended_at"] and rows(box)[0], timeout=15)
    assert row["agent"] and row["answered_at"] and row["connected_at"] and row["attempts"] == 1
    assert [e[1] for e in callback_lines(box, "connected")] == [row["caller_uniqueid"]]


@pytest.mark.asterisk
def test_a_callback_nobody_takes_is_dropped_at_its_expiry(cbbox, sipp):
    box = cbbox
    # a few seconds instead of the panel's shortest (a minute): the test's only shortcut
    box.db.conn.execute("UPDATE queues SET callback_expiry_s = 4 WHERE name = 'cbq'")
    call = sipp.call_keys(box.layout.sip_port, "301", [(5000, "*")], caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "expired", timeout=30), rows(box)
    assert wait_for(lambda: callback_lines(box, "expired"), timeout=10)
    assert rows(box)[0]["answered_at"] is None and rows(box)[0]["dialled_at"] is None


@pytest.mark.asterisk
def test_a_callback_the_customer_never_answers_is_retried_then_reported_failed(cbbox, sipp,
                                                                                agent_port):
    box = cbbox
    unanswered = "48509000001"      # callee.xml: rings 1 s, then 480 (not answered)
    callbacks.set_queue_callback(box.db, "cbq", key="*", retries=1, expiry_s=7200)
    call = sipp.call_keys(box.layout.sip_port, "301", [(5000, "*")], caller=unanswered)
    assert call.returncode == 0, call.stdout
    assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "waiting", timeout=15)
    sipp.agent(agent_port, talk_ms=60000, calls=1)     # stays on the line meanwhile
    time.sleep(0.3)
    box.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "failed", timeout=60), rows(box)
    row = rows(box)[0]
    assert row["attempts"] == 2 and row["answered_at"] and row["connected_at"] is None
    assert wait_for(lambda: [e[1] for e in callback_lines(box, "failed")] ==
                    [row["caller_uniqueid"]], timeout=10)


# -- the panel: the queue form's three settings --------------------------------------------------

from tests.test_webui_inbound import admin_client, app, dirs, post, queue_form  # noqa: E402,F401
from tests.test_webui import text  # noqa: E402


def test_queue_form_sets_the_callback_and_refuses_the_operator_key(admin_client, db):
    r = post(admin_client, "/admin/queues/new", queue_form(
        name="cbsales", callback_key="*", callback_retries="3", callback_expiry_min="90"))
    assert r.status_code == 302
    row = db.execute("SELECT callback_key, callback_retries, callback_expiry_s FROM queues "
                     "WHERE name = 'cbsales'").fetchone()
    assert tuple(row) == ("*", 3, 5400)
    body = text(admin_client.get("/admin/queues/cbsales/edit"))
    assert "Oddzwonienie zamiast czekania" in body and '<option value="*" selected>' in body
    r = post(admin_client, "/admin/queues/cbsales/edit", queue_form(
        title="Changed", callback_key="0", callback_retries="3", callback_expiry_min="90"))
    assert r.status_code == 400
    assert "nie może być klawiszem operatora" in text(r)
    row = db.execute("SELECT title, callback_key FROM queues WHERE name = 'cbsales'").fetchone()
    assert tuple(row) == ("Sales", "*")        # nothing of the refused form was saved


# -- recording by the queue's policy --------------------------------------------------------------

@pytest.mark.asterisk
def test_the_call_back_is_recorded_and_indexed_like_the_queues_calls(cbbox, sipp, agent_port):
    import wave
    box = cbbox
    call = sipp.call_keys(box.layout.sip_port, "301", [(5000, "*")], caller=CUSTOMER)
    assert call.returncode == 0, call.stdout
    assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "waiting", timeout=15)
    asked = rows(box)[0]["caller_uniqueid"]
    agent = sipp.agent(agent_port, talk_ms=3000, calls=1)
    time.sleep(0.3)
    box.ami.action("QueuePause", Queue="cbq", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "connected", timeout=30), rows(box)
    agent.wait(timeout=30)
    recs = wait_for(lambda: [dict(r) for r in box.db.query(
        "SELECT * FROM recordings WHERE uniqueid != ?", [asked])], timeout=15)
    assert len(recs) == 1, recs
    rec = recs[0]
    assert (rec["queue"], rec["agent"], rec["called"], rec["caller"], rec["direction"]) == (
        "cbq", "101", "301", CUSTOMER, "in"), rec
    path = box.asterisk.dir / "spool" / "monitor" / rec["path"]
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.5 <= seconds <= 4.5, seconds      # the talk (the agent hangs up after 3 s)


@pytest.mark.asterisk
def test_the_key_is_honoured_while_the_position_is_announced(cbbox, sipp):
    """With announce-position on, Asterisk announces the place at once when the caller joins
    and nobody is free ('queue-youarenext', 5.4 s); app_queue plays announcements waiting
    for a digit and checks it against the queue's exit context, as it does during music."""
    box = cbbox
    config.save_queue(box.db, "cbq", "Callback queue", members=["101"], announce_position=1,
                      announce_holdtime=1, announce_frequency=30)
    applied(box)
    # what the caller's channel plays, from Asterisk's own verbose log
    box.ami.action("Command", Command="core set verbose 3")
    box.ami.action("Command", Command="logger add channel callbacktest verbose")
    try:
        call = sipp.call_keys(box.layout.sip_port, "301", [(1500, "*")], caller=CUSTOMER)
        assert call.returncode == 0, call.stdout
        assert wait_for(lambda: rows(box) and rows(box)[0]["status"] == "waiting", timeout=15)
        assert [e[5] for e in queue_log(box) if e[4] == "EXITWITHKEY"] == ["*"]
        log = (box.asterisk.log_dir / "callbacktest").read_text()
    finally:
        box.ami.action("Command", Command="logger remove channel callbacktest")
    caller = [line.split("] ", 2)[-1] for line in log.splitlines() if "PJSIP/carrier-" in line]
    played = next(i for i, line in enumerate(caller) if "Playing 'queue-youarenext" in line)
    # the key's exit came straight after the announcement began: no music in between
    assert "[*@jns-queue-exit-cbq:1]" in caller[played + 1], caller[played:played + 3]


@pytest.mark.asterisk
def test_a_callback_keeps_to_the_agents_of_the_callers_language(cbbox, sipp, agent_port):
    """Skills routing (BEY-3) with a callback: the Polish caller waits in the queue's Polish
    Asterisk queue, so its placeholder keeps that place and reaches the Polish speaker."""
    from appliance.telephony import skills
    box, port = cbbox, cbbox.layout.sip_port
    db = box.db
    other = free_port()
    config.add_agent(db, "103", "Agent 103", contact=f"sip:103@127.0.0.1:{other}",
                     dtmf_mode="auto", login=False)
    skills.save_skill(db, "polish", "Polish", "pl")
    skills.save_skill(db, "english", "English", "en")
    skills.set_levels(db, {"101": {"polish": 80}, "103": {"english": 90}})
    config.save_queue(db, "cbq", "Callback queue", members=["101", "103"], announce_position=0,
                      announce_holdtime=0)
    skills.set_queue_routing(db, "cbq", rule="0: language>=50\n600: *")
    config.save_caller_rule(db, "4850", match="prefix", lang="pl")
    applied(box)
    for ext in ("101", "103"):      # both away, in every Asterisk queue of cbq
        resp = box.ami.action("QueuePause", Interface=f"PJSIP/{ext}", Paused="true")
        assert resp.get("Response") == "Success", resp
    caller = sipp.call_keys(port, "301", [(5000, "*")], caller=CUSTOMER, wait=False)
    assert caller.wait(timeout=60) == 0, caller.stdout.read()
    assert wait_for(lambda: [r["status"] for r in rows(box)] == ["waiting"], timeout=15), rows(box)
    row = rows(box)[0]
    assert (row["queue"], row["member_queue"]) == ("cbq", "cbq.pl")
    placeholder = f"{row['placeholder_uniqueid']};2"
    assert wait_for(lambda: placeholder in entered_numbers(box, "cbq.pl"), timeout=15)
    # the English speaker comes back first: the placeholder still waits for a Polish one
    english = sipp.agent(other, talk_ms=3000, calls=1)
    box.ami.action("QueuePause", Interface="PJSIP/103", Paused="false")
    time.sleep(3)
    assert rows(box)[0]["status"] == "waiting"
    polish = sipp.agent(agent_port, talk_ms=3000, calls=1)
    time.sleep(0.3)
    box.ami.action("QueuePause", Interface="PJSIP/101", Paused="false")
    assert wait_for(lambda: rows(box)[0]["status"] == "connected", timeout=30), rows(box)
    assert polish.wait(timeout=30) == 0
    english.kill()
    connects = [e for e in queue_log(box) if e[4] == "CONNECT"]
    assert [(e[1], e[2], e[3]) for e in connects] == [(placeholder, "cbq.pl", "Agent 101")]
