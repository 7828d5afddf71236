"""The lineup's speeds: counted FLOPs over the H100's rate, or what BENCHMARKS.md measured;
per tier, engine (the tier's default, or the ``model`` a request names) and resolution."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reelforge.lineup import TIERS, compute, estimate, with_default_resolution
from reelforge.request.models import parse_request

REPO = Path(__file__).resolve().parents[2]
COMPUTE_JSON = REPO / "src" / "reelforge" / "lineup" / "compute.json"
GPU_TIERS = [t for t in TIERS.values() if t.traits.needs_weights]


def counted() -> dict:
    """compute.json as written by bench/flops.py, read here on its own."""
    return json.loads(COMPUTE_JSON.read_text(encoding="utf-8"))


def engines(tier) -> tuple[str, ...]:
    """The engines a tier renders with: its default, then the models a request may name."""
    return (tier.engine, *tier.models)


def test_cinema_1080p_is_its_counted_flops_at_the_stated_rate():
    """The default (LTX-2.5) is what ``speed`` shows; LTX-2 is a request's ``model``."""
    rate = compute.GPU_PEAK_FLOPS * compute.UTILISATION
    cinema = counted()["tiers"]["cinema"]
    assert TIERS["cinema"].engine == "ltx25"
    ltx25 = cinema["ltx25"]["1080p"]["flops_per_output_second"] / rate
    assert TIERS["cinema"].speed["1080p"] == pytest.approx(ltx25, rel=1e-12)
    ltx2 = cinema["ltx2"]["1080p"]["flops_per_output_second"] / rate
    assert TIERS["cinema"].speed_for("1080p", "ltx2").seconds == pytest.approx(ltx2, rel=1e-12)
    assert ltx2 != pytest.approx(ltx25)
    speed = TIERS["cinema"].speed_for("1080p")
    assert not speed.measured and speed.hardware == "H100"
    assert speed.label == "estimated on H100 (not measured)"


def test_every_gpu_tier_engine_and_resolution_is_counted_from_its_parts():
    data = counted()
    assert data["clip_seconds"] == 5.0 and "FlopCounterMode" in data["how"]
    assert {t.name for t in GPU_TIERS} == set(data["tiers"])
    for tier in GPU_TIERS:
        assert set(data["tiers"][tier.name]) == set(engines(tier)), tier.name
        for engine in engines(tier):
            for resolution in tier.resolutions:
                entry = data["tiers"][tier.name][engine][resolution]
                assert entry["flops"] == sum(p["calls"] * p["flops"] for p in entry["parts"])
                seconds = entry["output_frames"] / entry["fps"]
                assert entry["flops_per_output_second"] == pytest.approx(entry["flops"] / seconds)
                assert entry["fps"] == tier.fps_for(tier.workflows[0])
                assert tier.speed_for(resolution, engine).seconds > 0


def test_budget_is_faster_than_cinema_and_4k_slower_than_1080p():
    cinema, budget = TIERS["cinema"], TIERS["budget"].speed
    for model in engines(cinema):
        speed = {r: cinema.speed_for(r, model).seconds for r in cinema.resolutions}
        for resolution in TIERS["budget"].resolutions:
            assert budget[resolution] < speed[resolution], (model, resolution)
        assert speed["720p"] < speed["1080p"] < speed["4k"], model


def test_cinema_runs_every_guidance_pass_and_budget_none():
    """Cinema's stage 1 is CFG (batch 2) + STG + modality on the dev weights with each
    model's own steps and text encoder, its stage 2 the refine with each model's distilled
    LoRA; budget is distilled throughout, one forward a step."""
    for model, steps, rank, gemma in (("ltx25", 30, 450, 4), ("ltx2", 40, 384, 3)):
        parts = [p["what"] for p in counted()["tiers"]["cinema"][model]["1080p"]["parts"]]
        first = (
            f"stage 1: transformer 960×544×121, dev, {steps} steps × (CFG pair + STG + modality)"
        )
        assert first in parts, parts
        assert any(
            p.startswith("stage 2: transformer 1920×1088×121, dev + distilled LoRA")
            and f"(LoRA rank {rank}, unfused)" in p
            for p in parts
        ), parts
        assert f"stage 1: text encoder (Gemma {gemma} 12B, 2 × 1024 tokens)" in parts, parts
        stages = [
            p["what"]
            for p in counted()["tiers"]["cinema"][model]["4k"]["parts"]
            if "transformer" in p["what"]
        ]
        assert [p.split(":")[0] for p in stages] == ["stage 1", "stage 2", "stage 3"]
    budget = [p["what"] for p in counted()["tiers"]["budget"]["ltx2_distilled"]["1080p"]["parts"]]
    assert any("distilled, 8 steps × (plain)" in p for p in budget), budget


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
        assert m.engine == TIERS[m.tier].engine
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
    ltx2 = estimate(_request(resolution="1080p", model="ltx2"), TIERS["cinema"], 5)
    assert ltx2.seconds == pytest.approx(5 * TIERS["cinema"].speed_for("1080p", "ltx2").seconds)
    assert ltx2.seconds != pytest.approx(cinema.seconds) and ltx2.credits == cinema.credits
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
    """BENCHMARKS.md shows the counted FLOPs per output second of every tier × engine ×
    resolution."""
    text = (REPO / "BENCHMARKS.md").read_text(encoding="utf-8")
    section = text[text.index("## FLOP-derived GPU estimates") :]
    data = counted()["tiers"]
    for tier in GPU_TIERS:
        for engine in engines(tier):
            for resolution in tier.resolutions:
                pflops = data[tier.name][engine][resolution]["flops_per_output_second"] / 1e15
                row = re.search(
                    rf"^\| {tier.name} \| {resolution} \| {engine} \|.*$", section, re.MULTILINE
                )
                assert row, (tier.name, engine, resolution)
                assert f"| {pflops:.1f} |" in row.group(0), row.group(0)
