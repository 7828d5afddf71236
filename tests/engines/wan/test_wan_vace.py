"""Wan 2.1 VACE engine (tier ``omni``): tags → references, conditioning layout, stock equality."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import reelforge
from reelforge.engines.wan.vace import GENERATE, KEEP, UNKNOWN_FRAME, resolve_references
from reelforge.media.decode import fit_image, load_image
from reelforge.media.probe import probe_video
from reelforge.planning.plan import Anchor, Reference

from .conftest import FPS, SIZE, STEPS, FloatFrames, engine, segment, stock, stock_kwargs

REFS = (
    Reference(tag="image_1", path="a.png"),
    Reference(tag="element_1", path="hero1.png", name="Hero", description="a tall knight"),
    Reference(tag="element_1", path="hero2.png", name="Hero", description="a tall knight"),
    Reference(tag="element_2", path="cup.png"),
)


def test_tags_resolve_to_the_references_the_prompt_uses_in_order():
    r = resolve_references("@Hero lifts <<<image_1>>> high", REFS)
    assert r.text == "Hero lifts the subject in reference 3 high"
    assert [x.path.name for x in r.references] == ["hero1.png", "hero2.png", "a.png"]
    r = resolve_references("<<<element_2>>> on a table, @hero nearby, <<<element_1>>> smiles", REFS)
    assert r.text == "the subject in reference 1 on a table, Hero nearby, Hero smiles"
    assert [x.tag for x in r.references] == ["element_2", "element_1", "element_1"]
    r = resolve_references("@Element2 in <<<video_1>>>", REFS)
    assert r.text == "the subject in reference 1 in the reference video"
    assert [x.tag for x in r.references] == ["element_2"]


def test_a_prompt_without_tags_passes_every_reference():
    r = resolve_references("a knight walks at dawn", REFS)
    assert r.text == "a knight walks at dawn"
    assert [x.path.name for x in r.references] == ["a.png", "hero1.png", "hero2.png", "cup.png"]


def test_omni_mp4_with_tagged_references(wan_folders, media, tmp_path):
    art = reelforge.render(
        {
            "workflow": "omni",
            "tier": "omni",
            "seed": 5,
            "duration": 3,
            "resolution": "720p",
            "audio": False,
            "prompt": "@Hero walks past <<<image_1>>> in the city",
            "images": [
                {"path": str(media["ref_a"])},
                {"path": str(media["start"]), "type": "first_frame"},
            ],
            "elements": [
                {"name": "Hero", "images": [str(media["ref_b"])], "description": "a green knight"}
            ],
        },
        model_path=wan_folders["vace"],
        size=SIZE,
        steps=STEPS,
        output=tmp_path / "omni.mp4",
    )
    info = probe_video(art.video)
    assert (info.width, info.height, info.fps, info.frames) == (*SIZE, FPS, 3 * FPS)
    assert info.duration == pytest.approx(3.0, abs=1 / FPS)
    assert not info.has_audio


def test_vace_equals_stock_with_references_and_keyframes(wan_folders, media, monkeypatch):
    eng = engine("wan_vace", wan_folders["vace"])
    frames = FloatFrames(eng, monkeypatch)
    refs = (
        Reference(tag="image_1", path=media["ref_a"]),
        Reference(tag="element_1", path=media["ref_b"], name="Hero"),
    )
    seg = segment(
        "omni",
        frames=9,
        prompt="@Hero waves at <<<image_1>>>",
        references=refs,
        start_image=media["start"],
        end_image=media["end"],
    )
    clip = eng.render(seg)
    assert clip.num_frames == 9
    assert clip.meta["prompt"] == "Hero waves at the subject in reference 2"
    assert clip.meta["references"] == ["element_1", "image_1"]

    # The conditioning layout, written out independently of the engine.
    grey = Image.new("RGB", SIZE, UNKNOWN_FRAME)
    first, last = (
        Image.fromarray(fit_image(load_image(media[k]), *SIZE)) for k in ("start", "end")
    )
    video = [first, *[grey] * 7, last]
    mask = [
        Image.new("L", SIZE, KEEP),
        *[Image.new("L", SIZE, GENERATE)] * 7,
        Image.new("L", SIZE, KEEP),
    ]
    kwargs = stock_kwargs(seg, eng) | {"prompt": "Hero waves at the subject in reference 2"}
    want = stock(eng, "WanVACEPipeline")(
        video=video,
        mask=mask,
        reference_images=[load_image(media["ref_b"]), load_image(media["ref_a"])],
        num_frames=9,
        **kwargs,
    ).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)


def test_a_later_shots_anchor_is_one_more_reference(wan_folders, media, monkeypatch):
    """Shot 1's key frame conditions a later omni shot as a VACE reference image."""
    eng = engine("wan_vace", wan_folders["vace"])
    frames = FloatFrames(eng, monkeypatch)
    seg = segment(
        "omni", prompt="the knight turns", anchor=Anchor(image=media["ref_a"], shot=1, frame=4)
    )
    clip = eng.render(seg)
    assert clip.meta["references"] == ["shot 1 key frame"]
    grey = Image.new("RGB", SIZE, UNKNOWN_FRAME)
    want = stock(eng, "WanVACEPipeline")(
        video=[grey] * 9,
        mask=[Image.new("L", SIZE, GENERATE)] * 9,
        reference_images=[load_image(media["ref_a"])],
        num_frames=9,
        **stock_kwargs(seg, eng),
    ).frames[0]
    np.testing.assert_allclose(frames.last, want, atol=1e-5)
    unanchored = eng.render(segment("omni", prompt="the knight turns"))
    assert np.abs(unanchored.frames.astype(int) - clip.frames).mean() > 0.5


def test_reference_video_and_continuation_fill_the_conditioning_video(wan_folders, media):
    from reelforge.media.clip import Clip
    from reelforge.planning.plan import Span

    eng = engine("wan_vace", wan_folders["vace"])
    previous = Clip(np.full((9, 32, 32, 3), 77, np.uint8), FPS, meta={"timeline_frames": 9})
    seg = segment(
        "omni",
        frames=9,
        overlap=3,
        reference_video=media["reference_video"],
        video_span=Span(start=0.5, end=0.5 + 9 / FPS),
    )
    video, mask = eng.conditioning_video(seg, previous)
    assert len(video) == len(mask) == 9
    assert [np.asarray(m).max() for m in mask] == [KEEP] * 3 + [GENERATE] * 6
    assert all((np.asarray(v) == 77).all() for v in video[:3])  # the previous clip's overlap
    assert np.asarray(video[5]).std() > 10  # the reference video's moving figure, not grey
    assert eng.conditioning_video(segment("omni", frames=9), None) == (None, None)
