"""GPU benchmark of reelforge's engines on full-size architectures with random weights
(they run exactly as fast as the real ones; nothing is downloaded).

Jobs, in the order they run (``--cases`` picks some; the order stays). The first three are
what issue 12 asks one ``--budget-s 420`` run on an H200 to give; the rest follow when the
budget leaves room:

1. ``ltx2`` — **LTX-2 19B two-stage, 5 s at 1080p with audio** (1920×1088, 121 frames,
   24 fps): the stock diffusers recipe and reelforge's fastest preset, side by side, on one
   random LTX-2 build with a random rank-384 distilled LoRA.

   *Stock* is the diffusers LTX-2 docs' "Two-stages Generation" example
   (huggingface/diffusers ``docs/source/en/api/pipelines/ltx2.md``,
   https://huggingface.co/docs/diffusers/api/pipelines/ltx2; the version that matches
   diffusers 0.42): ``LTX2Pipeline`` at half the size with the scheduler it ships
   (diffusers' token-count shift), ``num_inference_steps=30``, ``guidance_scale=3.0`` and
   the call's defaults for the rest (STG 1.0 on block 28, modality guidance 3.0, audio CFG
   7.0, guidance rescale 0.7); ``LTX2LatentUpsamplePipeline`` ×2; then the distilled LoRA
   at 1.0, VAE tiling (diffusers' default tiles), a ``FlowMatchEulerDiscreteScheduler``
   from the same config without dynamic shift or terminal stretch, and stage 2 on
   ``STAGE_2_DISTILLED_SIGMA_VALUES`` re-noised to their first value with
   ``guidance_scale=1.0``. That leaves the defaults' audio CFG (7.0), STG and modality
   guidance on, so stock's stage 2 runs four transformer passes a step at full size (ours
   runs one). Everything sits on the GPU (the example offloads for small cards: placement,
   not numerics). *reelforge fast* is the ``ltx2`` engine (cinema on LTX-2) under
   ``SpeedOptions(preset="fast")`` — FP8 where torchao and the GPU allow it, SageAttention
   or FlashAttention where installed, First Block Cache 0.1, regional compilation —
   rendering the same size and frames with its own plan (``engines/ltx2/schedule.py``: 40
   dev steps with CFG + STG + modality guidance at half size, the upsampler, 3 distilled
   steps at full size with the LoRA, no guidance).
2. ``wan`` — **Wan 2.2 TI2V-5B text-to-video, 5 s at 720p** (1280×704, 121 frames): the
   stock diffusers pipeline called with the arguments the engine passes, then the engine's
   ``render`` under ``fast``.
3. ``ltx2-low-vram`` — **LTX-2 19B under a 24 GB cap**
   (``torch.cuda.set_per_process_memory_fraction``), rendered by the engine with
   ``SpeedOptions(preset="quality", low_vram=True)``: the budget tier (``ltx2_distilled``,
   the LTX-2 architecture, 8 + 3 steps: the fewest transformer passes of an LTX-2 render,
   each one streaming the weights from host memory) at 1920×1088×121. It runs in a child
   process that is started with the run: it builds its weights in host memory (as a load
   from disk would put them there) while the GPU jobs run, then waits; when its turn comes
   it takes the GPU, and reports the GPU peaks next to the **host RAM it used** (peak
   resident memory over what it held before building, ``/proc/self/status``), the weights
   it holds, and the engine's memory plan where it has one. A child that runs the host out
   of memory is killed alone; its line says so.
4. ``ltx`` — every LTX tier and engine (``StagedRun``: cinema on LTX-2.5 22B, budget,
   cinema on LTX-2), under each of ``--presets``, timed stage by stage.
5. ``wan-presets`` — Wan under the presets ``wan`` did not run, against the same stock.
6. ``wan-low-vram`` — Wan under a 12 GB cap with ``low_vram``, host RAM, as job 3.

Each result line carries: seconds per step of each stage (the median of steps 2…n), seconds
per clip (and, when ``--steps`` cut stage 1, the clip at the recipe's steps: the measured
clip plus the steps left out at the measured s/step), FLOPs per step (the transformer's,
counted with ``FlopCounterMode`` over step 1 — every guidance pass —, or on the meta device
with ``bench/flops.py`` when the preset compiles), MFU against the dense peak of the dtype
the run computed in (FP8 where the run's report says FP8 was applied: 2× bf16 on H100 and
H200, ``PEAK_FP8_TFLOPS``; bf16 otherwise), and the peak GPU memory allocated **and
reserved** (``max_memory_allocated``, ``max_memory_reserved``). Cache presets (balanced,
fast) are judged on speed only: what a cache costs in picture quality shows only on real
weights, so no pixel difference is reported for them; ``quality``'s difference from stock
stays, as an exactness check (0).

What the random weights stand for: LTX-2's distilled LoRA is a random LoRA of rank 384 on
every ``nn.Linear`` of the transformer (3.77 B values, 7.5 GB in bf16, an upper bound of
``ltx-2-19b-distilled-lora-384``; LTX-2.5's, in ``ltx``: rank 450), drawn on the GPU and
loaded from memory through the same diffusers conversion and PEFT layers as the file
(``lora.load_distilled_lora``): the engine reads its file once per process, not per render.
When FP8 applies, the LoRA is loaded after the engine's placement, as the engine loads it.
Budget runs ``LTX2DistilledEngine`` on a random LTX-2 transformer: the distilled checkpoint
has the dev model's architecture, so random weights in either time the same. Pipelines are
built in memory (``testing.ltx2.build_ltx2_pipeline(FULL)``,
``testing.ltx25.build_ltx25_pipeline(FULL25)``,
``testing.wan.build_wan_pipeline``), never written to disk; each model is freed before the
next is built.

Every run gets a warm-up first (kernels, allocator; compilation when a preset compiles): a
render at 512×320×9 (LTX; at full size when the preset compiles) or one step at full size
(Wan). The low-VRAM jobs get none: they time the first render after load, as a user on a
small card gets it (step 1 is left out of s/step anyway).

**Every result is a JSON line on stdout the moment it is measured**, appended to
``--jsonl FILE`` (default on a GPU: ``bench/results/gpu-<date>-<time>.jsonl``; with
``--tiny``: none) and flushed, so a run cut short keeps everything it measured;
``--report FILE`` turns such lines into the markdown tables (``--write`` appends them to
BENCHMARKS.md). ``--budget-s S`` bounds the whole run: before a build or a run its expected
duration (measured earlier in the run, scaled from a like step measured there — ``LIKE`` —,
else ``H200_EXPECTED_S``) is checked against the time left, and what does not fit is
skipped with a ``skip`` line. ``--tiny`` runs the same jobs on the CPU with the tiny test
configurations (seconds); that is what ``tests/bench`` runs.

    python bench/gpu.py --tiny --budget-s 60
    python bench/gpu.py --budget-s 420 --steps 6
    python bench/gpu.py --cases ltx2-low-vram --budget-s 420
    python bench/gpu.py --report bench/results/gpu-….jsonl --write

**On the lent H200** (device README: /work/.library/device/README.md). Its image has
torch 2.11 + CUDA 13, transformers 5.17, huggingface_hub 1.33, accelerate, safetensors,
tokenizers, sentencepiece, numpy, Pillow, typer, rich, peft, regex; it lacks diffusers,
PyAV, pydantic and torchao, and its transformers is too old for diffusers 0.42's LTX-2
imports (Gemma 4 classes, ≥ 5.24). ``bench/gpu_wheels.txt`` pins what to carry (the
*bench* set: 11 wheels, 60.6 MiB, PyAV 34 of them, torchao 3.2 for the fast preset's FP8;
with the ~3 MiB tree that fits the 64 MiB a call may carry). ``make wheels`` fetches the
other set, everything ``pip install '.[engines]'`` needs beyond torch, for a host that has
nothing else (README, "Offline GPU host"; 133 MiB). The tool sends the checkout the session
was started in (the lead's), so in *that* repository's root, once (``/wheels*/`` is
ignored, so it travels only when carried)::

    make wheels SET=bench DEST=wheels-bench

then one ``run`` call with ``carry: ["wheels-bench"]`` and ``timeout_s: 600`` (one command
may run 600 s; ``--budget-s 420`` leaves room for the install before it and the last job's
overrun)::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade
      --target /tmp/site wheels-bench/*.whl && export PYTHONPATH=/tmp/site:$PWD/src || exit;
      export PYTHONUNBUFFERED=1; nvidia-smi -L; set -o pipefail;
      timeout 570 python3 bench/gpu.py --budget-s 420 --steps 6
      --jsonl $OUT/gpu.jsonl 2>&1 | tee $OUT/log.txt

(one line). Back here: copy ``<files_at>/gpu.jsonl`` to ``bench/results/`` (named by date
and device) and ``python bench/gpu.py --report bench/results/<it> --write`` appends the
tables to BENCHMARKS.md — also from the lines of a run that was cut short.

**Device time (an estimate: nothing has run on a GPU yet).** FLOPs counted on the meta
device (BENCHMARKS.md's FLOP table, ``bench/flops.py``): a stage-1 step of LTX-2 at
960×544×121 (8,160 video tokens) with its four passes (CFG pair, STG, modality) is
1.07 PFLOP, stock's and ours alike; a stage-2 step at 1920×1088×121 (32,640 tokens) with
the rank-384 LoRA is 1.85 PFLOP a pass: ours one pass, stock's four (≈ 7.4 PFLOP). A Wan
TI2V-5B step at 1280×704×121 is ≈ 1.1 PFLOP (CFG as two forwards). 50–60 % MFU of the
H200's 989 TFLOP/s dense bf16 peak (a large matmul reaches ≈ 790 there) is 1.7–2.0 ms per
TFLOP. With
``--steps 6`` (stage 1 and Wan cut to 6 steps; s/step is the median of steps 2…6, the clip
is also given at the recipe's steps):

- ``ltx2`` ≈ 3.5–6.5 min: imports and the random LTX-2 build on the GPU (68.7 GB)
  ≈ 0.7–1.5 min; the LoRA ≈ 5–30 s (twice when FP8 applies); stock ≈ 70–100 s (a small
  warm-up; stage 1 6 × 1.07 PFLOP ≈ 11–13 s; stage 2 3 × 7.4 PFLOP ≈ 40–50 s; the decode
  ≈ 10–20 s); fast ≈ 1.5–3 min, most of it the full-size warm-up that compiles;
- ``wan`` ≈ 2–3.5 min: build ≈ 10–20 s, stock ≈ 40–60 s (a full-size warm-up step and
  decode, 6 steps ≈ 12 s, the decode), fast ≈ 1–2 min with its compile;
- ``ltx2-low-vram`` ≈ 1–2 min once it has the GPU: 11 passes each streaming the 38 GB
  transformer from pageable host memory, pinned group by group (≈ 3–6 s each), Gemma 3
  12B the same way, the tiled decode. Its build in host memory (68.7 GB of random init on
  the CPU, ≈ 2–5 min: PyTorch's CPU random generator is serial, ≈ 0.25 G values/s a core)
  runs in its child while jobs 1 and 2 hold the GPU — on one core, beside the one that
  launches their kernels —, so it costs the budget nothing unless it is not done when its
  turn comes.

That is ≈ 6.5–12 min in all: at the fast end the three fit 420 s; otherwise
``ltx2-low-vram``, last of the three, is skipped with its line and a second lease measures
it alone (``--cases ltx2-low-vram --budget-s 420``, ≈ 3–7 min with its build). The rest
(``ltx``: two more builds and nine staged renders, ≈ 10–15 min) needs leases of its own
(``--cases ltx --tiers cinema``, …).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import itertools
import json
import math
import platform
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import cpu_model  # noqa: E402

STARTED = time.perf_counter()
"""When this script started (its standard imports are instant; torch and diffusers load
later): ``--budget-s`` counts from here."""
REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"
RESULTS = REPO / "bench" / "results"
"""Where a GPU run's JSON lines go by default (``README.md`` there)."""
PRESETS = ("quality", "balanced", "fast")
FASTEST_PRESET = "fast"
"""The preset the ``ltx2`` and ``wan`` jobs set beside stock: reelforge's fastest."""
LOW_VRAM_PRESET = "quality"
"""The low-VRAM jobs' preset: numerics unchanged (no cache), and no compilation, which would
add minutes of warm-up to an offloaded render (FP8 is never combined with offloading)."""
LTX_TIERS = ("cinema", "budget")
"""The LTX tiers the ``ltx`` job times; their engines come from the lineup (``StagedRun``)."""

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
"""Datasheet peaks (dense, no sparsity); an H100 SXM or H200 here measured ~790 TFLOP/s on a
large bf16 matmul, so 80 % MFU is the practical ceiling."""
PEAK_FP8_TFLOPS: tuple[tuple[str, float], ...] = (
    # (substring of the device name, dense FP8 tensor TFLOP/s), first match wins; the GPUs
    # with FP8 matrix units (compute capability ≥ 8.9). Hopper's FP8 is twice its bf16
    # (NVIDIA H100/H200 datasheets: 3,958 TFLOP/s "with sparsity" = 1,979 dense, SXM).
    ("H100 PCIe", 1513.0),
    ("H100 NVL", 1670.0),
    ("H100", 1978.9),
    ("H200", 1978.9),
    ("GH200", 1978.9),
    ("B200", 4500.0),
    ("L40S", 733.0),
    ("L4", 242.5),
    ("RTX 6000 Ada", 728.5),
    ("RTX 4090", 330.3),  # FP32 accumulation, what torch._scaled_mm asks for
)
"""Dense FP8 peaks, for the runs whose speed report says FP8 was applied: torchao's
dynamic FP8 runs the blocks' linear layers on the FP8 units, attention stays bf16, so their
MFU against this peak is a lower bound."""

