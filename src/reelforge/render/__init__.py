"""The render path: a request becomes an MP4 with a poster and a JSON sidecar, no database.

:mod:`~reelforge.render.runner` runs it top to bottom (check → tier → plan → engine per
segment → MP4): :mod:`~reelforge.render.timeline` joins the segments' frames and sound,
:mod:`~reelforge.render.key_frames` hands a shot's last frame to the next,
:mod:`~reelforge.render.progress` reports and cancels. Beside it:
:mod:`~reelforge.render.extend` (a finished video continued),
:mod:`~reelforge.render.final` (a draft re-rendered at 4K) and
:mod:`~reelforge.render.dry_run` (what a render would do, without rendering). The service
(:mod:`reelforge.service`) runs these for stored tasks; nothing here imports the store.

:func:`render` is :func:`reelforge.render` (``reelforge/__init__.py`` binds this function
to that name, over this package's): it loads the runner, and so the engines, on the
first call only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..media.artifact import Artifact


def render(request: Any, **kwargs: Any) -> Artifact:
    """Render a request to an MP4 with poster and sidecar (see :func:`reelforge.render.runner.render`)."""
    from .runner import render as _render

    return _render(request, **kwargs)


__all__ = ["render"]
