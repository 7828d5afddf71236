from __future__ import annotations

import pytest

from reelforge.prompting import (
    CameraMove,
    DialogueLine,
    camera_from_control,
    extract_camera,
    extract_dialogue,
    find_camera_move,
    render_line,
)
from reelforge.request.models import CameraControl

# --- dialogue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[Character A: calm]: "I knew you\'d come."',
            ("Character A", "I knew you'd come.", "calm"),
        ),
        ("[Mara]: “Stay.”", ("Mara", "Stay.", None)),
        ('Mara (whispering): "Don\'t move."', ("Mara", "Don't move.", "whispering")),
        ('Mara: "Stay."', ("Mara", "Stay.", None)),
        ("[さくら: 優しく]：「来てくれたのね」", ("さくら", "来てくれたのね", "優しく")),
        ("Zoë (sotto voce): «Ça va ?»", ("Zoë", "Ça va ?", "sotto voce")),
        ('[🤖 Unit-7: flat]: "Beep. 🔋 low."', ("🤖 Unit-7", "Beep. 🔋 low.", "flat")),
        ("[Narrator]: The night was long", ("Narrator", "The night was long", None)),
        (
            '[Character A: Lead detective, controlled voice]: "Stop."',
            ("Character A", "Stop.", "Lead detective, controlled voice"),
        ),
    ],
)
def test_dialogue_forms(text: str, line: tuple[str, str, str | None]) -> None:
    lines, rest = extract_dialogue(text)
    assert lines == [DialogueLine(speaker=line[0], text=line[1], tone=line[2])]
    assert rest == ""


def test_dialogue_in_order_and_removed_from_text() -> None:
    text = 'She turns.  [Mara: tense]: "Go."\nTom (quietly): "No."\n[Mara]: “Please.” He leaves.'
    lines, rest = extract_dialogue(text)
    assert [(x.speaker, x.text) for x in lines] == [
        ("Mara", "Go."),
        ("Tom", "No."),
        ("Mara", "Please."),
    ]
    assert rest == "She turns.\nHe leaves."


@pytest.mark.parametrize(
    "text",
    [
        'Shot 1 (3s): "Quoted title card" appears.',
        'Camera: "static"',
        "Scene: a quiet harbour at dawn.",
        "See [the docs](http://example.com) for more.",
        'Audio & Style: "lo-fi" beat.',
    ],
)
def test_not_dialogue(text: str) -> None:
    lines, rest = extract_dialogue(text)
    assert lines == []
    assert rest == text


def test_render_line_reads_back() -> None:
    for line in [
        DialogueLine(speaker="Mara", text="Stay.", tone="calm"),
        DialogueLine(speaker="Élodie", text='She said "go"', tone=None),
    ]:
        assert extract_dialogue(render_line(line)) == ([line], "")


# --- camera ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "move", "rest"),
    [
        ("Rain falls. Camera: static.", CameraMove.STATIC, "Rain falls."),
        ("She walks. Camera: slow push in.", CameraMove.PUSH_IN, "She walks."),
        ("Camera: dolly out. A car leaves.", CameraMove.PULL_OUT, "A car leaves."),
        ("Eyes blink. Camera static.", CameraMove.STATIC, "Eyes blink."),
        ("Camera slowly pans left. The bay.", CameraMove.PAN_LEFT, "The bay."),
        ("Camera movement: tilt up to the sky", CameraMove.TILT_UP, ""),
        ("Camera: orbit around her.", CameraMove.ORBIT_RIGHT, ""),
        ("Camera: orbit counter-clockwise", CameraMove.ORBIT_LEFT, ""),
        ("Camera: handheld, shaky.", CameraMove.HANDHELD, ""),
        ("Camera: dramatic angle. A man waits.", CameraMove.STATIC, "A man waits."),
        ("Camera: zoom in\nShe smiles.", CameraMove.PUSH_IN, "She smiles."),
        # A Camera sentence wins over phrases elsewhere in the text.
        ("The dog pans left. Camera: tilt down.", CameraMove.TILT_DOWN, "The dog pans left."),
    ],
)
def test_camera_sentence(text: str, move: CameraMove, rest: str) -> None:
    assert extract_camera(text) == (move, rest)


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("dolly out from the car", CameraMove.PULL_OUT),
        ("zoom in on her eyes", CameraMove.PUSH_IN),
        ("the camera pans right across the bay", CameraMove.PAN_RIGHT),
        ("tilt up to the sky", CameraMove.TILT_UP),
        ("handheld, running through the crowd", CameraMove.HANDHELD),
        ("tracking shot of a cyclist", CameraMove.PAN_RIGHT),
        ("a slow crane down onto the square", CameraMove.TILT_DOWN),
        ("the camera orbits around the dancer", CameraMove.ORBIT_RIGHT),
        ("a quiet room with old architecture", CameraMove.STATIC),
        ("the fog moves in over the bay", CameraMove.STATIC),
    ],
)
def test_camera_phrases_leave_text_alone(text: str, move: CameraMove) -> None:
    assert extract_camera(text) == (move, text)


def test_find_camera_move_none() -> None:
    assert find_camera_move("A cat sleeps.") is None


@pytest.mark.parametrize(
    ("control", "move"),
    [
        ({"type": "down_back"}, CameraMove.PULL_OUT),
        ({"type": "forward_up"}, CameraMove.PUSH_IN),
        ({"type": "right_turn_forward"}, CameraMove.ORBIT_RIGHT),
        ({"type": "left_turn_forward"}, CameraMove.ORBIT_LEFT),
        ({"type": "simple"}, CameraMove.STATIC),
        ({"type": "simple", "zoom": -5}, CameraMove.PUSH_IN),
        ({"type": "simple", "zoom": 5}, CameraMove.PULL_OUT),
        ({"type": "simple", "horizontal": -3}, CameraMove.PAN_LEFT),
        ({"type": "simple", "horizontal": 3}, CameraMove.PAN_RIGHT),
        ({"type": "simple", "vertical": 2}, CameraMove.TILT_UP),
        ({"type": "simple", "pan": -2}, CameraMove.TILT_DOWN),
        ({"type": "simple", "tilt": 4}, CameraMove.PAN_RIGHT),
        ({"type": "simple", "roll": -1}, CameraMove.ORBIT_LEFT),
        ({"type": "simple", "roll": 1, "zoom": -6}, CameraMove.PUSH_IN),
    ],
)
def test_camera_from_control(control: dict, move: CameraMove) -> None:
    assert camera_from_control(CameraControl(**control)) == move
