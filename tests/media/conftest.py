"""Shared fixtures: a sample clip and its MP4, encoded once per session."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from reelforge.media import Clip, write_clip

from .synth import gradient_frames, tone


@pytest.fixture(scope="session")
def sample_clip() -> Clip:
    """2.5 s, 24 fps, 320x180, moving gradient + 440 Hz tone."""
    return Clip(gradient_frames(60), Fraction(24), tone(2.5))


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory, sample_clip) -> Path:
    return write_clip(sample_clip, tmp_path_factory.mktemp("media") / "sample.mp4")
