"""Call-center alarms with thresholds (SUP-3).

Pure: what `queue_alarms.observations` reads from a live snapshot (the shape jns-calld
serves), and the watchdog's rule engine over it: one agent left, callers waiting without
flapping at the threshold, a queue's own rule winning over the all-queues rule, service
level only after ten calls, a long pause, resolving when it clears, nothing while Asterisk
is away.  The store: per-queue rules and their refusals.

With the real parts: `QueueAlarms` on a real SQLite file with the real Notifier (e-mail to
a local SMTP server, SMS into the modem service's outbox, the LED pattern on a sysfs-shaped
tree), taking over its open alarms after a restart, and the watchdog leaving them alone.
The panel page /supervisor/alarms/ through Flask's test client: roles, CSRF, rules and
per-queue rules saved and removed, bad input refused with the input kept.  No Asterisk.
"""
from __future__ import annotations

import re

import pytest

from appliance.store import alerts, config, db as store, sms
from appliance.store.db import StoreError
from appliance.telephony.queue_alarms import QueueAlarms, observations
from appliance.watchdog.rules import evaluate
from appliance.watchdog.service import Watchdog
from appliance.webui import create_app
from tests.conftest import client_for, csrf_token, page_text as text, use_english as english

from tests.test_watchdog_notify import ALARM, kernel  # noqa: F401 (fixtures)

NOW = 1_764_140_000.0


def agent(ext: str, state: str = "ready", queues=("support",), **kw) -> dict:
    a = {"ext": ext, "name": f"Agent {ext}", "user": None, "state": state, "state_since": NOW,
         "static": False, "queues": list(queues) if state != "logged_out" else [],
         "assigned": list(queues), "paused": state == "paused", "pause_reason": "",
         "paused_since": None, "logged_in_at": NOW - 3600, "last_login": NOW - 3600,
         "last_logout": None, "call": None,
         "today": {"answered": 0, "talk_s": 0, "outbound": 0, "pause_s": 0}}
    a.update(kw)
    return a


def queue(name: str, *, waiting: int = 0, longest: float | None = None, answered: int = 0,
          abandoned: int = 0, sl: float | None = None) -> dict:
    return {"name": name, "title": name.capitalize(), "logged_in": 0, "free": 0, "busy": 0,
            "paused": 0, "waiting": waiting, "longest_wait_since": longest,
            "answered_today": answered, "abandoned_today": abandoned, "outbound_today": 0,
            "service_level_today": sl, "sl_seconds": 20, "callers": []}


def snapshot(agents: list[dict], queues: list[dict], *, connected: bool = True) -> dict:
    return {"seq": 1, "now": NOW, "asterisk": {"connected": connected, "since": NOW - 86400},
            "calls": {}, "agents": {a["ext"]: a for a in agents},
            "queues": {q["name"]: q for q in queues}, "alarms": []}


@pytest.fixture
def db(tmp_path):
    d = store.open_db(tmp_path / "data" / "jns.db")
    config.add_queue(d, "support", "Support line")
    config.add_queue(d, "vip", "VIP")
    return d


def book(db):
    return alerts.rule_book(db)


def values(obs, check):
    return {o.subject: o.value for o in obs if o.check == check}


# -- what the snapshot says -------------------------------------------------------------------

