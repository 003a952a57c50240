"""Campaigns (CMP-2): what to call, when, how, and where the answered calls go.

The panel saves a campaign with `save_campaign` (every rule checked here, so the dialer can
trust the row) and starts, pauses and stops it with `set_status`; the dialer (in jns-calld)
reads the row and the campaign's `campaign_contacts` each tick and never asks the panel.
Starting a campaign copies its lists' contacts into `campaign_contacts` (INSERT OR IGNORE,
so a list attached or grown later joins on the next start or resume without touching the
contacts already called).

StoreError messages are fixed English texts (the panel's catalogue translates them); a
message that names a value keeps the value out of the text.  No Flask, no Asterisk here.
"""
from __future__ import annotations

import datetime
import json
import logging
import re
import sqlite3
import time
from typing import Any, Iterable

import sqlite_utils

from ..store.db import StoreError, get_setting, transaction

log = logging.getLogger(__name__)

MODES = ("preview", "progressive", "predictive")
STATUSES = ("draft", "running", "paused", "stopped", "finished")
STATES = ("new", "dialing", "retry", "callback", "done", "failed", "dnc")
OUTCOMES = ("connected", "abandoned", "machine", "noanswer", "busy", "failed", "invalid",
            "cancelled", "pressed", "listened", "answered")
# voice mailing (AUTO-1): the message instead of an agent; see appliance.campaigns.voicecast
KINDS = ("agents", "voice")
MESSAGE_LANGS = ("pl", "en")
CONNECT_KEYS = ("",) + tuple("0123456789")
REPEAT_KEYS = ("",) + tuple("0123456789*#")
MACHINE_ACTIONS = ("short", "retry", "hangup")
MAX_MESSAGE_CHARS = 2000
ABANDON_RULES = ("day", "30d")
RECORD = ("all", "none")
IDLE_REASONS = ("", "paused", "outside_window", "no_agents", "no_contacts", "abandon_cap",
                "no_trunk", "asterisk_down")
# contacts no longer waiting for a call: the progress bar's "done"
FINISHED_STATES = ("done", "failed", "dnc")
# the dialer writes dialer_status at least this often while it runs; older: not running
DIALER_STALE_S = 10.0
LEGAL_ABANDON_CAP = 3.0
MIN_RING_S = 15
MAX_RING_S = 120

# Asterisk's own sounds that can stand in as the no-agent message before the box has its
# own recording (the same ones the IVR offers, appliance.webui.forms.BUILTIN_PROMPTS)
BUILTIN_PROMPTS = ("hello-world", "basic-pbx-ivr-main", "demo-congrats", "demo-thanks",
                   "dir-welcome", "please-try-again", "pls-hold-while-try", "goodbye",
                   "vm-goodbye")

# status -> the statuses a campaign may go to from it
TRANSITIONS = {
    "draft": ("running",),
    "running": ("paused", "stopped"),
    "paused": ("running", "stopped"),
    "stopped": ("running",),
    "finished": ("running",),           # only when new contacts were added (checked)
}

# column -> default, for a new campaign; the columns save_campaign accepts besides `queue`
DEFAULTS: dict[str, Any] = {
    "title": "", "mode": "progressive", "start_date": None, "end_date": None,
    "window_start": "09:00", "window_end": "20:00", "weekdays": "12345", "caller_id": "",
    "ring_s": 25, "max_attempts": 3, "retry_noanswer_s": 3600, "retry_busy_s": 900,
    "retry_failed_s": 1800, "retry_machine_s": 7200, "noagent_prompt": "", "record": "all",
    "amd": 0, "abandon_cap": LEGAL_ABANDON_CAP, "abandon_rule": "day", "max_ratio": 3.0,
    "script": "",
    "kind": "agents", "message_prompt": "", "message_text": "", "message_lang": "pl",
    "connect_key": "1", "repeat_key": "2", "max_repeats": 2, "machine_action": "short",
    "machine_prompt": "", "machine_text": "", "max_lines": 4,
}
RETRY_FIELDS = ("retry_noanswer_s", "retry_busy_s", "retry_failed_s", "retry_machine_s")

