"""The four ways the animatic draws a segment, each prepared once and then drawn per frame.

- :func:`text_frames` — the storyboard card (any segment without images);
- :func:`image_frames` — the start image moved by the camera;
- :func:`avatar_frames` — the image moved by the loudness of the user's audio;
- :func:`motion_frames` — the character beside the reference video it should follow.

Each returns :class:`Frames`: the per-frame scene painter plus the overlays, the
optional cross-fade to an end image, and per-frame extras.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ...media.clip import Audio
from ...media.decode import fit_image, load_image, read_video
from ...planning.plan import Reference, Segment
from ...prompting.shots import CameraMove
from . import camera, sound
from .card import draw_scene
from .overlay import Band, Meter, Overlays, build, contact_strip, px
from .timeline import first_frame_time, frame_time, progress
from .views import LayerViews, Mapper

FADE_FROM = 0.6
"""Shot progress where the cross-fade to the end image starts (the last 40 %)."""
DEFAULT_PUSH = 0.4
"""Image mode with a static camera: a gentle push in (this fraction of a full push)."""
AVATAR_ZOOM = (1.02, 0.05)
"""Avatar: resting magnification, and how much loudness adds to it."""
AVATAR_BOB = 0.6
"""Avatar: how much of the zoom's vertical slack loudness lifts the picture by."""

Painter = Callable[[int, np.ndarray], None]


@dataclass
class Frames:
    """How to draw every frame of one segment."""

    mode: str
    paint: Painter
    """Writes frame ``i``'s picture (camera applied, no overlays) into ``out``."""
    overlays: Overlays
    segment: Segment
    end: np.ndarray | None = None
    """Frame-sized end image the last 40 % cross-fades to."""
    extra: Painter | None = None
    """Drawn after the overlays (the level meter)."""
    audio: Audio | None = None
    """Sound the mode itself brings (the avatar's audio)."""

    def __post_init__(self) -> None:
        seg = self.segment
        self._times = [frame_time(seg, i) for i in range(seg.frames)]
        fades = [
            camera.ease((progress(seg, i) - FADE_FROM) / (1 - FADE_FROM)) for i in range(seg.frames)
        ]
        self._fades = fades if self.end is not None else [0.0] * seg.frames

    def draw(self, i: int, out: np.ndarray) -> None:
        fade = self._fades[i]
        if fade >= 1.0:
            out[...] = self.end
        else:
            self.paint(i, out)
            if fade > 0.0 and self.end is not None:  # fades are 0 without an end frame
                _cross_fade(out, self.end, fade)
        self.overlays.apply(out, self._times[i])
        if self.extra is not None:
            self.extra(i, out)


_scratch = threading.local()
STRIP = 48
"""Rows blended at a time by :func:`_cross_fade`: small enough to stay in cache."""


