"""GPU benchmark of reelforge's engines on full-size architectures with random weights
(they run exactly as fast as the real ones; nothing is downloaded).

Cases:

- ``ltx`` — **LTX text-to-video with audio, 5 s at 1080p** (1920×1088, 121 frames, 24 fps),
  rendered by the engines exactly as a task renders it: in stages
  (``engines/ltx2/schedule.py``), through the engine's ``render``. One run per tier and
  engine (``StagedRun``: each tier's default engine from the lineup, then the others it
  offers), always in this order; ``--tiers`` picks some (default all three):

  - ``cinema`` (engine ``ltx25``, LTX-2.5 22B, the tier's default): stage 1 at 960×544 on
    the dev transformer, 30 steps with CFG + STG (block 28) + modality guidance (3
    transformer calls, 4 passes, per step) and cross-attention modulated by the other
    modality's timestep (``use_cross_timestep``); the latent upsampler ×2; stage 2 at
    1920×1088, 3 steps with the distilled LoRA (rank 450), no guidance; the audio through
    the 48 kHz vocoder with bandwidth extension. Gemma 4 12B encodes the prompt.
  - ``budget`` (engine ``ltx2_distilled``, LTX-2 19B distilled): 8 steps at 960×544, the
    upsampler, 3 steps at 1920×1088, no guidance anywhere.
  - ``cinema (ltx2)`` (``--tiers cinema:ltx2``; engine ``ltx2``, LTX-2 19B, what a cinema
    request with ``model=ltx2`` renders): as cinema with LTX-2's reference parameters — 40
    steps, STG block 29, the rank-384 LoRA, Gemma 3 12B, the 24 kHz vocoder.

  Each model is built on the GPU, its runs rendered, and freed before the next is built
  (LTX-2.5 for cinema, then LTX-2 for budget and cinema (ltx2)): the GPU never holds both
  (in bf16 with its upsampler LTX-2.5 is 70.9 GB — a 19.0 B transformer, Gemma 4 11.9 B,
  connectors 3.2 B —, LTX-2 68.7 GB; each build's record says how much GPU memory was
  still held when it began).

  Timed per phase, the device synchronised at every boundary: each stage (size, weights,
  steps, seconds; *prep*: what runs before its first step — text encoding, latents; seconds
  per step, the median of steps 2…n; the transformer's FLOPs per step, counted over step 1
  with ``FlopCounterMode``, and the MFU they give against the GPU's dense bf16 peak), the ×2
  latent upsample, the video decode (tiled VAE, to frames), the audio decode (audio VAE +
  vocoder), the rest (*output*: NaN checks, frames to 8 bits, the clip), the total, and the
  peak GPU memory of each phase. The phases add up to the render's wall time.

  What the random weights stand for: a dev engine's LoRA is a random LoRA of the model's
  rank on every ``nn.Linear`` of the transformer — LTX-2.5: rank 450, 4.83 B values,
  9.7 GB in bf16 (an upper bound: Lightricks' ``ltx-2.5-22b-distilled-lora-450-bf16``
  is 8.9 GB, so it covers fewer layers); LTX-2: rank 384, 3.77 B values, 7.5 GB
  (``ltx-2-19b-distilled-lora-384``) —
  drawn on the GPU and loaded from memory through the same diffusers conversion and PEFT
  layers as the file (``lora.load_distilled_lora``), so no such file is written and read
  back; the engine loads its file once per process, not per render, so its reading is no
  part of a render either. **budget** runs ``LTX2DistilledEngine`` on the *same* random
  LTX-2 transformer as cinema (ltx2): the distilled checkpoint is the dev model's
  architecture (diffusers builds it from the dev folder's ``transformer/config.json``), so
  random weights in either time the same, and a second 38 GB copy would only cost memory
  (likewise LTX-2.5's distilled ``transformer/`` and dev ``transformer_full/``: one is
  built). The pipelines are built in memory on the GPU (``tiny.build_ltx2_pipeline(FULL)``,
  ``tiny25.build_ltx25_pipeline(FULL25)``), never written to disk.

  The stock-vs-engine comparison this script ran before for LTX-2 no longer applies: the
  engine's stages *are* stock pipeline calls (one per stage, with the planned sigmas), so
  the stage table replaces it.

- ``wan`` — **Wan 2.2 TI2V-5B text-to-video, 5 s at 720p** (1280×704, 121 frames): the
  stock diffusers pipeline called with the arguments the engine would pass, then the
  engine's ``render`` under each preset; seconds per step (median) and per clip, peak
  memory, FLOPs per step, MFU, and the largest 8-bit difference from stock (``quality``
  must be 0).

Each run gets a warm-up first (kernels, allocator; compilation when a preset compiles):
LTX renders the same run at 512×320×9 frames (at full size when the preset compiles),
Wan one step at full size. ``--presets`` applies the speed presets in turn to the same
pipeline (FP8 last: it cannot be undone); ``--low-vram`` also renders from a fresh
pipeline with offloading under a memory cap (24 GB: cinema on LTX-2.5; 12 GB Wan).

**Every result is a JSON line on stdout the moment it is measured** (and appended to
``--jsonl FILE``, flushed), so a run cut short keeps everything it measured;
``--report FILE`` turns such lines into the markdown table (``--write`` appends it to
BENCHMARKS.md). ``--budget-s S`` bounds the whole run: before building a model (with its
first run) or starting a run, its expected duration (measured earlier in the run, or
scaled from a like step measured there — ``LIKE``; else ``H200_EXPECTED_S``) is checked
against the time left, and what does not fit is skipped with a ``skip`` line: cinema
(ltx2), last, is the first to go.

``--tiny`` runs the same harness on the CPU with the tiny test configurations (``TINY25``
and ``TINY``; seconds); that is what ``tests/bench`` runs.

    python bench/gpu.py --tiny
    python bench/gpu.py --cases ltx --presets quality --budget-s 520 --jsonl out.jsonl
    python bench/gpu.py --report out.jsonl --write

**On the lent H200** (device README: /work/.library/device/README.md). The image has
torch 2.11 + CUDA 13, transformers 5.17, huggingface_hub 1.33, accelerate, safetensors,
tokenizers, sentencepiece, numpy, Pillow; it lacks diffusers, PyAV and pydantic, and its
transformers is too old for diffusers 0.42's LTX-2 imports and for LTX-2.5's text encoder
(Gemma 4 classes, ``Gemma4UnifiedForConditionalGeneration``: ≥ 5.24).
``bench/gpu_wheels.txt`` pins what to carry (57.4 MiB of wheels, PyAV 34 of them; with the
~3 MiB tree that fits the 64 MiB a call may carry). The tool sends the checkout the session
was started in (the lead's), so in *that* repository's root, once::

    echo /.whl/ >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
      --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \\
      --platform manylinux2014_x86_64 -d .whl -r bench/gpu_wheels.txt

then one ``run`` call with ``carry: [".whl"]`` and ``timeout_s: 600`` (one command may run
600 s; ``--budget-s`` leaves room for the install before it and the last run's overrun)::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade
      --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD/src || exit;
      export PYTHONUNBUFFERED=1; nvidia-smi -L; set -o pipefail;
      timeout 570 python3 bench/gpu.py --cases ltx --presets quality --budget-s 520
      --jsonl $OUT/ltx.jsonl 2>&1 | tee $OUT/log.txt

(one line). Back here: ``python bench/gpu.py --report <files_at>/ltx.jsonl --write``
appends the table to BENCHMARKS.md — also from the lines of a run that was cut short.

**Device time (an estimate: nothing has run on a GPU yet).** FLOPs counted on the meta
device for the full transformers (bf16, 1024 text tokens; BENCHMARKS.md's FLOP table,
``bench/flops.py``): a step of stage 1 at 960×544×121 (8,160 video tokens) with its four
passes is 1.07 PFLOP on either model; a stage-2 step at 1920×1088×121 (32,640 tokens) is
1.90 PFLOP on LTX-2.5 with its rank-450 LoRA, 1.85 on LTX-2 with rank 384, 1.71 without.
At the 790 TFLOP/s measured on this machine's bf16 matrix products the floor is 1.27 ms per
TFLOP; a realistic 50–70 % MFU is 1.45–2.0 ms.

- cinema (LTX-2.5): 38.8 PFLOP per 5 s clip — stage 1, 30 × 1.07 = 32.2 PFLOP (≥ 41 s;
  ≈ 46–65 s, 1.5–2.2 s/step), stage 2, 3 × 1.90 = 5.7 PFLOP (≈ 8–11 s), the tiled video
  decode 0.79 PFLOP of 3-D convolutions (≈ 5–20 s: LTX-2.5's decoder is heavier), Gemma 4
  and the upsampler 0.1: ≈ 60–100 s with the decodes;
- budget: 7.8 PFLOP — 8 × 0.275 + 3 × 1.71 + the decode 0.41 (≈ 15–25 s);
- cinema (ltx2): 49.0 PFLOP — 40 × 1.07 = 42.9 PFLOP (≈ 62–86 s), 3 × 1.85, decode 0.41:
  ≈ 80–110 s.

With the builds (random init of 70.9 GB, then 68.7 GB, on the GPU: ≈ 1–2 min each, the
first with the imports), the two LoRAs and a small warm-up per run, all three runs take
≈ 6–10 min: more than the ≈ 8.7 min that ``--budget-s 520`` leaves once the machine's
start, the transfers and the install are paid from the 15-minute lease. Cinema (LTX-2.5)
and budget fit (≈ 4–7 min); cinema (ltx2) runs when what was measured by then says it fits,
else it is skipped (a second lease measures it alone: ``--tiers cinema:ltx2``). (The
single-stage estimate in ``../shared/notes/gpu-audit.md``, ≥ 9 s/step at 1080p for 4
passes of 1.75 PFLOP, no longer applies: the 4 guidance passes now run on a quarter of the
tokens, 1.07 PFLOP per step, and the full size gets 3 single-pass steps.)
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
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import cpu_model  # noqa: E402

STARTED = time.perf_counter()
"""When this script started (its standard imports are instant; torch and diffusers load
later): ``--budget-s`` counts from here."""
REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"
PRESETS = ("quality", "balanced", "fast")
LTX_TIERS = ("cinema", "budget")
"""The LTX tiers timed; their engines come from the lineup (``StagedRun``)."""

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
LOW_VRAM_TIER = "cinema"
"""``--low-vram`` renders this tier on its default engine (LTX-2.5)."""

H200_EXPECTED_S: dict[tuple[str, str], float] = {
    # What a step of the run takes on an H200 (seconds, warm-up included), for --budget-s
    # until the run has measured it. The renders from the FLOPs in the module docstring at
    # ~50 % MFU, plus margin; the builds are guesses (random init of the weights on the GPU;
    # the first also imports diffusers and transformers).
    ("ltx", "build ltx25"): 150.0,
    ("ltx", "build ltx2"): 120.0,
    ("ltx", "lora ltx25"): 40.0,
    ("ltx", "lora ltx2"): 40.0,
    ("ltx", "cinema"): 150.0,
    ("ltx", "budget"): 60.0,
    ("ltx", "cinema (ltx2)"): 180.0,
    ("ltx", "low-vram"): 900.0,  # a CPU build of 70.9 GB, then an offloaded render
    ("wan", "build"): 60.0,
    ("wan", "variant"): 60.0,
    ("wan", "low-vram"): 180.0,
}
LIKE: dict[tuple[str, str], tuple[str, float]] = {
    # A step not measured yet → (a like step measured earlier in the run, factor): that
    # step's seconds times the factor, an upper bound, before the H200 guess.
    ("ltx", "build ltx2"): ("build ltx25", 1.0),  # 68.7 GB against 70.9, imports done
    ("ltx", "lora ltx2"): ("lora ltx25", 1.0),  # rank 384 against 450
    ("ltx", "cinema (ltx2)"): ("cinema", 1.3),  # 49.0 against 38.8 PFLOP (BENCHMARKS.md)
}
COMPILE_EXTRA_S = 120.0
"""Added to an estimate when a preset compiles (a full-size warm-up with compilation)."""


def peak_flops(device_name: str) -> float | None:
    for key, tflops in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops * 1e12
    return None


# --- cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    """One benchmark case: how to build its pipeline(s), its engine(s) and its size."""

    key: str
    title: str
    engines: dict[str, str]
    """Tier → engine (registry name) of the stock-vs-engine case; a staged case's come from
    the lineup (``staged_runs``)."""
    build: Callable[..., tuple[Any, Any]]
    """``build(tiny, dtype, device, layers, model)``: ``(pipeline, latent upsampler or None)``;
    ``model``: which of a staged case's models (``StagedRun.model``), else None."""
    size: tuple[int, int]
    frames: int
    fps: int
    audio: bool
    vram_cap_gb: float
    staged: bool = False
    """Staged engines (LTX): timed per stage, per ``StagedRun``; else stock vs engine presets."""
    tiny_size: tuple[int, int] = (32, 32)
    tiny_frames: int = 9


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
    # model → (module of engines/ltx2, tiny config, full-size config, pipeline builder)
    "ltx25": ("tiny25", "TINY25", "FULL25", "build_ltx25_pipeline"),
    "ltx2": ("tiny", "TINY", "FULL", "build_ltx2_pipeline"),
}


