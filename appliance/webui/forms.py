"""What the configuration pages share: reading form fields, destinations, uploads.

A page reads the posted form with these helpers, calls ONE store function with the result
and shows the StoreError it raises next to the form, with the user's input kept.  A value
that is not even the right type (letters where a number goes) raises FormError, a
StoreError, before the store is called, so it is shown the same way and nothing is written.

This module never writes to the database, never writes Asterisk files and never talks to
Asterisk: the store checks and saves, a background service applies the change.
"""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ..store import config
from ..store.db import StoreError
from ..store import webqueries
from .i18n import _

# DTMF keys in the order a phone shows them; field names cannot hold * and # nicely
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
KEY_FIELDS = {k: {"*": "star", "#": "hash"}.get(k, k) for k in KEYS}
TARGETLESS = ("hangup", "operator")     # actions whose target is ignored
UPLOAD_MAX_BYTES = 512 * 1024 * 1024    # prompts and hold music: no length limit (IVR-6)

# Asterisk's own sounds a menu can play before any prompt of the box's own is made
BUILTIN_PROMPTS = ("hello-world", "basic-pbx-ivr-main", "demo-congrats", "demo-thanks",
                   "dir-welcome", "please-try-again", "pls-hold-while-try", "goodbye",
                   "vm-goodbye")


class FormError(StoreError):
    """A field that cannot even be handed to the store (e.g. letters in a number)."""


def whole_number(form: Mapping[str, str], field: str, label: str) -> int:
    raw = form.get(field)
    value = "" if raw is None else str(raw).strip()
    try:
        return int(value)
    except ValueError:
        raise FormError(_("{field}: enter a whole number, not {value!r}",
                          field=_(label), value=value)) from None


def destination(form: Mapping[str, str], prefix: str) -> tuple[str, str] | None:
    """The (action, target) of the destination fields `<prefix>_action`/`<prefix>_target`;
    None when no action was chosen (the store decides whether that is allowed)."""
    action = (form.get(f"{prefix}_action") or "").strip()
    if not action:
        return None
    target = "" if action in TARGETLESS else (form.get(f"{prefix}_target") or "").strip()
    return action, target


def put_destination(values: dict[str, Any], prefix: str, action: str | None,
                    target: str | None) -> None:
    """Fill a form's values from a stored destination (the reverse of `destination`)."""
    values[f"{prefix}_action"] = action or ""
    values[f"{prefix}_target"] = target or ""


def targets(db) -> list[tuple[str, str]]:
    """(value, label) suggestions for every destination's target field: menus, queues,
    agent extensions, prompts, languages and conference rooms."""
    snap = config.snapshot(db)
    out = [(m["name"], f"{_('action:menu')}: {m['title'] or m['name']}") for m in snap["menus"]]
    out += [(q["name"], f"{_('action:queue')}: {q['title']}") for q in snap["queues"]]
    out += [(a["extension"], f"{_('action:extension')}: {a['name']}")
            for a in webqueries.agents(db)]
    out += [(name, f"{_('action:announcement')}: {name}") for name in prompt_names(db)]
    out += [(lang, f"{_('action:language')}: {lang}") for lang in config.LANGS]
    out += [(r["number"], f"{_('action:conference')}: {r['title'] or r['number']}")
            for r in snap["conf_rooms"]]
    return out


def prompt_names(db) -> list[str]:
    return sorted({p["name"] for p in webqueries.prompts(db)})


def upload_allowed(view: Callable | None = None, *, max_bytes: int | None = None):
    """Mark a view that takes big file uploads; auth raises the request's size limit for it
    (only for a user whose role may open it) to `max_bytes` (default UPLOAD_MAX_BYTES),
    before the form is read.  `@upload_allowed` or `@upload_allowed(max_bytes=...)`."""
    def mark(view: Callable) -> Callable:
        view.accepts_upload = True
        view.upload_max_bytes = max_bytes
        return view
    return mark(view) if view is not None else mark


@contextlib.contextmanager
def saved_upload(upload: FileStorage | None) -> Iterator[Path]:
    """The uploaded file saved to a private temporary file (its suffix kept, so sox knows
    the format); removed afterwards."""
    if upload is None or not upload.filename:
        raise FormError(_("Choose a sound file to upload."))
    suffix = Path(secure_filename(upload.filename)).suffix.lower()[:10]
    with tempfile.TemporaryDirectory(prefix="jns-upload-") as tmpdir:
        path = Path(tmpdir) / f"upload{suffix}"
        upload.save(path)
        yield path
