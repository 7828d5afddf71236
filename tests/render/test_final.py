"""4K finals: the final's request is the draft's with its seed and tier at 4K, and the
planner makes the same plan of it (shots, segments, frames, seeds): only the size differs."""

from __future__ import annotations

import json

import pytest

from reelforge.errors import InputError
from reelforge.lineup import select
from reelforge.planning.planner import plan
from reelforge.render.final import check_final, final_note, final_request, read_draft
from reelforge.render.runner import prepare
from reelforge.request.check import check_request
from reelforge.request.models import parse_request

from .conftest import write_image, write_wav

STORY = "A harbour at dawn.\nShot 1 (2s): boats rock. Camera: static.\nShot 2 (3s): a gull lands. Camera: pan left."


def _drafts(tmp_path) -> dict[str, dict]:
    start = write_image(tmp_path / "start.png", (640, 360))
    end = write_image(tmp_path / "end.png", (640, 360), (20, 200, 90))
    return {
        "story": {"workflow": "text2video", "prompt": STORY, "resolution": "720p", "audio": True},
        "shots": {
            "workflow": "text2video",
            "prompt": "Rain on a window.",
            "resolution": "1080p",
            "multi_shot": True,
            "shots": [
                {"index": 1, "prompt": "Drops run down the glass.", "duration": 4},
                {"index": 2, "prompt": "A hand wipes it clear. Camera: push in.", "duration": 6},
            ],
            "duration": 10,
            "aspect_ratio": "9:16",
            "tier": "kling-v3",
        },
        "i2v": {
            "workflow": "image2video",
            "prompt": "The light turns green. Camera: zoom in.",
            "image": str(start),
            "end_image": str(end),
            "resolution": "720p",
            "duration": 4,
            "audio": False,
            "negative_prompt": "blur",
            "cfg_scale": 0.4,
        },
    }


def _checked(request: dict):
    checked = check_request(parse_request(request))
    return checked, select(checked.request, checked.duration)


def _sizeless(rendered) -> dict:
    """A plan as JSON without width and height, and without the notes about the size the
    engine renders (what may differ between a draft and its final)."""
    data = rendered.model_dump(mode="json")
    for key in ("width", "height"):
        data.pop(key)
        for seg in data["segments"]:
            seg.pop(key)
    data["notes"] = [n for n in data["notes"] if "cropped to" not in n]
    return data


@pytest.mark.parametrize("name", ["story", "shots", "i2v"])
def test_the_final_is_the_drafts_request_with_its_seed_at_4k(tmp_path, name):
    draft = _drafts(tmp_path)[name]
    checked, choice = _checked(draft)
    recorded = checked.request.model_dump(mode="json")  # as the draft's sidecar has it
    final = final_request(recorded, 1234)
    assert final == {**recorded, "seed": 1234, "tier": choice.tier.name, "resolution": "4k"}
    assert recorded["resolution"] != "4k" and recorded["seed"] is None  # not changed in place
    assert final_request(recorded, 1234, tier=choice.tier.name) == final


@pytest.mark.parametrize("name", ["story", "shots", "i2v"])
@pytest.mark.parametrize("engine", [None, "animatic"])
def test_the_finals_plan_is_the_drafts_but_for_its_size(tmp_path, name, engine):
    draft = _drafts(tmp_path)[name]
    checked, choice = _checked(draft)
    final = final_request(checked.request.model_dump(mode="json"), 77, tier=choice.tier.name)
    checked_final, choice_final = _checked(final)
    assert choice_final.tier == choice.tier
    small = plan(checked, choice.tier, seed=77, engine=engine)
    big = plan(checked_final, choice_final.tier, seed=77, engine=engine)
    assert min(big.width, big.height) >= 2160 > min(small.width, small.height)
    assert sorted((big.width, big.height)) == [
        2160,
        3840,
    ]  # exactly 4K out, whatever the engine's step
    assert all((s.width, s.height) >= (big.width, big.height) for s in big.segments)
    assert _sizeless(big) == _sizeless(small)
    assert [s.seed for s in big.segments] == [s.seed for s in small.segments]


def test_prepare_plans_a_previz_final_like_its_draft(tmp_path):
    """Through the runner's own steps (check, tier, plan, engine), as a render does."""
    draft = _drafts(tmp_path)["story"]
    job = prepare({**draft, "seed": 5}, previz=True)
    final = final_request(
        job.checked.request.model_dump(mode="json"), job.plan.seed, tier=job.choice.tier.name
    )
    again = prepare(final, previz=True)
    assert (job.plan.width, job.plan.height) == (1280, 720)
    assert (again.plan.width, again.plan.height) == (3840, 2160)
    assert again.plan.engine == job.plan.engine == "animatic" and again.plan.tier == "cinema"
    assert _sizeless(again.plan) == _sizeless(job.plan)


