"""A property-based fuzz of every endpoint's JSON with hostile strings, on each store.

For every Kling product path (and the GETs by ``task_id`` / ``external_task_id``), a
valid body has some of its fields replaced by hostile values: NUL and other control
characters, lone surrogates (sent as JSON escapes, as raw bytes: httpx cannot encode
them), huge strings, path traversal, right-to-left marks, emoji, combining marks,
booleans, NaN and huge numbers where numbers go. Two properties must hold:

- **no 5xx, ever**, and every answer is Kling's JSON envelope;
- **no task is accepted that would fail later for a reason the submit path could have
  seen**: for each accepted task, what the worker runs before rendering
  (:func:`reelforge.render.runner.prepare` of its translated request, previz; for a
  video-extend the continuation request the worker builds) must pass, and the render's
  JSON sidecar (:func:`reelforge.render.runner.sidecar` through
  :func:`reelforge.media.assemble.write_sidecar`) must be writable.

The service runs in-process (``create_app(run_workers=False)`` behind FastAPI's
TestClient) so that accepted tasks are not rendered: the real server's worker would
render every one of them, far beyond this file's budget of about a minute. The stores
are the real ones: SQLite, and a throwaway PostgreSQL database when
``REELFORGE_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import base64
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reelforge.api.app import create_app
from reelforge.media.artifact import Artifact
from reelforge.media.assemble import write_sidecar
from reelforge.planning.extend import continuation_request
from reelforge.render.runner import Timings, prepare, sidecar
from reelforge.store import Store, load_config
from reelforge.store import accounts as acc
from reelforge.store.db import Database

from ..weights import MODELS_ENV, placeholder_weights
from .conftest import POSTGRES_ENV
from .harness import write_image, write_video, write_wav

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

HUNT = os.environ.get("REELFORGE_FUZZ_EXAMPLES")
"""Set to a number of examples for a longer, random hunt; unset, the suite's fuzz is
the same every run (derandomized), so it never fails by chance."""
EXAMPLES = int(HUNT or 40)
"""Examples per endpoint and backend: the whole file runs in well under a minute."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not HUNT,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DRAFT_SIZE = (1280, 720)
LOOKUP_MAX_CHARS = 4096
"""Keys in URLs are cut to this: httpx itself refuses URLs of 64 KiB and more."""

HOSTILE_STRINGS = [
    "\x00",
    "abc\x00def",
    "\ud800",
    "a \udfff b",
    "\ud83d",  # half an emoji
    "\x07\x1b[31mred\x1b[0m",
    "\r\n",
    "line\nbreak\ttab",
    "\x7f\x85\x9f",
    "\u2028\u2029",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "file:///etc/passwd",
    "%00%2e%2e%2f",
    "\u202eevil\u202c",
    "\u200f\u200e\u200d\u200b",
    "שלום עולם",
    "日本語のテキスト",
    "🎬👨‍👩‍👧🦊",
    "e\u0301\u0302\u0303",
    "\ufeff",
    "\uffff\U0010ffff",
    "'; DROP TABLE tasks; --",
    "{{7*7}}${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "@Fox <<<image_9>>> <<<element_1>>>",
    "Shot 2: a fox",
    "",
    " ",
    "A" * 3000,
    "B" * 70_000,
    "\x00" * 300,
]
HOSTILE_NUMBERS: list[Any] = [
    True,
    False,
    None,
    -1,
    0,
    9,
    2**64,
    1e308,
    -1e-308,
    math.nan,
    math.inf,
    "5",
    "1e400",
    [],
    {},
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=30),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"]), max_size=8),
    st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from(["A fox", "order-", "http://127.0.0.1:9/"]),
        st.sampled_from(HOSTILE_STRINGS[:12]),
        st.text(max_size=5),
    ),
)
hostile_any = st.one_of(hostile_text, st.sampled_from(HOSTILE_NUMBERS))
WEIRD_STRINGS = [
    " \u202eevil\u202c",
    " \u200f\u200e\u200d\u200b",
    " שלום עולם",
    " 日本語のテキスト",
    " 🎬👨‍👩‍👧🦊",
    "e\u0301\u0302\u0303",
    "\ufeff",
    "\uffff\U0010ffff",
    " ../../../../etc/passwd",
    " '; DROP TABLE tasks; --",
    " {{7*7}}${jndi:ldap://x}",
    " <script>alert(1)</script>",
    " @Fox",
    "\nShot 2: a fox",
    "\nShot 1: a fox (2s)\nShot 2: it runs (3s)",
    "\n\tline two\r\n",
]
weird_text = st.one_of(
    st.sampled_from(WEIRD_STRINGS),
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=20),
)
"""Strange but valid text (any script, right-to-left, emoji, format characters, line
breaks): appended to a field, it is mostly accepted, and then must render."""


