"""The task API: every Kling endpoint submitted, run (fake renderer) and queried; result
files; listing; cross-account isolation; every error code in the envelope."""

from __future__ import annotations

import pytest

from reelforge.store.models import Task

from .conftest import b64, serving

PUBLIC = "http://93.184.216.34"
"""A public address literal: URL inputs in these tests are served by a mock transport."""


@pytest.fixture
def media(files):
    return {
        "image": files.image(640, 360),
        "image2": files.image(400, 400, "PNG"),
        "audio": files.wav(2.5),
        "video": files.video(2.0),
    }


def bodies(media) -> dict[str, dict]:
    image, image2 = b64(media["image"]), b64(media["image2"])
    return {
        "text2video": {
            "prompt": "A lighthouse at dusk; waves roll in.",
            "duration": "5",
            "mode": "pro",
            "sound": "on",
            "aspect_ratio": "9:16",
        },
        "image2video": {
            "prompt": "The boats drift.",
            "image": image,
            "image_tail": image2,
            "duration": "3",
        },
        "omni-video": {
            "prompt": "<<<element_1>>> walks past <<<image_1>>>, like <<<video_1>>>.",
            "image_list": [{"image_url": f"{PUBLIC}/ref.jpg"}],
            "element_list": [
                {
                    "name": "Ada",
                    "description": "a woman in red",
                    "image_list": [{"image_url": image2}],
                }
            ],
            "video_list": [
                {
                    "video_url": f"{PUBLIC}/ref.mp4",
                    "refer_type": "feature",
                    "keep_original_sound": "no",
                }
            ],
            "duration": "3",
        },
        "motion-control": {
            "image_url": image,
            "video_url": f"{PUBLIC}/ref.mp4",
            "character_orientation": "image",
            "mode": "std",
        },
        "avatar/image2video": {
            "image": image2,
            "sound_file": b64(media["audio"]),
            "prompt": "She smiles.",
        },
    }


def transport(media):
    return serving(
        {
            f"{PUBLIC}/ref.jpg": media["image"].read_bytes(),
            f"{PUBLIC}/ref.mp4": media["video"].read_bytes(),
        }
    )


def test_every_endpoint_runs_to_succeed_with_kling_shaped_results(make_service, media):
    service = make_service(fetch_transport=transport(media), allow_private_urls=False)
    headers = service.headers(credits=10_000)
    for endpoint, body in bodies(media).items():
        ext = "ext-" + endpoint.replace("/", "-")
        response = service.client.post(
            f"/v1/videos/{endpoint}", json={**body, "external_task_id": ext}, headers=headers
        )
        assert response.status_code == 200, (endpoint, response.json())
        envelope = response.json()
        assert envelope["code"] == 0 and envelope["request_id"]
        data = envelope["data"]
        assert data["task_status"] == "submitted" and data["task_info"]["external_task_id"] == ext
        assert isinstance(data["created_at"], int) and data["created_at"] > 1_600_000_000_000
        done = service.wait(f"/v1/videos/{endpoint}/{data['task_id']}", headers)
        assert done["task_status"] == "succeed", done
        assert done["task_progress"] == 100 and int(done["final_unit_deduction"]) > 0
        video = done["task_result"]["videos"][0]
        assert isinstance(video["duration"], str) and video["id"] == f"{data['task_id']}-0"
        file = service.client.get(video["url"].replace("http://testserver", ""))
        assert file.status_code == 200 and file.content.startswith(b"\x00\x00\x00\x18ftyp")
        by_external = service.client.get(f"/v1/videos/{endpoint}/{ext}", headers=headers).json()[
            "data"
        ]
        assert by_external["task_id"] == data["task_id"]
        by_query = service.client.get(
            f"/v1/videos/{endpoint}", params={"external_task_id": ext}, headers=headers
        )
        assert by_query.json()["data"]["task_id"] == data["task_id"]


