"""Speed and memory options, in one place, for every diffusers engine.

:func:`apply_speed` takes a freshly loaded pipeline, the user's
:class:`~reelforge.engines.base.SpeedOptions` and the device, and applies, in order:

1. FP8 weights of the denoiser (torchao ``quantize_``; CUDA with compute capability ≥ 8.9),
2. the attention backend (``transformer.set_attention_backend``: FlashAttention 3 / 2,
   SageAttention, or PyTorch's SDPA),
3. a diffusers cache hook on the denoiser (``enable_cache``: First Block Cache,
   TaylorSeer, MagCache),
4. placement: ``pipe.to(device)``, or model / group / sequential CPU offloading — on a
   GPU, as the engine's memory plan says (:mod:`reelforge.engines.memory`),
5. VAE tiling (where the options or the memory plan ask for it),
6. regional ``torch.compile`` of the repeated transformer blocks.

Presets bundle these (:data:`PRESETS`): ``quality`` changes no numerics (the stock
pipeline's output, bit for bit), ``balanced`` adds a conservative cache, the fastest
exact attention kernel installed and compilation, ``fast`` a stronger cache, FP8 and
SageAttention where installed. Every field set on :class:`SpeedOptions` overrides its
preset. When no preset is given, :func:`choose_preset` picks one from the GPU's memory.

Placement and VAE tiling on a GPU are the memory plan's: the engine plans before loading
(``low_vram``, ``offload`` and ``vae_tiling`` narrow what it may choose) and passes the
plan here. Without a plan (the CPU, or a pipeline placed by hand) ``low_vram`` turns on
group offload and VAE tiling.

Anything the hardware or the installed packages cannot do is skipped with a logged
reason (CPU: no flash attention, no FP8, no compile unless asked for), and the
:class:`SpeedReport` that :func:`apply_speed` returns lists what was applied and what
was skipped and why.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from .base import SpeedOptions

log = logging.getLogger("reelforge.speed")

PRESET_NAMES = ("quality", "balanced", "fast")
BALANCED_FROM_GB = 48.0
""":func:`choose_preset` picks ``balanced`` from this much GPU memory, ``fast`` below."""
FP8_MIN_CAPABILITY = (8, 9)
"""FP8 matrix units: Ada (8.9), Hopper (9.0) and newer."""
DENOISERS = ("transformer", "transformer_2")
"""Pipeline components the attention, cache, FP8 and compile options apply to."""


@dataclass(frozen=True)
class Settings:
    """What a preset asks for, before the hardware has its say."""

    attention: str | None = None
    """``None``: leave PyTorch SDPA; ``exact``: the fastest exact kernel installed
    (FlashAttention 3, then 2); ``approximate``: SageAttention if installed, else ``exact``;
    or a diffusers backend name (``flash``, ``_flash_3``, ``sage``, ``native``...)."""
    cache: str = "none"
    """``none``, ``fbc`` (First Block Cache), ``taylorseer`` or ``mag`` (MagCache)."""
    cache_threshold: float | None = None
    compile: bool = False
    fp8: str = "off"
    """``off``, ``weight`` (FP8 weights, bf16 compute: memory) or ``dynamic`` (FP8 weights
    and activations: speed on FP8 matrix units)."""
    offload: str = "none"
    """``none``, ``model`` (one component on the GPU at a time), ``group`` (blocks streamed
    to the GPU as they run) or ``sequential`` (leaf modules, slowest, least memory)."""
    vae_tiling: bool = False


PRESETS: dict[str, Settings] = {
    "quality": Settings(),
    "balanced": Settings(attention="exact", cache="fbc", cache_threshold=0.05, compile=True),
    "fast": Settings(
        attention="approximate", cache="fbc", cache_threshold=0.1, compile=True, fp8="dynamic"
    ),
}
LOW_VRAM: dict[str, Any] = {"offload": "group", "vae_tiling": True}
"""What ``low_vram`` adds to a preset without a memory plan."""
OFFLOAD_OF_MODE = {
    "resident": "none",
    "model": "model",
    "group": "group",
    "sequential": "sequential",
}
"""A memory plan's mode as the ``offload`` setting that places it."""
CACHE_KINDS = ("none", "fbc", "taylorseer", "mag")
OFFLOAD_KINDS = ("none", "model", "group", "sequential")
FP8_KINDS = ("off", "weight", "dynamic")


