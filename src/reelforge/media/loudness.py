"""How loud an :class:`Audio` is around each video frame: RMS in dB, one value a frame."""

from __future__ import annotations

import numpy as np

from .clip import Audio

FLOOR = 1e-9
"""Added to the RMS before the logarithm, so digital silence reads about -180 dB."""


def loudness_db(audio: Audio, fps: float, frames: int, start: float = 0.0) -> np.ndarray:
    """RMS level in dB of ``audio`` over ±1 frame around each of ``frames`` frame times.

    Frame ``i`` is at ``start + i / fps`` seconds into ``audio`` (channels are averaged);
    times past either end of the track read as silence.
    """
    mono = audio.samples.mean(axis=0, dtype=np.float64)
    energy = np.concatenate([[0.0], np.cumsum(mono * mono)])
    centres = start + np.arange(frames) / fps
    half = 1.0 / fps
    lo = np.clip(np.round((centres - half) * audio.rate).astype(int), 0, mono.size)
    hi = np.clip(np.round((centres + half) * audio.rate).astype(int), 0, mono.size)
    rms = np.sqrt(np.maximum(energy[hi] - energy[lo], 0.0) / np.maximum(hi - lo, 1))
    return 20.0 * np.log10(rms + FLOOR)
