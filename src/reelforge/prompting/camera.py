"""Camera directions: ``Camera: slow push in.`` in prompts, and Kling's ``camera_control``.

Each shot is filmed with one :class:`CameraMove`. Users say it in a ``Camera: ...``
sentence (Kling's structured prompt), or in passing ("the camera pans left"), or
through the API's ``camera_control``; all three end here as the same enum value.
"""

from __future__ import annotations

import re

from ..request.models import CameraControl
from ._text import normalize_newlines, tidy
from .shots import CameraMove

_M = CameraMove
_ORBIT = r"(?:orbit(?:s|ed|ing)?|arc(?:s|ing)?|circl(?:es|ing)\s+around)"
_PAN = r"(?:pan(?:s|ned|ning)?|truck(?:s|ed|ing)?|track(?:s|ed|ing)?)"
_RISE = r"(?:tilt(?:s|ed|ing)?|crane[sd]?|craning|pedestal(?:s|ing)?|boom(?:s|ing)?)"
_DOLLY = r"(?:dolly|dollies|dollying|zoom(?:s|ed|ing)?|track(?:s|ed|ing)?)"
_PHRASES: tuple[tuple[str, CameraMove], ...] = (
    (rf"{_ORBIT}\s+(?:around\s+\w+\s+)?(?:to\s+the\s+)?left", _M.ORBIT_LEFT),
    (rf"{_ORBIT}\s+(?:counter|anti)[- ]?clockwise", _M.ORBIT_LEFT),
    (rf"(?:counter|anti)[- ]?clockwise\s+{_ORBIT}", _M.ORBIT_LEFT),
    (rf"{_ORBIT}(?:\s+around)?", _M.ORBIT_RIGHT),
    (rf"{_PAN}\s+(?:to\s+the\s+)?left", _M.PAN_LEFT),
    (rf"{_PAN}\s+(?:to\s+the\s+)?right", _M.PAN_RIGHT),
    (rf"{_RISE}\s+up(?:ward)?", _M.TILT_UP),
    (rf"{_RISE}\s+down(?:ward)?", _M.TILT_DOWN),
    (rf"(?:pull(?:s|ed|ing)?|{_DOLLY})\s+(?:out|back|away)", _M.PULL_OUT),
    (rf"(?:push(?:es|ed|ing)?|{_DOLLY})\s+(?:in|forward|closer)", _M.PUSH_IN),
    (r"(?:^|(?<=camera ))mov(?:es|ed|ing|e)\s+(?:out|back|away)", _M.PULL_OUT),
    (r"(?:^|(?<=camera ))mov(?:es|ed|ing|e)\s+(?:in|forward|closer)", _M.PUSH_IN),
    (r"push(?:es|ed|ing)?\s+in|crash\s+zoom", _M.PUSH_IN),
    (r"hand-?held|shaky[- ]?cam|documentary[- ]style", _M.HANDHELD),
    (r"tracking\s+shot|follow(?:s|ing)?\s+(?:her|him|them|the)\b", _M.PAN_RIGHT),
    (r"static|locked[- ]off|fixed\s+camera|tripod|still\s+camera|no\s+camera\s+move", _M.STATIC),
)
"""Camera phrases, most specific first. A tracking shot has no move of its own in
:class:`CameraMove`; it is approximated by the lateral move, ``pan_right``."""

_PHRASE = re.compile(
    "|".join(rf"(?P<m{i}>\b(?:{p})\b)" for i, (p, _) in enumerate(_PHRASES)), re.IGNORECASE
)
_SENTENCE = re.compile(
    r"(?:^|(?<=[.!?。！？]))[ \t]*camera(?:[ \t]+(?:movement|move|motion|work))?[ \t]*"
    r"(?P<body>[:：\-–—][^.!?。！？\n]*|[ \t][^.!?。！？\n]*)[.!?。！？]?",
    re.IGNORECASE | re.MULTILINE,
)
"""A sentence that starts with ``Camera`` (``Camera: static.``, ``Camera slowly pans left.``)."""


def find_camera_move(text: str) -> CameraMove | None:
    """The first camera move named anywhere in ``text``, or ``None`` if it names none."""
    m = _PHRASE.search(text)
    if m is None:
        return None
    assert m.lastgroup is not None  # every alternative is a named group
    return _PHRASES[int(m.lastgroup[1:])][1]


def extract_camera(text: str) -> tuple[CameraMove, str]:
    """The shot's camera move, and ``text`` without its ``Camera ...`` sentences.

    A ``Camera`` sentence decides the move (static when it names none we know);
    without one, the first camera phrase in the text does, and the text is returned
    as it is, since such phrases are part of the action's wording. Default: static.
    """
    text = normalize_newlines(text)
    directions = list(_SENTENCE.finditer(text))
    if not directions:
        return find_camera_move(text) or CameraMove.STATIC, text
    moves = [find_camera_move(m["body"].lstrip(":：-–— \t")) for m in directions]
    move = next((mv for mv in moves if mv is not None), CameraMove.STATIC)
    return move, tidy(_SENTENCE.sub(" ", text))


def camera_from_control(control: CameraControl) -> CameraMove:
    """The move closest to Kling's ``camera_control``.

    Presets: ``down_back`` → pull out, ``forward_up`` → push in, ``right_turn_forward``
    → orbit right, ``left_turn_forward`` → orbit left. ``simple`` uses its largest
    axis with Kling's documented signs: ``horizontal``/``vertical`` move the camera
    (right/up positive), ``pan`` rotates about the x axis (up positive, so a tilt in
    film terms), ``tilt`` about the y axis (right positive, a pan in film terms),
    ``roll`` clockwise positive, and ``zoom`` negative narrows the field of view
    (push in) while positive widens it (pull out).
    """
    presets = {
        "down_back": _M.PULL_OUT,
        "forward_up": _M.PUSH_IN,
        "right_turn_forward": _M.ORBIT_RIGHT,
        "left_turn_forward": _M.ORBIT_LEFT,
    }
    if control.type in presets:
        return presets[control.type]
    axes = (
        (control.horizontal, _M.PAN_RIGHT, _M.PAN_LEFT),
        (control.vertical, _M.TILT_UP, _M.TILT_DOWN),
        (control.pan, _M.TILT_UP, _M.TILT_DOWN),
        (control.tilt, _M.PAN_RIGHT, _M.PAN_LEFT),
        (control.roll, _M.ORBIT_RIGHT, _M.ORBIT_LEFT),
        (control.zoom, _M.PULL_OUT, _M.PUSH_IN),
    )
    value, positive, negative = max(axes, key=lambda a: abs(a[0]))
    if value == 0:
        return _M.STATIC
    return positive if value > 0 else negative