def _ltx_config(model: str, tiny: bool, layers: int | None) -> dict[str, Any]:
    module, small, full, _ = LTX_BUILDERS[model]
    configs = importlib.import_module(f"reelforge.engines.ltx2.{module}")
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
    build = getattr(importlib.import_module(f"reelforge.engines.ltx2.{module}"), builder)
    return build(_ltx_config(model, tiny, layers), dtype=dtype, device=device, with_upsampler=True)


def _build_wan(tiny: bool, dtype: Any, device: str, layers: int | None, model: str | None):
    from reelforge.engines import wan_common

    configs = wan_common.TINY if tiny else wan_common.FULL
    return wan_common.build_wan_pipeline(configs["ti2v"], dtype=dtype, device=device), None


CASES: dict[str, Case] = {
    "ltx": Case(
        "ltx",
        "LTX text-to-video + audio, 5 s 1080p",
        {},
        _build_ltx,
        size=(1920, 1088),
        frames=121,
        fps=24,
        audio=True,
        vram_cap_gb=24.0,
        staged=True,
        tiny_size=(64, 64),  # two stages: multiples of 64
    ),
    "wan": Case(
        "wan",
        "Wan 2.2 TI2V-5B text-to-video, 5 s 720p",
        {"turbo": "wan"},
        _build_wan,
        size=(1280, 704),
        frames=121,
        fps=24,
        audio=False,
        vram_cap_gb=12.0,
    ),
}