def test_a_long_avatar_is_chunked_the_same_at_4k(tmp_path):
    face = write_image(tmp_path / "face.png", (512, 512))
    voice = write_wav(tmp_path / "voice.wav", 26.0)
    draft = {
        "workflow": "avatar",
        "image": str(face),
        "audio_file": str(voice),
        "resolution": "720p",
        "tier": "animatic",
        "seed": 3,
    }
    job = prepare(draft, previz=True)
    assert len(job.plan.segments) > 1  # chunked at quiet points of the audio
    again = prepare(final_request(job.checked.request.model_dump(mode="json"), 3), previz=True)
    assert (again.plan.width, again.plan.height) == (2160, 2160)
    assert _sizeless(again.plan) == _sizeless(job.plan)


@pytest.mark.parametrize(
    ("draft", "tier", "words"),
    [
        (
            {"workflow": "text2video", "prompt": "x", "resolution": "4k"},
            None,
            "resolution: the draft is already 4k",
        ),
        (
            {"workflow": "text2video", "prompt": "x", "resolution": "720p"},
            "turbo",
            "resolution: the draft's tier 'turbo' renders 720p only, so it has no 4k final "
            "(tiers with 4k text2video: cinema, animatic)",
        ),
        # the guide's choice for a silent draft is turbo: the final keeps it, and is refused
        (
            {
                "workflow": "text2video",
                "prompt": "x",
                "resolution": "720p",
                "draft": True,
                "audio": False,
            },
            None,
            "the draft's tier 'turbo' renders 720p only",
        ),
        (
            {"workflow": "text2video", "prompt": "x", "resolution": "1080p", "tier": "kling-v2-6"},
            None,
            "the draft's tier 'budget' renders 720p, 1080p only",
        ),
        (
            {"workflow": "avatar", "prompt": "", "resolution": "720p"},
            "avatar",
            "the draft's tier 'avatar' renders 720p, 1080p only, so it has no 4k final "
            "(tiers with 4k avatar: animatic)",
        ),
        (
            {"workflow": "extend", "prompt": "more"},
            "cinema",
            "a video-extend result cannot be re-rendered as a final",
        ),
    ],
)
def test_refusals_name_the_field_the_tier_and_its_resolutions(draft, tier, words):
    with pytest.raises(InputError) as caught:
        final_request(draft, 1, tier=tier)
    assert words in str(caught.value)
    with pytest.raises(InputError) as caught:
        check_final(draft, tier=tier, field="task_id")
    assert caught.value.field == "task_id"


def test_bad_seed_and_resolution_are_refused():
    draft = {"workflow": "text2video", "prompt": "x", "resolution": "720p", "tier": "cinema"}
    with pytest.raises(InputError, match="seed"):
        final_request(draft, -1)
    with pytest.raises(InputError, match="seed"):
        final_request(draft, True)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'8k' is not a resolution"):
        final_request(draft, 1, resolution="8k")
    assert final_request(draft, 1, resolution="1080p")["resolution"] == "1080p"


def test_read_draft_takes_the_sidecar_or_the_video_beside_it(tmp_path):
    sidecar = {
        "previz": True,
        "request": {"workflow": "text2video", "prompt": "x", "resolution": "720p", "seed": None},
        "tier": {"name": "cinema", "reasons": []},
        "plan": {"tier": "cinema"},
        "seeds": {"task": 42, "segments": [42]},
        "output": {"width": 1280, "height": 720},
    }
    (tmp_path / "d.json").write_text(json.dumps(sidecar))
    for given in ("d.json", "d.mp4"):
        draft = read_draft(tmp_path / given)
        assert (draft.seed, draft.tier, draft.previz, draft.resolution) == (
            42,
            "cinema",
            True,
            "720p",
        )
        assert (draft.width, draft.height) == (1280, 720) and draft.sidecar == tmp_path / "d.json"
    assert final_note(draft)["final"]["seed"] == 42

    with pytest.raises(InputError, match="no sidecar"):
        read_draft(tmp_path / "missing.mp4")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputError, match="not a reelforge render's sidecar"):
        read_draft(tmp_path / "bad.json")
    (tmp_path / "ext.json").write_text(json.dumps({**sidecar, "extend": {"seconds": 5}}))
    with pytest.raises(InputError, match="video-extend result"):
        check_final(read_draft(tmp_path / "ext.json").request, tier="cinema")
