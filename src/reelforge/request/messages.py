"""How numbers read in rejection messages.

A message quotes the value and the limit side by side, so a value that breaks a limit
by a hair must not print the same as the limit (``15.000001 s``, never ``15 s is more
than the 15 s maximum``).
"""

from __future__ import annotations

import math

_MB = 1024 * 1024


def num(value: float, other: float | None = None) -> str:
    """``value`` with thousands separators and at most two decimals, more when needed
    to tell it apart from ``other`` (the number it is compared with; pass each as the
    other's ``other`` and the two never read the same unless they are equal)."""
    if isinstance(value, int) or not math.isfinite(value):
        return f"{value:,}" if isinstance(value, int) else str(value)
    text = ""
    for digits in range(2, 10):
        text = _fixed(value, digits)
        if other is None or value == other or text != _fixed(other, digits):
            break
    return text


def _fixed(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def seconds(value: float, other: float | None = None) -> str:
    """``12.5 s``."""
    return f"{num(value, other)} s"


def megabytes(size: int) -> str:
    """``10.01 MB``: rounded up, so a file one byte over 10 MB never reads ``10 MB``."""
    return f"{num(math.ceil(size / _MB * 100) / 100)} MB"


def chars(count: int) -> str:
    """``2,613 characters``."""
    return f"{count:,} characters"


def ratio(width_over_height: float, bound: float | None = None) -> str:
    """An aspect ratio as ``3.10:1`` (landscape) or ``1:2.60`` (portrait)."""
    if width_over_height >= 1:
        return f"{_ratio_part(width_over_height, bound)}:1"
    other = 1 / bound if bound else None
    return f"1:{_ratio_part(1 / width_over_height, other)}"


def _ratio_part(value: float, bound: float | None) -> str:
    text = f"{value:.2f}"
    digits = 2
    while bound is not None and float(text) == bound and value != bound and digits < 9:
        digits += 1
        text = f"{value:.{digits}f}"
    return text


def listing(items: list[str] | tuple[str, ...], conjunction: str = "or") -> str:
    """``JPEG, PNG or WEBP``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def count(n: int, noun: str) -> str:
    """``1 image``, ``2 images``, ``no video``."""
    if n == 0:
        return f"no {noun}"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
