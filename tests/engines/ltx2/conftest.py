"""One tiny random LTX-2 per test session, saved like the Hub repo and loaded back by reelforge."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.wav import write_pcm16

pytest.importorskip("diffusers")

SIZE = 64
SEED = 7


def write_wav(path: Path, seconds: float, freq: float, rate: int = 48_000) -> Path:
    """A stereo tone with a syllable-like amplitude envelope (4 Hz)."""
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * freq * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t))
    return write_pcm16(path, (np.stack([tone, 0.8 * tone], axis=1) * 32767).astype("<i2"), rate)


def write_image(path: Path, seed: int, size=(480, 360)) -> Path:
    """A noisy picture (at least 300×300, as requests require) with a coloured block."""
    rng = np.random.default_rng(seed)
    pixels = (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)
    pixels[size[1] // 4 : size[1] // 2, size[0] // 4 : size[0] // 2] = rng.integers(0, 255, 3)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    return {
        "start": write_image(folder / "start.png", 1),
        "end": write_image(folder / "end.png", 2),
        "speech": write_wav(folder / "speech.wav", 2.0, 220.0),
        "other_speech": write_wav(folder / "other.wav", 2.0, 880.0),
    }


@pytest.fixture(scope="session")
def tiny_ltx2(tmp_path_factory) -> Path:
    """The tiny pipeline's folder: ``save_pretrained`` layout plus ``latent_upsampler/``."""
    from reelforge.testing.ltx2 import save_tiny_ltx2

    return save_tiny_ltx2(tmp_path_factory.mktemp("models") / "LTX-2")


@pytest.fixture(scope="session")
def engine(tiny_ltx2):
    """The engine as the runner gets it (registry → ``LTX2Engine.load`` → ``locate_weights``)."""
    from reelforge.engines import registry

    loaded = registry.get_engine("ltx2", tier="cinema", device="cpu", model_path=tiny_ltx2)
    yield loaded
    registry.unload_all()


@pytest.fixture(scope="session")
def stock(tiny_ltx2):
    """The stock diffusers pipelines, loaded from the same folder by diffusers alone."""
    import diffusers

    base = diffusers.LTX2Pipeline.from_pretrained(tiny_ltx2)
    base.set_progress_bar_config(disable=True)
    pipes = {"LTX2Pipeline": base}
    for name in ("LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"):
        pipes[name] = getattr(diffusers, name).from_pipe(base)
        pipes[name].set_progress_bar_config(disable=True)
    return pipes


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny tensors gain nothing from threads, and on a shared 2-core box OpenMP's spinning
    threads triple the run time; restored for the modules after this one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def cli_video(
    model_path: Path, out: Path, size: str = f"{SIZE}x{SIZE}"
) -> subprocess.CompletedProcess:
    """``reelforge video`` on cinema's LTX-2 from ``model_path``: 3 s, 2 steps, ``size``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reelforge",
            "video",
            "A bell rings twice.",
            "--tier",
            "cinema",
            "--model",
            "ltx2",
            "--model-path",
            str(model_path),
            "--size",
            size,
            "--steps",
            "2",
            "--duration",
            "3",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
