"""CPU benchmark: MP4 assembly (H.264 + AAC through reelforge.media) against real time.

Encodes 10 s of 1080p and 720p video at 24 fps with a stereo 48 kHz track, from frames
already in memory, so only the encoder and muxer are timed, then times the whole
``reelforge.render`` path (animatic engine, three shots, dialogue) for the same length.

    python bench/assembly.py            # prints a markdown table for BENCHMARKS.md
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_line  # noqa: E402

from reelforge.media.clip import Audio  # noqa: E402
from reelforge.media.encode import VideoWriter  # noqa: E402

SECONDS, FPS = 10, 24
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
STORY = """A quiet observatory at dawn.
Shot 1 (3s): Wide shot of the dome opening. Camera: push in.
Shot 2 (4s): Ada checks the telescope. [Ada: hushed]: "There it is." Camera: pan right.
Shot 3 (3s): Close-up of the eyepiece glowing. Camera: pull out."""


def synthetic_frames(width: int, height: int, n: int) -> np.ndarray:
    """A moving gradient with noise: harder to encode than flat cards, like real footage."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    frames = np.empty((n, height, width, 3), np.uint8)
    for i in range(n):
        base = (x + y + i * 4) % 256
        noise = rng.integers(0, 12, (height, width), dtype=np.uint8)
        frames[i, ..., 0] = base.astype(np.uint8) + noise
        frames[i, ..., 1] = (255 - base).astype(np.uint8)
        frames[i, ..., 2] = ((base + 85) % 256).astype(np.uint8)
    return frames


def bench_encode(name: str, width: int, height: int, out: Path) -> tuple[str, float, float]:
    n = SECONDS * FPS
    frames = synthetic_frames(width, height, n)
    t = np.arange(SECONDS * 48_000) / 48_000
    audio = Audio(np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)]) * 0.3)
    start = time.perf_counter()
    with VideoWriter(out / f"{name}.mp4", width, height, FPS) as writer:
        writer.write_audio(audio)
        for i in range(0, n, FPS):
            writer.write_frames(frames[i : i + FPS])
    elapsed = time.perf_counter() - start
    return f"encode {name} H.264+AAC (media.VideoWriter)", n / elapsed, SECONDS / elapsed


def bench_render(resolution: str, out: Path) -> tuple[str, float, float]:
    import reelforge

    request = {
        "workflow": "text2video",
        "prompt": STORY,
        "tier": "animatic",
        "resolution": resolution,
        "seed": 1,
    }
    from reelforge.prompting.script import parse_shot_script

    preamble, shots = parse_shot_script(STORY, SECONDS)
    request.update(prompt=preamble, shots=[s.model_dump() for s in shots], duration=SECONDS)
    start = time.perf_counter()
    reelforge.render(request, output=out / f"render-{resolution}.mp4")
    elapsed = time.perf_counter() - start
    return (
        f"reelforge.render animatic {resolution}, 3 shots, end to end",
        SECONDS * FPS / elapsed,
        SECONDS / elapsed,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = [bench_encode(name, w, h, out) for name, (w, h) in SIZES.items()]
        rows += [bench_render(r, out) for r in SIZES]
    print(f"### MP4 assembly, {SECONDS} s at {FPS} fps — {machine_line()}\n")
    print("| what | frames/s | × real time |")
    print("|---|---:|---:|")
    for what, fps, realtime in rows:
        print(f"| {what} | {fps:.0f} | {realtime:.1f}× |")


if __name__ == "__main__":
    main()
