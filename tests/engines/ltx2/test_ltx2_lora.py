"""The stage-2 distilled LoRA on a tiny random LTX-2: a file in Lightricks' key format,
loaded through diffusers' converter, switched on and off exactly."""

import copy

import pytest
import torch

pytest.importorskip("peft")

from reelforge.engines.ltx2.lora import (  # noqa: E402
    DEFAULT_ADAPTER,
    load_distilled_lora,
    use_distilled,
)
from reelforge.testing.ltx2 import (  # noqa: E402
    ORIGINAL_PREFIX,
    lora_targets,
    save_tiny_distilled_lora,
)

EXACT = 1e-6
MERGED = 1e-5


def transformer_inputs() -> dict:
    """One forward of the tiny transformer: 2×2×2 video tokens, 4 audio tokens."""
    g = torch.Generator().manual_seed(0)
    return dict(
        hidden_states=torch.randn(1, 8, 4, generator=g),
        audio_hidden_states=torch.randn(1, 4, 4, generator=g),
        encoder_hidden_states=torch.randn(1, 6, 32, generator=g),
        audio_encoder_hidden_states=torch.randn(1, 6, 32, generator=g),
        timestep=torch.tensor([600.0]),
        num_frames=2,
        height=2,
        width=2,
        fps=24.0,
        audio_num_frames=4,
        return_dict=False,
    )


@torch.no_grad()
def run(transformer) -> tuple[torch.Tensor, torch.Tensor]:
    video, audio = transformer(**transformer_inputs())
    return video, audio


def assert_close(got, want, atol):
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=atol)


def assert_differs(got, want, by=1e-3):
    assert max((g - w).abs().max().item() for g, w in zip(got, want, strict=True)) > by


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A tiny pipeline, its transformer's output and weights before any LoRA, and the LoRA
    file (block modules rank 4, top-level modules rank 2: mixed ranks, no alphas)."""
    from reelforge.testing.ltx2 import TINY, build_ltx2_pipeline

    pipe, _ = build_ltx2_pipeline(TINY, with_upsampler=False)
    pipe.set_progress_bar_config(disable=True)
    before = run(pipe.transformer)
    pristine = copy.deepcopy(pipe.transformer)
    path = save_tiny_distilled_lora(
        pipe.transformer,
        tmp_path_factory.mktemp("lora") / "tiny-distilled-lora.safetensors",
        rank=4,
        top_level_rank=2,
    )
    load_distilled_lora(pipe, path)
    return pipe, before, pristine, path


def hand_merged(pristine, path, strength: float):
    """The transformer with ``W + strength * B @ A`` written into every covered layer, the
    way Lightricks fuses it (``ltx_core/loader/fuse_loras.py``), names mapped by hand."""
    from safetensors.torch import load_file

    from reelforge.testing.ltx2 import original_module_name

    merged = copy.deepcopy(pristine)
    by_original = {original_module_name(n): n for n in lora_targets(merged)}
    modules = dict(merged.named_modules())
    state = load_file(str(path))
    with torch.no_grad():
        for key, a in state.items():
            if not key.endswith(".lora_A.weight"):
                continue
            stem = key[len(ORIGINAL_PREFIX) : -len(".lora_A.weight")]
            b = state[f"{ORIGINAL_PREFIX}{stem}.lora_B.weight"]
            modules[by_original[stem]].weight += strength * (b.float() @ a.float())
    return merged


def test_file_uses_lightricks_keys_that_diffusers_maps_onto_every_linear(setup):
    from diffusers import LTX2Pipeline
    from safetensors.torch import load_file

    pipe, _, pristine, path = setup
    state = load_file(str(path))
    assert "diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight" in state
    assert (
        "diffusion_model.transformer_blocks.1.audio_to_video_attn.to_out.0.lora_B.weight" in state
    )
    assert "diffusion_model.patchify_proj.lora_A.weight" in state
    assert "diffusion_model.adaln_single.linear.lora_B.weight" in state
    assert "diffusion_model.av_ca_a2v_gate_adaln_single.linear.lora_A.weight" in state
    assert all(k.startswith(ORIGINAL_PREFIX) for k in state)
    assert not any(k.endswith(".alpha") for k in state)

    converted = LTX2Pipeline.lora_state_dict(state)
    modules = dict(pristine.named_modules())
    targets = set(lora_targets(pristine))
    assert {k.removeprefix("transformer.").rsplit(".lora_", 1)[0] for k in converted} == targets
    for key, value in converted.items():
        layer = modules[key.removeprefix("transformer.").rsplit(".lora_", 1)[0]]
        if ".lora_A." in key:
            assert value.shape[1] == layer.in_features
        else:
            assert value.shape[0] == layer.out_features

    # Every targeted Linear of the live transformer now carries the adapter.
    from peft.tuners.tuners_utils import BaseTunerLayer

    adapted = {
        n
        for n, m in pipe.transformer.named_modules()
        if isinstance(m, BaseTunerLayer) and DEFAULT_ADAPTER in m.lora_A
    }
    assert adapted == targets
    assert pipe.get_list_adapters() == {"transformer": [DEFAULT_ADAPTER]}


def test_disabled_is_the_base_model_and_enabled_is_the_hand_merged_weights(setup):
    pipe, before, pristine, path = setup

    use_distilled(pipe, None)
    assert_close(run(pipe.transformer), before, EXACT)

    use_distilled(pipe, 1.0)
    on = run(pipe.transformer)
    assert_differs(on, before)
    assert_close(on, run(hand_merged(pristine, path, 1.0)), MERGED)

    use_distilled(pipe, 0.5)
    half = run(pipe.transformer)
    assert_differs(half, on)
    assert_close(half, run(hand_merged(pristine, path, 0.5)), MERGED)
    use_distilled(pipe, None)


def test_toggling_back_and_forth_is_repeatable(setup):
    pipe, before, _, _ = setup
    use_distilled(pipe, 1.0)
    on = run(pipe.transformer)
    for _ in range(3):
        use_distilled(pipe, None)
        assert_close(run(pipe.transformer), before, EXACT)
        use_distilled(pipe, 0.5)
        use_distilled(pipe, 1.0)
        assert_close(run(pipe.transformer), on, EXACT)
    use_distilled(pipe, None)


def test_set_adapters_alone_does_not_undo_disable_lora(setup):
    """Why ``use_distilled`` calls ``enable_lora`` before ``set_adapters``."""
    pipe, before, _, _ = setup
    pipe.disable_lora()
    pipe.set_adapters(DEFAULT_ADAPTER, 1.0)
    assert_close(run(pipe.transformer), before, EXACT)
    use_distilled(pipe, None)


def test_pipelines_from_pipe_share_the_adapter_and_its_state(setup):
    import diffusers

    pipe, before, _, _ = setup
    use_distilled(pipe, 1.0)
    on = run(pipe.transformer)
    use_distilled(pipe, None)
    for name in ("LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"):
        other = getattr(diffusers, name).from_pipe(pipe)
        assert other.transformer is pipe.transformer
        assert other.get_list_adapters() == {"transformer": [DEFAULT_ADAPTER]}
        use_distilled(other, 1.0)
        assert_close(run(pipe.transformer), on, EXACT)
        use_distilled(other, None)
        assert_close(run(pipe.transformer), before, EXACT)
