"""Speed and memory options on the CPU: hooks attach, offload attaches, quality is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reelforge.engines.base import SpeedOptions
from reelforge.engines.speed import (
    BALANCED_FROM_GB,
    PRESETS,
    apply_speed,
    choose_preset,
    resolve,
    undo_speed,
)

from .tiny import build_tiny_wan, run_wan

STEPS = 6


@pytest.fixture(scope="module")
def reference():
    """Stock diffusers: the tiny pipeline, no options, fixed seed."""
    pipe = build_tiny_wan()
    pipe.set_progress_bar_config(disable=True)
    return run_wan(pipe, steps=STEPS)


def fresh():
    pipe = build_tiny_wan()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def count_calls(module: torch.nn.Module) -> list[int]:
    calls = [0]
    module.register_forward_hook(lambda *a: calls.__setitem__(0, calls[0] + 1))
    return calls


# --- choosing -------------------------------------------------------------------------------


def test_choose_preset_by_memory():
    assert choose_preset(None) == "quality"
    assert choose_preset(80) == "balanced"
    assert choose_preset(BALANCED_FROM_GB) == "balanced"
    assert choose_preset(40) == "fast"
    assert choose_preset(24) == "fast"  # where the weights go is the memory plan's choice


def test_quality_never_asks_for_anything_that_changes_numerics():
    for memory in (None, 12, 24, 48, 80, 141):
        preset, _, s, _ = resolve(SpeedOptions(preset="quality", low_vram=False), "cpu", memory)
        assert preset == "quality"
        assert (s.attention, s.cache, s.compile, s.fp8) == (None, "none", False, "off")
    assert PRESETS["fast"].fp8 == "dynamic" and PRESETS["balanced"].cache == "fbc"


def test_fields_override_the_preset_and_bad_names_are_refused():
    _, low, s, explicit = resolve(
        SpeedOptions(preset="fast", cache="taylorseer", low_vram=True), "cpu"
    )
    assert low and s.cache == "taylorseer" and s.offload == "group" and s.vae_tiling
    assert explicit == {"cache"}
    with pytest.raises(ValueError, match="unknown speed preset"):
        resolve(SpeedOptions(preset="ludicrous"), "cpu")
    with pytest.raises(ValueError, match="unknown cache"):
        resolve(SpeedOptions(cache="teacache"), "cpu")


# --- exactness ------------------------------------------------------------------------------


def test_quality_preset_gives_the_stock_frames(reference):
    for options in (
        SpeedOptions(),
        SpeedOptions(preset="quality"),
        SpeedOptions(preset="quality", low_vram=True),
    ):
        pipe = fresh()
        report = apply_speed(pipe, options, "cpu")
        assert not report.has("cache") and not report.has("fp8") and not report.has("compile")
        np.testing.assert_array_equal(run_wan(pipe, steps=STEPS), reference)


def test_model_offload_attaches_and_changes_nothing(reference):
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(offload="model"), "cpu")
    assert report.has("offload")
    assert len(pipe._all_hooks) == 3  # text encoder, transformer, VAE
    for name in ("text_encoder", "transformer", "vae"):
        assert hasattr(getattr(pipe, name), "_hf_hook"), name
    np.testing.assert_array_equal(run_wan(pipe, steps=STEPS), reference)


def test_group_offload_attaches_and_changes_nothing(reference):
    from diffusers.hooks import HookRegistry

    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(offload="group", vae_tiling=True), "cpu")
    assert report.has("offload") and report.has("vae_tiling") and pipe.vae.use_tiling
    leaf = pipe.transformer.blocks[0].attn1.to_q
    registry = getattr(leaf, "_diffusers_hook", None)
    assert isinstance(registry, HookRegistry) and any(
        "group_offloading" in n for n in registry.hooks
    )
    np.testing.assert_array_equal(run_wan(pipe, steps=STEPS), reference)


def test_low_vram_on_the_cpu_skips_offloading_with_a_reason():
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(preset="quality", low_vram=True), "cpu")
    assert dict(report.skipped)["offload"] == "cpu has no separate memory to save"
    assert report.has("vae_tiling") and not hasattr(pipe.transformer, "_hf_hook")


# --- caches ---------------------------------------------------------------------------------


def test_first_block_cache_attaches_and_skips_blocks(reference):
    from diffusers.hooks import HookRegistry

    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(preset="balanced"), "cpu")
    assert dict(report.applied)["cache"] == "transformer: fbc threshold 0.05"
    blocks = pipe.transformer.blocks
    hooks = [list(HookRegistry.check_if_exists_or_initialize(b).hooks) for b in blocks]
    assert hooks[0] == ["fbc_leader_block_hook"] and all(h == ["fbc_block_hook"] for h in hooks[1:])

    # A threshold no change can pass: after the first step every block but the first is skipped.
    pipe = fresh()
    apply_speed(pipe, SpeedOptions(cache="fbc", cache_threshold=1e9), "cpu")
    head, middle = (
        count_calls(pipe.transformer.blocks[0].attn1),
        count_calls(pipe.transformer.blocks[2].attn1),
    )
    frames = run_wan(pipe, steps=STEPS)
    assert head[0] == 2 * STEPS  # conditional and unconditional, every step
    assert middle[0] == 2  # the first step only, once per context
    assert np.isfinite(frames).all() and np.abs(frames - reference).max() > 0


def test_taylorseer_predicts_between_full_steps():
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(cache="taylorseer"), "cpu")
    assert report.has("cache")
    block = count_calls(pipe.transformer.blocks[1].attn1)
    frames = run_wan(pipe, steps=STEPS)
    assert 0 < block[0] < 2 * STEPS and np.isfinite(frames).all()


def test_mag_cache_without_ratios_is_skipped():
    report = apply_speed(fresh(), SpeedOptions(cache="mag"), "cpu")
    assert "no calibrated magnitude ratios" in dict(report.skipped)["cache"]


def test_ltx2_blocks_take_the_block_cache():
    """LTX-2's block returns (video, audio): the cache must carry the audio stream."""
    from diffusers import LTX2VideoTransformer3DModel
    from diffusers.hooks import HookRegistry
    from diffusers.hooks._helpers import TransformerBlockRegistry
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformerBlock

    from reelforge.engines.ltx2.internals import register_block_metadata

    register_block_metadata()
    meta = TransformerBlockRegistry.get(LTX2VideoTransformerBlock)
    video, audio, text = torch.zeros(1), torch.ones(1), torch.full((1,), 2.0)
    assert (
        meta._get_parameter_from_args_kwargs("encoder_hidden_states", (video, audio, text)) is audio
    )

    from reelforge.testing.ltx2 import TINY

    model = LTX2VideoTransformer3DModel(**{**TINY["transformer"], "num_layers": 3})

    class Pipe:
        components = {"transformer": model}

        def to(self, device):
            return self

    report = apply_speed(Pipe(), SpeedOptions(preset="fast"), "cpu")
    assert dict(report.applied)["cache"] == "transformer: fbc threshold 0.1"
    assert list(HookRegistry.check_if_exists_or_initialize(model.transformer_blocks[0]).hooks) == [
        "fbc_leader_block_hook"
    ]


