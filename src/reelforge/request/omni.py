"""Omni (reference-anchored) rules: how many references, frame roles, and prompt tags.

Counting references: every entry of ``images`` is one reference, and every element is
one reference however many images show it (an element is one subject; Kling's
``element_list`` entries count the same way). The video is not counted, but attaching
one lowers the maximum from ``OMNI_MAX_REFERENCES`` to ``OMNI_MAX_REFERENCES_WITH_VIDEO``.

Prompt tags: ``<<<image_N>>>`` (1 ≤ N ≤ number of images), ``<<<element_N>>>`` and
``@ElementN`` or ``@Name`` (an element's name, case-insensitive), ``<<<video_1>>>``
(needs the video). Any other ``<<<...>>>`` tag, or an ``@`` word that names no element,
is an error naming the tag and what the request holds. :mod:`.tags` finds them.
"""

from __future__ import annotations

from ..errors import InputError
from . import limits
from .messages import count, listing
from .models import Omni
from .tags import mentions, tags


def check_references(request: Omni) -> None:
    """Reference count, frame roles, and each element's images and name."""
    images, elements = request.images, request.elements
    total = len(images) + len(elements)
    if request.video is not None:
        most, when = limits.OMNI_MAX_REFERENCES_WITH_VIDEO, " when a video is attached"
    else:
        most, when = limits.OMNI_MAX_REFERENCES, ""
    if total > most:
        raise InputError(
            "images" if images else "elements",
            total,
            most,
            f"{total} references ({count(len(images), 'image')} + "
            f"{count(len(elements), 'element')}) is more than the {most}-reference "
            f"maximum{when}",
        )
    for role in ("first_frame", "end_frame"):
        at = [i for i, image in enumerate(images) if image.type == role]
        if len(at) > 1:
            raise InputError(
                f"images[{at[1]}].type",
                role,
                1,
                f"images[{at[0]}] is already the {role}; a request has at most one {role} image",
            )
    seen: dict[str, int] = {}
    for i, element in enumerate(elements):
        if not element.images:
            raise InputError(f"elements[{i}].images", 0, 1, "an element needs at least one image")
        key = element.name.strip().lower()
        if key and key in seen:
            raise InputError(
                f"elements[{i}].name",
                element.name,
                "unique",
                f"elements[{seen[key]}] already has the name {element.name!r}; "
                "@Name must name one element",
            )
        seen[key] = i


def check_tags(request: Omni) -> None:
    """Every tag and ``@`` mention in the prompt and the shot prompts refers to a reference."""
    check_prompt_tags("prompt", request.prompt, request)
    for i, shot in enumerate(request.shots):
        check_prompt_tags(f"shots[{i}].prompt", shot.prompt, request)


def check_prompt_tags(field: str, text: str, request: Omni) -> None:
    """Tags and mentions in one prompt, reported on ``field``."""
    have = {
        "image": len(request.images),
        "element": len(request.elements),
        "video": 1 if request.video is not None else 0,
    }
    for tag in tags(text):
        if tag.kind is None or tag.number is None:
            raise InputError(
                field,
                tag.text,
                "<<<image_N>>>, <<<element_N>>> or <<<video_1>>>",
                f"{tag.text} is not a reference tag; use <<<image_N>>>, <<<element_N>>> or "
                f"<<<video_1>>> (this request has {_inventory(have)})",
            )
        if not 1 <= tag.number <= have[tag.kind]:
            raise InputError(
                field,
                tag.text,
                have[tag.kind],
                f"{tag.text} refers to {tag.kind} {tag.number}, but this request has "
                f"{_inventory(have)}",
            )
    for mention in mentions(text, [element.name for element in request.elements]):
        if mention.name is None and not (
            mention.element is not None and 1 <= mention.element <= len(request.elements)
        ):
            _unknown_mention(field, mention.word, request)


def _unknown_mention(field: str, word: str, request: Omni) -> None:
    known = [
        f"@Element{i + 1}" + (f" (@{e.name})" if e.name.strip() else "")
        for i, e in enumerate(request.elements)
    ]
    exists = (
        f"the elements are {listing(known, 'and')}" if known else "this request has no elements"
    )
    raise InputError(field, f"@{word}", tuple(known), f"@{word} names no element; {exists}")


def _inventory(have: dict[str, int]) -> str:
    parts = [count(have["image"], "image"), count(have["element"], "element")]
    return f"{', '.join(parts)} and {count(have['video'], 'video')}"
