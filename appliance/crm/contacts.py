"""Contacts of the CRM (CRM-1, CRM-6 owner) and their notes (CRM-4), without Flask.

- A contact is a person or a company; a person may belong to a company (`company_id`).
  It has several labelled phones and e-mails, tags, custom field values (kinds from
  crm_fields), an owner (a panel user), an address and an "about" text.
- A phone is stored as E.164 when `normalise_phone` accepts it, else as typed; its
  `match_key` (the last nine digits) is what every search by number compares, so
  "+48 600 100 200", "600100200", "0048600100200" and "600-100-200" find the same contact.
- `search()` is one SQL query (names folded to lower-case ASCII in SQL: Polish letters
  match with or without their accents and in any case), fast on 50 000 contacts.
- Notes: a private note is seen only by its author and admins; so is a file on it.
  `visible_notes`, `get_note` and `timeline` apply that rule in SQL; nothing else hands
  out notes.
- `timeline()` merges calls, notes, tasks, messages, meetings and files in one UNION ALL.

`user` arguments are the panel's user dicts (id, username, role).  Every writer is one
transaction and raises StoreError with a clear message; nothing is written on an error.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import time
from typing import Any, Iterable

import sqlite_utils

from ..campaigns.lists import PhoneError, normalise_phone
from ..store.db import StoreError, transaction

KINDS = ("person", "company")
PHONE_LABELS = ("mobile", "work", "home", "fax", "other")
EMAIL_LABELS = ("work", "home", "other")
FIELD_KINDS = ("text", "number", "date", "choice")
MAX_PHONES = 20
MAX_EMAILS = 20
MAX_TAGS = 30
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]{2,}$")
# Polish letters folded to ASCII in SQL (SQLite's lower() knows only ASCII)
FOLD = {"ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z",
        "ż": "z", "Ą": "a", "Ć": "c", "Ę": "e", "Ł": "l", "Ń": "n", "Ó": "o", "Ś": "s",
        "Ź": "z", "Ż": "z"}
NOTE_MAX = 20000


class CrmError(StoreError):
    """A StoreError whose text the panel can translate: `msgid` (an English catalogue id
    with {placeholders}) and `values`; str() is the English text."""

    def __init__(self, msgid: str, **values: Any):
        super().__init__(msgid.format(**values))
        self.msgid, self.values = msgid, values


def error_text(exc: Exception, translate) -> str:
    """The error in the user's language: `translate` is the panel's gettext."""
    if isinstance(exc, CrmError):
        return translate(exc.msgid, **exc.values)
    return translate(str(exc))


# -- numbers ----------------------------------------------------------------------------------

def match_key(number: str | None) -> str:
    """The last nine digits of a number (all of them when fewer): what searches compare."""
    d = re.sub(r"\D", "", number or "")
    return d[-9:]


def clean_phone(raw: str, country: str = "48") -> tuple[str, str]:
    """(number to store, its match key): E.164 when it can be normalised, else as typed.
    StoreError for something that is no phone number at all."""
    text = " ".join(str(raw or "").split())
    if not text:
        raise StoreError("phone number: empty")
    try:
        number = normalise_phone(text, country)
    except PhoneError:
        if re.search(r"[^\d\s()+./\-]", text):
            raise CrmError("phone number {value!r}: only digits, spaces, + - ( ) . /", value=text)
        digits = re.sub(r"\D", "", text)
        if not 2 <= len(digits) <= 15:
            raise CrmError("phone number {value!r}: 2 to 15 digits", value=text)
        number = text
    return number, match_key(number)


def display_number(number: str) -> str:
    """+48600100200 -> '+48 600 100 200' (Polish grouping); others unchanged."""
    if re.fullmatch(r"\+48\d{9}", number or ""):
        n = number[3:]
        return f"+48 {n[:3]} {n[3:6]} {n[6:]}"
    return number or ""


def clean_email(raw: str) -> str:
    text = str(raw or "").strip()
    if not text:
        raise StoreError("e-mail: empty")
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise CrmError("e-mail {value!r} is not a valid address (like name@example.com)",
                       value=text)
    return text


def fold(text: str) -> str:
    """Lower-case ASCII for searching (the same folding `search()` does in SQL)."""
    return "".join(FOLD.get(ch, ch) for ch in (text or "")).lower()


def glob_pattern(q: str) -> str:
    """A GLOB pattern finding `q` anywhere, in any case, Polish letters with or without
    their accents ('lukasz' and 'ŁUKASZ' find 'Łukasz'): matched in C by SQLite, no
    function call per row."""
    out = []
    for ch in q:
        base = fold(ch)
        variants = {ch, base, base.upper(), ch.lower(), ch.upper()}
        variants |= {k for k, v in FOLD.items() if v == base}
        if len(variants) == 1 and ch not in "*?[":
            out.append(ch)
        else:
            # ']' first in a class is literal; '[' '*' '?' are literal inside a class
            out.append("[" + "".join(sorted(variants, key=lambda c: c != "]")) + "]")
    return "*" + "".join(out) + "*"


# -- custom fields ----------------------------------------------------------------------------

def list_fields(db: sqlite_utils.Database) -> list[dict]:
    rows = db.query("SELECT id, name, kind, choices, position FROM crm_fields "
                    "ORDER BY position, id")
    return [dict(r, options=[c for c in r["choices"].splitlines() if c.strip()]) for r in rows]


def save_field(db: sqlite_utils.Database, field_id: int | None, name: str, kind: str = "text",
               choices: str = "", position: int | None = None) -> int:
    """Add (field_id None) or change a custom field; renaming moves its values."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 40:
        raise StoreError("field name: 1 to 40 characters")
    if kind not in FIELD_KINDS:
        raise StoreError(f"field kind: one of {', '.join(FIELD_KINDS)}")
    options = [" ".join(c.split()) for c in (choices or "").splitlines() if c.strip()]
    if kind == "choice" and not options:
        raise StoreError("a choice field needs its choices, one per line")
    if len(set(o.lower() for o in options)) != len(options):
        raise StoreError("the choices must differ")
    choices = "\n".join(options) if kind == "choice" else ""
    with transaction(db):
        clash = db.execute("SELECT id FROM crm_fields WHERE name = ? COLLATE NOCASE "
                           "AND id IS NOT ?", [name, field_id]).fetchone()
        if clash:
            raise CrmError("there is already a field named {name!r}", name=name)
        if position is None:
            position = db.execute("SELECT coalesce(max(position), 0) + 1 FROM crm_fields"
                                  ).fetchone()[0]
        if field_id is None:
            cur = db.conn.execute("INSERT INTO crm_fields (name, kind, choices, position) "
                                  "VALUES (?, ?, ?, ?)", [name, kind, choices, position])
            return int(cur.lastrowid)
        old = db.execute("SELECT name FROM crm_fields WHERE id = ?", [field_id]).fetchone()
        if old is None:
            raise StoreError("no such field")
        db.conn.execute("UPDATE crm_fields SET name = ?, kind = ?, choices = ?, position = ? "
                        "WHERE id = ?", [name, kind, choices, position, field_id])
        if old[0] != name:
            src, dst = _json_path(old[0]), _json_path(name)
            db.conn.execute(
                "UPDATE crm_contacts SET fields = json_remove(json_set(fields, ?, "
                "json_extract(fields, ?)), ?) WHERE json_type(fields, ?) IS NOT NULL",
                [dst, src, src, src])
        return field_id


