"""The API's routes, one router each: :mod:`~reelforge.api.routes.tasks` (Kling's task API
under ``/v1/videos/...``), :mod:`~reelforge.api.routes.files` (signed result files),
:mod:`~reelforge.api.routes.lineup` (``/v1/tiers``), :mod:`~reelforge.api.routes.health`
(``/healthz``) and :mod:`~reelforge.api.routes.studio` (the web page and its helpers)."""
