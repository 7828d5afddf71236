"""LTX-2 (video + audio) through diffusers: tiers ``cinema``, ``budget`` and ``avatar``.

- ``engine.py`` — :class:`LTX2Engine`: text-, image-to-video, keyframes, audio-to-video,
  4K, and :meth:`LTX2Engine.add_audio` (video-to-audio).
- ``held.py`` — our denoising loop with one modality held clean (a2v, v2a).
- ``audio.py`` / ``video.py`` — in and out of the audio and video VAEs.
- ``upscale.py`` — 4K: half-size pass, latent upsampler, refine pass.
- ``presets.py`` — steps, guidance and thresholds per tier.
- ``tiny.py`` — tiny random pipelines for tests, full-size configs for benchmarks.
"""

from .engine import LTX2Engine

__all__ = ["LTX2Engine"]
