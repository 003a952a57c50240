"""The alarm pages, the alarm banner and the security page, through Flask's test client on a
real SQLite file.

Alarms and samples are written with the store functions the watchdog uses
(store.alerts.open_alert / record_samples); blocks and failures with store.security and the
panel's own failed logins.  Checked: who may open and change what (agent 403, supervisor
views and acknowledges but cannot change rules), CSRF, rules and notification settings
round-trip and refusals say why and keep the input, the SMTP password never comes back,
the history page draws an SVG chart of the samples with the alarms marked, the CSV export,
the banner on every page until the alarm is acknowledged, and unblocking.  No Asterisk.
"""
from __future__ import annotations

import csv
import io
import re
import time

import pytest

from appliance.store import alerts, security
from appliance.webui import create_app
from appliance.webui.i18n import CATALOG
from tests.conftest import client_for, csrf_token, page_text as text, use_english as english
from tests.test_webui import login
from tests.test_webui_browser import PASSWORD, ROOT, page, running_panel  # noqa: F401 (fixture)


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    return app


def csrf(client, path: str = "/admin/alarms/") -> str:
    return csrf_token(client, path)


# -- roles and CSRF ----------------------------------------------------------------------------

def test_roles(app, db, admin):
    agent = client_for(app, db, "agent")
    for path in ("/admin/alarms/", "/admin/alarms/history", "/admin/alarms/history.csv",
                 "/admin/security/"):
        assert agent.get(path).status_code == 403, path
    supervisor = client_for(app, db, "supervisor")
    assert supervisor.get("/admin/alarms/").status_code == 200
    assert supervisor.get("/admin/alarms/history").status_code == 200
    assert supervisor.get("/admin/security/").status_code == 403
    page = text(supervisor.get("/admin/alarms/"))
    assert "rules-table" not in page and "notify-form" not in page   # view only
    token = csrf(supervisor)
    r = supervisor.post("/admin/alarms/rules/disk", data={"csrf_token": token, "warning": "50",
                                                          "critical": "60"})
    assert r.status_code == 403
    assert supervisor.post("/admin/alarms/notify", data={"csrf_token": token}).status_code == 403
    assert alerts.rule(db, "disk")["warning"] == 85.0
    anonymous = app.test_client()
    assert anonymous.get("/admin/alarms/").status_code == 302


def test_csrf_refused(db, admin):
    r = admin.post("/admin/alarms/rules/disk", data={"warning": "50", "critical": "60"})
    assert r.status_code == 400
    r = admin.post("/admin/alarms/notify", data={"smtp_host": "mail.example.com"})
    assert r.status_code == 400
    r = admin.post("/admin/security/", data={"threshold": "3"})
    assert r.status_code == 400
    assert alerts.rule(db, "disk")["warning"] == 85.0
    assert alerts.notify_settings(db)["smtp_host"] == ""
    assert security.security_settings(db)["threshold"] == 10


# -- rules and notification settings ------------------------------------------------------------