# --- the service -----------------------------------------------------------------------


@dataclass
class Fuzzed:
    client: TestClient
    store: Store
    headers: dict[str, str]
    media: dict[str, str]
    draft_id: str
    video_id: str
    start_image: Path
    scratch: Path


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture(scope="module")
def fuzzed(backend, pg_databases, tmp_path_factory, request) -> Iterator[Fuzzed]:
    if backend == "postgres" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set (.ci/postgres.sh starts a PostgreSQL)")
    home = tmp_path_factory.mktemp(f"fuzz-{backend}")
    # Not a previz server: every tier's weights count as pulled, so submit checks them.
    patch = pytest.MonkeyPatch()
    request.addfinalizer(patch.undo)
    patch.setenv(MODELS_ENV, str(placeholder_weights(home / "models")))
    config = load_config(home / "home").replace(
        allow_private_urls=True,
        max_running_tasks=10**9,
        rate_limit_per_second=0,
        **({"database_url": pg_databases.create()} if backend == "postgres" else {}),
    )
    store = Store(config, Database(config.db_url))
    media_dir = home / "media"
    media_dir.mkdir()
    media = {
        "image": _b64(write_image(media_dir / "start.jpg", (640, 360))),
        "face": _b64(write_image(media_dir / "face.jpg", (512, 640))),
        "wav": _b64(write_wav(media_dir / "voice.wav", 3.0)),
        "video": _b64(write_video(media_dir / "dance.mp4", 2.0, audio=False)),
    }
    start_image = write_image(media_dir / "last-frame.png", DRAFT_SIZE)
    with store.db.write() as s:
        owner = acc.get_or_create_account(s, "fuzz")
        access, secret = acc.create_key_pair(s, owner)
    store.grant("fuzz", 10**12)
    now = int(time.time())
    token = jwt.encode({"iss": access, "exp": now + 3600, "nbf": now - 5}, secret)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    client = TestClient(create_app(config, store=store, run_workers=False))
    client.__enter__()
    draft = client.post(
        "/v1/videos/text2video",
        json={"model_name": "kling-v3", "prompt": "A fox runs.", "duration": "3", "seed": 7},
        headers=headers,
    )
    assert draft.status_code == 200, draft.json()
    draft_id = draft.json()["data"]["task_id"]
    # The draft "finishes" without a render: a finished video to extend and to finalise.
    claimed = store.queue.claim("fuzz:1:w")
    assert claimed is not None and claimed.id == draft_id
    video = {
        "id": f"{draft_id}-0",
        "path": f"{owner.id}/{draft_id}/video.mp4",
        "duration": 3.0,
        "width": DRAFT_SIZE[0],
        "height": DRAFT_SIZE[1],
        "fps": 24,
        "has_audio": False,
        "previz": True,
    }
    folder = store.artifacts.task_dir(owner.id, draft_id)
    folder.mkdir(parents=True, exist_ok=True)
    write_video(folder / "video.mp4", 3.0, DRAFT_SIZE, 24, audio=False)
    assert store.queue.succeed(draft_id, "fuzz:1:w", [video])
    scratch = home / "scratch"
    scratch.mkdir()
    yield Fuzzed(client, store, headers, media, draft_id, video["id"], start_image, scratch)
    client.__exit__(None, None, None)
    store.db.dispose()


