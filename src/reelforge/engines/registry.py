"""Engines by name. Tiers name engines; the runner asks here for a loaded one.

Engines are imported lazily (a GPU engine pulls in torch and diffusers), and a loaded
engine stays loaded for the next task of the same tier.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any

from ..errors import EngineUnavailable
from ..lineup.tiers import ENGINES, Tier
from .base import Engine, SpeedOptions
from .weights import missing_weights

IMPLEMENTATIONS: dict[str, str] = {
    "animatic": "reelforge.engines.animatic:AnimaticEngine",
    "ltx2": "reelforge.engines.ltx2:LTX2Engine",
    "ltx2_distilled": "reelforge.engines.ltx2:LTX2DistilledEngine",
    "ltx25": "reelforge.engines.ltx2:LTX25Engine",
    "wan": "reelforge.engines.wan:WanEngine",
    "wan_vace": "reelforge.engines.wan:WanVACEEngine",
    "wan_animate": "reelforge.engines.wan:WanAnimateEngine",
}
"""Engine name → ``module:Class``, imported on first use."""
DIFFUSERS_PACKAGES = ("torch", "diffusers", "transformers")

_loaded: dict[tuple[str, str | None, str | None], Engine] = {}
"""Loaded engines by (engine, tier, model path): a tier's settings (steps, guidance,
distilled weights) belong to its engine instance, so tiers sharing an engine don't mix."""
_lock = threading.Lock()


def is_available(name: str) -> bool:
    """Whether ``name`` can be imported here (weights are checked when it loads)."""
    if name not in IMPLEMENTATIONS:
        return False
    module_name = IMPLEMENTATIONS[name].split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None and (
            name == "animatic" or all(importlib.util.find_spec(p) for p in DIFFUSERS_PACKAGES)
        )
    except ModuleNotFoundError:
        return False


def cannot_render(tier: Tier, engine: str | None = None) -> str | None:
    """Why ``tier`` cannot render here with ``engine`` (None: its default), found as
    :func:`get_engine` and the engine would find it but without importing or loading
    anything; ``None`` when it can. First the engine's packages, then its weights
    (:func:`~reelforge.engines.weights.missing_weights`)."""
    name = engine or tier.engine
    traits = ENGINES[name]
    if not traits.needs_weights:
        return None
    if not is_available(name):
        return (
            f"{traits.label} needs {', '.join(DIFFUSERS_PACKAGES)}: "
            "pip install 'reelforge[engines]' (with the torch build for your GPU)"
        )
    return missing_weights(tier, name)


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
    key = (name, tier, str(model_path) if model_path is not None else None)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        if name not in IMPLEMENTATIONS:
            raise EngineUnavailable(unavailable_message(name, tier))
        cls = _engine_class(name, tier)
        engine: Engine = cls(model_path=model_path, tier=tier) if cls.needs_weights else cls()
        engine.load(device or default_device(cls.needs_weights), speed)
        _loaded[key] = engine
        return engine


def _engine_class(name: str, tier: str | None) -> Any:
    module_name, class_name = IMPLEMENTATIONS[name].split(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in DIFFUSERS_PACKAGES:
            raise EngineUnavailable(
                f"{unavailable_message(name, tier)} It also needs {exc.name}: "
                "pip install 'reelforge[engines]' (with the torch build for your GPU)."
            ) from exc
        raise EngineUnavailable(unavailable_message(name, tier)) from exc


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
        "which cannot run in this install. "
        "Render a CPU previz now with `--tier animatic`."
    )
