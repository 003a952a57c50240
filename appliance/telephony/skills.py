"""Skills-based routing (BEY-3) on app_queue's own penalties and penalty rules.

Asterisk has no skills.  A queue's skill rule ("0: language>=50, internet>=30" / "60:
language" / "120: *", one step a line) becomes, for each Asterisk queue it needs:

- a member penalty per agent: 1 + the index of the first step the agent satisfies (an agent
  who satisfies none is not in that Asterisk queue);
- a queuerules.conf rule `jns-<asterisk queue>` raising the caller's QUEUE_MAX_PENALTY to
  step k + 1 after step k's seconds (the caller enters at 1: the first step only).

Penalties start at 1, not 0, because older app_queue code reads a max penalty of 0 as "no
limit".  One member has one penalty per queue, so a rule that asks for "language" gets one
Asterisk queue per language a skill stands for, "<queue>.<lang>", beside "<queue>" itself
for callers without a language (there the language terms are dropped).  Queue names are
[a-z0-9_-], so the dot marks a variant; `base_queue()` folds it back for everything past
Asterisk (wallboard, reports, webhooks, callbacks), which must see one queue.

This module never talks to Asterisk: it keeps the store's skills and turns a snapshot into
what the renderer and the desk login write.
"""
from __future__ import annotations

import dataclasses
import re

import sqlite_utils

from ..store.config import agent_skill_levels as agent_levels
from ..store.db import StoreError, transaction

LANGUAGES = ("pl", "en")
LANGUAGE = "language"      # the rule's word for "the skill of the caller's language"
_NAME = re.compile(r"[a-z0-9_-]+\Z")
_TERM = re.compile(r"([a-z0-9_-]+)\s*(?:>=\s*(\d+))?\Z")


class RuleError(StoreError):
    """A skill rule that cannot be used; `problems` are (line, message id, params), the
    message ids in the panel's catalogue."""

    def __init__(self, problems: list[tuple[int, str, dict]]):
        self.problems = problems
        super().__init__("; ".join(f"line {n}: " + msg.format(**kw) for n, msg, kw in problems))


@dataclasses.dataclass(frozen=True)
class Step:
    after_s: int
    terms: tuple[tuple[str, int], ...]   # (skill or "language", lowest level); () = anyone


@dataclasses.dataclass(frozen=True)
class AsteriskQueue:
    """One queue as Asterisk knows it: the queue itself or one of its language variants."""
    name: str
    lang: str                   # '' = callers without a (known) language
    penalties: dict[str, int]   # extension -> member penalty
    rule: str = ""              # queuerules.conf section; '' = no skills routing
    steps: tuple[Step, ...] = ()


def base_queue(name: str) -> str:
    """The queue an Asterisk queue belongs to: "support.pl" -> "support"."""
    return name.split(".", 1)[0] if name else name


# -- the rule ----------------------------------------------------------------------------

def parse_rule(text: str, known: set[str] | None = None) -> list[Step]:
    """Steps of a skill rule, checked; RuleError names every bad line.  `known`: the skill
    names that exist (None: not checked).  Blank lines and lines starting with # are skipped."""
    steps: list[Step] = []
    problems: list[tuple[int, str, dict]] = []
    last: int | None = None       # the previous step's seconds, even if its skills are bad
    for n, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        when, sep, what = line.partition(":")
        if not sep or not when.strip().isdigit():
            problems.append((n, 'write seconds, a colon, then skills, e.g. "60: language>=50"',
                             {}))
            continue
        after, what = int(when.strip()), what.strip()
        if last is None and after != 0:
            problems.append((n, "the first step must start at 0 seconds", {}))
        elif last is not None and after <= last:
            problems.append((n, "each step must start later than the one before", {}))
        last = after
        if not what:
            problems.append((n, "name the skills of this step, or * for anyone", {}))
            continue
        terms: list[tuple[str, int]] = []
        for part in ([] if what == "*" else [p.strip() for p in what.split(",")]):
            m = _TERM.match(part)
            if not m:
                problems.append((n, "{term} is not a skill with an optional level, "
                                    "e.g. internet>=30", {"term": part}))
                continue
            skill, level = m.group(1), int(m.group(2) or 1)
            if not 1 <= level <= 100:
                problems.append((n, "the level of {skill} must be 1-100", {"skill": skill}))
            elif skill != LANGUAGE and known is not None and skill not in known:
                problems.append((n, "there is no skill {skill}", {"skill": skill}))
            else:
                terms.append((skill, level))
        steps.append(Step(after, tuple(terms)))
    if problems:
        raise RuleError(problems)
    return steps


def uses_language(steps: list[Step] | tuple[Step, ...]) -> bool:
    return any(skill == LANGUAGE for s in steps for skill, _ in s.terms)


