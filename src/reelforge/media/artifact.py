"""What a finished render leaves on disk."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    """An MP4 with its poster JPEG and JSON sidecar, and the facts a caller needs."""

    video: Path
    poster: Path
    sidecar: Path
    duration: float
    width: int
    height: int
    fps: Fraction | int
    """Frames per second: an int when whole (as the plan gives it), else a Fraction."""
    has_audio: bool
    tier: str
    previz: bool
