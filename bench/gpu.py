"""GPU benchmark: stock diffusers vs reelforge's engines under each speed preset, same run.

Cases (full-size architectures, random weights: they run exactly as fast as real ones):

- **LTX-2** text-to-video with audio, 5 s at 1080p (1920×1088, 121 frames, 24 fps);
- **Wan 2.2 TI2V-5B** text-to-video, 5 s at 720p (1280×704, 121 frames, 24 fps).

For each case, in one process: the stock pipeline called with the arguments the engine
would pass (no speed options), then the engine's ``render`` under ``quality``, ``balanced``
and ``fast`` (FP8 last: it cannot be undone). Each variant gets a one-step warm-up
(compilation, kernels, allocator) before it is timed. Measured: seconds per denoising
step (median of the step intervals) and per clip (the whole call: text encoder, steps,
VAE decode), peak GPU memory (``torch.cuda.max_memory_allocated``), the transformer's
FLOPs per step (``FlopCounterMode`` over the stock warm-up step) and the MFU they give
against the GPU's peak dense bf16 rate, the ratio reelforge / stock, and the largest
difference of the frames from stock's (``quality`` must be 0).

``--low-vram`` also renders each case from a fresh pipeline with ``--low-vram`` (offload
and VAE tiling) while ``torch.cuda.set_per_process_memory_fraction`` caps the process at
24 GB (LTX-2) / 12 GB (Wan), and reports whether it completed.

``--tiny`` runs the same harness on the CPU with the tiny test configurations (seconds);
that is what ``tests/bench`` runs. Results print as a markdown block; ``--write``
appends it to BENCHMARKS.md with the device and the date.

    python bench/gpu.py --tiny
    python bench/gpu.py --steps 10 --low-vram --write      # on a GPU
"""

from __future__ import annotations

import argparse
import gc
import importlib
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import cpu_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"
PRESETS = ("quality", "balanced", "fast")

PEAK_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    # (substring of torch.cuda.get_device_name(), dense bf16 tensor TFLOP/s), first match wins
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.4),
    ("H200", 989.4),
    ("GH200", 989.4),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("L40S", 362.1),
    ("L4", 121.0),
    ("RTX 6000 Ada", 364.2),
    ("RTX 4090", 165.2),
    ("A10", 125.0),
)
"""Datasheet peaks (dense, no sparsity); an H100 SXM here measured ~790 TFLOP/s on a
large bf16 matmul, so 80 % MFU is the practical ceiling."""


def peak_flops(device_name: str) -> float | None:
    for key, tflops in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops * 1e12
    return None


# --- cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    """One benchmark case: how to build its pipeline and which engine renders it."""

    key: str
    title: str
    engine_module: str
    engine_class: str
    tier: str
    build: Callable[[bool, Any, str], Any]
    """``build(tiny, dtype, device)``: the random-weight pipeline."""
    size: tuple[int, int]
    frames: int
    fps: int
    audio: bool
    vram_cap_gb: float
    tiny_size: tuple[int, int] = (32, 32)
    tiny_frames: int = 9


def _build_ltx2(tiny: bool, dtype: Any, device: str) -> Any:
    from reelforge.engines.ltx2 import tiny as ltx2_tiny

    pipe, _ = ltx2_tiny.build_ltx2_pipeline(
        ltx2_tiny.TINY if tiny else ltx2_tiny.FULL, dtype=dtype, device=device, with_upsampler=False
    )
    return pipe


def _build_wan(tiny: bool, dtype: Any, device: str) -> Any:
    from reelforge.engines import wan_common

    configs = wan_common.TINY if tiny else wan_common.FULL
    return wan_common.build_wan_pipeline(configs["ti2v"], dtype=dtype, device=device)


CASES: dict[str, Case] = {
    "ltx2": Case(
        "ltx2",
        "LTX-2 text-to-video + audio, 5 s 1080p",
        "reelforge.engines.ltx2",
        "LTX2Engine",
        "cinema",
        _build_ltx2,
        size=(1920, 1088),
        frames=121,
        fps=24,
        audio=True,
        vram_cap_gb=24.0,
    ),
    "wan": Case(
        "wan",
        "Wan 2.2 TI2V-5B text-to-video, 5 s 720p",
        "reelforge.engines.wan",
        "WanEngine",
        "turbo",
        _build_wan,
        size=(1280, 704),
        frames=121,
        fps=24,
        audio=False,
        vram_cap_gb=12.0,
    ),
}


# --- one variant ---------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    variant: str
    steps: int
    step_s: float | None = None
    clip_s: float | None = None
    peak_gb: float | None = None
    flops_per_step: float | None = None
    max_diff: float | None = None
    completed: bool = True
    note: str = ""
    speed: str = ""