@dataclass
class SpeedReport:
    """What :func:`apply_speed` did: ``applied`` and ``skipped`` as ``(option, detail)``."""

    preset: str
    low_vram: bool
    device: str
    applied: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def did(self, option: str, detail: str) -> None:
        self.applied.append((option, detail))
        log.info("speed: %s: %s", option, detail)

    def skip(self, option: str, reason: str) -> None:
        self.skipped.append((option, reason))
        log.info("speed: %s skipped: %s", option, reason)

    def has(self, option: str) -> bool:
        return any(name == option for name, _ in self.applied)

    def describe(self) -> str:
        done = ", ".join(f"{n} ({d})" for n, d in self.applied) or "nothing"
        skipped = "; ".join(f"{n}: {r}" for n, r in self.skipped)
        return f"{self.preset}{' + low-vram' if self.low_vram else ''} on {self.device}: {done}" + (
            f" — skipped {skipped}" if skipped else ""
        )


# --- choosing ------------------------------------------------------------------------------


def choose_preset(gpu_memory_gb: float | None) -> str:
    """The preset for a device with this much memory (``None``: the CPU).

    The CPU gets ``quality`` (caches save little there and tests compare outputs);
    GPUs from :data:`BALANCED_FROM_GB` get ``balanced``; smaller ones ``fast`` (the
    fastest kernels; where the weights go is the memory plan's choice).
    """
    if gpu_memory_gb is None:
        return "quality"
    return "balanced" if gpu_memory_gb >= BALANCED_FROM_GB else "fast"


def gpu_memory_gb(device: torch.device | str) -> float | None:
    """Memory this process may use on ``device`` in GB (``None`` for a non-CUDA device),
    honouring ``torch.cuda.set_per_process_memory_fraction`` where torch can report it."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    index = device.index if device.index is not None else torch.cuda.current_device()
    total = torch.cuda.get_device_properties(index).total_memory
    fraction = 1.0
    getter = getattr(torch.cuda, "get_per_process_memory_fraction", None)
    if getter is not None:
        try:
            fraction = float(getter(index))
        except (RuntimeError, TypeError, ValueError):
            fraction = 1.0
    return total * fraction / 1e9


def resolve(
    options: SpeedOptions, device: torch.device | str, memory_gb: float | None = None
) -> tuple[str, bool, Settings, set[str]]:
    """``(preset, low_vram, settings, explicit)``: the preset (chosen when not given),
    the settings after the options' own fields, and which fields the options set."""
    device = torch.device(device)
    if memory_gb is None:
        memory_gb = gpu_memory_gb(device)
    preset = options.preset or choose_preset(memory_gb)
    if preset not in PRESETS:
        raise ValueError(
            f"unknown speed preset {preset!r}; choose one of {', '.join(PRESET_NAMES)}"
        )
    low_vram = bool(options.low_vram)
    settings = PRESETS[preset]
    if low_vram:
        settings = replace(settings, **LOW_VRAM)
    explicit: set[str] = set()
    for name in (
        "attention",
        "cache",
        "cache_threshold",
        "compile",
        "fp8",
        "offload",
        "vae_tiling",
    ):
        value = getattr(options, name)
        if value is not None:
            settings = replace(settings, **{name: value})
            explicit.add(name)
    _validate(settings)
    return preset, low_vram, settings, explicit


def _validate(s: Settings) -> None:
    for value, kinds, what in (
        (s.cache, CACHE_KINDS, "cache"),
        (s.offload, OFFLOAD_KINDS, "offload"),
        (s.fp8, FP8_KINDS, "fp8"),
    ):
        if value not in kinds:
            raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(kinds)}")