def test_translation_reaches_the_renderer(make_service, media):
    seen = []

    def render(request, **kw):
        seen.append(request.model_dump(mode="json"))  # the typed request, as it was stored
        from .conftest import fake_render

        return fake_render(request, **kw)

    service = make_service(
        render=render, fetch_transport=transport(media), allow_private_urls=False
    )
    headers = service.headers(credits=10_000)
    for endpoint, body in bodies(media).items():
        tid = service.client.post(f"/v1/videos/{endpoint}", json=body, headers=headers).json()[
            "data"
        ]["task_id"]
        service.wait(f"/v1/videos/{endpoint}/{tid}", headers)
    t2v, i2v, omni, motion, avatar = seen
    assert (
        t2v["workflow"],
        t2v["resolution"],
        t2v["audio"],
        t2v["duration"],
        t2v["aspect_ratio"],
    ) == ("text2video", "1080p", True, 5.0, "9:16")
    assert t2v["tier"] == "cinema"
    assert (
        i2v["image"].endswith(".jpg")
        and i2v["end_image"].endswith(".png")
        and i2v["resolution"] == "1080p"  # no mode: the guide's tier's own (cinema)
    )
    assert omni["images"][0]["type"] == "reference" and omni["elements"][0]["name"] == "Ada"
    assert omni["video"]["path"].endswith(".mp4") and omni["video"]["keep_original_sound"] is False
    assert (
        motion["workflow"] == "motion"
        and motion["keep_original_sound"] is True
        and motion["tier"] == "motion"
    )
    assert avatar["audio_file"].endswith(".wav") and avatar["tier"] == "avatar"


def test_multi_shot_and_camera_control(service):
    headers = service.headers()
    body = {
        "prompt": "A storm rolls in.",
        "multi_shot": True,
        "shot_type": "customize",
        "duration": "5",
        "multi_prompt": [
            {"index": 1, "prompt": "Clouds gather.", "duration": "2"},
            {"index": 2, "prompt": "Rain falls.", "duration": "3"},
        ],
    }
    assert (
        service.client.post("/v1/videos/text2video", json=body, headers=headers).json()["code"] == 0
    )
    bad = {
        **body,
        "multi_prompt": [
            {"index": 1, "prompt": "a", "duration": "2"},
            {"index": 2, "prompt": "b", "duration": "2"},
        ],
    }
    response = service.client.post("/v1/videos/text2video", json=bad, headers=headers).json()
    assert response["code"] == 1201 and response["message"].startswith("multi_prompt")
    camera = {"prompt": "A field.", "camera_control": {"type": "simple", "config": {"zoom": 5}}}
    assert (
        service.client.post("/v1/videos/text2video", json=camera, headers=headers).json()["code"]
        == 0
    )
    two_axes = {
        "prompt": "A field.",
        "camera_control": {"type": "simple", "config": {"zoom": 5, "pan": 2}},
    }
    response = service.client.post("/v1/videos/text2video", json=two_axes, headers=headers).json()
    assert response["code"] == 1201 and response["message"].startswith("camera_control")


def test_listing_pages_newest_first(service):
    headers = service.headers(credits=10_000)
    ids = [
        service.client.post(
            "/v1/videos/text2video", json={"prompt": f"sea {i}", "duration": "3"}, headers=headers
        ).json()["data"]["task_id"]
        for i in range(5)
    ]
    page1 = service.client.get(
        "/v1/videos/text2video", params={"pageNum": 1, "pageSize": 2}, headers=headers
    ).json()["data"]
    page3 = service.client.get(
        "/v1/videos/text2video", params={"pageNum": 3, "pageSize": 2}, headers=headers
    ).json()["data"]
    assert [t["task_id"] for t in page1] == ids[::-1][:2]
    assert [t["task_id"] for t in page3] == ids[:1]
    assert service.client.get("/v1/videos/image2video", headers=headers).json()["data"] == []
    for params in ({"pageNum": 0}, {"pageSize": 501}, {"pageNum": 1001}, {"pageSize": "x"}):
        response = service.client.get("/v1/videos/text2video", params=params, headers=headers)
        assert (response.status_code, response.json()["code"]) == (400, 1200)


