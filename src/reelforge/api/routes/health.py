"""Liveness at ``/healthz``: the version, and whether the server renders previz only."""

# No ``from __future__ import annotations``: FastAPI reads the route signatures.

from typing import Any

from fastapi import APIRouter, Request

from ... import __version__
from ..context import context

router = APIRouter()


@router.get("/healthz", tags=["meta"], summary="Liveness")
def health(request: Request) -> dict[str, Any]:
    return {"status": "ok", "version": __version__, "previz": context(request).config.previz}