def test_observations_read_queues_and_agents_from_the_live_picture():
    snap = snapshot(
        [agent("101"), agent("102", "on_call"),
         agent("103", "paused", pause_reason="lunch", paused_since=NOW - 1000),
         agent("104", "unavailable"), agent("105", "logged_out")],
        [queue("support", waiting=4, longest=NOW - 75, answered=8, abandoned=3, sl=72.5),
         queue("sales"),                                    # nobody logged in, nobody calls
         queue("vip", waiting=1, longest=NOW - 5, answered=5, sl=40.0)])
    obs = observations(snap, NOW)
    # busy on a call counts, paused and unreachable do not
    assert values(obs, "queue_agents") == {"support": 2.0, "vip": 0.0}
    assert values(obs, "queue_waiting") == {"support": 4.0, "sales": 0.0, "vip": 1.0}
    assert values(obs, "queue_longest_wait") == {"support": 75.0, "sales": 0.0, "vip": 5.0}
    # 11 calls today: a statistic; 5 calls: not yet
    assert values(obs, "queue_service_level") == {"support": 72.5}
    assert values(obs, "agent_paused") == {"103": 1000.0}
    [paused] = [o for o in obs if o.check == "agent_paused"]
    assert paused.text == "Agent 103 (Agent 103): paused for 16 min, reason: lunch"
    [left] = [o for o in obs if o.check == "queue_agents" and o.subject == "support"]
    assert left.text == ("Queue support (Support): 2 agents taking calls, 1 paused, "
                         "4 callers waiting")


def test_nothing_is_observed_while_asterisk_is_away():
    snap = snapshot([agent("101")], [queue("support", waiting=12)], connected=False)
    assert observations(snap, NOW) == []


def test_a_queue_that_lost_all_its_agents_while_a_caller_waits_is_critical():
    snap = snapshot([agent("101", "logged_out")], [queue("support", waiting=1,
                                                         longest=NOW - 3)])
    assert values(observations(snap, NOW), "queue_agents") == {"support": 0.0}


# -- the rules over it ------------------------------------------------------------------------

def run(db, snaps, start=NOW, state=None):
    """Evaluate snapshots one second apart; (transitions as tuples, final state)."""
    state, seen = state or {}, []
    calld = set(alerts.CALLD_CHECKS)
    for i, snap in enumerate(snaps):
        res = evaluate(observations(snap, start + i), book(db), state, start + i, checked=calld)
        state = res.state
        seen += [(i, t.kind, t.check, t.subject, t.severity) for t in res.transitions]
    return seen, state


def test_one_agent_left_warns_none_left_is_critical_and_it_clears(db):
    snaps = [snapshot([agent("101"), agent("102"), agent("103")], [queue("support")]),
             snapshot([agent("101"), agent("102"),
                       agent("103", "paused", paused_since=NOW)], [queue("support")]),
             snapshot([agent("101"), agent("102", "paused", paused_since=NOW),
                       agent("103", "paused", paused_since=NOW)], [queue("support")]),
             snapshot([agent("101", "paused", paused_since=NOW),
                       agent("102", "paused", paused_since=NOW),
                       agent("103", "paused", paused_since=NOW)], [queue("support")]),
             snapshot([agent("101"), agent("102"), agent("103")], [queue("support")])]
    seen, state = run(db, snaps)
    assert [s for s in seen if s[2] == "queue_agents"] == [
        (2, "raised", "queue_agents", "support", "warning"),
        (3, "changed", "queue_agents", "support", "critical"),
        (4, "resolved", "queue_agents", "support", "critical")]
    assert ("queue_agents", "support") not in state


def test_going_home_is_not_an_alarm_but_a_caller_with_nobody_to_answer_is(db):
    home = snapshot([agent("101", "logged_out")], [queue("support")])
    seen, _ = run(db, [home, home])
    assert [s for s in seen if s[2] == "queue_agents"] == []
    ringing = snapshot([agent("101", "logged_out")], [queue("support", waiting=1,
                                                              longest=NOW)])
    calld, state, texts = set(alerts.CALLD_CHECKS), {}, []
    for i, snap in enumerate([ringing, home]):
        res = evaluate(observations(snap, NOW + i), book(db), state, NOW + i, checked=calld)
        state = res.state
        texts += [(t.kind, t.severity, t.text) for t in res.transitions
                  if t.check == "queue_agents"]
    assert texts == [
        ("raised", "critical", "Queue support (Support): 0 agents taking calls, 1 caller "
                               "waiting (at the critical level of 0)"),
        ("resolved", "critical", "queue support: nobody logged in and no caller waiting "
                                 "(or the queue was removed)")]


