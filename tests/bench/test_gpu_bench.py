"""bench/gpu.py runs end to end on the CPU with the tiny configurations (no timings asserted):
LTX timed stage by stage for cinema on its default LTX-2.5, budget and cinema on LTX-2, each
model built and freed in turn, Wan stock vs presets, every result a JSON line, the markdown
block rendered from them (also from a run cut short), --budget-s."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "gpu.py"
PRESET_LABELS = ["reelforge quality", "reelforge balanced", "reelforge fast"]
LOW_VRAM = "reelforge --low-vram (no cap on CPU)"
PHASES = ["stage 1", "upsample → stage 2", "stage 2", "decode video", "decode audio", "output"]
RUNS = {
    # run: engine, (stage 1 weights, steps), (stage 2 weights, steps); tiny: 64×64, stage 1
    # at half size, cinema's stage-1 steps --steps (2 in tiny mode), budget's fixed
    "cinema": ("ltx25", ("dev", 2), ("dev + distilled LoRA", 3)),
    "budget": ("ltx2_distilled", ("distilled", 8), ("distilled", 3)),
    "cinema (ltx2)": ("ltx2", ("dev", 2), ("dev + distilled LoRA", 3)),
}


def bench(cwd: Path, *args: str) -> tuple[list[dict], str]:
    """Run the script; its JSON records and the markdown block after them."""
    result = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    block = "\n".join(line for line in lines if not line.startswith("{"))
    return records, block


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("reelforge.engines.ltx2.tiny25")
    pytest.importorskip("reelforge.engines.wan")
    pytest.importorskip("peft")
    folder = tmp_path_factory.mktemp("bench")
    benchmarks = folder / "BENCHMARKS.md"
    benchmarks.write_text("# Benchmarks\n\nearlier results\n")
    jsonl = folder / "run.jsonl"
    records, block = bench(
        folder,
        "--tiny",
        "--low-vram",
        "--write",
        "--benchmarks",
        str(benchmarks),
        "--jsonl",
        str(jsonl),
    )
    return {"records": records, "block": block, "benchmarks": benchmarks, "jsonl": jsonl}


def finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def renders(records: list[dict], name: str) -> dict[str, dict]:
    return {r["label"]: r for r in records if r["kind"] == "render" and r["run"] == name}


def phases(records: list[dict], render: dict) -> list[dict]:
    return [
        p
        for p in records
        if p["kind"] == "phase"
        and (p["run"], p["preset"], p["label"])
        == (render["run"], render["preset"], render["label"])
    ]


def test_ltx_every_run_is_timed_stage_by_stage(run):
    records = run["records"]
    for name, (engine, (w1, s1), (w2, s2)) in RUNS.items():
        done = renders(records, name)
        labels = PRESET_LABELS + ([LOW_VRAM] if name == "cinema" else [])
        assert list(done) == labels, (name, list(done))
        for label, render in done.items():
            assert render["completed"], render
            assert render["engine"] == engine and render["tier"] == name.split()[0]
            assert render["stages"] == [[32, 32, s1], [64, 64, s2]]
            assert render["steps"] == s1 + s2 and render["audio"] is True
            timed = phases(records, render)
            assert [p["phase"] for p in timed] == PHASES, label
            first, _, second = timed[:3]
            assert (first["width"], first["height"], first["weights"], first["steps"]) == (
                32,
                32,
                w1,
                s1,
            )
            assert (second["width"], second["height"], second["weights"], second["steps"]) == (
                64,
                64,
                w2,
                s2,
            )
            for stage in (first, second):
                for key in ("seconds", "prep_s", "text_s", "denoise_s", "step_s", "first_step_s"):
                    assert finite(stage[key]), (label, stage["phase"], key, stage[key])
                assert stage["step_s"] > 0 and stage["flops_per_step"] > 0
            assert all(finite(p["seconds"]) for p in timed)
            # The phases partition the render.
            assert math.isclose(sum(p["seconds"] for p in timed), render["seconds"], rel_tol=1e-9)
            if label != PRESET_LABELS[0]:  # compared with the first preset's render
                assert render["max_diff"] is not None
    # FLOPs per step show what each stage runs (at tiny sizes the text tokens dominate, so
    # a pass at a quarter of the tokens costs about as much as one at full size): cinema's
    # stage 1 makes a CFG pair and a modality-isolation pass per step (the tiny models have
    # no STG block), budget's one pass; cinema's stage 2 carries the LoRA's extra matmuls,
    # budget's none (budget and cinema (ltx2) run on the same LTX-2 build).
    quality = {name: phases(records, renders(records, name)["reelforge quality"]) for name in RUNS}
    budget = quality["budget"]
    assert budget[0]["flops_per_step"] < budget[2]["flops_per_step"]
    for name in ("cinema", "cinema (ltx2)"):
        stage1, stage2 = quality[name][0], quality[name][2]
        assert stage1["flops_per_step"] > 1.3 * stage2["flops_per_step"], name
    ltx2 = quality["cinema (ltx2)"]
    assert ltx2[0]["flops_per_step"] > 2.5 * budget[0]["flops_per_step"]
    assert ltx2[2]["flops_per_step"] > 1.2 * budget[2]["flops_per_step"]
    # Each model's random LoRA, drawn for its dev engine (again after each preset's undo).
    lora = [r for r in records if r["kind"] == "lora"]
    assert {r["model"] for r in lora} == {"LTX-2.5 22B", "LTX-2 19B"}
    assert all(r["rank"] == 4 and r["values"] > 0 for r in lora)


def test_each_model_is_built_for_its_runs_in_turn(run):
    """LTX-2.5 built, cinema rendered under every preset; then LTX-2 built once for budget
    and cinema (ltx2), preset by preset; last --low-vram's fresh LTX-2.5 for cinema."""
    records = run["records"]
    ltx = [
        (r["kind"], r.get("what") or r.get("run"))
        for r in records
        if r.get("case") == "ltx" and r["kind"] in ("build", "render")
    ]
    order = [what for i, (_, what) in enumerate(ltx) if i == 0 or ltx[i - 1][1] != what]
    assert order == [
        "build ltx25",
        "cinema",
        "build ltx2",
        "budget",
        "cinema (ltx2)",
        "budget",
        "cinema (ltx2)",
        "budget",
        "cinema (ltx2)",
        "build ltx25 (low-vram)",
        "cinema",
    ], order
    builds = [r for r in records if r["kind"] == "build" and r["case"] == "ltx"]
    assert [b["model"] for b in builds] == ["LTX-2.5 22B", "LTX-2 19B", "LTX-2.5 22B"]
    assert all(b["completed"] and b["weights_gb"] > 0 for b in builds)


