"""SMS PDU codec: published vectors, what a user sees in long / Polish / emoji texts, and garbage."""
from __future__ import annotations

import datetime as dt

import pytest

from appliance.hal import pdu
from appliance.hal.pdu import PduError

CET = dt.timezone(dt.timedelta(hours=1))
WHEN = dt.datetime(2026, 11, 26, 5, 4, 3, tzinfo=CET)

# Published examples (dreamfabric.com/sms, quoted by many PDU tools, e.g. apla/jsPduDecoder).
HELLO_SUBMIT = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
HELLO_DELIVER = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
# Neoway N11 AT manual: "hello" in UCS-2 to 13421839693, no SMSC.
HELLO_UCS2_SUBMIT = "0001000B813124819396F300080A00680065006C006C006F"
# mobiletidings.com "combining SMS messages" (also a jsmpp-style test suite): three parts, ref 0.
LOREM_PARTS = [
    "0041000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB7416"
    "68FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE"
    "9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795"
    "DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7E7",
    "0041000B915121551532F40000A005000300030240EEF79C2EAF9341657C593E4ED3C3F4F4DB0DAAB3D9E1F6"
    "F80D6287C56F797A0E72A7E769509D0E0AB3D3F17A1A0E2AE341E53068FC6EB7DFE43768FC76CFCBF17A98EE"
    "22D6D37350B84E2F83D2F2BABC0C22BFD96F3928ED06C9CB7079195D7693CBF2341D947683EC6F761D4E0FD3"
    "CB207B999DA683CAF37919344EB3D9F53688FC66BFE5",
    "0041000B915121551532F4000090050003000303CAA0721D64AE9FD3613AC85D67B3C32078589E0ED3EB7257"
    "113F2EC3E9E5BA1C344FBBE9A0F7781C2E8FC374D0B80E4F93C3F4301DE47EBB4170F93B4D2EBBE92CD0BCEE"
    "A683D26ED0B8CE868741F17A1AF4369BD3E37418442ECFCBF2BA9B0E6ABFD9EC341D1476A7DBA03419549ED3"
    "41ECB0F82DAFB75D",
]
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quis nostrud "
         "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure "
         "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur."
         "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
         "mollit anim id est laborum.")
POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"


def texts_of(parts: list[pdu.Part]) -> list[str]:
    return [pdu.decode(p.pdu).text for p in parts]


# --- known vectors ---------------------------------------------------------------------------

def test_hellohello_submit_matches_the_published_pdu():
    parts = pdu.encode_submit("+46708251358", "hellohello", ref=0, want_report=False,
                              validity_minutes=4 * 24 * 60)
    assert parts == [pdu.Part(pdu=HELLO_SUBMIT, length=23)]


