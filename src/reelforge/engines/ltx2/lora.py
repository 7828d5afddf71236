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
(``_convert_non_diffusers_ltx2_lora_to_diffusers``).
:func:`reelforge.testing.ltx2.save_tiny_distilled_lora` writes a random LoRA in that
original format for a (tiny) transformer, so tests go through the same converter as the
real file. Notes and sources: ``docs/research/ltx2-lora.md``.

Needs the PEFT backend of diffusers: ``peft>=0.17`` (diffusers' ``MIN_PEFT_VERSION``).
"""

from __future__ import annotations

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
