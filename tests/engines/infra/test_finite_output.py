"""Every diffusers engine's output goes through ``DiffusersEngine.to_clip`` (and LTX-2's
sound through ``to_audio``): a NaN or infinite value there fails the render by name
instead of being clipped into black frames or silence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reelforge.engines.diffusers_engine import DiffusersEngine
from reelforge.engines.ltx2.audio import to_audio
from reelforge.errors import NonFiniteOutput


def video(frames: int = 5) -> np.ndarray:
    return np.full((1, frames, 8, 8, 3), 0.5, np.float32)


def test_a_finite_output_becomes_a_clip():
    clip = DiffusersEngine.to_clip(video(), 24, torch.zeros(1, 2, 4800), 48_000)
    assert clip.frames.shape == (5, 8, 8, 3) and clip.frames.dtype == np.uint8
    assert clip.audio is not None and clip.audio.samples.shape == (2, 4800)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_video_is_refused_and_counted(bad):
    frames = video()
    frames[0, 4, :2] = bad
    with pytest.raises(NonFiniteOutput, match=r"video holds 48 NaN or infinite values of 960"):
        DiffusersEngine.to_clip(frames, 24)


def test_a_non_finite_sound_is_refused():
    sound = torch.zeros(1, 2, 4800)
    sound[0, 1, 100] = float("nan")
    with pytest.raises(NonFiniteOutput, match="audio holds 1 NaN"):
        DiffusersEngine.to_clip(video(), 24, sound, 48_000)
    with pytest.raises(NonFiniteOutput, match="audio holds 1 NaN"):
        to_audio(sound, 48_000, 0.1)
