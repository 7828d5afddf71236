"""Every Wan sampling schedule, in one place: steps, guidance, flow shift, default negative
prompt and the sigma list of each Wan engine's pipeline call.

The Wan engines take their steps and guidance scale from :data:`RECIPES`, their flow shift
from :func:`flow_shift` (a function of the model and the render size, as Wan's own scripts
set it: :data:`MODELS`) and, when a request has none, the negative prompt of
:data:`MODELS`; ``reelforge … --dry-run`` prints :func:`stage` for each of their segments.
Pure arithmetic: no torch, no diffusers, no weights.

A Wan pipeline calls ``scheduler.set_timesteps(num_inference_steps)`` on its scheduler: for
the Wan diffusers repositories ``UniPCMultistepScheduler`` on flow sigmas
(:data:`SCHEDULER_CONFIG`). The Hub folders carry one ``flow_shift`` whatever the size
(5.0, or 3.0 for VACE); the engines rebuild the scheduler with the shift of
:func:`flow_shift` before each call. :func:`flow_sigmas` is that scheduler's sigma list
(diffusers 0.42.1 ``scheduling_unipc_multistep.py``, ``set_timesteps``, the
``use_flow_sigmas`` branch), computed with numpy; a test checks it against diffusers'.
A folder with another flow scheduler (``--model-path``) gets the same shift; one with a
scheduler without a flow shift runs as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...lineup.tiers import ENGINES

SCHEDULER_CLASS = "UniPCMultistepScheduler"
HUB_FLOW_SHIFT = 5.0
"""``flow_shift`` in the TI2V-5B and Animate-14B diffusers repositories'
``scheduler_config.json`` (the VACE-14B one says 3.0: ``shared/notes/gpu-audit.md``); the
engines replace it by :func:`flow_shift`."""
TRAIN_TIMESTEPS = 1000
SCHEDULER_CONFIG: dict[str, Any] = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "num_train_timesteps": TRAIN_TIMESTEPS,
    "flow_shift": HUB_FLOW_SHIFT,
}
"""``SCHEDULER_CLASS``'s arguments in the Wan repositories' ``scheduler_config.json`` (the
others are the class defaults: final sigma 0, no Karras/exponential/beta sigmas, no
dynamic shifting)."""

SAMPLE_NEG_PROMPT = (
    # Wan-Video/Wan2.2 wan/configs/shared_config.py `sample_neg_prompt` (the same text in
    # Wan-Video/Wan2.1 wan/configs/shared_config.py): every Wan task uses it when the
    # caller gives no negative prompt (`if n_prompt == "": n_prompt = self.sample_neg_prompt`
    # in wan/textimage2video.py, wan/animate.py; Wan2.1 wan/vace.py, wan/image2video.py).
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
    "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
    "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)
FLF2V_NEG_PREFIX = "镜头切换，"
"""Wan-Video/Wan2.1 wan/configs/__init__.py: ``flf2v_14B.sample_neg_prompt = "镜头切换，" +
…`` ("shot change"): first-last-frame models also steer away from cuts."""
REFERENCE_480P_AREA = 832 * 480
"""Wan-Video/Wan2.1 generate.py lowers the I2V shift for the sizes ``832*480`` and
``480*832`` (``MAX_AREA_CONFIGS``: I2V renders within that pixel area); a render of at most
this many pixels counts as 480p here."""


@dataclass(frozen=True)
class WanModel:
    """A Wan checkpoint's sampling defaults as its authors' own scripts set them."""

    task: str
    """The authors' task name (``generate.py --task``)."""
    shift: float
    """``sample_shift`` at 720p (and wherever no smaller value is set)."""
    shift_480p: float | None = None
    """``sample_shift`` at 480p where the reference lowers it, else ``None``."""
    negative_prompt: str = SAMPLE_NEG_PROMPT


MODELS: dict[str, WanModel] = {
    # Wan-Video/Wan2.2 wan/configs/wan_ti2v_5B.py: sample_shift = 5.0 (only 704*1280 and
    # 1280*704 are supported: wan/configs/__init__.py SUPPORTED_SIZES).
    "ti2v": WanModel("ti2v-5B", 5.0),
    # Wan-Video/Wan2.2 wan/configs/wan_animate_14B.py: sample_shift = 5.0 (720p only).
    "animate": WanModel("animate-14B", 5.0),
    # Wan-Video/Wan2.1 generate.py `_validate_args`: `elif "flf2v" in args.task or "vace" in
    # args.task: args.sample_shift = 16` at every size; ali-vilab/VACE
    # vace/vace_wan_inference.py (`args.sample_shift = 16`) and its Gradio demo
    # (vace/gradios/vace_wan_demo.py, slider default 16) agree. (The diffusers docstring's
    # "5.0 for 720P, 3.0 for 480P" is Wan 2.1 I2V's rule, not VACE's.)
    "vace": WanModel("vace-14B", 16.0),
    # Wan-Video/Wan2.1 generate.py: sample_shift 5.0 by default; 3.0 for "i2v" at
    # 832*480 / 480*832; 16 for "flf2v".
    "t2v": WanModel("t2v-14B", 5.0),
    "i2v": WanModel("i2v-14B", 5.0, shift_480p=3.0),
    "flf2v": WanModel("flf2v-14B", 16.0, negative_prompt=FLF2V_NEG_PREFIX + SAMPLE_NEG_PROMPT),
}
"""Model kind (``reelforge.testing.wan.TINY``'s keys) → the authors' defaults for it."""


