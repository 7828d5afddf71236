"""The render plan: what each engine call must produce, decided before any work.

A :class:`RenderPlan` is plain data (it goes into the sidecar as JSON). Each
:class:`Segment` is self-contained: an engine renders it from its fields alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..prompting.shots import CameraMove, DialogueLine

AudioSource = Literal["engine", "user", "reference", "none"]
"""Where a plan's sound comes from."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Span(_Frozen):
    """A time range of an input track, in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class Reference(_Frozen):
    """A reference image resolved from a prompt tag (``<<<image_1>>>``, ``@Hero``)."""

    tag: str
    path: Path
    name: str = ""
    description: str = ""


class Anchor(_Frozen):
    """A picture that keeps a character the same across shots or windows.

    Either a user's picture (``image``: an avatar's reference, for every window after
    the first), or a frame of this render decided in the plan and known only once it is
    rendered (``shot``/``frame``: shot 1's key frame, for every later shot). The runner
    resolves the latter to ``image`` before the engine sees the segment.
    """

    image: Path | None = None
    shot: int | None = None
    """The shot whose key frame this is."""
    frame: int | None = None
    """That key frame's index on the output timeline."""


class Conditioning(_Frozen):
    """What an engine conditions a segment on, beyond the prompt."""

    start_image: Path | None = None
    end_image: Path | None = None
    character_image: Path | None = None
    references: tuple[Reference, ...] = ()
    reference_video: Path | None = None
    video_span: Span | None = None
    """The part of the reference video this segment follows."""
    audio: Path | None = None
    audio_span: Span | None = None
    """The part of the user's audio this segment is driven by."""
    continue_from_previous: int = 0
    """Frames at the end of the previous segment this one continues (0: none)."""
    anchor: Anchor | None = None
    """The identity anchor (shot 1's key frame, an avatar's reference picture)."""

    def path(self, name: str) -> Path:
        """The input file ``name`` holds (``start_image``, ``audio``...), for an engine mode
        that cannot run without it; a :class:`ValueError` naming it when the plan left it out."""
        value = getattr(self, name)
        if not isinstance(value, Path):
            raise ValueError(f"this segment has no {name}, and its engine mode needs one")
        return value


class Segment(_Frozen):
    """One engine call: a shot, or a chunk of a long shot."""

    index: int
    """0-based position in the plan."""
    workflow: str
    """``text2video``, ``image2video``, ``omni``, ``motion`` or ``avatar``."""
    kind: Literal["shot", "chunk"]
    shot_index: int
    """1-based shot number this segment belongs to."""
    shots: int
    """How many shots the plan has."""
    prompt: str
    action: str
    negative_prompt: str = ""
    camera: CameraMove = CameraMove.STATIC
    dialogue: tuple[DialogueLine, ...] = ()
    start: float
    """Where the kept frames of this segment begin on the output timeline, in seconds."""
    start_frame: int
    """Same, in output frames."""
    frames: int
    """Frames the engine renders (snapped to its granularity, includes the overlap)."""
    keep_frames: int
    """Frames kept after trimming, excluding the overlap."""
    overlap_frames: int = 0
    """Leading frames blended with the previous segment's tail."""
    shot_start_frame: int | None = None
    """First output frame of the whole shot this segment belongs to (None: ``start_frame``)."""
    shot_frames: int | None = None
    """Output frames of the whole shot (None: ``keep_frames``); a camera move spans the shot."""
    width: int
    height: int
    """The size the engine renders (its size step; the output is the centre)."""
    fps: int
    seed: int
    steps: int | None = None
    audio: bool = False
    """Whether the engine should produce sound for this segment."""
    transition: Literal["cut", "blend"] = "cut"
    """How this segment joins the previous one."""
    conditioning: Conditioning = Conditioning()

    @property
    def duration(self) -> float:
        return self.keep_frames / self.fps

    def shot_progress(self, i: int) -> float:
        """Where frame ``i`` of this segment lies in its shot: 0 at the shot's first
        frame, 1 at its last (chunks of one shot continue one camera move)."""
        first = self.start_frame if self.shot_start_frame is None else self.shot_start_frame
        length = self.keep_frames if self.shot_frames is None else self.shot_frames
        frame = self.start_frame - self.overlap_frames + i
        return min(max((frame - first) / max(length - 1, 1), 0.0), 1.0)


class RenderPlan(_Frozen):
    """Everything decided about a render before an engine is touched."""

    workflow: str
    tier: str
    engine: str
    width: int
    height: int
    """The output's size (segments may render larger, cropped to it)."""
    fps: int
    duration: float
    """Requested duration in seconds."""
    total_frames: int
    """Frames in the output: ``round(duration * fps)``."""
    seed: int
    audio_source: AudioSource
    """Where the output's sound comes from."""
    audio_path: Path | None = None
    """The user's or the reference's file when ``audio_source`` is ``user``/``reference``."""
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = ()
    """Decisions a user may want explained (snapping, shot split, chunking)."""

    @property
    def cut_times(self) -> list[float]:
        """Times (s) where a new shot begins, excluding 0."""
        return [s.start for s in self.segments if s.kind == "shot" and s.index > 0]
