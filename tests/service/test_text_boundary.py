"""Hostile text at the API's boundary, against a real server on each store backend.

PostgreSQL cannot hold a NUL: a NUL in any looked-up string (a task id in the path, an
``external_task_id``, a JWT's ``iss``, a ``video_id``, a final's ``task_id``) used to
answer 500 and drop the connection. A lone surrogate (``"\\ud800"``, legal in JSON) in a
prompt was accepted and failed when the finished render's sidecar was written. JSON's
``true`` was read as the number 1 (``"seed": true``). Each is now refused with 400:
1201 naming the field as Kling spells it and the value escaped, or 1200 for a boolean.

Bodies are sent as raw bytes with JSON escapes (``json.dumps`` keeps ``\\ud800`` as an
escape), as a hostile client would: httpx cannot encode a lone surrogate itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest

from .harness import Account, Server

T2V = "/v1/videos/text2video"
SHOTS = [
    {"index": 1, "prompt": "A fox in the snow.", "duration": "2"},
    {"index": 2, "prompt": "It runs \ud800 away.", "duration": "3"},
]


def post(server: Server, account: Account, endpoint: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/videos/{endpoint}",
        content=json.dumps(body).encode(),
        headers={**account.headers(), "content-type": "application/json"},
        timeout=60,
    )


def get(server: Server, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=60)


def refused(response: httpx.Response, code: int, field: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"].startswith(f"{field}:"), body["message"]
    return body["message"]


@pytest.fixture(scope="module")
def carol(server) -> Account:
    return server.account("text-carol")


def task_count(server: Server, account: Account) -> int:
    rows = server.db_rows(
        "SELECT count(*) FROM tasks JOIN accounts ON accounts.id = tasks.account_id "
        f"WHERE accounts.name = '{account.name}'"
    )
    return rows[0][0]


# --- lookups ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["text2video", "omni-video", "final"])
def test_a_nul_in_a_task_id_is_a_400_naming_it(server, carol, endpoint):
    message = refused(
        get(server, f"/v1/videos/{endpoint}/abc%00def", carol.headers()), 1201, "task_id"
    )
    assert "abc\\x00def" in message and "NUL" in message
    # the server (and its database connection) is fine afterwards
    assert get(server, f"/v1/videos/{endpoint}/abcdef", carol.headers()).status_code == 404


def test_a_nul_in_an_external_task_id_query_is_a_400(server, carol):
    refused(get(server, f"{T2V}?external_task_id=a%00b", carol.headers()), 1201, "external_task_id")


@pytest.mark.parametrize("issuer", ["ak\x00", "ak\ud800"])
def test_a_jwt_whose_iss_cannot_be_stored_is_an_unknown_key(server, issuer):
    """Read before the signature can be checked, so no valid key is needed to send it."""
    now = int(time.time())
    token = jwt.encode({"iss": issuer, "exp": now + 600, "nbf": now - 5}, "x" * 32)
    response = get(server, T2V, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json()["code"] == 1000


# --- bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "body", "field", "shown"),
    [
        ("text2video", {"prompt": "a \ud800 b"}, "prompt", "\\ud800"),
        (
            "text2video",
            {"prompt": "a fox", "negative_prompt": "blur\x00"},
            "negative_prompt",
            "\\x00",
        ),
        (
            "text2video",
            {"prompt": "a fox", "external_task_id": "o\x00"},
            "external_task_id",
            "\\x00",
        ),
        (
            "text2video",
            {"prompt": "a fox", "callback_url": "http://127.0.0.1:9/h\x00"},
            "callback_url",
            "\\x00",
        ),
        ("text2video", {"prompt": "a fox", "model_name": "kling-v3\x1b"}, "model_name", "\\x1b"),
        (
            "text2video",
            {"multi_shot": True, "duration": "5", "multi_prompt": SHOTS},
            "multi_prompt[1].prompt",
            "\\ud800",
        ),
        (
            "omni-video",
            {"prompt": "@Fox runs", "element_list": [{"name": "F\x00x", "image_list": []}]},
            "element_list[0].name",
            "\\x00",
        ),
        ("image2video", {"image": "http://127.0.0.1:9/a\x00.png"}, "image", "\\x00"),
        ("video-extend", {"video_id": "abc\x00-0"}, "video_id", "\\x00"),
        ("final", {"task_id": "abc\x00"}, "task_id", "\\x00"),
    ],
)
def test_bad_text_in_any_body_field_is_a_1201_naming_it(
    server, carol, endpoint, body, field, shown
):
    before = task_count(server, carol)
    message = refused(post(server, carol, endpoint, body), 1201, field)
    assert shown in message
    assert task_count(server, carol) == before


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("text2video", {"prompt": "a fox", "seed": True}, "seed"),
        ("text2video", {"prompt": "a fox", "cfg_scale": True}, "cfg_scale"),
        ("text2video", {"prompt": "a fox", "duration": True}, "duration"),
        (
            "text2video",
            {"prompt": "a fox", "camera_control": {"type": "simple", "config": {"pan": True}}},
            "pan",
        ),
        (
            "text2video",
            {"multi_shot": True, "multi_prompt": [{"index": True, "prompt": "x", "duration": "5"}]},
            "index",
        ),
        (
            "text2video",
            {"multi_shot": True, "multi_prompt": [{"index": 1, "prompt": "x", "duration": False}]},
            "duration",
        ),
        ("video-extend", {"video_id": "x-0", "duration": True}, "duration"),
        ("video-extend", {"video_id": "x-0", "cfg_scale": False}, "cfg_scale"),
    ],
)
def test_a_boolean_is_not_a_number(server, carol, endpoint, body, field):
    response = post(server, carol, endpoint, body)
    assert response.status_code == 400, response.text
    reply = response.json()
    assert reply["code"] == 1200, reply
    assert field in reply["message"] and "boolean" in reply["message"], reply["message"]


def test_unicode_tabs_and_line_breaks_are_text(server, carol):
    """What the sanitiser lets through renders, and its sidecar is written."""
    body = {
        "prompt": "A red fox 🦊 runs.\n\tשלום \u202eworld\r\n日本",
        "duration": "3",
        "model_name": "kling-v3",
        "external_task_id": "text-ok-🦊",
    }
    response = post(server, carol, "text2video", body)
    assert response.status_code == 200, response.text
    with server.client(carol) as kling:
        task = kling.get(external_task_id="text-ok-🦊")
        assert task.task_id == response.json()["data"]["task_id"]
        done = kling.wait(task, poll=0.25, timeout=240, progress=False)
    assert done.succeeded, done.status_msg
