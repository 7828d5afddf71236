"""The two in-memory currencies of reelforge: :class:`Audio` and :class:`Clip`."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

AUDIO_RATE = 48_000
"""Sample rate of every audio track reelforge writes (AAC, 48 kHz)."""
AUDIO_CHANNELS = 2


@dataclass
class Audio:
    """Audio samples as float32 in [-1, 1], shape ``(channels, samples)``."""

    samples: np.ndarray
    rate: int = AUDIO_RATE

    def __post_init__(self) -> None:
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[None, :]
        if samples.ndim != 2:
            raise ValueError(f"audio samples must be (channels, n), got shape {samples.shape}")
        self.samples = samples

    @classmethod
    def silence(
        cls, seconds: float, rate: int = AUDIO_RATE, channels: int = AUDIO_CHANNELS
    ) -> Audio:
        return cls(np.zeros((channels, round(seconds * rate)), dtype=np.float32), rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.num_samples / self.rate

    def slice(self, start_s: float, end_s: float) -> Audio:
        """Samples between two times, zero-padded where the track is shorter."""
        start, end = round(start_s * self.rate), round(end_s * self.rate)
        out = np.zeros((self.channels, max(0, end - start)), dtype=np.float32)
        lo, hi = max(start, 0), min(end, self.num_samples)
        if hi > lo:
            out[:, lo - start : hi - start] = self.samples[:, lo:hi]
        return Audio(out, self.rate)

    def fit(self, seconds: float) -> Audio:
        """This track cut or zero-padded to exactly ``seconds``."""
        return self.slice(0.0, seconds)


@dataclass
class Clip:
    """Video frames (uint8 RGB, shape ``(frames, height, width, 3)``), their rate,
    and optional audio that lasts as long as the frames."""

    frames: np.ndarray
    fps: Fraction | int
    """Frames per second; kept as a :class:`~fractions.Fraction` (an int is converted)."""
    audio: Audio | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fps = Fraction(self.fps)
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3 or self.frames.dtype != np.uint8:
            raise ValueError(
                f"clip frames must be uint8 (F, H, W, 3), got {self.frames.dtype} {self.frames.shape}"
            )

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def duration(self) -> float:
        return float(self.num_frames / self.fps)

    def head(self, n: int) -> Clip:
        """The first ``n`` frames, with the audio cut to match."""
        audio = self.audio.slice(0.0, float(n / self.fps)) if self.audio is not None else None
        return Clip(self.frames[:n], self.fps, audio, dict(self.meta))

    def cropped(self, width: int, height: int) -> Clip:
        """The centre ``width``×``height`` of every frame (the same clip when it fits already)."""
        if (width, height) == (self.width, self.height):
            return self
        if width > self.width or height > self.height:
            raise ValueError(f"cannot crop {self.width}×{self.height} frames to {width}×{height}")
        x, y = (self.width - width) // 2, (self.height - height) // 2
        return Clip(
            self.frames[:, y : y + height, x : x + width], self.fps, self.audio, dict(self.meta)
        )

    def tail_from(self, n: int) -> Clip:
        """Everything after the first ``n`` frames, with the audio cut to match."""
        audio = (
            self.audio.slice(float(n / self.fps), self.duration) if self.audio is not None else None
        )
        return Clip(self.frames[n:], self.fps, audio, dict(self.meta))
