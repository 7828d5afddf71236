"""The text sanitiser: every string a user hands us, checked once at the boundary.

A string from a request body, a path, a query or a token goes on into PostgreSQL (which
cannot hold a NUL character), into UTF-8 files (the render's JSON sidecar, which cannot
hold a lone surrogate such as ``"\\ud800"``, legal in JSON but not in Unicode text), into
logs and into error messages. So before any work starts each one is checked here:

- **Lone surrogates** (U+D800–U+DFFF on their own): never; they cannot be written as UTF-8.
- **Control characters** (Unicode category ``Cc``: C0 ``U+0000``–``U+001F`` with NUL, DEL
  ``U+007F`` and C1 ``U+0080``–``U+009F``): never, except tab, line feed and carriage
  return (``TEXT_WHITESPACE``) where a field is free text (prompts, descriptions: a
  prompt pasted from an editor holds line breaks) or base64 (which may be wrapped into
  lines). Identifiers, names, choices and URLs hold none.
- **Length**: at most the field's limit, counted in characters.

Other characters (any script, right-to-left text, emoji, format characters such as
U+200D in emoji sequences) are valid text and pass. A rejection is an
:class:`~reelforge.errors.InputError` naming the field, the value as :func:`shown` spells
it (escaped, so a message never carries the bad character itself) and the limit.

:func:`storable` is the stores' guard: a key that is not storable is looked up as "not
found" without being sent to the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from ..errors import InputError
from .messages import chars, listing

TEXT_WHITESPACE = "\t\n\r"
"""The control characters free text (prompts, descriptions) and base64 may hold."""
FREE_TEXT_FIELDS = frozenset({"prompt", "negative_prompt", "description"})
"""The free-text fields, by name, in our requests and in Kling's bodies alike."""
SHOWN_MAX_CHARS = 60
"""How much of a rejected value a message quotes (the part around the problem)."""

_NAMES = {"\x00": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return", "\x7f": "DEL"}


def check_string(field: str, value: str, max_chars: int | None = None, *, allow: str = "") -> None:
    """``value`` is text that can be stored and written: no lone surrogate, no control
    character but those in ``allow``, and at most ``max_chars`` characters (``None``: no
    limit here)."""
    found = _first_problem(value, allow)
    if found is not None:
        index, char = found
        code = f"U+{ord(char):04X}"
        if _is_surrogate(char):
            raise InputError(
                field,
                shown(value, index),
                "valid Unicode text (UTF-8)",
                f"{_quoted(value, index)} holds a lone surrogate ({code}) at position "
                f"{index}, which is not valid Unicode text",
            )
        name = _NAMES.get(char, "a control character")
        allowed = (
            f"of the control characters only {listing([_name(c) for c in allow], 'and')}"
            if allow
            else "no control character"
        )
        raise InputError(
            field,
            shown(value, index),
            _controls_limit(allow),
            f"{_quoted(value, index)} holds {name} ({code}) at position {index}; "
            f"{allowed} may appear here",
        )
    if max_chars is not None and len(value) > max_chars:
        raise InputError(
            field,
            len(value),
            max_chars,
            f"{chars(len(value))} is more than the {max_chars:,}-character limit",
        )


def check_text(field: str, value: str, max_chars: int | None = None) -> None:
    """Free text (a prompt, a description): :func:`check_string` with tab, line feed and
    carriage return allowed."""
    check_string(field, value, max_chars, allow=TEXT_WHITESPACE)


def storable(value: str) -> bool:
    """Whether ``value`` can be sent to the database as it is: no NUL (PostgreSQL's text
    cannot hold one) and no lone surrogate (it cannot be encoded)."""
    return _unstorable.search(value) is None


def shown(value: str, at: int = 0) -> str:
    """``value`` safe to print: every character that is not printable (controls, lone
    surrogates, format and separator characters such as U+202E) spelled as its Python
    escape, and cut to about ``SHOWN_MAX_CHARS`` characters around position ``at``."""
    start = max(0, min(at - SHOWN_MAX_CHARS // 3, len(value) - SHOWN_MAX_CHARS))
    part = value[start : start + SHOWN_MAX_CHARS]
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in part)
    return ("…" if start else "") + text + ("…" if start + SHOWN_MAX_CHARS < len(value) else "")


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """Every string inside ``value`` (a pydantic model, a mapping, a list or tuple, a
    path) as ``(field path, field name, string)``, with the path spelt as a client
    writes it: ``multi_prompt[1].prompt``, ``element_list[0].name``. Keys of free-form
    mappings are strings too (checked under their own path); a key is spelt with
    :func:`shown`, so a path never carries a bad character."""
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(value, str):
        yield path, name, value
    elif isinstance(value, PurePath):
        yield path, name, str(value)
    elif isinstance(value, BaseModel):
        for key in type(value).model_fields:
            yield from strings(getattr(value, key), _join(path, key))
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = _join(path, shown(str(key)))
            if isinstance(key, str):
                yield sub, name, key
            yield from strings(item, sub)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_SURROGATES = "\ud800-\udfff"
_CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
"""Unicode category ``Cc``: C0, DEL and C1."""
_unstorable = re.compile(f"[\x00{_SURROGATES}]")


@cache
def _refused(allow: str) -> re.Pattern[str]:
    """One character class of what is refused when the controls in ``allow`` are not: a
    regex, so a 100 MB base64 value is scanned at C speed."""
    controls = "".join(re.escape(c) for c in _CONTROLS if c not in allow)
    return re.compile(f"[{controls}{_SURROGATES}]")


def _first_problem(value: str, allow: str) -> tuple[int, str] | None:
    found = _refused(allow).search(value)
    return None if found is None else (found.start(), found.group())


def _is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def _controls_limit(allow: str) -> str:
    if not allow:
        return "no control characters"
    return "no control characters but " + ", ".join(_name(c) for c in allow)


def _name(char: str) -> str:
    return _NAMES.get(char, f"U+{ord(char):04X}")


def _quoted(value: str, at: int) -> str:
    return f'"{shown(value, at)}"'
