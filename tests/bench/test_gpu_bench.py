"""bench/gpu.py runs end to end on the CPU with the tiny configurations (no timings asserted):
the three results issue 12 asks for first — LTX-2 two-stage as the diffusers docs run it
beside the engine's fastest preset, Wan stock vs fast, LTX-2 low-VRAM in a child process
with its host RAM —, then LTX timed stage by stage for cinema on its default LTX-2.5, budget
and cinema on LTX-2, each model built and freed in turn, the other Wan presets and Wan
low-VRAM; every result a JSON line, the markdown block rendered from them (also from a run
cut short), --budget-s."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "gpu.py"
JOBS = ["ltx2", "wan", "ltx2-low-vram", "ltx", "wan-presets", "wan-low-vram"]
PRESET_LABELS = ["reelforge quality", "reelforge balanced", "reelforge fast"]
LOW_VRAM = "reelforge --low-vram (no cap on CPU)"
PHASES = ["stage 1", "upsample → stage 2", "stage 2", "decode video", "decode audio", "output"]
STOCK_PHASES = ["stage 1", "upsample → stage 2", "stage 2", "decode + output"]
RUNS = {
    # run: engine, (stage 1 weights, steps), (stage 2 weights, steps); tiny: 64×64, stage 1
    # at half size, cinema's stage-1 steps --steps (2 in tiny mode), budget's fixed
    "cinema": ("ltx25", ("dev", 2), ("dev + distilled LoRA", 3)),
    "budget": ("ltx2_distilled", ("distilled", 8), ("distilled", 3)),
    "cinema (ltx2)": ("ltx2", ("dev", 2), ("dev + distilled LoRA", 3)),
}


def python(cwd: Path, timeout: int, *argv: str) -> tuple[Any, list[dict]]:
    """Run Python with ``argv`` in ``cwd`` on one thread; its result and its JSON lines."""
    result = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, records


def bench(cwd: Path, *args: str) -> tuple[list[dict], str]:
    """Run the script; its JSON records and the markdown block after them."""
    result, records = python(cwd, 900, str(BENCH), *args)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    block = "\n".join(line for line in lines if not line.startswith("{"))
    return records, block


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("reelforge.testing.ltx25")
    pytest.importorskip("reelforge.engines.wan.engine")
    pytest.importorskip("peft")
    folder = tmp_path_factory.mktemp("bench")
    benchmarks = folder / "BENCHMARKS.md"
    benchmarks.write_text("# Benchmarks\n\nearlier results\n")
    jsonl = folder / "run.jsonl"
    records, block = bench(
        folder,
        "--tiny",
        "--write",
        "--benchmarks",
        str(benchmarks),
        "--jsonl",
        str(jsonl),
    )
    return {"records": records, "block": block, "benchmarks": benchmarks, "jsonl": jsonl}


def finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def renders(records: list[dict], name: str, case: str = "ltx") -> dict[str, dict]:
    return {
        r["label"]: r
        for r in records
        if r["kind"] == "render" and r["case"] == case and r.get("run") == name
    }


def phases(records: list[dict], render: dict) -> list[dict]:
    return [
        p
        for p in records
        if p["kind"] == "phase"
        and (p["case"], p["run"], p["preset"], p["label"])
        == (render["case"], render["run"], render["preset"], render["label"])
    ]


def test_ltx_every_run_is_timed_stage_by_stage(run):
    records = run["records"]
    for name, (engine, (w1, s1), (w2, s2)) in RUNS.items():
        done = renders(records, name)
        assert list(done) == PRESET_LABELS, (name, list(done))
        for label, render in done.items():
            assert render["completed"], render
            assert render["engine"] == engine and render["tier"] == name.split()[0]
            assert render["stages"] == [[32, 32, s1], [64, 64, s2]]
            assert render["steps"] == s1 + s2 and render["audio"] is True
            assert [p["steps"] for p in render["per_stage"]] == [s1, s2]
            # Allocated and reserved peaks, MFU per stage: keys everywhere, None on the CPU.
            assert "peak_gb" in render and "reserved_gb" in render
            stage_lines = [*timed_keys(records, render), *render["per_stage"]]
            assert all("mfu" in p and "flops_per_step" in p for p in stage_lines)
            assert all("reserved_gb" in p for p in timed_keys(records, render))
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
            # The other presets cache: judged on speed only, no pixel difference.
            assert render["cache"] == (label != PRESET_LABELS[0]) and render["max_diff"] is None
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


def timed_keys(records: list[dict], render: dict) -> list[dict]:
    return [p for p in phases(records, render) if "steps" in p]


def test_each_model_is_built_for_its_runs_in_turn(run):
    """In the ltx job: LTX-2.5 built, cinema rendered under every preset; then LTX-2 built
    once for budget and cinema (ltx2), preset by preset."""
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
    ], order
    builds = [r for r in records if r["kind"] == "build" and r["case"] == "ltx"]
    assert [b["model"] for b in builds] == ["LTX-2.5 22B", "LTX-2 19B"]
    assert all(b["completed"] and b["weights_gb"] > 0 for b in builds)


def test_markdown_block_has_a_row_per_stage(run):
    block = run["block"]
    assert "### GPU benchmark — CPU:" in block
    assert (
        "| tier | variant | phase | W×H×frames | weights | passes | steps | s | prep s | s/step |"
        in block
    )
    rows = [line for line in block.splitlines() if line.startswith("| cinema |")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    quality = [c for c in cells if c[1] == "reelforge quality"]
    assert [c[2] for c in quality] == [*PHASES, "**total**"]
    stage1, stage2, total = quality[0], quality[2], quality[-1]
    # The tiny models have no STG block: CFG pair and modality pass in stage 1.
    assert stage1[3:7] == ["32×32×9", "dev", "CFG pair + modality", "2"]
    assert stage2[3:7] == ["64×64×9", "dev + distilled LoRA", "plain", "3"]
    for stage in (stage1, stage2):
        assert float(stage[7]) >= 0 and float(stage[9]) >= 0 and float(stage[10]) > 0
    assert total[3] == "64×64×9" and total[6] == "5" and float(total[7]) > 0
    assert "s at the recipe's 30+3 steps" in total[-1]  # LTX-2.5's 30, --steps ran 2
    ltx2 = [
        line
        for line in block.splitlines()
        if line.startswith("| cinema (ltx2) | reelforge quality | stage")
    ]
    assert [row.split(" | ")[4:7:2] for row in ltx2] == [
        ["dev", "2"],
        ["dev + distilled LoRA", "3"],
    ]
    assert "Engines: cinema — `ltx25`; budget — `ltx2_distilled`; cinema (ltx2) — `ltx2`." in block
    budget = [
        line
        for line in block.splitlines()
        if line.startswith("| budget | reelforge quality | stage")
    ]
    assert [row.split(" | ")[6] for row in budget] == ["8", "3"]
    written = run["benchmarks"].read_text()
    assert written.startswith("# Benchmarks\n\nearlier results\n") and block.strip() in written


def test_wan_stock_and_presets(run):
    """wan: stock, then fast; wan-presets: the others against the same stock (its frames
    kept, not rendered again); wan-low-vram in its child. Caches are judged on speed only."""
    variants = [r for r in run["records"] if r["kind"] == "variant"]
    assert [(v["case"], v["variant"]) for v in variants] == [
        ("wan", "stock diffusers"),
        ("wan", "reelforge fast"),
        ("wan-presets", "reelforge quality"),
        ("wan-presets", "reelforge balanced"),
        ("wan-low-vram", LOW_VRAM),
    ]
    for v in variants:
        assert v["completed"] and v["size"] == "32×32×9"
        assert finite(v["step_s"]) and finite(v["clip_s"]) and v["flops_per_step"] > 0
        assert v["recipe_steps"] == 50 and v["projected_clip_s"] > v["clip_s"]  # 2 of 50
        assert "reserved_gb" in v and "mfu" in v
    stock, fast, quality, balanced, low = variants
    assert quality["max_diff"] == 0  # quality: the stock frames exactly
    assert fast["max_diff"] is None and balanced["max_diff"] is None  # caches: speed only
    assert low["note"] == "completed" and low["host_weights_gb"] > 0
    assert low["host_peak_gb"] >= low["host_built_gb"] >= 0
    assert (
        "| Wan 2.2 TI2V-5B, 5 s 720p: stock diffusers vs reelforge fast | 32×32×9 "
        "| stock diffusers | 2 |" in run["block"]
    )


def test_ltx2_stock_two_stage_beside_the_fastest_preset(run):
    """The docs' recipe: stage 1 at half size with the shipped scheduler, the upsampler, stage
    2 with the LoRA on the stage-2 sigmas — and, its guidance_scale=1.0 leaving the
    defaults' audio CFG, STG and modality on, four passes a step in stage 2 where the
    engine runs one. Both render the same clip; the headline rows sit next to each other."""
    records = run["records"]
    pair = [r for r in records if r["kind"] == "render" and r["case"] == "ltx2"]
    assert [r["label"] for r in pair] == ["stock diffusers", "reelforge fast"]
    stock, fast = pair
    assert stock["completed"] and fast["completed"]
    assert stock["stages"] == fast["stages"] == [[32, 32, 2], [64, 64, 3]]
    assert stock["recipe_steps"] == [30, 3] and fast["recipe_steps"] == [40, 3]
    for r in pair:
        assert r["projected_clip_s"] > r["clip_s"] > 0
    timed = phases(records, stock)
    assert [p["phase"] for p in timed] == STOCK_PHASES
    assert math.isclose(sum(p["seconds"] for p in timed), stock["seconds"], rel_tol=1e-9)
    stages = {p["stage"]: p for p in timed if "steps" in p}
    assert stages[1]["passes"] == stages[2]["passes"] == "CFG pair + STG + modality"
    assert [p["passes"] for p in timed_keys(records, fast)] == ["CFG pair + modality", "plain"]
    stock_flops = [p["flops_per_step"] for p in stock["per_stage"]]
    fast_flops = [p["flops_per_step"] for p in fast["per_stage"]]
    assert stock_flops[1] > 3 * fast_flops[1]  # four passes against one
    assert fast["cache"] is True and fast["max_diff"] is None
    rows = [line for line in run["block"].splitlines() if line.startswith("| LTX-2 19B two-stage")]
    assert [row.split(" | ")[1] for row in rows] == ["stock diffusers", "reelforge fast"]
    assert rows[0].split(" | ")[7] == "1.00" and float(rows[1].split(" | ")[7]) > 0


def test_ltx2_low_vram_in_a_child_with_its_host_ram(run):
    """Built in host memory by its own process while the jobs before it ran, then rendered
    with low_vram: the budget tier's stages, the host RAM it used next to its weights."""
    records = run["records"]
    build = next(r for r in records if r["kind"] == "build" and r["case"] == "ltx2-low-vram")
    assert build["device"] == "cpu" and build["model"] == "LTX-2 19B"
    (render,) = [r for r in records if r["kind"] == "render" and r["case"] == "ltx2-low-vram"]
    assert render["completed"] and render["label"] == LOW_VRAM
    assert render["engine"] == "ltx2_distilled" and render["stages"] == [[32, 32, 8], [64, 64, 3]]
    assert render["host_weights_gb"] == build["weights_gb"]
    assert render["host_peak_gb"] >= render["host_prepared_gb"] >= 0
    assert "memory_plan" in render and render["memory_plan_source"]
    assert "offload" in render["speed"]
    row = next(
        line for line in run["block"].splitlines() if line.startswith("| LTX-2 19B --low-vram")
    )
    assert row.split(" | ")[1] == LOW_VRAM and row.split(" | ")[11] != "—"