def test_waiting_callers_do_not_flap_at_the_threshold(db):
    # warning at 3 callers, hysteresis 1: 3 raises, 2 keeps it, 1 clears it
    counts = [0, 3, 2, 3, 2, 3, 2, 1, 2]
    snaps = [snapshot([agent("101", "on_call")], [queue("support", waiting=n,
                                                        longest=NOW if n else None)])
             for n in counts]
    seen, _ = run(db, snaps)
    assert [s for s in seen if s[2] == "queue_waiting"] == [
        (1, "raised", "queue_waiting", "support", "warning"),
        (7, "resolved", "queue_waiting", "support", "warning")]


def test_longest_wait_rises_with_the_clock_and_clears_when_the_caller_is_answered(db):
    waiting = snapshot([agent("101", "on_call")], [queue("support", waiting=1,
                                                         longest=NOW - 50)])
    seen, state = run(db, [waiting] * 12)         # 50 s .. 61 s
    assert [s for s in seen if s[2] == "queue_longest_wait"] == [
        (10, "raised", "queue_longest_wait", "support", "warning")]
    assert state[("queue_longest_wait", "support")].text == (
        "Queue support (Support): the longest waiting caller has waited 61 s "
        "(above the warning level of 60s)")
    answered = snapshot([agent("101", "on_call")], [queue("support")])
    seen, state = run(db, [answered], start=NOW + 12, state=state)
    assert [s[1:] for s in seen if s[2] == "queue_longest_wait"] == [
        ("resolved", "queue_longest_wait", "support", "warning")]
    assert ("queue_longest_wait", "support") not in state


def test_a_queue_rule_of_its_own_wins_over_the_rule_for_all_queues(db):
    alerts.save_rule(db, "queue_waiting:vip", warning=1, critical=2, hysteresis=0)
    snap = snapshot([agent("101", "on_call", queues=("support", "vip"))],
                    [queue("support", waiting=1, longest=NOW), queue("vip", waiting=1,
                                                                     longest=NOW)])
    seen, state = run(db, [snap])
    assert [s[1:] for s in seen if s[2] == "queue_waiting"] == [
        ("raised", "queue_waiting", "vip", "warning")]
    # switched off for one queue only
    alerts.save_rule(db, "queue_waiting:support", enabled=False)
    crowd = snapshot([agent("101", "on_call", queues=("support", "vip"))],
                     [queue("support", waiting=20, longest=NOW),
                      queue("vip", waiting=20, longest=NOW)])
    seen, state = run(db, [crowd], start=NOW + 1, state=state)
    assert [s[1:] for s in seen if s[2] == "queue_waiting"] == [
        ("changed", "queue_waiting", "vip", "critical")]


def test_service_level_counts_only_after_ten_calls_and_lower_is_worse(db):
    few = snapshot([agent("101")], [queue("support", answered=5, abandoned=4, sl=30.0)])
    enough = snapshot([agent("101")], [queue("support", answered=6, abandoned=4, sl=70.0)])
    good = snapshot([agent("101")], [queue("support", answered=20, abandoned=2, sl=85.0)])
    seen, _ = run(db, [few, enough, good])
    assert [s for s in seen if s[2] == "queue_service_level"] == [
        (1, "raised", "queue_service_level", "support", "warning"),
        (2, "resolved", "queue_service_level", "support", "warning")]


def test_a_long_pause_is_reported_and_ends_with_the_pause(db):
    snaps = [snapshot([agent("101", "paused", pause_reason="break",
                             paused_since=NOW - 880)], [queue("support")])] * 25
    seen, state = run(db, snaps)                 # 880 s .. 904 s
    assert [s for s in seen if s[2] == "agent_paused"] == [
        (20, "raised", "agent_paused", "101", "warning")]
    back = snapshot([agent("101")], [queue("support")])
    seen, state = run(db, [back], start=NOW + 25, state=state)
    assert [s[1:] for s in seen if s[2] == "agent_paused"] == [
        ("resolved", "agent_paused", "101", "warning")]
    assert ("agent_paused", "101") not in state


# -- the store: per-queue rules ------------------------------------------------------------------

