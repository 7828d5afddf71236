"""FLOPs of a 5 s clip on every GPU tier, counted: where the lineup's time estimates come from.

For every GPU tier × engine it offers (its default, and the ``model`` a request may name
instead: cinema runs LTX-2.5 and offers LTX-2) × resolution, a 5 s request is planned by
the real planner (size, frames, fps, windows: ``reelforge.planning.plan``), and every piece
of compute a render of it runs is counted with ``torch.utils.flop_counter.FlopCounterMode``
(as ``bench/gpu.py`` counts the transformer) on the full-size architectures built on the
meta device: no weights, no arithmetic, shapes only, so a 22B model at 4K counts in seconds
on a CPU.

Counted, per window of the plan:

- every transformer forward of every denoising step. LTX runs the stages
  ``reelforge.engines.ltx2.schedule.for_segment`` plans for the engine (LTX-2 19B:
  ``testing.ltx2.FULL``; LTX-2.5 22B: ``testing.ltx25.FULL25``, with its own stage-1 steps and STG
  block); a step with guidance is one forward with the batch doubled for CFG, one more
  for STG and one more for modality guidance (the stock ``LTX2Pipeline`` and
  ``held.denoise`` alike); refine stages on the dev weights carry the model's distilled
  LoRA unfused (its rank, from its file name, on every ``nn.Linear``: an upper bound, the
  real files' targets were not readable here). Wan runs its recipe's steps
  (``engines/wan/schedule.py``), CFG as two forwards of batch 1 (the stock Wan pipelines);
- the text encoder for each pipeline call (LTX-2: Gemma 3 12B, LTX-2.5: Gemma 4 12B, on
  1024 tokens per prompt, negative and positive when the stage has CFG; Wan: UMT5-XXL on
  512);
- LTX's latent upsampler between stages, the video VAE decode (tiled as the engine
  decodes, overlaps included) and, where the tier makes sound, the audio VAE and vocoder;
  the Wan VAE decode.

Left out (each well under 1 % of a clip): LTX's text connectors (data-dependent register
packing that does not run on the meta device; LTX-2.5's, 3.2 B parameters, are about
7 TFLOP per 1024-token prompt: 2 × parameters × tokens), encodes of conditioning inputs
(start images, VACE's control video, Animate's pose and reference latents, its CLIP image
embedding), per-token timestep embeddings of held tokens, scheduler arithmetic.

    python bench/flops.py            # print the table
    python bench/flops.py --write    # and rewrite src/reelforge/lineup/compute.json
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
COMPUTE_JSON = REPO / "src" / "reelforge" / "lineup" / "compute.json"
CLIP_SECONDS = 5.0
"""The clip every tier × resolution is counted for (the API's default duration)."""
LTX2_TEXT_TOKENS = 1024
"""``LTX2Pipeline``'s ``max_sequence_length`` (and the engines' ``encode_prompt`` calls'): prompts are
padded to it, so Gemma always reads 1024 tokens."""
LORA_RANK_IN_NAME = re.compile(r"distilled-lora-(\d+)")
"""Lightricks name each distilled LoRA by its rank: ``ltx-2-19b-distilled-lora-384``,
``ltx-2.5-22b-distilled-lora-450-bf16``."""
PLACEHOLDER = Path("flops-input")
"""Stands for an input file: the planner never opens one."""


def count(fn: Callable[[], Any]) -> int:
    """FLOPs of ``fn()`` (matmuls, convolutions, attention) under ``FlopCounterMode``."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as mode, torch.no_grad():
        fn()
    return int(mode.get_total_flops())


@dataclass(frozen=True)
class Part:
    """One kind of work in a clip: ``calls`` times ``flops`` each."""

    what: str
    calls: int
    flops: int

    @property
    def total(self) -> int:
        return self.calls * self.flops


# --- LTX-2 -----------------------------------------------------------------------------------


def ltx_architecture(engine: str) -> tuple[dict[str, Any], Callable[..., Any], str]:
    """An LTX engine's full-size config, its ``(LTX2Pipeline, latent_upsampler)`` builder
    and its text encoder (``ltx2_distilled`` is LTX-2's distilled checkpoint: the same
    architecture)."""
    from reelforge.engines.ltx2 import presets
    from reelforge.testing import ltx2, ltx25

    return {
        presets.LTX2.name: (ltx2.FULL, ltx2.build_ltx2_pipeline, "Gemma 3 12B"),
        presets.LTX25.name: (ltx25.FULL25, ltx25.build_ltx25_pipeline, "Gemma 4 12B"),
    }[presets.MODELS[engine].name]


def lora_rank(engine: str) -> int:
    """The rank of ``engine``'s distilled LoRA, read from the name of the file it loads."""
    from reelforge.engines.registry import _engine_class

    name = _engine_class(engine, None).distilled_lora_file
    found = LORA_RANK_IN_NAME.search(name)
    if found is None:
        raise ValueError(f"{engine}'s distilled LoRA {name!r} does not say its rank")
    return int(found.group(1))


class LTX2Counter:
    """The LTX model of ``engine`` (``ltx2``, ``ltx2_distilled``, ``ltx25``) at full size, or
    at ``config`` (``testing.ltx2.TINY``, ``testing.ltx25.TINY25``), on ``device`` ("meta": shapes only)."""

    def __init__(
        self, engine: str = "ltx2", config: dict[str, Any] | None = None, device: str = "meta"
    ) -> None:
        import torch

        full, build, self.text_encoder = ltx_architecture(engine)
        self.engine = engine
        self.config = config or full
        self.device = device
        self.dtype = torch.bfloat16 if device == "meta" else torch.float32
        self.pipe, self.upsampler = build(
            self.config, dtype=self.dtype, device=device, with_upsampler=True
        )
        self.lora_rank = lora_rank(engine)
        self._lora: Any = None

    @property
    def cross_timestep(self) -> bool:
        """What ``LTX2Engine.cross_timestep`` passes: LTX-2.3 and later (no prompt
        embeddings in the transformer) modulate cross-attention by the other stream's sigma."""
        return not self.pipe.transformer.config.use_prompt_embeddings

    def empty(self, *shape: int, dtype: Any = None) -> Any:
        import torch

        return torch.empty(*shape, device=self.device, dtype=dtype or self.dtype)

    def forward_kwargs(
        self, batch: int, width: int, height: int, frames: int, fps: float, text_tokens: int
    ) -> dict[str, Any]:
        """The transformer's inputs for ``batch`` clips of ``width``×``height``×``frames``,
        shaped as ``LTX2Pipeline`` passes them (video and audio tokens, text embeddings)."""
        from reelforge.engines.ltx2.audio import latent_frames
        from reelforge.engines.ltx2.video import video_latent_frames

        pipe, config = self.pipe, self.pipe.transformer.config
        f = video_latent_frames(pipe, frames) // pipe.transformer_temporal_patch_size
        h = height // pipe.vae_spatial_compression_ratio // pipe.transformer_spatial_patch_size
        w = width // pipe.vae_spatial_compression_ratio // pipe.transformer_spatial_patch_size
        audio = latent_frames(pipe, frames / fps)
        # LTX-2.0 projects the text inside the transformer; from 2.3 on, the connectors hand
        # each stream text as wide as itself.
        if config.use_prompt_embeddings:
            widths = (config.caption_channels, config.caption_channels)
        else:
            widths = (config.cross_attention_dim, config.audio_cross_attention_dim)
        mask = self.empty(batch, text_tokens, dtype=self.dtype)
        t = self.empty(batch)
        return dict(
            hidden_states=self.empty(batch, f * h * w, config.in_channels),
            audio_hidden_states=self.empty(batch, audio, config.audio_in_channels),
            encoder_hidden_states=self.empty(batch, text_tokens, widths[0]),
            audio_encoder_hidden_states=self.empty(batch, text_tokens, widths[1]),
            timestep=t,
            sigma=t,
            encoder_attention_mask=mask,
            audio_encoder_attention_mask=mask,
            num_frames=f,
            height=h,
            width=w,
            fps=float(fps),
            audio_num_frames=audio,
            use_cross_timestep=self.cross_timestep,
            return_dict=False,
        )

    @staticmethod
    def passes(guidance: Any) -> list[tuple[str, int, dict[str, Any]]]:
        """The forwards of one step under ``guidance``: ``(name, batch, extra kwargs)``, as
        the stock pipelines and ``held.denoise`` run them."""
        out = [("CFG pair", 2, {})] if guidance.cfg else [("plain", 1, {})]
        if guidance.stg:
            out.append(("STG", 1, {"spatio_temporal_guidance_blocks": list(guidance.stg_blocks)}))
        if guidance.modality:
            out.append(("modality", 1, {"isolate_modalities": True}))
        return out

    def step(
        self,
        guidance: Any,
        width: int,
        height: int,
        frames: int,
        fps: float,
        text_tokens: int = LTX2_TEXT_TOKENS,
        lora: bool = False,
    ) -> int:
        """FLOPs of one denoising step (all its forwards) of the transformer."""
        transformer = self.lora_transformer() if lora else self.pipe.transformer
        total = 0
        for _, batch, extra in self.passes(guidance):
            kwargs = self.forward_kwargs(batch, width, height, frames, fps, text_tokens)
            total += count(lambda kw={**kwargs, **extra}: transformer(**kw))
        return total

    def lora_transformer(self) -> Any:
        """A second transformer of the same config with an unfused LoRA of the model's rank
        on every ``nn.Linear`` (``testing.ltx2.lora_targets``: what the tiny LoRA covers)."""
        if self._lora is None:
            import torch
            from diffusers import LTX2VideoTransformer3DModel
            from peft import LoraConfig, inject_adapter_in_model

            from reelforge.testing.ltx2 import lora_targets

            with torch.device(self.device):
                model = LTX2VideoTransformer3DModel(**self.config["transformer"]).to(self.dtype)
                targets = lora_targets(model)
                rank = self.lora_rank
                self._lora = inject_adapter_in_model(
                    LoraConfig(r=rank, lora_alpha=rank, target_modules=targets), model
                ).eval()
        return self._lora

    def text(self, batch: int, tokens: int = LTX2_TEXT_TOKENS) -> int:
        """Gemma on ``batch`` prompts of ``tokens`` (every layer's hidden state kept, as
        the pipeline asks). Its attention masks are handed over as made (none per layer
        type): making them takes data-dependent steps the meta device cannot (Gemma 3's
        padding check, Gemma 4's packed-sequence check), and attention is counted in full
        whatever a mask hides."""
        import torch

        ids = torch.zeros(batch, tokens, dtype=torch.long, device=self.device)
        text = self.pipe.text_encoder.config.get_text_config()
        masks = dict.fromkeys(set(text.layer_types))
        return count(
            lambda: self.pipe.text_encoder(
                input_ids=ids, attention_mask=masks, output_hidden_states=True
            )
        )

    def upsample(self, width: int, height: int, frames: int) -> int:
        """The latent upsampler (×2) on a stage of ``width``×``height``×``frames``."""
        from reelforge.engines.ltx2.video import video_latent_frames

        pipe, ratio = self.pipe, self.pipe.vae_spatial_compression_ratio
        latents = self.empty(
            1,
            pipe.vae.config.latent_channels,
            video_latent_frames(pipe, frames),
            height // ratio,
            width // ratio,
        )
        return count(lambda: self.upsampler(latents))

    def decode(self, width: int, height: int, frames: int) -> int:
        """The video VAE decode, tiled as the engine decodes (``engine.VAE_TILING``)."""
        from reelforge.engines.ltx2.engine import VAE_TILING
        from reelforge.engines.ltx2.video import video_latent_frames

        pipe, ratio = self.pipe, self.pipe.vae_spatial_compression_ratio
        latents = self.empty(
            1,
            pipe.vae.config.latent_channels,
            video_latent_frames(pipe, frames),
            height // ratio,
            width // ratio,
        )
        pipe.vae.enable_tiling(**VAE_TILING)
        try:
            return count(lambda: pipe.vae.decode(latents, None, return_dict=False))
        finally:
            pipe.vae.disable_tiling()

    def audio_decode(self, seconds: float) -> int:
        """The audio VAE decode and the vocoder (``audio.decode_raw_audio``)."""
        from reelforge.engines.ltx2.audio import decode_raw_audio, latent_frames

        vae = self.pipe.audio_vae
        latents = self.empty(
            1,
            vae.config.latent_channels,
            latent_frames(self.pipe, seconds),
            vae.config.mel_bins // self.pipe.audio_vae_mel_compression_ratio,
        )
        return count(lambda: decode_raw_audio(self.pipe, latents))

    def segment(self, tier: str, segment: Any, sound: bool) -> list[Part]:
        """Everything one window of ``tier`` runs on this counter's engine, stage by stage
        (the stages the engine runs: ``schedule.for_segment``)."""
        from reelforge.engines.ltx2 import schedule

        plan = schedule.for_segment(
            self.engine, tier, segment, self.pipe.transformer.config.num_layers
        )
        parts: list[Part] = []
        previous = None
        for stage in plan:
            size = f"{stage.width}×{stage.height}×{stage.frames}"
            if previous is not None:
                parts.append(
                    Part(
                        f"{stage.name}: latent upsampler ×2 → {size}",
                        1,
                        self.upsample(previous.width, previous.height, previous.frames),
                    )
                )
            g = stage.guidance
            parts.append(
                Part(
                    f"{stage.name}: text encoder ({self.text_encoder}, {2 if g.cfg else 1} × "
                    f"{LTX2_TEXT_TOKENS} tokens)",
                    1,
                    self.text(2 if g.cfg else 1),
                )
            )
            forwards = " + ".join(name for name, _, _ in self.passes(g))
            lora = stage.weights == schedule.DEV_LORA
            parts.append(
                Part(
                    f"{stage.name}: transformer {size}, {stage.weights}"
                    f"{f' (LoRA rank {self.lora_rank}, unfused)' if lora else ''}, "
                    f"{stage.steps} steps × ({forwards})",
                    stage.steps,
                    self.step(g, stage.width, stage.height, stage.frames, segment.fps, lora=lora),
                )
            )
            previous = stage
        parts.append(
            Part(
                f"video VAE decode {segment.width}×{segment.height}×{segment.frames} (tiled)",
                1,
                self.decode(segment.width, segment.height, segment.frames),
            )
        )
        if sound:
            seconds = segment.frames / segment.fps
            parts.append(Part("audio VAE decode + vocoder", 1, self.audio_decode(seconds)))
        return parts


# --- Wan -------------------------------------------------------------------------------------


WAN_KINDS = {"wan": "ti2v", "wan_vace": "vace", "wan_animate": "animate"}
"""The ``reelforge.testing.wan`` config of each Wan engine of the lineup."""


class WanCounter:
    """One Wan pipeline (``testing.wan.FULL[kind]`` or ``TINY[kind]``) on ``device``."""

    def __init__(self, kind: str, tiny: bool = False, device: str = "meta") -> None:
        import torch

        from reelforge.testing import wan

        self.kind = kind
        self.device = device
        self.dtype = torch.bfloat16 if device == "meta" else torch.float32
        configs = wan.TINY if tiny else wan.FULL
        self.pipe = wan.build_wan_pipeline(configs[kind], dtype=self.dtype, device=device)
        self.text_tokens = configs[kind].tokenizer_max_length

    def empty(self, *shape: int) -> Any:
        import torch

        return torch.empty(*shape, device=self.device, dtype=self.dtype)

    def latent_size(self, width: int, height: int, frames: int) -> tuple[int, int, int]:
        pipe = self.pipe
        return (
            (frames - 1) // pipe.vae_scale_factor_temporal + 1,
            height // pipe.vae_scale_factor_spatial,
            width // pipe.vae_scale_factor_spatial,
        )

    def forward_kwargs(
        self, width: int, height: int, frames: int, references: int = 0
    ) -> dict[str, Any]:
        """One forward's inputs (batch 1), shaped as the kind's stock pipeline passes them."""
        pipe = self.pipe
        config = pipe.transformer.config
        f, h, w = self.latent_size(width, height, frames)
        text = self.empty(1, self.text_tokens, config.text_dim)
        if self.kind == "vace":
            f += references  # reference images are extra latent frames in front
            return dict(
                hidden_states=self.empty(1, config.in_channels, f, h, w),
                timestep=self.empty(1),
                encoder_hidden_states=text,
                control_hidden_states=self.empty(1, config.vace_in_channels, f, h, w),
                control_hidden_states_scale=self.empty(len(config.vace_layers)),
                return_dict=False,
            )
        if self.kind == "animate":
            image_tokens = (
                pipe.image_encoder.config.image_size // pipe.image_encoder.config.patch_size
            )
            size = config.motion_encoder_size
            return dict(
                # noise + reference/previous-segment latents (channels), reference frame in front
                hidden_states=self.empty(1, config.in_channels, f + 1, h, w),
                timestep=self.empty(1),
                encoder_hidden_states=text,
                encoder_hidden_states_image=self.empty(1, image_tokens**2 + 1, config.image_dim),
                pose_hidden_states=self.empty(1, config.latent_channels, f, h, w),
                face_pixel_values=self.empty(1, 3, frames, size, size),
                return_dict=False,
            )
        p = config.patch_size
        expand = pipe.config.get("expand_timesteps", False)
        timestep = (
            self.empty(1, f * (h // p[1]) * (w // p[2])) if expand else self.empty(1)
        )  # TI2V: one timestep per token
        return dict(
            hidden_states=self.empty(1, config.in_channels, f, h, w),
            timestep=timestep,
            encoder_hidden_states=text,
            return_dict=False,
        )

    def step(self, width: int, height: int, frames: int, cfg: bool, references: int = 0) -> int:
        """One denoising step: one forward, two with CFG (conditional, unconditional)."""
        kwargs = self.forward_kwargs(width, height, frames, references)
        return (2 if cfg else 1) * count(lambda: self.pipe.transformer(**kwargs))

    def text(self, batch: int) -> int:
        import torch

        ids = torch.zeros(batch, self.text_tokens, dtype=torch.long, device=self.device)
        return count(lambda: self.pipe.text_encoder(input_ids=ids))

    def decode(self, width: int, height: int, frames: int) -> int:
        f, h, w = self.latent_size(width, height, frames)
        latents = self.empty(1, self.pipe.vae.config.z_dim, f, h, w)
        return count(lambda: self.pipe.vae.decode(latents, return_dict=False))

    def segment(self, engine: str, segment: Any) -> list[Part]:
        """Everything one Wan window of ``engine`` runs: the call ``wan.schedule.stage``
        plans (the recipe's steps and guidance, which the engine reads)."""
        from reelforge.engines.wan import schedule as wan_schedule

        stage = wan_schedule.stage(
            engine, segment.width, segment.height, segment.frames, segment.steps
        )
        steps = stage.steps
        cfg = stage.guidance_scale > 1.0
        references = len(segment.conditioning.references) + (
            1
            if segment.conditioning.anchor is not None and segment.conditioning.anchor.image
            else 0
        )
        size = f"{segment.width}×{segment.height}×{segment.frames}"
        extra = f", {references} reference image(s)" if self.kind == "vace" else ""
        return [
            Part(
                f"text encoder (UMT5-XXL, {2 if cfg else 1} × {self.text_tokens} tokens)",
                1,
                self.text(2 if cfg else 1),
            ),
            Part(
                f"transformer {size}{extra}, {steps} steps × ({'CFG: 2 forwards' if cfg else '1 forward'})",
                steps,
                self.step(segment.width, segment.height, segment.frames, cfg, references),
            ),
            Part(
                f"VAE decode {size}", 1, self.decode(segment.width, segment.height, segment.frames)
            ),
        ]


# --- the lineup ------------------------------------------------------------------------------


def planned(
    tier: Any, resolution: str, engine: str | None = None, seconds: float = CLIP_SECONDS
) -> Any:
    """The planner's plan of a ``seconds`` request of the tier's first workflow at
    ``resolution`` on ``engine`` (None: the tier's own; another is the request's ``model``,
    planned as ``preflight`` plans it), 16:9; inputs are placeholders the planner never
    opens."""
    from reelforge.planning.planner import DEFAULT_ASPECT, plan
    from reelforge.request import limits
    from reelforge.request.check import CheckedRequest
    from reelforge.request.models import parse_request

    workflow = tier.workflows[0]
    data: dict[str, Any] = {
        "workflow": workflow,
        "prompt": "A lighthouse keeper climbs the spiral stairs at dusk; waves crash below.",
        "tier": tier.name,
        "resolution": resolution,
        "duration": seconds,
        "aspect_ratio": limits.DEFAULT_ASPECT_RATIO,
    }
    if workflow == "omni":
        data["images"] = [{"path": PLACEHOLDER}]
    if workflow == "motion":
        data.update(image=PLACEHOLDER, video=PLACEHOLDER)
    if workflow == "avatar":
        data.update(image=PLACEHOLDER, audio_file=PLACEHOLDER)
    if engine is not None and engine != tier.engine:
        data["model"] = engine
    request = parse_request(data)
    checked = CheckedRequest(request, seconds, DEFAULT_ASPECT, {})
    return plan(checked, tier, seed=1, engine=tier.engine_for(request.model))


@dataclass
class Row:
    tier: str
    resolution: str
    engine: str
    width: int
    height: int
    fps: int
    frames: int
    windows: int
    seconds: float
    flops: int
    parts: list[Part]

    @property
    def flops_per_second(self) -> float:
        return self.flops / self.seconds


class Lineup:
    """Counts every GPU tier of ``reelforge.lineup.TIERS`` on every engine it offers;
    builds each model once."""

    def __init__(self) -> None:
        self._ltx: dict[str, LTX2Counter] = {}
        self._wan: dict[str, WanCounter] = {}

    def ltx(self, engine: str) -> LTX2Counter:
        if engine not in self._ltx:
            self._ltx[engine] = LTX2Counter(engine)
        return self._ltx[engine]

    def wan(self, kind: str) -> WanCounter:
        if kind not in self._wan:
            self._wan[kind] = WanCounter(kind)
        return self._wan[kind]

    def row(self, tier: Any, resolution: str, engine: str | None = None) -> Row:
        """``tier`` at ``resolution`` on ``engine`` (None: the tier's default)."""
        from reelforge.engines.ltx2.presets import MODELS

        engine = engine or tier.engine
        plan = planned(tier, resolution, engine)
        parts: list[Part] = []
        for segment in plan.segments:
            prefix = f"window {segment.index + 1}: " if len(plan.segments) > 1 else ""
            if engine in MODELS:
                sound = plan.audio_source == "engine"
                found = self.ltx(engine).segment(tier.name, segment, sound)
            else:
                found = self.wan(WAN_KINDS[engine]).segment(engine, segment)
            parts += [Part(prefix + p.what, p.calls, p.flops) for p in found]
        first = plan.segments[0]
        return Row(
            tier=tier.name,
            resolution=resolution,
            engine=engine,
            width=first.width,
            height=first.height,
            fps=first.fps,
            frames=sum(s.keep_frames for s in plan.segments),
            windows=len(plan.segments),
            seconds=sum(s.keep_frames for s in plan.segments) / first.fps,
            flops=sum(p.total for p in parts),
            parts=parts,
        )

    def rows(self, tiers: list[str] | None = None) -> Iterator[Row]:
        from reelforge.lineup import TIERS

        for tier in TIERS.values():
            if not tier.traits.needs_weights or (tiers and tier.name not in tiers):
                continue
            for engine in (tier.engine, *tier.models):
                for resolution in tier.resolutions:
                    print(f"[flops] {tier.name} {engine} {resolution}", file=sys.stderr, flush=True)
                    yield self.row(tier, resolution, engine)


# --- output ----------------------------------------------------------------------------------


def how() -> str:
    import diffusers
    import torch
    import transformers

    return (
        f"bench/flops.py: FlopCounterMode on the meta device (full-size architectures, no "
        f"weights), torch {torch.__version__}, diffusers {diffusers.__version__}, "
        f"transformers {transformers.__version__}, Python {platform.python_version()}; a "
        f"{CLIP_SECONDS:g} s clip planned by the planner"
    )


def as_json(rows: list[Row]) -> dict[str, Any]:
    """``tiers`` → tier → engine → resolution → the row (``compute.COUNTED``'s layout)."""
    tiers: dict[str, dict[str, Any]] = {}
    for r in rows:
        tiers.setdefault(r.tier, {}).setdefault(r.engine, {})[r.resolution] = {
            "flops_per_output_second": r.flops_per_second,
            "flops": r.flops,
            "size": f"{r.width}×{r.height}",
            "fps": r.fps,
            "output_frames": r.frames,
            "windows": r.windows,
            "parts": [{**asdict(p), "total": p.total} for p in r.parts],
        }
    return {
        "how": how(),
        "date": date.today().isoformat(),
        "clip_seconds": CLIP_SECONDS,
        "tiers": tiers,
    }


def markdown(rows: list[Row]) -> str:
    from reelforge.lineup import compute

    peak = compute.GPU_PEAK_FLOPS * compute.UTILISATION
    lines = [
        f"| tier | resolution | engine | render size, output frames (fps) | windows | PFLOP per output s | "
        f"s per output s on {compute.GPU} at {compute.UTILISATION:.0%} |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.tier} | {r.resolution} | {r.engine} | {r.width}×{r.height}, {r.frames} ({r.fps}) "
            f"| {r.windows} | {r.flops_per_second / 1e15:.1f} | {r.flops_per_second / peak:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tiers", default="", help="comma-separated tiers (default: every GPU tier)"
    )
    parser.add_argument(
        "--write", action="store_true", help=f"rewrite {COMPUTE_JSON.relative_to(REPO)}"
    )
    parser.add_argument("--output", type=Path, default=COMPUTE_JSON, help=argparse.SUPPRESS)
    parser.add_argument("--parts", action="store_true", help="print every counted part")
    args = parser.parse_args(argv)
    if args.write and args.tiers:
        parser.error("--write rewrites every tier: leave out --tiers")
    lineup = Lineup()
    rows = list(lineup.rows([t for t in args.tiers.split(",") if t]))
    if args.parts:
        for r in rows:
            print(f"{r.tier} {r.resolution}: {r.flops / 1e15:.2f} PFLOP")
            for p in r.parts:
                print(f"    {p.total / 1e12:12.1f} TFLOP  {p.what}")
    print(markdown(rows))
    if args.write:
        args.output.write_text(json.dumps(as_json(rows), indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
