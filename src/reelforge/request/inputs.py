"""Checks of input files: images, audio and reference videos, probed through
:mod:`reelforge.media.probe`.

Each check looks at the file's size before probing it (so an oversized upload is
refused unread), then at what the probe reports, and last reads the whole file (an
image decoded, an audio or video file's packets read), so a file cut short after its
header is refused before any work starts. It returns the probe's info.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..media import probe
from ..media.probe import AudioInfo, ImageInfo, VideoInfo
from . import limits
from .messages import listing, megabytes, num, ratio
from .rules import check_range

_IMAGE_FORMAT_ALIASES = {"MPO": "JPEG", "JPG": "JPEG"}
"""Pillow calls multi-picture camera JPEGs ``MPO``; they are JPEG files."""


def check_image(path: Path, field: str) -> ImageInfo:
    """An accepted image: format, size on disk, pixel count, sides and aspect ratio."""
    path = _existing_within(path, field, limits.IMAGE_MAX_BYTES)
    info = probe.probe_image(path, field, max_pixels=limits.IMAGE_MAX_PIXELS)
    fmt = info.format.upper()
    _check_format(field, _IMAGE_FORMAT_ALIASES.get(fmt, fmt), limits.IMAGE_FORMATS)
    w, h, side = info.width, info.height, limits.IMAGE_MIN_SIDE_PX
    if w < side or h < side:
        raise InputError(field, (w, h), side, f"{w}×{h} px is below the {side}×{side} minimum")
    aspect, low, high = w / h, limits.IMAGE_ASPECT_MIN, limits.IMAGE_ASPECT_MAX
    if not low <= aspect <= high:
        bound = low if aspect < low else high
        raise InputError(
            field,
            (w, h),
            bound,
            f"aspect ratio {ratio(aspect, bound)} ({w}×{h} px) is outside "
            f"1:{num(1 / low)}–{num(high)}:1",
        )
    probe.decode_image(path, field, max_pixels=limits.IMAGE_MAX_PIXELS)
    return info


def check_audio(path: Path, field: str) -> AudioInfo:
    """An accepted audio file: format, size on disk and length."""
    path = _existing_within(path, field, limits.AUDIO_MAX_BYTES)
    info = probe.probe_audio(path, field)
    _check_format(field, info.format.lower(), limits.AUDIO_FORMATS)
    check_range(field, info.duration, limits.AUDIO_MIN_SECONDS, limits.AUDIO_MAX_SECONDS, unit="s")
    probe.check_complete(path, field)
    return info


def check_video(path: Path, field: str, max_seconds: float, rule: str = "") -> VideoInfo:
    """An accepted reference video: format, size on disk, and a length in
    ``[VIDEO_MIN_SECONDS, max_seconds]`` (``rule`` says where the maximum comes from)."""
    path = _existing_within(path, field, limits.VIDEO_MAX_BYTES)
    info = probe.probe_video(path, field)
    _check_format(field, info.format.lower(), limits.VIDEO_FORMATS)
    check_range(field, info.duration, limits.VIDEO_MIN_SECONDS, max_seconds, unit="s", rule=rule)
    probe.check_complete(path, field)
    return info


def _existing_within(path: Path, field: str, max_bytes: int) -> Path:
    path = probe.existing_file(path, field)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            field,
            size,
            max_bytes,
            f"{megabytes(size)} is more than the {megabytes(max_bytes)} maximum",
        )
    return path


def _check_format(field: str, fmt: str, allowed: tuple[str, ...]) -> None:
    """``fmt`` (as the probe names it, after aliasing) is one of ``allowed``; messages
    spell formats in capitals, as users know them (``MP3``, ``WEBM``)."""
    if fmt not in allowed:
        raise InputError(
            field,
            fmt,
            allowed,
            f"{fmt.upper()} is not an accepted format; use {listing([a.upper() for a in allowed])}",
        )
