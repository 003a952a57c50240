"""Exports of the reports to CSV and XLSX files (RPT-1..9, AT-1..4, SUP-4), with progress.

The panel asks for an export with `create()` (one report_exports row, status running) and
runs `run()` in a background thread with its own database connection: it streams the
details report's rows with queries.iter_details (never all rows in memory), or writes the
summary's figures and tables, updating done_rows as it goes, then marks the row done (with
the file's path) or failed (with the reason).  The numbers are the ones the page shows:
the same queries with the same Filter; percents rounded to one decimal as on the page,
durations as whole seconds (the header says "(s)"), times as local date and time.

CSV is UTF-8 with a BOM so that Excel opens Polish text right; XLSX is written with
openpyxl in write_only mode, numbers as numbers, one sheet per table for summaries.
Files live in the exports folder under the box's data directory and are deleted after
EXPORT_KEEP_S by `cleanup()`.  This module never changes a report table.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import sqlite_utils

from ..store.db import StoreError, open_db, transaction
from . import queries

EXPORT_KEEP_S = 24 * 3600
FORMATS = ("csv", "xlsx")
PROGRESS_EVERY = 500          # rows between progress updates

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


def filter_params(f: "queries.Filter") -> dict:
    """The Filter as JSON-able parameters (stored with the export: it reproduces the page)."""
    out = dataclasses.asdict(f)
    out["queues"], out["agents"] = list(f.queues), list(f.agents)
    return out


def filter_from_params(params: dict) -> "queries.Filter":
    fields = {f.name for f in dataclasses.fields(queries.Filter)}
    values = {k: v for k, v in params.items() if k in fields}
    values["queues"] = tuple(values.get("queues", ()))
    values["agents"] = tuple(values.get("agents", ()))
    return queries.Filter(**values)


def create(db: sqlite_utils.Database, username: str, report: str, f: "queries.Filter", fmt: str,
           *, where: dict | None = None, sort: str = "", desc: bool = False,
           lang: str = "en") -> int:
    """A new export (status running); raises StoreError for an unknown report or format."""
    if report not in queries.REPORTS:
        raise StoreError(f"there is no report named {report!r}")
    if fmt not in FORMATS:
        raise StoreError(f"export format is one of {', '.join(FORMATS)}, not {fmt!r}")
    params = {"filter": filter_params(f), "where": where or {}, "sort": sort,
              "desc": bool(desc), "lang": lang}
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO report_exports (username, report, params, fmt, status, created_at) "
            "VALUES (?, ?, ?, ?, 'running', ?)",
            [username, report, json.dumps(params, sort_keys=True), fmt, time.time()])
        return int(cur.lastrowid)


def get(db: sqlite_utils.Database, export_id: int) -> dict | None:
    row = db.execute("SELECT id, username, report, params, fmt, status, done_rows, total_rows, "
                     "path, error, created_at, finished_at FROM report_exports WHERE id = ?",
                     [export_id]).fetchone()
    if row is None:
        return None
    keys = ("id", "username", "report", "params", "fmt", "status", "done_rows", "total_rows",
            "path", "error", "created_at", "finished_at")
    out = dict(zip(keys, row))
    out["params"] = json.loads(out["params"])
    return out


def file_name(export: dict) -> str:
    """The name the browser saves the file under, e.g. answered-2026-03-01-2026-03-31.xlsx."""
    f = export["params"]["filter"]
    first = dt.date.fromtimestamp(f["start"]).isoformat()
    last = dt.date.fromtimestamp(f["end"] - 1).isoformat()
    return f"{export['report']}-{first}-{last}.{export['fmt']}"


def run(db_path: str, export_id: int, exports_dir: str,
        translate: Translate = _same) -> None:
    """Write the export's file; on any error the row says failed with the reason.
    Opens its own connection: call it in the thread that does the work."""
    db = open_db(db_path, migrate=False)
    try:
        export = get(db, export_id)
        if export is None:
            return
        try:
            Path(exports_dir).mkdir(parents=True, exist_ok=True)
            path = Path(exports_dir) / f"export-{export_id}.{export['fmt']}"
            _write(db, export, path, translate)
        except Exception as exc:   # the user sees the reason on the progress page
            with transaction(db):
                db.execute("UPDATE report_exports SET status = 'failed', error = ?, "
                           "finished_at = ? WHERE id = ?",
                           [f"{type(exc).__name__}: {exc}", time.time(), export_id])
            return
        with transaction(db):
            db.execute("UPDATE report_exports SET status = 'done', path = ?, "
                       "done_rows = total_rows, finished_at = ? WHERE id = ?",
                       [str(path), time.time(), export_id])
    finally:
        db.conn.close()


def cleanup(db: sqlite_utils.Database, now: float | None = None) -> int:
    """Delete exports (files and rows) older than EXPORT_KEEP_S; how many went."""
    cutoff = (time.time() if now is None else now) - EXPORT_KEEP_S
    old = db.execute("SELECT id, path FROM report_exports WHERE created_at < ?",
                     [cutoff]).fetchall()
    for _id, path in old:
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
    with transaction(db):
        db.execute("DELETE FROM report_exports WHERE created_at < ?", [cutoff])
    return len(old)


# -- values ---------------------------------------------------------------------------------

def header(column: "queries.Column", translate: Translate = _same) -> str:
    label = translate(column.label)
    if column.kind == "seconds":
        return f"{label} (s)"
    if column.kind == "percent":
        return f"{label} (%)"
    return label


def cell(value: Any, kind: str, *, xlsx: bool) -> Any:
    """One value as the file holds it: numbers stay numbers; percent rounded as on the page."""
    if value is None:
        return None if xlsx else ""
    if kind in ("datetime", "date") and isinstance(value, (int, float)):
        moment = dt.datetime.fromtimestamp(value)
        if kind == "date":
            return moment.date() if xlsx else moment.date().isoformat()
        return moment if xlsx else moment.strftime("%Y-%m-%d %H:%M:%S")
    if kind == "percent" and isinstance(value, (int, float)):
        return round(float(value), 1)
    if kind in ("int", "seconds") and isinstance(value, float):
        value = round(value, 1)     # an average of seconds keeps its tenth, as on the page
        return int(value) if value.is_integer() else value
    if kind == "number" and isinstance(value, float):
        return round(value, 1)
    if kind == "recording":
        if isinstance(value, dict):
            value = value.get("path") or value.get("id") or ""
        return "" if value in (None, "", 0) else str(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sections(db: sqlite_utils.Database, export: dict, translate: Translate
              ) -> Iterator[tuple[str, list["queries.Column"], Iterable[dict], int]]:
    """(sheet title, columns, rows, row count) of the export, in order."""
    p = export["params"]
    f = filter_from_params(p["filter"])
    info = queries.REPORTS[export["report"]]
    if info.kind == "details":
        where = p.get("where") or None
        _rows, total = queries.details(db, export["report"], f, where=where, limit=1)
        rows = queries.iter_details(db, export["report"], f, where=where, sort=p.get("sort", ""),
                                    desc=bool(p.get("desc")))
        yield translate(info.title), queries.details_columns(export["report"]), rows, total
        return
    report = queries.summary(db, export["report"], f)
    if report.figures:
        columns = [queries.Column("figure", "Figure"), queries.Column("value", "Value", "number"),
                   queries.Column("unit", "Unit")]
        rows = [{"figure": translate(x.label), "value": _figure_value(x),
                 "unit": _unit(x.kind)} for x in report.figures]
        yield translate("Figures"), columns, rows, len(rows)
    for table in report.tables:
        yield translate(table.title), table.columns, table.rows, len(table.rows)


def _figure_value(figure: "queries.Figure") -> Any:
    if figure.value is None:
        return None
    if figure.kind == "percent":
        return round(float(figure.value), 1)
    return cell(figure.value, figure.kind, xlsx=True)


def _unit(kind: str) -> str:
    return {"seconds": "s", "percent": "%"}.get(kind, "")


def _progress(db: sqlite_utils.Database, export_id: int, done: int, total: int | None = None
              ) -> None:
    with transaction(db):
        if total is None:
            db.execute("UPDATE report_exports SET done_rows = ? WHERE id = ?", [done, export_id])
        else:
            db.execute("UPDATE report_exports SET done_rows = ?, total_rows = ? WHERE id = ?",
                       [done, total, export_id])


def _write(db: sqlite_utils.Database, export: dict, path: Path, translate: Translate) -> None:
    sections = list(_sections(db, export, translate))
    total = sum(n for *_x, n in sections)
    _progress(db, export["id"], 0, total)
    tmp = path.with_suffix(path.suffix + ".part")
    if export["fmt"] == "csv":
        _write_csv(db, export["id"], tmp, sections, translate, several=len(sections) > 1)
    else:
        _write_xlsx(db, export["id"], tmp, sections, translate)
    os.replace(tmp, path)


def _write_csv(db, export_id, path: Path, sections, translate: Translate, *, several: bool) -> None:
    done = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        for n, (title, columns, rows, _count) in enumerate(sections):
            if several:
                if n:
                    writer.writerow([])
                writer.writerow([title])
            writer.writerow([header(c, translate) for c in columns])
            for row in rows:
                writer.writerow([cell(row.get(c.key), c.kind, xlsx=False) for c in columns])
                done += 1
                if done % PROGRESS_EVERY == 0:
                    _progress(db, export_id, done)


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" {i}"
        name, i = base[:31 - len(suffix)] + suffix, i + 1
    used.add(name.lower())
    return name


def _write_xlsx(db, export_id, path: Path, sections, translate: Translate) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise StoreError("XLSX export needs the python3-openpyxl package; "
                         "export as CSV instead") from None
    book = Workbook(write_only=True)
    used: set[str] = set()
    done = 0
    for title, columns, rows, _count in sections:
        sheet = book.create_sheet(_sheet_title(title, used))
        sheet.append([header(c, translate) for c in columns])
        for row in rows:
            sheet.append([cell(row.get(c.key), c.kind, xlsx=True) for c in columns])
            done += 1
            if done % PROGRESS_EVERY == 0:
                _progress(db, export_id, done)
    book.save(path)
