"""Firmware update benchmark: the qemu update tests, timed, into build/bench/update.json.

    .venv/bin/python -m bench.update

Runs tests/test_update_image.py (UEFI box under software emulation, 2 vCPUs): the times
come from the same steps an admin takes, measured by the tests as they go —
  update_s     from the start of the upload in the panel to the new slot passing its
               health gate (upload, signature and checksum, writing the slot, reboot,
               trial boot, gate)
  upload_s     the upload alone (host to the box over qemu's user network)
  rollback_s   from starting the install of a version that fails its gate (console,
               from a URL) to the box running the old version again and saying why
plus the bundle's size.  Emulation is slow: on real hardware the boots are the small part.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    times = OUT / "update-times.json"
    times.unlink(missing_ok=True)
    started = time.monotonic()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_update_image.py"], cwd=ROOT)
    measured = json.loads(times.read_text()) if times.exists() else {}
    result = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": {"nproc": os.cpu_count(), "cpu": platform.machine(),
                          "accel": os.environ.get("JNS_QEMU_ACCEL", "tcg")},
              "tests_passed": rc == 0, "whole_run_s": round(time.monotonic() - started, 1),
              **measured}
    (OUT / "update.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return rc


if __name__ == "__main__":
    sys.exit(main())