def delete_field(db: sqlite_utils.Database, field_id: int) -> None:
    """Remove a custom field and its values from every contact."""
    with transaction(db):
        row = db.execute("SELECT name FROM crm_fields WHERE id = ?", [field_id]).fetchone()
        if row is None:
            raise StoreError("no such field")
        db.conn.execute("UPDATE crm_contacts SET fields = json_remove(fields, ?) "
                        "WHERE json_type(fields, ?) IS NOT NULL",
                        [_json_path(row[0])] * 2)
        db.conn.execute("DELETE FROM crm_fields WHERE id = ?", [field_id])


def _json_path(name: str) -> str:
    return '$."' + name.replace('"', '') + '"'


def check_field_value(field: dict, value: Any) -> str:
    """The value as stored for `field` (a list_fields() row); StoreError when it does not fit."""
    text = " ".join(str(value if value is not None else "").split()) \
        if field["kind"] != "text" else str(value if value is not None else "").strip()
    if not text:
        return ""
    name = field["name"]
    if field["kind"] == "number":
        try:
            float(text.replace(",", ".").replace(" ", ""))
        except ValueError:
            raise CrmError("{field}: a number, not {value!r}", field=name, value=text) from None
        return text.replace(" ", "")
    if field["kind"] == "date":
        try:
            dt.date.fromisoformat(text)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
        except ValueError:
            raise CrmError("{field}: a date like 2026-03-31, not {value!r}", field=name,
                           value=text) from None
        return text
    if field["kind"] == "choice":
        for option in field["options"]:
            if option.lower() == text.lower():
                return option
        raise CrmError("{field}: one of {choices}, not {value!r}", field=name,
                       choices=", ".join(field["options"]), value=text)
    if len(text) > 2000:
        raise CrmError("{field}: at most 2000 characters", field=name)
    return text