def test_queue_rules_are_checked_and_removed(db):
    assert alerts.rule(db, "queue_waiting:support")["warning"] == 3.0   # the all-queues one
    alerts.save_rule(db, "queue_waiting", repeat_min=20)
    alerts.save_rule(db, "queue_waiting:support", warning=1, critical=4)
    [own] = alerts.overrides(db)
    assert (own["check"], own["base"], own["queue"], own["warning"], own["critical"],
            own["repeat_min"]) == ("queue_waiting:support", "queue_waiting", "support", 1.0,
                                   4.0, 20)
    assert alerts.rule_book(db)["queue_waiting:support"]["warning"] == 1.0
    assert alerts.rule(db, "queue_waiting")["warning"] == 3.0
    with pytest.raises(StoreError, match="no queue named 'nosuch'"):
        alerts.save_rule(db, "queue_waiting:nosuch", warning=1, critical=4)
    with pytest.raises(StoreError, match="only queue checks"):
        alerts.save_rule(db, "agent_paused:support", warning=1, critical=4)
    with pytest.raises(StoreError, match="only queue checks"):
        alerts.save_rule(db, "disk:support", warning=1, critical=4)
    with pytest.raises(StoreError, match="must not be above the critical level"):
        alerts.save_rule(db, "queue_waiting:vip", warning=9, critical=4)
    with pytest.raises(StoreError, match="lower values are worse"):
        alerts.save_rule(db, "queue_agents:vip", warning=0, critical=1)
    with pytest.raises(StoreError, match="must be a number"):
        alerts.save_rule(db, "queue_agents:vip", warning="two")
    assert [r["check"] for r in alerts.overrides(db)] == ["queue_waiting:support"]
    alerts.delete_override(db, "queue_waiting", "support")
    assert alerts.overrides(db) == []
    with pytest.raises(StoreError, match="has no rule of its own"):
        alerts.delete_override(db, "queue_waiting", "support")
    # a removed queue's rule is neither shown nor used
    alerts.save_rule(db, "queue_agents:vip", warning=2, critical=1)
    config.delete_queue(db, "vip")
    assert alerts.overrides(db) == [] and "queue_agents:vip" not in alerts.rule_book(db)


# -- QueueAlarms with the real database and notifier ---------------------------------------------

# sink (a local SMTP server) and kernel (a sysfs LED tree): tests/test_watchdog_notify.py


def _alarms(db, tmp_path, **kw) -> QueueAlarms:
    kw.setdefault("leds_root", str(tmp_path / "leds"))
    return QueueAlarms(db.conn.execute("PRAGMA database_list").fetchone()[2],
                       hostname="pbx-test", **kw)


def one_left(connected: bool = True) -> dict:
    return snapshot([agent("101"), agent("102", "paused", paused_since=NOW)],
                    [queue("support")], connected=connected)


def both_back() -> dict:
    return snapshot([agent("101"), agent("102")], [queue("support")])


def test_one_agent_left_is_mailed_texted_blinks_and_clears(db, tmp_path, sink, kernel):
    alerts.save_notify_settings(db, smtp_host="127.0.0.1", smtp_port=sink.port,
                                smtp_security="none", email_to="boss@example.com",
                                sms_to="+48600100200", min_severity_sms="warning")
    qa = _alarms(db, tmp_path)
    try:
        [shown] = qa.evaluate(one_left(), NOW)
        assert (shown["check"], shown["subject"], shown["severity"]) == (
            "queue_agents", "support", "warning")
        assert shown["text"] == ("Queue support (Support): 1 agent taking calls, 1 paused "
                                 "(at the warning level of 1)")
        [row] = alerts.active_alerts(db)
        assert (row["check"], row["subject"], row["text"]) == (
            "queue_agents", "support", shown["text"])
        assert qa.notifier.flush(20)
        [mail] = sink.wait(1)
        assert mail["Subject"] == ("[JNS pbx-test] WARNING: Agents answering in a queue "
                                   "(support)")
        assert "1 agent taking calls" in mail.get_content()
        [text] = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert text["number"] == "+48600100200" and "1 agent taking calls" in text["text"]
        assert kernel.state(ALARM)["trigger"] == "timer"
        assert kernel.state(ALARM)["delay"] == (1000, 1000)          # the warning blink

        assert qa.evaluate(both_back(), NOW + 5) == []
        assert alerts.active_alerts(db) == []
        assert qa.notifier.flush(20)
        mails = sink.wait(2)
        assert "RESOLVED" in mails[1]["Subject"]
        texts = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert len(texts) == 2 and "RESOLVED" in texts[0]["text"]
        assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}
        [hist] = alerts.alert_history(db, NOW - 60, NOW + 60, check="queue_agents")
        assert "e-mail to boss@example.com sent" in hist["notified"]
        assert "SMS to +48600100200 queued" in hist["notified"]
    finally:
        qa.close()