LORA_RANKS = {
    # Lightricks' distilled LoRAs; the rank is in each file's name.
    "ltx25": 450,  # ltx-2.5-22b-distilled-lora-450-bf16.safetensors (Lightricks/LTX-2.5-Diffusers)
    "ltx2": 384,  # ltx-2-19b-distilled-lora-384.safetensors (root of Lightricks/LTX-2)
}
"""Rank of each LTX model's distilled LoRA (``presets.Model.name`` → rank)."""
TINY_LORA_RANK = 4
"""The tiny test folders' LoRA rank (``save_tiny_ltx2``, ``save_tiny_ltx25``)."""
FULL_LORA_SCALE = 0.005
"""Std of the random LoRA factors at full size: ``B @ A`` then has std √rank · 0.005² ≈
5e-4 (rank 384 or 450), a twentieth of the random base weights' (U(±1/√4096), std 0.009),
so 48 blocks of it keep activations finite; the values do not change the time."""
WARMUP_SIZE = (512, 320, 9)
"""The LTX warm-up render (width, height, frames): every stage, upsample and decode run
once, in seconds, before the timed render (at full size instead when a preset compiles)."""

STOCK_STAGE_1_STEPS = 30
"""Stage-1 steps of the diffusers docs' two-stage example (``num_inference_steps=30``, the
pipeline's default since it follows the LTX-2.5 reference)."""
STOCK_WARMUP_STEPS = 2
"""Stock's warm-up stage-1 steps: with one, the shipped scheduler's terminal stretch divides
by zero (NaN sigmas); two run every kernel the timed render runs."""
STOCK_GUIDANCE_SCALE = 3.0
"""The docs example's stage-1 ``guidance_scale``; every other guidance argument is the
pipeline's default."""
STOCK_STAGE_2_GUIDANCE_SCALE = 1.0
"""The docs example's stage-2 ``guidance_scale`` (the only guidance argument it passes)."""
PAIR_RUN = ("cinema", "ltx2")
"""``ltx2``'s reelforge side: the tier and engine whose stages are the docs' two stages
(LTX-2 19B dev + its distilled LoRA)."""
LOW_VRAM_RUN = ("budget", "ltx2_distilled")
"""``ltx2-low-vram``'s tier and engine: LTX-2's architecture with the fewest passes."""
WAN_RUN = ("turbo", "wan")
"""The tier and engine of the Wan jobs (TI2V-5B)."""

H200_EXPECTED_S: dict[tuple[str, str], tuple[float, float]] = {
    # What a step of the run takes on an H200, for --budget-s until the run has measured it:
    # (seconds, + seconds per stage-1 step — Wan: per step), warm-ups included. From the
    # FLOPs in the module docstring at ~50 % MFU, plus margin; builds and compiles are
    # guesses (random init on the GPU; the first build also imports diffusers).
    ("ltx2", "build"): (90.0, 0.0),
    ("ltx2", "lora"): (30.0, 0.0),
    ("ltx2", "stock diffusers"): (75.0, 2.2),
    ("ltx2", "reelforge fast"): (150.0, 1.8),
    ("ltx2", "flops"): (15.0, 0.0),  # the meta-device count of a compiled run's steps
    ("wan", "build"): (30.0, 0.0),
    ("wan", "stock diffusers"): (40.0, 2.0),
    ("wan", "reelforge fast"): (90.0, 1.6),
    ("ltx2-low-vram", "build"): (240.0, 0.0),  # in host memory: serial CPU random init
    ("ltx2-low-vram", "render"): (120.0, 0.0),
    ("ltx", "build ltx25"): (150.0, 0.0),
    ("ltx", "build ltx2"): (120.0, 0.0),
    ("ltx", "lora ltx25"): (40.0, 0.0),
    ("ltx", "lora ltx2"): (40.0, 0.0),
    ("ltx", "cinema"): (90.0, 2.0),
    ("ltx", "budget"): (60.0, 0.0),
    ("ltx", "cinema (ltx2)"): (90.0, 2.2),
    ("wan-presets", "build"): (30.0, 0.0),
    ("wan-presets", "stock diffusers"): (40.0, 2.0),
    ("wan-presets", "variant"): (90.0, 1.8),
    ("wan-low-vram", "build"): (90.0, 0.0),
    ("wan-low-vram", "render"): (120.0, 4.0),
}
LIKE: dict[tuple[str, str], tuple[str, str, float]] = {
    # A step not measured yet → (job, step measured earlier in the run, factor): that
    # step's seconds times the factor, an upper bound, before the H200 guess.
    ("ltx", "build ltx2"): ("ltx2", "build", 1.0),  # the same model
    ("ltx", "build ltx25"): ("ltx2", "build", 1.1),  # 70.9 GB against 68.7
    ("ltx", "lora ltx2"): ("ltx2", "lora", 1.0),
    ("ltx", "lora ltx25"): ("ltx2", "lora", 1.2),  # rank 450 against 384
    ("ltx", "cinema (ltx2)"): ("ltx", "cinema", 1.3),  # 49.0 against 38.8 PFLOP
    ("wan-presets", "build"): ("wan", "build", 1.0),
    ("wan-presets", "stock diffusers"): ("wan", "stock diffusers", 1.0),
    ("wan-presets", "variant"): ("wan", "reelforge fast", 1.0),
}
COMPILE_EXTRA_S = 120.0
"""Added to an estimate in the ``ltx`` job when a preset compiles (a full-size warm-up)."""
CHILD_STOP_S = 10.0
"""How long a low-VRAM child gets to exit after it is told to stop, before it is killed."""


def peak_flops(device_name: str, fp8: bool = False) -> float | None:
    """The device's dense peak in FLOP/s for bf16 (or FP8) matrix work; None when unknown
    (an FP8 run on a GPU without an FP8 entry has no peak: its MFU is not given)."""
    for key, tflops in PEAK_FP8_TFLOPS if fp8 else PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops * 1e12
    return None


def mfu(flops: float | None, step_s: float | None, peak: float | None) -> float | None:
    """Model FLOP utilisation: ``flops`` per step over ``step_s`` and the ``peak`` (FLOP/s)."""
    if not (flops and step_s and peak):
        return None
    return flops / step_s / peak


# --- models and sizes ------------------------------------------------------------------------


@dataclass
class Case:
    """A model family and the clip it renders: how to build its pipeline, its size."""

    key: str
    title: str
    build: Callable[..., tuple[Any, Any]]
    """``build(tiny, dtype, device, layers, model)``: ``(pipeline, latent upsampler or None)``;
    ``model``: which LTX model (``presets.Model.name``), else None."""
    size: tuple[int, int]
    frames: int
    fps: int
    audio: bool
    vram_cap_gb: float
    """The GPU memory cap of its low-VRAM job."""
    tiny_size: tuple[int, int] = (32, 32)
    tiny_frames: int = 9


@dataclass(frozen=True)
class Job:
    """One benchmark job: what ``--cases`` names and the records' ``case``."""

    key: str
    title: str
    case: str
    """The :data:`CASES` entry it renders."""
    required: bool
    """One of the three results issue 12 asks one ``--budget-s 420`` run to give."""


@dataclass(frozen=True)
class StagedRun:
    """One timed LTX render: a tier on one of its engines."""

    tier: str
    engine: str
    """Registry name: ``ltx25``, ``ltx2``, ``ltx2_distilled``."""
    default: bool
    """Whether ``engine`` is the tier's default (the lineup's ``Tier.engine``)."""

    @property
    def name(self) -> str:
        """The records' ``run`` and the table's tier column: ``cinema``, ``cinema (ltx2)``."""
        return self.tier if self.default else f"{self.tier} ({self.engine})"

    @property
    def option(self) -> str:
        """How ``--tiers`` names it: ``cinema``, ``budget``, ``cinema:ltx2``."""
        return self.tier if self.default else f"{self.tier}:{self.engine}"

    @property
    def model(self) -> str:
        """The pipeline it runs on (``presets.Model.name``): ``ltx25`` or ``ltx2`` — the
        distilled LTX-2 checkpoint has the dev model's architecture, so budget runs on the
        LTX-2 build (random weights in either time the same)."""
        from reelforge.engines.ltx2 import presets

        return presets.MODELS[self.engine].name

    @classmethod
    def of(cls, tier: str, engine: str) -> StagedRun:
        from reelforge.lineup.tiers import TIERS

        return cls(tier, engine, TIERS[tier].engine == engine)


def staged_runs(tiers: tuple[str, ...] = LTX_TIERS) -> tuple[StagedRun, ...]:
    """Each tier's default engine (the lineup's), then the engines a request may pick
    instead (``Tier.models``): cinema on LTX-2.5, budget, cinema on LTX-2 — the headline
    first, the alternative last (the first ``--budget-s`` drops)."""
    from reelforge.lineup.tiers import TIERS

    return (
        *(StagedRun(tier, TIERS[tier].engine, True) for tier in tiers),
        *(StagedRun(tier, engine, False) for tier in tiers for engine in TIERS[tier].models),
    )


def model_label(model: str) -> str:
    """``LTX-2.5 22B`` for ``ltx25`` (``presets.Model.label``)."""
    from reelforge.engines.ltx2 import presets

    return presets.MODELS[model].label


LTX_BUILDERS: dict[str, tuple[str, str, str, str]] = {
    # model → (module of reelforge.testing, tiny config, full-size config, pipeline builder)
    "ltx25": ("ltx25", "TINY25", "FULL25", "build_ltx25_pipeline"),
    "ltx2": ("ltx2", "TINY", "FULL", "build_ltx2_pipeline"),
}


def _ltx_config(model: str, tiny: bool, layers: int | None) -> dict[str, Any]:
    module, small, full, _ = LTX_BUILDERS[model]
    configs = importlib.import_module(f"reelforge.testing.{module}")
    config = getattr(configs, small if tiny else full)
    if layers is None:
        return config
    # Full widths, fewer blocks: the full-size code path on a small machine (a CPU check).
    # LTX-2.5 derives its connectors' text_proj_in_factor from the text encoder.
    connectors = config["connectors"]
    if "text_proj_in_factor" in connectors:
        connectors = {**connectors, "text_proj_in_factor": layers + 1}
    return {
        **config,
        "transformer": {**config["transformer"], "num_layers": layers},
        "text_encoder": {**config["text_encoder"], "num_hidden_layers": layers},
        "connectors": connectors,
    }


def _build_ltx(tiny: bool, dtype: Any, device: str, layers: int | None, model: str | None):
    assert model is not None, "an LTX build names its model"
    module, _, _, builder = LTX_BUILDERS[model]
    build = getattr(importlib.import_module(f"reelforge.testing.{module}"), builder)
    return build(_ltx_config(model, tiny, layers), dtype=dtype, device=device, with_upsampler=True)


def _build_wan(tiny: bool, dtype: Any, device: str, layers: int | None, model: str | None):
    from reelforge.testing import wan

    configs = wan.TINY if tiny else wan.FULL
    return wan.build_wan_pipeline(configs["ti2v"], dtype=dtype, device=device), None


CASES: dict[str, Case] = {
    "ltx": Case(
        "ltx",
        "LTX text-to-video + audio, 5 s 1080p",
        _build_ltx,
        size=(1920, 1088),
        frames=121,
        fps=24,
        audio=True,
        vram_cap_gb=24.0,
        tiny_size=(64, 64),  # two stages: multiples of 64
    ),
    "wan": Case(
        "wan",
        "Wan 2.2 TI2V-5B text-to-video, 5 s 720p",
        _build_wan,
        size=(1280, 704),
        frames=121,
        fps=24,
        audio=False,
        vram_cap_gb=12.0,
    ),
}

JOBS: tuple[Job, ...] = (
    Job("ltx2", "LTX-2 19B two-stage, 5 s 1080p: stock diffusers vs reelforge fast", "ltx", True),
    Job("wan", "Wan 2.2 TI2V-5B, 5 s 720p: stock diffusers vs reelforge fast", "wan", True),
    Job("ltx2-low-vram", "LTX-2 19B --low-vram under a 24 GB cap, 5 s 1080p", "ltx", True),
    Job("ltx", "LTX text-to-video + audio, 5 s 1080p: every tier and preset", "ltx", False),
    Job("wan-presets", "Wan 2.2 TI2V-5B, 5 s 720p: the other presets", "wan", False),
    Job("wan-low-vram", "Wan 2.2 TI2V-5B --low-vram under a 12 GB cap, 5 s 720p", "wan", False),
)
"""Every job in the order it runs: the three results issue 12 asks for first."""
JOB = {job.key: job for job in JOBS}
LOW_VRAM_JOBS = ("ltx2-low-vram", "wan-low-vram")
"""The jobs that run in a child process (``Child``)."""


