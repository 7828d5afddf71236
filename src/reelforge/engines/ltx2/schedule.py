"""Every LTX-2 sampling schedule, in one place: the stages of a render with their sizes,
weights, guidance and sigma lists.

The engine runs exactly these numbers (its pipelines get a pass-through scheduler and the
stage's sigma list) and ``reelforge … --dry-run`` prints them; nothing else computes a
schedule. Pure arithmetic: no torch, no diffusers, no weights.

How the model's authors run LTX-2 (Lightricks/LTX-2 @400fd31, ``packages/ltx-pipelines``;
``docs/research/ltx2-reference.md`` quotes every line used here):

- ``ti2vid_two_stages.py:222-229``: stage 1 at exactly ``width // 2, height // 2``;
  ``:243-245``: its sigmas are ``LTX2Scheduler().execute(steps)`` — no latent passed, so the
  token count is the default 4096 and the shift is ``mu = max_shift = 2.05`` whatever the
  size (``ltx-core/components/schedulers.py:10-57``), stretched so the last non-zero sigma
  is 0.1. diffusers derives ``mu`` from the real token count instead, which is NaN at
  1080p × 10 s and at 4K; we never let it.
- ``ti2vid_two_stages.py:272-307``: the latents are upsampled ×2, re-noised to the first
  stage-2 sigma (``lerp(x, noise, 0.909375)``) and refined on
  ``STAGE_2_DISTILLED_SIGMA_VALUES`` (``utils/constants.py:17-23``) used as given, with the
  distilled LoRA and no guidance (``SimpleDenoiser``).
- ``distilled.py``: the distilled checkpoint on ``DISTILLED_SIGMA_VALUES`` at half size,
  then the same stage 2; no guidance anywhere.
- ``utils/helpers.py:540-551``: two-stage outputs are multiples of 64.

4K is ours: the reference states no size above its one ×2 stage for text/image-to-video,
so a 4K final is the 1080p draft's two stages (same seed, same plan: the draft the user
approved) plus a third: upsample ×2 and the same distilled refine at full size.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from . import presets
from .presets import Guidance

STAGE_1_MU = 2.05
"""The reference's stage-1 shift: ``LTX2Scheduler.execute`` at its default 4096 tokens
(= ``max_shift``), for every size and duration."""
STAGE_1_TERMINAL = 0.1
"""The last non-zero stage-1 sigma after the reference's stretch."""
DISTILLED_SIGMAS = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0)
"""``DISTILLED_SIGMA_VALUES`` (ltx-pipelines ``utils/constants.py:17-23``): the distilled
model's 8 steps from noise."""
REFINE_SIGMAS = (0.909375, 0.725, 0.421875, 0.0)
"""``STAGE_2_DISTILLED_SIGMA_VALUES``: the refine after each ×2 latent upsample."""
UPSCALE_MIN_SHORT_SIDE = 2160
"""Outputs whose short side reaches this (4K) get a third stage (a second ×2 upsample)."""
VAE_GRID = 32
"""LTX-2's video VAE compresses 32× in space: every stage's size is a multiple of it."""
V2A_STEPS = 30
"""Video-to-audio (``LTX2Engine.add_audio``): no reference pipeline exists; ours is one
dev stage at the reference's stage-1 shift."""

DEV, DEV_LORA, DISTILLED = "dev", "dev + distilled LoRA", "distilled"
"""Which weights a stage runs: the dev transformer, the dev transformer with the distilled
LoRA, or the distilled checkpoint."""


@dataclass(frozen=True)
class Stage:
    """One denoising call of a render.

    ``start``: ``noise`` (from pure noise) or ``upsampled`` (the previous stage's latents
    ×2, re-noised to ``sigmas[0]``). ``sigmas`` end at 0.0: ``steps`` is one less.
    """

    number: int
    width: int
    height: int
    frames: int
    weights: str
    sigmas: tuple[float, ...]
    guidance: Guidance
    start: str = "noise"

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1

    @property
    def noise_scale(self) -> float:
        """What the stage's start latents are noised to (1.0: pure noise)."""
        return 1.0 if self.start == "noise" else self.sigmas[0]

    @property
    def name(self) -> str:
        return f"stage {self.number}"

    def describe(self) -> dict[str, Any]:
        """The stage as JSON-ready data (the dry run's)."""
        guidance = asdict(self.guidance)
        guidance["stg_blocks"] = list(self.guidance.stg_blocks)
        return {
            "stage": self.number,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "weights": self.weights,
            "start": self.start,
            "noise_scale": self.noise_scale,
            "steps": self.steps,
            "guidance": guidance,
            "sigmas": list(self.sigmas),
        }


def dev_sigmas(
    steps: int, mu: float = STAGE_1_MU, terminal: float = STAGE_1_TERMINAL
) -> tuple[float, ...]:
    """The dev model's ``steps``-step schedule, ending at 0.0: the reference's
    ``LTX2Scheduler.execute`` — ``t`` on an even grid, shifted ``e^mu / (e^mu + 1/t − 1)``,
    then stretched so the last non-zero value is ``terminal``. Rounded to float32 as the
    reference computes it. One step is ``(1.0, 0.0)`` (the reference's stretch divides by
    zero there: a quick check, never a tier's default)."""
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    if steps == 1:
        return (1.0, 0.0)
    grid = [1.0 - i / steps for i in range(steps)]
    shift = math.exp(mu)
    shifted = [shift / (shift + (1.0 / t - 1.0)) for t in grid]
    scale = (1.0 - shifted[-1]) / (1.0 - terminal)
    stretched = [1.0 - (1.0 - s) / scale for s in shifted]
    return (*(float(np.float32(s)) for s in stretched), 0.0)


