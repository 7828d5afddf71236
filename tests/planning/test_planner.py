"""The planner on awkward and long inputs: pure data in, pure data out."""

import itertools
from types import SimpleNamespace

import pytest

from reelforge.lineup import END_FRAME, TIERS
from reelforge.planning.frames import snap_frames_up
from reelforge.planning.planner import plan
from reelforge.request.models import parse_request

STORY = """Neon alley at night.
Shot 1 (3s): Wide shot of the alley. Camera: push in.
Shot 2 (4s): Mara faces Theo. [Mara: tense]: "You came back." Camera: static.
Shot 3 (3s): Close-up of a brass key. Camera: pull out."""


def checked(duration, source_aspect=None, media=None, **data):
    data.setdefault("workflow", "text2video")
    return SimpleNamespace(
        request=parse_request(data),
        duration=duration,
        source_aspect=source_aspect,
        media=media or {},
    )


def test_three_shot_script_cuts_at_3_and_7_seconds():
    p = plan(checked(10.0, prompt=STORY), TIERS["animatic"], seed=42)
    assert [s.keep_frames for s in p.segments] == [72, 96, 72]
    assert [s.start_frame for s in p.segments] == [0, 72, 168]
    assert p.cut_times == [3.0, 7.0]
    assert p.total_frames == 240 and p.fps == 24
    assert [s.camera.value for s in p.segments] == ["push_in", "static", "pull_out"]
    assert p.segments[1].dialogue[0].speaker == "Mara"
    assert all(s.transition == "cut" for s in p.segments)


def test_ltx_frames_snap_to_8k_plus_1_and_trim_back():
    p = plan(checked(10.0, prompt=STORY), TIERS["cinema"], seed=1)
    assert [s.frames for s in p.segments] == [73, 97, 73]
    assert [s.keep_frames for s in p.segments] == [72, 96, 72]
    assert (p.width, p.height) == (1920, 1080)  # the output, exactly 1080p
    assert {(s.width, s.height) for s in p.segments} == {(1920, 1088)}  # LTX-2 renders ×32
    assert any("renders 1920×1088" in n and "cropped to 1920×1080" in n for n in p.notes)
    assert any("8k+1" in n for n in p.notes)


def test_wan_frames_are_4k_plus_1():
    p = plan(
        checked(5.0, prompt="A fox runs.", audio=False, draft=True, resolution="720p"),
        TIERS["turbo"],
        seed=1,
    )
    assert all((s.frames - 1) % 4 == 0 for s in p.segments)
    assert sum(s.keep_frames for s in p.segments) == 120
    assert p.audio_source == "none"


def test_custom_shots_list_with_global_prompt():
    shots = [
        {"index": 1, "prompt": "Runner at dawn. Camera: pan left.", "duration": 2.5},
        {"index": 2, "prompt": "走る猫 🐈 under cherry blossoms", "duration": 2.5},
    ]
    p = plan(checked(5.0, prompt="Cinematic, warm light.", shots=shots), TIERS["animatic"], seed=3)
    assert [s.keep_frames for s in p.segments] == [60, 60]
    assert p.segments[1].prompt.startswith("Cinematic, warm light.")
    assert "走る猫 🐈" in p.segments[1].prompt
    assert p.segments[0].camera.value == "pan_left"


def test_rounding_never_loses_frames():
    shots = [{"index": i + 1, "prompt": f"shot {i}", "duration": 10 / 3} for i in range(3)]
    p = plan(checked(10.0, prompt="x", shots=shots), TIERS["animatic"], seed=3)
    assert sum(s.keep_frames for s in p.segments) == 240
    assert [s.keep_frames for s in p.segments] == [80, 80, 80]


def test_seeds_are_derived_and_reproducible():
    a = plan(checked(10.0, prompt=STORY), TIERS["animatic"], seed=7)
    b = plan(checked(10.0, prompt=STORY), TIERS["animatic"], seed=7)
    c = plan(checked(10.0, prompt=STORY), TIERS["animatic"], seed=8)
    assert a == b
    assert a.segments[0].seed == 7
    assert len({s.seed for s in a.segments}) == 3
    assert [s.seed for s in a.segments] != [s.seed for s in c.segments]


def test_five_minute_avatar_is_chunked_with_overlaps_and_audio_spans():
    data = {"workflow": "avatar", "image": "face.png", "audio_file": "speech.wav"}
    p = plan(checked(300.0, source_aspect=1.0, **data), TIERS["avatar"], seed=5)
    assert p.fps == 48 and p.total_frames == 14400
    assert p.audio_source == "user" and str(p.audio_path) == "speech.wav"
    segs = p.segments
    assert len(segs) > 1
    assert sum(s.keep_frames for s in segs) == 14400
    assert segs[0].overlap_frames == 0 and all(s.overlap_frames == 16 for s in segs[1:])
    assert all(s.frames <= 481 and (s.frames - 1) % 8 == 0 for s in segs)
    assert all(s.transition == "blend" for s in segs[1:])
    for prev, seg in itertools.pairwise(segs):
        assert seg.start_frame == prev.start_frame + prev.keep_frames
        span = seg.conditioning.audio_span
        assert span.start == pytest.approx((seg.start_frame - 16) / 48)
        assert span.end == pytest.approx(span.start + seg.frames / 48)
        assert seg.conditioning.character_image.name == "face.png"
        assert seg.conditioning.continue_from_previous == 16
    assert segs[-1].start_frame + segs[-1].keep_frames == 14400
    assert not any(s.audio for s in segs)  # the user's audio, not generated


