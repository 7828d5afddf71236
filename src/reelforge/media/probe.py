"""Probing input files: what an image, audio or video file holds, without decoding it.

Probing is how the request layer validates uploads (resolution, duration, aspect)
before any work is queued, so it must be cheap and must turn every failure into an
:class:`~reelforge.errors.InputError` that names the request field.

A header can be whole while the rest of the file is not (an upload cut short), so the
request layer then reads on: :func:`decode_image` decodes every pixel of an image, and
:func:`check_complete` reads every packet of an audio or video file without decoding
them (a fraction of a decode's cost), decoding only each stream's first frame and any
packet FFmpeg flags as cut short.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
from PIL import Image

from reelforge.errors import InputError

_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}
"""EXIF orientations that rotate the picture by 90°, so width and height swap."""
StreamT = TypeVar("StreamT", bound=av.stream.Stream)

STREAM_END_TOLERANCE_S = 0.1
"""How much earlier than its stated length a file's packets may end (codec priming,
container rounding) before :func:`check_complete` calls the file cut short."""


@dataclass(frozen=True)
class ImageInfo:
    """An image file's header facts; ``width``/``height`` are as displayed (after EXIF)."""

    path: Path
    format: str
    width: int
    height: int
    bytes: int
    orientation: int


@dataclass(frozen=True)
class AudioInfo:
    """An audio file (or a file's first audio stream)."""

    path: Path
    format: str
    duration: float
    rate: int
    channels: int
    bytes: int


@dataclass(frozen=True)
class VideoInfo:
    """A video file's first video stream, and whether it carries audio."""

    path: Path
    format: str
    duration: float
    width: int
    height: int
    fps: Fraction
    frames: int
    has_audio: bool
    audio_duration: float | None
    bytes: int


