"""A NaN anywhere in LTX-2's weights fails the render naming the stage and the segment:
never a black video. Through the engine, the CLI and the service (failed task, refund)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from reelforge.errors import NonFiniteOutput
from reelforge.planning.plan import Conditioning

from .conftest import cli_video
from .test_ltx2 import segment

WAIT = {"timeout": 600.0, "raise_on_failure": False}


def poison(path: Path, key: str) -> None:
    """Set the first value of the tensor ``key`` to NaN."""
    from safetensors.torch import load_file, save_file

    state = load_file(str(path))
    state[key] = state[key].clone()
    state[key].view(-1)[0] = float("nan")
    save_file(state, str(path))


@pytest.fixture(scope="module")
def nan_transformer(tiny_ltx2, tmp_path_factory) -> Path:
    """The tiny LTX-2 with one NaN in its (dev) transformer's video output projection."""
    folder = shutil.copytree(tiny_ltx2, tmp_path_factory.mktemp("nan") / "LTX-2")
    poison(folder / "transformer" / "diffusion_pytorch_model.safetensors", "proj_out.weight")
    return folder


@pytest.fixture(scope="module")
def nan_lora(tiny_ltx2, tmp_path_factory) -> Path:
    """The tiny LTX-2 whose distilled LoRA (stage 2 only) holds a NaN."""
    from reelforge.engines.ltx2.lora import DISTILLED_LORA_FILE

    folder = shutil.copytree(tiny_ltx2, tmp_path_factory.mktemp("nan-lora") / "LTX-2")
    poison(folder / DISTILLED_LORA_FILE, "diffusion_model.proj_out.lora_B.weight")
    return folder


def test_a_nan_in_the_refine_weights_names_stage_2_of_its_segment(nan_lora):
    from reelforge.engines.ltx2 import LTX2Engine

    engine = LTX2Engine(model_path=nan_lora, tier="cinema")
    engine.load("cpu")
    with pytest.raises(NonFiniteOutput, match=r"^stage 2 of segment 3 \(step 1\) produced NaN"):
        engine.render(segment(index=2))
    # The LoRA is off again: a stage-1-only use of the engine still works.
    engine.use_weights("dev")
    assert torch.isfinite(
        next(engine.pipeline(engine.base_pipeline).transformer.parameters())
    ).all()


def test_a_nan_in_the_avatar_loop_names_its_stage(nan_transformer, inputs):
    from reelforge.engines.ltx2 import LTX2Engine
    from reelforge.planning.plan import Span

    engine = LTX2Engine(model_path=nan_transformer, tier="avatar")
    engine.load("cpu")
    seg = segment(
        workflow="avatar",
        conditioning=Conditioning(
            start_image=inputs["start"], audio=inputs["speech"], audio_span=Span(start=0.0, end=1.1)
        ),
    )
    with pytest.raises(NonFiniteOutput, match=r"^stage 1 of segment 1 \(step 1\) produced NaN"):
        engine.render(seg)


def test_the_cli_fails_by_stage_and_leaves_no_mp4(nan_transformer, tmp_path):
    out = tmp_path / "out.mp4"
    result = cli_video(nan_transformer, out)
    assert result.returncode != 0
    assert "stage 1 of segment 1 (step 1) produced NaN" in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []  # no MP4, no sidecar, no partial file


def test_the_service_fails_the_task_by_stage_and_refunds(nan_transformer, tmp_path_factory):
    """A real server whose LTX-2 weights (``$REELFORGE_MODELS``) hold a NaN: the task
    fails with the stage in its message, and the credits held for it come back."""
    from tests.service.harness import Server

    models = tmp_path_factory.mktemp("models")
    shutil.copytree(nan_transformer, models / "Lightricks" / "LTX-2")
    empty = tmp_path_factory.mktemp("hf")
    server = Server(
        tmp_path_factory.mktemp("home"),
        env={
            "REELFORGE_MODELS": str(models),
            "HF_HOME": str(empty),
            "HF_HUB_OFFLINE": "1",
            "OMP_NUM_THREADS": "1",
        },
        previz=False,
    ).start()
    try:
        account = server.account("nan", credits=1000)
        with server.client(account) as kling:
            done = kling.wait(
                kling.text2video(
                    "A fox.", model_name="kling-v3", model="ltx2", mode="std", duration="3"
                ),
                **WAIT,
            )
        assert not done.succeeded
        assert "stage 1 of segment 1 (step 1) produced NaN" in done.status_msg
        assert server.balance("nan") == 1000  # held at submit, refunded on failure
        assert not list((server.home).rglob("*.mp4"))
    finally:
        server.stop()
