"""Tiny input files for the spec checks, made in ``tmp_path``.

``files.image(400, 300)`` (Pillow: JPEG/PNG/WEBP/GIF, optional EXIF orientation),
``files.wav(3.0)`` (numpy + ``wave``), ``files.audio(3.0, "flac")`` (PyAV),
``files.video(4.0)`` (PyAV: MP4/MOV/WEBM/MKV at a few frames per second, so even a
30 s reference is a handful of frames) and ``files.sized(name, n)`` (a sparse file
of ``n`` bytes, for the size limits, which are checked before the file is read).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.wav import write_pcm16

_INT_SAMPLES = {"s16": np.int16, "s32": np.int32}
_CODECS = {"mp4": "libx264", "mov": "libx264", "webm": "libvpx", "mkv": "libx264"}


class Files:
    """Factories for input files, each written under one temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ids = count()

    def _path(self, suffix: str) -> Path:
        return self.root / f"f{next(self._ids)}.{suffix}"

    def image(
        self,
        width: int,
        height: int,
        fmt: str = "JPEG",
        *,
        orientation: int | None = None,
        mode: str = "RGB",
    ) -> Path:
        """A ``width``×``height`` image as stored (EXIF ``orientation`` may turn it);
        ``mode="1"`` makes huge PNGs cheap (one bit per pixel, all black)."""
        suffix = {"JPEG": "jpg"}.get(fmt, fmt.lower())
        path = self._path(suffix)
        picture = Image.new(mode, (width, height))
        if orientation is None:
            picture.save(path, fmt)
        else:
            exif = Image.Exif()
            exif[0x0112] = orientation
            picture.save(path, fmt, exif=exif.tobytes())
        return path

    def wav(self, seconds: float, rate: int = 8000) -> Path:
        """A mono 16-bit sine WAV."""
        path = self._path("wav")
        t = np.arange(round(seconds * rate)) / rate
        return write_pcm16(path, (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2"), rate)

    def audio(self, seconds: float, fmt: str, codec: str, rate: int = 48000) -> Path:
        """An audio file of another container/codec, encoded with PyAV."""
        path = self._path(fmt)
        with av.open(str(path), "w") as out:
            stream = out.add_stream(codec, rate=rate, layout="mono")
            samples = np.zeros((1, round(seconds * rate)), np.float32)
            size = stream.codec_context.frame_size or 1024
            fmt_name = stream.codec_context.format.name
            for start in range(0, samples.shape[1], size):
                chunk = samples[:, start : start + size]
                if fmt_name.startswith("s"):  # s16, s16p, s32p: integer samples
                    chunk = chunk.astype(_INT_SAMPLES[fmt_name[:3]])
                frame = av.AudioFrame.from_ndarray(chunk, format=fmt_name, layout="mono")
                frame.sample_rate, frame.pts = rate, start
                frame.time_base = Fraction(1, rate)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return path

    def video(self, seconds: float, fmt: str = "mp4", fps: int = 2, size: int = 32) -> Path:
        """``seconds × fps`` grey frames of ``size``×``size`` px."""
        path = self._path(fmt)
        with av.open(str(path), "w") as out:
            stream = out.add_stream(_CODECS[fmt], rate=fps)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            for i in range(round(seconds * fps)):
                pixels = np.full((size, size, 3), (i * 7) % 255, np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return path

    def sized(self, suffix: str, size: int) -> Path:
        """A sparse file of exactly ``size`` bytes."""
        path = self._path(suffix)
        with path.open("wb") as out:
            out.truncate(size)
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)
