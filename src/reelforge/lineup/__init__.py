"""Tiers, their limits and prices, the selection guide and the cost estimate."""

from .compute import Speed
from .estimate import Estimate, estimate
from .select import Choice, check_tier, select, with_default_resolution
from .tiers import (
    END_FRAME,
    ENGINES,
    FEATURES,
    TIERS,
    EngineTraits,
    Tier,
    WeightsRef,
    kling_model_names,
    resolve_tier,
)

__all__ = [
    "END_FRAME",
    "ENGINES",
    "FEATURES",
    "TIERS",
    "Choice",
    "EngineTraits",
    "Estimate",
    "Speed",
    "Tier",
    "WeightsRef",
    "check_tier",
    "estimate",
    "kling_model_names",
    "resolve_tier",
    "select",
    "with_default_resolution",
]
