"""Wan 2.2 Animate: the ``motion`` tier — a character image performs a reference video's motion.

How a segment becomes a ``WanAnimatePipeline`` call
---------------------------------------------------
1. The reference video's frames of ``conditioning.video_span``, at the segment's fps and
   the source's own size (a span running past the end holds the last frame), exactly
   ``segment.frames`` of them.
2. A :class:`~reelforge.engines.wan.preprocess.MotionPreprocessor` turns them into
   ``pose_video`` (skeletons drawn at the reference's size, letterboxed into the output
   size) and ``face_video`` (face crops at the transformer's ``motion_encoder_size``):
   Wan's own ONNX detector + ViTPose run step by step as Wan's preprocessing runs them
   (``docs/research/wan-animate-preprocess.md``) when their weights are present, else a
   classical fallback that warns.
3. ``image=`` the character image (the pipeline frames it itself), ``mode="animate"``,
   ``segment_frame_length=segment.frames`` (one pipeline segment per reelforge segment: the
   planner has already chunked the reference), the segment's size, seed and steps
   (``schedule.RECIPES["wan_animate"]``: 20 steps, guidance 1.0: Animate runs without CFG;
   flow shift 5.0, ``schedule.MODELS``).
4. **Chaining.** A chunk that continues the previous one (``continue_from_previous`` or
   ``overlap_frames`` > 0, and ``previous`` given) passes the previous clip's frames of the
   same moments as ``prev_segment_conditioning_frames`` (the pipeline accepts 1 or 5: 5 when
   the overlap has at least 5 frames and the segment more than 10, else 1). Inside one call, stock diffusers feeds its
   own previous segment's last frames back this way; across calls it cannot take frames
   from outside, so :class:`WanAnimateChainPipeline` adds ``previous_frames=`` and hands
   them to the stock ``prepare_prev_segment_cond_latents`` exactly as the stock loop
   would for its second segment (VAE-encoded, mask 1 on those frames). Everything else is
   the stock pipeline. The clip keeps all ``segment.frames`` frames; the runner cross-fades
   the overlap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from diffusers import WanAnimatePipeline

from ...media.clip import Clip
from ...media.decode import load_image, read_video
from ...planning.plan import Segment
from ..base import SpeedOptions, StepCallback, no_progress
from .base import WanEngineBase, continued_frames
from .preprocess import MotionInputs, MotionPreprocessor, load_preprocessor

CONDITIONING_FRAME_COUNTS = (5, 1)
"""``prev_segment_conditioning_frames`` values the pipeline accepts, preferred first."""


class WanAnimateChainPipeline(WanAnimatePipeline):
    """``WanAnimatePipeline`` that can continue frames rendered by an earlier call.

    ``previous_frames``: a ``(1, 3, n, H, W)`` tensor in [-1, 1] (n =
    ``prev_segment_conditioning_frames``), the frames this call's first n frames repeat.
    """

    _previous_frames: torch.Tensor | None = None

    def __call__(self, *args: Any, previous_frames: torch.Tensor | None = None, **kwargs: Any):
        self._previous_frames = previous_frames
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._previous_frames = None

    def prepare_prev_segment_cond_latents(self, prev_segment_cond_video=None, *args, **kwargs):
        first = kwargs.get("start_frame", 0) == 0
        if prev_segment_cond_video is None and first and self._previous_frames is not None:
            # As the stock loop does for a later segment: these pixels, marked as given.
            prev_segment_cond_video = self._previous_frames.to(kwargs.get("device"))
            kwargs["start_frame"] = prev_segment_cond_video.shape[2]
        return super().prepare_prev_segment_cond_latents(prev_segment_cond_video, *args, **kwargs)


class WanAnimateEngine(WanEngineBase):
    """Wan 2.2 Animate behind the reelforge interface."""

    name = "wan_animate"
    base_pipeline = "WanAnimatePipeline"

    def load(self, device: str = "cpu", speed: SpeedOptions | None = None) -> None:
        super().load(device, speed)
        self.preprocessor: MotionPreprocessor = load_preprocessor(self.folder)

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        pipe = self.scheduled(self.pipeline(WanAnimateChainPipeline), segment)
        motion = self.motion_inputs(segment, pipe.transformer.config.motion_encoder_size)
        count, frames = self.conditioning_frames(segment, previous)
        out = pipe(
            image=load_image(segment.conditioning.path("character_image"), field="image"),
            pose_video=motion.pose,
            face_video=motion.face,
            mode="animate",
            segment_frame_length=segment.frames,
            prev_segment_conditioning_frames=count,
            previous_frames=frames,
            **self.encoded(pipe, self.common_kwargs(pipe, segment, progress)),
        )
        return self.finish(
            out.frames,
            segment,
            mode="motion",
            preprocess=motion.method,
            continued=0 if frames is None else count,
        )

    def motion_inputs(self, segment: Segment, face_size: int) -> MotionInputs:
        """Pose and face frames for the segment's stretch of the reference video."""
        cond = segment.conditioning
        span = (cond.video_span.start, cond.video_span.end) if cond.video_span else None
        clip = read_video(cond.path("reference_video"), fps=segment.fps, span=span, field="video")
        frames = clip.frames[: segment.frames]
        if len(frames) < segment.frames:  # a span past the end holds the last frame
            pad = np.repeat(frames[-1:], segment.frames - len(frames), axis=0)
            frames = np.concatenate([frames, pad])
        return self.preprocessor(frames, segment.width, segment.height, face_size)

    def conditioning_frames(
        self, segment: Segment, previous: Clip | None
    ) -> tuple[int, torch.Tensor | None]:
        """(``prev_segment_conditioning_frames``, the previous frames as a [-1, 1] tensor)."""
        wanted = segment.conditioning.continue_from_previous or segment.overlap_frames
        continued = segment.model_copy(
            update={
                "conditioning": segment.conditioning.model_copy(
                    update={"continue_from_previous": wanted}
                )
            }
        )
        tail = continued_frames(previous, continued)
        if tail is None or len(tail) == 0:
            return 1, None  # the pipeline's default; nothing is marked as given
        # The pipeline splits a call into segments of (frames - count) new frames; more than
        # half the call given would make it two segments, so the count must stay below that.
        fits = [c for c in CONDITIONING_FRAME_COUNTS if c <= len(tail) and segment.frames > 2 * c]
        if not fits:
            return 1, None
        count = fits[0]
        pixels = torch.from_numpy(np.ascontiguousarray(tail[:count])).float() / 127.5 - 1.0
        return count, pixels.permute(3, 0, 1, 2).unsqueeze(0)  # (1, 3, n, H, W)