def test_rule_round_trip_and_refusal(db, admin):
    token = csrf(admin)
    r = admin.post("/admin/alarms/rules/disk", data={
        "csrf_token": token, "enabled": "on", "warning": "70", "critical": "90",
        "hysteresis": "3", "repeat_min": "30", "escalate_min": "15", "notify_email": "on",
        "notify_banner": "on"})
    assert r.status_code == 302
    rule = alerts.rule(db, "disk")
    assert (rule["warning"], rule["critical"], rule["hysteresis"]) == (70.0, 90.0, 3.0)
    assert (rule["repeat_min"], rule["escalate_min"]) == (30, 15)
    assert (rule["enabled"], rule["notify_email"], rule["notify_banner"]) == (True, True, True)
    assert (rule["notify_sms"], rule["notify_led"]) == (False, False)
    page = text(admin.get("/admin/alarms/"))
    row = page.split('id="rule-disk"')[1].split("</tr>")[0]
    assert 'value="70"' in row and 'value="90"' in row and 'value="30"' in row
    # warning above critical: refused, nothing changes, the typed values stay on the page
    r = admin.post("/admin/alarms/rules/disk", data={
        "csrf_token": token, "enabled": "on", "warning": "95", "critical": "80",
        "hysteresis": "3", "repeat_min": "30", "escalate_min": "15"})
    assert r.status_code == 400
    page = text(r)
    assert "must not be above the critical level" in page and "Nie zapisano" in page
    assert 'value="95"' in page.split('id="rule-disk"')[1].split("</tr>")[0]
    assert alerts.rule(db, "disk")["warning"] == 70.0
    r = admin.post("/admin/alarms/rules/cpu", data={"csrf_token": token, "warning": "lots",
                                                    "critical": "99"})
    assert r.status_code == 400 and "must be a number" in text(r)
    assert admin.post("/admin/alarms/rules/nonsense", data={"csrf_token": token}).status_code == 404
    # a yes/no check has no thresholds on the page, only channels and timing
    r = admin.post("/admin/alarms/rules/asterisk", data={"csrf_token": token, "enabled": "on",
                                                         "repeat_min": "5", "escalate_min": "0",
                                                         "notify_sms": "on"})
    assert r.status_code == 302
    assert alerts.rule(db, "asterisk")["repeat_min"] == 5
    assert alerts.rule(db, "asterisk")["notify_email"] is False


def test_notify_settings_round_trip_password_never_shown(db, admin):
    token = csrf(admin)
    form = {"csrf_token": token, "smtp_host": "mail.example.com", "smtp_port": "465",
            "smtp_security": "ssl", "smtp_user": "pbx", "smtp_password": "s3cret-Pass!",
            "mail_from": "pbx@example.com", "email_to": "ops@example.com\nboss@example.com",
            "sms_to": "+48600100200", "min_severity_email": "warning",
            "min_severity_sms": "critical"}
    assert admin.post("/admin/alarms/notify", data=form).status_code == 302
    saved = alerts.notify_settings(db)
    assert saved["smtp_host"] == "mail.example.com" and saved["smtp_port"] == 465
    assert saved["smtp_security"] == "ssl" and saved["email_to"] == ["ops@example.com",
                                                                      "boss@example.com"]
    assert saved["sms_to"] == ["+48600100200"] and saved["smtp_password_set"]
    assert alerts.smtp_password(db) == "s3cret-Pass!"
    page = text(admin.get("/admin/alarms/"))
    assert "s3cret-Pass!" not in page and "zostaw puste" in page
    assert "ops@example.com\nboss@example.com" in page
    # saving again with the password field empty keeps the password
    assert admin.post("/admin/alarms/notify", data={**form, "smtp_password": "",
                                                    "smtp_port": "587"}).status_code == 302
    assert alerts.smtp_password(db) == "s3cret-Pass!"
    assert alerts.notify_settings(db)["smtp_port"] == 587
    # bad values: refused with the reason, the input kept (not the password), nothing saved
    r = admin.post("/admin/alarms/notify", data={**form, "email_to": "ops@example.com\nnot-an-address",
                                                 "smtp_password": "other-Pass-1"})
    assert r.status_code == 400
    page = text(r)
    assert "'not-an-address' is not an e-mail address" in page
    assert "not-an-address" in page.split('id="email_to"')[1].split("</textarea>")[0]
    assert "other-Pass-1" not in page
    assert alerts.notify_settings(db)["email_to"] == ["ops@example.com", "boss@example.com"]
    assert alerts.smtp_password(db) == "s3cret-Pass!"
    r = admin.post("/admin/alarms/notify", data={**form, "smtp_port": "99999"})
    assert r.status_code == 400 and "SMTP port" in text(r)


# -- banner and acknowledgement ------------------------------------------------------------------

