"""Checks of a request's own fields: text, numbers, choices, shots and camera.

Pure functions of the request (no files). Each raises :class:`InputError` naming the
field, the value and the limit; limits are read from :mod:`reelforge.request.limits` at
call time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import InputError
from . import limits
from .messages import listing, num, seconds
from .models import CameraControl, ShotSpec
from .text import check_text

CAMERA_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


def check_range(
    field: str, value: float, low: float, high: float, *, unit: str = "", rule: str = ""
) -> None:
    """``low <= value <= high``; ``unit`` is ``"s"`` for seconds, ``rule`` ends the message."""

    def show(v: float, other: float) -> str:
        return seconds(v, other) if unit == "s" else num(v, other)

    suffix = f" {rule}" if rule else ""
    if isinstance(value, float) and math.isnan(value):
        raise InputError(field, value, (low, high), "nan is not a number")
    if value < low:
        raise InputError(
            field,
            value,
            low,
            f"{show(value, low)} is less than the {show(low, value)} minimum{suffix}",
        )
    if value > high:
        raise InputError(
            field,
            value,
            high,
            f"{show(value, high)} is more than the {show(high, value)} maximum{suffix}",
        )


def check_choice(field: str, value: str, choices: Sequence[str]) -> str:
    """``value`` as spelled in ``choices`` (case-insensitive match), else an error."""
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise InputError(
        field,
        value,
        tuple(choices),
        f"{value!r} is not one of {listing([repr(c) for c in choices])}",
    )


def check_seed(seed: int | None) -> None:
    if seed is not None:
        check_range("seed", seed, 0, limits.SEED_MAX)


def check_cfg_scale(cfg_scale: float | None) -> None:
    if cfg_scale is not None:
        check_range("cfg_scale", cfg_scale, limits.CFG_SCALE_MIN, limits.CFG_SCALE_MAX)


def check_duration(field: str, duration: float) -> None:
    """A generated clip's length, in ``[DURATION_MIN_S, DURATION_MAX_S]``."""
    check_range(field, duration, limits.DURATION_MIN_S, limits.DURATION_MAX_S, unit="s")


def check_shots(shots: Sequence[ShotSpec], duration: float | None) -> float:
    """Check a custom multi-shot list; return the task's duration (the shots' sum if unset).

    Shots are numbered 1..n in order, each at least ``SHOT_MIN_S`` long with a prompt of
    at most ``SHOT_PROMPT_MAX_CHARS``, and their durations add up to ``duration``
    within ``DURATION_TOLERANCE_S``.
    """
    n = len(shots)
    if n < limits.SHOTS_MIN:
        raise InputError(
            "shots",
            n,
            limits.SHOTS_MIN,
            f"a custom multi-shot request needs at least {limits.SHOTS_MIN} shot "
            f"(got {n}); give shots, or use shot_type 'intelligence'",
        )
    if n > limits.SHOTS_MAX:
        raise InputError(
            "shots",
            n,
            limits.SHOTS_MAX,
            f"{n} shots is more than the {limits.SHOTS_MAX}-shot maximum",
        )
    for i, shot in enumerate(shots):
        if shot.index != i + 1:
            raise InputError(
                f"shots[{i}].index",
                shot.index,
                i + 1,
                f"shot {i + 1} has index {shot.index}; shots are numbered 1 to {n} in order",
            )
        if not shot.prompt.strip():
            raise InputError(
                f"shots[{i}].prompt", shot.prompt, "non-empty", "a shot needs a prompt"
            )
        check_text(f"shots[{i}].prompt", shot.prompt, limits.SHOT_PROMPT_MAX_CHARS)
        check_range(f"shots[{i}].duration", shot.duration, limits.SHOT_MIN_S, math.inf, unit="s")
    total = math.fsum(shot.duration for shot in shots)
    if duration is None:
        return total
    if abs(total - duration) > limits.DURATION_TOLERANCE_S:
        raise InputError(
            "shots",
            total,
            duration,
            f"the shot durations add up to {seconds(total, duration)}, "
            f"not the request's duration of {seconds(duration, total)}",
        )
    return duration


def check_camera(camera: CameraControl) -> None:
    """Amounts in ``[CAMERA_AMOUNT_MIN, CAMERA_AMOUNT_MAX]``; ``simple`` moves exactly one
    axis, and a preset moves none (Kling's ``camera_control`` rules)."""
    for axis in CAMERA_AXES:
        check_range(
            f"camera.{axis}",
            getattr(camera, axis),
            limits.CAMERA_AMOUNT_MIN,
            limits.CAMERA_AMOUNT_MAX,
        )
    moving = [axis for axis in CAMERA_AXES if getattr(camera, axis) != 0]
    if camera.type == "simple" and len(moving) != 1:
        got = f"got {listing(moving, 'and')}" if moving else "all are 0"
        raise InputError(
            "camera",
            tuple(moving),
            "exactly one non-zero axis",
            f"a 'simple' camera move needs exactly one non-zero amount among "
            f"{listing(CAMERA_AXES)} ({got})",
        )
    if camera.type != "simple" and moving:
        raise InputError(
            f"camera.{moving[0]}",
            getattr(camera, moving[0]),
            0,
            f"the preset camera move {camera.type!r} takes no amounts; "
            f"use type 'simple' to set {moving[0]}",
        )
