"""Sound in and out of LTX-2's audio VAE: waveform → log-mel → latents, and back.

diffusers ships the audio VAE and the vocoder but no waveform → mel front end for the
VAE's encoder (LTX-2 computes it with torchaudio in Lightricks' code), so the log-mel
spectrogram is computed here in plain torch, the way ltx-core does: magnitude STFT with a
Hann window, Slaney-scale mel filters with Slaney normalisation, ``log(max(mel, 1e-5))``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ...media.clip import Audio
from ..diffusers_engine import as_audio
from .internals import audio_latents, device_of, packed_audio

MEL_N_FFT = 1024
"""STFT size (and window) of LTX-2's mel front end, as in ltx-core's audio processor."""
LOG_FLOOR = 1e-5


# --------------------------------------------------------------------------- mel


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, math.log(6.4) / 27.0
    mel = freq / f_sp
    log_part = freq >= min_log_hz
    mel[log_part] = min_log_hz / f_sp + np.log(freq[log_part] / min_log_hz) / logstep
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, math.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    freq = mel * f_sp
    log_part = mel >= min_log_mel
    freq[log_part] = min_log_hz * np.exp(logstep * (mel[log_part] - min_log_mel))
    return freq


def mel_filters(rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """``(n_mels, n_fft // 2 + 1)`` triangular filters, Slaney scale and area normalisation."""
    freqs = np.linspace(0.0, rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(
        np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([rate / 2]))[0], n_mels + 2)
    )
    slopes = edges[None, :] - freqs[:, None]
    widths = np.diff(edges)
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    bank = np.maximum(0.0, np.minimum(down, up)) * (2.0 / (edges[2:] - edges[:-2]))[None, :]
    return torch.from_numpy(bank.T.astype(np.float32))


def log_mel(
    waveform: torch.Tensor, rate: int, n_mels: int, hop: int, n_fft: int = MEL_N_FFT
) -> torch.Tensor:
    """``(channels, samples)`` → ``(1, channels, frames, n_mels)``, the audio VAE's input."""
    samples = waveform.float()
    if samples.shape[-1] <= n_fft // 2:  # reflect padding needs more than half a window
        samples = torch.nn.functional.pad(samples, (0, n_fft // 2 + 1 - samples.shape[-1]))
    spec = torch.stft(
        samples,
        n_fft=n_fft,
        hop_length=hop,
        win_length=n_fft,
        window=torch.hann_window(n_fft, device=samples.device),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()
    mel = mel_filters(rate, n_fft, n_mels).to(spec.device) @ spec
    return torch.log(torch.clamp(mel, min=LOG_FLOOR)).transpose(1, 2).unsqueeze(0)


# --------------------------------------------------------------------------- latents


def latent_frames(pipe, seconds: float) -> int:
    """Audio latent frames LTX-2 gives ``seconds`` of sound (as its pipelines count them)."""
    per_second = (
        pipe.audio_sampling_rate / pipe.audio_hop_length / pipe.audio_vae_temporal_compression_ratio
    )
    return round(seconds * per_second)


def encode_audio(pipe, audio: Audio, frames: int) -> torch.Tensor:
    """``audio`` (at the VAE's rate and channels) → packed, normalised latents of ``frames``.

    The mel is cut or padded to the length that decodes back to exactly ``frames``
    latent frames (the causal VAE maps ``4n - 3`` mel frames to ``n``).
    """
    vae = pipe.audio_vae
    ratio = pipe.audio_vae_temporal_compression_ratio
    wave = torch.from_numpy(audio.samples).to(device_of(pipe))
    mel = log_mel(wave, vae.config.sample_rate, vae.config.mel_bins, vae.config.mel_hop_length)
    mel_frames = max(ratio * frames - (ratio - 1), 1)
    mel = _fit_frames(mel, mel_frames, dim=2, fill=math.log(LOG_FLOOR))
    latents = vae.encode(mel.to(vae.dtype)).latent_dist.mode().float()
    latents = _fit_frames(latents, frames, dim=2, fill=0.0)
    return packed_audio(pipe, latents)


def decode_audio(pipe, packed: torch.Tensor, frames: int) -> torch.Tensor:
    """Packed normalised latents → waveform ``(batch, channels, samples)`` from the vocoder."""
    return decode_raw_audio(pipe, audio_latents(pipe, packed, frames))


def decode_raw_audio(pipe, latents: torch.Tensor) -> torch.Tensor:
    """Raw ``(B, C, frames, mel)`` audio-VAE latents (the stock pipelines' ``"latent"``
    output) → waveform ``(batch, channels, samples)``, as the pipelines decode."""
    vae = pipe.audio_vae
    mel = vae.decode(latents.to(vae.dtype), return_dict=False)[0]
    return pipe.vocoder(mel)


def _fit_frames(x: torch.Tensor, n: int, dim: int, fill: float) -> torch.Tensor:
    if x.shape[dim] >= n:
        return x.narrow(dim, 0, n)
    shape = list(x.shape)
    shape[dim] = n - x.shape[dim]
    return torch.cat([x, x.new_full(shape, fill)], dim=dim)


def to_audio(waveform, rate: int, seconds: float) -> Audio:
    """A vocoder output (tensor ``(B, C, n)`` or ``(C, n)``) as :class:`Audio` of exactly ``seconds``."""
    return as_audio(waveform, rate).fit(seconds)
