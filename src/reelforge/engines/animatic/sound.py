"""The animatic's sound: spoken dialogue (or silence), the avatar's own audio, loudness.

Every track returned here lasts exactly ``frames / fps`` at 48 kHz stereo, starting at
the segment's first frame.
"""

from __future__ import annotations

import zlib

import numpy as np

from ...media.clip import AUDIO_CHANNELS, AUDIO_RATE, Audio
from ...media.decode import read_audio
from ...media.loudness import loudness_db
from ...planning.plan import Segment
from . import tts
from .timeline import LEAD, cues, first_frame_time

FADE_S = 0.02
"""Fade applied where a spoken line is cut at the end of its window."""
QUIET_DB, LOUD_DB = -50.0, -10.0
"""Loudness mapped to levels 0 and 1 (dBFS): absolute, so chunks of one file agree."""


def samples(segment: Segment) -> int:
    """Samples in ``frames / fps`` seconds at 48 kHz."""
    return round(segment.frames * AUDIO_RATE / segment.fps)


def voice_index(speaker: str) -> int:
    """A stable voice per speaker name, the same in every shot."""
    return zlib.crc32(speaker.strip().lower().encode())


def dialogue_audio(segment: Segment) -> Audio:
    """The segment's dialogue spoken at its subtitle times; silence without a TTS."""
    out = np.zeros((AUDIO_CHANNELS, samples(segment)), np.float32)
    if not tts.tts_available():
        return Audio(out)
    t0 = first_frame_time(segment)
    for cue in cues(segment):
        voice = tts.speak(cue.line, voice_index(cue.line.speaker))
        if voice is None:
            continue
        start = round((cue.start + LEAD - t0) * AUDIO_RATE)
        stop = min(round((cue.end - t0) * AUDIO_RATE), out.shape[1])
        spoken = voice.samples[:, : max(stop - start, 0)].copy()
        if spoken.shape[1] < voice.num_samples:
            fade = min(round(FADE_S * AUDIO_RATE), spoken.shape[1])
            spoken[:, spoken.shape[1] - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        out[:, start : start + spoken.shape[1]] += spoken
    return Audio(np.clip(out, -1.0, 1.0))


def user_audio(segment: Segment, margin: float) -> tuple[Audio, Audio]:
    """The user's audio for the segment: (exact clip track, the same with ``margin`` s each side).

    The segment's stretch starts at ``conditioning.audio_span.start`` (its first frame),
    or at the first frame's output time when no span is given.
    """
    conditioning = segment.conditioning
    span = conditioning.audio_span
    start = span.start if span is not None else first_frame_time(segment)
    n = samples(segment)
    padded = read_audio(
        conditioning.path("audio"), span=(start - margin, start + n / AUDIO_RATE + margin)
    )
    skip = round(margin * AUDIO_RATE)
    track = np.zeros((AUDIO_CHANNELS, n), np.float32)
    body = padded.samples[:, skip : skip + n]
    track[:, : body.shape[1]] = body
    return Audio(track), padded


def loudness(padded: Audio, margin: float, segment: Segment) -> np.ndarray:
    """Per-frame level in [0, 1]: the RMS level in dB around each frame, scaled."""
    db = loudness_db(padded, segment.fps, segment.frames, start=margin)
    return np.clip((db - QUIET_DB) / (LOUD_DB - QUIET_DB), 0.0, 1.0)
