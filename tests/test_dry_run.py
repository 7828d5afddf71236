"""``reelforge … --dry-run``: the plan and every engine call's stages, as a user runs it (a
real process), with no weights, no network and no GPU; nothing may be written."""

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from reelforge.engines.ltx2 import presets, schedule
from reelforge.engines.ltx2.schedule import LTX2_NUM_LAYERS
from reelforge.engines.wan import schedule as wan_schedule

from .render.conftest import write_image, write_wav

FOX = "A fox runs through fresh snow at dawn. Camera: tracking shot."


@pytest.fixture
def offline(tmp_path) -> dict[str, str]:
    """An environment with no weights anywhere: an empty Hugging Face home, the Hub off."""
    empty = tmp_path / "empty"
    (empty / "hf").mkdir(parents=True)
    (empty / "models").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "REELFORGE_"))}
    return {
        **env,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(empty / "hf"),
        "REELFORGE_MODELS": str(empty / "models"),
        "REELFORGE_HOME": str(empty / "home"),
        "CUDA_VISIBLE_DEVICES": "",
    }


def run(env, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def dry(env, tmp_path, *args) -> dict:
    """``reelforge ARGS --dry-run --json -o tmp_path/out`` → the parsed plan; checks that it
    exits 0 and writes nothing (not even the output folder)."""
    before = sorted(tmp_path.rglob("*"))
    r = run(
        env, "-m", "reelforge", *args, "--dry-run", "--json", "-o", tmp_path / "out", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert sorted(tmp_path.rglob("*")) == before
    return json.loads(r.stdout)


def stages(result: dict, segment: int = 0) -> list[dict]:
    return result["calls"][segment]["stages"]


def test_cinema_1080p_two_stages_at_the_references_numbers(offline, tmp_path):
    out = dry(
        offline,
        tmp_path,
        "video",
        FOX,
        "--tier",
        "cinema",
        "--model",
        "ltx2",
        "-r",
        "1080p",
        "-d",
        "5",
    )
    assert out["dry_run"] is True and out["previz"] is False
    plan = out["plan"]
    assert (plan["tier"], plan["engine"], plan["width"], plan["height"]) == (
        "cinema",
        "ltx2",
        1920,
        1080,
    )
    assert out["seeds"]["task"] == plan["seed"] and out["request"]["prompt"] == FOX
    first, second = stages(out)
    seg = plan["segments"][0]
    assert (first["width"], first["height"], first["steps"]) == (960, 544, 40)
    assert first["frames"] == second["frames"] == seg["frames"] == 121
    assert first["weights"] == "dev" and first["start"] == "noise"
    assert len(first["sigmas"]) == 41 and first["sigmas"][0] == 1.0 and first["sigmas"][-1] == 0.0
    assert first["sigmas"][-2] == pytest.approx(0.1, abs=1e-6)
    assert np.all(np.diff(first["sigmas"]) < 0)
    assert first["guidance"]["video_cfg"] == 3.0 and first["guidance"]["stg_blocks"] == [29]
    assert (second["width"], second["height"]) == (1920, 1088)
    assert second["sigmas"] == [0.909375, 0.725, 0.421875, 0.0]
    assert (second["start"], second["noise_scale"], second["steps"]) == ("upsampled", 0.909375, 3)
    assert second["weights"] == "dev + distilled LoRA"
    assert second["guidance"]["video_cfg"] == 1.0 and second["guidance"]["video_stg"] == 0.0


def test_budget_runs_the_distilled_schedule(offline, tmp_path):
    out = dry(offline, tmp_path, "video", FOX, "--tier", "budget", "-d", "5")
    assert out["plan"]["engine"] == "ltx2_distilled"
    first, second = stages(out)
    assert first["weights"] == second["weights"] == "distilled"
    assert first["steps"] == 8 and first["sigmas"] == list(schedule.DISTILLED_SIGMAS)
    assert first["guidance"]["video_cfg"] == 1.0 and first["guidance"]["stg_blocks"] == []


def test_cinema_4k_has_a_third_stage(offline, tmp_path):
    out = dry(offline, tmp_path, "video", FOX, "--tier", "cinema", "-r", "4k", "-d", "5")
    sizes = [(s["width"], s["height"]) for s in stages(out)]
    assert sizes == [(960, 544), (1920, 1088), (3840, 2176)]
    assert stages(out)[2]["sigmas"] == [0.909375, 0.725, 0.421875, 0.0]


def test_steps_override_reaches_stage_one_only(offline, tmp_path):
    out = dry(offline, tmp_path, "video", FOX, "--tier", "cinema", "-r", "720p", "--steps", "12")
    assert [s["steps"] for s in stages(out)] == [12, 3]


def test_avatar_holds_the_users_audio(offline, tmp_path):
    face = write_image(tmp_path / "face.png")
    speech = write_wav(tmp_path / "speech.wav", 3.0)
    out = dry(offline, tmp_path, "avatar", face, speech, "-r", "720p")
    assert out["plan"]["engine"] == "ltx2" and out["plan"]["audio_source"] == "user"
    first = stages(out)[0]
    want = asdict(presets.AVATAR_GUIDANCE.for_layers(LTX2_NUM_LAYERS))
    assert first["guidance"] == {**want, "stg_blocks": list(want["stg_blocks"])}
    g = first["guidance"]  # the audio is held: its terms off, as the reference's a2vid
    assert g["audio_cfg"] <= 1.0 and g["audio_stg"] == 0.0 and g["audio_modality"] <= 1.0
    assert g["video_cfg"] > 1.0 and g["video_modality"] > 1.0
    assert first["steps"] == presets.LTX2.stage_1_steps  # a2vid_two_stage.py: LTX_2_PARAMS


def _moving_video(path: Path) -> Path:
    from reelforge.media.clip import Clip
    from reelforge.media.encode import write_clip

    frames = np.zeros((48, 128, 96, 3), np.uint8)
    for i in range(48):
        frames[i, :, (i * 2) % 96] = 255
    return write_clip(Clip(frames, 24), path)


@pytest.mark.parametrize("command", ["turbo", "omni", "motion"])
def test_wan_tiers_one_stage_with_the_schedulers_sigmas(offline, tmp_path, command):
    face = write_image(tmp_path / "face.png")
    args = {
        "turbo": ("video", FOX, "--tier", "turbo", "-d", "5"),
        "omni": (
            "omni",
            "<<<image_1>>> waves at @Hero",
            "--image",
            face,
            "--element",
            f"Hero={face}",
            "-d",
            "5",
        ),
        "motion": ("motion", face, _moving_video(tmp_path / "dance.mp4")),
    }[command]
    out = dry(offline, tmp_path, *args)
    engine = out["plan"]["engine"]
    recipe = wan_schedule.RECIPES[engine]
    for call, seg in zip(out["calls"], out["plan"]["segments"], strict=True):
        (stage,) = call["stages"]
        assert (stage["width"], stage["height"], stage["frames"]) == (
            seg["width"],
            seg["height"],
            seg["frames"],
        )
        assert stage["steps"] == recipe.steps and stage["guidance"] == {
            "guidance_scale": recipe.guidance_scale
        }
        shift = wan_schedule.flow_shift(recipe.model, seg["width"], seg["height"])
        assert shift == {"wan": 5.0, "wan_vace": 16.0, "wan_animate": 5.0}[engine]  # any size
        assert stage["sigmas"] == list(wan_schedule.flow_sigmas(recipe.steps, shift))
        assert stage["scheduler"].endswith(f"shift {shift:g})")
        assert stage["sigmas"][0] < 1.0 and stage["sigmas"][-1] == 0.0
    assert {"turbo": "wan", "omni": "wan_vace", "motion": "wan_animate"}[command] == engine


def test_turbo_end_frame_shows_its_experimental_note(offline, tmp_path):
    """Start + end images on turbo: planned (one Wan call), with the note and its reason in
    the plan (the sidecar's) and in the table; without an end image, no note."""
    start = write_image(tmp_path / "start.png")
    end = write_image(tmp_path / "end.png", colour=(20, 160, 90))
    args = ("video", "She turns to the window.", "--image", start, "--tier", "turbo", "-d", "3")
    out = dry(offline, tmp_path, *args, "--end-image", end)
    (note,) = [n for n in out["plan"]["notes"] if n.startswith("experimental")]
    assert note.startswith("experimental on the turbo tier: end frame (first-last frame).")
    assert "last latent frame" in note and out["plan"]["segments"][-1]["conditioning"]["end_image"]
    assert [len(c["stages"]) for c in out["calls"]] == [1]
    r = run(
        offline, "-m", "reelforge", *args, "--end-image", end, "--dry-run", "-o", tmp_path / "o"
    )
    assert r.returncode == 0, r.stderr
    assert "· experimental on the turbo tier: end frame" in " ".join(r.stdout.split())
    without = dry(offline, tmp_path, *args)
    assert not [n for n in without["plan"]["notes"] if "experimental" in n]


def test_animatic_has_no_stages(offline, tmp_path):
    out = dry(offline, tmp_path, "video", FOX, "--tier", "animatic", "-d", "3")
    assert out["plan"]["engine"] == "animatic" and out["previz"] is True
    assert [c["stages"] for c in out["calls"]] == [[]]
    previz = dry(offline, tmp_path, "video", FOX, "--tier", "cinema", "--previz", "-d", "3")
    assert previz["plan"]["tier"] == "cinema" and [c["stages"] for c in previz["calls"]] == [[]]


def test_final_of_a_draft_adds_the_4k_stage_to_the_same_plan(offline, tmp_path):
    story = "Shot 1 (3s): A fox runs through fresh snow.\nShot 2 (3s): The fox leaps over a log."
    draft = dry(
        offline, tmp_path, "video", story, "--tier", "cinema", "-r", "1080p", "--seed", "11"
    )
    sidecar = tmp_path / "draft.json"
    sidecar.write_text(json.dumps(draft))  # what a render's sidecar holds of it
    final = dry(offline, tmp_path, "video", "--final", sidecar)
    assert final["plan"]["seed"] == 11 and final["request"]["resolution"] == "4k"
    assert [s["frames"] for s in final["plan"]["segments"]] == [
        s["frames"] for s in draft["plan"]["segments"]
    ]
    for ours, theirs in zip(final["calls"], draft["calls"], strict=True):
        assert [(s["width"], s["height"]) for s in ours["stages"]] == [
            (960, 544),
            (1920, 1088),
            (3840, 2176),
        ]
        assert ours["stages"][:2] == theirs["stages"]  # the draft's two stages, then the third


def test_inputs_are_checked_as_for_a_render(offline, tmp_path):
    from PIL import Image

    small = tmp_path / "small.png"
    Image.new("RGB", (200, 180), "white").save(small)
    r = run(
        offline,
        "-m",
        "reelforge",
        "video",
        "waves",
        "--image",
        small,
        "--tier",
        "cinema",
        "--dry-run",
        "--json",
    )
    assert r.returncode == 2 and r.stdout == ""
    assert "image: 200×180 px is below the 300×300 minimum" in r.stderr
    r = run(offline, "-m", "reelforge", "video", FOX, "--json")
    assert r.returncode == 2 and "add --dry-run" in r.stderr


def test_table_for_a_person_and_no_torch(offline, tmp_path):
    """Without --json: a table; the whole run imports neither torch nor diffusers."""
    r = run(
        offline,
        "-X",
        "importtime",
        "-m",
        "reelforge",
        "video",
        FOX,
        "--tier",
        "cinema",
        "-r",
        "1080p",
        "--dry-run",
        "-o",
        tmp_path / "out",
    )
    assert r.returncode == 0, r.stderr
    for size in ("960×544", "1920×1088", "dev + distilled LoRA", "0.9094 0.725 0.4219 0"):
        assert size in r.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in r.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "reelforge.engines.ltx2.schedule" in imported
    assert not {m for m in imported if m.split(".")[0] in ("torch", "diffusers", "transformers")}
    assert not (tmp_path / "out").exists()
