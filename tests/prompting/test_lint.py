from __future__ import annotations

import pytest

from reelforge.prompting import LintWarning, lint
from reelforge.request.models import ShotSpec


def codes(warnings: list[LintWarning]) -> list[str]:
    return [w.code for w in warnings]


def test_clean_prompts() -> None:
    assert lint("A fox trots through fresh snow. Camera: tracking shot.") == []
    assert (
        lint(
            "Subtle breeze moves through hair. Eyes blink naturally. Camera static.", "image2video"
        )
        == []
    )


def test_too_long_names_length_and_limit() -> None:
    (w,) = [w for w in lint("A cat runs. " * 220) if w.code == "too_long"]
    assert "2640" in w.message and "2500" in w.message


def test_long_shot_prompt() -> None:
    shots = [ShotSpec(index=1, prompt="a" * 600, duration=5)]
    assert "too_long" in codes(lint("A cat runs.", shots=shots, total=5))


@pytest.mark.parametrize(
    "prompt",
    [
        "a woman with red hair standing in a forest",
        "A young man in a blue suit walks down a busy city street at night",
        "Portrait of an elderly sailor, white beard, yellow coat, stormy ocean background",
    ],
)
def test_i2v_describing_the_scene(prompt: str) -> None:
    (w,) = lint(prompt, "image2video")
    assert w.code == "i2v_describes_scene"
    assert "describe only what moves" in w.message


def test_i2v_motion_prompt_with_some_appearance_words_is_fine() -> None:
    assert lint("Her red hair sways as she turns to the camera.", "image2video") == []


def test_scene_description_is_fine_for_t2v() -> None:
    assert "i2v_describes_scene" not in codes(lint("a woman with red hair walks in a forest"))


def test_shot_sum() -> None:
    shots = [ShotSpec(index=1, prompt="a", duration=3), ShotSpec(index=2, prompt="b", duration=4)]
    (w,) = [w for w in lint("A cat runs.", shots=shots, total=10) if w.code == "shot_sum"]
    assert "7 s" in w.message and "10 s" in w.message
    assert "shot_sum" not in codes(lint("A cat runs.", shots=shots, total=7))
    assert "shot_sum" not in codes(lint("A cat runs.", shots=shots))


def test_no_motion_only_for_t2v() -> None:
    assert codes(lint("A beautiful sunset over the ocean")) == ["no_motion"]
    assert lint("A beautiful sunset over the ocean. Camera: static.") == []
    assert "no_motion" not in codes(lint("A beautiful sunset over the ocean", "omni"))
    assert lint("") == []


def test_negative_wording() -> None:
    (w,) = lint("A cat running on a beach, no text, without blur.")
    assert w.code == "negative_in_prompt"
    assert "'no text'" in w.message and "'without blur'" in w.message
    assert "negative_prompt" in w.message


@pytest.mark.parametrize(
    "prompt",
    [
        'She shakes her head. [Mara]: "No way, not without you."',
        "No one moves as the door swings open.",
        "Without hesitation, she jumps.",
    ],
)
def test_not_negative_wording(prompt: str) -> None:
    assert "negative_in_prompt" not in codes(lint(prompt))


def test_lint_never_raises_on_odd_input() -> None:
    for prompt in ["", "\r\n", "🎬" * 3000, "Shot 1 (0s):", '[: ]: ""']:
        lint(prompt, "image2video", shots=[ShotSpec(index=9, prompt="", duration=0)], total=0)