def test_accounts_cannot_see_each_others_tasks_or_files(service):
    alice, bob = service.headers("alice"), service.headers("bob")
    tid = service.client.post(
        "/v1/videos/text2video",
        json={"prompt": "Alice's film.", "duration": "3", "external_task_id": "a1"},
        headers=alice,
    ).json()["data"]["task_id"]
    url = service.wait(f"/v1/videos/text2video/{tid}", alice)["task_result"]["videos"][0][
        "url"
    ].replace("http://testserver", "")
    for path in (f"/v1/videos/text2video/{tid}", "/v1/videos/text2video/a1"):
        response = service.client.get(path, headers=bob)
        assert (response.status_code, response.json()["code"]) == (404, 1203)
    assert service.client.get("/v1/videos/text2video", headers=bob).json()["data"] == []
    assert service.client.get(url).status_code == 200  # the signed URL is the capability
    assert service.client.get(url, headers=alice).status_code == 200
    response = service.client.get(url, headers=bob)
    assert (response.status_code, response.json()["code"]) == (403, 1103)
    other = url.replace("/v1/files/", "/v1/files/9")  # another account's path, same signature
    assert service.client.get(other).status_code == 403
    unsigned = url.split("?")[0]
    assert service.client.get(unsigned).json()["code"] == 1200
    assert service.client.get(url.replace("signature=", "signature=x")).status_code == 403


def test_out_of_credits_1102_and_nothing_is_stored(service):
    headers = service.headers("poor", credits=5)
    response = service.client.post(
        "/v1/videos/text2video",
        json={"prompt": "An epic.", "duration": "10", "mode": "pro"},
        headers=headers,
    )
    assert (response.status_code, response.json()["code"]) == (429, 1102)
    assert "needs 80" in response.json()["message"] and "balance is 5" in response.json()["message"]
    with service.store.db.read() as s:
        assert s.query(Task).count() == 0


def test_too_many_running_tasks_1303(make_service):
    service = make_service(run_workers=False, max_running_tasks=2)
    headers = service.headers()
    for _ in range(2):
        assert (
            service.client.post(
                "/v1/videos/text2video", json={"prompt": "x y z", "duration": "3"}, headers=headers
            ).json()["code"]
            == 0
        )
    response = service.client.post(
        "/v1/videos/text2video", json={"prompt": "x y z", "duration": "3"}, headers=headers
    )
    assert (response.status_code, response.json()["code"]) == (429, 1303)


def test_model_errors_1203_and_1103(service):
    headers = service.headers()
    response = service.client.post(
        "/v1/videos/text2video", json={"prompt": "x", "model_name": "kling-v99"}, headers=headers
    )
    assert (response.status_code, response.json()["code"]) == (404, 1203)
    assert "model_name" in response.json()["message"] and "kling-v3" in response.json()["message"]
    response = service.client.post(
        "/v1/videos/text2video", json={"prompt": "x", "model_name": "motion"}, headers=headers
    )
    assert (response.status_code, response.json()["code"]) == (403, 1103)
    for name in ("kling-v3", "kling-v2-6", "kling-v2-5-turbo", "cinema", "animatic"):
        body = {"prompt": "A field of wheat in the wind.", "model_name": name, "duration": "5"}
        assert (
            service.client.post("/v1/videos/text2video", json=body, headers=headers).json()["code"]
            == 0
        ), name


@pytest.mark.parametrize(
    ("body", "code", "names"),
    [
        ({"prompt": "x" * 2501}, 1201, ["prompt: 2,501 characters", "2,500-character limit"]),
        ({"prompt": "x", "duration": "20"}, 1201, ["duration", "20", "15"]),
        ({"prompt": "x", "duration": "abc"}, 1201, ["duration", "abc"]),
        ({"prompt": "x", "mode": "ultra"}, 1200, ["mode", "ultra"]),
        ({"prompt": "x", "aspect_ratio": "4:3"}, 1201, ["aspect_ratio", "4:3"]),
        ({"prompt": "x", "cfg_scale": 3}, 1201, ["cfg_scale", "3"]),
        ({"prompt": "x", "sound": "loud"}, 1200, ["sound"]),
        (
            {
                "prompt": "x",
                "multi_shot": True,
                "multi_prompt": [{"index": "first", "prompt": "a", "duration": "5"}],
            },
            1200,
            ["multi_prompt[0].index:", "first"],
        ),
        ({"prompt": ""}, 1201, ["prompt"]),
        (
            {"prompt": "x", "model_name": "kling-v2-5-turbo", "duration": "15"},
            1201,
            ["duration", "10"],
        ),
        ({"prompt": "x", "callback_url": "ftp://example.com/x"}, 1201, ["callback_url"]),
        (
            {"prompt": "x", "multi_prompt": [{"index": 1, "prompt": "a", "duration": "5"}]},
            1201,
            ["multi_prompt", "multi_shot"],
        ),
    ],
)
def test_bad_parameters_name_field_value_and_limit(service, body, code, names):
    response = service.client.post("/v1/videos/text2video", json=body, headers=service.headers())
    assert (response.status_code, response.json()["code"]) == (400, code), response.json()
    for name in names:
        assert name in response.json()["message"]


