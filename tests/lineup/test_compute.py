"""The lineup's speeds: counted FLOPs over the H100's rate, or what BENCHMARKS.md measured."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reelforge.lineup import TIERS, compute, estimate, with_default_resolution
from reelforge.spec.requests import parse_request

REPO = Path(__file__).resolve().parents[2]
COMPUTE_JSON = REPO / "src" / "reelforge" / "lineup" / "compute.json"
GPU_TIERS = [t for t in TIERS.values() if t.traits.needs_weights]


def counted() -> dict:
    """compute.json as written by bench/flops.py, read here on its own."""
    return json.loads(COMPUTE_JSON.read_text(encoding="utf-8"))


def test_cinema_1080p_is_its_counted_flops_at_the_stated_rate():
    flops = counted()["tiers"]["cinema"]["1080p"]["flops_per_output_second"]
    expected = flops / (compute.GPU_PEAK_FLOPS * compute.UTILISATION)
    assert TIERS["cinema"].speed["1080p"] == pytest.approx(expected, rel=1e-12)
    speed = TIERS["cinema"].speed_for("1080p")
    assert not speed.measured and speed.hardware == "H100"
    assert speed.label == "estimated on H100 (not measured)"


def test_every_gpu_tier_and_resolution_is_counted_from_its_parts():
    data = counted()
    assert data["clip_seconds"] == 5.0 and "FlopCounterMode" in data["how"]
    for tier in GPU_TIERS:
        for resolution in tier.resolutions:
            entry = data["tiers"][tier.name][resolution]
            assert entry["engine"] == tier.engine
            assert entry["flops"] == sum(p["calls"] * p["flops"] for p in entry["parts"])
            seconds = entry["output_frames"] / entry["fps"]
            assert entry["flops_per_output_second"] == pytest.approx(entry["flops"] / seconds)
            assert entry["fps"] == tier.fps_for(tier.workflows[0])
            assert TIERS[tier.name].speed[resolution] > 0


def test_budget_is_faster_than_cinema_and_4k_slower_than_1080p():
    cinema, budget = TIERS["cinema"].speed, TIERS["budget"].speed
    for resolution in TIERS["budget"].resolutions:
        assert budget[resolution] < cinema[resolution], resolution
    assert cinema["720p"] < cinema["1080p"] < cinema["4k"]


def test_cinema_runs_every_guidance_pass_and_budget_none():
    """Cinema's stage 1 is CFG (batch 2) + STG + modality on the dev weights, its stage 2 the
    LoRA refine; budget is distilled throughout, one forward a step."""
    parts = [p["what"] for p in counted()["tiers"]["cinema"]["1080p"]["parts"]]
    assert any(
        "stage 1: transformer 960×544×121, dev, 40 steps × (CFG pair + STG + modality)" in p
        for p in parts
    ), parts
    assert any(
        p.startswith("stage 2: transformer 1920×1088×121, dev + distilled LoRA") for p in parts
    )
    budget = [p["what"] for p in counted()["tiers"]["budget"]["1080p"]["parts"]]
    assert any("distilled, 8 steps × (plain)" in p for p in budget), budget
    stages = [p for p in counted()["tiers"]["cinema"]["4k"]["parts"] if "transformer" in p["what"]]
    assert [p["what"].split(":")[0] for p in stages] == ["stage 1", "stage 2", "stage 3"]


def test_every_measurement_is_in_benchmarks_md():
    """Each measured speed names its BENCHMARKS.md row, and the row has the same rate."""
    text = (REPO / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert compute.MEASURED
    for m in compute.MEASURED:
        rows = [line for line in text.splitlines() if line.startswith(f"| {m.row}")]
        assert len(rows) == 1, m.row
        cells = [c.strip() for c in rows[0].strip("|").split("|")]
        assert float(cells[1]) == m.frames_per_second, rows[0]
        assert m.fps == TIERS[m.tier].fps and m.resolution in TIERS[m.tier].resolutions
        speed = TIERS[m.tier].speed_for(m.resolution)
        assert speed.measured and speed.seconds == pytest.approx(m.fps / m.frames_per_second)
        assert speed.label == f"measured on {m.hardware}"


def test_a_cpu_resolution_without_a_measurement_is_scaled_and_says_so():
    four_k = TIERS["animatic"].speed_for("4k")
    assert not four_k.measured and four_k.label == "estimated on 2-core CPU (not measured)"
    assert four_k.seconds == pytest.approx(4 * TIERS["animatic"].speed["1080p"])


def _request(**data):
    return parse_request(
        with_default_resolution({"workflow": "text2video", "prompt": "a fox", **data})
    )


def test_the_estimate_says_where_its_time_comes_from():
    cinema = estimate(_request(resolution="1080p"), TIERS["cinema"], 5)
    assert not cinema.measured
    assert cinema.describe().endswith(
        f"about {cinema.seconds:.0f} s, estimated on H100 (not measured)"
    )
    assert cinema.seconds == pytest.approx(5 * TIERS["cinema"].speed["1080p"])
    previz = estimate(_request(resolution="720p"), TIERS["animatic"], 10)
    assert previz.measured and previz.describe().endswith("measured on 2-core CPU")
    assert previz.seconds == pytest.approx(10 * 24 / 56)


def test_the_lineup_reads_its_numbers_without_torch():
    code = (
        "import sys, reelforge.lineup as l; l.TIERS['cinema'].speed['4k']; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_benchmarks_md_has_the_counted_table():
    """BENCHMARKS.md shows the counted FLOPs per output second of every tier × resolution."""
    text = (REPO / "BENCHMARKS.md").read_text(encoding="utf-8")
    section = text[text.index("## FLOP-derived GPU estimates") :]
    data = counted()["tiers"]
    for tier in GPU_TIERS:
        for resolution in tier.resolutions:
            pflops = data[tier.name][resolution]["flops_per_output_second"] / 1e15
            row = re.search(rf"^\| {tier.name} \| {resolution} \|.*$", section, re.MULTILINE)
            assert row, (tier.name, resolution)
            assert f"| {pflops:.1f} |" in row.group(0), row.group(0)
