"""A memory plan before anything loads: where each component of an engine lives (GPU or
host), for a tier's largest render, on a machine with this much GPU memory and host RAM.

No torch: the weights and shapes come from ``memory.json`` (``python bench/memory.py
--write`` counts them on the full-size architectures on the meta device), so the CLI and
the API plan without building a model.

What is counted
---------------
A *unit* is what moves between host and GPU as one: a pipeline component, with the
distilled LoRA counted inside the transformer it is loaded into. Per unit:

- **weights**: parameters (and buffers) × bytes of its dtype (bf16: :data:`WEIGHT_BYTES`;
  the components of :data:`FLOAT32_COMPONENTS` in float32);
- **working memory** while it runs, for the tier's largest window (its largest resolution,
  its longest window):

  - transformer: ``batch × tokens × (ACTIVATION_HIDDEN_WIDTHS + extra) × hidden +
    batch × tokens × ACTIVATION_FFN_WIDTHS × ffn``, in :data:`ACTIVATION_BYTES`, for the
    stage with the most ``batch × tokens`` (LTX stage 1 runs CFG as one batch of 2; Wan
    runs its two CFG forwards one after the other). ``tokens`` = latent frames (plus
    :data:`EXTRA_LATENT_FRAMES`) × latent height × latent width (``pixels_per_token``,
    ``frames_per_token`` of the model); ``extra`` is VACE's control hints (one hidden state
    per VACE layer, all kept);
  - text encoder: :data:`TEXT_BATCH` prompts of its token length, every layer's hidden
    state kept (``LTX2Pipeline`` asks for all of them) plus one layer's activations;
  - VAE decode: the decoder's largest activation per output pixel (measured by the meta
    decode in ``bench/memory.py``) × the pixels and frames it holds at once ×
    :data:`VAE_LIVE_COPIES`, plus the decoded video (:data:`DECODED_VIDEO_COPIES`). Untiled,
    LTX holds every frame and Wan one causal chunk; tiled, one tile
    (``memory.json``'s ``tile``: LTX-2's ``engine.VAE_TILING``, diffusers' Wan default);
  - the rest (connectors, upsampler, audio VAE, vocoder, image encoder): weights only,
    their work is a few hundred MB at most and falls inside :data:`GPU_RESERVED_GB`.

Modes (:data:`MODES`, fastest first)
------------------------------------
- ``resident``: every unit on the GPU; the host holds no weight (each component is loaded
  straight onto the GPU).
- ``model``: one unit on the GPU at a time (``enable_model_cpu_offload``); the host holds
  one copy of every weight.
- ``group``: leaf modules streamed to the GPU as they run, :data:`OFFLOAD_LEAVES_IN_FLIGHT`
  at a time (``enable_group_offload`` with ``low_cpu_mem_usage=True``: no pinned second
  copy); the host holds one copy.
- ``sequential``: one leaf at a time (``enable_sequential_cpu_offload``); one host copy.

Each may free the text encoder after encoding: it is loaded whole onto the GPU for the
prompts and dropped (read from disk again for the next job), so the host never holds it
and the GPU does not hold it while denoising. VAE tiling is turned on where the untiled
decode would not fit (LTX always tiles: :data:`ALWAYS_TILED`).

GPU need = the largest phase (encode, denoise, decode, each unit's turn) + weights resident
through it + :data:`GPU_RESERVED_GB`; host need = the weights it holds (each once) +
:data:`HOST_RESERVED_GB`. :func:`plan_memory` returns the first candidate that fits both,
or raises :class:`DoesNotFit` naming what is short.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..errors import EngineUnavailable
from ..lineup.tiers import ENGINES, TIERS, Tier
from ..planning.frames import output_size, render_size, snap_frames_up
from ..request import limits

GB = 1e9
MEMORY_FILE = "memory.json"
"""``bench/memory.py --write`` writes it beside this module."""
WEIGHT_BYTES = 2
"""bf16: the dtype ``DiffusersEngine.load`` gives every component on a CUDA device."""
FLOAT32_BYTES = 4
FLOAT32_COMPONENTS: dict[str, tuple[str, ...]] = {
    "wan": ("vae",),
    "wan_vace": ("vae",),
    "wan_animate": ("vae", "image_encoder"),
}
"""Components planned in float32: diffusers' Wan docs load ``AutoencoderKLWan`` (and Wan
Animate's ``CLIPVisionModel``) with ``torch_dtype=torch.float32`` (issue 12: the engines
load them in bf16 today; the plan keeps the room the authors' dtype needs)."""
ACTIVATION_BYTES = 2
"""Activations in bf16."""
ACTIVATION_HIDDEN_WIDTHS = 8
"""Hidden-width tensors one transformer block holds at its peak, per token: the residual
stream, its normed and modulated copy, q, k, v, the attention output, and LTX-2's RoPE
cos and sin (float32, half the width each: one bf16 width apiece). Chosen from the blocks'
code, not measured: flash/SDPA attention holds no token × token matrix."""
ACTIVATION_FFN_WIDTHS = 2
"""Feed-forward-width tensors at the block's peak: the up-projection and its GELU."""
TEXT_BATCH = 2
"""Prompts a text encode runs at once: the prompt and the negative prompt (CFG)."""
VAE_LIVE_COPIES = 4
"""Live tensors of the decoder's largest size at its peak (a convolution's input and
output, the residual, a norm's output; Wan's causal cache). Chosen, not measured."""
DECODED_VIDEO_COPIES = 2
"""The decoded video, 3 channels in the VAE's dtype: the tiles' blended output and its
float conversion by the pipeline's video processor."""
GPU_RESERVED_GB = 2.0
"""GPU memory no plan uses: the CUDA context, cuBLAS/cuDNN workspaces, allocator
fragmentation and the small components' work. Chosen."""
HOST_RESERVED_GB = 6.0
"""Host RAM no plan uses for weights: the OS, Python with torch and CUDA libraries, the
decoded frames. Chosen."""
OFFLOAD_LEAVES_IN_FLIGHT = {"group": 2, "sequential": 1}
"""Leaf modules on the GPU at once: group offload prefetches the next on a CUDA stream."""
MODES = ("resident", "model", "group", "sequential")
ALWAYS_TILED = ("ltx2", "ltx2_distilled", "ltx25")
"""Engines whose VAE always decodes in tiles (``LTX2Engine.prepare``: ``VAE_TILING``, as
the reference does)."""
EXTRA_LATENT_FRAMES = {"wan_animate": 1, "wan_vace": limits.OMNI_MAX_REFERENCES + 1}
"""Latent frames in front of a window's own: Animate's reference image (``WanAnimatePipeline``);
VACE's reference images and the identity anchor, one latent frame each (``bench/flops.py``
counts them the same way)."""
TEXT_ENCODER = "text_encoder"
TRANSFORMER = "transformer"
VAE = "vae"
WORST_ASPECT = 16 / 9
"""The aspect the planner gives a request that names none (``limits.DEFAULT_ASPECT_RATIO``)."""