def test_bad_inputs_are_1201_with_kling_field_names(service, files):
    headers = service.headers()
    small = b64(files.image(200, 200))
    cases = [
        ("/v1/videos/image2video", {"image": small}, "image: 200×200 px is below"),
        (
            "/v1/videos/image2video",
            {"image": b64(files.image(640, 360)), "image_tail": "###"},
            "image_tail:",
        ),
        ("/v1/videos/image2video", {"image": "http://127.0.0.1:1/x.png"}, "image:"),
        (
            "/v1/videos/avatar/image2video",
            {"image": b64(files.image(400, 400)), "sound_file": b64(files.wav(1.0))},
            "sound_file:",
        ),
        (
            "/v1/videos/avatar/image2video",
            {"image": b64(files.image(400, 400)), "audio_id": "a1"},
            "audio_id:",
        ),
        (
            "/v1/videos/omni-video",
            {"prompt": "x", "element_list": [{"element_id": 7}]},
            "element_list[0]:",
        ),
        (
            "/v1/videos/image2video",
            {"image": b64(files.image(640, 360)), "static_mask": "abc"},
            "static_mask:",
        ),
    ]
    for path, body, start in cases:
        response = service.client.post(path, json=body, headers=headers).json()
        assert response["code"] == 1201 and response["message"].startswith(start), (body, response)
    assert not any(service.store.artifacts.root.glob("*/*")), "inputs of refused tasks are removed"


def test_shape_errors_are_1200_never_a_bare_422(service):
    headers = service.headers()
    for kwargs in (
        {"content": b"{not json", "headers": {**headers, "content-type": "application/json"}},
        {"json": []},
        {"json": {"prompt": 5}},
        {"json": {"prompt": "x", "camera_control": {"type": "spin"}}},
    ):
        kwargs.setdefault("headers", headers)
        response = service.client.post("/v1/videos/text2video", **kwargs)
        assert (response.status_code, response.json()["code"]) == (400, 1200), response.json()
    response = service.client.post(
        "/v1/videos/image2video", json={"prompt": "no image"}, headers=headers
    )
    assert response.json()["code"] == 1200 and "image" in response.json()["message"]


def test_unknown_paths_methods_and_internal_errors(service, monkeypatch):
    headers = service.headers()
    response = service.client.get("/v1/videos/nope", headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, 1203)
    response = service.client.delete("/v1/videos/text2video", headers=headers)
    assert (response.status_code, response.json()["code"]) == (405, 1202)
    response = service.client.get("/v1/videos/text2video/no-such-task", headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, 1203)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.store.tasks, "page", broken)
    response = service.client.get("/v1/videos/text2video", headers=headers)
    assert (response.status_code, response.json()["code"]) == (500, 5000)
    assert "disk on fire" not in response.json()["message"]


def test_duplicate_external_task_id(service):
    headers = service.headers()
    body = {"prompt": "A calm sea.", "duration": "3", "external_task_id": "same"}
    assert (
        service.client.post("/v1/videos/text2video", json=body, headers=headers).json()["code"] == 0
    )
    response = service.client.post("/v1/videos/text2video", json=body, headers=headers).json()
    assert response["code"] == 1201 and "external_task_id" in response["message"]


def test_render_failures_fail_the_task_with_the_reason_and_refund(make_service):
    from reelforge.errors import InputError

    def render(request, **kw):
        raise InputError("image", "x", "y", "the engine disliked it")

    service = make_service(render=render)
    headers = service.headers("a", credits=100)
    tid = service.client.post(
        "/v1/videos/text2video", json={"prompt": "A calm sea.", "duration": "3"}, headers=headers
    ).json()["data"]["task_id"]
    done = service.wait(f"/v1/videos/text2video/{tid}", headers)
    assert done["task_status"] == "failed" and "the engine disliked it" in done["task_status_msg"]
    assert done["final_unit_deduction"] == "0" and done["task_result"]["videos"] == []
    assert service.store.balance(service.store.account("a").id) == 100


