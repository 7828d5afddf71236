"""Every endpoint through ``reelforge.client`` against a real server: submit, poll to
``succeed``, download, decode. Runs on each store backend (see conftest)."""

from __future__ import annotations

import pytest

from reelforge.client import Task
from reelforge.media.probe import probe_video

from .harness import Server

WAIT = {"poll": 0.25, "timeout": 240, "progress": False}
FRAME = 1 / 24


def finished(
    server: Server,
    kling,
    task: Task,
    tmp_path,
    *,
    duration: float | None,
    size: tuple[int, int] | None,
    fps: int = 24,
    audio: bool | None = True,
):
    """Wait, check the Kling fields of the result, download and decode the video."""
    assert task.status == "submitted" and task.task_id
    assert task.created_at and task.updated_at and task.created_at <= task.updated_at
    done = kling.wait(task, **WAIT)
    assert done.succeeded, done.status_msg
    assert done.progress == 100
    assert len(done.videos) == 1
    video = done.videos[0]
    assert isinstance(done.raw["task_result"]["videos"][0]["duration"], str)  # as Kling sends it
    assert int(done.final_unit_deduction) > 0
    path = kling.download(done, tmp_path)
    info = probe_video(path)
    if duration is not None:
        assert info.duration == pytest.approx(duration, abs=2 * FRAME)
        assert video.duration == pytest.approx(duration, abs=2 * FRAME)
    else:
        assert video.duration == pytest.approx(info.duration, abs=2 * FRAME)
    if size is not None:
        assert (info.width, info.height) == size
    assert info.fps == fps
    if audio is not None:
        assert info.has_audio is audio
    return done, info


@pytest.fixture(scope="module")
def alice(server):
    return server.account("alice")


@pytest.fixture
def kling(server, alice):
    with server.client(alice) as c:
        yield c


def test_server_prints_where_it_listens_and_where_data_lives(server):
    logs = server.logs()
    assert f"reelforge listening on {server.url}" in logs
    assert f"data: {server.home}" in logs or f"data: {server.home.resolve()}" in logs


def test_text2video(server, kling, tmp_path):
    task = kling.text2video(
        "A lighthouse at dusk, waves crash below.",
        model_name="kling-v3",
        mode="std",
        duration=3,
        aspect_ratio="16:9",
        sound="on",
        external_task_id="t2v-single",
    )
    assert task.external_task_id == "t2v-single"
    finished(server, kling, task, tmp_path, duration=3, size=(1280, 720))


def test_text2video_silent_square(server, kling, tmp_path):
    task = kling.text2video(
        "A quiet pond, one ripple.",
        model_name="kling-v3",
        mode="std",
        duration=3,
        aspect_ratio="1:1",
        sound="off",
    )
    finished(server, kling, task, tmp_path, duration=3, size=(720, 720), audio=False)


def test_text2video_multi_shot(server, kling, tmp_path):
    task = kling.text2video(
        "",
        model_name="kling-v3",
        mode="std",
        duration=4,
        aspect_ratio="9:16",
        sound="on",
        multi_prompt=[("Wide: a harbour at dawn.", 2), ("Close: a gull lands on a post.", 2)],
    )
    assert task.raw is not None
    finished(server, kling, task, tmp_path, duration=4, size=(720, 1280))


def test_text2video_intelligence_shots(server, kling, tmp_path):
    task = kling.text2video(
        "A chef plates a dish, then smiles at the camera.",
        model_name="kling-v3",
        mode="std",
        duration=3,
        multi_shot=True,
        shot_type="intelligence",
    )
    finished(
        server, kling, task, tmp_path, duration=3, size=(1280, 720), audio=False
    )  # sound defaults to off


def test_image2video_with_image_tail(server, kling, tmp_path, media_dir, files):
    task = kling.image2video(
        media_dir / "start.jpg",
        "The sun sinks into the sea.",  # a path: raw base64
        image_tail=files.url("end.png"),  # a URL on loopback
        model_name="kling-v3",
        mode="std",
        duration=3,
    )
    finished(server, kling, task, tmp_path, duration=3, size=(1280, 720), audio=False)
    assert "/end.png" in files.requests


def test_image2video_from_bytes(server, kling, tmp_path, media_dir):
    task = kling.image2video(
        (media_dir / "square.png").read_bytes(),
        "A slow push in.",
        model_name="kling-v2-6",
        mode="std",
        duration=5,
    )
    finished(server, kling, task, tmp_path, duration=5, size=(720, 720), audio=None)


