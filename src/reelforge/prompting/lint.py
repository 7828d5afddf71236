"""Prompt lint: advice a user sees before spending a render, never a rejection.

The checks encode Kling's prompting guide: an image-to-video prompt should describe
only what moves (the image already shows the scene), a text-to-video prompt should
say what moves, negative wording belongs in ``negative_prompt``, and multi-shot
durations must add up. Lint never raises; hard limits are checked in ``request``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..request import limits
from ..request.models import ShotSpec
from ._text import fmt_seconds
from .camera import find_camera_move
from .dialogue import extract_dialogue


@dataclass(frozen=True)
class LintWarning:
    """One piece of advice: a stable ``code`` for programs and a ``message`` for people."""

    code: str
    message: str


_MOTION_VERBS = frozenset(
    """
    move walk run jog sprint jump leap hop dance spin turn twist rotate roll fall drop rise
    lift raise lower climb fly float drift flow pour splash ripple wave sway swing shake
    tremble shiver blink nod smile laugh cry breathe look glance reach grab throw catch push
    pull open close step stride march crawl swim dive ride drive race chase follow approach
    enter exit leave arrive emerge appear disappear fade burst explode crash collapse flicker
    flash blow flutter swirl spread grow melt shatter stir sip drink eat type write point hug
    kiss kneel speak talk whisper shout sing play stretch bend bounce slide glide sweep rush
    hurry wander stroll gallop kick punch fight wink frown gesture tilt pan zoom dolly orbit
    track crane zip soar descend ascend sink scatter twirl wiggle wobble sprinkle drip rain
    """.split()
)
_IRREGULAR = frozenset(
    """
    ran flew fell rose swam rode drove threw caught spun swung shook leapt dove drank ate wrote
    sang spoke blew grew sank
    """.split()
)
_DESCRIPTIVE = frozenset(
    """
    red blue green yellow black white golden silver pink purple orange brown grey gray blonde
    hair eyes dress coat shirt jacket suit hat wearing wears dressed beautiful pretty handsome
    young old elderly tall curly freckled stand stands standing sitting seated lying posing
    portrait forest street city room beach mountain field garden kitchen office castle desert
    ocean background landscape village park studio cafe bedroom river lake meadow night
    sunset
    """.split()
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NEGATIVE = re.compile(
    r"\b(?P<neg>no|without|avoid|don't show|do not show|don't include|do not include)\s+"
    r"(?P<what>[^\W\d_][\w-]*)",
    re.IGNORECASE,
)
_NOT_NEGATIVE = frozenset(
    "one longer more less doubt matter sooner way time hesitation warning pause end".split()
)


def lint(
    prompt: str,
    workflow: str = "text2video",
    shots: Sequence[ShotSpec] = (),
    total: float | None = None,
) -> list[LintWarning]:
    """Warnings for ``prompt`` (and its ``shots``) in ``workflow``, most serious first."""
    _, spoken_removed = extract_dialogue("\n".join([prompt, *(s.prompt for s in shots)]))
    words = _WORD.findall(spoken_removed.lower())
    motion = sum(_is_motion(w) for w in words)
    described = sum(w in _DESCRIPTIVE for w in words)
    out = [*_too_long(prompt, shots), *_shot_sum(shots, total)]
    if workflow == "image2video" and described >= 2 and described > 2 * motion:
        out.append(
            LintWarning(
                "i2v_describes_scene",
                f"the prompt describes how things look ({described} appearance or scene words, "
                f"{motion} of motion); the image already shows that — describe only what moves "
                "and how the camera moves, e.g. 'her hair sways in the breeze, she turns to "
                "the camera. Camera: slow push in.'",
            )
        )
    has_camera = find_camera_move(spoken_removed) is not None or "camera" in words
    if workflow == "text2video" and spoken_removed.strip() and not motion and not has_camera:
        out.append(
            LintWarning(
                "no_motion",
                "nothing in the prompt moves and no camera move is given; the clip may be "
                "nearly still — add an action or a camera direction ('Camera: slow pan right.')",
            )
        )
    negatives = [
        m for m in _NEGATIVE.finditer(spoken_removed) if m["what"].lower() not in _NOT_NEGATIVE
    ]
    if negatives:
        phrases = ", ".join(repr(m.group(0)) for m in negatives)
        things = ", ".join(dict.fromkeys(m["what"] for m in negatives))
        out.append(
            LintWarning(
                "negative_in_prompt",
                f"negative wording in the prompt ({phrases}): naming a thing tends to bring it "
                f"in — put '{things}' in negative_prompt instead",
            )
        )
    return out


def _too_long(prompt: str, shots: Sequence[ShotSpec]) -> list[LintWarning]:
    out = []
    if len(prompt) > limits.PROMPT_MAX_CHARS:
        out.append(
            LintWarning(
                "too_long",
                f"the prompt is {len(prompt)} characters; the limit is {limits.PROMPT_MAX_CHARS}",
            )
        )
    for shot in shots:
        if len(shot.prompt) > limits.SHOT_PROMPT_MAX_CHARS:
            out.append(
                LintWarning(
                    "too_long",
                    f"shot {shot.index} is {len(shot.prompt)} characters; the limit per shot is "
                    f"{limits.SHOT_PROMPT_MAX_CHARS}",
                )
            )
    return out


def _shot_sum(shots: Sequence[ShotSpec], total: float | None) -> list[LintWarning]:
    got = sum(s.duration for s in shots)
    if not shots or total is None or abs(got - total) <= limits.DURATION_TOLERANCE_S:
        return []
    return [
        LintWarning(
            "shot_sum",
            f"the shots last {fmt_seconds(got)} s in all but the clip lasts {fmt_seconds(total)} s",
        )
    ]


def _is_motion(word: str) -> bool:
    """``word`` is a motion or camera verb in any regular form (runs, running, ran, flies)."""
    if word in _MOTION_VERBS or word in _IRREGULAR:
        return True
    stems = []
    if word.endswith("ies"):
        stems.append(word[:-3] + "y")
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            stems += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                stems.append(stem[:-1])
    if word.endswith("es"):
        stems.append(word[:-2])
    if word.endswith("s"):
        stems.append(word[:-1])
    return any(s in _MOTION_VERBS for s in stems)
