"""Custom multi-shot scripts: ``Shot 1 (3s): ...`` headers → :class:`ShotSpec` list.

Kling users storyboard a clip by writing one header per shot, each followed by that
shot's prompt (``Shot 2 (4s): Medium shot - she looks around. Camera: slow push in.``).
This module finds the headers, splits the text between them, fills in missing
durations from the task's total, and checks every multi-shot limit of
:mod:`reelforge.request.limits`, so the planner receives shots that may run.
:func:`with_script_shots` turns a request whose prompt is such a script into the custom
multi-shot request it stands for, before its limits are checked: the one place where
the CLI, the API and :func:`reelforge.render` read a storyboard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import InputError
from ..request import limits
from ..request.models import AnyRequest, ImageToVideo, Omni, ShotSpec, TextToVideo
from ._text import fmt_seconds, normalize_newlines
from ._timing import apportion

_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = r"(?:s|secs?|seconds?|秒)"
_BOLD = r"(?:\*\*|__)?"
_HEADER = re.compile(
    rf"""
    ^[ \t]*(?:[-*+•][ \t]+)?(?:\#{{1,6}}[ \t]*)?{_BOLD}[ \t]*   # bullet, heading, bold
    shot[ \t]*(?P<num>\d+){_BOLD}[ \t]*
    (?:                                                      # optional duration:
        [(（][ \t]*(?P<d1>{_NUMBER})[ \t]*{_UNIT}?[ \t]*[)）]      #   (3s) (3 sec) (2.5)
      | [-–—][ \t]*(?P<d2>{_NUMBER})[ \t]*{_UNIT}(?![^\W\d_])  #   - 3s
    )?
    [ \t]*{_BOLD}[ \t]*
    (?P<sep>[:：]|[-–—.](?=[ \t])|[ \t]*$)?                   # colon, dash, or end of line
    [ \t]*{_BOLD}[ \t]*
    (?:[(（][ \t]*(?P<d3>{_NUMBER})[ \t]*{_UNIT}?[ \t]*[)）])?     # Shot 1: (3s) ...
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


_INLINE_HEADER = re.compile(
    rf"(?<=\S)[ \t]+(?={_BOLD}shot[ \t]*\d+[ \t]*[(（][ \t]*{_NUMBER}[ \t]*{_UNIT}?[ \t]*[)）]"
    rf"[ \t]*{_BOLD}[ \t]*[:：])",
    re.IGNORECASE,
)
"""A full header (number, duration in brackets, colon) in the middle of a line:
``... Camera: static. Shot 2 (4s): ...`` — written on one line, it still starts a shot."""


def _lines(text: str) -> str:
    """Newlines normalised, and every mid-line full header moved to a line of its own."""
    return _INLINE_HEADER.sub("\n", normalize_newlines(text))


def _headers(text: str) -> list[re.Match[str]]:
    """Header matches in order; ``Shot 1 was great`` (no separator, no duration) is not one."""
    return [
        m for m in _HEADER.finditer(text) if m["sep"] is not None or m["d1"] or m["d2"] or m["d3"]
    ]


def is_shot_script(text: str) -> bool:
    """True when ``text`` has a shot header at the start of a line, or a full one
    (``Shot 2 (4s):``) anywhere."""
    return bool(_headers(_lines(text)))


def with_script_shots(request: AnyRequest) -> AnyRequest:
    """``request`` with a shot script in its prompt made into its custom shot list.

    The prompt keeps the script's preamble; the shots are the script's, with missing
    durations shared out of ``request.duration``; a request without a duration lasts
    as long as its shots (the README's storyboard renders its 10 s). Requests with a
    shot list already, with ``shot_type`` ``intelligence``, without shots (motion,
    avatar) or without a script come back unchanged. A broken script is an
    :class:`InputError` on ``prompt``: that is the field the user wrote it in.
    """
    if (
        not isinstance(request, TextToVideo | ImageToVideo | Omni)
        or request.shots
        or (request.multi_shot and request.shot_type == "intelligence")
        or not is_shot_script(request.prompt)
    ):
        return request
    try:
        preamble, shots = parse_shot_script(request.prompt, request.duration)
    except InputError as exc:
        raise InputError("prompt", exc.value, exc.limit, exc.message) from None
    return request.model_copy(
        update={
            "prompt": preamble,
            "multi_shot": True,
            "shot_type": "customize",
            "shots": tuple(shots),
            "duration": request.duration or sum(s.duration for s in shots),
        }
    )


def parse_shot_script(text: str, total: float | None = None) -> tuple[str, list[ShotSpec]]:
    """Split a multi-shot script into its preamble and its shots.

    The preamble is the text before ``Shot 1`` (a global scene or style line). A shot's
    prompt runs to the next header and may span lines. Shots written without a
    duration share what ``total`` leaves, evenly in half seconds. Raises
    :class:`InputError` (field ``prompt`` or ``shots[i].…``, ``i`` counted from 0 as
    in the request's ``shots`` list) for bad numbering, too many shots, short or
    long shots, missing durations without a total, or durations that miss the total.
    """
    text = _lines(text)
    headers = _headers(text)
    if not headers:
        raise InputError(
            "prompt", text[:60], "Shot 1 (3s): ...", "no shot headers like 'Shot 1 (3s):' found"
        )
    preamble = text[: headers[0].start()].strip()
    ends = [m.start() for m in headers[1:]] + [len(text)]
    bodies = [text[m.end() : end].strip() for m, end in zip(headers, ends, strict=True)]
    numbers = [int(m["num"]) for m in headers]
    _check_count(len(numbers), "prompt")
    _check_numbering(numbers)
    given = [_duration(m) for m in headers]
    durations = _fill_durations(given, total)
    shots = [
        ShotSpec(index=n, prompt=body, duration=d)
        for n, body, d in zip(numbers, bodies, durations, strict=True)
    ]
    _check_each(shots, "shots")
    if total is not None and all(d is not None for d in given):
        _check_sum(shots, total, "prompt")
    return preamble, shots


def _duration(header: re.Match[str]) -> float | None:
    raw = header["d1"] or header["d2"] or header["d3"]
    return float(raw.replace(",", ".")) if raw else None


def _check_count(n: int, field: str) -> None:
    if not limits.SHOTS_MIN <= n <= limits.SHOTS_MAX:
        raise InputError(
            field,
            n,
            limits.SHOTS_MAX if n > limits.SHOTS_MAX else limits.SHOTS_MIN,
            f"{n} shots; a multi-shot clip has {limits.SHOTS_MIN} to {limits.SHOTS_MAX} shots",
        )


def _check_numbering(numbers: list[int]) -> None:
    for i, n in enumerate(numbers):
        expected = i + 1
        if n == expected:
            continue
        if n in numbers[:i]:
            problem = f"Shot {n} appears twice"
        elif n > expected:
            after = f"after Shot {numbers[i - 1]}" if i else "first"
            problem = f"Shot {expected} is missing (found Shot {n} {after})"
        else:
            problem = f"found Shot {n} where Shot {expected} was expected"
        raise InputError(
            "prompt", n, expected, f"shots must be numbered 1..{len(numbers)} in order: {problem}"
        )


def _fill_durations(given: list[float | None], total: float | None) -> list[float]:
    missing = [i for i, d in enumerate(given) if d is None]
    if not missing:
        return [d for d in given if d is not None]
    names = ", ".join(f"Shot {i + 1}" for i in missing)
    field = f"shots[{missing[0]}].duration"
    if total is None:
        raise InputError(
            field,
            None,
            "a duration per shot or a total",
            f"{names} {'has' if len(missing) == 1 else 'have'} no duration; write one in "
            f"the header ('Shot {missing[0] + 1} (3s):') or give the clip's total duration",
        )
    left = total - sum(d for d in given if d is not None)
    if left < limits.SHOT_MIN_S * len(missing) - limits.DURATION_TOLERANCE_S:
        each = left / len(missing)
        raise InputError(
            field,
            round(each, 3),
            limits.SHOT_MIN_S,
            f"{fmt_seconds(max(left, 0))} s of the {fmt_seconds(total)} s total are left for "
            f"{names}, {fmt_seconds(max(each, 0))} s each, below the "
            f"{fmt_seconds(limits.SHOT_MIN_S)} s minimum per shot",
        )
    shares = iter(apportion([1.0] * len(missing), left, limits.SHOT_MIN_S))
    return [d if d is not None else next(shares) for d in given]


def _check_each(shots: Sequence[ShotSpec], field: str) -> None:
    for i, shot in enumerate(shots):
        if shot.duration < limits.SHOT_MIN_S - limits.DURATION_TOLERANCE_S:
            raise InputError(
                f"{field}[{i}].duration",
                shot.duration,
                limits.SHOT_MIN_S,
                f"shot {shot.index} lasts {fmt_seconds(shot.duration)} s, below the "
                f"{fmt_seconds(limits.SHOT_MIN_S)} s minimum",
            )
        if not shot.prompt.strip():
            raise InputError(
                f"{field}[{i}].prompt", shot.prompt, 1, f"shot {shot.index} has no prompt"
            )
        if len(shot.prompt) > limits.SHOT_PROMPT_MAX_CHARS:
            raise InputError(
                f"{field}[{i}].prompt",
                len(shot.prompt),
                limits.SHOT_PROMPT_MAX_CHARS,
                f"shot {shot.index} is {len(shot.prompt)} characters long, over the "
                f"{limits.SHOT_PROMPT_MAX_CHARS}-character limit per shot",
            )


def _check_sum(shots: Sequence[ShotSpec], total: float, field: str) -> None:
    got = sum(s.duration for s in shots)
    if abs(got - total) > limits.DURATION_TOLERANCE_S:
        raise InputError(
            field,
            round(got, 6),
            total,
            f"shot durations sum to {fmt_seconds(got)} s but the clip lasts "
            f"{fmt_seconds(total)} s; they must add up to the total",
        )
