"""The render commands pass --model-path, --preset, --low-vram and --device to the runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from reelforge.cli import app
from reelforge.engines.base import SpeedOptions
from reelforge.media.probe import probe_video

from ...render.conftest import write_image, write_wav


@pytest.fixture
def captured(monkeypatch, tmp_path):
    calls: list[dict] = []

    def fake_render(request, **kwargs):
        calls.append({"request": request, **kwargs})
        video = tmp_path / "out.mp4"
        return SimpleNamespace(
            video=video,
            poster=video.with_suffix(".jpg"),
            sidecar=video.with_suffix(".json"),
            duration=3.0,
            width=32,
            height=32,
            fps=24,
            tier="turbo",
            has_audio=False,
            previz=False,
        )

    from reelforge.render import runner

    monkeypatch.setattr(runner, "render", fake_render)
    return calls


def test_video_flags_reach_the_runner(captured, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "video",
            "a boat",
            "--tier",
            "turbo",
            "--model-path",
            str(tmp_path),
            "--size",
            "32x32",
            "--steps",
            "2",
            "--preset",
            "Fast",
            "--low-vram",
            "--device",
            "cpu",
        ],
    )
    assert result.exit_code == 0, result.output
    call = captured[0]
    assert call["model_path"] == tmp_path and call["device"] == "cpu"
    assert call["speed"] == SpeedOptions(preset="fast", low_vram=True)
    assert call["size"] == (32, 32) and call["steps"] == 2


def test_without_speed_flags_the_engine_chooses(captured):
    assert CliRunner().invoke(app, ["video", "a boat", "--tier", "turbo"]).exit_code == 0
    assert "speed" not in captured[0] and captured[0]["model_path"] is None
    assert CliRunner().invoke(app, ["video", "a boat", "--no-low-vram"]).exit_code == 0
    assert captured[1]["speed"] == SpeedOptions(preset=None, low_vram=False)


def test_every_render_command_takes_the_flags(captured, tmp_path):
    image, audio = write_image(tmp_path / "face.png"), write_wav(tmp_path / "voice.wav", 3.0)
    flags = ["--model-path", str(tmp_path), "--preset", "balanced", "--device", "cpu"]
    commands = [
        ["omni", "<<<image_1>>> waves", "--image", str(image)],
        ["motion", str(image), str(tmp_path / "move.mp4")],
        ["avatar", str(image), str(audio)],
    ]
    for command in commands:
        result = CliRunner().invoke(app, [*command, *flags])
        assert result.exit_code == 0, (command, result.output)
    assert [c["speed"].preset for c in captured] == ["balanced"] * 3
    assert all(c["device"] == "cpu" and c["model_path"] == tmp_path for c in captured)


def test_unknown_preset_is_an_input_error(captured):
    result = CliRunner().invoke(app, ["video", "a boat", "--preset", "ludicrous"])
    assert result.exit_code == 2 and "unknown preset" in result.output and not captured


def test_turbo_renders_from_a_model_path_with_a_preset(tmp_path, tiny_wan_folder):
    pytest.importorskip("reelforge.engines.wan.engine")
    out = tmp_path / "turbo.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reelforge",
            "video",
            "a cat walks by the sea",
            "--tier",
            "turbo",
            "--model-path",
            str(tiny_wan_folder),
            "--size",
            "32x32",
            "--steps",
            "2",
            "--duration",
            "3",
            "--resolution",
            "720p",
            "--preset",
            "fast",
            "--low-vram",
            "--device",
            "cpu",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    info = probe_video(Path(result.stdout.strip().splitlines()[-1]))
    assert (info.width, info.height, info.fps) == (32, 32, 24) and info.frames == 72
