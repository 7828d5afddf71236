"""Preflight: everything about a render that is known before any work starts.

:func:`preflight` checks every limit and probes the inputs (``request``), reads a shot
script in the prompt as its shots (``prompting``), chooses the tier (``lineup``) and
plans every segment (:func:`reelforge.planning.planner.plan`). It loads no engine and
imports no torch, so the API's submit runs exactly what the worker's runner runs
before it renders (:func:`reelforge.render.runner.prepare`): a request the worker would
refuse is refused before it is queued, with the field, the value and the limit.

Its cost is the inputs' checks (headers, a full decode of each image, a scan of each
audio and video file's packets) and, for an avatar, decoding the whole audio track
once to place its windows' cuts at quiet points (the worker reuses that decode for the
output's sound; at submit it is thrown away).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from ..lineup import select, with_default_resolution
from ..lineup.select import Choice
from ..media.clip import Audio
from ..media.decode import read_audio
from ..media.loudness import loudness_db
from ..prompting.lint import lint
from ..prompting.script import with_script_shots
from ..request.check import CheckedRequest, check_request
from ..request.models import AnyRequest, Avatar, parse_request
from .plan import RenderPlan
from .planner import plan as make_plan
from .seeds import new_seed

ANIMATIC = "animatic"
"""The engine a previz renders with, whatever the tier."""

Stage = Callable[[str], AbstractContextManager[Any]]
"""``stage(name)``: a context around each step (``check``, ``plan``), e.g. a timer."""


def untimed(name: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class Preflight:
    """A request checked, its tier chosen and its render planned."""

    checked: CheckedRequest
    choice: Choice
    plan: RenderPlan
    warnings: tuple[str, ...]
    """Prompt lint: advice, never a rejection."""
    user_audio: Audio | None = None
    """The user's audio as read for planning (avatar), for the output's sound track."""


def preflight(
    request: AnyRequest | dict[str, Any],
    *,
    previz: bool = False,
    size: tuple[int, int] | None = None,
    steps: int | None = None,
    stage: Stage = untimed,
) -> Preflight:
    """Check ``request``, choose its tier and plan it; the first problem is raised as an
    :class:`~reelforge.errors.InputError`.

    ``previz`` plans for the animatic engine (a previz render of the chosen tier);
    ``size`` and ``steps`` override the presets. The seed is the request's, else a new one.
    """
    with stage("check"):
        # Plain data that names no resolution takes its tier's own (a model has one set).
        parsed = (
            parse_request(with_default_resolution(request))
            if isinstance(request, dict)
            else request
        )
        checked = check_request(with_script_shots(parsed))
        req = checked.request
        shots = getattr(req, "shots", ())
        warnings = tuple(w.message for w in lint(req.prompt, req.workflow, shots, checked.duration))

    with stage("plan"):
        choice = select(req, checked.duration)
        seed = req.seed if req.seed is not None else new_seed()
        user_audio, levels = _user_audio_levels(req, choice.tier.fps_for(req.workflow))
        plan = make_plan(
            checked,
            choice.tier,
            seed=seed,
            engine=ANIMATIC if previz else choice.tier.engine_for(req.model),
            size=size,
            steps=steps,
            audio_loudness=levels,
        )
    return Preflight(checked, choice, plan, warnings, user_audio)


def _user_audio_levels(req: AnyRequest, fps: int) -> tuple[Audio | None, list[float] | None]:
    """An avatar's audio, read once, and its level in dB per output frame (for the
    planner's quiet cuts); ``(None, None)`` for every other workflow."""
    if not isinstance(req, Avatar):
        return None, None
    audio = read_audio(req.audio_file)
    return audio, loudness_db(audio, fps, math.ceil(audio.duration * fps)).tolist()