def test_banner_until_acknowledged(app, db, admin):
    assert 'id="alarm-banner"' not in text(admin.get("/"))
    alerts.open_alert(db, "disk", "/data", "warning", "Data partition 91% full", since=time.time() - 60)
    critical = alerts.open_alert(db, "asterisk", "", "critical", "Asterisk is not running",
                                 since=time.time() - 5)
    for path in ("/", "/admin/", "/admin/queues/", "/admin/alarms/history"):
        page = text(admin.get(path))
        banner = page.split('id="alarm-banner"')[1].split("</div>")[0]
        assert "Aktywne alarmy: 2" in banner, path
        # most serious first
        assert banner.index("Asterisk is not running") < banner.index("Data partition 91% full")
        assert 'href="/admin/alarms/"' in banner
    supervisor = client_for(app, db, "supervisor")
    assert "Asterisk is not running" in text(supervisor.get("/"))
    agent = client_for(app, db, "agent")
    assert 'id="alarm-banner"' not in text(agent.get("/"))
    # the supervisor acknowledges the critical one: it leaves the banner
    r = supervisor.post(f"/admin/alarms/{critical}/ack",
                        data={"csrf_token": csrf(supervisor)})
    assert r.status_code == 302
    assert alerts.active_alerts(db)[0]["acknowledged_by"] == "supervisor1"
    banner = text(admin.get("/")).split('id="alarm-banner"')[1].split("</div>")[0]
    assert "Aktywne alarmy: 1" in banner and "Asterisk is not running" not in banner
    page = text(admin.get("/admin/alarms/"))
    assert "supervisor1" in page.split('id="active-alarms"')[1]
    # a rule can keep its alarms off the banner
    alerts.save_rule(db, "disk", notify_banner=False)
    assert 'id="alarm-banner"' not in text(admin.get("/"))
    r = admin.post("/admin/alarms/99999/ack", data={"csrf_token": csrf(admin)},
                   follow_redirects=True)
    assert "no alert with number 99999" in text(r)


# -- history: charts and CSV ------------------------------------------------------------------------

def test_history_chart_table_and_csv(db, admin):
    now = time.time()
    for i in range(12):   # one sample every 10 minutes over the last 2 hours
        alerts.record_samples(db, {"cpu_pct": 10.0 + i * 5, "memory_used_pct": 40.0},
                              at=now - 7200 + i * 600)
    alerts.record_samples(db, {"cpu_pct": 99.0}, at=now - 3 * 86400)   # outside 24 h
    first = alerts.open_alert(db, "cpu", "", "warning", "CPU busy 92%", since=now - 3600)
    alerts.resolve_alert(db, first, at=now - 1800)
    alerts.open_alert(db, "disk", "/data", "critical", "Data partition 97% full", since=now - 600)
    english(admin)
    r = admin.get("/admin/alarms/history?preset=24h")
    assert r.status_code == 200
    page = text(r)
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    chart = page.split('id="chart-cpu_pct"')[1].split("</figure>")[0]
    assert "<svg" in chart and 'aria-label="CPU busy (%)"' in chart
    path = re.search(r'<path class="series" d="([^"]+)"', chart).group(1)
    assert path.count("L") == 11            # 12 points in the last 24 h, not the old one
    assert "65 %" in chart                   # a point's value in its tooltip
    assert "CPU busy 92%" in chart and "resolved: CPU busy 92%" in chart   # alarm marks
    assert 'class="mark mark-warning"' in chart
    assert 'id="chart-memory_used_pct"' in page
    table = page.split('id="alarm-history"')[1].split("</table>")[0]
    assert "Data partition 97% full" in table and "still active" in table
    assert "CPU busy 92%" in table
    # 7 days: the old sample is in
    page = text(admin.get("/admin/alarms/history?preset=7d"))
    chart = page.split('id="chart-cpu_pct"')[1].split("</figure>")[0]
    first_x = float(re.search(r'<path class="series" d="M([0-9.]+),', chart).group(1))
    assert first_x == pytest.approx(48 + (4 / 7) * (720 - 58), abs=2)   # 3 days ago
    assert "99 %" in chart
    # dates
    today = time.strftime("%Y-%m-%d")
    page = text(admin.get(f"/admin/alarms/history?from={today}&to={today}"))
    assert "Data partition 97% full" in page
    r = admin.get("/admin/alarms/history?from=31.12.2025&to=2026-01-01")
    assert r.status_code == 400 and "year-month-day" in text(r)
    r = admin.get("/admin/alarms/history?from=2026-02-01&to=2026-01-01")
    assert r.status_code == 400 and "start date is after the end date" in text(r)
    # CSV
    r = admin.get("/admin/alarms/history.csv?preset=24h")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text(r))))
    assert [(x["check"], x["severity"], x["text"]) for x in rows] == [
        ("disk", "critical", "Data partition 97% full"), ("cpu", "warning", "CPU busy 92%")]
    assert rows[0]["resolved_at"] == "" and rows[1]["resolved_at"] == time.strftime(
        "%Y-%m-%d %H:%M:%S", time.localtime(now - 1800))
    assert admin.get("/admin/alarms/history.csv?from=bad").status_code == 400
    r = admin.get("/admin/alarms/samples.csv?preset=24h")
    rows = list(csv.DictReader(io.StringIO(text(r))))
    cpu = [x for x in rows if x["metric"] == "cpu_pct"]
    assert len(cpu) == 12 and cpu[0]["value"] == "10" and cpu[-1]["value"] == "65"
    assert cpu[0]["time"] == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - 7200))
    assert len([x for x in rows if x["metric"] == "memory_used_pct"]) == 12


