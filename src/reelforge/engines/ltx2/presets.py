"""LTX-2 settings per tier: stage-1 steps and guidance (``schedule.py`` turns them into stages).

Everything a user might want to tune is one named constant here; the engine reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Model:
    """What the reference sets differently per LTX checkpoint (ltx-pipelines
    ``utils/constants.py``: ``LTX_2_PARAMS``, ``LTX_2_3_PARAMS``, ``LTX_2_4_PARAMS``, picked
    by ``detect_params`` from the checkpoint's version)."""

    name: str
    label: str
    stage_1_steps: int
    """The dev model's stage-1 steps."""
    stg_blocks: tuple[int, ...]
    """The block whose self-attention STG skips."""


LTX2 = Model("ltx2", "LTX-2 19B", stage_1_steps=40, stg_blocks=(29,))
"""``LTX_2_PARAMS`` (constants.py:41-80): 40 steps, STG block 29."""
LTX25 = Model("ltx25", "LTX-2.5 22B", stage_1_steps=30, stg_blocks=(28,))
"""LTX-2.5 has no row of its own: ``detect_params`` gives it ``LTX_2_4_PARAMS`` =
``LTX_2_3_PARAMS`` (30 steps, STG block 28, constants.py:83-88) with image CRF 18 (:124),
which diffusers applies by itself for a Gemma 4 text encoder."""
MODELS = {"ltx2": LTX2, "ltx2_distilled": LTX2, "ltx25": LTX25}
"""The model each LTX engine runs."""

BUDGET_STEPS = 8
"""Distilled LTX-2: its 8-sigma schedule (``DISTILLED_SIGMA_VALUES``) without guidance."""
TIER_RECIPES = ("cinema", "budget", "avatar")
"""The tiers with a recipe of their own; any other tier renders as cinema."""

ANCHOR_STRENGTH = 0.5
"""How strongly an identity anchor (shot 1's key frame for later shots, an avatar's
picture for later windows) holds: its tokens are appended at the segment's middle latent
frame, noised to ``(1 - strength) * sigma`` at every step, and reach the frames only
through attention. 1.0 would demand that frame; 0.5 asks for the same people and place.
Chosen, not tuned: no real weights have been run here."""

V2A_MAX_SHORT_SIDE = 512
"""Video-to-audio encodes the finished video at most this large: sound needs motion and
content, not pixels, and the VAE encode of a 4K clip would dominate the run."""


@dataclass(frozen=True)
class Guidance:
    """LTX-2's guidance terms for video and audio (diffusers' ``LTX2Pipeline`` arguments).

    CFG against the negative prompt, spatio-temporal guidance (STG: a pass with
    self-attention skipped in ``stg_blocks``), modality-isolation guidance (a pass with
    the audio↔video cross-attention off: what strengthens lip-sync), guidance rescale.
    """

    video_cfg: float = 3.0
    audio_cfg: float = 7.0
    video_stg: float = 1.0
    audio_stg: float = 1.0
    video_modality: float = 3.0
    audio_modality: float = 3.0
    video_rescale: float = 0.7
    audio_rescale: float = 0.7
    stg_blocks: tuple[int, ...] = LTX2.stg_blocks
    """LTX-2.0's STG block (diffusers recommends 29 for 2.0, 28 for 2.3); per model, see
    :meth:`for_model`."""

    def for_model(self, model: Model) -> Guidance:
        """This guidance with ``model``'s STG block (none when STG is off)."""
        return replace(self, stg_blocks=model.stg_blocks) if self.stg_blocks else self

    def for_layers(self, num_layers: int) -> Guidance:
        """This guidance for a transformer of ``num_layers`` blocks: STG blocks it lacks are
        dropped, and STG is off when none remain (a pass that perturbs nothing is waste)."""
        blocks = tuple(b for b in self.stg_blocks if b < num_layers)
        if blocks:
            return replace(self, stg_blocks=blocks)
        return replace(self, stg_blocks=(), video_stg=0.0, audio_stg=0.0)

    @property
    def cfg(self) -> bool:
        return self.video_cfg > 1.0 or self.audio_cfg > 1.0

    @property
    def stg(self) -> bool:
        return (self.video_stg > 0.0 or self.audio_stg > 0.0) and bool(self.stg_blocks)

    @property
    def modality(self) -> bool:
        return self.video_modality > 1.0 or self.audio_modality > 1.0

    def pipeline_kwargs(self) -> dict[str, Any]:
        """The same guidance as keyword arguments of the stock LTX-2 pipelines.

        Zero audio scales are passed as zero only when the video's is zero too: the stock
        pipelines read ``audio_x or x``.
        """
        return {
            "guidance_scale": self.video_cfg,
            "audio_guidance_scale": self.audio_cfg,
            "stg_scale": self.video_stg,
            "audio_stg_scale": self.audio_stg,
            "modality_scale": self.video_modality,
            "audio_modality_scale": self.audio_modality,
            "guidance_rescale": self.video_rescale,
            "audio_guidance_rescale": self.audio_rescale,
            "spatio_temporal_guidance_blocks": list(self.stg_blocks) or None,
        }


FULL_GUIDANCE = Guidance()
"""The full model's recipe (Lightricks' ltx-pipelines defaults for LTX-2)."""
DISTILLED_GUIDANCE = Guidance(
    video_cfg=1.0,
    audio_cfg=1.0,
    video_stg=0.0,
    audio_stg=0.0,
    video_modality=1.0,
    audio_modality=1.0,
    video_rescale=0.0,
    audio_rescale=0.0,
    stg_blocks=(),
)
"""The distilled model runs without guidance (one transformer pass per step)."""
AVATAR_GUIDANCE = Guidance(
    video_cfg=3.0,
    video_modality=3.0,
    video_stg=1.0,
    audio_cfg=1.0,
    audio_stg=0.0,
    audio_modality=1.0,
    audio_rescale=0.0,
)
"""Audio-to-video: the video's terms as the cinema tier's; the audio's all off, as the
reference's ``a2vid_two_stage.py`` sets its audio guider (``MultiModalGuiderParams()``) —
the audio is held, so audio terms would be passes that change nothing. Modality guidance
pushes the video away from what it would be without hearing the audio."""
GUIDANCE = {"cinema": FULL_GUIDANCE, "budget": DISTILLED_GUIDANCE, "avatar": AVATAR_GUIDANCE}
