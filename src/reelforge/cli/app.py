"""The typer app, the console, and how every command reports a failure."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from ..errors import EngineUnavailable, InputError

app = typer.Typer(
    help="reelforge: Kling-style video generation on your own machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
TABLE_WIDTH = 150
"""Tables are printed at least this wide, also into pipes, so no name is cut."""


def fail(exc: Exception) -> NoReturn:
    """Print ``exc`` for a person and exit: 2 bad input, 3 engine unavailable, 1 otherwise."""
    if isinstance(exc, InputError):
        console.print(f"[red]error[/]: {exc}")
        raise typer.Exit(2)
    if isinstance(exc, EngineUnavailable):
        console.print(f"[red]engine not available[/]: {exc}")
        raise typer.Exit(3)
    console.print(f"[red]error[/]: {exc}")
    raise typer.Exit(1)
