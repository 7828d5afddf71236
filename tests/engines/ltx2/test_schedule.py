"""Every LTX-2 schedule a real request can get, against the reference's own formulas.

For each LTX-2 tier × resolution × duration (the shortest, 5 s, the longest, and the
windows of a 5-minute avatar), the planner's segments go through ``schedule.stages``:
every sigma finite and strictly decreasing, stage 1 at half size (a quarter at 4K), and
each list equal (1e-6) to what Lightricks' code gives for that stage. No model needed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from reelforge.engines.ltx2 import schedule
from reelforge.engines.ltx2.schedule import LTX2_NUM_LAYERS as LTX2_LAYERS
from reelforge.lineup.tiers import TIERS
from reelforge.planning.preflight import preflight
from reelforge.request import limits
from tests.wav import write_pcm16

TOLERANCE = 1e-6


def reference_stage_1(steps: int) -> list[float]:
    """``LTX2Scheduler().execute(steps=steps)`` as ltx-core writes it (Lightricks/LTX-2
    @400fd31 ``packages/ltx-core/src/ltx_core/components/schedulers.py:10-57``): no latent
    is passed, so the token count is its 4096 default; max/base shift 2.05/0.95 over
    1024..4096 tokens, stretched to a terminal 0.1, in torch float32."""
    tokens, base_anchor, max_anchor = 4096, 1024, 4096
    max_shift, base_shift, terminal = 2.05, 0.95, 0.1
    sigmas = torch.linspace(1.0, 0.0, steps + 1)
    slope = (max_shift - base_shift) / (max_anchor - base_anchor)
    shift = tokens * slope + (base_shift - slope * base_anchor)
    sigmas = torch.where(sigmas != 0, math.exp(shift) / (math.exp(shift) + (1 / sigmas - 1)), 0)
    nonzero = sigmas != 0
    one_minus = 1.0 - sigmas[nonzero]
    scale = one_minus[-1] / (1.0 - terminal)
    sigmas[nonzero] = 1.0 - one_minus / scale
    return sigmas.to(torch.float32).tolist()


def reference_distilled() -> list[float]:
    """ltx-pipelines ``utils/constants.py:17-23`` ``DISTILLED_SIGMA_VALUES``, as diffusers
    ships it (``pipelines/ltx2/utils.py``; the scheduler appends the final 0)."""
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

    return [*DISTILLED_SIGMA_VALUES, 0.0]


def reference_refine() -> list[float]:
    """``STAGE_2_DISTILLED_SIGMA_VALUES`` (same sources)."""
    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    return [*STAGE_2_DISTILLED_SIGMA_VALUES, 0.0]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A picture and a 5-minute voice track for the avatar rows."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("media")
    Image.fromarray(np.full((400, 400, 3), 128, np.uint8)).save(folder / "face.png")
    rate = 8000
    t = np.arange(int(limits.AUDIO_MAX_SECONDS * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) * 32767
    write_pcm16(folder / "voice.wav", tone.astype("<i2")[:, None], rate)
    return folder


def requests(media):
    """(label, request) for every LTX-2 tier × resolution × duration the table covers."""
    out = []
    for name in ("cinema", "budget"):
        tier = TIERS[name]
        for resolution in tier.resolutions:
            for duration in sorted({limits.DURATION_MIN_S, 5.0, tier.max_duration}):
                out.append(
                    (
                        f"{name}-{resolution}-{duration:g}s",
                        {
                            "workflow": "text2video",
                            "tier": name,
                            "prompt": "a lighthouse in a storm",
                            "resolution": resolution,
                            "duration": duration,
                            "seed": 1,
                        },
                    )
                )
    for resolution in TIERS["avatar"].resolutions:
        out.append(
            (
                f"avatar-{resolution}-5min",
                {
                    "workflow": "avatar",
                    "tier": "avatar",
                    "prompt": "a woman speaks",
                    "resolution": resolution,
                    "image": str(media / "face.png"),
                    "audio_file": str(media / "voice.wav"),
                    "seed": 1,
                },
            )
        )
    return out


def test_every_ltx2_schedule_is_the_references(media):
    checked_stages = 0
    for label, request in requests(media):
        plan = preflight(request).plan
        tier = plan.tier
        assert plan.engine.startswith("ltx2"), label
        for segment in plan.segments:
            stages = schedule.stages(
                tier,
                segment.width,
                segment.height,
                segment.frames,
                steps=segment.steps,
                num_layers=LTX2_LAYERS,
                audio_held=segment.conditioning.audio is not None,
            )
            where = f"{label} segment {segment.index}"
            four_k = min(segment.width, segment.height) >= schedule.UPSCALE_MIN_SHORT_SIDE
            assert len(stages) == (3 if four_k else 2), where
            first = stages[0]
            shrink = 4 if four_k else 2
            assert (first.width * shrink, first.height * shrink) == (segment.width, segment.height)
            assert first.width % 32 == 0 and first.height % 32 == 0, where
            assert (stages[-1].width, stages[-1].height) == (segment.width, segment.height)
            for stage in stages:
                sigmas = np.array(stage.sigmas)
                assert np.isfinite(sigmas).all(), where
                assert (np.diff(sigmas) < 0).all(), f"{where} {stage.name}: not decreasing"
                assert stage.frames == segment.frames
                if stage.start == "upsampled":
                    expected = reference_refine()
                elif stage.weights == schedule.DISTILLED:
                    expected = reference_distilled()
                else:
                    expected = reference_stage_1(stage.steps)
                np.testing.assert_allclose(stage.sigmas, expected, atol=TOLERANCE, rtol=0)
                checked_stages += 1
            if tier == "budget":
                assert {s.weights for s in stages} == {schedule.DISTILLED}
                assert not any(
                    s.guidance.cfg or s.guidance.stg or s.guidance.modality for s in stages
                )
            else:
                assert first.weights == schedule.DEV and first.steps == 40
                assert first.guidance.cfg and first.guidance.stg and first.guidance.modality
                assert all(s.weights == schedule.DEV_LORA for s in stages[1:])
                assert not any(s.guidance.cfg or s.guidance.stg for s in stages[1:])
            if tier == "avatar":
                g = first.guidance
                assert (g.audio_cfg, g.audio_stg, g.audio_modality) == (1.0, 0.0, 1.0)
    assert checked_stages > 30


def test_the_schedules_run_as_planned_through_the_shipped_scheduler_config():
    """The dev checkpoint's scheduler config (dynamic shifting, terminal 0.1) would shift
    our lists again — and turn them to NaN at 1080p × 10 s; the engine's pass-through copy
    of it runs them exactly."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    from diffusers.pipelines.ltx2.pipeline_ltx2 import calculate_shift

    from reelforge.testing.ltx2 import DEV_SCHEDULER

    shipped = FlowMatchEulerDiscreteScheduler(**DEV_SCHEDULER)
    tokens = (1920 // 32) * (1088 // 32) * ((241 - 1) // 8 + 1)
    mu = calculate_shift(tokens, 1024, 4096, 0.95, 2.05)
    shipped.set_timesteps(sigmas=np.linspace(1.0, 1 / 40, 40), mu=mu)
    assert torch.isnan(shipped.sigmas[:-1]).all()  # what a stock call does at 1080p × 10 s

    runner = schedule.passthrough_scheduler(shipped)
    for stage in schedule.stages("cinema", 1920, 1088, 241):
        runner.set_timesteps(sigmas=list(stage.sigmas[:-1]))
        schedule.check_scheduled(runner, stage)


def test_a_scheduler_that_reshifts_is_caught():
    from diffusers import FlowMatchEulerDiscreteScheduler

    stage = schedule.stages("cinema", 1280, 768, 121)[1]
    reshifting = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False, shift=3.0)
    reshifting.set_timesteps(sigmas=list(stage.sigmas[:-1]))
    with pytest.raises(RuntimeError, match="stage 2 ran sigmas"):
        schedule.check_scheduled(reshifting, stage)


@pytest.mark.parametrize("steps", [2, 8, 30, 40, 60])
def test_dev_sigmas_are_the_reference_scheduler(steps):
    np.testing.assert_allclose(
        schedule.dev_sigmas(steps), reference_stage_1(steps), atol=TOLERANCE, rtol=0
    )


def test_sizes_off_the_two_stage_grid_are_refused_by_name():
    with pytest.raises(ValueError, match=r"1280×736 in 2 stages.*multiples of 64"):
        schedule.stages("cinema", 1280, 736, 121)
    with pytest.raises(ValueError, match=r"3840×2240 in 3 stages.*multiples of 128"):
        schedule.stages("cinema", 3840, 2240, 121)


def test_the_dry_run_form_of_a_stage():
    stage = schedule.stages("budget", 1920, 1088, 121)[0]
    data = stage.describe()
    assert data["stage"] == 1 and data["weights"] == "distilled" and data["steps"] == 8
    assert (data["width"], data["height"], data["frames"]) == (960, 544, 121)
    assert data["sigmas"] == list(schedule.DISTILLED_SIGMAS)
    assert data["guidance"]["video_cfg"] == 1.0 and data["guidance"]["stg_blocks"] == []
