"""Conference rooms (CONF-1, CONF-2): the rooms in the database, their dialplan and
ConfBridge profiles, and reading a room's participants from Asterisk.

A room is dialled by its number from a desk phone and reached from outside by a route or
an IVR key with the action "conference".  With a talker PIN set, a caller types a PIN and
the PIN decides the role: talker, listener (listen-only: muted by Asterisk, with no key to
unmute) or leader (mute all, lock, kick).  The bridge in Asterisk is `conf-<number>`.

Contract with the scheduled conferences (conference_calls.py): [jns-confroom] <number> asks
for the PIN; [jns-conf-enter] <number> takes JNS_CONF_ROLE and joins at once.

This module never talks to the panel and never keeps call state; jns-calld's Actions call
`participants()` on what AMI ConfbridgeList returned.  It must not import render at module
level (render imports it).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from ..store.db import StoreError, transaction

ROLES = ("talker", "listener", "leader")
PARK_NUMBERS = range(700, 721)          # res_parking: 700 parks, 701..720 are the spaces
PIN_TIMEOUT_S = 10                      # Read: seconds to wait for each digit of the PIN
FIELDS = ("number", "title", "talker_pin", "listener_pin", "leader_pin", "pin_tries",
          "max_members", "record", "wait_for_leader", "voting")
LEADER_KEYS = {"1": "toggle_mute", "2": "admin_toggle_mute_participants",
               "3": "admin_toggle_conference_lock", "4": "admin_kick_last"}


def bridge(number: str) -> str:
    """The ConfBridge conference name of a room."""
    return f"conf-{number}"


# -- rooms in the database ------------------------------------------------------------------

def rooms(db) -> list[dict]:
    return [dict(r) for r in db.query("SELECT * FROM conf_rooms ORDER BY number")]


def room(db, room_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM conf_rooms WHERE id = ?", [room_id]))
    return rows[0] if rows else None


def room_by_number(db, number: str) -> dict | None:
    rows = list(db.query("SELECT * FROM conf_rooms WHERE number = ?", [str(number)]))
    return rows[0] if rows else None


def _whole(value, label: str, low: int, high: int) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise StoreError(f"{label}: enter a whole number from {low} to {high}") from None
    if not low <= n <= high:
        raise StoreError(f"{label}: enter a whole number from {low} to {high}")
    return n


def check_room(db, fields: dict, room_id: int | None = None) -> dict:
    """The room's fields cleaned and checked; StoreError says what to change."""
    number = str(fields.get("number") or "").strip()
    if not re.fullmatch(r"[0-9]{2,8}", number):
        raise StoreError("room number: 2 to 8 digits")
    if number.isdigit() and int(number) in PARK_NUMBERS:
        raise StoreError("room number: 700 to 720 are the parking spaces; choose another number")
    if db.execute("SELECT 1 FROM agents WHERE extension = ?", [number]).fetchone():
        raise StoreError(f"room number: {number} is an agent's extension; choose another number")
    if db.execute("SELECT 1 FROM inbound_routes WHERE did = ?", [number]).fetchone():
        raise StoreError(f"room number: {number} is a dialled number (DID) with a route; "
                         "choose another number")
    other = db.execute("SELECT id FROM conf_rooms WHERE number = ?", [number]).fetchone()
    if other and other[0] != room_id:
        raise StoreError(f"room number: room {number} exists already")
    title = str(fields.get("title") or "").strip()
    if len(title) > 80 or any(ord(ch) < 32 for ch in title):
        raise StoreError("room title: at most 80 characters, no control characters")
    pins = {}
    for role in ROLES:
        pin = str(fields.get(f"{role}_pin") or "").strip()
        if pin and not re.fullmatch(r"[0-9]{4,12}", pin):
            raise StoreError(f"{role} PIN: 4 to 12 digits, or empty for none")
        pins[role] = pin
    set_pins = [p for p in pins.values() if p]
    if len(set_pins) != len(set(set_pins)):
        raise StoreError("PINs: the talker, listener and leader PINs must differ from each "
                         "other (the PIN typed decides the role)")
    if not pins["talker"] and (pins["listener"] or pins["leader"]):
        raise StoreError("talker PIN: set it too; without it nobody is asked for a PIN, so "
                         "the listener and leader PINs could never be typed")
    out = {"number": number, "title": title, "talker_pin": pins["talker"],
           "listener_pin": pins["listener"], "leader_pin": pins["leader"],
           "pin_tries": _whole(fields.get("pin_tries", 3), "PIN tries", 1, 5),
           "max_members": _whole(fields.get("max_members", 30), "most participants", 2, 200)}
    for flag in ("record", "wait_for_leader", "voting"):
        out[flag] = 1 if fields.get(flag) not in (None, "", "0", 0, False) else 0
    if out["wait_for_leader"] and not out["leader_pin"]:
        raise StoreError("wait for the leader: set a leader PIN, or nobody could ever start "
                         "the conference")
    return out


