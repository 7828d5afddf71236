"""Wan 2.2 TI2V-5B: the ``turbo`` tier's text-to-video, image-to-video and first-last-frame.

How a segment becomes a pipeline call
-------------------------------------
- no start image: ``WanPipeline`` (text to video).
- a start image (``conditioning.start_image``; for a chunk that continues the previous one,
  the previous clip's frame at this chunk's first moment): ``WanImageToVideoPipeline``
  with the image fitted (cover) to the segment's size.
- an end image as well (``conditioning.end_image``): ``last_image=`` — first-last-frame.

Every call: ``num_frames=segment.frames`` (4k+1), the segment's size and seed (a CPU
generator), the steps and guidance of ``schedule.RECIPES["wan"]``, the flow shift and
default negative prompt Wan's authors use for the loaded model (``schedule.MODELS``:
TI2V-5B 5.0; Wan 2.1 I2V 3.0 at 480p), progress through ``callback_on_step_end``. The
clip has exactly ``segment.frames`` frames and no audio.

Which folder
------------
The engine loads whichever Wan pipeline the folder holds, and asks the loaded components
what they can do:

- **TI2V-5B** (``Wan-AI/Wan2.2-TI2V-5B-Diffusers``): a ``WanPipeline`` with
  ``expand_timesteps=True`` and no image encoder. Image-to-video is the same transformer:
  the start image's latent is held clean as latent frame 0 (its timestep is 0). Stock
  diffusers ignores ``last_image`` on this path, so first-last-frame runs through
  :class:`WanTI2VKeyframePipeline`, which holds the end image's latent as the *last* latent
  frame the same way (our extension; same loop, same components). Wan's reference
  (Wan-Video/Wan2.2 ``wan/textimage2video.py``) holds only the start image, and one latent
  frame stands for 4 video frames: the turbo tier marks its end frame experimental
  (``lineup.tiers``, ``Tier.experimental``) and a render that uses it says so.
- **Wan 2.1-style I2V / FLF2V** folders (``WanImageToVideoPipeline`` with a CLIP image
  encoder, transformer ``in_channels=36``): the stock pipeline; ``last_image`` only on
  FLF2V (its transformer has ``pos_embed_seq_len`` for both images' CLIP tokens) — a
  plain I2V folder refuses an end image with a clear error.
- A t2v-only folder (``WanPipeline`` without ``expand_timesteps``, ``in_channels=16``)
  cannot take images, and an I2V-only folder cannot render from text: such segments are
  refused with a clear error (a chunk of a t2v folder continues without an image).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from diffusers import WanImageToVideoPipeline
from PIL import Image

from ...errors import EngineUnavailable, ReelforgeError
from ...media.clip import Clip
from ...planning.plan import Segment
from ..base import StepCallback, no_progress
from .base import WanEngineBase, continued_frames


class WanEngine(WanEngineBase):
    """Wan 2.2 TI2V-5B (or any Wan T2V / I2V folder) behind the reelforge interface."""

    name = "wan"
    base_pipeline = "WanPipeline"
    accepted_pipelines: ClassVar[tuple[str, ...]] = ("WanPipeline", "WanImageToVideoPipeline")

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        start, end = self.keyframes(segment, previous)
        if start is None and end is not None:
            raise ReelforgeError(
                f"segment {segment.index + 1} has an end image but no start image or previous "
                "segment to start from; Wan renders an end frame only together with a start frame"
            )
        if start is None:
            if self.takes_images() and not self.expands_timesteps():
                raise EngineUnavailable(
                    f"{self.folder} is an image-to-video Wan model: it needs a start image "
                    "(text-to-video needs Wan 2.2 TI2V-5B or a Wan T2V folder)"
                )
            pipe = self.scheduled(self.pipeline("WanPipeline"), segment)
            kwargs = self.encoded(pipe, self.common_kwargs(pipe, segment, progress))
            out = pipe(num_frames=segment.frames, **kwargs)
            return self.finish(out.frames, segment, mode="text2video")

        pipe = self.scheduled(self.image_pipeline(keyframe=end is not None), segment)
        out = pipe(
            image=start,
            last_image=end,
            num_frames=segment.frames,
            **self.encoded(pipe, self.common_kwargs(pipe, segment, progress)),
        )
        return self.finish(out.frames, segment, mode="first_last_frame" if end else "image2video")

    def keyframes(
        self, segment: Segment, previous: Clip | None
    ) -> tuple[Image.Image | None, Image.Image | None]:
        """The start and end images, fitted to the segment's size."""
        cond, w, h = segment.conditioning, segment.width, segment.height
        start = self.fitted(cond.start_image, w, h) if cond.start_image else None
        if start is None and self.takes_images():
            tail = continued_frames(previous, segment)
            if tail is not None and len(tail):
                start = Image.fromarray(tail[0])  # this chunk's first moment, already rendered
        end = self.fitted(cond.end_image, w, h) if cond.end_image else None
        return start, end

    def model_kind(self) -> str:
        """The loaded folder's kind, whose authors' shift and negative prompt apply
        (``schedule.MODELS``): ``ti2v``, else a Wan 2.1 ``flf2v``, ``i2v`` or ``t2v``
        layout; the recipe's (TI2V-5B) before loading."""
        if self.base_pipeline not in self._pipelines:
            return super().model_kind()
        if self.expands_timesteps():
            return "ti2v"
        config = self._pipelines[self.base_pipeline].transformer.config
        if config.in_channels == config.out_channels:
            return "t2v"
        return "flf2v" if config.pos_embed_seq_len else "i2v"

    def takes_images(self) -> bool:
        """Whether the loaded model conditions on images: TI2V (``expand_timesteps``) or an
        I2V transformer (noise + mask + image latents in, more channels than out)."""
        config = self._pipelines[self.base_pipeline].transformer.config
        return self.expands_timesteps() or config.in_channels != config.out_channels

    def expands_timesteps(self) -> bool:
        """TI2V-5B: per-token timesteps, the image held as a clean latent frame."""
        return bool(self._pipelines[self.base_pipeline].config.get("expand_timesteps", False))

    def image_pipeline(self, keyframe: bool) -> Any:
        """The image-to-video pipeline for the loaded folder (see the module docstring)."""
        if not self.takes_images():
            raise EngineUnavailable(
                f"{self.folder} is a text-to-video Wan model; image-to-video needs Wan 2.2 "
                "TI2V-5B (expand_timesteps) or a Wan I2V folder"
            )
        config = self._pipelines[self.base_pipeline].transformer.config
        if (
            keyframe
            and not self.expands_timesteps()
            and config.image_dim
            and not config.pos_embed_seq_len
        ):
            raise EngineUnavailable(
                f"{self.folder} is a Wan I2V model without end-frame conditioning; "
                "first-last-frame needs Wan 2.2 TI2V-5B or a Wan FLF2V folder"
            )
        if keyframe and self.expands_timesteps():
            return self.pipeline(WanTI2VKeyframePipeline)
        return self.pipeline("WanImageToVideoPipeline")


