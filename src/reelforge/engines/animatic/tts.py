"""Local text-to-speech for dialogue lines: eSpeak NG's library, shipped as a wheel.

Robotic but instant and offline: enough to time dialogue in a previz. Each voice index
picks a fixed eSpeak variant and pitch, so a speaker always sounds the same.

The library and its voice data come with ``pip install``: the ``espeakng-loader`` wheel
ships ``libespeak-ng`` and ``espeak-ng-data``, so dialogue is spoken on every machine with
nothing installed by hand. Where the platform has no such wheel, the system's
``libespeak-ng`` (what the ``espeak-ng`` package installs) is used with its own data; with
neither, :func:`tts_available` is false and the animatic leaves silence.

Each line is spoken by :mod:`.espeak_line` in a process of its own (it says why: the
library's waveform state is global and never reset, so only a fresh process speaks a line
the same way twice, and threads never share it).
"""

from __future__ import annotations

import ctypes.util
import logging
import struct
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ...media.clip import AUDIO_CHANNELS, AUDIO_RATE, Audio
from ...media.decode import resample_audio
from ...prompting.shots import DialogueLine

log = logging.getLogger(__name__)

VOICES: tuple[tuple[str, int], ...] = (
    ("m3", 45),
    ("f2", 55),
    ("m1", 30),
    ("f4", 68),
    ("m7", 52),
    ("f1", 40),
    ("m5", 62),
    ("f3", 50),
)
"""(eSpeak variant, pitch 0–99) per voice index."""
LANGUAGE = "en"
WORDS_PER_MINUTE = 165
TIMEOUT_S = 30
SYSTEM_LIBRARY = "espeak-ng"
"""``ctypes.util.find_library`` name of the system's eSpeak NG, used without the wheel."""
PROBE_TEXT = "a"
"""Spoken once per process to check that a library really speaks before it is chosen."""
SPEAKER = Path(__file__).with_name("espeak_line.py")
_HEADER = struct.Struct("<I")  # the sample rate, before the samples


@dataclass(frozen=True)
class Library:
    """An eSpeak NG shared library and its data folder (None: the library's default)."""

    path: str
    data: str | None
    origin: str


def tts_available() -> bool:
    """Whether an eSpeak NG library speaks here (the wheel's, else the system's)."""
    return library() is not None


def speak(line: DialogueLine, voice_index: int) -> Audio | None:
    """``line.text`` spoken in voice ``voice_index``, at 48 kHz stereo.

    None when no eSpeak NG is available or it fails (the caller leaves silence). A tone
    that mentions whispering uses eSpeak's whisper variant.
    """
    lib = library()
    if lib is None or not line.text.strip():
        return None
    variant, pitch = VOICES[voice_index % len(VOICES)]
    if line.tone and "whisper" in line.tone.lower():
        variant = "whisperf" if variant.startswith("f") else "whisper"
    spoken = _speak(lib, line.text, f"{LANGUAGE}+{variant}", pitch)
    if spoken is None:
        return None
    rate, pcm = spoken
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return resample_audio(Audio(samples, rate), AUDIO_RATE, AUDIO_CHANNELS)


@cache
def library() -> Library | None:
    """The eSpeak NG this process speaks with: the first candidate that speaks a probe."""
    for candidate in _candidates():
        spoken = _speak(candidate, PROBE_TEXT, f"{LANGUAGE}+{VOICES[0][0]}", VOICES[0][1])
        if spoken is not None and spoken[1]:
            return candidate
    log.warning("no eSpeak NG library speaks here: the animatic's dialogue will be silent")
    return None


def _candidates() -> list[Library]:
    """The wheel's library, then the system's, where present."""
    found: list[Library] = []
    try:
        import espeakng_loader

        path = Path(espeakng_loader.get_library_path())
        if path.is_file():
            found.append(Library(str(path), espeakng_loader.get_data_path(), "espeakng-loader"))
    except (ImportError, RuntimeError) as exc:  # not installed; its data folder is missing
        log.debug("espeakng-loader's eSpeak NG is not usable: %s", exc)
    system = ctypes.util.find_library(SYSTEM_LIBRARY)
    if system:
        found.append(Library(system, None, "system"))
    return found


def _speak(lib: Library, text: str, voice: str, pitch: int) -> tuple[int, bytes] | None:
    """(sample rate, 16-bit mono PCM) of ``text`` from a fresh :mod:`.espeak_line`
    process; None (logged) when it fails."""
    command = [
        sys.executable, "-I", "-S", str(SPEAKER),
        lib.path, lib.data or "", voice, str(pitch), str(WORDS_PER_MINUTE),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            input=text.encode("utf-8", errors="replace"),
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("eSpeak NG (%s) did not run: %s", lib.origin, exc)
        return None
    if done.returncode != 0 or len(done.stdout) < _HEADER.size:
        reason = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        log.warning("eSpeak NG (%s) failed: %s", lib.origin, reason)
        return None
    (rate,) = _HEADER.unpack_from(done.stdout)
    return rate, done.stdout[_HEADER.size :]
