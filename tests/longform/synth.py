"""Long synthetic inputs made in the tests: minutes of speech-like sound with pauses at
known times, and a reference video with a moving figure and clicks at known times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from reelforge.media.clip import Audio, Clip
from reelforge.media.encode import write_clip
from tests.wav import write_pcm16

RATE = 48_000
NOISE_FLOOR = 1e-3
"""A room's hiss (-60 dBFS) under everything: the pauses are quiet, not digital zeros."""


def speech(
    seconds: float, seed: int, pause=(0.2, 0.6), phrase=(0.5, 1.5), rate: int = RATE
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A voice-like mono track and its pauses ``[(start, end), ...]`` in seconds.

    Phrases of ``phrase`` seconds are strings of syllables (a harmonic voice of 10
    partials, each syllable gliding from its own pitch between 100 and 240 Hz, under a
    rise-and-fall envelope that never falls silent inside a phrase); between phrases lie
    pauses of ``pause`` seconds, at irregular times. The track starts and ends on speech.
    """
    rng = np.random.default_rng(seed)
    total = round(seconds * rate)
    out = rng.normal(0.0, NOISE_FLOOR, total)
    pauses: list[tuple[float, float]] = []
    t = 0
    while t < total:
        end = min(total, t + round(rng.uniform(*phrase) * rate))
        if total - end < round(phrase[0] * rate):  # the last phrase runs to the end
            end = total
        out[t:end] += _phrase(end - t, rng, rate)
        if end >= total:
            break
        gap = round(rng.uniform(*pause) * rate)
        pauses.append((end / rate, (end + gap) / rate))
        t = end + gap
    return np.clip(out, -1, 1).astype(np.float32), pauses


def _phrase(n: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    f0 = np.empty(n)
    envelope = np.empty(n)
    i = 0
    while i < n:
        length = min(n - i, round(rng.uniform(0.12, 0.28) * rate))
        pitch = rng.uniform(100.0, 240.0)
        f0[i : i + length] = np.linspace(pitch, pitch * rng.uniform(0.85, 1.15), length)
        x = (np.arange(length) + 0.5) / length
        envelope[i : i + length] = 0.3 + 0.7 * np.sin(np.pi * x) ** 0.6
        i += length
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase + k) / k for k in range(1, 11))
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * rate))
    return 0.3 * voice * envelope * fade


def write_wav(path: Path, mono: np.ndarray, rate: int = RATE) -> Path:
    """``mono`` as a 16-bit stereo WAV (the right channel 0.8 times the left)."""
    pcm = (np.stack([mono, 0.8 * mono], axis=1) * 32767).round().astype("<i2")
    return write_pcm16(path, pcm, rate)


def write_portrait(path: Path, size=(400, 480)) -> Path:
    """A face-like picture (≥ 300 px, as requests require)."""
    w, h = size
    img = Image.new("RGB", size, (70, 90, 120))
    pixels = np.asarray(img).copy()
    y, x = np.mgrid[0:h, 0:w]
    face = ((x - w / 2) / (w * 0.28)) ** 2 + ((y - h * 0.45) / (h * 0.32)) ** 2 <= 1
    pixels[face] = (225, 185, 160)
    for ex in (0.4, 0.6):  # eyes
        pixels[(np.abs(x - ex * w) < w * 0.04) & (np.abs(y - 0.38 * h) < h * 0.025)] = (30, 30, 40)
    mouth = (np.abs(x - w / 2) < w * 0.1) & (np.abs(y - 0.6 * h) < h * 0.02)
    pixels[mouth] = (150, 50, 60)
    Image.fromarray(pixels).save(path)
    return path


def dancer_frames(n: int, size: tuple[int, int], fps: int) -> np.ndarray:
    """A figure (torso, head, swinging arms) walking back and forth across the frame."""
    w, h = size
    frames = np.full((n, h, w, 3), 30, np.uint8)
    for i in range(n):
        t = i / fps
        x = int((w - 16) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 6.0)))
        frames[i, 16 : h - 8, x + 4 : x + 12] = (230, 200, 170)  # torso and legs
        frames[i, 4:16, x + 3 : x + 13] = (250, 220, 200)  # head
        arm = int(6 * np.sin(2 * np.pi * t))  # arms swing once a second
        ya = max(0, min(h - 4, 22 + arm))
        frames[i, ya : ya + 3, max(0, x - 4) : x + 20] = (200, 170, 150)
    return frames


def clicks(seconds: float, times: list[float], rate: int = RATE) -> Audio:
    """Short 1 kHz bursts (20 ms) at ``times`` over a quiet 220 Hz hum, stereo."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    track = 0.05 * np.sin(2 * np.pi * 220.0 * t)
    burst = round(0.02 * rate)
    window = np.hanning(burst)
    for at in times:
        i = round(at * rate)
        track[i : i + burst] += 0.6 * window * np.sin(2 * np.pi * 1000.0 * t[i : i + burst])
    return Audio(np.stack([track, track]).astype(np.float32), rate)


def write_reference(
    path: Path, seconds: float, click_times: list[float], size=(64, 64), fps=24
) -> Path:
    """A ``seconds`` long MP4 of :func:`dancer_frames` with :func:`clicks` as its sound."""
    n = round(seconds * fps)
    return write_clip(Clip(dancer_frames(n, size, fps), fps, clicks(n / fps, click_times)), path)
