"""A tiny random-weight ``WanPipeline`` for the speed-option and weights tests: the
tiny ``t2v`` config with four transformer blocks (:data:`BLOCKS`), so a block cache has a
head, a middle and a tail."""

from __future__ import annotations

import torch

from reelforge.testing.wan import build_wan_pipeline, tiny_config

BLOCKS = 4


def build_tiny_wan(seed: int = 0):
    """A ``WanPipeline`` with random weights, float32, on the CPU."""
    return build_wan_pipeline(tiny_config("t2v", num_layers=BLOCKS), seed=seed)


WAN_CALL = dict(
    prompt="a cat walks by the sea",
    negative_prompt="",
    height=32,
    width=32,
    num_frames=9,
    guidance_scale=4.0,
    max_sequence_length=16,
    output_type="np",
)


def run_wan(pipe, steps: int = 2, seed: int = 7):
    """Frames ``(F, H, W, 3)`` of one call with a fixed seed."""
    out = pipe(
        **WAN_CALL, num_inference_steps=steps, generator=torch.Generator("cpu").manual_seed(seed)
    )
    return out.frames[0]
