"""The runner: request → check → tier → plan → engine per segment → MP4 + poster + sidecar.

This is :func:`reelforge.render`. It reads top to bottom like a pipeline call; the
pieces it calls live in their layers. Nothing is left half-written: the MP4 appears
only when complete, and the sidecar only beside a complete MP4.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..engines.base import Engine, SpeedOptions
from ..engines.registry import get_engine
from ..errors import ReelforgeError
from ..lineup import estimate
from ..lineup.select import Choice
from ..media.artifact import Artifact
from ..media.assemble import write_poster, write_sidecar
from ..media.clip import Audio, Clip
from ..media.decode import read_audio
from ..media.encode import VideoWriter
from ..planning.plan import RenderPlan, Segment
from ..planning.preflight import preflight
from ..request.check import CheckedRequest
from ..request.models import AnyRequest
from .key_frames import KeyFrames
from .progress import CancelToken, ProgressCallback, ProgressEvent, ignore_progress
from .timeline import FrameSink, Timeline

DEFAULT_OUTPUT_DIR = Path("out")
RENDER_SHARE = 0.95
"""Share of the progress bar spent rendering segments; the rest is setup and encoding."""


def render(
    request: AnyRequest | dict[str, Any],
    *,
    output: str | Path | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    previz: bool = False,
    size: tuple[int, int] | None = None,
    steps: int | None = None,
    model_path: str | Path | None = None,
    device: str | None = None,
    speed: SpeedOptions | None = None,
    sidecar_extra: dict[str, Any] | None = None,
) -> Artifact:
    """Render ``request`` to an MP4 with a poster and a JSON sidecar beside it.

    ``output``: a folder (default ``out/``) or an ``.mp4`` path. ``previz``: render the
    chosen tier's plan with the animatic engine. ``size``/``steps`` override the presets;
    ``model_path`` is a local diffusers folder for the tier's engine; ``device`` and
    ``speed`` go to the engine (default: the GPU when there is one, the tier's preset). Raises :class:`~reelforge.errors.InputError`
    before any work when the request breaks a limit. ``sidecar_extra``: more entries for
    the sidecar (a final's draft).
    """
    cancel = cancel or CancelToken()
    timings = Timings()
    job = prepare(
        request,
        progress=progress,
        timings=timings,
        previz=previz,
        size=size,
        steps=steps,
        model_path=model_path,
        device=device,
        speed=speed,
    )
    plan = job.plan

    # 4. Render segment by segment, streaming into the MP4.
    video_path = output_path(output, job.checked.request.workflow, plan.seed)
    with timings("render"):
        with VideoWriter(
            video_path, plan.width, plan.height, plan.fps, audio=plan.audio_source != "none"
        ) as writer:
            poster = write_plan(job, writer, progress, cancel)
            progress(ProgressEvent("encode", RENDER_SHARE, "finishing the MP4"))

    # 5. Poster and sidecar beside the video.
    artifact = finish(
        job, video_path, poster, plan.total_frames / plan.fps, plan.audio_source != "none"
    )
    write_sidecar(artifact.sidecar, {**sidecar(job, artifact, timings), **(sidecar_extra or {})})
    progress(ProgressEvent("done", 1.0, f"wrote {video_path}"))
    return artifact


@dataclass(frozen=True)
class Job:
    """A checked, planned request and its loaded engine: what :func:`write_plan` renders."""

    checked: CheckedRequest
    choice: Choice
    plan: RenderPlan
    engine: Engine
    user_audio: Audio | None = None
    """The user's audio as read once for planning (avatar), reused for the output track."""


def prepare(
    request: AnyRequest | dict[str, Any],
    *,
    progress: ProgressCallback = ignore_progress,
    timings: Timings | None = None,
    previz: bool = False,
    size: tuple[int, int] | None = None,
    steps: int | None = None,
    model_path: str | Path | None = None,
    device: str | None = None,
    speed: SpeedOptions | None = None,
) -> Job:
    """Steps 1–3 of a render: check the request, choose the tier, plan, load the engine."""
    timings = timings if timings is not None else Timings()

    # 1–2. Check every limit and probe the inputs, choose the tier, plan every segment:
    # the preflight, which the API's submit runs too (nothing here loads an engine).
    pre = preflight(request, previz=previz, size=size, steps=steps, stage=timings)
    plan = pre.plan
    for warning in pre.warnings:
        progress(ProgressEvent("check", 0.0, f"warning: {warning}"))
    progress(
        ProgressEvent(
            "plan",
            0.0,
            f"{plan.tier}: {len(plan.segments)} segment(s), {plan.width}×{plan.height} @ {plan.fps} fps",
        )
    )

    # 3. Load the engine (kept loaded for the next task).
    with timings("load"):
        progress(ProgressEvent("load", 0.0, f"loading {plan.engine}"))
        engine = get_engine(
            plan.engine,
            tier=plan.tier,
            device=device,
            speed=speed,
            model_path=None if previz else model_path,
        )
        engine.fit(plan.segments)  # the weights' placement holds the largest segment
    return Job(pre.checked, pre.choice, plan, engine, pre.user_audio)


def write_plan(
    job: Job,
    writer: FrameSink,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    *,
    previous: Clip | None = None,
) -> np.ndarray:
    """Render ``job``'s segments in order into ``writer`` (streaming); returns the poster
    frame. ``previous``: frames the first segment continues (a video being extended)."""
    cancel = cancel or CancelToken()
    plan = job.plan
    timeline = Timeline(
        writer,
        plan.fps,
        _input_track(plan, job.user_audio),
        engine_audio=plan.audio_source == "engine",
        size=(plan.width, plan.height),
    )
    poster: np.ndarray | None = None
    with KeyFrames(plan) as key_frames:
        for seg in plan.segments:
            cancel.raise_if_cancelled()
            clip = _render_segment(
                job.engine, key_frames.resolve(seg), plan, previous, progress, cancel
            )
            if poster is None:
                middle = min(clip.num_frames - 1, seg.keep_frames // 2)
                poster = clip.cropped(plan.width, plan.height).frames[middle].copy()
            key_frames.keep(seg, clip)
            timeline.add(seg, clip, _next_overlap(plan, seg))
            previous = clip.head(seg.overlap_frames + seg.keep_frames)
    timeline.finish()
    assert poster is not None  # a plan has at least one segment
    return poster


def finish(
    job: Job, video_path: Path, poster: np.ndarray, duration: float, has_audio: bool
) -> Artifact:
    """The :class:`Artifact` of a written MP4, with its poster written beside it."""
    plan = job.plan
    return Artifact(
        video=video_path,
        poster=write_poster(poster, video_path.with_suffix(".jpg")),
        sidecar=video_path.with_suffix(".json"),
        duration=duration,
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        has_audio=has_audio,
        tier=plan.tier,
        previz=plan.engine == "animatic",
    )


def _render_segment(
    engine: Engine,
    seg: Segment,
    plan: RenderPlan,
    previous: Clip | None,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> Clip:
    total = sum(s.frames for s in plan.segments)
    done = sum(s.frames for s in plan.segments[: seg.index])
    label = f"segment {seg.index + 1}/{len(plan.segments)} (shot {seg.shot_index}/{seg.shots})"

    def on_step(step: int, steps: int) -> None:
        cancel.raise_if_cancelled()
        fraction = RENDER_SHARE * (done + seg.frames * step / max(steps, 1)) / total
        progress(
            ProgressEvent("render", fraction, label, seg.index + 1, len(plan.segments), step, steps)
        )

    on_step(0, 1)
    clip = engine.render(seg, on_step, previous)
    needed = seg.overlap_frames + seg.keep_frames
    if clip.num_frames < needed or (clip.width, clip.height) != (seg.width, seg.height):
        raise ReelforgeError(
            f"engine {plan.engine} returned {clip.num_frames} frames of {clip.width}×{clip.height} "
            f"for {label}; the plan needs {needed} of {seg.width}×{seg.height}"
        )
    return clip


def _next_overlap(plan: RenderPlan, seg: Segment) -> int:
    following = seg.index + 1
    return plan.segments[following].overlap_frames if following < len(plan.segments) else 0


def _input_track(plan: RenderPlan, audio: Audio | None = None) -> Audio | None:
    """The user's or the reference video's sound, cut or padded to the output's length.

    ``audio``: the user's track already read (avatar), used instead of reading it again.
    """
    if plan.audio_source in ("user", "reference") and plan.audio_path is not None:
        track = (
            audio
            if audio is not None and plan.audio_source == "user"
            else read_audio(plan.audio_path)
        )
        return track.fit(plan.total_frames / plan.fps)
    return None


def output_path(output: str | Path | None, workflow: str, seed: int) -> Path:
    out = Path(output) if output is not None else DEFAULT_OUTPUT_DIR
    if out.suffix.lower() == ".mp4":
        out.parent.mkdir(parents=True, exist_ok=True)
        return out
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return out / f"{workflow}-{stamp}-{seed}.mp4"


def sidecar(job: Job, artifact: Artifact, timings: Timings) -> dict[str, Any]:
    """The JSON written beside a render: request, tier and why, estimate, plan, seeds,
    output facts, versions and timings."""
    return {
        "reelforge": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "previz": artifact.previz,
        **plan_record(job.checked, job.choice, job.plan),
        "output": {
            "video": artifact.video.name,
            "poster": artifact.poster.name,
            "duration": artifact.duration,
            "width": artifact.width,
            "height": artifact.height,
            "fps": artifact.fps,
            "audio": artifact.has_audio,
        },
        "versions": _versions(),
        "timings": timings.seconds,
    }


def plan_record(checked: CheckedRequest, choice: Choice, plan: RenderPlan) -> dict[str, Any]:
    """What a render decided before any work, as JSON-ready data: the request, the tier and
    why, the estimate, the plan and its seeds (the sidecar's, and a dry run's)."""
    req = checked.request
    return {
        "request": req.model_dump(mode="json"),
        "tier": {"name": choice.tier.name, "reasons": list(choice.reasons)},
        "estimate": vars(estimate(req, choice.tier, checked.duration)),
        "plan": plan.model_dump(mode="json"),
        "seeds": {"task": plan.seed, "segments": [s.seed for s in plan.segments]},
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("numpy", "pillow", "av", "pydantic"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


class Timings:
    """Wall-clock seconds per stage, for the sidecar."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(time.perf_counter() - start, 4)
