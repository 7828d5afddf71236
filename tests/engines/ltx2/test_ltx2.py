"""LTX-2 on a tiny random pipeline loaded from disk: every mode end to end, equal to stock diffusers."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

import reelforge
from reelforge.errors import EngineUnavailable
from reelforge.media.clip import Audio, Clip
from reelforge.media.decode import fit_image, load_image, read_audio, read_video
from reelforge.media.probe import probe_video
from reelforge.planning.plan import Anchor, Conditioning, Segment, Span

from .conftest import SEED, SIZE, cli_video

FPS = 24
FRAMES = 25  # 1 s at 24 fps, as LTX-2 renders it (8k + 1); requests (≥ 3 s) render 73
EXACT = 1e-5  # memory-mapped weights can differ from in-memory ones by ~1e-6


def segment(**fields) -> Segment:
    base = dict(
        index=0,
        workflow="text2video",
        kind="shot",
        shot_index=1,
        shots=1,
        prompt="a red fox runs",
        action="runs",
        start=0.0,
        start_frame=0,
        frames=FRAMES,
        keep_frames=FRAMES - 1,
        width=SIZE,
        height=SIZE,
        fps=FPS,
        seed=SEED,
        steps=2,
        audio=True,
    )
    return Segment(**{**base, **fields})


def fitted(path, size=SIZE) -> Image.Image:
    return Image.fromarray(fit_image(load_image(path), size, size, "cover"))


@pytest.fixture
def float_frames(monkeypatch, engine):
    """The float frames the engine hands to ``to_clip`` (before uint8 quantisation)."""
    seen = []
    original = type(engine).to_clip

    def spy(video, fps, audio=None, audio_rate=None):
        seen.append(np.asarray(video[0] if np.ndim(video) == 5 else video))
        return original(video, fps, audio, audio_rate)

    monkeypatch.setattr(type(engine), "to_clip", staticmethod(spy))
    return seen


def assert_mp4(artifact, frames, fps, audio: bool):
    info = probe_video(artifact.video)
    assert (info.width, info.height) == (SIZE, SIZE)
    assert info.frames == frames and info.fps == fps
    assert info.duration == pytest.approx(frames / fps, abs=1e-3)
    assert info.has_audio is audio
    clip = read_video(artifact.video, audio=audio)
    assert clip.num_frames == frames
    if audio:
        track = read_audio(artifact.video)
        assert abs(track.duration - info.duration) <= 1 / fps
        assert np.abs(track.samples).max() > 0  # sound, not silence
    return clip


NO_GUIDANCE = dict(
    guidance_scale=1.0,
    audio_guidance_scale=1.0,
    stg_scale=0.0,
    audio_stg_scale=0.0,
    modality_scale=1.0,
    audio_modality_scale=1.0,
    guidance_rescale=0.0,
    audio_guidance_rescale=0.0,
)
"""Stage 2 of the reference has no guidance; the docs' call passes only ``guidance_scale=1``,
which leaves audio CFG 7, STG 1 and modality 3 on in diffusers 0.42 (research §2.4): the
recipe below turns every term off, as ``SimpleDenoiser`` does."""


def docs_two_stage(
    docs, seg, stage_1: str, refine: str, images=None, refine_images=None, cross_timestep=False
):
    """The diffusers docs' "Two-stages Generation" run by hand on the stock pipelines, with
    the reference's numbers where the docs' example differs: stage 1 at half size with the
    reference's fixed shift (a static-shift scheduler ``shift = e^2.05``, terminal 0.1 —
    not our pass-through one), 2 steps and the full guidance; the latent upsampler; the
    distilled LoRA at 1.0 and the stage-2 scheduler of the docs (shifting off) on
    ``STAGE_2_DISTILLED_SIGMA_VALUES`` with every guidance term off; the reference's
    tiled decode. ``cross_timestep``: LTX-2.3 and later. Returns the stock ``(frames, audio)``."""
    import math

    from diffusers import FlowMatchEulerDiscreteScheduler, LTX2LatentUpsamplePipeline
    from diffusers.pipelines.ltx2.utils import (
        DEFAULT_NEGATIVE_PROMPT,
        STAGE_2_DISTILLED_SIGMA_VALUES,
    )

    from reelforge.engines.ltx2.engine import VAE_TILING
    from reelforge.engines.ltx2.presets import FULL_GUIDANCE

    pipes, upsampler = docs
    base = pipes["LTX2Pipeline"]
    config = base.scheduler.config
    generator = torch.Generator("cpu").manual_seed(seg.seed)
    common = dict(
        prompt=seg.prompt,
        negative_prompt=DEFAULT_NEGATIVE_PROMPT,
        num_frames=seg.frames,
        frame_rate=float(seg.fps),
        use_cross_timestep=cross_timestep,  # False: LTX-2.0 (the tiny config is 2.0-style)
        generator=generator,
        return_dict=False,
    )
    first = pipes[stage_1]
    first.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
        config, use_dynamic_shifting=False, shift=math.exp(2.05), shift_terminal=0.1
    )
    base.disable_lora()
    video, audio = first(
        **common,
        **(images or {}),
        width=seg.width // 2,
        height=seg.height // 2,
        num_inference_steps=seg.steps,
        output_type="latent",
        **FULL_GUIDANCE.for_layers(2).pipeline_kwargs(),
    )
    upsample = LTX2LatentUpsamplePipeline(vae=base.vae, latent_upsampler=upsampler)
    upsample.set_progress_bar_config(disable=True)
    video = upsample(latents=video, output_type="latent", return_dict=False)[0]
    base.enable_lora()
    base.set_adapters("stage_2_distilled", 1.0)
    base.vae.enable_tiling(**VAE_TILING)
    second = pipes[refine]
    second.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
        config, use_dynamic_shifting=False, shift_terminal=None
    )
    frames, sound = second(
        **common,
        **(refine_images or {}),
        width=seg.width,
        height=seg.height,
        latents=video,
        audio_latents=audio,
        num_inference_steps=3,
        noise_scale=STAGE_2_DISTILLED_SIGMA_VALUES[0],
        sigmas=STAGE_2_DISTILLED_SIGMA_VALUES,
        output_type="np",
        **NO_GUIDANCE,
    )
    base.disable_lora()
    return frames, sound


@pytest.fixture(scope="module")
def docs(tiny_ltx2):
    """Stock pipelines of the tiny folder for the docs' recipe, the distilled LoRA loaded
    the docs' way, and the latent upsampler."""
    import diffusers
    from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel

    from reelforge.engines.ltx2.lora import DISTILLED_LORA_FILE

    base = diffusers.LTX2Pipeline.from_pretrained(tiny_ltx2)
    base.load_lora_weights(
        str(tiny_ltx2), adapter_name="stage_2_distilled", weight_name=DISTILLED_LORA_FILE
    )
    pipes = {"LTX2Pipeline": base}
    for name in ("LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"):
        pipes[name] = getattr(diffusers, name).from_pipe(base)
    for pipe in pipes.values():
        pipe.set_progress_bar_config(disable=True)
    upsampler = LTX2LatentUpsamplerModel.from_pretrained(tiny_ltx2 / "latent_upsampler").eval()
    return pipes, upsampler


