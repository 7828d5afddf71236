"""Where things live (issue 13): test scaffolding is in ``reelforge.testing``, and the
product never imports it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "reelforge"
TESTING = SRC / "testing"

TINY_DEFINITIONS = re.compile(
    r"""^\s*_?TINY\w*\s*[:=]            # TINY, TINY25, _TINY_VAE = ...
    | ^\s*_?FULL\d*\s*[:=]             # FULL, FULL25 = ... (not FULL_GUIDANCE)
    | ^\s*def\s+\w*tiny\w*\s*\(        # save_tiny_wan, build_tiny_..., tiny_config
    | ^\s*def\s+random_\w*\s*\(        # random_distilled_lora
    | ^\s*def\s+build_\w+_(pipeline|components)\s*\(  # random-weight pipeline builders
    """,
    re.MULTILINE | re.VERBOSE,
)
"""What defining a tiny (or full-size random) configuration or builder looks like."""


def run_python(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_product_imports_no_testing_module():
    pytest.importorskip("fastapi")
    run_python(
        "import reelforge.engines, reelforge.api, sys; "
        "assert not [m for m in sys.modules if m.startswith('reelforge.testing')]"
    )


def test_the_engines_and_the_cli_import_no_testing_module():
    """Every engine class of the registry, the weights and the CLI (``reelforge pull``)."""
    pytest.importorskip("diffusers")
    run_python(
        "import importlib, sys\n"
        "import reelforge.cli, reelforge.engines.weights\n"
        "from reelforge.engines.registry import IMPLEMENTATIONS\n"
        "for target in IMPLEMENTATIONS.values():\n"
        "    module, _, name = target.partition(':')\n"
        "    getattr(importlib.import_module(module), name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('reelforge.testing'))\n"
        "assert not loaded, loaded\n"
    )


def definitions(path: Path) -> list[str]:
    return [m.group(0).strip() for m in TINY_DEFINITIONS.finditer(path.read_text("utf-8"))]


def test_tiny_configs_and_builders_live_only_in_testing():
    outside = {
        str(path.relative_to(SRC)): found
        for path in sorted(SRC.rglob("*.py"))
        if TESTING not in path.parents and (found := definitions(path))
    }
    assert outside == {}
    # the pattern does find them where they belong
    inside = {path.name for path in TESTING.glob("*.py") if definitions(path)}
    assert {"ltx2.py", "ltx25.py", "wan.py", "preprocess.py"} <= inside


def test_the_readme_layout_names_every_top_level_folder_once():
    readme = (SRC.parents[1] / "README.md").read_text("utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^- `(\w+)/`", layout, flags=re.MULTILINE)
    folders = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
    assert sorted(named) == folders
    for question in ("becomes a plan", "becomes frames", "MP4", "queued, claimed"):
        assert question in layout, question
