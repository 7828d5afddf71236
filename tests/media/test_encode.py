"""VideoWriter / write_clip: real MP4s written to disk and decoded back."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from reelforge.errors import MediaError
from reelforge.media import (
    Audio,
    Clip,
    VideoWriter,
    probe_video,
    read_audio,
    read_video,
    write_clip,
)

from .synth import H, W, gradient_frames, tone


def _audio_video_gap(info) -> float:
    return abs(info.audio_duration - info.duration)


def test_roundtrip_sample(sample_mp4, sample_clip):
    info = probe_video(sample_mp4)
    assert (info.format, info.width, info.height) == ("mp4", W, H)
    assert info.fps == 24 and info.frames == 60
    assert info.duration == pytest.approx(2.5)
    assert info.has_audio
    assert _audio_video_gap(info) <= 1 / 24

    clip = read_video(sample_mp4, audio=True)
    assert clip.frames.shape == sample_clip.frames.shape
    assert clip.fps == 24
    error = np.abs(clip.frames.astype(np.int16) - sample_clip.frames).mean()
    assert error < 3.0, f"H.264 mean abs error {error:.2f}"

    assert clip.audio is not None and clip.audio.rate == 48_000 and clip.audio.channels == 2
    assert clip.audio.duration == pytest.approx(clip.duration, abs=1 / 24)
    got, want = clip.audio.samples[0], sample_clip.audio.samples[0][: clip.audio.num_samples]
    assert np.corrcoef(got, want)[0, 1] > 0.99


def test_faststart_puts_index_first(sample_mp4):
    data = sample_mp4.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_codecs_are_browser_friendly(sample_mp4):
    with av.open(str(sample_mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert audio.codec_context.name == "aac"
        assert audio.codec_context.sample_rate == 48_000
        assert audio.codec_context.channels == 2


def test_streaming_chunks_and_audio_before_and_after(tmp_path):
    frames = gradient_frames(40, 64, 48)
    path = tmp_path / "chunks.mp4"
    with VideoWriter(path, 64, 48, 24) as writer:
        writer.write_audio(tone(0.5))  # before any frame
        writer.write_frames(frames[:7])
        writer.write_frames(frames[7])  # one (H, W, 3) frame
        writer.write_audio(tone(0.7, freq=660))  # in the middle
        writer.write_frames(frames[8:30])
        writer.write_frames(frames[30:])
        writer.write_audio(tone(1.0))  # after the last frame: cut on close
        assert writer.frames_written == 40
        assert writer.duration == pytest.approx(40 / 24)
    info = probe_video(path)
    assert info.frames == 40 and info.has_audio
    assert _audio_video_gap(info) <= 1 / 24
    audio = read_audio(path)
    assert audio.duration == pytest.approx(40 / 24, abs=1 / 24)
    # The 440 Hz part lasts 0.5 s, then 660 Hz: both are audible where written.
    assert np.abs(audio.samples[:, 2400:21600]).max() > 0.3
    assert np.abs(audio.samples[:, 26400:55200]).max() > 0.3


def test_short_audio_is_padded_with_silence(tmp_path):
    path = tmp_path / "short.mp4"
    with VideoWriter(path, 64, 48, 24) as writer:
        writer.write_frames(gradient_frames(48, 64, 48))
        writer.write_audio(tone(0.5))
    info = probe_video(path)
    assert info.duration == pytest.approx(2.0)
    assert _audio_video_gap(info) <= 1 / 24
    audio = read_audio(path)
    assert np.abs(audio.samples[:, : 24_000 - 2048]).max() > 0.3
    assert np.abs(audio.samples[:, 24_000 + 2048 :]).max() < 0.01


def test_long_audio_is_cut(tmp_path):
    path = tmp_path / "long.mp4"
    with VideoWriter(path, 64, 48, 24) as writer:
        writer.write_audio(tone(5.0))
        writer.write_frames(gradient_frames(24, 64, 48))
    info = probe_video(path)
    assert info.duration == pytest.approx(1.0)
    assert _audio_video_gap(info) <= 1 / 24


def test_no_audio_frames_only_gives_silent_track(tmp_path):
    path = tmp_path / "silent.mp4"
    with VideoWriter(path, 64, 48, 24) as writer:
        writer.write_frames(gradient_frames(12, 64, 48))
    info = probe_video(path)
    assert info.has_audio and _audio_video_gap(info) <= 1 / 24
    assert np.abs(read_audio(path).samples).max() < 0.01


def test_audio_false_has_no_audio_stream(tmp_path):
    path = tmp_path / "mute.mp4"
    with VideoWriter(path, 64, 48, 24, audio=False) as writer:
        writer.write_frames(gradient_frames(12, 64, 48))
        writer.write_audio(tone(0.5))  # ignored
    info = probe_video(path)
    assert not info.has_audio and info.audio_duration is None
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 0
    assert read_video(path, audio=True).audio is None


@pytest.mark.parametrize(
    ("fps", "count"), [(48, 48), (Fraction(30000, 1001), 30), (Fraction(25), 10)]
)
def test_frame_rates(tmp_path, fps, count):
    path = tmp_path / "rate.mp4"
    with VideoWriter(path, 64, 48, fps) as writer:
        writer.write_frames(gradient_frames(count, 64, 48))
        writer.write_audio(tone(2.0))
    info = probe_video(path)
    assert info.fps == fps
    assert info.frames == count
    assert info.duration == pytest.approx(float(count / Fraction(fps)), abs=1e-3)
    assert _audio_video_gap(info) <= float(1 / Fraction(fps))
    assert read_video(path).num_frames == count


def test_failed_block_leaves_no_file(tmp_path):
    path = tmp_path / "fail.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path, 64, 48, 24) as writer:
        writer.write_frames(gradient_frames(5, 64, 48))
        raise RuntimeError("render crashed")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_rewrite(tmp_path, sample_mp4):
    path = tmp_path / "keep.mp4"
    path.write_bytes(sample_mp4.read_bytes())
    with pytest.raises(RuntimeError), VideoWriter(path, 64, 48, 24) as writer:
        writer.write_frames(gradient_frames(5, 64, 48))
        raise RuntimeError("boom")
    assert path.read_bytes() == sample_mp4.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def test_dropped_writer_leaves_no_temp_file(tmp_path):
    writer = VideoWriter(tmp_path / "dropped.mp4", 64, 48, 24)
    writer.write_frames(gradient_frames(2, 64, 48))
    del writer
    assert list(tmp_path.iterdir()) == []


def test_float_fps_becomes_ntsc_fraction(tmp_path):
    with VideoWriter(tmp_path / "f.mp4", 64, 48, 23.976, audio=False) as writer:
        writer.write_frames(gradient_frames(3, 64, 48))
    assert writer.fps == Fraction(24000, 1001)
    assert probe_video(tmp_path / "f.mp4").fps == Fraction(24000, 1001)


def test_no_frames_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(MediaError), VideoWriter(tmp_path / "empty.mp4", 64, 48, 24):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("width", "height"), [(63, 48), (64, 47), (0, 48)])
def test_odd_size_rejected(tmp_path, width, height):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", width, height, 24)
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_rejected(tmp_path):
    with VideoWriter(tmp_path / "x.mp4", 64, 48, 24) as writer:
        with pytest.raises(ValueError, match="uint8"):
            writer.write_frames(np.zeros((2, 48, 66, 3), np.uint8))
        with pytest.raises(ValueError, match="uint8"):
            writer.write_frames(np.zeros((2, 48, 64, 3), np.float32))
        writer.write_frames(np.zeros((2, 48, 64, 3), np.uint8))


def test_write_clip_mono_low_rate_audio_is_resampled(tmp_path):
    clip = Clip(gradient_frames(24, 64, 48), Fraction(24), tone(1.0, rate=22_050, channels=1))
    path = write_clip(clip, tmp_path / "clip.mp4")
    audio = read_audio(path)
    assert audio.channels == 2 and audio.rate == 48_000
    assert audio.duration == pytest.approx(1.0, abs=1 / 24)
    reference = tone(1.0).samples[1][: audio.num_samples]
    assert np.corrcoef(audio.samples[1], reference)[0, 1] > 0.99


def test_write_clip_without_audio(tmp_path):
    clip = Clip(gradient_frames(6, 64, 48), Fraction(12))
    assert not probe_video(write_clip(clip, tmp_path / "v.mp4")).has_audio


def test_empty_audio_is_accepted(tmp_path):
    path = tmp_path / "zero.mp4"
    with VideoWriter(path, 64, 48, 24) as writer:
        writer.write_audio(Audio.silence(0.0))
        writer.write_frames(gradient_frames(3, 64, 48))
    assert probe_video(path).frames == 3