def test_published_deliver_decodes_sender_text_and_time_with_zone():
    msg = pdu.decode(HELLO_DELIVER)
    assert isinstance(msg, pdu.Deliver)
    assert msg.sender == "27838890001"
    assert msg.text == "hellohello"
    assert msg.encoding == "gsm7"
    assert msg.concat is None
    assert msg.timestamp == dt.datetime(1999, 3, 29, 15, 16, 59,
                                        tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_published_ucs2_submit_without_smsc_decodes():
    msg = pdu.decode(HELLO_UCS2_SUBMIT)
    assert msg == pdu.Submit(number="13421839693", text="hello", mr=0, want_report=False,
                             concat=None, encoding="ucs2")


def test_published_three_part_message_both_ways():
    decoded = [pdu.decode(p) for p in LOREM_PARTS]
    assert [m.concat for m in decoded] == [(0, 3, 1), (0, 3, 2), (0, 3, 3)]
    assert "".join(m.text for m in decoded) == LOREM
    assert [len(m.text) for m in decoded] == [153, 153, len(LOREM) - 306]
    parts = pdu.encode_submit("+15125551234", LOREM, ref=0, want_report=False)
    assert [p.pdu for p in parts] == LOREM_PARTS


def test_published_seven_bit_packing_of_a_pangram():
    parts = pdu.encode_submit("+48601234567", "The quick fox jumps over the lazy dog", ref=1,
                              want_report=False)
    assert parts[0].pdu.endswith(
        "2554741914AFA7C76B90F98D07A9EB6DF81CF4B697E5203ABA0C6287F57910F97D06")


def test_alphanumeric_sender_packed_like_published_example():
    hexpdu = pdu.encode_deliver("klarmobil", "Hallo", timestamp=WHEN)
    assert "10D06B7658DE7E8BD36C" in hexpdu      # length 16 semi-octets, TON 101, packed 7-bit
    msg = pdu.decode(hexpdu)
    assert (msg.sender, msg.text) == ("klarmobil", "Hallo")


# --- sending ---------------------------------------------------------------------------------

def test_length_for_cmgs_counts_octets_after_the_smsc_field():
    for text in ("hi", POLISH, LOREM):
        for part in pdu.encode_submit("+48601234567", text, ref=9):
            assert part.pdu.startswith("00")
            assert part.pdu == part.pdu.upper()
            assert part.length == len(part.pdu) // 2 - 1


def test_report_request_and_modem_assigned_reference():
    [with_report] = pdu.encode_submit("+48601234567", "Test", ref=0)
    [without] = pdu.encode_submit("+48601234567", "Test", ref=0, want_report=False)
    got = pdu.decode(with_report.pdu)
    assert got.want_report and got.mr == 0 and got.number == "+48601234567"
    assert not pdu.decode(without.pdu).want_report
    assert with_report.pdu[2:4] == "21" and without.pdu[2:4] == "01"


def test_national_number_keeps_its_digits_without_plus():
    [part] = pdu.encode_submit("601234567", "x", ref=0)
    assert "0981" in part.pdu                                 # 9 digits, TON unknown
    assert pdu.decode(part.pdu).number == "601234567"


def test_any_polish_letter_forces_ucs2_and_survives_the_round_trip():
    assert pdu.encoding_for("Dzien dobry, zamowienie 12 gotowe") == "gsm7"
    for letter in POLISH:
        assert pdu.encoding_for(f"Dzien dobry {letter}") == "ucs2"
    text = "Zażółć gęślą jaźń — Łódź"
    [part] = pdu.encode_submit("+48601234567", text, ref=0)
    got = pdu.decode(part.pdu)
    assert (got.text, got.encoding) == (text, "ucs2")


def test_gsm_alphabet_specials_stay_seven_bit():
    text = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà{}[]~^|\\€"
    assert pdu.encoding_for(text) == "gsm7"
    [part] = pdu.encode_submit("+48601234567", text, ref=0)
    assert pdu.decode(part.pdu).text == text


def test_160_gsm_chars_are_one_sms_and_161_are_two():
    assert pdu.split("a" * 160) == ("gsm7", ["a" * 160])
    assert len(pdu.encode_submit("+48601234567", "a" * 160, ref=1)) == 1
    enc, texts = pdu.split("a" * 161)
    assert (enc, [len(t) for t in texts]) == ("gsm7", [153, 8])
    parts = pdu.encode_submit("+48601234567", "a" * 161, ref=0x1234)
    got = [pdu.decode(p.pdu) for p in parts]
    assert [g.concat for g in got] == [(0x34, 2, 1), (0x34, 2, 2)]
    assert "".join(g.text for g in got) == "a" * 161


def test_70_polish_chars_are_one_sms_and_71_are_two():
    assert pdu.split("ą" * 70) == ("ucs2", ["ą" * 70])
    parts = pdu.encode_submit("+48601234567", "ż" * 71, ref=5)
    assert texts_of(parts) == ["ż" * 67, "ż" * 4]
    assert [pdu.decode(p.pdu).concat for p in parts] == [(5, 2, 1), (5, 2, 2)]


def test_extension_char_counts_two_and_is_not_cut_from_its_escape():
    assert len(pdu.split("€" * 80)[1]) == 1                  # 160 septets: still one SMS
    assert len(pdu.split("€" * 80 + "a")[1]) == 2
    text = "a" * 152 + "€" + "b" * 10                        # € would straddle 153
    parts = pdu.encode_submit("+48601234567", text, ref=3)
    assert texts_of(parts) == ["a" * 152, "€" + "b" * 10]
    assert "".join(texts_of(parts)) == text


def test_emoji_surrogate_pair_is_never_split():
    text = "ą" * 66 + "😀" + "ę" * 10                        # the pair would straddle unit 67
    enc, texts = pdu.split(text)
    assert enc == "ucs2" and texts == ["ą" * 66, "😀" + "ę" * 10]
    parts = pdu.encode_submit("+48601234567", text, ref=3)
    assert "".join(texts_of(parts)) == text
    assert pdu.split("😀" * 35) == ("ucs2", ["😀" * 35])      # 70 units fit one SMS


def test_emoji_cut_between_parts_by_a_foreign_phone_is_joined_back():
    raw = "ok 😀".encode("utf-16-be")
    first, second = raw[:8], raw[8:]                         # the pair cut in half
    hexes = []
    for seq, chunk in enumerate((first, second), start=1):
        text = chunk.decode("utf-16-be", "surrogatepass")
        hexes.append(pdu.encode_deliver("+48601234567", text, timestamp=WHEN, encoding="ucs2",
                                        concat=(1, 2, seq)))
    texts = [pdu.decode(h).text for h in hexes]
    assert pdu.join_texts(texts) == "ok 😀"
    assert pdu.join_texts([texts[0]]) == "ok \ufffd"          # the other half never came
    assert pdu.join_texts([texts[0]]).encode("utf-8")


def test_validity_period_is_at_least_what_was_asked():
    def vp(minutes: int) -> int:
        [p] = pdu.encode_submit("+48601234567", "x", ref=0, validity_minutes=minutes)
        assert p.pdu[2:4] == "31"                            # VPF relative + SRR + SUBMIT
        return int(p.pdu[26:28], 16)
    assert vp(5) == 0 and vp(60) == 11 and vp(12 * 60) == 143
    assert vp(24 * 60) == 167 and vp(2 * 24 * 60) == 168 and vp(4 * 24 * 60) == 170
    assert vp(7 * 24 * 60) == 173 and vp(63 * 7 * 24 * 60) == 255


def test_bad_numbers_and_impossible_texts_are_refused_clearly():
    with pytest.raises(PduError, match="not valid"):
        pdu.encode_submit("+48 abc", "x", ref=0)
    with pytest.raises(PduError, match="not valid"):
        pdu.encode_submit("", "x", ref=0)
    with pytest.raises(PduError, match="too long"):
        pdu.encode_submit("+48601234567", "a" * 153 * 256, ref=0)
    with pytest.raises(PduError, match="split it first"):
        pdu.encode_deliver("+48601234567", "a" * 161, timestamp=WHEN)


# --- receiving -------------------------------------------------------------------------------

def test_deliver_round_trip_with_zone_and_parts():
    east = dt.datetime(2026, 7, 1, 12, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45)))
    west = dt.datetime(2026, 7, 1, 12, 30, 0, tzinfo=dt.timezone(-dt.timedelta(hours=3, minutes=30)))
    for ts in (WHEN, east, west):
        msg = pdu.decode(pdu.encode_deliver("+48601234567", "Czesc", timestamp=ts))
        assert msg == pdu.Deliver(sender="+48601234567", text="Czesc", timestamp=ts, concat=None,
                                  encoding="gsm7")
        assert msg.timestamp.utcoffset() == ts.utcoffset()
    long_text = "Zamówienie nr 42 jest gotowe do odbioru. " * 5
    hexes = pdu.encode_deliver_parts("+48601234567", long_text, ref=200, timestamp=WHEN)
    got = [pdu.decode(h) for h in hexes]
    assert [g.concat for g in got] == [(200, 4, 1), (200, 4, 2), (200, 4, 3), (200, 4, 4)]
    assert all(g.encoding == "ucs2" for g in got)
    assert "".join(g.text for g in got) == long_text


