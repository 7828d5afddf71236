"""What a written MP4 holds, measured from its decoded streams (not its headers)."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np


@dataclass(frozen=True)
class Streams:
    frames: int
    """Video frames decoded."""
    video_start: float
    video_end: float
    """The last frame's time plus one frame duration, in seconds."""
    audio_start: float | None
    audio_end: float | None
    """The first decoded audio sample's time, plus every decoded sample's duration."""


def decoded_streams(path) -> Streams:
    """Decode every frame and audio packet of ``path``: where each stream starts and ends."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [f.time for f in container.decode(video)]
        step = 1 / float(video.average_rate)
    audio_start = audio_end = None
    with av.open(str(path)) as container:
        if container.streams.audio:
            samples, rate = 0, None
            for f in container.decode(container.streams.audio[0]):
                if audio_start is None:
                    audio_start = f.time
                samples += f.samples
                rate = f.sample_rate
            audio_end = audio_start + samples / rate
    return Streams(len(times), times[0], times[-1] + step, audio_start, audio_end)


def mono(samples: np.ndarray) -> np.ndarray:
    """The channels' mean, as float64."""
    return np.asarray(samples, np.float64).mean(axis=0)


def best_lag(reference: np.ndarray, signal: np.ndarray, most: int) -> int:
    """The shift (samples, ≤ ``most`` either way) at which ``signal`` best matches
    ``reference``: ``signal[i + lag] ≈ reference[i]``."""
    n = len(reference) + len(signal)
    spectrum = np.fft.rfft(signal, n) * np.conj(np.fft.rfft(reference, n))
    xcorr = np.fft.irfft(spectrum, n)
    lags = np.r_[np.arange(0, most + 1), np.arange(-most, 0)]
    return int(lags[np.argmax(xcorr[lags])])


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long signals."""
    return float(np.corrcoef(a, b)[0, 1])
