"""Weights and shapes of every engine's full-size components, counted on the meta device:
the numbers ``reelforge.engines.memory`` plans GPU and host memory with.

For every engine of the lineup, the full-size architectures ``bench/flops.py`` counts FLOPs
on (``LTX2Counter``: ``testing.ltx2.FULL``, ``testing.ltx25.FULL25``; ``WanCounter``: ``testing.wan.FULL``)
are built on the meta device (no weights, no memory) and this records:

- each component's parameters and buffers, and its largest leaf module (what leaf-level
  group or sequential offloading puts on the GPU at a time); LTX's latent upsampler; the
  distilled LoRA of the engines that refine with it (its rank on every ``nn.Linear``, as
  ``flops.py`` counts it: an upper bound);
- the transformer's width (hidden, feed-forward) and how many pixels and frames one token
  covers; the text encoder's width, depth and prompt length;
- the video VAE decode's largest activation per output pixel, found by running the decode
  on the meta device with a hook on every leaf module (the largest output), and its tiles
  (``engine.VAE_TILING`` for LTX, diffusers' defaults for Wan).

    python bench/memory.py            # print the table
    python bench/memory.py --write    # and rewrite src/reelforge/engines/memory.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path
from typing import Any

from flops import WAN_KINDS, LTX2Counter, WanCounter

REPO = Path(__file__).resolve().parents[1]
MEMORY_JSON = REPO / "src" / "reelforge" / "engines" / "memory.json"
PROBE_LATENT_FRAMES = 2
"""Latent frames of the meta decode that finds the VAE's largest activation (LTX: 9 output
frames decoded at once; Wan: its second causal chunk, the widest)."""
PROBE_LATENT_SIDE = 8
"""Latent height and width of that decode."""
LTX_ENGINES = ("ltx2", "ltx2_distilled", "ltx25")


def params(module: Any) -> int:
    """Parameters and buffers of ``module``."""
    return sum(t.numel() for t in module.parameters()) + sum(t.numel() for t in module.buffers())


def largest_leaf(module: Any) -> int:
    """Parameters and buffers of ``module``'s largest leaf module (or of itself)."""
    leaves = [m for m in module.modules() if not list(m.children())] or [module]
    return max(
        sum(t.numel() for t in m.parameters(recurse=False))
        + sum(t.numel() for t in m.buffers(recurse=False))
        for m in leaves
    )


def component(module: Any) -> dict[str, int]:
    return {"parameters": params(module), "largest_leaf": largest_leaf(module)}


