"""A 4-shot storyboard in one task: cuts exactly at the shot boundaries, sound continuous
across them, and shots 2–4 conditioned on shot 1's key frame (in the plan and in the calls)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import reelforge
from reelforge.lineup.tiers import TIERS
from reelforge.media.decode import read_audio, read_video
from reelforge.media.probe import probe_video
from reelforge.planning.planner import key_frame_of, plan
from reelforge.request.check import check_request
from reelforge.request.models import parse_request
from reelforge.testing.cuts import detect_cuts

from . import recording_engine
from .conftest import write_image, write_wav

SHOTS = [
    (
        'A fox in a red coat stands on a wooden pier at dawn. Camera: slow push in. [Fox: calm]: "Morning, sea."',
        2,
    ),
    ('Close-up: the fox narrows its eyes at the sea. [Fox: curious]: "Where is that boat?"', 3),
    ('A gull lands on a post beside the fox. [Gull: dry]: "Late again."', 2),
    ('Wide shot: the fox waves as the boat leaves the harbour. [Fox: warm]: "Goodbye!"', 3),
]
FPS = 24


def storyboard(**extra) -> dict:
    return {
        "workflow": "text2video",
        "tier": "cinema",
        "seed": 11,
        "duration": sum(d for _, d in SHOTS),
        "resolution": "720p",
        "audio": True,
        "prompt": "A cartoon fox in a harbour town.",
        "shots": [{"index": i, "prompt": p, "duration": d} for i, (p, d) in enumerate(SHOTS, 1)],
        **extra,
    }


def planned(request: dict, tier: str = "cinema", engine: str | None = None):
    checked = check_request(parse_request(request))
    return plan(checked, TIERS[tier], seed=request.get("seed", 1), engine=engine)


def test_the_plan_conditions_shots_2_to_4_on_shot_1s_key_frame():
    p = planned(storyboard())
    key = key_frame_of(0, SHOTS[0][1] * FPS)
    assert key == FPS  # the middle of the 2 s first shot
    by_shot = {s.shot_index: s.conditioning.anchor for s in p.segments}
    assert by_shot[1] is None
    for shot in (2, 3, 4):
        anchor = by_shot[shot]
        assert (anchor.shot, anchor.frame, anchor.image) == (1, key, None)
    assert any("shot 1's key frame" in n and f"frame {key}" in n for n in p.notes)


def test_user_elements_condition_omni_shots_instead_of_the_key_frame(tmp_path):
    hero = write_image(tmp_path / "hero.png")
    request = {
        "workflow": "omni",
        "tier": "omni",
        "seed": 3,
        "duration": 6,
        "prompt": "@Hero crosses the market.",
        "shots": [
            {"index": 1, "prompt": "@Hero walks in.", "duration": 3},
            {"index": 2, "prompt": "@Hero buys bread.", "duration": 3},
        ],
        "elements": [{"name": "Hero", "images": [str(hero)], "description": "a knight"}],
    }
    p = planned(request, tier="omni")
    assert all(s.conditioning.anchor is None for s in p.segments)
    assert all(s.conditioning.references for s in p.segments)
    assert any("user's references and elements" in n for n in p.notes)


def test_an_engine_without_reference_input_says_so_in_the_notes():
    p = planned(storyboard(), engine="wan")  # Wan 2.2 TI2V: first frame only
    assert all(s.conditioning.anchor is None for s in p.segments)
    assert any("takes no reference picture" in n for n in p.notes)


def test_avatar_windows_after_the_first_are_anchored_on_the_picture(tmp_path):
    face = write_image(tmp_path / "face.png")
    voice = write_wav(tmp_path / "voice.wav", 25.0)
    request = {
        "workflow": "avatar",
        "tier": "avatar",
        "seed": 2,
        "image": str(face),
        "audio_file": str(voice),
    }
    p = planned(request, tier="avatar")
    assert len(p.segments) >= 3
    assert p.segments[0].conditioning.anchor is None
    assert all(s.conditioning.anchor.image == face for s in p.segments[1:])


@pytest.fixture
def recording(fresh_registry):
    fresh_registry.IMPLEMENTATIONS["animatic"] = "tests.render.recording_engine:RecordingAnimatic"
    recording_engine.CALLS.clear()
    yield recording_engine.CALLS
    recording_engine.CALLS.clear()


def test_four_shot_storyboard_cuts_sound_and_conditioning(tmp_path, recording):
    art = reelforge.render(
        storyboard(), previz=True, size=(320, 180), output=tmp_path / "board.mp4"
    )
    side = json.loads(art.sidecar.read_text())
    segments = side["plan"]["segments"]
    starts = [s["start"] for s in segments if s["kind"] == "shot" and s["index"] > 0]
    assert starts == [2.0, 5.0, 7.0]

    # Cuts measured from the decoded frames, exactly where the plan put them.
    clip = read_video(art.video)
    assert clip.num_frames == 10 * FPS
    assert detect_cuts(clip.frames, FPS) == pytest.approx(starts, abs=1 / FPS / 2)

    # Sound runs the whole video, each shot's sound starting exactly at its cut: the
    # decoded track is the shots' own sound laid end to end, with no gap or slip.
    info = probe_video(art.video)
    sound = read_audio(art.video)
    assert info.has_audio and abs(sound.duration - info.duration) <= 1 / FPS
    laid = np.concatenate(
        [c.clip.audio.fit(c.segment.keep_frames / FPS).samples for c in recording], axis=1
    )
    n = min(laid.shape[1], sound.num_samples)
    assert np.abs(laid).max() > 0.05  # spoken lines, not silence
    assert np.corrcoef(laid[:, :n].mean(0), sound.samples[:, :n].mean(0))[0, 1] >= 0.99

    # The engine calls: shots 2–4 got shot 1's key frame, exactly as shot 1 rendered it.
    assert [c.segment.shot_index for c in recording] == [1, 2, 3, 4]
    first = recording[0]
    key = segments[1]["conditioning"]["anchor"]["frame"]
    key_pixels = first.clip.frames[first.segment.overlap_frames + key - first.segment.start_frame]
    assert first.anchor is None
    neighbours = first.clip.frames[key - 1 : key + 2].astype(int)
    assert np.abs(np.diff(neighbours, axis=0)).mean() > 0.1  # the push-in moves every frame
    for call in recording[1:]:
        anchor = call.segment.conditioning.anchor
        assert (anchor.shot, anchor.frame) == (1, key)
        np.testing.assert_array_equal(call.anchor, key_pixels)
    # ...which is the output's frame at that time (after H.264).
    assert np.abs(clip.frames[key].astype(int) - key_pixels).mean() < 3
    # The key frames lived only as long as the render.
    assert not recording[1].segment.conditioning.anchor.image.exists()