def test_at_most_one_round_a_second_and_nothing_changes_while_asterisk_is_away(db, tmp_path):
    qa = _alarms(db, tmp_path, leds_root=None)
    try:
        assert len(qa.evaluate(one_left(), NOW)) == 1
        assert len(qa.evaluate(both_back(), NOW + 0.5)) == 1     # within the second: as it was
        assert len(qa.evaluate(one_left(connected=False), NOW + 1)) == 1
        assert len(alerts.active_alerts(db)) == 1              # unknown is not "resolved"
        assert qa.evaluate(both_back(), NOW + 2) == []
    finally:
        qa.close()


def test_a_restarted_service_takes_over_its_open_alarms(db, tmp_path):
    alerts.save_notify_settings(db, sms_to="+48600100200", min_severity_sms="warning")
    first = _alarms(db, tmp_path, leds_root=None)
    first.evaluate(one_left(), NOW)
    first.close()
    again = _alarms(db, tmp_path, leds_root=None)
    try:
        assert [a["check"] for a in again.alarms()] == ["queue_agents"]
        again.evaluate(one_left(), NOW + 10)
        assert len(alerts.active_alerts(db)) == 1                 # no second row
        assert len([m for m in sms.outbox(db) if m["purpose"] == "alert"]) == 1   # no resend
    finally:
        again.close()


def test_a_queue_rule_of_its_own_decides_how_its_alarm_is_sent(db, tmp_path):
    alerts.save_notify_settings(db, sms_to="+48600100200", min_severity_sms="warning")
    alerts.save_rule(db, "queue_agents:support", notify_sms=False)
    qa = _alarms(db, tmp_path, leds_root=None)
    try:
        snap = snapshot([agent("101", queues=("support", "vip"))],
                        [queue("support"), queue("vip")])
        shown = qa.evaluate(snap, NOW)
        assert sorted(a["subject"] for a in shown) == ["support", "vip"]
        [text] = [m for m in sms.outbox(db) if m["purpose"] == "alert"]
        assert "Queue vip" in text["text"]             # support's own rule sends no SMS
    finally:
        qa.close()


def test_the_watchdog_leaves_call_center_alarms_alone_and_keeps_their_led(db, tmp_path,
                                                                       kernel):
    for check in ("memory", "cpu", "load", "temperature", "disk"):   # this machine's state
        alerts.save_rule(db, check, enabled=False)
    qa = _alarms(db, tmp_path)
    qa.evaluate(one_left(), NOW)
    wd = Watchdog(db.conn.execute("PRAGMA database_list").fetchone()[2], data_dir=tmp_path,
                  restarter=None, reboot=None, ping=lambda *a: None, sensors=False,
                  leds_root=str(tmp_path / "leds"), hostname="pbx-test")
    try:
        assert wd.state == {}                      # not taken over
        wd.slow_round()
        assert [a["check"] for a in alerts.active_alerts(db)] == ["queue_agents"]
        assert kernel.state(ALARM)["trigger"] == "timer"   # the watchdog shows it too
        qa.evaluate(both_back(), NOW + 5)
        wd.slow_round()
        assert kernel.state(ALARM) == {"trigger": "none", "brightness": 0}
    finally:
        wd.stop()
        qa.close()


