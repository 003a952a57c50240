"""Voice mailing (AUTO-1) without Asterisk: the campaign's voice fields refused with their
reason, the per-contact message spoken and kept, the outcome rules, the per-number report
and the panel's form, progress page, "Listen" and report files.  The calls themselves are
tests/test_voicecast.py (real Asterisk and SIPp)."""
from __future__ import annotations

import csv
import io
import time

import pytest

from appliance.campaigns import campaigns as cmp
from appliance.campaigns import pacer, report, voicecast
from appliance.store import config
from appliance.store.db import StoreError, open_db
from appliance.webui import create_app
from appliance.store.config import seed_demo
from tests.conftest import client_for, csrf_token, page_text as text

VOICE = dict(kind="voice", message_text="Dzień dobry {name}, do zapłaty {amount} zł.",
             window_start="00:00", window_end="23:59", weekdays="1234567")


def add_list(db, name: str, fields: list[str], people: list[tuple[str, str, dict]]) -> int:
    import json
    now = time.time()
    list_id = db.conn.execute("INSERT INTO contact_lists (name, fields, created_at) "
                              "VALUES (?, ?, ?)", [name, json.dumps(fields), now]).lastrowid
    for phone, who, values in people:
        db.conn.execute("INSERT INTO contacts (list_id, phone, name, fields, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [list_id, phone, who, json.dumps(values, ensure_ascii=False), now])
    return list_id


PEOPLE = [("+48600100001", "Jan Kowalski", {"amount": "120"}),
          ("+48600100002", "Ewa Nowak", {"amount": "75"})]


@pytest.fixture
def sdb(tmp_path):
    """A box's database without the panel: a queue with nobody in it and a trunk."""
    db = open_db(tmp_path / "jns.db")
    config.add_queue(db, "empty", "Nobody")
    config.add_trunk(db, "telco", "192.0.2.1")
    return db


def test_a_voice_campaign_needs_a_message_and_known_fields(sdb):
    list_id = add_list(sdb, "debtors", ["amount"], PEOPLE)
    with pytest.raises(StoreError, match="choose a recorded message or type the text"):
        cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id],
                          **{**VOICE, "message_text": "  "})
    with pytest.raises(StoreError) as err:
        cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id],
                          **{**VOICE, "message_text": "Hello {name}, pay by {due_date}."})
    assert str(err.value) == f"{cmp.E_PLACEHOLDER}: {{due_date}}"     # names the unknown one
    with pytest.raises(StoreError, match="the queue callers reach with the key"):
        cmp.save_campaign(sdb, "v", user="t", queue="nosuch", lists=[list_id], **VOICE)
    for bad, error in ((dict(max_lines=0), cmp.E_MAX_LINES),
                       (dict(max_lines=61), cmp.E_MAX_LINES),
                       (dict(connect_key="*"), cmp.E_CONNECT_KEY),
                       (dict(repeat_key="1"), cmp.E_SAME_KEYS),
                       (dict(max_repeats=6), cmp.E_MAX_REPEATS),
                       (dict(message_prompt="nosuch"), cmp.E_MESSAGE_PROMPT),
                       (dict(amd=1, machine_action="short"), cmp.E_MACHINE_MESSAGE),
                       (dict(machine_action="shout"), cmp.E_MACHINE_ACTION),
                       (dict(kind="robots"), cmp.E_KIND)):
        with pytest.raises(StoreError) as err:
            cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id],
                              **{**VOICE, **bad})
        assert str(err.value) == error, bad
    assert cmp.campaign(sdb, "v") is None                     # nothing was written
    cid = cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id], **VOICE,
                            max_lines=60, amd=1, machine_action="short",
                            machine_text="Oddzwoń, {NAME}.")        # case does not matter
    row = cmp.campaign(sdb, cid)
    assert (row["kind"], row["max_lines"], row["connect_key"], row["repeat_key"]) == \
        ("voice", 60, "1", "2")
    # a recorded message is used as is; the text may then be empty
    cmp.save_campaign(sdb, "v", user="t", message_prompt="goodbye", message_text="")
    assert cmp.campaign(sdb, cid)["message_prompt"] == "goodbye"


