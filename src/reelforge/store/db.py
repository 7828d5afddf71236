"""Engine and sessions: SQLite (WAL, busy timeout, immediate write transactions) by
default, PostgreSQL by URL; the schema is brought to the latest migration on open.

Two kinds of transaction: :meth:`Database.read` (plain) and :meth:`Database.write`. On
SQLite a write transaction starts with ``BEGIN IMMEDIATE``, so writers queue on the
database lock up front (waiting up to ``SQLITE_BUSY_TIMEOUT_MS``) instead of failing
when a read lock cannot be upgraded; on PostgreSQL writes lock the rows they guard
(``SELECT ... FOR UPDATE``, ``SKIP LOCKED`` for the queue).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
_IMMEDIATE = "reelforge_immediate"

_migrate_lock = threading.Lock()


class Database:
    """One engine and its session factory; ``is_sqlite`` tells the dialect apart."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = self.engine.execution_options(**{_IMMEDIATE: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        if migrate:
            upgrade(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction committed on leaving the block, rolled back on an exception."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _sqlite_events(engine)
        return engine
    return create_engine(
        url, pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW, pool_pre_ping=True
    )


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations up to ``head`` on ``engine``."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    with _migrate_lock, engine.execution_options(**{_IMMEDIATE: True}).begin() as conn:
        if engine.dialect.name == "postgresql":  # one migrator at a time across processes
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724217)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def rows_changed(result: Any) -> int:
    """How many rows an ``UPDATE`` statement's result changed (its cursor's ``rowcount``):
    the queue's and ledger's guarded updates compare it to 1."""
    return cast(CursorResult[Any], result).rowcount
