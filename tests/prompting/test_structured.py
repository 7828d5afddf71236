from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reelforge.prompting import StructuredPrompt

GUIDE = StructuredPrompt(
    scene="Rain-slicked Tokyo street at night, neon reflections",
    characters="A young woman in a red coat",
    action="She emerges from the subway exit and looks around",
    camera="slow push in",
    audio_style="Rain ambience and distant traffic; cinematic, 35mm film grain.",
)


def test_to_text_is_labelled_sentences_in_guide_order() -> None:
    assert GUIDE.to_text() == (
        "Scene: Rain-slicked Tokyo street at night, neon reflections.\n"
        "Characters: A young woman in a red coat.\n"
        "Action: She emerges from the subway exit and looks around.\n"
        "Camera: slow push in.\n"
        "Audio & Style: Rain ambience and distant traffic; cinematic, 35mm film grain."
    )


def test_empty_parts_are_skipped() -> None:
    assert StructuredPrompt(action="A cat jumps", camera="static").to_text() == (
        "Action: A cat jumps.\nCamera: static."
    )
    assert StructuredPrompt().to_text() == ""


def test_free_text_is_action() -> None:
    text = "A dog runs across a beach at sunset."
    assert StructuredPrompt.from_text(text) == StructuredPrompt(action=text)


def test_tolerant_reading() -> None:
    text = (
        "**Scene:** an old café in Montréal. A barista wipes the counter. "
        "Camera: static.\r\nAudio: clinking cups\nStyle: warm, 16mm"
    )
    assert StructuredPrompt.from_text(text) == StructuredPrompt(
        scene="an old café in Montréal. A barista wipes the counter.",
        camera="static.",
        audio_style="clinking cups warm, 16mm",
    )


def test_text_before_labels_goes_to_action() -> None:
    got = StructuredPrompt.from_text("She laughs 😂.\nCharacters: Zoë, 8 years old.")
    assert got == StructuredPrompt(action="She laughs 😂.", characters="Zoë, 8 years old.")


_value = (
    st.text(alphabet=st.sampled_from(list("abcdefgh xyzéüß東京雨🌧,;-'")), min_size=1, max_size=40)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
_part = st.one_of(st.just(""), _value.map(lambda s: s + "."))


@given(_part, _part, _part, _part, _part)
def test_round_trip(scene: str, characters: str, action: str, camera: str, audio: str) -> None:
    p = StructuredPrompt(
        scene=scene, characters=characters, action=action, camera=camera, audio_style=audio
    )
    assert StructuredPrompt.from_text(p.to_text()) == p


@given(_value, _value)
def test_to_text_is_stable_without_final_periods(scene: str, action: str) -> None:
    once = StructuredPrompt(scene=scene, action=action).to_text()
    assert StructuredPrompt.from_text(once).to_text() == once
