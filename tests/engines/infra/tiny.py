"""A tiny random-weight ``WanPipeline`` built in code (../shared/notes/tiny-pipelines.md).

Only for the speed-option and weights tests: the engines' own builders live with the
engines. Four transformer blocks, so a block cache has a head, a middle and a tail.
"""

from __future__ import annotations

import string
from pathlib import Path

import torch

WAN_TRANSFORMER = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=2,
    attention_head_dim=12,
    in_channels=16,
    out_channels=16,
    text_dim=32,
    freq_dim=256,
    ffn_dim=32,
    num_layers=4,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    rope_max_seq_len=32,
)


def tiny_tokenizer():
    from transformers import T5Tokenizer

    pieces = ["<pad>", "</s>", "<unk>", "▁"]
    pieces += [f"▁{w}" for w in ("a", "the", "cat", "boat", "harbor", "walks", "sea")]
    pieces += list(string.ascii_lowercase + string.digits + ".,")
    vocab = [(p, -float(i)) for i, p in enumerate(pieces)]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def build_tiny_wan(seed: int = 0):
    """A ``WanPipeline`` with random weights, float32, on the CPU."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
        )
    ).eval()
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    ).eval()
    transformer = WanTransformer3DModel(**WAN_TRANSFORMER).eval()
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
    )


def save_tiny_wan(folder: Path, seed: int = 0) -> Path:
    build_tiny_wan(seed).save_pretrained(folder)
    return folder


WAN_CALL = dict(
    prompt="a cat walks by the sea",
    negative_prompt="",
    height=32,
    width=32,
    num_frames=9,
    guidance_scale=4.0,
    max_sequence_length=16,
    output_type="np",
)


def run_wan(pipe, steps: int = 2, seed: int = 7):
    """Frames ``(F, H, W, 3)`` of one call with a fixed seed."""
    out = pipe(
        **WAN_CALL, num_inference_steps=steps, generator=torch.Generator("cpu").manual_seed(seed)
    )
    return out.frames[0]
