"""SMS campaigns (AUTO-3) through the real modem service and modem simulators.

The campaign is stored as the panel stores it, jns-modemd (a real process, its owners on
pseudo-terminals speaking AT to appliance.hal.modemsim) runs the campaigns' round, and the
test checks what "the network" received (`sim.sent`), the delivery reports, replies typed
on a phone (`sim.deliver`) and the database.  The preview's arithmetic (GSM 7-bit 160/153,
UCS-2 70/67, one Polish letter, cost) and the store's refusals are checked without modems.
"""
from __future__ import annotations

import time

import pytest

from appliance.campaigns import lists
from appliance.campaigns import sms_campaigns as camp
from appliance.crm import contacts as crm_contacts
from appliance.crm import messages as crm_messages
from appliance.hal.modemsim import ModemSim
from appliance.store import db as store
from appliance.store import sms
from appliance.store.db import StoreError
from tests.test_modemd import box, texts, wait_for  # noqa: F401 (box: fixture)

ALWAYS = {"window_start": "00:00", "window_end": "24:00", "weekdays": "1234567"}
TEXT = "Dzien dobry {name}, do zaplaty {kwota} PLN. Odpisz STOP, aby nie dostawac SMS."


def make_list(db, name: str, people: list[tuple[str, str, str]]) -> int:
    """A contact list with the field "kwota": (phone, name, kwota) per contact."""
    list_id = lists.create_list(db, name, fields=["kwota"])
    for phone, person, amount in people:
        lists.add_contact(db, list_id, phone, person, {"kwota": amount})
    return list_id


def messages(db, cid: int) -> dict[str, dict]:
    return {m["phone"]: m for m in camp.report(db, cid)["numbers"]}


# -- through the modem service ----------------------------------------------------------------

def test_campaign_sends_personalised_texts_skips_dnc_collects_reports_and_replies(box):
    db = box.db
    list_id = make_list(db, "dluznicy", [("+48600100201", "Anna", "120"),
                                         ("+48600100202", "Jan", "80"),
                                         ("600 100 203", "Ewa", "45"),
                                         ("+48600100204", "Piotr", "10")])
    lists.dnc_add(db, "+48600100204", note="asked on the phone")
    anna = crm_contacts.create_contact(db, {"name": "Anna Kowalska",
                                            "phones": [("mobile", "+48600100201")]})
    cid = camp.save_campaign(db, "przypomnienie", user="admin", lists=[list_id], text=TEXT,
                             price_per_part=0.09, **ALWAYS)
    with ModemSim("generic", link_dir=box.dev) as sim:
        box.service()
        wait_for(lambda: (m := box.modem()) and m["state"] == "ready", message="modem ready")
        camp.set_status(db, cid, "running")
        wait_for(lambda: sum(m["state"] == "delivered" for m in messages(db, cid).values()) == 3,
                 message=f"3 delivered: {messages(db, cid)}")
        expected = [TEXT.format(name=n, kwota=k) for n, k in
                    (("Anna", "120"), ("Jan", "80"), ("Ewa", "45"))]
        assert sorted(texts(sim)) == sorted(expected)
        assert all(s.submit.encoding == "gsm7" for s in sim.sent)
        assert "+48600100204" not in {s.submit.number for s in sim.sent}
        by_phone = messages(db, cid)
        assert by_phone["+48600100204"]["state"] == "dnc"
        assert by_phone["+48600100204"]["queued_at"] is None
        assert db.execute("SELECT count(*) FROM sms_outbox WHERE number = '+48600100204'"
                          ).fetchone()[0] == 0
        assert by_phone["+48600100203"]["text"] == expected[2]
        assert all(by_phone[p]["delivered_at"] for p in
                   ("+48600100201", "+48600100202", "+48600100203"))
        wait_for(lambda: camp.campaign(db, cid)["status"] == "finished", message="finished")

        sim.deliver("+48600100201", "Dziękuję, zapłacę jutro")
        sim.deliver("+48600100202", "  s t o p ! ")
        wait_for(lambda: camp.progress(db, cid)["replies"] == 2, message="2 replies filed")
    by_phone = messages(db, cid)
    assert (by_phone["+48600100201"]["reply"], by_phone["+48600100201"]["opt_out"]) == (
        "Dziękuję, zapłacę jutro", 0)
    assert by_phone["+48600100202"]["opt_out"] == 1
    assert lists.dnc_blocked(db, "+48600100202", None)
    [entry] = [e for e in lists.dnc_entries(db)[0] if e["phone"] == "+48600100202"]
    assert "przypomnienie" in entry["note"]
    assert not lists.dnc_blocked(db, "+48600100201", None)
    # the CRM's periodic job puts the reply on Anna's timeline
    crm_messages.take_inbound_sms(db)
    timeline = crm_messages.contact_messages(db, anna)
    assert [(m["direction"], m["body"]) for m in timeline] == [
        ("in", "Dziękuję, zapłacę jutro")]
    rep = camp.report(db, cid)
    assert (rep["totals"]["delivered"], rep["totals"]["dnc"], rep["totals"]["opt_outs"]) == (
        3, 1, 1)
    assert (rep["parts"], rep["cost"]) == (3, 0.27)
    # the next campaign to the same list skips the number that said STOP
    camp.save_campaign(db, "druga", lists=[list_id], text="Druga wiadomosc", **ALWAYS)
    assert camp.preview(db, camp.campaign(db, "druga")["id"])["dnc"] == 2


