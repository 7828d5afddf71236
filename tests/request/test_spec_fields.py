"""Request fields without files: text, duration, choices, seed, cfg_scale, camera, defaults."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request import check_request_data, limits


def t2v(**fields):
    return check_request_data({"workflow": "text2video", "prompt": "a red fox", **fields})


def rejected(**fields) -> InputError:
    with pytest.raises(InputError) as info:
        t2v(**fields)
    return info.value


# --- prompts -----------------------------------------------------------------------


def test_prompt_over_limit_names_count_and_limit():
    err = rejected(prompt="x" * 2613)
    assert err.field == "prompt"
    assert err.value == 2613 and err.limit == limits.PROMPT_MAX_CHARS
    assert str(err) == "prompt: 2,613 characters is more than the 2,500-character limit"


def test_prompt_at_limit_is_accepted():
    assert len(t2v(prompt="x" * limits.PROMPT_MAX_CHARS).request.prompt) == 2500


def test_negative_prompt_over_limit():
    err = rejected(negative_prompt="y" * 2501)
    assert err.field == "negative_prompt"
    assert "2,501 characters" in str(err) and "2,500-character limit" in str(err)


def test_text2video_needs_a_prompt():
    err = rejected(prompt="  ")
    assert err.field == "prompt" and "needs a prompt" in str(err)


# --- duration ----------------------------------------------------------------------


def test_duration_over_maximum():
    err = rejected(duration=20)
    assert err.field == "duration" and err.value == 20 and err.limit == limits.DURATION_MAX_S
    assert str(err) == "duration: 20 s is more than the 15 s maximum"


def test_duration_under_minimum():
    err = rejected(duration=2.5)
    assert err.limit == limits.DURATION_MIN_S
    assert str(err) == "duration: 2.5 s is less than the 3 s minimum"


def test_duration_a_hair_over_reads_differently_from_the_limit():
    assert "15.000001 s is more than the 15 s maximum" in str(rejected(duration=15.000001))


def test_duration_nan_is_rejected():
    assert rejected(duration=float("nan")).field == "duration"


@pytest.mark.parametrize("duration", [limits.DURATION_MIN_S, limits.DURATION_MAX_S])
def test_duration_bounds_are_accepted(duration):
    assert t2v(duration=duration).duration == duration


def test_text2video_defaults():
    checked = t2v()
    assert checked.duration == limits.DEFAULT_DURATION_S
    assert checked.request.duration == limits.DEFAULT_DURATION_S
    assert checked.request.aspect_ratio == limits.DEFAULT_ASPECT_RATIO == "16:9"
    assert checked.request.resolution == limits.DEFAULT_RESOLUTION
    assert checked.source_aspect is None and checked.media == {}


# --- choices -----------------------------------------------------------------------


def test_aspect_ratio_not_offered():
    err = rejected(aspect_ratio="4:3")
    assert err.field == "aspect_ratio" and err.value == "4:3"
    assert err.limit == limits.ASPECT_RATIOS
    assert "'4:3' is not one of '16:9', '9:16' or '1:1'" in str(err)


def test_resolution_not_offered():
    err = rejected(resolution="8k")
    assert err.field == "resolution" and err.limit == limits.RESOLUTIONS
    assert "'8k'" in str(err) and "'720p', '1080p' or '4k'" in str(err)


def test_resolution_is_matched_without_case():
    assert t2v(resolution="4K").request.resolution == "4k"


@pytest.mark.parametrize("aspect", limits.ASPECT_RATIOS)
def test_every_aspect_ratio_is_accepted(aspect):
    assert t2v(aspect_ratio=aspect).request.aspect_ratio == aspect


# --- seed and cfg_scale -------------------------------------------------------------


def test_seed_over_maximum():
    err = rejected(seed=limits.SEED_MAX + 1)
    assert err.field == "seed" and err.limit == limits.SEED_MAX
    assert str(err) == "seed: 4,294,967,296 is more than the 4,294,967,295 maximum"


def test_negative_seed():
    err = rejected(seed=-1)
    assert err.field == "seed" and err.limit == 0 and "-1 is less than the 0 minimum" in str(err)


@pytest.mark.parametrize("seed", [0, limits.SEED_MAX])
def test_seed_bounds_are_accepted(seed):
    assert t2v(seed=seed).request.seed == seed


def test_cfg_scale_over_maximum():
    err = rejected(cfg_scale=1.5)
    assert err.field == "cfg_scale" and err.limit == limits.CFG_SCALE_MAX
    assert str(err) == "cfg_scale: 1.5 is more than the 1 maximum"


def test_cfg_scale_under_minimum():
    err = rejected(cfg_scale=-0.25)
    assert err.limit == limits.CFG_SCALE_MIN
    assert str(err) == "cfg_scale: -0.25 is less than the 0 minimum"


@pytest.mark.parametrize("cfg", [limits.CFG_SCALE_MIN, limits.CFG_SCALE_MAX])
def test_cfg_scale_bounds_are_accepted(cfg):
    assert t2v(cfg_scale=cfg).request.cfg_scale == cfg


# --- camera ------------------------------------------------------------------------


def test_camera_amount_over_maximum():
    err = rejected(camera={"type": "simple", "zoom": 12})
    assert err.field == "camera.zoom" and err.value == 12 and err.limit == limits.CAMERA_AMOUNT_MAX
    assert str(err) == "camera.zoom: 12 is more than the 10 maximum"


def test_camera_amount_under_minimum():
    err = rejected(camera={"type": "simple", "pan": -10.5})
    assert err.field == "camera.pan" and err.limit == limits.CAMERA_AMOUNT_MIN
    assert "-10.5 is less than the -10 minimum" in str(err)


@pytest.mark.parametrize("amount", [limits.CAMERA_AMOUNT_MIN, limits.CAMERA_AMOUNT_MAX])
def test_camera_amount_bounds_are_accepted(amount):
    assert t2v(camera={"type": "simple", "tilt": amount}).request.camera.tilt == amount


def test_simple_camera_needs_exactly_one_axis():
    err = rejected(camera={"type": "simple", "pan": 3, "zoom": 2})
    assert err.field == "camera" and "exactly one non-zero" in str(err)
    assert "got pan and zoom" in str(err)
    assert "all are 0" in str(rejected(camera={"type": "simple"}))


def test_preset_camera_takes_no_amounts():
    err = rejected(camera={"type": "down_back", "roll": 1})
    assert err.field == "camera.roll" and "'down_back' takes no amounts" in str(err)
    assert t2v(camera={"type": "forward_up"}).request.camera.type == "forward_up"


def test_parse_errors_are_input_errors():
    with pytest.raises(InputError) as info:
        check_request_data({"workflow": "text2video", "prompt": "x", "bogus": 1})
    assert info.value.field == "bogus"
