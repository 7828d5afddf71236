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
- ``tiny.py`` — tiny random pipelines for tests, full-size configs for benchmarks.
"""

from .engine import LTX2DistilledEngine, LTX2Engine

__all__ = ["LTX2DistilledEngine", "LTX2Engine"]
