"""Tiny random-weight Wan pipelines, saved once per test session and loaded through reelforge.

Every folder is written by ``save_tiny_wan`` (``save_pretrained``, laid out like the Hub
repo) and loaded by the engines' own path (``weights.locate_weights`` + ``from_pretrained``);
the registry keeps each loaded engine for the whole session.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers")

from reelforge.engines import registry  # noqa: E402
from reelforge.media.clip import Clip  # noqa: E402
from reelforge.media.encode import write_clip  # noqa: E402
from reelforge.planning.plan import Conditioning, Segment  # noqa: E402

SIZE = (32, 32)
STEPS = 2
FPS = 24
REFERENCE_SHIFTS = {
    # The flow shift Wan's own scripts use for each tiny folder's model at SIZE (a 480p-class
    # size), written out from the authors' files: Wan2.2 wan/configs/wan_ti2v_5B.py and
    # wan_animate_14B.py (5.0); Wan2.1 generate.py (t2v 5.0, i2v 3.0 at 480p, flf2v and
    # vace 16). The tiny folders save shift 7.0, so an engine that kept it would differ.
    "t2v": 5.0,
    "ti2v": 5.0,
    "i2v": 3.0,
    "flf2v": 16.0,
    "vace": 16.0,
    "animate": 5.0,
}


@pytest.fixture(scope="session")
def wan_folders(tmp_path_factory) -> dict[str, Path]:
    from reelforge.testing.wan import save_tiny_wan

    root = tmp_path_factory.mktemp("wan")
    return {
        kind: save_tiny_wan(root / kind, kind)
        for kind in ("t2v", "ti2v", "i2v", "flf2v", "vace", "animate")
    }


@pytest.fixture(scope="session", autouse=True)
def unload_engines():
    yield
    registry.unload_all()


def engine(name: str, folder: Path):
    """The registry's loaded engine for ``folder`` (loaded once, reused by render())."""
    return registry.get_engine(name, tier=None, device="cpu", model_path=folder)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Input images (≥ 300 px, as the spec demands) and a short reference MP4."""
    root = tmp_path_factory.mktemp("media")
    out = {}
    for name, colour, box in (
        ("start", (200, 120, 60), (60, 60, 240, 240)),
        ("end", (40, 90, 200), (150, 40, 300, 200)),
        ("ref_a", (240, 240, 30), (100, 50, 250, 350)),
        ("ref_b", (30, 200, 90), (20, 120, 200, 300)),
        ("character", (220, 180, 160), (130, 40, 230, 380)),
    ):
        img = Image.new("RGB", (400, 400), colour)
        img.paste((20, 20, 20), box)
        out[name] = root / f"{name}.png"
        img.save(out[name])
    out["reference_video"] = write_reference_video(root / "dance.mp4", seconds=3.5)
    return out


def write_reference_video(path: Path, seconds: float, size=(96, 64)) -> Path:
    """A figure (a bright bar) moving across a dark background."""
    w, h = size
    n = round(seconds * FPS)
    frames = np.full((n, h, w, 3), 30, np.uint8)
    for i in range(n):
        x = int((w - 16) * i / max(n - 1, 1))
        frames[i, 8 : h - 8, x : x + 16] = (230, 200, 170)
        frames[i, 8:20, x + 4 : x + 12] = (250, 220, 200)  # a head
    return write_clip(Clip(frames, FPS), path)


def segment(
    workflow: str, frames: int = 9, seed: int = 7, prompt: str = "a cat walks", **cond
) -> Segment:
    """A hand-made single segment at the test size."""
    overlap = cond.pop("overlap", 0)
    index = cond.pop("index", 0)
    return Segment(
        index=index,
        workflow=workflow,
        kind="chunk" if overlap else "shot",
        shot_index=1,
        shots=1,
        prompt=prompt,
        action="",
        negative_prompt="blurry",
        start=0.0,
        start_frame=0,
        frames=frames,
        keep_frames=frames - overlap,
        overlap_frames=overlap,
        width=SIZE[0],
        height=SIZE[1],
        fps=FPS,
        seed=seed,
        steps=STEPS,
        conditioning=Conditioning(continue_from_previous=overlap, **cond),
    )


class FloatFrames:
    """Records the float frames an engine's pipeline returned (before uint8 rounding)."""

    def __init__(self, eng, monkeypatch):
        self.videos: list[np.ndarray] = []
        original = eng.to_clip

        def spy(video, fps, *args, **kwargs):
            self.videos.append(np.asarray(video[0] if len(np.shape(video)) == 5 else video).copy())
            return original(video, fps, *args, **kwargs)

        monkeypatch.setattr(eng, "to_clip", spy)

    @property
    def last(self) -> np.ndarray:
        return self.videos[-1]


def stock(eng, class_name: str):
    """The stock diffusers pipeline class on the engine's loaded components (same weights),
    with the folder's own scheduler rebuilt with the reference shift (``REFERENCE_SHIFTS``)."""
    import inspect

    import diffusers

    cls = getattr(diffusers, class_name)
    params = inspect.signature(cls.__init__).parameters
    base = eng._pipelines[eng.base_pipeline]
    kwargs = {k: v for k, v in base.components.items() if k in params}
    saved = diffusers.FlowMatchEulerDiscreteScheduler.from_pretrained(eng.folder / "scheduler")
    assert saved.config.shift != REFERENCE_SHIFTS[eng.folder.name]
    kwargs["scheduler"] = diffusers.FlowMatchEulerDiscreteScheduler.from_pretrained(
        eng.folder / "scheduler", shift=REFERENCE_SHIFTS[eng.folder.name]
    )
    kwargs.update(
        {
            k: base.config[k]
            for k in ("boundary_ratio", "expand_timesteps")
            if k in params and k in base.config
        }
    )
    pipe = cls(**kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def stock_kwargs(seg: Segment, eng) -> dict:
    """What the engine passes every Wan call, written out independently."""
    import torch

    return dict(
        prompt=seg.prompt,
        negative_prompt=seg.negative_prompt,
        height=seg.height,
        width=seg.width,
        num_inference_steps=seg.steps,
        guidance_scale=eng.guidance_scale,
        generator=torch.Generator("cpu").manual_seed(seg.seed),
        max_sequence_length=16,
        output_type="np",
    )