def test_video_extend_is_validated_charged_for_the_added_seconds_and_rendered(make_service):
    from reelforge.media.probe import probe_video
    from reelforge.service.worker import _default_render

    service = make_service(render=_default_render, previz=True)
    headers = service.headers("a", credits=1000)
    tid = service.client.post(
        "/v1/videos/text2video",
        json={"prompt": "A calm sea.", "duration": "3", "model_name": "kling-v2-5-turbo"},
        headers=headers,
    ).json()["data"]["task_id"]
    source = service.wait(f"/v1/videos/text2video/{tid}", headers, timeout=120)
    video_id = source["task_result"]["videos"][0]["id"]
    response = service.client.post(
        "/v1/videos/video-extend", json={"video_id": "nope-0", "prompt": "more"}, headers=headers
    ).json()
    assert response["code"] == 1201 and response["message"].startswith("video_id")
    other = service.client.post(
        "/v1/videos/video-extend", json={"video_id": video_id}, headers=service.headers("b")
    ).json()
    assert other["code"] == 1201
    too_long = service.client.post(
        "/v1/videos/video-extend",
        json={"video_id": video_id, "prompt": "x" * 2613},
        headers=headers,
    ).json()
    assert too_long["code"] == 1201
    assert too_long["message"] == "prompt: 2,613 characters is more than the 2,500-character limit"
    ext = service.client.post(
        "/v1/videos/video-extend",
        json={"video_id": video_id, "prompt": "The sea calms."},
        headers=headers,
    ).json()
    assert ext["code"] == 0 and ext["data"]["task_tier"] == "turbo"
    done = service.wait(f"/v1/videos/video-extend/{ext['data']['task_id']}", headers, timeout=120)
    assert done["task_status"] == "succeed", done["task_status_msg"]
    # turbo 720p: 3 credits a second; the extension's 5 s only, not the source's 3 s again
    assert done["final_unit_deduction"] == "15"
    assert done["task_result"]["videos"][0]["duration"] == "8"
    task = service.store.tasks.get_any(ext["data"]["task_id"])
    info = probe_video(service.store.artifacts.root / task.videos[0]["path"])
    assert info.frames == 8 * 24 and (info.width, info.height) == (1280, 720)


def test_tiers_health_and_openapi(service):
    tiers = service.client.get("/v1/tiers").json()
    assert tiers["code"] == 0 and {t["name"] for t in tiers["data"]} >= {"cinema", "animatic"}
    cinema = next(t for t in tiers["data"] if t["name"] == "cinema")
    assert (
        cinema["prices"]["1080p"] == {"silent": 8, "with_audio": 12}
        and "kling-v3" in cinema["kling_models"]
    )
    assert service.client.get("/healthz").json()["status"] == "ok"
    spec = service.client.get("/openapi.json").json()
    assert "/v1/videos/avatar/image2video/{task_id}" in spec["paths"]
    assert service.client.get("/docs").status_code == 200


def test_real_animatic_render_end_to_end(make_service):
    from reelforge.media.probe import probe_video
    from reelforge.service.worker import _default_render

    service = make_service(render=_default_render, previz=True)
    headers = service.headers(credits=1000)
    tid = service.client.post(
        "/v1/videos/text2video",
        json={"prompt": "A lighthouse at dusk.", "duration": "3"},
        headers=headers,
    ).json()["data"]["task_id"]
    done = service.wait(f"/v1/videos/text2video/{tid}", headers, timeout=60)
    assert (
        done["task_status"] == "succeed"
        and done["task_previz"] is True
        and done["task_tier"] == "cinema"
    )
    content = service.client.get(
        done["task_result"]["videos"][0]["url"].replace("http://testserver", "")
    ).content
    path = service.store.artifacts.root / "downloaded.mp4"
    path.write_bytes(content)
    assert abs(probe_video(path).duration - 3.0) < 0.1
