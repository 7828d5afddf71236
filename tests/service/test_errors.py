"""Every error code of the contract, each provoked against a real server, and the shape of
the answer: Kling's envelope with the code, a message naming the problem, a request_id,
and the matching HTTP status."""

from __future__ import annotations

import base64
import shutil
import time

import httpx
import jwt
import pytest

from .harness import Account, Server, kling_jwt

T2V = "/v1/videos/text2video"
OK_BODY = {"model_name": "kling-v3", "prompt": "A fox in the snow.", "mode": "std", "duration": "3"}


def call(
    server: Server,
    method: str,
    path: str,
    *,
    account: Account | None = None,
    headers: dict[str, str] | None = None,
    **kwargs,
) -> tuple[int, dict]:
    h = dict(account.headers()) if account else {}
    h.update(headers or {})
    r = httpx.request(method, server.url + path, headers=h, timeout=60, **kwargs)
    try:
        body = r.json()
    except ValueError:
        pytest.fail(
            f"{method} {path}: HTTP {r.status_code} without a JSON envelope: {r.text[:300]!r}"
        )
    return r.status_code, body


def assert_error(status_body: tuple[int, dict], code: int, http: int, *words: str) -> dict:
    status, body = status_body
    assert (body.get("code"), status) == (code, http), body
    assert set(body) >= {"code", "message", "request_id"}, body
    assert body["request_id"], body
    assert body.get("data") in (None, {}, []), body
    for word in words:
        assert word.lower() in body["message"].lower(), (word, body["message"])
    return body


@pytest.fixture(scope="module")
def server(sqlite_server) -> Server:
    return sqlite_server


@pytest.fixture(scope="module")
def alice(server) -> Account:
    return server.account("err-alice")


# --- auth: 1000–1004 ----------------------------------------------------------------


def test_1001_empty_authorization(server):
    assert_error(call(server, "POST", T2V, json=OK_BODY), 1001, 401)
    assert_error(call(server, "GET", T2V, headers={"Authorization": ""}), 1001, 401)


def test_1002_invalid_authorization(server, alice):
    assert_error(
        call(server, "GET", T2V, headers={"Authorization": f"Basic {alice.access_key}"}), 1002, 401
    )
    assert_error(call(server, "GET", T2V, headers={"Authorization": "Bearer"}), 1002, 401)
    # a bearer value that is no JWT (and no API key) at all
    assert_error(call(server, "GET", T2V, headers={"Authorization": "Bearer not.a.jwt"}), 1002, 401)


def test_1000_forged_tokens(server, alice):
    forged = kling_jwt(alice.access_key, "not-the-secret-key-but-32-bytes-long!!")
    assert_error(call(server, "GET", T2V, headers={"Authorization": f"Bearer {forged}"}), 1000, 401)
    stranger = kling_jwt("no-such-access-key", alice.secret_key)
    assert_error(
        call(server, "GET", T2V, headers={"Authorization": f"Bearer {stranger}"}), 1000, 401
    )
    # a token whose payload was edited after signing
    now = int(time.time())
    head, _, sig = kling_jwt(alice.access_key, alice.secret_key).split(".")
    payload = base64.urlsafe_b64encode(
        f'{{"iss":"{alice.access_key}","exp":{now + 99999},"nbf":0}}'.encode()
    )
    edited = f"{head}.{payload.decode().rstrip('=')}.{sig}"
    assert_error(call(server, "GET", T2V, headers={"Authorization": f"Bearer {edited}"}), 1000, 401)


def test_1000_unsigned_alg_none_token(server, alice):
    """An ``alg: none`` token claiming a real access key is a forgery (1000), not a malformed
    header (1002)."""
    now = int(time.time())
    unsigned = jwt.encode(
        {"iss": alice.access_key, "exp": now + 600, "nbf": now - 5}, None, algorithm="none"
    )
    assert_error(
        call(server, "GET", T2V, headers={"Authorization": f"Bearer {unsigned}"}), 1000, 401
    )


def test_1003_token_not_yet_valid(server, alice):
    token = kling_jwt(alice.access_key, alice.secret_key, now=time.time() + 600, nbf_ago=0)
    assert_error(call(server, "GET", T2V, headers={"Authorization": f"Bearer {token}"}), 1003, 401)


def test_1004_token_expired(server, alice):
    token = kling_jwt(alice.access_key, alice.secret_key, now=time.time() - 4000)
    assert_error(call(server, "GET", T2V, headers={"Authorization": f"Bearer {token}"}), 1004, 401)


def test_revoked_key_is_refused(server):
    acct = server.account("err-revoked", credits=None)
    assert call(server, "GET", T2V, account=acct)[0] == 200
    server.cli("keys", "revoke", acct.access_key)
    listed = server.cli("keys", "list").stdout
    assert acct.access_key in listed
    assert_error(call(server, "GET", T2V, account=acct), 1000, 401)


# --- credits and models: 1102, 1103, 1203 ------------------------------------------


def test_1102_out_of_credits_and_the_balance_never_goes_below_zero(server):
    pauper = server.account("err-pauper", credits=None)
    assert server.balance("err-pauper") == 0
    assert_error(call(server, "POST", T2V, account=pauper, json=OK_BODY), 1102, 429)
    server.cli("credits", "grant", "1", "--account", "err-pauper")
    assert_error(call(server, "POST", T2V, account=pauper, json=OK_BODY), 1102, 429)
    assert server.balance("err-pauper") == 1


