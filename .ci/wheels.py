#!/usr/bin/env python3
"""Download the wheels an offline GPU host needs (``make wheels``; README, "Offline GPU host").

Two sets:

- ``engines`` (default): everything ``pip install '.[engines]'`` installs beyond torch — the
  project's dependencies, the ``engines`` extra and all they pull in, plus the build backend
  (``[build-system] requires``) so the checkout itself installs offline — for a host that
  has Python and its own CUDA build of torch (torch and what only torch needs are left
  out: that install brings them). pip resolves the set for the target (``pip install
  --dry-run --report`` with ``--python-version`` / ``--platform``: metadata only, no
  torch download), then ``pip download --no-deps --only-binary=:all:`` fetches exactly
  those versions.
- ``bench``: ``bench/gpu_wheels.txt``, the pinned few the lent H200's image lacks for
  ``bench/gpu.py`` (``--no-deps``: that image has the rest); it must stay under
  ``BENCH_LIMIT_MIB``, what one device call carries with the checkout.

``--platform`` is the host's newest tag (``manylinux_2_28_x86_64``: glibc 2.28 or newer);
pip matches tags exactly, so the older ones that host also runs are passed too
(``manylinux_2_27`` … ``manylinux_2_5``, ``manylinux2014``, …). Environment markers are
evaluated for the target's Python, OS and machine.

    python .ci/wheels.py --python-version 3.12 --platform manylinux_2_28_x86_64 --dest wheels
    python .ci/wheels.py --set bench --dest wheels-bench
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
BENCH_WHEELS = REPO / "bench" / "gpu_wheels.txt"
EXTRA = "engines"
LEFT_OUT = frozenset({"torch"})
"""What the host installs itself (its CUDA build), with everything only it needs."""
BENCH_LIMIT_MIB = 61.0
"""The bench set's ceiling: a device call carries 64 MiB with the checkout (≈ 3 MiB)."""
MANYLINUX_ALIASES = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
"""PEP 600's names for the legacy manylinux tags."""
OLDEST_GLIBC_MINOR = 5
TAG = re.compile(r"^(manylinux|musllinux)_(\d+)_(\d+)_(\w+)$")
WINDOWS_MACHINES = {"win_amd64": "AMD64", "win_arm64": "ARM64", "win32": "x86"}
"""``platform_machine`` of the Windows platform tags."""


def platform_tags(platform: str) -> list[str]:
    """``platform`` and the older tags a host of it also runs, newest first."""
    found = TAG.match(platform)
    if found is None:
        return [platform]
    family, major, minor, arch = found[1], int(found[2]), int(found[3]), found[4]
    tags = [f"{family}_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    if family == "manylinux":
        tags = tags[: minor - OLDEST_GLIBC_MINOR + 1]
        aliases = sorted(MANYLINUX_ALIASES.items(), key=lambda kv: kv[1], reverse=True)
        tags += [f"{alias}_{arch}" for alias, version in aliases if version <= (major, minor)]
    return tags


def marker_environment(python: str, platform: str) -> dict[str, str]:
    """PEP 508 marker values of the target (Python ``python``, platform tag ``platform``)."""
    found = TAG.match(platform)
    if found is not None or platform.startswith("linux_"):
        machine = found[4] if found is not None else platform.removeprefix("linux_")
        system, sys_platform, os_name = "Linux", "linux", "posix"
    elif platform.startswith("macosx_"):
        machine = platform.split("_", 3)[3]
        system, sys_platform, os_name = "Darwin", "darwin", "posix"
    else:
        machine = WINDOWS_MACHINES.get(platform, platform)
        system, sys_platform, os_name = "Windows", "win32", "nt"
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": sys_platform,
        "platform_system": system,
        "platform_machine": machine,
        "os_name": os_name,
    }


