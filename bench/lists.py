"""Contact lists: import of a 100 000-row file (CMP-1), rows/s and peak memory.

    .venv/bin/python -m bench.lists                 # writes build/bench/lists.json
    .venv/bin/python -m bench.lists --rows 20000    # a quicker look

A seeded file as an office would send it: Windows-1250 CSV with ';' (Polish Excel's
default), first name, surname, phone written in several ways, city and a note; 5 % of the
numbers invalid, 1 % repeated, a few empty lines; and the same rows as XLSX (numbers stored
as numbers).  Each file is imported into a fresh database by the real code
(appliance.campaigns.lists: read_file, guess_mapping, run_import with its batches) in its
own process, so its peak RSS is the import's own; the time covers reading, mapping and
importing.  The imported, invalid and duplicate counts are checked against the file.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
# a 100 000-row CSV in <= 10 s, the same XLSX in <= 50 s (openpyxl's pure-Python XML
# parsing bounds it: one pass over the sheet is ~20 s on the 2-core box), memory bounded
GOALS = {"csv_rows_per_s": 10_000, "xlsx_rows_per_s": 2_000, "peak_rss_mb": 200}
FIRST = ("Łukasz", "Żaneta", "Ślęzak", "Agnieszka", "Źdźisław", "Anna", "Jan", "Małgorzata")
LAST = ("Żółć", "Łęcka", "Kowalski", "Nowak", "Wiśniewska", "Dąbrowski", "Źrebiec", "Ścisło")
CITIES = ("Łódź", "Kraków", "Gdańsk", "Poznań", "Wrocław", "Zielona Góra")
FORMATS = ("{n}", "{a} {b} {c}", "{a}-{b}-{c}", "+48 {a} {b} {c}", "0048{n}", "48{n}")


def generate(rows: int, seed: int = 7) -> tuple[list[list], dict]:
    """The rows (header first) and what an import must find in them."""
    rng = random.Random(seed)
    out: list[list] = [["Imię", "Nazwisko", "Telefon", "Miasto", "Uwagi"]]
    used: list[str] = []
    expect = {"imported": 0, "invalid": 0, "duplicates": 0, "empty": 0}
    for i in range(rows):
        roll = rng.random()
        if roll < 0.001:
            out.append(["", "", "", "", ""])
            expect["empty"] += 1
            continue
        if roll < 0.051:
            phone = rng.choice(("12345", "abc 600", "600 100 20", "+48 600 100 2000"))
            expect["invalid"] += 1
        elif roll < 0.061 and used:
            phone = rng.choice(used)
            expect["duplicates"] += 1
        else:
            n = f"{500000000 + i}"
            phone = rng.choice(FORMATS).format(n=n, a=n[:3], b=n[3:6], c=n[6:])
            used.append(phone)
            expect["imported"] += 1
        out.append([rng.choice(FIRST), rng.choice(LAST), phone, rng.choice(CITIES),
                    f"note {i}"])
    return out, expect


def write_files(rows: list[list], workdir: Path) -> dict[str, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / "contacts.csv"
    with open(csv_path, "w", encoding="cp1250", newline="") as f:
        for row in rows:
            f.write(";".join(row) + "\r\n")
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for i, row in enumerate(rows):
        phone = row[2]
        if i and phone.isdigit():
            row = row[:2] + [int(phone)] + row[3:]   # as Excel stores a typed number
        sheet.append(row)
    xlsx_path = workdir / "contacts.xlsx"
    book.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def child(path: str, db_path: str) -> None:
    """Run in a fresh process: one import from the upload to 'done'; prints JSON."""
    sys.path.insert(0, str(ROOT))
    from appliance.campaigns import lists
    from appliance.store.db import open_db
    db = open_db(db_path)
    list_id = lists.create_list(db, "bench")
    start = time.perf_counter()
    import_id = lists.import_file_sync(db, db_path, list_id, path, Path(path).name)
    seconds = time.perf_counter() - start
    imp = lists.get_import(db, import_id)
    empty = db.execute("SELECT count(*) FROM list_import_problems WHERE import_id = ? AND "
                       "reason = 'empty'", [import_id]).fetchone()[0]
    print(json.dumps({"seconds": seconds, "status": imp["status"], "error": imp["error"],
                      "encoding": imp["encoding"], "rows": imp["total_rows"],
                      "imported": imp["imported"], "invalid": imp["invalid"],
                      "duplicates": imp["duplicates"], "empty": empty,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(kind: str, path: Path, workdir: Path, expect: dict) -> dict:
    db_path = workdir / f"{kind}.db"
    for p in workdir.glob(f"{kind}.db*"):
        p.unlink()
    out = subprocess.run([sys.executable, "-m", "bench.lists", "--child", str(path), str(db_path)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = round(result["rows"] / result["seconds"])
    result["seconds"] = round(result["seconds"], 2)
    result["peak_rss_mb"] = round(result["peak_rss_mb"], 1)
    result["file_mb"] = round(path.stat().st_size / 1e6, 2)
    result["counts_right"] = all(result[k] == v for k, v in expect.items())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    workdir = OUT / "lists-data"
    rows, expect = generate(args.rows, args.seed)
    files = write_files(rows, workdir)
    results = {kind: measure(kind, path, workdir, expect) for kind, path in files.items()}
    ok = (results["csv"]["rows_per_s"] >= GOALS["csv_rows_per_s"]
          and results["xlsx"]["rows_per_s"] >= GOALS["xlsx_rows_per_s"]
          and all(r["peak_rss_mb"] <= GOALS["peak_rss_mb"] for r in results.values())
          and all(r["counts_right"] and r["status"] == "done" for r in results.values()))
    report = {"bench": "lists", "rows": args.rows, "expected": expect, "results": results,
              "goals": GOALS, "goals_met": ok,
              "machine": {"python": platform.python_version(), "cpu": platform.processor()
                          or platform.machine()},
              "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "lists.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
