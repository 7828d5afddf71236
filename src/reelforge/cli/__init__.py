"""The ``reelforge`` command line: render, inspect the lineup, estimate costs, pull
weights, and run the service (``serve``, ``keys``, ``credits``)."""

from . import doctor, render, service, weights  # noqa: F401  (each registers its commands)
from .app import app

__all__ = ["app"]
