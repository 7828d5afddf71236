"""The engines load as the memory plan says (``DiffusersEngine.plan`` → ``load``): the plan
is made before any weight is read and refuses there; the user's options narrow it; the
placement and VAE tiling are the plan's; a freed text encoder is read for a prompt and
dropped, and gives the same video as one kept loaded."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("diffusers")

from reelforge.engines import memory, speed  # noqa: E402
from reelforge.engines.base import SpeedOptions  # noqa: E402
from reelforge.engines.diffusers_engine import DiffusersEngine  # noqa: E402
from reelforge.engines.memory import DoesNotFit, Plan  # noqa: E402
from reelforge.engines.wan import WanEngine  # noqa: E402
from reelforge.lineup import TIERS  # noqa: E402

from .ltx2.conftest import one_thread  # noqa: E402, F401  (autouse: one thread per module)
from .wan.conftest import segment  # noqa: E402


@pytest.fixture(scope="module")
def ti2v(tmp_path_factory):
    from reelforge.testing.wan import save_tiny_wan

    return save_tiny_wan(tmp_path_factory.mktemp("wan") / "ti2v", "ti2v")


def placement(tier: str, mode: str, free: bool, tiled: bool, engine: str | None = None) -> Plan:
    window = memory.worst_window(TIERS[tier], engine=engine)
    return memory.place(window, memory.units(window), mode, free, tiled)


def machine(monkeypatch, gpu_gb: float, host_gb: float) -> None:
    """Pretend the device has ``gpu_gb`` of memory and the host ``host_gb``."""
    monkeypatch.setattr(speed, "gpu_memory_gb", lambda device: gpu_gb)
    monkeypatch.setattr(memory, "host_memory_gb", lambda: host_gb)


def counted_loads(monkeypatch) -> list[str]:
    loads: list[str] = []
    original = DiffusersEngine.load_component

    def counting(self, name):
        loads.append(name)
        return original(self, name)

    monkeypatch.setattr(DiffusersEngine, "load_component", counting)
    return loads


# --- planning before loading -----------------------------------------------------------------


def test_the_plan_refuses_before_any_weight_is_read(ti2v, monkeypatch):
    import diffusers

    machine(monkeypatch, gpu_gb=8, host_gb=8)

    def loaded(*args, **kwargs):
        raise AssertionError("a weight was read before the plan refused")

    monkeypatch.setattr(diffusers.WanPipeline, "from_pretrained", loaded)
    with pytest.raises(DoesNotFit) as refused:
        WanEngine(model_path=ti2v, tier="turbo").load("cpu")
    message = str(refused.value)
    assert "turbo (wan)" in message and "8 GB GPU + 8 GB host" in message
    assert "GB short" in message and refused.value.shortfalls


def test_the_users_options_narrow_the_placement(monkeypatch):
    machine(monkeypatch, gpu_gb=141, host_gb=128)

    def planned(**options) -> Plan:
        engine = WanEngine(tier="turbo")
        engine.speed = SpeedOptions(**options)
        return engine.plan()

    assert planned().mode == "resident"  # the fastest that fits
    assert planned(low_vram=True).mode == "model"  # the fastest that offloads
    assert planned(offload="sequential").mode == "sequential"
    assert planned(vae_tiling=True).vae_tiling
    machine(monkeypatch, gpu_gb=16, host_gb=128)
    assert planned().mode != "resident"
    with pytest.raises(DoesNotFit, match="GB short"):
        planned(low_vram=False)  # resident only: does not fit 16 GB
    with pytest.raises(ValueError, match="unknown offload 'disk'"):
        planned(offload="disk")


def test_no_plan_on_a_device_without_its_own_memory():
    engine = WanEngine(tier="turbo")
    assert engine.plan() is None  # the CPU: nothing to place


def test_an_engine_plans_for_its_tier_or_the_tier_that_runs_it():
    assert memory.tier_of("ltx2", "cinema").name == "cinema"  # offered by cinema
    assert memory.tier_of("ltx2_distilled", "cinema").name == "budget"  # cinema does not run it
    assert memory.tier_of("ltx2").name in ("cinema", "avatar")
    assert memory.worst_window(TIERS["cinema"], engine="ltx2").engine == "ltx2"
    assert memory.worst_window(TIERS["cinema"]).engine == TIERS["cinema"].engine


# --- placing as planned ----------------------------------------------------------------------


class FakePipeline:
    """Records the placement calls ``apply_speed`` makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.components: dict = {}
        self.vae = SimpleNamespace(enable_tiling=lambda: self.calls.append(("tiling", {})))

    def to(self, device):
        self.calls.append(("to", {"device": str(device)}))

    def enable_group_offload(self, **kwargs):
        self.calls.append(("group", kwargs))

    def enable_model_cpu_offload(self, **kwargs):
        self.calls.append(("model", kwargs))

    def enable_sequential_cpu_offload(self, **kwargs):
        self.calls.append(("sequential", kwargs))


