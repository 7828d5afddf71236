"""reelforge: a self-hosted video generation studio.

``reelforge.render(request, progress=...) -> Artifact`` renders one request; the
request is a model from :mod:`reelforge.request.models` or the same as a dict.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The function, bound over the name of its package (``reelforge.render``), which is loaded
# here, light (the runner and the engines load on the first call), so that importing a
# module of the package later never rebinds ``reelforge.render`` to the package.
from .render import render  # noqa: E402

__all__ = ["__version__", "render"]
