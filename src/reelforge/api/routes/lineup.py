"""The lineup at ``/v1/tiers``: every tier with its Kling names, models, workflows,
limits, prices and features."""

# No ``from __future__ import annotations``: FastAPI reads the route signatures.

from typing import Any

from fastapi import APIRouter, Request

from ...lineup import FEATURES, TIERS
from ...lineup.tiers import Tier
from ..context import request_id
from ..views import envelope

router = APIRouter()


@router.get("/v1/tiers", tags=["lineup"], summary="The lineup: tiers, models, limits, prices")
def tiers(request: Request) -> dict[str, Any]:
    return envelope([_tier(t) for t in TIERS.values()], request_id(request))


def _tier(t: Tier) -> dict[str, Any]:
    return {
        "name": t.name,
        "role": t.role,
        "kling": t.kling,
        "kling_models": list(t.kling_models),
        "engine": t.engine,
        "models": [t.engine, *t.models],
        "workflows": list(t.workflows),
        "max_duration": t.max_duration,
        "resolutions": list(t.resolutions),
        "default_resolution": t.default_resolution,
        "fps": t.fps,
        "audio": t.audio,
        "prices": {r: {"silent": p[0], "with_audio": p[1]} for r, p in t.prices.items()},
        "multi_shot": t.multi_shot,
        "features": [f for f in FEATURES if t.offers(f)],
        "experimental": dict(t.experimental),
    }
