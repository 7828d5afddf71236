from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.errors import InputError
from reelforge.prompting import is_shot_script, parse_shot_script
from reelforge.request import limits

from .helpers import assert_names


@pytest.mark.parametrize(
    "text",
    [
        "Shot 1 (3s): a street",
        "Shot 2 (4 s): a street",
        "Shot 3: a street",
        "shot 1 (3s): lower case",
        "Shot 1 - 3s: dash duration",
        "SHOT 1 (3 sec)\nthe body on the next line",
        "Shot 1 (2.5s) no colon",
        "**Shot 1 (3s):** bold",
        "- **Shot 1 (3s)**: bullet and bold",
        "## Shot 1 (3s)\nheading",
        "Shot 1 (3s)：full-width colon",
        "Shot 1（3秒）：東京",
        "Intro line.\n  Shot 1 (3 seconds): indented",
    ],
)
def test_headers_recognised(text: str) -> None:
    assert is_shot_script(text)


@pytest.mark.parametrize(
    "text",
    ["A woman walks. Camera: static.", "Shot 1 was the best of the day", "Screenshot 1: x", ""],
)
def test_not_a_script(text: str) -> None:
    assert not is_shot_script(text)


def test_variants_parse_to_the_same_durations() -> None:
    text = "Shot 1 - 3s: a\nSHOT 2 (2.5 sec) b\n**Shot 3 (1,5s):** c\nShot 4：(2s) d"
    _, shots = parse_shot_script(text)
    assert [(s.index, s.prompt, s.duration) for s in shots] == [
        (1, "a", 3.0),
        (2, "b", 2.5),
        (3, "c", 1.5),
        (4, "d", 2.0),
    ]


def test_preamble_multiline_and_windows_line_endings() -> None:
    text = (
        "Style: noir, 35mm.\r\n\r\n"
        "Shot 1 (3s): Rain on a window.\r\nA figure passes behind it.\r\n"
        "Shot 2 (2s): She opens the door.\r\n"
    )
    preamble, shots = parse_shot_script(text, total=5)
    assert preamble == "Style: noir, 35mm."
    assert shots[0].prompt == "Rain on a window.\nA figure passes behind it."
    assert shots[1].prompt == "She opens the door."
    assert all("\r" not in s.prompt for s in shots)


def test_unicode_survives() -> None:
    text = (
        "Shot 1 (2s): 雨の東京、ネオンが光る 🌧️\n"
        "Shot 2 (3s): Zoë et Élodie s'embrassent. [Élodie: émue]: « Enfin ! »"
    )
    _, shots = parse_shot_script(text, total=5)
    assert shots[0].prompt == "雨の東京、ネオンが光る 🌧️"
    assert shots[1].prompt == "Zoë et Élodie s'embrassent. [Élodie: émue]: « Enfin ! »"


def test_missing_durations_split_the_rest_of_the_total() -> None:
    _, shots = parse_shot_script("Shot 1 (3s): a\nShot 2: b\nShot 3: c\nShot 4: d", total=13)
    assert [s.duration for s in shots] == [3.0, 3.5, 3.5, 3.0]


def test_missing_durations_without_total_are_rejected() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (3s): a\nShot 2: b\nShot 3: c")
    err = e.value
    assert err.field == "shots[1].duration"
    assert "Shot 2, Shot 3 have no duration" in str(err)
    assert "total" in str(err)


def test_missing_durations_leave_too_little() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (4s): a\nShot 2: b\nShot 3: c", total=5)
    assert_names(e.value, "shots[1].duration", 0.5, limits.SHOT_MIN_S)
    assert "1 s of the 5 s total" in str(e.value)


def test_sum_must_match_total() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (3s): a\nShot 2 (4s): b", total=10)
    assert_names(e.value, "prompt", 7.0, 10)
    assert "sum to 7 s" in str(e.value) and "lasts 10 s" in str(e.value)


def test_decimals_sum_within_tolerance() -> None:
    _, shots = parse_shot_script("Shot 1 (2.2s): a\nShot 2 (3.3s): b\nShot 3 (4.5s): c", total=10)
    assert sum(s.duration for s in shots) == pytest.approx(10)