class DoesNotFit(EngineUnavailable):
    """No placement fits this machine; ``shortfalls`` say what is short, and by how much."""

    def __init__(self, message: str, shortfalls: tuple[Shortfall, ...]) -> None:
        super().__init__(message)
        self.shortfalls = shortfalls


@dataclass(frozen=True)
class Shortfall:
    where: str
    """``gpu`` or ``host``."""
    short_gb: float
    mode: str
    component: str
    detail: str


@dataclass(frozen=True)
class Unit:
    """What moves between host and GPU as one (bytes)."""

    name: str
    weights: int
    leaf: int
    """The largest leaf module (what leaf-level offloading holds of it)."""
    work: int
    """Working memory while it runs (untiled decode for the VAE)."""
    work_tiled: int | None = None
    """The VAE's working memory with tiling."""


@dataclass(frozen=True)
class Window:
    """The render a plan is for: the largest window of a tier at a resolution."""

    tier: str
    engine: str
    resolution: str
    width: int
    height: int
    frames: int


@dataclass(frozen=True)
class Plan:
    """A placement and what it needs (bytes)."""

    window: Window
    mode: str
    free_text_encoder: bool
    vae_tiling: bool
    gpu: int
    host: int
    host_weights: tuple[str, ...]
    """The units whose weights the host holds: each once."""
    peak: str
    """The phase that sets the GPU need (a unit's name)."""
    phases: dict[str, int] = field(default_factory=dict)
    """GPU need of each phase (unit running → bytes, without the reserve)."""

    def fits(self, gpu_gb: float, host_gb: float) -> bool:
        return self.gpu <= gpu_gb * GB and self.host <= host_gb * GB

    @property
    def label(self) -> str:
        parts = [self.mode]
        if self.free_text_encoder:
            parts.append("text encoder freed after encoding")
        if self.vae_tiling:
            parts.append("VAE tiling")
        return ", ".join(parts)

    def offload_kwargs(self) -> dict[str, Any]:
        """The diffusers call of this placement: ``enable_*`` method and its arguments."""
        if self.mode == "group":
            return {
                "method": "enable_group_offload",
                "offload_type": "leaf_level",
                "use_stream": True,
                "low_cpu_mem_usage": True,  # pinned per group as it streams: one host copy
            }
        return {
            "resident": {"method": "to"},
            "model": {"method": "enable_model_cpu_offload"},
            "sequential": {"method": "enable_sequential_cpu_offload"},
        }[self.mode]

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "free_text_encoder": self.free_text_encoder,
            "vae_tiling": self.vae_tiling,
            "label": self.label,
            "gpu_gb": round(self.gpu / GB, 2),
            "host_gb": round(self.host / GB, 2),
            "host_weights": list(self.host_weights),
            "peak": self.peak,
        }