# -- the panel page --------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    d = app.extensions["jns_db"].get()
    config.add_queue(d, "support", "Support line")
    config.add_queue(d, "vip", "VIP")
    return app


def csrf(client) -> str:
    return csrf_token(client, "/supervisor/alarms/")


RULE_FORM = {"enabled": "on", "warning": "5", "critical": "12", "hysteresis": "1",
             "repeat_min": "10", "escalate_min": "0", "notify_email": "on"}


def test_who_may_open_and_change_call_center_alarms(app, admin):
    d = app.extensions["jns_db"].get()
    agent_client = client_for(app, d, "agent")
    assert agent_client.get("/supervisor/alarms/").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(agent_client.get("/"))).group(1)
    r = agent_client.post("/supervisor/alarms/rules/queue_waiting",
                          data={**RULE_FORM, "csrf_token": token})
    assert r.status_code == 403 and alerts.rule(d, "queue_waiting")["warning"] == 3.0
    r = agent_client.post("/supervisor/alarms/overrides", data={
        "csrf_token": token, "queue": "vip", "check": "queue_waiting", "warning": "1"})
    assert r.status_code == 403 and alerts.overrides(d) == []
    assert app.test_client().get("/supervisor/alarms/").status_code == 302

    boss = client_for(app, d, "supervisor")
    english(boss)
    page = text(boss.get("/supervisor/alarms/"))
    assert "Call-center alarms" in page and "Callers waiting in a queue" in page
    assert "Data partition used" not in page           # no box-fault rules here
    token = csrf(boss)
    for rule_id in ("disk", "asterisk", "disk:support", "agent_paused:101"):
        r = boss.post(f"/supervisor/alarms/rules/{rule_id}",
                      data={**RULE_FORM, "csrf_token": token})
        assert r.status_code == 404, rule_id
    assert alerts.rule(d, "disk")["warning"] == 85.0
    r = boss.post("/supervisor/alarms/rules/queue_waiting", data={**RULE_FORM,
                                                                  "csrf_token": token})
    assert r.status_code == 302
    saved = alerts.rule(d, "queue_waiting")
    assert (saved["warning"], saved["critical"], saved["repeat_min"], saved["notify_sms"],
            saved["notify_email"]) == (5.0, 12.0, 10, False, True)
    assert "Alarm rule saved." in text(boss.get("/supervisor/alarms/"))


def test_forms_without_the_csrf_token_are_refused(app, admin):
    d = app.extensions["jns_db"].get()
    boss = client_for(app, d, "supervisor")
    assert boss.post("/supervisor/alarms/rules/queue_waiting", data=RULE_FORM).status_code == 400
    r = boss.post("/supervisor/alarms/overrides", data={"queue": "vip",
                                                        "check": "queue_waiting"})
    assert r.status_code == 400
    alerts.save_rule(d, "queue_waiting:vip", warning=1, critical=2)
    r = boss.post("/supervisor/alarms/overrides/delete", data={"queue": "vip",
                                                               "check": "queue_waiting"})
    assert r.status_code == 400
    assert alerts.rule(d, "queue_waiting")["warning"] == 3.0
    assert [o["check"] for o in alerts.overrides(d)] == ["queue_waiting:vip"]