# Every refusal, as the panel's catalogue must translate it (i18n_campaigns checks this)
E_NAME = "campaign name: 1-40 lowercase letters, digits, - and _"
E_TITLE = "title: at most 80 characters"
E_MODE = "dialing mode: preview, progressive or predictive"
E_QUEUE = "agent group: choose an existing queue"
E_RING = "ring time: at least 15 s: the legal minimum"
E_RING_MAX = "ring time: at most 120 s"
E_WINDOW_FORMAT = "calling window: times as HH:MM, e.g. 09:00"
E_WINDOW_ORDER = "calling window: the start must be before the end"
E_WEEKDAYS = "calling days: choose at least one day of the week"
E_DATE_FORMAT = "dates: use YYYY-MM-DD, e.g. 2025-03-01"
E_DATE_ORDER = "the end date is before the start date"
E_CALLER_ID = "caller ID: digits only, optionally with a leading +"
E_ATTEMPTS = "maximum attempts: a whole number from 1 to 20"
E_RETRY = "retry delays: whole numbers, 0 or more"
E_PROMPT = "no-agent message: choose a recorded prompt or a built-in sound"
E_RECORD = "recording: all or none"
E_AMD = "answering-machine detection: on or off"
E_CAP = "abandon cap: a percentage from 0 to 100"
E_RULE = "abandon rule: day (UK Ofcom) or 30d (US FTC)"
E_RATIO = "lines per agent: a number from 1 to 5"
E_SCRIPT = "agent script: at most 20000 characters"
E_UNKNOWN_FIELD = "campaign: unknown field"
E_KIND = "campaign kind: agents or voice mailing"
E_VOICE_QUEUE = "voice mailing: choose the queue callers reach with the key"
E_MESSAGE = "voice mailing: choose a recorded message or type the text to speak"
E_MESSAGE_PROMPT = "voice mailing: the recorded message must be one of the box's prompts"
E_MESSAGE_LONG = "voice mailing: the message text is at most 2000 characters"
E_MESSAGE_LANG = "voice mailing: the message language is Polish or English"
E_PLACEHOLDER = "voice mailing: the message names a field no attached list has"
E_CONNECT_KEY = "voice mailing: the key to reach an agent is a digit 0-9 or none"
E_REPEAT_KEY = "voice mailing: the repeat key is a digit, * or # or none"
E_SAME_KEYS = "voice mailing: the repeat key and the key to reach an agent must differ"
E_MAX_REPEATS = "voice mailing: repeats: a whole number from 0 to 5"
E_MACHINE_ACTION = "answering machines: short message, retry later or hang up"
E_MACHINE_MESSAGE = "answering machines: the short message needs a recording or a text"
E_MAX_LINES = "voice mailing: lines at once: a whole number from 1 to 60"
E_EXISTS = "a campaign with this name already exists"
E_NO_CAMPAIGN = "no such campaign"
E_NO_LIST = "no such contact list"
E_STATUS = "campaign status: draft, running, paused, stopped or finished"
E_TRANSITION = "this campaign cannot go to that status from its current one"
E_START_LISTS = "cannot start: attach at least one contact list that has contacts"
E_START_TRUNK = "cannot start: no trunk is configured to dial out on"
E_START_QUEUE = "cannot start: the agent group (queue) has no agents"
E_START_ENDED = "cannot start: the campaign's end date has passed"
E_START_NOTHING = "cannot resume: every contact has been called; add contacts or a list first"
ERRORS = tuple(v for k, v in dict(globals()).items() if k.startswith("E_"))
W_CAP = "the abandon cap is above 3 %, the legal limit in the UK and the US"
W_NO_PROMPT = "no no-agent message chosen: answered calls with no free agent hear silence"
W_WINDOW_US = "the calling window goes outside 8:00-21:00 (the US rule)"
W_VOICE_NO_KEY = "no key to reach an agent: callees can only listen"
WARNINGS = (W_CAP, W_NO_PROMPT, W_WINDOW_US, W_VOICE_NO_KEY)


