"""Wan 2.1 VACE: the ``omni`` tier — video anchored on reference images, elements and frames.

How a segment becomes a ``WanVACEPipeline`` call
------------------------------------------------
1. **Prompt tags → references.** ``<<<image_N>>>``, ``<<<element_N>>>``, ``@ElementN`` and
   ``@Name`` name references (:class:`~reelforge.planning.plan.Reference`, ``tag`` =
   ``image_N`` / ``element_N``). The references the prompt uses are passed as
   ``reference_images`` in the order the prompt first uses them (an element with several
   images passes all of them); a prompt that uses none passes all, in request order. Each
   tag in the text becomes words the text encoder understands: an element's name (else
   its description), or ``the subject in reference K`` (K: its place in the list passed);
   ``<<<video_1>>>`` becomes ``the reference video``.
2. **Conditioning video and mask** (``video=``/``mask=``, one frame each per output frame;
   black mask = keep this frame, white = generate it)::

       frame     0 .. n-1           n .. F-2                      F-1
       video     previous overlap   reference video, else grey    end image
                 or start image     (128, 128, 128)
       mask      black              white                         black (only with an end image)

   - ``conditioning.start_image`` is kept as frame 0; ``end_image`` as frame F-1.
   - A chunk continuing the previous one (``continue_from_previous = n``) keeps the
     previous clip's frames of the same moments as its first n frames.
   - ``reference_video`` (+ ``video_span``): its frames of the span, at the segment's fps
     and framing, fill the generated frames as VACE's control video (the model re-renders
     them under the prompt and references, Kling's ``refer_type=feature``).
   Without any of these, no ``video``/``mask`` is passed (the pipeline's own default:
   everything generated).
3. ``num_frames=segment.frames``, size, seed, the steps and guidance of ``schedule.RECIPES``,
   the authors' flow shift for VACE (16 at every size: ``schedule.MODELS``).
   The reference latents are dropped by the pipeline: the clip has ``segment.frames`` frames.
   A later shot's identity anchor (shot 1's key frame) is passed as one more reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ...media.clip import Clip
from ...media.decode import fit_image, load_image, read_video
from ...planning.plan import Reference, Segment
from ...request.tags import mentions, tags
from ..base import StepCallback, no_progress
from .base import WanEngineBase, continued_frames, pil_frames

UNKNOWN_FRAME = (128, 128, 128)
"""What frames to generate hold in the conditioning video (the VACE example's grey)."""
KEEP, GENERATE = 0, 255
"""Mask values: black keeps the conditioning frame, white generates it."""


@dataclass(frozen=True)
class ResolvedPrompt:
    """A prompt with its tags replaced, and the references it uses, in order."""

    text: str
    references: tuple[Reference, ...]


def resolve_references(prompt: str, references: tuple[Reference, ...]) -> ResolvedPrompt:
    """Replace the prompt's reference tags and choose the references to pass (see module doc)."""
    by_tag: dict[str, list[Reference]] = {}
    for ref in references:
        by_tag.setdefault(ref.tag, []).append(ref)
    mentions = _mentions(prompt, by_tag)
    used: list[str] = []
    for _, _, tag in mentions:
        if tag in by_tag and tag not in used:
            used.append(tag)
    order = used or list(by_tag)
    passed = tuple(ref for tag in order for ref in by_tag[tag])
    position: dict[str, int] = {}
    for n, ref in enumerate(passed, start=1):
        position.setdefault(ref.tag, n)

    def words(tag: str) -> str:
        if tag == "video_1":
            return "the reference video"
        first = by_tag.get(tag, [None])[0]
        if first is not None and (first.name.strip() or first.description.strip()):
            return first.name.strip() or first.description.strip()
        return (
            f"the subject in reference {position.get(tag, 0)}" if tag in position else "the subject"
        )

    out, cursor = [], 0
    for start, end, tag in mentions:
        out.append(prompt[cursor:start])
        out.append(words(tag))
        cursor = end
    out.append(prompt[cursor:])
    return ResolvedPrompt(re.sub(r"[ \t]{2,}", " ", "".join(out)).strip(), passed)


def _mentions(prompt: str, by_tag: dict[str, list[Reference]]) -> list[tuple[int, int, str]]:
    """(start, end, tag) of every reference tag and @mention in the prompt, in order
    (:mod:`reelforge.request.tags` finds them)."""
    found = [(t.start, t.end, ref) for t in tags(prompt) if (ref := t.reference) is not None]
    named = list(by_tag)
    for mention in mentions(prompt, [by_tag[tag][0].name for tag in named]):
        if mention.name is not None:
            found.append((mention.start, mention.end, named[mention.name]))
        elif mention.element is not None:
            found.append((mention.start, mention.end, f"element_{mention.element}"))
    return sorted(found)


class WanVACEEngine(WanEngineBase):
    """Wan 2.1 VACE behind the reelforge interface."""

    name = "wan_vace"
    base_pipeline = "WanVACEPipeline"

    def render(
        self, segment: Segment, progress: StepCallback = no_progress, previous: Clip | None = None
    ) -> Clip:
        pipe = self.scheduled(self.pipeline("WanVACEPipeline"), segment)
        resolved = resolve_references(segment.prompt, segment.conditioning.references)
        video, mask = self.conditioning_video(segment, previous)
        kwargs = self.common_kwargs(pipe, segment, progress)
        kwargs["prompt"] = resolved.text
        pictures = [load_image(r.path, field="reference") for r in resolved.references]
        tags = [r.tag for r in resolved.references]
        anchor = segment.conditioning.anchor
        if anchor is not None and anchor.image is not None:  # shot 1's key frame, as a reference
            pictures.append(load_image(anchor.image))
            tags.append(f"shot {anchor.shot} key frame" if anchor.shot else "anchor")
        out = pipe(
            video=video,
            mask=mask,
            reference_images=pictures or None,
            num_frames=segment.frames,
            **self.encoded(pipe, kwargs),
        )
        return self.finish(out.frames, segment, mode="omni", prompt=resolved.text, references=tags)

    def conditioning_video(
        self, segment: Segment, previous: Clip | None
    ) -> tuple[list[Image.Image] | None, list[Image.Image] | None]:
        """VACE's ``video`` and ``mask`` for the segment (the layout in the module doc)."""
        cond, w, h, n = segment.conditioning, segment.width, segment.height, segment.frames
        frames = np.empty((n, h, w, 3), np.uint8)
        frames[:] = UNKNOWN_FRAME
        keep = np.zeros(n, bool)
        used = False
        if cond.reference_video is not None:
            span = (cond.video_span.start, cond.video_span.end) if cond.video_span else None
            clip = read_video(
                cond.reference_video, fps=segment.fps, size=(w, h), span=span, field="video"
            )
            count = min(n, clip.num_frames)
            frames[:count] = clip.frames[:count]
            frames[count:] = clip.frames[count - 1]  # a short span holds its last frame
            used = True
        tail = continued_frames(previous, segment)
        if tail is not None and len(tail):
            frames[: len(tail)] = tail[:n]
            keep[: len(tail)] = True
            used = True
        if cond.start_image is not None:
            frames[0] = fit_image(load_image(cond.start_image, field="start_image"), w, h)
            keep[0] = used = True
        if cond.end_image is not None:
            frames[-1] = fit_image(load_image(cond.end_image, field="end_image"), w, h)
            keep[-1] = used = True
        if not used:
            return None, None
        masks = [Image.new("L", (w, h), KEEP if k else GENERATE) for k in keep]
        return pil_frames(frames), masks
