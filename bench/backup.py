"""Backup and restore of a box with 10 000 calls of history: size, time, memory (IMG-5).

    .venv/bin/python -m bench.backup                        # writes build/bench/backup.json
    .venv/bin/python -m bench.backup --recordings-mb 500    # also a backup with recordings

1. A box's data directory in build/bench/backup-data: the database filled the way the box
   fills it (bench.reports.generate writes Asterisk's queue_log and CDR for `--calls`
   calls over a month, appliance.reports ingests them as jns-reports does, then the
   hourly rollup), panel users, prompts in two languages, hold music, the secrets, and
   with --recordings-mb that many MiB of recordings (random bytes: nothing to compress).
2. `create_backup` (scrypt, SQLite's backup API, the encrypted tar stream), then
   `restore_backup` onto a freshly prepared box, each in its own process so its peak RSS
   is its own; wall time and CPU time of each.
3. The restored box is checked: the same users, configuration and report rows.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
PASSPHRASE = "bench passphrase 2026"


def make_box(data: Path, calls: int, seed: int, recordings_mb: int) -> dict:
    from appliance.store import config, db as store, users
    from bench import reports
    data.mkdir(parents=True)
    work = data.parent / "logs"
    work.mkdir()
    per_month = math.ceil(calls / reports.DAYS) * reports.DAYS
    gen = reports.generate(work / "queue_log", work / "Master.csv", per_month, seed)
    ing = reports.ingest(data / "jns.db", work / "queue_log", work / "Master.csv")
    db = store.open_db(data / "jns.db")
    config.add_queue(db, "support", "Support", members=reports.AGENTS[:20])
    users.create_user(db, "admin", "Bench-admin-1", "admin")
    for ext in reports.AGENTS[:10]:
        users.create_user(db, f"agent{ext}", "Bench-agent-1", "agent", agent=ext)
    rng = random.Random(seed)
    sizes = {}
    for lang in ("pl", "en"):                  # 20 prompts of ~6 s, 8 kHz 16-bit
        for i in range(20):
            path = data / "asterisk" / "prompts" / lang / f"prompt{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(rng.randbytes(96_000))
            config.save_prompt(db, f"prompt{i}", lang, "upload", seconds=6.0)
    for i in range(3):                         # hold music: 3 files of ~5 min
        path = data / "asterisk" / "moh" / "support" / f"music{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(5 * 2 ** 20))
    for rel, size in (("secrets/https.crt", 800), ("secrets/https.key", 240),
                      ("secrets/ssh/ssh_host_ed25519_key", 400), ("secrets/console.pw", 100)):
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
    (data / "network.json").write_text('{"mode": "dhcp"}\n')
    block = os.urandom(2 ** 20)
    for i in range(recordings_mb):
        path = data / "asterisk" / "spool" / "monitor" / f"{i // 100:03d}" / f"call-{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(block[i % 997:] + block[:i % 997])
    db.conn.close()
    shutil.rmtree(work)
    for path in data.rglob("*"):
        if path.is_file():
            sizes[path.relative_to(data).parts[0]] = sizes.get(path.relative_to(data).parts[0], 0) \
                + path.stat().st_size
    return {"calls": per_month, "generated": gen, "ingest": {k: ing[k] for k in ("queue_log", "cdr", "seconds")},
            "bytes_by_folder": sizes}


PROBE = """
import json, re, sys, time
from pathlib import Path
from appliance.lifecycle import backup
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024
what, path, data, recordings = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
t0, c0 = time.perf_counter(), time.process_time()
if what == "create":
    info = backup.create_backup(path, sys.argv[5], data_dir=data, recordings=recordings)
else:
    info = backup.restore_backup(path, sys.argv[5], data_dir=data)
print(json.dumps({"seconds": round(time.perf_counter() - t0, 2),
                  "cpu_seconds": round(time.process_time() - c0, 2),
                  "peak_rss_mb": round(hwm(), 1), "info": info}))
"""


def _child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _picture(data: Path) -> dict:
    from appliance.store import config, db as store, users
    db = store.open_db(data / "jns.db")
    try:
        return {"users": users.list_users(db), "config": config.snapshot(db),
                "report_calls": db.execute("SELECT count(*) FROM report_calls").fetchone()[0],
                "report_cdr": db.execute("SELECT count(*) FROM report_cdr").fetchone()[0]}
    finally:
        db.conn.close()


def run(workdir: Path, calls: int, seed: int, recordings_mb: int) -> dict:
    from appliance.store import config, db as store
    shutil.rmtree(workdir, ignore_errors=True)
    box = workdir / "box" / "jns"
    t0 = time.perf_counter()
    made = make_box(box, calls, seed, recordings_mb)
    print(f"box made in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{k} {v / 2 ** 20:.1f} MiB" for k, v in made["bytes_by_folder"].items()),
          flush=True)
    before = _picture(box)
    result = {"calls": made["calls"], "report_calls_rows": before["report_calls"],
              "cdr_rows": before["report_cdr"],
              "box": made, "backups": []}
    variants = [False] + ([True] if recordings_mb else [])
    for recordings in variants:
        name = "with-recordings" if recordings else "default"
        out = workdir / f"{name}.jnsbak"
        created = _child("create", str(out), str(box), "1" if recordings else "0", PASSPHRASE)
        fresh = workdir / f"restore-{name}" / "jns"    # a box after its first boot
        config.seed_demo(store.open_db(fresh / "jns.db"))
        restored = _child("restore", str(out), str(fresh), "0", PASSPHRASE)
        same = _picture(fresh) == before
        row = {"variant": name, "file_bytes": out.stat().st_size,
               "content_bytes": created["info"]["content_bytes"],
               "files": created["info"]["files"],
               "db_bytes": created["info"]["db_bytes"],
               "db_packed_bytes": created["info"]["db_packed_bytes"],
               "create": {k: created[k] for k in ("seconds", "cpu_seconds", "peak_rss_mb")},
               "restore": {k: restored[k] for k in ("seconds", "cpu_seconds", "peak_rss_mb")},
               "restored_same": same}
        result["backups"].append(row)
        print(f"{name}: {row['file_bytes'] / 2 ** 20:.1f} MiB file (database "
              f"{row['db_bytes'] / 2 ** 20:.1f} MiB packed to "
              f"{row['db_packed_bytes'] / 2 ** 20:.1f} MiB), create "
              f"{row['create']['seconds']} s (peak {row['create']['peak_rss_mb']} MiB), restore "
              f"{row['restore']['seconds']} s (peak {row['restore']['peak_rss_mb']} MiB), "
              f"restored box {'identical' if same else 'DIFFERENT'}", flush=True)
    result["db_bytes"] = (box / "jns.db").stat().st_size
    result["ok"] = all(r["restored_same"] for r in result["backups"])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.backup")
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--recordings-mb", type=int, default=0,
                    help="MiB of recordings on the box, for a second backup that includes them")
    ap.add_argument("--dir", type=Path, default=OUT / "backup-data")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    res = run(a.dir, a.calls, a.seed, a.recordings_mb)
    report = {"bench": "backup", "machine": {"cpus": os.cpu_count(),
                                             "python": platform.python_version()},
              "load_avg_1min": round(os.getloadavg()[0], 2), **res,
              "duration_s": round(time.perf_counter() - t0, 1)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "backup.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{OUT / 'backup.json'}: {'ok' if res['ok'] else 'RESTORED BOX DIFFERS'}")
    shutil.rmtree(a.dir, ignore_errors=True)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
