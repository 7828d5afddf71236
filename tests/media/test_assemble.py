"""Cross-fades, audio joins, poster, sidecar and cut detection."""

from __future__ import annotations

import dataclasses
import enum
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from reelforge.media import (
    Audio,
    Clip,
    concat_audio,
    crossfade_audio,
    crossfade_frames,
    read_video,
    write_clip,
    write_poster,
    write_sidecar,
)
from reelforge.testing.cuts import detect_cuts

from .synth import gradient_frames, tone


def test_crossfade_frames_ramps():
    tail = np.zeros((8, 4, 6, 3), np.uint8)
    head = np.full((8, 4, 6, 3), 255, np.uint8)
    out = crossfade_frames(tail, head)
    assert out.dtype == np.uint8 and out.shape == tail.shape
    levels = out[:, 0, 0, 0].astype(int)
    assert 0 < levels[0] < levels[-1] < 255
    assert np.all(np.diff(levels) > 0)
    assert np.allclose(levels, np.arange(1, 9) / 9 * 255, atol=2)
    assert np.all(out == out[:, :1, :1, :1])  # the same weight across each frame


def test_crossfade_frames_is_a_blend_of_its_inputs():
    rng = np.random.default_rng(1)
    tail = rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    head = rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    out = crossfade_frames(tail, head).astype(int)
    lo, hi = np.minimum(tail, head).astype(int), np.maximum(tail, head).astype(int)
    assert np.all((out >= lo) & (out <= hi))
    with pytest.raises(ValueError):
        crossfade_frames(tail, head[:4])


def test_concat_audio():
    joined = concat_audio([tone(0.5), tone(0.25, channels=1), Audio.silence(0.25)])
    assert joined.channels == 2 and joined.duration == pytest.approx(1.0)
    assert np.allclose(joined.samples[0], joined.samples[1])
    assert concat_audio([]).num_samples == 0
    with pytest.raises(ValueError, match="rates"):
        concat_audio([tone(0.1), tone(0.1, rate=16_000)])


def test_crossfade_audio_length_and_gains():
    a, b = Audio(np.ones((2, 48_000), np.float32)), Audio(np.full((2, 24_000), 0.5, np.float32))
    out = crossfade_audio(a, b, 0.25)
    assert out.num_samples == 48_000 + 24_000 - 12_000
    assert np.all(out.samples[:, :36_000] == 1.0)
    assert np.all(out.samples[:, 48_000:] == 0.5)
    middle = out.samples[0, 36_000:48_000]
    assert middle[0] == pytest.approx(1.0, abs=1e-3) and middle[-1] == pytest.approx(0.5, abs=1e-3)
    # equal power: uncorrelated noise keeps its level through the overlap
    rng = np.random.default_rng(0)
    n1 = Audio(rng.normal(0, 0.1, (2, 48_000)).astype(np.float32))
    n2 = Audio(rng.normal(0, 0.1, (2, 48_000)).astype(np.float32))
    mixed = crossfade_audio(n1, n2, 0.5).samples[:, 24_000:48_000]
    assert mixed.std() == pytest.approx(0.1, rel=0.05)
    # overlap is clamped to the shorter track
    assert crossfade_audio(tone(1.0), tone(0.1), 0.5).duration == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(
    na=st.integers(0, 2000),
    nb=st.integers(0, 2000),
    seconds=st.floats(0, 0.05),
    rate=st.sampled_from([8_000, 48_000]),
)
def test_crossfade_audio_length_property(na, nb, seconds, rate):
    a = Audio(np.full((2, na), 0.9, np.float32), rate)
    b = Audio(np.full((2, nb), -0.9, np.float32), rate)
    out = crossfade_audio(a, b, seconds)
    overlap = min(round(seconds * rate), na, nb)
    assert out.num_samples == na + nb - overlap
    assert np.abs(out.samples).max(initial=0.0) <= 1.0


def test_write_poster(tmp_path):
    frame = gradient_frames(1, 320, 180)[0]
    path = write_poster(frame, tmp_path / "out" / "poster.jpg", max_side=160)
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (160, 90)
    assert [p.name for p in path.parent.iterdir()] == ["poster.jpg"]
    small = write_poster(frame, tmp_path / "full.jpg")
    with Image.open(small) as image:
        assert image.size == (320, 180)


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Model(pydantic.BaseModel):
    name: str
    where: Path


def test_write_sidecar_types(tmp_path):
    data = {
        "path": tmp_path / "v.mp4",
        "fps": Fraction(30000, 1001),
        "whole": Fraction(24),
        "n": np.int64(3),
        "x": np.float32(0.5),
        "colour": Colour.RED,
        "point": Point(1, 2),
        "model": Model(name="ß", where=Path("/a")),
        "text": "café ✓",
    }
    path = write_sidecar(tmp_path / "meta.json", data)
    raw = path.read_text(encoding="utf-8")
    assert "café ✓" in raw and '\n  "fps"' in raw
    back = json.loads(raw)
    assert back["path"] == str(tmp_path / "v.mp4")
    assert back["fps"] == "30000/1001" and back["whole"] == 24
    assert back["n"] == 3 and back["x"] == 0.5
    assert back["colour"] == "red" and back["point"] == {"x": 1, "y": 2}
    assert back["model"] == {"name": "ß", "where": "/a"}
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]


def test_write_sidecar_failure_leaves_old_file(tmp_path):
    path = write_sidecar(tmp_path / "meta.json", {"v": 1})
    with pytest.raises(TypeError):
        write_sidecar(path, {"v": object()})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]


def _shots(lengths: list[int], width: int = 64, height: int = 48) -> np.ndarray:
    """Shots of a slowly moving gradient, each in a clearly different colour scheme."""
    shots = []
    for k, n in enumerate(lengths):
        frames = gradient_frames(n, width, height, speed=2).astype(np.int16)
        frames = np.roll(frames, k, axis=-1)  # swap colour channels per shot
        frames[..., k % 3] = (frames[..., k % 3] + 90 * (k + 1)) % 256
        shots.append(frames.astype(np.uint8))
    return np.concatenate(shots)


def test_detect_cuts_at_exact_times():
    frames = _shots([24, 12, 36])
    assert detect_cuts(frames, 24) == [1.0, 1.5]
    assert detect_cuts(frames, Fraction(24)) == [1.0, 1.5]


def test_detect_cuts_none_in_a_smooth_pan():
    frames = gradient_frames(48, 64, 48, speed=6)
    assert detect_cuts(frames, 24) == []
    assert detect_cuts(frames[:1], 24) == []


def test_detect_cuts_survives_h264(tmp_path):
    clip = Clip(_shots([12, 24, 12], 128, 72), Fraction(24))
    decoded = read_video(write_clip(clip, tmp_path / "cuts.mp4"))
    assert detect_cuts(decoded.frames, decoded.fps) == [0.5, 1.5]


def test_crossfade_is_not_a_cut():
    a, b = _shots([30, 30])[:30], _shots([30, 30])[30:]
    fade = crossfade_frames(a[-12:], b[:12])
    frames = np.concatenate([a[:-12], fade, b[12:]])
    assert detect_cuts(frames, 24) == []
