"""The storyboard card's scene, drawn once per segment.

A seeded sky/ground gradient, a sun, two ranges of hills, a perspective ground grid
(the *background*), and standing things — trees and a named silhouette for every
character who speaks in the shot (the *sprites*). Everything is drawn at 2× and
reduced, for smooth edges. The scene is drawn on a layer larger than the frame, as the camera
move needs (:func:`~.camera.layer_scale`); positions are laid out relative to the
frame-sized window at the layer's centre.
"""

from __future__ import annotations

import colorsys
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ...planning.plan import Segment
from .overlay import font, plate, px

SS = 2
"""Supersampling factor of drawn shapes."""


@dataclass(frozen=True)
class Sprite:
    """A standing thing: an RGBA image with its top-left corner in layer pixels."""

    image: Image.Image
    x: int
    y: int


@dataclass(frozen=True)
class Scene:
    background: Image.Image
    """RGB, the layer's size."""
    sprites: list[Sprite]
    """Back to front."""

    def flatten(self) -> Image.Image:
        """Background with every sprite pasted on it (for moves without parallax)."""
        layer = self.background.copy()
        for sprite in self.sprites:
            layer.paste(sprite.image, (sprite.x, sprite.y), sprite.image)
        return layer


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v)) * 255.0


def _rgb(c: np.ndarray, alpha: int = 255) -> tuple[int, int, int, int]:
    r, g, b = (int(round(x)) for x in np.clip(c, 0, 255))
    return (r, g, b, alpha)


@dataclass(frozen=True)
class Palette:
    sky_top: np.ndarray
    sky_low: np.ndarray
    ground_far: np.ndarray
    ground_near: np.ndarray
    sun: np.ndarray
    grid: np.ndarray
    foliage: np.ndarray

    @classmethod
    def seeded(cls, rng: np.random.Generator) -> Palette:
        h = rng.uniform()
        g = h + rng.uniform(0.25, 0.45)
        return cls(
            sky_top=_hsv(h, 0.55, 0.42),
            sky_low=_hsv(h + 0.08, 0.30, 0.93),
            ground_far=_hsv(g, 0.35, 0.55),
            ground_near=_hsv(g, 0.50, 0.22),
            sun=_hsv(h + 0.14, 0.25, 1.0),
            grid=_hsv(g, 0.25, 0.85),
            foliage=_hsv(g + 0.05, 0.55, 0.20),
        )


def speakers(segment: Segment) -> list[str]:
    """Who speaks in the segment, in order of first line."""
    return list(dict.fromkeys(line.speaker for line in segment.dialogue if line.speaker))


def draw_scene(segment: Segment, layer: tuple[int, int]) -> Scene:
    """The card's scene for ``segment`` on a layer of ``layer`` = (w, h) pixels."""
    rng = np.random.default_rng([segment.seed & 0xFFFFFFFF, 7])
    pal = Palette.seeded(rng)
    lw, lh = layer
    w, h = segment.width, segment.height
    ox, oy = (lw - w) / 2, (lh - h) / 2
    horizon = oy + h * rng.uniform(0.52, 0.6)
    canvas = _gradient(pal, lw * SS, lh * SS, horizon * SS)
    draw = ImageDraw.Draw(canvas, "RGBA")
    _sun(draw, pal, rng, ox + w * rng.uniform(0.15, 0.85), oy + h * rng.uniform(0.12, 0.3), h)
    _hills(draw, pal, rng, lw, horizon, h)
    _grid(draw, pal, lw, lh, ox + w * rng.uniform(0.4, 0.6), horizon, w)
    background = canvas.reduce(SS)

    sprites = _trees(pal, rng, lw, horizon, h)
    names = speakers(segment)
    figure_h = h * 0.44 * min(1.0, 3.0 / (len(names) + 0.5))
    for k, name in enumerate(names):
        cx = ox + w * (0.2 + 0.6 * (k + 1) / (len(names) + 1))
        sprites.append(_figure(segment, name, cx, oy + h * 0.9, figure_h))
    return Scene(background, sprites)


def _gradient(pal: Palette, lw: int, lh: int, horizon: float) -> Image.Image:
    y = np.arange(lh, dtype=np.float64)[:, None]
    sky = np.clip(y / max(horizon, 1.0), 0.0, 1.0) ** 0.8
    ground = np.clip((y - horizon) / max(lh - horizon, 1.0), 0.0, 1.0) ** 0.7
    column = np.where(
        y < horizon,
        pal.sky_top + (pal.sky_low - pal.sky_top) * sky,
        pal.ground_far + (pal.ground_near - pal.ground_far) * ground,
    )
    rows = np.clip(column, 0, 255).astype(np.uint8)[:, None, :]
    return Image.fromarray(np.ascontiguousarray(rows)).resize((lw, lh), Image.Resampling.NEAREST)