# --- applying ------------------------------------------------------------------------------


def apply_speed(
    pipe: Any,
    options: SpeedOptions | None,
    device: torch.device | str,
    *,
    memory_gb: float | None = None,
    plan: Any = None,
) -> SpeedReport:
    """Apply ``options`` to ``pipe`` and place it on ``device``; returns what was done.

    ``plan`` (a :class:`~reelforge.engines.memory.Plan`) sets the placement and turns VAE
    tiling on where the decode needs it; ``memory_gb`` overrides the device's memory for
    the preset's choice (tests).
    """
    options = options or SpeedOptions()
    device = torch.device(device)
    if memory_gb is None:
        memory_gb = gpu_memory_gb(device)
    preset, low_vram, s, explicit = resolve(options, device, memory_gb)
    report = SpeedReport(preset, low_vram, str(device))
    cuda = device.type == "cuda"

    if plan is not None:
        s = replace(
            s, offload=OFFLOAD_OF_MODE[plan.mode], vae_tiling=s.vae_tiling or plan.vae_tiling
        )
        explicit.add("offload")
        report.low_vram = plan.mode != "resident"
        report.did(
            "memory plan",
            f"{plan.label}: {plan.gpu / 1e9:.1f} GB GPU, {plan.host / 1e9:.1f} GB host "
            f"for {plan.window.width}×{plan.window.height}×{plan.window.frames}",
        )

    denoisers = {n: m for n, m in _modules(pipe).items() if n in DENOISERS}

    # Placement decides what else can run: offloading keeps weights on the CPU.
    offload = s.offload
    if offload != "none" and not cuda and "offload" not in explicit:
        report.skip("offload", f"{device.type} has no separate memory to save")
        offload = "none"

    # 1. FP8 weights (before placement moves modules; quantize on the device).
    if s.fp8 != "off":
        reason = _fp8_unavailable(device, offload)
        if reason:
            report.skip("fp8", reason)
        else:
            for name, module in denoisers.items():
                module.to(device)
                _quantize_fp8(module, s.fp8)
                report.did("fp8", f"{name}: {s.fp8}")

    # 2. Attention backend.
    if s.attention is not None:
        _set_attention(denoisers, s.attention, device, report, "attention" in explicit)

    # 3. Cache hooks.
    if s.cache != "none":
        _enable_cache(denoisers, s, report)

    # 4. Placement.
    _place(pipe, offload, device, report)

    # 5. VAE tiling.
    if s.vae_tiling:
        vae = getattr(pipe, "vae", None)
        if vae is not None and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
            report.did("vae_tiling", type(vae).__name__)
        else:
            report.skip("vae_tiling", "the pipeline's VAE has no tiling")

    # 6. Regional compilation.
    if s.compile:
        if not cuda and "compile" not in explicit:
            report.skip(
                "compile", f"not worth compiling on {device.type} (pass compile=True to force)"
            )
        else:
            fullgraph = s.cache == "none" and offload == "none"
            for name, module in denoisers.items():
                try:
                    module.compile_repeated_blocks(fullgraph=fullgraph)
                    report.did("compile", f"{name} repeated blocks, fullgraph={fullgraph}")
                except (ValueError, AttributeError, RuntimeError) as exc:
                    report.skip("compile", f"{name}: {exc}")

    log.info("speed: %s", report.describe())
    return report


def _modules(pipe: Any) -> dict[str, torch.nn.Module]:
    components = getattr(pipe, "components", {}) or {}
    return {n: m for n, m in components.items() if isinstance(m, torch.nn.Module)}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# --- attention -----------------------------------------------------------------------------


