"""Avatar audio and motion reference videos: format, size, length, resolved duration."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request import check_request_data, limits


def avatar(files, audio, **fields):
    return check_request_data(
        {
            "workflow": "avatar",
            "image": str(files.image(400, 500)),
            "audio_file": str(audio),
            **fields,
        }
    )


def motion(files, video, **fields):
    return check_request_data(
        {"workflow": "motion", "image": str(files.image(300, 400)), "video": str(video), **fields}
    )


def rejected(make, *args, **fields) -> InputError:
    with pytest.raises(InputError) as info:
        make(*args, **fields)
    return info.value


# --- avatar audio --------------------------------------------------------------------


def test_avatar_duration_is_the_audio_length(files):
    checked = avatar(files, files.wav(3.5))
    assert checked.duration == 3.5 and checked.request.duration == 3.5
    assert checked.source_aspect == 0.8 and checked.request.aspect_ratio is None
    assert set(checked.media) == {"image", "audio_file"}
    assert checked.media["audio_file"].format == "wav"


def test_avatar_audio_too_short(files):
    err = rejected(avatar, files, files.wav(1.5))
    assert err.field == "audio_file" and err.value == 1.5
    assert err.limit == limits.AUDIO_MIN_SECONDS
    assert str(err) == "audio_file: 1.5 s is less than the 2 s minimum"


def test_avatar_audio_too_long(files):
    err = rejected(avatar, files, files.wav(300.5, rate=1000))
    assert err.field == "audio_file" and err.limit == limits.AUDIO_MAX_SECONDS
    assert str(err) == "audio_file: 300.5 s is more than the 300 s maximum"


@pytest.mark.parametrize("seconds", [limits.AUDIO_MIN_SECONDS, limits.AUDIO_MAX_SECONDS])
def test_avatar_audio_bounds_are_accepted(files, seconds):
    assert avatar(files, files.wav(seconds, rate=1000)).duration == seconds


@pytest.mark.parametrize(
    ("fmt", "codec"), [("flac", "flac"), ("mp3", "libmp3lame"), ("m4a", "aac"), ("ogg", "libopus")]
)
def test_accepted_audio_formats(files, fmt, codec):
    assert avatar(files, files.audio(2.5, fmt, codec)).media["audio_file"].format == fmt


def test_audio_format_not_accepted(files):
    err = rejected(avatar, files, files.audio(2.5, "wma", "flac"))
    assert err.field == "audio_file" and err.limit == limits.AUDIO_FORMATS
    assert "is not an accepted format; use WAV, MP3, M4A, AAC, FLAC or OGG" in str(err)


def test_audio_over_size_limit(files):
    err = rejected(avatar, files, files.sized("wav", limits.AUDIO_MAX_BYTES + 1))
    assert err.field == "audio_file" and err.limit == limits.AUDIO_MAX_BYTES
    assert str(err) == "audio_file: 100.01 MB is more than the 100 MB maximum"


def test_avatar_duration_may_cut_the_audio(files):
    checked = avatar(files, files.wav(4.0), duration=3)
    assert checked.duration == 3 and checked.media["audio_file"].duration == 4


def test_avatar_duration_longer_than_the_audio(files):
    err = rejected(avatar, files, files.wav(4.0), duration=6)
    assert err.field == "duration" and err.limit == 4
    assert str(err) == "duration: 6 s is more than the 4 s maximum (the length of audio_file)"


def test_avatar_image_is_checked(files):
    with pytest.raises(InputError) as info:
        check_request_data(
            {
                "workflow": "avatar",
                "image": str(files.image(299, 400)),
                "audio_file": str(files.wav(3)),
            }
        )
    assert info.value.field == "image" and "299×400 px" in str(info.value)


# --- motion reference video ----------------------------------------------------------


def test_motion_duration_is_the_reference_length(files):
    checked = motion(files, files.video(4.5))
    assert checked.duration == 4.5 and checked.source_aspect == 0.75
    assert set(checked.media) == {"image", "video"}


def test_motion_reference_too_long_for_image_orientation(files):
    err = rejected(motion, files, files.video(10.5), character_orientation="image")
    assert err.field == "video" and err.value == 10.5
    assert err.limit == limits.MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION
    assert str(err) == (
        "video: 10.5 s is more than the 10 s maximum for character_orientation 'image'"
    )


def test_motion_reference_too_long_for_video_orientation(files):
    err = rejected(motion, files, files.video(30.5), character_orientation="video")
    assert err.limit == limits.MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION
    assert "30.5 s is more than the 30 s maximum for character_orientation 'video'" in str(err)


@pytest.mark.parametrize(
    ("orientation", "seconds"),
    [
        ("image", limits.MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION),
        ("video", limits.MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION),
        ("image", limits.VIDEO_MIN_SECONDS),
    ],
)
def test_motion_reference_bounds_are_accepted(files, orientation, seconds):
    checked = motion(files, files.video(seconds), character_orientation=orientation)
    assert checked.duration == seconds


def test_motion_reference_too_short(files):
    err = rejected(motion, files, files.video(0.5))
    assert err.field == "video" and err.limit == limits.VIDEO_MIN_SECONDS
    assert "0.5 s is less than the 1 s minimum" in str(err)


@pytest.mark.parametrize("fmt", limits.VIDEO_FORMATS)
def test_accepted_video_formats(files, fmt):
    assert motion(files, files.video(2, fmt)).media["video"].format == fmt


def test_video_format_not_accepted(files):
    err = rejected(motion, files, files.video(2, "mkv"))
    assert err.field == "video" and err.value == "mkv" and err.limit == limits.VIDEO_FORMATS
    assert str(err) == "video: MKV is not an accepted format; use MP4, MOV or WEBM"


def test_video_over_size_limit(files):
    err = rejected(motion, files, files.sized("mp4", limits.VIDEO_MAX_BYTES + 1))
    assert err.field == "video" and err.limit == limits.VIDEO_MAX_BYTES
    assert str(err) == "video: 200.01 MB is more than the 200 MB maximum"


def test_motion_duration_longer_than_the_reference(files):
    err = rejected(motion, files, files.video(4), duration=5)
    assert err.field == "duration" and "(the length of video)" in str(err)
