"""A tiny random LTX-2.5 for tests, laid out like ``Lightricks/LTX-2.5-Diffusers``.

What LTX-2.5 changes from the tiny LTX-2 of ``tiny.py`` (diffusers'
``scripts/convert_ltx2_to_diffusers.py``, version "2.5"; docs/research/ltx25.md §4):
a Gemma 4 text encoder (``Gemma4UnifiedForConditionalGeneration``), gated attention with
cross-attention modulation and no prompt embeddings in the transformer (so the engine's
``use_cross_timestep`` is on), per-modality connector projections, a 48 kHz vocoder with
bandwidth extension, a duration head, and the distilled scheduler config. The repository's
``transformer/`` is the distilled model; the dev model is ``transformer_full/`` (a second
random transformer here), with the distilled LoRA beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .tiny import TINY, build_tokenizer

LORA_FILE = "ltx-2.5-22b-distilled-lora-450-bf16.safetensors"
DEV_FOLDER = "transformer_full"


def build_ltx25_components(seed: int = 0) -> dict[str, Any]:
    """Random-weight components of an LTX-2.5 ``LTX2Pipeline``, plus ``latent_upsampler``
    and ``transformer_full`` (pop both before building the pipeline)."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import (
        LTX2DurationHead,
        LTX2LatentUpsamplerModel,
        LTX2TextConnectors,
        LTX2VocoderWithBWE,
    )
    from transformers import (
        Gemma4UnifiedConfig,
        Gemma4UnifiedForConditionalGeneration,
        Gemma4UnifiedTextConfig,
    )

    tokenizer = build_tokenizer(None)
    n = len(tokenizer)
    torch.manual_seed(seed)
    text = Gemma4UnifiedTextConfig(
        vocab_size=n + 7,  # room for the image/video/audio marker ids (unused by text)
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        sliding_window=16,
        max_position_embeddings=256,
        # Gemma 4 12B's traits, scaled down: K = V on full-attention layers, a wider global
        # head with one KV head; the last layer attends fully.
        attention_k_eq_v=True,
        global_head_dim=16,
        num_global_key_value_heads=1,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )
    gemma = Gemma4UnifiedConfig(
        text_config=text,
        vision_config=None,
        audio_config=None,
        boi_token_id=n,
        eoi_token_id=n + 1,
        image_token_id=n + 2,
        video_token_id=n + 3,
        boa_token_id=n + 4,
        eoa_token_index=n + 5,
        audio_token_id=n + 6,
    )
    connectors = dict(
        TINY["connectors"],
        caption_channels=text.hidden_size,
        text_proj_in_factor=text.num_hidden_layers + 1,
        video_gated_attn=True,
        audio_gated_attn=True,
        rope_type="split",
        # With cross-attention modulation the connector's width is the transformer's.
        video_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=2,
        per_modality_projections=True,
        video_hidden_dim=16,
        audio_hidden_dim=8,
        proj_bias=True,
    )
    transformer = dict(
        TINY["transformer"],
        caption_channels=text.hidden_size,
        cross_attention_dim=16,
        gated_attn=True,
        cross_attn_mod=True,
        audio_gated_attn=True,
        audio_cross_attn_mod=True,
        use_prompt_embeddings=False,
        perturbed_attn=True,
        ff_bias=False,
        use_keyframes_abs_pos_embedding=True,
    )
    return {
        "tokenizer": tokenizer,
        "text_encoder": Gemma4UnifiedForConditionalGeneration(gemma).eval(),
        "connectors": LTX2TextConnectors(**connectors).eval(),
        "transformer": LTX2VideoTransformer3DModel(**transformer).eval(),
        DEV_FOLDER: LTX2VideoTransformer3DModel(**transformer).eval(),
        "vae": AutoencoderKLLTX2Video(**TINY["vae"]).eval(),
        "audio_vae": AutoencoderKLLTX2Audio(**TINY["audio_vae"]).eval(),
        "vocoder": LTX2VocoderWithBWE(
            in_channels=16,
            hidden_channels=32,
            out_channels=2,
            upsample_kernel_sizes=[16, 10, 8],
            upsample_factors=[8, 5, 4],  # product = the audio VAE's mel hop (160)
            resnet_kernel_sizes=[3],
            resnet_dilations=[[1, 3, 5]],
            bwe_in_channels=16,
            bwe_hidden_channels=16,
            bwe_out_channels=2,
            bwe_upsample_kernel_sizes=[12, 20],
            bwe_upsample_factors=[6, 10],  # product = 3 × hop (16 kHz → 48 kHz)
            bwe_resnet_kernel_sizes=[3],
            bwe_resnet_dilations=[[1, 3, 5]],
            filter_length=64,
            hop_length=20,
            window_length=64,
            num_mel_channels=8,
            input_sampling_rate=16000,
            output_sampling_rate=48000,
        ).eval(),
        "scheduler": FlowMatchEulerDiscreteScheduler(
            use_dynamic_shifting=False,
            base_shift=0.95,
            max_shift=2.05,
            base_image_seq_len=1024,
            max_image_seq_len=4096,
            shift_terminal=None,
        ),
        "duration_head": LTX2DurationHead(
            video_cross_attention_dim=16,
            audio_cross_attention_dim=8,
            pooler_hidden_dim=8,
            num_queries=1,
            num_pooler_heads=2,
            mlp_hidden_dim=8,
        ).eval(),
        "latent_upsampler": LTX2LatentUpsamplerModel(
            **dict(TINY["latent_upsampler"], use_rational_resampler=False)
        ).eval(),
    }


def save_tiny_ltx25(folder: str | Path, seed: int = 0) -> Path:
    """Write a tiny random LTX-2.5 into ``folder``, laid out like the Hub repository."""
    from diffusers import LTX2Pipeline

    from .lora import save_tiny_distilled_lora

    folder = Path(folder)
    components = build_ltx25_components(seed)
    upsampler = components.pop("latent_upsampler")
    dev = components.pop(DEV_FOLDER)
    LTX2Pipeline(**components).save_pretrained(folder)
    upsampler.save_pretrained(folder / "latent_upsampler")
    dev.save_pretrained(folder / DEV_FOLDER)
    save_tiny_distilled_lora(dev, folder / LORA_FILE, seed=seed + 1)
    return folder
