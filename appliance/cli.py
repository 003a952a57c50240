"""`jns`: the installer's command line on the box (also reachable from the console's shell).

Until the panel edits every part of the configuration, installers set trunks and agents'
fixed contacts here.  Each command changes the database, renders Asterisk's files and asks
Asterisk to reload; on bad input it says what was wrong and changes nothing.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import box
from .store import config, db as store
from .telephony.ami import AMIClient, AMIError


def _apply(db) -> str:
    gen = box.render_config()
    lay = box.layout(db)
    ami = AMIClient("127.0.0.1", lay.ami_port, lay.ami_user, lay.ami_secret, name="cli").start()
    try:
        ami.action("Command", Command="core reload", timeout=10)
        return f"configuration {gen.name} rendered; Asterisk reloaded"
    except AMIError as exc:
        return f"configuration {gen.name} rendered; Asterisk not reloaded ({exc}); it loads it when it starts"
    finally:
        ami.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jns", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    trunk = sub.add_parser("trunk-add", help="add a SIP trunk (calls from its address enter the inbound routes)")
    trunk.add_argument("name")
    trunk.add_argument("host")
    trunk.add_argument("--port", type=int, default=5060)
    trunk.add_argument("--username")
    trunk.add_argument("--secret")
    contact = sub.add_parser("agent-contact", help="set a fixed SIP contact for an agent's phone")
    contact.add_argument("extension")
    contact.add_argument("uri", help="e.g. sip:101@192.0.2.10:5060, or '' to clear")
    sub.add_parser("apply", help="render Asterisk's configuration from the database and reload")
    sub.add_parser("show", help="print the configuration as JSON (without secrets)")
    alarms = sub.add_parser("alerts", add_help=False,
                            help="alarms: list, history, ack, rules, set-rule, notify, "
                                 "notify-set, notify-test, report (jns alerts -h)")
    alarms.add_argument("rest", nargs=argparse.REMAINDER)
    backups = sub.add_parser("backup", add_help=False,
                             help="encrypted backups: create, restore, info, run-scheduled, "
                                  "status, configure, sftp-key (jns backup -h)")
    backups.add_argument("rest", nargs=argparse.REMAINDER)
    sub.add_parser("update", add_help=False,
                   help="firmware: status, check FILE, install FILE, install-url URL (jns update -h)")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["alerts"]:          # its own parser, so `jns alerts -h` helps
        from .watchdog import cli as alerts_cli
        return alerts_cli.main(argv[1:], store.open_db(box.DB_PATH))
    if argv[:1] == ["backup"]:          # its own parser too (appliance.lifecycle.backup)
        from .lifecycle import backup
        return backup.main(argv[1:])
    if argv[:1] == ["update"]:
        from .lifecycle import update
        return update.main(argv[1:])
    args = parser.parse_args(argv)

    db = store.open_db(box.DB_PATH)
    try:
        if args.command == "trunk-add":
            config.add_trunk(db, args.name, args.host, port=args.port, username=args.username,
                             secret=args.secret)
        elif args.command == "agent-contact":
            config.set_agent_contact(db, args.extension, args.uri or None)
        elif args.command == "show":
            snap = config.snapshot(db)
            for part in ("agents", "trunks"):
                for row in snap[part]:
                    row.pop("secret", None)
            print(json.dumps(snap, indent=2, ensure_ascii=False))
            return 0
    except store.StoreError as exc:
        print(f"jns: {exc}", file=sys.stderr)
        return 2
    print(_apply(db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