# --- presets end to end -----------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["balanced", "fast"])
def test_presets_run_end_to_end_and_say_what_they_skipped(preset):
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(preset=preset), "cpu")
    skipped = dict(report.skipped)
    assert "no flash or sage attention on cpu" in skipped["attention"]
    assert "not worth compiling" in skipped["compile"]
    if preset == "fast":
        assert "CUDA" in skipped["fp8"]
    frames = run_wan(pipe, steps=STEPS)
    assert frames.shape == (9, 32, 32, 3) and np.isfinite(frames).all()


def test_attention_and_compile_when_asked_for_on_the_cpu():
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(attention="native", compile=True), "cpu")
    assert dict(report.applied)["attention"].startswith("transformer: native")
    assert "fullgraph=True" in dict(report.applied)["compile"]
    compiled = [
        b for b in pipe.transformer.blocks if getattr(b, "_compiled_call_impl", None) is not None
    ]
    assert len(compiled) == len(pipe.transformer.blocks)  # compiled lazily, on first call
    undo_speed(pipe, report)
    assert all(getattr(b, "_compiled_call_impl", None) is None for b in pipe.transformer.blocks)
    skipped = apply_speed(fresh(), SpeedOptions(attention="flash"), "cpu").skipped
    assert dict(skipped)["attention"] == "flash needs a CUDA GPU"


def test_undo_takes_the_cache_off(reference):
    pipe = fresh()
    report = apply_speed(pipe, SpeedOptions(cache="fbc", cache_threshold=1e9), "cpu")
    undo_speed(pipe, report)
    assert not pipe.transformer.is_cache_enabled
    np.testing.assert_array_equal(run_wan(pipe, steps=STEPS), reference)


# --- the engine hook --------------------------------------------------------------------------


def test_diffusers_engine_prepare_applies_the_options(tiny_wan_folder, reference):
    from reelforge.engines.diffusers_engine import DiffusersEngine

    class Engine(DiffusersEngine):
        name = "wan"
        base_pipeline = "WanPipeline"

        def render(self, segment, progress=None, previous=None):
            raise NotImplementedError

    engine = Engine(model_path=tiny_wan_folder, tier="turbo")
    engine.load("cpu", SpeedOptions(preset="balanced"))
    pipe = engine.pipeline("WanPipeline")
    assert engine.speed_report.preset == "balanced" and pipe.transformer.is_cache_enabled

    engine = Engine(model_path=tiny_wan_folder, tier="turbo")
    engine.load("cpu", None)  # default: chosen per device: quality on the CPU
    assert engine.speed_report.preset == "quality"
    frames = run_wan(engine.pipeline("WanPipeline"), steps=STEPS)
    np.testing.assert_allclose(frames, reference, atol=1e-5)  # loaded from disk: mmap alignment
