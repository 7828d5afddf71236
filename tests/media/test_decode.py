"""read_video / read_audio / load_image / fit_image."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from reelforge.errors import InputError
from reelforge.media import (
    Clip,
    fit_image,
    load_image,
    probe_video,
    read_audio,
    read_video,
    resample_audio,
    write_clip,
)

from .synth import gradient_frames, tone, write_audio_file


@pytest.fixture(scope="module")
def counter_mp4(tmp_path_factory):
    """30 fps, 2 s; frame i is a flat grey of value 4*i, so frames can be identified."""
    frames = np.repeat(np.arange(60, dtype=np.uint8)[:, None, None, None] * 4, 32, axis=1)
    frames = np.ascontiguousarray(np.broadcast_to(frames[:, :, :1], (60, 32, 48, 3)))
    clip = Clip(frames, Fraction(30), tone(2.0))
    return write_clip(clip, tmp_path_factory.mktemp("counter") / "counter.mp4", crf=0)


def _index(frames: np.ndarray) -> list[int]:
    """The source frame number of each decoded counter frame."""
    return [round(float(f.mean()) / 4) for f in frames]


def test_native_read_keeps_source_frames(counter_mp4):
    clip = read_video(counter_mp4)
    assert clip.fps == 30 and clip.num_frames == 60
    assert _index(clip.frames) == list(range(60))


def test_resample_30_to_24(counter_mp4):
    clip = read_video(counter_mp4, fps=24)
    assert clip.fps == 24 and clip.num_frames == 48
    # output frame i at t = i/24 takes the last source frame with i_src/30 <= t
    assert _index(clip.frames) == [int(i * 30 // 24) for i in range(48)]


def test_resample_up_repeats_frames(counter_mp4):
    clip = read_video(counter_mp4, fps=60)
    assert clip.num_frames == 120
    assert _index(clip.frames) == [i // 2 for i in range(120)]


def test_span_with_resampling_and_audio(counter_mp4):
    clip = read_video(counter_mp4, fps=24, span=(0.5, 1.5), audio=True)
    assert clip.num_frames == 24
    assert _index(clip.frames) == [int((0.5 + i / 24) * 30 + 1e-9) for i in range(24)]
    assert clip.audio is not None
    assert clip.audio.num_samples == 48_000
    # the tone is continuous: the span's audio lines up with the tone at 0.5 s
    ref = tone(2.0).samples[0][24_000:72_000]
    assert np.corrcoef(clip.audio.samples[0], ref)[0, 1] > 0.99


def test_native_span(counter_mp4):
    clip = read_video(counter_mp4, span=(1.0, 1.5))
    assert _index(clip.frames) == list(range(30, 45))


def test_span_past_end_repeats_last_frame(counter_mp4):
    clip = read_video(counter_mp4, fps=30, span=(1.5, 2.5))
    assert clip.num_frames == 30
    assert _index(clip.frames)[-1] == 59


def test_read_video_fits_size_with_cover(sample_mp4):
    clip = read_video(sample_mp4, fps=12, size=(96, 96))
    assert clip.frames.shape == (30, 96, 96, 3)


def test_read_audio_of_video_file(sample_mp4):
    audio = read_audio(sample_mp4)
    assert audio.rate == 48_000 and audio.channels == 2
    assert audio.duration == pytest.approx(2.5, abs=1 / 24)
    assert audio.samples.dtype == np.float32


@pytest.mark.parametrize(
    ("name", "codec", "fmt"),
    [("a.wav", "pcm_s16le", None), ("a.flac", "flac", None), ("a.mp3", "libmp3lame", None)],
)
def test_read_audio_files_resampled(tmp_path, name, codec, fmt):
    source = tone(1.0, freq=300, rate=44_100, channels=1)
    path = write_audio_file(tmp_path / name, source, codec, fmt)
    audio = read_audio(path, rate=16_000, channels=2)
    assert audio.rate == 16_000 and audio.channels == 2
    assert audio.duration == pytest.approx(1.0, abs=0.06)
    assert 0.4 < np.abs(audio.samples).max() <= 0.55


def test_resample_audio():
    out = resample_audio(tone(0.5, rate=44_100, channels=1), 48_000, 2)
    assert out.samples.shape == (2, 24_000)
    ref = tone(0.5).samples[0]
    assert np.corrcoef(out.samples[0][100:-100], ref[100:-100])[0, 1] > 0.999


def test_unreadable_media_names_field(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(InputError, match=r"^video: junk\.mp4 is not a readable video"):
        read_video(junk)
    with pytest.raises(InputError, match=r"^audio_file: "):
        read_audio(junk)
    with pytest.raises(InputError, match=r"^clip: .*missing\.mp4"):
        read_video(tmp_path / "missing.mp4", field="clip")


def test_read_audio_without_audio_track(tmp_path):
    path = write_clip(Clip(gradient_frames(4, 64, 48), Fraction(24)), tmp_path / "m.mp4")
    with pytest.raises(InputError, match="no audio track"):
        read_audio(path)
    assert probe_video(path).frames == 4


# ----------------------------------------------------------------------------- images


def test_load_image_flattens_alpha(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[:, :15] = (255, 0, 0, 255)  # opaque red left, transparent right
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    image = load_image(tmp_path / "a.png")
    assert image.mode == "RGB" and image.size == (30, 20)
    pixels = np.asarray(image)
    assert tuple(pixels[0, 0]) == (255, 0, 0)
    assert tuple(pixels[0, -1]) == (128, 128, 128)


def test_load_image_applies_exif_rotation(tmp_path):
    path = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 20), (10, 200, 30)).save(path, exif=exif.tobytes())
    assert load_image(path).size == (20, 40)


def test_load_image_truncated(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(gradient_frames(1, 200, 120)[0]).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(InputError, match=r"^image: cut\.jpg is not a readable image"):
        load_image(path)


def test_load_image_bomb_guard(tmp_path):
    Image.new("RGB", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="decompression-bomb"):
        load_image(tmp_path / "big.png", max_pixels=5_000)


@pytest.mark.parametrize("mode", ["cover", "contain"])
@pytest.mark.parametrize(("width", "height"), [(64, 64), (160, 90), (90, 160)])
def test_fit_image_sizes(mode, width, height):
    image = Image.fromarray(gradient_frames(1, 120, 80)[0])
    out = fit_image(image, width, height, mode)
    assert out.shape == (height, width, 3) and out.dtype == np.uint8


def test_fit_cover_crops_and_contain_letterboxes():
    source = np.full((50, 100, 3), 200, np.uint8)  # wide, bright
    cover = fit_image(source, 60, 60, "cover")
    assert cover.min() >= 190  # filled, no bars
    contain = fit_image(source, 60, 60, "contain")
    assert contain[:, :, :].max() >= 190
    assert contain[0].max() == 0 and contain[-1].max() == 0  # black bars top/bottom
    assert contain[30].min() >= 190
    with pytest.raises(ValueError):
        fit_image(source, 60, 60, "stretch")
