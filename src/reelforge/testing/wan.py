"""Wan pipelines built in code: tiny random weights for tests, full size for GPU benchmarks.

A :class:`WanConfig` holds the constructor arguments of every component of one Wan
pipeline. :data:`TINY` (random weights, 32×32 on a CPU in well under a second; the
configs of ``shared/notes/tiny-pipelines.md``) and :data:`FULL` (the real
architectures, for GPU benchmarks with random weights) are keyed by *kind*:

=========  ============================  =================================================
kind       pipeline saved                real checkpoint it stands for
=========  ============================  =================================================
``t2v``    ``WanPipeline``               Wan 2.1 text-to-video layout
``ti2v``   ``WanPipeline`` with          Wan 2.2 TI2V-5B (``expand_timesteps=True``: one
           ``expand_timesteps=True``     transformer does t2v and i2v, no image encoder)
``i2v``    ``WanImageToVideoPipeline``   Wan 2.1 I2V layout (CLIP image encoder)
``flf2v``  ``WanImageToVideoPipeline``   Wan 2.1 FLF2V layout (CLIP tokens of both images)
``vace``   ``WanVACEPipeline``           Wan 2.1 VACE-14B
``animate`` ``WanAnimatePipeline``       Wan 2.2 Animate-14B
=========  ============================  =================================================

``build_wan_components(config)`` returns the components as keyword arguments of
``config.pipeline``; ``build_wan_pipeline(config)`` builds the pipeline; ``save_tiny_wan``
writes a folder laid out like the Hub repository (``save_pretrained``), which the
engines load through their ordinary loading path.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..engines.wan.schedule import SCHEDULER_CLASS, SCHEDULER_CONFIG

# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class WanConfig:
    """Constructor arguments of every component of one Wan pipeline."""

    kind: str
    pipeline: str
    """diffusers pipeline class name."""
    transformer_class: str
    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    """``UMT5Config`` kwargs; ``vocab_size`` ``None`` means the tokenizer's length."""
    scheduler_class: str = "FlowMatchEulerDiscreteScheduler"
    scheduler: dict[str, Any] = field(default_factory=dict)
    image_encoder: dict[str, Any] | None = None
    """``CLIPVisionConfig`` kwargs (``CLIPVisionModel``), or ``None`` when the pipeline has none."""
    pipeline_config: dict[str, Any] = field(default_factory=dict)
    """Registered pipeline options (``expand_timesteps``, ``boundary_ratio``)."""
    tokenizer_max_length: int = 512
    """Saved as the tokenizer's ``model_max_length``; the engines never encode longer prompts."""


# --- tiny (shared/notes/tiny-pipelines.md) ---------------------------------------------

_TINY_TEXT = dict(
    vocab_size=None,
    d_model=32,
    d_kv=8,
    d_ff=64,
    num_layers=2,
    num_heads=4,
    relative_attention_num_buckets=8,
)
_TINY_VAE = dict(
    base_dim=3,
    z_dim=16,
    dim_mult=[1, 1, 1, 1],
    num_res_blocks=1,
    temperal_downsample=[False, True, True],
)
_TINY_SCHEDULER = dict(shift=7.0)
_TINY_BLOCKS = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=2,
    attention_head_dim=12,
    out_channels=16,
    text_dim=32,
    freq_dim=256,
    ffn_dim=32,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    rope_max_seq_len=32,
)
_TINY_COMMON: dict[str, Any] = dict(
    vae=_TINY_VAE, text_encoder=_TINY_TEXT, scheduler=_TINY_SCHEDULER, tokenizer_max_length=16
)

