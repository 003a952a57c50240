"""Alert rules (pure): thresholds with hysteresis, repeat, escalation, resolved, unknowns;
and the alert store the panel and `jns alerts` use."""
from __future__ import annotations

import pytest

from appliance.store import alerts, db as store
from appliance.watchdog.rules import Observation, evaluate, level, most_serious


@pytest.fixture
def db(tmp_path):
    return store.open_db(tmp_path / "jns.db")


def _rules(db):
    return {r["check"]: r for r in alerts.rules(db)}


def test_disk_goes_warning_then_critical_and_back_with_hysteresis(db):
    alerts.save_rule(db, "disk", warning=80, critical=90, hysteresis=3)
    rules, state, kinds = _rules(db), {}, []
    for t, used in enumerate([50, 81, 91, 88, 87.5, 86, 79, 77, 76]):
        res = evaluate([Observation("disk", "/data", value=used)], rules, state, 1000.0 + t)
        state = res.state
        kinds += [(used, x.kind, x.severity) for x in res.transitions]
    # 88 and 87.5 stay critical (within 3 of 90); 86 drops to warning; 79 and 77 stay
    # warning (within 3 of 80); 76 resolves
    assert kinds == [(81, "raised", "warning"), (91, "changed", "critical"),
                     (86, "changed", "warning"), (76, "resolved", "critical")]
    assert state == {}


def test_low_gsm_signal_is_bad_and_unknown_values_change_nothing(db):
    rules = _rules(db)   # gsm_signal: warning 8, critical 3, lower is worse
    res = evaluate([Observation("gsm_signal", "modem1", value=2)], rules, {}, 0.0)
    assert [(t.kind, t.severity) for t in res.transitions] == [("raised", "critical")]
    res2 = evaluate([Observation("gsm_signal", "modem1", value=None)], rules, res.state, 10.0)
    assert res2.transitions == [] and res2.state[("gsm_signal", "modem1")].severity == "critical"
    assert level(20, rules["gsm_signal"]) == "ok"


def test_repeat_until_acknowledged_and_escalation_to_critical_by_sms(db):
    alerts.save_rule(db, "trunk_registration", repeat_min=5, escalate_min=12, notify_sms=False)
    rules = _rules(db)
    down = Observation("trunk_registration", "provider", ok=False, text="trunk provider down")
    state, seen = {}, []
    for minute in range(0, 14):
        res = evaluate([down], rules, state, minute * 60.0)
        state = res.state
        seen += [(minute, t.kind, t.severity, t.sms) for t in res.transitions]
    assert seen == [(0, "raised", "warning", False), (5, "repeat", "warning", False),
                    (10, "repeat", "warning", False), (12, "escalated", "critical", True)]
    # acknowledged: no more repeats, but it is still open and resolves with a message
    state[("trunk_registration", "provider")].acknowledged = True
    res = evaluate([down], rules, state, 40 * 60.0)
    assert res.transitions == []
    res = evaluate([Observation("trunk_registration", "provider", ok=True, text="registered")],
                   rules, res.state, 41 * 60.0)
    assert [(t.kind, t.severity, t.text) for t in res.transitions] == [
        ("resolved", "critical", "registered")]


def test_a_vanished_subject_resolves_but_checks_that_did_not_run_stay(db):
    rules = _rules(db)
    res = evaluate([Observation("gsm", "modem1", ok=False, text="no SIM"),
                    Observation("disk", "/data", value=99)], rules, {}, 0.0)
    assert len(res.state) == 2
    res2 = evaluate([], rules, res.state, 10.0, checked={"gsm"})
    assert [(t.kind, t.check) for t in res2.transitions] == [("resolved", "gsm")]
    assert list(res2.state) == [("disk", "/data")]
    assert most_serious(res2.state) == "critical"


def test_switched_off_check_resolves_its_open_alert(db):
    res = evaluate([Observation("memory", value=99)], _rules(db), {}, 0.0)
    alerts.save_rule(db, "memory", enabled=False)
    res2 = evaluate([Observation("memory", value=99)], _rules(db), res.state, 5.0)
    assert [(t.kind, t.text) for t in res2.transitions] == [("resolved", "check switched off")]


def test_rules_are_validated_with_clear_messages_and_nothing_is_lost(db):
    alerts.save_rule(db, "disk", warning=70, critical=80)
    with pytest.raises(store.StoreError, match="must not be above the critical"):
        alerts.save_rule(db, "disk", warning=85)
    with pytest.raises(store.StoreError, match="lower values are worse"):
        alerts.save_rule(db, "gsm_signal", warning=2, critical=5)
    with pytest.raises(store.StoreError, match="no alert check named"):
        alerts.save_rule(db, "coffee", enabled=False)
    with pytest.raises(store.StoreError, match="yes/no fault"):
        alerts.save_rule(db, "asterisk", warning=3)
    with pytest.raises(store.StoreError, match="must be a number"):
        alerts.save_rule(db, "cpu", critical="lots")
    assert (alerts.rule(db, "disk")["warning"], alerts.rule(db, "disk")["critical"]) == (70, 80)


