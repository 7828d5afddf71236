"""The tables: accounts, their keys, tasks, the credit ledger and webhook deliveries.

Times are integer milliseconds since the epoch (Kling's ``created_at`` / ``updated_at``).
JSON columns hold the request as received (Kling's fields) and as translated (ours).
The schema is created and upgraded by the Alembic migrations in ``store/alembic``.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class TaskStatus(StrEnum):
    """A task's status, spelled as Kling's ``task_status``: queued, rendering, done
    (``succeed``, sic) or failed. Stored as its string (``Task.status``)."""

    SUBMITTED = "submitted"
    PROCESSING = "processing"
    SUCCEED = "succeed"
    FAILED = "failed"


UNFINISHED = (TaskStatus.SUBMITTED, TaskStatus.PROCESSING)
LEDGER_KINDS = ("grant", "hold", "settle", "refund")


def now_ms() -> int:
    return int(time.time() * 1000)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, int: BigInteger}


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    metered: Mapped[bool] = mapped_column(Boolean, default=True)
    """Unmetered accounts (the ``--no-auth`` local user) write no ledger entries."""
    webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """Signs this account's callbacks; ``None``: the server's secret."""
    created_at: Mapped[int] = mapped_column(default=now_ms)


class AccessKey(Base):
    """An access key / secret key pair (JWT ``iss`` / HS256 key), or a static API key.

    For a static key (``kind='api_key'``) ``access_key`` is its public prefix and
    ``secret`` the SHA-256 of the whole key; for a pair ``secret`` is the secret key itself
    (the server must know it to check signatures).
    """

    __tablename__ = "access_keys"

    access_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="pair")
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[int] = mapped_column(default=now_ms)
    revoked_at: Mapped[int | None] = mapped_column(nullable=True)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("account_id", "external_task_id", name="uq_tasks_account_external"),
        Index("ix_tasks_status_created", "status", "created_at"),
        Index("ix_tasks_account_endpoint_created", "account_id", "endpoint", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"))
    endpoint: Mapped[str] = mapped_column(String(32))
    """The Kling product path (``text2video``, ``avatar/image2video``, ...)."""
    workflow: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.SUBMITTED)
    """A :class:`TaskStatus`."""
    status_msg: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The body as received (Kling's fields; base64 payloads replaced by a note)."""
    translated: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the worker runs: our request (``request.models``) with local input paths, or a
    video extend's fields (typed by :mod:`reelforge.service.payload`)."""
    external_task_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    credits_held: Mapped[int] = mapped_column(default=0)
    credits_final: Mapped[int | None] = mapped_column(nullable=True)
    """Set once, when the task is settled (succeed) or refunded (failed: 0)."""
    previz: Mapped[bool] = mapped_column(Boolean, default=False)
    videos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """``[{id, path, duration}]`` with ``path`` relative to the artifacts dir."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    heartbeat_at: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[int] = mapped_column(default=now_ms)
    updated_at: Mapped[int] = mapped_column(default=now_ms)


class LedgerEntry(Base):
    """Append-only: an account's balance is the sum of its entries' ``amount``."""

    __tablename__ = "ledger"
    __table_args__ = (
        UniqueConstraint("task_id", "kind", name="uq_ledger_task_kind"),
        Index("ix_ledger_account", "account_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column()
    task_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """Holds, settles and refunds name their task; the unique (task, kind) pair makes
    each of them happen at most once."""
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(default=now_ms)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """Standard Webhooks ``webhook-id`` (``msg_...``)."""
    task_id: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"))
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The task as a query returned it at the status change (Kling envelope)."""
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``sending`` (claimed by a sender until ``next_attempt_at``), ``delivered``
    or ``failed`` (gave up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Attempts started (counted when claimed)."""
    next_attempt_at: Mapped[int] = mapped_column(default=now_ms)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(default=now_ms)
    """Strictly increasing within a task: the order its deliveries go out in."""
    updated_at: Mapped[int] = mapped_column(default=now_ms)
