"""A test engine whose frames show the output time: flat grey level = 20 + 3·frame mod 200.

Blending two renders of the same instant gives the same level, so any dropped,
repeated or misplaced frame at a chunk join shows up as a step ≠ 3 in the decoded video.
"""

from __future__ import annotations

import numpy as np

from reelforge.engines.base import Engine, StepCallback, no_progress
from reelforge.media.clip import Audio, Clip
from reelforge.planning.plan import Segment

CALLS: list[Segment] = []


def level(frame: int) -> int:
    return 20 + (3 * frame) % 200


class ClockEngine(Engine):
    name = "clock"
    needs_weights = False

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        CALLS.append(segment)
        first = segment.start_frame - segment.overlap_frames
        levels = np.array([level(first + i) for i in range(segment.frames)], np.uint8)
        frames = np.broadcast_to(
            levels[:, None, None, None], (segment.frames, segment.height, segment.width, 3)
        ).copy()
        for step in range(1, 3):
            progress(step, 2)
        audio = Audio.silence(segment.frames / segment.fps) if segment.audio else None
        return Clip(frames, segment.fps, audio)


class BrokenEngine(ClockEngine):
    def render(self, segment, progress=no_progress, previous=None):
        if segment.index == 1:
            raise RuntimeError("GPU fell off the bus")
        return super().render(segment, progress, previous)


class DivergingEngine(ClockEngine):
    """Its second segment's pipeline output is NaN from frame 3 on (a schedule that
    diverged), handed to the output path every diffusers engine uses."""

    def render(self, segment, progress=no_progress, previous=None):
        from reelforge.engines.diffusers_engine import DiffusersEngine

        clip = super().render(segment, progress, previous)
        if segment.index != 1:
            return clip
        video = clip.frames.astype(np.float32) / 255.0
        video[3:] = np.nan
        return DiffusersEngine.to_clip(video, segment.fps)
