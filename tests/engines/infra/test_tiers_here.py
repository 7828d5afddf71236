"""``reelforge tiers`` says a tier can render "here" only when its engine would find its
weights (the lookup the API's submit runs too), against a fake Hub and a clean cache."""

from __future__ import annotations

import shutil

from reelforge.lineup.tiers import TIERS

from .conftest import LTX25_REPO, LTX_REPO
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
    assert rows["turbo"] == rows["cinema"] == "yes"
    # cinema runs LTX-2.5; avatar runs LTX-2 and budget its distilled checkpoint
    assert {rows[t] for t in ("avatar", "budget", "omni", "motion")} == {"previz only"}
    assert "reelforge pull turbo" not in out and "reelforge pull omni" in out
    assert "reelforge pull avatar" in out and "reelforge pull budget" in out
    ltx25 = snapshot(hf_cache, LTX25_REPO)
    assert (ltx25 / "transformer_full" / "diffusion_pytorch_model.safetensors").is_file()
    assert not (ltx25 / "transformer" / "diffusion_pytorch_model.safetensors").exists()
    assert not (ltx25 / "duration_head").exists()  # never loaded: never fetched
    assert reelforge("pull", "avatar", env=hf_env).returncode == 0
    assert reelforge("pull", "budget", env=hf_env).returncode == 0
    rows, out = here(hf_env)
    assert rows["avatar"] == rows["budget"] == "yes"

    # every LTX render opens the latent upsampler (stage 2), at every resolution
    shutil.rmtree(snapshot(hf_cache, LTX_REPO) / "latent_upsampler")
    rows, out = here(hf_env)
    assert rows["budget"] == rows["avatar"] == "previz only" and rows["cinema"] == "yes"
    assert "latent upsampler" in out and "reelforge pull avatar" in out