# --- results, streamed ---------------------------------------------------------------------


class Emitter:
    """Every record as one JSON line on stdout (and ``--jsonl``), flushed as it is made."""

    def __init__(self, path: Path | None = None, out: TextIO | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.out = out or sys.stdout
        self.file = path.open("a", encoding="utf-8") if path is not None else None

    def __call__(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"kind": kind, **{k: _finite(v) for k, v in fields.items()}}
        self.records.append(record)
        line = json.dumps(record, ensure_ascii=False)
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


@dataclass
class Result:
    """One stock-vs-engine variant (the ``wan`` case)."""

    case: str
    variant: str
    steps: int
    size: str = ""
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
        return _step_seconds([b - a for a, b in itertools.pairwise([start, *self.marks])])


def _step_seconds(intervals: list[float]) -> float | None:
    """Median step time, leaving out step 1 when there are others (it carries the first
    call's costs and, in the stage timings, the FLOP count)."""
    rest = intervals[1:] or intervals
    return statistics.median(rest) if rest else None


# --- timing a staged render ------------------------------------------------------------------

OUTPUT = "output"
DECODE_VIDEO, DECODE_AUDIO = "decode video", "decode audio"


class StageClock:
    """Wall time of every phase of one staged LTX render, the device synchronised at each
    boundary; the phases partition the render.

    Boundaries: the step callback (with the stage plan it tells which stage a step ends),
    ``engine.upsample`` wrapped, ``stages.decode_raw`` / ``decode_raw_audio`` wrapped;
    forward hooks on the transformer (a stage's first call: where its steps begin; FLOPs of
    step 1) and on the text encoder and connectors (text seconds). Each phase's record is
    emitted when the phase ends. What runs after a stage's last step (the pipeline's
    post-loop, the NaN checks, switching the LoRA, the next stage's inputs) counts to the
    next phase.
    """

    def __init__(
        self,
        harness: Harness,
        plan: tuple[Any, ...],
        emit: Callable[..., dict[str, Any]],
        fields: dict[str, Any],
        count_flops: bool,
        known_flops: dict[int, float] | None = None,
    ) -> None:
        self.h, self.plan, self.emit, self.fields = harness, plan, emit, fields
        self.count_flops = count_flops
        self.known_flops = known_flops or {}
        self.ends = list(itertools.accumulate(stage.steps for stage in plan))
        self.stage = 0
        self.label = plan[0].name
        self.started = self.last = 0.0
        self.spent: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
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
            self.peaks[self.label] = max(self.peaks.get(self.label, 0.0), peak)
        self.last, self.label = now, next_label

    def _current_stage_name(self) -> str:
        return self.plan[self.stage].name if self.stage < len(self.plan) else OUTPUT

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

    def _emit_stage(self, i: int) -> None:
        stage, marks = self.plan[i], self.marks[i]
        start = self.first_call[i] if self.first_call[i] is not None else marks[0]
        intervals = [b - a for a, b in itertools.pairwise([start, *marks])]
        seconds = self.spent.get(stage.name, 0.0)
        denoise = marks[-1] - start
        flops = self.flops[i] if self.count_flops else self.known_flops.get(stage.number)
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
                steps=stage.steps,
                seconds=seconds,
                prep_s=seconds - denoise,
                text_s=self.text[i],
                denoise_s=denoise,
                step_s=_step_seconds(intervals),
                first_step_s=intervals[0] if intervals else None,
                flops_per_step=flops or None,
                peak_gb=self.peaks.get(stage.name),
            )
        )

    def _emit_span(self, label: str, **extra: Any) -> None:
        self.phases.append(
            self.emit(
                "phase",
                **self.fields,
                phase=label,
                seconds=self.spent.get(label, 0.0),
                peak_gb=self.peaks.get(label),
                **extra,
            )
        )

    def end(self) -> dict[str, Any]:
        """Close the last phase; the render's totals (every phase emitted by now)."""
        self._switch(OUTPUT)
        self._emit_span(OUTPUT)
        peaks = [p for p in self.peaks.values() if p is not None]
        return {
            "seconds": sum(self.spent.values()),
            "peak_gb": max(peaks) if peaks else None,
            "phase_seconds": dict(self.spent),
        }

    # instrumentation
    @contextmanager
    def instrument(self, engine: Any) -> Iterator[None]:
        """Hooks and wrappers on ``engine`` for one render, all removed afterwards."""
        from reelforge.engines.ltx2 import stages as ltx2_stages

        pipe = engine.pipeline(engine.base_pipeline)
        with ExitStack() as stack:
            hooks = [pipe.transformer.register_forward_pre_hook(self._first_call)]
            for module in (pipe.text_encoder, pipe.connectors):
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
            stack.enter_context(_wrapped(engine, "upsample", self._upsample))
            stack.enter_context(_wrapped(ltx2_stages, "decode_raw", self._span(DECODE_VIDEO)))
            stack.enter_context(_wrapped(ltx2_stages, "decode_raw_audio", self._span(DECODE_AUDIO)))
            yield

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

    def _upsample(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def upsample(latents: Any) -> Any:
            target = self.plan[self.stage]
            label = f"upsample → {target.name}"
            self._switch(label)
            out = original(latents)
            self._switch(target.name)
            self._emit_span(label, width=target.width, height=target.height, frames=target.frames)
            return out

        return upsample

    def _span(self, label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                self._switch(label)
                out = original(*args, **kwargs)
                self._switch(OUTPUT)
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

    def take_peak(self) -> float | None:
        """The peak since the last reset, then reset (per-phase peaks)."""
        peak = self.peak_gb()
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()
        return peak

    def free(self) -> None:
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()

    def expected(self, case: str, what: str) -> float:
        """Seconds ``what`` should take (measured earlier in this run, else scaled from a
        like step measured there, ``LIKE``, else the H200 estimate; nothing in tiny mode)."""
        if (case, what) in self.measured:
            return self.measured[(case, what)]
        if self.tiny:
            return 0.0
        like, factor = LIKE.get((case, what), ("", 0.0))
        if (case, like) in self.measured:
            return self.measured[(case, like)] * factor
        return H200_EXPECTED_S.get((case, what), 0.0)

    def fits(self, case: str, what: str, estimate: float, **fields: Any) -> bool:
        if self.budget.allows(estimate):
            return True
        left = self.budget.left()
        self.emit(
            "skip",
            case=case,
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
            pipe = engine.prepare(pipe)
        else:
            engine.speed_report = report
        engine._pipelines = {engine.base_pipeline: pipe}
        if upsampler is not None:
            engine._upsampler = upsampler.to(self.device).eval()
        return engine

    def run(
        self, case: Case, presets: tuple[str, ...], runs: tuple[StagedRun, ...], low_vram: bool
    ) -> None:
        if case.staged:
            self.run_staged(case, presets, runs, low_vram)
        else:
            self.run_case(case, presets, low_vram)

    def held_gb(self) -> float | None:
        """GPU memory allocated now (CUDA only)."""
        return self.torch.cuda.memory_allocated() / 1e9 if self.cuda else None

    def build(
        self, case: Case, device: str, what: str = "build", model: str | None = None
    ) -> tuple[Any, Any] | None:
        """The case's random-weight pipeline (and upsampler) — a staged case's ``model`` —,
        timed; None when it failed. Its record's ``held_gb``: the GPU memory still allocated
        when it began (what an earlier build left behind: ≈ 0 once that one was freed)."""
        named = {"model": model_label(model)} if model is not None else {}
        held = self.held_gb()
        self.reset_peak()
        start = time.perf_counter()
        try:
            pipe, upsampler = case.build(self.tiny, self.dtype, device, self.layers, model)
            pipe.set_progress_bar_config(disable=True)
        except Exception as exc:  # builder missing or too big for this device
            traceback.print_exc(file=sys.stderr)
            self.failed = True
            self.emit("build", case=case.key, what=what, **named, completed=False, note=_short(exc))
            return None
        self.sync()
        seconds = time.perf_counter() - start
        self.measured[(case.key, what)] = seconds
        self.emit(
            "build",
            case=case.key,
            what=what,
            **named,
            device=device,
            seconds=seconds,
            weights_gb=_weights_gb(pipe, upsampler),
            held_gb=held,
            completed=True,
        )
        return pipe, upsampler

    # --- LTX: staged renders, per stage -------------------------------------------------

    def run_staged(
        self, case: Case, presets: tuple[str, ...], runs: tuple[StagedRun, ...], low_vram: bool
    ) -> None:
        """``runs`` grouped by model, in their order: each model built, its runs rendered,
        then freed before the next model is built (the GPU never holds two)."""
        references: dict[str, np.ndarray] = {}
        flops: dict[str, dict[int, float]] = {}
        for model in dict.fromkeys(run.model for run in runs):
            group = tuple(run for run in runs if run.model == model)
            self.run_model(case, model, group, presets, references, flops)
            # run_model has returned: nothing refers to its pipeline any more (compiled
            # graphs of a preset that compiles did until the reset).
            self.torch._dynamo.reset()
            self.free()
        if low_vram:
            run = staged_runs((LOW_VRAM_TIER,))[0]
            self.run_low_vram_staged(case, run, references.get(run.name))

    def run_model(
        self,
        case: Case,
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

        what = f"build {model}"
        first = self.expected(case.key, what) + self.expected(case.key, runs[0].name)
        if not self.fits(case.key, what, first):
            return
        built = self.build(case, self.device, what, model)
        if built is None:
            return
        pipe, upsampler = built
        engine, report = None, None
        for preset in presets:
            speed = SpeedOptions(preset=preset, low_vram=False)
            try:
                if report is not None:
                    self.set_lora(case, pipe, None)
                    undo_speed(pipe, report)
                    self.torch._dynamo.reset()
                report = None
                for run in runs:
                    engine = self.engine(run.engine, run.tier, pipe, speed, report, upsampler)
                    report = engine.speed_report
                    compiles = report is not None and report.has("compile")
                    estimate = self.expected(case.key, run.name) + (
                        COMPILE_EXTRA_S if compiles and not self.tiny else 0.0
                    )
                    lora = None if engine.distilled else model
                    if lora is not None and not self.has_lora(pipe):
                        estimate += self.expected(case.key, f"lora {model}")
                    if not self.fits(case.key, run.name, estimate, preset=preset):
                        continue
                    self.set_lora(case, pipe, lora)
                    frames = self.staged_run(
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
                    case=case.key,
                    preset=preset,
                    label=f"reelforge {preset}",
                    completed=False,
                    note=_short(exc),
                )

    def has_lora(self, pipe: Any) -> bool:
        from reelforge.engines.ltx2 import lora

        return lora.DEFAULT_ADAPTER in pipe.get_list_adapters().get("transformer", [])

    def set_lora(self, case: Case, pipe: Any, model: str | None) -> None:
        """The random distilled LoRA of ``model`` loaded (a dev engine switches it per
        stage), or, for None, unloaded (the distilled checkpoint has no LoRA layers)."""
        from reelforge.engines.ltx2 import lora

        if (model is not None) == self.has_lora(pipe):
            return
        if model is None:
            pipe.unload_lora_weights()
            return
        self.sync()
        start = time.perf_counter()
        device = next(pipe.transformer.parameters()).device
        rank = TINY_LORA_RANK if self.tiny else LORA_RANKS[model]
        state = lora.random_distilled_lora(
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
        self.measured[(case.key, f"lora {model}")] = seconds
        self.emit(
            "lora",
            case=case.key,
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
        case: Case,
        engine: Any,
        run: StagedRun,
        preset: str,
        label: str,
        flops: dict[str, dict[int, float]],
        reference: np.ndarray | None,
        full_warmup: bool = False,
    ) -> np.ndarray | None:
        """Warm-up, then one timed render of ``run``, streamed phase by phase."""
        run_start = time.perf_counter()

        segment = self.segment(case, self.steps)
        plan = engine.stages(segment)
        count = run.name not in flops and not (
            engine.speed_report is not None and engine.speed_report.has("compile")
        )
        width, height, frames = self.dims(case)
        fields = dict(
            case=case.key,
            run=run.name,
            tier=run.tier,
            engine=run.engine,
            preset=preset,
            label=label,
        )
        clock = StageClock(self, plan, self.emit, fields, count, flops.get(run.name))
        frames_out = None
        try:
            self.staged_warmup(case, engine, fields, full_warmup)
            with clock.instrument(engine):
                clock.begin()
                clip = engine.render(segment, clock)
                totals = clock.end()
            frames_out = clip.frames
            if count:
                flops[run.name] = {s.number: f for s, f in zip(plan, clock.flops, strict=True)}
            report = engine.speed_report
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
                max_diff=_max_diff(frames_out, reference) if reference is not None else None,
                completed=True,
                note="",
                speed=report.describe() if report is not None else "",
            )
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            if not label.startswith("reelforge --low-vram"):
                self.failed = True
            self.emit(
                "render",
                **fields,
                width=width,
                height=height,
                frames=frames,
                seconds=time.perf_counter() - clock.started if clock.started else None,
                peak_gb=self.peak_gb(),
                completed=False,
                note=_short(exc) if clock.started else f"in the warm-up: {_short(exc)}",
            )
        self.measured[(case.key, run.name)] = time.perf_counter() - run_start
        return frames_out

    def staged_warmup(self, case: Case, engine: Any, fields: dict[str, Any], full: bool) -> None:
        dims = self.dims(case) if full or self.tiny else WARMUP_SIZE
        self.sync()
        start = time.perf_counter()
        engine.render(self.segment(case, 1, dims))
        self.sync()
        self.emit(
            "warmup",
            **fields,
            size="×".join(map(str, dims)),
            seconds=time.perf_counter() - start,
        )

    def run_low_vram_staged(self, case: Case, run: StagedRun, reference: np.ndarray | None) -> None:
        """``run`` on a fresh pipeline (weights on the CPU), ``--low-vram``, GPU memory
        capped."""
        from reelforge.engines.base import SpeedOptions

        label = self.low_vram_label(case)
        if not self.fits(case.key, "low-vram", self.expected(case.key, "low-vram")):
            return
        capped = False
        try:
            built = self.build(case, "cpu", f"build {run.model} (low-vram)", run.model)
            if built is None:
                return
            pipe, upsampler = built
            capped = self.cap(case)
            # On the CPU offloading saves nothing, so it is asked for explicitly to run the path.
            speed = SpeedOptions(
                preset="quality", low_vram=True, offload=None if self.cuda else "group"
            )
            engine = self.engine(run.engine, run.tier, pipe, speed, upsampler=upsampler)
            self.set_lora(case, pipe, None if engine.distilled else run.model)
            self.staged_run(case, engine, run, "quality", label, {}, reference)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.emit(
                "render",
                case=case.key,
                run=run.name,
                tier=run.tier,
                engine=run.engine,
                preset="quality",
                label=label,
                completed=False,
                note=f"did not complete: {_short(exc)}",
                peak_gb=self.peak_gb(),
            )
        finally:
            if capped:
                self.torch.cuda.set_per_process_memory_fraction(1.0)
            built = pipe = upsampler = engine = None
            self.free()

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

    def run_stock(self, case: Case, pipe: Any, count_flops: bool) -> tuple[Result, np.ndarray]:
        """The stock diffusers pipeline with the engine's arguments, no speed options."""
        from reelforge.engines.base import SpeedOptions

        # The engine only builds the arguments; its prepare() places the pipeline without
        # options (quality: nothing that changes the numerics).
        tier, name = next(iter(case.engines.items()))
        engine = self.engine(name, tier, pipe, SpeedOptions(preset="quality", low_vram=False))
        warm = self.segment(case, 1)
        with FlopCount(pipe.transformer, enabled=count_flops) as counter:
            pipe(**self.stock_kwargs(engine, warm, lambda s, n: None))
        flops = counter.total if count_flops else None
        segment = self.segment(case, self.wan_steps())
        timer = Timer(self.sync)
        self.reset_peak()
        start = time.perf_counter()
        out = pipe(**self.stock_kwargs(engine, segment, timer))
        self.sync()
        clip_s = time.perf_counter() - start
        frames = _uint8(np.asarray(out.frames[0]))[: segment.frames]
        result = Result(
            case.key,
            "stock diffusers",
            self.wan_steps(),
            _size(self.dims(case)),
            timer.step_seconds(start),
            clip_s,
            self.peak_gb(),
            flops,
        )
        return result, frames

    def run_engine(
        self, case: Case, pipe: Any, speed: Any, label: str
    ) -> tuple[Result, np.ndarray, Any]:
        tier, name = next(iter(case.engines.items()))
        engine = self.engine(name, tier, pipe, speed)
        engine.render(self.segment(case, 1))  # warm-up: compile, kernels, allocator
        segment = self.segment(case, self.wan_steps())
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
            self.wan_steps(),
            _size(self.dims(case)),
            timer.step_seconds(start),
            clip_s,
            self.peak_gb(),
            speed=report.describe() if report is not None else "",
        )
        return result, clip.frames, report

    def variant(self, result: Result) -> None:
        self.measured[(result.case, "variant")] = max(
            self.measured.get((result.case, "variant"), 0.0), result.clip_s or 0.0
        )
        if not result.completed and not result.variant.startswith("reelforge --low-vram"):
            self.failed = True
        self.emit("variant", **asdict(result))

    def run_case(self, case: Case, presets: tuple[str, ...], low_vram: bool) -> None:
        from reelforge.engines.base import SpeedOptions
        from reelforge.engines.speed import undo_speed

        if not self.fits(case.key, "build", self.expected(case.key, "build")):
            return
        built = self.build(case, self.device)
        if built is None:
            return
        pipe, _ = built
        built = None  # the pipeline's only reference is pipe, freed before --low-vram
        stock_frames, flops = None, None
        if self.fits(case.key, "stock diffusers", 2 * self.expected(case.key, "variant")):
            start = time.perf_counter()
            stock, stock_frames = self.run_stock(case, pipe, count_flops=True)
            flops = stock.flops_per_step
            self.variant(stock)
            self.measured[(case.key, "variant")] = time.perf_counter() - start
        report = None
        for preset in presets:
            label = f"reelforge {preset}"
            if not self.fits(case.key, label, self.expected(case.key, "variant")):
                continue
            try:
                if report is not None:
                    undo_speed(pipe, report)
                    self.torch._dynamo.reset()
                result, frames, report = self.run_engine(
                    case, pipe, SpeedOptions(preset=preset, low_vram=False), label
                )
                result.flops_per_step = flops
                result.max_diff = (
                    _max_diff(frames, stock_frames) if stock_frames is not None else None
                )
            except Exception as exc:
                result = Result(
                    case.key, label, self.wan_steps(), completed=False, note=_short(exc)
                )
                traceback.print_exc(file=sys.stderr)
            self.variant(result)
        del pipe
        self.free()
        if low_vram and self.fits(case.key, "low-vram", self.expected(case.key, "low-vram")):
            self.variant(self.run_low_vram(case, stock_frames, flops))

    def run_low_vram(self, case: Case, stock_frames: np.ndarray | None, flops: float | None):
        """A fresh pipeline (weights on the CPU), ``--low-vram``, GPU memory capped."""
        from reelforge.engines.base import SpeedOptions

        label = self.low_vram_label(case)
        capped = False
        try:
            pipe, _ = case.build(self.tiny, self.dtype, "cpu", self.layers, None)
            pipe.set_progress_bar_config(disable=True)
            capped = self.cap(case)
            # On the CPU offloading saves nothing, so it is asked for explicitly to run the path.
            speed = SpeedOptions(
                preset="quality", low_vram=True, offload=None if self.cuda else "group"
            )
            result, frames, _ = self.run_engine(case, pipe, speed, label)
            result.flops_per_step = flops
            result.max_diff = _max_diff(frames, stock_frames) if stock_frames is not None else None
            result.note = "completed"
        except Exception as exc:
            result = Result(
                case.key,
                label,
                self.wan_steps(),
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
        args=args,
    )


def markdown(records: list[dict[str, Any]]) -> str:
    """The BENCHMARKS.md block of a run's records (those of one run, or read back)."""
    env = next((r for r in records if r["kind"] == "env"), {})
    name = env.get("device", "unknown device")
    peak = peak_flops(name) if env.get("cuda") else None
    lines = [
        f"### GPU benchmark — {name}, {env.get('date', '')}",
        "",
        f"{env.get('mode', '')}; torch {env.get('torch', '?')}, diffusers "
        f"{env.get('diffusers', '?')}, Python {env.get('python', '?')}; arguments "
        f"`{' '.join(env.get('args', {}).get('argv', []))}`.",
    ]
    builds = [r for r in records if r["kind"] in ("build", "lora")]
    if builds:
        lines += ["", *(_build_line(r) for r in builds)]
    if any(r["kind"] in ("phase", "render") for r in records):
        lines += ["", *_staged_table(records, peak)]
    variants = [r for r in records if r["kind"] == "variant"]
    if variants:
        lines += ["", *_variant_table(variants, peak)]
    skips = [r for r in records if r["kind"] == "skip"]
    if skips:
        lines += ["", "Skipped (`--budget-s`):", ""]
        lines += [
            f"- {CASES[s['case']].title if s['case'] in CASES else s['case']}: {s['what']}"
            + (f" ({s['preset']})" if s.get("preset") else "")
            + f" — {s['reason']}"
            for s in skips
        ]
    speeds = [r for r in records if r["kind"] in ("render", "variant") and r.get("speed")]
    if speeds:
        lines += ["", "What each preset applied on this device:", ""]
        lines += [
            f"- {_title(r['case'])}, {_run_name(r) or ''} {r.get('label') or r.get('variant')}: "
            f"{r['speed']}".replace("  ", " ")
            for r in speeds
        ]
    return "\n".join(lines) + "\n"


def _title(case: str) -> str:
    return CASES[case].title if case in CASES else case


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


def _staged_table(records: list[dict[str, Any]], peak: float | None) -> list[str]:
    lines = [
        "Staged renders, as the engine runs a task: every phase timed with the device "
        "synchronised at its boundaries (the phases add up to the total). prep: before the "
        "stage's first step (text encoding, latents; the LoRA switch and the previous "
        "stage's NaN checks). s/step: median of steps 2…n. TFLOP/step: the transformer's, "
        "counted over step 1 (every guidance pass); MFU against the GPU's dense bf16 peak. "
        "output: NaN checks, frames to 8 bits, the clip. max |Δ|: largest 8-bit pixel "
        "difference from the first preset's render of the same tier and engine.",
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
            "| tier | variant | phase | W×H×frames | weights | steps | s | prep s | s/step "
            "| TFLOP/step | MFU | peak GPU GB | notes |",
            "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for key, render in runs.items():
            if key[0] == case:
                lines += _staged_rows(key, render, records, peak)
    return lines


def _engines_line(case: str, records: list[dict[str, Any]]) -> list[str]:
    """Which engine each run of ``case`` ran (the records of a run before engines were
    recorded have none: no line)."""
    engines = {
        _run_name(r): r["engine"]
        for r in records
        if r["kind"] in ("phase", "render") and r["case"] == case and r.get("engine")
    }
    if not engines:
        return []
    return ["Engines: " + "; ".join(f"{run} — `{e}`" for run, e in engines.items()) + ".", ""]


def _run_name(record: dict[str, Any]) -> str | None:
    """The record's run (``cinema``, ``cinema (ltx2)``); older records name the tier only."""
    return record.get("run") or record.get("tier")


def _run_key(record: dict[str, Any]) -> tuple:
    return (record["case"], _run_name(record), record.get("preset"), record.get("label"))


def _staged_rows(
    key: tuple, r: dict[str, Any] | None, records: list[dict[str, Any]], peak: float | None
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
            mfu = (
                f"{100 * flops / p['step_s'] / peak:.1f} %"
                if peak and flops and p.get("step_s")
                else "—"
            )
            cells = [
                p.get("weights", ""),
                str(p["steps"]),
                _num(p.get("seconds"), "{:.2f}"),
                _num(p.get("prep_s"), "{:.2f}"),
                _num(p.get("step_s"), "{:.3f}"),
                _num(flops / 1e12 if flops else None, "{:.4g}"),
                mfu,
            ]
        else:
            cells = ["", "", _num(p.get("seconds"), "{:.2f}"), "", "", "", ""]
        lines.append(_row(*head, p["phase"], dims, *cells, _num(p.get("peak_gb"), "{:.1f}"), ""))
    if r is None:
        return [*lines, _row(*head, "**total**", *[""] * 9, "**cut short**: no total")]
    note = r.get("note") or ""
    if r.get("max_diff") is not None:
        note = f"max abs Δ {r['max_diff']:g}" + (f"; {note}" if note else "")
    if not r.get("completed"):
        note = f"**did not complete**: {note}"
    dims = _size((r["width"], r["height"], r["frames"])) if r.get("width") else "—"
    lines.append(
        _row(
            *head,
            "**total**",
            dims,
            "",
            str(r.get("steps", "")),
            _num(r.get("seconds"), "{:.2f}"),
            "",
            "",
            "",
            "",
            _num(r.get("peak_gb"), "{:.1f}"),
            note,
        )
    )
    return lines


def _variant_table(variants: list[dict[str, Any]], peak: float | None) -> list[str]:
    lines = [
        "Stock diffusers vs the engine's presets. s/clip is the whole call (text encoder, "
        "steps, VAE decode). MFU: the stock transformer's FLOPs per step over the measured "
        "step time and the GPU's dense bf16 peak (cached steps do less work, so a cache shows "
        "as effective MFU). max |Δ|: largest 8-bit pixel difference from stock.",
        "",
        "| case | W×H×frames | variant | steps | s/step | s/clip | × stock (clip) "
        "| peak GPU GB | TFLOP/step | MFU | max abs Δ | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    stock_clip = {r["case"]: r["clip_s"] for r in variants if r["variant"] == "stock diffusers"}
    for r in variants:
        stock = r["variant"] == "stock diffusers"
        ratio = (
            f"{r['clip_s'] / stock_clip[r['case']]:.2f}"
            if r.get("clip_s") and stock_clip.get(r["case"]) and not stock
            else ("1.00" if stock and r.get("clip_s") else "—")
        )
        mfu = (
            f"{100 * r['flops_per_step'] / r['step_s'] / peak:.1f} %"
            if peak and r.get("flops_per_step") and r.get("step_s")
            else "—"
        )
        note = r.get("note") or ("completed" if r.get("completed") else "failed")
        lines.append(
            _row(
                _title(r["case"]),
                r.get("size") or "—",
                r["variant"],
                str(r["steps"]),
                _num(r.get("step_s"), "{:.3f}"),
                _num(r.get("clip_s"), "{:.2f}"),
                ratio,
                _num(r.get("peak_gb"), "{:.1f}"),
                _num(r["flops_per_step"] / 1e12 if r.get("flops_per_step") else None, "{:.3g}"),
                mfu,
                _num(r.get("max_diff"), "{:g}"),
                note
                if r["variant"].startswith("reelforge --low-vram") or not r.get("completed")
                else "",
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


def _dims_arg(text: str) -> tuple[int, int, int]:
    try:
        width, height, frames = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: want WIDTHxHEIGHTxFRAMES") from None
    return width, height, frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (smoke run)")
    parser.add_argument("--cases", default="ltx,wan", help="comma-separated: ltx, wan")
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated presets")
    parser.add_argument(
        "--tiers",
        default=None,
        help="LTX runs, comma-separated, always run in the default's order: TIER (on its "
        "default engine) or TIER:ENGINE (another it offers); default: cinema,budget,cinema:ltx2",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="stage-1 steps of LTX cinema (default: the model's, 30 on LTX-2.5, 40 on LTX-2; "
        "tiny: 2), Wan's steps (default 10; tiny: 2); budget's are fixed (8 + 3)",
    )
    parser.add_argument(
        "--size", type=_dims_arg, default=None, help="render WIDTHxHEIGHTxFRAMES instead"
    )
    parser.add_argument(
        "--low-vram", action="store_true", help="also render with --low-vram under a memory cap"
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="seconds this run may take: what would not fit is skipped",
    )
    parser.add_argument("--jsonl", type=Path, default=None, help="also append the JSON lines here")
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
        if key not in CASES:
            parser.error(f"unknown case {key!r}; choose from {', '.join(CASES)}")
    steps = args.steps or (2 if args.tiny else None)

    emit = Emitter(args.jsonl)
    argv_list = sys.argv[1:] if argv is None else list(argv)
    emit(
        "env",
        **environment(device, args.tiny, args.layers, {"argv": argv_list}),
        budget_s=args.budget_s,
    )
    harness = Harness(
        args.tiny, steps, device, emit, Budget(args.budget_s), size=args.size, layers=args.layers
    )
    try:
        for key in keys:
            print(f"[bench] {CASES[key].title} on {device}", file=sys.stderr, flush=True)
            harness.run(CASES[key], presets, runs, args.low_vram)
    finally:
        emit.close()
    block = markdown(emit.records)
    print(block)
    if args.write:
        write(block, args.benchmarks)
    return 1 if harness.failed else 0


if __name__ == "__main__":
    sys.exit(main())
