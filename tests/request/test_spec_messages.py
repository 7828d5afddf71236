"""Numbers in messages: a value that breaks a limit never reads like the limit."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from reelforge.request.messages import megabytes, num, ratio

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite)
def test_value_and_limit_read_differently(value, limit):
    assume(abs(value - limit) > 1e-8)
    assert num(value, limit) != num(limit, value)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**4))
def test_megabytes_over_a_whole_limit_never_read_as_the_limit(extra, mb):
    limit = mb * 1024 * 1024
    assert megabytes(limit + extra) != megabytes(limit)


def test_examples():
    assert num(2613) == "2,613" and num(15.0) == "15" and num(3.14159) == "3.14"
    assert ratio(3.1) == "3.10:1" and ratio(0.4) == "1:2.50"
    assert ratio(2.5001, 2.5) == "2.5001:1" and ratio(1 / 2.5001, 0.4) == "1:2.5001"
