"""Synthetic media for the media-layer tests: small and deterministic."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from reelforge.media import Audio

W, H = 320, 180


def gradient_frames(count: int, width: int = W, height: int = H, speed: int = 4) -> np.ndarray:
    """A smooth, moving gradient: easy for H.264, and every frame differs a little."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = np.empty((count, height, width, 3), np.uint8)
    for i in range(count):
        frames[i, ..., 0] = 40 + 170 * (0.5 + 0.5 * np.sin((x + speed * i) / width * 2 * np.pi))
        frames[i, ..., 1] = 30 + 190 * y / height
        frames[i, ..., 2] = 60 + (i * 3) % 120
    return frames


def tone(seconds: float, freq: float = 440.0, rate: int = 48_000, channels: int = 2) -> Audio:
    t = np.arange(round(seconds * rate), dtype=np.float64) / rate
    wave = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return Audio(np.tile(wave, (channels, 1)), rate)


def write_audio_file(path: Path, audio: Audio, codec: str, fmt: str | None = None) -> Path:
    """Encode ``audio`` with PyAV (``pcm_s16le``, ``flac``, ``libmp3lame``, ``aac``, ``libopus``)."""
    layout = "mono" if audio.channels == 1 else "stereo"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=audio.rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(audio.samples, format="fltp", layout=layout)
        frame.sample_rate = audio.rate
        frame.pts = 0
        frame.time_base = Fraction(1, audio.rate)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