def stages(
    tier: str,
    width: int,
    height: int,
    frames: int,
    *,
    steps: int | None = None,
    num_layers: int | None = None,
    audio_held: bool = False,
    grid: int = VAE_GRID,
    model: presets.Model = presets.LTX2,
) -> tuple[Stage, ...]:
    """The stages of one LTX-2 segment of ``width``×``height``×``frames`` for ``tier``.

    ``steps`` overrides the dev model's stage-1 step count (distilled schedules are fixed);
    ``num_layers`` (the transformer's) drops STG blocks it lacks; ``audio_held``: the audio
    is the user's (audio-to-video), so a dev stage 1 takes the avatar's guidance. ``grid``: what every stage's sides are multiples of (the VAE's 32, which the stock
    pipelines also demand). ``model``: the checkpoint's reference parameters (stage-1 steps,
    STG block).
    """
    upsamples = 2 if min(width, height) >= UPSCALE_MIN_SHORT_SIDE else 1
    divisor = grid * 2**upsamples
    if width % divisor or height % divisor:
        raise ValueError(
            f"LTX-2 renders {width}×{height} in {upsamples + 1} stages, so both sides must be "
            f"multiples of {divisor} (the {grid}-pixel VAE grid at 1/{2**upsamples} size)"
        )
    name = tier if tier in presets.TIER_RECIPES else "cinema"
    if audio_held and name != "budget":
        name = "avatar"
    none = presets.DISTILLED_GUIDANCE
    if name == "budget":
        first = Stage(1, 0, 0, frames, DISTILLED, DISTILLED_SIGMAS, none)
        refine = DISTILLED
    else:
        guidance = presets.GUIDANCE[name].for_model(model)
        if num_layers is not None:
            guidance = guidance.for_layers(num_layers)
        count = steps or model.stage_1_steps
        first = Stage(1, 0, 0, frames, DEV, dev_sigmas(count), guidance)
        refine = DEV_LORA
    out = [replace(first, width=width >> upsamples, height=height >> upsamples)]
    for k in range(upsamples):
        size = upsamples - 1 - k
        out.append(
            Stage(
                k + 2,
                width >> size,
                height >> size,
                frames,
                refine,
                REFINE_SIGMAS,
                none,
                "upsampled",
            )
        )
    return tuple(out)


LTX2_NUM_LAYERS = 48
"""Transformer blocks of LTX-2 19B (diffusers ``scripts/convert_ltx2_to_diffusers.py``, the
"2.0" transformer config; ``reelforge.testing.ltx2`` ``FULL``): what a dry run plans for; a loaded engine
passes its own model's count (which drops STG blocks a model lacks)."""
DISTILLED_ENGINE = "ltx2_distilled"
"""The engine on the distilled checkpoint: it runs the budget recipe whatever the tier."""


def for_segment(
    engine: str, tier: str | None, segment: Any, num_layers: int = LTX2_NUM_LAYERS
) -> tuple[Stage, ...]:
    """The stages ``engine`` runs for a plan's ``segment`` of ``tier``: what the engine
    renders and what a dry run prints. A segment driven by the user's audio is the
    engine's audio-to-video mode (``audio_held``)."""
    return stages(
        "budget" if engine == DISTILLED_ENGINE else tier or "cinema",
        segment.width,
        segment.height,
        segment.frames,
        steps=segment.steps,
        num_layers=num_layers,
        audio_held=segment.conditioning.audio is not None,
        model=presets.MODELS.get(engine, presets.LTX2),
    )


def v2a_stages(width: int, height: int, frames: int, steps: int | None = None) -> tuple[Stage, ...]:
    """Video-to-audio: one dev stage (the video held clean) at the reference's shift."""
    guidance = presets.FULL_GUIDANCE
    return (Stage(1, width, height, frames, DEV, dev_sigmas(steps or V2A_STEPS), guidance),)


# --- running a schedule ---------------------------------------------------------------------


def passthrough_scheduler(scheduler: Any) -> Any:
    """A copy of an LTX-2 pipeline's flow-match scheduler that uses the sigmas it is given
    as they are: no dynamic shift (diffusers' token-count ``mu``), no static shift, no
    terminal stretch — the diffusers docs' stage-2 scheduler, used for every stage here
    because :func:`stages` already computed the reference's numbers."""
    return type(scheduler).from_config(
        scheduler.config,
        use_dynamic_shifting=False,
        shift=1.0,
        shift_terminal=None,
        use_karras_sigmas=False,
        use_exponential_sigmas=False,
        use_beta_sigmas=False,
        invert_sigmas=False,
        stochastic_sampling=False,
    )


def check_scheduled(scheduler: Any, stage: Stage) -> None:
    """Raise unless ``scheduler`` was set to exactly ``stage.sigmas`` (float32): what runs is
    what the dry run printed."""
    got = [float(s) for s in scheduler.sigmas]
    if len(got) != len(stage.sigmas) or any(
        abs(a - b) > SIGMA_TOLERANCE for a, b in zip(got, stage.sigmas, strict=True)
    ):
        raise RuntimeError(
            f"{stage.name} ran sigmas {[round(s, 6) for s in got]}, not the planned "
            f"{[round(s, 6) for s in stage.sigmas]}: the scheduler re-shifted them"
        )


SIGMA_TOLERANCE = 1e-6
"""How far a scheduler's float32 sigma may lie from the planned one."""