@dataclass
class Timer:
    """Step timestamps from the progress callback (device synchronised first)."""

    sync: Callable[[], None]
    marks: list[float] = field(default_factory=list)

    def __call__(self, step: int, steps: int) -> None:
        self.sync()
        self.marks.append(time.perf_counter())

    def step_seconds(self, start: float) -> float | None:
        times = [start, *self.marks]
        gaps = [b - a for a, b in zip(times[1:], times[2:], strict=False)] or [
            b - a for a, b in zip(times, times[1:], strict=False)
        ]
        return statistics.median(gaps) if gaps else None


class Harness:
    def __init__(self, tiny: bool, steps: int, device: str) -> None:
        import torch

        self.torch = torch
        self.tiny = tiny
        self.steps = steps
        self.device = device
        self.cuda = device.startswith("cuda")
        self.dtype = torch.bfloat16 if self.cuda else torch.float32

    # helpers
    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def reset_peak(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()

    def peak_gb(self) -> float | None:
        return self.torch.cuda.max_memory_allocated() / 1e9 if self.cuda else None

    def free(self) -> None:
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()

    def segment(self, case: Case, steps: int):
        from reelforge.planning.plan import Segment

        width, height = case.tiny_size if self.tiny else case.size
        frames = case.tiny_frames if self.tiny else case.frames
        return Segment(
            index=0,
            workflow="text2video",
            kind="shot",
            shot_index=1,
            shots=1,
            prompt="A lighthouse keeper climbs the spiral stairs at dusk; waves crash below.",
            action="climbs the stairs",
            start=0.0,
            start_frame=0,
            frames=frames,
            keep_frames=frames,
            width=width,
            height=height,
            fps=case.fps,
            seed=1234,
            steps=steps,
            audio=case.audio,
        )

    def engine(self, case: Case, pipe: Any, speed: Any):
        """The case's engine around an in-memory pipeline, prepared with ``speed``."""
        module = importlib.import_module(case.engine_module)
        cls = getattr(module, case.engine_class)
        engine = cls(model_path=None, tier=case.tier)
        engine.device = self.torch.device(self.device)
        engine.dtype = self.dtype
        engine.speed = speed
        engine.base_pipeline = type(pipe).__name__
        engine._pipelines = {engine.base_pipeline: engine.prepare(pipe)}
        return engine

    def stock_kwargs(self, case: Case, engine: Any, segment: Any, progress: Any) -> dict[str, Any]:
        """What the engine passes to the stock pipeline for ``segment`` (text-to-video)."""
        pipe = engine.pipeline(engine.base_pipeline)
        if case.key == "ltx2":
            recipe = engine.recipe(segment.steps)
            kwargs = engine._inputs(segment, "t2v", None, None, None, recipe, progress)
        else:
            kwargs = dict(engine.common_kwargs(pipe, segment, progress), num_frames=segment.frames)
        kwargs["generator"] = engine.generator(segment.seed)
        kwargs["output_type"] = "np"
        return kwargs

    def run_stock(self, case: Case, pipe: Any, count_flops: bool) -> tuple[Result, np.ndarray]:
        """The stock diffusers pipeline with the engine's arguments, no speed options."""
        from reelforge.engines.base import SpeedOptions

        # The engine only builds the arguments; its prepare() places the pipeline without
        # options (quality: nothing that changes the numerics).
        engine = self.engine(case, pipe, SpeedOptions(preset="quality", low_vram=False))
        flops = None
        warm = self.segment(case, 1)
        with FlopCount(pipe.transformer, enabled=count_flops) as counter:
            pipe(**self.stock_kwargs(case, engine, warm, lambda s, n: None))
        flops = counter.total if count_flops else None
        segment = self.segment(case, self.steps)
        timer = Timer(self.sync)
        self.reset_peak()
        start = time.perf_counter()
        out = pipe(**self.stock_kwargs(case, engine, segment, timer))
        self.sync()
        clip_s = time.perf_counter() - start
        frames = _uint8(np.asarray(out.frames[0]))[: segment.frames]
        result = Result(
            case.key,
            "stock diffusers",
            self.steps,
            timer.step_seconds(start),
            clip_s,
            self.peak_gb(),
            flops,
        )
        return result, frames

    def run_engine(
        self, case: Case, pipe: Any, speed: Any, label: str
    ) -> tuple[Result, np.ndarray, Any]:
        engine = self.engine(case, pipe, speed)
        engine.render(self.segment(case, 1))  # warm-up: compile, kernels, allocator
        segment = self.segment(case, self.steps)
        timer = Timer(self.sync)
        self.reset_peak()
        start = time.perf_counter()
        clip = engine.render(segment, timer)
        self.sync()
        clip_s = time.perf_counter() - start
        report = engine.speed_report
        result = Result(
            case.key,
            label,
            self.steps,
            timer.step_seconds(start),
            clip_s,
            self.peak_gb(),
            speed=report.describe() if report is not None else "",
        )
        return result, clip.frames, report

    def run_case(self, case: Case, presets: tuple[str, ...], low_vram: bool) -> list[Result]:
        from reelforge.engines.base import SpeedOptions
        from reelforge.engines.speed import undo_speed

        results: list[Result] = []
        try:
            pipe = case.build(self.tiny, self.dtype, self.device)
            pipe.set_progress_bar_config(disable=True)
        except Exception as exc:  # builder missing or too big for this device
            return [Result(case.key, "build", self.steps, completed=False, note=_short(exc))]
        stock, stock_frames = self.run_stock(case, pipe, count_flops=True)
        results.append(stock)
        report = None
        for preset in presets:
            try:
                if report is not None:
                    undo_speed(pipe, report)
                    self.torch._dynamo.reset()
                result, frames, report = self.run_engine(
                    case, pipe, SpeedOptions(preset=preset, low_vram=False), f"reelforge {preset}"
                )
                result.flops_per_step = stock.flops_per_step
                result.max_diff = _max_diff(frames, stock_frames)
            except Exception as exc:
                result = Result(
                    case.key, f"reelforge {preset}", self.steps, completed=False, note=_short(exc)
                )
                traceback.print_exc(file=sys.stderr)
            results.append(result)
        del pipe
        self.free()
        if low_vram:
            results.append(self.run_low_vram(case, stock_frames, stock.flops_per_step))
        return results

    def run_low_vram(self, case: Case, stock_frames: np.ndarray, flops: float | None) -> Result:
        """A fresh pipeline (weights on the CPU), ``--low-vram``, GPU memory capped."""
        from reelforge.engines.base import SpeedOptions

        label = (
            f"reelforge --low-vram (cap {case.vram_cap_gb:g} GB)"
            if self.cuda
            else "reelforge --low-vram (no cap on CPU)"
        )
        capped = False
        try:
            pipe = case.build(self.tiny, self.dtype, "cpu")
            pipe.set_progress_bar_config(disable=True)
            if self.cuda:
                total = self.torch.cuda.get_device_properties(0).total_memory
                self.torch.cuda.set_per_process_memory_fraction(
                    min(1.0, case.vram_cap_gb * 1e9 / total)
                )
                capped = True
            # On the CPU offloading saves nothing, so it is asked for explicitly to run the path.
            speed = SpeedOptions(
                preset="quality", low_vram=True, offload=None if self.cuda else "group"
            )
            result, frames, _ = self.run_engine(case, pipe, speed, label)
            result.flops_per_step = flops
            result.max_diff = _max_diff(frames, stock_frames)
            result.note = "completed"
        except Exception as exc:
            result = Result(
                case.key,
                label,
                self.steps,
                completed=False,
                note=f"did not complete: {_short(exc)}",
            )
            result.peak_gb = self.peak_gb()
        finally:
            if capped:
                self.torch.cuda.set_per_process_memory_fraction(1.0)
            pipe = None
            self.free()
        return result


class FlopCount:
    """FLOPs of every forward of ``module`` while active (``FlopCounterMode`` per call)."""

    def __init__(self, module: Any, enabled: bool = True) -> None:
        self.module, self.enabled, self.total = module, enabled, 0
        self._handles: list[Any] = []
        self._mode: Any = None

    def __enter__(self) -> FlopCount:
        if not self.enabled:
            return self
        from torch.utils.flop_counter import FlopCounterMode

        def pre(mod, args, kwargs):
            self._mode = FlopCounterMode(display=False)
            self._mode.__enter__()

        def post(mod, args, kwargs, out):
            self._mode.__exit__(None, None, None)
            self.total += self._mode.get_total_flops()

        self._handles = [
            self.module.register_forward_pre_hook(pre, with_kwargs=True),
            self.module.register_forward_hook(post, with_kwargs=True),
        ]
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()


def _uint8(frames: np.ndarray) -> np.ndarray:
    if frames.dtype == np.uint8:
        return frames
    return (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _max_diff(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.shape != b.shape:
        return None
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")
    return text[:160]


# --- report --------------------------------------------------------------------------------


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return f"CPU: {cpu_model()}"


def markdown(results: list[Result], device: str, tiny: bool) -> str:
    import diffusers
    import torch

    name = device_name(device)
    peak = peak_flops(name) if device.startswith("cuda") else None
    mode = "tiny configs (CPU smoke run)" if tiny else "full-size architectures, random weights"
    lines = [
        f"### GPU benchmark — {name}, {date.today().isoformat()}",
        "",
        f"{mode}; torch {torch.__version__}, diffusers {diffusers.__version__}, Python "
        f"{platform.python_version()}. Steps per clip as listed; s/clip is the whole call "
        "(text encoder, steps, VAE decode). MFU: the stock transformer's FLOPs per step over "
        "the measured step time and the GPU's dense bf16 peak (cached steps do less work, so "
        "a cache shows as effective MFU). max |Δ|: largest 8-bit pixel difference from stock.",
        "",
        "| case | W×H×frames | variant | steps | s/step | s/clip | × stock (clip) | peak GPU GB | TFLOP/step | MFU | max abs Δ | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    stock_clip = {r.case: r.clip_s for r in results if r.variant == "stock diffusers"}
    for r in results:
        ratio = (
            f"{r.clip_s / stock_clip[r.case]:.2f}"
            if r.clip_s and stock_clip.get(r.case) and r.variant != "stock diffusers"
            else ("1.00" if r.variant == "stock diffusers" and r.clip_s else "—")
        )
        mfu = (
            f"{100 * r.flops_per_step / r.step_s / peak:.1f} %"
            if peak and r.flops_per_step and r.step_s
            else "—"
        )
        note = r.note or ("completed" if r.completed else "failed")
        lines.append(
            "| "
            + " | ".join(
                [
                    CASES[r.case].title if r.case in CASES else r.case,
                    _dims(r.case, tiny),
                    r.variant,
                    str(r.steps),
                    _num(r.step_s, "{:.3f}"),
                    _num(r.clip_s, "{:.2f}"),
                    ratio,
                    _num(r.peak_gb, "{:.1f}"),
                    _num(r.flops_per_step / 1e12 if r.flops_per_step else None, "{:.3g}"),
                    mfu,
                    _num(r.max_diff, "{:g}"),
                    note if r.variant.startswith("reelforge --low-vram") or not r.completed else "",
                ]
            )
            + " |"
        )
    speeds = [(r.variant, r.case, r.speed) for r in results if r.speed]
    if speeds:
        lines.append("")
        lines.append("What each preset applied on this device:")
        lines.append("")
        lines += [f"- {CASES[c].title if c in CASES else c}, {v}: {s}" for v, c, s in speeds]
    return "\n".join(lines) + "\n"


def _dims(key: str, tiny: bool) -> str:
    case = CASES.get(key)
    if case is None:
        return "—"
    (w, h), frames = (case.tiny_size, case.tiny_frames) if tiny else (case.size, case.frames)
    return f"{w}×{h}×{frames}"


def _num(value: float | None, fmt: str) -> str:
    return fmt.format(value) if value is not None else "—"


def write(block: str, path: Path = BENCHMARKS) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + "\n" + block, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (smoke run)")
    parser.add_argument("--cases", default="ltx2,wan", help="comma-separated: ltx2, wan")
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated presets")
    parser.add_argument(
        "--steps", type=int, default=None, help="denoising steps (default 10; tiny: 2)"
    )
    parser.add_argument(
        "--low-vram", action="store_true", help="also render with --low-vram under a memory cap"
    )
    parser.add_argument(
        "--device", default=None, help="default: cuda when there is one (cpu with --tiny)"
    )
    parser.add_argument("--write", action="store_true", help="append the results to BENCHMARKS.md")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import torch

    device = args.device or ("cpu" if args.tiny or not torch.cuda.is_available() else "cuda")
    if not args.tiny and not device.startswith("cuda"):
        parser.error("full-size cases need a CUDA GPU; use --tiny on the CPU")
    steps = args.steps or (2 if args.tiny else 10)
    presets = tuple(p for p in args.presets.split(",") if p)
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        parser.error(f"unknown presets {unknown}; choose from {PRESETS}")
    harness = Harness(args.tiny, steps, device)
    results: list[Result] = []
    for key in (k.strip() for k in args.cases.split(",") if k.strip()):
        if key not in CASES:
            parser.error(f"unknown case {key!r}; choose from {', '.join(CASES)}")
        print(f"[bench] {CASES[key].title} on {device}", file=sys.stderr, flush=True)
        results += harness.run_case(CASES[key], presets, args.low_vram)
    block = markdown(results, device, args.tiny)
    print(block)
    if args.write:
        write(block, args.benchmarks)
    return (
        0
        if all(r.completed for r in results if not r.variant.startswith("reelforge --low-vram"))
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
