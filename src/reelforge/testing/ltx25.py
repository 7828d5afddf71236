"""LTX-2.5 built in code, laid out like ``Lightricks/LTX-2.5-Diffusers``: :data:`TINY25`
(tiny random weights, for tests) and :data:`FULL25` (the real architecture, for FLOP counts
and GPU benchmarks on random weights; built on the meta device it costs no memory).

What LTX-2.5 changes from the LTX-2 of ``ltx2.py`` (diffusers'
``scripts/convert_ltx2_to_diffusers.py``, version "2.5"; docs/research/ltx25.md §4):
a Gemma 4 text encoder (``Gemma4UnifiedForConditionalGeneration``), gated attention with
cross-attention modulation and no prompt embeddings in the transformer (so the engine's
``use_cross_timestep`` is on), per-modality connector projections, a 48 kHz vocoder with
bandwidth extension, a duration head, and the distilled scheduler config. The repository's
``transformer/`` is the distilled model; the dev model is ``transformer_full/`` (a second
random transformer here), with the distilled LoRA beside them.

Sources of :data:`FULL25`, cited per entry as
``dfs-conv``: huggingface/diffusers ``scripts/convert_ltx2_to_diffusers.py`` at
58eb52c0803ea9af3abec60841c2a093bdf1f951 (LTX-2.5 support from 7564fb016dab, "Ltx 2.5
(#14447)"), the ``version == "2.5"`` branch of each ``get_ltx2_*_config``;
``dfs-doc``: ``docs/source/en/api/pipelines/ltx2.md`` at the same commit;
``gemma4``: transformers 5.24.0 ``models/gemma4_unified/configuration_gemma4_unified.py``
(``Gemma4UnifiedTextConfig`` defaults); ``notes``: docs/research/ltx25.md §3 (the LTX-2.5
text encoder's config as other ports list it, lower confidence).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .ltx2 import (
    DISTILLED_SCHEDULER,
    FULL,
    TINY,
    _defaults,
    build_tokenizer,
    save_tiny_distilled_lora,
)

LORA_FILE = "ltx-2.5-22b-distilled-lora-450-bf16.safetensors"
DEV_FOLDER = "transformer_full"
MARKER_TOKENS = (
    "boi_token_id",
    "eoi_token_id",
    "image_token_id",
    "video_token_id",
    "boa_token_id",
    "eoa_token_index",
    "audio_token_id",
)
"""Gemma 4's image/video/audio marker ids (``Gemma4UnifiedConfig``). A tiny vocabulary gets
them right after its text tokens; the full one keeps transformers' defaults (255999 …
258884, inside its 262,144 entries)."""

# --------------------------------------------------------------------------- configs

TINY25: dict[str, Any] = {
    "name": "tiny LTX-2.5",
    # Text vocabulary: the tiny tokenizer's, plus the MARKER_TOKENS after it.
    "vocab_size": None,
    # Gemma 4 12B's traits, scaled down: K = V on full-attention layers, a wider global
    # head with one KV head; the last layer attends fully.
    "text_encoder": dict(
        TINY["text_encoder"],
        attention_k_eq_v=True,
        global_head_dim=16,
        num_global_key_value_heads=1,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    ),
    # caption_channels and text_proj_in_factor come from the text encoder (see connectors()).
    "connectors": dict(
        TINY["connectors"],
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
    ),
    "transformer": dict(
        TINY["transformer"],
        caption_channels=32,
        cross_attention_dim=16,
        gated_attn=True,
        cross_attn_mod=True,
        audio_gated_attn=True,
        audio_cross_attn_mod=True,
        use_prompt_embeddings=False,
        perturbed_attn=True,
        ff_bias=False,
        use_keyframes_abs_pos_embedding=True,
    ),
    "vae": TINY["vae"],
    "vae_framewise": TINY["vae_framewise"],
    "audio_vae": TINY["audio_vae"],
    "vocoder": dict(
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
    ),
    "scheduler": DISTILLED_SCHEDULER,
    "duration_head": dict(
        video_cross_attention_dim=16,  # the connectors' widths
        audio_cross_attention_dim=8,
        pooler_hidden_dim=8,
        num_queries=1,
        num_pooler_heads=2,
        mlp_hidden_dim=8,
    ),
    "latent_upsampler": dict(TINY["latent_upsampler"], use_rational_resampler=False),
}
"""Tiny random LTX-2.5 (docs/research/ltx25.md §4): the tiny LTX-2's sizes with every
LTX-2.5 switch of the full model on, its VAEs unchanged."""

FULL25: dict[str, Any] = {
    "name": "LTX-2.5 (22B: video + audio streams), Gemma 4 12B text encoder",
    "vocab_size": 262_144,  # notes; also gemma4's default
    # Gemma 4 12B as LTX-2.5's text encoder (gemma4_unified; Lightricks fine-tuned it,
    # "gemma4-12b-ltx-v1", the same shapes). hidden 3840, 48 layers, sliding window 1024,
    # every 6th layer full attention (gemma4's default layer_types, "5:1"), full-attention
    # layers with head_dim 512, one KV head and K = V, proportional RoPE on a quarter of
    # the head (gemma4's default rope_parameters): notes §3. Not in the notes, lower
    # confidence: 16 heads, 8 KV heads of 256 on the sliding layers, MLP 15360, 131072
    # positions — Gemma 3 12B's (ltx2.py FULL), and what a third-party Gemma 4 12B config
    # listing has. With them the size fits the shipped
    # text_encoders/gemma4-12b-with-proj-ltx-2.5-bf16.safetensors (26.3 GB, notes §1):
    # 11.91 B parameters here + the connectors' 1.16 B text projections ≈ 26.1 GB in bf16
    # (the vision/audio embedders, not built here, are the rest).
    "text_encoder": dict(
        hidden_size=3840,
        intermediate_size=15360,
        num_hidden_layers=48,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=256,
        sliding_window=1024,
        max_position_embeddings=131072,
        attention_k_eq_v=True,
        global_head_dim=512,
        num_global_key_value_heads=1,
    ),
    # dfs-conv get_ltx2_connectors_config("2.5") (the same numbers as "2.3"); its
    # caption_channels and text_proj_in_factor are derived from the text config there too.
    "connectors": dict(
        video_connector_num_attention_heads=32,
        video_connector_attention_head_dim=128,
        video_connector_num_layers=8,
        video_connector_num_learnable_registers=128,
        video_gated_attn=True,
        audio_connector_num_attention_heads=32,
        audio_connector_attention_head_dim=64,
        audio_connector_num_layers=8,
        audio_connector_num_learnable_registers=128,
        audio_gated_attn=True,
        connector_rope_base_seq_len=4096,
        rope_theta=10000.0,
        rope_double_precision=True,
        causal_temporal_positioning=False,
        rope_type="split",
        per_modality_projections=True,
        video_hidden_dim=4096,
        audio_hidden_dim=2048,
        proj_bias=True,
    ),
    # dfs-conv get_ltx2_transformer_config("2.5"): the "2.3" config plus ff_bias=False and
    # use_keyframes_abs_pos_embedding=True. The dev (transformer_full/) and distilled
    # (transformer/) models share it.
    "transformer": dict(
        FULL["transformer"],  # LTX-2.0's, with what 2.3 and 2.5 changed:
        gated_attn=True,
        cross_attn_mod=True,
        audio_gated_attn=True,
        audio_cross_attn_mod=True,
        use_prompt_embeddings=False,
        perturbed_attn=True,
        ff_bias=False,
        use_keyframes_abs_pos_embedding=True,
    ),
    # dfs-conv get_ltx2_video_vae_config("2.5", timestep_conditioning=False): "Same block
    # structure as 2.3" (the converter's --timestep_conditioning is off by default). The
    # conv decoder of vae/, not the diffusion decoder (diffusion_decoder/, not a pipeline
    # component, dfs-doc).
    "vae": dict(
        in_channels=3,
        out_channels=3,
        latent_channels=128,
        block_out_channels=(256, 512, 1024, 1024),
        down_block_types=("LTX2VideoDownBlock3D",) * 4,
        decoder_block_out_channels=(256, 512, 512, 1024),
        layers_per_block=(4, 6, 4, 2, 2),
        decoder_layers_per_block=(4, 6, 4, 2, 2),
        spatio_temporal_scaling=(True, True, True, True),
        decoder_spatio_temporal_scaling=(True, True, True, True),
        decoder_inject_noise=(False, False, False, False, False),
        downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal", "spatiotemporal", "temporal", "spatial"),
        upsample_residual=(False, False, False, False),
        upsample_factor=(2, 2, 1, 2),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        resnet_norm_eps=1e-6,
        encoder_causal=True,
        decoder_causal=False,
        encoder_spatial_padding_mode="zeros",
        decoder_spatial_padding_mode="zeros",
        spatial_compression_ratio=32,
        temporal_compression_ratio=8,
    ),
    "vae_framewise": None,  # keep diffusers' defaults
    # dfs-conv get_ltx2_audio_vae_config("2.5"): "Same config as LTX-2.0 / 2.3".
    "audio_vae": FULL["audio_vae"],
    # dfs-conv get_ltx2_vocoder_config("2.5") ("Same config as LTX-2.3"), built as
    # LTX2VocoderWithBWE (convert_ltx2_vocoder: versions 2.3 and 2.5).
    "vocoder": dict(
        in_channels=128,
        hidden_channels=1536,
        out_channels=2,
        upsample_kernel_sizes=[11, 4, 4, 4, 4, 4],
        upsample_factors=[5, 2, 2, 2, 2, 2],
        resnet_kernel_sizes=[3, 7, 11],
        resnet_dilations=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        act_fn="snakebeta",
        leaky_relu_negative_slope=0.1,
        antialias=True,
        antialias_ratio=2,
        antialias_kernel_size=12,
        final_act_fn=None,
        final_bias=False,
        bwe_in_channels=128,
        bwe_hidden_channels=512,
        bwe_out_channels=2,
        bwe_upsample_kernel_sizes=[12, 11, 4, 4, 4],
        bwe_upsample_factors=[6, 5, 2, 2, 2],
        bwe_resnet_kernel_sizes=[3, 7, 11],
        bwe_resnet_dilations=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        bwe_act_fn="snakebeta",
        bwe_leaky_relu_negative_slope=0.1,
        bwe_antialias=True,
        bwe_antialias_ratio=2,
        bwe_antialias_kernel_size=12,
        bwe_final_act_fn=None,
        bwe_final_bias=False,
        filter_length=512,
        hop_length=80,
        window_length=512,
        num_mel_channels=64,
        input_sampling_rate=16000,
        output_sampling_rate=48000,
    ),
    # The repository's scheduler/ is the distilled config ("configured for the distilled
    # checkpoint (use_dynamic_shifting=False, shift_terminal=None)", dfs-doc "## LTX-2.5").
    # No effect on speed: the engine runs its own sigmas.
    "scheduler": DISTILLED_SCHEDULER,
    # Not built: dfs-conv reads the duration head's sizes from its weights
    # (convert_ltx2_duration_head), and LTX25Engine never loads it.
    "duration_head": None,
    # dfs-conv has no "2.5" branch in get_ltx2_spatial_latent_upsampler_config (it raises);
    # this is its "2.3" config, the one Lightricks/LTX-2.5-Diffusers' latent_upsampler/
    # config.json is listed with (notes: "use_rational_resampler=false"), and the size of
    # ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0.safetensors (1.0 GB ≈ 0.5 B parameters).
    "latent_upsampler": dict(
        in_channels=128,
        mid_channels=1024,
        num_blocks_per_stage=4,
        dims=3,
        spatial_upsample=True,
        temporal_upsample=False,
        rational_spatial_scale=2.0,
        use_rational_resampler=False,
    ),
}
"""The real LTX-2.5 22B (``Lightricks/LTX-2.5-Diffusers``) architecture: what bench/flops.py
counts for the cinema tier's default engine."""


