"""Fixtures of the studio's browser tests: one ``reelforge serve --previz --no-auth`` per
module, one fresh Chromium profile per test, and a screenshot of each test's last state
under ``test-artifacts/studio/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import ARTIFACTS, Server, chromium_missing, launch

_MISSING = chromium_missing()


# Package scope: Playwright's sync API keeps an event loop running on this thread
# while open, so it must be closed before other packages' tests use asyncio.run().
@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    if _MISSING:
        pytest.skip(_MISSING)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if _MISSING:
        pytest.skip(_MISSING)
    server = Server(tmp_path_factory.mktemp("studio") / "home", args=("--no-auth",))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(playwright: Any, tmp_path: Any) -> Iterator[Any]:
    """A fresh Chromium context (empty localStorage) at 1280×800."""
    context = launch(playwright, tmp_path / "profile")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page whose script errors fail the test; its last state is saved as a screenshot."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception:  # a failed test must still report its own error
        pass
    assert not errors, f"script errors in the page: {errors}"