def flow_shift(model: str, width: int, height: int) -> float:
    """The flow shift Wan's own scripts sample ``model`` with at ``width``×``height``."""
    spec = MODELS[model]
    if spec.shift_480p is not None and width * height <= REFERENCE_480P_AREA:
        return spec.shift_480p
    return spec.shift


FIRST_SIGMA_NUDGE = 1e-6
"""UniPC lowers a first sigma of 1.0 by this (its ``log(alpha)`` would be infinite)."""


@dataclass(frozen=True)
class WanRecipe:
    """How one Wan engine samples: its default steps and classifier-free guidance scale, and
    the model kind (:data:`MODELS`) of the weights it loads by default."""

    steps: int
    guidance_scale: float
    model: str


RECIPES: dict[str, WanRecipe] = {
    # Wan 2.2 TI2V-5B (wan/configs/wan_ti2v_5B.py: sample_steps=50, sample_guide_scale=5.0).
    "wan": WanRecipe(steps=50, guidance_scale=5.0, model="ti2v"),
    # Wan 2.1 VACE-14B (wan/configs: sample_steps=50, sample_guide_scale=5.0).
    "wan_vace": WanRecipe(steps=50, guidance_scale=5.0, model="vace"),
    # Wan 2.2 Animate-14B (wan/configs/wan_animate_14B.py: sample_steps=20); no CFG.
    "wan_animate": WanRecipe(steps=20, guidance_scale=1.0, model="animate"),
}
"""Engine name → recipe; the engines read it (``WanEngineBase.recipe``)."""


@dataclass(frozen=True)
class WanStage:
    """A Wan engine's one denoising call (Wan renders a segment in one stage)."""

    width: int
    height: int
    frames: int
    sigmas: tuple[float, ...]
    guidance_scale: float
    weights: str
    """The Hub repository the engine loads."""
    shift: float
    """The scheduler's flow shift (:func:`flow_shift`)."""

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1

    def describe(self) -> dict[str, Any]:
        """The stage as JSON-ready data, with the keys of an LTX-2 stage's."""
        return {
            "stage": 1,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "weights": self.weights,
            "start": "noise",
            "noise_scale": 1.0,
            "steps": self.steps,
            "guidance": {"guidance_scale": self.guidance_scale},
            "scheduler": f"{SCHEDULER_CLASS} (flow sigmas, shift {self.shift:g})",
            "sigmas": list(self.sigmas),
        }


def flow_sigmas(steps: int, shift: float = HUB_FLOW_SHIFT) -> tuple[float, ...]:
    """``UniPCMultistepScheduler(**SCHEDULER_CONFIG, flow_shift=shift).set_timesteps(steps)``'s
    sigmas, ending at 0.0: ``t`` evenly from 1 to ``1 / num_train_timesteps``, shifted
    ``s·t / (1 + (s − 1)·t)``, a first 1.0 nudged down, rounded to float32 as the scheduler
    stores them."""
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    shift, train = float(shift), TRAIN_TIMESTEPS
    t = np.linspace(1.0, 1.0 / train, steps + 1)[:-1]
    sigmas = shift * t / (1.0 + (shift - 1.0) * t)
    if abs(sigmas[0] - 1.0) < FIRST_SIGMA_NUDGE:
        sigmas[0] -= FIRST_SIGMA_NUDGE
    return (*(float(s) for s in sigmas.astype(np.float32)), 0.0)


def stage(engine: str, width: int, height: int, frames: int, steps: int | None = None) -> WanStage:
    """The call ``engine`` (``wan``, ``wan_vace``, ``wan_animate``) makes for a segment of
    ``width``×``height``×``frames`` with its default weights (the flow shift of the recipe's
    model at that size); ``steps`` (the plan's ``--steps``) overrides the recipe's."""
    recipe = RECIPES[engine]
    count = steps or recipe.steps
    weights = ENGINES[engine].weights[0].repo_id
    shift = flow_shift(recipe.model, width, height)
    return WanStage(
        width, height, frames, flow_sigmas(count, shift), recipe.guidance_scale, weights, shift
    )
