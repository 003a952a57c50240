"""The automatic outbound features at size: voice mailing's spoken messages (AUTO-1), an SMS
campaign to 20 000 numbers (AUTO-3) and the conference caller's schedules (CONF-3, AUTO-2).

    .venv/bin/python -m bench.auto                          # writes build/bench/auto.json
    .venv/bin/python -m bench.auto --sms-contacts 2000 --schedules 200 --voice-contacts 5

A fresh database in a temporary directory (the box's time zone, Europe/Warsaw), filled
through the real code (appliance.campaigns.lists, campaigns, sms_campaigns, store.config,
store.sms, telephony.conferences / conference_calls), then:

- voice: appliance.campaigns.voicecast.prepare for N contacts with Polish names and a
  {kwota} field, each message spoken by espeak-ng and converted by sox: the median and
  worst time per contact, the WAV's size and length, and a second call for the same text
  (kept, not spoken again).  The dialer (appliance.campaigns.dialer) makes each message
  inside its tick, right before that call's Originate and one after the other, so a voice
  campaign of max_lines lines starting at once sends its last Originate only after
  max_lines syntheses: "messages per second" and the last call's estimated wait say what
  that costs.  It is also measured: one real Dialer.tick of a max_lines=60 campaign with a
  stand-in AMI session (no Asterisk; its Originate returns at once, as Async=true does)
  records when each Originate left, and an idle tick after it (all lines busy).
- sms: N contacts (Polish names, a share with Polish letters, so those texts are UCS-2) on
  two lists sharing a tenth of the numbers, 500 of the numbers on the global do-not-call
  list, 4 modems 'ready', then sms_campaigns.preview (the page before Start), the first
  feed (it materialises every message), steady feed rounds a minute apart (each queues a
  minute's worth: per_modem_per_min x 4), a feed with nothing to queue, sync and run with
  nothing changed (the idle cost jns-modemd pays every 3 s scan), and run after 1 000
  outbox rows became delivered and 200 replies (a tenth STOP) came into sms_inbox; then
  materialise alone and take_replies alone (200 more replies), to show where time goes.
- conference: N schedules with mixed repeats (none, daily, weekdays, weekly, monthly; some
  with an end date), then what ConferenceCaller.tick does every 0.5 s about them:
  _make_meetings (read all active schedules, occurrences() of each in the last 15 min,
  INSERT OR IGNORE the due ones), on the real method over the database; the pure
  occurrences() part alone; next_start() of each (the schedules page); and schedules()
  (the page itself).  Asterisk is never started.

Peak RSS of the process is reported too.  Nothing is asserted: the numbers are for reading.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import tempfile
import time
import wave
from pathlib import Path

from appliance.campaigns import campaigns as cmp
from appliance.campaigns import dialer as dialer_mod
from appliance.campaigns import lists, sms_campaigns, voicecast
from appliance.store import config
from appliance.store import sms as store_sms
from appliance.store.db import open_db, transaction
from appliance.telephony import conference_calls as cc
from appliance.telephony import conferences

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
TZ = "Europe/Warsaw"
# a third of the first names and a third of the surnames carry Polish letters
FIRST = ("Anna", "Jan", "Piotr", "Marek", "Ewa", "Tomasz", "Łukasz", "Żaneta", "Małgorzata")
LAST = ("Kowalski", "Nowak", "Mazur", "Wójcik", "Kamiński", "Zając", "Lis", "Krawiec", "Baran")
ALWAYS_SMS = {"window_start": "00:00", "window_end": "24:00", "weekdays": "1234567"}
SMS_TEXT = "Dzien dobry {name}, do zaplaty {kwota} PLN. Odpisz STOP, aby nie dostawac SMS."
VOICE_TEXT = ("Dzień dobry {name}. Przypominamy o zaległej płatności w kwocie {kwota} złotych. "
              "Aby połączyć się z konsultantem, naciśnij jeden.")
REPEAT_MIX = ("none", "daily", "weekdays", "weekly", "monthly")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def stats(times_s: list[float]) -> dict:
    return {"n": len(times_s), "median_ms": ms(statistics.median(times_s)),
            "max_ms": ms(max(times_s))}


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return stats(times)


def person(rng: random.Random, i: int) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def amount(rng: random.Random) -> str:
    return f"{rng.randrange(20, 5000)},{rng.randrange(100):02d}"


# -- voice mailing ----------------------------------------------------------------------------

class StandInAmi:
    """What the dialer needs of an AMI session, without Asterisk: connected, Originate taken
    at once (the dialer sends it with Async=true, so Asterisk answers before dialling)."""

    connected = True

    def __init__(self) -> None:
        self.originates: list[float] = []

    def action(self, name: str, **headers):
        if name == "Originate":
            self.originates.append(time.perf_counter())
        return {"Response": "Success"}

    def action_list(self, name: str, complete: str, **headers):
        return {"Response": "Success"}, []


def voice_campaign(db, name: str, list_name: str, n: int, rng: random.Random,
                   max_lines: int) -> tuple[dict, list[int]]:
    list_id = lists.create_list(db, list_name, fields=["kwota"], user="bench")
    ids = [lists.add_contact(db, list_id, f"+48601{i:06d}" if list_name == "glos" else
                             f"+48602{i:06d}", person(rng, i), {"kwota": amount(rng)})
           for i in range(n)]
    cid = cmp.save_campaign(db, name, user="bench", queue="windykacja", lists=[list_id],
                            kind="voice", message_text=VOICE_TEXT, window_start="00:00",
                            window_end="24:00", weekdays="1234567", max_lines=max_lines)
    return cmp.campaign(db, cid), ids


def bench_voice(db, db_path: Path, tmp: Path, n: int, lines: int, rng: random.Random) -> dict:
    config.add_agent(db, "101", "Anna Konsultantka")
    config.save_queue(db, "windykacja", "Windykacja", members=["101"])
    config.add_trunk(db, "telco", "192.0.2.1")
    host = tmp / "asterisk"
    root = "/var/lib/jns/asterisk"
    camp, ids = voice_campaign(db, "przypomnienie", "glos", n, rng, max_lines=lines)
    first, again, sizes, seconds, chars = [], [], [], [], []
    for contact_id in ids:
        t = time.perf_counter()
        msg = voicecast.prepare(db, camp, contact_id, host_root=str(host), asterisk_root=root)
        first.append(time.perf_counter() - t)
        wav = host / "voicecast" / str(camp["id"]) / f"{contact_id}.wav"
        sizes.append(wav.stat().st_size)
        with wave.open(str(wav), "rb") as w:
            seconds.append(w.getnframes() / w.getframerate())
        chars.append(len(msg.text))
    for contact_id in ids:
        t = time.perf_counter()
        voicecast.prepare(db, camp, contact_id, host_root=str(host), asterisk_root=root)
        again.append(time.perf_counter() - t)
    per_s = 1 / statistics.median(first)
    out = {
        "contacts": n, "text_chars_median": statistics.median(chars),
        "first_call": stats(first), "cached_call": stats(again),
        "wav_bytes_median": int(statistics.median(sizes)), "wav_bytes_max": max(sizes),
        "wav_seconds_median": round(statistics.median(seconds), 2),
        "messages_per_s": round(per_s, 1),
        "estimate_last_of_60_waits_s": round(60 / per_s, 2),
    }
    # one real dialer tick of a campaign with `lines` lines starting at once
    camp2, _ = voice_campaign(db, "start60", "start60", lines + 10, rng, max_lines=lines)
    cmp.set_status(db, camp2["id"], "running", "bench")
    ami = StandInAmi()
    d = dialer_mod.Dialer(db_path, ami, asterisk_root=root, host_root=str(host))
    d.db = open_db(db_path, migrate=False)
    t0 = time.perf_counter()
    d.tick()
    tick_s = time.perf_counter() - t0
    waits = [t - t0 for t in ami.originates]
    idle = timed(d.tick, 20)
    d.db.conn.close()
    out["dialer_first_tick"] = {
        "max_lines": lines, "originates": len(waits), "tick_s": round(tick_s, 2),
        "first_originate_after_s": round(waits[0], 3) if waits else None,
        "last_originate_after_s": round(waits[-1], 3) if waits else None,
        "note": "stand-in AMI; the tick blocks the dialer thread (and every other "
                "campaign's calls and AMI events) this long"}
    out["dialer_idle_tick"] = idle
    return out


# -- SMS campaigns ----------------------------------------------------------------------------

def fill_sms(db, n: int, rng: random.Random) -> tuple[int, list[int], int, float]:
    """Two lists (55 % / 45 % of n rows) sharing n/10 numbers; returns the campaign id, the
    list ids, the number of distinct numbers and the fill time."""
    t = time.perf_counter()
    a = lists.create_list(db, "dluznicy-a", fields=["kwota"], user="bench")
    b = lists.create_list(db, "dluznicy-b", fields=["kwota"], user="bench")
    n_a = n * 55 // 100
    dup = n // 10
    phones = [f"+48{600000000 + i * 7}" for i in range(n)]
    for i in range(n_a):
        lists.add_contact(db, a, phones[i], person(rng, i), {"kwota": amount(rng)})
    for j in range(n - n_a):
        # the first `dup` of list B are numbers list A has too
        phone = phones[j * max(1, n_a // max(dup, 1)) % n_a] if j < dup else phones[n_a + j]
        lists.add_contact(db, b, phone, person(rng, j), {"kwota": amount(rng)})
    distinct = db.execute("SELECT count(DISTINCT phone) FROM contacts WHERE list_id IN (?, ?)",
                          [a, b]).fetchone()[0]
    for phone in rng.sample(phones[:n_a], min(500, n_a)):
        lists.dnc_add(db, phone, note="bench", user="bench")
    cid = sms_campaigns.save_campaign(db, "przypomnienie-sms", user="bench", lists=[a, b],
                                      text=SMS_TEXT, price_per_part=0.09, **ALWAYS_SMS)
    return cid, [a, b], distinct, time.perf_counter() - t


def bench_sms(db, n: int, rng: random.Random) -> dict:
    cid, _, distinct, fill_s = fill_sms(db, n, rng)
    out: dict = {"contacts": n, "distinct_numbers": distinct, "dnc": 500,
                 "fill_s": round(fill_s, 1)}
    pv = {}

    def do_preview():
        pv.update(sms_campaigns.preview(db, cid))
    out["preview"] = timed(do_preview, 3)
    out["preview_sanity"] = {k: pv[k] for k in ("audience", "recipients", "dnc", "gsm7", "ucs2",
                                                "parts", "max_parts", "too_long", "cost")}
    out["preview_sanity"]["ucs2_chars"] = "".join(pv["ucs2_chars"])
    for i in range(4):
        mid = store_sms.add_modem(db, f"/dev/ttyUSB{i}", f"modem {i}")
        store_sms.update_modem(db, mid, state="ready")
    sms_campaigns.set_status(db, cid, "running")
    t0 = time.time() - 3 * 3600          # the rounds happen "in the past": replies come after
    t = time.perf_counter()
    got = sms_campaigns.feed(db, t0)
    out["first_feed"] = {"ms": ms(time.perf_counter() - t),
                         "materialised": db.execute(
                             "SELECT count(*) FROM sms_campaign_messages WHERE campaign_id = ?",
                             [cid]).fetchone()[0],
                         "queued": sum(got.values())}
    now = t0
    out["feed_nothing_to_queue"] = timed(lambda: sms_campaigns.feed(db, now), 10)
    rounds, queued = [], sum(got.values())
    while queued < 1000 + 200:
        now += 61
        t = time.perf_counter()
        queued += sum(sms_campaigns.feed(db, now).values())
        rounds.append(time.perf_counter() - t)
    out["steady_feed_round"] = {**stats(rounds), "queued_per_round": sum(got.values()),
                                "queued_total": queued}
    out["sync_idle"] = timed(lambda: sms_campaigns.sync(db, now), 20)
    out["run_idle"] = timed(lambda: sms_campaigns.run(db, now), 20)
    # 1000 outbox rows delivered (what jns-modemd's sends and reports leave), 200 replies
    real = time.time()
    with transaction(db):
        ids = [r[0] for r in db.execute(
            "SELECT outbox_id FROM sms_campaign_messages WHERE campaign_id = ? AND "
            "outbox_id IS NOT NULL ORDER BY id LIMIT 1000", [cid])]
        db.conn.executemany("UPDATE sms_outbox SET status = 'delivered', parts = 1, "
                            "encoding = 'gsm7', sent_at = ?, delivered_at = ? WHERE id = ?",
                            [(real - 60, real - 30, i) for i in ids])
    senders = [r[0] for r in db.execute(
        "SELECT phone FROM sms_campaign_messages WHERE campaign_id = ? AND outbox_id IS NOT NULL "
        "ORDER BY id LIMIT 200", [cid])]
    for k, phone in enumerate(senders):
        text = "STOP" if k % 10 == 0 else rng.choice(("Dziękuję, zapłacę jutro", "ok",
                                                       "Proszę o kontakt", "Już zapłaciłem"))
        store_sms.store_inbound(db, 1, phone, text)
    t = time.perf_counter()
    res = sms_campaigns.run(db, now)
    out["run_after_1000_delivered_200_replies"] = {
        "ms": ms(time.perf_counter() - t), "statuses": res["statuses"],
        "replies": res["replies"], "queued": sum(res["queued"].values())}
    out["run_idle_after"] = timed(lambda: sms_campaigns.run(db, now), 10)
    # where the rounds' time goes: materialise alone (the idle round's share), and 200 more
    # replies filed by take_replies alone (one query per reply over every campaign message)
    out["materialise_nothing_new"] = timed(lambda: sms_campaigns.materialise(db, cid), 10)
    for k, phone in enumerate(senders):
        store_sms.store_inbound(db, 2, phone, f"Odpowiedź {k}")
    t = time.perf_counter()
    filed = sms_campaigns.take_replies(db)
    took = time.perf_counter() - t
    out["take_replies_200_more"] = {"ms": ms(took), "filed": filed,
                                    "per_reply_ms": ms(took / max(1, len(senders))),
                                    "messages": db.execute(
                                        "SELECT count(*) FROM sms_campaign_messages").fetchone()[0],
                                    # how SQLite finds a reply's message: an index, not a scan
                                    "plan": " / ".join(r[3] for r in db.execute(
                                        "EXPLAIN QUERY PLAN SELECT id FROM sms_campaign_messages "
                                        "WHERE substr(phone, -9) = ?", ["600100200"]))}
    p = sms_campaigns.progress(db, cid)
    out["progress"] = {k: p[k] for k in ("total", "pending", "queued", "delivered", "dnc",
                                         "replies", "opt_outs")}
    out["progress_page"] = timed(lambda: sms_campaigns.progress(db, cid), 5)
    out["report_page"] = timed(lambda: sms_campaigns.report(db, cid), 2)
    return out


# -- conference schedules ---------------------------------------------------------------------

def bench_conference(db, n: int, rng: random.Random) -> dict:
    room = conferences.save_room(db, {"number": "800", "title": "Zarząd"}, user="bench")
    now = time.time()
    today = dt.date.today()
    kinds: dict[str, int] = {}
    for i in range(n):
        repeat = REPEAT_MIX[i % len(REPEAT_MIX)]
        day = today + dt.timedelta(days=rng.randrange(1, 60) if repeat == "none"
                                   else -rng.randrange(0, 400))
        clock = f"{rng.randrange(7, 19):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        starts = cc.local_start(day.isoformat(), clock)
        until = None
        if repeat != "none" and i % 3 == 0:
            until = (today + dt.timedelta(days=rng.randrange(-30, 200))).isoformat()
            if until < day.isoformat():
                until = day.isoformat()
        cc.save_schedule(db, None, room_id=room, starts_at=starts, repeat=repeat,
                         until_date=until, title=f"Spotkanie {i}",
                         members=f"10{i % 10};Ala\n+48600{i:06d};Bob", user="bench",
                         now=now - 30 * 86400)
        kinds[repeat] = kinds.get(repeat, 0) + 1
    # a few due right now (inside the 15 min LATE_S window) as on a busy morning
    due_now = max(1, n // 100)
    for i in range(due_now):
        cc.save_schedule(db, None, room_id=room, starts_at=now - 60 * (i % 14 + 1),
                         repeat="daily", title=f"Poranna odprawa {i}", members="101;Ala",
                         user="bench", now=now - 30 * 86400)
    caller = cc.ConferenceCaller.__new__(cc.ConferenceCaller)
    caller.db = db
    ticks = []
    for k in range(20):
        t = time.perf_counter()
        caller._make_meetings(now + k * cc.TICK_S)
        ticks.append(time.perf_counter() - t)
    meetings = db.execute("SELECT count(*) FROM conf_meetings").fetchone()[0]
    rows = [dict(r) for r in db.query("SELECT * FROM conf_schedules WHERE active = 1")]

    def pure():
        for s in rows:
            cc.occurrences(s, max(now - cc.LATE_S, s["created_at"] - 60), now)
    by_kind = {}
    for repeat in REPEAT_MIX:
        mine = [s for s in rows if s["repeat"] == repeat]
        t = time.perf_counter()
        for s in mine:
            cc.next_start(s, now)
        by_kind[repeat] = round((time.perf_counter() - t) / max(1, len(mine)) * 1e6, 1)

    def all_next():
        for s in rows:
            cc.next_start(s, now)
    return {
        "schedules": len(rows), "repeats": kinds, "due_now": due_now,
        "meetings_made": meetings,
        "make_meetings_tick": stats(ticks),
        "tick_share_of_0_5s_pct": round(100 * statistics.median(ticks) / cc.TICK_S, 1),
        "occurrences_only_all_schedules": timed(pure, 10),
        "next_start_all_schedules": timed(all_next, 3),
        "next_start_us_by_repeat": by_kind,
        "schedules_page": timed(lambda: cc.schedules(db, now), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voice-contacts", type=int, default=20)
    ap.add_argument("--lines", type=int, default=60, help="the voice campaign's max_lines (1-60)")
    ap.add_argument("--sms-contacts", type=int, default=20_000)
    ap.add_argument("--schedules", type=int, default=1000)
    args = ap.parse_args(argv)
    os.environ["TZ"] = TZ
    time.tzset()
    rng = random.Random(7)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jns-bench-auto-") as tmp:
        db_path = Path(tmp) / "jns.db"
        db = open_db(db_path)
        voice = bench_voice(db, db_path, Path(tmp), args.voice_contacts, args.lines, rng)
        print("voice done", flush=True)
        sms = bench_sms(db, args.sms_contacts, rng)
        print("sms done", flush=True)
        conf = bench_conference(db, args.schedules, rng)
        db.conn.close()
    result = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "voice": voice, "sms": sms, "conference": conf,
        "total_s": round(time.perf_counter() - started, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "auto.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