TINY: dict[str, WanConfig] = {
    "t2v": WanConfig(
        "t2v",
        "WanPipeline",
        "WanTransformer3DModel",
        dict(_TINY_BLOCKS, in_channels=16, num_layers=2),
        **_TINY_COMMON,
    ),
    "ti2v": WanConfig(
        "ti2v",
        "WanPipeline",
        "WanTransformer3DModel",
        dict(_TINY_BLOCKS, in_channels=16, num_layers=2),
        **_TINY_COMMON,
        pipeline_config={"expand_timesteps": True},
    ),
    "i2v": WanConfig(
        "i2v",
        "WanImageToVideoPipeline",
        "WanTransformer3DModel",
        dict(_TINY_BLOCKS, in_channels=36, num_layers=2, image_dim=4),
        **_TINY_COMMON,
        image_encoder=dict(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=8,
        ),
    ),
    "flf2v": WanConfig(
        # Wan 2.1 FLF2V layout: both images' CLIP tokens, with a learned position embedding
        # over 2 × (16 patches + CLS) tokens.
        "flf2v",
        "WanImageToVideoPipeline",
        "WanTransformer3DModel",
        dict(_TINY_BLOCKS, in_channels=36, num_layers=2, image_dim=4, pos_embed_seq_len=2 * 17),
        **_TINY_COMMON,
        image_encoder=dict(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=8,
        ),
    ),
    "vace": WanConfig(
        "vace",
        "WanVACEPipeline",
        "WanVACETransformer3DModel",
        dict(_TINY_BLOCKS, in_channels=16, num_layers=3, vace_layers=[0, 2], vace_in_channels=96),
        **_TINY_COMMON,
    ),
    "animate": WanConfig(
        "animate",
        "WanAnimatePipeline",
        "WanAnimateTransformer3DModel",
        dict(
            _TINY_BLOCKS,
            in_channels=36,
            latent_channels=16,
            num_layers=2,
            image_dim=4,
            motion_encoder_channel_sizes={"4": 16, "8": 16, "16": 16},
            motion_encoder_size=16,
            motion_style_dim=8,
            motion_dim=4,
            motion_encoder_dim=16,
            face_encoder_hidden_dim=16,
            face_encoder_num_heads=2,
            inject_face_latents_blocks=2,
        ),
        **_TINY_COMMON,
        image_encoder=dict(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=4,
            intermediate_size=16,
            patch_size=1,
        ),
    ),
}

# --- full size ---------------------------------------------------------------------------
# Written from the official configs (the Hub repos' config.json files, Wan2.2/Wan2.1
# `wan/configs/*.py`, and diffusers' scripts/convert_wan_to_diffusers.py) as far as they
# are known here. Random weights of these architectures run exactly as fast as real ones.

_UMT5_XXL = dict(
    # google/umt5-xxl encoder (text_encoder/config.json of every Wan diffusers repo)
    vocab_size=256384,
    d_model=4096,
    d_kv=64,
    d_ff=10240,
    num_layers=24,
    num_heads=64,
    relative_attention_num_buckets=32,
    relative_attention_max_distance=128,
    feed_forward_proj="gated-gelu",
    dense_act_fn="gelu_new",
    tie_word_embeddings=False,
)
_WAN21_VAE = dict(
    # Wan2.1 VAE (vae/config.json of Wan2.1-*-diffusers and Wan2.2-Animate-14B-Diffusers):
    # the AutoencoderKLWan defaults: 8× spatial, 4× temporal, 16 latent channels.
    base_dim=96,
    z_dim=16,
    dim_mult=[1, 2, 4, 4],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
)
_WAN22_VAE = dict(
    # Wan2.2 VAE of TI2V-5B (vae/config.json of Wan2.2-TI2V-5B-Diffusers): 16× spatial
    # (2×2 patchify + 8×), 4× temporal, 48 latent channels. latents_mean/std are
    # placeholders here (the real 48 values are statistics; speed does not depend on them).
    base_dim=160,
    decoder_base_dim=256,
    z_dim=48,
    dim_mult=[1, 2, 4, 4],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
    is_residual=True,
    in_channels=12,
    out_channels=12,
    patch_size=2,
    scale_factor_spatial=16,
    scale_factor_temporal=4,
    latents_mean=[0.0] * 48,
    latents_std=[1.0] * 48,
)
_WAN_BLOCKS_14B = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=40,
    attention_head_dim=128,
    text_dim=4096,
    freq_dim=256,
    ffn_dim=13824,
    num_layers=40,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
    rope_max_seq_len=1024,
)
_CLIP_VIT_H_14 = dict(
    # open-clip xlm-roberta-large ViT-H/14 vision tower (image_encoder/config.json)
    hidden_size=1280,
    intermediate_size=5120,
    num_hidden_layers=32,
    num_attention_heads=16,
    image_size=224,
    patch_size=14,
    projection_dim=1024,
    hidden_act="gelu",
)

