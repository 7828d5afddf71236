"""Looking tasks up: by id or external id within an account and product path, a finished
video by its id, an account's tasks page by page or newest first.

A key the database cannot hold (NUL, a lone surrogate) names no task: it is never sent
(PostgreSQL would fail the query), here and in every lookup below.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..request.text import storable
from .db import Database
from .models import Task, TaskStatus

PAGE_SIZE_MAX = 500
PAGE_NUM_MAX = 1000


class Tasks:
    """The tasks of ``db``, read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, account_id: int, endpoint: str, key: str) -> Task | None:
        """A task of this account and endpoint by task id, else by external task id."""
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
        if task is None or task.account_id != account_id or task.status != TaskStatus.SUCCEED:
            return None
        for video in task.videos or []:
            if video["id"] == video_id:
                return task, video
        return None

    def page(self, account_id: int, endpoint: str, page: int, size: int) -> list[Task]:
        """Page ``page`` (from 1) of ``size`` of this account's tasks on ``endpoint``, newest first."""
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

    def recent(self, account_id: int, limit: int) -> list[Task]:
        """This account's ``limit`` newest tasks on every product path."""
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(Task)
                    .where(Task.account_id == account_id)
                    .order_by(Task.created_at.desc(), Task.id.desc())
                    .limit(limit)
                )
            )
