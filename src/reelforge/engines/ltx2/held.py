"""Our LTX-2 denoising loop, where either modality can be held clean.

Stock diffusers denoises video and audio together. LTX-2's transformer takes a video
``timestep`` (per token) and an ``audio_timestep`` apart, and its blocks cross-attend
audio↔video, so the same components also do:

- **audio-to-video**: the user's audio is encoded by the audio VAE and held clean (audio
  timestep 0, never stepped) while the video is denoised; the audio→video attention is
  what carries the lip-sync. A start image holds the first video latent frame clean, as
  in ``LTX2ImageToVideoPipeline``.
- **video-to-audio**: a finished video is encoded by the video VAE and held clean while
  the audio is denoised.

A token is *held* when its mask is 1: its timestep is 0 and the scheduler's update is
discarded for it. With no token held the loop is ``LTX2Pipeline``'s; with the first
frame held it is ``LTX2ImageToVideoPipeline``'s (the tests check both, to 1e-5). The
prompt encoding, scheduler set-up, RoPE coordinates and latent helpers are the stock
pipeline's own methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from diffusers.pipelines.ltx2.utils import conditioning_frame_rate

from .internals import device_of, rescale_noise_cfg, retrieve_timesteps
from .presets import Guidance
from .schedule import passthrough_scheduler


@dataclass
class Stream:
    """One modality in the loop: packed normalised latents ``(B, tokens, channels)``, and
    ``held`` ``(B, tokens)``, 1.0 where a token stays clean (``None``: all denoised).

    With ``clean`` (the conditions' clean latents, as ``LTX2ConditionPipeline`` prepares
    them) ``held`` may lie between 0 and 1: each step's prediction is blended toward
    ``clean`` by it, as the stock pipeline does. ``appended_coords``: positions of tokens
    appended after the grid (keyframe conditions), dropped before decoding.
    """

    latents: torch.Tensor
    held: torch.Tensor | None = None
    clean: torch.Tensor | None = None
    appended_coords: torch.Tensor | None = None

    @property
    def fully_held(self) -> bool:
        return self.held is not None and bool(torch.all(self.held == 1))


@dataclass(frozen=True)
class Grid:
    """Latent sizes of one render: video frames × height × width tokens, audio frames."""

    frames: int
    height: int
    width: int
    audio_frames: int


def connector_embeddings(pipe, text: dict[str, torch.Tensor], cfg: bool) -> tuple:
    """The connectors' video and audio embeddings and mask of ``text`` (the engine's
    ``encode_prompt`` outputs; ``[negative, positive]`` with CFG), as the stock call makes them."""
    embeds, mask = text["prompt_embeds"], text["prompt_attention_mask"]
    if cfg:
        embeds = torch.cat([text["negative_prompt_embeds"], embeds])
        mask = torch.cat([text["negative_prompt_attention_mask"], mask])
    side = getattr(getattr(pipe, "tokenizer", None), "padding_side", "left")
    return pipe.connectors(embeds, mask, padding_side=side)


@torch.no_grad()
def denoise(
    pipe,
    video: Stream,
    audio: Stream,
    grid: Grid,
    *,
    text: dict[str, torch.Tensor],
    guidance: Guidance,
    sigmas: Sequence[float],
    frame_rate: float,
    use_cross_timestep: bool = False,
    on_step: Callable[[int, int], None] | None = None,
    check: Callable[[int, torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Denoise ``video`` and ``audio`` (packed, normalised) except their held tokens.

    Returns the final packed latents of both. ``pipe`` is any LTX-2 pipeline (the
    components are shared); ``guidance`` is applied like the stock pipelines apply it;
    ``text``: the prompt's ``encode_prompt`` outputs (the engine's ``text``, with the
    negative prompt's when ``guidance`` has CFG); ``check(step, latents)``
    sees both modalities' latents after every step (and may raise).
    """
    device = device_of(pipe)
    transformer = pipe.transformer
    g = guidance
    context, audio_context, context_mask = connector_embeddings(pipe, text, g.cfg)
    dtype = context.dtype

    # Schedule: exactly ``sigmas`` (``schedule.stages`` computed them), one scheduler per
    # modality as the stock pipelines keep; the pipeline's own scheduler is left alone.
    scheduler, audio_scheduler = (
        passthrough_scheduler(pipe.scheduler),
        passthrough_scheduler(pipe.scheduler),
    )
    retrieve_timesteps(audio_scheduler, None, device, None, sigmas=list(sigmas[:-1]))
    timesteps, _ = retrieve_timesteps(scheduler, None, device, None, sigmas=list(sigmas[:-1]))
    scheduler.set_begin_index(0)
    audio_scheduler.set_begin_index(0)

    fps = conditioning_frame_rate(frame_rate, 1.0)
    batch = video.latents.shape[0]
    video_coords = transformer.rope.prepare_video_coords(
        batch, grid.frames, grid.height, grid.width, device, fps=fps
    )
    if video.appended_coords is not None:
        video_coords = torch.cat([video_coords, video.appended_coords], dim=2)
    audio_coords = transformer.audio_rope.prepare_audio_coords(batch, grid.audio_frames, device)

    positive = (context, audio_context, context_mask)
    if g.cfg:
        positive = tuple(x.chunk(2)[1] for x in positive)

    def predict(v, a, t, *, pair: bool, cache: str, **extra):
        """x0-space inputs → velocity predictions ``(video, audio)``; ``pair``: the CFG batch
        ``[negative, positive]``, else the positive prompt alone."""
        text, audio_text, text_mask = (context, audio_context, context_mask) if pair else positive

        def rep(x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x, x]) if pair else x

        with transformer.cache_context(cache):
            v_pred, a_pred = transformer(
                hidden_states=rep(v).to(dtype),
                audio_hidden_states=rep(a).to(dtype),
                encoder_hidden_states=text,
                audio_encoder_hidden_states=audio_text,
                timestep=rep(_timestep(t, video.held, batch)),
                audio_timestep=rep(_timestep(t, audio.held, batch)),
                sigma=rep(_sigma(t, video, batch)),
                audio_sigma=rep(_sigma(t, audio, batch)),
                encoder_attention_mask=text_mask,
                audio_encoder_attention_mask=text_mask,
                num_frames=grid.frames,
                height=grid.height,
                width=grid.width,
                fps=fps,
                audio_num_frames=grid.audio_frames,
                video_coords=rep(video_coords),
                audio_coords=rep(audio_coords),
                use_cross_timestep=use_cross_timestep,
                return_dict=False,
                **extra,
            )
        return v_pred.float(), a_pred.float()

    v_lat, a_lat = video.latents, audio.latents
    for i, t in enumerate(timesteps):

        def x0(sample, velocity, scheduler, step=i):
            return pipe.convert_velocity_to_x0(sample, velocity, step, scheduler)

        # Guidance as the stock pipelines apply it: deltas in x0 space, summed in order.
        v_pred, a_pred = predict(
            v_lat, a_lat, t, pair=g.cfg, cache="cond_uncond", isolate_modalities=False
        )
        v_deltas, a_deltas = [], []
        if g.cfg:
            (v_un, v_pred), (a_un, a_pred) = v_pred.chunk(2), a_pred.chunk(2)
        v_x0, a_x0 = x0(v_lat, v_pred, scheduler), x0(a_lat, a_pred, audio_scheduler)
        if g.cfg:
            v_deltas.append((g.video_cfg - 1) * (v_x0 - x0(v_lat, v_un, scheduler)))
            a_deltas.append((g.audio_cfg - 1) * (a_x0 - x0(a_lat, a_un, audio_scheduler)))
        if g.stg:
            v_p, a_p = predict(
                v_lat,
                a_lat,
                t,
                pair=False,
                cache="uncond_stg",
                isolate_modalities=False,
                spatio_temporal_guidance_blocks=list(g.stg_blocks),
            )
            v_deltas.append(g.video_stg * (v_x0 - x0(v_lat, v_p, scheduler)))
            a_deltas.append(g.audio_stg * (a_x0 - x0(a_lat, a_p, audio_scheduler)))
        if g.modality:
            v_p, a_p = predict(
                v_lat, a_lat, t, pair=False, cache="uncond_modality", isolate_modalities=True
            )
            v_deltas.append((g.video_modality - 1) * (v_x0 - x0(v_lat, v_p, scheduler)))
            a_deltas.append((g.audio_modality - 1) * (a_x0 - x0(a_lat, a_p, audio_scheduler)))
        v_x0 = _toward_clean(_rescaled(sum(v_deltas, v_x0), v_x0, g.video_rescale), video)
        a_x0 = _toward_clean(_rescaled(sum(a_deltas, a_x0), a_x0, g.audio_rescale), audio)

        # Euler step in velocity space; held tokens keep their clean latents.
        v_velocity = pipe.convert_x0_to_velocity(v_lat, v_x0, i, scheduler)
        a_velocity = pipe.convert_x0_to_velocity(a_lat, a_x0, i, audio_scheduler)
        v_next = scheduler.step(v_velocity, t, v_lat, return_dict=False)[0]
        a_next = audio_scheduler.step(a_velocity, t, a_lat, return_dict=False)[0]
        v_lat, a_lat = _keep_held(v_lat, v_next, video.held), _keep_held(a_lat, a_next, audio.held)
        if check is not None:
            check(i, v_lat)
            check(i, a_lat)
        if on_step is not None:
            on_step(i + 1, len(timesteps))
    return v_lat, a_lat


