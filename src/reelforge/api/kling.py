"""Kling's request bodies, and their translation into our requests (``request.models``).

Each Kling product path has a body model here; FastAPI validates the shape (errors come
back as Kling's 1200), :func:`translate` turns a body into our request data (fetching
inputs given by URL or base64 into the task's folder), and :func:`kling_field` renames
our field names back to Kling's in error messages, so a client reads ``image_tail: ...``
and ``multi_prompt[1].duration: ...``.

Every string of a body is checked by :func:`check_texts` (the request layer's text sanitiser,
:mod:`reelforge.request.text`) before anything is fetched, looked up or stored; every number
refuses a JSON boolean (pydantic's lax mode would read ``true`` as 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..errors import InputError
from ..lineup import with_default_resolution
from ..request.limits import PROMPT_MAX_CHARS, SHOT_PROMPT_MAX_CHARS
from ..request.text import FREE_TEXT_FIELDS, TEXT_WHITESPACE, check_string, strings
from ..service.urls import URL_MAX_CHARS

ENDPOINTS: dict[str, str] = {
    "text2video": "text2video",
    "image2video": "image2video",
    "omni-video": "omni",
    "motion-control": "motion",
    "avatar/image2video": "avatar",
    "video-extend": "extend",
    "final": "final",
}
"""Kling product path (under ``/v1/videos/``) → our workflow. ``final`` (a reelforge
extension) re-renders a finished task: its tasks keep their draft's workflow."""
MODES = {"std": "720p", "pro": "1080p", "4k": "4k"}
FINAL_MODE: Final = "4k"
TEXT_MAX = PROMPT_MAX_CHARS
"""``prompt`` / ``negative_prompt`` / ``description`` limit: shown in the OpenAPI schema,
enforced by :func:`check_texts` with the request layer's wording (not pydantic's)."""
ID_MAX_CHARS = 256
"""Task ids, ``external_task_id``, video ids: in bodies, paths and queries."""
EXTERNAL_ID_MAX = ID_MAX_CHARS
NAME_MAX_CHARS = 256
"""Any other string: a name, an id, a choice, a number written as a string."""
INPUT_FIELDS = frozenset(
    {"image", "image_tail", "static_mask", "image_url", "video_url", "sound_file"}
)
"""Fields holding a URL or raw base64 (sized by the input fetcher; base64 may be
wrapped into lines)."""
LOOKUP_IDS = frozenset({"task_id", "external_task_id", "video_id"})
YES_NO = {"yes": True, "no": False, "true": True, "false": False, True: True, False: False}

Fetch = Callable[[str, str, str, str], Path]
"""``fetch(value, kling_field, kind, name) -> local path`` (see :mod:`reelforge.api.inputs`)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _refuse_bool(value: Any) -> Any:
    """JSON's ``true``/``false`` are not numbers, though pydantic's lax mode reads them so."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "a boolean is not a number")
    return value


NOT_BOOL = BeforeValidator(_refuse_bool)
Int = Annotated[int, NOT_BOOL]
Float = Annotated[float, NOT_BOOL]
Seconds = Annotated[str | int, NOT_BOOL]
"""Kling's ``duration``: ``"5"`` (as Kling documents it) or ``5``."""


def _text(description: str) -> Any:
    """A prompt field: its limit is in the schema but checked by :func:`check_texts`, so
    a long prompt gets "prompt: 2,613 characters is more than the 2,500-character limit"."""
    return Field("", description=description, json_schema_extra={"maxLength": TEXT_MAX})


class CameraConfig(_Model):
    horizontal: Float = 0
    vertical: Float = 0
    pan: Float = 0
    tilt: Float = 0
    roll: Float = 0
    zoom: Float = 0


class CameraControl(_Model):
    type: Literal["simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"]
    config: CameraConfig | None = None


class MultiPrompt(_Model):
    index: Int
    prompt: str = Field(
        ...,
        description="The shot; at most 512 characters.",
        json_schema_extra={"maxLength": SHOT_PROMPT_MAX_CHARS},
    )
    duration: Annotated[str | float, NOT_BOOL]


