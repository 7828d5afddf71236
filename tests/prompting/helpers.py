"""Shared assertion for rejections: the error names the field, the value and the limit."""

from __future__ import annotations

from typing import Any

from reelforge.errors import InputError


def _shown(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return str(x)


def assert_names(err: InputError, field: str, value: Any, limit: Any) -> None:
    assert err.field == field
    assert err.value == value
    assert err.limit == limit
    text = str(err)
    assert text.startswith(f"{field}: ")
    if value is not None:
        assert _shown(value) in text, text
    assert _shown(limit) in text, text
