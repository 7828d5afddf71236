"""The executor and the Kling translation helpers, without HTTP."""

from __future__ import annotations

import threading

from reelforge.api.kling import kling_field, redact
from reelforge.service.worker import Executor
from reelforge.store.models import LedgerEntry

from ..store.conftest import make_store
from ..tasks import bare_task
from .conftest import fake_render


def test_a_task_left_processing_by_a_killed_server_finishes_after_restart_and_is_settled_once(
    tmp_path, monkeypatch
):
    store = make_store(tmp_path, "sqlite", monkeypatch)
    account = store.account("a")
    store.grant("a", 100)
    task = store.queue.submit(
        account,
        bare_task(translated={"workflow": "text2video", "duration": 3}, credits=30),
        max_running=5,
    )
    assert store.queue.claim("gone-host:4242:dead").id == task.id  # the "killed" server's claim
    store.queue.set_progress(task.id, "gone-host:4242:dead", 60)
    # the heartbeat of another host is fresh: a restart on this host leaves it alone ...
    executor = Executor(store, render=fake_render, poll_s=0.02)
    assert executor.store.queue.requeue_orphans() == []
    # ... until it goes stale (simulated), then the task is put back and run once.
    monkeypatch.setattr("reelforge.store.queue.HEARTBEAT_STALE_MS", -1)
    assert executor.start() == [task.id]
    done = threading.Event()
    for _ in range(200):
        if store.tasks.get_any(task.id).status == "succeed":
            done.set()
            break
        done.wait(0.05)
    executor.stop()
    final = store.tasks.get_any(task.id)
    assert final.status == "succeed" and final.credits_final == 30 and final.attempts == 2
    assert not store.queue.succeed(task.id, executor.worker_id, [])  # a second finish is refused
    with store.db.read() as s:
        kinds = [e.kind for e in s.query(LedgerEntry).filter_by(task_id=task.id)]
    assert kinds == ["hold", "settle"] and store.balance(account.id) == 70


def test_stopping_releases_a_running_task_back_to_the_queue(tmp_path, monkeypatch):
    store = make_store(tmp_path, "sqlite", monkeypatch)
    account = store.account("a")
    started = threading.Event()

    def slow(request, *, output, progress, cancel, previz):
        started.set()
        while True:
            cancel.raise_if_cancelled()
            started.wait(0.01)

    task = store.queue.submit(
        account,
        bare_task(),
        max_running=5,
    )
    executor = Executor(store, render=slow, poll_s=0.02)
    executor.start()
    assert started.wait(10)
    executor.stop()
    after = store.tasks.get_any(task.id)
    assert after.status == "submitted" and after.worker_id is None


def test_kling_field_names_in_messages():
    assert kling_field("shots[1].duration", "text2video") == "multi_prompt[1].duration"
    assert kling_field("camera.zoom", "text2video") == "camera_control.config.zoom"
    assert kling_field("end_image", "image2video") == "image_tail"
    assert kling_field("images[0].path", "omni") == "image_list[0].image_url"
    assert kling_field("elements[1].images[0]", "omni") == "element_list[1].image_list[0].image_url"
    assert kling_field("video.path", "omni") == "video_list[0].video_url"
    assert kling_field("video", "motion") == "video_url"
    assert kling_field("audio_file", "avatar") == "sound_file"
    assert kling_field("tier", "avatar") == "model_name"
    assert kling_field("prompt", "text2video") == "prompt"


def test_stored_requests_drop_base64_payloads():
    body = {
        "image": "A" * 5000,
        "image_tail": "http://h/x.png",
        "element_list": [{"image_list": [{"image_url": "B" * 2000}]}],
    }
    out = redact(body)
    assert out["image"] == "<base64: 5000 chars>" and out["image_tail"] == "http://h/x.png"
    assert out["element_list"][0]["image_list"][0]["image_url"] == "<base64: 2000 chars>"
