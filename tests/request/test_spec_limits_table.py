"""Every limit in ``spec/limits.py`` is enforced by the checks and has a rejection test.

A new constant in ``limits.py`` fails here until it is listed: in ``LIMIT_TESTS``
(with a test that is rejected by it, and that names it) or in ``NOT_LIMITS``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from reelforge.request import check, inputs, limits, omni, rules

HERE = Path(__file__).parent

NOT_LIMITS = {
    "DEFAULT_DURATION_S": "a default (test_spec_fields.py::test_text2video_defaults)",
    "DEFAULT_ASPECT_RATIO": "a default (test_spec_fields.py::test_text2video_defaults)",
    "DEFAULT_RESOLUTION": "a default (test_spec_fields.py::test_text2video_defaults)",
    "DEFAULT_FPS": "output frame rate, used by planning",
    "AVATAR_FPS": "output frame rate, used by planning",
    "RESOLUTION_SHORT_SIDE": "pixel sizes of the resolutions, used by planning",
}

LIMIT_TESTS = {
    "IMAGE_FORMATS": "test_spec_images.py::test_format_not_accepted_lists_the_formats",
    "IMAGE_MIN_SIDE_PX": "test_spec_images.py::test_image_below_minimum_side",
    "IMAGE_MAX_BYTES": "test_spec_images.py::test_image_over_size_limit",
    "IMAGE_MAX_PIXELS": "test_spec_images.py::test_pixel_bomb_guard",
    "IMAGE_ASPECT_MIN": "test_spec_images.py::test_image_too_tall",
    "IMAGE_ASPECT_MAX": "test_spec_images.py::test_image_too_wide",
    "AUDIO_FORMATS": "test_spec_audio_video.py::test_audio_format_not_accepted",
    "AUDIO_MIN_SECONDS": "test_spec_audio_video.py::test_avatar_audio_too_short",
    "AUDIO_MAX_SECONDS": "test_spec_audio_video.py::test_avatar_audio_too_long",
    "AUDIO_MAX_BYTES": "test_spec_audio_video.py::test_audio_over_size_limit",
    "VIDEO_FORMATS": "test_spec_audio_video.py::test_video_format_not_accepted",
    "VIDEO_MAX_BYTES": "test_spec_audio_video.py::test_video_over_size_limit",
    "VIDEO_MIN_SECONDS": "test_spec_audio_video.py::test_motion_reference_too_short",
    "MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION": (
        "test_spec_audio_video.py::test_motion_reference_too_long_for_image_orientation"
    ),
    "MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION": (
        "test_spec_audio_video.py::test_motion_reference_too_long_for_video_orientation"
    ),
    "OMNI_REFERENCE_VIDEO_MAX_SECONDS": "test_spec_omni.py::test_omni_reference_video_too_long",
    "DURATION_MIN_S": "test_spec_fields.py::test_duration_under_minimum",
    "DURATION_MAX_S": "test_spec_fields.py::test_duration_over_maximum",
    "ASPECT_RATIOS": "test_spec_fields.py::test_aspect_ratio_not_offered",
    "RESOLUTIONS": "test_spec_fields.py::test_resolution_not_offered",
    "SEED_MAX": "test_spec_fields.py::test_seed_over_maximum",
    "CFG_SCALE_MIN": "test_spec_fields.py::test_cfg_scale_under_minimum",
    "CFG_SCALE_MAX": "test_spec_fields.py::test_cfg_scale_over_maximum",
    "PROMPT_MAX_CHARS": "test_spec_fields.py::test_prompt_over_limit_names_count_and_limit",
    "SHOT_PROMPT_MAX_CHARS": "test_spec_shots.py::test_shot_prompt_over_limit",
    "SHOTS_MIN": "test_spec_shots.py::test_customize_without_shots",
    "SHOTS_MAX": "test_spec_shots.py::test_too_many_shots",
    "SHOT_MIN_S": "test_spec_shots.py::test_shot_too_short",
    "DURATION_TOLERANCE_S": "test_spec_shots.py::test_shot_sum_off_by_more_than_tolerance",
    "OMNI_MAX_REFERENCES": "test_spec_omni.py::test_too_many_references",
    "OMNI_MAX_REFERENCES_WITH_VIDEO": "test_spec_omni.py::test_too_many_references_with_a_video",
    "CAMERA_AMOUNT_MIN": "test_spec_fields.py::test_camera_amount_under_minimum",
    "CAMERA_AMOUNT_MAX": "test_spec_fields.py::test_camera_amount_over_maximum",
}

CONSTANTS = sorted(name for name in vars(limits) if name.isupper())
CHECK_SOURCE = "".join(inspect.getsource(module) for module in (check, inputs, omni, rules))


def _test_source(ref: str) -> str | None:
    module, name = ref.split("::")
    tree = ast.parse((HERE / module).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment((HERE / module).read_text(), node)
    return None


@pytest.mark.parametrize("name", CONSTANTS)
def test_every_constant_is_a_tested_limit_or_listed_as_not_one(name):
    assert (name in LIMIT_TESTS) != (name in NOT_LIMITS), name


@pytest.mark.parametrize("name", sorted(LIMIT_TESTS))
def test_limit_is_enforced_and_has_a_rejection_test(name):
    assert name in CONSTANTS, f"{name} is not in limits.py"
    assert f"limits.{name}" in CHECK_SOURCE, f"no check reads limits.{name}"
    source = _test_source(LIMIT_TESTS[name])
    assert source is not None, f"{LIMIT_TESTS[name]} does not exist"
    assert f"limits.{name}" in source, f"{LIMIT_TESTS[name]} does not name limits.{name}"