def save_campaign(db: sqlite_utils.Database, name: str, *, user: str,
                  lists: Iterable[int] | None = None, **fields: Any) -> int:
    """Create the campaign `name` or change the fields given (the others stay); `queue` is
    the agent group's name (or `queue_id` its id); `lists` replaces its contact lists.

    Every rule is checked on the whole row before anything is written: one transaction.
    """
    name = (name or "").strip()
    if not re.fullmatch(r"[a-z0-9_-]{1,40}", name):
        raise StoreError(E_NAME)
    unknown = set(fields) - set(DEFAULTS) - {"queue", "queue_id"}
    if unknown:
        raise StoreError(f"{E_UNKNOWN_FIELD}: {', '.join(sorted(unknown))}")
    with transaction(db):
        old = _row(db, "SELECT * FROM campaigns WHERE name = ?", [name])
        row = {k: (old[k] if old else v) for k, v in DEFAULTS.items()}
        row["queue_id"] = old["queue_id"] if old else None
        queue = fields.pop("queue", None)
        if queue is not None:
            found = db.execute("SELECT id FROM queues WHERE name = ?", [queue]).fetchone()
            row["queue_id"] = found[0] if found else -1
        row.update(fields)
        if lists is not None:
            lists = [int(i) for i in lists]
        row = _checked(db, row, lists if lists is not None else _list_ids(db, old))
        now = time.time()
        if old:
            cols = list(row)
            db.conn.execute("UPDATE campaigns SET " + ", ".join(f"{c} = ?" for c in cols)
                            + ", updated_at = ? WHERE id = ?",
                            [row[c] for c in cols] + [now, old["id"]])
            campaign_id = old["id"]
        else:
            try:
                cur = db.conn.execute(
                    f"INSERT INTO campaigns (name, {', '.join(row)}, created_at, created_by, "
                    f"updated_at) VALUES (?, {', '.join('?' for _ in row)}, ?, ?, ?)",
                    [name, *row.values(), now, user or "", now])
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"campaign rejected: {exc}") from exc
            campaign_id = cur.lastrowid
        if lists is not None:
            attach_lists(db, campaign_id, lists)
    return campaign_id


def _list_ids(db: sqlite_utils.Database, old: dict | None) -> list[int]:
    if not old:
        return []
    return [r[0] for r in db.execute("SELECT list_id FROM campaign_lists WHERE campaign_id = ?",
                                     [old["id"]])]


