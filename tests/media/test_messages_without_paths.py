"""Pillow and FFmpeg put a file's absolute path into their messages; the errors made from
them name the file only (issue 10: the API showed ``/home/.../artifacts/...``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reelforge.errors import InputError
from reelforge.media.decode import load_image, read_audio, read_video
from reelforge.media.probe import probe_audio, probe_image, probe_video

JUNK = bytes(range(256)) * 8
PNG_HEAD, WAV_HEAD, MP4_HEAD = (
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"\x00\x00\x00\x18ftypmp42",
)
CASES: list[tuple[str, bytes, Callable[[Path], object]]] = [
    ("image.png", PNG_HEAD + JUNK, probe_image),
    ("image.png", PNG_HEAD + JUNK, load_image),
    ("image.jpg", JUNK, probe_image),
    ("sound.wav", WAV_HEAD + JUNK, probe_audio),
    ("sound.wav", WAV_HEAD + JUNK, read_audio),
    ("empty.mp3", b"", probe_audio),
    ("clip.mp4", MP4_HEAD + JUNK, probe_video),
    ("clip.mp4", MP4_HEAD + JUNK, lambda path: read_video(path, fps=8)),
]


@pytest.mark.parametrize(
    ("name", "data", "read"), CASES, ids=lambda v: getattr(v, "__name__", None)
)
def test_an_unreadable_file_is_named_without_its_folder(tmp_path, name, data, read):
    folder = tmp_path / "home" / "artifacts" / "1" / "task" / "inputs"
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert str(tmp_path) not in message and name in message, message
