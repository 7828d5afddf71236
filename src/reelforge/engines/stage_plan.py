"""The stages of every engine call of a plan, without weights: what a dry run prints.

Each engine's schedule lives in one module that the engine itself runs from:
:mod:`reelforge.engines.ltx2.schedule` (LTX-2: two or three stages per segment) and
:mod:`reelforge.engines.wan.schedule` (Wan: one stage). This module only picks the right
one for a plan's engine and asks it what the engine would ask. It lives in ``engines``
because those schedules do; like them it imports no torch and no diffusers.
"""

from __future__ import annotations

from typing import Any

from ..planning.plan import RenderPlan, Segment
from .ltx2 import schedule as ltx2_schedule
from .wan import schedule as wan_schedule

LTX2_ENGINES = ("ltx2", ltx2_schedule.DISTILLED_ENGINE, "ltx25")
NO_DIFFUSION = ("animatic",)
"""Engines that draw their frames without denoising: no stages."""


def segment_stages(engine: str, tier: str, segment: Segment) -> tuple[dict[str, Any], ...]:
    """The stages ``engine`` runs for ``segment`` of a ``tier`` plan, as JSON-ready data
    (sizes, frames, weights, steps, guidance, sigmas); ``()`` for the animatic."""
    if engine in NO_DIFFUSION:
        return ()
    if engine in LTX2_ENGINES:
        stages = ltx2_schedule.for_segment(engine, tier, segment)
        return tuple(stage.describe() for stage in stages)
    if engine in wan_schedule.RECIPES:
        call = wan_schedule.stage(
            engine, segment.width, segment.height, segment.frames, segment.steps
        )
        return (call.describe(),)
    raise ValueError(f"no schedule is known for engine {engine!r}")


def plan_stages(plan: RenderPlan) -> list[dict[str, Any]]:
    """For each segment of ``plan``, its engine call and that call's stages."""
    return [
        {
            "segment": seg.index,
            "shot": seg.shot_index,
            "engine": plan.engine,
            "stages": list(segment_stages(plan.engine, plan.tier, seg)),
        }
        for seg in plan.segments
    ]
