"""Runs INSIDE the rootfs (Debian forky's Python 3.14 and its own Flask/sqlite-utils/pyst2):
the code paths the box uses, with the library versions the box has.  Called by
test_python314.py; prints OK lines and exits non-zero on the first failure."""
import io
import socket
import sys
import tempfile
import threading

assert sys.version_info[:2] >= (3, 14), sys.version

from appliance.store import config, db as store, users  # noqa: E402
from appliance.telephony import agi, render  # noqa: E402

tmp = tempfile.mkdtemp()
db = store.open_db(f"{tmp}/jns.db")
config.seed_demo(db)
config.add_queue(db, "sales", "Sales", members=["102"])  # sqlite-utils of Debian must not commit mid-way
print("OK store", store.schema_version(db))

files = render.render_files(config.snapshot(db), render.Layout(ami_secret="x"))
render.install(files, f"{tmp}/etc")
print("OK render", len(files))

srv = agi.FastAGIServer(("127.0.0.1", 0), agi.Services(db))
threading.Thread(target=srv.serve_forever, daemon=True).start()
with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
    f = s.makefile("rw", encoding="utf-8", newline="\n")
    f.write("agi_request: agi://x/ivr\nagi_network_script: ivr\nagi_arg_1: main\n\n")
    f.flush()
    seen = []
    for reply in ("200 result=0", "200 result=1", "200 result=1", "200 result=1", "200 result=1"):
        line = f.readline().strip()
        if not line:
            break
        seen.append(line)
        f.write(reply + "\n")
        f.flush()
assert 'SET VARIABLE "JNS_ACTION" "queue"' in seen, seen
print("OK fastagi", len(seen))

users.create_user(db, "admin", "a-long-enough-password", "admin")
assert users.authenticate(db, "admin", "a-long-enough-password", "127.0.0.1")
print("OK users")

try:
    from appliance.webui import create_app
except ImportError as exc:  # the panel is optional only while it does not exist
    print("SKIP webui", exc)
else:
    app = create_app(f"{tmp}/jns.db")
    client = app.test_client()
    assert client.get("/login").status_code in (200, 302)
    print("OK webui")

import os  # noqa: E402
import subprocess  # noqa: E402

env = dict(os.environ, JNS_DATA=tmp, JNS_NETWORK_DIR=f"{tmp}/net", JNS_FACTORY_RESET_FLAG=f"{tmp}/no-flag")
out = subprocess.run([sys.executable, "-m", "appliance.console", "apply-network"], env=env,
                     capture_output=True, text=True)
assert out.returncode == 0, out.stdout + out.stderr
assert "DHCP=yes" in open(f"{tmp}/net/10-jns.network").read()
print("OK console")

from asterisk import manager  # noqa: E402,F401  (pyst2 imports on 3.14)
print("OK pyst2")

# -- hardware, SMS and the watchdog (issue 5) with Debian's pyserial, smbus2 and psutil --
import pathlib  # noqa: E402

from appliance.hal import dahdi, gsm, i2csim, leds, pdu, sensors  # noqa: E402
from appliance.hal.modemsim import ModemSim  # noqa: E402

text = "Zażółć gęślą jaźń " * 6                   # Polish: UCS-2 in two parts
parts = pdu.encode_submit("+48600100200", text, ref=9)
assert len(parts) == 2 and pdu.decode(parts[0].pdu).encoding == "ucs2"
with ModemSim("simcom", link_dir=tmp, send_delay_s=0) as sim:   # the pty needs /dev/pts
    modem = gsm.Modem(sim.port).open()
    try:
        modem.init()
        for part in parts:
            modem.send_part(part)
    finally:
        modem.close()
    sent = sim.wait_sent(2, timeout=20)
assert pdu.join_texts([s.submit.text for s in sent]) == text
print("OK gsm")

ledroot = pathlib.Path(tmp, "leds", "board:red:alarm")
ledroot.mkdir(parents=True)
(ledroot / "brightness").write_text("0")
(ledroot / "max_brightness").write_text("1")
(ledroot / "trigger").write_text("[none] timer")
assert leds.Leds(ledroot.parent).show(["fault"]) == "fault"
[reading] = sensors.read_all(buses=[1], bus_factory=i2csim.factory({1: i2csim.SimBus(1, {0x48: i2csim.LM75(-5.5)})}),
                             hwmon_root=f"{tmp}/none", i2c_root=f"{tmp}/none")
assert reading.value == -5.5, reading
sample = pathlib.Path(__file__).resolve().parent / "data" / "dahdi" / "tdm410p"
[span] = dahdi.scan((sample / "dahdi_scan.txt").read_text(), proc_root=sample / "proc")
assert span.kind == "analog" and len(span.ports) == 4, span
print("OK hal")

from appliance.store import alerts, sms  # noqa: E402
from appliance.watchdog.service import Watchdog  # noqa: E402

sms.queue_sms(db, "+48600100200", text, purpose="alert")
wd = Watchdog(f"{tmp}/jns.db", data_dir=tmp, restarter=None, reboot=None, ping=lambda *a: None,
              leds_root=None, sensors=False, hardware_status=f"{tmp}/hardware.json")
wd.slow_round()
wd.stop()
assert alerts.rules(db) and sms.outbox(db)[0]["status"] == "queued"
print("OK watchdog")

from appliance.telephony.ami import AMIClient  # noqa: E402
from appliance.telephony.calld import CallService, LiveClient, LiveError  # noqa: E402

