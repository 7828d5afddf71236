"""What every diffusers engine shares: weights lookup, memory plan, loading, prompt
encoding, seeds, progress, output.

A concrete engine (``engines/ltx2/engine.py``, ``engines/wan/engine.py``, ...) sets
``name`` and ``base_pipeline`` (the diffusers class its folder holds), and implements
``render`` by calling :meth:`pipeline` for the pipeline class a mode needs (a diffusers
class, or one of ours built on one); pipelines of one engine share their components
(``from_pipe``), so switching modes loads nothing, and engines of several tiers on one
folder share one loaded copy.

Loading on a GPU starts with the memory plan (:mod:`reelforge.engines.memory`), before any
weight is read: the tier's largest window, this GPU's memory and this host's RAM give the
placement (resident, model / group / sequential offload, the text encoder freed after
encoding, VAE tiling), or a refusal naming what is short. Resident pipelines load straight
onto the GPU (``device_map``), offloaded ones into host memory once (group offload with
``low_cpu_mem_usage``: no pinned second copy). A freed text encoder is not loaded with the
pipeline: :meth:`DiffusersEngine.text` reads it onto the GPU for a prompt and drops it, as
the diffusers memory docs encode prompts apart from the denoiser. Pipelines are always
called with prompt embeddings (:meth:`DiffusersEngine.encoded`); the last prompt's are kept,
so a second stage or window does not encode it again.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..errors import NonFiniteOutput
from ..media.clip import Audio, Clip
from ..planning.plan import Segment
from .base import Engine, SpeedOptions, StepCallback
from .weights import locate_weights

log = logging.getLogger("reelforge.engines")

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

    base_pipeline: str
    """Name of the diffusers pipeline class saved in the engine's folder (set by each
    engine class; a Wan engine sets it per instance to what its folder holds)."""
    prompt_outputs: ClassVar[tuple[str, ...]] = ("prompt_embeds", "negative_prompt_embeds")
    """What the pipeline's ``encode_prompt`` returns, as its ``__call__`` takes them back
    (Wan: the embeddings; LTX-2 adds their attention masks)."""

    def __init__(self, model_path: str | Path | None = None, tier: str | None = None) -> None:
        self.model_path = Path(model_path) if model_path is not None else None
        self.tier = tier
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        self.speed = SpeedOptions()
        self.folder: Path | None = None
        self.speed_report: Any = None
        self.memory_plan: Any = None
        """The :class:`~reelforge.engines.memory.Plan` the pipeline was placed by (None: the CPU)."""
        self.planned_window: Any = None
        """The render the plan is made for (None: the tier's longest at its default resolution)."""
        self._pipelines: dict[str, Any] = {}
        self._text: tuple[tuple, dict[str, Any]] | None = None

    # --- loading ----------------------------------------------------------------

    def load(self, device: str = "cpu", speed: SpeedOptions | None = None) -> None:
        import diffusers

        self.device = torch.device(device)
        self.dtype = compute_dtype(self.device)
        self.speed = speed or SpeedOptions()
        self.folder = locate_weights(self.name, self.model_path, self.tier)
        self.memory_plan = self.plan()  # before anything loads; refuses when nothing fits
        plan = self.memory_plan
        key = (
            self.name,
            self.base_pipeline,
            str(self.folder.resolve()),
            str(self.device),
            self.dtype,
            self.speed,
            plan and plan.label,
        )
        base = _shared.get(key)
        if base is None:
            cls = getattr(diffusers, self.base_pipeline)
            parts = self.replaced_components(self.folder)
            if self.frees_text_encoder:
                parts["text_encoder"] = None  # read for each prompt by ``text``, then dropped
            with self.loading_device() as device_map:
                loaded = cls.from_pretrained(
                    self.folder, dtype=self.component_dtypes(), device_map=device_map, **parts
                )
            base = self.prepare(loaded)
            _shared[key], _reports[base] = base, self.speed_report
        self.speed_report = _reports.get(base)
        self._pipelines = {self.base_pipeline: base}
        self._text = None

    def machine_memory(self) -> tuple[float, float] | None:
        """``(GPU GB, host GB)`` this engine plans with; None on a device without memory of
        its own (the CPU)."""
        from . import memory
        from .speed import gpu_memory_gb

        gpu_gb = gpu_memory_gb(self.device)
        return None if gpu_gb is None else (gpu_gb, memory.host_memory_gb())

    def plan(self, window: Any = None) -> Any:
        """The memory plan on :attr:`device` for ``window`` (None: :attr:`planned_window`, at
        first the tier's longest render at its default resolution: what most tasks ask for)
        with the user's speed options (``low_vram``, ``offload``, ``vae_tiling`` narrow the
        placements), or :class:`~reelforge.engines.memory.DoesNotFit` naming what is short;
        None on the CPU."""
        from . import memory

        machine = self.machine_memory()
        if machine is None:
            return None
        if window is None:
            tier = memory.tier_of(self.name, self.tier)
            window = self.planned_window or memory.worst_window(
                tier, tier.default_resolution, engine=self.name
            )
        return memory.plan_window(
            window,
            *machine,
            modes=memory.allowed_modes(self.speed.low_vram, self.speed.offload),
            vae_tiling=self.speed.vae_tiling,
        )

    def fit(self, segments: Sequence[Segment]) -> None:
        """Before a task renders: when its largest segment (a 4K final, a longer window)
        needs more than the loaded placement holds, the weights are placed again by a plan
        for it (reloaded; slower placements hold larger renders), or
        :class:`~reelforge.engines.memory.DoesNotFit` names what is short, with nothing
        dropped or changed."""
        from . import memory

        plan, machine = self.memory_plan, self.machine_memory()
        if plan is None or machine is None or not segments:
            return
        largest = max(segments, key=lambda s: s.width * s.height * s.frames)
        window = memory.request_window(plan, largest.width, largest.height, largest.frames)
        if memory.holds(plan, window, *machine):
            return
        self.plan(window)  # refuses here, before the loaded weights are dropped
        self.planned_window = window
        log.info(
            "re-placing %s for %d×%d×%d", self.name, window.width, window.height, window.frames
        )
        self.unload()
        self.load(str(self.device), self.speed)

    @property
    def frees_text_encoder(self) -> bool:
        return bool(self.memory_plan is not None and self.memory_plan.free_text_encoder)

    @contextmanager
    def loading_device(self) -> Iterator[str | None]:
        """``from_pretrained``'s ``device_map``: a resident plan loads every component
        straight onto its GPU (the host never holds the weights); otherwise None (host
        memory, once; the placement moves or streams them)."""
        plan = self.memory_plan
        if plan is None or plan.mode != "resident" or self.device.type != "cuda":
            yield None
            return
        # diffusers takes a device type, not an index: load onto the current device.
        with torch.cuda.device(self.device):
            yield self.device.type

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
        self.speed_report = apply_speed(pipe, self.speed, self.device, plan=self.memory_plan)
        return pipe

    def pipeline(self, pipeline: str | type) -> Any:
        """The loaded pipeline as ``pipeline``, sharing weights (``from_pipe``): a diffusers
        class name (``LTX2ImageToVideoPipeline``...) or a pipeline class of our own (a
        subclass of a diffusers one, such as ``WanTI2VKeyframePipeline``). Made once per
        class name, then kept."""
        name = pipeline if isinstance(pipeline, str) else pipeline.__name__
        if name not in self._pipelines:
            cls: Any = pipeline
            if isinstance(pipeline, str):
                import diffusers

                cls = getattr(diffusers, name)
            base = self._pipelines[self.base_pipeline]
            pipe = cls.from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
            self._pipelines[name] = pipe
        return self._pipelines[name]

    # --- prompts ------------------------------------------------------------------------

    def encoded(self, pipe: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """A pipeline call's ``kwargs`` with ``prompt`` and ``negative_prompt`` replaced by
        their embeddings (:meth:`text`); classifier-free guidance as the pipeline decides it
        (a guidance scale above 1)."""
        kwargs = dict(kwargs)
        prompt, negative = kwargs.pop("prompt"), kwargs.pop("negative_prompt", None)
        cfg = any(kwargs.get(k, 1.0) > 1.0 for k in ("guidance_scale", "audio_guidance_scale"))
        length = kwargs.get("max_sequence_length")
        return {**kwargs, **self.text(pipe, prompt, negative, cfg, length)}

    def text(
        self,
        pipe: Any,
        prompt: str,
        negative_prompt: str | None,
        cfg: bool,
        max_sequence_length: int | None = None,
    ) -> dict[str, Any]:
        """The pipeline's ``encode_prompt`` outputs (:attr:`prompt_outputs`) for ``prompt``
        (and ``negative_prompt`` with ``cfg``), as keyword arguments of its ``__call__``.

        The last prompt's are kept: a later stage, window or shot with the same prompt reuses
        them (an encoding with the negative serves a call without). The text encoder is the
        pipeline's own, or, when the memory plan frees it, read onto the device for this and
        dropped."""
        key = (prompt, negative_prompt, max_sequence_length)
        if (
            self._text is None
            or self._text[0] != key
            or (cfg and not self._negative(self._text[1]))
        ):
            self._text = None  # free the old tensors before making new ones
            length = (
                {} if max_sequence_length is None else {"max_sequence_length": max_sequence_length}
            )
            with self.text_encoder_loaded(), torch.no_grad():
                outputs = pipe.encode_prompt(
                    prompt=prompt,
                    negative_prompt=negative_prompt,
                    do_classifier_free_guidance=cfg,
                    device=pipe._execution_device,
                    **length,
                )
            self._text = key, dict(zip(self.prompt_outputs, outputs, strict=True))
        encoded = self._text[1]
        return {k: v for k, v in encoded.items() if cfg or not k.startswith("negative_")}

    @staticmethod
    def _negative(encoded: dict[str, Any]) -> bool:
        return all(v is not None for k, v in encoded.items() if k.startswith("negative_"))

    def text_encoder_loaded(self) -> Any:
        """A context in which every pipeline of this engine has its text encoder: a no-op
        unless the plan frees it, then read straight onto the device and dropped after."""
        return self._text_encoder_session() if self.frees_text_encoder else nullcontext()

    @contextmanager
    def _text_encoder_session(self) -> Iterator[None]:
        encoder = self.load_component("text_encoder")
        pipes = list(self._pipelines.values())
        for pipe in pipes:
            pipe.text_encoder = encoder
        try:
            yield
        finally:
            for pipe in pipes:
                pipe.text_encoder = None
            del encoder
            gc.collect()
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    def load_component(self, name: str) -> Any:
        """One component of the folder (the class its ``model_index.json`` names), loaded
        straight onto :attr:`device` in its dtype."""
        assert self.folder is not None, "load() first"
        library, class_name = json.loads((self.folder / "model_index.json").read_text())[name]
        cls = getattr(importlib.import_module(library), class_name)
        dtypes = self.component_dtypes()
        dtype = dtypes if isinstance(dtypes, torch.dtype) else dtypes.get(name, dtypes["default"])
        module = cls.from_pretrained(self.folder / name, dtype=dtype, device_map=str(self.device))
        return module.eval()

    def unload(self) -> None:
        """Drop this engine's pipelines; the weights go when no other tier uses them."""
        self._pipelines.clear()
        self._text = None
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
        frames = np.asarray(
            video[0] if isinstance(video, (list, tuple)) or np.ndim(video) == 5 else video
        )
        frames = (np.clip(finite("video", frames), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        sound = None if audio is None else as_audio(audio, int(audio_rate or 0))
        return Clip(frames, fps, sound)


def as_audio(waveform: Any, rate: int) -> Audio:
    """A pipeline's or vocoder's sound (tensor or array, ``(batch, channels, samples)`` or
    ``(channels, samples)``) as :class:`Audio` at ``rate``, clipped to [-1, 1]."""
    samples = (
        waveform.float().cpu().numpy()
        if isinstance(waveform, torch.Tensor)
        else np.asarray(waveform)
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
