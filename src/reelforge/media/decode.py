"""Decoding inputs into reelforge's in-memory currencies (PIL images, Audio, Clip).

Everything here normalises: images come out RGB with EXIF orientation applied,
audio comes out float32 at reelforge's rate and channel count, video comes out as
RGB frames at the rate and size the caller asks for, so engines never see the
quirks of the files users upload.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np
from PIL import Image, ImageOps

from reelforge.errors import InputError

from .clip import AUDIO_CHANNELS, AUDIO_RATE, Audio, Clip
from .probe import (
    check_pixels,
    existing_file,
    open_container,
    open_image,
    stream_fps,
    undecodable,
    unreadable_image,
)

NEUTRAL_BACKGROUND = (128, 128, 128)
"""What transparent pixels become: mid grey biases a model toward neither light nor dark."""

FitMode = Literal["cover", "contain"]


# --------------------------------------------------------------------------- images


def load_image(
    path: str | Path, max_pixels: int | None = None, field: str = "image"
) -> Image.Image:
    """Decode an image as RGB, upright (EXIF orientation applied), alpha flattened.

    ``max_pixels`` refuses oversized images before decoding (decompression-bomb
    guard); Pillow's own limit applies too. Every failure is an :class:`InputError`.
    """
    path = existing_file(path, field)
    image = open_image(path, field, max_pixels)
    try:
        with image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            return flatten_alpha(upright)
    except (OSError, SyntaxError, ValueError) as exc:
        raise unreadable_image(path, field, exc) from exc


def flatten_alpha(image: Image.Image, background: tuple[int, int, int] = NEUTRAL_BACKGROUND):
    """``image`` as RGB; transparent areas are composited over ``background``."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    return Image.alpha_composite(canvas, rgba).convert("RGB")


