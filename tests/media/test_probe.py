"""probe_image / probe_audio / probe_video on real files."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from reelforge.errors import InputError
from reelforge.media import probe_audio, probe_image, probe_video, read_video

from .synth import gradient_frames, tone, write_audio_file


def test_probe_jpeg(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (1, 2, 3)).save(path)
    info = probe_image(path)
    assert (info.format, info.width, info.height, info.orientation) == ("JPEG", 64, 48, 1)
    assert info.bytes == path.stat().st_size and info.path == path


@pytest.mark.parametrize(("orientation", "size"), [(6, (30, 80)), (8, (30, 80)), (3, (80, 30))])
def test_probe_exif_rotation(tmp_path, orientation, size):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (80, 30)).save(path, exif=exif.tobytes())
    info = probe_image(path)
    assert info.orientation == orientation
    assert (info.width, info.height) == size


@pytest.mark.parametrize(("suffix", "fmt"), [("png", "PNG"), ("webp", "WEBP")])
def test_probe_png_webp_with_alpha(tmp_path, suffix, fmt):
    path = tmp_path / f"alpha.{suffix}"
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(path)
    info = probe_image(path)
    assert (info.format, info.width, info.height) == (fmt, 50, 40)


def test_probe_image_bomb_guard(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (400, 300)).save(path)
    with pytest.raises(InputError) as caught:
        probe_image(path, field="start_image", max_pixels=10_000)
    err = caught.value
    assert str(err).startswith("start_image: 400x300")
    assert "decompression-bomb" in str(err)
    assert err.limit == 10_000 and err.value == "400x300 px"
    assert probe_image(path, max_pixels=120_000).width == 400


@pytest.mark.parametrize("side", [120, 200])  # Pillow warns above its limit, errors above 2x
def test_probe_image_pillow_bomb_limit(tmp_path, monkeypatch, side):
    path = tmp_path / "huge.png"
    Image.new("L", (side, side)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(InputError, match="decompression-bomb"):
        probe_image(path)


def test_probe_image_unreadable(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("definitely not a PNG")
    with pytest.raises(InputError, match=r"^image: notes\.png is not a readable image") as caught:
        probe_image(path)
    assert caught.value.field == "image"


def test_probe_image_corrupt_png(tmp_path):
    path = tmp_path / "bad.png"
    Image.fromarray(gradient_frames(1, 64, 48)[0]).save(path)
    data = bytearray(path.read_bytes())
    data[60:70] = b"\xff" * 10  # inside the first IDAT: CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="not a readable image"):
        probe_image(path, field="tail_image")


def test_probe_image_missing(tmp_path):
    with pytest.raises(InputError, match=r"^image: file not found: .*nope\.jpg"):
        probe_image(tmp_path / "nope.jpg")


@pytest.mark.parametrize(
    ("name", "codec", "fmt", "expected"),
    [
        ("v.wav", "pcm_s16le", None, "wav"),
        ("v.flac", "flac", None, "flac"),
        ("v.mp3", "libmp3lame", None, "mp3"),
        ("v.m4a", "aac", "ipod", "m4a"),
        ("v.ogg", "libopus", None, "ogg"),
        ("v.aac", "aac", "adts", "aac"),
    ],
)
def test_probe_audio_formats(tmp_path, name, codec, fmt, expected):
    path = write_audio_file(tmp_path / name, tone(1.5, rate=48_000, channels=2), codec, fmt)
    info = probe_audio(path)
    assert info.format == expected
    assert info.rate == 48_000 and info.channels == 2
    assert info.duration == pytest.approx(1.5, abs=0.1)
    assert info.bytes == path.stat().st_size


def test_probe_audio_mono_44k(tmp_path):
    path = write_audio_file(tmp_path / "m.wav", tone(0.25, rate=44_100, channels=1), "pcm_s16le")
    info = probe_audio(path, field="voice")
    assert (info.rate, info.channels) == (44_100, 1)
    assert info.duration == pytest.approx(0.25, abs=1e-3)


def test_probe_audio_unreadable(tmp_path):
    path = tmp_path / "x.mp3"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(InputError, match=r"^voice: "):
        probe_audio(path, field="voice")
    with pytest.raises(InputError, match=r"^audio_file: file not found"):
        probe_audio(tmp_path / "gone.wav")


def test_probe_video_sample(sample_mp4):
    info = probe_video(sample_mp4)
    assert info.format == "mp4" and info.fps == Fraction(24)
    assert (info.width, info.height, info.frames) == (320, 180, 60)
    assert info.duration == pytest.approx(2.5)
    assert info.audio_duration == pytest.approx(2.5, abs=1 / 24)


def _write_video(path, codec: str, fmt: str | None = None):
    """10 frames at 10 fps, written with PyAV directly (no reelforge code)."""
    frames = gradient_frames(10, 64, 48)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_probe_video_webm_without_stream_duration(tmp_path):
    path = _write_video(tmp_path / "v.webm", "libvpx")
    info = probe_video(path)
    assert info.format == "webm" and not info.has_audio
    assert (info.width, info.height) == (64, 48)
    assert info.fps == 10 and info.frames == 10
    assert info.duration == pytest.approx(1.0, abs=0.1)


def test_raw_h264_without_timing_is_counted(tmp_path):
    path = _write_video(tmp_path / "v.h264", "libx264", "h264")
    info = probe_video(path)
    assert info.format == "h264"
    assert info.frames == 10 and info.fps == 10 and info.duration == pytest.approx(1.0)
    assert read_video(path, fps=5).num_frames == 5
    assert read_video(path).num_frames == 10


def test_probe_video_unreadable(tmp_path):
    path = tmp_path / "clip.mov"
    path.write_bytes(np.random.default_rng(0).bytes(2048))
    with pytest.raises(InputError, match=r"^motion_video: clip\.mov") as caught:
        probe_video(path, field="motion_video")
    assert caught.value.field == "motion_video"


def test_probe_video_of_audio_only_file(tmp_path):
    path = write_audio_file(tmp_path / "a.wav", tone(0.2), "pcm_s16le")
    with pytest.raises(InputError, match="no video track"):
        probe_video(path)