_TI2V_5B = WanConfig(
    # Wan-AI/Wan2.2-TI2V-5B-Diffusers: dim 3072 (24 heads × 128), 30 layers, ffn 14336,
    # 48 in/out channels; model_index.json sets expand_timesteps=true, boundary_ratio=null.
    "ti2v",
    "WanPipeline",
    "WanTransformer3DModel",
    dict(
        patch_size=(1, 2, 2),
        num_attention_heads=24,
        attention_head_dim=128,
        in_channels=48,
        out_channels=48,
        text_dim=4096,
        freq_dim=256,
        ffn_dim=14336,
        num_layers=30,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        rope_max_seq_len=1024,
    ),
    _WAN22_VAE,
    _UMT5_XXL,
    SCHEDULER_CLASS,
    dict(SCHEDULER_CONFIG),
    pipeline_config={"expand_timesteps": True},
)

FULL: dict[str, WanConfig] = {
    "ti2v": _TI2V_5B,
    # The turbo tier's text- and image-to-video both run on TI2V-5B.
    "t2v": _TI2V_5B,
    "i2v": _TI2V_5B,
    "vace": WanConfig(
        # Wan-AI/Wan2.1-VACE-14B-diffusers: the 14B Wan 2.1 DiT plus VACE blocks after
        # every 5th layer, 96 control channels (16 inactive + 16 reactive latents + 64 mask).
        "vace",
        "WanVACEPipeline",
        "WanVACETransformer3DModel",
        dict(
            _WAN_BLOCKS_14B,
            in_channels=16,
            out_channels=16,
            vace_layers=[0, 5, 10, 15, 20, 25, 30, 35],
            vace_in_channels=96,
        ),
        _WAN21_VAE,
        _UMT5_XXL,
        SCHEDULER_CLASS,
        dict(SCHEDULER_CONFIG),
    ),
    "animate": WanConfig(
        # Wan-AI/Wan2.2-Animate-14B-Diffusers: the 14B I2V DiT (36 in channels, CLIP image
        # tokens through added K/V projections) plus motion encoder (512×512 face crops)
        # and face adapter injected every 5 blocks.
        "animate",
        "WanAnimatePipeline",
        "WanAnimateTransformer3DModel",
        dict(
            _WAN_BLOCKS_14B,
            in_channels=36,
            latent_channels=16,
            out_channels=16,
            image_dim=1280,
            added_kv_proj_dim=5120,
            motion_encoder_size=512,
            motion_style_dim=512,
            motion_dim=20,
            motion_encoder_dim=512,
            face_encoder_hidden_dim=1024,
            face_encoder_num_heads=4,
            inject_face_latents_blocks=5,
        ),
        _WAN21_VAE,
        _UMT5_XXL,
        SCHEDULER_CLASS,
        dict(SCHEDULER_CONFIG),
        image_encoder=_CLIP_VIT_H_14,
    ),
}

KINDS = tuple(TINY)

# --------------------------------------------------------------------------- builders

_TOKEN_WORDS = (
    "a cat dog man woman walks runs dances on the in of with red blue green camera slowly "
    "street city forest sky subject reference image video hero"
).split()