def _requirements():
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip's own copy
        from pip._vendor.packaging.requirements import Requirement
    return Requirement


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(env: dict[str, str]) -> list[str]:
    """The project's dependencies, its ``engines`` extra and build backend, for the target,
    without torch."""
    requirement = _requirements()
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    lines = [
        *data["build-system"]["requires"],
        *data["project"]["dependencies"],
        *data["project"]["optional-dependencies"][EXTRA],
    ]
    out = []
    for line in lines:
        req = requirement(line)
        if canonical(req.name) in LEFT_OUT:
            continue
        if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
            out.append(str(req))
    return out


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def target_options(python: str, platforms: list[str]) -> list[str]:
    options = ["--only-binary=:all:", "--python-version", python, "--implementation", "cp"]
    for tag in platforms:
        options += ["--platform", tag]
    return options


def resolve(requirements: list[str], options: list[str]) -> list[dict]:
    """pip's resolution of ``requirements`` for the target: its report's ``install`` list."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        pip(
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "--target",
            str(Path(tmp) / "target"),
            *options,
            *requirements,
        )
        return json.loads(report.read_text(encoding="utf-8"))["install"]


def beyond_torch(items: list[dict], roots: list[str], env: dict[str, str]) -> list[str]:
    """``name==version`` of every resolved package reachable from ``roots`` without going
    through torch (what only torch needs, its CUDA libraries, triton, sympy…, comes with
    the host's own torch)."""
    requirement = _requirements()
    found = {canonical(i["metadata"]["name"]): i["metadata"] for i in items}
    keep: dict[str, str] = {}
    queue = [requirement(r) for r in roots]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while queue:
        req = queue.pop()
        name, extras = canonical(req.name), tuple(sorted(req.extras))
        if name in LEFT_OUT or (name, extras) in seen or name not in found:
            continue
        seen.add((name, extras))
        meta = found[name]
        keep[name] = f"{meta['name']}=={meta['version']}"
        for line in meta.get("requires_dist") or []:
            dep = requirement(line)
            if dep.marker is None or any(
                dep.marker.evaluate({**env, "extra": extra}) for extra in ("", *extras)
            ):
                queue.append(dep)
    return sorted(keep.values(), key=str.lower)


def stale(dest: Path, pins: list[str]) -> list[Path]:
    """Wheels in ``dest`` of no pinned version (an earlier download's): a second version of
    a package stops an offline install."""
    wanted = {tuple(canonical(part) for part in pin.split("==")) for pin in pins}
    out = []
    for wheel in dest.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        if (canonical(name), canonical(version)) not in wanted:
            out.append(wheel)
    return out


def bench_requirements() -> list[str]:
    lines = BENCH_WHEELS.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("engines", "bench"), default="engines")
    parser.add_argument("--python-version", default="3.12", help="the host's Python (3.12)")
    parser.add_argument(
        "--platform",
        default="manylinux_2_28_x86_64",
        help="the host's newest platform tag (manylinux_2_28_x86_64)",
    )
    parser.add_argument("--dest", type=Path, default=REPO / "wheels", help="where they go")
    args = parser.parse_args(argv)

    tags = platform_tags(args.platform)
    options = target_options(args.python_version, tags)
    env = marker_environment(args.python_version, args.platform)
    if args.set == "bench":
        pins = bench_requirements()
    else:
        roots = project_requirements(env)
        pins = beyond_torch(resolve(roots, options), roots, env)
    args.dest.mkdir(parents=True, exist_ok=True)
    pip("download", "--quiet", "--no-deps", "--dest", str(args.dest), *options, *pins)
    for wheel in stale(args.dest, pins):
        print(f"removed {wheel.name}: not in this set", file=sys.stderr)
        wheel.unlink()

    wheels = sorted(args.dest.glob("*.whl"))
    mib = sum(w.stat().st_size for w in wheels) / 2**20
    print(
        f"{len(wheels)} wheels, {mib:.1f} MiB in {args.dest} "
        f"({args.set} set, Python {args.python_version}, {args.platform})"
    )
    if args.set == "bench" and mib > BENCH_LIMIT_MIB:
        print(
            f"the bench set is {mib:.1f} MiB, over the {BENCH_LIMIT_MIB:g} MiB a device call "
            "carries beside the checkout",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
