"""Callbacks: Standard Webhooks signatures, retries with backoff, giving up, and a dead
receiver that never holds up the queue."""

from __future__ import annotations

import json
import time

import httpx

from reelforge.service import callbacks
from reelforge.service.callbacks import CallbackSender, backoff_s, sign, verify


def test_signature_matches_the_standard_webhooks_reference_vector():
    # The example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_backoff_doubles_and_is_capped():
    assert [backoff_s(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert backoff_s(50) == callbacks.CALLBACK_BACKOFF_MAX_S


def test_callbacks_are_signed_with_the_query_body_for_each_status(make_service):
    received = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append((dict(request.headers), request.content))
        return httpx.Response(204)

    service = make_service(callback_transport=httpx.MockTransport(receiver))
    headers = service.headers()
    body = {"prompt": "A calm sea.", "duration": "3", "callback_url": "http://127.0.0.1:9/hook"}
    tid = service.client.post("/v1/videos/text2video", json=body, headers=headers).json()["data"][
        "task_id"
    ]
    service.wait(f"/v1/videos/text2video/{tid}", headers)
    deadline = time.monotonic() + 10
    while len(received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    secret = service.store.config.webhook_secret()
    statuses = []
    for hdrs, content in received:
        assert verify(secret, hdrs, content)
        assert not verify(secret, hdrs, content + b" ")
        payload = json.loads(content)
        assert payload["code"] == 0 and payload["data"]["task_id"] == tid
        statuses.append(payload["data"]["task_status"])
    assert statuses == ["submitted", "processing", "succeed"]
    while time.monotonic() < deadline:  # the sender records the outcome after the answer
        if all(d.state == "delivered" for d in service.store.outbox.of_task(tid)):
            break
        time.sleep(0.05)
    assert all(d.state == "delivered" for d in service.store.outbox.of_task(tid))


def test_an_unreachable_receiver_is_retried_then_given_up_and_never_stalls_the_queue(
    make_service, monkeypatch
):
    monkeypatch.setattr(callbacks, "backoff_s", lambda attempt: 0.05)
    calls = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        raise httpx.ConnectError("connection refused", request=request)

    service = make_service(callback_transport=httpx.MockTransport(down))
    headers = service.headers()
    body = {"prompt": "A calm sea.", "duration": "3", "callback_url": "http://127.0.0.1:9/hook"}
    ids = [
        service.client.post("/v1/videos/text2video", json=body, headers=headers).json()["data"][
            "task_id"
        ]
        for _ in range(3)
    ]
    for tid in ids:  # tasks finish although no callback gets through
        assert service.wait(f"/v1/videos/text2video/{tid}", headers)["task_status"] == "succeed"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        states = [d.state for tid in ids for d in service.store.outbox.of_task(tid)]
        if states and all(s == "failed" for s in states):
            break
        time.sleep(0.1)
    deliveries = [d for tid in ids for d in service.store.outbox.of_task(tid)]
    assert all(
        d.state == "failed" and d.attempts == callbacks.CALLBACK_MAX_ATTEMPTS for d in deliveries
    )
    assert "ConnectError" in deliveries[0].last_error


def test_a_callback_to_a_private_address_is_refused_when_not_allowed(make_service):
    service = make_service(allow_private_urls=False)
    sender = CallbackSender(
        service.store,
        allow_private=False,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    account = service.store.account("a")
    from ..tasks import bare_task

    task = service.store.queue.submit(
        account,
        bare_task(translated={}, callback_url="http://10.0.0.1/hook"),
        max_running=5,
    )
    delivery = service.store.outbox.of_task(task.id)[0]
    sender.send(delivery)
    sender.stop()
    (after,) = service.store.outbox.of_task(task.id)
    assert after.state == "failed" and "private" in after.last_error
