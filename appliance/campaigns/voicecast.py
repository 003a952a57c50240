"""Voice mailing (AUTO-1): the message each contact hears, what a call's outcome is, and the
per-number report.

A voice campaign is a campaign of kind 'voice' run by the same dialer as the agent
campaigns (appliance.campaigns.dialer): instead of an agent the answered call hears a
message, a recorded prompt as is or the campaign's text with {name}, {phone} and the lists'
{fields} filled in from the contact and spoken by espeak-ng (appliance.telephony.sounds).
The spoken file is written before the call's Originate, once per campaign and contact, as
<asterisk root>/voicecast/<campaign id>/<contact id>.wav with the text it says beside it
(<contact id>.txt): a changed text or language makes it again.  A synthesis that fails
fails that one call with an error the campaign page shows; it never stops the dialer.

This module never speaks to Asterisk and never reads the panel's request.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ..telephony import sounds
from . import pacer
from .desk import fill_script

# An answered call hung up within this many seconds of the message is tried again (the
# person may have picked up by mistake or been unable to talk); later it counts as reached.
EARLY_HANGUP_S = 5.0
# calls ended like this leave the contact done: the message reached a person (or a machine
# got its short message)
REACHED = ("connected", "pressed", "listened")
VOICE_OUTCOMES = ("connected", "pressed", "listened", "answered", "machine", "noanswer",
                  "busy", "failed", "invalid", "cancelled")


class VoicecastError(Exception):
    """The message of one call could not be made; the text says what the admin can do."""


@dataclass(frozen=True)
class Message:
    """What one call plays: paths as Asterisk sees them (no extension), the spoken texts."""
    sound: str
    text: str = ""
    machine_sound: str = ""
    machine_text: str = ""


def contact_values(db: sqlite_utils.Database, contact_id: int) -> dict[str, str]:
    """{name, phone, <field>: value} of one contact: what placeholders are filled with."""
    row = db.execute("SELECT name, phone, fields FROM contacts WHERE id = ?",
                     [contact_id]).fetchone()
    if row is None:
        return {}
    try:
        fields = json.loads(row[2] or "{}")
    except ValueError:
        fields = {}
    values = {str(k): "" if v is None else str(v) for k, v in
              (fields.items() if isinstance(fields, dict) else ())}
    values.update(name=row[0] or "", phone=row[1])
    return values


def personal_text(template: str, values: dict[str, str]) -> str:
    """The message text with the contact's values in place (desk.fill_script's rules)."""
    return fill_script(template, values)


def _prompt_path(db: sqlite_utils.Database, asterisk_root: str, name: str, lang: str) -> str:
    langs = [r[0] for r in db.execute("SELECT lang FROM prompts WHERE name = ? ORDER BY lang",
                                      [name])]
    if langs:
        use = lang if lang in langs else ("pl" if "pl" in langs else langs[0])
        return f"{asterisk_root}/prompts/{use}/{name}"
    return name        # one of Asterisk's own sounds (campaigns.BUILTIN_PROMPTS)


def _spoken(text: str, lang: str, host_dir: Path, stem: str) -> None:
    """<stem>.wav saying `text` in host_dir, made again only when the text or language
    changed (or the file was forgotten); <stem>.txt keeps what was said and the file's
    size and SHA-256, also after the file is gone (forget)."""
    wav, said = host_dir / f"{stem}.wav", host_dir / f"{stem}.txt"
    try:
        old = json.loads(said.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    if wav.is_file() and (old.get("lang"), old.get("text")) == (lang, text):
        return
    try:
        sounds.synthesize(text, lang, wav)
    except sounds.SoundError as exc:
        raise VoicecastError(f"voice mailing: the message could not be spoken: {exc}") from None
    body = wav.read_bytes()
    record = {"lang": lang, "text": text, "bytes": len(body),
              "sha256": hashlib.sha256(body).hexdigest()}
    tmp = said.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, said)


def forget(host_root: str, campaign_id: int, contact_id: int) -> None:
    """Remove a contact's spoken files once it will not be called again (about 200 kB
    each: a campaign of 20 000 contacts would otherwise keep 4 GB on the box); the .txt
    record of what was said stays for the campaign's page."""
    folder = Path(host_root) / "voicecast" / str(int(campaign_id))
    for stem in (f"{int(contact_id)}", f"{int(contact_id)}-machine"):
        (folder / f"{stem}.wav").unlink(missing_ok=True)


def prepare(db: sqlite_utils.Database, camp: dict, contact_id: int, *, host_root: str,
            asterisk_root: str) -> Message:
    """The message for one contact, its spoken files written if needed (before the call)."""
    lang = camp.get("message_lang") or "pl"
    values = contact_values(db, contact_id)
    rel = f"voicecast/{int(camp['id'])}"
    host_dir = Path(host_root) / rel
    host_dir.mkdir(parents=True, exist_ok=True)
    if camp.get("message_prompt"):
        sound, text = _prompt_path(db, asterisk_root, camp["message_prompt"], lang), ""
    else:
        text = personal_text(camp.get("message_text") or "", values)
        _spoken(text, lang, host_dir, str(contact_id))
        sound = f"{asterisk_root}/{rel}/{contact_id}"
    machine_sound = machine_text = ""
    if camp.get("amd") and camp.get("machine_action") == "short":
        if camp.get("machine_prompt"):
            machine_sound = _prompt_path(db, asterisk_root, camp["machine_prompt"], lang)
        elif camp.get("machine_text"):
            machine_text = personal_text(camp["machine_text"], values)
            _spoken(machine_text, lang, host_dir, f"{contact_id}-machine")
            machine_sound = f"{asterisk_root}/{rel}/{contact_id}-machine"
    return Message(sound, text, machine_sound, machine_text)


