"""``LTX2Engine``: LTX-2 video + audio behind the reelforge engine interface.

One segment, one mode, chosen from what the segment is conditioned on:

==============  =========================================  ==============================
mode            when                                       how
==============  =========================================  ==============================
text-to-video   no image, no audio                         ``LTX2Pipeline``
image-to-video  a start image                              ``LTX2ImageToVideoPipeline``
keyframes       an end image, an identity anchor, or the   ``LTX2ConditionPipeline``
                previous chunk's last frames
audio-to-video  the user's audio (avatar)                  our loop (``held.py``)
==============  =========================================  ==============================

An identity anchor (shot 1's key frame for a later shot, an avatar's picture for a later
window) is LTX-2's keyframe condition at the segment's middle latent frame with
``presets.ANCHOR_STRENGTH``: extra tokens the frames attend to, dropped before decoding.

Video-to-audio (sound for a finished, silent clip) is :meth:`LTX2Engine.add_audio`.
4K segments render at half size, then go through ``LTX2LatentUpsamplePipeline`` and a
short refine pass (``upscale.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import PIL.Image
import torch

from ...errors import EngineUnavailable
from ...media.clip import Audio, Clip
from ...media.decode import fit_image, load_image, read_audio
from ...planning.plan import Segment
from ..base import StepCallback, no_progress
from ..diffusers_engine import DiffusersEngine
from . import presets
from .audio import decode_audio, encode_audio, latent_frames, to_audio
from .held import PromptCache, Stream, denoise
from .video import decode_video, encode_frames, grid_for, image_tensor, video_latent_frames

T2V, I2V, KEYFRAMES, A2V = "text-to-video", "image-to-video", "keyframes", "audio-to-video"
PIPELINES = {
    T2V: "LTX2Pipeline",
    I2V: "LTX2ImageToVideoPipeline",
    KEYFRAMES: "LTX2ConditionPipeline",
    A2V: "LTX2ImageToVideoPipeline",  # our loop runs on its components and helpers
}
UPSAMPLER_FOLDER = "latent_upsampler"


class LTX2Engine(DiffusersEngine):
    """LTX-2 (``Lightricks/LTX-2``): tiers ``cinema``, ``budget`` and ``avatar``."""

    name = "ltx2"
    base_pipeline = "LTX2Pipeline"

    def __init__(self, model_path=None, tier: str | None = None) -> None:
        super().__init__(model_path=model_path, tier=tier)
        self._upsampler: Any = None
        self._prompts = PromptCache()

    # --- the interface ---------------------------------------------------------------

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        start, end = self.start(segment, previous), self.end_image(segment)
        anchor = self.anchor_image(segment)
        mode = self.mode(segment, start, end, anchor)
        recipe = self.recipe(segment.steps, "avatar" if mode == A2V else self.tier)
        if mode == A2V:
            clip = self._audio_to_video(segment, recipe, start, anchor, progress)
        else:
            inputs = self._inputs(segment, mode, start, end, anchor, recipe, progress)
            if self.is_4k(segment):
                from .upscale import render_upscaled

                clip = render_upscaled(self, segment, mode, inputs, progress)
            else:
                clip = self._stock(segment, mode, inputs)
        clip.meta.update({"engine": self.name, "mode": mode, "steps": recipe.steps})
        return clip

    @staticmethod
    def mode(
        segment: Segment,
        start: PIL.Image.Image | None,
        end: PIL.Image.Image | None,
        anchor: PIL.Image.Image | None = None,
    ) -> str:
        if segment.conditioning.audio is not None:
            return A2V
        if end is not None or anchor is not None or isinstance(start, list):
            return KEYFRAMES
        return I2V if start is not None else T2V

    @staticmethod
    def is_4k(segment: Segment) -> bool:
        return min(segment.width, segment.height) >= presets.UPSCALE_MIN_SHORT_SIDE

    def recipe(self, steps: int | None, tier: str | None = None) -> presets.Recipe:
        """Steps, guidance and schedule for ``tier`` (default: the engine's). Audio-to-video
        always samples as ``avatar``: one loaded engine serves every tier of its folder."""
        from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

        layers = self.pipeline(self.base_pipeline).transformer.config.num_layers
        return presets.recipe(tier or self.tier, steps, layers, DISTILLED_SIGMA_VALUES)

    @property
    def cross_timestep(self) -> bool:
        """LTX-2.3 and later modulate cross-attention by the other modality's noise level;
        LTX-2.0 (the one with prompt embeddings in the transformer) does not."""
        config = self.pipeline(self.base_pipeline).transformer.config
        return not config.get("use_prompt_embeddings", True)

    # --- conditioning -----------------------------------------------------------------

    def start(
        self, segment: Segment, previous: Clip | None
    ) -> PIL.Image.Image | list[PIL.Image.Image] | None:
        """What the segment starts from, fitted to its size: for a continued chunk, the
        previous chunk's frames it re-renders (as many as LTX-2 holds: ``8k + 1`` ≤ the
        overlap), so motion carries over and not only the pose; else the start image."""
        overlap = segment.conditioning.continue_from_previous
        if overlap and previous is not None:
            ratio = self.pipeline(self.base_pipeline).vae_temporal_compression_ratio
            count = (min(overlap, previous.num_frames) - 1) // ratio * ratio + 1
            first = previous.num_frames - overlap
            frames = [
                PIL.Image.fromarray(fit_image(f, segment.width, segment.height, "cover"))
                for f in previous.frames[max(first, 0) : max(first, 0) + count]
            ]
            return frames if len(frames) > 1 else frames[0]
        return self._fitted(segment.conditioning.start_image, segment)

    def end_image(self, segment: Segment) -> PIL.Image.Image | None:
        return self._fitted(segment.conditioning.end_image, segment)

    def anchor_image(self, segment: Segment) -> PIL.Image.Image | None:
        """The identity anchor's picture, fitted to the segment's size (None: no anchor)."""
        anchor = segment.conditioning.anchor
        return None if anchor is None else self._fitted(anchor.image, segment)

    def conditions(
        self,
        segment: Segment,
        start: PIL.Image.Image | list[PIL.Image.Image] | None,
        end: PIL.Image.Image | None,
        anchor: PIL.Image.Image | None,
    ) -> list[Any]:
        """``LTX2VideoCondition`` items: the start (an image or frames) at latent frame 0,
        the end at the last, the anchor at the middle (``ANCHOR_STRENGTH``)."""
        from diffusers.pipelines.ltx2 import LTX2VideoCondition

        out = []
        if start is not None:
            out.append(LTX2VideoCondition(frames=start, index=0))
        if end is not None:
            out.append(LTX2VideoCondition(frames=end, index=-1))
        if anchor is not None:
            middle = max(video_latent_frames(self.pipeline(self.base_pipeline), segment.frames) // 2, 1)
            out.append(
                LTX2VideoCondition(frames=anchor, index=middle, strength=presets.ANCHOR_STRENGTH)
            )
        return out

    @staticmethod
    def _fitted(path, segment: Segment) -> PIL.Image.Image | None:
        if path is None:
            return None
        return PIL.Image.fromarray(
            fit_image(load_image(path), segment.width, segment.height, "cover")
        )

    # --- stock pipelines --------------------------------------------------------------

    def _inputs(self, segment, mode, start, end, anchor, recipe, progress) -> dict[str, Any]:
        """The stock pipeline's keyword arguments for ``segment`` in ``mode``."""
        from diffusers.pipelines.ltx2.utils import DEFAULT_NEGATIVE_PROMPT

        inputs: dict[str, Any] = dict(
            prompt=segment.prompt,
            negative_prompt=segment.negative_prompt or DEFAULT_NEGATIVE_PROMPT,
            width=segment.width,
            height=segment.height,
            num_frames=segment.frames,
            frame_rate=float(segment.fps),
            num_inference_steps=recipe.steps,
            sigmas=list(recipe.sigmas) if recipe.sigmas else None,
            use_cross_timestep=self.cross_timestep,
            callback_on_step_end=self.step_callback(progress, recipe.steps),
            **recipe.guidance.pipeline_kwargs(),
        )
        if mode == I2V:
            inputs["image"] = start
        elif mode == KEYFRAMES:
            inputs["conditions"] = self.conditions(segment, start, end, anchor)
        return inputs

    def _stock(self, segment: Segment, mode: str, inputs: dict[str, Any]) -> Clip:
        pipe = self.pipeline(PIPELINES[mode])
        out = pipe(**inputs, generator=self.generator(segment.seed), output_type="np")
        return self.clip(segment, out.frames, out.audio, pipe)

    def clip(self, segment: Segment, frames, audio, pipe) -> Clip:
        """Exactly ``segment.frames`` frames; the sound (when the segment wants it) cut or
        padded to the same duration."""
        clip = self.to_clip(frames, segment.fps)
        clip = Clip(clip.frames[: segment.frames], clip.fps, None, clip.meta)
        if segment.audio and audio is not None:
            clip.audio = to_audio(audio, pipe.vocoder.config.output_sampling_rate, clip.duration)
        return clip

    # --- audio-to-video ---------------------------------------------------------------

    @torch.no_grad()
    def _audio_to_video(self, segment, recipe, start, anchor, progress) -> Clip:
        """The user's audio held clean while the video is denoised (lip-sync for ``avatar``).

        When the segment asks for sound, the clip carries the audio as the VAE round trip
        gives it back; an avatar's plan does not (the runner muxes the user's original
        track, ``plan.audio_source == "user"``), and the audio decode is skipped.
        """
        pipe = self.pipeline(PIPELINES[A2V])
        seconds = segment.frames / segment.fps
        grid = grid_for(
            pipe, segment.frames, segment.width, segment.height, latent_frames(pipe, seconds)
        )
        generator = self.generator(segment.seed)
        video = (
            self._conditioned_video(segment, start, anchor, generator)
            if anchor is not None or isinstance(start, list)
            else self._noisy_video(pipe, segment, start, generator)
        )
        audio = self.user_audio_latents(segment, grid.audio_frames)
        held = torch.ones(audio.shape[:2], device=audio.device)
        v, a = denoise(
            pipe,
            video,
            Stream(audio, held),
            grid,
            prompt=segment.prompt,
            negative_prompt=segment.negative_prompt or _default_negative(),
            guidance=recipe.guidance,
            steps=recipe.steps,
            sigmas=recipe.sigmas,
            frame_rate=float(segment.fps),
            use_cross_timestep=self.cross_timestep,
            on_step=progress,
            prompts=self._prompts,
        )
        clip = self.to_clip(decode_video(pipe, v, grid, generator), segment.fps)
        if segment.audio:  # an avatar's plan muxes the user's own track: no decode needed
            sound = decode_audio(pipe, a, grid.audio_frames)
            clip.audio = to_audio(sound, pipe.vocoder.config.output_sampling_rate, clip.duration)
        return clip

    def _noisy_video(self, pipe, segment, start, generator) -> Stream:
        """Starting video latents: noise, with the first latent frame the start image (held)."""
        channels = pipe.transformer.config.in_channels
        size = (segment.height, segment.width, segment.frames)
        if start is None:
            t2v = self.pipeline(self.base_pipeline)
            latents = t2v.prepare_latents(
                1, channels, *size, 0.0, torch.float32, pipe._execution_device, generator
            )
            return Stream(latents)
        image = image_tensor(pipe, start, segment.width, segment.height)
        latents, mask = pipe.prepare_latents(
            image, 1, channels, *size, 0.0, torch.float32, pipe._execution_device, generator
        )
        return Stream(latents, mask)

    def _conditioned_video(self, segment, start, anchor, generator) -> Stream:
        """Starting video latents with the start image or frames (held) and the identity
        anchor (appended tokens at ``ANCHOR_STRENGTH``), as ``LTX2ConditionPipeline`` makes them."""
        pipe = self.pipeline(PIPELINES[KEYFRAMES])
        latents, mask, clean, coords = pipe.prepare_latents(
            self.conditions(segment, start, None, anchor),
            1,
            pipe.transformer.config.in_channels,
            segment.height,
            segment.width,
            segment.frames,
            float(segment.fps),
            1.0,
            torch.float32,
            pipe._execution_device,
            generator,
        )
        return Stream(latents, mask.squeeze(-1), clean=clean, appended_coords=coords)

    def user_audio(self, segment: Segment) -> Audio:
        """The segment's stretch of the user's audio, at the audio VAE's rate and channels."""
        vae = self.pipeline(self.base_pipeline).audio_vae
        span = segment.conditioning.audio_span
        begin = span.start if span is not None else 0.0
        return read_audio(
            segment.conditioning.audio,
            rate=vae.config.sample_rate,
            channels=vae.config.in_channels,
            span=(begin, begin + segment.frames / segment.fps),
        )

    def user_audio_latents(self, segment: Segment, frames: int) -> torch.Tensor:
        pipe = self.pipeline(self.base_pipeline)
        return encode_audio(pipe, self.user_audio(segment), frames)

    # --- video-to-audio ---------------------------------------------------------------

    @torch.no_grad()
    def add_audio(self, clip: Clip, prompt: str, seed: int, steps: int | None = None) -> Audio:
        """Sound for a finished clip: its frames are encoded by the video VAE and held clean
        while audio latents are denoised, then decoded by the audio VAE and the vocoder.

        Returns :class:`Audio` lasting exactly ``clip.duration`` at the vocoder's rate.
        """
        pipe = self.pipeline(self.base_pipeline)
        frames = _v2a_frames(clip.frames, pipe.vae_temporal_compression_ratio)
        fps = float(clip.fps)
        seconds = frames.shape[0] / fps
        grid = grid_for(
            pipe, frames.shape[0], frames.shape[2], frames.shape[1], latent_frames(pipe, seconds)
        )
        generator = self.generator(seed)
        video = encode_frames(pipe, frames)
        vae = pipe.audio_vae
        audio = pipe.prepare_audio_latents(
            1,
            vae.config.latent_channels,
            grid.audio_frames,
            vae.config.mel_bins,
            0.0,
            torch.float32,
            pipe._execution_device,
            generator,
        )
        guidance = presets.DISTILLED_GUIDANCE if self.tier == "budget" else presets.FULL_GUIDANCE
        count = steps or presets.V2A_STEPS
        _, a = denoise(
            pipe,
            Stream(video, torch.ones(video.shape[:2], device=video.device)),
            Stream(audio),
            grid,
            prompt=prompt,
            negative_prompt=_default_negative(),
            guidance=guidance.for_layers(pipe.transformer.config.num_layers),
            steps=count,
            frame_rate=fps,
            use_cross_timestep=self.cross_timestep,
            prompts=self._prompts,
        )
        sound = decode_audio(pipe, a, grid.audio_frames)
        return to_audio(sound, pipe.vocoder.config.output_sampling_rate, clip.duration)

    # --- 4K ---------------------------------------------------------------------------

    def upsampler(self):
        """The latent upsampler (``latent_upsampler/`` beside the pipeline), loaded on first use."""
        if self._upsampler is None:
            from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel

            folder = self.folder / UPSAMPLER_FOLDER if self.folder is not None else None
            if folder is None or not (folder / "config.json").is_file():
                raise EngineUnavailable(
                    f"4K renders need LTX-2's latent upsampler, and {self.folder} has no "
                    f"{UPSAMPLER_FOLDER}/ folder: run `reelforge pull {self.tier or 'cinema'}` "
                    "(or point --model-path at a folder that has it), or render at 1080p"
                )
            model = LTX2LatentUpsamplerModel.from_pretrained(folder, torch_dtype=self.dtype)
            self._upsampler = model.to(self.device).eval()
        return self._upsampler

    def unload(self) -> None:
        self._upsampler = None
        self._prompts.clear()
        super().unload()


def _default_negative() -> str:
    from diffusers.pipelines.ltx2.utils import DEFAULT_NEGATIVE_PROMPT

    return DEFAULT_NEGATIVE_PROMPT


def _v2a_frames(frames: np.ndarray, temporal_ratio: int) -> np.ndarray:
    """A clip's frames as the video VAE takes them: at most ``V2A_MAX_SHORT_SIDE``, sides
    multiples of 32, ``k * ratio + 1`` frames (the last frame repeated to get there)."""
    height, width = frames.shape[1:3]
    scale = min(1.0, presets.V2A_MAX_SHORT_SIDE / min(height, width))
    m = presets.SIZE_MULTIPLE
    w, h = max(m, round(width * scale / m) * m), max(m, round(height * scale / m) * m)
    if (w, h) != (width, height):
        frames = np.stack([fit_image(f, w, h, "cover") for f in frames])
    extra = (-(frames.shape[0] - 1)) % temporal_ratio
    if extra:
        frames = np.concatenate([frames, np.repeat(frames[-1:], extra, axis=0)])
    return np.ascontiguousarray(frames)


__all__ = ["LTX2Engine"]