def test_markdown_block_has_a_row_per_stage(run):
    block = run["block"]
    assert "### GPU benchmark — CPU:" in block
    assert (
        "| tier | variant | phase | W×H×frames | weights | steps | s | prep s | s/step |" in block
    )
    rows = [line for line in block.splitlines() if line.startswith("| cinema |")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    quality = [c for c in cells if c[1] == "reelforge quality"]
    assert [c[2] for c in quality] == [*PHASES, "**total**"]
    stage1, stage2, total = quality[0], quality[2], quality[-1]
    assert stage1[3:6] == ["32×32×9", "dev", "2"] and stage2[3:6] == [
        "64×64×9",
        "dev + distilled LoRA",
        "3",
    ]
    for stage in (stage1, stage2):
        assert float(stage[6]) >= 0 and float(stage[8]) >= 0 and float(stage[9]) > 0
    assert total[3] == "64×64×9" and total[5] == "5" and float(total[6]) > 0
    ltx2 = [
        line
        for line in block.splitlines()
        if line.startswith("| cinema (ltx2) | reelforge quality | stage")
    ]
    assert [row.split(" | ")[4:6] for row in ltx2] == [["dev", "2"], ["dev + distilled LoRA", "3"]]
    assert "Engines: cinema — `ltx25`; budget — `ltx2_distilled`; cinema (ltx2) — `ltx2`." in block
    budget = [
        line
        for line in block.splitlines()
        if line.startswith("| budget | reelforge quality | stage")
    ]
    assert [row.split(" | ")[5] for row in budget] == ["8", "3"]
    written = run["benchmarks"].read_text()
    assert written.startswith("# Benchmarks\n\nearlier results\n") and block.strip() in written


def test_wan_stock_and_presets(run):
    variants = [r for r in run["records"] if r["kind"] == "variant"]
    assert [v["variant"] for v in variants] == ["stock diffusers", *PRESET_LABELS, LOW_VRAM]
    for v in variants:
        assert v["completed"] and v["size"] == "32×32×9"
        assert finite(v["step_s"]) and finite(v["clip_s"]) and v["flops_per_step"] > 0
    assert variants[1]["max_diff"] == 0  # quality: the stock frames exactly
    assert variants[-1]["note"] == "completed"
    assert (
        "| Wan 2.2 TI2V-5B text-to-video, 5 s 720p | 32×32×9 | stock diffusers | 2 |"
        in run["block"]
    )


def test_report_renders_the_same_block_from_saved_lines_even_cut_short(run, tmp_path):
    saved = run["jsonl"].read_text().splitlines()
    _, block = bench(tmp_path, "--report", str(run["jsonl"]))
    assert block.strip() == run["block"].strip()
    # Killed in the middle of budget's stage 2: the lines up to there, the last one cut.
    cut = next(
        i for i, line in enumerate(saved) if '"tier": "budget"' in line and '"stage 2"' in line
    )
    partial = tmp_path / "cut.jsonl"
    partial.write_text("\n".join(saved[:cut]) + "\n" + saved[cut][:40] + "\n")
    _, block = bench(tmp_path, "--report", str(partial))
    assert "| cinema | reelforge quality | **total** | 64×64×9 |" in block
    budget = [
        line for line in block.splitlines() if line.startswith("| budget | reelforge quality")
    ]
    assert [row.split(" | ")[2] for row in budget] == ["stage 1", "upsample → stage 2", "**total**"]
    assert budget[-1].endswith("| **cut short**: no total |")
    assert "Stock diffusers vs" not in block


def test_budget_skips_what_does_not_fit(tmp_path):
    pytest.importorskip("reelforge.engines.ltx2.tiny25")
    records, block = bench(tmp_path, "--tiny", "--cases", "ltx,wan", "--budget-s", "0")
    skips = [r for r in records if r["kind"] == "skip"]
    assert [(s["case"], s["what"]) for s in skips] == [
        ("ltx", "build ltx25"),
        ("ltx", "build ltx2"),
        ("wan", "build"),
    ]
    assert not [r for r in records if r["kind"] in ("render", "phase", "variant")]
    assert "Skipped (`--budget-s`):" in block


def test_tiers_pick_runs_by_tier_and_engine(tmp_path):
    """``--tiers cinema:ltx2`` is cinema on LTX-2 alone: only LTX-2 would be built (here
    skipped: no budget); an engine the tier does not offer is refused, naming the choices."""
    pytest.importorskip("reelforge.engines.ltx2.tiny25")
    records, _ = bench(
        tmp_path, "--tiny", "--cases", "ltx", "--tiers", "cinema:ltx2", "--budget-s", "0"
    )
    assert [(r["case"], r["what"]) for r in records if r["kind"] == "skip"] == [
        ("ltx", "build ltx2")
    ]
    refused = subprocess.run(
        [sys.executable, str(BENCH), "--tiny", "--tiers", "cinema:wan"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert refused.returncode == 2
    assert "--tiers 'cinema:wan': choose from cinema, budget, cinema:ltx2" in refused.stderr


NAN_IN_BUDGET = """
import gc
import sys
sys.path.insert(0, {bench!r})
import gpu
from diffusers import LTX2VideoTransformer3DModel
from reelforge.engines.ltx2.engine import LTX2Engine

real, calls = LTX2Engine.upsample, []


def upsample(self, latents):  # the 4th upsample is the timed budget render's: NaN from there
    calls.append(1)
    out = real(self, latents)
    return out * float("nan") if len(calls) == 4 else out


build, alive = gpu.CASES["ltx"].build, []


def counted(*args):  # how many LTX transformers are still alive when a model is built
    gc.collect()
    alive.append(sum(isinstance(o, LTX2VideoTransformer3DModel) for o in gc.get_objects()))
    return build(*args)


LTX2Engine.upsample = upsample
gpu.CASES["ltx"].build = counted
code = gpu.main(["--tiny", "--cases", "ltx", "--presets", "quality"])
print("alive at each build:", alive, file=sys.stderr)
sys.exit(code if alive == [0, 0] else 3)
"""


def test_models_are_freed_in_turn_and_a_failed_render_keeps_its_stages(tmp_path):
    """LTX-2.5 is freed before LTX-2 is built (no transformer alive at either build); a
    NaN in budget's stage 2 fails that render and the run, keeps the phases it timed, and
    the runs after it still render."""
    pytest.importorskip("reelforge.engines.ltx2.tiny25")
    result = subprocess.run(
        [sys.executable, "-c", NAN_IN_BUDGET.format(bench=str(BENCH.parent))],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 1, result.stderr[-3000:]
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    cinema, budget, ltx2 = (renders(records, name)["reelforge quality"] for name in RUNS)
    assert cinema["completed"] and not budget["completed"] and ltx2["completed"]
    assert "stage 2 of segment 1 (step 1) produced NaN" in budget["note"]
    assert [p["phase"] for p in phases(records, budget)] == ["stage 1", "upsample → stage 2"]
    assert "| budget | reelforge quality | **total** | 64×64×9 |" in result.stdout
    assert "**did not complete**: NonFiniteOutput: stage 2" in result.stdout
