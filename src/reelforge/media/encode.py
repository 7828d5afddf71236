"""Encoding MP4: H.264 (yuv420p) video and AAC audio, streamed, browser-ready.

:class:`VideoWriter` is the only way reelforge writes video. It streams (frames
are encoded as they arrive, never held), keeps the audio track exactly as long
as the video, interleaves the two as it goes, puts the index at the front
(``+faststart``) so browsers can start playing before the download ends, and
writes through a temporary file so a failed render never leaves a partial MP4
where a finished one is expected.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from reelforge.errors import MediaError

from .clip import AUDIO_CHANNELS, AUDIO_RATE, Audio, Clip
from .decode import resample_audio

AUDIO_BITRATE = 192_000


def _as_fraction(fps: int | float | Fraction) -> Fraction:
    """``fps`` as a Fraction; a float such as 23.976 or 29.97 becomes the NTSC rate it
    stands for (24000/1001, 30000/1001), any other float its nearest small fraction."""
    if not isinstance(fps, float):
        return Fraction(fps)
    ntsc = Fraction(round(fps * 1.001) * 1000, 1001)
    if abs(float(ntsc) - fps) < 0.002:
        return ntsc
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Stream frames and audio into an H.264/AAC MP4.

    Use as a context manager::

        with VideoWriter(path, 1280, 720, 24) as writer:
            writer.write_audio(track)          # any time, any number of calls
            for chunk in chunks:
                writer.write_frames(chunk)     # uint8 (N, H, W, 3)

    On a clean exit the file appears at ``path`` with an audio track cut or
    silence-padded to exactly ``frames / fps`` seconds; if the block raises, nothing
    appears at ``path``. With ``audio=False`` the MP4 has no audio stream and
    :meth:`write_audio` is a no-op.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: int | float | Fraction,
        audio: bool = True,
        audio_rate: int = AUDIO_RATE,
        channels: int = AUDIO_CHANNELS,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(
                f"H.264 yuv420p needs even, positive width/height, got {width}x{height}"
            )
        self.fps = _as_fraction(fps)
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.audio_rate, self.channels = int(audio_rate), int(channels)
        self.frames_written = 0
        self._audio_encoded = 0  # samples handed to the AAC encoder
        self._pending = np.zeros((self.channels, 0), np.float32)  # samples ahead of the video
        self._closed = False

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.part")
        self._container = av.open(
            str(self._tmp), "w", format="mp4", options={"movflags": "+faststart"}
        )
        try:
            self._video = self._container.add_stream("libx264", rate=self.fps)
            self._video.width, self._video.height = self.width, self.height
            self._video.pix_fmt = "yuv420p"
            self._video.codec_context.time_base = 1 / self.fps
            self._video.options = {"crf": str(int(crf)), "preset": preset}
            self._audio = None
            if audio:
                self._audio = self._container.add_stream("aac", rate=self.audio_rate)
                ctx = self._audio.codec_context
                ctx.layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels}c")
                ctx.format = "fltp"
                ctx.bit_rate = AUDIO_BITRATE
                ctx.time_base = Fraction(1, self.audio_rate)
        except Exception:
            self.abort()
            raise

    # ------------------------------------------------------------------ facts

    @property
    def duration(self) -> float:
        """Seconds of video written so far (``frames_written / fps``)."""
        return float(self.frames_written / self.fps)

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    # ------------------------------------------------------------------ writing

    def write_frames(self, frames: np.ndarray) -> None:
        """Encode uint8 RGB frames ``(N, H, W, 3)`` (or one ``(H, W, 3)`` frame)."""
        self._check_open()
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        expected = (self.height, self.width, 3)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[1:] != expected:
            raise ValueError(
                f"frames must be uint8 (N, {self.height}, {self.width}, 3), "
                f"got {frames.dtype} {frames.shape}"
            )
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = self.frames_written
            frame.time_base = self._video.codec_context.time_base
            self._container.mux(self._video.encode(frame))
            self.frames_written += 1
            self._pump_audio(self._samples_at(self.frames_written))

    def write_audio(self, audio: Audio) -> None:
        """Append ``audio`` to the audio timeline (resampled to the writer's rate/channels).

        Audio ahead of the video is buffered and encoded as frames catch up, so the
        track can be cut to the video's length on :meth:`close`.
        """
        self._check_open()
        if self._audio is None:
            return
        samples = resample_audio(audio, self.audio_rate, self.channels).samples
        self._pending = np.concatenate([self._pending, np.clip(samples, -1.0, 1.0)], axis=1)
        self._pump_audio(self._samples_at(self.frames_written))

    def close(self) -> Path:
        """Finish the file: fit the audio to the video, flush, and move it to ``path``."""
        if self._closed:
            return self.path
        if self.frames_written == 0:
            self.abort()
            raise MediaError(f"{self.path.name}: no video frames were written")
        try:
            self._container.mux(self._video.encode(None))
            if self._audio is not None:
                target = self._samples_at(self.frames_written)
                missing = target - self._audio_encoded - self._pending.shape[1]
                if missing > 0:
                    silence = np.zeros((self.channels, missing), np.float32)
                    self._pending = np.concatenate([self._pending, silence], axis=1)
                self._pump_audio(target)
                self._pending = self._pending[:, :0]
                self._container.mux(self._audio.encode(None))
            self._container.close()
        except Exception:
            self.abort()
            raise
        self._closed = True
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the file being written; nothing is left at ``path`` or beside it."""
        self._closed = True
        with contextlib.suppress(Exception):
            self._container.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __del__(self) -> None:
        # A writer dropped without close() must not leave its temporary file behind.
        if not getattr(self, "_closed", True):
            self.abort()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise MediaError(f"{self.path.name}: the writer is closed")

    def _samples_at(self, frames: int) -> int:
        """The audio sample count that lasts as long as ``frames`` video frames."""
        return round(frames * self.audio_rate / self.fps)

    def _pump_audio(self, until: int) -> None:
        """Encode buffered audio up to sample ``until`` (the current video time)."""
        if self._audio is None:
            return
        take = min(until - self._audio_encoded, self._pending.shape[1])
        if take <= 0:
            return
        chunk, self._pending = self._pending[:, :take], self._pending[:, take:]
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(chunk), format="fltp", layout=self._audio.codec_context.layout
        )
        frame.sample_rate = self.audio_rate
        frame.pts = self._audio_encoded
        frame.time_base = Fraction(1, self.audio_rate)
        self._container.mux(self._audio.encode(frame))
        self._audio_encoded += take


def write_clip(clip: Clip, path: str | Path, chunk: int = 48, **kw) -> Path:
    """Encode a whole :class:`Clip` to ``path`` (MP4); extra keywords go to :class:`VideoWriter`.

    The file has an audio stream when the clip has audio, unless ``audio=`` says otherwise.
    """
    kw.setdefault("audio", clip.audio is not None)
    with VideoWriter(path, clip.width, clip.height, clip.fps, **kw) as writer:
        if clip.audio is not None:
            writer.write_audio(clip.audio)
        for i in range(0, clip.num_frames, chunk):
            writer.write_frames(clip.frames[i : i + chunk])
    return Path(path)