def attention_backend(kind: str, device: torch.device) -> tuple[str | None, str]:
    """The diffusers attention backend for ``kind`` on ``device``, with why (``None``: keep SDPA)."""
    if kind not in ("exact", "approximate"):
        return kind, "asked for"
    if device.type != "cuda":
        return None, f"no flash or sage attention on {device.type}; PyTorch SDPA stays"
    major, minor = torch.cuda.get_device_capability(device)
    if kind == "approximate" and _installed("sageattention"):
        return "sage", "SageAttention (INT8 QK, approximate)"
    if (major, minor) >= (9, 0) and _installed("flash_attn_interface"):
        return "_flash_3", "FlashAttention 3 (Hopper)"
    if major >= 8 and _installed("flash_attn"):
        return "flash", "FlashAttention 2"
    return (
        None,
        "neither flash-attn nor sageattention is installed; PyTorch SDPA (its own flash kernel) stays",
    )


def _set_attention(
    denoisers: dict[str, torch.nn.Module],
    kind: str,
    device: torch.device,
    report: SpeedReport,
    explicit: bool,
) -> None:
    backend, why = attention_backend(kind, device)
    if backend is None:
        report.skip("attention", why)
        return
    if device.type != "cuda" and backend not in ("native", "_native_math", "flex"):
        report.skip("attention", f"{backend} needs a CUDA GPU")
        return
    for name, module in denoisers.items():
        if not hasattr(module, "set_attention_backend"):
            report.skip("attention", f"{name} cannot switch attention backends")
            continue
        try:
            module.set_attention_backend(backend)
            report.did("attention", f"{name}: {backend} ({why})")
        except (ValueError, RuntimeError, ImportError) as exc:
            report.skip("attention", f"{name}: {backend} unavailable ({exc})")


# --- caches --------------------------------------------------------------------------------


def cache_config(settings: Settings, module: torch.nn.Module, mag_ratios: Any = None) -> Any:
    """The diffusers cache config for ``settings.cache`` (``None`` when it cannot be built)."""
    from diffusers.hooks import FirstBlockCacheConfig, MagCacheConfig, TaylorSeerCacheConfig

    if settings.cache == "fbc":
        return FirstBlockCacheConfig(threshold=settings.cache_threshold or 0.05)
    if settings.cache == "taylorseer":
        # Predict the output projections from their Taylor expansion and skip the blocks
        # between full steps (diffusers' "lite" layout, with LTX-2's audio head too).
        dtype = next(module.parameters()).dtype
        return TaylorSeerCacheConfig(
            taylor_factors_dtype=dtype,
            cache_identifiers=list(TAYLORSEER_PREDICT),
            skip_predict_identifiers=list(TAYLORSEER_SKIP),
        )
    if settings.cache == "mag":
        if mag_ratios is None:
            return None
        ratios = list(mag_ratios)
        return MagCacheConfig(
            threshold=settings.cache_threshold or 0.06,
            mag_ratios=ratios,
            num_inference_steps=len(ratios),
        )
    return None


def _enable_cache(denoisers: dict[str, torch.nn.Module], s: Settings, report: SpeedReport) -> None:
    from .ltx2.internals import register_block_metadata

    register_block_metadata()
    for name, module in denoisers.items():
        if not hasattr(module, "enable_cache"):
            report.skip("cache", f"{name} has no cache hooks")
            continue
        config = cache_config(s, module, MAG_RATIOS.get(type(module).__name__))
        if config is None:
            report.skip(
                "cache", f"{s.cache}: no calibrated magnitude ratios for {type(module).__name__}"
            )
            continue
        if getattr(module, "is_cache_enabled", False):
            module.disable_cache()
        try:
            module.enable_cache(config)
            threshold = f" threshold {s.cache_threshold}" if s.cache_threshold is not None else ""
            report.did("cache", f"{name}: {s.cache}{threshold}")
        except (ValueError, RuntimeError) as exc:
            report.skip("cache", f"{name}: {s.cache} does not fit {type(module).__name__} ({exc})")


TAYLORSEER_PREDICT = (r"^proj_out$", r"^audio_proj_out$")
TAYLORSEER_SKIP = (r"^(transformer_blocks|blocks|vace_blocks)\.\d+$",)
MAG_RATIOS: dict[str, Any] = {}
"""Calibrated MagCache ratios per transformer class (``MagCacheConfig(calibrate=True)``);
none are known for LTX-2 or Wan 2.2 yet, so ``cache="mag"`` is skipped until added."""


