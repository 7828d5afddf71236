"""Engines by name. Tiers name engines; the runner asks here for a loaded one.

Engines are imported lazily (a GPU engine pulls in torch and diffusers), and a loaded
engine stays loaded for the next task of the same tier.
"""

from __future__ import annotations

import importlib
import threading

from ..errors import EngineUnavailable
from ..lineup.tiers import ENGINES
from .base import Engine, SpeedOptions

IMPLEMENTATIONS: dict[str, str] = {
    "animatic": "reelforge.engines.animatic:AnimaticEngine",
}
"""Engine name → ``module:Class``. Engines of the lineup missing here are not in this build."""

_loaded: dict[str, Engine] = {}
_lock = threading.Lock()


def is_available(name: str) -> bool:
    return name in IMPLEMENTATIONS


def get_engine(
    name: str, *, tier: str | None = None, device: str = "cpu", speed: SpeedOptions | None = None
) -> Engine:
    """The loaded engine ``name``; loads it on first use."""
    with _lock:
        if name in _loaded:
            return _loaded[name]
        if name not in IMPLEMENTATIONS:
            raise EngineUnavailable(unavailable_message(name, tier))
        module_name, class_name = IMPLEMENTATIONS[name].split(":")
        engine: Engine = getattr(importlib.import_module(module_name), class_name)()
        engine.load(device, speed)
        _loaded[name] = engine
        return engine


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
