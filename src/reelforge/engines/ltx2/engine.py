"""``LTX2Engine``: LTX-2 video + audio behind the reelforge engine interface.

Every segment renders in stages, as LTX-2's authors run it (``schedule.py`` has the
numbers and the citations): stage 1 at half size, the latent upsampler ×2, stage 2 refined
with the distilled weights; a 4K final adds a third stage. One segment, one mode, chosen
from what the segment is conditioned on:

==============  =========================================  ==============================
mode            when                                       how (stage 1 / later stages)
==============  =========================================  ==============================
text-to-video   no image, no audio                         ``LTX2Pipeline``
image-to-video  a start image                              ``LTX2ImageToVideoPipeline`` /
                                                           ``LTX2ConditionPipeline``
keyframes       an end image, an identity anchor, or the   ``LTX2ConditionPipeline``
                previous chunk's last frames
audio-to-video  the user's audio (avatar)                  our loop (``held.py``)
==============  =========================================  ==============================

Images condition every stage, encoded at that stage's size (the reference re-encodes them
per stage). An identity anchor (shot 1's key frame for a later shot, an avatar's picture
for a later window) is LTX-2's keyframe condition at the segment's middle latent frame
with ``presets.ANCHOR_STRENGTH``: extra tokens the frames attend to, dropped before decoding.

Video-to-audio (sound for a finished, silent clip) is :meth:`LTX2Engine.add_audio`.
"""

from __future__ import annotations

from pathlib import Path
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
from . import lora, presets, schedule
from .audio import decode_audio, encode_audio, latent_frames, to_audio
from .held import Stream, denoise
from .internals import device_of, video_latents
from .schedule import Stage
from .stages import StageProgress, require_finite, run_stages
from .video import decode_raw, encode_frames, grid_for, video_latent_frames

T2V, I2V, KEYFRAMES, A2V = "text-to-video", "image-to-video", "keyframes", "audio-to-video"
PIPELINES = {
    T2V: "LTX2Pipeline",
    I2V: "LTX2ImageToVideoPipeline",
    KEYFRAMES: "LTX2ConditionPipeline",
    A2V: "LTX2ConditionPipeline",  # our loop runs on its components and helpers
}
"""The pipeline of each mode's first stage."""
REFINE_PIPELINES = {
    T2V: "LTX2Pipeline",
    I2V: "LTX2ConditionPipeline",
    KEYFRAMES: "LTX2ConditionPipeline",
}
"""The pipeline of each mode's later stages: conditions re-applied at the stage's size."""
UPSAMPLER_FOLDER = "latent_upsampler"
DISTILLED_CHECKPOINT = "ltx-2-19b-distilled.safetensors"
"""The distilled LTX-2 19B (the reference's ``distilled.py`` weights), beside the pipeline
at the root of ``Lightricks/LTX-2``."""
VAE_TILING = dict(
    tile_sample_min_height=512,
    tile_sample_min_width=512,
    tile_sample_stride_height=448,
    tile_sample_stride_width=448,
    tile_sample_min_num_frames=64,
    tile_sample_stride_num_frames=40,
)
"""Tiled VAE decode as the reference always decodes (ltx-core ``TilingConfig.default()``
at LTX-2.0: 512-pixel tiles overlapping 64, 64-frame tiles overlapping 24): a 4K clip's
decode fits in memory, and smaller ones decode the same tiles the reference does."""


