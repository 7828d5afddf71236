"""Dialogue lines in prompts: ``[Character A: calm]: "line"`` and ``Mara (whispering): "line"``.

Kling's native-audio models read spoken lines from the prompt in these forms. The
planner needs them apart from the visual action: to time shots by how long the
lines take to say, and to give the audio engine the speaker, the tone and the words.
"""

from __future__ import annotations

import re

from ._text import normalize_newlines, tidy
from .shots import DialogueLine

_QUOTED = r"""(?:"(?P<q1>[^"\n]*)"|“(?P<q2>[^”\n]*)”|„(?P<q3>[^“”\n]*)[“”]|«(?P<q4>[^»\n]*)»|「(?P<q5>[^」\n]*)」|『(?P<q6>[^』\n]*)』)"""

_BRACKETED = re.compile(
    rf"""
    \[[ \t]*(?P<speaker>[^\[\]:：\n]+?)[ \t]*(?:[:：][ \t]*(?P<tone>[^\[\]\n]*?)[ \t]*)?\]
    (?:[ \t]*[:：]?[ \t]*{_QUOTED}|[ \t]*[:：][ \t]*(?P<bare>[^\n\["“„«「『]+))
    """,
    re.VERBOSE,
)
"""``[Speaker: tone]: "line"`` anywhere in the text; ``[Speaker]: line`` (unquoted, colon
required) runs to the end of the line."""

_NAMED = re.compile(
    rf"""
    ^[ \t]*(?:[-*•][ \t]+)?
    (?P<speaker>[^\W\d_][^:：()（）\[\]"“.!?\n]{{0,39}}?)[ \t]*
    (?:[(（][ \t]*(?P<tone>[^()（）\n]+?)[ \t]*[)）][ \t]*)?
    [:：][ \t]*{_QUOTED}
    """,
    re.VERBOSE | re.MULTILINE,
)
"""``Speaker (tone): "line"`` at the start of a line; the line must be quoted."""

_NOT_SPEAKERS = re.compile(
    r"(?i)^(?:shot\s*\d+|camera(?:\s+\w+)?|scene|setting|characters?|subject|action|"
    r"audio(?:\s*(?:&|and)\s*style)?|style|sound|music|sfx|negative(?:\s+prompt)?)$"
)
"""Labels of the structured prompt and shot headers, which are followed by a colon too."""


def dialogue_spans(text: str) -> list[tuple[int, int, DialogueLine]]:
    """``(start, end, line)`` for each dialogue line of ``text`` (``\\n`` line endings), in order."""
    found: list[tuple[int, int, DialogueLine]] = []
    for pattern in (_BRACKETED, _NAMED):
        for m in pattern.finditer(text):
            speaker = m["speaker"].strip()
            if _NOT_SPEAKERS.match(speaker) or _overlaps(m.span(), found):
                continue
            words = _quoted(m) or m.groupdict().get("bare") or ""
            tone = (m["tone"] or "").strip() or None
            found.append(
                (m.start(), m.end(), DialogueLine(speaker=speaker, text=words.strip(), tone=tone))
            )
    return sorted(found, key=lambda f: f[0])


def extract_dialogue(text: str) -> tuple[list[DialogueLine], str]:
    """The dialogue lines of ``text`` in order, and ``text`` without them (whitespace tidied)."""
    text = normalize_newlines(text)
    found = dialogue_spans(text)
    rest, last = [], 0
    for start, end, _ in found:
        rest.append(text[last:start])
        last = end
    rest.append(text[last:])
    return [line for _, _, line in found], tidy(" ".join(rest))


def render_line(line: DialogueLine) -> str:
    """``[Speaker: tone]: "text"`` — the form :func:`extract_dialogue` reads back."""
    label = f"{line.speaker}: {line.tone}" if line.tone else line.speaker
    quoted = f"“{line.text}”" if '"' in line.text else f'"{line.text}"'
    return f"[{label}]: {quoted}"


def _quoted(m: re.Match[str]) -> str | None:
    for name in ("q1", "q2", "q3", "q4", "q5", "q6"):
        if m[name] is not None:
            return m[name]
    return None


def _overlaps(span: tuple[int, int], found: list[tuple[int, int, DialogueLine]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end, _ in found)