def test_report_renders_the_same_block_from_saved_lines_even_cut_short(run, tmp_path):
    saved = run["jsonl"].read_text().splitlines()
    _, block = bench(tmp_path, "--report", str(run["jsonl"]))
    assert block.strip() == run["block"].strip()
    # Killed in the middle of budget's stage 2: the lines up to there, the last one cut.
    cut = next(
        i
        for i, line in enumerate(saved)
        if '"case": "ltx"' in line and '"tier": "budget"' in line and '"stage 2"' in line
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
    assert "Wan 2.2 TI2V-5B, 5 s 720p: the other presets" not in block  # after the cut


def test_a_60_second_budget_writes_a_line_for_every_case(tmp_path):
    """`--tiny --budget-s 60`: every line of stdout and of the file is JSON; every job
    appears, with its results or a skip line (which ones fit depends on this machine)."""
    pytest.importorskip("reelforge.testing.ltx25")
    jsonl = tmp_path / "run.jsonl"
    args = ("--tiny", "--budget-s", "60", "--jsonl", str(jsonl))
    result, printed = python(tmp_path, 900, str(BENCH), *args)
    assert result.returncode == 0, result.stderr[-3000:]
    saved = jsonl.read_text().splitlines()
    records = [json.loads(line) for line in saved]  # every line parses
    assert printed == records
    assert [r["case"] for r in records if r["kind"] == "case"] == JOBS
    results = ("render", "variant")
    for job in JOBS:
        ran = [r for r in records if r.get("case") == job and r["kind"] in results]
        skipped = [r for r in records if r.get("case") == job and r["kind"] == "skip"]
        assert ran or skipped, job
        for s in skipped:
            assert s["estimate_s"] >= 0 and s["left_s"] is not None and "--budget-s" in s["reason"]


def test_budget_skips_what_does_not_fit(tmp_path):
    """With no time at all every job is marked skipped, and nothing runs (no child either)."""
    pytest.importorskip("reelforge.testing.ltx25")
    records, block = bench(tmp_path, "--tiny", "--budget-s", "0")
    skips = [r for r in records if r["kind"] == "skip"]
    assert [(s["case"], s["what"]) for s in skips] == [
        ("ltx2", "build"),
        ("wan", "build"),
        ("ltx2-low-vram", "build"),
        ("ltx", "build ltx25"),
        ("ltx", "build ltx2"),
        ("wan-presets", "build"),
        ("wan-low-vram", "build"),
    ]
    assert not [r for r in records if r["kind"] in ("build", "render", "phase", "variant")]
    assert "Skipped (`--budget-s`):" in block
    assert "| LTX-2 19B two-stage, 5 s 1080p: stock diffusers vs reelforge fast | — |" in block


def test_tiers_pick_runs_by_tier_and_engine(tmp_path):
    """``--tiers cinema:ltx2`` is cinema on LTX-2 alone: only LTX-2 would be built (here
    skipped: no budget); an engine the tier does not offer is refused, naming the choices."""
    pytest.importorskip("reelforge.testing.ltx25")
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
    pytest.importorskip("reelforge.testing.ltx25")
    result, records = python(tmp_path, 900, "-c", NAN_IN_BUDGET.format(bench=str(BENCH.parent)))
    assert result.returncode == 1, result.stderr[-3000:]
    cinema, budget, ltx2 = (renders(records, name)["reelforge quality"] for name in RUNS)
    assert cinema["completed"] and not budget["completed"] and ltx2["completed"]
    assert "stage 2 of segment 1 (step 1) produced NaN" in budget["note"]
    assert [p["phase"] for p in phases(records, budget)] == ["stage 1", "upsample → stage 2"]
    assert "| budget | reelforge quality | **total** | 64×64×9 |" in result.stdout
    assert "**did not complete**: NonFiniteOutput: stage 2" in result.stdout


KILLED_CHILD = """
import os
import stat
import sys
sys.path.insert(0, {bench!r})
import gpu

# The child's interpreter kills itself at once, as the kernel's OOM killer would.
fake = os.path.join({tmp!r}, "python-oom")
with open(fake, "w") as f:
    f.write("#!/bin/sh\\nkill -9 $$\\n")
os.chmod(fake, stat.S_IRWXU)
sys.executable = fake
sys.exit(gpu.main(["--tiny", "--cases", "ltx2-low-vram"]))
"""


def test_a_low_vram_child_killed_for_memory_fails_alone(tmp_path):
    """A child killed by SIGKILL (what the OOM killer sends when host RAM runs out) leaves a
    line saying so and a failed result; the run itself completes."""
    script = KILLED_CHILD.format(bench=str(BENCH.parent), tmp=str(tmp_path))
    result, records = python(tmp_path, 300, "-c", script)
    assert result.returncode == 0, result.stderr[-3000:]
    (child,) = [r for r in records if r["kind"] == "child"]
    assert child["returncode"] == -9 and child["note"].startswith("killed by SIGKILL")
    (render,) = [r for r in records if r["kind"] == "render"]
    assert not render["completed"] and "out-of-memory killer" in render["note"]
    assert "**did not complete**: killed by SIGKILL" in result.stdout


def test_peaks_and_default_results_folder():
    """FP8 runs are measured against the FP8 peak (2× bf16 on Hopper); a GPU run's lines go
    to bench/results/ by default, a folder that says what it holds."""
    sys.path.insert(0, str(BENCH.parent))
    import gpu

    h200 = gpu.peak_flops("NVIDIA H200")
    assert gpu.peak_flops("NVIDIA H200", fp8=True) == pytest.approx(2 * h200, rel=1e-4)
    assert gpu.peak_flops("NVIDIA H100 80GB HBM3", fp8=True) == 1978.9e12
    assert gpu.peak_flops("NVIDIA A100-SXM4-80GB", fp8=True) is None  # no FP8 units
    assert gpu.mfu(1e15, 2.0, 1e15) == 0.5 and gpu.mfu(None, 2.0, 1e15) is None
    assert gpu.default_jsonl().parent == REPO / "bench" / "results"
    assert (REPO / "bench" / "results" / "README.md").is_file()