# --- the counts ------------------------------------------------------------------------------


@cache
def counts() -> dict[str, Any]:
    """``memory.json``: ``how``, ``date`` and ``engines`` → engine → ``components``,
    ``transformer``, ``text_encoder``, ``vae``."""
    return json.loads(resources.files(__package__).joinpath(MEMORY_FILE).read_text("utf-8"))


def weight_bytes(engine: str, component: str) -> int:
    """Bytes per parameter of ``component`` as ``engine`` loads it on a GPU."""
    return FLOAT32_BYTES if component in FLOAT32_COMPONENTS.get(engine, ()) else WEIGHT_BYTES


def worst_window(
    tier: Tier,
    resolution: str | None = None,
    frames: int | None = None,
    engine: str | None = None,
) -> Window:
    """The largest window ``tier`` renders at ``resolution`` (None: its largest) on
    ``engine`` (None: the tier's default; else one of the models it offers): 16:9 at that
    resolution, ``frames`` or as many as one engine window holds or the tier's longest clip
    has."""
    engine = tier.engine_for(engine)
    traits = tier.traits
    resolution = resolution or max(tier.resolutions, key=lambda r: limits.RESOLUTION_SHORT_SIDE[r])
    multiple = traits.multiple_for(resolution)
    width, height = render_size(*output_size(resolution, WORST_ASPECT, multiple), multiple)
    fps = max(tier.fps, tier.avatar_fps if "avatar" in tier.workflows else 0)
    longest = math.ceil((tier.max_duration or limits.AUDIO_MAX_SECONDS) * fps)
    frames = min(traits.max_segment_frames, snap_frames_up(frames or longest, traits.frame_step))
    return Window(tier.name, engine, resolution, width, height, frames)


def denoise_batches(window: Window) -> list[tuple[int, int, int]]:
    """``(batch, width, height)`` of every denoising stage of ``window``'s engine."""
    if window.engine not in ALWAYS_TILED:
        return [(1, window.width, window.height)]  # Wan: CFG as two forwards of batch 1
    from .ltx2 import presets, schedule

    stages = schedule.stages(
        "budget" if window.engine == schedule.DISTILLED_ENGINE else window.tier,
        window.width,
        window.height,
        window.frames,
        audio_held=window.tier == "avatar",
        model=presets.MODELS[window.engine],
    )
    return [(2 if s.guidance.cfg else 1, s.width, s.height) for s in stages]


