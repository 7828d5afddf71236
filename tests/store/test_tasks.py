"""Tasks in the store: atomic claims, requeue of orphans, limits, lookups, deliveries,
signed artifact URLs."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from reelforge.store import DuplicateExternalId, NewTask, Store, TooManyTasks
from reelforge.store.db import Database
from reelforge.store.models import Task, WebhookDelivery, now_ms
from reelforge.store.queue import HEARTBEAT_STALE_MS, MAX_TASK_ATTEMPTS

from ..tasks import bare_task

HOST = socket.gethostname()


def new(credits: int = 0, endpoint: str = "text2video", **kw) -> NewTask:
    return bare_task(endpoint=endpoint, request={"prompt": "x"}, credits=credits, **kw)


def test_concurrent_claims_give_every_task_to_exactly_one_worker(store):
    account = store.account("a")
    ids = {store.queue.submit(account, new(), max_running=1000).id for _ in range(40)}
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        worker = f"{HOST}:{os.getpid()}:w{n}"
        while True:
            task = store.queue.claim(worker)
            if task is None:
                return
            with lock:
                claimed.append((task.id, worker))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    got = [tid for tid, _ in claimed]
    assert sorted(got) == sorted(ids)  # all claimed, none twice
    with store.db.read() as s:
        for tid, worker in claimed:
            task = s.get(Task, tid)
            assert task.status == "processing" and task.worker_id == worker and task.attempts == 1


def test_claims_are_oldest_first(store):
    account = store.account("a")
    first = store.queue.submit(account, new(), max_running=10)
    time.sleep(0.002)
    store.queue.submit(account, new(), max_running=10)
    assert store.queue.claim("w:1:a").id == first.id


def test_orphans_of_dead_or_stale_workers_are_requeued_live_ones_are_not(store):
    account = store.account("a")
    dead, stale, live, mine = (store.queue.submit(account, new(), max_running=10) for _ in range(4))
    dead_pid = 2**22 + 12345  # beyond pid_max on usual systems: not running
    store.queue.claim(f"{HOST}:{dead_pid}:x")
    store.queue.claim("other-host:1:y")
    store.queue.claim(f"{HOST}:{os.getppid()}:z")  # a live process (our parent)
    store.queue.claim(f"{HOST}:{os.getpid()}:me")
    with store.db.write() as s:
        s.get(Task, stale.id).heartbeat_at = now_ms() - HEARTBEAT_STALE_MS - 1000
    requeued = store.queue.requeue_orphans(frozenset({f"{HOST}:{os.getpid()}:me"}))
    assert sorted(requeued) == sorted([dead.id, stale.id])
    assert store.tasks.get_any(dead.id).status == "submitted"
    assert store.tasks.get_any(live.id).status == "processing"
    assert store.tasks.get_any(mine.id).status == "processing"
    # a fresh process with the same pid (container restart): our own old worker id is gone
    assert store.queue.requeue_orphans(frozenset()) == [mine.id]


def test_requeued_task_runs_again_and_a_task_that_keeps_dying_is_failed_and_refunded(store):
    account = store.account("a")
    store.grant("a", 10)
    task = store.queue.submit(account, new(credits=10), max_running=10)
    for n in range(MAX_TASK_ATTEMPTS):
        assert store.queue.claim(f"gone:{n}").id == task.id  # malformed worker ids count as gone
        assert store.queue.requeue_orphans() == [task.id]
    assert store.queue.claim("gone:last") is None
    final = store.tasks.get_any(task.id)
    assert final.status == "failed" and "interrupted" in final.status_msg
    assert store.balance(account.id) == 10


def test_old_worker_cannot_write_a_task_that_was_requeued(store):
    account = store.account("a")
    task = store.queue.submit(account, new(), max_running=10)
    store.queue.claim("gone:1")
    store.queue.requeue_orphans()
    assert store.queue.claim(f"{HOST}:{os.getpid()}:new").id == task.id
    assert not store.queue.set_progress(task.id, "gone:1", 50)
    assert not store.queue.succeed(task.id, "gone:1", [])
    assert store.queue.succeed(task.id, f"{HOST}:{os.getpid()}:new", [])


def test_running_limit_and_unique_external_ids(store):
    account = store.account("a")
    store.queue.submit(account, new(external_task_id="x1"), max_running=2)
    with pytest.raises(DuplicateExternalId):
        store.queue.submit(account, new(external_task_id="x1"), max_running=2)
    store.queue.submit(account, new(), max_running=2)
    with pytest.raises(TooManyTasks):
        store.queue.submit(account, new(), max_running=2)
    other = store.account("b")
    store.queue.submit(other, new(external_task_id="x1"), max_running=2)  # unique per account only


def test_lookups_are_scoped_to_account_and_endpoint(store):
    a, b = store.account("a"), store.account("b")
    task = store.queue.submit(a, new(external_task_id="mine"), max_running=10)
    assert store.tasks.get(a.id, "text2video", task.id).id == task.id
    assert store.tasks.get(a.id, "text2video", "mine").id == task.id
    assert store.tasks.get(b.id, "text2video", task.id) is None
    assert store.tasks.get(b.id, "text2video", "mine") is None
    assert store.tasks.get(a.id, "image2video", task.id) is None
    assert [t.id for t in store.tasks.page(a.id, "text2video", 1, 10)] == [task.id]
    assert store.tasks.page(b.id, "text2video", 1, 10) == []


def test_a_store_given_no_callback_body_refuses_a_callback_task_and_keeps_nothing(store):
    """The body is the API's (``create_app`` gives it); a store without one fails loudly,
    in the transaction, rather than queue a callback it cannot write."""
    bare = Store(store.config, Database(store.config.db_url))
    account = bare.account("a")
    with pytest.raises(RuntimeError, match="no callback_body"):
        bare.queue.submit(account, new(callback_url="https://example.com/hook"), max_running=10)
    assert bare.tasks.page(account.id, "text2video", 1, 10) == []
    assert bare.queue.submit(account, new(), max_running=10).callback_url is None
    bare.db.dispose()


def test_every_status_change_queues_a_callback_with_the_query_body(store):
    account = store.account("a")
    task = store.queue.submit(account, new(callback_url="https://example.com/hook"), max_running=10)
    store.queue.claim("w:1:a")
    store.queue.set_progress(task.id, "w:1:a", 40)  # progress is not a status change
    store.queue.succeed(
        task.id,
        "w:1:a",
        [{"id": f"{task.id}-0", "path": f"{account.id}/{task.id}/video.mp4", "duration": 5.04}],
    )
    deliveries = store.outbox.of_task(task.id)
    assert [d.body["data"]["task_status"] for d in deliveries] == [
        "submitted",
        "processing",
        "succeed",
    ]
    video = deliveries[-1].body["data"]["task_result"]["videos"][0]
    assert video["duration"] == "5.04" and "/v1/files/" in video["url"]
    assert all(d.state == "pending" and d.id.startswith("msg_") for d in deliveries)
    # one at a time, in order: the first retried later, the second delivered, the third failed
    (first,) = store.outbox.claim(10, lease_ms=60_000)
    assert first.id == deliveries[0].id and first.state == "sending" and first.attempts == 1
    store.outbox.done(first, error="HTTP 500", retry_at=now_ms() - 1)
    (retried,) = store.outbox.claim(10, lease_ms=60_000)
    store.outbox.done(retried)
    (second,) = store.outbox.claim(10, lease_ms=60_000)
    store.outbox.done(second)
    (third,) = store.outbox.claim(10, lease_ms=60_000)
    store.outbox.done(third, error="gone", retry_at=None)
    with store.db.read() as s:
        states = {d.id: (d.state, d.attempts) for d in s.query(WebhookDelivery)}
    assert [states[d.id] for d in deliveries] == [
        ("delivered", 2),
        ("delivered", 1),
        ("failed", 1),
    ]
    assert store.outbox.claim(10, lease_ms=60_000) == []


def test_signed_urls_verify_and_expire(store):
    art = store.artifacts
    url = art.url("1/t/video.mp4", "http://h:1", now=1000.0)
    query = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
    expires, sig = int(query["expires"]), query["signature"]
    assert art.verify("1/t/video.mp4", expires, sig, now=1000.0)
    assert not art.verify("2/t/video.mp4", expires, sig, now=1000.0)
    assert not art.verify("1/t/video.mp4", expires + 1, sig, now=1000.0)
    assert not art.verify("1/t/video.mp4", expires, sig, now=expires + 1)
    assert art.resolve("1/../../etc/passwd") is None
    assert art.owner("12/t/video.mp4") == 12
