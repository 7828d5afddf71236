"""LTX-2 (video + audio) through diffusers: tiers ``cinema``, ``budget`` and ``avatar``.

- ``engine.py`` — :class:`LTX2Engine`: text-, image-to-video, keyframes, audio-to-video,
  4K, and :meth:`LTX2Engine.add_audio` (video-to-audio).
- ``held.py`` — our denoising loop with one modality held clean (a2v, v2a).
- ``audio.py`` / ``video.py`` — in and out of the audio and video VAEs.
- ``schedule.py`` — every stage of every render: sizes, weights, guidance, sigmas.
- ``stages.py`` — those stages through the stock pipelines (upsample, re-noise, checks).
- ``lora.py`` — the distilled LoRA of the refine stages.
- ``internals.py`` — the only calls into diffusers' private LTX-2 helpers.
- ``presets.py`` — steps and guidance per tier.

Tiny random pipelines for tests and full-size configs for benchmarks are in
:mod:`reelforge.testing.ltx2` and :mod:`reelforge.testing.ltx25`.

The engine classes are imported on first use (PEP 562): ``schedule`` and ``presets`` are
pure arithmetic, and a dry run reads them without importing torch or diffusers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import LTX2DistilledEngine, LTX2Engine, LTX25Engine

__all__ = ["LTX25Engine", "LTX2DistilledEngine", "LTX2Engine"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
