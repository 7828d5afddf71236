"""Where an engine's weights are: ``--model-path``, ``$REELFORGE_MODELS``, or the Hub cache.

Lookup never downloads; ``reelforge pull TIER`` does (see :func:`pull`). A missing or
partial download is an :class:`EngineUnavailable` that names the tier, the repository
and the command that fixes it.

The repositories, revisions and ``allow_patterns`` are data: the ``weights=`` entries of
:data:`reelforge.lineup.tiers.ENGINES`. The first entry of an engine is its diffusers
pipeline folder; further entries (``role``) are extras such as LTX-2's latent upsampler
or the Wan Animate preprocessor, found with :func:`locate_extra`.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EngineUnavailable, InputError
from ..lineup.tiers import ENGINES, TIERS, Tier, WeightsRef, resolve_tier

MODELS_ENV = "REELFORGE_MODELS"
"""A folder holding pipelines as ``<folder>/<owner>/<repo>`` (a local mirror of the Hub)."""
PIPELINE_INDEX = "model_index.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx")
"""Files that hold weights; a model component folder needs at least one."""
SHARD_INDEX_SUFFIX = ".index.json"
LIBRARY_MODEL_CONFIGS = ("config.json",)
"""A component folder holding one of these is a model (it needs weights beside it)."""


# --- what a tier needs -----------------------------------------------------------------


def resolve_target(name: str) -> tuple[str, str | None]:
    """``(engine, tier)`` for a tier name, a Kling model name or an engine name."""
    key = name.strip().lower()
    if key in ENGINES and key not in TIERS:
        return key, None
    try:
        tier = resolve_tier(key)
    except InputError:
        known = ", ".join(sorted({*TIERS, *ENGINES}))
        raise InputError(
            "tier", name, known, f"unknown tier, model or engine {name!r} (known: {known})"
        ) from None
    return tier.engine, tier.name


def tier_weights(tier: Tier) -> tuple[WeightsRef, ...]:
    """Every repository a tier's renders load.

    The engine's weights (LTX-2's include the latent upsampler and the distilled weights
    every two-stage render uses), plus LTX-2's pipeline where the tier adds sound after the picture (``audio="added"``:
    video-to-audio on LTX-2).
    """
    refs = list(ENGINES[tier.engine].weights)
    if tier.audio == "added" and not tier.engine.startswith("ltx2"):
        refs.append(ENGINES["ltx2"].weights[0])
    return tuple(refs)


def weights_for(name: str) -> tuple[str, str | None, tuple[WeightsRef, ...]]:
    """``(engine, tier, refs)`` for a tier, a Kling model name or an engine name."""
    engine, tier = resolve_target(name)
    refs = tier_weights(TIERS[tier]) if tier else ENGINES[engine].weights
    if not refs:
        raise EngineUnavailable(
            f"{tier or engine} needs no weights: {ENGINES[engine].label} runs without any"
        )
    return engine, tier, refs


def engine_of(ref: WeightsRef) -> str | None:
    """The engine whose table lists ``ref``."""
    return next((name for name, traits in ENGINES.items() if ref in traits.weights), None)


def pull_command(name: str, ref: WeightsRef | None = None) -> str:
    rev = f" --revision {ref.revision}" if ref is not None and ref.revision != "main" else ""
    return f"reelforge pull {name}{rev}"


# --- lookup ------------------------------------------------------------------------------


def locate_weights(
    engine: str, model_path: str | Path | None = None, tier: str | None = None
) -> Path:
    """The local diffusers folder of ``engine``'s main pipeline, checked complete.

    ``model_path`` (the CLI's ``--model-path``) wins; then ``$REELFORGE_MODELS/<repo_id>``;
    then the Hugging Face cache (``HF_HOME``), offline (``local_files_only``).
    """
    if model_path is not None:
        return _pipeline_folder(Path(model_path), engine, tier, "--model-path")
    ref = main_weights(engine)
    mirror = _mirror_folder(ref)
    if mirror is not None:
        return _pipeline_folder(mirror, engine, tier, f"${MODELS_ENV}", ref)
    folder = _from_hub_cache(ref, engine, tier)
    return _pipeline_folder(folder, engine, tier, f"the download of {ref.repo_id}", ref)


def locate_extra(engine: str, role: str, tier: str | None = None) -> Path:
    """The local folder of ``engine``'s extra weights ``role`` (``latent_upsampler``...).

    The returned folder is the repository snapshot's ``subfolder`` when the entry names
    one (what ``from_pretrained`` takes), else the snapshot's root.
    """
    refs = [r for r in ENGINES[engine].weights if r.role == role]
    if not refs:
        raise EngineUnavailable(f"engine {engine!r} has no {role!r} weights in the lineup table")
    ref = refs[0]
    mirror = _mirror_folder(ref)
    root = mirror if mirror is not None else _from_hub_cache(ref, engine, tier)
    problems = check_snapshot(root, ref)
    if problems:
        raise EngineUnavailable(_partial_message(ref, engine, tier, problems))
    return root / ref.subfolder if ref.subfolder else root


def main_weights(engine: str) -> WeightsRef:
    traits = ENGINES[engine]
    if not traits.weights:
        raise EngineUnavailable(f"engine {engine!r} has no weights to locate")
    return traits.weights[0]


def _mirror_folder(ref: WeightsRef) -> Path | None:
    mirror = os.environ.get(MODELS_ENV)
    if mirror:
        candidate = Path(mirror) / ref.repo_id
        if candidate.exists():
            return candidate
    return None


def _pipeline_folder(
    path: Path, engine: str, tier: str | None, origin: str, ref: WeightsRef | None = None
) -> Path:
    if not (path / PIPELINE_INDEX).is_file():
        raise EngineUnavailable(
            f"{origin} {path} is not a diffusers pipeline folder for {ENGINES[engine].label} "
            f"(no {PIPELINE_INDEX}); point it at a folder written by save_pretrained "
            f"or pulled with `{pull_command(tier or engine)}`"
        )
    main = main_weights(engine)
    problems = check_pipeline_folder(path, main.replaced, main.skipped)
    if problems:
        if ref is None:
            raise EngineUnavailable(
                f"--model-path {path} is an incomplete diffusers folder for {ENGINES[engine].label}: "
                f"{'; '.join(problems)}. Save the whole pipeline with save_pretrained, or drop "
                f"--model-path and run `{pull_command(tier or engine)}`"
            )
        raise EngineUnavailable(_partial_message(ref, engine, tier, problems))
    return path


def _partial_message(ref: WeightsRef, engine: str, tier: str | None, problems: list[str]) -> str:
    who = f"the {tier} tier" if tier else f"engine {engine!r}"
    shown = "; ".join(problems[:4]) + (
        f"; and {len(problems) - 4} more" if len(problems) > 4 else ""
    )
    return (
        f"{who} needs {ref.repo_id} ({ENGINES[engine].label}), whose download is incomplete: "
        f"{shown}. Run `{pull_command(tier or engine, ref)}` to finish it (downloads resume)"
    )


def _from_hub_cache(ref: WeightsRef, engine: str, tier: str | None) -> Path:
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            ref.repo_id,
            revision=ref.revision,
            allow_patterns=list(ref.allow_patterns) or None,
            local_files_only=True,
        )
    except Exception as exc:  # LocalEntryNotFoundError, IncompleteSnapshotError, OSError
        who = f"the {tier} tier" if tier else f"engine {engine!r}"
        if type(exc).__name__ == "IncompleteSnapshotError":
            raise EngineUnavailable(
                f"{who} needs {ref.repo_id} ({ENGINES[engine].label}), whose download is "
                f"incomplete ({exc}). Run `{pull_command(tier or engine, ref)}` to finish it "
                "(downloads resume)"
            ) from exc
        raise EngineUnavailable(
            f"{who} needs {ref.repo_id} ({ENGINES[engine].label}), which is not downloaded: "
            f"run `{pull_command(tier or engine, ref)}` (or pass --model-path, or render a "
            "previz with --tier animatic)"
        ) from exc
    return Path(folder)


# --- completeness ----------------------------------------------------------------------------


def check_pipeline_folder(
    path: str | Path, replaced: tuple[str, ...] = (), skipped: tuple[str, ...] = ()
) -> list[str]:
    """What is missing from a diffusers pipeline folder (empty when it is complete).

    Every component named in ``model_index.json`` must have its folder; a model
    component (a folder with ``config.json``) must hold weights, and a sharded one every
    shard its index names; a scheduler, tokenizer or processor folder must hold its
    configuration files. A ``replaced`` component (supplied by another entry) needs only
    its ``config.json``; a ``skipped`` one (never used) nothing.
    """
    path = Path(path)
    try:
        index = json.loads((path / PIPELINE_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{PIPELINE_INDEX} cannot be read ({exc})"]
    problems: list[str] = []
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or len(spec) != 2:
            continue
        if spec[0] is None or spec[1] is None:
            continue  # an optional component saved as absent
        if name in skipped:
            continue
        if name in replaced:
            if not (path / name / "config.json").is_file():
                problems.append(f"{name}/config.json is missing")
            continue
        problems += _check_component(path / name, name)
    return problems


def _check_component(folder: Path, name: str) -> list[str]:
    if not folder.is_dir():
        return [f"{name}/ is missing"]
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".incomplete")]
    if not files:
        return [f"{name}/ is empty"]
    if not any(p.name in LIBRARY_MODEL_CONFIGS for p in files):
        return []  # scheduler, tokenizer, processor: configuration files only
    problems: list[str] = []
    for shard_index in (p for p in files if p.name.endswith(SHARD_INDEX_SUFFIX)):
        try:
            shards = set(json.loads(shard_index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"{name}/{shard_index.name} cannot be read ({exc})")
            continue
        missing = sorted(s for s in shards if not (shard_index.parent / s).is_file())
        if missing:
            problems.append(
                f"{name}/ lacks {len(missing)} of {len(shards)} weight shards ({missing[0]}...)"
            )
    if not problems and not any(p.name.endswith(WEIGHT_SUFFIXES) for p in files):
        problems.append(f"{name}/ has a config but no weight files")
    return problems


def check_snapshot(path: str | Path, ref: WeightsRef) -> list[str]:
    """What is missing from a downloaded repository: every allow pattern must match a file,
    and a pipeline folder must pass :func:`check_pipeline_folder`."""
    path = Path(path)
    if not path.is_dir():
        return [f"{path} does not exist"]
    present = [
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(path).parts
    ]
    problems = [
        f"nothing matches {pattern}"
        for pattern in ref.allow_patterns
        if not any(fnmatch.fnmatch(f, pattern) for f in present)
    ]
    if ref.role == "pipeline" and not problems:
        problems += check_pipeline_folder(path, ref.replaced, ref.skipped)
    return problems


# --- before a render ---------------------------------------------------------------------------


def missing_weights(tier: Tier, engine: str | None = None) -> str | None:
    """What of the weights ``tier`` renders with on ``engine`` (None: its default) would not
    be found here, or ``None`` when nothing is missing.

    Looked up exactly as the engine looks them up when it loads, without loading
    anything: the pipeline folder through :func:`locate_weights` (``$REELFORGE_MODELS``,
    then the Hub cache, offline), and the extras of the same repository beside it (LTX's
    latent upsampler and distilled weights, which every render opens). The answer names
    repositories and the command that fetches them, never local paths.
    """
    name = engine or tier.engine
    traits = ENGINES[name]
    if not traits.needs_weights:
        return None
    ref = main_weights(name)
    pull = tier.name if name == tier.engine else name
    try:
        folder = locate_weights(name, None, tier.name)
    except EngineUnavailable:
        state = "not downloaded" if weights_status(ref).state == "missing" else "incomplete"
        return f"its weights, {ref.repo_id}, are {state} (`{pull_command(pull, ref)}` fetches them)"
    for extra in traits.weights[1:]:
        if extra.repo_id == ref.repo_id and check_snapshot(folder, extra):
            what = extra.subfolder or ", ".join(extra.allow_patterns)
            return (
                f"its {extra.role.replace('_', ' ')}, {extra.repo_id}/{what}, is not downloaded "
                f"(`{pull_command(pull, extra)}` fetches it)"
            )
    return None


# --- status and download ---------------------------------------------------------------------


@dataclass(frozen=True)
class WeightsStatus:
    """Whether one repository of a tier is here: ``present``, ``partial`` or ``missing``."""

    ref: WeightsRef
    state: str
    where: Path | None
    detail: str = ""


def weights_status(ref: WeightsRef, models_dir: str | Path | None = None) -> WeightsStatus:
    """Look for ``ref`` in ``models_dir`` (or ``$REELFORGE_MODELS``), then the Hub cache; offline."""
    base = (
        Path(models_dir)
        if models_dir
        else (Path(os.environ[MODELS_ENV]) if os.environ.get(MODELS_ENV) else None)
    )
    candidates: list[Path] = []
    if base is not None and (base / ref.repo_id).exists():
        candidates.append(base / ref.repo_id)
    if not candidates:
        cached = _cached_snapshot(ref)
        if cached is not None:
            candidates.append(cached)
    if not candidates:
        return WeightsStatus(ref, "missing", None)
    where = candidates[0]
    problems = check_snapshot(where, ref)
    if problems:
        return WeightsStatus(ref, "partial", where, "; ".join(problems))
    return WeightsStatus(ref, "present", where)


def _cached_snapshot(ref: WeightsRef) -> Path | None:
    """The Hub cache's snapshot folder for ``ref`` even when incomplete (``None`` if absent)."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    storage = Path(constants.HF_HUB_CACHE) / repo_folder_name(
        repo_id=ref.repo_id, repo_type="model"
    )
    commit = ref.revision
    ref_file = storage / "refs" / ref.revision
    if ref_file.is_file():
        commit = ref_file.read_text(encoding="utf-8").strip()
    folder = storage / "snapshots" / commit
    return folder if folder.is_dir() else None