def test_two_modems_share_the_campaign_at_the_per_modem_rate(box):
    db = box.db
    people = [(f"+4860010030{i}", f"Klient {i}", str(i)) for i in range(5)]
    list_id = make_list(db, "piatka", people)
    cid = camp.save_campaign(db, "rozklad", lists=[list_id], text="Rata {kwota} dla {name}",
                             per_modem_per_min=2, **ALWAYS)
    with ModemSim("generic", link_dir=box.dev, name="ttyUSB0") as one, \
            ModemSim("simcom", link_dir=box.dev, name="ttyUSB1", imei="356938035643810") as two:
        box.service()
        wait_for(lambda: [m["state"] for m in sms.modems(db)] == ["ready", "ready"],
                 message="both modems ready")
        camp.set_status(db, cid, "running")
        wait_for(lambda: len(one.sent) + len(two.sent) == 4, message="4 sent")
        time.sleep(1.5)                 # many more rounds of the service: still 4
        by_phone = messages(db, cid)
        queued = [m for m in by_phone.values() if m["queued_at"] is not None]
        assert len(queued) == 4 and len(one.sent) == len(two.sent) == 2
        per_modem: dict[str, int] = {}
        for m in queued:
            per_modem[m["modem"]] = per_modem.get(m["modem"], 0) + 1
        assert per_modem == {one.port: 2, two.port: 2}
        assert max(m["queued_at"] for m in queued) - min(m["queued_at"] for m in queued) < 60
        [waiting] = [m for m in by_phone.values() if m["queued_at"] is None]
        assert waiting["state"] == "pending"
        assert camp.campaign(db, cid)["status"] == "running"
        # a minute later the fifth goes out
        assert camp.feed(db, time.time() + 61) == {"rozklad": 1}
        wait_for(lambda: len(one.sent) + len(two.sent) == 5, message="the fifth sent")
        wait_for(lambda: camp.campaign(db, cid)["status"] == "finished", message="finished")
    assert sorted(texts(one) + texts(two)) == sorted(
        f"Rata {k} dla {n}" for _, n, k in people)


# -- the preview: parts, encodings, cost ----------------------------------------------------------

@pytest.mark.parametrize("text, encoding, parts", [
    ("a" * 160, "gsm7", 1), ("a" * 161, "gsm7", 2), ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3), ("€" * 80, "gsm7", 1), ("€" * 81, "gsm7", 2),
    ("ą" * 70, "ucs2", 1), ("ą" * 71, "ucs2", 2), ("ą" * 134, "ucs2", 2),
    ("ą" * 135, "ucs2", 3),
])
def test_parts_per_encoding(text, encoding, parts):
    info = camp.text_info(text)
    assert (info["encoding"], info["parts"]) == (encoding, parts)


