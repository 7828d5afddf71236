"""500 concurrent submissions on loopback: every acknowledged task exists (once), and when
the queue has drained, every task was rendered exactly once.

Submissions go through a bounded thread pool (``SUBMITTERS`` at a time); the tasks are
the cheapest the API allows (std, 3 s, square, silent), rendered by a ``--workers 2``
server. Draining 500 renders on a small machine takes minutes, so that half is ``slow``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from .harness import Account, Server, kling_jwt

N = 500
SUBMITTERS = 32
GRANT = 10_000_000
DRAIN_TIMEOUT_S = 1500
T2V = "/v1/videos/text2video"
BODY = {
    "model_name": "kling-v3",
    "mode": "std",
    "duration": "3",
    "aspect_ratio": "1:1",
    "sound": "off",
}


@dataclass
class Crowd:
    server: Server
    account: Account
    token: str
    acked: dict[int, str] = field(default_factory=dict)
    """submission index → task_id, for every code-0 answer."""
    refused: dict[int, dict] = field(default_factory=dict)
    lost: dict[int, str] = field(default_factory=dict)
    """No answer (transport error): the task may or may not exist, but at most once."""
    seconds: float = 0.0

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url,
            timeout=120,
            headers={"Authorization": f"Bearer {self.token}"},
            limits=httpx.Limits(
                max_connections=SUBMITTERS * 2, max_keepalive_connections=SUBMITTERS
            ),
        )


@pytest.fixture(scope="module")
def crowd(make_server, backend):
    server = make_server(backend, args=("--workers", "2"))
    acct = server.account("crowd", credits=GRANT)
    c = Crowd(server, acct, kling_jwt(acct.access_key, acct.secret_key))
    with c.http() as http:

        def submit(i: int) -> None:
            try:
                r = http.post(
                    T2V,
                    json={
                        **BODY,
                        "prompt": f"Crowd scene number {i}.",
                        "external_task_id": f"crowd-{i}",
                    },
                )
                body = r.json()
            except (httpx.TransportError, ValueError) as exc:
                c.lost[i] = repr(exc)
                return
            if body.get("code") == 0:
                c.acked[i] = body["data"]["task_id"]
            else:
                c.refused[i] = {"http": r.status_code, **body}

        t0 = time.monotonic()
        with ThreadPoolExecutor(SUBMITTERS) as pool:
            list(pool.map(submit, range(N), timeout=600))
        c.seconds = time.monotonic() - t0
    yield c
    server.stop()


def test_500_concurrent_submissions_all_acknowledged_tasks_exist(crowd):
    refused_codes = sorted(
        {(v["http"], v.get("code"), v.get("message", "")[:80]) for v in crowd.refused.values()}
    )
    assert not crowd.lost, (
        f"{len(crowd.lost)} submissions got no answer, e.g. {next(iter(crowd.lost.values()))}"
    )
    assert not crowd.refused, f"{len(crowd.refused)} refused: {refused_codes}"
    assert len(crowd.acked) == N
    assert len(set(crowd.acked.values())) == N, "two submissions got the same task_id"
    with crowd.http() as http:
        # every acknowledged task can be queried, by task_id and by external_task_id
        def check(item):
            i, task_id = item
            by_id = http.get(f"{T2V}/{task_id}").json()
            by_ext = http.get(f"{T2V}/crowd-{i}").json()
            return (
                by_id["code"],
                by_id["data"]["task_id"],
                by_ext["data"]["task_id"],
                by_id["data"]["task_status"],
            )

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(check, crowd.acked.items(), timeout=600))
        for (i, task_id), (code, got, ext, status) in zip(
            crowd.acked.items(), answers, strict=True
        ):
            assert (code, got, ext) == (0, task_id, task_id), i
            assert status in ("submitted", "processing", "succeed")
        listed = http.get(T2V, params={"pageNum": 1, "pageSize": 500}).json()["data"]
        assert {t["task_id"] for t in listed} == set(crowd.acked.values())
    # the store holds exactly these tasks, each once
    rows = crowd.server.db_rows("SELECT id, attempts FROM tasks")
    assert sorted(r[0] for r in rows) == sorted(crowd.acked.values())
    # the renders under way since: none was claimed twice so far
    assert not [r for r in rows if r[1] > 1]
    holds = crowd.server.db_rows(
        "SELECT COUNT(*), COUNT(DISTINCT task_id) FROM ledger WHERE kind = 'hold'"
    )
    assert holds == [(N, N)]
    print(
        f"\n{N} submissions in {crowd.seconds:.1f} s ({N / crowd.seconds:.0f}/s) on {crowd.server.database_url or 'sqlite'}"
    )


@pytest.mark.slow
def test_500_tasks_each_rendered_exactly_once(crowd):
    assert len(crowd.acked) == N
    ids = set(crowd.acked.values())
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    with crowd.http() as http:
        while True:
            page = http.get(T2V, params={"pageNum": 1, "pageSize": 500}).json()["data"]
            left = [t for t in page if t["task_status"] in ("submitted", "processing")]
            if not left:
                break
            assert time.monotonic() < deadline, (
                f"{len(left)} tasks unfinished after {DRAIN_TIMEOUT_S} s"
            )
            time.sleep(2)
    tasks = {t["task_id"]: t for t in page}
    assert set(tasks) == ids
    failed = {k: t["task_status_msg"] for k, t in tasks.items() if t["task_status"] != "succeed"}
    assert not failed, f"{len(failed)} failed, e.g. {next(iter(failed.values()))}"
    videos = [v["id"] for t in tasks.values() for v in t["task_result"]["videos"]]
    assert len(videos) == N and len(set(videos)) == N

    server = crowd.server
    # claimed exactly once each ...
    attempts = dict(server.db_rows("SELECT id, attempts FROM tasks"))
    twice = {k: n for k, n in attempts.items() if n != 1}
    assert not twice, f"tasks run more than once: {twice}"
    # ... one rendered video in each task's folder ...
    [(account_id,)] = server.db_rows("SELECT id FROM accounts WHERE name = 'crowd'")
    for task_id in ids:
        mp4s = list((server.home / "artifacts" / str(account_id) / task_id).rglob("*.mp4"))
        mp4s = [p for p in mp4s if "inputs" not in p.parts]
        assert len(mp4s) == 1, (task_id, mp4s)
    # ... and charged exactly once
    kinds = server.db_rows(
        "SELECT kind, COUNT(*) FROM ledger WHERE task_id IS NOT NULL GROUP BY kind"
    )
    assert dict(kinds) == {"hold": N, "settle": N}
    charged = sum(int(t["final_unit_deduction"]) for t in tasks.values())
    assert server.balance("crowd") == GRANT - charged