ProgressFactory = Callable[[WeightsRef], Any]
"""Given the repository about to come down, a tqdm-compatible class for its progress bars."""


@dataclass(frozen=True)
class Pulled:
    """One repository after :func:`pull`: where it lies and whether it is complete."""

    ref: WeightsRef
    folder: Path
    problems: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.problems


def pull(
    tier_or_engine: str,
    progress: ProgressFactory | None = None,
    *,
    revision: str | None = None,
    models_dir: str | Path | None = None,
    max_workers: int = 8,
) -> list[Pulled]:
    """Download every repository a tier (or Kling model name, or engine) needs.

    Uses ``huggingface_hub.snapshot_download`` with each entry's ``allow_patterns``, so
    only the pipeline's folders come down; an interrupted download resumes where it
    stopped. ``models_dir`` downloads into a ``$REELFORGE_MODELS``-style mirror
    (``<models_dir>/<owner>/<repo>``) instead of the Hub cache. ``revision`` overrides
    every entry's revision. Each result is checked with :func:`check_snapshot`.
    """
    from huggingface_hub import snapshot_download

    _, _, refs = weights_for(tier_or_engine)
    done: list[Pulled] = []
    for ref in refs:
        rev = revision or ref.revision
        kwargs: dict[str, Any] = {
            "revision": rev,
            "allow_patterns": list(ref.allow_patterns) or None,
            "max_workers": max_workers,
        }
        if models_dir is not None:
            kwargs["local_dir"] = Path(models_dir) / ref.repo_id
        if progress is not None:
            kwargs["tqdm_class"] = progress(ref)
        folder = Path(snapshot_download(ref.repo_id, **kwargs))
        done.append(Pulled(ref, folder, tuple(check_snapshot(folder, ref))))
    return done


