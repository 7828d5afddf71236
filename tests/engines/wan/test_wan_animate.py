"""Wan 2.2 Animate engine (tier ``motion``): pose/face preprocessing, stock equality, chaining."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reelforge
from reelforge.engines.wan.preprocess import (
    ClassicalMotionPreprocessor,
    OnnxMotionPreprocessor,
    load_preprocessor,
)
from reelforge.media.clip import Clip
from reelforge.media.decode import load_image, read_video
from reelforge.media.probe import probe_video
from reelforge.planning.plan import Span

from .conftest import FPS, SIZE, STEPS, FloatFrames, engine, segment, stock, stock_kwargs


def motion_segment(media, frames=17, start=0, overlap=0, seed=7, index=0):
    span = Span(start=(start - overlap) / FPS, end=(start - overlap + frames) / FPS)
    return segment(
        "motion",
        frames=frames,
        seed=seed,
        prompt="a person dances",
        overlap=overlap,
        index=index,
        character_image=media["character"],
        reference_video=media["reference_video"],
        video_span=span,
    )


def test_motion_mp4_chains_segments(wan_folders, media, tmp_path):
    """A 3.5 s reference is longer than one 77-frame window: two chained segments, one MP4."""
    art = reelforge.render(
        {
            "workflow": "motion",
            "tier": "motion",
            "seed": 3,
            "resolution": "720p",
            "prompt": "a person dances",
            "image": str(media["character"]),
            "video": str(media["reference_video"]),
            "keep_original_sound": False,
        },
        model_path=wan_folders["animate"],
        size=SIZE,
        steps=STEPS,
        output=tmp_path / "motion.mp4",
    )
    info = probe_video(art.video)
    assert (info.width, info.height, info.fps, info.frames) == (*SIZE, FPS, 84)
    assert info.duration == pytest.approx(3.5, abs=1 / FPS)
    import json

    plan = json.loads(art.sidecar.read_text())["plan"]
    assert len(plan["segments"]) == 2 and plan["segments"][1]["overlap_frames"] == 5


def test_animate_equals_stock(wan_folders, media, monkeypatch):
    eng = engine("wan_animate", wan_folders["animate"])
    assert isinstance(eng.preprocessor, OnnxMotionPreprocessor)  # the tiny process_checkpoint
    frames = FloatFrames(eng, monkeypatch)
    seg = motion_segment(media, frames=9)
    clip = eng.render(seg)
    assert (
        clip.num_frames == 9 and clip.meta["preprocess"] == "onnx" and clip.meta["continued"] == 0
    )

    reference = read_video(media["reference_video"], fps=FPS, span=(0, 9 / FPS)).frames
    motion = eng.preprocessor(reference, *SIZE, 16)
    want = stock(eng, "WanAnimatePipeline")(
        image=load_image(media["character"]),
        pose_video=motion.pose,
        face_video=motion.face,
        mode="animate",
        segment_frame_length=9,
        **stock_kwargs(seg, eng),
    ).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)


def test_second_segment_is_conditioned_on_the_first_ones_last_frames(
    wan_folders, media, monkeypatch
):
    from diffusers import WanAnimatePipeline

    eng = engine("wan_animate", wan_folders["animate"])
    first = eng.render(motion_segment(media, frames=17))
    seen = []
    original = WanAnimatePipeline.prepare_prev_segment_cond_latents

    def spy(self, prev_video=None, *args, **kwargs):
        out = original(self, prev_video, *args, **kwargs)
        seen.append(
            (
                None if prev_video is None else prev_video.clone(),
                kwargs["start_frame"],
                kwargs["prev_segment_cond_frames"],
                out,
            )
        )
        return out

    monkeypatch.setattr(WanAnimatePipeline, "prepare_prev_segment_cond_latents", spy)
    second_seg = motion_segment(media, frames=17, start=17, overlap=5, seed=8, index=1)
    chained = eng.render(second_seg, previous=first)
    assert chained.meta["continued"] == 5 and chained.num_frames == 17
    given, start_frame, count, latents = seen[-1]
    # The first clip's last 5 frames (the same moments as this one's first 5), as pixels in [-1, 1].
    want = torch.from_numpy(first.frames[-5:]).float().div(127.5).sub(1).permute(3, 0, 1, 2)[None]
    torch.testing.assert_close(given, want)
    assert count == 5 and start_frame > 0
    mask = latents[:, :4]  # the stock mask: 1 on the given frames (the first latent frame here)
    assert mask[:, :, 0].min() == 1 and mask[:, :, 2:].max() == 0

    alone = eng.render(second_seg)  # the same segment without the previous frames
    assert seen[-1][0] is None and alone.meta["continued"] == 0
    assert np.abs(alone.frames.astype(int) - chained.frames).mean() > 0.5


def test_fallback_preprocessor_warns_and_still_renders(wan_folders, media, tmp_path):
    with pytest.warns(RuntimeWarning, match="classical fallback"):
        pre = load_preprocessor(tmp_path)  # no process_checkpoint here
    assert isinstance(pre, ClassicalMotionPreprocessor)
    frames = read_video(media["reference_video"], fps=FPS, span=(0, 9 / FPS)).frames
    out = pre(frames, *SIZE, 16)
    assert len(out.pose) == len(out.face) == 9 and out.method == "classical"
    assert out.pose[0].size == SIZE and out.face[0].size == (16, 16)


def test_tiny_random_preprocessor_is_deterministic(wan_folders, media):
    pre = load_preprocessor(wan_folders["animate"])
    frames = read_video(media["reference_video"], fps=FPS, span=(0, 9 / FPS)).frames
    a, b = pre(frames, *SIZE, 16), pre(frames, *SIZE, 16)
    assert all((np.asarray(x) == np.asarray(y)).all() for x, y in zip(a.pose, b.pose, strict=True))
    assert any(np.asarray(p).any() for p in a.pose)  # skeletons were drawn
    assert Clip(np.stack([np.asarray(f) for f in a.face]), FPS).frames.shape == (9, 16, 16, 3)
