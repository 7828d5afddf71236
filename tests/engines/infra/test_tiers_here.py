"""``reelforge tiers`` says a tier can render "here" only when its engine would find its
weights (the lookup the API's submit runs too), against a fake Hub and a clean cache."""

from __future__ import annotations

import shutil

from reelforge.lineup.tiers import TIERS

from .conftest import LTX_REPO
from .test_weights import reelforge, snapshot

WEIGHTED = [name for name, tier in TIERS.items() if tier.traits.needs_weights]


def here(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """The ``here`` column of ``reelforge tiers`` by tier, and the whole output."""
    result = reelforge("tiers", env=env)
    assert result.returncode == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if cells[0] in TIERS:
            rows[cells[0]] = cells[-1]
    assert set(rows) == set(TIERS), result.stdout
    return rows, result.stdout


def test_here_follows_the_weights(hf_env, fake_hub, hf_cache, tiny_wan_folder):
    rows, out = here(hf_env)  # nothing pulled
    assert rows["animatic"] == "yes"
    assert {rows[name] for name in WEIGHTED} == {"previz only"}
    for name in WEIGHTED:
        assert f"reelforge pull {name}" in out

    assert reelforge("pull", "turbo", env=hf_env).returncode == 0
    assert reelforge("pull", "cinema", env=hf_env).returncode == 0
    rows, out = here(hf_env)
    assert rows["turbo"] == rows["cinema"] == rows["avatar"] == "yes"
    # budget runs the distilled checkpoint, which `pull cinema` does not fetch
    assert rows["budget"] == rows["omni"] == rows["motion"] == "previz only"
    assert "reelforge pull turbo" not in out and "reelforge pull omni" in out
    assert "ltx-2-19b-distilled.safetensors" in out and "reelforge pull budget" in out
    assert reelforge("pull", "budget", env=hf_env).returncode == 0
    assert here(hf_env)[0]["budget"] == "yes"

    # every LTX-2 render opens the latent upsampler (stage 2), at every resolution
    shutil.rmtree(snapshot(hf_cache, LTX_REPO) / "latent_upsampler")
    rows, out = here(hf_env)
    assert rows["cinema"] == rows["budget"] == rows["avatar"] == "previz only"
    assert "latent upsampler" in out and "reelforge pull cinema" in out