def test_a_voice_campaign_starts_without_agents_an_agent_campaign_does_not(sdb):
    list_id = add_list(sdb, "debtors", ["amount"], PEOPLE)
    voice = cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id], **VOICE)
    agents = cmp.save_campaign(sdb, "a", user="t", queue="empty", lists=[list_id])
    cmp.set_status(sdb, voice, "running", "t")
    with pytest.raises(StoreError, match="has no agents"):
        cmp.set_status(sdb, agents, "running", "t")
    p = cmp.progress(sdb, voice)
    assert p["kind"] == "voice" and p["max_lines"] == 4 and p["states"]["new"] == 2
    assert cmp.W_VOICE_NO_KEY in cmp.warnings({**cmp.campaign(sdb, voice), "connect_key": ""})


def test_each_contact_gets_their_own_spoken_message_made_once(sdb, tmp_path):
    list_id = add_list(sdb, "debtors", ["amount"], PEOPLE)
    cid = cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id], **VOICE)
    camp = cmp.campaign(sdb, cid)
    jan, ewa = [r[0] for r in sdb.execute("SELECT id FROM contacts ORDER BY id")]
    host = tmp_path / "asterisk"
    root = "/var/lib/jns/asterisk"
    one = voicecast.prepare(sdb, camp, jan, host_root=str(host), asterisk_root=root)
    two = voicecast.prepare(sdb, camp, ewa, host_root=str(host), asterisk_root=root)
    assert one.text == "Dzień dobry Jan Kowalski, do zapłaty 120 zł."
    assert two.text == "Dzień dobry Ewa Nowak, do zapłaty 75 zł."
    assert one.sound == f"/var/lib/jns/asterisk/voicecast/{cid}/{jan}"
    wav = host / "voicecast" / str(cid) / f"{jan}.wav"
    assert wav.read_bytes()[:4] == b"RIFF"
    assert wav.read_bytes() != (host / "voicecast" / str(cid) / f"{ewa}.wav").read_bytes()
    assert voicecast.spoken_text(str(host), cid, jan) == one.text
    made = wav.stat().st_mtime_ns
    voicecast.prepare(sdb, camp, jan, host_root=str(host), asterisk_root="/x")
    assert wav.stat().st_mtime_ns == made                    # the same text: kept
    cmp.save_campaign(sdb, "v", user="t", message_text="Witaj {name}.")
    voicecast.prepare(sdb, cmp.campaign(sdb, cid), jan, host_root=str(host), asterisk_root="/x")
    assert voicecast.spoken_text(str(host), cid, jan) == "Witaj Jan Kowalski."
    # a recorded message: no synthesis, the box's prompt path
    sdb.conn.execute("INSERT INTO prompts (name, lang, source, seconds, updated_at) "
                    "VALUES ('reminder', 'pl', 'upload', 3, ?)", [int(time.time())])
    cmp.save_campaign(sdb, "v", user="t", message_prompt="reminder")
    msg = voicecast.prepare(sdb, cmp.campaign(sdb, cid), ewa, host_root=str(host),
                            asterisk_root="/r")
    assert (msg.sound, msg.text) == ("/r/prompts/pl/reminder", "")


def test_without_espeak_the_call_fails_with_a_clear_error(sdb, tmp_path, monkeypatch):
    list_id = add_list(sdb, "debtors", ["amount"], PEOPLE)
    cid = cmp.save_campaign(sdb, "v", user="t", queue="empty", lists=[list_id], **VOICE)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))       # no espeak-ng on this box
    with pytest.raises(voicecast.VoicecastError, match="espeak-ng is not installed"):
        voicecast.prepare(sdb, cmp.campaign(sdb, cid), 1, host_root=str(tmp_path),
                          asterisk_root="/x")


