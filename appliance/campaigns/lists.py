"""Contact lists (CMP-1): phone numbers in E.164, CSV/XLSX imports with progress, records by
hand, and the do-not-call list the dialer asks before every call.

- `normalise_phone()` turns what people type ('600-100-200', '(22) 123 45 67',
  '0048 600 100 200') into '+48600100200' or raises PhoneError with a reason a user
  understands; imports, the record form and the do-not-call list all use it.
- `read_file()` opens an uploaded CSV (the encoding found: BOM / UTF-8, else Windows-1250
  or ISO-8859-2 by which one gives Polish letters; the delimiter sniffed: , ; tab) or XLSX
  (openpyxl, read-only) as a header and rows numbered as a spreadsheet shows them.
- An import is one list_imports row: created at upload (status queued), given its column
  mapping, then `run_import()` works in a background thread with its own connection and
  commits every BATCH rows (the progress bar moves; a crash keeps every committed batch).
  Every row not imported gets a list_import_problems row (line, reason, the row as read):
  nothing is dropped silently.  UNIQUE(list_id, phone) makes a re-import add nothing twice.
- Do-not-call: global (campaign_id NULL) or per campaign; `dnc_blocked()` is the dial-time
  check.

No Flask here and no Asterisk: the panel calls these functions, the dialer calls
`dnc_blocked()`.  Errors are StoreError (ListError) with a message the panel shows.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from ..store.db import StoreError, open_db, transaction

BATCH = 2000                 # rows per committed batch of an import
PREVIEW_ROWS = 5
NATIONAL_DIGITS = {"48": 9}  # national significant number length, where it is fixed
MAX_FIELDS = 30
FIELD_RE = re.compile(r"^[^\W_][\w .-]{0,39}$")
RESERVED_FIELDS = {"phone", "name", "skip"}
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")

# what people call the phone and the name columns (lower case, no diacritics needed)
PHONE_HEADERS = ("telefon", "tel", "phone", "numer", "nr", "number", "msisdn", "komorka",
                 "komórka", "mobile", "gsm", "nr telefonu", "numer telefonu", "phone number",
                 "tel.", "nr tel", "nr tel.", "telephone")
NAME_HEADERS = ("imię", "imie", "nazwisko", "name", "imię i nazwisko", "imie i nazwisko",
                "first name", "last name", "surname", "firstname", "lastname", "full name",
                "klient", "nazwa", "osoba", "contact")

# bytes that are a Polish letter in one of the two 8-bit encodings and not in the other
CP1250_POLISH = frozenset(b"\xb9\x9c\x9f\xa5\x8c\x8f")      # ą ś ź Ą Ś Ź
ISO8859_2_POLISH = frozenset(b"\xb1\xb6\xbc\xa1\xa6\xac")   # ą ś ź Ą Ś Ź
C1_CONTROLS = re.compile("[\x80-\x9f]")
PHONE_CHARS = re.compile("\\+?[0-9 \t().\\-/+\xa0\u202f\u2013]+")   # no-break spaces, dashes
SCIENTIFIC = re.compile(r"[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+")
LETTER = re.compile(r"[^\W\d_]")
NOT_DIGITS = str.maketrans("", "", " \t().-/+\xa0\u202f\u2013")


class ListError(StoreError):
    """A list, a file or a record the user has to fix; the message says how."""


class PhoneError(ValueError):
    """A phone number that cannot be dialled; `reason` is a short fixed text
    ('too short', 'letters in the number', ...) the panel translates."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# -- phone numbers ----------------------------------------------------------------------------

def normalise_phone(raw: Any, country: str = "48") -> str:
    """The number as E.164 ('+48600100200'); national numbers get `country`'s code.

    Accepts spaces, dashes, dots, slashes and brackets; '+' or '00' starts an
    international number (8..15 digits after '+'); a national number with the country code
    in front and no '+' ('48600100200') is recognised by its length; a leading trunk '0'
    ('(022) 123 45 67') is dropped."""
    if raw is None:
        raise PhoneError("no number")
    text = str(raw).strip()
    if not text:
        raise PhoneError("no number")
    if not PHONE_CHARS.fullmatch(text):       # the common case skips these checks
        if SCIENTIFIC.fullmatch(text):
            raise PhoneError("number in scientific notation: digits were lost; "
                             "format the column as text")
        if LETTER.search(text):
            raise PhoneError("letters in the number")
        raise PhoneError("characters that are not part of a phone number")
    if "+" in text[1:]:
        raise PhoneError("a + only at the start of the number")
    digits = text.translate(NOT_DIGITS)
    if not digits:
        raise PhoneError("no number")
    international = text.startswith("+")
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if international:
        if digits.startswith("0"):
            raise PhoneError("a country code does not start with 0")
        national = NATIONAL_DIGITS.get(country)
        if national and digits.startswith(country):
            _check_length(len(digits) - len(country), national, national)
        else:
            _check_length(len(digits), 8, 15)
        return "+" + digits
    national = NATIONAL_DIGITS.get(country)
    if national:
        if len(digits) == national + 1 and digits.startswith("0"):
            digits = digits[1:]                     # (022) 123 45 67: the old trunk 0
        elif len(digits) == len(country) + national and digits.startswith(country):
            digits = digits[len(country):]          # 48600100200: the code without a +
        _check_length(len(digits), national, national)
        if digits.startswith("0"):
            raise PhoneError("a national number does not start with 0")
        return f"+{country}{digits}"
    digits = digits[1:] if digits.startswith("0") else digits
    _check_length(len(country) + len(digits), 8, 15)
    return f"+{country}{digits}"


