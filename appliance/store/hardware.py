"""Hardware configuration in the database: DAHDI spans and analog ports, sensor names.

The panel saves what the admin chose for each detected DAHDI span (E1/T1/BRI line settings
and ISDN signalling) and each analog port (what is plugged in, group, context, language);
`dahdi_config()` is what appliance.hal.dahdi renders into system.conf and
appliance.telephony.render into chan_dahdi.conf.  Every write is one transaction and every
refusal a StoreError saying what to change.  This module never runs dahdi_cfg and never
touches hardware.
"""
from __future__ import annotations

import re
from typing import Any

import sqlite_utils

from .db import StoreError, transaction

# where calls from a port or span enter the dialplan (contexts of telephony.render)
CONTEXTS = {
    "from-trunk": "an outside line: calls enter the inbound routes (menus, queues)",
    "from-internal": "a phone: it can call agents and outside numbers",
}
LANGS = ("pl", "en")
SPAN_KINDS = ("E1", "T1", "BRI")
CHANNELS = {"E1": 31, "T1": 24, "BRI": 3}
FRAMINGS = {"E1": ("ccs", "cas"), "T1": ("esf", "d4"), "BRI": ("ccs",)}
CODINGS = {"E1": ("hdb3", "ami"), "T1": ("b8zs", "ami"), "BRI": ("ami",)}
SIGNALLINGS = {
    "E1": ("pri_cpe", "pri_net"), "T1": ("pri_cpe", "pri_net"),
    "BRI": ("bri_cpe", "bri_net", "bri_cpe_ptmp", "bri_net_ptmp"),
}
SWITCHTYPES = ("euroisdn", "national", "ni1", "dms100", "4ess", "5ess", "qsig")
# what a new span of each kind gets (a Polish carrier's usual line)
SPAN_DEFAULTS = {
    "E1": {"framing": "ccs", "coding": "hdb3", "crc4": 1, "signalling": "pri_cpe"},
    "T1": {"framing": "esf", "coding": "b8zs", "crc4": 0, "signalling": "pri_cpe"},
    "BRI": {"framing": "ccs", "coding": "ami", "crc4": 0, "signalling": "bri_cpe_ptmp"},
}
MODULES = ("FXS", "FXO")
# module -> the context its calls usually enter
PORT_CONTEXT = {"FXS": "from-internal", "FXO": "from-trunk"}


def _check_common(what: str, group: int, context: str, lang: str) -> None:
    if not isinstance(group, int) or not 0 <= group <= 63:
        raise StoreError(f"{what}: group is a number 0-63")
    if context not in CONTEXTS:
        raise StoreError(f"{what}: calls go to {' or '.join(CONTEXTS)}, not {context!r}")
    if lang not in LANGS:
        raise StoreError(f"{what}: language is pl or en")


def _check_overlap(db: sqlite_utils.Database, span: int, first: int, count: int) -> None:
    for row in db.query("SELECT span, first_channel, channels FROM dahdi_spans WHERE span != ?",
                        [span]):
        if first <= row["first_channel"] + row["channels"] - 1 and \
                row["first_channel"] <= first + count - 1:
            raise StoreError(f"span {span}: channels {first}-{first + count - 1} overlap span "
                             f"{row['span']}; scan the cards again")


def save_span(db: sqlite_utils.Database, span: int, kind: str, *, first_channel: int,
              channels: int | None = None, description: str = "", enabled: bool = True,
              framing: str | None = None, coding: str | None = None, crc4: bool | None = None,
              timing: int = 1, signalling: str | None = None, switchtype: str = "euroisdn",
              group: int = 0, context: str = "from-trunk", lang: str = "pl") -> None:
    """Create or change a digital span (E1/T1 PRI, or a BRI port); unset line settings take
    the usual values for `kind`."""
    what = f"span {span}"
    if kind not in SPAN_KINDS:
        raise StoreError(f"{what}: the line is E1, T1 or BRI, not {kind!r}")
    defaults = SPAN_DEFAULTS[kind]
    framing = framing or defaults["framing"]
    coding = coding or defaults["coding"]
    signalling = signalling or defaults["signalling"]
    crc4 = defaults["crc4"] if crc4 is None else int(bool(crc4))
    channels = CHANNELS[kind] if channels is None else channels
    if not isinstance(span, int) or not 1 <= span <= 256:
        raise StoreError(f"span number 1-256, not {span!r}")
    if channels != CHANNELS[kind]:
        raise StoreError(f"{what}: a {kind} line has {CHANNELS[kind]} channels, the card "
                         f"reports {channels}; choose the line type the card has")
    if framing not in FRAMINGS[kind]:
        raise StoreError(f"{what}: {kind} framing is {' or '.join(FRAMINGS[kind])}")
    if coding not in CODINGS[kind]:
        raise StoreError(f"{what}: {kind} line coding is {' or '.join(CODINGS[kind])}")
    if signalling not in SIGNALLINGS[kind]:
        raise StoreError(f"{what}: {kind} signalling is one of {', '.join(SIGNALLINGS[kind])}")
    if framing == "cas":
        raise StoreError(f"{what}: ISDN (PRI) needs CCS framing; CAS (R2) lines are not supported")
    if crc4 and kind != "E1":
        raise StoreError(f"{what}: CRC4 exists only on E1 lines")
    if switchtype not in SWITCHTYPES:
        raise StoreError(f"{what}: switch type is one of {', '.join(SWITCHTYPES)}")
    if not isinstance(timing, int) or not 0 <= timing <= 255:
        raise StoreError(f"{what}: timing source priority is 0 (never) to 255")
    _check_common(what, group, context, lang)
    row = {"kind": kind, "first_channel": first_channel, "channels": channels,
           "description": description[:200], "enabled": int(bool(enabled)), "framing": framing,
           "coding": coding, "crc4": crc4, "timing": timing, "signalling": signalling,
           "switchtype": switchtype, "grp": group, "context": context, "lang": lang}
    with transaction(db):
        _check_overlap(db, span, first_channel, channels)
        _upsert(db, "dahdi_spans", "span", span, row)
        db.execute("DELETE FROM dahdi_ports WHERE span = ?", [span])