# --------------------------------------------------------------------------- building


def text_encoder_config(config: dict[str, Any], tokens: int):
    """The ``Gemma4UnifiedConfig`` of ``config`` for a tokenizer of ``tokens`` entries
    (text only: LTX-2.5 encodes prompts, its vision and audio towers never run)."""
    from transformers import Gemma4UnifiedConfig, Gemma4UnifiedTextConfig

    if config["vocab_size"] is None:
        vocab = tokens + len(MARKER_TOKENS)
        markers = {name: tokens + i for i, name in enumerate(MARKER_TOKENS)}
    else:
        vocab, markers = config["vocab_size"], {}
    text = Gemma4UnifiedTextConfig(vocab_size=vocab, **config["text_encoder"])
    return Gemma4UnifiedConfig(text_config=text, vision_config=None, audio_config=None, **markers)


def connectors_config(config: dict[str, Any], text: Any) -> dict[str, Any]:
    """``config``'s connectors, with the two sizes dfs-conv derives from the Gemma 4 text
    config: ``caption_channels = hidden_size`` and ``text_proj_in_factor =
    num_hidden_layers + 1`` (every layer's hidden state and the embeddings)."""
    return dict(
        config["connectors"],
        caption_channels=text.hidden_size,
        text_proj_in_factor=text.num_hidden_layers + 1,
    )