class _Task(_Model):
    """Fields every task body may carry."""

    model_name: str | None = Field(None, description="A Kling model name or a reelforge tier.")
    callback_url: str | None = None
    external_task_id: str | None = Field(None, max_length=EXTERNAL_ID_MAX)
    prompt: str = _text("What to show; at most 2,500 characters.")
    negative_prompt: str = _text("What to avoid; at most 2,500 characters.")
    cfg_scale: Float | None = None
    mode: Literal["std", "pro", "4k"] | None = Field(
        None,
        description="std (720p), pro (1080p) or 4k; default: the tier's own "
        "(default_resolution in /v1/tiers).",
    )
    seed: Int | None = Field(None, description="reelforge extension: reproduce a render.")
    model: str | None = Field(
        None,
        description="reelforge extension: the tier's model where it offers more than one "
        "(models in /v1/tiers; cinema: ltx25, the default, or ltx2).",
    )


class _Generated(_Task):
    duration: Seconds | None = Field(None, description='Seconds as a string, "3" to "15".')
    aspect_ratio: str | None = None
    sound: Literal["on", "off"] = "off"
    camera_control: CameraControl | None = None
    multi_shot: bool = False
    shot_type: Literal["customize", "intelligence"] = "customize"
    multi_prompt: list[MultiPrompt] = Field(default_factory=list)


class Text2VideoBody(_Generated):
    pass


class Image2VideoBody(_Generated):
    image: str = Field(..., description="URL or raw base64.")
    image_tail: str | None = Field(None, description="End frame: URL or raw base64.")
    static_mask: str | None = None
    dynamic_masks: list[Any] | None = None


class OmniImage(_Model):
    image_url: str
    type: Literal["first_frame", "end_frame", "reference"] | None = None


class ElementImage(_Model):
    image_url: str


class OmniElement(_Model):
    """An element given inline (reelforge has no element library): a name, images, and a
    description. ``element_id`` alone (Kling's library reference) is refused."""

    element_id: Annotated[str | int, NOT_BOOL] | None = None
    name: str | None = None
    description: str = _text("What the element is; at most 2,500 characters.")
    image_list: list[ElementImage] = Field(default_factory=list)


class OmniVideoRef(_Model):
    video_url: str
    refer_type: Literal["feature", "base"] = "feature"
    keep_original_sound: str | bool = "no"


class OmniVideoBody(_Generated):
    image_list: list[OmniImage] = Field(default_factory=list)
    element_list: list[OmniElement] = Field(default_factory=list)
    video_list: list[OmniVideoRef] = Field(default_factory=list)


class MotionControlBody(_Task):
    image_url: str
    video_url: str
    character_orientation: Literal["image", "video"] = "image"
    keep_original_sound: str | bool = "yes"
    duration: Seconds | None = None


class AvatarBody(_Task):
    image: str
    sound_file: str | None = Field(None, description="URL or raw base64 (mp3/wav/m4a/aac).")
    audio_id: str | None = None


class VideoExtendBody(_Model):
    video_id: str = Field(..., description="The video to continue (a finished task's videos[].id).")
    prompt: str = _text("How the video goes on; at most 2,500 characters.")
    negative_prompt: str = _text("What to avoid; at most 2,500 characters.")
    cfg_scale: Float | None = None
    callback_url: str | None = None
    external_task_id: str | None = Field(None, max_length=EXTERNAL_ID_MAX)
    duration: Seconds | None = Field(
        None,
        description='reelforge extension: seconds to add, "3" to "15" (default "5", as Kling).',
    )


class FinalBody(_Model):
    """reelforge extension: a finished task re-rendered as a final, with its seed and plan."""

    task_id: str = Field(..., max_length=EXTERNAL_ID_MAX, description="The finished draft task.")
    mode: Literal["4k"] = Field(FINAL_MODE, description="The final's mode: 4k.")
    callback_url: str | None = None
    external_task_id: str | None = Field(None, max_length=EXTERNAL_ID_MAX)


BODIES: dict[str, type[_Model]] = {
    "text2video": Text2VideoBody,
    "image2video": Image2VideoBody,
    "omni-video": OmniVideoBody,
    "motion-control": MotionControlBody,
    "avatar/image2video": AvatarBody,
    "video-extend": VideoExtendBody,
    "final": FinalBody,
}


