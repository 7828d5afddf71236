"""Alembic environment: run programmatically by :func:`reelforge.store.db.upgrade` with
the connection in ``config.attributes['connection']``."""

from __future__ import annotations

from alembic import context

from reelforge.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through reelforge.store.db.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
