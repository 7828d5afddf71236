"""``python -m reelforge`` is the ``reelforge`` command."""

from .cli import app

app()
