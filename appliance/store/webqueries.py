"""Read-only queries the web panel needs beyond `store.config`'s API.

Lists and single rows for the configuration pages (schedules, caller rules, blacklist with
its blocked-call counts, prompts) and for the recordings page (one recording, the agent
extension of a panel user).  Every function here only reads: writes go through
`appliance.store.config`, which checks them.  Never returns an agent's SIP secret.
"""
from __future__ import annotations

import sqlite_utils


def agents(db: sqlite_utils.Database) -> list[dict]:
    """Agents without their SIP secrets, by extension."""
    return list(db.query("SELECT id, extension, name FROM agents ORDER BY extension"))


def agent_extension(db: sqlite_utils.Database, user_id: int) -> str | None:
    """The extension of the agent linked to a panel user (users.agent_id), or None."""
    row = db.execute("SELECT a.extension FROM users u JOIN agents a ON a.id = u.agent_id "
                     "WHERE u.id = ?", [user_id]).fetchone()
    return row[0] if row else None


def queue(db: sqlite_utils.Database, name: str) -> dict | None:
    """One queue row with `penalties` {extension: penalty} of its members."""
    rows = list(db.query("SELECT * FROM queues WHERE name = ?", [name]))
    if not rows:
        return None
    q = rows[0]
    q["penalties"] = {r["extension"]: r["penalty"] for r in db.query(
        "SELECT a.extension, m.penalty FROM queue_members m JOIN agents a ON a.id = m.agent_id "
        "WHERE m.queue_id = ? ORDER BY a.extension", [q["id"]])}
    return q


def routes(db: sqlite_utils.Database) -> list[dict]:
    """Inbound routes by DID, each with the name of its schedule (or None)."""
    return list(db.query(
        "SELECT r.*, s.name AS schedule FROM inbound_routes r "
        "LEFT JOIN schedules s ON s.id = r.schedule_id ORDER BY r.did"))


def route(db: sqlite_utils.Database, did: str) -> dict | None:
    rows = [r for r in routes(db) if r["did"] == did]
    return rows[0] if rows else None


def schedules(db: sqlite_utils.Database) -> list[dict]:
    """Schedules with `hours` [(weekday, opens, closes)] and `holidays` [(day, title)]."""
    out = list(db.query("SELECT * FROM schedules ORDER BY name"))
    for s in out:
        s["hours"] = [tuple(r) for r in db.execute(
            "SELECT weekday, opens, closes FROM schedule_hours WHERE schedule_id = ? "
            "ORDER BY weekday, opens", [s["id"]])]
        s["holidays"] = [tuple(r) for r in db.execute(
            "SELECT day, title FROM schedule_holidays WHERE schedule_id = ? ORDER BY day",
            [s["id"]])]
        s["routes"] = [r[0] for r in db.execute(
            "SELECT did FROM inbound_routes WHERE schedule_id = ? ORDER BY did", [s["id"]])]
    return out


def schedule(db: sqlite_utils.Database, name: str) -> dict | None:
    rows = [s for s in schedules(db) if s["name"] == name]
    return rows[0] if rows else None


def caller_rules(db: sqlite_utils.Database) -> list[dict]:
    """Caller rules by pattern; `has_pin` instead of the PIN's hash."""
    rows = list(db.query("SELECT * FROM caller_rules ORDER BY pattern, match, did"))
    for r in rows:
        r["has_pin"] = bool(r.pop("pin_hash"))
    return rows


def caller_rule(db: sqlite_utils.Database, rule_id: int) -> dict | None:
    rows = [r for r in caller_rules(db) if r["id"] == rule_id]
    return rows[0] if rows else None


def blacklist(db: sqlite_utils.Database) -> list[dict]:
    """Blacklist entries with `blocked` (calls refused by each) and `last_blocked` (epoch)."""
    return list(db.query(
        "SELECT b.*, count(c.id) AS blocked, max(c.at) AS last_blocked FROM blacklist b "
        "LEFT JOIN blocked_calls c ON c.rule_id = b.id GROUP BY b.id ORDER BY b.pattern"))


def blocked_calls(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    """The last blocked calls, newest first, with the pattern of the rule that blocked them."""
    return list(db.query(
        "SELECT c.*, b.pattern, b.match FROM blocked_calls c "
        "LEFT JOIN blacklist b ON b.id = c.rule_id ORDER BY c.at DESC LIMIT ?", [limit]))


def prompts(db: sqlite_utils.Database) -> list[dict]:
    """Prompt rows (name, lang, source, text, seconds, updated_at) by name and language."""
    return list(db.query("SELECT * FROM prompts ORDER BY name, lang"))


def recording(db: sqlite_utils.Database, recording_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM recordings WHERE id = ?", [recording_id]))
    return rows[0] if rows else None