def save_room(db, fields: dict, *, user: str = "", room_id: int | None = None) -> int:
    """Create (room_id None) or change a room; returns its id.  A changed number must not
    strand a route or IVR key that leads into the old one."""
    with transaction(db):
        row = check_room(db, fields, room_id)
        if room_id is None:
            cols = ", ".join([*row, "created_at", "created_by"])
            cur = db.conn.execute(
                f"INSERT INTO conf_rooms ({cols}) VALUES ({', '.join('?' * (len(row) + 2))})",
                [*row.values(), time.time(), user])
            return cur.lastrowid
        old = room(db, room_id)
        if old is None:
            raise StoreError("this room no longer exists; reload the list")
        if old["number"] != row["number"]:
            _refuse_if_used(db, old["number"], "change the number of")
        db.conn.execute(f"UPDATE conf_rooms SET {', '.join(f'{k} = ?' for k in row)} "
                        "WHERE id = ?", [*row.values(), room_id])
        return room_id


def delete_room(db, room_id: int) -> None:
    """Delete a room nothing leads into and nothing is scheduled in (that would be lost)."""
    with transaction(db):
        old = room(db, room_id)
        if old is None:
            raise StoreError("this room no longer exists; reload the list")
        _refuse_if_used(db, old["number"], "delete")
        n = db.execute("SELECT count(*) FROM conf_schedules WHERE room_id = ?",
                       [room_id]).fetchone()[0]
        if n:
            raise StoreError(f"room {old['number']} has {n} scheduled conference(s); delete "
                             "them on the Scheduled conferences page first")
        db.conn.execute("DELETE FROM conf_rooms WHERE id = ?", [room_id])


def uses_of(db, number: str) -> list[str]:
    """What sends callers into room `number`: routes, IVR keys, caller rules, queues."""
    queries = [
        ("SELECT did FROM inbound_routes WHERE (action = 'conference' AND target = ?) "
         "OR (closed_action = 'conference' AND closed_target = ?)", 2, "route {}"),
        ("SELECT m.name || ' key ' || o.key FROM ivr_options o JOIN ivr_menus m "
         "ON m.id = o.menu_id WHERE o.action = 'conference' AND o.target = ?", 1, "menu {}"),
        ("SELECT name FROM ivr_menus WHERE (fallback_action = 'conference' "
         "AND fallback_target = ?) OR (timeout_action = 'conference' AND timeout_target = ?) "
         "OR (invalid_action = 'conference' AND invalid_target = ?)", 3, "menu {}"),
        ("SELECT pattern FROM caller_rules WHERE action = 'conference' AND target = ?", 1,
         "caller rule {}"),
        ("SELECT name FROM queues WHERE overflow_action = 'conference' AND overflow_target = ?",
         1, "queue {}")]
    out = []
    for sql, n, label in queries:
        out += [label.format(r[0]) for r in db.execute(sql, [number] * n)]
    ops = dict(db.execute("SELECT key, value FROM settings WHERE key IN "
                          "('operator_action', 'operator_target')").fetchall())
    if ops.get("operator_action") == "conference" and ops.get("operator_target") == number:
        out.append("operator destination")
    return out


def _refuse_if_used(db, number: str, what: str) -> None:
    used = uses_of(db, number)
    if used:
        raise StoreError(f"cannot {what} room {number}: {', '.join(used)} lead(s) into it; "
                         "point them elsewhere first")


def recordings(monitor_dir: str | Path | None, number: str) -> list[dict]:
    """The room's recordings (newest first) under <monitor>/conference/: name, size, time."""
    if not monitor_dir:
        return []
    folder = Path(monitor_dir) / "conference"
    out = []
    for path in folder.glob(f"{number}-*.wav") if folder.is_dir() else ():
        m = re.fullmatch(rf"{re.escape(number)}-([0-9]+)\.wav", path.name)
        if m:
            st = path.stat()
            out.append({"name": path.name, "size": st.st_size, "at": int(m.group(1))})
    return sorted(out, key=lambda r: r["at"], reverse=True)


# -- Asterisk's files -----------------------------------------------------------------------

