"""Kling's ``shot_type=intelligence``: cut a free prompt into shots, deterministically.

Heuristics a film editor would start from: the opening scene description becomes a
wide establishing shot, each further action sentence a medium shot, and dialogue
turns alternate as close-ups per speaker (shot–reverse-shot). When that makes too
many shots for ``max_shots`` or the duration, the lightest neighbouring beats of the
same kind merge first. Durations follow how long each beat takes to show or say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ..errors import InputError
from ..request import limits
from ..request.models import ShotSpec
from ._text import fmt_seconds, normalize_newlines, one_line, sentences
from ._timing import apportion
from .camera import extract_camera
from .dialogue import dialogue_spans, render_line
from .shots import DialogueLine

Kind = Literal["scene", "action", "dialogue"]

_STYLE = re.compile(r"(?i)^(?:audio\s*(?:&|and)\s*style|audio|style|sound)\s*[:：]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+")
_SPEECH_WORDS_PER_S = 2.5
_FRAMING = {"scene": "Wide establishing shot.", "action": "Medium shot."}


@dataclass
class _Beat:
    """One candidate shot: what it shows (``parts``), says (``lines``) and wants (``weight``)."""

    kind: Kind
    parts: list[str] = field(default_factory=list)
    lines: list[DialogueLine] = field(default_factory=list)
    weight: float = 0.0
    merged: int = 1


def split_into_shots(
    prompt: str, total: float, max_shots: int = limits.SHOTS_MAX
) -> tuple[list[ShotSpec], list[str]]:
    """Shots for ``prompt`` summing to ``total`` seconds, and why each cut was made.

    At most ``max_shots``, :data:`~reelforge.request.limits.SHOTS_MAX`, and as many as
    ``total`` allows at :data:`~reelforge.request.limits.SHOT_MIN_S` each. Durations are
    whole or half seconds where possible; the last shot absorbs any remainder.
    """
    if total < limits.SHOT_MIN_S:
        raise InputError(
            "duration",
            total,
            limits.SHOT_MIN_S,
            f"{fmt_seconds(total)} s is too short for a shot; "
            f"the minimum is {fmt_seconds(limits.SHOT_MIN_S)} s",
        )
    if max_shots < limits.SHOTS_MIN:
        raise InputError(
            "max_shots",
            max_shots,
            limits.SHOTS_MIN,
            f"{max_shots} is below the minimum of {limits.SHOTS_MIN}",
        )
    cap = min(max_shots, limits.SHOTS_MAX, int(total // limits.SHOT_MIN_S))
    beats, style = _beats(normalize_newlines(prompt))
    if not beats:
        return [ShotSpec(index=1, prompt=prompt.strip(), duration=total)], [
            "shot 1: the whole prompt as one shot (nothing to cut on)"
        ]
    reasons: list[str] = []
    found = len(beats)
    while len(beats) > cap:
        _merge_lightest(beats)
    if found > cap:
        reasons.append(
            f"{found} beats merged into {cap} shot{'s' if cap > 1 else ''} "
            f"(max_shots {max_shots}, {fmt_seconds(total)} s allows {cap})"
        )
    durations = apportion([b.weight for b in beats], total, limits.SHOT_MIN_S)
    shots = []
    for i, (beat, seconds) in enumerate(zip(beats, durations, strict=True), start=1):
        text = _prompt(beat, style)
        if len(text) > limits.SHOT_PROMPT_MAX_CHARS:
            text = _shorten(text)
            reasons.append(f"shot {i}: text shortened to {limits.SHOT_PROMPT_MAX_CHARS} characters")
        shots.append(ShotSpec(index=i, prompt=text, duration=seconds))
    reasons[:0] = _explain(beats)
    if style:
        reasons.append("the audio & style line is repeated in every shot")
    reasons.append("durations follow how long each shot's action or dialogue takes")
    return shots, reasons


def _beats(text: str) -> tuple[list[_Beat], str]:
    """Beats in prompt order, and the prompt's audio & style sentences."""
    beats: list[_Beat] = []
    style: list[str] = []
    pending_camera: list[str] = []
    last = 0
    for start, end, line in [*dialogue_spans(text), (len(text), len(text), None)]:
        for sentence in sentences(text[last:start]):
            if _STYLE.match(sentence):
                style.append(sentence)
            elif not extract_camera(sentence)[1]:
                # A camera sentence directs the beat it follows (or, first, the next one).
                (beats[-1].parts if beats else pending_camera).append(sentence)
            else:
                kind: Kind = "action" if beats else "scene"
                beats.append(_Beat(kind, [*pending_camera, sentence], weight=_show_s(sentence)))
                pending_camera.clear()
        last = end
        if line is None:
            break
        prev = beats[-1] if beats else None
        if prev and prev.kind == "dialogue" and prev.lines[-1].speaker == line.speaker:
            prev.lines.append(line)  # the same speaker goes on: one turn, one close-up
            prev.weight += _say_s(line.text)
        else:
            beats.append(_Beat("dialogue", [*pending_camera], [line], _say_s(line.text) + 0.5))
            pending_camera.clear()
    if pending_camera and beats:
        beats[0].parts.extend(pending_camera)
    return beats, " ".join(style)


