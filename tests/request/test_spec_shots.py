"""Custom multi-shot lists: count, numbering, per-shot limits, and the sum."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.request import check_request_data, limits


def shots(*durations: float, prompt: str = "a fox runs") -> list[dict]:
    return [{"index": i + 1, "prompt": prompt, "duration": d} for i, d in enumerate(durations)]


def t2v(**fields):
    return check_request_data({"workflow": "text2video", "prompt": "a red fox", **fields})


def rejected(**fields) -> InputError:
    with pytest.raises(InputError) as info:
        t2v(**fields)
    return info.value


def test_shots_set_the_duration_and_multi_shot():
    checked = t2v(shots=shots(3, 4, 5))
    assert checked.duration == 12 and checked.request.duration == 12
    assert checked.request.multi_shot is True


def test_shot_sum_within_tolerance_is_accepted():
    assert t2v(duration=10, shots=shots(3.3, 3.3, 3.4)).duration == 10


def test_shot_sum_differs_from_duration():
    err = rejected(duration=10, shots=shots(3, 3, 3))
    assert err.field == "shots" and err.value == 9 and err.limit == 10
    assert str(err) == "shots: the shot durations add up to 9 s, not the request's duration of 10 s"


def test_shot_sum_off_by_more_than_tolerance():
    off = 10 + 1000 * limits.DURATION_TOLERANCE_S
    err = rejected(duration=10, shots=shots(5, off - 5))
    assert "10.001 s" in str(err) and "10 s" in str(err)


def test_too_many_shots():
    err = rejected(shots=shots(*[1] * 7, 1.5))
    assert err.field == "shots" and err.value == 8 and err.limit == limits.SHOTS_MAX
    assert str(err) == "shots: 8 shots is more than the 6-shot maximum"


def test_six_shots_are_accepted():
    assert len(t2v(shots=shots(*[2] * 6), duration=12).request.shots) == limits.SHOTS_MAX


def test_customize_without_shots():
    err = rejected(multi_shot=True, shot_type="customize")
    assert err.field == "shots" and err.value == 0 and err.limit == limits.SHOTS_MIN
    assert "at least 1 shot" in str(err)


def test_intelligence_without_shots_is_fine():
    assert t2v(multi_shot=True, shot_type="intelligence").request.multi_shot


def test_intelligence_with_a_shot_list_is_ambiguous():
    err = rejected(multi_shot=True, shot_type="intelligence", shots=shots(3, 2))
    assert err.field == "shots" and "'customize'" in str(err)


def test_shots_out_of_order():
    items = shots(3, 2)
    items[1]["index"] = 3
    err = rejected(shots=items)
    assert err.field == "shots[1].index" and err.value == 3 and err.limit == 2
    assert "shot 2 has index 3" in str(err)


def test_shot_too_short():
    err = rejected(shots=shots(3, 0.5))
    assert err.field == "shots[1].duration" and err.limit == limits.SHOT_MIN_S
    assert str(err) == "shots[1].duration: 0.5 s is less than the 1 s minimum"


def test_shot_at_minimum_is_accepted():
    assert t2v(shots=shots(2, limits.SHOT_MIN_S)).duration == 3


def test_shot_prompt_over_limit():
    err = rejected(shots=shots(3, 2, prompt="z" * 600))
    assert err.field == "shots[0].prompt" and err.value == 600
    assert err.limit == limits.SHOT_PROMPT_MAX_CHARS
    assert "600 characters is more than the 512-character limit" in str(err)


def test_shot_prompt_at_limit_is_accepted():
    assert t2v(shots=shots(3, 2, prompt="z" * limits.SHOT_PROMPT_MAX_CHARS))


def test_empty_shot_prompt():
    assert rejected(shots=shots(3, 2, prompt=" ")).field == "shots[0].prompt"


def test_shots_summing_past_the_maximum_name_shots():
    err = rejected(shots=shots(8, 8))
    assert err.field == "shots" and err.limit == limits.DURATION_MAX_S
    assert "16 s is more than the 15 s maximum" in str(err)


def test_shots_alone_make_a_prompt_unnecessary():
    assert t2v(prompt="", shots=shots(3, 2)).duration == 5
