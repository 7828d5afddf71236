"""Small text helpers shared by the prompt parsers (line endings, whitespace, sentences)."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_SENTENCE_END = re.compile(r"(?<=[。！？])\s*|(?<=[.!?…])\s+|\n+")
"""Western stops need a space after them (so ``3.5`` and ``e.g.x`` stay whole); CJK ones don't."""


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` become ``\\n``, so Windows and old Mac text parse like Unix text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy(text: str) -> str:
    """Collapse runs of spaces, strip every line and drop blank lines; line breaks stay."""
    lines = (_SPACES.sub(" ", line).strip() for line in normalize_newlines(text).split("\n"))
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """All whitespace, line breaks included, collapsed to single spaces."""
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` in order (split after ``.!?…`` + space, after ``。！？``, and at line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(normalize_newlines(text)) if s.strip()]


def fmt_seconds(value: float) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5, ``3.33`` for 10/3: how durations appear in messages."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
