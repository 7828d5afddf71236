"""Everything drawn over the picture and fixed to the frame: badge, camera label, caption,
subtitles, the contact strip of references, the level meter and the "ANIMATIC" mark.

Each element is rendered once per segment into a :class:`Band` — a small RGBA patch
stored premultiplied as uint16 — and blended per frame on its own rows and columns
only, with integer arithmetic, so overlays cost little however large the frame is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...planning.plan import Reference, Segment
from ...prompting.shots import CameraMove
from .timeline import cues, speaker_label

MARK = "ANIMATIC · previz"
PLATE = (10, 12, 16, 150)
"""Translucent dark plate behind overlay text."""
INK = (255, 255, 255, 255)
ACCENT = (255, 196, 64, 255)

Font = ImageFont.FreeTypeFont


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans at ``size`` px when installed, else Pillow's bundled default font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        bundled = ImageFont.load_default(size=size)
    if not isinstance(bundled, ImageFont.FreeTypeFont):  # the bitmap font has no metrics
        raise RuntimeError("Pillow was built without FreeType: the animatic's text needs it")
    return bundled


def px(segment: Segment, size_at_720: float) -> int:
    """A length given for a 720-pixel-high frame, scaled to this frame (at least 8)."""
    return max(8, round(size_at_720 * segment.height / 720))


@dataclass(frozen=True)
class Band:
    """An RGBA patch at ``(x, y)``, premultiplied: ``out = (frame * inv + pre) >> 8``."""

    x: int
    y: int
    pre: np.ndarray
    """uint16 ``(h, w, 3)``: colour × alpha, alpha in 0..256."""
    inv: np.ndarray
    """uint16 ``(h, w, 1)``: 256 − alpha."""

    @classmethod
    def from_image(cls, image: Image.Image, x: int, y: int) -> Band | None:
        """The visible part of an RGBA image placed at ``(x, y)``; None if fully transparent."""
        bbox = image.getchannel("A").getbbox()
        if bbox is None:
            return None
        rgba = np.asarray(image.crop(bbox).convert("RGBA"), dtype=np.uint16)
        alpha = (rgba[..., 3:] * 256 + 127) // 255
        return cls(x + bbox[0], y + bbox[1], rgba[..., :3] * alpha, 256 - alpha)

    @property
    def width(self) -> int:
        return int(self.pre.shape[1])

    @property
    def height(self) -> int:
        return int(self.pre.shape[0])

    def blend(self, frame: np.ndarray, dx: int = 0, dy: int = 0) -> None:
        """Blend onto ``frame`` (uint8 ``(H, W, 3)``) in place, shifted by ``(dx, dy)``."""
        x, y = self.x + dx, self.y + dy
        x0, y0 = max(x, 0), max(y, 0)
        x1 = min(x + self.width, frame.shape[1])
        y1 = min(y + self.height, frame.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        region = frame[y0:y1, x0:x1]
        src = np.s_[y0 - y : y1 - y, x0 - x : x1 - x]
        mixed = region * self.inv[src]
        mixed += self.pre[src]
        mixed >>= 8
        region[...] = mixed


def wrap(text: str, face: Font, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` px; an overflowing last line ends with an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and face.getlength(last + " ...") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + " ..."]
    return lines


def plate(
    lines: Sequence[str], face: Font, pad: int, ink=INK, fill=PLATE, align: str = "left"
) -> Image.Image:
    """Lines of text on a rounded translucent plate, as an RGBA image."""
    ascent, descent = face.getmetrics()
    line_h = ascent + descent
    widths = [face.getlength(line) for line in lines]
    w = round(max(widths, default=0)) + 2 * pad
    h = line_h * len(lines) + pad * 2
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(pad // 2, 1), fill=fill)
    for k, (line, lw) in enumerate(zip(lines, widths, strict=True)):
        x = pad + ((w - 2 * pad - lw) / 2 if align == "center" else 0)
        draw.text((x, pad + k * line_h), line, font=face, fill=ink)
    return image


@dataclass
class Overlays:
    """The segment's overlay bands: always shown, or shown in a time window (subtitles)."""

    fixed: list[Band]
    timed: list[tuple[float, float, Band]]

    def apply(self, frame: np.ndarray, seconds: float) -> None:
        for band in self.fixed:
            band.blend(frame)
        for start, end, band in self.timed:
            if start <= seconds < end:
                band.blend(frame)


def badge_text(segment: Segment) -> str:
    """``SHOT 2/3 · 4.0 s``; a chunk of a long shot names its time range instead."""
    head = f"SHOT {segment.shot_index}/{segment.shots}"
    if segment.kind == "shot":
        return f"{head} · {segment.duration:.1f} s"
    return f"{head} · {segment.start:.1f}–{segment.start + segment.duration:.1f} s"


