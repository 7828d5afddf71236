"""The studio's browser harness: Debian's Chromium driven by Playwright (never a
downloaded browser), a fresh profile per context, and a real ``reelforge serve`` on a free
loopback port (from the service tests' harness). ``docs/screenshots.py`` uses it too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.service.harness import Server, write_image, write_video, write_wav

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "Server",
    "api_key",
    "launch",
    "open_studio",
    "write_image",
    "write_video",
    "write_wav",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "studio"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
READY_MS = 15_000


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent: install Debian's Chromium (apt-get install -y chromium)"
    return None


def launch(playwright: Any, profile: Path, viewport: dict[str, int] = DESKTOP) -> Any:
    """A persistent context on a fresh user-data dir (so localStorage starts empty)."""
    profile.mkdir(parents=True, exist_ok=True)
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=viewport,
        accept_downloads=True,
    )


def open_studio(page: Any, url: str, hash_: str = "#/text2video") -> None:
    """Load the studio and wait until it has booted (limits, tiers, account, queue)."""
    page.goto(f"{url}/{hash_}")
    page.wait_for_function("document.body.dataset.ready === 'true'", timeout=READY_MS)


def api_key(server: Server) -> str:
    """A static ``rfk_`` key of a fresh account (the page's sign-in uses one)."""
    out = server.cli("keys", "create", "--api-key", "--json", "--account", "studio").stdout
    return json.loads(out)["api_key"]
