"""Video extend (Kling's ``video-extend``): a finished video, continued from its last frame.

:func:`extend` plans the continuation as an ordinary image-to-video request (the last
frame, saved as a PNG, is its start image; the source's aspect, size and sound) through
the usual request → lineup → planning path, then writes ONE new MP4: the source's frames
and sound, decoded and streamed into the writer, followed by the continuation rendered
segment by segment (:func:`reelforge.render.runner.write_plan`). Nothing is held but a
batch of frames at a time; the MP4 appears only when complete, with a poster and a
sidecar that records the source and the extension's plan.

:func:`preflight_extension` runs the same checks and plan without rendering, for the
API's submit: a continuation the worker would refuse is refused before it is queued.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..engines.base import SpeedOptions
from ..errors import InputError
from ..lineup.tiers import ENGINES
from ..media.artifact import Artifact
from ..media.assemble import write_sidecar
from ..media.clip import Audio, Clip
from ..media.decode import iter_audio, iter_frames, read_video
from ..media.encode import VideoWriter
from ..media.probe import VideoInfo, probe_video
from ..planning.extend import DEFAULT_EXTEND_SECONDS, continuation_request
from ..planning.preflight import Preflight, preflight
from ..planning.seeds import new_seed
from ..request import limits
from .progress import CancelToken, ProgressCallback, ProgressEvent, ignore_progress
from .runner import RENDER_SHARE, Timings, finish, output_path, prepare, sidecar, write_plan

CONTEXT_FRAMES = 8
"""The source's last frames handed to the engine as ``previous`` (at least the engine's
overlap), for engines that continue from earlier frames."""
COPY_CHUNK = 24
"""Frames of the source decoded and written at a time."""


def extend(
    source_video: str | Path,
    prompt: str = "",
    seconds: float = DEFAULT_EXTEND_SECONDS,
    *,
    negative_prompt: str = "",
    tier: str | None = None,
    model: str | None = None,
    seed: int | None = None,
    cfg_scale: float | None = None,
    output: str | Path | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    previz: bool = False,
    steps: int | None = None,
    model_path: str | Path | None = None,
    device: str | None = None,
    speed: SpeedOptions | None = None,
    source: dict[str, Any] | None = None,
) -> Artifact:
    """Continue ``source_video`` by ``seconds`` from its last frame; the new MP4 is the whole.

    The continuation is an image-to-video render of the last frame at the source's size
    (and aspect and resolution), planned by ``tier`` (the original task's; a tier without
    image-to-video lets the guide choose). Its frames follow the source's at the source's
    frame rate; the sound is the source's followed by the continuation's (silence where
    either has none) when the source has sound. ``source``: facts about the source (task
    and video ids) for the sidecar. Other keywords as :func:`reelforge.render`.
    """
    cancel = cancel or CancelToken()
    timings = Timings()
    source_video = Path(source_video)
    with timings("probe"):
        info = _probe_source(source_video)
        seed = seed if seed is not None else new_seed()
        video_path = output_path(output, "extend", seed)
        tail = _last_frames(source_video, info, CONTEXT_FRAMES)
        start_image = _save_start_image(
            tail.frames[-1], video_path.with_name(f"{video_path.stem}-start.png")
        )

    request = _continuation(
        info,
        start_image,
        prompt,
        seconds,
        tier=tier,
        model=model,
        negative_prompt=negative_prompt,
        cfg_scale=cfg_scale,
        seed=seed,
    )
    job = prepare(
        request,
        progress=progress,
        timings=timings,
        previz=previz,
        size=(info.width, info.height),
        steps=steps,
        model_path=model_path,
        device=device,
        speed=speed,
    )
    plan = job.plan
    context = max(CONTEXT_FRAMES, ENGINES[plan.engine].overlap_frames)
    if context > tail.num_frames and info.frames > tail.num_frames:
        tail = _last_frames(source_video, info, context)

    with timings("render"):
        with VideoWriter(
            video_path, info.width, info.height, info.fps, audio=info.has_audio
        ) as writer:
            progress(ProgressEvent("encode", 0.0, f"copying the source's {info.frames} frames"))
            copied, poster = _copy_source(source_video, info, writer, cancel)
            sink = writer if Fraction(plan.fps) == writer.fps else _Resampled(writer, plan.fps)
            write_plan(job, sink, progress, cancel, previous=Clip(tail.frames, tail.fps))
            total = writer.frames_written
            progress(ProgressEvent("encode", RENDER_SHARE, "finishing the MP4"))

    artifact = finish(job, video_path, poster, float(total / writer.fps), info.has_audio)
    artifact = _with_fps(artifact, writer.fps)
    data = sidecar(job, artifact, timings)
    data["extend"] = {
        "source": {
            **(source or {}),
            "video": str(source_video),
            "frames": copied,
            "duration": float(copied / writer.fps),
            "width": info.width,
            "height": info.height,
            "fps": info.fps,
            "audio": info.has_audio,
        },
        "seconds": seconds,
        "start_image": start_image.name,
        "continuation_start_frame": copied,
        "continuation_frames": total - copied,
    }
    write_sidecar(artifact.sidecar, data)
    progress(ProgressEvent("done", 1.0, f"wrote {video_path}"))
    return artifact


def preflight_extension(
    source_video: str | Path,
    prompt: str = "",
    seconds: float = DEFAULT_EXTEND_SECONDS,
    *,
    negative_prompt: str = "",
    tier: str | None = None,
    model: str | None = None,
    cfg_scale: float | None = None,
    previz: bool = False,
) -> Preflight:
    """What :func:`extend` checks and plans before it renders, without rendering.

    The source is probed as :func:`extend` probes it; its last frame is stood in for by
    a blank frame of its size, saved as :func:`extend` saves the real one (the checks
    read the picture's size, not its pixels), and the continuation goes through the
    same preflight. The stand-in is deleted on return; the plan's paths point nowhere.
    """
    source_video = Path(source_video)
    info = _probe_source(source_video)
    with tempfile.TemporaryDirectory(prefix="reelforge-extend-") as folder:
        blank = np.zeros((info.height, info.width, 3), np.uint8)
        start_image = _save_start_image(blank, Path(folder) / "start.png")
        request = _continuation(
            info,
            start_image,
            prompt,
            seconds,
            tier=tier,
            model=model,
            negative_prompt=negative_prompt,
            cfg_scale=cfg_scale,
        )
        return preflight(request, previz=previz, size=(info.width, info.height))


# ----------------------------------------------------------------------------- helpers


def _probe_source(path: Path) -> VideoInfo:
    info = probe_video(path, "video_id")
    if info.frames <= 0:
        raise InputError("video_id", path.name, "frames", f"{path.name} has no frames")
    return info


def _continuation(
    info: VideoInfo, start_image: Path, prompt: str, seconds: float, **options: Any
) -> dict[str, Any]:
    """The image-to-video request that continues the video ``info`` describes from
    ``start_image``, at its size and with its sound (``options``: tier, seed...)."""
    return continuation_request(
        start_image,
        prompt,
        seconds,
        width=info.width,
        height=info.height,
        audio=info.has_audio,
        **options,
    )


def _last_frames(path: Path, info: VideoInfo, count: int) -> Clip:
    """The source's last ``count`` frames (seeking, so only they are decoded)."""
    first = max(info.frames - count, 0)
    start = max(0.0, float((first - Fraction(1, 2)) / info.fps)) if first else 0.0
    clip = read_video(path, span=(start, float("inf")), field="video_id")
    return Clip(clip.frames[-count:], clip.fps)


def _save_start_image(frame: np.ndarray, path: Path) -> Path:
    """The continuation's start image as a PNG, upscaled when its short side is under the
    image limit (a small draft's frame still passes the input checks; the engine fits it
    back to the video's size)."""
    image = Image.fromarray(frame)
    short = min(image.size)
    if short < limits.IMAGE_MIN_SIDE_PX:
        scale = limits.IMAGE_MIN_SIDE_PX / short
        image = image.resize(
            (
                max(round(image.width * scale), limits.IMAGE_MIN_SIDE_PX),
                max(round(image.height * scale), limits.IMAGE_MIN_SIDE_PX),
            ),
            Image.Resampling.LANCZOS,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def _copy_source(
    path: Path, info: VideoInfo, writer: VideoWriter, cancel: CancelToken
) -> tuple[int, np.ndarray]:
    """Stream the source's frames (and sound, sample-exact to its frames) into ``writer``;
    returns the frames written and the poster (the source's middle frame)."""
    sound = (
        _Samples(iter_audio(path, writer.audio_rate, writer.channels, field="video_id"))
        if writer.has_audio
        else None
    )
    middle = max(info.frames // 2, 0)
    poster: np.ndarray | None = None
    written = 0
    for batch in iter_frames(path, COPY_CHUNK, field="video_id"):
        cancel.raise_if_cancelled()
        if poster is None and written + len(batch) > middle:
            poster = batch[middle - written].copy()
        writer.write_frames(batch)
        written += len(batch)
        if sound is not None:
            writer.write_audio(sound.until(round(written * writer.audio_rate / writer.fps)))
    if poster is None:
        raise InputError("video_id", path.name, "frames", f"{path.name} has no frames")
    return written, poster


class _Samples:
    """Pieces of a decoded track, handed out up to an exact sample count (zero-padded
    when the track runs short)."""

    def __init__(self, pieces) -> None:
        self._pieces = iter(pieces)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self._given = 0
        self._rate: int | None = None
        self._channels: int | None = None

    def until(self, sample: int) -> Audio:
        """The samples from the last call's end up to ``sample``."""
        want = max(sample - self._given, 0)
        while self._buffered < want:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._rate, self._channels = piece.rate, piece.channels
            self._buffer.append(piece.samples)
            self._buffered += piece.num_samples
        channels = self._channels or 2
        joined = (
            np.concatenate(self._buffer, axis=1)
            if self._buffer
            else np.zeros((channels, 0), np.float32)
        )
        out, rest = joined[:, :want], joined[:, want:]
        self._buffer, self._buffered = ([rest] if rest.shape[1] else []), rest.shape[1]
        if out.shape[1] < want:
            out = np.concatenate(
                [out, np.zeros((out.shape[0], want - out.shape[1]), np.float32)], axis=1
            )
        self._given += want
        return Audio(out, self._rate or 48_000)


class _Resampled:
    """A sink at another frame rate in front of a writer: each frame is repeated or
    dropped so that frame times line up (nearest earlier frame); audio passes through."""

    def __init__(self, writer: VideoWriter, fps: int | Fraction) -> None:
        self.writer = writer
        self.fps_in = Fraction(fps)
        self.frames_in = 0
        self.frames_out = 0

    def write_frames(self, frames: np.ndarray) -> None:
        picks: list[int] = []
        for i in range(len(frames)):
            self.frames_in += 1
            end = Fraction(self.frames_in) / self.fps_in
            while Fraction(self.frames_out + len(picks)) / self.writer.fps < end:
                picks.append(i)
        if picks:
            self.writer.write_frames(frames[picks])
            self.frames_out += len(picks)

    def write_audio(self, audio: Audio) -> None:
        self.writer.write_audio(audio)


def _with_fps(artifact: Artifact, fps: Fraction) -> Artifact:
    """The artifact at the written file's frame rate (the source's; an int when whole)."""
    return replace(artifact, fps=int(fps) if fps.denominator == 1 else fps)
