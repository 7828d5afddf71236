"""The shot: one continuous piece of a storyboard, with its action, camera and dialogue.

Data types here are the contract between the prompt parser, the planner and the
engines. Parsing lives in :mod:`reelforge.prompting.script` (``Shot 1 (3s): ...``),
:mod:`reelforge.prompting.dialogue` and :mod:`reelforge.prompting.camera`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class CameraMove(StrEnum):
    STATIC = "static"
    PUSH_IN = "push_in"
    PULL_OUT = "pull_out"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    ORBIT_LEFT = "orbit_left"
    ORBIT_RIGHT = "orbit_right"
    HANDHELD = "handheld"


class DialogueLine(BaseModel):
    """``[Character A: calm]: "line"`` → speaker ``Character A``, tone ``calm``."""

    model_config = ConfigDict(frozen=True)

    speaker: str
    text: str
    tone: str | None = None


class Shot(BaseModel):
    """A shot after analysis: what happens (``action``), how it is filmed, what is said."""

    model_config = ConfigDict(frozen=True)

    index: int
    """1-based, as users write it."""
    duration: float
    text: str
    """The shot's prompt as written."""
    action: str
    """The prompt without camera directions and dialogue lines."""
    camera: CameraMove = CameraMove.STATIC
    dialogue: tuple[DialogueLine, ...] = ()
