"""SMS in PDU mode (3GPP TS 23.040 / 23.038): text <-> the hex a GSM modem speaks.

Pure functions only: the GSM driver hands this module text and numbers and gets back the
hex strings for AT+CMGS, or hands it the hex from +CMGR / +CMGL / +CDS and gets back who
wrote what and when.  It never touches a serial port, the database or the clock.

Text goes out in the GSM 7-bit default alphabet when every character is in it (or in its
extension table: € [ ] { } ~ ^ | \\ and form feed, two septets each); any other character,
among them every Polish letter (ą ć ę ł ń ó ś ź ż), makes the whole message UCS-2.  Long
texts are split into parts that carry a concatenation header (05 00 03 ref total seq).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

__all__ = [
    "PduError", "Part", "Deliver", "StatusReport", "Submit",
    "encoding_for", "split", "join_texts", "encode_submit", "decode",
    "encode_deliver", "encode_deliver_parts", "encode_status_report",
]


class PduError(ValueError):
    """A PDU that cannot be read or a message that cannot be written as one."""


# --- GSM 03.38 alphabet --------------------------------------------------------------------

# Index = septet value.  0x1B is the escape to the extension table (never text by itself).
GSM7_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(GSM7_DEFAULT) == 128
ESC = 0x1B
GSM7_EXTENSION = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}
_TO_SEPTET = {ch: i for i, ch in enumerate(GSM7_DEFAULT) if i != ESC}
_TO_EXT = {ch: code for code, ch in GSM7_EXTENSION.items()}

SINGLE_GSM7, PART_GSM7 = 160, 153    # septets
SINGLE_UCS2, PART_UCS2 = 70, 67      # UTF-16 code units
MAX_PARTS = 255

# TP-MTI (first octet, bits 0-1), as seen by the mobile: SC->MS 00 DELIVER, 10 STATUS-REPORT;
# MS->SC 01 SUBMIT.
MTI_DELIVER, MTI_SUBMIT, MTI_STATUS_REPORT = 0, 1, 2
TP_MMS = 0x04       # DELIVER/STATUS-REPORT: no more messages waiting
TP_VPF_RELATIVE = 0x10
TP_SRR = 0x20       # SUBMIT: status report requested (TP-SRI in DELIVER, TP-SRQ in a report)
TP_UDHI = 0x40

# An SMSC number for the PDUs we make up in the role of the network (simulator, tests).
DEFAULT_SMSC = "+48601000310"


def encoding_for(text: str) -> str:
    """"gsm7" when every character is in the GSM default alphabet or its extension, else "ucs2"."""
    for ch in text:
        if ch not in _TO_SEPTET and ch not in _TO_EXT:
            return "ucs2"
    return "gsm7"


def _cost(ch: str, encoding: str) -> int:
    if encoding == "gsm7":
        return 2 if ch in _TO_EXT else 1
    return 2 if ord(ch) > 0xFFFF else 1


def split(text: str) -> tuple[str, list[str]]:
    """(encoding, texts of the parts) for sending `text` as one SMS or as concatenated parts.

    One part holds 160 septets / 70 UCS-2 units; each part of a longer message 153 / 67
    (the rest is the concatenation header).  An extension character (two septets) and a
    surrogate pair (two UCS-2 units, e.g. an emoji) are never cut in half.
    """
    encoding = encoding_for(text)
    single, per_part = (SINGLE_GSM7, PART_GSM7) if encoding == "gsm7" else (SINGLE_UCS2, PART_UCS2)
    if sum(_cost(ch, encoding) for ch in text) <= single:
        return encoding, [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _cost(ch, encoding)
        if used + cost > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    if current:
        parts.append("".join(current))
    if len(parts) > MAX_PARTS:
        raise PduError(f"text too long for one SMS: {len(parts)} parts, at most {MAX_PARTS}")
    return encoding, parts


# --- septet packing ------------------------------------------------------------------------

def _septets(text: str) -> list[int]:
    out: list[int] = []
    for ch in text:
        if ch in _TO_SEPTET:
            out.append(_TO_SEPTET[ch])
        elif ch in _TO_EXT:
            out += [ESC, _TO_EXT[ch]]
        else:
            raise PduError(f"character {ch!r} is not in the GSM 7-bit alphabet; send the text as UCS-2")
    return out


def _pack(septets: list[int], fill_bits: int = 0) -> bytes:
    """Septets packed LSB first, after `fill_bits` zero bits (to align text after a UDH)."""
    out = bytearray()
    acc, nbits = 0, fill_bits
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def _unpack(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    out: list[int] = []
    acc, nbits, pos = 0, 0, 0
    skip = fill_bits
    while len(out) < count:
        while nbits < 7 + skip:
            if pos >= len(data):
                raise PduError(f"user data ends early: {count} septets announced, "
                               f"only {len(out)} present")
            acc |= data[pos] << nbits
            pos += 1
            nbits += 8
        if skip:
            acc >>= skip
            nbits -= skip
            skip = 0
        out.append(acc & 0x7F)
        acc >>= 7
        nbits -= 7
    return out


def _gsm7_text(septets: list[int]) -> str:
    out: list[str] = []
    escaped = False
    for s in septets:
        if escaped:
            # an unknown extension code shows as its default-table character (23.038 6.2.1.1)
            out.append(GSM7_EXTENSION.get(s, GSM7_DEFAULT[s] if s != ESC else " "))
            escaped = False
        elif s == ESC:
            escaped = True
        else:
            out.append(GSM7_DEFAULT[s])
    return "".join(out)


# --- addresses -----------------------------------------------------------------------------

_BCD_DIGITS = "0123456789*#abc"
TOA_INTERNATIONAL, TOA_UNKNOWN, TOA_ALPHANUMERIC = 0x91, 0x81, 0xD0


def _bcd(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    out = bytearray()
    for i in range(0, len(digits), 2):
        lo, hi = digits[i], digits[i + 1]
        out.append((0xF if hi == "F" else _BCD_DIGITS.index(hi)) << 4 | _BCD_DIGITS.index(lo))
    return bytes(out)


def _unbcd(data: bytes, ndigits: int | None = None) -> str:
    out: list[str] = []
    for b in data:
        for nib in (b & 0x0F, b >> 4):
            if nib == 0xF:
                continue
            out.append(_BCD_DIGITS[nib])
    return "".join(out if ndigits is None else out[:ndigits])


def _check_number(number: str) -> tuple[int, str]:
    digits = number.strip().replace(" ", "")
    toa = TOA_UNKNOWN
    if digits.startswith("+"):
        toa, digits = TOA_INTERNATIONAL, digits[1:]
    if not digits or len(digits) > 20 or any(c not in "0123456789*#" for c in digits):
        raise PduError(f"phone number {number!r} is not valid: use digits, optionally with a "
                       "leading + (e.g. +48601234567)")
    return toa, digits


def _address(number: str) -> bytes:
    """TP-DA / TP-OA / TP-RA: length in digits, type of address, swapped BCD."""
    toa, digits = _check_number(number)
    return bytes([len(digits), toa]) + _bcd(digits)


def _alnum_address(name: str) -> bytes:
    septets = _septets(name)
    if len(septets) > 11:
        raise PduError(f"alphanumeric sender {name!r} is longer than 11 characters")
    packed = _pack(septets)
    semi_octets = (len(septets) * 7 + 3) // 4
    return bytes([semi_octets, TOA_ALPHANUMERIC]) + packed


def _is_number(sender: str) -> bool:
    s = sender.strip().replace(" ", "")
    s = s[1:] if s.startswith("+") else s
    return bool(s) and all(c in "0123456789*#" for c in s)


def _smsc_field(smsc: str | None) -> bytes:
    if not smsc:
        return b"\x00"
    toa, digits = _check_number(smsc)
    bcd = _bcd(digits)
    return bytes([len(bcd) + 1, toa]) + bcd


# --- timestamps ----------------------------------------------------------------------------

def _swap(n: int) -> int:
    return (n % 10) << 4 | (n // 10)


def _scts(ts: _dt.datetime) -> bytes:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise PduError("timestamp must carry its time zone (a tz-aware datetime)")
    quarters = int(ts.utcoffset().total_seconds() // 900)
    neg = quarters < 0
    q = abs(quarters)
    if q > 79:
        raise PduError(f"time zone offset {ts.utcoffset()} is beyond what an SMS can say")
    tz = (q % 10) << 4 | (q // 10) | (0x08 if neg else 0)
    return bytes([_swap(ts.year % 100), _swap(ts.month), _swap(ts.day), _swap(ts.hour),
                  _swap(ts.minute), _swap(ts.second), tz])


def _unswap(b: int, what: str) -> int:
    lo, hi = b & 0x0F, b >> 4
    if lo > 9 or hi > 9:
        raise PduError(f"{what}: octet {b:02X} is not a decimal semi-octet pair")
    return lo * 10 + hi


def _parse_scts(data: bytes, what: str) -> _dt.datetime:
    year, month, day, hour, minute, second = (_unswap(b, what) for b in data[:6])
    tzb = data[6]
    if (tzb >> 4) > 9 or (tzb & 0x07) > 9:
        raise PduError(f"{what}: time zone octet {tzb:02X} is not valid")
    quarters = (tzb & 0x07) * 10 + (tzb >> 4)
    if tzb & 0x08:
        quarters = -quarters
    try:
        tz = _dt.timezone(_dt.timedelta(minutes=15 * quarters))
        century = 1900 if year >= 80 else 2000     # two-digit years: 80..99 are the 1900s
        return _dt.datetime(century + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise PduError(f"{what}: {data.hex().upper()} is not a valid date and time ({exc})") from exc


def _validity(minutes: int) -> int:
    """Relative TP-VP (23.040 9.2.3.12.1): the shortest period that is at least `minutes`."""
    if minutes <= 0:
        raise PduError(f"validity must be a positive number of minutes, not {minutes}")
    if minutes <= 144 * 5:
        return max(0, -(-minutes // 5) - 1)
    if minutes <= 24 * 60:
        return 143 + -(-(minutes - 12 * 60) // 30)
    if minutes <= 30 * 24 * 60:
        return 166 + -(-minutes // (24 * 60))
    weeks = -(-minutes // (7 * 24 * 60))
    return min(255, 192 + weeks)


# --- user data -----------------------------------------------------------------------------

DCS = {"gsm7": 0x00, "8bit": 0x04, "ucs2": 0x08}


def _concat_udh(concat: tuple[int, int, int] | None) -> bytes:
    if concat is None:
        return b""
    ref, total, seq = concat
    if not (1 <= total <= 255 and 1 <= seq <= total):
        raise PduError(f"concatenation part {seq} of {total} is not possible")
    if 0 <= ref <= 0xFF:
        return bytes([5, 0x00, 3, ref, total, seq])
    if ref <= 0xFFFF:
        return bytes([6, 0x08, 4, ref >> 8, ref & 0xFF, total, seq])
    raise PduError(f"concatenation reference {ref} does not fit in 16 bits")


def _user_data(text: str, encoding: str, udh: bytes) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) for one part; UDL in septets for gsm7, octets otherwise."""
    if encoding == "gsm7":
        septets = _septets(text)
        udh_bits = len(udh) * 8
        fill = (7 - udh_bits % 7) % 7
        udl = (udh_bits + fill) // 7 + len(septets)
        if udl > 160:
            raise PduError(f"text needs {udl} septets, one SMS holds 160: split it first")
        return udl, udh + _pack(septets, fill)
    if encoding == "ucs2":
        body = text.encode("utf-16-be", "surrogatepass")
    elif encoding == "8bit":
        body = text.encode("latin-1")
    else:
        raise PduError(f"unknown encoding {encoding!r} (gsm7, ucs2 or 8bit)")
    data = udh + body
    if len(data) > 140:
        raise PduError(f"text needs {len(data)} octets, one SMS holds 140: split it first")
    return len(data), data


