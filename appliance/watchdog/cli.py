"""`jns alerts ...`: alarms from the command line (WD-4), the same store functions the
panel and the console use.

    jns alerts list                          active alarms, most serious first
    jns alerts history --since 24h [--until now] [--check disk] [--severity critical]
    jns alerts ack ID [--user NAME]
    jns alerts rules                         thresholds and who is told, per check
    jns alerts set-rule CHECK key=value ...  e.g. disk warning=80 critical=92 notify_sms=no
    jns alerts notify                        where notifications go (never the password)
    jns alerts notify-set key=value ...      e.g. smtp_host=mail.example.com email_to=a@b.pl
    jns alerts notify-test                   one test e-mail and SMS now
    jns alerts report --since 7d             min/avg/max of each metric and alarms per check

Bad input is refused with the store's message and changes nothing.  This module never
talks to Asterisk or the modems.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import sys
import time
from typing import TextIO

from ..store import alerts
from ..store.db import StoreError


def parse_when(text: str, now: float | None = None) -> float:
    """"now", "90m", "24h", "7d", "2026-11-01", "2026-11-01 08:00" -> a UNIX time."""
    now = time.time() if now is None else now
    text = text.strip()
    if text == "now":
        return now
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", text)
    if m:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
        return now - float(m.group(1)) * unit
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).timestamp()
        except ValueError:
            pass
    raise StoreError(f"{text!r} is not a time: use now, 90m, 24h, 7d, 2026-11-01 or "
                     "'2026-11-01 08:00'")


def _stamp(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts is not None else "-"


def _where(a: dict) -> str:
    return a["check"] + (f" ({a['subject']})" if a.get("subject") else "")


def format_active(rows: list[dict]) -> list[str]:
    if not rows:
        return ["no active alarms"]
    out = []
    for a in rows:
        ack = f"  [seen by {a['acknowledged_by']}]" if a["acknowledged_by"] else ""
        out.append(f"#{a['id']:<5} {a['severity'].upper():<8} since {_stamp(a['since'])}  "
                   f"{_where(a)}: {a['text']}{ack}")
    return out


def format_history(rows: list[dict]) -> list[str]:
    if not rows:
        return ["no alarms in this time range"]
    out = []
    for a in rows:
        end = f"resolved {_stamp(a['resolved_at'])}" if a["resolved_at"] else "STILL ACTIVE"
        out.append(f"#{a['id']:<5} {a['severity'].upper():<8} {_stamp(a['since'])} .. {end}  "
                   f"{_where(a)}: {a['text']}")
    return out


def format_rules(rows: list[dict]) -> list[str]:
    out = [f"{'check':<19} {'on':<3} {'warning':>8} {'critical':>8} {'hyst':>5} "
           f"{'repeat':>6} {'escal.':>6}  notify"]
    for r in rows:
        def num(v):
            return "-" if v is None else f"{v:g}"
        told = ",".join(k for k in ("sms", "email", "led", "banner") if r[f"notify_{k}"])
        out.append(f"{r['check']:<19} {'yes' if r['enabled'] else 'no':<3} "
                   f"{num(r['warning']):>8} {num(r['critical']):>8} {num(r['hysteresis']):>5} "
                   f"{r['repeat_min']:>5}m {r['escalate_min']:>5}m  {told or '-'}"
                   + (f"   ({r['unit']}, lower is worse)" if not r["above"] else
                      f"   ({r['unit']})" if r["unit"] else ""))
    return out


def format_report(db, since: float, until: float) -> list[str]:
    out = [f"Report {_stamp(since)} .. {_stamp(until)}", "", "Metrics (min / avg / max):"]
    for name, (low, avg, high, count) in alerts.sample_stats(db, since, until).items():
        out.append(f"  {name:<22} {low:10.1f} {avg:10.1f} {high:10.1f}   ({count} samples)")
    if len(out) == 3:
        out.append("  no samples in this time range")
    out += ["", "Alarms per check:"]
    counts: dict[str, dict[str, int]] = {}
    for a in alerts.alert_history(db, since, until, limit=100_000):
        counts.setdefault(a["check"], {}).setdefault(a["severity"], 0)
        counts[a["check"]][a["severity"]] += 1
    for check, by in sorted(counts.items()):
        out.append(f"  {check:<19} " + ", ".join(f"{n} {s}" for s, n in sorted(by.items())))
    if not counts:
        out.append("  none")
    return out


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise StoreError(f"{item!r}: write settings as key=value")
        out[key.strip()] = value.strip()
    return out


def main(argv: list[str], db, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="jns alerts", description="alarms of this box")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("list", help="active alarms")
    hist = sub.add_parser("history", help="alarms in a time range")
    hist.add_argument("--since", default="24h")
    hist.add_argument("--until", default="now")
    hist.add_argument("--check")
    hist.add_argument("--severity", choices=alerts.SEVERITIES)
    hist.add_argument("--limit", type=int, default=1000)
    ack = sub.add_parser("ack", help="mark an alarm as seen (stops repeats)")
    ack.add_argument("id", type=int)
    ack.add_argument("--user", default=os.environ.get("SUDO_USER") or getpass.getuser())
    sub.add_parser("rules", help="thresholds and notifications per check")
    setr = sub.add_parser("set-rule", help="change a check's rule: key=value ...")
    setr.add_argument("check", choices=list(alerts.CHECKS))
    setr.add_argument("pairs", nargs="+", metavar="key=value")
    sub.add_parser("notify", help="where notifications go")
    setn = sub.add_parser("notify-set", help="change notification settings: key=value ...; "
                                              "smtp_password=- asks for it")
    setn.add_argument("pairs", nargs="+", metavar="key=value")
    sub.add_parser("notify-test", help="send a test e-mail and SMS now")
    rep = sub.add_parser("report", help="metrics and alarms over a time range")
    rep.add_argument("--since", default="7d")
    rep.add_argument("--until", default="now")
    args = parser.parse_args(argv)

    try:
        if args.what == "list":
            lines = format_active(alerts.active_alerts(db))
        elif args.what == "history":
            lines = format_history(alerts.alert_history(
                db, parse_when(args.since), parse_when(args.until), check=args.check,
                severity=args.severity, limit=args.limit))
        elif args.what == "ack":
            alerts.acknowledge(db, args.id, args.user)
            lines = [f"alarm #{args.id} acknowledged by {args.user}"]
        elif args.what == "rules":
            lines = format_rules(alerts.rules(db))
        elif args.what == "set-rule":
            alerts.save_rule(db, args.check, **_pairs(args.pairs))
            lines = format_rules([alerts.rule(db, args.check)])
        elif args.what == "notify":
            s = alerts.notify_settings(db)
            lines = [f"{k:<20} {', '.join(v) if isinstance(v, list) else v}" for k, v in s.items()]
        elif args.what == "notify-set":
            pairs = _pairs(args.pairs)
            if pairs.get("smtp_password") == "-":
                pairs["smtp_password"] = getpass.getpass("SMTP password: ")
            alerts.save_notify_settings(db, **pairs)
            lines = ["saved"]
        elif args.what == "notify-test":
            from .notify import notify_test
            lines = notify_test(db)
        else:   # report
            lines = format_report(db, parse_when(args.since), parse_when(args.until))
    except StoreError as exc:
        print(f"jns alerts: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines), file=out)
    return 0