def transformer_work(window: Window) -> int:
    t = counts()["engines"][window.engine]["transformer"]
    extra = EXTRA_LATENT_FRAMES.get(window.engine, 0)
    latent_frames = (window.frames - 1) // t["frames_per_token"] + 1 + extra
    side = t["pixels_per_token"]
    tokens = max(
        b * latent_frames * (h // side) * (w // side) for b, w, h in denoise_batches(window)
    )
    widths = (ACTIVATION_HIDDEN_WIDTHS + t["extra_hidden_widths"]) * t["hidden"]
    return tokens * ACTIVATION_BYTES * (widths + ACTIVATION_FFN_WIDTHS * t["ffn"])


def text_work(engine: str) -> int:
    t = counts()["engines"][engine]["text_encoder"]
    widths = (t["layers"] + 1 + ACTIVATION_HIDDEN_WIDTHS) * t["hidden"]
    return TEXT_BATCH * t["tokens"] * ACTIVATION_BYTES * (widths + ACTIVATION_FFN_WIDTHS * t["ffn"])


def decode_work(window: Window, tiled: bool) -> int:
    v = counts()["engines"][window.engine]["vae"]
    per_pixel = v["largest_activation"] / (v["height"] * v["width"])
    if v["all_frames_at_once"]:
        per_pixel /= v["frames"]
    width, height, frames = window.width, window.height, window.frames
    if tiled:
        width, height = min(width, v["tile"]["width"]), min(height, v["tile"]["height"])
        frames = min(frames, v["tile"]["frames"] or frames)
    held = frames if v["all_frames_at_once"] else 1
    vae_bytes = weight_bytes(window.engine, VAE)
    video = window.frames * window.width * window.height * 3 * vae_bytes * DECODED_VIDEO_COPIES
    return int(per_pixel * width * height * held * vae_bytes * VAE_LIVE_COPIES) + video


def units(window: Window) -> list[Unit]:
    """The engine's units for ``window``: weights, largest leaf and working memory."""
    engine = window.engine
    components = counts()["engines"][engine]["components"]
    out: dict[str, Unit] = {}
    for name, c in components.items():
        if c.get("with"):
            continue
        size = weight_bytes(engine, name)
        out[name] = Unit(name, c["parameters"] * size, c["largest_leaf"] * size, 0)
    for c in components.values():  # adapters (the distilled LoRA) join their module
        if c.get("with"):
            host, size = out[c["with"]], weight_bytes(engine, c["with"])
            out[host.name] = Unit(
                host.name,
                host.weights + c["parameters"] * size,
                host.leaf + c["largest_leaf"] * size,
                0,
            )
    out[TEXT_ENCODER] = _with_work(out[TEXT_ENCODER], text_work(engine))
    out[TRANSFORMER] = _with_work(out[TRANSFORMER], transformer_work(window))
    vae = out[VAE]
    out[VAE] = Unit(
        VAE, vae.weights, vae.leaf, decode_work(window, False), decode_work(window, True)
    )
    return list(out.values())


def _with_work(unit: Unit, work: int) -> Unit:
    return Unit(unit.name, unit.weights, unit.leaf, work)


# --- placing ---------------------------------------------------------------------------------


def candidates(
    window: Window, modes: tuple[str, ...] = MODES, vae_tiling: bool | None = None
) -> Iterator[Plan]:
    """Every placement of ``window`` among ``modes``, fastest first: each mode with the text
    encoder kept then freed, VAE tiling off (where the engine allows) then on
    (``vae_tiling``: only that one, where the engine allows)."""
    all_units = units(window)
    tilings = (True,) if window.engine in ALWAYS_TILED else (False, True)
    if vae_tiling is not None and window.engine not in ALWAYS_TILED:
        tilings = (vae_tiling,)
    for mode in modes:
        for free in (False, True):
            for tiled in tilings:
                yield place(window, all_units, mode, free, tiled)


def allowed_modes(low_vram: bool | None = None, offload: str | None = None) -> tuple[str, ...]:
    """The placements a user's speed options leave open: ``offload`` names one (``none``:
    resident); ``low_vram`` True asks for an offloading one, False for resident; None (both):
    any, the fastest that fits."""
    if offload is not None:
        mode = "resident" if offload == "none" else offload
        if mode not in MODES:
            raise ValueError(
                f"unknown offload {offload!r}; choose one of none, {', '.join(MODES[1:])}"
            )
        return (mode,)
    if low_vram is None:
        return MODES
    return MODES[1:] if low_vram else MODES[:1]


def place(window: Window, all_units: list[Unit], mode: str, free: bool, tiled: bool) -> Plan:
    """What ``mode`` needs on the GPU and the host (see the module's docstring)."""

    def work(u: Unit) -> int:
        return u.work_tiled if tiled and u.work_tiled is not None else u.work

    kept = [u for u in all_units if not (free and u.name == TEXT_ENCODER)]
    phases: dict[str, int] = {}
    if mode == "resident":
        resident = sum(u.weights for u in kept)
        for u in all_units:
            # a freed text encoder is on the GPU with the rest while it encodes, then gone
            phases[u.name] = resident + work(u) + (u.weights if u not in kept else 0)
        host_weights: list[Unit] = []
    else:
        for u in all_units:
            if u not in kept:  # loaded whole onto the GPU for the prompts, then dropped
                phases[u.name] = u.weights + work(u)
            elif mode == "model":
                phases[u.name] = u.weights + work(u)
            else:
                phases[u.name] = OFFLOAD_LEAVES_IN_FLIGHT[mode] * u.leaf + work(u)
        host_weights = kept
    peak = max(phases, key=phases.__getitem__)
    return Plan(
        window=window,
        mode=mode,
        free_text_encoder=free,
        vae_tiling=tiled,
        gpu=phases[peak] + int(GPU_RESERVED_GB * GB),
        host=sum(u.weights for u in host_weights) + int(HOST_RESERVED_GB * GB),
        host_weights=tuple(u.name for u in host_weights),
        peak=peak,
        phases=phases,
    )


def plan_memory(
    tier: str | Tier,
    gpu_gb: float,
    host_gb: float,
    resolution: str | None = None,
    frames: int | None = None,
    *,
    engine: str | None = None,
    modes: tuple[str, ...] = MODES,
    vae_tiling: bool | None = None,
) -> Plan:
    """The fastest placement among ``modes`` (``vae_tiling``: only with or without it) of
    ``tier``'s largest window on ``engine`` (None: the tier's default) at ``resolution``
    (None: its largest; ``frames``: a window of that many, None: its longest) that fits
    ``gpu_gb`` of GPU memory and ``host_gb`` of host RAM, or :class:`DoesNotFit` naming what
    is short."""
    tier = TIERS[tier] if isinstance(tier, str) else tier
    window = worst_window(tier, resolution, frames, engine)
    return plan_window(window, gpu_gb, host_gb, modes=modes, vae_tiling=vae_tiling)


def plan_window(
    window: Window,
    gpu_gb: float,
    host_gb: float,
    *,
    modes: tuple[str, ...] = MODES,
    vae_tiling: bool | None = None,
) -> Plan:
    """The fastest placement of ``window`` (see :func:`plan_memory`)."""
    plans = list(candidates(window, modes, vae_tiling))
    for p in plans:
        if p.fits(gpu_gb, host_gb):
            return p
    raise refusal(window, plans, gpu_gb, host_gb)


def request_window(plan: Plan, width: int, height: int, frames: int) -> Window:
    """A render of ``width``×``height``×``frames`` on the plan's tier and engine."""
    w = plan.window
    return Window(w.tier, w.engine, f"{width}×{height}", width, height, frames)


def holds(plan: Plan, window: Window, gpu_gb: float, host_gb: float) -> bool:
    """Whether ``plan``'s placement also fits ``window`` on this machine."""
    placed = place(window, units(window), plan.mode, plan.free_text_encoder, plan.vae_tiling)
    return placed.fits(gpu_gb, host_gb)


def tier_of(engine: str, tier: str | None = None) -> Tier:
    """The tier an engine plans for: ``tier``, else the first tier that runs ``engine`` by
    default, else the first that offers it (an engine loaded outside any task)."""
    if tier is not None and engine in (TIERS[tier].engine, *TIERS[tier].models):
        return TIERS[tier]
    for t in TIERS.values():
        if t.engine == engine:
            return t
    for t in TIERS.values():
        if engine in t.models:
            return t
    raise KeyError(f"no tier runs the engine {engine!r}")


def refusal(window: Window, plans: list[Plan], gpu_gb: float, host_gb: float) -> DoesNotFit:
    """Why nothing fits: the GPU memory the placement the host can hold still lacks, and the
    host RAM the placement the GPU can hold still lacks (either would do)."""
    where = f"{window.tier} ({window.engine}) at {window.width}×{window.height}×{window.frames}"
    shortfalls: list[Shortfall] = []
    host_ok = [p for p in plans if p.host <= host_gb * GB]
    if host_ok:
        p = min(host_ok, key=lambda p: p.gpu)
        short = (p.gpu - gpu_gb * GB) / GB
        detail = (
            f"GPU: {short:.1f} GB short: {p.label} needs {p.gpu / GB:.1f} GB of {gpu_gb:g} GB "
            f"while the {p.peak} runs ({p.phases[p.peak] / GB:.1f} GB + {GPU_RESERVED_GB:g} "
            "GB reserved)"
        )
        shortfalls.append(Shortfall("gpu", short, p.mode, p.peak, detail))
    gpu_ok = [p for p in plans if p.gpu <= gpu_gb * GB]
    if gpu_ok:
        p = min(gpu_ok, key=lambda p: p.host)
        short = (p.host - host_gb * GB) / GB
        sizes = {u.name: u.weights for u in units(window)}
        largest = max(p.host_weights, key=sizes.__getitem__)
        held = ", ".join(f"{n} {sizes[n] / GB:.1f} GB" for n in p.host_weights)
        detail = (
            f"host RAM: {short:.1f} GB short: {p.label} holds one copy of {held} "
            f"({p.host / GB:.1f} GB with {HOST_RESERVED_GB:g} GB reserved) in {host_gb:g} GB"
        )
        shortfalls.append(Shortfall("host", short, p.mode, largest, detail))
    if not shortfalls:
        p = min(plans, key=lambda p: p.gpu)
        detail = (
            f"GPU and host: the least GPU memory any placement needs is {p.gpu / GB:.1f} GB "
            f"({p.label}, {(p.gpu - gpu_gb * GB) / GB:.1f} GB short while the {p.peak} runs), "
            f"and it holds {p.host / GB:.1f} GB on the host ({(p.host - host_gb * GB) / GB:.1f} "
            "GB short)"
        )
        shortfalls.append(Shortfall("gpu", (p.gpu - gpu_gb * GB) / GB, p.mode, p.peak, detail))
    message = f"{where} does not fit {gpu_gb:g} GB GPU + {host_gb:g} GB host: " + "; or ".join(
        s.detail for s in shortfalls
    )
    return DoesNotFit(message, tuple(shortfalls))


# --- this machine ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    gpu_name: str | None
    gpu_gb: float | None
    """None: no CUDA GPU."""
    host_gb: float
    note: str = ""


def host_memory_gb() -> float:
    """This machine's physical RAM in GB."""
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB


def this_machine() -> Machine:
    """This machine's first CUDA GPU (through torch, if installed) and its RAM."""
    host_gb = host_memory_gb()
    try:
        import torch
    except ImportError:
        return Machine(None, None, host_gb, "torch is not installed: no GPU can be used")
    if not torch.cuda.is_available():
        return Machine(None, None, host_gb, f"torch {torch.__version__} sees no CUDA GPU")
    from .speed import gpu_memory_gb

    name = torch.cuda.get_device_name(0)
    return Machine(name, gpu_memory_gb("cuda:0"), host_gb)


NO_GPU_NOTE = (
    "no CUDA GPU: the GPU tiers cannot render here; the animatic tier renders previz on the "
    "CPU, and `reelforge video --dry-run` plans any tier"
)


def gpu_tiers() -> list[Tier]:
    return [t for t in TIERS.values() if t.traits.needs_weights]


def doctor(machine: Machine) -> dict[str, Any]:
    """Per GPU tier: what each mode needs for its longest render at its default resolution,
    what ``auto`` picks there on ``machine`` (what the engine loads with), and what it picks
    for each resolution the tier offers (what a larger render is re-placed to)."""
    tiers = []
    for tier in gpu_tiers():
        window = worst_window(tier, tier.default_resolution)
        plans = list(candidates(window))
        modes = []
        for mode in MODES:
            mine = [p for p in plans if p.mode == mode]
            fitting = [
                p
                for p in mine
                if machine.gpu_gb is not None and p.fits(machine.gpu_gb, machine.host_gb)
            ]
            best = fitting[0] if fitting else min(mine, key=lambda p: (p.gpu, p.host))
            modes.append({**best.describe(), "fits": bool(fitting)})
        entry: dict[str, Any] = {
            "tier": tier.name,
            "engine": tier.engine,
            "label": ENGINES[tier.engine].label,
            "window": {
                "resolution": window.resolution,
                "width": window.width,
                "height": window.height,
                "frames": window.frames,
            },
            "weights_gb": {u.name: round(u.weights / GB, 2) for u in units(window)},
            "modes": modes,
        }
        entry["auto"], entry["by_resolution"] = None, {}
        if machine.gpu_gb is not None:
            for resolution in tier.resolutions:
                try:
                    plan = plan_memory(tier, machine.gpu_gb, machine.host_gb, resolution)
                    entry["by_resolution"][resolution] = plan.describe()
                except DoesNotFit as exc:
                    entry["by_resolution"][resolution] = None
                    if resolution == tier.default_resolution:
                        entry["refusal"] = str(exc)
            entry["auto"] = entry["by_resolution"][tier.default_resolution]
        tiers.append(entry)
    return {
        "gpu": None
        if machine.gpu_gb is None
        else {"name": machine.gpu_name, "memory_gb": round(machine.gpu_gb, 2)},
        "host_gb": round(machine.host_gb, 2),
        "note": (NO_GPU_NOTE if machine.gpu_gb is None else "")
        + (f" ({machine.note})" if machine.note else ""),
        "counted": counts()["how"],
        "tiers": tiers,
    }
