"""The animatic, recording each call: the segment, the anchor picture it was handed (read
while it exists) and the clip it returned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from reelforge.engines.animatic import AnimaticEngine
from reelforge.engines.base import no_progress
from reelforge.media.clip import Clip
from reelforge.planning.plan import Segment


@dataclass
class Call:
    segment: Segment
    anchor: np.ndarray | None
    clip: Clip


CALLS: list[Call] = []


class RecordingAnimatic(AnimaticEngine):
    def render(self, segment, progress=no_progress, previous=None) -> Clip:
        anchor = segment.conditioning.anchor
        picture = None if anchor is None else np.asarray(Image.open(anchor.image).convert("RGB"))
        clip = super().render(segment, progress, previous)
        CALLS.append(Call(segment, picture, clip))
        return clip