def test_omni_video(server, kling, tmp_path, media_dir, files):
    task = kling.omni_video(
        "<<<image_1>>> walks towards <<<element_1>>> while <<<video_1>>> plays.",
        model_name="kling-v3-omni",
        mode="std",
        duration=3,
        aspect_ratio="16:9",
        image_list=[
            {"image_url": files.url("square.png")},
            {"image_url": media_dir / "end.png", "type": "end_frame"},
        ],
        element_list=[
            {
                "name": "Lantern",
                "description": "a brass lantern",
                "image_list": [{"image_url": media_dir / "element.png"}],
            }
        ],
        video_list=[
            {
                "video_url": files.url("reference.mp4"),
                "refer_type": "feature",
                "keep_original_sound": "no",
            }
        ],
    )
    finished(server, kling, task, tmp_path, duration=3, size=(1280, 720), audio=None)


def test_motion_control(server, kling, tmp_path, files):
    task = kling.motion_control(
        files.url("face.jpg"),
        files.url("dance.mp4"),
        "The character dances.",
        character_orientation="image",
        model_name="kling-v3",
        mode="std",
    )
    # the clip follows the reference's length (3 s)
    finished(server, kling, task, tmp_path, duration=3, size=None, audio=None)


def test_avatar(server, kling, tmp_path, media_dir, files):
    task = kling.avatar(
        media_dir / "face.jpg", files.url("voice.wav"), "She speaks warmly.", mode="std"
    )
    # an avatar clip lasts as long as its audio, at 48 fps, with the voice on it
    finished(server, kling, task, tmp_path, duration=3, size=None, fps=48, audio=True)


def test_video_extend(server, kling, tmp_path):
    source = kling.wait(
        kling.text2video("A red kite over a hill.", model_name="kling-v3", mode="std", duration=3),
        **WAIT,
    )
    task = kling.video_extend(source.videos[0].id, "The kite climbs higher.")
    done, info = finished(
        server, kling, task, tmp_path, duration=None, size=(1280, 720), audio=None
    )
    assert info.duration > 0


def test_query_by_external_task_id_and_list(server, kling):
    task = kling.text2video(
        "A paper boat.", model_name="kling-v3", mode="std", duration=3, external_task_id="list-me"
    )
    assert kling.get(external_task_id="list-me").task_id == task.task_id
    assert kling.get(task.task_id).external_task_id == "list-me"
    first = kling.list(page=1, size=2)
    second = kling.list(page=2, size=2)
    assert len(first) == 2 and len(second) >= 1
    assert not {t.task_id for t in first} & {t.task_id for t in second}
    assert task.task_id in [t.task_id for t in kling.list(page=1, size=500)]
    kling.wait(task, **WAIT)


def test_tiers_and_openapi(server, kling):
    tiers = kling.tiers()
    assert tiers, "GET /v1/tiers returned nothing"
    by_name = {t["name"]: t for t in tiers}
    assert set(by_name["turbo"]["experimental"]) == {"end_frame"}
    assert "TI2V-5B" in by_name["turbo"]["experimental"]["end_frame"]
    assert all(t["experimental"] == {} for t in tiers if t["name"] != "turbo")
    # the tiers that take an end frame; all but turbo as their model's authors support it
    assert {t["name"] for t in tiers if "end_frame" in t["features"]} == {
        "cinema",
        "omni",
        "budget",
        "turbo",
        "animatic",
    }
    import httpx

    spec = httpx.get(server.url + "/openapi.json").json()
    for path in (
        "/v1/videos/text2video",
        "/v1/videos/image2video",
        "/v1/videos/omni-video",
        "/v1/videos/motion-control",
        "/v1/videos/avatar/image2video",
        "/v1/videos/video-extend",
    ):
        assert path in spec["paths"], path
    assert httpx.get(server.url + "/docs").status_code == 200


def test_async_client_against_the_server(server, alice, tmp_path, capsys):
    import asyncio

    from reelforge.client import AsyncClient

    async def main():
        async with AsyncClient(server.url, alice.access_key, alice.secret_key) as kling:
            tasks = await asyncio.gather(
                *(
                    kling.text2video(
                        f"Async shot {i}.", model_name="kling-v3", mode="std", duration=3
                    )
                    for i in range(3)
                )
            )
            done = await asyncio.gather(
                *(
                    kling.wait(t, poll=0.25, timeout=240, progress=(i == 0))
                    for i, t in enumerate(tasks)
                )
            )
            return [await kling.download(t, tmp_path) for t in done]

    paths = asyncio.run(main())
    assert len({p.name for p in paths}) == 3
    for path in paths:
        info = probe_video(path)
        assert (info.width, info.height, info.fps) == (1280, 720, 24)
    assert "100%" in capsys.readouterr().err  # the bar was driven by task_progress
