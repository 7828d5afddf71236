"""LTX-2.5, the cinema tier's default, on a tiny random pipeline laid out like
``Lightricks/LTX-2.5-Diffusers``; LTX-2 stays selectable with ``model``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import reelforge
from reelforge.errors import EngineUnavailable, InputError
from reelforge.media.probe import probe_video

from .conftest import SIZE


@pytest.fixture(scope="session")
def tiny_ltx25(tmp_path_factory):
    from reelforge.testing.ltx25 import save_tiny_ltx25

    return save_tiny_ltx25(tmp_path_factory.mktemp("models") / "LTX-2.5")


def cinema(**extra):
    return {
        "workflow": "text2video",
        "prompt": "Waves break on a pier; gulls cry.",
        "duration": 3,
        "tier": "cinema",
        "seed": 9,
        "audio": True,
        **extra,
    }


def test_cinema_renders_ltx25_from_its_dev_transformer_by_default(tiny_ltx25, tmp_path):
    events = []
    art = reelforge.render(
        cinema(),
        model_path=tiny_ltx25,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "ltx25.mp4",
        progress=events.append,
    )
    info = probe_video(art.video)
    assert (info.width, info.height, info.frames, info.has_audio) == (SIZE, SIZE, 72, True)
    sidecar = json.loads(art.sidecar.read_text())
    assert sidecar["plan"]["engine"] == "ltx25"
    assert [(e.step, e.steps) for e in events if e.stage == "render"][-1] == (5, 5)

    from safetensors.torch import load_file

    from reelforge.engines import registry

    engine = registry.get_engine("ltx25", tier="cinema", device="cpu", model_path=tiny_ltx25)
    assert engine.cross_timestep  # LTX-2.3 and later modulate by the other modality's noise
    loaded = engine.pipeline(engine.base_pipeline).transformer.scale_shift_table
    full = load_file(str(tiny_ltx25 / "transformer_full" / "diffusion_pytorch_model.safetensors"))
    distilled = load_file(str(tiny_ltx25 / "transformer" / "diffusion_pytorch_model.safetensors"))
    assert (loaded == full["scale_shift_table"]).all()  # the dev model, not transformer/
    assert not (loaded == distilled["scale_shift_table"]).all()
    assert engine.pipeline(engine.base_pipeline).duration_head is None
    registry.unload_all()


def test_ltx2_stays_selectable(tiny_ltx2, tmp_path):
    art = reelforge.render(
        cinema(model="ltx2"),
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "ltx2.mp4",
    )
    assert json.loads(art.sidecar.read_text())["plan"]["engine"] == "ltx2"


def test_a_model_the_tier_does_not_offer_is_refused_by_name(tmp_path):
    with pytest.raises(InputError) as err:
        reelforge.render(cinema(model="wan"), output=tmp_path / "x.mp4", previz=True)
    assert err.value.field == "model" and err.value.value == "wan"
    assert "ltx25, ltx2" in str(err.value)
    with pytest.raises(InputError, match="model"):
        reelforge.render(
            {**cinema(model="ltx2"), "tier": "turbo", "audio": False},
            output=tmp_path / "y.mp4",
            previz=True,
        )


def test_an_ltx25_folder_without_its_dev_transformer_names_the_pull(tiny_ltx25, tmp_path):
    import shutil

    from reelforge.engines.ltx2 import LTX25Engine

    folder = shutil.copytree(
        tiny_ltx25, tmp_path / "no-dev", ignore=shutil.ignore_patterns("transformer_full")
    )
    with pytest.raises(EngineUnavailable, match="transformer_full.*reelforge pull cinema"):
        LTX25Engine(model_path=folder, tier="cinema").load("cpu")


@pytest.mark.parametrize(
    ("model", "steps", "stg"), [(None, 30, [28]), ("ltx2", 40, [29])], ids=["ltx25", "ltx2"]
)
def test_the_dry_run_shows_each_models_reference_parameters(model, steps, stg):
    command = [sys.executable, "-m", "reelforge", "video", "A lighthouse.", "--tier", "cinema"]
    command += ["--model", model] if model else []
    result = subprocess.run(
        [*command, "--dry-run", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    [call] = data["calls"]
    first = call["stages"][0]
    assert call["engine"] == (model or "ltx25")
    assert first["steps"] == steps and first["guidance"]["stg_blocks"] == stg


def test_ltx25_stages_equal_the_docs_two_stage_recipe(tiny_ltx25, monkeypatch):
    """The diffusers docs' LTX-2.5 "full model" recipe (the dev ``transformer_full`` for
    stage 1, its distilled LoRA for stage 2) run by hand equals the engine (atol 1e-5),
    with the reference's fixed stage-1 shift and cross-attention modulation on."""
    import diffusers
    import numpy as np
    from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel

    from reelforge.engines.ltx2 import LTX25Engine
    from reelforge.testing.ltx25 import DEV_FOLDER, LORA_FILE

    from .test_ltx2 import EXACT, docs_two_stage, segment

    engine = LTX25Engine(tiny_ltx25, tier="cinema")
    engine.load("cpu")
    seen = []
    original = type(engine).to_clip

    def spy(video, fps, audio=None, audio_rate=None):
        seen.append(np.asarray(video[0] if np.ndim(video) == 5 else video))
        return original(video, fps, audio, audio_rate)

    monkeypatch.setattr(type(engine), "to_clip", staticmethod(spy))
    seg = segment()
    clip = engine.render(seg)

    dev = diffusers.LTX2VideoTransformer3DModel.from_pretrained(tiny_ltx25 / DEV_FOLDER)
    base = diffusers.LTX2Pipeline.from_pretrained(tiny_ltx25, transformer=dev)
    base.load_lora_weights(str(tiny_ltx25), adapter_name="stage_2_distilled", weight_name=LORA_FILE)
    base.set_progress_bar_config(disable=True)
    upsampler = LTX2LatentUpsamplerModel.from_pretrained(tiny_ltx25 / "latent_upsampler").eval()
    frames, audio = docs_two_stage(
        ({"LTX2Pipeline": base}, upsampler),
        seg,
        "LTX2Pipeline",
        "LTX2Pipeline",
        cross_timestep=True,
    )
    np.testing.assert_allclose(seen[-1], frames[0], atol=EXACT, rtol=0)
    rate = base.vocoder.config.output_sampling_rate
    assert clip.audio.rate == rate == 48_000
    from reelforge.media.clip import Audio

    sound = Audio(np.clip(audio[0].numpy(), -1, 1), rate).fit(clip.duration)
    np.testing.assert_allclose(clip.audio.samples, sound.samples, atol=EXACT, rtol=0)


