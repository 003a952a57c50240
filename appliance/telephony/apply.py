"""Keep Asterisk's configuration equal to the database, without dropping calls.

The panel and the console only write the database.  `ConfigApplier` notices a commit by
any other process (SQLite's PRAGMA data_version), renders the snapshot, and when the files
differ from the installed generation installs a new one and asks Asterisk to reload just
the modules whose files changed.  Reloads keep calls in progress: a call already in a
queue or a bridge stays there; new calls take the new flow.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Callable

from ..store import config
from . import render

log = logging.getLogger(__name__)

# file -> CLI command that makes Asterisk read it again
RELOADS = {
    "extensions.conf": "dialplan reload",
    "queues.conf": "module reload app_queue.so",
    "pjsip.conf": "module reload res_pjsip.so",
    "musiconhold.conf": "module reload res_musiconhold.so",
    "features.conf": "module reload features",
    "voicemail.conf": "module reload app_voicemail.so",
    # new channels are added, removed ones stay until `dahdi restart` (which drops calls)
    "chan_dahdi.conf": "module reload chan_dahdi.so",
}


def _modules(modules_conf: str) -> list[str]:
    """The modules a modules.conf loads, in order ("load => chan_dahdi.so" -> chan_dahdi.so)."""
    return [line.split("=>", 1)[1].strip() for line in modules_conf.splitlines()
            if line.startswith("load") and "=>" in line]


def _digest(files: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode()).hexdigest() for name, text in files.items()}


class ConfigApplier:
    def __init__(self, db, layout: render.Layout, etc_parent: str | Path, ami,
                 after_install: Callable[[Path], None] | None = None, interval: float = 1.0):
        self.db, self.layout, self.etc_parent, self.ami = db, layout, Path(etc_parent), ami
        self.after_install = after_install
        self.interval = interval
        self.applied = 0           # generations installed by this applier
        self.last_error: str | None = None
        self._version = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def installed(self) -> dict[str, str]:
        current = self.etc_parent / "current"
        if not current.exists():
            return {}
        return _digest({p.name: p.read_text(encoding="utf-8") for p in current.iterdir()})

    def _installed_modules(self) -> set[str]:
        try:
            return set(_modules((self.etc_parent / "current" / "modules.conf").read_text(
                encoding="utf-8")))
        except OSError:
            return set()

    def in_sync(self, db) -> bool:
        """The installed files are what the database (read through `db`, the caller's own
        connection) says now."""
        return self.installed() == _digest(render.render_files(config.snapshot(db), self.layout))

    def check(self) -> bool:
        """Apply if the database changed since the last look; True if Asterisk was told."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return False
        self._version = version
        return self.apply()

    def apply(self) -> bool:
        files = render.render_files(config.snapshot(self.db), self.layout)
        before, after = self.installed(), _digest(files)
        changed = sorted(name for name in after if before.get(name) != after[name])
        if not changed:
            return False
        old_modules = self._installed_modules()
        gen = render.install(files, self.etc_parent)
        if self.after_install:
            self.after_install(gen)
        self.applied += 1
        # a reload never loads a module modules.conf gained (chan_dahdi when the first DAHDI
        # port is configured): load those first, in modules.conf's order
        loads = [f"module load {m}" for m in _modules(files.get("modules.conf", ""))
                 if m not in old_modules] if "modules.conf" in changed else []
        commands = sorted({RELOADS.get(name, "core reload") for name in changed
                           if name != "modules.conf"})
        if "core reload" in commands:
            commands = ["core reload"]
        commands = loads + commands
        for command in commands:
            try:
                self.ami.action("Command", Command=command, timeout=15)
            except Exception as exc:   # Asterisk down: it reads the files when it starts
                self.last_error = f"{command}: {exc}"
                log.warning("configuration %s installed, %s failed: %s", gen.name, command, exc)
        log.info("configuration %s applied (%s)", gen.name, ", ".join(changed))
        return True

    def start(self) -> "ConfigApplier":
        self._version = self.db.execute("PRAGMA data_version").fetchone()[0]
        self._thread = threading.Thread(target=self._run, name="config-applier", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:
                log.exception("applying the configuration failed; retrying")
                self._version = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
