"""``plan(checked, tier) -> RenderPlan``: every decision about a render, before any work.

Reads top to bottom: frame rate and size, the shots, where the sound comes from,
then one segment per shot (or per chunk of a shot too long for one engine call),
each with its frames, seed and conditioning. Pure: same inputs, same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from ..lineup.tiers import END_FRAME, ENGINES, Tier
from ..prompting.analyze import analyze_shot, analyze_shots
from ..prompting.camera import camera_from_control
from ..prompting.intelligence import split_into_shots
from ..prompting.script import is_shot_script, parse_shot_script
from ..prompting.shots import Shot
from .frames import aspect_value, boundaries, output_size, render_size, snap_frames_up
from .plan import Anchor, AudioSource, Conditioning, Reference, RenderPlan, Segment, Span
from .seeds import segment_seed
from .windows import quiet_cut_lengths, search_frames

DEFAULT_ASPECT = 16 / 9
OUTPUT_SIZE_MULTIPLE = 2
"""Output sides are even (H.264 yuv420p): 1280×720, 1920×1080, 3840×2160."""


def plan(
    checked: Any,
    tier: Tier,
    *,
    seed: int,
    engine: str | None = None,
    steps: int | None = None,
    size: tuple[int, int] | None = None,
    audio_loudness: Sequence[float] | None = None,
) -> RenderPlan:
    """The render plan for a checked request (:class:`reelforge.request.check.CheckedRequest`).

    ``engine`` overrides the tier's engine (previz renders any tier with ``animatic``);
    ``size`` and ``steps`` override the presets for quick checks. ``audio_loudness``:
    the user's audio level in dB per output frame of the whole output (an avatar's
    windows are then cut at its quiet points; without it they are even).
    """
    request, duration = checked.request, float(checked.duration)
    traits = ENGINES[engine or tier.engine]
    fps = tier.fps_for(request.workflow)
    notes: list[str] = []

    # 1. Size: the resolution's short side, the requested or the source's aspect; the
    # engine renders the next multiple of its size step up, and the output is its centre.
    aspect = (
        aspect_value(request.aspect_ratio)
        if request.aspect_ratio
        else (checked.source_aspect or DEFAULT_ASPECT)
    )
    width, height = size or output_size(request.resolution, aspect, OUTPUT_SIZE_MULTIPLE)
    multiple = traits.multiple_for(request.resolution)
    render_w, render_h = render_size(width, height, multiple)
    if (render_w, render_h) != (width, height):
        notes.append(
            f"{traits.label} renders {render_w}×{render_h} (multiples of "
            f"{multiple}), cropped to {width}×{height}"
        )

    # 2. Shots: the user's, the planner's (intelligence), a script in the prompt, or one.
    shots, preamble, shot_notes = _shots(request, duration)
    notes.extend(shot_notes)

    # 3. Sound: the engine's, the user's file, the reference video's, or none.
    audio_source, audio_path = _audio_source(request, tier, checked)

    # 4. Identity: what keeps the characters the same across shots and windows.
    bounds = boundaries([s.duration for s in shots], fps)
    key_frame = key_frame_of(bounds[0], bounds[1])
    anchoring, anchor_notes = _anchoring(request, traits, len(shots), key_frame, fps)
    notes.extend(anchor_notes)

    # 5. Segments: one per shot, chunked where a shot exceeds the engine's window.
    segments: list[Segment] = []
    snapped_any = False
    for shot, (first, end) in zip(shots, pairwise(bounds), strict=True):
        levels = (
            audio_loudness[first:end]
            if audio_loudness is not None and request.workflow == "avatar"
            else None
        )
        quiet = levels is not None
        lengths = quiet_cut_lengths(
            end - first,
            levels,
            traits.max_segment_frames,
            traits.overlap_frames,
            traits.frame_step,
            search_frames(fps),
        )
        if len(lengths) > 1:
            notes.append(
                f"shot {shot.index}: {end - first} frames in {len(lengths)} chunks of ≤ "
                f"{traits.max_segment_frames} (overlap {traits.overlap_frames})"
            )
            if quiet:
                cuts = ", ".join(f"{(first + c) / fps:.1f} s" for c in accumulate(lengths[:-1]))
                notes.append(f"shot {shot.index}: windows cut at quiet points: {cuts}")
        start_frame = first
        for chunk, keep in enumerate(lengths):
            overlap = traits.overlap_frames if chunk > 0 else 0
            frames = snap_frames_up(keep + overlap, traits.frame_step)
            snapped_any |= frames != keep + overlap
            index = len(segments)
            segments.append(
                Segment(
                    index=index,
                    workflow=request.workflow,
                    kind="shot" if chunk == 0 else "chunk",
                    shot_index=shot.index,
                    shots=len(shots),
                    prompt=f"{preamble}\n{shot.text}" if preamble else shot.text,
                    action=shot.action,
                    negative_prompt=request.negative_prompt,
                    camera=shot.camera,
                    dialogue=shot.dialogue if chunk == 0 else (),
                    start=start_frame / fps,
                    start_frame=start_frame,
                    frames=frames,
                    keep_frames=keep,
                    overlap_frames=overlap,
                    shot_start_frame=first,
                    shot_frames=end - first,
                    width=render_w,
                    height=render_h,
                    fps=fps,
                    seed=segment_seed(seed, index),
                    steps=steps,
                    audio=audio_source == "engine",
                    transition="blend" if overlap else "cut",
                    conditioning=_conditioning(
                        request,
                        checked,
                        start_frame,
                        overlap,
                        frames,
                        fps,
                        first_of_shot=chunk == 0,
                        shot=shot,
                        last_shot=shots[-1],
                        last_chunk=chunk == len(lengths) - 1,
                        anchor=_anchor(request, anchoring, shot, chunk, key_frame),
                    ),
                )
            )
            start_frame += keep
    if snapped_any and traits.frame_step > 1:
        notes.append(
            f"frame counts rendered as {traits.frame_step}k+1 for {traits.label}, "
            "trimmed back to the requested duration"
        )
    # 6. Features the tier's own model renders only experimentally (a previz's animatic
    # does not render them that way): the plan says so, and why.
    if traits.name in (tier.engine, *tier.models):
        notes.extend(
            note
            for feature in _features_used(segments)
            if (note := tier.experimental_note(feature)) is not None
        )

    return RenderPlan(
        workflow=request.workflow,
        tier=tier.name,
        engine=traits.name,
        width=width,
        height=height,
        fps=fps,
        duration=duration,
        total_frames=bounds[-1],
        seed=seed,
        audio_source=audio_source,
        audio_path=audio_path,
        segments=tuple(segments),
        notes=tuple(notes),
    )


def _features_used(segments: Sequence[Segment]) -> tuple[str, ...]:
    """The lineup features (:data:`~reelforge.lineup.tiers.FEATURES`) the segments use."""
    return (END_FRAME,) if any(s.conditioning.end_image for s in segments) else ()


def _shots(request: Any, duration: float) -> tuple[list[Shot], str, list[str]]:
    """The shots, the text every shot shares (a custom request's global prompt or a
    script's lines before ``Shot 1``), and notes on how the shots were decided."""
    shots = getattr(request, "shots", ())
    if shots:
        return analyze_shots(shots), request.prompt.strip(), []
    if getattr(request, "multi_shot", False) and request.shot_type == "intelligence":
        specs, reasons = split_into_shots(request.prompt, duration)
        return analyze_shots(specs), "", list(reasons)
    if is_shot_script(request.prompt):
        preamble, specs = parse_shot_script(request.prompt, duration)
        return analyze_shots(specs), preamble.strip(), []
    shot = analyze_shot(1, request.prompt, duration)
    camera = getattr(request, "camera", None)
    if camera is not None:
        shot = shot.model_copy(update={"camera": camera_from_control(camera)})
    return [shot], "", []


def _audio_source(request: Any, tier: Tier, checked: Any) -> tuple[AudioSource, Path | None]:
    """The user's audio (avatar), the reference video's (when kept and present), the
    engine's (when wanted and the tier makes sound), or none."""
    wf = request.workflow
    if wf == "avatar":
        return "user", request.audio_file
    reference = _kept_reference_sound(request)
    if reference is not None:
        field, path = reference
        info = checked.media.get(field)
        if info is not None and info.has_audio:
            return "reference", path
    if request.audio and tier.audio in ("native", "added", "tts"):
        return "engine", None
    return "none", None


def _kept_reference_sound(request: Any) -> tuple[str, Path] | None:
    """(media field, path) of a reference video whose sound the user wants kept."""
    if request.workflow == "motion" and request.keep_original_sound:
        return "video", request.video
    if (
        request.workflow == "omni"
        and request.video is not None
        and request.video.keep_original_sound
    ):
        return "video.path", request.video.path
    return None


def key_frame_of(first: int, end: int) -> int:
    """The key frame of the shot spanning output frames ``[first, end)``: its middle."""
    return first + (end - first) // 2


def _anchoring(
    request: Any, traits: Any, shots: int, key_frame: int, fps: int
) -> tuple[bool, list[str]]:
    """Whether later shots or windows get an identity anchor, and the notes that explain it."""
    if request.workflow == "avatar":
        if not traits.anchors:
            return False, []
        return True, ["every window after the first is anchored on the reference picture"]
    if shots < 2 or request.workflow == "motion":
        return False, []
    later = "shot 2" if shots == 2 else f"shots 2–{shots}"
    if request.workflow == "omni" and omni_references(request):
        return False, [f"{later} keep the characters of the user's references and elements"]
    if not traits.anchors:
        return False, [
            f"{traits.label} takes no reference picture: {later} keep the characters "
            "by their prompts only"
        ]
    return True, [
        f"{later} conditioned on shot 1's key frame (frame {key_frame}, "
        f"{key_frame / fps:.2f} s) to keep the characters the same"
    ]


def _anchor(request: Any, anchoring: bool, shot: Shot, chunk: int, key_frame: int) -> Anchor | None:
    """An avatar's windows after the first: its picture; shots after the first: shot 1's key frame."""
    if not anchoring:
        return None
    if request.workflow == "avatar":
        return Anchor(image=request.image) if chunk > 0 else None
    return Anchor(shot=1, frame=key_frame) if shot.index > 1 else None


def _conditioning(
    request: Any,
    checked: Any,
    start_frame: int,
    overlap: int,
    frames: int,
    fps: int,
    *,
    first_of_shot: bool,
    shot: Shot,
    last_shot: Shot,
    last_chunk: bool,
    anchor: Anchor | None,
) -> Conditioning:
    wf = request.workflow
    span = Span(start=(start_frame - overlap) / fps, end=(start_frame - overlap + frames) / fps)
    opening = first_of_shot and shot.index == 1
    closing = last_chunk and shot.index == last_shot.index
    common: dict[str, Any] = {
        "continue_from_previous": overlap if not first_of_shot else 0,
        "anchor": anchor,
    }
    if wf == "image2video":
        return Conditioning(
            start_image=request.image if opening else None,
            end_image=request.end_image if closing else None,
            **common,
        )
    if wf == "avatar":
        return Conditioning(
            start_image=request.image,
            character_image=request.image,
            audio=request.audio_file,
            audio_span=span,
            **common,
        )
    if wf == "motion":
        return Conditioning(
            character_image=request.image, reference_video=request.video, video_span=span, **common
        )
    if wf == "omni":
        first = next((i.path for i in request.images if i.type == "first_frame"), None)
        last = next((i.path for i in request.images if i.type == "end_frame"), None)
        video = request.video.path if request.video is not None else None
        return Conditioning(
            start_image=first if opening else None,
            end_image=last if closing else None,
            references=omni_references(request),
            reference_video=video,
            video_span=span if video is not None else None,
            **common,
        )
    return Conditioning(**common)


def omni_references(request: Any) -> tuple[Reference, ...]:
    """Every reference image of an omni request under the tag a prompt uses for it."""
    refs = [
        Reference(tag=f"image_{n}", path=image.path)
        for n, image in enumerate(request.images, start=1)
        if image.type == "reference"
    ]
    for n, element in enumerate(request.elements, start=1):
        for path in element.images:
            refs.append(
                Reference(
                    tag=f"element_{n}",
                    path=path,
                    name=element.name,
                    description=element.description,
                )
            )
    return tuple(refs)
