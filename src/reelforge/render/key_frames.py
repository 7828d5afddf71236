"""Frames of a render that condition its later segments (shot 1's key frame).

The plan names them by their place on the output timeline (``Anchor(shot=1, frame=k)``);
they exist only once that segment is rendered. :class:`KeyFrames` keeps each one as a
PNG in a folder that lives as long as the render, and hands later segments their anchor
as a picture, so an engine sees a self-contained segment like any other.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from ..errors import ReelforgeError
from ..media.clip import Clip
from ..planning.plan import RenderPlan, Segment


class KeyFrames:
    """The key frames ``plan`` asks for, captured as segments render (a context manager)."""

    def __init__(self, plan: RenderPlan) -> None:
        self.wanted = sorted(
            {
                (anchor.shot, anchor.frame)
                for seg in plan.segments
                if (anchor := seg.conditioning.anchor) is not None and anchor.frame is not None
            },
            key=lambda item: item[1],
        )
        self.saved: dict[int, Path] = {}
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> KeyFrames:
        if self.wanted:
            self._folder = tempfile.TemporaryDirectory(prefix="reelforge-keyframes-")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            self._folder.cleanup()

    def keep(self, seg: Segment, clip: Clip) -> None:
        """Save the wanted frames that ``seg`` (just rendered as ``clip``) puts on the timeline."""
        for shot, frame in self.wanted:
            if (
                seg.start_frame <= frame < seg.start_frame + seg.keep_frames
                and frame not in self.saved
            ):
                assert self._folder is not None
                path = Path(self._folder.name) / f"shot{shot}-frame{frame}.png"
                Image.fromarray(clip.frames[seg.overlap_frames + frame - seg.start_frame]).save(
                    path
                )
                self.saved[frame] = path

    def resolve(self, seg: Segment) -> Segment:
        """``seg`` with its anchor's key frame as a picture (unchanged when it has none)."""
        anchor = seg.conditioning.anchor
        if anchor is None or anchor.frame is None or anchor.image is not None:
            return seg
        path = self.saved.get(anchor.frame)
        if path is None:
            raise ReelforgeError(
                f"segment {seg.index + 1} is anchored on frame {anchor.frame} of shot "
                f"{anchor.shot}, which no earlier segment rendered"
            )
        conditioning = seg.conditioning.model_copy(
            update={"anchor": anchor.model_copy(update={"image": path})}
        )
        return seg.model_copy(update={"conditioning": conditioning})