def first_step(levels: dict[str, int], steps, language_skill: str | None) -> int | None:
    """Index of the first step an agent with `levels` ({skill: level}) satisfies; language
    terms ask for `language_skill`, or are dropped when it is None."""
    for i, step in enumerate(steps):
        ok = True
        for skill, low in step.terms:
            if skill == LANGUAGE:
                if language_skill is None:
                    continue
                skill = language_skill
            if levels.get(skill, 0) < low:
                ok = False
                break
        if ok:
            return i
    return None


def asterisk_queues(queue: dict, snap: dict) -> list[AsteriskQueue]:
    """The Asterisk queues of a snapshot queue: itself, plus "<queue>.<lang>" per language
    skill when its rule asks for "language"."""
    name = queue["name"]
    members = queue.get("members", [])
    rule_text = queue.get("skill_rule") or ""
    if not rule_text.strip():
        penalties = queue.get("penalties", {})
        return [AsteriskQueue(name, "", {ext: penalties.get(ext, 0) for ext in members})]
    steps = tuple(parse_rule(rule_text))
    levels = snap.get("agent_skills", {})
    variants: list[tuple[str, str, str | None]] = [(name, "", None)]
    if uses_language(steps):
        variants += [(f"{name}.{s['language']}", s["language"], s["name"])
                     for s in sorted(snap.get("skills", []), key=lambda s: s["language"])
                     if s["language"]]
    out = []
    for qname, lang, skill in variants:
        penalties = {}
        for ext in members:
            i = first_step(levels.get(ext, {}), steps, skill)
            if i is not None:
                penalties[ext] = i + 1
        out.append(AsteriskQueue(qname, lang, penalties, f"jns-{qname}", steps))
    return out


def queuerules_conf(snap: dict) -> str:
    """queuerules.conf: one rule per skill-routed Asterisk queue."""
    out = []
    for q in snap["queues"]:
        for aq in asterisk_queues(q, snap):
            if aq.rule:
                out.append(f"[{aq.rule}]")
                out += [f"penaltychange => {s.after_s},{i + 1}" for i, s in enumerate(aq.steps)]
                out.append("")
    return "\n".join(out)


def member_penalties(db: sqlite_utils.Database, queue: str, ext: str) -> dict[str, int]:
    """{Asterisk queue: penalty} an agent joins when it logs in to `queue` at the desk."""
    snap = routing_snapshot(db)
    q = next((q for q in snap["queues"] if q["name"] == queue), None)
    if q is None:
        return {}
    return {aq.name: aq.penalties[ext] for aq in asterisk_queues(q, snap) if ext in aq.penalties}


def member_queue(db: sqlite_utils.Database, queue: str, lang: str) -> str:
    """The Asterisk queue a caller of language `lang` joins in `queue` ('' = the queue
    itself), as [jns-queue] picks it: for a callback due later (closing time)."""
    snap = routing_snapshot(db)
    q = next((q for q in snap["queues"] if q["name"] == queue), None)
    if q is None or not lang:
        return ""
    try:
        return next((aq.name for aq in asterisk_queues(q, snap) if aq.lang == lang), "")
    except RuleError:
        return ""


def routing_snapshot(db: sqlite_utils.Database) -> dict:
    """The part of the store's snapshot skills routing reads (queues with members and
    penalties, skills, agents' levels)."""
    queues = list(db.query("SELECT name, skill_rule FROM queues ORDER BY name"))
    for q in queues:
        rows = list(db.query(
            "SELECT a.extension, m.penalty FROM queue_members m JOIN agents a ON a.id = m.agent_id "
            "JOIN queues q ON q.id = m.queue_id WHERE q.name = ? ORDER BY a.extension",
            [q["name"]]))
        q["members"] = [r["extension"] for r in rows]
        q["penalties"] = {r["extension"]: r["penalty"] for r in rows}
    return {"queues": queues, "skills": skills(db), "agent_skills": agent_levels(db)}


# -- the store ---------------------------------------------------------------------------

