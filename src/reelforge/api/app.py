"""The FastAPI app: Kling's legacy task API under ``/v1/videos/...``, signed result files
under ``/v1/files/...``, the lineup at ``/v1/tiers``, the studio at ``/``; OpenAPI at
``/docs``.

``create_app(config)`` assembles it: the store, the in-process executor and the callback
sender (started and stopped with the app, kept in its :class:`~reelforge.api.context.Context`),
the edge middleware, the error mapping (everything that goes wrong comes back in Kling's
envelope with Kling's code, see :mod:`reelforge.api.errors`) and the routers
(:mod:`reelforge.api.routes`).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the signatures.

import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from .. import __version__
from ..errors import scrub_paths
from ..service.callbacks import CallbackSender
from ..service.worker import Executor, Render
from ..store import Config, Store
from ..store import accounts as acc
from . import errors as E
from .auth import RateLimiter
from .context import Context, caller, request_id
from .edge import BodyLimit, HostAllowList, allowed_hosts, route_depends_on
from .errors import KlingError
from .inputs import InputFetcher
from .routes import files, health, lineup, studio, tasks
from .views import callback_body, envelope

log = logging.getLogger("reelforge.api")

MAX_BODY_BYTES = 300 * 1024 * 1024
"""Largest request body accepted (a base64 reference video at its 200 MB limit fits)."""
OPEN_BODY_BYTES = 16 * 1024 * 1024
"""Largest body of a route anyone may call (the studio's lint: 101 texts of 20,000
characters, every one escaped as ``\\uXXXX``, fits)."""


def create_app(
    config: Config,
    *,
    store: Store | None = None,
    render: Render | None = None,
    extend: Render | None = None,
    run_workers: bool = True,
    fetch_transport: httpx.BaseTransport | None = None,
    callback_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The service for ``config``. ``render``/``extend``/transports replace the real ones in tests;
    ``run_workers=False`` accepts tasks without running them."""
    store = store or Store(config)
    store.callback_body = callback_body  # the store's outbox keeps Kling's body of each change
    executor = Executor(
        store,
        workers=config.workers,
        previz=config.previz,
        **_replaced(render=render, extend=extend),
    )
    sender = CallbackSender(
        store, allow_private=config.allow_private_urls, transport=callback_transport
    )
    executor.on_change = sender.wake
    ctx = Context(
        config=config,
        store=store,
        executor=executor,
        sender=sender,
        fetcher=InputFetcher(config.allow_private_urls, transport=fetch_transport),
        limiter=RateLimiter(config.rate_limit_per_second, config.rate_limit_burst),
        local=store.account(acc.LOCAL_ACCOUNT, metered=False) if config.no_auth else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if run_workers:
            executor.start()
        sender.start()
        try:
            yield
        finally:
            executor.stop()
            sender.stop()

    app = FastAPI(
        title="reelforge",
        version=__version__,
        description=(
            "Kling-compatible task API on open-weight models. Authenticate with "
            "`Authorization: Bearer <JWT>` (HS256, iss = access key, exp, nbf) or a static API key."
        ),
        lifespan=lifespan,
    )
    app.state.context = ctx

    # --- errors: always Kling's envelope --------------------------------------------
    app.add_exception_handler(KlingError, _kling)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal)

    # --- the edge: inner first; the request id (outermost) is set before they run ---
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, admit=admit)
    if config.no_auth:
        hosts = allowed_hosts(config.public_url, config.allowed_hosts)
        app.add_middleware(HostAllowList, hosts=hosts)
    app.middleware("http")(_request_id)

    # --- the routes -------------------------------------------------------------------
    app.include_router(tasks.router)
    app.include_router(files.router)
    app.include_router(lineup.router)
    app.include_router(health.router)
    app.include_router(studio.router)  # the web page at / (issue 5)
    app.mount(studio.ASSETS_ROUTE, StaticFiles(directory=studio.STATIC_DIR), name="studio")
    app.include_router(studio.page)
    return app


async def admit(scope: Scope) -> int:
    """Before a body is read: a route that needs a caller checks the credentials (they are
    in the headers), so a stranger's body is refused unread; a route open to anyone takes
    only a small body."""
    if not route_depends_on(scope.get("route"), caller):
        return OPEN_BODY_BYTES
    await run_in_threadpool(caller, Request(scope))
    return MAX_BODY_BYTES


async def _request_id(request: Request, call_next):
    request.state.request_id = uuid.uuid4().hex
    response = await call_next(request)
    response.headers["x-request-id"] = request.state.request_id
    return response


# --- errors ---------------------------------------------------------------------------
def _fail(request: Request, code: int, message: str, status: int | None = None) -> JSONResponse:
    status = status or E.HTTP_STATUS[code]
    body = envelope(None, request_id(request), code, scrub_paths(message))
    return JSONResponse(body, status_code=status)


async def _kling(request: Request, exc: KlingError) -> JSONResponse:
    return _fail(request, exc.code, exc.message, exc.status)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    return _fail(request, E.BAD_PARAMETERS, _validation_message(exc))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 405:
        return _fail(request, E.WRONG_METHOD, f"method {request.method} is not allowed here")
    if exc.status_code == 404:
        return _fail(request, E.NOT_FOUND, f"no such path: {request.url.path}")
    return _fail(request, E.BAD_PARAMETERS, str(exc.detail), exc.status_code)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return _fail(request, E.INTERNAL, f"internal error ({type(exc).__name__})")


def _kling_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a client writes the field: ``multi_prompt[0].index``."""
    field = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not field:
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or "request"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        field = _kling_path(err.get("loc", ()))
        value = err.get("input")
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:80] + "…"
        got = (
            f" (got {shown})"
            if err.get("type") != "missing" and not isinstance(value, dict)
            else ""
        )
        parts.append(f"{field}: {err.get('msg', 'invalid')}{got}")
    return "; ".join(parts)


def _replaced(**functions: Any) -> dict[str, Any]:
    """The executor's functions a test replaces (the others keep their defaults)."""
    return {name: f for name, f in functions.items() if f is not None}