def rich_progress_factory(bar: Any) -> ProgressFactory:
    """A :data:`ProgressFactory` drawing ``snapshot_download``'s bars on a ``rich`` Progress.

    Shows, per repository, the files fetched and the bytes received; hides the rest.
    """
    from tqdm import tqdm as _tqdm

    def factory(ref: WeightsRef) -> type:
        class RichTqdm(_tqdm):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                import io

                kwargs.pop("name", None)
                kwargs["file"] = io.StringIO()
                kwargs["disable"] = False
                kwargs["mininterval"] = 0
                super().__init__(*args, **kwargs)
                desc = str(kwargs.get("desc") or "")
                if desc.startswith("Fetching") or desc.startswith("[dry-run]"):
                    label, visible = f"{ref.repo_id}: files", True
                elif desc.startswith("Downloading"):
                    label, visible = f"{ref.repo_id}: bytes", True
                else:
                    label, visible = desc, False
                self._task = bar.add_task(label, total=self.total or None, visible=visible)

            def display(self, msg: Any = None, pos: Any = None) -> bool:
                task = getattr(self, "_task", None)
                if task is not None:
                    bar.update(task, completed=self.n, total=self.total or None)
                return True

            def close(self) -> None:
                self.display()
                super().close()

        return RichTqdm

    return factory
