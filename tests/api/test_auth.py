"""Auth: Kling's JWT checked against the stored secret on every call, static API keys,
the 1000–1004 codes, revocation, --no-auth, and the per-account rate limit (1302)."""

from __future__ import annotations

import time

import jwt
import pytest

from reelforge.store import accounts as acc

from .conftest import token

LIST = "/v1/videos/text2video"


def code(response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


def test_a_valid_jwt_is_accepted(service):
    assert code(service.client.get(LIST, headers=service.headers())) == (200, 0)


def test_missing_and_malformed_authorization(service):
    assert code(service.client.get(LIST)) == (401, 1001)
    assert code(service.client.get(LIST, headers={"Authorization": "  "})) == (401, 1001)
    assert code(service.client.get(LIST, headers={"Authorization": "Basic abc"})) == (401, 1002)
    assert code(service.client.get(LIST, headers={"Authorization": "Bearer"})) == (401, 1002)
    assert code(service.client.get(LIST, headers={"Authorization": "Bearer a.b.c"})) == (401, 1002)
    assert code(service.client.get(LIST, headers={"Authorization": "Bearer nonsense"})) == (
        401,
        1002,
    )


def test_forged_expired_and_not_yet_valid_tokens(service):
    access, secret = service.keys()
    forged = token(access, "not-the-secret")
    expired = token(access, secret, exp=int(time.time()) - 120)
    early = token(access, secret, nbf=int(time.time()) + 120)
    unknown = token("no-such-access-key", secret)
    no_exp = token(access, secret, exp=None)
    for tok, expected in [
        (forged, 1000),
        (expired, 1004),
        (early, 1003),
        (unknown, 1000),
        (no_exp, 1002),
    ]:
        response = service.client.get(LIST, headers={"Authorization": f"Bearer {tok}"})
        assert code(response) == (401, expected), (tok, response.json())
        assert response.json()["data"] is None and response.json()["request_id"]


def test_a_forged_and_expired_token_is_reported_as_forged(service):
    access, _ = service.keys()
    tok = token(access, "wrong", exp=int(time.time()) - 120)
    assert code(service.client.get(LIST, headers={"Authorization": f"Bearer {tok}"})) == (401, 1000)


def test_other_algorithms_are_refused(service):
    access, secret = service.keys()
    none_alg = jwt.encode({"iss": access, "exp": int(time.time()) + 60}, None, algorithm="none")
    assert code(service.client.get(LIST, headers={"Authorization": f"Bearer {none_alg}"})) == (
        401,
        1000,
    )


def test_revoked_keys_stop_working(service):
    access, secret = service.keys()
    headers = {"Authorization": f"Bearer {token(access, secret)}"}
    assert code(service.client.get(LIST, headers=headers)) == (200, 0)
    with service.store.db.write() as s:
        assert acc.revoke_key(s, access)
    assert code(service.client.get(LIST, headers=headers)) == (401, 1000)


def test_static_api_keys(service):
    with service.store.db.write() as s:
        key = acc.create_api_key(s, acc.get_or_create_account(s, "default"))
    assert code(service.client.get(LIST, headers={"Authorization": f"Bearer {key}"})) == (200, 0)
    assert code(service.client.get(LIST, headers={"Authorization": f"Bearer {key}x"})) == (
        401,
        1000,
    )
    with service.store.db.write() as s:
        assert acc.revoke_key(s, key[:16])
    assert code(service.client.get(LIST, headers={"Authorization": f"Bearer {key}"})) == (401, 1000)


def test_no_auth_uses_the_unmetered_local_account(make_service):
    # TestClient's Host is "testserver": allowed as an operator would allow a name.
    service = make_service(no_auth=True, allowed_hosts=("testserver",))
    response = service.client.post(
        "/v1/videos/text2video", json={"prompt": "A quiet harbour.", "duration": "3"}
    )
    assert code(response) == (200, 0)
    done = service.wait(f"/v1/videos/text2video/{response.json()['data']['task_id']}", {})
    assert done["task_status"] == "succeed" and done["final_unit_deduction"] != "0"


def test_rate_limit_per_account(make_service):
    service = make_service(rate_limit_per_second=0.001, rate_limit_burst=3)
    headers = service.headers("a")
    codes = [code(service.client.get(LIST, headers=headers)) for _ in range(5)]
    assert codes == [(200, 0)] * 3 + [(429, 1302)] * 2
    assert code(service.client.get(LIST, headers=service.headers("b"))) == (200, 0)


# --- claim types (issue 10): exp, nbf and iat are JSON numbers, each error named --------


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": "abc"},
        {"exp": "9999999999"},
        {"exp": True},
        {"exp": float("inf")},
        {"nbf": "0"},
        {"iat": "0"},
        {"exp": [9999999999]},
    ],
    ids=repr,
)
def test_time_claims_must_be_json_numbers(service, claims):
    """PyJWT reads a time with int(): "9999999999" and true passed, "abc" and Infinity
    were reported as forgeries. Each is a malformed token (1002) naming its claim."""
    access, secret = service.keys()
    tok = token(access, secret, **claims)
    response = service.client.get(LIST, headers={"Authorization": f"Bearer {tok}"})
    assert code(response) == (401, 1002), response.json()
    (name,) = claims
    assert f"{name} must be a number" in response.json()["message"], response.json()


def test_a_future_iat_is_reported_as_iat(service):
    access, secret = service.keys()
    tok = token(access, secret, iat=int(time.time()) + 600)
    response = service.client.get(LIST, headers={"Authorization": f"Bearer {tok}"})
    assert code(response) == (401, 1003)
    assert "iat is in the future" in response.json()["message"], response.json()
    early = token(access, secret, nbf=int(time.time()) + 600, iat=int(time.time()) + 600)
    response = service.client.get(LIST, headers={"Authorization": f"Bearer {early}"})
    assert "nbf is in the future" in response.json()["message"], response.json()


def test_a_claim_error_of_a_well_signed_token_is_not_called_a_bad_signature(service):
    access, secret = service.keys()
    tok = token(access, secret, aud="someone-else")
    response = service.client.get(LIST, headers={"Authorization": f"Bearer {tok}"})
    assert code(response) == (401, 1002), response.json()
    assert "signature" not in response.json()["message"], response.json()
