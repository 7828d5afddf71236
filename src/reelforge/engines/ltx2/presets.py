"""LTX-2 settings per tier: stage-1 steps and guidance (``schedule.py`` turns them into stages).

Everything a user might want to tune is one named constant here; the engine reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

CINEMA_STEPS = 40
"""Full LTX-2 model, the quality Kling's VIDEO 3.0 is compared with."""
BUDGET_STEPS = 8
"""Distilled LTX-2: its 8-sigma schedule (``DISTILLED_SIGMA_VALUES``) without guidance."""
AVATAR_STEPS = 40
"""Audio-to-video: the audio is given, only the video is denoised; the reference's
``a2vid_two_stage.py`` runs the LTX-2.0 parameters (40 stage-1 steps)."""
DEFAULT_STEPS = {"cinema": CINEMA_STEPS, "budget": BUDGET_STEPS, "avatar": AVATAR_STEPS}

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
    stg_blocks: tuple[int, ...] = (29,)
    """LTX-2.0's STG block (diffusers recommends 29 for 2.0, 28 for 2.3)."""

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
