"""Chains rendered segments into one streamed MP4: trims, blends overlaps, lays sound.

Segments arrive one at a time; only the frames a following segment will blend with
are held back, so memory stays at one segment however long the video is.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..media.assemble import crossfade_audio, crossfade_frames
from ..media.clip import Audio, Clip
from ..planning.plan import Segment


class FrameSink(Protocol):
    """Where a timeline writes: a :class:`~reelforge.media.encode.VideoWriter`, or an
    adapter in front of one."""

    def write_frames(self, frames: np.ndarray) -> None: ...

    def write_audio(self, audio: Audio) -> None: ...


class Timeline:
    """Writes segments in plan order to ``writer``.

    ``track``: the output's sound when it comes from the user or a reference video
    (sliced to the frames written); otherwise the segments' own audio is used when
    ``engine_audio`` is true, silence when a segment brings none.
    """

    def __init__(
        self,
        writer: FrameSink,
        fps: int,
        track: Audio | None,
        engine_audio: bool,
        size: tuple[int, int] | None = None,
    ) -> None:
        self.writer = writer
        self.fps = fps
        self.size = size
        self.track = track
        self.engine_audio = engine_audio
        self.frames_written = 0
        self._held: Clip | None = None

    def add(self, segment: Segment, clip: Clip, next_overlap: int) -> None:
        """Add ``segment``'s rendered ``clip`` (cropped to the output's ``size``); hold back
        ``next_overlap`` trailing frames."""
        clip = clip.head(segment.overlap_frames + segment.keep_frames)
        if self.size is not None:
            clip = clip.cropped(*self.size)
        if segment.overlap_frames:
            clip = self._blend_into_held(clip, segment.overlap_frames)
        elif self._held is not None:
            self._write(self._held)
            self._held = None
        cut = clip.num_frames - next_overlap
        self._write(clip.head(cut))
        self._held = clip.tail_from(cut) if next_overlap else None

    def finish(self) -> None:
        if self._held is not None:
            self._write(self._held)
            self._held = None

    def _blend_into_held(self, clip: Clip, overlap: int) -> Clip:
        held = self._held
        if held is None or held.num_frames != overlap:
            raise RuntimeError(
                f"segment overlaps {overlap} frames but {0 if held is None else held.num_frames} are held"
            )
        head = clip.head(overlap)
        audio = None
        if held.audio is not None and head.audio is not None:
            audio = crossfade_audio(held.audio, head.audio, held.duration)
        self._write(Clip(crossfade_frames(held.frames, head.frames), clip.fps, audio))
        self._held = None
        return clip.tail_from(overlap)

    def _write(self, clip: Clip) -> None:
        if clip.num_frames == 0:
            return
        start = self.frames_written / self.fps
        self.writer.write_frames(clip.frames)
        self.frames_written += clip.num_frames
        end = self.frames_written / self.fps
        if self.track is not None:
            self.writer.write_audio(self.track.slice(start, end))
        elif self.engine_audio:
            audio = clip.audio if clip.audio is not None else Audio.silence(end - start)
            self.writer.write_audio(audio.fit(end - start))