def test_sixteen_bit_concatenation_reference_and_alphanumeric_sender():
    hexpdu = pdu.encode_deliver("Plus", "Twoje saldo: 12,50 zł", timestamp=WHEN,
                                concat=(0x1234, 3, 2))
    msg = pdu.decode(hexpdu)
    assert (msg.sender, msg.concat, msg.text) == ("Plus", (0x1234, 3, 2), "Twoje saldo: 12,50 zł")


def test_eight_bit_message_is_read_as_octets():
    hexpdu = pdu.encode_deliver("+48601234567", "\x00\x01AB\xff", timestamp=WHEN, encoding="8bit")
    msg = pdu.decode(hexpdu)
    assert (msg.encoding, msg.text) == ("8bit", "\x00\x01AB\xff")


def test_deliver_without_smsc_field():
    full = pdu.encode_deliver("+48601234567", "bez SMSC", timestamp=WHEN)
    smsc_octets = int(full[:2], 16)
    assert pdu.decode(full[2 + 2 * smsc_octets:], with_smsc=False).text == "bez SMSC"


# --- delivery reports ------------------------------------------------------------------------

@pytest.mark.parametrize("status, delivered, final", [
    (0x00, True, True),       # received by the phone
    (0x01, True, True),       # forwarded, delivery unconfirmed
    (0x02, True, True),       # replaced by the SC
    (0x20, False, False),     # congestion, SC still trying
    (0x30, False, False),     # SC still trying
    (0x41, False, True),      # incompatible destination: given up
    (0x46, False, True),      # validity period expired
    (0x64, False, True),      # error, SC no longer trying
])
def test_status_report_delivered_and_final(status, delivered, final):
    later = WHEN + dt.timedelta(seconds=7)
    hexpdu = pdu.encode_status_report(231, "+48601234567", status=status, timestamp=WHEN,
                                      discharge=later)
    rep = pdu.decode(hexpdu)
    assert isinstance(rep, pdu.StatusReport)
    assert (rep.mr, rep.recipient, rep.status) == (231, "+48601234567", status)
    assert (rep.timestamp, rep.discharge) == (WHEN, later)
    assert (rep.delivered, rep.final) == (delivered, final)


def test_status_report_as_some_modems_give_it_without_smsc():
    hexpdu = pdu.encode_status_report(7, "+48601234567", timestamp=WHEN, discharge=WHEN, smsc=None)
    assert hexpdu.startswith("00")
    rep = pdu.decode(hexpdu[2:], with_smsc=False)
    assert rep.mr == 7 and rep.delivered


# --- garbage ---------------------------------------------------------------------------------

@pytest.mark.parametrize("garbage, message", [
    ("", "empty PDU"),
    ("0011000", "odd number of hex digits"),
    ("00110G0B91", "not hexadecimal: 'G' at position 5"),
    (HELLO_DELIVER[:30], "PDU ends early"),
    (HELLO_DELIVER[:-4], "PDU ends early: 10 septets announced"),
    ("000300", "message type 3 is reserved"),
    ("FF0400", "SMSC length 255 is impossible"),
    ("0004" + "0B916407281553F8" + "0000" + "99139251619580" + "00", "not a valid date"),
])
def test_garbage_raises_pdu_error_saying_what_is_wrong(garbage, message):
    with pytest.raises(PduError, match=message):
        pdu.decode(garbage)


def test_pdu_error_is_a_value_error():
    assert issubclass(PduError, ValueError)
