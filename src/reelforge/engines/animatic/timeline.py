"""Where each frame and each dialogue line of a segment sits in time.

Frame ``i`` shows output time ``segment.start - overlap_frames / fps + i / fps``, so
overlapping chunks draw the same picture at the same moment and blend invisibly.
Dialogue lines share the kept part of the segment one after another, each getting a
window in proportion to its length; its subtitle shows and its voice speaks there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...planning.plan import Segment
from ...prompting.shots import DialogueLine

LINE_WEIGHT = 12
"""Characters added to every line when sharing time, so short lines still get a moment."""
GAP = 0.15
"""Seconds between one subtitle and the next."""
LEAD = 0.1
"""Seconds from a subtitle appearing to its voice starting."""


@dataclass(frozen=True)
class Cue:
    """One dialogue line and its window on the output timeline, in seconds."""

    line: DialogueLine
    start: float
    end: float


def first_frame_time(segment: Segment) -> float:
    """Output time of frame 0 (before ``segment.start`` by the overlap)."""
    return segment.start - segment.overlap_frames / segment.fps


def frame_time(segment: Segment, i: int) -> float:
    return first_frame_time(segment) + i / segment.fps


def progress(segment: Segment, i: int) -> float:
    """Shot progress of frame ``i``: 0 at the shot's first frame, 1 at its last, so
    a camera move continues across the chunks of a long shot."""
    return segment.shot_progress(i)


def cues(segment: Segment) -> list[Cue]:
    """The segment's dialogue lines, one after another across its kept time."""
    weights = [len(line.text) + LINE_WEIGHT for line in segment.dialogue]
    total = sum(weights)
    out, at = [], segment.start
    for line, weight in zip(segment.dialogue, weights, strict=True):
        length = segment.duration * weight / total
        out.append(Cue(line, at, at + max(length - GAP, length * 0.8)))
        at += length
    return out


def speaker_label(line: DialogueLine) -> str:
    """``MARA: Stay.`` — the subtitle text of a line."""
    return f"{line.speaker.upper()}: {line.text}" if line.speaker else line.text
