"""Cut detection: :func:`detect_cuts` lets tests check that shot boundaries land where
they were planned."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def detect_cuts(
    frames: np.ndarray, fps: int | float | Fraction, threshold: float = 4.0, min_diff: float = 12.0
) -> list[float]:
    """Times (seconds, ``i / fps``) of hard cuts: frame ``i`` differs sharply from ``i - 1``.

    Frames are reduced to small grey images; the difference is their mean absolute
    difference (grey levels, 0-255). A cut is a difference above both ``min_diff`` and
    ``threshold`` times the clip's median difference (its typical motion), so a fast
    pan is not a cut while a change of shot is.
    """
    frames = np.asarray(frames)
    if frames.shape[0] < 2:
        return []
    step = max(1, max(frames.shape[1], frames.shape[2]) // 64)
    small = frames[:, ::step, ::step].astype(np.float32)
    grey = small @ np.array([0.299, 0.587, 0.114], np.float32) if small.ndim == 4 else small
    diffs = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))
    limit = max(min_diff, threshold * float(np.median(diffs)))
    fps = Fraction(fps) if not isinstance(fps, float) else fps
    return [float((int(i) + 1) / fps) for i in np.flatnonzero(diffs > limit)]
