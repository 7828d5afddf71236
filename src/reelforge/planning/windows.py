"""Where a long shot is cut into engine windows: at quiet points of its audio.

A long avatar is rendered window by window; each window after the first re-renders
``overlap`` frames of its predecessor and the two are blended there. A cut in the middle
of a word shows (and is heard by the lip-sync) more than a cut in a pause, so each cut
goes to the quietest point shortly before the latest frame the window allows.

Pure: lists of numbers in, lengths out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .frames import chunk_lengths, window_capacity

QUIET_SEARCH_S = 2.0
"""How far before a window's latest possible cut (in seconds) a quieter cut is looked for."""

MIN_CHUNK_SHARE = 0.25
"""No chunk is shorter than this share of a full window (unless the whole shot is)."""


def search_frames(fps: float) -> int:
    """:data:`QUIET_SEARCH_S` in frames at ``fps``."""
    return max(0, round(QUIET_SEARCH_S * fps))


def min_chunk(max_frames: int, overlap: int, step: int) -> int:
    """The shortest chunk :func:`quiet_cut_lengths` makes when it makes more than one."""
    _, capacity = window_capacity(max_frames, overlap, step)
    return max(1, min(math.floor(capacity * MIN_CHUNK_SHARE), capacity // 2))


def quiet_cut_lengths(
    keep: int,
    loudness_db: Sequence[float] | None,
    max_frames: int,
    overlap: int,
    step: int,
    search: int,
) -> list[int]:
    """Split ``keep`` output frames into chunks, cutting where ``loudness_db`` is lowest.

    Same guarantees as :func:`~reelforge.planning.frames.chunk_lengths`: the lengths sum
    to ``keep`` and every chunk fits one engine window (``snap_frames_up(k + overlap)``
    ≤ ``max_frames``, the first chunk without overlap). Greedy from the start: each cut
    is the quietest frame among the ``search`` frames before the latest allowed cut,
    scored by the mean level over the blended overlap and the cut frame (later wins a
    tie); the last chunk takes the rest. No chunk is shorter than :func:`min_chunk`.
    ``loudness_db`` holds one level per output frame (missing frames read as silence);
    without it the chunks are :func:`chunk_lengths`' even ones.
    """
    if loudness_db is None:
        return chunk_lengths(keep, max_frames, overlap, step)
    capacity_first, capacity = window_capacity(max_frames, overlap, step)
    if keep <= capacity_first:
        return [keep]
    shortest = min_chunk(max_frames, overlap, step)
    prefix = _prefix_sums(loudness_db, keep)

    def score(cut: int) -> float:
        lo = max(0, cut - overlap)
        return (prefix[cut + 1] - prefix[lo]) / (cut + 1 - lo)

    lengths: list[int] = []
    start = 0
    while True:
        room = capacity_first if not lengths else capacity
        if keep - start <= room:
            break
        latest = min(start + room, keep - shortest)
        earliest = max(start + shortest, latest - max(search, 0))
        cut = min(range(latest, earliest - 1, -1), key=score)
        lengths.append(cut - start)
        start = cut
    lengths.append(keep - start)
    return lengths


def _prefix_sums(levels: Sequence[float], frames: int) -> list[float]:
    """Running sums of ``frames`` levels; frames past the list read as its quietest level."""
    known = [float(v) for v in levels[:frames]]
    silence = min(known, default=0.0)
    out = [0.0]
    for i in range(frames):
        out.append(out[-1] + (known[i] if i < len(known) else silence))
    return out
