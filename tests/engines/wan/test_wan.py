"""Wan 2.2 TI2V-5B engine (tier ``turbo``): end to end through reelforge, and equal to stock diffusers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import reelforge
from reelforge.errors import EngineUnavailable
from reelforge.lineup import END_FRAME, TIERS
from reelforge.media.clip import Clip
from reelforge.media.decode import fit_image, load_image, read_video
from reelforge.media.probe import probe_video

from .conftest import FPS, SIZE, STEPS, FloatFrames, engine, segment, stock, stock_kwargs


def render(request: dict, folder, tmp_path, events=None):
    return reelforge.render(
        {"tier": "turbo", "seed": 11, "duration": 3, "resolution": "720p", **request},
        model_path=folder,
        size=SIZE,
        steps=STEPS,
        output=tmp_path / "out.mp4",
        progress=events.append if events is not None else (lambda e: None),
    )


def check_mp4(art, seconds: float = 3.0) -> np.ndarray:
    info = probe_video(art.video)
    assert (info.width, info.height) == SIZE
    assert info.fps == FPS
    assert info.frames == round(seconds * FPS)
    assert info.duration == pytest.approx(seconds, abs=1 / FPS)
    assert not info.has_audio  # turbo makes no sound
    return read_video(art.video).frames


# --------------------------------------------------------------------------- end to end


def test_text_to_video_mp4(wan_folders, tmp_path):
    events = []
    art = render(
        {"workflow": "text2video", "prompt": "a red cat walks in the city"},
        wan_folders["ti2v"],
        tmp_path,
        events,
    )
    frames = check_mp4(art)
    assert frames.std() > 1  # a generated picture, not a blank
    steps = [e for e in events if e.stage == "render" and e.steps == STEPS]
    assert [e.step for e in steps] == list(
        range(1, STEPS + 1)
    )  # callback_on_step_end reached the bar


@pytest.mark.parametrize("kind", ["ti2v", "i2v"])
def test_image_to_video_mp4(kind, wan_folders, media, tmp_path):
    art = render(
        {
            "workflow": "image2video",
            "image": str(media["start"]),
            "prompt": "the camera slowly moves",
        },
        wan_folders[kind],
        tmp_path,
    )
    check_mp4(art)


@pytest.mark.parametrize("kind", ["ti2v", "flf2v"])
def test_first_last_frame_mp4(kind, wan_folders, media, tmp_path):
    art = render(
        {
            "workflow": "image2video",
            "image": str(media["start"]),
            "end_image": str(media["end"]),
            "prompt": "the camera slowly moves",
        },
        wan_folders[kind],
        tmp_path,
    )
    check_mp4(art)
    # turbo's end frame is experimental (lineup/tiers.py): rendered, and the sidecar says so
    notes = json.loads(art.sidecar.read_text())["plan"]["notes"]
    assert TIERS["turbo"].experimental_note(END_FRAME) in notes


# --------------------------------------------------------------------------- equivalence


@pytest.mark.parametrize("kind", ["t2v", "ti2v"])
def test_text_to_video_equals_stock(kind, wan_folders, monkeypatch):
    eng = engine("wan", wan_folders[kind])
    frames = FloatFrames(eng, monkeypatch)
    seg = segment("text2video", frames=9)
    clip = eng.render(seg)
    assert clip.num_frames == seg.frames and clip.audio is None
    want = stock(eng, "WanPipeline")(num_frames=seg.frames, **stock_kwargs(seg, eng)).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)


@pytest.mark.parametrize("kind", ["i2v", "ti2v"])
def test_image_to_video_equals_stock(kind, wan_folders, media, monkeypatch):
    eng = engine("wan", wan_folders[kind])
    frames = FloatFrames(eng, monkeypatch)
    seg = segment("image2video", frames=9, start_image=media["start"])
    clip = eng.render(seg)
    assert clip.meta["mode"] == "image2video" and clip.num_frames == 9
    image = Image.fromarray(fit_image(load_image(media["start"]), *SIZE))
    want = stock(eng, "WanImageToVideoPipeline")(
        image=image, num_frames=9, **stock_kwargs(seg, eng)
    ).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)


def test_first_last_frame_equals_stock_flf2v(wan_folders, media, monkeypatch):
    eng = engine("wan", wan_folders["flf2v"])
    frames = FloatFrames(eng, monkeypatch)
    seg = segment("image2video", frames=9, start_image=media["start"], end_image=media["end"])
    assert eng.render(seg).meta["mode"] == "first_last_frame"
    first, last = (
        Image.fromarray(fit_image(load_image(media[k]), *SIZE)) for k in ("start", "end")
    )
    pipe = stock(eng, "WanImageToVideoPipeline")
    want = pipe(image=first, last_image=last, num_frames=9, **stock_kwargs(seg, eng)).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)
    without = pipe(image=first, last_image=first, num_frames=9, **stock_kwargs(seg, eng)).frames[0]
    assert np.abs(without - want).max() > 1e-3  # the end image matters


def test_ti2v_keyframe_holds_both_end_latents(wan_folders, media):
    """TI2V-5B first-last-frame (our extension): the end image's latent is held clean as the
    last latent frame, like the start image's as the first; without an end image the
    pipeline is the stock one."""
    from reelforge.engines.wan.engine import WanTI2VKeyframePipeline

    eng = engine("wan", wan_folders["ti2v"])
    seg = segment("image2video", frames=9)
    pipe = eng.scheduled(eng.pipeline(WanTI2VKeyframePipeline), seg)  # as render() does
    first, last = (
        Image.fromarray(fit_image(load_image(media[k]), *SIZE)) for k in ("start", "end")
    )
    kwargs = stock_kwargs(seg, eng) | {"output_type": "latent", "num_frames": 9}
    latents = pipe(image=first, last_image=last, **kwargs).frames

    def encoded(image):
        pixels = pipe.video_processor.preprocess(image, height=32, width=32)[:, :, None]
        z = pipe.vae.encode(pixels).latent_dist.mode()
        mean = torch.tensor(pipe.vae.config.latents_mean).view(1, -1, 1, 1, 1)
        std = torch.tensor(pipe.vae.config.latents_std).view(1, -1, 1, 1, 1)
        return (z - mean) / std

    torch.testing.assert_close(latents[:, :, :1], encoded(first), atol=1e-5, rtol=0)
    torch.testing.assert_close(latents[:, :, -1:], encoded(last), atol=1e-5, rtol=0)
    plain = pipe(
        image=first, **stock_kwargs(seg, eng) | {"output_type": "latent", "num_frames": 9}
    ).frames
    want = stock(eng, "WanImageToVideoPipeline")(
        image=first, **stock_kwargs(seg, eng) | {"output_type": "latent", "num_frames": 9}
    ).frames
    torch.testing.assert_close(plain, want, atol=1e-5, rtol=0)
    assert not torch.allclose(plain[:, :, -1:], latents[:, :, -1:], atol=1e-3)


# --------------------------------------------------------------------------- folders and chunks


def test_folder_abilities_are_checked(wan_folders, media):
    with pytest.raises(EngineUnavailable, match="text-to-video Wan model"):
        engine("wan", wan_folders["t2v"]).render(segment("image2video", start_image=media["start"]))
    with pytest.raises(EngineUnavailable, match="needs a start image"):
        engine("wan", wan_folders["i2v"]).render(segment("text2video"))
    with pytest.raises(EngineUnavailable, match="without end-frame conditioning"):
        engine("wan", wan_folders["i2v"]).render(
            segment("image2video", start_image=media["start"], end_image=media["end"])
        )


def test_chunk_starts_from_the_previous_chunks_frame(wan_folders, monkeypatch):
    eng = engine("wan", wan_folders["ti2v"])
    previous = Clip(
        np.random.default_rng(0).integers(0, 255, (13, 32, 32, 3), dtype=np.uint8),
        FPS,
        meta={"timeline_frames": 12},
    )
    seg = segment("text2video", frames=9, overlap=4, index=1)
    starts = []
    pipe = eng.pipeline("WanImageToVideoPipeline")
    monkeypatch.setattr(
        type(pipe),
        "__call__",
        lambda self, image, **kw: starts.append(np.asarray(image)) or _fake(kw),
    )
    clip = eng.render(seg, previous=previous)
    assert clip.meta["mode"] == "image2video"
    # frames 8..11 of the previous clip are this chunk's first 4 moments; frame 12 is past the kept ones
    np.testing.assert_array_equal(starts[0], previous.frames[8])


def _fake(kwargs):
    class Out:
        frames = np.zeros(
            (1, kwargs["num_frames"], kwargs["height"], kwargs["width"], 3), np.float32
        )

    return Out()
