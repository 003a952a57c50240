"""Import and export of CRM contacts (CRM-1): CSV/XLSX with a column mapping, vCard.

- CSV/XLSX files are read by appliance.campaigns.lists (encodings UTF-8/UTF-16/
  Windows-1250/ISO-8859-2, BOM, delimiter sniffing, XLSX).  `open_sheet` refuses a file
  that cannot be imported as a whole (empty, binary, no header row, rows with more
  columns than the header) before anything is written.
- `import_sheet` / `import_vcards` check every row and report each one not imported with
  its line and a fixed reason (PROBLEM_REASONS, translated by the panel) plus the value:
  no name, bad number, bad e-mail, unknown owner, bad custom field value, unreadable
  characters, duplicate of an existing contact by number (skipped or merged, the user's
  choice).  Rows are written in transactions of CHUNK rows.
- vCard 2.1/3.0/4.0 import: folded lines, quoted-printable and CHARSET params (2.1 exports
  of phones), escapes \\, \\; \\, \\n.  Export is vCard 3.0, UTF-8, escaped and folded at 75
  octets; CSV export is UTF-8 with a BOM (Excel), ',' or ';'.
"""
from __future__ import annotations

import csv
import io
import quopri
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from ..campaigns import lists
from ..store.db import StoreError, transaction
from . import contacts

CHUNK = 500
TARGETS = ("name", "first_name", "last_name", "kind", "company", "job_title", "phone", "email",
           "tags", "owner", "address", "about")
COMPANY_WORDS = ("company", "firma", "org", "organization", "organisation")
HEADER_GUESS = {
    "name": ("name", "nazwa", "imię i nazwisko", "imie i nazwisko", "full name", "fn",
             "kontakt", "contact"),
    "first_name": ("imię", "imie", "first name", "given name", "firstname"),
    "last_name": ("nazwisko", "last name", "surname", "family name", "lastname"),
    "kind": ("kind", "rodzaj", "typ"),
    "company": ("firma", "company", "organizacja", "organization", "organisation", "org"),
    "job_title": ("stanowisko", "job title", "title", "position", "funkcja"),
    "phone": ("telefon", "tel", "phone", "numer", "nr", "number", "komórka", "komorka",
              "mobile", "phones", "telefony", "gsm"),
    "email": ("e-mail", "email", "mail", "e-maile", "emails", "adres e-mail"),
    "tags": ("tagi", "tags", "tag", "etykiety", "kategorie", "categories"),
    "owner": ("opiekun", "owner", "właściciel", "wlasciciel", "agent"),
    "address": ("adres", "address", "ulica", "street"),
    "about": ("opis", "about", "notatka", "note", "notes", "uwagi", "komentarz"),
}
DUPLICATES = ("skip", "merge")
PROBLEM_REASONS = ("no name", "bad phone number", "bad e-mail", "unknown owner",
                   "bad custom field value", "characters the file's encoding cannot show",
                   "duplicate of an existing contact", "not saved")
LIST_SPLIT = re.compile(r"[,;\n]")


@dataclass
class Result:
    imported: int = 0
    merged: int = 0
    companies: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, detail)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "merged": self.merged, "companies": self.companies,
                "problems": [{"line": ln, "reason": r, "detail": d}
                             for ln, r, d in self.problems]}


# -- CSV / XLSX -----------------------------------------------------------------------------

def open_sheet(path: str | Path, filename: str = "") -> lists.Sheet:
    """The file opened for import; StoreError (nothing written) when it cannot be imported."""
    sheet = lists.read_file(path, filename)
    try:
        if not sheet.has_header:
            raise StoreError("The first row must name the columns (a header like Name;Phone;"
                             "E-mail); it holds data. Add a header row and upload the file again.")
        if sheet.total == 0:
            raise StoreError("The file has a header but no contacts.")
        width = len(sheet.header)
        ragged = [line for line, cells in sheet.rows()
                  if len([c for c in cells[width:] if c.strip()])]
        if ragged:
            shown = ", ".join(str(n) for n in ragged[:10]) + (" …" if len(ragged) > 10 else "")
            raise contacts.CrmError(
                "Rows with more columns than the header (lines {lines}): the file is damaged "
                "or a value holds an unquoted delimiter. Fix it and upload it again; nothing "
                "was imported.", lines=shown)
    except StoreError:
        sheet.close()
        raise
    return sheet


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("_", " "))


