"""reelforge: a self-hosted video generation studio.

``reelforge.render(request, progress=...) -> Artifact`` renders one request; the
request is a model from :mod:`reelforge.spec.requests` or the same as a dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .media.artifact import Artifact


def render(request: Any, **kwargs: Any) -> Artifact:
    """Render a request to an MP4 with poster and sidecar (see :func:`reelforge.jobs.runner.render`)."""
    from .jobs.runner import render as _render

    return _render(request, **kwargs)


__all__ = ["__version__", "render"]
