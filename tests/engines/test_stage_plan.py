"""The dry run's schedules are the engines' own: Wan's sigma list is diffusers' scheduler's,
the Wan engines call with the steps and guidance the dry run prints, and the LTX-2 layer
count is the full model's."""

import numpy as np
import pytest

pytest.importorskip("diffusers")

from reelforge.engines.base import no_progress  # noqa: E402
from reelforge.engines.ltx2.schedule import LTX2_NUM_LAYERS  # noqa: E402
from reelforge.engines.wan import schedule as wan_schedule  # noqa: E402
from tests.engines.wan.conftest import segment  # noqa: E402


@pytest.mark.parametrize("kind", ["ti2v", "vace", "animate"])
@pytest.mark.parametrize("steps", [1, 2, 20, 50])
@pytest.mark.parametrize("size", [(1280, 720), (832, 480)])
def test_flow_sigmas_are_the_wan_schedulers(kind, steps, size):
    """The sigmas the dry run prints are those of the Hub scheduler the engines rebuild
    with the model's shift at that size."""
    import diffusers

    from reelforge.engines.wan.base import shifted_scheduler
    from reelforge.testing.wan import FULL

    config = FULL[kind]
    hub = getattr(diffusers, config.scheduler_class)(**config.scheduler)
    shift = wan_schedule.flow_shift(kind, *size)
    scheduler = shifted_scheduler(hub, shift)
    scheduler.set_timesteps(steps)
    want = scheduler.sigmas.numpy()
    got = np.asarray(wan_schedule.flow_sigmas(steps, shift), np.float32)
    assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.parametrize("name", ["WanEngine", "WanVACEEngine", "WanAnimateEngine"])
@pytest.mark.parametrize("steps", [None, 7])
def test_wan_engines_call_with_the_dry_runs_numbers(name, steps):
    from types import SimpleNamespace

    from reelforge.engines import wan

    cls = getattr(wan, name)
    seg = segment("text2video").model_copy(update={"steps": steps})
    pipe = SimpleNamespace(tokenizer=SimpleNamespace(model_max_length=512))
    call = cls().common_kwargs(pipe, seg, no_progress)
    planned = wan_schedule.stage(cls.name, seg.width, seg.height, seg.frames, seg.steps)
    assert (
        call["num_inference_steps"]
        == planned.steps
        == (steps or wan_schedule.RECIPES[cls.name].steps)
    )
    assert call["guidance_scale"] == planned.guidance_scale
    assert (call["width"], call["height"]) == (planned.width, planned.height)
    assert cls().flow_shift(seg) == planned.shift


def test_ltx2_layers_are_the_full_models():
    from reelforge.testing.ltx2 import FULL

    assert FULL["transformer"]["num_layers"] == LTX2_NUM_LAYERS