def _check_length(n: int, low: int, high: int) -> None:
    if n < low:
        raise PhoneError("too short")
    if n > high:
        raise PhoneError("too long")


def phone_search_digits(text: str, country: str = "48") -> str:
    """Digits to look for when someone searches a list by number, in any format."""
    try:
        return normalise_phone(text, country)[1:]
    except PhoneError:
        return re.sub(r"\D", "", text)


# -- reading files ----------------------------------------------------------------------------

@dataclass
class Sheet:
    """An uploaded file opened for reading: its header and its data rows.

    `rows()` yields (line, cells) with the line as a spreadsheet numbers it (the header is
    line 1); cells are strings.  `bad_text` holds lines whose bytes fit no encoding."""
    kind: str                       # 'csv' | 'xlsx'
    encoding: str                   # utf-8, utf-16, cp1250, iso-8859-2 or xlsx
    header: list[str]
    has_header: bool
    total: int                      # data rows (the header not counted)
    _text: str | None = None
    _path: Path | None = None
    _book: Any = None
    _delimiter: str = ","
    bad_text: set[int] = field(default_factory=set)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        start = 2 if self.has_header else 1
        source = (self._csv_records() if self.kind == "csv"
                  else _xlsx_records(self._path, self._book))
        for line, cells in enumerate(source, start=1):
            if line < start:
                continue
            yield line, cells

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    def _csv_records(self) -> Iterator[list[str]]:
        return csv.reader(io.StringIO(self._text, newline=""), delimiter=self._delimiter)


def read_file(path: str | os.PathLike, filename: str = "") -> Sheet:
    """Open a CSV or XLSX file (chosen by its content, not only its name); ListError when
    it cannot be read, with what to do about it."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _read_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListError("This is an old Excel file (.xls); save it as .xlsx or CSV "
                        "and upload it again.")
    return _read_csv(path.read_bytes())


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding).  UTF-8 (with or without BOM) and UTF-16 with BOM are taken as
    they are; otherwise Windows-1250 or ISO-8859-2, whichever gives Polish letters (they
    differ in ą ś ź Ą Ś Ź).  Bytes the chosen encoding has no character for become U+FFFD;
    the rows holding one are reported, not imported."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", errors="replace")
    broken = as_utf8.count("\ufffd")
    letters = len(as_utf8) - len(as_utf8.encode("ascii", "ignore")) - broken
    if letters > broken:                # mostly UTF-8 with a few broken bytes
        return as_utf8, "utf-8"
    cp = sum(data.count(bytes([b])) for b in CP1250_POLISH)
    iso = sum(data.count(bytes([b])) for b in ISO8859_2_POLISH)
    if iso > cp:
        text = data.decode("iso-8859-2")
        return C1_CONTROLS.sub("\ufffd", text), "iso-8859-2"   # no text has C1 controls
    return data.decode("cp1250", errors="replace"), "cp1250"


def _read_csv(data: bytes) -> Sheet:
    if not data.strip():
        raise ListError("The file is empty.")
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ListError("This is not a CSV text file (it holds binary data); "
                        "upload a CSV or an XLSX file.")
    text, encoding = decode_text(data)
    delimiter = _sniff_delimiter(text[:65536])
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(records)
        bad = {1} if "\ufffd" in "".join(first) else set()
        total = 0
        for line, row in enumerate(records, start=2):
            total += 1
            if "\ufffd" in "".join(row):
                bad.add(line)
    except csv.Error as exc:
        raise ListError(f"The CSV file cannot be read: {exc}") from None
    has_header = _looks_like_header(first)
    if not has_header:
        total += 1
    header = _header(first, has_header)
    return Sheet("csv", encoding, header, has_header, total, _text=text,
                 _delimiter=delimiter, bad_text=bad)


def _sniff_delimiter(sample: str) -> str:
    """, ; or tab, whichever splits the first lines into the same number of columns
    (Polish Excel writes ';')."""
    lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    best, best_score = ",", -1
    for d in (";", "\t", ","):
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if not counts or max(counts) < 2:
            continue
        steady = max(counts.count(c) for c in set(counts))
        score = steady * 100 + max(counts)
        if score > best_score:
            best, best_score = d, score
    return best


def _looks_like_header(cells: list[str]) -> bool:
    """A first row holding a phone number is data, not a header (a file of bare numbers)."""
    for cell in cells:
        try:
            normalise_phone(cell)
            return False
        except PhoneError:
            continue
    return True


def _header(first: list[Any], has_header: bool) -> list[str]:
    if has_header:
        return [cell_text(c).strip() or f"#{i + 1}" for i, c in enumerate(first)]
    return [f"#{i + 1}" for i in range(len(first))]


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: 600100200 stored as a number (or 48600100200.0, shown
    by Excel as 4.86001E+10) is its digits, not '6.001e+08'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _open_workbook(path: Path):
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise ListError("XLSX files need the python3-openpyxl package; "
                        "upload the list as CSV instead") from None
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ListError("The XLSX file cannot be read: it is damaged or incomplete "
                        f"({type(exc).__name__}). Save it again in Excel or "
                        "upload it as CSV.") from None


def _xlsx_records(path: Path, book=None) -> Iterator[list[str]]:
    """The first sheet's rows as text; `book` (already open) saves loading the shared
    strings again, which is most of the time of opening a big file."""
    own = book is None
    if own:
        book = _open_workbook(path)
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(c) for c in row]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ListError("The XLSX file cannot be read: it is damaged or incomplete "
                        f"({type(exc).__name__}).") from None
    finally:
        if own:
            book.close()


def _read_xlsx(path: Path) -> Sheet:
    """The first row and the number of the sheet's last row, read from its XML (openpyxl's
    read-only max_row parses the whole sheet when the file has no <dimension>); the
    workbook stays open for rows() until close()."""
    book = _open_workbook(path)
    try:
        sheet = book.worksheets[0]
        first = next(sheet.iter_rows(max_row=1, values_only=True), None)
        last = _xlsx_last_row(path, getattr(sheet, "_worksheet_path", None))
        if last is None:
            last = sum(1 for _row in _xlsx_records(path, book))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, IndexError) as exc:
        book.close()
        raise ListError("The XLSX file cannot be read: it is damaged or incomplete "
                        f"({type(exc).__name__}).") from None
    if first is None or (not any(c is not None for c in first) and last <= 1):
        book.close()
        raise ListError("The file is empty.")
    first = [cell_text(c) for c in first]
    has_header = _looks_like_header(first)
    total = last - 1 if has_header else last
    return Sheet("xlsx", "xlsx", _header(first, has_header), has_header, total, _path=path,
                 _book=book)


ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')


def _xlsx_last_row(path: Path, sheet_path: str | None) -> int | None:
    """The number of the sheet's last row, read from its XML without parsing it (a file
    written without a <dimension>, e.g. by openpyxl's write-only mode)."""
    if not sheet_path:
        return None
    last, tail = None, b""
    try:
        with zipfile.ZipFile(path) as z, z.open(sheet_path.lstrip("/")) as f:
            while chunk := f.read(1 << 20):
                data = tail + chunk
                at = data.rfind(b"<row")
                if at < 0:
                    at = data.rfind(b":row")
                found = ROW_NUMBER.match(data, at) if at >= 0 else None
                if found is None and at >= 0:
                    found = ROW_NUMBER.search(data, max(0, at - 1))
                if found:
                    last = int(found.group(1))
                tail = data[-200:]
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    return last