def decode_probe(vae: Any, latent_channels: int) -> dict[str, Any]:
    """The largest activation of a meta decode of a small latent, per output pixel of the
    frames the decode holds at once (LTX: all of them; Wan: one causal chunk)."""
    import torch

    largest = 0

    def hook(_module: Any, _inputs: Any, output: Any) -> None:
        nonlocal largest
        if isinstance(output, torch.Tensor):
            largest = max(largest, output.numel())

    leaves = [m for m in vae.decoder.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    dtype = next(vae.parameters()).dtype
    side = PROBE_LATENT_SIDE
    latents = torch.empty(
        1, latent_channels, PROBE_LATENT_FRAMES, side, side, device="meta", dtype=dtype
    )
    try:
        with torch.no_grad():
            video = vae.decode(latents, return_dict=False)[0]
    finally:
        for h in handles:
            h.remove()
    frames, height, width = video.shape[-3:]
    return {"largest_activation": largest, "frames": frames, "height": height, "width": width}


def ltx_entry(engine: str) -> dict[str, Any]:
    from reelforge.engines.ltx2.engine import VAE_TILING

    counter = LTX2Counter(engine)
    pipe = counter.pipe
    modules = {n: m for n, m in pipe.components.items() if hasattr(m, "parameters")}
    components = {n: component(m) for n, m in modules.items()}
    components["latent_upsampler"] = component(counter.upsampler)
    if engine != "ltx2_distilled":  # the budget engine's stages are all distilled: no LoRA
        lora = counter.lora_transformer()
        size = sum(p.numel() for n, p in lora.named_parameters() if "lora_" in n)
        largest = max(
            sum(p.numel() for n, p in m.named_parameters(recurse=False) if "lora_" in n)
            for m in lora.modules()
        )
        components["distilled_lora"] = {
            "parameters": size,
            "largest_leaf": largest,
            "rank": counter.lora_rank,
            "with": "transformer",
        }
    t = pipe.transformer.config
    text = pipe.text_encoder.config.get_text_config()
    from flops import LTX2_TEXT_TOKENS

    probe = decode_probe(pipe.vae, pipe.vae.config.latent_channels)
    return {
        "components": components,
        "transformer": {
            "hidden": t.num_attention_heads * t.attention_head_dim,
            "ffn": feed_forward(pipe.transformer.transformer_blocks[0]),
            "pixels_per_token": pipe.vae_spatial_compression_ratio * t.patch_size,
            "frames_per_token": pipe.vae_temporal_compression_ratio * t.patch_size_t,
            "extra_hidden_widths": 0,
        },
        "text_encoder": {
            "hidden": text.hidden_size,
            "ffn": text.intermediate_size,
            "layers": text.num_hidden_layers,
            "tokens": LTX2_TEXT_TOKENS,
        },
        "vae": {
            **probe,
            "all_frames_at_once": True,
            "tile": {
                "height": VAE_TILING["tile_sample_min_height"],
                "width": VAE_TILING["tile_sample_min_width"],
                "frames": VAE_TILING["tile_sample_min_num_frames"],
            },
        },
    }


def wan_entry(engine: str) -> dict[str, Any]:
    counter = WanCounter(WAN_KINDS[engine])
    pipe = counter.pipe
    modules = {n: m for n, m in pipe.components.items() if hasattr(m, "parameters")}
    t = pipe.transformer.config
    text = pipe.text_encoder.config
    vae = pipe.vae
    block = pipe.transformer.blocks[0]
    return {
        "components": {n: component(m) for n, m in modules.items()},
        "transformer": {
            "hidden": t.num_attention_heads * t.attention_head_dim,
            "ffn": feed_forward(block),
            "pixels_per_token": pipe.vae_scale_factor_spatial * t.patch_size[1],
            "frames_per_token": pipe.vae_scale_factor_temporal * t.patch_size[0],
            # VACE's control hints: one hidden state per VACE layer, all computed before the
            # blocks run.
            "extra_hidden_widths": len(getattr(t, "vace_layers", None) or ()),
        },
        "text_encoder": {
            "hidden": text.d_model,
            "ffn": text.d_ff,
            "layers": text.num_layers,
            "tokens": counter.text_tokens,
        },
        "vae": {
            **decode_probe(vae, vae.config.z_dim),
            # AutoencoderKLWan._decode runs the decoder one latent frame at a time (its
            # causal cache carries the rest).
            "all_frames_at_once": False,
            "tile": {
                "height": vae.tile_sample_min_height,
                "width": vae.tile_sample_min_width,
                "frames": None,
            },
        },
    }


def feed_forward(block: Any) -> int:
    """The widest linear output of a transformer block (its feed-forward's inner width)."""
    import torch

    return max(m.out_features for m in block.modules() if isinstance(m, torch.nn.Linear))


def how() -> str:
    import diffusers
    import torch
    import transformers

    return (
        f"bench/memory.py: full-size architectures on the meta device (no weights), torch "
        f"{torch.__version__}, diffusers {diffusers.__version__}, transformers "
        f"{transformers.__version__}, Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", action="store_true", help=f"rewrite {MEMORY_JSON.relative_to(REPO)}"
    )
    parser.add_argument("--output", type=Path, default=MEMORY_JSON, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engines: dict[str, Any] = {}
    for engine in (*LTX_ENGINES, *WAN_KINDS):
        print(f"[memory] {engine}", file=sys.stderr, flush=True)
        engines[engine] = ltx_entry(engine) if engine in LTX_ENGINES else wan_entry(engine)
        for name, c in engines[engine]["components"].items():
            print(f"{engine:16s} {name:18s} {c['parameters'] / 1e9:8.3f} B parameters")
    data = {"how": how(), "date": date.today().isoformat(), "engines": engines}
    if args.write:
        args.output.write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
