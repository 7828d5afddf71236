"""Benchmark the animatic engine: frames per second and × real time on this CPU.

Renders a 10 s three-shot storyboard (push in, pan right, orbit left; dialogue) and a
10 s image-to-video (gentle push in, cross-fade to an end image) at 720p and 1080p, and
prints a markdown table for BENCHMARKS.md. Each case runs ``--repeat`` times; the table
gives the best run and the first one, and how much of a run goes to mapping the
fresh output array (``frames × H × W × 3`` bytes; slow on VMs that hand freed memory
back to the host). Sound is off: this measures the picture.

    python bench/animatic.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

from reelforge.engines.animatic import AnimaticEngine
from reelforge.engines.animatic.engine import frame_buffer
from reelforge.planning.plan import Conditioning, Segment
from reelforge.prompting.shots import CameraMove, DialogueLine

FPS = 24
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
SHOTS = (
    (3.5, CameraMove.PUSH_IN, "Mara walks to the end of the pier", ("Mara", "Stay.")),
    (3.0, CameraMove.PAN_RIGHT, "Jonas loads the last crate", ("Jonas", "I can't. Not tonight.")),
    (3.5, CameraMove.ORBIT_LEFT, "They face each other in the rain", ("Mara", "Then go.")),
)


def storyboard(size: tuple[int, int]) -> list[Segment]:
    segments, start = [], 0
    for k, (seconds, move, action, (speaker, text)) in enumerate(SHOTS):
        frames = round(seconds * FPS)
        segments.append(
            Segment(
                index=k,
                workflow="text2video",
                kind="shot",
                shot_index=k + 1,
                shots=len(SHOTS),
                prompt=action,
                action=action,
                camera=move,
                dialogue=(DialogueLine(speaker=speaker, text=text),),
                start=start / FPS,
                start_frame=start,
                frames=frames,
                keep_frames=frames,
                width=size[0],
                height=size[1],
                fps=FPS,
                seed=100 + k,
            )  # fmt: skip
        )
        start += frames
    return segments


def photo(path: Path, hue_shift: float) -> Path:
    """A detailed 1920×1080 synthetic photo (smooth fields plus fine texture)."""
    y, x = np.mgrid[0:1080, 0:1920].astype(np.float32)
    rgb = np.stack(
        [
            128 + 100 * np.sin(x / 97 + hue_shift) * np.cos(y / 61),
            128 + 100 * np.sin((x + y) / 143 + 2 * hue_shift),
            128 + 60 * np.cos(x / 23) * np.sin(y / 29 + hue_shift),
        ],
        axis=-1,
    )
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path)
    return path


def image_to_video(size: tuple[int, int], start: Path, end: Path) -> list[Segment]:
    frames = 10 * FPS
    return [
        Segment(
            index=0,
            workflow="image2video",
            kind="shot",
            shot_index=1,
            shots=1,
            prompt="the waves roll in",
            action="the waves roll in",
            start=0.0,
            start_frame=0,
            frames=frames,
            keep_frames=frames,
            width=size[0],
            height=size[1],
            fps=FPS,
            seed=1,
            conditioning=Conditioning(start_image=start, end_image=end),
        )  # fmt: skip
    ]


def timed(engine: AnimaticEngine, segments: list[Segment]) -> float:
    began = time.perf_counter()
    for segment in segments:
        clip = engine.render(segment)
        del clip
    return time.perf_counter() - began


def memory_seconds(frames: int, size: tuple[int, int], repeat: int) -> float:
    """Best time to map fresh output memory for ``frames`` frames (part of every render)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        buffer = frame_buffer((frames, size[1], size[0], 3))
        best = min(best, time.perf_counter() - began)
        del buffer
    return best


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {model} · nproc {os.cpu_count()} · "
        f"Python {platform.python_version()}, NumPy {np.__version__}, Pillow {PIL.__version__} · "
        f"load average at start {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    engine = AnimaticEngine()
    engine.load()
    header = machine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start, end = photo(Path(tmp) / "start.png", 0.0), photo(Path(tmp) / "end.png", 2.0)
        timed(engine, storyboard((320, 180)))  # warm-up: imports, fonts
        for label, size in SIZES.items():
            cases = {
                "storyboard, 3 shots (push in · pan · orbit)": storyboard(size),
                "image-to-video (push in, end-frame fade)": image_to_video(size, start, end),
            }
            for name, segments in cases.items():
                frames = sum(s.frames for s in segments)
                runs = [timed(engine, segments) for _ in range(args.repeat)]
                best = min(runs)
                memory = memory_seconds(frames, size, args.repeat)
                seconds = frames / FPS
                rows.append(
                    f"| {name} | {label} | {frames} | {best:.2f} | {frames / best:.0f} | "
                    f"{seconds / best:.1f}× | {frames / runs[0]:.0f} | {memory:.2f} | "
                    f"{frames / max(best - memory, 1e-9):.0f} |"
                )
    print("### Animatic engine (CPU)\n")
    print(header + "\n")
    print(
        "| case | size | frames | best s | frames/s | × real time (24 fps) "
        "| first run frames/s | of which output memory s | frames/s without it |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