def preview(sheet: Sheet, n: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first data rows, padded to the header's width, for the mapping page."""
    out = []
    for _line, cells in sheet.rows():
        out.append((cells + [""] * len(sheet.header))[:len(sheet.header)])
        if len(out) >= n:
            break
    return out


# -- column mapping -----------------------------------------------------------------------------

def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("_", " ").replace("-", " "))


def guess_mapping(header: list[str], sheet: Sheet | None = None) -> list[str]:
    """A target per column: 'phone' (the first phone-like header, else the first column
    whose values are numbers), 'name' (name-like headers; several are joined, e.g.
    Imię + Nazwisko), else the header as a custom field."""
    out: list[str] = []
    phone_taken = False
    for title in header:
        plain = _plain(title)
        if not phone_taken and plain in PHONE_HEADERS:
            out.append("phone")
            phone_taken = True
        elif plain in NAME_HEADERS:
            out.append("name")
        elif title.startswith("#") or not field_name_ok(title):
            out.append("skip")
        else:
            out.append(title.strip())
    if not phone_taken and sheet is not None:
        rows = preview(sheet, 20)
        for i in range(len(header)):
            values = [r[i] for r in rows if r[i].strip()]
            if values and sum(_is_phone(v) for v in values) * 2 > len(values):
                out[i] = "phone"
                break
    return out


def _is_phone(value: str) -> bool:
    try:
        normalise_phone(value)
        return True
    except PhoneError:
        return False


def field_name_ok(name: str) -> bool:
    return bool(FIELD_RE.match(name.strip())) and _plain(name) not in RESERVED_FIELDS


def check_mapping(targets: list[str]) -> list[str]:
    """The mapping, validated: exactly one phone column; field names usable."""
    targets = [t.strip() for t in targets]
    phones = targets.count("phone")
    if phones == 0:
        raise ListError("No column holds the phone number: choose the phone column. "
                        "Nothing was imported.")
    if phones > 1:
        raise ListError("Only one column can hold the phone number.")
    for t in targets:
        if t not in RESERVED_FIELDS and not field_name_ok(t):
            raise ListError(f"Field name {t!r}: 1-40 letters, digits, spaces, '.', '_' or '-', "
                            "starting with a letter or digit, and not phone, name or skip.")
    fields = [t for t in targets if t not in RESERVED_FIELDS]
    if len({f.lower() for f in fields}) != len(fields):
        raise ListError("Two columns are mapped to the same field.")
    return targets


