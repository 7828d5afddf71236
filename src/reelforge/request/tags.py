"""Prompt tags and mentions, found in one place: the omni checks (:mod:`.omni`) refuse those
that name no reference, and the engine that renders references
(:mod:`reelforge.engines.wan.vace`) replaces them.

- Tags: ``<<<image_N>>>``, ``<<<element_N>>>``, ``<<<video_1>>>`` (spaces inside the
  brackets allowed). Any other ``<<<...>>>`` is found too, as no reference tag.
- Mentions: an ``@`` not right after a word character or another ``@``, followed by an
  element's name (case-insensitive, the longest that fits, not followed by a word character
  or ``-``), else by ``ElementN``; the word after an ``@`` that is neither is kept for the
  checks' message, and a lone ``@`` (``meet @ noon``) is no mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TAG = re.compile(r"<<<(.*?)>>>")
_NUMBERED = re.compile(r"(image|element|video)_(\d+)")
_MENTION = re.compile(r"(?<![\w@])@")
_WORD = re.compile(r"[\w-]*")
_ELEMENT_N = re.compile(r"element(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Tag:
    """One ``<<<...>>>`` of a prompt."""

    start: int
    end: int
    text: str
    """As written, brackets included."""
    kind: str | None
    """``image``, ``element`` or ``video``; None when it is no reference tag."""
    number: int | None

    @property
    def reference(self) -> str | None:
        """``image_N`` / ``element_N`` / ``video_N`` (a :class:`~reelforge.planning.plan.Reference`'s
        tag), or None."""
        return None if self.kind is None else f"{self.kind}_{self.number}"


@dataclass(frozen=True)
class Mention:
    """One ``@`` of a prompt followed by a word or a name."""

    start: int
    end: int
    """After the name or ``ElementN`` it matched; after the ``@`` when it matched neither."""
    word: str
    """The word after the ``@`` (letters, digits, ``_``, ``-``)."""
    name: int | None
    """Index of the name it matched in the names given to :func:`mentions`."""
    element: int | None
    """N of ``@ElementN`` (when no name matched)."""


def tags(text: str) -> list[Tag]:
    """Every ``<<<...>>>`` of ``text``, in order."""
    found = []
    for match in _TAG.finditer(text):
        numbered = _NUMBERED.fullmatch(match.group(1).strip())
        kind: str | None = numbered.group(1) if numbered else None
        number = int(numbered.group(2)) if numbered else None
        found.append(Tag(match.start(), match.end(), match.group(0), kind, number))
    return found


def mentions(text: str, names: Sequence[str]) -> list[Mention]:
    """Every ``@`` mention of ``text``, in order, with ``names`` the elements' names (an empty
    one names nothing)."""
    by_length = sorted(
        ((name.strip(), i) for i, name in enumerate(names) if name.strip()),
        key=lambda item: -len(item[0]),
    )
    found = []
    for match in _MENTION.finditer(text):
        at = match.end()
        rest = text[at:]
        word = _word_at(text, at)
        for name, i in by_length:
            if rest.lower().startswith(name.lower()) and not _word_at(rest, len(name)):
                found.append(Mention(match.start(), at + len(name), word, i, None))
                break
        else:
            if not word:
                continue
            numbered = _ELEMENT_N.fullmatch(word)
            element = int(numbered.group(1)) if numbered else None
            end = at + len(word) if numbered else at
            found.append(Mention(match.start(), end, word, None, element))
    return found


def _word_at(text: str, at: int) -> str:
    """The word starting at ``at`` (empty when none does: ``_WORD`` matches the empty string)."""
    found = _WORD.match(text, at)
    return found.group(0) if found else ""
