"""The run's closing summary says which parts were skipped and why (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SUITE = """
import pytest

def test_store_a():
    pytest.skip("no database here: start one")

def test_store_b():
    pytest.skip("no database here: start one")

@pytest.mark.skipif(True, reason="no browser here")
def test_page():
    pass

def test_runs():
    pass
"""


def test_a_run_ends_with_its_skipped_parts_grouped_by_reason(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_terminal_summary  # noqa: F401\n"
    )
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "test_parts.py").write_text(SUITE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 3 skipped" in run.stdout
    summary = run.stdout[run.stdout.index("skipped parts, and why") :].splitlines()
    assert summary[1].split() == ["2", "tests", "no", "database", "here:", "start", "one"]
    assert summary[2].split() == ["in", "store"]
    assert summary[3].split() == ["1", "test", "no", "browser", "here"]
