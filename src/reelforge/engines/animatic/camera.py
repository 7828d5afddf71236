"""Camera moves as pure functions of shot progress ``t`` in [0, 1].

A move is simulated on a pre-rendered *layer* larger than the frame (by
:func:`layer_scale`). For each frame, :func:`view` says how the camera looks at that
layer — a magnification and where the view's centre sits within the layer's slack —
and :func:`crop_box` turns that into the layer rectangle the frame shows.

Directions follow the camera, not the picture: ``pan_right`` turns the camera right,
so the content slides left; ``tilt_up`` makes the content slide down. ``orbit_left``
circles the subject leftwards: the far background slides left (the layer) while the
foreground figures drift right (:func:`foreground_shift`), at a different speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...prompting.shots import CameraMove

PUSH_ZOOM = 0.25
"""``push_in`` ends (``pull_out`` starts) at 1 + this magnification."""
TRAVEL = 0.20
"""Pan, tilt and orbit travel of the layer, as a fraction of the frame size."""
SHAKE = 0.012
"""Handheld shake amplitude, as a fraction of the frame size."""
ORBIT_FOREGROUND = 0.06
"""Orbit: foreground travel as a fraction of the frame width, against the background."""

Box = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in layer pixels."""


@dataclass(frozen=True)
class View:
    """How the camera looks at the layer in one frame."""

    zoom: float = 1.0
    """Magnification of the layer, ≥ 1."""
    u: float = 0.0
    """View centre across the horizontal slack: -1 at the left edge, 1 at the right."""
    v: float = 0.0
    """View centre across the vertical slack: -1 at the top, 1 at the bottom."""


def ease(t: float) -> float:
    """Smoothstep: starts and ends at rest."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def layer_scale(move: CameraMove, intensity: float = 1.0) -> tuple[float, float]:
    """How much larger than the frame (width, height factors) the layer must be."""
    if move in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT) or is_orbit(move):
        return 1.0 + TRAVEL * intensity, 1.0
    if move in (CameraMove.TILT_UP, CameraMove.TILT_DOWN):
        return 1.0, 1.0 + TRAVEL * intensity
    if move is CameraMove.HANDHELD:
        grow = 1.0 + 2.0 * SHAKE * intensity
        return grow, grow
    return 1.0, 1.0


def layer_size(frame: tuple[int, int], scale: tuple[float, float]) -> tuple[int, int]:
    """The layer's pixel size: the frame grown by ``scale``, with an even slack on each axis."""
    (w, h), (sw, sh) = frame, scale
    return w + 2 * round(w * (sw - 1.0) / 2), h + 2 * round(h * (sh - 1.0) / 2)


def is_orbit(move: CameraMove) -> bool:
    return move in (CameraMove.ORBIT_LEFT, CameraMove.ORBIT_RIGHT)


def view(
    move: CameraMove, t: float, seconds: float = 0.0, seed: int = 0, intensity: float = 1.0
) -> View:
    """The view at shot progress ``t``; ``seconds`` (output time) and ``seed`` drive handheld."""
    e = ease(t)
    sweep = 2.0 * e - 1.0  # -1 → 1
    match move:
        case CameraMove.PUSH_IN:
            return View(zoom=1.0 + PUSH_ZOOM * intensity * e)
        case CameraMove.PULL_OUT:
            return View(zoom=1.0 + PUSH_ZOOM * intensity * (1.0 - e))
        case CameraMove.PAN_RIGHT | CameraMove.ORBIT_LEFT:
            return View(u=sweep)
        case CameraMove.PAN_LEFT | CameraMove.ORBIT_RIGHT:
            return View(u=-sweep)
        case CameraMove.TILT_UP:
            return View(v=-sweep)
        case CameraMove.TILT_DOWN:
            return View(v=sweep)
        case CameraMove.HANDHELD:
            return View(u=shake(seconds, seed, 0), v=shake(seconds, seed, 1))
    return View()


def foreground_shift(move: CameraMove, t: float, intensity: float = 1.0) -> float:
    """Orbit parallax: the foreground's offset from rest, as a fraction of the frame width."""
    if not is_orbit(move):
        return 0.0
    sign = 1.0 if move is CameraMove.ORBIT_LEFT else -1.0
    return sign * ORBIT_FOREGROUND * intensity * (ease(t) - 0.5)


def shake(seconds: float, seed: int, axis: int) -> float:
    """Smooth seeded noise in [-0.8, 0.8]: three slow sines, a function of absolute time."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, axis])
    freqs = rng.uniform(0.3, 1.7, 3)
    phases = rng.uniform(0.0, 2.0 * math.pi, 3)
    weights = np.array([1.0, 0.6, 0.35])
    value = float(np.sum(weights * np.sin(2.0 * math.pi * freqs * seconds + phases)))
    return 0.8 * value / float(weights.sum())


def crop_box(v: View, layer: tuple[int, int], frame: tuple[int, int]) -> Box:
    """The layer rectangle shown by view ``v`` (always inside the layer)."""
    (lw, lh), (w, h) = layer, frame
    bw, bh = w / v.zoom, h / v.zoom
    cx = lw / 2 + v.u * (lw - w) / 2
    cy = lh / 2 + v.v * (lh - h) / 2
    return (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
