"""What a request will cost (credits) and roughly how long it will take."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..request.models import AnyRequest
from . import compute
from .tiers import Tier


@dataclass(frozen=True)
class Estimate:
    credits: int
    seconds: float
    """Compute seconds on ``hardware``: measured there, or estimated (``measured`` false)."""
    hardware: str
    per_second: float
    duration: float
    audio: bool
    measured: bool
    """Whether ``seconds`` comes from a measurement (BENCHMARKS.md) or from counted FLOPs."""

    @property
    def speed_label(self) -> str:
        """``measured on 2-core CPU`` or ``estimated on H100 (not measured)``."""
        return compute.speed_label(self.hardware, self.measured)

    def describe(self) -> str:
        sound = "with audio" if self.audio else "silent"
        return (
            f"{self.credits} credits ({self.per_second:g}/s × {self.duration:g} s, {sound}); "
            f"about {self.seconds:.0f} s, {self.speed_label}"
        )


def estimate(request: AnyRequest, tier: Tier, duration: float) -> Estimate:
    """Credits (rounded up to whole credits) and expected compute time for ``request``,
    timed on the engine its ``model`` names (the tier's default when it names none)."""
    audio = bool(request.audio) and tier.audio not in ("none", "user", "reference")
    per_second = tier.price_per_second(request.resolution, audio)
    model = request.model
    if request.resolution in tier.resolutions:
        speed = tier.speed_for(request.resolution, model)
    else:  # priced at the tier's slowest resolution
        speed = max((tier.speed_for(r, model) for r in tier.resolutions), key=lambda s: s.seconds)
    return Estimate(
        credits=math.ceil(per_second * duration - 1e-9),
        seconds=speed.seconds * duration,
        hardware=speed.hardware,
        per_second=per_second,
        duration=duration,
        audio=audio,
        measured=speed.measured,
    )
