"""One account cannot read another's tasks or files; result URLs are signed and expire."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from reelforge.client import KlingError

from .harness import Server

WAIT = {"poll": 0.25, "timeout": 240, "progress": False}


@pytest.fixture(scope="module")
def two(server: Server):
    alice, bob = server.account("iso-alice"), server.account("iso-bob")
    with server.client(alice) as a, server.client(bob) as b:
        done_a = a.wait(
            a.text2video(
                "Alice's secret garden.",
                model_name="kling-v3",
                mode="std",
                duration=3,
                external_task_id="iso-shared-name",
            ),
            **WAIT,
        )
        done_b = b.wait(
            b.text2video("Bob's boat.", model_name="kling-v3", mode="std", duration=3), **WAIT
        )
        yield a, b, done_a, done_b


def test_tasks_of_another_account_are_not_found(two):
    a, b, done_a, _ = two
    for endpoint in ("text2video", "image2video", "omni-video"):
        with pytest.raises(KlingError) as err:
            b.get(done_a.task_id, endpoint=endpoint)
        assert err.value.code == 1203 and err.value.http_status == 404
    with pytest.raises(KlingError):
        b.get(external_task_id="iso-shared-name")
    assert done_a.task_id not in {t.task_id for t in b.list(1, 500)}
    assert a.get(done_a).succeeded  # the owner still can


def test_external_task_id_is_unique_per_account_not_globally(two):
    _, b, done_a, _ = two
    mine = b.text2video(
        "Same name, other account.",
        model_name="kling-v3",
        mode="std",
        duration=3,
        external_task_id="iso-shared-name",
    )
    assert mine.task_id != done_a.task_id
    assert b.get(external_task_id="iso-shared-name").task_id == mine.task_id
    b.wait(mine, **WAIT)


def test_video_extend_cannot_use_another_accounts_video(two):
    _, b, done_a, _ = two
    with pytest.raises(KlingError) as err:
        b.video_extend(done_a.videos[0].id, "Steal it.")
    assert err.value.code in (1200, 1201, 1203) and err.value.http_status in (400, 404)


def _with(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = changes.pop("path", parts.path)
    query.update(changes)
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def test_artifact_urls_are_signed_per_file_and_expire(two):
    _, _, done_a, done_b = two
    url_a, url_b = done_a.videos[0].url, done_b.videos[0].url
    assert httpx.get(url_a).status_code == 200  # signed URL: no header needed, like Kling's CDN
    q = parse_qs(urlsplit(url_a).query)
    assert set(q) >= {"expires", "signature"}
    refused = [
        _with(url_a, signature="A" * len(q["signature"][0])),  # forged signature
        _with(url_a, expires=str(int(q["expires"][0]) + 3600)),  # extended expiry
        _with(url_a, expires=str(int(time.time()) - 10)),  # expired
        _with(url_b, path=urlsplit(url_a).path),  # bob's valid signature on alice's path
        urlunsplit(urlsplit(url_a)._replace(query="")),  # no signature at all
    ]
    for url in refused:
        r = httpx.get(url)
        assert r.status_code in (400, 401, 403, 404), (url, r.status_code)
        assert b"ftyp" not in r.content[:64]


def test_artifacts_are_not_readable_with_another_accounts_credentials(server, two):
    _, _, done_a, done_b = two
    alice, bob = server.account("iso-alice"), server.account("iso-bob")
    url_a = done_a.videos[0].url
    # alice's own signed URL, presented with bob's credentials: refused
    r = httpx.get(url_a, headers=bob.headers())
    assert r.status_code in (401, 403, 404), r.status_code
    assert b"ftyp" not in r.content[:64]
    # ... with alice's: served; and bob's credentials without a signature get nothing either
    assert httpx.get(url_a, headers=alice.headers()).status_code == 200
    bare = urlunsplit(urlsplit(url_a)._replace(query=""))
    assert httpx.get(bare, headers=bob.headers()).status_code in (400, 401, 403, 404)
    assert httpx.get(done_b.videos[0].url, headers=bob.headers()).status_code == 200


def test_path_traversal_is_refused(server, two):
    _, _, done_a, _ = two
    parts = urlsplit(done_a.videos[0].url)
    for path in (
        "/v1/files/../reelforge.db",
        "/v1/files/%2e%2e/reelforge.db",
        "/v1/files/1/../../server_secret",
    ):
        r = httpx.get(urlunsplit(parts._replace(path=path)))
        assert r.status_code in (400, 401, 403, 404), path
        assert b"SQLite" not in r.content[:32]