def guess_targets(header: list[str], field_names: Iterable[str]) -> list[str]:
    """A target per column: one of TARGETS, 'field:<name>' for a custom field, or ''."""
    fields = {f.lower(): f for f in field_names}
    out, taken = [], set()
    for title in header:
        plain = _plain(title)
        target = ""
        if plain in fields:
            target = f"field:{fields[plain]}"
        else:
            for key, names in HEADER_GUESS.items():
                if plain in names and (key not in taken or key in ("phone", "email")):
                    target = key
                    break
        taken.add(target)
        out.append(target)
    return out


def check_targets(db: sqlite_utils.Database, targets: list[str]) -> list[str]:
    field_names = {f["name"] for f in contacts.list_fields(db)}
    out = []
    for t in targets:
        t = (t or "").strip()
        if t and t not in TARGETS and not (t.startswith("field:") and t[6:] in field_names):
            raise contacts.CrmError("unknown column target {name!r}", name=t)
        out.append(t)
    if not {"name", "first_name", "last_name", "company"} & set(out):
        raise StoreError("Choose the column with the name (or first and last name, or the "
                         "company). Nothing was imported.")
    for single in TARGETS:
        if single not in ("phone", "email", "tags") and out.count(single) > 1:
            raise contacts.CrmError("Two columns are mapped to the same target ({name}).",
                                    name=single)
    return out


def _split(value: str) -> list[str]:
    return [v.strip() for v in LIST_SPLIT.split(value or "") if v.strip()]


def _row_data(cells: list[str], targets: list[str]) -> dict:
    data: dict[str, Any] = {"phones": [], "emails": [], "tags": [], "fields": {}}
    first = last = ""
    for value, target in zip(cells, targets):
        value = (value or "").strip()
        if not target or not value:
            continue
        if target == "phone":
            data["phones"] += [("mobile", v) for v in _split(value)]
        elif target == "email":
            data["emails"] += [("work", v) for v in _split(value)]
        elif target == "tags":
            data["tags"] += _split(value)
        elif target == "first_name":
            first = value
        elif target == "last_name":
            last = value
        elif target.startswith("field:"):
            data["fields"][target[6:]] = value
        else:
            data[target] = value
    if not data.get("name"):
        data["name"] = " ".join(p for p in (first, last) if p)
    if "kind" in data:
        data["kind"] = "company" if data["kind"].lower() in COMPANY_WORDS else "person"
    return data


def import_sheet(db: sqlite_utils.Database, sheet: lists.Sheet, targets: list[str], *,
                 duplicates: str = "skip", user: str = "", country: str = "48") -> Result:
    """Import the sheet's rows with `targets` (check_targets); every row not imported is
    in the result's problems."""
    targets = check_targets(db, targets)
    rows = ((line, (None if line in sheet.bad_text else _row_data(cells, targets)))
            for line, cells in sheet.rows() if any(c.strip() for c in cells))   # blank lines
    return _import(db, rows, duplicates=duplicates, user=user, country=country)


def _import(db, rows: Iterable[tuple[int, dict | None]], *, duplicates: str, user: str,
            country: str) -> Result:
    if duplicates not in DUPLICATES:
        raise StoreError("duplicates: skip or merge")
    result = Result()
    owners = {u["username"].lower(): u["id"] for u in contacts.owners(db)}
    company_ids: dict[str, int] = {}
    chunk: list[tuple[int, dict | None]] = []

    def flush() -> None:
        with transaction(db):
            for line, data in chunk:
                _import_one(db, line, data, result, owners, company_ids, duplicates, user,
                            country)
        chunk.clear()

    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return result


def _problem_of(message: str) -> str:
    if message.startswith("phone number"):
        return "bad phone number"
    if message.startswith("e-mail"):
        return "bad e-mail"
    if message.startswith("name"):
        return "no name"
    if message.startswith("no custom field") or ":" in message:
        return "bad custom field value"
    return "not saved"


