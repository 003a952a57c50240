"""Prompt and hold-music files (appliance.telephony.sounds) with the real sox and espeak-ng.

Inputs are made with sox on the fly; outputs are checked with soxi and the wave module for
the one format Asterisk plays: 8 kHz, mono, 16-bit signed PCM WAV.
"""
from __future__ import annotations

import array
import os
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from appliance.store import config
from appliance.store.db import StoreError, open_db
from appliance.telephony import sounds
from appliance.telephony.sounds import SoundError

PL_TEXT = "Dzień dobry, witamy w JNS. Wszyscy konsultanci są zajęci, prosimy czekać."
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + os.urandom(2000)


@pytest.fixture(autouse=True, scope="module")
def tools():
    for tool in ("sox", "soxi", "espeak-ng"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed: run scripts/host-deps.sh (make test does)")


def make_audio(path: Path, seconds: float, *, rate: int = 44100, channels: int = 2,
               extra: tuple[str, ...] = ()) -> Path:
    """A tone of `seconds` in whatever format the file extension names."""
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), *extra, str(path),
                    "synth", str(seconds), "sine", "440", "vol", "0.5"], check=True)
    return path


def soxi(path: Path) -> dict[str, str]:
    return {flag: subprocess.run(["soxi", flag, str(path)], capture_output=True, text=True,
                                 check=True).stdout.strip()
            for flag in ("-t", "-r", "-c", "-b", "-e")}


def assert_prompt_format(path: Path, seconds: float | None = None) -> float:
    info = soxi(path)
    assert info == {"-t": "wav", "-r": "8000", "-c": "1", "-b": "16", "-e": "Signed Integer PCM"}
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        duration = w.getnframes() / 8000
    if seconds is not None:
        assert duration == pytest.approx(seconds, abs=0.1)
    return duration