# -- contacts ---------------------------------------------------------------------------------

def _clean(db, data: dict, contact_id: int | None, country: str) -> dict:
    kind = data.get("kind") or "person"
    if kind not in KINDS:
        raise StoreError("kind: person or company")
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise StoreError("name: enter the contact's name")
    if len(name) > 200:
        raise StoreError("name: at most 200 characters")
    company_id = data.get("company_id") or None
    if company_id is not None:
        try:
            company_id = int(company_id)
        except (TypeError, ValueError):
            raise StoreError("company: no such company") from None
        row = db.execute("SELECT kind FROM crm_contacts WHERE id = ?", [company_id]).fetchone()
        if row is None or row[0] != "company":
            raise StoreError("company: no such company")
        if company_id == contact_id:
            raise StoreError("company: a contact cannot belong to itself")
        if kind == "company":
            raise StoreError("company: a company cannot belong to another company")
    owner_id = data.get("owner_id") or None
    if owner_id is not None:
        try:
            owner_id = int(owner_id)
        except (TypeError, ValueError):
            raise StoreError("owner: no such user") from None
        if not db.execute("SELECT 1 FROM users WHERE id = ?", [owner_id]).fetchone():
            raise StoreError("owner: no such user")
    phones, seen = [], set()
    for label, raw in data.get("phones") or []:
        if not str(raw or "").strip():
            continue
        number, key = clean_phone(raw, country)
        label = (label or "").strip().lower() or "mobile"
        if label not in PHONE_LABELS:
            label = "other"
        if number not in seen:
            seen.add(number)
            phones.append((label, number, key))
    if len(phones) > MAX_PHONES:
        raise CrmError("at most {n} phone numbers", n=MAX_PHONES)
    emails, seen = [], set()
    for label, raw in data.get("emails") or []:
        if not str(raw or "").strip():
            continue
        address = clean_email(raw)
        label = (label or "").strip().lower() or "work"
        if label not in EMAIL_LABELS:
            label = "other"
        if address.lower() not in seen:
            seen.add(address.lower())
            emails.append((label, address))
    if len(emails) > MAX_EMAILS:
        raise CrmError("at most {n} e-mail addresses", n=MAX_EMAILS)
    tags, seen = [], set()
    for tag in data.get("tags") or []:
        tag = " ".join(str(tag).split())
        if not tag:
            continue
        if len(tag) > 40:
            raise CrmError("tag {value!r}…: at most 40 characters", value=tag[:40])
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise CrmError("at most {n} tags", n=MAX_TAGS)
    known = {f["name"].lower(): f for f in list_fields(db)}
    fields = {}
    for key, value in (data.get("fields") or {}).items():
        field = known.get(str(key).lower())
        if field is None:
            raise CrmError("no custom field named {name!r}", name=key)
        value = check_field_value(field, value)
        if value:
            fields[field["name"]] = value
    return {"kind": kind, "name": name, "company_id": company_id,
            "job_title": " ".join(str(data.get("job_title") or "").split())[:200],
            "owner_id": owner_id, "address": str(data.get("address") or "").strip()[:1000],
            "about": str(data.get("about") or "").strip()[:20000],
            "fields": fields, "phones": phones, "emails": emails, "tags": tags}


def create_contact(db: sqlite_utils.Database, data: dict, *, user: str = "",
                   source: str = "manual", country: str = "48") -> int:
    """A new contact from `data` (name, kind, company_id, job_title, owner_id, address,
    about, fields {name: value}, phones [(label, number)], emails [(label, address)],
    tags [str]); its id."""
    with transaction(db):
        c = _clean(db, data, None, country)
        at = time.time()
        cur = db.conn.execute(
            "INSERT INTO crm_contacts (kind, name, company_id, job_title, owner_id, fields, "
            "address, about, source, created_at, created_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [c["kind"], c["name"], c["company_id"], c["job_title"], c["owner_id"],
             json.dumps(c["fields"], ensure_ascii=False), c["address"], c["about"], source,
             at, user, at])
        contact_id = int(cur.lastrowid)
        _write_lists(db, contact_id, c)
        return contact_id