def test_1103_model_not_allowed(server, alice):
    # a known model (a tier of ours, from /v1/tiers) on a product its tier does not serve
    tiers = httpx.get(server.url + "/v1/tiers", headers=alice.headers()).json()["data"]
    tier = next(t for t in tiers if "motion" not in t["workflows"] and t["workflows"])
    body = {
        "model_name": tier["name"],
        "image_url": "https://example.com/a.jpg",
        "video_url": "https://example.com/b.mp4",
        "mode": "std",
    }
    assert_error(
        call(server, "POST", "/v1/videos/motion-control", account=alice, json=body),
        1103,
        403,
        tier["name"],
        "model_name",
    )


def test_1203_unknown_model(server, alice):
    body = assert_error(
        call(server, "POST", T2V, account=alice, json={**OK_BODY, "model_name": "kling-v99"}),
        1203,
        404,
        "kling-v99",
    )
    assert "model_name" in body["message"]


def test_1203_unknown_task(server, alice):
    assert_error(call(server, "GET", f"{T2V}/no-such-task", account=alice), 1203, 404)


# --- parameters: 1200, 1201 --------------------------------------------------------


def test_1200_missing_field_and_broken_json(server, alice):
    assert_error(
        call(server, "POST", "/v1/videos/image2video", account=alice, json={"prompt": "x"}),
        1200,
        400,
        "image",
    )
    assert_error(
        call(
            server,
            "POST",
            T2V,
            account=alice,
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        1200,
        400,
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"duration": "99"}, ("duration", "99", "15")),
        ({"duration": "2"}, ("duration", "2", "3")),
        ({"prompt": "x" * 2501}, ("prompt", "2,501 characters", "2,500-character limit")),
        ({"aspect_ratio": "4:3"}, ("aspect_ratio", "4:3", "16:9")),
        ({"cfg_scale": 1.5}, ("cfg_scale", "1.5", "1")),
        (
            {
                "multi_shot": True,
                "duration": "5",
                "multi_prompt": [
                    {"index": 1, "prompt": "a", "duration": "2"},
                    {"index": 2, "prompt": "b", "duration": "2"},
                ],
            },
            ("multi_prompt", "4", "5"),
        ),
    ],
    ids=["duration-high", "duration-low", "prompt-long", "aspect", "cfg", "shots-sum"],
)
def test_1201_bad_values_name_field_value_and_limit(server, alice, change, words):
    status_body = call(server, "POST", T2V, account=alice, json={**OK_BODY, **change})
    status, body = status_body
    assert body["code"] in (1200, 1201) and status == 400, body
    assert_error(status_body, body["code"], 400, *words)


def test_1201_bad_input_image(server, alice, media_dir):
    tiny = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).decode()
    status, body = call(
        server, "POST", "/v1/videos/image2video", account=alice, json={**OK_BODY, "image": tiny}
    )
    assert status == 400 and body["code"] in (1200, 1201) and "image" in body["message"], body


def test_element_id_alone_is_refused_with_a_reason(server, alice, files):
    body = {
        **OK_BODY,
        "model_name": "kling-v3-omni",
        "prompt": "<<<element_1>>> waves.",
        "element_list": [{"element_id": 123}],
    }
    status, answer = call(server, "POST", "/v1/videos/omni-video", account=alice, json=body)
    assert (
        status == 400 and answer["code"] in (1200, 1201) and "element_list[0]" in answer["message"]
    ), answer


def test_duplicate_external_task_id_is_refused(server, alice):
    body = {**OK_BODY, "external_task_id": "err-dup"}
    first = call(server, "POST", T2V, account=alice, json=body)
    assert first[1]["code"] == 0, first
    status, again = call(server, "POST", T2V, account=alice, json=body)
    assert (
        status == 400 and again["code"] in (1200, 1201) and "external_task_id" in again["message"]
    ), again


# --- limits: 1302, 1303 (a strict server of their own) -------------------------------


@pytest.fixture(scope="module")
def strict(make_server):
    server = make_server(
        "sqlite",
        env={
            "REELFORGE_MAX_RUNNING_TASKS": "1",
            "REELFORGE_RATE_LIMIT_PER_SECOND": "2",
            "REELFORGE_RATE_LIMIT_BURST": "4",
        },
    )
    yield server
    server.stop()


def test_1303_too_many_running_tasks(strict):
    acct = strict.account("busy")
    first = call(
        strict, "POST", T2V, account=acct, json={**OK_BODY, "duration": "10", "mode": "pro"}
    )
    assert first[1]["code"] == 0, first
    assert_error(call(strict, "POST", T2V, account=acct, json=OK_BODY), 1303, 429)


def test_1302_rate_limit(strict):
    acct = strict.account("chatty", credits=None)
    with httpx.Client(base_url=strict.url, headers=acct.headers(), timeout=30) as http:
        answers = [http.get(T2V) for _ in range(12)]
    codes = [(a.status_code, a.json()["code"]) for a in answers]
    assert (200, 0) in codes
    assert (429, 1302) in codes, codes
    limited = next(a.json() for a in answers if a.json()["code"] == 1302)
    assert limited["request_id"] and limited["message"]


# --- 5000 --------------------------------------------------------------------------


def test_5000_internal_error_is_an_envelope(make_server, media_dir):
    server = make_server("sqlite")
    try:
        acct = server.account("broken")
        # break the server's storage under it: the artifacts folder becomes a file
        artifacts = server.home / "artifacts"
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.write_text("not a folder")
        image = base64.b64encode((media_dir / "start.jpg").read_bytes()).decode()
        status, body = call(
            server, "POST", "/v1/videos/image2video", account=acct, json={**OK_BODY, "image": image}
        )
        assert_error((status, body), 5000, 500)
        assert "Traceback" not in body["message"]
    finally:
        server.stop()