def build_tokenizer(max_length: int = 512):
    """A UMT5-style Unigram tokenizer built in memory (no files, no download).

    Only for random-weight pipelines: real folders carry google/umt5-xxl's tokenizer.
    """
    from transformers import T5Tokenizer

    chars = sorted(
        set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'\"-_()<>@/")
    )
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(f"▁{w}", -3.0) for w in _TOKEN_WORDS]
    vocab += [(c, -5.0) for c in chars]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=max_length)


def build_image_processor(size: int):
    """The CLIP image processor of a Wan pipeline (PIL backend: no torchvision needed)."""
    import transformers

    cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    return cls(size={"shortest_edge": size}, crop_size={"height": size, "width": size})


def build_wan_components(
    config: WanConfig, *, seed: int = 0, dtype: torch.dtype = torch.float32, device: str = "cpu"
) -> dict[str, Any]:
    """Random-weight components of ``config`` as keyword arguments of ``config.pipeline``.

    ``device="cuda"`` initialises full-size models on the GPU (fast); ``seed`` makes the
    random weights reproducible.
    """
    import diffusers
    from transformers import CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    tokenizer = build_tokenizer(config.tokenizer_max_length)
    text_kwargs = dict(config.text_encoder)
    if text_kwargs.get("vocab_size") is None:
        text_kwargs["vocab_size"] = len(tokenizer)
    # The scheduler holds no weights: built outside the device context, so that
    # ``device="meta"`` (shapes only, for FLOP counts) works too.
    scheduler = getattr(diffusers, config.scheduler_class)(**config.scheduler)
    with torch.device(device):
        components: dict[str, Any] = {
            "tokenizer": tokenizer,
            "text_encoder": UMT5EncoderModel(UMT5Config(**text_kwargs)).eval(),
            "vae": diffusers.AutoencoderKLWan(**config.vae).eval(),
            "scheduler": scheduler,
            "transformer": getattr(diffusers, config.transformer_class)(
                **config.transformer
            ).eval(),
        }
        if config.image_encoder is not None:
            components["image_encoder"] = CLIPVisionModel(
                CLIPVisionConfig(**config.image_encoder)
            ).eval()
            components["image_processor"] = build_image_processor(
                config.image_encoder["image_size"]
            )
    if dtype != torch.float32:
        for name, part in components.items():
            if isinstance(part, torch.nn.Module):
                components[name] = part.to(dtype)
    return components


def build_wan_pipeline(config: WanConfig, **kwargs: Any):
    """``config.pipeline`` built from random-weight components (see :func:`build_wan_components`)."""
    import diffusers

    cls = getattr(diffusers, config.pipeline)
    return cls(**build_wan_components(config, **kwargs), **config.pipeline_config)


def tiny_config(kind: str = "t2v", *, num_layers: int | None = None) -> WanConfig:
    """:data:`TINY` ``[kind]``, with ``num_layers`` transformer blocks when given (e.g. four,
    so that a block cache has a head, a middle and a tail)."""
    if kind not in TINY:
        raise ValueError(f"kind must be one of {', '.join(TINY)}, got {kind!r}")
    config = TINY[kind]
    if num_layers is None:
        return config
    return dataclasses.replace(config, transformer={**config.transformer, "num_layers": num_layers})


def save_tiny_wan(
    folder: str | Path, kind: str = "t2v", *, seed: int = 0, num_layers: int | None = None
) -> Path:
    """Save a tiny random-weight Wan pipeline of ``kind`` (see :data:`TINY`; ``num_layers``:
    :func:`tiny_config`) into ``folder``.

    The folder is laid out like the Hub repository (``model_index.json``, one subfolder per
    component) and loads with ``from_pretrained``. For ``animate`` it also holds tiny
    ``process_checkpoint`` pose/face models when the ``onnx`` package is installed.
    """
    folder = Path(folder)
    pipe = build_wan_pipeline(tiny_config(kind, num_layers=num_layers), seed=seed)
    pipe.save_pretrained(folder)
    if kind == "animate":
        from .preprocess import save_tiny_preprocessor

        try:
            save_tiny_preprocessor(folder, seed=seed)
        except ImportError:
            pass
    return folder