class LTX2Engine(DiffusersEngine):
    """LTX-2 (``Lightricks/LTX-2``): tiers ``cinema`` and ``avatar`` (dev weights, the
    distilled LoRA for the refine stages); :class:`LTX2DistilledEngine` runs ``budget``."""

    name = "ltx2"
    base_pipeline = "LTX2Pipeline"
    prompt_outputs = (
        "prompt_embeds",
        "prompt_attention_mask",
        "negative_prompt_embeds",
        "negative_prompt_attention_mask",
    )
    distilled_lora_file = lora.DISTILLED_LORA_FILE
    """The distilled LoRA beside the pipeline (the root of its Hub repository)."""
    distilled = False
    """Whether the folder's transformer is the distilled checkpoint (every stage distilled)."""

    def __init__(self, model_path=None, tier: str | None = None) -> None:
        super().__init__(model_path=model_path, tier=tier)
        self._upsampler: Any = None

    def prepare(self, pipe: Any) -> Any:
        """Speed options as every engine, then what every LTX-2 stage relies on: a
        scheduler that runs the planned sigmas as given, and tiled VAE decoding."""
        pipe = super().prepare(pipe)
        pipe.scheduler = schedule.passthrough_scheduler(pipe.scheduler)
        pipe.vae.enable_tiling(**VAE_TILING)
        return pipe

    # --- the interface ---------------------------------------------------------------

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        start, end = self.start(segment, previous), self.end_image(segment)
        anchor = self.anchor_image(segment)
        mode = self.mode(segment, start, end, anchor)
        plan = self.stages(segment)
        try:
            if mode == A2V:
                clip = self._audio_to_video(segment, plan, start, anchor, progress)
            else:
                clip = run_stages(self, segment, mode, plan, (start, end, anchor), progress)
        finally:
            self.use_weights(plan[0].weights)  # the LoRA off again after a refine stage
        clip.meta.update(
            {
                "engine": self.name,
                "mode": mode,
                "steps": sum(stage.steps for stage in plan),
                "stages": [(stage.width, stage.height, stage.steps) for stage in plan],
            }
        )
        return clip

    @staticmethod
    def mode(
        segment: Segment,
        start: PIL.Image.Image | list[PIL.Image.Image] | None,
        end: PIL.Image.Image | None,
        anchor: PIL.Image.Image | None = None,
    ) -> str:
        if segment.conditioning.audio is not None:
            return A2V
        if end is not None or anchor is not None or isinstance(start, list):
            return KEYFRAMES
        return I2V if start is not None else T2V

    def stages(self, segment: Segment) -> tuple[Stage, ...]:
        """The segment's stages (``schedule.for_segment``), for this engine's transformer."""
        layers = self.pipeline(self.base_pipeline).transformer.config.num_layers
        return schedule.for_segment(self.name, self.tier, segment, layers)

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
            middle = max(
                video_latent_frames(self.pipeline(self.base_pipeline), segment.frames) // 2, 1
            )
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

    # --- stages ------------------------------------------------------------------------

    def stage_inputs(
        self, segment: Segment, mode: str, stage: Stage, start, end, anchor
    ) -> dict[str, Any]:
        """The stock pipeline's keyword arguments for one stage of ``segment`` in ``mode``:
        the stage's size, sigmas and guidance, its images fitted to the stage's size."""
        inputs: dict[str, Any] = dict(
            prompt=segment.prompt,
            negative_prompt=segment.negative_prompt or _default_negative(),
            width=stage.width,
            height=stage.height,
            num_frames=stage.frames,
            frame_rate=float(segment.fps),
            num_inference_steps=stage.steps,
            sigmas=list(stage.sigmas[:-1]),
            use_cross_timestep=self.cross_timestep,
            **stage.guidance.pipeline_kwargs(),
        )
        if mode == I2V and stage.start == "noise":
            inputs["image"] = start
        elif mode in (I2V, KEYFRAMES):
            inputs["conditions"] = self.conditions(segment, start, end, anchor)
        return inputs

    def use_weights(self, weights: str) -> None:
        """Put the transformer in the state a stage runs: dev, dev + distilled LoRA, or
        (a distilled folder) the distilled checkpoint."""
        base = self.pipeline(self.base_pipeline)
        if self.distilled and weights != schedule.DISTILLED:
            raise EngineUnavailable(
                f"a {weights} stage cannot run on the distilled LTX-2 checkpoint"
            )
        if weights == schedule.DISTILLED:
            if not self.distilled:
                raise EngineUnavailable(
                    f"a distilled stage needs the distilled LTX-2 checkpoint; {self.folder} holds "
                    "the dev model (render the budget tier, or point --model-path at the distilled one)"
                )
            return
        loaded = lora.DEFAULT_ADAPTER in base.get_list_adapters().get("transformer", [])
        if weights == schedule.DEV_LORA:
            if not loaded:
                lora.load_distilled_lora(base, self.distilled_lora())
            lora.use_distilled(base, lora.DEFAULT_STRENGTH)
        elif loaded:
            lora.use_distilled(base, None)

    def distilled_lora(self) -> Path:
        """The distilled LoRA file beside the pipeline (``reelforge pull`` fetches it)."""
        path = self.folder / self.distilled_lora_file if self.folder is not None else None
        if path is None or not path.is_file():
            raise EngineUnavailable(
                f"LTX's refine stage needs the distilled LoRA {self.distilled_lora_file}, and "
                f"{self.folder} has none: run `reelforge pull {self.tier or 'cinema'}` (or put "
                "the file beside the pipeline's model_index.json)"
            )
        return path

    def upsample(self, latents: torch.Tensor) -> torch.Tensor:
        """Raw video latents ×2 in space through the latent upsampler, as the reference
        does it (un-normalised in, un-normalised out; no AdaIN, no tone mapping)."""
        from diffusers import LTX2LatentUpsamplePipeline

        pipe = LTX2LatentUpsamplePipeline(
            vae=self.pipeline(self.base_pipeline).vae, latent_upsampler=self.upsampler()
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe(latents=latents, output_type="latent", return_dict=False)[0]

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
    def _audio_to_video(self, segment, plan, start, anchor, progress) -> Clip:
        """The user's audio held clean in every stage while the video is denoised (lip-sync
        for ``avatar``): the reference's ``a2vid_two_stage.py``, audio frozen in both stages.

        When the segment asks for sound, the clip carries the audio as the VAE round trip
        gives it back; an avatar's plan does not (the runner muxes the user's original
        track, ``plan.audio_source == "user"``), and the audio decode is skipped.
        """
        pipe = self.pipeline(PIPELINES[A2V])
        audio_frames = latent_frames(pipe, segment.frames / segment.fps)
        generator = self.generator(segment.seed)
        audio = self.user_audio_latents(segment, audio_frames)
        held = Stream(audio, torch.ones(audio.shape[:2], device=audio.device))
        steps = StageProgress(progress, plan)
        raw = None
        for stage in plan:
            self.use_weights(stage.weights)
            grid = grid_for(pipe, segment.frames, stage.width, stage.height, audio_frames)
            upsampled = None if raw is None else self.upsample(raw)
            video = self._conditioned_video(segment, stage, start, anchor, generator, upsampled)
            v, _ = denoise(
                pipe,
                video,
                held,
                grid,
                text=self.text(
                    pipe,
                    segment.prompt,
                    segment.negative_prompt or _default_negative(),
                    stage.guidance.cfg,
                ),
                guidance=stage.guidance,
                sigmas=stage.sigmas,
                frame_rate=float(segment.fps),
                use_cross_timestep=self.cross_timestep,
                on_step=steps.reporter(stage),
                check=steps.checker(segment, stage),
            )
            tokens = grid.frames * grid.height * grid.width
            raw = video_latents(pipe, v[:, :tokens], grid.frames, grid.height, grid.width)
        assert raw is not None, "a segment has at least one stage"
        frames = decode_raw(pipe, raw, generator)
        clip = self.to_clip(
            require_finite(frames, f"the video decode of segment {segment.index + 1}"), segment.fps
        )
        if segment.audio:  # an avatar's plan muxes the user's own track: no decode needed
            sound = decode_audio(pipe, audio, audio_frames)
            clip.audio = to_audio(sound, pipe.vocoder.config.output_sampling_rate, clip.duration)
        return clip

    def _conditioned_video(
        self, segment, stage: Stage, start, anchor, generator, upsampled=None
    ) -> Stream:
        """A stage's starting video latents as ``LTX2ConditionPipeline`` makes them: noise
        (or ``upsampled`` re-noised to the stage's first sigma), the start image or frames
        held at latent frame 0 and the identity anchor appended at ``ANCHOR_STRENGTH`` —
        both encoded at the stage's size."""
        pipe = self.pipeline(PIPELINES[A2V])
        latents, mask, clean, coords = pipe.prepare_latents(
            self.conditions(segment, start, None, anchor),
            1,
            pipe.transformer.config.in_channels,
            stage.height,
            stage.width,
            stage.frames,
            float(segment.fps),
            stage.noise_scale,
            torch.float32,
            device_of(pipe),
            generator,
            upsampled,
        )
        return Stream(latents, mask.squeeze(-1), clean=clean, appended_coords=coords)

    def user_audio(self, segment: Segment) -> Audio:
        """The segment's stretch of the user's audio, at the audio VAE's rate and channels."""
        vae = self.pipeline(self.base_pipeline).audio_vae
        span = segment.conditioning.audio_span
        begin = span.start if span is not None else 0.0
        return read_audio(
            segment.conditioning.path("audio"),
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
        grid = grid_for(
            pipe,
            frames.shape[0],
            frames.shape[2],
            frames.shape[1],
            latent_frames(pipe, frames.shape[0] / fps),
        )
        (stage,) = schedule.v2a_stages(frames.shape[2], frames.shape[1], frames.shape[0], steps)
        self.use_weights(schedule.DISTILLED if self.distilled else stage.weights)
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
            device_of(pipe),
            generator,
        )
        guidance = presets.DISTILLED_GUIDANCE if self.distilled else stage.guidance
        _, a = denoise(
            pipe,
            Stream(video, torch.ones(video.shape[:2], device=video.device)),
            Stream(audio),
            grid,
            text=self.text(pipe, prompt, _default_negative(), guidance.cfg),
            guidance=guidance.for_layers(pipe.transformer.config.num_layers),
            sigmas=schedule.DISTILLED_SIGMAS if self.distilled else stage.sigmas,
            frame_rate=fps,
            use_cross_timestep=self.cross_timestep,
        )
        sound = decode_audio(pipe, require_finite(a, "video-to-audio"), grid.audio_frames)
        return to_audio(sound, pipe.vocoder.config.output_sampling_rate, clip.duration)

    # --- weights beside the pipeline ------------------------------------------------------

    def upsampler(self):
        """The latent upsampler (``latent_upsampler/`` beside the pipeline), loaded on first use."""
        if self._upsampler is None:
            from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel

            folder = self.folder / UPSAMPLER_FOLDER if self.folder is not None else None
            if folder is None or not (folder / "config.json").is_file():
                raise EngineUnavailable(
                    f"LTX-2's second stage needs its latent upsampler, and {self.folder} has no "
                    f"{UPSAMPLER_FOLDER}/ folder: run `reelforge pull {self.tier or 'cinema'}` "
                    "(or point --model-path at a folder that has it)"
                )
            model = LTX2LatentUpsamplerModel.from_pretrained(folder, torch_dtype=self.dtype)
            self._upsampler = model.to(self.device).eval()
        return self._upsampler

    def unload(self) -> None:
        self._upsampler = None
        super().unload()


class LTX2DistilledEngine(LTX2Engine):
    """Distilled LTX-2 (the ``budget`` tier): the reference's ``distilled.py`` — every
    stage on the distilled checkpoint, fixed sigmas, no guidance."""

    name = "ltx2_distilled"
    distilled = True

    def replaced_components(self, folder: Path) -> dict[str, Any]:
        """The distilled checkpoint (Lightricks' one-file format) as the transformer,
        converted by diffusers with the folder's ``transformer/config.json``."""
        from diffusers import LTX2VideoTransformer3DModel

        checkpoint = folder / DISTILLED_CHECKPOINT
        if not checkpoint.is_file():
            raise EngineUnavailable(
                f"the budget tier runs the distilled LTX-2 checkpoint {DISTILLED_CHECKPOINT}, and "
                f"{folder} has none beside model_index.json: run `reelforge pull budget`"
            )
        transformer = LTX2VideoTransformer3DModel.from_single_file(
            str(checkpoint),
            config=str(folder),
            subfolder="transformer",
            local_files_only=True,
            torch_dtype=self.dtype,
        )
        return {"transformer": transformer}


class LTX25Engine(LTX2Engine):
    """LTX-2.5 22B (``Lightricks/LTX-2.5-Diffusers``), the cinema tier's default: the same
    stages as LTX-2 with its own reference parameters (``presets.LTX25``). The folder's
    ``transformer/`` is the distilled model; the stages start from the dev model in
    ``transformer_full/`` and refine with its distilled LoRA. Its duration head is not
    loaded: a render always names its frame count."""

    name = "ltx25"
    distilled_lora_file = "ltx-2.5-22b-distilled-lora-450-bf16.safetensors"
    dev_folder = "transformer_full"

    def replaced_components(self, folder: Path) -> dict[str, Any]:
        from diffusers import LTX2VideoTransformer3DModel

        dev = folder / self.dev_folder
        if not (dev / "config.json").is_file():
            raise EngineUnavailable(
                f"LTX-2.5 renders from its dev transformer, and {folder} has no {self.dev_folder}/ "
                f"folder: run `reelforge pull {self.tier or 'cinema'}`"
            )
        transformer = LTX2VideoTransformer3DModel.from_pretrained(dev, torch_dtype=self.dtype)
        return {"transformer": transformer, "duration_head": None}


def _default_negative() -> str:
    from diffusers.pipelines.ltx2.utils import DEFAULT_NEGATIVE_PROMPT

    return DEFAULT_NEGATIVE_PROMPT


def _v2a_frames(frames: np.ndarray, temporal_ratio: int) -> np.ndarray:
    """A clip's frames as the video VAE takes them: at most ``V2A_MAX_SHORT_SIDE``, sides
    multiples of 32, ``k * ratio + 1`` frames (the last frame repeated to get there)."""
    height, width = frames.shape[1:3]
    scale = min(1.0, presets.V2A_MAX_SHORT_SIDE / min(height, width))
    m = schedule.VAE_GRID
    w, h = max(m, round(width * scale / m) * m), max(m, round(height * scale / m) * m)
    if (w, h) != (width, height):
        frames = np.stack([fit_image(f, w, h, "cover") for f in frames])
    extra = (-(frames.shape[0] - 1)) % temporal_ratio
    if extra:
        frames = np.concatenate([frames, np.repeat(frames[-1:], extra, axis=0)])
    return np.ascontiguousarray(frames)


__all__ = ["LTX25Engine", "LTX2DistilledEngine", "LTX2Engine"]
