"""``scrub_paths``: the safety net on messages leaving the server (issue 10)."""

from __future__ import annotations

import pytest

from reelforge.errors import scrub_paths

SCRUBBED = [
    (
        "cannot identify image file '/tmp/pytest-1/home/artifacts/1/t/inputs/image.png'",
        "cannot identify image file 'image.png'",
    ),
    (
        "[Errno 2] No such file or directory: '/home/ann/.cache/hf/model/weights.safetensors'",
        "[Errno 2] No such file or directory: 'weights.safetensors'",
    ),
    (
        "cannot encode /var/lib/reelforge/artifacts/1/t/video.mp4: gone",
        "cannot encode video.mp4: gone",
    ),
    ("two: /usr/lib/a.so and (/opt/x/y/z.bin)", "two: a.so and (z.bin)"),
    (r"C:\Users\ann\AppData\reelforge\video.mp4 is locked", "video.mp4 is locked"),
]
KEPT = [
    "fetching http://127.0.0.1:8080/tmp/a/b.png answered HTTP 404",
    "file:///etc/passwd is not an http(s) URL",
    "model_name: 'x' cannot be used on /avatar/image2video",
    "no such path: /v1/videos/nothing/here",
    "image: 200×180 px is below the 300×300 minimum",
    "a ratio of 16/9 and a/b/c relative",
]


@pytest.mark.parametrize(("text", "expected"), SCRUBBED)
def test_absolute_paths_become_their_file_name(text, expected):
    assert scrub_paths(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_urls_api_paths_and_plain_text_are_left_alone(text):
    assert scrub_paths(text) == text