def update_contact(db: sqlite_utils.Database, contact_id: int, data: dict,
                   country: str = "48") -> None:
    """Replace a contact's details, phones, e-mails, tags and fields with `data`."""
    with transaction(db):
        old = db.execute("SELECT kind FROM crm_contacts WHERE id = ?", [contact_id]).fetchone()
        if old is None:
            raise StoreError("no such contact")
        c = _clean(db, data, contact_id, country)
        if old[0] == "company" and c["kind"] == "person" and db.execute(
                "SELECT 1 FROM crm_contacts WHERE company_id = ?", [contact_id]).fetchone():
            raise StoreError("kind: this company has people; move them first")
        db.conn.execute(
            "UPDATE crm_contacts SET kind = ?, name = ?, company_id = ?, job_title = ?, "
            "owner_id = ?, fields = ?, address = ?, about = ?, updated_at = ? WHERE id = ?",
            [c["kind"], c["name"], c["company_id"], c["job_title"], c["owner_id"],
             json.dumps(c["fields"], ensure_ascii=False), c["address"], c["about"],
             time.time(), contact_id])
        for table in ("crm_phones", "crm_emails", "crm_tags"):
            db.conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", [contact_id])
        _write_lists(db, contact_id, c)


def _write_lists(db, contact_id: int, c: dict) -> None:
    db.conn.executemany("INSERT INTO crm_phones (contact_id, label, number, match_key) "
                        "VALUES (?, ?, ?, ?)", [(contact_id, *p) for p in c["phones"]])
    db.conn.executemany("INSERT INTO crm_emails (contact_id, label, address) VALUES (?, ?, ?)",
                        [(contact_id, *e) for e in c["emails"]])
    db.conn.executemany("INSERT INTO crm_tags (contact_id, tag) VALUES (?, ?)",
                        [(contact_id, t) for t in c["tags"]])


def delete_contact(db: sqlite_utils.Database, contact_id: int) -> None:
    with transaction(db):
        if not db.conn.execute("DELETE FROM crm_contacts WHERE id = ?", [contact_id]).rowcount:
            raise StoreError("no such contact")


def get_contact(db: sqlite_utils.Database, contact_id: int) -> dict | None:
    """The contact with phones, emails, tags, fields (dict), company, owner and, for a
    company, its people; None when there is none."""
    row = next(db.query(
        "SELECT c.*, co.name AS company, u.username AS owner FROM crm_contacts c "
        "LEFT JOIN crm_contacts co ON co.id = c.company_id "
        "LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = ?", [contact_id]), None)
    if row is None:
        return None
    row["fields"] = json.loads(row["fields"] or "{}")
    row["phones"] = list(db.query("SELECT id, label, number, match_key FROM crm_phones "
                                  "WHERE contact_id = ? ORDER BY id", [contact_id]))
    for p in row["phones"]:
        p["display"] = display_number(p["number"])
    row["emails"] = list(db.query("SELECT id, label, address FROM crm_emails "
                                  "WHERE contact_id = ? ORDER BY id", [contact_id]))
    row["tags"] = [r[0] for r in db.execute(
        "SELECT tag FROM crm_tags WHERE contact_id = ? ORDER BY tag COLLATE NOCASE",
        [contact_id])]
    row["people"] = list(db.query(
        "SELECT id, name, job_title FROM crm_contacts WHERE company_id = ? "
        "ORDER BY name COLLATE NOCASE", [contact_id])) if row["kind"] == "company" else []
    return row


def contact_data(contact: dict) -> dict:
    """A get_contact() result as `data` for update_contact (to change one part of it)."""
    return {"kind": contact["kind"], "name": contact["name"],
            "company_id": contact["company_id"], "job_title": contact["job_title"],
            "owner_id": contact["owner_id"], "address": contact["address"],
            "about": contact["about"], "fields": dict(contact["fields"]),
            "phones": [(p["label"], p["number"]) for p in contact["phones"]],
            "emails": [(e["label"], e["address"]) for e in contact["emails"]],
            "tags": list(contact["tags"])}


def companies(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT id, name FROM crm_contacts WHERE kind = 'company' "
                         "ORDER BY name COLLATE NOCASE LIMIT 5000"))


def owners(db: sqlite_utils.Database) -> list[dict]:
    """The users an owner can be picked from."""
    return list(db.query("SELECT id, username, role FROM users ORDER BY username COLLATE NOCASE"))


def all_tags(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT tag FROM crm_tags "
                                     "ORDER BY tag COLLATE NOCASE LIMIT 500")]


# -- search -----------------------------------------------------------------------------------

