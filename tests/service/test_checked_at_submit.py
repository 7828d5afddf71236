"""Every limit checked before work starts: a request the worker would refuse is refused
when it is submitted (HTTP 400, code 1201, the field named as Kling spells it), not
accepted and failed later. On each store backend, against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelforge.client import KlingError

from ..cut_short import cut, faststart
from .harness import Server, write_image, write_video

REPO = Path(__file__).resolve().parents[2]
STORY = (REPO / "examples" / "storyboard.txt").read_text(encoding="utf-8")
WAIT = {"poll": 0.25, "timeout": 240, "progress": False}


def refused(submit, *words: str) -> str:
    """The message of the 400/1201 that ``submit()`` gets; it must contain ``words``."""
    with pytest.raises(KlingError) as err:
        submit()
    assert (err.value.code, err.value.http_status) == (1201, 400), err.value
    for word in words:
        assert word in err.value.message, (word, err.value.message)
    return err.value.message


@pytest.fixture(scope="module")
def kling(server):
    with server.client(server.account("submit-checks")) as client:
        yield client


def test_a_shot_script_is_read_at_submit(kling):
    message = refused(
        lambda: kling.text2video("Shot 2: a fox", model_name="kling-v3", duration="5"), "prompt:"
    )
    assert "Shot 1 is missing" in message
    refused(  # durations that miss the clip's
        lambda: kling.text2video("Shot 1 (3s): a fox.\nShot 2 (3s): it jumps.", duration="5"),
        "prompt:",
        "sum to 6",
    )


def test_the_readme_storyboard_without_a_duration_renders_its_three_shots(server, kling):
    task = kling.text2video(STORY, model_name="kling-v3", mode="std")
    done = kling.wait(task, **WAIT)
    assert done.succeeded, done.status_msg
    assert done.videos[0].duration == pytest.approx(10.0, abs=1 / 24)
    (sidecar,) = server.home.glob(f"artifacts/*/{task.task_id}/video.json")
    plan = json.loads(sidecar.read_text())["plan"]
    assert [s["keep_frames"] for s in plan["segments"]] == [72, 96, 72]  # 3 s, 4 s, 3 s


def test_video_extend_checks_the_continuation_at_submit(kling):
    source = kling.wait(
        kling.text2video("A red kite over a hill.", model_name="kling-v3", mode="std", duration=3),
        **WAIT,
    )
    video = source.videos[0].id
    refused(lambda: kling.video_extend(video, "The kite climbs.", cfg_scale=9), "cfg_scale:", "9")
    refused(lambda: kling.video_extend(video, "Shot 2: the kite climbs."), "prompt:")
    refused(lambda: kling.video_extend(video, "The kite climbs.", duration="20"), "duration:")


def test_a_truncated_jpeg_is_refused_at_submit(kling, tmp_path):
    image = cut(write_image(tmp_path / "sunrise.jpg", (640, 360)))  # a whole header, not pixels
    refused(lambda: kling.image2video(image, "The sun rises.", duration="5"), "image:", "truncated")


def test_a_truncated_video_is_refused_at_submit(kling, tmp_path):
    video = cut(faststart(write_video(tmp_path / "dance.mp4", 3.0)))  # its index survives
    face = write_image(tmp_path / "face.jpg", (512, 640))
    refused(lambda: kling.motion_control(face, video, "Dance."), "video_url:", "cut short")


# --- a server that renders for real: its tiers need their weights ----------------------


@pytest.fixture(scope="module")
def bare_server(make_server, backend, tmp_path_factory) -> Server:
    """A server without ``--previz`` on a machine where no weights were pulled."""
    empty = tmp_path_factory.mktemp("no-weights")
    env = {
        "HF_HOME": str(empty / "hf"),
        "HF_HUB_CACHE": str(empty / "hf" / "hub"),
        "HF_HUB_OFFLINE": "1",
        "REELFORGE_MODELS": str(empty / "models"),
    }
    return make_server(backend, env=env, previz=False)


def test_a_tier_without_its_weights_is_refused_at_submit(bare_server):
    with bare_server.client(bare_server.account("no-weights")) as kling:
        message = refused(
            lambda: kling.text2video("A fox.", model_name="kling-v2-5-turbo", duration="5"),
            "model_name:",
            "turbo",
            "reelforge pull turbo",
            "--previz",
        )
        assert "Wan-AI/Wan2.2-TI2V-5B-Diffusers" in message and str(bare_server.home) not in message
        refused(lambda: kling.text2video("A fox.", duration="5"), "model_name:", "cinema")
        done = kling.wait(kling.text2video("A fox.", model_name="animatic", duration="3"), **WAIT)
        assert done.succeeded and done.raw["task_previz"] is True  # needs no weights
