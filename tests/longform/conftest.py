"""Long-form end-to-end renders on the tiny random-weight pipelines.

The pipelines are saved once per session (like the Hub repos) and loaded through the
engines' own path; the inputs (minutes of speech, a reference video) are made here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("diffusers")

from reelforge.engines import registry  # noqa: E402


@pytest.fixture(scope="session")
def tiny_ltx2(tmp_path_factory) -> Path:
    """The tiny LTX-2 folder: ``save_pretrained`` layout plus ``latent_upsampler/``."""
    from reelforge.testing.ltx2 import save_tiny_ltx2

    return save_tiny_ltx2(tmp_path_factory.mktemp("models") / "LTX-2")


@pytest.fixture(scope="session")
def tiny_animate(tmp_path_factory) -> Path:
    """The tiny Wan 2.2 Animate folder, with its tiny pose/face ``process_checkpoint``."""
    from reelforge.testing.wan import save_tiny_wan

    return save_tiny_wan(tmp_path_factory.mktemp("models") / "animate", "animate")


@pytest.fixture(scope="module", autouse=True)
def unload_engines():
    """Each module's engines are dropped after it (they are kept loaded between renders)."""
    yield
    registry.unload_all()


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny tensors gain nothing from threads, and on a shared 2-core box OpenMP's spinning
    threads slow them down; restored for the modules after this one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
