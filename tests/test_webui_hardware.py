"""The hardware page `/admin/hardware/` through Flask's test client on a real SQLite file.

The hardware snapshot the page shows is built the way the watchdog builds it
(appliance.hal.status.collect): sensors read by appliance.hal.sensors from the I2C device
model and a hwmon tree, DAHDI spans parsed from the captured TE410P + TDM410P output in
tests/data/dahdi.  Checked: who may see and change what, CSRF, saving analog ports and a
digital span (and the rendered chan_dahdi.conf / system.conf that follow), refusals that
keep the input and change nothing, sensor names, and both languages.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from appliance.hal import dahdi, i2csim, sensors, status
from appliance.hal.i2csim import LM75, SimBus
from appliance.store import config, hardware
from appliance.telephony import render
from appliance.webui import create_app
from tests.conftest import client_for
from tests.test_webui import do_setup, text

DATA = Path(__file__).resolve().parent / "data" / "dahdi" / "te410p_tdm410p"


def snapshot(tmp_path: Path) -> dict:
    bus = SimBus(1, {0x48: LM75(41.5), 0x49: LM75(-2.0), 0x4B: LM75(57.0)})
    bad = LM75(30.0)
    bad.missing = True
    bus.chips[0x4A] = bad
    return status.collect(
        leds="warning",
        read_sensors=lambda: sensors.read_all(
            buses=[1], bus_factory=i2csim.factory({1: bus}), hwmon_root=tmp_path / "no-hwmon",
            i2c_root=tmp_path / "no-i2c", expected=["i2c-1:0x4a"]),
        scan_dahdi=lambda: dahdi.scan((DATA / "dahdi_scan.txt").read_text(),
                                      proc_root=DATA / "proc"))


@pytest.fixture
def app(tmp_path):
    state = snapshot(tmp_path)
    path = tmp_path / "run" / "hardware.json"
    status.write(state, path)           # as the watchdog leaves it for the panel
    app = create_app(str(tmp_path / "box.db"), config={"HARDWARE_STATUS_FILE": str(path)})
    app.config["TESTING"] = True
    return app


def csrf(client, path="/admin/hardware/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(path)))
    assert found
    return found.group(1)


def english(client) -> None:
    client.post("/lang", data={"csrf_token": csrf(client, "/"), "lang": "en"})


ANALOG_FORM = {"use_97": "1", "context_97": "from-trunk", "group_97": "1", "lang_97": "pl",
               "title_97": "Orange line", "use_98": "", "context_98": "from-trunk",
               "group_98": "1", "lang_98": "pl", "title_98": "",
               "use_99": "1", "context_99": "from-internal", "group_99": "0", "lang_99": "en",
               "title_99": "Reception fax"}


def test_page_shows_sensors_leds_spans_alarms_and_ports(admin):
    body = text(admin.get("/admin/hardware/"))
    assert "Ostrzeżenie" in body and "Czerwona miga wolno" in body           # LED pattern
    assert re.search(r"temperature \(i2c-1 0x48\).*?41\.5 °C", body, re.S)
    assert "-2.0 °C" in body
    # status against the watchdog's limits for environment sensors (45 / 55 °C by default)
    assert re.search(r"41\.5 °C</td>\s*<td>\s*<span class=\"severity-info\">w normie</span>"
                     r"\s*<span class=\"muted note\">\(progi 45\.0 / 55\.0 °C\)", body)
    assert re.search(r"57\.0 °C</td>\s*<td>\s*<span class=\"severity-critical\">krytyczny", body)
    assert "chip missing" in body                                             # 0x4a unplugged
    assert "alarm żółty" in body and "alarm niebieski (AIS)" in body          # spans 2 and 3
    assert "Wildcard TE410P (4th Gen)" in body and "kanały 97–100" in body
    assert "moduł FXO (podłącza się linię telefoniczną)" in body
    assert "moduł uszkodzony" in body and "nie można odczytać" in body
    english(admin)
    body = text(admin.get("/admin/hardware/"))
    assert "yellow alarm: the other end does not receive our signal" in body
    assert "FXS module (a phone plugs in)" in body and "Warning" in body


def test_roles_supervisor_views_agent_refused(app, db, admin):
    sup = client_for(app, db, "supervisor")
    body = text(sup.get("/admin/hardware/"))
    assert sup.get("/admin/hardware/").status_code == 200 and "alarm żółty" in body
    assert "/admin/hardware/dahdi/5" not in body and 'name="source"' not in body
    assert sup.get("/admin/hardware/dahdi/5").status_code == 403
    r = sup.post("/admin/hardware/dahdi/5", data={"csrf_token": csrf(sup), **ANALOG_FORM})
    assert r.status_code == 403
    r = sup.post("/admin/hardware/sensors", data={"csrf_token": csrf(sup),
                                                  "source": "i2c-1:0x48", "name": "x"})
    assert r.status_code == 403
    assert hardware.dahdi_config(db) == [] and hardware.sensor_names(db) == {}
    agent = client_for(app, db, "agent")
    assert agent.get("/admin/hardware/").status_code == 403
    assert app.test_client().get("/admin/hardware/").status_code == 302      # login first


def test_post_without_csrf_token_changes_nothing(admin, db):
    r = admin.post("/admin/hardware/dahdi/5", data=ANALOG_FORM)
    assert r.status_code == 400
    assert hardware.dahdi_config(db) == []


def test_saved_analog_ports_are_rendered_for_dahdi_and_asterisk(admin, db):
    page = text(admin.get("/admin/hardware/dahdi/5"))
    assert "FXS i FXO to nazwy modułów" in page                # the naming trap, explained
    assert 'name="use_100"' not in page                        # unreadable port: nothing to set
    r = admin.post("/admin/hardware/dahdi/5", data={"csrf_token": csrf(admin), **ANALOG_FORM})
    assert r.status_code == 302
    assert "Łącze 5 zapisane" in text(admin.get(r.headers["Location"]))
    ports = {p["channel"]: p for p in hardware.dahdi_config(db)[0]["ports"]}
    assert (ports[97]["module"], ports[97]["enabled"], ports[97]["title"]) == ("FXO", 1, "Orange line")
    assert ports[98]["enabled"] == 0 and ports[99]["module"] == "FXS"
    files = render.render_files(config.snapshot(db), render.Layout(ami_secret="s" * 16))
    conf = files["chan_dahdi.conf"]
    assert re.search(r"signalling = fxs_ks\ncontext = from-trunk\ngroup = 1\nlanguage = pl\n"
                     r"channel => 97\n", conf)
    assert re.search(r"signalling = fxo_ks\ncontext = from-internal\ngroup = 0\nlanguage = en\n"
                     r"channel => 99\n", conf)
    assert "channel => 98" not in conf and "load => chan_dahdi.so" in files["modules.conf"]
    system = dahdi.render_system_conf(hardware.dahdi_config(db))
    assert re.search(r"^fxsks=97 ", system, re.M) and re.search(r"^fxoks=99 ", system, re.M)
    # the form shows what was saved
    page = text(admin.get("/admin/hardware/dahdi/5"))
    assert 'value="Orange line"' in page
    assert re.search(r'name="use_97" value="1" aria-label="[^"]+" checked>', page)
    assert re.search(r'name="use_98" value="1" aria-label="[^"]+">', page)   # kept, not in use


def test_digital_span_saved_and_refusal_keeps_input(admin, db):
    form = {"csrf_token": csrf(admin), "kind": "T1", "framing": "esf", "coding": "b8zs",
            "timing": "0", "signalling": "pri_net", "switchtype": "national",
            "context": "from-trunk", "group": "3", "lang": "en", "enabled": "1"}
    assert admin.post("/admin/hardware/dahdi/1", data=form).status_code == 302
    [span] = hardware.dahdi_config(db)
    assert (span["kind"], span["first_channel"], span["channels"], span["timing"],
            span["signalling"], span["group"]) == ("T1", 1, 24, 0, "pri_net", 3)
    bad = dict(form, kind="E1", framing="ccs", coding="hdb3", group="7")
    r = admin.post("/admin/hardware/dahdi/1", data=bad)
    assert r.status_code == 400
    body = text(r)
    assert "a E1 line has 31 channels, the card reports 24" in body
    assert 'value="7"' in body                                 # what was typed stays
    assert hardware.dahdi_config(db) == [span]                 # nothing changed
    r = admin.post("/admin/hardware/dahdi/1", data=dict(form, group="many"))
    assert r.status_code == 400 and "Grupa" in text(r)
    # removing the settings
    r = admin.post("/admin/hardware/dahdi/1/delete", data={"csrf_token": csrf(admin)})
    assert r.status_code == 302 and hardware.dahdi_config(db) == []
    assert admin.get("/admin/hardware/dahdi/42").status_code == 404


def test_sensor_names(admin, db):
    r = admin.post("/admin/hardware/sensors", data={"csrf_token": csrf(admin),
                                                    "source": "i2c-1:0x48", "name": "Front panel"})
    assert r.status_code == 302
    assert hardware.sensor_names(db) == {"i2c-1:0x48": "Front panel"}
    assert "<strong>Front panel</strong>" in text(admin.get("/admin/hardware/"))
    admin.post("/admin/hardware/sensors", data={"csrf_token": csrf(admin),
                                                "source": "../../etc/passwd", "name": "x"})
    assert hardware.sensor_names(db) == {"i2c-1:0x48": "Front panel"}


def test_without_a_report_and_with_a_configured_card_gone(tmp_path):
    app = create_app(str(tmp_path / "box.db"),
                     config={"HARDWARE_STATUS_FILE": str(tmp_path / "missing.json")})
    db = app.extensions["jns_db"].get()
    hardware.save_span(db, 2, "E1", first_channel=1)
    c = app.test_client()
    do_setup(c)
    body = text(c.get("/admin/hardware/"))
    assert "Brak danych o sprzęcie" in body
    assert "karty nie wykryto" in body and "Łącze 2" in body
    assert c.get("/admin/hardware/dahdi/2").status_code == 200   # still editable


def test_the_page_never_touches_hardware_itself():
    """The panel runs unprivileged and must not run dahdi_cfg or read buses: it only reads
    the snapshot and the store (the docstring's promise, checked on the code)."""
    import appliance.webui.hardware as page
    tree = ast.parse(Path(page.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"subprocess", "os", "smbus2"}
    called = {n.func.attr for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert not called & {"apply", "write_system_conf", "scan", "read_all", "collect", "show"}


def test_sensor_status_follows_the_limits_the_admin_set(admin, db):
    from appliance.store import alerts
    alerts.save_rule(db, "sensor", warning=40.0, critical=60.0)
    body = text(admin.get("/admin/hardware/"))
    assert re.search(r"41\.5 °C</td>\s*<td>\s*<span class=\"severity-warning\">ostrzeżenie", body)
    assert "progi 40.0 / 60.0 °C" in body
