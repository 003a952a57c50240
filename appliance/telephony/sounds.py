"""Sound files for IVR prompts and music on hold (IVR-6, IVR-7).

Turns what an admin uploads (wav, mp3, ogg, flac, au, ...) or types (speech synthesis with
espeak-ng) into the one format Asterisk's format_wav plays without transcoding per call:
8 kHz, mono, 16-bit signed PCM WAV.  Every file is written beside its final name and moved
into place with os.replace, so a caller never hears half a file and a failed upload never
spoils the prompt that was playing.

This module never runs a shell (file names and prompt text are user input), never limits a
recording's length (IVR-6), and never deletes a file unless asked to by delete_prompt_files
or delete_moh_file.
"""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import tempfile
import wave
from pathlib import Path

from appliance.store import config
from appliance.store.db import transaction

PROMPT_RATE = 8000
VOICES = {"pl": "pl", "en": "en"}   # espeak-ng voice per prompt language
_NAME = re.compile(r"[a-z0-9_-]+")
_MOH_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.wav")   # no "/", no leading "."


class SoundError(Exception):
    """A sound could not be made; the message says what the admin can do about it."""


def _check_name(what: str, name: str) -> str:
    """Names become path parts, so only the store's safe alphabet gets through."""
    if not _NAME.fullmatch(name or ""):
        raise SoundError(f"{what} name {name!r}: use lowercase letters, digits, - and _")
    return name


def prompt_path(prompts_dir: str | os.PathLike, name: str, lang: str) -> Path:
    """Where Asterisk finds a prompt: <prompts_dir>/<lang>/<name>.wav."""
    if lang not in config.LANGS:
        raise SoundError(f"prompt {name!r}: language must be one of {', '.join(config.LANGS)}")
    return Path(prompts_dir) / lang / f"{_check_name('prompt', name)}.wav"


def _fsync(path: Path) -> None:
    """Flush a file or directory so a power cut after os.replace keeps the new sound."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wav_seconds(path: Path) -> float:
    """Duration of a file we wrote, checking it is really the prompt format."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (PROMPT_RATE, 1, 2):
            raise SoundError(f"sox wrote {w.getframerate()} Hz, {w.getnchannels()} channels, "
                             f"{8 * w.getsampwidth()} bit instead of 8 kHz mono 16-bit")
        return w.getnframes() / PROMPT_RATE


