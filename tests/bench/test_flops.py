"""bench/flops.py counts what the stock pipelines run: on the tiny configurations, its count
of one denoising step (shapes on the meta device) equals ``FlopCounterMode`` over the real
transformer during a real one-step pipeline call on the CPU."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("reelforge.testing.ltx2")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import sdpa_flop_count  # noqa: E402

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import flops  # noqa: E402
from gpu import FlopCount  # noqa: E402

from reelforge.engines.ltx2 import presets, schedule  # noqa: E402
from reelforge.testing import ltx2 as tiny_ltx2  # noqa: E402
from reelforge.testing import ltx25 as tiny_ltx25  # noqa: E402

TEXT_TOKENS = 16
"""The tiny tokenizer's prompts are padded to this many tokens."""


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def measured_step(pipe, **call) -> int:
    """FLOPs of the transformer over one real denoising step of ``pipe(**call)``.

    On the CPU, attention runs through the math backend: ``FlopCounterMode`` has no formula
    for the CPU flash kernel (it would count attention as 0), while the math backend does
    the same attention as matmuls it counts (on a GPU the flash kernels are counted by
    formula; see ``test_meta_attention_counts_as_the_gpu_kernels_are_counted``)."""
    pipe.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(0)
    with sdpa_kernel(SDPBackend.MATH), FlopCount(pipe.transformer) as counter:
        pipe(num_inference_steps=1, output_type="latent", generator=generator, **call)
    assert counter.total > 0
    return counter.total


GUIDANCE = {
    # tiny has 2 layers: STG at block 1 so that the STG pass runs
    "cinema": replace(presets.FULL_GUIDANCE, stg_blocks=(1,)),
    "avatar": replace(presets.AVATAR_GUIDANCE, stg_blocks=(1,)),
    "budget": presets.DISTILLED_GUIDANCE,
}


TINY_MODELS = {
    "ltx2": (tiny_ltx2.TINY, tiny_ltx2.build_ltx2_pipeline),
    "ltx25": (tiny_ltx25.TINY25, tiny_ltx25.build_ltx25_pipeline),
}


@pytest.mark.parametrize("engine", TINY_MODELS)
@pytest.mark.parametrize("tier", GUIDANCE)
def test_ltx_step_count_equals_the_stock_pipeline(tier, engine):
    """LTX-2 (text projected in the transformer) and LTX-2.5 (connectors hand each stream
    its own width; cross-attention modulated by the other stream's sigma)."""
    guidance = GUIDANCE[tier]
    width, height, frames, fps = 64, 64, 17, 24
    config, build = TINY_MODELS[engine]
    counter = flops.LTX2Counter(engine, config)
    pipe, _ = build(config, with_upsampler=False)
    pipe.scheduler = schedule.passthrough_scheduler(pipe.scheduler)  # as the engine runs it
    real = measured_step(
        pipe,
        sigmas=[1.0],
        prompt="A fox runs through snow.",
        negative_prompt="blurry",
        width=width,
        height=height,
        num_frames=frames,
        frame_rate=fps,
        max_sequence_length=TEXT_TOKENS,
        use_cross_timestep=counter.cross_timestep,
        **guidance.pipeline_kwargs(),
    )
    assert counter.cross_timestep == (engine == "ltx25")
    assert counter.step(guidance, width, height, frames, fps, text_tokens=TEXT_TOKENS) == real
    passes = [name for name, _, _ in counter.passes(guidance)]
    assert passes == (["plain"] if tier == "budget" else ["CFG pair", "STG", "modality"])


def _picture(size: int) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8))


@pytest.mark.parametrize("kind", ["ti2v", "vace", "animate"])
def test_wan_step_count_equals_the_stock_pipeline(kind):
    from reelforge.testing import wan

    width = height = 32
    frames = 9
    pipe = wan.build_wan_pipeline(wan.TINY[kind])
    call = dict(prompt="A fox runs.", height=height, width=width, max_sequence_length=TEXT_TOKENS)
    references = 0
    cfg = True
    if kind == "vace":
        references = 1
        call.update(num_frames=frames, reference_images=[_picture(32)], guidance_scale=5.0)
    elif kind == "animate":
        cfg = False
        face = pipe.transformer.config.motion_encoder_size
        call.update(
            image=_picture(32),
            pose_video=[_picture(32)] * frames,
            face_video=[_picture(face)] * frames,
            segment_frame_length=frames,
            guidance_scale=1.0,
        )
    else:
        call.update(num_frames=frames, guidance_scale=5.0)
    real = measured_step(pipe, **call)
    counter = flops.WanCounter(kind, tiny=True)
    counter.text_tokens = TEXT_TOKENS
    assert counter.step(width, height, frames, cfg, references) == real


def test_meta_attention_counts_as_the_gpu_kernels_are_counted():
    """On the meta device attention is counted as its two matmuls: exactly the formula
    ``FlopCounterMode`` applies to the flash / efficient / cuDNN kernels of a GPU."""
    q = torch.empty(2, 32, 4080, 128, device="meta", dtype=torch.bfloat16)
    k = torch.empty(2, 32, 1024, 128, device="meta", dtype=torch.bfloat16)
    counted = flops.count(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, k))
    assert counted == sdpa_flop_count(q.shape, k.shape, k.shape) == 4 * 2 * 32 * 4080 * 1024 * 128


def test_the_committed_numbers_are_what_the_bench_counts_now():
    """compute.json is current: the budget tier at 720p (the quickest to count) counts the
    same FLOPs today, part by part (a changed schedule, planner or model config that was not
    followed by ``bench/flops.py --write`` fails here)."""
    from reelforge.lineup import TIERS, compute

    row = flops.Lineup().row(TIERS["budget"], "720p")
    entry = compute.COUNTED["tiers"]["budget"]["ltx2_distilled"]["720p"]
    assert [(p.what, p.calls, p.flops) for p in row.parts] == [
        (p["what"], p["calls"], p["flops"]) for p in entry["parts"]
    ]
    assert row.flops_per_second == entry["flops_per_output_second"]


def test_each_refine_counts_its_models_lora_rank():
    """The rank is read from the file each engine loads: LTX-2's
    ``ltx-2-19b-distilled-lora-384``, LTX-2.5's ``ltx-2.5-22b-distilled-lora-450-bf16``."""
    assert flops.lora_rank("ltx2") == 384
    assert flops.lora_rank("ltx25") == 450
