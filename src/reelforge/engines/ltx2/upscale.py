"""4K finals: a base pass at half size, the latent upsampler (×2), a short refine pass.

The base pass is the segment's own mode (text-, image-to-video, keyframes) at half the
width and height, stopped at the latents; ``LTX2LatentUpsamplePipeline`` doubles them;
the same pipeline then refines at full size from the upsampled latents (and the base
pass's audio latents), noised to the first of :data:`~.presets.REFINE_SIGMAS`.
"""

from __future__ import annotations

from typing import Any

from ...media.clip import Clip
from ...planning.plan import Segment
from ..base import StepCallback
from . import presets


def half_size(width: int, height: int) -> tuple[int, int]:
    """The base pass's size: half, rounded up to LTX-2's size multiple (the refine pass
    renders twice that, and the frames are centre-cropped back to the segment's size)."""
    m = presets.SIZE_MULTIPLE
    return -(-width // (2 * m)) * m, -(-height // (2 * m)) * m


def render_upscaled(
    engine, segment: Segment, mode: str, inputs: dict[str, Any], progress: StepCallback
) -> Clip:
    from diffusers import LTX2LatentUpsamplePipeline

    from .engine import PIPELINES

    pipe = engine.pipeline(PIPELINES[mode])
    upsampler = engine.upsampler()  # fails before any work when the folder lacks it
    base_w, base_h = half_size(segment.width, segment.height)
    refine = list(presets.REFINE_SIGMAS)
    total = inputs["num_inference_steps"] + len(refine)
    generator = engine.generator(segment.seed)

    # 1. Base pass at half size, kept as latents (denormalised video, unpacked audio).
    base = dict(
        inputs,
        width=base_w,
        height=base_h,
        callback_on_step_end=engine.step_callback(progress, total),
    )
    video_latents, audio_latents = pipe(
        **base, generator=generator, output_type="latent", return_dict=False
    )

    # 2. Latent upsampler ×2.
    upsample = LTX2LatentUpsamplePipeline(vae=pipe.vae, latent_upsampler=upsampler)
    upsample.set_progress_bar_config(disable=True)
    video_latents = upsample(latents=video_latents, output_type="latent", return_dict=False)[0]

    # 3. Short refine pass at full size from the upsampled latents.
    done = inputs["num_inference_steps"]
    refined = dict(
        inputs,
        width=2 * base_w,
        height=2 * base_h,
        sigmas=refine,
        num_inference_steps=len(refine),
        latents=video_latents,
        audio_latents=audio_latents,
        noise_scale=refine[0],
        callback_on_step_end=engine.step_callback(
            lambda s, n: progress(done + s, total), len(refine)
        ),
    )
    out = pipe(**refined, generator=generator, output_type="np")
    clip = engine.clip(
        segment, _center_crop(out.frames[0], segment.width, segment.height), out.audio, pipe
    )
    clip.meta["upscaled_from"] = (base_w, base_h)
    return clip


def _center_crop(frames, width: int, height: int):
    h, w = frames.shape[1:3]
    y, x = (h - height) // 2, (w - width) // 2
    return frames[:, y : y + height, x : x + width]