def _dcs_encoding(dcs: int) -> str:
    group = dcs >> 4
    if group <= 0x07:                   # general data coding (00xx) / automatic deletion (01xx)
        if dcs & 0x20:
            return "8bit"               # compressed: hand the octets over as they are
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]
    if group in (0x0C, 0x0D):           # message waiting, discard / store, default alphabet
        return "gsm7"
    if group == 0x0E:                   # message waiting, store, UCS-2
        return "ucs2"
    if group == 0x0F:                   # data coding / message class
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"                       # reserved groups: the default alphabet (23.038 4)


def _parse_udh(udh: bytes) -> tuple[int, int, int] | None:
    concat = None
    i = 0
    while i + 2 <= len(udh):
        iei, ielen = udh[i], udh[i + 1]
        ie = udh[i + 2:i + 2 + ielen]
        if len(ie) < ielen:
            raise PduError(f"user data header element {iei:02X} is cut short")
        if iei == 0x00 and ielen == 3:
            concat = (ie[0], ie[1], ie[2])
        elif iei == 0x08 and ielen == 4:
            concat = (ie[0] << 8 | ie[1], ie[2], ie[3])
        i += 2 + ielen
    return concat


# --- reading -------------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise PduError(f"PDU ends early: {what} needs {n} octet(s) at octet {self.pos}, "
                           f"the PDU has {len(self.data)}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out

    def address(self, what: str) -> str:
        length = self.byte(f"{what} length")
        toa = self.byte(f"{what} type")
        raw = self.take((length + 1) // 2, what)
        if (toa & 0x70) == 0x50:        # alphanumeric, packed 7-bit
            return _gsm7_text(_unpack(raw, length * 4 // 7))
        digits = _unbcd(raw, length)
        return ("+" if (toa & 0x70) == 0x10 else "") + digits

    def user_data(self, encoding: str, udhi: bool) -> tuple[str, tuple[int, int, int] | None]:
        udl = self.byte("user data length")
        data = self.rest()
        udh = b""
        if udhi:
            if not data:
                raise PduError("PDU ends early: user data header announced but no user data")
            udh = data[:1 + data[0]]
            if len(udh) < 1 + data[0]:
                raise PduError("PDU ends early: user data header is cut short")
        concat = _parse_udh(udh[1:]) if udh else None
        if encoding == "gsm7":
            udh_bits = len(udh) * 8
            fill = (7 - udh_bits % 7) % 7
            count = udl - (udh_bits + fill) // 7
            if count < 0:
                raise PduError(f"user data length {udl} is shorter than its header")
            if len(data) < (udl * 7 + 7) // 8:
                raise PduError(f"PDU ends early: {udl} septets announced, only {len(data)} octets "
                               "of user data")
            return _gsm7_text(_unpack(data[len(udh):], count, fill)), concat
        if len(data) < udl:
            raise PduError(f"PDU ends early: {udl} octets of user data announced, only {len(data)}")
        body = data[len(udh):udl]
        if encoding == "ucs2":
            if len(body) % 2:
                body = body[:-1]        # a stray odd octet: keep what can be read
            return body.decode("utf-16-be", "surrogatepass"), concat
        return body.decode("latin-1"), concat


def _hex(pdu_hex: str) -> bytes:
    s = "".join(pdu_hex.split())
    if not s:
        raise PduError("empty PDU")
    if len(s) % 2:
        raise PduError(f"PDU has an odd number of hex digits ({len(s)}): it is cut or garbled")
    try:
        return bytes.fromhex(s)
    except ValueError:
        bad = next((i for i, c in enumerate(s) if c not in "0123456789abcdefABCDEF"), 0)
        raise PduError(f"PDU is not hexadecimal: {s[bad]!r} at position {bad}") from None


# --- messages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One SMS-SUBMIT ready for AT+CMGS=<length> followed by <pdu> and Ctrl-Z."""
    pdu: str        # uppercase hex, starting with "00": the modem uses its stored SMSC
    length: int     # TPDU octets (everything after the SMSC field)


@dataclass(frozen=True)
class Deliver:
    """An inbound SMS (or one part of a long one)."""
    sender: str
    text: str
    timestamp: _dt.datetime                     # when the SMSC got it, with its time zone
    concat: tuple[int, int, int] | None         # (ref, total, seq) for a part of a long SMS
    encoding: str                               # gsm7 | ucs2 | 8bit


@dataclass(frozen=True)
class StatusReport:
    """A delivery report for a message we sent, matched to it by `mr` (0..255)."""
    mr: int
    recipient: str
    status: int
    timestamp: _dt.datetime                     # when the SMSC accepted the message
    discharge: _dt.datetime                     # when it was delivered (or the last attempt)

    @property
    def delivered(self) -> bool:
        return 0x00 <= self.status <= 0x02

    @property
    def final(self) -> bool:
        return not 0x20 <= self.status <= 0x3F


@dataclass(frozen=True)
class Submit:
    """An outbound SMS as the network sees it (what the modem simulator receives)."""
    number: str
    text: str
    mr: int
    want_report: bool
    concat: tuple[int, int, int] | None
    encoding: str


def join_texts(texts: list[str]) -> str:
    """The text of a reassembled message from its parts' texts, in seq order.

    Some phones cut an emoji (a UTF-16 surrogate pair) between two parts; each part then
    decodes with half a pair.  Joining here puts such pairs back together, and anything
    still unpaired becomes U+FFFD, so the result is always valid Unicode (storable as UTF-8).
    """
    return "".join(texts).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


def encode_submit(number: str, text: str, *, ref: int, want_report: bool = True,
                  validity_minutes: int | None = None) -> list[Part]:
    """The SMS-SUBMIT PDUs for sending `text` to `number`, one per part.

    `ref` is the concatenation reference shared by the parts of one long message (only its
    low 8 bits are sent).  TP-MR is 0: the modem assigns the real one and answers it in
    "+CMGS: <mr>".
    """
    address = _address(number)
    encoding, texts = split(text)
    total = len(texts)
    parts: list[Part] = []
    for seq, chunk in enumerate(texts, start=1):
        udh = _concat_udh((ref & 0xFF, total, seq)) if total > 1 else b""
        first = MTI_SUBMIT
        if validity_minutes is not None:
            first |= TP_VPF_RELATIVE
        if want_report:
            first |= TP_SRR
        if udh:
            first |= TP_UDHI
        tpdu = bytes([first, 0x00]) + address + bytes([0x00, DCS[encoding]])
        if validity_minutes is not None:
            tpdu += bytes([_validity(validity_minutes)])
        udl, ud = _user_data(chunk, encoding, udh)
        tpdu += bytes([udl]) + ud
        parts.append(Part(pdu="00" + tpdu.hex().upper(), length=len(tpdu)))
    return parts


def encode_deliver(sender: str, text: str, *, timestamp: _dt.datetime,
                   concat: tuple[int, int, int] | None = None, encoding: str | None = None,
                   smsc: str | None = DEFAULT_SMSC) -> str:
    """One SMS-DELIVER as the network would hand it to a modem (hex with an SMSC field).

    A sender that is not a phone number is written as an alphanumeric sender ("Plus", "BANK").
    """
    encoding = encoding or encoding_for(text)
    udh = _concat_udh(concat)
    first = MTI_DELIVER | TP_MMS | (TP_UDHI if udh else 0)
    oa = _address(sender) if _is_number(sender) else _alnum_address(sender)
    udl, ud = _user_data(text, encoding, udh)
    tpdu = bytes([first]) + oa + bytes([0x00, DCS[encoding]]) + _scts(timestamp) + bytes([udl]) + ud
    return (_smsc_field(smsc) + tpdu).hex().upper()


def encode_deliver_parts(sender: str, text: str, *, ref: int,
                         timestamp: _dt.datetime) -> list[str]:
    """SMS-DELIVER PDUs for `text`, split into concatenated parts when it is long."""
    encoding, texts = split(text)
    if len(texts) == 1:
        return [encode_deliver(sender, text, timestamp=timestamp, encoding=encoding)]
    return [encode_deliver(sender, chunk, timestamp=timestamp, encoding=encoding,
                           concat=(ref, len(texts), seq))
            for seq, chunk in enumerate(texts, start=1)]


def encode_status_report(mr: int, recipient: str, *, status: int = 0,
                         timestamp: _dt.datetime, discharge: _dt.datetime,
                         smsc: str | None = DEFAULT_SMSC) -> str:
    """An SMS-STATUS-REPORT for message reference `mr` (hex with an SMSC field)."""
    if not 0 <= mr <= 255 or not 0 <= status <= 255:
        raise PduError(f"message reference {mr} and status {status} must be 0..255")
    tpdu = (bytes([MTI_STATUS_REPORT | TP_MMS, mr]) + _address(recipient) + _scts(timestamp)
            + _scts(discharge) + bytes([status]))
    return (_smsc_field(smsc) + tpdu).hex().upper()


def decode(pdu_hex: str, *, with_smsc: bool = True) -> Deliver | StatusReport | Submit:
    """Read one PDU as a modem gives it (+CMGR, +CMGL, +CDS); TP-MTI decides the type.

    `with_smsc=False` for a PDU without the leading SMSC field (some modems' +CDS).
    Raises PduError, saying what is wrong, for anything that is not a whole PDU.
    """
    r = _Reader(_hex(pdu_hex))
    if with_smsc:
        smsc_len = r.byte("SMSC length")
        if smsc_len > 12:
            raise PduError(f"SMSC length {smsc_len} is impossible (at most 12): "
                           "is this a PDU without the SMSC field?")
        r.take(smsc_len, "SMSC address")
    first = r.byte("first octet")
    mti = first & 0x03
    udhi = bool(first & TP_UDHI)
    if mti == MTI_DELIVER:
        sender = r.address("sender address")
        r.byte("protocol identifier")
        encoding = _dcs_encoding(r.byte("data coding scheme"))
        ts = _parse_scts(r.take(7, "service centre time stamp"), "service centre time stamp")
        text, concat = r.user_data(encoding, udhi)
        return Deliver(sender=sender, text=text, timestamp=ts, concat=concat, encoding=encoding)
    if mti == MTI_SUBMIT:
        mr = r.byte("message reference")
        number = r.address("destination address")
        r.byte("protocol identifier")
        encoding = _dcs_encoding(r.byte("data coding scheme"))
        vpf = (first >> 3) & 0x03
        if vpf == 2:
            r.take(1, "validity period")
        elif vpf in (1, 3):
            r.take(7, "validity period")
        text, concat = r.user_data(encoding, udhi)
        return Submit(number=number, text=text, mr=mr, want_report=bool(first & TP_SRR),
                      concat=concat, encoding=encoding)
    if mti == MTI_STATUS_REPORT:
        mr = r.byte("message reference")
        recipient = r.address("recipient address")
        ts = _parse_scts(r.take(7, "service centre time stamp"), "service centre time stamp")
        discharge = _parse_scts(r.take(7, "discharge time"), "discharge time")
        status = r.byte("status")
        return StatusReport(mr=mr, recipient=recipient, status=status, timestamp=ts,
                            discharge=discharge)
    raise PduError(f"first octet {first:02X}: message type 3 is reserved, not an SMS")
