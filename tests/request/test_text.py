"""The text sanitiser (``spec/text.py``) and its place in ``check_request``: every entry
point (the CLI, ``reelforge.render``, the API's worker) refuses a NUL, another control
character or a lone surrogate before any work starts, naming the field, the value
(escaped) and the limit."""

from __future__ import annotations

import subprocess
import sys

import pytest

import reelforge
from reelforge.errors import InputError
from reelforge.request import check_request_data
from reelforge.request.text import (
    SHOWN_MAX_CHARS,
    TEXT_WHITESPACE,
    check_string,
    check_text,
    shown,
    storable,
)


def refused(fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("value", "escaped", "what"),
    [
        ("a \x00 b", "a \\x00 b", "NUL (U+0000)"),
        ("a \x1b[31m b", "a \\x1b[31m b", "control character (U+001B)"),
        ("a \x7f b", "a \\x7f b", "DEL (U+007F)"),
        ("a \x85 b", "a \\x85 b", "control character (U+0085)"),
    ],
)
def test_control_characters_are_refused_naming_field_value_and_limit(value, escaped, what):
    err = refused(check_text, "prompt", value)
    assert err.field == "prompt"
    assert err.value == escaped  # escaped: the message never carries the character itself
    assert err.limit == "no control characters but tab, line feed, carriage return"
    assert what in err.message and "position 2" in err.message
    assert value[2] not in str(err)


def test_a_lone_surrogate_is_refused_as_invalid_unicode():
    for value in ("a \ud800 b", "\udfff", "x" * 10 + "\udc80"):
        err = refused(check_text, "prompt", value)
        assert err.limit == "valid Unicode text (UTF-8)"
        assert "lone surrogate" in err.message
        str(err).encode("utf-8")  # the message itself is valid text


def test_free_text_may_hold_tab_and_line_breaks_but_a_name_may_not():
    text = "A fox.\tIt runs.\r\nThe end.\n"
    check_text("prompt", text)
    check_string("image", "QUJD\nREVG\r\n", allow=TEXT_WHITESPACE)
    err = refused(check_string, "external_task_id", "order\n42")
    assert err.limit == "no control characters" and "line feed (U+000A)" in err.message


@pytest.mark.parametrize(
    "value",
    [
        "日本語のプロンプト",
        "\u202eright-to-left override",
        "שלום עולם",
        "🎬👨‍👩‍👧 family",
        "e\u0301 combining",
        "\ufeffbom",
        "../../etc/passwd",
        "'; DROP TABLE tasks; --",
    ],
)
def test_other_unicode_passes(value):
    check_string("prompt", value, 2500)
    assert storable(value)


def test_over_length_names_the_count_and_the_limit():
    err = refused(check_string, "external_task_id", "x" * 257, 256)
    assert (err.field, err.value, err.limit) == ("external_task_id", 257, 256)
    assert err.message == "257 characters is more than the 256-character limit"


def test_shown_escapes_and_cuts_around_the_problem():
    value = "a" * 500 + "\x00" + "b" * 500
    text = shown(value, 500)
    assert "\\x00" in text and "\x00" not in text
    assert text.startswith("…") and text.endswith("…")
    assert len(text) <= SHOWN_MAX_CHARS + len("\\x00") + 2
    assert shown("\u202eab\u200dc") == "\\u202eab\\u200dc"


def test_storable_refuses_nul_and_surrogates_only():
    assert not storable("abc\x00def")
    assert not storable("iss\ud800")
    assert storable("tab\tand\nnewline") and storable("é")


# --- every entry point: check_request ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"prompt": "a \ud800 b"}, "prompt"),
        ({"prompt": "a fox", "negative_prompt": "blur\x00"}, "negative_prompt"),
        (
            {
                "prompt": "",
                "shots": [
                    {"index": 1, "prompt": "a fox", "duration": 2},
                    {"index": 2, "prompt": "it \udcff runs", "duration": 3},
                ],
            },
            "shots[1].prompt",
        ),
        ({"prompt": "a fox", "tier": "turbo\n"}, "tier"),
    ],
)
def test_check_request_refuses_bad_text_in_any_field(data, field):
    err = refused(check_request_data, {"workflow": "text2video", **data})
    assert err.field == field


def test_check_request_names_an_omni_element_by_its_path(tmp_path):
    from PIL import Image

    image = tmp_path / "el.png"
    Image.new("RGB", (400, 400)).save(image)
    data = {
        "workflow": "omni",
        "prompt": "@Fox runs",
        "elements": [{"name": "Fox", "images": [str(image)], "description": "red \ud83d fur"}],
    }
    assert refused(check_request_data, data).field == "elements[0].description"
    data["elements"][0]["description"] = "red fur"
    data["elements"][0]["name"] = "Fo\x00x"
    assert refused(check_request_data, data).field == "elements[0].name"


def test_render_refuses_a_lone_surrogate_before_any_work(tmp_path):
    """``reelforge.render`` (the Python API) used to render the whole clip and fail
    writing its sidecar."""
    request = {"workflow": "text2video", "prompt": "a \ud800 b", "tier": "animatic", "duration": 3}
    err = refused(reelforge.render, request, output=tmp_path, previz=True)
    assert err.field == "prompt"
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_prompt_that_is_not_utf8_before_rendering(tmp_path):
    """Bytes that are not UTF-8 on the command line reach Python as lone surrogates."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reelforge",
            "video",
            b"a \xff b",
            "--tier",
            "animatic",
            "-o",
            str(tmp_path / "out.mp4"),
        ],
        capture_output=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert b"prompt" in result.stderr + result.stdout
    assert b"lone surrogate" in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []
