"""``kill -9`` the server while a task renders, start it again on the same data dir: the
task finishes, and its credits are held once and settled once."""

from __future__ import annotations

import time

import pytest

from reelforge.media.probe import probe_video

from .harness import wait_until

GRANT = 10_000


def test_kill9_while_processing_then_restart(make_server, backend, tmp_path):
    server = make_server(backend)
    try:
        acct = server.account("crash", credits=GRANT)
        with server.client(acct) as kling:
            # a long 1080p render, so the kill lands mid-render; a second task waits in the queue
            long = kling.text2video(
                "A slow pan over a mountain range at dawn.",
                model_name="kling-v3",
                mode="pro",
                duration=10,
                external_task_id="crash-long",
            )
            queued = kling.text2video(
                "A candle flickers.", model_name="kling-v3", mode="std", duration=3
            )

            def processing():
                t = kling.get(long)
                return t if t.status == "processing" else None

            seen = wait_until(processing, timeout=120, poll=0.1, what="task processing")
            assert seen.status == "processing"
            server.kill9()

        # while it is down, both tasks still hold their credits (read from the store by the CLI)
        held = GRANT - server.balance("crash")
        assert held > 0

        t0 = time.monotonic()
        server.start()
        with server.client(acct) as kling:
            done = kling.wait(long, poll=0.25, timeout=300, progress=False)
            other = kling.wait(queued, poll=0.25, timeout=300, progress=False)
            assert done.succeeded and other.succeeded, (done.status_msg, other.status_msg)
            assert kling.get(external_task_id="crash-long").task_id == long.task_id
            info = probe_video(kling.download(done, tmp_path))
        assert info.duration == pytest.approx(10, abs=2 / 24) and (info.width, info.height) == (
            1920,
            1080,
        )
        assert time.monotonic() - t0 < 300

        # settled exactly once: the balance is the grant less the two final charges
        charged = int(done.final_unit_deduction) + int(other.final_unit_deduction)
        assert charged > 0
        assert server.balance("crash") == GRANT - charged
        # ... and stays so (no late second settlement or refund)
        time.sleep(1.0)
        assert server.balance("crash") == GRANT - charged

        # the store agrees: one hold and one settle per task, no refund
        for task in (long, queued):
            kinds = sorted(
                k
                for (k,) in server.db_rows(
                    f"SELECT kind FROM ledger WHERE task_id = '{task.task_id}'"
                )
            )
            assert kinds == ["hold", "settle"], (task.task_id, kinds)
        [(attempts,)] = server.db_rows(f"SELECT attempts FROM tasks WHERE id = '{long.task_id}'")
        assert attempts == 2  # interrupted once, run again once
    finally:
        server.stop()