# -- lists --------------------------------------------------------------------------------------

def _list_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise ListError("List name: 1 to 80 characters.")
    return name


def _country(country: str) -> str:
    country = (country or "48").strip().lstrip("+")
    if not re.fullmatch(r"[1-9][0-9]{0,2}", country):
        raise ListError("Country code: 1 to 3 digits, like 48.")
    return country


def create_list(db: sqlite_utils.Database, name: str, *, description: str = "",
                country: str = "48", fields: list[str] | tuple = (), user: str = "") -> int:
    name, country = _list_name(name), _country(country)
    fields = [f.strip() for f in fields]
    for f in fields:
        if not field_name_ok(f):
            raise ListError(f"Field name {f!r}: 1-40 letters, digits, spaces, '.', '_' or '-', "
                            "starting with a letter or digit, and not phone, name or skip.")
    try:
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO contact_lists (name, description, fields, country, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                [name, (description or "").strip(), json.dumps(fields, ensure_ascii=False),
                 country, time.time(), user])
    except Exception as exc:
        if "UNIQUE" in str(exc):
            raise ListError(f"A list named {name!r} already exists.") from None
        raise
    return int(cur.lastrowid)


def update_list(db: sqlite_utils.Database, list_id: int, *, name: str, description: str = "",
                country: str = "48") -> None:
    name, country = _list_name(name), _country(country)
    if get_list(db, list_id) is None:
        raise ListError("There is no such list.")
    try:
        with transaction(db):
            db.execute("UPDATE contact_lists SET name = ?, description = ?, country = ? "
                       "WHERE id = ?", [name, (description or "").strip(), country, list_id])
    except Exception as exc:
        if "UNIQUE" in str(exc):
            raise ListError(f"A list named {name!r} already exists.") from None
        raise


def delete_list(db: sqlite_utils.Database, list_id: int) -> None:
    """Refused while a running or paused campaign dials the list: its contacts' progress
    would vanish mid-campaign."""
    busy = [r[0] for r in db.execute(
        "SELECT c.name FROM campaign_lists cl JOIN campaigns c ON c.id = cl.campaign_id "
        "WHERE cl.list_id = ? AND c.status IN ('running', 'paused') ORDER BY c.name",
        [list_id])]
    if busy:
        raise ListError(f"The list is used by the campaign {', '.join(busy)}; stop the campaign "
                        "or take the list out of it first.")
    with transaction(db):
        db.execute("DELETE FROM contact_lists WHERE id = ?", [list_id])


def get_list(db: sqlite_utils.Database, list_id: int) -> dict | None:
    row = db.execute("SELECT id, name, description, fields, country, created_at, created_by, "
                     "(SELECT count(*) FROM contacts WHERE list_id = l.id) FROM contact_lists l "
                     "WHERE id = ?", [list_id]).fetchone()
    if row is None:
        return None
    keys = ("id", "name", "description", "fields", "country", "created_at", "created_by",
            "contacts")
    out = dict(zip(keys, row))
    out["fields"] = json.loads(out["fields"])
    return out


def all_lists(db: sqlite_utils.Database) -> list[dict]:
    """Every list with its number of contacts, campaigns and last import."""
    rows = db.execute(
        "SELECT l.id, l.name, l.description, l.fields, l.country, l.created_at, "
        "(SELECT count(*) FROM contacts c WHERE c.list_id = l.id), "
        "(SELECT group_concat(name, ', ') FROM campaigns k JOIN campaign_lists cl "
        " ON cl.campaign_id = k.id WHERE cl.list_id = l.id), "
        "(SELECT max(created_at) FROM list_imports i WHERE i.list_id = l.id) "
        "FROM contact_lists l ORDER BY l.name COLLATE NOCASE").fetchall()
    keys = ("id", "name", "description", "fields", "country", "created_at", "contacts",
            "campaigns", "last_import")
    out = []
    for r in rows:
        d = dict(zip(keys, r))
        d["fields"] = json.loads(d["fields"])
        out.append(d)
    return out


def add_fields(db: sqlite_utils.Database, list_id: int, names: list[str]) -> list[str]:
    """Add custom fields (those already there are kept once); the list's fields after."""
    lst = get_list(db, list_id)
    if lst is None:
        raise ListError("There is no such list.")
    fields = list(lst["fields"])
    have = {f.lower() for f in fields}
    for name in names:
        name = name.strip()
        if not field_name_ok(name):
            raise ListError(f"Field name {name!r}: 1-40 letters, digits, spaces, '.', '_' or '-', "
                            "starting with a letter or digit, and not phone, name or skip.")
        if name.lower() not in have:
            fields.append(name)
            have.add(name.lower())
    if len(fields) > MAX_FIELDS:
        raise ListError(f"A list has at most {MAX_FIELDS} custom fields.")
    with transaction(db):
        db.execute("UPDATE contact_lists SET fields = ? WHERE id = ?",
                   [json.dumps(fields, ensure_ascii=False), list_id])
    return fields


