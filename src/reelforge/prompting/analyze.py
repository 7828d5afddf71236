"""Shot analysis: a shot's prompt → its action, camera move and dialogue (:class:`Shot`).

Dialogue is taken out first, so a spoken "Pan left!" is not read as a camera move;
then the ``Camera ...`` sentence. What remains is the visual action.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..request.models import ShotSpec
from ._text import one_line
from .camera import extract_camera
from .dialogue import extract_dialogue
from .shots import Shot


def analyze_shot(index: int, text: str, duration: float) -> Shot:
    """The :class:`Shot` for shot ``index`` (1-based) with prompt ``text``."""
    dialogue, rest = extract_dialogue(text)
    camera, action = extract_camera(rest)
    return Shot(
        index=index,
        duration=duration,
        text=text,
        action=one_line(action),
        camera=camera,
        dialogue=tuple(dialogue),
    )


def analyze_shots(specs: Sequence[ShotSpec]) -> list[Shot]:
    """:func:`analyze_shot` for each spec, in order."""
    return [analyze_shot(s.index, s.prompt, s.duration) for s in specs]