def skills(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT id, name, title, language FROM skills ORDER BY name"))


def save_skill(db: sqlite_utils.Database, name: str, title: str = "", language: str = "",
               *, old_name: str | None = None) -> int:
    """Create a skill, or change one (`old_name`: its name before; renaming is refused
    while a queue's rule names it)."""
    name = (name or "").strip()
    if not _NAME.match(name) or name == LANGUAGE:
        raise StoreError(f"skill name {name!r}: use lowercase letters, digits, - and _ "
                         f"(and not {LANGUAGE!r}, the rule's word for the caller's language)")
    if language not in ("", *LANGUAGES):
        raise StoreError(f"skill {name!r}: the language is pl, en or none")
    with transaction(db):
        other = db.execute("SELECT name FROM skills WHERE language = ? AND language != '' "
                           "AND name != ?", [language, old_name or name]).fetchone()
        if other:
            raise StoreError(f"skill {other[0]!r} already stands for language {language!r}")
        if old_name is None:
            if db.execute("SELECT 1 FROM skills WHERE name = ?", [name]).fetchone():
                raise StoreError(f"a skill named {name!r} already exists")
            cur = db.conn.execute("INSERT INTO skills(name, title, language) VALUES (?, ?, ?)",
                                  [name, (title or "").strip(), language])
            return cur.lastrowid
        row = db.execute("SELECT id FROM skills WHERE name = ?", [old_name]).fetchone()
        if row is None:
            raise StoreError(f"there is no skill {old_name!r}")
        if name != old_name:
            _refuse_if_used(db, old_name, "renamed")
            if db.execute("SELECT 1 FROM skills WHERE name = ?", [name]).fetchone():
                raise StoreError(f"a skill named {name!r} already exists")
        db.conn.execute("UPDATE skills SET name = ?, title = ?, language = ? WHERE id = ?",
                        [name, (title or "").strip(), language, row[0]])
        return row[0]


def delete_skill(db: sqlite_utils.Database, name: str) -> None:
    """Delete a skill and its agents' levels; refused while a queue's rule names it."""
    with transaction(db):
        _refuse_if_used(db, name, "deleted")
        cur = db.conn.execute("DELETE FROM skills WHERE name = ?", [name])
        if cur.rowcount != 1:
            raise StoreError(f"there is no skill {name!r}")


def _refuse_if_used(db: sqlite_utils.Database, skill: str, what: str) -> None:
    for queue, text in db.execute("SELECT name, skill_rule FROM queues WHERE skill_rule != ''"):
        for step in parse_rule(text):
            if any(s == skill for s, _ in step.terms):
                raise StoreError(f"skill {skill!r} cannot be {what}: the rule of queue "
                                 f"{queue!r} asks for it; change that rule first")


def set_levels(db: sqlite_utils.Database, levels: dict[str, dict[str, int | None]]) -> None:
    """Set agents' levels: {extension: {skill: level 1-100, or None to take it away}}.
    All or nothing."""
    with transaction(db):
        ids = {r[0]: r[1] for r in db.execute("SELECT name, id FROM skills")}
        agents = {r[0]: r[1] for r in db.execute("SELECT extension, id FROM agents")}
        for ext, by_skill in levels.items():
            if ext not in agents:
                raise StoreError(f"there is no agent with extension {ext!r}")
            for skill, level in by_skill.items():
                if skill not in ids:
                    raise StoreError(f"there is no skill {skill!r}")
                if level is None:
                    db.conn.execute("DELETE FROM agent_skills WHERE agent_id = ? AND skill_id = ?",
                                    [agents[ext], ids[skill]])
                    continue
                if not isinstance(level, int) or not 1 <= level <= 100:
                    raise StoreError(f"agent {ext}, skill {skill}: the level must be 1-100 "
                                     "(empty: the agent does not have it)")
                db.conn.execute(
                    "INSERT INTO agent_skills(agent_id, skill_id, level) VALUES (?, ?, ?) "
                    "ON CONFLICT(agent_id, skill_id) DO UPDATE SET level = excluded.level",
                    [agents[ext], ids[skill], level])


def set_queue_routing(db: sqlite_utils.Database, queue: str, *, rule: str = "",
                      overflow_ewt_s: int = 0, overflow_per_agent: float = 0) -> None:
    """A queue's skill rule ('' = none) and overflow thresholds (0 = not checked)."""
    known = {s["name"] for s in skills(db)}
    text = "\n".join(line.rstrip() for line in (rule or "").strip().splitlines())
    parse_rule(text, known)
    try:
        ewt = int(overflow_ewt_s)
        ratio = float(overflow_per_agent)
    except (TypeError, ValueError):
        raise StoreError(f"queue {queue!r}: the overflow thresholds are numbers") from None
    if not 0 <= ewt <= 7200:
        raise StoreError(f"queue {queue!r}: overflow after an estimated wait of 0-7200 s")
    if not 0 <= ratio <= 100:
        raise StoreError(f"queue {queue!r}: overflow above 0-100 callers per agent")
    with transaction(db):
        cur = db.conn.execute("UPDATE queues SET skill_rule = ?, overflow_ewt_s = ?, "
                              "overflow_per_agent = ? WHERE name = ?", [text, ewt, ratio, queue])
        if cur.rowcount != 1:
            raise StoreError(f"Unknown queue {queue!r}")