with socket.socket() as closed:   # an AMI port nobody listens on: Asterisk is away
    closed.bind(("127.0.0.1", 0))
    away_port = closed.getsockname()[1]
ami = AMIClient("127.0.0.1", away_port, "jns", "x", name="calld314")
live = CallService(f"{tmp}/jns.db", ami, queue_log=pathlib.Path(tmp, "queue_log"),
                   bind=("127.0.0.1", 0), secret="s3cret", close_with=(ami,)).start()
ami.start()
try:
    client = LiveClient(f"http://127.0.0.1:{live.port}", "s3cret")
    snap = client.state()
    assert snap["asterisk"]["connected"] is False and snap["calls"] == {}, snap
    name, first = next(client.events())
    assert name == "snapshot" and first["asterisk"]["connected"] is False, (name, first)
    try:
        LiveClient(f"http://127.0.0.1:{live.port}", "wrong").state()
        raise AssertionError("calld answered without its secret")
    except LiveError:
        pass
    ev = {"Event": "QueueMemberAdded", "Queue": "support", "Interface": "PJSIP/101",
          "MemberName": "Agent 101", "Membership": "dynamic", "Status": "1", "Paused": "0"}
    assert live.state.apply(ev, 1.0)[0][0] == "agent"
finally:
    live.stop()
print("OK calld")

from appliance.reports.ingest import ingest_files  # noqa: E402

qlog = pathlib.Path(tmp, "queue_log")
qlog.write_text("1795689736|1.1|support|NONE|DID|100\n"
                "1795689736|1.1|support|NONE|ENTERQUEUE||48600100200|1\n"
                "1795689740|1.1|support|Agent 101|CONNECT|4|1.2|2\n"
                "1795689770|1.1|support|Agent 101|COMPLETECALLER|4|30|1\n\xff garbage\n")
got = ingest_files(db, qlog)
assert got == {"queue_log": 4, "cdr": 0, "malformed": 1}, got
row = db.execute("SELECT status, wait, talk, did FROM report_calls").fetchone()
assert tuple(row) == ("answered", 4, 30, "100"), row
print("OK reports")

import datetime  # noqa: E402

from appliance.crm import planner  # noqa: E402
from appliance.webui import crm_planner  # noqa: E402,F401

admin_user = users.find_user(db, "admin")
planner.set_calendar_profile(db, admin_user["id"], email="", bookable=True)
day = datetime.date.today() + datetime.timedelta(days=7)
slots = planner.free_slots(db, admin_user["id"], day, now=0)
if slots:
    planner.book(db, admin_user, user_id=admin_user["id"], contact_id=None, title="Smoke",
                 starts_at=slots[0][0], ends_at=slots[0][1], now=0)
feed = planner.ical_feed(db, admin_user["id"], 0)
assert feed.startswith("BEGIN:VCALENDAR\r\n") and feed.endswith("END:VCALENDAR\r\n"), feed
print("OK crm planner", len(slots))

from appliance.crm import contacts as crm_contacts, messages as crm_messages  # noqa: E402
from appliance.crm import projects as crm_projects  # noqa: E402
from appliance.webui import crm_work  # noqa: E402,F401

smoke_user = {"id": None, "username": "smoke", "role": "admin"}
cid = crm_contacts.create_contact(db, {"name": "Zażółć", "phones": [("", "600 700 800")]})
crm_messages.send_sms_to_contact(db, smoke_user, cid, "+48600700800", "Dzień dobry {name}")
sms.store_inbound(db, None, "0048600700800", "odpowiedź", sent_at="s")
assert crm_messages.take_inbound_sms(db) == 1
pid = crm_projects.create_project(db, smoke_user, cid, "Smoke", started_at=0)
crm_projects.add_time(db, smoke_user, pid, None, "1:30")
assert crm_projects.project_time(db, pid)["total_min"] == 90
fid = crm_projects.store_file(db, smoke_user, f"{tmp}/crm-files", io.BytesIO(b"%PDF-1.4\n"),
                              "a.pdf", contact_id=cid)
assert crm_projects.file_for(db, smoke_user, fid)["mime"] == "application/pdf"
print("OK crm work")

from appliance.crm import contacts as crm_c, transfer as crm_t  # noqa: E402
from appliance.webui import crm, crm_api  # noqa: E402,F401

crm_user = {"id": None, "username": "smoke", "role": "admin"}
co = crm_c.create_contact(db, {"kind": "company", "name": "Źródło S.A."})
p = crm_c.create_contact(db, {"name": "Łukasz Żółć", "company_id": co,
                              "phones": [("mobile", "600 100 299")], "tags": ["VIP"]})
assert [r["id"] for r in crm_c.search(db, "lukasz")[0]] == [p]
assert [c["id"] for c in crm_c.find_by_number(db, "0048 600-100-299")] == [p]
crm_c.add_note(db, p, crm_user, "notatka", private=True)
assert [i["kind"] for i in crm_c.timeline(db, p, crm_user)] == ["note"]
card = "".join(crm_t.export_vcards(db, [p]))
assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n"), card
assert [c["name"] for _line, c in crm_t.parse_vcards(card.encode())] == ["Łukasz Żółć"]
assert "".join(crm_t.export_csv(db, [p], delimiter=";")).startswith("\ufeffName;")
print("OK crm contacts")
