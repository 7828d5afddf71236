"""A body without ``mode`` renders at its tier's own resolution, on a real server (each
store backend): turbo at 720p (all it offers), cinema at 1080p; a ``mode`` given is kept."""

from __future__ import annotations

import pytest

from .harness import Server
from .test_endpoints import finished

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


@pytest.fixture(scope="module")
def kling(server: Server):
    with server.client(server.account("defaults")) as client:
        yield client


def test_tiers_say_their_default_resolution(kling):
    tiers = {t["name"]: t for t in kling.tiers()}
    assert tiers["turbo"]["default_resolution"] == "720p"
    assert tiers["cinema"]["default_resolution"] == "1080p"
    assert all(t["default_resolution"] in t["resolutions"] for t in tiers.values())


@pytest.mark.parametrize(
    ("model_name", "mode", "resolution", "credits"),
    [
        ("kling-v2-5-turbo", None, "720p", 3 * 3),
        ("turbo", None, "720p", 3 * 3),
        ("kling-v3", None, "1080p", 8 * 3),
        ("kling-v3", "std", "720p", 6 * 3),
    ],
)
def test_a_body_without_mode_renders_at_its_tiers_default(
    server, kling, tmp_path, model_name, mode, resolution, credits
):
    task = kling.text2video(
        "A cat walks", model_name=model_name, mode=mode, duration=3, sound="off"
    )
    done, _ = finished(
        server, kling, task, tmp_path, duration=3, size=SIZES[resolution], audio=False
    )
    assert int(done.final_unit_deduction) == credits  # priced at the resolution rendered
