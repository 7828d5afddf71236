"""Wan as its authors run it: component dtypes, the default negative prompt, and the flow
shift per model and render size (the numbers of Wan-Video/Wan2.2 and Wan2.1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reelforge.engines import diffusers_engine
from reelforge.engines.wan import WanEngine
from reelforge.engines.wan import schedule as wan_schedule
from reelforge.engines.wan.animate import WanAnimateEngine
from reelforge.engines.wan.vace import WanVACEEngine

from .conftest import FPS, REFERENCE_SHIFTS, SIZE, engine, segment


class Called(Exception):
    """Raised by a recording stand-in for a pipeline call."""


@pytest.mark.parametrize(
    "model, width, height, shift",
    [
        # Wan-Video/Wan2.2 wan/configs/wan_ti2v_5B.py, wan_animate_14B.py: sample_shift 5.0.
        ("ti2v", 1280, 704, 5.0),
        ("ti2v", 704, 1280, 5.0),
        ("animate", 1280, 720, 5.0),
        # Wan-Video/Wan2.1 generate.py: "flf2v" and "vace" 16 at every size; "i2v" 3.0 at
        # 832*480 / 480*832, else 5.0; everything else 5.0.
        ("vace", 1280, 720, 16.0),
        ("vace", 832, 480, 16.0),
        ("flf2v", 1280, 720, 16.0),
        ("i2v", 1280, 720, 5.0),
        ("i2v", 720, 1280, 5.0),
        ("i2v", 832, 480, 3.0),
        ("i2v", 480, 832, 3.0),
        ("t2v", 1280, 720, 5.0),
        ("t2v", 832, 480, 5.0),
    ],
)
def test_flow_shift_is_the_references_per_model_and_size(model, width, height, shift):
    assert wan_schedule.flow_shift(model, width, height) == shift


def test_each_engines_default_model_is_its_weights():
    assert {engine: r.model for engine, r in wan_schedule.RECIPES.items()} == {
        "wan": "ti2v",
        "wan_vace": "vace",
        "wan_animate": "animate",
    }


@pytest.mark.parametrize("kind", ["t2v", "ti2v", "i2v", "flf2v"])
def test_the_wan_engine_knows_its_folders_model(kind, wan_folders):
    assert engine("wan", wan_folders[kind]).model_kind() == kind
    assert WanEngine().model_kind() == "ti2v"  # before loading: the default weights


@pytest.mark.parametrize(
    "name, kind, workflow, extra",
    [
        ("wan", "ti2v", "text2video", {}),
        ("wan", "i2v", "image2video", {"start_image": "start"}),
        ("wan", "flf2v", "image2video", {"start_image": "start", "end_image": "end"}),
        ("wan_vace", "vace", "omni", {}),
    ],
)
def test_the_engine_calls_with_the_reference_shift(
    name, kind, workflow, extra, wan_folders, media, monkeypatch
):
    """The scheduler the pipeline runs has the authors' shift for the model at this size
    (the tiny folders carry 7.0)."""
    eng = engine(name, wan_folders[kind])
    seen = []

    def record(self, **kwargs):
        # the engine passes embeddings: the negative's must be the given negative prompt's
        length = eng.prompt_length(self)
        with torch.no_grad():  # as the stock call encodes
            _, negative = self.encode_prompt(
                seg.prompt, "blurry", device="cpu", max_sequence_length=length
            )
        given = torch.equal(kwargs["negative_prompt_embeds"], negative)
        seen.append((self.scheduler.config.shift, "blurry" if given else "another negative"))
        raise Called

    import diffusers

    seg = segment(workflow, **{k: media[v] for k, v in extra.items()})
    pipe_classes = {
        "text2video": "WanPipeline",
        "image2video": "WanImageToVideoPipeline",
        "omni": "WanVACEPipeline",
    }
    monkeypatch.setattr(getattr(diffusers, pipe_classes[workflow]), "__call__", record)
    with pytest.raises(Called):
        eng.render(seg)
    assert seen == [(REFERENCE_SHIFTS[kind], "blurry")]
    assert eng.flow_shift(seg) == wan_schedule.flow_shift(kind, *SIZE)


def test_shifted_scheduler_gives_the_dry_runs_sigmas():
    """The Hub's UniPC scheduler rebuilt with a model's shift has the sigmas the dry run
    prints for that shift."""
    import diffusers

    from reelforge.engines.wan.base import shifted_scheduler

    hub = diffusers.UniPCMultistepScheduler(**wan_schedule.SCHEDULER_CONFIG)
    for model in wan_schedule.MODELS:
        shift = wan_schedule.flow_shift(model, 1280, 720)
        scheduler = shifted_scheduler(hub, shift)
        assert scheduler.config.flow_shift == shift and scheduler.config.use_flow_sigmas
        scheduler.set_timesteps(20)
        assert np.array_equal(
            scheduler.sigmas.numpy(), np.float32(wan_schedule.flow_sigmas(20, shift))
        )
    assert shifted_scheduler(hub, wan_schedule.HUB_FLOW_SHIFT) is hub
    dynamic = diffusers.FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True)
    assert shifted_scheduler(dynamic, 16.0) is dynamic  # no fixed shift to replace


# --------------------------------------------------------------------------- negative prompt


def test_wans_negative_prompt_is_the_authors():
    text = wan_schedule.SAMPLE_NEG_PROMPT
    # Wan-Video/Wan2.2 wan/configs/shared_config.py: 28 comma-separated terms, from "vivid
    # colours" to "walking backwards".
    terms = text.split("，")
    assert len(terms) == 28 and terms[0] == "色调艳丽" and terms[-1] == "倒着走"
    assert "JPEG压缩残留" in terms and "三条腿" in terms
    assert wan_schedule.MODELS["flf2v"].negative_prompt == "镜头切换，" + text
    assert all(m.negative_prompt == text for k, m in wan_schedule.MODELS.items() if k != "flf2v")


@pytest.mark.parametrize(
    "name, kind",
    [("wan", "ti2v"), ("wan", "flf2v"), ("wan_vace", "vace"), ("wan_animate", "animate")],
)
def test_a_request_without_negative_prompt_gets_wans(name, kind, wan_folders):
    from types import SimpleNamespace

    from reelforge.engines.base import no_progress

    eng = engine(name, wan_folders[kind])
    pipe = SimpleNamespace(tokenizer=SimpleNamespace(model_max_length=16))
    plain = segment("text2video").model_copy(update={"negative_prompt": ""})

    assert (
        eng.common_kwargs(pipe, plain, no_progress)["negative_prompt"]
        == wan_schedule.MODELS[kind].negative_prompt
    )
    given = segment("text2video")  # negative_prompt="blurry"
    assert eng.common_kwargs(pipe, given, no_progress)["negative_prompt"] == "blurry"


# --------------------------------------------------------------------------- dtypes


def _bf16_segment(kind: str, media):
    """A small segment of the workflow each folder renders, with an image where it takes one."""
    from reelforge.planning.plan import Span

    if kind == "animate":
        return segment(
            "motion",
            frames=9,
            character_image=media["character"],
            reference_video=media["reference_video"],
            video_span=Span(start=0.0, end=9 / FPS),
        )
    if kind == "vace":
        return segment("omni", frames=5, start_image=media["start"])
    if kind == "ti2v":
        return segment("text2video", frames=5)
    return segment("image2video", frames=5, start_image=media["start"])


@pytest.mark.parametrize(
    "cls, kind, image_encoder",
    [
        (WanEngine, "ti2v", False),
        (WanEngine, "i2v", True),
        (WanVACEEngine, "vace", False),
        (WanAnimateEngine, "animate", True),
    ],
)
def test_bf16_loads_keep_vae_and_image_encoder_float32(
    cls, kind, image_encoder, wan_folders, media, monkeypatch
):
    """Asked for bfloat16 (what a GPU gets), the transformer and text encoder load in bf16 and
    the VAE (and CLIP image encoder) in float32, as the diffusers Wan examples load them; the
    stock pipelines run with these mixed dtypes."""
    monkeypatch.setattr(diffusers_engine, "compute_dtype", lambda device: torch.bfloat16)
    eng = cls(model_path=wan_folders[kind])
    eng.load("cpu")
    try:
        pipe = eng._pipelines[eng.base_pipeline]

        def dtypes(module):
            return {p.dtype for p in module.parameters()}

        def mostly(module):
            """The dtype of most of the module's weights (diffusers keeps a few small
            modules, such as the time embedding, in float32: ``_keep_in_fp32_modules``)."""
            counts: dict[torch.dtype, int] = {}
            for p in module.parameters():
                counts[p.dtype] = counts.get(p.dtype, 0) + p.numel()
            return max(counts, key=counts.get)

        assert mostly(pipe.transformer) == mostly(pipe.text_encoder) == torch.bfloat16
        assert dtypes(pipe.vae) == {torch.float32}
        if image_encoder:
            assert dtypes(pipe.image_encoder) == {torch.float32}
        seg = _bf16_segment(kind, media)
        clip = eng.render(seg)
        assert clip.num_frames == seg.frames and clip.frames.std() > 0
    finally:
        eng.unload()
