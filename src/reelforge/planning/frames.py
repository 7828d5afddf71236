"""Frame and size arithmetic: snapping to what an engine can render.

Pure integer functions; every rounding decision of the planner lives here.
"""

from __future__ import annotations

import math

from ..request import limits


def snap_frames_up(frames: int, step: int) -> int:
    """The smallest count ``step * k + 1`` that is ≥ ``frames`` (``step`` 1: ``frames``)."""
    if frames < 1:
        raise ValueError(f"frames must be ≥ 1, got {frames}")
    if step <= 1:
        return frames
    return step * math.ceil((frames - 1) / step) + 1


def snap_frames_down(frames: int, step: int) -> int:
    """The largest count ``step * k + 1`` that is ≤ ``frames``."""
    if step <= 1:
        return frames
    return step * ((frames - 1) // step) + 1


def aspect_value(aspect: str) -> float:
    """``"16:9"`` → 1.777…"""
    w, h = aspect.split(":")
    return float(w) / float(h)


def output_size(resolution: str, aspect: float, multiple: int) -> tuple[int, int]:
    """Width and height for a resolution name and an aspect ratio (width / height).

    The short side is the resolution's (720, 1080, 2160); the long side follows the
    aspect. Both are rounded to the nearest multiple of ``multiple`` (the engine's).
    """
    short = limits.RESOLUTION_SHORT_SIDE[resolution]
    if aspect >= 1:
        width, height = short * aspect, float(short)
    else:
        width, height = float(short), short / aspect
    return _round_to(width, multiple), _round_to(height, multiple)


def render_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """The size an engine renders for a ``width``×``height`` output: each side rounded up
    to its ``multiple`` (the output is the centre of it)."""
    return -(-width // multiple) * multiple, -(-height // multiple) * multiple


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def boundaries(durations: list[float], fps: int) -> list[int]:
    """Output frame index where each part begins, plus the end: cumulative, rounded once.

    Rounding the running sum (not each part) keeps the total exact and puts every cut
    on the frame nearest its requested time.
    """
    out, elapsed = [0], 0.0
    for d in durations:
        elapsed += d
        out.append(round(elapsed * fps))
    return out


def window_capacity(max_frames: int, overlap: int, step: int) -> tuple[int, int]:
    """Kept frames one engine window holds: ``(first chunk, every later chunk)``.

    A later chunk re-renders ``overlap`` frames of its predecessor inside the same window.
    """
    first = snap_frames_down(max_frames, step)
    later = first - overlap
    if later < 1:
        raise ValueError(f"overlap {overlap} leaves no room in {max_frames}-frame windows")
    return first, later


def chunk_lengths(keep: int, max_frames: int, overlap: int, step: int) -> list[int]:
    """Split ``keep`` output frames into chunks one engine call each can render.

    Every chunk after the first re-renders ``overlap`` frames of its predecessor, so a
    chunk of ``k`` kept frames costs ``snap_frames_up(k + overlap)`` engine frames, which
    must not exceed ``max_frames``. Chunks are as even as possible, first ones longest.
    """
    capacity_first, capacity = window_capacity(max_frames, overlap, step)
    if keep <= capacity_first:
        return [keep]
    n = math.ceil(keep / capacity)
    base, extra = divmod(keep, n)
    return [base + (1 if i < extra else 0) for i in range(n)]
