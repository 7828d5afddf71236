from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.errors import InputError
from reelforge.prompting import analyze_shots, split_into_shots
from reelforge.request import limits
from reelforge.request.rules import check_shots

from .helpers import assert_names

PROMPT = (
    "A rain-slicked Tokyo street at night, neon reflections everywhere. "
    "A young woman in a red coat emerges from the subway. She looks around, searching. "
    "Camera: slow push in. "
    '[Mara: calm]: "I knew you would come." [Ken: tense]: "I had no choice." '
    '[Mara]: "You always have a choice." Style: cinematic, 35mm film grain.'
)


def test_establishing_then_action_then_shot_reverse_shot() -> None:
    shots, reasons = split_into_shots(PROMPT, 12)
    assert len(shots) == 6
    assert shots[0].prompt.startswith("Wide establishing shot. A rain-slicked Tokyo street")
    assert shots[1].prompt.startswith("Medium shot. A young woman")
    assert "Camera: slow push in." in shots[2].prompt
    assert [s.prompt.split(".")[0] for s in shots[3:]] == [
        "Close-up on Mara",
        "Close-up on Ken",
        "Close-up on Mara",
    ]
    assert all(s.prompt.endswith("Style: cinematic, 35mm film grain.") for s in shots)
    assert reasons[0] == "shot 1: establishing wide shot of the scene"
    assert "shots 4–6: shot–reverse-shot for the dialogue between Mara and Ken" in reasons
    check_shots(shots, 12)
    analyzed = analyze_shots(shots)
    assert [d.speaker for s in analyzed for d in s.dialogue] == ["Mara", "Ken", "Mara"]
    assert analyzed[3].dialogue[0].tone == "calm"


def test_durations_follow_length_in_half_seconds() -> None:
    shots, _ = split_into_shots(PROMPT, 15)
    assert sum(s.duration for s in shots) == 15
    assert all((s.duration * 2).is_integer() for s in shots)


def test_merges_to_fit_max_shots() -> None:
    shots, reasons = split_into_shots(PROMPT, 10, max_shots=3)
    assert len(shots) == 3
    assert shots[2].prompt.startswith("Two-shot of Mara and Ken.")
    assert any("merged into 3 shots" in r for r in reasons)


def test_short_total_limits_shot_count() -> None:
    shots, _ = split_into_shots(PROMPT, 2.5)
    assert [s.duration for s in shots] == [1.0, 1.5]


def test_last_shot_absorbs_odd_remainder() -> None:
    shots, _ = split_into_shots("A harbour. Boats rock. Gulls circle.", 7.3)
    assert sum(s.duration for s in shots) == pytest.approx(7.3)
    assert all((s.duration * 2).is_integer() for s in shots[:-1])


def test_japanese_prompt() -> None:
    shots, reasons = split_into_shots("東京の夜。雨が降る。[さくら: 優しく]：「来てくれたのね」", 6)
    assert shots[0].prompt == "Wide establishing shot. 東京の夜。"
    assert shots[-1].prompt == 'Close-up on さくら. [さくら: 優しく]: "来てくれたのね"'
    assert reasons[-2] == "shot 3: close-up on さくら for their line"


def test_empty_prompt_is_one_shot() -> None:
    shots, _ = split_into_shots("", 5)
    assert [(s.index, s.duration) for s in shots] == [(1, 5)]


def test_rejects_too_short_total_and_bad_max() -> None:
    with pytest.raises(InputError) as e:
        split_into_shots("A cat.", 0.5)
    assert_names(e.value, "duration", 0.5, limits.SHOT_MIN_S)
    with pytest.raises(InputError) as e:
        split_into_shots("A cat.", 5, max_shots=0)
    assert_names(e.value, "max_shots", 0, limits.SHOTS_MIN)


def test_long_beats_are_shortened_to_the_shot_limit() -> None:
    shots, reasons = split_into_shots(" ".join(["A very long description."] * 200), 2)
    assert all(len(s.prompt) <= limits.SHOT_PROMPT_MAX_CHARS for s in shots)
    assert any("shortened" in r for r in reasons)


_sentence = st.sampled_from(
    [
        "A quiet harbour at dawn.",
        "Boats rock on the swell.",
        "A fisherman hauls his net, slowly, hand over hand.",
        "Gulls wheel overhead.",
        '[Ana: warm]: "Good catch today."',
        '[Ben]: "The best in weeks."',
        "Camera: slow pan right.",
        "雨が降る。",
        "Style: golden light.",
    ]
)


@given(
    st.lists(_sentence, max_size=12).map(" ".join),
    st.floats(1, 30).map(lambda x: round(x, 2)),
    st.integers(1, 8),
)
def test_split_always_sums_and_respects_limits(prompt: str, total: float, max_shots: int) -> None:
    shots, reasons = split_into_shots(prompt, total, max_shots)
    assert 1 <= len(shots) <= min(max_shots, limits.SHOTS_MAX, int(total))
    assert abs(sum(s.duration for s in shots) - total) <= limits.DURATION_TOLERANCE_S
    assert all(s.duration >= limits.SHOT_MIN_S - limits.DURATION_TOLERANCE_S for s in shots)
    assert [s.index for s in shots] == list(range(1, len(shots) + 1))
    assert reasons
    assert split_into_shots(prompt, total, max_shots) == (shots, reasons)