def _import_one(db, line: int, data: dict | None, result: Result, owners: dict,
                company_ids: dict, duplicates: str, user: str, country: str) -> None:
    if data is None:
        result.problems.append((line, "characters the file's encoding cannot show", ""))
        return
    company = " ".join(str(data.pop("company", "") or "").split())
    if not data.get("name") and company:
        data["name"], data["kind"], company = company, "company", ""
    if not data.get("name"):
        result.problems.append((line, "no name", ""))
        return
    owner = str(data.pop("owner", "") or "").strip()
    if owner:
        if owner.lower() not in owners:
            result.problems.append((line, "unknown owner", owner))
            return
        data["owner_id"] = owners[owner.lower()]
    try:
        cleaned = contacts._clean(db, data, None, country)   # checks without writing
    except StoreError as exc:
        result.problems.append((line, _problem_of(str(exc)), str(exc)))
        return
    keys = [p[2] for p in cleaned["phones"] if len(p[2]) >= 3]
    existing = None
    if keys:
        marks = ",".join("?" * len(keys))
        existing = db.execute(f"SELECT p.contact_id, p.number FROM crm_phones p "
                              f"WHERE p.match_key IN ({marks}) ORDER BY p.contact_id LIMIT 1",
                              keys).fetchone()
    if existing and duplicates == "skip":
        name = db.execute("SELECT name FROM crm_contacts WHERE id = ?",
                          [existing[0]]).fetchone()[0]
        result.problems.append((line, "duplicate of an existing contact",
                                f"{existing[1]}: {name} (#{existing[0]})"))
        return
    if company:
        data["company_id"] = _company(db, company, company_ids, result, user)
    try:
        if existing:
            _merge(db, existing[0], data, country)
            result.merged += 1
        else:
            contacts.create_contact(db, data, user=user, source="import", country=country)
            result.imported += 1
    except StoreError as exc:
        result.problems.append((line, _problem_of(str(exc)), str(exc)))


def _company(db, name: str, cache: dict, result: Result, user: str) -> int:
    key = contacts.fold(name)
    if key not in cache:
        row = db.execute("SELECT id FROM crm_contacts WHERE kind = 'company' AND name = ? "
                         "COLLATE NOCASE ORDER BY id LIMIT 1", [name]).fetchone()
        if row:
            cache[key] = row[0]
        else:
            cache[key] = contacts.create_contact(db, {"kind": "company", "name": name},
                                                 user=user, source="import")
            result.companies += 1
    return cache[key]


def _merge(db, contact_id: int, data: dict, country: str) -> None:
    """Add the row's phones, e-mails and tags to the contact; fill its empty details."""
    old = contacts.get_contact(db, contact_id)
    merged = contacts.contact_data(old)
    for key in ("job_title", "address", "about", "company_id", "owner_id"):
        if not merged.get(key) and data.get(key):
            merged[key] = data[key]
    merged["phones"] += data.get("phones") or []
    merged["emails"] += data.get("emails") or []
    merged["tags"] += data.get("tags") or []
    for name, value in (data.get("fields") or {}).items():
        if not merged["fields"].get(name):
            merged["fields"][name] = value
    contacts.update_contact(db, contact_id, merged, country)


# -- vCard ------------------------------------------------------------------------------------