@pytest.mark.parametrize("mode", ["text-to-video", "image-to-video", "keyframes"])
def test_engine_stages_equal_the_docs_two_stage_recipe(mode, engine, docs, inputs, float_frames):
    """Stage 1 + upsample + stage 2 of our engine is the diffusers docs' two-stage recipe
    run by hand on the same tiny pipeline (frames and sound, atol 1e-5); images condition
    both stages, encoded at each stage's size (the reference's ``ti2vid_two_stages.py``)."""
    from diffusers.pipelines.ltx2 import LTX2VideoCondition

    start = inputs["start"] if mode != "text-to-video" else None
    end = inputs["end"] if mode == "keyframes" else None
    seg = segment(conditioning=Conditioning(start_image=start, end_image=end))

    clip = engine.render(seg)

    assert clip.meta["mode"] == mode
    assert clip.meta["stages"] == [(SIZE // 2, SIZE // 2, 2), (SIZE, SIZE, 3)]
    if mode == "text-to-video":
        ref = docs_two_stage(docs, seg, "LTX2Pipeline", "LTX2Pipeline")
    else:
        conditions = [LTX2VideoCondition(frames=fitted(start), index=0)]
        if end is not None:
            conditions.append(LTX2VideoCondition(frames=fitted(end), index=-1))
        first = (
            ("LTX2ImageToVideoPipeline", {"image": fitted(start)})
            if end is None
            else ("LTX2ConditionPipeline", {"conditions": conditions})
        )
        ref = docs_two_stage(
            docs, seg, first[0], "LTX2ConditionPipeline", first[1], {"conditions": conditions}
        )
    assert_same_output(clip, ref, docs[0], float_frames)


def assert_same_output(clip, ref, pipes, float_frames):
    """The engine's float frames and sound equal the stock output ``ref`` (frames, audio)."""
    frames, audio = ref
    np.testing.assert_allclose(float_frames[-1], frames[0], atol=EXACT, rtol=0)
    assert clip.num_frames == FRAMES and clip.frames.std() > 0
    sound = Audio(
        np.clip(audio[0].numpy(), -1, 1), pipes["LTX2Pipeline"].vocoder.config.output_sampling_rate
    )
    np.testing.assert_allclose(
        clip.audio.samples, sound.fit(clip.duration).samples, atol=EXACT, rtol=0
    )


@pytest.mark.parametrize("with_start", [False, True], ids=["text", "image"])
def test_an_anchored_segment_is_the_stock_keyframe_condition(
    with_start, engine, docs, inputs, float_frames
):
    """Shot 1's key frame conditions a later shot as LTX-2's keyframe condition at the
    middle latent frame, at ``ANCHOR_STRENGTH``, in both stages: exactly the stock calls."""
    from diffusers.pipelines.ltx2 import LTX2VideoCondition

    from reelforge.engines.ltx2.presets import ANCHOR_STRENGTH

    start = inputs["start"] if with_start else None
    anchor = Anchor(image=inputs["end"], shot=1, frame=12)
    seg = segment(shot_index=2, conditioning=Conditioning(start_image=start, anchor=anchor))
    clip = engine.render(seg)

    assert clip.meta["mode"] == "keyframes"
    conditions = [LTX2VideoCondition(frames=fitted(start), index=0)] if with_start else []
    latent_frames = (FRAMES - 1) // docs[0]["LTX2Pipeline"].vae_temporal_compression_ratio + 1
    conditions.append(
        LTX2VideoCondition(
            frames=fitted(inputs["end"]), index=latent_frames // 2, strength=ANCHOR_STRENGTH
        )
    )
    images = {"conditions": conditions}
    ref = docs_two_stage(
        docs, seg, "LTX2ConditionPipeline", "LTX2ConditionPipeline", images, images
    )
    assert_same_output(clip, ref, docs[0], float_frames)


def test_our_loop_with_an_anchor_is_the_stock_condition_loop(engine, stock, inputs):
    """The avatar's identity anchor in our loop (start held, anchor tokens appended at
    partial strength) reproduces ``LTX2ConditionPipeline`` when the audio is not held."""
    from reelforge.engines.ltx2.audio import latent_frames
    from reelforge.engines.ltx2.held import Stream, denoise
    from reelforge.engines.ltx2.presets import FULL_GUIDANCE
    from reelforge.engines.ltx2.video import grid_for

    seg = segment()
    guidance = FULL_GUIDANCE.for_layers(2)
    pipe = engine.pipeline("LTX2ConditionPipeline")
    gen = torch.Generator("cpu").manual_seed(SEED)
    start, anchor = fitted(inputs["start"]), fitted(inputs["end"])
    (stage, _) = engine.stages(seg)
    video = engine._conditioned_video(seg, stage, start, anchor, gen)
    grid = grid_for(pipe, FRAMES, stage.width, stage.height, latent_frames(pipe, FRAMES / FPS))
    tokens = grid.frames * grid.height * grid.width
    assert video.appended_coords is not None and video.latents.shape[1] > tokens
    audio = Stream(
        pipe.prepare_audio_latents(1, 2, grid.audio_frames, 8, 0.0, torch.float32, "cpu", gen)
    )
    v, a = denoise(
        pipe,
        video,
        audio,
        grid,
        text=engine.text(pipe, seg.prompt, "", guidance.cfg),
        guidance=guidance,
        sigmas=stage.sigmas,
        frame_rate=FPS,
    )
    ref_v, _ = stock_latents(
        stock,
        "LTX2ConditionPipeline",
        seg,
        guidance,
        stage,
        conditions=engine.conditions(seg, start, None, anchor),
    )
    assert_same_video_latents(pipe, v[:, :tokens], grid, ref_v)


def stock_latents(stock, name, seg, guidance, stage, **inputs):
    """The stock pipeline's final (video, audio) latents for stage 1 of ``seg``, no negative
    prompt, on the stage's sigmas through a pass-through scheduler."""
    from reelforge.engines.ltx2.schedule import passthrough_scheduler

    pipe = stock[name]
    pipe.scheduler = passthrough_scheduler(pipe.scheduler)
    return pipe(
        **inputs,
        prompt=seg.prompt,
        negative_prompt="",
        width=stage.width,
        height=stage.height,
        num_frames=FRAMES,
        frame_rate=FPS,
        num_inference_steps=stage.steps,
        sigmas=list(stage.sigmas[:-1]),
        use_cross_timestep=False,
        generator=torch.Generator("cpu").manual_seed(SEED),
        output_type="latent",
        return_dict=False,
        **guidance.pipeline_kwargs(),
    )


def assert_same_video_latents(pipe, packed, grid, ref):
    """Our packed normalised latents equal the stock pipeline's (unpacked, denormalised)."""
    from reelforge.engines.ltx2.internals import video_latents

    ours = video_latents(pipe, packed, grid.frames, grid.height, grid.width)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=EXACT, rtol=0)


def test_our_loop_with_nothing_held_is_the_stock_loop(engine, stock, inputs):
    """``held.denoise`` reproduces LTX2Pipeline (nothing held) and LTX2ImageToVideoPipeline
    (first frame held): the a2v / v2a loop differs from stock only in what it holds."""
    from reelforge.engines.ltx2.audio import latent_frames
    from reelforge.engines.ltx2.held import Stream, denoise
    from reelforge.engines.ltx2.internals import audio_latents, device_of
    from reelforge.engines.ltx2.presets import FULL_GUIDANCE
    from reelforge.engines.ltx2.video import grid_for, image_tensor

    seg = segment()
    guidance = FULL_GUIDANCE.for_layers(2)
    (stage, _) = engine.stages(seg)
    w, h = stage.width, stage.height
    for name, image in (
        ("LTX2Pipeline", None),
        ("LTX2ImageToVideoPipeline", fitted(inputs["start"])),
    ):
        pipe = engine.pipeline(name)
        gen = torch.Generator("cpu").manual_seed(SEED)
        args = (h, w, FRAMES, 0.0, torch.float32, device_of(pipe), gen)
        if image is None:
            video = Stream(pipe.prepare_latents(1, 4, *args))
        else:
            video = Stream(*pipe.prepare_latents(image_tensor(pipe, image, w, h), 1, 4, *args))
        grid = grid_for(pipe, FRAMES, w, h, latent_frames(pipe, FRAMES / FPS))
        audio = Stream(
            pipe.prepare_audio_latents(1, 2, grid.audio_frames, 8, 0.0, torch.float32, args[5], gen)
        )
        v, a = denoise(
            pipe,
            video,
            audio,
            grid,
            text=engine.text(pipe, seg.prompt, "", guidance.cfg),
            guidance=guidance,
            sigmas=stage.sigmas,
            frame_rate=FPS,
        )
        ref_v, ref_a = stock_latents(
            stock, name, seg, guidance, stage, **({"image": image} if image is not None else {})
        )
        assert_same_video_latents(pipe, v, grid, ref_v)
        ours_a = audio_latents(pipe, a, grid.audio_frames)
        np.testing.assert_allclose(ours_a.numpy(), ref_a.numpy(), atol=EXACT, rtol=0)


# --------------------------------------------------------------------------- through reelforge.render


def test_text_to_video_with_sound_through_render(tiny_ltx2, tmp_path):
    events = []
    art = reelforge.render(
        {
            "workflow": "text2video",
            "prompt": "A drummer plays; the snare cracks.",
            "duration": 3,
            "tier": "cinema",
            "model": "ltx2",
            "seed": 3,
            "audio": True,
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "t2v.mp4",
        progress=events.append,
    )
    clip = assert_mp4(art, 72, 24, audio=True)
    assert clip.frames.std() > 0
    steps = [(e.step, e.steps) for e in events if e.stage == "render" and e.steps == 5]
    assert steps == [(i, 5) for i in range(1, 6)]  # 2 stage-1 steps + 3 refine steps, one bar


def test_image_to_video_and_keyframes_through_render(tiny_ltx2, inputs, tmp_path):
    for name, extra in (("i2v", {}), ("keyframes", {"end_image": str(inputs["end"])})):
        art = reelforge.render(
            {
                "workflow": "image2video",
                "prompt": "The camera slowly pushes in.",
                "image": str(inputs["start"]),
                "duration": 3,
                "tier": "cinema",
                "model": "ltx2",
                "seed": 4,
                **extra,
            },
            model_path=tiny_ltx2,
            size=(SIZE, SIZE),
            steps=2,
            output=tmp_path / f"{name}.mp4",
        )
        assert_mp4(art, 72, 24, audio=True)


def test_four_shot_storyboard_conditions_shots_2_to_4_on_shot_1s_key_frame(
    tiny_ltx2, tmp_path, monkeypatch
):
    """Through reelforge.render: the plan anchors shots 2–4 on shot 1's middle frame, and
    each of their pipeline calls carries that very frame as an LTX-2 keyframe condition."""
    import json

    from reelforge.engines.ltx2.engine import LTX2Engine
    from reelforge.engines.ltx2.presets import ANCHOR_STRENGTH

    calls = []  # (segment, [(index, strength, pixels)], clip)
    conditions, render = LTX2Engine.conditions, LTX2Engine.render

    def spy_conditions(self, seg, *images):
        out = conditions(self, seg, *images)
        calls[-1][1].extend((c.index, c.strength, np.asarray(c.frames)) for c in out)
        return out

    def spy_render(self, seg, progress=None, previous=None):
        calls.append((seg, [], None))
        clip = render(self, seg, progress or (lambda *_: None), previous)
        calls[-1] = (seg, calls[-1][1], clip)
        return clip

    monkeypatch.setattr(LTX2Engine, "conditions", spy_conditions)
    monkeypatch.setattr(LTX2Engine, "render", spy_render)
    art = reelforge.render(
        {
            "workflow": "text2video",
            "tier": "cinema",
            "model": "ltx2",
            "seed": 21,
            "duration": 4,
            "audio": True,
            "prompt": "A fox in a harbour town.",
            "shots": [
                {"index": i, "prompt": p, "duration": 1}
                for i, p in enumerate(["on the pier", "close-up", "a gull lands", "waves"], 1)
            ],
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "board.mp4",
    )
    assert_mp4(art, 96, 24, audio=True)
    plan = json.loads(art.sidecar.read_text())["plan"]
    key = plan["segments"][1]["conditioning"]["anchor"]["frame"]
    assert key == 12  # the middle of the 1 s first shot
    assert [c[0].shot_index for c in calls] == [1, 2, 3, 4]
    first, _, first_clip = calls[0]
    assert first_clip.meta["mode"] == "text-to-video" and calls[0][1] == []
    key_pixels = first_clip.frames[key - first.start_frame]
    for seg, conds, clip in calls[1:]:
        assert clip.meta["mode"] == "keyframes"
        assert plan["segments"][seg.index]["conditioning"]["anchor"] == {
            "image": None,
            "shot": 1,
            "frame": key,
        }
        assert len(conds) == 2  # the anchor conditions both stages
        for index, strength, pixels in conds:
            assert index > 0 and strength == ANCHOR_STRENGTH
            np.testing.assert_array_equal(pixels, key_pixels)


def test_an_output_size_off_the_64_grid_is_rendered_larger_and_cropped(tiny_ltx2, tmp_path):
    """LTX-2 renders multiples of 64 (stage 1 is exactly half); the output keeps the size
    asked for (its centre)."""
    import json

    art = reelforge.render(
        {
            "workflow": "text2video",
            "prompt": "a red fox runs",
            "tier": "cinema",
            "model": "ltx2",
            "seed": 4,
            "audio": False,
        },
        model_path=tiny_ltx2,
        size=(40, 24),
        steps=1,
        output=tmp_path / "cropped.mp4",
    )
    info = probe_video(art.video)
    assert (info.width, info.height) == (40, 24) and art.poster.exists()
    plan = json.loads(art.sidecar.read_text())["plan"]
    assert (plan["width"], plan["height"]) == (40, 24)
    assert {(s["width"], s["height"]) for s in plan["segments"]} == {(64, 64)}
    assert any(
        "renders 64×64 (multiples of 64)" in n and "cropped to 40×24" in n for n in plan["notes"]
    )


def test_silent_text_to_video_has_no_audio_stream(tiny_ltx2, tmp_path):
    art = reelforge.render(
        {
            "workflow": "text2video",
            "prompt": "Clouds drift.",
            "duration": 3,
            "tier": "cinema",
            "model": "ltx2",
            "seed": 3,
            "audio": False,
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "silent.mp4",
    )
    assert_mp4(art, 72, 24, audio=False)


def test_avatar_audio_to_video_through_render(tiny_ltx2, inputs, tmp_path):
    art = reelforge.render(
        {
            "workflow": "avatar",
            "prompt": "A woman speaks to the camera.",
            "image": str(inputs["start"]),
            "audio_file": str(inputs["speech"]),
            "tier": "avatar",
            "seed": 5,
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=2,
        output=tmp_path / "avatar.mp4",
    )
    assert_mp4(art, 96, 48, audio=True)
    # The runner muxes the user's own track (plan.audio_source == "user"): a 220 Hz voice.
    muxed = read_audio(art.video)
    spectrum = np.abs(np.fft.rfft(muxed.samples[0]))
    assert np.fft.rfftfreq(muxed.num_samples, 1 / muxed.rate)[spectrum.argmax()] == pytest.approx(
        220, abs=2
    )


def test_long_avatar_windows_after_the_first_are_anchored_on_the_picture(
    tiny_ltx2, inputs, tmp_path, monkeypatch
):
    """A 12 s avatar is two windows: the second holds the first's last frames (the ones
    it re-renders, at latent frame 0) and is anchored on the user's picture (appended
    keyframe tokens)."""
    from reelforge.engines.ltx2.engine import LTX2Engine
    from reelforge.engines.ltx2.presets import ANCHOR_STRENGTH

    from .conftest import write_wav

    seen = []  # per window: (segment, [(index, strength, pixels)])
    conditions = LTX2Engine.conditions

    def spy(self, seg, *images):
        out = conditions(self, seg, *images)
        seen.append((seg, [(c.index, c.strength, np.asarray(c.frames)) for c in out]))
        return out

    clips = []
    render = LTX2Engine.render

    def keep(self, seg, progress=None, previous=None):
        clips.append(render(self, seg, progress or (lambda *_: None), previous))
        return clips[-1]

    def temporal_ratio() -> int:
        from reelforge.engines import registry

        eng = registry.get_engine("ltx2", tier="avatar", device="cpu", model_path=tiny_ltx2)
        return eng.pipeline(eng.base_pipeline).vae_temporal_compression_ratio

    monkeypatch.setattr(LTX2Engine, "conditions", spy)
    monkeypatch.setattr(LTX2Engine, "render", keep)
    voice = write_wav(tmp_path / "voice.wav", 12.0, 180.0)
    art = reelforge.render(
        {
            "workflow": "avatar",
            "tier": "avatar",
            "seed": 8,
            "image": str(inputs["start"]),
            "audio_file": str(voice),
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        steps=1,
        output=tmp_path / "long.mp4",
    )
    assert_mp4(art, 12 * 48, 48, audio=True)
    # Window 1 holds the picture at latent frame 0 in both stages; window 2 (below) holds
    # window 1's last frames and is anchored on the picture, in both stages too.
    assert [s.index for s, _ in seen] == [0, 0, 1, 1]
    for _, first in seen[:2]:
        [(index, strength, pixels)] = first
        assert (index, strength) == (0, 1.0)
        np.testing.assert_array_equal(pixels, np.asarray(fitted(inputs["start"])))
    for (i, s, p), (j, t, q) in zip(seen[2][1], seen[3][1], strict=True):
        assert (i, s) == (j, t)
        np.testing.assert_array_equal(p, q)
    seg, conds = seen[2]
    assert seg.index == 1 and seg.conditioning.continue_from_previous > 0
    assert seg.conditioning.anchor.image == inputs["start"]
    (start_index, start_strength, held), (index, strength, pixels) = conds
    assert (start_index, start_strength) == (0, 1.0)
    ratio = temporal_ratio()  # 4 in the tiny VAE, 8 in LTX-2's
    overlap = seg.conditioning.continue_from_previous
    count = (overlap - 1) // ratio * ratio + 1
    assert held.shape[0] == count > 1
    plan = json.loads(art.sidecar.read_text())["plan"]
    begin = plan["segments"][0]["keep_frames"] - overlap  # the frames window 2 re-renders
    np.testing.assert_array_equal(held, clips[0].frames[begin : begin + count])
    assert index > 0 and strength == ANCHOR_STRENGTH
    np.testing.assert_array_equal(pixels, np.asarray(fitted(inputs["start"])))


# --------------------------------------------------------------------------- audio-to-video


def avatar_segment(inputs, audio="speech", start=0.25):
    frames = 49  # 1 s at 48 fps
    return segment(
        workflow="avatar",
        fps=48,
        frames=frames,
        keep_frames=frames - 1,
        conditioning=Conditioning(
            start_image=inputs["start"],
            audio=inputs[audio],
            audio_span=Span(start=start, end=start + frames / 48),
        ),
    )


def test_audio_to_video_returns_the_input_audio_after_the_vae_round_trip(engine, inputs):
    """The held audio comes out as the user's audio through encode → decode → vocoder."""
    from reelforge.engines.ltx2.audio import latent_frames, log_mel

    seg = avatar_segment(inputs)
    clip = engine.render(seg)
    assert clip.meta["mode"] == "audio-to-video" and clip.num_frames == 49

    pipe = engine.pipeline("LTX2Pipeline")
    vae, rate = pipe.audio_vae, pipe.vocoder.config.output_sampling_rate
    user = read_audio(inputs["speech"], rate=16_000, channels=2, span=(0.25, 0.25 + 49 / 48))
    n = latent_frames(pipe, 49 / 48)
    with torch.no_grad():
        mel = log_mel(
            torch.from_numpy(user.samples), 16_000, vae.config.mel_bins, vae.config.mel_hop_length
        )
        z = vae.encode(mel[:, :, : 4 * n - 3]).latent_dist.mode()
        round_trip = pipe.vocoder(vae.decode(z).sample)[0].numpy()
    expected = Audio(np.clip(round_trip, -1, 1), rate).fit(clip.duration)
    assert clip.audio.rate == rate and abs(clip.audio.duration - clip.duration) < 1 / 48
    np.testing.assert_allclose(clip.audio.samples, expected.samples, atol=EXACT, rtol=0)


def test_audio_to_video_video_follows_the_audio(engine, inputs):
    """Same seed, image and prompt: a different voice gives different frames (and the
    same voice the same frames)."""
    one = engine.render(avatar_segment(inputs)).frames
    again = engine.render(avatar_segment(inputs)).frames
    other = engine.render(avatar_segment(inputs, "other_speech")).frames
    np.testing.assert_array_equal(one, again)
    assert np.abs(one.astype(int) - other.astype(int)).mean() > 0.5


def test_audio_to_video_starts_from_the_image(engine, inputs, float_frames):
    """The start image holds the first latent frame (as in image-to-video): without it the
    first frame is something else."""
    seg = avatar_segment(inputs)
    engine.render(seg)
    without = seg.conditioning.model_copy(update={"start_image": None})
    engine.render(seg.model_copy(update={"conditioning": without}))
    with_image, without_image = float_frames[-2][0], float_frames[-1][0]
    assert np.abs(with_image - without_image).mean() > 1e-3


# --------------------------------------------------------------------------- video-to-audio


def test_video_to_audio_generates_sound_for_a_silent_clip(engine, inputs):
    clip = engine.render(
        segment(audio=False, conditioning=Conditioning(start_image=inputs["start"]))
    )
    assert clip.audio is None
    sound = engine.add_audio(clip, "footsteps on gravel", seed=1, steps=2)
    rate = engine.pipeline("LTX2Pipeline").vocoder.config.output_sampling_rate
    assert sound.rate == rate and sound.num_samples == round(clip.duration * rate)
    assert np.abs(sound.samples).max() > 0
    again = engine.add_audio(clip, "footsteps on gravel", seed=1, steps=2)
    np.testing.assert_array_equal(sound.samples, again.samples)
    # The held video conditions the sound: other pictures, other sound (same seed, prompt).
    flipped = clip.__class__(np.ascontiguousarray(clip.frames[:, ::-1]), clip.fps)
    other = engine.add_audio(flipped, "footsteps on gravel", seed=1, steps=2)
    assert np.abs(other.samples - sound.samples).max() > 1e-4


def test_video_to_audio_takes_any_frame_count_and_size(engine):
    rng = np.random.default_rng(0)
    clip = Clip((rng.random((30, 40, 56, 3)) * 255).astype(np.uint8), 24)
    sound = engine.add_audio(clip, "wind", seed=2, steps=1)
    assert sound.duration == pytest.approx(30 / 24, abs=1 / sound.rate)


# --------------------------------------------------------------------------- 4K


def test_4k_adds_a_third_stage(engine, monkeypatch):
    """A 4K segment is the draft's two stages plus a second ×2 upsample and refine."""
    from reelforge.engines.ltx2 import schedule

    monkeypatch.setattr(schedule, "UPSCALE_MIN_SHORT_SIDE", 128)
    steps = []
    seg = segment(width=128, height=128)
    clip = engine.render(seg, progress=lambda s, n: steps.append((s, n)))
    assert clip.meta["stages"] == [(32, 32, 2), (64, 64, 3), (128, 128, 3)]
    assert clip.frames.shape == (FRAMES, 128, 128, 3) and clip.frames.std() > 0
    assert abs(clip.audio.duration - clip.duration) < 1 / FPS
    assert steps[-1] == (8, 8)  # 2 + 3 + 3, one bar
    # The final re-uses the draft: its first two stages are the 64×64 render's.
    draft = engine.render(segment(width=64, height=64))
    assert draft.meta["stages"] == clip.meta["stages"][:2]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("latent_upsampler", "latent upsampler"),
        ("ltx-2-19b-distilled-lora-384.safetensors", "distilled LoRA"),
    ],
)
def test_a_folder_without_the_second_stage_weights_is_a_clear_error(
    tiny_ltx2, tmp_path, missing, message
):
    import shutil

    from reelforge.engines.ltx2 import LTX2Engine

    folder = shutil.copytree(
        tiny_ltx2, tmp_path / "partial", ignore=shutil.ignore_patterns(missing)
    )
    engine = LTX2Engine(model_path=folder, tier="cinema")
    engine.load("cpu")
    with pytest.raises(EngineUnavailable, match=message) as err:
        engine.render(segment())
    assert "reelforge pull cinema" in str(err.value)


# --------------------------------------------------------------------------- presets, tiny builders


def test_tiers_on_one_folder_share_one_loaded_copy(tiny_ltx2, tmp_path):
    """cinema and avatar both run LTX-2: one set of weights in memory, not one per tier;
    freed when the last of them is unloaded."""
    import gc
    import shutil
    import weakref

    from reelforge.engines.ltx2.engine import LTX2Engine

    folder = shutil.copytree(tiny_ltx2, tmp_path / "LTX-2")  # not the session's engine's
    cinema, avatar = LTX2Engine(folder, tier="cinema"), LTX2Engine(folder, tier="avatar")
    cinema.load("cpu")
    avatar.load("cpu")
    assert cinema.stages(segment())[0].guidance != avatar.stages(segment())[0].guidance
    base = cinema.pipeline(cinema.base_pipeline)
    assert avatar.pipeline(avatar.base_pipeline) is base
    assert avatar.pipeline("LTX2ConditionPipeline").transformer is base.transformer
    gone = weakref.ref(base)
    del base
    cinema.unload()
    gc.collect()
    assert gone() is not None  # the avatar tier still uses it
    avatar.unload()
    gc.collect()
    assert gone() is None


def test_tiny_folder_is_laid_out_like_the_hub_repo(tiny_ltx2):
    import json

    index = json.loads((tiny_ltx2 / "model_index.json").read_text())
    assert index["_class_name"] == "LTX2Pipeline"
    for part in (
        "transformer",
        "vae",
        "audio_vae",
        "vocoder",
        "text_encoder",
        "tokenizer",
        "connectors",
        "scheduler",
        "latent_upsampler",
    ):
        assert (tiny_ltx2 / part).is_dir(), part


def test_full_config_is_the_real_architecture():
    from reelforge.testing.ltx2 import FULL, TINY

    assert (
        FULL["transformer"]["num_layers"] == 48 and FULL["transformer"]["num_attention_heads"] == 32
    )
    assert (
        FULL["connectors"]["text_proj_in_factor"] == FULL["text_encoder"]["num_hidden_layers"] + 1
    )
    assert (
        np.prod(FULL["vocoder"]["upsample_factors"])
        == FULL["audio_vae"]["mel_hop_length"] * 24_000 // 16_000
    )
    assert np.prod(TINY["vocoder"]["upsample_factors"]) == TINY["audio_vae"]["mel_hop_length"]
    assert set(FULL) == set(TINY)


# --------------------------------------------------------------------------- CLI


def test_cli_video_with_model_path(tiny_ltx2, tmp_path):
    out = tmp_path / "out.mp4"
    result = cli_video(tiny_ltx2, out, "32x32")
    assert result.returncode == 0, result.stdout + result.stderr
    info = probe_video(out)
    assert (info.width, info.height, info.frames, info.has_audio) == (32, 32, 72, True)


# --------------------------------------------------------------------------- budget: distilled


def test_budget_renders_every_stage_on_the_distilled_checkpoint(tiny_ltx2, tmp_path):
    """The budget tier loads Lightricks' one-file distilled checkpoint as the transformer
    (diffusers converts it) and runs the reference's distilled.py: 8 fixed sigmas at half
    size, then the 3-sigma refine, no guidance — 11 steps on one bar."""
    from safetensors.torch import load_file

    from reelforge.engines import registry
    from reelforge.engines.ltx2.engine import DISTILLED_CHECKPOINT

    events = []
    art = reelforge.render(
        {
            "workflow": "text2video",
            "prompt": "rain on a tin roof",
            "duration": 3,
            "tier": "budget",
            "seed": 6,
            "audio": True,
        },
        model_path=tiny_ltx2,
        size=(SIZE, SIZE),
        output=tmp_path / "budget.mp4",
        progress=events.append,
    )
    assert_mp4(art, 72, 24, audio=True)
    assert [(e.step, e.steps) for e in events if e.stage == "render"][-1] == (11, 11)
    engine = registry.get_engine(
        "ltx2_distilled", tier="budget", device="cpu", model_path=tiny_ltx2
    )
    loaded = engine.pipeline(engine.base_pipeline).transformer.state_dict()["proj_out.weight"]
    original = load_file(str(tiny_ltx2 / DISTILLED_CHECKPOINT))[
        "model.diffusion_model.proj_out.weight"
    ]
    dev = load_file(str(tiny_ltx2 / "transformer" / "diffusion_pytorch_model.safetensors"))[
        "proj_out.weight"
    ]
    assert torch.equal(loaded, original) and not torch.equal(loaded, dev)
    registry.unload_all()


def test_budget_without_its_checkpoint_names_the_pull(tiny_ltx2, tmp_path):
    import shutil

    from reelforge.engines.ltx2 import LTX2DistilledEngine
    from reelforge.engines.ltx2.engine import DISTILLED_CHECKPOINT

    folder = shutil.copytree(
        tiny_ltx2, tmp_path / "no-distilled", ignore=shutil.ignore_patterns(DISTILLED_CHECKPOINT)
    )
    with pytest.raises(EngineUnavailable, match="reelforge pull budget"):
        LTX2DistilledEngine(model_path=folder, tier="budget").load("cpu")