def remove_field(db: sqlite_utils.Database, list_id: int, name: str) -> None:
    """Remove a custom field and its value from every record of the list."""
    lst = get_list(db, list_id)
    if lst is None or name not in lst["fields"]:
        raise ListError("There is no such field.")
    fields = [f for f in lst["fields"] if f != name]
    with transaction(db):
        db.execute("UPDATE contact_lists SET fields = ? WHERE id = ?",
                   [json.dumps(fields, ensure_ascii=False), list_id])
        db.execute("UPDATE contacts SET fields = json_remove(fields, ?) WHERE list_id = ?",
                   ['$."' + name + '"', list_id])


# -- records ----------------------------------------------------------------------------------

CONTACT_KEYS = ("id", "list_id", "phone", "name", "fields", "created_at")


def _contact(row) -> dict:
    d = dict(zip(CONTACT_KEYS, row))
    d["fields"] = json.loads(d["fields"])
    return d


def contacts(db: sqlite_utils.Database, list_id: int, *, search: str = "", offset: int = 0,
             limit: int = 50) -> tuple[list[dict], int]:
    """A page of the list's records and how many match; `search` finds a number in any
    format, a name or a field value."""
    where, args = "list_id = ?", [list_id]
    search = (search or "").strip()
    if search:
        lst = get_list(db, list_id)
        digits = phone_search_digits(search, lst["country"] if lst else "48")
        like = f"%{search}%"
        parts = ["name LIKE ?", "fields LIKE ?"]
        args_s: list[Any] = [like, like]
        if len(digits) >= 3:
            parts.append("phone LIKE ?")
            args_s.append(f"%{digits}%")
        where += f" AND ({' OR '.join(parts)})"
        args += args_s
    total = db.execute(f"SELECT count(*) FROM contacts WHERE {where}", args).fetchone()[0]
    rows = db.execute(f"SELECT {', '.join(CONTACT_KEYS)} FROM contacts WHERE {where} "
                      "ORDER BY id LIMIT ? OFFSET ?", args + [limit, offset]).fetchall()
    return [_contact(r) for r in rows], total


def get_contact(db: sqlite_utils.Database, contact_id: int) -> dict | None:
    row = db.execute(f"SELECT {', '.join(CONTACT_KEYS)} FROM contacts WHERE id = ?",
                     [contact_id]).fetchone()
    return _contact(row) if row else None


def _record(db, list_id: int, phone: str, name: str, fields: dict) -> tuple[str, str, str]:
    lst = get_list(db, list_id)
    if lst is None:
        raise ListError("There is no such list.")
    try:
        e164 = normalise_phone(phone, lst["country"])
    except PhoneError as exc:
        raise ListError(f"Phone number {phone!r}: {exc.reason}.") from None
    unknown = set(fields) - set(lst["fields"])
    if unknown:
        raise ListError(f"The list has no field {sorted(unknown)[0]!r}.")
    values = {k: str(v).strip() for k, v in fields.items() if str(v).strip()}
    return e164, (name or "").strip(), json.dumps(values, ensure_ascii=False)


def add_contact(db: sqlite_utils.Database, list_id: int, phone: str, name: str = "",
                fields: dict | None = None) -> int:
    e164, name, values = _record(db, list_id, phone, name, fields or {})
    try:
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO contacts (list_id, phone, name, fields, created_at) "
                "VALUES (?, ?, ?, ?, ?)", [list_id, e164, name, values, time.time()])
    except Exception as exc:
        if "UNIQUE" in str(exc):
            raise ListError(f"{e164} is already in this list.") from None
        raise
    return int(cur.lastrowid)


def update_contact(db: sqlite_utils.Database, contact_id: int, phone: str, name: str = "",
                   fields: dict | None = None) -> None:
    current = get_contact(db, contact_id)
    if current is None:
        raise ListError("There is no such record.")
    e164, name, values = _record(db, current["list_id"], phone, name, fields or {})
    try:
        with transaction(db):
            db.execute("UPDATE contacts SET phone = ?, name = ?, fields = ? WHERE id = ?",
                       [e164, name, values, contact_id])
    except Exception as exc:
        if "UNIQUE" in str(exc):
            raise ListError(f"{e164} is already in this list.") from None
        raise


