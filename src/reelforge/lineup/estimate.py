"""What a request will cost (credits) and roughly how long it will take."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spec.requests import AnyRequest
from .tiers import Tier


@dataclass(frozen=True)
class Estimate:
    credits: int
    seconds: float
    """Rough compute seconds on the tier's reference hardware."""
    hardware: str
    per_second: float
    duration: float
    audio: bool

    def describe(self) -> str:
        sound = "with audio" if self.audio else "silent"
        return (
            f"{self.credits} credits ({self.per_second:g}/s × {self.duration:g} s, {sound}); "
            f"about {self.seconds:.0f} s on {self.hardware}"
        )


def estimate(request: AnyRequest, tier: Tier, duration: float) -> Estimate:
    """Credits (rounded up to whole credits) and expected compute time for ``request``."""
    audio = bool(request.audio) and tier.audio not in ("none", "user", "reference")
    per_second = tier.price_per_second(request.resolution, audio)
    speed = tier.speed.get(request.resolution, max(tier.speed.values()))
    return Estimate(
        credits=math.ceil(per_second * duration - 1e-9),
        seconds=speed * duration,
        hardware=tier.speed_hardware,
        per_second=per_second,
        duration=duration,
        audio=audio,
    )
