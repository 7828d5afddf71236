"""Callbacks: the query body, signed the Standard Webhooks way, retried with backoff, and a
receiver that is down, failing or hanging never holds up rendering."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time

import pytest

from reelforge.client import verify_webhook

from .harness import CALLBACK_SECRET, CallbackReceiver, Server, free_port

WAIT = {"poll": 0.25, "timeout": 240, "progress": False}
BODY = {"model_name": "kling-v3", "mode": "std", "duration": "3", "aspect_ratio": "1:1"}


def statuses(deliveries) -> list[str]:
    return [d.json()["data"]["task_status"] for d in deliveries]


def independent_signature_ok(d) -> bool:
    """Standard Webhooks verification written out here, not via reelforge.client."""
    key = base64.b64decode(CALLBACK_SECRET.removeprefix("whsec_"))
    signed = f"{d.headers['webhook-id']}.{d.headers['webhook-timestamp']}.".encode() + d.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        s.partition(",")[2] == expected
        for s in d.headers["webhook-signature"].split()
        if s.startswith("v1,")
    )


@pytest.fixture(scope="module")
def acct(sqlite_server: Server):
    return sqlite_server.account("hooks")


@pytest.fixture
def kling(sqlite_server, acct):
    with sqlite_server.client(acct) as c:
        yield c


def test_callbacks_are_signed_query_bodies(kling, receiver):
    task = kling.submit(
        "text2video",
        prompt="A bell rings.",
        callback_url=receiver.url("/done?x=1"),
        external_task_id="hook-1",
        **BODY,
    )
    done = kling.wait(task, **WAIT)
    got = receiver.wait_for(lambda ds: "succeed" in statuses(ds), timeout=60)
    assert statuses(got)[-1] == "succeed"
    # every status change is reported, in order, at most once each
    seen = statuses(got)
    assert seen == sorted(seen, key=["submitted", "processing", "succeed"].index)
    assert len(seen) == len(set(seen))
    for d in got:
        assert d.path == "/done?x=1"
        assert d.headers["content-type"].startswith("application/json")
        assert d.headers["webhook-id"] and d.headers["webhook-timestamp"].isdigit()
        assert abs(int(d.headers["webhook-timestamp"]) - d.at) < 120
        assert verify_webhook(CALLBACK_SECRET, d.headers, d.body)
        assert independent_signature_ok(d)
        assert not verify_webhook(
            "whsec_" + base64.b64encode(b"x" * 32).decode(), d.headers, d.body
        )
    assert len({d.headers["webhook-id"] for d in got}) == len(got)
    final = got[-1].json()
    assert final["code"] == 0 and final["request_id"]
    data = final["data"]
    assert data["task_id"] == done.task_id and data["task_info"]["external_task_id"] == "hook-1"
    query = done.raw
    for key in (
        "task_id",
        "task_status",
        "task_status_msg",
        "task_info",
        "final_unit_deduction",
        "created_at",
    ):
        assert data[key] == query[key], key
    assert [v["id"] for v in data["task_result"]["videos"]] == [v.id for v in done.videos]
    assert (
        data["task_result"]["videos"][0]["duration"]
        == query["task_result"]["videos"][0]["duration"]
    )


def test_failing_receiver_is_retried_with_backoff_under_the_same_id(kling):
    hook = CallbackReceiver(fail_first=3)
    try:
        task = kling.submit("text2video", prompt="Retry me.", callback_url=hook.url(), **BODY)
        kling.wait(task, **WAIT)
        got = hook.wait_for(lambda ds: "succeed" in statuses(ds), timeout=120)
        first = hook.refused[0]
        retried = [
            d for d in hook.refused + got if d.headers["webhook-id"] == first.headers["webhook-id"]
        ]
        assert len(retried) >= 2, "a refused delivery was not retried under the same webhook-id"
        assert all(d.body == first.body for d in retried)
        times = sorted(d.at for d in retried)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if len(gaps) >= 2:
            assert gaps[-1] >= gaps[0] * 0.9, f"no backoff between retries: {gaps}"
    finally:
        hook.close()


def _blackhole() -> socket.socket:
    """A socket that accepts connections (kernel backlog) but never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def test_unreachable_and_hanging_receivers_never_stall_the_queue(sqlite_server, kling):
    closed = f"http://127.0.0.1:{free_port()}/nobody-home"
    hole = _blackhole()
    hanging = f"http://127.0.0.1:{hole.getsockname()[1]}/hang"
    failing = CallbackReceiver(fail_first=10**6)
    try:
        t0 = time.monotonic()
        bad = [
            kling.submit("text2video", prompt=f"Bad hook {i}.", callback_url=url, **BODY)
            for i, url in enumerate([closed, hanging, failing.url(), closed, hanging])
        ]
        good = [kling.submit("text2video", prompt=f"No hook {i}.", **BODY) for i in range(3)]
        finished = [kling.wait(t, **WAIT) for t in bad + good]
        assert all(t.succeeded for t in finished)
        elapsed = time.monotonic() - t0
        # the failing receiver keeps being retried while everything else got done
        failing_attempts = [d for d in failing.refused]
        assert failing_attempts, "the failing receiver was never called"
        ids = [d.headers["webhook-id"] for d in failing_attempts]
        assert len(ids) > len(set(ids)), f"no retry seen in {elapsed:.0f} s: {ids}"
        # a fresh task still finishes promptly behind all the pending deliveries
        t1 = time.monotonic()
        assert kling.wait(kling.submit("text2video", prompt="Last one.", **BODY), **WAIT).succeeded
        assert time.monotonic() - t1 < 60
    finally:
        hole.close()
        failing.close()