# --- results, streamed ---------------------------------------------------------------------


class Emitter:
    """Every record as one JSON line on stdout (and ``--jsonl``), flushed as it is made; a
    low-VRAM child's lines are forwarded through it from a reader thread."""

    def __init__(self, path: Path | None = None, out: TextIO | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.out = out or sys.stdout
        self.lock = threading.Lock()
        self.file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file = path.open("a", encoding="utf-8")

    def __call__(self, kind: str, **fields: Any) -> dict[str, Any]:
        return self.forward({"kind": kind, **{k: _finite(v) for k, v in fields.items()}})

    def forward(self, record: dict[str, Any]) -> dict[str, Any]:
        """Keep and write a record made elsewhere (a child's)."""
        line = json.dumps(record, ensure_ascii=False)
        with self.lock:
            self.records.append(record)
            for stream in (self.out, self.file):
                if stream is not None:
                    stream.write(line + "\n")
                    stream.flush()
        return record

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _finite(value: Any) -> Any:
    """JSON has no NaN: a non-finite number is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Budget:
    """``--budget-s``: what is left of it, and whether an expected duration fits."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds

    def left(self) -> float | None:
        if self.seconds is None:
            return None
        return self.seconds - (time.perf_counter() - STARTED)

    def allows(self, estimate: float) -> bool:
        left = self.left()
        return left is None or estimate <= left


class HostMemory:
    """This process's resident memory (``/proc/self/status``: ``VmRSS`` now, ``VmHWM`` its
    peak since start), in GB; None where there is no such file (not Linux)."""

    STATUS = Path("/proc/self/status")

    def _field(self, name: str) -> float | None:
        try:
            text = self.STATUS.read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024 / 1e9  # kB
        return None

    def rss_gb(self) -> float | None:
        return self._field("VmRSS")

    def peak_gb(self) -> float | None:
        return self._field("VmHWM")

    @staticmethod
    def total_gb() -> float | None:
        """The machine's RAM (``/proc/meminfo`` ``MemTotal``)."""
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024 / 1e9
        except OSError:
            pass
        return None


def children_peak_gb() -> float | None:
    """The largest peak resident memory of this process's finished children (also of one
    the kernel killed), in GB (``getrusage``; Linux counts kB)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return kb * 1024 / 1e9 if kb else None


@dataclass
class Result:
    """One stock-vs-engine variant of a Wan job (a ``variant`` record)."""

    case: str
    variant: str
    steps: int
    size: str = ""
    step_s: float | None = None
    clip_s: float | None = None
    peak_gb: float | None = None
    reserved_gb: float | None = None
    flops_per_step: float | None = None
    fp8: bool = False
    peak_tflops: float | None = None
    mfu: float | None = None
    recipe_steps: int | None = None
    projected_clip_s: float | None = None
    max_diff: float | None = None
    completed: bool = True
    note: str = ""
    speed: str = ""

    def finish(self, peak: float | None) -> Result:
        """MFU against ``peak`` and the clip at the recipe's steps, from what was measured."""
        self.peak_tflops = peak / 1e12 if peak else None
        self.mfu = mfu(self.flops_per_step, self.step_s, peak)
        self.projected_clip_s = projected(
            self.clip_s, [(self.steps, self.recipe_steps, self.step_s)]
        )
        return self


def projected(clip_s: float | None, stages: list[tuple[int, int | None, float | None]]) -> Any:
    """The clip at the recipe's steps: ``clip_s`` plus, for each stage given as ``(steps
    run, recipe steps, s/step)``, the steps left out (or minus those added) at its s/step;
    None when every stage ran its recipe's steps."""
    if clip_s is None or all(recipe in (None, steps) for steps, recipe, _ in stages):
        return None
    extra = 0.0
    for steps, recipe, step_s in stages:
        if recipe is not None and recipe != steps:
            if step_s is None:
                return None
            extra += (recipe - steps) * step_s
    return clip_s + extra


@dataclass
class Timer:
    """Step timestamps from the progress callback (device synchronised first)."""

    sync: Callable[[], None]
    marks: list[float] = field(default_factory=list)

    def __call__(self, step: int, steps: int) -> None:
        self.sync()
        self.marks.append(time.perf_counter())

    def step_seconds(self, start: float) -> float | None:
        return _step_seconds([b - a for a, b in itertools.pairwise([start, *self.marks])])


def _step_seconds(intervals: list[float]) -> float | None:
    """Median step time, leaving out step 1 when there are others (it carries the first
    call's costs and, in the stage timings, the FLOP count)."""
    rest = intervals[1:] or intervals
    return statistics.median(rest) if rest else None


def passes_of(guidance: Any) -> str:
    """The transformer passes of one step under ``guidance`` (anything with ``cfg``, ``stg``,
    ``modality`` and ``stg_blocks``), as ``bench/flops.py`` counts them: ``CFG pair + STG +
    modality``."""
    from flops import LTX2Counter

    return " + ".join(name for name, _, _ in LTX2Counter.passes(guidance))


def stock_passes(pipe: Any) -> str:
    """What the stock LTX-2 pipeline's last call ran per step (its own guidance flags)."""
    return passes_of(
        SimpleNamespace(
            cfg=pipe.do_classifier_free_guidance,
            stg=pipe.do_spatio_temporal_guidance,
            modality=pipe.do_modality_isolation_guidance,
            stg_blocks=(),
        )
    )


# --- timing a staged render ------------------------------------------------------------------

OUTPUT = "output"
DECODE_VIDEO, DECODE_AUDIO = "decode video", "decode audio"
DECODE_AND_OUTPUT = "decode + output"
"""Stock's last phase: everything its stage-2 call runs after the last step (the VAE decode,
the audio VAE and vocoder, frames to numpy)."""


@dataclass(frozen=True)
class StagePhase:
    """What :class:`StageClock` times of one denoising stage (an engine's planned
    ``schedule.Stage``, or one of stock's two calls)."""

    number: int
    width: int
    height: int
    frames: int
    weights: str
    steps: int
    passes: str = ""

    @property
    def name(self) -> str:
        return f"stage {self.number}"

    @classmethod
    def of(cls, stage: Any) -> StagePhase:
        return cls(
            stage.number,
            stage.width,
            stage.height,
            stage.frames,
            stage.weights,
            stage.steps,
            passes_of(stage.guidance),
        )


class StageClock:
    """Wall time of every phase of one staged LTX render, the device synchronised at each
    boundary; the phases partition the render.

    Boundaries: the step callback (with the stage plan it tells which stage a step ends),
    the upsample (``engine.upsample`` wrapped, or :meth:`upsample` around stock's call),
    ``stages.decode_raw`` / ``decode_raw_audio`` wrapped (the engine's); forward hooks on the
    transformer (a stage's first call: where its steps begin; FLOPs of step 1) and on the
    text encoder and connectors (text seconds). Each phase's record is emitted when the
    phase ends. What runs after a stage's last step (the pipeline's post-loop, the NaN
    checks, switching the LoRA, the next stage's inputs) counts to the next phase; after the
    last stage, to ``tail``.
    """

    def __init__(
        self,
        harness: Harness,
        plan: tuple[StagePhase, ...],
        emit: Callable[..., dict[str, Any]],
        fields: dict[str, Any],
        count_flops: bool,
        known_flops: dict[int, float] | None = None,
        peak: float | None = None,
        passes: Callable[[int], str] | None = None,
        tail: str = OUTPUT,
    ) -> None:
        self.h, self.plan, self.emit, self.fields = harness, plan, emit, fields
        self.count_flops = count_flops
        self.known_flops = known_flops or {}
        self.peak = peak
        self.passes = passes or (lambda i: self.plan[i].passes)
        self.tail = tail
        self.ends = list(itertools.accumulate(stage.steps for stage in plan))
        self.stage = 0
        self.label = plan[0].name
        self.started = self.last = 0.0
        self.spent: dict[str, float] = {}
        self.peaks: dict[str, tuple[float, float]] = {}
        self.marks: list[list[float]] = [[] for _ in plan]
        self.first_call: list[float | None] = [None] * len(plan)
        self.text: list[float] = [0.0] * len(plan)
        self.flops: list[float] = [0.0] * len(plan)
        self.phases: list[dict[str, Any]] = []

    # the timeline
    def begin(self) -> None:
        self.h.reset_peak()
        self.started = self.last = time.perf_counter()

    def _switch(self, next_label: str) -> None:
        """Close the interval since the last boundary into the current phase."""
        self.h.sync()
        now = time.perf_counter()
        self.spent[self.label] = self.spent.get(self.label, 0.0) + now - self.last
        peak = self.h.take_peak()
        if peak is not None:
            old = self.peaks.get(self.label, (0.0, 0.0))
            self.peaks[self.label] = (max(old[0], peak[0]), max(old[1], peak[1]))
        self.last, self.label = now, next_label

    def _current_stage_name(self) -> str:
        return self.plan[self.stage].name if self.stage < len(self.plan) else self.tail

    def __call__(self, step: int, total: int) -> None:
        """The engine's progress callback: ``step`` of ``total`` across all stages."""
        if self.stage >= len(self.plan):
            return
        self.h.sync()
        self.marks[self.stage].append(time.perf_counter())
        if step >= self.ends[self.stage]:
            done = self.stage
            self.stage += 1
            self._switch(self._current_stage_name())
            self._emit_stage(done)

    def step_end(self, index: int) -> Callable[..., dict]:
        """A stock pipeline's ``callback_on_step_end`` for stage ``index``: its steps as the
        render's (``self(step, total)``)."""
        before = self.ends[index] - self.plan[index].steps

        def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
            self(before + step + 1, self.ends[-1])
            return {}

        return on_step_end

    def _peak(self, label: str) -> dict[str, float | None]:
        allocated, reserved = self.peaks.get(label, (None, None))
        return {"peak_gb": allocated, "reserved_gb": reserved}

    def _emit_stage(self, i: int) -> None:
        stage, marks = self.plan[i], self.marks[i]
        start = self.first_call[i] if self.first_call[i] is not None else marks[0]
        intervals = [b - a for a, b in itertools.pairwise([start, *marks])]
        seconds = self.spent.get(stage.name, 0.0)
        denoise = marks[-1] - start
        flops = (self.flops[i] if self.count_flops else self.known_flops.get(stage.number)) or None
        step_s = _step_seconds(intervals)
        self.phases.append(
            self.emit(
                "phase",
                **self.fields,
                phase=stage.name,
                stage=stage.number,
                width=stage.width,
                height=stage.height,
                frames=stage.frames,
                weights=stage.weights,
                passes=self.passes(i),
                steps=stage.steps,
                seconds=seconds,
                prep_s=seconds - denoise,
                text_s=self.text[i],
                denoise_s=denoise,
                step_s=step_s,
                first_step_s=intervals[0] if intervals else None,
                flops_per_step=flops,
                mfu=mfu(flops, step_s, self.peak),
                **self._peak(stage.name),
            )
        )

    def _emit_span(self, label: str, **extra: Any) -> None:
        self.phases.append(
            self.emit(
                "phase",
                **self.fields,
                phase=label,
                seconds=self.spent.get(label, 0.0),
                **self._peak(label),
                **extra,
            )
        )

    def end(self) -> dict[str, Any]:
        """Close the last phase; the render's totals (every phase emitted by now)."""
        self._switch(self.tail)
        self._emit_span(self.tail)
        allocated = [a for a, _ in self.peaks.values()]
        reserved = [r for _, r in self.peaks.values()]
        return {
            "seconds": sum(self.spent.values()),
            "peak_gb": max(allocated) if allocated else None,
            "reserved_gb": max(reserved) if reserved else None,
            "phase_seconds": dict(self.spent),
            "per_stage": [
                {k: p.get(k) for k in ("stage", "steps", "step_s", "flops_per_step", "mfu")}
                for p in self.phases
                if "steps" in p
            ],
        }

    # instrumentation
    @contextmanager
    def instrument(self, pipe: Any, wrappers: list[tuple[Any, str, Callable]]) -> Iterator[None]:
        """Hooks on ``pipe``'s transformer, text encoder and connectors, and each
        ``(owner, name, wrap)`` of ``wrappers`` in place, for one render; all removed
        afterwards."""
        with ExitStack() as stack:
            hooks = [pipe.transformer.register_forward_pre_hook(self._first_call)]
            for module in (pipe.text_encoder, pipe.connectors):
                if module is not None:  # a text encoder the memory plan frees
                    hooks += _span_hooks(module, self.h.sync, self._add_text)
            stack.callback(lambda: [h.remove() for h in hooks])
            stack.enter_context(
                FlopCount(
                    pipe.transformer,
                    enabled=self.count_flops,
                    gate=self._counting,
                    sink=self._add_flops,
                )
            )
            for owner, name, wrap in wrappers:
                stack.enter_context(_wrapped(owner, name, wrap))
            yield

    def engine_wrappers(self, engine: Any) -> list[tuple[Any, str, Callable]]:
        """The engine's upsample and the stages' decodes, timed as phases."""
        from reelforge.engines.ltx2 import stages as ltx2_stages

        return [
            (engine, "upsample", self._upsample),
            (ltx2_stages, "decode_raw", self._span(DECODE_VIDEO)),
            (ltx2_stages, "decode_raw_audio", self._span(DECODE_AUDIO)),
        ]

    def _first_call(self, module: Any, args: Any) -> None:
        if self.stage < len(self.plan) and self.first_call[self.stage] is None:
            self.h.sync()
            self.first_call[self.stage] = time.perf_counter()

    def _counting(self) -> bool:
        """FLOPs are counted over each stage's first step."""
        return self.stage < len(self.plan) and not self.marks[self.stage]

    def _add_flops(self, flops: float) -> None:
        self.flops[self.stage] += flops

    def _add_text(self, seconds: float) -> None:
        if self.stage < len(self.plan):
            self.text[self.stage] += seconds

    def upsample(self, run: Callable[[], Any]) -> Any:
        """``run()`` (the ×2 latent upsample before the current stage) timed as its phase."""
        target = self.plan[self.stage]
        label = f"upsample → {target.name}"
        self._switch(label)
        out = run()
        self._switch(target.name)
        self._emit_span(label, width=target.width, height=target.height, frames=target.frames)
        return out

    def _upsample(self, original: Callable[..., Any]) -> Callable[..., Any]:
        return lambda latents: self.upsample(lambda: original(latents))

    def _span(self, label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                self._switch(label)
                out = original(*args, **kwargs)
                self._switch(self.tail)
                self._emit_span(label)
                return out

            return timed

        return wrap


@contextmanager
def _wrapped(owner: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]):
    """``owner.name`` replaced by ``wrap(owner.name)`` for the block (instance or module)."""
    original = getattr(owner, name)
    had_own = name in vars(owner)
    setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        if had_own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _span_hooks(module: Any, sync: Callable[[], None], add: Callable[[float], None]) -> list[Any]:
    """Forward hooks adding each call's synchronised wall time to ``add``."""
    started: list[float] = []

    def pre(mod: Any, args: Any) -> None:
        sync()
        started.append(time.perf_counter())

    def post(mod: Any, args: Any, out: Any) -> None:
        sync()
        add(time.perf_counter() - started.pop())

    return [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]


class FlopCount:
    """FLOPs of the forwards of ``module`` while active (one ``FlopCounterMode`` per call).

    ``gate()``: whether to count a call (default: every one); ``sink(flops)`` gets each
    call's count; ``total`` sums them.
    """

    def __init__(
        self,
        module: Any,
        enabled: bool = True,
        gate: Callable[[], bool] | None = None,
        sink: Callable[[float], None] | None = None,
    ) -> None:
        self.module, self.enabled, self.total = module, enabled, 0
        self.gate, self.sink = gate, sink
        self._handles: list[Any] = []
        self._mode: Any = None

    def __enter__(self) -> FlopCount:
        if not self.enabled:
            return self
        from torch.utils.flop_counter import FlopCounterMode

        def pre(mod, args, kwargs):
            if self.gate is None or self.gate():
                self._mode = FlopCounterMode(display=False)
                self._mode.__enter__()

        def post(mod, args, kwargs, out):
            if self._mode is None:
                return
            self._mode.__exit__(None, None, None)
            flops, self._mode = self._mode.get_total_flops(), None
            self.total += flops
            if self.sink is not None:
                self.sink(flops)

        self._handles = [
            self.module.register_forward_pre_hook(pre, with_kwargs=True),
            self.module.register_forward_hook(post, with_kwargs=True),
        ]
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._mode is not None:  # a forward that raised
            self._mode.__exit__(None, None, None)
            self._mode = None
        for handle in self._handles:
            handle.remove()


# --- the harness -----------------------------------------------------------------------------


class Harness:
    def __init__(
        self,
        tiny: bool,
        steps: int | None,
        device: str,
        emit: Emitter,
        budget: Budget,
        *,
        size: tuple[int, int, int] | None = None,
        layers: int | None = None,
    ) -> None:
        import torch

        self.torch = torch
        self.tiny = tiny
        self.steps = steps
        self.device = device
        self.emit = emit
        self.budget = budget
        self.size = size
        self.layers = layers
        self.cuda = device.startswith("cuda")
        self.dtype = torch.bfloat16 if self.cuda or layers is not None else torch.float32
        self.measured: dict[tuple[str, str], float] = {}
        self.failed = False
        self.children: dict[str, Child] = {}
        self.wan_stock: tuple[np.ndarray, float | None] | None = None
        """Wan's stock frames and FLOPs per step, once measured (``wan-presets`` compares to
        them instead of rendering stock again)."""
        self.wan_done: set[str] = set()
        """The presets a Wan job has rendered."""
        self._meta_flops: dict[tuple, dict[int, float]] = {}

    # helpers
    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def reset_peak(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()

    def peak(self) -> tuple[float, float] | None:
        """Peak GPU memory allocated and reserved since the last reset, in GB (CUDA only)."""
        if not self.cuda:
            return None
        cuda = self.torch.cuda
        return cuda.max_memory_allocated() / 1e9, cuda.max_memory_reserved() / 1e9

    def peak_fields(self) -> dict[str, float | None]:
        allocated, reserved = self.peak() or (None, None)
        return {"peak_gb": allocated, "reserved_gb": reserved}

    def take_peak(self) -> tuple[float, float] | None:
        """The peaks since the last reset, then reset (per-phase peaks)."""
        peak = self.peak()
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()
        return peak

    def free(self) -> None:
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()

    def device_peak(self, fp8: bool) -> float | None:
        """The GPU's dense peak (FLOP/s) for what a run computed in; None on the CPU."""
        if not self.cuda:
            return None
        return peak_flops(self.torch.cuda.get_device_name(self.torch.device(self.device)), fp8)

    def stage_1_steps(self, job: str) -> int:
        """The stage-1 (Wan: all) steps a job's runs take, for the H200 estimates."""
        if self.steps:
            return self.steps
        if job.startswith("wan"):
            return self.wan_steps()
        return 40

    def expected(self, job: str, what: str) -> float:
        """Seconds ``what`` should take: measured earlier in this run, else scaled from a
        like step measured there (``LIKE``), else the H200 estimate (nothing in tiny mode)."""
        if (job, what) in self.measured:
            return self.measured[(job, what)]
        like_job, like, factor = LIKE.get((job, what), ("", "", 0.0))
        if (like_job, like) in self.measured:
            return self.measured[(like_job, like)] * factor
        if self.tiny:
            return 0.0
        seconds, per_step = H200_EXPECTED_S.get((job, what), (0.0, 0.0))
        return seconds + per_step * self.stage_1_steps(job)

    def fits(self, job: str, what: str, estimate: float, **fields: Any) -> bool:
        if self.budget.allows(estimate):
            return True
        left = self.budget.left()
        self.emit(
            "skip",
            case=job,
            what=what,
            estimate_s=estimate,
            left_s=left,
            reason=f"expected {estimate:.0f} s, {max(left or 0.0, 0.0):.0f} s left of --budget-s",
            **fields,
        )
        return False

    def dims(self, case: Case) -> tuple[int, int, int]:
        if self.size is not None:
            return self.size
        if self.tiny:
            return (*case.tiny_size, case.tiny_frames)
        return (*case.size, case.frames)

    def segment(self, case: Case, steps: int | None, dims: tuple[int, int, int] | None = None):
        from reelforge.planning.plan import Segment

        width, height, frames = dims or self.dims(case)
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

    def engine(
        self,
        name: str,
        tier: str,
        pipe: Any,
        speed: Any,
        report: Any = None,
        upsampler: Any = None,
    ):
        """Engine ``name`` (the registry's) for ``tier`` around an in-memory pipeline:
        prepared with ``speed`` (the pipeline placed, the options applied), or, given the
        ``report`` of an earlier ``prepare`` of the same pipeline, sharing it as it is."""
        from reelforge.engines.registry import IMPLEMENTATIONS

        module, _, cls = IMPLEMENTATIONS[name].partition(":")
        engine = getattr(importlib.import_module(module), cls)(model_path=None, tier=tier)
        engine.device = self.torch.device(self.device)
        engine.dtype = self.dtype
        engine.speed = speed
        engine.base_pipeline = type(pipe).__name__
        if report is None:
            self.apply_memory_plan(engine)
            pipe = engine.prepare(pipe)
        else:
            engine.speed_report = report
        engine._pipelines = {engine.base_pipeline: pipe}
        if upsampler is not None:
            engine._upsampler = upsampler.to(self.device).eval()
        return engine

    def apply_memory_plan(self, engine: Any) -> None:
        """On a GPU, place the pipeline by the engine's memory plan for this machine (the
        GPU cap included), as ``load`` does — unless it frees the text encoder, which needs
        a folder to read it back from (the bench builds in memory): then the pipeline is
        placed by its ``SpeedOptions`` and the line records the plan as not applied."""
        if not self.cuda:
            return
        try:
            plan = engine.plan()
        except Exception:  # DoesNotFit: recorded by memory_plan_fields on the line
            return
        if plan is not None and not plan.free_text_encoder:
            engine.memory_plan = plan

    def fp8_planned(self, speed: Any) -> bool:
        """Whether ``speed`` will put FP8 weights on this device (``engines/speed.py``'s own
        test), decided before the engine places the pipeline."""
        from reelforge.engines import speed as options

        _, _, settings, _ = options.resolve(speed, self.device)
        device = self.torch.device(self.device)
        return settings.fp8 != "off" and options._fp8_unavailable(device, settings.offload) is None

    def build(
        self, case: Case, job: str, what: str = "build", model: str | None = None, device=None
    ) -> tuple[Any, Any] | None:
        """The case's random-weight pipeline (and upsampler), ``model``'s for LTX, on
        ``device`` (default: the harness's), timed; None when it failed. Its record's
        ``held_gb``: the GPU memory still allocated when it began (what an earlier build
        left behind: ≈ 0 once that one was freed)."""
        device = device or self.device
        on_gpu = device.startswith("cuda")
        named = {"model": model_label(model)} if model is not None else {}
        held = self.torch.cuda.memory_allocated() / 1e9 if on_gpu else None
        if on_gpu:
            self.reset_peak()
        start = time.perf_counter()
        try:
            pipe, upsampler = case.build(self.tiny, self.dtype, device, self.layers, model)
            pipe.set_progress_bar_config(disable=True)
        except Exception as exc:  # builder missing or too big for this device
            traceback.print_exc(file=sys.stderr)
            self.failed = True
            self.emit("build", case=job, what=what, **named, completed=False, note=_short(exc))
            return None
        if on_gpu:
            self.sync()
        seconds = time.perf_counter() - start
        self.measured[(job, what)] = seconds
        self.emit(
            "build",
            case=job,
            what=what,
            **named,
            device=device,
            seconds=seconds,
            weights_gb=_weights_gb(pipe, upsampler),
            held_gb=held,
            completed=True,
        )
        return pipe, upsampler

    def run(self, job: Job, presets: tuple[str, ...], runs: tuple[StagedRun, ...]) -> None:
        self.emit("case", case=job.key, title=job.title, required=job.required)
        if job.key == "ltx2":
            self.run_pair(job)
        elif job.key == "ltx":
            self.run_staged(job, presets, runs)
        elif job.key == "wan":
            self.run_wan(job, (FASTEST_PRESET,))
        elif job.key == "wan-presets":
            self.run_wan(job, tuple(p for p in presets if p not in self.wan_done))
        else:
            self.run_child(job)

    # --- LTX-2: the stock two-stage recipe and reelforge's fastest preset -------------------

    def run_pair(self, job: Job) -> None:
        """``ltx2``: one LTX-2 build; the docs' two-stage recipe on it, then the engine's
        render of the same clip under the fastest preset."""
        from reelforge.engines.base import SpeedOptions

        case, model = CASES[job.case], "ltx2"
        first = sum(self.expected(job.key, w) for w in ("build", "lora", "stock diffusers"))
        if not self.fits(job.key, "build", first):
            return
        built = self.build(case, job.key, "build", model)
        if built is None:
            return
        pipe, upsampler = built
        built = None
        try:
            label = "stock diffusers"
            if self.fits(job.key, label, self.expected(job.key, label)):
                self.set_lora(job.key, pipe, model, what="lora")
                self.stock_two_stage(job, case, pipe, upsampler)
            label = f"reelforge {FASTEST_PRESET}"
            if not self.fits(job.key, label, self.expected(job.key, label), preset=FASTEST_PRESET):
                return
            speed = SpeedOptions(preset=FASTEST_PRESET, low_vram=False)
            if self.fp8_planned(speed):  # the engine loads its LoRA after FP8 placement
                self.set_lora(job.key, pipe, None)
            run = StagedRun.of(*PAIR_RUN)
            engine = self.engine(run.engine, run.tier, pipe, speed, upsampler=upsampler)
            self.set_lora(job.key, pipe, model, what="lora")
            compiles = engine.speed_report is not None and engine.speed_report.has("compile")
            self.staged_run(job, case, engine, run, FASTEST_PRESET, label, {}, None, compiles)
        except Exception as exc:  # placing, the LoRA (a render's own failure has its line)
            traceback.print_exc(file=sys.stderr)
            self.failed = True
            stock = label == "stock diffusers"
            self.emit(
                "render",
                case=job.key,
                run="two-stage" if stock else StagedRun.of(*PAIR_RUN).name,
                preset="stock" if stock else FASTEST_PRESET,
                label=label,
                completed=False,
                note=_short(exc),
            )
        finally:
            pipe = upsampler = engine = None
            self.torch._dynamo.reset()
            self.free()

    def stock_two_stage(self, job: Job, case: Case, pipe: Any, upsampler: Any) -> None:
        """The diffusers docs' two-stage LTX-2 recipe (module docstring), warmed up, then
        timed phase by phase like the engine's renders; the pipeline's own scheduler,
        tiling and LoRA state are put back afterwards."""
        from diffusers import FlowMatchEulerDiscreteScheduler, LTX2LatentUpsamplePipeline
        from diffusers.pipelines.ltx2.utils import (
            DEFAULT_NEGATIVE_PROMPT,
            STAGE_2_DISTILLED_SIGMA_VALUES,
        )

        from reelforge.engines.ltx2 import lora, schedule

        label = "stock diffusers"
        shipped = pipe.scheduler  # the dev checkpoint's: diffusers' token-count shift
        refine = FlowMatchEulerDiscreteScheduler.from_config(
            shipped.config, use_dynamic_shifting=False, shift_terminal=None
        )
        upsample = LTX2LatentUpsamplePipeline(vae=pipe.vae, latent_upsampler=upsampler)
        upsample.set_progress_bar_config(disable=True)
        sigmas_2 = list(STAGE_2_DISTILLED_SIGMA_VALUES)
        steps_1 = self.steps or STOCK_STAGE_1_STEPS
        prompt = self.segment(case, None).prompt
        fields = dict(
            case=job.key, run="two-stage", tier=None, engine=None, preset="stock", label=label
        )

        def plan(width: int, height: int, frames: int, steps: int) -> tuple[StagePhase, ...]:
            return (
                StagePhase(1, width // 2, height // 2, frames, schedule.DEV, steps),
                StagePhase(2, width, height, frames, schedule.DEV_LORA, len(sigmas_2)),
            )

        def render(dims: tuple[int, int, int], steps: int, clock: StageClock | None) -> Any:
            width, height, frames = dims
            seed = self.torch.Generator("cpu").manual_seed(self.segment(case, None).seed)
            common = dict(
                prompt=prompt,
                negative_prompt=DEFAULT_NEGATIVE_PROMPT,
                num_frames=frames,
                frame_rate=float(case.fps),
                generator=seed,
                return_dict=False,
            )
            pipe.scheduler = shipped
            lora.use_distilled(pipe, None)
            video, audio = pipe(
                **common,
                width=width // 2,
                height=height // 2,
                num_inference_steps=steps,
                sigmas=None,
                guidance_scale=STOCK_GUIDANCE_SCALE,
                output_type="latent",
                callback_on_step_end=clock.step_end(0) if clock else None,
            )

            def up() -> Any:
                return upsample(latents=video, output_type="latent", return_dict=False)[0]

            latents = clock.upsample(up) if clock else up()
            lora.use_distilled(pipe, lora.DEFAULT_STRENGTH)
            pipe.vae.enable_tiling()
            pipe.scheduler = refine
            frames_out, _ = pipe(
                **common,
                latents=latents,
                audio_latents=audio,
                num_inference_steps=len(sigmas_2),
                noise_scale=sigmas_2[0],
                sigmas=sigmas_2,
                guidance_scale=STOCK_STAGE_2_GUIDANCE_SCALE,
                output_type="np",
                callback_on_step_end=clock.step_end(1) if clock else None,
            )
            return frames_out

        run_start = time.perf_counter()
        width, height, frames = self.dims(case)
        stages = plan(width, height, frames, steps_1)
        clock = StageClock(
            self,
            stages,
            self.emit,
            fields,
            count_flops=True,
            peak=self.device_peak(False),
            passes=lambda i: stock_passes(pipe),
            tail=DECODE_AND_OUTPUT,
        )
        try:
            warm = self.dims(case) if self.tiny else WARMUP_SIZE
            self.sync()
            start = time.perf_counter()
            render(warm, STOCK_WARMUP_STEPS, None)
            self.sync()
            self.emit("warmup", **fields, size=_size(warm), seconds=time.perf_counter() - start)
            with clock.instrument(pipe, []):
                clock.begin()
                render((width, height, frames), steps_1, clock)
                totals = clock.end()
            self.emit(
                "render",
                **fields,
                width=width,
                height=height,
                frames=frames,
                fps=case.fps,
                audio=True,
                stages=[[s.width, s.height, s.steps] for s in stages],
                steps=sum(s.steps for s in stages),
                **totals,
                clip_s=totals["seconds"],
                recipe_steps=[STOCK_STAGE_1_STEPS, len(sigmas_2)],
                projected_clip_s=projected(
                    totals["seconds"],
                    [
                        (p["steps"], recipe, p["step_s"])
                        for p, recipe in zip(
                            totals["per_stage"], (STOCK_STAGE_1_STEPS, None), strict=True
                        )
                    ],
                ),
                fp8=False,
                peak_tflops=_tflops(clock.peak),
                completed=True,
                note="",
                speed="the diffusers docs' two-stage example, every component on the device",
            )
        except Exception as exc:
            self.failed = True
            self.render_failed(exc, fields, (width, height, frames), clock)
        finally:
            pipe.scheduler = shipped
            pipe.vae.disable_tiling()
            lora.use_distilled(pipe, None)
        self.measured[(job.key, label)] = time.perf_counter() - run_start

    def meta_flops(self, model: str, engine: str, plan: Any, fps: int) -> dict[int, float]:
        """FLOPs per step of each stage of ``plan``, counted on the meta device by
        ``bench/flops.py`` (a run that compiles cannot be counted as it runs)."""
        from flops import LTX2Counter

        from reelforge.engines.ltx2 import schedule

        key = (engine, tuple(plan), fps)
        if key not in self._meta_flops:
            counter = LTX2Counter(engine, config=_ltx_config(model, self.tiny, self.layers))
            self._meta_flops[key] = {
                s.number: float(
                    counter.step(
                        s.guidance,
                        s.width,
                        s.height,
                        s.frames,
                        fps,
                        lora=s.weights == schedule.DEV_LORA,
                    )
                )
                for s in plan
            }
        return self._meta_flops[key]

    # --- LTX: staged renders, per stage -------------------------------------------------

    def run_staged(self, job: Job, presets: tuple[str, ...], runs: tuple[StagedRun, ...]) -> None:
        """``runs`` grouped by model, in their order: each model built, its runs rendered,
        then freed before the next model is built (the GPU never holds two)."""
        references: dict[str, np.ndarray] = {}
        flops: dict[str, dict[int, float]] = {}
        for model in dict.fromkeys(run.model for run in runs):
            group = tuple(run for run in runs if run.model == model)
            self.run_model(job, model, group, presets, references, flops)
            # run_model has returned: nothing refers to its pipeline any more (compiled
            # graphs of a preset that compiles did until the reset).
            self.torch._dynamo.reset()
            self.free()

    def run_model(
        self,
        job: Job,
        model: str,
        runs: tuple[StagedRun, ...],
        presets: tuple[str, ...],
        references: dict[str, np.ndarray],
        flops: dict[str, dict[int, float]],
    ) -> None:
        """``model`` built, ``runs`` rendered under each preset on it (the caller frees
        the model once this returns). The build is skipped when it and its first run would
        not fit ``--budget-s``."""
        from reelforge.engines.base import SpeedOptions
        from reelforge.engines.speed import undo_speed

        case = CASES[job.case]
        what = f"build {model}"
        first = self.expected(job.key, what) + self.expected(job.key, runs[0].name)
        if not self.fits(job.key, what, first):
            return
        built = self.build(case, job.key, what, model)
        if built is None:
            return
        pipe, upsampler = built
        engine, report = None, None
        for preset in presets:
            speed = SpeedOptions(preset=preset, low_vram=False)
            try:
                if report is not None:
                    self.set_lora(job.key, pipe, None)
                    undo_speed(pipe, report)
                    self.torch._dynamo.reset()
                report = None
                for run in runs:
                    engine = self.engine(run.engine, run.tier, pipe, speed, report, upsampler)
                    report = engine.speed_report
                    compiles = report is not None and report.has("compile")
                    estimate = self.expected(job.key, run.name) + (
                        COMPILE_EXTRA_S if compiles and not self.tiny else 0.0
                    )
                    lora = None if engine.distilled else model
                    if lora is not None and not self.has_lora(pipe):
                        estimate += self.expected(job.key, f"lora {model}")
                    if not self.fits(job.key, run.name, estimate, preset=preset):
                        continue
                    self.set_lora(job.key, pipe, lora)
                    frames = self.staged_run(
                        job,
                        case,
                        engine,
                        run,
                        preset,
                        f"reelforge {preset}",
                        flops,
                        references.get(run.name),
                        full_warmup=compiles,
                    )
                    if frames is not None and run.name not in references:
                        references[run.name] = frames
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                self.failed = True
                self.emit(
                    "render",
                    case=job.key,
                    preset=preset,
                    label=f"reelforge {preset}",
                    completed=False,
                    note=_short(exc),
                )

    def has_lora(self, pipe: Any) -> bool:
        from reelforge.engines.ltx2 import lora

        return lora.DEFAULT_ADAPTER in pipe.get_list_adapters().get("transformer", [])

    def set_lora(self, job: str, pipe: Any, model: str | None, what: str | None = None) -> None:
        """The random distilled LoRA of ``model`` loaded (a dev engine switches it per
        stage), or, for None, unloaded (the distilled checkpoint has no LoRA layers). Its
        time is recorded as ``what`` (default ``lora MODEL``)."""
        from reelforge.engines.ltx2 import lora
        from reelforge.testing.ltx2 import random_distilled_lora

        if (model is not None) == self.has_lora(pipe):
            return
        if model is None:
            pipe.unload_lora_weights()
            return
        self.sync()
        start = time.perf_counter()
        device = next(pipe.transformer.parameters()).device
        rank = TINY_LORA_RANK if self.tiny else LORA_RANKS[model]
        state = random_distilled_lora(
            pipe.transformer,
            rank=rank,
            seed=1,
            scale=0.1 if self.tiny else FULL_LORA_SCALE,
            dtype=self.dtype,
            device=device,
        )
        values = sum(t.numel() for t in state.values())
        lora.load_distilled_lora(pipe, state)
        del state
        self.sync()
        seconds = time.perf_counter() - start
        self.measured[(job, what or f"lora {model}")] = seconds
        self.emit(
            "lora",
            case=job,
            model=model_label(model),
            rank=rank,
            values=values,
            gb=values * _itemsize(self.dtype) / 1e9,
            seconds=seconds,
            note="drawn on the device and loaded from memory (the engine reads its file once "
            "per process: not a render's cost)",
        )

    def staged_run(
        self,
        job: Job,
        case: Case,
        engine: Any,
        run: StagedRun,
        preset: str,
        label: str,
        flops: dict[str, dict[int, float]],
        reference: np.ndarray | None,
        full_warmup: bool = False,
        warmup: bool = True,
        extra: Callable[[], dict[str, Any]] | None = None,
    ) -> np.ndarray | None:
        """Warm-up (unless ``warmup`` is false), then one timed render of ``run``, streamed
        phase by phase; ``extra()`` adds fields to its result line."""
        run_start = time.perf_counter()
        report = engine.speed_report
        compiles = report is not None and report.has("compile")
        cache = report is not None and report.has("cache")
        fp8 = report is not None and report.has("fp8")
        segment = self.segment(case, self.steps)
        plan = engine.stages(segment)
        recipe = engine.stages(self.segment(case, None))
        known = flops.get(run.name)
        if compiles and known is None:  # counted on the meta device instead
            known = self.meta_flops(run.model, run.engine, plan, case.fps)
        count = run.name not in flops and not compiles
        width, height, frames = self.dims(case)
        fields = dict(
            case=job.key,
            run=run.name,
            tier=run.tier,
            engine=run.engine,
            preset=preset,
            label=label,
        )
        peak = self.device_peak(fp8)
        phases = tuple(StagePhase.of(s) for s in plan)
        clock = StageClock(self, phases, self.emit, fields, count, known, peak)
        frames_out = None
        try:
            if warmup:
                self.staged_warmup(case, engine, fields, full_warmup)
            with clock.instrument(
                engine.pipeline(engine.base_pipeline), clock.engine_wrappers(engine)
            ):
                clock.begin()
                clip = engine.render(segment, clock)
                totals = clock.end()
            frames_out = clip.frames
            if count:
                flops[run.name] = {s.number: f for s, f in zip(plan, clock.flops, strict=True)}
            stage_runs = [
                (p["steps"], r.steps, p["step_s"])
                for p, r in zip(totals["per_stage"], recipe, strict=True)
            ]
            self.emit(
                "render",
                **fields,
                width=width,
                height=height,
                frames=frames,
                fps=case.fps,
                audio=clip.audio is not None,
                stages=[list(s) for s in clip.meta["stages"]],
                steps=clip.meta["steps"],
                **totals,
                clip_s=totals["seconds"],
                recipe_steps=[r.steps for r in recipe],
                projected_clip_s=projected(totals["seconds"], stage_runs),
                fp8=fp8,
                peak_tflops=_tflops(peak),
                flops_source="meta device" if compiles and run.name not in flops else "counted",
                max_diff=(
                    _max_diff(frames_out, reference)
                    if reference is not None and not cache
                    else None
                ),
                cache=cache,
                completed=True,
                note="",
                speed=report.describe() if report is not None else "",
                **(extra() if extra is not None else {}),
            )
        except Exception as exc:
            if not label.startswith("reelforge --low-vram"):
                self.failed = True
            more = extra() if extra is not None else {}
            self.render_failed(exc, fields, (width, height, frames), clock, **more)
        self.measured[(job.key, label if job.key == "ltx2" else run.name)] = (
            time.perf_counter() - run_start
        )
        return frames_out

    def render_failed(
        self,
        exc: Exception,
        fields: dict[str, Any],
        size: tuple[int, int, int],
        clock: Any,
        **extra: Any,
    ) -> None:
        """The line of a render that raised: how far it got, its peaks, and why."""
        traceback.print_exc(file=sys.stderr)
        width, height, frames = size
        self.emit(
            "render",
            **fields,
            width=width,
            height=height,
            frames=frames,
            seconds=time.perf_counter() - clock.started if clock.started else None,
            **self.peak_fields(),
            completed=False,
            note=_short(exc) if clock.started else f"in the warm-up: {_short(exc)}",
            **extra,
        )

    def staged_warmup(self, case: Case, engine: Any, fields: dict[str, Any], full: bool) -> None:
        dims = self.dims(case) if full or self.tiny else WARMUP_SIZE
        self.sync()
        start = time.perf_counter()
        engine.render(self.segment(case, 1, dims))
        self.sync()
        self.emit("warmup", **fields, size=_size(dims), seconds=time.perf_counter() - start)

    # --- low VRAM: in a child process ------------------------------------------------------

    def start_child(self, job: Job, argv: list[str]) -> None:
        """Start ``job``'s child now: it builds its weights in host memory while the jobs
        before it run, then waits for :meth:`run_child`."""
        if job.key not in self.children:
            self.children[job.key] = Child(self.emit, job, argv)

    def run_child(self, job: Job) -> None:
        """``job`` (a low-VRAM one) in its child process: wait until its weights are built,
        hand it the GPU if its render fits the budget, collect its lines."""
        child = self.children.get(job.key)
        render = self.expected(job.key, "render")
        if child is None:  # not started with the run: its build counts too
            if not self.fits(job.key, "build", self.expected(job.key, "build") + render):
                return
            child = self.children[job.key] = Child(self.emit, job, self.child_argv())
        left = self.budget.left()
        if not child.wait_ready(None if left is None else max(left - render, 0.0)):
            child.stop()
            self.emit(
                "skip",
                case=job.key,
                what="build",
                estimate_s=render,
                left_s=self.budget.left(),
                reason="its weights were not built in host memory in time for the "
                f"{render:.0f} s its render needs of --budget-s",
            )
            return
        if child.exited():
            self.child_failed(job, child, child.proc.returncode)
            return
        if not self.fits(job.key, "render", render):
            child.stop()
            return
        left = self.budget.left()
        code = child.go(None if left is None else max(left, 0.0))
        if code != 0:
            self.child_failed(job, child, code)

    def child_argv(self) -> list[str]:
        """The options a child needs to build and render what this run would."""
        argv = ["--device", self.device]
        if self.tiny:
            argv.append("--tiny")
        if self.size is not None:
            argv += ["--size", "x".join(map(str, self.size))]
        if self.layers is not None:
            argv += ["--layers", str(self.layers)]
        if self.steps is not None:
            argv += ["--steps", str(self.steps)]
        return argv

    def child_failed(self, job: Job, child: Child, code: int | None) -> None:
        """A child that did not complete: its exit, and (when it gave none) a failed result
        line with the host memory it reached."""
        note = child.exit_note(code)
        peak = children_peak_gb()
        self.emit(
            "child",
            case=job.key,
            returncode=code,
            seconds=time.perf_counter() - child.started,
            host_peak_rss_gb=peak,
            note=note,
        )
        if not child.results:
            kind = "render" if CASES[job.case].audio else "variant"
            label = self.low_vram_label(CASES[job.case])
            fields = {"label": label} if kind == "render" else {"variant": label}
            self.emit(
                kind,
                case=job.key,
                **fields,
                preset=LOW_VRAM_PRESET,
                completed=False,
                note=note,
                host_peak_rss_gb=peak,
            )

    def low_vram_label(self, case: Case) -> str:
        return (
            f"reelforge --low-vram (cap {case.vram_cap_gb:g} GB)"
            if self.cuda
            else "reelforge --low-vram (no cap on CPU)"
        )

    def cap(self, case: Case) -> bool:
        if not self.cuda:
            return False
        total = self.torch.cuda.get_device_properties(0).total_memory
        self.torch.cuda.set_per_process_memory_fraction(min(1.0, case.vram_cap_gb * 1e9 / total))
        return True

    def low_vram_build(self, job: Job) -> dict[str, Any] | None:
        """In the child: the job's pipeline built in host memory (a load from disk puts the
        weights there), with what the process held before and after."""
        case, host = CASES[job.case], HostMemory()
        model = StagedRun.of(*LOW_VRAM_RUN).model if job.case == "ltx" else None
        before = host.rss_gb()
        built = self.build(case, job.key, "build", model, device="cpu")
        if built is None:
            return None
        pipe, upsampler = built
        return {
            "pipe": pipe,
            "upsampler": upsampler,
            "before": before,
            "weights": _weights_gb(pipe, upsampler),
            "built": host.rss_gb(),
        }

    def low_vram_render(self, job: Job, held: dict[str, Any]) -> bool:
        """In the child, given the GPU: the cap, the engine with ``low_vram``, one render
        (no warm-up: the first after load), its line with the GPU peaks and the host RAM
        used — the peak resident memory over what the process held before building."""
        from reelforge.engines.base import SpeedOptions

        case, host = CASES[job.case], HostMemory()
        label = self.low_vram_label(case)
        pipe, upsampler = held.pop("pipe"), held.pop("upsampler")
        base = held["before"] or 0.0
        self.cap(case)
        # On the CPU offloading saves nothing, so it is asked for explicitly to run the path.
        speed = SpeedOptions(
            preset=LOW_VRAM_PRESET, low_vram=True, offload=None if self.cuda else "group"
        )
        tier, name = LOW_VRAM_RUN if job.case == "ltx" else WAN_RUN
        try:
            engine = self.engine(name, tier, pipe, speed, upsampler=upsampler)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.emit(
                "render" if case.audio else "variant",
                case=job.key,
                **({"label": label} if case.audio else {"variant": label}),
                completed=False,
                note=f"did not complete: {_short(exc)}",
            )
            return False
        prepared = host.rss_gb()

        def host_fields() -> dict[str, Any]:
            peak = host.peak_gb()
            return {
                "host_weights_gb": held["weights"],
                "host_built_gb": _minus(held["built"], base),
                "host_prepared_gb": _minus(prepared, base),
                "host_peak_gb": _minus(peak, base),
                "host_total_gb": HostMemory.total_gb(),
                **memory_plan_fields(engine),
            }

        if case.audio:
            run = StagedRun.of(tier, name)
            frames = self.staged_run(
                job, case, engine, run, LOW_VRAM_PRESET, label, {}, None, False, False, host_fields
            )
            return frames is not None
        try:
            result, _, _ = self.run_engine(job, case, pipe, speed, label, engine, warmup=False)
            result.finish(self.device_peak(False))
            result.note = "completed"
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            result = Result(
                job.key,
                label,
                self.wan_steps(),
                completed=False,
                note=f"did not complete: {_short(exc)}",
                **self.peak_fields(),
            )
        host_extra = host_fields()
        self.emit("variant", **asdict(result), **host_extra)
        return result.completed

    # --- Wan: stock diffusers vs the engine's presets -------------------------------------

    def stock_kwargs(self, engine: Any, segment: Any, progress: Any) -> dict[str, Any]:
        """What the engine passes to the stock pipeline for ``segment`` (text-to-video),
        with the pipeline's scheduler at the flow shift the engine sets (``scheduled``)."""
        pipe = engine.scheduled(engine.pipeline(engine.base_pipeline), segment)
        kwargs = dict(engine.common_kwargs(pipe, segment, progress), num_frames=segment.frames)
        kwargs["generator"] = engine.generator(segment.seed)
        kwargs["output_type"] = "np"
        return kwargs

    def wan_steps(self) -> int:
        return self.steps or (2 if self.tiny else 10)

    def wan_engine(self, pipe: Any, speed: Any) -> Any:
        tier, name = WAN_RUN
        return self.engine(name, tier, pipe, speed)

    def run_stock(self, job: Job, case: Case, pipe: Any) -> tuple[Result, np.ndarray]:
        """The stock diffusers pipeline with the engine's arguments, no speed options."""
        from reelforge.engines.base import SpeedOptions

        # The engine only builds the arguments; its prepare() places the pipeline without
        # options (quality: nothing that changes the numerics).
        engine = self.wan_engine(pipe, SpeedOptions(preset="quality", low_vram=False))
        warm = self.segment(case, 1)
        with FlopCount(pipe.transformer) as counter:
            pipe(**self.stock_kwargs(engine, warm, lambda s, n: None))
        segment = self.segment(case, self.wan_steps())
        timer = Timer(self.sync)
        self.reset_peak()
        start = time.perf_counter()
        out = pipe(**self.stock_kwargs(engine, segment, timer))
        self.sync()
        clip_s = time.perf_counter() - start
        frames = _uint8(np.asarray(out.frames[0]))[: segment.frames]
        result = Result(
            job.key,
            "stock diffusers",
            self.wan_steps(),
            _size(self.dims(case)),
            timer.step_seconds(start),
            clip_s,
            **self.peak_fields(),
            flops_per_step=counter.total,
            recipe_steps=engine.default_steps,
        )
        return result.finish(self.device_peak(False)), frames

    def run_engine(
        self,
        job: Job,
        case: Case,
        pipe: Any,
        speed: Any,
        label: str,
        engine: Any = None,
        warmup: bool = True,
    ) -> tuple[Result, np.ndarray, Any]:
        engine = engine or self.wan_engine(pipe, speed)
        if warmup:
            engine.render(self.segment(case, 1))  # compile, kernels, allocator
        segment = self.segment(case, self.wan_steps())
        timer = Timer(self.sync)
        transformer = engine.pipeline(engine.base_pipeline).transformer
        # Without stock's count (a low-VRAM child), step 1 is counted as it runs.
        counting = FlopCount(transformer, self.wan_stock is None, gate=lambda: not timer.marks)
        self.reset_peak()
        start = time.perf_counter()
        with counting:
            clip = engine.render(segment, timer)
        self.sync()
        clip_s = time.perf_counter() - start
        report = engine.speed_report
        result = Result(
            job.key,
            label,
            self.wan_steps(),
            _size(self.dims(case)),
            timer.step_seconds(start),
            clip_s,
            **self.peak_fields(),
            fp8=report is not None and report.has("fp8"),
            recipe_steps=engine.default_steps,
            speed=report.describe() if report is not None else "",
        )
        result.flops_per_step = self.wan_stock[1] if self.wan_stock else counting.total or None
        return result, clip.frames, report

    def variant(self, result: Result) -> None:
        if not result.completed and not result.variant.startswith("reelforge --low-vram"):
            self.failed = True
        self.emit("variant", **asdict(result))

    def run_wan(self, job: Job, presets: tuple[str, ...]) -> None:
        """Wan built; stock (unless an earlier Wan job measured it) and ``presets`` in turn
        on it, each against stock's frames; freed."""
        from reelforge.engines.base import SpeedOptions
        from reelforge.engines.speed import undo_speed

        case = CASES[job.case]
        stock_needed = self.wan_stock is None
        first = self.expected(job.key, "build") + (
            self.expected(job.key, "stock diffusers") if stock_needed else 0.0
        )
        if not presets and not stock_needed:
            return
        if not self.fits(job.key, "build", first):
            return
        built = self.build(case, job.key)
        if built is None:
            return
        pipe, _ = built
        built = None
        try:
            if stock_needed and self.fits(
                job.key, "stock diffusers", self.expected(job.key, "stock diffusers")
            ):
                start = time.perf_counter()
                stock, frames = self.run_stock(job, case, pipe)
                self.wan_stock = frames, stock.flops_per_step
                self.variant(stock)
                self.measured[(job.key, "stock diffusers")] = time.perf_counter() - start
            report = None
            for preset in presets:
                label = f"reelforge {preset}"
                what = label if job.key == "wan" else "variant"
                if not self.fits(job.key, label, self.expected(job.key, what), preset=preset):
                    continue
                start = time.perf_counter()
                try:
                    if report is not None:
                        undo_speed(pipe, report)
                        self.torch._dynamo.reset()
                    speed = SpeedOptions(preset=preset, low_vram=False)
                    result, frames, report = self.run_engine(job, case, pipe, speed, label)
                    cache = report is not None and report.has("cache")
                    if self.wan_stock is not None and not cache:
                        result.max_diff = _max_diff(frames, self.wan_stock[0])
                    result.finish(self.device_peak(result.fp8))
                except Exception as exc:
                    traceback.print_exc(file=sys.stderr)
                    result = Result(
                        job.key, label, self.wan_steps(), completed=False, note=_short(exc)
                    )
                self.wan_done.add(preset)
                self.variant(result)
                self.measured[(job.key, what)] = max(
                    self.measured.get((job.key, what), 0.0), time.perf_counter() - start
                )
        finally:
            pipe = None
            self.torch._dynamo.reset()
            self.free()


def memory_plan_fields(engine: Any) -> dict[str, Any]:
    """The engine's memory plan (``engines.memory.Plan``) as its result line records it:
    the one the engine holds (``load`` sets it), else the one its ``plan()`` would make on
    this machine now — recorded, not applied, since the bench places the pipeline by its
    ``SpeedOptions`` —, else none."""
    plan = getattr(engine, "memory_plan", None)
    if plan is not None:
        return {"memory_plan": plan.describe(), "memory_plan_source": "the engine's"}
    planner = getattr(engine, "plan", None)
    if callable(planner):
        try:
            plan = planner()
        except Exception as exc:  # DoesNotFit names what is short
            return {"memory_plan": None, "memory_plan_source": f"refused: {_short(exc)}"}
        if plan is not None:
            return {
                "memory_plan": plan.describe(),
                "memory_plan_source": "planned for this machine, not applied (the bench "
                "places the pipeline by SpeedOptions)",
            }
    return {"memory_plan": None, "memory_plan_source": "none"}


class Child:
    """A low-VRAM job in its own process (``--child JOB``): it builds its weights in host
    memory as soon as it starts, says ``ready``, and renders when told ``go`` (or exits on
    ``stop``). Its JSON lines are forwarded to the run's as they come; a child the kernel
    kills for memory takes nothing else with it."""

    def __init__(self, emit: Emitter, job: Job, argv: list[str]) -> None:
        self.emit, self.job = emit, job
        self.started = time.perf_counter()
        self.results: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stopped_by_budget = False
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", job.key, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith("{"):
                sys.stderr.write(line)
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("kind") == "ready":
                self._ready.set()
                continue
            if record.get("kind") in ("render", "variant"):
                self.results.append(record)
            self.emit.forward(record)
        self._ready.set()  # it exited

    def exited(self) -> bool:
        return self.proc.poll() is not None

    def wait_ready(self, timeout: float | None) -> bool:
        return self._ready.wait(timeout)

    def _send(self, command: str) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
            self.proc.stdin.close()
        except (OSError, ValueError):  # it has exited
            pass

    def go(self, timeout: float | None) -> int | None:
        """Render; its exit status (killed when ``timeout`` runs out)."""
        self._send("go")
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._stopped_by_budget = True
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join()
        return code

    def stop(self) -> None:
        self._send("stop")
        try:
            self.proc.wait(CHILD_STOP_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join()

    def exit_note(self, code: int | None) -> str:
        if self._stopped_by_budget:
            return "stopped when --budget-s ran out"
        if code is not None and code < 0:
            import signal

            name = signal.Signals(-code).name
            oom = " (the kernel's out-of-memory killer sends it when host RAM runs out)"
            return f"killed by {name}" + (oom if name == "SIGKILL" else "")
        return f"exited with status {code}"


def child_main(args: argparse.Namespace, device: str) -> int:
    """``--child JOB``: build, say ready, wait for ``go``, render (``Child``'s protocol)."""
    job = JOB[args.child]
    emit = Emitter(None, sys.stdout)
    harness = Harness(
        args.tiny, args.steps, device, emit, Budget(None), size=args.size, layers=args.layers
    )
    held = harness.low_vram_build(job)
    print(json.dumps({"kind": "ready"}), flush=True)
    if held is None or sys.stdin.readline().strip() != "go":
        return 0 if held is not None else 1
    return 0 if harness.low_vram_render(job, held) else 1


def _minus(value: float | None, base: float) -> float | None:
    return None if value is None else value - base


def _tflops(peak: float | None) -> float | None:
    return peak / 1e12 if peak else None


def _weights_gb(*modules: Any) -> float:
    import torch

    total = 0
    for module in modules:
        if module is None:
            continue
        parts = (
            [module]
            if isinstance(module, torch.nn.Module)
            else [m for m in module.components.values() if isinstance(m, torch.nn.Module)]
        )
        total += sum(p.numel() * p.element_size() for m in parts for p in m.parameters())
    return total / 1e9


def _itemsize(dtype: Any) -> int:
    import torch

    return torch.empty((), dtype=dtype).element_size()


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


def _size(dims: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in dims)


# --- report --------------------------------------------------------------------------------


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return f"CPU: {cpu_model()}"


def environment(device: str, tiny: bool, layers: int | None, args: dict[str, Any]) -> dict:
    import diffusers
    import torch

    if tiny:
        mode = "tiny configs (CPU smoke run)"
    elif layers is not None:
        mode = f"full-size widths cut to {layers} blocks, random weights (a check, not a benchmark)"
    else:
        mode = "full-size architectures, random weights"
    return dict(
        device=device_name(device),
        cuda=device.startswith("cuda"),
        date=date.today().isoformat(),
        mode=mode,
        torch=torch.__version__,
        diffusers=diffusers.__version__,
        python=platform.python_version(),
        host_gb=HostMemory.total_gb(),
        args=args,
    )


CACHE_NOTE = (
    "Cache presets (balanced, fast: First Block Cache) are judged on speed only: on random "
    "weights a cache's effect on the picture means nothing, so what it costs in quality "
    "needs real weights, and no pixel difference is reported for them. The quality "
    "preset's difference from stock is an exactness check (0 expected)."
)
MFU_NOTE = (
    "MFU: the transformer's FLOPs per step (counted with FlopCounterMode over step 1, every "
    "guidance pass; on the meta device for a run that compiles) over the median step time "
    "and the GPU's dense peak for the dtype the run computed in — FP8 (H100/H200: 2× bf16) "
    "where its speed report says FP8 was applied (the blocks' linear layers; attention stays "
    "bf16, so that MFU is a lower bound), bf16 otherwise. Cached steps skip blocks but count "
    "in full: a cache shows as effective MFU."
)


def markdown(records: list[dict[str, Any]]) -> str:
    """The BENCHMARKS.md block of a run's records (those of one run, or read back)."""
    env = next((r for r in records if r["kind"] == "env"), {})
    name = env.get("device", "unknown device")
    peaks = _Peaks(name if env.get("cuda") else None)
    lines = [
        f"### GPU benchmark — {name}, {env.get('date', '')}",
        "",
        f"{env.get('mode', '')}; torch {env.get('torch', '?')}, diffusers "
        f"{env.get('diffusers', '?')}, Python {env.get('python', '?')}"
        + (f", {env['host_gb']:.0f} GB host RAM" if env.get("host_gb") else "")
        + f"; arguments `{' '.join(env.get('args', {}).get('argv', []))}`.",
    ]
    headline = _headline(records, peaks)
    if headline:
        lines += ["", *headline]
    builds = [r for r in records if r["kind"] in ("build", "lora")]
    if builds:
        lines += ["", *(_build_line(r) for r in builds)]
    if any(r["kind"] in ("phase", "render") for r in records):
        lines += ["", *_staged_table(records, peaks)]
    variants = [r for r in records if r["kind"] == "variant"]
    if variants:
        lines += ["", *_variant_table(variants, peaks)]
    skips = [r for r in records if r["kind"] == "skip"]
    if skips:
        lines += ["", "Skipped (`--budget-s`):", ""]
        lines += [
            f"- {_title(s['case'])}: {s['what']}"
            + (f" ({s['preset']})" if s.get("preset") else "")
            + f" — {s['reason']}"
            for s in skips
        ]
    children = [r for r in records if r["kind"] == "child"]
    if children:
        lines += ["", "Low-VRAM child processes that did not complete:", ""]
        lines += [
            f"- {_title(c['case'])}: {c['note']}"
            + (
                f"; its peak resident memory {c['host_peak_rss_gb']:.1f} GB"
                if c.get("host_peak_rss_gb")
                else ""
            )
            for c in children
        ]
    if any(r["kind"] in ("render", "variant", "phase") for r in records):
        lines += ["", CACHE_NOTE, "", MFU_NOTE]
    speeds = [r for r in records if r["kind"] in ("render", "variant") and r.get("speed")]
    if speeds:
        lines += ["", "What each variant applied on this device:", ""]
        lines += [
            f"- {_title(r['case'])}, {_run_name(r) or ''} {r.get('label') or r.get('variant')}: "
            f"{r['speed']}".replace("  ", " ")
            for r in speeds
        ]
    return "\n".join(lines) + "\n"


class _Peaks:
    """The device's dense peaks, for records older than ``mfu`` in the line."""

    def __init__(self, device: str | None) -> None:
        self.device = device

    def mfu(self, record: dict[str, Any], flops: float | None, step_s: float | None) -> Any:
        if "mfu" in record:
            return record["mfu"]
        peak = peak_flops(self.device, bool(record.get("fp8"))) if self.device else None
        return mfu(flops, step_s, peak)


def _title(case: str) -> str:
    if case in JOB:
        return JOB[case].title
    return CASES[case].title if case in CASES else case


def _headline(records: list[dict[str, Any]], peaks: _Peaks) -> list[str]:
    """One row per result of the three required jobs, next to each other, with × stock."""
    rows: list[str] = []
    for job in (j for j in JOBS if j.required):
        results = [
            r for r in records if r.get("case") == job.key and r["kind"] in ("render", "variant")
        ]
        stock = next((r for r in results if _variant_name(r) == "stock diffusers"), None)
        rows += [_result_row(job, r, stock, records, peaks) for r in results]
        if not results:
            skip = next((s for s in records if s["kind"] == "skip" and s["case"] == job.key), None)
            if skip is not None:
                rows.append(_row(job.title, "—", *[""] * 10, f"skipped: {skip['reason']}"))
    if not rows:
        return []
    return [
        "The results issue 12 asks of one short run, next to each other. s/step: the median "
        "of steps 2…n of each stage; s/clip at the recipe's steps: the measured clip plus the "
        "stage-1 steps `--steps` left out, at the measured s/step; × stock: that clip over "
        "stock's. Host RAM: the low-VRAM child's peak resident memory over what it held "
        "before building its weights (the weights alone in brackets).",
        "",
        "| result | variant | W×H×frames | steps | s/step by stage | s/clip "
        "| s/clip at the recipe's steps | × stock | TFLOP/step by stage | MFU by stage "
        "| peak GPU GB alloc / reserved | host RAM GB | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
    ]


def _variant_name(r: dict[str, Any]) -> str:
    return r.get("label") or r.get("variant") or "—"


def _stages_of(r: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A result's stages: ``per_stage`` of a render (or its stage phases), the one of a
    variant."""
    if r["kind"] == "variant":
        return [{"stage": 1, "steps": r.get("steps"), **r}]
    if r.get("per_stage"):
        return r["per_stage"]
    return [
        p for p in records if p["kind"] == "phase" and "steps" in p and _run_key(p) == _run_key(r)
    ]


def _clip(r: dict[str, Any] | None) -> float | None:
    if r is None:
        return None
    return r.get("projected_clip_s") or r.get("clip_s") or r.get("seconds")


def _result_row(
    job: Job,
    r: dict[str, Any],
    stock: dict[str, Any] | None,
    records: list[dict[str, Any]],
    peaks: _Peaks,
) -> str:
    stages = _stages_of(r, records)
    many = len(stages) > 1

    def per_stage(values: list[str]) -> str:
        if not any(v != "—" for v in values):
            return "—"
        return " · ".join(f"{i + 1}: {v}" if many else v for i, v in enumerate(values))

    step_s = per_stage([_num(s.get("step_s"), "{:.3f}") for s in stages])
    flops = per_stage(
        [
            _num(s["flops_per_step"] / 1e12 if s.get("flops_per_step") else None, "{:.4g}")
            for s in stages
        ]
    )
    mfus = per_stage([_pct(peaks.mfu(s, s.get("flops_per_step"), s.get("step_s"))) for s in stages])
    if r.get("fp8") and mfus != "—":
        mfus += " (FP8 peak)"
    steps = "+".join(str(s.get("steps")) for s in stages) or str(r.get("steps", ""))
    ratio = (
        f"{_clip(r) / _clip(stock):.2f}"
        if _clip(r) and _clip(stock) and r.get("completed")
        else "—"
    )
    host = r.get("host_peak_gb") or r.get("host_peak_rss_gb")
    host_cell = _num(host, "{:.1f}")
    if host is not None and r.get("host_weights_gb"):
        host_cell += f" ({r['host_weights_gb']:.1f})"
    notes = []
    if not r.get("completed"):
        notes.append(f"**did not complete**: {r.get('note', '')}")
    if r.get("cache"):
        notes.append("cache: speed only")
    if r.get("memory_plan"):
        plan = r["memory_plan"]
        notes.append(
            f"memory plan ({r.get('memory_plan_source', '')}): {plan.get('label')}, "
            f"{plan.get('gpu_gb')} GB GPU, {plan.get('host_gb')} GB host"
        )
    dims = (
        _size((r["width"], r["height"], r["frames"])) if r.get("width") else (r.get("size") or "—")
    )
    return _row(
        job.title,
        _variant_name(r),
        dims,
        steps,
        step_s,
        _num(r.get("clip_s") or r.get("seconds"), "{:.2f}"),
        _num(r.get("projected_clip_s"), "{:.2f}"),
        ratio,
        flops,
        mfus,
        _gb_pair(r),
        host_cell,
        "; ".join(notes),
    )


def _pct(value: float | None) -> str:
    return f"{100 * value:.1f} %" if value is not None else "—"


def _gb_pair(r: dict[str, Any]) -> str:
    if r.get("peak_gb") is None and r.get("reserved_gb") is None:
        return "—"
    return f"{_num(r.get('peak_gb'), '{:.1f}')} / {_num(r.get('reserved_gb'), '{:.1f}')}"


def _build_line(r: dict[str, Any]) -> str:
    if r["kind"] == "lora":
        model = f" of {r['model']}" if r.get("model") else ""
        return (
            f"- Random distilled LoRA{model}, rank {r['rank']}: {r['values'] / 1e9:.3g} B "
            f"values ({r['gb']:.3g} GB) in {r['seconds']:.1f} s, {r['note']}."
        )
    what = f"{r['model']}: {r['what']}" if r.get("model") else r["what"]
    if not r.get("completed"):
        return f"- {_title(r['case'])}, {what} failed: {r.get('note', '')}"
    held = (
        f" ({r['held_gb']:.2g} GB of GPU memory still held when it began)"
        if r.get("held_gb") is not None
        else ""
    )
    return (
        f"- {_title(r['case'])}, {what} (random init on {r['device']}): "
        f"{r['seconds']:.1f} s, {r['weights_gb']:.3g} GB of weights{held}."
    )


def _staged_table(records: list[dict[str, Any]], peaks: _Peaks) -> list[str]:
    lines = [
        "Staged renders: every phase timed with the device synchronised at its boundaries "
        "(the phases add up to the total). prep: before the stage's first step (text "
        "encoding, latents; the LoRA switch and the previous stage's NaN checks). passes: "
        "the transformer forwards of one step. s/step: median of steps 2…n. TFLOP/step: the "
        "transformer's, every pass. output: NaN checks, frames to 8 bits, the clip (stock: "
        "its decode and output in one). max |Δ|: largest 8-bit pixel difference from the "
        "first preset's render of the same tier and engine (none for cache presets).",
    ]
    runs: dict[tuple, dict[str, Any] | None] = {}  # each run, in order: its render or None
    for r in records:
        if r["kind"] in ("phase", "render"):
            key = _run_key(r)
            if r["kind"] == "render" or key not in runs:
                runs[key] = r if r["kind"] == "render" else None
    for case in dict.fromkeys(key[0] for key in runs):
        lines += [
            "",
            f"**{_title(case)}**",
            "",
            *_engines_line(case, records),
            "| tier | variant | phase | W×H×frames | weights | passes | steps | s | prep s "
            "| s/step | TFLOP/step | MFU | peak GPU GB alloc / reserved | notes |",
            "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for key, render in runs.items():
            if key[0] == case:
                lines += _staged_rows(key, render, records, peaks)
    return lines


def _engines_line(case: str, records: list[dict[str, Any]]) -> list[str]:
    """Which engine each run of ``case`` ran (the records of a run before engines were
    recorded have none: no line)."""
    engines = {
        _run_name(r): r["engine"]
        for r in records
        if r["kind"] in ("phase", "render") and r.get("case") == case and r.get("engine")
    }
    if not engines:
        return []
    return ["Engines: " + "; ".join(f"{run} — `{e}`" for run, e in engines.items()) + ".", ""]


def _run_name(record: dict[str, Any]) -> str | None:
    """The record's run (``cinema``, ``cinema (ltx2)``); older records name the tier only."""
    return record.get("run") or record.get("tier")


def _run_key(record: dict[str, Any]) -> tuple:
    return (record.get("case"), _run_name(record), record.get("preset"), record.get("label"))


def _staged_rows(
    key: tuple, r: dict[str, Any] | None, records: list[dict[str, Any]], peaks: _Peaks
) -> list[str]:
    """One run's rows: each phase as it was emitted, then the total (none yet: the run was
    cut short)."""
    head = [key[1] or "—", key[3] or "—"]
    lines = []
    for p in records:
        if p["kind"] != "phase" or _run_key(p) != key:
            continue
        dims = _size((p["width"], p["height"], p["frames"])) if p.get("width") is not None else ""
        flops = p.get("flops_per_step")
        if "steps" in p:  # a denoising stage
            cells = [
                p.get("weights", ""),
                p.get("passes", ""),
                str(p["steps"]),
                _num(p.get("seconds"), "{:.2f}"),
                _num(p.get("prep_s"), "{:.2f}"),
                _num(p.get("step_s"), "{:.3f}"),
                _num(flops / 1e12 if flops else None, "{:.4g}"),
                _pct(peaks.mfu(p, flops, p.get("step_s"))),
            ]
        else:
            cells = ["", "", "", _num(p.get("seconds"), "{:.2f}"), "", "", "", ""]
        lines.append(_row(*head, p["phase"], dims, *cells, _gb_pair(p), ""))
    if r is None:
        return [*lines, _row(*head, "**total**", *[""] * 10, "**cut short**: no total")]
    note = r.get("note") or ""
    if r.get("max_diff") is not None:
        note = f"max abs Δ {r['max_diff']:g}" + (f"; {note}" if note else "")
    if r.get("projected_clip_s"):
        recipe = "+".join(str(s) for s in r.get("recipe_steps") or [])
        note = f"{r['projected_clip_s']:.2f} s at the recipe's {recipe} steps" + (
            f"; {note}" if note else ""
        )
    if r.get("host_peak_gb") is not None:
        note = f"host RAM {r['host_peak_gb']:.1f} GB" + (f"; {note}" if note else "")
    if not r.get("completed"):
        note = f"**did not complete**: {note}"
    dims = _size((r["width"], r["height"], r["frames"])) if r.get("width") else "—"
    lines.append(
        _row(
            *head,
            "**total**",
            dims,
            "",
            "",
            str(r.get("steps", "")),
            _num(r.get("seconds"), "{:.2f}"),
            "",
            "",
            "",
            "",
            _gb_pair(r),
            note,
        )
    )
    return lines


def _variant_table(variants: list[dict[str, Any]], peaks: _Peaks) -> list[str]:
    lines = [
        "Stock diffusers vs the engine's presets. s/clip is the whole call (text encoder, "
        "steps, VAE decode). TFLOP/step: stock's transformer, counted (both CFG forwards). "
        "max |Δ|: largest 8-bit pixel difference from stock (none for cache presets).",
        "",
        "| case | W×H×frames | variant | steps | s/step | s/clip | s/clip at the recipe's "
        "steps | × stock | peak GPU GB alloc / reserved | TFLOP/step | MFU | max abs Δ "
        "| host RAM GB | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    stock = next((r for r in variants if r["variant"] == "stock diffusers"), None)
    for r in variants:
        ratio = (
            f"{_clip(r) / _clip(stock):.2f}"
            if _clip(r) and _clip(stock) and r.get("completed")
            else "—"
        )
        note = r.get("note") or ("completed" if r.get("completed") else "failed")
        if r["variant"].startswith("reelforge --low-vram") or not r.get("completed"):
            shown = note
        else:
            shown = ""
        lines.append(
            _row(
                _title(r["case"]),
                r.get("size") or "—",
                r["variant"],
                str(r["steps"]),
                _num(r.get("step_s"), "{:.3f}"),
                _num(r.get("clip_s"), "{:.2f}"),
                _num(r.get("projected_clip_s"), "{:.2f}"),
                ratio,
                _gb_pair(r),
                _num(r["flops_per_step"] / 1e12 if r.get("flops_per_step") else None, "{:.3g}"),
                _pct(peaks.mfu(r, r.get("flops_per_step"), r.get("step_s"))),
                _num(r.get("max_diff"), "{:g}"),
                _num(r.get("host_peak_gb") or r.get("host_peak_rss_gb"), "{:.1f}"),
                shown,
            )
        )
    return lines


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _num(value: float | None, fmt: str) -> str:
    return fmt.format(value) if value is not None else "—"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a run (other lines, e.g. a log's, are ignored)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line cut short when the run was killed
                continue
            if isinstance(record, dict) and "kind" in record:
                records.append(record)
    return records


def write(block: str, path: Path = BENCHMARKS) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + "\n" + block, encoding="utf-8")


def default_jsonl() -> Path:
    """``bench/results/gpu-<UTC date>-<time>.jsonl``: a new file for every GPU run."""
    return RESULTS / datetime.now(UTC).strftime("gpu-%Y-%m-%d-%H%M%S.jsonl")


def _dims_arg(text: str) -> tuple[int, int, int]:
    try:
        width, height, frames = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: want WIDTHxHEIGHTxFRAMES") from None
    return width, height, frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (smoke run)")
    parser.add_argument(
        "--cases",
        default=",".join(job.key for job in JOBS),
        help="comma-separated jobs, always run in this order: " + ", ".join(JOB),
    )
    parser.add_argument(
        "--presets",
        default=",".join(PRESETS),
        help="the presets of the ltx and wan-presets jobs (ltx2 and wan run fast)",
    )
    parser.add_argument(
        "--tiers",
        default=None,
        help="the ltx job's runs, comma-separated, always in the default's order: TIER (on its "
        "default engine) or TIER:ENGINE (another it offers); default: cinema,budget,cinema:ltx2",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="stage-1 steps of LTX's dev stages, stock's too (default: each recipe's: stock 30, "
        "LTX-2 40, LTX-2.5 30; tiny: 2), Wan's steps (default 10; tiny: 2); the distilled "
        "stages' are fixed. The result lines also give the clip at the recipe's steps",
    )
    parser.add_argument(
        "--size", type=_dims_arg, default=None, help="render WIDTHxHEIGHTxFRAMES instead"
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="seconds this run may take: what would not fit is skipped",
    )
    parser.add_argument(
        "--jsonl",
        type=Path,
        default=None,
        help="also append the JSON lines here (default on a GPU: bench/results/gpu-DATE-TIME"
        ".jsonl; with --tiny: none)",
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="only render the markdown of saved JSON lines"
    )
    parser.add_argument(
        "--device", default=None, help="default: cuda when there is one (cpu with --tiny)"
    )
    parser.add_argument("--write", action="store_true", help="append the results to BENCHMARKS.md")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS, help=argparse.SUPPRESS)
    parser.add_argument("--layers", type=int, default=None, help=argparse.SUPPRESS)
    # --layers N: full widths with N transformer / text-encoder blocks (LTX), bf16, on
    # any device: the full-size code path checked on a small machine.
    parser.add_argument("--child", choices=LOW_VRAM_JOBS, default=None, help=argparse.SUPPRESS)
    # --child JOB: this process is that low-VRAM job's child (``Child``).
    args = parser.parse_args(argv)

    if args.report is not None:
        block = markdown(read_records(args.report))
        print(block)
        if args.write:
            write(block, args.benchmarks)
        return 0

    import torch

    device = args.device or ("cpu" if args.tiny or not torch.cuda.is_available() else "cuda")
    if not args.tiny and args.layers is None and not device.startswith("cuda"):
        parser.error("full-size cases need a CUDA GPU; use --tiny on the CPU")
    if args.child is not None:
        return child_main(args, device)
    presets = tuple(p for p in args.presets.split(",") if p)
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        parser.error(f"unknown presets {unknown}; choose from {PRESETS}")
    known = staged_runs()
    options = [o.strip() for o in (args.tiers or "").split(",") if o.strip()]
    unknown = [o for o in options if o not in {run.option for run in known}]
    if unknown or (args.tiers is not None and not options):
        parser.error(
            f"--tiers {args.tiers!r}: choose from {', '.join(run.option for run in known)}"
        )
    runs = tuple(run for run in known if not options or run.option in options)
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    for key in keys:
        if key not in JOB:
            parser.error(f"unknown case {key!r}; choose from {', '.join(JOB)}")
    jobs = [job for job in JOBS if job.key in keys]
    steps = args.steps or (2 if args.tiny else None)
    jsonl = args.jsonl if args.jsonl is not None or args.tiny else default_jsonl()

    emit = Emitter(jsonl)
    argv_list = sys.argv[1:] if argv is None else list(argv)
    emit(
        "env",
        **environment(device, args.tiny, args.layers, {"argv": argv_list}),
        budget_s=args.budget_s,
        jsonl=str(jsonl) if jsonl is not None else None,
    )
    budget = Budget(args.budget_s)
    harness = Harness(args.tiny, steps, device, emit, budget, size=args.size, layers=args.layers)
    try:
        # A required low-VRAM job's child builds its weights in host memory while the jobs
        # before it hold the GPU.
        for job in jobs:
            if job.required and job.key in LOW_VRAM_JOBS and budget.allows(0.0):
                harness.start_child(job, harness.child_argv())
        for job in jobs:
            print(f"[bench] {job.title} on {device}", file=sys.stderr, flush=True)
            harness.run(job, presets, runs)
    finally:
        for child in harness.children.values():
            if not child.exited():
                child.stop()
        emit.close()
    block = markdown(emit.records)
    print(block)
    if args.write:
        write(block, args.benchmarks)
    return 1 if harness.failed else 0


if __name__ == "__main__":
    sys.exit(main())
