"""The command line, run as a user runs it (a real process), outputs decoded back."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.media.decode import read_video
from reelforge.media.probe import probe_video
from reelforge.testing.cuts import detect_cuts

from .render.conftest import write_image, write_wav

REPO = Path(__file__).resolve().parents[1]
STORY = (REPO / "examples" / "storyboard.txt").read_text(encoding="utf-8")


def reelforge(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "reelforge", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_storyboard_cuts_fall_at_3_and_7_seconds(tmp_path):
    result = reelforge("video", STORY, "--tier", "animatic", "-o", tmp_path / "story.mp4")
    assert result.returncode == 0, result.stderr
    info = probe_video(tmp_path / "story.mp4")
    assert info.duration == pytest.approx(10.0, abs=1 / 24)
    assert info.frames == 240 and info.fps == 24 and (info.width, info.height) == (1920, 1080)
    assert info.has_audio and abs(info.audio_duration - info.duration) <= 1 / 24
    frames = read_video(tmp_path / "story.mp4", size=(192, 108)).frames
    cuts = detect_cuts(frames, 24)
    assert cuts == pytest.approx([3.0, 7.0], abs=1 / 24)
    sidecar = json.loads((tmp_path / "story.json").read_text())
    assert sidecar["previz"] is True and sidecar["plan"]["tier"] == "animatic"
    assert [s["keep_frames"] for s in sidecar["plan"]["segments"]] == [72, 96, 72]
    assert (tmp_path / "story.jpg").exists()
    assert "story.mp4" in result.stdout


def test_image_to_video_moves_towards_the_end_frame(tmp_path):
    start = REPO / "examples" / "harbor.jpg"
    end = tmp_path / "end.png"
    Image.open(start).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(end)
    result = reelforge(
        "video",
        "The boats drift out. Camera: push in.",
        "--image",
        start,
        "--end-image",
        end,
        "--tier",
        "animatic",
        "--duration",
        "3",
        "--resolution",
        "720p",
        "-o",
        tmp_path / "i2v.mp4",
    )
    assert result.returncode == 0, result.stderr
    clip = read_video(tmp_path / "i2v.mp4", size=(160, 90))
    assert clip.num_frames == 72 and clip.fps == 24
    want_end = np.asarray(Image.open(end).convert("RGB").resize((160, 90)), np.float32)
    want_start = np.asarray(Image.open(start).convert("RGB").resize((160, 90)), np.float32)
    last = clip.frames[-1].astype(np.float32)
    assert np.abs(last - want_end).mean() < np.abs(last - want_start).mean()


def test_avatar_motion_and_omni_commands(tmp_path):
    face = write_image(tmp_path / "face.png")
    speech = write_wav(tmp_path / "speech.wav", 3.0)
    r = reelforge(
        "avatar",
        face,
        speech,
        "--tier",
        "animatic",
        "--size",
        "160x160",
        "-o",
        tmp_path / "avatar.mp4",
    )
    assert r.returncode == 0, r.stderr
    info = probe_video(tmp_path / "avatar.mp4")
    assert info.fps == 48 and info.frames == 144 and info.has_audio

    from reelforge.media.clip import Audio, Clip
    from reelforge.media.encode import write_clip

    moving = np.zeros((48, 128, 96, 3), np.uint8)
    for i in range(48):
        moving[i, :, (i * 2) % 96] = 255
    t = np.arange(96000) / 48000
    write_clip(
        Clip(moving, 24, Audio(np.sin(2 * np.pi * 440 * t)[None] * 0.3)), tmp_path / "dance.mp4"
    )
    r = reelforge(
        "motion",
        face,
        tmp_path / "dance.mp4",
        "--tier",
        "animatic",
        "--size",
        "160x120",
        "-o",
        tmp_path / "motion.mp4",
    )
    assert r.returncode == 0, r.stderr
    info = probe_video(tmp_path / "motion.mp4")
    assert info.duration == pytest.approx(2.0, abs=1 / 24) and info.has_audio

    r = reelforge(
        "omni",
        "<<<image_1>>> waves at @Hero",
        "--image",
        face,
        "--element",
        f"Hero={face}",
        "--tier",
        "animatic",
        "--duration",
        "3",
        "--size",
        "160x90",
        "-o",
        tmp_path / "omni.mp4",
    )
    assert r.returncode == 0, r.stderr
    assert probe_video(tmp_path / "omni.mp4").frames == 72


def test_rejection_names_field_value_and_limit(tmp_path):
    small = tmp_path / "small.png"
    Image.new("RGB", (200, 180), "white").save(small)
    r = reelforge("video", "waves", "--image", small, "--tier", "animatic", "-o", tmp_path)
    assert r.returncode == 2
    assert "image: 200×180 px is below the 300×300 minimum" in r.stderr
    assert not list(tmp_path.glob("*.mp4"))


def test_missing_engine_says_how_to_get_a_video(tmp_path):
    r = reelforge("video", "a fox in snow", "--tier", "cinema", "-o", tmp_path)
    assert r.returncode == 3
    assert "--tier animatic" in r.stderr.replace("\n", " ")


def test_tiers_and_estimate():
    r = reelforge("tiers")
    assert r.returncode == 0
    for tier in ("cinema", "omni", "motion", "avatar", "budget", "turbo", "animatic"):
        assert tier in r.stdout
    shown = " ".join(r.stdout.split())
    assert "experimental on the turbo tier: end frame (first-last frame). Wan 2.2 TI2V-5B" in shown
    r = reelforge(
        "estimate", "Shot 1 (5s): a fox runs.\nShot 2 (5s): it jumps.", "--resolution", "4k"
    )
    assert r.returncode == 0, r.stderr
    assert "cinema" in r.stderr and "300 credits" in r.stderr
    # the time is counted FLOPs on an H100, not a measurement, and says so
    assert "s, estimated on H100 (not measured)" in " ".join(r.stderr.split())


def _without_size(plan: dict) -> dict:
    """A plan's JSON without its width and height (a 4K final's only difference)."""
    drop = ("width", "height")
    out = {k: v for k, v in plan.items() if k not in drop}
    out["segments"] = [{k: v for k, v in s.items() if k not in drop} for s in plan["segments"]]
    return out


def test_final_rerenders_a_draft_at_4k_with_its_seed_and_plan(tmp_path):
    draft = reelforge(
        "video",
        "A lighthouse at dusk, waves roll in.",
        "--duration",
        "3",
        "--resolution",
        "720p",
        "--seed",
        "5",
        "--previz",
        "-o",
        tmp_path / "draft.mp4",
    )
    assert draft.returncode == 0, draft.stderr
    r = reelforge(
        "video", "--final", tmp_path / "draft.json", "--previz", "-o", tmp_path / "final.mp4"
    )
    assert r.returncode == 0, r.stderr
    said = " ".join(r.stderr.split())
    assert (
        "final of draft.json: text2video on cinema, seed 5, 720p (1280×720, animatic previz) → 4k"
        in said
    )
    small, big = probe_video(tmp_path / "draft.mp4"), probe_video(tmp_path / "final.mp4")
    assert (small.width, small.height) == (1280, 720) and (big.width, big.height) == (3840, 2160)
    assert big.frames == small.frames == 72 and big.fps == small.fps == 24
    assert big.duration == pytest.approx(small.duration, abs=1e-6)
    drafted = json.loads((tmp_path / "draft.json").read_text())
    final = json.loads((tmp_path / "final.json").read_text())
    assert final["seeds"] == drafted["seeds"] and final["seeds"]["task"] == 5
    assert final["request"] == {
        **drafted["request"],
        "resolution": "4k",
        "seed": 5,
        "tier": "cinema",
    }
    assert final["plan"]["width"] == 3840 and final["plan"]["segments"][0]["height"] == 2160
    assert _without_size(final["plan"]) == _without_size(drafted["plan"])
    assert final["final"]["draft"] == str((tmp_path / "draft.json").resolve())
    assert final["final"]["draft_size"] == [1280, 720] and final["final"]["draft_previz"] is True
    # same seed, same plan: the same pictures, only sharper (another seed differs by ~40)
    a = read_video(tmp_path / "draft.mp4", size=(320, 180)).frames.astype(np.float32)
    b = read_video(tmp_path / "final.mp4", size=(320, 180)).frames.astype(np.float32)
    assert np.abs(a - b).mean() < 5

    # a final of a final (given by its .mp4: the sidecar beside it) is refused
    again = reelforge(
        "video", "--final", tmp_path / "final.mp4", "--previz", "-o", tmp_path / "again.mp4"
    )
    assert again.returncode == 2 and "final: the draft is already 4k" in " ".join(
        again.stderr.split()
    )
    # the draft's own settings may not be given again; a prompt is needed without --final
    mixed = reelforge(
        "video", "a fox", "--final", tmp_path / "draft.json", "--seed", "6", "-o", tmp_path
    )
    assert mixed.returncode == 2 and "leave out PROMPT, --seed" in " ".join(mixed.stderr.split())
    bare = reelforge("video", "-o", tmp_path)
    assert bare.returncode == 2 and "prompt: give a prompt, or --final DRAFT" in " ".join(
        bare.stderr.split()
    )
    assert not list(tmp_path.glob("again*")) and not list(tmp_path.glob("text2video-*"))


def test_a_tier_without_resolution_renders_at_its_own(tmp_path):
    """``--tier turbo`` alone is a 720p turbo render (turbo offers only 720p), on the
    tier's plan (``--previz``), and its estimate prices it at 720p."""
    r = reelforge(
        "video",
        "A cat walks",
        "--tier",
        "turbo",
        "--duration",
        "3",
        "--previz",
        "-o",
        tmp_path / "cat.mp4",
    )
    assert r.returncode == 0, r.stderr
    sidecar = json.loads((tmp_path / "cat.json").read_text())
    assert sidecar["request"]["resolution"] == "720p" and sidecar["plan"]["tier"] == "turbo"
    assert (probe_video(tmp_path / "cat.mp4").width, probe_video(tmp_path / "cat.mp4").height) == (
        1280,
        720,
    )
    r = reelforge("estimate", "A cat walks", "--tier", "turbo")
    assert r.returncode == 0, r.stderr
    assert "turbo: 15 credits (3/s × 5 s, silent)" in " ".join(r.stderr.split())
    # a silent draft: the guide picks turbo, so 720p too
    r = reelforge("estimate", "A cat walks", "--draft", "--no-audio")
    assert r.returncode == 0 and "turbo" in r.stderr, r.stderr