# --------------------------------------------------------------------------- full size


DIT_FILE_BYTES = 42.0e9
"""``diffusion_models/ltx-2.5-22b-dev-transformer-bf16.safetensors``: 42.0 GB (Hub listing,
docs/research/ltx25.md §1). Lightricks' DiT file holds the transformer and the text
connectors' blocks (diffusers' converter splits them: ``split_transformer_and_connector_state_dict``);
the connectors' text projections ship in the Gemma 4 file."""


def test_full25_is_the_22b_model_on_the_meta_device():
    """FULL25 builds with no memory, and its sizes are LTX-2.5's: 18.99 B transformer
    parameters, 22.16 B with the text connectors ("22B"), and the DiT file's 42.0 GB in
    bf16 for the transformer with the connectors' blocks."""
    import numpy as np
    import torch

    from reelforge.testing.ltx25 import DEV_FOLDER, FULL25, TINY25, build_ltx25_components

    parts = build_ltx25_components(FULL25, dtype=torch.bfloat16, device="meta")

    def count(module):
        return sum(p.numel() for p in module.parameters())

    for name, part in parts.items():
        if isinstance(part, torch.nn.Module):
            assert {p.device.type for p in part.parameters()} == {"meta"}, name
    transformer, connectors = parts["transformer"], parts["connectors"]
    assert count(transformer) == count(parts[DEV_FOLDER]) == 18_987_859_200
    assert count(transformer) + count(connectors) == 22_160_086_784
    blocks = count(connectors.video_connector) + count(connectors.audio_connector)
    assert (count(transformer) + blocks) * 2 == pytest.approx(DIT_FILE_BYTES, rel=0.001)

    text = parts["text_encoder"].config.text_config
    assert (text.hidden_size, text.num_hidden_layers, text.vocab_size) == (3840, 48, 262_144)
    assert connectors.config.text_proj_in_factor == 49  # every hidden state + the embeddings
    config = FULL25["transformer"]
    # cross-attention modulation: the text is as wide as each stream (connector outputs)
    assert (
        config["cross_attention_dim"]
        == config["num_attention_heads"] * config["attention_head_dim"]
    )
    assert FULL25["connectors"]["video_hidden_dim"] == config["cross_attention_dim"]
    assert FULL25["connectors"]["audio_hidden_dim"] == config["audio_cross_attention_dim"]
    vocoder = FULL25["vocoder"]  # 16 kHz mel hop, then ×3 to 48 kHz
    assert np.prod(vocoder["upsample_factors"]) == FULL25["audio_vae"]["mel_hop_length"]
    assert np.prod(vocoder["bwe_upsample_factors"]) == 3 * vocoder["hop_length"]
    assert set(FULL25) == set(TINY25)


def test_the_estimate_times_the_model_asked_for():
    def about(*extra):
        result = subprocess.run(
            [sys.executable, "-m", "reelforge", "estimate", "A fox.", "--tier", "cinema", *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return " ".join((result.stdout + result.stderr).split())  # rich: the console's stream

    from reelforge.lineup.tiers import TIERS

    cinema = TIERS["cinema"]
    default, ltx2 = about("-r", "1080p"), about("-r", "1080p", "--model", "ltx2")
    assert f"about {cinema.speed_for('1080p').seconds * 5:.0f} s" in default
    assert (
        f"about {cinema.speed_for('1080p', 'ltx2').seconds * 5:.0f} s" in ltx2 and ltx2 != default
    )
    assert "estimated on H100 (not measured)" in default