def check_texts(body: _Model) -> None:
    """Every string of ``body`` (nested lists and objects too) through the text
    sanitiser, before any input is fetched, any id looked up or anything stored: no NUL
    or other control character (free text and base64 may hold tab, line feed and
    carriage return), no lone surrogate, and at most the field's length (prompts with
    the request layer's wording). The field is named as Kling spells it
    (``multi_prompt[1].prompt``, ``element_list[0].name``)."""
    for path, name, value in strings(body):
        text, limit, allow = _text_rule(path, name, value)
        check_string(path, text, limit, allow=allow)


def check_lookup_id(field: str, value: str) -> None:
    """A task id or ``external_task_id`` from a path or a query, before it is looked up."""
    check_string(field, value, ID_MAX_CHARS)


def _text_rule(path: str, name: str, value: str) -> tuple[str, int | None, str]:
    """What :func:`check_string` checks of a body's string: (the text, its limit, the
    control characters it may hold)."""
    if name in INPUT_FIELDS:
        url = value.strip()
        if url.lower().startswith(("http://", "https://")):
            return url, URL_MAX_CHARS, ""
        return value, None, TEXT_WHITESPACE
    if name in FREE_TEXT_FIELDS:
        shot = path.startswith("multi_prompt[")
        return value, SHOT_PROMPT_MAX_CHARS if shot else TEXT_MAX, TEXT_WHITESPACE
    if name in LOOKUP_IDS:
        return value, ID_MAX_CHARS, ""
    if name == "callback_url":
        return value, URL_MAX_CHARS, ""
    return value, NAME_MAX_CHARS, ""


def translate(endpoint: str, body: _Model, fetch: Fetch) -> dict[str, Any]:
    """Our request data for a Kling body; inputs are fetched through ``fetch``."""
    workflow = ENDPOINTS[endpoint]
    assert isinstance(body, _Task)
    data: dict[str, Any] = {
        "workflow": workflow,
        "prompt": body.prompt,
        "negative_prompt": body.negative_prompt,
        "resolution": MODES[body.mode] if body.mode else None,  # None: the tier's own
        "tier": body.model_name or None,
        "cfg_scale": body.cfg_scale,
        "seed": body.seed,
        "model": body.model,
    }
    if isinstance(body, _Generated):
        data.update(_generated(body))
    if isinstance(body, Image2VideoBody):
        if body.static_mask or body.dynamic_masks:
            raise InputError(
                "static_mask" if body.static_mask else "dynamic_masks",
                "given",
                "not supported",
                "motion brush masks (kling-v1) are not supported; describe the motion in the prompt",
            )
        data["image"] = fetch(body.image, "image", "image", "image")
        if body.image_tail:
            data["end_image"] = fetch(body.image_tail, "image_tail", "image", "image_tail")
    elif isinstance(body, OmniVideoBody):
        data.update(_omni(body, fetch))
    elif isinstance(body, MotionControlBody):
        data.update(
            image=fetch(body.image_url, "image_url", "image", "image"),
            video=fetch(body.video_url, "video_url", "video", "video"),
            character_orientation=body.character_orientation,
            keep_original_sound=_yes_no(body.keep_original_sound, "keep_original_sound"),
            duration=seconds(body.duration, "duration"),
            audio=True,
        )
    elif isinstance(body, AvatarBody):
        if body.audio_id and not body.sound_file:
            raise InputError(
                "audio_id",
                body.audio_id,
                "sound_file",
                "audio_id (Kling's stored audio) is not supported; send sound_file as a URL or base64",
            )
        if not body.sound_file:
            raise InputError(
                "sound_file", None, "required", "sound_file is required (a URL or base64)"
            )
        data.update(
            image=fetch(body.image, "image", "image", "image"),
            audio_file=fetch(body.sound_file, "sound_file", "audio", "sound_file"),
            audio=True,
        )
    return with_default_resolution({k: v for k, v in data.items() if v is not None})


def _generated(body: _Generated) -> dict[str, Any]:
    out: dict[str, Any] = {
        "duration": seconds(body.duration, "duration"),
        "aspect_ratio": body.aspect_ratio,
        "audio": body.sound == "on",
        "multi_shot": body.multi_shot,
        "shot_type": body.shot_type,
    }
    if body.multi_prompt:
        if not body.multi_shot:
            raise InputError(
                "multi_prompt",
                len(body.multi_prompt),
                "multi_shot: true",
                "multi_prompt is only read with multi_shot: true",
            )
        out["shots"] = [
            {
                "index": s.index,
                "prompt": s.prompt,
                "duration": seconds(s.duration, f"multi_prompt[{i}].duration"),
            }
            for i, s in enumerate(body.multi_prompt)
        ]
    if body.camera_control is not None:
        config = body.camera_control.config or CameraConfig()
        out["camera"] = {"type": body.camera_control.type, **config.model_dump()}
    return out


