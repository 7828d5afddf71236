"""Typed errors shared by every layer.

Every rejection of user input is an :class:`InputError` that names the field, the
value and the limit, so the CLI, the API and the studio can all show the same
message (``image: 200×180 px is below the 300×300 minimum``).
"""

from __future__ import annotations

from typing import Any


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


class Cancelled(ReelforgeError):
    """The render was cancelled by its caller."""


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
