"""Weights that count as downloaded, for servers whose renderer is a stand-in.

A server refuses a task whose tier's weights are not here (unless it is a previz), so a
test server with a fake renderer needs its tiers' weights to look present to the same
lookup the engines use (:func:`reelforge.engines.weights.locate_weights`).
"""

from __future__ import annotations

import json
from pathlib import Path

from reelforge.engines.weights import MODELS_ENV, PIPELINE_INDEX
from reelforge.lineup.tiers import ENGINES

__all__ = ["MODELS_ENV", "placeholder_weights"]


def placeholder_weights(root: Path) -> Path:
    """A ``$REELFORGE_MODELS`` folder where every engine's repositories count as pulled:
    each pipeline an index naming no component, each extra a file for each of its
    patterns (a folder's ``config.json``, a named file such as a LoRA). Nothing
    can load them: only for tests whose renderer is a stand-in."""
    for traits in ENGINES.values():
        for ref in traits.weights:
            folder = root / ref.repo_id
            if ref.role == "pipeline":
                folder.mkdir(parents=True, exist_ok=True)
                (folder / PIPELINE_INDEX).write_text(json.dumps({"_class_name": "Placeholder"}))
                continue
            for pattern in ref.allow_patterns:  # one file each pattern matches
                path = folder / (
                    pattern[:-2] + "/config.json" if pattern.endswith("/*") else pattern
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("{}")
    return root
