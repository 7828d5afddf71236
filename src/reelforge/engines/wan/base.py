"""What the Wan engines share: :class:`WanEngineBase` and per-call helpers.

:class:`WanEngineBase` is the :class:`DiffusersEngine` every Wan engine subclasses: the
prompt-length knob, the arguments every Wan call shares, image fitting, and the
``Clip`` it returns. Random-weight Wan pipelines (tiny and full size) for tests and
benchmarks are in :mod:`reelforge.testing.wan`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ...errors import EngineUnavailable
from ...media.clip import Clip
from ...media.decode import fit_image, load_image
from ...planning.plan import Segment
from ..base import SpeedOptions, StepCallback
from ..diffusers_engine import DiffusersEngine
from ..weights import PIPELINE_INDEX, locate_weights
from .schedule import MODELS, RECIPES, WanRecipe, flow_shift

# --------------------------------------------------------------------------- engines

FLOAT32_COMPONENTS = ("vae", "image_encoder")
"""Components loaded in float32 whatever the transformer computes in. The VAE: Wan's own
code builds it in float32 (Wan-Video/Wan2.2 wan/modules/vae2_2.py ``Wan2_2_VAE(dtype=
torch.float)``, wan/modules/vae2_1.py ``Wan2_1_VAE(dtype=torch.float)``) while the DiT and
T5 run bf16 (wan/configs/shared_config.py ``param_dtype``, ``t5_dtype``); the diffusers
examples load ``AutoencoderKLWan`` with ``torch_dtype=torch.float32`` next to a bf16
pipeline (diffusers 0.42.1 ``pipeline_wan.py``, ``pipeline_wan_vace.py``;
``pipeline_wan_animate.py`` upcasts ``pipe.vae.to(torch.float32)``). The CLIP image
encoder of I2V / Animate: float32 as in diffusers' ``pipeline_wan_i2v.py`` example (Wan's
own code runs it in float16 under autocast: Wan2.1 wan/configs/wan_i2v_14B.py
``clip_dtype``, Wan2.2 wan/animate.py)."""


def shifted_scheduler(scheduler: Any, shift: float) -> Any:
    """``scheduler`` rebuilt with flow shift ``shift`` (``flow_shift`` of a flow-sigma
    scheduler such as the Wan repositories' UniPC, ``shift`` of
    ``FlowMatchEulerDiscreteScheduler``); ``scheduler`` itself when it already has it, or
    has no fixed flow shift."""
    config = scheduler.config
    if config.get("use_flow_sigmas"):
        key = "flow_shift"
    elif "shift" in config and not config.get("use_dynamic_shifting"):
        key = "shift"
    else:
        return scheduler
    if float(config[key]) == shift:
        return scheduler
    return type(scheduler).from_config(config, **{key: shift})


class WanEngineBase(DiffusersEngine):
    """What the Wan engines share when they call their pipelines."""

    accepted_pipelines: ClassVar[tuple[str, ...]] = ()
    """Pipeline classes a folder may hold for this engine (``base_pipeline`` included)."""
    max_sequence_length: ClassVar[int] = 512
    """Longest prompt (in tokens) the Wan models were trained with; capped by the folder's
    tokenizer (``model_max_length``), so a folder may ask for shorter prompts."""

    @property
    def recipe(self) -> WanRecipe:
        """This engine's steps and guidance (``schedule.RECIPES``, which the dry run reads)."""
        return RECIPES[self.name]

    @property
    def default_steps(self) -> int:
        return self.recipe.steps

    @property
    def guidance_scale(self) -> float:
        return self.recipe.guidance_scale

    def model_kind(self) -> str:
        """The kind of Wan model loaded (a key of ``schedule.MODELS``): the recipe's."""
        return self.recipe.model

    def flow_shift(self, segment: Segment) -> float:
        """The flow shift Wan's authors sample this model with at the segment's size."""
        return flow_shift(self.model_kind(), segment.width, segment.height)

    def component_dtypes(self) -> torch.dtype | dict[str, torch.dtype]:
        """:attr:`dtype` for the transformer and text encoder, float32 for
        :data:`FLOAT32_COMPONENTS`."""
        if self.dtype == torch.float32:
            return self.dtype
        return {"default": self.dtype, **dict.fromkeys(FLOAT32_COMPONENTS, torch.float32)}

    def scheduled(self, pipe: Any, segment: Segment) -> Any:
        """``pipe`` with its scheduler rebuilt for the segment's flow shift
        (:meth:`flow_shift`); every Wan engine calls this right before the pipeline."""
        pipe.scheduler = shifted_scheduler(pipe.scheduler, self.flow_shift(segment))
        return pipe

    def load(self, device: str = "cpu", speed: SpeedOptions | None = None) -> None:
        """Load the folder's pipeline: whichever of :attr:`accepted_pipelines` it holds."""
        folder = locate_weights(self.name, self.model_path, self.tier)
        saved = saved_pipeline(folder)
        accepted = self.accepted_pipelines or (self.base_pipeline,)
        if saved not in accepted:
            raise EngineUnavailable(
                f"{folder} holds a {saved}; the {self.name} engine loads {' or '.join(accepted)}"
            )
        self.base_pipeline = saved  # per instance: the class the folder holds
        super().load(device, speed)

    def prompt_length(self, pipe: Any) -> int:
        tokenizer_max = (
            getattr(pipe.tokenizer, "model_max_length", None) or self.max_sequence_length
        )
        return int(min(self.max_sequence_length, tokenizer_max))

    def common_kwargs(self, pipe: Any, segment: Segment, progress: StepCallback) -> dict[str, Any]:
        """Arguments every Wan pipeline call takes, from the segment; without a negative
        prompt, the model's default (``schedule.MODELS``, Wan's ``sample_neg_prompt``)."""
        steps = segment.steps or self.default_steps
        default_negative = MODELS[self.model_kind()].negative_prompt
        return {
            "prompt": segment.prompt,
            "negative_prompt": segment.negative_prompt or default_negative,
            "height": segment.height,
            "width": segment.width,
            "num_inference_steps": steps,
            "guidance_scale": self.guidance_scale,
            "generator": self.generator(segment.seed),
            "max_sequence_length": self.prompt_length(pipe),
            "output_type": "np",
            "callback_on_step_end": self.step_callback(progress, steps),
        }

    @staticmethod
    def fitted(path: str | Path, width: int, height: int) -> Image.Image:
        """An input image, upright, scaled and centre-cropped to the segment's size."""
        return Image.fromarray(fit_image(load_image(path), width, height))

    def finish(self, video: Any, segment: Segment, **meta: Any) -> Clip:
        """The pipeline's output as exactly ``segment.frames`` frames."""
        clip = self.to_clip(video, segment.fps)
        if clip.num_frames < segment.frames:
            raise RuntimeError(
                f"{self.name} returned {clip.num_frames} frames, the segment needs {segment.frames}"
            )
        clip = clip.head(segment.frames)
        clip.meta.update(
            engine=self.name, timeline_frames=segment.overlap_frames + segment.keep_frames, **meta
        )
        return clip


def saved_pipeline(folder: Path) -> str:
    """The pipeline class name a diffusers folder's ``model_index.json`` names."""
    import json

    return str(json.loads((Path(folder) / PIPELINE_INDEX).read_text())["_class_name"])


def continued_frames(previous: Clip | None, segment: Segment) -> np.ndarray | None:
    """The frames of ``previous`` that show the same moments as this segment's first
    ``conditioning.continue_from_previous`` frames (``None`` when it continues nothing).

    A segment's clip may run past the frames the timeline keeps (frame counts are snapped
    up to 4k+1); Wan engines record the kept length as ``meta["timeline_frames"]``, and the
    overlap is the last ``n`` of those.
    """
    n = segment.conditioning.continue_from_previous
    if previous is None or n <= 0:
        return None
    end = min(int(previous.meta.get("timeline_frames", previous.num_frames)), previous.num_frames)
    return previous.frames[max(0, end - n) : end]


def pil_frames(frames: np.ndarray) -> list[Image.Image]:
    """uint8 ``(F, H, W, 3)`` frames as PIL images (what the Wan pipelines take as video)."""
    return [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