def _words(text: str) -> float:
    """Word count; CJK text, written without spaces, counts two characters per word."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk / 2


def _show_s(text: str) -> float:
    """Seconds an action sentence wants on screen: 1.5 s plus a little per word."""
    return 1.5 + 0.1 * _words(text)


def _say_s(text: str) -> float:
    """Seconds a line takes to say at a calm speaking pace."""
    return max(0.5, _words(text) / _SPEECH_WORDS_PER_S)


def _merge_lightest(beats: list[_Beat]) -> None:
    """Merge the neighbouring pair that costs least: same kind first, the scene last."""

    def cost(i: int) -> tuple[int, float, int]:
        a, b = beats[i], beats[i + 1]
        rank = 2 if "scene" in (a.kind, b.kind) else (0 if a.kind == b.kind else 1)
        return rank, a.weight + b.weight, i

    i = min(range(len(beats) - 1), key=cost)
    a, b = beats[i], beats.pop(i + 1)
    if a.kind != b.kind:
        a.parts = [*a.parts, *(render_line(x) for x in a.lines)]
        a.lines = []
        a.kind = "scene" if "scene" in (a.kind, b.kind) else "action"
    if a.kind == "dialogue":
        a.parts, a.lines = [*a.parts, *b.parts], [*a.lines, *b.lines]
    else:
        a.parts = [*a.parts, *b.parts, *(render_line(x) for x in b.lines)]
    a.weight += b.weight
    a.merged += b.merged


def _prompt(beat: _Beat, style: str) -> str:
    if beat.kind == "dialogue":
        speakers = _speakers(beat.lines)
        framing = (
            f"Close-up on {speakers[0]}."
            if len(speakers) == 1
            else f"Two-shot of {' and '.join(speakers)}."
        )
    else:
        framing = _FRAMING[beat.kind]
    said = [render_line(x) for x in beat.lines]
    return one_line(" ".join([framing, *beat.parts, *said, style]))


def _shorten(text: str) -> str:
    cut = text[: limits.SHOT_PROMPT_MAX_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _speakers(lines: list[DialogueLine]) -> list[str]:
    return list(dict.fromkeys(x.speaker for x in lines))


def _explain(beats: list[_Beat]) -> list[str]:
    """One reason per shot, with a run of single-speaker close-ups told as shot–reverse-shot."""
    out: list[str] = []
    i = 0
    while i < len(beats):
        beat, n = beats[i], i + 1
        if beat.kind == "dialogue" and len(_speakers(beat.lines)) == 1:
            j = i
            while (
                j + 1 < len(beats)
                and beats[j + 1].kind == "dialogue"
                and len(_speakers(beats[j + 1].lines)) == 1
            ):
                j += 1
            people = _speakers([x for b in beats[i : j + 1] for x in b.lines])
            if len(people) > 1:
                out.append(
                    f"shots {n}–{j + 1}: shot–reverse-shot for the dialogue between {_and(people)}"
                )
                i = j + 1
                continue
            out.append(f"shot {n}: close-up on {people[0]} for their line")
        elif beat.kind == "dialogue":
            out.append(f"shot {n}: two-shot of {_and(_speakers(beat.lines))} for their exchange")
        elif beat.kind == "scene":
            more = f", also covering {beat.merged - 1} more beats" if beat.merged > 1 else ""
            out.append(f"shot {n}: establishing wide shot of the scene{more}")
        elif beat.merged > 1:
            out.append(f"shot {n}: medium shot covering {beat.merged} beats")
        else:
            out.append(f"shot {n}: medium shot for the action beat")
        i += 1
    return out


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
