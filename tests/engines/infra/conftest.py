"""Shared fixtures: one tiny Wan pipeline folder per session, a fake Hub, a clean HF cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reelforge.testing.wan import save_tiny_wan

from .fake_hub import FakeHub
from .tiny import BLOCKS

WAN_REPO = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
LTX_REPO = "Lightricks/LTX-2"
LTX25_REPO = "Lightricks/LTX-2.5-Diffusers"


@pytest.fixture(scope="session")
def tiny_wan_folder(tmp_path_factory) -> Path:
    return save_tiny_wan(tmp_path_factory.mktemp("tiny-wan") / "pipe", num_layers=BLOCKS)


def _fake_component(folder: Path, weights: bytes = b"\0" * 64) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(weights)


LTX_COMPONENTS = (
    "scheduler",
    "text_encoder",
    "tokenizer",
    "connectors",
    "transformer",
    "vae",
    "audio_vae",
    "vocoder",
)


def _fake_ltx_repo(folder: Path, components: tuple[str, ...]) -> Path:
    """An LTX pipeline folder of placeholder components with its latent upsampler."""
    index = {"_class_name": "LTX2Pipeline", "_diffusers_version": "0.42.1"}
    for name in components:
        index[name] = ["diffusers", "X"]
        if name in ("scheduler", "tokenizer"):
            (folder / name).mkdir(parents=True)
            (folder / name / f"{name}_config.json").write_text("{}")
        else:
            _fake_component(folder / name)
    (folder / "model_index.json").write_text(json.dumps(index))
    _fake_component(folder / "latent_upsampler")
    return folder


@pytest.fixture(scope="session")
def hub_repos(tmp_path_factory, tiny_wan_folder) -> dict[str, Path]:
    """Repositories as on the Hub: the tiny Wan pipeline plus files that must not come
    down (original checkpoints, example media); fake LTX-2 and LTX-2.5 repositories with
    their latent upsamplers and distilled weights."""
    import shutil

    root = tmp_path_factory.mktemp("hub")
    wan = root / "wan"
    shutil.copytree(tiny_wan_folder, wan)
    (wan / "README.md").write_text("# Wan 2.2 TI2V-5B")
    (wan / "examples").mkdir()
    (wan / "examples" / "demo.mp4").write_bytes(b"\1" * 4096)
    (wan / "Wan2.2_VAE.pth").write_bytes(b"\2" * 4096)

    ltx = _fake_ltx_repo(root / "ltx", LTX_COMPONENTS)
    (ltx / "ltx-2-19b-dev.safetensors").write_bytes(b"\3" * 8192)  # never pulled
    (ltx / "ltx-2-19b-distilled-lora-384.safetensors").write_bytes(b"\4" * 1024)
    (ltx / "ltx-2-19b-distilled.safetensors").write_bytes(b"\5" * 2048)  # budget only
    # LTX-2.5 as Lightricks/LTX-2.5-Diffusers lays it out: transformer/ is the distilled
    # model (only its config comes down), transformer_full/ the dev one, a duration head
    # reelforge never loads.
    ltx25 = _fake_ltx_repo(root / "ltx25", (*LTX_COMPONENTS, "duration_head"))
    _fake_component(ltx25 / "transformer_full")
    (ltx25 / "ltx-2.5-22b-distilled-lora-450-bf16.safetensors").write_bytes(b"\6" * 1024)
    return {WAN_REPO: wan, LTX_REPO: ltx, LTX25_REPO: ltx25}


@pytest.fixture
def fake_hub(hub_repos):
    hub = FakeHub(dict(hub_repos)).start()
    yield hub
    hub.stop()


@pytest.fixture
def hf_env(tmp_path, fake_hub) -> dict[str, str]:
    """Environment for a ``reelforge`` process: the fake Hub, an empty HF cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "REELFORGE_"))}
    env.update(
        HF_ENDPOINT=fake_hub.url,
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


@pytest.fixture
def hf_cache(monkeypatch, tmp_path) -> Path:
    """Point this process's huggingface_hub at an empty cache, offline."""
    from huggingface_hub import constants

    cache = tmp_path / "hf" / "hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("REELFORGE_MODELS", raising=False)
    return cache
