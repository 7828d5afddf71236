"""``reelforge pull`` against a local fake Hub (HF_ENDPOINT), and the offline lookup after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reelforge.engines import weights
from reelforge.errors import EngineUnavailable
from reelforge.lineup.tiers import ENGINES, TIERS

from .conftest import LTX_REPO, WAN_REPO


def reelforge(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "reelforge", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def snapshot(cache: Path, repo: str) -> Path:
    folders = list((cache / f"models--{repo.replace('/', '--')}" / "snapshots").iterdir())
    assert len(folders) == 1
    return folders[0]


# --- the table -------------------------------------------------------------------------


def test_every_engine_with_weights_names_its_folders():
    for name, traits in ENGINES.items():
        if not traits.needs_weights:
            assert not traits.weights
            continue
        main = traits.weights[0]
        assert main.role == "pipeline" and "model_index.json" in main.allow_patterns
        assert any(p.startswith("transformer/") for p in main.allow_patterns), name
    roles = {(n, w.role) for n, t in ENGINES.items() for w in t.weights}
    assert ("ltx2", "latent_upsampler") in roles and ("wan_animate", "preprocessor") in roles


def test_tier_weights_follow_the_tier():
    cinema = {w.role for w in weights.tier_weights(TIERS["cinema"])}
    budget = {w.role for w in weights.tier_weights(TIERS["budget"])}
    assert cinema == {"pipeline", "latent_upsampler", "distilled_lora"}
    assert budget == {"pipeline", "latent_upsampler", "distilled_checkpoint"}
    [budget_pipeline] = [w for w in weights.tier_weights(TIERS["budget"]) if w.role == "pipeline"]
    assert budget_pipeline.replaced == ("transformer",)
    assert "transformer/config.json" in budget_pipeline.allow_patterns
    omni = [w.repo_id for w in weights.tier_weights(TIERS["omni"])]
    assert (
        omni[0] == ENGINES["wan_vace"].weights[0].repo_id and LTX_REPO in omni
    )  # sound added by LTX-2
    assert weights.resolve_target("kling-v2-5-turbo") == ("wan", "turbo")
    assert weights.resolve_target("wan") == ("wan", None)


# --- pull ------------------------------------------------------------------------------------


def test_pull_downloads_only_the_pipeline_and_works_offline(
    tmp_path, hf_env, fake_hub, hf_cache, tiny_wan_folder
):
    result = reelforge("pull", "turbo", env=hf_env)
    assert result.returncode == 0, result.stderr
    assert WAN_REPO in result.stderr and "ok" in result.stderr
    sent = {path for repo, path in fake_hub.sent}
    assert "model_index.json" in sent and any(p.startswith("transformer/") for p in sent)
    assert not {"README.md", "examples/demo.mp4", "Wan2.2_VAE.pth"} & sent  # allow_patterns

    # Offline, in this process: the lookup finds the snapshot and diffusers loads it.
    folder = weights.locate_weights("wan", tier="turbo")
    assert folder == snapshot(hf_cache, WAN_REPO)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in tiny_wan_folder.iterdir()
    )
    from diffusers import WanPipeline

    assert type(WanPipeline.from_pretrained(folder)).__name__ == "WanPipeline"

    listing = reelforge("pull", "--list", "turbo", env={**hf_env, "HF_HUB_OFFLINE": "1"})
    assert listing.returncode == 0 and "present" in listing.stdout and WAN_REPO in listing.stdout


def test_pull_resumes_a_cut_download(tmp_path, hf_env, fake_hub, hf_cache, tiny_wan_folder):
    name = "transformer/diffusion_pytorch_model.safetensors"
    fake_hub.fail_after[name] = 1000  # the connection drops after 1000 bytes
    result = reelforge("pull", "kling-v2-5-turbo", env=hf_env)
    assert result.returncode == 0, result.stderr
    assert [p for _, p in fake_hub.sent].count(name) == 2  # asked again, from where it stopped
    got = (snapshot(hf_cache, WAN_REPO) / name).read_bytes()
    assert got == (tiny_wan_folder / name).read_bytes()


def test_pull_into_a_models_folder(tmp_path, hf_env, fake_hub, monkeypatch):
    models = tmp_path / "models"
    result = reelforge("pull", "avatar", "--models-dir", models, env=hf_env)
    assert result.returncode == 0, result.stderr
    repo = models / LTX_REPO
    assert (repo / "model_index.json").is_file() and (
        repo / "latent_upsampler" / "config.json"
    ).is_file()
    assert not (repo / "ltx-2-19b-dev.safetensors").exists()  # the original checkpoint stays
    monkeypatch.setenv("REELFORGE_MODELS", str(models))
    assert weights.locate_weights("ltx2", tier="avatar") == repo
    assert (
        weights.locate_extra("ltx2", "latent_upsampler", tier="avatar") == repo / "latent_upsampler"
    )

    shutil.rmtree(repo / "vocoder")  # a partial mirror
    with pytest.raises(EngineUnavailable) as err:
        weights.locate_weights("ltx2", tier="avatar")
    message = str(err.value)
    assert "avatar" in message and LTX_REPO in message and "vocoder/" in message
    assert "reelforge pull avatar" in message
    listing = reelforge("pull", "--list", "avatar", "--models-dir", models, env=hf_env)
    assert "partial" in listing.stdout


def test_partial_download_names_tier_repo_and_command(tmp_path, hf_env, fake_hub, hf_cache):
    assert reelforge("pull", "turbo", env=hf_env).returncode == 0
    folder = snapshot(hf_cache, WAN_REPO)
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(EngineUnavailable) as err:
        weights.locate_weights("wan", tier="turbo")
    message = str(err.value)
    assert "turbo" in message and WAN_REPO in message and "reelforge pull turbo" in message
    assert "incomplete" in message

    # A whole component folder gone (huggingface_hub's listing or our model_index check).
    shutil.rmtree(folder / "transformer")
    with pytest.raises(EngineUnavailable, match=r"incomplete.*transformer/.*reelforge pull turbo"):
        weights.locate_weights("wan", tier="turbo")
    assert weights.check_pipeline_folder(folder) == ["transformer/ is missing"]
    listing = reelforge("pull", "--list", env={**hf_env, "HF_HUB_OFFLINE": "1"})
    assert listing.returncode == 0 and "partial" in listing.stdout and "missing" in listing.stdout

    # Pulling again completes it.
    assert reelforge("pull", "turbo", env=hf_env).returncode == 0
    assert weights.locate_weights("wan", tier="turbo") == folder


def test_nothing_downloaded_is_a_clear_error(hf_cache):
    with pytest.raises(EngineUnavailable) as err:
        weights.locate_weights("ltx2", tier="avatar")
    message = str(err.value)
    assert "avatar" in message and LTX_REPO in message and "not downloaded" in message
    assert "reelforge pull avatar" in message


def test_pull_errors_are_clear(hf_env):
    bad = reelforge("pull", "nope", env=hf_env)
    assert bad.returncode == 2 and "unknown tier" in bad.stderr
    offline = reelforge("pull", "turbo", env={**hf_env, "HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 1 and "HF_HUB_OFFLINE" in offline.stderr
    assert reelforge("pull", "animatic", env=hf_env).returncode == 3


# --- folders ---------------------------------------------------------------------------------


def test_model_path_must_be_complete(tmp_path, tiny_wan_folder):
    assert weights.locate_weights("wan", tiny_wan_folder) == tiny_wan_folder
    broken = tmp_path / "broken"
    shutil.copytree(tiny_wan_folder, broken)
    for f in (broken / "vae").glob("*.safetensors"):
        f.unlink()
    with pytest.raises(
        EngineUnavailable, match=r"--model-path .* vae/ has a config but no weight files"
    ):
        weights.locate_weights("wan", broken, tier="turbo")
    with pytest.raises(EngineUnavailable, match="no model_index.json"):
        weights.locate_weights("wan", tmp_path, tier="turbo")


def test_sharded_weights_need_every_shard(tmp_path):
    import json

    folder = tmp_path / "pipe"
    (folder / "transformer").mkdir(parents=True)
    (folder / "model_index.json").write_text(
        json.dumps({"transformer": ["diffusers", "X"], "extra": [None, None]})
    )
    (folder / "transformer" / "config.json").write_text("{}")
    index = {
        "weight_map": {
            "a": "model-00001-of-00002.safetensors",
            "b": "model-00002-of-00002.safetensors",
        }
    }
    (folder / "transformer" / "model.safetensors.index.json").write_text(json.dumps(index))
    (folder / "transformer" / "model-00001-of-00002.safetensors").write_bytes(b"0")
    assert weights.check_pipeline_folder(folder) == [
        "transformer/ lacks 1 of 2 weight shards (model-00002-of-00002.safetensors...)"
    ]
    (folder / "transformer" / "model-00002-of-00002.safetensors").write_bytes(b"0")
    assert weights.check_pipeline_folder(folder) == []


def test_no_proxy_reaches_the_fake_hub(hf_env):
    # The fake Hub is on 127.0.0.1: a proxy set in the environment must not catch it.
    assert "127.0.0.1" in hf_env["NO_PROXY"] and hf_env["HF_ENDPOINT"].startswith(
        "http://127.0.0.1:"
    )
    assert os.environ.get("HF_ENDPOINT") != hf_env["HF_ENDPOINT"]