def _checked(db: sqlite_utils.Database, row: dict[str, Any],
             list_ids: Iterable[int] = ()) -> dict[str, Any]:
    """The row with every value in its stored type, or the StoreError of the first wrong one."""
    out = dict(row)
    if out["kind"] not in KINDS:
        raise StoreError(E_KIND)
    if out["kind"] == "voice" and (out["queue_id"] is None or not db.execute(
            "SELECT 1 FROM queues WHERE id = ?",
            [_int(out["queue_id"], E_VOICE_QUEUE)]).fetchone()):
        raise StoreError(E_VOICE_QUEUE)
    out["title"] = str(out["title"] or "").strip()
    if len(out["title"]) > 80:
        raise StoreError(E_TITLE)
    if out["mode"] not in MODES:
        raise StoreError(E_MODE)
    if out["queue_id"] is None or not db.execute(
            "SELECT 1 FROM queues WHERE id = ?", [_int(out["queue_id"], E_QUEUE)]).fetchone():
        raise StoreError(E_QUEUE)
    out["queue_id"] = int(out["queue_id"])
    out["ring_s"] = _int(out["ring_s"], E_RING)
    if out["ring_s"] < MIN_RING_S:
        raise StoreError(E_RING)
    if out["ring_s"] > MAX_RING_S:
        raise StoreError(E_RING_MAX)
    for key in ("window_start", "window_end"):
        out[key] = _hhmm(out[key])
    if out["window_start"] >= out["window_end"]:
        raise StoreError(E_WINDOW_ORDER)
    days = "".join(sorted(set(str(out["weekdays"] or ""))))
    if not days or not re.fullmatch(r"[1-7]+", days):
        raise StoreError(E_WEEKDAYS)
    out["weekdays"] = days
    for key in ("start_date", "end_date"):
        out[key] = _date(out[key])
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        raise StoreError(E_DATE_ORDER)
    out["caller_id"] = re.sub(r"[\s\-()]", "", str(out["caller_id"] or ""))
    if out["caller_id"] and not re.fullmatch(r"\+?[0-9]{1,20}", out["caller_id"]):
        raise StoreError(E_CALLER_ID)
    out["max_attempts"] = _int(out["max_attempts"], E_ATTEMPTS)
    if not 1 <= out["max_attempts"] <= 20:
        raise StoreError(E_ATTEMPTS)
    for key in RETRY_FIELDS:
        out[key] = _int(out[key], E_RETRY)
        if out[key] < 0:
            raise StoreError(E_RETRY)
    out["noagent_prompt"] = str(out["noagent_prompt"] or "").strip()
    if out["noagent_prompt"] and out["noagent_prompt"] not in prompt_choices(db):
        raise StoreError(E_PROMPT)
    if out["record"] not in RECORD:
        raise StoreError(E_RECORD)
    if out["amd"] in (True, False, "0", "1"):
        out["amd"] = int(out["amd"])
    if out["amd"] not in (0, 1):
        raise StoreError(E_AMD)
    out["abandon_cap"] = _float(out["abandon_cap"], E_CAP)
    if not 0 <= out["abandon_cap"] <= 100:
        raise StoreError(E_CAP)
    if out["abandon_rule"] not in ABANDON_RULES:
        raise StoreError(E_RULE)
    out["max_ratio"] = _float(out["max_ratio"], E_RATIO)
    if not 1 <= out["max_ratio"] <= 5:
        raise StoreError(E_RATIO)
    out["script"] = str(out["script"] or "")
    if len(out["script"]) > 20000:
        raise StoreError(E_SCRIPT)
    _check_voice(db, out, list_ids)
    return out


def _check_voice(db: sqlite_utils.Database, out: dict[str, Any], list_ids: Iterable[int]) -> None:
    """Voice mailing's fields (kept, and checked as typed, on agent campaigns too)."""
    voice = out["kind"] == "voice"
    prompts = prompt_choices(db)
    for key in ("message_prompt", "machine_prompt", "message_text", "machine_text"):
        out[key] = str(out[key] or "").strip()
        if key.endswith("_text") and len(out[key]) > MAX_MESSAGE_CHARS:
            raise StoreError(E_MESSAGE_LONG)
        if key.endswith("_prompt") and out[key] and out[key] not in prompts:
            raise StoreError(E_MESSAGE_PROMPT)
    if out["message_lang"] not in MESSAGE_LANGS:
        raise StoreError(E_MESSAGE_LANG)
    out["connect_key"] = str(out["connect_key"] or "").strip()
    if out["connect_key"] not in CONNECT_KEYS:
        raise StoreError(E_CONNECT_KEY)
    out["repeat_key"] = str(out["repeat_key"] or "").strip()
    if out["repeat_key"] not in REPEAT_KEYS:
        raise StoreError(E_REPEAT_KEY)
    if out["repeat_key"] and out["repeat_key"] == out["connect_key"]:
        raise StoreError(E_SAME_KEYS)
    out["max_repeats"] = _int(out["max_repeats"], E_MAX_REPEATS)
    if not 0 <= out["max_repeats"] <= 5:
        raise StoreError(E_MAX_REPEATS)
    if out["machine_action"] not in MACHINE_ACTIONS:
        raise StoreError(E_MACHINE_ACTION)
    out["max_lines"] = _int(out["max_lines"], E_MAX_LINES)
    if not 1 <= out["max_lines"] <= 60:
        raise StoreError(E_MAX_LINES)
    if not voice:
        return
    if not out["message_prompt"] and not out["message_text"]:
        raise StoreError(E_MESSAGE)
    if out["amd"] and out["machine_action"] == "short" and not (
            out["machine_prompt"] or out["machine_text"]):
        raise StoreError(E_MACHINE_MESSAGE)
    known = list_fields(db, list_ids)
    for key in ("message_text", "machine_text"):
        for name in placeholders(out[key]):
            if name.casefold() not in {k.casefold() for k in known}:
                raise StoreError(f"{E_PLACEHOLDER}: {{{name}}}")


