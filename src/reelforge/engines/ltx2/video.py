"""Pictures in and out of LTX-2's video VAE, with the stock pipelines' own helpers."""

from __future__ import annotations

import numpy as np
import PIL.Image
import torch
from diffusers.pipelines.ltx2.utils import apply_image_conditioning_crf, resolve_default_image_crf
from diffusers.utils.torch_utils import randn_tensor

from .held import Grid
from .internals import device_of, packed_video, video_latents


def video_latent_frames(pipe, frames: int) -> int:
    """Latent frames the video VAE makes of ``frames`` frames (``8k + 1`` → ``k + 1``)."""
    return (frames - 1) // pipe.vae_temporal_compression_ratio + 1


def grid_for(pipe, frames: int, width: int, height: int, audio_frames: int) -> Grid:
    """Latent sizes of ``frames`` frames of ``width``×``height`` (as the pipelines count them)."""
    return Grid(
        frames=video_latent_frames(pipe, frames),
        height=height // pipe.vae_spatial_compression_ratio,
        width=width // pipe.vae_spatial_compression_ratio,
        audio_frames=audio_frames,
    )


def image_tensor(pipe, image: PIL.Image.Image, width: int, height: int) -> torch.Tensor:
    """A start image as ``LTX2ImageToVideoPipeline`` prepares it: H.264 re-compressed at the
    model's CRF (what it was trained on), resized, in [-1, 1]."""
    crf = resolve_default_image_crf(pipe.text_encoder)
    if crf:
        image = PIL.Image.fromarray(
            apply_image_conditioning_crf(np.array(image.convert("RGB")), crf)
        )
    tensor = pipe.video_processor.preprocess(image, height=height, width=width)
    return tensor.to(device=device_of(pipe), dtype=pipe.text_encoder.dtype)


def encode_frames(pipe, frames: np.ndarray) -> torch.Tensor:
    """uint8 ``(F, H, W, 3)`` frames → packed, normalised video latents (the VAE's mean)."""
    vae = pipe.vae
    video = torch.from_numpy(frames).to(device_of(pipe)).permute(3, 0, 1, 2)[None]
    video = (video.float() / 127.5 - 1.0).to(vae.dtype)
    return packed_video(pipe, vae.encode(video).latent_dist.mode().float())


def decode_video(pipe, packed: torch.Tensor, grid: Grid, generator: torch.Generator) -> np.ndarray:
    """Packed normalised latents → float frames ``(1, F, H, W, 3)`` in [0, 1], as the pipelines
    decode. Tokens appended after the grid (keyframe conditions) are dropped."""
    p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
    tokens = (grid.frames // pt) * (grid.height // p) * (grid.width // p)
    latents = video_latents(pipe, packed[:, :tokens], grid.frames, grid.height, grid.width)
    return decode_raw(pipe, latents, generator)


def decode_raw(pipe, latents: torch.Tensor, generator: torch.Generator) -> np.ndarray:
    """Raw ``(B, C, F, H, W)`` VAE latents (what the stock pipelines return as ``"latent"``)
    → float frames ``(B, F, H, W, 3)`` in [0, 1], decoded as the pipelines decode (tiled
    when the VAE's tiling is on)."""
    vae = pipe.vae
    timestep = None
    if vae.config.timestep_conditioning:  # decode at timestep 0, noise scale 0 (the stock default)
        noise = randn_tensor(
            latents.shape, generator=generator, device=latents.device, dtype=latents.dtype
        )
        latents = latents + 0.0 * noise
        timestep = torch.zeros(latents.shape[0], device=latents.device, dtype=latents.dtype)
    video = vae.decode(latents.to(vae.dtype), timestep, return_dict=False)[0]
    return pipe.video_processor.postprocess_video(video, output_type="np")