def _sun(draw: ImageDraw.ImageDraw, pal: Palette, rng, cx: float, cy: float, h: int) -> None:
    r = h * rng.uniform(0.045, 0.07)
    for grow, alpha in ((2.6, 30), (1.8, 60), (1.0, 255)):
        rr = r * grow * SS
        draw.ellipse(
            (cx * SS - rr, cy * SS - rr, cx * SS + rr, cy * SS + rr), fill=_rgb(pal.sun, alpha)
        )


def _hills(draw: ImageDraw.ImageDraw, pal: Palette, rng, lw: int, horizon: float, h: int) -> None:
    for depth, (height, mix) in enumerate(((0.16, 0.35), (0.09, 0.65))):
        colour = pal.sky_low + (pal.ground_far - pal.sky_low) * mix
        xs = np.linspace(0, lw, 14)
        ys = horizon - h * height * rng.uniform(0.2, 1.0, xs.size) + depth
        points = [(x * SS, y * SS) for x, y in zip(xs, ys, strict=True)]
        points += [(lw * SS, (horizon + 2) * SS), (0, (horizon + 2) * SS)]
        draw.polygon(points, fill=_rgb(colour))


def _grid(
    draw: ImageDraw.ImageDraw, pal: Palette, lw: int, lh: int, vx: float, hy: float, w: int
) -> None:
    colour = _rgb(pal.grid, 70)
    width = max(1, round(w / 640)) * SS
    spacing = w / 7
    for k in range(-12, 13):
        bottom = vx + k * spacing * 1.6
        draw.line((vx * SS, hy * SS, bottom * SS, lh * 1.6 * SS), fill=colour, width=width)
    for j in range(1, 12):
        y = hy + (lh - hy) * (1.6**j - 1) / (1.6**11 - 1)
        draw.line((0, y * SS, lw * SS, y * SS), fill=colour, width=width)


def _trees(pal: Palette, rng, lw: int, horizon: float, h: int) -> list[Sprite]:
    sprites = []
    for _ in range(int(rng.integers(3, 7))):
        depth = rng.uniform(0.02, 0.14)
        size = h * (0.08 + 1.4 * depth)
        x, base = rng.uniform(0, lw), horizon + h * depth
        tw, th = size * 0.5, size
        image = Image.new("RGBA", (round(tw * SS), round(th * SS)), (0, 0, 0, 0))
        d = ImageDraw.Draw(image)
        trunk = tw * 0.12 * SS
        d.rectangle(
            (tw * SS / 2 - trunk / 2, th * SS * 0.6, tw * SS / 2 + trunk / 2, th * SS),
            fill=_rgb(pal.foliage * 0.7),
        )
        d.polygon(
            [(tw * SS / 2, 0), (tw * SS, th * SS * 0.75), (0, th * SS * 0.75)],
            fill=_rgb(pal.foliage),
        )
        sprites.append(Sprite(image.reduce(SS), round(x - tw / 2), round(base - th)))
    return sorted(sprites, key=lambda s: s.y + s.image.height)


def _figure(segment: Segment, name: str, cx: float, feet: float, height: float) -> Sprite:
    """A named silhouette: head, shoulders, body and legs, tinted by the name."""
    hue = (zlib.crc32(name.encode()) % 360) / 360
    body = _rgb(_hsv(hue, 0.35, 0.17))
    fw, fh = height * 0.42, height
    image = Image.new("RGBA", (round(fw * SS), round(fh * SS)), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    u = fh * SS
    c = fw * SS / 2
    head = u * 0.09
    d.ellipse((c - head, 0, c + head, head * 2.2), fill=body)
    d.rounded_rectangle((c - u * 0.17, u * 0.2, c + u * 0.17, u * 0.62), radius=u * 0.07, fill=body)
    for side in (-1, 1):
        leg = c + side * u * 0.07
        d.rounded_rectangle(
            (leg - u * 0.055, u * 0.55, leg + u * 0.055, u), radius=u * 0.03, fill=body
        )
    figure = image.reduce(SS)

    label = plate([name], font(px(segment, 20), bold=True), px(segment, 6))
    sw = max(figure.width, label.width)
    sprite = Image.new("RGBA", (sw, figure.height + label.height + 4), (0, 0, 0, 0))
    sprite.paste(label, ((sw - label.width) // 2, 0))
    sprite.paste(figure, ((sw - figure.width) // 2, label.height + 4))
    return Sprite(sprite, round(cx - sw / 2), round(feet - sprite.height))