def _cross_fade(out: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``out ← out·(1 − weight) + end·weight`` in place, in 8-bit fixed point.

    Works through the frame in strips with a per-thread scratch buffer: no
    allocation per frame, and each strip's passes hit the CPU cache, not memory.
    """
    a = round(weight * 256)
    width = out.shape[1]
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.shape[2] != width:
        buf = _scratch.buf = np.empty((2, STRIP, width, 3), np.uint16)
    for y in range(0, out.shape[0], STRIP):
        rows = slice(y, min(y + STRIP, out.shape[0]))
        n = rows.stop - y
        mix, other = buf[0, :n], buf[1, :n]
        np.multiply(out[rows], 256 - a, out=mix, dtype=np.uint16)
        np.multiply(end[rows], a, out=other, dtype=np.uint16)
        mix += other
        mix >>= 8
        np.copyto(out[rows], mix, casting="unsafe")


def text_frames(segment: Segment, mapper: Mapper = map) -> Frames:
    """The storyboard card, filmed by the shot's camera move."""
    size = (segment.width, segment.height)
    move = segment.camera
    layer = camera.layer_size(size, camera.layer_scale(move))
    scene = draw_scene(segment, layer)
    boxes = [
        camera.crop_box(
            camera.view(move, progress(segment, i), frame_time(segment, i), segment.seed),
            layer,
            size,
        )
        for i in range(segment.frames)
    ]
    if not camera.is_orbit(move):
        views = LayerViews(scene.flatten(), size, boxes, mapper)
        paint: Painter = views.write
    else:
        views = LayerViews(scene.background, size, boxes, mapper)
        ox, oy = (layer[0] - size[0]) // 2, (layer[1] - size[1]) // 2
        sprites = [Band.from_image(s.image, s.x - ox, s.y - oy) for s in scene.sprites]
        shifts = [
            round(camera.foreground_shift(move, progress(segment, i)) * size[0])
            for i in range(segment.frames)
        ]

        def paint(i: int, out: np.ndarray) -> None:
            views.write(i, out)
            for sprite in sprites:
                if sprite is not None:
                    sprite.blend(out, dx=shifts[i])

    return Frames("text", paint, _overlays(segment, move), segment, end=_end_frame(segment))


def image_frames(segment: Segment, mapper: Mapper = map) -> Frames:
    """The start image, filmed by the camera move (a gentle push in when static)."""
    size = (segment.width, segment.height)
    move, intensity = segment.camera, 1.0
    if move is CameraMove.STATIC:
        move, intensity = CameraMove.PUSH_IN, DEFAULT_PUSH
    layer = camera.layer_size(size, camera.layer_scale(move, intensity))
    picture = Image.fromarray(
        fit_image(load_image(segment.conditioning.path("start_image")), *layer)
    )
    boxes = [
        camera.crop_box(
            camera.view(
                move, progress(segment, i), frame_time(segment, i), segment.seed, intensity
            ),
            layer,
            size,
        )
        for i in range(segment.frames)
    ]
    views = LayerViews(picture, size, boxes, mapper)
    return Frames("image", views.write, _overlays(segment, move), segment, end=_end_frame(segment))


def avatar_frames(segment: Segment, mapper: Mapper = map) -> Frames:
    """The portrait, zooming and lifting with the loudness of the user's audio."""
    size = (segment.width, segment.height)
    c = segment.conditioning
    picture = Image.fromarray(
        fit_image(load_image(c.start_image or c.path("character_image")), *size)
    )
    margin = 1.0 / segment.fps
    track, padded = sound.user_audio(segment, margin)
    levels = sound.loudness(padded, margin, segment)
    rest, gain = AVATAR_ZOOM
    boxes = []
    for level in levels:
        left, top, right, bottom = camera.crop_box(
            camera.View(zoom=rest + gain * level), size, size
        )
        lift = top * AVATAR_BOB * level
        boxes.append((left, top + lift, right, bottom + lift))
    views = LayerViews(picture, size, boxes, mapper)
    meter = Meter.for_segment(segment)
    overlays = _overlays(segment, None, [meter.frame_band()])
    return Frames(
        "avatar",
        views.write,
        overlays,
        segment,
        extra=lambda i, out: meter.draw(out, float(levels[i])),
        audio=track,
    )


def motion_frames(segment: Segment, mapper: Mapper = map) -> Frames:
    """The character image (left) beside the reference video it should move like (right)."""
    w, h = segment.width, segment.height
    half = w // 2
    c = segment.conditioning
    character = fit_image(load_image(c.path("character_image"), field="image"), half, h)
    start = c.video_span.start if c.video_span is not None else max(first_frame_time(segment), 0.0)
    reference = read_video(
        c.path("reference_video"),
        fps=segment.fps,
        size=(w - half, h),
        span=(start, start + segment.frames / segment.fps),
    ).frames

    def paint(i: int, out: np.ndarray) -> None:
        out[:, :half] = character
        out[:, half:] = reference[min(i, len(reference) - 1)]

    m = px(segment, 18)
    label_y = round(h * 0.72)
    divider = Image.new("RGBA", (max(2, px(segment, 3) // 2), h), (255, 255, 255, 200))
    overlays = _overlays(
        segment,
        None,
        [Band.from_image(divider, half - divider.width // 2, 0)],
        labels=[("CHARACTER", (m, label_y)), ("MOTION REFERENCE", (half + m, label_y))],
    )
    return Frames("motion", paint, overlays, segment)


def _overlays(
    segment: Segment,
    move: CameraMove | None,
    extra: list[Band | None] | None = None,
    labels: list[tuple[str, tuple[int, int]]] | None = None,
) -> Overlays:
    """Caption, badge, mark and subtitles, plus the references' contact strip if any
    (a later shot's anchor, shot 1's key frame, shows there too)."""
    refs = [(ref, load_image(ref.path, field="reference")) for ref in _references(segment)]
    return build(
        segment,
        caption=segment.action or segment.prompt,
        camera=move,
        labels=labels or [],
        extra=[*(extra or []), contact_strip(segment, refs)],
    )


def _references(segment: Segment) -> list[Reference]:
    c = segment.conditioning
    refs = list(c.references)
    anchor = c.anchor
    if anchor is not None and anchor.shot is not None and anchor.image is not None:
        refs.append(Reference(tag=f"shot {anchor.shot} key frame", path=anchor.image))
    return refs


def _end_frame(segment: Segment) -> np.ndarray | None:
    end = segment.conditioning.end_image
    return (
        None
        if end is None
        else fit_image(load_image(end, field="end_image"), segment.width, segment.height)
    )