def test_thirty_second_motion_follows_the_reference_in_chunks():
    info = SimpleNamespace(has_audio=True)
    data = {
        "workflow": "motion",
        "image": "c.png",
        "video": "dance.mp4",
        "character_orientation": "video",
    }
    p = plan(
        checked(30.0, source_aspect=9 / 16, media={"video": info}, **data), TIERS["motion"], seed=5
    )
    assert p.total_frames == 720 and p.audio_source == "reference"
    assert all(s.frames <= 77 and (s.frames - 1) % 4 == 0 for s in p.segments)
    assert p.segments[0].conditioning.video_span.start == 0
    assert p.segments[-1].conditioning.video_span.end >= 30.0 - 1e-9
    assert p.width < p.height  # 9:16 from the character image
    info.has_audio = False
    assert (
        plan(
            checked(30.0, source_aspect=9 / 16, media={"video": info}, **data),
            TIERS["motion"],
            seed=5,
        ).audio_source
        == "none"
    )


def test_image_to_video_conditions_first_and_last():
    data = {
        "workflow": "image2video",
        "image": "start.png",
        "end_image": "end.png",
        "prompt": STORY,
    }
    p = plan(checked(10.0, source_aspect=4 / 3, **data), TIERS["animatic"], seed=5)
    conds = [s.conditioning for s in p.segments]
    assert conds[0].start_image.name == "start.png" and conds[0].end_image is None
    assert conds[-1].end_image.name == "end.png" and conds[-1].start_image is None
    assert conds[1].start_image is None and conds[1].end_image is None
    assert p.width / p.height == pytest.approx(4 / 3, rel=0.01)


def test_turbo_end_frame_is_noted_as_experimental():
    data = {
        "workflow": "image2video",
        "image": "start.png",
        "end_image": "end.png",
        "prompt": "She turns to the window.",
        "audio": False,
        "resolution": "720p",
    }
    note = TIERS["turbo"].experimental_note(END_FRAME)
    p = plan(checked(5.0, **data), TIERS["turbo"], seed=5)
    assert p.segments[-1].conditioning.end_image is not None  # still rendered to the end image
    assert [n for n in p.notes if n.startswith("experimental")] == [note]

    def experimental(tier, engine=None, **change):
        notes = plan(checked(5.0, **{**data, **change}), TIERS[tier], seed=5, engine=engine).notes
        return [n for n in notes if "experimental" in n]

    assert experimental("turbo", end_image=None) == []  # start image only: as Wan's authors do
    assert experimental("cinema") == [] and experimental("budget") == []  # LTX keyframes
    assert experimental("turbo", engine="animatic") == []  # a previz is not rendered by Wan


def test_omni_references_keep_their_tags():
    data = {
        "workflow": "omni",
        "prompt": "<<<image_1>>> meets @Hero",
        "images": [{"path": "a.png"}, {"path": "first.png", "type": "first_frame"}],
        "elements": [{"name": "Hero", "images": ["h1.png", "h2.png"]}],
    }
    p = plan(checked(5.0, **data), TIERS["animatic"], seed=5)
    refs = p.segments[0].conditioning.references
    assert [(r.tag, r.path.name) for r in refs] == [
        ("image_1", "a.png"),
        ("element_1", "h1.png"),
        ("element_1", "h2.png"),
    ]
    assert refs[1].name == "Hero"
    assert p.segments[0].conditioning.start_image.name == "first.png"


def test_intelligence_mode_explains_its_split():
    data = {
        "prompt": 'A harbour at dusk. Ana waves to Ben. [Ana]: "Over here!" [Ben]: "Coming!"',
        "multi_shot": True,
        "shot_type": "intelligence",
    }
    p = plan(checked(8.0, **data), TIERS["animatic"], seed=5)
    assert 1 < len(p.segments) <= 6
    assert sum(s.keep_frames for s in p.segments) == 192
    assert p.notes


def test_explicit_size_and_steps_override_presets():
    p = plan(checked(3.0, prompt="x"), TIERS["cinema"], seed=1, size=(64, 32), steps=2)
    assert (p.width, p.height) == (64, 32)
    assert all(s.steps == 2 for s in p.segments)


def test_previz_uses_animatic_traits_but_keeps_the_tier():
    p = plan(checked(10.0, prompt=STORY), TIERS["cinema"], seed=1, engine="animatic")
    assert p.tier == "cinema" and p.engine == "animatic"
    assert [s.frames for s in p.segments] == [72, 96, 72]
    assert (p.width, p.height) == (1920, 1080)


@pytest.mark.parametrize("duration", [3.0, 3.3, 7.77, 15.0])
def test_single_shot_frames_cover_the_duration(duration):
    p = plan(checked(duration, prompt="Waves roll in."), TIERS["cinema"], seed=1)
    (seg,) = p.segments
    assert seg.keep_frames == round(duration * 24)
    assert seg.frames == snap_frames_up(seg.keep_frames, 8)


def test_script_preamble_reaches_every_shot():
    p = plan(checked(10.0, prompt=STORY), TIERS["animatic"], seed=1)
    assert all(s.prompt.startswith("Neon alley at night.") for s in p.segments)
    assert p.segments[2].prompt.endswith("Camera: pull out.")


def test_chunks_of_one_shot_share_its_camera_progress():
    data = {"workflow": "avatar", "image": "face.png", "audio_file": "speech.wav"}
    p = plan(checked(30.0, source_aspect=1.0, **data), TIERS["animatic"], seed=5)
    segs = p.segments
    assert len(segs) == 3
    assert segs[0].shot_progress(0) == 0.0
    assert segs[-1].shot_progress(segs[-1].frames - 1) == 1.0
    # the last frame of one chunk and the first of the next are one frame apart in the shot
    step = 1 / (p.total_frames - 1)
    assert segs[1].shot_progress(0) - segs[0].shot_progress(
        segs[0].keep_frames - 1
    ) == pytest.approx(step)
