"""Omni: reference counts, frame roles, elements, the reference video and prompt tags."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request import check_request_data, limits


@pytest.fixture
def picture(files):
    """One accepted image, shared by every reference of a test."""
    return str(files.image(400, 300))


def omni(prompt="the fox runs", **fields):
    return check_request_data({"workflow": "omni", "prompt": prompt, **fields})


def rejected(prompt="the fox runs", **fields) -> InputError:
    with pytest.raises(InputError) as info:
        omni(prompt, **fields)
    return info.value


def images(path, n, kind="reference"):
    return [{"path": path, "type": kind} for _ in range(n)]


def elements(path, *names):
    return [{"name": name, "images": [path, path]} for name in names]


def test_media_keys_and_defaults(files, picture):
    video = str(files.video(3))
    checked = omni(
        images=images(picture, 2), elements=elements(picture, "Fox"), video={"path": video}
    )
    assert set(checked.media) == {
        "images[0].path",
        "images[1].path",
        "elements[0].images[0]",
        "elements[0].images[1]",
        "video.path",
    }
    assert checked.duration == limits.DEFAULT_DURATION_S
    assert checked.request.aspect_ratio == "16:9" and checked.source_aspect is None


def test_first_frame_sets_the_source_aspect(files, picture):
    start = str(files.image(300, 600))
    checked = omni(images=[{"path": start, "type": "first_frame"}, *images(picture, 1)])
    assert checked.source_aspect == 0.5 and checked.request.aspect_ratio is None


# --- how many references --------------------------------------------------------------


def test_references_at_maximum_are_accepted(picture):
    checked = omni(images=images(picture, 5), elements=elements(picture, "A", "B"))
    assert len(checked.media) == 5 + 2 * 2  # seven references: 5 images + 2 elements


def test_too_many_references(picture):
    err = rejected(images=images(picture, 6), elements=elements(picture, "A", "B"))
    assert err.field == "images" and err.value == 8 and err.limit == limits.OMNI_MAX_REFERENCES
    assert str(err) == (
        "images: 8 references (6 images + 2 elements) is more than the 7-reference maximum"
    )


def test_too_many_references_with_a_video(files, picture):
    video = {"path": str(files.video(3))}
    err = rejected(images=images(picture, 3), elements=elements(picture, "A", "B"), video=video)
    assert err.value == 5 and err.limit == limits.OMNI_MAX_REFERENCES_WITH_VIDEO
    assert "5 references (3 images + 2 elements)" in str(err)
    assert "4-reference maximum when a video is attached" in str(err)
    assert omni(images=images(picture, 2), elements=elements(picture, "A", "B"), video=video)


def test_one_first_frame_and_one_end_frame(picture):
    both = images(picture, 1, "first_frame") + images(picture, 1, "end_frame")
    assert omni(images=both).source_aspect == pytest.approx(4 / 3)
    err = rejected(images=both + images(picture, 1, "end_frame"))
    assert err.field == "images[2].type" and "images[1] is already the end_frame" in str(err)


def test_element_needs_images(picture):
    err = rejected(elements=[{"name": "Fox", "images": []}])
    assert err.field == "elements[0].images"


def test_element_names_are_unique(picture):
    err = rejected(elements=elements(picture, "Fox", "fox"))
    assert err.field == "elements[1].name" and "'fox'" in str(err)


def test_reference_images_are_checked(files, picture):
    small = str(files.image(250, 250))
    err = rejected(images=images(picture, 1), elements=[{"name": "A", "images": [picture, small]}])
    assert err.field == "elements[0].images[1]" and "250×250 px" in str(err)
    err = rejected(images=images(picture, 1) + images(small, 1))
    assert err.field == "images[1].path"


# --- the reference video --------------------------------------------------------------


def test_omni_reference_video_too_long(files):
    err = rejected(video={"path": str(files.video(10.5))})
    assert err.field == "video.path" and err.value == 10.5
    assert err.limit == limits.OMNI_REFERENCE_VIDEO_MAX_SECONDS
    assert (
        str(err) == "video.path: 10.5 s is more than the 10 s maximum for an omni reference video"
    )


def test_omni_reference_video_at_maximum_is_accepted(files):
    video = str(files.video(limits.OMNI_REFERENCE_VIDEO_MAX_SECONDS, "webm"))
    assert omni(video={"path": video}).media["video.path"].duration == 10


def test_omni_duration_limits(picture):
    err = rejected(duration=16)
    assert err.field == "duration" and err.limit == limits.DURATION_MAX_S


# --- prompt tags -----------------------------------------------------------------------


def test_known_tags_are_accepted(files, picture):
    checked = omni(
        "<<<image_1>>> and <<<image_2>>> meet <<<element_1>>>, @Fox, @element1 and @Old Man "
        "in <<<video_1>>>; write to me@example.com, meet @ noon",
        images=images(picture, 2),
        elements=elements(picture, "Fox", "Old Man"),
        video={"path": str(files.video(2))},
    )
    assert checked.request.prompt.startswith("<<<image_1>>>")


def test_image_tag_past_the_images(picture):
    err = rejected("<<<image_3>>> runs", images=images(picture, 2))
    assert err.field == "prompt" and err.value == "<<<image_3>>>" and err.limit == 2
    assert str(err) == (
        "prompt: <<<image_3>>> refers to image 3, but this request has "
        "2 images, no element and no video"
    )


def test_image_tags_count_from_one(picture):
    assert rejected("<<<image_0>>>", images=images(picture, 1)).value == "<<<image_0>>>"


def test_element_tag_without_elements():
    err = rejected("<<<element_1>>> waves")
    assert "refers to element 1" in str(err) and "no element" in str(err)


def test_video_tag_without_video(picture):
    err = rejected("move like <<<video_1>>>", images=images(picture, 1))
    assert err.value == "<<<video_1>>>" and "1 image, no element and no video" in str(err)


def test_unknown_tag(picture):
    err = rejected("<<<voice_1>>> says hi", images=images(picture, 1))
    assert err.field == "prompt" and err.value == "<<<voice_1>>>"
    assert "is not a reference tag" in str(err) and "1 image" in str(err)


def test_unknown_mention_lists_the_elements(picture):
    err = rejected("@Wolf jumps", elements=elements(picture, "Fox", "Hen"))
    assert err.field == "prompt" and err.value == "@Wolf"
    assert str(err) == (
        "prompt: @Wolf names no element; the elements are @Element1 (@Fox) and @Element2 (@Hen)"
    )


def test_element_number_past_the_elements(picture):
    assert rejected("@Element2 jumps", elements=elements(picture, "Fox")).value == "@Element2"


def test_mention_without_elements():
    assert "this request has no elements" in str(rejected("@Fox jumps"))


def test_shot_prompts_are_checked_for_tags(picture):
    shots = [
        {"index": 1, "prompt": "<<<image_1>>> sits", "duration": 2},
        {"index": 2, "prompt": "<<<image_2>>> runs", "duration": 3},
    ]
    err = rejected(images=images(picture, 1), shots=shots)
    assert err.field == "shots[1].prompt" and err.value == "<<<image_2>>>"