# --- FP8 -----------------------------------------------------------------------------------


def _fp8_unavailable(device: torch.device, offload: str) -> str | None:
    if device.type != "cuda":
        return f"FP8 matrix units need a CUDA GPU, not {device.type}"
    if torch.cuda.get_device_capability(device) < FP8_MIN_CAPABILITY:
        return "FP8 needs compute capability 8.9 or newer (Ada, Hopper)"
    if not _installed("torchao"):
        return "torchao is not installed (pip install torchao)"
    if offload != "none":
        return "FP8 weights are not combined with offloading"
    return None


def _quantize_fp8(module: torch.nn.Module, mode: str) -> None:
    from torchao.quantization import quantize_

    try:
        from torchao.quantization import (
            Float8DynamicActivationFloat8WeightConfig,
            Float8WeightOnlyConfig,
            PerRow,
        )

        config = (
            Float8WeightOnlyConfig()
            if mode == "weight"
            else Float8DynamicActivationFloat8WeightConfig(granularity=PerRow())
        )
    except ImportError:  # older torchao
        from torchao.quantization import float8_dynamic_activation_float8_weight, float8_weight_only

        config = (
            float8_weight_only() if mode == "weight" else float8_dynamic_activation_float8_weight()
        )
    quantize_(module, config, filter_fn=_fp8_filter)


def _fp8_filter(module: torch.nn.Module, fqn: str) -> bool:
    """Quantize the blocks' linear layers; keep embeddings, norms and the output head."""
    return (
        isinstance(module, torch.nn.Linear)
        and ("blocks." in fqn)
        and module.in_features % 16 == 0
        and module.out_features % 16 == 0
    )


# --- placement -----------------------------------------------------------------------------


def _place(pipe: Any, offload: str, device: torch.device, report: SpeedReport) -> None:
    if offload == "none":
        pipe.to(device)
        return
    try:
        if offload == "model":
            pipe.enable_model_cpu_offload(device=device)
            report.did("offload", f"model CPU offload onto {device}")
        elif offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=device)
            report.did("offload", f"sequential CPU offload onto {device}")
        else:
            cuda = device.type == "cuda"
            # low_cpu_mem_usage: each group's weights are pinned as they stream, never a
            # second pinned host copy of the whole model (issue 12: 2 × 68 GB for LTX-2).
            pipe.enable_group_offload(
                onload_device=device,
                offload_device=torch.device("cpu"),
                offload_type="leaf_level",
                use_stream=cuda,
                record_stream=cuda,
                low_cpu_mem_usage=True,
            )
            report.did(
                "offload",
                f"group offload (leaf level{', CUDA streams' if cuda else ''}) onto {device}",
            )
    except (RuntimeError, ValueError, ImportError) as exc:
        report.skip("offload", f"{offload}: {exc}")
        pipe.to(device)


def undo_speed(pipe: Any, report: SpeedReport | None = None) -> None:
    """Take the reversible options off ``pipe`` (cache hooks, attention backend, compiled
    blocks), e.g. to apply another preset to a pipeline that stays loaded.

    FP8 weights and offloading cannot be undone in place: rebuild or reload the pipeline.
    """
    if report is not None and (report.has("fp8") or report.has("offload")):
        raise ValueError("FP8 weights and offloading cannot be undone: reload the pipeline")
    for module in (m for n, m in _modules(pipe).items() if n in DENOISERS):
        if getattr(module, "is_cache_enabled", False):
            module.disable_cache()
        if report is None or report.has("attention"):
            try:
                module.set_attention_backend("native")
            except (AttributeError, ValueError, RuntimeError):
                pass
        for sub in module.modules():
            if getattr(sub, "_compiled_call_impl", None) is not None:
                sub._compiled_call_impl = None
