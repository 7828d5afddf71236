"""CPU benchmark: the long-form plumbing on tiny random-weight pipelines.

A 5-minute avatar (tiny LTX-2, 48 fps, windows at quiet points, the user's track muxed)
and a 30 s motion control (tiny Wan 2.2 Animate, reference sound kept), end to end
through ``reelforge.render``. The models are tiny, so this times what surrounds them:
planning, window chaining, blending, decoding the inputs, H.264 and AAC. Model speed
on real-size weights is ``bench/gpu.py``'s job.

    python bench/longform.py            # prints a markdown table for BENCHMARKS.md
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
from machine import machine_line  # noqa: E402

import reelforge  # noqa: E402
from reelforge.testing.ltx2 import save_tiny_ltx2  # noqa: E402
from reelforge.testing.wan import save_tiny_wan  # noqa: E402
from tests.longform.synth import speech, write_portrait, write_reference, write_wav  # noqa: E402

SIZE = (32, 32)
STEPS = 1


def timed(request: dict, model_path: Path, output: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    art = reelforge.render(request, model_path=model_path, size=SIZE, steps=STEPS, output=output)
    seconds = time.perf_counter() - start
    return seconds, json.loads(art.sidecar.read_text())


def main() -> None:
    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        face = write_portrait(root / "face.png")
        mono, _ = speech(300.0, seed=1)
        voice = write_wav(root / "voice.wav", mono)
        wall, side = timed(
            {
                "workflow": "avatar",
                "tier": "avatar",
                "seed": 1,
                "image": str(face),
                "audio_file": str(voice),
            },
            save_tiny_ltx2(root / "ltx2"),
            root / "avatar.mp4",
        )
        rows.append(
            ("avatar, 300 s, 48 fps", len(side["plan"]["segments"]), 300.0, wall, side["timings"])
        )

        reference = write_reference(root / "dance.mp4", 30.0, [1.0, 15.0, 29.0])
        wall, side = timed(
            {
                "workflow": "motion",
                "tier": "motion",
                "seed": 1,
                "image": str(face),
                "video": str(reference),
                "character_orientation": "video",
                "keep_original_sound": True,
            },
            save_tiny_wan(root / "animate", "animate"),
            root / "motion.mp4",
        )
        rows.append(
            (
                "motion, 30 s, 24 fps, sound kept",
                len(side["plan"]["segments"]),
                30.0,
                wall,
                side["timings"],
            )
        )

    print(
        f"{machine_line()}, load average {os.getloadavg()[0]:.1f}, tiny pipelines at {SIZE[0]}×{SIZE[1]}, {STEPS} step\n"
    )
    print("| case | windows | output s | wall s | plan s | render s | s per output s |")
    print("|---|---|---|---|---|---|---|")
    for name, windows, length, wall, t in rows:
        print(
            f"| {name} | {windows} | {length:.0f} | {wall:.1f} | {t.get('plan', 0):.1f} | "
            f"{t.get('render', 0):.1f} | {wall / length:.3f} |"
        )


if __name__ == "__main__":
    main()
