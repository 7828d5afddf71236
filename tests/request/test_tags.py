"""Prompt tags and mentions, as the omni checks and the VACE engine both read them."""

from __future__ import annotations

from reelforge.request.tags import Mention, mentions, tags


def test_tags_in_order_with_what_they_name():
    found = tags("<<<image_1>>> and <<< element_02 >>> in <<<video_1>>>, not <<<shot_1>>>")
    assert [(t.text, t.reference) for t in found] == [
        ("<<<image_1>>>", "image_1"),
        ("<<< element_02 >>>", "element_2"),
        ("<<<video_1>>>", "video_1"),
        ("<<<shot_1>>>", None),
    ]
    assert tags("<<<image_1\n>>>") == []  # a tag is on one line


def test_mentions_prefer_the_longest_name_then_element_n():
    text = "@Dr. Who meets @dr, @Element2, @Nobody, me@home and a lone @ here"
    assert mentions(text, ["Dr", "", "Dr. Who"]) == [
        Mention(0, 8, "Dr", 2, None),
        Mention(15, 18, "dr", 0, None),
        Mention(20, 29, "Element2", None, 2),
        Mention(31, 32, "Nobody", None, None),
    ]
