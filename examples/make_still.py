"""Draws examples/harbor.jpg, the demo's start frame (a stylised harbour at dusk).

Kept as code so the repository carries no opaque binaries it cannot rebuild.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

W, H = 1280, 720


def draw() -> Image.Image:
    img = Image.new("RGB", (W, H))
    px = ImageDraw.Draw(img)
    horizon = int(H * 0.58)
    for y in range(horizon):  # dusk sky: violet to amber
        t = y / horizon
        px.line([(0, y), (W, y)], fill=(int(70 + 180 * t), int(40 + 100 * t), int(110 - 40 * t)))
    for y in range(horizon, H):  # sea: deep blue, lighter towards the horizon
        t = (y - horizon) / (H - horizon)
        px.line([(0, y), (W, y)], fill=(int(40 - 25 * t), int(60 - 30 * t), int(100 - 40 * t)))
    px.ellipse([W * 0.62, horizon - 70, W * 0.62 + 110, horizon + 40], fill=(255, 196, 120))
    for i in range(40):  # sun glitter on the water
        y = horizon + 8 + i * 6
        half = 70 - i * 1.2
        px.line(
            [(W * 0.62 + 55 - half, y), (W * 0.62 + 55 + half, y)], fill=(240, 170, 110), width=2
        )
    # the harbour wall and lighthouse
    px.polygon(
        [(0, horizon + 40), (520, horizon + 10), (540, horizon + 40), (0, H)], fill=(30, 24, 34)
    )
    px.rectangle([430, horizon - 160, 470, horizon + 12], fill=(235, 230, 220))
    for k in range(4):
        px.rectangle([430, horizon - 150 + k * 40, 470, horizon - 132 + k * 40], fill=(190, 40, 40))
    px.polygon(
        [(420, horizon - 160), (480, horizon - 160), (450, horizon - 200)], fill=(60, 40, 40)
    )
    px.pieslice([380, horizon - 230, 520, horizon - 140], 200, 340, fill=(255, 240, 180))
    # boats
    for bx, by, s in (
        (760, horizon + 60, 1.0),
        (980, horizon + 110, 1.4),
        (640, horizon + 150, 0.8),
    ):
        px.polygon(
            [(bx, by), (bx + 120 * s, by), (bx + 100 * s, by + 22 * s), (bx + 18 * s, by + 22 * s)],
            fill=(25, 20, 30),
        )
        px.line([(bx + 60 * s, by), (bx + 60 * s, by - 110 * s)], fill=(25, 20, 30), width=3)
        px.polygon(
            [(bx + 62 * s, by - 105 * s), (bx + 62 * s, by - 8 * s), (bx + 110 * s, by - 8 * s)],
            fill=(230, 220, 200),
        )
    for i in range(18):  # gulls
        x, y = 120 + i * 57 % 900, 90 + int(40 * math.sin(i * 1.7))
        px.arc([x, y, x + 18, y + 10], 200, 340, fill=(40, 30, 40), width=2)
        px.arc([x + 16, y, x + 34, y + 10], 200, 340, fill=(40, 30, 40), width=2)
    return img.filter(ImageFilter.SMOOTH)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("harbor.jpg")
    draw().save(out, quality=90)
    print(out)
