"""The memory plan with the full-size counts (``memory.json``, counted on the meta device by
``bench/memory.py``): every tier gets a placement that fits, or a refusal naming what is
short; no placement holds a weight twice on the host."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reelforge.engines import memory
from reelforge.engines.memory import GB, MODES, DoesNotFit, plan_memory
from reelforge.lineup import TIERS

GPUS_GB = (24, 48, 80, 141)
HOSTS_GB = (32, 64, 128)
GPU_TIERS = [t.name for t in memory.gpu_tiers()]
BENCH = Path(__file__).resolve().parents[2] / "bench"


def all_candidates():
    for name in GPU_TIERS:
        yield from memory.candidates(memory.worst_window(TIERS[name]))


@pytest.mark.parametrize("gpu_gb", GPUS_GB)
@pytest.mark.parametrize("host_gb", HOSTS_GB)
def test_every_tier_fits_or_is_refused_naming_the_shortfall(gpu_gb, host_gb):
    for name in GPU_TIERS:
        window = memory.worst_window(TIERS[name])
        plans = list(memory.candidates(window))
        try:
            plan = plan_memory(name, gpu_gb, host_gb)
        except DoesNotFit as exc:
            assert not any(p.fits(gpu_gb, host_gb) for p in plans), name
            names = {u.name for u in memory.units(window)}
            assert exc.shortfalls
            for s in exc.shortfalls:
                assert s.where in ("gpu", "host") and s.short_gb > 0
                assert s.component in names and s.mode in MODES
                assert f"{s.short_gb:.1f} GB short" in str(exc) and s.component in str(exc)
            continue
        assert plan.gpu <= gpu_gb * GB and plan.host <= host_gb * GB, (name, plan.label)
        # the fastest that fits: every placement before it does not
        assert not any(p.fits(gpu_gb, host_gb) for p in plans[: plans.index(plan)])


def test_more_memory_never_picks_a_slower_placement():
    for name in GPU_TIERS:
        for host_gb in HOSTS_GB:
            modes = []
            for gpu_gb in GPUS_GB:
                try:
                    modes.append(MODES.index(plan_memory(name, gpu_gb, host_gb).mode))
                except DoesNotFit:
                    modes.append(len(MODES))
            assert modes == sorted(modes, reverse=True), (name, host_gb, modes)


def test_no_placement_holds_a_weight_twice_on_the_host():
    for p in all_candidates():
        units = {u.name: u for u in memory.units(p.window)}
        assert len(set(p.host_weights)) == len(p.host_weights)
        held = sum(units[n].weights for n in p.host_weights)
        assert p.host == held + int(memory.HOST_RESERVED_GB * GB)
        assert held <= sum(u.weights for u in units.values())
        if p.mode == "resident":
            assert p.host_weights == ()
        else:
            expected = set(units) - ({memory.TEXT_ENCODER} if p.free_text_encoder else set())
            assert set(p.host_weights) == expected
        if p.mode == "group":
            assert p.offload_kwargs()["low_cpu_mem_usage"] is True  # no pinned second copy


def test_the_distilled_lora_is_counted_inside_its_transformer():
    counts = memory.counts()["engines"]["ltx2"]["components"]
    window = memory.worst_window(TIERS["avatar"])
    transformer = {u.name: u for u in memory.units(window)}["transformer"]
    assert "distilled_lora" not in {u.name for u in memory.units(window)}
    both = counts["transformer"]["parameters"] + counts["distilled_lora"]["parameters"]
    assert transformer.weights == both * memory.WEIGHT_BYTES
    assert "distilled_lora" not in memory.counts()["engines"]["ltx2_distilled"]["components"]


def test_transformer_working_memory_by_hand():
    # turbo: Wan 2.2 TI2V-5B at 720p 16:9 → 1280×704, 10 s capped at one window of 121
    # frames; 31 latent frames × (704/32) × (1280/32) tokens; hidden 3072, ffn 14336.
    window = memory.worst_window(TIERS["turbo"])
    assert (window.width, window.height, window.frames) == (1280, 704, 121)
    tokens = 31 * 22 * 40
    assert memory.transformer_work(window) == tokens * 2 * (8 * 3072 + 2 * 14336)
    # cinema at 4K: LTX-2.5's third stage, 3840×2176, 361 frames → 46 × 68 × 120 tokens
    # (stage 1's CFG batch of 2 at a quarter size is smaller); hidden 4096, ffn 16384.
    window = memory.worst_window(TIERS["cinema"])
    assert (window.width, window.height, window.frames) == (3840, 2176, 361)
    assert memory.transformer_work(window) == 46 * 68 * 120 * 2 * (8 * 4096 + 2 * 16384)


def test_tiling_shrinks_the_decode_and_is_chosen_only_when_needed():
    window = memory.worst_window(TIERS["turbo"])
    assert memory.decode_work(window, True) < memory.decode_work(window, False)
    roomy = plan_memory("turbo", 141, 128)
    assert not roomy.vae_tiling and roomy.mode == "resident"
    for p in all_candidates():
        if p.window.engine in memory.ALWAYS_TILED:
            assert p.vae_tiling


def test_the_counts_are_those_of_the_full_size_configs():
    """memory.json's Wan TI2V-5B entry is what bench/memory.py counts now (the smallest
    model: a few seconds on the meta device)."""
    pytest.importorskip("diffusers")
    sys.path.insert(0, str(BENCH))
    try:
        import memory as bench_memory
    finally:
        sys.path.remove(str(BENCH))
    assert bench_memory.wan_entry("wan") == memory.counts()["engines"]["wan"]


def test_planning_imports_no_torch():
    code = (
        "import sys; from reelforge.engines.memory import plan_memory, doctor, Machine; "
        "plan_memory('cinema', 141, 128); doctor(Machine(None, None, 64.0)); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def reelforge(*args):
    return subprocess.run(
        [sys.executable, "-m", "reelforge", *args], capture_output=True, text=True, timeout=300
    )


def test_doctor_json_here_says_no_gpu():
    result = reelforge("doctor", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["gpu"] is None and "no CUDA GPU" in data["note"] and data["host_gb"] > 0
    assert [t["tier"] for t in data["tiers"]] == GPU_TIERS
    for t in data["tiers"]:
        assert t["auto"] is None
        assert [m["mode"] for m in t["modes"]] == list(MODES)
        assert all(m["gpu_gb"] > 0 and m["host_gb"] > 0 for m in t["modes"])


def test_doctor_plans_for_a_given_machine():
    result = reelforge("doctor", "--json", "--gpu-gb", "24", "--host-gb", "64")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["gpu"]["memory_gb"] == 24 and data["host_gb"] == 64
    for t in data["tiers"]:
        tier = TIERS[t["tier"]]
        assert set(t["by_resolution"]) == set(tier.resolutions)
        for resolution, planned in t["by_resolution"].items():
            try:
                want = plan_memory(tier, 24, 64, resolution).describe()
            except DoesNotFit as exc:
                assert planned is None
                if resolution == tier.default_resolution:
                    assert t["auto"] is None and t["refusal"] == str(exc)
            else:
                assert planned == want
        assert t["auto"] == t["by_resolution"][tier.default_resolution]
    table = reelforge("doctor", "--gpu-gb", "80", "--host-gb", "128")
    assert table.returncode == 0, table.stderr
    assert "cinema" in table.stdout and "auto" in table.stdout
