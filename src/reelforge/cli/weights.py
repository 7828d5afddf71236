"""``reelforge pull``: model weights from the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from ..errors import EngineUnavailable, InputError
from .app import TABLE_WIDTH, app, console, fail


@app.command()
def pull(
    tier: Annotated[
        str | None,
        typer.Argument(help="Tier (cinema, turbo...), Kling model name (kling-v3...) or engine."),
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option("--revision", help="Branch, tag or commit instead of the lineup table's."),
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option(
            "--models-dir",
            help="Download into this $REELFORGE_MODELS-style folder (<dir>/<owner>/<repo>) instead of the Hugging Face cache.",
        ),
    ] = None,
    list_: Annotated[
        bool,
        typer.Option(
            "--list",
            help="Show each tier's repositories and whether they are here; download nothing.",
        ),
    ] = False,
) -> None:
    """Download a tier's model weights from the Hugging Face Hub (resumable)."""
    import os

    from rich.progress import DownloadColumn, TransferSpeedColumn

    from ..engines import weights

    if list_:
        _list_weights(tier, models_dir)
        return
    if tier is None:
        fail(InputError("tier", "", "a tier", "name a tier to pull (or --list to see them)"))
    try:
        _, _, refs = weights.weights_for(tier)
    except (InputError, EngineUnavailable) as exc:
        fail(exc)
    for ref in refs:
        console.print(
            f"pulling {ref.repo_id} ({ref.role}, {revision or ref.revision}): {', '.join(ref.allow_patterns) or 'everything'}"
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            pulled = weights.pull(
                tier, weights.rich_progress_factory(bar), revision=revision, models_dir=models_dir
            )
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: run the same command again to resume")
        raise typer.Exit(130) from None
    except Exception as exc:  # network, authentication, offline mode: huggingface_hub's errors
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        console.print(f"[red]download failed[/]: {type(exc).__name__}: {exc}")
        console.print(
            "HF_HUB_OFFLINE is set: unset it to download"
            if offline
            else "run the same command again to resume"
        )
        raise typer.Exit(1) from None
    failed = False
    for item in pulled:
        if item.complete:
            console.print(f"[green]ok[/] {item.ref.repo_id} ({item.ref.role}) → {item.folder}")
        else:
            failed = True
            console.print(
                f"[red]incomplete[/] {item.ref.repo_id} ({item.ref.role}): {'; '.join(item.problems)}"
            )
    if failed:
        raise typer.Exit(1)


def _list_weights(name: str | None, models_dir: Path | None) -> None:
    from ..engines import weights
    from ..lineup import TIERS

    names = [name] if name else [t for t in TIERS if TIERS[t].traits.weights]
    table = Table(
        title="model weights (HF cache" + (f" and {models_dir}" if models_dir else "") + ")"
    )
    for col in ("tier", "engine", "repository", "role", "revision", "state", "where"):
        table.add_column(col, no_wrap=col in ("tier", "engine", "state"))
    styles = {"present": "green", "partial": "yellow", "missing": "red"}
    for tier_name in names:
        try:
            engine, tier, refs = weights.weights_for(tier_name)
        except (InputError, EngineUnavailable) as exc:
            fail(exc)
        for ref in refs:
            status = weights.weights_status(ref, models_dir)
            where = str(status.where) if status.where else "—"
            if status.detail:
                where += f" ({status.detail})"
            table.add_row(
                tier or "—",
                weights.engine_of(ref) or engine,
                ref.repo_id,
                ref.role,
                ref.revision,
                f"[{styles[status.state]}]{status.state}[/]",
                where,
            )
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    out.print(table)
