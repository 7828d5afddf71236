"""Suite-wide hooks: at the end of a run, which parts were skipped and why.

``make test`` starts a throwaway PostgreSQL and installs Chromium where it can (root with
apt-get); where it cannot, the tests that need them skip. This summary puts those skips
together by reason, with the folders they are in, so a run that "passed" on a machine
without them says plainly what it did not check and what would make it run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

SKIP_PREFIX = "Skipped: "


def skip_reason(report: pytest.TestReport) -> str:
    """A skipped test's reason, as given to ``pytest.skip`` or ``skipif``."""
    longrepr: Any = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix(SKIP_PREFIX)


def folder_of(nodeid: str) -> str:
    """``tests/service/test_x.py::test_y[p]`` → ``tests/service``."""
    path = nodeid.split("::", 1)[0]
    return path.rsplit("/", 1)[0] if "/" in path else path


def skipped_parts(reports: list[pytest.TestReport]) -> list[tuple[str, int, list[str]]]:
    """(reason, tests, folders) for every distinct skip reason, most tests first."""
    counts: dict[str, int] = defaultdict(int)
    folders: dict[str, set[str]] = defaultdict(set)
    for report in reports:
        if not report.skipped or hasattr(report, "wasxfail"):
            continue
        reason = skip_reason(report)
        counts[reason] += 1
        folders[reason].add(folder_of(report.nodeid))
    return sorted(
        ((reason, n, sorted(folders[reason])) for reason, n in counts.items()),
        key=lambda part: (-part[1], part[0]),
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    parts = skipped_parts(terminalreporter.stats.get("skipped", []))
    if not parts:
        return
    terminalreporter.section("skipped parts, and why")
    for reason, n, where in parts:
        terminalreporter.write_line(f"{n:4d} test{'s' if n != 1 else ' '}  {reason}")
        terminalreporter.write_line(f"{'':12}in {', '.join(where)}")