def test_history_charts_failed_logins_with_security_alarms(db, admin):
    now = time.time()
    assert 'id="chart-failed_logins"' not in text(admin.get("/admin/alarms/history"))
    security.record_failures(db, [("sip", "203.0.113.5", now - 300 - i, "ChallengeResponseFailed")
                                  for i in range(25)])
    alerts.open_alert(db, "security", "203.0.113.5", "warning",
                      "SIP: 25 failed authentications from 203.0.113.5 in 60 s; blocked until 14:05",
                      since=now - 290)
    english(admin)
    page = text(admin.get("/admin/alarms/history"))
    chart = page.split('id="chart-failed_logins"')[1].split("</figure>")[0]
    assert 'aria-label="Failed logins (SIP, AMI, panel) (per 30 min)"' in chart
    assert "25 per 30 min" in chart and "blocked until 14:05" in chart


def test_history_without_samples(admin):
    page = text(admin.get("/admin/alarms/history"))
    assert "Nie zapisano jeszcze pomiarów." in page and "Brak alarmów w tym okresie." in page


# -- security page ----------------------------------------------------------------------------------

def test_security_page_blocks_failures_unblock_and_settings(app, db, admin):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    for i in range(3):
        login(attacker, "admin", f"wrong-{i}")
    security.record_failures(db, [("sip", "198.51.100.7", time.time(), "ChallengeResponseFailed 101")])
    security.block_source(db, "198.51.100.7", time.time() + 600, "SIP: 10 failed authentications "
                          "from 198.51.100.7 in 60 s")
    english(admin)
    page = text(admin.get("/admin/security/"))
    blocked = page.split('id="blocked-sources"')[1].split("</table>")[0]
    assert "198.51.100.7" in blocked and "SIP: 10 failed authentications" in blocked
    failures = page.split('id="failures"')[1].split("</table>")[0]
    assert re.search(r"203\.0\.113\.66</td><td>panel</td><td class=\"num\">3<", failures)
    assert "198.51.100.7</td><td>sip</td>" in failures
    # settings round trip; a bad allow-list entry is refused with the reason, input kept
    token = csrf(admin, "/admin/security/")
    r = admin.post("/admin/security/", data={"csrf_token": token, "threshold": "5",
                                             "window_s": "120", "block_s": "900",
                                             "allow_list": "192.168.1.0/24\n10.0.0.7"})
    assert r.status_code == 302
    assert security.security_settings(db) == {"threshold": 5, "window_s": 120, "block_s": 900,
                                               "allow_list": ["192.168.1.0/24", "10.0.0.7/32"]}
    r = admin.post("/admin/security/", data={"csrf_token": token, "threshold": "5",
                                             "window_s": "120", "block_s": "900",
                                             "allow_list": "192.168.1.0/24\nmy-laptop"})
    assert r.status_code == 400
    assert "'my-laptop' is not an IP address or network" in text(r)
    assert "my-laptop" in text(r).split('id="allow_list"')[1].split("</textarea>")[0]
    assert security.security_settings(db)["allow_list"] == ["192.168.1.0/24", "10.0.0.7/32"]
    r = admin.post("/admin/security/", data={"csrf_token": token, "threshold": "1",
                                             "window_s": "120", "block_s": "900"})
    assert r.status_code == 400 and "from 3 to" in text(r)
    # unblock
    r = admin.post("/admin/security/unblock", data={"csrf_token": token,
                                                    "address": "198.51.100.7"},
                   follow_redirects=True)
    assert "198.51.100.7 is no longer blocked." in text(r)
    assert security.list_blocks(db) == []
    r = admin.post("/admin/security/unblock", data={"csrf_token": token, "address": "nonsense"},
                   follow_redirects=True)
    assert "is not an IP address" in text(r)


