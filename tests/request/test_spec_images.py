"""Image inputs (image2video start and end frames): file, format, size, sides, aspect."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request import check_request_data, limits


def i2v(image, **fields):
    return check_request_data(
        {"workflow": "image2video", "prompt": "she turns", "image": str(image), **fields}
    )


def rejected(image, **fields) -> InputError:
    with pytest.raises(InputError) as info:
        i2v(image, **fields)
    return info.value


def test_image_below_minimum_side(files):
    err = rejected(files.image(200, 180))
    assert err.field == "image" and err.value == (200, 180)
    assert err.limit == limits.IMAGE_MIN_SIDE_PX
    assert str(err) == "image: 200×180 px is below the 300×300 minimum"


def test_one_short_side_is_enough_to_reject(files):
    assert "800×299 px" in str(rejected(files.image(800, 299)))


def test_image_at_minimum_is_accepted(files):
    checked = i2v(files.image(300, 300))
    assert checked.media["image"].width == 300 and checked.source_aspect == 1.0


@pytest.mark.parametrize("fmt", limits.IMAGE_FORMATS)
def test_accepted_formats(files, fmt):
    assert i2v(files.image(320, 320, fmt)).media["image"].format == fmt


def test_format_not_accepted_lists_the_formats(files):
    err = rejected(files.image(320, 320, "GIF"))
    assert err.field == "image" and err.value == "GIF" and err.limit == limits.IMAGE_FORMATS
    assert str(err) == "image: GIF is not an accepted format; use JPEG, PNG or WEBP"


def test_image_over_size_limit(files):
    path = files.sized("jpg", limits.IMAGE_MAX_BYTES + 1)
    err = rejected(path)
    assert err.field == "image" and err.value == limits.IMAGE_MAX_BYTES + 1
    assert err.limit == limits.IMAGE_MAX_BYTES
    assert str(err) == "image: 10.01 MB is more than the 10 MB maximum"


def test_image_size_limit_is_inclusive(files):
    path = files.image(320, 320)
    with path.open("ab") as out:  # JPEG readers ignore bytes after the end marker
        out.truncate(limits.IMAGE_MAX_BYTES)
    assert i2v(path).media["image"].bytes == limits.IMAGE_MAX_BYTES


def test_image_too_wide(files):
    err = rejected(files.image(930, 300))
    assert err.field == "image" and err.value == (930, 300)
    assert err.limit == limits.IMAGE_ASPECT_MAX
    assert str(err) == "image: aspect ratio 3.10:1 (930×300 px) is outside 1:2.5–2.5:1"


def test_image_too_tall(files):
    err = rejected(files.image(300, 780))
    assert err.limit == limits.IMAGE_ASPECT_MIN
    assert "aspect ratio 1:2.60 (300×780 px) is outside 1:2.5–2.5:1" in str(err)


def test_image_a_hair_too_wide_reads_differently_from_the_limit(files):
    assert "2.503:1" in str(rejected(files.image(751, 300)))


@pytest.mark.parametrize("size", [(300, 750), (750, 300)])
def test_extreme_aspect_ratios_are_accepted(files, size):
    assert i2v(files.image(*size)).source_aspect in (0.4, 2.5)


def test_exif_rotation_is_applied(files):
    checked = i2v(files.image(400, 300, orientation=6))
    info = checked.media["image"]
    assert (info.width, info.height) == (300, 400) and checked.source_aspect == 0.75


def test_exif_rotation_decides_the_aspect_check(files):
    # 800×300 as stored (2.67:1, too wide) is shown 300×800 (1:2.67, too tall).
    err = rejected(files.image(800, 300, orientation=8))
    assert "1:2.67 (300×800 px)" in str(err) and err.limit == limits.IMAGE_ASPECT_MIN


def test_pixel_bomb_guard(files):
    err = rejected(files.image(6001, 6000, "PNG", mode="1"))
    assert err.field == "image" and err.limit == limits.IMAGE_MAX_PIXELS
    assert "6001x6000" in str(err) and "36000000" in str(err)


def test_pixel_count_at_the_guard_is_accepted(files):
    assert i2v(files.image(6000, 6000, "PNG", mode="1")).media["image"].width == 6000


def test_missing_file(files):
    err = rejected(files.root / "nope.jpg")
    assert err.field == "image" and "nope.jpg" in str(err)


def test_unreadable_file(files):
    path = files.root / "fake.jpg"
    path.write_bytes(b"not an image")
    assert rejected(path).field == "image"


def test_end_image_is_checked_under_its_own_name(files):
    err = rejected(files.image(400, 400), end_image=str(files.image(250, 400)))
    assert err.field == "end_image" and "250×400 px" in str(err)


def test_image2video_resolution_keeps_the_source_aspect(files):
    checked = i2v(files.image(640, 360), end_image=str(files.image(640, 360, "PNG")))
    assert checked.request.aspect_ratio is None
    assert checked.source_aspect == pytest.approx(16 / 9)
    assert set(checked.media) == {"image", "end_image"}
    assert checked.duration == limits.DEFAULT_DURATION_S


def test_image2video_given_aspect_ratio_is_kept(files):
    checked = i2v(files.image(640, 360), aspect_ratio="9:16")
    assert checked.request.aspect_ratio == "9:16" and checked.source_aspect == pytest.approx(16 / 9)


def test_camera_and_end_image_are_exclusive(files):
    err = rejected(
        files.image(400, 400),
        end_image=str(files.image(400, 400)),
        camera={"type": "simple", "zoom": 5},
    )
    assert err.field == "camera" and "camera and end_image" in str(err)


def test_image2video_prompt_is_optional(files):
    assert i2v(files.image(400, 400), prompt="").request.prompt == ""
