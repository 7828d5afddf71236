"""Video extend: a finished video continued from its last frame, the whole in one new MP4."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from reelforge.engines.base import no_progress
from reelforge.errors import Cancelled
from reelforge.lineup import estimate
from reelforge.lineup.tiers import ENGINES
from reelforge.media.clip import Audio
from reelforge.media.decode import iter_audio, iter_frames, read_audio, read_video
from reelforge.media.probe import probe_video
from reelforge.planning.extend import DEFAULT_EXTEND_SECONDS
from reelforge.render.extend import CONTEXT_FRAMES, _Resampled, extend, preflight_extension
from reelforge.render.progress import CancelToken
from reelforge.render.runner import render

from .clock_engine import ClockEngine, level

FRAME = 1 / 24
SMALL = (320, 180)


def animatic_source(tmp_path, *, audio=True, seconds=5):
    """A 5 s animatic task's video, with a spoken line so its sound is not silence."""
    return render(
        {
            "workflow": "text2video",
            "prompt": 'A red kite over a hill.\nMara (calm): "Look how high it flies today."',
            "duration": seconds,
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "audio": audio,
            "tier": "animatic",
            "seed": 3,
        },
        output=tmp_path / "source.mp4",
        size=SMALL,
    )


def test_a_5s_task_extended_by_5s_is_10s_and_starts_with_the_original(tmp_path):
    source = animatic_source(tmp_path)
    art = extend(
        source.video,
        "The kite climbs higher.",
        5.0,
        tier="animatic",
        output=tmp_path / "ext.mp4",
        seed=5,
        source={"task_id": "t1", "video_id": "t1-0"},
    )
    assert art.video.exists() and art.poster.exists() and art.sidecar.exists()
    info = probe_video(art.video)
    assert info.frames == 240 and info.fps == 24 and (info.width, info.height) == SMALL
    assert info.duration == pytest.approx(10.0, abs=FRAME) and art.duration == pytest.approx(10.0)
    assert info.has_audio and art.has_audio
    assert abs(read_audio(art.video).duration - info.duration) <= FRAME

    original = read_video(source.video).frames.astype(np.int16)
    whole = read_video(art.video).frames.astype(np.int16)
    assert original.shape[0] == 120
    # the first 5 s are the original's frames (decoded and re-encoded: H.264 is lossy)
    assert np.abs(whole[:120] - original).mean() < 3
    # the continuation starts from the original's last frame (the animatic draws its
    # own captions over it, so compare the picture below them)
    picture = slice(SMALL[1] // 3, SMALL[1] * 5 // 6)
    assert np.abs(whole[120, picture] - original[-1, picture]).mean() < 3
    assert np.median(np.abs(whole[120] - original[-1])) <= 2

    # the sound: the original's, then the continuation's
    before = read_audio(source.video).samples[0]
    after = read_audio(art.video).samples[0][: before.size]
    assert np.abs(before).max() > 0.01
    assert np.corrcoef(before, after)[0, 1] > 0.99

    side = json.loads(art.sidecar.read_text())
    ext = side["extend"]
    assert ext["source"]["task_id"] == "t1" and ext["source"]["frames"] == 120
    assert ext["seconds"] == 5.0 and ext["continuation_start_frame"] == 120
    assert ext["continuation_frames"] == 120
    assert side["plan"]["workflow"] == "image2video" and side["request"]["duration"] == 5.0
    assert side["plan"]["segments"][0]["conditioning"]["start_image"].endswith(ext["start_image"])
    assert side["output"]["duration"] == pytest.approx(10.0)
    assert (art.video.parent / ext["start_image"]).exists()


def test_default_extension_and_silent_source(tmp_path):
    source = animatic_source(tmp_path, audio=False, seconds=3)
    art = extend(source.video, "More.", tier="animatic", output=tmp_path / "ext.mp4", seed=1)
    info = probe_video(art.video)
    assert info.frames == round((3 + DEFAULT_EXTEND_SECONDS) * 24)
    assert not info.has_audio and not art.has_audio


class RecordingClock(ClockEngine):
    """The clock engine, recording what each call was given."""

    seen: list[tuple] = []

    def render(self, segment, progress=no_progress, previous=None):
        RecordingClock.seen.append((segment, previous))
        return super().render(segment, progress, previous)


def test_the_engine_continues_from_the_last_frames(tmp_path, fresh_registry):
    fresh_registry.IMPLEMENTATIONS["ltx2"] = "tests.render.test_extend:RecordingClock"
    RecordingClock.seen.clear()
    source = render(
        {
            "workflow": "text2video",
            "prompt": "A clock.",
            "duration": 5,
            "resolution": "720p",
            "audio": True,
            "tier": "cinema",
            "model": "ltx2",
            "seed": 1,
        },
        output=tmp_path / "source.mp4",
        size=(64, 64),
    )
    RecordingClock.seen.clear()
    art = extend(
        source.video,
        "It keeps ticking.",
        4.0,
        tier="cinema",
        model="ltx2",
        output=tmp_path / "ext.mp4",
    )
    (segment, previous), *_ = RecordingClock.seen
    assert segment.workflow == "image2video" and (segment.width, segment.height) == (64, 64)
    assert segment.conditioning.start_image is not None
    assert segment.conditioning.start_image.exists()
    # ``previous`` is the original's last frames (at least the engine's overlap)
    n = max(CONTEXT_FRAMES, ENGINES["ltx2"].overlap_frames)
    assert previous is not None and previous.num_frames == n
    got = previous.frames.mean(axis=(1, 2, 3))
    assert np.abs(got - [level(i) for i in range(120 - n, 120)]).max() < 3
    levels = read_video(art.video).frames.mean(axis=(1, 2, 3))
    assert levels.size == 120 + 96
    assert np.abs(levels[:120] - [level(i) for i in range(120)]).max() < 3
    assert json.loads(art.sidecar.read_text())["tier"]["name"] == "cinema"


def test_a_cancelled_extension_leaves_no_video(tmp_path):
    source = animatic_source(tmp_path, seconds=3)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        extend(source.video, "More.", tier="animatic", output=tmp_path / "ext.mp4", cancel=token)
    assert not (tmp_path / "ext.mp4").exists()


def test_streaming_decoders_give_the_whole_video_in_pieces(tmp_path):
    source = animatic_source(tmp_path, seconds=3)
    batches = list(iter_frames(source.video, chunk=10))
    assert max(len(b) for b in batches) == 10 and sum(len(b) for b in batches) == 72
    whole = read_video(source.video).frames
    assert np.array_equal(np.concatenate(batches), whole)
    pieces = list(iter_audio(source.video))
    samples = np.concatenate([p.samples for p in pieces], axis=1)
    assert np.array_equal(samples, read_audio(source.video).samples)


def test_a_continuation_at_another_rate_is_retimed():
    class Sink:
        def __init__(self) -> None:
            self.fps = Fraction(48)
            self.frames: list[int] = []

        def write_frames(self, frames):
            self.frames.extend(int(f[0, 0, 0]) for f in frames)

        def write_audio(self, audio):
            pass

    sink = Sink()
    retimed = _Resampled(sink, 24)
    frames = np.arange(6, dtype=np.uint8)[:, None, None, None].repeat(3, axis=3)
    retimed.write_frames(frames[:4])
    retimed.write_frames(frames[4:])
    retimed.write_audio(Audio.silence(0.1))
    assert sink.frames == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_extension_is_priced_for_the_added_seconds_only(tmp_path):
    source = animatic_source(tmp_path, audio=False).video
    pre = preflight_extension(source, "It drifts on.", 5.0, tier="turbo")
    cost = estimate(pre.checked.request, pre.choice.tier, 5.0)
    assert pre.choice.tier.name == "turbo" and cost.credits == 15 and cost.duration == 5.0
    pre = preflight_extension(source, "It drifts on.", 5.0, tier="avatar", previz=True)
    assert "image2video" in pre.choice.tier.workflows  # avatar does not continue videos
    assert pre.plan.engine == "animatic" and (pre.plan.width, pre.plan.height) == SMALL