def test_notification_settings_never_show_the_password_and_empty_keeps_it(db):
    alerts.save_notify_settings(db, smtp_host="mail.example.com", smtp_port="465",
                                smtp_security="ssl", smtp_user="pbx", smtp_password="s3cret",
                                email_to="it@example.com; boss@example.com",
                                sms_to="+48600100200")
    alerts.save_notify_settings(db, smtp_password="", smtp_port=587)
    got = alerts.notify_settings(db)
    assert "s3cret" not in repr(got) and got["smtp_password_set"] is True
    assert alerts.smtp_password(db) == "s3cret"
    assert got["email_to"] == ["it@example.com", "boss@example.com"]
    assert (got["smtp_port"], got["smtp_security"]) == (587, "ssl")
    with pytest.raises(store.StoreError, match="not an e-mail address"):
        alerts.save_notify_settings(db, email_to="it@example.com, nonsense")
    with pytest.raises(store.StoreError, match="SMTP security"):
        alerts.save_notify_settings(db, smtp_security="tls1.0")
    assert alerts.notify_settings(db)["email_to"] == ["it@example.com", "boss@example.com"]


def test_alert_lifecycle_history_acknowledge_and_samples(db):
    a = alerts.open_alert(db, "disk", "/data", "warning", "disk 86% used", since=100.0,
                          detected_at=101.0)
    b = alerts.open_alert(db, "asterisk", "process", "critical", "Asterisk down", since=150.0)
    assert [x["id"] for x in alerts.active_alerts(db)] == [b, a]   # critical first
    alerts.acknowledge(db, a, "admin")
    alerts.resolve_alert(db, b, at=160.0, text="Asterisk is running again")
    with pytest.raises(store.StoreError, match="already resolved"):
        alerts.acknowledge(db, b, "admin")
    assert [x["id"] for x in alerts.active_alerts(db)] == [a]
    assert alerts.active_alerts(db)[0]["acknowledged_by"] == "admin"
    hist = alerts.alert_history(db, 155.0, 200.0)
    assert {h["id"] for h in hist} == {a, b}
    assert alerts.alert_history(db, 161.0, 200.0, check="asterisk") == []
    assert [h["id"] for h in alerts.alert_history(db, 0, 200, severity="warning")] == [a]
    for i in range(1000):
        alerts.record_samples(db, {"cpu_pct": i % 100, "disk_used_pct": 50.0}, at=1000.0 + i)
    series = alerts.samples(db, ["cpu_pct", "disk_used_pct"], 1000.0, 2000.0, max_points=50)
    assert 40 <= len(series["cpu_pct"]) <= 51
    assert all(v == 50.0 for _, v in series["disk_used_pct"])
    assert alerts.metric_names(db) == ["cpu_pct", "disk_used_pct"]


def test_jns_alerts_command_line(tmp_path, monkeypatch, capsys):
    from appliance import box, cli
    monkeypatch.setattr(box, "DB_PATH", tmp_path / "jns.db")
    db = store.open_db(tmp_path / "jns.db")
    a = alerts.open_alert(db, "disk", "/data/jns", "critical", "data partition 97% used",
                          since=1000.0)
    alerts.record_samples(db, {"disk_used_pct": 90.0}, at=1000.0)
    alerts.record_samples(db, {"disk_used_pct": 97.0}, at=1060.0)

    assert cli.main(["alerts", "list"]) == 0
    assert f"#{a:<5} CRITICAL" in capsys.readouterr().out
    assert cli.main(["alerts", "ack", str(a), "--user", "tech"]) == 0
    assert alerts.active_alerts(db)[0]["acknowledged_by"] == "tech"
    assert cli.main(["alerts", "history", "--since", "1970-01-01", "--check", "disk"]) == 0
    assert "STILL ACTIVE  disk (/data/jns): data partition 97% used" in capsys.readouterr().out

    assert cli.main(["alerts", "set-rule", "disk", "warning=99"]) == 2
    assert "must not be above the critical level" in capsys.readouterr().err
    assert cli.main(["alerts", "set-rule", "disk", "warning=80", "notify_sms=no"]) == 0
    assert (alerts.rule(db, "disk")["warning"], alerts.rule(db, "disk")["notify_sms"]) == (80, False)
    assert cli.main(["alerts", "set-rule", "disk", "colour=red"]) == 2
    assert "unknown fields colour" in capsys.readouterr().err

    assert cli.main(["alerts", "notify-set", "smtp_host=mail.example.com",
                     "email_to=noc@example.com", "smtp_password=Sekret-77"]) == 0
    capsys.readouterr()
    assert cli.main(["alerts", "notify"]) == 0
    shown = capsys.readouterr().out
    assert "mail.example.com" in shown and "Sekret-77" not in shown
    assert "smtp_password_set True" in " ".join(shown.split())

    assert cli.main(["alerts", "report", "--since", "1970-01-01"]) == 0
    report = capsys.readouterr().out
    assert "disk_used_pct" in report and "90.0" in report and "97.0" in report
    assert "disk                1 critical" in report
    assert cli.main(["alerts", "history", "--since", "yesterday"]) == 2
    assert "is not a time" in capsys.readouterr().err


def test_console_menu_shows_active_alarms_and_the_last_day(tmp_path):
    from tests.test_console import run_fake
    db = store.open_db(tmp_path / "jns.db")
    a = alerts.open_alert(db, "trunk_registration", "provider", "warning",
                          "trunk provider is not registered with the provider", since=1.0)
    b = alerts.open_alert(db, "disk", "/data/jns", "critical", "data partition 97% used",
                          since=2.0)
    alerts.resolve_alert(db, b, text="data partition 70% used; back to normal")
    text, _fake, code = run_fake(tmp_path, "A\n\n0\n")
    assert code == 0
    assert "a) Alarms (1 active)" in text
    active = text[text.index("Active now:"):text.index("Last 24 hours:")]
    assert f"#{a:<5} WARNING" in active and "trunk_registration (provider)" in active
    assert "disk" not in active
    assert "back to normal" in text[text.index("Last 24 hours:"):]
