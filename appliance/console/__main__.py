"""`python3 -m appliance.console [apply-network [--reload]]` (see the package docstring)."""
from __future__ import annotations

import sys

USAGE = """usage: python3 -m appliance.console                 the technician menu
       python3 -m appliance.console apply-network [--reload]
           write the .network file from $JNS_DATA/network.json (DHCP when missing);
           --reload also runs `networkctl reload`.
           exit 0 written, 2 network.json invalid (DHCP written instead), 1 failed"""


def apply_network(args: list[str]) -> int:
    from .system import Settings, System

    if any(a not in ("--reload",) for a in args):
        print(USAGE, file=sys.stderr)
        return 64
    system = System(Settings.from_env())
    if system.reset_pending():
        print(f"apply-network: factory reset pending ({system.settings.factory_flag}): DHCP")
    try:
        cfg, problem = system.write_network_file()
    except OSError as exc:
        print(f"apply-network: cannot write {system.settings.network_file}: {exc}",
              file=sys.stderr)
        return 1
    if problem:
        print(f"apply-network: {problem}", file=sys.stderr)
    print(f"apply-network: wrote {system.settings.network_file} ({cfg['mode']})")
    if "--reload" in args:
        res = system.command(["networkctl", "reload"], timeout=30)
        if not res.ok:
            print(f"apply-network: networkctl reload failed ({res.rc}): {res.out.strip()}",
                  file=sys.stderr)
            return 1
    return 2 if problem else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from .menu import run_menu
        return run_menu()
    if argv[0] == "apply-network":
        return apply_network(argv[1:])
    print(USAGE, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
