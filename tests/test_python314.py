"""The box runs Debian forky's Python 3.14 with Debian's libraries; this host has 3.11.
Run the box's code paths inside the rootfs so a 3.14-only break fails here first."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_rootfs

pytestmark = pytest.mark.asterisk
REPO = Path(__file__).resolve().parents[1]


def test_box_code_runs_on_forky_python(tmp_path):
    rootfs = require_rootfs()
    mnt = rootfs / "opt/jns-src"
    mnt.mkdir(parents=True, exist_ok=True)
    # /dev and /proc for the issue 5 steps: the modem simulator's pty lives in /dev/pts,
    # the watchdog reads /proc through psutil
    script = (f"mount --bind '{REPO}' '{mnt}' && mount --rbind /dev '{rootfs}/dev' && "
              f"mount -t proc proc '{rootfs}/proc' && "
              f"exec chroot '{rootfs}' env PYTHONPATH=/opt/jns-src PYTHONDONTWRITEBYTECODE=1 "
              f"python3 -X dev /opt/jns-src/tests/py314_smoke.py")
    out = subprocess.run(["unshare", "--mount", "sh", "-c", script],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ("OK store", "OK render", "OK fastagi", "OK users", "OK webui", "OK console", "OK pyst2",
                 "OK gsm", "OK hal", "OK watchdog", "OK calld", "OK reports"):
        assert step in out.stdout, out.stdout
