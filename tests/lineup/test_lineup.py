import dataclasses
import re

import pytest

from reelforge.errors import InputError
from reelforge.lineup import (
    END_FRAME,
    TIERS,
    estimate,
    resolve_tier,
    select,
    with_default_resolution,
)
from reelforge.request.models import parse_request


def req(**kw):
    kw.setdefault("workflow", "text2video")
    return parse_request(kw)


@pytest.mark.parametrize(
    ("data", "tier"),
    [
        ({"workflow": "omni", "video": {"path": "ref.mp4"}}, "omni"),
        ({"workflow": "omni", "images": [{"path": "a.png"}]}, "omni"),
        ({"workflow": "motion", "image": "a.png", "video": "b.mp4"}, "motion"),
        ({"workflow": "avatar", "image": "a.png", "audio_file": "a.wav"}, "avatar"),
        ({"audio": True}, "cinema"),
        ({"audio": False, "shots": [{"index": 1, "prompt": "a", "duration": 5}]}, "cinema"),
        ({"audio": False, "draft": True, "resolution": "720p"}, "turbo"),
        ({"audio": False, "draft": True, "resolution": "1080p"}, "budget"),
        ({"audio": True, "draft": True}, "budget"),
        ({"audio": False}, "cinema"),
        (
            {
                "workflow": "image2video",
                "image": "a.png",
                "audio": False,
                "draft": True,
                "resolution": "720p",
            },
            "turbo",
        ),
    ],
)
def test_selection_guide(data, tier):
    choice = select(req(**data), 5.0)
    assert choice.tier.name == tier
    assert choice.reasons and all(isinstance(r, str) and r for r in choice.reasons)


def test_guide_explains_4k():
    choice = select(req(resolution="4k", audio=False), 5.0)
    assert choice.tier.name == "cinema"
    assert any("4K" in r for r in choice.reasons)


@pytest.mark.parametrize(
    ("model", "workflow", "tier"),
    [
        ("kling-v3", "text2video", "cinema"),
        ("kling-v3-omni", "omni", "omni"),
        ("kling-v2-6", "text2video", "budget"),
        ("kling-v2-6", "motion", "motion"),
        ("kling-v2-5-turbo", "image2video", "turbo"),
        ("KLING-V3", "text2video", "cinema"),
        ("animatic", "avatar", "animatic"),
    ],
)
def test_kling_model_names_map_onto_tiers(model, workflow, tier):
    assert resolve_tier(model, workflow).name == tier


def test_unknown_model_names_the_known_ones():
    with pytest.raises(InputError) as err:
        resolve_tier("kling-v9")
    assert err.value.field == "tier" and "kling-v9" in str(err.value) and "cinema" in str(err.value)


def test_explicit_tier_is_checked_not_chosen():
    with pytest.raises(InputError) as err:
        select(req(tier="turbo", duration=12), 12.0)
    assert err.value.field == "duration" and "12 s" in str(err.value) and "10 s" in str(err.value)
    with pytest.raises(InputError) as err:
        select(req(tier="turbo", resolution="1080p"), 5.0)
    assert (
        err.value.field == "resolution" and "1080p" in str(err.value) and "720p" in str(err.value)
    )
    with pytest.raises(InputError) as err:
        select(
            parse_request(
                {"workflow": "avatar", "image": "a.png", "audio_file": "a.wav", "tier": "turbo"}
            ),
            5.0,
        )
    assert err.value.field == "tier" and "avatar" in str(err.value)
    with pytest.raises(InputError) as err:
        select(req(tier="budget", shots=[{"index": 1, "prompt": "a", "duration": 5}]), 5.0)
    assert err.value.field == "multi_shot"


def test_animatic_takes_any_length():
    choice = select(
        parse_request(
            {"workflow": "avatar", "image": "a.png", "audio_file": "a.wav", "tier": "animatic"}
        ),
        300.0,
    )
    assert choice.tier.name == "animatic"