def test_outcomes_and_what_happens_to_the_contact_next():
    o = dict(answered=True, machine=False, pressed=False, connected=False, listened=False,
             unanswered="noanswer")
    assert voicecast.outcome(**{**o, "answered": False}) == "noanswer"
    assert voicecast.outcome(**o) == "answered"
    assert voicecast.outcome(**{**o, "listened": True}) == "listened"
    assert voicecast.outcome(**{**o, "pressed": True}) == "pressed"
    assert voicecast.outcome(**{**o, "pressed": True, "connected": True}) == "connected"
    assert voicecast.outcome(**{**o, "machine": True}) == "machine"
    rules = pacer.Rules(max_attempts=3, retry_noanswer_s=60, retry_machine_s=600)
    camp = {"machine_action": "short"}
    for done in ("connected", "pressed", "listened"):
        assert voicecast.next_step(rules, camp, done, 1.0, 1, 0.0) == ("done", 0)
    assert voicecast.next_step(rules, camp, "answered", 1.0, 1, 0.0) == ("retry", 60.0)
    assert voicecast.next_step(rules, camp, "answered", 12.0, 1, 0.0) == ("done", 0)
    assert voicecast.next_step(rules, camp, "answered", None, 3, 0.0) == ("done", 0)
    assert voicecast.next_step(rules, camp, "machine", None, 1, 0.0) == ("done", 0)
    assert voicecast.next_step(rules, {"machine_action": "retry"}, "machine", None, 1, 0.0) == \
        ("retry", 600.0)
    assert voicecast.next_step(rules, camp, "busy", None, 3, 0.0) == ("failed", 0)
    assert voicecast.next_step(rules, camp, "invalid", None, 1, 0.0) == ("failed", 0)


# -- the panel --------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    seed_demo(app.extensions["jns_db"].get())
    return app


FORM = {"name": "reminder", "title": "Payment reminder", "kind": "voice", "queue": "support",
        "mode": "progressive", "start_date": "", "end_date": "", "window_start": "09:00",
        "window_end": "20:00", "weekdays": ["1", "2", "3", "4", "5"], "caller_id": "",
        "ring_s": "25", "max_attempts": "3", "retry_noanswer_s": "60", "retry_busy_s": "15",
        "retry_failed_s": "30", "retry_machine_s": "120", "noagent_prompt": "goodbye",
        "record": "none", "abandon_cap": "3", "abandon_rule": "day", "max_ratio": "1",
        "script": "", "message_prompt": "", "message_text": "Dzień dobry {name}, {amount} zł.",
        "message_lang": "pl", "connect_key": "1", "repeat_key": "2", "max_repeats": "2",
        "machine_action": "hangup", "machine_prompt": "", "machine_text": "", "max_lines": "10"}


def test_the_form_saves_a_voice_campaign_and_names_an_unknown_field(app, db, sup):
    list_id = add_list(db, "debtors", ["amount"], PEOPLE)
    token = csrf_token(sup, "/campaigns/new")
    bad = sup.post("/campaigns/new", data={**FORM, "message_text": "Hi {nickname}",
                                           "lists": [str(list_id)], "csrf_token": token})
    assert bad.status_code == 400
    assert "the message names a field no attached list has: {nickname}" in text(bad)
    assert "Hi {nickname}" in text(bad)                      # what was typed stays
    assert sup.post("/campaigns/new", data={**FORM, "lists": [str(list_id)]}).status_code == 400
    ok = sup.post("/campaigns/new", data={**FORM, "lists": [str(list_id)], "csrf_token": token})
    assert ok.status_code == 302, text(ok)
    row = cmp.campaign(db, "reminder")
    assert (row["kind"], row["max_lines"], row["machine_action"]) == ("voice", 10, "hangup")
    page = text(sup.get(f"/campaigns/{row['id']}/"))
    assert "Lines in use / most" in page and "Agents logged in / free" not in page
    assert "Dzień dobry Jan Kowalski, 120 zł." in page          # the sample contact's text
    edit = text(sup.get(f"/campaigns/{row['id']}/edit"))
    assert 'id="voice-fields" class="voice-only" open' in edit


def test_listen_plays_the_sample_message_to_supervisors_only(app, db, sup):
    list_id = add_list(db, "debtors", ["amount"], PEOPLE)
    cid = cmp.save_campaign(db, "v", user="t", queue="support", lists=[list_id], **VOICE)
    ewa = db.execute("SELECT id FROM contacts WHERE name = 'Ewa Nowak'").fetchone()[0]
    r = sup.get(f"/campaigns/{cid}/listen.wav?contact={ewa}")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and r.data[:4] == b"RIFF"
    assert sup.get(f"/campaigns/{cid}/listen.wav?contact=99999").status_code == 404
    assert sup.get(f"/campaigns/{cid}/listen.wav?contact=x").status_code == 400
    assert client_for(app, db, "agent").get(f"/campaigns/{cid}/listen.wav").status_code == 403
    agents = cmp.save_campaign(db, "a", user="t", queue="support", lists=[list_id])
    assert sup.get(f"/campaigns/{agents}/listen.wav").status_code == 404


