"""The selection guide: which tier suits a request, and why.

Rules, first match wins (docs/DESIGN.md §1): a reference video → ``omni``; an action video
and a character → ``motion``; an image and an audio → ``avatar``; audio or several
shots → ``cinema``; a draft → ``turbo`` (``budget`` when the draft wants sound);
otherwise ``cinema``. A tier named by the user is checked instead of chosen.

A request that names no resolution renders at its tier's default
(:func:`with_default_resolution`, at every entry point: CLI, Python API, Kling API, studio),
so ``--tier turbo`` alone is a 720p turbo render, not a 1080p request turbo refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..request.models import AnyRequest, Omni, parse_request
from .tiers import TIERS, Tier, resolve_tier


@dataclass(frozen=True)
class Choice:
    tier: Tier
    reasons: tuple[str, ...]


def _wants_shots(request: AnyRequest) -> bool:
    return bool(getattr(request, "multi_shot", False) or getattr(request, "shots", ()))


def select(request: AnyRequest, duration: float | None = None) -> Choice:
    """The tier for ``request``: the user's (checked), or the guide's (explained)."""
    if request.tier:
        tier = resolve_tier(request.tier, request.workflow)
        check_tier(tier, request, duration)
        return Choice(tier, (f"{tier.name}: chosen by the request ({request.tier})",))
    tier, reasons = _guide(request, request.resolution)
    check_tier(tier, request, duration)
    return Choice(tier, tuple(reasons))


def with_default_resolution(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (a request as plain data) with ``resolution`` set when it names none (absent
    or None): the default of the tier it names, else of the tier the guide picks for it
    (the guide choosing as if any resolution would do: a silent draft is a 720p turbo)."""
    out = dict(data)
    if out.get("resolution") is not None:
        return out
    out.pop("resolution", None)
    if out.get("tier"):
        tier = resolve_tier(str(out["tier"]), out.get("workflow"))
    else:
        tier, _ = _guide(parse_request(out), None)
    out["resolution"] = tier.default_resolution
    return out


def _guide(request: AnyRequest, resolution: str | None) -> tuple[Tier, list[str]]:
    """The guide's tier for ``request`` at ``resolution`` (None: the tier's default)."""
    wf = request.workflow
    if isinstance(request, Omni):
        if request.video is not None:
            return TIERS["omni"], ["a reference video was given: omni keeps its look and motion"]
        return TIERS["omni"], ["reference images/elements anchor identity: omni"]
    if wf == "motion":
        return TIERS["motion"], ["an action video and a character image: motion transfer"]
    if wf == "avatar":
        return TIERS["avatar"], ["one image and one audio: a talking avatar, lip-synced"]
    reasons: list[str] = []
    if resolution == "4k":
        reasons.append("4K output: cinema upscales its latents to 4K")
    if _wants_shots(request):
        reasons.append("several shots in one task: cinema keeps characters across cuts")
    if request.audio and not request.draft:
        reasons.append("sound wanted: cinema generates audio and dialogue with the video")
    if reasons:
        return TIERS["cinema"], reasons
    if request.draft:
        if request.audio:
            return TIERS["budget"], ["a draft with sound: budget (distilled LTX-2, fewer steps)"]
        if resolution is None or resolution in TIERS["turbo"].resolutions:
            return TIERS["turbo"], ["a draft without sound: turbo is the fastest"]
        return TIERS["budget"], [f"a {resolution} draft: budget (turbo stops at 720p)"]
    return TIERS["cinema"], ["no draft asked: cinema gives the best quality"]


def check_tier(tier: Tier, request: AnyRequest, duration: float | None) -> None:
    """Reject a tier that cannot serve ``request`` (workflow, length, resolution, shots)."""
    wf = request.workflow
    if wf not in tier.workflows:
        able = ", ".join(t.name for t in TIERS.values() if wf in t.workflows)
        raise InputError(
            "tier",
            tier.name,
            able,
            f"tier {tier.name!r} does not do {wf} (tiers that do: {able})",
        )
    if duration is not None and tier.max_duration is not None and duration > tier.max_duration:
        raise InputError(
            "duration",
            duration,
            tier.max_duration,
            f"{duration:g} s is more than the {tier.name} tier's {tier.max_duration:g} s maximum",
        )
    if request.resolution not in tier.resolutions:
        allowed = ", ".join(tier.resolutions)
        raise InputError(
            "resolution",
            request.resolution,
            allowed,
            f"{request.resolution} is not offered by the {tier.name} tier ({allowed})",
        )
    tier.engine_for(request.model)
    if _wants_shots(request) and not tier.multi_shot:
        able = ", ".join(t.name for t in TIERS.values() if t.multi_shot and wf in t.workflows)
        raise InputError(
            "multi_shot",
            True,
            able,
            f"the {tier.name} tier renders one shot per task (multi-shot tiers: {able})",
        )
