"""Wan through diffusers: tiers ``turbo`` (Wan 2.2 TI2V-5B), ``omni`` (Wan 2.1 VACE) and
``motion`` (Wan 2.2 Animate).

- ``engine.py`` — :class:`WanEngine`: text-, image-to-video and first-last frame, with
  :class:`~reelforge.engines.wan.engine.WanTI2VKeyframePipeline` (TI2V-5B's end frame).
- ``vace.py`` — :class:`WanVACEEngine`: video anchored on tagged reference images, elements
  and frames.
- ``animate.py`` — :class:`WanAnimateEngine`: a character image performing a reference
  video's motion, chained across windows.
- ``base.py`` — :class:`~reelforge.engines.wan.base.WanEngineBase`, what every Wan engine
  shares: loading, the arguments of every call, flow shift, output.
- ``schedule.py`` — steps, guidance, flow shift and negative prompt per engine and model.
- ``preprocess.py`` — Wan-Animate's pose and face inputs (Wan's ONNX models, or a fallback).

Tiny random pipelines for tests and full-size configs for benchmarks are in
:mod:`reelforge.testing.wan`.

The engine classes are imported on first use (PEP 562): ``schedule`` is pure arithmetic,
and a dry run reads it without importing torch or diffusers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .animate import WanAnimateEngine
    from .engine import WanEngine
    from .vace import WanVACEEngine

__all__ = ["WanAnimateEngine", "WanEngine", "WanVACEEngine"]
_MODULES = {"WanEngine": "engine", "WanVACEEngine": "vace", "WanAnimateEngine": "animate"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        import importlib

        return getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
