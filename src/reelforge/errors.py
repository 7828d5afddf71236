"""Typed errors shared by every layer.

Every rejection of user input is an :class:`InputError` that names the field, the
value and the limit, so the CLI, the API and the studio can all show the same
message (``image: 200×180 px is below the 300×300 minimum``).
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any

_FALLBACK_ROOTS = ("home", "tmp", "var", "usr", "opt", "root", "srv", "mnt", "Users", "private")
"""Top-level folders assumed when the file system's root cannot be listed."""
_PATH_CHARS = r"""[^\s/\\'"`<>|,;:()\[\]{}]+"""
"""One path component as it appears in a library's message (ends at a quote, space...)."""
_WINDOWS_PATH = re.compile(rf"(?<![\w.])[A-Za-z]:[\\/](?:{_PATH_CHARS}[\\/])*({_PATH_CHARS})")


class ReelforgeError(Exception):
    """Base class of every error reelforge raises on purpose."""


class InputError(ReelforgeError, ValueError):
    """A request or an input file breaks a limit.

    ``field`` is the request field (``image``, ``duration``, ``shots[2].duration``),
    ``value`` what was given, ``limit`` the rule it broke, and ``message`` the sentence
    a user reads after ``field: ``.
    """

    def __init__(self, field: str, value: Any, limit: Any, message: str) -> None:
        self.field = field
        self.value = value
        self.limit = limit
        self.message = message
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": _jsonable(self.value),
            "limit": _jsonable(self.limit),
            "message": str(self),
        }


class MediaError(ReelforgeError):
    """A media file could not be read or written (corrupt, unsupported codec)."""


class EngineUnavailable(ReelforgeError):
    """The engine a tier needs cannot run here (weights missing, package missing)."""


class NonFiniteOutput(ReelforgeError):
    """An engine's output holds NaN or infinite values (a diverged schedule, an overflow):
    refused, so it never becomes black frames or noise in a video that "succeeded"."""


class Cancelled(ReelforgeError):
    """The render was cancelled by its caller."""


def scrub_paths(text: str) -> str:
    """``text`` with every absolute file path replaced by its last component.

    The safety net where messages leave the server (API errors, task failures): the
    causes are fixed where library errors become messages, but a message from deeper
    down (an engine, the OS) may still carry ``/home/.../artifacts/...``, which tells a
    client how the server is laid out. Only paths under a folder that exists at this
    machine's root are scrubbed, so URL paths (``/avatar/image2video``, ``/v1/...``)
    stay as they are; ``C:\\...`` paths are scrubbed too.
    """
    return _WINDOWS_PATH.sub(r"\1", _posix_path_pattern().sub(r"\1", text))


@cache
def _posix_path_pattern() -> re.Pattern[str]:
    try:
        roots = tuple(sorted(set(os.listdir(os.sep)) | set(_FALLBACK_ROOTS)))
    except OSError:
        roots = _FALLBACK_ROOTS
    names = "|".join(re.escape(r) for r in roots)
    return re.compile(rf"(?<![\w.:/%~-])/(?:{names})(?:/{_PATH_CHARS})*/({_PATH_CHARS})")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