def convert(src: str | os.PathLike, dest: str | os.PathLike) -> float:
    """Convert any audio sox reads into an 8 kHz mono 16-bit WAV at `dest`; return seconds.

    The old `dest` stays untouched unless the whole conversion succeeded.  The timeout grows
    with the input (5 s per MB) because there is no length limit: an hour of music is fine.
    """
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise SoundError(f"no file to convert at {src}")
    if src.stat().st_size == 0:
        raise SoundError("the file is empty; upload it again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".tmp-{secrets.token_hex(4)}")
    timeout = 30 + src.stat().st_size / 200_000
    cmd = ["sox", "--no-show-progress", "-V1", "-G", str(src),
           "-t", "wav", "-r", str(PROMPT_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
           str(tmp)]
    try:
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                 timeout=timeout, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise SoundError("sox is not installed, so no sound can be converted") from None
        except subprocess.TimeoutExpired:
            raise SoundError(f"converting the file took over {timeout:.0f} s; "
                             "try a shorter or uncompressed file") from None
        if run.returncode != 0:
            why = (run.stderr.strip().splitlines() or [f"sox exit code {run.returncode}"])[-1]
            why = why.removeprefix("sox FAIL ")
            raise SoundError(f"the file is not audio sox can read ({why}); "
                             "upload a wav, mp3, ogg or flac file")
        try:
            seconds = _wav_seconds(tmp)
        except (wave.Error, EOFError) as exc:
            raise SoundError(f"sox wrote no usable sound ({exc})") from None
        if seconds <= 0:
            raise SoundError("the file holds no sound (zero length); upload a recording")
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync(dest.parent)
        return seconds
    finally:
        tmp.unlink(missing_ok=True)


def synthesize(text: str, lang: str, dest: str | os.PathLike) -> float:
    """Speak `text` with espeak-ng's voice for `lang` into a prompt file; return seconds.

    The text goes in on stdin as UTF-8 (-b 1), so it can start with "-" or hold any
    character, and no shell ever sees it.
    """
    if not (text or "").strip():
        raise SoundError("type the text the prompt should say")
    if lang not in VOICES:
        raise SoundError(f"no voice for language {lang!r}; use one of {', '.join(VOICES)}")
    with tempfile.TemporaryDirectory(prefix="jns-tts-") as tmpdir:
        raw = Path(tmpdir) / "tts.wav"
        try:
            run = subprocess.run(["espeak-ng", "-v", VOICES[lang], "-b", "1", "-w", str(raw)],
                                 input=text.encode("utf-8"), capture_output=True,
                                 timeout=30 + len(text) / 20)
        except FileNotFoundError:
            raise SoundError("espeak-ng is not installed, so typed prompts cannot be spoken; "
                             "upload a recording instead") from None
        except subprocess.TimeoutExpired:
            raise SoundError("speech synthesis took too long; split the text") from None
        if run.returncode != 0:
            why = run.stderr.decode("utf-8", "replace").strip() or f"exit code {run.returncode}"
            raise SoundError(f"espeak-ng failed for language {lang!r} ({why})")
        return convert(raw, dest)


def store_prompt(db, prompts_dir: str | os.PathLike, name: str, lang: str, *,
                 upload: str | os.PathLike | None = None, text: str | None = None,
                 source: str | None = None) -> float:
    """Make prompt `name` in `lang` from an upload or from text, and record it; return seconds.
    `source` says where an upload came from ("upload" by default, "phone" for *77).

    The sound is staged beside its final name and moved into place inside the database
    transaction: if save_prompt refuses, the prompt that was there (file and row) stays.
    """
    if (upload is None) == (text is None):
        raise SoundError("give either an uploaded file or a text to speak, not both or neither")
    dest = prompt_path(prompts_dir, name, lang)
    staged = dest.with_suffix(f".new-{secrets.token_hex(4)}")
    try:
        seconds = convert(upload, staged) if upload is not None else synthesize(text, lang, staged)
        with transaction(db):
            config.save_prompt(db, name, lang,
                               source or ("upload" if upload is not None else "tts"),
                               text=text or "", seconds=round(seconds, 3))
            os.replace(staged, dest)
        _fsync(dest.parent)
        return seconds
    finally:
        staged.unlink(missing_ok=True)


def store_moh(moh_dir: str | os.PathLike, queue: str, upload: str | os.PathLike,
              filename_hint: str = "") -> Path:
    """Add a hold-music file for `queue` as <moh_dir>/<queue>/<safe-name>.wav; return its path.

    The name comes from the uploaded file's name (lowercased, unsafe characters -> "-"),
    so an admin recognises it in the list; uploading the same name again replaces it.
    """
    _check_name("queue", queue)
    stem = Path(filename_hint or Path(upload).name).stem.lower()
    safe = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")[:60] or "music"
    dest = Path(moh_dir) / queue / f"{safe}.wav"
    convert(upload, dest)
    return dest


def delete_prompt_files(prompts_dir: str | os.PathLike, name: str,
                        lang: str | None = None) -> None:
    """Remove a prompt's sound in `lang`, or in every language when None (the caller
    deletes its rows first).  A file that is not there is no error."""
    for one in (lang,) if lang else config.LANGS:
        prompt_path(prompts_dir, name, one).unlink(missing_ok=True)


def delete_moh_file(moh_dir: str | os.PathLike, queue: str, filename: str) -> None:
    """Remove one hold-music file <moh_dir>/<queue>/<filename> (a .wav in the queue's own
    folder, as the queue page lists them).  Anything else -- another folder, a path,
    a name that is not there -- is refused with SoundError and nothing is removed."""
    _check_name("queue", queue)
    if not _MOH_FILE.fullmatch(filename or ""):
        raise SoundError(f"hold-music file {filename!r}: not a file name of this queue's music")
    folder = Path(moh_dir) / queue
    path = folder / filename
    if path.parent != folder or not path.is_file():
        raise SoundError(f"queue {queue!r} has no hold-music file {filename!r}; "
                         "reload the page to see its files")
    path.unlink()
    _fsync(folder)
