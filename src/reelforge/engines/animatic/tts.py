"""Local text-to-speech for dialogue lines, through ``espeak-ng`` when it is installed.

Robotic but instant and offline: enough to time dialogue in a previz. Each voice
index picks a fixed espeak variant and pitch, so a speaker always sounds the same.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from ...media.clip import AUDIO_CHANNELS, AUDIO_RATE, Audio
from ...media.decode import resample_audio
from ...prompting.shots import DialogueLine

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
"""(espeak variant, pitch 0–99) per voice index."""
WORDS_PER_MINUTE = 165
TIMEOUT_S = 30


def tts_available() -> bool:
    """Whether ``espeak-ng`` is on PATH."""
    return shutil.which("espeak-ng") is not None


def speak(line: DialogueLine, voice_index: int) -> Audio | None:
    """``line.text`` spoken in voice ``voice_index``, at 48 kHz stereo.

    None when espeak-ng is missing or fails (the caller leaves silence). A tone that
    mentions whispering uses espeak's whisper variant.
    """
    if not tts_available() or not line.text.strip():
        return None
    variant, pitch = VOICES[voice_index % len(VOICES)]
    if line.tone and "whisper" in line.tone.lower():
        variant = "whisperf" if variant.startswith("f") else "whisper"
    with tempfile.TemporaryDirectory(prefix="reelforge-tts-") as tmp:
        path = Path(tmp) / "line.wav"
        command = [
            "espeak-ng",
            "-v", f"en+{variant}",
            "-p", str(pitch),
            "-s", str(WORDS_PER_MINUTE),
            "-w", str(path),
            "--stdin",
        ]  # fmt: skip
        try:
            subprocess.run(
                command,
                input=line.text.encode(),
                capture_output=True,
                check=True,
                timeout=TIMEOUT_S,
            )
            return _read_wav(path)
        except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
            return None


def _read_wav(path: Path) -> Audio:
    """A 16-bit PCM WAV file as 48 kHz stereo :class:`Audio`."""
    with wave.open(str(path), "rb") as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        if wav.getsampwidth() != 2:
            raise wave.Error(f"expected 16-bit samples, got {8 * wav.getsampwidth()}-bit")
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = data.reshape(-1, channels).T.astype(np.float32) / 32768.0
    return resample_audio(Audio(samples, rate), AUDIO_RATE, AUDIO_CHANNELS)
