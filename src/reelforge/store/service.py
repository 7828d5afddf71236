"""The store as the service uses it: every operation one transaction.

A task's life: :meth:`Store.submit` (credits held, task committed, callback queued) →
:meth:`Store.claim` (exactly one worker gets it) → :meth:`Store.set_progress` →
:meth:`Store.succeed` (settled) or :meth:`Store.fail` (refunded). A worker that dies
leaves the task ``processing``; :meth:`Store.requeue_orphans` puts it back. Every status
change queues a webhook delivery in the same transaction (an outbox), so a callback is
never lost and never sent for a change that was rolled back.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..errors import ReelforgeError
from ..spec.text import storable
from . import accounts, ledger
from .artifacts import LocalArtifacts
from .config import Config
from .db import Database
from .models import UNFINISHED, Account, Task, WebhookDelivery, now_ms
from .views import envelope, task_data

HEARTBEAT_STALE_MS = 60_000
"""A ``processing`` task whose worker has not beaten for this long is orphaned."""
MAX_TASK_ATTEMPTS = 3
"""A task whose worker died this many times is failed (and refunded) instead of re-run."""
PAGE_SIZE_MAX = 500
PAGE_NUM_MAX = 1000
OPEN_DELIVERY = ("pending", "sending")
"""Delivery states still to be settled: due at ``next_attempt_at`` (``sending``: when its
lease runs out)."""


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


class Store:
    def __init__(self, config: Config, db: Database | None = None) -> None:
        self.config = config
        self.db = db or Database(config.db_url)
        self.artifacts = LocalArtifacts(
            config.artifacts_dir, config.server_secret(), config.url_ttl_seconds
        )
        self.base_url = config.public_url or "http://127.0.0.1:8000"
        """Base of result URLs in callbacks (queries use the request's base URL)."""

    # --- accounts and credits -----------------------------------------------------
    def account(self, name: str, *, metered: bool = True) -> Account:
        with self.db.write() as s:
            return accounts.get_or_create_account(s, name, metered=metered)

    def grant(self, account_name: str, amount: int, note: str = "") -> int:
        with self.db.write() as s:
            account = accounts.get_or_create_account(s, account_name)
            return ledger.grant(s, account.id, amount, note)

    def balance(self, account_id: int) -> int:
        with self.db.read() as s:
            return ledger.balance(s, account_id)

    # --- tasks --------------------------------------------------------------------
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
                    status="submitted",
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
                .where(Task.status == "submitted")
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
                .where(Task.id == task_id, Task.status == "submitted")
                .values(
                    status="processing",
                    worker_id=worker_id,
                    heartbeat_at=stamp,
                    attempts=Task.attempts + 1,
                    progress=0,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
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
                .where(Task.id == task_id, Task.worker_id == worker_id, Task.status == "processing")
                .values(
                    progress=max(0, min(100, int(percent))), heartbeat_at=stamp, updated_at=stamp
                )
                .execution_options(synchronize_session=False)
            )
            return done.rowcount == 1

    def heartbeat(self, worker_id: str, task_ids: list[str]) -> None:
        if not task_ids:
            return
        with self.db.write() as s:
            s.execute(
                update(Task)
                .where(
                    Task.id.in_(task_ids), Task.worker_id == worker_id, Task.status == "processing"
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
            task.status, task.status_msg, task.progress, task.videos = "succeed", "", 100, videos
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
            query = select(Task).where(Task.status == "processing")
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            for task in s.scalars(query):
                if task.worker_id in live_workers:
                    continue
                if (task.heartbeat_at or 0) < limit or _worker_gone(task.worker_id or ""):
                    self._requeue(s, task, "requeued: its worker stopped")
                    out.append(task.id)
        return out

    def get(self, account_id: int, endpoint: str, key: str) -> Task | None:
        """A task of this account and endpoint by task id, else by external task id.

        A key the database cannot hold (NUL, a lone surrogate) names no task: it is never
        sent (PostgreSQL would fail the query), here and in every lookup below."""
        if not storable(key):
            return None
        with self.db.read() as s:
            task = s.get(Task, key)
            if task is not None and task.account_id == account_id and task.endpoint == endpoint:
                return task
            return s.scalar(
                select(Task).where(
                    Task.account_id == account_id,
                    Task.endpoint == endpoint,
                    Task.external_task_id == key,
                )
            )

    def get_any(self, task_id: str) -> Task | None:
        if not storable(task_id):
            return None
        with self.db.read() as s:
            return s.get(Task, task_id)

    def find_video(self, account_id: int, video_id: str) -> tuple[Task, dict[str, Any]] | None:
        """A video of a finished task of this account, by its id (``<task_id>-<n>``)."""
        task = self.get_any(video_id.rsplit("-", 1)[0])
        if task is None or task.account_id != account_id or task.status != "succeed":
            return None
        for video in task.videos or []:
            if video["id"] == video_id:
                return task, video
        return None

    def list(self, account_id: int, endpoint: str, page: int, size: int) -> list[Task]:
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(Task)
                    .where(Task.account_id == account_id, Task.endpoint == endpoint)
                    .order_by(Task.created_at.desc(), Task.id.desc())
                    .offset((page - 1) * size)
                    .limit(size)
                )
            )

    def view(self, task: Task, base_url: str | None = None) -> dict[str, Any]:
        return task_data(task, self.artifacts, base_url or self.base_url)

    # --- webhook deliveries ---------------------------------------------------------
    def claim_deliveries(self, limit: int, lease_ms: int) -> list[WebhookDelivery]:
        """Up to ``limit`` due deliveries, now ``sending`` for ``lease_ms`` and their attempt
        counted, in the transaction that found them: no other thread or process gets them
        until :meth:`delivery_done` or the lease runs out (its sender died). Only a task's
        oldest open delivery is ever due, so a task's deliveries go one at a time, in order.
        """
        stamp = now_ms()
        due = (
            WebhookDelivery.state.in_(OPEN_DELIVERY),
            WebhookDelivery.next_attempt_at <= stamp,
        )
        with self.db.read() as s:  # a hint only, to take no write lock for nothing
            if s.scalar(select(WebhookDelivery.id).where(*due).limit(1)) is None:
                return []
        with self.db.write() as s:
            earlier = aliased(WebhookDelivery)
            query = (
                select(WebhookDelivery.id)
                .where(
                    *due,
                    ~exists().where(
                        earlier.task_id == WebhookDelivery.task_id,
                        earlier.state.in_(OPEN_DELIVERY),
                        or_(
                            earlier.created_at < WebhookDelivery.created_at,
                            and_(  # rows queued before created_at was kept increasing
                                earlier.created_at == WebhookDelivery.created_at,
                                earlier.id < WebhookDelivery.id,
                            ),
                        ),
                    ),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at)
                .limit(limit)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            ids = list(s.scalars(query))
            if not ids:
                return []
            s.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(
                    state="sending",
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=stamp + lease_ms,
                    updated_at=stamp,
                )
                .execution_options(synchronize_session=False)
            )
            return list(
                s.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(ids))
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at)
                    .execution_options(populate_existing=True)
                )
            )

    def delivery_done(
        self, delivery: WebhookDelivery, *, error: str = "", retry_at: int | None = None
    ) -> bool:
        """Record the attempt ``delivery`` was claimed for: delivered (no error), to retry at
        ``retry_at``, or given up. Ignored (False) when the delivery was claimed again since
        (this attempt outlived its lease): the newer attempt records its own outcome."""
        stamp = now_ms()
        if not error:
            values: dict[str, Any] = {"state": "delivered"}
        elif retry_at is None:
            values = {"state": "failed"}
        else:
            values = {"state": "pending", "next_attempt_at": retry_at}
        with self.db.write() as s:
            done = s.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery.id,
                    WebhookDelivery.attempts == delivery.attempts,
                    WebhookDelivery.state.in_(OPEN_DELIVERY),
                )
                .values(last_error=error[:2000], updated_at=stamp, **values)
                .execution_options(synchronize_session=False)
            )
            return done.rowcount == 1

    def deliveries(self, task_id: str) -> list[WebhookDelivery]:
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.task_id == task_id)
                    .order_by(WebhookDelivery.created_at)
                )
            )

    def webhook_secret(self, account_id: int) -> str:
        with self.db.read() as s:
            account = s.get(Account, account_id)
        return (account.webhook_secret if account else None) or self.config.webhook_secret()

    # --- helpers --------------------------------------------------------------------
    def _owned(self, s: Session, task_id: str, worker_id: str | None) -> Task | None:
        query = select(Task).where(Task.id == task_id, Task.status == "processing")
        if worker_id is not None:
            query = query.where(Task.worker_id == worker_id)
        return s.scalar(query.with_for_update())

    def _fail(self, s: Session, task: Task, message: str) -> None:
        task.status, task.status_msg = "failed", message
        ledger.refund(s, task)
        self._changed(s, task)

    def _requeue(self, s: Session, task: Task, message: str) -> None:
        task.status, task.status_msg, task.worker_id, task.heartbeat_at = (
            "submitted",
            message,
            None,
            None,
        )
        task.progress = 0
        self._changed(s, task)

    def _changed(self, s: Session, task: Task, stamp: int | None = None) -> None:
        """Bump ``updated_at`` and queue the callback for this status. A delivery's
        ``created_at`` is later than its task's previous one (by a millisecond if need be),
        so it orders a task's deliveries (the task row is locked here: one change at a time)."""
        task.updated_at = stamp or now_ms()
        if task.callback_url:
            s.flush()
            previous = s.scalar(
                select(func.max(WebhookDelivery.created_at)).where(
                    WebhookDelivery.task_id == task.id
                )
            )
            queued = max(now_ms(), (previous or 0) + 1)
            s.add(
                WebhookDelivery(
                    id=f"msg_{uuid.uuid4().hex}",
                    task_id=task.id,
                    account_id=task.account_id,
                    url=task.callback_url,
                    body=envelope(self.view(task), request_id=f"callback-{task.id}"),
                    state="pending",
                    attempts=0,
                    next_attempt_at=queued,
                    last_error="",
                    created_at=queued,
                    updated_at=queued,
                )
            )


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
