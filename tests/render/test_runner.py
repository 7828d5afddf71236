"""The runner with a test engine: chunk joins, trimming, sound, progress, cancel, failure."""

import json

import numpy as np
import pytest

from reelforge.errors import Cancelled, EngineUnavailable, InputError, NonFiniteOutput
from reelforge.media.decode import read_audio, read_video
from reelforge.media.probe import probe_video
from reelforge.render.progress import CancelToken
from reelforge.render.runner import render
from tests.wav import write_pcm16

from .clock_engine import CALLS, level
from .conftest import write_image, write_wav


@pytest.fixture
def clock(fresh_registry):
    fresh_registry.IMPLEMENTATIONS["ltx2"] = "tests.render.clock_engine:ClockEngine"
    CALLS.clear()
    return CALLS


def avatar_request(tmp_path, seconds):
    return {
        "workflow": "avatar",
        "image": str(write_image(tmp_path / "face.png")),
        "audio_file": str(write_wav(tmp_path / "speech.wav", seconds)),
        "resolution": "720p",
        "seed": 11,
    }


def test_chunked_avatar_joins_without_dropped_or_repeated_frames(tmp_path, clock):
    art = render(avatar_request(tmp_path, 12.0), output=tmp_path / "out", size=(64, 64))
    info = probe_video(art.video)
    assert info.frames == 576 and info.fps == 48 and (info.width, info.height) == (64, 64)
    assert abs(info.audio_duration - info.duration) <= 1 / 48
    assert len(clock) == 2 and clock[1].overlap_frames == 16
    assert clock[0].frames > clock[0].keep_frames  # 8k+1 snapping, trimmed back
    levels = read_video(art.video).frames[:, 8:56, 8:56].mean(axis=(1, 2, 3))
    expected = np.array([level(i) for i in range(576)])
    assert np.abs(levels - expected).max() < 4


def test_avatar_output_sound_is_the_users_audio(tmp_path, clock):
    request = avatar_request(tmp_path, 6.0)
    art = render(request, output=tmp_path / "out", size=(64, 64))
    got = read_audio(art.video).samples[0]
    want = read_audio(request["audio_file"]).samples[0]
    n = min(len(got), len(want))
    # AAC delays by its priming; compare with the best lag within 50 ms
    best = max(np.corrcoef(got[lag:n], want[: n - lag])[0, 1] for lag in range(0, 2400, 16))
    assert best > 0.98


def test_sidecar_poster_and_progress(tmp_path, clock):
    events = []
    art = render(
        avatar_request(tmp_path, 4.0),
        output=tmp_path / "out",
        size=(64, 64),
        progress=events.append,
    )
    sidecar = json.loads(art.sidecar.read_text())
    assert sidecar["plan"]["tier"] == "avatar" and sidecar["seeds"]["task"] == 11
    assert sidecar["request"]["workflow"] == "avatar"
    assert {"check", "plan", "load", "render"} <= set(sidecar["timings"])
    assert sidecar["output"]["duration"] == pytest.approx(4.0)
    assert art.poster.stat().st_size > 0
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert events[-1].stage == "done"
    assert any(e.stage == "render" and e.steps == 2 for e in events)


def test_cancel_leaves_nothing_behind(tmp_path, clock):
    token = CancelToken()

    def cancel_on_first_step(event):
        if event.stage == "render" and event.step == 1:
            token.cancel()

    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        render(
            avatar_request(tmp_path, 12.0),
            output=out,
            size=(64, 64),
            progress=cancel_on_first_step,
            cancel=token,
        )
    assert list(out.iterdir()) == []


def test_engine_failure_leaves_nothing_behind(tmp_path, fresh_registry):
    fresh_registry.IMPLEMENTATIONS["ltx2"] = "tests.render.clock_engine:BrokenEngine"
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="GPU fell off"):
        render(avatar_request(tmp_path, 12.0), output=out, size=(64, 64))
    assert list(out.iterdir()) == []


def test_a_non_finite_engine_output_fails_the_render_by_name(tmp_path, fresh_registry):
    fresh_registry.IMPLEMENTATIONS["ltx2"] = "tests.render.clock_engine:DivergingEngine"
    out = tmp_path / "out"
    with pytest.raises(NonFiniteOutput, match="video holds .* NaN or infinite values"):
        render(avatar_request(tmp_path, 12.0), output=out, size=(64, 64))
    assert list(out.iterdir()) == []


def test_tier_without_engine_points_to_the_animatic(tmp_path):
    with pytest.raises(EngineUnavailable) as err:
        render({"workflow": "text2video", "prompt": "a fox", "tier": "cinema"}, output=tmp_path)
    msg = str(err.value)
    assert "--tier animatic" in msg and "Lightricks/LTX-2" in msg and "cinema" in msg


def test_bad_input_is_rejected_before_any_work(tmp_path, clock):
    with pytest.raises(InputError) as err:
        render(
            {"workflow": "text2video", "prompt": "x", "duration": 20, "tier": "animatic"},
            output=tmp_path / "o",
        )
    assert err.value.field == "duration"
    assert not (tmp_path / "o").exists() and clock == []


def test_avatar_windows_cut_in_the_users_pause_and_audio_is_read_once(tmp_path, clock, monkeypatch):

    from reelforge.planning import preflight
    from reelforge.render import runner

    rate = 48_000
    t = np.arange(12 * rate) / rate
    tone = 0.4 * np.sin(2 * np.pi * 330.0 * t)
    tone[int(8.6 * rate) : int(9.2 * rate)] = 0.0  # the only pause near the 10 s window
    pcm = (np.stack([tone, tone], axis=1) * 32767).astype("<i2")
    path = write_pcm16(tmp_path / "paused.wav", pcm, rate)
    request = avatar_request(tmp_path, 1.0) | {"audio_file": str(path)}
    reads = []
    real_read = runner.read_audio
    for module in (runner, preflight):  # planning reads it, the sound track reuses it
        monkeypatch.setattr(
            module, "read_audio", lambda *a, **k: reads.append(a) or real_read(*a, **k)
        )
    art = render(request, output=tmp_path / "out", size=(64, 64))
    assert len(reads) == 1
    assert len(clock) == 2
    cut = clock[1].start_frame
    assert 8.6 * 48 <= cut - 16 and cut < 9.2 * 48  # blend and cut inside the pause
    notes = json.loads(art.sidecar.read_text())["plan"]["notes"]
    assert any(f"windows cut at quiet points: {cut / 48:.1f} s" in n for n in notes)