class WanTI2VKeyframePipeline(WanImageToVideoPipeline):
    """``WanImageToVideoPipeline`` that, on TI2V-5B's ``expand_timesteps`` path, also holds
    ``last_image`` as the clean last latent frame (stock diffusers holds only the first).

    Only :meth:`prepare_latents` changes: the condition holds the first image's latent at
    latent frame 0 and the last image's at frame −1, and the mask (1: denoise, 0: keep,
    also the per-token timestep scale) is 0 on both. The denoising loop and the final
    ``(1 − mask)·condition + mask·latents`` are the stock pipeline's. Without
    ``last_image``, or on other folders, it is the stock pipeline.
    """

    def prepare_latents(
        self,
        image,
        batch_size,
        num_channels_latents=16,
        height=480,
        width=832,
        num_frames=81,
        dtype=None,
        device=None,
        generator=None,
        latents=None,
        last_image=None,
    ):
        args = (
            batch_size,
            num_channels_latents,
            height,
            width,
            num_frames,
            dtype,
            device,
            generator,
        )
        if not (self.config.expand_timesteps and last_image is not None):
            return super().prepare_latents(image, *args, latents, last_image)
        latents, first, mask = super().prepare_latents(image, *args, latents)
        # Encode the end image exactly like the start one (same VAE path, no noise drawn).
        _, last, _ = super().prepare_latents(last_image, *args, latents)
        condition = torch.zeros_like(latents)
        condition[:, :, :1] = first
        condition[:, :, -1:] = last
        mask = mask.clone()
        mask[:, :, -1] = 0
        return latents, condition, mask