def _search_where(q: str, tag: str | None, owner_id: int | None) -> tuple[str, list]:
    where, args = [], []
    q = " ".join((q or "").split())
    if q:
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3 and re.fullmatch(r"[\d\s()+./\-]+", q):
            # a number (in any format): the phones' index only, no scan of names and e-mails
            key = match_key(digits)
            if len(key) == 9:
                parts = ["c.id IN (SELECT contact_id FROM crm_phones WHERE match_key = ?)"]
                args.append(key)
            else:
                parts = ["c.id IN (SELECT contact_id FROM crm_phones WHERE match_key LIKE ?)"]
                args.append(f"%{key}%")
        else:
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            words = [glob_pattern(w) for w in q.split()]   # every word, in any order
            name = " AND ".join(["name GLOB ?"] * len(words))
            parts = [f"({name.replace('name', 'c.name')})",
                     "c.company_id IN (SELECT id FROM crm_contacts WHERE kind = 'company' "
                     f"AND {name})",
                     "c.id IN (SELECT contact_id FROM crm_emails WHERE address LIKE ? ESCAPE '\\')"]
            args += words + words + [like]
        where.append("(" + " OR ".join(parts) + ")")
    if tag:
        where.append("c.id IN (SELECT contact_id FROM crm_tags WHERE tag = ?)")
        args.append(tag)
    if owner_id:
        where.append("c.owner_id = ?")
        args.append(int(owner_id))
    return (" WHERE " + " AND ".join(where)) if where else "", args


def search(db: sqlite_utils.Database, q: str = "", *, tag: str | None = None,
           owner_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """(contacts of this page, how many match) by name, number in any format, company name
    or e-mail; each with company, owner, phones (list), emails (list), tags (list)."""
    where, args = _search_where(q, tag, owner_id)
    rows = list(db.query(
        "SELECT p.total, c.id, c.kind, c.name, c.job_title, c.company_id, co.name AS company, "
        "c.owner_id, u.username AS owner, c.updated_at, "
        "(SELECT group_concat(number, char(10)) FROM crm_phones "
        "WHERE contact_id = c.id) AS phones, "
        "(SELECT group_concat(address, char(10)) FROM crm_emails "
        "WHERE contact_id = c.id) AS emails, "
        "(SELECT group_concat(tag, char(10)) FROM crm_tags WHERE contact_id = c.id) AS tags "
        "FROM (SELECT c.id, count(*) OVER () AS total, row_number() OVER "
        "(ORDER BY c.name COLLATE NOCASE, c.id) AS n "
        f"FROM crm_contacts c{where} ORDER BY c.name COLLATE NOCASE, c.id LIMIT ? OFFSET ?) p "
        "JOIN crm_contacts c ON c.id = p.id LEFT JOIN crm_contacts co ON co.id = c.company_id "
        "LEFT JOIN users u ON u.id = c.owner_id ORDER BY p.n",
        args + [max(1, int(limit)), max(0, int(offset))]))
    if rows:    # one scan: the count comes with the page
        total = rows[0]["total"]
    else:
        total = db.execute(f"SELECT count(*) FROM crm_contacts c{where}", args).fetchone()[0]
    for r in rows:
        del r["total"]
        for key in ("phones", "emails", "tags"):
            r[key] = r[key].split("\n") if r[key] else []
    return rows, total


def search_ids(db: sqlite_utils.Database, q: str = "", *, tag: str | None = None,
               owner_id: int | None = None) -> list[int]:
    """Every matching contact's id, in the list's order (for exports)."""
    where, args = _search_where(q, tag, owner_id)
    return [r[0] for r in db.execute(
        f"SELECT c.id FROM crm_contacts c{where} ORDER BY c.name COLLATE NOCASE, c.id", args)]


def find_by_number(db: sqlite_utils.Database, number: str) -> list[dict]:
    """Contacts with a phone whose match key is the number's (the screen pop): id, name,
    kind, company, owner_id, owner."""
    key = match_key(number)
    if len(key) < 3:
        return []
    return list(db.query(
        "SELECT DISTINCT c.id, c.name, c.kind, co.name AS company, c.owner_id, "
        "u.username AS owner FROM crm_phones p JOIN crm_contacts c ON c.id = p.contact_id "
        "LEFT JOIN crm_contacts co ON co.id = c.company_id "
        "LEFT JOIN users u ON u.id = c.owner_id WHERE p.match_key = ? "
        "ORDER BY c.updated_at DESC LIMIT 20", [key]))


# -- notes ------------------------------------------------------------------------------------

def _is_admin(user: dict) -> bool:
    return user.get("role") == "admin"


NOTE_VISIBLE = "(n.private = 0 OR n.author_id = :uid OR :admin)"


def _note_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise StoreError("note: write something")
    if len(body) > NOTE_MAX:
        raise StoreError(f"note: at most {NOTE_MAX} characters")
    return body


def add_note(db: sqlite_utils.Database, contact_id: int, user: dict, body: str, *,
             template_id: int | None = None, private: bool = False, call_id: str = "",
             agent: str = "", project_id: int | None = None) -> int:
    body = _note_body(body)
    with transaction(db):
        if not db.execute("SELECT 1 FROM crm_contacts WHERE id = ?", [contact_id]).fetchone():
            raise StoreError("no such contact")
        if template_id and not db.execute("SELECT 1 FROM crm_note_templates WHERE id = ?",
                                          [template_id]).fetchone():
            template_id = None
        if project_id and not db.execute(
                "SELECT 1 FROM crm_projects WHERE id = ? AND contact_id = ?",
                [project_id, contact_id]).fetchone():
            raise StoreError("project: no such project of this contact")
        at = time.time()
        cur = db.conn.execute(
            "INSERT INTO crm_notes (contact_id, project_id, author_id, author, body, "
            "template_id, private, call_id, agent, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [contact_id, project_id or None, user.get("id"), user.get("username", ""), body,
             template_id or None, 1 if private else 0, (call_id or "")[:200],
             (agent or "")[:40], at, at])
        db.conn.execute("UPDATE crm_contacts SET updated_at = ? WHERE id = ?", [at, contact_id])
        return int(cur.lastrowid)


