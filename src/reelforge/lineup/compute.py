"""Seconds of compute per second of output, per tier, engine and resolution: measured, or counted.

A tier renders with its default engine, or with another it offers when a request names it
(``model``: cinema runs LTX-2.5 and offers LTX-2), so every number is per engine too. Two
sources, the first that has the tier, engine and resolution wins:

1. :data:`MEASURED`: what ``BENCHMARKS.md`` holds a measurement of (every entry names its
   row there; a test checks the row exists and says the same). Only the animatic so far:
   no GPU tier has been timed on real hardware.
2. ``compute.json``: the FLOPs a 5 s clip of each GPU tier × engine × resolution runs, counted by
   ``bench/flops.py`` (``FlopCounterMode`` on the full-size architectures, every stage,
   guidance pass, text encode and decode; its ``how`` field says with what), turned into
   seconds at :data:`UTILISATION` of :data:`GPU_PEAK_FLOPS`. An estimate, and every
   place that shows it says so: "estimated on H100 (not measured)".

A CPU tier at a resolution with no measurement (the animatic at 4K) is its nearest
measured resolution (same engine) scaled by pixel count, also marked "not measured".

No torch here: the JSON is read as data when the lineup is imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..request import limits

GPU = "H100"
"""The reference GPU of the estimates (H100 SXM)."""
GPU_PEAK_FLOPS = 989.4e12
"""H100 SXM5 dense BF16 Tensor Core peak, FLOP/s: 989.4 TFLOPS (NVIDIA H100 Tensor Core GPU
Architecture whitepaper, H100 SXM5: "Peak BF16 Tensor TFLOPS with FP32 Accumulate
989.4/1978.9", the second figure with 2:4 sparsity; the H100 datasheet's "BF16 Tensor Core
1,979 teraFLOPS*" is the sparse one). 528 Tensor Cores × 1024 FLOP/clock × 1.83 GHz.
``bench/gpu.py`` uses the same peak for its MFU column."""
UTILISATION = 0.4
"""Model FLOP utilisation assumed for a render: the fraction of :data:`GPU_PEAK_FLOPS` the
counted FLOPs run at. Chosen, not measured: a large BF16 matmul reaches about 790 TFLOP/s
(80 %) on an H100 SXM (``bench/gpu.py``'s note), the ceiling for the transformer's linear
layers; attention over 14k–130k tokens through PyTorch's flash SDPA runs below it, and the
work ``FlopCounterMode`` does not count (norms, RoPE, AdaLN modulation, GELU, the VAE's
non-convolution ops, the scheduler) takes time at zero counted FLOPs. Half the practical
ceiling until ``bench/gpu.py`` measures an MFU on a GPU (its table has the column)."""
COMPUTE_FILE = "compute.json"
"""``bench/flops.py --write`` writes it beside this module."""


@dataclass(frozen=True)
class Measured:
    """One measured speed, as ``BENCHMARKS.md`` reports it.

    ``row``: the text that starts the row of ``BENCHMARKS.md`` it comes from;
    ``frames_per_second``: that row's rate; ``fps``: the output's frame rate.
    """

    tier: str
    engine: str
    resolution: str
    hardware: str
    frames_per_second: float
    fps: int
    row: str

    @property
    def seconds(self) -> float:
        """Seconds of compute per second of output."""
        return self.fps / self.frames_per_second


MEASURED: tuple[Measured, ...] = (
    # BENCHMARKS.md, "MP4 assembly (CPU)": the whole reelforge.render path of the animatic
    # (render, H.264 + AAC, poster, sidecar), 2026-11-24, AMD EPYC, 2 cores.
    Measured(
        "animatic", "animatic", "720p", "2-core CPU", 56, 24, "`reelforge.render` animatic 720p"
    ),
    Measured(
        "animatic", "animatic", "1080p", "2-core CPU", 26, 24, "`reelforge.render` animatic 1080p"
    ),
)


@dataclass(frozen=True)
class Speed:
    """Seconds of compute per second of output on ``hardware``; ``measured`` or estimated."""

    seconds: float
    hardware: str
    measured: bool

    @property
    def label(self) -> str:
        return speed_label(self.hardware, self.measured)


def speed_label(hardware: str, measured: bool) -> str:
    """``measured on 2-core CPU`` or ``estimated on H100 (not measured)``: what every
    shown time says of itself."""
    return f"measured on {hardware}" if measured else f"estimated on {hardware} (not measured)"


def _load() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(COMPUTE_FILE).read_text("utf-8"))


COUNTED: dict[str, Any] = _load()
"""``compute.json``: ``how``, ``date``, ``clip_seconds`` and ``tiers`` → tier → engine →
resolution → ``flops_per_output_second`` with the parts it was summed from."""


def flops_per_second(tier: str, engine: str, resolution: str) -> float | None:
    """Counted FLOPs per second of output of ``tier`` on ``engine`` at ``resolution``
    (``None``: not counted)."""
    entry = COUNTED["tiers"].get(tier, {}).get(engine, {}).get(resolution)
    return None if entry is None else float(entry["flops_per_output_second"])


def estimated_seconds(flops: float) -> float:
    """Seconds ``flops`` take on :data:`GPU` at :data:`UTILISATION`."""
    return flops / (GPU_PEAK_FLOPS * UTILISATION)


def speed(tier: str, engine: str, resolution: str) -> Speed:
    """The speed of ``tier`` on ``engine`` at ``resolution``: measured if ``BENCHMARKS.md``
    has it, else counted FLOPs on :data:`GPU`, else a measured resolution of the tier and
    engine scaled by pixels."""
    measured = {m.resolution: m for m in MEASURED if (m.tier, m.engine) == (tier, engine)}
    if resolution in measured:
        m = measured[resolution]
        return Speed(m.seconds, m.hardware, measured=True)
    flops = flops_per_second(tier, engine, resolution)
    if flops is not None:
        return Speed(estimated_seconds(flops), GPU, measured=False)
    if measured:
        side = limits.RESOLUTION_SHORT_SIDE
        nearest = min(measured.values(), key=lambda m: abs(side[m.resolution] - side[resolution]))
        pixels = (side[resolution] / side[nearest.resolution]) ** 2
        return Speed(nearest.seconds * pixels, nearest.hardware, measured=False)
    raise KeyError(
        f"no speed for tier {tier!r} on {engine} at {resolution}: neither measured "
        f"(compute.MEASURED) nor counted ({COMPUTE_FILE}; run bench/flops.py --write)"
    )
