"""A dry run: everything a render would decide and run, without rendering.

:func:`dry_run` is a render's steps 1–2 (:func:`~reelforge.planning.preflight.preflight`:
every limit checked and every input probed as for a real render, the tier chosen, the
plan made) and, instead of loading an engine, the stages each engine call would run
(:func:`~reelforge.engines.stage_plan.plan_stages`: sizes, frames, steps, guidance,
sigmas). It needs no weights and no GPU, imports no torch, and writes nothing.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..engines.stage_plan import plan_stages
from ..planning.preflight import ANIMATIC, preflight
from ..request.models import AnyRequest
from .runner import plan_record


def dry_run(
    request: AnyRequest | dict[str, Any],
    *,
    previz: bool = False,
    size: tuple[int, int] | None = None,
    steps: int | None = None,
) -> dict[str, Any]:
    """What :func:`~reelforge.render.runner.render` would do with the same arguments, as
    JSON-ready data: the sidecar's request, tier, estimate, plan and seeds, the prompt's
    warnings, and ``calls``: per segment, its engine and that engine call's ``stages``.
    Raises :class:`~reelforge.errors.InputError` as a render would, before any work."""
    pre = preflight(request, previz=previz, size=size, steps=steps)
    return {
        "reelforge": __version__,
        "dry_run": True,
        "previz": pre.plan.engine == ANIMATIC,
        **plan_record(pre.checked, pre.choice, pre.plan),
        "warnings": list(pre.warnings),
        "calls": plan_stages(pre.plan),
    }