def placeholders(text: str) -> list[str]:
    """The {names} a message uses, in order, each once."""
    from .desk import PLACEHOLDER
    out: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        name = match.group(1).strip()
        if name not in out:
            out.append(name)
    return out


def list_fields(db: sqlite_utils.Database, list_ids: Iterable[int]) -> list[str]:
    """The placeholders a message may use: name, phone and the lists' own fields."""
    out = ["name", "phone"]
    for list_id in list_ids:
        row = db.execute("SELECT fields FROM contact_lists WHERE id = ?", [list_id]).fetchone()
        try:
            names = json.loads(row[0]) if row else []
        except ValueError:
            names = []
        out += [n for n in names if isinstance(n, str) and n not in out]
    return out


def warnings(row: dict[str, Any]) -> list[str]:
    """Saved but worth a second look: the panel shows these next to the campaign."""
    out = []
    if float(row.get("abandon_cap") or 0) > LEGAL_ABANDON_CAP:
        out.append(W_CAP)
    if not row.get("noagent_prompt"):
        out.append(W_NO_PROMPT)
    if row.get("window_start", "09:00") < "08:00" or row.get("window_end", "20:00") > "21:00":
        out.append(W_WINDOW_US)
    if row.get("kind") == "voice" and not row.get("connect_key"):
        out.append(W_VOICE_NO_KEY)
    return out


def prompt_choices(db: sqlite_utils.Database) -> list[str]:
    """The no-agent messages a campaign may play: the box's prompts, then Asterisk's own."""
    own = [r[0] for r in db.execute("SELECT DISTINCT name FROM prompts ORDER BY name")]
    return own + [p for p in BUILTIN_PROMPTS if p not in own]


def _int(value: Any, error: str) -> int:
    if isinstance(value, bool):
        return int(value)
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise StoreError(error) from None
    if number != int(number):
        raise StoreError(error)
    return int(number)