def test_bad_numbers_are_refused_with_the_input_kept(app, admin):
    d = app.extensions["jns_db"].get()
    boss = client_for(app, d, "supervisor")
    english(boss)
    token = csrf(boss)
    r = boss.post("/supervisor/alarms/rules/queue_longest_wait",
                  data={**RULE_FORM, "warning": "a minute", "csrf_token": token})
    page = text(r)
    assert r.status_code == 400 and "warning must be a number, not 'a minute'" in page
    assert 'value="a minute"' in page
    r = boss.post("/supervisor/alarms/rules/queue_agents",
                  data={**RULE_FORM, "warning": "0", "critical": "2", "csrf_token": token})
    assert r.status_code == 400 and "lower values are worse here" in text(r)
    r = boss.post("/supervisor/alarms/overrides", data={
        "csrf_token": token, "queue": "vip", "check": "queue_waiting", "warning": "9",
        "critical": "4", "enabled": "on"})
    assert r.status_code == 400 and "must not be above the critical level" in text(r)
    assert 'id="ov-warning" name="warning" value="9"' in text(r)
    r = boss.post("/supervisor/alarms/overrides", data={
        "csrf_token": token, "queue": "nosuch", "check": "queue_waiting", "warning": "1"})
    assert r.status_code == 400 and "no queue named 'nosuch'" in text(r)
    r = boss.post("/supervisor/alarms/overrides", data={
        "csrf_token": token, "queue": "vip", "check": "agent_paused", "warning": "1"})
    assert r.status_code == 400 and "choose what to watch" in text(r)
    assert alerts.rule(d, "queue_longest_wait")["warning"] == 60.0
    assert alerts.rule(d, "queue_agents")["critical"] == 0.0
    assert alerts.overrides(d) == []


def test_a_queue_rule_is_added_changed_and_removed(app, admin):
    d = app.extensions["jns_db"].get()
    boss = client_for(app, d, "supervisor")
    token = csrf(boss)
    r = boss.post("/supervisor/alarms/overrides", data={
        "csrf_token": token, "queue": "vip", "check": "queue_waiting", "warning": "1",
        "critical": "3", "hysteresis": "", "enabled": "on"})
    assert r.status_code == 302
    [own] = alerts.overrides(d)
    assert (own["queue"], own["warning"], own["critical"], own["hysteresis"]) == (
        "vip", 1.0, 3.0, 1.0)                      # empty hysteresis: the all-queues value
    page = text(boss.get("/supervisor/alarms/"))
    assert "Kolejka vip ma teraz własną regułę." in page            # Polish by default
    assert 'id="rule-queue_waiting-vip"' in page
    r = boss.post("/supervisor/alarms/rules/queue_waiting:vip",
                  data={**RULE_FORM, "warning": "2", "critical": "6", "csrf_token": token})
    assert r.status_code == 302
    assert alerts.rule(d, "queue_waiting:vip")["warning"] == 2.0
    assert alerts.rule(d, "queue_waiting")["warning"] == 3.0        # all queues unchanged
    # a queue without a rule of its own cannot be changed through a row that is not there
    r = boss.post("/supervisor/alarms/rules/queue_waiting:support",
                  data={**RULE_FORM, "csrf_token": token})
    assert r.status_code == 404 and len(alerts.overrides(d)) == 1
    r = boss.post("/supervisor/alarms/overrides/delete", data={
        "csrf_token": token, "queue": "vip", "check": "queue_waiting"})
    assert r.status_code == 302 and alerts.overrides(d) == []
    page = text(boss.get("/supervisor/alarms/"))
    assert "Kolejka vip znów korzysta z reguły dla wszystkich kolejek." in page
    r = boss.post("/supervisor/alarms/overrides/delete", data={
        "csrf_token": token, "queue": "vip", "check": "queue_waiting"})
    assert "has no rule of its own" in text(boss.get("/supervisor/alarms/"))


def test_open_call_center_alarms_are_listed_and_acknowledged_here(app, admin):
    d = app.extensions["jns_db"].get()
    alerts.open_alert(d, "disk", "/data", "warning", "disk 90 % used", since=NOW)
    alert_id = alerts.open_alert(d, "queue_waiting", "support", "critical",
                                 "Queue support: 11 callers waiting", since=NOW)
    boss = client_for(app, d, "supervisor")
    page = text(boss.get("/supervisor/alarms/"))
    table = page.split('id="active-queue-alarms"')[1].split("</table>")[0]
    assert "11 callers waiting" in table and "disk 90 % used" not in table
    r = boss.post(f"/admin/alarms/{alert_id}/ack", data={
        "csrf_token": csrf(boss), "next": "/supervisor/alarms/"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/supervisor/alarms/")
    assert alerts.alert(d, alert_id)["acknowledged_by"] == "supervisor1"
