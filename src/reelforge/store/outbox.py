"""The webhook outbox: one delivery per task status change, queued in the transaction of
the change (by :mod:`reelforge.store.queue`), then claimed and settled by the callback
sender (:mod:`reelforge.service.callbacks`).

A delivery's body is the task as it was at the change (``body``, given by the store's
owner). A delivery is claimed with a lease (:meth:`Outbox.claim`), so across threads and
processes it is in flight at most once, and a task's deliveries go out one at a time, in
order; :meth:`Outbox.done` records the attempt's outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .db import Database, rows_changed
from .models import Task, WebhookDelivery, now_ms

OPEN_DELIVERY = ("pending", "sending")
"""Delivery states still to be settled: due at ``next_attempt_at`` (``sending``: when its
lease runs out)."""

Body = Callable[[Task], dict[str, Any]]
"""What a task's callback carries at a status change."""


class Outbox:
    def __init__(self, db: Database, body: Body) -> None:
        self.db = db
        self.body = body

    def add(self, s: Session, task: Task) -> None:
        """Queue the callback for ``task``'s current status (when it has a ``callback_url``),
        in the caller's transaction. A delivery's ``created_at`` is later than its task's
        previous one (by a millisecond if need be), so it orders a task's deliveries (the
        task row is locked by the caller: one change at a time)."""
        if not task.callback_url:
            return
        s.flush()
        previous = s.scalar(
            select(func.max(WebhookDelivery.created_at)).where(WebhookDelivery.task_id == task.id)
        )
        queued = max(now_ms(), (previous or 0) + 1)
        s.add(
            WebhookDelivery(
                id=f"msg_{uuid.uuid4().hex}",
                task_id=task.id,
                account_id=task.account_id,
                url=task.callback_url,
                body=self.body(task),
                state="pending",
                attempts=0,
                next_attempt_at=queued,
                last_error="",
                created_at=queued,
                updated_at=queued,
            )
        )

    def claim(self, limit: int, lease_ms: int) -> list[WebhookDelivery]:
        """Up to ``limit`` due deliveries, now ``sending`` for ``lease_ms`` and their attempt
        counted, in the transaction that found them: no other thread or process gets them
        until :meth:`done` or the lease runs out (its sender died). Only a task's
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

    def done(
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
            return rows_changed(done) == 1

    def of_task(self, task_id: str) -> list[WebhookDelivery]:
        """A task's deliveries, oldest first."""
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.task_id == task_id)
                    .order_by(WebhookDelivery.created_at)
                )
            )