def peak(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return max(map(abs, array.array("h", w.readframes(w.getnframes()))), default=0)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp" in p.name or ".new" in p.name)


@pytest.mark.parametrize("ext,rate,channels,extra", [
    ("wav", 44100, 2, ()), ("mp3", 44100, 2, ()), ("ogg", 48000, 2, ()), ("flac", 22050, 1, ()),
    ("au", 16000, 1, ()), ("al", 8000, 1, ()), ("wav", 8000, 1, ("-e", "u-law")),
])
def test_convert_common_formats(tmp_path, ext, rate, channels, extra):
    if ext == "mp3" and "mp3" not in subprocess.run(["sox", "-h"], capture_output=True,
                                                     text=True).stdout:
        pytest.fail("sox cannot read mp3: apt-get install libsox-fmt-mp3 (scripts/host-deps.sh)")
    src = make_audio(tmp_path / f"in.{ext}", 3.2, rate=rate, channels=channels, extra=extra)
    dest = tmp_path / "out" / "hello.wav"
    seconds = sounds.convert(src, dest)
    assert seconds == pytest.approx(3.2, abs=0.1)
    assert_prompt_format(dest, 3.2)
    assert peak(dest) > 5000
    assert leftovers(dest.parent) == []


def test_fifteen_minutes_are_accepted(tmp_path):
    src = make_audio(tmp_path / "long.wav", 900, rate=16000, channels=1)
    dest = tmp_path / "long-out.wav"
    assert sounds.convert(src, dest) == pytest.approx(900, abs=0.1)
    assert_prompt_format(dest, 900)


@pytest.mark.parametrize("name,data", [
    ("random.wav", os.urandom(5000)), ("logo.png", PNG), ("logo.wav", PNG),
    ("empty.wav", b""), ("text.mp3", b"not music at all\n" * 50),
])
def test_garbage_is_refused_and_the_old_prompt_stays(tmp_path, name, data):
    dest = tmp_path / "pl" / "welcome.wav"
    sounds.convert(make_audio(tmp_path / "good.flac", 1.5), dest)
    before = dest.read_bytes()
    bad = tmp_path / name
    bad.write_bytes(data)
    with pytest.raises(SoundError) as err:
        sounds.convert(bad, dest)
    message = str(err.value)
    assert "empty" in message or "not audio sox can read" in message, message
    assert dest.read_bytes() == before
    assert leftovers(dest.parent) == []


def test_zero_length_audio_is_refused(tmp_path):
    src = tmp_path / "silence.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
    with pytest.raises(SoundError, match="no sound"):
        sounds.convert(src, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()
    with pytest.raises(SoundError, match="no file"):
        sounds.convert(tmp_path / "missing.wav", tmp_path / "out.wav")


def test_polish_speech(tmp_path):
    pl, en = tmp_path / "pl.wav", tmp_path / "en.wav"
    seconds = sounds.synthesize(PL_TEXT, "pl", pl)
    assert 3 < seconds < 12
    assert_prompt_format(pl, seconds)
    assert peak(pl) > 3000
    # The Polish voice really spoke: its length equals espeak-ng's own Polish rendering
    # and differs from the English voice reading the same words.
    raw = tmp_path / "raw-pl.wav"
    subprocess.run(["espeak-ng", "-v", "pl", "-w", str(raw), PL_TEXT], check=True)
    assert seconds == pytest.approx(float(subprocess.run(["soxi", "-D", str(raw)], text=True,
                                   capture_output=True, check=True).stdout), abs=0.01)
    en_seconds = sounds.synthesize(PL_TEXT, "en", en)
    assert abs(en_seconds - seconds) > 0.05 and pl.read_bytes() != en.read_bytes()
    pl_phonemes = subprocess.run(["espeak-ng", "-v", "pl", "-q", "-x", "Dzień dobry"],
                                 capture_output=True, text=True, check=True).stdout
    assert "dz;'En^" in pl_phonemes


def test_speech_text_is_never_an_option(tmp_path):
    """Text that looks like command-line options is spoken, not obeyed."""
    dest = tmp_path / "opt.wav"
    assert sounds.synthesize("--help -w /tmp/x.wav; rm -rf /", "en", dest) > 1
    assert peak(dest) > 3000
    for text in ("", "   \n"):
        with pytest.raises(SoundError, match="type the text"):
            sounds.synthesize(text, "pl", dest)
    with pytest.raises(SoundError, match="no voice"):
        sounds.synthesize("hello", "de", dest)


def prompt_row(db, name, lang):
    return db.execute("SELECT source, text, seconds FROM prompts WHERE name = ? AND lang = ?",
                      [name, lang]).fetchone()


def test_store_prompt_writes_file_and_row(tmp_path):
    db = open_db(tmp_path / "jns.db")
    prompts = tmp_path / "prompts"
    seconds = sounds.store_prompt(db, prompts, "welcome", "pl",
                                  upload=make_audio(tmp_path / "in.ogg", 2.5))
    path = sounds.prompt_path(prompts, "welcome", "pl")
    assert path == prompts / "pl" / "welcome.wav"
    assert_prompt_format(path, 2.5)
    source, text, stored = prompt_row(db, "welcome", "pl")
    assert (source, text) == ("upload", "") and stored == pytest.approx(seconds, abs=0.001)

    seconds = sounds.store_prompt(db, prompts, "welcome", "en", text="Welcome to JNS")
    assert prompt_row(db, "welcome", "en") == (
        "tts", "Welcome to JNS", pytest.approx(seconds, abs=0.001))
    assert config.prompt_langs(db, "welcome") == ["en", "pl"]
    assert leftovers(prompts / "pl") == [] and leftovers(prompts / "en") == []

    sounds.delete_prompt_files(prompts, "welcome")
    assert not path.exists() and not (prompts / "en" / "welcome.wav").exists()
    sounds.delete_prompt_files(prompts, "welcome")  # nothing left: no error


def test_store_prompt_refusals_keep_what_was_there(tmp_path):
    db = open_db(tmp_path / "jns.db")
    prompts = tmp_path / "prompts"
    sounds.store_prompt(db, prompts, "closed", "pl", text="Zapraszamy jutro.")
    path = sounds.prompt_path(prompts, "closed", "pl")
    before, row = path.read_bytes(), prompt_row(db, "closed", "pl")

    with pytest.raises(SoundError, match="not audio"):
        sounds.store_prompt(db, prompts, "closed", "pl", upload=_write(tmp_path / "x.wav", PNG))
    with pytest.raises(SoundError, match="not both"):
        sounds.store_prompt(db, prompts, "closed", "pl", upload=tmp_path / "x.wav", text="a")
    with pytest.raises(SoundError, match="lowercase"):
        sounds.store_prompt(db, prompts, "../etc/passwd", "pl", text="a")
    with pytest.raises(SoundError, match="language"):
        sounds.store_prompt(db, prompts, "closed", "de", text="a")
    # The database refuses the row (a real trigger, as a full disk or a bug would):
    # the prompt that was playing keeps its file and its row.
    db.execute("CREATE TRIGGER no_prompts BEFORE INSERT ON prompts "
               "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    with pytest.raises(StoreError, match="refused by test"):
        sounds.store_prompt(db, prompts, "closed", "pl", text="Inny tekst, dłuższy niż tamten.")
    assert path.read_bytes() == before and prompt_row(db, "closed", "pl") == row
    assert leftovers(prompts / "pl") == []
    assert sorted(p.name for p in prompts.rglob("*")) == ["closed.wav", "pl"]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_store_moh(tmp_path):
    moh = tmp_path / "moh"
    src = make_audio(tmp_path / "upload-123.mp3", 4.0)
    path = sounds.store_moh(moh, "support", src, "Muzyka Świąteczna (2024).MP3")
    assert path.parent == moh / "support" and path.suffix == ".wav"
    assert path.stem.startswith("muzyka-") and path.stem.endswith("-2024")
    assert_prompt_format(path, 4.0)
    assert sounds.store_moh(moh, "support", src).name == "upload-123.wav"
    assert sounds.store_moh(moh, "support", src, "../../..").name == "music.wav"
    with pytest.raises(SoundError, match="queue name"):
        sounds.store_moh(moh, "../x", src)
    assert sorted(p.name for p in (moh / "support").iterdir()) == [
        "music.wav", path.name, "upload-123.wav"]
