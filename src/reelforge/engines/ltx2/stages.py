"""Running a segment's stages through the stock LTX-2 pipelines.

The diffusers docs' "Two-stages Generation", generalised to the stages ``schedule.py``
plans: each stage is one stock pipeline call kept as latents; between stages the video
latents go through the latent upsampler (×2) and, with the stage-1 audio latents, start
the next stage re-noised to its first sigma; the last stage's latents are decoded (tiled).
Every step's latents are checked: a NaN or infinity fails the render naming the stage
and the segment, before it can become a black video.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ...errors import NonFiniteOutput
from ...media.clip import Clip
from ...planning.plan import Segment
from ..base import StepCallback
from .audio import decode_raw_audio
from .schedule import Stage, check_scheduled
from .video import decode_raw


@torch.no_grad()
def run_stages(
    engine: Any,
    segment: Segment,
    mode: str,
    plan: Sequence[Stage],
    images: tuple[Any, Any, Any],
    progress: StepCallback,
) -> Clip:
    """Render ``segment`` in ``mode`` through ``plan``; ``images``: (start, end, anchor)."""
    from .engine import PIPELINES, REFINE_PIPELINES

    generator = engine.generator(segment.seed)
    steps = StageProgress(progress, plan)
    video: torch.Tensor | None = None
    audio: torch.Tensor | None = None
    for stage in plan:
        engine.use_weights(stage.weights)
        first = stage.start == "noise"
        pipe = engine.pipeline(PIPELINES[mode] if first else REFINE_PIPELINES[mode])
        inputs = engine.stage_inputs(segment, mode, stage, *images)
        if not first:
            inputs.update(
                latents=engine.upsample(video), audio_latents=audio, noise_scale=stage.noise_scale
            )
        video, audio = pipe(
            **engine.encoded(pipe, inputs),
            generator=generator,
            callback_on_step_end=steps.callback(segment, stage),
            output_type="latent",
            return_dict=False,
        )
        where = f"{stage.name} of segment {segment.index + 1}"
        require_finite(video, where)
        require_finite(audio, f"the sound of {where}")
    assert video is not None and audio is not None, "a segment has at least one stage"
    frames = decode_raw(pipe, video, generator)
    require_finite(frames, f"the video decode of segment {segment.index + 1}")
    sound = decode_raw_audio(pipe, audio) if segment.audio else None
    return engine.clip(segment, frames, sound, pipe)


class StageProgress:
    """One progress bar across a segment's stages, and the per-step checks."""

    def __init__(self, progress: StepCallback, plan: Sequence[Stage]) -> None:
        self.progress = progress
        self.total = sum(stage.steps for stage in plan)
        self.before: dict[int, int] = {}
        done = 0
        for stage in plan:
            self.before[stage.number] = done
            done += stage.steps

    def reporter(self, stage: Stage) -> Callable[[int, int], None]:
        """``on_step(step, steps)`` of one stage, reported as the segment's step."""
        before = self.before[stage.number]
        return lambda step, _steps: self.progress(before + step, self.total)

    def checker(self, segment: Segment, stage: Stage) -> Callable[[int, torch.Tensor], None]:
        """``check(step, latents)``: fail on non-finite latents, naming stage and segment."""
        where = f"{stage.name} of segment {segment.index + 1}"
        return lambda step, latents: require_finite(latents, f"{where} (step {step + 1})")

    def callback(self, segment: Segment, stage: Stage):
        """A stock pipeline's ``callback_on_step_end``: the schedule is the planned one
        (checked once), the latents are finite, and the step is reported."""
        report, check = self.reporter(stage), self.checker(segment, stage)

        def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
            if step == 0:
                check_scheduled(pipe.scheduler, stage)
            check(step, kwargs["latents"])
            report(step + 1, stage.steps)
            return {}

        return on_step_end


def require_finite(values: Any, where: str) -> Any:
    """``values`` (a tensor or array) when every one is finite, else :class:`NonFiniteOutput`
    saying ``where`` it happened: "stage 2 of segment 3 produced NaN"."""
    if isinstance(values, torch.Tensor):
        finite = bool(torch.isfinite(values).all())
        has_nan = not finite and bool(torch.isnan(values).any())
    else:
        array = np.asarray(values)
        if not np.issubdtype(array.dtype, np.floating):
            return values
        finite = bool(np.isfinite(array).all())
        has_nan = not finite and bool(np.isnan(array).any())
    if not finite:
        raise NonFiniteOutput(
            f"{where} produced {'NaN' if has_nan else 'infinite values'}; stopped so that it never becomes a black video "
            "(diverged weights or schedule; nothing was written)"
        )
    return values
