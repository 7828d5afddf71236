"""Engines by name. Tiers name engines; the runner asks here for a loaded one.

Engines are imported lazily (a GPU engine pulls in torch and diffusers), and a loaded
engine stays loaded for the next task of the same tier.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from ..errors import EngineUnavailable
from ..lineup.tiers import ENGINES
from .base import Engine, SpeedOptions

IMPLEMENTATIONS: dict[str, str] = {
    "animatic": "reelforge.engines.animatic:AnimaticEngine",
}
"""Engine name → ``module:Class``. Engines of the lineup missing here are not in this build."""

_loaded: dict[tuple[str, str | None], Engine] = {}
_lock = threading.Lock()


def is_available(name: str) -> bool:
    return name in IMPLEMENTATIONS


def get_engine(
    name: str,
    *,
    tier: str | None = None,
    device: str | None = None,
    speed: SpeedOptions | None = None,
    model_path: str | Path | None = None,
) -> Engine:
    """The loaded engine ``name`` (from ``model_path`` when given); loads it on first use.

    ``device`` defaults to the first CUDA GPU when there is one, else the CPU.
    """
    key = (name, str(model_path) if model_path is not None else None)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        if name not in IMPLEMENTATIONS:
            raise EngineUnavailable(unavailable_message(name, tier))
        module_name, class_name = IMPLEMENTATIONS[name].split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        engine: Engine = cls(model_path=model_path, tier=tier) if cls.needs_weights else cls()
        engine.load(device or default_device(cls.needs_weights), speed)
        _loaded[key] = engine
        return engine


def default_device(needs_gpu: bool) -> str:
    if not needs_gpu:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def unload_all() -> None:
    with _lock:
        for engine in _loaded.values():
            engine.unload()
        _loaded.clear()


def unavailable_message(name: str, tier: str | None) -> str:
    traits = ENGINES.get(name)
    label = traits.label if traits else name
    repos = ", ".join(w.repo_id for w in traits.weights) if traits else "?"
    who = f"the {tier} tier" if tier else f"engine {name!r}"
    return (
        f"{who} runs on {label} (weights: {repos} on the Hugging Face Hub), "
        "which is not installed in this reelforge. "
        "Render a CPU previz now with `--tier animatic`; "
        f"GPU engines need the weights on this machine (`reelforge pull {tier or name}`)."
    )
