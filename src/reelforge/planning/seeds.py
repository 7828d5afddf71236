"""Seeds: one task seed, a reproducible seed per segment derived from it."""

from __future__ import annotations

import hashlib
import secrets

from ..request import limits


def new_seed() -> int:
    return secrets.randbelow(limits.SEED_MAX + 1)


def segment_seed(task_seed: int, index: int) -> int:
    """A stable 32-bit seed for segment ``index``; segment 0 keeps the task seed."""
    if index == 0:
        return task_seed
    digest = hashlib.sha256(f"reelforge:{task_seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & limits.SEED_MAX
