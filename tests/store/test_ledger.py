"""The credit ledger: grant, hold, settle, refund; never below zero, even under
concurrent holds; settle and refund happen once."""

from __future__ import annotations

import threading

import pytest

from reelforge.store import NewTask, OutOfCredits, ledger
from reelforge.store.models import LedgerEntry, Task

from ..tasks import bare_task


def new(credits: int, **kw) -> NewTask:
    return bare_task(tier="cinema", credits=credits, **kw)


def test_hold_settle_and_refund_balance_is_the_sum_of_entries(store):
    account = store.account("alice")
    assert store.grant("alice", 100) == 100
    ok = store.queue.submit(account, new(30), max_running=10)
    bad = store.queue.submit(account, new(20), max_running=10)
    assert store.balance(account.id) == 50
    w = "host:1:a"
    assert store.queue.claim(w).id == ok.id
    assert store.queue.succeed(ok.id, w, [])
    assert store.queue.claim(w).id == bad.id
    assert store.queue.fail(bad.id, "engine exploded", w)
    assert store.balance(account.id) == 70
    with store.db.read() as s:
        kinds = sorted(e.kind for e in s.query(LedgerEntry).filter_by(account_id=account.id))
        assert kinds == ["grant", "hold", "hold", "refund", "settle"]
        assert s.get(Task, ok.id).credits_final == 30
        assert s.get(Task, bad.id).credits_final == 0


def test_a_hold_beyond_the_balance_writes_nothing(store):
    account = store.account("bob")
    store.grant("bob", 10)
    with pytest.raises(OutOfCredits) as info:
        store.queue.submit(account, new(11), max_running=10)
    assert info.value.balance == 10 and info.value.needed == 11
    assert store.balance(account.id) == 10
    with store.db.read() as s:
        assert s.query(Task).count() == 0


def test_settle_and_refund_happen_once(store):
    account = store.account("carol")
    store.grant("carol", 50)
    task = store.queue.submit(account, new(40), max_running=10)
    with store.db.write() as s:
        t = s.get(Task, task.id)
        assert ledger.settle(s, t)
        assert not ledger.settle(s, t)
        assert not ledger.refund(s, t)
    assert store.balance(account.id) == 10
    assert not store.queue.fail(task.id, "late failure") or store.balance(account.id) == 10


def test_concurrent_holds_never_take_an_account_below_zero(store):
    account = store.account("dave")
    store.grant("dave", 100)
    results: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            store.queue.submit(account, new(10), max_running=1000)
            outcome = "ok"
        except OutOfCredits:
            outcome = "out"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 10 and results.count("out") == 14
    assert store.balance(account.id) == 0


def test_unmetered_accounts_write_no_entries(store):
    local = store.account("local", metered=False)
    task = store.queue.submit(local, new(500), max_running=10)
    assert store.queue.claim("h:1:x").id == task.id
    assert store.queue.succeed(task.id, "h:1:x", [])
    assert store.balance(local.id) == 0
    assert store.tasks.get_any(task.id).credits_final == 500


def test_grants_must_be_positive(store):
    with pytest.raises(ValueError):
        store.grant("erin", 0)
