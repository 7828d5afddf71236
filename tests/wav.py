"""The one WAV writer the tests share: 16-bit PCM samples as a ``.wav`` file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_pcm16(path: Path, pcm: np.ndarray, rate: int) -> Path:
    """``pcm`` (int16; ``(samples,)`` mono or ``(samples, channels)``) at ``rate`` Hz."""
    pcm = np.asarray(pcm, "<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path
