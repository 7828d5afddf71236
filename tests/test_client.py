"""``reelforge.client`` against a small fake Kling server (httpx MockTransport).

The fake knows nothing of reelforge: it checks the JWT the way Kling does (HS256,
``iss`` = access key), answers in Kling's envelope, and advances a task one step per
query (submitted → processing → succeed). ``task_progress`` can be switched off to
look like Kling itself. The client is proven here without any reelforge server.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest

from reelforge import client as rc
from reelforge.client import (
    AsyncClient,
    Client,
    KlingError,
    Task,
    TaskFailed,
    make_jwt,
    verify_webhook,
)

BASE = "http://kling.test"
AK, SK = "ak_test", "sk_test_secret_of_at_least_32_bytes"
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"x" * 70_000


class FakeKling:
    """A Kling-shaped task API in one handler, usable by sync and async httpx clients."""

    def __init__(
        self, *, progress: bool = True, fail: bool = False, cdn: str | None = None
    ) -> None:
        self.progress = progress
        self.fail = fail
        self.cdn = cdn
        self.tasks: dict[str, dict] = {}
        self.bodies: list[tuple[str, dict]] = []
        self.requests: list[httpx.Request] = []
        self.queue_errors: list[httpx.Response] = []
        self.ids = itertools.count(1)

    def envelope(self, status: int, code: int, message: str, data=None) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "code": code,
                "message": message,
                "request_id": f"req-{len(self.requests)}",
                "data": data,
            },
        )

    def auth(self, request: httpx.Request) -> httpx.Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return self.envelope(401, 1001, "Authorization is empty")
        if not header.startswith("Bearer "):
            return self.envelope(401, 1002, "Authorization is invalid")
        token = header[7:]
        if token == "static-key":
            return None
        try:
            claims = jwt.decode(
                token, SK, algorithms=["HS256"], options={"require": ["iss", "exp", "nbf"]}
            )
        except jwt.ExpiredSignatureError:
            return self.envelope(401, 1004, "token expired")
        except jwt.ImmatureSignatureError:
            return self.envelope(401, 1003, "token not yet valid")
        except jwt.InvalidTokenError:
            return self.envelope(401, 1000, "authentication failed")
        if claims["iss"] != AK:
            return self.envelope(401, 1000, "authentication failed")
        return None

    def data(self, task: dict) -> dict:
        out = {
            "task_id": task["id"],
            "task_status": task["status"],
            "task_status_msg": task.get("msg", ""),
            "task_info": {"external_task_id": task.get("external")},
            "created_at": 1_700_000_000_000,
            "updated_at": 1_700_000_000_000 + task["step"],
            "final_unit_deduction": "3" if task["status"] == "succeed" else "0",
            "task_result": {"videos": task.get("videos", [])},
        }
        if self.progress:
            out["task_progress"] = task["progress"]
        return out

    def step(self, task: dict) -> None:
        task["step"] += 1
        if task["status"] == "submitted":
            task.update(status="processing", progress=40)
        elif task["status"] == "processing" and task["progress"] < 80:
            task["progress"] = 80
        elif task["status"] == "processing":
            if self.fail:
                task.update(status="failed", msg="engine exploded: out of memory", progress=100)
            else:
                url = (
                    f"{self.cdn}/v/{task['id']}.mp4"
                    if self.cdn
                    else f"/files/{task['id']}.mp4?sig=abc"
                )
                task.update(
                    status="succeed",
                    progress=100,
                    videos=[{"id": "vid-" + task["id"], "url": url, "duration": "5.0"}],
                )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue_errors:
            return self.queue_errors.pop(0)
        path = request.url.path
        if path.startswith("/files/") or path.startswith("/v/"):
            return httpx.Response(200, content=VIDEO_BYTES, headers={"content-type": "video/mp4"})
        denied = self.auth(request)
        if denied is not None:
            return denied
        if path == "/v1/tiers":
            return self.envelope(200, 0, "SUCCEED", [{"name": "animatic"}])
        parts = path.split("/")[3:]  # after /v1/videos
        if request.method == "POST":
            product = "/".join(parts)
            body = json.loads(request.content)
            self.bodies.append((product, body))
            if body.get("model_name") == "no-such-model":
                return self.envelope(404, 1203, "model_name: 'no-such-model' is not a known model")
            task = {
                "id": f"t{next(self.ids)}",
                "status": "submitted",
                "progress": 0,
                "step": 0,
                "external": body.get("external_task_id"),
                "product": product,
            }
            self.tasks[task["id"]] = task
            return self.envelope(200, 0, "SUCCEED", self.data(task))
        if request.url.params.get("pageNum"):
            product = "/".join(parts)
            page, size = int(request.url.params["pageNum"]), int(request.url.params["pageSize"])
            mine = [t for t in self.tasks.values() if t["product"] == product]
            return self.envelope(
                200, 0, "SUCCEED", [self.data(t) for t in mine[(page - 1) * size : page * size]]
            )
        product, ident = "/".join(parts[:-1]), parts[-1]
        task = self.tasks.get(ident) or next(
            (t for t in self.tasks.values() if t["external"] == ident), None
        )
        if task is None or task["product"] != product:
            return self.envelope(404, 1203, f"task {ident} not found")
        self.step(task)
        return self.envelope(200, 0, "SUCCEED", self.data(task))


@pytest.fixture
def fake():
    return FakeKling()


@pytest.fixture
def kling(fake):
    with Client(BASE, AK, SK, transport=httpx.MockTransport(fake)) as c:
        yield c


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- auth ------------------------------------------------------------------------------


def test_jwt_is_what_klings_docs_describe():
    now = 1_800_000_000
    token = make_jwt(AK, SK, now=now)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, SK, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims == {"iss": AK, "exp": now + 1800, "nbf": now - 5}


def test_token_is_cached_and_renewed_before_expiry(monkeypatch):
    clock = [1_800_000_000.0]
    monkeypatch.setattr(rc.time, "time", lambda: clock[0])
    auth = rc._Auth(AK, SK, None)
    first = auth.header()["Authorization"]
    clock[0] += 60
    assert auth.header()["Authorization"] == first
    clock[0] += 1800 - 60 - rc.TOKEN_REFRESH_MARGIN_S + 1  # inside the refresh margin
    renewed = auth.header()["Authorization"]
    assert renewed != first
    claims = jwt.decode(
        renewed[7:], SK, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims["exp"] == int(clock[0]) + 1800


def test_static_api_key_is_sent_as_bearer(fake):
    with Client(BASE, api_key="static-key", transport=httpx.MockTransport(fake)) as c:
        assert c.tiers() == [{"name": "animatic"}]
    assert fake.requests[-1].headers["authorization"] == "Bearer static-key"


def test_only_half_a_key_pair_is_refused():
    with pytest.raises(ValueError):
        Client(BASE, access_key=AK)


def test_wrong_secret_raises_kling_error_with_code_and_status(fake):
    with (
        Client(
            BASE, AK, "wrong-secret-also-32-bytes-long-xx", transport=httpx.MockTransport(fake)
        ) as c,
        pytest.raises(KlingError) as err,
    ):
        c.text2video("x")
    assert (err.value.code, err.value.http_status) == (1000, 401)
    assert err.value.request_id and err.value.message == "authentication failed"


def test_no_credentials_gets_1001(fake):
    with Client(BASE, transport=httpx.MockTransport(fake)) as c, pytest.raises(KlingError) as err:
        c.text2video("x")
    assert err.value.code == 1001


# --- submission ----------------------------------------------------------------------


def test_text2video_fields_and_multi_prompt(kling, fake):
    task = kling.text2video(
        "a lighthouse",
        model_name="kling-v3",
        mode="std",
        duration=5,
        aspect_ratio="16:9",
        multi_prompt=[("wide shot", 2), ("close up", 3)],
        external_task_id="ext-1",
        sound="on",
    )
    assert (
        isinstance(task, Task) and task.status == "submitted" and task.external_task_id == "ext-1"
    )
    product, body = fake.bodies[-1]
    assert product == "text2video"
    assert body == {
        "prompt": "a lighthouse",
        "model_name": "kling-v3",
        "mode": "std",
        "duration": "5",
        "aspect_ratio": "16:9",
        "multi_prompt": [
            {"index": 1, "prompt": "wide shot", "duration": "2"},
            {"index": 2, "prompt": "close up", "duration": "3"},
        ],
        "multi_shot": True,
        "shot_type": "customize",
        "external_task_id": "ext-1",
        "sound": "on",
    }


def test_media_from_path_bytes_and_url(kling, fake, tmp_path):
    image = tmp_path / "start.jpg"
    image.write_bytes(b"\xff\xd8jpegdata")
    kling.image2video(image, "go", image_tail=b"\x89PNGtail")
    _, body = fake.bodies[-1]
    assert body["image"] == b64(b"\xff\xd8jpegdata") and not body["image"].startswith("data:")
    assert body["image_tail"] == b64(b"\x89PNGtail")
    kling.image2video(str(image), "go")  # a string naming a file is read too
    assert fake.bodies[-1][1]["image"] == b64(b"\xff\xd8jpegdata")
    kling.image2video("https://example.com/a.jpg", "go", image_tail="QUJD")
    _, body = fake.bodies[-1]
    assert body["image"] == "https://example.com/a.jpg" and body["image_tail"] == "QUJD"


def test_every_endpoint_posts_to_its_kling_path(kling, fake, tmp_path):
    clip = tmp_path / "ref.mp4"
    clip.write_bytes(b"mp4")
    kling.omni_video(
        "<<<image_1>>> meets <<<element_1>>>",
        image_list=[b"img1", {"image_url": "https://x/y.png", "type": "end_frame"}],
        element_list=[
            {"name": "Hero", "image_list": [{"image_url": b"el"}, {"image_url": "https://x/e.png"}]}
        ],
        video_list=[{"video_url": clip, "refer_type": "feature"}],
    )
    kling.motion_control(b"img", "https://x/dance.mp4", character_orientation="video")
    kling.avatar(b"face", b"wav", "hello")
    kling.video_extend("vid-1", "keep going")
    kling.submit("/v1/videos/lip-sync", video_id="v")
    products = [p for p, _ in fake.bodies]
    assert products == [
        "omni-video",
        "motion-control",
        "avatar/image2video",
        "video-extend",
        "lip-sync",
    ]
    omni = fake.bodies[0][1]
    assert omni["image_list"] == [
        {"image_url": b64(b"img1")},
        {"image_url": "https://x/y.png", "type": "end_frame"},
    ]
    assert omni["video_list"] == [{"video_url": b64(b"mp4"), "refer_type": "feature"}]
    assert omni["element_list"] == [
        {
            "name": "Hero",
            "image_list": [{"image_url": b64(b"el")}, {"image_url": "https://x/e.png"}],
        }
    ]
    assert fake.bodies[1][1] == {
        "image_url": b64(b"img"),
        "video_url": "https://x/dance.mp4",
        "prompt": "",
        "character_orientation": "video",
    }
    assert fake.bodies[2][1] == {
        "image": b64(b"face"),
        "sound_file": b64(b"wav"),
        "prompt": "hello",
    }
    assert fake.bodies[3][1] == {"video_id": "vid-1", "prompt": "keep going"}


@pytest.mark.parametrize("alias", ["omni", "omni_video", "omni-video", "/v1/videos/omni-video"])
def test_endpoint_aliases(alias):
    assert rc.endpoint_path(alias) == "/v1/videos/omni-video"
    assert rc.endpoint_path("avatar") == "/v1/videos/avatar/image2video"


def test_unknown_model_is_a_kling_error(kling):
    with pytest.raises(KlingError) as err:
        kling.text2video("x", model_name="no-such-model")
    assert (err.value.code, err.value.http_status) == (1203, 404)
    assert "no-such-model" in err.value.message


# --- queries -------------------------------------------------------------------------


def test_get_by_task_id_and_by_external_task_id(kling):
    task = kling.omni_video("x", external_task_id="mine-42")
    assert kling.get(task).status == "processing"  # a Task knows its product
    again = kling.get(external_task_id="mine-42", endpoint="omni")
    assert again.task_id == task.task_id and again.endpoint == "omni-video"
    assert kling.get(task.task_id, endpoint="omni-video").task_id == task.task_id
    with pytest.raises(KlingError):
        kling.get(task.task_id)  # queried under text2video: not there
    with pytest.raises(ValueError):
        kling.get()


def test_list_sends_page_num_and_size(kling, fake):
    ids = [kling.text2video(f"p{i}").task_id for i in range(5)]
    page = kling.list(page=2, size=2)
    assert [t.task_id for t in page] == ids[2:4]
    assert (
        fake.requests[-1].url.params["pageNum"] == "2"
        and fake.requests[-1].url.params["pageSize"] == "2"
    )


def test_task_parses_kling_shape():
    task = Task.from_data(
        {
            "task_id": "a",
            "task_status": "succeed",
            "task_status_msg": "",
            "task_info": {"external_task_id": "e"},
            "created_at": 1,
            "updated_at": 2,
            "final_unit_deduction": "2.5",
            "task_result": {
                "videos": [{"id": "v", "url": "https://cdn/v.mp4", "duration": "5.04"}]
            },
        }
    )
    assert task.succeeded and task.done and task.progress is None
    assert (
        task.videos[0].duration == 5.04
        and task.final_unit_deduction == "2.5"
        and task.external_task_id == "e"
    )


# --- wait and download ---------------------------------------------------------------


def test_wait_with_progress_bar_then_download(kling, fake, tmp_path, capsys):
    task = kling.text2video("x")
    done = kling.wait(task, poll=0, timeout=5, progress=True)
    assert done.succeeded and done.progress == 100 and done.videos[0].duration == 5.0
    path = kling.download(done, tmp_path / "out")
    assert path == tmp_path / "out" / f"{task.task_id}.mp4" and path.read_bytes() == VIDEO_BYTES
    # the server's own file URL got the auth header; a named file path is used as given
    assert fake.requests[-1].headers["authorization"].startswith("Bearer ")
    assert kling.download(done, tmp_path / "named.mp4") == tmp_path / "named.mp4"
    assert "100%" in capsys.readouterr().err


def test_wait_without_task_progress_uses_a_spinner(tmp_path):
    fake = FakeKling(progress=False, cdn="https://cdn.kling.test")
    with Client(BASE, AK, SK, transport=httpx.MockTransport(fake)) as kling:
        task = kling.wait(kling.text2video("x"), poll=0, timeout=5, progress=True)
        assert task.succeeded and task.progress is None
        path = kling.download(task, tmp_path)
    assert path.read_bytes() == VIDEO_BYTES
    # a CDN URL on another origin never receives our credentials
    assert (
        fake.requests[-1].url.host == "cdn.kling.test"
        and "authorization" not in fake.requests[-1].headers
    )


def test_wait_raises_task_failed_with_the_reason():
    fake = FakeKling(fail=True)
    with Client(BASE, AK, SK, transport=httpx.MockTransport(fake)) as kling:
        task = kling.text2video("x")
        with pytest.raises(TaskFailed, match="out of memory") as err:
            kling.wait(task, poll=0, timeout=5, progress=False)
        assert err.value.task.failed
        assert kling.get(task).failed  # and without raising:
        fake.tasks[task.task_id].update(status="processing", progress=80)
        assert kling.wait(task, poll=0, progress=False, raise_on_failure=False).failed


def test_wait_rides_out_restarts_and_rate_limits(kling, fake):
    task = kling.text2video("x")
    fake.queue_errors = [
        httpx.Response(502, text="bad gateway"),
        fake.envelope(429, 1302, "rate limit"),
        fake.envelope(500, 5000, "internal"),
    ]
    assert kling.wait(task, poll=0, timeout=5, progress=False).succeeded


def test_wait_gives_up_after_timeout(kling):
    task = kling.text2video("x")
    with pytest.raises(TimeoutError):
        kling.wait(task, poll=0.01, timeout=0, progress=False)


def test_wait_does_not_retry_auth_errors(fake):
    with Client(BASE, AK, SK, transport=httpx.MockTransport(fake)) as kling:
        task = kling.text2video("x")
        fake.queue_errors = [fake.envelope(401, 1004, "token expired")]
        with pytest.raises(KlingError) as err:
            kling.wait(task, poll=0, timeout=5, progress=False)
    assert err.value.code == 1004


def test_non_envelope_answers_become_kling_errors(kling, fake):
    fake.queue_errors = [httpx.Response(502, text="<html>bad gateway</html>")]
    with pytest.raises(KlingError) as err:
        kling.tiers()
    assert (err.value.code, err.value.http_status) == (
        5000,
        502,
    ) and "bad gateway" in err.value.message


def test_transport_errors_stay_httpx_errors():
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    with (
        Client(BASE, AK, SK, transport=httpx.MockTransport(down)) as kling,
        pytest.raises(httpx.ConnectError),
    ):
        kling.text2video("x")


# --- async ---------------------------------------------------------------------------


def test_async_client_has_the_same_api(tmp_path):
    fake = FakeKling()

    async def main():
        async with AsyncClient(BASE, AK, SK, transport=httpx.MockTransport(fake)) as kling:
            tasks = await asyncio.gather(*(kling.text2video(f"p{i}", duration=3) for i in range(4)))
            omni = await kling.omni_video("o", image_list=[b"i"])
            done = await asyncio.gather(
                *(kling.wait(t, poll=0, timeout=5, progress=False) for t in [*tasks, omni])
            )
            assert all(t.succeeded for t in done)
            assert (await kling.get(external_task_id=None, task=tasks[0].task_id)).succeeded
            assert len(await kling.list(1, 10)) == 4
            path = await kling.download(done[-1], tmp_path)
            ext = await kling.text2video("x", external_task_id="e9")
            assert (await kling.get(external_task_id="e9")).task_id == ext.task_id
            with pytest.raises(KlingError):
                await kling.text2video("x", model_name="no-such-model")
            return path

    path = asyncio.run(main())
    assert path.read_bytes() == VIDEO_BYTES and path.name.startswith(omni_id(fake))
    assert fake.bodies[4][1]["image_list"] == [{"image_url": b64(b"i")}]


def omni_id(fake: FakeKling) -> str:
    return next(t["id"] for t in fake.tasks.values() if t["product"] == "omni-video")


# --- webhooks ------------------------------------------------------------------------


def test_verify_webhook_matches_the_standard_webhooks_vector():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'
    assert verify_webhook(secret, headers, body, tolerance_s=None)
    assert verify_webhook(
        secret,
        {**headers, "webhook-signature": "v1,bad v1," + headers["webhook-signature"][3:]},
        body,
        tolerance_s=None,
    )
    assert not verify_webhook(secret, headers, body + b" ", tolerance_s=None)
    assert not verify_webhook(secret, headers, body)  # 2021: far outside the 5-minute window
    assert verify_webhook(secret, headers, body, now=1614265330 + 10)
    assert not verify_webhook("whsec_" + b64(b"other"), headers, body, tolerance_s=None)
    assert not verify_webhook(secret, {}, body)


def test_encode_media_leaves_plain_strings_alone(tmp_path):
    assert rc.encode_media("QUJD") == "QUJD"
    assert rc.encode_media("data:image/png;base64,QUJD") == "data:image/png;base64,QUJD"
    assert rc.encode_media(Path(__file__)) == b64(Path(__file__).read_bytes())
    assert rc.encode_media(bytearray(b"ab")) == "YWI="


def test_expired_token_is_refused_by_a_kling_like_server(fake):
    token = make_jwt(AK, SK, now=time.time() - 4000)
    response = httpx.MockTransport(fake).handle_request(
        httpx.Request("GET", f"{BASE}/v1/tiers", headers={"Authorization": f"Bearer {token}"})
    )
    assert response.json()["code"] == 1004


def test_final_posts_the_task_id_and_is_queried_under_final(kling, fake):
    draft = kling.wait(kling.text2video("a fox", mode="std"), poll=0, progress=False)
    final = kling.final(draft, callback_url="https://hook.test/x")
    assert fake.bodies[-1] == (
        "final",
        {"task_id": draft.task_id, "mode": "4k", "callback_url": "https://hook.test/x"},
    )
    assert final.endpoint == "final"
    done = kling.wait(final, poll=0, progress=False)
    assert done.succeeded and fake.requests[-1].url.path == f"/v1/videos/final/{final.task_id}"
    kling.final("t-other")
    assert fake.bodies[-1] == ("final", {"task_id": "t-other", "mode": "4k"})
    assert rc.endpoint_path("4k") == rc.endpoint_path("final") == "/v1/videos/final"

    async def main():
        async with AsyncClient(BASE, AK, SK, transport=httpx.MockTransport(fake)) as client:
            task = await client.final(draft.task_id)
            return await client.wait(task, poll=0, progress=False)

    assert asyncio.run(main()).succeeded
    assert fake.bodies[-1] == ("final", {"task_id": draft.task_id, "mode": "4k"})
