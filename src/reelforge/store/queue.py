"""The task queue: where a task is queued, claimed, kept alive and settled.

A task's life: :meth:`TaskQueue.submit` (running limit checked, credits held, task
committed) → :meth:`TaskQueue.claim` (exactly one worker gets it) →
:meth:`TaskQueue.set_progress` and :meth:`TaskQueue.heartbeat` while it renders →
:meth:`TaskQueue.succeed` (settled) or :meth:`TaskQueue.fail` (refunded). A worker that
dies leaves the task ``processing``; :meth:`TaskQueue.requeue_orphans` puts it back (a
worker that stops gives it back itself: :meth:`TaskQueue.release`). Each operation is one
transaction, and every status change queues a webhook delivery in it
(:mod:`reelforge.store.outbox`), so a callback is never lost and never sent for a change
that was rolled back. The credits are the ledger's (:mod:`reelforge.store.ledger`).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import ReelforgeError
from . import ledger
from .db import Database, rows_changed
from .models import UNFINISHED, Account, Task, TaskStatus, now_ms
from .outbox import Outbox

HEARTBEAT_STALE_MS = 60_000
"""A ``processing`` task whose worker has not beaten for this long is orphaned."""
MAX_TASK_ATTEMPTS = 3
"""A task whose worker died this many times is failed (and refunded) instead of re-run."""


class TooManyTasks(ReelforgeError):
    """The account has ``max_running_tasks`` unfinished tasks (Kling's 1303)."""


class DuplicateExternalId(ReelforgeError):
    """``external_task_id`` is already used by a task of this account."""


@dataclass(frozen=True)
class NewTask:
    id: str
    endpoint: str
    workflow: str
    tier: str
    request: dict[str, Any]
    translated: dict[str, Any]
    credits: int
    previz: bool
    external_task_id: str | None = None
    callback_url: str | None = None


def new_task_id() -> str:
    return uuid.uuid4().hex


def new_worker_id() -> str:
    """``host:pid:nonce``: tells a live worker of this process from a dead one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TaskQueue:
    """The queue of ``db``'s tasks; status changes are announced through ``outbox``."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    def submit(self, account: Account, new: NewTask, *, max_running: int) -> Task:
        """Check the running limit, hold the credits and store the task, in one transaction."""
        try:
            with self.db.write() as s:
                ledger.lock_account(s, account.id)
                running = s.scalar(
                    select(func.count())
                    .select_from(Task)
                    .where(Task.account_id == account.id, Task.status.in_(UNFINISHED))
                )
                if running is not None and running >= max_running:
                    raise TooManyTasks(
                        f"this account has {running} unfinished tasks; the limit is {max_running}"
                    )
                if new.external_task_id is not None and s.scalar(
                    select(Task.id).where(
                        Task.account_id == account.id,
                        Task.external_task_id == new.external_task_id,
                    )
                ):
                    raise DuplicateExternalId(new.external_task_id)
                ledger.hold(s, account, new.id, new.credits)
                stamp = now_ms()
                task = Task(
                    id=new.id,
                    account_id=account.id,
                    endpoint=new.endpoint,
                    workflow=new.workflow,
                    tier=new.tier,
                    status=TaskStatus.SUBMITTED,
                    status_msg="",
                    request=new.request,
                    translated=new.translated,
                    external_task_id=new.external_task_id,
                    callback_url=new.callback_url,
                    progress=0,
                    credits_held=new.credits,
                    credits_final=None,
                    previz=new.previz,
                    videos=[],
                    attempts=0,
                    created_at=stamp,
                    updated_at=stamp,
                )
                s.add(task)
                s.flush()
                self._changed(s, task, stamp)
        except IntegrityError as exc:
            if "external" in str(exc).lower():
                raise DuplicateExternalId(new.external_task_id) from None
            raise
        return task

    def claim(self, worker_id: str) -> Task | None:
        """The oldest submitted task, now ``processing`` for ``worker_id``; never given twice."""
        with self.db.write() as s:
            query = (
                select(Task.id)
                .where(Task.status == TaskStatus.SUBMITTED)
                .order_by(Task.created_at, Task.id)
                .limit(1)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            task_id = s.scalar(query)
            if task_id is None:
                return None
            stamp = now_ms()
            done = s.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.SUBMITTED)
                .values(
                    status=TaskStatus.PROCESSING,
                    worker_id=worker_id,
                    heartbeat_at=stamp,
                    attempts=Task.attempts + 1,
                    progress=0,
                )
                .execution_options(synchronize_session=False)
            )
            if rows_changed(done) != 1:
                return None
            task = s.get_one(Task, task_id, populate_existing=True)
            if task.attempts > MAX_TASK_ATTEMPTS:
                self._fail(
                    s,
                    task,
                    f"internal error: the task was interrupted {task.attempts - 1} times "
                    "(its worker stopped); giving up",
                )
                return None
            self._changed(s, task, stamp)
            return task

    def set_progress(self, task_id: str, worker_id: str, percent: int) -> bool:
        """Record progress (0–100) if ``worker_id`` still owns the task; doubles as a heartbeat."""
        with self.db.write() as s:
            stamp = now_ms()
            done = s.execute(
                update(Task)
                .where(
                    Task.id == task_id,
                    Task.worker_id == worker_id,
                    Task.status == TaskStatus.PROCESSING,
                )
                .values(
                    progress=max(0, min(100, int(percent))), heartbeat_at=stamp, updated_at=stamp
                )
                .execution_options(synchronize_session=False)
            )
            return rows_changed(done) == 1

    def heartbeat(self, worker_id: str, task_ids: list[str]) -> None:
        if not task_ids:
            return
        with self.db.write() as s:
            s.execute(
                update(Task)
                .where(
                    Task.id.in_(task_ids),
                    Task.worker_id == worker_id,
                    Task.status == TaskStatus.PROCESSING,
                )
                .values(heartbeat_at=now_ms())
                .execution_options(synchronize_session=False)
            )

    def succeed(self, task_id: str, worker_id: str, videos: list[dict[str, Any]]) -> bool:
        """Finish a task with its videos and settle its credits (once)."""
        with self.db.write() as s:
            task = self._owned(s, task_id, worker_id)
            if task is None:
                return False
            task.status, task.status_msg = TaskStatus.SUCCEED, ""
            task.progress, task.videos = 100, videos
            ledger.settle(s, task)
            self._changed(s, task)
            return True

    def fail(self, task_id: str, message: str, worker_id: str | None = None) -> bool:
        """Fail an unfinished task (owned by ``worker_id`` when given) and refund it."""
        with self.db.write() as s:
            task = self._owned(s, task_id, worker_id) if worker_id else s.get(Task, task_id)
            if task is None or task.status not in UNFINISHED:
                return False
            self._fail(s, task, message)
            return True

    def release(self, task_id: str, worker_id: str) -> bool:
        """Give a task back to the queue (shutdown while rendering): it runs again later."""
        with self.db.write() as s:
            task = self._owned(s, task_id, worker_id)
            if task is None:
                return False
            task.attempts = max(0, task.attempts - 1)
            self._requeue(s, task, "")
            return True

    def requeue_orphans(self, live_workers: frozenset[str] = frozenset()) -> list[str]:
        """Put back ``processing`` tasks whose worker is gone: its heartbeat is stale, or it
        was a worker of a process on this host that no longer runs (or of an earlier run
        of this very process id, as after a container restart), not one of ``live_workers``."""
        limit = now_ms() - HEARTBEAT_STALE_MS
        out: list[str] = []
        with self.db.write() as s:
            query = select(Task).where(Task.status == TaskStatus.PROCESSING)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            for task in s.scalars(query):
                if task.worker_id in live_workers:
                    continue
                if (task.heartbeat_at or 0) < limit or _worker_gone(task.worker_id or ""):
                    self._requeue(s, task, "requeued: its worker stopped")
                    out.append(task.id)
        return out

    # --- helpers --------------------------------------------------------------------
    def _owned(self, s: Session, task_id: str, worker_id: str | None) -> Task | None:
        query = select(Task).where(Task.id == task_id, Task.status == TaskStatus.PROCESSING)
        if worker_id is not None:
            query = query.where(Task.worker_id == worker_id)
        return s.scalar(query.with_for_update())

    def _fail(self, s: Session, task: Task, message: str) -> None:
        task.status, task.status_msg = TaskStatus.FAILED, message
        ledger.refund(s, task)
        self._changed(s, task)

    def _requeue(self, s: Session, task: Task, message: str) -> None:
        task.status, task.status_msg, task.worker_id, task.heartbeat_at = (
            TaskStatus.SUBMITTED,
            message,
            None,
            None,
        )
        task.progress = 0
        self._changed(s, task)

    def _changed(self, s: Session, task: Task, stamp: int | None = None) -> None:
        """Bump ``updated_at`` and queue the callback for this status."""
        task.updated_at = stamp or now_ms()
        self.outbox.add(s, task)


def _worker_gone(worker_id: str) -> bool:
    """A worker id (``host:pid:nonce``) of this host whose process is not running, or
    one of this process's id that is not live (the caller lists the live ones)."""
    parts = worker_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return True
    if parts[0] != socket.gethostname():
        return False
    pid = int(parts[1])
    return pid == os.getpid() or not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
