"""The stage-2 distilled LoRA of LTX-2's two-stage generation, through diffusers' LoRA API.

Lightricks' reference two-stage pipeline (``ltx_pipelines/ti2vid_two_stages.py``) runs
stage 1 with the dev model alone and refines stage 2 with the dev model plus
``ltx-2-19b-distilled-lora-384.safetensors`` (root of the Hub repo ``Lightricks/LTX-2``).
In diffusers that is ``pipe.load_lora_weights(...)`` once, then the adapter switched on for
stage 2 and off for stage 1 (:func:`use_distilled`).

The file is in Lightricks' own ("ComfyUI") key format: PEFT factor names on the original
module paths, under ``diffusion_model.``, no ``.alpha`` tensors (the delta is
``strength * B @ A``)::

    diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight   # (rank, in)
    diffusion_model.transformer_blocks.0.attn1.to_q.lora_B.weight   # (out, rank)
    diffusion_model.patchify_proj.lora_A.weight                     # diffusers: proj_in
    diffusion_model.adaln_single.linear.lora_A.weight               # diffusers: time_embed.linear

``LTX2LoraLoaderMixin.lora_state_dict`` converts it to diffusers names
(``_convert_non_diffusers_ltx2_lora_to_diffusers``). :func:`save_tiny_distilled_lora` writes
a random LoRA in that original format for a (tiny) transformer, so tests go through the
same converter as the real file. Notes and sources: ``docs/research/ltx2-lora.md``.

Needs the PEFT backend of diffusers: ``peft>=0.17`` (diffusers' ``MIN_PEFT_VERSION``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

DISTILLED_LORA_REPO = "Lightricks/LTX-2"
DISTILLED_LORA_FILE = "ltx-2-19b-distilled-lora-384.safetensors"
DEFAULT_ADAPTER = "distilled"
DEFAULT_STRENGTH = 1.0
"""diffusers' LTX-2 docs (``set_adapters("stage_2_distilled", 1.0)``) and Lightricks' CLI
(``DEFAULT_LORA_STRENGTH``, ltx-pipelines ``utils/constants.py:117``) both use 1.0; the
READMEs' examples use 0.6 and 0.8 (docs/research/ltx2-lora.md)."""

ORIGINAL_PREFIX = "diffusion_model."

# Top-level modules whose diffusers name differs from Lightricks' (the inverse of the
# renames in diffusers' ``_convert_non_diffusers_ltx2_lora_to_diffusers``). Block modules
# (attn1, attn2, audio_attn1/2, audio_to_video_attn, video_to_audio_attn, ff, audio_ff),
# caption_projection, audio_caption_projection, proj_out and audio_proj_out keep their names.
_ORIGINAL_TOP_LEVEL = {
    "proj_in": "patchify_proj",
    "audio_proj_in": "audio_patchify_proj",
    "time_embed": "adaln_single",
    "audio_time_embed": "audio_adaln_single",
    "av_cross_attn_video_scale_shift": "av_ca_video_scale_shift_adaln_single",
    "av_cross_attn_audio_scale_shift": "av_ca_audio_scale_shift_adaln_single",
    "av_cross_attn_video_a2v_gate": "av_ca_a2v_gate_adaln_single",
    "av_cross_attn_audio_v2a_gate": "av_ca_v2a_gate_adaln_single",
}


def original_module_name(diffusers_name: str) -> str:
    """Lightricks' path of a diffusers ``LTX2VideoTransformer3DModel`` submodule."""
    head, dot, rest = diffusers_name.partition(".")
    return _ORIGINAL_TOP_LEVEL.get(head, head) + dot + rest


def lora_targets(transformer: torch.nn.Module) -> list[str]:
    """The modules the tiny LoRA covers: every ``nn.Linear`` of the transformer (diffusers
    names), i.e. all attention projections (video, audio, audio↔video), both feed-forwards,
    the patchify/output projections, the caption projections and the AdaLN/timestep linears.
    """
    return [n for n, m in transformer.named_modules() if isinstance(m, torch.nn.Linear)]


def random_distilled_lora(
    transformer: torch.nn.Module,
    rank: int = 4,
    seed: int = 0,
    scale: float = 0.1,
    *,
    targets: Iterable[str] | None = None,
    top_level_rank: int | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> dict[str, torch.Tensor]:
    """A random LoRA for ``transformer`` in Lightricks' original key format, as a state dict.

    ``A`` and ``B`` are Gaussian times ``scale`` (``B`` nonzero, so the adapter changes the
    output), drawn on ``device`` (a GPU draws the rank-384 LoRA of the full transformer,
    3.8 B values, in well under a second). ``targets`` are diffusers module names (default
    :func:`lora_targets`); ``top_level_rank`` gives modules outside ``transformer_blocks``
    another rank (mixed ranks, as in resized LoRAs). No ``.alpha`` keys, like the real file:
    the delta of each layer is ``strength * B @ A``.
    """
    modules = dict(transformer.named_modules())
    names = lora_targets(transformer) if targets is None else list(targets)
    generator = torch.Generator(device).manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for name in names:
        layer = modules[name]
        if not isinstance(layer, torch.nn.Linear):
            raise TypeError(f"{name} is a {type(layer).__name__}, not a Linear layer")
        r = (
            rank
            if top_level_rank is None or name.startswith("transformer_blocks.")
            else top_level_rank
        )
        a = torch.randn(r, layer.in_features, generator=generator, device=device) * scale
        b = torch.randn(layer.out_features, r, generator=generator, device=device) * scale
        key = ORIGINAL_PREFIX + original_module_name(name)
        state[f"{key}.lora_A.weight"] = a.to(dtype).contiguous()
        state[f"{key}.lora_B.weight"] = b.to(dtype).contiguous()
    return state


def save_tiny_distilled_lora(
    transformer: torch.nn.Module,
    path: str | Path,
    rank: int = 4,
    seed: int = 0,
    scale: float = 0.1,
    *,
    targets: Iterable[str] | None = None,
    top_level_rank: int | None = None,
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Write :func:`random_distilled_lora` for ``transformer`` to ``path`` (safetensors, the
    real file's format); returns ``path``."""
    from safetensors.torch import save_file

    path = Path(path)
    state = random_distilled_lora(
        transformer,
        rank,
        seed,
        scale,
        targets=targets,
        top_level_rank=top_level_rank,
        dtype=dtype,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))
    return path


def load_distilled_lora(
    pipe: Any, source: str | Path | dict[str, torch.Tensor], adapter_name: str = DEFAULT_ADAPTER
) -> None:
    """Load the distilled LoRA (the file at ``source``, or its state dict) into ``pipe``'s
    transformer as ``adapter_name``, and leave it disabled (stage 1 runs without it; see
    :func:`use_distilled`).

    The adapter lives in the transformer's modules, so every pipeline sharing that
    transformer (``SomePipeline.from_pipe(pipe)``) sees it and its on/off state.
    """
    if isinstance(source, dict):
        pipe.load_lora_weights(source, adapter_name=adapter_name)
    else:
        path = Path(source)
        pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=adapter_name)
    pipe.disable_lora()


def use_distilled(pipe: Any, strength: float | None, adapter_name: str = DEFAULT_ADAPTER) -> None:
    """Stage 2: ``strength`` enables ``adapter_name`` (alone) at that weight. Stage 1:
    ``None`` disables LoRA layers entirely (every adapter of the pipeline).

    ``enable_lora`` comes first because ``set_adapters`` alone does not undo
    ``disable_lora``.
    """
    if strength is None:
        pipe.disable_lora()
        return
    pipe.enable_lora()
    pipe.set_adapters(adapter_name, float(strength))
