from __future__ import annotations

from reelforge.prompting import (
    CameraMove,
    DialogueLine,
    Shot,
    analyze_shot,
    analyze_shots,
    parse_shot_script,
)

SCRIPT = """Scene: a rain-slicked Tokyo street at night. Style: cinematic, 35mm.

**Shot 1 (3s):** Wide establishing shot of the street, neon reflections on the pavement.
Camera: static.
**Shot 2 (4s):** Medium shot - Mara, in a red coat, emerges from the subway exit and looks around.
[Mara: calm]: "I knew you'd come."
Camera: slow push in.
**Shot 3 (3s):** Close-up on Kenji, rain on his cheek.
Kenji (whispering): “I had no choice.”
Camera: handheld.
"""


def test_three_shot_script_into_shots() -> None:
    preamble, specs = parse_shot_script(SCRIPT, total=10)
    assert preamble == "Scene: a rain-slicked Tokyo street at night. Style: cinematic, 35mm."
    shots = analyze_shots(specs)
    assert [s.duration for s in shots] == [3.0, 4.0, 3.0]
    assert [s.camera for s in shots] == [
        CameraMove.STATIC,
        CameraMove.PUSH_IN,
        CameraMove.HANDHELD,
    ]
    assert shots[0].action == (
        "Wide establishing shot of the street, neon reflections on the pavement."
    )
    assert shots[0].dialogue == ()
    assert shots[1].action == (
        "Medium shot - Mara, in a red coat, emerges from the subway exit and looks around."
    )
    assert shots[1].dialogue == (
        DialogueLine(speaker="Mara", text="I knew you'd come.", tone="calm"),
    )
    assert shots[2].action == "Close-up on Kenji, rain on his cheek."
    assert shots[2].dialogue == (
        DialogueLine(speaker="Kenji", text="I had no choice.", tone="whispering"),
    )
    assert shots[1].text == specs[1].prompt


def test_spoken_camera_words_are_not_a_camera_move() -> None:
    shot = analyze_shot(1, '[Director: shouting]: "Pan left!" The crew scrambles.', 2.0)
    assert shot.camera == CameraMove.STATIC
    assert shot.action == "The crew scrambles."
    assert shot.dialogue[0].text == "Pan left!"


def test_unicode_action_and_speaker() -> None:
    shot = analyze_shot(
        2, "雨の中、さくらが振り向く 🌧️\n[さくら: 優しく]：「来てくれたのね」\nCamera: static.", 3
    )
    assert shot == Shot(
        index=2,
        duration=3,
        text=shot.text,
        action="雨の中、さくらが振り向く 🌧️",
        camera=CameraMove.STATIC,
        dialogue=(DialogueLine(speaker="さくら", text="来てくれたのね", tone="優しく"),),
    )