def get_note(db: sqlite_utils.Database, note_id: int, user: dict) -> dict | None:
    """The note when `user` may see it, else None (the caller answers 404)."""
    return next(db.query(
        "SELECT n.*, t.name AS template, r.path AS recording_path, r.agent AS recording_agent "
        "FROM crm_notes n LEFT JOIN crm_note_templates t ON t.id = n.template_id "
        "LEFT JOIN recordings r ON r.id = n.recording_id "
        f"WHERE n.id = :id AND {NOTE_VISIBLE}",
        {"id": note_id, "uid": user.get("id"), "admin": _is_admin(user)}), None)


def may_change_note(note: dict, user: dict) -> bool:
    return _is_admin(user) or (note["author_id"] is not None
                               and note["author_id"] == user.get("id"))


def update_note(db: sqlite_utils.Database, note_id: int, user: dict, body: str,
                private: bool | None = None) -> None:
    """Change one's own note (admins: any); StoreError 'no such note' otherwise."""
    body = _note_body(body)
    with transaction(db):
        note = get_note(db, note_id, user)
        if note is None or not may_change_note(note, user):
            raise StoreError("no such note")
        db.conn.execute("UPDATE crm_notes SET body = ?, private = ?, updated_at = ? WHERE id = ?",
                        [body, note["private"] if private is None else int(bool(private)),
                         time.time(), note_id])


def delete_note(db: sqlite_utils.Database, note_id: int, user: dict) -> int:
    """Delete one's own note (admins: any); the contact's id."""
    with transaction(db):
        note = get_note(db, note_id, user)
        if note is None or not may_change_note(note, user):
            raise StoreError("no such note")
        db.conn.execute("DELETE FROM crm_notes WHERE id = ?", [note_id])
        return note["contact_id"]


def visible_notes(db: sqlite_utils.Database, contact_id: int, user: dict, *,
                  limit: int = 200, offset: int = 0) -> list[dict]:
    """The contact's notes `user` may see, newest first."""
    return list(db.query(
        "SELECT n.id, n.contact_id, n.project_id, n.author_id, n.author, n.body, "
        "n.template_id, t.name AS template, n.private, n.call_id, n.agent, n.recording_id, "
        "r.path AS recording_path, r.agent AS recording_agent, n.created_at, n.updated_at "
        "FROM crm_notes n LEFT JOIN crm_note_templates t ON t.id = n.template_id "
        "LEFT JOIN recordings r ON r.id = n.recording_id "
        f"WHERE n.contact_id = :cid AND {NOTE_VISIBLE} "
        "ORDER BY n.created_at DESC, n.id DESC LIMIT :limit OFFSET :offset",
        {"cid": contact_id, "uid": user.get("id"), "admin": _is_admin(user),
         "limit": limit, "offset": offset}))


# -- note templates ---------------------------------------------------------------------------

def note_templates(db: sqlite_utils.Database, active_only: bool = True) -> list[dict]:
    where = " WHERE active = 1" if active_only else ""
    return list(db.query(f"SELECT id, name, body, position, active FROM crm_note_templates"
                         f"{where} ORDER BY position, name"))