def delete_contact(db: sqlite_utils.Database, contact_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM contacts WHERE id = ?", [contact_id])


# -- imports ----------------------------------------------------------------------------------

IMPORT_KEYS = ("id", "list_id", "filename", "status", "encoding", "mapping", "total_rows",
               "done_rows", "imported", "invalid", "duplicates", "error", "created_at",
               "created_by", "finished_at")


def create_import(db: sqlite_utils.Database, list_id: int, filename: str, sheet: Sheet,
                  user: str = "") -> int:
    """The import of an uploaded (and readable) file; queued until its mapping is set."""
    if get_list(db, list_id) is None:
        raise ListError("There is no such list.")
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO list_imports (list_id, filename, status, encoding, total_rows, "
            "created_at, created_by) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            [list_id, filename[:200], sheet.encoding, sheet.total, time.time(), user])
    return int(cur.lastrowid)


def get_import(db: sqlite_utils.Database, import_id: int) -> dict | None:
    row = db.execute(f"SELECT {', '.join(IMPORT_KEYS)} FROM list_imports WHERE id = ?",
                     [import_id]).fetchone()
    if row is None:
        return None
    out = dict(zip(IMPORT_KEYS, row))
    out["mapping"] = json.loads(out["mapping"])
    return out


def list_imports(db: sqlite_utils.Database, list_id: int, limit: int = 10) -> list[dict]:
    rows = db.execute(f"SELECT {', '.join(IMPORT_KEYS)} FROM list_imports WHERE list_id = ? "
                      "ORDER BY id DESC LIMIT ?", [list_id, limit]).fetchall()
    out = []
    for r in rows:
        d = dict(zip(IMPORT_KEYS, r))
        d["mapping"] = json.loads(d["mapping"])
        out.append(d)
    return out


def set_mapping(db: sqlite_utils.Database, import_id: int, targets: list[str],
                has_header: bool) -> None:
    """Save the chosen mapping (validated) and add new field names to the list; the import
    then runs.  Stored as {"header": bool, "columns": {"<index>": target}}."""
    imp = get_import(db, import_id)
    if imp is None:
        raise ListError("There is no such import.")
    if imp["status"] != "queued":
        raise ListError("This import has already run.")
    targets = check_mapping(targets)
    new_fields = [t for t in targets if t not in RESERVED_FIELDS]
    add_fields(db, imp["list_id"], new_fields)
    mapping = {"header": bool(has_header),
               "columns": {str(i): t for i, t in enumerate(targets) if t != "skip"}}
    with transaction(db):
        db.execute("UPDATE list_imports SET mapping = ?, status = 'running' WHERE id = ?",
                   [json.dumps(mapping, ensure_ascii=False), import_id])


def fail_import(db: sqlite_utils.Database, import_id: int, error: str) -> None:
    with transaction(db):
        db.execute("UPDATE list_imports SET status = 'failed', error = ?, finished_at = ? "
                   "WHERE id = ?", [error, time.time(), import_id])


def run_import(db_path: str, import_id: int, path: str | os.PathLike, *,
               batch: int = BATCH, remove_file: bool = True) -> None:
    """Import the file's rows by its mapping; ends 'done' or 'failed' (with the reason).
    Opens its own connection: call it in the thread that does the work."""
    db = open_db(db_path, migrate=False)
    try:
        try:
            _import_rows(db, import_id, Path(path), batch)
        except Exception as exc:   # the user reads the reason on the import's page
            message = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            fail_import(db, import_id, message)
            return
        with transaction(db):   # the rows read are the file's rows (XLSX sizes are estimates)
            db.execute("UPDATE list_imports SET status = 'done', total_rows = done_rows, "
                       "finished_at = ? WHERE id = ?", [time.time(), import_id])
    finally:
        db.conn.close()
        if remove_file:
            try:
                os.unlink(path)
            except OSError:
                pass


def _import_rows(db: sqlite_utils.Database, import_id: int, path: Path, batch: int) -> None:
    imp = get_import(db, import_id)
    if imp is None:
        return
    sheet = read_file(path, imp["filename"])
    try:
        _import_sheet(db, imp, sheet, batch)
    finally:
        sheet.close()


def _import_sheet(db: sqlite_utils.Database, imp: dict, sheet: Sheet, batch: int) -> None:
    import_id = imp["id"]
    lst = get_list(db, imp["list_id"])
    detected = sheet.has_header
    sheet.has_header = bool(imp["mapping"].get("header", detected))
    total = sheet.total + int(detected) - int(sheet.has_header)
    columns = {int(k): v for k, v in imp["mapping"].get("columns", {}).items()}
    phone_col = next((i for i, t in columns.items() if t == "phone"), None)
    if phone_col is None:
        raise ListError("No column holds the phone number: choose the phone column. "
                        "Nothing was imported.")
    name_cols = sorted(i for i, t in columns.items() if t == "name")
    field_cols = sorted((i, t) for i, t in columns.items() if t not in RESERVED_FIELDS)
    country = lst["country"]
    existing = {r[0] for r in db.execute("SELECT phone FROM contacts WHERE list_id = ?",
                                         [imp["list_id"]])}
    seen: dict[str, int] = {}
    list_id = imp["list_id"]
    with transaction(db):
        db.execute("UPDATE list_imports SET status = 'running', total_rows = ?, done_rows = 0 "
                   "WHERE id = ?", [total, import_id])
    counts = {"done": 0, "imported": 0, "invalid": 0, "duplicates": 0}
    new_rows: list[tuple] = []
    problems: list[tuple] = []
    now = time.time()
    raw_delim = ";" if sheet.kind == "xlsx" else sheet._delimiter

    def flush() -> None:
        with transaction(db):
            before = db.conn.total_changes
            db.conn.executemany(
                "INSERT OR IGNORE INTO contacts (list_id, phone, name, fields, created_at) "
                "VALUES (?, ?, ?, ?, ?)", new_rows)
            added = db.conn.total_changes - before
            counts["imported"] += added
            # a record typed in by hand while the import ran: the same number, not added twice
            counts["duplicates"] += len(new_rows) - added
            db.conn.executemany(
                "INSERT OR REPLACE INTO list_import_problems (import_id, line, reason, detail, "
                "raw) VALUES (?, ?, ?, ?, ?)", problems)
            db.execute("UPDATE list_imports SET done_rows = ?, imported = ?, invalid = ?, "
                       "duplicates = ? WHERE id = ?",
                       [counts["done"], counts["imported"], counts["invalid"],
                        counts["duplicates"], import_id])
        new_rows.clear()
        problems.clear()

    width = max(columns) + 1
    to_json = json.JSONEncoder(ensure_ascii=False).encode
    bad_text = sheet.bad_text
    for line, cells in sheet.rows():
        counts["done"] += 1
        raw_cells = cells
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        if not "".join(cells).strip():
            problems.append((import_id, line, "empty", "", ""))
        elif line in bad_text:
            counts["invalid"] += 1
            problems.append((import_id, line, "encoding", "", raw_delim.join(raw_cells)[:1000]))
        else:
            try:
                e164 = normalise_phone(cells[phone_col], country)
            except PhoneError as exc:
                counts["invalid"] += 1
                problems.append((import_id, line, "invalid", exc.reason,
                                 raw_delim.join(raw_cells)[:1000]))
            else:
                if e164 in seen:
                    counts["duplicates"] += 1
                    problems.append((import_id, line, "duplicate", str(seen[e164]),
                                     raw_delim.join(raw_cells)[:1000]))
                elif e164 in existing:
                    counts["duplicates"] += 1
                    problems.append((import_id, line, "exists", e164,
                                     raw_delim.join(raw_cells)[:1000]))
                else:
                    seen[e164] = line
                    name = " ".join(v for v in (cells[i].strip() for i in name_cols) if v)
                    values = {t: v for t, v in ((t, cells[i].strip()) for i, t in field_cols)
                              if v}
                    new_rows.append((list_id, e164, name, to_json(values), now))
        if counts["done"] % batch == 0:
            flush()
    flush()


def import_problems(db: sqlite_utils.Database, import_id: int, *, offset: int = 0,
                    limit: int | None = None) -> list[dict]:
    sql = ("SELECT line, reason, detail, raw FROM list_import_problems WHERE import_id = ? "
           "ORDER BY line")
    args: list[Any] = [import_id]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [dict(zip(("line", "reason", "detail", "raw"), r)) for r in db.execute(sql, args)]


def count_problems(db: sqlite_utils.Database, import_id: int) -> int:
    return db.execute("SELECT count(*) FROM list_import_problems WHERE import_id = ?",
                      [import_id]).fetchone()[0]


def import_file_sync(db: sqlite_utils.Database, db_path: str, list_id: int,
                     path: str | os.PathLike, filename: str = "", *,
                     mapping: list[str] | None = None, user: str = "",
                     batch: int = BATCH) -> int:
    """Upload, map (guessed unless given) and import in this thread; the import's id.
    For tests, the benchmark and scripts; the panel runs the steps one page at a time."""
    sheet = read_file(path, filename or str(path))
    try:
        import_id = create_import(db, list_id, filename or Path(path).name, sheet, user)
        set_mapping(db, import_id, mapping or guess_mapping(sheet.header, sheet),
                    sheet.has_header)
    finally:
        sheet.close()
    run_import(db_path, import_id, path, batch=batch, remove_file=False)
    return import_id


def cleanup_uploads(db: sqlite_utils.Database, uploads_dir: str | os.PathLike,
                    max_age_s: float = 24 * 3600, now: float | None = None) -> int:
    """Remove uploaded files whose mapping was never chosen (their imports fail with a
    reason); how many went."""
    cutoff = (time.time() if now is None else now) - max_age_s
    old = [r[0] for r in db.execute("SELECT id FROM list_imports WHERE status = 'queued' "
                                    "AND created_at < ?", [cutoff])]
    for import_id in old:
        for p in Path(uploads_dir).glob(f"import-{import_id}.*"):
            p.unlink(missing_ok=True)
        fail_import(db, import_id, "The columns were never mapped; upload the file again.")
    return len(old)


# -- do not call ------------------------------------------------------------------------------

def dnc_add(db: sqlite_utils.Database, phone: str, campaign_id: int | None = None,
            note: str = "", user: str = "") -> int:
    """Put a number on the do-not-call list (everywhere, or in one campaign); an entry that
    is already there keeps its id and gets the new note."""
    try:
        e164 = normalise_phone(phone)
    except PhoneError as exc:
        raise ListError(f"Phone number {phone!r}: {exc.reason}.") from None
    if campaign_id is not None and db.execute("SELECT 1 FROM campaigns WHERE id = ?",
                                              [campaign_id]).fetchone() is None:
        raise ListError("There is no such campaign.")
    with transaction(db):
        db.conn.execute(
            "INSERT INTO dnc (phone, campaign_id, note, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (phone, ifnull(campaign_id, 0)) "
            "DO UPDATE SET note = CASE WHEN excluded.note != '' THEN excluded.note "
            "ELSE note END",
            [e164, campaign_id, (note or "").strip(), time.time(), user])
        row = db.execute("SELECT id FROM dnc WHERE phone = ? AND ifnull(campaign_id, 0) = ?",
                         [e164, campaign_id or 0]).fetchone()
    return int(row[0])


def dnc_remove(db: sqlite_utils.Database, dnc_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM dnc WHERE id = ?", [dnc_id])


def dnc_blocked(db: sqlite_utils.Database, phone: str, campaign_id: int | None) -> bool:
    """True when the number must not be called in this campaign (global or its own entry).
    `phone` is E.164; other formats are normalised first (a number that cannot be
    normalised is never dialled anyway)."""
    if not phone.startswith("+"):
        try:
            phone = normalise_phone(phone)
        except PhoneError:
            return False
    return db.execute("SELECT 1 FROM dnc WHERE phone = ? AND (campaign_id IS NULL OR "
                      "campaign_id = ?) LIMIT 1", [phone, campaign_id]).fetchone() is not None


DNC_KEYS = ("id", "phone", "campaign_id", "campaign", "note", "created_at", "created_by")


def dnc_entries(db: sqlite_utils.Database, *, scope: str = "", search: str = "",
                offset: int = 0, limit: int | None = 100) -> tuple[list[dict], int]:
    """Entries, newest first; scope '' all, 'global', or a campaign id as text."""
    where, args = ["1"], []
    if scope == "global":
        where.append("d.campaign_id IS NULL")
    elif scope.isdigit():
        where.append("d.campaign_id = ?")
        args.append(int(scope))
    if search.strip():
        digits = phone_search_digits(search)
        where.append("(d.phone LIKE ? OR d.note LIKE ?)")
        args += [f"%{digits or search.strip()}%", f"%{search.strip()}%"]
    sql_where = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM dnc d WHERE {sql_where}", args).fetchone()[0]
    sql = (f"SELECT d.id, d.phone, d.campaign_id, c.name, d.note, d.created_at, d.created_by "
           f"FROM dnc d LEFT JOIN campaigns c ON c.id = d.campaign_id WHERE {sql_where} "
           "ORDER BY d.created_at DESC, d.id DESC")
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args = args + [limit, offset]
    return [dict(zip(DNC_KEYS, r)) for r in db.execute(sql, args)], total


def dnc_import(db: sqlite_utils.Database, path: str | os.PathLike, filename: str = "", *,
               campaign_id: int | None = None, note: str = "", user: str = "") -> dict:
    """Numbers from a CSV/XLSX file (the phone column guessed as for lists) onto the
    do-not-call list in one transaction: {added, already, invalid, problems: [...]}."""
    sheet = read_file(path, filename)
    try:
        return _dnc_import_sheet(db, sheet, campaign_id, note, user)
    finally:
        sheet.close()


def _dnc_import_sheet(db: sqlite_utils.Database, sheet: Sheet, campaign_id: int | None,
                      note: str, user: str) -> dict:
    mapping = guess_mapping(sheet.header, sheet)
    if "phone" not in mapping:
        if len(sheet.header) == 1:
            mapping = ["phone"]
        else:
            raise ListError("No column holds the phone number: name its header "
                            "'telefon' or 'phone'. Nothing was imported.")
    col = mapping.index("phone")
    if campaign_id is not None and db.execute("SELECT 1 FROM campaigns WHERE id = ?",
                                              [campaign_id]).fetchone() is None:
        raise ListError("There is no such campaign.")
    out: dict[str, Any] = {"added": 0, "already": 0, "invalid": 0, "problems": []}
    now = time.time()
    with transaction(db):
        for line, cells in sheet.rows():
            number = cells[col] if col < len(cells) else ""
            if not any(c.strip() for c in cells):
                continue
            try:
                if line in sheet.bad_text:
                    raise PhoneError("unreadable characters")
                e164 = normalise_phone(number)
            except PhoneError as exc:
                out["invalid"] += 1
                out["problems"].append({"line": line, "reason": exc.reason, "raw": number})
                continue
            cur = db.conn.execute(
                "INSERT OR IGNORE INTO dnc (phone, campaign_id, note, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)", [e164, campaign_id, note.strip(), now, user])
            out["added" if cur.rowcount else "already"] += 1
    return out


def dnc_csv(db: sqlite_utils.Database, scope: str = "") -> str:
    """The do-not-call entries as CSV (UTF-8 with BOM, for Excel): phone, campaign (empty:
    every campaign), note, added, by."""
    rows, _total = dnc_entries(db, scope=scope, limit=None)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(["phone", "campaign", "note", "added", "by"])
    for r in rows:
        w.writerow([r["phone"], r["campaign"] or "", r["note"],
                    time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["created_at"])),
                    r["created_by"]])
    return buf.getvalue()