def existing_file(path: str | Path, field: str) -> Path:
    """``path`` as a :class:`Path`, or an :class:`InputError` if it is not a file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(field, str(path), "existing file", f"file not found: {path.name}")
    return path


def check_pixels(width: int, height: int, max_pixels: int | None, field: str) -> None:
    """Refuse images whose pixel count exceeds ``max_pixels`` (decompression-bomb guard)."""
    if max_pixels is not None and width * height > max_pixels:
        raise InputError(
            field,
            f"{width}x{height} px",
            max_pixels,
            f"{width}x{height} = {width * height} px is more than the {max_pixels}-pixel "
            "limit (decompression-bomb guard)",
        )


def open_image(path: Path, field: str, max_pixels: int | None) -> Image.Image:
    """Lazily open an image (header only), mapping every failure to :class:`InputError`.

    Pillow's own decompression-bomb warning is promoted to an error here, so a file
    that would make Pillow allocate gigabytes is refused before any pixel is decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(
            field,
            path.name,
            Image.MAX_IMAGE_PIXELS,
            f"{path.name} is too large to decode safely "
            f"(decompression-bomb guard: {library_reason(exc, path)})",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise unreadable_image(path, field, exc) from exc
    try:
        check_pixels(image.width, image.height, max_pixels, field)
    except InputError:
        image.close()
        raise
    return image


def unreadable_image(path: Path, field: str, exc: Exception) -> InputError:
    """The error for an image Pillow cannot open, verify or decode."""
    return InputError(
        field,
        path.name,
        "readable image",
        f"{path.name} is not a readable image ({type(exc).__name__}: {library_reason(exc, path)})",
    )


def undecodable(path: Path, field: str, kind: str, exc: Exception) -> InputError:
    """The error for an audio or video stream FFmpeg stops decoding part-way."""
    return InputError(
        field,
        path.name,
        f"readable {kind}",
        f"{path.name} could not be decoded ({library_reason(exc, path)})",
    )


def library_reason(exc: BaseException, path: Path) -> str:
    """What Pillow or FFmpeg said about ``path``, without the path.

    Both put the file's absolute path into their messages (``cannot identify image file
    '/home/.../inputs/image.png'``, ``Invalid data found when processing input:
    '/tmp/...'``); a client must see what went wrong with its file, not where the server
    keeps it. FFmpeg's and the OS's errors carry the reason alone in ``strerror``.
    """
    reason = getattr(exc, "strerror", None)
    text = reason if reason and getattr(exc, "filename", None) else str(exc)
    return text.replace(str(path), path.name)


def probe_image(path: str | Path, field: str = "image", max_pixels: int | None = None) -> ImageInfo:
    """Read an image's format, displayed size and EXIF orientation from its header.

    No pixel is decoded. The file's structure is then checked with Pillow's
    ``verify`` (chunk CRCs for PNG), so a corrupt PNG is refused here; a truncated
    JPEG is only caught by a full decode (:func:`decode_image`).
    """
    path = existing_file(path, field)
    image = open_image(path, field, max_pixels)
    try:
        width, height = image.size
        fmt = image.format or path.suffix.lstrip(".").upper()
        orientation = _orientation(image)
    finally:
        image.close()
    try:  # verify() must run on a freshly opened file
        with Image.open(path) as fresh:
            fresh.verify()
    except (OSError, SyntaxError, ValueError) as exc:
        raise unreadable_image(path, field, exc) from exc
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    return ImageInfo(path, fmt, width, height, path.stat().st_size, orientation)


def decode_image(path: Path, field: str, max_pixels: int | None) -> None:
    """Decode every pixel of an image once, as a render will, under the guard of
    :func:`open_image`: a JPEG cut short has a whole header and passes
    :func:`probe_image`, and only a full decode finds its missing bytes."""
    image = open_image(path, field, max_pixels)
    try:
        with image:
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise unreadable_image(path, field, exc) from exc


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1 = upright), read without decoding pixels.

    Pillow's PNG plugin decodes the whole image to look for a trailing ``eXIf``
    chunk; only the (usual) leading one is read here.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        return int(image.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block must not make the whole image unreadable
        return 1


def container_format(container: av.container.InputContainer, path: Path) -> str:
    """A short lower-case format name: the extension if the demuxer claims it, else its first name.

    FFmpeg names demuxers by family (``"mov,mp4,m4a,3gp,3g2,mj2"``, ``"matroska,webm"``);
    the file extension picks the member a user would recognise.
    """
    names = container.format.name.split(",")
    ext = path.suffix.lstrip(".").lower()
    if ext in names or (ext == "aac" and "aac" in names):
        return ext
    return {"adts": "aac", "matroska": "mkv", "mov": "mov"}.get(names[0], names[0])


def open_container(path: Path, field: str, kind: str) -> av.container.InputContainer:
    """``av.open`` for reading; an unreadable file is an :class:`InputError` on ``field``."""
    try:
        return av.open(str(path), "r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputError(
            field,
            path.name,
            f"readable {kind}",
            f"{path.name} is not a readable {kind} ({library_reason(exc, path)})",
        ) from exc


def _stream_seconds(stream: av.stream.Stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return None


def _container_seconds(container: av.container.InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def probe_audio(path: str | Path, field: str = "audio_file") -> AudioInfo:
    """Duration, rate and channel count of a file's first audio stream."""
    path = existing_file(path, field)
    with open_container(path, field, "audio file") as container:
        if not container.streams.audio:
            raise InputError(field, path.name, "audio stream", f"{path.name} has no audio track")
        stream = _decodable(container.streams.audio[0], path, field)
        duration = _stream_seconds(stream) or _container_seconds(container)
        if duration is None:
            duration = _decoded_audio_seconds(container, stream, path, field)
        return AudioInfo(
            path,
            container_format(container, path),
            duration,
            int(stream.codec_context.sample_rate or stream.rate or 0),
            int(stream.codec_context.channels or 0),
            path.stat().st_size,
        )


def _decodable(stream: StreamT, path: Path, field: str) -> StreamT:
    """``stream``, if FFmpeg has a decoder for it (it opens no codec context otherwise)."""
    if stream.codec_context is None:
        raise InputError(
            field,
            path.name,
            f"a decodable {stream.type} track",
            f"{path.name}: its {stream.type} track cannot be decoded (unknown codec, or the "
            "file is damaged)",
        )
    return stream


def _decoded_audio_seconds(container, stream, path: Path, field: str) -> float:
    """Duration by decoding every packet: the fallback for streams with no header duration."""
    samples, rate = 0, stream.codec_context.sample_rate or 1
    try:
        for frame in container.decode(stream):
            samples += frame.samples
            rate = frame.sample_rate or rate
    except av.FFmpegError as exc:
        raise undecodable(path, field, "audio", exc) from exc
    return samples / rate


def probe_video(path: str | Path, field: str = "video") -> VideoInfo:
    """Size, frame rate, frame count and duration of a file's first video stream.

    The duration prefers the stream's frame count over its rate, then the stream's
    header duration, then the container's, and finally counts decoded frames for
    files (raw streams, some WebM) that give none of those.
    """
    path = existing_file(path, field)
    with open_container(path, field, "video") as container:
        if not container.streams.video:
            raise InputError(field, path.name, "video stream", f"{path.name} has no video track")
        stream = _decodable(container.streams.video[0], path, field)
        fps = stream_fps(container, stream)
        width, height = stream.codec_context.width, stream.codec_context.height
        frames = int(stream.frames or 0)
        duration = _stream_seconds(stream) or _container_seconds(container)
        if frames > 0 and fps > 0:
            duration = float(frames / fps)
        elif duration is not None and fps > 0:
            frames = round(duration * fps)
        else:
            frames, duration, fps = _count_frames(container, stream, fps, path, field)
        audio_duration = None
        if container.streams.audio:
            audio = container.streams.audio[0]
            audio_duration = _stream_seconds(audio) or _container_seconds(container)
        return VideoInfo(
            path,
            container_format(container, path),
            float(duration),
            int(width),
            int(height),
            fps,
            int(frames),
            bool(container.streams.audio),
            audio_duration,
            path.stat().st_size,
        )


def check_complete(path: str | Path, field: str) -> None:
    """Refuse an audio or video file that probes but could not be rendered to its end.

    Every packet of its first video and first audio stream is read, not decoded. The
    file is cut short when a stream's packets end before the length the stream states,
    when none reaches the length the container states (each within
    ``STREAM_END_TOLERANCE_S``), when a video packet is flagged as cut short or an audio
    one so flagged does not decode, or when reading stops on an error. Each stream's
    first frame is decoded too, so a codec this FFmpeg cannot decode is refused here.
    """
    path = existing_file(path, field)
    with open_container(path, field, "media file") as container:
        streams = [
            _decodable(s, path, field)
            for s in (*container.streams.video[:1], *container.streams.audio[:1])
        ]
        ends: dict[int, float] = {}
        decoded: set[int] = set()
        try:
            for packet in container.demux(*streams):
                stream = packet.stream
                if packet.size == 0:
                    continue
                if packet.pts is not None and packet.time_base is not None:
                    end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                    ends[stream.index] = max(ends.get(stream.index, end), end)
                if packet.is_corrupt and (stream.type == "video" or not packet.decode()):
                    raise _cut_short(path, field, f"its {stream.type} stops inside a packet")
                if stream.index not in decoded and packet.decode():
                    decoded.add(stream.index)
            for stream in streams:
                if stream.index in decoded:
                    continue
                # Flush the decoder: a frame held in its delay comes out now. (The stubs
                # type ``codec_context`` as the base class; these are audio/video ones.)
                if not stream.codec_context.decode(None):  # type: ignore[attr-defined]
                    raise _cut_short(path, field, f"its {stream.type} has no frame that decodes")
        except av.FFmpegError as exc:
            reason = exc.strerror or type(exc).__name__
            raise _cut_short(path, field, f"reading it stopped early ({reason})") from exc
        spans = {s.index: ends[s.index] - _start(s) for s in streams if s.index in ends}
        for stream in streams:
            stated = _stream_seconds(stream)
            if stated is not None and stream.index in spans:
                _check_reaches(path, field, f"its {stream.type}", spans[stream.index], stated)
        stated = _container_seconds(container)
        if stated is not None and spans:
            _check_reaches(path, field, "it", max(spans.values()), stated)


def _start(stream: av.stream.Stream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _check_reaches(path: Path, field: str, what: str, seconds: float, stated: float) -> None:
    if seconds < stated - STREAM_END_TOLERANCE_S:
        raise InputError(
            field,
            round(seconds, 3),
            round(stated, 3),
            f"{path.name} is cut short: {what} ends at {seconds:.2f} s of the {stated:.2f} s "
            "it states (an incomplete upload or copy?)",
        )


def _cut_short(path: Path, field: str, reason: str) -> InputError:
    return InputError(
        field, path.name, "a complete file", f"{path.name} is cut short or damaged: {reason}"
    )


def stream_fps(container: av.container.InputContainer, stream: av.stream.Stream) -> Fraction:
    """A video stream's frame rate.

    The average rate (frames over duration) is right for ordinary containers, and
    for variable-rate phone videos; raw streams with no timing (``.h264``) have only
    a guess from the bitstream (or FFmpeg's default), which is preferred there.
    """
    timed = bool(stream.duration or stream.frames or container.duration)
    first, second = (
        (stream.average_rate, stream.guessed_rate)
        if timed
        else (stream.guessed_rate, stream.average_rate)
    )
    return Fraction(first or second or stream.base_rate or 25)


def _count_frames(container, stream, fps: Fraction, path: Path, field: str):
    """Frame count, duration and rate by decoding: for files whose headers say nothing."""
    count, first, last = 0, None, None  # decoded frames; first and last timestamps
    try:
        for frame in container.decode(stream):
            count += 1
            if frame.time is not None:
                first = frame.time if first is None else first
                last = frame.time
    except av.FFmpegError as exc:
        raise undecodable(path, field, "video", exc) from exc
    if count == 0:
        raise InputError(field, path.name, "readable video", f"{path.name} has no video frames")
    if fps <= 0:
        span = (last - first) if first is not None and last is not None else 0.0
        fps = (
            Fraction(count - 1) / Fraction(span).limit_denominator(1001)
            if span > 0
            else Fraction(25)
        )
        fps = fps.limit_denominator(1001)
    return count, float(count / fps), fps
