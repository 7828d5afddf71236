"""bench/gpu.py runs end to end on the CPU with the tiny configurations (no timings asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_tiny_bench_runs_every_case_and_preset(tmp_path):
    pytest.importorskip("reelforge.engines.ltx2.tiny")
    pytest.importorskip("reelforge.engines.wan")
    benchmarks = tmp_path / "BENCHMARKS.md"
    benchmarks.write_text("# Benchmarks\n\nearlier results\n")
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "gpu.py"),
            "--tiny",
            "--low-vram",
            "--write",
            "--benchmarks",
            str(benchmarks),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "### GPU benchmark — CPU:" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line][1:]
    variants = [(r.split(" | ")[0].lstrip("| "), r.split(" | ")[2]) for r in rows]
    for case in ("LTX-2", "Wan 2.2"):
        names = [v for c, v in variants if c.startswith(case)]
        assert names == [
            "stock diffusers",
            "reelforge quality",
            "reelforge balanced",
            "reelforge fast",
            "reelforge --low-vram (no cap on CPU)",
        ], names
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[4] != "—" and cells[5] != "—"  # s/step and s/clip measured
        assert float(cells[8]) > 0  # transformer TFLOP per step counted
        if cells[2] == "reelforge quality":
            assert cells[10] == "0"  # quality: the stock frames exactly
    assert out.count("| completed |") == 2
    written = benchmarks.read_text()
    assert (
        written.startswith("# Benchmarks\n\nearlier results\n")
        and "### GPU benchmark — CPU:" in written
    )