@pytest.mark.parametrize(
    ("tier", "resolution", "audio", "duration", "credits"),
    [
        ("cinema", "720p", False, 5, 30),
        ("cinema", "1080p", False, 5, 40),
        ("cinema", "1080p", True, 5, 60),
        ("cinema", "4k", True, 5, 150),
        ("turbo", "720p", True, 10, 30),  # turbo has no audio: the silent price
        ("avatar", "1080p", True, 60, 480),
        ("animatic", "1080p", True, 15, 0),
        ("cinema", "720p", True, 3.5, 32),  # 31.5 rounds up
    ],
)
def test_estimate_follows_the_price_table(tier, resolution, audio, duration, credits):
    request = req(resolution=resolution, audio=audio)
    est = estimate(request, TIERS[tier], duration)
    assert est.credits == credits
    assert est.seconds > 0 and est.hardware


def test_every_tier_prices_every_resolution_it_offers():
    for tier in TIERS.values():
        assert set(tier.resolutions) <= set(tier.prices), tier.name
        assert set(tier.speed) == set(tier.resolutions), tier.name
        assert tier.engine


def test_every_tier_defaults_to_a_resolution_it_offers_and_prices():
    for tier in TIERS.values():
        assert (
            tier.default_resolution in tier.resolutions and tier.default_resolution in tier.prices
        )
    assert TIERS["turbo"].default_resolution == "720p"


@pytest.mark.parametrize(
    ("data", "resolution"),
    [
        ({"tier": "turbo"}, "720p"),
        ({"tier": "kling-v2-5-turbo", "resolution": None}, "720p"),
        ({"tier": "cinema"}, "1080p"),
        ({"tier": "turbo", "resolution": "1080p"}, "1080p"),  # named: kept (and refused later)
        ({"draft": True, "audio": False}, "720p"),  # the guide's silent draft: turbo
        ({"draft": True, "audio": True}, "1080p"),  # a draft with sound: budget
        ({"audio": False}, "1080p"),  # cinema
        ({"workflow": "motion", "image": "a.png", "video": "b.mp4"}, "1080p"),
    ],
)
def test_a_request_without_resolution_gets_its_tiers_default(data, resolution):
    filled = with_default_resolution({"workflow": "text2video", **data})
    assert filled["resolution"] == resolution
    if "resolution" not in data:
        request = parse_request(filled)
        assert select(request, 5.0).tier.default_resolution == resolution


def test_turbo_end_frame_is_experimental_with_its_reason():
    turbo = TIERS["turbo"]
    reason = turbo.experimental[END_FRAME]
    assert "TI2V-5B" in reason and "last latent frame" in reason and "last 4 frames" in reason
    assert [t.name for t in TIERS.values() if t.experimental] == ["turbo"]
    note = turbo.experimental_note(END_FRAME)
    assert note.startswith("experimental on the turbo tier: end frame") and note.endswith(reason)
    assert TIERS["cinema"].experimental_note(END_FRAME) is None
    # the tiers the reason sends a user to take end frames, and not experimentally
    named = {t.name for t in TIERS.values() if re.search(rf"\b{t.name}\b", reason)} - {"turbo"}
    assert named == {"cinema", "budget"}
    for name in named:
        assert TIERS[name].offers(END_FRAME) and END_FRAME not in TIERS[name].experimental
    assert {t.name for t in TIERS.values() if t.offers(END_FRAME)} == {
        "cinema",
        "omni",
        "budget",
        "turbo",
        "animatic",
    }


@pytest.mark.parametrize(("tier", "feature"), [("motion", END_FRAME), ("turbo", "camera_orbit")])
def test_experimental_names_only_a_feature_the_tier_offers(tier, feature):
    with pytest.raises(ValueError, match=f"experimental '{feature}' is not a feature it offers"):
        dataclasses.replace(TIERS[tier], experimental={feature: "because"})