def _timestep(t: torch.Tensor, held: torch.Tensor | None, batch: int) -> torch.Tensor:
    """Per-batch timestep, or per token (0 on held tokens) when some are held."""
    if held is None:
        return t.expand(batch)
    return t.unsqueeze(-1) * (1 - held)


def _sigma(t: torch.Tensor, stream: Stream, batch: int) -> torch.Tensor:
    """The modality-level noise level (cross-attention modulation): 0 when fully held."""
    return torch.zeros_like(t).expand(batch) if stream.fully_held else t.expand(batch)


def _rescaled(guided: torch.Tensor, plain: torch.Tensor, rescale: float) -> torch.Tensor:
    return rescale_noise_cfg(guided, plain, guidance_rescale=rescale) if rescale > 0 else guided


def _toward_clean(x0: torch.Tensor, stream: Stream) -> torch.Tensor:
    """The prediction blended toward the conditions' clean latents by ``held`` (when given)."""
    if stream.clean is None or stream.held is None:
        return x0
    mask = stream.held.unsqueeze(-1)
    return x0 * (1 - mask) + stream.clean * mask


def _keep_held(
    before: torch.Tensor, after: torch.Tensor, held: torch.Tensor | None
) -> torch.Tensor:
    """Fully held tokens keep their values (partly held ones follow the blended prediction)."""
    if held is None:
        return after
    return torch.where(held.unsqueeze(-1) >= 1, before, after)
