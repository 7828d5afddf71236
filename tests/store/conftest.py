"""A fresh store per test: on SQLite in a temporary data dir, and on PostgreSQL too when
``REELFORGE_TEST_POSTGRES_URL`` is set (``postgresql+psycopg://...``; the schema is
dropped and migrated again for each test). Its callbacks carry the API's body, as when
``create_app`` serves it."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from reelforge.api.views import callback_body
from reelforge.store import Store, load_config
from reelforge.store.db import Database
from reelforge.store.models import Base

PG_ENV = "REELFORGE_TEST_POSTGRES_URL"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(PG_ENV),
            reason=f"{PG_ENV} is not set (.ci/postgres.sh starts a PostgreSQL)",
        ),
    ),
]


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def make_store(tmp_path, backend: str, monkeypatch=None, **config) -> Store:
    if monkeypatch is not None:
        for key in list(os.environ):
            if key.startswith("REELFORGE_") and key != PG_ENV:
                monkeypatch.delenv(key)
    cfg = load_config(tmp_path / "home").replace(**config)
    if backend == "postgresql":
        url = os.environ[PG_ENV]
        reset_postgres(url)
        cfg = cfg.replace(database_url=url)
    return Store(cfg, Database(cfg.db_url), callback_body=callback_body)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path, monkeypatch):
    s = make_store(tmp_path, request.param, monkeypatch)
    yield s
    s.db.dispose()
