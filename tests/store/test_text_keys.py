"""Lookups by a key the database cannot hold (a NUL, a lone surrogate) find nothing and
never reach the database: PostgreSQL fails any query carrying a NUL, and no driver can
encode a lone surrogate. These keys come from paths, bodies and unverified JWTs."""

from __future__ import annotations

import pytest

from reelforge.store import accounts as acc

from ..tasks import bare_task

BAD_KEYS = ["abc\x00def", "\x00", "iss\ud800", "\udfff"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_task_lookups_by_a_bad_key_find_nothing(store, key):
    account = store.account("a")
    task = store.queue.submit(
        account,
        bare_task(translated={}, external_task_id="order-1"),
        max_running=10,
    )
    assert store.tasks.get(account.id, "text2video", key) is None
    assert store.tasks.get_any(key) is None
    assert store.tasks.find_video(account.id, key) is None
    assert store.tasks.find_video(account.id, f"{key}-0") is None
    # the connection is still good afterwards (PostgreSQL used to drop it)
    assert store.tasks.get(account.id, "text2video", "order-1").id == task.id


@pytest.mark.parametrize("key", BAD_KEYS)
def test_account_lookups_by_a_bad_key_find_nothing(store, key):
    with store.db.write() as s:
        owner = acc.get_or_create_account(s, "a")
        access, _secret = acc.create_key_pair(s, owner)
    with store.db.write() as s:
        assert acc.pair_secret(s, key) is None
        assert acc.find_account(s, key) is None
        assert acc.api_key_account(s, acc.API_KEY_PREFIX + key) is None
        assert acc.revoke_key(s, key) is False
        assert acc.pair_secret(s, access) is not None