def fit_image(
    image: Image.Image | np.ndarray, width: int, height: int, mode: FitMode = "cover"
) -> np.ndarray:
    """Resize to exactly ``width``×``height`` as uint8 ``(H, W, 3)``.

    ``cover`` scales to fill and centre-crops the overflow (no bars, loses edges);
    ``contain`` scales to fit and letterboxes on black (keeps everything).
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image = image.convert("RGB")
    size = (int(width), int(height))
    if mode == "cover":
        out = ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
    elif mode == "contain":
        out = ImageOps.pad(image, size, method=Image.Resampling.LANCZOS, color=(0, 0, 0))
    else:
        raise ValueError(f"fit mode must be 'cover' or 'contain', got {mode!r}")
    return np.asarray(out, dtype=np.uint8)


# --------------------------------------------------------------------------- audio


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels) or f"{channels}c"


def read_audio(
    path: str | Path,
    rate: int = AUDIO_RATE,
    channels: int = AUDIO_CHANNELS,
    span: tuple[float, float] | None = None,
    field: str = "audio_file",
) -> Audio:
    """Decode the first audio stream of any PyAV-readable file (video files too).

    The samples are resampled to ``rate`` and ``channels`` and returned as float32
    ``(channels, n)``. ``span=(start, end)`` in seconds returns exactly that stretch,
    zero-padded where the file is shorter.
    """
    path = existing_file(path, field)
    with open_container(path, field, "audio file") as container:
        if not container.streams.audio:
            raise InputError(field, path.name, "audio stream", f"{path.name} has no audio track")
        stream = container.streams.audio[0]
        # Times are measured from the video's start when there is one, so a span means
        # the same stretch for the frames and the sound.
        origin = _start_seconds(container.streams.video[0] if container.streams.video else stream)
        return _decode_audio(container, stream, rate, channels, span, origin, path, field)


def _start_seconds(stream: av.stream.Stream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _decode_audio(container, stream, rate, channels, span, origin, path, field) -> Audio:
    """Decode (from ``span[0]`` when given) and resample; time 0 is ``origin`` seconds."""
    # Mono is resampled as mono and duplicated afterwards: libswresample's upmix would
    # lower it by 3 dB, and a mono voice recording should stay as loud as it was.
    mono = stream.codec_context.channels == 1
    layout = "mono" if mono else _layout(channels)
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    if span is not None and span[0] > 0:
        container.seek(int((origin + span[0]) * av.time_base), backward=True, any_frame=False)
    chunks: list[np.ndarray] = []
    first_time: float | None = None
    try:
        for frame in container.decode(stream):
            if first_time is None:
                first_time = (frame.time if frame.time is not None else origin) - origin
            if span is not None and frame.time is not None and frame.time - origin > span[1]:
                break
            chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray() for f in resampler.resample(None))
    except av.FFmpegError as exc:
        raise undecodable(path, field, "audio", exc) from exc
    samples = (
        np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
        if chunks
        else np.zeros((1 if mono else channels, 0), np.float32)
    )
    if mono and channels != 1:
        samples = np.repeat(samples, channels, axis=0)
    audio = Audio(np.clip(samples, -1.0, 1.0), rate)
    if span is None:
        # AAC decoders emit the encoder's end padding (up to one 1024-sample block);
        # the container's declared duration says where the real sound ends.
        declared = _declared_seconds(stream)
        if declared is not None and audio.duration > declared:
            audio = audio.fit(declared)
        return audio
    offset = first_time or 0.0
    return audio.slice(span[0] - offset, span[1] - offset)


def _declared_seconds(stream: av.stream.Stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def resample_audio(audio: Audio, rate: int = AUDIO_RATE, channels: int = AUDIO_CHANNELS) -> Audio:
    """``audio`` converted to ``rate`` and ``channels`` (libswresample via PyAV).

    Mono is duplicated to every channel; other channel counts are remixed by
    libswresample. Returns ``audio`` itself when nothing needs converting.
    """
    if audio.rate == rate and audio.channels == channels:
        return audio
    if audio.rate == rate and audio.channels == 1:
        return Audio(np.repeat(audio.samples, channels, axis=0), rate)
    if audio.num_samples == 0:
        return Audio(np.zeros((channels, 0), np.float32), rate)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(audio.samples, dtype=np.float32),
        format="fltp",
        layout=_layout(audio.channels),
    )
    frame.sample_rate = audio.rate
    mono = audio.channels == 1  # duplicated afterwards, at full level (see _decode_audio)
    layout = "mono" if mono else _layout(channels)
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    out = [f.to_ndarray() for f in resampler.resample(frame)]
    out += [f.to_ndarray() for f in resampler.resample(None)]
    samples = np.concatenate(out, axis=1) if out else np.zeros((1, 0), np.float32)
    if mono:
        samples = np.repeat(samples, channels, axis=0)
    target = round(audio.num_samples * rate / audio.rate)
    return Audio(samples, rate).fit(target / rate)


# --------------------------------------------------------------------------- video


def read_video(
    path: str | Path,
    fps: int | Fraction | None = None,
    size: tuple[int, int] | None = None,
    span: tuple[float, float] | None = None,
    audio: bool = False,
    field: str = "video",
    max_pixels: int | None = None,
) -> Clip:
    """Decode a video's frames as RGB into a :class:`Clip`.

    - ``fps``: resample by timestamp: output frame ``i`` (time ``start + i/fps``) is the
      last source frame with ``pts <= t``, so the clip holds exactly
      ``round(duration * fps)`` frames. Without ``fps`` the source frames are kept.
    - ``size=(w, h)``: every frame is fitted with ``cover`` (scale, centre-crop).
    - ``span=(start, end)`` in seconds restricts the decode (seeking to ``start``).
    - ``audio=True``: the clip carries the audio track (48 kHz stereo) for the same
      span and exactly the clip's duration, or ``None`` if the file has no audio.
    """
    path = existing_file(path, field)
    with open_container(path, field, "video") as container:
        stream = _video_stream(container, path, field)
        check_pixels(stream.codec_context.width, stream.codec_context.height, max_pixels, field)
        src_fps = stream_fps(container, stream)
        origin = _start_seconds(stream)
        start, end = span if span is not None else (0.0, math.inf)
        if end <= start:
            raise InputError(field, span, "start < end", f"span {span} is empty")
        if start > 0:
            container.seek(int((origin + start) * av.time_base), backward=True)
        convert = _converter(size)
        try:
            if fps is None:
                frames = _native_frames(container, stream, origin, start, end, src_fps, convert)
                out_fps = src_fps
            else:
                out_fps = Fraction(fps)
                if math.isinf(end):
                    end = start + _video_seconds(container, stream, src_fps)
                frames = _resampled_frames(
                    container, stream, origin, start, end, out_fps, src_fps, convert
                )
        except av.FFmpegError as exc:
            raise undecodable(path, field, "video", exc) from exc
        if not frames:
            raise InputError(field, span, "video frames", f"{path.name} has no frames in {span}")
        stack = np.stack(frames)
    clip_audio = None
    if audio:
        clip_audio = _clip_audio(path, start, start + float(len(frames) / out_fps), field)
    return Clip(stack, out_fps, clip_audio, {"source": str(path)})


def _video_stream(
    container: av.container.InputContainer, path: Path, field: str
) -> av.video.stream.VideoStream:
    """The file's first video stream, decoded with frame threads; none is an InputError."""
    if not container.streams.video:
        raise InputError(field, path.name, "video stream", f"{path.name} has no video track")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


def iter_frames(path: str | Path, chunk: int = 24, field: str = "video") -> Iterator[np.ndarray]:
    """A video's frames in order, as uint8 RGB batches ``(n <= chunk, H, W, 3)``.

    Streams: at most one batch is held, however long the video. The frames are the
    source's own (no resampling, no resizing); for copying a video into a writer.
    """
    path = existing_file(path, field)
    with open_container(path, field, "video") as container:
        stream = _video_stream(container, path, field)
        batch: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                batch.append(frame.to_ndarray(format="rgb24"))
                if len(batch) >= chunk:
                    yield np.stack(batch)
                    batch = []
        except av.FFmpegError as exc:
            raise undecodable(path, field, "video", exc) from exc
        if batch:
            yield np.stack(batch)


