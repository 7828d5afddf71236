"""Every Wan sampling schedule, in one place: steps, guidance and the sigma list of each
Wan engine's pipeline call.

The Wan engines take their steps and guidance scale from :data:`RECIPES`, and
``reelforge … --dry-run`` prints :func:`stage` for each of their segments. Pure arithmetic:
no torch, no diffusers, no weights.

A Wan pipeline calls ``scheduler.set_timesteps(num_inference_steps)`` on the scheduler its
folder carries: for the Wan diffusers repositories, ``UniPCMultistepScheduler`` on flow
sigmas with ``flow_shift`` :data:`FLOW_SHIFT` (their ``scheduler/scheduler_config.json``;
:data:`SCHEDULER_CONFIG`). :func:`flow_sigmas` is that scheduler's sigma list
(diffusers 0.42.1 ``scheduling_unipc_multistep.py``, ``set_timesteps``, the
``use_flow_sigmas`` branch), computed with numpy; a test checks it against diffusers'.
A folder with another scheduler (``--model-path``) runs that one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..lineup.tiers import ENGINES

SCHEDULER_CLASS = "UniPCMultistepScheduler"
FLOW_SHIFT = 5.0
"""``flow_shift`` of the Wan diffusers repositories' schedulers (Wan's ``sample_shift`` 5.0
for 720p; the VACE conversion script writes 3.0: ``shared/notes/gpu-audit.md``)."""
TRAIN_TIMESTEPS = 1000
SCHEDULER_CONFIG: dict[str, Any] = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "num_train_timesteps": TRAIN_TIMESTEPS,
    "flow_shift": FLOW_SHIFT,
}
"""``SCHEDULER_CLASS``'s arguments in the Wan repositories' ``scheduler_config.json`` (the
others are the class defaults: final sigma 0, no Karras/exponential/beta sigmas, no
dynamic shifting)."""
FIRST_SIGMA_NUDGE = 1e-6
"""UniPC lowers a first sigma of 1.0 by this (its ``log(alpha)`` would be infinite)."""


@dataclass(frozen=True)
class WanRecipe:
    """How one Wan engine samples: its default steps and classifier-free guidance scale."""

    steps: int
    guidance_scale: float


RECIPES: dict[str, WanRecipe] = {
    # Wan 2.2 TI2V-5B (wan/configs/wan_ti2v_5B.py: sample_steps=50, sample_guide_scale=5.0).
    "wan": WanRecipe(steps=50, guidance_scale=5.0),
    # Wan 2.1 VACE-14B (wan/configs: sample_steps=50, sample_guide_scale=5.0).
    "wan_vace": WanRecipe(steps=50, guidance_scale=5.0),
    # Wan 2.2 Animate-14B (wan/configs/wan_animate_14B.py: sample_steps=20); no CFG.
    "wan_animate": WanRecipe(steps=20, guidance_scale=1.0),
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
            "scheduler": f"{SCHEDULER_CLASS} (flow sigmas, shift {SCHEDULER_CONFIG['flow_shift']:g})",
            "sigmas": list(self.sigmas),
        }


def flow_sigmas(steps: int, config: dict[str, Any] = SCHEDULER_CONFIG) -> tuple[float, ...]:
    """``UniPCMultistepScheduler(**config).set_timesteps(steps)``'s sigmas, ending at 0.0:
    ``t`` evenly from 1 to ``1 / num_train_timesteps``, shifted ``s·t / (1 + (s − 1)·t)``,
    a first 1.0 nudged down, rounded to float32 as the scheduler stores them."""
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    shift, train = float(config["flow_shift"]), int(config["num_train_timesteps"])
    t = np.linspace(1.0, 1.0 / train, steps + 1)[:-1]
    sigmas = shift * t / (1.0 + (shift - 1.0) * t)
    if abs(sigmas[0] - 1.0) < FIRST_SIGMA_NUDGE:
        sigmas[0] -= FIRST_SIGMA_NUDGE
    return (*(float(s) for s in sigmas.astype(np.float32)), 0.0)


def stage(engine: str, width: int, height: int, frames: int, steps: int | None = None) -> WanStage:
    """The call ``engine`` (``wan``, ``wan_vace``, ``wan_animate``) makes for a segment of
    ``width``×``height``×``frames``; ``steps`` (the plan's ``--steps``) overrides the recipe's."""
    recipe = RECIPES[engine]
    count = steps or recipe.steps
    weights = ENGINES[engine].weights[0].repo_id
    return WanStage(width, height, frames, flow_sigmas(count), recipe.guidance_scale, weights)
