"""Progress events and cancellation for long renders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..errors import Cancelled

Stage = Literal["check", "plan", "load", "render", "encode", "done"]


@dataclass(frozen=True)
class ProgressEvent:
    """Where a render stands. ``fraction`` runs from 0 to 1 over the whole task."""

    stage: Stage
    fraction: float
    message: str
    segment: int = 0
    """1-based segment being rendered (0 before rendering starts)."""
    segments: int = 0
    step: int = 0
    steps: int = 0


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(event: ProgressEvent) -> None:
    return None


class CancelToken:
    """Set from any thread; the runner stops at its next step and cleans up."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("the render was cancelled")
