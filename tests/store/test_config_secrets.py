"""The server's secrets (webhook signing, file URLs) are made once, on first use, by
whichever thread or process asks first; everyone else reads the winner's."""

from __future__ import annotations

import stat
import threading

import pytest

from reelforge.store.config import load_config

THREADS = 8
ROUNDS = 20
"""Fresh homes raced for (the race is narrow: one round alone may not hit it)."""


def race(home) -> tuple[list[str], list[BaseException]]:
    """``THREADS`` threads asking a fresh home for its webhook secret at once."""
    config = load_config(home)
    start = threading.Barrier(THREADS)
    got: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            got.append(config.webhook_secret())
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got, errors


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_threads_racing_for_a_new_secret_all_get_the_same_one(tmp_path, round_):
    got, errors = race(tmp_path / "home")
    assert not errors, errors
    assert len(got) == THREADS and len(set(got)) == 1
    files = sorted(p.name for p in (tmp_path / "home").iterdir())
    assert not [f for f in files if f.endswith(".tmp")], files
    secret = tmp_path / "home" / "webhook_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
