"""A client written only from Kling's docs (httpx + PyJWT, no reelforge) works unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reelforge.media.probe import probe_video

SCRIPT = Path(__file__).with_name("kling_plain.py")


def test_plain_httpx_script(server, media_dir, tmp_path):
    acct = server.account("plain-httpx")
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            server.url,
            acct.access_key,
            acct.secret_key,
            str(media_dir / "start.jpg"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["product"] for line in lines] == ["text2video", "image2video"]
    for line in lines:
        assert line["task_status"] == "succeed"
        assert line["duration"] == "3" or float(line["duration"]) == pytest.approx(3, abs=0.1)
        info = probe_video(line["path"])
        assert (info.width, info.height) == (1280, 720) and info.fps == 24
        assert info.duration == pytest.approx(3, abs=2 / 24)
