"""The diffusers internals reelforge's LTX-2 code calls, and nothing else does.

The stock LTX-2 pipelines keep their latent helpers private (``_pack_latents``,
``_normalize_latents``...) and their scheduler set-up in module functions outside the
public API, and diffusers' block caches learn a transformer block through a private
registry. Our own loops (audio held for avatars, video held for video-to-audio) and the
stages between pipeline calls need them, so they are wrapped here, once: a diffusers
release that renames one breaks this module only. ``pyproject.toml`` bounds diffusers to
the minor versions the tests have run (``tests/engines/ltx2``).
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.pipelines.ltx2.pipeline_ltx2 import rescale_noise_cfg, retrieve_timesteps

__all__ = [
    "audio_latents",
    "register_block_metadata",
    "device_of",
    "packed_audio",
    "packed_video",
    "rescale_noise_cfg",
    "retrieve_timesteps",
    "video_latents",
]


def device_of(pipe: Any) -> torch.device:
    """Where the pipeline runs its denoiser (honours model offloading)."""
    return pipe._execution_device


def packed_video(pipe: Any, latents: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """``(B, C, F, H, W)`` raw VAE latents → the transformer's ``(B, tokens, C)``, normalised
    with the VAE's statistics (``normalize=False``: already normalised)."""
    if normalize:
        vae = pipe.vae
        latents = pipe._normalize_latents(
            latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )
    return pipe._pack_latents(
        latents, pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
    )


def video_latents(
    pipe: Any, packed: torch.Tensor, frames: int, height: int, width: int
) -> torch.Tensor:
    """The inverse of :func:`packed_video`: raw ``(B, C, F, H, W)`` VAE latents of a
    ``frames``×``height``×``width`` latent grid."""
    vae = pipe.vae
    latents = pipe._unpack_latents(
        packed,
        frames,
        height,
        width,
        pipe.transformer_spatial_patch_size,
        pipe.transformer_temporal_patch_size,
    )
    return pipe._denormalize_latents(
        latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
    )


def packed_audio(pipe: Any, latents: torch.Tensor) -> torch.Tensor:
    """``(B, C, frames, mel)`` raw audio-VAE latents → normalised ``(B, frames, C·mel)``."""
    vae = pipe.audio_vae
    return pipe._normalize_audio_latents(
        pipe._pack_audio_latents(latents), vae.latents_mean, vae.latents_std
    )


def audio_latents(pipe: Any, packed: torch.Tensor, frames: int) -> torch.Tensor:
    """The inverse of :func:`packed_audio`."""
    vae = pipe.audio_vae
    latents = pipe._denormalize_audio_latents(packed, vae.latents_mean, vae.latents_std)
    mel_bins = vae.config.mel_bins // pipe.audio_vae_mel_compression_ratio
    return pipe._unpack_audio_latents(latents, frames, num_mel_bins=mel_bins)


def register_block_metadata() -> None:
    """Teach diffusers' block caches the LTX-2 transformer block.

    ``LTX2VideoTransformerBlock`` returns ``(video, audio)`` hidden states and takes them as
    ``hidden_states`` and ``audio_hidden_states``; the caches look up the second stream
    by the name ``encoder_hidden_states``, so that name is mapped to the audio stream.
    Registering is idempotent; blocks diffusers already knows (Wan) are left alone.
    """
    try:
        from diffusers.hooks._helpers import TransformerBlockMetadata, TransformerBlockRegistry
        from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformerBlock
    except ImportError:
        return

    class _RenamedStreams(TransformerBlockMetadata):
        def _get_parameter_from_args_kwargs(self, identifier: str, args=(), kwargs=None):
            if identifier == "encoder_hidden_states":
                identifier = self.encoder_hidden_states_argument_name
            return super()._get_parameter_from_args_kwargs(identifier, args, kwargs)

    TransformerBlockRegistry._register()
    if LTX2VideoTransformerBlock not in TransformerBlockRegistry._registry:
        TransformerBlockRegistry.register(
            LTX2VideoTransformerBlock,
            _RenamedStreams(
                return_hidden_states_index=0,
                return_encoder_hidden_states_index=1,
                encoder_hidden_states_argument_name="audio_hidden_states",
            ),
        )