def _float(value: Any, error: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise StoreError(error) from None
    if number != number:    # NaN
        raise StoreError(error)
    return number


def _hhmm(value: Any) -> str:
    text = str(value or "").strip()
    match = re.fullmatch(r"([01]?[0-9]|2[0-4]):([0-5][0-9])", text)
    if not match or (match[1] == "24" and match[2] != "00"):
        raise StoreError(E_WINDOW_FORMAT)
    return f"{int(match[1]):02d}:{match[2]}"


def _date(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise StoreError(E_DATE_FORMAT) from None


def _row(db: sqlite_utils.Database, sql: str, params: list) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


# -- lists ----------------------------------------------------------------------------------

def attach_lists(db: sqlite_utils.Database, campaign_id: int, list_ids: Iterable[int]) -> None:
    """The campaign's contact lists become exactly `list_ids`.

    A list taken away takes its contacts not yet called with it; contacts already called
    keep their history.  While the campaign runs (or is paused) a new list's contacts join
    at once.
    """
    wanted = {int(i) for i in list_ids}
    with transaction(db):
        status = _status(db, campaign_id)
        for list_id in wanted:
            if not db.execute("SELECT 1 FROM contact_lists WHERE id = ?", [list_id]).fetchone():
                raise StoreError(E_NO_LIST)
        current = {r[0] for r in db.execute(
            "SELECT list_id FROM campaign_lists WHERE campaign_id = ?", [campaign_id])}
        for list_id in current - wanted:
            db.execute("DELETE FROM campaign_lists WHERE campaign_id = ? AND list_id = ?",
                       [campaign_id, list_id])
            db.execute("DELETE FROM campaign_contacts WHERE campaign_id = ? AND state = 'new' "
                       "AND attempts = 0 AND contact_id IN "
                       "(SELECT id FROM contacts WHERE list_id = ?)", [campaign_id, list_id])
        for list_id in wanted - current:
            db.execute("INSERT INTO campaign_lists (campaign_id, list_id) VALUES (?, ?)",
                       [campaign_id, list_id])
        if status in ("running", "paused"):
            join_contacts(db, campaign_id)


def join_contacts(db: sqlite_utils.Database, campaign_id: int) -> int:
    """Add the contacts of the campaign's lists it does not have yet; returns how many.

    Safe to call any time (the dialer may call it to pick up a list that grew while the
    campaign ran): existing rows are never touched.
    """
    with transaction(db):
        cur = db.conn.execute(
            "INSERT OR IGNORE INTO campaign_contacts (campaign_id, contact_id) "
            "SELECT cl.campaign_id, c.id FROM campaign_lists cl "
            "JOIN contacts c ON c.list_id = cl.list_id WHERE cl.campaign_id = ? "
            "ORDER BY c.id", [campaign_id])
        return cur.rowcount


# -- status ---------------------------------------------------------------------------------

def _status(db: sqlite_utils.Database, campaign_id: int) -> str:
    row = db.execute("SELECT status FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if not row:
        raise StoreError(E_NO_CAMPAIGN)
    return row[0]


def can_go(old: str, new: str) -> bool:
    """Whether the panel should offer the button (set_status checks the rest)."""
    return new in TRANSITIONS.get(old, ())


def set_status(db: sqlite_utils.Database, campaign_id: int, status: str, user: str, *,
               today: datetime.date | None = None) -> None:
    """Start, pause, stop or resume a campaign.

    Starting (or resuming) checks what the dialer needs to place a call (contacts, a trunk,
    agents in the queue) and copies new contacts of its lists in.  The dialer notices the
    new status on its next tick; calls already up stay up.
    """
    if status not in STATUSES:
        raise StoreError(E_STATUS)
    with transaction(db):
        old = _status(db, campaign_id)
        if old == status:
            return
        if not can_go(old, status):
            raise StoreError(E_TRANSITION)
        now = time.time()
        if status == "running":
            _check_startable(db, campaign_id, today or datetime.date.today())
            join_contacts(db, campaign_id)
            if old == "finished" and not db.execute(
                    "SELECT 1 FROM campaign_contacts WHERE campaign_id = ? AND state IN "
                    "('new', 'retry', 'callback', 'dialing') LIMIT 1", [campaign_id]).fetchone():
                raise StoreError(E_START_NOTHING)
        db.execute("UPDATE campaigns SET status = ?, updated_at = ?, "
                   "started_at = CASE WHEN ? = 'running' THEN coalesce(started_at, ?) "
                   "ELSE started_at END WHERE id = ?",
                   [status, now, status, now, campaign_id])
    log.info("campaign %s: %s -> %s by %s", campaign_id, old, status, user)


def _check_startable(db: sqlite_utils.Database, campaign_id: int, today: datetime.date) -> None:
    row = _row(db, "SELECT * FROM campaigns WHERE id = ?", [campaign_id])
    if not db.execute("SELECT 1 FROM campaign_lists cl JOIN contacts c ON c.list_id = cl.list_id "
                      "WHERE cl.campaign_id = ? LIMIT 1", [campaign_id]).fetchone():
        raise StoreError(E_START_LISTS)
    if not db.execute("SELECT 1 FROM trunks LIMIT 1").fetchone():
        raise StoreError(E_START_TRUNK)
    if row["kind"] == "agents" and not db.execute(
            "SELECT 1 FROM queue_members WHERE queue_id = ? LIMIT 1", [row["queue_id"]]).fetchone():
        raise StoreError(E_START_QUEUE)
    if row["end_date"] and row["end_date"] < today.isoformat():
        raise StoreError(E_START_ENDED)


# -- reading --------------------------------------------------------------------------------

def campaign(db: sqlite_utils.Database, id_or_name: int | str) -> dict | None:
    """One campaign with `queue` (its queue's name) and `lists` (ids of its contact lists);
    an int is an id, a str a name."""
    where = "c.id = ?" if isinstance(id_or_name, int) else "c.name = ?"
    row = _row(db, "SELECT c.*, q.name AS queue FROM campaigns c "
               f"JOIN queues q ON q.id = c.queue_id WHERE {where}", [id_or_name])
    if row is None:
        return None
    row["lists"] = [r[0] for r in db.execute(
        "SELECT list_id FROM campaign_lists WHERE campaign_id = ? ORDER BY list_id", [row["id"]])]
    return row


def campaigns(db: sqlite_utils.Database) -> list[dict]:
    """Every campaign, newest first, with its queue's name."""
    return list(db.query("SELECT c.*, q.name AS queue FROM campaigns c "
                         "JOIN queues q ON q.id = c.queue_id "
                         "ORDER BY c.created_at DESC, c.id DESC"))


def day_start(now: float) -> float:
    """Local midnight of the day holding `now` (the box's time zone, as the window is)."""
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


def progress(db: sqlite_utils.Database, campaign_id: int, now: float | None = None) -> dict:
    """Where a campaign stands: contacts by state, today's calls by outcome, calls in
    flight, the abandon rate by the campaign's rule, and what the dialer last said."""
    from . import report     # report imports this module
    now = time.time() if now is None else now
    row = campaign(db, campaign_id)
    if row is None:
        raise StoreError(E_NO_CAMPAIGN)
    states = dict.fromkeys(STATES, 0)
    states.update({r[0]: r[1] for r in db.execute(
        "SELECT state, count(*) FROM campaign_contacts WHERE campaign_id = ? GROUP BY state",
        [campaign_id])})
    total = sum(states.values())
    finished = sum(states[s] for s in FINISHED_STATES)
    since = day_start(now)
    today = dict.fromkeys(OUTCOMES, 0)
    today.update({r[0]: r[1] for r in db.execute(
        "SELECT outcome, count(*) FROM campaign_calls WHERE campaign_id = ? "
        "AND coalesce(started_at, requested_at) >= ? AND outcome IS NOT NULL GROUP BY outcome",
        [campaign_id, since])})
    in_flight = db.execute("SELECT count(*) FROM campaign_calls WHERE campaign_id = ? "
                           "AND started_at IS NOT NULL AND ended_at IS NULL",
                           [campaign_id]).fetchone()[0]
    requested = db.execute("SELECT count(*) FROM campaign_calls WHERE campaign_id = ? "
                           "AND requested_at IS NOT NULL AND started_at IS NULL "
                           "AND outcome IS NULL", [campaign_id]).fetchone()[0]
    period = since if row["abandon_rule"] == "day" else now - 30 * 86400
    counts = report.abandon_counts(db, campaign_id, period, now)
    rate = report.abandon_rate(**counts)
    dialer, dialer_at = _dialer_entry(db, campaign_id)
    running = dialer_at is not None and now - dialer_at <= DIALER_STALE_S
    return {
        "id": campaign_id, "name": row["name"], "status": row["status"], "mode": row["mode"],
        "states": states, "total": total, "finished": finished,
        "percent": round(100.0 * finished / total, 1) if total else 0.0,
        "today": today, "dialed_today": sum(today.values()) + in_flight,
        "in_flight": in_flight, "requested": requested,
        "abandon": {**counts, "rate": rate, "cap": row["abandon_cap"],
                    "rule": row["abandon_rule"]},
        "dialer": dialer, "dialer_running": running, "kind": row["kind"],
        "max_lines": row["max_lines"],
        "idle_reason": (dialer or {}).get("idle_reason", "") if running else "",
    }


def _dialer_entry(db: sqlite_utils.Database, campaign_id: int) -> tuple[dict | None, float | None]:
    """This campaign's part of the dialer's `dialer_status` setting, and when it was written."""
    try:
        status = json.loads(get_setting(db, "dialer_status") or "{}")
    except ValueError:
        return None, None
    if not isinstance(status, dict):
        return None, None
    entry = (status.get("campaigns") or {}).get(str(campaign_id))
    at = status.get("at")
    return (entry if isinstance(entry, dict) else None,
            float(at) if isinstance(at, (int, float)) else None)