def test_every_check_title_and_keyword_has_polish():
    for check in alerts.CHECKS.values():
        assert check["title"] in CATALOG, check["title"]
    for severity in alerts.SEVERITIES:
        assert f"severity:{severity}" in CATALOG
    for security_mode in alerts.SMTP_SECURITY:
        assert f"smtp:{security_mode}" in CATALOG


# -- in a real browser ------------------------------------------------------------------------------

@pytest.fixture
def panel(tmp_path):
    """The real panel (gunicorn, appliance.webui.wsgi) on its own database, no Asterisk."""
    db_path = tmp_path / "web.db"
    with running_panel({"JNS_DB": str(db_path)}, tmp_path / "gunicorn.log") as url:
        yield url, db_path


@pytest.mark.browser
def test_banner_chart_and_acknowledge_in_chromium(panel, page):  # noqa: F811
    from playwright.sync_api import expect

    from appliance.store.db import open_db
    url, db_path = panel
    page.goto(url + "/setup")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button.primary")
    expect(page.locator("#alarm-banner")).to_have_count(0)
    # the watchdog's writes: samples and a critical alarm
    db = open_db(db_path)
    now = time.time()
    for i in range(30):
        alerts.record_samples(db, {"ami_rtt_ms": 5.0 + (i % 7), "disk_used_pct": 60.0 + i},
                              at=now - 3 * 3600 + i * 360)
    alert_id = alerts.open_alert(db, "disk", "/data", "critical", "Data partition 96% full",
                                 since=now - 1200)
    page.goto(url + "/")
    expect(page.locator("#alarm-banner")).to_contain_text("Data partition 96% full")
    expect(page.locator("#alarm-banner")).to_contain_text("krytyczny")
    page.click("#alarm-banner a")
    expect(page.locator("h1")).to_have_text("Alarmy")
    # the history: the chart is drawn (CSP lets inline SVG through) with the alarm marked
    page.click("text=Historia i wykresy")
    chart = page.locator("#chart-disk_used_pct svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    expect(page.locator("#chart-disk_used_pct .mark-critical")).to_have_count(1)
    (ROOT / "build" / "screens").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ROOT / "build" / "screens" / "alarm_history.png"), full_page=True)
    # acknowledge: the banner goes away on every page
    page.goto(url + "/admin/alarms/")
    page.screenshot(path=str(ROOT / "build" / "screens" / "alarms.png"), full_page=True)
    page.click("#active-alarms button.primary")
    expect(page.locator(".alert-ok")).to_have_text("Alarm potwierdzony.")
    expect(page.locator("#alarm-banner")).to_have_count(0)
    page.goto(url + "/")
    expect(page.locator("#alarm-banner")).to_have_count(0)
    assert alerts.alert(db, alert_id)["acknowledged_by"] == "admin"
    assert not page.console_errors, page.console_errors
