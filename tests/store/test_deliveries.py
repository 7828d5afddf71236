"""Webhook deliveries are claimed in the store: across threads and processes (two stores on
one database) each is in flight at most once and a task's go one at a time, in order; a
dead sender's lease runs out, so nothing is lost, and its late outcome is ignored. On
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from reelforge.service.callbacks import CALLBACK_LEASE_S, CallbackSender
from reelforge.store import Store
from reelforge.store.db import Database
from reelforge.store.models import WebhookDelivery
from tests.service.harness import CallbackReceiver, wait_until

from ..tasks import bare_task

WORKER = "w:1:deliveries"
STATUSES = ["submitted", "processing", "succeed"]


@pytest.fixture
def other(store) -> Iterator[Store]:
    """A second store on the same database, as a second server process has."""
    second = Store(store.config, Database(store.config.db_url), callback_body=store.callback_body)
    yield second
    second.db.dispose()


def queue(store: Store, tasks: int, url: str = "https://example.com/hook") -> dict[str, list[str]]:
    """``tasks`` tasks run to ``succeed``, three deliveries each: task id → delivery ids
    in the order they were queued."""
    account = store.account("a")
    for _ in range(tasks):
        store.queue.submit(account, bare_task(translated={}, callback_url=url), max_running=1000)
    for _ in range(tasks):
        task = store.queue.claim(WORKER)
        assert task is not None
        store.queue.succeed(task.id, WORKER, [])
    with store.db.read() as s:
        rows = s.query(WebhookDelivery).order_by(WebhookDelivery.created_at).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.task_id, []).append(row.id)
    assert all(
        [store.outbox.of_task(t)[i].body["data"]["task_status"] for i in range(3)] == STATUSES
        for t in out
    )
    return out


def test_concurrent_claims_send_each_delivery_once_and_a_tasks_one_at_a_time_in_order(store, other):
    queued = queue(store, 8)
    every = {d for ids in queued.values() for d in ids}
    task_of = {d: t for t, ids in queued.items() for d in ids}
    claimed: list[str] = []
    in_flight: dict[str, str] = {}
    clashes: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def sender(s: Store) -> None:
        start.wait()
        while True:
            with lock:
                if len(claimed) == len(every):
                    return
            batch = s.outbox.claim(3, lease_ms=600_000)
            with lock:
                for delivery in batch:
                    claimed.append(delivery.id)
                    task = task_of[delivery.id]
                    if task in in_flight:
                        clashes.append((in_flight[task], delivery.id))
                    in_flight[task] = delivery.id
            for delivery in batch:  # "sent": out of flight just before the store hears so
                with lock:
                    del in_flight[task_of[delivery.id]]
                assert s.outbox.done(delivery)

    threads = [threading.Thread(target=sender, args=(s,)) for s in [store, other] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert clashes == []
    assert Counter(claimed).most_common(1)[0][1] == 1 and set(claimed) == every
    for ids in queued.values():
        assert [d for d in claimed if d in ids] == ids  # in the order they were queued
    assert {d.state for t in queued for d in store.outbox.of_task(t)} == {"delivered"}


def test_two_senders_on_one_database_deliver_each_webhook_id_exactly_once(store, other):
    gate = threading.Event()
    receiver = CallbackReceiver(hold=gate)  # answers nothing until the gate opens
    senders = [CallbackSender(s, allow_private=True, poll_s=0.05) for s in (store, other)]
    try:
        queued = queue(store, 4, receiver.url())
        every = {d for ids in queued.values() for d in ids}
        # Round one, every sender dispatching at once from several threads while the
        # receiver holds every request: each started send is one distinct webhook-id.
        started: list[int] = []
        start = threading.Barrier(6)

        def dispatch(sender: CallbackSender) -> None:
            start.wait()
            started.append(sender.dispatch())  # list.append is atomic

        threads = [threading.Thread(target=dispatch, args=(s,)) for s in senders * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        held = receiver.wait_for(lambda ds: len(ds) >= sum(started), timeout=60)
        ids = [d.headers["webhook-id"] for d in held]
        assert len(ids) == len(set(ids)) == sum(started) == len(queued)
        gate.set()
        for sender in senders:
            sender.start()
        wait_until(
            lambda: all(d.state == "delivered" for t in queued for d in store.outbox.of_task(t)),
            timeout=120,
            poll=0.05,
            what="every delivery delivered",
        )
    finally:
        gate.set()
        for sender in senders:
            sender.stop()
        receiver.close()
    got = receiver.deliveries
    assert Counter(d.headers["webhook-id"] for d in got).most_common(1)[0][1] == 1
    assert {d.headers["webhook-id"] for d in got} == every
    for task, ids in queued.items():
        order = [d.headers["webhook-id"] for d in got if d.headers["webhook-id"] in ids]
        assert order == ids, task


def test_a_dead_senders_lease_runs_out_and_its_late_outcome_is_ignored(store, other):
    queued = queue(store, 1)
    (task,) = queued
    (lost,) = store.outbox.claim(10, lease_ms=0)  # its sender dies: the lease ends now
    (again,) = other.outbox.claim(10, lease_ms=600_000)
    assert again.id == lost.id == queued[task][0]
    assert (lost.attempts, again.attempts) == (1, 2)
    assert other.outbox.claim(10, lease_ms=600_000) == []  # held: the task waits
    assert not store.outbox.done(lost, error="HTTP 500", retry_at=0)  # too late: ignored
    assert other.outbox.done(again)
    (after,) = [d for d in store.outbox.of_task(task) if d.id == again.id]
    assert (after.state, after.attempts, after.last_error) == ("delivered", 2, "")
    (nxt,) = store.outbox.claim(10, lease_ms=600_000)
    assert nxt.id == queued[task][1]


def test_a_send_that_crashes_is_retried_after_the_backoff_not_the_lease(store, monkeypatch):
    queued = queue(store, 1)
    (task,) = queued
    sender = CallbackSender(store, allow_private=True)

    def broken(account_id: int) -> str:
        raise RuntimeError("the secret store is unreadable")

    monkeypatch.setattr(store, "webhook_secret", broken)
    try:
        assert sender.dispatch() == 1
        first = queued[task][0]

        def settled() -> WebhookDelivery | None:
            (row,) = [d for d in store.outbox.of_task(task) if d.id == first]
            return row if row.state != "sending" else None

        row = wait_until(settled, timeout=30)
    finally:
        sender.stop()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "internal error (RuntimeError)"
    lease_end = row.created_at + int(CALLBACK_LEASE_S * 1000)
    assert row.next_attempt_at < lease_end  # the backoff's 2 s, not the 300 s lease
