"""Frame-sized views of one pre-rendered layer, cheap enough for hundreds of frames a second.

A bilinear resize of a 720p frame costs ~10 ms on one core: too slow to do per frame.
So views are made in two stages. Boxes are grouped by *zoom level* (levels
:data:`LEVEL_STEP` apart); the layer region a group covers is scaled bilinearly once
(level 0 is the layer itself). Each frame then takes its box from its level by
nearest-neighbour sampling at a scale within ±1 % of 1:1 — visually a bilinear zoom.
Such a sampling is a few dozen rectangular block copies (runs of consecutive source
rows × runs of consecutive source columns), written straight into the output frame:
no per-frame allocation, no per-pixel arithmetic. A 1:1 box (pans, tilts, handheld)
is a single block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .camera import Box

LEVEL_STEP = 0.02
"""Relative scale between neighbouring zoom levels."""

Mapper = Callable[[Callable, Iterable], Iterable]
"""``map``-like: runs a function over items (serially, or on a thread pool)."""

Runs = list[tuple[int, int, int]]
"""``(dst_start, dst_end, src_start)``: destination pixels copied from consecutive sources."""


def runs(offset: float, step: float, n: int, limit: int) -> Runs:
    """Nearest-neighbour sampling of ``n`` pixels at ``offset + (j + 0.5) * step``, as runs."""
    src = np.floor(offset + (np.arange(n) + 0.5) * step).astype(np.int64)
    src = np.clip(src, 0, limit - 1)
    breaks = np.flatnonzero(np.diff(src) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [n]])
    return [(int(a), int(b), int(src[a])) for a, b in zip(starts, ends, strict=True)]


@dataclass(frozen=True)
class _View:
    level: np.ndarray
    rows: Runs
    cols: Runs


class LayerViews:
    """The views of ``layer`` through ``boxes`` (one per frame), at ``size`` = (w, h)."""

    def __init__(
        self, layer: Image.Image, size: tuple[int, int], boxes: Sequence[Box], mapper: Mapper = map
    ) -> None:
        self.layer = layer.convert("RGB")
        self.size = size
        groups: dict[int, list[int]] = {}
        for i, box in enumerate(boxes):
            scale = size[0] / (box[2] - box[0])
            groups.setdefault(round(math.log(scale) / math.log1p(LEVEL_STEP)), []).append(i)
        self._views: list[_View | None] = [None] * len(boxes)

        def make(item: tuple[int, list[int]]) -> None:
            k, members = item
            level, left, top, sx, sy = self._level(k, [boxes[i] for i in members])
            h, w = level.shape[:2]
            for i in members:
                b = boxes[i]
                rows = runs((b[1] - top) * sy, (b[3] - b[1]) * sy / size[1], size[1], h)
                cols = runs((b[0] - left) * sx, (b[2] - b[0]) * sx / size[0], size[0], w)
                self._views[i] = _View(level, rows, cols)

        for _ in mapper(make, groups.items()):
            pass

    def _level(self, k: int, boxes: list[Box]) -> tuple[np.ndarray, int, int, float, float]:
        """The layer region covering ``boxes`` scaled by ``(1 + LEVEL_STEP) ** k``.

        Returns the pixels, the region's top-left corner and the actual x/y scales.
        """
        if k == 0:
            return np.asarray(self.layer), 0, 0, 1.0, 1.0
        lw, lh = self.layer.size
        left = max(math.floor(min(b[0] for b in boxes)) - 1, 0)
        top = max(math.floor(min(b[1] for b in boxes)) - 1, 0)
        right = min(math.ceil(max(b[2] for b in boxes)) + 1, lw)
        bottom = min(math.ceil(max(b[3] for b in boxes)) + 1, lh)
        scale = (1.0 + LEVEL_STEP) ** k
        size = (math.ceil((right - left) * scale), math.ceil((bottom - top) * scale))
        image = self.layer.resize(size, Image.Resampling.BILINEAR, box=(left, top, right, bottom))
        return np.asarray(image), left, top, size[0] / (right - left), size[1] / (bottom - top)

    def write(self, i: int, out: np.ndarray) -> None:
        """Write view ``i`` into ``out`` (``(h, w, 3)`` uint8)."""
        view = self._views[i]
        assert view is not None, "every view is made before it is written"
        for r0, r1, sr in view.rows:
            src_rows = view.level[sr : sr + r1 - r0]
            dst_rows = out[r0:r1]
            for c0, c1, sc in view.cols:
                dst_rows[:, c0:c1] = src_rows[:, sc : sc + c1 - c0]
