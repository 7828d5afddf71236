"""Result files at their signed URLs (``/v1/files/<account>/<task>/<name>?expires=&signature=``,
made by :mod:`reelforge.store.artifacts`). The signature is the credential; a caller that
sends credentials too must be the file's owner."""

# No ``from __future__ import annotations``: FastAPI reads the route signatures.

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse

from ...store.artifacts import FILES_ROUTE
from .. import errors as E
from ..auth import authenticate
from ..context import context
from ..errors import KlingError

router = APIRouter()


@router.get(FILES_ROUTE + "/{path:path}", tags=["files"], summary="A result file (signed URL)")
def get_file(
    path: str,
    request: Request,
    expires: Annotated[int, Query(ge=0, le=2**62)],
    signature: Annotated[str, Query(max_length=200)],
) -> FileResponse:
    ctx = context(request)
    store = ctx.store
    if not store.artifacts.verify(path, expires, signature):
        raise KlingError(E.AUTH_FAILED, "this file URL is invalid or has expired", 403)
    owner = store.artifacts.owner(path)
    header = request.headers.get("authorization")
    if header and ctx.local is None and authenticate(store, header).id != owner:
        raise KlingError(E.MODEL_NOT_ALLOWED, "this file belongs to another account", 403)
    file = store.artifacts.resolve(path)
    if file is None:
        raise KlingError(E.NOT_FOUND, "no such file")
    return FileResponse(file)