def test_report_lists_every_number_with_totals_in_page_and_files(app, db, sup):
    list_id = add_list(db, "debtors", ["amount"], PEOPLE + [("+48600100003", "Olga", {})])
    cid = cmp.save_campaign(db, "v", user="t", queue="support", lists=[list_id], **VOICE)
    config.add_trunk(db, "telco", "192.0.2.1")
    cmp.set_status(db, cid, "running", "t")
    ids = {r[1]: r[0] for r in db.execute("SELECT id, phone FROM contacts")}
    now = time.time()
    calls = [("+48600100001", "connected", 4.5, 0, "1", "101"),
             ("+48600100002", "noanswer", None, 0, "", None),
             ("+48600100002", "listened", 9.2, 1, "2", None)]
    for n, (phone, outcome, heard, listened, keys, agent) in enumerate(calls):
        db.execute("INSERT INTO campaign_calls (campaign_id, contact_id, phone, attempt, mode, "
                   "uniqueid, agent, started_at, ended_at, outcome, heard_s, listened, pressed) "
                   "VALUES (?, ?, ?, 1, 'voice', ?, ?, ?, ?, ?, ?, ?, ?)",
                   [cid, ids[phone], phone, f"u{n}", agent, now - 100 + n, now - 50 + n,
                    outcome, heard, listened, keys])
    db.execute("UPDATE campaign_contacts SET state = 'done', attempts = 1 WHERE contact_id = ?",
               [ids["+48600100001"]])
    db.execute("UPDATE campaign_contacts SET state = 'done', attempts = 2 WHERE contact_id = ?",
               [ids["+48600100002"]])
    db.execute("UPDATE campaign_contacts SET state = 'dnc' WHERE contact_id = ?",
               [ids["+48600100003"]])
    day = time.strftime("%Y-%m-%d", time.localtime(now))
    page = text(sup.get(f"/campaigns/{cid}/report?from={day}&to={day}"))
    assert "Voice mailing totals" in page and "Per number" in page and "<svg" in page
    rows = list(csv.reader(io.StringIO(
        sup.get(f"/campaigns/{cid}/report.csv?from={day}&to={day}").data.decode("utf-8-sig"))))
    assert rows[0] == ["Voice mailing totals"]
    totals = dict(zip(rows[1], rows[2]))
    assert (totals["Numbers"], totals["Answered"], totals["Listened to the end"],
            totals["Pressed the key"], totals["Connected to an agent"], totals["Do not call"]) == \
        ("3", "2", "1", "1", "1", "1")
    numbers = rows[rows.index(["Per number"]) + 2:]
    by_phone = {r[0]: r for r in numbers[:3]}
    assert by_phone["+48600100001"][2:] == ["Connected to an agent", "1", "4.5", "no", "1", "101"]
    assert by_phone["+48600100002"][2:] == ["Listened to the end", "2", "9.2", "yes", "2", ""]
    assert by_phone["+48600100003"][2] == "Do not call"
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(sup.get(
        f"/campaigns/{cid}/report.xlsx?from={day}&to={day}").data))
    assert [s.title for s in book.worksheets][:2] == ["Voice mailing totals", "Per number"]


def test_every_voice_mailing_text_has_polish():
    from appliance.webui import campaigns as pages
    from appliance.webui.i18n import CATALOG
    ids = {e for e in cmp.ERRORS} | set(cmp.WARNINGS)
    for table in (pages.KINDS, pages.MACHINE_ACTIONS, pages.MESSAGE_LANGS,
                  pages.VOICE_OUTCOME_LABELS, report.VOICE_OUTCOME_LABELS):
        ids |= set(table.values())
    ids |= {c.label for c in report.VOICE_TOTAL_COLUMNS + report.NUMBER_COLUMNS}
    ids |= {t for t, _c, _r in report.Report({"kind": "voice"}, None, None).tables()}
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, missing