def _omni(body: OmniVideoBody, fetch: Fetch) -> dict[str, Any]:
    images = [
        {
            "path": fetch(img.image_url, f"image_list[{i}].image_url", "image", f"image_{i + 1}"),
            "type": img.type or "reference",
        }
        for i, img in enumerate(body.image_list)
    ]
    elements = []
    for i, el in enumerate(body.element_list):
        if not el.image_list:
            raise InputError(
                f"element_list[{i}]",
                el.element_id,
                "inline images",
                "reelforge has no element library: give the element inline as "
                "{name, description, image_list: [{image_url}]}",
            )
        elements.append(
            {
                "name": el.name or f"Element{i + 1}",
                "description": el.description,
                "images": [
                    fetch(
                        im.image_url,
                        f"element_list[{i}].image_list[{j}].image_url",
                        "image",
                        f"element_{i + 1}_{j + 1}",
                    )
                    for j, im in enumerate(el.image_list)
                ],
            }
        )
    out: dict[str, Any] = {"images": images, "elements": elements}
    if len(body.video_list) > 1:
        raise InputError(
            "video_list",
            len(body.video_list),
            1,
            f"at most 1 reference video, got {len(body.video_list)}",
        )
    if body.video_list:
        ref = body.video_list[0]
        out["video"] = {
            "path": fetch(ref.video_url, "video_list[0].video_url", "video", "video_1"),
            "refer_type": ref.refer_type,
            "keep_original_sound": _yes_no(
                ref.keep_original_sound, "video_list[0].keep_original_sound"
            ),
        }
    return out


def seconds(value: str | float | int | None, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "seconds", f"{value!r} is not a number of seconds") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise InputError(field, value, "seconds", f"{value!r} is not a number of seconds")
    return seconds


def _yes_no(value: str | bool, field: str) -> bool:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in YES_NO:
        raise InputError(field, value, "yes | no", f"{value!r} is not 'yes' or 'no'")
    return YES_NO[key]


_RENAMES: dict[str, list[tuple[str, str]]] = {
    "*": [
        (r"^tier$", "model_name"),
        (r"^resolution$", "mode"),
        (r"^audio$", "sound"),
        (r"^camera\.(\w+)$", r"camera_control.config.\1"),
        (r"^camera$", "camera_control"),
        (r"^shots\[(\d+)\]", r"multi_prompt[\1]"),
        (r"^shots$", "multi_prompt"),
    ],
    "image2video": [(r"^end_image$", "image_tail")],
    "omni": [
        (r"^images\[(\d+)\]\.path$", r"image_list[\1].image_url"),
        (r"^images\[(\d+)\]", r"image_list[\1]"),
        (r"^images$", "image_list"),
        (r"^elements\[(\d+)\]\.images\[(\d+)\]$", r"element_list[\1].image_list[\2].image_url"),
        (r"^elements\[(\d+)\]", r"element_list[\1]"),
        (r"^elements$", "element_list"),
        (r"^video\.path$", "video_list[0].video_url"),
        (r"^video\.", "video_list[0]."),
        (r"^video$", "video_list"),
    ],
    "motion": [(r"^image$", "image_url"), (r"^video$", "video_url")],
    "avatar": [(r"^audio_file$", "sound_file")],
}


def kling_field(field: str, workflow: str) -> str:
    """Our field name as the Kling client spelt it."""
    for pattern, repl in [*_RENAMES.get(workflow, []), *_RENAMES["*"]]:
        renamed = re.sub(pattern, repl, field)
        if renamed != field:
            return renamed
    return field


def input_message(exc: InputError, workflow: str) -> str:
    """An :class:`InputError`'s text with the field as Kling names it."""
    return f"{kling_field(exc.field, workflow)}: {exc.message}"


def redact(body: dict[str, Any]) -> dict[str, Any]:
    """The body as received, with base64 payloads replaced by their size (for storage)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if (
            isinstance(value, str)
            and len(value) > 1024
            and not value.startswith(("http://", "https://"))
        ):
            return f"<base64: {len(value)} chars>"
        return value

    return walk(body)
