"""What a user asks for: one pydantic model per workflow.

The models hold the request as given (paths to local files, numbers, text). Limits
are checked by :func:`reelforge.request.check.check_request`, which also probes the
input media; a model that parses is not yet a request that may run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import InputError
from . import limits


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraControl(_Model):
    """Kling's ``camera_control``: a preset ``type``, or ``simple`` with one non-zero axis."""

    type: Literal["simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"]
    horizontal: float = 0.0
    vertical: float = 0.0
    pan: float = 0.0
    tilt: float = 0.0
    roll: float = 0.0
    zoom: float = 0.0


class ShotSpec(_Model):
    """One shot of a custom multi-shot request (Kling's ``multi_prompt`` item)."""

    index: int
    prompt: str
    duration: float


class _Common(_Model):
    prompt: str = ""
    negative_prompt: str = ""
    duration: float | None = None
    """Seconds. ``None``: the default, or the length of the driving audio / video."""
    aspect_ratio: str | None = None
    """``16:9``, ``9:16`` or ``1:1``; ``None``: the source image's, else 16:9."""
    resolution: str = limits.DEFAULT_RESOLUTION
    seed: int | None = None
    audio: bool = True
    tier: str | None = None
    model: str | None = None
    """The tier's model, where it offers more than one (cinema: ``ltx25``, ``ltx2``)."""
    """A reelforge tier or a Kling model name; ``None`` lets the selection guide choose."""
    draft: bool = False
    cfg_scale: float | None = None


class _Shots(_Model):
    multi_shot: bool = False
    shot_type: Literal["customize", "intelligence"] = "customize"
    shots: tuple[ShotSpec, ...] = ()
    camera: CameraControl | None = None


class TextToVideo(_Common, _Shots):
    workflow: Literal["text2video"] = "text2video"


class ImageToVideo(_Common, _Shots):
    workflow: Literal["image2video"] = "image2video"
    image: Path
    end_image: Path | None = None


class OmniImage(_Model):
    path: Path
    type: Literal["reference", "first_frame", "end_frame"] = "reference"


class OmniElement(_Model):
    """A named subject (person, prop, place) shown by one or more images; ``@Name`` in prompts."""

    name: str
    images: tuple[Path, ...]
    description: str = ""


class OmniVideo(_Model):
    path: Path
    refer_type: Literal["feature", "base"] = "feature"
    keep_original_sound: bool = False


class Omni(_Common, _Shots):
    workflow: Literal["omni"] = "omni"
    images: tuple[OmniImage, ...] = ()
    elements: tuple[OmniElement, ...] = ()
    video: OmniVideo | None = None


class MotionControl(_Common):
    workflow: Literal["motion"] = "motion"
    image: Path
    video: Path
    character_orientation: Literal["image", "video"] = "image"
    keep_original_sound: bool = True


class Avatar(_Common):
    workflow: Literal["avatar"] = "avatar"
    image: Path
    audio_file: Path


Request = Annotated[
    TextToVideo | ImageToVideo | Omni | MotionControl | Avatar, Field(discriminator="workflow")
]
AnyRequest = TextToVideo | ImageToVideo | Omni | MotionControl | Avatar
WORKFLOWS = ("text2video", "image2video", "omni", "motion", "avatar")

_adapter: TypeAdapter[AnyRequest] = TypeAdapter(Request)


def parse_request(data: dict[str, Any]) -> AnyRequest:
    """A request model from plain data; the first problem is raised as :class:`InputError`."""
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in WORKFLOWS:
            loc = loc[1:]
        field = _dotted(loc) or "request"
        raise InputError(field, err.get("input"), err["type"], err["msg"]) from None


def _dotted(loc: list[str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out
