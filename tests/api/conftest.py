"""The API in-process (FastAPI's TestClient), on a SQLite store in a temporary data dir,
with a fake renderer (instant, writes small files) unless a test asks for the real one;
every tier's weights count as pulled (:func:`tests.weights.placeholder_weights`)."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from reelforge.api.app import create_app
from reelforge.store import accounts as acc

from ..request.conftest import Files
from ..store.conftest import make_store
from ..weights import MODELS_ENV, placeholder_weights


def fake_render(request, *, output, progress, cancel, previz):
    """Stands in for the runner: reports progress, writes a video and a poster."""
    from reelforge.render.progress import ProgressEvent

    for i in range(3):
        progress(ProgressEvent("render", i / 3, "fake"))
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"\x00\x00\x00\x18ftypmp42 fake video")
    out.with_suffix(".jpg").write_bytes(b"\xff\xd8\xff fake poster")
    progress(ProgressEvent("done", 1.0, "done"))
    return SimpleNamespace(
        video=out,
        poster=out.with_suffix(".jpg"),
        duration=float(request.duration or 5.0),
        width=64,
        height=64,
        fps=24,
        has_audio=False,
        previz=previz,
    )


class Service:
    """A running app, its store, and helpers to make accounts and tokens."""

    def __init__(self, client: TestClient, store) -> None:
        self.client = client
        self.store = store

    def keys(self, account: str = "default", credits: int = 0) -> tuple[str, str]:
        with self.store.db.write() as s:
            owner = acc.get_or_create_account(s, account)
            pair = acc.create_key_pair(s, owner)
        if credits:
            self.store.grant(account, credits)
        return pair

    def headers(self, account: str = "default", credits: int = 1000, **claims) -> dict[str, str]:
        access, secret = self.keys(account, credits)
        return {"Authorization": "Bearer " + token(access, secret, **claims)}

    def wait(self, path: str, headers: dict[str, str], timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.client.get(path, headers=headers).json()["data"]
            if data["task_status"] in ("succeed", "failed"):
                return data
            time.sleep(0.02)
        raise AssertionError(f"{path} did not finish: {data}")


def token(access: str, secret: str, **claims) -> str:
    now = int(time.time())
    payload = {"iss": access, "exp": now + 1800, "nbf": now - 5, **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret, headers={"alg": "HS256", "typ": "JWT"})


@pytest.fixture
def make_service(tmp_path, monkeypatch):
    made: list[TestClient] = []

    def make(
        render=fake_render,
        run_workers=True,
        fetch_transport=None,
        callback_transport=None,
        **config,
    ) -> Service:
        config.setdefault("allow_private_urls", True)
        store = make_store(tmp_path / f"s{len(made)}", "sqlite", monkeypatch, **config)
        # the fake renderer stands in for every tier's engine: their weights count as here
        monkeypatch.setenv(MODELS_ENV, str(placeholder_weights(tmp_path / "models")))
        app = create_app(
            store.config,
            store=store,
            render=render,
            run_workers=run_workers,
            fetch_transport=fetch_transport,
            callback_transport=callback_transport,
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        made.append(client)
        return Service(client, store)

    yield make
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture
def service(make_service) -> Service:
    return make_service()


@pytest.fixture
def files(tmp_path) -> Files:
    (tmp_path / "files").mkdir()
    return Files(tmp_path / "files")


def b64(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()


def serving(routes: dict[str, bytes | tuple[int, dict[str, str], bytes]]) -> httpx.MockTransport:
    """A fake web: ``url -> body`` or ``url -> (status, headers, body)``."""

    def handler(request: httpx.Request) -> httpx.Response:
        found = routes.get(str(request.url))
        if found is None:
            return httpx.Response(404)
        if isinstance(found, bytes):
            return httpx.Response(200, content=found)
        status, headers, body = found
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handler)
