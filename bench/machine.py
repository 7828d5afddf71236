"""One line describing the machine a benchmark ran on (for BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
from datetime import date


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    return f"{date.today().isoformat()}, {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"