def bases(f: Fuzzed) -> dict[str, dict[str, Any]]:
    """A valid body of each endpoint: each alone is accepted (see the first test)."""
    shots = [
        {"index": 1, "prompt": "A fox wakes.", "duration": "2"},
        {"index": 2, "prompt": "It runs.", "duration": "3"},
    ]
    return {
        "text2video": {
            "model_name": "kling-v3",
            "prompt": "A fox runs through snow.",
            "negative_prompt": "blur",
            "duration": "3",
            "aspect_ratio": "16:9",
            "mode": "std",
            "seed": 7,
            "cfg_scale": 0.5,
        },
        "text2video-shots": {
            "model_name": "kling-v3",
            "multi_shot": True,
            "shot_type": "customize",
            "duration": "5",
            "multi_prompt": shots,
            "camera_control": {"type": "simple", "config": {"pan": 2}},
        },
        "image2video": {
            "model_name": "kling-v3",
            "image": f.media["image"],
            "prompt": "Clouds drift by.",
            "duration": "3",
        },
        "omni-video": {
            "model_name": "kling-v3-omni",
            "prompt": "<<<element_1>>> runs past <<<image_1>>>.",
            "image_list": [{"image_url": f.media["image"]}],
            "element_list": [
                {
                    "name": "Fox",
                    "description": "a red fox",
                    "image_list": [{"image_url": f.media["face"]}],
                }
            ],
            "duration": "3",
        },
        "motion-control": {
            "image_url": f.media["face"],
            "video_url": f.media["video"],
            "prompt": "Dance.",
            "character_orientation": "image",
        },
        "avatar/image2video": {
            "image": f.media["face"],
            "sound_file": f.media["wav"],
            "prompt": "Speaks calmly.",
        },
        "video-extend": {"video_id": f.video_id, "prompt": "It goes on.", "duration": "3"},
        "final": {"task_id": f.draft_id},
    }


EXTRA_SLOTS: dict[str, list[tuple[Any, ...]]] = {
    "*": [("external_task_id",), ("callback_url",), ("prompt",), ("negative_prompt",)],
    "text2video": [("seed",), ("cfg_scale",), ("duration",), ("camera_control",)],
    "text2video-shots": [
        ("multi_prompt", 0, "index"),
        ("multi_prompt", 1, "duration"),
        ("camera_control", "config", "zoom"),
        ("shot_type",),
    ],
    "image2video": [("image_tail",), ("dynamic_masks",), ("static_mask",), ("cfg_scale",)],
    "omni-video": [("video_list",), ("element_list", 0, "element_id")],
    "motion-control": [("keep_original_sound",), ("duration",)],
    "avatar/image2video": [("audio_id",)],
    "video-extend": [("cfg_scale",), ("duration",)],
    "final": [("mode",)],
}


def string_slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in string_slots(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in string_slots(v, (*path, i))]
    return []


def get(body: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        try:
            body = body[key]
        except (KeyError, IndexError, TypeError):
            return ""
    return body if isinstance(body, str) else ""


def put(body: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value


def endpoint_of(name: str) -> str:
    return name.removesuffix("-shots")


# --- the properties ---------------------------------------------------------------------


def answered(response) -> dict[str, Any]:
    """Not a 5xx, and Kling's envelope."""
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


def worker_checks(f: Fuzzed, task_id: str) -> None:
    """What the worker would run before rendering the accepted task, and the sidecar it
    would write: neither may raise."""
    task = f.store.tasks.get_any(task_id)
    assert task is not None
    spec = dict(task.translated)
    if task.workflow == "extend":
        request: Any = continuation_request(
            f.start_image,
            spec.get("prompt", ""),
            float(spec["seconds"]),
            width=DRAFT_SIZE[0],
            height=DRAFT_SIZE[1],
            audio=False,
            tier=spec.get("tier"),
            negative_prompt=spec.get("negative_prompt", ""),
            cfg_scale=spec.get("cfg_scale"),
        )
        job = prepare(request, previz=True, size=DRAFT_SIZE)
    else:
        job = prepare(spec, previz=True)
    plan = job.plan
    out = f.scratch / f"{task_id}.mp4"
    artifact = Artifact(
        video=out,
        poster=out.with_suffix(".jpg"),
        sidecar=out.with_suffix(".json"),
        duration=plan.total_frames / plan.fps,
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        has_audio=plan.audio_source != "none",
        tier=plan.tier,
        previz=True,
    )
    write_sidecar(artifact.sidecar, {**sidecar(job, artifact, Timings()), "raw": task.request})


def brief(value: Any) -> Any:
    """``value`` with long strings (base64 payloads, huge values) cut, for a message."""
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:40]}…<{len(value)} chars>"
    if isinstance(value, dict):
        return {k: brief(v) for k, v in value.items()}
    if isinstance(value, list):
        return [brief(v) for v in value]
    return value