def test_one_polish_letter_makes_the_message_ucs2_and_says_which():
    plain = "Przypominamy o wizycie jutro o 10:00. Prosimy o potwierdzenie. " * 2   # 126
    assert camp.text_info(plain)["encoding"] == "gsm7"
    info = camp.text_info(plain.replace("wizycie", "wizycie w przychodni Żółw"))
    assert (info["encoding"], info["parts"], info["per_part"]) == ("ucs2", 3, 67)
    assert info["ucs2_chars"] == ["Ż", "ó", "ł"]       # GSM 7-bit has ò, not ó
    assert camp.text_info("Zażółć")["ucs2_chars"] == ["ż", "ó", "ł", "ć"]


def test_preview_counts_the_whole_audience_after_dnc_with_cost(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    first = make_list(db, "a", [("+48600100401", "Adam", "10"), ("+48600100402", "Łucja", "20"),
                                ("+48600100403", "Ola", "30")])
    second = make_list(db, "b", [("+48600100403", "Ola", "30"), ("+48600100404", "Ben", "40")])
    lists.dnc_add(db, "+48600100404")
    text = "Witaj {name}! Saldo: {kwota} PLN. " + "x" * 130      # 150+ chars: GSM 1 part
    cid = camp.save_campaign(db, "saldo", lists=[first, second], text=text,
                             price_per_part=0.12)
    p = camp.preview(db, cid)
    assert (p["audience"], p["recipients"], p["dnc"]) == (4, 3, 1)     # 403 counted once
    # Adam and Ola fit one GSM part; "Łucja" makes hers UCS-2: 160 chars -> 3 parts of 67
    assert (p["gsm7"], p["ucs2"], p["ucs2_chars"]) == (2, 1, ["Ł"])
    assert (p["parts"], p["max_parts"], p["cost"]) == (5, 3, 0.6)
    assert p["sample"]["text"].startswith("Witaj Adam! Saldo: 10 PLN.")
    assert p["template"]["encoding"] == "gsm7"


# -- the store's refusals -----------------------------------------------------------------------

@pytest.mark.parametrize("changes, error", [
    ({"text": ""}, camp.E_TEXT),
    ({"text": "   "}, camp.E_TEXT),
    ({"text": "x" * 1601}, camp.E_TEXT),
    ({"text": "Hello\x00world"}, camp.E_TEXT_CONTROL),
    ({"text": "Hi {city}"}, "message text: {city} is not a field of every attached list"),
    ({"title": "two\nlines"}, camp.E_TITLE),
    ({"window_start": "25:00"}, camp.E_WINDOW_FORMAT),
    ({"window_start": "20:00", "window_end": "09:00"}, camp.E_WINDOW_ORDER),
    ({"weekdays": ""}, camp.E_WEEKDAYS),
    ({"weekdays": "189"}, camp.E_WEEKDAYS),
    ({"per_modem_per_min": "0"}, camp.E_RATE),
    ({"per_modem_per_min": "fast"}, camp.E_RATE),
    ({"price_per_part": "-1"}, camp.E_PRICE),
    ({"price_per_part": "nan"}, camp.E_PRICE),
    ({"reply_days": "365"}, camp.E_REPLY_DAYS),
])
def test_refusals_say_why_and_write_nothing(tmp_path, changes, error):
    db = store.open_db(tmp_path / "jns.db")
    list_id = make_list(db, "l", [("+48600100501", "A", "1")])
    fields = {"text": "Hi {name}, {kwota}", **changes}
    with pytest.raises(StoreError) as exc:
        camp.save_campaign(db, "bad", lists=[list_id], **fields)
    assert str(exc.value) == error
    assert camp.campaign(db, "bad") is None


def test_a_placeholder_must_be_a_field_of_every_list_and_start_rechecks(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    with_amount = make_list(db, "z kwota", [("+48600100601", "A", "5")])
    plain = lists.create_list(db, "bez pol")
    lists.add_contact(db, plain, "+48600100602", "B")
    with pytest.raises(StoreError, match=r"\{kwota\} is not a field of every attached list"):
        camp.save_campaign(db, "k", lists=[with_amount, plain], text="{kwota}")
    cid = camp.save_campaign(db, "k", lists=[with_amount], text="Kwota {kwota}")
    with pytest.raises(StoreError, match="not a field"):
        camp.save_campaign(db, "k", lists=[plain])
    lists.remove_field(db, with_amount, "kwota")             # changed after the save
    with pytest.raises(StoreError, match="not a field"):
        camp.set_status(db, cid, "running")
    assert camp.campaign(db, cid)["status"] == "draft"


def test_status_changes_and_pause_takes_back_what_no_modem_took(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    empty = lists.create_list(db, "pusta")
    cid = camp.save_campaign(db, "p", lists=[empty], text="Hej", **ALWAYS)
    with pytest.raises(StoreError, match="attach at least one contact list"):
        camp.set_status(db, cid, "running")
    lists.add_contact(db, empty, "+48600100701", "A")
    lists.add_contact(db, empty, "+48600100702", "B")
    sms.ensure_modem(db, "/dev/ttyUSB0")
    db.execute("UPDATE modems SET state = 'ready'")
    camp.set_status(db, cid, "running")
    with pytest.raises(StoreError, match="only a draft or a paused"):
        camp.save_campaign(db, "p", text="Changed while running")
    assert camp.feed(db) == {"p": 2}
    assert len(sms.outbox(db)) == 2
    camp.set_status(db, cid, "paused")                    # nothing claimed yet: both back
    assert sms.outbox(db) == [] and camp.progress(db, cid)["pending"] == 2
    assert camp.feed(db) == {}
    camp.set_status(db, cid, "running")
    db.execute("UPDATE modems SET state = 'not_registered'")
    assert camp.feed(db) == {"p": 0}                      # no modem ready: nothing queued
    with pytest.raises(StoreError, match="cannot go to that status"):
        camp.set_status(db, cid, "draft")
    camp.set_status(db, cid, "stopped")
    with pytest.raises(StoreError, match="cannot go to that status"):
        camp.set_status(db, cid, "running")


def test_messages_waiting_for_a_modem_that_went_away_go_to_another(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    list_id = make_list(db, "l", [(f"+4860010090{i}", "A", "1") for i in range(4)])
    cid = camp.save_campaign(db, "m", lists=[list_id], text="Hej", per_modem_per_min=10,
                             **ALWAYS)
    first, second = (sms.ensure_modem(db, f"/dev/ttyUSB{i}") for i in (0, 1))
    db.execute("UPDATE modems SET state = 'ready'")
    camp.set_status(db, cid, "running")
    assert camp.feed(db) == {"m": 4}

    def pinned() -> list[int]:
        return sorted(r[0] for r in db.execute("SELECT modem_id FROM sms_outbox"))
    assert pinned() == [first, first, second, second]
    sms.claim_next(db, second)                 # the second modem took one, then died
    sms.update_modem(db, second, state="absent")
    assert camp.feed(db) == {"m": 1}
    assert pinned() == [first, first, first, second]
    assert camp.progress(db, cid)["queued"] == 4


def test_outside_the_window_nothing_is_queued(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    list_id = make_list(db, "l", [("+48600100801", "A", "1")])
    now = time.mktime((2026, 11, 27, 21, 30, 0, 0, 0, -1))     # a Friday, 21:30 local
    cid = camp.save_campaign(db, "w", lists=[list_id], text="Hej", window_start="09:00",
                             window_end="20:00", weekdays="12345")
    sms.ensure_modem(db, "/dev/ttyUSB0")
    db.execute("UPDATE modems SET state = 'ready'")
    camp.set_status(db, cid, "running")
    assert camp.feed(db, now) == {}
    assert camp.progress(db, cid)["pending"] == 1
    assert camp.feed(db, now - 4 * 3600) == {"w": 1}        # 17:30 the same day


def test_opt_out_words():
    for text in ("STOP", "stop", " Stop. ", "s-t-o-p!", "NIE", "nie!!", "Nie."):
        assert camp.is_opt_out(text), text
    for text in ("nie wiem", "stop it", "STOPA", "Dziękuję"):
        assert not camp.is_opt_out(text), text
