"""What a video-extend renders: an image-to-video continuation of the video's last frame.

A video is extended by an image-to-video continuation of its last frame at the video's
size and sound (:func:`continuation_request`), checked and planned like any request
(:func:`reelforge.render.extend.preflight_extension` at submit); the task is charged for
the added seconds only. The rendering is :func:`reelforge.render.extend.extend`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lineup import TIERS
from ..request import limits

DEFAULT_EXTEND_SECONDS = 5.0
"""How much a video-extend adds when the caller does not say (Kling adds about 5 s)."""
ASPECT_TOLERANCE = 0.01


def continuation_tier(tier: str | None) -> str | None:
    """The tier that continues a video made by ``tier``: the same one when it does
    image-to-video, else ``None`` (the selection guide chooses)."""
    if tier and tier in TIERS and "image2video" in TIERS[tier].workflows:
        return tier
    return None


def resolution_for(width: int, height: int) -> str:
    """The resolution name whose short side is nearest the video's."""
    short = min(width, height)
    return min(limits.RESOLUTIONS, key=lambda r: abs(limits.RESOLUTION_SHORT_SIDE[r] - short))


def aspect_for(width: int, height: int) -> str | None:
    """``16:9``, ``9:16`` or ``1:1`` when the frame is one of them, else ``None``."""
    for name in limits.ASPECT_RATIOS:
        w, h = (float(x) for x in name.split(":"))
        if abs(width / height - w / h) <= ASPECT_TOLERANCE * (w / h):
            return name
    return None


def continuation_request(
    image: Path,
    prompt: str,
    seconds: float,
    *,
    width: int,
    height: int,
    audio: bool,
    tier: str | None = None,
    model: str | None = None,
    negative_prompt: str = "",
    cfg_scale: float | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The image-to-video request (as data) that continues a ``width``×``height`` video;
    ``model`` (the source's) is kept while the continuation keeps the source's tier."""
    kept = continuation_tier(tier)
    data: dict[str, Any] = {
        "workflow": "image2video",
        "prompt": prompt,
        "negative_prompt": negative_prompt,
        "image": image,
        "duration": seconds,
        "aspect_ratio": aspect_for(width, height),
        "resolution": resolution_for(width, height),
        "audio": audio,
        "tier": kept,
        "model": model if kept is not None and kept == tier else None,
        "cfg_scale": cfg_scale,
        "seed": seed,
    }
    return {k: v for k, v in data.items() if v is not None}
