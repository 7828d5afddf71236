"""Assembling a finished render: cross-fades, audio joins, the poster, the sidecar.

These are the small pieces the job runner uses between engines and
:class:`~reelforge.media.encode.VideoWriter`: blending the overlap of two segments,
joining their audio, and leaving a poster JPEG and a JSON sidecar beside the MP4.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import uuid
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .clip import AUDIO_CHANNELS, AUDIO_RATE, Audio

# --------------------------------------------------------------------------- blending


def crossfade_frames(tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Blend two equal-length frame stacks, ``tail`` fading out while ``head`` fades in.

    Frame ``i`` of ``n`` gives ``head`` the weight ``(i + 1) / (n + 1)``: always
    strictly between 0 and 1, so neither source frame is repeated verbatim. The math
    is integer (uint16, 8-bit weights) and vectorised.
    """
    if tail.shape != head.shape:
        raise ValueError(f"crossfade needs equal shapes, got {tail.shape} and {head.shape}")
    n = tail.shape[0]
    if n == 0:
        return tail.copy()
    weights = np.round(np.arange(1, n + 1) / (n + 1) * 256).astype(np.uint16)
    weights = np.clip(weights, 1, 255).reshape((n,) + (1,) * (tail.ndim - 1))
    mixed = tail.astype(np.uint16) * (256 - weights)
    mixed += head.astype(np.uint16) * weights
    mixed += 128
    return (mixed >> 8).astype(np.uint8)


def _match(parts: Sequence[Audio]) -> tuple[int, int]:
    """The common rate and channel count of ``parts`` (mono is widened to stereo)."""
    rates = {p.rate for p in parts}
    if len(rates) > 1:
        raise ValueError(f"audio parts have different rates {sorted(rates)}; resample first")
    channels = max(p.channels for p in parts)
    if any(p.channels not in (1, channels) for p in parts):
        raise ValueError(
            f"audio parts have incompatible channel counts {[p.channels for p in parts]}"
        )
    return rates.pop(), channels


def _widen(audio: Audio, channels: int) -> np.ndarray:
    if audio.channels == channels:
        return audio.samples
    return np.repeat(audio.samples, channels, axis=0)


def concat_audio(parts: Sequence[Audio]) -> Audio:
    """Join audio tracks end to end (same rate; mono parts are widened)."""
    if not parts:
        return Audio(np.zeros((AUDIO_CHANNELS, 0), np.float32), AUDIO_RATE)
    rate, channels = _match(parts)
    return Audio(np.concatenate([_widen(p, channels) for p in parts], axis=1), rate)


def crossfade_audio(a: Audio, b: Audio, seconds: float) -> Audio:
    """``a`` then ``b``, with ``a``'s last ``seconds`` blended into ``b``'s first.

    The blend is equal-power (cosine/sine gains), which keeps the loudness steady
    across uncorrelated material. The result lasts ``a + b - overlap``; the overlap
    is clamped to the shorter track.
    """
    rate, channels = _match([a, b])
    x, y = _widen(a, channels), _widen(b, channels)
    overlap = max(0, min(round(seconds * rate), x.shape[1], y.shape[1]))
    if overlap == 0:
        return Audio(np.concatenate([x, y], axis=1), rate)
    t = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    fade_in = np.sin(t * (np.pi / 2)).astype(np.float32)
    fade_out = np.cos(t * (np.pi / 2)).astype(np.float32)
    middle = x[:, -overlap:] * fade_out + y[:, :overlap] * fade_in
    joined = np.concatenate([x[:, :-overlap], middle, y[:, overlap:]], axis=1)
    return Audio(np.clip(joined, -1.0, 1.0), rate)


# --------------------------------------------------------------------------- files


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")


def write_poster(
    frame: np.ndarray, path: str | Path, max_side: int = 1280, quality: int = 88
) -> Path:
    """Save one RGB frame as a JPEG poster, downscaled so its longer side is <= ``max_side``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.asarray(frame, dtype=np.uint8)).convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    tmp = _temp_beside(path)
    try:
        image.save(tmp, format="JPEG", quality=quality, optimize=True, progressive=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _json_default(value: Any) -> Any:
    """Turn the non-JSON types reelforge passes around into plain JSON values."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else value.numerator
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "model_dump"):  # pydantic models
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_sidecar(path: str | Path, data: dict) -> Path:
    """Write ``data`` as UTF-8 JSON (indent 2) atomically: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
    tmp = _temp_beside(path)
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