@pytest.mark.parametrize(
    "mode, tiled, expected",
    [
        ("resident", False, ["to"]),
        ("model", False, ["model"]),
        ("group", True, ["group", "tiling"]),
        ("sequential", True, ["sequential", "tiling"]),
    ],
)
def test_the_pipeline_is_placed_as_the_plan_says(mode, tiled, expected):
    pipe = FakePipeline()
    plan = placement("turbo", mode, False, tiled)
    report = speed.apply_speed(pipe, SpeedOptions(preset="quality"), "cpu", plan=plan)
    assert [name for name, _ in pipe.calls] == expected
    assert report.has("memory plan") and report.low_vram == (mode != "resident")
    if mode == "group":
        # one host copy: groups are pinned as they stream, not the whole model up front
        assert pipe.calls[0][1]["low_cpu_mem_usage"] is True


def test_without_a_plan_low_vram_still_asks_for_offload_and_tiling():
    _, low, settings, _ = speed.resolve(SpeedOptions(preset="quality", low_vram=True), "cpu")
    assert low and settings.offload == "group" and settings.vae_tiling


# --- the text encoder freed after encoding ----------------------------------------------------


def test_a_freed_text_encoder_is_read_per_prompt_and_gives_the_same_video(ti2v, monkeypatch):
    kept = WanEngine(model_path=ti2v, tier="turbo")
    kept.load("cpu")
    reference = kept.render(segment("text2video")).frames

    loads = counted_loads(monkeypatch)
    monkeypatch.setattr(WanEngine, "plan", lambda self: placement("turbo", "resident", True, False))
    freed = WanEngine(model_path=ti2v, tier="turbo")
    freed.load("cpu")
    pipe = freed.pipeline("WanPipeline")
    assert pipe.text_encoder is None and loads == []  # the pipeline loaded without it
    first = freed.render(segment("text2video"))
    assert loads == ["text_encoder"] and pipe.text_encoder is None  # read, used, dropped
    np.testing.assert_array_equal(first.frames, reference)

    freed.render(segment("text2video", seed=8))  # the same prompt: its embeddings are kept
    assert loads == ["text_encoder"]
    freed.render(segment("text2video", prompt="a dog runs"))
    assert loads == ["text_encoder", "text_encoder"] and pipe.text_encoder is None
    freed.unload()
    kept.unload()


def test_ltx_stages_encode_the_prompt_once_with_the_text_encoder_freed(monkeypatch, tmp_path):
    from reelforge.engines.ltx2.engine import LTX2Engine
    from reelforge.testing.ltx2 import save_tiny_ltx2

    from .ltx2.test_ltx2 import segment as ltx_segment

    folder = save_tiny_ltx2(tmp_path / "LTX-2")
    kept = LTX2Engine(model_path=folder, tier="cinema")
    kept.load("cpu")
    seg = ltx_segment()
    reference = kept.render(seg)

    loads = counted_loads(monkeypatch)
    monkeypatch.setattr(
        LTX2Engine, "plan", lambda self: placement("cinema", "resident", True, True, "ltx2")
    )
    freed = LTX2Engine(model_path=folder, tier="cinema")
    freed.load("cpu")
    clip = freed.render(seg)
    assert len(clip.meta["stages"]) == 2
    assert loads == ["text_encoder"]  # stage 2 reuses stage 1's encoding
    assert freed.pipeline("LTX2Pipeline").text_encoder is None
    np.testing.assert_array_equal(clip.frames, reference.frames)
    np.testing.assert_array_equal(clip.audio.samples, reference.audio.samples)
    freed.unload()
    kept.unload()


def test_a_larger_render_re_places_the_weights_or_is_refused_before_dropping_them(
    monkeypatch, tmp_path
):
    """Cinema on LTX-2 with every weight on the GPU (``--no-low-vram``): on a 110 GB GPU the
    default 1080p plan keeps the text encoder, a 4K final needs it freed (103 of 110 GB)."""
    from reelforge.engines.ltx2.engine import LTX2Engine
    from reelforge.testing.ltx2 import save_tiny_ltx2

    from .ltx2.test_ltx2 import segment as ltx_segment

    folder = save_tiny_ltx2(tmp_path / "LTX-2")
    machine(monkeypatch, gpu_gb=110, host_gb=64)
    engine = LTX2Engine(model_path=folder, tier="cinema")
    engine.load("cpu", SpeedOptions(low_vram=False))
    plan = engine.memory_plan
    assert (plan.window.width, plan.window.height) == (1920, 1088)
    assert plan.mode == "resident" and not plan.free_text_encoder

    engine.fit([ltx_segment()])  # a small render: nothing changes
    assert engine.memory_plan is plan
    final = ltx_segment(width=3840, height=2176, frames=361)
    engine.fit([ltx_segment(), final])
    placed = engine.memory_plan
    assert (placed.window.width, placed.window.height, placed.window.frames) == (3840, 2176, 361)
    assert placed.mode == "resident" and placed.free_text_encoder
    assert engine.pipeline("LTX2Pipeline").text_encoder is None
    assert engine.render(ltx_segment()).num_frames == ltx_segment().frames

    machine(monkeypatch, gpu_gb=100, host_gb=64)
    engine.planned_window = None
    engine.load("cpu", SpeedOptions(low_vram=False))
    loaded = engine.pipeline("LTX2Pipeline")
    with pytest.raises(DoesNotFit, match=r"3840×2176×361 does not fit 100 GB GPU"):
        engine.fit([final])
    assert engine.pipeline("LTX2Pipeline") is loaded  # refused before anything was dropped
    engine.unload()
