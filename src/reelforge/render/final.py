"""4K finals: a finished draft re-rendered at 4K with the same seed and the same plan.

:func:`final_request` turns a draft's request (its sidecar's ``request``, or a stored
task's translated request) into the final's: the same request with the draft's seed,
the draft's tier pinned (so the selection guide cannot move a 4K request to another
tier) and ``resolution: 4k``. Planned by the same engine, the final's plan is the
draft's (shots, segments, frame counts, seeds) at another width and height. A draft
rendered as an animatic previz is re-rendered on its tier's own engine unless the
caller asks for previz again.

:func:`read_draft` reads a draft's JSON sidecar (given it or the MP4 beside it), and
:func:`final_note` is the entry naming the draft in the final's sidecar. The CLI's ``video --final``
and the API's ``POST /v1/videos/final`` use them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..lineup.select import select
from ..lineup.tiers import ALL_WORKFLOWS, TIERS, Tier, resolve_tier
from ..request import limits
from ..request.models import parse_request

FINAL_RESOLUTION = "4k"


@dataclass(frozen=True)
class Draft:
    """What a finished render's sidecar says about it (what a final needs)."""

    sidecar: Path
    request: dict[str, Any]
    seed: int
    tier: str
    previz: bool
    width: int | None = None
    height: int | None = None

    @property
    def resolution(self) -> str:
        return str(self.request.get("resolution") or limits.DEFAULT_RESOLUTION)


def check_final(
    draft_request: Mapping[str, Any],
    *,
    tier: str | None = None,
    resolution: str = FINAL_RESOLUTION,
    field: str = "resolution",
) -> Tier:
    """The tier a final of ``draft_request`` at ``resolution`` renders on, or an
    :class:`InputError` under ``field``: the draft is not a plain render (a video-extend
    result), is already at ``resolution`` (or above), or its tier has no ``resolution``.

    ``tier``: the tier the draft was rendered on (default: the request's own, else the
    selection guide's choice for the draft).
    """
    if resolution not in limits.RESOLUTIONS:
        allowed = ", ".join(limits.RESOLUTIONS)
        raise InputError(
            field, resolution, allowed, f"{resolution!r} is not a resolution ({allowed})"
        )
    workflow = draft_request.get("workflow")
    if workflow not in ALL_WORKFLOWS:
        raise InputError(
            field,
            workflow,
            ", ".join(ALL_WORKFLOWS),
            "a video-extend result cannot be re-rendered as a final "
            "(make the final of the video it continues, then extend that)"
            if workflow == "extend"
            else f"{workflow!r} is not a render's workflow ({', '.join(ALL_WORKFLOWS)})",
        )
    current = str(draft_request.get("resolution") or limits.DEFAULT_RESOLUTION)
    if current in limits.RESOLUTIONS and (
        limits.RESOLUTIONS.index(current) >= limits.RESOLUTIONS.index(resolution)
    ):
        raise InputError(
            field,
            current,
            f"below {resolution}",
            f"the draft is already {current}; a {resolution} final re-renders a smaller draft",
        )
    chosen = _draft_tier(draft_request, tier)
    if resolution not in chosen.resolutions:
        offered = ", ".join(chosen.resolutions)
        able = ", ".join(
            t.name
            for t in TIERS.values()
            if workflow in t.workflows and resolution in t.resolutions
        )
        raise InputError(
            field,
            chosen.name,
            offered,
            f"the draft's tier {chosen.name!r} renders {offered} only, so it has no {resolution} "
            f"final (tiers with {resolution} {workflow}: {able or 'none'})",
        )
    return chosen


def final_request(
    draft_request: Mapping[str, Any],
    seed: int,
    *,
    tier: str | None = None,
    resolution: str = FINAL_RESOLUTION,
    field: str = "resolution",
) -> dict[str, Any]:
    """The final's request: ``draft_request`` with ``seed``, the draft's tier pinned and
    ``resolution``; every other field unchanged. Refusals as :func:`check_final`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= limits.SEED_MAX:
        raise InputError(
            "seed",
            seed,
            f"0–{limits.SEED_MAX}",
            f"{seed!r} is not a draft's seed (0–{limits.SEED_MAX})",
        )
    chosen = check_final(draft_request, tier=tier, resolution=resolution, field=field)
    return {**draft_request, "seed": seed, "tier": chosen.name, "resolution": resolution}


def read_draft(path: str | Path, field: str = "final") -> Draft:
    """The draft whose sidecar is ``path`` (a ``.json``), or lies beside ``path`` (an ``.mp4``)."""
    path = Path(path)
    sidecar = path if path.suffix.lower() == ".json" else path.with_suffix(".json")
    if not sidecar.is_file():
        beside = f" (looked for {sidecar.name} beside it)" if sidecar != path else ""
        raise InputError(
            field,
            str(path),
            "a render's .json sidecar or its .mp4",
            f"{path} has no sidecar{beside}: give a render's .json, or the .mp4 it lies beside",
        )
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            field, str(sidecar), "JSON", f"{sidecar} is not readable JSON ({exc})"
        ) from None
    try:
        request = dict(data["request"])
        seed = int(data["seeds"]["task"])
        tier = str(data.get("tier", {}).get("name") or data["plan"]["tier"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(
            field,
            str(sidecar),
            "a render's sidecar",
            f"{sidecar} is not a reelforge render's sidecar (no request, seed and tier)",
        ) from None
    if "extend" in data:
        request = {**request, "workflow": "extend"}  # refused by check_final, with the reason
    output = data.get("output") or {}
    return Draft(
        sidecar=sidecar,
        request=request,
        seed=seed,
        tier=tier,
        previz=bool(data.get("previz")),
        width=output.get("width"),
        height=output.get("height"),
    )


def final_note(draft: Draft) -> dict[str, Any]:
    """The entry a final's sidecar gets (``render(sidecar_extra=...)``): the draft it re-renders."""
    return {
        "final": {
            "draft": str(draft.sidecar.resolve()),
            "draft_resolution": draft.resolution,
            "draft_size": [draft.width, draft.height],
            "draft_previz": draft.previz,
            "seed": draft.seed,
        }
    }


def _draft_tier(draft_request: Mapping[str, Any], tier: str | None) -> Tier:
    name = tier or draft_request.get("tier")
    if name:
        return resolve_tier(str(name), draft_request.get("workflow"))
    return select(parse_request(dict(draft_request))).tier
