from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.engines import registry
from tests.wav import write_pcm16


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    registry.unload_all()
    monkeypatch.setattr(registry, "IMPLEMENTATIONS", dict(registry.IMPLEMENTATIONS))
    yield registry
    registry.unload_all()


def write_wav(path: Path, seconds: float, rate: int = 48_000, freq: float = 330.0) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * freq * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t))
    return write_pcm16(path, (np.stack([tone, tone], axis=1) * 32767).astype("<i2"), rate)


def write_image(path: Path, size=(480, 480), colour=(200, 120, 60)) -> Path:
    img = Image.new("RGB", size, colour)
    img.paste((30, 60, 200), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    img.save(path)
    return path