def test_seven_shots_rejected() -> None:
    text = "\n".join(f"Shot {i} (1s): beat {i}" for i in range(1, 8))
    with pytest.raises(InputError) as e:
        parse_shot_script(text, total=7)
    assert_names(e.value, "prompt", 7, limits.SHOTS_MAX)


def test_gap_in_numbering() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (2s): a\nShot 3 (2s): b", total=4)
    assert_names(e.value, "prompt", 3, 2)
    assert "Shot 2 is missing" in str(e.value)


def test_numbering_must_start_at_one() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 2 (2s): a\nShot 3 (2s): b")
    assert_names(e.value, "prompt", 2, 1)
    assert "Shot 1 is missing (found Shot 2 first)" in str(e.value)


def test_duplicate_number() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (2s): a\nShot 2 (2s): b\nShot 2 (2s): c", total=6)
    assert_names(e.value, "prompt", 2, 3)
    assert "Shot 2 appears twice" in str(e.value)


@pytest.mark.parametrize("seconds", [0.0, 0.5])
def test_shot_below_minimum(seconds: float) -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script(f"Shot 1 (3s): a\nShot 2 ({seconds}s): b")
    assert_names(e.value, "shots[1].duration", seconds, limits.SHOT_MIN_S)


def test_shot_text_over_limit() -> None:
    body = "ä" * (limits.SHOT_PROMPT_MAX_CHARS + 1)
    with pytest.raises(InputError) as e:
        parse_shot_script(f"Shot 1 (3s): ok\nShot 2 (3s): {body}")
    assert_names(e.value, "shots[1].prompt", 513, limits.SHOT_PROMPT_MAX_CHARS)


def test_shot_text_at_limit_is_fine() -> None:
    body = "a" * limits.SHOT_PROMPT_MAX_CHARS
    _, shots = parse_shot_script(f"Shot 1 (3s): {body}")
    assert len(shots[0].prompt) == limits.SHOT_PROMPT_MAX_CHARS


def test_empty_shot_rejected() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("Shot 1 (3s): a\nShot 2 (2s):\n")
    assert e.value.field == "shots[1].prompt"


def test_no_headers_rejected() -> None:
    with pytest.raises(InputError) as e:
        parse_shot_script("just a prompt")
    assert e.value.field == "prompt"


# --- properties ----------------------------------------------------------------------

_body = (
    st.text(
        alphabet=st.characters(
            categories=("L", "N", "Zs", "So"), exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85"
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(st.tuples(_body, st.integers(2, 20)), min_size=1, max_size=6))
def test_render_then_parse_round_trip(shots: list[tuple[str, int]]) -> None:
    """Rendering shots as a script and parsing it back gives the same shots."""
    text = "\n".join(f"Shot {i} ({h / 2}s): {body}" for i, (body, h) in enumerate(shots, 1))
    _, parsed = parse_shot_script(text, total=sum(h / 2 for _, h in shots))
    assert [(s.prompt, s.duration) for s in parsed] == [(body, h / 2) for body, h in shots]


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), st.floats(n, 15))))
def test_missing_durations_always_fill_the_total(case: tuple[int, float]) -> None:
    n, total = case
    text = "\n".join(f"Shot {i}: beat" for i in range(1, n + 1))
    _, shots = parse_shot_script(text, total=total)
    assert abs(sum(s.duration for s in shots) - total) <= limits.DURATION_TOLERANCE_S
    assert all(s.duration >= limits.SHOT_MIN_S - limits.DURATION_TOLERANCE_S for s in shots)


def test_full_headers_on_one_line_still_split_shots() -> None:
    text = "Rainy night. Shot 1 (5s): a fox runs. Camera: pan left. Shot 2 (5s): it jumps."
    preamble, shots = parse_shot_script(text, 10)
    assert preamble == "Rainy night."
    assert [(s.prompt, s.duration) for s in shots] == [
        ("a fox runs. Camera: pan left.", 5),
        ("it jumps.", 5),
    ]


def test_a_shot_mentioned_in_prose_is_not_a_header() -> None:
    assert not is_shot_script("The best take was shot 2 of the day, (3s) long.")