def submit(f: Fuzzed, endpoint: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()  # lone surrogates leave as "\ud800" escapes
    response = f.client.post(f"/v1/videos/{endpoint}", content=raw, headers=f.headers)
    reply = answered(response)
    event(f"{endpoint}: HTTP {response.status_code} code {reply['code']}")
    if response.status_code == 200:
        assert reply["code"] == 0, reply
        try:
            worker_checks(f, reply["data"]["task_id"])
        except Exception as exc:
            raise AssertionError(
                f"/{endpoint} accepted a task the worker then refuses: {repr(exc)[:300]}\n"
                f"body: {json.dumps(brief(body))}"
            ) from exc


def test_every_base_body_is_accepted_and_passes_the_worker_checks(fuzzed):
    """The fuzz starts from bodies that work, so what it finds is the hostile value's."""
    for name, body in bases(fuzzed).items():
        response = fuzzed.client.post(
            f"/v1/videos/{endpoint_of(name)}", json=body, headers=fuzzed.headers
        )
        assert response.status_code == 200, (name, response.text[:500])
        worker_checks(fuzzed, response.json()["data"]["task_id"])


@pytest.mark.parametrize(
    "name",
    [
        "text2video",
        "text2video-shots",
        "image2video",
        "omni-video",
        "motion-control",
        "avatar/image2video",
        "video-extend",
        "final",
    ],
)
@FUZZ
@given(data=st.data())
def test_hostile_bodies_never_5xx_and_never_fail_after_acceptance(fuzzed, name, data):
    body = json.loads(json.dumps(bases(fuzzed)[name]))
    slots = string_slots(body) + EXTRA_SLOTS["*"] + EXTRA_SLOTS.get(name, [])
    chosen = data.draw(st.lists(st.sampled_from(slots), min_size=1, max_size=2, unique=True))
    for path in sorted(chosen, key=len, reverse=True):  # a field before the object holding it
        if path in EXTRA_SLOTS.get(name, []):
            value = data.draw(hostile_any)
        elif data.draw(st.booleans()):  # appended: weird but often valid, so often accepted
            value = get(body, path) + data.draw(weird_text)
        else:
            value = data.draw(hostile_text)
        put(body, path, value)
    if data.draw(st.booleans()):  # unknown keys, hostile too, are ignored
        body[data.draw(hostile_text)] = data.draw(hostile_any)
    submit(fuzzed, endpoint_of(name), body)


@FUZZ
@given(key=hostile_text, endpoint=st.sampled_from(["text2video", "omni-video", "final"]))
def test_hostile_lookups_never_5xx(fuzzed, key, endpoint):
    key = key[:LOOKUP_MAX_CHARS]
    quoted = quote(key.encode("utf-8", "surrogatepass"), safe="")
    path = f"/v1/videos/{endpoint}"
    if quoted:
        answered(fuzzed.client.get(f"{path}/{quoted}", headers=fuzzed.headers))
    answered(fuzzed.client.get(f"{path}?external_task_id={quoted}", headers=fuzzed.headers))


@FUZZ
@given(issuer=hostile_text)
def test_hostile_jwt_issuers_are_refused_as_unknown_keys(fuzzed, issuer):
    now = int(time.time())
    token = jwt.encode({"iss": issuer, "exp": now + 600, "nbf": now - 5}, "k" * 32)
    response = fuzzed.client.get(
        "/v1/videos/text2video", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401, response.text[:300]
    assert answered(response)["code"] in (1000, 1002)


@FUZZ
@given(
    prompt=hostile_text,
    shot=hostile_text,
    model=hostile_text,
    endpoint=st.sampled_from(["text2video", "omni-video", "avatar/image2video"]),
)
def test_hostile_studio_helpers_never_5xx(fuzzed, prompt, shot, model, endpoint):
    lint = {"prompt": prompt, "shots": [{"index": 1, "prompt": shot, "duration": 2}]}
    for path, body in (
        ("/v1/studio/lint", lint),
        ("/v1/studio/estimate", {"endpoint": endpoint, "model_name": model}),
    ):
        answered(
            fuzzed.client.post(path, content=json.dumps(body).encode(), headers=fuzzed.headers)
        )
