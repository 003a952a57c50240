"""The box's own services outside the VM: first-boot preparation and the watchdog's checks."""
from __future__ import annotations

import stat

import pytest

from appliance import box
from appliance.store import alerts, db as store
from appliance.watchdog.service import Watchdog


@pytest.fixture
def data(tmp_path, monkeypatch):
    d = tmp_path / "data" / "jns"
    monkeypatch.setattr(box, "DATA", d)
    monkeypatch.setattr(box, "DB_PATH", d / "jns.db")
    monkeypatch.setattr(box, "SECRETS", d / "secrets")
    monkeypatch.setattr(box, "ASTERISK_ROOT", d / "asterisk")
    monkeypatch.setattr(box, "FACTORY_RESET_FLAG", d.parent / "factory-reset")
    monkeypatch.setattr(box, "_grow_data_partition", lambda: None)  # needs a real disk: VM test
    return d


def test_prepare_generates_secrets_on_the_box_once(data):
    box.prepare()
    crt, key = data / "secrets/https.crt", data / "secrets/https.key"
    assert b"BEGIN CERTIFICATE" in crt.read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "jns.db").stat().st_mode) == 0o600
    assert (data / "secrets/ssh/ssh_host_ed25519_key").exists()
    db = store.open_db(data / "jns.db")
    ami = store.get_setting(db, "ami_secret")
    before = crt.read_bytes()
    box.prepare()                                   # every boot: nothing regenerated
    assert crt.read_bytes() == before and store.get_setting(store.open_db(data / "jns.db"), "ami_secret") == ami
    files = box.render_config()
    assert f"secret = {ami}" in (files / "manager.conf").read_text()


def test_factory_reset_flag_wipes_data_and_makes_new_secrets(data):
    box.prepare()
    old = store.get_setting(store.open_db(data / "jns.db"), "ami_secret")
    (data / "recordings" / "call.wav").write_bytes(b"x")
    box.FACTORY_RESET_FLAG.write_text("")
    box.prepare()
    assert not box.FACTORY_RESET_FLAG.exists()
    assert not (data / "recordings" / "call.wav").exists()
    assert store.get_setting(store.open_db(data / "jns.db"), "ami_secret") != old


@pytest.mark.asterisk
def test_watchdog_health_sees_asterisk_go_away(devbox, tmp_path):
    """The box's watchdog (appliance.watchdog.service) on a healthy devbox raises nothing
    about Asterisk, the disk or memory; once Asterisk is killed it raises a critical alert."""
    wd = Watchdog(devbox.db_path, data_dir=tmp_path, asterisk_alive=devbox.asterisk.running,
                  ami=devbox.ami, restarter=None, reboot=None, sensors=False, leds_root=None,
                  ping=lambda *a: None)
    try:
        wd.fast_round()
        wd.slow_round()
        assert [a for a in alerts.active_alerts(devbox.db)
                if a["check"] in ("asterisk", "ami_rtt", "disk", "memory")] == []
        devbox.asterisk.kill()
        wd.fast_round()
        wd.slow_round()
        [problem] = [a for a in alerts.active_alerts(devbox.db) if a["check"] == "asterisk"]
        assert problem["severity"] == "critical" and "not running" in problem["text"]
    finally:
        wd.stop()
    # without the process check, the manager interface alone tells the same
    ami_only = Watchdog(devbox.db_path, data_dir=tmp_path, ami=devbox.ami, restarter=None,
                        reboot=None, sensors=False, leds_root=None, ping=lambda *a: None)
    try:
        ami_only.slow_round()
        [problem] = [a for a in alerts.active_alerts(devbox.db) if a["subject"] == "ami"]
        assert problem["severity"] == "critical" and "does not answer" in problem["text"]
    finally:
        ami_only.stop()
