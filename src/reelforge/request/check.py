"""``check_request``: every limit of docs/DESIGN.md §2, checked before any work starts.

A request model that parses may still break a limit or point at a file that does not
fit; :func:`check_request` finds the first problem and raises it as an
:class:`~reelforge.errors.InputError`, or returns a :class:`CheckedRequest` with the
defaults resolved and every input file probed.

Resolution rules:

- ``duration``: text2video, image2video and omni default to ``DEFAULT_DURATION_S``,
  or to the sum of the shots when a shot list is given. Avatar runs for its audio's
  length and motion for its reference video's; a ``duration`` given there must not be
  longer than that media (the rest is cut).
- ``aspect_ratio``: text2video defaults to ``DEFAULT_ASPECT_RATIO`` (16:9). Where a
  source image sets the frame (image2video's start image, an omni ``first_frame``, the
  avatar image, the motion character) an unset ``aspect_ratio`` stays ``None`` and
  ``source_aspect`` holds the image's width / height; an omni request without a first
  frame takes the default. ``source_aspect`` is set whenever such an image exists.
- omni references: see :mod:`reelforge.request.omni` for how they are counted.
- a non-empty ``shots`` list makes the request multi-shot (``multi_shot=True``).
- text: every string of the request (prompts, shot prompts, element names and
  descriptions, tier, paths) goes through the text sanitiser (:mod:`reelforge.request.text`)
  first, so the CLI, ``reelforge.render`` and the API all refuse a NUL, another control
  character (free text may hold tab, line feed and carriage return) or a lone surrogate
  before any work starts, not when the sidecar is written after the render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..media.probe import AudioInfo, ImageInfo, VideoInfo
from . import limits
from .inputs import check_audio, check_image, check_video
from .models import (
    AnyRequest,
    Avatar,
    ImageToVideo,
    MotionControl,
    Omni,
    TextToVideo,
    parse_request,
)
from .omni import check_references, check_tags
from .rules import (
    check_camera,
    check_cfg_scale,
    check_choice,
    check_duration,
    check_range,
    check_seed,
    check_shots,
)
from .text import FREE_TEXT_FIELDS, check_string, check_text, strings

MediaInfo = ImageInfo | AudioInfo | VideoInfo


@dataclass(frozen=True)
class CheckedRequest:
    """A request that passed every check, with its defaults resolved.

    ``request`` is the same model with ``duration`` set (and ``aspect_ratio`` set unless
    a source image decides it), ``resolution`` spelled as in ``RESOLUTIONS`` and
    ``multi_shot`` set when shots are given. ``media`` maps field paths (``image``,
    ``images[0].path``, ``elements[1].images[0]``, ``video.path``, ``audio_file``) to
    what probing found.
    """

    request: AnyRequest
    duration: float
    source_aspect: float | None
    media: dict[str, MediaInfo]


def check_request_data(data: dict[str, Any]) -> CheckedRequest:
    """:func:`parse_request` then :func:`check_request`."""
    return check_request(parse_request(data))


def check_request(request: AnyRequest) -> CheckedRequest:
    """Check every limit of ``request`` and probe its files; the first problem is raised."""
    _check_strings(request)
    updates = _check_common(request)
    media: dict[str, MediaInfo] = {}
    source: float | None
    if isinstance(request, Avatar | MotionControl):
        duration, source = _check_driven(request, media)
    else:
        duration, source = _check_generated(request, media, updates)
    if request.aspect_ratio is None and source is None:
        updates["aspect_ratio"] = limits.DEFAULT_ASPECT_RATIO
    updates["duration"] = duration
    resolved = request.model_copy(update=updates)
    return CheckedRequest(resolved, duration, source, media)


def _check_strings(request: AnyRequest) -> None:
    """Every string can be stored and written as UTF-8 (lengths are checked per field)."""
    for path, name, value in strings(request):
        check = check_text if name in FREE_TEXT_FIELDS else check_string
        check(path, value)


def _check_common(request: AnyRequest) -> dict[str, Any]:
    """Fields every workflow has; returns the resolved values to store."""
    check_text("prompt", request.prompt, limits.PROMPT_MAX_CHARS)
    check_text("negative_prompt", request.negative_prompt, limits.PROMPT_MAX_CHARS)
    updates: dict[str, Any] = {
        "resolution": check_choice("resolution", request.resolution, limits.RESOLUTIONS)
    }
    if request.aspect_ratio is not None:
        updates["aspect_ratio"] = check_choice(
            "aspect_ratio", request.aspect_ratio, limits.ASPECT_RATIOS
        )
    check_seed(request.seed)
    check_cfg_scale(request.cfg_scale)
    return updates


def _check_generated(
    request: TextToVideo | ImageToVideo | Omni,
    media: dict[str, MediaInfo],
    updates: dict[str, Any],
) -> tuple[float, float | None]:
    """text2video, image2video and omni: shots, camera, duration, then the files."""
    if request.camera is not None:
        check_camera(request.camera)
    duration = request.duration
    if request.shots:
        if request.shot_type != "customize":
            raise InputError(
                "shots",
                len(request.shots),
                "shot_type 'customize'",
                f"a shot list needs shot_type 'customize', not {request.shot_type!r} "
                "(with 'intelligence' the model plans the shots itself)",
            )
        duration = check_shots(request.shots, duration)
        updates["multi_shot"] = True
    elif request.multi_shot and request.shot_type == "customize":
        check_shots(request.shots, duration)  # raises: no shots
    if duration is None:
        duration = limits.DEFAULT_DURATION_S
    check_duration("duration" if request.duration is not None else "shots", duration)
    if not request.prompt.strip() and not request.shots and not isinstance(request, ImageToVideo):
        raise InputError(
            "prompt", request.prompt, "non-empty", f"{request.workflow} needs a prompt"
        )
    if isinstance(request, ImageToVideo):
        return duration, _check_image2video(request, media)
    if isinstance(request, Omni):
        return duration, _check_omni(request, media)
    return duration, None


def _check_image2video(request: ImageToVideo, media: dict[str, MediaInfo]) -> float:
    if request.camera is not None and request.end_image is not None:
        raise InputError(
            "camera",
            request.camera.type,
            "not with end_image",
            "camera and end_image cannot be used together on image2video; "
            "drop the camera move or the end image",
        )
    start = media["image"] = check_image(request.image, "image")
    if request.end_image is not None:
        media["end_image"] = check_image(request.end_image, "end_image")
    return start.width / start.height


def _check_omni(request: Omni, media: dict[str, MediaInfo]) -> float | None:
    check_references(request)
    check_tags(request)
    source = None
    for i, image in enumerate(request.images):
        info = media[f"images[{i}].path"] = check_image(image.path, f"images[{i}].path")
        if image.type == "first_frame":
            source = info.width / info.height
    for i, element in enumerate(request.elements):
        for j, path in enumerate(element.images):
            media[f"elements[{i}].images[{j}]"] = check_image(path, f"elements[{i}].images[{j}]")
    if request.video is not None:
        media["video.path"] = check_video(
            request.video.path,
            "video.path",
            limits.OMNI_REFERENCE_VIDEO_MAX_SECONDS,
            "for an omni reference video",
        )
    return source


def _check_driven(
    request: Avatar | MotionControl, media: dict[str, MediaInfo]
) -> tuple[float, float]:
    """avatar and motion: the image, then the audio / video that sets the length."""
    image = media["image"] = check_image(request.image, "image")
    driver: AudioInfo | VideoInfo
    if isinstance(request, Avatar):
        driver = media["audio_file"] = check_audio(request.audio_file, "audio_file")
        field, shortest = "audio_file", limits.AUDIO_MIN_SECONDS
    else:
        orientation = request.character_orientation
        longest = (
            limits.MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION
            if orientation == "image"
            else limits.MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION
        )
        driver = media["video"] = check_video(
            request.video, "video", longest, f"for character_orientation {orientation!r}"
        )
        field, shortest = "video", limits.VIDEO_MIN_SECONDS
    if request.duration is None:
        return driver.duration, image.width / image.height
    check_range(
        "duration",
        request.duration,
        shortest,
        driver.duration,
        unit="s",
        rule=f"(the length of {field})",
    )
    return request.duration, image.width / image.height
