"""Speak one line with eSpeak NG's library, in a process of its own; a script, not a module.

``python -I -S espeak_line.py LIBRARY DATA VOICE PITCH RATE`` reads UTF-8 text on stdin
and writes the sample rate (4 bytes, little-endian) then 16-bit mono PCM on stdout.
``DATA`` is the ``espeak-ng-data`` folder, or empty for the library's own default.

Why a process per line: eSpeak NG's waveform generator keeps its state (wave phase,
flutter, gain, noise generator) in globals that nothing resets, so a line spoken twice in
one process never comes out the same twice. A fresh process starts from the same state
every time, so a speaker's line is the same on every render (seeded renders reproduce
their sound), and no two threads ever share the library's globals. It imports only the
standard library (``-S``: no site-packages), so it starts in milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
import tempfile
from contextlib import ExitStack

# From eSpeak NG's public headers (speak_lib.h, espeak_ng.h).
ENS_OK = 0
ENOUTPUT_MODE_SYNCHRONOUS = 0x0001
"""Synthesise in the calling thread and hand the samples to the callback: no audio device."""
ESPEAK_RATE, ESPEAK_PITCH = 1, 3
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 0x0001
ESPEAK_ENDPAUSE = 0x1000
"""Add the end-of-sentence pause after the last clause, as the ``espeak-ng`` command does."""
DATA_PATH_MAX = 100
"""eSpeak NG keeps its data folder's path in a 160-byte buffer (on Linux) and appends file
names to it: a longer path (a deep virtual environment) is reached through a short link."""
RANDOM_SEED = 1
"""The breath noise's generator seed (eSpeak NG seeds it from the clock otherwise)."""
CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
"""``int callback(short *wav, int numsamples, espeak_EVENT *events)``; non-zero aborts."""


class SpeechError(Exception):
    """eSpeak NG refused a step; the message is its own."""


def speak(
    library: str, data: str, voice: str, pitch: int, rate: int, text: bytes
) -> tuple[int, bytes]:
    """(sample rate, 16-bit mono PCM) of ``text`` (UTF-8)."""
    lib = ctypes.CDLL(library)
    _declare(lib)
    with ExitStack() as stack:
        lib.espeak_ng_InitializePath(_short(data, stack).encode() or None)
        return _speak(lib, voice, pitch, rate, text)


def _speak(lib: ctypes.CDLL, voice: str, pitch: int, rate: int, text: bytes) -> tuple[int, bytes]:
    """:func:`speak` once the data folder is set."""
    context = ctypes.c_void_p()
    _check(lib, "start", lib.espeak_ng_Initialize(ctypes.byref(context)))
    _check(lib, "output", lib.espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, None))
    seed = getattr(lib, "espeak_ng_SetRandSeed", None)  # eSpeak NG >= 1.52
    if seed is not None:
        seed.argtypes = [ctypes.c_long]
        seed(RANDOM_SEED)
    chunks: list[bytes] = []

    def collect(wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        return 0

    callback = CALLBACK(collect)  # referenced until the synthesis has returned
    lib.espeak_SetSynthCallback(callback)
    _check(lib, f"voice {voice}", lib.espeak_ng_SetVoiceByName(voice.encode()))
    _check(lib, "rate", lib.espeak_ng_SetParameter(ESPEAK_RATE, rate, 0))
    _check(lib, "pitch", lib.espeak_ng_SetParameter(ESPEAK_PITCH, pitch, 0))
    encoded = text + b"\0"
    flags = ESPEAK_CHARS_UTF8 | ESPEAK_ENDPAUSE
    _check(
        lib,
        "synthesis",
        lib.espeak_ng_Synthesize(encoded, len(encoded), 0, POS_CHARACTER, 0, flags, None, None),
    )
    return int(lib.espeak_ng_GetSampleRate()), b"".join(chunks)


def _short(data: str, stack: ExitStack) -> str:
    """``data``, or a link to it in a fresh temporary folder when its path is too long for
    eSpeak NG (removed when ``stack`` closes; the path as it is where links fail)."""
    if len(data.encode()) <= DATA_PATH_MAX:
        return data
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="espeak-"))
    link = os.path.join(folder, "espeak-ng-data")
    try:
        os.symlink(data, link, target_is_directory=True)
    except OSError:
        return data
    return link


def _declare(lib: ctypes.CDLL) -> None:
    """The C signatures of the functions :func:`speak` calls."""
    lib.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
    lib.espeak_ng_InitializePath.restype = None
    lib.espeak_ng_Initialize.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.espeak_ng_InitializeOutput.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    lib.espeak_ng_GetSampleRate.argtypes = []
    lib.espeak_ng_GetStatusCodeMessage.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    lib.espeak_ng_GetStatusCodeMessage.restype = None
    lib.espeak_SetSynthCallback.argtypes = [CALLBACK]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_ng_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_ng_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_ng_Synthesize.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip


def _check(lib: ctypes.CDLL, step: str, status: int) -> None:
    if status != ENS_OK:
        buffer = ctypes.create_string_buffer(512)
        lib.espeak_ng_GetStatusCodeMessage(status, buffer, len(buffer))
        words = buffer.value.decode(errors="replace") or f"status {status:#x}"
        raise SpeechError(f"eSpeak NG: {step}: {words}")


def main(argv: list[str]) -> int:
    library, data, voice, pitch, rate = argv
    try:
        sample_rate, pcm = speak(
            library, data, voice, int(pitch), int(rate), sys.stdin.buffer.read()
        )
    except (OSError, AttributeError, SpeechError) as exc:
        print(exc, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(struct.pack("<I", sample_rate) + pcm)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
