"""The in-process executor: worker threads that take stored tasks and render them.

Each worker loops: claim a task from the queue (atomically; see
:meth:`~reelforge.store.queue.TaskQueue.claim`) → render its translated request with
:func:`reelforge.render.runner.render` (a video-extend task with
:func:`reelforge.render.extend.extend`, from its source task's video) into the task's
artifact folder, writing progress to the task (throttled) → store the video and settle
the credits, or fail the task with the reason and refund. A heartbeat thread keeps the
claimed tasks' ``heartbeat_at`` fresh so other processes can tell a live worker from a
dead one. On :meth:`Executor.stop` running renders are cancelled and their tasks go
back to the queue, to run again at the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import Cancelled, InputError, ReelforgeError, scrub_paths
from ..planning.extend import DEFAULT_EXTEND_SECONDS
from ..render.progress import CancelToken, ProgressEvent
from ..store import Store, new_worker_id
from ..store.models import Task
from .payload import ExtendPayload, read_payload

log = logging.getLogger("reelforge.worker")

POLL_INTERVAL_S = 0.5
"""How often an idle worker looks for tasks submitted by other processes."""
HEARTBEAT_INTERVAL_S = 10.0
PROGRESS_MIN_INTERVAL_S = 0.5
"""Progress is written at most this often per task (and when it reaches 100)."""
VIDEO_NAME = "video.mp4"

Render = Callable[..., Any]


def _default_render(*args: Any, **kwargs: Any) -> Any:
    from ..render.runner import render  # engines load lazily: the server starts without them

    return render(*args, **kwargs)


def _default_extend(*args: Any, **kwargs: Any) -> Any:
    from ..render.extend import extend

    return extend(*args, **kwargs)


class Executor:
    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        previz: bool = False,
        render: Render = _default_render,
        extend: Render = _default_extend,
        on_change: Callable[[], None] | None = None,
        poll_s: float = POLL_INTERVAL_S,
    ) -> None:
        self.store = store
        self.workers = max(1, workers)
        self.previz = previz
        self.render = render
        self.extend = extend
        self.on_change = on_change or (lambda: None)
        self.poll_s = poll_s
        self.worker_id = new_worker_id()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, CancelToken] = {}
        self._lock = threading.Lock()

    def start(self) -> list[str]:
        """Requeue orphaned tasks, then start the workers; returns the requeued ids."""
        requeued = self.store.queue.requeue_orphans()
        if requeued:
            log.warning("requeued %d task(s) left processing by a stopped worker", len(requeued))
            self.on_change()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"reelforge-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        beat = threading.Thread(target=self._heartbeat, name="reelforge-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        return requeued

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            for token in self._running.values():
                token.cancel()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    @property
    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                task = self.store.queue.claim(self.worker_id)
            except Exception:
                log.exception("claiming a task failed")
                task = None
            if task is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self.on_change()
            self.run(task)
            self.on_change()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_INTERVAL_S):
            try:
                self.store.queue.heartbeat(self.worker_id, self.running)
                for task_id in self.store.queue.requeue_orphans(frozenset({self.worker_id})):
                    log.warning("requeued task %s: its worker stopped", task_id)
                    self._wake.set()
            except Exception:
                log.exception("heartbeat failed")

    def run(self, task: Task) -> None:
        """Render one claimed task to the end (succeed, failed, or released on stop)."""
        token = CancelToken()
        with self._lock:
            self._running[task.id] = token
        folder = self.store.artifacts.task_dir(task.account_id, task.id)
        options = {
            "output": folder / VIDEO_NAME,
            "progress": self._progress(task, token),
            "cancel": token,
            "previz": self.previz or task.previz,
        }
        try:
            payload = read_payload(task)
            if isinstance(payload, ExtendPayload):
                artifact = self._extend(task, payload, options)
            else:
                note = self._draft_note(task, payload.draft_task_id)
                extra = {"sidecar_extra": note} if note else {}
                artifact = self.render(payload.request, **options, **extra)
            rel = self.store.artifacts.relative
            video = {
                "id": f"{task.id}-0",
                "path": rel(artifact.video),
                "duration": artifact.duration,
                "poster": rel(artifact.poster),
                "width": artifact.width,
                "height": artifact.height,
                "fps": artifact.fps if isinstance(artifact.fps, int) else float(artifact.fps),
                "has_audio": artifact.has_audio,
                "previz": artifact.previz,
            }
            self.store.queue.succeed(task.id, self.worker_id, [video])
        except Cancelled:
            if self._stop.is_set():
                self.store.queue.release(task.id, self.worker_id)
            # else: the task was taken from us (requeued); its new worker finishes it
        except InputError as exc:
            self._fail(task, str(exc))
        except ReelforgeError as exc:
            self._fail(task, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("task %s failed", task.id)
            self._fail(task, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._running.pop(task.id, None)

    def _fail(self, task: Task, message: str) -> None:
        """Record a failure; its message goes to clients, so no server path is in it."""
        self.store.queue.fail(task.id, scrub_paths(message), self.worker_id)

    def _extend(self, task: Task, payload: ExtendPayload, options: dict[str, Any]) -> Any:
        """Render a video-extend task: its source task's video, continued (the whole is
        the result). The source is looked up again: it must still be there."""
        found = self.store.tasks.find_video(task.account_id, payload.video_id)
        path = self.store.artifacts.resolve(found[1]["path"]) if found is not None else None
        if found is None or path is None:
            raise InputError(
                "video_id",
                payload.video_id,
                "a finished video of this account",
                f"the video {payload.video_id!r} to extend is no longer available",
            )
        source_task, _video = found
        return self.extend(
            path,
            payload.prompt,
            float(payload.seconds or DEFAULT_EXTEND_SECONDS),
            negative_prompt=payload.negative_prompt,
            cfg_scale=payload.cfg_scale,
            tier=payload.tier or source_task.tier,
            # the model its client asked the source for (its body's; as at submit)
            model=source_task.request.get("model"),
            source={"task_id": source_task.id, "video_id": payload.video_id},
            **options,
        )

    def _draft_note(self, task: Task, draft_task_id: str | None) -> dict[str, Any] | None:
        """The sidecar entry naming a final's draft (``None``: not a final, or the draft's
        sidecar is gone)."""
        from ..render.final import final_note, read_draft

        if draft_task_id is None:
            return None
        draft = self.store.tasks.get_any(draft_task_id)
        sidecar = self.store.artifacts.sidecar(draft.videos[0]) if draft and draft.videos else None
        if sidecar is None:
            return None
        try:
            return final_note(read_draft(sidecar))
        except InputError as exc:
            log.warning("final %s: the draft's sidecar could not be read: %s", task.id, exc)
            return None

    def _progress(self, task: Task, token: CancelToken) -> Callable[[ProgressEvent], None]:
        last = {"at": 0.0, "percent": -1}

        def on_progress(event: ProgressEvent) -> None:
            percent = int(event.fraction * 100)
            now = time.monotonic()
            if percent == last["percent"] or (
                now - last["at"] < PROGRESS_MIN_INTERVAL_S and percent < 100
            ):
                return
            last.update(at=now, percent=percent)
            if not self.store.queue.set_progress(task.id, self.worker_id, percent):
                token.cancel()  # the task is no longer ours: stop rendering it

        return on_progress
