"""Where an engine's weights are: ``--model-path``, ``$REELFORGE_MODELS``, or the Hub cache.

Lookup never downloads; ``reelforge pull TIER`` does (see :func:`pull`). A missing or
partial download is an :class:`EngineUnavailable` that names the tier, the repository
and the command that fixes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EngineUnavailable
from ..lineup.tiers import ENGINES, WeightsRef

MODELS_ENV = "REELFORGE_MODELS"
"""A folder holding pipelines as ``<folder>/<owner>/<repo>`` (a local mirror of the Hub)."""
PIPELINE_INDEX = "model_index.json"


def locate_weights(engine: str, model_path: str | Path | None = None, tier: str | None = None) -> Path:
    """The local diffusers folder of ``engine``'s main pipeline.

    ``model_path`` (the CLI's ``--model-path``) wins; then ``$REELFORGE_MODELS/<repo_id>``;
    then the Hugging Face cache (``HF_HOME``), offline.
    """
    if model_path is not None:
        return _pipeline_folder(Path(model_path), engine, tier, "--model-path")
    ref = main_weights(engine)
    mirror = os.environ.get(MODELS_ENV)
    if mirror:
        candidate = Path(mirror) / ref.repo_id
        if candidate.exists():
            return _pipeline_folder(candidate, engine, tier, MODELS_ENV)
    return _from_hub_cache(ref, engine, tier)


def main_weights(engine: str) -> WeightsRef:
    traits = ENGINES[engine]
    if not traits.weights:
        raise EngineUnavailable(f"engine {engine!r} has no weights to locate")
    return traits.weights[0]


def _pipeline_folder(path: Path, engine: str, tier: str | None, origin: str) -> Path:
    if not (path / PIPELINE_INDEX).is_file():
        raise EngineUnavailable(
            f"{origin} {path} is not a diffusers pipeline folder for {ENGINES[engine].label} "
            f"(no {PIPELINE_INDEX}); point it at a folder written by save_pretrained "
            f"or pulled with `reelforge pull {tier or engine}`"
        )
    return path


def _from_hub_cache(ref: WeightsRef, engine: str, tier: str | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            ref.repo_id,
            revision=ref.revision,
            allow_patterns=list(ref.allow_patterns) or None,
            local_files_only=True,
        )
    except (LocalEntryNotFoundError, FileNotFoundError, OSError) as exc:
        raise EngineUnavailable(
            f"the {tier or engine} tier needs {ref.repo_id} ({ENGINES[engine].label}), "
            f"which is not downloaded: run `reelforge pull {tier or engine}` "
            f"(or pass --model-path, or render a previz with --tier animatic)"
        ) from exc
    return _pipeline_folder(Path(folder), engine, tier, ref.repo_id)