def iter_audio(
    path: str | Path,
    rate: int = AUDIO_RATE,
    channels: int = AUDIO_CHANNELS,
    field: str = "video",
) -> Iterator[Audio]:
    """The first audio stream of a file, decoded in order as :class:`Audio` pieces at
    ``rate`` and ``channels``; streams (one decoded packet's worth at a time).

    Like :func:`read_audio`, the encoder's end padding is dropped (the stream's declared
    duration ends the track). A file without audio yields nothing.
    """
    path = existing_file(path, field)
    with open_container(path, field, "video") as container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        mono = stream.codec_context.channels == 1
        resampler = av.AudioResampler(
            format="fltp", layout="mono" if mono else _layout(channels), rate=rate
        )
        declared = _declared_seconds(stream)
        left = round(declared * rate) if declared is not None else None

        def pieces(frames) -> Iterator[Audio]:
            nonlocal left
            for f in frames:
                samples = np.clip(f.to_ndarray().astype(np.float32, copy=False), -1.0, 1.0)
                if mono and channels != 1:
                    samples = np.repeat(samples, channels, axis=0)
                if left is not None:
                    samples, left = samples[:, : max(left, 0)], left - samples.shape[1]
                if samples.shape[1]:
                    yield Audio(samples, rate)

        try:
            for frame in container.decode(stream):
                yield from pieces(resampler.resample(frame))
            yield from pieces(resampler.resample(None))
        except av.FFmpegError as exc:
            raise undecodable(path, field, "audio", exc) from exc


def _clip_audio(path: Path, start: float, end: float, field: str) -> Audio | None:
    with open_container(path, field, "video") as container:
        if not container.streams.audio:
            return None
        origin = _start_seconds(container.streams.video[0])
        stream = container.streams.audio[0]
        return _decode_audio(
            container, stream, AUDIO_RATE, AUDIO_CHANNELS, (start, end), origin, path, field
        )


def _video_seconds(container, stream, src_fps: Fraction) -> float:
    """The stream's duration, preferring its frame count (exact) over header durations."""
    if stream.frames and src_fps > 0:
        return float(stream.frames / src_fps)
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return math.inf  # decode to the end; the resampler stops when frames run out


def _converter(size: tuple[int, int] | None):
    """A function turning an ``av.VideoFrame`` into uint8 RGB, cover-fitted to ``size``.

    Scaling happens in libswscale during the RGB conversion (fast); only the
    centre crop is done in numpy.
    """
    if size is None:
        return lambda frame: frame.to_ndarray(format="rgb24")
    width, height = size

    def convert(frame: av.VideoFrame) -> np.ndarray:
        scale = max(width / frame.width, height / frame.height)
        sw = max(width, math.ceil(frame.width * scale - 1e-6))
        sh = max(height, math.ceil(frame.height * scale - 1e-6))
        rgb = frame.to_ndarray(format="rgb24", width=sw, height=sh)
        x, y = (sw - width) // 2, (sh - height) // 2
        return np.ascontiguousarray(rgb[y : y + height, x : x + width])

    return convert


_EPS = 1e-6


def _timed_frames(container, stream, origin: float, src_fps: Fraction):
    """Decoded frames with their time in seconds from ``origin``.

    Frames without timestamps (raw ``.h264`` streams) are timed by their index.
    """
    for index, frame in enumerate(container.decode(stream)):
        t = frame.time - origin if frame.time is not None else float(index / src_fps)
        yield t, frame


def _native_frames(container, stream, origin, start, end, src_fps, convert) -> list[np.ndarray]:
    """Source frames whose time lies in ``[start, end)``."""
    frames = []
    for t, frame in _timed_frames(container, stream, origin, src_fps):
        if t < start - _EPS:
            continue
        if t >= end - _EPS:
            break
        frames.append(convert(frame))
    return frames


def _resampled_frames(container, stream, origin, start, end, fps, src_fps, convert):
    """For each output time ``t_i = start + i/fps``, the last source frame with pts <= t_i.

    Output times before the first source frame (a stream that starts late) take the
    first frame. With an unknown ``end`` the last frame lasts one source frame.
    """
    count = round((end - start) * fps) if math.isfinite(end) else None
    out: list[np.ndarray] = []
    cache: list = [None, None]  # the last converted av frame and its RGB array

    def emit(frame) -> None:
        if cache[0] is not frame:
            cache[:] = [frame, convert(frame)]
        out.append(cache[1])

    def pending(before: float) -> bool:
        return (count is None or len(out) < count) and start + len(out) / fps < before - _EPS

    held, last_t = None, start
    for last_t, frame in _timed_frames(container, stream, origin, src_fps):
        while pending(last_t):
            emit(held if held is not None else frame)
        if count is not None and len(out) >= count:
            break
        held = frame
    if held is not None:
        stop = math.inf if count is not None else last_t + float(1 / src_fps)
        while pending(stop):
            emit(held)
    return out