def build(
    segment: Segment,
    *,
    caption: str,
    camera: CameraMove | None = None,
    labels: Sequence[tuple[str, tuple[int, int]]] = (),
    extra: Sequence[Band | None] = (),
) -> Overlays:
    """The overlays of one segment.

    ``labels`` are extra plates (text, top-left position); ``extra`` ready-made bands
    (the contact strip). Subtitles come from the segment's dialogue cues.
    """
    w, h = segment.width, segment.height
    m = px(segment, 18)
    pad = px(segment, 8)
    images: list[tuple[Image.Image, int, int]] = []

    badge = plate([badge_text(segment)], font(px(segment, 24), bold=True), pad, ink=ACCENT)
    images.append((badge, m, m))
    if camera is not None:
        cam = plate([f"CAM {camera.value.replace('_', ' ')}"], font(px(segment, 20)), pad)
        images.append((cam, w - m - cam.width, m))
    if caption.strip():
        face = font(px(segment, 22))
        lines = wrap(caption.strip(), face, 0.6 * w, 2)
        images.append((plate(lines, face, pad), m, m + badge.height + m // 2))
    for text, (x, y) in labels:
        images.append((plate([text], font(px(segment, 20), bold=True), pad), x, y))
    mark = plate([MARK], font(px(segment, 15)), max(pad // 2, 2), fill=(10, 12, 16, 110))
    images.append((mark, w - m // 2 - mark.width, h - m // 2 - mark.height))

    fixed = [Band.from_image(image, x, y) for image, x, y in images]
    fixed += list(extra)

    timed = []
    face = font(px(segment, 30), bold=True)
    for cue in cues(segment):
        lines = wrap(speaker_label(cue.line), face, 0.7 * w, 2)
        image = plate(lines, face, pad, align="center")
        x, y = (w - image.width) // 2, round(h * 0.91) - image.height
        band = Band.from_image(image, x, y)
        if band is not None:
            timed.append((cue.start, cue.end, band))
    return Overlays([b for b in fixed if b is not None], timed)


def contact_strip(
    segment: Segment, references: Sequence[tuple[Reference, Image.Image]]
) -> Band | None:
    """Reference images as a labelled column of thumbnails on the right edge."""
    if not references:
        return None
    w, h = segment.width, segment.height
    m = px(segment, 18)
    face = font(px(segment, 16), bold=True)
    label_h = sum(face.getmetrics()) + 4
    cell_h = min(round(h * 0.2), (round(h * 0.72) - m) // len(references) - label_h - m // 2)
    cell_h = max(cell_h, 8)
    cell_w = round(cell_h * 4 / 3)
    strip = Image.new("RGBA", (cell_w + 4, len(references) * (cell_h + label_h + m // 2)))
    draw = ImageDraw.Draw(strip)
    y = 0
    for ref, picture in references:
        thumb = picture.copy()
        thumb.thumbnail((cell_w * 4, cell_h * 4))
        thumb = thumb.resize((cell_w, cell_h), Image.Resampling.BILINEAR)
        draw.rectangle((0, y, cell_w + 3, y + cell_h + 3), fill=(245, 245, 245, 255))
        strip.paste(thumb, (2, y + 2))
        draw.rectangle((0, y + cell_h + 4, cell_w + 3, y + cell_h + 4 + label_h), fill=PLATE)
        text = ref.tag if not ref.name or ref.name in ref.tag else f"{ref.tag} · {ref.name}"
        text = wrap(text, face, cell_w, 1)[0]
        draw.text((4, y + cell_h + 5), text, font=face, fill=INK)
        y += cell_h + label_h + m // 2
    top = m + px(segment, 24) + 2 * px(segment, 8) + m
    return Band.from_image(strip, w - m - strip.width, top)


@dataclass(frozen=True)
class Meter:
    """A vertical level meter on the left edge, filled per frame (avatar mode)."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def for_segment(cls, segment: Segment) -> Meter:
        m = px(segment, 18)
        height = round(segment.height * 0.3)
        return cls(m, round(segment.height * 0.88) - height, px(segment, 12), height)

    def frame_band(self) -> Band | None:
        """The meter's translucent well, drawn under the fill."""
        image = Image.new("RGBA", (self.width + 4, self.height + 4), PLATE)
        return Band.from_image(image, self.x - 2, self.y - 2)

    def draw(self, frame: np.ndarray, level: float) -> None:
        """Fill the meter to ``level`` in [0, 1]."""
        filled = round(self.height * min(max(level, 0.0), 1.0))
        if filled:
            top = self.y + self.height - filled
            frame[top : self.y + self.height, self.x : self.x + self.width] = ACCENT[:3]