def save_note_template(db: sqlite_utils.Database, template_id: int | None, name: str,
                       body: str, *, position: int | None = None, active: bool = True) -> int:
    name = " ".join((name or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not 1 <= len(name) <= 60:
        raise StoreError("template name: 1 to 60 characters")
    if not body:
        raise StoreError("template text: write the text a note starts from")
    if len(body) > NOTE_MAX:
        raise StoreError(f"template text: at most {NOTE_MAX} characters")
    with transaction(db):
        if db.execute("SELECT 1 FROM crm_note_templates WHERE name = ? COLLATE NOCASE "
                      "AND id IS NOT ?", [name, template_id]).fetchone():
            raise CrmError("there is already a template named {name!r}", name=name)
        if position is None:
            position = db.execute("SELECT coalesce(max(position), 0) + 1 "
                                  "FROM crm_note_templates").fetchone()[0]
        if template_id is None:
            cur = db.conn.execute("INSERT INTO crm_note_templates (name, body, position, active) "
                                  "VALUES (?, ?, ?, ?)", [name, body, position, int(active)])
            return int(cur.lastrowid)
        if not db.conn.execute("UPDATE crm_note_templates SET name = ?, body = ?, position = ?, "
                               "active = ? WHERE id = ?",
                               [name, body, position, int(active), template_id]).rowcount:
            raise StoreError("no such template")
        return template_id


def delete_note_template(db: sqlite_utils.Database, template_id: int) -> None:
    with transaction(db):
        if not db.conn.execute("DELETE FROM crm_note_templates WHERE id = ?",
                               [template_id]).rowcount:
            raise StoreError("no such template")


# -- the timeline -----------------------------------------------------------------------------

FILE_VISIBLE = ("(:admin OR f.uploaded_by_id = :uid OR (f.private = 0 AND (f.note_id IS NULL "
                "OR EXISTS (SELECT 1 FROM crm_notes n WHERE n.id = f.note_id AND "
                f"{NOTE_VISIBLE}))))")

TIMELINE_SQL = f"""
SELECT 'call' AS kind, c.started_at AS at, c.id AS id, json_object(
    'direction', c.direction, 'number', c.number, 'answered', c.answered, 'agent', c.agent,
    'talk_s', c.talk_s, 'queue', c.queue, 'callid', c.callid, 'recording', c.recording,
    'recording_id', (SELECT r.id FROM recordings r WHERE c.recording != '' AND r.path = c.recording
                     AND r.archived_at IS NULL),
    'recording_agent', (SELECT r.agent FROM recordings r WHERE c.recording != ''
                        AND r.path = c.recording)) AS data
  FROM crm_calls c WHERE c.contact_id = :cid
UNION ALL
SELECT 'note', n.created_at, n.id, json_object(
    'body', n.body, 'author', n.author, 'author_id', n.author_id, 'private', n.private,
    'template', t.name, 'call_id', n.call_id, 'agent', n.agent, 'project_id', n.project_id,
    'recording_id', CASE WHEN r.archived_at IS NULL THEN n.recording_id END,
    'recording_path', r.path, 'recording_agent', r.agent, 'updated_at', n.updated_at)
  FROM crm_notes n LEFT JOIN crm_note_templates t ON t.id = n.template_id
  LEFT JOIN recordings r ON r.id = n.recording_id
  WHERE n.contact_id = :cid AND {NOTE_VISIBLE}
UNION ALL
SELECT 'task', k.created_at, k.id, json_object(
    'title', k.title, 'details', k.details, 'status', k.status, 'due_at', k.due_at,
    'assignee', (SELECT username FROM users WHERE id = k.assignee_id), 'source', k.source,
    'number', k.number, 'created_by', k.created_by, 'done_at', k.done_at)
  FROM crm_tasks k WHERE k.contact_id = :cid
UNION ALL
SELECT 'message', m.at, m.id, json_object(
    'channel', m.channel, 'direction', m.direction, 'address', m.address,
    'subject', m.subject, 'body', m.body, 'status', m.status, 'error', m.error, 'user', m.user)
  FROM crm_messages m WHERE m.contact_id = :cid
UNION ALL
SELECT 'meeting', e.starts_at, e.id, json_object(
    'title', e.title, 'starts_at', e.starts_at, 'ends_at', e.ends_at, 'location', e.location,
    'details', e.details, 'user', (SELECT username FROM users WHERE id = e.user_id),
    'cancelled_at', e.cancelled_at, 'created_by', e.created_by)
  FROM crm_events e WHERE e.contact_id = :cid
UNION ALL
SELECT 'file', f.created_at, f.id, json_object(
    'name', f.name, 'mime', f.mime, 'size', f.size, 'private', f.private,
    'uploaded_by', f.uploaded_by, 'note_id', f.note_id, 'project_id', f.project_id)
  FROM crm_files f WHERE f.contact_id = :cid AND {FILE_VISIBLE}
ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset
"""


def timeline(db: sqlite_utils.Database, contact_id: int, user: dict, limit: int = 100,
             offset: int = 0) -> list[dict]:
    """The contact's history, newest first: dicts {kind, at, id, ...} with kind one of
    call, note, task, message, meeting, file (private notes and files only for who may
    see them); a call's or a note's `recording_id` names its recordings row (a note's
    `recording_path` is that row's path under the recordings directory)."""
    out = []
    for kind, at, item_id, data in db.execute(
            TIMELINE_SQL, {"cid": contact_id, "uid": user.get("id"),
                           "admin": _is_admin(user), "limit": limit, "offset": offset}):
        item = json.loads(data)
        item.update(kind=kind, at=at, id=item_id)
        out.append(item)
    return out


def open_tasks(db: sqlite_utils.Database, contact_id: int) -> int:
    return db.execute("SELECT count(*) FROM crm_tasks WHERE contact_id = ? AND status = 'open'",
                      [contact_id]).fetchone()[0]


def pop_info(db: sqlite_utils.Database, contact_ids: Iterable[int], user: dict) -> list[dict]:
    """What the screen pop shows of each contact: name, company, owner, tags, phones,
    open tasks and the last three notes `user` may see."""
    out = []
    for cid in contact_ids:
        c = get_contact(db, cid)
        if c is None:
            continue
        out.append({"id": c["id"], "name": c["name"], "kind": c["kind"],
                    "company": c["company"] or "", "owner": c["owner"] or "",
                    "tags": c["tags"], "phones": [p["number"] for p in c["phones"]],
                    "open_tasks": open_tasks(db, cid),
                    "last_notes": [{"id": n["id"], "at": n["created_at"], "author": n["author"],
                                    "body": n["body"], "private": bool(n["private"])}
                                   for n in visible_notes(db, cid, user, limit=3)]})
    return out


# -- API tokens (user_tokens: only the SHA-256 of a token is kept) ---------------------------

TOKEN_KINDS = ("api", "ical")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite_utils.Database, user_id: int, kind: str = "api",
                 label: str = "") -> str:
    """A new token for the user; the token itself is returned once and never stored."""
    if kind not in TOKEN_KINDS:
        raise StoreError("token kind: api or ical")
    label = " ".join((label or "").split())
    if len(label) > 60:
        raise StoreError("token label: at most 60 characters")
    token = secrets.token_urlsafe(32)
    with transaction(db):
        if db.execute("SELECT count(*) FROM user_tokens WHERE user_id = ? AND kind = ?",
                      [user_id, kind]).fetchone()[0] >= 20:
            raise StoreError("at most 20 tokens per user; revoke one first")
        db.conn.execute("INSERT INTO user_tokens (user_id, kind, label, token_hash, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [user_id, kind, label, _token_hash(token), time.time()])
    return token


def list_tokens(db: sqlite_utils.Database, user_id: int, kind: str = "api") -> list[dict]:
    return list(db.query("SELECT id, label, created_at, last_used_at FROM user_tokens "
                         "WHERE user_id = ? AND kind = ? ORDER BY id", [user_id, kind]))


def revoke_token(db: sqlite_utils.Database, user_id: int, token_id: int) -> None:
    with transaction(db):
        if not db.conn.execute("DELETE FROM user_tokens WHERE id = ? AND user_id = ?",
                               [token_id, user_id]).rowcount:
            raise StoreError("no such token")


def user_by_token(db: sqlite_utils.Database, token: str, kind: str = "api") -> dict | None:
    """The user (id, username, role, lang, agent_id) a token belongs to; None if unknown."""
    if not token or len(token) > 200:
        return None
    row = next(db.query("SELECT t.id AS token_id, u.id, u.username, u.role, u.lang, u.agent_id "
                        "FROM user_tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.token_hash = ? AND t.kind = ?", [_token_hash(token), kind]),
               None)
    if row is not None:
        with transaction(db):
            db.conn.execute("UPDATE user_tokens SET last_used_at = ? WHERE id = ?",
                            [time.time(), row.pop("token_id")])
    return row


def token_delay(db: sqlite_utils.Database, remote_addr: str) -> float:
    """Seconds an address must wait before its next API token is even checked (failed
    tokens are throttled like failed logins: store.users.login_delay)."""
    from ..store import users
    return users.login_delay(db, f"api-token@{remote_addr}", remote_addr)


def record_token_failure(db: sqlite_utils.Database, remote_addr: str) -> None:
    with transaction(db):
        db.conn.execute("INSERT INTO login_failures (username, remote_addr, at) VALUES (?, ?, ?)",
                        [f"api-token@{remote_addr}", remote_addr, time.time()])