def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split_unescaped(value: str, sep: str) -> list[str]:
    parts, buf, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            buf.append(value[i:i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _logical_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, unfolded line): RFC folding (a line starting with a space or tab) and
    quoted-printable soft breaks (a QP line ending with '=')."""
    raw = re.split(rb"\r\n|\n|\r", data)
    current, start, qp = None, 0, False
    for number, line in enumerate(raw, start=1):
        if current is not None and qp and current.endswith(b"="):
            current = current[:-1] + line.lstrip(b" \t") if line[:1] in (b" ", b"\t") \
                else current[:-1] + line
            continue
        if current is not None and line[:1] in (b" ", b"\t"):
            current += line[1:]
            continue
        if current is not None:
            yield start, current
        current, start = line, number
        head = line.split(b":", 1)[0].upper()
        qp = b"QUOTED-PRINTABLE" in head
    if current is not None:
        yield start, current


def _parse_params(text: str) -> tuple[str, dict[str, list[str]]]:
    parts = _split_params(text)
    name = parts[0].split(".")[-1].upper()
    params: dict[str, list[str]] = {}
    for p in parts[1:]:
        if "=" in p:
            key, _eq, value = p.partition("=")
            values = [v.strip().strip('"') for v in value.split(",")]
            params.setdefault(key.strip().upper(), []).extend(values)
        else:   # vCard 2.1: bare TYPE values and encodings
            bare = p.strip().upper()
            if bare in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT"):
                params.setdefault("ENCODING", []).append(bare)
            else:
                params.setdefault("TYPE", []).append(bare)
    return name, params


def _split_params(text: str) -> list[str]:
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == ";" and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def _split_property(line: bytes) -> tuple[bytes, bytes] | None:
    quoted = False
    for i, b in enumerate(line):
        if b == 0x22:
            quoted = not quoted
        elif b == 0x3A and not quoted:
            return line[:i], line[i + 1:]
    return None


def _decode_value(raw: bytes, params: dict, file_encoding: str) -> str:
    encodings = [e.upper() for e in params.get("ENCODING", [])]
    if "QUOTED-PRINTABLE" in encodings:
        raw = quopri.decodestring(raw)
    charset = (params.get("CHARSET") or [""])[0] or file_encoding
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode(file_encoding, errors="replace")


TEL_LABELS = {"CELL": "mobile", "MOBILE": "mobile", "WORK": "work", "HOME": "home",
              "FAX": "fax"}


def parse_vcards(data: bytes) -> Iterator[tuple[int, dict | None]]:
    """(line of BEGIN:VCARD, contact data or None when the card is unreadable) per card."""
    if not data.strip():
        raise StoreError("The file is empty.")
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StoreError("This is not a vCard text file (it holds binary data).")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    _text, file_encoding = lists.decode_text(data)
    if not re.search(rb"BEGIN:VCARD", data, re.I):
        raise StoreError("This is not a vCard file: no BEGIN:VCARD.")
    card: dict | None = None
    start = 0
    for number, line in _logical_lines(data):
        if not line.strip():
            continue
        prop = _split_property(line)
        if prop is None:
            continue
        head, raw = prop
        name, params = _parse_params(head.decode("ascii", errors="replace"))
        if name == "BEGIN" and raw.strip().upper() == b"VCARD":
            card, start = {"phones": [], "emails": [], "tags": [], "fields": {},
                           "_n": "", "_fn": "", "_company_kind": False}, number
            continue
        if card is None:
            continue
        if name == "END":
            yield start, _finish_card(card)
            card = None
            continue
        value = _decode_value(raw, params, file_encoding)
        types = {t.upper() for t in params.get("TYPE", []) for t in t.split(",")}
        if name == "FN":
            card["_fn"] = _unescape(value).strip()
        elif name == "N":
            parts = [_unescape(p).strip() for p in _split_unescaped(value, ";")]
            parts += [""] * 5
            card["_n"] = " ".join(p for p in (parts[3], parts[1], parts[2], parts[0], parts[4])
                                  if p)
        elif name == "ORG":
            card["company"] = _unescape(_split_unescaped(value, ";")[0]).strip()
        elif name == "TITLE":
            card["job_title"] = _unescape(value).strip()
        elif name == "TEL":
            number_text = _unescape(value).strip()
            if number_text.lower().startswith("tel:"):
                number_text = number_text[4:]
            label = next((TEL_LABELS[t] for t in ("FAX", "CELL", "MOBILE", "WORK", "HOME")
                          if t in types), "other")
            card["phones"].append((label, number_text))
        elif name == "EMAIL":
            label = "home" if "HOME" in types else "work" if "WORK" in types else "other"
            card["emails"].append((label, _unescape(value).strip()))
        elif name == "ADR":
            parts = [_unescape(p).strip() for p in _split_unescaped(value, ";")]
            card["address"] = ", ".join(p for p in parts if p)
        elif name == "NOTE":
            card["about"] = _unescape(value).strip()
        elif name == "CATEGORIES":
            card["tags"] += [_unescape(t).strip() for t in _split_unescaped(value, ",")
                             if t.strip()]
        elif name == "KIND" and value.strip().lower() in ("org", "organization"):
            card["_company_kind"] = True
        elif name == "X-ABSHOWAS" and value.strip().upper() == "COMPANY":
            card["_company_kind"] = True
        elif name == "X-JNS-OWNER":
            card["owner"] = _unescape(value).strip()
        elif name == "X-JNS-FIELD":
            field_name = (params.get("X-NAME") or [""])[0]
            if field_name:
                card["fields"][field_name] = _unescape(value)
    if card is not None:
        yield start, None   # no END:VCARD: a truncated file


def _finish_card(card: dict) -> dict:
    name = card.pop("_fn") or card.pop("_n", "")
    card.pop("_n", None)
    if card.pop("_company_kind"):
        card["kind"] = "company"
        name = name or card.get("company", "")
        card.pop("company", None)
    card["name"] = name
    return card


def import_vcards(db: sqlite_utils.Database, data: bytes, *, duplicates: str = "skip",
                  user: str = "", country: str = "48") -> Result:
    cards = list(parse_vcards(data))    # a file error before anything is written
    rows = [(line, card) for line, card in cards]
    result = _import(db, [(ln, c) for ln, c in rows if c is not None], duplicates=duplicates,
                     user=user, country=country)
    for line, card in rows:
        if card is None:
            result.problems.append((line, "not saved", "the card has no END:VCARD"))
    result.problems.sort()
    return result


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\n", "\\n"))


def fold_line(line: str) -> str:
    """One content line folded at 75 octets (UTF-8 characters kept whole), CRLF ended."""
    data = line.encode("utf-8")
    out, limit = [], 75
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:   # not inside a UTF-8 character
            cut -= 1
        out.append(data[:cut])
        data = data[cut:]
        limit = 74          # continuation lines start with a space
    out.append(data)
    return "\r\n ".join(part.decode("utf-8") for part in out) + "\r\n"


def _param(value: str) -> str:
    value = value.replace('"', "'")
    return f'"{value}"' if re.search(r"[;:,\s]", value) else value


VCARD_TEL = {"mobile": "CELL", "work": "WORK,VOICE", "home": "HOME,VOICE", "fax": "FAX",
             "other": "VOICE"}


def vcard(contact: dict) -> str:
    """One get_contact() result as a vCard 3.0."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(contact['name'])}"]
    if contact["kind"] == "company":
        lines += ["N:;;;;", f"ORG:{_escape(contact['name'])}", "X-ABShowAs:COMPANY"]
    else:
        words = contact["name"].rsplit(" ", 1)
        family, given = (words[1], words[0]) if len(words) == 2 else (words[0], "")
        lines.append(f"N:{_escape(family)};{_escape(given)};;;")
        if contact.get("company"):
            lines.append(f"ORG:{_escape(contact['company'])}")
    if contact.get("job_title"):
        lines.append(f"TITLE:{_escape(contact['job_title'])}")
    for p in contact["phones"]:
        lines.append(f"TEL;TYPE={VCARD_TEL.get(p['label'], 'VOICE')}:{p['number']}")
    for e in contact["emails"]:
        kind = {"work": "INTERNET,WORK", "home": "INTERNET,HOME"}.get(e["label"], "INTERNET")
        lines.append(f"EMAIL;TYPE={kind}:{_escape(e['address'])}")
    if contact.get("address"):
        lines.append(f"ADR;TYPE=WORK:;;{_escape(contact['address'])};;;;")
    if contact.get("about"):
        lines.append(f"NOTE:{_escape(contact['about'])}")
    if contact.get("tags"):
        lines.append("CATEGORIES:" + ",".join(_escape(t) for t in contact["tags"]))
    if contact.get("owner"):
        lines.append(f"X-JNS-OWNER:{_escape(contact['owner'])}")
    for name, value in (contact.get("fields") or {}).items():
        lines.append(f"X-JNS-FIELD;X-NAME={_param(name)}:{_escape(str(value))}")
    lines.append(f"UID:jns-crm-{contact['id']}")
    lines.append("END:VCARD")
    return "".join(fold_line(ln) for ln in lines)