def spoken(host_root: str, campaign_id: int, stem: str) -> dict | None:
    """What was last spoken for a contact (stem: the contact id, or '<id>-machine'):
    {"lang", "text", "bytes", "sha256"}; None when nothing was made for it."""
    said = Path(host_root) / "voicecast" / str(int(campaign_id)) / f"{stem}.txt"
    try:
        record = json.loads(said.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "text" in record else None


def spoken_text(host_root: str, campaign_id: int, contact_id: int) -> str | None:
    """The text last spoken for a contact (None: nothing synthesised for it yet)."""
    record = spoken(host_root, campaign_id, str(int(contact_id)))
    return record["text"] if record else None


# -- outcomes -------------------------------------------------------------------------------

def outcome(*, answered: bool, machine: bool, pressed: bool, connected: bool,
            listened: bool, unanswered: str) -> str:
    """A voice call's outcome from what the dialplan told (`unanswered`: the outcome by the
    hang-up cause, for a call nobody answered)."""
    if not answered:
        return unanswered
    if machine:
        return "machine"
    if pressed:
        return "connected" if connected else "pressed"
    return "listened" if listened else "answered"


def next_step(rules: pacer.Rules, camp: dict, outcome: str, heard_s: float | None,
              attempts: int, now: float) -> tuple[str, float]:
    """The contact's state and next_at after a voice call.

    connected, pressed, listened: done.  answered (hung up during the message): done when
    EARLY_HANGUP_S or more of it was heard, else tried again by the no-answer delay.  machine:
    by the campaign's machine_action ('short': done, the short message was left; 'retry':
    by retry_machine_s; 'hangup': done, never called again).  Others by the campaign's
    retry rules, as agent campaigns (invalid: failed at once)."""
    if outcome in REACHED:
        return "done", 0
    if outcome == "answered":
        if (heard_s or 0) >= EARLY_HANGUP_S:
            return "done", 0
        nxt = pacer.retry_at(rules, "noanswer", attempts, now)
        return ("retry", nxt) if nxt is not None else ("done", 0)
    if outcome == "machine" and camp.get("machine_action") != "retry":
        return "done", 0
    nxt = pacer.retry_at(rules, outcome, attempts, now)
    if nxt is None:
        return "failed", 0
    return "retry", nxt


# -- the report -----------------------------------------------------------------------------

TOTAL_KEYS = ("numbers", "dialed", "answered", "listened", "pressed", "connected", "noanswer",
              "busy", "failed", "machine", "dnc", "waiting")


def numbers(db: sqlite_utils.Database, campaign_id: int) -> list[dict]:
    """One row per number of the campaign: its final (latest) outcome, attempts, the most of
    the message heard, the keys pressed, the agent who took it."""
    out = []
    for r in db.query(
            "SELECT c.phone, c.name, k.state, k.attempts, k.last_outcome, "
            "(SELECT max(heard_s) FROM campaign_calls x WHERE x.campaign_id = k.campaign_id "
            " AND x.contact_id = k.contact_id) AS heard_s, "
            "(SELECT max(listened) FROM campaign_calls x WHERE x.campaign_id = k.campaign_id "
            " AND x.contact_id = k.contact_id) AS listened, "
            "(SELECT group_concat(pressed, '') FROM campaign_calls x WHERE "
            " x.campaign_id = k.campaign_id AND x.contact_id = k.contact_id) AS pressed, "
            "(SELECT agent FROM campaign_calls x WHERE x.campaign_id = k.campaign_id AND "
            " x.contact_id = k.contact_id AND x.agent IS NOT NULL ORDER BY x.id DESC LIMIT 1) "
            " AS agent, "
            "(SELECT outcome FROM campaign_calls x WHERE x.campaign_id = k.campaign_id AND "
            " x.contact_id = k.contact_id AND x.outcome IS NOT NULL ORDER BY x.id DESC LIMIT 1) "
            " AS outcome, "
            "(SELECT max(ended_at) FROM campaign_calls x WHERE x.campaign_id = k.campaign_id "
            " AND x.contact_id = k.contact_id) AS last_call_at "
            "FROM campaign_contacts k JOIN contacts c ON c.id = k.contact_id "
            "WHERE k.campaign_id = ? ORDER BY c.phone", [campaign_id]):
        outcome_ = "dnc" if r["state"] == "dnc" else (r["outcome"] or "")
        out.append({"phone": r["phone"], "name": r["name"], "state": r["state"],
                    "outcome": outcome_, "attempts": r["attempts"],
                    "heard_s": r["heard_s"], "listened": "yes" if r["listened"] else "no",
                    "pressed": r["pressed"] or "", "agent": r["agent"] or ""})
    return out


def totals(rows: list[dict]) -> dict:
    """The campaign's figures from `numbers`: each number counted once, by its final outcome
    (answered: every number a person picked up; listened also counts those who pressed)."""
    t = dict.fromkeys(TOTAL_KEYS, 0)
    for r in rows:
        t["numbers"] += 1
        o = r["outcome"]
        if r["attempts"]:
            t["dialed"] += 1
        if o in ("connected", "pressed", "listened", "answered"):
            t["answered"] += 1
        if r["listened"] == "yes":
            t["listened"] += 1
        if o in ("connected", "pressed"):
            t["pressed"] += 1
        if o in ("connected", "noanswer", "busy", "machine", "dnc"):
            t[o] += 1
        if o in ("failed", "invalid"):
            t["failed"] += 1
        if r["state"] in ("new", "retry", "dialing", "callback"):
            t["waiting"] += 1
    return t
