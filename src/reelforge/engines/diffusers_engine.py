"""What every diffusers engine shares: weights lookup, loading, seeds, progress, output.

A concrete engine (``engines/ltx2.py``, ``engines/wan.py``, ...) sets ``name`` and
``base_pipeline`` (the diffusers class its folder holds), and implements ``render``
by calling :meth:`pipeline` for the pipeline class a mode needs; pipelines of one
engine share their components (``from_pipe``), so switching modes loads nothing, and
engines of several tiers on one folder share one loaded copy.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..errors import NonFiniteOutput
from ..media.clip import Audio, Clip
from .base import Engine, SpeedOptions, StepCallback
from .weights import locate_weights

_shared: weakref.WeakValueDictionary[tuple, Any] = weakref.WeakValueDictionary()
"""Loaded base pipelines by (engine, class, folder, device, dtype, speed options). Tiers of
one engine on one folder (cinema, budget and avatar all run LTX-2) share one copy of the weights
instead of loading it once per tier; it is freed when the last engine lets go of it.
The registry's lock serialises loads."""
_reports: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
"""The speed report of each shared pipeline (what ``prepare`` applied)."""


def compute_dtype(device: torch.device) -> torch.dtype:
    """The dtype the models compute in on ``device``: bfloat16 on a GPU, float32 elsewhere."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


class DiffusersEngine(Engine):
    """Base class of the engines that run Hugging Face diffusers pipelines."""

    base_pipeline: ClassVar[str]
    """Name of the diffusers pipeline class saved in the engine's folder."""

    def __init__(self, model_path: str | Path | None = None, tier: str | None = None) -> None:
        self.model_path = Path(model_path) if model_path is not None else None
        self.tier = tier
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        self.speed = SpeedOptions()
        self.folder: Path | None = None
        self.speed_report: Any = None
        self._pipelines: dict[str, Any] = {}

    # --- loading ----------------------------------------------------------------

    def load(self, device: str = "cpu", speed: SpeedOptions | None = None) -> None:
        import diffusers

        self.device = torch.device(device)
        self.dtype = compute_dtype(self.device)
        self.speed = speed or SpeedOptions()
        self.folder = locate_weights(self.name, self.model_path, self.tier)
        key = (
            self.name,
            self.base_pipeline,
            str(self.folder.resolve()),
            str(self.device),
            self.dtype,
            self.speed,
        )
        base = _shared.get(key)
        if base is None:
            cls = getattr(diffusers, self.base_pipeline)
            parts = self.replaced_components(self.folder)
            dtype = self.component_dtypes()
            base = self.prepare(cls.from_pretrained(self.folder, dtype=dtype, **parts))
            _shared[key], _reports[base] = base, self.speed_report
        self.speed_report = _reports.get(base)
        self._pipelines = {self.base_pipeline: base}

    def component_dtypes(self) -> torch.dtype | dict[str, torch.dtype]:
        """``from_pretrained``'s ``dtype``: :attr:`dtype` for every component here; an engine
        whose authors keep some components in another dtype returns a dict of those, with
        ``"default"`` for the rest (diffusers' per-component ``dtype``)."""
        return self.dtype

    def replaced_components(self, folder: Path) -> dict[str, Any]:
        """Components loaded from elsewhere than ``folder``'s own subfolders (none here)."""
        return {}

    def prepare(self, pipe: Any) -> Any:
        """Apply the speed and memory options to a freshly loaded pipeline and place it on
        the device (``pipe.to``, or offloading); what was applied or skipped, and why, is
        kept in ``self.speed_report`` (see :mod:`reelforge.engines.speed`)."""
        from .speed import apply_speed

        pipe.set_progress_bar_config(disable=True)
        self.speed_report = apply_speed(pipe, self.speed, self.device)
        return pipe

    def pipeline(self, class_name: str) -> Any:
        """The loaded pipeline as ``class_name`` (``LTX2ImageToVideoPipeline``...), sharing weights."""
        if class_name not in self._pipelines:
            import diffusers

            base = self._pipelines[self.base_pipeline]
            pipe = getattr(diffusers, class_name).from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
            self._pipelines[class_name] = pipe
        return self._pipelines[class_name]

    def unload(self) -> None:
        """Drop this engine's pipelines; the weights go when no other tier uses them."""
        self._pipelines.clear()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    # --- per call ----------------------------------------------------------------

    @staticmethod
    def generator(seed: int) -> torch.Generator:
        """A CPU generator: the same seed gives the same noise on every device."""
        return torch.Generator("cpu").manual_seed(seed)

    @staticmethod
    def step_callback(progress: StepCallback, steps: int):
        """A ``callback_on_step_end`` that reports ``progress(step, steps)``."""

        def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
            progress(step + 1, steps)
            return {}

        return on_step_end

    @staticmethod
    def to_clip(video: Any, fps: int, audio: Any = None, audio_rate: int | None = None) -> Clip:
        """A pipeline's first output video (float in [0, 1], ``(F, H, W, 3)``) as a :class:`Clip`.

        ``audio`` is a ``(channels, samples)`` or ``(batch, channels, samples)`` tensor or
        array at ``audio_rate``; it is clipped to [-1, 1] and kept at its own rate (the
        MP4 writer resamples).
        """
        frames = np.asarray(video[0] if isinstance(video, (list, tuple)) or np.ndim(video) == 5 else video)
        frames = (np.clip(finite("video", frames), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        sound = None if audio is None else as_audio(audio, int(audio_rate or 0))
        return Clip(frames, fps, sound)


def as_audio(waveform: Any, rate: int) -> Audio:
    """A pipeline's or vocoder's sound (tensor or array, ``(batch, channels, samples)`` or
    ``(channels, samples)``) as :class:`Audio` at ``rate``, clipped to [-1, 1]."""
    samples = (
        waveform.float().cpu().numpy() if isinstance(waveform, torch.Tensor) else np.asarray(waveform)
    )
    if samples.ndim == 3:
        samples = samples[0]
    return Audio(np.clip(finite("audio", samples), -1.0, 1.0), int(rate))


def finite(what: str, values: np.ndarray) -> np.ndarray:
    """``values`` when every one is finite, else :class:`NonFiniteOutput` naming ``what``.

    Clipping would turn NaN latents into black frames (or silence) in a video that
    "succeeded"; the task fails by name instead. One float64 sum finds any NaN or
    infinity without a mask the size of the video; the mask is built only to count them.
    """
    if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values.sum(dtype=np.float64)):
        bad = values.size - int(np.count_nonzero(np.isfinite(values)))
        if bad:
            raise NonFiniteOutput(
                f"the engine's {what} holds {bad:,} NaN or infinite values of {values.size:,} "
                "(a diverged sampling schedule?); refused rather than written as "
                + ("black frames" if what == "video" else "silence")
            )
    return values
