"""Fixtures of the end-to-end service suite: a real ``reelforge serve --previz`` per backend.

The ``server`` fixture is parametrized over the store backend: ``sqlite`` (the embedded
default) always, ``postgres`` when ``REELFORGE_TEST_POSTGRES_URL`` names a PostgreSQL the
tests may create databases on (``.ci/postgres.sh`` starts one); each server gets a fresh
database, dropped afterwards. Without the variable the ``postgres`` cases are skipped
with that reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import CallbackReceiver, FileServer, Server, write_image, write_video, write_wav

POSTGRES_ENV = "REELFORGE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]

# Roomy limits for the shared server (the error-code tests start a strict one of their own).
SHARED_ENV = {
    "REELFORGE_MAX_RUNNING_TASKS": "100000",
    "REELFORGE_RATE_LIMIT_PER_SECOND": "100000",
    "REELFORGE_RATE_LIMIT_BURST": "100000",
}


def _pg_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class PostgresDatabases:
    """Creates throwaway databases on the server in ``REELFORGE_TEST_POSTGRES_URL``."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        import psycopg

        name = f"reelforge_t_{secrets.token_hex(4)}"
        with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base, _, _ = os.environ[POSTGRES_ENV].rpartition("/")
        return f"{base}/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    yield dbs
    if dbs.created:
        dbs.drop_all()


@pytest.fixture(scope="session")
def make_server(tmp_path_factory, pg_databases):
    """``make_server(backend, args=(), env={}, previz=True)`` → a started :class:`Server`
    (``serve --previz`` unless ``previz=False``), stopped at the end."""
    servers: list[Server] = []

    def make(
        backend: str = "sqlite",
        *,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        start: bool = True,
        previz: bool = True,
    ) -> Server:
        if backend == "postgres" and not os.environ.get(POSTGRES_ENV):
            pytest.skip(f"{POSTGRES_ENV} is not set (.ci/postgres.sh starts a PostgreSQL)")
        url = pg_databases.create() if backend == "postgres" else None
        home = tmp_path_factory.mktemp(f"home-{backend}")
        server = Server(
            home, args=args, env={**SHARED_ENV, **(env or {})}, database_url=url, previz=previz
        )
        servers.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def server(make_server, backend) -> Server:
    """The shared server of one backend (roomy limits, previz)."""
    return make_server(backend)


@pytest.fixture(scope="session")
def sqlite_server(make_server) -> Server:
    """A shared SQLite server for the tests that need not run on both backends."""
    return make_server("sqlite")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("media")
    write_image(root / "start.jpg", (640, 360))
    write_image(root / "end.png", (640, 360), color=(160, 60, 40))
    write_image(root / "square.png", (512, 512), color=(90, 140, 60))
    write_image(root / "face.jpg", (512, 640), color=(200, 170, 150))
    write_image(root / "element.png", (400, 400), color=(20, 20, 120))
    write_wav(root / "voice.wav", 3.0)
    write_video(root / "dance.mp4", 3.0)
    write_video(root / "reference.mp4", 3.0, size=(480, 272))
    return root


@pytest.fixture(scope="session")
def files(media_dir) -> Iterator[FileServer]:
    server = FileServer(media_dir)
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    hook = CallbackReceiver()
    yield hook
    hook.close()
