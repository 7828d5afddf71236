""".ci/wheels.py (``make wheels``) without the network: the platform tags a host runs, the
markers of the target, the set beyond torch picked from a resolution, the bench pins, and
the stale wheels an earlier download left."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("ci_wheels", REPO / ".ci" / "wheels.py")
assert SPEC is not None and SPEC.loader is not None
wheels = importlib.util.module_from_spec(SPEC)
sys.modules["ci_wheels"] = wheels
SPEC.loader.exec_module(wheels)


def test_a_host_runs_every_older_manylinux_tag():
    tags = wheels.platform_tags("manylinux_2_28_x86_64")
    assert tags[0] == "manylinux_2_28_x86_64" and tags[-1] == "manylinux1_x86_64"
    assert "manylinux_2_17_x86_64" in tags and "manylinux2014_x86_64" in tags
    assert "manylinux_2_5_x86_64" in tags and "manylinux_2_4_x86_64" not in tags
    assert "manylinux_2_29_x86_64" not in tags
    assert wheels.platform_tags("manylinux_2_12_aarch64")[-2:] == [
        "manylinux2010_aarch64",
        "manylinux1_aarch64",
    ]
    assert wheels.platform_tags("musllinux_1_2_x86_64") == [
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
    ]
    assert wheels.platform_tags("win_amd64") == ["win_amd64"]


def test_markers_are_the_targets():
    linux = wheels.marker_environment("3.12", "manylinux_2_28_aarch64")
    assert (linux["sys_platform"], linux["platform_machine"]) == ("linux", "aarch64")
    assert linux["python_version"] == "3.12"
    mac = wheels.marker_environment("3.11", "macosx_11_0_arm64")
    assert (mac["sys_platform"], mac["platform_machine"]) == ("darwin", "arm64")
    win = wheels.marker_environment("3.12", "win_amd64")
    assert (win["sys_platform"], win["platform_machine"], win["os_name"]) == (
        "win32",
        "AMD64",
        "nt",
    )


def test_the_project_set_leaves_torch_to_the_host_and_builds_the_checkout():
    linux = wheels.project_requirements(wheels.marker_environment("3.12", "manylinux_2_28_x86_64"))
    names = {wheels.canonical(line.split(";")[0].split("<")[0].split(">")[0]) for line in linux}
    assert "torch" not in names
    assert {"setuptools", "wheel", "diffusers", "transformers", "av", "pydantic"} <= names
    assert any(line.startswith("espeakng-loader") for line in linux)  # its marker holds
    riscv = wheels.project_requirements(wheels.marker_environment("3.12", "linux_riscv64"))
    assert not any(line.startswith("espeakng-loader") for line in riscv)


def item(name: str, version: str, *requires: str) -> dict:
    return {"metadata": {"name": name, "version": version, "requires_dist": list(requires)}}


RESOLVED = [
    item("diffusers", "0.42.1", "huggingface-hub>=1.32", "filelock"),
    item("accelerate", "1.15.0", "torch>=2.0", "psutil", "rich; extra == 'cli'"),
    item("huggingface_hub", "2.4.0", "filelock", "colorama; sys_platform == 'win32'"),
    item(
        "torch", "2.13.0", "filelock", "sympy>=1.13", "nvidia-cublas-cu12; sys_platform == 'linux'"
    ),
    item("filelock", "4.3.1"),
    item("psutil", "7.2.2"),
    item("sympy", "1.14.0", "mpmath"),
    item("mpmath", "1.3.0"),
    item("nvidia-cublas-cu12", "12.8.4.1"),
    item("colorama", "0.4.6"),
    item("rich", "15.0.0"),
]


def test_what_only_torch_needs_stays_out():
    linux = wheels.marker_environment("3.12", "manylinux_2_28_x86_64")
    picked = wheels.beyond_torch(RESOLVED, ["diffusers>=0.42.1", "accelerate"], linux)
    assert picked == [
        "accelerate==1.15.0",
        "diffusers==0.42.1",
        "filelock==4.3.1",  # torch needs it, and so does huggingface_hub
        "huggingface_hub==2.4.0",
        "psutil==7.2.2",
    ]
    windows = wheels.marker_environment("3.12", "win_amd64")
    assert "colorama==0.4.6" in wheels.beyond_torch(RESOLVED, ["diffusers"], windows)
    assert "rich==15.0.0" in wheels.beyond_torch(RESOLVED, ["accelerate[cli]"], linux)


def test_bench_pins_and_stale_wheels(tmp_path):
    pins = wheels.bench_requirements()
    assert "diffusers==0.42.1" in pins and "torchao==0.18.0" in pins
    assert all("==" in pin for pin in pins) and not any("torch==" in pin for pin in pins)
    for name in (
        "diffusers-0.42.1-py3-none-any.whl",
        "diffusers-0.41.0-py3-none-any.whl",
        "typing_extensions-4.16.0-py3-none-any.whl",
    ):
        (tmp_path / name).write_bytes(b"")
    old = wheels.stale(tmp_path, ["diffusers==0.42.1", "typing-extensions==4.16.0"])
    assert [w.name for w in old] == ["diffusers-0.41.0-py3-none-any.whl"]