def save_port(db: sqlite_utils.Database, channel: int, *, span: int, first_channel: int,
              channels: int, module: str, enabled: bool = True, group: int = 0,
              context: str | None = None, lang: str = "pl", title: str = "",
              description: str = "") -> None:
    """Create or change one analog port of analog span `span` (channels first_channel ..
    first_channel+channels-1, as detected).  `module`: what the card has in that slot -
    FXS (a phone plugs in) or FXO (a telephone line plugs in)."""
    what = f"port {channel}"
    if module not in MODULES:
        raise StoreError(f"{what}: the module is FXS (for a phone) or FXO (for a telephone "
                         f"line), not {module!r}")
    if not first_channel <= channel < first_channel + channels:
        raise StoreError(f"{what}: not a channel of span {span} "
                         f"({first_channel}-{first_channel + channels - 1})")
    context = context or PORT_CONTEXT[module]
    _check_common(what, group, context, lang)
    if len(title) > 64:
        raise StoreError(f"{what}: a name of at most 64 characters")
    with transaction(db):
        existing = db.execute("SELECT kind FROM dahdi_spans WHERE span = ?", [span]).fetchone()
        if existing and existing[0] != "analog":
            raise StoreError(f"{what}: span {span} is configured as {existing[0]}, not analog")
        if not existing:
            _check_overlap(db, span, first_channel, channels)
            _upsert(db, "dahdi_spans", "span", span, {
                "kind": "analog", "first_channel": first_channel, "channels": channels,
                "description": description[:200], "context": PORT_CONTEXT[module]})
        _upsert(db, "dahdi_ports", "channel", channel, {
            "span": span, "module": module, "enabled": int(bool(enabled)), "grp": group,
            "context": context, "lang": lang, "title": title.strip()})


def delete_span(db: sqlite_utils.Database, span: int) -> None:
    """Forget a span's configuration (its ports too); the card stays, unconfigured."""
    with transaction(db):
        cur = db.execute("DELETE FROM dahdi_spans WHERE span = ?", [span])
        if cur.rowcount != 1:
            raise StoreError(f"span {span} is not configured")


def delete_port(db: sqlite_utils.Database, channel: int) -> None:
    with transaction(db):
        row = db.execute("SELECT span FROM dahdi_ports WHERE channel = ?", [channel]).fetchone()
        if not row:
            raise StoreError(f"port {channel} is not configured")
        db.execute("DELETE FROM dahdi_ports WHERE channel = ?", [channel])
        left = db.execute("SELECT count(*) FROM dahdi_ports WHERE span = ?", [row[0]]).fetchone()
        if not left[0]:
            db.execute("DELETE FROM dahdi_spans WHERE span = ? AND kind = 'analog'", [row[0]])


def dahdi_config(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Configured spans in span order; analog spans carry their "ports".  Keys are the
    column names, with `group` for grp."""
    spans = []
    for row in db.query("SELECT * FROM dahdi_spans ORDER BY span"):
        row["group"] = row.pop("grp")
        if row["kind"] == "analog":
            row["ports"] = []
            for port in db.query("SELECT * FROM dahdi_ports WHERE span = ? ORDER BY channel",
                                 [row["span"]]):
                port["group"] = port.pop("grp")
                row["ports"].append(port)
        spans.append(row)
    return spans


def dahdi_channels_configured(config: list[dict[str, Any]]) -> bool:
    """True when at least one channel will exist for chan_dahdi."""
    return any(s["enabled"] and (s["kind"] != "analog" or any(p["enabled"] for p in s["ports"]))
               for s in config)


# -- sensor names ------------------------------------------------------------------------------

def sensor_names(db: sqlite_utils.Database) -> dict[str, str]:
    """Reading.source -> the name the admin gave it."""
    return {r["source"]: r["name"] for r in db.query("SELECT source, name FROM sensor_names")}


def set_sensor_name(db: sqlite_utils.Database, source: str, name: str) -> None:
    """Name a sensor ("" removes the name; the sensor keeps its technical name)."""
    name = name.strip()
    if not re.fullmatch(r"i2c-\d+:0x[0-9a-f]{2}|i2c-\d+|hwmon\d+/(temp|in|fan)\d+_input",
                        source or ""):
        raise StoreError(f"unknown sensor {source!r}")
    if len(name) > 64:
        raise StoreError("a sensor name of at most 64 characters")
    with transaction(db):
        if name:
            _upsert(db, "sensor_names", "source", source, {"name": name})
        else:
            db.execute("DELETE FROM sensor_names WHERE source = ?", [source])


def _upsert(db: sqlite_utils.Database, table: str, key: str, value: Any,
            row: dict[str, Any]) -> None:
    cols = [key, *row]
    sets = ", ".join(f"{c} = excluded.{c}" for c in row)
    try:
        db.conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT({key}) DO UPDATE SET {sets}", [value, *row.values()])
    except Exception as exc:   # a CHECK the checks above missed: say which value
        raise StoreError(f"{table}: rejected {row!r}: {exc}") from exc
