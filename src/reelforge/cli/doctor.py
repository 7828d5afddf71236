"""``reelforge doctor``: this machine's GPU and RAM, and the memory plan of every GPU tier."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from .app import TABLE_WIDTH, app, fail


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON on stdout.")] = False,
    gpu_gb: Annotated[
        float | None,
        typer.Option(
            "--gpu-gb", help="Plan for a GPU with this much memory instead of this machine's."
        ),
    ] = None,
    host_gb: Annotated[
        float | None,
        typer.Option("--host-gb", help="Plan for this much host RAM instead of this machine's."),
    ] = None,
) -> None:
    """This machine's GPU and host RAM; per GPU tier, the GPU and host memory each placement
    needs for the tier's longest render at its default resolution, the one `auto` would
    pick (what the engine loads with), and what each resolution would be placed by."""
    from ..engines.memory import Machine, this_machine
    from ..engines.memory import doctor as report

    for name, value in (("--gpu-gb", gpu_gb), ("--host-gb", host_gb)):
        if value is not None and value <= 0:
            fail(InputError(name, value, "> 0", f"{name} must be more than 0 GB, got {value:g}"))
    here = this_machine()
    machine = Machine(
        here.gpu_name if gpu_gb is None else f"{gpu_gb:g} GB GPU (given)",
        here.gpu_gb if gpu_gb is None else gpu_gb,
        here.host_gb if host_gb is None else host_gb,
        here.note if gpu_gb is None else "",
    )
    data = report(machine)
    if as_json:
        typer.echo(json.dumps(data, indent=1, ensure_ascii=False))
        return
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    gpu = data["gpu"]
    out.print(f"GPU: {gpu['name']}, {gpu['memory_gb']:.1f} GB" if gpu else "GPU: none")
    out.print(f"host RAM: {data['host_gb']:.1f} GB")
    if data["note"]:
        out.print(data["note"], highlight=False)
    table = Table(title="memory per tier, longest render at its default resolution (GPU / host GB)")
    columns = ("tier", "render", "weights", "resident", "model", "group", "sequential", "auto")
    for col in (*columns, "by resolution"):
        table.add_column(col, no_wrap=col in ("tier", "render"))
    for t in data["tiers"]:
        w = t["window"]
        cells = [
            f"{m['gpu_gb']:.0f} / {m['host_gb']:.0f}" + (" ✓" if m["fits"] else "")
            for m in t["modes"]
        ]
        auto = t["auto"]["label"] if t["auto"] else ("does not fit" if gpu else "—")
        table.add_row(
            f"{t['tier']} ({t['engine']})",
            f"{w['width']}×{w['height']}×{w['frames']}",
            f"{sum(t['weights_gb'].values()):.0f}",
            *cells,
            auto,
            " · ".join(f"{r} {p['mode'] if p else '✗'}" for r, p in t["by_resolution"].items())
            or "—",
        )
    out.print(table)
    for t in data["tiers"]:
        if "refusal" in t:
            out.print(f"  · {t['refusal']}", highlight=False)
    out.print(f"counted by {data['counted']}", highlight=False)
