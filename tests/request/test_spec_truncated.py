"""Files whose header is whole but whose body was cut short (an interrupted upload or copy)
are refused by the input checks, before any work, with the field named; a cut file
that still decodes to the length it states is not."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request.inputs import check_audio, check_image, check_video

from ..cut_short import cut, faststart


def refused(check, field: str, *words: str) -> InputError:
    """The :class:`InputError` that ``check()`` raises: on ``field``, with ``words``."""
    with pytest.raises(InputError) as err:
        check()
    assert err.value.field == field
    for word in words:
        assert word in err.value.message, err.value.message
    return err.value


def test_a_truncated_jpeg_is_refused(files):
    whole = files.image(640, 360)
    whole.write_bytes(_noisy_jpeg(640, 360))
    assert check_image(whole, "image").width == 640
    refused(lambda: check_image(cut(whole), "image"), "image", "truncated")


def _noisy_jpeg(width: int, height: int) -> bytes:
    """A JPEG with detail in it (a flat one is nearly all header)."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 255, (height, width, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["mp4", "mov"])
def test_a_video_cut_short_after_its_index_is_refused(files, fmt):
    whole = faststart(files.video(4.0, fmt, fps=8, size=64))
    assert check_video(whole, "video", 30.0).duration == pytest.approx(4.0)
    refused(lambda: check_video(cut(whole), "video", 30.0), "video", "cut short")


def test_a_webm_cut_short_is_refused(files):
    whole = files.video(4.0, "webm", fps=8, size=64)
    assert check_video(whole, "video", 30.0).duration == pytest.approx(4.0)
    refused(lambda: check_video(cut(whole, 0.8), "video", 30.0), "video", "cut short")


def test_audio_cut_short_is_refused_unless_it_decodes_to_the_length_it_states(files):
    whole = files.audio(4.0, "mp3", "libmp3lame")
    assert check_audio(whole, "audio_file").duration == pytest.approx(4.0, abs=0.05)
    refused(
        lambda: check_audio(cut(whole), "audio_file"), "audio_file", "cut short", "of the 4.00 s"
    )
    # FFmpeg reads a cut WAV's length from what is there, and all of it decodes
    wav = check_audio(cut(files.wav(6.0), 0.5), "audio_file")
    assert wav.duration == pytest.approx(3.0, abs=0.01)


def test_an_m4a_whose_track_cannot_be_decoded_is_refused(files):
    whole = files.audio(4.0, "m4a", "aac")
    refused(lambda: check_audio(cut(whole, 0.5), "audio_file"), "audio_file", "cannot be decoded")
