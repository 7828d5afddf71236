"""LTX-2 pipelines built in code: tiny random weights for tests, full size for GPU benchmarks.

``build_ltx2_components(config)`` turns one of the named configs below into the
components of ``diffusers.LTX2Pipeline`` (plus the latent upsampler of the 4K path);
``save_tiny_ltx2(folder)`` writes them as a folder laid out like the Hub repository
``Lightricks/LTX-2``: ``save_pretrained`` of the pipeline, and ``latent_upsampler/``.

Random weights of the full architecture run exactly as fast as the real ones, which is
what ``FULL`` is for; nothing here downloads anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>")
BYTE_TOKENS = tuple(f"<0x{i:02X}>" for i in range(256))
TOKEN_CHARS = "▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'\"-()"
GEMMA_IMAGE_TOKENS = 3
"""Begin-of-image, end-of-image and image tokens Gemma 3 appends after the text vocabulary."""

# --------------------------------------------------------------------------- configs

DEV_SCHEDULER: dict[str, Any] = dict(
    use_dynamic_shifting=True,
    base_shift=0.95,
    max_shift=2.05,
    base_image_seq_len=1024,
    max_image_seq_len=4096,
    shift_terminal=0.1,
)
"""The scheduler config a dev LTX checkpoint ships (diffusers' convert_ltx2_to_diffusers.py,
the non-distilled branch): the token-count shift our stages replace."""
DISTILLED_SCHEDULER: dict[str, Any] = dict(
    DEV_SCHEDULER, use_dynamic_shifting=False, shift_terminal=None
)
"""The distilled branch's (and ``Lightricks/LTX-2.5-Diffusers``'): sigmas used as given."""

TINY: dict[str, Any] = {
    "name": "tiny",
    # Text vocabulary: specials + byte fallback + single characters (None: just those).
    "vocab_size": None,
    "text_encoder": dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        sliding_window=16,
        max_position_embeddings=256,
    ),
    "vision_encoder": dict(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=16,
        patch_size=8,
    ),
    "mm_tokens_per_image": 4,
    "connectors": dict(
        caption_channels=32,
        text_proj_in_factor=3,  # num_hidden_layers + 1
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
    ),
    "transformer": dict(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=32,
        rope_double_precision=False,
        rope_type="split",
    ),
    # Two spatiotemporal blocks and patch 4 (16× spatial, 4× temporal), not the notes' one
    # spatial block (2×, 2×): 73 frames of 32×32 are 19 latent frames of 2×2 tokens, so a
    # 3 s clip takes 0.2 s instead of 6 s.
    "vae": dict(
        latent_channels=4,
        block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        layers_per_block=(1, 1, 1),
        decoder_layers_per_block=(1, 1, 1),
        spatio_temporal_scaling=(True, True),
        decoder_spatio_temporal_scaling=(True, True),
        decoder_inject_noise=(False, False, False),
        downsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_residual=(False, False),
        upsample_factor=(1, 1),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    ),
    "vae_framewise": False,
    "audio_vae": dict(
        base_channels=4,
        output_channels=2,
        ch_mult=(1, 2, 4),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    ),
    "vocoder": dict(
        in_channels=16,
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[16, 10, 8],
        upsample_factors=[8, 5, 4],  # product = mel_hop_length
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
    ),
    # Dynamic shifting on as the dev checkpoint ships it: a test proves our stages override it.
    "scheduler": DEV_SCHEDULER,
    "latent_upsampler": dict(
        in_channels=4,
        mid_channels=32,
        num_blocks_per_stage=1,
        dims=3,
        spatial_upsample=True,
        temporal_upsample=False,
        rational_spatial_scale=2.0,
        use_rational_resampler=True,
    ),
}
"""Tiny random LTX-2 (../shared/notes/tiny-pipelines.md), with two changes: a video VAE that
compresses like the real one (see above), and an audio VAE with ``ch_mult=(1, 2, 4)`` so it
compresses time and mel bins 4× as the pipelines assume (with ``(1,)`` a decoded mel is 3/4
zero padding and encoded audio does not fit the transformer's audio tokens)."""

FULL: dict[str, Any] = {
    "name": "LTX-2 (19B: 14B video + 5B audio stream), Gemma 3 12B text encoder",
    # Gemma 3 12B: 262,144 text tokens + 64 reserved = 262,208 embeddings (the last three
    # are the image tokens). The tokenizer built here only fills the vocabulary to size.
    "vocab_size": 262_208,
    "text_encoder": dict(
        hidden_size=3840,
        intermediate_size=15360,
        num_hidden_layers=48,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=256,
        sliding_window=1024,
        max_position_embeddings=131072,
        # Uncertain, irrelevant for speed: rope scaling of the global layers (factor 8, linear).
        rope_scaling={"rope_type": "linear", "factor": 8.0},
    ),
    "vision_encoder": dict(
        hidden_size=1152,
        intermediate_size=4304,
        num_hidden_layers=27,
        num_attention_heads=16,
        image_size=896,
        patch_size=14,
    ),
    "mm_tokens_per_image": 256,
    # From diffusers' scripts/convert_ltx2_to_diffusers.py, version "2.0".
    "connectors": dict(
        caption_channels=3840,
        text_proj_in_factor=49,
        video_connector_num_attention_heads=30,
        video_connector_attention_head_dim=128,
        video_connector_num_layers=2,
        video_connector_num_learnable_registers=128,
        video_gated_attn=False,
        audio_connector_num_attention_heads=30,
        audio_connector_attention_head_dim=128,
        audio_connector_num_layers=2,
        audio_connector_num_learnable_registers=128,
        audio_gated_attn=False,
        connector_rope_base_seq_len=4096,
        rope_theta=10000.0,
        rope_double_precision=True,
        causal_temporal_positioning=False,
        rope_type="split",
        per_modality_projections=False,
        proj_bias=False,
    ),
    "transformer": dict(
        in_channels=128,
        out_channels=128,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=32,
        attention_head_dim=128,
        cross_attention_dim=4096,
        vae_scale_factors=(8, 32, 32),
        pos_embed_max_pos=20,
        base_height=2048,
        base_width=2048,
        gated_attn=False,
        cross_attn_mod=False,
        audio_in_channels=128,
        audio_out_channels=128,
        audio_patch_size=1,
        audio_patch_size_t=1,
        audio_num_attention_heads=32,
        audio_attention_head_dim=64,
        audio_cross_attention_dim=2048,
        audio_scale_factor=4,
        audio_pos_embed_max_pos=20,
        audio_sampling_rate=16000,
        audio_hop_length=160,
        audio_gated_attn=False,
        audio_cross_attn_mod=False,
        num_layers=48,
        activation_fn="gelu-approximate",
        qk_norm="rms_norm_across_heads",
        norm_elementwise_affine=False,
        norm_eps=1e-6,
        caption_channels=3840,
        attention_bias=True,
        attention_out_bias=True,
        rope_theta=10000.0,
        rope_double_precision=True,
        causal_offset=1,
        timestep_scale_multiplier=1000,
        cross_attn_timestep_scale_multiplier=1000,
        rope_type="split",
        use_prompt_embeddings=True,
        perturbed_attn=False,
    ),
    "vae": dict(
        in_channels=3,
        out_channels=3,
        latent_channels=128,
        block_out_channels=(256, 512, 1024, 2048),
        down_block_types=("LTX2VideoDownBlock3D",) * 4,
        decoder_block_out_channels=(256, 512, 1024),
        layers_per_block=(4, 6, 6, 2, 2),
        decoder_layers_per_block=(5, 5, 5, 5),
        spatio_temporal_scaling=(True, True, True, True),
        decoder_spatio_temporal_scaling=(True, True, True),
        decoder_inject_noise=(False, False, False, False),
        downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal", "spatiotemporal", "spatiotemporal"),
        upsample_residual=(True, True, True),
        upsample_factor=(2, 2, 2),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        resnet_norm_eps=1e-6,
        encoder_causal=True,
        decoder_causal=False,
        encoder_spatial_padding_mode="zeros",
        decoder_spatial_padding_mode="reflect",
        spatial_compression_ratio=32,
        temporal_compression_ratio=8,
    ),
    "vae_framewise": None,  # keep diffusers' defaults
    "audio_vae": dict(
        base_channels=128,
        output_channels=2,
        ch_mult=(1, 2, 4),
        num_res_blocks=2,
        attn_resolutions=None,
        in_channels=2,
        resolution=256,
        latent_channels=8,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=64,
        double_z=True,
    ),
    "vocoder": dict(
        in_channels=128,
        hidden_channels=1024,
        out_channels=2,
        upsample_kernel_sizes=[16, 15, 8, 4, 4],
        upsample_factors=[6, 5, 2, 2, 2],
        resnet_kernel_sizes=[3, 7, 11],
        resnet_dilations=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        act_fn="leaky_relu",
        leaky_relu_negative_slope=0.1,
        antialias=False,
        final_act_fn="tanh",
        final_bias=True,
        output_sampling_rate=24000,
    ),
    "scheduler": DEV_SCHEDULER,
    "latent_upsampler": dict(
        in_channels=128,
        mid_channels=1024,
        num_blocks_per_stage=4,
        dims=3,
        spatial_upsample=True,
        temporal_upsample=False,
        rational_spatial_scale=2.0,
        use_rational_resampler=True,
    ),
}
"""The real LTX-2 (``Lightricks/LTX-2``, version 2.0) architecture, for the GPU benchmark."""


# --------------------------------------------------------------------------- building


def build_tokenizer(vocab_size: int | None = None):
    """A Gemma tokenizer built in memory: specials, byte fallback, single characters.

    ``vocab_size`` pads the vocabulary with placeholder pieces up to that size.
    """
    from transformers import GemmaTokenizer

    pieces = [*SPECIAL_TOKENS, *BYTE_TOKENS, *dict.fromkeys(TOKEN_CHARS)]
    if vocab_size is not None:
        pieces += [f"▁tok{i}" for i in range(vocab_size - len(pieces))]
    return GemmaTokenizer(vocab={p: i for i, p in enumerate(pieces)}, merges=[])


@contextlib.contextmanager
def _defaults(dtype: torch.dtype, device: str | torch.device) -> Iterator[None]:
    """Create parameters directly in ``dtype`` on ``device`` (full size never fits in fp32 RAM)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def build_ltx2_components(
    config: dict[str, Any],
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    with_upsampler: bool = True,
) -> dict[str, Any]:
    """Random-weight components of ``LTX2Pipeline`` for ``config`` (:data:`TINY`, :data:`FULL`).

    Returns the pipeline's keyword arguments, plus ``latent_upsampler`` when
    ``with_upsampler`` (not a pipeline component: pop it before ``LTX2Pipeline(**c)``).
    """
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel, LTX2TextConnectors, LTX2Vocoder
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    tokenizer = build_tokenizer(config["vocab_size"])
    text_vocab = config["vocab_size"] or len(tokenizer) + GEMMA_IMAGE_TOKENS
    torch.manual_seed(seed)
    with _defaults(dtype, device):
        gemma = Gemma3Config(
            text_config=Gemma3TextConfig(vocab_size=text_vocab, **config["text_encoder"]),
            vision_config=SiglipVisionConfig(**config["vision_encoder"]),
            mm_tokens_per_image=config["mm_tokens_per_image"],
            boi_token_index=text_vocab - 3,
            eoi_token_index=text_vocab - 2,
            image_token_index=text_vocab - 1,
        )
        components: dict[str, Any] = {
            "tokenizer": tokenizer,
            "text_encoder": Gemma3ForConditionalGeneration(gemma).eval(),
            "connectors": LTX2TextConnectors(**config["connectors"]).eval(),
            "transformer": LTX2VideoTransformer3DModel(**config["transformer"]).eval(),
            "vae": AutoencoderKLLTX2Video(**config["vae"]).eval(),
            "audio_vae": AutoencoderKLLTX2Audio(**config["audio_vae"]).eval(),
            "vocoder": LTX2Vocoder(**config["vocoder"]).eval(),
            "scheduler": FlowMatchEulerDiscreteScheduler(**config["scheduler"]),
        }
        if with_upsampler:
            components["latent_upsampler"] = LTX2LatentUpsamplerModel(
                **config["latent_upsampler"]
            ).eval()
    if config.get("vae_framewise") is not None:
        vae = components["vae"]
        vae.use_framewise_encoding = vae.use_framewise_decoding = config["vae_framewise"]
    return components


def build_ltx2_pipeline(config: dict[str, Any] = TINY, **kwargs: Any):
    """``(LTX2Pipeline, latent_upsampler or None)`` with random weights."""
    from diffusers import LTX2Pipeline

    components = build_ltx2_components(config, **kwargs)
    upsampler = components.pop("latent_upsampler", None)
    return LTX2Pipeline(**components), upsampler


def save_tiny_ltx2(
    folder: str | Path, with_upsampler: bool = True, seed: int = 0, with_distilled: bool = True
) -> Path:
    """Write a tiny random LTX-2 into ``folder``, laid out like the Hub repo; returns ``folder``.

    ``folder/model_index.json`` and one subfolder per component (``save_pretrained``);
    ``folder/latent_upsampler/`` unless ``with_upsampler`` is false; and, unless
    ``with_distilled`` is false, the repository root's distilled weights in Lightricks'
    own formats: the distilled LoRA of the refine stages and the distilled checkpoint of
    the budget tier (random, different from the dev transformer).
    """
    from ..engines.ltx2.engine import DISTILLED_CHECKPOINT
    from ..engines.ltx2.lora import DISTILLED_LORA_FILE

    folder = Path(folder)
    pipe, upsampler = build_ltx2_pipeline(TINY, seed=seed, with_upsampler=with_upsampler)
    pipe.save_pretrained(folder)
    if upsampler is not None:
        upsampler.save_pretrained(folder / "latent_upsampler")
    if with_distilled:
        save_tiny_distilled_lora(pipe.transformer, folder / DISTILLED_LORA_FILE, seed=seed + 1)
        from diffusers import LTX2VideoTransformer3DModel

        torch.manual_seed(seed + 2)
        distilled = LTX2VideoTransformer3DModel(**TINY["transformer"]).eval()
        save_original_checkpoint(distilled, folder / DISTILLED_CHECKPOINT)
    return folder


_ORIGINAL_NAMES = (
    ("av_cross_attn_video_scale_shift", "av_ca_video_scale_shift_adaln_single"),
    ("av_cross_attn_video_a2v_gate", "av_ca_a2v_gate_adaln_single"),
    ("av_cross_attn_audio_scale_shift", "av_ca_audio_scale_shift_adaln_single"),
    ("av_cross_attn_audio_v2a_gate", "av_ca_v2a_gate_adaln_single"),
    ("video_a2v_cross_attn_scale_shift_table", "scale_shift_table_a2v_ca_video"),
    ("audio_a2v_cross_attn_scale_shift_table", "scale_shift_table_a2v_ca_audio"),
    ("proj_in", "patchify_proj"),
    ("norm_q", "q_norm"),
    ("norm_k", "k_norm"),
)
"""diffusers names → Lightricks' (the inverse of diffusers' ``convert_ltx2_transformer_to_diffusers``)."""


def save_original_checkpoint(transformer, path: str | Path) -> Path:
    """Write ``transformer``'s weights as Lightricks ships LTX-2 checkpoints (one file,
    ``model.diffusion_model.`` keys with the original module names), so loading it goes
    through diffusers' own conversion (``from_single_file``) as the real file does."""
    from safetensors.torch import save_file

    state = {}
    for key, value in transformer.state_dict().items():
        name = key
        for ours, theirs in _ORIGINAL_NAMES:
            name = name.replace(ours, theirs)
        for ours, theirs in (
            ("audio_time_embed.", "audio_adaln_single."),
            ("time_embed.", "adaln_single."),
        ):
            if name.startswith(ours):
                name = theirs + name[len(ours) :]
                break
        state["model.diffusion_model." + name] = value.detach().clone().contiguous()
    path = Path(path)
    save_file(state, str(path))
    return path


# --------------------------------------------------------------------------- distilled LoRA
# A random LoRA in Lightricks' own key format (engines/ltx2/lora.py's docstring), so tests
# and benchmarks load it through diffusers' converter as the real file is loaded.

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