def dialplan(snap: dict, lay) -> list[str]:
    """extensions.conf lines of the rooms: [jns-confroom] (PIN) and [jns-conf-enter]."""
    rooms_ = snap.get("conf_rooms") or []
    out = ["; conference rooms: the PIN typed decides the role (talker, listener, leader)",
           "[jns-confroom]"]
    for r in rooms_:
        n = r["number"]
        out += [f"exten => {n},1,Answer()", " same => n,Set(JNS_CONF_ROLE=talker)"]
        if not r["talker_pin"]:
            out += [f" same => n,Goto(jns-conf-enter,{n},1)"]
            continue
        out += [" same => n,Set(JNS_CONF_TRIES=0)",
                f" same => n(pin),Read(JNS_CONF_PIN,conf-getpin,12,,1,{PIN_TIMEOUT_S})",
                " same => n,Set(JNS_CONF_TRIES=$[${JNS_CONF_TRIES} + 1])"]
        for role in ROLES:
            if r[f"{role}_pin"]:
                out.append(f' same => n,GotoIf($["${{JNS_CONF_PIN}}" = "{r[role + "_pin"]}"]'
                           f"?{role})")
        out += [f" same => n,GotoIf($[${{JNS_CONF_TRIES}} >= {r['pin_tries']}]?bad)",
                " same => n,Playback(conf-invalidpin)",
                " same => n,Goto(pin)",
                f" same => n(bad),UserEvent(JnsConf,Kind: badpin,Room: {n})",
                " same => n,Playback(conf-invalidpin&vm-goodbye)",
                " same => n,Hangup()"]
        for role in ROLES:
            if r[f"{role}_pin"]:
                out += [f" same => n({role}),Set(JNS_CONF_ROLE={role})",
                        f" same => n,Goto(jns-conf-enter,{n},1)"]
    out += ["", "; into a room with a known role (JNS_CONF_ROLE: talker, listener, leader)",
            "[jns-conf-enter]"]
    for r in rooms_:
        n = r["number"]
        out += [f"exten => {n},1,Set(JNS_CONF_ROOM={n})",
                ' same => n,ExecIf($["${JNS_CONF_ROLE}" != "listener" & '
                '"${JNS_CONF_ROLE}" != "leader"]?Set(JNS_CONF_ROLE=talker))',
                " same => n,Answer()",
                f" same => n,UserEvent(JnsConf,Kind: join,Room: {n},Role: ${{JNS_CONF_ROLE}})",
                f" same => n,ConfBridge({bridge(n)},jns-room-{n},jns-room-{n}-${{JNS_CONF_ROLE}},"
                f"jns-room-{n}-${{JNS_CONF_ROLE}}-menu)",
                " same => n,Hangup()"]
    return out + [""]


def confbridge_conf(snap: dict, lay) -> str:
    """confbridge.conf: the operator's profiles and, per room, a bridge profile, the three
    user profiles and their DTMF menus."""
    from .render import _ini   # render imports this module
    sections: list = [
        ("general", []), ("default_user", [("type", "user")]),
        ("default_bridge", [("type", "bridge")]),
        # the operator's conferences: callers, agents and the operator in one room
        ("jns-operator", [("type", "bridge"), ("max_members", 20),
                          ("record_conference", "no")]),
        ("jns-member", [("type", "user"), ("quiet", "yes"), ("announce_only_user", "no"),
                        ("announce_user_count", "no"), ("music_on_hold_when_empty", "yes"),
                        ("dsp_drop_silence", "yes")]),
    ]
    for r in snap.get("conf_rooms") or []:
        n = r["number"]
        bridge_opts = [("type", "bridge"), ("max_members", r["max_members"])]
        if r["record"]:
            bridge_opts += [("record_conference", "yes"),
                            ("record_file", f"{lay.root}/spool/monitor/conference/{n}.wav"),
                            ("record_file_timestamp", "yes")]
        sections.append((f"jns-room-{n}", bridge_opts))
        common = [("type", "user"), ("music_on_hold_when_empty", "yes"),
                  ("announce_user_count", "yes"), ("talk_detection_events", "yes"),
                  ("dsp_drop_silence", "yes")]
        wait = [("wait_marked", "yes")] if r["wait_for_leader"] else []
        sections += [
            (f"jns-room-{n}-talker", common + wait),
            (f"jns-room-{n}-listener", common + wait + [("startmuted", "yes")]),
            (f"jns-room-{n}-leader", common + [("admin", "yes"), ("marked", "yes")]),
        ]
        votes = [(str(k), f"dialplan_exec(jns-conf-vote,{k},1)") for k in range(1, 10)] \
            if r["voting"] else []
        sections += [
            (f"jns-room-{n}-talker-menu",
             [("type", "menu"), ("*1" if r["voting"] else "1", "toggle_mute")] + votes),
            (f"jns-room-{n}-listener-menu", [("type", "menu")] + votes),
            (f"jns-room-{n}-leader-menu",
             [("type", "menu")] + [(k, v) for k, v in LEADER_KEYS.items()]),
        ]
    return _ini(sections)


# -- a room's participants as Asterisk reports them -----------------------------------------

def participants(events: list[dict], roles: dict[str, str]) -> list[dict]:
    """ConfbridgeList events -> the panel's rows.  `roles`: channel -> JNS_CONF_ROLE (the
    role the PIN gave); without it an admin is a leader, a muted one a listener."""
    out = []
    for e in events:
        if e.get("Event") != "ConfbridgeList":
            continue
        channel = e.get("Channel", "")
        muted = e.get("Muted", "No").lower() == "yes"
        role = roles.get(channel) or ("leader" if e.get("Admin", "No").lower() == "yes"
                                      else "listener" if muted else "talker")
        try:
            joined_s = int(e.get("AnsweredTime") or 0)
        except ValueError:
            joined_s = 0
        out.append({"channel": channel, "number": e.get("CallerIDNum", ""),
                    "name": "" if e.get("CallerIDName") in (None, "<unknown>") else
                    e.get("CallerIDName", ""),
                    "role": role if role in ROLES else "talker", "muted": muted,
                    "talking": e.get("Talking", "No").lower() == "yes",
                    "waiting": e.get("Waiting", "No").lower() == "yes",
                    "joined_s": joined_s})
    return out
