"""Splitting a total duration among shots: whole or half seconds, each at least the minimum.

Both the script parser (shots written without a duration) and the intelligent split
use this, so durations chosen for the user look alike: 3.5 + 3.5 + 3 s, not 3.333… s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

STEP_S = 0.5
"""Durations are handed out in steps of this many seconds; the last shot takes any rest."""


def apportion(weights: Sequence[float], total: float, minimum: float) -> list[float]:
    """Durations proportional to ``weights`` that sum to ``total`` exactly.

    Every share is at least ``minimum`` and a multiple of :data:`STEP_S`, except the
    last, which absorbs the part of ``total`` that is not a multiple of the step.
    The caller guarantees ``len(weights) * minimum <= total``.
    """
    n = len(weights)
    steps = math.floor(total / STEP_S + 1e-9)
    base = math.ceil(minimum / STEP_S - 1e-9)
    spare = steps - base * n
    weight_sum = sum(weights)
    shares = [(w / weight_sum if weight_sum > 0 else 1 / n) * spare for w in weights]
    units = [math.floor(s) for s in shares]
    # Largest remainder first; earlier shots win ties, so the result is deterministic.
    order = sorted(range(n), key=lambda i: (-(shares[i] - units[i]), i))
    for i in order[: spare - sum(units)]:
        units[i] += 1
    durations = [(base + u) * STEP_S for u in units]
    durations[-1] = total - sum(durations[:-1])
    return durations
