"""The animatic engine: a fast CPU previz of any segment, with no weights.

It never pretends to be a model: every frame carries an "ANIMATIC · previz" mark.
:meth:`AnimaticEngine.render` picks a mode from the segment's conditioning, prepares
it once (layers, overlays, sound), then draws the frames on a small thread pool —
Pillow and NumPy release the GIL for the copies and resizes that dominate a frame.
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

import numpy as np

from ...media.clip import Clip
from ...planning.plan import Segment
from ..base import Engine, StepCallback, no_progress
from . import modes, sound
from .modes import Frames
from .views import Mapper

BATCH = 12
"""Frames per work item, and how often progress is reported."""
WORKERS = min(4, os.cpu_count() or 1)


def pick_mode(segment: Segment) -> Callable[[Segment, Mapper], Frames]:
    """The mode function for ``segment``, from what it is conditioned on."""
    c = segment.conditioning
    if c.audio is not None and (c.start_image or c.character_image):
        return modes.avatar_frames
    if c.character_image is not None and c.reference_video is not None:
        return modes.motion_frames
    if c.start_image is not None:
        return modes.image_frames
    return modes.text_frames


class AnimaticEngine(Engine):
    """Storyboard cards, moving stills, audio-driven portraits and motion side-by-sides."""

    name = "animatic"
    needs_weights = False

    def render(
        self,
        segment: Segment,
        progress: StepCallback = no_progress,
        previous: Clip | None = None,
    ) -> Clip:
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="animatic") as pool:
            frames = pick_mode(segment)(segment, pool.map)
            video = _draw_all(frames, pool, progress)
        audio = frames.audio
        if audio is None and segment.audio:
            audio = sound.dialogue_audio(segment)
        return Clip(video, segment.fps, audio, {"engine": self.name, "mode": frames.mode})


def frame_buffer(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised uint8 array, its memory mapped in up front where Linux allows.

    Touching fresh memory page by page costs more than drawing into it on some VMs;
    ``MAP_POPULATE`` maps it in bulk. Elsewhere this is plain ``np.empty``.
    """
    size = math.prod(shape)
    flags = getattr(mmap, "MAP_POPULATE", 0)
    if not flags or size == 0:
        return np.empty(shape, np.uint8)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | flags)
    return np.frombuffer(memory, np.uint8).reshape(shape)


def _draw_all(frames: Frames, pool: ThreadPoolExecutor, progress: StepCallback) -> np.ndarray:
    """Every frame of ``frames``, drawn in batches on ``pool``; reports progress per batch."""
    seg = frames.segment
    out = frame_buffer((seg.frames, seg.height, seg.width, 3))

    def run(lo: int, hi: int) -> int:
        for i in range(lo, hi):
            frames.draw(i, out[i])
        return hi - lo

    jobs: list[Future[int]] = [
        pool.submit(run, lo, min(lo + BATCH, seg.frames)) for lo in range(0, seg.frames, BATCH)
    ]
    done = 0
    try:
        for job in as_completed(jobs):
            done += job.result()
            progress(done, seg.frames)
    except BaseException:
        for job in jobs:
            job.cancel()
        raise
    return out
