"""The engine interface: ``load``, ``render(segment, progress) -> Clip``, ``unload``.

An engine turns one planned :class:`~reelforge.planning.plan.Segment` into a
:class:`~reelforge.media.clip.Clip` of exactly ``segment.frames`` frames at the
plan's size and fps. It never trims, concatenates or encodes: the runner does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..media.clip import Clip
from ..planning.plan import Segment

StepCallback = Callable[[int, int], None]
"""Called as ``progress(step, steps)`` after each denoising step (or frame batch)."""


def no_progress(step: int, steps: int) -> None:
    return None


@dataclass(frozen=True)
class SpeedOptions:
    """Speed and memory options shared by every engine (attention, cache, compile, offload).

    ``preset``: ``quality`` (no change to the numerics), ``balanced`` or ``fast``;
    ``None`` picks one from the GPU's memory (the CPU gets ``quality``).
    ``low_vram``: on a GPU, the fastest placement that offloads (False: none that does);
    ``None``: the memory plan picks the fastest that fits (:mod:`reelforge.engines.memory`;
    ``offload`` and ``vae_tiling``, when set, narrow it too). Every other field left
    ``None`` follows the preset; set, it overrides it (see :mod:`reelforge.engines.speed`,
    which applies them).
    """

    preset: str | None = None
    low_vram: bool | None = None
    attention: str | None = None
    """``exact``, ``approximate`` or a diffusers backend (``flash``, ``_flash_3``, ``sage``, ``native``)."""
    cache: str | None = None
    """``none``, ``fbc`` (First Block Cache), ``taylorseer`` or ``mag``."""
    cache_threshold: float | None = None
    compile: bool | None = None
    fp8: str | None = None
    """``off``, ``weight`` or ``dynamic``."""
    offload: str | None = None
    """``none``, ``model``, ``group`` or ``sequential``."""
    vae_tiling: bool | None = None


class Engine(ABC):
    """One model family behind the reelforge interface."""

    name: ClassVar[str]
    needs_weights: ClassVar[bool] = True

    def load(self, device: str = "cpu", speed: SpeedOptions | None = None) -> None:
        """Load weights onto ``device``; called once, pipelines stay loaded between tasks.

        Engines without weights (the animatic) keep this default, which does nothing."""
        return None

    def fit(self, segments: Sequence[Segment]) -> None:
        """Make sure the loaded weights' placement holds the largest of ``segments`` (a GPU
        engine may re-place them), or raise naming what is short; before any is rendered.
        Engines without a memory plan keep this default, which does nothing."""
        return None

    @abstractmethod
    def render(
        self,
        segment: Segment,
        progress: StepCallback = no_progress,
        previous: Clip | None = None,
    ) -> Clip:
        """Render ``segment.frames`` frames at ``segment.width``×``segment.height``, ``segment.fps``.

        ``previous`` is the previous segment's clip, for engines that continue from
        its last frames. The clip carries audio when the engine makes sound.
        """

    def unload(self) -> None:
        """Free memory held by :meth:`load` (default: nothing to free)."""
        return None