def build_ltx25_components(
    config: dict[str, Any] = TINY25,
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    with_upsampler: bool = True,
    with_dev: bool = True,
) -> dict[str, Any]:
    """Random-weight components of an LTX-2.5 ``LTX2Pipeline`` for ``config``
    (:data:`TINY25`, :data:`FULL25`; ``device="meta"`` builds shapes only), plus
    ``latent_upsampler`` (``with_upsampler``) and ``transformer_full`` (``with_dev``): pop
    both before building the pipeline."""
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
    from transformers import Gemma4UnifiedForConditionalGeneration

    tokenizer = build_tokenizer(config["vocab_size"])
    gemma = text_encoder_config(config, len(tokenizer))
    torch.manual_seed(seed)
    with _defaults(dtype, device):  # built in the order the first tiny was (same weights)
        components: dict[str, Any] = {
            "tokenizer": tokenizer,
            "text_encoder": Gemma4UnifiedForConditionalGeneration(gemma).eval(),
            "connectors": LTX2TextConnectors(**connectors_config(config, gemma.text_config)).eval(),
            "transformer": LTX2VideoTransformer3DModel(**config["transformer"]).eval(),
        }
        if with_dev:
            components[DEV_FOLDER] = LTX2VideoTransformer3DModel(**config["transformer"]).eval()
        components.update(
            vae=AutoencoderKLLTX2Video(**config["vae"]).eval(),
            audio_vae=AutoencoderKLLTX2Audio(**config["audio_vae"]).eval(),
            vocoder=LTX2VocoderWithBWE(**config["vocoder"]).eval(),
            scheduler=FlowMatchEulerDiscreteScheduler(**config["scheduler"]),
        )
        if config["duration_head"] is not None:
            components["duration_head"] = LTX2DurationHead(**config["duration_head"]).eval()
        if with_upsampler:
            components["latent_upsampler"] = LTX2LatentUpsamplerModel(
                **config["latent_upsampler"]
            ).eval()
    if config.get("vae_framewise") is not None:
        vae = components["vae"]
        vae.use_framewise_encoding = vae.use_framewise_decoding = config["vae_framewise"]
    return components


def build_ltx25_pipeline(config: dict[str, Any] = TINY25, **kwargs: Any):
    """``(LTX2Pipeline, latent_upsampler or None)`` with random weights; its transformer has
    the dev model's architecture (the distilled model's is the same)."""
    from diffusers import LTX2Pipeline

    components = build_ltx25_components(config, with_dev=False, **kwargs)
    upsampler = components.pop("latent_upsampler", None)
    return LTX2Pipeline(**components), upsampler


def save_tiny_ltx25(folder: str | Path, seed: int = 0) -> Path:
    """Write a tiny random LTX-2.5 into ``folder``, laid out like the Hub repository."""
    from diffusers import LTX2Pipeline

    folder = Path(folder)
    components = build_ltx25_components(TINY25, seed=seed)
    upsampler = components.pop("latent_upsampler")
    dev = components.pop(DEV_FOLDER)
    LTX2Pipeline(**components).save_pretrained(folder)
    upsampler.save_pretrained(folder / "latent_upsampler")
    dev.save_pretrained(folder / DEV_FOLDER)
    save_tiny_distilled_lora(dev, folder / LORA_FILE, seed=seed + 1)
    return folder