def export_vcards(db: sqlite_utils.Database, contact_ids: Iterable[int]) -> Iterator[str]:
    for cid in contact_ids:
        c = contacts.get_contact(db, cid)
        if c is not None:
            yield vcard(c)


# -- CSV export ---------------------------------------------------------------------------

CSV_COLUMNS = ("Name", "Kind", "Company", "Job title", "Phone", "E-mail", "Tags", "Owner",
               "Address", "About")


def export_csv(db: sqlite_utils.Database, contact_ids: Iterable[int], *,
               delimiter: str = ",") -> Iterator[str]:
    """The contacts as CSV text pieces: a BOM, the header, a row per contact (several
    phones, e-mails and tags in one cell, separated by ', ')."""
    if delimiter not in (",", ";"):
        raise StoreError("delimiter: , or ;")
    fields = [f["name"] for f in contacts.list_fields(db)]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(CSV_COLUMNS) + fields)
    yield "\ufeff" + buf.getvalue()
    for cid in contact_ids:
        c = contacts.get_contact(db, cid)
        if c is None:
            continue
        buf.seek(0)
        buf.truncate()
        writer.writerow([_csv_safe(v) for v in (
            c["name"], c["kind"], c["company"] or "", c["job_title"],
            ", ".join(p["number"] for p in c["phones"]),
            ", ".join(e["address"] for e in c["emails"]), ", ".join(c["tags"]),
            c["owner"] or "", c["address"], c["about"])]
            + [_csv_safe(c["fields"].get(f, "")) for f in fields])
        yield buf.getvalue()


NUMBERS = re.compile(r"[+\-][\d ]+(, \+?[\d ]+)*")   # phone numbers: not formulas


def _csv_safe(value: Any) -> str:
    """No formula injection when the file is opened in a spreadsheet ('+48...' stays)."""
    text = str(value or "")
    if text[:1] in ("=", "@") or (text[:1] in ("-", "+") and not NUMBERS.fullmatch(text)):
        return "'" + text
    return text
